#!/usr/bin/python3
# dkimpy-verify.py - verify every DKIM signature of a message with dkimpy
#
#	dkimpy-verify.py NSPORT < msg
#
# Keys are fetched over DNS from 127.0.0.1:NSPORT with dnspython
# (Debian python3-dnspython), which retries over TCP when a UDP answer is
# truncated. Prints one line per signature:
#	dkimpy: dkim=pass|fail d=DOMAIN s=SELECTOR a=ALG (reason)
# Exit 0 when at least one signature passes (as dkimtool verify), 1 when
# none does or there is none, 2 on usage errors.
import io
import logging
import sys

# dnspython (imported by dkim) loads httpx for DNS over HTTPS, never used
# here and slower to load than all the rest: keep it out.
sys.modules.setdefault("httpx", None)

import dkim  # noqa: E402
import dns.exception
import dns.resolver


def make_dnsfunc(port):
    """make_dnsfunc - a dkimpy dnsfunc asking only 127.0.0.1:port"""
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = ["127.0.0.1"]
    res.port = port
    res.lifetime = 5

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii", "replace")
        try:
            ans = res.resolve(name, "TXT", lifetime=timeout)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except dns.exception.DNSException:
            return None
        # RFC 6376 section 3.6.2.2: the strings of one record are joined.
        return b"".join(list(ans.rrset)[0].strings)
    return dnsfunc


def main():
    """main - verify every signature, print one line each"""
    if len(sys.argv) != 2:
        print("usage: dkimpy-verify.py NSPORT < msg", file=sys.stderr)
        return 2
    dnsfunc = make_dnsfunc(int(sys.argv[1]))
    msg = sys.stdin.buffer.read()
    log = io.StringIO()
    logger = logging.getLogger("dkimpy-verify")
    logger.addHandler(logging.StreamHandler(log))
    logger.setLevel(logging.DEBUG)
    try:
        d = dkim.DKIM(msg, logger=logger)
    except dkim.DKIMException as e:
        print("dkimpy: dkim=permerror (message refused: %s)" % e)
        return 1
    nsig = len([1 for n, _ in d.headers if n.lower() == b"dkim-signature"])
    if nsig == 0:
        print("dkimpy: dkim=none (no signature)")
        return 1
    npass = 0
    for i in range(nsig):
        log.seek(0)
        log.truncate()
        d.domain = d.selector = b"?"
        d.signature_fields = {}
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc)
            why = ""
        except Exception as e:  # dkimpy lets binascii etc. through
            ok = False
            why = "%s: %s" % (type(e).__name__, e)
        if not ok and not why:
            lines = [x for x in log.getvalue().splitlines()
                     if not x.startswith(("sig:", "signed for", "sig: "))]
            why = lines[-1] if lines else "bad signature"
        a = d.signature_fields.get(b"a", b"?")
        print("dkimpy: dkim=%s d=%s s=%s a=%s%s" % (
            "pass" if ok else "fail", d.domain.decode(errors="replace"),
            d.selector.decode(errors="replace"), a.decode(errors="replace"),
            "" if ok else " (%s)" % why[:200]))
        npass += 1 if ok else 0
    return 0 if npass else 1


if __name__ == "__main__":
    sys.exit(main())
