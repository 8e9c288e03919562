#!/usr/bin/env bash
# ci/install-deps.sh - install the Debian packages dkimd builds and tests with
#
# Usage: bash ci/install-deps.sh
# Quick when everything is already installed (one dpkg-query, no apt).
# Otherwise: one apt-get update, Postfix preseeded to "No configuration"
# so that its install asks nothing, then one apt-get install. Needs root
# (or sudo) and Debian's package archive.
set -euo pipefail

PACKAGES=(
	build-essential gcc make git
	autoconf automake libtool pkg-config
	libssl-dev libmilter-dev binutils
	dnsmasq-base
	python3-dkim libmail-dkim-perl
	# t/arc-suite.sh reads the ARC validation suite (YAML); dkimpy's ARC
	# signer (t/it-arc-interop.sh) needs authres
	python3-yaml python3-authres
	opendkim opendkim-tools miltertest
	postfix swaks
	# t/milter/it-postfix-sasl.sh: Postfix's SASL through a private Dovecot
	dovecot-core
	clang clang-format libclang-rt-14-dev
	perl procps openssl
	# database KeyTable/SigningTable back ends, and their servers for
	# t/it-db.sh and t/it-db-failover.sh (pg_basebackup: postgresql)
	libsqlite3-dev sqlite3
	libmariadb-dev mariadb-server
	libpq-dev postgresql
	# bench/ plots
	gnuplot-nox
	# it-soak-short.sh (memcheck), bench.sh (peak RSS), it-docs.sh (.mc, man)
	valgrind time m4 sendmail-cf groff-base python3
	# it-conn.sh: setpriv and prlimit (util-linux), ip netns (iproute2);
	# it-sendmail.sh: unshare (util-linux). Sendmail itself (sendmail-bin,
	# sasl2-bin) is not installed, it would remove postfix;
	# ci/sendmail-root.sh unpacks it
	util-linux iproute2
	# it-deb.sh: the Debian package (dpkg-buildpackage, dh), lintian
	dpkg-dev debhelper lintian
	# it-metrics.sh: a real Prometheus scrapes dkimd; promtool checks a scrape
	prometheus curl
	# it-rotate.sh, t/data/update/capture.sh: a BIND 9 primary and
	# secondary that take DNS UPDATE with TSIG; dig
	bind9 bind9-dnsutils
)

missing=()
for p in "${PACKAGES[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" |
	$SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
