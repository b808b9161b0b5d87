#!/usr/bin/python3
"""Return routability values computed from the RFC 6275 formulas with
Python's hmac and hashlib, and whole Binding Updates carrying Binding
Authorization Data assembled byte by byte from the figures of RFC 6275
6.1.7, 6.2.6, 6.2.5 and 6.2.7, with nothing taken from usagi's C code.
test_mip6_rr.c checks mip6_keygen_token, mip6_kbm, mip6_bu_auth and
mh_build + mh_csum_set against them.

  home keygen token    = First(64, HMAC_SHA1(Kcn, home address | nonce | 0))   (5.2.5)
  care-of keygen token = First(64, HMAC_SHA1(Kcn, care-of address | nonce | 1))
  Kbm = SHA1(home token | care-of token), or SHA1(home token) when the
        care-of address is the home address (deregistration, 5.2.5)
  Authenticator = First(96, HMAC_SHA1(Kbm, care-of address | correspondent |
                  MH Data)), MH Data up to the authenticator, checksum zero (6.2.7)

Run:  /usr/bin/python3 tests/unit/mip6_rr_vectors.py > tests/unit/mip6_rr_vectors.h
"""
import hashlib
import hmac
import ipaddress
import struct

MH_PROTO, NO_NEXT, MH_BU = 135, 59, 5
PAD1, PADN, ALTCOA, NONCE, BAD = 0, 1, 3, 4, 5


def seeded(label, n):
    """Deterministic test bytes: the vectors must not change between runs."""
    return hashlib.sha256(label.encode()).digest()[:n]


def addr(text):
    return ipaddress.IPv6Address(text).packed


def token(kcn, address, nonce, which):
    return hmac.new(kcn, address + nonce + bytes([which]), hashlib.sha1).digest()[:8]


def pad_to(msg, mult, rem):
    """Pad1 for one octet, PadN (6.2.2, 6.2.3) for more, up to offset mult*n+rem."""
    n = (rem - len(msg)) % mult
    if n == 0:
        return msg
    if n == 1:
        return msg + bytes([PAD1])
    return msg + bytes([PADN, n - 2]) + bytes(n - 2)


