#!/usr/bin/python3
"""scapy as the IPsec peer of a usagi node (tests/netns/ipsec_scapy.sh).

Runs in the kernel's namespace on the TAP that usagi holds. For each case
of the matrix it configures usagi through its control socket (`setkey -f`
with `flush; spdflush;` first, so the node is not restarted), encrypts a
UDP datagram for usagi's udp-echo service (or an ICMP echo request) under
the inbound SA, sends it, and decrypts and checks usagi's answer under the
outbound SA. Verdicts per direction:
  in   usagi decapsulated it (esp_in_ok / ah_in_ok / ipcomp_in_ok grew; for
       the fragmented probe also frag6_ok/frag4_ok and its outbound
       fragment counter) and its echo service answered (udp_echo_replied /
       icmp*_out_echo_reply grew);
  out  an answer under the outbound SPI/CPI arrived (reassembled here when
       fragmented), scapy verified its ICV and decrypted it, and the inner
       packet is the expected echo (addresses, ports or id/seq, payload
       bytes, valid checksum).
The matrix: every cipher in every topology (transport IPv6/IPv4, tunnel
6in6, 4in4, 4in6, 6in4) with the MACs rotated, ESN (also across 2^32,
the high half inferred by usagi), AH with every MAC, AH+ESP and
ESP+IPComp bundles, IPComp alone, and 3001-octet datagrams fragmented
outside the SA in both directions. `selftest` runs every case's SAs
against themselves (and the fragmenter against the reassembler).

scapy 2.5 faults worked around here (INTEROP.md): decrypt() modifies its
argument (we decrypt copies); AES-GCM with an 8/12-octet ICV is sent as a
full-tag packet with the tag cut, and checked with the cryptography
library's truncated-tag GCM; for non-AEAD ESP with ESN scapy leaves the
high 32 bits out of the ICV (RFC 4303 2.2.1 puts them in), so the ICV is
computed here over ESP || ESN-hi with the same HMAC; AH's sign() puts the
MAC into an ESP layer below it, so AH over ESP is signed again here.
scapy has no IPComp: DEFLATE is done with zlib (RFC 2394: raw DEFLATE).

usage:
  ipsec_peer.py matrix IFACE KMAC UMAC USAGI CTLDIR TMPDIR [--only REGEX] [--list]
                [--tamper in|out] [--timeout S] [--verbose]
  ipsec_peer.py selftest [--only REGEX]
"""
import argparse
import hmac as std_hmac
import queue
import random
import re
import struct
import subprocess
import sys
import threading
import time
import zlib

from scapy.all import (AsyncSniffer, Ether, IP, IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrDestOpt, IPOption_Router_Alert, IPOption_RR, HBHOptUnknown,
                       PadN, UDP, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply, Raw, conf,
                       fragment, fragment6, raw)
from scapy.layers.ipsec import ESP, AH, SecurityAssociation, IPSecIntegrityError
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.exceptions import InvalidTag

conf.verb = 0

# ---- addresses (documentation prefixes only) ----
PEER6, US6 = "2001:db8:1::1", "2001:db8:1::2"
PEER4, US4 = "192.0.2.1", "192.0.2.2"
INNER6 = "2001:db8:99::1"          # scapy as a gateway for 2001:db8:99::/64
INNER4 = "198.51.100.1"            # and for 198.51.100.0/24
INNER6_NET, INNER4_NET = "2001:db8:99::/64", "198.51.100.0/24"


# ---- algorithms: (label, setkey name, scapy name, key octets incl. salt, AEAD ICV) ----
class Enc:
    def __init__(self, label, setkey, scapy, keylen, icv=0):
        self.label, self.setkey, self.scapy = label, setkey, scapy
        self.keylen, self.icv = keylen, icv

    @property
    def aead(self):
        return self.icv != 0


ENCS = [
    Enc("null", "null", "NULL", 0),
    Enc("aes-cbc-128", "aes-cbc", "AES-CBC", 16),
    Enc("aes-cbc-192", "aes-cbc", "AES-CBC", 24),
    Enc("aes-cbc-256", "rijndael-cbc", "AES-CBC", 32),
    Enc("aes-ctr-128", "aes-ctr", "AES-CTR", 20),
    Enc("aes-ctr-192", "aes-ctr", "AES-CTR", 28),
    Enc("aes-ctr-256", "aes-ctr", "AES-CTR", 36),
    Enc("aes-gcm-16-128", "aes-gcm-16", "AES-GCM", 20, 16),
    Enc("aes-gcm-16-192", "aes-gcm-16", "AES-GCM", 28, 16),
    Enc("aes-gcm-16-256", "aes-gcm-16", "AES-GCM", 36, 16),
    Enc("aes-gcm-12-128", "aes-gcm-12", "AES-GCM", 20, 12),
    Enc("aes-gcm-8-256", "aes-gcm-8", "AES-GCM", 36, 8),
    Enc("chacha20-poly1305", "chacha20-poly1305", "CHACHA20-POLY1305", 36, 16),
    Enc("des-cbc", "des-cbc", "DES", 8),
    Enc("3des-cbc", "3des-cbc", "3DES", 24),
    Enc("cast128-cbc", "cast128-cbc", "CAST", 16),
    Enc("blowfish-cbc", "blowfish-cbc", "Blowfish", 16),
]
ENC_BY_LABEL = {e.label: e for e in ENCS}


