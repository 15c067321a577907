#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# syslog-rsyslog.sh - spoolguard's log lines through a real syslog.
#
# A private rsyslogd (Debian's rsyslog) listens on a socket in a scratch
# directory; spoolguard runs in a mount namespace of its own where that
# directory is /dev (with the real null, zero, urandom, ...), so its
# syslog(3) calls reach this rsyslogd and no other.  rsyslogd writes the
# mail facility to one file and everything else to another, with the
# facility and severity of each line.  Checked: scan's line for a
# quarantined Postfix message (mail.warning, queue id first, store id),
# its summary (mail.info), a check rejection, a quarantine release and
# purge; nothing on another facility.
#
# Runs when SPOOLGUARD_LIVE=1 as root with rsyslogd and unshare; exits
# 77 (skipped) otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=live-lib.sh
. "$here/live-lib.sh"
fail_logs() { log_tail +1 "$W/mail.log" "$W/other.log" "$W/rsyslogd.out"; }

live_guard "needs root (a mount namespace)"
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || skip "no rsyslogd (Debian's rsyslog)"
command -v unshare >/dev/null || skip "no unshare"

live_workdir sg-rsyslog
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null; }
mkdir -p "$W/dev" "$W/state"
cat >"$W/rsyslog.conf" <<EOF
global(workDirectory="$W/state")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$W/dev/log")
template(name="sg" type="string"
	string="%syslogfacility-text%.%syslogseverity-text% %syslogtag%%msg%\n")
mail.* action(type="omfile" file="$W/mail.log" template="sg")
*.*;mail.none action(type="omfile" file="$W/other.log" template="sg")
EOF
"$RSYSLOGD" -n -f "$W/rsyslog.conf" -i "$W/rsyslogd.pid" >"$W/rsyslogd.out" 2>&1 &
pid=$!
i=0
while [ ! -S "$W/dev/log" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -S "$W/dev/log" ] || fail "rsyslogd made no socket"
unshare -m true 2>/dev/null || skip "no mount namespace here"

# sgns CMD...: CMD in a mount namespace whose /dev is $W/dev.
for n in null zero full random urandom tty; do : >"$W/dev/$n"; done
sgns() {
	unshare -m sh -c '
		W=$1; shift
		for n in null zero full random urandom tty; do
			mount --bind /dev/$n "$W/dev/$n" || exit 70
		done
		mount --rbind "$W/dev" /dev || exit 70
		exec "$@"' sgns "$W" "$@"
}
# wait_for PATTERN: until rsyslogd wrote a line matching it (5 s).
wait_for() {
	i=0
	while ! grep -q -- "$1" "$W/mail.log" 2>/dev/null; do
		[ $i -lt 50 ] || fail "no line matching '$1' in the mail log"
		sleep 0.1
		i=$((i + 1))
	done
}

t="$SPOOLGUARD_TESTDATA/spool"
cp -R "$t/postfix" "$W/pf"
mkdir -p "$W/pf/incoming" "$W/pf/active"
cp "$W/pf/derived/BADtype" "$W/pf/deferred/7C985A7678A"
# Postfix marks a finished queue file with the owner execute bit; git
# keeps the fixtures 0644, so mark them as Postfix would.
find "$W/pf" -mindepth 2 -type f -exec chmod u+rwx {} +
rm -rf "$W/pf/derived" "$W/pf/expected"
sgns "$SPOOLGUARD_BIN" scan --min-age 0 -q "$W/store" "$W/pf" >"$W/scan.out" 2>&1
[ $? -eq 1 ] || fail "scan: $(cat "$W/scan.out")"
wait_for 'scan done'
grep -q '^mail\.warning spoolguard\[[0-9]*\]: 7C985A7678A: size=0, queue=deferred, verdict=quarantine, action=quarantined, rules=container.unknown-record,container.not-a-message, store=20[0-9]*T[0-9]*Z-[0-9a-f]*$' "$W/mail.log" ||
	fail "no quarantine line"
grep -q '^mail\.notice spoolguard\[[0-9]*\]: 3F3E7AA87BE: from=<alice@spoolguard.test>, size=5303, nrcpt=1, message-id=<20261122042001.3F3E7AA87BE@mx.spoolguard.test>, queue=deferred, verdict=warn, action=none' "$W/mail.log" ||
	fail "no warn line"
grep -q '^mail\.info spoolguard\[[0-9]*\]: scan done: seen=7, examined=7, clean=5, warned=1, quarantined=1, held=0, already_held=0, kept=0,' "$W/mail.log" ||
	fail "no summary line"

sgns "$SPOOLGUARD_BIN" check "$t/postfix/derived/BADtype" >/dev/null 2>&1
[ $? -eq 65 ] || fail "check did not reject"
wait_for 'action=reject'
grep -q '^mail\.warning spoolguard\[[0-9]*\]: .*BADtype: size=[0-9]*, verdict=quarantine, action=reject, rules=' "$W/mail.log" ||
	fail "no check line"

id=$(sed -n 's/.*7C985A7678A: .*store=\([^ ,]*\)$/\1/p' "$W/mail.log")
sgns "$SPOOLGUARD_BIN" quarantine -q "$W/store" release --to "$W" "$id" >/dev/null 2>&1 ||
	fail "release"
wait_for 'action=released'
grep -q "^mail\.info spoolguard\[[0-9]*\]: 7C985A7678A: queue=deferred, action=released, rules=container.unknown-record,container.not-a-message, store=$id, to=$W\$" "$W/mail.log" ||
	fail "no release line"
cp "$t/postfix/derived/BADtype" "$W/pf/deferred/7C985A7678B"
chmod 0700 "$W/pf/deferred/7C985A7678B"
sgns "$SPOOLGUARD_BIN" scan --min-age 0 -q "$W/store" "$W/pf" >/dev/null 2>&1
sgns "$SPOOLGUARD_BIN" quarantine -q "$W/store" purge --older-than 0 >/dev/null 2>&1 ||
	fail "purge"
wait_for 'quarantine purge: purged=1'
grep -q '^mail\.info spoolguard\[[0-9]*\]: 7C985A7678B: queue=deferred, action=purged, ' "$W/mail.log" ||
	fail "no purge line"
# Everything spoolguard said went to the mail facility.
grep -q spoolguard "$W/other.log" 2>/dev/null && fail "a line on another facility"
echo "PASS: $(grep -c spoolguard "$W/mail.log") lines on the mail facility"
exit 0
