#!/usr/bin/env bash
# it-confine.sh - only libmilter reaches sockio.c: dkimd exports none of
# the C library's names
#
#	top_builddir=... DKIMD=... bash t/it-confine.sh
#
# TAP on stdout. dkimd links a copy of libmilter.a whose references to
# accept, close, read, poll, writev and sigwait are renamed (Makefile.am),
# so that OpenSSL, the C library, a dlopen()ed database client and
# dkimd's own code keep the system's functions. Checked on the built and
# on the installed dkimd (`make install DESTDIR=...`, skipped without a
# configured build tree):
# - `nm -D --defined-only` lists none of those six names;
# - the renamed functions are there (sio_read ... main_sigwait) and
#   libmilter is linked in, not loaded (ldd names no libmilter.so);
# - smfi_settimeout() is dkimd's wrapper, which sets sockio's write
#   time-out and calls libmilter's, renamed libmilter_settimeout();
# - with LD_BIND_NOW=1 LD_DEBUG=bindings, the libraries' references to
#   those names are seen binding, and none binds to dkimd;
# - milter/sio-check.sh, configure's check of libmilter.a, passes
#   Debian's and an archive that calls what sockio.c assumes, sends to
#   the plain path archives that wait in select() or epoll_wait(), read
#   with recv() or write() beside writev(), and refuses one without
#   accept() (the gate needs it). Skipped without a C compiler.
set -u

: "${DKIMD:?}" "${top_builddir:?}"
names='accept read poll writev close sigwait'
n=0
fails=0
work=$(mktemp -d /tmp/it-confine.XXXXXX)
trap 'rm -rf "$work"' EXIT

ok() {	# ok COND-STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"; fails=$((fails + 1)); fi
}

# exported BINARY - which of $names BINARY defines for the dynamic linker
exported() {
	nm -D --defined-only "$1" | awk '{print $NF}' | sed 's/@.*//' |
	    grep -x -E "$(echo "$names" | tr ' ' '|')"
}

# check BINARY WHAT - the points on one dkimd
check() {
	local bin=$1 what=$2 got
	got=$(exported "$bin")
	[ -z "$got" ]
	ok $? "$what dkimd: nm -D --defined-only lists none of $names"
	[ -n "$got" ] && echo "# exported:" $got
	nm "$bin" | awk '$2 == "T" {print $3}' |
	    grep -c -x -E 'sio_(accept|close|read|poll|writev)|main_sigwait|mi_rd_cmd' |
	    grep -qx 7
	ok $? "$what dkimd: the renamed functions and libmilter are linked in"
	nm "$bin" | awk '$2 == "T" {print $3}' |
	    grep -c -x -E 'smfi_settimeout|libmilter_settimeout' | grep -qx 2
	ok $? "$what dkimd: smfi_settimeout() is dkimd's (sockio's write time-out with libmilter's)"
	! ldd "$bin" | grep -q libmilter
	ok $? "$what dkimd: no libmilter.so loaded"
}

check "$DKIMD" built

LD_BIND_NOW=1 LD_DEBUG=bindings LD_DEBUG_OUTPUT="$work/b" "$DKIMD" -k \
    >/dev/null 2>&1
cat "$work"/b* >"$work/bind" 2>/dev/null
grep -E "normal symbol \`(read|close|poll)(@|')" "$work/bind" | grep -q .
ok $? "bindings: the libraries' references to read/close/poll are seen (control)"
! grep -E "to $DKIMD \[0\]: normal symbol \`($(echo "$names" | tr ' ' '|'))(@|')" \
    "$work/bind" | grep -q .
ok $? "bindings: none binds to dkimd's"

# archive NAME CALLS... - $work/NAME.a, one object calling CALLS
archive() {
	local name=$1 f
	shift
	{
		for f in "$@"; do echo "void $f(void);"; done
		echo "void f_$name(void) {"
		for f in "$@"; do echo "$f();"; done
		echo "}"
	} >"$work/$name.c"
	cc -w -c -o "$work/$name.o" "$work/$name.c" &&
	    ar rc "$work/$name.a" "$work/$name.o"
}

# sio_check NAME WANT-RC WANT-TEXT WHAT - one point on sio-check.sh
sio_check() {
	local out rc
	out=$(sh "$top_srcdir/milter/sio-check.sh" nm "$work/$1.a")
	rc=$?
	[ "$rc" -eq "$2" ] && case "$out" in *"$3"*) true ;; *) false ;; esac
	ok $? "sio-check: $4 (exit $rc: ${out:-all holds})"
}

# good: write() in an object of its own (a pipe), as libmilter has it
if command -v cc >/dev/null && : "${top_srcdir:?}" &&
    archive good accept close sigwait poll read writev &&
    archive wpipe write && ar rc "$work/good.a" "$work/wpipe.o" &&
    archive wv accept close sigwait poll read writev write &&
    archive sel accept close sigwait select read writev &&
    archive epoll accept close sigwait epoll_wait read writev &&
    archive recv accept close sigwait poll recv writev &&
    archive noaccept close sigwait poll read writev; then
	sio_check good 0 "" "an archive as sockio.c assumes passes"
	cp /dev/null "$work/deb.a"
	for m in "$(pkg-config --variable=libdir milter 2>/dev/null)/libmilter.a" \
	    "$(cc -print-file-name=libmilter.a)"; do
		[ -f "$m" ] && cp "$m" "$work/deb.a" && break
	done
	sio_check deb 0 "" "the system's libmilter.a passes"
	sio_check wv 1 "write() beside writev()" "write() where writev() is: the plain path"
	sio_check sel 1 "calls select()" "waits in select(): the plain path"
	sio_check epoll 1 "calls epoll_wait()" "waits in epoll_wait(): the plain path"
	sio_check recv 1 "no read(), calls recv()" "reads with recv(): the plain path"
	sio_check noaccept 2 "does not call accept()" "no accept(): refused"
else
	for i in 1 2 3 4 5 6 7; do
		n=$((n + 1))
		echo "ok $n # SKIP no C compiler"
	done
fi

if [ -f "$top_builddir/Makefile" ] &&
    make -s -C "$top_builddir" install DESTDIR="$work/inst" \
    >"$work/install.out" 2>&1; then
	check "$(find "$work/inst" -type f -name dkimd -perm -u+x | head -1)" \
	    installed
else
	for i in 1 2 3 4; do
		n=$((n + 1))
		echo "ok $n # SKIP no make install in a configured build tree"
	done
fi
echo "1..$n"
[ "$fails" -eq 0 ]
