#!/usr/bin/env bash
# `usagi setkey` over PF_KEY against the node's own `setkey` command: the
# configuration shapes people write load through DIR/pfkey and dump back
# exactly as the node prints its SAD and SPD.
# No namespaces: one usagi node with no links, on a private control socket.
#
#   shape.conf --usagi setkey -f--> DIR/pfkey --+
#                                               +--> usagi node (SAD, SPD)
#   usagi ctl setkey -D / -DP ----> DIR/ctl ----+
#   usagi setkey -D / -DP  <------- DIR/pfkey (SADB_DUMP, X_SPDDUMP)
#
# Proves, for transport host-to-host (IPv6, IPv4), tunnel gateway-to-
# gateway (4in4 with unique reqids and lifetimes, 6in6 with ESN), AH+ESP,
# IPComp+ESP (transport and tunnel) and per-port/ICMP/MH policies with
# priorities and NAT-T: `usagi setkey -f` loads the file (exit 0, no
# output); `setkey -D` and `-DP` over PF_KEY print exactly the node's
# `setkey -D`/`-DP` text (only pid= differs, the dumping process's id, and
# the second that `current:` reads; `created:` dates, SAs' and policies',
# are the wall clock's, this year's); loading it again stops at the first
# statement with the same error line the node's own `setkey -f` prints
# (EEXIST: "the ... SA exists" / "a policy with this selector exists") and
# exit 1, changing nothing; after `-F` and `-FP` it loads again. Also:
# `-PD` = `-DP`; `-c` from standard input; `-n` sends nothing; a syntax
# error applies nothing (same error line as the node's); getspi (larval) +
# update + get, deleteall, delete of a missing SA; an ESN SA without -r
# reports the window 32 it runs; get and delete of AH, ESP and IPComp SAs
# (what the node's own get prints; gone after delete); spddelete of an
# `in` policy with its fwd twin; 1000 SAs and 1000 policies dump
# completely and identically; `-x` sees another client's ADD, and the
# SPDADD/SPDDELETE (with the policy's spid)/SPDFLUSH of changes made by the
# node's own setkey and `ipsec policy flush`; an absent node is reported.
source "$(dirname "$0")/lib/common.sh"

[ -x "$USAGI" ] || fail "usagi binary not found: $USAGI (set \$USAGI)"
TEST_NAME=setkey_pfkey
TMP=$(mktemp -d /tmp/usagi-setkey_pfkey.XXXXXX)
trap cleanup EXIT
usagi_start n <<<"log error"
D=$TMP/n.ctl
sk() { timeout 60 "$USAGI" setkey --control "$D" "$@"; }
nk() { uctl n setkey "$@"; }

# Deterministic key bytes: key N -> 0x and N bytes.
key() { local i s=0x; for ((i = 0; i < $1; i++)); do printf -v s '%s%02x' "$s" $(((i * 37 + $1) & 255)); done; echo "$s"; }

# Both paths print the same, but for the dumping process's pid and the clock second.
norm() { sed -E 's/([ \t])pid=[0-9]+/\1pid=P/; s/(	current: ).*/\1T/; s/^	diff: [0-9]+\(s\)/	diff: D(s)/'; }
same_dumps() { # WHAT
	local a b
	a=$(sk -D | norm) && b=$(nk -D | norm) || fail "$1: -D failed"
	[ "$a" = "$b" ] || fail "$1: setkey -D over PF_KEY differs from the node's:
$(diff <(echo "$b") <(echo "$a"))"
	a=$(sk -DP | norm) && b=$(nk -DP | norm) || fail "$1: -DP failed"
	[ "$a" = "$b" ] || fail "$1: setkey -DP over PF_KEY differs from the node's:
$(diff <(echo "$b") <(echo "$a"))"
}

