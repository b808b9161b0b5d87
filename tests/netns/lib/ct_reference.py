#!/usr/bin/python3
"""Conntrack reference model: the driver of tests/netns/ct_reference.sh.

One process holds a raw AF_PACKET socket in the client namespace and one in
the server namespace (setns(2) between opening them), so it can send a
scripted packet from either end and see whether the router forwarded it to
the other. After every packet it runs PROBE (a command printing nft-shaped
rules `ct state S counter packets N ...`) and takes the rule whose counter
grew as the router's conntrack verdict, then TABLE (a command printing the
conntrack table, /proc/net/nf_conntrack or conntrack-tools' format) and
keeps the scenario's entries: their state after every packet, and in full
at the end of the scenario.

  ct_reference.py run CLIENT SERVER PROBE TABLE OUT [SCENARIO...]
      CLIENT, SERVER: NS,IFACE,OWN_MAC,ROUTER_MAC. Writes JSON to OUT.
  ct_reference.py compare KERNEL.json USAGI.json [EXPECT]
      Prints packet / kernel verdict / usagi verdict and the final tables;
      exit 1 on any disagreement not listed in EXPECT (lines `SCENARIO/vF
      PACKET` or `SCENARIO/vF table`; `#` comments).
  ct_reference.py list
      The scenario names.

The kernel end hosts drop everything but ND (and traffic from the router's
own addresses) in their input chain, so only scapy speaks for them.
"""
import ctypes
import ipaddress
import json
import os
import re
import select
import socket
import subprocess
import sys
import time

from scapy.all import (Ether, IP, IPv6, TCP, UDP, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply,
                       ICMPv6DestUnreach, ICMPv6NIQueryNOOP, ICMPv6NIReplyNOOP, Raw, raw)

C6, S6 = "2001:db8:1::1", "2001:db8:2::1"
C4, S4 = "192.0.2.1", "198.51.100.1"
WAIT = 0.3          # seconds a forwarded packet may take
CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


# ---------------------------------------------------------------- packets

def l3(fam, d):
    src, dst = ((C6, S6) if fam == 6 else (C4, S4))[:: 1 if d == "c2s" else -1]
    return IPv6(src=src, dst=dst, hlim=64) if fam == 6 else IP(src=src, dst=dst, ttl=64)


def other(d):
    return "s2c" if d == "c2s" else "c2s"


class Tcp:
    """One TCP flow; nxt[d] is the next sequence number end d sends."""
    WS = [("MSS", 1400), ("WScale", 7)]

    def __init__(self, fam, sport, dport, isn_c=0x10000000, isn_s=0x70000000):
        self.fam, self.sp, self.dp = fam, sport, dport
        self.nxt = {"c2s": isn_c, "s2c": isn_s}

    def seg(self, d, flags, data=b"", seq=None, ack=None, win=502, opts=None, advance=True):
        sp, dp = (self.sp, self.dp) if d == "c2s" else (self.dp, self.sp)
        s = self.nxt[d] if seq is None else seq & 0xffffffff
        a = (self.nxt[other(d)] if ack is None else ack) if "A" in flags else 0
        p = l3(self.fam, d) / TCP(sport=sp, dport=dp, flags=flags, seq=s, ack=a & 0xffffffff,
                                  window=win, options=opts or [])
        if data:
            p = p / Raw(data)
        if seq is None and advance:
            self.nxt[d] = (s + len(data) + ("S" in flags) + ("F" in flags)) & 0xffffffff
        return p

    def handshake(self, ws=True):
        o = self.WS if ws else []
        return [("syn", "c2s", self.seg("c2s", "S", win=64800, opts=o)),
                ("synack", "s2c", self.seg("s2c", "SA", win=64800, opts=o)),
                ("ack", "c2s", self.seg("c2s", "A"))]

    def data(self, d, n, tag):
        return [("data-" + tag, d, self.seg(d, "PA", b"x" * n)),
                ("ack-" + tag, other(d), self.seg(other(d), "A"))]

    def fin_close(self, first="c2s"):
        sec = other(first)
        return [("fin1", first, self.seg(first, "FA")),
                ("ack-fin1", sec, self.seg(sec, "A")),
                ("fin2", sec, self.seg(sec, "FA")),
                ("ack-fin2", first, self.seg(first, "A"))]


