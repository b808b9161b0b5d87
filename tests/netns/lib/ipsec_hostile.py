#!/usr/bin/python3
"""Hostile ESP for tests/netns/ipsec_hostile.sh.

The node holds the SAs of SETKEY below (printed by `ipsec_hostile.py
setkey`); each case sends one or two frames on the TAP and prints one
verdict line the shell script compares exactly: "reply" when usagi's
udp-echo answered (under the outbound SA, verified and decrypted by
scapy), "none" when nothing came back within the wait. Packets that scapy
cannot build (bad padding, misaligned ciphertext) are built here with the
cryptography library and the SA's keys, so their ICV is valid and only the
defect under test is wrong.

usage: ipsec_hostile.py setkey
       ipsec_hostile.py CASE IFACE KMAC UMAC SEQ
"""
import hmac as std_hmac
import os
import struct
import sys

from scapy.all import IPv6, UDP, Raw, raw
from scapy.layers.ipsec import ESP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import ipsec_peer as P

PEER, US, OTHER_GW = P.PEER6, P.US6, "2001:db8:1::3"
ENC_KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
AUTH_KEY = bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
ENC_KEY2 = bytes.fromhex("ffeeddccbbaa99887766554433221100")
AUTH_KEY2 = bytes.fromhex("f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f")
SPI_IN, SPI_OUT, SPI_TIN, SPI_TOUT, SPI_UNKNOWN = 0x3000, 0x3001, 0x3100, 0x3101, 0x3999
ALGS = "-E aes-cbc 0x%s -A hmac-sha256 0x%s"

SETKEY = "\n".join([
    "flush;",
    "spdflush;",
    "add %s %s esp 0x%x -m transport -r 64 %s;" % (PEER, US, SPI_IN, ALGS % (ENC_KEY.hex(), AUTH_KEY.hex())),
    "add %s %s esp 0x%x -m transport -r 64 %s;" % (US, PEER, SPI_OUT, ALGS % (ENC_KEY2.hex(), AUTH_KEY2.hex())),
    "add %s %s esp 0x%x -m tunnel -r 64 %s;" % (PEER, US, SPI_TIN, ALGS % (ENC_KEY.hex(), AUTH_KEY.hex())),
    "add %s %s esp 0x%x -m tunnel -r 64 %s;" % (US, PEER, SPI_TOUT, ALGS % (ENC_KEY2.hex(), AUTH_KEY2.hex())),
    # Transport ESP for UDP between the two hosts (ND stays in clear).
    "spdadd %s/128 %s/128 udp -P in ipsec esp/transport//require;" % (PEER, US),
    "spdadd %s/128 %s/128 udp -P out ipsec esp/transport//require;" % (US, PEER),
    # Tunnel ESP from the gateway 2001:db8:1::1 for 2001:db8:99::/64 ...
    "spdadd 2001:db8:99::/64 %s/128 any -P in ipsec esp/tunnel/%s-%s/require;" % (US, PEER, US),
    "spdadd %s/128 2001:db8:99::/64 any -P out ipsec esp/tunnel/%s-%s/require;" % (US, US, PEER),
    # ... and from another gateway, 2001:db8:1::3, for 2001:db8:98::/64.
    "spdadd 2001:db8:98::/64 %s/128 any -P in ipsec esp/tunnel/%s-%s/require;" % (US, OTHER_GW, US),
]) + "\n"

ENC = P.ENC_BY_LABEL["aes-cbc-128"]
AUTH = P.AUTH_BY_NAME["hmac-sha256"]
TUN = IPv6(src=PEER, dst=US)


def sas(tunnel=False):
    """(inbound SA as scapy sends it, outbound SA scapy decrypts answers with)."""
    t = TUN if tunnel else None
    spi_in, spi_out = (SPI_TIN, SPI_TOUT) if tunnel else (SPI_IN, SPI_OUT)
    return (P.PeerESP(spi_in, ENC, ENC_KEY, AUTH, AUTH_KEY, t),
            P.PeerESP(spi_out, ENC, ENC_KEY2, AUTH, AUTH_KEY2, t))


def udp(src=PEER, sport=41000, data=b"hostile-esp"):
    return IPv6(src=src, dst=US, hlim=64) / UDP(sport=sport, dport=7) / Raw(data)


def esp_raw(seq, plain, iv=None, spi=SPI_IN):
    """ESP over IPv6 under the inbound keys: CBC over @plain as given (no
    padding added), with a valid ICV."""
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
    return IPv6(src=PEER, dst=US, nh=50, hlim=64) / Raw(body + icv)


