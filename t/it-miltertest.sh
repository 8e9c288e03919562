#!/usr/bin/env bash
# it-miltertest.sh - the shipped miltertest recipes, run as shipped (TAP)
#
# Runs etc/miltertest/sign.lua and verify.lua (installed in
# $(docdir)/examples/miltertest) against the real dkimd, as README's
# "Checking dkimd by hand" section tells administrators to, with only -D
# settings: dkimd's socket on a random loopback port, a key for example.com
# served by dnsmasq. The signed message sign.lua writes is checked by dkimpy
# too; then the attacks: verify.lua on a tampered copy gives dkim=fail,
# forged Authentication-Results are removed, and sign.lua gets no signature
# for a daemon name dkimd does not sign or a From without a key.
# Needs miltertest, dnsmasq, python3-dkim. Environment: DKIMD, DKIMTOOL,
# top_srcdir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
DKIMD_PID=
T=

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"

for p in miltertest dnsmasq; do
	command -v "$p" >/dev/null || skip_all "$p not installed"
done
[ -x "$DKIMD" ] || skip_all "no dkimd at $DKIMD"
[ -x "$DKIMTOOL" ] || skip_all "no dkimtool at $DKIMTOOL"

T=$(mktemp -d /tmp/it-miltertest.XXXXXX)
cleanup() {
	[ -n "$DKIMD_PID" ] && kill "$DKIMD_PID" 2>/dev/null
	[ -n "$DKIMD_PID" ] && wait "$DKIMD_PID" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT

# shellcheck source=t/lib/dns.sh
. "$top_srcdir/t/lib/dns.sh"

EX=$top_srcdir/etc/miltertest
DK=$(free_port)
mta_dkimd_conf mt || { echo "Bail out! dnsmasq did not start"; exit 1; }
mta_dkimd_start 1 || { echo "Bail out! dkimd did not start"; exit 1; }

# mt NAME SCRIPT -D ... - run a shipped script from $T (as an administrator
# would, from a folder of their own); output in $T/NAME.out
mt() {
	local name=$1 script=$2
	shift 2
	(cd "$T" && timeout 30 miltertest -s "$EX/$script" \
	    -D socket="inet:$DK@127.0.0.1" "$@") >"$T/$name.out" 2>&1
}

# ---- sign.lua, as shipped ----------------------------------------------------
mt sign sign.lua -D from=alice@example.com
ok $? "sign.lua: runs to its end against dkimd"
sed 's/^/#   /' "$T/sign.out"
grep -q "^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=mt;" "$T/sign.out"
ok $? "sign.lua: prints the DKIM-Signature dkimd would add"
[ -s "$T/signed.eml" ] && head -n 1 "$T/signed.eml" | grep -q "^DKIM-Signature:"
ok $? "sign.lua: writes the signed message to signed.eml"
/usr/bin/python3 "$top_srcdir/t/peers/dkimpy-verify.py" "$DNS_PORT" \
    <"$T/signed.eml" >"$T/dkimpy.out" 2>&1
ok $? "sign.lua: dkimpy verifies the message it wrote"
sed 's/^/#   /' "$T/dkimpy.out"

# ---- verify.lua, as shipped, on what sign.lua wrote -----------------------------
mt verify verify.lua
ok $? "verify.lua: runs to its end against dkimd"
sed 's/^/#   /' "$T/verify.out"
grep -q "^Authentication-Results: mx.test;" "$T/verify.out" &&
    tr -d '\n' <"$T/verify.out" | grep -q "dkim=pass[^;]*header.d=example.com" &&
    ! grep -q "removes" "$T/verify.out"
ok $? "verify.lua: prints dkimd's Authentication-Results, dkim=pass, nothing removed"

# ---- the attacks --------------------------------------------------------------
sed 's/signed by dkimd/signed by someone else/' "$T/signed.eml" >"$T/tampered.eml"
mt tampered verify.lua -D message=tampered.eml
grep -q "dkim=fail" "$T/tampered.out" && ! grep -q "dkim=pass" "$T/tampered.out"
ok $? "verify.lua: a body changed after signing gives dkim=fail"
sed 's/^/#   /' "$T/tampered.out"
{
	printf 'Authentication-Results: mx.test; dkim=pass header.d=example.com\r\n'
	cat "$T/signed.eml"
} >"$T/forged.eml"
mt forged verify.lua -D message=forged.eml
grep -q "removes the message's Authentication-Results" "$T/forged.out"
ok $? "verify.lua: the forged Authentication-Results claiming mx.test is removed"
sed 's/^/#   /' "$T/forged.out"
mt asmta sign.lua -D from=alice@example.com -D daemon=MTA -D out=asmta.eml
[ $? -ne 0 ] && grep -q "added no DKIM-Signature" "$T/asmta.out" &&
    [ ! -e "$T/asmta.eml" ]
ok $? "sign.lua: daemon MTA (inbound) gets no signature, the script fails"
mt nokey sign.lua -D from=mallory@evil.test -D out=nokey.eml
[ $? -ne 0 ] && grep -q "added no DKIM-Signature" "$T/nokey.out"
ok $? "sign.lua: a From with no key gets no signature, the script fails"

kill "$DKIMD_PID" 2>/dev/null
wait "$DKIMD_PID" 2>/dev/null
DKIMD_PID=
sed 's/^/# dkimd: /' "$T/dkimd.log"
! grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$T/dkimd.log"
ok $? "dkimd: no sanitizer report (meaningful with a sanitizer build)"
echo "1..$n"
exit $fail
