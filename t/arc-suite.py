#!/usr/bin/env python3
"""arc-suite.py - write the scenarios of the ARC validation suite as files

    arc-suite.py SUITE.yml OUTDIR

For each scenario NAME: OUTDIR/NAME.msg (the message, LF line ends as in
the suite), OUTDIR/NAME.dns ("NAME VALUE" per line, the suite's TXT
records) and a line "NAME CV" in OUTDIR/index, CV one of none, pass,
fail; or "NAME SKIP reason" for a scenario skipped, with the RFC 8617
section that justifies it. t/test_arc OUTDIR runs them.
"""
import os
import sys

import yaml

# Scenarios that rest on draft-era details RFC 8617 does not share. RFC
# 8617 §4.1.2 gives the AMS "the same syntax and semantics as the
# DKIM-Signature field" but for its name, i= and the absence of v=.
SKIP = {
    "ams_fields_c_na":
        "RFC 8617 §4.1.2: an AMS without c= is simple/simple as in RFC 6376"
        " §3.5; the scenario was signed relaxed/relaxed, a draft default",
    "ams_fields_h_empty":
        "RFC 8617 §4.1.2: AMS h= has DKIM's syntax, at least one hdr-name"
        " (RFC 6376 §3.5), and From among them (RFC 6376 §5.4)",
    "ams_fields_h_mis_hdr":
        "RFC 8617 §4.1.2: AMS h= has DKIM's syntax, where an empty name"
        " between colons is no hdr-name (RFC 6376 §3.5)",
}


def cv_of(v):
    """the suite's cv (None, Pass, Fail, or empty) as a result name"""
    v = (v or "").strip().lower() if v is not None else "none"
    if v in ("", "fail"):
        return "fail"  # "": sealed cv=fail before (RFC 8617 §5.2 step 2)
    return v


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    lines = []
    with open(src, encoding="utf-8") as f:
        docs = list(yaml.safe_load_all(f))
    for doc in docs:
        records = doc.get("txt-records") or {}
        for name, t in doc["tests"].items():
            if name in SKIP:
                lines.append("%s SKIP %s" % (name, SKIP[name]))
                continue
            with open(os.path.join(out, name + ".msg"), "w",
                      encoding="utf-8", newline="") as m:
                m.write(t["message"])
            with open(os.path.join(out, name + ".dns"), "w",
                      encoding="utf-8") as d:
                for k, v in records.items():
                    d.write("%s %s\n" % (k, v))
            lines.append("%s %s" % (name, cv_of(t["cv"]) if "cv" in t
                                    else "none"))
    with open(os.path.join(out, "index"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
