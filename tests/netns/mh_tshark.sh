#!/usr/bin/env bash
# tshark 4.0 dissects every Mobility Header message usagi's codec builds.
# No namespaces and no root: the codec writes a capture, tshark reads it.
#
#   netns_mh_pcap (mh_build + mh_csum_set + mip6_rr) --> mh.pcap
#        BRR, HoTI, CoTI, HoT, CoT, BU (home), BU (AltCoA + Nonce Indices
#        + BAD), BA (K), BA (BRA + BAD), BA (status 135), BE
#   tshark -r mh.pcap -V / -T fields   and   python3 (RFC 1071 checksum)
#
# Proves: no frame is marked malformed and tshark raises no error or warning
# expert info; every field usagi set is what tshark decodes (Payload Proto
# 59, Header Len, MH Type, cookies, nonce indices, keygen tokens, sequence
# numbers, A/H/K flags, lifetimes, BA and BE status, home address, refresh
# interval, alternate care-of address, nonce indices option, authenticator),
# padding shows as PadN where the 6.2 alignment needs it; the checksum of
# every frame verifies over the IPv6 pseudo-header with next header 135,
# computed independently in Python.
source "$(dirname "$0")/lib/common.sh"

command -v tshark >/dev/null 2>&1 || skip "tshark not installed"
BIN=${USAGI_BIN_DIR:-$(dirname "$USAGI")}
HELPER=$BIN/netns_mh_pcap
[ -x "$HELPER" ] || fail "$HELPER not built"

TMP=$(mktemp -d /tmp/usagi-mh_tshark-XXXXXX)
trap 'rc=$?; rm -rf "$TMP"; exit $rc' EXIT

out=$("$HELPER" "$TMP/mh.pcap") || fail "netns_mh_pcap failed"
auth=$(printf '%s\n' "$out" | awk '$1 == "bu_auth" { print $2 }')
assert_match "helper's authenticator" '^[0-9a-f]{24}$' "$auth"
ts() { tshark -n -r "$TMP/mh.pcap" "$@" 2>"$TMP/tshark.err" || { cat "$TMP/tshark.err" >&2; fail "tshark $*"; }; }

V=$(ts -V)
assert_eq "frames dissected as MIPv6" 11 "$(printf '%s\n' "$V" | grep -c '^    Mobile IPv6$')"
assert_no_match "malformed mark" 'Malformed|Expert Info \((Error|Warning)' "$V"
assert_eq "PadN options shown" 6 "$(printf '%s\n' "$V" | grep -c 'MIPv6 Option - PadN')"
pass "11 frames, no malformed mark or expert warning"

got=$(ts -T fields -E separator='|' -e mip6.proto -e mip6.hlen -e mip6.mhtype \
	-e mip6.hoti.cookie -e mip6.coti.cookie -e mip6.hot.nindex -e mip6.hot.cookie \
	-e mip6.hot.token -e mip6.cot.nindex -e mip6.cot.cookie)
want='59|0|0|||||||
59|1|1|0xc0c1c2c3c4c5c6c7||||||
59|1|2||0xc0c1c2c3c4c5c6c7|||||
59|2|3|||3|0xc0c1c2c3c4c5c6c7|0x7071727374757677||
59|2|4|||||0x7071727374757677|4|0xc0c1c2c3c4c5c6c7
59|1|5|||||||
59|6|5|||||||
59|1|6|||||||
59|3|6|||||||
59|1|6|||||||
59|2|7|||||||'
assert_eq "header and return routability fields" "$want" "$got"
pass "header, HoTI/CoTI cookies, HoT/CoT nonce index, cookie, token"

got=$(ts -T fields -E separator='|' -e mip6.mhtype -e mip6.bu.seqnr -e mip6.bu.a_flag \
	-e mip6.bu.h_flag -e mip6.bu.lifetime -e mip6.ba.status -e mip6.ba.k_flag \
	-e mip6.ba.seqnr -e mip6.ba.lifetime -e mip6.be.status -e mip6.be.haddr \
	-e mip6.bra.interval -e mip6.acoa.acoa -e mip6.ni.hni -e mip6.ni.cni -e mip6.bad.auth)
want='0|||||||||||||||
1|||||||||||||||
2|||||||||||||||
3|||||||||||||||
4|||||||||||||||
5|100|1|1|150|||||||||||
5|101|0|0|60||||||||2001:db8:2::200|3|4|'$auth'
6|||||0|1|100|150|||||||
6|||||0|0|101|60|||40||||abababababababababababab
6|||||135|0|55|0|||||||
7|||||||||1|2001:db8:1::100|||||'
assert_eq "binding fields and options" "$want" "$got"
pass "BU/BA/BE fields, BRA, AltCoA, Nonce Indices, BAD"

# RFC 6275 6.1.1 checksum of every frame, verified from the capture's bytes.
$PY - "$TMP/mh.pcap" <<'PYEOF' || fail "checksum check"
import struct, sys
data = open(sys.argv[1], 'rb').read()
off, n = 24, 0
while off < len(data):
    _, _, incl, _ = struct.unpack_from('<IIII', data, off)
    f = data[off + 16:off + 16 + incl]
    off += 16 + incl
    ip, mh = f[14:54], f[54:]
    assert ip[6] == 135 and struct.unpack('!H', ip[4:6])[0] == len(mh)
    assert len(mh) == (mh[1] + 1) * 8, 'Header Len'
    blob = ip[8:40] + struct.pack('!I3xB', len(mh), 135) + mh
    s = sum(struct.unpack('!%dH' % (len(blob) // 2), blob))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    assert s == 0xffff, 'frame %d: checksum' % (n + 1)
    n += 1
assert n == 11, n
PYEOF
pass "checksums of all 11 frames verify (python, RFC 1071)"
