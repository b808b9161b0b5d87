#!/usr/bin/python3
"""PF_KEYv2 messages assembled byte by byte from RFC 2367 and the Linux
kernel's PF_KEY layout (struct sizes and field order of RFC 2367 section 2,
Linux sockaddrs, ipsecrequest endpoint pairs as af_key writes them), with
nothing taken from usagi's C headers. test_pfkey_wire.c compares what
usagi's builder makes against these bytes and parses them.

Run:  /usr/bin/python3 tests/unit/pfkey_vectors.py > tests/unit/pfkey_vectors.h
      /usr/bin/python3 tests/unit/pfkey_vectors.py --corpus fuzz/corpus/fuzz_pfkey
"""
import socket
import struct
import sys

# Numbers from RFC 2367 and Linux (<linux/pfkeyv2.h>, <linux/ipsec.h>).
GETSPI, ADD, DUMP, ACQUIRE, REGISTER, SPDADD, SPDDELETE2 = 1, 3, 10, 6, 7, 14, 22
SATYPE_UNSPEC, SATYPE_ESP = 0, 3
EXT_SA, LT_CUR, LT_HARD, LT_SOFT, ADDR_SRC, ADDR_DST = 1, 2, 3, 4, 5, 6
KEY_AUTH, KEY_ENC, PROPOSAL, SUP_AUTH, SUP_ENC, SPIRANGE = 8, 9, 13, 14, 15, 16
X_POLICY, X_SA2, NAT_T_TYPE, NAT_T_SPORT, NAT_T_DPORT, NAT_T_OA = 18, 19, 20, 21, 22, 23
X_SA_REPLAY = 32          # usagi's number (FreeBSD's 26 is Linux's X_FILTER)
MODE_TRANSPORT, MODE_TUNNEL = 1, 2
DIR_IN, DIR_OUT = 1, 2
POLICY_IPSEC = 2
LEVEL_USE, LEVEL_REQUIRE, LEVEL_UNIQUE = 1, 2, 3
ESN_FLAG = 0x400
AF_INET, AF_INET6 = 2, 10


def pad8(b):
    return b + b'\0' * (-len(b) % 8)


def msg(mtype, satype, seq, pid, exts, errno=0):
    body = b''.join(exts)
    return struct.pack('=BBBBHHII', 2, mtype, errno, satype, (16 + len(body)) // 8, 0,
                       seq, pid) + body


