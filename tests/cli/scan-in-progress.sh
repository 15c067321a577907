#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# scan-in-progress.sh - `scan --min-age 0` leaves every message its MTA is
# still writing where it is, whatever its content, and judges the same
# message once it is finished: for each format one damaged message in
# progress (kept, byte for byte) and its finished twin (quarantined).
#   Postfix  maildrop/ 0644 and incoming/ 0600 (no owner execute bit)
#            versus 0744 and 0700;
#   Exim     a pair whose hdr.<id> exists versus the pair alone;
#   Sendmail a df beside its tf versus the df beside its qf;
#   maildir  a file in tmp/ named on the command line versus one in new/;
#   plain    a file another process has open for writing versus closed,
#            and files under POSIX, lockf and OFD locks another process
#            holds (busy) versus released.
# A Postfix file left unfinished for two days is reported, never moved.
. "$(dirname "$0")/lib.sh"

td=$SPOOLGUARD_TESTDATA/spool
store=$work/store
scan() { sg scan --no-syslog --min-age 0 -q "$store" "$@"; }
sum() { sha256sum <"$1"; }

# ---- Postfix
pf=$work/pf
for q in incoming active deferred hold maildrop; do mkdir -p "$pf/$q"; done
md=$(ls "$td/postfix/maildrop" | head -1)
head -c 120 "$td/postfix/maildrop/$md" >"$pf/maildrop/MD1"
chmod 0644 "$pf/maildrop/MD1"
cp "$td/postfix/derived/BADtrailing" "$pf/incoming/IN1"
chmod 0600 "$pf/incoming/IN1"
s1=$(sum "$pf/maildrop/MD1")
s2=$(sum "$pf/incoming/IN1")
expect_rc 0 scan -v "$pf"
assert_file "$pf/maildrop/MD1"
assert_file "$pf/incoming/IN1"
[ "$(sum "$pf/maildrop/MD1")" = "$s1" ] && [ "$(sum "$pf/incoming/IN1")" = "$s2" ] ||
	fail "a Postfix file in progress changed"
assert_grep 'skipped 2 young' "$work/out"
assert_grep 'mode 0644, not marked ready by Postfix' "$work/err"
assert_grep 'mode 0600, not marked ready by Postfix' "$work/err"
# A maildrop file stalled for two days: still Postfix's (postsuper -p
# removes it), said even without -v, never moved.
cp "$pf/maildrop/MD1" "$pf/maildrop/MD2"
touch -d '2 days ago' "$pf/maildrop/MD2"
expect_rc 0 scan "$pf"
assert_file "$pf/maildrop/MD2"
assert_grep 'MD2: mode 0644, not marked ready by Postfix for 4[0-9] hours; left to Postfix' "$work/err"
assert_no_grep 'MD1' "$work/err"
rm "$pf/maildrop/MD2"
chmod 0744 "$pf/maildrop/MD1" # postdrop is done
chmod 0700 "$pf/incoming/IN1" # cleanup is done
expect_rc 1 scan "$pf"
assert_no_file "$pf/maildrop/MD1"
assert_no_file "$pf/incoming/IN1"