class Auth:
    def __init__(self, setkey, scapy, keylen, icv, hashname):
        self.setkey, self.scapy, self.keylen, self.icv, self.hashname = \
            setkey, scapy, keylen, icv, hashname
        self.label = setkey


AUTHS = [
    Auth("hmac-md5", "HMAC-MD5-96", 16, 12, "md5"),
    Auth("hmac-sha1", "HMAC-SHA1-96", 20, 12, "sha1"),
    Auth("hmac-sha256", "SHA2-256-128", 32, 16, "sha256"),
    Auth("hmac-sha384", "SHA2-384-192", 48, 24, "sha384"),
    Auth("hmac-sha512", "SHA2-512-256", 64, 32, "sha512"),
]
AUTH_BY_NAME = {a.setkey: a for a in AUTHS}


# ---- topologies: mode, outer family, inner family ----
class Topo:
    """Where the SAs run (outer) and what they carry (inner)."""

    def __init__(self, label, mode, outer, inner):
        self.label, self.mode, self.outer, self.inner = label, mode, outer, inner

    def outer_addrs(self):
        return (PEER6, US6) if self.outer == 6 else (PEER4, US4)

    def inner_addrs(self):
        """(peer side, usagi side) of the protected traffic."""
        if self.mode == "transport":
            return self.outer_addrs()
        return (INNER6, US6) if self.inner == 6 else (INNER4, US4)

    def selectors(self):
        """(peer selector, usagi selector, upper-layer protocol) of the policies."""
        p, u = self.inner_addrs()
        if self.mode == "transport":
            if self.outer == 6:
                # Neighbour Discovery between the two addresses must stay in
                # clear: protect UDP only.
                return p + "/128", u + "/128", "udp"
            return p + "/32", u + "/32", "any"
        net = INNER6_NET if self.inner == 6 else INNER4_NET
        return net, u + ("/128" if self.inner == 6 else "/32"), "any"

    def tunnel_header(self):
        if self.mode != "tunnel":
            return None
        p, u = self.outer_addrs()
        return IPv6(src=p, dst=u) if self.outer == 6 else IP(src=p, dst=u)


TOPOS = [
    Topo("tr6", "transport", 6, 6),
    Topo("tr4", "transport", 4, 4),
    Topo("6in6", "tunnel", 6, 6),
    Topo("4in4", "tunnel", 4, 4),
    Topo("4in6", "tunnel", 6, 4),
    Topo("6in4", "tunnel", 4, 6),
]
TOPO_BY_LABEL = {t.label: t for t in TOPOS}


# ---- one direction of protection as scapy sees it ----
def _gcm_decrypt(key, salt, iv, ct, tag, aad):
    dec = Cipher(algorithms.AES(key), modes.GCM(salt + iv, tag, min_tag_length=len(tag))).decryptor()
    dec.authenticate_additional_data(aad)
    return dec.update(ct) + dec.finalize()


def _fix_lengths(pkt):
    """Recomputes the outer length (and IPv4 checksum) after the ESP data changed."""
    if pkt.version == 4:
        del pkt.len
        del pkt.chksum
    else:
        del pkt.plen
    return pkt.__class__(raw(pkt))


class PeerESP:
    """An ESP SA: scapy's SecurityAssociation plus the fixes listed at the top."""

    def __init__(self, spi, enc, enc_key, auth, auth_key, tunnel, esn=False):
        self.spi, self.enc, self.auth, self.esn = spi, enc, auth, esn
        self.enc_key, self.auth_key = enc_key, auth_key
        # ICV done here for non-AEAD + ESN (scapy's bug); else by scapy.
        self.own_icv = esn and not enc.aead and auth is not None
        self.sa = SecurityAssociation(
            ESP, spi=spi, crypt_algo=enc.scapy, crypt_key=enc_key or None,
            auth_algo=None if (self.own_icv or auth is None) else auth.scapy,
            auth_key=None if (self.own_icv or auth is None) else auth_key,
            tunnel_header=tunnel, esn_en=esn and enc.aead, esn=0)

    def encrypt(self, pkt, seq=None, esn_hi=0):
        out = self.sa.encrypt(pkt, seq_num=seq, esn=esn_hi)
        cut = 16 - self.enc.icv if self.enc.aead and self.enc.icv < 16 else 0
        if cut:
            out[ESP].data = out[ESP].data[:-cut]
            out = _fix_lengths(out)
        if self.own_icv:
            mac = std_hmac.new(self.auth_key, raw(out[ESP]) + struct.pack("!L", esn_hi),
                               self.auth.hashname).digest()[:self.auth.icv]
            out[ESP].data = out[ESP].data + mac
            out = _fix_lengths(out)
        return out

    def decrypt(self, pkt):
        """Verifies and decrypts a copy of @pkt (IPv6/IP); raises on a bad ICV."""
        pkt = pkt.__class__(raw(pkt))
        if self.own_icv:
            esp = pkt[ESP]
            body, icv = esp.data[:-self.auth.icv], esp.data[-self.auth.icv:]
            want = std_hmac.new(self.auth_key, raw(esp)[:8] + body + struct.pack("!L", 0),
                                self.auth.hashname).digest()[:self.auth.icv]
            if not std_hmac.compare_digest(icv, want):
                raise IPSecIntegrityError("ICV (with ESN-hi) mismatch")
            esp.data = body
        if self.enc.aead and self.enc.icv < 16:
            return self._decrypt_short_gcm(pkt)
        return self.sa.decrypt(pkt)

    def _decrypt_short_gcm(self, pkt):
        esp = pkt[ESP]
        key, salt = self.enc_key[:-4], self.enc_key[-4:]
        iv, ct, tag = esp.data[:8], esp.data[8:-self.enc.icv], esp.data[-self.enc.icv:]
        try:
            plain = _gcm_decrypt(key, salt, iv, ct, tag, struct.pack("!LL", esp.spi, esp.seq))
        except InvalidTag as e:
            raise IPSecIntegrityError("GCM tag: %r" % e)
        padlen, nh = plain[-2], plain[-1]
        data = plain[:len(plain) - 2 - padlen]
        if self.sa.tunnel_header is not None:
            return (IPv6 if nh == 41 else IP)(data)
        under = esp.underlayer
        under.remove_payload()
        if pkt.version == 4:
            pkt.proto = nh
            del pkt.len
            del pkt.chksum
        else:
            under.nh = nh
            del pkt.plen
        return pkt.__class__(raw(pkt / Raw(data)))


