#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# config.sh - spoolguard.conf: its defaults apply, the command line and
# the SPOOLGUARD_* variables override them, [spool NAME] sections give a
# bare `scan` its spools with their own profile and action, and a bad file
# is refused with FILE:LINE and exit 78 by `spoolguard config` and by
# every command.
. "$(dirname "$0")/lib.sh"

conf="$work/spoolguard.conf"
unset SPOOLGUARD_CONFIG
d="$SPOOLGUARD_TESTDATA/demo"
printf '[profile]\ninclude=default\n[header.nul]\nseverity=warn\n' \
	>"$work/lax.rules"

# ---- a good file ------------------------------------------------------------
cat >"$conf" <<EOT
# comment
[spoolguard]
quarantine=$work/store
profile=default

[scan]
min-age=1d
jobs=2
action=quarantine
syslog=no
metrics=$work/run.prom
state=$work/scan.state
include-corrupt=no
hold-fallback=none
lock-wait=1
EOT
expect_rc 0 sg config --config="$conf"
assert_grep "^$conf: ok" "$work/out"
assert_grep '^\[scan\] jobs=2 (line 8)' "$work/out"
SPOOLGUARD_CONFIG="$conf" expect_rc 0 sg config
assert_grep "^$conf: ok" "$work/out"
# With no file at the default place, the built-in defaults apply.
expect_rc 0 sg config
# min-age=1d: a fresh spool is too young; the metrics and state files
# named in the file are written.
make_spool "$work/spool"
expect_rc 0 sg scan --config "$conf" "$work/spool/iis"
assert_grep ' 4 young' "$work/out"
assert_file "$work/run.prom"
assert_file "$work/scan.state"
# --config may also stand before the command, either way it is written.
rm -f "$work/run.prom"
expect_rc 0 sg --config "$conf" scan "$work/spool/iis"
assert_grep ' 4 young' "$work/out"
assert_file "$work/run.prom"
expect_rc 0 sg --config="$conf" config
assert_grep "^$conf: ok" "$work/out"
expect_rc 64 sg --config
assert_grep '\-\-config needs a FILE' "$work/err"
expect_rc 64 sg --config "$conf"
assert_grep '\-\-config goes with a COMMAND' "$work/err"
# lock-wait=1: a scan waits a second for the run lock, then gives up.
if command -v flock >/dev/null; then
	flock -o -x "$work/spool/iis" sleep 30 &
	holder=$!
	i=0
	until grep -q "FLOCK .* $holder " /proc/locks; do
		i=$((i + 1))
		[ "$i" -lt 50 ] || fail "flock(1) did not take the lock"
		sleep 0.1
	done
	expect_rc 75 sg scan --config "$conf" "$work/spool/iis"
	assert_grep 'nothing scanned (waited for --lock-wait)' "$work/err"
	kill "$holder"
	wait "$holder" || true
fi
# The command line overrides the file: --min-age=0 judges them; the store
# is the file's (SPOOLGUARD_QUARANTINE unset) ...
(
	unset SPOOLGUARD_QUARANTINE
	expect_rc 1 sg scan --config "$conf" --min-age=0 "$work/spool/iis"
)
[ -n "$(find "$work/store" -name report.json)" ] ||
	fail "the store named in the file got nothing"
assert_no_file "$work/spool/iis/Queue/NTFS_0003-nul-header.EML"
# ... and SPOOLGUARD_QUARANTINE wins over the file.
make_spool "$work/spool2"
expect_rc 1 sg scan --config "$conf" --min-age=0 "$work/spool2/iis"
[ -n "$(find "$SPOOLGUARD_QUARANTINE" -name report.json)" ] ||
	fail "SPOOLGUARD_QUARANTINE did not win over the file"
# A typed -p wins over the file's profile.
SPOOLGUARD_CONFIG="$conf" expect_rc 0 sg check -r "$work/lax.rules" \
	"$d/iis/Queue/NTFS_0003-nul-header.EML"

# ---- [spool NAME]: a bare scan walks them, each with its profile/action -----
make_spool "$work/a"
make_spool "$work/b"
cat >"$work/spools.conf" <<EOT
[spoolguard]
quarantine=$work/store3

[scan]
min-age=0
syslog=no

[spool lax]
path=$work/a/iis
profile=$work/lax.rules

[spool report-only]
path=$work/b/iis
action=none
EOT
(
	unset SPOOLGUARD_QUARANTINE
	expect_rc 1 sg scan --config="$work/spools.conf"
)
# lax: the NUL header only warns, so it stays; the long line goes.
assert_file "$work/a/iis/Queue/NTFS_0003-nul-header.EML"
assert_no_file "$work/a/iis/Pickup/long-line.eml"
# report-only: nothing moves.
assert_file "$work/b/iis/Queue/NTFS_0003-nul-header.EML"
assert_file "$work/b/iis/Pickup/long-line.eml"
assert_grep '(kept)' "$work/out"
[ "$(find "$work/store3" -name report.json | wc -l)" -eq 1 ] ||
	fail "expected exactly one entry in the store"
