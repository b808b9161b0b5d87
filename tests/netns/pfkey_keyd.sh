#!/usr/bin/env bash
# A key daemon over PF_KEY: ACQUIRE -> GETSPI + UPDATE / ADD -> protected
# traffic -> soft EXPIRE -> rekey -> hard EXPIRE, between two usagi nodes,
# all over the nodes' real DIR/pfkey sockets.
#
#   +------------------------------ ns $K -------------------------------+
#   |   kernel bridge br0 (no addresses: it only carries frames)         |
#   |        tap0 ----------------------------------- tap1               |
#   +---------|-------------------------------------------|--------------+
#   +---------|-----------+                     +---------|--------------+
#   | usagi node A        |                     | usagi node B           |
#   | tap0 192.0.2.1/24   |                     | tap1 192.0.2.2/24      |
#   | SPD: A<->B esp/transport//require, no SAs | (mirrored)             |
#   +----|----------------+                     +----|-------------------+
#        | $TMP/A.ctl/pfkey                          | $TMP/B.ctl/pfkey
#        +------------- netns_keyd (tests/netns/keyd.c) ---+
#                       + `usagi setkey -x` on A (monitor)
#
# netns_keyd uses only include/usagi/pfkey.h and the PF_KEY codec: it
# REGISTERs for ESP on both nodes, and on A's ACQUIRE installs both
# directions (GETSPI + UPDATE on the receiver, ADD on the sender,
# aes-cbc + hmac-sha1) with soft 3 s / hard 6 s lifetimes; the soft
# EXPIRE of each sender's SA makes it rekey that direction (new SPI, no
# lifetimes), the hard EXPIRE removes the old SAs.
#
# Proves: the REGISTER replies list the node's algorithms; A's first echo
# request, with no SA, is refused (EAGAIN, nothing sent in clear) and makes
# exactly one ACQUIRE (src A, dst B) reach the daemon; then 26 pings all
# come back across the rekey and the hard expiry; on the wire (A's `link
# capture`) every ICMP packet between A and B is ESP: tshark, given the
# esp_sa records A itself wrote (`ipsec esp-sa`, taken once per
# generation), verifies every ICV and decrypts every packet to an echo
# request A->B or reply B->A; packets use the
# first SPIs, then the new ones and never the old ones again; soft EXPIREs
# arrive for the first generation and hard EXPIREs for the same SPIs;
# afterwards `usagi setkey -D` on both nodes shows exactly the second
# generation (mature), and `usagi setkey -x` on A saw the ACQUIRE, the
# GETSPI/UPDATE/ADD and both EXPIREs.
source "$(dirname "$0")/lib/common.sh"
netns_setup pfkey_keyd
command -v tshark >/dev/null 2>&1 || fail "tshark not installed (scripts/bootstrap installs it)"
BIN=${USAGI_BIN_DIR:-$(dirname "$USAGI")}
KEYD=$BIN/netns_keyd
[ -x "$KEYD" ] || fail "$KEYD not built"

bridged_nodes K A=192.0.2.1/24 B=192.0.2.2/24

# In clear first: the bridge works and ARP is done.
out=$(uctl A ping 192.0.2.2 -c 1 -W 3) || fail "clear ping A -> B: $out"

# Policies only, no SAs: loaded through PF_KEY (usagi setkey -c).
for n in A B; do
	if [ $n = A ]; then me=1 peer=2; else me=2 peer=1; fi
	usetkey $n -c <<EOF || fail "setkey -c on $n"
spdadd 192.0.2.$me 192.0.2.$peer any -P out ipsec esp/transport//require;
spdadd 192.0.2.$peer 192.0.2.$me any -P in ipsec esp/transport//require;
EOF
done
assert_eq "no SAs yet on A" "No SAD entries." "$(usetkey A -D)"
assert_eq "A's SPD through PF_KEY (out, in, fwd twin)" 3 "$(usetkey A -DP | grep -c '^	esp/transport//require$')"

# The monitor on A, then the daemon.
usnap A x
"$USAGI" setkey --control "$TMP/A.ctl" -x --timeout 40 >"$TMP/x.txt" 2>&1 &
PIDS+=($!)
promisc_on() { [ "$(udelta A x pfkey_in_msgs)" -ge 1 ]; }   # its X_PROMISC arrived
wait_until 5 promisc_on || fail "setkey -x sent no X_PROMISC"
"$KEYD" --soft 3 --hard 6 --rekeys 1 --timeout 60 "$TMP/A.ctl" 192.0.2.1 "$TMP/B.ctl" 192.0.2.2 \
	>"$TMP/keyd.log" 2>&1 &
