#!/usr/bin/env bash
# it-deb.sh - the Debian package, built, installed, run as its unit, purged (TAP)
# it-timeout: 600
#
# 1. Copies the tree (the files git knows, as they are in the work tree)
#    into a temporary folder and builds the package there with
#    dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=nocheck: the tree's
#    own tests run elsewhere), so the work tree gets no build litter.
# 2. lintian: no E: line (W: and I: lines are shown as comments).
# 3. apt-get install ./dkimd_*.deb: files, owners, modes, the conffile,
#    the user; systemd-analyze security --offline=yes scores the unit.
# 4. Runs the installed /usr/sbin/dkimd as the unit says (User=, its
#    ExecStartPre and ExecStart, no new privileges, LimitNOFILE; no systemd
#    runs here: t/deb/unit-start.sh) behind a real Postfix:
#    t/milter/it-postfix.sh, whose points are repeated here; then on its
#    own: user, capabilities, limits, SIGHUP, ExecStartPre refusing an
#    unsafe key, and a unix socket in the RuntimeDirectory that postfix
#    (in group dkimd) reaches and other users do not.
# 5. apt-get purge: nothing is left but the keys a site added (and the
#    user that owns them); reinstalled, the kept keys are untouched; then
#    DKIMD_PURGE_KEYS=yes apt-get purge leaves nothing at all.
# It installs a package on this machine: one run at a time (a lock in
# /tmp), and none when a dkimd package or user is there already. The EXIT
# trap stops what it started (by PID) and purges what it installed.
# Needs root, dpkg-dev, debhelper, lintian, and what it-postfix.sh needs.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
UNIT=/lib/systemd/system/dkimd.service
T=
PID=
INSTALLED=0

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"
# shellcheck source=t/deb/unit.sh
. "$top_srcdir/t/deb/unit.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root to install a package"
[ -f "$top_srcdir/debian/control" ] || skip_all "no debian/ in $top_srcdir"
for p in dpkg-buildpackage dh apt-get lintian setpriv flock; do
	command -v "$p" >/dev/null || skip_all "$p not installed"
done
exec 9>/tmp/dkimd-it-deb.lock
flock -w 900 9 || skip_all "another it-deb.sh holds /tmp/dkimd-it-deb.lock"
dpkg-query -W -f='${Status}' dkimd 2>/dev/null | grep -q . &&
    skip_all "a dkimd package is on this machine already (apt-get purge dkimd)"
getent passwd dkimd >/dev/null &&
    skip_all "a user dkimd exists already; this test would remove it"

export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300)

cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	if [ "$INSTALLED" = 1 ]; then
		DKIMD_PURGE_KEYS=yes "${APT[@]}" purge dkimd >/dev/null 2>&1
	fi
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
T=$(mktemp -d /tmp/it-deb.XXXXXX)
chmod 755 "$T"

# show FILE... - a file as TAP comments
show() {
	sed 's/^/#   /' "$@"
}

# as USER CMD... - run CMD as USER, with USER's groups and no new privileges
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups \
	    --no-new-privs -- "$@"
}

# ---- 1. build from a copy of the tree -------------------------------------
mkdir "$T/src"
# litter - what a build in the tree itself would leave: debian/'s build
# folders and files, and packages beside the tree
litter() {
	ls -a "$top_srcdir/debian"
	ls "$(dirname "$top_srcdir")" | grep '^dkimd[-_].*\(deb\|changes\|buildinfo\)$'
}
before=$(litter)
if git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top_srcdir" && git ls-files -co --exclude-standard -z |
	    tar --null -T - -cf -) | tar -xf - -C "$T/src"
else
	cp -a "$top_srcdir/." "$T/src/"
fi
t0=$SECONDS
(cd "$T/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
    timeout 900 dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1
rc=$?
ok $rc "dpkg-buildpackage -us -uc -b builds the package from a copy of the tree"
echo "# package build: $((SECONDS - t0)) s"
[ $rc = 0 ] || { tail -n 40 "$T/build.log" | show; echo "1..$n"; exit 1; }
[ "$(litter)" = "$before" ]
ok $? "the work tree gets no build litter (debian/, packages beside it)"
deb=$(ls "$T"/dkimd_*.deb 2>/dev/null | head -n 1)
version=$(sed -n 's/^AC_INIT(\[dkimd\], \[\([^]]*\)\].*/\1/p' \
    "$top_srcdir/configure.ac")
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ]
ok $? "dkimd_${version}_*.deb: its version is configure.ac's ($version)"
dpkg-deb -f "$deb" Depends | grep -q -E 'libpq|libmariadb|libsqlite'
[ $? = 1 ] && dpkg-deb -f "$deb" Suggests |
    grep -q 'libmariadb3.*libpq5.*libsqlite3-0'
