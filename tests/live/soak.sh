#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# soak.sh - spoolguard scanning a real Postfix and a real Exim under
# traffic, and then an account of every message.
#
# A private Postfix (tests/live/postfix-instance.sh, with an smtpd and
# virtual(8) delivery to a maildir this test owns) and a private Exim
# (its own -C configuration, a daemon with one queue runner at a time,
# appendfile delivery to a maildir this test owns) listen on 127.0.0.1,
# on ports chosen at run time.  Mail to remote.invalid is deferred for
# good (Postfix: a relay on a dead loopback port; Exim: a :defer: router).
#
# First the issue's slow sendmail: a sendmail(1) that stalls in the middle
# of its message leaves a maildrop/ file without the owner execute bit;
# `spoolguard scan` with every default, seen from ten minutes later
# (faketime), and with --min-age 0 leaves it alone, and the message is
# delivered once the writer finishes.
#
# Then SOAK_N (default 2000) messages per MTA through SMTP and through
# sendmail (Exim: exim -f), one in SOAK_DEFER deferred, with slow writers
# that stall mid-message longer than a scan takes (SMTP DATA and sendmail
# standard input; a new one of each kind every 6 s), while corrupt ones are
# planted straight into the queues the way the fixtures are made (Postfix
# files from testdata/spool/postfix/derived into deferred/ as Postfix
# stores them, Exim pairs from testdata/spool/exim/corrupt under fresh
# ids) and `spoolguard scan --min-age 0 -j 2` runs in a loop over both
# queues, alternating --action quarantine and --action hold.
#
# Afterwards (tests/live/soak.py account) every good message must be
# delivered exactly once or, when meant to be deferred, still queued;
# none quarantined or held; every planted one quarantined byte for byte
# (an Exim -H modulo the "-frozen" line a hold adds), held, still queued,
# or delivered by the MTA before any scan got to it; nothing lost or
# duplicated; every scan exited 0 or 1; and no MTA log line that
# spoolguard could have caused (warnings, panics, "hard links", failed
# unlinks).  The accounting table is printed.
#
# Runs when SPOOLGUARD_LIVE=1 (`make check-live`, CI) as root; otherwise,
# or when Postfix or Exim cannot be had, it exits 77 (skipped).
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=live-lib.sh
. "$here/live-lib.sh"
# shellcheck source=postfix-instance.sh
. "$here/postfix-instance.sh"

live_guard "needs root (a private Postfix and Exim)" dpkg-deb apt-get python3 flock
live_exim
# its own /etc: the private Postfix's users, and nobody else's main.cf
private_etc bash "$0" "$@"
soakpy=$here/soak.py
N=${SOAK_N:-2000}
DEFER=${SOAK_DEFER:-10}
STALL=${SOAK_STALL:-12}
start=$(date +%s)

live_workdir sg-soak
chmod 755 "$W"
pf_up=
expid=
bg=
cleanup() {
	touch "$W/stop"
	for p in $bg; do kill "$p" 2>/dev/null; done
	[ -z "$expid" ] || kill "$expid" 2>/dev/null
	[ -z "$pf_up" ] || pf_stop
	wait 2>/dev/null
}
# spoolguard's clock moved (libfaketime, preloaded before ASan's runtime);
# file times stay true (NO_FAKE_STAT), so the files look older
faked() {
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" NO_FAKE_STAT=1 \
		faketime "$@"
}
mailbox_count() { grep -rl "$1" "$2" 2>/dev/null | wc -l; }

# ---- Postfix ---------------------------------------------------------------
pfport=$(free_port)
PF_EXTRA_MAIN="queue_run_delay = 1s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
virtual_mailbox_domains = soak.test
virtual_mailbox_base = $W/pf/mail
virtual_mailbox_maps = static:box/
virtual_minimum_uid = 1
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_peername_lookup = no
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0"
pf_live "$W/pf" "$W/setup.log"
PFC="$R/usr/sbin/postconf -c $PFCONF"
$PFC -e "virtual_uid_maps = static:$(id -u sgpfown)" \
	"virtual_gid_maps = static:$(id -g sgpfown)" || fail "postconf"
