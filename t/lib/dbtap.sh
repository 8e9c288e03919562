# dbtap.sh - TAP helpers for the shell tests (dkimtool, keys, databases; sourced)
#
#	. t/lib/dbtap.sh
#	ok STATUS NAME		one test point from an exit status
#	is GOT WANT NAME	one test point comparing two strings
#	status CMD...		run CMD, output to $work/out and $work/err;
#				print its exit status
#	tap_end			print the plan and "N passed, N failed";
#				exit 1 when a point failed
#
# The caller sets $work (a folder of its own) before calling status.

n=0
nfail=0

# ok STATUS NAME - one test point from the exit status of the test
ok()
{
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		nfail=$((nfail + 1))
		echo "not ok $n - $2"
	fi
}

# is GOT WANT NAME - one test point comparing two strings
is()
{
	[ "$1" = "$2" ]
	ok $? "$3"
	[ "$1" = "$2" ] || echo "#   got '$1', want '$2'"
}

# status CMD... - run CMD with output to $work/out and $work/err; print $?
status()
{
	"$@" >"$work/out" 2>"$work/err" </dev/null
	echo $?
}

# tap_end - the plan, the summary line, and the exit status
tap_end()
{
	echo "1..$n"
	echo "# $((n - nfail)) passed, $nfail failed"
	[ "$nfail" -eq 0 ]
}
