#!/bin/sh
# Every action is logged as an MTA logs it: one line per message, the
# queue id first, from=<>, size=, nrcpt=, message-id=, the rules and the
# store id; a summary with every count; a check rejection; a line in an
# Exim message's msglog before it moves (and none with --no-mta-log).
# The lines go to SPOOLGUARD_LOG_FILE (tests/live/syslog-rsyslog.sh sends
# them through a real syslog).
. "$(dirname "$0")/lib.sh"

log="$work/mail.log"
export SPOOLGUARD_LOG_FILE="$log"
t="$SPOOLGUARD_TESTDATA/spool"

# ---- Postfix: one damaged queue file among good ones -----------------
cp -R "$t/postfix" "$work/pf"
mkdir -p "$work/pf/incoming" "$work/pf/active"
cp "$work/pf/derived/BADtype" "$work/pf/deferred/7C985A7678A"
rm -rf "$work/pf/derived" "$work/pf/expected"
expect_rc 1 sg scan --min-age 0 -q "$work/store" "$work/pf"
assert_grep ' spoolguard\[[0-9]*\]: 7C985A7678A: size=0, queue=deferred, verdict=quarantine, action=quarantined, rules=container.unknown-record,container.not-a-message, store=20[0-9]*T[0-9]*Z-[0-9a-f]*$' "$log"
# A warned message: sender, size, recipients, Message-ID, like qmgr.
assert_grep ': 3F3E7AA87BE: from=<alice@spoolguard.test>, size=5303, nrcpt=1, message-id=<20261122042001.3F3E7AA87BE@mx.spoolguard.test>, queue=deferred, verdict=warn, action=none, rules=mime.encoded-line-length$' "$log"
# Clean messages are not logged; the summary has every count.
[ "$(grep -c 'verdict=' "$log")" -eq 2 ] || fail "clean messages were logged"
assert_grep ': scan done: seen=7, examined=7, clean=5, warned=1, quarantined=1, held=0, kept=0, unchanged=0, young=0, busy=0, vanished=0, skipped=0, errors=0, seconds=' "$log"
# The store id in the log is the entry's.
id=$(sed -n 's/.*7C985A7678A: .*store=\([^ ,]*\)$/\1/p' "$log")
[ -d "$(find "$work/store" -type d -name "$id")" ] || fail "no entry $id"

# ---- --no-syslog: nothing at all -------------------------------------
: >"$log"
cp "$t/postfix/derived/BADtype" "$work/pf/deferred/7C985A7678B"
expect_rc 1 sg scan --no-syslog --min-age 0 -q "$work/store" "$work/pf"
[ ! -s "$log" ] || fail "--no-syslog logged: $(cat "$log")"

# ---- Exim: the msglog says it before the message moves --------------
cp -R "$t/exim" "$work/ex"
rm -rf "$work/ex/corrupt"
id=1xUyrX-0002id-2I
before=$(wc -l <"$work/ex/msglog/$id")
printf '[profile]\ndescription=tiny\ninclude=default\n[message.size]\nsoft=none\nhard=100\n' >"$work/tiny.rules"
: >"$log"
expect_rc 1 sg scan -r "$work/tiny.rules" --min-age 0 -q "$work/store2" "$work/ex"
msglog=$(find "$work/store2" -path "*/files/$id" -type f)
[ -f "$msglog" ] || fail "msglog $id not in the store"
[ "$(wc -l <"$msglog")" -eq $((before + 1)) ] || fail "no line added to the msglog"
tail -n 1 "$msglog" | grep -q '^20[0-9-]* [0-9:]* spoolguard: moving the message to its quarantine (verdict=quarantine, rules=message.size)$' ||
	fail "msglog line: $(tail -n 1 "$msglog")"
# The report's sha256 is of the file as stored, line and all.
entry=$(dirname "$(dirname "$msglog")")
want=$(sha256sum "$msglog" | cut -d' ' -f1)
assert_grep "$want" "$entry/report.json"
assert_grep ": $id: from=<alice@spoolguard.test>, size=365, nrcpt=1, message-id=<E1xUyrX-0002id-2I@spoolguard.test>, queue=input, verdict=quarantine, action=quarantined, rules=message.size, store=" "$log"
# --no-mta-log: the msglog is moved byte for byte.
cp -R "$t/exim" "$work/ex2"
rm -rf "$work/ex2/corrupt"
cp "$work/ex2/msglog/$id" "$work/msglog.orig"
expect_rc 1 sg scan --no-mta-log -r "$work/tiny.rules" --min-age 0 -q "$work/store3" "$work/ex2"
cmp -s "$(find "$work/store3" -path "*/files/$id" -type f)" "$work/msglog.orig" ||
	fail "--no-mta-log changed the msglog"

