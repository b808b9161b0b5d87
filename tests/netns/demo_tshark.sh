#!/usr/bin/env bash
# The demo's captures through tshark 4.0, with the demo's own esp_sa file.
# No namespaces and no root: `usagi demo --out DIR` runs in simulation.
#
#   usagi demo --out $TMP/demo  -->  lan1.pcap lan2.pcap lan3.pcap esp_sa
#   tshark -r each, esp_sa as ~/.config/wireshark/esp_sa (ESP decrypted,
#   ICVs checked, IPComp inflated)
#
# Proves: every frame of every capture dissects without a malformed mark
# (_ws.malformed) and no ESP ICV fails; tshark decrypts the ESP of the
# IPsec act and of the Mobile IPv6 signalling (icv_good) and finds inside
# every Mobility Header message usagi sends in the demo: Binding Update,
# Binding Acknowledgement, Home Test Init, Care-of Test Init, Home Test,
# Care-of Test (mip6.mhtype 5, 6, 1, 2, 3, 4), with a Home Address option
# on BUs and a type 2 routing header on BAs; IPv6-in-IPv6 (the home
# agent's tunnel) is there too.
source "$(dirname "$0")/lib/common.sh"

command -v tshark >/dev/null 2>&1 || skip "tshark not installed"
TMP=$(mktemp -d /tmp/usagi-demo-tshark-XXXXXX)
trap 'rc=$?; rm -rf "$TMP"; exit $rc' EXIT

"$USAGI" demo --out "$TMP/demo" >"$TMP/demo.txt" 2>&1 || {
	tail -n 40 "$TMP/demo.txt" >&2
	fail "usagi demo failed"
}
[ -s "$TMP/demo/esp_sa" ] || fail "the demo wrote no esp_sa"
mkdir -p "$TMP/xdg/wireshark"
cp "$TMP/demo/esp_sa" "$TMP/xdg/wireshark/esp_sa"

ts() {
	XDG_CONFIG_HOME=$TMP/xdg tshark -n -o esp.enable_encryption_decode:TRUE \
		-o esp.enable_authentication_check:TRUE "$@"
}

types=
for pcap in "$TMP"/demo/*.pcap; do
	name=$(basename "$pcap")
	bad=$(ts -r "$pcap" -Y '_ws.malformed || _ws.expert.severity == error || esp.icv_bad == 1' 2>/dev/null | head -n 5)
	[ -z "$bad" ] || fail "$name: malformed, error or bad ICV frames:
$bad"
	n=$(ts -r "$pcap" 2>/dev/null | wc -l)
	pass "$name: $n frames, none malformed, no ICV failure"
	types+=" $(ts -r "$pcap" -Y mipv6 -T fields -e mip6.mhtype 2>/dev/null | tr '\n' ' ')"
done

for t in 1 2 3 4 5 6; do
	[[ " $types " == *" $t "* ]] || fail "no Mobility Header type $t in the demo's captures (seen:$types)"
done
pass "Mobility Header types 1-6 (HoTI CoTI HoT CoT BU BA) dissected"

# frames_matching FILTER: how many frames of all the captures match.
frames_matching() {
	local p
	for p in "$TMP"/demo/*.pcap; do
		ts -r "$p" -Y "$1" -T fields -e frame.number 2>/dev/null
	done | wc -l
}

n=$(frames_matching 'mip6.mhtype == 5 && ipv6.opt.type == 201')
[ "$n" -gt 0 ] || fail "no Binding Update with a Home Address option (type 201)"
pass "$n Binding Updates with a Home Address option"
n=$(frames_matching 'mip6.mhtype == 6 && ipv6.routing.type == 2')
[ "$n" -gt 0 ] || fail "no Binding Acknowledgement with a type 2 routing header"
pass "$n Binding Acknowledgements with a type 2 routing header"
n=$(frames_matching 'esp.icv_good == 1 && mipv6')
[ "$n" -gt 0 ] || fail "no ESP-protected Mobility Header decrypted with a good ICV"
pass "$n ESP-protected Mobility Header messages decrypted, ICV good"
n=$(frames_matching 'ipv6.nxt == 41')
[ "$n" -gt 0 ] || fail "no IPv6-in-IPv6 (home agent tunnel) in the demo"
pass "$n IPv6-in-IPv6 frames (the home agent's tunnel)"
