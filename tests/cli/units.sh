#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# units.sh - the systemd units (gen/, with the real paths): systemd-analyze
# verify finds nothing wrong with them, the service is hardened as
# spoolguard(1) says, and its command, run as the service runs it, scans
# the spools of the configuration file.  Where systemd runs the package
# test starts the real service; skipped (77) without systemd-analyze.
. "$(dirname "$0")/lib.sh"

gen="$(dirname "$SPOOLGUARD_BIN")/gen"
svc="$gen/spoolguard.service"
assert_file "$svc"
assert_file "$gen/spoolguard.timer"
for d in 'Type=oneshot' 'Nice=' 'IOSchedulingClass=idle' \
	'ProtectSystem=strict' 'ReadWritePaths=' 'NoNewPrivileges=yes' \
	'PrivateTmp=yes' 'StateDirectory=spoolguard' 'SuccessExitStatus=1'; do
	assert_grep "^$d" "$svc"
done
assert_grep '^OnUnitInactiveSec=' "$gen/spoolguard.timer"
assert_grep '^WantedBy=timers.target' "$gen/spoolguard.timer"

# The service's command, as systemd would run it (no PATH: the spools of
# the configuration file).
cmd=$(sed -n 's/^ExecStart=//p' "$svc")
case $cmd in
*/spoolguard\ scan\ -Q) ;;
*) fail "unexpected ExecStart=$cmd" ;;
esac
make_spool "$work/spool"
printf '[spoolguard]\nquarantine=%s\n[scan]\nmin-age=0\nsyslog=no\n[spool demo]\npath=%s\n' \
	"$work/store" "$work/spool/iis" >"$work/spoolguard.conf"
(
	unset SPOOLGUARD_QUARANTINE
	SPOOLGUARD_CONFIG="$work/spoolguard.conf"
	export SPOOLGUARD_CONFIG
	# shellcheck disable=SC2086
	expect_rc 1 "$SPOOLGUARD_BIN" ${cmd#* }
)
[ -n "$(find "$work/store" -name report.json)" ] ||
	fail "the service's command quarantined nothing"

if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP: no systemd-analyze"
	exit 77
fi
# verify wants the ExecStart binary to exist: point it at this build.
mkdir "$work/units"
sed "s|^ExecStart=.*/spoolguard |ExecStart=$SPOOLGUARD_BIN |" "$svc" \
	>"$work/units/spoolguard.service"
cp "$gen/spoolguard.timer" "$work/units/"
(cd "$work/units" && systemd-analyze verify --man=no \
	spoolguard.service spoolguard.timer) >"$work/verify" 2>&1 ||
	{ cat "$work/verify" >&2; fail "systemd-analyze verify failed"; }
# Unknown or misspelt directives are only warnings: fail on any output.
[ ! -s "$work/verify" ] || { cat "$work/verify" >&2; fail "systemd-analyze verify complained"; }
echo "systemd-analyze verify: clean"
