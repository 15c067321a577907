#!/bin/sh
# scan -n reports what would move, moves nothing and still exits 1; a clean
# spool exits 0; fresh files are skipped under the default --min-age.
. "$(dirname "$0")/lib.sh"

make_spool "$work/spool"
before=$(tree_sums "$work/spool")
expect_rc 1 sg scan --no-syslog -n --min-age 0 -q "$work/store" "$work/spool/iis"
assert_grep 'would-quarantine' "$work/out"
[ "$(tree_sums "$work/spool")" = "$before" ] || fail "-n changed the spool"
[ ! -e "$work/store" ] || [ -z "$(find "$work/store" -name report.json)" ] || fail "-n wrote to the store"

# Only good messages: exit 0, nothing moved.
mkdir -p "$work/good"
cp "$SPOOLGUARD_TESTDATA/demo/iis/Pickup/"*.eml "$work/good/"
expect_rc 0 sg scan --no-syslog --min-age 0 -q "$work/store2" "$work/good"
[ "$(ls "$work/good" | wc -l)" -eq 2 ] || fail "a good message moved"

# Default --min-age 300: the files were just written, nothing is examined.
expect_rc 0 sg scan --no-syslog -q "$work/store3" "$work/spool/iis"
assert_file "$work/spool/iis/Queue/NTFS_0003-nul-header.EML"
assert_grep 'young' "$work/out"
