#!/usr/bin/python3
# gen-msg.py - write a random but reproducible RFC 5322 message for DKIM tests
#
#	gen-msg.py [--seed N] [--lf] [--charset ascii|utf8|latin1|mixed]
#		   [--body text|empty|blank] [--size BYTES] [--long-lines]
#		   [--tricky-headers] [--rcpts N] [--no-final-eol]
#		   [--from-domain D] > msg
#
# The same arguments always give the same bytes (Python's random.Random
# seeded with N; no clock, no environment). What it puts in, to exercise
# both canonicalizations of RFC 6376 section 3.4:
#   - headers: the usual From/To/Subject/Date/Message-ID, repeated ones
#     (Received, X-Tag), folded ones (continuation lines starting with
#     space or tab), runs of WSP and trailing WSP in values, mixed-case names,
#     and 8-bit (RFC 6532) text in Subject when the charset is not ascii.
#     No WSP before the colon (obsolete syntax, RFC 5322 section 4.5.3):
#     dkimpy refuses such a message outright;
#   - body: lines with trailing spaces and tabs, runs of WSP inside lines,
#     empty lines inside and at the end, 8-bit text (UTF-8 or Latin-1 bytes),
#     and with --long-lines lines of up to 998 octets;
#   - --body empty: no body at all (headers, then the empty line);
#     --body blank: a body of empty lines only (both canonicalize to CRLF or
#     nothing, section 3.4.3/3.4.4);
#   - --size BYTES: body grown to about BYTES (multi-megabyte tests);
#   - --lf: bare LF line ends instead of CRLF;
#   - --tricky-headers: X-Rep three times, X-Mixed-Case twice in other
#     cases, a value of WSP only, a field folded right after the colon;
#   - --rcpts N: a To field with N addresses folded over many lines;
#   - --no-final-eol: the last body line has no line end (RFC 6376
#     section 3.4.3: simple body canonicalization adds the CRLF).
# Only the standard library is used; run it with /usr/bin/python3.
import argparse
import random
import sys

WORDS = ("dkim signature canonical relaxed simple body hash header field "
         "selector domain key record verify sign message mail transfer agent "
         "milter postfix sendmail resolver base64 whitespace folded").split()
UTF8 = ("Grüße", "naïve", "façade", "Ελληνικά", "日本語", "Привет", "€100",
        "smörgåsbord", "☃")
LATIN1 = ("Grüße", "naïve", "façade", "smörgåsbord", "£5", "¿qué?", "Ågot")


def word(rng, charset):
    """word - one word as bytes, 8-bit now and then when charset allows"""
    if charset != "ascii" and rng.random() < 0.15:
        cs = charset if charset != "mixed" else rng.choice(("utf8", "latin1"))
        if cs == "utf8":
            return rng.choice(UTF8).encode("utf-8")
        return rng.choice(LATIN1).encode("latin-1")
    return rng.choice(WORDS).encode("ascii")


def sentence(rng, charset, n):
    """sentence - n words joined by single spaces, now and then a WSP run"""
    out = b""
    for i in range(n):
        if i:
            out += rng.choice((b" ", b" ", b" ", b"  ", b"\t", b" \t "))
        out += word(rng, charset)
    return out


def fold(rng, name, value_words):
    """fold - a header field split over continuation lines (a list of lines)"""
    lines = [name + b":"]
    for w in value_words:
        if len(lines[-1]) > 30 and rng.random() < 0.4:
            lines.append(rng.choice((b" ", b"\t", b"    ")) + w)
        else:
            lines[-1] += b" " + w
    return lines


