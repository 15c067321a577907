#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# milter-faults.sh - spoolguard milter against a milter client that
# misbehaves (tests/milter/sg-milter-client): each answer is clean, each
# resource is given back, the milter goes on serving.
#
#   clean and bad messages; the reason in the 550 5.6.0 reply
#   a body past the profile's hard message.size: refused while it is sent
#   a client that hangs up mid-body (the spooled body's file is closed)
#   10,000 and 10,300 recipients; header fields without values; NUL bytes
#   an MTA that never sends end of message (others are served meanwhile),
#   one silent past --timeout (dropped, file closed, 451 when it returns)
#   a full disk while spooling (root: a 256 KiB tmpfs): 451 4.3.0, nothing
#   left on it
#   SIGHUP: a bad profile keeps the old one, a good one is taken
#   --action tag and quarantine; --socket-mode; daemon, pid file and
#   --user (root)
set -eu

: "${SPOOLGUARD_BIN:?run through make check}"
: "${MILTER_CLIENT:?run through make check}"
command -v python3 >/dev/null || { echo "SKIP: no python3 to make the inputs"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/sg-milter.XXXXXX")
chmod 755 "$work"
pids=""
mnt=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	[ -z "$mnt" ] || umount "$mnt" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	for l in "$work"/*.log; do
		[ -f "$l" ] && { echo "--- $l" >&2; tail -n 20 "$l" >&2; }
	done
	exit 1
}

# start NAME ARGS...: a foreground milter on $work/NAME.sock, logging to
# $work/NAME.log; waits for its socket.
start() {
	name=$1
	shift
	"$SPOOLGUARD_BIN" milter -f -e -s "unix:$work/$name.sock" \
		-T "$work" "$@" >"$work/$name.log" 2>&1 &
	pid=$!
	pids="$pids $pid"
	eval "pid_$name=$pid"
	for _ in $(seq 100); do
		[ -S "$work/$name.sock" ] && return 0
		kill -0 "$pid" 2>/dev/null || fail "milter $name died: $(cat "$work/$name.log")"
		sleep 0.1
	done
	fail "milter $name never listened"
}
# send NAME ARGS...: one message through the client; its answers in $out.
send() {
	name=$1
	shift
	out=$("$MILTER_CLIENT" "unix:$work/$name.sock" "$@") ||
		fail "client failed: $out"
}
expect() {
	printf '%s\n' "$out" | grep -q -- "$1" ||
		fail "expected '$1' in: $out"
}
# temporary files the milter holds open (unnamed ones read "(deleted)")
open_spools() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -c '(deleted)' || true
}
gen() { python3 -c "$1" >"$2"; }

# A profile of its own: message.size hard at 1,000,000 bytes.
cat >"$work/small.rules" <<'EOF'
[profile]
include=default
[message.size]
soft=none
hard=1000000
EOF
printf 'From: a@example.org\nTo: b@example.org\nSubject: clean\nMessage-ID: <c1@example.org>\n\nhello\n' >"$work/clean.eml"
gen "import sys; sys.stdout.write('From: a@example.org\nX-Long: ' + 'a' * 100000 + '\nSubject: x\n\nbody\n')" "$work/long.eml"
gen "import sys; sys.stdout.write('From: a@example.org\nSubject: big\n\n' + ('x' * 76 + '\n') * 65000)" "$work/big.eml"
gen "import sys; sys.stdout.write('From: a@example.org\nSubject: mid\n\n' + ('y' * 76 + '\n') * 6500)" "$work/mid.eml"
printf 'From: a@example.org\nX-Empty:\nX-Blank: \nSubject:\n\nbody\n' >"$work/novalue.eml"
printf 'From: a@example.org\nSubject: nul\0here\nContent-Type: text/plain\n\nbody \0 with NUL\n' >"$work/nul.eml"

start m -r "$work/small.rules" --memory 65536
pid=$pid_m

# Clean: accepted, logged as scan and check log, the queue id first;
# size= counts the message as the MTA sent it, with CRLF line ends.
crlf_size() { echo $(($(wc -c <"$1") + $(wc -l <"$1"))); }
send m -i CLEAN1 "$work/clean.eml"
expect '^eom: accept'
grep -q "CLEAN1: from=<sender@example.invalid>, size=$(crlf_size "$work/clean.eml"), nrcpt=1, message-id=<c1@example.org>, verdict=clean, action=accept, rules=-\$" "$work/m.log" ||
	fail "no log line for CLEAN1: $(grep CLEAN1 "$work/m.log")"

# A 100,000-byte header line: rejected, the reason in the reply.
send m -i LONG1 "$work/long.eml"
expect '^eom: reject 550 5.6.0 spoolguard: header.line-length: header line bytes: 100008 > 65536'
grep -q "LONG1: from=<sender@example.invalid>, size=$(crlf_size "$work/long.eml"), nrcpt=1, verdict=quarantine, action=reject, rules=header.line-length, reason=\"header.line-length: " "$work/m.log" ||
	fail "no reject log line for LONG1"

# A body past message.size's hard limit: refused while it is sent.
send m -i BIG1 "$work/big.eml"
expect '^body: reject 550 5.6.0 spoolguard: message.size: message bytes: '
sent=$(printf '%s\n' "$out" | sed -n 's/^body-sent: //p')
[ "$sent" -le $((1000000 + 65535)) ] || fail "the milter took $sent body bytes before refusing"
[ "$(open_spools "$pid")" = 0 ] || fail "a spool file is still open after BIG1"

# A client that hangs up mid-body: the spool file goes, the milter serves.
send m -i GONE1 --stop-after-body 300000 "$work/mid.eml"
sleep 0.5
[ "$(open_spools "$pid")" = 0 ] || fail "a spool file is still open after a hangup"
send m -i CLEAN2 "$work/clean.eml"
expect '^eom: accept'

# 10,000 recipients: under the hard limit (10,240), a warning; 10,300: no.
send m -i RCPT1 --rcpt-count 10000 "$work/clean.eml"
expect '^eom: accept'
grep -q 'RCPT1: from=<sender@example.invalid>, size=[0-9]*, nrcpt=10000, .*verdict=warn, action=accept, rules=envelope.rcpt-count' "$work/m.log" ||
	fail "no envelope.rcpt-count warning for 10,000 recipients"
send m -i RCPT2 --rcpt-count 10300 "$work/clean.eml"
expect '^eom: reject 550 5.6.0 spoolguard: envelope.rcpt-count: envelope recipients: 10300 > 10240'

# Header fields without values, NUL bytes: answered, no crash.
send m -i NOVAL1 "$work/novalue.eml"
expect '^eom: accept'
send m -i NUL1 "$work/nul.eml"
expect '^eom: accept'
grep -q 'NUL1: from=<.*verdict=warn, action=accept, rules=content.nul-in-text' "$work/m.log" ||
	fail "the body's NUL was not seen"

# An MTA that never sends end of message: the stalled session blocks no
# other, and its spool goes when the MTA gives up and hangs up.
"$MILTER_CLIENT" "unix:$work/m.sock" -i NOEOM1 --no-eom --hold 3 "$work/mid.eml" >"$work/noeom.out" &
stalled=$!
sleep 1
[ "$(open_spools "$pid")" = 1 ] || fail "the stalled message's spool is not open"
send m -i CLEAN3 "$work/clean.eml"
expect '^eom: accept'
wait "$stalled" || fail "the stalled client failed"
sleep 0.5
[ "$(open_spools "$pid")" = 0 ] || fail "a spool file is still open after the stalled MTA left"
send m -i CLEAN4 "$work/clean.eml"
expect '^eom: accept'

# A silent MTA: after --timeout (2 s here) the message is dropped, its
# file closed; when the MTA speaks again it gets 451 4.3.0.
start slow --timeout 2 --memory 65536
"$MILTER_CLIENT" "unix:$work/slow.sock" -i SLOW1 --eom-delay 5 "$work/mid.eml" >"$work/slow.out" &
slow=$!
sleep 1
[ "$(open_spools "$pid_slow")" = 1 ] || fail "the silent MTA's message has no spool open"
sleep 3
[ "$(open_spools "$pid_slow")" = 0 ] || fail "the silent MTA's spool is still open after the timeout"
grep -q 'SLOW1: action=drop error="no word from the MTA for' "$work/slow.log" ||
	fail "no drop log line for SLOW1"
wait "$slow" || fail "the slow client failed"
out=$(cat "$work/slow.out")
expect '^eom: tempfail 451 4.3.0'
send slow -i SLOW2 "$work/clean.eml"
expect '^eom: accept'
pid=$pid_m

# SIGHUP with a broken profile: the old one stays, and says why.
cp "$work/small.rules" "$work/small.rules.good"
printf '[profile]\ninclude=default\n[header.line-length]\nhard=banana\n' >"$work/small.rules"
kill -HUP "$pid"
sleep 0.5
kill -0 "$pid" || fail "SIGHUP stopped the milter"
grep -q 'SIGHUP: keeping profile small' "$work/m.log" || fail "no 'keeping profile' line"
grep -q 'banana' "$work/m.log" || fail "the reload error does not say why"
send m -i HUP1 "$work/long.eml"
expect '^eom: reject 550 5.6.0 spoolguard: header.line-length'
# A good one: header lines over 50 bytes are now refused.
printf '[profile]\ninclude=default\n[header.line-length]\nsoft=none\nhard=50\n' >"$work/small.rules"
kill -HUP "$pid"
sleep 0.5
grep -q 'SIGHUP: profile small .* loaded' "$work/m.log" || fail "no 'loaded' line"
printf 'From: a@example.org\nSubject: %s\n\nbody\n' "$(printf '%060d' 0)" >"$work/sixty.eml"
send m -i HUP2 "$work/sixty.eml"
expect '^eom: reject 550 5.6.0 spoolguard: header.line-length: header line bytes: 69 > 50'

# SIGTERM: a clean stop.
kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "SIGTERM did not stop the milter"
wait "$pid" || fail "the milter exited $? on SIGTERM"
grep -q 'stopped' "$work/m.log" || fail "no 'stopped' line"

# --action tag: a verdict header; a forged one is removed first.
start tag -a tag
printf 'From: a@example.org\nX-Spoolguard-Verdict: clean\nSubject: forged\n\nhello\n' >"$work/forged.eml"
send tag -i TAG1 "$work/long.eml"
expect '^eom: addheader X-Spoolguard-Verdict:quarantine; header.line-length: '
expect '^eom: accept'
send tag -i TAG2 "$work/forged.eml"
expect '^eom: chgheader X-Spoolguard-Verdict 1 $'
expect '^eom: addheader X-Spoolguard-Verdict:clean$'
# --action quarantine: the MTA's hold, with the reason.
start quar -a quarantine --socket-mode 0600
[ "$(stat -c %a "$work/quar.sock")" = 600 ] || fail "--socket-mode 0600 gave $(stat -c %a "$work/quar.sock")"
send quar -i QUAR1 "$work/long.eml"
expect '^eom: quarantine spoolguard: header.line-length: '
expect '^eom: accept'
grep -q 'QUAR1: from=<.*verdict=quarantine, action=quarantine, rules=header.line-length' "$work/quar.log" || fail "no quarantine log line"

if [ "$(id -u)" != 0 ]; then
	echo "PASS (not root: full disk, daemon and --user not tried)"
	exit 0
fi

# A full disk while spooling: 451 4.3.0, and nothing left on the disk.
mnt=$work/small
mkdir "$mnt"
mount -t tmpfs -o size=256k,mode=0700 sgmilter "$mnt" || fail "cannot mount a tmpfs"
"$SPOOLGUARD_BIN" milter -f -e -s "unix:$work/full.sock" -T "$mnt" --memory 0 >"$work/full.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 100); do [ -S "$work/full.sock" ] && break; sleep 0.1; done
out=$("$MILTER_CLIENT" "unix:$work/full.sock" -i FULL1 "$work/big.eml")
expect 'tempfail 451 4.3.0'
grep -q 'FULL1: from=<sender@example.invalid>, action=tempfail, error=".*No space left on device' "$work/full.log" ||
	fail "no tempfail log line naming ENOSPC"
sleep 0.5
used=$(df -k --output=used "$mnt" | tail -n 1 | tr -d ' ')
[ "$used" = 0 ] || fail "$used KiB still used on the full tmpfs"
[ -z "$(ls -A "$mnt")" ] || fail "files left on the full tmpfs: $(ls -A "$mnt")"
out=$("$MILTER_CLIENT" "unix:$work/full.sock" -i FULL2 "$work/clean.eml")
expect '^eom: accept'

# A daemon that cannot start says so to whoever started it: the exit
# status and the reason, not 0 from a parent that left at once.
set +e
"$SPOOLGUARD_BIN" milter -s "unix:$work/e.sock" -u no-such-user-sg 2>"$work/e.err"
rc=$?
set -e
[ "$rc" = 77 ] || fail "a daemon with a bad --user exited $rc, not 77"
grep -q "no such user 'no-such-user-sg'" "$work/e.err" || fail "no reason: $(cat "$work/e.err")"
# Daemon: a pid file (written before the start returns), the socket's
# owner and mode, then nobody.
"$SPOOLGUARD_BIN" milter -s "unix:$work/d.sock" -P "$work/d.pid" -u nobody \
	--socket-owner nobody --socket-mode 0600 -T /tmp || fail "daemon start"
[ -s "$work/d.pid" ] || fail "no pid file"
dpid=$(cat "$work/d.pid")
pids="$pids $dpid"
kill -0 "$dpid" || fail "the daemon is not running"
[ "$(stat -c '%U %a' "$work/d.sock")" = "nobody 600" ] ||
	fail "socket is $(stat -c '%U %a' "$work/d.sock")"
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$dpid/status")
[ "$uid" = "$(id -u nobody)" ] || fail "the daemon runs as uid $uid"
out=$("$MILTER_CLIENT" "unix:$work/d.sock" "$work/long.eml")
expect '^eom: reject 550 5.6.0'
kill -TERM "$dpid"
echo "PASS"
