#!/usr/bin/python3
"""Hostile ESP for tests/netns/ipsec_hostile.sh (IPv6) and ipsec_hostile4.sh (IPv4).

The node holds the SAs of setkey() below (printed by `ipsec_hostile.py
setkey FAMILY`); each case sends one or two frames on the TAP and prints
one verdict line the shell script compares exactly: "reply" when usagi's
udp-echo answered (under the outbound SA, verified and decrypted by
scapy), "none" when nothing came back within the wait. Packets that scapy
cannot build (bad padding, misaligned ciphertext) are built here with the
cryptography library and the SA's keys, so their ICV is valid and only the
defect under test is wrong. FAMILY (6, the default, or 4) picks the outer
and inner IP version: transport SAs between the two hosts and a tunnel
of the same family (6in6 or 4in4); the cases are the same for both, the
ip4-* ones only for IPv4 (the IPv4 header around ESP: options,
fragments, header defects).

usage: ipsec_hostile.py setkey [FAMILY]
       ipsec_hostile.py CASE IFACE KMAC UMAC SEQ [FAMILY]
"""
import hmac as std_hmac
import os
import struct
import sys

from scapy.all import IP, IPv6, UDP, Raw, fragment, raw
from scapy.utils import checksum
from scapy.layers.ipsec import ESP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import ipsec_peer as P

ENC_KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
AUTH_KEY = bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
ENC_KEY2 = bytes.fromhex("ffeeddccbbaa99887766554433221100")
AUTH_KEY2 = bytes.fromhex("f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f")
SPI_IN, SPI_OUT, SPI_TIN, SPI_TOUT, SPI_UNKNOWN = 0x3000, 0x3001, 0x3100, 0x3101, 0x3999
ALGS = "-E aes-cbc 0x%s -A hmac-sha256 0x%s"
ENC = P.ENC_BY_LABEL["aes-cbc-128"]
AUTH = P.AUTH_BY_NAME["hmac-sha256"]


class Family:
    """Addresses of one IP version. The tunnel's gateway (PEER) serves
    TUN_NET; another gateway (OTHER_GW) serves OTHER_NET; NOPOL lies in
    neither; HOST is the host mask."""

    def __init__(self, ver, peer, us, other_gw, tun_net, tun_src, other_net, other_src,
                 nopol, host, ip, hlen):
        self.ver, self.peer, self.us, self.other_gw = ver, peer, us, other_gw
        self.tun_net, self.tun_src = tun_net, tun_src
        self.other_net, self.other_src, self.nopol = other_net, other_src, nopol
        self.host, self.ip, self.hlen = host, ip, hlen

    def hdr(self, src=None, nxt=None):
        """An outer header from the peer to usagi (@nxt: next header / protocol)."""
        kw = {} if nxt is None else ({"nh": nxt} if self.ver == 6 else {"proto": nxt})
        if self.ver == 6:
            return IPv6(src=src or self.peer, dst=self.us, hlim=64, **kw)
        return IP(src=src or self.peer, dst=self.us, ttl=64, **kw)


FAMILIES = {
    6: Family(6, P.PEER6, P.US6, "2001:db8:1::3", "2001:db8:99::/64", "2001:db8:99::1",
              "2001:db8:98::/64", "2001:db8:98::1", "2001:db8:77::1", 128, IPv6, 40),
    4: Family(4, P.PEER4, P.US4, "192.0.2.3", "198.51.100.0/25", "198.51.100.1",
              "198.51.100.128/26", "198.51.100.129", "198.51.100.200", 32, IP, 20),
}
F = FAMILIES[6]


