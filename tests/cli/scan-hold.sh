#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# scan-hold.sh - --action hold is idempotent: a message the MTA holds
# already (Postfix hold/, a frozen Exim message) is reported as
# already-held, nothing is done and the run exits 0, so a cron job that
# finds nothing new exits 0 on its second run.  A message the MTA cannot
# hold (a Postfix maildrop/ file, a plain folder) goes the way of
# --hold-fallback (none: left and reported; quarantine: stored), and the
# reason is said once per run.
. "$(dirname "$0")/lib.sh"

pfdata=$SPOOLGUARD_TESTDATA/spool/postfix
pf=$work/postfix
for q in incoming active deferred/A hold maildrop; do
	mkdir -p "$pf/$q"
done
cp "$pfdata/derived/BADtrailing" "$pf/deferred/A/A1B2C3"
chmod 0700 "$pf/deferred/A/A1B2C3"
inode=$(stat -c %i "$pf/deferred/A/A1B2C3")

# First run: held, by rename (same inode), exit 1.
expect_rc 1 sg scan --no-syslog --min-age 0 --action hold "$pf"
assert_no_file "$pf/deferred/A/A1B2C3"
assert_file "$pf/hold/A1B2C3"
[ "$(stat -c %i "$pf/hold/A1B2C3")" = "$inode" ] || fail "hold changed the inode"
assert_grep '1 held' "$work/out"
# Second run: already held, nothing done, exit 0.
sum=$(sha256sum <"$pf/hold/A1B2C3")
expect_rc 0 sg scan --no-syslog --min-age 0 --action hold "$pf"
assert_grep 'already-held' "$work/out"
assert_grep '0 held, 1 already held' "$work/out"
[ "$(sha256sum <"$pf/hold/A1B2C3")" = "$sum" ] || fail "the held file changed"
expect_rc 0 sg scan --no-syslog --min-age 0 --action hold --format json "$pf"
assert_grep '"already_held":1' "$work/out"
assert_grep '"action":"already-held"' "$work/out"
# --action quarantine still takes a held message.
expect_rc 1 sg scan --no-syslog --min-age 0 -q "$work/store0" "$pf"
assert_no_file "$pf/hold/A1B2C3"

# maildrop/: Postfix never holds a file that cleanup has not seen.
md=$(ls "$pfdata/maildrop" | head -1)
for n in 1 2; do
	head -c 120 "$pfdata/maildrop/$md" >"$pf/maildrop/M0000$n"
	chmod 0744 "$pf/maildrop/M0000$n"
done
expect_rc 1 sg scan --no-syslog --min-age 0 --action hold "$pf"
assert_file "$pf/maildrop/M00001"
assert_file "$pf/maildrop/M00002"
assert_no_file "$pf/hold/M00001"
assert_grep 'cannot be put on hold' "$work/err"
assert_grep 'left in place (--hold-fallback none' "$work/err"
n=$(grep -c 'said once per run' "$work/err")
[ "$n" -eq 1 ] || fail "the fallback was said $n times, not once"
assert_grep '(kept)' "$work/out"
assert_grep '0 quarantined, 0 held, 2 kept' "$work/out"
# ... and with --hold-fallback quarantine they go to the store, once said.
expect_rc 1 sg scan --no-syslog --min-age 0 --action hold \
	--hold-fallback quarantine -q "$work/store" "$pf"
assert_no_file "$pf/maildrop/M00001"
assert_no_file "$pf/maildrop/M00002"
[ "$(find "$work/store" -path '*/files/M0000*' | wc -l)" -eq 2 ] ||
	fail "the maildrop files are not in the store"
n=$(grep -c 'said once per run' "$work/err")
[ "$n" -eq 1 ] || fail "the fallback was said $n times, not once"
expect_rc 64 sg scan --no-syslog --action hold --hold-fallback hold "$pf"

# Exim: freezing is the hold; a frozen message is already held.
ex=$work/exim
mkdir -p "$ex/input" "$ex/msglog"
cp "$SPOOLGUARD_TESTDATA"/spool/exim/corrupt/input/*-B1-? "$ex/input/"
expect_rc 1 sg scan --no-syslog --min-age 0 --action hold "$ex"
grep -q '^-frozen ' "$ex"/input/*-B1-H || fail "the Exim message was not frozen"
expect_rc 0 sg scan --no-syslog --min-age 0 --action hold "$ex"
assert_grep 'already-held' "$work/out"

# A plain folder has no hold queue: the fallback, said once.
mkdir -p "$work/plain"
printf 'From: a@example.org\nSubject: x\n\0\n' >"$work/plain/nul.eml"
expect_rc 1 sg scan --no-syslog --min-age 0 --action hold "$work/plain"
assert_file "$work/plain/nul.eml"
assert_grep 'has no hold queue' "$work/err"