cat >>"$PFCONF/master.cf" <<CF
127.0.0.1:$pfport inet n - n - - smtpd
virtual   unix  -       n       n       -       -       virtual
CF
mkdir -p "$W/pf/mail"
chown sgpfown:sgpfown "$W/pf/mail"
# the hash directories of deferred/, made as Postfix makes them, so that
# planting never shows qmgr a directory that is not yet its own
for h in 0 1 2 3 4 5 6 7 8 9 A B C D E F; do
	mkdir -p -m 0700 "$I/spool/deferred/$h"
	chown sgpfown:sgpfown "$I/spool/deferred/$h"
done
pf_up=1
pf_live_start "$W/setup.log"
PFQ=$I/spool
pfmail=$W/pf/mail

# ---- Exim ------------------------------------------------------------------
EX=$W/ex
mkdir -p "$EX/spool/input" "$EX/spool/msglog" "$EX/log" "$EX/mail"
chown -R "$exim_user:$exim_user" "$EX/spool" "$EX/log" "$EX/mail"
ex_port=$(free_port)
cat >"$EX/exim.conf" <<EOF
primary_hostname = soak.test
qualify_domain = soak.test
spool_directory = $EX/spool
log_file_path = $EX/log/%slog
pid_file_path = $EX/exim.pid
exim_user = $exim_user
exim_group = $exim_user
daemon_smtp_ports = $ex_port
local_interfaces = 127.0.0.1
tls_advertise_hosts =
trusted_users = root
keep_environment =
host_lookup =
rfc1413_hosts =
smtp_accept_max = 50
smtp_accept_queue_per_connection = 0
# one queue runner delivers everything: an immediate delivery or a second
# runner racing it logs "-D not found" or "Error reading spool file" for a
# message it has just completed (Exim's own race, not spoolguard's)
queue_only = true
queue_run_max = 1
acl_smtp_rcpt = acl_rcpt
begin acl
acl_rcpt:
  accept hosts = 127.0.0.1
  deny
begin routers
box:
  driver = accept
  domains = soak.test
  transport = box
dead:
  driver = redirect
  allow_defer
  data = :defer: soak test: never delivered
begin transports
box:
  driver = appendfile
  directory = $EX/mail
  maildir_format
  create_directory
  user = $exim_user
  group = $exim_user
  mode = 0644
begin retry
*   *   F,1h,1m
EOF
X="$exim -C $EX/exim.conf"
$X -bd -q1s >"$W/exim-start.log" 2>&1 || skip "exim cannot run a daemon here"
for _ in $(seq 50); do
	[ -s "$EX/exim.pid" ] && break
	sleep 0.1
done
expid=$(cat "$EX/exim.pid" 2>/dev/null)
[ -n "$expid" ] || fail "the Exim daemon did not start: $(cat "$W/exim-start.log")"
EXS=$EX/spool
exmail=$EX/mail

STORE=$W/store
touch "$W/man-pf" "$W/man-ex" "$W/planted"

