#!/bin/sh
# rules list/show/lint: shipped profiles load; a bad file is EX_CONFIG with
# its file and line.
. "$(dirname "$0")/lib.sh"

expect_rc 0 sg rules list
for p in default rfc5322 postfix exchange-online iis-smtp; do
	assert_grep "^$p" "$work/out"
done
expect_rc 0 sg rules show default
assert_grep '\[header.line-length\]' "$work/out"
cp "$work/out" "$work/default-resolved.rules"
expect_rc 0 sg rules lint "$work/default-resolved.rules"
expect_rc 0 sg rules ids
assert_grep 'container.not-a-message' "$work/out"
printf '[profile]\ndescription=bad\n\n[header.line-length]\nsoft=998\nhard=lots\n' >"$work/bad.rules"
expect_rc 78 sg rules lint "$work/bad.rules"
assert_grep 'bad.rules:6' "$work/err"
printf '[profile]\ninclude=default\n[no.such-rule]\nseverity=warn\n' >"$work/bad2.rules"
expect_rc 78 sg rules lint "$work/bad2.rules"
assert_grep 'bad2.rules:3' "$work/err"
expect_rc 78 sg scan --no-syslog -r "$work/bad2.rules" "$work"
# An empty rules file (or one of comments only) is a mistake, not a
# profile without limits: refused with its file and line.
: >"$work/empty.rules"
expect_rc 78 sg rules lint "$work/empty.rules"
assert_grep 'empty.rules:1: no settings' "$work/err"
printf '# to do\n\n' >"$work/comments.rules"
expect_rc 78 sg scan --no-syslog -n -r "$work/comments.rules" "$work"
assert_grep 'comments.rules:2: no settings' "$work/err"
expect_rc 78 sg check -r "$work/empty.rules" "$SPOOLGUARD_TESTDATA/demo/iis/Pickup/0001-envelope-ok.eml"
