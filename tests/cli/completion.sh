#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# completion.sh - the bash completion (completion/spoolguard), driven as
# bash drives it (COMP_WORDS, COMP_CWORD, then COMPREPLY): commands,
# options from each command's --help, profile names, and the ids of a
# quarantine store, including the store named with -q.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/../../completion/spoolguard"

# complete WORD...: completes the last WORD; the answers go to $work/out.
complete_words() {
	COMP_WORDS=("$SPOOLGUARD_BIN" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	set +eu
	_spoolguard
	set -eu
	printf '%s\n' "${COMPREPLY[@]}" >"$work/out"
}

complete_words qu
assert_grep '^quarantine$' "$work/out"
complete_words scan --min
assert_grep '^--min-age$' "$work/out"
complete_words check -
assert_grep '^--profile$' "$work/out"
assert_grep '^--config$' "$work/out"
complete_words check -p po
assert_grep '^postfix$' "$work/out"
complete_words rules show ex
assert_grep '^exchange-online$' "$work/out"
complete_words scan --format = j
assert_grep '^json$' "$work/out"
complete_words quarantine f
assert_grep '^fsck$' "$work/out"
# Every command of `spoolguard --help`, and --config before one.
cmds=$(sg --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ "$(echo "$cmds" | wc -l)" -ge 7 ] || fail "commands in --help: $cmds"
for c in $cmds; do
	complete_words "${c%?}"
	assert_grep "^$c\$" "$work/out"
done
complete_words --con
assert_grep '^--config$' "$work/out"
printf '[scan]\n' >"$work/my.conf"
complete_words --config "$work/my.c"
assert_grep "^$work/my.conf\$" "$work/out"
complete_words --config "$work/my.conf" sc
assert_grep '^scan$' "$work/out"
complete_words --config = "$work/my.conf" check -p po
assert_grep '^postfix$' "$work/out"

# Quarantine ids, from the store -q names (and from the default one).
make_spool "$work/spool"
store="$work/store"
expect_rc 1 sg scan --no-syslog --min-age 0 -q "$store" "$work/spool/iis"
sg quarantine -q "$store" list | awk '{ print $1 }' >"$work/ids"
[ "$(wc -l <"$work/ids")" -eq 2 ] || fail "expected two entries"
first=$(head -n 1 "$work/ids")
second=$(tail -n 1 "$work/ids")
complete_words quarantine -q "$store" show ''
assert_grep "^$first\$" "$work/out"
assert_grep "^$second\$" "$work/out"
complete_words quarantine "-q$store" release ''
assert_grep "^$first\$" "$work/out"
complete_words quarantine --quarantine = "$store" show ''
assert_grep "^$second\$" "$work/out"
# A prefix narrows to the one id.
prefix=${second%?}
complete_words quarantine -q "$store" show "$prefix"
[ "$(cat "$work/out")" = "$second" ] || fail "prefix $prefix gave: $(cat "$work/out")"
SPOOLGUARD_QUARANTINE="$store" complete_words quarantine show ''
assert_grep "^$first\$" "$work/out"
