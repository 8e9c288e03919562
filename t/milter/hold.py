#!/usr/bin/python3
# hold.py - hold many silent connections open to a milter, as an attacker
# who wants its descriptors would (for t/it-conn.sh).
#
#	hold.py HOST:PORT|/unix/path N SETTLE [optneg]
#
# Opens N connections and sends nothing on them (with "optneg": only the
# option negotiation, as an MTA does before its first message, waiting
# for the milter's answer). After SETTLE seconds it
# prints one line "opened N closed C open O": C connections the milter
# closed (EOF or reset), O still open. Then it keeps the open ones until
# stdin reaches its end (or it is killed), and prints "held S" with the
# seconds it held them, and "closed-after S" for the first connection the
# milter closed while held (a time-out), if any.
# Only ever connects to the address given.
import select
import socket
import struct
import sys
import time


def optneg(s):
    """optneg - SMFIC_OPTNEG, version 6, and the milter's answer"""
    s.sendall(struct.pack("!I", 13) + b"O" +
              struct.pack("!III", 6, 0x1FF, 0x1FFFFF))
    s.settimeout(10)
    (n,) = struct.unpack("!I", s.recv(4, socket.MSG_WAITALL))
    s.recv(n, socket.MSG_WAITALL)
    s.settimeout(None)


def dial(where):
    if where.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(where)
        return s
    host, port = where.rsplit(":", 1)
    s = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
    s.settimeout(None)  # blocking: recv(MSG_DONTWAIT) answers at once
    return s


def gone(s):
    """gone - the milter closed s"""
    try:
        return s.recv(1, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def main():
    where, n, settle = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    neg = sys.argv[4:5] == ["optneg"]
    socks, failed = [], 0
    for _ in range(n):
        try:
            s = dial(where)
            if neg:
                optneg(s)
            socks.append(s)
        except (OSError, struct.error):
            failed += 1
    time.sleep(settle)
    live = [s for s in socks if not gone(s)]
    print("opened %d closed %d open %d failed %d" %
          (len(socks), len(socks) - len(live), len(live), failed), flush=True)
    start = time.monotonic()
    first = None
    while True:
        r, _, _ = select.select([sys.stdin], [], [], 0.2)
        if first is None and any(gone(s) for s in live[:50]):
            first = time.monotonic() - start
            print("closed-after %.1f" % first, flush=True)
        if r and not sys.stdin.read(1):
            break
    print("held %.1f" % (time.monotonic() - start), flush=True)


main()
