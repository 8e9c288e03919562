#!/usr/bin/env bash
# it-key-safety.sh - what dkimd does to keep its private keys to itself (TAP)
#
# What t/it-conftest.sh (dkimd -t refuses keys group or others may read)
# and t/it-milter.sh (UserID: the saved uid after start-up) prove is not
# repeated here. This adds, with the real daemon:
#	- it does not start with a key that group or others may read, or
#	  that belongs to another user (RequireSafeKeys defaults to yes);
#	- a key made readable while it runs is refused at SIGHUP, and the
#	  configuration in force (its keys loaded safely) stays;
#	- under UserID every uid and gid (real, effective, saved, file
#	  system) is the unprivileged user's, with no supplementary groups,
#	  and it still signs with the keys it read as root, also after a
#	  SIGHUP whose reload cannot read them any more;
#	- with no Socket line it listens on 127.0.0.1:8891 only, never on a
#	  wildcard address (skipped when that port is in use).
#
# Needs root (and user nobody) for the UserID part. Environment: DKIMD,
# DKIMTOOL, top_srcdir, top_builddir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=t/data/faults/faults.sh
. "$top_srcdir/t/data/faults/faults.sh"
faults_init it-key-safety
fake_start "sel1._domainkey.example.com txt \"$KEYREC\"" ||
	{ echo "Bail out! dnsfake.py did not start"; exit 1; }
key=$work/keys/sel1.private

# refused MODE OWNER NAME PATTERN - dkimd does not start with the key so
refused() {
	chmod "$1" "$key"
	chown "$2" "$key"
	if dkimd_start; then
		ok 1 "$3"
		dkimd_stop
	else
		wait "$DKIMD_PID" 2>/dev/null
		grep -q -E "$4" "$work/dkimd.log"
		ok $? "$3"
		grep -E "sel1.private" "$work/dkimd.log" | head -n 2 | sed 's/^/#   /'
	fi
	DKIMD_PID=
	chmod 600 "$key"
	chown root "$key"
}

# uids - "real effective saved fs" uids and gids and groups of dkimd
ids() {
	awk '/^(Uid|Gid|Groups):/' "/proc/$DKIMD_PID/status" | tr -s '\t ' ' '
}

# ---- unsafe keys: no start-up ------------------------------------------------
DKIMD_START_TRIES=30
refused 644 root "the daemon does not start with a key others may read (0644)" \
    "sel1.private: unsafe permissions 0644"
refused 640 root "the daemon does not start with a key its group may read (0640)" \
    "sel1.private: unsafe permissions 0640"
refused 602 root "the daemon does not start with a key others may write (0602)" \
    "sel1.private: unsafe permissions 0602"
if id nobody >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	refused 600 nobody "the daemon does not start with a key another user owns" \
	    "sel1.private: owned by uid $(id -u nobody)"
fi
DKIMD_START_TRIES=100

# ---- a key made unsafe while running: SIGHUP keeps the safe configuration -------
dkimd_start || ok 1 "dkimd starts with a safe key"
chmod 644 "$key"
kill -HUP "$DKIMD_PID"
for _ in $(seq 1 50); do grep -q "reload failed" "$work/dkimd.log" && break; sleep 0.1; done
grep -q "unsafe permissions 0644" "$work/dkimd.log" &&
    grep -q "reload failed" "$work/dkimd.log"
ok $? "SIGHUP with a key made readable: the reload is refused, with the reason"
$MFAULT "$PORT" sign 2>"$work/err"
ok $? "SIGHUP with a key made readable: the safe configuration in force still signs"
chmod 600 "$key"
dkimd_stop

