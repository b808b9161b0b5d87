#!/usr/bin/env bash
# usagi as a router between two kernel hosts.
#
#   +------- ns $A -------+                       +------- ns $B -------+
#   | kernel host         |                       | kernel host         |
#   | tap1 2001:db8:1::1  |                       | tap2 2001:db8:2::1  |
#   | 2001:db8:2::/64 via |                       | 2001:db8:1::/64 via |
#   |   2001:db8:1::2     |                       |   2001:db8:2::2     |
#   +---|-----------------+                       +-----------------|---+
#       |            +----- usagi node "r" ------+                  |
#       +------------| tap1 2001:db8:1::2/64     |                  |
#                    | tap2 2001:db8:2::2/64     |------------------+
#                    | forwarding=1              |
#                    +---------------------------+
#
# Proves: forwarding with hop-limit decrement (RFC 8200 3) and Time
# Exceeded at hop limit 1 (RFC 4443 3.3); fragments forwarded untouched;
# no fragmentation in transit: an over-MTU packet gets Packet Too Big with
# the next link's MTU (RFC 4443 3.2) and the kernel lowers its path MTU
# (RFC 8201), after which the same ping works, fragmented by the source.
source "$(dirname "$0")/lib/common.sh"
netns_setup router

ns_add A
ns_add B
tap_add "$A" tap1
tap_add "$B" tap2
a() { in_ns "$A" "$@"; }
b() { in_ns "$B" "$@"; }

usagi_start r <<EOF
link add tap1 type tap netns $A
link add tap2 type tap netns $B
sysctl net.ipv6.conf.all.forwarding=1
link set tap1 up
link set tap2 up
addr add 2001:db8:1::2/64 dev tap1 nodad
addr add 2001:db8:2::2/64 dev tap2 nodad
EOF
ip -n "$A" addr add 2001:db8:1::1/64 dev tap1 nodad
ip -n "$B" addr add 2001:db8:2::1/64 dev tap2 nodad
ip -n "$A" link set tap1 up
ip -n "$B" link set tap2 up
ip -n "$A" -6 route add 2001:db8:2::/64 via 2001:db8:1::2 dev tap1
ip -n "$B" -6 route add 2001:db8:1::/64 via 2001:db8:2::2 dev tap2

# Across usagi; the reply's hop limit shows one decrement (64 -> 63).
out=$(a ping -6 -c 3 -W 2 2001:db8:2::1) || fail "A ping B across usagi: $out"
ping_summary_ok "A ping B" 3 "$out"
assert_match "hop limit decremented once" "^64 bytes from 2001:db8:2::1: icmp_seq=1 ttl=63 " "$out"
out=$(b ping -6 -c 2 -W 2 2001:db8:1::1) || fail "B ping A across usagi: $out"
ping_summary_ok "B ping A" 2 "$out"
# The router's own addresses answer too, from both sides.
out=$(a ping -6 -c 1 -W 2 2001:db8:2::2) || fail "A ping router's far address: $out"
pass "forwarding both ways"

# Hop limit 1: Time Exceeded from the router; hop limit 2 gets through.
hl0=$(ustat r ip6_fwd_hoplimit)
if out=$(a ping -6 -c 1 -W 2 -t 1 2001:db8:2::1 2>&1); then fail "ping -t 1 got through: $out"; fi
assert_match "Time Exceeded from usagi" "^From 2001:db8:1::2 icmp_seq=1 Time exceeded: Hop limit$" "$out"
assert_eq "ip6_fwd_hoplimit counted" "$((hl0 + 1))" "$(ustat r ip6_fwd_hoplimit)"
out=$(a ping -6 -c 1 -W 2 -t 2 2001:db8:2::1) || fail "ping -t 2: $out"
pass "hop limit 1 -> Time Exceeded"

# 3000 bytes: A fragments, usagi forwards the fragments, B reassembles.
b_reasm0=$(kstat "$B" Ip6ReasmOKs)
a_reasm0=$(kstat "$A" Ip6ReasmOKs)
out=$(a ping -6 -c 2 -W 2 -s 3000 2001:db8:2::1) || fail "A ping -s 3000 B: $out"
ping_summary_ok "A ping -s 3000 B" 2 "$out"
assert_match "3000-byte reply" "^3008 bytes from 2001:db8:2::1: icmp_seq=1 ttl=63 " "$out"
assert_eq "B reassembled the forwarded fragments" "$((b_reasm0 + 2))" "$(kstat "$B" Ip6ReasmOKs)"
assert_eq "A reassembled the forwarded reply fragments" "$((a_reasm0 + 2))" "$(kstat "$A" Ip6ReasmOKs)"
pass "fragments forwarded end to end"

# Packet Too Big: usagi's tap2 now carries at most 1280; a 1448-byte packet
# from A cannot be forwarded (IPv6 routers never fragment).
uctl r link set tap2 mtu 1280
ip -n "$B" link set tap2 mtu 1280
out=$(uctl r link show tap2)
assert_match "tap2 mtu" "mtu 1280( |$)" "$out"
assert_no_match "A knows no PMTU yet" " mtu 1280" "$(ip -n "$A" -6 route get 2001:db8:2::1)"
tb0=$(ustat r ip6_fwd_too_big)
if out=$(a ping -6 -c 1 -W 2 -s 1400 -M do 2001:db8:2::1 2>&1); then fail "1448-byte packet crossed a 1280 link: $out"; fi
assert_match "PTB from usagi reported by ping" "^From 2001:db8:1::2 icmp_seq=1 Packet too big: mtu=1280$" "$out"
assert_eq "ip6_fwd_too_big counted" "$((tb0 + 1))" "$(ustat r ip6_fwd_too_big)"
rg=$(ip -n "$A" -6 route get 2001:db8:2::1)
assert_match "kernel learned PMTU 1280" " mtu 1280( |$)" "$rg"
out=$(a ping -6 -c 2 -W 2 -s 1400 2001:db8:2::1) || fail "ping -s 1400 after PMTU: $out"
ping_summary_ok "ping -s 1400 after PMTU discovery" 2 "$out"
assert_match "1400-byte reply" "^1408 bytes from 2001:db8:2::1: icmp_seq=1 ttl=63 " "$out"
pass "Packet Too Big and PMTU discovery"

node_alive r || fail "usagi node died"
echo "router: all passed"
