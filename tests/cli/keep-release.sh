#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check --store and milter --store keep what they reject, with its
# envelope and report; quarantine release gives it back through a
# reinjection command (here a fake sendmail that records its argv and
# standard input): the same bytes, "-f <>" for the null sender, "--"
# before the recipients; refused (65, naming the rule) while it still
# breaks a hard limit unless --force; a failing command keeps the entry
# (75); a message a stricter profile rejected goes back unforced.
. "$(dirname "$0")/lib.sh"

store=$work/store
log=$work/mail.log
export SPOOLGUARD_LOG_FILE="$log"
fake=$work/fake-sendmail
cat >"$fake" <<EOF
#!/bin/sh
for a; do printf '%s\n' "\$a"; done >"$work/argv"
cat >"$work/stdin"
exit \${FAKE_RC:-0}
EOF
chmod 755 "$fake"
printf 'From: a@example.org\r\nTo: b@example.org\r\nSubject: conflict\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\n\r\nbody\r\n' >"$work/bad.eml"
printf 'From: a@example.org\r\nSubject: clean\r\n\r\nhello\r\n' >"$work/clean.eml"
awk 'BEGIN { printf "From: a@example.org\r\nSubject: wide\r\nX-Wide: ";
	for (i = 0; i < 1500; i++) printf "w";
	printf "\r\n\r\nbody\r\n" }' >"$work/wide.eml"

entries() { find "$store" -mindepth 4 -maxdepth 4 -type d -name '2*' | sort; }
one_entry() {
	n=$(entries | wc -l)
	[ "$n" = 1 ] || fail "want one entry in the store, found $n"
	e=$(entries)
	id=$(basename "$e")
}

# A clean message is not kept; a bad one is, with envelope and report.
expect_rc 0 sg check --store -q "$store" -S a@example.org -R b@example.org <"$work/clean.eml"
[ -z "$(entries 2>/dev/null)" ] || fail "a clean message was kept"
expect_rc 65 sg check -Q --store -q "$store" -S '<>' -R b@example.org \
	--recipient=-dash@example.org -R 'c@example.org' --queue-id 4XyZ1 \
	--client 'mx.example.org [192.0.2.1]' <"$work/bad.eml"
assert_grep '^header.conflicting: ' "$work/out"
one_entry
cmp "$e/files/message" "$work/bad.eml" || fail "the kept bytes differ"
want=$(sha256sum <"$work/bad.eml" | cut -d' ' -f1)
assert_grep "\"sha256\":\"$want\"" "$e/report.json"
assert_grep '"received_by":"check"' "$e/report.json"
assert_grep '"sender":""' "$e/report.json"
assert_grep '"recipients":\["b@example.org","-dash@example.org","c@example.org"\]' "$e/report.json"
assert_grep '"queue_id":"4XyZ1"' "$e/report.json"
assert_grep '"client":"mx.example.org \[192.0.2.1\]"' "$e/report.json"
assert_grep 'header.conflicting' "$e/report.txt"
# Logged as every action is: the MTA's queue id first, the store id.
assert_grep ": 4XyZ1: from=<>, size=$(wc -c <"$work/bad.eml"), nrcpt=3, action=kept, rules=header.conflicting, store=$id, reason=\"check\"\$" "$log"
assert_grep 'sender    <>' "$e/report.txt"
[ "$(stat -c %a "$e/files/message")" = 600 ] || fail "the kept file is not 0600"
expect_rc 0 sg quarantine -q "$store" list
assert_grep "^$id  plain  *[0-9]*  check:4XyZ1  header.conflicting\$" "$work/out"
expect_rc 0 sg quarantine -q "$store" list --format json
assert_grep '"origin":null,"format":"plain","queue":{"name":null,"id":"4XyZ1"}' "$work/out"
assert_grep '"received_by":"check"' "$work/out"
# Its later lines start with the queue id of its kept line, too.
expect_rc 0 sg quarantine -q "$store" purge --older-than 0
assert_grep "^purged $id  check:4XyZ1  header.conflicting\$" "$work/out"
assert_grep ": 4XyZ1: from=<>, action=purged, rules=header.conflicting, store=$id\$" "$log"
# Without -Q the report names the entry.
expect_rc 65 sg check --store -q "$store" -R b@example.org <"$work/bad.eml"
assert_grep 'quarantine (reject) -> 2' "$work/out"
rm -rf "$store"

