#!/usr/bin/python3
"""
make-cases.py - write the hostile-input cases of t/test_hostile.c

Usage: /usr/bin/python3 t/data/hostile/make-cases.py [--check]

Each case becomes t/data/hostile/NAME.eml: a few "# directive" lines
(expect, cause, records, records-fail, fill, mode, key, signer, note) and then
the message. The .eml files are committed, so the test needs nothing
from here at run time; run this again only to change the cases.

Signatures are made here, independently of dkimcore: canonicalization
and header selection follow RFC 6376 sections 3.4 and 5.4.2, the hashes
come from hashlib and the signatures from openssl(1) with the RFC 8463
Appendix A keys (keys/rfc8463-*.pem) and test keys made with
"openssl genpkey" (keys/short512.rsa.pem, keys/big2048.rsa.pem,
keys/big4096.rsa.pem, keys/ec256.pem). A
hostile signature is made valid wherever it can be, so that only the
hostile detail stands between it and "pass". With --check, the cases
expected to pass are also checked with dkimpy (python3-dkim). Output
is the same on every run but for key-rsa-holds-ec.eml, whose ECDSA
signature is randomized.
"""

import base64
import hashlib
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "keys")
NOW = 1700000000        # the test's clock (t/test_hostile.c)
T_PAST = 1690000000
DOM = "football.example.com"
RSA = "keys/rfc8463-test.rsa.pem"
ED = "keys/rfc8463-brisbane.ed25519.pem"
R512 = "keys/short512.rsa.pem"
R2048 = "keys/big2048.rsa.pem"
R4096 = "keys/big4096.rsa.pem"
EC256 = "keys/ec256.pem"
SEL_KEY = {"test": RSA, "brisbane": ED, "short": R512, "big": R2048,
           "huge": R4096}

# ---- RFC 6376 section 3.4: canonicalization -------------------------


def lf_to_crlf(b):
    """bare LF counts as CRLF; a bare CR stays an ordinary byte"""
    return re.sub(rb"(?<!\r)\n", b"\r\n", b)


def body_canon(body, canon, length=None):
    body = lf_to_crlf(body)
    if canon == "relaxed":
        lines = body.split(b"\r\n")
        last = lines.pop()          # text after the last CRLF
        out = []
        for ln in lines:
            ln = re.sub(rb"[ \t]+", b" ", ln).rstrip(b" ")
            out.append(ln + b"\r\n")
        if last:
            last = re.sub(rb"[ \t]+", b" ", last).rstrip(b" ")
            out.append(last + b"\r\n" if last else b"")
        body = b"".join(out)
        while body.endswith(b"\r\n\r\n"):
            body = body[:-2]
        if body == b"\r\n":
            body = b""
    else:
        if body and not body.endswith(b"\r\n"):
            body += b"\r\n"
        while body.endswith(b"\r\n\r\n"):
            body = body[:-2]
        if body == b"":
            body = b"\r\n"
    if length is not None:
        body = body[:length]
    return body


def split_fields(head):
    """raw fields (with their line ends) of a header block"""
    fields = []
    for line in re.split(rb"(?<=\n)", head):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        else:
            fields.append(line)
    return fields


def field_name(f):
    return f.split(b":", 1)[0].rstrip(b" \t").lower()


def hdr_canon(f, canon, crlf=True):
    f = lf_to_crlf(f)
    if f.endswith(b"\r\n"):
        f = f[:-2]
    if canon == "simple":
        return f + (b"\r\n" if crlf else b"")
    name, value = f.split(b":", 1)
    name = name.rstrip(b" \t").lower()
    value = value.replace(b"\r\n", b"")
    value = re.sub(rb"[ \t]+", b" ", value).strip(b" ")
    return name + b":" + value + (b"\r\n" if crlf else b"")


def select(fields, hnames):
    """RFC 6376 5.4.2: each name takes the lowest instance not yet used"""
    used = set()
    out = []
    for n in hnames:
        for i in range(len(fields) - 1, -1, -1):
            if i not in used and \
                    field_name(fields[i]) == n.lower().encode("latin-1"):
                used.add(i)
                out.append(fields[i])
                break
    return out

# ---- signing with openssl(1) ----------------------------------------


def sign(keyfile, alg, data):
    key = os.path.join(HERE, keyfile)
    with tempfile.NamedTemporaryFile() as tf:
        if alg == "ed25519-sha256":
            tf.write(hashlib.sha256(data).digest())
            tf.flush()
            cmd = ["openssl", "pkeyutl", "-sign", "-inkey", key, "-rawin",
                   "-in", tf.name]
        else:
            tf.write(data)
            tf.flush()
            md = "-sha1" if alg == "rsa-sha1" else "-sha256"
            cmd = ["openssl", "dgst", md, "-sign", key, tf.name]
        return subprocess.run(cmd, check=True, capture_output=True).stdout


def public_record(keyfile, pkcs1=False):
    key = os.path.join(HERE, keyfile)
    if "ed25519" in keyfile:
        der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout",
                              "-outform", "DER"], check=True,
                             capture_output=True).stdout
        return "v=DKIM1; k=ed25519; p=" + \
            base64.b64encode(der[-32:]).decode()
    if pkcs1:
        args = ["openssl", "rsa", "-in", key, "-RSAPublicKey_out",
                "-outform", "DER"]
    else:
        args = ["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"]
    der = subprocess.run(args, check=True, capture_output=True).stdout
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()

# ---- messages ---------------------------------------------------------


HEAD = (b"From: Joe SixPack <joe@football.example.com>\r\n"
        b"To: Suzie Q <suzie@shopping.example.net>\r\n"
        b"Subject: Is dinner ready?\r\n"
        b"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
        b"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n")
BODY = (b"Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\n"
        b"Joe.\r\n")
H = "from:to:subject:date:message-id"


def tagmap(tpl):
    """first value of each tag of a signature template (lenient)"""
    m = {}
    for spec in tpl.split(";"):
        if "=" in spec:
            k, v = spec.split("=", 1)
            k = k.strip()
            if k not in m:
                m[k] = re.sub(r"\s+", "", v)
    return m


def make_sig(tpl, head, body, key=None, calc=None, fname=b"DKIM-Signature: ",
             bkeep=True):
    """
    fill {bh} and {b} of a DKIM-Signature template for head and body.
    calc overrides what the template says about a, c, h, l (for
    templates whose own values are the hostile part).
    """
    tm = tagmap(tpl)
    tm.update(calc or {})
    alg = tm.get("a", "rsa-sha256")
    c = tm.get("c", "simple")
    hc, _, bc = c.partition("/")
    if hc not in ("simple", "relaxed"):
        hc = "relaxed"
    bc = bc if bc in ("simple", "relaxed") else "simple"
    length = int(tm["l"]) if re.fullmatch(r"\d{1,9}", tm.get("l", "")) \
        else None
    hnames = [x.strip() for x in tm.get("h", "from").split(":")]
    key = key or SEL_KEY.get(tm.get("s", "test"), RSA)
    hashf = hashlib.sha1 if alg == "rsa-sha1" else hashlib.sha256
    bh = base64.b64encode(hashf(body_canon(body, bc, length)).digest())
    sigf = fname + tpl.replace("{bh}", bh.decode()).encode(
        "latin-1")
    if bkeep:
        sigf_blank = sigf.replace(b"{b}", b"")
    else:
        # RFC 6376 3.7: the value "including all surrounding whitespace"
        sigf_blank = re.sub(rb"(b[ \t\r\n]*=)[ \t\r\n]*\{b\}[ \t\r\n]*",
                            rb"\1", sigf)
    data = b"".join(hdr_canon(f, hc) for f in
                    select(split_fields(head), hnames))
    data += hdr_canon(sigf_blank, hc, crlf=False)
    if alg == "rsa-sha1":
        sig = sign(key, alg, data)
    else:
        sig = sign(key, "ed25519-sha256" if "ed25519" in key
                   else "rsa-sha256", data)
    return sigf.replace(b"{b}", base64.b64encode(sig)) + b"\r\n"


def std(a="rsa-sha256", s="test", c="relaxed/relaxed", h=H, extra=""):
    return ("v=1; a=%s; c=%s; d=%s; s=%s;\r\n\tt=%d; h=%s;%s\r\n"
            "\tbh={bh};\r\n\tb={b}" % (a, c, DOM, s, T_PAST, h, extra))


STD = std()
CASES = []
REC = {}

