#!/bin/sh
# An mbox (as in /var/mail) is judged message by message: a MIME bomb as
# the second message is found, named with its byte range, its findings at
# offsets inside that range; the mailbox is never moved or changed, the
# run says "kept" and exits 1.  A single saved message (*.eml) that
# starts with a From_ line stays one message.
. "$(dirname "$0")/lib.sh"

mkdir -p "$work/mail"
box="$work/mail/bob"
{
	printf 'From alice@example.org Thu Nov 22 03:15:02 2026\n'
	printf 'From: alice@example.org\nSubject: one\nMessage-ID: <one@example.org>\n\nhello\n>From the start of a line\n\n'
	printf 'From mallory@example.net Thu Nov 22 03:16:02 2026\n'
	printf 'From: mallory@example.net\nSubject: bomb\nMessage-ID: <bomb@example.net>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b0\n\n'
	i=0
	while [ $i -lt 120 ]; do
		printf -- '--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n' $i $((i + 1))
		i=$((i + 1))
	done
	printf -- '--b120\nContent-Type: text/plain\n\nx\n'
	while [ $i -ge 0 ]; do
		printf -- '--b%d--\n' $i
		i=$((i - 1))
	done
	printf '\nFrom carol@example.org Thu Nov 22 03:17:02 2026\n'
	printf 'From: carol@example.org\nSubject: three\n\nbye\n'
} >"$box"
cp "$box" "$work/bob.orig"
start=$(grep -b '^From mallory' "$box" | cut -d: -f1)
end=$(grep -b '^From carol' "$box" | cut -d: -f1)

export SPOOLGUARD_LOG_FILE="$work/mail.log"
expect_rc 1 sg scan --min-age 0 -q "$work/store" "$work/mail"
cmp -s "$box" "$work/bob.orig" || fail "the mailbox changed"
[ ! -e "$work/store" ] || [ -z "$(find "$work/store" -type f)" ] ||
	fail "something was moved into the store"
assert_grep "^$box, message 2 (bytes $start-$end): quarantine (kept)\$" "$work/out"
assert_grep 'mime.depth' "$work/out"
# Every finding's offset lies in the message's range.
sed -n 's/^  bob:\([0-9]*\): .*/\1/p' "$work/out" >"$work/offsets"
[ -s "$work/offsets" ] || fail "no findings with offsets"
while read -r off; do
	[ "$off" -ge "$start" ] && [ "$off" -lt "$end" ] ||
		fail "offset $off outside $start-$end"
done <"$work/offsets"
assert_grep '3 examined: 2 clean, 0 warned, 0 quarantined, 0 held, 1 kept;' "$work/out"
assert_grep ": $box, message 2 (bytes $start-$end): from=<mallory@example.net>, size=[0-9]*, nrcpt=0, message-id=<bomb@example.net>, verdict=quarantine, action=kept, rules=.*mime.depth" "$work/mail.log"

# The same in JSON, and named alone; --action hold cannot move it either.
expect_rc 1 sg scan --no-syslog --min-age 0 -n -f json "$box"
[ "$(grep -c '"format":"mbox"' "$work/out")" -eq 3 ] || fail "3 mbox messages in JSON"
assert_grep '"mbox-offset":"'"$start"'"' "$work/out"
expect_rc 1 sg scan --no-syslog --min-age 0 --action hold "$work/mail"
cmp -s "$box" "$work/bob.orig" || fail "--action hold changed the mailbox"

# inspect shows each message.
expect_rc 0 sg inspect "$box"
[ "$(grep -c "^$box, message [123] " "$work/out")" -eq 3 ] || fail "inspect"
assert_grep ' Subject: bomb$' "$work/out"

# A saved message that starts with a From_ line is one message.
cp "$SPOOLGUARD_TESTDATA/demo/iis/Queue/NTFS_0003-nul-header.EML" "$work/x"
{
	printf 'From alice@example.org Thu Nov 22 03:15:02 2026\n'
	cat "$work/x"
} >"$work/mail/saved.eml"
rm "$box"
expect_rc 1 sg scan --no-syslog --min-age 0 -q "$work/store" "$work/mail"
assert_no_file "$work/mail/saved.eml"
assert_grep 'saved.eml: quarantine (quarantined)' "$work/out"
