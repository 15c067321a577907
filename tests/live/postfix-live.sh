#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# postfix-live.sh - spoolguard scan against a running Postfix.
#
# A private Postfix (tests/live/postfix-instance.sh) runs with mail that
# its relay, a dead loopback port, keeps deferring.  Damaged queue files
# (testdata/spool/postfix/derived/BAD*) are planted into deferred/ the way
# Postfix stores them (owner, mode 0700, a future mtime = next retry, so
# qmgr leaves them alone), one of them flock()ed by this script.  Then
# `spoolguard scan -q STORE --min-age 0 QUEUE` runs while Postfix works.
# Afterwards: every planted file but the locked one is in the store, the
# locked one is still in deferred/, every good message is still listed by
# `postqueue -j`, Postfix logged no new warning; then `scan --action hold`
# moves one more damaged file into hold/ by rename; `postfix check` is quiet.
# Before that, `inspect -q postfix:ID` shows each good message's sender and
# Subject as `postcat -q ID` does, finding the queue through postconf.
#
# Runs when SPOOLGUARD_LIVE=1 (`make check-live`, CI) as root; otherwise,
# or when the postfix package cannot be had, it exits 77 (skipped).
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=live-lib.sh
. "$here/live-lib.sh"
# shellcheck source=postfix-instance.sh
. "$here/postfix-instance.sh"
fail_logs() { log_tail 30 "${I:-/nonexistent}/maillog"; }

live_guard "needs root (a private Postfix)" dpkg-deb apt-get flock python3
[ -x "$SPOOLGUARD_BIN" ] || skip "no $SPOOLGUARD_BIN"
# its own /etc: the private Postfix's users, and nobody else's main.cf
private_etc bash "$0" "$@"
derived=$SPOOLGUARD_TESTDATA/spool/postfix/derived
[ -d "$derived" ] || skip "no $derived"

live_workdir sg-pf-live
cleanup() {
	exec 9<&- 2>/dev/null
	pf_stop
}

PF_EXTRA_MAIN='queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s'
pf_live "$W" "$W/setup.log"
pf_live_start "$W/setup.log"
Q=$I/spool

# Good mail that stays deferred.
for n in 1 2 3; do
	printf 'From: alice@spoolguard.test\nTo: bob%s@example.net\nSubject: live %s\n\nstill here %s\n' "$n" "$n" "$n" |
		"$SM" -f alice@spoolguard.test "bob$n@example.net" ||
		fail "sendmail"
done
# (a retry every 2 s moves it between deferred/ and active/: count both)
queued() { find "$Q/deferred" "$Q/active" -type f | wc -l; }
for _ in $(seq 60); do
	[ "$(queued)" -ge 3 ] && grep -q 'status=deferred' "$I/maillog" && break
	sleep 1
done
[ "$(queued)" -ge 3 ] || fail "mail was not deferred"
# The queue ids postqueue -j lists, on one line.
queue_ids() {
	"$PQ" -c "$PFCONF" -j | python3 -c '
import json, sys
print(" ".join(json.loads(l)["queue_id"] for l in sys.stdin if l.strip()))'
}
good_ids=$(queue_ids)
[ -n "$good_ids" ] || fail "postqueue -j lists nothing"

# inspect -q postfix:ID as postcat -q ID: the queue found through
# Postfix's own postconf (MAIL_CONFIG names this instance), the message
# in its hashed deferred/ directory (or in active/: qmgr moves it there
# at each retry, every 2 s here), the same sender and Subject.  postcat
# looks at the queues in turn and can miss a message mid-move: it gets
# a few tries.
: >"$W/empty.conf"
for id in $good_ids; do
	ok=
	for _ in 1 2 3 4 5; do
		"$PC" -c "$PFCONF" -q "$id" >"$W/postcat.out" 2>&1 && ok=1 && break
		sleep 0.2
	done
	[ -n "$ok" ] || fail "postcat -q $id: $(cat "$W/postcat.out")"
	PATH="$R/usr/sbin:$PATH" SPOOLGUARD_CONFIG="$W/empty.conf" \
		"$SPOOLGUARD_BIN" inspect -q "postfix:$id" >"$W/inspect.out" 2>&1 ||
		fail "inspect -q postfix:$id: $(cat "$W/inspect.out")"
	sender=$(sed -n 's/^sender: //p' "$W/postcat.out")
	subject=$(sed -n 's/^Subject: //p' "$W/postcat.out")
	[ -n "$sender" ] && [ -n "$subject" ] || fail "postcat: $(cat "$W/postcat.out")"
	grep -q "sender  *<$sender>" "$W/inspect.out" || fail "inspect: no sender $sender: $(cat "$W/inspect.out")"
	grep -q " Subject: $subject\$" "$W/inspect.out" || fail "inspect: no Subject: $subject"
	grep -Eq "queue  *(deferred|active) $id" "$W/inspect.out" ||
		fail "inspect: not in deferred/ or active/: $id"
	"$SPOOLGUARD_BIN" inspect --spool "$Q" -q "postfix:$id" >/dev/null 2>&1 ||
		fail "inspect --spool -q postfix:$id"
