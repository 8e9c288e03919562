#!/bin/bash
# it-interop.sh - dkimd's engine against dkimpy, Mail::DKIM and OpenDKIM
#
#	DKIMTOOL=/path/to/dkimtool bash t/it-interop.sh
#
# TAP on stdout (plan at the end); the summary table (peer x direction x
# alg -> passed/run) as "# " comments at the end.
# Keys are made for each run (openssl genpkey: RSA 512/1024/2048/3072/4096
# and Ed25519; dkimtool genkey: RSA 2048 and Ed25519) and published by a
# dnsmasq on 127.0.0.1 at a random high port (t/lib/dns.sh), with the
# RFC vectors' records. The sections:
#   peers     peer to peer, and the 4096-bit record over TCP: proves the
#             DNS harness and the drivers without dkimtool;
#   vectors   RFC 6376 A.2 and RFC 8463 A.3 verified by dkimtool, and the
#             RFC 8463 body hashes when dkimtool signs A.2;
#   matrix    dkimtool signs -> each peer verifies, each peer signs ->
#             dkimtool verifies: every key x every c=;
#   shapes    the same for t/data/interop/shapes.txt (8-bit, empty and
#             blank bodies, bare LF, no final line end, tricky and huge
#             headers, long lines, 5 MB), two (key, c=) pairs each;
#   multi     rsa + ed25519 signatures by one dkimtool sign;
#   tamper    a control, then body byte, signed header, From added on top,
#             d= changed, b= cut, revoked key: nobody may pass those;
#   signopts  dkimpy with h= repeats and oversigning, l=, i=;
#   policy    x= expired or not, rsa-sha1 and 512-bit keys (RFC 8301);
#   records   t/data/interop/key-records.txt: key record spellings, CNAME;
#   genkey    dkimtool genkey's keys and records, both ways;
#   more      five stacked signatures by all four signers, temperror
#             (exit 75) with no DNS server, standard input, --authserv-id.
# Work is run in units, JOBS (default: the number of cores, at most 4) at
# once; each unit's results are printed in order when its section ends.
# Messages come from t/gen-msg.py with fixed seeds, so a run is repeatable
# except for the keys and timestamps. DKIMTOOL defaults to ./tools/dkimtool;
# when it is not there, its tests are reported as skipped. Environment:
# DKIMTOOL, JOBS, VECTORS (default ../shared/vectors beside the source
# tree), INTEROP_BUDGET (seconds, default 240: units not started by then
# are reported skipped, so that run-all's 300 s timeout never cuts the TAP
# stream), KEEP=1 keeps the work folder; it is kept anyway when a test
# failed, with the failing inputs in its failed/ folder.
# Where a peer cannot take part (Mail::DKIM has no Ed25519; OpenDKIM
# 2.11.0~beta2 signs Ed25519 wrongly with simple header canonicalization)
# or departs from the RFCs (t/data/interop/peer-deviations.txt), the test
# is reported as skipped with the reason.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
DKIMTOOL=${DKIMTOOL:-./tools/dkimtool}
case "$DKIMTOOL" in
/*) ;;
*) DKIMTOOL=$(pwd)/$DKIMTOOL ;;
esac
VECTORS=${VECTORS:-$top/../shared/vectors}
[ -d "$VECTORS" ] || VECTORS=/work/shared/vectors
PY=/usr/bin/python3
PEERS=$here/peers
DATA=$here/data/interop
GEN="$PY $here/gen-msg.py"
D=example.org
CANONS="simple/simple simple/relaxed relaxed/simple relaxed/relaxed"
KEYS="r1024 r2048 r3072 r4096 ed"
SIGNERS="dkimpy maildkim opendkim"

work=$(mktemp -d /tmp/it-interop.XXXXXX) || exit 1
mkdir -p "$work/keys" "$work/m" "$work/failed" "$work/u"
n=0
nfail=0
nunit=0
upids=()
BUDGET=${INTEROP_BUDGET:-240}
start=$(date +%s)
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$JOBS" -gt 4 ] && JOBS=4
declare -A SUM_PASS SUM_ALL

. "$here/lib/dns.sh"

# kill_tree - PID: end a process we started and everything under it
kill_tree()
{
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		kill_tree "$c"
	done
	kill "$1" 2>/dev/null
}

# finish - EXIT trap: end running units, stop DNS, keep or remove the
# work folder
finish()
{
	local p
	for p in "${upids[@]}"; do
		kill_tree "$p"
	done
	dns_stop
	if [ "$nfail" -gt 0 ] || [ "${KEEP:-0}" = 1 ]; then
		echo "# work folder kept: $work" >&2
	else
		rm -rf -- "$work"
	fi
}
trap finish EXIT

# tap - one test point: tap RC DESCRIPTION [DETAIL-FILE]; RC 0 is ok.
# Inside a unit (UNIT_OUT set) it only records; flush prints.
tap()
{
	if [ -n "${UNIT_OUT:-}" ]; then
		printf 'T\t%s\t%s\t%s\n' "$1" "$2" "${3:-}" >> "$UNIT_OUT"
		return
	fi
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		nfail=$((nfail + 1))
		echo "not ok $n - $2"
		if [ -n "${3:-}" ] && [ -s "$3" ]; then
			sed 's/^/#   /' "$3" | head -n 20
		fi
	fi
}

# skip - one skipped test point: skip DESCRIPTION REASON
skip()
{
	if [ -n "${UNIT_OUT:-}" ]; then
		printf 'S\t%s\t%s\n' "$1" "$2" >> "$UNIT_OUT"
		return
	fi
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# count - add one result to the summary: count PEER DIRECTION ALG RC
count()
{
	local k="$1|$2|$3"
	if [ -n "${UNIT_OUT:-}" ]; then
		printf 'C\t%s\t%s\n' "$k" "$4" >> "$UNIT_OUT"
		return
	fi
	SUM_ALL[$k]=$(( ${SUM_ALL[$k]:-0} + 1 ))
	[ "$4" -eq 0 ] && SUM_PASS[$k]=$(( ${SUM_PASS[$k]:-0} + 1 ))
	return 0
}

# unit - run "$@" in the background as one unit of tests, at most JOBS
# at once; its test points are printed in order by flush
unit()
{
	nunit=$((nunit + 1))
	# past the time budget a unit is not run but reported skipped, so
	# that a slow machine still gets a whole TAP stream before timeout(1)
	if [ $(( $(date +%s) - start )) -gt "$BUDGET" ]; then
		printf 'S\t%s\t%s\n' "$*" "time budget of ${BUDGET}s used up" \
		    > "$work/u/$(printf '%04d' "$nunit").rec"
		return
	fi
	# dnsmasq is one of this shell's jobs too, hence JOBS + 1
	while [ "$(jobs -rp | wc -l)" -gt "$JOBS" ]; do
		wait -n
	done
	(
		UNIT_OUT=$work/u/$(printf '%04d' "$nunit").rec
		: > "$UNIT_OUT"
		"$@"
	) > "$work/u/$(printf '%04d' "$nunit").log" 2>&1 &
	upids+=($!)
}

# flush - wait for the units started so far, print their records in order
flush()
{
	local p f kind a b c
	for p in "${upids[@]}"; do
		wait "$p"
	done
	upids=()
	for f in "$work"/u/*.rec; do
		[ -e "$f" ] || continue
		while IFS=$'\t' read -r kind a b c; do
			case "$kind" in
			T) tap "$a" "$b" "$c" ;;
			S) skip "$a" "$b" ;;
			C) count "${a%%|*}" "$(echo "$a" | cut -d'|' -f2)" \
			    "${a##*|}" "$b" ;;
			esac
		done < "$f"
		# a unit that died before recording anything still shows
		if [ ! -s "$f" ]; then
			tap 1 "unit ${f##*/} recorded nothing" "${f%.rec}.log"
		fi
		mv "$f" "$f.done"
	done
}