# ---- --action hold: the MTA's own hold, logged the same way ---------
cp -R "$t/postfix" "$work/pfh"
mkdir -p "$work/pfh/incoming" "$work/pfh/active"
cp "$work/pfh/derived/BADtype" "$work/pfh/deferred/7C985A7678C"
rm -rf "$work/pfh/derived" "$work/pfh/expected"
: >"$log"
expect_rc 1 sg scan --action hold --min-age 0 "$work/pfh"
[ -f "$work/pfh/hold/7C985A7678C" ] || fail "not held in hold/"
# queue= is where it now is, as postsuper -h leaves it.
assert_grep ': 7C985A7678C: size=0, queue=hold, verdict=quarantine, action=held, rules=container.unknown-record,container.not-a-message$' "$log"
assert_grep ': scan done: .*quarantined=0, held=1, ' "$log"
cp -R "$t/exim" "$work/exh"
rm -rf "$work/exh/corrupt"
: >"$log"
expect_rc 1 sg scan --action hold -r "$work/tiny.rules" --min-age 0 "$work/exh"
assert_grep ": $id: from=<alice@spoolguard.test>, size=365, nrcpt=1, message-id=<E1xUyrX-0002id-2I@spoolguard.test>, queue=input, verdict=quarantine, action=held, rules=message.size\$" "$log"
tail -n 1 "$work/exh/msglog/$id" | grep -q '^20[0-9-]* [0-9:]* spoolguard: freezing the message (verdict=quarantine, rules=message.size)$' ||
	fail "msglog hold line: $(tail -n 1 "$work/exh/msglog/$id")"

# ---- check: a rejection is logged, an acceptance is not --------------
: >"$log"
expect_rc 65 sg check "$t/postfix/derived/BADtype"
expect_rc 0 sg check "$SPOOLGUARD_TESTDATA/demo/iis/Pickup/0001-envelope-ok.eml"
[ "$(grep -c 'action=' "$log")" -eq 1 ] || fail "check logged $(cat "$log")"
assert_grep 'BADtype: size=[0-9]*, verdict=quarantine, action=reject, rules=' "$log"
expect_rc 65 sg check --no-syslog "$t/postfix/derived/BADtype"
[ "$(grep -c 'action=' "$log")" -eq 1 ] || fail "check --no-syslog logged"
# An MTA's filter passes the queue id: the line starts with it.
: >"$log"
expect_rc 65 sg check --queue-id 4F9D195432 - <"$t/postfix/derived/BADtype"
assert_grep ' spoolguard\[[0-9]*\]: 4F9D195432: size=[0-9]*, verdict=quarantine, action=reject, rules=' "$log"
expect_rc 64 sg check --queue-id '../x' - <"$t/postfix/derived/BADtype"

# spoolguard.conf: notify, sendmail and mta-log are keys of [scan].
printf '[scan]\nnotify=not an address\n' >"$work/bad.conf"
expect_rc 78 env SPOOLGUARD_CONFIG="$work/bad.conf" "$SPOOLGUARD_BIN" scan --no-syslog --min-age 0 -n "$work/pf"
assert_grep 'not a mail address' "$work/err"
cp -R "$t/exim" "$work/ex3"
rm -rf "$work/ex3/corrupt"
cp "$work/ex3/msglog/$id" "$work/msglog3.orig"
printf '[scan]\nnotify=postmaster@example.org\nsendmail=/bin/false\nmta-log=no\n' >"$work/good.conf"
expect_rc 1 env SPOOLGUARD_CONFIG="$work/good.conf" "$SPOOLGUARD_BIN" scan --no-syslog -r "$work/tiny.rules" --min-age 0 -q "$work/store4" "$work/ex3"
assert_grep 'notification mail: /bin/false' "$work/err"
cmp -s "$(find "$work/store4" -path "*/files/$id" -type f)" "$work/msglog3.orig" ||
	fail "mta-log=no changed the msglog"
