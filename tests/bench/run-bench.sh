#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run-bench.sh - the benchmark behind `make bench` (issue 6).
#
# Generates deterministic spools (tests/bench/gen-spool), then times, on the
# same files and with a warm page cache: cat of every file (I/O floor), the
# GMime parsing floor (tests/bench/gmime-floor), Python's email package
# (tests/bench/py-baseline.py, if python3 is there), clamscan --scan-mail
# with an empty signature set (if installed), and `spoolguard scan -n` with
# -j1 and -j2 on plain, Postfix and Exim copies of the same messages; then
# peak RSS on one huge message and on a small and a 10x larger spool of
# small files; and, when scan has --state, a second run against the first.
# Prints a table and the targets; writes it all to $BENCH_RESULTS.
# Nothing is asserted: a person judges.
#
# Environment (defaults finish in a few minutes on 2 cores):
#   BENCH_N=2000        messages in the mixed spool
#   BENCH_HUGE_MB=256   size of the one huge attachment (MiB)
#   BENCH_SMALL=20000   files in the large small-file spool (the other: /10)
#   BENCH_SEED=1        generator seed
#   BENCH_REPEAT=3      runs per figure (the fastest counts; Python once)
#   BENCH_DIR           where spools are generated and kept for reuse
#                       (default ${TMPDIR:-/tmp}/sg-bench)
#   BENCH_RESULTS       results file (default ./bench-results.md)
#   BENCH_ONLY          space-separated subset of: mixed huge small state
#                       milter (tests/bench/milter-bench.sh: its own variables)
set -eu

: "${SPOOLGUARD_BIN:?run through make bench}"
: "${BENCH_TOOLS:?run through make bench}"
: "${BENCH_SRC:?run through make bench}"
N=${BENCH_N:-2000}
HUGE=${BENCH_HUGE_MB:-256}
SMALL=${BENCH_SMALL:-20000}
SMALL_BASE=$((SMALL / 10))
SEED=${BENCH_SEED:-1}
REPEAT=${BENCH_REPEAT:-3}
DATA=${BENCH_DIR:-${TMPDIR:-/tmp}/sg-bench}
RESULTS=${BENCH_RESULTS:-bench-results.md}
ONLY=${BENCH_ONLY:-mixed huge small state milter}
GEN=$BENCH_TOOLS/gen-spool
FLOOR=$BENCH_TOOLS/gmime-floor
RUN=$BENCH_TOOLS/rss-run

work=$(mktemp -d "${TMPDIR:-/tmp}/sg-bench-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
rows=$work/rows
: >"$rows"

say() { printf '%s\n' "$*" >&2; }
want() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# Spools are named after the generator's source hash and parameters, so a
# changed generator or size makes a new one; the old ones can be removed.
genv=$(sha256sum "$BENCH_SRC/gen-spool.c" | cut -c1-10)

# gen NAME ARGS...: makes $DATA/NAME once (NAME.done marks it complete).
gen() {
	name=$1
	shift
	dir=$DATA/$name-$genv
	if [ ! -f "$dir.done" ]; then
		say "bench: generating $name ($*)"
		rm -rf "$dir"
		mkdir -p "$DATA"
		"$GEN" --seed "$SEED" "$@" "$dir" >"$work/gen.out"
		: >"$dir.done"
	fi
	printf '%s\n' "$dir"
}

# Bytes of the files under DIR.
dir_bytes() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d\n", s }'; }

# measure NAME REPS MSGS BYTES CMD...: runs CMD REPS times under rss-run;
# keeps the fastest wall time, the least CPU time (user + system: steadier
# than wall time on a shared machine) and the largest peak RSS.  The
# command's stdout goes to $work/NAME.out.
measure() {
	name=$1 reps=$2 msgs=$3 bytes=$4
	shift 4
	best="" cpu="" rss=0 st=0 i=0
	while [ "$i" -lt "$reps" ]; do
		"$RUN" -o "$work/stat" "$@" >"$work/$name.out" \
			2>"$work/$name.err" || true
		wall="" user=0 sys=0 maxrss_kb=0 status=0
		eval "$(cat "$work/stat")"
		c=$(awk "BEGIN { print $user + $sys }")
		if [ -z "$best" ] || awk "BEGIN { exit !($wall < $best) }"; then
			best=$wall
		fi
		if [ -z "$cpu" ] || awk "BEGIN { exit !($c < $cpu) }"; then
			cpu=$c
		fi
		[ "$maxrss_kb" -gt "$rss" ] && rss=$maxrss_kb
		[ "$status" -ne 0 ] && st=$status
		i=$((i + 1))
	done
	echo "$name $msgs $bytes $best $rss $st $cpu" >>"$rows"
	say "bench: $name: ${best}s (cpu ${cpu}s), peak RSS $((rss / 1024)) MiB, status $st"
}

# Fields of a row: row NAME FIELD (msgs bytes wall rss status).
row() {
	awk -v n="$1" -v f="$2" '$1 == n {
		split("name msgs bytes wall rss status cpu", k, " ")
		for (i = 1; i <= 7; i++) if (k[i] == f) print $i }' "$rows"
}