# keep - save a failing test's input for the report: keep FILE TAG
keep()
{
	cp -- "$1" "$work/failed/$2.eml" 2>/dev/null
}

# alg_of - signature algorithm name of a key label
alg_of()
{
	case "$1" in
	ed*) echo ed25519-sha256 ;;
	*) echo rsa-sha256 ;;
	esac
}

# make_keys - RSA and Ed25519 keys, and the records file for dnsmasq
make_keys()
{
	local b label p rec=$work/records.txt
	: > "$rec"
	for b in 1024 2048 3072 4096; do
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:$b \
		    -out "$work/keys/r$b.pem" 2>/dev/null || return 1
	done
	openssl genpkey -algorithm ed25519 -out "$work/keys/ed.pem" || return 1
	# too short to be valid (RFC 8301 section 3.2), for section_policy
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 \
	    -out "$work/keys/r512.pem" 2>/dev/null || return 1
	for label in r512 r1024 r2048 r3072 r4096; do
		p=$(openssl pkey -in "$work/keys/$label.pem" -pubout -outform DER |
		    base64 -w0)
		echo "$label._domainkey.$D v=DKIM1; k=rsa; p=$p" >> "$rec"
		# the same key under another domain, so that a changed d=
		# fails on the signature and not on a missing key
		echo "$label._domainkey.example.net v=DKIM1; k=rsa; p=$p" >> "$rec"
	done
	# RFC 8410: the raw Ed25519 key is the last 32 bytes of the SPKI DER
	p=$(openssl pkey -in "$work/keys/ed.pem" -pubout -outform DER |
	    tail -c 32 | base64 -w0)
	echo "ed._domainkey.$D v=DKIM1; k=ed25519; p=$p" >> "$rec"
	echo "ed._domainkey.example.net v=DKIM1; k=ed25519; p=$p" >> "$rec"
	# RFC 6376 section 3.6.1: an empty p= is a revoked key
	echo "revoked._domainkey.$D v=DKIM1; p=" >> "$rec"
	echo "edrevoked._domainkey.$D v=DKIM1; k=ed25519; p=" >> "$rec"
	record_variants >> "$rec"
	if [ "$have_tool" = 1 ]; then
		genkey_records >> "$rec" || return 1
	fi
	if [ -d "$VECTORS" ]; then
		cat "$VECTORS"/*/records.txt >> "$rec"
	fi
}

# record_variants - the records of t/data/interop/key-records.txt for
# the r2048 key, for section_records
record_variants()
{
	local p sel want rec
	p=$(openssl pkey -in "$work/keys/r2048.pem" -pubout -outform DER |
	    base64 -w0)
	while read -r sel want rec; do
		case "$sel" in
		''|'#'*) continue ;;
		esac
		rec=${rec//@P_FWS@/$(echo "$p" | sed 's/.\{60\}/& /g; s/ $//')}
		rec=${rec//@P_BAD@/${p:0:100}!${p:101}}
		echo "$sel._domainkey.$D ${rec//@P@/$p}"
	done < "$DATA/key-records.txt"
}

# genkey_records - keys made by dkimtool genkey (labels gkrsa, edgk), and
# their records read back from the zone-file lines it writes
genkey_records()
{
	local label a
	mkdir -p "$work/gk"
	for label in gkrsa edgk; do
		a="rsa -b 2048"
		[ "$label" = edgk ] && a=ed25519
		# shellcheck disable=SC2086
		timeout 120 "$DKIMTOOL" genkey -d "$D" -s "$label" -a $a \
		    -D "$work/gk" > "$work/gk/$label.out" 2>&1 || {
			echo "# dkimtool genkey -a $a failed:" >&2
			cat "$work/gk/$label.out" >&2
			continue
		}
		cp "$work/gk/$label.private" "$work/keys/$label.pem"
		# NAME. TTL IN TXT ( "part" "part" ... ): join the parts
		$PY - "$work/gk/$label.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
name = t.split()[0].rstrip(".")
print(name, "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', t)))
PY
	done
}

# peer_sign - PEER KEYLABEL SELECTOR CANON IN OUT ERR: sign with a peer
peer_sign()
{
	local peer=$1 key=$work/keys/$2.pem sel=$3 canon=$4
	local alg
	alg=$(alg_of "$2")
	case "$peer" in
	dkimpy) timeout 120 "$PEERS/dkimpy-sign.py" "$key" "$D" "$sel" \
	    "$alg" "$canon" < "$5" > "$6" 2> "$7" ;;
	maildkim) timeout 120 "$PEERS/maildkim-sign.pl" "$key" "$D" "$sel" \
	    "$alg" "$canon" < "$5" > "$6" 2> "$7" ;;
	opendkim) timeout 120 "$PEERS/opendkim-sign.sh" "$key" "$D" "$sel" \
	    "$alg" "$canon" < "$5" > "$6" 2> "$7" ;;
	dkimtool) timeout 120 "$DKIMTOOL" sign -d "$D" -s "$sel" -k "$key" \
	    -a "$alg" -c "$canon" "$5" > "$6" 2> "$7" ;;
	esac
}

# verify_with - PEER FILE OUT: verify with a peer or dkimtool; 0 = a pass
verify_with()
{
	case "$1" in
	dkimpy) timeout 120 "$PEERS/dkimpy-verify.py" "$DNS_PORT" \
	    < "$2" > "$3" 2>&1 ;;
	maildkim) timeout 120 "$PEERS/maildkim-verify.pl" "$DNS_PORT" \
	    < "$2" > "$3" 2>&1 ;;
	opendkim) timeout 120 "$PEERS/opendkim-verify.sh" "$DNS_PORT" \
	    < "$2" > "$3" 2>&1 ;;
	dkimtool) timeout 120 "$DKIMTOOL" verify \
	    --nameserver "127.0.0.1:$DNS_PORT" "$2" > "$3" 2>&1 ;;
	esac
}

# npass - how many dkim=pass results a verifier's output has
npass()
{
	grep -o 'dkim=pass' "$1" | wc -l
}

# unsupported - print why PEER cannot take part with KEYLABEL/CANON as SIGNER
unsupported()
{
	local role=$1 peer=$2 key=$3 canon=$4
	if [ "$peer" = maildkim ] && [ "${key#ed}" != "$key" ]; then
		echo "Mail::DKIM has no Ed25519"
	elif [ "$role" = sign ] && [ "$peer" = opendkim ] &&
	    [ "${key#ed}" != "$key" ] &&
	    [ "${canon%%/*}" = simple ]; then
		echo "OpenDKIM 2.11 beta2 makes bad Ed25519 simple-header signatures"
	elif [ "$peer" = dkimtool ] && [ "$have_tool" = 0 ]; then
		echo "dkimtool not built ($DKIMTOOL)"
	fi
}

# deviation - PEER CASE: print where a peer is known to depart from the
# RFCs in a test case (t/data/interop/peer-deviations.txt); empty if not
deviation()
{
	local peer pat why
	while IFS=$'\t' read -r peer pat why; do
		case "$peer" in
		''|'#'*) continue ;;
		esac
		# shellcheck disable=SC2254
		if [ "$peer" = "$1" ]; then
			case "$2" in
			$pat) echo "$why"; return ;;
			esac
		fi
	done < "$DATA/peer-deviations.txt"
}

# one_way - SIGNER VERIFIER KEYLABEL CANON MSG TAG: sign, verify, one test
one_way()
{
	local s=$1 v=$2 key=$3 canon=$4 msg=$5 tag=$6 why rc alg
	local f=$work/m/$tag
	alg=$(alg_of "$key")
	why=$(unsupported sign "$s" "$key" "$canon")
	[ -z "$why" ] && why=$(unsupported verify "$v" "$key" "$canon")
	if [ -n "$why" ]; then
		skip "$s signs, $v verifies: $alg $key c=$canon $tag" "$why"
		return
	fi
	if [ ! -s "$f.$s.signed" ]; then
		peer_sign "$s" "$key" "$key" "$canon" "$msg" "$f.$s.signed" \
		    "$f.$s.err"
		rc=$?
		if [ $rc -ne 0 ]; then
			tap 1 "$s signs $alg $key c=$canon $tag (exit $rc)" "$f.$s.err"
			keep "$msg" "$tag.unsigned"
			return
		fi
	fi
	verify_with "$v" "$f.$s.signed" "$f.$s.$v.out"
	rc=$?
	tap $rc "$s signs, $v verifies: $alg $key c=$canon $tag" "$f.$s.$v.out"
	[ $rc -ne 0 ] && keep "$f.$s.signed" "$tag.$s.for-$v"
	summarize "$s" "$v" "${alg%%-*}" $rc
}

# pp_case - SIGNER VERIFIER KEY CANON SEED: one peer-to-peer test
pp_case()
{
	$GEN --seed "$5" > "$work/m/pp$5.eml"
	one_way "$1" "$2" "$3" "$4" "$work/m/pp$5.eml" "pp-seed$5"
}

# tc_case - the 4096-bit key record is truncated over UDP, whole over TCP
tc_case()
{
	local out=$work/m/tc.out
	$PY - "$DNS_PORT" "r4096._domainkey.$D" > "$out" 2>&1 <<'PY'
import sys
import dns.flags, dns.message, dns.query
port, name = int(sys.argv[1]), sys.argv[2]
q = dns.message.make_query(name, "TXT")          # no EDNS: 512-byte UDP
u = dns.query.udp(q, "127.0.0.1", port=port, timeout=5,
                  raise_on_truncation=False)
t = dns.query.tcp(q, "127.0.0.1", port=port, timeout=5)
size = len(t.to_wire())
strings = [len(x) for rr in t.answer[0] for x in rr.strings]
print("UDP TC=%d, TCP answer %d bytes, strings %s" % (
    bool(u.flags & dns.flags.TC), size, strings))
sys.exit(0 if u.flags & dns.flags.TC and size > 512 and
         max(strings) <= 255 and len(strings) > 1 else 1)
PY
	tap $? "dnsmasq: 4096-bit key record truncated over UDP, whole over TCP ($(cat "$out"))" "$out"
}

# section_peers - peer to peer: proves the harness without dkimtool
section_peers()
{
	local s v key canon i=0
	echo "# peer to peer (harness check)"
	for s in $SIGNERS; do
		for v in $SIGNERS; do
			[ "$s" = "$v" ] && continue
			for key in r2048 ed; do
				canon=relaxed/relaxed
				[ $((i % 2)) = 1 ] && canon=simple/simple
				i=$((i + 1))
				unit pp_case "$s" "$v" "$key" "$canon" $((100 + i))
			done
		done
	done
	# a 4096-bit key record does not fit a 512-byte UDP answer: TCP
	unit tc_case
	unit tcp_case
	flush
}

# tcp_case - OpenDKIM signs with the 4096-bit key, every peer verifies
# (one unit: the three share the message and its signed copy)
tcp_case()
{
	local v
	for v in dkimpy maildkim opendkim; do
		pp_case opendkim "$v" r4096 relaxed/relaxed 7
	done
}

# section_vectors - the RFC vectors verified by dkimtool
section_vectors()
{
	local out=$work/m/vec.out rc bh
	if [ "$have_tool" = 0 ] || [ ! -d "$VECTORS" ]; then
		skip "dkimtool verifies the RFC 6376 A.2 and RFC 8463 A.3 messages" \
		    "no dkimtool or no vectors"
		return
	fi
	verify_with dkimtool "$VECTORS/rfc6376/message.eml" "$out"
	rc=$?
	[ $rc -eq 0 ] && [ "$(npass "$out")" -eq 1 ] || rc=1
	tap $rc "dkimtool verifies RFC 6376 A.2 (rsa-sha256 simple/simple)" "$out"
	verify_with dkimtool "$VECTORS/rfc8463/message.eml" "$out"
	rc=$?
	[ $rc -eq 0 ] && [ "$(npass "$out")" -eq 2 ] || rc=1
	tap $rc "dkimtool verifies both signatures of RFC 8463 A.3" "$out"
	# RFC 8463 A.3 body hashes, as the vectors' README gives them
	for bh in "relaxed/relaxed 2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=" \
	    "simple/simple 4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ="; do
		timeout 60 "$DKIMTOOL" sign -d football.example.com -s brisbane \
		    -k "$VECTORS/rfc8463/brisbane.ed25519.pem" \
		    -a ed25519-sha256 -c "${bh%% *}" \
		    "$VECTORS/rfc8463/unsigned.eml" > "$out" 2>&1
		rc=$?
		tr -d ' \t\r\n' < "$out" | grep -q "bh=${bh#* }" || rc=1
		tap $rc "dkimtool signs RFC 8463 A.2 c=${bh%% *}: bh=${bh#* }" "$out"
		[ $rc -eq 0 ] || continue
		verify_with dkimpy "$out" "$out.v"
		tap $? "dkimpy verifies dkimtool's RFC 8463 Ed25519 signature c=${bh%% *}" "$out.v"
	done
}

# section_vectors_unit - the vectors as one unit
section_vectors_unit()
{
	echo "# RFC vectors"
	unit section_vectors
	flush
}

# mx_case - KEY CANON SEED TAG [GEN-ARGS...]: dkimtool signs -> every
# peer verifies, every peer signs -> dkimtool verifies, one message
mx_case()
{
	local key=$1 canon=$2 seed=$3 tag=$4 p f
	shift 4
	f=$work/m/$tag
	$GEN --seed "$seed" "$@" > "$f.eml"
	for p in $SIGNERS; do
		one_way dkimtool "$p" "$key" "$canon" "$f.eml" "$tag"
	done
	for p in $SIGNERS; do
		one_way "$p" dkimtool "$key" "$canon" "$f.eml" "$tag"
	done
}

# section_matrix - every key x canonicalization, both ways, every peer
section_matrix()
{
	local key canon i=0 seed
	echo "# key x canonicalization matrix"
	for key in $KEYS; do
		for canon in $CANONS; do
			i=$((i + 1))
			seed=$((1000 + i))
			unit mx_case "$key" "$canon" "$seed" "mx-seed$seed"
		done
	done
	flush
}

# section_shapes - unusual messages, both ways; each shape with two of the
# four key x canonicalization pairs, taken in turn
section_shapes()
{
	local shape args key canon i=0 seed pair
	echo "# message shapes"
	while read -r shape args; do
		for pair in 0 1; do
			case $(( (i + pair) % 4 )) in
			0) key=r2048 canon=simple/simple ;;
			1) key=ed canon=relaxed/relaxed ;;
			2) key=ed canon=simple/simple ;;
			3) key=r3072 canon=relaxed/simple ;;
			esac
			seed=$((2000 + i * 2 + pair))
			# shellcheck disable=SC2086
			unit mx_case "$key" "$canon" "$seed" \
			    "$shape-seed$seed" $args
		done
		i=$((i + 1))
	done < <(grep -v -e '^#' -e '^$' "$DATA/shapes.txt")
	flush
}

# section_multi - rsa + ed25519 signatures on one message
section_multi()
{
	local f=$work/m/multi rc
	if [ "$have_tool" = 0 ]; then
		skip "dkimtool signs with rsa-sha256 and ed25519-sha256 at once" \
		    "dkimtool not built"
		return
	fi
	$GEN --seed 3001 > "$f.eml"
	timeout 60 "$DKIMTOOL" sign -c relaxed/relaxed \
	    -d "$D" -s r2048 -k "$work/keys/r2048.pem" -a rsa-sha256 \
	    -d "$D" -s ed -k "$work/keys/ed.pem" -a ed25519-sha256 \
	    "$f.eml" > "$f.signed" 2> "$f.err"
	rc=$?
	[ "$(grep -c -i '^DKIM-Signature:' "$f.signed")" -eq 2 ] || rc=1
	tap $rc "dkimtool signs with rsa-sha256 and ed25519-sha256 at once: two DKIM-Signature fields" "$f.err"
	[ $rc -eq 0 ] || { keep "$f.eml" multi.unsigned; return; }
	count_check "$f.signed" 1 1 "two signatures (seed 3001)"
}

# section_multi_unit - the two-signature tests as one unit
section_multi_unit()
{
	echo "# two signatures"
	unit section_multi
	flush
}

# count_check - FILE NRSA NED WHAT: every verifier passes all the
# signatures it can (Mail::DKIM: only the NRSA rsa-sha256 ones)
count_check()
{
	local v want rc
	for v in dkimtool dkimpy opendkim maildkim; do
		want=$(($2 + $3))
		[ "$v" = maildkim ] && want=$2
		verify_with "$v" "$1" "$1.$v.out"
		rc=$?
		[ "$(npass "$1.$v.out")" -eq "$want" ] || rc=1
		tap $rc "$v passes $want of the $4" "$1.$v.out"
		[ $rc -eq 0 ] || keep "$1" "${1##*/}-for-$v"
	done
}

