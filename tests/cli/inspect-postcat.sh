#!/bin/sh
# inspect as postcat: header values unfolded and escaped, cut to the
# terminal's width (whole with --full), the envelope, --body decoded per
# part and bounded, queue ids (-q postfix:ID, exim:ID, sendmail:ID with
# --spool), and --format json with the same content.
. "$(dirname "$0")/lib.sh"
# Decoded text is shown as UTF-8 only under a UTF-8 locale.
export LC_ALL=C.UTF-8

t="$SPOOLGUARD_TESTDATA/spool"
cp -R "$t/postfix" "$t/exim" "$t/sendmail" "$work/"
mkdir -p "$work/postfix/incoming" "$work/postfix/active"

# ---- queue ids ---------------------------------------------------------
expect_rc 0 sg inspect --spool "$work/postfix" -q postfix:3280EAA8056
assert_grep 'format  *postfix' "$work/out"
assert_grep 'queue  *deferred 3280EAA8056' "$work/out"
assert_grep 'sender  *<list@spoolguard.test>' "$work/out"
assert_grep '  *recipients  *5' "$work/out"
assert_grep ' Subject: five recipients$' "$work/out"
assert_grep ' Message-Id: <20261122042001.3280EAA8056@mx.spoolguard.test>$' "$work/out"
# A folded Received: one line, the fold's tab a space.
assert_grep ' Received: by mx.spoolguard.test (Postfix, from userid 0) id 3280EAA8056; Sun, 22 Nov 2026 04:20:01 +0000 (UTC)$' "$work/out"
# Hashed deferred/ and the hold queue are searched too.
mkdir "$work/postfix/deferred/3"
mv "$work/postfix/deferred/3280EAA8056" "$work/postfix/deferred/3/"
expect_rc 0 sg inspect --spool "$work/postfix" -q postfix:3280EAA8056
assert_grep 'queue  *deferred 3280EAA8056' "$work/out"
expect_rc 0 sg inspect --spool "$work/postfix" -q postfix:56507AA87C5
assert_grep 'queue  *hold 56507AA87C5' "$work/out"
# A message that Postfix moves between deferred/ and active/ while it is
# looked up (each retry renames it) is found, not reported gone: a
# writer renames it back and forth every 2 ms (Postfix: every few
# seconds at most) while 40 inspects run; every one must find it.
if command -v python3 >/dev/null; then
	python3 -c '
import os, sys, time
a, b = sys.argv[1], sys.argv[2]
end = time.time() + 120
while time.time() < end and os.path.exists(sys.argv[3]):
    os.rename(a, b); time.sleep(0.002)
    os.rename(b, a); time.sleep(0.002)
' "$work/postfix/deferred/3/3280EAA8056" "$work/postfix/active/3280EAA8056" \
		"$work/mover.on" &
	mover=$!
	: >"$work/mover.on"
	i=0
	while [ $i -lt 40 ]; do
		sg inspect --spool "$work/postfix" -q postfix:3280EAA8056 \
			>"$work/out" 2>"$work/err" ||
			{ rm -f "$work/mover.on"; wait $mover; fail "run $i: $(cat "$work/err")"; }
		assert_grep 'Subject: five recipients$' "$work/out"
		i=$((i + 1))
	done
	rm -f "$work/mover.on"
	wait $mover || fail "the mover failed"
	[ -f "$work/postfix/deferred/3/3280EAA8056" ] || fail "the mover lost the file"
fi
# Exim and Sendmail, and several at once.
expect_rc 0 sg inspect --spool "$work/exim" -q exim:1xUyrX-0002id-2I
assert_grep 'format  *exim, 3 files' "$work/out"
assert_grep ' Message-Id: <E1xUyrX-0002id-2I@spoolguard.test>$' "$work/out"
expect_rc 0 sg inspect --spool "$work/sendmail/mqueue" -q sendmail:6AM3pYXX009348
assert_grep 'format  *sendmail, 2 files' "$work/out"
# Unknown ids, bad ids, bad specs.
expect_rc 66 sg inspect --spool "$work/postfix" -q postfix:ABCDEF12345
assert_grep 'no message ABCDEF12345 in the postfix spool' "$work/err"
expect_rc 64 sg inspect --spool "$work/postfix" -q postfix:../../etc/passwd
assert_grep 'is not a postfix queue id' "$work/err"
# Without --spool: the first [spool NAME] of spoolguard.conf in that
# MTA's layout.
printf '[spool maildir]\npath=%s\n[spool pf]\npath=%s\n[spool ex]\npath=%s\n' \
	"$work/exim/input" "$work/postfix" "$work/exim" >"$work/sg.conf"