# check_examined RUN N: a figure counts only if the scan examined all N
# messages; otherwise the table says so and the scan's last words are kept.
check_examined() {
	# "N examined", also after "M unchanged since the last run; "
	got=$(sed -n 's/^\(.*; \)\{0,1\}\([0-9][0-9]*\) examined.*/\2/p' \
		"$work/$1.out" |
		tail -n 1)
	if [ "${got:-0}" -ne "$2" ]; then
		echo "$1 examined ${got:-no} of $2 messages" >>"$work/bad"
		{
			tail -n 3 "$work/$1.out"
			head -n 3 "$work/$1.err"
		} | sed "s/^/    $1: /" >>"$work/notes"
	fi
	tail -n 1 "$work/$1.out" | sed "s/^/    $1: /" >>"$work/summaries"
}

# The scan command line; --no-syslog when this build has it.
sg_args="scan -n --min-age 0 -q $work/store"
if "$SPOOLGUARD_BIN" scan --help 2>/dev/null | grep -q -- '--no-syslog'; then
	sg_args="$sg_args --no-syslog"
fi

has_state=0
if "$SPOOLGUARD_BIN" scan --help 2>/dev/null | grep -q -- '--state'; then
	has_state=1
fi
py=$(command -v python3 || true)
clam=$(command -v clamscan || true)

# ---- the mixed spool: floors, peers, spoolguard, formats ---------------
if want mixed; then
	plain=$(gen "mixed-n$N-s$SEED-plain" -n "$N" -f plain)
	postfix=$(gen "mixed-n$N-s$SEED-postfix" -n "$N" -f postfix)
	exim=$(gen "mixed-n$N-s$SEED-exim" -n "$N" -f exim)
	pb=$(dir_bytes "$plain")
	# Warm the page cache so every figure reads from memory.
	for d in "$plain" "$postfix" "$exim"; do
		find "$d" -type f -exec cat {} + >/dev/null
	done
	measure cat "$REPEAT" "$N" "$pb" \
		sh -c 'find "$1" -type f -exec cat {} + >/dev/null' sh "$plain"
	measure gmime-floor "$REPEAT" "$N" "$pb" "$FLOOR" "$plain"
	if [ -n "$py" ]; then
		measure python 1 "$N" "$pb" "$py" "$BENCH_SRC/py-baseline.py" \
			"$plain"
	fi
	if [ -n "$clam" ]; then
		# An empty signature set: one database that matches nothing.
		mkdir -p "$work/clamdb"
		printf 'sgbench-never:0:*:73706f6f6c67756172642d6e657665722d6d61746368\n' \
			>"$work/clamdb/empty.ndb"
		measure clamscan 1 "$N" "$pb" "$clam" --scan-mail=yes \
			--no-summary -i -r -d "$work/clamdb" "$plain"
	fi
	# shellcheck disable=SC2086
	{
		measure sg-plain-j1 "$REPEAT" "$N" "$pb" \
			"$SPOOLGUARD_BIN" $sg_args -j 1 "$plain"
		measure sg-plain-j2 "$REPEAT" "$N" "$pb" \
			"$SPOOLGUARD_BIN" $sg_args -j 2 "$plain"
		measure sg-postfix-j1 "$REPEAT" "$N" "$(dir_bytes "$postfix")" \
			"$SPOOLGUARD_BIN" $sg_args -j 1 "$postfix"
		measure sg-exim-j1 "$REPEAT" "$N" "$(dir_bytes "$exim")" \
			"$SPOOLGUARD_BIN" $sg_args -j 1 "$exim"
		measure sg-postfix-j2 "$REPEAT" "$N" "$(dir_bytes "$postfix")" \
			"$SPOOLGUARD_BIN" $sg_args -j 2 "$postfix"
		measure sg-exim-j2 "$REPEAT" "$N" "$(dir_bytes "$exim")" \
			"$SPOOLGUARD_BIN" $sg_args -j 2 "$exim"
	}
	for r in sg-plain-j1 sg-plain-j2 sg-postfix-j1 sg-postfix-j2 \
		sg-exim-j1 sg-exim-j2; do
		check_examined "$r" "$N"
	done
fi