def udp(fam, d, sport, dport, tag):
    sp, dp = (sport, dport) if d == "c2s" else (dport, sport)
    return l3(fam, d) / UDP(sport=sp, dport=dp) / Raw(tag.encode())


def echo(fam, d, ident, seq, reply=False):
    if fam == 6:
        m = ICMPv6EchoReply if reply else ICMPv6EchoRequest
        return l3(fam, d) / m(id=ident, seq=seq) / Raw(b"ping")
    return l3(fam, d) / ICMP(type=0 if reply else 8, id=ident, seq=seq) / Raw(b"ping")


def unreach(fam, d, quoted):
    """Port unreachable from the end in direction @d, quoting @quoted (RFC 4443 3.1, RFC 792)."""
    q = raw(quoted)
    if fam == 6:
        return l3(fam, d) / ICMPv6DestUnreach(code=4) / Raw(q)
    return l3(fam, d) / ICMP(type=3, code=3) / Raw(q)


# ---------------------------------------------------------------- scenarios

def sc_tcp_fin(fam, port):
    """Handshake with window scaling, data both ways, FIN teardown: TIME_WAIT."""
    t = Tcp(fam, port, 80)
    return (t.handshake() + t.data("c2s", 100, "c") + t.data("s2c", 1000, "s") +
            t.fin_close("c2s"))


def sc_tcp_fin_srv(fam, port):
    """The server closes first; a late retransmitted FIN after TIME_WAIT."""
    t = Tcp(fam, port, 80)
    pk = t.handshake(ws=False) + t.data("c2s", 10, "c") + t.fin_close("s2c")
    pk.append(("fin2-again", "c2s", t.seg("c2s", "FA", seq=t.nxt["c2s"] - 1)))
    return pk


def sc_tcp_rst(fam, port):
    """RST from the client at its next sequence number: CLOSE; data after it."""
    t = Tcp(fam, port, 80)
    pk = t.handshake() + t.data("c2s", 100, "c")
    pk.append(("rst", "c2s", t.seg("c2s", "R", advance=False)))
    pk.append(("data-after-rst", "s2c", t.seg("s2c", "PA", b"late")))
    return pk


def sc_tcp_rst_inexact(fam, port):
    """RSTs in the window but not at the expected sequence (RFC 5961 3.2), then out of it."""
    t = Tcp(fam, port, 80)
    pk = t.handshake() + t.data("s2c", 100, "s")
    pk.append(("rst-oow", "c2s", t.seg("c2s", "R", seq=t.nxt["c2s"] + 0x40000000)))
    pk.append(("rst-inwin", "c2s", t.seg("c2s", "R", seq=t.nxt["c2s"] + 1000)))
    pk += t.data("c2s", 50, "after")
    pk.append(("rst-srv", "s2c", t.seg("s2c", "RA", advance=False)))
    return pk


def sc_tcp_rst_reopen(fam, port):
    """The server resets an established flow; the client then opens the tuple again."""
    t = Tcp(fam, port, 80)
    pk = t.handshake(ws=False) + t.data("c2s", 10, "c")
    pk.append(("rst-srv", "s2c", t.seg("s2c", "R", advance=False)))
    t.nxt["c2s"] += 100000
    t.nxt["s2c"] += 300000
    return pk + [("re-" + n, d, p) for n, d, p in t.handshake(ws=False)] + t.data("c2s", 10, "c2")


def sc_tcp_rst_client_reopen(fam, port):
    """The client resets an established flow and opens the tuple again."""
    t = Tcp(fam, port, 80)
    pk = t.handshake(ws=False) + t.data("c2s", 10, "c")
    pk.append(("rst-cli", "c2s", t.seg("c2s", "R", advance=False)))
    t.nxt["c2s"] += 100000
    t.nxt["s2c"] += 300000
    return pk + [("re-" + n, d, p) for n, d, p in t.handshake(ws=False)]


