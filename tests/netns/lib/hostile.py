#!/usr/bin/python3
"""Hostile and malformed IPv6 input for tests/netns/hostile.sh.

Runs inside the kernel's namespace, sends frames on the TAP towards usagi
(sendp) and, where an answer matters, sniffs the TAP for it. Each case
prints one line that the shell script compares exactly.

usage: hostile.py CASE IFACE SRC_MAC DST_MAC SRC DST [ARG]
"""
import sys
import time

import sniff

from scapy.all import (Ether, IPv6, ICMPv6EchoRequest, ICMPv6EchoReply,
                       ICMPv6ParamProblem, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_RA,
                       ICMPv6NDOptSrcLLAddr, ICMPv6NDOptPrefixInfo, IPv6ExtHdrRouting,
                       IPv6ExtHdrFragment, IPv6ExtHdrDestOpt, PadN, Raw, conf, raw, sendp)
from scapy.utils6 import in6_getnsma, in6_getnsmac
from socket import inet_pton, inet_ntop, AF_INET6

conf.verb = 0

CASE, IFACE, SMAC, DMAC, SRC, DST = sys.argv[1:7]
ARG = sys.argv[7] if len(sys.argv) > 7 else None


def eth(dst=None):
    return Ether(src=SMAC, dst=dst or DMAC, type=0x86DD)


def exchange(frames, match, wait=2.0):
    """Sends @frames and returns the packets matching @match seen within @wait s."""
    return sniff.exchange(IFACE, frames, match, wait)


def from_usagi(p):
    return Ether in p and p[Ether].src.lower() == DMAC.lower() and IPv6 in p


def echo_reply(ident):
    return lambda p: from_usagi(p) and ICMPv6EchoReply in p and p[ICMPv6EchoReply].id == ident


def reply_word(got):
    return "reply" if got else "none"


def case_rh0():
    """RFC 5095: RH0 with segments left > 0 -> Parameter Problem code 0 at the type field."""
    pkt = IPv6(src=SRC, dst=DST) / IPv6ExtHdrRouting(type=0, segleft=1,
                                                    addresses=["2001:db8:1::77"]) / \
        ICMPv6EchoRequest(id=0x5001, seq=1)
    got = exchange(eth() / pkt, lambda p: from_usagi(p) and ICMPv6ParamProblem in p)
    if not got:
        print("none")
        return
    pp = got[0][ICMPv6ParamProblem]
    print("paramproblem code=%d ptr=%d" % (pp.code, pp.ptr))


def case_rh0_sl0():
    """RH0 with segments left 0 is skipped (RFC 8200 4.4): the echo is answered."""
    pkt = IPv6(src=SRC, dst=DST) / IPv6ExtHdrRouting(type=0, segleft=0,
                                                    addresses=["2001:db8:1::77"]) / \
        ICMPv6EchoRequest(id=0x5002, seq=1)
    print(reply_word(exchange(eth() / pkt, echo_reply(0x5002))))


def case_truncated():
    """Frames that lie about their length; nothing may come back, nothing may crash."""
    full = raw(IPv6(src=SRC, dst=DST) / ICMPv6EchoRequest(id=0x5003, seq=1, data=b"x" * 32))
    frames = [
        eth() / Raw(full[:20]),                                  # half an IPv6 header
        eth() / Raw(full[:39]),                                  # one byte short
        eth() / Raw(full[:40]),                                  # header only, plen says 40
        eth() / Raw(full[:48]),                                  # plen beyond the frame
        eth() / Raw(bytes([0x40]) + full[1:]),                   # version 4 in an IPv6 frame
        eth() / IPv6(src=SRC, dst=DST, nh=0, plen=4) / Raw(b"\x3a\x05\x00\x00"),  # HbH cut
        eth() / IPv6(src=SRC, dst=DST, nh=44, plen=6) / Raw(b"\x3a\x00\x00\x01\x00\x00"),  # frag hdr cut
        eth() / IPv6(src=SRC, dst=DST, nh=60) / IPv6ExtHdrDestOpt(nh=58, len=200),  # DestOpt len past end
        eth() / IPv6(src=SRC, dst=DST, nh=58, plen=2) / Raw(b"\x80\x00"),  # ICMPv6 cut
        eth() / IPv6(src=SRC, dst=DST, nh=17, plen=5) / Raw(b"\x00\x07\x00\x07\x00"),  # UDP cut
    ]
    got = exchange(frames, echo_reply(0x5003), wait=1.0)
    print(reply_word(got))


