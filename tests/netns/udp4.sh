#!/usr/bin/env bash
# UDP between kernel sockets and usagi's udp-echo service, over IPv4 and
# IPv6 on one link.
#
#   +---------------- ns $K -----------------------+
#   |  kernel tap0 192.0.2.1/24, 2001:db8:1::1/64  |
#   |  python3 sockets (lib/udp4.py)               |
#   +----|-----------------------------------------+
#        |  /dev/net/tun (fd held by usagi)
#   +----|-----------------------------------------+
#   |  usagi node "u"                              |
#   |  tap0  192.0.2.2/24, 2001:db8:1::2/64        |
#   |  service udp-echo 7007                       |
#   +----------------------------------------------+
#
# usagi has no UDP client command, so both directions are proved with the
# echo: a kernel socket bound to port 9009 sends to usagi's 7007 (kernel ->
# usagi: usagi's UDP input and checksum check accept the kernel's
# datagram), and usagi's echo arrives at the kernel's socket on 9009
# (usagi -> kernel: the kernel's UDP input accepts usagi's datagram, with
# its checksum over the IPv4 pseudo-header, RFC 768). Also: 3000-byte
# datagrams fragmented both ways; an unbound usagi port answers ICMP port
# unreachable (the kernel socket gets ECONNREFUSED); an echo to a kernel
# port nobody has gets the kernel's port unreachable, which usagi matches
# to its echo socket.
source "$(dirname "$0")/lib/common.sh"
netns_setup udp4

k() { in_ns "$K" "$@"; }

single_tap_setup K tap0 u 192.0.2.1/24 2001:db8:1::1/64 <<EOF
addr add 192.0.2.2/24 dev tap0 nodad
addr add 2001:db8:1::2/64 dev tap0 nodad
service udp-echo 7007
EOF

# IPv4, kernel port 9009 <-> usagi port 7007, three datagrams.
usnap u v4
out=$(udp4 "$K" send 4 192.0.2.2 7007 --sport 9009 --count 3)
assert_eq "IPv4 echoes from 192.0.2.2:7007" "echo 192.0.2.2 7007 32 same
echo 192.0.2.2 7007 32 same
echo 192.0.2.2 7007 32 same" "$out"
assert_eq "udp_echo_replied" 3 "$(udelta u v4 udp_echo_replied)"
pass "UDP over IPv4 both ways (kernel 9009 -> usagi 7007 -> kernel 9009)"

# IPv6 to the same service.
out=$(udp4 "$K" send 6 2001:db8:1::2 7007 --sport 9009 --count 2)
assert_eq "IPv6 echoes from [2001:db8:1::2]:7007" "echo 2001:db8:1::2 7007 32 same
echo 2001:db8:1::2 7007 32 same" "$out"
pass "UDP over IPv6 to the same service"

# 3000 bytes: the kernel fragments the datagram, usagi reassembles it and
# fragments the echo, the kernel reassembles.
k_reasm0=$(kstat4 "$K" Ip ReasmOKs)
k_frag0=$(kstat4 "$K" Ip FragCreates)
out=$(udp4 "$K" send 4 192.0.2.2 7007 --size 3000 --count 2)
assert_eq "3000-byte echoes" "echo 192.0.2.2 7007 3000 same
echo 192.0.2.2 7007 3000 same" "$out"
assert_eq "kernel fragmented (2 x 3)" "$((k_frag0 + 6))" "$(kstat4 "$K" Ip FragCreates)"
assert_eq "kernel reassembled usagi's echoes" "$((k_reasm0 + 2))" "$(kstat4 "$K" Ip ReasmOKs)"
pass "fragmented UDP both ways"

# Negative: a port usagi does not serve -> ICMP port unreachable (RFC 1122 3.2.2.1).
usnap u noport
k_unreach0=$(kstat4 "$K" Icmp InDestUnreachs)
out=$(udp4 "$K" send 4 192.0.2.2 7008)
assert_eq "unbound usagi port refuses" "refused" "$out"
assert_eq "udp4_no_port counted" 1 "$(udelta u noport udp4_no_port)"
assert_eq "kernel got the port unreachable" "$((k_unreach0 + 1))" "$(kstat4 "$K" Icmp InDestUnreachs)"
pass "unbound port -> port unreachable"

# Echo to a kernel port nobody listens on: the kernel answers port
# unreachable to usagi, which matches it to its echo socket.
usnap u orphan
k_noport0=$(kstat4 "$K" Udp NoPorts)
assert_eq "orphan datagram sent" "sent" "$(udp4 "$K" orphan 192.0.2.2 7007 9555)"
k_noport_grew() { [ "$(kstat4 "$K" Udp NoPorts)" -gt "$k_noport0" ]; }
wait_until 3 k_noport_grew || fail "the kernel saw no echo to its closed port 9555"
u_err_grew() { [ "$(udelta u orphan udp4_err_in)" -ge 1 ]; }
wait_until 3 u_err_grew || fail "usagi did not match the kernel's port unreachable to its socket:
$(uctl u stats | grep -E "^(udp|icmp4)")"
assert_eq "echo was sent" 1 "$(udelta u orphan udp_echo_replied)"
pass "kernel's port unreachable reaches usagi's socket"

# Still serving.
out=$(udp4 "$K" send 4 192.0.2.2 7007 --sport 9009)
assert_eq "echo after errors" "echo 192.0.2.2 7007 32 same" "$out"
node_alive u || fail "usagi node died"
echo "udp4: all passed"