# ---- the issue's slow sendmail ---------------------------------------------
# (SOAK_NO_REPRO=1 skips it, to try the soak alone on another binary)
[ -n "${SOAK_NO_REPRO:-}" ] || {
(
	printf 'From: soak@soak.test\nTo: slow0@soak.test\nSubject: SOAKPFslowmd000000\n\n'
	sleep 6
	printf 'body, at last\n'
) | "$SM" -t -i -f soak@soak.test &
writer=$!
for _ in $(seq 50); do
	md=$(find "$PFQ/maildrop" -type f | head -1)
	[ -n "$md" ] && break
	sleep 0.1
done
[ -n "$md" ] || fail "postdrop wrote no maildrop file"
mode=$(stat -c %a "$md")
[ "$mode" = 644 ] || fail "the maildrop file in progress is $mode, not 644"
if command -v faketime >/dev/null; then
	faked -f '+10m' "$SPOOLGUARD_BIN" scan --no-syslog -q "$W/store-slow" "$PFQ" \
		>"$W/slow1.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] || fail "scan (defaults, 10 minutes on) exited $rc: $(cat "$W/slow1.out")"
	grep -q 'skipped 1 young' "$W/slow1.out" ||
		fail "scan (defaults) did not count the maildrop file young: $(cat "$W/slow1.out")"
	[ -f "$md" ] || fail "scan with defaults moved the maildrop file in progress"
	echo "slow sendmail: scan with defaults, 10 minutes later: left alone"
else
	echo "slow sendmail: no faketime(1), the defaults case was not run" >&2
	fail "no faketime (setup.sh installs it with SPOOLGUARD_LIVE=1)"
fi
"$SPOOLGUARD_BIN" scan --no-syslog --min-age 0 -q "$W/store-slow" "$PFQ" \
	>"$W/slow2.out" 2>&1
rc=$?
[ "$rc" = 0 ] || fail "scan --min-age 0 exited $rc: $(cat "$W/slow2.out")"
[ -f "$md" ] || fail "scan --min-age 0 moved the maildrop file in progress"
[ "$(stat -c %a "$md")" = 644 ] || fail "the maildrop file was finished too early"
echo "slow sendmail: scan --min-age 0: left alone"
wait "$writer" || fail "sendmail failed"
for _ in $(seq 100); do
	[ "$(mailbox_count SOAKPFslowmd000000 "$pfmail")" = 1 ] && break
	sleep 0.2
done
[ "$(mailbox_count SOAKPFslowmd000000 "$pfmail")" = 1 ] ||
	fail "the slow sendmail's message was not delivered"
[ -z "$(find "$W/store-slow" -type f 2>/dev/null)" ] ||
	fail "something was quarantined from a quiet queue"
echo "SOAKPFslowmd000000 deliver" >>"$W/man-pf"
echo "slow sendmail: delivered once the writer finished"
}

# ---- the scan loop ---------------------------------------------------------
scan_loop() {
	local i=0 act rc
	while [ ! -e "$W/stop" ]; do
		if [ $((i % 2)) = 0 ]; then act=quarantine; else act=hold; fi
		"$SPOOLGUARD_BIN" scan --no-syslog --min-age 0 -j 2 \
			--action "$act" -q "$STORE" --lock-wait 60s \
			"$PFQ" "$EXS" >"$W/scan.out" 2>"$W/scan.err"
		rc=$?
		echo "$i $act $rc" >>"$W/scan.rc"
		{
			echo "== run $i --action $act: exit $rc"
			cat "$W/scan.err"
			tail -n 1 "$W/scan.out"
		} >>"$W/scan.log"
		i=$((i + 1))
		sleep 1 # the MTAs get the CPU between runs too
	done
}
scan_loop &
bg="$bg $!"

