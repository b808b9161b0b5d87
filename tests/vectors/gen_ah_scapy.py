#!/usr/bin/python3
"""
AH (RFC 4302) interoperability vectors made by scapy 2.5, for
tests/unit/test_ah.c: ah_input must accept each packet and ah_output must
rebuild it byte for byte.

    /usr/bin/python3 tests/vectors/gen_ah_scapy.py > tests/vectors/ah_scapy.inc

Each line is a C initialiser:
    { name, usagi auth alg, key (hex), SPI, 64-bit sequence number, ESN,
      AH offset, AH next header, packet (hex) },

Every packet carries non-zero mutable fields (traffic class, flow label,
hop limit; TOS, DF, TTL, and a Record Route option for IPv4) so the
zeroing is exercised. scapy computes the ICV with the routing header in
its final form (zero_mutable_fields(sending=True)), but it never swaps a
Home Address option with the source (INTEROP.md): for the HAO vector the
script has scapy sign the receiver's view (source = home address, option
= care-of address, RFC 6275 6.3) and then writes the wire form (source =
care-of, option = home) around the ICV scapy computed.
"""
import struct
import sys

from scapy.all import raw
from scapy.layers.inet import IP, UDP, ICMP, IPOption_Router_Alert, IPOption_NOP, IPOption_RR
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt,
                                IPv6ExtHdrRouting, ICMPv6EchoRequest, RouterAlert,
                                HBHOptUnknown, HAO, PadN)
from scapy.layers.ipsec import SecurityAssociation, AH, AUTH_ALGOS

ALGS = {
    'HMAC-SHA1-96': ('hmac-sha1', bytes(range(0x01, 0x15))),
    'SHA2-256-128': ('hmac-sha256', bytes(range(0x20, 0x40))),
    'HMAC-MD5-96': ('hmac-md5', bytes(range(0x40, 0x50))),
    'SHA2-384-192': ('hmac-sha384', bytes(range(0x50, 0x80))),
    'SHA2-512-256': ('hmac-sha512', bytes(range(0x80, 0xc0))),
}

MN_HOME = '2001:db8:1::100'
MN_COA = '2001:db8:2::100'
CN = '2001:db8:3::1'


def ip6(src='2001:db8:1::1', dst='2001:db8:1::2'):
    return IPv6(src=src, dst=dst, tc=0xb8, fl=0x12345, hlim=33)


def ip4(src='192.0.2.1', dst='192.0.2.2', **kw):
    return IP(src=src, dst=dst, tos=0x28, ttl=17, flags='DF', id=0x4242, **kw)


def udp(n=24):
    return UDP(sport=4500 + n, dport=7007) / bytes((i * 7) & 0xff for i in range(n))


def ah_offset(pkt):
    return len(raw(pkt)) - len(raw(pkt[AH]))


def line(name, alg, spi, seq, esn, pkt):
    alg_name, key = ALGS[alg]
    data = raw(pkt)
    off = ah_offset(pkt)
    print('{ "%s", "%s", "%s", 0x%08x, 0x%016xULL, %s, %d, %d,\n  "%s" },'
          % (name, alg_name, key.hex(), spi, seq, 'true' if esn else 'false',
             off, data[off], data.hex()))


def sa_encrypt(alg, inner, spi, seq, esn_hi=None, tunnel=None):
    kw = {}
    if esn_hi is not None:
        kw = dict(esn_en=True, esn=esn_hi)
    sa = SecurityAssociation(AH, spi=spi, auth_algo=alg, auth_key=ALGS[alg][1],
                             tunnel_header=tunnel, **kw)
    pkt = sa.encrypt(inner, seq_num=seq)
    full = seq | ((esn_hi or 0) << 32)
    return pkt.__class__(raw(pkt)), full


