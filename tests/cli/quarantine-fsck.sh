#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# quarantine-fsck.sh - entries left by a move that was cut short: list marks
# them, release and purge leave them alone, fsck (and the next scan) rolls
# them back or finishes them, with its exit codes: 0 all complete, 65 an
# entry needs a person, 75 an entry is in progress.
. "$(dirname "$0")/lib.sh"

spool="$work/spool"
store="$work/store"
mkdir "$spool"
msg="$spool/bad.eml"
printf 'From: a@example.org\r\nSubject: nul \000 here\r\n\r\nbody\r\n' >"$msg"
cp "$msg" "$work/saved"

# A move killed after the message went into the store, before the commit:
# the entry as a finished scan leaves it, plus the journal of the move.
cut_short() {
	expect_rc 1 sg scan --no-syslog --min-age 0 -q "$store" "$spool"
	entry=$(dirname "$(find "$store" -name report.json)")
	id=$(basename "$entry")
	stored="$entry/files/bad.eml"
	b64() { printf '%s' "$1" | base64 -w0; }
	printf '{"version":1,"id":"%s","pid":1,"files":[{"name":"bad.eml",' \
		"$id" >"$entry/intent.json"
	printf '"name_base64":"%s","origin":"%s","origin_base64":"%s",' \
		"$(b64 bad.eml)" "$msg" "$(b64 "$msg")" >>"$entry/intent.json"
	printf '"method":"rename","sha256":"%s","dev":%s,"ino":%s}]}\n' \
		"$(sha256sum <"$stored" | cut -d' ' -f1)" \
		"$(stat -c %d "$stored")" "$(stat -c %i "$stored")" \
		>>"$entry/intent.json"
}

# 1. Rolled back: the message is back at its name, the entry gone.
cut_short
expect_rc 0 sg quarantine -q "$store" list
assert_grep 'unfinished' "$work/out"
expect_rc 75 sg quarantine -q "$store" release "$id"
assert_grep 'fsck' "$work/err"
expect_rc 0 sg quarantine -q "$store" purge --older-than 0
assert_grep 'purged 0' "$work/out"
expect_rc 0 sg quarantine -q "$store" fsck
assert_grep "$id: rolled back" "$work/out"
assert_grep '1 rolled back' "$work/out"
cmp -s "$msg" "$work/saved" || fail "the message did not come back whole"
[ -z "$(find "$store" -name report.json)" ] || fail "the entry stayed"
expect_rc 0 sg quarantine -q "$store" fsck
assert_grep '0 entries' "$work/out"

# 2. The next scan does the same before it moves anything, and then
# stores the message once.
cut_short
expect_rc 1 sg scan --no-syslog --min-age 0 -q "$store" "$spool"
assert_grep "quarantine: $id: rolled back" "$work/err"
[ "$(find "$store" -name report.json | wc -l)" -eq 1 ] ||
	fail "not exactly one entry after the scan"
assert_no_file "$msg"
rm -rf "$store"
cp "$work/saved" "$msg"

# 3. Finished: a writer put a new file at the name meanwhile; it stays,
# untouched, and the judged message stays in the store.
cut_short
printf 'From: b@example.org\r\n\r\nnew\r\n' >"$msg"
cp "$msg" "$work/new"
expect_rc 0 sg quarantine -q "$store" fsck
assert_grep "$id: finished" "$work/out"
cmp -s "$msg" "$work/new" || fail "the new file at the name was touched"
cmp -s "$stored" "$work/saved" || fail "the stored message changed"
assert_no_file "$entry/intent.json"
expect_rc 0 sg quarantine -q "$store" list
assert_no_grep 'unfinished' "$work/out"
rm -rf "$store" "$msg"
cp "$work/saved" "$msg"

# 4. An entry another spoolguard holds is in progress: 75, left alone.
cut_short
flock --no-fork -x "$entry" sleep 60 &
holder=$!
sleep 0.3
expect_rc 75 sg quarantine -q "$store" fsck
assert_grep 'in progress' "$work/out"
assert_file "$entry/intent.json"
kill "$holder"
wait "$holder" 2>/dev/null || true
expect_rc 0 sg quarantine -q "$store" fsck
rm -rf "$store"

# 5. Left by an older version: an entry without report or journal that
# holds a link to a spool file is removed; one whose file came from a
# place nobody recorded needs a person (65).
day="$store/2026/11/22"
mkdir -p "$day/20261122T031502Z-0000000a/files" \
	"$day/20261122T031502Z-0000000b/files"
ln "$msg" "$day/20261122T031502Z-0000000a/files/bad.eml"
cp "$work/saved" "$day/20261122T031502Z-0000000b/files/other.eml"
expect_rc 0 sg quarantine -q "$store" list
[ "$(grep -c unfinished "$work/out")" -eq 2 ] || fail "list marks 2"
expect_rc 65 sg quarantine -q "$store" fsck
assert_grep '20261122T031502Z-0000000a: removed' "$work/out"
assert_grep '20261122T031502Z-0000000b: left' "$work/out"
assert_no_file "$day/20261122T031502Z-0000000a"
assert_file "$day/20261122T031502Z-0000000b/files/other.eml"
cmp -s "$msg" "$work/saved" || fail "the spool file changed"
expect_rc 64 sg quarantine -q "$store" fsck extra
