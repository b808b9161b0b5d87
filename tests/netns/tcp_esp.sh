#!/usr/bin/env bash
# TCP under usagi's ESP between two usagi nodes over TAP (issue 8: "also
# under usagi's ESP with a kernel that cannot do IPsec replaced by a second
# usagi node").
#
#   +------------------------------ ns $K -------------------------------+
#   |   kernel bridge br0 (no addresses; dumpcap records it)             |
#   |        tap0 ----------------------------------- tap1               |
#   +---------|-------------------------------------------|--------------+
#   +---------|------------------+              +---------|--------------+
#   | usagi node A               |              | usagi node B           |
#   | tap0 2001:db8:1::1/64      |              | tap1 2001:db8:1::2/64  |
#   |      192.0.2.1/24          |              |      192.0.2.2/24      |
#   | service tcp-send -> B      |              | service tcp-echo 7     |
#   +----------------------------+              +------------------------+
#
# ESP transport SAs (aes-gcm-16, RFC 4106) both ways for each family and
# policies for TCP only (ND, ARP and ICMP stay in clear), loaded with
# `usagi setkey -c` over each node's PF_KEY socket. A sends 4 MB over IPv6
# and 4 MB over IPv4 to B's tcp-echo, which sends them back.
#
# Proves: tcp-send completes with the whole count both times (the echo
# came back and both sides closed); on the bridge no TCP segment is in
# clear, every frame between A and B that is not ND/ARP is ESP, tshark
# verifies every ICV and decrypts every packet to TCP (A's own esp_sa
# records), and the IPv6 stream A -> B decrypted from the bridge is
# byte-exact tcp-send's pattern; the MSS in the SYNs leaves room for ESP
# and no frame exceeds the 1500-octet MTU: no fragment on the bridge and
# the nodes' fragmentation and reassembly counters stay 0; no ICV or
# checksum failures.
source "$(dirname "$0")/lib/common.sh"
netns_setup tcp_esp
need_cmd tshark dumpcap
BYTES=4194304

bridged_nodes K A=2001:db8:1::1/64,192.0.2.1/24 B=2001:db8:1::2/64,192.0.2.2/24
uctl B service tcp-echo 7 >/dev/null || fail "service tcp-echo on B"
key() { local i s=0x; for ((i = 0; i < $1; i++)); do printf -v s '%s%02x' "$s" $(((i * 37 + $1 + $2) & 255)); done; echo "$s"; }

# In clear first: the bridge works, neighbours are resolved.
out=$(uctl A ping 2001:db8:1::2 -c 1 -W 3) || fail "clear ping6 A -> B: $out"
out=$(uctl A ping 192.0.2.2 -c 1 -W 3) || fail "clear ping A -> B: $out"

sas=$(cat <<EOF
add 2001:db8:1::1 2001:db8:1::2 esp 0x5001 -m transport -E aes-gcm-16 $(key 20 1);
add 2001:db8:1::2 2001:db8:1::1 esp 0x5002 -m transport -E aes-gcm-16 $(key 20 2);
add 192.0.2.1 192.0.2.2 esp 0x5003 -m transport -E aes-gcm-16 $(key 20 3);
add 192.0.2.2 192.0.2.1 esp 0x5004 -m transport -E aes-gcm-16 $(key 20 4);
EOF
)
# Both nodes the same SAs; the policies mirrored (A is ::1 / .1, B ::2 / .2).
for n in A B; do
	if [ $n = A ]; then me=1 peer=2; else me=2 peer=1; fi
	usetkey $n -c <<EOF || fail "setkey -c on $n"
$sas
spdadd 2001:db8:1::$me 2001:db8:1::$peer tcp -P out ipsec esp/transport//require;
spdadd 2001:db8:1::$peer 2001:db8:1::$me tcp -P in ipsec esp/transport//require;
spdadd 192.0.2.$me 192.0.2.$peer tcp -P out ipsec esp/transport//require;
spdadd 192.0.2.$peer 192.0.2.$me tcp -P in ipsec esp/transport//require;
EOF
done
assert_eq "four SAs on A" 4 "$(usetkey A -D | grep -c 'state=mature')"
uctl A ipsec esp-sa "$TMP/esp_sa" >/dev/null || fail "ipsec esp-sa"
pass "aes-gcm-16 transport SAs and TCP policies on both nodes (PF_KEY)"

bg_in_ns "$K" "$TMP/dumpcap.log" dumpcap -q -i br0 -w "$TMP/br0.pcapng"
wait_until 10 test -s "$TMP/br0.pcapng" || fail "dumpcap did not start: $(cat "$TMP/dumpcap.log")"
sleep 0.5
DUMPCAP=${PIDS[-1]}
for n in A B; do usnap $n x; done

for dst in 2001:db8:1::2 192.0.2.2; do
	uctl A service tcp-send $dst 7 $BYTES >/dev/null || fail "service tcp-send $dst"
	done_re="tcp-send (::ffff:)?$dst\.7: $BYTES bytes in [0-9]+ ms"
	wait_until 60 grep -Eq "$done_re" "$TMP/A.log" ||
		fail "tcp-send to $dst did not complete: $(grep tcp-send "$TMP/A.log")"
	pass "tcp-send -> tcp-echo over ESP to $dst: $(grep -Eo "$done_re" "$TMP/A.log")"
