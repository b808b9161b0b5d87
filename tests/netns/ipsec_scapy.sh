#!/usr/bin/env bash
# IPsec interoperability with scapy's SecurityAssociation: every cipher and
# MAC both have, ESP, AH and IPComp, transport and tunnel mode in every
# IPv4/IPv6 nesting, ESN on and off, bundles, fragmented ESP/AH.
#
#   +---------------- ns $K ------------------------------------------+
#   |  kernel tap0 2001:db8:1::1/64, 192.0.2.1/24 (drops ESP/AH/IPComp |
#   |  itself with nft when nft exists); scapy (lib/ipsec_peer.py)     |
#   |  sends and sniffs on tap0, playing a host (transport) or a       |
#   |  gateway for 2001:db8:99::/64 and 198.51.100.0/24 (tunnel)       |
#   +----|-------------------------------------------------------------+
#        |  ESP/AH/IPComp frames ->   <- protected answers
#   +----|-------------------------------------------------------------+
#   |  usagi node "u": tap0 2001:db8:1::2/64, 192.0.2.2/24              |
#   |  routes to the two inner prefixes via the kernel's addresses     |
#   |  service udp-echo 7; answers pings                                |
#   +------------------------------------------------------------------+
#
# For each case scapy loads a fresh SA pair and policy pair into usagi
# (`setkey -f` starting with `flush; spdflush;`: one node for the whole
# run; -f because a case's configuration can exceed one control line of
# 4095 bytes), sends a UDP datagram to port 7 or an ICMP echo request under the
# inbound SA and checks usagi's answer under the outbound SA.
# Proves per case, per direction:
#   in:  usagi decapsulated scapy's packet (esp_in_ok / ah_in_ok /
#        ipcomp_in_ok grew; fragments: frag*_ok) and delivered it (its echo
#        service answered);
#   out: scapy verified the ICV of usagi's answer, decrypted (inflated) it,
#        and found the expected echo (addresses, ports or id/seq, payload,
#        checksum).
# The table of every case goes to stdout; any FAIL fails the test. IPv6
# transport policies select UDP only, so Neighbour Discovery between the
# two hosts stays in clear. Negative controls: with a wrong key on scapy's
# side every inbound cell fails (usagi counts the ICV failures, echoes
# nothing) and every outbound cell fails. Also: `ipsec sa show` / `ipsec
# policy show` print what setkey loaded, and after `flush; spdflush;`
# usagi answers in clear again.
source "$(dirname "$0")/lib/common.sh"
netns_setup ipsec_scapy
"$PY" -c 'import scapy.all, scapy.layers.ipsec, cryptography' 2>/dev/null ||
	skip "python3-scapy (with python3-cryptography) not installed"

k() { in_ns "$K" "$@"; }

single_tap_setup K tap0 u 2001:db8:1::1/64 192.0.2.1/24 <<EOF
addr add 2001:db8:1::2/64 dev tap0 nodad
addr add 192.0.2.2/24 dev tap0 nodad
route add 2001:db8:99::/64 via 2001:db8:1::1
route add 198.51.100.0/24 via 192.0.2.1
service udp-echo 7
EOF

need_setkey u

# The kernel has no ESP/AH/IPComp: keep it from answering usagi's packets
# with ICMP errors (it still sees them; scapy sniffs before netfilter).
kernel_no_ipsec "$K"

tap_macs u "$K" tap0

# Both sides learn each other's MAC in clear, before any policy exists.
out=$(k ping -6 -c 1 -W 2 2001:db8:1::2) || fail "initial ping6: $out"
out=$(k ping -4 -c 1 -W 2 192.0.2.2) || fail "initial ping4: $out"

# setkey, sa show, policy show on a known configuration.
cat >"$TMP/show.conf" <<'EOF'
flush;
spdflush;
add 2001:db8:1::1 2001:db8:1::2 esp 0x1234 -m transport -E aes-cbc 0x000102030405060708090a0b0c0d0e0f -A hmac-sha1 0x000102030405060708090a0b0c0d0e0f10111213;
add 2001:db8:1::2 2001:db8:1::1 esp 0x4321 -m transport -E aes-cbc 0x0f0e0d0c0b0a09080706050403020100 -A hmac-sha1 0x131211100f0e0d0c0b0a09080706050403020100;
spdadd 2001:db8:1::1/128 2001:db8:1::2/128 udp -P in ipsec esp/transport//require;
spdadd 2001:db8:1::2/128 2001:db8:1::1/128 udp -P out ipsec esp/transport//require;
EOF
out=$(uctl u setkey -f "$TMP/show.conf" 2>&1) || fail "setkey -f: $out"
sa=$(uctl u ipsec sa show)
assert_match "sa show: inbound SA" '^src 2001:db8:1::1 dst 2001:db8:1::2$' "$sa"
assert_match "sa show: its SPI and mode" '^	proto esp spi 0x00001234 reqid 0 mode transport$' "$sa"
assert_match "sa show: outbound SA" '^	proto esp spi 0x00004321 reqid 0 mode transport$' "$sa"
assert_match "sa show: cipher and key" '^	enc cbc\(aes\) 0x000102030405060708090a0b0c0d0e0f$' "$sa"
assert_match "sa show: MAC, key, truncation" \
	'^	auth-trunc hmac\(sha1\) 0x000102030405060708090a0b0c0d0e0f10111213 96$' "$sa"
