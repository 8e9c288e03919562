#!/usr/bin/env python3
"""peer-corpus.py - collect every verification dkimpy's own test suite makes

    python3 t/peer-corpus.py OUTDIR
    python3 t/peer-corpus.py --compare OUTDIR DIGEST PORT DKIMTOOL

Runs the test modules that Debian's python3-dkim ships (dkim.tests:
test_dkim, test_dkim_ed25519, test_dkim_rsavariants, test_arc) with
dkim.verify(), dkim.DKIM.verify() and dkim.arc_verify() wrapped: each call is made as the test makes it
(the test still passes or fails on dkimpy's own answer), and is also
written down as a case for another verifier:

    OUTDIR/N.eml        the bytes dkimpy verified
    OUTDIR/N.records    the key records the test's dnsfunc gives for the
                        message's DKIM-Signature fields, as t/lib/dns.sh
                        reads them ("NAME VALUE" a line)
    OUTDIR/cases.tsv    N, the test, dkimpy's answer (1 pass, 0 not;
                        for ARC its cv: pass, fail, none), the
                        signature verified (idx, "any", or "arc": the
                        chain, dkim.arc_verify()), and the
                        record set's digest (cases that share it share
                        one DNS server start)

A name the test's dnsfunc does not know (it asserts) is left out: the
other verifier then finds no key, as dkimpy would. Prints one line per
test module: how many tests ran and failed under dkimpy itself.

--compare runs DKIMTOOL verify on the cases of one record set (DIGEST),
with the DNS server on 127.0.0.1:PORT serving that set, and prints a TAP
line per case (no numbers): ok when dkimd's verdict (pass or not, for
the signature dkimpy verified) is dkimpy's. OUTDIR/known.tsv lists, by
test, where dkimd is stricter than dkimpy by design (test, TAB, a
regular expression dkimd's result and comment must match, TAB, why);
there that "no pass" from dkimd against dkimpy's pass is ok, never the
other way round: dkimd passing what dkimpy refused is always a failure.
"""
import hashlib
import os
import re
import sys
import unittest

if len(sys.argv) > 1 and sys.argv[1] == "--compare":
    import subprocess

    def results(ar):
        """(result, comment, header.b) of each dkim= of an A-R field"""
        text = re.sub(r"\r?\n[ \t]+", " ", ar)
        out = []
        for part in text.split(";")[1:]:
            m = re.match(r"\s*dkim=(\w+)\s*(\(([^)]*)\))?", part)
            if not m:
                continue
            b = re.search(r'header\.b="?([^"\s]+)', part)
            out.append((m.group(1), m.group(3) or "", b.group(1) if b else ""))
        return out

    def b_values(message):
        head = re.split(rb"\r?\n\r?\n", message, maxsplit=1)[0]
        vals = []
        for f in re.split(rb"\r?\n(?![ \t])", head):
            if f.lower().startswith(b"dkim-signature:"):
                m = re.search(rb"(?:^|;)\s*b\s*=\s*([^;]*)",
                              f.split(b":", 1)[1])
                vals.append(re.sub(rb"\s+", b"", m.group(1)).decode()
                            if m else "")
        return vals

    _, _, out, digest, port, tool = sys.argv[:6]
    known = {}
    for line in open(os.path.join(out, "known.tsv")):
        if line.strip() and not line.startswith("#"):
            test, rx, why = line.rstrip("\n").split("\t", 2)
            known[test] = (re.compile(rx), why)
    for line in open(os.path.join(out, "cases.tsv")):
        n, test, peer, idx, dg = line.rstrip("\n").split("\t")
        if dg != digest:
            continue
        path = os.path.join(out, n + ".eml")
        p = subprocess.run([tool, "verify", "--nameserver",
                            "127.0.0.1:" + port, "--timeout", "3000", path],
                           capture_output=True, text=True, errors="replace")
        res = results(p.stdout)
        if idx == "arc":
            m = re.search(r"\barc=(\w+)", re.sub(r"\r?\n[ \t]+", " ",
                                                  p.stdout))
            got = m.group(1) if m else "no arc= result"
            desc = "%s #%s (ARC chain): dkimpy cv=%s, dkimd arc=%s" % (
                test, n, peer, got)
            if got == peer:
                print("ok - " + desc)
            else:
                print("not ok - " + desc)
                for l in (p.stdout + p.stderr).splitlines()[:6]:
                    print("#   " + l)
            continue
        if idx == "any":
            ours = 1 if p.returncode == 0 else 0
            what = "any signature"
            got = ", ".join(r[0] + (" (%s)" % r[1] if r[1] else "")
                            for r in res) or "none"
        else:
            bs = b_values(open(path, "rb").read())
            want = bs[int(idx)] if int(idx) < len(bs) else ""
            hit = [r for r in res if r[2] and want.startswith(r[2])]
            ours = 1 if hit and hit[0][0] == "pass" else 0
            what = "signature %s" % idx
            got = hit[0][0] if hit else "no result for it"
            if hit and hit[0][1]:
                got += " (%s)" % hit[0][1]
        desc = "%s #%s (%s): dkimpy %s, dkimd %s" % (
            test, n, what, "pass" if peer == "1" else "no pass", got)
        if int(peer) == ours:
            print("ok - " + desc)
        elif test in known and ours == 0 and known[test][0].search(got):
            print("ok - %s # dkimd stricter by design: %s" %
                  (desc, known[test][1]))
        else:
            print("not ok - " + desc)
            for l in (p.stdout + p.stderr).splitlines()[:6]:
                print("#   " + l)
    sys.exit(0)