expect_rc 0 env SPOOLGUARD_CONFIG="$work/sg.conf" "$SPOOLGUARD_BIN" inspect \
	-q postfix:3280EAA8056 -q exim:1xUyrX-0002id-2I
assert_grep 'queue  *deferred 3280EAA8056' "$work/out"
assert_grep 'queue  *input 1xUyrX-0002id-2I' "$work/out"
expect_rc 64 sg inspect -q 3280EAA8056
expect_rc 64 sg inspect -q uucp:3280EAA8056
expect_rc 64 sg inspect

# ---- values, width, --full ---------------------------------------------
long="$work/long.eml"
{
	printf 'From: a@example.org\nSubject: '
	i=0
	while [ $i -lt 40 ]; do
		printf 'word%02d ' $i
		i=$((i + 1))
	done
	printf '\n\tfolded end\nX-Evil: a\033]0;title\007b\n\nbody\n'
} >"$long"
# Not a terminal: whole values, control bytes escaped.
expect_rc 0 sg inspect "$long"
assert_grep ' Subject: word00 .* word39  folded end$' "$work/out"
assert_grep ' X-Evil: a\\x1b\]0;title\\x07b$' "$work/out"
grep -q "$(printf '\033')" "$work/out" && fail "an escape reached the output"
# A terminal of 80 columns: cut with "...", no line longer.
if command -v python3 >/dev/null; then
	python3 "$(dirname "$0")/ptyrun.py" - "$SPOOLGUARD_BIN" inspect "$long" |
		tr -d '\r' >"$work/tty.out" || fail "inspect under a pty"
	assert_grep ' Subject: word00 .*\.\.\.$' "$work/tty.out"
	awk '/^ *[0-9]+ +[0-9]+  / && length($0) > 80 { exit 1 }' "$work/tty.out" ||
		fail "a header line is wider than 80 columns"
	python3 "$(dirname "$0")/ptyrun.py" - "$SPOOLGUARD_BIN" inspect --full "$long" |
		tr -d '\r' >"$work/full.out" || fail "inspect --full under a pty"
	assert_grep 'word39  folded end$' "$work/full.out"
fi
# COLUMNS is honoured on a terminal only.
expect_rc 0 env COLUMNS=50 "$SPOOLGUARD_BIN" inspect "$long"
assert_grep 'word39  folded end$' "$work/out"

# ---- --body ------------------------------------------------------------
mp="$work/mp.eml"
printf 'From: a@example.org\nSubject: parts\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\ncaf=E9 au lait\nline two\n--XX\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--XX--\n' >"$mp"
expect_rc 0 sg inspect "$mp"
assert_no_grep 'au lait' "$work/out"
expect_rc 0 sg inspect --body "$mp"
assert_grep "^    | caf$(printf '\303\251') au lait$" "$work/out"
assert_grep '^    | line two$' "$work/out"
assert_grep 'body  *1.2 image/png' "$work/out"
assert_grep 'not text: 12 encoded bytes, not shown' "$work/out"
expect_rc 0 sg inspect --body --body-bytes 4 "$mp"
# Cut inside a character: the lone byte is shown escaped.
assert_grep '^    | caf\\xc3$' "$work/out"
assert_grep '(first 4 bytes decoded)' "$work/out"
assert_grep '^    | \.\.\.$' "$work/out"
expect_rc 64 sg inspect --body --body-bytes 0 "$mp"

# ---- JSON: the same content --------------------------------------------
expect_rc 0 sg inspect -f json --body --spool "$work/postfix" -q postfix:3280EAA8056 "$mp"
[ "$(wc -l <"$work/out")" -eq 2 ] || fail "one JSON line per message"
py=python3
command -v $py >/dev/null || exit 0
$py - "$work/out" <<'EOF' || fail "inspect JSON: see above"
import json, sys
pf, mp = [json.loads(l) for l in open(sys.argv[1])]
h = {x["name"]: x["value"] for x in pf["headers"]}
assert h["Subject"] == "five recipients", h
assert h["Received"].endswith("(UTC)") and "\n" not in h["Received"], h
assert pf["message_id"] == "<20261122042001.3280EAA8056@mx.spoolguard.test>"
assert pf["envelope"]["sender"] == "list@spoolguard.test"
assert pf["envelope"]["recipient_count"] == 5
assert pf["queue"] == {"name": "deferred", "id": "3280EAA8056"}
b = {x["path"]: x for x in mp["bodies"]}
assert b["1.1"]["text"] == "caf\u00e9 au lait\nline two", b
assert b["1.1"]["charset"] == "iso-8859-1" and not b["1.1"]["truncated"]
assert b["1.2"]["text"] is None and "not text" in b["1.2"]["note"]
assert mp["bodies_capped"] is False
EOF
