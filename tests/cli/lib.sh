# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh - shared helpers for the command-line tests (sourced).
# Each test works in its own temporary directory, removed on exit.
set -eu

: "${SPOOLGUARD_BIN:?run through make check}"
: "${SPOOLGUARD_TESTDATA:?run through make check}"
work=$(mktemp -d "${TMPDIR:-/tmp}/sg-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
export SPOOLGUARD_QUARANTINE="$work/nowhere-by-default"

sg() { "$SPOOLGUARD_BIN" "$@"; }
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
# expect_rc WANT CMD...: runs CMD, fails unless it exits WANT.
expect_rc() {
	want=$1
	shift
	set +e
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		echo "--- stdout" >&2
		cat "$work/out" >&2
		echo "--- stderr" >&2
		cat "$work/err" >&2
		fail "$* exited $got, expected $want"
	fi
}
# Hash every file below DIR as "sha256  relative/path", sorted.
tree_sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }
assert_file() { [ -f "$1" ] || fail "missing file $1"; }
assert_no_file() { [ ! -e "$1" ] || fail "file should be gone: $1"; }
assert_grep() {
	grep -q -- "$1" "$2" || {
		cat "$2" >&2
		fail "'$1' not found in $2"
	}
}
assert_no_grep() {
	if grep -q -- "$1" "$2"; then
		cat "$2" >&2
		fail "'$1' unexpectedly found in $2"
	fi
}
# A copy of the demo spool with the generated hostile messages.
make_spool() {
	cp -R "$SPOOLGUARD_TESTDATA/demo" "$1"
	awk 'BEGIN { printf "From: a@example.org\r\nSubject: ";
		for (i = 0; i < 100000; i++) printf "x";
		printf "\r\n\r\nbody\r\n" }' >"$1/iis/Pickup/long-line.eml"
}
# Marks every queue file under a copied Postfix queue DIR finished, as
# Postfix does (owner rwx, see mail_open_ok()): git keeps no 0700 modes,
# and a distcheck copy of the source tree is read-only.
postfix_ready() {
	find "$1" -mindepth 2 -type f -exec chmod u+rwx {} +
}