# tamper - KIND IN OUT: write a damaged copy of a signed message
tamper()
{
	$PY - "$1" "$2" "$3" <<'PY'
import re, sys
kind, src, dst = sys.argv[1:]
m = open(src, "rb").read()
eol = b"\r\n" if b"\r\n" in m else b"\n"
head, sep, body = m.partition(eol + eol)
if kind == "body":
    # one byte of the body changed (or one added to an empty body)
    i = len(body) // 2
    body = body[:i] + (b"X" if body[i:i+1] != b"X" else b"Y") + body[i+1:] \
        if body.strip() else b"tampered" + eol
elif kind == "subject":
    head = re.sub(rb"(?im)^subject:", b"Subject: [tampered]", head, count=1)
elif kind == "from-on-top":
    # RFC 6376 section 8.15: a second From above the signed one
    head = b"From: Mallory <mallory@evil.example>" + eol + head
elif kind == "d":
    head = re.sub(rb"(\bd=)example\.org", rb"\1example.net", head, count=1)
elif kind == "b":
    # drop the last 8 characters of b= (first signature)
    mm = re.search(rb"\bb=([A-Za-z0-9+/=\s]+?)(;|\r?\n(?![ \t]))", head)
    v = re.sub(rb"\s", b"", mm.group(1))
    head = head[:mm.start(1)] + v[:-8] + head[mm.end(1):]
open(dst, "wb").write(head + sep + body)
PY
}

