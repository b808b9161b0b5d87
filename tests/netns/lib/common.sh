# Shared helpers for tests/netns/*.sh (sourced, not a test itself).
#
# A test sources this file, then:
#   netns_setup <test>            # checks root + /dev/net/tun (else exit 77), sets TMP, traps cleanup
#   ns_add VAR                    # creates namespace usagi-<test>-<pid>-VAR, stored in $VAR
#   tap_add NS IF                 # TAP device IF inside NS, kernel DAD off, IPv6 on
#   single_tap_setup VAR IF NAME KADDR... <<EOF ... EOF  # ns_add + tap_add + usagi_start + kernel side
#   usagi_start NAME <<EOF ... EOF  # runs `usagi node` with that config, waits for its control socket
#   uctl NAME CMD...              # `usagi ctl` to that node
#   bridged_nodes VAR NODE=ADDRS...  # several nodes on TAPs bridged in one namespace
#   kernel_no_ipsec NS, usetkey NODE ARGS...  # IPsec tests: the kernel drops ESP/AH/IPComp; PF_KEY setkey
#   need_setkey NODE, tap_macs NODE NS IF     # IPsec tests: setkey present; $umac/$kmac for scapy
#
# Everything the test creates (namespaces, processes, files) is removed by
# the EXIT trap, also on failure; on failure the node logs are printed.

set -e
set -o pipefail

: "${USAGI_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
: "${USAGI:=$USAGI_SRC/build/usagi}"
PY=/usr/bin/python3
NETNS_LIB=$USAGI_SRC/tests/netns/lib

TEST_NAME=
TMP=
NAMESPACES=()
PIDS=()
NODES=()

log() { printf '# %s\n' "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
pass() { printf 'ok: %s\n' "$*" >&2; }
skip() { printf 'SKIP: %s\n' "$*" >&2; exit 77; }

# Fails (not skips) when a peer the bootstrap installs is missing.
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || fail "$c not installed (scripts/bootstrap installs it)"
	done
}

cleanup() {
	local rc=$? pid ns n
	set +e
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		# Bounded: a process that ignores SIGTERM for 3 s gets SIGKILL.
		for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "$TMP" ]; then
		for n in "${NODES[@]}"; do
			echo "----- usagi node $n log (last 60 lines) -----" >&2
			tail -n 60 "$TMP/$n.log" >&2 2>/dev/null
		done
	fi
	[ -n "$TMP" ] && rm -rf "$TMP"
	exit "$rc"
}

netns_setup() {
	TEST_NAME=$1
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -c /dev/net/tun ] || skip "needs /dev/net/tun"
	command -v ip >/dev/null || skip "needs iproute2"
	ip netns list >/dev/null 2>&1 || skip "network namespaces unavailable"
	[ -x "$USAGI" ] || fail "usagi binary not found: $USAGI (set \$USAGI)"
	TMP=$(mktemp -d "/tmp/usagi-$TEST_NAME.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
}

# ns_add VAR: a fresh namespace with lo up; its name goes into $VAR.
ns_add() {
	local var=$1 name="usagi-$TEST_NAME-$$-$1"
	ip netns add "$name"
	NAMESPACES+=("$name")
	ip -n "$name" link set lo up
	ip netns exec "$name" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	printf -v "$var" '%s' "$name"
}

# tap_add NS IF: TAP device IF in NS, left down until usagi has attached.
tap_add() {
	ip -n "$1" tuntap add dev "$2" mode tap
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0"
}