ok $? "the database client libraries (dlopen) are suggested, not depended on"

# ---- 2. lintian --------------------------------------------------------------
t0=$SECONDS
timeout 300 lintian "$T"/dkimd_*.changes >"$T/lintian.out" 2>&1
rc=$?	# 0: no error, 1: errors, 2 and more: lintian itself failed
echo "# lintian: $((SECONDS - t0)) s, exit $rc"
show "$T/lintian.out"
[ $rc -lt 2 ] && ! grep -q '^E:' "$T/lintian.out"
ok $? "lintian reports no error"

# ---- 3. install ----------------------------------------------------------------
INSTALLED=1
"${APT[@]}" install "$deb" >"$T/install.log" 2>&1
ok $? "apt-get install ./$(basename "$deb")"
missing=
for f in /usr/sbin/dkimd /usr/bin/dkimtool \
    /usr/share/man/man8/dkimd.8.gz /usr/share/man/man5/dkimd.conf.5.gz \
    /usr/share/man/man1/dkimtool.1.gz \
    /etc/dkimd/dkimd.conf /etc/dkimd/KeyTable /etc/dkimd/SigningTable \
    $UNIT /usr/share/doc/dkimd/README.Debian \
    /usr/share/doc/dkimd/examples/dkimd.conf \
    /usr/share/doc/dkimd/examples/dkimd.service \
    /usr/share/doc/dkimd/examples/dkimd.mc \
    /usr/share/doc/dkimd/examples/postfix/main.cf.snippet \
    /usr/share/doc/dkimd/examples/postfix/master.cf.snippet \
    /usr/share/dkimd/schema/sqlite.sql /usr/share/dkimd/schema/mysql.sql \
    /usr/share/dkimd/schema/pgsql.sql; do
	[ -f "$f" ] || missing="$missing $f"
done
[ -z "$missing" ]
ok $? "installs the programs, manuals, conffiles, unit, samples and schemas"
[ -z "$missing" ] || echo "# missing:$missing"
zcat /usr/share/man/man1/dkimtool.1.gz /usr/share/man/man5/dkimd.conf.5.gz |
    grep -c '^\.I.* /usr/share/dkimd/schema/' | grep -q '^2$'
ok $? "dkimtool(1) and dkimd.conf(5) name /usr/share/dkimd/schema/, where the schemas are"
dpkg-query -W -f='${Conffiles}\n' dkimd >"$T/conffiles"
grep -q '^ /etc/dkimd/dkimd.conf ' "$T/conffiles" &&
    grep -q '^ /etc/dkimd/KeyTable ' "$T/conffiles"
ok $? "/etc/dkimd/dkimd.conf and the tables are conffiles"
IFS=: read -r _ _ uid _ _ home shell <<<"$(getent passwd dkimd)"
getent group dkimd >/dev/null && [ "$uid" -lt 1000 ] &&
    [ "$home" = /nonexistent ] && [ "${shell##*/}" = nologin ]
ok $? "postinst made the system user and group dkimd (uid $uid, no home, no shell)"
[ "$(stat -c '%U:%G %a' /etc/dkimd)" = "root:dkimd 750" ]
ok $? "/etc/dkimd is root:dkimd 0750"
[ "$(stat -c '%U:%G %a' /etc/dkimd/keys)" = "dkimd:dkimd 700" ]
ok $? "/etc/dkimd/keys is dkimd:dkimd 0700"
as nobody ls /etc/dkimd >/dev/null 2>&1 ||
    as nobody cat /etc/dkimd/dkimd.conf >/dev/null 2>&1
[ $? != 0 ]
ok $? "another local user (nobody) can neither list /etc/dkimd nor read dkimd.conf"
as dkimd /usr/sbin/dkimd -c /etc/dkimd/dkimd.conf -t >"$T/t.out" 2>&1 &&
    grep -q 'OK (0 keys, 0 signing rules)' "$T/t.out"
ok $? "the installed configuration checks OK as user dkimd and signs nothing"
show "$T/t.out"

# ---- the unit -------------------------------------------------------------------
bad=
for kv in User=dkimd NoNewPrivileges=yes ProtectSystem=strict \
    ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
    ProtectKernelTunables=yes ProtectKernelModules=yes ProtectKernelLogs=yes \
    CapabilityBoundingSet= RuntimeDirectory=dkimd LimitNOFILE=65536 \
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK"; do
	[ "$(unit_get "$UNIT" "${kv%%=*}")=" = "${kv#*=}=" ] || bad="$bad $kv"
done
grep -q '^SystemCallFilter=@system-service$' "$UNIT" || bad="$bad SystemCallFilter"
unit_exec "$UNIT" ExecStartPre | grep -q '^/usr/sbin/dkimd .*-t$' ||
    bad="$bad ExecStartPre"
