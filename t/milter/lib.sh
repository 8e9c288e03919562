# lib.sh - shell helpers of the milter test scripts (sourced)
#
#	ok STATUS NAME		one TAP point: "ok" when STATUS is 0
#	skip_all REASON		print a skipping plan and exit 0
#	free_port		a free TCP port on 127.0.0.1
#	zone_to_records FILE	"NAME VALUE" from dkimtool genkey's .txt,
#				for t/lib/dns.sh
# ok counts in $n and sets $fail to 1 on a failed point.

n=0
fail=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=1
	fi
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

zone_to_records() {
	/usr/bin/python3 -c '
import re, sys
t = open(sys.argv[1]).read()
print(t.split()[0].rstrip("."), "".join(re.findall(r"\"([^\"]*)\"", t)))' "$1"
}
