#!/bin/bash
# opendkim-verify.sh - verify a message's DKIM signatures with OpenDKIM
#
#	opendkim-verify.sh NSPORT < msg
#
# Runs the real opendkim binary in test mode ("-t", "-vv"); its resolver
# (libunbound in Debian's build) gets a configuration that forwards every
# query to 127.0.0.1:NSPORT, with DNSSEC off and localhost allowed.
# OpenDKIM checks only the top 3 signatures by default (the rest come out
# "neutral"); this raises MaximumSignaturesToVerify to 20.
# Prints the Authentication-Results value that OpenDKIM would add, one
# line per dkim= result, prefixed "opendkim: ".
# Exit 0 when at least one signature passes, 1 when none does, 2 usage.
set -u
if [ $# -ne 1 ] || ! [ "$1" -gt 0 ] 2>/dev/null; then
	echo "usage: opendkim-verify.sh NSPORT < msg" >&2
	exit 2
fi
dir=$(mktemp -d /tmp/opendkim-verify.XXXXXX) || exit 1
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
cat > "$dir/unbound.conf" <<CONF
server:
	do-not-query-localhost: no
	module-config: "iterator"
forward-zone:
	name: "."
	forward-addr: 127.0.0.1@$1
CONF
cat > "$dir/opendkim.conf" <<CONF
Mode v
ResolverConfiguration $dir/unbound.conf
AlwaysAddARHeader yes
MaximumSignaturesToVerify 20
AuthservID opendkim.test
Syslog no
CONF

timeout 60 opendkim -x "$dir/opendkim.conf" -vv -t "$dir/msg" \
    > "$dir/out" 2>&1
# The AR value: one "dkim=..." per signature, each on its own line.
sed -n "s/^[[:space:]]*\(dkim=[a-z].*\)[;']\$/opendkim: \1/p" "$dir/out" \
    > "$dir/res"
if [ ! -s "$dir/res" ]; then
	echo "opendkim: no result"
	grep -v 'returned SMFIS' "$dir/out"
	exit 1
fi
cat "$dir/res"
grep -q '^opendkim: dkim=pass' "$dir/res"
