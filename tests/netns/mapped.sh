#!/usr/bin/env bash
# A mapped-address UDP exchange from an IPv6 socket: usagi's udp-echo
# socket is AF_INET6 bound to [::]:7007 (no IPV6_V6ONLY), so IPv4
# datagrams reach it from ::ffff:192.0.2.1 and its replies must leave as
# real IPv4 from 192.0.2.2:7007 (RFC 4291 2.5.5.2, RFC 3493 3.7).
#
#   +---------------- ns $K -----------------------+
#   |  kernel tap0 192.0.2.1/24, 2001:db8:1::1/64  |
#   |  python3 sockets (lib/udp4.py), scapy        |
#   +----|-----------------------------------------+
#        |  /dev/net/tun (fd held by usagi)
#   +----|-----------------------------------------+
#   |  usagi node "u"  tap0 192.0.2.2/24,          |
#   |                  2001:db8:1::2/64            |
#   |  service udp-echo 7007 -> socket [::]:7007   |
#   +----------------------------------------------+
#
# Proves: one IPv6 socket serves both families; the kernel's recvfrom sees
# 192.0.2.2:7007 as the reply's source (not a mapped address); on the wire
# (scapy) the reply is an IPv4 frame (EtherType 0x0800) with a valid header
# checksum and a UDP checksum over the IPv4 pseudo-header; a kernel IPv6
# socket talking to ::ffff:192.0.2.2 gets its answer too; usagi resolved
# the peer with ARP and has no ::ffff: neighbour.
source "$(dirname "$0")/lib/common.sh"
netns_setup mapped
"$PY" -c 'import scapy.all' 2>/dev/null || fail "python3-scapy not installed (scripts/bootstrap installs it)"

k() { in_ns "$K" "$@"; }

single_tap_setup K tap0 u 192.0.2.1/24 2001:db8:1::1/64 <<EOF
addr add 192.0.2.2/24 dev tap0 nodad
addr add 2001:db8:1::2/64 dev tap0 nodad
service udp-echo 7007
EOF
umac=$(mac_of u tap0)
kmacaddr=$(kmac "$K" tap0)

usnap u m
out=$(udp4 "$K" send 4 192.0.2.2 7007 --sport 9010)
assert_eq "IPv4 echo from the IPv6 socket" "echo 192.0.2.2 7007 32 same" "$out"
out=$(udp4 "$K" send 6 2001:db8:1::2 7007 --sport 9010)
assert_eq "IPv6 echo from the same socket" "echo 2001:db8:1::2 7007 32 same" "$out"
# A kernel IPv6 socket sending to ::ffff:192.0.2.2 is IPv4 on the wire too.
out=$(udp4 "$K" send 6 ::ffff:192.0.2.2 7007 --sport 9011)
assert_eq "kernel mapped socket <-> usagi mapped socket" "echo ::ffff:192.0.2.2 7007 32 same" "$out"
assert_eq "one service socket echoed all three" 3 "$(udelta u m udp_echo_replied)"
pass "one [::] socket echoes IPv4 and IPv6"

# On the wire: scapy sends the datagram and dissects usagi's frame.
out=$(k timeout 30 "$PY" "$NETNS_LIB/hostile4.py" udp-mapped tap0 "$kmacaddr" "$umac" 192.0.2.1 192.0.2.2 7007)
assert_eq "reply frame" "ipv4 192.0.2.2:7007 -> 192.0.2.1:9012 ttl=64 ipcsum=ok udpcsum=ok same" "$out"
pass "the reply is a well-formed IPv4 datagram"

out=$(uctl u neigh show)
assert_no_match "no mapped neighbour" "^::ffff:" "$out"
assert_match "usagi resolved the kernel with ARP" "^192\.0\.2\.1 dev tap0 lladdr $kmacaddr " "$out"
node_alive u || fail "usagi node died"
echo "mapped: all passed"