# single_tap_setup VAR IF NAME KADDR...: namespace VAR (ns_add) with TAP IF,
# usagi node NAME attached to it (config: `link add IF type tap netns $VAR`,
# `link set IF up`, then the lines read from stdin), the kernel's KADDRs on IF
# (IPv6 ones nodad), and the kernel side of IF brought up last, after usagi
# attached (INTEROP.md).
single_tap_setup() {
	local _stn_var=$1 _stn_if=$2 _stn_node=$3 _stn_ns _stn_conf _stn_a
	shift 3
	_stn_conf=$(cat)
	ns_add "$_stn_var"
	_stn_ns=${!_stn_var}
	tap_add "$_stn_ns" "$_stn_if"
	{
		printf 'link add %s type tap netns %s\nlink set %s up\n' "$_stn_if" "$_stn_ns" "$_stn_if"
		[ -z "$_stn_conf" ] || printf '%s\n' "$_stn_conf"
	} >"$TMP/$_stn_node.conf.in"
	usagi_start "$_stn_node" <"$TMP/$_stn_node.conf.in"
	for _stn_a in "$@"; do
		case $_stn_a in
		*:*) ip -n "$_stn_ns" addr add "$_stn_a" dev "$_stn_if" nodad ;;
		*) ip -n "$_stn_ns" addr add "$_stn_a" dev "$_stn_if" ;;
		esac
	done
	ip -n "$_stn_ns" link set "$_stn_if" up
}

# in_ns NS CMD...: runs CMD in NS.
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# bg_in_ns NS LOG CMD...: starts CMD in NS in the background (stopped by cleanup).
# `ip netns exec` execs CMD, so the recorded PID is CMD's own.
bg_in_ns() {
	local ns=$1 out=$2
	shift 2
	ip netns exec "$ns" "$@" </dev/null >"$out" 2>&1 &
	PIDS+=($!)
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s until it succeeds; 1 on timeout.
wait_until() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	return 1
}

# usagi_start NAME: runs `usagi node` with the config read from stdin;
# waits (10 s max) until its control socket answers.
usagi_start() {
	local name=$1 pid
	cat >"$TMP/$name.conf"
	mkdir -p "$TMP/$name.ctl"
	"$USAGI" node -c "$TMP/$name.conf" --control "$TMP/$name.ctl" >"$TMP/$name.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	NODES+=("$name")
	eval "NODE_PID_$name=$pid"
	if grep -q "under construction" "$TMP/$name.log" 2>/dev/null ||
	   ! wait_until 10 node_ready "$name" "$pid"; then
		kill -0 "$pid" 2>/dev/null || fail "usagi node $name exited: $(tail -n 5 "$TMP/$name.log")"
		fail "usagi node $name: control socket did not answer within 10 s"
	fi
}

node_ready() {
	kill -0 "$2" 2>/dev/null || return 0   # died: stop polling, caller reports
	"$USAGI" ctl --control "$TMP/$1.ctl" stats >/dev/null 2>&1
}

# node_alive NAME: the node process is still running.
node_alive() { local v="NODE_PID_$1"; kill -0 "${!v}" 2>/dev/null; }

# uctl NAME CMD...: one command to node NAME (bounded at 60 s).
uctl() {
	local name=$1
	shift
	timeout 60 "$USAGI" ctl --control "$TMP/$name.ctl" "$@"
}

# ustat NAME COUNTER: value of one counter (fails if the counter does not exist).
ustat() {
	local v
	v=$(uctl "$1" stats | awk -v n="$2" '$1 == n { print $2; f = 1 } END { exit !f }') ||
		fail "counter $2 not in \`stats\` of $1"
	echo "$v"
}

# ustat_sum NAME REGEX: sum of the counters whose name matches REGEX (0 if none).
ustat_sum() {
	uctl "$1" stats | awk -v re="$2" '$1 ~ re { s += $2 } END { print s + 0 }'
}

# has_stat NAME COUNTER: the counter exists.
has_stat() { uctl "$1" stats | awk -v n="$2" '$1 == n { f = 1 } END { exit !f }'; }

# kstat NS FIELD: a kernel IPv6 counter of NS from /proc/net/snmp6 (per namespace).
kstat() { in_ns "$1" awk -v n="$2" '$1 == n { print $2 }' /proc/net/snmp6; }

