#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# recipe-exim.sh - the Exim recipes of contrib/exim against a real Exim
# 4.96: Debian's exim4-daemon-heavy (content scanning), downloaded and
# unpacked here, never installed (the installed exim4-daemon-light, which
# exim-live.sh uses, stays), run as root with its own -C configuration,
# spool and log, listening on 127.0.0.1 at a port chosen at run time.
# With -C, Exim gives up root and runs as its user (Debian-exim): the
# spool, the log, the pid file and the sinks belong to that user.
#
#   smtp-time    exim-smtp-time.conf in the DATA ACL: the client gets
#                550 5.6.0 with spoolguard's reason
#   after-queue  exim-after-queue.conf: router + pipe transport that
#                reinjects; a rejection fails the address and Exim logs the
#                reason; a bounce (null sender) carrying a bomb is not
#                judged again but delivered
#
# Each sends a clean message and the four bad ones of recipe-inputs.py;
# clean mail ends in a maildir sink.  Exim stops none of the four by itself
# at SMTP time (it takes a 100,000-byte header line whole), so every
# rejection asserted carries spoolguard's rule id.
#
# Runs when SPOOLGUARD_LIVE=1 as root; otherwise exits 77 (skipped).
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=live-lib.sh
. "$here/live-lib.sh"
# shellcheck source=recipe-lib.sh
. "$here/recipe-lib.sh"
fail_logs() {
	log_tail 15 "$W"/log-*/mainlog "$W"/log-*/rejectlog "$W"/log-*/paniclog
}

live_guard "needs root (exim -C, a daemon)" dpkg-deb apt-get python3
user=Debian-exim
id "$user" >/dev/null 2>&1 || skip "no $user user (exim4-base)"
# its own /etc, as every live test has
private_etc bash "$0" "$@"

live_workdir sg-recipe-exim
daemons=""
cleanup() { for p in $daemons; do kill "$p" 2>/dev/null; done; }
chmod 755 "$W"

if [ -n "${EXIM_HEAVY_DEB:-}" ]; then
	deb=$EXIM_HEAVY_DEB
else
	mkdir -p "$W/pkg"
	(cd "$W/pkg" && apt-get download exim4-daemon-heavy >/dev/null 2>&1) ||
		skip "cannot download exim4-daemon-heavy"
	deb=$(ls "$W"/pkg/exim4-daemon-heavy_*.deb)
fi
dpkg-deb -x "$deb" "$W/root" || skip "cannot unpack $deb"
EXIM=$W/root/usr/sbin/exim4
"$EXIM" -C /dev/null -bV 2>/dev/null | grep -q Content_Scanning ||
	skip "this exim4 has no content scanning: $("$EXIM" -C /dev/null -bV 2>&1 | head -n 3)"

recipe_setup
check="$SG check -Q -r $sg/rules/default.rules"


# exim_config NAME PORT DATA ROUTER TRANSPORT: a private configuration
# that accepts mail for spoolguard.test and delivers it to the maildir
# $W/mail-NAME; DATA goes into the DATA ACL before its accept, ROUTER and
# TRANSPORT before the sink's.
exim_config() {
	name=$1 port=$2
	mkdir -p "$W/spool-$name" "$W/log-$name" "$W/mail-$name" "$W/run"
	chown "$user:$user" "$W/spool-$name" "$W/log-$name" "$W/mail-$name" "$W/run"
	cat <<EOF
primary_hostname = mx.spoolguard.test
qualify_domain = spoolguard.test
domainlist local_domains = spoolguard.test
spool_directory = $W/spool-$name
log_file_path = $W/log-$name/%slog
pid_file_path = $W/run/$name.pid
exim_path = $EXIM
exim_user = $user
exim_group = $user
trusted_users = root : $user
never_users = root
local_interfaces = 127.0.0.1
daemon_smtp_ports = $port
keep_environment =
host_lookup =
rfc1413_hosts =
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
begin acl
acl_rcpt:
  accept domains = +local_domains
  deny
acl_data:
$3
  accept
begin routers
$4
local:
  driver = accept
  domains = +local_domains
  transport = sink
begin transports
$5
sink:
  driver = appendfile
  directory = $W/mail-$name
  maildir_format
  user = $user
EOF
}
# start NAME PORT: the daemon, waiting until it answers.
start() {
	"$EXIM" -C "$W/$1.conf" -bd -q2s -oX "$2" -oP "$W/run/$1.pid" ||
		fail "$1: exim -bd failed"
	wait_port "$2" || fail "$1: Exim does not answer on $2"
	for _ in $(seq 25); do [ -s "$W/run/$1.pid" ] && break; sleep 0.2; done
	[ -s "$W/run/$1.pid" ] || fail "$1: no pid file"
	daemons="$daemons $(cat "$W/run/$1.pid")"
}
send() { smtp_send "$@"; }

bad_inputs="longhdr:header.line-length depth150:mime.depth parts60k:mime.part-count ctconflict:header.conflicting"
summary=""

