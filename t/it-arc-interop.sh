#!/usr/bin/env bash
# it-arc-interop.sh - ARC chains sealed and checked by three implementations
#
# Chains of 1 to 5 hops over random messages (t/gen-msg.py): each hop is
# sealed by dkimtool arc-seal, dkimpy (dkim.arc_sign, t/peers/dkimpy-arc.py)
# or Mail::DKIM (Mail::DKIM::ARC::Signer, t/peers/maildkim-arc.pl), chosen
# at random, with an RSA key; after every hop all three validate the chain
# and must say cv=pass. One chain in five is Ed25519, sealed and checked by
# dkimtool alone (neither peer has Ed25519 for ARC in Debian 12). Then
# tampered copies of each final message - a body byte, a signed header, ARC
# set 1 removed, sets 1 and 2 swapped by instance, the newest seal's
# instance or cv= changed - must never get cv=pass from any of them.
# Keys come from a private dnsmasq on 127.0.0.1 (t/lib/dns.sh).
#
#	ARC_CHAINS (default 30) chains, ARC_SEED the random seed (printed),
#	ARC_BUDGET (default 75) seconds after which no chain is started.
# Output: TAP; the table of hops sealed per implementation and position.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
DKIMTOOL=${DKIMTOOL:-${top_builddir:-.}/tools/dkimtool}
PY=/usr/bin/python3
PEERS=$top_srcdir/t/peers
chains=${ARC_CHAINS:-30}
budget=${ARC_BUDGET:-75}
seed=${ARC_SEED:-$(( $(date +%s) % 100000 ))}
RANDOM=$seed

n=0
fail=0
ok() {
	local r=$1
	shift
	n=$((n + 1))
	if [ "$r" = 0 ]; then
		echo "ok $n - $*"
	else
		echo "not ok $n - $*"
		fail=$((fail + 1))
	fi
}

if ! command -v dnsmasq >/dev/null 2>&1 ||
    ! "$PY" -c 'import dkim, authres, dns.resolver' 2>/dev/null ||
    ! perl -MMail::DKIM::ARC::Signer -e 1 2>/dev/null; then
	echo "1..0 # SKIP needs dnsmasq, python3-dkim, python3-authres, libmail-dkim-perl"
	exit 0
fi
work=$(mktemp -d /tmp/it-arc.XXXXXX) || exit 1
# shellcheck source=t/lib/dns.sh
. "$top_srcdir/t/lib/dns.sh"
trap 'dns_stop; rm -rf "$work"' EXIT
echo "# seed $seed (ARC_SEED=$seed to repeat)"

# keys: RSA 2048 (every implementation) and Ed25519 (dkimtool)
D=fwd.example
for k in "rsa rsa -b 2048" "ed ed25519"; do
	set -- $k
	"$DKIMTOOL" genkey -d "$D" -s "$1" -a "$2" ${3:+"$3" "$4"} \
	    -D "$work" >/dev/null || { echo "Bail out! genkey $2"; exit 1; }
	"$PY" - "$work/$1.txt" >>"$work/records" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
print(t.split()[0].rstrip("."), "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', t)))
PY
done
dns_start "$work/records" "$work" || { echo "Bail out! dnsmasq"; exit 1; }
NS=127.0.0.1:$DNS_PORT

# seal IMPL KEY IN OUT - one hop; the authserv-id names the hop
seal() {
	local id="mx$RANDOM.$D"
	case $1 in
	dkimtool) "$DKIMTOOL" arc-seal -d "$D" -s "$2" -k "$work/$2.private" \
	    --authserv-id "$id" --nameserver "$NS" "$3" >"$4" ;;
	dkimpy) "$PY" "$PEERS/dkimpy-arc.py" seal "$DNS_PORT" \
	    "$work/$2.private" "$D" "$2" "$id" <"$3" >"$4" ;;
	maildkim) perl "$PEERS/maildkim-arc.pl" seal "$DNS_PORT" \
	    "$work/$2.private" "$D" "$2" "$id" <"$3" >"$4" ;;
	esac
}

