#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# fuzz-ci.sh - every libFuzzer harness for about a minute, as a test of
# `make check`, so that a crash blocks a landing.  Only with
# SPOOLGUARD_FUZZ=1 (CI sets it; scripts/setup.sh then installs clang and
# libFuzzer); skipped (77) otherwise.  The harnesses need clang and an
# instrumented library, so this makes a build of its own in
# tests/fuzz-ci/ under the build directory (configure CC=clang
# --enable-fuzzing --enable-sanitizers, kept for the next run), then runs
# tests/fuzz/run-fuzz.sh with FUZZ_SECONDS=${FUZZ_CI_SECONDS:-60}.
set -u
if [ "${SPOOLGUARD_FUZZ:-0}" != 1 ]; then
	echo "SKIP: fuzzing runs with SPOOLGUARD_FUZZ=1 (as CI does)"
	exit 77
fi
src=$(cd "$(dirname "$0")/../.." && pwd)
build="$PWD/tests/fuzz-ci"
cc=${FUZZ_CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "ERROR: SPOOLGUARD_FUZZ=1 but no $cc (scripts/setup.sh installs it)"
	exit 99
fi
mkdir -p "$build"
cd "$build" || exit 99
if [ ! -f Makefile ] || [ "$src/configure" -nt Makefile ]; then
	"$src/configure" -q CC="$cc" CFLAGS="-g -O1" \
		--enable-fuzzing --enable-sanitizers || {
		echo "ERROR: configure for fuzzing failed (see $build/config.log)"
		exit 99
	}
fi
targets=$(sed -n 's/^\(fuzz-[^[:space:]]*\).*/tests\/fuzz\/\1/p' \
	"$src/tests/fuzz/harnesses")
# shellcheck disable=SC2086
make -s -j"${JOBS:-2}" $targets || {
	echo "ERROR: building the harnesses failed"
	exit 99
}
FUZZ_SECONDS=${FUZZ_CI_SECONDS:-60} FUZZ_WORK="$build/work" \
	sh "$src/tests/fuzz/run-fuzz.sh" "$build" "$src"
