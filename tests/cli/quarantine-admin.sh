#!/bin/sh
# A quarantine you can run for years: list filters (rule, spool format,
# date, origin) with --format json; stats per rule, day and format;
# recheck with today's profile, and --release of what now passes; purge
# says and logs what it removes, and -n removes nothing; every change
# logged one line an entry.
. "$(dirname "$0")/lib.sh"

log="$work/mail.log"
export SPOOLGUARD_LOG_FILE="$log"
store="$work/store"
q() { sg quarantine -q "$store" "$@"; }
t="$SPOOLGUARD_TESTDATA/spool"

# Three plain/maildir entries (demo spool) and two Exim ones that only a
# tiny size limit sends there.
make_spool "$work/spool"
expect_rc 1 sg scan --no-syslog --min-age 0 -q "$store" "$work/spool"
cp -R "$t/exim" "$work/ex"
rm -rf "$work/ex/corrupt"
for gone in 1xUyrX-0002ii-2P 1xUyrX-0002ik-2V 1xUyrX-0002iu-2p; do
	rm -f "$work/ex/input/$gone-H" "$work/ex/input/$gone-D" "$work/ex/msglog/$gone"
done
printf '[profile]\ndescription=tiny\ninclude=default\n[message.size]\nsoft=none\nhard=100\n' >"$work/tiny.rules"
expect_rc 1 sg scan --no-syslog -r "$work/tiny.rules" --min-age 0 -q "$store" "$work/ex"
expect_rc 0 q list
[ "$(wc -l <"$work/out")" -eq 6 ] || fail "want 6 entries: $(cat "$work/out")"
# Make the maildir entry two years old (its id says when).
old=$(dirname "$(grep -l '"format":"maildir"' "$store"/*/*/*/*/report.json)")
oldid=$(basename "$old")
newid="20240102T030405Z-${oldid#*-}"
mkdir -p "$store/2024/01/02"
mv "$old" "$store/2024/01/02/$newid"

# ---- list: filters and JSON ------------------------------------------
expect_rc 0 q list --rule header.nul
[ "$(wc -l <"$work/out")" -eq 1 ] || fail "--rule header.nul: $(cat "$work/out")"
expect_rc 0 q list --rule 'header.*'
[ "$(wc -l <"$work/out")" -eq 2 ] || fail "--rule header.*: $(cat "$work/out")"
expect_rc 0 q list --rule 'message.*'
[ "$(wc -l <"$work/out")" -eq 3 ] || fail "--rule message.*: $(cat "$work/out")"
expect_rc 0 q list --spool-format exim
[ "$(wc -l <"$work/out")" -eq 3 ] || fail "--spool-format exim: $(cat "$work/out")"
expect_rc 0 q list --spool-format maildir
[ "$(wc -l <"$work/out")" -eq 1 ] || fail "--spool-format maildir"
expect_rc 0 q list --origin "$work/spool/iis/*"
[ "$(wc -l <"$work/out")" -eq 2 ] || fail "--origin: $(cat "$work/out")"
expect_rc 0 q list --until 2024-01-02
[ "$(wc -l <"$work/out")" -eq 1 ] || fail "--until 2024-01-02"
assert_grep "^$newid  maildir " "$work/out"
expect_rc 0 q list --since 2024-01-03
[ "$(wc -l <"$work/out")" -eq 5 ] || fail "--since"
expect_rc 0 q list --since 1d
[ "$(wc -l <"$work/out")" -eq 5 ] || fail "--since 1d"
expect_rc 0 q list --until 2024-01-02T03:04:05Z
[ "$(wc -l <"$work/out")" -eq 1 ] || fail "--until a time"
expect_rc 64 q list --since yesterday
expect_rc 64 q list --format xml
expect_rc 0 q list --format json --spool-format exim
[ "$(wc -l <"$work/out")" -eq 3 ] || fail "JSON list"
# --json is --format json (issue 16: it was accepted and ignored).
cp "$work/out" "$work/list.json"
expect_rc 0 q list --json --spool-format exim
cmp -s "$work/out" "$work/list.json" || fail "list --json differs from --format json"
if command -v python3 >/dev/null; then
	python3 - "$work/out" <<'EOF' || fail "list JSON: see above"
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["format"] == "exim" and e["queue"]["name"] == "input", e
    assert e["rules"] == ["message.size"], e
    assert e["bytes"] > 0 and e["origin"].endswith("-H"), e
    assert e["id"] in e["dir"] and e["time"].endswith("Z"), e
    assert e["sender"] and e["profile"] == "tiny", e
EOF
fi

# ---- stats -------------------------------------------------------------
expect_rc 0 q stats
assert_grep '^6 entries, [0-9]* bytes$' "$work/out"
assert_grep '^  message.size  *3 ' "$work/out"
assert_grep '^  header.nul  *1 ' "$work/out"
assert_grep '^  2024-01-02  *1 ' "$work/out"
assert_grep '^  exim  *3 ' "$work/out"
expect_rc 0 q stats --format json --rule 'header.*'
if command -v python3 >/dev/null; then
	python3 - "$work/out" <<'EOF' || fail "stats JSON: see above"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["entries"] == 2, s
assert [r["rule"] for r in s["rules"]] == ["header.line-length",
                                           "header.nul"], s
assert sum(r["bytes"] for r in s["rules"]) == s["bytes"], s
assert sum(d["entries"] for d in s["days"]) == 2, s
EOF
fi

