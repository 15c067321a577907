#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# help.sh - every subcommand's --help names the subcommand, prints its
# arguments once, and each long option it lists is in spoolguard(1).
. "$(dirname "$0")/lib.sh"

man="$(dirname "$0")/../../man/spoolguard.1"
assert_file "$man"
for cmd in scan check inspect quarantine rules config milter; do
	expect_rc 0 sg "$cmd" --help
	usage=$(grep -A1 '^Usage:' "$work/out" | tail -1)
	case $usage in
	*"spoolguard $cmd [OPTION"*) ;;
	*) fail "$cmd --help: usage line '$usage' does not name 'spoolguard $cmd'" ;;
	esac
	# "PATH... PATH..." was printed when the argument was given twice.
	args=$(echo "$usage" | sed 's/.*\] //; s/ - .*//')
	[ -n "$args" ] || [ "$cmd" = config ] ||
		fail "$cmd --help: no arguments in '$usage'"
	n=$(echo "$usage" | grep -o -F -- "$args" | wc -l)
	[ "$n" -eq 1 ] || fail "$cmd --help: '$args' printed $n times"
	sed -n 's/^ *\(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' "$work/out" |
		grep -v '^help' >"$work/opts" || true
	while read -r opt; do
		esc=$(echo "$opt" | sed 's/-/\\\\-/g')
		grep -q -- "\\\\-\\\\-$esc" "$man" ||
			fail "$cmd --$opt is not in spoolguard(1)"
	done <"$work/opts"
	[ -s "$work/opts" ] || [ "$cmd" = rules ] || [ "$cmd" = config ] || fail "$cmd --help lists no options"
done
# inspect takes -r like check and scan: the manual says so.
expect_rc 0 sg inspect --help
assert_grep '--rules' "$work/out"
