#!/bin/bash
# opendkim-sign.sh - sign a message with OpenDKIM's filter in test mode
#
#	opendkim-sign.sh KEYFILE DOMAIN SELECTOR ALG CANON < msg > signed
#
# Runs the real opendkim binary (Debian package opendkim) with "-t -" and
# "-vv", which passes the message through the filter's own callbacks and
# prints each header field that the filter would insert. A KeyTable and a
# "*" SigningTable make it sign with DOMAIN whatever the From domain is.
# The DKIM-Signature value is put on top of the message with the message's
# line ending. OpenDKIM 2.11.0~beta2 makes invalid ed25519-sha256
# signatures with simple header canonicalization: callers must not take it
# as the reference there (this script still signs, to show it).
# Exit 0 signed, 1 error, 2 usage.
set -u
if [ $# -ne 5 ]; then
	echo "usage: opendkim-sign.sh KEYFILE DOMAIN SELECTOR ALG CANON" >&2
	exit 2
fi
key=$(readlink -f -- "$1") domain=$2 selector=$3 alg=$4 canon=$5
dir=$(mktemp -d /tmp/opendkim-sign.XXXXXX) || exit 1
trap 'rm -rf -- "$dir"' EXIT

cat > "$dir/msg"
# A message always ends with a line end in SMTP, and OpenDKIM's test mode
# misreads one that does not ("message not signed"): add it, as the MTA
# would (RFC 6376 section 3.4.3 adds it to the canonical body anyway).
if [ -s "$dir/msg" ] && [ -n "$(tail -c 1 "$dir/msg")" ]; then
	if grep -q $'\r$' "$dir/msg"; then
		printf '\r\n' >> "$dir/msg"
	else
		printf '\n' >> "$dir/msg"
	fi
fi
printf 'k1 %s:%s:%s\n' "$domain" "$selector" "$key" > "$dir/keytable"
printf '* k1\n' > "$dir/signingtable"
cat > "$dir/opendkim.conf" <<CONF
Mode s
KeyTable file:$dir/keytable
SigningTable refile:$dir/signingtable
Canonicalization $canon
SignatureAlgorithm $alg
Syslog no
RequireSafeKeys no
CONF

if ! timeout 60 opendkim -x "$dir/opendkim.conf" -vv -t "$dir/msg" \
    > "$dir/out" 2>&1; then
	echo "opendkim-sign.sh: opendkim failed:" >&2
	cat "$dir/out" >&2
	exit 1
fi
/usr/bin/python3 - "$dir/out" "$dir/msg" <<'PY'
# Take the value between "hvalue='" and the closing quote, as test mode
# prints it, and prepend it as a field to the message.
import re, sys
out = open(sys.argv[1], "rb").read()
msg = open(sys.argv[2], "rb").read()
m = re.search(rb"### INSHEADER: idx=\d+ hname='DKIM-Signature' "
              rb"hvalue='(.*?)'\n", out, re.S)
if not m:
    sys.stderr.write("opendkim-sign.sh: no signature made:\n")
    sys.stderr.buffer.write(out)
    sys.exit(1)
eol = b"\r\n" if b"\r\n" in msg else b"\n"
value = m.group(1).replace(b"\r\n", b"\n").replace(b"\n", eol)
sys.stdout.buffer.write(b"DKIM-Signature: " + value + eol + msg)
PY
# not exec: the EXIT trap must remove the work folder
exit $?
