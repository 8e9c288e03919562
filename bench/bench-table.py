#!/usr/bin/python3
# bench-table.py - the side-by-side table of bench-milter.sh from its results
#
#	bench-table.py DIR
#
# Reads DIR/results.txt (loadgen's "loadgen key=value" lines, labelled
# milter=,sock=,op=,size=; "idle" and "end" lines with RSS) and
# DIR/speed.txt (openssl speed of the same run), prints one row per
# operation, size, socket and concurrency with both milters' figures and
# their ratio, and writes DIR/plot.dat (2 KB messages, unix socket:
# msg/s against connections) for bench/throughput.gp.
#
# "dkimd/raw" is dkimd's CPU per message divided by the raw cost of the
# same work on this machine: one RSA-2048 or Ed25519 operation (openssl
# speed) plus SHA-256 over the message's bytes once.
import os
import sys


def parse(line):
    kv = {}
    for tok in line.split()[1:]:
        if "=" in tok:
            k, v = tok.split("=", 1)
            kv[k] = v
    if "label" in kv:
        for part in kv.pop("label").split(","):
            if "=" in part:
                k, v = part.split("=", 1)
                kv[k] = v
    return kv


def main():
    d = sys.argv[1]
    speed = {}
    for line in open(os.path.join(d, "speed.txt")):
        k, _, v = line.strip().partition("=")
        speed[k] = v
    cells, idle, hwm, died = {}, {}, {}, []
    for line in open(os.path.join(d, "results.txt")):
        kv = parse(line)
        if line.startswith("loadgen "):
            key = (kv["op"], kv["size"], kv["sock"], int(kv["c"]))
            cells.setdefault(key, {})[kv["milter"]] = kv
        elif line.startswith("idle "):
            idle[(kv["milter"], kv["sock"])] = int(kv["rss_kb"] or 0)
        elif line.startswith("end "):
            hwm[(kv["milter"], kv["sock"])] = int(kv["hwm_kb"] or 0)
        elif line.startswith("died "):
            died.append(kv)

    sha = float(speed.get("sha256_mb_per_s", "0") or 0) * 1e6
    opcost = {
        "sign-rsa": float(speed.get("rsa2048_sign_ms", "0") or 0),
        "sign-ed": float(speed.get("ed25519_sign_ms", "0") or 0),
        "verify": float(speed.get("rsa2048_verify_ms", "0") or 0),
    }
    print("machine: %s, %s cores, Linux %s, OpenSSL %s, OpenDKIM %s" % (
        speed.get("cpu"), speed.get("cores"), speed.get("kernel"),
        speed.get("openssl"), speed.get("opendkim")))
    print("raw: RSA-2048 sign %s ms, verify %s ms; Ed25519 sign %s ms; "
          "SHA-256 %s MB/s (one core)" % (
              speed.get("rsa2048_sign_ms"), speed.get("rsa2048_verify_ms"),
              speed.get("ed25519_sign_ms"), speed.get("sha256_mb_per_s")))
    hdr = ("op", "size", "sock", "C", "dkimd/s", "OpenDKIM/s", "ratio",
           "dkimd ms CPU", "ODK ms CPU", "dkimd/raw", "p50 dkimd",
           "p50 ODK", "RSS dkimd", "RSS ODK")
    fmt = "%-8s %-4s %-12s %2s %8s %10s %6s %12s %10s %9s %9s %9s %9s %9s"
    print(fmt % hdr)
    order = {"sign-rsa": 0, "sign-ed": 1, "verify": 2}
    sizes = {"2K": 0, "100K": 1, "10M": 2}
    socks = {"unix": 0, "inet": 1, "inet-nodelay": 2}
    failed = 0
    for key in sorted(cells, key=lambda k: (order.get(k[0], 9),
                                            sizes.get(k[1], 9),
                                            socks.get(k[2], 9), k[3])):
        op, size, sock, c = key
        a = cells[key].get("dkimd")
        b = cells[key].get("opendkim")

        def rate(x):
            if x is None:
                return "-"
            if x.get("fail", "0") != "0":
                return "FAIL%s" % x["fail"]
            return "%.0f" % float(x["msgs_per_s"])

        def f(x, k, p="%.3f"):
            if x is None or k not in x or float(x[k]) < 0:
                return "-"
            return p % float(x[k])

        for x in (a, b):
            if x is not None and x.get("fail", "0") != "0":
                failed += 1
        ratio = "-"
        if a and b and float(b.get("msgs_per_s", 0) or 0) > 0:
            ratio = "%.2f" % (float(a["msgs_per_s"]) /
                              float(b["msgs_per_s"]))
        raw = "-"
        if a and sha > 0 and float(a.get("cpu_ms_per_msg", -1)) > 0:
            cost = opcost[op] + float(a["bytes"]) / sha * 1000.0
            raw = "%.2f" % (float(a["cpu_ms_per_msg"]) / cost)
        print(fmt % (op, size, sock, c, rate(a), rate(b), ratio,
                     f(a, "cpu_ms_per_msg"), f(b, "cpu_ms_per_msg"), raw,
                     f(a, "p50_ms", "%.2f"), f(b, "p50_ms", "%.2f"),
                     f(a, "rss_peak_kb", "%.0f"),
                     f(b, "rss_peak_kb", "%.0f")))
    for (m, s), v in sorted(idle.items()):
        print("memory: %s on %s: idle %d kB, VmHWM at the end %s kB" % (
            m, s, v, hwm.get((m, s), "-")))
    for kv in died:
        st = int(kv.get("status", 0))
        print("died: %s on %s during %s %s c=%s (exit status %d%s); "
              "restarted for the next cell" % (
                  kv["milter"], kv["sock"], kv["op"], kv["size"], kv["c"],
                  st, ", SIGSEGV" if st == 139 else ""))
    if failed:
        print("FAILED: %d runs had messages without their signature or "
              "result" % failed)

    with open(os.path.join(d, "plot.dat"), "w") as p:
        p.write("# C dkimd-sign-rsa odk-sign-rsa dkimd-sign-ed odk-sign-ed "
                "dkimd-verify odk-verify (2 KB, unix socket, msg/s)\n")
        concs = sorted({k[3] for k in cells})
        for c in concs:
            row = [str(c)]
            for op in ("sign-rsa", "sign-ed", "verify"):
                for m in ("dkimd", "opendkim"):
                    x = cells.get((op, "2K", "unix", c), {}).get(m)
                    row.append(x["msgs_per_s"] if x else "NaN")
            p.write(" ".join(row) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