def headers(rng, charset, from_domain, with_to):
    """headers - the header block as a list of lines (no line ends)"""
    hs = []
    for i in range(rng.randint(1, 3)):
        hs.extend(fold(rng, b"Received", [
            b"from", b"relay%d.example.net" % i, b"(relay%d" % i,
            b"[192.0.2.%d])" % (i + 1), b"by", b"mx.example.com", b"with",
            b"ESMTPS", b"id", b"%08X;" % rng.getrandbits(32),
            b"Mon,", b"%d" % rng.randint(1, 28), b"Jul", b"2024",
            b"10:%02d:%02d" % (rng.randint(0, 59), rng.randint(0, 59)),
            b"+0000"]))
    user = rng.choice((b"alice", b"bob", b"carol", b"dave"))
    hs.append(b"From: " + user.capitalize() + b" <" + user + b"@" +
              from_domain.encode("ascii") + b">")
    to = fold(rng, b"To", [b"Suzie Q <suzie@shopping.example.net>,",
                           b"joe@football.example.com,",
                           b"\"List\" <list@lists.example.org>"])
    if with_to:
        hs.extend(to)
    subj = sentence(rng, charset, rng.randint(2, 14))
    hs.extend(fold(rng, b"Subject", subj.split(b" ")))
    hs.append(b"Date: Mon, %d Jul 2024 10:%02d:%02d +0000" % (
        rng.randint(1, 28), rng.randint(0, 59), rng.randint(0, 59)))
    hs.append(b"Message-ID: <%016x@%s>" % (rng.getrandbits(64),
                                            from_domain.encode("ascii")))
    extra = [
        lambda: [b"X-Tag: " + sentence(rng, "ascii", 2)],
        lambda: [b"X-Tag: " + sentence(rng, "ascii", 3) + b"  "],
        lambda: [b"x-MiXeD-cAsE: Value\t With  Runs \t"],
        lambda: [b"X-Empty:"],
        lambda: fold(rng, b"Keywords", sentence(rng, "ascii", 12).split()),
        lambda: [b"MIME-Version: 1.0"],
        lambda: [b"Content-Type: text/plain; charset=" +
                 (b"utf-8" if charset != "latin1" else b"iso-8859-1")],
    ]
    for _ in range(rng.randint(1, 6)):
        hs.extend(rng.choice(extra)())
    return hs


def tricky(rng):
    """tricky - header fields that test selection and canonicalization"""
    return [b"X-Rep: first", b"x-mixed-case: lower", b"X-Rep:second",
            b"X-WS: \t  ", b"X-MIXED-CASE:\tUPPER ", b"X-Folded:",
            b"\tvalue on the next line", b"X-Rep:  third  \t",
            b"X-Seq: %d" % rng.randint(0, 999)]


def rcpts(n):
    """rcpts - a To field with n addresses, folded after each comma"""
    lines = [b"To: r0@rcpt.example.net,"]
    for i in range(1, n):
        lines.append(b" r%d@rcpt.example.net%s" % (i, b"," if i < n - 1
                                                     else b""))
    return lines


def body(rng, charset, kind, size, long_lines):
    """body - the body as a list of lines (no line ends)"""
    if kind == "empty":
        return None
    if kind == "blank":
        return [b""] * rng.randint(1, 4)
    lines = []
    total = 0
    target = size if size else rng.randint(50, 4000)
    while total < target:
        r = rng.random()
        if r < 0.12:
            line = b""
        elif long_lines and r < 0.2:
            line = sentence(rng, charset, 400)[:rng.randint(200, 998)]
        else:
            line = sentence(rng, charset, rng.randint(1, 14))
            if rng.random() < 0.2:
                line += rng.choice((b" ", b"\t", b"  \t", b" \t "))
            if rng.random() < 0.05:
                line = rng.choice((b" ", b"\t")) + line
        lines.append(line)
        total += len(line) + 2
    for _ in range(rng.choice((0, 0, 1, 3))):
        lines.append(rng.choice((b"", b"", b" ", b"\t")))
    return lines


def main():
    """main - parse the options, write one message to standard output"""
    ap = argparse.ArgumentParser(description="random message for DKIM tests")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lf", action="store_true", help="bare LF line ends")
    ap.add_argument("--charset", default="mixed",
                    choices=("ascii", "utf8", "latin1", "mixed"))
    ap.add_argument("--body", default="text",
                    choices=("text", "empty", "blank"))
    ap.add_argument("--size", type=int, default=0, help="body bytes, about")
    ap.add_argument("--long-lines", action="store_true")
    ap.add_argument("--tricky-headers", action="store_true")
    ap.add_argument("--rcpts", type=int, default=0)
    ap.add_argument("--no-final-eol", action="store_true")
    ap.add_argument("--from-domain", default="example.org")
    a = ap.parse_args()
    if a.size < 0 or a.size > 256 * 1024 * 1024:
        ap.error("--size out of range (0 .. 256 MiB)")
    if a.rcpts < 0 or a.rcpts > 100000:
        ap.error("--rcpts out of range (0 .. 100000)")

    rng = random.Random(a.seed)
    eol = b"\n" if a.lf else b"\r\n"
    hs = headers(rng, a.charset, a.from_domain, not a.rcpts)
    if a.tricky_headers:
        hs.extend(tricky(rng))
    if a.rcpts:
        hs.extend(rcpts(a.rcpts))
    bd = body(rng, a.charset, a.body, a.size, a.long_lines)
    out = sys.stdout.buffer
    out.write(eol.join(hs) + eol + eol)
    if bd is not None:
        if a.no_final_eol:
            while len(bd) > 1 and bd[-1].strip() == b"":
                bd.pop()
            out.write(eol.join(bd))
        else:
            out.write(eol.join(bd) + eol)
    return 0


if __name__ == "__main__":
    sys.exit(main())
