#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# scan-lock.sh - two scans never work on the same spool or store at once:
# the second exits 75 at once naming the holder's pid, having scanned and
# moved nothing, or with --lock-wait waits for the first to finish; each
# run's summary is the whole of what it did and nothing is lost.
. "$(dirname "$0")/lib.sh"

command -v flock >/dev/null || { echo "SKIP: no flock(1)"; exit 77; }
holder=
# hold DIR: takes the flock a scan takes, in a process of its own (-o: its
# child does not share the lock), whose pid is $holder.
hold() {
	flock -o -x "$1" sh -c 'echo $$ >"$0"; exec sleep 60' "$work/sleeper" &
	holder=$!
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		grep -q "FLOCK .* $holder " /proc/locks && return 0
		sleep 0.2
	done
	fail "flock(1) did not take the lock"
}
unhold() {
	kill "$holder" "$(cat "$work/sleeper")" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
	holder=
}
trap '[ -z "$holder" ] || unhold; rm -rf "$work"' EXIT
spool=$work/spool
mkdir -p "$spool"
bad() { printf 'From: a@example.org\nSubject: bad %s\n\0\n' "$1" >"$spool/bad$1.eml"; }
bad 1
bad 2

# Another run holds the spool (flock(1) takes the same lock a scan does).
hold "$spool"
expect_rc 75 sg scan --no-syslog --min-age 0 -q "$work/store" "$spool"
assert_grep "another spoolguard scan (pid $holder)" "$work/err"
assert_grep 'nothing scanned' "$work/err"
assert_no_grep 'examined' "$work/out"
assert_file "$spool/bad1.eml"
[ ! -d "$work/store" ] || [ -z "$(find "$work/store" -type f)" ] ||
	fail "a locked-out run stored something"
# The same for a run that names the spool's file or a store in use.
expect_rc 75 sg scan --no-syslog --min-age 0 -q "$work/store" "$spool/bad1.eml"
mkdir -p "$work/other"
unhold
mkdir -p "$work/store"
hold "$work/store"
expect_rc 75 sg scan --no-syslog --min-age 0 -q "$work/store" "$work/other"
assert_grep "$work/store: another spoolguard scan (pid $holder)" "$work/err"
# --lock-wait: waits for the holder, then does the work.
(sleep 1 && kill "$holder" "$(cat "$work/sleeper")") &
expect_rc 1 sg scan --no-syslog --min-age 0 --lock-wait 20s -q "$work/store" "$spool"
assert_no_file "$spool/bad1.eml"
assert_grep '2 quarantined' "$work/out"
wait $holder 2>/dev/null || true
holder=
expect_rc 64 sg scan --no-syslog --lock-wait 2d "$spool"
expect_rc 64 sg scan --no-syslog --lock-wait soon "$spool"

# Two real scans at once over the same spool, both willing to wait: one
# moves everything, the other finds nothing left; every message is in
# exactly one place and the two summaries add up.
for i in $(seq 1 400); do
	printf 'From: a@example.org\nSubject: %s\n\nbody\n' "$i" >"$spool/ok$i.eml"
done
for i in 3 4 5 6 7; do bad $i; done
run() {
	rc=0
	sg scan --no-syslog --min-age 0 --lock-wait 60s -q "$work/store2" \
		"$spool" >"$work/$1.out" 2>&1 || rc=$?
	echo "$rc" >"$work/$1.rc"
}
run a &
a=$!
run b
wait $a
qa=$(sed -n 's/.* \([0-9]*\) quarantined.*/\1/p' "$work/a.out")
qb=$(sed -n 's/.* \([0-9]*\) quarantined.*/\1/p' "$work/b.out")
case "$qa $(cat "$work/a.rc") $qb $(cat "$work/b.rc")" in
"5 1 0 0" | "0 0 5 1") ;;
*)
	cat "$work/a.out" "$work/b.out" >&2
	fail "summaries and exits: $qa/$(cat "$work/a.rc") and $qb/$(cat "$work/b.rc")"
	;;
esac
[ "$(find "$work/store2" -path '*/files/bad*' | wc -l)" = 5 ] ||
	fail "not 5 messages in the store"
# The run lock is a flock on the directories themselves: no lock file is
# left in the spool for a scan or an MTA to take for a message, and none
# in the store for fsck to find.
[ "$(ls -A "$spool" | wc -l)" = 400 ] ||
	fail "the spool holds other than its 400 good messages: $(ls -A "$spool" | grep -v '^ok')"
expect_rc 0 sg quarantine -q "$work/store2" fsck
[ "$(ls -A "$work/store2" | wc -l)" = "$(ls "$work/store2" | wc -l)" ] ||
	fail "a hidden file in the store: $(ls -A "$work/store2")"
