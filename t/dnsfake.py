#!/usr/bin/python3
"""dnsfake.py - a DNS server for tests that answers badly on purpose

Usage:
    /usr/bin/python3 t/dnsfake.py --port PORT --zone FILE
        [--lifetime SECONDS] [--pidfile FILE] [--log FILE]

Listens on 127.0.0.1 only, UDP and TCP, at PORT, and answers queries from
the zone FILE. It stops by itself after --lifetime seconds (default 60),
and writes its PID to --pidfile once both sockets are bound (tests wait
for that file). With --log, each query is appended to FILE as a line
"udp NAME TYPE" or "tcp NAME TYPE", so that a test can see which
transport a client used.

Zone file: one line per fact, `NAME BEHAVIOUR [ARGS]`, '#' starts a
comment, strings in double quotes (shell-like quoting). Names are
compared case-insensitively, a final dot ignored. A name with no line
gets NXDOMAIN.

    NAME txt "s1" "s2" ...   one TXT record made of these strings (a
                             string over 255 bytes is split; Python
                             escapes such as \x00 are decoded); several
                             lines are several records
    NAME ttl N               TTL of NAME's records (default 300)
    NAME soa N               negative answers for NAME carry an SOA whose
                             MINIMUM and TTL are N
    NAME cname TARGET        a CNAME to TARGET, plus TARGET's records when
                             TARGET is in the zone
    NAME nxdomain            NXDOMAIN
    NAME servfail            SERVFAIL
    NAME refused             REFUSED
    NAME timeout             never answers
    NAME blackhole           never answers, over UDP or TCP (a name
                             server that drops every query)
    NAME drip MS             UDP: TC=1; TCP: the full answer, one byte
                             every MS milliseconds (a slow-drip server)
    NAME large N             a key record padded to N bytes ("v=DKIM1;
                             k=rsa; p=AAAA..."), over TCP after TC=1
    NAME padded N            a valid key record (the 4096-bit key of
                             t/data/dns/rsa4096.record) padded with an
                             n= note to N bytes, over TCP after TC=1
    NAME slow MS             waits MS milliseconds, then the normal answer
    NAME truncate            UDP: TC=1 and no records; TCP: the full answer
    NAME truncate-notcp      UDP: TC=1; TCP: the connection is closed
    NAME truncate-hang       UDP: TC=1; TCP: accepted, never answered
    NAME oversize            a UDP answer of over 4 KB: NAME's records
                             plus filler TXT records that are not keys
    NAME malformed           the question, then garbage (an answer whose
                             lengths run past the end of the message)
    NAME comploop            an answer whose owner name is a compression
                             pointer to itself
    NAME badtxt              a TXT record whose character-string claims
                             more bytes than its RDATA holds
    NAME wrongname           NAME's TXT records under another owner name
    NAME wrongtype           an A record (127.0.0.2) instead of TXT
    NAME empty               NOERROR and no answers
    NAME fuzz                a random answer section, seeded by the name
                             asked: records of random types, names and
                             lengths, some bytes flipped, cut anywhere

A NAME of the form *.SUFFIX matches every name under SUFFIX that has no
line of its own (so "*.fuzz.t.test fuzz" answers n1.fuzz.t.test, ...).

Python 3 standard library only; run with /usr/bin/python3.
"""

import argparse
import os
import random
import shlex
import socket
import socketserver
import struct
import sys
import threading
import time

T_A, T_NS, T_CNAME, T_SOA, T_TXT = 1, 2, 5, 6, 16
C_IN = 1


def padded_record(n):
    """a valid key record padded with an n= note to n bytes"""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "data", "dns", "rsa4096.record")
    with open(path, "rb") as f:
        rec = f.read().strip()
    head, key = rec.split(b"p=", 1)
    pad = max(n - len(rec) - len(b"n=; "), 0)
    return head + b"n=" + b"x" * pad + b"; p=" + key


