#!/usr/bin/env bash
# unit-start.sh - run the installed dkimd on a test's configuration as its
# systemd unit would
#
#	DKIMD_UNIT=/lib/systemd/system/dkimd.service bash t/deb/unit-start.sh CONF
#
# No systemd runs in CI, so this does by hand what the unit says, for
# t/it-deb.sh (through DKIMD_START of t/milter/it-postfix.sh):
# 1. CONF, a test's dkimd.conf with its KeyTable and SigningTable anywhere,
#    becomes the file that the unit's ExecStart names with -c; its tables
#    become KeyTable and SigningTable beside it, and each key a copy in
#    the keys/ folder beside it, owned by the unit's User, mode 0600;
# 2. /run/RuntimeDirectory is made anew, owned by User and Group, with
#    RuntimeDirectoryMode; the unit's UMask is set;
# 3. each ExecStartPre runs as User and Group and must succeed;
# 4. ExecStart replaces this shell (its PID becomes dkimd's), as User and
#    Group with the user's groups, no new privileges (NoNewPrivileges)
#    and the unit's LimitNOFILE (or the hard limit, where it is lower and
#    cannot be raised).
# What does not fit exits 1 with the reason on stderr. Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=t/deb/unit.sh
. "$here/unit.sh"

die() {
	echo "unit-start: $*" >&2
	exit 1
}

conf=${1:?usage: unit-start.sh CONF}
unit=${DKIMD_UNIT:-/lib/systemd/system/dkimd.service}
[ -f "$unit" ] || die "no unit $unit"
user=$(unit_get "$unit" User)
group=$(unit_get "$unit" Group)
group=${group:-$user}
nofile=$(unit_get "$unit" LimitNOFILE)
start=$(unit_exec "$unit" ExecStart)
[ -n "$user" ] && [ -n "$start" ] || die "no User= or ExecStart= in $unit"

# the configuration the unit names: the word after -c
read -r -a argv <<<"$start"
etcconf=
for ((i = 0; i < ${#argv[@]} - 1; i++)); do
	[ "${argv[i]}" = -c ] && etcconf=${argv[i + 1]}
done
[ -n "$etcconf" ] || die "ExecStart has no -c FILE: $start"
etc=$(dirname "$etcconf")
keys=$etc/keys
[ -d "$keys" ] || die "no keys folder $keys"

# conf_value KEYWORD - the value of KEYWORD in CONF
conf_value() {
	awk -v k="$1" 'tolower($1) == tolower(k) { print $2 }' "$conf"
}
kt=$(conf_value KeyTable)
st=$(conf_value SigningTable)
[ -n "$kt" ] && [ -n "$st" ] || die "$conf names no KeyTable or SigningTable"

# the KeyTable, each key copied into the keys folder
: >"$etc/KeyTable.new"
while read -r name spec; do
	case $name in '' | '#'*) continue ;; esac
	path=${spec#*:*:}
	install -o "$user" -g "$group" -m 0600 "$path" "$keys/${path##*/}"
	echo "$name ${spec%"$path"}$keys/${path##*/}" >>"$etc/KeyTable.new"
done <"${kt#file:}"
mv "$etc/KeyTable.new" "$etc/KeyTable"
case $st in
refile:*) cp "${st#refile:}" "$etc/SigningTable"; st=refile:$etc/SigningTable ;;
*) cp "${st#file:}" "$etc/SigningTable"; st=file:$etc/SigningTable ;;
esac
awk -v kt="file:$etc/KeyTable" -v st="$st" '
	tolower($1) == "keytable" { print "KeyTable\t" kt; next }
	tolower($1) == "signingtable" { print "SigningTable\t" st; next }
	{ print }' "$conf" >"$etcconf.new"
chmod 0644 "$etcconf.new"
mv "$etcconf.new" "$etcconf"

# RuntimeDirectory= (with its mode) and UMask=, as systemd sets them up
rundir=$(unit_get "$unit" RuntimeDirectory)
if [ -n "$rundir" ]; then
	rm -rf "/run/$rundir"
	install -d -o "$user" -g "$group" \
	    -m "$(unit_get "$unit" RuntimeDirectoryMode)" "/run/$rundir"
fi
mask=$(unit_get "$unit" UMask)
[ -z "$mask" ] || umask "$mask"

runas=(setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs --)
while read -r pre; do
	[ -n "$pre" ] || continue
	# shellcheck disable=SC2086 # a unit's command line, split as systemd does
	"${runas[@]}" $pre >&2 || die "ExecStartPre failed: $pre"
done <<<"$(unit_exec "$unit" ExecStartPre)"
# LimitNOFILE sets both limits; where even root may not raise the hard
# limit (a container without CAP_SYS_RESOURCE), take the hard limit
if [ -n "$nofile" ] && ! ulimit -n "$nofile" 2>/dev/null; then
	echo "unit-start: LimitNOFILE=$nofile above the hard limit here;" \
	    "using $(ulimit -Hn)" >&2
	ulimit -n "$(ulimit -Hn)"
fi
exec "${runas[@]}" "${argv[@]}"
