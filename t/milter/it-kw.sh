#!/usr/bin/env bash
# it-kw.sh - OpenDKIM keywords with OpenDKIM's meaning, through the real
# dkimd driven by miltertest (TAP)
#
# One dkimd after another, each with one group of keywords (ExemptDomains,
# DontSignMailTo, MacroList, ...), and the t/milter/kw-*.lua scripts
# against it. Most points show an attack failing: a From that only looks
# exempt, a recipient list that hides an exempt address, a macro value
# that differs in case. dnsmasq on 127.0.0.1 (t/lib/dns.sh) serves the
# test key, so what dkimd signs is verified again by dkimd itself.
# Every process is stopped by its PID.
#
# Needs: miltertest, dnsmasq. Environment: DKIMD, DKIMTOOL, top_srcdir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
tdir=$top_srcdir/t/milter
work=$(mktemp -d /tmp/it-kw.XXXXXX)
DKIMD_PID=

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"
# shellcheck source=t/lib/dns.sh
. "$top_srcdir/t/lib/dns.sh"

cleanup() {
	dkimd_halt
	rm -rf "$work"
}
trap cleanup EXIT

command -v miltertest >/dev/null || skip_all "miltertest not installed"
command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] ||
	skip_all "dnsmasq not installed"
[ -x "$DKIMD" ] || skip_all "no dkimd at $DKIMD"
[ -x "$DKIMTOOL" ] || skip_all "no dkimtool at $DKIMTOOL"
PATH=$PATH:/usr/sbin

# start EXTRA-CONF-LINES - dkimd on a free port with the base configuration
# and these lines; 1 (and a failed point) when it does not start
start() {
	PORT=$(free_port)
	{
		cat <<EOT
Socket			inet:$PORT@127.0.0.1
KeyTable		file:$work/key.table
SigningTable		refile:$work/signing.table
AuthservID		mx.test
Nameservers		127.0.0.1:$DNS_PORT
DNSTimeout		2
Syslog			no
LogWhy			yes
EOT
		printf '%s\n' "$@"
	} >"$work/dkimd.conf"
	dkimd_launch "$work/dkimd.conf" "$work/dkimd.log" && return 0
	ok 1 "dkimd starts with: $*"
	return 1
}

stop() {
	dkimd_halt
	dkimd_sanitizer "$work/dkimd.log"
}

# refused LINE PATTERN NAME - dkimd -t refuses a configuration with LINE,
# saying PATTERN
refused() {
	printf 'Socket inet:1@127.0.0.1\nSyslog no\n%s\n' "$1" >"$work/bad.conf"
	"$DKIMD" -t -c "$work/bad.conf" >"$work/bad.out" 2>&1
	[ $? -ne 0 ] && grep -q -E -- "$2" "$work/bad.out"
	ok $? "$3"
	sed 's/^/#   /' "$work/bad.out"
}

mkdir -p "$work/keys"
"$DKIMTOOL" genkey -d example.com -s sel1 -D "$work/keys" >/dev/null
chmod 600 "$work/keys/sel1.private"
# the same key published for every domain the scripts sign as
zone_to_records "$work/keys/sel1.txt" >"$work/records"
for d in exempt.test sub.exempt.test other.test; do
	zone_to_records "$work/keys/sel1.txt" |
	    sed "s/^sel1._domainkey.example.com/sel1._domainkey.$d/"
done >>"$work/records"
echo "sel1 %:sel1:$work/keys/sel1.private" >"$work/key.table"
cat >"$work/signing.table" <<EOT
*@example.com		sel1
*@exempt.test		sel1
*@sub.exempt.test	sel1
*@other.test		sel1
EOT
dns_start "$work/records" "$work" || { echo "Bail out! dnsmasq did not start"; exit 1; }

# ---- ExemptDomains ------------------------------------------------------------
if start "ExemptDomains exempt.test, Other.Test"; then
	run kw-exempt.lua
	logged "EX1: sign \(MTA ORIGINATING\): ExemptDomains exempt.test: passed unchanged" \
	    "ExemptDomains: log: the exempt domain and that the message passed unchanged"
	logged "EX6: verify .*ExemptDomains exempt.test: only forged Authentication-Results removed" \
	    "ExemptDomains: log: an exempt message's forged Authentication-Results removed"
	stop
fi
printf '*.exempt.test\n' >"$work/exempt.re"
if start "ExemptDomains refile:$work/exempt.re"; then
	run kw-exempt-re.lua
	stop
fi
refused "ExemptDomains sqlite:/nonexistent.db" \
    "ExemptDomains: \"sqlite\" data sets are not supported here" \
    "ExemptDomains: a database data set is refused, not read as a list of one odd domain"
refused "ExemptDomains file:$work/no-such-file" "no-such-file: cannot open" \
    "ExemptDomains: a missing file is an error, not an empty set"

# ---- DontSignMailTo -----------------------------------------------------------
if start "DontSignMailTo List@Lists.example.net"; then
	run kw-dontsign.lua
	logged "DS3: sign \(MTA ORIGINATING\): DontSignMailTo <LIST@LISTS.EXAMPLE.NET>: passed unsigned" \
	    "DontSignMailTo: log: the recipient that stopped the signature"
	stop
fi
if start; then
	run kw-dsreload.lua -D reload="echo 'DontSignMailTo list@lists.example.net' \
	    >>$work/dkimd.conf; kill -HUP $DKIMD_PID; for i in 1 2 3 4 5 6 7 8 9 10; \
	    do grep -q reloaded $work/dkimd.log && break; sleep 0.2; done"
	logged "DSR2: sign \(MTA ORIGINATING\): DontSignMailTo <recipients not sent on this connection>: passed unsigned" \
	    "DontSignMailTo: log: why the old connection's mail was not signed"
	stop
