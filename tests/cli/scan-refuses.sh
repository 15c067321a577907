#!/bin/sh
# scan refuses a store inside the scanned tree and bad arguments, moving
# nothing; it never follows a symlink out of the spool.
. "$(dirname "$0")/lib.sh"

make_spool "$work/spool"
before=$(tree_sums "$work/spool")
expect_rc 64 sg scan --no-syslog --min-age 0 -q "$work/spool/quarantine" "$work/spool"
assert_grep 'inside' "$work/err"
[ "$(tree_sums "$work/spool")" = "$before" ] || fail "refused scan changed the spool"

expect_rc 64 sg scan --no-syslog --bogus "$work/spool"
expect_rc 64 sg scan --no-syslog
expect_rc 64 sg scan --no-syslog --min-age soon "$work/spool"
expect_rc 78 sg scan --no-syslog -r "$work/nonexistent.rules" "$work/spool"

# A symlink to a bad message outside the spool is not followed.
mkdir -p "$work/outside" "$work/linked"
printf 'From: a@b\nSubject: x\000y\n\nbody\n' >"$work/outside/bad.eml"
ln -s "$work/outside/bad.eml" "$work/linked/link.eml"
ln -s "$work/outside" "$work/linked/dirlink"
expect_rc 0 sg scan --no-syslog --min-age 0 -q "$work/store" "$work/linked"
assert_file "$work/outside/bad.eml"
[ -L "$work/linked/link.eml" ] || fail "the symlink was moved"

# The refused store was not even created inside the spool.
expect_rc 64 sg scan --no-syslog --min-age 0 -q "$work/spool/sub/quarantine" "$work/spool"
[ ! -e "$work/spool/sub" ] || fail "a refused scan created the store"
# Through a symlinked spelling of the same tree, too.
ln -s "$work/spool" "$work/spool-link"
expect_rc 64 sg scan --no-syslog --min-age 0 -q "$work/spool-link/q" "$work/spool"
[ ! -e "$work/spool/q" ] || fail "a refused scan created the store"
