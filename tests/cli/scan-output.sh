#!/bin/sh
# Output that does what it says: -Q in JSON prints only what must go (and
# errors, and the summary); names print as UTF-8 under a UTF-8 locale and
# as \xNN under C, never with their control bytes; a progress line on a
# terminal's stderr (tested under a pseudo-terminal), none with -Q and
# none when stderr is not a terminal.
. "$(dirname "$0")/lib.sh"

make_spool "$work/spool"
# A name with UTF-8 and one with an escape sequence in it.
e=$(printf '\303\250')
cp "$work/spool/iis/Pickup/0001-envelope-ok.eml" "$work/spool/iis/Pickup/caf$e.eml"
cp "$work/spool/iis/Queue/NTFS_0003-nul-header.EML" "$work/spool/iis/Queue/b$e$(printf '\033')[31md.eml"

# ---- -Q with JSON: the messages that must go, and the summary --------
expect_rc 1 sg scan --no-syslog --min-age 0 -n -Q -f json "$work/spool"
lines=$(wc -l <"$work/out")
[ "$lines" -eq 5 ] || fail "-Q -f json printed $lines lines, want 4 + summary"
grep -v '"summary"' "$work/out" | grep -qv '"verdict":"quarantine"' &&
	fail "-Q -f json printed a message that may stay"
assert_grep '"summary":{"seen":9' "$work/out"
# Without -Q, JSON has every message.
expect_rc 1 sg scan --no-syslog --min-age 0 -n -f json "$work/spool"
[ "$(grep -c '"message"' "$work/out")" -eq 9 ] || fail "JSON without -Q"

# ---- names and the locale --------------------------------------------
expect_rc 1 env LC_ALL=C.UTF-8 "$SPOOLGUARD_BIN" scan --no-syslog --min-age 0 -n -v "$work/spool/iis"
assert_grep "caf$e.eml: clean" "$work/out"
assert_grep "b$e\\\\x1b\[31md.eml: quarantine" "$work/out"
expect_rc 1 env LC_ALL=C "$SPOOLGUARD_BIN" scan --no-syslog --min-age 0 -n -v "$work/spool/iis"
assert_grep 'caf\\xc3\\xa8.eml: clean' "$work/out"
assert_grep 'b\\xc3\\xa8\\x1b\[31md.eml: quarantine' "$work/out"
LC_ALL=C grep -q "$(printf '[\200-\377\033]')" "$work/out" && fail "raw bytes under LC_ALL=C"
# JSON is UTF-8 whatever the locale.
expect_rc 1 env LC_ALL=C "$SPOOLGUARD_BIN" scan --no-syslog --min-age 0 -n -f json "$work/spool/iis"
assert_grep "\"caf$e.eml\"" "$work/out"
# Messages on stderr too.
expect_rc 66 env LC_ALL=C "$SPOOLGUARD_BIN" inspect "$work/caf$e-missing.eml"
assert_grep 'caf\\xc3\\xa8-missing.eml' "$work/err"

# ---- a progress line on a terminal -----------------------------------
command -v python3 >/dev/null || {
	echo "SKIP: no python3 for the pseudo-terminal part"
	exit 0
}
mkdir "$work/many"
i=0
while [ $i -lt 300 ]; do
	printf 'From: a@example.org\nSubject: %s\n\nbody\n' $i >"$work/many/m$i.eml"
	i=$((i + 1))
done
pty="python3 $(dirname "$0")/ptyrun.py"
$pty "$work/pty.out" "$SPOOLGUARD_BIN" scan --no-syslog --min-age 0 -n -j 2 "$work/many" >"$work/pty.tty" ||
	fail "scan under a pty failed"
# Redrawn in place, with count, rate and elapsed time; gone at the end.
grep -q "$(printf '\r\033\\[K')spoolguard: [0-9,]* done, [0-9,]*/s, 0:[0-9][0-9] elapsed" "$work/pty.tty" ||
	fail "no progress line on the terminal: $(od -c "$work/pty.tty" | head)"
tail -c 4 "$work/pty.tty" | od -c | grep -q '\\r 033   \[   K' ||
	fail "the progress line is not taken away at the end"
# The report on stdout has no trace of it.
grep -q 'done, ' "$work/pty.out" && fail "progress on stdout"
assert_grep '300 examined: 300 clean' "$work/pty.out"
# -Q: no progress line.
$pty "$work/pty2.out" "$SPOOLGUARD_BIN" scan -Q --no-syslog --min-age 0 -n "$work/many" >"$work/pty2.tty" ||
	fail "scan -Q under a pty failed"
grep -q 'done, ' "$work/pty2.tty" && fail "-Q drew a progress line"
# Not a terminal: none either.
sg scan --no-syslog --min-age 0 -n "$work/many" >"$work/out" 2>"$work/err" || true
grep -q 'done, ' "$work/err" && fail "progress line on a pipe"
exit 0