# ---- recheck -----------------------------------------------------------
: >"$log"
expect_rc 0 q recheck
# The default profile passes the Exim entries the tiny one sent here.
[ "$(grep -c '  now ' "$work/out")" -eq 3 ] || fail "recheck: $(cat "$work/out")"
assert_grep '^6 rechecked with profile default: 3 now pass, 3 still fail, 0 errors$' "$work/out"
expect_rc 0 q recheck -r "$work/tiny.rules"
assert_grep '0 now pass, 6 still fail' "$work/out"
expect_rc 0 q recheck --format json
if command -v python3 >/dev/null; then
	python3 - "$work/out" <<'EOF' || fail "recheck JSON: see above"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
s = lines[-1]["summary"]
assert s == {"checked": 6, "pass": 3, "fail": 3, "errors": 0,
             "released": 0, "profile": "default"}, s
for e in lines[:-1]:
    assert e["now"] in ("clean", "warn") and e["released"] is False, e
    assert e["now_profile"] == "default", e
EOF
fi
# Nothing changed, nothing logged but the summary.
[ "$(grep -c 'action=' "$log")" -eq 0 ] || fail "recheck logged an action"
# Today's profile is the one scan would use: a [spool NAME] of
# spoolguard.conf with its own profile judges what came from that spool,
# unless -p or -r is typed.
printf '[spoolguard]\nprofile=%s\n[spool ex]\npath=%s/\nprofile=default\n' \
	"$work/tiny.rules" "$work/ex" >"$work/recheck.conf"
expect_rc 0 env SPOOLGUARD_CONFIG="$work/recheck.conf" "$SPOOLGUARD_BIN" quarantine -q "$store" recheck
assert_grep '^6 rechecked with profile tiny: 3 now pass, 3 still fail, 0 errors$' "$work/out"
[ "$(grep -c '  now [a-z]* with default[: a-z.-]*  (was message.size)  .*/ex/input/.*-H$' "$work/out")" -eq 3 ] ||
	fail "recheck with the spool's profile: $(cat "$work/out")"
expect_rc 0 env SPOOLGUARD_CONFIG="$work/recheck.conf" "$SPOOLGUARD_BIN" quarantine -q "$store" recheck -p default
assert_grep '^6 rechecked with profile default: 3 now pass, ' "$work/out"
assert_no_grep 'with default  (was' "$work/out"
expect_rc 0 env SPOOLGUARD_CONFIG="$work/recheck.conf" "$SPOOLGUARD_BIN" quarantine -q "$store" recheck -r "$work/tiny.rules"
assert_grep '^6 rechecked with profile tiny: 0 now pass, 6 still fail' "$work/out"
printf '[spool ex]\npath=%s\nprofile=%s\n' "$work/ex" "$work/tiny.rules" >"$work/recheck2.conf"
expect_rc 0 env SPOOLGUARD_CONFIG="$work/recheck2.conf" "$SPOOLGUARD_BIN" quarantine -q "$store" recheck --format json
if command -v python3 >/dev/null; then
	python3 - "$work/out" <<'PY' || fail "recheck JSON with a spool's profile"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines[-1]["summary"]["pass"] == 0 and lines[-1]["summary"]["fail"] == 6, lines
PY
fi
printf '[spool ex]\npath=%s\nprofile=no-such-profile\n' "$work/ex" >"$work/recheck3.conf"
expect_rc 78 env SPOOLGUARD_CONFIG="$work/recheck3.conf" "$SPOOLGUARD_BIN" quarantine -q "$store" recheck --release
assert_grep '\[spool ex\] profile: ' "$work/err"
[ "$(grep -c 'action=' "$log")" -eq 0 ] || fail "a bad spool profile released something"
# --release: back where they came from, each logged.
expect_rc 0 q recheck --release --spool-format exim
assert_grep '3 now pass (released)' "$work/out"
[ -f "$work/ex/input/1xUyrX-0002id-2I-H" ] || fail "not released"
[ "$(grep -c 'action=released' "$log")" -eq 3 ] || fail "releases not logged"
assert_grep ': 1xUyrX-0002id-2I: from=<alice@spoolguard.test>, message-id=<E1xUyrX-0002id-2I@spoolguard.test>, queue=input, action=released, rules=message.size, store=20[0-9T]*Z-[0-9a-f]*, reason="clean with profile default"$' "$log"
expect_rc 0 q list
[ "$(wc -l <"$work/out")" -eq 3 ] || fail "3 entries left"

# ---- release and purge -------------------------------------------------
: >"$log"
id=$(q list --origin "$work/spool/iis/Pickup/*" | awk '{ print $1 }')
expect_rc 0 q release "$id"
assert_grep "action=released, rules=header.line-length, store=$id\$" "$log"
expect_rc 0 q purge -n --older-than 30d
assert_grep "^would purge $newid " "$work/out"
assert_grep '^would purge 1 entry, ' "$work/out"
[ -d "$store/2024/01/02/$newid" ] || fail "purge -n removed something"
[ "$(grep -c 'purge' "$log")" -eq 0 ] || fail "purge -n logged"
expect_rc 0 q purge --older-than 30d
assert_grep "^purged $newid " "$work/out"
[ ! -e "$store/2024" ] || fail "purge left the 2024 directories"
assert_grep "action=purged, .*store=$newid\$" "$log"
assert_grep 'quarantine purge: purged=1, bytes=[0-9]*, failed=0, older-than=2592000s$' "$log"
expect_rc 0 q purge --older-than 0
assert_grep '^purged 1 entry' "$work/out"
expect_rc 0 q list
[ ! -s "$work/out" ] || fail "store not empty"
expect_rc 64 q purge
expect_rc 64 q stats extra