def frag_split(ident, upper, nh, pieces):
    """Fragments @upper (bytes after the IPv6 header, first header @nh) as
    [(offset_bytes, end_bytes, more)] pieces of the same Identification."""
    out = []
    for start, end, more in pieces:
        out.append(eth() / IPv6(src=SRC, dst=DST, nh=44) /
                   IPv6ExtHdrFragment(nh=nh, offset=start // 8, m=int(more), id=ident) /
                   Raw(upper[start:end]))
    return out


def case_overlap():
    """RFC 5722: overlapping fragments discard the whole datagram, silently."""
    upper = raw(IPv6(src=SRC, dst=DST) / ICMPv6EchoRequest(id=0x5004, seq=1, data=b"o" * 64))[40:]
    frames = frag_split(0x7001, upper, 58, [(0, 48, True), (40, len(upper), False)])
    print(reply_word(exchange(frames, echo_reply(0x5004))))


def case_frag_ok():
    """Positive control for the fragment cases: the same datagram, not overlapping."""
    upper = raw(IPv6(src=SRC, dst=DST) / ICMPv6EchoRequest(id=0x5005, seq=1, data=b"o" * 64))[40:]
    frames = frag_split(0x7002, upper, 58, [(0, 48, True), (48, len(upper), False)])
    print(reply_word(exchange(frames, echo_reply(0x5005))))


def case_tiny():
    """RFC 7112: a first fragment without the whole header chain is dropped."""
    upper = raw(IPv6(src=SRC, dst=DST) /
                IPv6ExtHdrDestOpt(nh=58, options=[PadN(optdata=b"\x00" * 12)]) /
                ICMPv6EchoRequest(id=0x5006, seq=1, data=b"t" * 16))[40:]
    # First fragment: 8 of the 16 bytes of the Destination Options header.
    frames = frag_split(0x7003, upper, 60, [(0, 8, True), (8, len(upper), False)])
    got = exchange(frames, lambda p: from_usagi(p) and (
        (ICMPv6EchoReply in p and p[ICMPv6EchoReply].id == 0x5006) or ICMPv6ParamProblem in p))
    words = []
    if any(ICMPv6EchoReply in p for p in got):
        words.append("reply")
    pps = [p[ICMPv6ParamProblem].code for p in got if ICMPv6ParamProblem in p]
    if pps:
        words.append("paramproblem code=%d" % pps[0])
    print(" ".join(words) or "none")


def ns_frame(hlim, opts):
    nsma = inet_ntop(AF_INET6, in6_getnsma(inet_pton(AF_INET6, DST)))
    return eth(in6_getnsmac(inet_pton(AF_INET6, nsma))) / \
        IPv6(src=SRC, dst=nsma, hlim=hlim) / ICMPv6ND_NS(tgt=DST) / opts


def na_for_dst(p):
    return from_usagi(p) and ICMPv6ND_NA in p and p[ICMPv6ND_NA].tgt == DST


def case_ns_ok():
    """Positive control: a well-formed NS gets an NA."""
    print("na" if exchange(ns_frame(255, ICMPv6NDOptSrcLLAddr(lladdr=SMAC)), na_for_dst) else "none")


def case_ns_hlim64():
    """RFC 4861 7.1.1: ND with hop limit != 255 is dropped (it may come from off-link)."""
    print("na" if exchange(ns_frame(64, ICMPv6NDOptSrcLLAddr(lladdr=SMAC)), na_for_dst) else "none")


def case_ns_zero_opt():
    """RFC 4861 7.1.1: an option with length 0 invalidates the message."""
    bad = Raw(b"\x01\x00" + bytes(6))
    print("na" if exchange(ns_frame(255, bad), na_for_dst) else "none")


def case_ra_hlim64():
    """An RA with hop limit 64 (and one with a zero-length option) must not configure anything."""
    ll = ARG
    frames = [
        eth("33:33:00:00:00:01") / IPv6(src=ll, dst="ff02::1", hlim=64) /
        ICMPv6ND_RA(routerlifetime=1800) / ICMPv6NDOptSrcLLAddr(lladdr=SMAC) /
        ICMPv6NDOptPrefixInfo(prefix="2001:db8:9::", prefixlen=64, L=1, A=1,
                              validlifetime=3600, preferredlifetime=1800),
        eth("33:33:00:00:00:01") / IPv6(src=ll, dst="ff02::1", hlim=255) /
        ICMPv6ND_RA(routerlifetime=1800) /
        ICMPv6NDOptPrefixInfo(prefix="2001:db8:a::", prefixlen=64, L=1, A=1,
                              validlifetime=3600, preferredlifetime=1800) /
        Raw(b"\x01\x00" + bytes(6)),
    ]
    sendp(frames, iface=IFACE)
    print("sent")


def case_flood():
    """Thousands of first fragments that never complete: reassembly state must stay bounded."""
    n = int(ARG or 3000)
    frames = [eth() / IPv6(src=SRC, dst=DST, nh=44) /
              IPv6ExtHdrFragment(nh=58, offset=0, m=1, id=0x100000 + i) /
              Raw(b"\x80\x00\x00\x00" + bytes(28)) for i in range(n)]
    sendp(frames, iface=IFACE)
    print("sent %d" % n)


CASES = {
    "rh0": case_rh0, "rh0-sl0": case_rh0_sl0, "truncated": case_truncated,
    "overlap": case_overlap, "frag-ok": case_frag_ok, "tiny": case_tiny,
    "ns-ok": case_ns_ok, "ns-hlim64": case_ns_hlim64, "ns-zero-opt": case_ns_zero_opt,
    "ra-bad": case_ra_hlim64, "flood": case_flood,
}

if __name__ == "__main__":
    CASES[CASE]()
