#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The shipped unit (contrib/systemd/spoolguard-milter.service) passes
# `systemd-analyze verify` with ExecStart pointed at the built binary, and
# its ExecStart options are ones `spoolguard milter` accepts.  77 without
# systemd-analyze.
set -eu
: "${SPOOLGUARD_BIN:?run through make check}"
unit=$(cd "$(dirname "$0")/../../contrib/systemd" && pwd)/spoolguard-milter.service
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/sg-unit.XXXXXX")
trap 'rm -rf "$work"' EXIT
sed "s|/usr/bin/spoolguard|$SPOOLGUARD_BIN|" "$unit" >"$work/spoolguard-milter.service"
# Documentation=man:spoolguard(1): the page from the source tree.
mkdir -p "$work/man/man1"
cp "$(dirname "$unit")/../../man/spoolguard.1" "$work/man/man1/"
out=$(MANPATH=$work/man systemd-analyze verify "$work/spoolguard-milter.service" 2>&1) || {
	echo "FAIL: systemd-analyze verify: $out"
	exit 1
}
# Warnings about the unit itself (not about the host's other units).
if printf '%s\n' "$out" | grep "spoolguard-milter.service"; then
	echo "FAIL: systemd-analyze complains about the unit"
	exit 1
fi
# Every option of ExecStart is one the milter knows.
opts=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$unit" | tr ' \t\\' '\n\n\n' | grep '^--' | sed 's/=.*//')
help=$("$SPOOLGUARD_BIN" milter --help)
for o in $opts; do
	printf '%s\n' "$help" | grep -q -- "$o" || { echo "FAIL: unknown option $o in ExecStart"; exit 1; }
done
echo "PASS"
