#!/usr/bin/python3
# apply-inserts.py - the message as the MTA would deliver it after a milter
#
#	apply-inserts.py MESSAGE_FILE MTA_OUTPUT > RESULT
#
# MTA_OUTPUT is what t/milter/mta.py printed for MESSAGE_FILE: lines
# "insert INDEX NAME VALUE" (LF shown as \n, CR as \r) are applied in
# order, each inserting a header field before field INDEX (0: the top),
# as Postfix does. Other lines are ignored. The result is written with
# LF line ends, which dkimtool verify accepts. Used by t/demo.sh and
# t/it-docs.sh to verify what dkimd signed.
import sys


def unshow(v):
    return v.replace("\\r", "\r").replace("\\n", "\n").encode("latin-1")


def main():
    raw = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
    head, _, body = raw.partition(b"\n\n")
    fields = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\n" + line
        else:
            fields.append(line)
    for line in open(sys.argv[2], encoding="latin-1").read().splitlines():
        parts = line.split(" ", 3)
        if len(parts) == 4 and parts[0] == "insert":
            value = unshow(parts[3]).replace(b"\r\n", b"\n")
            fields.insert(int(parts[1]), parts[2].encode() + b":" + value)
    sys.stdout.buffer.write(b"\n".join(fields) + b"\n\n" + body)


if __name__ == "__main__":
    main()
