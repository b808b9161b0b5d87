#!/usr/bin/python3
"""scapy as a Mobile IPv6 mobile node against usagi (tests/netns/mip6_scapy.sh).

usagi node "ha" is the home agent (home link tap0, 2001:db8:1::/64, HA
2001:db8:1::1) and the router of the foreign link (tap1, 2001:db8:2::/64);
usagi node "cn" (2001:db8:3::2, behind the HA) is a correspondent: a home
agent may not also hold a route-optimisation binding for the home
addresses it serves (RFC 6275 9.5.1, status 139). This script runs in the
namespace of
tap1's kernel side, where the mobile node's care-of address lives, and
plays the mobile node with hand-built Mobility Header messages (RFC 6275
6.1, byte by byte here, so nothing of usagi's codec is trusted):

  ha-reg   ESP-protected Binding Update (HAO) to the home agent; checks the
           Binding Acknowledgement: ESP, type 2 routing header carrying the
           home address, sent to the care-of address, status, sequence,
           lifetime, checksum.
  tunnel   (after ha-reg) a ping from the home link to the home address
           arrives IPv6-in-IPv6 from the HA to the care-of address; a ping
           sent reverse-tunnelled from the home address is answered through
           the tunnel.
  rr       return routability with usagi's correspondent: HoTI through the
           reverse tunnel, CoTI direct, HoT (through the HA's tunnel) and CoT;
           Kbm = SHA1(home token | care-of token); a Binding Update with Nonce
           Indices and Binding Authorization Data (HAO) to the correspondent;
           its BA verified with the same Kbm; then usagi's ping to the home
           address goes straight to the care-of address with a type 2 routing
           header.

Each step prints "ok: ..." lines or raises (non-zero exit).
usage: mip6_peer.py setkey | run IFACE UMAC K1NS USAGI CNCTLDIR
"""
import hashlib
import hmac
import os
import struct
import subprocess
import sys
import time

from scapy.all import (Ether, IPv6, ICMPv6EchoRequest, ICMPv6EchoReply, Raw, raw,
                       sendp, AsyncSniffer, get_if_hwaddr)
from scapy.layers.inet6 import IPv6ExtHdrDestOpt, PadN, HAO, in6_chksum
from scapy.layers.ipsec import ESP  # noqa: F401
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
import socket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ipsec_peer as P  # noqa: E402

HOA, HA, CN, COA, K1 = "2001:db8:1::100", "2001:db8:1::1", "2001:db8:3::2", "2001:db8:2::100", "2001:db8:1::50"
SPI_BU, SPI_BA = 0x2001, 0x2002
ENC_KEY = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
AUTH_KEY = bytes.fromhex("101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f")
ENC_KEY2 = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
AUTH_KEY2 = bytes.fromhex("e0e1e2e3e4e5e6e7e8e9eaebecedeeefd0d1d2d3d4d5d6d7d8d9dadbdcdddedf")
ALGS = "-E aes-cbc 0x%s -A hmac-sha256 0x%s"

# RFC 3776-style: BU and BA between home address and home agent under ESP
# transport mode, selected by Mobility Header type (5 BU, 6 BA).
SETKEY = "\n".join([
    "flush;", "spdflush;",
    "add %s %s esp 0x%x -m transport %s;" % (HOA, HA, SPI_BU, ALGS % (ENC_KEY.hex(), AUTH_KEY.hex())),
    "add %s %s esp 0x%x -m transport %s;" % (HA, HOA, SPI_BA, ALGS % (ENC_KEY2.hex(), AUTH_KEY2.hex())),
    "spdadd %s/128 %s/128 mh 5 -P in ipsec esp/transport//require;" % (HOA, HA),
    "spdadd %s/128 %s/128 mh 6 -P out ipsec esp/transport//require;" % (HA, HOA),
]) + "\n"

ENC = P.ENC_BY_LABEL["aes-cbc-128"]
AUTH = P.AUTH_BY_NAME["hmac-sha256"]
SA_BU = P.PeerESP(SPI_BU, ENC, ENC_KEY, AUTH, AUTH_KEY, None)
SA_BA = P.PeerESP(SPI_BA, ENC, ENC_KEY2, AUTH, AUTH_KEY2, None)

NH_MH, NH_IPV6, NH_RT, NH_DST, NH_ESP = 135, 41, 43, 60, 50


