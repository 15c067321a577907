#!/bin/sh
# scan moves exactly the bad messages into the store, byte for byte, leaves
# the good ones and maildir tmp/ alone, and exits 1.
. "$(dirname "$0")/lib.sh"

make_spool "$work/spool"
cp -R "$work/spool" "$work/orig"
store="$work/store"
expect_rc 1 sg scan --no-syslog --min-age 0 -q "$store" "$work/spool/iis" "$work/spool/maildir"

# The bad ones left the spool ...
assert_no_file "$work/spool/iis/Queue/NTFS_0003-nul-header.EML"
assert_no_file "$work/spool/iis/Pickup/long-line.eml"
assert_no_file "$work/spool/maildir/new/1763800200.M3P1.demo"
# ... the good ones and tmp/ did not.
assert_file "$work/spool/iis/Pickup/0001-envelope-ok.eml"
assert_file "$work/spool/iis/Pickup/0002-utf8-headers.eml"
assert_file "$work/spool/maildir/new/1763800100.M2P1.demo"
assert_file "$work/spool/maildir/cur/1763800000.M1P1.demo:2,S"
assert_file "$work/spool/maildir/tmp/1763800300.M4P1.demo"

# Every message is in exactly one place with its bytes unchanged.
(cd "$work/orig" && find . -type f | sort) | while read -r f; do
	name=$(basename "$f")
	if [ -f "$work/spool/$f" ]; then
		cmp -s "$work/orig/$f" "$work/spool/$f" || fail "$f changed in the spool"
		[ -z "$(find "$store" -name "$name" -path '*/files/*' 2>/dev/null)" ] ||
			fail "$f is in both places"
	else
		q=$(find "$store" -name "$name" -path '*/files/*')
		[ "$(echo "$q" | grep -c .)" -eq 1 ] || fail "$f not exactly once in the store"
		cmp -s "$work/orig/$f" "$q" || fail "$f changed in the store"
	fi
done

# The reports say what and where.
n=$(find "$store" -name report.json | wc -l)
[ "$n" -eq 3 ] || fail "expected 3 entries, found $n"
nul=$(grep -l 'NTFS_0003' "$store"/*/*/*/*/report.json)
assert_grep '"header.nul"' "$nul"
assert_grep '"offset"' "$nul"
assert_grep 'sha256' "$nul"
txt=$(dirname "$nul")/report.txt
assert_grep 'header.nul' "$txt"
# Store permissions: 0700 directories, 0600 files.
[ "$(stat -c %a "$store")" = 700 ] || fail "store not 0700"
[ -z "$(find "$store" -type d ! -perm 0700)" ] || fail "a store directory is not 0700"
[ -z "$(find "$store" -type f ! -perm 0600)" ] || fail "a store file is not 0600"
# The scan output names the moved messages.
assert_grep 'NTFS_0003-nul-header.EML' "$work/out"
assert_grep 'quarantined' "$work/out"