class PeerAH:
    def __init__(self, spi, auth, auth_key, tunnel, esn=False):
        self.spi, self.auth = spi, auth
        self.sa = SecurityAssociation(AH, spi=spi, auth_algo=auth.scapy, auth_key=auth_key,
                                      tunnel_header=tunnel, esn_en=esn, esn=0)

    def encrypt(self, pkt, seq=None, esn_hi=0):
        return self.sa.encrypt(pkt, seq_num=seq, esn=esn_hi)

    def decrypt(self, pkt):
        pkt = pkt.__class__(raw(pkt))
        out = self.sa.decrypt(pkt)
        if self.sa.tunnel_header is not None and not isinstance(out, (IP, IPv6)):
            b = raw(out)    # scapy binds AH to IPv6 but not to IPv4
            out = (IPv6 if b[0] >> 4 == 6 else IP)(b)
        return out


def _split_ip(pkt):
    """(header octets, next header, payload octets) of an IPv6 header without
    extension headers or an IPv4 header."""
    b = raw(pkt)
    if pkt.version == 6:
        return b[:40], b[6], b[40:40 + pkt.plen]
    hl = pkt.ihl * 4
    return b[:hl], b[9], b[hl:pkt.len]


def _join_ip(hdr, nh, payload):
    """An IPv6/IPv4 packet from header octets with next header and length rewritten."""
    pkt = IPv6(hdr) if hdr[0] >> 4 == 6 else IP(hdr)
    if pkt.version == 6:
        pkt.nh = nh
        del pkt.plen
    else:
        pkt.proto = nh
        del pkt.len
        del pkt.chksum
    return pkt.__class__(raw(pkt / Raw(payload)))


def ipcomp_cpi(ip):
    """The CPI when @ip (IPv6 without extension headers, or IPv4) carries IPComp, else None."""
    hdr, nh, payload = _split_ip(ip)
    return struct.unpack("!H", payload[2:4])[0] if nh == 108 and len(payload) >= 4 else None


class PeerIPComp:
    """An IPComp SA with DEFLATE (RFC 3173, RFC 2394), done with zlib, which
    scapy lacks: raw DEFLATE, no zlib header, one block per packet."""

    def __init__(self, cpi, tunnel):
        self.cpi, self.spi, self.tunnel = cpi, cpi, tunnel

    def encrypt(self, pkt, seq=None, esn_hi=0):
        if self.tunnel is not None:
            t = self.tunnel.copy()
            if t.version == 6:
                del t.nh
            else:
                del t.proto
            pkt = t.__class__(raw(t / pkt))
        hdr, nh, payload = _split_ip(pkt.__class__(raw(pkt)))
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        body = c.compress(payload) + c.flush()
        return _join_ip(hdr, 108, struct.pack("!BBH", nh, 0, self.cpi) + body)

    def decrypt(self, pkt):
        hdr, nh, payload = _split_ip(pkt.__class__(raw(pkt)))
        if nh != 108 or struct.unpack("!H", payload[2:4])[0] != self.cpi:
            raise ValueError("not IPComp under CPI 0x%x" % self.cpi)
        d = zlib.decompressobj(-15)
        inner = d.decompress(payload[4:]) + d.flush()
        if not d.eof:
            raise ValueError("DEFLATE stream not terminated")
        if self.tunnel is not None:
            return (IPv6 if payload[0] == 41 else IP)(inner)
        return _join_ip(hdr, payload[0], inner)


class Bundle:
    """Transport ESP inside transport AH (IP | AH | ESP | payload)."""

    def __init__(self, esp, ah):
        self.esp, self.ah, self.spi = esp, ah, ah.spi

    def encrypt(self, pkt, seq=None, esn_hi=0):
        # scapy's AH sign() appends the MAC to the ESP layer when there is
        # one: strip it again, keep the ESP octets opaque, sign once more.
        y = self.ah.encrypt(self.esp.encrypt(pkt, seq, esn_hi), seq, esn_hi)
        n = self.ah.auth.icv
        esp = raw(y[ESP])[:-n]
        y[AH].remove_payload()
        y[AH].icv = b"\0" * n
        y = y / Raw(esp)
        sa = self.ah.sa
        return sa.auth_algo.sign(y, sa.auth_key, esn_en=sa.esn_en, esn=esn_hi)

    def decrypt(self, pkt):
        inner = self.ah.decrypt(pkt)
        inner = inner.__class__(raw(inner))
        return self.esp.decrypt(inner)


