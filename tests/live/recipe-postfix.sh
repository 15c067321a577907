#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# recipe-postfix.sh - the Postfix recipes of contrib/, against a real
# Postfix (tests/live/postfix-instance.sh: Debian's package, unpacked,
# private, offline), each with a clean message and four bad ones
# (tests/live/recipe-inputs.py) sent over SMTP on 127.0.0.1:
#
#   milter    smtpd_milters = spoolguard milter (contrib/postfix/main.cf.milter):
#             the client gets 550 5.6.0 and spoolguard's reason at DATA;
#             with --store each rejected message is kept with its envelope,
#             and `quarantine release --force` gives it back through
#             Postfix's sendmail (null sender too): Postfix delivers it
#   filter    pipe(8) after-queue content filter reinjecting with sendmail
#             (contrib/postfix/master.cf.filter, spoolguard-postfix-filter):
#             250, then a bounce whose reason Postfix logs; with -k the
#             rejected message is kept too
#   procmail  local(8) delivery through procmail (contrib/procmail/spoolguard.rc):
#             procmail exits 65, Postfix bounces with its output
#
# Each listens on its own smtpd port chosen at run time; clean mail ends in
# a sink (pipe to a directory).  What Postfix stops by itself is said per
# input: Postfix cuts the 100,000-byte header line itself (line_length_limit:
# 60,000 bytes remain, under the hard limit) and refuses MIME depth 150
# itself (mime_nesting_limit), so those two are shown, not credited to
# spoolguard; 60,000 parts and the Content-Type conflict are legal SMTP that
# Postfix passes, so their rejections are spoolguard's: each carries the
# expected rule id.
#
# Runs when SPOOLGUARD_LIVE=1 as root; otherwise exits 77 (skipped).
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=live-lib.sh
. "$here/live-lib.sh"
# shellcheck source=recipe-lib.sh
. "$here/recipe-lib.sh"
# shellcheck source=postfix-instance.sh
. "$here/postfix-instance.sh"
fail_logs() {
	log_tail 40 "${I:-/nonexistent}/maillog"
	log_tail 20 "${W:-/nonexistent}/milter.log"
}

live_guard "needs root (a private Postfix)" dpkg-deb apt-get python3 procmail
# The pipe filter needs /etc/postfix/main.cf to name our private
# configuration (below).  Other tests drive their own Postfix at the same
# time (make -j), and a Postfix finds /etc/postfix too: so, where the
# kernel allows it, this test runs with a private layer over /etc, and
# what it writes there nobody else sees.
private_etc bash "$0" "$@"

live_workdir sg-recipe-pf
milter=
etc_made=
cleanup() {
	[ -z "$milter" ] || kill "$milter" 2>/dev/null
	pf_stop
	[ -z "$etc_made" ] || rm -rf /etc/postfix
}
chmod 755 "$W"

pf_live "$W" "$W/setup.log"

# What unprivileged users run (the filter, procmail) lives under $W/sg.
recipe_setup
mkdir -p "$W/delivered"
chmod 1777 "$W/delivered"
export SPOOLGUARD_RULES_DIR=$sg/rules

# A local user for procmail.
getent passwd sgpmuser >/dev/null ||
	useradd --system -M -d /nonexistent -s /usr/sbin/nologin sgpmuser ||
	skip "cannot add a user for procmail"
home=$W/pmhome
mkdir -p "$home"
cat >"$home/.procmailrc" <<EOF
SPOOLGUARD=$SG
SPOOLGUARD_RULES_DIR=$sg/rules
DEFAULT=$W/delivered/procmail.mbox
INCLUDERC=$sg/contrib/procmail/spoolguard.rc
EOF
chown -R sgpmuser "$home"
chmod 644 "$home/.procmailrc"
usermod -d "$home" sgpmuser

cat >"$W/sink.sh" <<EOF
#!/bin/sh
cat >"$W/delivered/\$1"
EOF
chmod 755 "$W/sink.sh"

port_milter=$(free_port)
port_filter=$(free_port)
port_plain=$(free_port)