def sc_tcp_refused(fam, port):
    """SYN answered by RST/ACK (closed port), then a new SYN on the same tuple."""
    t = Tcp(fam, port, 81)
    pk = [("syn", "c2s", t.seg("c2s", "S", win=64800)),
          ("rst-bad-ack", "s2c", t.seg("s2c", "RA", ack=t.nxt["c2s"] + 5, advance=False)),
          ("rst-ack", "s2c", t.seg("s2c", "RA", seq=0, advance=False))]
    t.nxt["c2s"] += 50000
    pk.append(("syn-again", "c2s", t.seg("c2s", "S", win=64800)))
    pk.append(("synack", "s2c", t.seg("s2c", "SA", win=64800)))
    pk.append(("ack", "c2s", t.seg("c2s", "A")))
    return pk


def sc_tcp_oow(fam, port):
    """Out-of-window segments between valid data."""
    t = Tcp(fam, port, 80)
    pk = t.handshake() + t.data("c2s", 100, "c")
    n = t.nxt["c2s"]
    pk += [("seq-above-window", "c2s", t.seg("c2s", "PA", b"y" * 10, seq=n + 0x01000000)),
           ("ack-unsent-data", "c2s", t.seg("c2s", "A", ack=t.nxt["s2c"] + 0x00200000)),
           ("old-retransmit", "c2s", t.seg("c2s", "PA", b"z" * 10, seq=n - 0x00800000)),
           ("old-ack", "s2c", t.seg("s2c", "A", ack=n - 0x00800000)),
           ("synack-late", "s2c", t.seg("s2c", "SA", seq=t.nxt["s2c"] - 1, ack=n - 100))]
    pk += t.data("c2s", 100, "again") + t.data("s2c", 100, "s")
    return pk


def sc_tcp_badsyn(fam, port):
    """Segments that start nothing: no flags, SYN+FIN, FIN without ACK, bad SYN/ACK."""
    t = Tcp(fam, port, 80)
    pk = [("null-flags", "c2s", t.seg("c2s", "", advance=False)),
          ("syn-fin", "c2s", t.seg("c2s", "SF", advance=False)),
          ("fin-only", "c2s", t.seg("c2s", "F", advance=False)),
          ("synack-noentry", "s2c", t.seg("s2c", "SA", advance=False)),
          ("syn", "c2s", t.seg("c2s", "S", win=64800)),
          ("synack-wrong-ack", "s2c", t.seg("s2c", "SA", ack=t.nxt["c2s"] + 7, advance=False)),
          ("synack", "s2c", t.seg("s2c", "SA", win=64800)),
          ("ack", "c2s", t.seg("c2s", "A"))]
    return pk


def sc_tcp_pickup(fam, port):
    """nf_conntrack_tcp_loose: an ACK of a flow begun before the router looked."""
    t = Tcp(fam, port, 80)
    return [("ack-midstream", "c2s", t.seg("c2s", "PA", b"m" * 20)),
            ("reply", "s2c", t.seg("s2c", "PA", b"n" * 20)),
            ("ack", "c2s", t.seg("c2s", "A"))]


def sc_tcp_tw_reopen(fam, port):
    """After TIME_WAIT the client opens the same tuple again."""
    t = Tcp(fam, port, 80)
    pk = t.handshake(ws=False) + t.fin_close("c2s")
    t.nxt["c2s"] += 100000
    t.nxt["s2c"] += 300000
    return pk + [("re-" + n, d, p) for n, d, p in t.handshake(ws=False)] + t.data("c2s", 10, "c")


def sc_tcp_tw_reverse(fam, port):
    """After TIME_WAIT the server opens the same tuple toward the client."""
    t = Tcp(fam, port, 80)
    pk = t.handshake(ws=False) + t.fin_close("c2s")
    t.nxt["c2s"] += 100000
    t.nxt["s2c"] += 300000
    pk += [("rev-syn", "s2c", t.seg("s2c", "S", win=64800)),
           ("rev-synack", "c2s", t.seg("c2s", "SA", win=64800)),
           ("rev-ack", "s2c", t.seg("s2c", "A"))]
    return pk + t.data("s2c", 10, "s")