# mac_of NODE IF: the MAC usagi reports in `link show`.
mac_of() {
	uctl "$1" link show "$2" | grep -o 'link/ether [0-9a-fA-F:]*' | awk '{ print tolower($2) }'
}

# eui64 PREFIX MAC: the SLAAC address (RFC 4291 2.5.1) for PREFIX::/64 and MAC, compressed.
eui64() {
	"$PY" - "$1" "$2" <<'EOF'
import ipaddress, sys
prefix, mac = sys.argv[1], [int(x, 16) for x in sys.argv[2].split(":")]
iid = bytes([mac[0] ^ 2, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]])
net = ipaddress.IPv6Network(prefix)
print(ipaddress.IPv6Address(net.network_address.packed[:8] + iid))
EOF
}

# kernel_ll NS IF: the kernel's link-local address on IF.
kernel_ll() {
	ip -n "$1" -6 addr show dev "$2" scope link | awk '/inet6/ { sub("/.*", "", $2); print $2; exit }'
}

# Assertions. The expected text is printed with the actual on mismatch.
assert_eq() { # WHAT EXPECTED ACTUAL
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}
# A here-string, not a pipe: under pipefail, grep -q leaving early would
# kill printf with SIGPIPE and fail the pipeline on long texts.
assert_match() { # WHAT REGEX TEXT  (grep -E, any line)
	grep -Eq -- "$2" <<<"$3" || fail "$1: no line matches /$2/ in:
$3"
}
assert_no_match() { # WHAT REGEX TEXT
	! grep -Eq -- "$2" <<<"$3" || fail "$1: unexpected line matching /$2/ in:
$3"
}
assert_gt() { # WHAT A B: A > B
	[ "$2" -gt "$3" ] || fail "$1: expected $2 > $3"
}

# ping_ok OUTPUT N: iputils summary says N sent and N received.
ping_summary_ok() { assert_match "$1" "^$2 packets transmitted, $2 received" "$3"; }

# ---- IPv4 helpers (ping4.sh, udp4.sh, mapped.sh, router4.sh, hostile4.sh) ----