# ---- traffic ---------------------------------------------------------------
nsend=$((N * ${SOAK_SENDMAIL_PCT:-10} / 100)) # through sendmail; the rest SMTP
nsmtp=$((N - nsend))
msg() { printf 'From: soak@soak.test\nTo: %s\nSubject: %s\n\nsoak body\n' "$2" "$1"; }
rcpt_for() {
	if [ $(($1 % DEFER)) = 0 ]; then
		echo "far$1@remote.invalid defer"
	else
		echo "box$1@soak.test deliver"
	fi
}
send_loop() { # MTA FIRST LAST MANIFEST
	local n r k
	for n in $(seq "$2" "$3"); do
		read -r r k <<<"$(rcpt_for "$n")"
		tok=$(printf 'SOAK%s%06d' "$1" "$n")
		if [ "$1" = PF ]; then
			msg "$tok" "$r" | "$SM" -i -f soak@soak.test "$r" || continue
		else
			msg "$tok" "$r" | $X -i -f soak@soak.test "$r" || continue
		fi
		echo "$tok $k" >>"$4"
	done
}
slow_sendmail() { # MTA TOKEN MANIFEST
	(
		printf 'From: soak@soak.test\nTo: slow@soak.test\nSubject: %s\n\n' "$2"
		sleep "$STALL"
		printf 'stalled body\n'
	) | if [ "$1" = PF ]; then
		"$SM" -i -f soak@soak.test slow@soak.test
	else
		$X -i -f soak@soak.test slow@soak.test
	fi && echo "$2 deliver" >>"$3"
}
echo "traffic: $N messages per MTA ($nsmtp SMTP, $nsend sendmail), 1 in $DEFER deferred"
t0=$(date +%s)
pids=
python3 "$soakpy" smtp "$pfport" SOAKPF 0 "$nsmtp" "$DEFER" "$W/man-pf.smtp" &
pids="$pids $!"
python3 "$soakpy" smtp "$ex_port" SOAKEX 0 "$nsmtp" "$DEFER" "$W/man-ex.smtp" &
pids="$pids $!"
half=$((nsmtp + nsend / 2))
send_loop PF "$nsmtp" $((half - 1)) "$W/man-pf.s1" &
pids="$pids $!"
send_loop PF "$half" $((N - 4)) "$W/man-pf.s2" &
pids="$pids $!"
send_loop EX "$nsmtp" $((half - 1)) "$W/man-ex.s1" &
pids="$pids $!"
send_loop EX "$half" $((N - 4)) "$W/man-ex.s2" &
pids="$pids $!"
# Slow writers all along the bulk traffic: every few seconds one more of
# each kind starts, and stalls mid-message for $STALL s, longer than a
# scan takes, so that scans of both actions pass over each of them.
slow_loop() {
	local k=0 sp=
	while [ ! -e "$W/bulk-done" ] || [ "$k" -lt 3 ]; do
		k=$((k + 1))
		t=$(printf %06d "$k")
		slow_sendmail PF "SOAKPFslowsm$t" "$W/man-pf.slow$k" &
		sp="$sp $!"
		slow_sendmail EX "SOAKEXslowsm$t" "$W/man-ex.slow$k" &
		sp="$sp $!"
		python3 "$soakpy" slow-smtp "$pfport" "SOAKPFslowtp$t" \
			"$STALL" "$W/man-pf.tslow$k" &
		sp="$sp $!"
		python3 "$soakpy" slow-smtp "$ex_port" "SOAKEXslowtp$t" \
			"$STALL" "$W/man-ex.tslow$k" &
		sp="$sp $!"
		sleep 6
	done
	echo "$k" >"$W/slow-rounds"
	for p in $sp; do wait "$p" || return 1; done
}
slow_loop &
slow=$!
python3 "$soakpy" plant "$SPOOLGUARD_TESTDATA/spool/postfix/derived" \
	"$PFQ/deferred" 45 "$SPOOLGUARD_TESTDATA/spool/exim/corrupt/input" \
	"$EXS/input" 30 0.3 "$W/planted" &
pids="$pids $!"
failed=0
for p in $pids; do
	wait "$p" || failed=$((failed + 1))
done
touch "$W/bulk-done"
wait "$slow" || failed=$((failed + 1))
[ "$failed" = 0 ] || fail "$failed traffic writer(s) failed"
echo "traffic: $(cat "$W/slow-rounds") rounds of 4 slow writers per MTA, each stalled $STALL s"
t1=$(date +%s)
cat "$W"/man-pf.* >>"$W/man-pf"
cat "$W"/man-ex.* >>"$W/man-ex"
echo "traffic: sent in $((t1 - t0)) s"

