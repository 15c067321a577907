#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# gen-check.sh - the benchmark's generator must be deterministic and write
# spools that spoolguard reads as clean, complete messages: the same seed
# gives the same bytes, N messages are a prefix of 2N, and a scan of each
# format examines every message and finds nothing.  Run by make check;
# nothing here is timed.
set -eu

: "${SPOOLGUARD_BIN:?run through make check}"
: "${SPOOLGUARD_TESTDATA:?run through make check}"
gen=$(dirname "$SPOOLGUARD_BIN")/tests/bench/gen-spool
work=$(mktemp -d "${TMPDIR:-/tmp}/sg-gen.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }

n=12
for f in plain postfix exim; do
	"$gen" -s 7 -n $n --huge-mb 1 --attach-permille 200 -f $f "$work/$f-a" >/dev/null
	"$gen" -s 7 -n $n --huge-mb 1 --attach-permille 200 -f $f "$work/$f-b" >/dev/null
	"$gen" -s 8 -n $n --huge-mb 1 --attach-permille 200 -f $f "$work/$f-c" >/dev/null
	sums "$work/$f-a" >"$work/a.sum"
	sums "$work/$f-b" >"$work/b.sum"
	sums "$work/$f-c" >"$work/c.sum"
	cmp -s "$work/a.sum" "$work/b.sum" || fail "$f: same seed, other bytes"
	cmp -s "$work/a.sum" "$work/c.sum" && fail "$f: other seed, same bytes"
done

# Message i depends on (seed, i) only.
"$gen" -s 7 -n 5 --attach-permille 200 -f plain "$work/prefix" >/dev/null
for m in "$work"/prefix/*.eml; do
	cmp -s "$m" "$work/plain-a/$(basename "$m")" ||
		fail "$(basename "$m") differs between -n 5 and -n $n"
done

# The huge message is about the size asked for.
size=$(wc -c <"$work/plain-a/msg-$(printf %07d $n).eml")
[ "$size" -gt 1000000 ] && [ "$size" -lt 1200000 ] ||
	fail "--huge-mb 1 gave $size bytes"

# Every message of every format examined, none with a finding (a format
# whose reader is not in this tree yet is skipped, and says so).
top=$(dirname "$SPOOLGUARD_TESTDATA")
for f in plain postfix exim; do
	if [ "$f" != plain ] && [ ! -f "$top/src/spool/spool-$f.c" ]; then
		echo "$f: no reader in this tree; skipped"
		continue
	fi
	"$SPOOLGUARD_BIN" scan -n --min-age 0 --no-syslog -v --format json \
		-q "$work/store" "$work/$f-a" >"$work/$f.json" 2>"$work/$f.err" ||
		{
			cat "$work/$f.err" "$work/$f.json" >&2
			fail "$f: scan exited $?"
		}
	examined=$(grep -c '"verdict"' "$work/$f.json" || true)
	clean=$(grep -c '"verdict" *: *"clean"' "$work/$f.json" || true)
	echo "$f: $examined examined, $clean clean"
	[ "$examined" -eq $((n + 1)) ] || {
		cat "$work/$f.json" "$work/$f.err" >&2
		fail "$f: $examined of $((n + 1)) messages examined"
	}
	[ "$clean" -eq "$examined" ] || {
		grep -v '"verdict" *: *"clean"' "$work/$f.json" | head -n 20 >&2
		fail "$f: findings on generated messages"
	}
done
