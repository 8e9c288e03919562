# bind.sh - a private BIND 9 primary and secondary on 127.0.0.1 (sourced)
#
#	. t/lib/dns.sh; . t/lib/bind.sh
#	bind_start DIR ZONE [SECONDARY]	start named; sets BIND_PORT, BIND_PID
#					(and BIND2_PORT, BIND2_PID with a
#					secondary), BIND_KEY (the key file)
#	bind_stop			stop both (by PID only)
#
# The primary is authoritative for ZONE with "update-policy": the TSIG key
# "rotate-key" (hmac-sha256, written to DIR/rotate.key, or copied from
# BIND_KEYFILE when set) may change TXT
# records under _domainkey.ZONE and nothing else; the key "other-key"
# (hmac-sha512, DIR/other.key) is known but may change nothing. The secondary (when
# SECONDARY is "yes") transfers the zone over IXFR with the same key after
# each NOTIFY; BIND_XFR_DELAY (seconds, default 0) is the primary's
# notify-delay, so that a change reaches the secondary that much later
# and a rotation has to wait for it. Both run as the
# calling user, in the foreground (-f), on random free ports, logging to
# DIR/named*.log. Needs bind9 (named, tsig-keygen) and dns.sh's
# dns_free_port.

BIND_PORT=
BIND_PID=
BIND2_PORT=
BIND2_PID=
BIND_KEY=

# bind_conf DIR PORT ROLE ZONE - named.conf for the primary or secondary
bind_conf()
{
	local dir=$1 port=$2 role=$3 zone=$4
	cat <<EOF
include "$dir/rotate.key";
include "$dir/other.key";
options {
	directory "$dir/$role";
	listen-on port $port { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file none;
	session-keyfile none;
	recursion no;
	notify explicit;
	also-notify { ${BIND2_PORT:+127.0.0.1 port $BIND2_PORT;} };
	notify-delay ${BIND_XFR_DELAY:-0};
	dnssec-validation no;
};
controls { };
EOF
	if [ "$role" = primary ]; then
		cat <<EOF
zone "$zone" {
	type primary;
	file "$dir/primary/$zone.db";
	update-policy { grant rotate-key subdomain _domainkey.$zone TXT; };
	allow-transfer { key rotate-key; };
	ixfr-from-differences yes;
};
EOF
	else
		cat <<EOF
server 127.0.0.1 { keys { rotate-key; }; };
zone "$zone" {
	type secondary;
	file "$dir/secondary/$zone.db";
	primaries port $BIND_PORT { 127.0.0.1 key rotate-key; };
	request-ixfr yes;
};
EOF
	fi
}

# bind_wait PORT ZONE - until named on PORT answers for ZONE (10 s)
bind_wait()
{
	local i
	for i in $(seq 1 100); do
		if dig +short +time=1 +tries=1 -p "$1" @127.0.0.1 SOA "$2" \
		    2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# bind_start DIR ZONE [yes] - start the primary (and the secondary)
bind_start()
{
	local dir=$1 zone=$2 second=${3:-no}
	mkdir -p "$dir/primary" "$dir/secondary"
	if [ -n "${BIND_KEYFILE:-}" ]; then
		cp "$BIND_KEYFILE" "$dir/rotate.key"
	else
		tsig-keygen -a hmac-sha256 rotate-key >"$dir/rotate.key"
	fi || return 1
	tsig-keygen -a hmac-sha512 other-key >"$dir/other.key" || return 1
	chmod 600 "$dir/rotate.key" "$dir/other.key"
	BIND_KEY=$dir/rotate.key
	cat >"$dir/primary/$zone.db" <<EOF
\$TTL 5
@	IN SOA ns1.$zone. hostmaster.$zone. 1 2 1 600 5
@	IN NS ns1.$zone.
@	IN NS ns2.$zone.
ns1	IN A 127.0.0.1
ns2	IN A 127.0.0.1
EOF
	BIND_PORT=$(dns_free_port)
	[ "$second" = yes ] && BIND2_PORT=$(dns_free_port)
	bind_conf "$dir" "$BIND_PORT" primary "$zone" >"$dir/primary.conf"
	named -f -c "$dir/primary.conf" -n 1 -L "$dir/named.log" \
	    >"$dir/named.out" 2>&1 &
	BIND_PID=$!
	bind_wait "$BIND_PORT" "$zone" || return 1
	[ "$second" = yes ] || return 0
	bind_conf "$dir" "$BIND2_PORT" secondary "$zone" >"$dir/secondary.conf"
	named -f -c "$dir/secondary.conf" -n 1 -L "$dir/named2.log" \
	    >"$dir/named2.out" 2>&1 &
	BIND2_PID=$!
	bind_wait "$BIND2_PORT" "$zone"
}

# bind_stop - stop what bind_start started
bind_stop()
{
	local p
	for p in "$BIND2_PID" "$BIND_PID"; do
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	BIND_PID= BIND2_PID=
}
