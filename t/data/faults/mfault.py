#!/usr/bin/python3
"""mfault.py - a milter client (the MTA side) that misbehaves on purpose

    mfault.py PORT FAULT [ARG]

Talks milter protocol version 6 to 127.0.0.1:PORT (never anywhere else)
and does one thing per run; exit 0 when the milter behaved as it should,
1 with a reason on stderr when it did not. Every read has a time limit.

Good messages (the milter must do its job):
    sign                a message as submitted mail (daemon ORIGINATING):
                        a DKIM-Signature must be inserted
    verify FILE         FILE as inbound mail: the Authentication-Results
                        inserted must say dkim=pass
    verify-result FILE RESULT [SECONDS]
                        the same, wanting dkim=RESULT, within SECONDS
    two                 two messages on one connection, both signed

Faults (the milter must survive them; what it answers does not matter,
but it must neither hang past the time limit nor crash):
    gone-header         connection closed in the middle of the header
    gone-body           connection closed in the middle of the body
    gone-eom            closed right after end-of-message, reply unread
    abort-then-sign     SMFIC_ABORT mid-body, then a second message on
                        the same connection, which must be signed
    zero-length         a packet of length 0 followed by a command byte:
                        the milter must close the connection, or go on
                        and sign a message on it, within 10 s
    huge-length         a packet announcing 2 GB, then a few bytes: the
                        milter must close the connection, not wait or
                        allocate (checked within 10 s)
    unknown-command     command bytes no milter knows, then a message
    no-nul              header and macro packets without their NULs
    bad-connect         SMFIC_CONNECT with a bad family and short data
    bad-optneg          option negotiation with version 0 and short data
    early-eom           end-of-message before any header or MAIL
    body-before-header  a body chunk before MAIL and the header
    many N              N connections at once, each negotiated; while
                        they are open a message must be signed; then
                        half vanish and half quit
"""
import socket
import struct
import sys
import time

NOCONNECT, NOHELO, NOMAIL, NORCPT = 0x1, 0x2, 0x4, 0x8
NOBODY, NOHDRS, NOEOH, NR_HDR = 0x10, 0x20, 0x40, 0x80
NODATA = 0x200
NR_CONN, NR_HELO, NR_MAIL, NR_RCPT = 0x1000, 0x2000, 0x4000, 0x8000
NR_DATA, NR_EOH, NR_BODY = 0x10000, 0x40000, 0x80000
LEADSPC = 0x100000
ALL_ACTIONS = 0x1FF
ALL_STEPS = 0x1FFFFF
TIMEOUT = 20

MESSAGE = (b"From: User <user@example.com>\r\nTo: rcpt@example.net\r\n"
           b"Subject: fault test\r\nDate: Tue, 1 Dec 2026 12:00:00 +0000\r\n"
           b"Message-ID: <fault@example.com>\r\n\r\n"
           b"Hello.\r\n\r\nA body line.\r\n")


class Fail(Exception):
    pass


def packet(cmd, data=b""):
    return struct.pack("!I", len(data) + 1) + cmd + data


