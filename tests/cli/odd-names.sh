#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# odd-names.sh - spool files whose names hold a newline, a terminal escape,
# Latin-1 bytes, a tab or a backslash: scan moves them whole, text output
# and `quarantine list` keep one line per entry with the bytes escaped
# (a real tab and the two characters \t print differently), JSON and
# report.json keep every byte (\xNN, \\; never U+FFFD), and release puts
# each back under its own name, byte for byte.
. "$(dirname "$0")/lib.sh"

mkdir -p "$work/spool" "$work/orig"
nl=$(printf 'bad\nname.eml')
esc=$(printf 'esc\033[31m.eml')
latin1=$(printf 'caf\351.eml')
tab=$(printf 'tab\there.eml')
slash='tab\there.eml'
names="$nl|$esc|$latin1|$tab|$slash"
count=5
IFS='|'
for n in $names; do
	printf 'From: alice@example.org\nSubject: NUL\000\n\nbody\n' >"$work/spool/$n"
	cp "$work/spool/$n" "$work/orig/$n"
done
unset IFS
store="$work/store"
fffd=$(printf '\357\277\275')

# Text: the tab is \t, the backslash \\: two different lines.
expect_rc 1 sg scan --no-syslog --min-age 0 -n -q "$store" "$work/spool"
assert_grep 'spool/tab\\there.eml' "$work/out"
assert_grep 'spool/tab\\\\there.eml' "$work/out"
# JSON: the Latin-1 byte as \xe9 and the backslash doubled (each backslash
# is written \\ in JSON text), never U+FFFD.
expect_rc 1 sg scan --no-syslog --min-age 0 -n -f json -q "$store" "$work/spool"
assert_grep '"name":"caf\\\\xe9.eml"' "$work/out"
assert_grep '"name":"tab\\\\\\\\there.eml"' "$work/out"
assert_grep '"name":"tab\\there.eml"' "$work/out"
assert_no_grep "$fffd" "$work/out"

expect_rc 1 sg scan --no-syslog --min-age 0 -Q -q "$store" "$work/spool"
[ "$(find "$work/spool" -type f | wc -l)" -eq 0 ] || fail "not everything moved"
find "$store" -name report.json -exec cat {} + >"$work/reports"
assert_grep '"origin":"[^"]*/spool/caf\\\\xe9.eml"' "$work/reports"
assert_no_grep "$fffd" "$work/reports"

expect_rc 0 sg quarantine -q "$store" list
[ "$(wc -l <"$work/out")" -eq $count ] || fail "list is not one line per entry"
assert_grep 'bad\\nname.eml' "$work/out"
assert_grep 'spool/caf\\xe9.eml' "$work/out"
assert_grep 'spool/tab\\there.eml' "$work/out"
assert_grep 'spool/tab\\\\there.eml' "$work/out"
if LC_ALL=C grep -q "$(printf '\033')" "$work/out"; then
	fail "list printed a raw escape byte"
fi

cut -d' ' -f1 "$work/out" >"$work/ids"
while read -r id; do
	expect_rc 0 sg quarantine -q "$store" release "$id"
done <"$work/ids"
IFS='|'
for n in $names; do
	cmp -s "$work/spool/$n" "$work/orig/$n" || fail "$n did not come back whole"
done
unset IFS

# A hostile id typed on the command line is not echoed raw to stderr.
expect_rc 66 sg quarantine -q "$store" show "$(printf 'x\033[31mred')"
assert_grep 'x\\x1b\[31mred' "$work/err"
if LC_ALL=C grep -q "$(printf '\033')" "$work/err"; then
	fail "a bad id was echoed with its raw escape byte"
fi
