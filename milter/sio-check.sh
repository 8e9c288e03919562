#!/bin/sh
# sio-check.sh - does libmilter.a do what milter/sockio.c's fast path assumes?
#
#	sh milter/sio-check.sh NM LIBMILTER.A
#
# configure runs this on the archive dkimd links (configure.ac), and
# t/it-confine.sh on archives made to fail. From the undefined symbols
# of the archive's objects:
# - accept, close and sigwait must be called: the connection gate and
#   SIGHUP's reload hang on them. Else exit 2, the reason on stdout.
# - libmilter waits in poll() (not select, ppoll, epoll...), reads its
#   connections with read() only (not recv, readv...) and writes them
#   with writev() only: no write() in an object that calls writev().
#   Else exit 1, the reasons on stdout, comma-separated: configure builds
#   sockio.c's plain path.
# Exit 0 when all holds.
nm=$1
a=$2
syms=$("$nm" -A "$a" 2>/dev/null |
    awk '$(NF-1) == "U" {o = $1; sub(/:$/, "", o); sub(/.*:/, "", o); print o, $NF}')
[ -n "$syms" ] || { echo "no symbols in $a"; exit 2; }

# has NAME - some object of the archive calls NAME
has() {
	echo "$syms" | awk -v s="$1" '$2 == s {f = 1} END {exit !f}'
}

for s in accept close sigwait; do
	has "$s" || { echo "does not call $s()"; exit 2; }
done
why=
for s in poll read writev; do
	has "$s" || why="$why, no $s()"
done
for s in select pselect ppoll epoll_wait epoll_pwait recv recvfrom recvmsg \
    readv pread send sendto sendmsg pwrite; do
	has "$s" && why="$why, calls $s()"
done
# objects that call both writev and write
both=$(echo "$syms" | awk '$2 == "writev" {v[$1] = 1} $2 == "write" {w[$1] = 1}
    END {for (o in v) if (o in w) print o}')
[ -n "$both" ] && why="$why, write() beside writev() in $(echo $both)"
why=${why#, }
[ -z "$why" ] && exit 0
echo "$why"
exit 1
