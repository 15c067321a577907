#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# errors.sh - the error paths a postmaster meets: an unreadable file and a
# directory that cannot be opened (run as nobody), a quarantine store that
# is a file, lies under a file, sits on a read-only or a full file system,
# and a spool path that does not exist.  Each gives a message that names
# the file and leaves every message it could not handle where it was,
# byte for byte; scan exits 75 (EX_TEMPFAIL) so cron or the MTA tries again.
. "$(dirname "$0")/lib.sh"

bad_msg() {
	printf 'From: alice@example.org\nSubject: NUL\000 here\n\nbody\n' >"$1"
}
good_msg() {
	printf 'From: alice@example.org\nSubject: fine\n\nbody\n' >"$1"
}
# assert_same FILE: FILE is still in the spool with its original bytes.
assert_same() {
	assert_file "$1"
	cmp -s "$1" "$work/orig/$(basename "$1")" || fail "$1 changed"
}

# ---- a store that is a file, or lies under one; a missing spool ----------

mkdir -p "$work/spool" "$work/orig"
bad_msg "$work/spool/bad.eml"
good_msg "$work/spool/good.eml"
cp "$work/spool/bad.eml" "$work/spool/good.eml" "$work/orig/"
: >"$work/storefile"

expect_rc 75 sg scan --no-syslog --min-age 0 -q "$work/storefile" "$work/spool"
assert_grep "$work/storefile" "$work/err"
assert_grep 'not a directory' "$work/err"
assert_same "$work/spool/bad.eml"
[ ! -s "$work/storefile" ] || fail "the store file was written to"

expect_rc 75 sg scan --no-syslog --min-age 0 -q "$work/storefile/q" "$work/spool"
assert_grep "$work/storefile/q" "$work/err"
assert_same "$work/spool/bad.eml"

expect_rc 75 sg scan --no-syslog --min-age 0 -q "$work/store" "$work/no-such-spool"
assert_grep "$work/no-such-spool" "$work/err"
assert_grep 'No such file or directory' "$work/err"
# A missing PATH beside a real one: the real one is still scanned.
expect_rc 75 sg scan --no-syslog --min-age 0 -n -q "$work/store" \
	"$work/no-such-spool" "$work/spool"
assert_grep "$work/no-such-spool" "$work/err"
assert_grep 'bad.eml' "$work/out"
assert_same "$work/spool/bad.eml"
# A file named on the command line that does not exist is missing, not
# "vanished" (that is for a file an MTA took while it was examined).
expect_rc 66 sg check "$work/no-such-file.eml"
assert_grep "$work/no-such-file.eml: No such file or directory" "$work/err"
assert_no_grep 'vanished' "$work/err"
expect_rc 66 sg inspect "$work/no-such-file.eml"
assert_grep "$work/no-such-file.eml: No such file or directory" "$work/err"
assert_no_grep 'vanished' "$work/err"
# -q '' names no store: a usage error, not a temporary failure.
expect_rc 64 sg scan --no-syslog --min-age 0 -n -q '' "$work/spool"
assert_grep 'names no directory' "$work/err"
expect_rc 64 sg quarantine -q '' list
assert_grep 'names no directory' "$work/err"

# ---- a read-only and a full quarantine file system (needs mount) -------

