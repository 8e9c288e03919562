# db.sh - database servers of our own for the shell tests (sourced)
#
#	. t/lib/db.sh
#	db_stop_pid PID		SIGTERM, SIGKILL after 15 s; waits for it
#	pg_init DIR		a PostgreSQL 15 cluster in DIR/data (initdb as
#				user postgres, superuser "postgres" with the
#				password in DIR/pw: "admin-$$"); DIR is made
#				and given to postgres
#	pg_start DIR PORT	the cluster of DIR on 127.0.0.1:PORT (socket in
#				DIR, log DIR/server.log, fsync off); its PID
#				in PG_PID
#	my_init DIR		a MariaDB data directory DIR/data (root by
#				its unix socket, no password)
#	my_start DIR PORT [ARG...]	mariadbd on 127.0.0.1:PORT, socket
#				DIR/sock, log DIR/server.log, ARGs added;
#				its PID in MY_PID once it answers
#	my_root DIR [ARG...]	the mariadb client as root on DIR/sock
#
# Servers run in temporary folders of the caller's, on loopback only; the
# caller stops each by its PID (db_stop_pid) in its EXIT trap.

PGBIN=/usr/lib/postgresql/15/bin

# db_stop_pid PID - SIGTERM, SIGKILL after 15 s
db_stop_pid()
{
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 1 150); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
}

# pg_init DIR - initdb in DIR/data as user postgres
pg_init()
{
	[ -x "$PGBIN/initdb" ] && id postgres >/dev/null 2>&1 || return 1
	mkdir -p "$1" && echo "admin-$$" >"$1/pw" && chown -R postgres "$1" ||
	    return 1
	runuser -u postgres -- "$PGBIN/initdb" -D "$1/data" -U postgres \
	    -A scram-sha-256 --pwfile="$1/pw" -N >"$1/initdb.log" 2>&1
}

# pg_start DIR PORT - the cluster of DIR on 127.0.0.1:PORT; PG_PID
pg_start()
{
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$1/data" -w -t 30 \
	    -l "$1/server.log" -o "-p $2 -k $1 \
	    -c listen_addresses=127.0.0.1 -c fsync=off" start \
	    >>"$1/pg_ctl.log" 2>&1 || return 1
	PG_PID=$(head -n 1 "$1/data/postmaster.pid")
}

# my_init DIR - a MariaDB data directory in DIR/data
my_init()
{
	command -v mariadbd >/dev/null || return 1
	mkdir -p "$1" || return 1
	mariadb-install-db --no-defaults --datadir="$1/data" --user=root \
	    --auth-root-authentication-method=normal --skip-test-db \
	    --skip-name-resolve >"$1/install.log" 2>&1
}

# my_root DIR [ARG...] - the client as root on the server's socket
my_root()
{
	local d=$1
	shift
	mariadb --no-defaults -S "$d/sock" -uroot "$@"
}

# my_start DIR PORT [ARG...] - mariadbd on 127.0.0.1:PORT; MY_PID
my_start()
{
	local d=$1 p=$2
	shift 2
	mariadbd --no-defaults --datadir="$d/data" --socket="$d/sock" \
	    --port="$p" --bind-address=127.0.0.1 --user=root \
	    --skip-name-resolve --innodb-flush-log-at-trx-commit=0 "$@" \
	    >>"$d/server.log" 2>&1 &
	MY_PID=$!
	for _ in $(seq 1 150); do
		my_root "$d" -e "SELECT 1" >/dev/null 2>&1 && return 0
		kill -0 "$MY_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
