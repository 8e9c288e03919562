#!/usr/bin/env bash
# capture.sh - record BIND's answers to test_update's requests
#
#	bash t/data/update/capture.sh BUILDDIR
#
# Starts a private named (t/lib/bind.sh) whose TSIG key is
# t/data/update/keys/good-sha256.conf, has BUILDDIR/t/test_update write
# its requests for the time now, sends each over TCP and writes
# t/data/update/answers/CASE.{req,ans,time}. Run again when the requests
# of test_update.c change.
set -eu
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=$1
. "$top/t/lib/dns.sh"
. "$top/t/lib/bind.sh"
work=$(mktemp -d /tmp/dkimd-capture.XXXXXX)
trap 'bind_stop; rm -rf "$work"' EXIT
BIND_KEYFILE=$top/t/data/update/keys/good-sha256.conf
bind_start "$work" example.test
out=$top/t/data/update/answers
now=$(date +%s)
top_srcdir=$top "$build/t/test_update" --requests "$out" "$now"
for req in "$out"/*.req; do
	c=$(basename "$req" .req)
	echo "$now" >"$out/$c.time"
	python3 - "$BIND_PORT" "$req" "$out/$c.ans" <<'PY'
import socket, struct, sys
port, req, ans = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(req, "rb").read()
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(struct.pack("!H", len(data)) + data)
def get(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise SystemExit("short answer")
        b += c
    return b
n = struct.unpack("!H", get(2))[0]
open(ans, "wb").write(get(n))
PY
done
ls -l "$out"
