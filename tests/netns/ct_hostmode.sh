#!/usr/bin/env bash
# usagi as a stateful router: host mode for itself, and on the forward path
# the inside may start connections, the outside only answer them.
#
#   +------- ns $I (inside) --+                    +------- ns $O (outside) --+
#   | kernel sockets          |                    | kernel sockets           |
#   | tap1 2001:db8:1::1      |                    | tap2 2001:db8:2::1       |
#   |      192.0.2.1          |                    |      198.51.100.1        |
#   +---|---------------------+                    +---------------------|----+
#       |            +------- usagi node "r" --------+                   |
#       +------------| tap1 2001:db8:1::2 192.0.2.2  |                   |
#                    | tap2 2001:db8:2::2 198.51.100.2 -------------------+
#                    | filter host-mode on           |
#                    | forward: established,related accept; invalid drop;
#                    |   iif tap2 ct state new drop; iif tap1 accept; policy drop
#                    +-------------------------------+
#
# `filter host-mode on` guards the host itself (input; forward and output
# stay accept, docs/filter.md), so the router's forward chain says the same
# for the networks behind it. Proves, over IPv6 and IPv4 with the kernel's
# own TCP, UDP and ping: inside-initiated TCP (handshake, data, close),
# UDP and echo work and are tracked (ASSURED in `usagi conntrack -L`);
# a TCP connect to a closed outside port gets its RST back ("refused");
# outside-initiated TCP, UDP and echo are dropped (`nf_filter_drop`, the
# `iif tap2 ct state new drop` rule's counter); an ICMP port unreachable
# for an inside flow passes as RELATED (`nf_ct_related`) and the inside
# socket sees ECONNREFUSED; the router's own addresses do not answer a ping
# from outside (host mode), but its ND still works.
source "$(dirname "$0")/lib/common.sh"
netns_setup ct_hostmode
[ -x "$PY" ] || skip "needs $PY"

ns_add I
ns_add O
tap_add "$I" tap1
tap_add "$O" tap2
i() { in_ns "$I" "$@"; }
o() { in_ns "$O" "$@"; }
sock() { local ns=$1; shift; in_ns "$ns" timeout 20 "$PY" "$NETNS_LIB/ct_sock.py" "$@"; }

usagi_start r <<EOF
link add tap1 type tap netns $I
link add tap2 type tap netns $O
sysctl net.ipv6.conf.all.forwarding=1
sysctl net.ipv4.ip_forward=1
link set tap1 up
link set tap2 up
addr add 2001:db8:1::2/64 dev tap1 nodad
addr add 2001:db8:2::2/64 dev tap2 nodad
addr add 192.0.2.2/24 dev tap1 nodad
addr add 198.51.100.2/24 dev tap2 nodad
filter host-mode on
filter add forward ct state established,related accept
filter add forward ct state invalid drop
filter add forward iif tap2 ct state new drop
filter add forward iif tap1 accept
filter policy forward drop
EOF
ip -n "$I" addr add 2001:db8:1::1/64 dev tap1 nodad
ip -n "$I" addr add 192.0.2.1/24 dev tap1
ip -n "$O" addr add 2001:db8:2::1/64 dev tap2 nodad
ip -n "$O" addr add 198.51.100.1/24 dev tap2
ip -n "$I" link set tap1 up
ip -n "$O" link set tap2 up
ip -n "$I" -6 route add 2001:db8:2::/64 via 2001:db8:1::2 dev tap1
ip -n "$O" -6 route add 2001:db8:1::/64 via 2001:db8:2::2 dev tap2
ip -n "$I" route add 198.51.100.0/24 via 192.0.2.2 dev tap1
ip -n "$O" route add 192.0.2.0/24 via 198.51.100.2 dev tap2

out=$(uctl r filter show)
assert_match "host mode input policy" "type filter hook input priority filter; policy drop;" "$out"
assert_match "forward policy drop" "type filter hook forward priority filter; policy drop;" "$out"

# Servers on both sides, on the kernel's sockets.
for a in 2001:db8:2::1 198.51.100.1; do
	bg_in_ns "$O" "$TMP/o-tcp-$a.log" "$PY" "$NETNS_LIB/ct_sock.py" tcp-server "$a" 8080
	bg_in_ns "$O" "$TMP/o-udp-$a.log" "$PY" "$NETNS_LIB/ct_sock.py" udp-server "$a" 5353
done
for a in 2001:db8:1::1 192.0.2.1; do
	bg_in_ns "$I" "$TMP/i-tcp-$a.log" "$PY" "$NETNS_LIB/ct_sock.py" tcp-server "$a" 8080
	bg_in_ns "$I" "$TMP/i-udp-$a.log" "$PY" "$NETNS_LIB/ct_sock.py" udp-server "$a" 5353
