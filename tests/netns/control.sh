#!/bin/bash
# The `usagi node` control socket and `usagi ctl`, no links needed:
#
#   usagi ctl ---DIR/ctl (AF_UNIX)---> usagi node -c node.conf
#
# Config errors name the line; ctl copies output and exit status; an
# unreachable node, a stale socket file, several clients, and a clean stop.
set -e
set -o pipefail
: "${USAGI_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${USAGI:=$USAGI_SRC/build/usagi}"
[ -x "$USAGI" ] || { echo "SKIP: $USAGI not built" >&2; exit 77; }

TMP=$(mktemp -d /tmp/usagi-control.XXXXXX)
NODE_PID=
cleanup() {
	local rc=$?
	[ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
	[ "$rc" -ne 0 ] && cat "$TMP/node.log" >&2 2>/dev/null
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A bad line: one error naming file and line, exit 1, no socket left.
printf 'sysctl net.ipv6.conf.all.forwarding=1\n# comment\naddr add 2001:db8::1/64 dev tap9\n' > "$TMP/bad.conf"
if "$USAGI" node -c "$TMP/bad.conf" --control "$TMP/bad" 2> "$TMP/err" >/dev/null; then fail "bad config accepted"; fi
grep -q "^usagi: $TMP/bad.conf:3: " "$TMP/err" || fail "error does not name line 3: $(cat "$TMP/err")"
[ "$(wc -l < "$TMP/err")" -eq 1 ] || fail "more than one error line"
[ ! -e "$TMP/bad/ctl" ] || fail "socket left behind"

# Unreachable node.
if "$USAGI" ctl --control "$TMP/none" link show 2> "$TMP/err"; then fail "ctl to nothing succeeded"; fi
grep -q "^usagi: cannot reach node at $TMP/none/ctl: " "$TMP/err" || fail "bad message: $(cat "$TMP/err")"

# A stale socket file from a killed node is replaced.
printf 'log info\n' > "$TMP/node.conf"
"$USAGI" node -c "$TMP/node.conf" --control "$TMP/c" 2>/dev/null & pid=$!
for _ in $(seq 50); do [ -S "$TMP/c/ctl" ] && break; sleep 0.1; done
kill -9 $pid; wait $pid 2>/dev/null || true
[ -S "$TMP/c/ctl" ] || fail "no socket from the killed node"
"$USAGI" node -c "$TMP/node.conf" --control "$TMP/c" 2> "$TMP/node.log" & NODE_PID=$!
for _ in $(seq 50); do "$USAGI" ctl --control "$TMP/c" help >/dev/null 2>&1 && break; sleep 0.1; done
[ "$(stat -c %a "$TMP/c/ctl")" = 660 ] || fail "socket mode"
[ "$(stat -c %a "$TMP/c")" = 750 ] || fail "directory mode"

# Output and status come back; $USAGI_CONTROL is honoured.
USAGI_CONTROL=$TMP/c "$USAGI" ctl sysctl net.ipv6.conf.all.forwarding=1 | grep -qx "net.ipv6.conf.all.forwarding = 1" \
	|| fail "sysctl output"
set +e
"$USAGI" ctl --control "$TMP/c" link show nosuch > "$TMP/out" 2> "$TMP/err"; rc=$?
set -e
[ $rc -ne 0 ] || fail "failing command exited 0"
[ -s "$TMP/err" ] && [ ! -s "$TMP/out" ] || fail "error not on stderr"

# Several clients at once.
for i in 1 2 3 4 5 6 7 8; do "$USAGI" ctl --control "$TMP/c" stats > "$TMP/s$i" & done
wait $(jobs -p | grep -v "^$NODE_PID$") 2>/dev/null || true
for i in 1 2 3 4 5 6 7 8; do grep -q . "$TMP/s$i" || fail "client $i got nothing"; done

# A clean stop removes the socket and exits 0.
kill -TERM $NODE_PID; wait $NODE_PID; rc=$?; NODE_PID=
[ $rc -eq 0 ] || fail "node exit $rc"
[ ! -e "$TMP/c/ctl" ] || fail "socket not removed"
echo "ok: control socket" >&2
