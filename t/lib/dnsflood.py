#!/usr/bin/python3
"""dnsflood.py - legitimate mail through dkimd while an attacker floods it

    dnsflood.py PORT [--before FILE,...] [--during FILE,...]
        [--attack N] [--sigs K] [--hangups H] [--wait SECONDS]

Talks milter protocol to dkimd on 127.0.0.1:PORT as an inbound MTA
(t/data/faults/mfault.py's Session). In order:

  1. each --before message alone, one after the other: the baseline;
  2. the attack: N connections at once, each a message with K
     DKIM-Signature fields naming distinct domains under the TLD .evil
     (s.aJ.eI.evil: one group eI.evil per message), sent whole and waiting
     for dkimd's verdict; while they wait, H connections that send such a
     message's header, end it and hang up (names hJ.gI.evil);
  3. --wait seconds later, the --during messages one after the other,
     while the attackers still wait.

With --bigkeys M instead: M messages of K signatures whose names
(s.bJ.kI.big) hold key records padded to 60 KB, 8 connections at a time;
prints big_res (count of each result).

Prints key=value lines for the calling script: before_ms and during_ms
(space-separated latencies), before_res and during_res (the dkim= result
of each), attack_res (count of each result among the attackers),
attack_max_ms, hangup_ms (the attacker's time for all hang-ups).
Python 3 standard library only; exit 0 unless the milter broke the
protocol.
"""
import argparse
import base64
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "data", "faults"))
import mfault  # noqa: E402


def attack_message(i, sigs, prefix):
    """a message with sigs signatures whose keys live under .evil"""
    head = []
    for j in range(sigs):
        bh = base64.b64encode(os.urandom(32)).decode()
        b = base64.b64encode(os.urandom(256)).decode()
        head.append("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;"
                    " d=%s%d.%s%d.evil; s=s; h=from:to:subject;\r\n"
                    "\tbh=%s;\r\n\tb=%s\r\n"
                    % (prefix[0], j, prefix[1], i, bh, b))
    return ("".join(head).encode() + mfault.MESSAGE)


def result_of(mods):
    ar = mfault.field(mods, b"Authentication-Results")
    if not ar:
        return "none"
    m = re.search(rb"dkim=(\w+)", ar[0])
    return m.group(1).decode() if m else "none"


def verify(port, msg, timeout=60):
    """(latency ms, dkim= result) of one message on its own connection"""
    t0 = time.monotonic()
    s = mfault.Session(port, timeout=timeout)
    s.negotiate()
    s.hello(b"INBOUND")
    mods, _ = s.message(msg, b"INBOUND")
    s.send(b"Q")
    s.close()
    return int((time.monotonic() - t0) * 1000), result_of(mods)


def hangup(port, msg):
    """send the header, end it, hang up"""
    s = mfault.Session(port, timeout=10)
    s.negotiate()
    s.hello(b"INBOUND")
    s.envelope()
    s.headers(msg)
    s.eoh()
    s.close()


def series(port, files):
    lat, res = [], []
    for f in files:
        ms, r = verify(port, open(f, "rb").read())
        lat.append(ms)
        res.append(r)
    return lat, res


def bigkeys(a):
    counts, lock = {}, threading.Lock()
    todo = list(range(a.bigkeys))

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            msg = attack_message(i, a.sigs, "bk").replace(b".evil;", b".big;")
            _, r = verify(a.port, msg)
            with lock:
                counts[r] = counts.get(r, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("big_res=%s" % " ".join("%s:%d" % kv
                                  for kv in sorted(counts.items())))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--before", default="")
    p.add_argument("--during", default="")
    p.add_argument("--attack", type=int, default=20)
    p.add_argument("--sigs", type=int, default=8)
    p.add_argument("--hangups", type=int, default=200)
    p.add_argument("--wait", type=float, default=0.5)
    p.add_argument("--bigkeys", type=int, default=0)
    a = p.parse_args()
    if a.bigkeys:
        return bigkeys(a)

    lat, res = series(a.port, [f for f in a.before.split(",") if f])
    print("before_ms=%s" % " ".join(map(str, lat)))
    print("before_res=%s" % " ".join(res))
    sys.stdout.flush()

    outcomes, lock = [], threading.Lock()

    def attacker(i):
        try:
            out = verify(a.port, attack_message(i, a.sigs, "ae"))
        except Exception as e:  # noqa: BLE001 - reported, not raised
            out = (0, "error:" + type(e).__name__)
        with lock:
            outcomes.append(out)

    threads = [threading.Thread(target=attacker, args=(i,))
               for i in range(a.attack)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    for i in range(a.hangups):
        hangup(a.port, attack_message(i, a.sigs, "hg"))
    print("hangup_ms=%d" % int((time.monotonic() - t0) * 1000))
    time.sleep(a.wait)
    lat, res = series(a.port, [f for f in a.during.split(",") if f])
    print("during_ms=%s" % " ".join(map(str, lat)))
    print("during_res=%s" % " ".join(res))
    sys.stdout.flush()
    for t in threads:
        t.join()
    counts = {}
    for _, r in outcomes:
        counts[r] = counts.get(r, 0) + 1
    print("attack_res=%s" % " ".join("%s:%d" % kv
                                     for kv in sorted(counts.items())))
    print("attack_max_ms=%d" % max([ms for ms, _ in outcomes] or [0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
