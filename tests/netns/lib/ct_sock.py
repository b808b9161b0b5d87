#!/usr/bin/python3
"""Kernel-socket peers for tests/netns/ct_hostmode.sh (run inside a namespace).

  ct_sock.py tcp-server ADDR PORT        accepts forever; answers "pong:<data>" and closes
  ct_sock.py udp-server ADDR PORT        echoes "pong:<data>" forever
  ct_sock.py tcp-client ADDR PORT SECS   prints "pong:ping" | "timeout" | "refused" | "reset"
  ct_sock.py udp-client ADDR PORT SECS   the same for one datagram (a connected socket, so an
                                         ICMP port unreachable shows as "refused")

The family follows the address (":" means IPv6). Exit status 0 whatever the outcome:
the word printed is what the test compares.
"""
import socket
import sys


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def tcp_server(addr, port):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(8)
    print("listening", flush=True)
    while True:
        c, _ = s.accept()
        c.settimeout(5)
        try:
            c.sendall(b"pong:" + c.recv(100))
        except OSError:
            pass
        c.close()


def udp_server(addr, port):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("listening", flush=True)
    while True:
        data, peer = s.recvfrom(2000)
        s.sendto(b"pong:" + data, peer)


def client(kind, addr, port, secs):
    s = socket.socket(family(addr), kind)
    s.settimeout(secs)
    try:
        s.connect((addr, port))
        s.send(b"ping")
        print(s.recv(100).decode())
    except socket.timeout:
        print("timeout")
    except ConnectionRefusedError:
        print("refused")
    except ConnectionResetError:
        print("reset")


def main():
    cmd, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "tcp-server":
        tcp_server(addr, port)
    elif cmd == "udp-server":
        udp_server(addr, port)
    elif cmd == "tcp-client":
        client(socket.SOCK_STREAM, addr, port, float(sys.argv[4]))
    elif cmd == "udp-client":
        client(socket.SOCK_DGRAM, addr, port, float(sys.argv[4]))
    else:
        sys.exit(2)


if __name__ == "__main__":
    main()