# ---- drain -----------------------------------------------------------------
want_pf=$(grep -c ' deliver$' "$W/man-pf")
want_ex=$(grep -c ' deliver$' "$W/man-ex")
for _ in $(seq 180); do
	got_pf=$(mailbox_count SOAKPF "$pfmail")
	got_ex=$(mailbox_count SOAKEX "$exmail")
	[ "$got_pf" -ge "$want_pf" ] && [ "$got_ex" -ge "$want_ex" ] && break
	sleep 1
done
echo "drain: postfix $got_pf/$want_pf, exim $got_ex/$want_ex delivered after $(($(date +%s) - t1)) s"
sleep 3 # a few more scans over the quiet queues
touch "$W/stop"
for p in $bg; do wait "$p"; done
bg=
kill "$expid" 2>/dev/null
for _ in $(seq 50); do kill -0 "$expid" 2>/dev/null || break; sleep 0.1; done
expid=
pf_stop
pf_up=

# ---- the account -----------------------------------------------------------
runs=$(wc -l <"$W/scan.rc")
badrc=$(awk '$3 != 0 && $3 != 1' "$W/scan.rc" | wc -l)
quar=$(sed -n 's/.* \([0-9]*\) quarantined, .*/\1/p' "$W/scan.log" | awk '{ s += $1 } END { print s + 0 }')
held=$(sed -n 's/.* \([0-9]*\) held[,;].*/\1/p' "$W/scan.log" | awk '{ s += $1 } END { print s + 0 }')
young=$(sed -n 's/.*skipped \([0-9]*\) young.*/\1/p' "$W/scan.log" | awk '{ s += $1 } END { print s + 0 }')
busy=$(sed -n 's/.* \([0-9]*\) busy.*/\1/p' "$W/scan.log" | awk '{ s += $1 } END { print s + 0 }')
echo "scans: $runs runs ($((runs - runs / 2)) quarantine, $((runs / 2)) hold), $quar quarantined, $held held, $young young and $busy busy skips, $badrc exited other than 0 or 1"
status=0
if [ "$badrc" != 0 ]; then
	grep -B1 -A3 'exit [^01]$' "$W/scan.log" | head -n 40 >&2
	echo "FAIL: $badrc scan(s) exited other than 0 or 1" >&2
	status=1
fi
[ "$runs" -ge 4 ] || { echo "FAIL: only $runs scans ran" >&2; status=1; }

python3 "$soakpy" account "$W/man-pf" "$W/man-ex" "$W/planted" "$PFQ" \
	"$pfmail" "$EXS" "$exmail" "$EX/log" "$STORE" || status=1

# MTA logs: anything spoolguard could have caused.  Planted files may make
# the MTA itself complain (Exim: "Format error in spool file"), by id.
cut -d' ' -f2 "$W/planted" >"$W/planted.ids"
pfwarn=$(grep -E 'warning:|fatal:|panic:' "$I/maillog" | grep -v -F -f "$W/planted.ids")
hard=$(grep -c 'hard link' "$I/maillog")
exwarn=$(grep -v -F -f "$W/planted.ids" "$EX/log/mainlog" |
	grep -iE 'panic|failed to unlink|not found|spool (read|format) error|error' |
	grep -v 'lost privilege for using -C')
expanic=$(grep -v 'lost privilege for using -C' "$EX/log/paniclog" 2>/dev/null)
if [ -n "$pfwarn" ] || [ "$hard" != 0 ]; then
	echo "$pfwarn" | head -n 20 >&2
	echo "FAIL: Postfix logged warnings ($hard about hard links)" >&2
	status=1
fi
if [ -n "$exwarn" ] || [ -n "$expanic" ]; then
	printf '%s\n%s\n' "$exwarn" "$expanic" | head -n 20 >&2
	echo "FAIL: Exim logged errors" >&2
	status=1
fi
echo "logs: postfix $(grep -c 'warning:' "$I/maillog") warnings (all about planted files), exim $(grep -c 'Format error' "$EX/log/mainlog") format errors about planted files"
echo "time: $(($(date +%s) - start)) s"
[ "$status" = 0 ] || exit 1
echo "PASS: every message accounted for"