cat >"$TMP/transport.conf" <<EOF
# host-to-host transport mode, IPv6 and IPv4
add 2001:db8:1::1 2001:db8:1::2 esp 0x1001 -m transport -E aes-cbc $(key 16) -A hmac-sha256 $(key 32);
add 2001:db8:1::2 2001:db8:1::1 esp 0x1002 -m transport -E aes-cbc $(key 16) -A hmac-sha256 $(key 32);
add 192.0.2.1 192.0.2.2 esp 0x1003 -E aes-gcm-16 $(key 20);
add 192.0.2.2 192.0.2.1 esp 0x1004 -E aes-gcm-16 $(key 20);
spdadd 2001:db8:1::1 2001:db8:1::2 any -P out ipsec esp/transport//require;
spdadd 2001:db8:1::2 2001:db8:1::1 any -P in ipsec esp/transport//require;
spdadd 192.0.2.1 192.0.2.2 any -P out ipsec esp/transport//require;
spdadd 192.0.2.2 192.0.2.1 any -P in ipsec esp/transport//require;
EOF
cat >"$TMP/tunnel.conf" <<EOF
# gateway-to-gateway: 4in4 with unique reqids and lifetimes, 6in6 with ESN
add 198.51.100.1 203.0.113.1 esp 0x2001 -m tunnel -u 101 -r 64 -E 3des-cbc $(key 24)
	-A hmac-sha1 $(key 20) -lh 3600 -ls 2880 -bh 1000000 -bs 800000;
add 203.0.113.1 198.51.100.1 esp 0x2002 -m tunnel -u 102 -r 64 -E 3des-cbc $(key 24)
	-A hmac-sha1 $(key 20) -lh 3600 -ls 2880;
spdadd 192.0.2.0/24 198.51.100.128/25 any -P out ipsec esp/tunnel/198.51.100.1-203.0.113.1/unique:101;
spdadd 198.51.100.128/25 192.0.2.0/24 any -P in ipsec esp/tunnel/203.0.113.1-198.51.100.1/unique:102;
add 2001:db8:a::1 2001:db8:b::1 esp 0x2003 -m tunnel -f esn -r 128 -E aes-ctr $(key 20) -A hmac-sha512 $(key 64);
add 2001:db8:b::1 2001:db8:a::1 esp 0x2004 -m tunnel -f esn -r 1024 -E aes-ctr $(key 20) -A hmac-sha512 $(key 64);
spdadd 2001:db8:a00::/40 2001:db8:b00::/40 any -P out prio high ipsec esp/tunnel/2001:db8:a::1-2001:db8:b::1/require;
spdadd 2001:db8:b00::/40 2001:db8:a00::/40 any -P in prio high ipsec esp/tunnel/2001:db8:b::1-2001:db8:a::1/require;
add 2001:db8:a::1 2001:db8:b::1 esp 0x2005 -m tunnel -f esn -E aes-gcm-16 $(key 20);
EOF
cat >"$TMP/ah_esp.conf" <<EOF
# AH over ESP, both directions
add 2001:db8:1::1 2001:db8:1::2 esp 0x3001 -E aes-cbc $(key 32) -A hmac-sha1 $(key 20);
add 2001:db8:1::1 2001:db8:1::2 ah 0x3002 -A hmac-sha384 $(key 48);
add 2001:db8:1::2 2001:db8:1::1 esp 0x3003 -E blowfish-cbc $(key 16) -A hmac-md5 $(key 16);
add 2001:db8:1::2 2001:db8:1::1 ah 0x3004 -A aes-xcbc-mac $(key 16);
spdadd 2001:db8:1::1 2001:db8:1::2 any -P out ipsec esp/transport//require ah/transport//require;
spdadd 2001:db8:1::2 2001:db8:1::1 any -P in ipsec esp/transport//require ah/transport//require;
EOF
cat >"$TMP/ipcomp.conf" <<EOF
# IPComp + ESP: transport (IPv6), and IPComp tunnel + ESP transport (IPv4)
add 2001:db8:1::1 2001:db8:1::2 ipcomp 0x4001 -C deflate;
add 2001:db8:1::1 2001:db8:1::2 esp 0x4002 -E chacha20-poly1305 $(key 36);
spdadd 2001:db8:1::1 2001:db8:1::2 any -P out ipsec ipcomp/transport//use esp/transport//require;
add 192.0.2.1 192.0.2.2 ipcomp 0x4003 -m tunnel -C deflate -R;
add 192.0.2.1 192.0.2.2 esp 0x4004 -E serpent-cbc $(key 32) -A hmac-ripemd160 $(key 20);
spdadd 10.1.0.0/16 10.2.0.0/16 any -P out ipsec ipcomp/tunnel/192.0.2.1-192.0.2.2/use esp/transport//require;
EOF
cat >"$TMP/ports.conf" <<EOF
# per-port, per-type policies with priorities; NAT-T
spdadd 2001:db8:1::1[22] 2001:db8:1::2[any] tcp -P out ipsec esp/transport//require;
spdadd 2001:db8:1::2[any] 2001:db8:1::1[22] tcp -P in ipsec esp/transport//require;
spdadd 2001:db8:1::/64[any] 2001:db8:1::2[53] udp -P out prio def + 10 none;
spdadd 192.0.2.0/24[500] 192.0.2.2[500] udp -P in prio 100 none;
spdadd ::/0 ::/0 icmp6 135,0 -P out prio high none;
spdadd ::/0 ::/0 icmp6 136 -P in prio high + 1 none;
spdadd 2001:db8:1::1 2001:db8:1::2 mh 5 -P out ipsec esp/transport//require;
spdadd 192.0.2.1 192.0.2.2 icmp 8,0 -P out prio low discard;
add 192.0.2.1[4500] 192.0.2.2[4501] esp-udp 0x5001 -E aes-gcm-12 $(key 28);
add 2001:db8:1::1 2001:db8:1::2 esp 0x5002 -u 7 -E null -A hmac-sha1 $(key 20);
EOF

