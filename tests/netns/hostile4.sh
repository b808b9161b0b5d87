#!/usr/bin/env bash
# Malformed and hostile IPv4 and ARP input from scapy; usagi must drop each
# kind for the right reason (a counter per reason), answer where an RFC
# says so, keep its own address, and keep working.
#
#   +---------------- ns $K ----------------+
#   |  kernel tap0 192.0.2.1/24             |
#   |  scapy (lib/hostile4.py): sendp+sniff |
#   +----|----------------------------------+
#        |  crafted frames ->  <- answers
#   +----|----------------------------------+
#   |  usagi node "u"                       |
#   |  tap0  192.0.2.2/24                   |
#   +---------------------------------------+
#
# Proves: header checks of RFC 791 3.1 / RFC 1122 3.2.1.1-3.2.1.2 (IHL < 5,
# IHL past the total length, total length below the header or past the
# frame, bad header checksum, short frame, wrong version) each silently
# dropped and counted; malformed options (length past the header, 0, 1)
# answered with Parameter Problem pointing at the option's length octet
# (RFC 1122 3.2.2.5); overlapping fragments and a datagram
# ending past 65535 octets dropped; echo requests from sources that never
# name one host are not answered (RFC 1122 3.2.1.3); UDP to a broadcast on
# a closed port draws no ICMP error (RFC 1122 3.2.2); malformed ARP is
# ignored; an ARP reply and a gratuitous ARP claiming usagi's address with
# another MAC are counted, defended once per DEFEND_INTERVAL (RFC 5227
# 2.4 (b)), never enter usagi's neighbour cache, and leave the address
# working; 3000 never-completed fragment IDs leave reassembly working.
source "$(dirname "$0")/lib/common.sh"
netns_setup hostile4
"$PY" -c 'import scapy.all' 2>/dev/null || fail "python3-scapy not installed (scripts/bootstrap installs it)"

k() { in_ns "$K" "$@"; }

single_tap_setup K tap0 u 192.0.2.1/24 <<EOF
addr add 192.0.2.2/24 dev tap0 nodad
EOF

umac=$(mac_of u tap0)
[ -n "$umac" ] || fail "no MAC in \`link show tap0\`: $(uctl u link show tap0)"
kmacaddr=$(kmac "$K" tap0)

# hostile CASE [ARG]: runs one case of lib/hostile4.py; prints its one-line verdict.
hostile() {
	k timeout 60 "$PY" "$NETNS_LIB/hostile4.py" "$1" tap0 "$kmacaddr" "$umac" 192.0.2.1 192.0.2.2 ${2:+"$2"}
}
# case_drops CASE COUNTER N: the case gets no answer and COUNTER grew by exactly N.
case_drops() {
	usnap u "$1"
	assert_eq "$1: no answer" "none" "$(hostile "$1")"
	assert_eq "$1: $2" "$3" "$(udelta u "$1" "$2")"
}

# Warm up: both ARP caches filled.
out=$(k ping -c 1 -W 2 192.0.2.2) || fail "initial ping: $out"

assert_eq "positive control: echo" "reply" "$(hostile ping-ok)"
case_drops ihl-small ip4_in_bad_ihl 1
case_drops ihl-big ip4_in_bad_ihl 1
case_drops totlen-short ip4_in_bad_ihl 1
case_drops totlen-long ip4_in_truncated 1
case_drops bad-csum ip4_in_bad_csum 1
usnap u short
assert_eq "short frame and version 6: no answer" "none" "$(hostile short-frame)"
assert_eq "short frame counted" 1 "$(udelta u short ip4_in_truncated)"
assert_eq "version 6 counted" 1 "$(udelta u short ip4_in_bad_version)"
pass "header checks"

# Options: before other errors can use up the ICMP rate limit. The pointer
# names the option's length octet (21), the octet found wrong (RFC 792);
# Linux points at the option's type octet (20) instead.
assert_eq "positive control: NOP options" "reply" "$(hostile opt-ok)"
for c in opt-overrun opt-len0 opt-len1; do
	usnap u "$c"
	assert_eq "$c: Parameter Problem at the length octet" "paramproblem code=0 ptr=21" "$(hostile "$c")"
	assert_eq "$c: ip4_in_bad_opts" 1 "$(udelta u "$c" ip4_in_bad_opts)"
	assert_eq "$c: icmp4_out_errors" 1 "$(udelta u "$c" icmp4_out_errors)"
done
pass "malformed options -> Parameter Problem"

