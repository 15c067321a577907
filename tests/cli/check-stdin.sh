#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-stdin.sh - `check -` reads at most the profile's message.size hard
# limit (one byte more and it stops, rejects with a message.size finding
# and leaves the rest unread), and its copy of standard input never has a
# name in $TMPDIR: not while it reads, not after SIGTERM.
. "$(dirname "$0")/lib.sh"

tmp="$work/tmp"
mkdir -p "$tmp"
export TMPDIR="$tmp"
assert_tmp_empty() {
	[ -z "$(ls -A "$tmp")" ] || {
		ls -la "$tmp" >&2
		fail "$1: something was left in TMPDIR"
	}
}
cat >"$work/small.rules" <<'RULES'
[profile]
include = default
[message.size]
soft = 50000
hard = 100000
RULES
# A legitimate message of exactly N bytes.
message_of() {
	awk -v n="$1" 'BEGIN {
		h = "From: a@example.org\nTo: b@example.org\nSubject: size\n\n";
		printf "%s", h; left = n - length(h);
		while (left > 0) {
			k = left > 70 ? 70 : left;
			line = sprintf("%*s", k - 1, ""); gsub(/ /, "x", line);
			if (k == 1) line = "";
			printf "%s\n", line; left -= k;
		}
	}'
}

# At the limit: read whole and judged (a soft-limit warning only).
message_of 100000 >"$work/at-limit.eml"
[ "$(wc -c <"$work/at-limit.eml")" -eq 100000 ] || fail "generator"
expect_rc 0 sg check -r "$work/small.rules" - <"$work/at-limit.eml"
assert_grep 'message.size' "$work/out"
assert_no_grep 'stopped reading' "$work/out"
# One byte over: rejected, the finding names the byte where it stopped.
message_of 100001 >"$work/over.eml"
expect_rc 65 sg check -r "$work/small.rules" - <"$work/over.eml"
assert_grep '<stdin>:100000: *quarantine *message.size' "$work/out"
assert_grep 'more than 100000 bytes' "$work/out"
# The same file named on the command line is judged whole, as before.
expect_rc 65 sg check -r "$work/small.rules" "$work/over.eml"
assert_no_grep 'stopped reading' "$work/out"
assert_tmp_empty "a message over the limit"

# Endless input: cut at the limit, answered at once.
expect_rc 65 timeout 60 "$SPOOLGUARD_BIN" check -r "$work/small.rules" - </dev/zero
assert_grep 'message.size' "$work/out"
expect_rc 65 timeout 60 "$SPOOLGUARD_BIN" check -r "$work/small.rules" \
	--format json - </dev/zero
assert_grep '"observed":100001' "$work/out"
# A writer on a pipe is not waited for: the rest stays unread and the
# writer sees a broken pipe (here `yes` ends with SIGPIPE).
rc=0
yes | timeout 60 "$SPOOLGUARD_BIN" check -Q -r "$work/small.rules" - \
	2>"$work/err" || rc=$?
[ "$rc" -eq 65 ] || fail "yes | check - exited $rc, expected 65"
assert_tmp_empty "endless input"

# SIGTERM while stdin is being read (an MTA's filter timeout): nothing
# is left in TMPDIR, and nothing had a name there while it ran.
mkfifo "$work/fifo"
"$SPOOLGUARD_BIN" check - <"$work/fifo" >"$work/out" 2>"$work/err" &
pid=$!
exec 3>"$work/fifo"
head -c 20000 "$work/over.eml" >&3
held=""
for _ in $(seq 1 200); do
	held=$(ls -l "/proc/$pid/fd" 2>/dev/null | grep -F "$tmp/" || true)
	[ -n "$held" ] && break
	sleep 0.05
done
[ -n "$held" ] || fail "check - never opened its copy in TMPDIR"
assert_tmp_empty "while reading stdin"
kill -TERM "$pid"
set +e
wait "$pid"
status=$?
set -e
exec 3>&-
[ "$status" -eq 143 ] || fail "check - ended with $status, not by SIGTERM"
assert_tmp_empty "after SIGTERM"
