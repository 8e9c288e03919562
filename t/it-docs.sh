#!/usr/bin/env bash
# it-docs.sh - what ships with dkimd matches dkimd: samples, manuals, wiring
#
#	DKIMD=... DKIMTOOL=... bash t/it-docs.sh
#
# TAP on stdout (the plan at the end). The keyword table that `dkimd -k`
# prints (milter/conf.c) drives the sample etc/dkimd.conf and the KEYWORDS
# section of man/dkimd.conf.5; this test fails when a keyword is missing
# from either, or when either is not what its generator (etc/gen-dkimd-
# conf.sh, man/gen-conf-man.sh) makes from the table now. Then:
# - `dkimd -t` accepts the sample, its KeyTable and SigningTable once
#   their /etc/dkimd paths point into a temporary folder with keys made by
#   `dkimtool genkey`; and refuses a key that others may read;
# - dkimd run with that sample (on a free port of 127.0.0.1, stopped by
#   its PID) signs an ORIGINATING message twice (RSA and Ed25519, as the
#   sample says), both signatures verify with `dkimtool verify` against a
#   dnsmasq on 127.0.0.1 (t/lib/dns.sh), and other mail is verified;
# - every option of dkimd's usage is in dkimd(8); the three manuals
#   render without groff warnings;
# - the Postfix snippets parse (postconf -c on a temporary config folder)
#   with the milter on the services DESIGN.md names, and every snippet
#   points at the sample's Socket; the systemd unit passes
#   systemd-analyze verify (binary path rewritten to this build);
# - `make install DESTDIR=...` installs the manuals and the samples.
# A point whose tool is missing (groff, postconf, systemd-analyze, a
# configured build tree) is skipped, not failed. KEEP=1 keeps the work
# folder.
set -u

. "$(dirname "$0")/docs/lib.sh"	# here, top, DKIMD, DKIMTOOL, dkimd_run
PY=/usr/bin/python3

if [ ! -x "$DKIMD" ] || [ ! -x "$DKIMTOOL" ]; then
	echo "1..0 # SKIP no dkimd at $DKIMD or no dkimtool at $DKIMTOOL"
	exit 0
fi

work=$(mktemp -d /tmp/it-docs.XXXXXX) || exit 1
. "$here/lib/dns.sh"
. "$here/lib/dbtap.sh"		# ok, tap_end

# finish - EXIT trap: stop dkimd and DNS (by PID), remove the work folder
finish()
{
	dkimd_stop
	dns_stop
	if [ "${KEEP:-0}" = 1 ]; then
		echo "# work folder kept: $work" >&2
	else
		rm -rf -- "$work"
	fi
}
trap finish EXIT