# What test_hostile.c must find as each case's causes (dkim_cause_name),
# per signature, top down, where expect alone does not say it: a case
# whose results all pass has cause "pass" for each, "none" none.
CAUSES = {
    "a-rsa-sha1": "weak_alg",
    "a-unknown": "alg_unknown",
    "b-bad-base64": "sig_syntax",
    "b-ed25519-short": "bad_signature",
    "b-empty": "sig_syntax",
    "b-rsa-too-long": "bad_signature",
    "b-wrong-signature": "bad_signature",
    "bad-tag-name": "sig_syntax",
    "bh-bad-base64": "sig_syntax",
    "bh-bad-padding": "sig_syntax",
    "bh-wrong-length": "sig_syntax",
    "bh-wrong-value": "body_hash",
    "c-bogus": "sig_syntax",
    "c-bogus-body": "sig_syntax",
    "d-8bit": "sig_syntax",
    "d-address-literal": "sig_syntax",
    "d-crlf-inject": "sig_syntax",
    "d-dotdot": "sig_syntax",
    "d-empty": "sig_syntax",
    "d-label-300": "sig_syntax",
    "d-leading-dot": "sig_syntax",
    "d-name-300": "sig_syntax",
    "d-nul": "sig_syntax",
    "d-one-label": "sig_syntax",
    "d-paren": "sig_syntax",
    "d-semicolon": "sig_syntax",
    "d-space": "sig_syntax",
    "d-trailing-dot": "sig_syntax",
    "dup-tag-a": "sig_syntax",
    "dup-tag-b": "sig_syntax",
    "dup-tag-bh": "sig_syntax",
    "dup-tag-c": "sig_syntax",
    "dup-tag-d": "sig_syntax",
    "dup-tag-h": "sig_syntax",
    "dup-tag-i": "sig_syntax",
    "dup-tag-l": "sig_syntax",
    "dup-tag-q": "sig_syntax",
    "dup-tag-s": "sig_syntax",
    "dup-tag-t": "sig_syntax",
    "dup-tag-v": "sig_syntax",
    "dup-tag-x": "sig_syntax",
    "dup-tag-z": "sig_syntax",
    "first-line-wsp": "header_leading_wsp",
    "from-bare-cr": "from_syntax",
    "from-domain-literal": "from_syntax",
    "from-double-at": "from_syntax",
    "from-empty-value": "from_syntax",
    "from-group": "from_syntax",
    "from-latin1-name": "from_syntax",
    "from-none": "from_count",
    "from-nul": "from_syntax",
    "from-several-no-sender": "sender_count",
    "from-several-sender-list": "sender_mailboxes",
    "from-several-two-senders": "sender_count",
    "from-space-colon-plus-from": "from_count",
    "from-space-in-domain": "from_syntax",
    "from-two": "from_count",
    "from-two-case": "from_count",
    "from-two-oversigned": "from_count",
    "from-u-label": "from_syntax",
    "from-unclosed-comment": "from_syntax",
    "fws-around-b-kept": "bad_signature",
    "h-1001-names": "sig_syntax",
    "h-dkim-signature-oversigned": "bad_signature pass",
    "h-dkim-signature-self": "bad_signature",
    "h-empty-item": "sig_syntax",
    "h-two-received-swapped": "bad_signature",
    "h-without-from": "sig_syntax",
    "i-8bit-local": "sig_syntax",
    "i-no-at": "sig_syntax",
    "i-nul": "sig_syntax",
    "i-outside-d": "sig_syntax",
    "i-qp-bad-escape": "sig_syntax",
    "i-qp-crlf": "sig_syntax",
    "i-qp-nul": "sig_syntax",
    "i-qp-outside-d": "sig_syntax",
    "i-qp-short-escape": "sig_syntax",
    "i-subdomain-key-strict": "key_strict",
    "i-suffix-trick": "sig_syntax",
    "key-bad-answer": "dns_perm",
    "key-ed25519-for-rsa": "key_type",
    "key-ed25519-short": "key_invalid",
    "key-h-sha1-only": "key_hash",
    "key-h-unknown-only": "key_hash",
    "key-k-unknown": "key_syntax",
    "key-many-tags": "key_syntax",
    "key-missing-p": "key_syntax",
    "key-nxdomain": "no_key",
    "key-p-garbage": "key_syntax",
    "key-p-not-a-key": "key_invalid",
    "key-pasted-twice": "key_syntax",
    "key-pasted-twice-nosep": "key_syntax",
    "key-revoked": "key_revoked",
    "key-rsa-512": "short_key",
    "key-rsa-bytes-as-ed25519": "key_invalid",
    "key-rsa-for-ed25519": "key_type",
    "key-rsa-holds-ec": "key_invalid",
    "key-rsa-holds-ed25519": "key_invalid",
    "key-s-other": "key_syntax",
    "key-syntax-error": "key_syntax",
    "key-tempfail": "dns_temp",
    "key-v-dkim2": "key_syntax",
    "key-v-not-first": "key_syntax",
    "l-100-digits": "sig_syntax",
    "l-beyond-body": "l_beyond_body",
    "l-beyond-body-pass-configured": "l_beyond_body",
    "l-content-after": "unsigned_body",
    "l-content-after-simple": "unsigned_body",
    "l-hex": "sig_syntax",
    "l-negative": "sig_syntax",
    "l-zero": "unsigned_body",
    "missing-a": "sig_syntax",
    "missing-b": "sig_syntax",
    "missing-bh": "sig_syntax",
    "missing-d": "sig_syntax",
    "missing-h": "sig_syntax",
    "missing-s": "sig_syntax",
    "missing-v": "sig_syntax",
    "q-other": "sig_syntax",
    "s-8bit": "sig_syntax",
    "s-dotdot": "sig_syntax",
    "s-empty": "sig_syntax",
    "s-hyphen-first": "sig_syntax",
    "s-label-300": "sig_syntax",
    "s-nul": "sig_syntax",
    "s-paren": "sig_syntax",
    "s-semicolon": "sig_syntax",
    "s-slash": "sig_syntax",
    "s-space": "sig_syntax",
    "sig-empty-value": "sig_syntax",
    "sig-garbage": "sig_syntax",
    "sig-many-tags": "sig_syntax",
    "t-future": "future",
    "t-garbage": "sig_syntax",
    "t-huge": "sig_syntax",
    "tag-without-equals": "sig_syntax",
    "tampered-body": "body_hash",
    "tampered-header": "bad_signature",
    "two-sigs-different-l": "unsigned_body pass",
    "two-sigs-good-and-bad": "pass body_hash",
    "v-2": "sig_syntax",
    "v-empty": "sig_syntax",
    "x-before-t": "x_before_t",
    "x-expired": "expired",
    "x-huge": "sig_syntax",
}


def rec(sel, value=None, keyfile=None):
    return ("%s._domainkey.%s" % (sel, DOM),
            value if value is not None else
            public_record(keyfile or SEL_KEY[sel]))


def case(name, expect, note, tpl=STD, head=HEAD, body=BODY, records=None,
         key=None, calc=None, post=None, fails=(), fills=(), sigs=None,
         todo=None, extra=()):
    """one verification case; post(bytes) -> bytes alters the result"""
    if records is None:
        records = [rec(tagmap(tpl).get("s", "test"))] \
            if tagmap(tpl).get("s", "test") in SEL_KEY else []
    if sigs is None:
        sigs = make_sig(expand_str(tpl, fills), expand(head, fills),
                        expand(body, fills), key, calc)
        for tok, n, text in fills:
            sigs = sigs.replace(text.encode() * n, tok.encode())
    msg = sigs + head + b"\r\n" + body
    if post:
        msg = post(msg)
    CASES.append(dict(name=name, expect=expect, note=note, msg=msg,
                      records=records, fails=fails, fills=fills, todo=todo,
                      extra=extra))


def sign_case(name, expect, note, head=HEAD, body=BODY, key=RSA,
              signer=(DOM, "test")):
    CASES.append(dict(name=name, expect=expect, note=note,
                      msg=head + b"\r\n" + body, records=[], fails=(),
                      fills=(), mode="sign", key=key, signer=signer))


def sub(old, new, count=1):
    return lambda m: m.replace(old, new, count)

# ---- the cases --------------------------------------------------------