done
sleep 0.5
kill "$DUMPCAP"
wait "$DUMPCAP" 2>/dev/null || true

# Counters: both transfers under ESP, nothing fragmented, nothing refused.
for n in A B; do
	assert_gt "$n: ESP packets sent" "$(udelta $n x esp_out_ok)" 5000
	assert_gt "$n: ESP packets received" "$(udelta $n x esp_in_ok)" 5000
	for c in esp_in_icv_fail tcp_bad_csum ip6_out_frag_ok ip4_out_frag_ok frag6_in frag4_in \
		 xfrm_spd_in_nomatch xfrm_in_no_state; do
		assert_eq "$n: $c" 0 "$(udelta $n x $c)"
	done
	assert_gt "$n: connections" "$(udelta $n x tcp_established)" 1
done
pass "counters: ESP both ways, no fragmentation or reassembly, no ICV/checksum/policy failures"

raw() { HOME=$TMP/empty tshark -n -r "$TMP/br0.pcapng" "$@" 2>/dev/null; }
mkdir -p "$TMP/empty" "$TMP/home/.config/wireshark"
grep -E '^"IPv(4|6)"' "$TMP/esp_sa" >"$TMP/home/.config/wireshark/esp_sa"
dec() { HOME=$TMP/home tshark -n -r "$TMP/br0.pcapng" -o esp.enable_encryption_decode:TRUE \
	-o esp.enable_authentication_check:TRUE "$@" 2>/dev/null; }

nesp=$(raw -Y esp -T fields -e frame.number | wc -l)
assert_gt "ESP frames on the bridge" "$nesp" 10000
assert_eq "no TCP in clear" 0 "$(raw -Y 'tcp && !esp' -T fields -e frame.number | wc -l)"
other=$(raw -Y '!esp && !arp && !icmpv6 && !icmp && !igmp' -T fields -e frame.number -e frame.protocols)
[ -z "$other" ] || fail "frames neither ESP nor ND/ARP/ICMP/IGMP on the bridge: $other"
assert_eq "no IPv6 fragments" 0 "$(raw -Y 'ipv6.fraghdr' -T fields -e frame.number | wc -l)"
assert_eq "no IPv4 fragments" 0 "$(raw -Y 'ip.flags.mf == 1 || ip.frag_offset > 0' -T fields -e frame.number | wc -l)"
maxlen=$(raw -Y esp -T fields -e frame.len | sort -n | tail -1)
[ "$maxlen" -le 1514 ] || fail "ESP frame of $maxlen octets on a 1500 MTU link"
pass "bridge: $nesp ESP frames, no clear TCP, no fragments, largest frame $maxlen octets"

dec -Y esp -T fields -e esp.icv_good -e tcp.srcport >"$TMP/dec.txt"
bad=$(awk '$1 != 1 || $2 == ""' "$TMP/dec.txt" | head -5)
[ -z "$bad" ] || fail "ESP packets that did not verify or decrypt to TCP: $bad"
pass "tshark: all $(wc -l <"$TMP/dec.txt") ESP packets verified (ICV) and decrypted to TCP"

# MSS: the SYNs announce room for ESP (a 1500 MTU minus IP, TCP and ESP).
mss=$(dec -Y 'esp && tcp.flags.syn == 1' -T fields -E separator=, -e ipv6.version -e tcp.options.mss_val)
nsyn=$(grep -c , <<<"$mss")
assert_gt "SYNs decrypted" "$nsyn" 3
# IPv6: 1500 - 40 - 20 - 37 (ESP header 8, IV 8, ICV 16, pad length and next header 2, padding 3).
bad=$(awk -F, '{ lim = $1 == 6 ? 1403 : 1423; if ($2 == "" || $2 > lim) print }' <<<"$mss")
[ -z "$bad" ] || fail "SYNs announcing no room for ESP (ipv6?,mss): $bad"
pass "MSS in the $nsyn SYNs leaves room for ESP: $(sort -u <<<"$mss" | tr '\n' ' ')"

# Byte-exact: the IPv6 stream A -> B, reassembled by tshark from the decrypted capture.
dec -q -z follow,tcp,raw,0 >"$TMP/follow.txt"
"$PY" - "$TMP/follow.txt" $BYTES <<'EOF' || fail "decrypted stream A -> B is not tcp-send's pattern"
import sys
lines = open(sys.argv[1]).read().split("\n")
data = bytearray()
body = False
for l in lines:
    if l.startswith("====="):
        body = not body if data or body else True
        continue
    if not body or not l or l.startswith(("Follow:", "Filter:", "Node 0:", "Node 1:")):
        continue
    if l.startswith("\t"):
        continue  # the other direction (the echo)
    data += bytes.fromhex(l.strip())
n = int(sys.argv[2])
want = bytes(((k * 131 + (k >> 9)) & 255) for k in (i & 0xffff for i in range(n)))
print("# follow: %d octets A -> B" % len(data), file=sys.stderr)
sys.exit(0 if bytes(data) == want else 1)
EOF
pass "the IPv6 stream A -> B decrypted from the bridge is byte-exact ($BYTES octets)"
node_alive A && node_alive B || fail "a node died"
echo "tcp_esp: all passed"