def sc_udp(fam, port):
    """Request, reply, more; a datagram the server starts on another port.
    A replied flow becomes a stream (assured) only with a packet more than
    2 s after its first (Linux's stream_ts), an unreplied one never."""
    return [("req", "c2s", udp(fam, "c2s", port, 53, "q1")),
            ("reply", "s2c", udp(fam, "s2c", port, 53, "r1")),
            ("req2", "c2s", udp(fam, "c2s", port, 53, "q2")),
            ("srv-new", "s2c", udp(fam, "s2c", port + 1, 5353, "u")),
            ("req3-3s-later", "c2s", udp(fam, "c2s", port, 53, "q3"), 3.0),
            ("srv-new-3s-later", "s2c", udp(fam, "s2c", port + 1, 5353, "u2"))]


def sc_icmp_echo(fam, port):
    """Echo request/reply; a reply nobody asked for."""
    return [("request", "c2s", echo(fam, "c2s", port, 1)),
            ("reply", "s2c", echo(fam, "s2c", port, 1, reply=True)),
            ("request2", "c2s", echo(fam, "c2s", port, 2)),
            ("reply2", "s2c", echo(fam, "s2c", port, 2, reply=True)),
            ("unsolicited-reply", "s2c", echo(fam, "s2c", port + 1, 1, reply=True))]


def sc_icmp_error(fam, port):
    """ICMP errors quoting a tracked UDP flow (either way) and an untracked one."""
    q = udp(fam, "c2s", port, 9, "e1")
    rq = udp(fam, "s2c", port, 9, "e2")
    stray = udp(fam, "c2s", port + 1, 9, "e3")
    t = Tcp(fam, port + 2, 80)
    pk = [("udp", "c2s", q),
          ("unreach-tracked", "s2c", unreach(fam, "s2c", q)),
          ("udp-reply", "s2c", rq),
          ("unreach-from-client", "c2s", unreach(fam, "c2s", rq)),
          ("unreach-untracked", "s2c", unreach(fam, "s2c", stray))]
    pk += t.handshake(ws=False)
    pk.append(("unreach-tcp", "s2c", unreach(fam, "s2c", t.seg("c2s", "A", advance=False))))
    return pk


def sc_tcp_simopen(fam, port):
    """Simultaneous open (RFC 9293 figure 8): SYNs cross, both answer with SYN/ACK."""
    t = Tcp(fam, port, port + 1)
    syn_c = t.seg("c2s", "S", win=64800)
    syn_s = t.seg("s2c", "S", win=64800)
    return [("syn", "c2s", syn_c), ("syn-cross", "s2c", syn_s),
            ("synack", "c2s", t.seg("c2s", "SA", seq=t.nxt["c2s"] - 1, win=64800)),
            ("synack-cross", "s2c", t.seg("s2c", "SA", seq=t.nxt["s2c"] - 1, win=64800)),
            ("ack", "c2s", t.seg("c2s", "A"))] + t.data("c2s", 10, "c")


def sc_tcp_half_close(fam, port):
    """Data after one side's FIN (CLOSE_WAIT), a retransmitted FIN, the other's FIN."""
    t = Tcp(fam, port, 80)
    pk = t.handshake(ws=False)
    pk.append(("fin-c", "c2s", t.seg("c2s", "FA")))
    pk.append(("fin-c-again", "c2s", t.seg("c2s", "FA", seq=t.nxt["c2s"] - 1)))
    pk.append(("ack-fin-c", "s2c", t.seg("s2c", "A")))
    pk += t.data("s2c", 300, "s")
    pk.append(("data-after-own-fin", "c2s", t.seg("c2s", "PA", b"late", advance=False)))
    pk.append(("fin-s", "s2c", t.seg("s2c", "FA")))
    pk.append(("ack-fin-s", "c2s", t.seg("c2s", "A")))
    return pk


