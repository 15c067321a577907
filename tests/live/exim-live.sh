#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# exim-live.sh - spoolguard against a live Exim spool.
#
# A private Exim (its own -C configuration, spool and log; queue_only; no
# network; no daemon) queues good messages; the corrupt pairs from
# testdata/spool/exim/corrupt are planted in its input/; one good pair is
# held by a process with Exim's own lock (a POSIX fcntl write lock on the
# first line of -D).  Then `spoolguard scan -q STORE --min-age 0 SPOOL`
# must quarantine every planted pair whole, leave every good message in
# place (`exim -bp` lists it, no "Format error in spool file" in the log,
# no "spool format error" in the listing) and not touch the locked one.
# Runs when SPOOLGUARD_LIVE=1 (`make check-live`, CI) as root; exit 77
# (skip) otherwise, or when Exim cannot run here.  Before the planting,
# `inspect -q exim:ID` shows each good message's sender and Subject as
# `exim -Mvh ID` does.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=live-lib.sh
. "$here/live-lib.sh"

live_guard "exim -C needs root here"
live_exim
command -v python3 >/dev/null || skip "no python3 for the lock"
# its own /etc, as every live test has (tests/live/private-etc.sh)
private_etc sh "$0" "$@"

live_workdir sg-exim-live
locker=
cleanup() { [ -z "$locker" ] || kill "$locker" 2>/dev/null; }
chmod 755 "$W"
mkdir -p "$W/spool/input" "$W/spool/msglog" "$W/log" "$W/store"
chown -R "$exim_user:$exim_user" "$W/spool" "$W/log"
cat > "$W/exim.conf" <<EOF
primary_hostname = spoolguard.test
qualify_domain = spoolguard.test
spool_directory = $W/spool
log_file_path = $W/log/%slog
exim_user = $exim_user
exim_group = $exim_user
queue_only = true
trusted_users = root
keep_environment =
host_lookup =
rfc1413_hosts =
begin routers
never:
  driver = redirect
  allow_defer
  data = :defer: live test, never delivered
begin retry
*   *   F,2d,15m
EOF
X="$exim -C $W/exim.conf"
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for i in 1 2 3; do
	printf 'From: live%s@spoolguard.test\nSubject: live %s\n\nbody %s\n' "$i" "$i" "$i" |
		$X -odq -f "live$i@spoolguard.test" "rcpt$i@remote.example" ||
		skip "exim cannot queue here"
done
good=$(ls "$W/spool/input" | sed -n 's/-H$//p' | sort)
[ "$(echo "$good" | wc -l)" = 3 ] || { bad "exim queued $(echo "$good" | wc -w) messages, not 3"; exit 1; }

# inspect -q exim:ID as exim -Mvh ID: the same sender and Subject.
for id in $good; do
	$X -Mvh "$id" >"$W/mvh.out" 2>&1 || bad "exim -Mvh $id"
	"$SPOOLGUARD_BIN" inspect --spool "$W/spool" -q "exim:$id" >"$W/inspect.out" 2>&1 ||
		bad "inspect -q exim:$id: $(cat "$W/inspect.out")"
	sender=$(sed -n '3s/^<\(.*\)>$/\1/p' "$W/mvh.out")
	subject=$(sed -n 's/^[0-9]*[A-Z* ] Subject: //p' "$W/mvh.out")
	[ -n "$sender" ] && [ -n "$subject" ] || bad "exim -Mvh: $(cat "$W/mvh.out")"
	grep -q "sender  *<$sender>" "$W/inspect.out" || bad "inspect: no sender $sender"
	grep -q " Subject: $subject\$" "$W/inspect.out" || bad "inspect: no Subject: $subject"
done

# plant the corrupt pairs (every file of corrupt/input but the near-misses)
planted=
for f in "$SPOOLGUARD_TESTDATA"/spool/exim/corrupt/input/*; do
	case $f in *-K1-? | *-W2-?) continue ;; esac
	cp "$f" "$W/spool/input/"
	planted="$planted $(basename "$f")"
done
chown -R "$exim_user:$exim_user" "$W/spool"
chmod 640 "$W"/spool/input/*
# A lone -H is what the end of each delivery leaves for an instant: it is
# an orphan only in a directory that has been still for a minute.
touch -m -d '-5 minutes' "$W/spool/input"

# hold one good message with Exim's lock, from another process
locked=$(echo "$good" | head -1)
python3 - "$W/spool/input/$locked-D" "$W/ready" <<'EOF' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
n = len(os.path.basename(sys.argv[1])) + 1
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, n, 0)
open(sys.argv[2], "w").close()
time.sleep(600)
EOF
locker=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e "$W/ready" ] && break; sleep 0.5; done
[ -e "$W/ready" ] || { bad "could not take the lock"; exit 1; }
lsum=$(cat "$W/spool/input/$locked-H" "$W/spool/input/$locked-D" | sha256sum)

"$SPOOLGUARD_BIN" scan -q "$W/store" --min-age 0 "$W/spool" > "$W/scan.out" 2>&1
rc=$?
[ "$rc" = 1 ] || bad "scan exited $rc, not 1 (something quarantined)"

# every planted file is in the store and gone from the spool
for f in $planted; do
	[ -e "$W/spool/input/$f" ] && bad "$f still in the spool"
	[ -n "$(find "$W/store" -name "$f" -type f)" ] || bad "$f not in the store"
done
# the good ones are still there, and Exim reads them all
$X -bp > "$W/bp.out" 2>&1 || bad "exim -bp failed"
for id in $good; do
	grep -q "$id" "$W/bp.out" || bad "exim -bp does not list $id"
	[ -e "$W/spool/input/$id-H" ] && [ -e "$W/spool/input/$id-D" ] ||
		bad "$id was moved"
done
grep -qi "spool format error" "$W/bp.out" && bad "exim -bp shows a spool format error"
grep -rq "Format error in spool file" "$W/log" 2>/dev/null &&
	bad "exim logged a spool format error"
# the locked one is untouched
[ "$(cat "$W/spool/input/$locked-H" "$W/spool/input/$locked-D" | sha256sum)" = "$lsum" ] ||
	bad "the locked message changed"
[ -n "$(find "$W/store" -name "$locked-*")" ] && bad "the locked message was stored"

if [ "$fail" != 0 ]; then
	echo "--- scan output"; cat "$W/scan.out"
	echo "--- exim -bp"; cat "$W/bp.out"
	exit 1
fi
tail -n 1 "$W/scan.out"
echo "PASS: $(echo $planted | wc -w) planted files quarantined, $(echo "$good" | wc -l) good messages kept, locked one untouched"
exit 0
