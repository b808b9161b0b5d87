#!/usr/bin/env bash
# Wireshark's ESP SA file from `ipsec esp-sa`, checked with tshark 4.0.
# No namespaces: one usagi node with no links, on a private control socket.
#
#   unit_test_setkey_esp_sa --> capture.pcap  (one ESP datagram per SA,
#        (USAGI_ESP_SA_DIR)     made with usagi's ESP codec)
#                          --> sas.conf      (the setkey statements)
#                          --> esp_sa        (written from the test's stack)
#                          --> expected.txt  (SPI and UDP payload per packet)
#
#   usagi ctl setkey -c < sas.conf  -->  usagi node  --> ipsec esp-sa node_esp_sa
#
#   tshark -r capture.pcap, with node_esp_sa as ~/.config/wireshark/esp_sa
#
# Proves: every algorithm Wireshark has (AES-CBC/CTR/GCM-8/12/16, 3DES, DES,
# CAST5, Blowfish, Twofish, NULL; HMAC-SHA1/256/384/512, MD5, RIPEMD-160)
# decrypts to the exact UDP payload and its ICV verifies (esp.icv_good),
# IPv6 and IPv4; the records tshark takes from the profile file are the same
# a node writes after `usagi ctl setkey -c` (comments, several lines per
# statement and quoted keys with blanks and `#` carried intact); the `# not
# supported` comment lines are accepted; a record given with `-o uat:esp_sa:`
# works alike; a wrong key fails the ICV (negative check); and `setkey -c`
# stops at a refused statement and names its line.
source "$(dirname "$0")/lib/common.sh"

command -v tshark >/dev/null 2>&1 || skip "tshark not installed"
BIN=${USAGI_BIN_DIR:-$(dirname "$USAGI")}
UNIT=$BIN/unit_test_setkey_esp_sa
[ -x "$UNIT" ] || fail "$UNIT not built"

TMP=$(mktemp -d /tmp/usagi-esp_sa-XXXXXX)
NODE_PID=
finish() {
	local rc=$?
	set +e
	if [ -n "$NODE_PID" ]; then
		kill "$NODE_PID" 2>/dev/null
		for _ in $(seq 30); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$NODE_PID" 2>/dev/null
		wait "$NODE_PID" 2>/dev/null
	fi
	[ "$rc" -ne 0 ] && [ -f "$TMP/node.log" ] && tail -n 40 "$TMP/node.log" >&2
	rm -rf "$TMP"
	exit "$rc"
}
trap finish EXIT

USAGI_ESP_SA_DIR=$TMP "$UNIT" >"$TMP/unit.log" 2>&1 || { cat "$TMP/unit.log" >&2; fail "unit test failed"; }
for f in capture.pcap esp_sa expected.txt sas.conf; do
	[ -s "$TMP/$f" ] || fail "$f not written"
done

# A node with no links; its control socket in $TMP.
echo "log error" >"$TMP/node.conf"
"$USAGI" node -c "$TMP/node.conf" --control "$TMP/ctl" >"$TMP/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 50); do [ -S "$TMP/ctl/ctl" ] && break; sleep 0.1; done
[ -S "$TMP/ctl/ctl" ] || fail "node did not start"
u() { "$USAGI" ctl --control "$TMP/ctl" "$@"; }

u setkey -c <"$TMP/sas.conf" || fail "setkey -c refused sas.conf"
u ipsec esp-sa "$TMP/node_esp_sa"
diff -u "$TMP/esp_sa" "$TMP/node_esp_sa" || fail "the node's esp_sa differs from the test's"
pass "setkey -c to a node: the same SAs, the same esp_sa ($(grep -c '^"' "$TMP/node_esp_sa") records)"

