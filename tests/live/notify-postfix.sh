#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# notify-postfix.sh - scan --notify and postlog against a real Postfix.
#
# A private Postfix (tests/live/postfix-instance.sh: no inet listener, a
# dead loopback relay, its log in maillog_file through postlogd) gets
# damaged files planted in deferred/.  `spoolguard scan --notify ADDRESS
# --sendmail <its sendmail>` then moves them: Postfix's own log has a
# postfix/spoolguard line for each (postlog, queue id first), and exactly
# one summary mail waits in its queue for ADDRESS, naming every moved
# message.  A run that moves nothing, and a dry run, send none.  Nothing
# leaves the machine: the relay is a closed port on 127.0.0.1.
#
# Runs when SPOOLGUARD_LIVE=1 as root; exits 77 (skipped) otherwise or
# when the postfix package cannot be had.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=live-lib.sh
. "$here/live-lib.sh"
# shellcheck source=postfix-instance.sh
. "$here/postfix-instance.sh"
fail_logs() { log_tail 30 "${I:-/nonexistent}/maillog"; }

live_guard "needs root (a private Postfix)" dpkg-deb apt-get python3
private_etc bash "$0" "$@"
derived=$SPOOLGUARD_TESTDATA/spool/postfix/derived

live_workdir sg-pf-notify
cleanup() { pf_stop; }

pf_live "$W" "$W/setup.log"
pf_live_start "$W/setup.log"
Q=$I/spool
rcpt=postmaster@spoolguard.test
# postlog, for spoolguard to find; MAIL_CONFIG names this instance.
export PATH="$R/usr/sbin:$PATH"

# plant FILE N: a damaged queue file in deferred/, as Postfix stores it.
plant() { pf_plant "$1" $((0x30000 + $2)); }
# The queue ids of mail waiting for $rcpt.
notices() {
	"$PQ" -c "$PFCONF" -j | python3 -c '
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if any(r["address"] == sys.argv[1] for r in m["recipients"]):
        print(m["queue_id"])' "$rcpt"
}
wait_notices() {
	for _ in $(seq 60); do
		[ "$(notices | wc -l)" -ge "$1" ] && return 0
		sleep 1
	done
	fail "no $1 notification(s) in the queue"
}

a=$(plant "$derived/BADtype" 1) || fail "cannot plant BADtype"
b=$(plant "$derived/BADflags" 2) || fail "cannot plant BADflags"
store=$W/store
"$SPOOLGUARD_BIN" scan --no-syslog -q "$store" --min-age 0 \
	--notify "$rcpt" --sendmail "$SM" "$Q" >"$W/scan.out" 2>"$W/scan.err"
rc=$?
[ "$rc" = 1 ] || fail "scan exited $rc: $(cat "$W/scan.err")"
[ ! -s "$W/scan.err" ] || fail "scan said: $(cat "$W/scan.err")"

# Postfix's own log: a postfix/spoolguard line per moved message.
for id in $a $b; do
	for _ in $(seq 20); do
		grep -q "postfix/spoolguard\[[0-9]*\]: warning: $id: .*queue=deferred, verdict=quarantine, action=quarantined, rules=container\..*, store=20" "$I/maillog" && break
		sleep 0.5
	done
	grep -q "postfix/spoolguard\[[0-9]*\]: warning: $id: .*action=quarantined" "$I/maillog" ||
		fail "no postlog line for $id"
done

# One mail, naming both.
wait_notices 1
sleep 2
[ "$(notices | wc -l)" -eq 1 ] || fail "more than one notification: $(notices)"
n=$(notices)
"$PC" -c "$PFCONF" -bh -q "$n" >"$W/notice.txt" 2>&1 || fail "postcat $n"
grep -q '^Subject: spoolguard on .*: 2 messages moved out of the queue$' "$W/notice.txt" ||
	fail "subject: $(cat "$W/notice.txt")"
grep -q '^Auto-Submitted: auto-generated$' "$W/notice.txt" || fail "not auto-submitted"
for id in $a $b; do
	grep -q "^$id: .*action=quarantined, rules=container\..*store=20" "$W/notice.txt" ||
		fail "$id not in the notification"
done
grep -q '2 quarantined, 0 held, 0 errors' "$W/notice.txt" || fail "no totals in the notification"

# Nothing moved, or a dry run: no mail.
"$SPOOLGUARD_BIN" scan --no-syslog -q "$store" --min-age 0 \
	--notify "$rcpt" --sendmail "$SM" "$Q" >/dev/null 2>&1
[ $? = 0 ] || fail "the second scan found something"
c=$(plant "$derived/BADnoend" 3) || fail "cannot plant BADnoend"
"$SPOOLGUARD_BIN" scan --no-syslog -n -q "$store" --min-age 0 \
	--notify "$rcpt" --sendmail "$SM" "$Q" >/dev/null 2>&1
[ $? = 1 ] || fail "the dry run found nothing"
[ -n "$(find "$Q/deferred" -name "$c")" ] || fail "the dry run moved $c"
sleep 3
[ "$(notices | wc -l)" -eq 1 ] || fail "a run without a move sent mail"
# A sendmail that fails: said, and the run's exit status stands.
"$SPOOLGUARD_BIN" scan --no-syslog -q "$store" --min-age 0 \
	--notify "$rcpt" --sendmail /bin/false "$Q" >/dev/null 2>"$W/false.err"
[ $? = 1 ] || fail "scan with a failing sendmail"
grep -q 'notification mail: /bin/false' "$W/false.err" || fail "failure not said: $(cat "$W/false.err")"
echo "PASS: postlog lines for $a $b, one notification $n"
exit 0
