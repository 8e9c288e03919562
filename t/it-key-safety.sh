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
#	  wildcard address (skipped when that port is in use);
#	- a tenant (user nobody, through setpriv) who owns its key folder, or
#	  may write a shared one or its parent, and links another tenant's
#	  key (or folder) into place gets no signature with it, and the
#	  reason is logged; the same link with RequireSafeKeys no is not
#	  followed either; the same for a link in any folder from the
#	  domain's down to the key's own;
#	- PidFile: a link or a file another user planted in a folder anyone
#	  may write is neither followed nor replaced (dkimd does not start);
#	  a stale file of root's is replaced; UMask applies to its mode.
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
# ---- an unprivileged user (setpriv as nobody) plants links ----------------------
# as_nobody CMD... - run CMD as user nobody, group nogroup, no other groups
as_nobody() {
	setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups -- "$@"
}

# pct_try NAME PATTERN [LINES...] - with a '%' KeyTable, the From domain
# example.com must not be signed, and the log must say PATTERN
pct_try() {
	name=$1 pattern=$2
	shift 2
	dkimd_start "$@" || ok 1 "$name: dkimd starts (keys read per domain)"
	! $MFAULT "$PORT" sign 2>"$work/err" &&
	    grep -q -E "$pattern" "$work/dkimd.log"
	ok $? "$name"
	grep -E "key \"pct\"" "$work/dkimd.log" | head -n 1 | sed 's/^/#   /'
	dkimd_stop
}

if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1 &&
    [ "$(id -u)" = 0 ]; then
	chmod 711 "$work"
	T=$work/tenants
	mkdir -p "$T/victim.example"
	chmod 755 "$T"
	chmod 700 "$T/victim.example"
	cp "$key" "$T/victim.example/sel1.private"
	chmod 600 "$T/victim.example/sel1.private"
	cp "$work/key.table" "$work/key.table.orig"
	echo "pct %:sel1:$T/%/sel1.private" >"$work/key.table"
	echo "*@example.com pct" >"$work/signing.table"

	# control: a root folder with the real key signs (the test can fail)
	mkdir -m 755 "$T/example.com"
	cp "$key" "$T/example.com/sel1.private"
	dkimd_start || ok 1 "'%' keys: dkimd starts"
	$MFAULT "$PORT" sign 2>"$work/err"
	ok $? "'%' keys: example.com's own key in a folder only root writes signs"
	dkimd_stop
	rm -rf "$T/example.com"

	# the tenant owns its folder and links another tenant's key into it
	mkdir -m 755 "$T/example.com"
	chown nobody "$T/example.com"
	as_nobody ln -s "$T/victim.example/sel1.private" "$T/example.com/sel1.private"
	pct_try "'%' keys: a tenant's own folder with a link to another tenant's key: not signed, reason logged" \
	    "example.com/sel1.private: its folder is owned by uid $(id -u nobody)"
	pct_try "'%' keys: ... with RequireSafeKeys no the link is still not followed" \
	    "example.com/sel1.private: a symbolic link" "RequireSafeKeys no"
	rm -rf "$T/example.com"

	# deeper: the tenant's folder holds a link to another tenant's folder
	# above the key's own (which is then the other tenant's, and safe)
	mkdir -p "$T/victim.example/dkim/keys"
	chmod -R 700 "$T/victim.example/dkim"
	cp "$key" "$T/victim.example/dkim/keys/sel1.private"
	echo "pct %:sel1:$T/%/dkim/keys/sel1.private" >"$work/key.table"
	mkdir -m 755 "$T/example.com"
	chown nobody "$T/example.com"
	as_nobody ln -s "$T/victim.example/dkim" "$T/example.com/dkim"
	pct_try "'%' keys: a link in the tenant's folder to another tenant's folder two levels above the key: not signed" \
	    "dkim/keys/sel1.private: folder \"example.com\" on its path is owned by uid $(id -u nobody)"
	pct_try "'%' keys: ... with RequireSafeKeys no the link is still not followed" \
	    "dkim/keys/sel1.private: folder \"dkim\" on its path is a symbolic link" "RequireSafeKeys no"
	rm -rf "$T/example.com"
	echo "pct %:sel1:$T/%/sel1.private" >"$work/key.table"

	# a shared folder (root's, but anyone may write) gets a link planted
	mkdir -m 1777 "$T/example.com"
	as_nobody ln -s "$T/victim.example/sel1.private" "$T/example.com/sel1.private"
	pct_try "'%' keys: a folder others may write (1777), a link planted: not signed, reason logged" \
	    "example.com/sel1.private: its folder may be written by group or others \\(mode 1777\\)"
	rm -rf "$T/example.com"

	# the tenant may write the parent: the domain's folder becomes a link
	chown nobody "$T"
	as_nobody ln -s "$T/victim.example" "$T/example.com"
	pct_try "'%' keys: the domain's folder replaced by a link to another tenant's folder: not signed" \
	    "example.com/sel1.private: its folder is a symbolic link" "RequireSafeKeys no"
	rm -f "$T/example.com"
	chown root "$T"
	mv "$work/key.table.orig" "$work/key.table"
	echo "*@example.com sel1" >"$work/signing.table"

	# ---- PidFile in a folder others may write ----
	R=$work/run
	mkdir -m 1777 "$R"
	echo precious >"$work/victim"
	chmod 644 "$work/victim"
	as_nobody ln -s "$work/victim" "$R/dkimd.pid"
	DKIMD_START_TRIES=30
	if dkimd_start "PidFile $R/dkimd.pid"; then ok 1 "PidFile: a planted link is refused"; dkimd_stop; fi
	DKIMD_PID=
	[ "$(cat "$work/victim")" = precious ] && grep -q "PidFile $R/dkimd.pid" "$work/dkimd.log"
	ok $? "PidFile: a link planted by another user: dkimd does not start and writes nothing through it"
	grep "PidFile" "$work/dkimd.log" | sed 's/^/#   /'
	rm -f "$R/dkimd.pid"
	as_nobody sh -c "echo 1 > $R/dkimd.pid"
	if dkimd_start "PidFile $R/dkimd.pid"; then ok 1 "PidFile: another user's file is refused"; dkimd_stop; fi
	DKIMD_PID=
	[ "$(cat "$R/dkimd.pid")" = 1 ] && grep -q "PidFile $R/dkimd.pid" "$work/dkimd.log"
	ok $? "PidFile: a file another user put there: not replaced, no start"
	rm -f "$R/dkimd.pid"
	DKIMD_START_TRIES=100
	echo 99999 >"$R/dkimd.pid"
	dkimd_start "PidFile $R/dkimd.pid" || ok 1 "PidFile: starts over a stale file"
	[ "$(cat "$R/dkimd.pid")" = "$DKIMD_PID" ] &&
	    [ "$(stat -c '%a %U' "$R/dkimd.pid")" = "644 root" ]
	ok $? "PidFile: a stale file of root's is replaced: our pid, mode 0644 (no UMask)"
	dkimd_stop
	[ ! -e "$R/dkimd.pid" ]
	ok $? "PidFile: removed at stop"
	dkimd_start "PidFile $R/dkimd.pid" "UMask 027" || ok 1 "PidFile: starts with UMask 027"
	[ "$(stat -c '%a' "$R/dkimd.pid")" = 640 ]
	ok $? "PidFile: UMask 027 gives mode 0640 ($(stat -c '%a' "$R/dkimd.pid"))"
	dkimd_stop
else
	echo "# skipped: tenants and PidFile as user nobody (needs root, setpriv and user nobody)"
fi

echo "1..$n"
exit $fail
