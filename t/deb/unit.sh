# unit.sh - read a systemd unit file without systemd (sourced)
#
#	unit_get UNIT KEY	the value of KEY= in [Service] (the last one,
#				which is what systemd keeps for a setting)
#	unit_exec UNIT KEY	each command line of an Exec KEY= in
#				[Service], one a line, its prefix (-@:+!)
#				removed
# For t/it-deb.sh and t/deb/unit-start.sh, which run the installed dkimd
# as its unit says where no systemd runs (CI).

unit_get() {
	awk -v k="$2" '
	/^\[/ { sec = $0; next }
	sec == "[Service]" && index($0, k "=") == 1 {
		v = substr($0, length(k) + 2)
	}
	END { print v }' "$1"
}

unit_exec() {
	awk -v k="$2" '
	/^\[/ { sec = $0; next }
	sec == "[Service]" && index($0, k "=") == 1 {
		v = substr($0, length(k) + 2)
		sub(/^[-@:+!]+/, "", v)
		print v
	}' "$1"
}