# Release: refused while it breaks a hard limit, the rule named.
expect_rc 65 sg check -Q --store -q "$store" -S '<>' -R b@example.org \
	--recipient=-dash@example.org -R c@example.org <"$work/bad.eml"
one_entry
expect_rc 65 sg quarantine -q "$store" release "$id" --reinject "$fake -G -i"
assert_grep 'still breaks a hard limit of profile default: header.conflicting' "$work/err"
assert_grep '\-\-force' "$work/err"
assert_no_file "$work/argv"
assert_grep ": $id: from=<>, nrcpt=3, action=release-refused, store=$id, reason=\"$id: still breaks a hard limit of profile default: header.conflicting" "$log"
one_entry
# Another release at work holds the entry's lock: 75, nothing run.
if command -v flock >/dev/null; then
	expect_rc 75 flock "$e" "$SPOOLGUARD_BIN" quarantine -q "$store" release "$id" \
		--force --reinject "$fake"
	assert_grep 'another spoolguard is working on this entry' "$work/err"
	assert_no_file "$work/argv"
	one_entry
fi
# --to is for spool entries.
expect_rc 64 sg quarantine -q "$store" release "$id" --to "$work"
# Forced, but the command fails: 75, the entry stays.
FAKE_RC=75 expect_rc 75 sg quarantine -q "$store" release "$id" --force --reinject "$fake -G -i"
assert_grep 'exited with status 75; the entry stays' "$work/err"
assert_grep ": $id: from=<>, nrcpt=3, action=release-failed, store=$id, reason=\"$fake -G -i -f <> -- b@example.org -dash@example.org c@example.org\", error=\".*exited with status 75; the entry stays\"\$" "$log"
one_entry
# A command that cannot run: 75, the entry stays.
expect_rc 75 sg quarantine -q "$store" release "$id" --force --reinject "$work/no-such-sendmail"
one_entry
# Forced: the same bytes on stdin, -f <> and the recipients after --.
expect_rc 0 sg quarantine -q "$store" release "$id" --force --reinject "$fake -G -i"
assert_grep "released $id to the MTA (3 recipients), forced past header.conflicting" "$work/out"
cmp "$work/stdin" "$work/bad.eml" || fail "the reinjected bytes differ"
assert_grep ": $id: from=<>, nrcpt=3, action=released, store=$id, reason=\"reinjected with $fake, forced past header.conflicting" "$log"
printf -- '-G\n-i\n-f\n<>\n--\nb@example.org\n-dash@example.org\nc@example.org\n' >"$work/argv.want"
cmp "$work/argv" "$work/argv.want" || fail "argv: $(cat "$work/argv")"
[ -z "$(entries)" ] || fail "the released entry stays"
expect_rc 66 sg quarantine -q "$store" release "$id" --force --reinject "$fake"

# A stricter profile rejected it; the default passes it: released
# without --force, with its sender.
rm -f "$work/argv" "$work/stdin"
expect_rc 0 sg check -Q <"$work/wide.eml"
expect_rc 65 sg check -Q -p rfc5322 --store -q "$store" -S s@example.org -R r@example.org <"$work/wide.eml"
assert_grep '^header.line-length' "$work/out"
one_entry
expect_rc 65 sg quarantine -q "$store" release "$id" -p rfc5322 --reinject "$fake"
expect_rc 0 sg quarantine -q "$store" release "$id" --reinject "$fake"
cmp "$work/stdin" "$work/wide.eml" || fail "the reinjected bytes differ"
printf -- '-f\ns@example.org\n--\nr@example.org\n' >"$work/argv.want"
cmp "$work/argv" "$work/argv.want" || fail "argv: $(cat "$work/argv")"

