#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hook-procmail.sh - the procmail recipe of spoolguard(1)'s EXAMPLES, as
# printed there, run by a real procmail: what check accepts is delivered,
# what it rejects lands in rejected/.  Skipped (77) without procmail
# (scripts/setup.sh installs it with SPOOLGUARD_LIVE=1).
. "$(dirname "$0")/lib.sh"

command -v procmail >/dev/null || {
	echo "SKIP: procmail is not installed"
	exit 77
}
man="$(dirname "$SPOOLGUARD_BIN")/gen/spoolguard.1"
sed -n '/^:0$/,/^rejected\/$/p' "$man" | sed 's/\\-/-/g' >"$work/recipe"
grep -q 'spoolguard check' "$work/recipe" || fail "no procmail recipe in $man"
mkdir "$work/mail"
{
	echo "MAILDIR=$work/mail"
	echo "DEFAULT=$work/mail/inbox/"
	echo "PATH=$(dirname "$SPOOLGUARD_BIN"):/usr/bin:/bin"
	echo "SPOOLGUARD_CONFIG=/dev/null"
	cat "$work/recipe"
} >"$work/procmailrc"
d="$SPOOLGUARD_TESTDATA/demo"
procmail -m "$work/procmailrc" <"$d/iis/Pickup/0001-envelope-ok.eml" ||
	fail "procmail failed on a good message"
procmail -m "$work/procmailrc" <"$d/iis/Queue/NTFS_0003-nul-header.EML" ||
	fail "procmail failed on a bad message"
[ "$(find "$work/mail/inbox" -type f | wc -l)" -eq 1 ] ||
	fail "the good message was not delivered"
bad=$(find "$work/mail/rejected" -type f)
[ "$(echo "$bad" | grep -c .)" -eq 1 ] || fail "the bad message was not set aside"
grep -q '^Message-ID: <q1@example.org>' "$(find "$work/mail/inbox" -type f)" ||
	fail "inbox holds something else"
if grep -q '^Message-ID: <q1@example.org>' "$bad"; then
	fail "rejected/ holds the good message"
fi