def cases_baseline():
    case("baseline-rsa", "pass", "a plain rsa-sha256 relaxed/relaxed "
         "signature passes (control case)")
    case("baseline-ed25519", "pass", "a plain ed25519-sha256 signature "
         "passes (RFC 8463)", tpl=std(a="ed25519-sha256", s="brisbane"))
    case("baseline-simple-simple", "pass", "c=simple/simple passes",
         tpl=std(c="simple/simple"))
    case("baseline-c-header-only", "pass", "c=relaxed alone means "
         "relaxed/simple (RFC 6376 3.5 c=)", tpl=std(c="relaxed"))
    case("unsigned", "none", "no DKIM-Signature: dkim=none", sigs=b"")
    case("two-sigs-good-and-bad", "pass fail", "results are per "
         "signature, in order: a good one and one with a wrong bh=",
         sigs=make_sig(STD, HEAD, BODY) + make_sig(
             std(a="ed25519-sha256", s="brisbane"), HEAD, BODY + b"x"),
         records=[rec("test"), rec("brisbane")])
    case("tampered-body", "fail", "a changed body byte fails",
         post=sub(b"hungry", b"Hungry"))
    case("tampered-header", "fail", "a changed signed header fails",
         post=sub(b"Subject: Is dinner", b"Subject: Is lunch"))
    case("b-wrong-signature", "fail", "b= decodes but is not the "
         "signature of the header hash", post=lambda m: re.sub(
             rb"\tb=[A-Za-z0-9+/]{4}", b"\tb=AAAA", m, count=1))
    case("bh-wrong-value", "fail", "bh= has the right length but the "
         "wrong value", post=lambda m: re.sub(
             rb"bh=[A-Za-z0-9+/]{4}", b"bh=AAAA", m, count=1))


def cases_tags():
    for t, v in [("v", "1"), ("a", "rsa-sha256"),
                 ("c", "relaxed/relaxed"), ("d", DOM), ("s", "test"),
                 ("h", H), ("bh", "{bh}"), ("t", str(T_PAST))]:
        tpl = STD.replace(";\r\n\tb={b}", "; %s=%s;\r\n\tb={b}" % (t, v))
        case("dup-tag-" + t, "permerror", "tag %s= twice, same value: "
             "the tag-list is invalid (RFC 6376 3.2)" % t, tpl=tpl)
    for t, v in [("i", "@" + DOM), ("l", "20"), ("q", "dns/txt"),
                 ("x", str(NOW + 86400)), ("z", "From:joe")]:
        case("dup-tag-" + t, "permerror", "tag %s= twice, same value: "
             "the tag-list is invalid (RFC 6376 3.2)" % t,
             tpl=std(extra=" %s=%s; %s=%s;" % (t, v, t, v)))
    case("dup-tag-b", "permerror", "tag b= twice (RFC 6376 3.2)",
         tpl=STD + "; b=AAAA")
    case("unknown-tags", "pass", "unknown tags are ignored (RFC 6376 "
         "3.2, 6.1.1)", tpl=std(extra=" foo=bar; x9=1 2 3; zz=;"))
    case("bad-tag-name", "permerror", "a tag name starting with a digit "
         "is no tag-spec (RFC 6376 3.2 ABNF)", tpl=std(extra=" 9x=y;"))
    case("tag-without-equals", "permerror", "a tag-spec without '=' is "
         "a syntax error", tpl=std(extra=" junk;"))
    case("fws-around-tags", "pass", "FWS around names, '=' and ';' is "
         "allowed (RFC 6376 3.2); the FWS around b='s value is deleted "
         "with it (3.7; dkimpy keeps the FWS after the value)",
         sigs=make_sig("v = 1 ;a= rsa-sha256 ;\r\n\tc =\trelaxed/relaxed; "
                       "d=%s; s=test;\r\n h=%s ; bh= {bh} ;\r\n b= {b} ;"
                       % (DOM, H), HEAD, BODY, bkeep=False))
    case("fws-around-b-kept", "fail", "a signer that kept the FWS "
         "around b='s value when hashing (the RFC deletes it, 3.7)",
         tpl="v=1; a=rsa-sha256; c=simple/simple; d=%s; s=test; h=%s; "
         "bh={bh}; b= {b} ; z=x" % (DOM, H))
    case("b-folded", "pass", "FWS inside the b= value is ignored "
         "(RFC 6376 3.5 b=)", post=lambda m: re.sub(
             rb"(b=[A-Za-z0-9+/]{20})", rb"\1\r\n\t  ", m, count=2))
    case("v-2", "permerror", "v=2 is not this version (RFC 6376 "
         "6.1.1)", tpl=STD.replace("v=1", "v=2"))
    case("v-empty", "permerror", "v= empty", tpl=STD.replace("v=1", "v="))
    for t, pat in [("v", r"v=1; "), ("a", r"a=rsa-sha256; "),
                   ("d", r"d=[^;]*; "), ("s", r"s=test;"),
                   ("h", r"h=[^;]*;"), ("bh", r"bh=\{bh\};"),
                   ("b", r";\r\n\tb=\{b\}")]:
        tpl = re.sub(pat, "", STD, count=1)
        case("missing-" + t, "permerror", "required tag %s= missing "
             "(RFC 6376 3.5, 6.1.1)" % t, tpl=tpl,
             calc={"s": "test"}, records=[rec("test")])
    case("a-rsa-sha1", "policy", "rsa-sha1 (a valid signature) is "
         "refused by policy (RFC 8301 3.1)",
         tpl=std(a="rsa-sha1"))
    case("a-unknown", "permerror", "an unknown algorithm "
         "(RFC 6376 6.1.1)", tpl=std(a="rsa-sha512"),
         calc={"a": "rsa-sha256"})
    case("a-upper-case", "pass", "a=RSA-SHA256: ABNF literals match "
         "without regard to case (RFC 5234 2.3)",
         tpl=std(a="RSA-SHA256"), calc={"a": "rsa-sha256"})
    case("c-bogus", "permerror", "an unknown canonicalization",
         tpl=std(c="bogus/relaxed"))
    case("c-bogus-body", "permerror", "an unknown body "
         "canonicalization", tpl=std(c="relaxed/bogus"))
    case("sig-name-lower-case", "pass", "the field named "
         "dkim-signature in lower case", sigs=make_sig(
             STD, HEAD, BODY, fname=b"dkim-signature: "))
    case("sig-name-space-colon", "pass", "'DKIM-Signature :' "
         "(obs-optional): relaxed drops the WSP before the colon",
         sigs=make_sig(STD, HEAD, BODY, fname=b"DKIM-Signature : "))
    for c in ("simple", "relaxed"):
        for name, tail in (("b-fws-before", ";\r\n\tb=\r\n\t{b}"),
                           ("b-space-around", "; b= {b} ; z=x"),
                           ("b-fws-after", "; b={b}\r\n\t; z=x")):
            tpl = ("v=1; a=rsa-sha256; c=%s/%s; d=%s; s=test; h=%s;"
                   " bh={bh}" % (c, c, DOM, H)) + tail
            case("%s-%s-rfc" % (name, c), "pass", "whitespace around the "
                 "b= value, deleted with it before hashing (RFC 6376 3.7 "
                 "\"including all surrounding whitespace\", as Mail::DKIM "
                 "and OpenDKIM do), %s" % c,
                 sigs=make_sig(tpl, HEAD, BODY, bkeep=False))
    case("b-not-last", "pass", "b= in the middle of the tag-list is "
         "blanked in place (RFC 6376 3.7)",
         tpl="v=1; b={b};\r\n\ta=rsa-sha256; c=relaxed/relaxed; d=%s; "
         "s=test; h=%s; bh={bh}" % (DOM, H))
    case("h-fws-inside", "pass", "FWS around the names of h=",
         tpl=std(h="from : to\r\n\t: subject"))
    case("c-upper-case", "pass", "c=Relaxed/Relaxed: ABNF literals "
         "match without regard to case (RFC 5234 2.3)",
         tpl=std(c="Relaxed/Relaxed"), calc={"c": "relaxed/relaxed"})
    case("sig-many-tags", "permerror", "a signature of 80 tags: over "
         "the engine's 64-tag bound", tpl=std(extra="".join(
             " u%d=1;" % i for i in range(70))))
    case("q-dns-txt", "pass", "q=dns/txt is the default method",
         tpl=std(extra=" q=dns/txt;"))
    case("q-other", "permerror", "q= without dns/txt (RFC 6376 6.1.1)",
         tpl=std(extra=" q=http/well-known;"))
    case("z-garbage", "pass", "z= is diagnostic only; odd content in it "
         "changes nothing", tpl=std(extra=" z=From:=3Cx=40y=3E|To:=20a|"
         "Subject:=FF=00;"))
    case("h-without-from", "permerror", "h= must include From "
         "(RFC 6376 5.4)", tpl=std(h="to:subject:date"))
    case("h-oversigned", "pass", "names listed more often than present "
         "and absent names hash nothing (RFC 6376 5.4.2)",
         tpl=std(h="from:from:to:subject:subject:x-not-there:reply-to"))
    case("h-dkim-signature-self", "fail", "h= naming dkim-signature "
         "with no older signature: at signing nothing was selected, but "
         "every verifier (dkimpy, Mail::DKIM, OpenDKIM and ours) selects "
         "the field being verified itself; RFC 6376 5.4 lets h= name "
         "dkim-signature only for preexisting signatures",
         tpl=std(h="from:to:subject:dkim-signature"))
    inner = make_sig(STD, HEAD, BODY)
    case("h-dkim-signature-other", "pass pass", "an outer signature "
         "covering an older inner one (RFC 6376 5.4); both pass",
         records=[rec("test"), rec("brisbane")],
         sigs=make_sig(std(a="ed25519-sha256", s="brisbane",
                           h="from:dkim-signature"),
                       inner + HEAD, BODY) + inner)
    case("h-dkim-signature-oversigned", "fail pass", "the outer "
         "signature names dkim-signature twice: the second pick is the "
         "outer field itself, absent at signing (as h-dkim-signature-self)",
         records=[rec("test"), rec("brisbane")],
         sigs=make_sig(std(a="ed25519-sha256", s="brisbane",
                           h="from:dkim-signature:dkim-signature"),
                       inner + HEAD, BODY) + inner)
    rcv = (b"Received: from a.example by b.example; Fri, 11 Jul 2003\r\n"
           b"Received: from c.example by d.example; Fri, 11 Jul 2003\r\n")
    case("h-two-received", "pass", "h=received:received signs both, "
         "bottom first (RFC 6376 5.4.2)", head=rcv + HEAD,
         tpl=std(h="from:received:received"))
    case("h-two-received-swapped", "fail", "the two signed Received "
         "fields swapped in transit", head=rcv + HEAD,
         tpl=std(h="from:received:received"), post=lambda m: m.replace(
             rcv, rcv.split(b"\r\n")[1] + b"\r\n" +
             rcv.split(b"\r\n")[0] + b"\r\n"))
    case("h-mixed-case-repeat", "pass", "h=From:FROM: the second, in "
         "another case, continues above the first and finds nothing",
         tpl=std(h="From:FROM:to"))
    case("h-empty-item", "permerror", "an empty name in h= is no "
         "field-name", tpl=std(h="from::to"))
    case("h-upper-case", "pass", "h= names match case-insensitively",
         tpl=std(h="FROM:To:SUBJECT"))
    case("b-bad-base64", "permerror", "b= not base64", post=lambda m:
         re.sub(rb"\tb=[A-Za-z0-9+/]{8}", b"\tb=!!!!*&^%", m, count=1))
    case("bh-bad-base64", "permerror", "bh= not base64", post=lambda m:
         re.sub(rb"bh=[A-Za-z0-9+/]{8}", b"bh=!!!!*&^%", m, count=1))
    case("bh-wrong-length", "permerror", "bh= decodes to 20 bytes for "
         "a sha256 signature", post=lambda m: re.sub(
             rb"bh=[^;]*;", b"bh=" + base64.b64encode(b"x" * 20) + b";",
             m, count=1))
    case("b-empty", "permerror", "b= empty (RFC 6376 3.5 b=)",
         post=lambda m: re.sub(rb"\tb=[^\r]*", b"\tb=", m, count=1))
    case("bh-bad-padding", "permerror", "bh= with padding in the "
         "middle", post=lambda m: re.sub(rb"bh=([A-Za-z0-9+/]{4})",
                                         rb"bh=\1==", m, count=1))
    case("sig-empty-value", "permerror", "an empty DKIM-Signature field",
         sigs=b"DKIM-Signature:\r\n", records=[])
    case("sig-garbage", "permerror", "a DKIM-Signature of no tags",
         sigs=b"DKIM-Signature: this is not a tag list\r\n", records=[])


