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

# The default profile is built in: with no rules file on the path and run
# from /, check and scan judge with it.
mkdir "$work/empty"
d="$SPOOLGUARD_TESTDATA/demo"
(
	cd /
	SPOOLGUARD_RULES_DIR="$work/empty"
	export SPOOLGUARD_RULES_DIR
	expect_rc 0 sg check "$d/iis/Pickup/0001-envelope-ok.eml"
	expect_rc 65 sg check "$d/iis/Queue/NTFS_0003-nul-header.EML"
	expect_rc 0 sg rules show default
	assert_grep '\[header.line-length\]' "$work/out"
	expect_rc 0 sg rules list
	assert_grep '^default ' "$work/out"
)
# rules list says where each name comes from and what it shadows.
mkdir "$work/a" "$work/b"
printf '[profile]\ndescription=site A\n' >"$work/a/site.rules"
printf '[profile]\ndescription=site B\n' >"$work/b/site.rules"
printf '[profile]\ninclude=default\ndescription=mine\n' >"$work/b/default.rules"
SPOOLGUARD_RULES_DIR="$work/a:$work/b" expect_rc 0 sg rules list
assert_grep '^site  *site A$' "$work/out"
assert_grep "^  *from $work/a/site.rules\$" "$work/out"
assert_grep "^  *shadows $work/b/site.rules\$" "$work/out"
# b/default.rules includes default: it gets the default it shadows.
assert_grep '^default  *mine$' "$work/out"
assert_grep "^  *from $work/b/default.rules\$" "$work/out"
assert_grep '^  *shadows built-in$' "$work/out"
SPOOLGUARD_RULES_DIR="$work/b" expect_rc 0 sg rules show default
assert_grep '^hard=65536$' "$work/out"
