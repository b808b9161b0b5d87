#!/usr/bin/python3
"""Packetdrill-style TCP scripts in scapy against usagi, for tests/netns/tcp_scapy.sh.

Runs in the kernel's namespace (whose own TCP is silenced by nft) and plays
a TCP peer by hand over the TAP: every script is a list of segments to send
and the segments usagi must answer with, checked exactly (flags, sequence
and acknowledgement numbers, window, options and their order, timestamps,
payload, checksum), plus exact deltas of usagi's `stats` counters. Each
script prints one verdict line, "ok NAME: ..." or "FAIL NAME: ...".

usage: tcp_scapy.py IFACE KMAC UMAC USAGI CTLDIR [SCRIPT...]

usagi side (tcp_scapy.sh): 2001:db8:1::2 and 192.0.2.2, `service tcp-echo 7`,
`service tcp-discard 9`, `service tcp-echo 8` (the SYN flood's target) and
a route to 2001:db8:99::/48 (the flood's sources) via the kernel.

Window model. usagi announces a 256 KB receive buffer with window scale 3
and moves the right edge of its window only by an MSS or more (receiver SWS
avoidance, RFC 9293 3.8.6.2.2), never left; Conn.model_win follows that
rule, so every window usagi sends is checked to the octet. A read sends a
pure window update only if it moves the edge that far and the window offered
has fallen below half of the largest (Conn.update_due).
"""
import logging
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, IPv6, TCP, Ether, Raw, conf, raw  # noqa: E402

conf.verb = 0

IFACE, KMAC, UMAC, USAGI, CTL = sys.argv[1:6]
ONLY = sys.argv[6:]

K6, U6, K4, U4 = "2001:db8:1::1", "2001:db8:1::2", "192.0.2.1", "192.0.2.2"
ECHO, FLOOD, DISCARD = 7, 8, 9
MSS = {6: 1440, 4: 1460}       # usagi's MSS on a 1500-octet link
RCVBUF = 262144                # usagi's default SO_RCVBUF
U_WS = 3                       # smallest shift announcing RCVBUF
OUR_WS = 7
BACKLOG = 128                  # the services' listen backlog
M32 = 0xffffffff

ETH_P_ALL = 3
SO_TIMESTAMPNS = 35
SO_RCVBUFFORCE = 33
FLAGS = ((0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "A"), (0x20, "U"))


class Mismatch(Exception):
    pass


def seq_lt(a, b):
    return ((a - b) & M32) >= 0x80000000


def seq_leq(a, b):
    return a == b or seq_lt(a, b)


def flag_str(f):
    return "".join(c for bit, c in FLAGS if f & bit)


def inet_csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def pseudo(fam, src, dst, length):
    if fam == 6:
        return socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + \
            struct.pack("!I3xB", length, 6)
    return socket.inet_pton(socket.AF_INET, src) + socket.inet_pton(socket.AF_INET, dst) + \
        struct.pack("!xBH", 6, length)


