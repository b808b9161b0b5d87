#!/usr/bin/env bash
# ICMPv6 echo both ways between the Linux kernel and usagi over a TAP,
# small and fragmented (3000 bytes: both sides fragment and reassemble).
#
#   +---------------- ns $K ----------------+
#   |  kernel                               |
#   |  tap0  2001:db8:1::1/64               |
#   +----|----------------------------------+
#        |  /dev/net/tun (fd held by usagi)
#   +----|----------------------------------+
#   |  usagi node "u"                       |
#   |  tap0  2001:db8:1::2/64               |
#   +---------------------------------------+
#
# Proves: echo request/reply codec and checksums interoperate; usagi
# reassembles the kernel's fragments and fragments its replies so the
# kernel reassembles them (kernel Ip6ReasmOKs/Ip6FragCreates and usagi's
# frag6_* counters); usagi's `ping` command; unanswered pings fail.
source "$(dirname "$0")/lib/common.sh"
netns_setup ping6

k() { in_ns "$K" "$@"; }

single_tap_setup K tap0 u 2001:db8:1::1/64 <<EOF
addr add 2001:db8:1::2/64 dev tap0 nodad
EOF

# Kernel -> usagi, small.
out=$(k ping -6 -c 3 -W 2 2001:db8:1::2) || fail "kernel ping usagi: $out"
ping_summary_ok "kernel ping usagi" 3 "$out"
assert_match "reply comes from usagi" "^64 bytes from 2001:db8:1::2: icmp_seq=1 ttl=64 " "$out"
pass "kernel pings usagi"

# The kernel learned usagi's MAC through usagi's NA.
mac=$(mac_of u tap0)
[ -n "$mac" ] || fail "no MAC in \`link show tap0\`: $(uctl u link show tap0)"
assert_match "kernel neighbour entry" "^2001:db8:1::2 lladdr $mac (REACHABLE|STALE|DELAY|PROBE)" \
	"$(ip -n "$K" -6 neigh show dev tap0 | sed 's/ dev tap0//')"

# Kernel -> usagi, 3000 bytes: the kernel fragments the request, usagi
# reassembles it and fragments its 3048-byte reply, the kernel reassembles.
k_frag0=$(kstat "$K" Ip6FragCreates)
k_reasm0=$(kstat "$K" Ip6ReasmOKs)
u_reasm0=$(ustat u frag6_ok)
u_frag0=$(ustat u ip6_out_frag_ok)
out=$(k ping -6 -c 3 -W 2 -s 3000 2001:db8:1::2) || fail "kernel ping -s 3000 usagi: $out"
ping_summary_ok "kernel ping -s 3000" 3 "$out"
assert_match "full-size reply" "^3008 bytes from 2001:db8:1::2: icmp_seq=1 " "$out"
assert_gt "kernel sent fragments" "$(kstat "$K" Ip6FragCreates)" "$((k_frag0 + 5))"
assert_eq "kernel reassembled usagi's fragmented replies" "$((k_reasm0 + 3))" "$(kstat "$K" Ip6ReasmOKs)"
assert_eq "usagi reassembled the requests" "$((u_reasm0 + 3))" "$(ustat u frag6_ok)"
assert_eq "usagi fragmented the replies" "$((u_frag0 + 3))" "$(ustat u ip6_out_frag_ok)"
pass "kernel pings usagi with 3000 bytes (fragmented both ways)"

# usagi -> kernel.
out=$(uctl u ping 2001:db8:1::1 -c 3) || fail "usagi ping kernel: $out"
ping_summary_ok "usagi ping kernel" 3 "$out"
assert_match "usagi ping reply line" "^64 bytes from 2001:db8:1::1: icmp_seq=1 ttl=64 " "$out"
pass "usagi pings kernel"

k_reasm0=$(kstat "$K" Ip6ReasmOKs)
k_frag0=$(kstat "$K" Ip6FragCreates)
u_reasm0=$(ustat u frag6_ok)
u_frag0=$(ustat u ip6_out_frag_ok)
out=$(uctl u ping 2001:db8:1::1 -c 3 -s 3000) || fail "usagi ping -s 3000 kernel: $out"
ping_summary_ok "usagi ping -s 3000" 3 "$out"
assert_match "usagi full-size reply line" "^3008 bytes from 2001:db8:1::1: icmp_seq=1 " "$out"
assert_eq "kernel reassembled usagi's fragmented requests" "$((k_reasm0 + 3))" "$(kstat "$K" Ip6ReasmOKs)"
assert_gt "kernel fragmented its replies" "$(kstat "$K" Ip6FragCreates)" "$((k_frag0 + 5))"
assert_eq "usagi fragmented the requests" "$((u_frag0 + 3))" "$(ustat u ip6_out_frag_ok)"
assert_eq "usagi reassembled the replies" "$((u_reasm0 + 3))" "$(ustat u frag6_ok)"
pass "usagi pings kernel with 3000 bytes"

# Negative: nobody has 2001:db8:1::99; no route to 2001:db8:2::1.
if out=$(k ping -6 -c 2 -W 1 2001:db8:1::99 2>&1); then fail "kernel ping to absent address succeeded: $out"; fi
if out=$(uctl u ping 2001:db8:1::99 -c 2 2>&1); then fail "usagi ping to absent address succeeded: $out"; fi
assert_match "usagi ping summary for absent address" "^2 packets transmitted, 0 received" "$out"
if out=$(uctl u ping 2001:db8:2::1 -c 1 2>&1); then fail "usagi ping without a route succeeded: $out"; fi
pass "pings to absent addresses fail"

node_alive u || fail "usagi node died"
echo "ping6: all passed"