PIDS+=($!)
wait_until 10 grep -q '^registered node=B ' "$TMP/keyd.log" || fail "keyd did not register: $(cat "$TMP/keyd.log")"
for n in A B; do
	line=$(grep "^registered node=$n " "$TMP/keyd.log")
	[[ $line =~ auth=([0-9]+)\ encrypt=([0-9]+) ]] || fail "REGISTER reply: $line"
	[ "${BASH_REMATCH[1]}" -ge 6 ] && [ "${BASH_REMATCH[2]}" -ge 10 ] ||
		fail "node $n offers too few algorithms: $line"
done
pass "REGISTER (ESP) on both nodes: $(grep -c '^registered' "$TMP/keyd.log") replies with the algorithm lists"

uctl A link capture tap0 "$TMP/a.pcap" >/dev/null || fail "link capture"
# No SA: the first echo request is dropped (never sent in clear) and ACQUIREd;
# like iputils, ping gives up when its first request cannot leave.
if out=$(uctl A ping 192.0.2.2 -c 1 -W 1 2>&1); then fail "ping without an SA succeeded: $out"; fi
assert_match "the request without an SA is refused" '^usagi: ping: sendmsg: Resource temporarily unavailable$' "$out"
wait_until 5 grep -q '^installed gen=1 A>B' "$TMP/keyd.log" || fail "no SAs after the first ping: $(cat "$TMP/keyd.log")"
assert_eq "one ACQUIRE, from A for A -> B" "acquire node=A src=192.0.2.1 dst=192.0.2.2" \
	"$(grep '^acquire' "$TMP/keyd.log" | cut -d' ' -f1-4)"
uctl A ipsec esp-sa "$TMP/esp_sa.1" >/dev/null
pass "ACQUIRE -> GETSPI + UPDATE on the receiver, ADD on the sender: $(grep -c '^installed' "$TMP/keyd.log") directions"

uctl A ping 192.0.2.2 -c 26 -i 0.5 -W 1 >"$TMP/ping.txt" 2>&1 &
PING=$!
PIDS+=($PING)

rekeyed() { [ "$(grep -c '^rekeyed' "$TMP/keyd.log")" -ge 2 ]; }
wait_until 8 rekeyed || fail "no rekey after the soft EXPIRE: $(cat "$TMP/keyd.log")"
uctl A ipsec esp-sa "$TMP/esp_sa.2" >/dev/null

hard_done() { [ "$(grep -c ' hard ' "$TMP/keyd.log")" -ge 4 ]; }
wait_until 8 hard_done || fail "no hard EXPIREs: $(cat "$TMP/keyd.log")"
wait "$PING" || true
uctl A link capture tap0 off >/dev/null
cat "$TMP/keyd.log" >&2

# The SPIs of both generations, per direction.
spi() { awk -v g="gen=$1" -v d="$2" '$1 == "installed" && $2 == g && $3 == d { sub("spi=", "", $4); print $4 }' "$TMP/keyd.log"; }
AB1=$(spi 1 'A>B') AB2=$(spi 2 'A>B') BA1=$(spi 1 'B>A') BA2=$(spi 2 'B>A')
for v in "$AB1" "$AB2" "$BA1" "$BA2"; do [[ $v =~ ^0x[0-9a-f]{8}$ ]] || fail "SPIs: $AB1 $AB2 $BA1 $BA2"; done
[ "$AB1" != "$AB2" ] && [ "$BA1" != "$BA2" ] || fail "the rekey kept the SPI"

# EXPIREs: soft then hard for the first generation on both nodes, none for the second.
for s in "$AB1" "$BA1"; do
	for n in A B; do
		grep -q "^expire node=$n soft spi=$s " "$TMP/keyd.log" || fail "no soft EXPIRE of $s on $n"
		grep -q "^expire node=$n hard spi=$s " "$TMP/keyd.log" || fail "no hard EXPIRE of $s on $n"
	done
done
! grep -Eq "spi=($AB2|BA2) " <(grep '^expire' "$TMP/keyd.log") || fail "the second generation expired"
pass "soft and hard EXPIRE of $AB1/$BA1 on both nodes; rekeyed to $AB2/$BA2"

# The pings: none lost across the rekey and the hard expiry.
sum=$(grep 'packets transmitted' "$TMP/ping.txt") || fail "ping: $(cat "$TMP/ping.txt")"
[[ $sum =~ ^26\ packets\ transmitted,\ 26\ received ]] || fail "ping: $sum"
pass "ping across ACQUIRE, rekey and hard expiry: $sum"