done

# Plant the damaged files as Postfix would store them.
planted=
i=0
for f in "$derived"/BAD*; do
	i=$((i + 1))
	id=$(pf_plant "$f" $((0x10000 + i))) || fail "cannot plant $f"
	planted="$planted ${id:0:1}/$id"
	# the locked one: damage that Postfix's showq does not read
	case $f in */BADtrailing) locked=${id:0:1}/$id ;; esac
done
[ -n "${locked:-}" ] || fail "no BADtrailing in $derived"
exec 9<"$Q/deferred/$locked"
flock -x -n 9 || fail "cannot lock $locked"

# Warnings about the file this test keeps locked are the test's own.
count_warnings() {
	grep 'warning:' "$I/maillog" 2>/dev/null | grep -vc "${locked#*/}" || true
}
warnings_before=$(count_warnings)
store=$W/store
sleep 1
"$SPOOLGUARD_BIN" scan -q "$store" --min-age 0 "$Q" >"$W/scan.out" 2>"$W/scan.err"
rc=$?
[ "$rc" = 1 ] || fail "scan exited $rc, expected 1: $(cat "$W/scan.err")"

# Planted files: in the store, except the locked one.
for p in $planted; do
	if [ "$p" = "$locked" ]; then
		[ -f "$Q/deferred/$p" ] || fail "locked $p was moved"
		continue
	fi
	[ ! -e "$Q/deferred/$p" ] || fail "$p is still in deferred/"
	[ -n "$(find "$store" -type f -name "${p#*/}")" ] ||
		fail "$p is not in the store"
done
exec 9<&-

# Good mail: all still queued, and Postfix keeps working on it.
sleep 5
listed=$(queue_ids)
for id in $good_ids; do
	case " $listed " in
	*" $id "*) ;;
	*) fail "good message $id is no longer queued" ;;
	esac
done
for id in $good_ids; do
	[ -z "$(find "$store" -type f -name "$id")" ] || fail "good $id was quarantined"
done

# Postfix: no new warning, and postfix check quiet.
warnings_after=$(count_warnings)
if [ "$warnings_after" != "$warnings_before" ]; then
	grep 'warning:' "$I/maillog" >&2
	fail "Postfix logged new warnings"
fi
# --action hold: one more damaged file goes to Postfix's own hold/,
# by rename, as `postsuper -h` would put it (same inode, same name).
id=$(pf_plant "$derived/BADtrailing" $((0x20000))) || fail "cannot plant BADtrailing"
d=$Q/deferred/${id:0:1}
inode=$(stat -c %i "$d/$id")
"$SPOOLGUARD_BIN" scan --action hold --min-age 0 "$Q" >"$W/hold.out" 2>&1
rc=$?
[ "$rc" = 1 ] || fail "scan --action hold exited $rc: $(cat "$W/hold.out")"
[ ! -e "$d/$id" ] || fail "$id was not moved to hold/"
[ -f "$Q/hold/$id" ] || fail "$id is not in hold/"
[ "$(stat -c %i "$Q/hold/$id")" = "$inode" ] || fail "$id changed inode"

check_out=$("$PF" -c "$PFCONF" check 2>&1 </dev/null)
[ -z "$check_out" ] || fail "postfix check: $check_out"
echo "PASS: $(echo "$planted" | wc -w) planted, $(($(echo "$planted" | wc -w) - 1)) quarantined, locked one kept, one held, $(echo "$good_ids" | wc -w) good messages still queued"
