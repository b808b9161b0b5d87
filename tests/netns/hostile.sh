#!/usr/bin/env bash
# Malformed and hostile IPv6 input from scapy; usagi must drop each kind
# for the right reason (a counter per reason), answer where an RFC says
# so, and keep working.
#
#   +---------------- ns $K ----------------+
#   |  kernel tap0 2001:db8:1::1/64         |
#   |  scapy (lib/hostile.py): sendp+sniff  |
#   +----|----------------------------------+
#        |  crafted frames ->  <- answers
#   +----|----------------------------------+
#   |  usagi node "u"                       |
#   |  tap0  2001:db8:1::2/64               |
#   +---------------------------------------+
#
# Proves: truncated headers are counted and dropped (RFC 8200 length
# checks); RH0 with segments left > 0 gets Parameter Problem code 0
# pointing at the routing type (RFC 5095), with segments left 0 is
# skipped; overlapping fragments drop the datagram (RFC 5722); a first
# fragment without the upper-layer header is dropped (RFC 7112); ND with
# hop limit != 255 or a zero-length option is ignored (RFC 4861 7.1.1,
# 6.1.2); a flood of never-completed fragment IDs leaves reassembly
# working. After all of it usagi answers ping, small and fragmented.
source "$(dirname "$0")/lib/common.sh"
netns_setup hostile
"$PY" -c 'import scapy.all' 2>/dev/null || fail "python3-scapy not installed (scripts/bootstrap installs it)"

k() { in_ns "$K" "$@"; }

single_tap_setup K tap0 u 2001:db8:1::1/64 <<EOF
addr add 2001:db8:1::2/64 dev tap0 nodad
EOF

umac=$(mac_of u tap0)
[ -n "$umac" ] || fail "no MAC in \`link show tap0\`: $(uctl u link show tap0)"
kmac=$(ip -n "$K" link show tap0 | awk '/link\/ether/ { print $2 }')
kll=$(kernel_ll "$K" tap0)

# hostile CASE [ARG]: runs one case of lib/hostile.py; prints its one-line verdict.
hostile() {
	k timeout 60 "$PY" "$NETNS_LIB/hostile.py" "$1" tap0 "$kmac" "$umac" 2001:db8:1::1 2001:db8:1::2 ${2:+"$2"}
}
# Counters: snapshot before a case, then check that a reason's counter rose.
snap() { uctl u stats >"$TMP/stats.$1"; }
# delta SNAP COUNTER: how much COUNTER grew since SNAP (the counter must exist).
delta() {
	local before
	before=$(awk -v n="$2" '$1 == n { print $2; f = 1 } END { exit !f }' "$TMP/stats.$1") ||
		fail "counter $2 not in \`stats\`"
	echo $(($(ustat u "$2") - before))
}
rose() { # WHAT SNAP REGEX: the sum of counters matching REGEX grew since SNAP
	local before after
	before=$(awk -v re="$3" '$1 ~ re { s += $2 } END { print s + 0 }' "$TMP/stats.$2")
	after=$(ustat_sum u "$3")
	[ "$after" -gt "$before" ] || fail "$1: no counter matching /$3/ rose ($before -> $after):
$(uctl u stats | grep -E "$3" || true)"
}

# Warm up: the kernel knows usagi's MAC, usagi knows the kernel's.
out=$(k ping -6 -c 1 -W 2 2001:db8:1::2) || fail "initial ping: $out"

# RH0 first, before anything else could use up the ICMPv6 error rate limit.
snap rh0
assert_eq "RH0 segments left 1" "paramproblem code=0 ptr=42" "$(hostile rh0)"
assert_eq "RH0 counted" 1 "$(delta rh0 ip6_in_rh_segleft)"
assert_eq "RH0 Parameter Problem counted" 1 "$(delta rh0 icmp6_out_errors)"
snap rh0sl0
assert_eq "RH0 segments left 0 is skipped" "reply" "$(hostile rh0-sl0)"
assert_eq "RH0 with segments left 0 counted" 1 "$(delta rh0sl0 ip6_in_rh_ignored)"
pass "RH0"

