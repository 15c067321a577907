#!/bin/sh
# inspect prints the envelope, the header table with offsets and the
# findings; --format json carries the same.
. "$(dirname "$0")/lib.sh"

d="$SPOOLGUARD_TESTDATA/demo"
expect_rc 0 sg inspect "$d/iis/Pickup/0001-envelope-ok.eml"
assert_grep 'alice@example.org' "$work/out"
assert_grep 'carol@example.net' "$work/out"
assert_grep 'Subject' "$work/out"
expect_rc 0 sg inspect --format json "$d/iis/Queue/NTFS_0003-nul-header.EML"
assert_grep '"headers"' "$work/out"
assert_grep '"header.nul"' "$work/out"
# The NUL sits at byte 65 of the file ("From: ...\r\nTo: ...\r\nSubject: hello").
assert_grep '"offset" *: *65' "$work/out"
expect_rc 0 sg inspect "$d/maildir/cur/1763800000.M1P1.demo:2,S"
assert_grep 'application/pdf' "$work/out"
assert_grep 'minutes.pdf' "$work/out"
expect_rc 66 sg inspect "$work/missing.eml"
# The reader's properties: the IIS envelope, in text and JSON.
expect_rc 0 sg inspect "$d/iis/Pickup/0001-envelope-ok.eml"
assert_grep 'properties.*iis-envelope=yes' "$work/out"
expect_rc 0 sg inspect --format json "$d/iis/Pickup/0001-envelope-ok.eml"
assert_grep '"properties" *: *{[^}]*"iis-envelope" *: *"yes"' "$work/out"