def setkey(f):
    """The SAD and SPD of the node, one statement a line."""
    peer, us, h = f.peer, f.us, f.host
    return "\n".join([
        "flush;",
        "spdflush;",
        "add %s %s esp 0x%x -m transport -r 64 %s;" % (peer, us, SPI_IN, ALGS % (ENC_KEY.hex(), AUTH_KEY.hex())),
        "add %s %s esp 0x%x -m transport -r 64 %s;" % (us, peer, SPI_OUT, ALGS % (ENC_KEY2.hex(), AUTH_KEY2.hex())),
        "add %s %s esp 0x%x -m tunnel -r 64 %s;" % (peer, us, SPI_TIN, ALGS % (ENC_KEY.hex(), AUTH_KEY.hex())),
        "add %s %s esp 0x%x -m tunnel -r 64 %s;" % (us, peer, SPI_TOUT, ALGS % (ENC_KEY2.hex(), AUTH_KEY2.hex())),
        # Transport ESP for UDP between the two hosts (ND, ARP, ICMP stay in clear).
        "spdadd %s/%d %s/%d udp -P in ipsec esp/transport//require;" % (peer, h, us, h),
        "spdadd %s/%d %s/%d udp -P out ipsec esp/transport//require;" % (us, h, peer, h),
        # Tunnel ESP from the gateway PEER for TUN_NET ...
        "spdadd %s %s/%d any -P in ipsec esp/tunnel/%s-%s/require;" % (f.tun_net, us, h, peer, us),
        "spdadd %s/%d %s any -P out ipsec esp/tunnel/%s-%s/require;" % (us, h, f.tun_net, us, peer),
        # ... and from another gateway, OTHER_GW, for OTHER_NET.
        "spdadd %s %s/%d any -P in ipsec esp/tunnel/%s-%s/require;" % (f.other_net, us, h, f.other_gw, us),
    ]) + "\n"


def sas(tunnel=False):
    """(inbound SA as scapy sends it, outbound SA scapy decrypts answers with)."""
    t = F.ip(src=F.peer, dst=F.us) if tunnel else None
    spi_in, spi_out = (SPI_TIN, SPI_TOUT) if tunnel else (SPI_IN, SPI_OUT)
    return (P.PeerESP(spi_in, ENC, ENC_KEY, AUTH, AUTH_KEY, t),
            P.PeerESP(spi_out, ENC, ENC_KEY2, AUTH, AUTH_KEY2, t))


def udp(src=None, sport=41000, data=b"hostile-esp"):
    return F.hdr(src) / UDP(sport=sport, dport=7) / Raw(data)


def esp_raw(seq, plain, iv=None, spi=SPI_IN):
    """ESP under the inbound keys: CBC over @plain as given (no padding
    added), with a valid ICV."""
    iv = iv or os.urandom(16)
    enc = Cipher(algorithms.AES(ENC_KEY), modes.CBC(iv)).encryptor()
    if len(plain) % 16:
        # Misaligned on purpose: encrypt what aligns, append the rest as is.
        n = len(plain) // 16 * 16
        ct = enc.update(plain[:n]) + enc.finalize() + plain[n:]
    else:
        ct = enc.update(plain) + enc.finalize()
    body = struct.pack("!LL", spi, seq) + iv + ct
    icv = std_hmac.new(AUTH_KEY, body, "sha256").digest()[:AUTH.icv]
    return F.hdr(nxt=50) / Raw(body + icv)


def padded(data, nxt, pad=None, padlen=None):
    """ESP plaintext: @data, self-describing padding 1, 2, ... (RFC 4303 2.4)
    or @pad, a pad length (or @padlen), next header."""
    n = -(len(data) + 2) % 16
    return data + (pad or bytes(range(1, n + 1))) + bytes([n if padlen is None else padlen, nxt])


def udp_bytes():
    return raw(udp())[F.hlen:]


class Run:
    def __init__(self, iface, kmac, umac, seq):
        self.wire = P.Wire(iface, kmac, umac)
        self.seq = seq

    def answer(self, tunnel, wait):
        """'reply' if usagi's echo came back under the outbound SA, else 'none'."""
        _, out = sas(tunnel)

        def match(f):
            return ESP in f and f[ESP].spi == out.spi
        f = self.wire.wait_for(match, wait)
        if f is None:
            return "none"
        try:
            inner = out.decrypt(f[F.ip])
            inner = inner.__class__(raw(inner))
        except Exception as e:    # noqa: BLE001
            return "undecryptable answer: %s" % e
        return "reply" if UDP in inner and inner[UDP].sport == 7 else "other answer"

    def send(self, pkts, tunnel=False, wait=1.0):
        self.wire.drain()
        self.wire.send(pkts)
        return self.answer(tunnel, wait)


def case_good(r):
    sa, _ = sas()
    return r.send(sa.encrypt(udp(), seq=r.seq), wait=2.0)


def case_good_tunnel(r):
    sa, _ = sas(True)
    return r.send(sa.encrypt(udp(src=F.tun_src), seq=r.seq), tunnel=True, wait=2.0)