class CompBundle:
    """Transport IPComp inside transport ESP (IP | ESP | IPComp | payload)."""

    def __init__(self, esp, comp):
        self.esp, self.comp, self.spi = esp, comp, esp.spi

    def encrypt(self, pkt, seq=None, esn_hi=0):
        return self.esp.encrypt(self.comp.encrypt(pkt), seq, esn_hi)

    def decrypt(self, pkt):
        inner = self.esp.decrypt(pkt)
        return self.comp.decrypt(inner.__class__(raw(inner)))


# ---- cases ----
def _flip(key):
    return bytes([key[0] ^ 0x80]) + key[1:]


class Case:
    """One row of the matrix: SAs both ways, policies both ways, one probe."""

    def __init__(self, proto, topo, enc=None, auth=None, esn=False, probe="udp", note="",
                 wrap=False):
        self.proto, self.topo, self.enc, self.auth, self.esn = proto, topo, enc, auth, esn
        # wrap: ESN across a 2^32 boundary: sequences 0x80000000 and
        # 0xfffffff0 first, then 5 with high half 1, which usagi must infer
        # (RFC 4303 Appendix A).
        self.wrap = wrap
        self.probe, self.note = probe, note
        self.tamper = None      # "in"/"out": the peer's copy of that SA gets wrong keys
        parts = [proto, topo.label]
        if enc:
            parts.append(enc.label)
        if auth:
            parts.append(auth.label)
        if esn:
            parts.append("esnwrap" if wrap else "esn")
        parts.append(probe)
        self.name = "-".join(parts)
        self.rng = random.Random(zlib.crc32(self.name.encode()))

    def key(self, n):
        return bytes(self.rng.getrandbits(8) for _ in range(n))

    def setup(self, idx):
        """Makes keys, SPIs, the peer's SAs (self.sa_in/sa_out) and the setkey text."""
        self.spi_in, self.spi_out = 0x10000 + idx * 4, 0x20000 + idx * 4
        tun = self.topo.tunnel_header()
        p, u = self.topo.outer_addrs()
        mode = self.topo.mode
        lines = ["flush;", "spdflush;"]
        sas = {}
        for d, (spi, src, dst) in (("in", (self.spi_in, p, u)), ("out", (self.spi_out, u, p))):
            parts = []
            bad = _flip if self.tamper == d else (lambda k: k)
            if "ipcomp" in self.proto:
                cpi = 0x1000 + (spi & 0x7ff) + (0x800 if d == "out" else 0) + \
                    (2 if "esp" in self.proto else 0)
                parts.append(PeerIPComp(cpi, tun))
                lines.append(self._add(src, dst, "ipcomp", cpi, mode, "-C deflate"))
            if self.proto in ("esp", "esp+ah", "esp+ipcomp"):
                ek = self.key(self.enc.keylen)
                ak = self.key(self.auth.keylen) if (self.auth and not self.enc.aead) else None
                sa_esp = PeerESP(spi, self.enc, bad(ek) if self.enc.aead else ek,
                                 None if self.enc.aead else self.auth,
                                 None if ak is None else bad(ak), tun, self.esn)
                lines.append(self._add(src, dst, "esp", spi, mode, self._esp_algs(ek, ak)))
                parts.append(sa_esp)
            if self.proto in ("ah", "esp+ah"):
                aspi = spi + 1 if self.proto == "esp+ah" else spi
                ak = self.key(self.auth.keylen)
                sa_ah = PeerAH(aspi, self.auth, bad(ak), tun, self.esn)
                lines.append(self._add(src, dst, "ah", aspi, mode,
                                       "-A %s 0x%s" % (self.auth.setkey, ak.hex())))
                parts.append(sa_ah)
            if len(parts) == 1:
                sas[d] = parts[0]
            elif self.proto == "esp+ipcomp":
                sas[d] = CompBundle(parts[1], parts[0])
            else:
                sas[d] = Bundle(*parts)
        self.sa_in, self.sa_out = sas["in"], sas["out"]
        psel, usel, ulp = self.topo.selectors()
        lines.append("spdadd %s %s %s -P in ipsec %s;" % (psel, usel, ulp, self._tmpls(p, u)))
        lines.append("spdadd %s %s %s -P out ipsec %s;" % (usel, psel, ulp, self._tmpls(u, p)))
        self.setkey = "\n".join(lines) + "\n"
        return self.setkey

    def _add(self, src, dst, proto, spi, mode, algs):
        return "add %s %s %s 0x%x -m %s%s%s %s;" % (src, dst, proto, spi, mode,
                                                    " -f esn" if self.esn else "",
                                                    " -r 64" if self.wrap else "", algs)

    def _esp_algs(self, ek, ak):
        e = "-E %s" % self.enc.setkey
        if self.enc.keylen:
            e += " 0x" + ek.hex()
        if ak is not None:
            e += " -A %s 0x%s" % (self.auth.setkey, ak.hex())
        return e

    def _tmpls(self, src, dst):
        ends = "%s-%s" % (src, dst) if self.topo.mode == "tunnel" else ""
        # Innermost first (setkey order): IPComp, ESP, AH.
        protos = {"esp+ah": ["esp", "ah"], "esp+ipcomp": ["ipcomp", "esp"]}.get(
            self.proto, [self.proto])
        return " ".join("%s/%s/%s/require" % (pr, self.topo.mode, ends) for pr in protos)

    # -- probe and expected answer --
    def probe_packet(self, idx):
        p, u = self.topo.inner_addrs()
        fam = 6 if ":" in p else 4
        ip = IPv6(src=p, dst=u, hlim=64) if fam == 6 else IP(src=p, dst=u, ttl=64)
        # Odd lengths so every cipher needs padding.
        self.payload = ("usagi-ipsec-%s-" % self.name).encode() + bytes(range(idx % 13 + 1))
        if self.probe == "big":
            self.payload = (self.payload * (3000 // len(self.payload) + 1))[:3001]
        elif "ipcomp" in self.proto:
            self.payload *= 12     # compressible, over the IPComp threshold
        if self.probe == "ext":
            # Options before the IPsec header: immutable and mutable ones
            # (RFC 4302 3.3.3.1: AH zeroes the mutable ones for the ICV).
            if fam == 6:
                ip = ip / IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * 4)]) / \
                    IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x3e, optdata=b"mut!")])
            else:
                ip.options = [IPOption_Router_Alert(), IPOption_RR(routers=["0.0.0.0"])]
        if self.probe in ("udp", "big", "ext"):
            self.sport = 40000 + idx
            pkt = ip / UDP(sport=self.sport, dport=7) / Raw(self.payload)
        elif fam == 6:
            pkt = ip / ICMPv6EchoRequest(id=0x7000 + idx, seq=idx, data=self.payload)
        else:
            pkt = ip / ICMP(type=8, id=0x7000 + idx, seq=idx) / Raw(self.payload)
        return pkt.__class__(raw(pkt))

    def counters(self):
        """(decap counters, echo counter) usagi should bump for this probe."""
        dec = {"esp": ["esp_in_ok"], "ah": ["ah_in_ok"], "esp+ah": ["esp_in_ok", "ah_in_ok"],
               "ipcomp": ["ipcomp_in_ok"], "esp+ipcomp": ["esp_in_ok", "ipcomp_in_ok"]}
        fam = 6 if ":" in self.topo.inner_addrs()[0] else 4
        echo = "udp_echo_replied" if self.probe in ("udp", "big", "ext") else \
            ("icmp6_out_echo_reply" if fam == 6 else "icmp4_out_echo_reply")
        extra = []
        if self.probe == "big":
            # usagi reassembled the outer fragments and fragmented its answer.
            extra = ["frag6_ok", "ip6_out_frag_ok"] if self.topo.outer == 6 else \
                ["frag4_ok", "ip4_out_frag_ok"]
        return dec[self.proto] + extra, echo

    def wire_packets(self, pkt):
        """@pkt as it goes on the wire: outer fragments of 1280 octets for the big probe."""
        if self.probe != "big":
            return pkt
        pkt = pkt.__class__(raw(pkt))
        if pkt.version == 4:
            return fragment(pkt, fragsize=1232)
        nh, body = pkt.nh, pkt.payload
        pkt.remove_payload()
        pkt.nh = 44
        del pkt.plen
        return fragment6(pkt / IPv6ExtHdrFragment(nh=nh) / body, 1280)

    def is_answer(self, frame):
        """An answer frame from usagi under our outbound SPI."""
        if self.proto == "ipcomp":
            ip = frame[Ether].payload
            return isinstance(ip, (IP, IPv6)) and ipcomp_cpi(ip) == self.sa_out.cpi
        lay = AH if self.proto in ("ah", "esp+ah") else ESP
        return lay in frame and frame[lay].spi == self.sa_out.spi

    def check_answer(self, frame, idx):
        """'' if @frame is the right answer, else why not."""
        outer = frame[IPv6] if self.topo.outer == 6 and IPv6 in frame else \
            (frame[IP] if IP in frame else None)
        if outer is None:
            return "answer is not IPv%d" % self.topo.outer
        p, u = self.topo.outer_addrs()
        if (outer.src, outer.dst) != (u, p):
            return "outer %s -> %s" % (outer.src, outer.dst)
        try:
            inner = self.sa_out.decrypt(outer)
        except Exception as e:    # noqa: BLE001 - report any scapy failure as a verdict
            return "decrypt: %s: %s" % (type(e).__name__, e)
        inner = inner.__class__(raw(inner))
        return check_echo(inner, self, idx)


