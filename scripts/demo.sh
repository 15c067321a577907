#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# demo.sh - scan a copy of the bundled demo spool and show what happened.
#
# The demo spool (testdata/demo) holds an IIS Pickup/Queue folder and a
# maildir with good and bad messages; this script adds three generated
# hostile ones (a 100 KB header line, a MIME nesting bomb, 12,000 envelope
# recipients), a Postfix queue and an Exim spool built from the fixtures
# that real Postfix and Exim made (testdata/spool).  It
# works on a copy in a temporary directory: the repository is not touched.
#
#   scripts/demo.sh [path/to/spoolguard]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
sg=${1:-$top/build/spoolguard}
work=$(mktemp -d "${TMPDIR:-/tmp}/spoolguard-demo.XXXXXX")
spool=$work/spool
store=$work/quarantine

cp -R "$top/testdata/demo" "$spool"
# Generated, not committed: large hostile inputs.
awk 'BEGIN {
	printf "From: a@example.org\r\nTo: b@example.org\r\nSubject: ";
	for (i = 0; i < 100000; i++) printf "x";
	printf "\r\n\r\nA 100 KB header line overflows a 64 KiB line buffer.\r\n";
}' > "$spool/iis/Pickup/0004-long-header-line.eml"
awk 'BEGIN {
	print "From: a@example.org\nTo: b@example.org\nSubject: nesting bomb\nMIME-Version: 1.0";
	for (i = 0; i < 150; i++) {
		printf "Content-Type: multipart/mixed; boundary=\"=_%d_=\"\n\n--=_%d_=\n", i, i;
	}
	print "Content-Type: text/plain\n\nbottom";
	for (i = 149; i >= 0; i--) printf "--=_%d_=--\n", i;
}' > "$spool/maildir/new/1763800400.M5P1.demo"
awk 'BEGIN {
	printf "x-sender: <list@example.org>\r\n";
	for (i = 0; i < 12000; i++) printf "x-receiver: <user%d@example.net>\r\n", i;
	printf "From: list@example.org\r\nTo: undisclosed-recipients:;\r\nSubject: 12,000 recipients\r\n\r\nhi\r\n";
}' > "$spool/iis/Pickup/0005-12000-recipients.eml"
# A Postfix queue: real files made by Postfix (scripts/postfix-fixtures.sh)
# plus two damaged ones that Postfix itself would move to corrupt/.
pf=$spool/postfix
mkdir -p "$pf/incoming" "$pf/active" "$pf/deferred" "$pf/hold" \
	"$pf/maildrop" "$pf/corrupt"
for f in "$top"/testdata/spool/postfix/deferred/* \
	"$top"/testdata/spool/postfix/derived/BADnultype \
	"$top"/testdata/spool/postfix/derived/BADdatasize; do
	id=$(basename "$f")
	h=$(printf %.1s "$id")
	mkdir -p "$pf/deferred/$h"
	cp "$f" "$pf/deferred/$h/$id"
	chmod 700 "$pf/deferred/$h/$id" # 0600 would mean "still being written"
done
# An Exim spool: real pairs made by Exim (scripts/exim-fixtures.sh) plus
# one whose header lengths lie (Exim: "Format error in spool file").
ex=$spool/exim
mkdir -p "$ex/input" "$ex/msglog"
cp "$top"/testdata/spool/exim/input/* "$ex/input/"
cp "$top"/testdata/spool/exim/msglog/* "$ex/msglog/"
bad=1xUyrX-0002id-L1 # its first header record claims 200 bytes too many
cp "$top/testdata/spool/exim/corrupt/input/$bad-H" \
	"$top/testdata/spool/exim/corrupt/input/$bad-D" "$ex/input/"

echo "== demo spool: $spool"
(cd "$spool" && find . -type f | sort)
echo
echo "== spoolguard scan -q $store --min-age 0 --no-syslog $spool/*"
set +e
"$sg" scan -q "$store" --min-age 0 --no-syslog "$spool"/*
rc=$?
set -e
echo "(exit status $rc: 0 clean, 1 quarantined, 75 I/O trouble)"
echo
echo "== spoolguard quarantine -q $store list"
"$sg" quarantine -q "$store" list
echo
echo "== left in the spool"
(cd "$spool" && find . -type f | sort)
first=$("$sg" quarantine -q "$store" list | awk 'NR == 1 { print $1 }')
if [ -n "$first" ]; then
	echo
	echo "== spoolguard quarantine -q $store show $first"
	"$sg" quarantine -q "$store" show "$first"
fi
echo
echo "The demo's files stay in $work for you to look at."
case $rc in 0 | 1) exit 0 ;; *) exit "$rc" ;; esac
