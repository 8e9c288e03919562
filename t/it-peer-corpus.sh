#!/usr/bin/env bash
# it-peer-corpus.sh - dkimd's verifier against dkimpy's own test suite (TAP)
#
# Debian's python3-dkim ships dkimpy's tests (dkim.tests). t/peer-corpus.py
# runs them with dkimpy's verify wrapped, and writes down every message
# they verify, the key records their DNS function gives for it and
# dkimpy's answer: about 140 verifications (RSA 1024/2048 keys in PKCS#1
# and SubjectPublicKeyInfo form, Ed25519, the RFC 8032 and RFC 8463 keys,
# simple/relaxed, LF line ends, l=, h= with extra and repeated fields,
# an ARC chain signed by dkimpy and one with h= in its ARC-Seal,
# an extra From above or below, a body changed after signing, a key
# record with v=DKIM1: or an unknown k=, a d= that is not a domain,
# Windows-1258 text, third-party signatures, two signatures). Each set of
# records is served by a dnsmasq on 127.0.0.1 (t/lib/dns.sh) and
# dkimtool verifies each message: one TAP point per verification, ok
# when dkimd's verdict for the signature dkimpy verified is dkimpy's.
# Where dkimd is stricter by design (t/data/interop/dkimpy-known.tsv: keys
# of 512 bits, RFC 8301; content appended after l=) its "no pass" is
# accepted; dkimd passing what dkimpy refuses never is. Then the other
# way: dkimtool signs each message of dkimpy's test data with dkimpy's
# test key (relaxed and simple) and dkimpy verifies it.
#
# Needs: python3-dkim (dkim.tests), dnsmasq. Environment: DKIMTOOL,
# top_srcdir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
DKIMTOOL=${DKIMTOOL:-./tools/dkimtool}
PY=/usr/bin/python3

if [ ! -x "$DKIMTOOL" ]; then echo "1..0 # SKIP no dkimtool at $DKIMTOOL"; exit 0; fi
command -v dnsmasq >/dev/null || { echo "1..0 # SKIP dnsmasq not installed"; exit 0; }
$PY -c "import dkim.tests.test_dkim" 2>/dev/null ||
    { echo "1..0 # SKIP python3-dkim's tests (dkim.tests) not installed"; exit 0; }

# shellcheck source=t/lib/dns.sh
. "$top_srcdir/t/lib/dns.sh"
work=$(mktemp -d /tmp/it-peer-corpus.XXXXXX) || exit 1
trap 'dns_stop; [ "${KEEP:-0}" = 1 ] || rm -rf "$work"' EXIT

(cd "$work" && $PY "$top_srcdir/t/peer-corpus.py" "$work/cases") \
    >"$work/collect.out" 2>&1
rc=$?
sed 's/^/# /' "$work/collect.out"
n=1
if [ $rc -ne 0 ] || [ ! -s "$work/cases/cases.tsv" ]; then
	echo "not ok $n - dkimpy's tests ran and their verifications were written down"
	echo "1..$n"
	exit 1
fi
echo "ok $n - dkimpy's tests ran (none failed under dkimpy) and $(wc -l <"$work/cases/cases.tsv") verifications were written down"
grep -q "failed or errors under dkimpy" "$work/collect.out" &&
    ! grep -q "[1-9][0-9]* failed or errors" "$work/collect.out"
n=$((n + 1))
if [ $? -eq 0 ]; then echo "ok $n - dkimpy passes its own tests"; else
	echo "not ok $n - dkimpy passes its own tests"; fi
cp "$top_srcdir/t/data/interop/dkimpy-known.tsv" "$work/cases/known.tsv"

: >"$work/empty"
dns_start "$work/empty" "$work" >/dev/null 2>&1 ||
    { echo "Bail out! dnsmasq did not start"; exit 1; }
fail=0
for digest in $(cut -f5 "$work/cases/cases.tsv" | sort -u); do
	first=$(awk -F'\t' -v d="$digest" '$5 == d { print $1; exit }' \
	    "$work/cases/cases.tsv")
	if ! dns_reload "$work/cases/$first.records"; then
		n=$((n + 1))
		echo "not ok $n - dnsmasq serves the records of set $digest"
		fail=1
		continue
	fi
	$PY "$top_srcdir/t/peer-corpus.py" --compare "$work/cases" "$digest" \
	    "$DNS_PORT" "$DKIMTOOL" >"$work/tap.$digest" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok - "*) n=$((n + 1)); echo "ok $n - ${line#ok - }" ;;
		"not ok - "*) n=$((n + 1)); echo "not ok $n - ${line#not ok - }"
			fail=1 ;;
		*) echo "$line" ;;
		esac
	done <"$work/tap.$digest"
done

# the other way: dkimtool signs the messages of dkimpy's test data with
# dkimpy's test key, dkimpy verifies with the test's key record; the two
# that dkimpy's own tests do not sign either are refused, with a reason:
# no From (RFC 6376 section 5.4: From must be signed) and a From whose
# address is Windows-1258 bytes (no author can be read from it)
data=$($PY -c 'import dkim.tests, os; print(os.path.join(os.path.dirname(dkim.tests.__file__), "data"))')
for m in test.message message.mbox test_extra.message test2.message \
    test.message.baddomain test_nofrom.message rfc6376.w1258.msg; do
	for c in relaxed/relaxed simple/simple; do
		n=$((n + 1))
		"$DKIMTOOL" sign -d example.com -s test -k "$data/test.private" \
		    -c "$c" "$data/$m" >"$work/signed.eml" 2>"$work/sign.err"
		rc=$?
		case $m in
		test_nofrom.message|rfc6376.w1258.msg)
			if [ $rc -eq 1 ] && [ ! -s "$work/signed.eml" ] &&
			    grep -q -E "no From field|From does not parse" "$work/sign.err"; then
				echo "ok $n - dkimtool sign -c $c $m: refused ($(head -n 1 "$work/sign.err" | sed 's/.*: \([^:]*: [^:]*\)$/\1/'))"
			else
				echo "not ok $n - dkimtool sign -c $c $m: refused (exit $rc)"
				fail=1
			fi
			continue ;;
		esac
		if [ $rc -eq 0 ] && $PY - "$data/test.txt" "$work/signed.eml" <<'PYEOF'
import sys, dkim
rec = open(sys.argv[1], "rb").read()
def dnsfunc(name, timeout=5):
    return rec if name == b"test._domainkey.example.com." else None
sys.exit(0 if dkim.verify(open(sys.argv[2], "rb").read(), dnsfunc=dnsfunc) else 1)
PYEOF
		then
			echo "ok $n - dkimtool sign -c $c $m: dkimpy verifies"
		else
			echo "not ok $n - dkimtool sign -c $c $m: dkimpy verifies (sign exit $rc)"
			sed 's/^/#   /' "$work/sign.err"
			fail=1
		fi
	done
done
echo "1..$n"
[ $fail -eq 0 ]