mounted=""
cleanup_mounts() {
	for m in $mounted; do umount "$m" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup_mounts EXIT
mkdir -p "$work/ro" "$work/full"
if mount -t tmpfs -o size=64k,ro tmpfs "$work/ro" 2>/dev/null; then
	mounted="$work/ro"
	expect_rc 75 sg scan --no-syslog --min-age 0 -q "$work/ro/q" "$work/spool"
	assert_grep "$work/ro/q" "$work/err"
	assert_grep 'Read-only file system' "$work/err"
	assert_same "$work/spool/bad.eml"
else
	echo "SKIP: cannot mount a read-only tmpfs here"
fi
if mount -t tmpfs -o size=64k tmpfs "$work/full" 2>/dev/null; then
	mounted="$mounted $work/full"
	# Bigger than the whole file system: the copy across file systems
	# runs out of space, and the original must stay.
	big="$work/spool/big.eml"
	{
		printf 'From: alice@example.org\nSubject: NUL\000\n\n'
		head -c 200000 /dev/zero | tr '\0' x
		printf '\n'
	} >"$big"
	cp "$big" "$work/orig/"
	expect_rc 75 sg scan --no-syslog --min-age 0 -q "$work/full/q" "$work/spool"
	assert_grep 'big.eml' "$work/err"
	assert_grep 'No space left on device' "$work/err"
	assert_same "$big"
	# The small bad message fitted and moved, whole.
	assert_no_file "$work/spool/bad.eml"
	q=$(find "$work/full/q" -path '*/files/bad.eml')
	cmp -s "$q" "$work/orig/bad.eml" || fail "bad.eml changed in the store"
	# Nothing half-copied is left behind.
	[ -z "$(find "$work/full/q" -name 'big.eml' -o -name '.tmp*')" ] ||
		fail "a partial copy of big.eml is in the store"
	mv "$q" "$work/spool/bad.eml"
	rm -f "$big"
else
	echo "SKIP: cannot mount a small tmpfs here"
fi

# ---- permissions, as an ordinary user -------------------------------------

asuser=""
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	if command -v setpriv >/dev/null; then
		asuser="setpriv --reuid=nobody --regid=$(id -gn nobody) --clear-groups"
	elif command -v runuser >/dev/null; then
		asuser="runuser -u nobody --"
	fi
fi
if [ -z "$asuser" ] || ! $asuser test -x "$SPOOLGUARD_BIN" ||
	! $asuser test -r "$SPOOLGUARD_RULES_DIR/default.rules"; then
	echo "SKIP: permission tests need root, a nobody user and a build nobody can run"
	exit 0
fi
chmod 755 "$work"
p="$work/perm"
mkdir -p "$p/spool/locked" "$p/store"
bad_msg "$p/spool/unreadable.eml"
bad_msg "$p/spool/locked/inside.eml"
bad_msg "$p/spool/readable.eml"
good_msg "$p/spool/good.eml"
cp "$p/spool/unreadable.eml" "$p/spool/locked/inside.eml" "$work/orig/"
chmod 600 "$p/spool/unreadable.eml"
chmod 644 "$p/spool/readable.eml" "$p/spool/good.eml"
chmod 700 "$p/spool/locked"
chmod 777 "$p/spool"
chmod 755 "$p"
chown nobody "$p/store"

expect_rc 75 $asuser "$SPOOLGUARD_BIN" scan --no-syslog --min-age 0 \
	-q "$p/store/q" "$p/spool"
assert_grep "$p/spool/unreadable.eml" "$work/err"
assert_grep 'Permission denied' "$work/err"
assert_grep "$p/spool/locked" "$work/err"
# Every message line reads "spoolguard: ...", not a GLib log line.
assert_no_grep 'WARNING' "$work/err"
assert_same "$p/spool/unreadable.eml"
assert_same "$p/spool/locked/inside.eml"
assert_file "$p/spool/good.eml"
# What could be read was still judged and moved.
assert_no_file "$p/spool/readable.eml"

expect_rc 75 $asuser "$SPOOLGUARD_BIN" check "$p/spool/unreadable.eml"
assert_grep "$p/spool/unreadable.eml" "$work/err"
expect_rc 75 $asuser "$SPOOLGUARD_BIN" inspect "$p/spool/unreadable.eml"
assert_grep "$p/spool/unreadable.eml" "$work/err"
assert_same "$p/spool/unreadable.eml"

# A store nobody may write into: nothing moves, the store is named.
chmod 500 "$p/store"
bad_msg "$p/spool/readable.eml"
expect_rc 75 $asuser "$SPOOLGUARD_BIN" scan --no-syslog --min-age 0 \
	-q "$p/store/q2" "$p/spool"
assert_grep "$p/store/q2" "$work/err"
assert_file "$p/spool/readable.eml"