# skip NAME WHY - one skipped test point
skip()
{
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# show FILE - a file as TAP comments (after a failed point)
show()
{
	sed -e 's/^/#   /' "$1" | head -n 20
}

# free_port - a free TCP port on 127.0.0.1
free_port()
{
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- the keyword table, the sample and the manual ------------------------

"$DKIMD" -k >"$work/keywords" 2>"$work/err"
rc=$?
nkw=$(wc -l <"$work/keywords")
[ "$rc" -eq 0 ] && [ "$nkw" -ge 20 ]
ok $? "dkimd -k prints the keyword table ($nkw keywords, exit $rc)"

cut -f1 "$work/keywords" >"$work/names"
while IFS= read -r kw; do
	grep -q -E "^#?$kw[[:space:]]" "$top/etc/dkimd.conf"
	ok $? "etc/dkimd.conf has a setting line for $kw"
done <"$work/names"
while IFS= read -r kw; do
	grep -q -F ".BI \"$(printf '%s' "$kw" | sed 's/-/\\-/g') \"" \
	    "$top/man/dkimd.conf.5"
	ok $? "dkimd.conf(5) documents $kw"
done <"$work/names"

sh "$top/etc/gen-dkimd-conf.sh" "$DKIMD" >"$work/gen.conf" 2>"$work/err"
cmp -s "$work/gen.conf" "$top/etc/dkimd.conf"
ok $? "etc/dkimd.conf is what etc/gen-dkimd-conf.sh makes from dkimd -k"
if [ $? -ne 0 ]; then
	diff "$top/etc/dkimd.conf" "$work/gen.conf" | show /dev/stdin
	echo "#   the keyword table changed: run 'make regen-docs' and commit"
fi

cp "$top/man/dkimd.conf.5" "$work/dkimd.conf.5"
sh "$top/man/gen-conf-man.sh" "$DKIMD" "$work/dkimd.conf.5" 2>"$work/err"
cmp -s "$work/dkimd.conf.5" "$top/man/dkimd.conf.5"
ok $? "man/dkimd.conf.5 is what man/gen-conf-man.sh makes from dkimd -k and -K"
[ $? -eq 0 ] ||
    echo "#   the keyword table changed: run 'make regen-docs' and commit"

# Every keyword of the installed opendkim.conf(5) has a class in dkimd -K
# (the manual's tagged paragraphs: .TP then .I KEYWORD (type)).
odkman=/usr/share/man/man5/opendkim.conf.5.gz
if [ -r "$odkman" ]; then
	"$DKIMD" -K | cut -f1 | sort -u >"$work/odk-classed"
	zcat "$odkman" | awk '/^\.TP/ { getline; if ($1 == ".I" &&
	    $2 ~ /^[A-Z][A-Za-z0-9-]+$/) print $2 }' | sort -u >"$work/odk-man"
	comm -23 "$work/odk-man" "$work/odk-classed" >"$work/odk-missing"
	[ -s "$work/odk-man" ] && [ ! -s "$work/odk-missing" ]
	ok $? "every opendkim.conf(5) keyword ($(wc -l <"$work/odk-man")) has a class in dkimd -K"
	[ -s "$work/odk-missing" ] && show "$work/odk-missing"
	echo "# OpenDKIM keywords per class:" $("$DKIMD" -K | cut -f2 |
	    sort | uniq -c | tr '\n' ' ')
else
	skip "every opendkim.conf(5) keyword has a class in dkimd -K" \
	    "no $odkman (apt-get install opendkim)"
fi

# ---- the sample configuration, with its paths in a temporary folder -------

S=$work/sample
mkdir -p "$S"
for f in dkimd.conf KeyTable SigningTable; do
	sed "s|/etc/dkimd/|$S/|g" "$top/etc/$f" >"$S/$f"
done
# every key the sample KeyTable names, made where it names it
grep -v -E '^[[:space:]]*(#|$)' "$S/KeyTable" |
while read -r name spec; do
	d=${spec%%:*}
	rest=${spec#*:}
	s=${rest%%:*}
	path=${rest#*:}
	alg=rsa
	case $s in ed*) alg=ed25519 ;; esac
	mkdir -p "$(dirname "$path")"
	"$DKIMTOOL" genkey -d "$d" -s "$s" -a "$alg" -D "$(dirname "$path")" \
	    >/dev/null 2>>"$work/genkey.err"
done
nkeys=$(grep -c -v -E '^[[:space:]]*(#|$)' "$S/KeyTable")
nrules=$(grep -c -v -E '^[[:space:]]*(#|$)' "$S/SigningTable")

"$DKIMD" -c "$S/dkimd.conf" -t >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" -eq 0 ] &&
    grep -q "OK ($nkeys keys, $nrules signing rules)" "$work/out"
ok $? "dkimd -t accepts the sample dkimd.conf, KeyTable, SigningTable ($nkeys keys, $nrules rules)"
[ "$rc" -eq 0 ] || show "$work/err"

# a key file that others may read: refused, named by table and line
k1=$(grep -v -E '^[[:space:]]*(#|$)' "$S/KeyTable" | head -n 1 |
    sed 's/.*://')
chmod 0644 "$k1"
"$DKIMD" -c "$S/dkimd.conf" -t >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "KeyTable:[0-9]*: key file $k1" "$work/err"
ok $? "RequireSafeKeys (sample: yes): dkimd -t refuses a key mode 0644, naming KeyTable:LINE"
chmod 0600 "$k1"

# ---- the sample at work: sign (twice), verify ----------------------------

docs_records "$S/keys" >"$work/records"
mkdir -p "$work/dns"
dns_start "$work/records" "$work/dns" >/dev/null 2>&1

port=$(free_port)
sed -e "s|^Socket .*|Socket inet:$port@127.0.0.1|" "$S/dkimd.conf" \
    >"$S/run.conf"
printf 'Nameservers 127.0.0.1:%s\nAuthservID docs.test\nSyslog no\n' \
    "$DNS_PORT" >>"$S/run.conf"
dkimd_run "$S/run.conf" "$port" "$work/dkimd.log"
ok $? "dkimd starts with the sample configuration"

$PY "$here/milter/mta.py" "127.0.0.1:$port" ORIGINATING "$top/etc/sample.eml" \
    >"$work/sign.out" 2>&1
[ "$(grep -c '^insert 0 DKIM-Signature .*a=rsa-sha256' "$work/sign.out")" = 1 ] &&
    [ "$(grep -c '^insert 0 DKIM-Signature .*a=ed25519-sha256' "$work/sign.out")" = 1 ]
ok $? "dkimd with the sample signs ORIGINATING mail of example.com with RSA and Ed25519"
[ $? -eq 0 ] || show "$work/sign.out"

$PY "$here/docs/apply-inserts.py" "$top/etc/sample.eml" "$work/sign.out" \
    >"$work/signed.eml"
"$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" \
    --authserv-id docs.test "$work/signed.eml" >"$work/ar" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ "$(grep -o 'dkim=pass' "$work/ar" | wc -l)" = 2 ]