def check_echo(inner, case, idx):
    p, u = case.topo.inner_addrs()
    if (inner.src, inner.dst) != (u, p):
        return "inner %s -> %s" % (inner.src, inner.dst)
    if not l4_csum_ok(inner):
        return "bad upper-layer checksum"
    if case.probe in ("udp", "big", "ext"):
        if UDP not in inner:
            return "inner is not UDP: %s" % inner.summary()
        ud = inner[UDP]
        if (ud.sport, ud.dport) != (7, case.sport):
            return "ports %d -> %d" % (ud.sport, ud.dport)
        got = raw(ud.payload)
    elif ":" in p:
        if ICMPv6EchoReply not in inner:
            return "inner is not an echo reply: %s" % inner.summary()
        er = inner[ICMPv6EchoReply]
        if (er.id, er.seq) != (0x7000 + idx, idx):
            return "echo id/seq %x/%d" % (er.id, er.seq)
        got = er.data
    else:
        if ICMP not in inner or inner[ICMP].type != 0:
            return "inner is not an echo reply: %s" % inner.summary()
        er = inner[ICMP]
        if (er.id, er.seq) != (0x7000 + idx, idx):
            return "echo id/seq %x/%d" % (er.id, er.seq)
        got = raw(er.payload)
    if got != case.payload:
        return "payload differs: %r" % got[:40]
    return ""