class Session:
    """One milter connection; follows the NO/NR flags the milter asks for."""

    def __init__(self, port, timeout=TIMEOUT):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.steps = 0

    def send(self, cmd, data=b""):
        self.s.sendall(packet(cmd, data))

    def raw(self, b):
        self.s.sendall(b)

    def recv(self):
        def exact(n):
            buf = b""
            while len(buf) < n:
                chunk = self.s.recv(n - len(buf))
                if not chunk:
                    raise EOFError("milter closed the connection")
                buf += chunk
            return buf
        (n,) = struct.unpack("!I", exact(4))
        if n < 1 or n > 1 << 20:
            raise Fail("reply of length %d" % n)
        data = exact(n)
        return data[:1], data[1:]

    def step(self, cmd, data, no, nr):
        """send a command unless the milter said NO; reply unless NR"""
        if self.steps & no:
            return None
        self.send(cmd, data)
        if self.steps & nr:
            return None
        c, _ = self.recv()
        return c

    def negotiate(self):
        self.send(b"O", struct.pack("!III", 6, ALL_ACTIONS,
                                    ALL_STEPS | LEADSPC))
        cmd, data = self.recv()
        if cmd != b"O":
            raise Fail("no option negotiation reply")
        _, _, self.steps = struct.unpack("!III", data[:12])

    def hello(self, daemon):
        self.send(b"D", b"C{daemon_name}\0" + daemon + b"\0j\0mx.test\0")
        self.step(b"C", b"client.test\0" + b"4" + struct.pack("!H", 4711)
                  + b"127.0.0.1\0", NOCONNECT, NR_CONN)
        self.step(b"H", b"client.test\0", NOHELO, NR_HELO)

    def envelope(self, qid=b"FAULT1"):
        self.send(b"D", b"Mi\0" + qid + b"\0")
        self.step(b"M", b"<user@example.com>\0", NOMAIL, NR_MAIL)
        self.step(b"R", b"<rcpt@example.net>\0", NORCPT, NR_RCPT)
        self.step(b"T", b"", NODATA, NR_DATA)

    def headers(self, msg, upto=None):
        head, _, body = msg.replace(b"\r\n", b"\n").partition(b"\n\n")
        fields = []
        for line in head.split(b"\n"):
            if line[:1] in (b" ", b"\t") and fields:
                fields[-1][1] += b"\n" + line
            elif b":" in line:
                name, _, value = line.partition(b":")
                fields.append([name, value])
        for i, (name, value) in enumerate(fields):
            if upto is not None and i >= upto:
                return body
            self.step(b"L", name + b"\0" + value + b"\0", NOHDRS, NR_HDR)
        return body

    def eoh(self):
        return self.step(b"N", b"", NOEOH, NR_EOH)

    def body(self, body):
        body = body.replace(b"\n", b"\r\n")
        for i in range(0, len(body), 65535):
            if self.step(b"B", body[i:i + 65535], NOBODY, NR_BODY) == b"s":
                break

    def eom(self):
        self.send(b"E")
        mods = []
        while True:
            cmd, data = self.recv()
            if cmd in (b"i", b"m", b"h"):
                mods.append((cmd, data))
            elif cmd in (b"p",):
                continue
            else:
                return mods, cmd

    def message(self, msg, daemon, qid=b"FAULT1"):
        self.envelope(qid)
        body = self.headers(msg)
        self.eoh()
        self.body(body)
        return self.eom()

    def close(self):
        self.s.close()


def field(mods, name):
    """the values of inserted or added fields called name"""
    out = []
    for cmd, data in mods:
        if cmd == b"i":
            data = data[4:]
        if cmd in (b"i", b"h"):
            n, v = data.split(b"\0")[:2]
            if n.lower() == name.lower():
                out.append(v)
    return out


def sign_on(sess, qid=b"FAULT1"):
    mods, final = sess.message(MESSAGE, b"ORIGINATING", qid)
    if not field(mods, b"DKIM-Signature"):
        raise Fail("no DKIM-Signature inserted (reply %r, %d changes)"
                   % (final, len(mods)))


def good_sign(port):
    s = Session(port)
    s.negotiate()
    s.hello(b"ORIGINATING")
    sign_on(s)
    s.send(b"Q")
    s.close()


def good_verify(port, path, want=b"pass", limit=TIMEOUT):
    msg = open(path, "rb").read()
    t0 = time.monotonic()
    s = Session(port, timeout=limit)
    s.negotiate()
    s.hello(b"INBOUND")
    mods, final = s.message(msg, b"INBOUND")
    ar = field(mods, b"Authentication-Results")
    took = time.monotonic() - t0
    s.close()
    if not ar or (b"dkim=" + want) not in ar[0]:
        raise Fail("Authentication-Results %r, want dkim=%s"
                   % (ar, want.decode()))
    if took > limit:
        raise Fail("took %.1f s, limit %s" % (took, limit))
    print("# %.2f s: %s" % (took, ar[0].decode("latin-1")
                              .replace("\n", " ").replace("\r", "")))


def started(port, daemon=b"ORIGINATING"):
    s = Session(port)
    s.negotiate()
    s.hello(daemon)
    return s


