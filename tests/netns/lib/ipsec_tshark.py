#!/usr/bin/python3
"""Cases and checks for tests/netns/ipsec_tshark.sh.

Each case is one outbound SA of usagi to its own kernel address (so all
cases coexist: one setkey load, one capture, one esp_sa file, one tshark
run). The kernel sends one UDP datagram in clear from that address, port
9009, to usagi's udp-echo on 7007; usagi's echo leaves under the case's
SA (an OUT policy for UDP to that address). tshark, given the esp_sa file
usagi wrote, must check the ICV (where it can) and show the echo: ports
7007 -> 9009 and the exact payload bytes.

usage:
  ipsec_tshark.py addrs               kernel addresses to add (one a line)
  ipsec_tshark.py setkey              the setkey statements for usagi
  ipsec_tshark.py send                (in the kernel's namespace) sends the datagrams
  ipsec_tshark.py fields              tshark's -e options for check
  ipsec_tshark.py check FIELDS_FILE   checks tshark's -T fields output; prints a table
"""
import random
import socket
import sys
import zlib

US6, US4 = "2001:db8:1::2", "192.0.2.2"
PORT_US, PORT_K = 7007, 9009

# (label, setkey cipher, key octets incl. salt, setkey MAC or None, MAC key octets)
ESP_ALGS = [
    ("null/sha1", "null", 0, "hmac-sha1", 20),
    ("aes-cbc-128/sha1", "aes-cbc", 16, "hmac-sha1", 20),
    ("aes-cbc-192/sha256", "aes-cbc", 24, "hmac-sha256", 32),
    ("aes-cbc-256/sha384", "aes-cbc", 32, "hmac-sha384", 48),
    ("aes-cbc-128/sha512", "rijndael-cbc", 16, "hmac-sha512", 64),
    ("aes-cbc-128/md5", "aes-cbc", 16, "hmac-md5", 16),
    ("aes-cbc-256/ripemd160", "aes-cbc", 32, "hmac-ripemd160", 20),
    ("aes-ctr-128/sha256", "aes-ctr", 20, "hmac-sha256", 32),
    ("aes-ctr-256/sha1", "aes-ctr", 36, "hmac-sha1", 20),
    ("aes-gcm-16-128", "aes-gcm-16", 20, None, 0),
    ("aes-gcm-16-256", "aes-gcm-16", 36, None, 0),
    ("aes-gcm-12-192", "aes-gcm-12", 28, None, 0),
    ("aes-gcm-8-128", "aes-gcm-8", 20, None, 0),
    ("des-cbc/md5", "des-cbc", 8, "hmac-md5", 16),
    ("3des-cbc/sha1", "3des-cbc", 24, "hmac-sha1", 20),
    ("cast128-cbc/sha256", "cast128-cbc", 16, "hmac-sha256", 32),
    ("blowfish-cbc/ripemd160", "blowfish-cbc", 16, "hmac-ripemd160", 20),
    ("twofish-cbc-128/sha1", "twofish-cbc", 16, "hmac-sha1", 20),
    ("twofish-cbc-256/ripemd160", "twofish-cbc", 32, "hmac-ripemd160", 20),
]
# IPComp alone, and IPComp inside ESP with null encryption and HMAC-SHA1
# (usagi refuses ESP null/null, RFC 4303 3.2), RFC 3173 + RFC 4303.
COMP = [("ipcomp", False), ("ipcomp+esp-null", True)]


class Case:
    def __init__(self, idx, fam, label):
        self.idx, self.fam, self.label = idx, fam, label
        self.peer = "2001:db8:1::%x" % (0x100 + idx) if fam == 6 else "192.0.2.%d" % (100 + idx)
        self.us = US6 if fam == 6 else US4
        self.spi = 0x5000 + idx
        self.cpi = 0x4000 + idx
        rng = random.Random(zlib.crc32(("%d%s" % (fam, label)).encode()))
        self.key = lambda n: bytes(rng.getrandbits(8) for _ in range(n))
        if label.startswith("ipcomp"):
            # Compressible and well over the IPComp threshold.
            self.payload = (b"usagi ipcomp %s IPv%d " % (label.encode(), fam)) * 30
        else:
            self.payload = b"usagi tshark %s IPv%d %d" % (label.encode(), fam, idx)

    def mask(self):
        return "/128" if self.fam == 6 else "/32"


def cases():
    out = []
    for fam in (6, 4):
        for a in ESP_ALGS:
            out.append(Case(len(out), fam, a[0]))
        for label, _ in COMP:
            out.append(Case(len(out), fam, label))
    return out


