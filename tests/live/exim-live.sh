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

[ "${SPOOLGUARD_LIVE:-0}" = 1 ] || { echo "SKIP: set SPOOLGUARD_LIVE=1 to run"; exit 77; }

: "${SPOOLGUARD_BIN:?}" "${SPOOLGUARD_TESTDATA:?}"
# the profiles: $SPOOLGUARD_RULES_DIR, else the rules/ beside testdata/
SPOOLGUARD_RULES_DIR=${SPOOLGUARD_RULES_DIR:-$SPOOLGUARD_TESTDATA/../rules}
export SPOOLGUARD_RULES_DIR
exim=$(command -v exim4 || command -v exim || ls /usr/sbin/exim4 2>/dev/null || true)
[ -n "$exim" ] && [ -x "$exim" ] || { echo "SKIP: no exim"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: exim -C needs root here"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3 for the lock"; exit 77; }

w=$(mktemp -d /tmp/sg-exim-live.XXXXXX)
locker=
cleanup() {
	[ -n "$locker" ] && kill "$locker" 2>/dev/null
	rm -rf "$w"
}
trap cleanup EXIT
chmod 755 "$w"
mkdir -p "$w/spool/input" "$w/spool/msglog" "$w/log" "$w/store"
user=Debian-exim
id "$user" >/dev/null 2>&1 || user=root
chown -R "$user:$user" "$w/spool" "$w/log"
cat > "$w/exim.conf" <<EOF
primary_hostname = spoolguard.test
qualify_domain = spoolguard.test
spool_directory = $w/spool
log_file_path = $w/log/%slog
exim_user = $user
exim_group = $user
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
X="$exim -C $w/exim.conf"
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for i in 1 2 3; do
	printf 'From: live%s@spoolguard.test\nSubject: live %s\n\nbody %s\n' "$i" "$i" "$i" |
		$X -odq -f "live$i@spoolguard.test" "rcpt$i@remote.example" ||
		{ echo "SKIP: exim cannot queue here"; exit 77; }
done
good=$(ls "$w/spool/input" | sed -n 's/-H$//p' | sort)
[ "$(echo "$good" | wc -l)" = 3 ] || { bad "exim queued $(echo "$good" | wc -w) messages, not 3"; exit 1; }

# inspect -q exim:ID as exim -Mvh ID: the same sender and Subject.
for id in $good; do
	$X -Mvh "$id" >"$w/mvh.out" 2>&1 || bad "exim -Mvh $id"
	"$SPOOLGUARD_BIN" inspect --spool "$w/spool" -q "exim:$id" >"$w/inspect.out" 2>&1 ||
		bad "inspect -q exim:$id: $(cat "$w/inspect.out")"
	sender=$(sed -n '3s/^<\(.*\)>$/\1/p' "$w/mvh.out")
	subject=$(sed -n 's/^[0-9]*[A-Z* ] Subject: //p' "$w/mvh.out")
	[ -n "$sender" ] && [ -n "$subject" ] || bad "exim -Mvh: $(cat "$w/mvh.out")"
	grep -q "sender  *<$sender>" "$w/inspect.out" || bad "inspect: no sender $sender"
	grep -q " Subject: $subject\$" "$w/inspect.out" || bad "inspect: no Subject: $subject"
done

# plant the corrupt pairs (every file of corrupt/input but the near-miss)
planted=
for f in "$SPOOLGUARD_TESTDATA"/spool/exim/corrupt/input/*; do
	case $f in *-K1-?) continue ;; esac
	cp "$f" "$w/spool/input/"
	planted="$planted $(basename "$f")"
done
chown -R "$user:$user" "$w/spool"
chmod 640 "$w"/spool/input/*

# hold one good message with Exim's lock, from another process
locked=$(echo "$good" | head -1)
python3 - "$w/spool/input/$locked-D" "$w/ready" <<'EOF' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
n = len(os.path.basename(sys.argv[1])) + 1
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, n, 0)
open(sys.argv[2], "w").close()
time.sleep(600)
EOF
locker=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e "$w/ready" ] && break; sleep 0.5; done
[ -e "$w/ready" ] || { bad "could not take the lock"; exit 1; }
lsum=$(cat "$w/spool/input/$locked-H" "$w/spool/input/$locked-D" | sha256sum)

"$SPOOLGUARD_BIN" scan -q "$w/store" --min-age 0 "$w/spool" > "$w/scan.out" 2>&1
rc=$?
[ "$rc" = 1 ] || bad "scan exited $rc, not 1 (something quarantined)"

# every planted file is in the store and gone from the spool
for f in $planted; do
	[ -e "$w/spool/input/$f" ] && bad "$f still in the spool"
	[ -n "$(find "$w/store" -name "$f" -type f)" ] || bad "$f not in the store"
done
# the good ones are still there, and Exim reads them all
$X -bp > "$w/bp.out" 2>&1 || bad "exim -bp failed"
for id in $good; do
	grep -q "$id" "$w/bp.out" || bad "exim -bp does not list $id"
	[ -e "$w/spool/input/$id-H" ] && [ -e "$w/spool/input/$id-D" ] ||
		bad "$id was moved"
done
grep -qi "spool format error" "$w/bp.out" && bad "exim -bp shows a spool format error"
grep -rq "Format error in spool file" "$w/log" 2>/dev/null &&
	bad "exim logged a spool format error"
# the locked one is untouched
[ "$(cat "$w/spool/input/$locked-H" "$w/spool/input/$locked-D" | sha256sum)" = "$lsum" ] ||
	bad "the locked message changed"
[ -n "$(find "$w/store" -name "$locked-*")" ] && bad "the locked message was stored"

if [ "$fail" != 0 ]; then
	echo "--- scan output"; cat "$w/scan.out"
	echo "--- exim -bp"; cat "$w/bp.out"
	exit 1
fi
tail -n 1 "$w/scan.out"
echo "PASS: $(echo $planted | wc -w) planted files quarantined, $(echo "$good" | wc -l) good messages kept, locked one untouched"
exit 0