# verdicts FILE... - "FILE dkimtool=CV dkimpy=CV maildkim=CV" per file
verdicts() {
	local f cv
	declare -A py pl
	while read -r _ f cv _; do py[$f]=${cv#cv=}; done \
	    < <("$PY" "$PEERS/dkimpy-arc.py" verify "$DNS_PORT" "$@")
	while read -r _ f cv _; do pl[$f]=${cv#cv=}; done \
	    < <(perl "$PEERS/maildkim-arc.pl" verify "$DNS_PORT" "$@")
	for f in "$@"; do
		cv=$("$DKIMTOOL" verify --authserv-id t --nameserver "$NS" \
		    "$f" | grep -o 'arc=[a-z]*' | head -1)
		cv=${cv#arc=}
		echo "$f dkimtool=${cv:-none} dkimpy=${py[$f]:-?}" \
		    "maildkim=${pl[$f]:-?}"
	done
}

# tamper IN KIND OUT - a copy of IN changed as KIND says; 1 if KIND
# does not apply (a chain too short)
tamper() {
	"$PY" - "$@" <<'PY'
import re, sys
src, kind, dst = sys.argv[1:4]
raw = open(src, "rb").read().replace(b"\r\n", b"\n")
head, _, body = raw.partition(b"\n\n")
fields = []
for line in head.split(b"\n"):
    if line[:1] in (b" ", b"\t") and fields:
        fields[-1] += b"\n" + line
    else:
        fields.append(line)
def inst(f):
    m = re.search(rb"(?:^|[;:\s])i\s*=\s*(\d+)", f.split(b":", 1)[1])
    return int(m.group(1)) if m else 0
arc = [f for f in fields if f.lower().startswith(b"arc-")]
top = max([inst(f) for f in arc] or [0])
def seal(i):
    return [k for k, f in enumerate(fields)
            if f.lower().startswith(b"arc-seal:") and inst(f) == i][0]
if kind == "body":
    body = body.replace(b"e", b"E", 1) if b"e" in body else body + b"x\n"
elif kind == "header":
    fields = [f + b"!" if f.lower().startswith(b"subject:") else f
              for f in fields]
elif kind == "noset1":
    fields = [f for f in fields
              if not (f.lower().startswith(b"arc-") and inst(f) == 1)]
elif kind == "swap":
    if top < 2:
        sys.exit(1)
    def sw(f):
        if not f.lower().startswith(b"arc-") or inst(f) not in (1, 2):
            return f
        return re.sub(rb"i\s*=\s*[12]\b", b"i=%d" % (3 - inst(f)), f,
                      count=1)
    fields = [sw(f) for f in fields]
elif kind == "instance":
    k = seal(top)
    fields[k] = re.sub(rb"i\s*=\s*\d+", b"i=%d" % (top + 1), fields[k],
                       count=1)
elif kind == "cv":
    k = seal(top)
    fields[k] = re.sub(rb"cv\s*=\s*(\w+)", lambda m: b"cv=" + (
        b"none" if m.group(1).lower() == b"pass" else b"pass"),
        fields[k], count=1)
open(dst, "wb").write((b"\n".join(fields) + b"\n\n" + body).replace(
    b"\n", b"\r\n"))
PY
}

impls=(dkimtool dkimpy maildkim)
declare -A table
# 1: the chains, sealed hop by hop, and tampered copies of each; the
# checks of every file by all three come after, in one run of each peer
start=$(date +%s)
done_chains=0
hopfiles=()	# "FILE|chain c hop h of H sealed by IMPL (KEY)|KEY"
tamperfiles=()	# "CHAIN|HOPS|KEY|FILE..."
for c in $(seq 1 "$chains"); do
	if [ $(( $(date +%s) - start )) -ge "$budget" ]; then
		echo "# time budget of ${budget}s spent: $done_chains chains made"
		break
	fi
	hops=$((RANDOM % 5 + 1))
	key=rsa
	[ $((RANDOM % 5)) = 0 ] && key=ed
	"$PY" "$top_srcdir/t/gen-msg.py" --seed "$RANDOM" --from-domain \
	    origin.example >"$work/c$c.0.eml"
	good=1
	for h in $(seq 1 "$hops"); do
		impl=${impls[$((RANDOM % 3))]}
		[ $key = ed ] && impl=dkimtool
		if ! seal $impl $key "$work/c$c.$((h - 1)).eml" \
		    "$work/c$c.$h.eml" 2>"$work/err"; then
			ok 1 "chain $c hop $h: $impl seals ($key)"
			sed 's/^/# /' "$work/err" | head -5
			good=0
			break
		fi
		table[$impl,$h]=$(( ${table[$impl,$h]:-0} + 1 ))
		hopfiles+=("$work/c$c.$h.eml|chain $c hop $h of $hops sealed by $impl ($key)|$key")
	done
	done_chains=$((done_chains + 1))
	[ $good = 1 ] || continue
	t="$c|$hops|$key"
	for kind in body header noset1 swap instance cv; do
		tamper "$work/c$c.$hops.eml" $kind "$work/c$c.$kind.eml" &&
		    t="$t|$work/c$c.$kind.eml"
	done
	tamperfiles+=("$t")
done
made=$(( $(date +%s) - start ))

# 2: every file checked by the three
all=()
for e in "${hopfiles[@]}"; do all+=("${e%%|*}"); done
for e in "${tamperfiles[@]}"; do
	IFS='|' read -r -a parts <<<"$e"
	all+=("${parts[@]:3}")
done
[ ${#all[@]} -gt 0 ] && verdicts "${all[@]}" >"$work/verdicts"

# 3: after each hop all agree on pass (Ed25519: dkimtool); no tampered
# copy passes for anyone
for e in "${hopfiles[@]}"; do
	IFS='|' read -r f what key <<<"$e"
	v=$(grep -F "$f " "$work/verdicts")
	if [ "$key" = ed ]; then
		case $v in *" dkimtool=pass "*) r=0 ;; *) r=1 ;; esac
	else
		case $v in *" dkimtool=pass dkimpy=pass maildkim=pass") r=0 ;;
		*) r=1 ;; esac
	fi
	ok $r "$what: ${v#* }"
done
for e in "${tamperfiles[@]}"; do
	IFS='|' read -r -a parts <<<"$e"
	bad=
	for f in "${parts[@]:3}"; do
		v=$(grep -F "$f " "$work/verdicts")
		case $v in *=pass*) bad="$bad ${f##*.c${parts[0]}.}: ${v#* };" ;; esac
	done
	ok "$([ -z "$bad" ] && echo 0 || echo 1)" "chain ${parts[0]}" \
	    "(${parts[1]} hops, ${parts[2]}): $(( ${#parts[@]} - 3 )) tampered" \
	    "copies (body, header, set 1 removed, sets swapped, instance," \
	    "cv=), none cv=pass by any${bad:+ -$bad}"
done
echo "# hops sealed, by implementation and position (hop 1..5):"
for impl in "${impls[@]}"; do
	row=
	for h in 1 2 3 4 5; do row="$row ${table[$impl,$h]:-0}"; done
	echo "#   $impl:$row"
done
echo "# $done_chains chains made in ${made}s, all checked in $(( $(date +%s) - start - made ))s more"
echo "1..$n"
exit $((fail > 0))
