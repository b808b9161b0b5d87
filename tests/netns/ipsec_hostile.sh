#!/usr/bin/env bash
# Hostile ESP from scapy: usagi must drop each bad packet for the right
# reason (exactly one count under that reason's counter), deliver nothing
# of it, and keep working. This is the IPv6 run; ipsec_hostile4.sh runs
# this script with FAMILY=4 (the same cases over IPv4, see its picture).
#
#   +---------------- ns $K ------------------------------------+
#   |  kernel tap0 2001:db8:1::1/64 (drops ESP itself: nft)      |
#   |  scapy (lib/ipsec_hostile.py): sendp + sniff on tap0,      |
#   |  a host (transport SAs) and the gateway of 2001:db8:99::/64 |
#   +----|-------------------------------------------------------+
#        |  hostile ESP ->   <- ESP answers of the udp-echo service
#   +----|-------------------------------------------------------+
#   |  usagi node "u": tap0 2001:db8:1::2/64, service udp-echo 7  |
#   |  SAs: transport 0x3000 in / 0x3001 out (UDP),               |
#   |  tunnel 0x3100 in / 0x3101 out (2001:db8:99::/64); a policy |
#   |  for 2001:db8:98::/64 via another gateway, 2001:db8:1::3    |
#   |  (AES-CBC-128 + HMAC-SHA-256-128, replay window 64)         |
#   +------------------------------------------------------------+
#
# Proves, each case against its own counter (+1 exactly) and with no
# answer from the echo service: a replayed packet (xfrm_replay_dup), a
# sequence number left of the window (xfrm_replay_old), sequence number 0
# (xfrm_replay_invalid), ESP header only and ciphertext not a multiple of
# the block (esp_in_truncated), a header shorter than SPI + sequence
# (xfrm_in_truncated), padding not 1, 2, 3, ... and a pad length past the
# payload under a valid ICV (esp_in_bad_pad), a flipped ICV bit
# (esp_in_icv_fail), an unknown SPI (xfrm_in_no_state), a dummy packet
# (next header 59: esp_in_dummy), cleartext UDP where ESP is required and
# tunnel traffic whose inner source belongs to another gateway's policy
# (xfrm_spd_in_nomatch), tunnel traffic for which no policy exists
# (xfrm_in_tunnel_nopol), transport ESP whose source lies in the tunnel
# policy's prefix (xfrm_spd_in_nomatch), a tunnel payload of the other IP
# version than its next header names (xfrm_in_bad_inner); in each case no
# other IPsec drop counter moves. Positive controls before and after: good
# packets (scapy-built and hand-built) are answered.
source "$(dirname "$0")/lib/common.sh"
: "${FAMILY:=6}"
case $FAMILY in
6)
	netns_setup ipsec_hostile
	KADDR=2001:db8:1::1/64 UADDR=2001:db8:1::2/64 TUN_NET=2001:db8:99::/64
	;;
4)
	netns_setup ipsec_hostile4
	KADDR=192.0.2.1/24 UADDR=192.0.2.2/24 TUN_NET=198.51.100.0/24
	;;
*) fail "FAMILY must be 6 or 4, not '$FAMILY'" ;;
esac
"$PY" -c 'import scapy.all, scapy.layers.ipsec, cryptography' 2>/dev/null ||
	skip "python3-scapy (with python3-cryptography) not installed"

k() { in_ns "$K" "$@"; }