def checksum(src, dst, data):
    """RFC 1071 over the RFC 8200 8.1 pseudo-header, next header 135 (6.1.1)."""
    blob = src + dst + struct.pack('!I3xB', len(data), MH_PROTO) + data
    if len(blob) % 2:
        blob += b'\0'
    s = sum(struct.unpack('!%dH' % (len(blob) // 2), blob))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    c = ~s & 0xffff
    return c or 0xffff


def bu_with_auth(v, kbm, coa_for_auth):
    """A BU (6.1.7) with options in the order AltCoA, Nonce Indices, BAD."""
    m = bytes([NO_NEXT, 0, MH_BU, 0, 0, 0])
    m += struct.pack('!HBBH', v['seq'], v['flags'], 0, v['lifetime'])
    if v.get('altcoa'):
        m = pad_to(m, 8, 6) + bytes([ALTCOA, 16]) + v['altcoa']
    m = pad_to(m, 2, 0) + bytes([NONCE, 4]) + struct.pack('!HH', v['hidx'], v['cidx'])
    m = pad_to(m, 8, 2) + bytes([BAD, 12])
    auth_off = len(m)
    hdr_len = (auth_off + 12) // 8 - 1
    assert (auth_off + 12) % 8 == 0
    m = m[:1] + bytes([hdr_len]) + m[2:]
    auth = hmac.new(kbm, coa_for_auth + v['cn'] + m, hashlib.sha1).digest()[:12]
    m += auth
    c = checksum(v['home'], v['cn'], m)
    return m[:4] + struct.pack('!H', c) + m[6:], auth, auth_off


CASES = [
    dict(name='register', home='2001:db8:1::100', coa='2001:db8:2::200', cn='2001:db8:3::3',
         seq=1, flags=0x00, lifetime=0x0040, hidx=7, cidx=9),
    dict(name='deregister', home='2001:db8:1::100', coa='2001:db8:1::100', cn='2001:db8:3::3',
         seq=2, flags=0x00, lifetime=0, hidx=8, cidx=8, dereg=True),
    dict(name='altcoa', home='2001:db8:10::1', coa='2001:db8:20::abcd', cn='2001:db8:30::30',
         seq=0xfffe, flags=0x80, lifetime=0x01a4, hidx=0x1234, cidx=0xfedc,
         altcoa='2001:db8:20::abcd'),
    dict(name='ackreq', home='2001:db8:aaaa::5', coa='2001:db8:bbbb::6', cn='2001:db8:cccc::7',
         seq=0x8000, flags=0x80, lifetime=0xffff, hidx=0, cidx=0xffff),
]


def carr(b):
    return '{ ' + ', '.join('0x%02x' % x for x in b) + ' }'


def emit(c, i):
    v = dict(c)
    for k in ('home', 'coa', 'cn'):
        v[k] = addr(c[k])
    if c.get('altcoa'):
        v['altcoa'] = addr(c['altcoa'])
    kcn = seeded('kcn-%d' % i, 20)
    hn, cnn = seeded('home-nonce-%d' % i, 8), seeded('coa-nonce-%d' % i, 8)
    htok, ctok = token(kcn, v['home'], hn, 0), token(kcn, v['coa'], cnn, 1)
    kbm = hashlib.sha1(htok + ctok).digest()
    kbm_dereg = hashlib.sha1(htok).digest()
    use = kbm_dereg if c.get('dereg') else kbm
    msg, auth, auth_off = bu_with_auth(v, use, v['coa'])
    fields = [
        ('name', '"%s"' % c['name']), ('kcn', carr(kcn)),
        ('home', carr(v['home'])), ('coa', carr(v['coa'])), ('cn', carr(v['cn'])),
        ('home_nonce', carr(hn)), ('coa_nonce', carr(cnn)),
        ('home_tok', carr(htok)), ('coa_tok', carr(ctok)),
        ('kbm', carr(kbm)), ('kbm_dereg', carr(kbm_dereg)),
        ('dereg', 'true' if c.get('dereg') else 'false'),
        ('has_altcoa', 'true' if c.get('altcoa') else 'false'),
        ('altcoa', carr(v.get('altcoa', bytes(16)))),
        ('seq', str(c['seq'])), ('flags', str(c['flags'])), ('lifetime', str(c['lifetime'])),
        ('home_nonce_idx', str(c['hidx'])), ('coa_nonce_idx', str(c['cidx'])),
        ('auth', carr(auth)), ('auth_off', str(auth_off)),
        ('bu', carr(msg)), ('bu_len', str(len(msg))),
    ]
    print('\t{')
    for k, val in fields:
        print('\t\t.%s = %s,' % (k, val))
    print('\t},')


def main():
    print('/* Generated by tests/unit/mip6_rr_vectors.py: do not edit. */')
    print('#include <stdbool.h>')
    print('#include <stddef.h>')
    print('#include <stdint.h>')
    print('''
struct mip6_rr_vec {
	const char *name;
	uint8_t kcn[20];
	uint8_t home[16], coa[16], cn[16];
	uint8_t home_nonce[8], coa_nonce[8];
	uint8_t home_tok[8], coa_tok[8];
	uint8_t kbm[20], kbm_dereg[20];
	bool dereg;            /* the BU is signed with kbm_dereg, care-of = home */
	bool has_altcoa;
	uint8_t altcoa[16];
	uint16_t seq;
	uint8_t flags;
	uint16_t lifetime, home_nonce_idx, coa_nonce_idx;
	uint8_t auth[12];
	size_t auth_off;
	uint8_t bu[64];        /* the whole BU, checksum over home address -> cn */
	size_t bu_len;
};
''')
    print('static const struct mip6_rr_vec mip6_rr_vecs[] = {')
    for i, c in enumerate(CASES):
        emit(c, i)
    print('};')


if __name__ == '__main__':
    main()