# ---- UserID: everything dropped ---------------------------------------------------
if id nobody >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	nu=$(id -u nobody)
	ng=$(id -g nobody)
	dkimd_start "UserID nobody" || ok 1 "dkimd starts with UserID nobody"
	ids | sed 's/^/#   /'
	[ "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$DKIMD_PID/status")" = "$nu $nu $nu $nu" ]
	ok $? "UserID: real, effective, saved and file system uid are nobody's"
	[ "$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$DKIMD_PID/status")" = "$ng $ng $ng $ng" ]
	ok $? "UserID: real, effective, saved and file system gid are nobody's group"
	[ -z "$(awk '/^Groups:/ {$1 = ""; print}' "/proc/$DKIMD_PID/status" | tr -d ' ')" ]
	ok $? "UserID: no supplementary groups (root's are dropped)"
	[ "$(awk '/^CapEff:/ {print $2}' "/proc/$DKIMD_PID/status")" = 0000000000000000 ]
	ok $? "UserID: no effective capabilities"
	$MFAULT "$PORT" sign 2>"$work/err"
	ok $? "UserID: signs with the key it read as root (mode 0600, owner root)"
	sed 's/^/#   /' "$work/err"
	kill -HUP "$DKIMD_PID"
	for _ in $(seq 1 50); do grep -q -E "reload(ed| failed)" "$work/dkimd.log" && break; sleep 0.1; done
	grep -E "reload" "$work/dkimd.log" | sed 's/^/#   /'
	$MFAULT "$PORT" sign 2>"$work/err"
	alive && [ ! -s "$work/err" ]
	ok $? "UserID: after a SIGHUP (root's key now unreadable) it still runs and signs"
	dkimd_stop
else
	echo "# skipped: UserID (needs root and user nobody)"
fi

# ---- the default socket: loopback only ------------------------------------------
# 8891 is 0x22BB; state 0A is LISTEN in /proc/net/tcp and tcp6
if grep -q -E ":22BB [0-9A-F:]+ 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
	echo "ok $((n + 1)) # SKIP port 8891 is in use here"
	n=$((n + 1))
else
	sed -i '/^Socket/d' "$work/dkimd.conf"
	: >"$work/dkimd.log"
	"$DKIMD" -f -c "$work/dkimd.conf" >>"$work/dkimd.log" 2>&1 &
	DKIMD_PID=$!
	for _ in $(seq 1 100); do grep -q "started on" "$work/dkimd.log" && break; sleep 0.1; done
	grep "started on" "$work/dkimd.log" | sed 's/^/#   /'
	l4=$(awk '$2 ~ /:22BB$/ && $4 == "0A" {print $2}' /proc/net/tcp)
	l6=$(awk '$2 ~ /:22BB$/ && $4 == "0A" {print $2}' /proc/net/tcp6)
	[ "$l4" = "0100007F:22BB" ] && [ -z "$l6" ]
	ok $? "no Socket line: listens on 127.0.0.1:8891 only (found: ${l4:-none} ${l6})"
	PORT=8891
	$MFAULT "$PORT" sign 2>"$work/err"
	ok $? "no Socket line: signs on 127.0.0.1:8891"
	dkimd_stop
fi

# ---- inet:PORT with no host: loopback, not every address -------------------------
port=$(free_port 2>/dev/null || echo 18977)
hex=$(printf '%04X' "$port")
sed -i '/^Socket/d' "$work/dkimd.conf"
echo "Socket inet:$port" >>"$work/dkimd.conf"
: >"$work/dkimd.log"
"$DKIMD" -f -c "$work/dkimd.conf" >>"$work/dkimd.log" 2>&1 &
DKIMD_PID=$!
for _ in $(seq 1 100); do grep -q "started on" "$work/dkimd.log" && break; sleep 0.1; done
l4=$(awk -v h=":$hex" '$2 ~ h"$" && $4 == "0A" {print $2}' /proc/net/tcp)
[ "$l4" = "0100007F:$hex" ]
ok $? "Socket inet:PORT with no host listens on 127.0.0.1 only (found: ${l4:-none})"
dkimd_stop
echo "1..$n"
exit $fail