pol=$(uctl u ipsec policy show)
assert_match "policy show: in policy" '^src 2001:db8:1::1/128 dst 2001:db8:1::2/128 proto udp$' "$pol"
assert_match "policy show: out policy" '^src 2001:db8:1::2/128 dst 2001:db8:1::1/128 proto udp$' "$pol"
assert_match "policy show: directions" '^	dir out ' "$pol"
assert_match "policy show: template" '^		proto esp reqid 0 mode transport$' "$pol"
pass "setkey -f, ipsec sa show, ipsec policy show"

# The matrix (one scapy process; usagi reconfigured per case).
set +e
k timeout 240 "$PY" "$NETNS_LIB/ipsec_peer.py" matrix tap0 "$kmac" "$umac" \
	"$USAGI" "$TMP/u.ctl" "$TMP" ${IPSEC_ONLY:+--only "$IPSEC_ONLY"} >"$TMP/matrix.out" 2>"$TMP/matrix.err"
rc=$?
set -e
cat "$TMP/matrix.out"
[ "$rc" -eq 0 ] || fail "IPsec matrix against scapy (rc $rc):
$(cat "$TMP/matrix.err")"
grep -q '^matrix: .* 0 failed' "$TMP/matrix.out" || fail "matrix summary missing"
pass "scapy matrix: $(grep '^matrix:' "$TMP/matrix.out")"

# Negative controls: the same machinery with a wrong key on scapy's side
# must fail where it should, so the PASS cells above are real checks.
# in: usagi refuses scapy's packets (ICV/tag mismatch counted), no answer;
# out: usagi answers, scapy cannot verify the answer.
neg='^(esp-tr6-aes-cbc-128-hmac-sha1-udp|esp-4in4-aes-gcm-16-128-udp|esp-6in4-chacha20-poly1305-icmp|ah-tr4-hmac-sha1-udp|ah-6in6-hmac-sha256-udp|esp\+ah-tr6-aes-cbc-128-hmac-sha1-udp)$'
negative() { # DIR: prints "COUNT IN/OUT" per verdict pair of the table rows
	k timeout 60 "$PY" "$NETNS_LIB/ipsec_peer.py" matrix tap0 "$kmac" "$umac" \
		"$USAGI" "$TMP/u.ctl" "$TMP" --only "$neg" --tamper "$1" --timeout 1 2>/dev/null |
		awk '$1 ~ /^[0-9]+$/ { n[$(NF - 1) "/" $NF]++ } END { for (v in n) print n[v], v }' || true
}
usnap u tamper
assert_eq "wrong keys on scapy's inbound SA: in and out fail" "6 FAIL/FAIL" "$(negative in)"
# (the bundle fails at its outer AH)
assert_eq "usagi counted the ESP ICV/tag failures" 3 "$(udelta u tamper esp_in_icv_fail)"
assert_eq "usagi counted the AH ICV failures" 3 "$(udelta u tamper ah_in_icv_fail)"
assert_eq "nothing echoed" 0 "$(udelta u tamper udp_echo_replied)"
assert_eq "wrong keys on scapy's outbound SA: in passes, out fails" "6 PASS/FAIL" "$(negative out)"
pass "negative controls: wrong keys fail in both directions"

# Flushed: the echo service answers in clear again (no policy left).
out=$(uctl u setkey -e 'flush; spdflush;' 2>&1) || fail "setkey -e flush: $out"
out=$(udp4 "$K" send 6 2001:db8:1::2 7 --sport 9009)
assert_eq "clear UDP echo after spdflush" "echo 2001:db8:1::2 7 32 same" "$out"
out=$(k ping -4 -c 1 -W 2 192.0.2.2) || fail "ping4 after spdflush: $out"
node_alive u || fail "usagi node died"
echo "ipsec_scapy: all passed"