def a16(a):
    return socket.inet_pton(socket.AF_INET6, a)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def mh_csum(src, dst, mh):
    """RFC 6275 6.1.1: over the pseudo-header (home address, final destination)."""
    pseudo = a16(src) + a16(dst) + struct.pack("!L3xB", len(mh), NH_MH)
    body = mh[:4] + b"\0\0" + mh[6:]
    return mh[:4] + struct.pack("!H", csum(pseudo + body)) + mh[6:]


def mh(mtype, body, opts=b""):
    """Mobility Header: Payload Proto 59, Header Len, type; @body after the checksum."""
    data = body + opts
    total = 6 + len(data)
    pad = (-total) % 8
    if pad == 1:
        data += b"\0"            # Pad1
    elif pad:
        data += bytes([1, pad - 2]) + b"\0" * (pad - 2)   # PadN
    total = 6 + len(data)
    return bytes([59, total // 8 - 1, mtype, 0]) + b"\0\0" + data


def parse_mh(b):
    """(type, message bytes) of a Mobility Header at @b."""
    n = (b[1] + 1) * 8
    if b[0] != 59 or len(b) < n:
        raise ValueError("bad MH: %s" % b.hex())
    return b[2], b[:n]


def dstopt_hao(hoa, nh):
    """Destination Options: PadN(2) then the HAO at 8n+6 (RFC 6275 6.3)."""
    return IPv6ExtHdrDestOpt(nh=nh, autopad=0, options=[PadN(optdata=b"\0\0"), HAO(hoa=hoa)])


def esp_open(esp, enc_key, auth_key, spi):
    """(next header, payload) of ESP (AES-CBC, HMAC-SHA-256-128) after its ICV
    checks. By hand: scapy 2.5 mis-types the payload behind a routing header."""
    if struct.unpack("!L", esp[:4])[0] != spi:
        raise SystemExit("FAIL: ESP SPI 0x%x, want 0x%x" % (struct.unpack("!L", esp[:4])[0], spi))
    body, icv = esp[:-16], esp[-16:]
    if not hmac.compare_digest(hmac.new(auth_key, body, hashlib.sha256).digest()[:16], icv):
        raise SystemExit("FAIL: ESP ICV does not verify")
    iv, ct = body[8:24], body[24:]
    dec = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).decryptor()
    plain = dec.update(ct) + dec.finalize()
    padlen, nh = plain[-2], plain[-1]
    pad = plain[-2 - padlen:-2]
    if pad != bytes(range(1, padlen + 1)):
        raise SystemExit("FAIL: ESP padding is not 1, 2, 3, ...")
    return nh, plain[:-2 - padlen]


def walk(pkt):
    """(headers [(nh, bytes)], upper nh, upper bytes) of an IPv6 packet's raw bytes."""
    b = raw(pkt)
    b = b[:40 + struct.unpack("!H", b[4:6])[0]]     # no link-layer padding
    nh, off, hdrs = b[6], 40, []
    while nh in (0, NH_RT, NH_DST):
        hl = (b[off + 1] + 1) * 8
        hdrs.append((nh, b[off:off + hl]))
        nh, off = b[off], off + hl
    return hdrs, nh, b[off:]


class Peer:
    def __init__(self, iface, umac, k1ns, usagi, ctl):
        self.iface, self.umac, self.k1ns, self.usagi, self.ctl = iface, umac, k1ns, usagi, ctl
        self.mac = get_if_hwaddr(iface)

    def send(self, pkt):
        sendp(Ether(src=self.mac, dst=self.umac) / pkt, iface=self.iface, verbose=False)

    def expect(self, stimulus, match, what, timeout=4.0):
        """Runs @stimulus (callable) and returns the first IPv6 packet @match accepts."""
        sn = AsyncSniffer(iface=self.iface, lfilter=lambda p: IPv6 in p and p[Ether].src == self.umac
                          and match(p[IPv6]), count=1, timeout=timeout, store=True)
        sn.start()
        time.sleep(0.3)
        stimulus()
        sn.join()
        if not sn.results:
            raise SystemExit("FAIL: no %s within %.0f s" % (what, timeout))
        return sn.results[0][IPv6]

    # ---- home registration ----
    def ha_reg(self, seq):
        body = struct.pack("!HBBH", seq, 0x80 | 0x40, 0, 100)  # A, H; 400 s
        msg = mh_csum(HOA, HA, mh(5, body))
        bu = IPv6(src=COA, dst=HA, nh=NH_DST) / dstopt_hao(HOA, NH_MH) / Raw(msg)
        bu = IPv6(raw(bu))
        enc = SA_BU.encrypt(bu)

        def is_ba(p):
            return p.dst == COA and p.src == HA and p.nh == NH_RT
        ip = self.expect(lambda: self.send(enc), is_ba, "Binding Acknowledgement", timeout=6.0)
        hdrs, nh, _ = walk(ip)
        rh = hdrs[0][1]
        if not (rh[2] == 2 and rh[3] == 1 and rh[8:24] == a16(HOA)):
            raise SystemExit("FAIL: BA routing header is not type 2 with the home address: %s" % rh.hex())
        if nh != NH_ESP:
            raise SystemExit("FAIL: BA not under ESP (next header %d)" % nh)
        nh, up = esp_open(walk(ip)[2], ENC_KEY2, AUTH_KEY2, SPI_BA)
        if nh != NH_MH:
            raise SystemExit("FAIL: decrypted BA carries next header %d" % nh)
        mtype, m = parse_mh(up)
        if mtype != 6:
            raise SystemExit("FAIL: MH type %d, want BA (6)" % mtype)
        if mh_csum(HA, HOA, m) != m:
            raise SystemExit("FAIL: BA checksum wrong (pseudo-header HA -> home address)")
        status, flags, rseq, life = struct.unpack("!BBHH", m[6:12])
        print("ok: BA status %d seq %d lifetime %d s, RH2 %s, to %s, under ESP spi 0x%x"
              % (status, rseq, life * 4, HOA, COA, SPI_BA))
        if status != 0 or rseq != seq or life == 0 or life > 100:
            raise SystemExit("FAIL: BA status %d seq %d lifetime %d (sent seq %d, 100 units)"
                             % (status, rseq, life, seq))

    # ---- tunnel ----
    def tunnel(self):
        def tunnelled(kind):
            def m(p):
                if p.src != HA or p.dst != COA or p.nh != NH_IPV6:
                    return False
                inner = p.payload
                return isinstance(inner, IPv6) and inner.dst == HOA and kind in inner
            return m
        ping = ["ip", "netns", "exec", self.k1ns, "ping", "-6", "-c", "1", "-W", "1", HOA]
        ip = self.expect(lambda: subprocess.Popen(ping, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                         tunnelled(ICMPv6EchoRequest), "tunnelled echo request HA -> care-of")
        print("ok: home link ping to %s tunnelled %s -> %s (inner %s -> %s)" % (HOA, ip.src, ip.dst,
                                                                                 ip.payload.src, ip.payload.dst))
        req = IPv6(src=COA, dst=HA) / IPv6(src=HOA, dst=K1, hlim=64) / ICMPv6EchoRequest(id=0x4d36, seq=1,
                                                                                         data=b"reverse")
        ip = self.expect(lambda: self.send(req), tunnelled(ICMPv6EchoReply), "echo reply through the tunnel")
        if ip.payload[ICMPv6EchoReply].data != b"reverse":
            raise SystemExit("FAIL: wrong echo reply data")
        print("ok: reverse-tunnelled echo request %s -> %s answered through the tunnel" % (HOA, K1))

    # ---- return routability + route optimisation ----
    def rr(self, seq):
        hcookie, ccookie = os.urandom(8), os.urandom(8)
        hoti = mh_csum(HOA, CN, mh(1, b"\0\0" + hcookie))
        coti = mh_csum(COA, CN, mh(2, b"\0\0" + ccookie))
        pkt_hoti = IPv6(src=COA, dst=HA) / IPv6(src=HOA, dst=CN, nh=NH_MH) / Raw(hoti)

        def hot(p):
            return p.src == HA and p.dst == COA and p.nh == NH_IPV6 and raw(p.payload)[6] == NH_MH \
                and raw(p.payload)[40 + 2] == 3
        ip = self.expect(lambda: self.send(pkt_hoti), hot, "HoT through the tunnel")
        inner = IPv6(raw(ip.payload))
        _, m = parse_mh(raw(inner)[40:])
        if mh_csum(CN, HOA, m) != m or m[8:16] != hcookie:
            raise SystemExit("FAIL: HoT checksum or cookie wrong: %s" % m.hex())
        hidx, htok = struct.unpack("!H", m[6:8])[0], m[16:24]

        def cot(p):
            return p.src == CN and p.dst == COA and p.nh == NH_MH and raw(p)[40 + 2] == 4
        ip = self.expect(lambda: self.send(IPv6(src=COA, dst=CN, nh=NH_MH) / Raw(coti)), cot, "CoT")
        _, m = parse_mh(raw(ip)[40:])
        if mh_csum(CN, COA, m) != m or m[8:16] != ccookie:
            raise SystemExit("FAIL: CoT checksum or cookie wrong: %s" % m.hex())
        cidx, ctok = struct.unpack("!H", m[6:8])[0], m[16:24]
        print("ok: HoT (nonce %d, via the HA's tunnel) and CoT (nonce %d) with our cookies" % (hidx, cidx))

        kbm = hashlib.sha1(htok + ctok).digest()
        body = struct.pack("!HBBH", seq, 0x80, 0, 60)     # A; 240 s
        opts = struct.pack("!BBHH", 4, 4, hidx, cidx) + bytes([5, 12])
        zero = mh(5, body, opts + b"\0" * 12)             # lays out the options (ends with BAD)
        if len(zero) != 32:
            raise SystemExit("internal: BU with nonce+BAD must be 32 octets, got %d" % len(zero))
        auth = hmac.new(kbm, a16(COA) + a16(CN) + zero[:20], hashlib.sha1).digest()[:12]
        msg = mh_csum(HOA, CN, zero[:20] + auth)
        bu = IPv6(src=COA, dst=CN, nh=NH_DST) / dstopt_hao(HOA, NH_MH) / Raw(msg)

        def ba(p):
            return p.src == CN and p.dst == COA and p.nh == NH_RT
        ip = self.expect(lambda: self.send(bu), ba, "BA from the correspondent")
        hdrs, nh, up = walk(ip)
        if hdrs[0][1][8:24] != a16(HOA) or nh != NH_MH:
            raise SystemExit("FAIL: correspondent's BA lacks the RH2 / is not a bare MH")
        _, m = parse_mh(up)
        if mh_csum(CN, HOA, m) != m:
            raise SystemExit("FAIL: correspondent's BA checksum")
        status, _, rseq, life = struct.unpack("!BBHH", m[6:12])
        if status != 0 or rseq != seq:
            raise SystemExit("FAIL: correspondent's BA status %d seq %d" % (status, rseq))
        # BAD in the BA (RFC 6275 6.1.8/6.2.7): same Kbm, care-of | correspondent | message.
        i = 12
        while i < len(m) and m[i] != 5:
            i += 1 if m[i] == 0 else 2 + m[i + 1]
        if i >= len(m) or m[i + 1] != 12:
            raise SystemExit("FAIL: correspondent's BA has no Binding Authorization Data: %s" % m.hex())
        body = m[:4] + b"\0\0" + m[6:i + 2]
        want = hmac.new(kbm, a16(COA) + a16(CN) + body, hashlib.sha1).digest()[:12]
        if m[i + 2:i + 14] != want:
            raise SystemExit("FAIL: correspondent's BA authenticator does not verify under our Kbm")
        print("ok: route-optimisation BU accepted (status 0, seq %d, lifetime %d s), BA authenticator "
              "verified with Kbm = SHA1(home token | care-of token)" % (rseq, life * 4))

        def ro(p):
            if p.src != CN or p.dst != COA or p.nh != NH_RT:
                return False
            hdrs, nh, _ = walk(p)
            return hdrs[0][1][2] == 2 and hdrs[0][1][8:24] == a16(HOA) and nh == 58
        ping = [self.usagi, "ctl", "--control", self.ctl, "ping", "-c", "1", "-I", CN, HOA]
        self.expect(lambda: subprocess.Popen(ping, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                    ro, "route-optimised echo request (RH2) from the correspondent")
        print("ok: correspondent's ping to %s goes straight to %s with a type 2 routing header" % (HOA, COA))


def main():
    if sys.argv[1] == "setkey":
        sys.stdout.write(SETKEY)
        return
    _, _, iface, umac, k1ns, usagi, ctl = sys.argv
    p = Peer(iface, umac, k1ns, usagi, ctl)
    p.ha_reg(7)
    p.tunnel()
    p.rr(1)


if __name__ == "__main__":
    main()