def l4_csum_ok(ip):
    """True if the UDP/ICMP checksum of @ip is what scapy computes for it."""
    for lay, field in ((UDP, "chksum"), (ICMP, "chksum"), (ICMPv6EchoReply, "cksum"),
                       (ICMPv6EchoRequest, "cksum")):
        if lay in ip:
            have = getattr(ip[lay], field)
            c = ip.__class__(raw(ip))
            delattr(c[lay], field)
            c = c.__class__(raw(c))
            return have == getattr(c[lay], field)
    return True


def matrix_cases():
    """The matrix: every cipher in every topology; MACs, ESN, AH and bundles across it."""
    cases = []
    for ti, topo in enumerate(TOPOS):
        for ei, enc in enumerate(ENCS):
            auth = None if enc.aead else AUTHS[(ei + ti) % len(AUTHS)]
            probe = "udp" if topo.label == "tr6" or (ei + ti) % 2 == 0 else "icmp"
            cases.append(Case("esp", topo, enc, auth, probe=probe))
        # ESN: AEAD (scapy right), and CBC+HMAC with the ICV fixed here.
        cases.append(Case("esp", topo, ENC_BY_LABEL["aes-gcm-16-128"], esn=True))
        cases.append(Case("esp", topo, ENC_BY_LABEL["chacha20-poly1305"], esn=True,
                          probe="udp" if topo.label == "tr6" else "icmp"))
        cases.append(Case("esp", topo, ENC_BY_LABEL["aes-cbc-128"],
                          AUTH_BY_NAME["hmac-sha256"], esn=True, note="ESN ICV by hand"))
        # ESP without any integrity (null auth with a cipher is legal but rare).
        # AH: every MAC in every topology, ESN once each.
        for ai, auth in enumerate(AUTHS):
            probe = "udp" if topo.label == "tr6" or (ai + ti) % 2 == 0 else "icmp"
            cases.append(Case("ah", topo, auth=auth, probe=probe))
        cases.append(Case("ah", topo, auth=AUTH_BY_NAME["hmac-sha1"], esn=True))
        # ESN across 2^32: the high half inferred from the window.
        cases.append(Case("esp", topo, ENC_BY_LABEL["aes-gcm-16-256"], esn=True, wrap=True))
        cases.append(Case("esp", topo, ENC_BY_LABEL["aes-cbc-256"], AUTH_BY_NAME["hmac-sha512"],
                          esn=True, wrap=True))
        cases.append(Case("ah", topo, auth=AUTH_BY_NAME["hmac-sha256"], esn=True, wrap=True))
    # 3001-octet datagrams: scapy fragments the ESP/AH packet, usagi
    # reassembles it and fragments its protected answer.
    for tl, proto, enc, auth in (("tr6", "esp", "aes-cbc-128", "hmac-sha1"),
                                 ("tr4", "esp", "aes-gcm-16-128", None),
                                 ("6in6", "esp", "chacha20-poly1305", None),
                                 ("4in4", "esp", "aes-ctr-256", "hmac-sha256"),
                                 ("4in6", "esp", "3des-cbc", "hmac-md5"),
                                 ("6in4", "esp", "aes-cbc-256", "hmac-sha512"),
                                 ("tr6", "ah", None, "hmac-sha256"),
                                 ("4in4", "ah", None, "hmac-sha1")):
        cases.append(Case(proto, TOPO_BY_LABEL[tl], enc and ENC_BY_LABEL[enc],
                          auth and AUTH_BY_NAME[auth], probe="big"))
    # IPv6 extension headers / IPv4 options (mutable ones included) before AH/ESP.
    for tl in ("tr6", "tr4"):
        for auth in ("hmac-sha1", "hmac-sha256"):
            cases.append(Case("ah", TOPO_BY_LABEL[tl], auth=AUTH_BY_NAME[auth], probe="ext"))
        cases.append(Case("esp", TOPO_BY_LABEL[tl], ENC_BY_LABEL["aes-cbc-128"],
                          AUTH_BY_NAME["hmac-sha1"], probe="ext"))
    # IPComp (DEFLATE by zlib on scapy's side) in every topology, and inside ESP.
    for ti, topo in enumerate(TOPOS):
        cases.append(Case("ipcomp", topo, probe="udp" if ti % 2 == 0 else "icmp"))
    for tl, enc, auth in (("tr6", "aes-cbc-128", "hmac-sha256"), ("tr4", "aes-gcm-16-128", None)):
        cases.append(Case("esp+ipcomp", TOPO_BY_LABEL[tl], ENC_BY_LABEL[enc],
                          auth and AUTH_BY_NAME[auth]))
    for tl in ("tr6", "tr4"):
        topo = TOPO_BY_LABEL[tl]
        for enc, auth in (("aes-cbc-128", "hmac-sha1"), ("aes-gcm-16-256", "hmac-sha256")):
            cases.append(Case("esp+ah", topo, ENC_BY_LABEL[enc], AUTH_BY_NAME[auth]))
    return cases


