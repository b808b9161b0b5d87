#!/usr/bin/python3
"""Hostile and malformed IPv4/ARP input for tests/netns/hostile4.sh (and
the on-the-wire check of tests/netns/mapped.sh).

Runs inside the kernel's namespace, sends frames on the TAP towards usagi
(sendp) and, where an answer matters, sniffs the TAP for it. Each case
prints one line that the shell script compares exactly.

usage: hostile4.py CASE IFACE SRC_MAC DST_MAC SRC DST [ARG]
"""
import logging
import struct
import sys
import time

import sniff

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (ARP, Ether, ICMP, IP, UDP, Raw, conf, raw,
                       sendp)

conf.verb = 0

CASE, IFACE, SMAC, DMAC, SRC, DST = sys.argv[1:7]
ARG = sys.argv[7] if len(sys.argv) > 7 else None
EVIL_MAC = "02:00:5e:00:53:66"      # a MAC nobody on the link has


def eth(dst=None, etype=0x0800):
    return Ether(src=SMAC, dst=dst or DMAC, type=etype)


def exchange(frames, match, wait=1.5):
    """Sends @frames and returns the packets matching @match seen within @wait s."""
    return sniff.exchange(IFACE, frames, match, wait)


def from_usagi(p):
    return Ether in p and p[Ether].src.lower() == DMAC.lower()


def is_icmp(p, t, ident=None):
    if not (from_usagi(p) and IP in p and ICMP in p and p[ICMP].type == t):
        return False
    return ident is None or p[ICMP].id == ident


def echo(ident, **ipkw):
    return IP(src=ipkw.pop("src", SRC), dst=DST, **ipkw) / \
        ICMP(type=8, id=ident, seq=1) / Raw(b"h" * 32)


def verdict(frames, ident):
    """"reply", an ICMP error ("paramproblem code=C ptr=P", "unreach code=C",
    "timeexceeded code=C"), or "none"."""
    got = exchange(frames, lambda p: is_icmp(p, 0, ident) or
                   (from_usagi(p) and ICMP in p and p[ICMP].type in (3, 11, 12)))
    words = []
    if any(p[ICMP].type == 0 for p in got):
        words.append("reply")
    for p in got:
        t = p[ICMP].type
        if t == 12:
            words.append("paramproblem code=%d ptr=%d" % (p[ICMP].code, p[ICMP].ptr))
        elif t == 3:
            words.append("unreach code=%d" % p[ICMP].code)
        elif t == 11:
            words.append("timeexceeded code=%d" % p[ICMP].code)
    return " ".join(words) or "none"


def with_bytes(pkt, fn):
    """The frame with its IPv4 header bytes rewritten by @fn(bytearray)."""
    b = bytearray(raw(pkt))
    fn(b)
    return eth() / Raw(bytes(b))


def fix_csum(b, hlen=None):
    hlen = hlen if hlen is not None else (b[0] & 15) * 4
    b[10:12] = b"\0\0"
    b[10:12] = struct.pack("!H", inet_csum(bytes(b[:hlen])))


def inet_csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


# --- header checks (RFC 791 3.1, RFC 1122 3.2.1.1, 3.2.1.2) ---

def case_ping_ok():
    """Positive control: a well-formed echo request."""
    print(verdict(eth() / echo(0x4001), 0x4001))


def case_ihl_small():
    """IHL 4: shorter than the 20-byte minimum header."""
    def f(b):
        b[0] = 0x44
        fix_csum(b, 20)
    print(verdict(with_bytes(echo(0x4002), f), 0x4002))


def case_ihl_big():
    """IHL 15 (60 bytes) with total length 40: the header is past the datagram."""
    def f(b):
        b[0] = 0x4f
        b[2:4] = struct.pack("!H", 40)
        fix_csum(b, 20)
    print(verdict(with_bytes(echo(0x4003), f), 0x4003))


def case_totlen_short():
    """Total length 16: below IHL*4."""
    def f(b):
        b[2:4] = struct.pack("!H", 16)
        fix_csum(b)
    print(verdict(with_bytes(echo(0x4004), f), 0x4004))


def case_totlen_long():
    """Total length 100 bytes past the end of the frame."""
    def f(b):
        b[2:4] = struct.pack("!H", len(b) + 100)
        fix_csum(b)
    print(verdict(with_bytes(echo(0x4005), f), 0x4005))


def case_bad_csum():
    """Header checksum off by one."""
    def f(b):
        b[10] ^= 0x01
    print(verdict(with_bytes(echo(0x4006), f), 0x4006))


def case_short_frame():
    """10 bytes of an IPv4 header, and version 6 in an 0x0800 frame."""
    full = raw(echo(0x4007))
    frames = [eth() / Raw(full[:10]), eth() / Raw(bytes([0x65]) + full[1:])]
    print(verdict(frames, 0x4007))