# recheck sees a kept entry the default profile passes, and --release
# gives it back the same way.
rm -f "$work/argv" "$work/stdin"
expect_rc 65 sg check -Q -p rfc5322 --store -q "$store" -S s@example.org -R r@example.org <"$work/wide.eml"
one_entry
expect_rc 0 sg quarantine -q "$store" recheck
assert_grep '1 now pass' "$work/out"
expect_rc 0 sg quarantine -q "$store" recheck --release --reinject "$fake"
cmp "$work/stdin" "$work/wide.eml" || fail "recheck --release: other bytes"
[ -z "$(entries)" ] || fail "recheck --release left the entry"

# 500 recipients: each one on the command line, in order.
rcpts=$(seq 500 | sed 's/.*/-R r&@example.org/')
# shellcheck disable=SC2086
expect_rc 65 sg check -Q --store -q "$store" -S s@example.org $rcpts <"$work/bad.eml"
one_entry
expect_rc 0 sg quarantine -q "$store" release "$id" --force --reinject "$fake"
[ "$(wc -l <"$work/argv")" = 503 ] || fail "argv has $(wc -l <"$work/argv") words"
[ "$(sed -n 4p "$work/argv")" = r1@example.org ] || fail "first recipient"
[ "$(sed -n 503p "$work/argv")" = r500@example.org ] || fail "last recipient"

# Without recipients there is nobody to give it back to: 65, it stays.
expect_rc 65 sg check -Q --store -q "$store" <"$work/bad.eml"
one_entry
expect_rc 65 sg quarantine -q "$store" release "$id" --force --reinject "$fake"
assert_grep 'no envelope recipient' "$work/err"
rm -rf "$store"

# A store that cannot take the message: 75 (the MTA keeps it), not 65.
mkdir -p "$store"
: >"$store/.incoming"
expect_rc 75 sg check -Q --store -q "$store" -R b@example.org <"$work/bad.eml"
assert_grep 'cannot keep the rejected message' "$work/err"
rm -rf "$store"

# The configuration file: [check] store=yes, [quarantine] reinject=.
printf '[spoolguard]\nquarantine=%s\n[check]\nstore=yes\n[quarantine]\nreinject=%s -G -i\n' \
	"$store" "$fake" >"$work/sg.conf"
SPOOLGUARD_QUARANTINE= expect_rc 65 sg check -Q --config "$work/sg.conf" -R b@example.org <"$work/bad.eml"
one_entry
SPOOLGUARD_QUARANTINE= expect_rc 0 sg quarantine --config "$work/sg.conf" release "$id" --force
cmp "$work/stdin" "$work/bad.eml" || fail "the configured command did not get it"
rm -rf "$store"

# fsck removes what a killed keep left in .incoming.
mkdir -p "$store/.incoming/20261122T031502Z-0badc0de/files"
echo half >"$store/.incoming/20261122T031502Z-0badc0de/files/.tmp-message"
chmod -R go-rwx "$store"
expect_rc 0 sg quarantine -q "$store" fsck
assert_grep 'removed: a message being kept at SMTP time was cut short' "$work/out"
assert_no_file "$store/.incoming/20261122T031502Z-0badc0de"

# The milter keeps what it rejects, with the envelope it was given.
[ -n "${MILTER_CLIENT:-}" ] || { echo "no milter client: milter part skipped"; exit 0; }
"$SPOOLGUARD_BIN" milter -f -e -s "unix:$work/m.sock" -T "$work" --store \
	-q "$store" >"$work/m.log" 2>&1 &