fi

# ---- MacroList ----------------------------------------------------------------
if start "MacroList daemon_name=MSA|Submit, {x_local}"; then
	run kw-macro.lua
	logged "MAC1: sign \(MacroList \{daemon_name\}=MSA\)" \
	    "MacroList: log: the macro and its value are the reason to sign"
	stop
fi
printf 'daemon_name\tMSA|Submit\n' >"$work/macros"
if start "MacroList file:$work/macros"; then
	run kw-macro.lua -D only=file
	stop
fi
refused "MacroList daemon_name|ORIGINATING" \
    "MacroList: \"daemon_name\|ORIGINATING\" is not a macro name" \
    "MacroList: NAME|VALUE (a macro no MTA sends, never signing) is refused with a hint"

# ---- RemoveOldSignatures, SoftwareHeader, AlwaysAddARHeader ------------------
version=$(sed -n 's/^AC_INIT(\[dkimd\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
if start "RemoveOldSignatures yes" "SoftwareHeader yes" \
    "AlwaysAddARHeader no" "PeerList 203.0.113.0/24"; then
	run kw-sigs.lua -D version="$version"
	logged "KWS1: sign .*d=example.com s=sel1 a=rsa-sha256 signed; removed 2 old DKIM-Signature" \
	    "RemoveOldSignatures: log: how many old signatures were removed"
	stop
fi

# ---- MaximumSignedBytes ------------------------------------------------------
if start "MaximumSignedBytes 100"; then
	run kw-lbytes.lua
	logged "LB5: verify .*policy \(l=100 leaves 230 body bytes unsigned\) cause=unsigned_body" \
	    "MaximumSignedBytes: log: how many bytes our own l= left unsigned"
	stop
fi

# ---- ClockDrift: a signature made 600 s ahead of our clock --------------------
printf 'From: <user@example.com>\nSubject: t= ahead\n\nbody\n' |
    /usr/bin/python3 "$tdir/sign-at.py" "$work/keys/sel1.private" example.com \
    sel1 600 >"$work/ahead.eml"
# drift WANT NAME - the result dkimd gives ahead.eml, as mta.py saw it
drift() {
	/usr/bin/python3 "$tdir/mta.py" "127.0.0.1:$PORT" INBOUND \
	    "$work/ahead.eml" >"$work/drift.out" 2>&1
	grep -q "^insert 0 Authentication-Results .*dkim=$1" "$work/drift.out"
	ok $? "$2"
	grep Authentication-Results "$work/drift.out" | cut -c1-200 | sed 's/^/#   /'
}
if start; then
	drift permerror "ClockDrift default 300: t= 600 s ahead is a permerror (signature in the future)"
	stop
fi
if start "ClockDrift 900"; then
	drift pass "ClockDrift 900: the same signature passes"
	stop
fi
if start "ClockDrift 0"; then
	printf 'From: <user@example.com>\nSubject: t= ahead\n\nbody\n' |
	    /usr/bin/python3 "$tdir/sign-at.py" "$work/keys/sel1.private" \
	    example.com sel1 30 >"$work/ahead.eml"
	drift permerror "ClockDrift 0: even 30 s ahead is a permerror"
	stop
fi
refused "ClockDrift -1" "ClockDrift: \"-1\": expected a number from 0 to 86400" \
    "ClockDrift: a negative drift is refused"

# ---- AuthservIDWithJobID ------------------------------------------------------
if start "AuthservIDWithJobID yes"; then
	run kw-jobid.lua
	logged "JOB1: verify .*removed 2 forged Authentication-Results" \
	    "AuthservIDWithJobID: log: both forms of forged result removed, the foreign one kept"
	stop
fi

# ---- InternalHosts as a refile: data set, OpenDKIM's precedence ----------------
printf '198.51.100.*\n!198.51.100.66\n10.0.0.0/8\n!10.1.0.0/16\n' >"$work/internal.re"
if start "InternalHosts refile:$work/internal.re"; then
	run kw-internal.lua
	logged "IH1: sign \(internal host 198.51.100.5\)" \
	    "InternalHosts refile: log: the internal host is the reason to sign"
	stop
fi
printf '*.example.com\n' >"$work/names.re"
refused "InternalHosts refile:$work/names.re" "host names are not supported" \
    "InternalHosts refile: a host name pattern is refused, not trusted by name"

# ---- ExternalIgnoreList ------------------------------------------------------
printf '192.0.2.*\n' >"$work/exignore.re"
if start "ExternalIgnoreList refile:$work/exignore.re"; then
	run kw-exignore.lua
	logged "EXI1: external host 198.51.100.9 sent as example.com \(not in ExternalIgnoreList\)" \
	    "ExternalIgnoreList: an external host sending as our domain is noted, as OpenDKIM does"
	! grep -q "EXI2: external host" "$work/dkimd.log"
	ok $? "ExternalIgnoreList: a listed host is not noted"
	! grep -q "EXI3: external host" "$work/dkimd.log"
	ok $? "ExternalIgnoreList: mail as a domain we do not sign for is not noted"
	stop
fi

# ---- RequiredHeaders ---------------------------------------------------------
if start "RequiredHeaders yes"; then
	run kw-required.lua
	logged "RQ2: verify .*rejected: Subject field count breaks RFC 5322 section 3.6 \(RequiredHeaders\)" \
	    "RequiredHeaders: log: the field whose count is wrong"
	stop
fi

echo "1..$n"
exit $fail