# tp_case - SIGNER KEY CANON SEED: a signed message, a control, and its
# damaged copies, through every verifier
tp_case()
{
	local s=$1 key=$2 canon=$3 seed=$4 f=$work/m/tp$4 sel=revoked kind
	$GEN --seed "$seed" > "$f.eml"
	[ "$key" = ed ] && sel=edrevoked
	if ! peer_sign "$s" "$key" "$key" "$canon" "$f.eml" "$f.signed" \
	    "$f.err" || ! peer_sign "$s" "$key" "$sel" "$canon" "$f.eml" \
	    "$f.revoked.bad" "$f.err"; then
		tap 1 "$s signs $key c=$canon for the tamper tests (seed $seed)" \
		    "$f.err"
		return
	fi
	# control: the untouched copy passes everywhere
	tamper_check "$s" "$key" "$canon" "untouched (control)" \
	    "$f.signed" 0
	for kind in body subject from-on-top d b; do
		tamper "$kind" "$f.signed" "$f.$kind.bad"
		tamper_check "$s" "$key" "$canon" "tampered $kind" \
		    "$f.$kind.bad" 1
	done
	tamper_check "$s" "$key" "$canon" "revoked key (p= empty)" \
	    "$f.revoked.bad" 1
}

# section_tamper - damaged copies that nobody may pass
section_tamper()
{
	local key canon s i=0
	echo "# tampered messages"
	# the signed messages: dkimtool's, or dkimpy's when there is no
	# dkimtool (dkimpy oversigns From, as a signer should)
	s=dkimtool
	[ "$have_tool" = 0 ] && s=dkimpy
	for key in r2048 ed; do
		for canon in relaxed/relaxed simple/simple; do
			i=$((i + 1))
			unit tp_case "$s" "$key" "$canon" $((4000 + i))
		done
	done
	# the peers' signatures, damaged the same ways, before dkimtool
	unit tp_case dkimpy ed relaxed/relaxed 4101
	unit tp_case maildkim r2048 relaxed/relaxed 4102
	unit tp_case opendkim r2048 simple/simple 4103
	unit tp_case opendkim ed relaxed/relaxed 4104
	flush
}

