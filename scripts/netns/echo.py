#!/usr/bin/python3
"""Tiny UDP/TCP echo used by the demo (scripts/netns/demo.sh).

  echo.py serve udp|tcp PORT [COUNT]    echo COUNT exchanges (default 1), print each peer
  echo.py send  udp|tcp ADDR PORT MSG   send MSG, print the answer; exit 1 on timeout
"""
import socket
import sys


def serve(proto, port, count):
    fam = socket.AF_INET6
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(fam, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.settimeout(20)
    if proto == "tcp":
        s.listen(4)
    print("listening", proto, port, flush=True)
    for _ in range(count):
        if proto == "udp":
            data, peer = s.recvfrom(2048)
            s.sendto(data.upper(), peer)
        else:
            c, peer = s.accept()
            c.settimeout(5)
            data = c.recv(2048)
            c.sendall(data.upper())
            c.close()
        host = peer[0].removeprefix("::ffff:")
        print("  server saw %s from %s port %d: %r" % (proto.upper(), host, peer[1], data.decode()), flush=True)


def send(proto, addr, port, msg):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(fam, kind)
    s.settimeout(3)
    if proto == "udp":
        s.sendto(msg.encode(), (addr, port))
        data, _ = s.recvfrom(2048)
    else:
        s.connect((addr, port))
        s.sendall(msg.encode())
        data = s.recv(2048)
    print("  client got answer: %r" % data.decode(), flush=True)


def main():
    a = sys.argv[1:]
    try:
        if a[0] == "serve":
            serve(a[1], int(a[2]), int(a[3]) if len(a) > 3 else 1)
        elif a[0] == "send":
            send(a[1], a[2], int(a[3]), a[4])
        else:
            raise IndexError
    except IndexError:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        print("  %s: %s" % (a[0], e), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