def case_replay(r):
    """The same packet twice: the first answered, the copy dropped (RFC 4303 3.4.3)."""
    sa, _ = sas()
    pkt = sa.encrypt(udp(), seq=r.seq)
    first = r.send(pkt, wait=2.0)
    second = r.send(pkt)
    return "%s %s" % (first, second)


def case_replay_old(r):
    """SEQ + 200 then SEQ: the second is left of a 64-packet window."""
    sa, _ = sas()
    first = r.send(sa.encrypt(udp(), seq=r.seq + 200), wait=2.0)
    second = r.send(sa.encrypt(udp(), seq=r.seq))
    return "%s %s" % (first, second)


def case_seq_zero(r):
    """Sequence number 0 never occurs (RFC 4303 3.3.3: the first is 1)."""
    return r.send(_with_seq(sas()[0], 0))


def _with_seq(sa, seq):
    # scapy treats seq_num=0 as "use the SA's counter": patch the header and re-sign.
    pkt = sa.encrypt(udp(), seq=1)
    b = bytearray(raw(pkt))
    struct.pack_into("!L", b, F.hlen + 4, seq)
    body = bytes(b[F.hlen:-AUTH.icv])
    b[-AUTH.icv:] = std_hmac.new(AUTH_KEY, body, "sha256").digest()[:AUTH.icv]
    return F.ip(bytes(b))


def case_header_only(r):
    return r.send(F.hdr(nxt=50) / Raw(struct.pack("!LL", SPI_IN, r.seq)))


def case_short_header(r):
    return r.send(F.hdr(nxt=50) / Raw(struct.pack("!L", SPI_IN)))


def case_misaligned(r):
    """Ciphertext of 33 octets + ICV: not a multiple of AES's block."""
    return r.send(esp_raw(r.seq, (udp_bytes() * 2)[:33]))


def case_bad_padding(r):
    """Padding 9, 9, ... instead of 1, 2, ... (RFC 4303 2.4), with a valid ICV."""
    data = udp_bytes()
    padlen = -(len(data) + 2) % 16 or 16
    return r.send(esp_raw(r.seq, padded(data, 17, bytes([9] * padlen), padlen)))


def case_bad_padlen(r):
    """Pad length 250, past the payload, with a valid ICV."""
    return r.send(esp_raw(r.seq, padded(udp_bytes(), 17, padlen=250)))


def case_good_raw(r):
    """Control for the hand-built packets: correct padding is accepted."""
    return r.send(esp_raw(r.seq, padded(udp_bytes(), 17)), wait=2.0)


def case_bad_icv(r):
    sa, _ = sas()
    b = bytearray(raw(sa.encrypt(udp(), seq=r.seq)))
    b[-1] ^= 0x01
    return r.send(F.ip(bytes(b)))


def case_unknown_spi(r):
    sa = P.PeerESP(SPI_UNKNOWN, ENC, ENC_KEY, AUTH, AUTH_KEY, None)
    return r.send(sa.encrypt(udp(), seq=r.seq))


def case_dummy(r):
    """RFC 4303 2.6: next header 59 is a dummy packet, dropped silently."""
    return r.send(esp_raw(r.seq, padded(b"\x00" * 30, 59)))


def case_clear(r):
    """UDP in clear where the policy requires ESP."""
    return r.send(udp())


def case_tunnel_nopolicy(r):
    """Tunnel SA carrying NOPOL, which no policy covers."""
    sa, _ = sas(True)
    return r.send(sa.encrypt(udp(src=F.nopol), seq=r.seq), tunnel=True)


def case_tunnel_wrong_gw(r):
    """Tunnel SA from PEER carrying OTHER_SRC, whose policy names gateway OTHER_GW."""
    sa, _ = sas(True)
    return r.send(sa.encrypt(udp(src=F.other_src), seq=r.seq), tunnel=True)


def case_tunnel_bad_inner(r):
    """Tunnel SA whose next header names the own family's IP but whose
    payload is a packet of the other version (RFC 4303 2.6: the next header
    says what the payload is)."""
    other = FAMILIES[10 - F.ver]
    inner = raw(other.hdr() / UDP(sport=41000, dport=7) / Raw(b"hostile-esp"))
    nxt = 41 if F.ver == 6 else 4
    return r.send(esp_raw(r.seq, padded(inner, nxt), spi=SPI_TIN), tunnel=True)


def case_transport_in_tunnel_policy(r):
    """Transport SA carrying PEER -> US but with a source of the tunnel's
    prefix: no SA of the right kind for that flow."""
    sa, _ = sas()
    return r.send(sa.encrypt(udp(src=F.tun_src), seq=r.seq), tunnel=True)