unit_get "$UNIT" ExecReload | grep -q -- '-HUP \$MAINPID' || bad="$bad ExecReload"
[ -z "$bad" ]
ok $? "the unit: User=dkimd, the hardening asked for, dkimd -t before start, SIGHUP to reload"
[ -z "$bad" ] || echo "# not as asked:$bad"
if systemd-analyze security --offline=yes "$UNIT" >"$T/sa.out" 2>&1 &&
    score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' \
	"$T/sa.out") && [ -n "$score" ]; then
	grep -E '^✗' "$T/sa.out" | show
	echo "# systemd-analyze security: exposure $score"
	awk -v s="$score" 'BEGIN { exit !(s < 2.0) }'
	ok $? "systemd-analyze security: exposure $score, below 2.0"
else
	echo "ok $((n += 1)) - # SKIP systemd-analyze security --offline does not work here"
fi

# systemd ignores a misspelt setting with a warning: the hardening above
# would be words only. verify also checks that ExecStart exists.
systemd-analyze verify --man=no "$UNIT" >"$T/verify.out" 2>&1
[ $? = 0 ] && ! grep -q . "$T/verify.out"
ok $? "systemd-analyze verify: the unit has no unknown setting, its programs exist"
show "$T/verify.out"

# unit_start CONF LOG - start the installed dkimd on CONF as the unit
# would, its output in LOG, its PID in $PID; wait until it listens (10 s)
unit_start() {
	DKIMD_UNIT=$UNIT bash "$top_srcdir/t/deb/unit-start.sh" "$1" >"$2" 2>&1 &
	PID=$!
	for _ in $(seq 1 100); do
		grep -q "started on" "$2" && break
		sleep 0.1
	done
}

# unit_stop - stop the dkimd of unit_start
unit_stop() {
	kill "$PID"
	wait "$PID" 2>/dev/null
	PID=
}

# ---- 4. the installed dkimd, as the unit runs it, behind Postfix ------------------
DKIMD=/usr/sbin/dkimd DKIMTOOL=/usr/bin/dkimtool DKIMD_UNIT=$UNIT \
    DKIMD_START="bash $top_srcdir/t/deb/unit-start.sh" top_srcdir=$top_srcdir \
    timeout 300 bash "$top_srcdir/t/milter/it-postfix.sh" >"$T/postfix.tap" 2>&1
pf=0
while IFS= read -r line; do
	case $line in
	"ok "*) ok 0 "postfix end to end: ${line#ok * - }"; pf=$((pf + 1)) ;;
	"not ok "*) ok 1 "postfix end to end: ${line#not ok * - }"; pf=$((pf + 1)) ;;
	"#"*) echo "#   $line" ;;
	"Bail out!"*) ok 1 "postfix end to end: ${line#Bail out! }" ;;
	esac
done <"$T/postfix.tap"
[ "$pf" -gt 0 ]
ok $? "postfix end to end: ran $pf points against the installed dkimd"

# a second start as the unit: what the process is, SIGHUP, a key others
# can read
port=$(free_port)
mkdir "$T/k"
/usr/bin/dkimtool genkey -d example.com -s unit -D "$T/k" >/dev/null
echo "unit example.com:unit:$T/k/unit.private" >"$T/k/kt"
echo "*@example.com unit" >"$T/k/st"
printf 'Socket inet:%s@127.0.0.1\nKeyTable %s\nSigningTable refile:%s\nSyslog no\n' \
    "$port" "$T/k/kt" "$T/k/st" >"$T/k/dkimd.conf"
unit_start "$T/k/dkimd.conf" "$T/unit.log"
[ "$(ps -o user=,group= -p "$PID" | tr -s ' ')" = "dkimd dkimd" ] &&
    [ "$(readlink "/proc/$PID/exe")" = /usr/sbin/dkimd ]
ok $? "the unit's ExecStart runs /usr/sbin/dkimd as dkimd:dkimd"
nofile=65536	# LimitNOFILE, unless even root may not raise the limit here
(ulimit -n $nofile) 2>/dev/null || nofile=$(ulimit -Hn)
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$PID/status" &&
    grep -q '^CapEff:[[:space:]]*0*$' "/proc/$PID/status" &&
    grep -q "^Max open files *$nofile *$nofile" "/proc/$PID/limits"
ok $? "it has no capabilities, no new privileges, and $nofile descriptors"
kill -HUP "$PID"
for _ in $(seq 1 50); do
	grep -q "reloaded" "$T/unit.log" && break
	sleep 0.1