assert_eq "positive control: clean fragments" "reply" "$(hostile frag-ok)"
usnap u overlap
assert_eq "overlapping fragments" "none" "$(hostile overlap)"
assert_eq "overlap counted" 1 "$(udelta u overlap frag4_overlap)"
assert_eq "nothing reassembled" 0 "$(udelta u overlap frag4_ok)"
case_drops too-long frag4_too_long 1
pass "overlapping and oversized fragments"

usnap u martian
assert_eq "echo from loopback, multicast, broadcast, 0.0.0.0 sources" "none" "$(hostile martian)"
assert_eq "bad sources counted (all but 0.0.0.0)" 4 "$(udelta u martian ip4_in_bad_src)"
# The request from 0.0.0.0 passes input (RFC 1122 3.2.1.3 (a): a host
# initialising), but its reply has nowhere to go: refused by ip4_output.
assert_eq "no echo reply left usagi" 0 \
	"$(($(udelta u martian icmp4_out_echo_reply) - $(udelta u martian icmp4_out_fail)))"
pass "martian sources"

assert_eq "positive control: closed port" "unreach code=3" "$(hostile udp-noport)"
usnap u bcast
assert_eq "UDP to broadcasts on a closed port: no ICMP" "none" "$(hostile udp-bcast)"
assert_eq "no ICMP error sent" 0 "$(udelta u bcast icmp4_out_errors)"
assert_eq "both received as broadcast" 2 "$(udelta u bcast ip4_in_bcast)"
pass "no ICMP errors about broadcasts"

assert_eq "positive control: ARP request" "reply $umac" "$(hostile arp-ok)"
usnap u arpbad
assert_eq "malformed ARP: no reply" "none" "$(hostile arp-bad)"
assert_eq "hlen 8 counted" 1 "$(udelta u arpbad arp_bad_hw)"
assert_eq "plen 16 and ptype 0x86dd counted" 2 "$(udelta u arpbad arp_bad_proto)"
assert_eq "no ARP reply sent" 0 "$(udelta u arpbad arp_tx_reply)"
pass "malformed ARP ignored"

# ARP spoofing of usagi's own address: the first claim is defended with a
# gratuitous ARP, the second (within 10 s) only counted; the address stays.
usnap u spoof
assert_eq "spoofed ARP reply is defended" "defended" "$(hostile arp-spoof reply)"
assert_eq "spoofed gratuitous ARP within DEFEND_INTERVAL" "none" "$(hostile arp-spoof garp)"
assert_eq "arp_spoof_local" 2 "$(udelta u spoof arp_spoof_local)"
assert_eq "inet4_defend" 1 "$(udelta u spoof inet4_defend)"
assert_eq "inet4_defend_limited" 1 "$(udelta u spoof inet4_defend_limited)"
assert_eq "no neighbour entry for usagi's own address" "" "$(uneigh4 u 192.0.2.2)"
assert_no_match "no neighbour entry with the spoofing MAC" "02:00:5e:00:53:66" "$(uctl u neigh show)"
out=$(uctl u addr show dev tap0)
assert_match "address kept, no conflict flag" "^    inet 192\.0\.2\.2/24 brd 192\.0\.2\.255 scope global tap0$" "$out"
assert_match "kernel still maps 192.0.2.2 to usagi's MAC" "^$umac " "$(kneigh4 "$K" tap0 192.0.2.2)"
out=$(k ping -c 2 -W 2 192.0.2.2) || fail "ping after ARP spoofing: $out"
out=$(uctl u ping 192.0.2.1 -c 1) || fail "usagi ping after ARP spoofing: $out"
pass "ARP spoofing of the local address"

usnap u flood
assert_eq "fragment flood" "sent 3000" "$(hostile flood 3000)"
node_alive u || fail "usagi died in the fragment flood"
[ "$(udelta u flood frag4_in)" -ge 3000 ] || fail "flood: frag4_in rose by only $(udelta u flood frag4_in)"
log "flood: frag4_evict +$(udelta u flood frag4_evict), frag4_nomem +$(udelta u flood frag4_nomem), pkt_alloc_fail +$(udelta u flood pkt_alloc_fail)"
pass "fragment flood survived"

# Still healthy: plain and fragmented echo, both directions.
out=$(k ping -c 3 -W 2 192.0.2.2) || fail "ping after hostile input: $out"
ping_summary_ok "ping after hostile input" 3 "$out"
out=$(k ping -c 2 -W 2 -s 4000 192.0.2.2) || fail "ping -s 4000 after fragment flood: $out"
ping_summary_ok "fragmented ping after flood" 2 "$out"
assert_match "pkt pool not exhausted" "^pkt_alloc_fail 0$" "$(uctl u stats)"
node_alive u || fail "usagi node died"
echo "hostile4: all passed"
