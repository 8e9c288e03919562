#!/usr/bin/python3
# dkimpy-arc.py - ARC with dkimpy: seal a message, or validate chains
#
#	dkimpy-arc.py seal NSPORT KEYFILE DOMAIN SELECTOR AUTHSERV < in > out
#	dkimpy-arc.py verify NSPORT FILE...
#
# seal validates the chain first, writes the result as the hop's own
# Authentication-Results (dkimpy's arc_sign takes cv= from the arc= of
# the A-R fields of its authserv-id), then prints the message with the
# new ARC set on top and that A-R field below it. verify prints one line
# per FILE: "dkimpy: FILE cv=pass|fail|none (reason)". Keys come from
# the DNS server on 127.0.0.1:NSPORT. dkimpy 1.1 has no Ed25519 for ARC.
# Exit 0, or 1 when sealing fails, 2 on usage errors.
import importlib.util
import os
import sys

# make_dnsfunc is dkimpy-verify.py's (which also keeps httpx out)
_spec = importlib.util.spec_from_file_location(
    "dkimpy_verify", os.path.join(os.path.dirname(os.path.abspath(
        __file__)), "dkimpy-verify.py"))
_peer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_peer)
make_dnsfunc = _peer.make_dnsfunc
dkim = _peer.dkim


def crlf(msg):
    """crlf - the message with CRLF line ends"""
    return msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def cv_of(msg, dnsfunc):
    """cv_of - dkimpy's chain result of msg and its reason"""
    try:
        cv, _, reason = dkim.arc_verify(msg, dnsfunc=dnsfunc)
    except Exception as e:  # a chain dkimpy cannot parse fails
        return "fail", "exception: %s" % e
    cv = cv.decode() if isinstance(cv, bytes) else str(cv)
    return cv.lower(), str(reason)


def seal(args):
    """seal - validate, then add a set; 0 or 1"""
    port, keyfile, domain, sel, srv = args
    dnsfunc = make_dnsfunc(int(port))
    msg = crlf(sys.stdin.buffer.read())
    cv, _ = cv_of(msg, dnsfunc)
    ar = b"Authentication-Results: " + srv.encode() + b"; arc=" + \
        cv.encode() + b"\r\n"
    msg = ar + msg
    key = open(keyfile, "rb").read()
    try:
        fields = dkim.arc_sign(msg, sel.encode(), domain.encode(), key,
                               srv.encode(), dnsfunc=dnsfunc) \
            if "dnsfunc" in dkim.arc_sign.__code__.co_varnames else \
            dkim.arc_sign(msg, sel.encode(), domain.encode(), key,
                          srv.encode())
    except Exception as e:
        print("dkimpy-arc: seal: %s" % e, file=sys.stderr)
        return 1
    if not fields:
        print("dkimpy-arc: seal: nothing made", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(b"".join(fields) + msg)
    return 0


def main():
    """main - seal or verify"""
    if len(sys.argv) == 7 and sys.argv[1] == "seal":
        return seal(sys.argv[2:])
    if len(sys.argv) >= 4 and sys.argv[1] == "verify":
        dnsfunc = make_dnsfunc(int(sys.argv[2]))
        for f in sys.argv[3:]:
            cv, reason = cv_of(crlf(open(f, "rb").read()), dnsfunc)
            print("dkimpy: %s cv=%s (%s)" % (f, cv, reason.replace(
                "\n", " ")[:120]))
        return 0
    print("usage: dkimpy-arc.py seal NSPORT KEY DOMAIN SEL AUTHSERV | "
          "verify NSPORT FILE...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
