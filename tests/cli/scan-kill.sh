#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# scan-kill.sh - scans of a mixed spool (plain, maildir, Postfix, Exim,
# Sendmail) SIGKILLed at a random moment, then recovery ("quarantine fsck",
# or the next scan's own) and a full scan: every message ends where an
# uninterrupted scan puts it, in exactly one place, every entry has its
# report, no entry is left unfinished, none is a duplicate, nothing is left
# beside the spool.  Half the kills come at a random moment of the scan,
# half a random 0-1 ms after the report of a random move appeared (while
# that message moves).  A kill is no power loss, so the work directory is
# on a tmpfs when there is one (fsyncs there cost nothing).
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	TMPDIR=/dev/shm
	export TMPDIR
fi
. "$(dirname "$0")/lib.sh"

runs=${SG_KILL_RUNS:-50}
td="$SPOOLGUARD_TESTDATA/spool"
master="$work/master"
mkdir "$master"
cp -R "$td/plain" "$master/plain"
cp -R "$td/maildir" "$master/maildir"
cp -R "$td/envelope" "$master/envelope"
cp -R "$td/postfix" "$master/postfix"
mkdir "$master/exim" "$master/exim-corrupt"
cp -R "$td/exim/input" "$td/exim/msglog" "$master/exim/"
cp -R "$td/exim/corrupt/input" "$master/exim-corrupt/"
cp -R "$td/sendmail/mqueue" "$master/sendmail"
cp -R "$td/sendmail/corrupt/mqueue" "$master/sendmail-corrupt"
make_spool "$master/demo"
# Postfix files marked finished (owner-execute), as Postfix leaves them.
find "$master/postfix" -mindepth 2 -type f -exec chmod u+rwx {} +
paths="plain maildir envelope postfix exim exim-corrupt sendmail
	sendmail-corrupt demo"

scan() { # scan SPOOL STORE, in a subshell that becomes spoolguard
	# shellcheck disable=SC2086
	cd "$1" && exec "$SPOOLGUARD_BIN" scan --no-syslog -Q --min-age 0 \
		-q "$2" $paths
}
# "relative path  sha256" of every file below DIR, sorted.
spool_state() { (cd "$1" && find . -type f -print0 | sort -z |
	xargs -0 -r sha256sum | awk '{ print $2 "  " $1 }'); }
# "name  sha256" of every stored file, sorted.
store_state() {
	[ -d "$1" ] || return 0
	find "$1" -path '*/files/*' -type f -print0 | xargs -0 -r sha256sum |
		awk '{ n = $2; sub(/.*\//, "", n); print n "  " $1 }' | sort
}

# What an uninterrupted scan leaves, and how long it takes.
cp -R "$master" "$work/ref"
t0=$(date +%s%N)
set +e
(scan "$work/ref" "$work/refstore") >/dev/null 2>"$work/err"
rc=$?
set -e
t1=$(date +%s%N)
[ "$rc" -eq 1 ] || fail "the reference scan exited $rc: $(cat "$work/err")"
spool_state "$work/ref" >"$work/ref.spool"
store_state "$work/refstore" >"$work/ref.store"
moved=$(wc -l <"$work/ref.store")
[ "$moved" -gt 40 ] || fail "only $moved files quarantined by the reference"
moves=$(find "$work/refstore" -name report.json | wc -l)
ms=$(((t1 - t0) / 1000000))
watch="$(dirname "$SPOOLGUARD_BIN")/tests/cli/store-watch"
[ -x "$watch" ] || fail "no $watch (make check builds it)"

killed=0
unfinished=0
lost=0
run=0
while [ "$run" -lt "$runs" ]; do
	run=$((run + 1))
	spool="$work/spool"
	store="$work/store"
	rm -rf "$spool" "$store"
	cp -R "$master" "$spool"
	r=$(od -An -N4 -tu4 /dev/urandom)
	mkdir "$store"
	(scan "$spool" "$store") >/dev/null 2>&1 &
	pid=$!
	if [ $((run / 2 % 2)) -eq 0 ]; then
		# At a random moment of the scan's time (the reference ran
		# cold: most of its time) ...
		when=$(awk -v r="$r" -v ms="$((ms * 3 / 4))" \
			'BEGIN { printf "%.3f", (r % (ms + 1)) / 1000 }')
		sleep "$when"
		kill -KILL "$pid" 2>/dev/null && killed=$((killed + 1))
		wait "$pid" 2>/dev/null || true
	else
		# ... or 0-1 ms after the report of the k-th move appeared.
		k=$((r % moves + 1))
		us=$((r / 7 % 1000))
		when="report $k + $us us"
		"$watch" kill "$store" "$k" "$pid" "$us" &
		wpid=$!
		wait "$pid" 2>/dev/null || true
		# It exits 0 when it killed, 1 when the scan ended first.
		wait "$wpid" && killed=$((killed + 1))
	fi
	# Moves cut short: a journal left, or no report yet.
	for e in "$store"/*/*/*/*; do
		[ -d "$e" ] || continue
		if [ -e "$e/intent.json" ] || [ -e "$e/committed.json" ] ||
			[ ! -e "$e/report.json" ]; then
			unfinished=$((unfinished + 1))
		fi
	done
	# Odd runs: fsck, then the scan; even runs: the scan recovers.
	if [ $((run % 2)) -eq 1 ]; then
		expect_rc 0 sg quarantine -q "$store" fsck
		! grep -q ': left:\|: unfinished:\|: in progress:' "$work/out" ||
			fail "run $run: fsck: $(cat "$work/out")"
	fi
	set +e
	(scan "$spool" "$store") >"$work/out" 2>"$work/err"
	rc=$?
	set -e
	[ "$rc" -le 1 ] || fail "run $run: scan exited $rc: $(cat "$work/err")"
	# Exactly where the uninterrupted scan put everything.
	spool_state "$spool" >"$work/spool.now"
	store_state "$store" >"$work/store.now"
	if ! cmp -s "$work/ref.spool" "$work/spool.now" ||
		! cmp -s "$work/ref.store" "$work/store.now"; then
		diff "$work/ref.spool" "$work/spool.now" >&2 || true
		diff "$work/ref.store" "$work/store.now" >&2 || true
		lost=$((lost + 1))
		fail "run $run (killed at $when): not where it belongs"
	fi
	# Every entry complete, none unfinished; nothing set aside.
	for e in "$store"/*/*/*/*; do
		[ -f "$e/report.json" ] && [ -f "$e/report.txt" ] ||
			fail "run $run: $e has no report"
		[ ! -e "$e/intent.json" ] && [ ! -e "$e/committed.json" ] ||
			fail "run $run: $e is unfinished"
	done
	entries=$(find "$store" -name report.json | wc -l)
	want=$(find "$work/refstore" -name report.json | wc -l)
	[ "$entries" -eq "$want" ] ||
		fail "run $run: $entries entries, $want expected (duplicates?)"
	[ -z "$(find "$spool" -name '.spoolguard-*')" ] ||
		fail "run $run: files left beside the spool"
done
[ "$killed" -gt $((runs / 2)) ] || fail "only $killed of $runs scans killed"
echo "scan-kill: $runs scans of a spool with $moves messages ($moved" \
	"files) to quarantine, $killed SIGKILLed (an uninterrupted scan:" \
	"${ms} ms), $unfinished moves cut short and recovered; $lost lost," \
	"0 in two places, 0 duplicates, 0 entries without a report"