def setkey_text():
    lines = ["flush;", "spdflush;"]
    algs = {a[0]: a for a in ESP_ALGS}
    comp = dict(COMP)
    for c in cases():
        tmpl = []
        if c.label in algs:
            _, enc, ekl, auth, akl = algs[c.label]
            s = "-E %s" % enc + (" 0x%s" % c.key(ekl).hex() if ekl else "")
            if auth:
                s += " -A %s 0x%s" % (auth, c.key(akl).hex())
            lines.append("add %s %s esp 0x%x -m transport %s;" % (c.us, c.peer, c.spi, s))
            tmpl.append("esp/transport//require")
        else:
            lines.append("add %s %s ipcomp 0x%x -m transport -C deflate;" % (c.us, c.peer, c.cpi))
            tmpl.append("ipcomp/transport//require")
            if comp[c.label]:
                lines.append("add %s %s esp 0x%x -m transport -E null -A hmac-sha1 0x%s;" %
                             (c.us, c.peer, c.spi, c.key(20).hex()))
                tmpl.append("esp/transport//require")
        lines.append("spdadd %s%s %s%s udp -P out ipsec %s;" %
                     (c.us, c.mask(), c.peer, c.mask(), " ".join(tmpl)))
    return "\n".join(lines) + "\n"


def send():
    for c in cases():
        fam = socket.AF_INET6 if c.fam == 6 else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((c.peer, PORT_K))
        s.sendto(c.payload, (c.us, PORT_US))
        s.close()


FIELDS = ["esp.spi", "esp.icv_good", "ipcomp.cpi", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
          "udp.srcport", "udp.dstport", "udp.payload"]


def check(path):
    """Checks tshark's -T fields output (the columns of FIELDS)."""
    rows = {}
    with open(path) as f:
        for line in f:
            flds = line.rstrip("\n").split("\t")
            if len(flds) != len(FIELDS):
                continue
            spi, icv, cpi, src4, dst4, src6, dst6, sp, dp, pl = flds
            src, dst = (src6, dst6) if dst6 else (src4, dst4)
            rows.setdefault(dst.split(",")[-1], []).append((spi, icv, cpi, src, sp, dp, pl))
    algs = {a[0]: a for a in ESP_ALGS}
    comp_esp = dict(COMP)
    bad = 0
    print("%-4s %-3s %-28s %-12s %-8s %-6s %s" %
          ("#", "fam", "case", "spi/cpi", "icv", "inner", "verdict"))
    for c in cases():
        got = rows.get(c.peer, [])
        why = ""
        has_auth = c.label in algs or comp_esp.get(c.label, False)
        if len(got) != 1:
            why = "%d ESP/IPComp packets to %s, want 1" % (len(got), c.peer)
        else:
            spi, icv, cpi, src, sp, dp, pl = got[0]
            want_spi = "" if c.label == "ipcomp" else "0x%08x" % c.spi
            want_cpi = "" if c.label in algs else "0x%04x" % c.cpi
            if spi != want_spi:
                why = "spi %r, want %r" % (spi, want_spi)
            elif cpi != want_cpi:
                why = "cpi %r, want %r (not compressed?)" % (cpi, want_cpi)
            elif has_auth and icv not in ("1", "True"):
                why = "icv_good %r" % icv
            elif (sp, dp) != (str(PORT_US), str(PORT_K)):
                why = "inner ports %r -> %r (not decrypted?)" % (sp, dp)
            elif src.split(",")[-1] != c.us:
                why = "source %s" % src
            elif bytes.fromhex(pl.replace(":", "")) != c.payload:
                why = "payload differs"
        print("%-4d %-3d %-28s %-12s %-8s %-6s %s" % (
            c.idx, c.fam, c.label, "0x%x" % (c.cpi if c.label == "ipcomp" else c.spi),
            "checked" if has_auth else "-", "udp", "FAIL: " + why if why else "PASS"))
        bad += bool(why)
    print("tshark: %d cases, %d failed" % (len(cases()), bad))
    return 1 if bad else 0


def main():
    cmd = sys.argv[1]
    if cmd == "addrs":
        for c in cases():
            print(c.peer + ("/64" if c.fam == 6 else "/24"))
    elif cmd == "setkey":
        sys.stdout.write(setkey_text())
    elif cmd == "send":
        send()
    elif cmd == "fields":
        print(" ".join("-e " + f for f in FIELDS))
    elif cmd == "check":
        return check(sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
