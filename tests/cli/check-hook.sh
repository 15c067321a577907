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
# -Q: exactly one line, the first blocking finding, printable ASCII.
expect_rc 65 sg check -Q <"$d/maildir/new/1763800200.M3P1.demo"
[ "$(wc -l <"$work/out")" = 1 ] || fail "-Q printed $(wc -l <"$work/out") lines"
first=$(sg check "$d/maildir/new/1763800200.M3P1.demo" | awk 'NR > 1 && $2 == "quarantine" { print $3; exit }')
[ -n "$first" ] || fail "no blocking finding in the full report"
assert_grep "^$first: " "$work/out"
LC_ALL=C grep -q '[^ -~]' "$work/out" && fail "-Q printed a byte outside printable ASCII"
[ ! -s "$work/err" ] || fail "-Q wrote to stderr"
# -Q -v: the same line, and the full report on stderr.
expect_rc 65 sg check -Q -v <"$d/maildir/new/1763800200.M3P1.demo"
[ "$(wc -l <"$work/out")" = 1 ] || fail "-Q -v printed more than one line"
assert_grep "$first" "$work/err"
assert_grep 'quarantine' "$work/err"
# -Q on a clean message prints nothing.
expect_rc 0 sg check -Q "$d/iis/Pickup/0001-envelope-ok.eml"
[ ! -s "$work/out" ] || fail "-Q printed something for a clean message"
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
