#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# setup.sh - install what spoolguard needs on Debian 12, build it, and then
# run one job:
#
#   scripts/setup.sh demo    build, then scan the bundled demo spool
#   scripts/setup.sh test    build, then run every test (make check)
#   scripts/setup.sh build   build only
#
# Packages are installed only when missing, as root or through sudo.
# Environment: BUILD_DIR (default: build), CONFIGURE_FLAGS (extra flags,
# e.g. "--enable-sanitizers --enable-werror"), JOBS (default: nproc),
# SPOOLGUARD_LIVE=1 and SPOOLGUARD_FUZZ=1 (the live MTA tests and the
# fuzzing test, with what they need).
set -eu

job=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

packages="build-essential autoconf automake libtool pkg-config
	libglib2.0-dev libgmime-3.0-dev libjson-glib-dev libmagic-dev
	libmilter-dev check file groff-base mandoc man-db"

# The live tests (SPOOLGUARD_LIVE=1, as CI runs them) drive a real Exim
# (Debian's exim4, installed: it replaces another MTA package, so only on
# request), a real Postfix and Exim's content-scanning build
# exim4-daemon-heavy (both downloaded and unpacked by the tests, never
# installed: heavy would replace light; its libraries are installed here),
# procmail, and a private rsyslogd that spoolguard's syslog lines reach.
# The package test (tests/package/deb.sh) builds, lints and installs the
# Debian package, and verifies the systemd units.
if [ "${SPOOLGUARD_LIVE:-0}" = 1 ]; then
	packages="$packages exim4-daemon-light python3 patchelf procmail
		libmariadb3 libpq5 libspf2-2 libsqlite3-0 libperl5.36 libldap-2.5-0
		libsasl2-2 libpam0g libaudit1 libcap-ng0 libssl3 zlib1g"
	packages="$packages debhelper lintian systemd rsyslog"
fi
# The tests read the metrics file with Prometheus's own parsers.
if [ "$job" = test ]; then
	packages="$packages python3 python3-prometheus-client"
fi
# The fuzzing test (SPOOLGUARD_FUZZ=1, as CI runs it) builds the libFuzzer
# harnesses with clang; libFuzzer itself is in libclang-rt-14-dev.
if [ "${SPOOLGUARD_FUZZ:-0}" = 1 ]; then
	packages="$packages clang libclang-rt-14-dev"
fi

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing:$missing"
	if [ "$(id -u)" -eq 0 ]; then
		sudo=""
	elif command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "setup: need root or sudo to install:$missing" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing
fi

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	autoreconf -fi
fi
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ]; then
	# shellcheck disable=SC2086
	"$top/configure" -q ${CONFIGURE_FLAGS:-}
fi
make -s -j"$jobs"

case $job in
build) ;;
demo) exec sh "$top/scripts/demo.sh" "$build/spoolguard" ;;
test) exec make -s -j"$jobs" check ;;
*)
	echo "setup: unknown job '$job' (demo, test or build)" >&2
	exit 64
	;;
esac