# The milter, as contrib/systemd runs it, on a unix socket smtpd can use,
# keeping what it rejects in a store its user can write.
store=$W/store
install -d -m 700 -o nobody "$store" "$W/store-filter"
"$SG" milter -f -e -s "unix:$W/milter.sock" --socket-owner sgpfown \
	--socket-mode 0600 -u nobody -T /tmp --store -q "$store" >"$W/milter.log" 2>&1 &
milter=$!
for _ in $(seq 100); do [ -S "$W/milter.sock" ] && break; sleep 0.1; done
[ -S "$W/milter.sock" ] || fail "the milter did not start: $(cat "$W/milter.log")"

"$R/usr/sbin/postconf" -c "$PFCONF" -e \
	"mydestination = spoolguard.test" \
	"local_transport = sink:" \
	"transport_maps = inline:{sgpmuser@spoolguard.test=local:}" \
	"mailbox_command = /usr/bin/procmail -a \"\$EXTENSION\"" \
	"milter_end_of_data_macros = i" \
	"milter_default_action = tempfail" \
	"smtpd_milters =" \
	"sink_destination_recipient_limit = 1" ||
	fail "postconf"
cat >>"$PFCONF/master.cf" <<EOF
127.0.0.1:$port_milter inet n - n - - smtpd
  -o smtpd_milters=unix:$W/milter.sock
127.0.0.1:$port_filter inet n - n - - smtpd
  -o content_filter=spoolguard:dummy
127.0.0.1:$port_plain inet n - n - - smtpd
sink      unix  -       n       n       -       -       pipe
  flags=F user=nobody argv=$W/sink.sh \${queue_id}
local     unix  -       n       n       -       -       local
spoolguard unix -       n       n       -       10      pipe
  flags=Rq user=nobody null_sender=
  argv=$sg/contrib/postfix/spoolguard-postfix-filter -s $SM -b $SG -r $sg/rules/default.rules -k $W/store-filter -f \${sender} -- \${recipient}
EOF
# The filter runs as nobody and reinjects with sendmail, whose setgid
# postdrop takes a configuration directory other than /etc/postfix only
# when /etc/postfix/main.cf lists it: made here only when there is no
# /etc/postfix at all (no Postfix installed), and removed afterwards.
if [ ! -e /etc/postfix ]; then
	etc_made=yes
	mkdir /etc/postfix
	echo "alternate_config_directories = $PFCONF" >/etc/postfix/main.cf
elif ! grep -qs "alternate_config_directories.*$PFCONF" /etc/postfix/main.cf; then
	skip "an installed Postfix: its main.cf would need alternate_config_directories"
fi
"$PF" -c "$PFCONF" check </dev/null >>"$W/setup.log" 2>&1 || fail "postfix check: $(tail -n 5 "$W/setup.log")"
pf_live_start "$W/setup.log"
wait_port "$port_plain" || fail "Postfix does not answer on $port_plain"

send() { smtp_send "$1" alice@example.invalid "$2" "$3"; }