# On the wire: nothing in clear, every ESP packet verified and decrypted by tshark.
raw() { HOME=$TMP/empty tshark -n -r "$TMP/a.pcap" "$@" 2>/dev/null; }
mkdir -p "$TMP/empty" "$TMP/home/.config/wireshark"
assert_eq "no clear ICMP echo between A and B once the policies were in" 0 \
	"$(raw -Y 'icmp && !esp' -T fields -e frame.number | wc -l)"
sort -u "$TMP/esp_sa.1" "$TMP/esp_sa.2" | grep '^"IPv4"' >"$TMP/home/.config/wireshark/esp_sa"
assert_eq "esp_sa records for both generations, both directions" 4 "$(wc -l <"$TMP/home/.config/wireshark/esp_sa")"
HOME=$TMP/home tshark -n -r "$TMP/a.pcap" -o esp.enable_encryption_decode:TRUE \
	-o esp.enable_authentication_check:TRUE -Y esp \
	-T fields -e ip.src -e esp.spi -e esp.icv_good -e icmp.type 2>/dev/null >"$TMP/esp.txt"
nesp=$(wc -l <"$TMP/esp.txt")
[ "$nesp" -ge 48 ] || fail "only $nesp ESP packets captured"
bad=$(awk '!(($1 == "192.0.2.1" && $4 == 8) || ($1 == "192.0.2.2" && $4 == 0)) || $3 != 1' "$TMP/esp.txt")
[ -z "$bad" ] || fail "ESP packets that did not verify or decrypt to an echo:
$bad"
pass "tshark: all $nesp ESP packets verified (ICV) and decrypted to echo request/reply"

# Traffic moved to the new SAs and never went back.
order() { # SRC OLD NEW: the sequence of generations of SRC's packets, run-length collapsed
	awk -v s="$1" -v o="$2" -v n="$3" '$1 == s { g = $2 == o ? 1 : $2 == n ? 2 : "?"; if (g != last) printf "%s", g; last = g } END { print "" }' "$TMP/esp.txt"
}
assert_eq "A -> B: the first SA, then the new one" 12 "$(order 192.0.2.1 "$AB1" "$AB2")"
assert_eq "B -> A: the first SA, then the new one" 12 "$(order 192.0.2.2 "$BA1" "$BA2")"
pass "traffic moved from $AB1/$BA1 to $AB2/$BA2 and stayed there"

# What is left, through PF_KEY: the second generation only, on both nodes.
for n in A B; do
	d=$(usetkey $n -D) || fail "setkey -D on $n"
	assert_eq "$n: two SAs left" 2 "$(grep -c 'state=mature' <<<"$d")"
	for s in "$AB2" "$BA2"; do
		assert_match "$n: SA $s" "^	esp mode=transport spi=[0-9]+\($s\) reqid=0" "$d"
	done
	assert_no_match "$n: old SAs gone" "\(($AB1|$BA1)\)" "$d"
done
pass "setkey -D over PF_KEY: $AB2 and $BA2 mature on both nodes, $AB1 and $BA1 gone"

# The monitor saw the whole exchange on A.
sleep 0.5
x=$(cat "$TMP/x.txt")
assert_match "-x: ACQUIRE" '^[A-Z][a-z][a-z] [ 0-9]{2} [0-9:]{8}\.[0-9]{6} SADB_ACQUIRE esp seq=[0-9]+ pid=0$' "$x"
assert_match "-x: the ACQUIRE's addresses" '^192\.0\.2\.1 192\.0\.2\.2$' "$x"
for t in SADB_GETSPI SADB_UPDATE SADB_ADD; do
	assert_match "-x: $t" " $t esp seq=[0-9]+ pid=[0-9]+$" "$x"
done
assert_match "-x: soft EXPIRE" ' SADB_EXPIRE esp seq=0 pid=0 soft$' "$x"
assert_match "-x: hard EXPIRE" ' SADB_EXPIRE esp seq=0 pid=0 hard$' "$x"
assert_match "-x: the SA in setkey -D form" "^	esp mode=transport spi=[0-9]+\($AB1\) reqid=0" "$x"
pass "setkey -x on A: ACQUIRE, GETSPI, UPDATE, ADD, soft and hard EXPIRE"
node_alive A && node_alive B || fail "a node died"
echo "pfkey_keyd: all passed"
