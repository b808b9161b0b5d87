#!/usr/bin/python3
"""TCP peer for tests/netns/tcp_kernel.sh, on the kernel's own sockets.

usage:
  tcp_kernel.py echo DST PORT BYTES
      Connects, sends BYTES octets of a pattern while reading the echo, shuts
      down its side, reads to the end. Prints "echo BYTES same|different|short N".
  tcp_kernel.py discard DST PORT BYTES
      Connects, sends BYTES octets, closes; the peer must read them all
      before the FIN is acknowledged. Prints "sent BYTES" and the peer's FIN
      as "eof" once read() returns 0.
  tcp_kernel.py connect DST PORT
      Prints "refused" (RST), "timeout" or "connected".
  tcp_kernel.py serve ADDR PORT
      Listens, accepts one connection, reads to its end and prints
      "received N same|different" (the pattern of `service tcp-send`),
      then "peer ADDR".
"""
import selectors
import socket
import sys


def pattern(n):
    base = bytes((i * 131 + (i >> 9)) & 0xff for i in range(65536))
    return (base * (n // len(base) + 1))[:n]


def conn(dst, port):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect((dst, port))
    return s


def cmd_echo(dst, port, n):
    s = conn(dst, port)
    data = pattern(n)
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    sent, got, shut = 0, bytearray(), False
    while True:
        ev = sel.select(timeout=20)
        if not ev:
            break
        for _, mask in ev:
            if mask & selectors.EVENT_WRITE and sent < n:
                sent += s.send(data[sent:sent + 65536])
            if sent == n and not shut:
                s.shutdown(socket.SHUT_WR)
                sel.modify(s, selectors.EVENT_READ)
                shut = True
            if mask & selectors.EVENT_READ:
                chunk = s.recv(65536)
                if not chunk:
                    sel.unregister(s)
                    s.close()
                    if bytes(got) == data:
                        print("echo %d same" % n)
                    elif len(got) != n:
                        print("echo %d short %d" % (n, len(got)))
                    else:
                        print("echo %d different" % n)
                    return
                got += chunk
    print("echo %d short %d" % (n, len(got)))


def cmd_discard(dst, port, n):
    s = conn(dst, port)
    s.sendall(pattern(n))
    s.shutdown(socket.SHUT_WR)
    print("sent %d" % n)
    if s.recv(1) == b"":
        print("eof")
    s.close()


def cmd_connect(dst, port):
    try:
        s = conn(dst, port)
    except ConnectionRefusedError:
        print("refused")
        return
    except socket.timeout:
        print("timeout")
        return
    print("connected")
    s.close()


def cmd_serve(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    print("listening", flush=True)
    ls.settimeout(30)
    c, peer = ls.accept()
    c.settimeout(30)
    got = bytearray()
    while True:
        chunk = c.recv(1 << 20)
        if not chunk:
            break
        got += chunk
    c.close()
    same = bytes(got) == pattern(len(got))
    print("received %d %s" % (len(got), "same" if same else "different"))
    print("peer %s" % peer[0])


def main():
    cmd, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "echo":
        cmd_echo(dst, port, int(sys.argv[4]))
    elif cmd == "serve":
        cmd_serve(dst, port)
    elif cmd == "discard":
        cmd_discard(dst, port, int(sys.argv[4]))
    else:
        cmd_connect(dst, port)


if __name__ == "__main__":
    main()