single_tap_setup K tap0 u "$KADDR" <<EOF
addr add $UADDR dev tap0 nodad
route add $TUN_NET via ${KADDR%/*}
service udp-echo 7
EOF
need_setkey u
kernel_no_ipsec "$K"
tap_macs u "$K" tap0
out=$(k ping -"$FAMILY" -c 1 -W 2 "${UADDR%/*}") || fail "initial ping: $out"

# The SAs and policies, loaded the way a user types them: one `setkey -e`
# per statement.
k "$PY" "$NETNS_LIB/ipsec_hostile.py" setkey "$FAMILY" >"$TMP/hostile.conf"
while IFS= read -r st; do
	out=$(uctl u setkey -e "$st" 2>&1) || fail "setkey -e '$st': $out"
done <"$TMP/hostile.conf"
sad=$(uctl u setkey -D)
assert_eq "four ESP SAs loaded" 4 \
	"$(printf '%s\n' "$sad" | grep -Ec '^[[:space:]]+esp mode=(transport|tunnel) ')"
assert_eq "each with a 64-packet replay window" 4 "$(printf '%s\n' "$sad" | grep -Ec 'replay=64 ')"

seq=1
# hostile CASE: runs one case with the next unused sequence numbers; its
# one-line verdict goes to $v (not a subshell: $seq must advance).
hostile() {
	v=$(k timeout 60 "$PY" "$NETNS_LIB/ipsec_hostile.py" "$1" tap0 "$kmac" "$umac" "$seq" "$FAMILY")
	seq=$((seq + 300))   # replay-old uses seq + 200
}
# IPsec input drops of every reason (the *_ok counters excluded).
drops() {
	uctl u stats | awk '$1 ~ /^(esp_in_|ah_in_|ipcomp_in_|xfrm_in_|xfrm_replay_|xfrm_spd_in_)/ &&
		$1 !~ /_ok$/ { s += $2 } END { print s + 0 }'
}
# drop CASE COUNTER [DECAPS [IPSEC]]: the case draws no answer; COUNTER
# grows by exactly 1 and the IPsec drop reasons together by IPSEC (1, the
# default: COUNTER is one of them and no other grows; 0: IP input dropped
# it before IPsec saw it); nothing reaches the echo service; esp_in_ok
# grows by DECAPS (0: refused before or at ESP, 1: the policy check after
# decapsulation refused it).
drop() {
	local d0
	d0=$(drops)
	usnap u "$1"
	hostile "$1"
	assert_eq "$1: no answer" "none" "$v"
	assert_eq "$1: $2" 1 "$(udelta u "$1" "$2")"
	assert_eq "$1: IPsec drop reasons counted" $((d0 + ${4:-1})) "$(drops)"
	assert_eq "$1: decapsulated" "${3:-0}" "$(udelta u "$1" esp_in_ok)"
	assert_eq "$1: nothing echoed" 0 "$(udelta u "$1" udp_echo_replied)"
	pass "$1 dropped ($2)"
}

usnap u good
hostile good
assert_eq "good packet answered" "reply" "$v"
assert_eq "good: esp_in_ok" 1 "$(udelta u good esp_in_ok)"
assert_eq "good: echoed" 1 "$(udelta u good udp_echo_replied)"
assert_eq "good: answer encapsulated" 1 "$(udelta u good esp_out_ok)"
hostile good-raw
assert_eq "hand-built good packet answered" "reply" "$v"
hostile good-tunnel
assert_eq "tunnel-mode good packet answered" "reply" "$v"
pass "positive controls (scapy, hand-built, tunnel)"

usnap u replay
hostile replay
assert_eq "replay: first answered, copy not" "reply none" "$v"
assert_eq "replay: xfrm_replay_dup" 1 "$(udelta u replay xfrm_replay_dup)"
assert_eq "replay: one echo" 1 "$(udelta u replay udp_echo_replied)"
pass "replayed packet dropped (xfrm_replay_dup)"

usnap u old
hostile replay-old
assert_eq "old: seq+200 answered, seq not" "reply none" "$v"
assert_eq "old: xfrm_replay_old" 1 "$(udelta u old xfrm_replay_old)"
assert_eq "old: one echo" 1 "$(udelta u old udp_echo_replied)"
pass "sequence number left of the window dropped (xfrm_replay_old)"

drop seq-zero xfrm_replay_invalid
drop header-only esp_in_truncated
drop short-header xfrm_in_truncated
drop misaligned esp_in_truncated
drop bad-padding esp_in_bad_pad
drop bad-padlen esp_in_bad_pad
drop bad-icv esp_in_icv_fail
drop unknown-spi xfrm_in_no_state
drop dummy esp_in_dummy
drop clear xfrm_spd_in_nomatch
drop tunnel-wrong-gw xfrm_spd_in_nomatch 1
drop tunnel-nopolicy xfrm_in_tunnel_nopol 1
drop transport-in-tunnel-policy xfrm_spd_in_nomatch 1
drop tunnel-bad-inner xfrm_in_bad_inner 1

if [ "$FAMILY" = 4 ]; then
	# The IPv4 header around ESP: options and fragmentation are IPv4's own.
	usnap u ip4
	hostile ip4-options
	assert_eq "ESP behind IPv4 options answered" "reply" "$v"
	hostile ip4-frags
	assert_eq "ESP in three IPv4 fragments answered" "reply" "$v"
	assert_eq "ip4-frags: frag4_ok" 1 "$(udelta u ip4 frag4_ok)"
	assert_eq "IPv4 controls: esp_in_ok" 2 "$(udelta u ip4 esp_in_ok)"
	assert_eq "IPv4 controls: echoed" 2 "$(udelta u ip4 udp_echo_replied)"
	pass "positive controls (IPv4 options, IPv4 fragments)"
	drop ip4-frag-overlap frag4_overlap 0 0
	drop ip4-ihl-past-len ip4_in_bad_ihl 0 0
	drop ip4-len-past-frame ip4_in_truncated 0 0
	drop ip4-bad-csum ip4_in_bad_csum 0 0
	drop ip4-len-cuts-esp esp_in_truncated
	# 4in4: decapsulated, then IPv4 input checks the inner header too.
	drop ip4-tunnel-inner-csum ip4_in_bad_csum 1 0
	drop ip4-tunnel-inner-len ip4_in_truncated 1 0
fi

# Still working, both SAs.
hostile good
assert_eq "good packet after the hostile ones" "reply" "$v"
hostile good-tunnel
assert_eq "tunnel good packet after the hostile ones" "reply" "$v"
node_alive u || fail "usagi node died"
echo "$TEST_NAME: all passed"