first_err() { # FILE: the node's own error line for the file loaded again
	nk -f "$1" 2>&1 >/dev/null | head -n 1
}
for shape in transport tunnel ah_esp ipcomp ports; do
	f=$TMP/$shape.conf
	sk -F && sk -FP || fail "$shape: flush"
	out=$(sk -f "$f" 2>&1) || fail "$shape: setkey -f: $out"
	assert_eq "$shape: setkey -f prints nothing" "" "$out"
	nsa=$(grep -c '^add' "$f" || true)
	assert_eq "$shape: SAs in the dump" "$nsa" "$(sk -D | grep -c '^	sadb_seq=' || true)"
	same_dumps "$shape"
	assert_match "$shape: dates are the wall clock's" "^	created: [A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} $(date -u +%Y)	current: " \
		"$(sk -D | grep -m1 '^	created:')"
	assert_match "$shape: policies' dates too" \
		"^	created: [A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} $(date -u +%Y)  lastused: " "$(sk -DP | grep -m1 '^	created:')"
	before=$(sk -D | norm)
	if out=$(sk -f "$f" 2>&1); then fail "$shape: loaded twice"; fi
	assert_eq "$shape: one error line" 1 "$(wc -l <<<"$out")"
	assert_match "$shape: EEXIST, named by file:line:col" \
		"^usagi: setkey: $f:2:1: (add: the (esp|ah|ipcomp) SA to .* exists|spdadd: a policy with this selector exists for direction (in|out) \(spdupdate replaces it\))$" "$out"
	assert_eq "$shape: the node's own setkey -f says the same" "$(first_err "$f")" "$out"
	assert_eq "$shape: nothing changed" "$before" "$(sk -D | norm)"
	sk -F && sk -FP || fail "$shape: flush"
	assert_eq "$shape: flushed" "No SAD entries.
No SPD entries." "$(sk -D; sk -DP)"
	out=$(sk -f "$f" 2>&1) || fail "$shape: reload after flush: $out"
	same_dumps "$shape reloaded"
	pass "$shape: loads, dumps as the node prints it, EEXIST on reload, reloads after flush"
done

# -PD is -DP; -c reads standard input; USAGI_CONTROL finds the node.
assert_eq "-PD = -DP" "$(sk -DP | norm)" "$(sk -PD | norm)"
sk -F && sk -FP
sk -c <"$TMP/transport.conf" || fail "setkey -c"
assert_eq "-c loaded the file" "$(nk -D | norm)" "$(USAGI_CONTROL=$D "$USAGI" setkey -D | norm)"
same_dumps "-c"
pass "-PD, -c, \$USAGI_CONTROL"

# -n: checked, not sent. A syntax error on line 3: nothing applied.
sk -F && sk -FP
out=$(sk -n -f "$TMP/tunnel.conf" 2>&1) || fail "-n: $out"
assert_eq "-n sends nothing" "No SAD entries." "$(sk -D)"
printf 'add 2001:db8::1 2001:db8::2 esp 0x6001 -E aes-cbc %s;\nspdadd ::/0 ::/0 any -P out none;\nadd 2001:db8::1 2001:db8::2 esp 0x6002 -E foo 0x00;\n' \
	"$(key 16)" >"$TMP/bad.conf"
if out=$(sk -f "$TMP/bad.conf" 2>&1); then fail "a syntax error was accepted"; fi
assert_eq "syntax error: the node's own message" "$(first_err "$TMP/bad.conf")" "$out"
assert_match "syntax error: file:line:col" "^usagi: setkey: $TMP/bad.conf:3:43: unknown encryption algorithm \"foo\"$" "$out"
assert_eq "syntax error: nothing applied" "No SAD entries.
No SPD entries." "$(sk -D; sk -DP)"
pass "-n sends nothing; a syntax error applies nothing"