# ---- at SMTP time ----------------------------------------------------
port=$(free_port)
sed "s|/usr/bin/spoolguard check -Q|$check|" "$contrib/exim/exim-smtp-time.conf" >"$W/smtp-time.acl"
exim_config smtp "$port" ".include $W/smtp-time.acl" "" "" >"$W/smtp.conf"
start smtp "$port"
r=$(send "$port" alice@example.invalid bob@spoolguard.test clean.eml)
case $r in accepted\ 250*) ;; *) fail "smtp-time: clean: $r" ;; esac
wait_for "Subject: clean" "$W/mail-smtp" || fail "smtp-time: the clean message was not delivered"
for pair in $bad_inputs; do
	f=${pair%%:*} rule=${pair#*:}
	r=$(send "$port" alice@example.invalid bob@spoolguard.test "$f.eml")
	case $r in
	"rejected 550 5.6.0 spoolguard: $rule:"*) ;;
	*) fail "smtp-time: $f: want 550 5.6.0 $rule, got: $r" ;;
	esac
	grep -q "rejected after DATA: 5.6.0 spoolguard: $rule" "$W/log-smtp/mainlog" ||
		fail "smtp-time: $f: Exim did not log the reason"
done
[ "$(ls "$W/mail-smtp/new" | wc -l)" = 1 ] || fail "smtp-time: a bad message was delivered"
summary="$summary smtp-time:ok"

# ---- after queueing ------------------------------------------------------
port=$(free_port)
store=$W/store
install -d -m 700 -o "$user" "$store"
sed -e "s|/usr/share/spoolguard/contrib/exim/spoolguard-exim-filter|$sg/contrib/exim/spoolguard-exim-filter -e '$EXIM -C $W/queue.conf' -b $SG -r $sg/rules/default.rules -k $store|" \
	-e "s|user             = Debian-exim|user             = $user|" \
	"$contrib/exim/exim-after-queue.conf" >"$W/after-queue.conf"
awk '/^spoolguard:/,/^$/' "$W/after-queue.conf" >"$W/after-queue.router"
awk '/^spoolguard_filter:/,0' "$W/after-queue.conf" >"$W/after-queue.transport"
exim_config queue "$port" "" ".include $W/after-queue.router" \
	".include $W/after-queue.transport" >"$W/queue.conf"
chmod 644 "$W"/*.conf "$W"/after-queue.*
start queue "$port"
r=$(send "$port" alice@example.invalid bob@spoolguard.test clean.eml)
case $r in accepted\ 250*) ;; *) fail "after-queue: clean: $r" ;; esac
wait_for "Subject: clean" "$W/mail-queue" || fail "after-queue: the clean message was not reinjected and delivered"
grep -q "P=spoolguard" "$W/log-queue/mainlog" || fail "after-queue: no reinjection (P=spoolguard) in the log"
for pair in $bad_inputs; do
	f=${pair%%:*} rule=${pair#*:}
	r=$(send "$port" alice@example.invalid bob@spoolguard.test "$f.eml")
	case $r in accepted\ 250*) ;; *) fail "after-queue: $f: Exim itself refused it: $r" ;; esac
	id=$(echo "$r" | sed -n 's/.*id=\([0-9A-Za-z-]*\).*/\1/p')
	[ -n "$id" ] || fail "after-queue: $f: no message id in '$r'"
	wait_for "$id \*\* bob@spoolguard.test R=spoolguard T=spoolguard_filter: .* returned 65" "$W/log-queue/mainlog" ||
		fail "after-queue: $f ($id): the address did not fail"
	grep -q "$id <bob@spoolguard.test>: spoolguard_filter transport output: $rule: " "$W/log-queue/mainlog" ||
		fail "after-queue: $f ($id): Exim did not log the reason"
done
[ "$(ls "$W/mail-queue/new" | wc -l)" = 1 ] || fail "after-queue: a bad message was delivered"
# Each rejected message is kept (-k) with its envelope; released with
# --force through Exim (-oMr spoolguard: not judged again), it is delivered.
for pair in $bad_inputs; do
	rule=${pair#*:}
	e=$(grep -l "\"rule\":\"$rule\"" "$store"/*/*/*/*/report.json | head -n 1)
	[ -n "$e" ] || fail "after-queue: no kept entry for $rule"
	grep -q '"received_by":"check","sender":"alice@example.invalid"' "$e" ||
		fail "after-queue: $rule: no envelope sender in the kept report"
	grep -q '"recipients":\["bob@spoolguard.test"\]' "$e" ||
		fail "after-queue: $rule: no envelope recipient in the kept report"
done
e=$(grep -l '"rule":"header.conflicting"' "$store"/*/*/*/*/report.json | head -n 1)
id=$(basename "$(dirname "$e")")
"$SG" quarantine -q "$store" release "$id" -r "$sg/rules/default.rules" \
	--reinject "$EXIM -C $W/queue.conf -oi -oMr spoolguard" >"$W/release.out" 2>&1 &&
	fail "after-queue: a release that breaks a hard limit was not refused"
"$SG" quarantine -q "$store" release "$id" -r "$sg/rules/default.rules" --force \
	--reinject "$EXIM -C $W/queue.conf -oi -oMr spoolguard" >"$W/release.out" 2>&1 ||
	fail "after-queue: release --force: $(cat "$W/release.out")"
wait_for "Subject: conflict" "$W/mail-queue" || fail "after-queue: the released message was not delivered"
[ ! -e "$(dirname "$e")" ] || fail "after-queue: the released entry stays"
# A bounce is not judged again: null sender, a bomb inside, delivered.
r=$(send "$port" "" bob@spoolguard.test parts60k.eml)
case $r in accepted\ 250*) ;; *) fail "after-queue: null sender: $r" ;; esac
wait_for "Subject: 60000 parts" "$W/mail-queue" || fail "after-queue: the bounce was judged (not delivered)"
summary="$summary after-queue:ok after-queue-store-release:ok"

echo "PASS:$summary (clean delivered; longhdr, depth150, parts60k, ctconflict rejected by spoolguard, none stopped by Exim itself; a null-sender bounce not judged again)"