# ---- the wire: one sniffer for the whole run ----
class Reasm:
    """Reassembly of usagi's outer fragments (RFC 791, RFC 8200 4.5), so a
    fragmented answer is matched and decrypted like any other. IPv6: the
    Fragment header must follow the IPv6 header (what usagi sends)."""

    def __init__(self):
        self.parts = {}

    def feed(self, frame):
        """The frame itself if not a fragment, the reassembled frame, or None."""
        if IPv6ExtHdrFragment in frame and IPv6 in frame:
            ip, fh = frame[IPv6], frame[IPv6ExtHdrFragment]
            b = raw(ip)
            if ip.nh != 44:
                return None
            key, hdr = (6, ip.src, ip.dst, fh.id), b[:40]
            part = (fh.offset * 8, b[48:40 + ip.plen], fh.m, fh.nh)
        elif IP in frame and (frame[IP].flags.MF or frame[IP].frag):
            ip = frame[IP]
            b, hl = raw(ip), ip.ihl * 4
            key, hdr = (4, ip.src, ip.dst, ip.id, ip.proto), b[:hl]
            part = (ip.frag * 8, b[hl:ip.len], int(ip.flags.MF), ip.proto)
        else:
            return frame
        parts = self.parts.setdefault(key, {})
        if part[0] == 0:
            parts["hdr"] = hdr
        parts[part[0]] = part
        data = self._complete(parts)
        if data is None:
            return None
        del self.parts[key]
        whole = IPv6(parts["hdr"]) if key[0] == 6 else IP(parts["hdr"])
        if key[0] == 6:
            whole.nh = parts[0][3]
            del whole.plen
        else:
            whole.flags, whole.frag = 0, 0
            del whole.len
            del whole.chksum
        return frame[Ether].__class__(raw(Ether(src=frame[Ether].src, dst=frame[Ether].dst) /
                                          whole.__class__(raw(whole / Raw(data)))))

    @staticmethod
    def _complete(parts):
        if "hdr" not in parts:
            return None
        data, off = b"", 0
        while off in parts:
            _, chunk, more, _ = parts[off]
            data += chunk
            off += len(chunk)
            if not more:
                return data
        return None


class Wire:
    def __init__(self, iface, kmac, umac):
        self.iface, self.kmac, self.umac = iface, kmac.lower(), umac.lower()
        self.q = queue.Queue()
        self.reasm = Reasm()
        started = threading.Event()
        self.sn = AsyncSniffer(iface=iface, store=False, prn=self.q.put,
                               lfilter=lambda p: Ether in p and p[Ether].src.lower() == self.umac,
                               started_callback=started.set)
        self.sn.start()
        if not started.wait(5):
            sys.exit("sniffer did not start")
        time.sleep(0.2)
        self.sock = conf.L2socket(iface=iface)

    def drain(self):
        while True:
            try:
                self.q.get_nowait()
            except queue.Empty:
                return

    def send(self, pkt):
        """Sends IP packet(s) to usagi in an Ethernet frame from the kernel's MAC."""
        for x in pkt if isinstance(pkt, (list, tuple)) or hasattr(pkt, "res") else [pkt]:
            t = 0x86DD if x.version == 6 else 0x0800
            self.sock.send(Ether(src=self.kmac, dst=self.umac, type=t) / x)

    def wait_for(self, match, timeout):
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                return None
            try:
                f = self.reasm.feed(self.q.get(timeout=left))
            except queue.Empty:
                return None
            if f is not None and match(f):
                return f

    def close(self):
        self.sock.close()
        self.sn.stop()