# getspi -> larval; update -> mature; get; deleteall; delete of a missing SA.
out=$(sk -e 'getspi 2001:db8::1 2001:db8::2 esp 0x7000;') || fail "getspi: $out"
assert_match "getspi: the larval SA" '^	esp mode=transport spi=28672\(0x00007000\) reqid=0\(0x00000000\)$' "$out"
assert_match "getspi: larval" 'state=larval $' "$out"
sk -e "update 2001:db8::1 2001:db8::2 esp 0x7000 -E aes-cbc $(key 16) -A hmac-sha1 $(key 20);" || fail "update"
sk -e "add 2001:db8::1 2001:db8::2 esp 0x7001 -E aes-cbc $(key 16);" || fail "add"
sk -e "add 2001:db8::3 2001:db8::2 esp 0x7002 -E aes-cbc $(key 16);" || fail "add"
out=$(sk -e 'get 2001:db8::1 2001:db8::2 esp 0x7000;') || fail "get"
assert_match "get: mature now" 'state=mature $' "$out"
assert_match "get: with its key" "^	E: aes-cbc  $(key 16 | sed -E 's/^0x(.{8})(.{8})(.{8})(.{8})$/\1 \2 \3 \4/')$" "$out"
sk -e 'deleteall 2001:db8::1 2001:db8::2 esp;' || fail "deleteall"
assert_eq "deleteall: only the SA from another source is left" "spi=28674(0x00007002)" \
	"$(sk -D | grep -o 'spi=[0-9]*(0x[0-9a-f]*)')"
if out=$(sk -e 'delete 2001:db8::1 2001:db8::2 esp 0x7000;' 2>&1); then fail "deleted a missing SA"; fi
assert_eq "delete of a missing SA" "usagi: setkey: 1:1: delete: no esp SA to 2001:db8::2 spi 28672(0x00007000)" "$out"
pass "getspi/update/get, deleteall, delete (ESRCH)"

# An ESN SA configured without a window runs (and reports) the minimum 32.
sk -F
sk -f "$TMP/tunnel.conf" || fail "tunnel reload"
assert_match "ESN, no -r: the window the SAD runs" "spi=8197\(0x00002005\).*
.*
	seq=0x00000000 replay=32 flags=0x00000400 state=mature " "$(sk -e 'get 2001:db8:a::1 2001:db8:b::1 esp 0x2005;')"
sk -F && sk -FP
pass "ESN with window 0 reports the window 32 it runs"

# get and delete name an SA by (dst, SPI, protocol) alone: AH, ESP, IPComp (RFC 2367 3.1.4/3.1.5).
sk -f "$TMP/ah_esp.conf" && sk -FP || fail "ah_esp"
sk -f "$TMP/ipcomp.conf" || fail "ipcomp"   # its policies overlap ah_esp's
for sa in "ah 0x3002" "esp 0x3001" "ipcomp 0x4001"; do
	out=$(sk -e "get 2001:db8:1::1 2001:db8:1::2 $sa;" 2>&1) || fail "get $sa: $out"
	assert_match "get $sa" "^	${sa% *} mode=transport spi=$((${sa#* }))\(" "$out"
	assert_eq "get $sa: the node's own get says the same (but for the request's seq)" \
		"$(nk -e "get 2001:db8:1::1 2001:db8:1::2 $sa;" | norm | sed 's/sadb_seq=[0-9]*/sadb_seq=S/')" \
		"$(norm <<<"$out" | sed 's/sadb_seq=[0-9]*/sadb_seq=S/')"
	out=$(sk -e "delete 2001:db8:1::1 2001:db8:1::2 $sa;" 2>&1) || fail "delete $sa: $out"
	assert_eq "delete $sa prints nothing" "" "$out"
	if sk -e "get 2001:db8:1::1 2001:db8:1::2 $sa;" >/dev/null 2>&1; then fail "$sa still there"; fi
done
assert_eq "the other SAs stay" 5 "$(sk -D | grep -c '^	sadb_seq=' || true)"
sk -F && sk -FP
pass "get and delete of AH, ESP and IPComp SAs"

