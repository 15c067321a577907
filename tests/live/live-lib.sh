# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# live-lib.sh - what every live test shares (sourced by tests/live/*.sh
# after setting $here to tests/live; plain sh, for the sh and bash tests).
#
# skip WHY: "SKIP: WHY" and exit 77 (automake's "skipped").
# fail WHY: "FAIL: WHY" on standard error, then what the test's fail_logs
# shows there (by default nothing; log_tail helps), and exit 1.
# live_guard ROOTWHY TOOL...: skip unless SPOOLGUARD_LIVE=1, unless root
# (ROOTWHY is the skip line), or when a TOOL is missing; stop unless make
# set SPOOLGUARD_BIN and SPOOLGUARD_TESTDATA.  SPOOLGUARD_RULES_DIR, the
# profiles: as make set it, else the rules/ beside testdata/ (exported).
# live_workdir NAME: W, a new directory $TMPDIR/NAME.XXXXXX; on exit the
# test's cleanup function runs, then W goes unless KEEP is set.
# live_exim: exim, the installed Exim binary (or skip), and exim_user,
# its user (Debian-exim, else root).
# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
# Also sources private-etc.sh (private_etc, a test's own /etc).

skip() {
	echo "SKIP: $*"
	exit 77
}
fail() {
	echo "FAIL: $*" >&2
	fail_logs >&2
	exit 1
}
# The test's own, to show its logs when it fails.
fail_logs() { :; }
# log_tail N FILE...: each FILE that exists, under a "--- FILE" line: its
# last N lines (N = +1: all of it).
log_tail() {
	lt_n=$1
	shift
	for lt_f in "$@"; do
		[ -f "$lt_f" ] || continue
		echo "--- $lt_f"
		tail -n "$lt_n" "$lt_f"
	done
}

live_guard() {
	[ "${SPOOLGUARD_LIVE:-0}" = 1 ] || skip "set SPOOLGUARD_LIVE=1 to run"
	[ "$(id -u)" = 0 ] || skip "$1"
	shift
	: "${SPOOLGUARD_BIN:?run through make check-live}"
	: "${SPOOLGUARD_TESTDATA:?run through make check-live}"
	for lg_tool in "$@"; do
		command -v "$lg_tool" >/dev/null || skip "no $lg_tool"
	done
	SPOOLGUARD_RULES_DIR=${SPOOLGUARD_RULES_DIR:-$SPOOLGUARD_TESTDATA/../rules}
	export SPOOLGUARD_RULES_DIR
}

# The test's own, to stop what it started; W goes afterwards.
cleanup() { :; }
live_workdir() {
	W=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 99
	trap live_exit EXIT
}
live_exit() {
	cleanup
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}

live_exim() {
	exim=$(command -v exim4 || command -v exim || ls /usr/sbin/exim4 2>/dev/null || true)
	[ -n "$exim" ] && [ -x "$exim" ] || skip "no exim"
	exim_user=Debian-exim
	id "$exim_user" >/dev/null 2>&1 || exim_user=root
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# shellcheck source=private-etc.sh disable=SC2154 # $here: the test's
. "$here/private-etc.sh"
