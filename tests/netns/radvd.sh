#!/usr/bin/env bash
# SLAAC from a real router: radvd in a kernel namespace advertises
# 2001:db8:5::/64; usagi (a host, accept_ra and autoconf by default) forms
# its EUI-64 address, runs DAD on it, and installs a default route.
#
#   +---------------- ns $K ----------------+
#   |  kernel, forwarding=1, radvd          |
#   |  tap0  2001:db8:5::1/64, fe80::...    |
#   +----|----------------------------------+
#        |  RA: prefix 2001:db8:5::/64 A L
#   +----|----------------------------------+
#   |  usagi node "u" (host, no address     |
#   |  configured by hand)                  |
#   |  tap0  -> 2001:db8:5::<EUI-64> dynamic|
#   +---------------------------------------+
#
# Proves: RA and Prefix Information parsing against radvd (RFC 4861 6.3.4,
# RFC 4862 5.5.3), EUI-64 interface identifiers (RFC 4291), DAD ending in a
# preferred address, a default route via the router's link-local address,
# and that the new address works (the kernel pings it). Negative: a prefix
# without the A flag forms no address.
source "$(dirname "$0")/lib/common.sh"
netns_setup radvd
need_cmd radvd

ns_add K
tap_add "$K" tap0
k() { in_ns "$K" "$@"; }
k sysctl -qw net.ipv6.conf.all.forwarding=1

usagi_start u <<EOF
link add tap0 type tap netns $K
link set tap0 up
EOF
ip -n "$K" addr add 2001:db8:5::1/64 dev tap0 nodad
ip -n "$K" link set tap0 up

cat >"$TMP/radvd.conf" <<'EOF'
interface tap0 {
	AdvSendAdvert on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 4;
	prefix 2001:db8:5::/64 {
		AdvOnLink on;
		AdvAutonomous on;
	};
	prefix 2001:db8:6::/64 {
		AdvOnLink on;
		AdvAutonomous off;
	};
};
EOF
# Started after usagi attached (INTEROP.md: else RSs are answered ~5 s late).
bg_in_ns "$K" "$TMP/radvd.out" radvd -n -C "$TMP/radvd.conf" -p "$TMP/radvd.pid" -m logfile -l "$TMP/radvd.log"

mac=$(mac_of u tap0)
[ -n "$mac" ] || fail "no MAC in \`link show tap0\`: $(uctl u link show tap0)"
addr=$(eui64 2001:db8:5::/64 "$mac")
log "expecting SLAAC address $addr (MAC $mac)"

slaac_done() {
	uctl u addr show dev tap0 | grep -E "^ *inet6 $addr/64 scope global dynamic" | grep -qv tentative
}
wait_until 15 slaac_done || fail "no preferred SLAAC address $addr within 15 s:
$(uctl u addr show dev tap0)
radvd log: $(cat "$TMP/radvd.log" 2>/dev/null)"
out=$(uctl u addr show dev tap0)
assert_match "SLAAC address" "^    inet6 $addr/64 scope global dynamic" "$out"
assert_no_match "SLAAC address not tentative/dadfailed" "$addr/64 .*(tentative|dadfailed)" "$out"
assert_match "link-local address" "^    inet6 fe80::[0-9a-f:]+/64 scope link" "$out"
# Negative: 2001:db8:6::/64 has A=0, so no address from it.
assert_no_match "no address from a prefix without the A flag" "2001:db8:6:" "$out"
assert_eq "exactly one SLAAC address formed" 1 "$(ustat u addrconf_slaac)"
pass "SLAAC address $addr"

ll=$(kernel_ll "$K" tap0)
has_default() { uctl u route show | grep -q "^default via $ll dev tap0"; }
wait_until 5 has_default ||
	fail "no default route via $ll: $(uctl u route show)"
out=$(uctl u route show)
assert_match "default route via the router" "^default via $ll dev tap0( |$)" "$out"
assert_match "on-link prefix route" "^2001:db8:5::/64 dev tap0( |$)" "$out"
pass "default route via $ll"

out=$(k ping -6 -c 3 -W 2 "$addr") || fail "kernel ping $addr: $out"
ping_summary_ok "kernel ping SLAAC address" 3 "$out"
out=$(uctl u ping 2001:db8:5::1 -c 2) || fail "usagi ping router: $out"
ping_summary_ok "usagi ping router from SLAAC address" 2 "$out"
pass "SLAAC address answers ping"

node_alive u || fail "usagi node died"
echo "radvd: all passed"