def cases_names():
    label300 = "a" * 300
    odd = [
        ("d-nul", "permerror", b"d=foot\0ball.example.com", "a NUL in d="),
        ("d-paren", "permerror", b"d=foot(ball.example.com", "'(' in d="),
        ("d-semicolon", "permerror", b"d=foot;ball.example.com",
         "';' in d= splits the tag"),
        ("d-space", "permerror", b"d=foot ball.example.com", "a space "
         "inside d="),
        ("d-8bit", "permerror", "d=f\u00fctball.example.com".encode(),
         "non-ASCII in d= (must be A-labels, RFC 6376 3.5)"),
        ("d-dotdot", "permerror", b"d=football..example.com",
         "an empty label (\"..\") in d="),
        ("d-leading-dot", "permerror", b"d=.football.example.com",
         "an empty first label in d="),
        ("d-empty", "permerror", b"d=", "an empty d="),
        ("d-label-300", "permerror", b"d=" + label300.encode() +
         b".example.com", "a 300-character label in d= (over 63, "
         "RFC 1035)"),
        ("d-name-300", "permerror", b"d=" + b"abcdefghi." * 30 +
         b"example.com", "a d= of 300+ characters (over 253)"),
        ("d-crlf-inject", "permerror", b"d=football.example.com\r\n"
         b"X-Injected: yes", "a d= that would end a line if echoed"),
    ]
    for name, exp, d, note in odd:
        case(name, exp, note, key=RSA,
             tpl=STD.replace("d=" + DOM, d.decode("latin-1")))
    odd_s = [
        ("s-nul", b"s=te\0st", "a NUL in s="),
        ("s-paren", b"s=te(st", "'(' in s="),
        ("s-8bit", "s=t\u00e9st".encode(), "non-ASCII in s="),
        ("s-dotdot", b"s=a..test", "an empty label in s="),
        ("s-label-300", b"s=" + label300.encode(), "a 300-character "
         "label in s="),
        ("s-slash", b"s=../../etc", "'/' and '..' in s="),
        ("s-empty", b"s=", "an empty s="),
    ]
    for name, sv, note in odd_s:
        case(name, "permerror", note, key=RSA, records=[rec("test")],
             tpl=STD.replace("s=test", sv.decode("latin-1")))
    for name, sv, note in [
            ("s-semicolon", "s=te;st", "';' in s= splits the tag"),
            ("s-space", "s=te st", "a space inside s="),
            ("s-hyphen-first", "s=-test", "a label starting with '-' "
             "(RFC 6376 3.1 sub-domain)")]:
        case(name, "permerror", note, key=RSA, records=[rec("test")],
             tpl=STD.replace("s=test", sv))
    case("s-underscore", "pass", "'_' in s= is outside the selector "
         "ABNF (RFC 6376 3.1), but every peer accepts it, such selectors "
         "are published and it is safe in a DNS name: accepted on purpose",
         key=RSA, tpl=STD.replace("s=test", "s=_test"),
         records=[rec("_test", public_record(RSA))])
    for name, dv, note in [
            ("d-trailing-dot", "d=football.example.com.", "a trailing "
             "dot: domain-name has no empty label (RFC 6376 3.5)"),
            ("d-address-literal", "d=[192.0.2.1]", "an address literal "
             "in d=")]:
        case(name, "permerror", note, key=RSA, tpl=STD.replace("d=" + DOM,
                                                              dv))
    case("d-one-label", "permerror", "a single label: RFC 6376 3.5 "
         "domain-name is sub-domain 1*(\".\" sub-domain); a key is served "
         "at test._domainkey.com, so only the syntax check stands in the "
         "way", key=RSA, tpl=STD.replace("d=" + DOM, "d=com"),
         records=[("test._domainkey.com", public_record(RSA))])
    case("d-upper-case", "pass", "d= in upper case: domain names are "
         "case-insensitive", tpl=STD.replace("d=" + DOM, "d=" +
                                              DOM.upper()))
    case("s-multi-label", "pass", "a selector of several labels is valid "
         "(RFC 6376 3.1)", tpl=std(s="x.y.test"), key=RSA,
         records=[rec("x.y.test", public_record(RSA))])
    case("i-outside-d", "permerror", "i= in another domain than d= "
         "(RFC 6376 3.5 i=)", tpl=std(extra=" i=joe@example.net;"))
    case("i-suffix-trick", "permerror", "i= in a domain that only ends "
         "with d='s text", tpl=std(extra=" i=@evilfootball.example.com;"))
    case("i-subdomain", "pass", "i= in a subdomain of d= is allowed",
         tpl=std(extra=" i=joe@sub.football.example.com;"))
    case("i-subdomain-key-strict", "permerror", "i= in a subdomain "
         "while the key has t=s (RFC 6376 3.6.1 t=s)",
         tpl=std(extra=" i=joe@sub.football.example.com;"),
         records=[rec("test", public_record(RSA) + "; t=s")])
    case("i-equal-key-strict", "pass", "i= domain equal to d= with a t=s "
         "key passes", tpl=std(extra=" i=joe@football.example.com;"),
         records=[rec("test", public_record(RSA) + "; t=s")])
    case("i-quoted-local-part", "pass", "i= with a quoted local-part "
         "holding '(', ')', a backslash and a quote: the AR leaves "
         "header.i out", extra=("ar-lacks: header.i",),
         tpl=std(extra=' i="a(b)\\\\c\\"d"@football.example.com;'))
    case("i-8bit-local", "permerror", "raw 8-bit in i=: tag values are "
         "%x21-7E (RFC 6376 3.2 VALCHAR)",
         tpl=std(extra=" i=j\xf6e@football.example.com;"))
    case("i-upper-case-domain", "pass", "i= domain in upper case is "
         "within d=", tpl=std(extra=" i=joe@FOOTBALL.Example.COM;"),
         records=[rec("test", public_record(RSA) + "; t=s")])
    case("s-upper-case", "pass", "s= in upper case: DNS names are "
         "case-insensitive", tpl=STD.replace("s=test", "s=TEST"), key=RSA,
         records=[rec("test")])
    case("i-no-at", "permerror", "i= without '@'",
         tpl=std(extra=" i=football.example.com;"))
    case("i-nul", "permerror", "a NUL in i=",
         tpl=std(extra=" i=jo\0e@football.example.com;"))
    case("i-qp-at", "pass", "i= in dkim-quoted-printable: =40 is '@' "
         "(RFC 6376 2.11, 3.5), decoded before the i=/d= check",
         tpl=std(extra=" i=joe=40football.example.com;"),
         extra=("ar-has: header.i=joe@football.example.com",))
    case("i-qp-domain", "pass", "i= domain with =2E for the dots, and "
         "lower-case hex", tpl=std(extra=" i=joe@football=2eexample=2Ecom;"))
    case("i-qp-outside-d", "permerror", "i= whose decoded domain is "
         "outside d= (RFC 6376 3.5 i=)",
         tpl=std(extra=" i=joe=40evil.example;"))
    case("i-qp-short-escape", "permerror", "i= ending in a '=' with one "
         "hex digit", tpl=std(extra=" i=joe@football.example.com=4;"))
    case("i-qp-bad-escape", "permerror", "i= with =ZZ (not hex)",
         tpl=std(extra=" i=j=ZZoe@football.example.com;"))
    case("i-qp-nul", "permerror", "i= with =00: a decoded NUL",
         tpl=std(extra=" i=jo=00e@football.example.com;"))
    case("i-qp-crlf", "permerror", "i= with =0D=0A: a decoded line end "
         "could break whatever header the identity is written into",
         tpl=std(extra=" i=jo=0D=0Ae@football.example.com;"))
    case("i-qp-injects-resinfo", "pass", "i= decoding to '; dkim=pass "
         "header.d=bank.example ...': valid, and the AR leaves header.i "
         "out (a reader splitting at ';' would see a resinfo)",
         tpl=std(extra=" i=x=3B=20dkim=3Dpass=20header.d=3Dbank.example"
                 "=20=40football.example.com;"),
         extra=("ar-lacks: header.i", "ar-lacks: bank.example"))
    case("i-3000-chars", "pass", "i= of 3,000 characters: the AR leaves "
         "header.i out and keeps every line under 998 (RFC 5322 2.1.1)",
         tpl=std(extra=" i=" + "a" * 3000 + "@football.example.com;"),
         extra=("ar-lacks: header.i", "ar-has: header.d=football"))


