#!/usr/bin/python3
"""UDP peer for tests/netns/{udp4,mapped}.sh, on the kernel's own sockets.

usage:
  udp4.py send FAMILY DST PORT [--sport N] [--size N] [--count N] [--wait S]
      FAMILY 4 or 6. Sends COUNT datagrams of SIZE bytes (a distinct payload
      each) from one socket (bound to SPORT if given) and prints one line per
      datagram:  "echo SRC SPORT LEN same|different"  for the answer,
      "refused" when an ICMP port unreachable came back (ECONNREFUSED on the
      connected socket), "none" when nothing came within WAIT seconds.
  udp4.py orphan DST PORT SPORT
      Sends one UDP datagram over IPv4 from SPORT through a raw socket, so no
      socket of this host owns SPORT: an echo of it makes this kernel answer
      with ICMP port unreachable. Prints "sent".
"""
import argparse
import socket
import struct
import sys


def payload(i, size):
    pat = ("usagi-%d-" % i).encode()
    return (pat * (size // len(pat) + 1))[:size]


def cmd_send(a):
    fam = socket.AF_INET if a.family == "4" else socket.AF_INET6
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if a.sport:
        s.bind(("0.0.0.0" if fam == socket.AF_INET else "::", a.sport))
    s.connect((a.dst, a.port))
    s.settimeout(a.wait)
    for i in range(a.count):
        data = payload(i, a.size)
        s.send(data)
        try:
            got, src = s.recvfrom(65535)
        except socket.timeout:
            print("none")
            continue
        except ConnectionRefusedError:
            print("refused")
            continue
        print("echo %s %d %d %s" % (src[0], src[1], len(got),
                                    "same" if got == data else "different"))
    sys.stdout.flush()


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def cmd_orphan(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    s.connect((a.dst, 0))
    src = socket.inet_aton(s.getsockname()[0]) if s.getsockname()[0] != "0.0.0.0" else None
    if src is None:
        # The kernel picks the source only at send time; ask the routing table.
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.connect((a.dst, 9))
        src = socket.inet_aton(probe.getsockname()[0])
        probe.close()
    data = b"orphan"
    hdr = struct.pack("!HHHH", a.sport, a.port, 8 + len(data), 0)
    pseudo = src + socket.inet_aton(a.dst) + struct.pack("!BBH", 0, 17, 8 + len(data))
    c = csum(pseudo + hdr + data) or 0xffff
    s.send(struct.pack("!HHHH", a.sport, a.port, 8 + len(data), c) + data)
    print("sent")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("family", choices=["4", "6"])
    s.add_argument("dst")
    s.add_argument("port", type=int)
    s.add_argument("--sport", type=int, default=0)
    s.add_argument("--size", type=int, default=32)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--wait", type=float, default=2.0)
    o = sub.add_parser("orphan")
    o.add_argument("dst")
    o.add_argument("port", type=int)
    o.add_argument("sport", type=int)
    a = p.parse_args()
    {"send": cmd_send, "orphan": cmd_orphan}[a.cmd](a)


if __name__ == "__main__":
    main()