ok $? "both signatures verify with dkimtool verify (dkim=pass twice)"
[ $? -eq 0 ] || show "$work/ar"

$PY "$here/milter/mta.py" "127.0.0.1:$port" MTA "$work/signed.eml" \
    >"$work/verify.out" 2>&1
grep -q '^insert 0 Authentication-Results  *docs.test;.*dkim=pass' \
    "$work/verify.out" &&
    ! grep -q 'DKIM-Signature' "$work/verify.out"
ok $? "dkimd with the sample verifies mail from another daemon name (dkim=pass, no signing)"
[ $? -eq 0 ] || show "$work/verify.out"

dkimd_stop
! grep -q -E 'AddressSanitizer|runtime error' "$work/dkimd.log"
ok $? "dkimd's log has no sanitizer report"

# ---- the manuals ----------------------------------------------------------

"$DKIMD" >/dev/null 2>"$work/usage"
grep -o -E '\[?-[a-z]' "$work/usage" | tr -d '[' | sort -u >"$work/opts"
[ -s "$work/opts" ]
ok $? "dkimd's usage lists options ($(tr '\n' ' ' <"$work/opts"))"
while IFS= read -r o; do
	grep -q -F -e ".BI \\$o " -e ".B \\$o" "$top/man/dkimd.8"
	ok $? "dkimd(8) documents option $o"
done <"$work/opts"

for sec in SIGNALS "EXIT STATUS" POSTFIX SENDMAIL SECURITY FILES EXAMPLES; do
	grep -q "^\.SH $sec" "$top/man/dkimd.8"
	ok $? "dkimd(8) has a section $sec"
done
for w in SIGHUP SIGTERM RequireSafeKeys UserID milter_default_action \
    cleanup-orig 127.0.0.1; do
	grep -q -F -e "$w" -e "$(printf '%s' "$w" | sed 's/-/\\-/g')" \
	    "$top/man/dkimd.8"
	ok $? "dkimd(8) speaks of $w"
done

if command -v groff >/dev/null 2>&1; then
	for m in dkimd.8 dkimd.conf.5 dkimtool.1; do
		groff -ww -z -man "$top/man/$m" >"$work/groff" 2>&1
		[ $? -eq 0 ] && [ ! -s "$work/groff" ]
		ok $? "man/$m renders without groff warnings"
		[ $? -eq 0 ] || show "$work/groff"
	done
else
	for m in dkimd.8 dkimd.conf.5 dkimtool.1; do
		skip "man/$m renders without groff warnings" "no groff"
	done
fi

# ---- the wiring samples ---------------------------------------------------

for f in postfix/main.cf.snippet postfix/master.cf.snippet \
    postfix/amavis-master.cf.snippet; do
	grep -q 'inet:127.0.0.1:8891' "$top/etc/$f"
	ok $? "etc/$f points at the sample's Socket (inet:127.0.0.1:8891)"
done
grep -q '^Socket  *inet:8891@127.0.0.1$' "$top/etc/dkimd.conf" &&
    grep -q 'S=inet:8891@127.0.0.1' "$top/etc/sendmail/dkimd.mc" &&
    grep -q 'DAEMON_OPTIONS(`Port=submission, Name=ORIGINATING' \
    "$top/etc/sendmail/dkimd.mc"
