#!/usr/bin/env bash
# Mobile IPv6 against scapy: scapy is the mobile node, usagi the home agent
# and a correspondent.
#
#   +---- ns $H (home link) ----+              +------ ns $F (foreign link) ----+
#   | kernel host 2001:db8:1::50 |              | care-of 2001:db8:2::100        |
#   | (pings the home address)   |              | scapy (lib/mip6_peer.py): the  |
#   +---|------------------------+              | mobile node, home address      |
#       |                                       | 2001:db8:1::100                |
#       |        +---- usagi node "ha" -----+   +-----------|--------------------+
#       +--------| tap0 2001:db8:1::1/64    |               |
#                |   mip6 home-agent        |               |
#                | tap1 2001:db8:2::1/64    |---------------+
#                | tap2 2001:db8:3::1/64    |
#                | BU/BA under ESP (setkey) |
#                +---|----------------------+
#                    |  ns $C: bridge br0 (tap2, tap3)
#                +---|----------------------+
#                | tap3 2001:db8:3::2/64    |
#                |   mip6 correspondent on  |
#                +---- usagi node "cn" -----+
#
# Proves (RFC 6275, RFC 3776): an ESP-protected Binding Update with a Home
# Address option is accepted and answered by an ESP-protected BA to the
# care-of address with a type 2 routing header (status 0, our sequence,
# a lifetime); the home agent then defends the home address on the home
# link (proxy ND) and tunnels packets for it to the care-of address, and
# takes reverse-tunnelled packets from it; return routability with usagi's
# correspondent (HoT through the home agent's tunnel, CoT direct, tokens
# that give a Kbm under which the BU is accepted and the BA verifies) and
# route-optimised packets from the correspondent afterwards (RH2, not
# through the tunnel).
source "$(dirname "$0")/lib/common.sh"
netns_setup mip6_scapy
"$PY" -c 'import scapy.all, scapy.layers.ipsec, cryptography' 2>/dev/null ||
	skip "python3-scapy (with python3-cryptography) not installed"
need_cmd nft

ns_add H
ns_add F
ns_add C
tap_add "$H" tap0
tap_add "$F" tap1
tap_add "$C" tap2
tap_add "$C" tap3

usagi_start ha <<CONF
link add tap0 type tap netns $H
link add tap1 type tap netns $F
link add tap2 type tap netns $C
sysctl net.ipv6.conf.all.forwarding=1
link set tap0 up
link set tap1 up
link set tap2 up
addr add 2001:db8:1::1/64 dev tap0 nodad
addr add 2001:db8:2::1/64 dev tap1 nodad
addr add 2001:db8:3::1/64 dev tap2 nodad
CONF
usagi_start cn <<CONF
link add tap3 type tap netns $C
link set tap3 up
addr add 2001:db8:3::2/64 dev tap3 nodad
route add default via 2001:db8:3::1
CONF
ip -n "$C" link add br0 type bridge
ip -n "$C" link set tap2 master br0
ip -n "$C" link set tap3 master br0
ip -n "$C" link set tap2 up
ip -n "$C" link set tap3 up
ip -n "$C" link set br0 up
help=$(uctl ha help)
[[ $help == *mip6* ]] || fail "usagi has no mip6 command: $help"
ip -n "$H" addr add 2001:db8:1::50/64 dev tap0 nodad
ip -n "$F" addr add 2001:db8:2::100/64 dev tap1 nodad
ip -n "$H" link set tap0 up
ip -n "$F" link set tap1 up
ip -n "$H" -6 route add default via 2001:db8:1::1 dev tap0
# The care-of namespace's kernel must not answer what scapy handles:
# tunnelled packets, routing headers, ESP, Mobility Headers.
in_ns "$F" nft -f - <<'NFT'
table ip6 mn {
	chain in {
		type filter hook input priority 0;
		ip6 nexthdr { 41, 43, 50, 60, 135 } drop
	}
}
NFT

"$PY" "$NETNS_LIB/mip6_peer.py" setkey | uctl ha setkey -c >/dev/null || fail "setkey"
uctl ha mip6 home-agent dev tap0 || fail "mip6 home-agent"
uctl cn mip6 correspondent on || fail "mip6 correspondent on"

umac=$(mac_of ha tap1)
out=$(PYTHONPATH=$NETNS_LIB in_ns "$F" "$PY" "$NETNS_LIB/mip6_peer.py" run tap1 "$umac" "$H" "$USAGI" "$TMP/cn.ctl" 2>&1) ||
	fail "mobile node run: $out"$'\n'"ha: $(uctl ha mip6 binding show 2>&1)"$'\n'"cn: $(uctl cn mip6 binding show 2>&1)"$'\n'"$(uctl ha stats | grep -E '^(mip6|mh_)[a-z_]* [1-9]' || true)"$'\n'"$(uctl cn stats | grep -E '^(mip6|mh_)[a-z_]* [1-9]' || true)"
printf '%s\n' "$out" >&2

# The home agent's home registration and the correspondent's binding.
show=$(uctl ha mip6 binding show)
printf 'ha: %s\n' "$show" >&2
[[ $show == *"hoa 2001:db8:1::100 coa 2001:db8:2::100"*home-registration* ]] ||
	fail "home agent's binding show: $show"
show=$(uctl cn mip6 binding show)
printf 'cn: %s\n' "$show" >&2
[[ $show == *"hoa 2001:db8:1::100 coa 2001:db8:2::100"*route-optimisation* ]] ||
	fail "correspondent's binding show: $show"
# The home link's kernel learnt the home address at the home agent's MAC (proxy ND).
hmac=$(mac_of ha tap0)
in_ns "$H" ip -6 neigh show 2001:db8:1::100 | grep -qi "$hmac" ||
	fail "home link neighbour of the home address is not the HA: $(in_ns "$H" ip -6 neigh show)"
pass "proxy ND: home address at the home agent's MAC"
pass "mip6 with scapy as mobile node"