# --- options (RFC 791 3.1; RFC 1122 3.2.1.8; RFC 1812 4.3.2.4 Parameter Problem) ---

def opt_echo(ident, opts):
    """Echo request with @opts (bytes, a multiple of 4) as IPv4 options, built
    byte by byte so that malformed options stay malformed."""
    icmp = raw(ICMP(type=8, id=ident, seq=1) / Raw(b"o" * 32))
    hlen = 20 + len(opts)
    h = bytearray(raw(IP(src=SRC, dst=DST, proto=1, len=hlen + len(icmp)))[:20]) + opts
    h[0] = 0x40 | (hlen // 4)
    fix_csum(h, hlen)
    return eth() / Raw(bytes(h) + icmp)


def case_opt_ok():
    """Positive control: NOP, NOP, NOP, END."""
    print(verdict(opt_echo(0x4010, b"\x01\x01\x01\x00"), 0x4010))


def case_opt_overrun():
    """Record Route whose length (39) runs past the 4-byte option area."""
    print(verdict(opt_echo(0x4011, b"\x07\x27\x04\x00"), 0x4011))


def case_opt_len0():
    """An option (Timestamp) with length 0."""
    print(verdict(opt_echo(0x4012, b"\x44\x00\x05\x00"), 0x4012))


def case_opt_len1():
    """An option (Record Route) with length 1."""
    print(verdict(opt_echo(0x4013, b"\x07\x01\x04\x00"), 0x4013))


# --- fragments (RFC 791 3.2; RFC 815) ---

def frags(ident, ipid, pieces, size=64):
    """The echo request of @size data bytes split as [(start, end, more)] (bytes of
    the ICMP message; starts multiple of 8)."""
    body = raw(ICMP(type=8, id=ident, seq=1) / Raw(b"f" * size))
    return [eth() / IP(src=SRC, dst=DST, id=ipid, proto=1, frag=s // 8, flags="MF" if m else 0) /
            Raw(body[s:e]) for s, e, m in pieces]


def case_frag_ok():
    """Positive control: two clean fragments."""
    print(verdict(frags(0x4020, 0x6001, [(0, 48, True), (48, 72, False)]), 0x4020))


def case_overlap():
    """Second fragment starts inside the first: the datagram is discarded."""
    print(verdict(frags(0x4021, 0x6002, [(0, 48, True), (40, 72, False)]), 0x4021))


def case_too_long():
    """A last fragment whose end passes 65535 bytes ("ping of death")."""
    body = raw(ICMP(type=8, id=0x4022, seq=1) / Raw(b"d" * 32))
    frames = [eth() / IP(src=SRC, dst=DST, id=0x6003, proto=1, flags="MF") / Raw(body[:24]),
              eth() / IP(src=SRC, dst=DST, id=0x6003, proto=1, frag=8189) / Raw(b"d" * 400)]
    print(verdict(frames, 0x4022))


def case_flood():
    """Thousands of first fragments that never complete: reassembly state must stay bounded."""
    n = int(ARG or 3000)
    frames = [eth() / IP(src=SRC, dst=DST, id=i & 0xffff, proto=1, flags="MF") /
              Raw(b"\x08\x00\x00\x00" + bytes(28)) for i in range(n)]
    sendp(frames, iface=IFACE)
    print("sent %d" % n)


# --- addresses (RFC 1122 3.2.1.3, 3.2.2; RFC 1812 5.3.7) ---

def case_martian():
    """Echo requests from sources a host never answers: loopback, multicast,
    limited and directed broadcast, 0.0.0.0."""
    srcs = [ARG] if ARG else ["127.0.0.1", "224.0.0.5", "255.255.255.255", "192.0.2.255",
                              "0.0.0.0"]
    frames = [eth() / echo(0x4030, src=s) for s in srcs]
    print(verdict(frames, 0x4030))


def udp_to(dst, mac, sport, dport):
    return eth(mac) / IP(src=SRC, dst=dst) / UDP(sport=sport, dport=dport) / Raw(b"u" * 16)


def case_udp_noport():
    """Positive control: unicast UDP to a closed port gets port unreachable."""
    print(verdict(udp_to(DST, None, 40001, 9), None))


def case_udp_bcast():
    """UDP to the directed and the limited broadcast on a closed port: no ICMP error."""
    frames = [udp_to(ARG or "192.0.2.255", "ff:ff:ff:ff:ff:ff", 40002, 9),
              udp_to("255.255.255.255", "ff:ff:ff:ff:ff:ff", 40003, 9)]
    print(verdict(frames, None))


# --- ARP (RFC 826, RFC 5227) ---

def usagi_arp(p):
    return from_usagi(p) and ARP in p


def case_arp_ok():
    """Positive control: a request for DST gets a reply with usagi's MAC."""
    got = exchange(eth("ff:ff:ff:ff:ff:ff", 0x0806) /
                   ARP(op=1, hwsrc=SMAC, psrc=SRC, hwdst="00:00:00:00:00:00", pdst=DST),
                   lambda p: usagi_arp(p) and p[ARP].op == 2 and p[ARP].psrc == DST)
    print("reply %s" % got[0][ARP].hwsrc if got else "none")


def case_arp_bad():
    """Requests for DST with hlen 8, plen 16, ptype 0x86dd: no reply."""
    base = dict(op=1, hwsrc=SMAC, psrc=SRC, hwdst="00:00:00:00:00:00", pdst=DST)
    frames = []
    for field, val in (("hwlen", 8), ("plen", 16), ("ptype", 0x86DD)):
        b = bytearray(raw(ARP(**base)))
        if field == "hwlen":
            b[4] = val
        elif field == "plen":
            b[5] = val
        else:
            b[2:4] = struct.pack("!H", val)
        frames.append(eth("ff:ff:ff:ff:ff:ff", 0x0806) / Raw(bytes(b)))
    got = exchange(frames, lambda p: usagi_arp(p) and p[ARP].op == 2)
    print("reply" if got else "none")


def spoof_frames(kind):
    if kind == "reply":
        # Unsolicited reply: "192.0.2.2 is at EVIL", addressed to usagi.
        return eth(DMAC, 0x0806) / ARP(op=2, hwsrc=EVIL_MAC, psrc=DST, hwdst=DMAC, pdst=DST)
    # Gratuitous ARP request claiming DST (RFC 5227 3), broadcast.
    return eth("ff:ff:ff:ff:ff:ff", 0x0806) / \
        ARP(op=1, hwsrc=EVIL_MAC, psrc=DST, hwdst="00:00:00:00:00:00", pdst=DST)


def case_arp_spoof():
    """Another MAC claims usagi's own address (ARG: reply|garp). Prints
    "defended" if usagi announced its own MAC for the address afterwards
    (RFC 5227 2.4 (b)/(c)), else "none"."""
    got = exchange(spoof_frames(ARG or "reply"),
                   lambda p: usagi_arp(p) and p[ARP].psrc == DST and
                   p[ARP].hwsrc.lower() == DMAC.lower(), wait=2.0)
    print("defended" if got else "none")


# --- mapped.sh: the reply of an IPv6 socket to an IPv4 sender, on the wire ---

def case_udp_mapped():
    """Sends a UDP datagram from SRC:9012 to DST:ARG and describes usagi's answer."""
    data = b"mapped-check-0123456789abcdef!!"
    got = exchange(eth() / IP(src=SRC, dst=DST) / UDP(sport=9012, dport=int(ARG)) / Raw(data),
                   lambda p: from_usagi(p) and UDP in p and p[UDP].dport == 9012)
    if not got:
        print("none")
        return
    p = got[0]
    if p[Ether].type != 0x0800 or IP not in p:
        print("not ipv4: ethertype 0x%04x" % p[Ether].type)
        return
    ip = raw(p[IP])
    hlen = (ip[0] & 15) * 4
    ipok = inet_csum(ip[:hlen]) == 0
    udp = ip[hlen:struct.unpack("!H", ip[2:4])[0]]
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, len(udp))
    udpok = "none" if udp[6:8] == b"\0\0" else ("ok" if inet_csum(pseudo + udp) == 0 else "bad")
    print("ipv4 %s:%d -> %s:%d ttl=%d ipcsum=%s udpcsum=%s %s" % (
        p[IP].src, p[UDP].sport, p[IP].dst, p[UDP].dport, p[IP].ttl,
        "ok" if ipok else "bad", udpok, "same" if udp[8:] == data else "different"))


CASES = {
    "ping-ok": case_ping_ok, "ihl-small": case_ihl_small, "ihl-big": case_ihl_big,
    "totlen-short": case_totlen_short, "totlen-long": case_totlen_long,
    "bad-csum": case_bad_csum, "short-frame": case_short_frame,
    "opt-ok": case_opt_ok, "opt-overrun": case_opt_overrun, "opt-len0": case_opt_len0,
    "opt-len1": case_opt_len1, "frag-ok": case_frag_ok, "overlap": case_overlap,
    "too-long": case_too_long, "flood": case_flood, "martian": case_martian,
    "udp-noport": case_udp_noport, "udp-bcast": case_udp_bcast, "arp-ok": case_arp_ok,
    "arp-bad": case_arp_bad, "arp-spoof": case_arp_spoof, "udp-mapped": case_udp_mapped,
}

if __name__ == "__main__":
    CASES[CASE]()
