#!/usr/bin/env python3
"""compare.py - OpenDKIM's results against dkimd's, case by case

usage: compare.py CONFIG CASES OPENDKIM-OUT DKIMD-OUT DIFFERENCES

The outputs are compare.lua's lines (CASE, SIG, AR). For each case of the
CASES list, three things are compared: the reply, the signatures (d=, s=,
a= and h= as a set) and the dkim= verdicts of Authentication-Results
("none" and no field at all are the same: OpenDKIM adds none to unsigned
mail by default, dkimd always does); the signatures are compared twice,
"sig" (d=, s=, a=) and "h" (h= of each, when the signatures are the same). DIFFERENCES lists the
differences expected, one a line "CASE KIND why" (KIND reply, sig, h or
ar; CASE * for every case of the configuration). A listed "h" difference
passes only where dkimd signs every field OpenDKIM signed. Prints one
line per case and kind, "pass WHAT" or "fail WHAT", with "# " lines that
show both sides of a difference; an expected difference that does not
occur fails too (the list must say what happens).
"""
import sys

KINDS = ("reply", "sig", "h", "ar")


def read(path):
    """case -> kind -> sorted list of values"""
    out = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) < 2 or w[0] not in ("CASE", "SIG", "AR"):
                continue
            kind = {"CASE": "reply", "SIG": "sig", "AR": "ar"}[w[0]]
            val = " ".join(w[2:])
            if kind == "ar" and w[2] == "none":
                continue
            c = out.setdefault(w[1], {k: [] for k in KINDS})
            if kind == "sig":
                c["h"].append(" ".join(w[2:4]) + " " + w[5])
                val = " ".join(w[2:5])
            c[kind].append(val)
    for c in out.values():
        for k in KINDS:
            c[k].sort()
    return out


def superset(odk, dk):
    """each of OpenDKIM's signatures has dkimd's twin signing as much"""
    if len(odk) != len(dk):
        return False
    for a, b in zip(odk, dk):
        ida, ha = a.rsplit(" ", 1)
        idb, hb = b.rsplit(" ", 1)
        if ida != idb or not set(ha[2:].split(",")) <= set(hb[2:].split(",")):
            return False
    return True


def cases(path):
    with open(path) as f:
        return [l.split()[0] for l in f
                if l.strip() and not l.startswith("#")]


def expected(path):
    exp = {}
    try:
        with open(path) as f:
            for line in f:
                w = line.split(None, 2)
                if len(w) >= 2 and not line.startswith("#"):
                    exp[(w[0], w[1])] = w[2].strip() if len(w) > 2 else ""
    except FileNotFoundError:
        pass
    return exp


def main():
    conf, casef, odkf, dkf, difff = sys.argv[1:6]
    odk, dk, exp = read(odkf), read(dkf), expected(difff)
    empty = {k: [] for k in KINDS}
    used = set()
    for name in cases(casef):
        a, b = odk.get(name, empty), dk.get(name, empty)
        if not a["reply"] or not b["reply"]:
            print("fail %s/%s: %s gave no result" % (
                conf, name, "OpenDKIM" if not a["reply"] else "dkimd"))
            continue
        for k in KINDS:
            what = "%s/%s %s" % (conf, name, k)
            if k == "h" and a["sig"] != b["sig"]:
                continue    # no twin signatures to compare
            same = a[k] == b[k]
            why = exp.pop((name, k), None)
            if why is None and ("*", k) in exp and not same:
                why = exp[("*", k)]
                used.add(("*", k))
            if why is not None and not same and k == "h" and \
                    not superset(a[k], b[k]):
                print("fail %s: dkimd signs fewer fields than OpenDKIM"
                      % what)
                continue
            if not same:
                print("#   OpenDKIM: %s" % ("; ".join(a[k]) or "(none)"))
                print("#   dkimd:    %s" % ("; ".join(b[k]) or "(none)"))
            if same and why is None:
                print("pass %s: the same (%s)" % (
                    what, "; ".join(a[k]) or "none"))
            elif why is not None and not same:
                print("pass %s: differs as expected: %s" % (what, why))
            elif why is not None:
                print("fail %s: a listed difference did not occur" % what)
            else:
                print("fail %s: differs, and the difference is not listed"
                      % what)
    for (name, k) in exp:
        if name != "*":
            print("fail %s/%s %s: listed, but no such case" % (conf, name, k))
        elif (name, k) not in used:
            print("fail %s/* %s: listed, but no case differs" % (conf, k))


if __name__ == "__main__":
    main()
