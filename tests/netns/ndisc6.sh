#!/usr/bin/env bash
# Neighbor and Router Discovery answered by usagi, asked by ndisc6/rdisc6
# (tools we did not write).
#
#   +---------------- ns $K ----------------+
#   |  kernel + ndisc6 / rdisc6             |
#   |  tap0  2001:db8:1::1/64               |
#   +----|----------------------------------+
#        |  NS -> NA ; RS -> RA
#   +----|----------------------------------+
#   |  usagi node "u", forwarding=1,        |
#   |  ra tap0 on, prefix 2001:db8:7::/64   |
#   |  tap0  2001:db8:1::2/64               |
#   +---------------------------------------+
#
# Proves: usagi answers an NS for its address with a solicited NA carrying
# its own MAC as Target Link-Layer Address (RFC 4861 7.2.4); does not answer
# for addresses it does not own; as a router answers an RS with an RA whose
# Prefix Information and Source Link-Layer options rdisc6 decodes (6.2.6).
source "$(dirname "$0")/lib/common.sh"
netns_setup ndisc6
need_cmd ndisc6 rdisc6

k() { in_ns "$K" "$@"; }

single_tap_setup K tap0 u 2001:db8:1::1/64 <<EOF
addr add 2001:db8:1::2/64 dev tap0 nodad
EOF

mac=$(mac_of u tap0)
[ -n "$mac" ] || fail "no MAC in \`link show tap0\`: $(uctl u link show tap0)"
MAC=${mac^^}

# NS for our address -> NA with our MAC.
out=$(k ndisc6 -n -r 2 2001:db8:1::2 tap0) || fail "ndisc6 got no NA: $out"
assert_eq "ndisc6 output" "Soliciting 2001:db8:1::2 (2001:db8:1::2) on tap0...
Target link-layer address: $MAC
 from 2001:db8:1::2" "$out"
pass "ndisc6: NA with MAC $mac"

# The link-local address answers too (once its DAD is over).
ll=$(uctl u addr show dev tap0 | awk '/inet6 fe80:/ && !/tentative/ { sub("/.*", "", $2); print $2; exit }')
ll_ready() { uctl u addr show dev tap0 | grep -E 'inet6 fe80:' | grep -qv tentative; }
wait_until 5 ll_ready || fail "link-local still tentative: $(uctl u addr show dev tap0)"
ll=$(uctl u addr show dev tap0 | awk '/inet6 fe80:/ { sub("/.*", "", $2); print $2; exit }')
out=$(k ndisc6 -n -r 2 "$ll" tap0) || fail "ndisc6 $ll got no NA: $out"
assert_match "ndisc6 link-local" "^Target link-layer address: $MAC$" "$out"
pass "ndisc6: NA for link-local $ll"

# Negative: no NA for an address usagi does not have.
if out=$(k ndisc6 -n -r 2 -w 500 2001:db8:1::99 tap0 2>&1); then fail "NA for an address nobody has: $out"; fi
assert_match "ndisc6 negative" "^No response\.$" "$out"
pass "ndisc6: no NA for 2001:db8:1::99"

# Router side. Before `ra on`, usagi is a host: rdisc6 gets nothing.
if out=$(k rdisc6 -1 -r 1 -w 1000 tap0 2>&1); then fail "RA from usagi before ra on: $out"; fi
uctl u sysctl net.ipv6.conf.all.forwarding=1
uctl u ra tap0 prefix 2001:db8:7::/64
uctl u ra tap0 on
out=$(k rdisc6 -1 -r 3 -w 1500 tap0) || fail "rdisc6 got no RA: $out"
assert_match "RA prefix" "^ Prefix +: 2001:db8:7::/64$" "$out"
assert_match "RA source link-layer address" "^ Source link-layer address: $MAC$" "$out"
assert_match "RA router lifetime non-zero" "^Router lifetime +: +[1-9][0-9]* \(0x[0-9a-f]+\) seconds$" "$out"
assert_match "RA from usagi's link-local" "^ from $ll$" "$out"
pass "rdisc6: RA with prefix 2001:db8:7::/64"

# The kernel (a host here) takes the RA: SLAAC address from usagi's prefix.
kaddr_ok() { ip -n "$K" -6 addr show dev tap0 | grep -q 'inet6 2001:db8:7:'; }
k sysctl -qw net.ipv6.conf.tap0.accept_ra=2
wait_until 15 kaddr_ok || fail "kernel did not autoconfigure from usagi's RA: $(ip -n "$K" -6 addr show dev tap0)"
assert_match "kernel default route via usagi" "^default via $ll dev tap0 proto ra" "$(ip -n "$K" -6 route show)"
pass "kernel autoconfigured from usagi's RA"

node_alive u || fail "usagi node died"
echo "ndisc6: all passed"
