#!/usr/bin/python3
# sign-at.py - a message signed by dkimpy as if the clock said now+OFFSET
# seconds (t= in the future, for ClockDrift in t/milter/it-kw.sh)
#
#	sign-at.py KEYFILE DOMAIN SELECTOR OFFSET <message >signed
import sys
import time

import dkim

key, domain, selector, offset = sys.argv[1:5]
msg = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
real = time.time
dkim.time.time = lambda: real() + int(offset)
sig = dkim.sign(msg, selector.encode(), domain.encode(),
                open(key, "rb").read(), include_headers=[b"from", b"subject"])
sys.stdout.buffer.write(sig + msg)