done
for f in "$TMP"/[io]-*.log; do
	wait_until 10 grep -q listening "$f" || fail "server did not start: $f"
done

# row NAME OUTSIDE_ADDR INSIDE_ADDR PING: the whole set of checks for one family.
row() {
	local fam=$1 oa=$2 ia=$3 drop0 rel0 newdrop0
	drop0=$(ustat r nf_filter_drop)
	rel0=$(ustat r nf_ct_related)

	# Inside-initiated: all pass.
	assert_eq "$fam inside TCP connect" "pong:ping" "$(sock "$I" tcp-client "$oa" 8080 3)"
	assert_eq "$fam inside UDP" "pong:ping" "$(sock "$I" udp-client "$oa" 5353 3)"
	out=$(i ping -c 2 -W 2 "$oa") || fail "$fam inside ping outside: $out"
	ping_summary_ok "$fam inside ping" 2 "$out"
	assert_eq "$fam inside TCP to a closed port: the RST comes back" "refused" \
		"$(sock "$I" tcp-client "$oa" 8081 3)"
	# The outside's port unreachable for the inside's flow: RELATED, passes.
	assert_eq "$fam inside UDP to a closed port: ICMP error comes back" "refused" \
		"$(sock "$I" udp-client "$oa" 5354 3)"
	assert_gt "$fam nf_ct_related counted" "$(ustat r nf_ct_related)" "$rel0"
	assert_eq "$fam nothing dropped so far" "$drop0" "$(ustat r nf_filter_drop)"
	pass "$fam: inside-initiated TCP, UDP, ping and ICMP errors pass"

	# Outside-initiated: dropped, silently (a timeout, not a refusal).
	assert_eq "$fam outside TCP connect" "timeout" "$(sock "$O" tcp-client "$ia" 8080 2)"
	assert_eq "$fam outside UDP" "timeout" "$(sock "$O" udp-client "$ia" 5353 2)"
	if out=$(o ping -c 1 -W 1 "$ia" 2>&1); then fail "$fam outside ping got through: $out"; fi
	assert_gt "$fam nf_filter_drop counted" "$(ustat r nf_filter_drop)" "$((drop0 + 2))"
	pass "$fam: outside-initiated TCP, UDP, ping dropped"
}

row IPv6 2001:db8:2::1 2001:db8:1::1
row IPv4 198.51.100.1 192.0.2.1

# The drop rule's own counter and the entries of the inside's flows.
out=$(uctl r filter show)
n=$(printf '%s\n' "$out" | awk '/iif tap2 ct state new counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')
assert_gt "iif tap2 ct state new drop counted" "${n:-0}" 5
out=$("$USAGI" conntrack --control "$TMP/r.ctl" -L)
assert_match "inside TCP tracked (IPv6)" "^tcp +6 [0-9]+ (TIME_WAIT|CLOSE|FIN_WAIT|CLOSE_WAIT|LAST_ACK) src=2001:db8:1::1 dst=2001:db8:2::1 sport=[0-9]+ dport=8080 .*\[ASSURED\]" "$out"
assert_match "inside TCP tracked (IPv4)" "^tcp +6 [0-9]+ [A-Z_]+ src=192\.0\.2\.1 dst=198\.51\.100\.1 sport=[0-9]+ dport=8080 .*\[ASSURED\]" "$out"
assert_match "inside UDP tracked" "^udp +17 [0-9]+ src=2001:db8:1::1 dst=2001:db8:2::1 sport=[0-9]+ dport=5353 src=" "$out"
assert_match "inside ping tracked" "^icmp +1 [0-9]+ src=192\.0\.2\.1 dst=198\.51\.100\.1 type=8 " "$out"
assert_no_match "no entry started from outside" "^(tcp|udp) .* src=(2001:db8:2::1|198\.51\.100\.1) dst=[^ ]+ sport=[0-9]+ dport=(8080|5353) " "$out"

# Host mode on the router itself: the outside cannot ping it; ND and ARP still work.
if out=$(o ping -c 1 -W 1 2001:db8:2::2 2>&1); then fail "host mode: router answered a ping from outside: $out"; fi
if out=$(o ping -c 1 -W 1 198.51.100.2 2>&1); then fail "host mode: router answered an IPv4 ping: $out"; fi
assert_match "router's MAC resolved by ND" "lladdr" "$(ip -n "$O" -6 neigh show 2001:db8:2::2)"
pass "host mode guards the router itself"

node_alive r || fail "usagi node died"
echo "ct_hostmode: all passed"
