#!/usr/bin/python3
# load.py - keep dkimd signing and check every message at once with dkimpy
#
#	load.py MILTER_HOST:PORT MESSAGE_FILE STOP_FILE NSPORT...
#
# Until STOP_FILE exists: sends MESSAGE_FILE through the milter as
# submitted mail (t/milter/mta.py, daemon name ORIGINATING), puts the
# DKIM-Signature it inserts on top of the message and verifies it with
# dkimpy against each DNS server 127.0.0.1:NSPORT (t/peers/dkimpy-
# verify.py's dnsfunc). Prints one line per message:
#	msg SEQ TIME s=SELECTOR pass|fail ...	(one result per server)
# or "msg SEQ TIME unsigned" when dkimd added no signature.
import contextlib
import importlib.util
import io
import os
import re
import sys
import time

sys.modules.setdefault("httpx", None)
here = os.path.dirname(os.path.abspath(__file__))


def load(name, path):
    """load - import a script of the test tree as a module"""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


mta = load("mta", os.path.join(here, "..", "milter", "mta.py"))
peer = load("peer", os.path.join(here, "..", "peers", "dkimpy-verify.py"))
import dkim  # noqa: E402


def sign(hostport, path):
    """sign - the DKIM-Signature value dkimd inserts, or None"""
    out = io.StringIO()
    sys.argv = ["mta.py", hostport, "ORIGINATING", path]
    with contextlib.redirect_stdout(out):
        mta.main()
    for line in out.getvalue().splitlines():
        m = re.match(r"insert \d+ DKIM-Signature (.*)$", line)
        if m:
            v = m.group(1).replace("\\r", "").replace("\\n", "\n")
            return v.replace("\n", "\r\n")
    return None


def main():
    hostport, path, stop = sys.argv[1:4]
    ports = [int(p) for p in sys.argv[4:]]
    funcs = [peer.make_dnsfunc(p) for p in ports]
    raw = open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    seq = 0
    while not os.path.exists(stop):
        seq += 1
        value = sign(hostport, path)
        now = time.time()
        if value is None:
            print("msg %d %.3f unsigned" % (seq, now), flush=True)
            continue
        sel = re.search(r"\bs=([^;\s]+)", value).group(1)
        sp = b"" if value.startswith((" ", "\t")) else b" "
        msg = b"DKIM-Signature:" + sp + value.encode() + b"\r\n" + raw
        res = ["pass" if dkim.verify(msg, dnsfunc=f) else "fail" for f in funcs]
        print("msg %d %.3f s=%s %s" % (seq, now, sel, " ".join(res)), flush=True)
        time.sleep(0.05)


if __name__ == "__main__":
    main()