# A typed -a overrides every spool's action; a typed PATH replaces them.
expect_rc 1 sg scan --config="$work/spools.conf" -n
assert_grep 'b/iis/Pickup/long-line.eml: quarantine (kept)' "$work/out"
expect_rc 1 sg scan --config="$work/spools.conf" -n -aquarantine
assert_grep 'b/iis/Pickup/long-line.eml: quarantine (would-quarantine)' "$work/out"
expect_rc 0 sg scan --config="$work/spools.conf" -n "$d/iis/Pickup"
expect_rc 0 sg config --config="$work/spools.conf"
assert_grep '^\[spool lax\] path=' "$work/out"

# ---- bad files: FILE:LINE and 78, from config and from any command ---------
bad() {
	# bad NAME LINE TEXT: the file $work/NAME.conf is refused at LINE.
	expect_rc 78 sg config --config "$work/$1.conf"
	assert_grep "^$work/$1.conf:$2: .*$3" "$work/err"
	expect_rc 78 sg check --config "$work/$1.conf" "$d/iis/Pickup/0001-envelope-ok.eml"
	assert_grep "^$work/$1.conf:$2: .*$3" "$work/err"
}
printf '[scan]\njobs=2\nwokers=3\n' >"$work/key.conf"
bad key 3 "unknown key 'wokers' in \[scan\]"
printf '[scan]\n\njobs=0\n' >"$work/jobs.conf"
bad jobs 3 "jobs: '0' is not a number from 1 to"
printf '[scan]\nmin-age=soon\n' >"$work/age.conf"
bad age 2 "min-age: 'soon' is not an age"
printf '[scan]\naction=delete\n' >"$work/action.conf"
bad action 2 "'delete' is not quarantine, hold or none"
printf '[scan]\nhold-fallback=hold\n' >"$work/fallback.conf"
bad fallback 2 "hold-fallback: 'hold' is not quarantine or none"
printf '[scan]\nlock-wait=2d\n' >"$work/wait.conf"
bad wait 2 "lock-wait: '2d' is more than a day"
printf '[scan]\nsyslog=maybe\n' >"$work/syslog.conf"
bad syslog 2 "'maybe' is not yes or no"
printf '[spoolguard]\nquarantine=relative/dir\n' >"$work/rel.conf"
bad rel 2 "not an absolute path"
printf '# x\n[milters]\n' >"$work/section.conf"
bad section 2 "unknown section \[milters\]"
printf '[spool x]\nprofile=default\n' >"$work/nopath.conf"
bad nopath 1 "has no path="
printf '[spool a]\npath=/x\n[spool b]\npath=/x\n' >"$work/twice.conf"
bad twice 3 "has the path of \[spool a\]"
printf '[scan]\njobs=2\njobs=3\n' >"$work/dup.conf"
bad dup 3 "appears twice"
printf 'jobs=2\n' >"$work/nogroup.conf"
bad nogroup 1 "before the first \[group\]"
# A profile that does not load: config says where it was named.
printf '[spoolguard]\nprofile=no-such-profile\n' >"$work/prof.conf"
expect_rc 78 sg config --config "$work/prof.conf"
assert_grep "^$work/prof.conf:2: profile: no profile 'no-such-profile'" "$work/err"
expect_rc 78 sg check --config "$work/prof.conf" "$d/iis/Pickup/0001-envelope-ok.eml"
assert_grep "$work/prof.conf:2: profile: no profile" "$work/err"
printf '[spool a]\npath=/x\nprofile=nope\n' >"$work/sprof.conf"
expect_rc 78 sg config --config "$work/sprof.conf"
# The line of its profile=, as for [spoolguard] above, not of [spool a].
assert_grep "^$work/sprof.conf:3: profile: no profile 'nope'" "$work/err"
expect_rc 78 sg scan --config "$work/sprof.conf"
assert_grep "sprof.conf:3: \[spool a\] profile: no profile 'nope'" "$work/err"
# A named file that is missing is an error; --help still works.
expect_rc 78 sg config --config "$work/missing.conf"
assert_grep 'cannot read' "$work/err"
expect_rc 0 sg scan --config "$work/key.conf" --help
# With no PATH and no [spool], scan says so.
expect_rc 64 sg scan --config "$conf"
assert_grep 'no PATH given and no \[spool\]' "$work/err"
