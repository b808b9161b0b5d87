#!/usr/bin/env bash
# usagi as an IPv4 router between two kernel hosts.
#
#   +------- ns $A --------+                       +------- ns $B ---------+
#   | kernel host          |                       | kernel host           |
#   | tap1 192.0.2.1/24    |                       | tap2 198.51.100.1/24  |
#   | 198.51.100.0/24 via  |                       | 192.0.2.0/24 via      |
#   |   192.0.2.2          |                       |   198.51.100.2        |
#   +---|------------------+                       +------------------|----+
#       |            +----- usagi node "r" --------+                  |
#       +------------| tap1 192.0.2.2/24           |                  |
#                    | tap2 198.51.100.2/24        |------------------+
#                    | net.ipv4.ip_forward=1       |
#                    +-----------------------------+
#
# Proves: no forwarding while ip_forward=0 (RFC 1122 3.3.4: a host does
# not forward); forwarding both ways with ARP on each side and TTL
# decrement (RFC 1812 5.3.1: ttl=63 at the far host), Time Exceeded at
# TTL 1 from the incoming interface's address (RFC 1812 5.3.1, 4.3.2.4);
# 4000-byte datagrams' fragments forwarded; a datagram without DF larger
# than the next link is fragmented by usagi (RFC 1812 5.2.2.1, B
# reassembles); with DF it gets Destination Unreachable code 4 carrying the
# next-hop MTU (RFC 1191 4), the kernel caches PMTU 1280 and then
# fragments at the source.
source "$(dirname "$0")/lib/common.sh"
netns_setup router4

ns_add A
ns_add B
tap_add "$A" tap1
tap_add "$B" tap2
a() { in_ns "$A" "$@"; }
b() { in_ns "$B" "$@"; }

usagi_start r <<EOF
link add tap1 type tap netns $A
link add tap2 type tap netns $B
link set tap1 up
link set tap2 up
addr add 192.0.2.2/24 dev tap1 nodad
addr add 198.51.100.2/24 dev tap2 nodad
EOF
ip -n "$A" addr add 192.0.2.1/24 dev tap1
ip -n "$B" addr add 198.51.100.1/24 dev tap2
ip -n "$A" link set tap1 up
ip -n "$B" link set tap2 up
ip -n "$A" route add 198.51.100.0/24 via 192.0.2.2 dev tap1
ip -n "$B" route add 192.0.2.0/24 via 198.51.100.2 dev tap2

out=$(uctl r route show)
assert_match "connected route tap1" "^192\.0\.2\.0/24 dev tap1 proto kernel scope link src 192\.0\.2\.2" "$out"
assert_match "connected route tap2" "^198\.51\.100\.0/24 dev tap2 proto kernel scope link src 198\.51\.100\.2" "$out"

# Negative first: a host does not forward.
if out=$(a ping -c 1 -W 1 198.51.100.1 2>&1); then fail "forwarded with ip_forward=0: $out"; fi
# The router's own far address answers even so (weak host model, RFC 1122 3.3.4.2).
out=$(a ping -c 1 -W 2 198.51.100.2) || fail "A ping router's far address: $out"
pass "no forwarding while ip_forward=0"

out=$(uctl r sysctl net.ipv4.ip_forward=1)
assert_eq "sysctl output" "net.ipv4.ip_forward = 1" "$out"

# Across usagi; the reply's TTL shows one decrement (64 -> 63).
out=$(a ping -c 3 -W 2 198.51.100.1) || fail "A ping B across usagi: $out"
ping_summary_ok "A ping B" 3 "$out"
assert_match "TTL decremented once" "^64 bytes from 198\.51\.100\.1: icmp_seq=1 ttl=63 " "$out"
out=$(b ping -c 2 -W 2 192.0.2.1) || fail "B ping A across usagi: $out"
ping_summary_ok "B ping A" 2 "$out"
assert_match "usagi resolved B with ARP" "^198\.51\.100\.1 dev tap2 lladdr $(kmac "$B" tap2) " "$(uctl r neigh show)"
pass "forwarding both ways"

