#!/usr/bin/python3
"""make-seeds.py - seed answers for fuzz_dns, made by t/dnsfake.py's Answerer

Run from anywhere: /usr/bin/python3 fuzz/corpus/dns/make-seeds.py
Writes one file per behaviour of t/dnsfake.py into this directory, each
the UDP answer (TCP for truncate) to "TXT sel._domainkey.example.com".
"""
import os
import random
import struct
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "t"))
import dnsfake  # noqa: E402

NAME = "sel._domainkey.example.com"
KEY = ('"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="')
ZONE = {
    "ok": NAME + " txt " + KEY,
    "split": NAME + ' txt "v=DKIM1; k=rsa; " "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ"',
    "two": NAME + " txt " + KEY + "\n" + NAME + " txt " + KEY,
    "spf": NAME + ' txt "v=spf1 -all"\n' + NAME + " txt " + KEY,
    "cname": NAME + " cname target.example.net\ntarget.example.net txt " + KEY,
    "soa": NAME + " soa 600\n" + NAME + " empty",
    "nxdomain": NAME + " soa 900\n" + NAME + " nxdomain",
    "servfail": NAME + " servfail",
    "refused": NAME + " refused",
    "malformed": NAME + " malformed",
    "comploop": NAME + " comploop",
    "badtxt": NAME + " badtxt",
    "wrongname": NAME + " wrongname\n" + NAME + " txt " + KEY,
    "wrongtype": NAME + " wrongtype",
    "oversize": NAME + " oversize\n" + NAME + " txt " + KEY,
    "nul": NAME + ' txt "v=DKIM1; p=AA\\x00AA"',
    "ttl0": NAME + " ttl 0\n" + NAME + " txt " + KEY,
    "fuzz": NAME + " fuzz",
}


def query(name):
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    return q + dnsfake.encode_name(name) + struct.pack(">HH", 16, 1)


def main():
    random.seed(1)
    for word, text in sorted(ZONE.items()):
        with tempfile.NamedTemporaryFile("w", suffix=".zone") as f:
            f.write(text + "\n")
            f.flush()
            a = dnsfake.Answerer(dnsfake.Zone(f.name))
        out, _, _ = a.answer(query(NAME), "udp")
        if out is not None:
            with open(os.path.join(here, word), "wb") as o:
                o.write(out)
    t = out = None
    with tempfile.NamedTemporaryFile("w", suffix=".zone") as f:
        f.write(NAME + " truncate\n" + NAME + " txt " + KEY + "\n")
        f.flush()
        t = dnsfake.Answerer(dnsfake.Zone(f.name))
    for proto in ("udp", "tcp"):
        out, _, _ = t.answer(query(NAME), proto)
        with open(os.path.join(here, "truncate-" + proto), "wb") as o:
            o.write(out)


if __name__ == "__main__":
    main()
