#!/bin/sh
# check answers a pre-delivery hook with sysexits codes and moves nothing.
. "$(dirname "$0")/lib.sh"

d="$SPOOLGUARD_TESTDATA/demo"
expect_rc 0 sg check "$d/iis/Pickup/0001-envelope-ok.eml"
expect_rc 0 sg check <"$d/iis/Pickup/0002-utf8-headers.eml"
expect_rc 0 sg check - <"$d/maildir/new/1763800100.M2P1.demo"
expect_rc 65 sg check "$d/iis/Queue/NTFS_0003-nul-header.EML"
assert_grep 'header.nul' "$work/out"
expect_rc 65 sg check <"$d/iis/Queue/NTFS_0003-nul-header.EML"
assert_grep 'stdin' "$work/out"
# The findings name <stdin>, not the temporary copy that is gone.
assert_grep '<stdin>:65:' "$work/out"
assert_no_grep 'spoolguard-check-' "$work/out"
expect_rc 65 sg check -Q <"$d/maildir/new/1763800200.M3P1.demo"
[ ! -s "$work/out" ] || fail "-Q printed something"
expect_rc 65 sg check --format json "$d/iis/Queue/NTFS_0003-nul-header.EML"
assert_grep '"rule" *: *"header.nul"' "$work/out"
expect_rc 66 sg check "$work/no-such-file.eml"
expect_rc 64 sg check a b
expect_rc 78 sg check -p no-such-profile "$d/iis/Pickup/0001-envelope-ok.eml"
# The file checked is still there, unchanged.
assert_file "$d/iis/Queue/NTFS_0003-nul-header.EML"
# A directory is no input for check or inspect: 66 for both.
expect_rc 66 sg check "$work"
assert_grep 'not a regular file' "$work/err"
expect_rc 66 sg inspect "$work"