def simple():
    cases = [
        ('v6-transport-sha1', 'HMAC-SHA1-96', ip6() / udp(), None, None),
        ('v6-transport-sha256', 'SHA2-256-128', ip6() / udp(31), None, None),
        ('v6-transport-md5', 'HMAC-MD5-96', ip6() / udp(5), None, None),
        ('v6-transport-sha384', 'SHA2-384-192', ip6() / udp(40), None, None),
        ('v6-transport-sha512', 'SHA2-512-256', ip6() / udp(64), None, None),
        ('v6-transport-sha1-esn', 'HMAC-SHA1-96', ip6() / udp(), 0x1, None),
        ('v6-transport-sha256-esn', 'SHA2-256-128', ip6() / udp(17), 0xfffffffe, None),
        ('v6-tunnel-sha1', 'HMAC-SHA1-96',
         ip6('2001:db8:10::1', '2001:db8:20::1') / ICMPv6EchoRequest(id=7, seq=1, data=b'usagi'),
         None, ip6('2001:db8:1::1', '2001:db8:1::2')),
        ('v6-tunnel-sha256-esn', 'SHA2-256-128',
         ip6('2001:db8:10::1', '2001:db8:20::1') / udp(50), 0x2, ip6('2001:db8:1::1', '2001:db8:1::2')),
        ('v6-tunnel-md5-v4inner', 'HMAC-MD5-96', ip4() / ICMP(id=3, seq=9) / b'abcdefgh', None,
         ip6('2001:db8:1::1', '2001:db8:1::2')),
        ('v4-transport-sha1', 'HMAC-SHA1-96', ip4() / udp(), None, None),
        ('v4-transport-sha256', 'SHA2-256-128', ip4() / udp(13), None, None),
        ('v4-transport-md5', 'HMAC-MD5-96', ip4() / udp(3), None, None),
        ('v4-transport-sha512', 'SHA2-512-256', ip4() / udp(9), None, None),
        ('v4-transport-sha1-esn', 'HMAC-SHA1-96', ip4() / udp(20), 0x7, None),
        ('v4-options-sha1', 'HMAC-SHA1-96',
         ip4(options=[IPOption_Router_Alert(), IPOption_NOP(),
                      IPOption_RR(routers=['198.51.100.1', '198.51.100.2'])]) / udp(12),
         None, None),
        ('v4-tunnel-sha1', 'HMAC-SHA1-96', ip4('198.51.100.7', '203.0.113.9') / udp(8), None,
         ip4('192.0.2.1', '192.0.2.2')),
        ('v4-tunnel-sha256-esn', 'SHA2-256-128', ip4('198.51.100.7', '203.0.113.9') / udp(30),
         0x10, ip4('192.0.2.1', '192.0.2.2')),
        ('v4-tunnel-sha1-v6inner', 'HMAC-SHA1-96', ip6() / udp(10), None,
         ip4('192.0.2.1', '192.0.2.2')),
    ]
    for i, (name, alg, inner, esn_hi, tunnel) in enumerate(cases):
        spi = 0x1000 + i
        pkt, seq = sa_encrypt(alg, inner, spi, 1 + 3 * i, esn_hi, tunnel)
        line(name, alg, spi, seq, esn_hi is not None, pkt)


def extension_headers():
    # HbH (Router Alert, an option with the change-en-route bit) + RH type 2
    # (Segments Left 1: scapy signs the final form) before AH.
    hbh = IPv6ExtHdrHopByHop(options=[RouterAlert(value=0),
                                      HBHOptUnknown(otype=0x3e, optdata=b'\x11\x22\x33\x44')])
    rh2 = IPv6ExtHdrRouting(type=2, addresses=[MN_HOME], segleft=1)
    pkt, seq = sa_encrypt('SHA2-256-128', ip6(CN, MN_COA) / hbh / rh2 / udp(21), 0x2000, 5)
    line('v6-hbh-rh2-sha256', 'SHA2-256-128', 0x2000, seq, False, pkt)

    # RH type 0 with two addresses still to visit (final form: RFC 4302 A.2).
    rh0 = IPv6ExtHdrRouting(type=0, addresses=['2001:db8:5::1', '2001:db8:6::1'], segleft=2)
    pkt, seq = sa_encrypt('HMAC-SHA1-96', ip6('2001:db8:1::1', '2001:db8:4::1') / rh0 / udp(11),
                          0x2001, 6)
    line('v6-rh0-sha1', 'HMAC-SHA1-96', 0x2001, seq, False, pkt)


def hao():
    """HbH + RH2 + DestOpts(HAO) + AH, both ends mobile (RFC 6275 6.3, 6.4)."""
    alg, spi, seq = 'HMAC-SHA1-96', 0x2002, 9
    auth = AUTH_ALGOS[alg]
    icv = auth.icv_size
    ah = AH(nh=17, payloadlen=(12 + icv + 7) // 8 * 2 - 2, reserved=0, spi=spi, seq=seq,
            icv=b'\x00' * icv, padding=b'\x00' * ((-(12 + icv)) % 8))
    hbh = IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])
    rh2 = IPv6ExtHdrRouting(type=2, addresses=[MN_HOME], segleft=1)
    peer_home, peer_coa = '2001:db8:7::200', '2001:db8:8::200'
    # The receiver's view: source = home address, HAO = care-of address.
    view = ip6(peer_home, MN_COA) / hbh / rh2 / \
        IPv6ExtHdrDestOpt(options=[HAO(hoa=peer_coa)]) / ah / udp(16)
    view = IPv6(raw(view))
    signed = auth.sign(view, ALGS[alg][1])
    # The wire: source = care-of address, HAO = home address.
    wire = signed.copy()
    wire.src = peer_coa
    wire[HAO].hoa = peer_home
    wire = IPv6(raw(wire))
    line('v6-hbh-rh2-hao-sha1', alg, spi, seq, False, wire)


if __name__ == '__main__':
    print('/* Generated by tests/vectors/gen_ah_scapy.py (scapy %s); do not edit. */'
          % __import__('scapy').VERSION)
    simple()
    extension_headers()
    hao()
    sys.stdout.flush()