def sc_bad_checksum(fam, port):
    """Upper-layer checksums that do not verify (Linux checks them: nf_conntrack_checksum=1)."""
    t = Tcp(fam, port, 80)
    syn = t.seg("c2s", "S", win=64800, advance=False)
    syn[TCP].chksum = 0x1234
    u = udp(fam, "c2s", port + 1, 53, "bad")
    u[UDP].chksum = 0x1234
    e = echo(fam, "c2s", port + 2, 1)
    if fam == 6:
        e[ICMPv6EchoRequest].cksum = 0x1234
    else:
        e[ICMP].chksum = 0x1234
    return [("tcp-syn", "c2s", syn), ("udp", "c2s", u), ("echo", "c2s", e)]


def sc_malformed(fam, port):
    """A UDP length past the datagram; a TCP data offset past the segment."""
    u = udp(fam, "c2s", port, 53, "short")
    u[UDP].len = 200
    t = Tcp(fam, port + 1, 80)
    syn = t.seg("c2s", "S", win=64800, advance=False)
    syn[TCP].dataofs = 15
    return [("udp-len", "c2s", u), ("tcp-doff", "c2s", syn)]


def sc_icmp_more(fam, port):
    """Echo with a non-zero code, the other queries Linux pairs (IPv4 timestamp,
    information and address mask, ICMPv6 node information) with their replies, an
    error quoting an echo request, and (IPv6) a packet with No Next Header."""
    req = echo(fam, "c2s", port, 1)
    pk = [("request", "c2s", req),
          ("unreach-echo", "s2c", unreach(fam, "s2c", req))]
    odd = echo(fam, "c2s", port + 1, 1)
    if fam == 6:
        odd[ICMPv6EchoRequest].code = 1
        pk.append(("echo-code1", "c2s", odd))
        pk.append(("ni-reply-unsolicited", "s2c",
                   l3(fam, "s2c") / ICMPv6NIReplyNOOP(nonce=b"abcdefgh")))
        pk.append(("ni-query", "c2s", l3(fam, "c2s") / ICMPv6NIQueryNOOP(nonce=b"12345678")))
        # The code is part of the tuple (Linux keeps it in the inverse too): a success reply
        # (code 0) answers only a query of code 0 (subject an IPv6 address, RFC 4620 4).
        pk.append(("ni-reply-code0", "s2c", l3(fam, "s2c") / ICMPv6NIReplyNOOP(nonce=b"12345678")))
        pk.append(("ni-query-code0", "c2s",
                   l3(fam, "c2s") / ICMPv6NIQueryNOOP(code=0, nonce=b"abcdefgh")))
        pk.append(("ni-reply", "s2c", l3(fam, "s2c") / ICMPv6NIReplyNOOP(nonce=b"abcdefgh")))
        pk.append(("no-next-header", "c2s", IPv6(src=C6, dst=S6, nh=59) / Raw(b"nothing")))
    else:
        odd[ICMP].code = 1
        pk.append(("echo-code1", "c2s", odd))
        pk.append(("timestamp", "c2s", l3(fam, "c2s") / ICMP(type=13, id=port + 2)))
        pk.append(("timestamp-reply", "s2c", l3(fam, "s2c") / ICMP(type=14, id=port + 2)))
        # RFC 792 information request/reply, RFC 950 address mask request/reply.
        pk.append(("info-reply-unsolicited", "s2c", l3(fam, "s2c") / ICMP(type=16, id=port + 3)))
        pk.append(("info", "c2s", l3(fam, "c2s") / ICMP(type=15, id=port + 3)))
        pk.append(("info-reply", "s2c", l3(fam, "s2c") / ICMP(type=16, id=port + 3)))
        pk.append(("mask", "c2s", l3(fam, "c2s") / ICMP(type=17, id=port + 4)))
        pk.append(("mask-reply", "s2c", l3(fam, "s2c") / ICMP(type=18, id=port + 4)))
    return pk


