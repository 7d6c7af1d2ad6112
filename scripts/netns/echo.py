#!/usr/bin/python3
"""Tiny UDP/TCP echo used by the demo (scripts/netns/demo.sh).

  echo.py serve udp|tcp PORT [COUNT]    echo COUNT exchanges (default 1), print each peer
  echo.py send  udp|tcp ADDR PORT MSG   send MSG, print the answer; exit 1 on timeout
"""
import socket
import sys
import time


def out(line):
    # One write per line: server and client share the terminal.
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


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
        out("  server saw %s from %s port %d: %r" % (proto.upper(), host, peer[1], data.decode()))


def send(proto, addr, port, msg):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    for attempt in range(5):  # the server may still be starting
        s = socket.socket(fam, kind)
        s.settimeout(2)
        try:
            if proto == "udp":
                s.connect((addr, port))
                s.send(msg.encode())
                data = s.recv(2048)
            else:
                s.connect((addr, port))
                s.sendall(msg.encode())
                data = s.recv(2048)
            break
        except (ConnectionRefusedError, socket.timeout):
            if attempt == 4:
                raise
            time.sleep(0.3)
        finally:
            s.close()
    out("  client got answer: %r" % data.decode())


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
