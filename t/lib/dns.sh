# dns.sh - a throw-away DNS server on 127.0.0.1 for DKIM key records (sourced)
#
#	. t/lib/dns.sh
#	dns_start RECORDS_FILE [WORKDIR]	start dnsmasq; sets DNS_PORT, DNS_PID
#	dns_stop				stop it (by its PID only)
#	dns_reload RECORDS_FILE		serve other records on the same port
#	dns_txt_conf RECORDS_FILE		print the dnsmasq conf lines (for tests)
#
# RECORDS_FILE has one record a line, "NAME VALUE": the first blank ends the
# name, the rest of the line is the TXT value (may be empty, as in a revoked
# key "v=DKIM1; p="). Lines starting with '#' and blank lines are skipped.
# "NAME -> TARGET" makes NAME a CNAME of TARGET (which must be in the file
# too), as when a selector is delegated to a mail provider.
# A value longer than 255 bytes is split into several character-strings
# (RFC 1035 section 3.3.14; RFC 6376 section 3.6.2.2 says a verifier joins
# them). dnsmasq answers over UDP and TCP, so an answer that does not fit in
# 512 bytes is truncated over UDP and fetched again over TCP by the client.
#
# Every name outside the records is answered NXDOMAIN locally (local=/#/):
# nothing is forwarded anywhere. The server listens on 127.0.0.1 only, on a
# random free high port, and is stopped by dns_stop or by the EXIT trap that
# dns_start installs (an existing EXIT trap is kept and run first; INT,
# TERM and HUP are made to exit, so that the EXIT trap runs, unless the
# caller already traps them).
#
# Needs: dnsmasq (Debian package dnsmasq-base), bash.

DNS_PORT=
DNS_PID=
DNS_DIR=
DNS_OWN_DIR=

# dns_txt_conf - turn a records file into dnsmasq txt-record= lines
dns_txt_conf()
{
	local name value part line out
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		case "$line" in
		''|'#'*)
			continue ;;
		esac
		name=${line%%[[:space:]]*}
		if [ "$name" = "$line" ]; then
			value=
		else
			value=${line#"$name"}
			value=${value#[[:space:]]}
		fi
		case "$value" in
		'-> '*)
			printf 'cname=%s,%s\n' "$name" "${value#-> }"
			continue ;;
		*'"'*|*'\'*)
			echo "dns.sh: $name: quote or backslash in value" >&2
			return 1 ;;
		esac
		out="txt-record=$name"
		if [ -z "$value" ]; then
			out="$out,\"\""
		fi
		while [ -n "$value" ]; do
			part=${value:0:255}
			value=${value:255}
			out="$out,\"$part\""
		done
		printf '%s\n' "$out"
	done < "$1"
}

# dns_free_port - print a random TCP and UDP port on 127.0.0.1 nobody uses
dns_free_port()
{
	/usr/bin/python3 - <<'EOF'
import random, socket
for _ in range(200):
    p = random.randint(20000, 60000)
    ok = True
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            ok = False
        finally:
            s.close()
    if ok:
        print(p)
        break
EOF
}

# dns_cleanup - EXIT trap: stop the server, remove our own temporary folder
dns_cleanup()
{
	dns_stop
	if [ -n "$DNS_OWN_DIR" ] && [ -d "$DNS_OWN_DIR" ]; then
		rm -rf -- "$DNS_OWN_DIR"
	fi
	DNS_OWN_DIR=
}

# dns_run - dnsmasq on $DNS_DIR/dnsmasq.conf and $DNS_PORT, in the
# background (PID in DNS_PID)
dns_run()
{
	dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	    --conf-file="$DNS_DIR/dnsmasq.conf" \
	    --pid-file="$DNS_DIR/dnsmasq.pid" \
	    --listen-address=127.0.0.1 --bind-interfaces \
	    --port="$DNS_PORT" --user=root --cache-size=0 \
	    --log-facility="$DNS_DIR/dnsmasq.log" ${DNS_LOG_QUERIES:+--log-queries} \
	    2>>"$DNS_DIR/dnsmasq.err" &
	DNS_PID=$!
}

# dns_start - serve RECORDS_FILE on 127.0.0.1:$DNS_PORT; 0 when it answers
dns_start()
{
	local records=$1 dir=$2 try i old
	if [ -n "$DNS_PID" ]; then
		echo "dns.sh: already running (pid $DNS_PID)" >&2
		return 1
	fi
	if [ -z "$dir" ]; then
		dir=$(mktemp -d /tmp/dkimd-dns.XXXXXX) || return 1
		DNS_OWN_DIR=$dir
	fi
	DNS_DIR=$dir
	{
		echo "local=/#/"
		dns_txt_conf "$records" || return 1
	} > "$dir/dnsmasq.conf" || return 1

	old=$(trap -p EXIT)
	old=${old#"trap -- '"}
	old=${old%"' EXIT"}
	case "$old" in
	*dns_cleanup*) ;;
	*)
		# shellcheck disable=SC2064
		trap "${old:+$old;} dns_cleanup" EXIT ;;
	esac
	# a signal must run the EXIT trap too, unless the caller handles it
	[ -n "$(trap -p INT)" ] || trap 'exit 130' INT
	[ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
	[ -n "$(trap -p HUP)" ] || trap 'exit 129' HUP

	for try in 1 2 3 4 5; do
		DNS_PORT=$(dns_free_port)
		[ -n "$DNS_PORT" ] || continue
		rm -f "$dir/dnsmasq.pid"
		dns_run
		for i in $(seq 1 50); do
			if ! kill -0 "$DNS_PID" 2>/dev/null; then
				break
			fi
			if dns_ping; then
				return 0
			fi
			sleep 0.1
		done
		dns_stop
	done
	echo "dns.sh: dnsmasq did not start:" >&2
	cat "$dir/dnsmasq.err" >&2
	return 1
}

# dns_reload RECORDS_FILE - serve RECORDS_FILE instead, on the same port
# (dnsmasq reads txt-record= at start only: the server is restarted); 0
# when it answers again
dns_reload()
{
	local i
	[ -n "$DNS_PID" ] || return 1
	{
		echo "local=/#/"
		dns_txt_conf "$1" || return 1
	} >"$DNS_DIR/dnsmasq.conf" || return 1
	kill "$DNS_PID" 2>/dev/null
	wait "$DNS_PID" 2>/dev/null
	dns_run
	for i in $(seq 1 50); do
		kill -0 "$DNS_PID" 2>/dev/null || return 1
		dns_ping && return 0
		sleep 0.1
	done
	return 1
}

# dns_ping - 0 when the server on $DNS_PORT answers a query at all
dns_ping()
{
	/usr/bin/python3 - "$DNS_PORT" <<'EOF' 2>/dev/null
import socket, sys
q = bytes.fromhex("abcd01000001000000000000") + b"\x04ping\x07invalid\x00\x00\x10\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.3)
try:
    s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
    r = s.recv(512)
    sys.exit(0 if r[:2] == q[:2] else 1)
except OSError:
    sys.exit(1)
EOF
}

# dns_stop - stop the server started by dns_start, by its PID
dns_stop()
{
	local i
	if [ -z "$DNS_PID" ]; then
		return 0
	fi
	kill "$DNS_PID" 2>/dev/null
	for i in $(seq 1 30); do
		kill -0 "$DNS_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$DNS_PID" 2>/dev/null
	wait "$DNS_PID" 2>/dev/null
	DNS_PID=
}