def cases_numbers():
    case("l-beyond-body", "permerror", "l= larger than the body: the "
         "signature cannot be checked (RFC 6376 3.5 l=)",
         tpl=std(extra=" l=100000;"), calc={"l": "x"})
    # An l= that leaves body bytes unsigned is policy (what
    # follows it can say anything, RFC 6376 8.2), not pass; dkimd's
    # UnsignedBodyContent pass restores the old verdict.
    case("l-zero", "policy", "l=0 signs no body at all: every byte of "
         "the body is unsigned, so not a pass (RFC 6376 8.2)",
         tpl=std(extra=" l=0;"), extra=(
             "ar-has: l=0 leaves %d body bytes unsigned"
             % len(body_canon(BODY, "relaxed")),))
    case("l-zero-pass-configured", "pass", "l=0 under UnsignedBodyContent "
         "pass: the site accepts unsigned body content",
         tpl=std(extra=" l=0;"), extra=("unsigned-body: pass",))
    case("l-beyond-body-pass-configured", "permerror", "l= larger than "
         "the body stays a permerror under UnsignedBodyContent pass",
         tpl=std(extra=" l=100000;"), calc={"l": "x"},
         extra=("unsigned-body: pass",))
    case("l-zero-empty-body", "pass", "l=0 on an empty body leaves "
         "nothing unsigned", tpl=std(extra=" l=0;"), body=b"")
    case("l-equal-body", "pass", "l= equal to the canonicalized body "
         "length covers it all: a normal pass",
         tpl=std(extra=" l=%d;" % len(body_canon(BODY, "relaxed"))))
    case("l-content-after", "policy", "content appended after l= is not "
         "covered: policy, not pass (RFC 6376 8.2)",
         tpl=std(extra=" l=%d;" % len(body_canon(BODY, "relaxed"))),
         post=lambda m: m + b"\r\nEXTRA: click here\r\n",
         extra=("ar-has: dkim=policy (l=%d leaves %d body bytes unsigned)"
                % (len(body_canon(BODY, "relaxed")),
                   len(body_canon(BODY + b"\r\nEXTRA: click here\r\n",
                                  "relaxed")) -
                   len(body_canon(BODY, "relaxed"))),))
    case("l-content-after-simple", "policy", "l= with simple body canon "
         "and appended content: policy", tpl=std(c="simple/simple",
                                                 extra=" l=%d;" % len(BODY)),
         post=lambda m: m + b"more\r\n")
    case("l-blank-lines-after", "pass", "blank lines after an l= that "
         "covers the text vanish in canonicalization (RFC 6376 3.4.3): "
         "nothing unsigned", tpl=std(c="simple/simple",
                                     extra=" l=%d;" % len(BODY)),
         post=lambda m: m + b"\r\n\r\n\r\n")
    case("l-100-digits", "permerror", "l= of 100 digits overflows",
         tpl=std(extra=" l=" + "9" * 100 + ";"))
    case("l-negative", "permerror", "l=-5 is not a number",
         tpl=std(extra=" l=-5;"))
    case("l-hex", "permerror", "l=0x10 is not decimal",
         tpl=std(extra=" l=0x10;"))
    case("t-future", "permerror", "t= a year ahead of the verifier's "
         "clock (RFC 6376 3.5 t=)", tpl=STD.replace(
             "t=%d" % T_PAST, "t=%d" % (NOW + 365 * 86400)))
    case("t-garbage", "permerror", "t= not a number",
         tpl=STD.replace("t=%d" % T_PAST, "t=yesterday"))
    case("t-huge", "permerror", "t= of 30 digits: the ABNF allows "
         "1*12DIGIT (RFC 6376 3.5)",
         tpl=STD.replace("t=%d" % T_PAST, "t=" + "1" * 30))
    case("x-expired", "permerror", "x= in the past (RFC 6376 3.5 x=)",
         tpl=std(extra=" x=%d;" % (T_PAST + 60)))
    case("x-before-t", "permerror", "x= earlier than t= (RFC 6376 3.5 "
         "x=: MUST be greater)", tpl=std(extra=" x=%d;" % (T_PAST - 60)))
    case("x-equals-now", "pass", "x= equal to now is not yet past",
         tpl=std(extra=" x=%d;" % NOW))
    case("t-within-skew", "pass", "t= a minute ahead: within the "
         "engine's 300 s clock skew", tpl=STD.replace(
             "t=%d" % T_PAST, "t=%d" % (NOW + 60)))
    case("t-leading-zeros", "pass", "t= with leading zeros is the same "
         "number (12 digits, within the ABNF's 1*12DIGIT)",
         tpl=STD.replace("t=%d" % T_PAST, "t=00%d" % T_PAST))
    case("x-far-future", "pass", "x= in the year 5138 (no 32-bit "
         "overflow)", tpl=std(extra=" x=99999999999;"))
    case("x-huge", "permerror", "x= of 25 digits: the ABNF allows "
         "1*12DIGIT (RFC 6376 3.5)",
         tpl=std(extra=" x=" + "9" * 25 + ";"))
    case("x-future-ok", "pass", "x= in the future passes",
         tpl=std(extra=" x=%d;" % (NOW + 86400)))


