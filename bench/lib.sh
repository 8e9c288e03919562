# bench/lib.sh - what bench/cpu-log.sh and bench/floor.sh share (sourced)
# shellcheck shell=bash
#
#	bench_msg FILE TAG	writes the 2 KB message both sign (33 body
#				lines; TAG in its Subject and Message-ID)
#	bench_raw_rsa		prints the ms of one RSA-2048 sign on this
#				machine now (openssl speed, 3 s)

# bench_msg FILE TAG - the 2 KB test message
bench_msg() {
	{
		printf 'From: alice@example.com\r\nTo: bob@example.net\r\n'
		printf 'Subject: %s\r\nMessage-ID: <%s@example.com>\r\n\r\n' \
		    "$2" "$2"
		awk 'BEGIN { for (i = 0; i < 33; i++)
		    printf "line %02d of a two kilobyte message, signed again and again\r\n", i }'
	} >"$1"
}

# bench_raw_rsa - ms of one RSA-2048 sign, this machine, now
bench_raw_rsa() {
	openssl speed -seconds 3 rsa2048 2>/dev/null |
	    awk '/^rsa 2048 bits/ { print $4 * 1000 }'
}