# tamper_check - SIGNER KEY CANON KIND FILE WANT [ALG]: every verifier,
# WANT 0 = must pass, 1 = must not pass (dkimtool must exit 1, not 75)
tamper_check()
{
	local s=$1 key=$2 canon=$3 kind=$4 file=$5 want=$6 v why rc out desc
	local alg=${7:-$(alg_of "$2")}
	for v in dkimtool dkimpy maildkim opendkim; do
		if [ "$want" = 0 ]; then
			desc="$v passes $s's $alg c=$canon: $kind"
		else
			desc="$v fails $s's $alg c=$canon: $kind"
		fi
		why=$(unsupported verify "$v" "$key" "$canon")
		[ -z "$why" ] && why=$(deviation "$v" "$kind")
		if [ -z "$why" ] && [ "$kind" = "tampered from-on-top" ] &&
		    [ "$v" != dkimtool ] && [ "$s" != dkimtool ] &&
		    [ "$s" != dkimpy ]; then
			why="$s does not oversign From, so the signature stays valid (RFC 6376 8.15: the verifier's policy)"
		fi
		if [ -n "$why" ]; then
			skip "$desc" "$why"
			continue
		fi
		out=$file.$v.out
		verify_with "$v" "$file" "$out"
		rc=$?
		if [ "$want" = 0 ]; then
			[ $rc -eq 0 ] && [ "$(npass "$out")" -eq 1 ] || rc=1
		elif [ "$v" = dkimtool ]; then
			[ $rc -eq 1 ] && rc=0 || rc=1
		else
			[ $rc -ne 0 ] && [ "$(npass "$out")" -eq 0 ] && rc=0 || rc=1
		fi
		tap $rc "$desc" "$out"
		[ $rc -eq 0 ] || keep "$file" "${file##*/}-$v"
		summarize "$s" "$v" "${alg%%-*}$([ "$want" = 1 ] && echo " (bad)")" $rc
	done
}