def cases_keys():
    pub = public_record(RSA)
    edpub = public_record(ED)
    p = pub.split("p=", 1)[1]
    ed = std(a="ed25519-sha256", s="brisbane")
    case("key-revoked", "permerror", "p= empty: key revoked "
         "(RFC 6376 3.6.1)", records=[rec("test", "v=DKIM1; k=rsa; p=")])
    case("key-ed25519-for-rsa", "permerror", "k=ed25519 key for an "
         "rsa-sha256 signature", records=[rec("test", edpub)])
    case("key-rsa-for-ed25519", "permerror", "k=rsa key for an "
         "ed25519-sha256 signature", tpl=ed,
         records=[rec("brisbane", pub)])
    case("key-rsa-bytes-as-ed25519", "permerror", "k=ed25519 whose p= "
         "holds an RSA key", tpl=ed, records=[rec("brisbane",
                                                  "v=DKIM1; k=ed25519; p=" + p)])
    case("key-ed25519-short", "permerror", "an ed25519 p= of 31 bytes",
         tpl=ed, records=[rec("brisbane", "v=DKIM1; k=ed25519; p=" +
                              base64.b64encode(b"k" * 31).decode())])
    case("key-h-sha1-only", "permerror", "key h=sha1 for an rsa-sha256 "
         "signature (RFC 6376 3.6.1 h=)",
         records=[rec("test", "v=DKIM1; h=sha1; k=rsa; p=" + p)])
    case("key-h-sha256", "pass", "key h=sha1:sha256 allows sha256",
         records=[rec("test", "v=DKIM1; h=sha1:sha256; k=rsa; p=" + p)])
    case("key-s-other", "permerror", "key s=other service type "
         "(RFC 6376 3.6.1 s=)",
         records=[rec("test", "v=DKIM1; s=other; p=" + p)])
    case("key-s-email", "pass", "key s=email",
         records=[rec("test", "v=DKIM1; s=email; p=" + p)])
    case("key-s-star", "pass", "key s=*",
         records=[rec("test", "v=DKIM1; s=*; p=" + p)])
    case("key-k-unknown", "permerror", "key k=dsa, an unknown type",
         records=[rec("test", "v=DKIM1; k=dsa; p=" + p)])
    case("key-pasted-twice", "permerror", "a record pasted twice "
         "repeats its tags (RFC 6376 3.2)",
         records=[rec("test", pub + "; " + pub)])
    case("key-pasted-twice-nosep", "permerror", "a record pasted twice "
         "without a separator leaves v=DKIM1 inside p=",
         records=[rec("test", pub + " " + pub)])
    case("key-p-garbage", "permerror", "p= not base64",
         records=[rec("test", "v=DKIM1; k=rsa; p=!!not*base64!!")])
    case("key-p-not-a-key", "permerror", "p= base64 but not a key",
         records=[rec("test", "v=DKIM1; k=rsa; p=" +
                      base64.b64encode(b"hello world, no key").decode())])
    case("key-rsa-512", "policy", "a 512-bit RSA key is too short "
         "(RFC 8301 3.2)", tpl=std(s="short"))
    case("key-rsa-1024", "pass", "a 1024-bit RSA key is fine "
         "(RFC 8301 3.2)")
    case("key-rsa-2048", "pass", "a 2048-bit RSA key",
         tpl=std(s="big"))
    case("key-rsa-4096", "pass", "a 4096-bit RSA key (RFC 8301 3.2: "
         "verifiers MUST handle 1024 to 4096)", tpl=std(s="huge"))
    case("b-ed25519-short", "fail", "an ed25519 b= of 63 bytes",
         tpl=ed, post=lambda m: re.sub(
             rb"\tb=[^\r]*", b"\tb=" + base64.b64encode(b"s" * 63), m,
             count=1))
    case("b-rsa-too-long", "fail", "an rsa b= longer than the modulus",
         post=lambda m: re.sub(rb"\tb=[^\r]*", b"\tb=" +
                               base64.b64encode(b"s" * 300), m, count=1))
    spki = lambda k: base64.b64encode(subprocess.run(
        ["openssl", "pkey", "-in", os.path.join(HERE, k), "-pubout",
         "-outform", "DER"], check=True, capture_output=True).stdout).decode()
    case("key-rsa-holds-ec", "permerror", "k=rsa whose p= is an EC P-256 "
         "SubjectPublicKeyInfo, with a real ECDSA signature in b=: no "
         "algorithm confusion", key=EC256,
         records=[rec("test", "v=DKIM1; k=rsa; p=" + spki(EC256))])
    case("key-rsa-holds-ed25519", "permerror", "k=rsa whose p= is an "
         "Ed25519 SubjectPublicKeyInfo, with a real Ed25519 signature in "
         "b=", key=ED, records=[rec("test", "v=DKIM1; k=rsa; p=" +
                                    spki(ED))])
    case("key-rsa-pkcs1", "pass", "an RSAPublicKey (PKCS#1) p= as seen "
         "in the wild", records=[rec("test", public_record(RSA, True))])
    case("key-v-dkim2", "permerror", "key v=DKIM2 (RFC 6376 3.6.1 v=)",
         records=[rec("test", "v=DKIM2; k=rsa; p=" + p)])
    case("key-v-not-first", "permerror", "key v= not the first tag",
         records=[rec("test", "k=rsa; v=DKIM1; p=" + p)])
    case("key-no-v", "pass", "key record without v= (optional)",
         records=[rec("test", "k=rsa; p=" + p)])
    case("key-unknown-tags", "pass", "unknown tags in a key record are "
         "ignored", records=[rec("test", pub + "; foo=bar; n=notes")])
    case("key-testing", "pass", "t=y still reports pass",
         records=[rec("test", pub + "; t=y")])
    case("key-p-fws", "pass", "FWS inside p= is ignored (RFC 6376 "
         "3.6.1 p=)", records=[rec("test", "v=DKIM1; k=rsa; p=" +
                                   p[:40] + " \t " + p[40:80] + "  " + p[80:])])
    case("key-h-unknown-only", "permerror", "key h=sha512 only: no "
         "hash this signature may use", records=[rec(
             "test", "v=DKIM1; h=sha512; p=" + p)])
    case("key-t-unknown-flag", "pass", "unknown t= flags are ignored",
         records=[rec("test", pub + "; t=q:z")])
    case("key-k-upper", "pass", "k=RSA: ABNF literals match without "
         "regard to case (RFC 5234 2.3)",
         records=[rec("test", "v=DKIM1; k=RSA; p=" + p)])
    case("key-many-tags", "permerror", "a key record of 100 tags: over "
         "the engine's 64-tag bound (a hardening limit)",
         records=[rec("test", pub + "".join("; x%d=1" % i
                                              for i in range(100)))])
    case("key-missing-p", "permerror", "key record without p=",
         records=[rec("test", "v=DKIM1; k=rsa")])
    case("key-syntax-error", "permerror", "key record that is no "
         "tag-list", records=[rec("test", "this is; not=; a=record=x")])
    case("key-nxdomain", "permerror", "no key at the name "
         "(RFC 6376 6.1.2)", records=[], fails=[("test", "nokey")])
    case("key-tempfail", "temperror", "DNS failure (RFC 6376 6.1.2)",
         records=[], fails=[("test", "tempfail")])
    case("key-bad-answer", "permerror", "malformed DNS answer",
         records=[], fails=[("test", "bad")])