ok $? "etc/sendmail/dkimd.mc: the sample's Socket, submission named ORIGINATING"
! grep -q '^define(`confMILTER_MACROS_' "$top/etc/sendmail/dkimd.mc"
ok $? "etc/sendmail/dkimd.mc: replaces no milter macro list of the site"
grep -q '^dnl define(`confAUTH_MECHANISMS' "$top/etc/sendmail/dkimd.mc" &&
    grep -q '^dnl TRUST_AUTH_MECH(' "$top/etc/sendmail/dkimd.mc" &&
    grep -q 'Sendmail.conf' "$top/etc/sendmail/dkimd.mc" &&
    grep -q "FEATURE(\`msp', \`\[127.0.0.1\]', \`MSA')" "$top/etc/sendmail/dkimd.mc"
ok $? "etc/sendmail/dkimd.mc: says how to set up AUTH for M=Ea and what msp's MSA does"
! grep -q 'etc/sendmail/dkimd.mc' "$top/man/dkimd.8" &&
    grep -q '/usr/share/doc/dkimd/examples/dkimd.mc' "$top/man/dkimd.8" &&
    grep -q 'confAUTH_MECHANISMS' "$top/man/dkimd.8" &&
    grep -q 'RELAY_MAILER_ARGS' "$top/man/dkimd.8"
ok $? "dkimd(8): names the installed dkimd.mc, AUTH and the MSP's relay lines"
for f in sign.lua verify.lua; do
	head -n 20 "$top/etc/miltertest/$f" | grep -q -- '-D' &&
	    grep -q "examples/miltertest/$f" "$top/man/dkimd.8" &&
	    grep -q "examples/miltertest/$f" "$top/README.md"
	ok $? "etc/miltertest/$f: a header on what to set, in dkimd(8) EXAMPLES and README"
done

# the .mc lines through sendmail-cf's m4 files, when they are installed
cfm4=/usr/share/sendmail/cf/m4/cf.m4
if [ -f "$cfm4" ] && command -v m4 >/dev/null 2>&1; then
	{
		printf "include(\`%s')dnl\nOSTYPE(\`linux')dnl\n" "$cfm4"
		cat "$top/etc/sendmail/dkimd.mc"
		printf "MAILER(\`local')dnl\nMAILER(\`smtp')dnl\n"
	} >"$work/test.mc"
	m4 "$work/test.mc" >"$work/test.cf" 2>"$work/m4.err"
	rc=$?
	[ "$rc" -eq 0 ] && [ ! -s "$work/m4.err" ] &&
	    grep -q '^Xdkimd, S=inet:8891@127.0.0.1, F=T' "$work/test.cf" &&
	    grep -q '^O InputMailFilters=dkimd$' "$work/test.cf" &&
	    [ "$(grep -c -E '^O DaemonPortOptions=Port=(submission|587),' "$work/test.cf")" = 1 ] &&
	    grep -q '^O DaemonPortOptions=Port=submission, Name=ORIGINATING' "$work/test.cf"
	ok $? "etc/sendmail/dkimd.mc builds a sendmail.cf: the filter, one daemon on 587 named ORIGINATING"
	[ "$rc" -eq 0 ] || show "$work/m4.err"
else
	skip "etc/sendmail/dkimd.mc builds a sendmail.cf" "no sendmail-cf"
fi