# summarize - SIGNER VERIFIER ALG RC: one result into the summary table
summarize()
{
	if [ "$1" = dkimtool ] && [ "$2" = dkimtool ]; then
		count dkimtool "dkimd->dkimd" "$3" "$4"
	elif [ "$1" = dkimtool ]; then
		count "$2" "dkimd->peer" "$3" "$4"
	elif [ "$2" = dkimtool ]; then
		count "$1" "peer->dkimd" "$3" "$4"
	else
		count "$1->$2" "peer->peer" "$3" "$4"
	fi
}

# rv_case - SELECTOR WANT SEED: dkimpy signs with the r2048 key under a
# record variant; every verifier must pass (WANT 0) or not (WANT 1)
rv_case()
{
	local f=$work/m/rv-$1
	$GEN --seed "$3" > "$f.eml"
	if ! "$PEERS/dkimpy-sign.py" "$work/keys/r2048.pem" "$D" "$1" \
	    rsa-sha256 relaxed/relaxed < "$f.eml" > "$f.signed" 2> "$f.err"; then
		tap 1 "dkimpy signs for key record $1" "$f.err"
		return
	fi
	tamper_check dkimpy r2048 relaxed/relaxed "key record $1: $(
	    grep "^$1\._domainkey" "$work/records.txt" | cut -c1-70)..." \
	    "$f.signed" "$2"
}

