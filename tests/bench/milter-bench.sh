#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# milter-bench.sh - spoolguard milter against `spoolguard check` forked per
# message, on the same messages, in the same run (make bench, BENCH_ONLY
# with "milter"; issue 14).
#
# A realistic mix (tests/bench/gen-spool's default: notes, HTML
# alternatives, forwards, 3% with a 1-5 MB attachment, 5% with hundreds of
# recipients) goes through tests/milter/sg-milter-client over
# inet:PORT@127.0.0.1, one connection per message as Postfix's smtpd
# opens one per session, with 1, 4 and 16 concurrent connections; then the
# same files through `spoolguard check -Q` forked per message (posix_spawn,
# the file on stdin) with the same concurrency.  Messages per second,
# latency median and 99th percentile.  Memory: the milter's RSS idle, with
# 16 connections each holding a message in the middle of its body (small
# bodies, then 20 MB bodies spooled to disk), and its peak RSS (VmHWM)
# around one message of BENCH_MILTER_HUGE_MB MiB.  Prints a Markdown
# section; asserts nothing.
#
# Environment: SPOOLGUARD_BIN, MILTER_CLIENT, GEN (gen-spool), DATA
# (where spools are kept), BENCH_MILTER_N (messages per milter run,
# default 2000), BENCH_FORK_N (per fork run, default 300),
# BENCH_MILTER_MIX (distinct messages, default 300), BENCH_MILTER_HUGE_MB
# (default 256).
set -eu

: "${SPOOLGUARD_BIN:?}" "${MILTER_CLIENT:?}" "${GEN:?}" "${DATA:?}"
N=${BENCH_MILTER_N:-2000}
NF=${BENCH_FORK_N:-300}
MIX=${BENCH_MILTER_MIX:-300}
HUGE=${BENCH_MILTER_HUGE_MB:-256}
work=$(mktemp -d "${TMPDIR:-/tmp}/sg-milter-bench.XXXXXX")
mpid=
cleanup() {
	[ -z "$mpid" ] || kill "$mpid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
say() { printf '%s\n' "$*" >&2; }

mix=$DATA/milter-mix-$MIX
if [ ! -f "$mix.done" ]; then
	say "bench: generating the milter mix ($MIX messages)"
	rm -rf "$mix"
	"$GEN" --seed 1 --count "$MIX" "$mix" >/dev/null
	: >"$mix.done"
fi
files=$(find "$mix" -type f | sort)
mix_mb=$(find "$mix" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.1f", s / 1048576 }')

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$SPOOLGUARD_BIN" milter -f -s "inet:$port@127.0.0.1" -T "$work" >"$work/milter.log" 2>&1 &
mpid=$!
for _ in $(seq 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
	sleep 0.1
done
sock="inet:$port@127.0.0.1"
status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$mpid/status"; }

# field NAME LINE: a value of the client's key=value line.
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# Warm up (libmagic, page cache), then the runs.
# shellcheck disable=SC2086
"$MILTER_CLIENT" --bench -c 2 -n 100 "$sock" $files >/dev/null
rows=$work/rows
for c in 1 4 16; do
	say "bench: milter, $c connection(s), $N messages"
	# shellcheck disable=SC2086
	m=$("$MILTER_CLIENT" --bench -c "$c" -n "$N" "$sock" $files)
	say "bench: check forked per message, $c at a time, $NF messages"
	# shellcheck disable=SC2086
	f=$("$MILTER_CLIENT" --bench --exec "$SPOOLGUARD_BIN check -Q" -c "$c" -n "$NF" $files)
	echo "$c $(field rate "$m") $(field median_ms "$m") $(field p99_ms "$m") $(field rate "$f") $(field median_ms "$f") $(field p99_ms "$f") $(field rejected "$m")/$(field messages "$m") $(field rejected "$f")/$(field messages "$f") $(field failed "$m") $(field failed "$f")" >>"$rows"
done

# Memory per connection: 16 sessions each stopped in the middle of a body.
hold() {
	size_kb=$1
	python3 -c "import sys; sys.stdout.write('From: a@example.invalid\nSubject: hold\n\n' + ('x' * 76 + '\n') * ($size_kb * 1024 // 77))" >"$work/hold.eml"
	for _ in $(seq 16); do
		"$MILTER_CLIENT" --no-eom --hold 6 "$sock" "$work/hold.eml" >/dev/null &
	done
	sleep 4
	status VmRSS
	wait
}
rss_idle=$(status VmRSS)
say "bench: memory, 16 connections holding 200 KB bodies"
rss_small=$(hold 200)
say "bench: memory, 16 connections holding 20 MB bodies"
rss_big=$(hold 20480)
hwm_before=$(status VmHWM)
say "bench: one $HUGE MiB message"
python3 -c "
import sys
sys.stdout.write('From: a@example.invalid\nSubject: huge\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n')
line = 'QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n'
sys.stdout.write(line * ($HUGE * 1048576 // len(line)))" >"$work/huge.eml"
huge_out=$("$MILTER_CLIENT" "$sock" "$work/huge.eml")
rm -f "$work/huge.eml"
hwm_after=$(status VmHWM)

echo "## spoolguard milter vs check forked per message"
echo
echo "Mix: $MIX generated messages ($mix_mb MB), sent round-robin; milter over $sock,"
echo "one connection per message; fork: \`spoolguard check -Q\` per message, file on stdin."
echo
echo "| connections | milter msg/s | median ms | p99 ms | fork msg/s | median ms | p99 ms | milter / fork (msg/s) | rejected (milter, fork) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
awk '{ printf "| %d | %.0f | %.2f | %.2f | %.1f | %.2f | %.2f | %.1fx | %s, %s |\n", $1, $2, $3, $4, $5, $6, $7, ($5 > 0 ? $2 / $5 : 0), $8, $9 }' "$rows"
echo
awk '$10 != 0 || $11 != 0 { print "NOT COMPARABLE: " $10 " milter and " $11 " fork messages failed at concurrency " $1 }' "$rows"
echo "| memory | value |"
echo "|---|---:|"
echo "| milter RSS idle | $((rss_idle / 1024)) MiB |"
echo "| RSS per connection, 16 holding 200 KB bodies | $(((rss_small - rss_idle) / 16)) KiB |"
echo "| RSS per connection, 16 holding 20 MB bodies | $(((rss_big - rss_idle) / 16)) KiB |"
echo "| peak RSS before / after one $HUGE MiB message | $((hwm_before / 1024)) / $((hwm_after / 1024)) MiB |"
echo
echo "Huge message answer: $(printf '%s' "$huge_out" | head -n 1)"