done
grep -q "reloaded /etc/dkimd/dkimd.conf" "$T/unit.log" && kill -0 "$PID"
ok $? "SIGHUP (ExecReload) reloads it as user dkimd: its keys stay readable"
unit_stop
show "$T/unit.log"
chmod 0644 /etc/dkimd/keys/unit.private
pre=$(unit_exec "$UNIT" ExecStartPre)
# shellcheck disable=SC2086 # the unit's command line
as dkimd $pre >"$T/pre.out" 2>&1
[ $? != 0 ] && grep -q 'unit.private' "$T/pre.out"
ok $? "ExecStartPre (dkimd -t) stops the start when a key is readable by others"
show "$T/pre.out"
chmod 0600 /etc/dkimd/keys/unit.private

# the unix socket in the RuntimeDirectory: postfix in group dkimd (what
# "adduser postfix dkimd" gives it, README.Debian) connects, no one else
sed -e "s|^Socket .*|Socket unix:/run/dkimd/dkimd.sock|" \
    -e '$a UMask 007' "$T/k/dkimd.conf" >"$T/k/unix.conf"
unit_start "$T/k/unix.conf" "$T/unix.log"
# connect USER SETPRIV-GROUP-OPTION - USER can connect to the socket
connect() {
	setpriv --reuid="$1" --regid="$(id -g "$1")" "$2" --no-new-privs -- \
	    /usr/bin/python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).connect(sys.argv[1])' /run/dkimd/dkimd.sock \
	    2>/dev/null
}
[ "$(stat -c '%U:%G %a' /run/dkimd)" = "dkimd:dkimd 750" ] &&
    [ "$(stat -c '%U:%G %a' /run/dkimd/dkimd.sock)" = "dkimd:dkimd 770" ] &&
    connect postfix --groups="$(getent group dkimd | cut -d: -f3)"
ok $? "unix socket in /run/dkimd (0750), mode 0770: postfix in group dkimd connects"
! connect postfix --clear-groups && ! connect nobody --clear-groups
ok $? "postfix outside group dkimd, or another local user (nobody), cannot connect"
unit_stop
show "$T/unix.log"

# ---- 5. purge: the site's keys stay, nothing else -------------------------------
install -d -o dkimd -g dkimd -m 0750 /var/lib/dkimd
install -o dkimd -g dkimd -m 0600 /dev/null /var/lib/dkimd/keys.db
install -d -o dkimd -g dkimd -m 0750 /run/dkimd
install -o dkimd -g dkimd -m 0600 /dev/null /run/dkimd/dkimd.pid
ls /etc/dkimd/keys >"$T/keys.before"
dpkg-query -L dkimd >"$T/files"
"${APT[@]}" purge dkimd >"$T/purge1.log" 2>&1
ok $? "apt-get purge dkimd"
left=
while read -r f; do
	case $f in /etc/dkimd/keys*) continue ;; esac
	[ -f "$f" ] && left="$left $f"
done <"$T/files"
[ -e /run/dkimd ] && left="$left /run/dkimd"
left="$left $(find /etc/systemd /var/lib/systemd -name 'dkimd*' 2>/dev/null |
    tr '\n' ' ')"
left=$(echo $left)
[ -z "$left" ] && ! dpkg-query -W dkimd >/dev/null 2>&1 &&
    [ "$(ls -A /etc/dkimd)" = keys ]
ok $? "purge leaves none of the package's files, its /run/dkimd or unit links"
[ -z "$left" ] || echo "# left:$left"
ls /etc/dkimd/keys | cmp -s - "$T/keys.before" &&
    [ "$(stat -c '%U %a' /etc/dkimd/keys/unit.private)" = "dkimd 600" ] &&
    [ -f /var/lib/dkimd/keys.db ] && getent passwd dkimd >/dev/null
ok $? "purge keeps the site's keys (/etc/dkimd/keys, /var/lib/dkimd) and their owner dkimd"
grep 'DKIMD_PURGE_KEYS' "$T/purge1.log" | show

"${APT[@]}" install "$deb" >"$T/install2.log" 2>&1 &&
    ls /etc/dkimd/keys | cmp -s - "$T/keys.before" &&
    [ "$(stat -c '%U %a' /etc/dkimd/keys/unit.private)" = "dkimd 600" ] &&
    [ "$(stat -c '%U:%G %a' /etc/dkimd/keys)" = "dkimd:dkimd 700" ]
ok $? "reinstalled, the kept keys are as they were"
DKIMD_PURGE_KEYS=yes "${APT[@]}" purge dkimd >"$T/purge2.log" 2>&1
ok $? "DKIMD_PURGE_KEYS=yes apt-get purge dkimd"
INSTALLED=0
[ ! -e /etc/dkimd ] && [ ! -e /var/lib/dkimd ] && [ ! -e /run/dkimd ] &&
    ! getent passwd dkimd >/dev/null && ! getent group dkimd >/dev/null &&
    [ ! -e /usr/sbin/dkimd ]
ok $? "asked to, purge removes the keys and the user and group dkimd: nothing is left"

echo "1..$n"
exit $fail