SCENARIOS = {
    "tcp-fin": sc_tcp_fin, "tcp-fin-srv": sc_tcp_fin_srv, "tcp-rst": sc_tcp_rst,
    "tcp-rst-inexact": sc_tcp_rst_inexact, "tcp-rst-reopen": sc_tcp_rst_reopen,
    "tcp-rst-client-reopen": sc_tcp_rst_client_reopen, "tcp-refused": sc_tcp_refused,
    "tcp-oow": sc_tcp_oow, "tcp-badsyn": sc_tcp_badsyn, "tcp-pickup": sc_tcp_pickup,
    "tcp-tw-reopen": sc_tcp_tw_reopen, "tcp-tw-reverse": sc_tcp_tw_reverse,
    "tcp-simopen": sc_tcp_simopen, "tcp-half-close": sc_tcp_half_close,
    "udp": sc_udp, "icmp-echo": sc_icmp_echo, "icmp-error": sc_icmp_error,
    "icmp-more": sc_icmp_more, "bad-checksum": sc_bad_checksum, "malformed": sc_malformed,
}


# ---------------------------------------------------------------- the wire

def setns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/var/run/netns/" + name, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns " + name)
    os.close(fd)


class End:
    """A raw socket on one end's interface (opened inside its namespace)."""

    def __init__(self, spec):
        self.ns, self.ifname, self.mac, self.rmac = spec.split(",")
        setns(self.ns)
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.bind((self.ifname, 0))
        self.s.setblocking(False)

    def send(self, pkt):
        et = 0x86DD if IPv6 in pkt else 0x0800
        self.s.send(raw(Ether(src=self.mac, dst=self.rmac, type=et) / pkt))

    def drain(self):
        while True:
            try:
                self.s.recv(65536)
            except BlockingIOError:
                return

    def wait_for(self, key, deadline):
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if not select.select([self.s], [], [], left)[0]:
                continue
            data, addr = self.s.recvfrom(65536)
            if addr[2] != PACKET_OUTGOING and ip_key(data[14:], int.from_bytes(data[12:14], "big")) == key:
                return True


def ip_key(b, et=None):
    """What a router must leave alone: addresses, protocol, the upper-layer bytes."""
    if (et == 0x86DD or et is None and b[0] >> 4 == 6) and len(b) >= 40:
        return (b[8:40], b[6], b[40:40 + int.from_bytes(b[4:6], "big")])
    if (et == 0x0800 or et is None and b[0] >> 4 == 4) and len(b) >= 20:
        hl = (b[0] & 15) * 4
        return (b[12:20], b[9], b[hl:int.from_bytes(b[2:4], "big")])
    return None


def probe(cmd):
    out = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"ct state (\S+) counter packets (\d+)", out)}


def conn_key(line):
    """A table line as (proto, state, orig tuple, flags), either format."""
    f = line.split()
    if f and f[0] in ("ipv4", "ipv6"):
        f = f[2:]
    if len(f) < 4 or f[0] not in ("tcp", "udp", "icmp", "icmpv6"):
        return None
    kv, flags = {}, []
    state = f[3] if f[0] == "tcp" else "-"
    for w in f[3:]:
        if "=" in w:
            k, v = w.split("=", 1)
            if k in ("src", "dst"):
                v = str(ipaddress.ip_address(v))
            kv.setdefault(k, v)          # the first tuple printed is the original
        elif w in ("[UNREPLIED]", "[ASSURED]"):
            flags.append(w.strip("[]"))
    tup = " ".join("%s=%s" % (k, kv[k]) for k in ("src", "dst", "sport", "dport", "type", "id")
                   if k in kv)
    return {"proto": f[0], "state": state, "tuple": tup, "flags": ",".join(sorted(flags))}


def table(cmd, ports):
    out = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout
    rows = []
    for line in out.splitlines():
        k = conn_key(line)
        if not k:
            continue
        if any(int(p) in ports for p in re.findall(r"(?:sport|dport|id)=(\d+)", k["tuple"])):
            rows.append(k)
    return sorted(rows, key=lambda r: (r["tuple"], r["proto"]))