# ---- one huge message: memory must not follow the message size ---------
if want huge && [ "$HUGE" -gt 0 ]; then
	huge=$(gen "huge-${HUGE}m-s$SEED" -n 0 --huge-mb "$HUGE" -f plain)
	hb=$(dir_bytes "$huge")
	find "$huge" -type f -exec cat {} + >/dev/null
	measure huge-floor 1 1 "$hb" "$FLOOR" "$huge"
	# shellcheck disable=SC2086
	measure sg-huge-j1 1 1 "$hb" "$SPOOLGUARD_BIN" $sg_args -j 1 "$huge"
	check_examined sg-huge-j1 1
fi

# ---- many small files: memory must not follow the file count -----------
if want small && [ "$SMALL" -gt 0 ]; then
	s1=$(gen "small-$SMALL_BASE-s$SEED" -n "$SMALL_BASE" --small -f plain)
	s2=$(gen "small-$SMALL-s$SEED" -n "$SMALL" --small -f plain)
	for d in "$s1" "$s2"; do
		find "$d" -type f -exec cat {} + >/dev/null
	done
	# shellcheck disable=SC2086
	{
		measure sg-small-base 1 "$SMALL_BASE" "$(dir_bytes "$s1")" \
			"$SPOOLGUARD_BIN" $sg_args -j 2 "$s1"
		measure sg-small-10x 1 "$SMALL" "$(dir_bytes "$s2")" \
			"$SPOOLGUARD_BIN" $sg_args -j 2 "$s2"
	}
	check_examined sg-small-base "$SMALL_BASE"
	check_examined sg-small-10x "$SMALL"
	measure small-floor 1 "$SMALL" "$(dir_bytes "$s2")" "$FLOOR" "$s2"
fi

# ---- incremental: a second run over an unchanged spool -------------------
if want state && want mixed; then
	if [ "$has_state" -eq 1 ]; then
		rm -f "$work/state"
		# shellcheck disable=SC2086
		{
			measure sg-state-first 1 "$N" "$pb" "$SPOOLGUARD_BIN" \
				$sg_args -j 1 --state "$work/state" "$plain"
			measure sg-state-second "$REPEAT" "$N" "$pb" \
				"$SPOOLGUARD_BIN" $sg_args -j 1 --state \
				"$work/state" "$plain"
		}
		check_examined sg-state-first "$N"
		check_examined sg-state-second "$N"
	else
		echo "    state: this spoolguard has no scan --state; skipped" \
			>>"$work/notes"
	fi
fi

# ---- the milter against check forked per message (issue 14) --------------
if want milter; then
	SPOOLGUARD_BIN=$SPOOLGUARD_BIN MILTER_CLIENT=$BENCH_TOOLS/../milter/sg-milter-client \
		GEN=$GEN DATA=$DATA sh "$BENCH_SRC/milter-bench.sh" >"$work/milter"
fi

# ---- report ---------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
target() {
	# target LABEL VALUE OP LIMIT
	ok=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {
		if (v == "n/a") { print "n/a"; exit }
		r = (op == "<=") ? (v <= l) : (v >= l)
		print r ? "met" : "MISSED" }')
	printf '| %s | %s | %s %s | %s |\n' "$1" "$2" "$3" "$4" "$ok"
}
have() { [ -n "$(row "$1" wall)" ]; }

