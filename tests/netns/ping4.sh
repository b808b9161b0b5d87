#!/usr/bin/env bash
# ICMP echo both ways between the Linux kernel and usagi over a TAP, small
# and fragmented (4000 bytes: both sides fragment and reassemble), and ARP
# both ways.
#
#   +---------------- ns $K ----------------+
#   |  kernel                               |
#   |  tap0  192.0.2.1/24                   |
#   +----|----------------------------------+
#        |  /dev/net/tun (fd held by usagi)
#   +----|----------------------------------+
#   |  usagi node "u"                       |
#   |  tap0  192.0.2.2/24                   |
#   +---------------------------------------+
#
# Proves: ICMP echo codec and IPv4/ICMP checksums interoperate (RFC 792);
# ARP requests and replies both ways (RFC 826): each side's cache holds the
# other's MAC; usagi reassembles the kernel's fragments and fragments its
# own datagrams so the kernel reassembles them (kernel Ip: ReasmOKs and
# FragCreates from /proc/net/snmp, usagi's frag4_* counters); usagi's ping
# prints what iputils prints; pings to an absent address or without a
# route fail.
source "$(dirname "$0")/lib/common.sh"
netns_setup ping4

k() { in_ns "$K" "$@"; }

single_tap_setup K tap0 u 192.0.2.1/24 <<EOF
addr add 192.0.2.2/24 dev tap0 nodad
EOF

out=$(uctl u addr show dev tap0)
assert_match "usagi shows its IPv4 address" "^    inet 192\.0\.2\.2/24 brd 192\.0\.2\.255 scope global tap0$" "$out"

# Kernel -> usagi, small.
out=$(k ping -c 3 -W 2 192.0.2.2) || fail "kernel ping usagi: $out"
ping_summary_ok "kernel ping usagi" 3 "$out"
assert_match "reply comes from usagi" "^64 bytes from 192\.0\.2\.2: icmp_seq=1 ttl=64 " "$out"
pass "kernel pings usagi"

# ARP: the kernel learned usagi's MAC from usagi's ARP reply (or request),
# usagi learned the kernel's from the kernel's request.
umac=$(mac_of u tap0)
kmacaddr=$(kmac "$K" tap0)
[ -n "$umac" ] || fail "no MAC in \`link show tap0\`: $(uctl u link show tap0)"
assert_match "kernel ARP entry for usagi" "^$umac (REACHABLE|STALE|DELAY|PROBE)$" "$(kneigh4 "$K" tap0 192.0.2.2)"
assert_match "usagi ARP entry for the kernel" \
	"^192\.0\.2\.1 dev tap0 lladdr $kmacaddr (REACHABLE|STALE|DELAY|PROBE)$" "$(uneigh4 u 192.0.2.1)"
pass "ARP both ways"

# Kernel -> usagi, 4000 bytes: the kernel fragments the 4028-byte request
# into 3, usagi reassembles it and fragments its reply, the kernel reassembles.
k_frag0=$(kstat4 "$K" Ip FragCreates)
k_reasm0=$(kstat4 "$K" Ip ReasmOKs)
usnap u frag
out=$(k ping -c 3 -W 2 -s 4000 192.0.2.2) || fail "kernel ping -s 4000 usagi: $out"
ping_summary_ok "kernel ping -s 4000" 3 "$out"
assert_match "full-size reply" "^4008 bytes from 192\.0\.2\.2: icmp_seq=1 ttl=64 " "$out"
assert_eq "kernel fragmented its requests (3 x 3)" "$((k_frag0 + 9))" "$(kstat4 "$K" Ip FragCreates)"
assert_eq "kernel reassembled usagi's fragmented replies" "$((k_reasm0 + 3))" "$(kstat4 "$K" Ip ReasmOKs)"
assert_eq "usagi reassembled the requests" 3 "$(udelta u frag frag4_ok)"
assert_eq "usagi fragmented the replies" 3 "$(udelta u frag ip4_out_frag_ok)"
pass "kernel pings usagi with 4000 bytes (fragmented both ways)"

# usagi -> kernel, in iputils' words.
out=$(uctl u ping 192.0.2.1 -c 3) || fail "usagi ping kernel: $out"
assert_match "usagi ping header" "^PING 192\.0\.2\.1 \(192\.0\.2\.1\) 56\(84\) bytes of data\.$" "$out"
assert_match "usagi ping reply line" "^64 bytes from 192\.0\.2\.1: icmp_seq=1 ttl=64 time=" "$out"
assert_match "usagi ping summary" "^3 packets transmitted, 3 received, 0% packet loss" "$out"
pass "usagi pings kernel"

k_reasm0=$(kstat4 "$K" Ip ReasmOKs)
k_frag0=$(kstat4 "$K" Ip FragCreates)
usnap u frag
out=$(uctl u ping 192.0.2.1 -c 3 -s 4000) || fail "usagi ping -s 4000 kernel: $out"
assert_match "usagi ping header, 4000 bytes" "^PING 192\.0\.2\.1 \(192\.0\.2\.1\) 4000\(4028\) bytes of data\.$" "$out"
ping_summary_ok "usagi ping -s 4000" 3 "$out"
assert_match "usagi full-size reply line" "^4008 bytes from 192\.0\.2\.1: icmp_seq=1 ttl=64 " "$out"
assert_eq "kernel reassembled usagi's fragmented requests" "$((k_reasm0 + 3))" "$(kstat4 "$K" Ip ReasmOKs)"
assert_eq "kernel fragmented its replies" "$((k_frag0 + 9))" "$(kstat4 "$K" Ip FragCreates)"
assert_eq "usagi fragmented the requests" 3 "$(udelta u frag ip4_out_frag_ok)"
assert_eq "usagi reassembled the replies" 3 "$(udelta u frag frag4_ok)"
pass "usagi pings kernel with 4000 bytes"

# Negative: nobody has 192.0.2.99 (ARP goes unanswered); no route to 203.0.113.1.
if out=$(k ping -c 2 -W 1 192.0.2.99 2>&1); then fail "kernel ping to absent address succeeded: $out"; fi
if out=$(uctl u ping 192.0.2.99 -c 2 2>&1); then fail "usagi ping to absent address succeeded: $out"; fi
assert_match "usagi ping summary for absent address" "^2 packets transmitted, 0 received" "$out"
assert_match "no ARP answer for the absent address" "^192\.0\.2\.99 dev tap0 (INCOMPLETE|FAILED)$" "$(uneigh4 u 192.0.2.99)"
if out=$(uctl u ping 203.0.113.1 -c 1 2>&1); then fail "usagi ping without a route succeeded: $out"; fi
assert_match "no route" "Network is unreachable" "$out"
pass "pings to absent addresses fail"

node_alive u || fail "usagi node died"
echo "ping4: all passed"
