#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# options.sh - options as admins type them: glued short values (-j2,
# -q/dir, -fjson, -ppostfix), --opt=value and --opt value, clusters
# (-nj2), in every subcommand; and errors that name the option at fault.
. "$(dirname "$0")/lib.sh"

d="$SPOOLGUARD_TESTDATA/demo"
ok="$d/iis/Pickup/0001-envelope-ok.eml"
bad="$d/iis/Queue/NTFS_0003-nul-header.EML"
cp "$SPOOLGUARD_RULES_DIR/postfix.rules" "$work/pf.rules"
printf '[profile]\ninclude=default\n[header.nul]\nseverity=warn\n' \
	>"$work/lax.rules"

# ---- scan: every value option glued, with =, and apart -----------------
n=0
for form in "-q%s" "--quarantine=%s" "--quarantine %s"; do
	n=$((n + 1))
	make_spool "$work/s$n"
	# shellcheck disable=SC2046
	expect_rc 1 sg scan --no-syslog --min-age=0 \
		$(printf -- "$form" "$work/store$n") "$work/s$n/iis"
	[ -n "$(find "$work/store$n" -name report.json)" ] ||
		fail "scan $form: nothing in $work/store$n"
	assert_no_file "$work/s$n/iis/Queue/NTFS_0003-nul-header.EML"
done
make_spool "$work/spool"
for args in "-j2" "--jobs=2" "-nj2" "-nQj2" "-j 2"; do
	# shellcheck disable=SC2086
	expect_rc 1 sg scan -n --no-syslog --min-age=0 $args "$work/spool/iis"
done
expect_rc 1 sg scan -nfjson --no-syslog --min-age=0 "$work/spool/iis"
assert_grep '"summary"' "$work/out"
expect_rc 1 sg scan -n --format=json --no-syslog --min-age=0 "$work/spool/iis"
assert_grep '"summary"' "$work/out"
expect_rc 1 sg scan -nppostfix --no-syslog --min-age=0 "$work/spool/iis"
assert_grep 'NTFS_0003' "$work/out"
expect_rc 0 sg scan -nr"$work/lax.rules" --no-syslog --min-age=0 "$work/spool/iis/Queue"
expect_rc 0 sg scan -n --rules="$work/lax.rules" --no-syslog --min-age=0 "$work/spool/iis/Queue"
expect_rc 1 sg scan -anone --no-syslog --min-age=0 "$work/spool/iis/Queue"
assert_grep '(kept)' "$work/out"
assert_file "$work/spool/iis/Queue/NTFS_0003-nul-header.EML"
expect_rc 1 sg scan --action=none --no-syslog --min-age=0 "$work/spool/iis/Queue"
assert_grep '(kept)' "$work/out"
# --min-age=1d: the fresh copy is too young to be judged.
expect_rc 0 sg scan -n --no-syslog --min-age=1d "$work/spool/iis/Queue"
expect_rc 0 sg scan -n --no-syslog --state="$work/state" --min-age=0 "$work/spool/iis/Pickup/0001-envelope-ok.eml"
assert_file "$work/state"
expect_rc 1 sg scan -n --no-syslog --metrics="$work/m.prom" --min-age=0 "$work/spool/iis/Queue"
assert_file "$work/m.prom"

# ---- check and inspect -------------------------------------------------
expect_rc 65 sg check -fjson "$bad"
assert_grep '"rule" *: *"header.nul"' "$work/out"
expect_rc 65 sg check --format=json "$bad"
assert_grep '"rule" *: *"header.nul"' "$work/out"
expect_rc 0 sg check -r"$work/lax.rules" "$bad"
expect_rc 0 sg check --rules="$work/lax.rules" "$bad"
expect_rc 0 sg check -ppostfix -fjson "$ok"
assert_grep '"profile" *: *"postfix"' "$work/out"
expect_rc 0 sg check --profile=postfix -Q "$ok"
expect_rc 65 sg check -Qpdefault "$bad"
# -Q prints the one-line reason and nothing else
[ "$(wc -l <"$work/out")" -eq 1 ] || fail "check -Qpdefault printed more than one line"
expect_rc 0 sg inspect -fjson "$ok"
assert_grep '"headers"' "$work/out"
expect_rc 0 sg inspect -ppostfix --format=json -r"$work/pf.rules" "$ok"
assert_grep '"profile" *: *"pf"' "$work/out"

# ---- quarantine ----------------------------------------------------------
expect_rc 0 sg quarantine -q"$work/store1" list
id=$(awk '/NTFS_0003/ { print $1 }' "$work/out")
[ -n "$id" ] || fail "quarantine -qDIR list printed no entry"
expect_rc 0 sg quarantine --quarantine="$work/store1" show "$id"
assert_grep 'header.nul' "$work/out"
mkdir "$work/back"
expect_rc 0 sg quarantine -q"$work/store1" release --to="$work/back" "$id"
assert_file "$work/back/NTFS_0003-nul-header.EML"
expect_rc 0 sg quarantine -q"$work/store2" purge --older-than=1d
assert_grep 'purged 0' "$work/out"

# ---- rules -----------------------------------------------------------------
expect_rc 0 sg rules lint -- "$work/lax.rules"

# ---- errors name the option at fault -------------------------------------
expect_rc 64 sg scan -j -n "$work/spool"
assert_grep '\-j (--jobs) needs a value' "$work/err"
assert_grep "'-n' is an option" "$work/err"
expect_rc 64 sg scan --quarantine -n "$work/spool"
assert_grep '\-\-quarantine needs a value' "$work/err"
# Nothing was created under the name of the option taken for a value.
assert_no_file ./-n
expect_rc 64 sg scan -jx "$work/spool"
assert_grep 'for -j' "$work/err"
expect_rc 64 sg scan --jobs=x "$work/spool"
assert_grep 'for --jobs' "$work/err"
expect_rc 64 sg check -x "$ok"
assert_grep 'Unknown option -x' "$work/err"
expect_rc 64 sg check "$ok" -f
assert_grep 'Missing argument for -f' "$work/err"
expect_rc 64 sg check -fxml "$ok"
assert_grep "unknown format 'xml'" "$work/err"
# A value that starts with '-' goes glued or after '='.
mkdir "$work/-dash"
expect_rc 0 sg scan -n --no-syslog --min-age=0 --quarantine=-q-store "$work/-dash"
expect_rc 0 sg scan -n --no-syslog --min-age=0 -q-q-store "$work/-dash"
# "--" ends the options: a file named like one is a file.
cp "$ok" "$work/-Q"
(cd "$work" && expect_rc 0 sg check -- -Q && assert_grep 'accept' "$work/out")
