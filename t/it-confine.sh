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
#   those names are seen binding, and none binds to dkimd.
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