# The profile-file way: ~/.config/wireshark/esp_sa.
mkdir -p "$TMP/home/.config/wireshark"
cp "$TMP/node_esp_sa" "$TMP/home/.config/wireshark/esp_sa"
decode() {
	HOME=$1 tshark -n -r "$TMP/capture.pcap" -o esp.enable_encryption_decode:TRUE \
		-o esp.enable_authentication_check:TRUE "${@:2}" \
		-T fields -e esp.spi -e esp.icv_good -e data.data 2>/dev/null
}
decode "$TMP/home" >"$TMP/tshark.txt"
n=0
while read -r spi payload; do
	n=$((n + 1))
	line=$(grep "^$spi	" "$TMP/tshark.txt") || fail "$spi: no packet in tshark's output"
	got=$(cut -f3 <<<"$line")
	[ "$got" = "$payload" ] || fail "$spi: decrypted payload $got, expected $payload"
	icv=$(cut -f2 <<<"$line")
	if [ "$spi" = 0x00001011 ]; then
		[ -z "$icv" ] || fail "$spi: no integrity algorithm, yet icv_good=$icv"
	else
		[ "$icv" = 1 ] || fail "$spi: ICV not verified (icv_good=$icv)"
	fi
done <"$TMP/expected.txt"
[ "$n" -eq 19 ] || fail "expected 19 packets, checked $n"
grep -q '^0x00001012	1	' "$TMP/tshark.txt" || fail "the IPv4 SA did not verify"
pass "tshark decrypts all $n packets with the esp_sa file, every ICV good"

# The command-line way: one record with -o uat:esp_sa:.
rec=$(grep '"0x00001001"' "$TMP/node_esp_sa")
mkdir -p "$TMP/empty"
decode "$TMP/empty" -o "uat:esp_sa:$rec" | grep -q "^0x00001001	1	$(grep '^0x00001001 ' "$TMP/expected.txt" | cut -d' ' -f2)\$" ||
	fail "-o uat:esp_sa: record did not decrypt 0x00001001"
pass "the same record works as -o uat:esp_sa:"

# Negative: a wrong integrity key fails the ICV, and without any record nothing decrypts.
bad=$(sed 's/"HMAC-SHA-1-96 \[RFC2404\]","0x00/"HMAC-SHA-1-96 [RFC2404]","0xff/' <<<"$rec")
line=$(HOME=$TMP/empty tshark -n -r "$TMP/capture.pcap" -o esp.enable_encryption_decode:TRUE \
	-o esp.enable_authentication_check:TRUE -o "uat:esp_sa:$bad" -T fields -e esp.spi \
	-e esp.icv_bad 2>/dev/null | grep '^0x00001001	')
[ "$(cut -f2 <<<"$line")" = 1 ] || fail "a wrong key was not caught (icv_bad=$(cut -f2 <<<"$line"))"
! decode "$TMP/empty" | grep -q "$(grep '^0x00001001 ' "$TMP/expected.txt" | cut -d' ' -f2)" ||
	fail "decrypted without any SA"
pass "a wrong key fails the ICV; no SA, no plaintext"

# setkey -c stops at the first refused statement and names its line.
printf 'flush;\n# two good, then a bad key on line 4\nadd 2001:db8::1 2001:db8::2 esp 0x2000 -E aes-cbc 0x000102030405060708090a0b0c0d0e0f;\nadd 2001:db8::1 2001:db8::2 esp 0x2001\n  -E aes-cbc 0x0001 ;\nadd 2001:db8::1 2001:db8::2 esp 0x2002 -E aes-cbc 0x000102030405060708090a0b0c0d0e0f;\n' \
	>"$TMP/bad.conf"
if u setkey -c <"$TMP/bad.conf" 2>"$TMP/bad.err"; then fail "setkey -c accepted a bad key"; fi
grep -q '^usagi: setkey: 1:51: -E aes-cbc: bad key (16 bits): key must be 128, 192 or 256 bits$' "$TMP/bad.err" ||
	{ cat "$TMP/bad.err" >&2; fail "no exact error from the node"; }
grep -q '^usagi: setkey: line 4: statement refused' "$TMP/bad.err" || fail "the failing line is not named"
u setkey -D >"$TMP/dump.txt"
grep -q 'spi=8192(0x00002000)' "$TMP/dump.txt" || fail "the statement before the bad one is missing"
! grep -q 'spi=8194(0x00002002)' "$TMP/dump.txt" || fail "a statement after the bad one was applied"
pass "setkey -c stops at line 4, keeps what came before"