# pf NAME MASTER - a Postfix config folder with the snippets; postconf -M
pf()
{
	local d=$work/pf-$1
	mkdir -p "$d"
	sed -n '/^[a-z_]* *=/p' "$top/etc/postfix/main.cf.snippet" >"$d/main.cf"
	cp "$top/etc/postfix/$2" "$d/master.cf"
	postconf -c "$d" -M 2>"$work/pf-$1.err"
}
if command -v postconf >/dev/null 2>&1; then
	pf plain master.cf.snippet >"$work/plain.M"
	grep -q -E '^submission +inet .*-o milter_macro_daemon_name=ORIGINATING .*-o smtpd_milters=inet:127.0.0.1:8891' "$work/plain.M" &&
	    grep -q -E '^pickup +unix .*-o cleanup_service_name=cleanup-orig' "$work/plain.M" &&
	    grep -q -E '^cleanup-orig +unix .*-o milter_macro_daemon_name=ORIGINATING' "$work/plain.M" &&
	    [ ! -s "$work/pf-plain.err" ]
	ok $? "master.cf.snippet parses: submission and cleanup-orig ORIGINATING, pickup to cleanup-orig"
	[ $? -eq 0 ] || show "$work/pf-plain.err"
	postconf -c "$work/pf-plain" -h milter_protocol non_smtpd_milters \
	    smtpd_milters >"$work/plain.main" 2>&1
	[ "$(tr '\n' ' ' <"$work/plain.main")" = "6 inet:127.0.0.1:8891 inet:127.0.0.1:8891 " ]
	ok $? "main.cf.snippet: milter_protocol 6, smtpd_milters and non_smtpd_milters"

	pf amavis amavis-master.cf.snippet >"$work/amavis.M"
	grep -E '^127.0.0.1:10027 ' "$work/amavis.M" |
	    grep -q 'milter_macro_daemon_name=ORIGINATING.*smtpd_milters=inet:127.0.0.1:8891.*milter_default_action=tempfail' &&
	    grep -E '^127.0.0.1:10025 ' "$work/amavis.M" |
	    grep -q 'smtpd_milters=inet:127.0.0.1:8891' &&
	    ! grep -E '^127.0.0.1:10025 ' "$work/amavis.M" | grep -q ORIGINATING &&
	    [ ! -s "$work/pf-amavis.err" ]
	ok $? "amavis-master.cf.snippet parses: 10027 signs (ORIGINATING, tempfail), 10025 verifies"
	[ $? -eq 0 ] || show "$work/pf-amavis.err"
else
	skip "master.cf.snippet parses" "no postconf"
	skip "main.cf.snippet parses" "no postconf"
	skip "amavis-master.cf.snippet parses" "no postconf"
fi

if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$work/unit"
	sed -e "s|/usr/sbin/dkimd|$DKIMD|g" -e '/^Documentation=/d' \
	    "$top/etc/dkimd.service" >"$work/unit/dkimd.service"
	systemd-analyze verify "$work/unit/dkimd.service" >"$work/sa" 2>&1
	[ $? -eq 0 ] && ! grep -v -E 'Failed to (connect|create)|/sys/fs/cgroup' "$work/sa" | grep -q .
	ok $? "etc/dkimd.service passes systemd-analyze verify"
	[ $? -eq 0 ] || show "$work/sa"
else
	skip "etc/dkimd.service passes systemd-analyze verify" "no systemd-analyze"
fi
grep -q '^ExecStart=.* -f ' "$top/etc/dkimd.service" &&
    grep -q '^Type=notify' "$top/etc/dkimd.service" &&
    grep -q '^WatchdogSec=' "$top/etc/dkimd.service" &&
    grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' "$top/etc/dkimd.service" &&
    grep -q '^ProtectSystem=strict' "$top/etc/dkimd.service" &&
    grep -q '^NoNewPrivileges=yes' "$top/etc/dkimd.service"
ok $? "etc/dkimd.service: Type=notify with -f and WatchdogSec, reload by SIGHUP, ProtectSystem=strict, NoNewPrivileges"

# ---- make install ----------------------------------------------------------

if [ -f "$top_builddir/Makefile" ]; then
	make -C "$top_builddir" install DESTDIR="$work/inst" \
	    >"$work/install.out" 2>&1
	rc=$?
	missing=
	for f in man/man8/dkimd.8 man/man5/dkimd.conf.5 man/man1/dkimtool.1 \
	    doc/dkimd/examples/dkimd.conf doc/dkimd/examples/KeyTable \
	    doc/dkimd/examples/SigningTable doc/dkimd/examples/dkimd.service \
	    doc/dkimd/examples/postfix/master.cf.snippet; do
		[ -n "$(find "$work/inst" -path "*/share/$f" 2>/dev/null)" ] ||
		    missing="$missing $f"
	done
	[ "$rc" -eq 0 ] && [ -z "$missing" ]
	ok $? "make install puts the manuals and the samples in place"
	[ -z "$missing" ] || echo "#   missing:$missing"
	[ "$rc" -eq 0 ] || tail -n 5 "$work/install.out" | show /dev/stdin
else
	skip "make install puts the manuals and the samples in place" \
	    "no configured build tree at $top_builddir"
fi

tap_end