class Zone:
    """The facts of a zone file, by lower-cased name."""

    def __init__(self, path):
        self.txt = {}        # name -> [[bytes, ...], ...]
        self.ttl = {}
        self.soa = {}
        self.cname = {}
        self.behaviour = {}  # name -> (word, arg)
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                words = shlex.split(line, comments=True)
                if not words:
                    continue
                if len(words) < 2:
                    sys.exit(f"{path}:{lineno}: NAME BEHAVIOUR expected")
                self.add(words[0].rstrip(".").lower(), words[1], words[2:],
                         f"{path}:{lineno}")

    def add(self, name, word, args, where):
        if word == "txt":
            strings = []
            for s in args:
                b = s.encode("ascii").decode("unicode_escape").encode(
                    "latin-1")
                chunks = [b[i:i + 255] for i in range(0, len(b), 255)]
                strings += chunks or [b""]
            self.txt.setdefault(name, []).append(strings)
        elif word in ("ttl", "soa"):
            getattr(self, word)[name] = int(args[0])
        elif word == "cname":
            self.cname[name] = args[0].rstrip(".").lower()
        elif word in ("slow", "drip", "large", "padded"):
            self.behaviour[name] = (word, int(args[0]))
        elif word in ("nxdomain", "servfail", "refused", "timeout",
                      "blackhole",
                      "truncate", "truncate-notcp", "truncate-hang",
                      "oversize", "malformed", "comploop", "badtxt",
                      "wrongname", "wrongtype", "empty", "fuzz"):
            self.behaviour[name] = (word, None)
        else:
            sys.exit(f"{where}: unknown behaviour {word!r}")

    def known(self, name):
        return (name in self.txt or name in self.behaviour or
                name in self.cname)

    def key(self, name):
        """name, or the wildcard *.SUFFIX that covers it, or name."""
        if self.known(name):
            return name
        labels = name.split(".")
        for i in range(1, len(labels)):
            wild = "*." + ".".join(labels[i:])
            if self.known(wild):
                return wild
        return name


def fuzz_answer(name, qid, qflags, question):
    """A random, often broken, answer, the same for the same name."""
    rnd = random.Random(name)
    recs = []
    for _ in range(rnd.randint(0, 6)):
        owner = rnd.choice([b"\xc0\x0c", b"\xc0\x0c", encode_name(name),
                            bytes([0xC0, rnd.randint(0, 255)]),
                            encode_name("x." + name)])
        rtype = rnd.choice([T_TXT, T_TXT, T_TXT, T_CNAME, T_SOA, T_A])
        if rtype == T_TXT:
            rdata = txt_rdata([b"v=DKIM1; p=" + b"A" * rnd.randint(0, 240)
                               for _ in range(rnd.randint(0, 3))])
        elif rtype == T_CNAME:
            rdata = rnd.choice([b"\xc0\x0c", encode_name(name)])
        else:
            rdata = bytes(rnd.randint(0, 255)
                          for _ in range(rnd.randint(0, 30)))
        recs.append(rr(owner, rtype, rnd.randint(0, 2**32 - 1), rdata))
    body = bytearray(b"".join(recs))
    for _ in range(rnd.choice([0, 0, 0, 1, 2, 4])):
        if body:
            body[rnd.randrange(len(body))] = rnd.randint(0, 255)
    if body and rnd.random() < 0.2:
        body = body[:rnd.randrange(len(body))]
    an = rnd.choice([len(recs), len(recs), len(recs), rnd.randint(0, 10)])
    ns = rnd.choice([0, 0, 1, rnd.randint(0, 3)])
    return header(qid, qflags, rnd.choice([0, 0, 0, 3]), an, ns) + \
        question + bytes(body)


