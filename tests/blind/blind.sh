#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# blind.sh - the blind set (gen-blind.sh) under the default profile: one
# scan must move every hostile message into the store byte for byte (same
# sha256) with the expected rule in its report, leave every legitimate one
# (and maildir tmp/, .BDR reports) untouched, and exit 1; `check` must
# accept each legitimate message and reject each hostile one, from a file
# and from stdin.  Every miss is listed before the test fails.  Messages
# of kind "mime" are hostile only to the MIME checks: set SG_BLIND_MIME=1
# to assert them (a build with the mime branch merged).
. "$(dirname "$0")/../cli/lib.sh"

sh "$(dirname "$0")/gen-blind.sh" "$work/spool"
manifest="$work/MANIFEST"
mv "$work/spool/MANIFEST" "$manifest"
cp -R "$work/spool" "$work/orig"
store="$work/store"

expect_rc 1 sg scan --no-syslog --min-age 0 -Q -q "$store" \
	"$work/spool/plain" "$work/spool/iis" "$work/spool/maildir"
cp "$work/out" "$work/scan.out"
cp "$work/err" "$work/scan.err"

legit_moved=0
hostile_missed=0
bad=0
miss() {
	echo "MISS: $*" >&2
	bad=$((bad + 1))
}
sum() { sha256sum <"$1" | cut -d' ' -f1; }

while read -r f kind rule; do
	base=$(basename "$f")
	q=$(find "$store" -path '*/files/*' -name "$base" -type f 2>/dev/null)
	if [ "$kind" = mime ]; then
		# Hostile only to a build with the MIME checks.
		[ "${SG_BLIND_MIME:-0}" = 1 ] || continue
		kind=hostile
	fi
	case $kind in
	legit | keep)
		if [ ! -f "$work/spool/$f" ]; then
			legit_moved=$((legit_moved + 1))
			miss "$kind $f moved"
		elif [ "$(sum "$work/spool/$f")" != "$(sum "$work/orig/$f")" ]; then
			miss "$kind $f changed in the spool"
		fi
		[ -z "$q" ] || miss "$kind $f is in the store"
		;;
	hostile)
		if [ -f "$work/spool/$f" ]; then
			hostile_missed=$((hostile_missed + 1))
			miss "hostile $f not moved (want $rule)"
			continue
		fi
		if [ "$(echo "$q" | grep -c .)" -ne 1 ]; then
			miss "hostile $f not exactly once in the store"
			continue
		fi
		[ "$(sum "$q")" = "$(sum "$work/orig/$f")" ] ||
			miss "hostile $f changed in the store"
		report=$(dirname "$(dirname "$q")")/report.json
		found=no
		for r in $(echo "$rule" | tr '|' ' '); do
			grep -q "\"$r\"" "$report" && found=yes
		done
		[ $found = yes ] || miss "hostile $f: no $rule in its report"
		;;
	esac
	[ "$kind" = keep ] && continue
	want=0
	[ "$kind" = hostile ] && want=65
	set +e
	sg check -Q "$work/orig/$f"
	got=$?
	sg check -Q <"$work/orig/$f"
	got_stdin=$?
	set -e
	[ "$got" -eq "$want" ] || miss "check $kind $f exited $got, want $want"
	[ "$got_stdin" -eq "$want" ] ||
		miss "check $kind $f from stdin exited $got_stdin, want $want"
done <"$manifest"

# Nothing in the store that the manifest does not call hostile.
n_hostile=$(grep -c ' hostile ' "$manifest")
n_store=$(find "$store" -name report.json | wc -l)
if [ "${SG_BLIND_MIME:-0}" = 1 ]; then
	n_hostile=$((n_hostile + $(grep -c ' mime ' "$manifest")))
else
	# Without the MIME checks those may or may not move: not counted.
	for f in $(grep ' mime ' "$manifest" | cut -d' ' -f1); do
		[ -f "$work/spool/$f" ] || n_store=$((n_store - 1))
	done
fi
[ "$n_store" -eq "$n_hostile" ] ||
	miss "store holds $n_store entries, manifest has $n_hostile hostile"

echo "blind set: $(wc -l <"$manifest") messages, $n_hostile hostile;" \
	"legit moved: $legit_moved, hostile missed: $hostile_missed," \
	"misses in all: $bad"
if [ "$bad" -ne 0 ]; then
	echo "--- scan stdout" >&2
	head -50 "$work/scan.out" >&2
	echo "--- scan stderr" >&2
	head -50 "$work/scan.err" >&2
	fail "$bad misses in the blind set"
fi