def summary(rows):
    """The entries of a scenario in a few words: `tcp ESTABLISHED [A]; udp [U]`."""
    out = []
    for r in rows:
        w = r["proto"] + (" " + r["state"] if r["state"] != "-" else "")
        w += "".join(" [%s]" % f[0] for f in r["flags"].split(",") if f)
        if re.search(r"src=(%s|%s) " % (S6, S4), r["tuple"]):
            w += " rev"            # the server is the originator
        out.append(w)
    return "; ".join(out) or "none"


def run(client, server, probe_cmd, table_cmd, outfile, names):
    ends = {"c2s": (End(client), End(server))}
    ends["s2c"] = ends["c2s"][::-1]
    result = {"packets": [], "tables": {}}
    counts = probe(probe_cmd)
    port = 40000
    for fam in (6, 4):
        for name in names:
            port += 10
            scen = "%s/v%d" % (name, fam)
            for item in SCENARIOS[name](fam, port):
                label, d, pkt = item[:3]
                time.sleep(item[3] if len(item) > 3 else 0)
                src, dst = ends[d]
                dst.drain()
                src.send(pkt)
                arrived = dst.wait_for(ip_key(raw(pkt)), time.monotonic() + WAIT)
                now = probe(probe_cmd)
                grew = [s for s in now if now[s] > counts.get(s, 0)]
                counts = now
                verdict = ("pass" if arrived else "drop") + "/" + (",".join(grew) or "-")
                rows = table(table_cmd, range(port, port + 10))
                result["packets"].append({"scen": scen, "pkt": "%s %s" % (label, d),
                                          "verdict": verdict, "ct": summary(rows)})
            result["tables"][scen] = rows
    with open(outfile, "w") as f:
        json.dump(result, f, indent=1)


# ---------------------------------------------------------------- comparison

def compare(kfile, ufile, expect_file=None):
    k, u = json.load(open(kfile)), json.load(open(ufile))
    expect = set()
    if expect_file:
        for line in open(expect_file):
            line = line.split("#", 1)[0].strip()
            if line:
                expect.add(line)
    bad = 0
    expected = 0
    print("%-20s %-26s %-40s %s" % ("scenario", "packet", "kernel: verdict, entries",
                                        "usagi: verdict, entries"))
    for kp, up in zip(k["packets"], u["packets"]):
        assert kp["scen"] == up["scen"] and kp["pkt"] == up["pkt"]
        kv, uv = "%s, %s" % (kp["verdict"], kp["ct"]), "%s, %s" % (up["verdict"], up["ct"])
        mark = ""
        if kv != uv:
            if "%s %s" % (kp["scen"], kp["pkt"].split()[0]) in expect:
                mark = "  (expected: documented)"
                expected += 1
            else:
                mark = "  <-- DIFFERS"
                bad += 1
        print("%-20s %-26s %-40s %s%s" % (kp["scen"], kp["pkt"], kv, "=" if kv == uv else uv,
                                          mark))
    print("\nfinal conntrack entries per scenario (proto state tuple flags):")
    for scen in k["tables"]:
        kt, ut = k["tables"][scen], u["tables"].get(scen)
        fmt = lambda rows: ["%s %s %s [%s]" % (r["proto"], r["state"], r["tuple"], r["flags"])
                            for r in rows]
        same = kt == ut
        key = "%s table" % scen
        if not same and key in expect:
            expected += 1
            tag = "expected difference"
        elif not same:
            bad += 1
            tag = "DIFFERS"
        else:
            tag = "agree"
        print("%s: %s" % (scen, tag))
        for line in fmt(kt):
            print("   kernel: " + line)
        if not same:
            for line in fmt(ut or []):
                print("   usagi:  " + line)
    n = len(k["packets"])
    print("\n%d packets in %d scenarios: %d disagree, %d documented differences" %
          (n, len(k["tables"]), bad, expected))
    return 1 if bad else 0


def main():
    if sys.argv[1] == "list":
        print(" ".join(SCENARIOS))
        return 0
    if sys.argv[1] == "run":
        run(*sys.argv[2:7], sys.argv[7:] or list(SCENARIOS))
        return 0
    if sys.argv[1] == "compare":
        return compare(*sys.argv[2:])
    return 2


if __name__ == "__main__":
    sys.exit(main())
