#!/usr/bin/python3
# dkimpy-sign.py - sign a message with dkimpy (Debian python3-dkim)
#
#	dkimpy-sign.py KEYFILE DOMAIN SELECTOR ALG CANON < msg > signed
#
# ALG is rsa-sha256 or ed25519-sha256 (or rsa-sha1, to test that
# verifiers refuse it, RFC 8301), CANON is header/body (e.g.
# relaxed/simple). KEYFILE is a PEM private key (PKCS#1 or PKCS#8 RSA,
# PKCS#8 Ed25519). The DKIM-Signature is prepended with the message's own
# line ending (CRLF if the message has any CRLF, else LF). dkimpy picks the
# signed header fields itself (its RFC 6376 "SHOULD" list, oversigning From
# and a few others) unless told otherwise. Environment, for special cases:
#	DKIMPY_HEADERS=from:x-tag:x-tag	the h= list, as given
#	DKIMPY_LENGTH=1			add l= (body length)
#	DKIMPY_IDENTITY=user@sub.domain	i= (must end with DOMAIN)
# Exit 0 signed, 1 error, 2 usage.
import base64
import os
import sys

# dnspython (imported by dkim) loads httpx for DNS over HTTPS, never used
# here and slower to load than all the rest: keep it out.
sys.modules.setdefault("httpx", None)

import dkim  # noqa: E402


def ed25519_seed(pem):
    """ed25519_seed - the 32-byte seed of a PKCS#8 Ed25519 PEM key, base64"""
    lines = [x for x in pem.splitlines() if x and not x.startswith(b"-----")]
    der = base64.b64decode(b"".join(lines))
    # RFC 8410 section 7: the PKCS#8 DER ends with OCTET STRING(32) seed.
    if len(der) < 34 or der[-34:-32] != b"\x04\x20":
        raise ValueError("not a PKCS#8 Ed25519 private key")
    return base64.b64encode(der[-32:])


def main():
    """main - sign standard input, write the signed message"""
    if len(sys.argv) != 6:
        print("usage: dkimpy-sign.py KEYFILE DOMAIN SELECTOR ALG CANON",
              file=sys.stderr)
        return 2
    keyfile, domain, selector, alg, canon = sys.argv[1:]
    hc, _, bc = canon.partition("/")
    with open(keyfile, "rb") as f:
        key = f.read()
    if alg == "ed25519-sha256":
        key = ed25519_seed(key)
    elif alg not in ("rsa-sha256", "rsa-sha1"):
        print("dkimpy-sign.py: unsupported algorithm " + alg, file=sys.stderr)
        return 2
    msg = sys.stdin.buffer.read()
    eol = b"\r\n" if b"\r\n" in msg else b"\n"
    hdrs = os.environ.get("DKIMPY_HEADERS")
    ident = os.environ.get("DKIMPY_IDENTITY")
    try:
        d = dkim.DKIM(msg, signature_algorithm=alg.encode(), linesep=eol)
        # the caller's h= list goes in as given, repeats included
        d.should_not_sign = set()
        d.frozen_sign = set()
        if not hdrs:
            d = dkim.DKIM(msg, signature_algorithm=alg.encode(), linesep=eol)
        sig = d.sign(selector.encode(), domain.encode(), key,
                     identity=ident.encode() if ident else None,
                     canonicalize=(hc.encode(), (bc or "simple").encode()),
                     include_headers=[x.encode() for x in hdrs.split(":")]
                     if hdrs else None,
                     length=os.environ.get("DKIMPY_LENGTH") == "1")
    except dkim.DKIMException as e:
        print("dkimpy-sign.py: %s" % e, file=sys.stderr)
        return 1
    if sig.endswith(b"\r\n"):
        sig = sig[:-2] + eol
    sys.stdout.buffer.write(sig + msg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