mpid=$!
trap 'kill $mpid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -S "$work/m.sock" ] && break; sleep 0.1; done
[ -S "$work/m.sock" ] || fail "the milter did not start: $(cat "$work/m.log")"
out=$("$MILTER_CLIENT" "unix:$work/m.sock" -i MQ1 "$work/clean.eml")
echo "$out" | grep -q '^eom: accept' || fail "milter clean: $out"
out=$("$MILTER_CLIENT" "unix:$work/m.sock" -i MQ2 -f '' -r 'x@example.org' \
	-r 'y@example.org' "$work/bad.eml")
echo "$out" | grep -q '^eom: reject 550 5.6.0 spoolguard: header.conflicting' ||
	fail "milter bad: $out"
assert_grep 'MQ2: .*verdict=quarantine, action=reject, rules=mime.ambiguous,header.conflicting, store=2' "$work/m.log"
one_entry
assert_grep '"received_by":"milter"' "$e/report.json"
assert_grep '"queue_id":"MQ2"' "$e/report.json"
assert_grep '"recipients":\["x@example.org","y@example.org"\]' "$e/report.json"
sha=$(sha256sum <"$e/files/message" | cut -d' ' -f1)
assert_grep "\"sha256\":\"$sha\"" "$e/report.json"
grep -q 'Subject: conflict' "$e/files/message" || fail "the kept message has no Subject"
cp "$e/files/message" "$work/kept"
expect_rc 0 sg quarantine -q "$store" release "$id" --force --reinject "$fake -G -i"
cmp "$work/stdin" "$work/kept" || fail "the milter's kept bytes were not reinjected"
printf -- '-G\n-i\n-f\n<>\n--\nx@example.org\ny@example.org\n' >"$work/argv.want"
cmp "$work/argv" "$work/argv.want" || fail "argv: $(cat "$work/argv")"
# A store that cannot take it: 451 4.3.0, the client keeps the message.
: >"$store/.incoming.new" && rm -rf "$store/.incoming" && mv "$store/.incoming.new" "$store/.incoming"
out=$("$MILTER_CLIENT" "unix:$work/m.sock" -i MQ3 -r 'x@example.org' "$work/bad.eml")
echo "$out" | grep -q '^eom: tempfail' || fail "milter, store full: $out"
assert_grep 'MQ3: .*action=tempfail, error="cannot keep the rejected message' "$work/m.log"
[ -z "$(entries)" ] || fail "an entry was made"
# --action quarantine: the MTA holds it, and the store keeps a copy; with
# --action tag nothing is refused, so nothing is kept.
kill $mpid 2>/dev/null || true
wait $mpid 2>/dev/null || true
"$SPOOLGUARD_BIN" milter -f -e -s "unix:$work/q.sock" -T "$work" -a quarantine \
	--store -q "$work/qstore" >"$work/q.log" 2>&1 &
mpid=$!
"$SPOOLGUARD_BIN" milter -f -e -s "unix:$work/t.sock" -T "$work" -a tag \
	--store -q "$work/tstore" >"$work/t.log" 2>&1 &
tpid=$!
trap 'kill $mpid $tpid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -S "$work/q.sock" ] && [ -S "$work/t.sock" ] && break; sleep 0.1; done
out=$("$MILTER_CLIENT" "unix:$work/q.sock" -i MQ4 -r 'x@example.org' "$work/bad.eml")
echo "$out" | grep -q '^eom: quarantine spoolguard: header.conflicting' || fail "milter -a quarantine: $out"
assert_grep 'MQ4: .*verdict=quarantine, action=quarantine, .*store=2' "$work/q.log"
[ "$(find "$work/qstore" -name message | wc -l)" = 1 ] || fail "-a quarantine: no copy kept"
out=$("$MILTER_CLIENT" "unix:$work/t.sock" -i MQ5 -r 'x@example.org' "$work/bad.eml")
echo "$out" | grep -q '^eom: accept' || fail "milter -a tag: $out"
[ "$(find "$work/tstore" -name message | wc -l)" = 0 ] || fail "-a tag kept a message it passed"
echo "PASS"