# ---- usagi's control socket ----
class Usagi:
    def __init__(self, binary, ctldir, tmpdir):
        self.binary, self.ctldir, self.tmpdir = binary, ctldir, tmpdir

    def ctl(self, *args):
        r = subprocess.run([self.binary, "ctl", "--control", self.ctldir] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        return r.returncode, r.stdout.decode(errors="replace")

    def stats(self):
        rc, out = self.ctl("stats")
        d = {}
        for line in out.splitlines():
            f = line.split()
            if len(f) >= 2 and f[1].isdigit():
                d[f[0]] = int(f[1])
        return d

    def setkey(self, text, name="setkey.conf"):
        """Loads @text with `setkey -f`; '' or the error output."""
        path = "%s/%s" % (self.tmpdir, name)
        with open(path, "w") as f:
            f.write(text)
        rc, out = self.ctl("setkey", "-f", path)
        return "" if rc == 0 else "setkey rc=%d: %s" % (rc, out.strip())


def run_case(case, idx, wire, usagi, timeout):
    """Returns (in verdict, out verdict, why)."""
    err = usagi.setkey(case.setup(idx))
    if err:
        return "FAIL", "FAIL", err
    wire.drain()
    dec, echo = case.counters()
    before = usagi.stats()
    missing = [c for c in dec + [echo] if c not in before]
    if missing:
        return "FAIL", "FAIL", "no counter %s in stats" % ",".join(missing)
    why = []
    probe = case.probe_packet(idx)
    if case.wrap:
        # A fresh window (top 0) reads 0xfffffff0 as the epoch before the
        # first (RFC 4303 A2.1 case B): climb through 0x80000000 first.
        for seq in (0x80000000, 0xfffffff0):
            wire.send(case.wire_packets(case.sa_in.encrypt(probe, seq=seq, esn_hi=0)))
            if wire.wait_for(case.is_answer, timeout) is None:
                why.append("in: no answer to sequence 0x%x" % seq)
        wire.send(case.wire_packets(case.sa_in.encrypt(probe, seq=5, esn_hi=1)))
    else:
        wire.send(case.wire_packets(case.sa_in.encrypt(probe)))
    frame = wire.wait_for(case.is_answer, timeout)
    after = usagi.stats()
    n = 3 if case.wrap else 1
    grew = lambda c: after.get(c, 0) >= before.get(c, 0) + n
    v_in = "PASS" if all(grew(c) for c in dec) and grew(echo) and not why else "FAIL"
    if v_in == "FAIL":
        why.append("in: %s" % ", ".join("%s %+d" % (c, after.get(c, 0) - before.get(c, 0))
                                      for c in dec + [echo]))
    if frame is None:
        v_out = "FAIL"
        why.append("out: no answer under SPI 0x%x within %.1f s" % (case.sa_out.spi, timeout))
    else:
        bad = case.check_answer(frame[Ether].payload, idx)
        v_out = "FAIL" if bad else "PASS"
        if bad:
            why.append("out: " + bad)
    return v_in, v_out, "; ".join(why)


def print_table(rows):
    print("%-4s %-10s %-5s %-4s %-18s %-12s %-4s %-5s %-4s %-4s" %
          ("#", "proto", "mode", "fam", "enc", "auth", "esn", "probe", "in", "out"))
    for i, (case, vin, vout, _) in enumerate(rows):
        t = case.topo
        mac = case.auth.label if case.auth and not (case.enc and case.enc.aead and
                                                    case.proto == "esp") else "-"
        fam = "6" if t.label == "tr6" else "4" if t.label == "tr4" else t.label
        print("%-4d %-10s %-5s %-4s %-18s %-12s %-4s %-5s %-4s %-4s" %
              (i, case.proto, t.mode[:5], fam, case.enc.label if case.enc else "-",
               mac, ("wrap" if case.wrap else "yes") if case.esn else "no", case.probe,
               vin, vout))


def cmd_matrix(a):
    cases = [c for c in matrix_cases() if not a.only or re.search(a.only, c.name)]
    if a.list:
        for c in cases:
            print(c.name)
        return 0
    wire = Wire(a.iface, a.kmac, a.umac)
    usagi = Usagi(a.usagi, a.ctldir, a.tmpdir)
    rows = []
    t0 = time.time()
    for idx, case in enumerate(cases):
        case.tamper = a.tamper
        vin, vout, why = run_case(case, idx, wire, usagi, a.timeout)
        rows.append((case, vin, vout, why))
        if why:
            print("# %s: %s" % (case.name, why), file=sys.stderr)
            if a.verbose:
                print("# setkey:\n" + case.setkey, file=sys.stderr)
    wire.close()
    print_table(rows)
    nfail = sum((r[1] != "PASS") + (r[2] != "PASS") for r in rows)
    print("matrix: %d cases, %d cells, %d failed, %.1f s" %
          (len(rows), 2 * len(rows), nfail, time.time() - t0))
    return 1 if nfail else 0


def cmd_selftest(a):
    """scapy against itself: each case's SAs round-trip a probe (checks the fixes here)."""
    bad = 0
    for idx, case in enumerate(matrix_cases()):
        if a.only and not re.search(a.only, case.name):
            continue
        case.setup(idx)
        pkt = case.probe_packet(idx)
        # The peer's inbound SA as usagi would hold it decrypts what we send.
        enc = case.sa_in.encrypt(pkt)
        enc = enc.__class__(raw(enc))
        try:
            back = case.sa_in.decrypt(enc)
            back = back.__class__(raw(back))
            ok = raw(back[UDP] if UDP in back else back.payload) == \
                raw(pkt[UDP] if UDP in pkt else pkt.payload)
            why = "" if ok else "round trip differs"
        except Exception as e:    # noqa: BLE001
            why = "%s: %s" % (type(e).__name__, e)
        # The big probe's fragments reassemble to the packet (checks Reasm).
        if not why and case.probe == "big":
            r, got = Reasm(), None
            frags = case.wire_packets(enc)
            for f in frags:
                eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / f
                got = r.feed(Ether(raw(eth))) or got
            if len(frags) < 3 or got is None or raw(got[Ether].payload) != raw(enc):
                why = "fragments (%d) do not reassemble" % len(frags)
        # A flipped ICV octet must be refused.
        if not why and case.proto != "ipcomp":
            tam = bytearray(raw(enc))
            tam[-1] ^= 1
            try:
                case.sa_in.decrypt(enc.__class__(bytes(tam)))
                if case.enc is None or case.enc.label != "null" or case.auth:
                    why = "tampered ICV accepted"
            except Exception:     # noqa: BLE001
                pass
        print("%-50s %s" % (case.name, why or "ok"))
        bad += bool(why)
    print("selftest: %d failed" % bad)
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("matrix")
    for f in ("iface", "kmac", "umac", "usagi", "ctldir", "tmpdir"):
        m.add_argument(f)
    m.add_argument("--only")
    m.add_argument("--list", action="store_true")
    m.add_argument("--verbose", action="store_true")
    m.add_argument("--timeout", type=float, default=2.0)
    m.add_argument("--tamper", choices=("in", "out"),
                   help="negative control: scapy's copy of that SA gets a wrong key")
    s = sub.add_parser("selftest")
    s.add_argument("--only")
    a = ap.parse_args()
    return cmd_matrix(a) if a.cmd == "matrix" else cmd_selftest(a)


if __name__ == "__main__":
    sys.exit(main())