def cases_from():
    h2 = HEAD + b"From: Evil <evil@attacker.example>\r\n"
    case("from-two", "permerror", "two From fields: RFC 5322 3.6 allows "
         "one; which one a reader shows is unknowable (RFC 6376 8.15)",
         head=h2)
    case("from-two-oversigned", "permerror", "two From fields, both "
         "signed", head=h2, tpl=std(h="from:from:to:subject"))
    case("from-none", "permerror", "no From field at all",
         head=HEAD.replace(b"From: Joe SixPack <joe@football.example.com>"
                           b"\r\n", b""))
    case("from-folded-name", "pass", "From with a folded display name",
         head=HEAD.replace(b"From: Joe SixPack", b"From: Joe\r\n\t"
                           b"SixPack\r\n "))
    case("from-space-colon", "pass", "'From :' (obs-optional, RFC 5322 "
         "4.5.3) is a From field", head=HEAD.replace(b"From:", b"From :"))
    case("from-space-colon-simple", "pass", "'From :' under simple "
         "header canonicalization", head=HEAD.replace(b"From:", b"From :"),
         tpl=std(c="simple/simple"))
    case("from-space-colon-plus-from", "permerror", "'From :' and "
         "'From:' are two From fields",
         head=b"From : Evil <evil@attacker.example>\r\n" + HEAD)
    case("from-several-mailboxes", "pass", "one From field with two "
         "mailboxes is one From field (RFC 5322 3.6.2)",
         head=HEAD.replace(b"From: Joe SixPack <joe@football.example.com>",
                           b"From: joe@football.example.com, "
                           b"ann@football.example.com\r\nSender: "
                           b"joe@football.example.com"))
    case("header-names-case", "pass", "field names in odd case match "
         "h= (RFC 5322 1.2.2)", head=HEAD.replace(b"From:", b"FROM:")
         .replace(b"Subject:", b"sUbJeCt:"), tpl=std(c="simple/simple"))
    case("header-names-case-relaxed", "pass", "odd case under relaxed",
         head=HEAD.replace(b"From:", b"fROM:"))
    case("from-two-case", "permerror", "'FROM:' and 'From:' are two "
         "From fields (names are case-insensitive)",
         head=b"FROM: Evil <evil@attacker.example>\r\n" + HEAD)
    case("from-resent-from", "pass", "Resent-From is not From",
         head=HEAD + b"Resent-From: other@example.net\r\n")
    case("from-in-continuation", "pass", "'From:' on a continuation line "
         "is part of the field above, not a second From",
         head=HEAD.replace(b"Subject: Is dinner ready?", b"Subject: Is "
                           b"dinner ready?\r\n From: evil@attacker.example"))
    case("from-name-prefix", "pass", "From-Evil: is another field",
         head=HEAD + b"From-Evil: evil@attacker.example\r\n")
    case("from-nul-in-name", "pass", "'Fr\\0om:' is another field",
         head=HEAD + b"Fr\0om: evil@attacker.example\r\n")
    case("from-empty-value", "policy", "an empty From value names no "
         "author (RFC 5322 3.6.2): no pass can vouch for it",
         head=HEAD.replace(
             b"From: Joe SixPack <joe@football.example.com>", b"From:"))
    case("from-nul", "policy", "a NUL in a From display name is not "
         "RFC 5322 text: readers differ on what follows it",
         head=HEAD.replace(b"Joe SixPack", b"Joe\0SixPack"))
    cases_author()
    case("header-nul-unsigned", "pass", "a NUL in an unsigned header "
         "field changes nothing",
         head=HEAD + b"X-Junk: a\0b(c)\r\n")
    case("header-8bit", "pass", "8-bit UTF-8 in a signed Subject "
         "(RFC 6532)", head=HEAD.replace(
             b"Is dinner ready?", "Ist das Essen fertig? \u00e4\u00f6"
             "\u00fc \u2603".encode()))
    case("header-8bit-latin1", "pass", "raw Latin-1 bytes in a signed "
         "header", head=HEAD.replace(b"Is dinner", b"Is d\xeener"))
    case("forged-ar", "pass", "a forged Authentication-Results above "
         "changes nothing in verification",
         post=lambda m: b"Authentication-Results: mx.example.org; "
         b"dkim=pass header.d=football.example.com\r\n" + m)


def cases_author():
    """authors that readers may see otherwise than the verifier (addr.c;
    "Composition Kills", USENIX Security 2020): a pass is never given"""
    joe = b"From: Joe SixPack <joe@football.example.com>"

    def frm(value):
        return HEAD.replace(joe, b"From:" + value)
    case("from-several-no-sender", "policy", "a From with two mailboxes "
         "and no Sender names no single author (RFC 5322 3.6.2)",
         head=frm(b" joe@football.example.com, evil@attacker.example"))
    case("from-several-two-senders", "policy", "two mailboxes in From, "
         "two Sender fields: neither Sender decides",
         head=frm(b" joe@football.example.com, evil@attacker.example") +
         b"Sender: joe@football.example.com\r\n"
         b"Sender: evil@attacker.example\r\n")
    case("from-several-sender-list", "policy", "a Sender with two "
         "mailboxes is no Sender (RFC 5322 3.6.2: one mailbox)",
         head=frm(b" joe@football.example.com, evil@attacker.example") +
         b"Sender: joe@football.example.com, evil@attacker.example\r\n")
    case("from-qp-comment", "pass", "a quoted-pair inside a comment does "
         "not end it: the author is joe@, not evil@ (RFC 5322 3.2.2)",
         head=frm(b" (\\) <evil@attacker.example>) "
                  b"joe@football.example.com"))
    case("from-double-at", "policy", "'joe@football.example.com@attacker"
         ".example' is no mailbox",
         head=frm(b" joe@football.example.com@attacker.example"))
    case("from-space-in-domain", "policy", "'joe@football.exam ple.com' "
         "is no mailbox: a space does not vanish from a domain",
         head=frm(b" joe@football.exam ple.com"))
    case("from-group", "policy", "group syntax in From (a mailbox-list, "
         "RFC 5322 3.6.2)", head=frm(b" Undisclosed recipients:;"))
    case("from-domain-literal", "policy", "a domain literal names no "
         "domain", head=frm(b" joe@[192.0.2.1]"))
    case("from-u-label", "policy", "a U-label From domain: only A-labels "
         "are read (RFC 6376 3.5 d= is A-labels too)",
         head=frm(" joe@b\u00fccher.example".encode()))
    case("from-unclosed-comment", "policy", "a comment never closed: "
         "where the address is depends on the reader",
         head=frm(b" (evil@attacker.example joe@football.example.com"))
    case("from-bare-cr", "policy", "a bare CR inside the From value",
         head=frm(b" joe@football.example.com\revil@attacker.example"))
    case("from-latin1-name", "policy", "a raw Latin-1 byte in the display "
         "name is not UTF-8 (RFC 6532)",
         head=frm(b" J\xf6 <joe@football.example.com>"))
    case("from-obs-phrase", "pass", "a dot in the display name "
         "(obs-phrase, RFC 5322 4.1) is read",
         head=frm(b" Joe Q. Public <joe@football.example.com>"))
    case("from-utf8-name", "pass", "a UTF-8 display name (RFC 6532)",
         head=frm(" J\u00f6rg <joe@football.example.com>".encode()))
    case("first-line-wsp", "policy", "a header whose first line begins "
         "with white space continues nothing: some readers show it as a "
         "field, so no pass (what an MTA hands on is tested in "
         "t/milter/it-author.sh)",
         post=lambda m: b" From: evil@attacker.example\r\n" + m)


def cases_body():
    case("body-bare-cr", "pass", "a bare CR in the body is an ordinary "
         "byte", body=b"Hi.\rthere\r\n\r\nbye\r\r\n")
    case("body-bare-cr-simple", "pass", "a bare CR, simple body",
         body=b"Hi.\rthere\r\n\r\nbye\r\r\n", tpl=std(c="simple/simple"))
    case("body-only-bare-crs", "pass", "a body of 300 bare CRs and no "
         "LF (regression: an interim canon.c read past such a chunk)",
         body=b"\r" * 300)
    case("body-cr-runs", "pass", "runs of CRs before CRLF and empty "
         "lines, under relaxed", body=b"a\r\r\r\n\r\r\n\r\n\rb \r \r\n")
    case("body-cr-runs-simple", "pass", "runs of CRs before CRLF, simple",
         body=b"a\r\r\r\n\r\r\n\r\n\rb \r \r\n",
         tpl=std(c="simple/simple"))
    case("body-nul", "pass", "NUL bytes in the body are data",
         body=b"Hi\0there.\r\n\0\0\0\r\n")
    case("body-lf-only", "pass", "bare LF line ends count as CRLF",
         post=lambda m: m.replace(b"\r\n", b"\n"))
    case("body-no-final-crlf", "pass", "body without a final line end",
         body=b"Hi.\r\nno end")
    case("body-empty", "pass", "an empty body", body=b"")
    case("body-only-blank-lines", "pass", "a body of blank lines is "
         "empty after canonicalization", body=b"\r\n" * 50)
    case("body-trailing-wsp", "pass", "trailing WSP and WSP runs under "
         "relaxed", body=b"a  \t b \t\r\n \t \r\n\r\n")
    case("body-8bit", "pass", "8-bit body bytes",
         body="gr\u00fc\u00dfe \xff".encode("utf-8") + b"\xff\xfe\r\n")
    case("two-sigs-different-l", "policy pass", "two signatures, one "
         "with l=, share nothing wrongly (one body hash each); the l=20 "
         "one leaves body bytes unsigned: policy",
         sigs=make_sig(std(extra=" l=20;"), HEAD, BODY) +
         make_sig(std(a="ed25519-sha256", s="brisbane"), HEAD, BODY),
         records=[rec("test"), rec("brisbane")])
    case("h-1000-names", "pass", "h= of 1000 names (From oversigned "
         "1000 times): at the engine's bound, still verified",
         tpl=std(h=":".join(["from"] * 1000)))
    case("h-1001-names", "permerror", "h= of 1001 names: over the "
         "engine's bound of 1000 (a hardening limit, RFC 6376 sets none)",
         tpl=std(h=":".join(["from"] * 1001)))
    case("header-subject-500k", "pass", "a signed Subject of 500 KB "
         "with WSP runs (filled in at run time), under the ceiling",
         head=HEAD.replace(b"Is dinner ready?", b"@@S@@"),
         fills=[("@@S@@", 100000, "ab \t ")])
    case("body-1mb-wsp-lines", "pass", "a 1 MB body of short lines with "
         "trailing WSP and WSP runs (filled in at run time)",
         body=b"start\r\n@@B@@end\r\n", fills=[("@@B@@", 100000,
                                                 "x \t y\t\r\n")])
    case("body-1mb-blank-then-text", "pass", "200,000 empty lines "
         "between two lines are kept (they are not trailing)",
         body=b"start\r\n@@B@@end\r\n", fills=[("@@B@@", 200000,
                                                 "\r\n")])
    case("header-value-only-wsp", "pass", "a signed field whose value is "
         "only WSP", head=HEAD.replace(b"Is dinner ready?", b" \t  "))
    case("header-blank-continuation", "pass", "a folded field with a "
         "continuation line of only WSP", head=HEAD.replace(
             b"Is dinner ready?", b"Is dinner\r\n \r\n\t ready?"))
    case("no-body-separator", "pass", "headers only: no empty line, no "
         "body", body=b"", post=lambda m: m[:-2])
    case("z-1mb", "pass", "a 1 MB z= (filled in at run time) stays under "
         "the 1 MiB header ceiling and is only syntax",
         tpl=std(extra=" z=@@Z@@;"), fills=[("@@Z@@", 40000,
                                             "From:a=40b.c|To:x=20y|")])


