#!/usr/bin/env bash
# Packetdrill-style TCP scripts written in scapy against usagi's TCP, and
# hostile TCP input (RFC 5961 blind RST/SYN/data injection, malformed
# headers and options, a SYN flood answered with SYN cookies).
#
#   +---------------- ns $K -------------------------------------+
#   |  kernel tap0 2001:db8:1::1/64, 192.0.2.1/24                 |
#   |  (its own TCP silenced: nft drops every TCP segment in      |
#   |  prerouting, so it never answers usagi with a RST)          |
#   |  scapy (lib/tcp_scapy.py): a TCP peer by hand, packet socket|
#   +----|--------------------------------------------------------+
#        |  /dev/net/tun (fd held by usagi)
#   +----|--------------------------------------------------------+
#   |  usagi node "u"  tap0 2001:db8:1::2/64, 192.0.2.2/24        |
#   |  tcp-echo 7, tcp-echo 8 (flooded), tcp-discard 9           |
#   |  route 2001:db8:99::/48 (the flood's sources) via the kernel|
#   +-------------------------------------------------------------+
#
# Each script of tcp_scapy.py sends segments and checks usagi's answers
# exactly (flags, seq/ack, window to the octet, options in order, TSecr,
# payload, checksum) and exact deltas of `stats` counters, then prints one
# verdict line. Proves: handshake with MSS/WS/TS/SACK-permitted (MSS 1440
# over IPv6, 1460 over IPv4), echo carrying the ACK, delayed ACK after
# 40 ms for a small segment and at once for the second full one, FIN both
# ways, simultaneous close, TIME-WAIT re-ACKing a FIN and challenging a
# SYN; out-of-order data answered by a duplicate ACK with a SACK block;
# segments received twice answered with a D-SACK block first (RFC 2883);
# RFC 5961 3.2/4.2/5.2 (exact RST resets, in-window RST / SYN / ACK of
# unsent data draw a challenge ACK, out-of-window RST ignored); blind data
# outside the window not delivered; malformed segments dropped silently
# and counted by reason; RSTs from closed ports; a stale ACK to a listener
# answered by RST under tcp_listen_ack (no cookie failure); zero-window probes with
# backoff; RTO >= 200 ms and doubling; a 400-SYN flood against backlog 128
# answered with cookies while a real client still connects; afterwards
# `service show` lists the three services and the finished tcp-sends.
#
# `bash tcp_scapy.sh SCRIPT...` runs only the scripts named (e.g. syn_flood6).
source "$(dirname "$0")/lib/common.sh"
netns_setup tcp_scapy
"$PY" -c 'import scapy.all' 2>/dev/null || skip "needs python3-scapy"
command -v nft >/dev/null || skip "needs nft"

k() { in_ns "$K" "$@"; }

single_tap_setup K tap0 u 192.0.2.1/24 2001:db8:1::1/64 <<EOF
addr add 192.0.2.2/24 dev tap0 nodad
addr add 2001:db8:1::2/64 dev tap0 nodad
route add 2001:db8:99::/48 via 2001:db8:1::1
service tcp-echo 7
service tcp-echo 8
service tcp-discard 9
EOF

# The kernel must neither answer usagi's segments (RST) nor route the
# SYN-ACKs sent to the flood's sources: TCP never reaches its stack.
k nft -f - <<'EOF'
table inet tcp_scapy {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		meta l4proto tcp drop
	}
}
EOF

umac=$(mac_of u tap0)
[ -n "$umac" ] || fail "no MAC in \`link show tap0\`: $(uctl u link show tap0)"
kmacaddr=$(kmac "$K" tap0)
# Warm up both neighbour caches (scapy sends from the kernel's addresses).
out=$(k ping -6 -c 1 -W 2 2001:db8:1::2) || fail "initial ping: $out"
out=$(k ping -c 1 -W 2 192.0.2.2) || fail "initial ping (IPv4): $out"

start=$(date +%s.%N)
rc=0
k timeout 100 "$PY" "$NETNS_LIB/tcp_scapy.py" tap0 "$kmacaddr" "$umac" "$USAGI" "$TMP/u.ctl" "$@" \
	>"$TMP/verdicts" 2>&1 || rc=$?
cat "$TMP/verdicts"
end=$(date +%s.%N)
grep -q '^FAIL' "$TMP/verdicts" && fail "$(grep -c '^FAIL' "$TMP/verdicts") script(s) failed"
[ "$rc" -eq 0 ] || fail "tcp_scapy.py exited $rc"
if [ $# -eq 0 ]; then
	for s in handshake6 handshake4 handshake_noopts6 delack6 close_usagi_first6 close_simultaneous6 close_usagi_first4 \
		ooo6 dsack6 rst_exact6 rst_exact4 rst_in_window6 rst_in_window4 rst_out_of_window6 \
		syn_established6 ack_unsent6 blind_data6 blind_data4 malformed6 malformed4 \
		closed_port6 closed_port4 zero_window6 retransmit6 syn_flood6; do
		grep -q "^ok $s: " "$TMP/verdicts" || fail "no verdict for $s"
	done
	# tcp-send saw the peer's FIN and ended cleanly each time.
	for p in '2001:db8:1::1.8000' '2001:db8:1::1.8001' '(::ffff:)?192.0.2.1.8002'; do
		grep -Eq "tcp-send $p: 1000 bytes in" "$TMP/u.log" || fail "tcp-send $p did not finish: $(grep tcp-send "$TMP/u.log")"
	done
	# `service show`: a line per TCP service, and the finished tcp-sends.
	show=$(uctl u service show)
	for svc in "tcp-echo port 7" "tcp-echo port 8" "tcp-discard port 9"; do
		assert_match "service show: $svc" "^$svc LISTEN accepted [1-9][0-9]* active [0-9]+ queued [0-9]+ in [1-9][0-9]* out [0-9]+$" "$show"
	done
	assert_match "service show: tcp-send IPv6" '^tcp-send to \[2001:db8:1::1\]:8000 done sent 1000 of 1000 in [0-9]+ms$' "$show"
	assert_match "service show: tcp-send IPv4" '^tcp-send to 192\.0\.2\.1:8002 done sent 1000 of 1000 in [0-9]+ms$' "$show"
fi
node_alive u || fail "usagi node died"
assert_match "pkt pool not exhausted" "^pkt_alloc_fail 0$" "$(uctl u stats)"
log "scripts ran in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
echo "tcp_scapy: all passed"