def ctl(*args):
    r = subprocess.run([USAGI, "ctl", "--control", CTL] + list(args), capture_output=True,
                       text=True, timeout=30)
    if r.returncode:
        raise Mismatch("usagi ctl %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


def stats():
    out = {}
    for line in ctl("stats").splitlines():
        f = line.split()
        if len(f) == 2:
            out[f[0]] = int(f[1])
    return out


def check_deltas(before, want):
    """Every counter in @want grew by exactly that much since @before."""
    after = stats()
    bad = ["%s %+d (want %+d)" % (k, after[k] - before[k], v)
           for k, v in want.items() if after[k] - before[k] != v]
    if bad:
        raise Mismatch("counters: " + ", ".join(bad))
    return after


class Seg:
    """A TCP segment usagi sent, as seen on the TAP."""

    def __init__(self, fam, src, dst, tcpb, t, df):
        self.fam, self.src, self.dst, self.t, self.df = fam, src, dst, t, df
        (self.sport, self.dport, self.seq, self.ack, off, fl, self.win, _, _) = \
            struct.unpack("!HHIIBBHHH", tcpb[:20])
        self.flags = flag_str(fl)
        self.hlen = (off >> 4) * 4
        self.payload = tcpb[self.hlen:]
        self.csum_ok = inet_csum(pseudo(fam, src, dst, len(tcpb)) + tcpb) == 0
        self.opts = TCP(tcpb).options
        self.ts = None
        for k, v in self.opts:
            if k == "Timestamp":
                self.ts = v

    def optstr(self, base):
        """Options in wire order, NOP/EOL left out; SACK blocks relative to @base."""
        out = []
        for k, v in self.opts:
            if k == "MSS":
                out.append("mss=%d" % v)
            elif k == "WScale":
                out.append("ws=%d" % v)
            elif k == "SAckOK":
                out.append("sackok")
            elif k == "Timestamp":
                out.append("ts")
            elif k == "SAck":
                out.append("sack=" + ",".join("%d-%d" % ((v[i] - base) & M32, (v[i + 1] - base) & M32)
                                             for i in range(0, len(v) - 1, 2)))
            elif k not in ("NOP", "EOL"):
                out.append("%s=%r" % (k, v))
        return ",".join(out)

    def __str__(self):
        return "[%s]:%d > [%s]:%d %s seq %u ack %u win %u len %d opts %s" % (
            self.src, self.sport, self.dst, self.dport, self.flags or ".", self.seq, self.ack,
            self.win, len(self.payload), self.optstr(0))


class Wire:
    """Frames to and from usagi on the TAP (a packet socket with kernel timestamps)."""

    def __init__(self):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((IFACE, ETH_P_ALL))
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock = s
        self.umac = bytes.fromhex(UMAC.replace(":", ""))
        self.q = []

    def send(self, frame):
        self.sock.send(frame if isinstance(frame, bytes) else raw(frame))

    def _read(self, timeout):
        """One TCP segment from usagi (None: something else, or nothing within @timeout)."""
        if not select.select([self.sock], [], [], max(timeout, 0))[0]:
            return None
        data, anc, _, _ = self.sock.recvmsg(65536, 256)
        t = time.time()
        for lvl, typ, val in anc:
            if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                sec, ns = struct.unpack("qq", val[:16])
                t = sec + ns / 1e9
        if len(data) < 14 or data[6:12] != self.umac:
            return None
        et = data[12:14]
        if et == b"\x86\xdd" and len(data) >= 54 and data[20] == 6:
            plen = struct.unpack("!H", data[18:20])[0]
            return Seg(6, socket.inet_ntop(socket.AF_INET6, data[22:38]),
                       socket.inet_ntop(socket.AF_INET6, data[38:54]), data[54:54 + plen], t, False)
        if et == b"\x08\x00" and len(data) >= 34 and data[23] == 6:
            ihl = (data[14] & 15) * 4
            tot = struct.unpack("!H", data[16:18])[0]
            df = bool(data[20] & 0x40)
            return Seg(4, socket.inet_ntop(socket.AF_INET, data[26:30]),
                       socket.inet_ntop(socket.AF_INET, data[30:34]), data[14 + ihl:14 + tot], t, df)
        return None

    def wait(self, match, timeout):
        """The first segment matching @match (queued or arriving within @timeout), else None."""
        for i, s in enumerate(self.q):
            if match(s):
                return self.q.pop(i)
        end = time.time() + timeout
        while True:
            s = self._read(end - time.time())
            if s is not None:
                if match(s):
                    return s
                self.q.append(s)
                del self.q[:-2000]
            elif time.time() >= end:
                return None

    def collect(self, match, duration):
        out = [s for s in self.q if match(s)]
        self.q = [s for s in self.q if not match(s)]
        end = time.time() + duration
        while time.time() < end:
            s = self._read(end - time.time())
            if s is not None:
                (out if match(s) else self.q).append(s)
        return out

    def flush(self):
        while select.select([self.sock], [], [], 0)[0]:
            self.sock.recv(65536)
        self.q = []


W = None
PORTS = iter(range(41000, 60000))


class Conn:
    """Our end of one connection to usagi, with what usagi must send next."""

    def __init__(self, fam, dport, sport=None, iss=None):
        self.fam = fam
        self.laddr, self.raddr = (K6, U6) if fam == 6 else (K4, U4)
        self.sport = sport or next(PORTS)
        self.dport = dport
        self.iss = random.getrandbits(32) if iss is None else iss
        self.snd_nxt = self.iss
        self.rcv_nxt = None          # usagi's next sequence number
        self.irs = None
        self.tsval = random.getrandbits(31)
        self.peer_ts = 0             # usagi's latest TSval (our TSecr)
        self.ts_on = True
        self.exp_tsecr = None        # what usagi must echo (RFC 7323 4.3)
        self.u_last_ack = None       # usagi's last ACK sent
        self.u_ws = U_WS
        self.u_adv = None            # right edge of usagi's window (model)
        self.u_mss = MSS[fam]
        self.last_tsv = None

    # --- sending ---
    def frame(self, flags, seq, ack, data=b"", win=65535, opts=None):
        ip = IPv6(src=self.laddr, dst=self.raddr) if self.fam == 6 else \
            IP(src=self.laddr, dst=self.raddr, flags="DF")
        return Ether(src=KMAC, dst=UMAC) / ip / TCP(
            sport=self.sport, dport=self.dport, seq=seq & M32, ack=ack & M32, flags=flags,
            window=win, options=opts or []) / Raw(data)

    def send(self, flags, data=b"", seq=None, ack=None, win=None, ts=None, synopts=None,
             accept=True):
        """Sends a segment (defaults: in sequence, acking all, TS when on); the time sent."""
        seq = self.snd_nxt if seq is None else seq & M32
        if ack is None:
            ack = self.rcv_nxt if "A" in flags else 0
        ts = self.ts_on if ts is None else ts
        self.tsval = (self.tsval + 1) & M32
        if synopts is not None:
            opts = synopts
        elif ts:
            opts = [("NOP", None), ("NOP", None), ("Timestamp", (self.tsval, self.peer_ts))]
        else:
            opts = []
        if ts and (("S" in flags and "R" not in flags and self.u_last_ack is None) or
                   (accept and self.u_last_ack is not None and seq_leq(seq, self.u_last_ack))):
            self.exp_tsecr = self.tsval
        if win is None:
            win = 65535           # in a SYN unscaled; after it x 2^7
        f = self.frame(flags, seq, ack, data, win, opts)
        t = time.time()
        W.send(f)
        if seq == self.snd_nxt:
            self.snd_nxt = (seq + len(data) + ("S" in flags) + ("F" in flags)) & M32
        return t

    def syn_opts(self, mss=1440, ws=OUR_WS, sack=True, ts=True):
        o = [("MSS", mss)]
        if sack:
            o.append(("SAckOK", b""))
        if ts:
            o.append(("Timestamp", (self.tsval + 1, 0)))
        o += [("NOP", None), ("WScale", ws)]
        return o

    # --- receiving ---
    def match(self, s):
        return (s.fam == self.fam and s.src == self.raddr and s.dst == self.laddr and
                s.dport == self.sport and (self.dport is None or s.sport == self.dport))

    def model_win(self, rcv_nxt, ring):
        """usagi's window field (its wnd_field rule), and the right edge it moves to."""
        space = RCVBUF - ring
        right = (rcv_nxt + space) & M32
        step = min(RCVBUF // 2, self.u_mss)
        adv = self.u_adv
        if seq_lt(adv, right) and ((right - adv) & M32) < step and seq_lt(rcv_nxt, adv):
            right = adv
        if seq_lt(right, adv):
            right = adv
        w = min(((right - rcv_nxt) & M32) >> self.u_ws, 0xffff)
        if seq_lt(adv, (rcv_nxt + (w << self.u_ws)) & M32):
            self.u_adv = (rcv_nxt + (w << self.u_ws)) & M32
        return w

    def update_due(self):
        """After the service read everything up to our SND.NXT, does usagi send a window
        update? Its read must move the right edge by min(buffer/2, MSS) or more, and the
        window offered now must be below half of the largest it can offer (receiver SWS
        avoidance, RFC 9293 3.8.6.2.2, with Linux's second condition)."""
        most = min(RCVBUF, 0xffff << self.u_ws)
        right = (self.snd_nxt + most) & M32
        offered = (self.u_adv - self.snd_nxt) & M32 if seq_lt(self.snd_nxt, self.u_adv) else 0
        return (seq_lt(self.u_adv, right) and ((right - self.u_adv) & M32) >= min(RCVBUF // 2, self.u_mss)
                and 2 * offered < most)

    def expect(self, what, flags, seq=None, ack=None, win=None, opts=None, data=None, ring=0,
               timeout=1.0, sack=None):
        """The next segment of this connection; every field checked. Returns it."""
        s = W.wait(self.match, timeout)
        if s is None:
            raise Mismatch("%s: nothing within %.1f s (expected %s)" % (what, timeout, flags))
        bad = []

        def chk(name, want, got):
            if want is not None and want != got:
                bad.append("%s %s, want %s" % (name, got, want))
        chk("flags", flags, s.flags)
        if "S" in s.flags:
            chk("seq", seq, s.seq)
        else:
            chk("seq", self.rcv_nxt if seq is None else seq & M32, s.seq)
        if "A" in flags:
            chk("ack", self.snd_nxt if ack is None else ack & M32, s.ack)
        else:
            chk("ack", 0 if ack is None else ack, s.ack)
        if opts is None:
            opts = "ts" if self.ts_on and "R" not in flags else ""
            if sack:
                opts += ",sack=" + sack
        if opts != "*":
            chk("options", opts, s.optstr(self.iss))
        if "A" in s.flags and "S" not in s.flags and self.u_adv is not None:
            model = self.model_win(s.ack, ring)
            chk("window (model)", model, s.win)
        chk("window", win, s.win)
        if data is not None:
            chk("payload", "%d octets %r" % (len(data), data[:16]),
                "%d octets %r" % (len(s.payload), s.payload[:16]))
        elif "S" not in flags:
            chk("payload length", 0, len(s.payload))
        if not s.csum_ok:
            bad.append("bad checksum")
        if s.ts:
            if self.exp_tsecr is not None and "S" not in flags:
                chk("TSecr", self.exp_tsecr, s.ts[1])
            if self.last_tsv is not None and seq_lt(s.ts[0], self.last_tsv):
                bad.append("TSval %u went back from %u" % (s.ts[0], self.last_tsv))
        if bad:
            raise Mismatch("%s: %s in %s" % (what, "; ".join(bad), s))
        if s.ts:
            self.last_tsv = s.ts[0]
            self.peer_ts = s.ts[0]
        if "A" in s.flags:
            self.u_last_ack = s.ack
        if self.rcv_nxt is None or s.seq == self.rcv_nxt:
            self.rcv_nxt = (s.seq + len(s.payload) + ("S" in s.flags) + ("F" in s.flags)) & M32
        return s

    def expect_none(self, what, duration=0.3):
        s = W.wait(self.match, duration)
        if s is not None:
            raise Mismatch("%s: unexpected %s" % (what, s))

    # --- whole exchanges ---
    def connect(self, full=True, cookie=False, mss=1440):
        """Three-way handshake (@full: all options, else MSS alone). The SYN-ACK must carry
        exactly the negotiated options."""
        t = self.send("S", synopts=self.syn_opts(mss) if full else [("MSS", mss)], ts=full)
        every = "mss=%d,sackok,ts,ws=%d" % (self.u_mss, U_WS)
        want = [every] if full else ["mss=%d" % self.u_mss]
        if cookie and full:
            # A cookie SYN-ACK may offer only the MSS, or code the rest in its TSval.
            want.append("mss=%d" % self.u_mss)
        s = self.expect("SYN-ACK", "SA", opts="*", win=65535)
        if s.optstr(0) not in want:
            raise Mismatch("SYN-ACK options %s, want %s in %s" % (s.optstr(0), " or ".join(want), s))
        if cookie and (s.seq >> 24) & 7 != 5:
            raise Mismatch("cookie SYN-ACK: ISN %#x does not name MSS 1440" % s.seq)
        self.irs = s.seq
        self.ts_on = s.ts is not None
        self.u_ws = U_WS if "ws=" in s.optstr(0) else 0
        if self.ts_on and s.ts[1] != self.tsval:
            raise Mismatch("SYN-ACK TSecr %u, want %u" % (s.ts[1], self.tsval))
        self.u_adv = (self.snd_nxt + min(RCVBUF, 65535)) & M32
        return s, t

    def ack(self, **kw):
        return self.send("A", **kw)

    def echo(self, data, what="echo", ring=0):
        """Sends @data, expects it back in one segment at once (after a window update if
        the service's read opens the window enough), acknowledges it. True if an update came."""
        self.send("PA", data)
        upd = self.update_due()
        if upd:
            self.expect(what + ": window update", "A")
        self.expect(what, "PA", data=data, ring=ring)
        self.ack()
        return upd

    def close_first(self, what="close"):
        """We close first: FIN -> ACK, then usagi's FIN (the service closes) -> our ACK."""
        self.send("FA")
        self.expect(what + " ACK of our FIN", "A")
        self.expect(what + " usagi's FIN", "FA")
        self.ack()

    def gone(self, what):
        """A segment to a connection that must no longer exist draws <SEQ=SEG.ACK><CTL=RST>
        (from the listener of the port: an ACK to a listener, not a valid cookie)."""
        before = stats()
        self.send("PA", b"anyone?", accept=False)
        s = W.wait(self.match, 1.0)
        if s is None or s.flags != "R" or s.seq != self.rcv_nxt or s.ack or not s.csum_ok:
            raise Mismatch("%s: want RST seq %u, got %s" % (what, self.rcv_nxt, s))
        # (The port's listener never sent a cookie: no cookie is checked, none fails.)
        check_deltas(before, {"tcp_no_port": 0, "tcp_listen_ack": 1, "tcp_syncookies_bad": 0,
                              "tcp_rst_out": 1})


# ------------------------------------------------------------------ scripts

SCRIPTS = []


def script(fn):
    SCRIPTS.append(fn)
    return fn


def handshake(fam):
    c = Conn(fam, ECHO)
    before = stats()
    s, _ = c.connect()
    if fam == 4 and not s.df:
        raise Mismatch("IPv4 SYN-ACK without DF (RFC 1191)")
    c.ack()
    c.expect_none("after the handshake", 0.1)
    # The first read opens the window past the 65535 of the SYN-ACK: a window update
    # (the full 256 KB, scaled) if the SWS rule (Conn.update_due) calls for one, then the echo.
    data = bytes(range(100))
    c.send("PA", data)
    if c.update_due():
        c.expect("window update", "A", win=RCVBUF >> U_WS)
    c.expect("echo", "PA", data=data)
    c.ack()
    # From then on the echo carries the ACK: the delayed ACK must not come on its own.
    data = bytes(range(100, 250))
    c.send("PA", data)
    c.expect("second echo", "PA", data=data)
    c.ack()
    c.expect_none("after the echo (delayed ACK cancelled by the echo)", 0.1)
    c.close_first()
    check_deltas(before, {"tcp_passive_opens": 1, "tcp_established": 1, "tcp_delayed_acks": 0})
    c.gone("after LAST-ACK")
    return "SYN-ACK mss=%d,sackok,ts,ws=%d win 65535, window update + echo, echo with the ACK, " \
        "FIN ACK + FIN, then RST" % (
        MSS[fam], U_WS)


@script
def handshake6():
    return handshake(6)


@script
def handshake4():
    return handshake(4)


@script
def handshake_noopts6():
    """A SYN with MSS 536 alone: the SYN-ACK offers nothing more (RFC 7323 2.2, 3.2; RFC 2018
    2), windows are unscaled, echo comes in 536-octet segments, Nagle holds the small tail
    until the first is acknowledged (RFC 1122 4.2.3.4)."""
    c = Conn(6, ECHO)
    c.connect(full=False, mss=536)
    c.ack()
    c.expect_none("after the handshake", 0.1)
    data = bytes(random.getrandbits(8) for _ in range(1000))
    c.send("PA", data)
    c.expect("first 536 octets", "A", data=data[:536])
    c.expect_none("Nagle: the tail waits for the ACK", 0.1)
    c.ack()
    c.expect("the 464-octet tail after the ACK", "PA", data=data[536:])
    c.ack()
    c.close_first()
    return "SYN-ACK mss=1440 only, window 65535 unscaled, no window update, echo 536 + (after our ACK) 464"


@script
def delack6():
    """RFC 1122 4.2.3.2 on tcp-discard: a small segment is ACKed by the 40 ms timer, so is
    a single full-sized one; the second full-sized segment at once."""
    c = Conn(6, DISCARD)
    c.connect()
    c.ack()
    c.send("PA", b"first")
    if c.update_due():
        c.expect("window update after the first read", "A", win=RCVBUF >> U_WS)
    before = stats()
    t = c.send("PA", b"x" * 10)
    s = c.expect("delayed ACK of 10 octets", "A")
    d1 = s.t - t
    if not 0.035 <= d1 <= 0.5:
        raise Mismatch("delayed ACK after %.1f ms, want about 40" % (d1 * 1e3))
    before = check_deltas(before, {"tcp_delayed_acks": 1})
    full = MSS[6] - 12            # payload + the timestamp option = the MSS usagi announced
    t = c.send("A", b"a" * full)
    c.send("PA", b"b" * full)
    s = c.expect("immediate ACK of the second full segment", "A", ring=full)
    d2 = s.t - t           # not asserted: the counter below is the proof, timing is load-bound
    # The read of both moves the window's right edge by more than an MSS: an update.
    upd = c.update_due()
    if upd:
        c.expect("window update after reading both", "A")
    c.expect_none("no delayed ACK after", 0.1)
    before = check_deltas(before, {"tcp_delayed_acks": 0})
    t = c.send("PA", b"y" * full)
    s = c.expect("delayed ACK of one full segment", "A")
    d3 = s.t - t
    check_deltas(before, {"tcp_delayed_acks": 1})
    if not 0.035 <= d3 <= 0.5:
        raise Mismatch("delayed ACK after %.1f ms, want about 40" % (d3 * 1e3))
    c.close_first()
    return "10 octets ACKed after %.1f ms (timer), 2 full after %.1f ms (at once%s), 1 full after %.1f ms (timer)" % (
        d1 * 1e3, d2 * 1e3, ", then a window update" if upd else "", d3 * 1e3)


def close_usagi_first(fam, port, simultaneous):
    """usagi closes first (`service tcp-send`, usagi is the client)."""
    c = Conn(fam, None, sport=port)
    before = stats()
    ctl("service", "tcp-send", c.laddr, str(port), "1000")
    s = W.wait(lambda s: c.match(s) and "S" in s.flags, 3.0)
    if s is None:
        raise Mismatch("no SYN from tcp-send")
    if s.flags != "S" or s.optstr(0) != "mss=%d,sackok,ts,ws=%d" % (MSS[fam], U_WS) or \
            s.win != 65535 or s.ack != 0 or s.ts[1] != 0 or not s.csum_ok:
        raise Mismatch("usagi's SYN: %s" % s)
    c.dport = s.sport
    c.irs, c.rcv_nxt, c.peer_ts, c.last_tsv = s.seq, (s.seq + 1) & M32, s.ts[0], s.ts[0]
    c.send("SA", synopts=c.syn_opts())
    c.u_adv = c.snd_nxt    # usagi's window opens from RCV.NXT (RFC 9293 3.10.7.3)
    c.expect("ACK of our SYN-ACK", "A")
    c.expect("data", "PA", data=bytes(((j * 131 + (j >> 9)) & 0xff) for j in range(1000)))
    c.expect("usagi's FIN", "FA")
    fin = (c.rcv_nxt - 1) & M32
    if simultaneous:
        # Our FIN crosses usagi's: it acks the data but not usagi's FIN -> CLOSING.
        c.send("FA", ack=fin)
        c.expect("CLOSING: ACK of our FIN", "A")
        c.ack()
        c.expect_none("TIME-WAIT after the ACK of its FIN", 0.2)
    else:
        c.ack()
        c.expect_none("FIN-WAIT-2", 0.2)
        c.send("FA")
        c.expect("TIME-WAIT: ACK of our FIN", "A")
    # TIME-WAIT: a retransmitted FIN is acknowledged again, a SYN draws a challenge ACK.
    c.send("FA", seq=c.snd_nxt - 1, accept=False)
    c.expect("TIME-WAIT: ACK of the retransmitted FIN", "A")
    c.send("S", seq=c.snd_nxt + 100000, synopts=[("NOP", None), ("NOP", None),
                                                  ("Timestamp", (c.tsval + 1, c.peer_ts))],
           accept=False)
    c.expect("TIME-WAIT: challenge ACK of a SYN", "A")
    c.expect_none("TIME-WAIT", 0.2)
    check_deltas(before, {"tcp_active_opens": 1, "tcp_syn_in_sync": 1, "tcp_tw_expired": 0,
                          "tcp_rst_out": 0, "tcp_retrans_segs": 0})
    return "SYN mss=%d,sackok,ts,ws=%d, 1000 octets, FIN, %s, TIME-WAIT ACKs a FIN again and challenges a SYN" % (
        MSS[fam], U_WS, "simultaneous close via CLOSING" if simultaneous else "our FIN after FIN-WAIT-2")


@script
def close_usagi_first6():
    return close_usagi_first(6, 8000, False)


@script
def close_simultaneous6():
    return close_usagi_first(6, 8001, True)


@script
def close_usagi_first4():
    return close_usagi_first(4, 8002, False)


@script
def ooo6():
    """RFC 5681 4.2, RFC 2018: segment 2 then 1 -> duplicate ACK with a SACK block, then the
    cumulative ACK, then the echo of both in order."""
    c = Conn(6, ECHO)
    c.connect()
    c.ack()
    before = stats()
    a, b = b"A" * 100, b"B" * 100
    base = c.snd_nxt
    c.send("PA", b, seq=base + 100, accept=False)
    c.expect("duplicate ACK for segment 2", "A", ack=base, sack="101-201")
    c.send("PA", a, seq=base)
    c.snd_nxt = (base + 200) & M32
    c.expect("cumulative ACK", "A", ring=200)
    c.expect("echo of both", "PA", data=a + b)
    c.ack()
    check_deltas(before, {"tcp_ooo": 1, "tcp_delayed_acks": 0})
    c.close_first()
    return "dup ACK sack=101-201, then ACK 201 without SACK, echo 200 in order"


@script
def dsack6():
    """RFC 2883 on tcp-discard: a segment received twice is acknowledged with a D-SACK block
    first: all below RCV.NXT alone (4.1.1), a copy of queued out-of-order data followed by
    the block holding it (4.1.2), the old part of a partly new segment (in the delayed ACK);
    each reported once."""
    c = Conn(6, DISCARD)
    c.connect()
    c.ack()
    c.send("PA", b"first")
    if c.update_due():
        c.expect("window update after the first read", "A", win=RCVBUF >> U_WS)
    else:
        c.expect("delayed ACK of the first", "A")
    before = stats()
    base = c.snd_nxt
    rel = (base - c.iss) & M32
    c.send("PA", b"x" * 100)
    c.expect("delayed ACK of 100 octets", "A")
    c.send("PA", b"x" * 100, seq=base, accept=False)
    c.expect("ACK with a D-SACK for the copy", "A", sack="%d-%d" % (rel, rel + 100))
    base, rel = c.snd_nxt, rel + 100
    c.send("PA", b"B" * 100, seq=base + 100, accept=False)
    c.expect("duplicate ACK with a SACK block", "A", ack=base, sack="%d-%d" % (rel + 100, rel + 200))
    c.send("PA", b"B" * 100, seq=base + 100, accept=False)
    c.expect("D-SACK, then the block holding it", "A", ack=base,
             sack="%d-%d,%d-%d" % (rel + 100, rel + 200, rel + 100, rel + 200))
    c.send("PA", b"A" * 100, seq=base)
    c.snd_nxt = (base + 200) & M32
    c.expect("cumulative ACK, no SACK left", "A", ring=200)
    base, rel = c.snd_nxt, rel + 200
    c.send("PA", b"C" * 100)
    c.expect("delayed ACK of 100 octets", "A")
    c.send("PA", b"C" * 100 + b"D" * 100, seq=base)
    c.snd_nxt = (base + 200) & M32
    c.expect("delayed ACK with a D-SACK for the old half", "A", sack="%d-%d" % (rel, rel + 100))
    c.send("PA", b"E" * 10)
    c.expect("the next ACK: nothing more to report", "A")
    check_deltas(before, {"tcp_dsack_out": 3, "tcp_ooo": 1, "tcp_unacceptable": 1})
    c.close_first()
    return "copy below RCV.NXT -> sack=D; copy of queued data -> sack=D,its block; " \
        "half-old segment -> D-SACK of the old half in the delayed ACK; each once"


def rst_exact(fam):
    c = Conn(fam, ECHO)
    c.connect()
    c.ack()
    c.echo(b"before")
    before = stats()
    c.send("R", ts=False, accept=False)
    c.expect_none("RST at RCV.NXT", 0.3)
    check_deltas(before, {"tcp_rst_in": 1, "tcp_challenge_ack": 0})
    c.gone("after the RST")
    return "RST at RCV.NXT accepted silently; the next segment draws RST seq=SEG.ACK"


@script
def rst_exact6():
    return rst_exact(6)


@script
def rst_exact4():
    return rst_exact(4)


def rst_in_window(fam):
    c = Conn(fam, ECHO)
    c.connect()
    c.ack()
    before = stats()
    c.send("R", seq=c.snd_nxt + 1000, ts=False, accept=False)
    c.expect("challenge ACK", "A")
    check_deltas(before, {"tcp_rst_in": 0, "tcp_challenge_ack": 1})
    c.echo(b"still here")
    c.close_first()
    return "RST at RCV.NXT+1000 -> challenge ACK, connection kept (echo)"


@script
def rst_in_window6():
    return rst_in_window(6)


@script
def rst_in_window4():
    return rst_in_window(4)


@script
def rst_out_of_window6():
    c = Conn(6, ECHO)
    c.connect()
    c.ack()
    before = stats()
    c.send("R", seq=c.snd_nxt + 0x40000000, ts=False, accept=False)
    c.send("RA", seq=c.snd_nxt - 1, ts=False, accept=False)
    c.expect_none("out-of-window RSTs", 0.3)
    check_deltas(before, {"tcp_rst_in": 0, "tcp_challenge_ack": 0, "tcp_unacceptable": 2})
    c.echo(b"still here")
    c.close_first()
    return "RSTs at RCV.NXT+2^30 and RCV.NXT-1 ignored, no answer, connection kept"


@script
def syn_established6():
    c = Conn(6, ECHO)
    c.connect()
    c.ack()
    c.echo(b"one")
    before = stats()
    # In the window and far out of it: a challenge ACK either way (RFC 5961 4.2).
    for off in (5000, 0x40000000):
        c.send("S", seq=c.snd_nxt + off, synopts=c.syn_opts(), accept=False)
        c.expect("challenge ACK for a SYN at +%d" % off, "A")
    check_deltas(before, {"tcp_syn_in_sync": 2, "tcp_challenge_ack": 2, "tcp_rst_out": 0})
    c.echo(b"two")
    c.close_first()
    return "SYN in ESTABLISHED (in and out of window) -> challenge ACK, connection kept"


@script
def ack_unsent6():
    """RFC 5961 5.2: an ACK beyond SND.NXT is dropped (its data too) and challenged."""
    c = Conn(6, ECHO)
    c.connect()
    c.ack()
    c.echo(b"one")
    before = stats()
    base = c.snd_nxt
    c.send("PA", b"EVIL", ack=c.rcv_nxt + 100000)
    c.snd_nxt = base            # usagi dropped it
    c.expect("challenge ACK", "A")
    c.expect_none("no echo of the dropped data", 0.2)
    check_deltas(before, {"tcp_ack_bad": 1, "tcp_challenge_ack": 1})
    c.echo(b"GOOD")
    c.close_first()
    return "data with ACK = SND.NXT+100000 dropped, challenge ACK; next data echoed alone"


def blind_data(fam):
    c = Conn(fam, ECHO)
    c.connect()
    c.ack()
    c.echo(b"one")
    before = stats()
    base = c.snd_nxt
    for off in (0x10000000, -100000, RCVBUF + 1000):
        c.send("PA", b"INJECTED", seq=base + off, accept=False)
        c.expect("ACK for data at %+d" % off, "A", ack=base)
    c.expect_none("nothing delivered", 0.2)
    check_deltas(before, {"tcp_unacceptable": 3, "tcp_ooo": 0})
    c.echo(b"GOOD")
    c.close_first()
    return "data at RCV.NXT+2^28, -100000, +window+1000 -> ACK, nothing delivered, echo intact"


@script
def blind_data6():
    return blind_data(6)


@script
def blind_data4():
    return blind_data(4)


def tcp_bytes(c, flags, data, opts=b"", off=None, csum_delta=0):
    """A TCP segment of @c built by hand (for malformed headers); checksum correct + @csum_delta."""
    hlen = 20 + len(opts)
    off = hlen // 4 if off is None else off
    fl = sum(bit for bit, ch in FLAGS if ch in flags)
    h = struct.pack("!HHIIBBHHH", c.sport, c.dport, c.snd_nxt, c.rcv_nxt, off << 4, fl, 65535, 0, 0)
    seg = h + opts + data
    ck = (inet_csum(pseudo(c.fam, c.laddr, c.raddr, len(seg)) + seg) + csum_delta) & 0xffff
    return seg[:16] + struct.pack("!H", ck) + seg[18:]


def raw_frame(c, tcpb):
    ip = IPv6(src=c.laddr, dst=c.raddr, nh=6) if c.fam == 6 else \
        IP(src=c.laddr, dst=c.raddr, proto=6, flags="DF")
    return Ether(src=KMAC, dst=UMAC) / ip / Raw(tcpb)


def malformed(fam):
    c = Conn(fam, ECHO)
    c.connect()
    c.ack()
    c.echo(b"one")
    ts = b"\x01\x01\x08\x0a" + struct.pack("!II", c.tsval, c.peer_ts)
    cases = [
        ("bad checksum", tcp_bytes(c, "PA", b"CSUM", ts, csum_delta=1), "tcp_bad_csum"),
        ("data offset 4", tcp_bytes(c, "PA", b"OFF4", off=4), "tcp_bad_off"),
        ("data offset past the segment", tcp_bytes(c, "PA", b"OFF15", off=15), "tcp_bad_off"),
        ("option length past the header", tcp_bytes(c, "PA", b"OVER", b"\x08\x0a\x00\x00"), "tcp_bad_opt"),
        ("option length 0", tcp_bytes(c, "PA", b"LEN0", b"\x01\x01\x13\x00"), "tcp_bad_opt"),
        ("option length 1", tcp_bytes(c, "PA", b"LEN1", b"\x01\x01\x1e\x01"), "tcp_bad_opt"),
        ("timestamp option of length 8", tcp_bytes(c, "PA", b"TS8", b"\x08\x08" + bytes(6)), "tcp_bad_opt"),
        ("SACK of length 9", tcp_bytes(c, "PA", b"SACK9", b"\x05\x09" + bytes(7) + b"\x00\x00\x00"),
         "tcp_bad_opt"),
        ("SYN+FIN", tcp_bytes(c, "SFA", b"XMAS", ts), "tcp_bad_flags"),
        ("SYN+RST", tcp_bytes(c, "SRA", b"SR", ts), "tcp_bad_flags"),
        ("header cut to 12 octets", tcp_bytes(c, "PA", b"")[:12], "tcp_truncated"),
    ]
    names = sorted(set(k for _, _, k in cases) | {"tcp_in_segs", "tcp_rst_out", "tcp_challenge_ack"})
    for what, tb, counter in cases:
        before = stats()
        W.send(raw_frame(c, tb))
        c.expect_none(what, 0.15)
        want = {k: 0 for k in names}
        want[counter] = 1
        check_deltas(before, want)
    c.echo(b"GOOD")
    c.close_first()
    return "%d malformed segments dropped silently, each +1 on its counter only; echo intact" % len(cases)


@script
def malformed6():
    return malformed(6)


@script
def malformed4():
    return malformed(4)


def closed_port(fam):
    c = Conn(fam, 5555)
    before = stats()
    seq = c.snd_nxt
    c.send("S", synopts=c.syn_opts(), accept=False)
    c.rcv_nxt = 0
    c.expect("RST for a SYN", "RA", seq=0, ack=seq + 1, win=0, opts="")
    c.send("A", seq=seq + 1, ack=0x12345678, ts=False)
    c.expect("RST for an ACK", "R", seq=0x12345678, ack=0, win=0, opts="")
    c.send("FP", b"hello", seq=seq + 1, ts=False)
    c.expect("RST for data+FIN without ACK", "RA", seq=0, ack=seq + 1 + 5 + 1, win=0, opts="")
    c.send("R", seq=seq + 1, ts=False)
    c.expect_none("no RST for a RST", 0.2)
    check_deltas(before, {"tcp_no_port": 4, "tcp_rst_out": 3})
    return "SYN -> RST/ACK seq 0 ack=SEQ+1; ACK -> RST seq=SEG.ACK; FIN+data -> ack=SEQ+LEN+1; RST -> nothing"


@script
def closed_port6():
    return closed_port(6)


@script
def closed_port4():
    return closed_port(4)


@script
def zero_window6():
    """RFC 9293 3.8.6.1: we announce window 0; usagi probes with backoff, resumes on the update."""
    c = Conn(6, ECHO)
    c.connect()
    c.ack()
    c.echo(b"rtt")        # an RTT sample: RTO = 200 ms (the minimum)
    before = stats()
    data = bytes(random.getrandbits(8) for _ in range(1000))
    t = c.send("PA", data, win=0)
    c.expect("delayed ACK of the data (window 0: no echo)", "A")
    una = c.rcv_nxt
    times = []
    for i in range(4):
        s = c.expect("probe %d" % (i + 1), "A", seq=una - 1, timeout=3.0)
        times.append(s.t)
        c.ack(win=0)
    gaps = [times[0] - t] + [b - a for a, b in zip(times, times[1:])]
    for i, g in enumerate(gaps):
        want = 0.2 * 2 ** i
        if not want - 0.005 <= g <= want * 1.5 + 0.05:
            raise Mismatch("probe intervals %s ms, want 200, 400, 800, 1600" %
                           ", ".join("%.0f" % (x * 1e3) for x in gaps))
    c.ack(win=65535)
    c.expect("echo once the window opens", "PA", data=data)
    c.ack()
    check_deltas(before, {"tcp_zwp": 4, "tcp_timeouts": 0})
    c.close_first()
    return "probes (seq=SND.UNA-1) after %s ms, echo on the window update" % "/".join(
        "%.0f" % (g * 1e3) for g in gaps)


@script
def retransmit6():
    """RFC 6298: unacknowledged echo is resent after the RTO (200 ms minimum), then doubled."""
    c = Conn(6, ECHO)
    c.connect()
    c.ack()
    c.echo(b"rtt")
    before = stats()
    data = b"R" * 100
    c.send("PA", data)
    s0 = c.expect("echo", "PA", data=data)
    seq = s0.seq
    s1 = c.expect("first retransmission", "PA", seq=seq, data=data, timeout=2.0)
    s2 = c.expect("second retransmission", "PA", seq=seq, data=data, timeout=2.0)
    c.ack()
    c.expect_none("after the ACK", 0.3)
    g1, g2 = s1.t - s0.t, s2.t - s1.t
    # Each timer runs from the (re)transmission before it: RTO, then 2 RTO.
    if not (0.2 - 0.002 <= g1 <= 0.35 and 0.4 - 0.002 <= g2 <= 0.6):
        raise Mismatch("retransmissions after %.1f and %.1f ms, want >= 200 and doubling" %
                       (g1 * 1e3, g2 * 1e3))
    check_deltas(before, {"tcp_timeouts": 2, "tcp_retrans_segs": 2})
    c.close_first()
    return "RTO %.1f ms, then %.1f ms (x%.2f)" % (g1 * 1e3, g2 * 1e3, g2 / g1)


@script
def syn_flood6():
    """RFC 4987 3.6: 400 SYNs from random sources against backlog 128 -> 128 ordinary
    SYN-ACKs, then cookies; a client completing a cookie handshake gets its echo."""
    rnd = random.Random(4987)
    before = stats()
    frames, keys = [], {}
    for _ in range(400):
        src = "2001:db8:99:%x:%x:%x:%x:%x" % tuple(rnd.getrandbits(16) for _ in range(5))
        sport = rnd.randrange(1024, 65536)
        seq = rnd.getrandbits(32)
        keys[(src, sport)] = seq
        frames.append(raw(Ether(src=KMAC, dst=UMAC) / IPv6(src=src, dst=U6) /
                          TCP(sport=sport, dport=FLOOD, seq=seq, flags="S",
                              options=[("MSS", 1440), ("SAckOK", b""), ("Timestamp", (1, 0)),
                                       ("NOP", None), ("WScale", 7)])))
    t0 = time.time()
    for f in frames:
        W.send(f)
    t_send = time.time() - t0
    got = W.collect(lambda s: s.fam == 6 and s.sport == FLOOD and s.dst.startswith("2001:db8:99:"), 1.5)
    first = {}
    for s in got:
        first.setdefault((s.dst, s.dport), s)
    # The first 128 SYNs fill the queue; the rest get cookies (an ISN naming MSS 1440; options
    # either the MSS alone or all of them, coded in the TSval).
    order = list(keys)
    every = "mss=1440,sackok,ts,ws=3"
    normal = [k for k in order[:BACKLOG] if k in first and first[k].optstr(0) == every]
    cookies = [k for k in order[BACKLOG:] if k in first and first[k].optstr(0) in (every, "mss=1440")
               and (first[k].seq >> 24) & 7 == 5]
    odd = [s for k, s in first.items() if (s.flags != "SA" or not s.csum_ok or s.win != 65535 or
                                           k not in keys or s.ack != (keys[k] + 1) & M32)]
    if len(first) != 400 or set(first) != set(keys) or len(normal) != BACKLOG or \
            len(cookies) != 400 - BACKLOG or odd:
        raise Mismatch("%d SYNs answered (%d ordinary, %d cookies, %d odd: %s)" % (
            len(first), len(normal), len(cookies), len(odd), odd[0] if odd else ""))
    ctyp = sorted(set(first[k].optstr(0) for k in cookies))
    before = check_deltas(before, {"tcp_passive_opens": BACKLOG, "tcp_syncookies_sent": 400 - BACKLOG,
                                   "tcp_listen_drop": 0})
    # Legitimate clients during the flood: the ACK of the cookie SYN-ACK carries data,
    # echoed. One offers the MSS alone: no window scaling, the window stays 65535 and a
    # read never sends a window update. One offers everything.
    c = Conn(6, FLOOD)
    c.connect(full=False, cookie=True)
    c.send("PA", b"cookie client")
    c.expect("echo on the cookie connection", "PA", data=b"cookie client")
    c.ack()
    for i in range(3):
        if c.echo(b"more %d" % i):
            raise Mismatch("window update on a connection whose window cannot grow")
    c.close_first()
    c = Conn(6, FLOOD)
    c.connect(cookie=True)
    c.send("PA", b"cookie client 2")
    if c.update_due():
        c.expect("window update", "A")
    c.expect("echo on the cookie connection", "PA", data=b"cookie client 2")
    c.ack()
    c.echo(b"more")
    c.close_first()
    full_cookie = "with all options" if c.ts_on else "with the MSS alone"
    before = check_deltas(before, {"tcp_syncookies_ok": 2, "tcp_syncookies_bad": 0,
                                   "tcp_syncookies_sent": 2})
    # A forged cookie ACK: RST, no connection.
    f = Conn(6, FLOOD)
    f.rcv_nxt = 0xdeadbeef
    f.send("PA", b"forged", ts=False, accept=False)
    f.expect("RST for a forged cookie", "R", seq=0xdeadbeef, win=0, opts="")
    before = check_deltas(before, {"tcp_syncookies_bad": 1, "tcp_syncookies_ok": 0})
    # After the flood: an ordinary connection elsewhere keeps every option; the flooded
    # port (its 128 half-open children wait out their SYN-ACK retries) still serves by cookie.
    n = Conn(6, ECHO)
    n.connect()
    n.ack()
    n.echo(b"after the flood")
    n.close_first()
    # (A pure ACK completes it, then data: the data's TSval must be echoed, so the cookie
    # connection must know what its SYN-ACK acknowledged; an ISS below 2^31 makes a
    # forgotten "last ACK sent" of 0 show every time.)
    c = Conn(6, FLOOD, iss=random.randrange(1, 0x7fff0000))
    c.connect(cookie=True)
    c.ack()
    c.echo(b"after the flood")
    c.close_first()
    check_deltas(before, {"tcp_syncookies_ok": 1})
    return "400 SYNs sent in %.0f ms, all answered: %d ordinary + %d cookie SYN-ACKs (%s); cookie " \
        "clients (MSS alone; full SYN -> %s) echoed, forged cookie RST, connections after the flood fine" % (
            t_send * 1e3, len(normal), len(cookies), " / ".join(ctyp), full_cookie)


def main():
    global W
    W = Wire()
    random.seed(int.from_bytes(os.urandom(8), "big"))
    failed = 0
    for fn in SCRIPTS:
        if ONLY and fn.__name__ not in ONLY:
            continue
        W.flush()
        t = time.time()
        try:
            what = fn()
            print("ok %s: %s (%.2f s)" % (fn.__name__, what, time.time() - t), flush=True)
        except Mismatch as e:
            failed += 1
            print("FAIL %s: %s" % (fn.__name__, e), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
