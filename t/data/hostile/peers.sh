#!/bin/bash
# peers.sh - a second opinion on the hostile cases from other verifiers
#
#	t/data/hostile/peers.sh [CASE...]	(from the top of the source tree)
#
# Not a test: prints, for every verification case (or the named ones),
# the expected results next to what dkimpy, Mail::DKIM and OpenDKIM say,
# each through its driver in t/peers/ with the case's records served by
# dnsmasq on 127.0.0.1 (t/lib/dns.sh: a random high port, stopped by PID).
# Cases with records-fail or fill directives, and signing cases, are
# skipped: a real DNS server cannot fail on demand, and the fills are too
# big for the drivers' one-shot reads to matter. A '*' marks a peer whose
# verdict on the first signature differs from the expected one.
set -u
top=$(pwd)
here=$top/t/data/hostile
[ -f "$here/make-cases.py" ] || { echo "run from the source tree top" >&2; exit 2; }
. "$top/t/lib/dns.sh"
work=$(mktemp -d /tmp/hostile-peers.XXXXXX) || exit 1
trap 'dns_stop; rm -rf -- "$work"' EXIT

# verdict - the first dkim=RESULT a driver printed, or "-"
verdict()
{
	tr -cd '[:print:]\n' | sed -n 's/^[a-z]*: dkim=\([a-z]*\).*/\1/p' |
	    head -n 1 | grep . || echo -
}

# mark - a peer's verdict, starred when it and the expectation disagree on
# whether the signature passes
mark()
{
	case "$exp:$1" in
	pass:pass|fail:fail|none:-|none:none) echo "$1" ;;
	pass:*|*:pass) echo "$1*" ;;
	*) echo "$1" ;;
	esac
}

printf '%-36s %-10s %-10s %-10s %-10s\n' case expected dkimpy maildkim opendkim
if [ $# -gt 0 ]; then
	set -- "${@/%/.eml}"
	set -- "${@/#/$here/}"
else
	set -- "$here"/*.eml
fi
for f in "$@"; do
	name=$(basename "$f" .eml)
	grep -q -a -e '^# records-fail:' -e '^# fill:' -e '^# mode: sign' "$f" &&
	    continue
	exp=$(sed -n 's/^# expect: \([a-z-]*\).*/\1/p' "$f" | head -n 1)
	sed -n 's/^# records: //p' "$f" > "$work/records"
	sed '/^#/d' "$f" > "$work/msg"
	dns_stop
	mkdir -p "$work/dns"
	dns_start "$work/records" "$work/dns" >/dev/null 2>&1 || {
		echo "$name: DNS server did not start" >&2; continue; }
	a=$(/usr/bin/python3 "$top/t/peers/dkimpy-verify.py" "$DNS_PORT" \
	    < "$work/msg" 2>/dev/null | verdict)
	b=$(perl "$top/t/peers/maildkim-verify.pl" "$DNS_PORT" \
	    < "$work/msg" 2>/dev/null | verdict)
	c=$(bash "$top/t/peers/opendkim-verify.sh" "$DNS_PORT" \
	    < "$work/msg" 2>/dev/null | verdict)
	printf '%-36s %-10s %-10s %-10s %-10s\n' "$name" "$exp" \
	    "$(mark "$a")" "$(mark "$b")" "$(mark "$c")"
done