{
	echo "# spoolguard benchmark results"
	echo
	only=""
	[ -n "${BENCH_ONLY:-}" ] && only="BENCH_ONLY='$BENCH_ONLY' "
	echo "Made by: \`${only}BENCH_N=$N BENCH_HUGE_MB=$HUGE BENCH_SMALL=$SMALL" \
		"BENCH_SEED=$SEED BENCH_REPEAT=$REPEAT make bench\`" \
		"on $(date -u +%Y-%m-%dT%H:%MZ)."
	echo
	echo "- machine: $(nproc) CPUs," \
		"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)," \
		"$(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg);" \
		"page cache warm; best of $REPEAT runs" \
		"(Python, clamscan, huge and small: 1 run)"
	echo "- spoolguard: $("$SPOOLGUARD_BIN" --version 2>/dev/null | head -n 1)" \
		"commit $(git -C "$BENCH_SRC" rev-parse --short HEAD 2>/dev/null || echo '?')"
	if [ -n "${BENCH_SANITIZED:-}" ]; then
		echo "- WARNING: built with sanitizers ($BENCH_SANITIZED);" \
			"figures are not representative"
	fi
	[ -n "$py" ] && echo "- python: $("$py" --version 2>&1)" ||
		echo "- python3 absent: Python baseline skipped"
	[ -n "$clam" ] && echo "- clamscan: $("$clam" --version 2>&1 | head -n 1)" ||
		echo "- clamscan absent: ClamAV baseline skipped"
	echo "- generator: tests/bench/gen-spool, seed $SEED (mixed: notes," \
		"10-50 KB multipart/alternative, nested message/rfc822" \
		"forwards, 3% 1-5 MB base64 attachments, 5% 100-400 recipients)"
	echo
	echo "| run | messages | MB | wall s | cpu s | msg/s | MB/s | peak RSS MiB | exit |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk '{ mb = $3 / 1048576; w = ($4 > 0) ? $4 : 0.001
		printf "| %s | %d | %.1f | %.3f | %.3f | %.0f | %.1f | %.1f | %d |\n",
		    $1, $2, mb, $4, $7, $2 / w, mb / w, $5 / 1024, $6 }' "$rows"
	echo
	echo "msg/s and MB/s are per wall-clock second; cpu s is user + system."
	echo
	echo "| target | value | wanted | |"
	echo "|---|---:|---:|---|"
	if have sg-plain-j1 && have gmime-floor; then
		target "-j1 / GMime floor (time)" \
			"$(ratio "$(row sg-plain-j1 wall)" "$(row gmime-floor wall)")" "<=" 1.5
	fi
	if have sg-plain-j1 && have gmime-floor; then
		target "-j1 / GMime floor (cpu)" \
			"$(ratio "$(row sg-plain-j1 cpu)" "$(row gmime-floor cpu)")" "<=" 1.5
	fi
	if have sg-plain-j2; then
		target "-j1 / -j2 (speed-up)" \
			"$(ratio "$(row sg-plain-j1 wall)" "$(row sg-plain-j2 wall)")" ">=" 1.7
	fi
	if have python && have sg-plain-j1; then
		target "Python / -j1 (speed-up)" \
			"$(ratio "$(row python wall)" "$(row sg-plain-j1 wall)")" ">=" 15
	fi
	if have python && have sg-plain-j1; then
		target "Python / -j1 (cpu)" \
			"$(ratio "$(row python cpu)" "$(row sg-plain-j1 cpu)")" ">=" 15
	fi
	if have clamscan && have sg-plain-j1; then
		printf '| %s | %s | %s | %s |\n' "clamscan / -j1 (speed-up)" \
			"$(ratio "$(row clamscan wall)" "$(row sg-plain-j1 wall)")" "" \
			"information"
	fi
	if have cat && have sg-plain-j1; then
		printf '| %s | %s | %s | %s |\n' "-j1 / cat (time)" \
			"$(ratio "$(row sg-plain-j1 wall)" "$(row cat wall)")" "" \
			"information"
	fi
	if have sg-huge-j1; then
		target "peak RSS, one ${HUGE} MiB message (MiB)" \
			"$(ratio "$(row sg-huge-j1 rss)" 1024)" "<=" 64
	fi
	if have sg-small-10x; then
		target "RSS $SMALL files / RSS $SMALL_BASE files" \
			"$(ratio "$(row sg-small-10x rss)" "$(row sg-small-base rss)")" "<=" 1.1
	fi
	if have sg-postfix-j1; then
		target "Postfix / plain, -j1 (time)" \
			"$(ratio "$(row sg-postfix-j1 wall)" "$(row sg-plain-j1 wall)")" "<=" 1.3
		target "Exim / plain, -j1 (time)" \
			"$(ratio "$(row sg-exim-j1 wall)" "$(row sg-plain-j1 wall)")" "<=" 1.3
		target "Postfix / plain, -j1 (cpu)" \
			"$(ratio "$(row sg-postfix-j1 cpu)" "$(row sg-plain-j1 cpu)")" "<=" 1.3
		target "Exim / plain, -j1 (cpu)" \
			"$(ratio "$(row sg-exim-j1 cpu)" "$(row sg-plain-j1 cpu)")" "<=" 1.3
	fi
	if have sg-state-second; then
		target "second run with --state / first (time)" \
			"$(ratio "$(row sg-state-second wall)" "$(row sg-state-first wall)")" "<=" 0.2
		target "second run with --state / first (cpu)" \
			"$(ratio "$(row sg-state-second cpu)" "$(row sg-state-first cpu)")" "<=" 0.2
	fi
	if [ -s "$work/bad" ]; then
		echo
		echo "NOT COMPARABLE (a scan did not examine every message):"
		echo
		sed 's/^/- /' "$work/bad"
	fi
	if [ -s "$work/summaries" ]; then
		echo
		echo "Scan summaries:"
		echo
		cat "$work/summaries"
	fi
	if [ -s "$work/notes" ]; then
		echo
		echo "Notes and scan output:"
		echo
		cat "$work/notes"
	fi
	if want milter; then
		echo
		cat "$work/milter"
	fi
} >"$work/report"
cp "$work/report" "$RESULTS"
cat "$work/report"
say "bench: results in $RESULTS"
