#!/bin/sh
# scan --state: a second run over an unchanged spool does not re-read the
# messages judged clean; a changed or new file is examined again, and a
# bad one is still quarantined.
. "$(dirname "$0")/lib.sh"

make_spool "$work/spool"
rm "$work/spool/iis/Queue/NTFS_0003-nul-header.EML" "$work/spool/iis/Pickup/long-line.eml" \
	"$work/spool/maildir/new/1763800200.M3P1.demo"
st="$work/state"
expect_rc 0 sg scan --no-syslog --min-age 0 -q "$work/store" --state "$st" "$work/spool"
assert_no_grep 'unchanged' "$work/out"
assert_file "$st"
[ "$(stat -c %a "$st")" = 600 ] || fail "state file not 0600"
expect_rc 0 sg scan --no-syslog --min-age 0 -q "$work/store" --state "$st" "$work/spool"
assert_grep '^4 unchanged since the last run' "$work/out"
# A changed file and a new bad file are examined.
printf 'X-Extra: 1\n' >>"$work/spool/maildir/new/1763800100.M2P1.demo"
printf 'From: a@b\nSubject: x\000y\n\nbody\n' >"$work/spool/iis/Pickup/new-bad.eml"
expect_rc 1 sg scan --no-syslog --min-age 0 -q "$work/store" --state "$st" "$work/spool"
assert_grep '^3 unchanged since the last run' "$work/out"
assert_no_file "$work/spool/iis/Pickup/new-bad.eml"
# Another profile invalidates the state.
expect_rc 0 sg scan --no-syslog --min-age 0 -q "$work/store" -p rfc5322 --state "$st" "$work/spool/maildir/cur"
assert_no_grep 'unchanged' "$work/out"
