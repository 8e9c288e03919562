#!/usr/bin/python3
# dflood.py - N inbound messages over one milter connection, each signed
# (badly) by a different domain d=N.flood.test, as a sender who controls
# the d= of every message would send them; for t/it-metrics.sh, which
# checks that they add no series to dkimd's metrics.
#
#	dflood.py HOST:PORT N
#
# Every step is answered (no SMFIP_NR_* offered). Prints "done N REPLIES"
# where REPLIES counts the final replies by letter. Exit 0, or 1 when the
# milter closed the connection or spoke out of turn.
import collections
import socket
import struct
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from mta import ALL_ACTIONS, recv, send  # noqa: E402


def message(s, i):
    """message - one message from MAIL FROM to its final reply"""
    d = "d%d.flood.test" % i
    send(s, b"D", b"Mi\0FLOOD%d\0" % i)
    send(s, b"M", b"<sender@%s>\0" % d.encode())
    recv(s)
    fields = [
        (b"DKIM-Signature", (" v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s;"
                             " s=sel; h=from:subject; bh=%s; b=AAAA" % (d, "A" * 43 + "="))
         .encode()),
        (b"From", b" <user@%s>" % d.encode()),
        (b"Subject", b" flood %d" % i),
    ]
    for name, value in fields:
        send(s, b"L", name + b"\0" + value + b"\0")
        recv(s)
    send(s, b"N")
    recv(s)
    send(s, b"B", b"body\r\n")
    recv(s)
    send(s, b"E")
    while True:
        cmd, _ = recv(s)
        if cmd not in (b"i", b"m", b"h"):
            return cmd


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    n = int(sys.argv[2])
    s = socket.create_connection((host, int(port)), timeout=20)
    send(s, b"O", struct.pack("!III", 6, ALL_ACTIONS, 0))
    if recv(s)[0] != b"O":
        raise SystemExit("no option negotiation reply")
    send(s, b"D", b"C{daemon_name}\0MX\0")
    send(s, b"C", b"client.test\0" + b"4" + struct.pack("!H", 25) +
         b"198.51.100.1\0")
    recv(s)
    replies = collections.Counter()
    for i in range(n):
        replies[message(s, i).decode()] += 1
    send(s, b"Q")
    s.close()
    print("done %d %s" % (n, dict(replies)))


if __name__ == "__main__":
    main()