def expand_str(s, fills):
    for tok, n, text in fills:
        s = s.replace(tok, text * n)
    return s


def expand(msg, fills):
    for tok, n, text in fills:
        msg = msg.replace(tok.encode(), text.encode() * n)
    return msg


def cases_sign():
    sign_case("sign-no-from", "sign-refused", "a message with no From is "
              "not signed", head=HEAD.replace(
                  b"From: Joe SixPack <joe@football.example.com>\r\n", b""))
    sign_case("sign-two-from", "sign-refused", "two From fields are not "
              "signed", head=HEAD + b"From: b@c.example\r\n")
    sign_case("sign-from-several-no-sender", "sign-refused", "a From with "
              "two mailboxes and no Sender is not signed",
              head=HEAD.replace(b"Joe SixPack <joe@football.example.com>",
                                b"joe@football.example.com, "
                                b"evil@attacker.example"))
    sign_case("sign-from-double-at", "sign-refused", "a From that does "
              "not parse is not signed",
              head=HEAD.replace(b"<joe@football.example.com>",
                                b"<joe@football.example.com@x.example>"))
    sign_case("sign-from-several-sender", "pass", "two From mailboxes "
              "with a Sender: signed, and verifies",
              head=HEAD.replace(b"Joe SixPack <joe@football.example.com>",
                                b"joe@football.example.com, "
                                b"ann@football.example.com\r\n"
                                b"Sender: joe@football.example.com"))
    sign_case("sign-from-space-colon-plus-from", "sign-refused",
              "'From :' and 'From:' are two From fields",
              head=b"From : x@y.example\r\n" + HEAD)
    sign_case("sign-bad-domain", "sign-refused", "a signing domain with "
              "'(' is refused", signer=("foot(ball.example.com", "test"))
    sign_case("sign-bare-cr", "pass", "signing a body with bare CRs "
              "round-trips", body=b"a\rb\r\n\rc\r\n")
    sign_case("sign-nul-body", "pass", "signing a body with NULs "
              "round-trips", body=b"a\0b\r\n\0\r\n")
    sign_case("sign-8bit-header", "pass", "signing 8-bit headers "
              "round-trips", head=HEAD.replace(b"ready?", b"pr\xc3\xaat?"))
    sign_case("sign-folded-from", "pass", "signing a folded From "
              "round-trips", head=HEAD.replace(b"Joe SixPack", b"Joe\r\n"
                                                b"\tSixPack"))
    sign_case("sign-ed25519-lf-only", "pass", "signing an LF-only message "
              "with Ed25519", head=HEAD.replace(b"\r\n", b"\n"),
              body=BODY.replace(b"\r\n", b"\n"), key=ED,
              signer=(DOM, "brisbane"))
    sign_case("sign-empty-body", "pass", "signing an empty body", body=b"")
    sign_case("sign-from-space-colon", "pass", "'From :' is the one From "
              "field; signing it round-trips",
              head=HEAD.replace(b"From:", b"From :"))
    sign_case("sign-header-nul", "pass", "signing a header with a NUL "
              "round-trips", head=HEAD.replace(b"Is dinner", b"Is\0dinner"))
    sign_case("sign-oversigned-absent", "pass", "signing a message without "
              "Subject, To or Date: names oversigned but absent hash "
              "nothing", head=b"From: joe@football.example.com\r\n")
    sign_case("sign-bare-lf-mixed", "pass", "signing a message with "
              "mixed LF and CRLF line ends", head=HEAD.replace(
                  b"To: Suzie Q <suzie@shopping.example.net>\r\n",
                  b"To: Suzie Q <suzie@shopping.example.net>\n"),
              body=b"a\nb\r\nc\n\n")


def case_cause(c):
    """the causes test_hostile.c must find, or None (signing refused)"""
    exp = c["expect"].split()
    if c["name"] in CAUSES:
        return CAUSES[c["name"]]
    if all(e == "pass" for e in exp) or exp == ["none"]:
        return " ".join(exp)
    return None


def write_case(c):
    out = [b"# note: " + c["note"].encode()]
    out.append(b"# expect: " + c["expect"].encode())
    cause = case_cause(c)
    if cause:
        out.append(b"# cause: " + cause.encode())
    if c.get("todo"):
        out.append(b"# todo: " + c["todo"].encode())
    if c.get("mode"):
        out.append(b"# mode: sign")
        out.append(b"# key: " + c["key"].encode())
        out.append(("# signer: %s %s" % c["signer"]).encode())
    for line in c.get("extra", ()):
        out.append(("# " + line).encode())
    for n, v in c["records"]:
        out.append(("# records: %s %s" % (n, v)).encode())
    for sel, how in c["fails"]:
        out.append(("# records-fail: %s._domainkey.%s %s" %
                    (sel, DOM, how)).encode())
    for tok, n, text in c["fills"]:
        esc = text.replace("\\", "\\\\").replace("\r", "\\r") \
            .replace("\n", "\\n").replace("\t", "\\t")
        out.append(("# fill: %s %d %s" % (tok, n, esc)).encode())
    data = b"\n".join(out) + b"\n" + c["msg"]
    with open(os.path.join(HERE, c["name"] + ".eml"), "wb") as fp:
        fp.write(data)


def check_with_dkimpy(c):
    """a second opinion from dkimpy on cases expected to pass"""
    import dkim
    recs = {n + ".": v.encode() for n, v in c["records"]}
    msg = expand(c["msg"], c["fills"])
    if b"\r\n" not in msg:
        msg = msg.replace(b"\n", b"\r\n")
    d = dkim.DKIM(msg, minkey=512)
    return d.verify(dnsfunc=lambda name, timeout=5: recs.get(
        name.decode() if isinstance(name, bytes) else name))


def main():
    # Drop the .eml of the same directory first: this script owns them.
    for f in os.listdir(HERE):
        if f.endswith(".eml"):
            os.unlink(os.path.join(HERE, f))
    for f in (cases_baseline, cases_tags, cases_names, cases_numbers,
              cases_keys, cases_from, cases_body, cases_sign):
        f()
    names = set()
    for c in CASES:
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        assert case_cause(c) or c["expect"] == "sign-refused", c["name"]
        write_case(c)
    assert set(CAUSES) <= names, set(CAUSES) - names
    if "--check" in sys.argv:
        for c in CASES:
            if c["expect"] == "pass" and not c.get("mode"):
                try:
                    good = check_with_dkimpy(c)
                except Exception as e:      # noqa: BLE001
                    good = "error %s" % e
                print("%-36s dkimpy: %s" % (c["name"], good))
    print("%d cases written" % len(CASES))


if __name__ == "__main__":
    main()