# spddelete of an `in` policy takes its fwd twin too.
sk -e 'spdadd 2001:db8:5::/64 2001:db8:6::/64 any -P in ipsec esp/transport//require;' || fail "spdadd in"
assert_eq "in + fwd twin" "2" "$(sk -DP | grep -c '^2001:db8:5::/64' || true)"
sk -e 'spddelete 2001:db8:5::/64 2001:db8:6::/64 any -P in;' || fail "spddelete in"
assert_eq "spddelete took both" "No SPD entries." "$(sk -DP)"
pass "spddelete removes an in policy and its fwd twin"

# 1000 SAs and 1000 policies: every entry exactly once, the same text as the node's.
sk -F
for ((i = 0; i < 1000; i++)); do
	printf 'add 2001:db8:7::1 2001:db8:7::2 esp %u -E aes-cbc 0x000102030405060708090a0b0c0d0e0f -A hmac-sha1 0x000102030405060708090a0b0c0d0e0f10111213;\n' $((0x10000 + i))
	printf 'spdadd 2001:db8:8::%x 2001:db8:9::/64 udp -P out ipsec esp/transport//require;\n' $i
done >"$TMP/big.conf"
sk -f "$TMP/big.conf" || fail "1000 SAs + 1000 policies"
assert_eq "1000 SAs, each once" 1000 "$(sk -D | grep -o 'spi=[0-9]*' | sort -u | wc -l)"
assert_eq "1000 policies, each once" 1000 "$(sk -DP | grep -o 'spid=[0-9]*' | sort -u | wc -l)"
assert_eq "the last entry is sadb_seq=0" "	sadb_seq=0 pid=P refcnt=0" "$(sk -D | norm | tail -n 1)"
same_dumps "1000 SAs and policies"
pass "1000 SAs and 1000 policies dump completely, as the node prints them"

# -x: another client's ADD (its request and the node's broadcast).
usnap n x
sk -x --count 2 --timeout 10 >"$TMP/x.txt" &
XPID=$!
PIDS+=($XPID)
promisc_on() { [ "$(udelta n x pfkey_in_msgs)" -ge 1 ]; }   # its X_PROMISC arrived
wait_until 5 promisc_on || fail "setkey -x sent no X_PROMISC"
sk -e "add 2001:db8::1 2001:db8::2 esp 0x8000 -E aes-cbc $(key 16);" || fail "add for -x"
wait "$XPID" || fail "-x failed"
assert_eq "-x: two messages" 2 "$(grep -c ' SADB_ADD esp seq=1 pid=[0-9]*$' "$TMP/x.txt")"
assert_match "-x: the SA" '^	esp mode=transport spi=32768\(0x00008000\) reqid=0\(0x00000000\)$' "$(cat "$TMP/x.txt")"
pass "-x shows another client's ADD"

# -x: SPD changes made outside PF_KEY (the node's own setkey, ipsec policy flush) are broadcast.
usnap n x2
sk -x --count 3 --timeout 10 >"$TMP/x2.txt" &
XPID=$!
PIDS+=($XPID)
promisc_on2() { [ "$(udelta n x2 pfkey_in_msgs)" -ge 1 ]; }
wait_until 5 promisc_on2 || fail "setkey -x sent no X_PROMISC"
nk -e 'spdadd 2001:db8:c::/64 2001:db8:d::/64 any -P out discard;' || fail "node spdadd"
spid=$(nk -DP | awk '/^2001:db8:c::\/64/ { f = 1 } f && !d && /spid=/ { sub(/.*spid=/, ""); print $1; d = 1 }')
nk -e 'spddelete 2001:db8:c::/64 2001:db8:d::/64 any -P out;' || fail "node spddelete"
uctl n ipsec policy flush || fail "ipsec policy flush"
wait "$XPID" || fail "-x failed"
assert_eq "-x: SPDADD, SPDDELETE, SPDFLUSH with seq 0" "SADB_X_SPDADD unspec seq=0 pid=0
SADB_X_SPDDELETE unspec seq=0 pid=0
SADB_X_SPDFLUSH unspec seq=0 pid=0" "$(grep -o 'SADB_X_SPD[A-Z]* unspec seq=0 pid=0$' "$TMP/x2.txt")"
assert_eq "-x: the deletion names the policy's id" 2 "$(grep -c "^	spid=$spid " "$TMP/x2.txt")"
pass "-x shows SPD changes made by the node's own commands"

# No node there.
if out=$("$USAGI" setkey --control "$TMP/nowhere" -D 2>&1); then fail "-D without a node succeeded"; fi
assert_eq "no node" "usagi: cannot reach node at $TMP/nowhere/pfkey: No such file or directory" "$out"
node_alive n || fail "the node died"
echo "setkey_pfkey: all passed"
