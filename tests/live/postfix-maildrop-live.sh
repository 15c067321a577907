#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# postfix-maildrop-live.sh - container.postfix-record-length against a
# running Postfix: the message loss it guards against, and the guard.
#
# A private Postfix (tests/live/postfix-instance.sh) with its default
# line_length_limit (2048).  Files are planted into maildrop/ as
# postdrop(1) leaves them (mode 0744, the owner execute bit = finished;
# group the setgid group; named by inode, so that postsuper leaves the
# name alone), each made whole under another name on the same file system
# and renamed into place; pickup(8) is woken with postkick:
#   1. testdata/spool/postfix/derived-maildrop/BADrecordlen (one record of
#      2049 data bytes), no spoolguard: Postfix logs "illegal length" and
#      pickup removes the file; nothing is queued: the message is lost.
#   2. With pickup taken out of master.cf (postfix reload, then no pickup
#      process left: none can race the scan), the same file again and the
#      near miss OKrecordlen (a record of 2048 bytes); `spoolguard scan -q
#      STORE --min-age 0` moves the first into the store byte for byte and
#      leaves the second.  With pickup back, Postfix queues the near miss
#      whole (postcat shows the 2048-byte line) and logs no new "illegal
#      length".
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

live_guard "needs root (a private Postfix)" dpkg-deb apt-get python3
private_etc bash "$0" "$@"
fixtures=$SPOOLGUARD_TESTDATA/spool/postfix/derived-maildrop
bad=$fixtures/BADrecordlen
near=$fixtures/OKrecordlen
[ -f "$bad" ] || skip "no $bad"
[ -f "$near" ] || skip "no $near"

live_workdir sg-pf-drop
cleanup() { pf_stop; }

pf_live "$W" "$W/setup.log"
Q=$I/spool
"$R/usr/sbin/postconf" -c "$PFCONF" -h line_length_limit >"$W/limit" 2>&1 ||
	fail "postconf: $(cat "$W/limit")"
[ "$(cat "$W/limit")" = 2048 ] || fail "line_length_limit is $(cat "$W/limit"), not 2048"

# plant FILE N: maildrop/$name as postdrop leaves a finished file; the
# name is a short queue id: 5 hex digits (N) and the inode in hex.
plant() {
	cp "$1" "$W/plant.tmp" || fail "cannot copy $1"
	name=$(printf '%05X%X' $((0x10000 + $2)) "$(stat -c %i "$W/plant.tmp")")
	if ! chown root:sgpfdrop "$W/plant.tmp" || ! chmod 0744 "$W/plant.tmp" ||
		! mv "$W/plant.tmp" "$Q/maildrop/$name"; then
		fail "cannot plant $name"
	fi
}
kick() { "$R/usr/sbin/postkick" -c "$PFCONF" public pickup W 2>/dev/null || true; }
count() { grep -c "$1" "$I/maillog" 2>/dev/null || true; }
# pickup in master.cf or not, and the master has read it (its log line).
pickup_service() {
	local n
	n=$(count 'postfix/master.*reload')
	sed -i "s/^#*pickup /$1pickup /" "$PFCONF/master.cf"
	"$PF" -c "$PFCONF" reload >>"$W/setup.log" 2>&1 || fail "postfix reload"
	for _ in $(seq 100); do
		[ "$(count 'postfix/master.*reload')" -gt "$n" ] && return 0
		sleep 0.1
	done
	fail "the master did not reload"
}
# running PROGRAM: a process of this Postfix's PROGRAM exists.
running() {
	[ -n "$(find /proc/[0-9]*/exe -maxdepth 0 -lname "$R/*/$1" 2>/dev/null)" ]
}

# 1. Without spoolguard: pickup removes the file.
pf_live_start "$W/setup.log"
plant "$bad" 1
for _ in $(seq 100); do
	kick
	[ ! -e "$Q/maildrop/$name" ] && [ "$(count 'illegal length 2049')" -ge 1 ] && break
	sleep 0.2
done
[ ! -e "$Q/maildrop/$name" ] || fail "pickup did not take $name"
lost=$(grep 'illegal length 2049' "$I/maillog" | head -n1)
[ -n "$lost" ] || fail "Postfix did not log the illegal length"
grep -q 'unexpected or malformed record type' "$I/maillog" ||
	fail "pickup did not log the malformed record"
# (cleanup removes its incoming/ file once pickup hangs up)
for _ in $(seq 50); do
	queued=$(find "$Q/incoming" "$Q/active" "$Q/deferred" -type f | wc -l)
	[ "$queued" = 0 ] && break
	sleep 0.1
done
[ "$queued" = 0 ] || fail "the message was queued after all ($queued files)"
echo "without spoolguard: $lost; maildrop file removed, nothing queued"

# 2. With spoolguard.  No pickup (nor the postsuper that reload starts)
# may run while the files wait and the scan runs.
pickup_service '#'
for _ in $(seq 100); do
	running pickup || running postsuper || break
	sleep 0.1
done
if running pickup || running postsuper; then
	fail "pickup or postsuper is still running"
fi
plant "$bad" 2
bad_name=$name
plant "$near" 3
near_name=$name
store=$W/store
"$SPOOLGUARD_BIN" scan -q "$store" --min-age 0 "$Q" >"$W/scan.out" 2>"$W/scan.err"
rc=$?
[ "$rc" = 1 ] || fail "scan exited $rc, expected 1: $(cat "$W/scan.err" "$W/scan.out")"
[ ! -e "$Q/maildrop/$bad_name" ] || fail "$bad_name is still in maildrop/"
kept=$(find "$store" -type f -name "$bad_name")
[ "$(echo "$kept" | wc -w)" = 1 ] || fail "$bad_name is not in the store once: $kept"
cmp "$bad" "$kept" || fail "the stored copy differs from what was planted"
grep -rq 'container.postfix-record-length' "$store" ||
	fail "the store's report does not name container.postfix-record-length"
[ -f "$Q/maildrop/$near_name" ] || fail "the near miss was moved"

illegal_before=$(count 'illegal length')
pickup_service ''
for _ in $(seq 100); do
	kick
	[ ! -e "$Q/maildrop/$near_name" ] && [ -n "$("$PQ" -c "$PFCONF" -j)" ] && break
	sleep 0.2
done
[ ! -e "$Q/maildrop/$near_name" ] || fail "pickup did not take the near miss"
[ "$(count 'illegal length')" = "$illegal_before" ] ||
	fail "Postfix logged a new illegal length"
id=$("$PQ" -c "$PFCONF" -j | python3 -c '
import json, sys
ids = [json.loads(l)["queue_id"] for l in sys.stdin if l.strip()]
print(ids[0] if len(ids) == 1 else "")')
[ -n "$id" ] || fail "not exactly one message queued: $("$PQ" -c "$PFCONF" -p)"
"$PC" -c "$PFCONF" -bq "$id" >"$W/postcat.out" 2>&1 || fail "postcat -bq $id"
python3 - "$W/postcat.out" <<'PY' || fail "the queued near miss lacks its 2048-byte line"
import sys
sys.exit(0 if b'x' * 2048 + b'\n' in open(sys.argv[1], 'rb').read()
         and b'x' * 2049 not in open(sys.argv[1], 'rb').read() else 1)
PY
echo "PASS: pickup removed the unguarded file ($lost); spoolguard kept its copy byte for byte; the 2048-byte near miss was queued as $id"