def parse_query(msg):
    """(id, flags, name, qtype, question bytes) of a query, or None."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack(">HHH", msg[:6])
    if qd != 1:
        return None
    pos, labels = 12, []
    while True:
        if pos >= len(msg):
            return None
        n = msg[pos]
        pos += 1
        if n == 0:
            break
        if n > 63 or pos + n > len(msg):
            return None
        labels.append(msg[pos:pos + n].decode("ascii", "replace"))
        pos += n
    if pos + 4 > len(msg):
        return None
    qtype = struct.unpack(">H", msg[pos:pos + 2])[0]
    return qid, flags, ".".join(labels).lower(), qtype, msg[12:pos + 4]


def encode_name(name):
    out = b""
    for label in name.split("."):
        if label:
            b = label.encode("ascii")
            out += bytes([len(b)]) + b
    return out + b"\0"


def rr(owner, rtype, ttl, rdata):
    """A resource record; owner is raw name bytes (maybe a pointer)."""
    return owner + struct.pack(">HHIH", rtype, C_IN, ttl, len(rdata)) + rdata


def txt_rdata(strings):
    return b"".join(bytes([len(s)]) + s for s in strings)


def header(qid, qflags, rcode, an, ns, tc=False):
    flags = 0x8000 | (qflags & 0x7800) | 0x0400 | (qflags & 0x0100) | 0x0080
    if tc:
        flags |= 0x0200
    return struct.pack(">HHHHHH", qid, flags | rcode, 1, an, ns, 0)


class Answerer:
    def __init__(self, zone):
        self.zone = zone

    def soa(self, name):
        n = self.zone.soa.get(name)
        if n is None:
            return []
        rdata = (encode_name("ns." + name) + encode_name("hostmaster." + name)
                 + struct.pack(">IIIII", 1, 3600, 600, 86400, n))
        return [rr(b"\xc0\x0c", T_SOA, n, rdata)]

    def records(self, name, qtype, owner=b"\xc0\x0c", depth=0):
        """The answer records for name; owner as raw bytes."""
        z = self.zone
        ttl = z.ttl.get(name, 300)
        if name in z.cname and depth < 10:
            target = z.cname[name]
            out = [rr(owner, T_CNAME, ttl, encode_name(target))]
            return out + self.records(target, qtype, encode_name(target),
                                      depth + 1)
        if qtype != T_TXT:
            return []
        return [rr(owner, T_TXT, ttl, txt_rdata(s))
                for s in z.txt.get(name, [])]

    def drip(self, msg):
        """Milliseconds between bytes of a TCP answer, or 0."""
        q = parse_query(msg)
        if q is None:
            return 0
        word, arg = self.zone.behaviour.get(self.zone.key(q[2]), ("", None))
        return arg if word == "drip" else 0

    def answer(self, msg, proto):
        """(bytes to send or None, delay seconds, close the connection)."""
        q = parse_query(msg)
        if q is None:
            return None, 0, False
        qid, qflags, name, qtype, question = q
        z = self.zone
        word, arg = z.behaviour.get(z.key(name), ("", None))
        if word == "fuzz":
            return fuzz_answer(name, qid, qflags, question), 0, False
        if word == "timeout" or (word == "blackhole" and proto == "udp"):
            return None, 0, False
        if word == "blackhole":
            return None, 0, False
        if word in ("drip", "large", "padded") and proto == "udp":
            return header(qid, qflags, 0, 0, 0, tc=True) + question, 0, False
        if word in ("large", "padded"):
            rec = b"v=DKIM1; k=rsa; p=" + b"A" * max(arg - 18, 0)
            if word == "padded":
                rec = padded_record(arg)
            body = rr(b"\xc0\x0c", T_TXT, 300, txt_rdata(
                [rec[i:i + 255] for i in range(0, len(rec), 255)]))
            return header(qid, qflags, 0, 1, 0) + question + body, 0, False
        if word == "truncate-notcp" and proto == "tcp":
            return None, 0, True
        if word == "truncate-hang" and proto == "tcp":
            return None, 0, False
        if word.startswith("truncate") and proto == "udp":
            return header(qid, qflags, 0, 0, 0, tc=True) + question, 0, False
        if word == "servfail":
            return header(qid, qflags, 2, 0, 0) + question, 0, False
        if word == "refused":
            return header(qid, qflags, 5, 0, 0) + question, 0, False
        if word == "nxdomain" or not z.known(name):
            soa = self.soa(name)
            return (header(qid, qflags, 3, 0, len(soa)) + question
                    + b"".join(soa)), 0, False
        if word == "malformed":
            body = rr(b"\xc0\x0c", T_TXT, 300, b"")[:-2] + b"\x01\xf4junk"
            return header(qid, qflags, 0, 1, 0) + question + body, 0, False
        if word == "comploop":
            off = 12 + len(question)
            ptr = bytes([0xC0 | (off >> 8), off & 0xFF])
            body = rr(ptr, T_TXT, 300, txt_rdata([b"v=DKIM1; p=AAAA"]))
            return header(qid, qflags, 0, 1, 0) + question + body, 0, False
        if word == "badtxt":
            body = rr(b"\xc0\x0c", T_TXT, 300, b"\xc8v=DKIM1; p=X")
            return header(qid, qflags, 0, 1, 0) + question + body, 0, False
        if word == "wrongtype":
            body = rr(b"\xc0\x0c", T_A, 300, bytes([127, 0, 0, 2]))
            return header(qid, qflags, 0, 1, 0) + question + body, 0, False
        if word == "empty":
            soa = self.soa(name)
            return (header(qid, qflags, 0, 0, len(soa)) + question
                    + b"".join(soa)), 0, False
        owner = b"\xc0\x0c"
        if word == "wrongname":
            owner = encode_name("elsewhere." + name)
        recs = self.records(name, qtype, owner)
        if word == "oversize":
            i = 0
            while sum(len(r) for r in recs) < 4200:
                filler = b"filler%d=" % i + b"x" * 200
                recs.append(rr(b"\xc0\x0c", T_TXT, 300, txt_rdata([filler])))
                i += 1
        soa = self.soa(name) if not recs else []
        out = (header(qid, qflags, 0, len(recs), len(soa)) + question
               + b"".join(recs) + b"".join(soa))
        delay = arg / 1000.0 if word == "slow" else 0
        return out, delay, False


class Log:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def write(self, proto, msg):
        if self.path is None:
            return
        q = parse_query(msg)
        if q is None:
            return
        with self.lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(f"{proto} {q[2]} {q[3]}\n")


def serve(args):
    answerer = Answerer(Zone(args.zone))
    log = Log(args.log)

    class UDPHandler(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            log.write("udp", data)
            out, delay, _ = answerer.answer(data, "udp")
            if out is None:
                return
            if delay:
                time.sleep(delay)
            sock.sendto(out, self.client_address)

    class TCPHandler(socketserver.BaseRequestHandler):
        def handle(self):
            conn = self.request
            conn.settimeout(10)
            try:
                while True:
                    head = conn.recv(2, socket.MSG_WAITALL)
                    if len(head) < 2:
                        return
                    n = struct.unpack(">H", head)[0]
                    data = conn.recv(n, socket.MSG_WAITALL)
                    log.write("tcp", data)
                    out, delay, close = answerer.answer(data, "tcp")
                    if close:
                        return
                    if out is None:
                        time.sleep(args.lifetime)
                        return
                    if delay:
                        time.sleep(delay)
                    out = struct.pack(">H", len(out)) + out
                    if answerer.drip(data):
                        for i in range(len(out)):
                            conn.sendall(out[i:i + 1])
                            time.sleep(answerer.drip(data) / 1000.0)
                    else:
                        conn.sendall(out)
            except OSError:
                return

    class UDPServer(socketserver.ThreadingUDPServer):
        daemon_threads = True
        max_packet_size = 65535

        def server_bind(self):
            # A flood of queries must not crowd out the others in the
            # kernel's queue: a resolver in front of dkimd is not that
            # easily filled. SO_RCVBUFFORCE (root) passes rmem_max.
            for opt in (getattr(socket, "SO_RCVBUFFORCE", 33),
                        socket.SO_RCVBUF):
                try:
                    self.socket.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)
                    break
                except OSError:
                    continue
            super().server_bind()

    class TCPServer(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    udp = UDPServer(("127.0.0.1", args.port), UDPHandler)
    tcp = TCPServer(("127.0.0.1", args.port), TCPHandler)
    for srv in (udp, tcp):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    if args.pidfile:
        tmp = args.pidfile + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write(f"{os.getpid()}\n")
        os.rename(tmp, args.pidfile)
    time.sleep(args.lifetime)
    os._exit(0)


def main():
    p = argparse.ArgumentParser(description="DNS fault injection for tests")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--zone", required=True)
    p.add_argument("--lifetime", type=float, default=60)
    p.add_argument("--pidfile")
    p.add_argument("--log")
    serve(p.parse_args())


if __name__ == "__main__":
    main()
