#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run-fuzz.sh BUILDDIR SRCDIR - runs every libFuzzer harness listed in
# SRCDIR/tests/fuzz/harnesses for FUZZ_SECONDS (default 60) each, one
# after another, and prints for each: seconds, executions, executions per
# second, coverage (edges) after the seeds and at the end, features and
# corpus size.  The corpus each harness grows is kept in
# FUZZ_WORK/NAME/corpus (default BUILDDIR/tests/fuzz/work), so a later
# run goes on from it; seeds come from the source tree and from
# CORPORA_DIR (default SRCDIR/../shared/corpora) when it exists.
# FUZZ_ONLY="fuzz-check fuzz-exim" runs only those.  A crash, a leak, an
# input slower than FUZZ_TIMEOUT seconds (default 30) or more than 2 GB of
# memory fails the run: the log's end is shown and the input is kept as
# FUZZ_WORK/NAME/crash-* (or timeout-*, leak-*, oom-*).  Exit status 0
# when every harness ran clean, 1 otherwise.
set -u
build=${1:?usage: run-fuzz.sh BUILDDIR SRCDIR}
src=${2:?usage: run-fuzz.sh BUILDDIR SRCDIR}
secs=${FUZZ_SECONDS:-60}
work=${FUZZ_WORK:-$build/tests/fuzz/work}
corpora=${CORPORA_DIR:-$src/../shared/corpora}
only=${FUZZ_ONLY:-}
timeout=${FUZZ_TIMEOUT:-30}
list="$src/tests/fuzz/harnesses"
failed=0
ran=0

# Readable stacks when the LLVM symbolizer is there.
for s in /usr/lib/llvm-14/bin/llvm-symbolizer /usr/bin/llvm-symbolizer; do
	if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x "$s" ]; then
		ASAN_SYMBOLIZER_PATH=$s
		export ASAN_SYMBOLIZER_PATH
	fi
done
: "${SPOOLGUARD_RULES_DIR:=$src/rules}"
export SPOOLGUARD_RULES_DIR

printf '%-14s %5s %11s %8s %13s %7s %7s\n' harness secs executions 'exec/s' \
	'cov start/end' ft corpus
while read -r name seeds; do
	case $name in '' | '#'*) continue ;; esac
	if [ -n "$only" ]; then
		case " $only " in *" $name "*) ;; *) continue ;; esac
	fi
	bin="$build/tests/fuzz/$name"
	dir="$work/$name"
	log="$dir/log"
	if [ ! -x "$bin" ]; then
		echo "FAIL: $name: $bin is not built (configure CC=clang --enable-fuzzing)"
		failed=1
		continue
	fi
	mkdir -p "$dir/corpus"
	rm -f "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*
	dirs=""
	for s in $seeds; do
		if [ "$s" = @CORPORA@ ]; then
			[ -d "$corpora" ] && dirs="$dirs $corpora"
		else
			dirs="$dirs $src/$s"
		fi
	done
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout="$timeout" -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/" \
		"$dir/corpus" $dirs >"$log" 2>&1
	rc=$?
	ran=$((ran + 1))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	time=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -n 1)
	start=$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | sed 's/ft: //')
	corp=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | sed 's/corp: //')
	rate=-
	if [ -n "${execs:-}" ] && [ "${time:-0}" -gt 0 ] 2>/dev/null; then
		rate=$((execs / time))
	fi
	printf '%-14s %5s %11s %8s %13s %7s %7s\n' "$name" "${time:-?}" \
		"${execs:-?}" "$rate" "${start:-?}/${cov:-?}" "${ft:-?}" "${corp:-?}"
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: $name: libFuzzer exited $rc; end of $log:"
		tail -n 60 "$log"
		ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* 2>/dev/null |
			sed 's/^/  kept input: /'
		failed=1
	fi
done <"$list"
if [ "$ran" -eq 0 ] && [ "$failed" -eq 0 ]; then
	echo "FAIL: no harness ran (FUZZ_ONLY='$only')"
	failed=1
fi
exit "$failed"