def closed_within(s, secs):
    """1 when the milter closes s within secs (anything it sends is read)"""
    s.s.settimeout(secs)
    end = time.monotonic() + secs
    try:
        while time.monotonic() < end:
            if not s.s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def fault(port, name, args):
    if name == "sign":
        good_sign(port)
    elif name == "verify":
        good_verify(port, args[0])
    elif name == "verify-result":
        good_verify(port, args[0], args[1].encode(),
                    float(args[2]) if len(args) > 2 else TIMEOUT)
    elif name == "two":
        s = started(port)
        sign_on(s, b"TWO1")
        sign_on(s, b"TWO2")
        s.send(b"Q")
        s.close()
    elif name == "gone-header":
        s = started(port)
        s.envelope(b"GONEH1")
        s.headers(MESSAGE, upto=2)
        s.close()
    elif name == "gone-body":
        s = started(port)
        s.envelope(b"GONEB1")
        body = s.headers(MESSAGE)
        s.eoh()
        s.send(b"B", body[:5])
        s.close()
    elif name == "gone-eom":
        s = started(port)
        s.envelope(b"GONEE1")
        body = s.headers(MESSAGE)
        s.eoh()
        s.body(body)
        s.send(b"E")
        s.close()
    elif name == "abort-then-sign":
        s = started(port)
        s.envelope(b"ABRT1")
        body = s.headers(MESSAGE)
        s.eoh()
        s.step(b"B", body[:5], NOBODY, NR_BODY)
        s.send(b"A")
        sign_on(s, b"ABRT2")
        s.send(b"Q")
        s.close()
    elif name == "zero-length":
        s = Session(port, timeout=10)
        s.negotiate()
        s.hello(b"ORIGINATING")
        s.raw(struct.pack("!I", 0) + b"L")
        try:
            sign_on(s, b"ZERO1")
            print("# the connection went on and signed a message")
        except (EOFError, ConnectionResetError, BrokenPipeError):
            print("# the milter closed the connection")
    elif name == "huge-length":
        s = started(port)
        s.raw(struct.pack("!I", 0x80000000) + b"L" + b"x" * 100)
        if not closed_within(s, 10):
            raise Fail("connection still open 10 s after a 2 GB length")
    elif name == "unknown-command":
        s = started(port)
        for c in (b"Z", b"\0", b"\xff", b"U"):
            s.send(c, b"junk\0")
        # the milter may answer each or close; either way no crash
        s.close()
    elif name == "no-nul":
        s = started(port)
        s.send(b"D", b"Mi")
        s.envelope(b"NONUL1")
        s.send(b"L", b"From")
        s.send(b"L", b"X-Only-Name\0")
        s.send(b"L", b"")
        s.close()
    elif name == "bad-connect":
        s = Session(port)
        s.negotiate()
        s.send(b"C", b"host\0" + b"9" + b"\x00")
        s.send(b"C", b"")
        s.send(b"C", b"x" * 70000)
        s.close()
    elif name == "bad-optneg":
        s = Session(port)
        s.send(b"O", struct.pack("!III", 0, 0, 0))
        s.close()
        s = Session(port)
        s.send(b"O", b"\0\0")
        s.close()
    elif name == "early-eom":
        s = Session(port)
        s.negotiate()
        s.send(b"E")
        s.send(b"N")
        s.close()
    elif name == "body-before-header":
        s = started(port)
        s.send(b"B", b"body first\r\n")
        s.send(b"L", b"From\0 x@example.com\0")
        s.send(b"E")
        s.close()
    elif name == "many":
        many(port, int(args[0]))
    else:
        raise SystemExit("unknown fault " + name)


def many(port, n):
    conns = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        s.sendall(packet(b"O", struct.pack("!III", 6, ALL_ACTIONS,
                                           ALL_STEPS | LEADSPC)))
        conns.append(s)
    answered = 0
    for s in conns:
        try:
            (ln,) = struct.unpack("!I", s.recv(4, socket.MSG_WAITALL))
            if s.recv(ln, socket.MSG_WAITALL)[:1] == b"O":
                answered += 1
        except (OSError, struct.error):
            pass
    t0 = time.monotonic()
    good_sign(port)
    print("# %d of %d connections negotiated; a message signed in %.2f s "
          "while they were open" % (answered, n, time.monotonic() - t0))
    for i, s in enumerate(conns):
        if i % 2:
            s.sendall(packet(b"Q"))
        s.close()
    if answered != n:
        raise Fail("only %d of %d connections were served" % (answered, n))


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    try:
        fault(int(sys.argv[1]), sys.argv[2], sys.argv[3:])
    except (Fail, OSError, EOFError) as e:
        if sys.argv[2] in ("sign", "verify", "verify-result", "two",
                           "abort-then-sign", "many", "zero-length",
                           "huge-length"):
            print("mfault %s: %s" % (sys.argv[2], e), file=sys.stderr)
            sys.exit(1)
        # other faults may see the milter hang up on them: that is fine
        print("# %s: the milter hung up (%s)" % (sys.argv[2], e))


if __name__ == "__main__":
    main()