import dkim
import dkim.tests

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
cases = []
current = ["?"]


def sig_names(message):
    """(selector, domain) of each DKIM-Signature field, in order"""
    head = re.split(rb"\r?\n\r?\n", message, maxsplit=1)[0]
    fields = re.split(rb"\r?\n(?![ \t])", head)
    names = []
    for f in fields:
        if not f.lower().startswith((b"dkim-signature:", b"arc-seal:",
                                     b"arc-message-signature:")):
            continue
        v = re.sub(rb"\s+", b"", f.split(b":", 1)[1])
        tags = dict(t.split(b"=", 1) for t in v.split(b";") if b"=" in t)
        names.append((tags.get(b"s", b""), tags.get(b"d", b"")))
    return names


def record(message, dnsfunc, result, idx):
    recs = []
    for s, d in sig_names(message):
        name = s + b"._domainkey." + d + b"."
        try:
            txt = dnsfunc(name)
        except Exception:           # the test's dict asserts on others
            txt = None
        if txt is None or re.search(rb"[\s\x00-\x1f]", name):
            continue
        if isinstance(txt, str):
            txt = txt.encode()
        txt = b"".join(txt.split(b"\n"))
        recs.append(name[:-1].decode("ascii", "replace") + " " +
                    txt.decode("ascii", "replace"))
    recs = sorted(set(recs))
    digest = hashlib.sha1("\n".join(recs).encode()).hexdigest()[:12]
    n = len(cases)
    with open(os.path.join(OUT, "%d.eml" % n), "wb") as f:
        f.write(message)
    with open(os.path.join(OUT, "%d.records" % n), "w") as f:
        f.write("".join(r + "\n" for r in recs))
    if idx == "arc":
        verdict = result.decode()
    else:
        verdict = 1 if result else 0
    cases.append((n, current[0], verdict,
                  "any" if idx is None else str(idx), digest))


orig_verify = dkim.verify
orig_dkim_verify = dkim.DKIM.verify


inner = [False]     # dkim.verify() calls DKIM.verify(): one case, not two


def verify(message, logger=None, dnsfunc=dkim.get_txt, minkey=1024,
           timeout=5, tlsrpt=False):
    inner[0] = True
    try:
        r = orig_verify(message, logger=logger, dnsfunc=dnsfunc,
                        minkey=minkey, timeout=timeout, tlsrpt=tlsrpt)
    finally:
        inner[0] = False
    record(message, dnsfunc, r, None)
    return r


def dkim_verify(self, idx=0, dnsfunc=dkim.get_txt):
    r = orig_dkim_verify(self, idx=idx, dnsfunc=dnsfunc)
    if inner[0]:
        return r
    # the message as DKIM() holds it: its fields, then its body
    message = b"".join(k + b":" + v for k, v in self.headers) + \
        b"\r\n" + self.body
    record(message, dnsfunc, r, idx)
    return r


orig_arc_verify = dkim.arc_verify


def arc_verify(message, logger=None, dnsfunc=dkim.get_txt, minkey=1024,
               timeout=5):
    r = orig_arc_verify(message, logger=logger, dnsfunc=dnsfunc,
                        minkey=minkey, timeout=timeout)
    record(message, dnsfunc, r[0], "arc")
    return r


dkim.verify = verify
dkim.DKIM.verify = dkim_verify
dkim.arc_verify = arc_verify


class Tracker(unittest.TextTestResult):
    def startTest(self, test):
        current[0] = test.id().replace("dkim.tests.", "")
        super().startTest(test)


for mod in ("test_dkim", "test_dkim_ed25519", "test_dkim_rsavariants",
            "test_arc"):
    m = __import__("dkim.tests." + mod, fromlist=["test_suite"])
    suite = unittest.defaultTestLoader.loadTestsFromModule(m)
    with open(os.devnull, "w") as null:
        res = unittest.TextTestRunner(stream=null, resultclass=Tracker,
                                      verbosity=0).run(suite)
    print("%s: %d tests, %d failed or errors under dkimpy" %
          (mod, res.testsRun, len(res.failures) + len(res.errors)))

with open(os.path.join(OUT, "cases.tsv"), "w") as f:
    for c in cases:
        f.write("\t".join(str(x) for x in c) + "\n")
print("%d verifications written" % len(cases))