def udp_bytes():
    return raw(udp())[40:]


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
            inner = out.decrypt(f[IPv6])
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
    return r.send(sa.encrypt(udp(src="2001:db8:99::1"), seq=r.seq), tunnel=True, wait=2.0)


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
    struct.pack_into("!L", b, 44, seq)
    body = bytes(b[40:-AUTH.icv])
    b[-AUTH.icv:] = std_hmac.new(AUTH_KEY, body, "sha256").digest()[:AUTH.icv]
    return IPv6(bytes(b))


def case_header_only(r):
    return r.send(IPv6(src=PEER, dst=US, nh=50) / Raw(struct.pack("!LL", SPI_IN, r.seq)))


def case_short_header(r):
    return r.send(IPv6(src=PEER, dst=US, nh=50) / Raw(struct.pack("!L", SPI_IN)))


def case_misaligned(r):
    """Ciphertext of 33 octets + ICV: not a multiple of AES's block."""
    return r.send(esp_raw(r.seq, (udp_bytes() * 2)[:33]))


def case_bad_padding(r):
    """Padding 9, 9, ... instead of 1, 2, ... (RFC 4303 2.4), with a valid ICV."""
    data = udp_bytes()
    padlen = -(len(data) + 2) % 16 or 16
    plain = data + bytes([9] * padlen) + bytes([padlen, 17])
    return r.send(esp_raw(r.seq, plain))


def case_bad_padlen(r):
    """Pad length 250, past the payload, with a valid ICV."""
    data = udp_bytes()
    padlen = -(len(data) + 2) % 16
    plain = data + bytes(range(1, padlen + 1)) + bytes([250, 17])
    return r.send(esp_raw(r.seq, plain))


def case_good_raw(r):
    """Control for the hand-built packets: correct padding is accepted."""
    data = udp_bytes()
    padlen = -(len(data) + 2) % 16
    plain = data + bytes(range(1, padlen + 1)) + bytes([padlen, 17])
    return r.send(esp_raw(r.seq, plain), wait=2.0)


def case_bad_icv(r):
    sa, _ = sas()
    b = bytearray(raw(sa.encrypt(udp(), seq=r.seq)))
    b[-1] ^= 0x01
    return r.send(IPv6(bytes(b)))


def case_unknown_spi(r):
    sa = P.PeerESP(SPI_UNKNOWN, ENC, ENC_KEY, AUTH, AUTH_KEY, None)
    return r.send(sa.encrypt(udp(), seq=r.seq))


def case_dummy(r):
    """RFC 4303 2.6: next header 59 is a dummy packet, dropped silently."""
    data = b"\x00" * 30
    padlen = -(len(data) + 2) % 16
    plain = data + bytes(range(1, padlen + 1)) + bytes([padlen, 59])
    return r.send(esp_raw(r.seq, plain))


def case_clear(r):
    """UDP in clear where the policy requires ESP."""
    return r.send(udp())


def case_tunnel_nopolicy(r):
    """Tunnel SA carrying 2001:db8:77::1, which no policy covers."""
    sa, _ = sas(True)
    return r.send(sa.encrypt(udp(src="2001:db8:77::1"), seq=r.seq), tunnel=True)


def case_tunnel_wrong_gw(r):
    """Tunnel SA from 2001:db8:1::1 carrying 2001:db8:98::1, whose policy names gateway ::3."""
    sa, _ = sas(True)
    return r.send(sa.encrypt(udp(src="2001:db8:98::1"), seq=r.seq), tunnel=True)


def case_transport_in_tunnel_policy(r):
    """Transport SA carrying 2001:db8:1::1 -> 2001:db8:1::2 but with an inner
    source of the tunnel's prefix: no SA of the right kind for that flow."""
    sa, _ = sas()
    pkt = udp(src="2001:db8:99::1")
    return r.send(sa.encrypt(pkt, seq=r.seq), tunnel=True)


CASES = {n[5:].replace("_", "-"): f for n, f in globals().items() if n.startswith("case_")}


def main():
    if sys.argv[1:] == ["setkey"]:
        sys.stdout.write(SETKEY)
        return 0
    case, iface, kmac, umac, seq = sys.argv[1:6]
    r = Run(iface, kmac, umac, int(seq))
    try:
        print(CASES[case](r))
    finally:
        r.wire.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
