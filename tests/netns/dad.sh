#!/usr/bin/env bash
# Duplicate Address Detection against the kernel, which holds 2001:db8:1::2.
#
#   +---------------- ns $K ----------------+
#   |  kernel                               |
#   |  tap0  2001:db8:1::1/64               |
#   |        2001:db8:1::2/64  (defends it) |
#   +----|----------------------------------+
#        |  DAD NS from :: -> kernel's NA
#   +----|----------------------------------+
#   |  usagi node "u"                       |
#   |  tap0  2001:db8:1::2/64 -> dadfailed  |
#   |        2001:db8:1::3/64 -> preferred  |
#   +---------------------------------------+
#
# Proves: RFC 4862 5.4: usagi probes a new address with an NS from ::, the
# kernel's defending NA makes it dadfailed (and unusable); an address nobody
# holds becomes usable after the probe; a nodad address is usable at once.
source "$(dirname "$0")/lib/common.sh"
netns_setup dad

k() { in_ns "$K" "$@"; }

single_tap_setup K tap0 u 2001:db8:1::1/64 2001:db8:1::2/64 <<EOF
sysctl net.ipv6.conf.tap0.dad_transmits=1
EOF
wait_until 5 bash -c "ip -n '$K' link show tap0 | grep -q LOWER_UP" || fail "tap0 has no carrier"

# Let the link-local address finish its own DAD first, so the counters below are ours.
ll_ready() { uctl u addr show dev tap0 | grep -E 'inet6 fe80:.* scope link' | grep -qv tentative; }
wait_until 5 ll_ready || fail "link-local still tentative after 5 s: $(uctl u addr show dev tap0)"
failed0=$(ustat u addrconf_dad_failed)
probes0=$(ustat u addrconf_dad_probe)
uctl u addr add 2001:db8:1::2/64 dev tap0
uctl u addr add 2001:db8:1::3/64 dev tap0
out=$(uctl u addr show dev tap0)
# Right after adding, before any answer could come back, both are tentative.
assert_match "new address tentative" "^    inet6 2001:db8:1::3/64 scope global tentative" "$out"

dad_failed() { uctl u addr show dev tap0 | grep -Eq '^    inet6 2001:db8:1::2/64 scope global .*dadfailed'; }
wait_until 5 dad_failed || fail "2001:db8:1::2 not dadfailed after 5 s: $(uctl u addr show dev tap0)"
assert_eq "addrconf_dad_failed" "$((failed0 + 1))" "$(ustat u addrconf_dad_failed)"
pass "duplicate 2001:db8:1::2 is dadfailed"

dad_ok() { uctl u addr show dev tap0 | grep -E '^    inet6 2001:db8:1::3/64 scope global' | grep -qv tentative; }
wait_until 5 dad_ok || fail "2001:db8:1::3 still tentative after 5 s: $(uctl u addr show dev tap0)"
out=$(uctl u addr show dev tap0)
assert_match "unique address listed" "^    inet6 2001:db8:1::3/64 scope global" "$out"
assert_no_match "unique address flags" "2001:db8:1::3/64 .*(tentative|dadfailed)" "$out"
assert_eq "one DAD probe per address (dad_transmits=1)" "$((probes0 + 2))" "$(ustat u addrconf_dad_probe)"
pass "unique 2001:db8:1::3 became preferred"

# The usable address works; the dadfailed one is not usable as a source
# and usagi does not answer for it (the kernel's own address stays the only one).
out=$(k ping -6 -c 2 -W 2 -I 2001:db8:1::1 2001:db8:1::3) || fail "kernel ping 2001:db8:1::3: $out"
ping_summary_ok "kernel ping preferred address" 2 "$out"
if out=$(uctl u ping 2001:db8:1::1 -c 1 -I 2001:db8:1::2 2>&1); then
	fail "usagi sent from a dadfailed address: $out"
fi
k ip -6 neigh flush dev tap0
out=$(k ndisc6 -n -r 1 -w 1000 2001:db8:1::2 tap0 2>&1) || true
umac=$(mac_of u tap0)
assert_no_match "usagi answered NS for its dadfailed address" "^Target link-layer address: ${umac^^}$" "$out"
pass "dadfailed address unused"

# nodad: usable at once.
uctl u addr add 2001:db8:1::4/64 dev tap0 nodad
out=$(uctl u addr show dev tap0)
assert_match "nodad address" "^    inet6 2001:db8:1::4/64 scope global" "$out"
assert_no_match "nodad address not tentative" "2001:db8:1::4/64 .*tentative" "$out"
pass "nodad address usable at once"

# The address usagi lost belongs to the kernel: usagi must send to it on
# the link, not loop it back to itself (a dadfailed address is not ours).
out=$(k ping -6 -c 2 -W 2 -I 2001:db8:1::2 2001:db8:1::3) ||
	fail "the owner of 2001:db8:1::2 cannot reach usagi (replies looped back?): $out"
ping_summary_ok "kernel ping from the address usagi lost" 2 "$out"
pass "the kernel's 2001:db8:1::2 reachable from usagi"

node_alive u || fail "usagi node died"
echo "dad: all passed"