# section_records - key records spelled in the ways RFC 6376 allows, or not
section_records()
{
	local sel want rec i=0
	echo "# key record variants"
	while read -r sel want rec; do
		case "$sel" in
		''|'#'*) continue ;;
		esac
		i=$((i + 1))
		unit rv_case "$sel" "$want" $((5000 + i))
	done < "$DATA/key-records.txt"
	flush
}

# section_genkey - keys from dkimtool genkey, both ways, every peer
section_genkey()
{
	local key
	echo "# dkimtool genkey keys"
	for key in gkrsa edgk; do
		if [ "$have_tool" = 0 ] || [ ! -s "$work/keys/$key.pem" ]; then
			skip "dkimtool genkey $key: sign and verify with peers" \
			    "no dkimtool or genkey failed"
			continue
		fi
		unit mx_case "$key" relaxed/relaxed $((6000 + ${#key})) \
		    "genkey-$key"
	done
	flush
}

# stack_case - five signatures, each signer signing the last one's output
stack_case()
{
	local f=$work/m/stack step s rc=0
	$GEN --seed 7001 > "$f.0"
	step=0
	for s in "dkimtool r1024 simple/simple" "dkimpy ed relaxed/simple" \
	    "opendkim r3072 relaxed/relaxed" "maildkim r4096 simple/relaxed" \
	    "dkimtool ed relaxed/relaxed"; do
		set -- $s
		peer_sign "$1" "$2" "$2" "$3" "$f.$step" "$f.$((step + 1))" \
		    "$f.err" || rc=1
		tap $rc "stack: $1 signs ($2 c=$3) on top of $step signatures" \
		    "$f.err"
		[ $rc -eq 0 ] || return
		step=$((step + 1))
	done
	count_check "$f.5" 3 2 "5 stacked signatures (seed 7001)"
}

# temp_case - no DNS server at all: dkimtool verify says temperror, 75
temp_case()
{
	local f=$work/m/temp port rc
	$GEN --seed 8001 > "$f.eml"
	peer_sign dkimpy r2048 r2048 relaxed/relaxed "$f.eml" "$f.signed" \
	    "$f.err" || { tap 1 "dkimpy signs for the temperror test" "$f.err"; return; }
	port=$(dns_free_port)
	timeout 120 "$DKIMTOOL" verify --nameserver "127.0.0.1:$port" \
	    "$f.signed" > "$f.out" 2>&1
	rc=$?
	[ $rc -eq 75 ] && grep -q 'dkim=temperror' "$f.out"
	tap $? "dkimtool verify with no DNS server: dkim=temperror, exit 75 (got $rc)" "$f.out"
}

# cli_case - dkimtool with the message on standard input, --authserv-id
cli_case()
{
	local f=$work/m/cli rc
	$GEN --seed 8101 > "$f.eml"
	timeout 60 "$DKIMTOOL" sign -d "$D" -s ed -k "$work/keys/ed.pem" \
	    -a ed25519-sha256 -c relaxed/relaxed < "$f.eml" > "$f.signed" \
	    2> "$f.err"
	tap $? "dkimtool sign reads the message from standard input" "$f.err"
	timeout 60 "$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" \
	    --authserv-id mx.test.example < "$f.signed" > "$f.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && head -n 1 "$f.out" |
	    grep -q '^Authentication-Results: mx\.test\.example;' || rc=1
	tap $rc "dkimtool verify from standard input, with --authserv-id" "$f.out"
	verify_with opendkim "$f.signed" "$f.od"
	tap $? "opendkim passes what dkimtool signed from standard input" "$f.od"
}

# section_more - stacked signatures and DNS failure
section_more()
{
	echo "# stacked signatures, DNS failure, standard input"
	if [ "$have_tool" = 0 ]; then
		skip "stacked signatures and temperror" "dkimtool not built"
		return
	fi
	unit stack_case
	unit temp_case
	unit cli_case
	flush
}

# so_case - NAME CANON SEED VAR=VALUE...: dkimpy signs a tricky-header
# message with special options; every verifier passes it, and fails it
# once an X-Rep is added on top (all three were signed, plus one more)
so_case()
{
	local name=$1 canon=$2 seed=$3 f=$work/m/so-$1-${2%/*}
	shift 3
	$GEN --seed "$seed" --tricky-headers > "$f.eml"
	if ! env "$@" "$PEERS/dkimpy-sign.py" "$work/keys/r2048.pem" "$D" \
	    r2048 rsa-sha256 "$canon" < "$f.eml" > "$f.signed" 2> "$f.err"; then
		tap 1 "dkimpy signs with $name ($*)" "$f.err"
		return
	fi
	tamper_check dkimpy r2048 "$canon" "$name, $canon" "$f.signed" 0
	case "$name" in
	h=*)
		$PY - "$f.signed" "$f.bad" <<'PY'
import sys
m = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(b"X-Rep: added on top\r\n" + m)
PY
		tamper_check dkimpy r2048 "$canon" "$name, $canon, X-Rep added" \
		    "$f.bad" 1 ;;
	l=*)
		# dkimpy's l= is the whole body: nothing is unsigned, so the
		# check above still expects a pass from every verifier. Text
		# appended after l= is unsigned: dkimtool (dkimd's default,
		# UnsignedBodyContent policy) gives policy with the count
		# instead of pass, where the peers honour l= and pass.
		cp "$f.signed" "$f.app"
		printf 'Click here: http://evil.example/\r\n' >> "$f.app"
		verify_with dkimtool "$f.app" "$f.app.out"
		[ $? -eq 1 ] && grep -Eq 'dkim=policy \(l=[0-9]+ leaves 3[4-9] body bytes unsigned\)' \
		    "$f.app.out"
		tap $? "dkimtool: dkimpy's l= signature with 34 bytes appended is policy, not pass" \
		    "$f.app.out" ;;
	esac
}

# section_signopts - what dkimpy can be made to sign that dkimtool does not
section_signopts()
{
	local canon
	echo "# signer options (h= with repeats, l=, i=)"
	for canon in simple/simple relaxed/relaxed; do
		unit so_case "h= over Name:value fields" "$canon" 9001 \
		    DKIMPY_HEADERS=from:to:subject:x-rep:x-rep:x-rep:x-rep:X-MIXED-CASE:x-mixed-case:x-mixed-case:x-ws:x-folded:x-not-there
	done
	unit so_case "l= body length" relaxed/simple 9002 DKIMPY_LENGTH=1
	unit so_case "i= in a subdomain" simple/relaxed 9003 \
	    DKIMPY_IDENTITY=joe@sub.example.org
	flush
}

# pol_case - NAME WANT SIGNER KEY ALG SEED [VAR=VALUE...]: a signature that
# RFC 6376 / RFC 8301 lets pass (WANT 0) or not (WANT 1), every verifier
pol_case()
{
	local name=$1 want=$2 signer=$3 key=$4 alg=$5 seed=$6
	local f=$work/m/pol-$6
	shift 6
	$GEN --seed "$seed" > "$f.eml"
	if ! env "$@" "$PEERS/$signer" "$work/keys/$key.pem" "$D" "$key" \
	    "$alg" relaxed/relaxed < "$f.eml" > "$f.signed" 2> "$f.err"; then
		tap 1 "$signer signs: $name" "$f.err"
		return
	fi
	tamper_check "${signer%%-*}" "$key" relaxed/relaxed "$name" \
	    "$f.signed" "$want" "$alg"
}

# section_policy - expiry, rsa-sha1, short keys
section_policy()
{
	local now
	now=$(date +%s)
	echo "# expiry, rsa-sha1, short keys"
	unit pol_case "x= expired an hour ago" 1 maildkim-sign.pl r2048 \
	    rsa-sha256 9101 MAILDKIM_TIMESTAMP=$((now - 7200)) \
	    MAILDKIM_EXPIRATION=$((now - 3600))
	unit pol_case "x= a day ahead" 0 maildkim-sign.pl r2048 rsa-sha256 \
	    9102 MAILDKIM_TIMESTAMP="$now" MAILDKIM_EXPIRATION=$((now + 86400))
	unit pol_case "rsa-sha1 signature" 1 dkimpy-sign.py r2048 rsa-sha1 9103
	unit pol_case "512-bit RSA key" 1 dkimpy-sign.py r512 rsa-sha256 9104
	flush
}

# summary - the peer x direction x alg table as TAP comments
summary()
{
	local k
	echo "#"
	echo "# summary: peer | direction | alg | passed/run (\"(bad)\": damaged"
	echo "# or refused signatures, where passing means not letting them pass)"
	while IFS= read -r k; do
		[ -n "$k" ] || continue
		printf '#   %-20s %-13s %-14s %s/%s\n' "${k%%|*}" \
		    "$(echo "$k" | cut -d'|' -f2)" "${k##*|}" \
		    "${SUM_PASS[$k]:-0}" "${SUM_ALL[$k]}"
	done < <(printf '%s\n' "${!SUM_ALL[@]}" | sort -t'|' -k2,2 -k1,1 -k3,3)
}

have_tool=0
if [ -x "$DKIMTOOL" ]; then
	have_tool=1
else
	echo "# dkimtool not found at $DKIMTOOL: its tests are skipped"
fi
if ! make_keys; then
	echo "Bail out! could not make keys"
	exit 1
fi
if ! dns_start "$work/records.txt" "$work"; then
	echo "Bail out! could not start dnsmasq"
	exit 1
fi
echo "# dnsmasq on 127.0.0.1:$DNS_PORT (pid $DNS_PID)"

section_peers
section_vectors_unit
section_matrix
section_shapes
section_multi_unit
section_tamper
section_signopts
section_policy
section_records
section_genkey
section_more
summary
echo "# $((n - nfail)) of $n passed in $(( $(date +%s) - start ))s"
if grep -q 'time budget' "$work"/u/*.rec* 2>/dev/null; then
	echo "# WARNING: $(cat "$work"/u/*.rec* | grep -c 'time budget') units not run: time budget of ${BUDGET}s used up"
fi
echo "1..$n"
[ "$nfail" -eq 0 ]