# ---- Exim
ex=$work/exim
mkdir -p "$ex/input" "$ex/msglog"
cp "$td"/exim/corrupt/input/*-B1-? "$ex/input/"
id=$(ls "$ex/input" | sed -n 's/-H$//p')
: >"$ex/input/hdr.$id"
expect_rc 0 scan "$ex"
assert_file "$ex/input/$id-H"
assert_file "$ex/input/$id-D"
assert_grep 'skipped 1 young' "$work/out"
rm "$ex/input/hdr.$id" # Exim renamed it over -H
expect_rc 1 scan "$ex"
assert_no_file "$ex/input/$id-H"
assert_no_file "$ex/input/$id-D"

# ---- Sendmail: the issue's case, a df whose qf is still a tf
sm=$work/mqueue
mkdir -p "$sm"
smid=$(ls "$td/sendmail/corrupt/mqueue" | sed -n 's/^qf\(.*T1\)$/\1/p')
cp "$td/sendmail/corrupt/mqueue/df$smid" "$sm/"
cp "$td/sendmail/corrupt/mqueue/qf$smid" "$sm/tf$smid"
s3=$(sum "$sm/df$smid")
expect_rc 0 scan -v "$sm"
assert_file "$sm/df$smid"
assert_file "$sm/tf$smid"
[ "$(sum "$sm/df$smid")" = "$s3" ] || fail "the df in progress changed"
assert_grep "tf$smid exists" "$work/err"
assert_no_grep 'orphan' "$work/out"
mv "$sm/tf$smid" "$sm/qf$smid" # queueup() is done
expect_rc 1 scan "$sm"
assert_no_file "$sm/df$smid"
assert_no_file "$sm/qf$smid"
assert_grep 'container.trailing-data' "$work/out"

# ---- maildir
mdir=$work/maildir
cp -R "$td/maildir" "$mdir"
printf 'From: a@example.org\nSubject: x\n\0\n' >"$mdir/tmp/1.being.delivered"
printf 'From: a@example.org\nSubject: x\n\0\n' >"$mdir/new/2.delivered"
expect_rc 0 scan "$mdir/tmp/1.being.delivered"
assert_file "$mdir/tmp/1.being.delivered"
expect_rc 1 scan "$mdir"
assert_file "$mdir/tmp/1.being.delivered"
assert_no_file "$mdir/new/2.delivered"

# ---- plain (IIS pickup): a client still writing, then done
pk=$work/pickup
mkdir -p "$pk"
printf 'x-sender: a@example.org\nx-receiver: b@example.org\nFrom: a@example.org\nSubject: slow\n\0' >"$pk/slow.eml"
(exec 3>>"$pk/slow.eml" && echo open >"$work/writing" && sleep 30) &
writer=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -f "$work/writing" ] && break; sleep 0.2; done
expect_rc 0 scan -v "$pk"
assert_file "$pk/slow.eml"
assert_grep 'open for writing by another process' "$work/err"
kill "$writer"
wait "$writer" 2>/dev/null || true
expect_rc 1 scan "$pk"
assert_no_file "$pk/slow.eml"

# ---- plain: POSIX (fcntl, lockf) and OFD record locks held by another
# process keep a message in place (busy); once they are gone it moves.
if command -v python3 >/dev/null; then
	lk=$work/locked
	mkdir -p "$lk"
	for k in posix lockf ofd; do
		printf 'From: a@example.org\nSubject: %s\n\0\n' "$k" >"$lk/$k.eml"
	done
	python3 - "$lk" "$work/locked.ready" <<'EOT' &
import fcntl, os, signal, struct, sys
d = sys.argv[1]
a = os.open(d + "/posix.eml", os.O_RDWR)  # fcntl(F_SETLK), whole file
fcntl.fcntl(a, fcntl.F_SETLK, struct.pack("hhxxxxqqixxxx", fcntl.F_WRLCK, 0, 0, 0, 0))
b = os.open(d + "/lockf.eml", os.O_RDWR)  # lockf(F_TLOCK) on 4 bytes
fcntl.lockf(b, fcntl.LOCK_EX | fcntl.LOCK_NB, 4, 10)
c = os.open(d + "/ofd.eml", os.O_RDONLY)  # an OFD read lock
fcntl.fcntl(c, fcntl.F_OFD_SETLK, struct.pack("hhxxxxqqixxxx", fcntl.F_RDLCK, 0, 0, 0, 0))
open(sys.argv[2], "w").close()
signal.pause()
EOT
	locker=$!
	for _ in $(seq 50); do [ -f "$work/locked.ready" ] && break; sleep 0.1; done
	[ -f "$work/locked.ready" ] || fail "the lock helper did not lock"
	expect_rc 0 scan -v "$lk"
	assert_grep 'skipped 0 young, 3 busy' "$work/out"
	assert_grep "posix.eml: locked by process $locker (POSIX write lock)" "$work/err"
	assert_grep "lockf.eml: locked by process $locker (POSIX write lock)" "$work/err"
	assert_grep 'ofd.eml: locked by another process (OFD read lock)' "$work/err"
	for k in posix lockf ofd; do assert_file "$lk/$k.eml"; done
	kill "$locker"
	wait "$locker" 2>/dev/null || true
	expect_rc 1 scan "$lk"
	for k in posix lockf ofd; do assert_no_file "$lk/$k.eml"; done
	moved=3
else
	echo "no python3: the record-lock case was not run"
	moved=0
fi

# Everything judged went to the store whole.
[ "$(find "$store" -path '*/files/*' -type f | wc -l)" -eq $((8 + moved)) ] ||
	fail "the store does not hold the $((8 + moved)) finished files"