bad_inputs="parts60k:mime.part-count ctconflict:header.conflicting"
summary=""
# Postfix cuts a 100,000-byte header line itself (smtpd reads at most
# line_length_limit = 2048 bytes a line; cleanup keeps at most
# header_size_limit): what reaches a milter, a filter or procmail is no
# longer over spoolguard's hard limit.  Shown here, then left out.
postfix_cuts_longhdr() {
	r=$(send "$1" "$2" longhdr.eml)
	case $r in accepted\ 250*) ;; *) fail "$3: longhdr: $r" ;; esac
	wait_for "Subject: long header" "$W/delivered" || fail "$3: longhdr was not delivered"
	n=$(longest_line "$W"/delivered/*)
	[ "$n" -lt 65536 ] || fail "$3: Postfix passed a $n-byte line"
	echo "$3: Postfix itself cut the 100,000-byte header line (longest line delivered: $n bytes)"
	rm -f "$W"/delivered/*
}
# Postfix's cleanup refuses MIME nested deeper than mime_nesting_limit
# (100) itself, before any milter, filter or delivery sees it.
postfix_rejects_depth150() {
	r=$(send "$1" "$2" depth150.eml)
	case $r in
	"rejected 550 5.6.0 MIME nesting exceeds safety limit"*) ;;
	*) fail "$3: depth150: want Postfix's own 550 5.6.0, got: $r" ;;
	esac
	echo "$3: Postfix itself refused MIME depth 150: $r"
}

# clean_then_postfix_own PORT WHAT LOST: the clean message is delivered
# (else fail "WHAT: the clean message was LOST"), then Postfix itself
# stops longhdr and depth150.
clean_then_postfix_own() {
	r=$(send "$1" bob@spoolguard.test clean.eml)
	case $r in accepted\ 250*) ;; *) fail "$2: clean: $r" ;; esac
	wait_for "Subject: clean" "$W/delivered" || fail "$2: the clean message was $3"
	rm -f "$W"/delivered/*
	postfix_cuts_longhdr "$1" bob@spoolguard.test "$2"
	postfix_rejects_depth150 "$1" bob@spoolguard.test "$2"
}

# ---- milter: rejected at DATA, the reason in the client's reply --------
clean_then_postfix_own "$port_milter" milter "not delivered"
for pair in $bad_inputs; do
	f=${pair%%:*} rule=${pair#*:}
	r=$(send "$port_milter" bob@spoolguard.test "$f.eml")
	case $r in
	"rejected 550 5.6.0 spoolguard: $rule:"*) ;;
	*) fail "milter: $f: want 550 5.6.0 $rule, got: $r" ;;
	esac
	grep -q "verdict=quarantine, action=reject, rules=.*$rule" "$W/milter.log" ||
		fail "milter: $f: no log line with $rule"
done
# The milter logs the queue id Postfix gave ({i} at end of data).
grep -Eq ': [0-9A-F]{6,}: from=<[^>]*>, size=[0-9]+, .*verdict=quarantine, action=reject' "$W/milter.log" ||
	fail "milter: no queue id in the log: $(tail -n 3 "$W/milter.log")"
# Each rejection is in the store, with its envelope and report.
# entry_of RULE: the id of the last kept message that RULE rejected.
entry_of() {
	sed -n "s/.*action=reject, rules=.*$1.*, store=\([0-9a-fTZ-]*\).*/\1/p" "$W/milter.log" | tail -n 1
}
for pair in $bad_inputs; do
	f=${pair%%:*} rule=${pair#*:}
	id=$(entry_of "$rule")
	[ -n "$id" ] || fail "milter: $f: not kept (no store= in the log)"
	e=$(find "$store" -mindepth 4 -maxdepth 4 -type d -name "$id")
	[ -d "$e" ] || fail "milter: $f: no entry $id in the store"
	grep -q "\"rule\":\"$rule\"" "$e/report.json" || fail "milter: $f: $rule not in the report"
	grep -q '"received_by":"milter","sender":"alice@example.invalid"' "$e/report.json" ||
		fail "milter: $f: no envelope sender in the report"
	grep -q '"recipients":\["bob@spoolguard.test"\]' "$e/report.json" ||
		fail "milter: $f: no envelope recipient in the report"
	grep -Eq '"queue_id":"[0-9A-F]{6,}"' "$e/report.json" || fail "milter: $f: no queue id in the report"
done
# Released, it goes back through Postfix's sendmail, which delivers it;
# refused without --force while it still breaks a hard limit.
id=$(entry_of header.conflicting)
"$SG" quarantine -q "$store" release "$id" --reinject "$SM -G -i" >"$W/release.out" 2>&1 &&
	fail "milter: release of a message that breaks a hard limit was not refused"
grep -q 'still breaks a hard limit of profile default: header.conflicting' "$W/release.out" ||
	fail "milter: refusal without the rule: $(cat "$W/release.out")"
"$SG" quarantine -q "$store" release "$id" --force --reinject "$SM -G -i" >"$W/release.out" 2>&1 ||
	fail "milter: release --force: $(cat "$W/release.out")"
wait_for "Subject: conflict" "$W/delivered" || fail "milter: the released message was not delivered"
wait_for "pickup.*: uid=0 from=<alice@example.invalid>" "$I/maillog" ||
	fail "milter: no reinjected message from alice in the log"
[ -z "$(find "$store" -mindepth 4 -maxdepth 4 -type d -name "$id")" ] || fail "milter: the released entry stays"
rm -f "$W"/delivered/*
# The null sender: kept as such, given back as -f <>, delivered from <>.
r=$(smtp_send "$port_milter" "" bob@spoolguard.test ctconflict.eml)
case $r in "rejected 550 5.6.0 spoolguard: header.conflicting:"*) ;; *) fail "milter: null sender: $r" ;; esac
id=$(entry_of header.conflicting)
e=$(find "$store" -mindepth 4 -maxdepth 4 -type d -name "$id")
grep -q '"sender":"","sender_base64":""' "$e/report.json" || fail "milter: the null sender was not kept"
"$SG" quarantine -q "$store" release "$id" --force --reinject "$SM -G -i" >"$W/release.out" 2>&1 ||
	fail "milter: release --force (null sender): $(cat "$W/release.out")"
wait_for "Subject: conflict" "$W/delivered" || fail "milter: the released bounce was not delivered"
wait_for "pickup.*: uid=0 from=<>" "$I/maillog" ||
	fail "milter: no reinjected message from <> in the log"
rm -f "$W"/delivered/*
summary="$summary milter:ok milter-store-release:ok"

# ---- pipe(8) filter: 250, then a bounce with the reason in the log ----
clean_then_postfix_own "$port_filter" filter "not reinjected and delivered"
for pair in $bad_inputs; do
	f=${pair%%:*} rule=${pair#*:}
	r=$(send "$port_filter" bob@spoolguard.test "$f.eml")
	case $r in accepted\ 250*) ;; *) fail "filter: $f: Postfix itself refused it: $r" ;; esac
	id=$(echo "$r" | sed -n 's/.*queued as \([0-9A-F]*\).*/\1/p')
	[ -n "$id" ] || fail "filter: $f: no queue id in '$r'"
	wait_for "$id: .*status=bounced.*$rule" "$I/maillog" ||
		fail "filter: $f ($id): no bounce naming $rule in the log"
done
[ -z "$(ls "$W/delivered")" ] || fail "filter: a bad message was delivered: $(ls "$W/delivered")"
# With -k, each bounced message is also kept, with its envelope.
for pair in $bad_inputs; do
	rule=${pair#*:}
	e=$(grep -l "\"rule\":\"$rule\"" "$W"/store-filter/*/*/*/*/report.json | head -n 1)
	[ -n "$e" ] || fail "filter: no kept entry for $rule"
	grep -q '"sender":"alice@example.invalid".*"recipients":\["bob@spoolguard.test"\]' "$e" ||
		fail "filter: $rule: no envelope in the kept report"
done
summary="$summary filter:ok"

# ---- procmail: local delivery bounces with procmail's log line ---------
r=$(send "$port_plain" sgpmuser@spoolguard.test clean.eml)
case $r in accepted\ 250*) ;; *) fail "procmail: clean: $r" ;; esac
wait_for "Subject: clean" "$W/delivered/procmail.mbox" ||
	fail "procmail: the clean message was not delivered"
postfix_rejects_depth150 "$port_plain" sgpmuser@spoolguard.test procmail
for pair in $bad_inputs; do
	f=${pair%%:*} rule=${pair#*:}
	r=$(send "$port_plain" sgpmuser@spoolguard.test "$f.eml")
	case $r in accepted\ 250*) ;; *) fail "procmail: $f: Postfix itself refused it: $r" ;; esac
	id=$(echo "$r" | sed -n 's/.*queued as \([0-9A-F]*\).*/\1/p')
	wait_for "$id: .*status=bounced.*spoolguard: rejected: $rule" "$I/maillog" ||
		fail "procmail: $f ($id): no bounce naming $rule in the log"
done
[ "$(grep -c '^Subject: ' "$W/delivered/procmail.mbox")" = 1 ] ||
	fail "procmail: a bad message was delivered"
summary="$summary procmail:ok"

echo "PASS:$summary (clean delivered; parts60k, ctconflict rejected by spoolguard; longhdr cut and depth150 refused by Postfix itself)"
