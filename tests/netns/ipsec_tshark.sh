#!/usr/bin/env bash
# usagi's ESP and IPComp output checked by tshark, from usagi's own capture
# and usagi's own Wireshark esp_sa file: every cipher and MAC both know
# (Twofish and RIPEMD-160 included, which scapy lacks), IPv6 and IPv4.
#
#   +---------------- ns $K ---------------------------------------+
#   |  kernel tap0 2001:db8:1::1/64, 192.0.2.1/24, and one address   |
#   |  per case (2001:db8:1::100.., 192.0.2.100..); drops ESP/IPComp |
#   |  (nft); python3 sockets send one datagram per case, in clear   |
#   +----|----------------------------------------------------------+
#        |  clear UDP ->   <- ESP / IPComp / ESP(IPComp) echoes
#   +----|----------------------------------------------------------+
#   |  usagi node "u": tap0 2001:db8:1::2/64, 192.0.2.2/24           |
#   |  service udp-echo 7007; one OUT SA + policy per case           |
#   |  link capture tap0 FILE; ipsec esp-sa FILE                     |
#   +---------------------------------------------------------------+
#
# Proves: for each case tshark, configured only by the esp_sa file usagi
# wrote (as a Wireshark profile file), finds exactly one packet under the
# case's SPI/CPI, reports esp.icv_good for every SA with a MAC or an AEAD,
# and decrypts (and inflates, for IPComp) it to usagi's echo: UDP
# 7007 -> 9009 from usagi's address with the exact payload the kernel sent.
# IPComp alone and inside ESP null/null; the compressed cases count in
# ipcomp_out_compressed.
source "$(dirname "$0")/lib/common.sh"
netns_setup ipsec_tshark
command -v tshark >/dev/null || skip "tshark not installed"

k() { in_ns "$K" "$@"; }
case_py() { "$PY" "$NETNS_LIB/ipsec_tshark.py" "$@"; }

single_tap_setup K tap0 u 2001:db8:1::1/64 192.0.2.1/24 <<EOF
addr add 2001:db8:1::2/64 dev tap0 nodad
addr add 192.0.2.2/24 dev tap0 nodad
service udp-echo 7007
EOF
need_setkey u
for a in $(case_py addrs); do
	case $a in
	*:*) ip -n "$K" addr add "$a" dev tap0 nodad ;;
	*) ip -n "$K" addr add "$a" dev tap0 ;;
	esac
done
kernel_no_ipsec "$K"

case_py setkey >"$TMP/cases.conf"
# Two SAs (no traffic) with algorithms Wireshark 4.0 lacks: esp-sa must
# write them as comments, not as records tshark would refuse.
cat >>"$TMP/cases.conf" <<'EOF'
add 2001:db8:1::2 2001:db8:1::fe esp 0x6001 -m transport -E chacha20-poly1305 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223;
add 2001:db8:1::2 2001:db8:1::fe esp 0x6002 -m transport -E serpent-cbc 0x000102030405060708090a0b0c0d0e0f -A aes-xcbc-mac 0x000102030405060708090a0b0c0d0e0f;
EOF
out=$(uctl u setkey -f "$TMP/cases.conf" 2>&1) || fail "setkey -f: $out"
ncases=$(case_py addrs | wc -l)

usnap u run
uctl u link capture tap0 "$TMP/esp.pcap" >/dev/null || fail "link capture failed"
k "$PY" "$NETNS_LIB/ipsec_tshark.py" send
echoed() { [ "$(udelta u run udp_echo_replied)" -ge "$ncases" ]; }
wait_until 10 echoed || fail "usagi echoed $(udelta u run udp_echo_replied) of $ncases datagrams"
sleep 0.5
uctl u link capture tap0 off >/dev/null
assert_eq "every echo went out through IPsec" "$ncases" "$(udelta u run xfrm_out_ok)"
assert_eq "IPComp compressed both IPComp cases per family" 4 "$(udelta u run ipcomp_out_compressed)"

mkdir -p "$TMP/xdg/wireshark"
out=$(uctl u ipsec esp-sa "$TMP/xdg/wireshark/esp_sa" 2>&1) || fail "ipsec esp-sa: $out"
[ -s "$TMP/xdg/wireshark/esp_sa" ] || fail "ipsec esp-sa wrote nothing"
sa_file=$(cat "$TMP/xdg/wireshark/esp_sa")
assert_eq "one esp_sa record per ESP SA tshark can use" 40 "$(grep -c '^"IPv' <<<"$sa_file")"
assert_match "ChaCha20-Poly1305 SA left as a comment" \
	'^# 2001:db8:1::2 -> 2001:db8:1::fe spi 0x00006001: chacha20-poly1305 .*not supported by Wireshark$' "$sa_file"
assert_match "Serpent SA left as a comment" \
	'^# 2001:db8:1::2 -> 2001:db8:1::fe spi 0x00006002: serpent-cbc .*not supported by Wireshark$' "$sa_file"

# shellcheck disable=SC2046 # word splitting of the -e options is intended
XDG_CONFIG_HOME=$TMP/xdg tshark -n -r "$TMP/esp.pcap" \
	-o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE \
	-Y '(esp || ipcomp) && !icmp && !icmpv6' -T fields -E separator=/t $(case_py fields) \
	>"$TMP/fields.txt" 2>"$TMP/tshark.err" || fail "tshark: $(cat "$TMP/tshark.err")"
set +e
case_py check "$TMP/fields.txt" >"$TMP/check.out"
rc=$?
set -e
cat "$TMP/check.out"
[ "$rc" -eq 0 ] || fail "tshark did not verify every case; esp_sa was:
$(cat "$TMP/xdg/wireshark/esp_sa")"
pass "$(tail -n 1 "$TMP/check.out")"

# Negative: a wrong key in the esp_sa file must make tshark's ICV check fail
# (so icv_good above was a real check).
awk 'BEGIN { FS = OFS = "\",\"" }
	!done && $7 ~ /^HMAC-SHA-1-96/ { $8 = "0x" (substr($8, 3, 1) == "0" ? "1" : "0") substr($8, 4); done = 1 }
	{ print }' "$TMP/xdg/wireshark/esp_sa" >"$TMP/bad_sa"
if ! cmp -s "$TMP/bad_sa" "$TMP/xdg/wireshark/esp_sa"; then
	cp "$TMP/bad_sa" "$TMP/xdg/wireshark/esp_sa"
	bad=$(XDG_CONFIG_HOME=$TMP/xdg tshark -n -r "$TMP/esp.pcap" \
		-o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE \
		-Y 'esp.icv_bad == 1 && !icmp && !icmpv6' -T fields -e esp.spi 2>/dev/null | wc -l)
	assert_eq "one SA with a corrupted MAC key: one packet with a bad ICV" 1 "$bad"
	pass "tshark's ICV check is real (corrupted key -> icv_bad)"
fi
node_alive u || fail "usagi node died"
echo "ipsec_tshark: all passed"