snap trunc
assert_eq "truncated frames get no answer" "none" "$(hostile truncated)"
# The 10 frames of the case, each counted under its own reason.
assert_eq "short IPv6 headers and payloads" 4 "$(delta trunc ip6_in_truncated)"
assert_eq "version 4 in an IPv6 frame" 1 "$(delta trunc ip6_in_bad_version)"
assert_eq "cut extension headers (HbH, Fragment, DestOpt)" 3 \
	"$(($(delta trunc ip6_in_ext_truncated) + $(delta trunc frag6_truncated)))"
assert_eq "cut ICMPv6 header" 1 "$(delta trunc icmp6_in_truncated)"
assert_eq "cut UDP header" 1 "$(delta trunc udp_truncated)"
pass "truncated headers"

assert_eq "positive control: clean fragments" "reply" "$(hostile frag-ok)"
snap overlap
assert_eq "overlapping fragments" "none" "$(hostile overlap)"
assert_eq "overlap counted" 1 "$(delta overlap frag6_overlap)"
assert_eq "nothing reassembled" 0 "$(delta overlap frag6_ok)"
pass "overlapping fragments"

snap tiny
assert_eq "tiny first fragment: Parameter Problem code 3, no echo" "paramproblem code=3" "$(hostile tiny)"
assert_eq "tiny first fragment counted" 1 "$(delta tiny frag6_first_incomplete)"
pass "tiny first fragment"

assert_eq "positive control: NS gets NA" "na" "$(hostile ns-ok)"
snap hlim
assert_eq "NS with hop limit 64" "none" "$(hostile ns-hlim64)"
assert_eq "ND hop limit counted" 1 "$(delta hlim nd6_bad_hoplimit)"
snap opt
assert_eq "NS with a zero-length option" "none" "$(hostile ns-zero-opt)"
assert_eq "ND zero-length option counted" 1 "$(delta opt nd6_bad_option)"
snap ra
assert_eq "bad RAs sent" "sent" "$(hostile ra-bad "$kll")"
sleep 0.5
out=$(uctl u addr show dev tap0)
assert_no_match "no address from an RA with hop limit 64" "2001:db8:9:" "$out"
assert_no_match "no address from an RA with a zero-length option" "2001:db8:a:" "$out"
assert_no_match "no default route from bad RAs" "^default" "$(uctl u route show)"
assert_eq "RA with hop limit 64 counted" 1 "$(delta ra nd6_bad_hoplimit)"
assert_eq "RA with a zero-length option counted" 1 "$(delta ra nd6_bad_option)"
assert_eq "no SLAAC from bad RAs" 0 "$(delta ra addrconf_slaac)"
pass "ND hop limit and option checks"

snap flood
assert_eq "fragment flood" "sent 3000" "$(hostile flood 3000)"
node_alive u || fail "usagi died in the fragment flood"
[ "$(delta flood frag6_in)" -ge 3000 ] || fail "flood: frag6_in rose by only $(delta flood frag6_in)"
log "flood: frag6_evict +$(delta flood frag6_evict), frag6_nomem +$(delta flood frag6_nomem), pkt_alloc_fail +$(delta flood pkt_alloc_fail)"
pass "fragment flood survived"

# Still healthy: plain and fragmented echo, and a new fragmented datagram reassembles.
out=$(k ping -6 -c 3 -W 2 2001:db8:1::2) || fail "ping after hostile input: $out"
ping_summary_ok "ping after hostile input" 3 "$out"
out=$(k ping -6 -c 2 -W 2 -s 3000 2001:db8:1::2) || fail "ping -s 3000 after fragment flood: $out"
ping_summary_ok "fragmented ping after flood" 2 "$out"
out=$(uctl u stats) || fail "stats after hostile input"
assert_match "pkt pool not exhausted" "^pkt_alloc_fail 0$" "$out"
node_alive u || fail "usagi node died"
echo "hostile: all passed"
