#!/usr/bin/python3
# dkimpy-dkimtool.py - dkimtool's sign/verify interface, done with dkimpy
#
#	DKIMTOOL=t/peers/dkimpy-dkimtool.py bash t/it-interop.sh
#
# A stand-in that lets it-interop.sh prove itself before dkimtool exists,
# and tells a harness fault from an engine fault: every test that fails
# against the real dkimtool but passes against this one points at dkimd.
#	sign -d D -s S -k KEY [-a ALG] [-c CANON] [FILE]   (-d/-s/-k/-a groups)
#	verify [--nameserver HOST[:PORT]] [--authserv-id ID] [FILE]
# Exit codes as dkimtool's: 0, 1 (verify: none passes), 2 usage.
import os
import subprocess
import sys

sys.modules.setdefault("httpx", None)   # as in dkimpy-verify.py

import dkim  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def load(name):
    """load - import a sibling script whose file name has a dash"""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        name.replace("-", "_"), os.path.join(HERE, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def sign(args):
    """sign - dkimtool sign: one dkimpy-sign.py run per -d/-s/-k group"""
    groups, canon, path = [], "relaxed/relaxed", None
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-d", "-s", "-k", "-a", "-c") and i + 1 < len(args):
            v = args[i + 1]
            i += 2
            if a == "-c":
                canon = v
            elif a == "-d":
                groups.append({"d": v})
            elif groups:
                groups[-1][a[1]] = v
            else:
                return 2
        else:
            path = a
            i += 1
    if not groups:
        return 2
    msg = open(path, "rb").read() if path else sys.stdin.buffer.read()
    for g in reversed(groups):
        alg = g.get("a")
        if not alg:
            alg = "ed25519-sha256" if b"BEGIN PRIVATE KEY" in open(
                g["k"], "rb").read() and b"MC4CAQAw" in open(
                g["k"], "rb").read() else "rsa-sha256"
        p = subprocess.run([os.path.join(HERE, "dkimpy-sign.py"), g["k"],
                            g["d"], g["s"], alg, canon], input=msg,
                           capture_output=True)
        if p.returncode:
            sys.stderr.buffer.write(p.stderr)
            return 1
        msg = p.stdout
    sys.stdout.buffer.write(msg)
    return 0


def verify(args):
    """verify - dkimtool verify: one Authentication-Results field"""
    port, authserv, path = 53, "dkimpy.test", None
    i = 0
    while i < len(args):
        if args[i] == "--nameserver" and i + 1 < len(args):
            port = int(args[i + 1].rpartition(":")[2] or 53)
            i += 2
        elif args[i] == "--authserv-id" and i + 1 < len(args):
            authserv = args[i + 1]
            i += 2
        else:
            path = args[i]
            i += 1
    msg = open(path, "rb").read() if path else sys.stdin.buffer.read()
    dnsfunc = load("dkimpy-verify").make_dnsfunc(port)
    d = dkim.DKIM(msg)
    nsig = len([1 for n, _ in d.headers if n.lower() == b"dkim-signature"])
    res = []
    for i in range(nsig):
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc)
        except dkim.DKIMException:
            ok = False
        b = d.signature_fields.get(b"b", b"")[:8].decode()
        res.append("dkim=%s header.d=%s header.s=%s header.b=%s" % (
            "pass" if ok else "fail", d.domain.decode(),
            d.selector.decode(), b))
    print("Authentication-Results: %s;%s" % (
        authserv, ";".join("\n\t" + r for r in res) or " dkim=none"))
    return 0 if any("dkim=pass" in r for r in res) else 1


def main():
    """main - dispatch on the command word"""
    if len(sys.argv) < 2:
        return 2
    if sys.argv[1] == "sign":
        return sign(sys.argv[2:])
    if sys.argv[1] == "verify":
        return verify(sys.argv[2:])
    return 2


if __name__ == "__main__":
    sys.exit(main())