# kstat4 NS PROTO FIELD: a kernel IPv4 counter of NS from /proc/net/snmp
# (PROTO Ip, Icmp or Udp; FIELD e.g. ReasmOKs, FragCreates). Fails if absent.
kstat4() {
	local v
	v=$(in_ns "$1" awk -v p="$2:" -v n="$3" '
		$1 == p && !c { for (i = 2; i <= NF; i++) if ($i == n) c = i; next }
		$1 == p && c { print $c; exit }' /proc/net/snmp)
	[ -n "$v" ] || fail "kernel counter $2 $3 not in /proc/net/snmp"
	echo "$v"
}

# kmac NS IF: the kernel's MAC of IF in NS.
kmac() { ip -n "$1" link show "$2" | awk '/link\/ether/ { print tolower($2); exit }'; }

# kneigh4 NS IF ADDR: the kernel's ARP entry for ADDR on IF, as "LLADDR STATE" (empty if none).
kneigh4() {
	ip -n "$1" -4 neigh show dev "$2" to "$3" | awk '{ for (i = 2; i < NF; i++) if ($i == "lladdr") l = $(i + 1); print l, $NF; exit }'
}

# uneigh4 NODE ADDR: usagi's `neigh show` line for ADDR (empty if none).
uneigh4() { uctl "$1" neigh show | awk -v a="$2" '$1 == a { print; exit }'; }

# udp4 NS ARGS...: lib/udp4.py (python3 sockets: send/echo-server) in NS, bounded.
udp4() { local ns=$1; shift; in_ns "$ns" timeout 30 "$PY" "$NETNS_LIB/udp4.py" "$@"; }

# usnap NODE TAG: remembers NODE's counters under TAG; udelta NODE TAG COUNTER
# prints how much COUNTER grew since (the counter must exist).
usnap() { uctl "$1" stats >"$TMP/snap.$1.$2"; }
udelta() {
	local before
	before=$(awk -v n="$3" '$1 == n { print $2; f = 1 } END { exit !f }' "$TMP/snap.$1.$2") ||
		fail "counter $3 not in \`stats\` of $1"
	echo $(($(ustat "$1" "$3") - before))
}

# ---- IPsec helpers (ipsec_*.sh, tcp_esp.sh, pfkey_keyd.sh) ----

# kernel_no_ipsec NS: the kernel in NS drops ESP, AH and IPComp (both
# families) on input. It holds no SAs and would answer usagi's packets
# with ICMP errors; scapy and dumpcap still see them (they capture before
# netfilter). Without nft the kernel's errors are only noise.
kernel_no_ipsec() {
	command -v nft >/dev/null || return 0
	in_ns "$1" nft -f - <<'NFT'
table inet ipsec_peer {
	chain in {
		type filter hook input priority 0;
		ip protocol { 50, 51, 108 } drop
		ip6 nexthdr { 50, 51, 108 } drop
	}
}
NFT
}

# bridged_nodes VAR NODE=ADDR[,ADDR]...: namespace VAR (ns_add) with a
# bridge br0 that only carries frames (no addresses, IPv6 off), and per
# argument a usagi node NODE on its own TAP (tap0, tap1, ... in argument
# order) with ADDRs on it (nodad); the TAPs join br0 and come up after the
# nodes attached (INTEROP.md).
bridged_nodes() {
	local _bn_var=$1 _bn_ns _bn_arg _bn_node _bn_a _bn_i=0 _bn_j
	shift
	ns_add "$_bn_var"
	_bn_ns=${!_bn_var}
	for _bn_arg in "$@"; do
		_bn_node=${_bn_arg%%=*}
		_bn_arg=${_bn_arg#*=}
		tap_add "$_bn_ns" "tap$_bn_i"
		{
			printf 'link add tap%d type tap netns %s\nlink set tap%d up\n' "$_bn_i" "$_bn_ns" "$_bn_i"
			for _bn_a in ${_bn_arg//,/ }; do
				printf 'addr add %s dev tap%d nodad\n' "$_bn_a" "$_bn_i"
			done
		} >"$TMP/$_bn_node.conf.in"
		usagi_start "$_bn_node" <"$TMP/$_bn_node.conf.in"
		_bn_i=$((_bn_i + 1))
	done
	ip -n "$_bn_ns" link add br0 type bridge forward_delay 0
	in_ns "$_bn_ns" sysctl -qw net.ipv6.conf.br0.disable_ipv6=1
	for ((_bn_j = 0; _bn_j < _bn_i; _bn_j++)); do
		ip -n "$_bn_ns" link set "tap$_bn_j" master br0
		ip -n "$_bn_ns" link set "tap$_bn_j" up
	done
	ip -n "$_bn_ns" link set br0 up
}

# need_setkey NODE: fails unless NODE's usagi has the setkey command.
need_setkey() {
	local help
	help=$(uctl "$1" help)
	[[ $help == *"setkey -f"* ]] || fail "usagi has no setkey command: $help"
}

# tap_macs NODE NS IF: umac := NODE's MAC on IF (fails if none shown),
# kmac := the kernel's MAC of IF in NS, for scapy's frames between them.
tap_macs() {
	umac=$(mac_of "$1" "$3")
	[ -n "$umac" ] || fail "no MAC in \`link show $3\`: $(uctl "$1" link show "$3")"
	kmac=$(kmac "$2" "$3")
}

# usetkey NODE ARGS...: `usagi setkey` over NODE's PF_KEY socket (bounded at 30 s).
usetkey() { local n=$1; shift; timeout 30 "$USAGI" setkey --control "$TMP/$n.ctl" "$@"; }
