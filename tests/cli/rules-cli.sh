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