# ---- IPv4 only: the IPv4 header around ESP ----
def _ip4_bytes(pkt, edit):
    """@pkt's octets after @edit(bytearray); the header checksum recomputed
    unless @edit returns False."""
    b = bytearray(raw(pkt))
    if edit(b) is not False:
        hl = (b[0] & 0x0f) * 4
        b[10:12] = b"\0\0"
        b[10:12] = struct.pack("!H", checksum(bytes(b[:hl])))
    return IP(bytes(b))


def _good4(r):
    return sas()[0].encrypt(udp(), seq=r.seq)


def case_ip4_options(r):
    """Control: transport ESP behind 4 octets of IPv4 options (NOPs, RFC 791
    3.1); the header usagi cuts out on decapsulation is 24 octets."""
    def edit(b):
        b[0] = 0x46
        b[20:20] = b"\x01\x01\x01\x01"
        b[2:4] = struct.pack("!H", len(b))
    return r.send(_ip4_bytes(_good4(r), edit), wait=2.0)


def case_ip4_frags(r):
    """Control: ESP in three IPv4 fragments, reassembled before ESP (RFC 4303 3.4.1)."""
    return r.send(fragment(_good4(r), fragsize=32), wait=2.0)


def case_ip4_frag_overlap(r):
    """ESP in two IPv4 fragments, the second starting inside the first:
    the datagram is discarded before ESP sees it (RFC 5722's rule)."""
    b = raw(_good4(r))[20:]
    h = dict(src=F.peer, dst=F.us, id=0x5e5e, proto=50, ttl=64)
    return r.send([IP(flags="MF", **h) / Raw(b[:48]), IP(frag=5, **h) / Raw(b[40:])])


def case_ip4_ihl_past_len(r):
    """IHL 15 (60 octets) over a total length of 40: the header runs past the datagram."""
    def edit(b):
        b[0] = 0x4f
        b[2:4] = struct.pack("!H", 40)
    return r.send(_ip4_bytes(_good4(r), edit))


def case_ip4_len_past_frame(r):
    """Total length 100 octets past the end of the frame."""
    def edit(b):
        b[2:4] = struct.pack("!H", len(b) + 100)
    return r.send(_ip4_bytes(_good4(r), edit))


def case_ip4_bad_csum(r):
    """Header checksum off by one bit."""
    def edit(b):
        b[10] ^= 0x01
        return False
    return r.send(_ip4_bytes(_good4(r), edit))


def case_ip4_len_cuts_esp(r):
    """Total length 44 (header, SPI, sequence, IV) though the frame carries
    the whole packet: the rest is link padding, so ESP is too short."""
    def edit(b):
        b[2:4] = struct.pack("!H", 44)
    return r.send(_ip4_bytes(_good4(r), edit))


def _tunnel4_inner(r, edit):
    """4in4 under the tunnel SA (valid ICV) whose inner IPv4 header @edit
    damaged: decapsulation succeeds, IPv4 input of the inner packet drops it."""
    inner = raw(_ip4_bytes(udp(src=F.tun_src), edit))
    return r.send(esp_raw(r.seq, padded(inner, 4), spi=SPI_TIN), tunnel=True)


def case_ip4_tunnel_inner_csum(r):
    """The inner header's checksum off by one bit."""
    def edit(b):
        b[10] ^= 0x01
        return False
    return _tunnel4_inner(r, edit)


def case_ip4_tunnel_inner_len(r):
    """The inner total length 100 octets past the decrypted payload."""
    def edit(b):
        b[2:4] = struct.pack("!H", len(b) + 100)
    return _tunnel4_inner(r, edit)


CASES = {n[5:].replace("_", "-"): f for n, f in globals().items() if n.startswith("case_")}


def main():
    global F
    if sys.argv[1:2] == ["setkey"]:
        sys.stdout.write(setkey(FAMILIES[int((sys.argv[2:] or ["6"])[0])]))
        return 0
    case, iface, kmac, umac, seq = sys.argv[1:6]
    F = FAMILIES[int((sys.argv[6:] or ["6"])[0])]
    if case.startswith("ip4-") and F.ver != 4:
        sys.exit("%s: IPv4 only" % case)
    r = Run(iface, kmac, umac, int(seq))
    try:
        print(CASES[case](r))
    finally:
        r.wire.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
