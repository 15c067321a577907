#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# odd-names.sh - spool files whose names hold a newline, a terminal escape
# or Latin-1 bytes: scan moves them whole, `quarantine list` keeps one
# line per entry with the bytes escaped, and release puts each back under
# its own name, byte for byte.
. "$(dirname "$0")/lib.sh"

mkdir -p "$work/spool" "$work/orig"
nl=$(printf 'bad\nname.eml')
esc=$(printf 'esc\033[31m.eml')
latin1=$(printf 'caf\351.eml')
for n in "$nl" "$esc" "$latin1"; do
	printf 'From: alice@example.org\nSubject: NUL\000\n\nbody\n' >"$work/spool/$n"
	cp "$work/spool/$n" "$work/orig/$n"
done
store="$work/store"
expect_rc 1 sg scan --no-syslog --min-age 0 -Q -q "$store" "$work/spool"
[ "$(find "$work/spool" -type f | wc -l)" -eq 0 ] || fail "not everything moved"

expect_rc 0 sg quarantine -q "$store" list
[ "$(wc -l <"$work/out")" -eq 3 ] || fail "list is not one line per entry"
assert_grep 'bad\\nname.eml' "$work/out"
assert_grep 'spool/caf' "$work/out"
if LC_ALL=C grep -q "$(printf '\033')" "$work/out"; then
	fail "list printed a raw escape byte"
fi

cut -d' ' -f1 "$work/out" >"$work/ids"
while read -r id; do
	expect_rc 0 sg quarantine -q "$store" release "$id"
done <"$work/ids"
for n in "$nl" "$esc" "$latin1"; do
	cmp -s "$work/spool/$n" "$work/orig/$n" || fail "$n did not come back whole"
done
