#!/usr/bin/python3
# mta.py - a minimal MTA side of the milter protocol (version 6), for what
# miltertest cannot do: header fields over 1 KB, and the exact index of
# every header change the milter asks for. The message is split into
# fields and body as Postfix's cleanup splits it (see split()).
#
#	mta.py HOST:PORT DAEMON_NAME MESSAGE_FILE [STEPS]
#
# Offers every action and protocol step, with HDR_LEADSPC, as Postfix 3.7
# does (or the steps in STEPS, a number such as 0x10077F); sends {daemon_name} at connect, the message's header fields (values
# with their leading space) and body, and prints the milter's end-of-message
# requests one per line (a verdict given before end of message ends it):
#	insert INDEX NAME VALUE	(SMFIR_INSHEADER; LF shown as \n)
#	change INDEX NAME VALUE	(SMFIR_CHGHEADER; empty VALUE deletes)
#	add NAME VALUE		(SMFIR_ADDHEADER)
#	body CODE		(the reply to the body, when there is one)
#	reply CODE		(the final reply character)
# Exit 0, or 1 on a protocol error. Only ever talks to the address given.
import re
import socket
import struct
import sys

NR_HDR = 0x80
NR_CONN = 0x1000
NR_MAIL = 0x4000
NR_EOH = 0x40000
NR_BODY = 0x80000
LEADSPC = 0x100000
ALL_ACTIONS = 0x1FF
ALL_STEPS = 0x1FFFFF


def send(s, cmd, data=b""):
    """send - one milter packet"""
    s.sendall(struct.pack("!I", len(data) + 1) + cmd + data)


def recv(s):
    """recv - one milter packet as (cmd, data)"""
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError("milter closed the connection")
            buf += chunk
        return buf
    (n,) = struct.unpack("!I", exact(4))
    data = exact(n)
    return data[:1], data[1:]


# a header field's first line: a name of printable characters other than
# ':', optional WSP (RFC 5322 obs-optional), then ':'
FIELD = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")


def split(raw):
    """split - the header fields and the body of raw (LF line ends) as
    Postfix's cleanup finds them: the header ends at the empty line, or
    at the first line that is neither a field nor the continuation of
    one, and that line begins the body; so a first line that begins with
    WSP continues nothing and the whole message is body"""
    fields = []
    pos = 0
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        nxt = len(raw) if end < 0 else end + 1
        line = raw[pos:nxt].rstrip(b"\n")
        if line == b"":
            return fields, raw[nxt:]
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += b"\n" + line
        elif FIELD.match(line):
            name, _, value = line.partition(b":")
            fields.append([name, value])
        else:
            return fields, raw[pos:]
        pos = nxt
    return fields, b""


def show(v):
    return v.decode("latin-1").replace("\r", "\\r").replace("\n", "\\n")


def main():
    hostport, daemon, path = sys.argv[1:4]
    offer = int(sys.argv[4], 0) if len(sys.argv) > 4 else ALL_STEPS | LEADSPC
    host, port = hostport.rsplit(":", 1)
    fields, body = split(open(path, "rb").read().replace(b"\r\n", b"\n"))
    s = socket.create_connection((host, int(port)), timeout=20)
    send(s, b"O", struct.pack("!III", 6, ALL_ACTIONS, offer))
    cmd, data = recv(s)
    if cmd != b"O":
        raise SystemExit("no option negotiation reply")
    _, _, steps = struct.unpack("!III", data[:12])
    send(s, b"D", b"C{daemon_name}\0" + daemon.encode() + b"\0")
    send(s, b"C", b"client.test\0" + b"4" + struct.pack("!H", 25) +
         b"198.51.100.1\0")
    cmd = b"c"
    if not steps & NR_CONN:
        cmd, _ = recv(s)
    send(s, b"D", b"Mi\0MTAPY1\0")
    send(s, b"M", b"<sender@example.net>\0")
    if not steps & NR_MAIL:
        cmd, _ = recv(s)
    for name, value in fields if cmd == b"c" else []:
        send(s, b"L", name + b"\0" + value + b"\0")
        if not steps & NR_HDR:
            recv(s)
    if cmd == b"c":
        send(s, b"N")
    if cmd == b"c" and not steps & NR_EOH:
        cmd, _ = recv(s)
    if cmd == b"c":
        send(s, b"B", body.replace(b"\n", b"\r\n"))
        if not steps & NR_BODY:
            cmd, _ = recv(s)
            print("body %s" % cmd.decode())
    if cmd in (b"c", b"s"):
        send(s, b"E")
        while True:
            cmd, data = recv(s)
            if cmd in (b"i", b"m"):
                (idx,) = struct.unpack("!I", data[:4])
                name, value = data[4:].split(b"\0")[:2]
                print("%s %d %s %s" % ("insert" if cmd == b"i" else "change",
                      idx, name.decode(), show(value)))
            elif cmd == b"h":
                name, value = data.split(b"\0")[:2]
                print("add %s %s" % (name.decode(), show(value)))
            else:
                break
    print("reply %s" % cmd.decode())
    send(s, b"Q")
    s.close()


if __name__ == "__main__":
    main()