# TTL 1: Time Exceeded from the router's tap1 address; TTL 2 gets through.
usnap r ttl
if out=$(a ping -c 1 -W 2 -t 1 198.51.100.1 2>&1); then fail "ping -t 1 got through: $out"; fi
assert_match "Time Exceeded from usagi" "^From 192\.0\.2\.2 icmp_seq=1 Time to live exceeded$" "$out"
assert_eq "ip4_fwd_ttl counted" 1 "$(udelta r ttl ip4_fwd_ttl)"
out=$(a ping -c 1 -W 2 -t 2 198.51.100.1) || fail "ping -t 2: $out"
pass "TTL 1 -> Time Exceeded"

# 4000 bytes: A fragments, usagi forwards the fragments, B reassembles (and back).
b_reasm0=$(kstat4 "$B" Ip ReasmOKs)
a_reasm0=$(kstat4 "$A" Ip ReasmOKs)
out=$(a ping -c 2 -W 2 -s 4000 198.51.100.1) || fail "A ping -s 4000 B: $out"
ping_summary_ok "A ping -s 4000 B" 2 "$out"
assert_match "4000-byte reply" "^4008 bytes from 198\.51\.100\.1: icmp_seq=1 ttl=63 " "$out"
assert_eq "B reassembled the forwarded fragments" "$((b_reasm0 + 2))" "$(kstat4 "$B" Ip ReasmOKs)"
assert_eq "A reassembled the forwarded reply fragments" "$((a_reasm0 + 2))" "$(kstat4 "$A" Ip ReasmOKs)"
pass "fragments forwarded end to end"

# usagi's tap2 now carries at most 1280 bytes.
uctl r link set tap2 mtu 1280
ip -n "$B" link set tap2 mtu 1280
assert_match "tap2 mtu" "mtu 1280( |$)" "$(uctl r link show tap2)"

# Without DF a 1428-byte datagram is fragmented by usagi in transit.
usnap r frag
b_reasm0=$(kstat4 "$B" Ip ReasmOKs)
out=$(a ping -c 1 -W 2 -s 1400 -M dont 198.51.100.1) || fail "ping -M dont -s 1400: $out"
assert_match "1400-byte reply" "^1408 bytes from 198\.51\.100\.1: icmp_seq=1 ttl=63 " "$out"
assert_eq "B reassembled usagi's fragments" "$((b_reasm0 + 1))" "$(kstat4 "$B" Ip ReasmOKs)"
assert_eq "usagi fragmented one datagram" 1 "$(udelta r frag ip4_out_frag_ok)"
assert_no_match "A learned no PMTU from that" " mtu 1280" "$(ip -n "$A" route get 198.51.100.1)"
pass "usagi fragments in transit when DF is clear"

# With DF: Destination Unreachable, fragmentation needed, mtu 1280.
usnap r df
if out=$(a ping -c 1 -W 2 -s 1400 -M do 198.51.100.1 2>&1); then fail "1428-byte DF packet crossed a 1280 link: $out"; fi
assert_match "Frag needed from usagi" "^From 192\.0\.2\.2 icmp_seq=1 Frag needed and DF set \(mtu = 1280\)$" "$out"
assert_eq "ip4_fwd_frag_needed counted" 1 "$(udelta r df ip4_fwd_frag_needed)"
assert_match "kernel learned PMTU 1280" " mtu 1280( |$)" "$(ip -n "$A" route get 198.51.100.1)"
out=$(a ping -c 2 -W 2 -s 1400 198.51.100.1) || fail "ping -s 1400 after PMTU: $out"
ping_summary_ok "ping -s 1400 after PMTU discovery" 2 "$out"
assert_match "1400-byte reply" "^1408 bytes from 198\.51\.100\.1: icmp_seq=1 ttl=63 " "$out"
pass "Frag needed and PMTU discovery"

node_alive r || fail "usagi node died"
echo "router4: all passed"