def ext(etype, payload):
    whole = pad8(b'\0' * 4 + payload)
    return struct.pack('=HH', len(whole) // 8, etype) + whole[4:]


def sin(a, port=0):
    return struct.pack('=H', AF_INET) + struct.pack('!H', port) + socket.inet_aton(a) + b'\0' * 8


def sin6(a, port=0):
    return (struct.pack('=H', AF_INET6) + struct.pack('!H', port) + b'\0' * 4 +
            socket.inet_pton(socket.AF_INET6, a) + b'\0' * 4)


def sockaddr(a, port=0):
    return sin6(a, port) if ':' in a else sin(a, port)


def sa(spi, replay, state, auth, enc, flags):
    # sadb_sa: len, exttype, spi (network order), replay, state, auth, encrypt, flags
    return ext(EXT_SA, struct.pack('!I', spi) + struct.pack('=BBBBI', replay, state, auth, enc, flags))


def sa2(mode, reqid, seq=0):
    return ext(X_SA2, struct.pack('=BBHII', mode, 0, 0, seq, reqid))


def address(etype, a, plen, proto, port=0):
    return ext(etype, struct.pack('=BBH', proto, plen, 0) + sockaddr(a, port))


def key(etype, keybytes):
    return ext(etype, struct.pack('=HH', len(keybytes) * 8, 0) + keybytes)


def lifetime(etype, alloc, nbytes, add, use):
    return ext(etype, struct.pack('=IQQQ', alloc, nbytes, add, use))


def spirange(lo, hi):
    return ext(SPIRANGE, struct.pack('=III', lo, hi, 0))


def request(proto, mode, level, reqid, src=None, dst=None):
    # Linux af_key: the endpoint pair back to back, padded once; the length in BYTES.
    pair = pad8(sockaddr(src) + sockaddr(dst)) if src else b''
    return struct.pack('=HHBBHII', 16 + len(pair), proto, mode, level, 0, reqid, 0) + pair


def policy(ptype, pdir, pid, prio, reqs=()):
    return ext(X_POLICY, struct.pack('=HBBII', ptype, pdir, 0, pid, prio) + b''.join(reqs))


def natt(sport, dport):
    return (ext(NAT_T_TYPE, struct.pack('=B3x', 2)) +
            ext(NAT_T_SPORT, struct.pack('!H', sport) + b'\0\0') +
            ext(NAT_T_DPORT, struct.pack('!H', dport) + b'\0\0'))


def comb(auth, enc, amin, amax, emin, emax, soft_add=0, hard_add=0):
    return struct.pack('=BBHHHHHIIIQQQQQQ', auth, enc, 0, amin, amax, emin, emax, 0, 0, 0,
                       0, 0, soft_add, hard_add, 0, 0)


def algs(etype, entries):
    return ext(etype, struct.pack('=I', 0) + b''.join(struct.pack('=BBHHH', i, iv, lo, hi, 0)
                                                      for i, iv, lo, hi in entries))


AKEY = bytes(range(1, 21))                  # 160-bit HMAC-SHA1 key
EKEY = bytes(range(0xa0, 0xb0))             # 128-bit AES key
AKEY256 = bytes(range(0x40, 0x60))          # 256-bit HMAC-SHA256 key

VECTORS = {
    # setkey: add 2001:db8::1 2001:db8::2 esp 0x1000 -m transport -r 32
    #         -E aes-cbc EKEY -A hmac-sha1 AKEY -lh 3600 -ls 3000 ;
    'vec_add_esp6': msg(ADD, SATYPE_ESP, 1, 4242, [
        sa(0x1000, 32, 1, 3, 12, 0), sa2(MODE_TRANSPORT, 0),
        address(ADDR_SRC, '2001:db8::1', 128, 0), address(ADDR_DST, '2001:db8::2', 128, 0),
        key(KEY_AUTH, AKEY), key(KEY_ENC, EKEY),
        lifetime(LT_HARD, 0, 0, 3600, 0), lifetime(LT_SOFT, 0, 0, 3000, 0)]),
    # spdadd 192.0.2.0/24 198.51.100.0/24 any -P out ipsec
    #        esp/tunnel/192.0.2.1-198.51.100.1/require ;
    'vec_spdadd_tunnel4': msg(SPDADD, SATYPE_UNSPEC, 2, 4242, [
        address(ADDR_SRC, '192.0.2.0', 24, 255), address(ADDR_DST, '198.51.100.0', 24, 255),
        policy(POLICY_IPSEC, DIR_OUT, 0, 0x80000000, [
            request(50, MODE_TUNNEL, LEVEL_REQUIRE, 0, '192.0.2.1', '198.51.100.1')])]),
    # spdadd 2001:db8:1::/64 2001:db8:2::/64[80] tcp -P in prio 1000 ipsec
    #        ah/transport//use esp/tunnel/2001:db8::a-2001:db8::b/unique:16385 ;
    'vec_spdadd_v6': msg(SPDADD, SATYPE_UNSPEC, 3, 4242, [
        address(ADDR_SRC, '2001:db8:1::', 64, 6), address(ADDR_DST, '2001:db8:2::', 64, 6, 80),
        policy(POLICY_IPSEC, DIR_IN, 0, 1000, [
            request(51, MODE_TRANSPORT, LEVEL_USE, 0),
            request(50, MODE_TUNNEL, LEVEL_UNIQUE, 16385, '2001:db8::a', '2001:db8::b')])]),
    # getspi for a tunnel SA with reqid 7, SPI range 256..0xffffffff
    'vec_getspi4': msg(GETSPI, SATYPE_ESP, 4, 4242, [
        sa2(MODE_TUNNEL, 7), address(ADDR_SRC, '192.0.2.1', 32, 0),
        address(ADDR_DST, '198.51.100.1', 32, 0), spirange(0x100, 0xffffffff)]),
    # ESP in UDP with the original address, a 1024-packet window (X_SA_REPLAY) and ESN
    'vec_natt_add4': msg(ADD, SATYPE_ESP, 5, 4242, [
        sa(0x2000, 255, 1, 0, 20, ESN_FLAG), sa2(MODE_TUNNEL, 3),
        ext(X_SA_REPLAY, struct.pack('=I', 1024)),
        address(ADDR_SRC, '192.0.2.1', 32, 0), address(ADDR_DST, '203.0.113.7', 32, 0),
        key(KEY_ENC, EKEY + b'\x01\x02\x03\x04'),
        natt(4500, 4501), address(NAT_T_OA, '10.0.0.1', 32, 0)]),
    # As the Linux kernel answers a DUMP: SA, HARD, SOFT, CURRENT, SRC, DST, keys, SA2
    # (a limit of 0 is "none"; times of CURRENT are seconds since the epoch).
    'vec_kernel_dump': msg(DUMP, SATYPE_ESP, 0, 4242, [
        sa(0xc0ffee, 32, 1, 5, 12, 0),
        lifetime(LT_HARD, 0, 0, 0, 0), lifetime(LT_SOFT, 0, 0, 0, 0),
        lifetime(LT_CUR, 10, 1000, 1700000000, 0),
        address(ADDR_SRC, '192.0.2.1', 32, 0), address(ADDR_DST, '192.0.2.2', 32, 0),
        key(KEY_AUTH, AKEY256), key(KEY_ENC, EKEY), sa2(MODE_TUNNEL, 1)]),
    # As the kernel asks for an SA: addresses, the policy that wanted it, a proposal.
    'vec_kernel_acquire': msg(ACQUIRE, SATYPE_ESP, 1, 0, [
        address(ADDR_SRC, '2001:db8::1', 128, 0), address(ADDR_DST, '2001:db8::2', 128, 0),
        policy(POLICY_IPSEC, DIR_OUT, 0x49, 0),
        ext(PROPOSAL, struct.pack('=B3x', 32) +
            comb(3, 12, 160, 160, 128, 256, 25200, 28800) +
            comb(2, 3, 128, 128, 192, 192, 25200, 28800))]),
    # As the kernel answers REGISTER: what it supports.
    'vec_kernel_register': msg(REGISTER, SATYPE_ESP, 6, 4242, [
        algs(SUP_AUTH, [(2, 0, 128, 128), (3, 0, 160, 160), (5, 0, 256, 256)]),
        algs(SUP_ENC, [(3, 8, 192, 192), (12, 16, 128, 256)])]),
    # spddelete2 by the policy's id
    'vec_spddelete2': msg(SPDDELETE2, SATYPE_UNSPEC, 7, 4242, [
        policy(0, DIR_OUT, 0x31, 0)]),
    # An error reply: the request's header with errno ESRCH (3).
    'vec_error_reply': msg(5, SATYPE_ESP, 8, 4242, [], errno=3),
}


def corpus_extra():
    """More message types for the fuzzer's seed corpus (fuzz/corpus/fuzz_pfkey)."""
    sa_esp = [sa(0x1000, 32, 1, 3, 12, 0), address(ADDR_SRC, '2001:db8::1', 128, 0),
              address(ADDR_DST, '2001:db8::2', 128, 0)]
    pol = [address(ADDR_SRC, '2001:db8:1::', 64, 255), address(ADDR_DST, '2001:db8:2::', 64, 255),
           policy(POLICY_IPSEC, DIR_OUT, 0x19, 0, [request(50, MODE_TRANSPORT, LEVEL_REQUIRE, 0)])]
    v4 = [address(ADDR_SRC, '192.0.2.1', 32, 0), address(ADDR_DST, '192.0.2.2', 32, 0)]
    return {
        'update': msg(2, SATYPE_ESP, 1, 1, sa_esp + [key(KEY_AUTH, AKEY), key(KEY_ENC, EKEY)]),
        'delete': msg(4, SATYPE_ESP, 1, 1, sa_esp),
        'get': msg(5, 2, 1, 1, sa_esp),
        'register': msg(REGISTER, SATYPE_ESP, 1, 1, []),
        'expire': msg(8, SATYPE_ESP, 0, 0, sa_esp + [lifetime(LT_CUR, 1, 2, 3, 4),
                                                      lifetime(LT_HARD, 0, 0, 30, 0)]),
        'flush': msg(9, 0, 1, 1, []),
        'dump': msg(DUMP, 0, 1, 1, []),
        'promisc': msg(11, 1, 1, 1, []),
        'spdupdate': msg(13, 0, 1, 1, pol),
        'spdsetidx': msg(20, 0, 1, 1, pol),
        'spddelete': msg(15, 0, 1, 1, pol),
        'spdget': msg(16, 0, 1, 1, [policy(0, DIR_OUT, 0x19, 0)]),
        'spddump': msg(18, 0, 1, 1, []),
        'spdflush': msg(19, 0, 1, 1, []),
        'spdexpire': msg(21, 0, 0, 0, pol + [lifetime(LT_CUR, 1, 2, 3, 4)]),
        'natt_mapping': msg(23, SATYPE_ESP, 0, 0, [sa(0x1000, 0, 1, 0, 0, 0)] + v4 + [natt(4500, 4501)]),
        'ipcomp_add': msg(ADD, 9, 1, 1, [sa(0x4000, 0, 1, 0, 2, 0)] + v4),
        'ident_sens': msg(ADD, SATYPE_ESP, 1, 1, sa_esp + [
            ext(10, struct.pack('=HHQ', 2, 0, 0) + b'host.example\0'),
            ext(12, struct.pack('=IBBBBI', 1, 0, 1, 0, 0, 0) + b'\0' * 8)]),
    }


def write_corpus(d):
    for name, data in list(VECTORS.items()) + list(corpus_extra().items()):
        assert len(data) % 8 == 0
        with open('%s/%s.bin' % (d, name[4:] if name.startswith('vec_') else name), 'wb') as f:
            f.write(data)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--corpus':
        write_corpus(sys.argv[2])
        return
    print('/* Generated by tests/unit/pfkey_vectors.py: PF_KEYv2 messages assembled from')
    print(' * RFC 2367 and the Linux layout, independently of usagi\'s headers. */')
    print('#ifndef PFKEY_VECTORS_H\n#define PFKEY_VECTORS_H\n#include <stdint.h>\n')
    for name, data in VECTORS.items():
        assert len(data) % 8 == 0
        print('static const uint8_t %s[%d] __attribute__((aligned(8))) = {' % (name, len(data)))
        for i in range(0, len(data), 16):
            print('\t' + ' '.join('0x%02x,' % b for b in data[i:i + 16]))
        print('};\n')
    print('#endif')


if __name__ == '__main__':
    main()
