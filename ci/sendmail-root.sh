#!/usr/bin/env bash
# ci/sendmail-root.sh - Debian's Sendmail unpacked into a private root
#
# Usage: bash ci/sendmail-root.sh ROOT
# Unpacks sendmail-bin (the sendmail binary, in ROOT/usr/libexec/sendmail)
# and sasl2-bin (saslpasswd2, in ROOT/usr/sbin) into ROOT with dpkg-deb -x.
# Nothing is installed: sendmail-bin conflicts with postfix (both provide
# mail-transport-agent), and the tests need both. The .debs are fetched
# with apt-get download into $SENDMAIL_DEBS (default
# /var/cache/dkimd-ci/sendmail) once and reused (after one apt-get update
# when the package lists are missing); their libraries (libsasl2,
# libdb5.3, libldap, libwrap0, libnsl2) come with the packages that
# ci/install-deps.sh installs (sendmail-cf pulls none of them; libmilter,
# postfix and python3-dkim do). Exit 0 when ROOT has a sendmail whose
# libraries are all there, 1 (with the reason on stderr) otherwise.
set -u

root=${1:?usage: sendmail-root.sh ROOT}
debs=${SENDMAIL_DEBS:-/var/cache/dkimd-ci/sendmail}
pkgs=(sendmail-bin sasl2-bin)

mkdir -p "$debs" "$root" || exit 1
for p in "${pkgs[@]}"; do
	if ! ls "$debs/${p}"_*.deb >/dev/null 2>&1; then
		# apt-get download writes to the current directory; _apt cannot
		# write to a root-owned one, and says so on stderr (harmless).
		# A fresh machine may have no package lists yet: update once.
		if ! (cd "$debs" && apt-get download -q "$p" >"$debs/.log" 2>&1); then
			apt-get update -qq >>"$debs/.log" 2>&1
			(cd "$debs" && apt-get download -q "$p" >>"$debs/.log" 2>&1)
		fi
		grep -v -e '^W: Download is performed unsandboxed' \
		    -e '^Get:' -e '^Fetched' "$debs/.log" >&2
	fi
	f=$(ls "$debs/${p}"_*.deb 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$f" ]; then
		echo "sendmail-root.sh: could not download $p" >&2
		exit 1
	fi
	dpkg-deb -x "$f" "$root" || exit 1
done
sm=$root/usr/libexec/sendmail/sendmail
missing=$(ldd "$sm" "$root/usr/sbin/saslpasswd2" 2>&1 | grep 'not found')
if [ -n "$missing" ]; then
	echo "sendmail-root.sh: libraries missing: $missing" >&2
	exit 1
fi
exit 0
