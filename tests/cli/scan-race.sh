#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# scan-race.sh - a writer replaces messages by write-temp-then-rename while
# scan quarantines them: every replacement stays at its name, untouched,
# and the store holds only the versions that were judged, each once.
# The writer (store-watch) follows the scan through the store: it renames
# a new version over a message as soon as that message's report appears,
# which is while the message is being moved.
. "$(dirname "$0")/lib.sh"

n=${SG_RACE_N:-60}
spool="$work/spool"
store="$work/store"
watch="$(dirname "$SPOOLGUARD_BIN")/tests/cli/store-watch"
[ -x "$watch" ] || fail "no $watch (make check builds it)"
mkdir "$spool" "$store"

# n messages with a NUL in a header: each one is quarantined.
old() { printf 'From: a@example.org\r\nSubject: old %s\000\r\n\r\nold\r\n' "$1"; }
new() { printf 'From: w@example.org\r\nSubject: new %s\r\n\r\nnew\r\n' "$1"; }
i=0
while [ "$i" -lt "$n" ]; do
	old "m$i.eml" >"$spool/m$i.eml"
	i=$((i + 1))
done

"$watch" replace "$store" "$n" >"$work/replaced" &
writer=$!
set +e
sg scan --no-syslog --min-age 0 -q "$store" "$spool" >"$work/out" 2>"$work/err"
rc=$?
set -e
sleep 0.2
kill "$writer" 2>/dev/null || true
wait "$writer" 2>/dev/null || true
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || {
	cat "$work/err" >&2
	fail "scan exited $rc"
}

# Every replacement is at its name, as the writer wrote it.
replaced=$(wc -l <"$work/replaced")
[ "$replaced" -gt 0 ] || fail "the writer replaced nothing"
kept=0
while read -r path; do
	name=$(basename "$path")
	new "$name" >"$work/want"
	if cmp -s "$work/want" "$spool/$name"; then
		kept=$((kept + 1))
	fi
done <"$work/replaced"
# The store holds old versions only, each once, whole.
find "$store" -path '*/files/*' -type f >"$work/stored"
stored=$(wc -l <"$work/stored")
dups=$(sed 's|.*/||' "$work/stored" | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] || fail "$dups messages stored twice"
while read -r f; do
	old "$(basename "$f")" >"$work/want"
	cmp -s "$work/want" "$f" || fail "$f is not the version judged"
done <"$work/stored"
[ -z "$(find "$store" -name intent.json -o -name committed.json)" ] ||
	fail "unfinished entries left"
[ -z "$(find "$spool" -name '.spoolguard-*')" ] || fail "files left aside"
# Each message the writer did not replace was quarantined.
[ $((stored + replaced)) -ge "$n" ] ||
	fail "$n messages, $replaced replaced, but only $stored stored"
busy=$(sed -n 's/.* \([0-9]*\) busy.*/\1/p' "$work/out")
echo "scan-race: $replaced replacements by rename during the moves of" \
	"$n messages, $kept kept; $stored quarantined, ${busy:-?} busy"
[ "$kept" -eq "$replaced" ] ||
	fail "$((replaced - kept)) of $replaced replacements lost"
