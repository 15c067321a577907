#!/bin/sh
# quarantine list/show/release/purge: a released message is back at its
# origin byte for byte; release refuses to overwrite; purge drops old ones.
. "$(dirname "$0")/lib.sh"

make_spool "$work/spool"
orig="$work/spool/iis/Queue/NTFS_0003-nul-header.EML"
cp "$orig" "$work/saved.eml"
store="$work/store"
expect_rc 1 sg scan --no-syslog --min-age 0 -q "$store" "$work/spool/iis/Queue"
assert_no_file "$orig"
expect_rc 0 sg quarantine -q "$store" list
[ "$(wc -l <"$work/out")" -eq 1 ] || fail "list should show one entry"
id=$(awk '{ print $1 }' "$work/out")
expect_rc 0 sg quarantine -q "$store" show "$id"
assert_grep 'header.nul' "$work/out"
expect_rc 0 sg quarantine -q "$store" show --json "$id"
assert_grep 'sha256' "$work/out"
# Put a file in the way: release refuses and keeps the entry.
echo "in the way" >"$orig"
expect_rc 65 sg quarantine -q "$store" release "$id"
rm "$orig"
expect_rc 0 sg quarantine -q "$store" release "$id"
cmp -s "$orig" "$work/saved.eml" || fail "released bytes differ"
expect_rc 66 sg quarantine -q "$store" show "$id"
# A parent of the origin swapped for a symbolic link to another tree
# before release: refused (65), nothing written there, the entry kept.
expect_rc 1 sg scan --no-syslog --min-age 0 -q "$store" "$work/spool/iis/Queue"
id=$(sg quarantine -q "$store" list | awk '{ print $1 }')
mkdir "$work/evil"
mv "$work/spool/iis" "$work/spool/iis.real"
ln -s "$work/evil" "$work/spool/iis"
mkdir "$work/evil/Queue"
expect_rc 65 sg quarantine -q "$store" release "$id"
assert_grep "$work/spool/iis is a symbolic link" "$work/err"
[ -z "$(find "$work/evil" -type f)" ] || fail "release wrote through a link"
expect_rc 65 sg quarantine -q "$store" release --to "$work/spool/iis/Queue" "$id"
[ -z "$(find "$work/evil" -type f)" ] || fail "release --to wrote through a link"
rm "$work/spool/iis"
mv "$work/spool/iis.real" "$work/spool/iis"
expect_rc 0 sg quarantine -q "$store" release "$id"
cmp -s "$orig" "$work/saved.eml" || fail "released bytes differ"
# Purge: nothing is older than a day; everything is older than 0 s.
expect_rc 1 sg scan --no-syslog --min-age 0 -q "$store" "$work/spool/iis/Queue"
expect_rc 0 sg quarantine -q "$store" purge --older-than 1d
assert_grep 'purged 0' "$work/out"
expect_rc 0 sg quarantine -q "$store" purge --older-than 0
assert_grep 'purged 1' "$work/out"
expect_rc 64 sg quarantine -q "$store" purge
expect_rc 64 sg quarantine -q "$store" frobnicate
