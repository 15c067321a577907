#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# gen-blind.sh DIR - writes a "blind" test set of invented messages into DIR
# and a manifest DIR/MANIFEST, one line per message:
#
#	<path relative to DIR> <legit|hostile|keep> <rule|->
#
# legit:   odd but legitimate mail (or a near miss just at a hard limit);
#          under the default profile it must never move and `check` accepts.
# hostile: breaks a hard limit of the default profile; `scan` must move it
#          byte for byte and `check` rejects it.  <rule> is the rule id that
#          must be among its findings (alternatives separated by '|').
# keep:    hostile bytes where no scan may look (maildir tmp/, a .BDR
#          report, a file type the folder reader does not take): must stay.
#
# SG_BLIND_HUGE=1 adds two sparse 2 GiB files for message.size.
# The messages are written from the standards and from what real mailers
# send, not from spoolguard's code.  Large ones are made here, at test time.
# Layout: DIR/plain (a folder of .eml files), DIR/iis/{Pickup,Queue,Badmail}
# and DIR/maildir/{cur,new,tmp}.
set -eu

out=${1:?usage: gen-blind.sh DIR}
mkdir -p "$out/plain" "$out/iis/Pickup" "$out/iis/Queue" "$out/iis/Badmail" \
	"$out/maildir/cur" "$out/maildir/new" "$out/maildir/tmp"
manifest="$out/MANIFEST"
: >"$manifest"

# msg PATH KIND RULE: stdin becomes DIR/PATH.
msg() {
	cat >"$out/$1"
	printf '%s %s %s\n' "$1" "$2" "$3" >>"$manifest"
}
# rep CHAR N: N copies of CHAR, no newline.
rep() { awk -v c="$1" -v n="$2" 'BEGIN { s = ""; for (i = 0; i < n; i++) printf "%s", c }'; }
# Plain LF headers for a well-formed message, then the empty line.
std_lf='From: Alice Example <alice@example.org>
To: Bob Example <bob@example.net>
Subject: Quarterly numbers
Date: Sat, 21 Nov 2026 10:00:00 +0100
Message-ID: <20261121100000.1234@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
'
# header_line NAME TOTAL EOL: one field line of exactly TOTAL bytes before EOL.
header_line() {
	awk -v name="$1" -v total="$2" -v eol="$3" 'BEGIN {
		gsub(/\\r/, "\r", eol); gsub(/\\n/, "\n", eol)
		s = name ": "; printf "%s", s
		for (i = length(s); i < total; i++) printf "x"
		printf "%s", eol }'
}
# fill_block TOTAL: LF header lines of <= 900 bytes, TOTAL bytes in all
# (line ends included), first line "From: ..." (TOTAL >= 60).
fill_block() {
	awk -v total="$1" 'BEGIN {
		s = "From: alice@example.org\n"; printf "%s", s; left = total - length(s)
		n = 0
		while (left > 0) {
			len = left > 900 ? 900 : left
			if (left - len > 0 && left - len < 20) len -= 20
			h = sprintf("X-Fill-%06d: ", n++)
			printf "%s", h
			for (i = length(h); i < len - 1; i++) printf "f"
			printf "\n"; left -= len
		} }'
}
# fields N: N header fields (first From), LF.
fields() {
	awk -v n="$1" 'BEGIN { print "From: alice@example.org"
		for (i = 1; i < n; i++) printf "X-F%d: v\n", i }'
}
# addrs NAME N: one address field with N addresses, folded every 40.
addrs() {
	awk -v name="$1" -v n="$2" 'BEGIN { printf "%s: ", name
		for (i = 1; i <= n; i++) {
			printf "u%d@example.net", i
			if (i < n) printf(i % 40 == 0 ? ",\n " : ", ")
		}
		printf "\n" }'
}
# receivers N EOL: N x-receiver lines.
receivers() {
	awk -v n="$1" -v eol="$2" 'BEGIN { gsub(/\\r/, "\r", eol); gsub(/\\n/, "\n", eol)
		for (i = 1; i <= n; i++) printf "x-receiver: <r%d@example.net>%s", i, eol }'
}
# prng N SEED: N deterministic pseudo-random bytes.
prng() {
	LC_ALL=C awk -v n="$1" -v seed="$2" 'BEGIN { srand(seed)
		for (i = 0; i < n; i++) printf "%c", int(rand() * 256) }'
}

# ---- legitimate: line ends and shapes ----------------------------------

printf 'From: alice@example.org\r\nTo: bob@example.net\r\nSubject: CRLF\r\nDate: Sat, 21 Nov 2026 10:00:00 +0100\r\nMessage-ID: <crlf@example.org>\r\n\r\nHello Bob.\r\n' |
	msg plain/crlf.eml legit -
{ printf '%s\n' "$std_lf"; printf 'Hello, LF only.\n'; } | msg plain/lf-only.eml legit -
printf 'From: alice@example.org\r\nTo: bob@example.net\nSubject: mixed\r\nDate: Sat, 21 Nov 2026 10:00:00 +0100\n\r\nline one\nline two\r\n' |
	msg plain/mixed-line-ends.eml legit -
{ printf '%s\n' "$std_lf"; printf 'no newline at the end'; } | msg plain/no-final-newline.eml legit -
printf 'From: alice@example.org\nSubject: only headers\nDate: Sat, 21 Nov 2026 10:00:00 +0100\n' |
	msg plain/headers-only.eml legit -
printf 'From: alice@example.org\r\nSubject: only headers, no newline' |
	msg plain/headers-only-no-eol.eml legit -
printf '%s\n' "$std_lf" | msg plain/empty-body.eml legit -
printf 'From: alice@example.org\nTo: bob@example.net\nSubject: no date\n\nNo Date header.\n' |
	msg plain/missing-date.eml legit -
printf 'Subject: just a subject\n\nNo From, no Date, no Message-ID.\n' |
	msg plain/subject-only.eml legit -
printf 'From sender@example.org Sat Nov 21 10:00:00 2026\nFrom: sender@example.org\nSubject: mbox\n\nFirst line.\n>From the archive\nFrom here on it is a body line.\n' |
	msg plain/mbox-from-line.eml legit -
{ printf '%s\n' "$std_lf"; printf 'Quoting:\n>From: someone\n>From the start\nFrom me to you\n\tTabbed line\n'; } |
	msg plain/from-in-body.eml legit -
printf 'Return-Path: <>\nDelivered-To: bob@example.net\nFrom: MAILER-DAEMON@example.org (Mail Delivery System)\nSubject: Undelivered Mail\n\nbounce\n' |
	msg plain/null-sender-bounce.eml legit -
printf '\357\273\277From: alice@example.org\r\nSubject: BOM from PowerShell\r\n\r\nbody\r\n' |
	msg plain/bom-crlf.eml legit -
printf 'From: alice@example.org\rSubject: classic Mac line ends\r\rbody\r' |
	msg plain/cr-only.eml legit -
{ printf '%s\n' "$std_lf" | sed 's/^MIME-Version/X-Ctrl-Z: none/'; printf 'DOS end of file\n\032'; } |
	msg plain/dos-eof.eml legit -

# ---- legitimate: header syntax oddities ------------------------------------

printf 'From:\talice@example.org\nSubject:\tTabbed\n\tcontinuation with a tab\nTo: bob@example.net,\n\t carol@example.net\n\nbody\twith\ttabs\n' |
	msg plain/tabs.eml legit -
printf 'From: alice@example.org\nSubject : obsolete space before the colon\n\nRFC 5322 4.5.1\n' |
	msg plain/obs-space-before-colon.eml legit -
printf "From: alice@example.org\nX-Weird_Name.v2~#\$%%&'*+^\`{|}!: ftext is wide\n\nbody\n" |
	msg plain/odd-valid-name.eml legit -
printf 'From: alice@example.org\nSubject:\nX-MS-Has-Attach:\nCc: \nX-MS-TNEF-Correlator:\n\nempty values\n' |
	msg plain/empty-values.eml legit -
printf 'From: alice@example.org\nX-A: a\n \t\nSubject: white-space-only continuation\n\nbody\n' |
	msg plain/ws-only-continuation.eml legit -
{ printf 'From: alice@example.org\nX-%s: long but valid name\n\nbody\n' "$(rep N 200)"; } |
	msg plain/long-name.eml legit -
printf 'From: alice@example.org\nTo: undisclosed-recipients:;\nCc: Team: a@example.net, b@example.net;\nBcc:\nSubject: groups\n\nbody\n' |
	msg plain/groups.eml legit -
printf 'From: "Doe, John" <john@example.org>\nTo: "Smith, Jane (Sales)" <jane@example.net>, (comment, with, commas) bob@example.net, "Quote \\" and, comma" <q@example.net>\nSubject: commas in quotes\n\nbody\n' |
	msg plain/quoted-commas.eml legit -
printf 'From: alice@example.org\nSubject: one\nSubject: two\n\nduplicate unique header: a warning at most\n' |
	msg plain/duplicate-subject.eml legit -
printf 'From: alice@example.org\nSubject: a bare\rCR in a value\n\nbody\n' |
	msg plain/bare-cr-header.eml legit -
printf 'From: alice@example.org\nSubject: stray line follows\nThis line is not a header field\n\nbody\n' |
	msg plain/stray-line.eml legit -

# ---- legitimate: real-world mailers ------------------------------------------

{
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		printf 'Received: from EXCH%02d.corp.example.com (10.0.0.%d) by\r\n EXCH%02d.corp.example.com (10.0.1.%d) with Microsoft SMTP Server\r\n (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id\r\n 15.20.7000.%d via Frontend Transport; Sat, 21 Nov 2026 10:%02d:00 +0000\r\n' "$i" "$i" "$((i + 1))" "$i" "$i" "$i"
	done
	printf 'From: =?utf-8?B?SsO2cmcgTcO8bGxlcg==?= <joerg@corp.example.com>\r\n'
	printf 'To: "Bob" <bob@example.net>\r\nSubject: RE: Angebot\r\n'
	printf 'Thread-Topic: Angebot\r\nThread-Index: AdpCx1Jk3l2Y0uQ9TKa7n0eZ0Q2p1A==\r\n'
	printf 'Date: Sat, 21 Nov 2026 10:13:00 +0000\r\n'
	printf 'Message-ID: <AM0PR01MB1234ABCD@AM0PR01MB1234.eurprd01.prod.exchangelabs.com>\r\n'
	printf 'Accept-Language: de-DE, en-US\r\nContent-Language: de-DE\r\n'
	printf 'X-MS-Has-Attach:\r\nX-MS-TNEF-Correlator:\r\n'
	printf 'x-ms-exchange-antispam-messagedata-chunkcount: 1\r\n'
	printf 'x-ms-exchange-antispam-messagedata-0:\r\n'
	awk 'BEGIN { srand(7); a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		for (l = 0; l < 40; l++) { printf " "; for (i = 0; i < 76; i++) printf "%s", substr(a, int(rand() * 64) + 1, 1); printf "\r\n" } }'
	printf 'X-MS-Exchange-Organization-SCL: -1\r\nX-MS-Exchange-Organization-AuthAs: Internal\r\n'
	printf 'MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n\tboundary="_000_AM0PR01MB1234_"\r\n\r\n'
	printf -- '--_000_AM0PR01MB1234_\r\nContent-Type: text/plain; charset="iso-8859-1"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe\r\n'
	printf -- '--_000_AM0PR01MB1234_\r\nContent-Type: text/html; charset="iso-8859-1"\r\n\r\n<html><body>Gr&uuml;&szlig;e</body></html>\r\n--_000_AM0PR01MB1234_--\r\n'
} | msg iis/Queue/NTFS_a1b2c3d4e5f60001.EML legit -
{
	printf 'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;\n s=2026; t=1763800000; h=from:to:subject:date:message-id:mime-version;\n bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n b='
	awk 'BEGIN { srand(11); a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		for (l = 0; l < 12; l++) { if (l) printf "\n\t "; for (i = 0; i < 70; i++) printf "%s", substr(a, int(rand() * 64) + 1, 1) } printf "==\n" }'
	printf 'ARC-Seal: i=1; a=rsa-sha256; t=1763800000; cv=none; d=example.org; s=arc;\n\tb=AbCdEf0123456789AbCdEf0123456789AbCdEf0123456789AbCdEf0123456789\n\t AbCdEf0123456789AbCdEf0123456789==\n'
	printf 'ARC-Authentication-Results: i=1; mx.example.org; dkim=pass header.d=example.org;\n       spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org\n'
	printf 'Authentication-Results: mx.example.net;\n\tdkim=pass (2048-bit key) header.d=example.org header.i=@example.org header.b="AbCdEf01";\n\tspf=pass (example.net: domain of alice@example.org designates 192.0.2.1 as permitted sender) smtp.mailfrom=alice@example.org\n'
	printf '%s\nSigned mail.\n' "$std_lf"
} | msg plain/dkim-arc.eml legit -
{
	i=1
	while [ $i -le 30 ]; do
		printf 'Received: from relay%d.example.net (relay%d.example.net [192.0.2.%d])\n\tby relay%d.example.net (Postfix) with ESMTPS id 4Z%04dQ\n\tfor <bob@example.net>; Sat, 21 Nov 2026 10:00:%02d +0100 (CET)\n' $i $i $i $((i + 1)) $i $((i % 60))
		i=$((i + 1))
	done
	printf '%s\nThirty hops.\n' "$std_lf"
} | msg plain/received-30.eml legit -
{
	i=1
	while [ $i -le 60 ]; do
		printf 'Received: by relay%d.example.net; Sat, 21 Nov 2026 10:00:00 +0100\n' $i
		i=$((i + 1))
	done
	printf '%s\nA loop: sixty hops, only a warning.\n' "$std_lf"
} | msg plain/received-60.eml legit -
{
	printf 'From: alice@example.org\nReferences:'
	awk 'BEGIN { for (i = 1; i <= 200; i++) printf " <thread.%d.20261121@mail.example.org>\n", i }'
	printf 'Subject: long thread\n\nbody\n'
} | msg plain/long-references.eml legit -
{
	printf 'From: alice@example.org\nTo: bob@example.net\nSubject: report\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary="----=_Part_0_12345.1763800000"\n\n'
	printf -- '------=_Part_0_12345.1763800000\nContent-Type: text/plain; charset=UTF-8\n\nSee attachment.\n'
	printf -- '------=_Part_0_12345.1763800000\nContent-Type: application/pdf; name="report.pdf"\nContent-Disposition: attachment;\n filename*0*=UTF-8'"''"'Bericht%%20%%C3%%BCber;\n filename*1*=%%20das%%20Jahr.pdf\nContent-Transfer-Encoding: base64\n\n'
	prng 3000 5 | base64 -w 76
	printf -- '------=_Part_0_12345.1763800000--\n'
} | msg plain/multipart-attachment.eml legit -

# ---- legitimate: charsets --------------------------------------------------

{
	printf 'From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>\n'
	printf 'To: =?KOI8-R?B?7dXSwdTP1w==?= <ivan@example.ru>, =?GB2312?B?1cXI/Q==?= <zhang@example.cn>\n'
	printf 'Cc: =?Big5?B?s6+kag==?= <chen@example.tw>, =?EUC-KR?B?x9GxucC4t84=?= <kim@example.kr>\n'
	printf 'Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?= =?windows-1252?Q?=80_und_=93Zitat=94?=\n =?Shift_JIS?B?k/qWe4zq?= =?ISO-8859-15?Q?=A4uro?= =?utf-8?q?caf=C3=A9?=\n'
	printf 'Date: Sat, 21 Nov 2026 10:00:00 +0100\n\nMany charsets.\n'
} | msg plain/rfc2047-charsets.eml legit -
{
	printf 'From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\nTo: suzuki@example.jp\n'
	printf 'Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\nMIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n'
	printf '\033$B$3$s$K$A$O\033(B\n\033$B@$3&\033(B\n'
} | msg plain/iso-2022-jp.eml legit -
printf 'From: yamada@example.jp\nSubject: \033$B$3$s$K$A$O\033(B raw JIS in a header\nContent-Type: text/plain; charset=ISO-2022-JP\n\n\033$B$3$s$K$A$O\033(B\n' |
	msg plain/iso-2022-jp-raw-header.eml legit -
printf 'From: Jörg Müller <jörg@bücher.example>\nTo: 山田太郎 <山田@例え.jp>\nSubject: Grüße, 你好, привет, こんにちは\nDate: Sat, 21 Nov 2026 10:00:00 +0100\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\nSMTPUTF8 (RFC 6532).\n' |
	msg plain/smtputf8.eml legit -
{
	printf 'From: alice@example.org\nSubject:'
	awk 'BEGIN { for (i = 0; i < 60; i++) printf " Grüße über Straßen äöü ÄÖÜ ß 日本語テキスト\n" }'
	printf 'Content-Type: text/plain; charset=UTF-8\n\nLong folded UTF-8 subject.\n'
} | msg plain/utf8-folded-subject.eml legit -
printf 'From: alice@example.org\nSubject: Gr\374\337e aus K\366ln (raw Latin-1)\n\nbody\n' |
	msg plain/latin1-raw-header.eml legit -

# ---- legitimate: bodies -----------------------------------------------------

{ printf '%s\n' "$std_lf"; rep b 200000; printf '\nend\n'; } | msg plain/body-line-200k.eml legit -
{ printf 'From: alice@example.org\r\nSubject: long body line, CRLF\r\n\r\n'; rep c 100000; printf '\r\n'; } |
	msg plain/body-line-100k-crlf.eml legit -
{ printf 'From: alice@example.org\nSubject: raw binary body\nMIME-Version: 1.0\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n'; prng 20000 3; } |
	msg plain/body-binary.eml legit -
{ printf '%s\n' "$std_lf"; printf 'NUL\000in a text body\n'; } | msg plain/body-nul.eml legit -
{ printf 'From: alice@example.org\nSubject: body starts indented\n\n'; printf '   indented first line\n\n\nblank lines above\n'; } |
	msg plain/body-indented.eml legit -

# ---- legitimate and near misses: header lengths -------------------------------

{ header_line X-Long 900 '\n'; printf '%s\nA 900-byte X-header value.\n' "$std_lf"; } | msg plain/x-header-900.eml legit -
{ printf '%s' "$std_lf"; header_line X-Exact 998 '\n'; printf '\nexactly 998\n'; } | msg plain/line-998-lf.eml legit -
{ printf 'From: alice@example.org\r\n'; header_line X-Exact 998 '\r\n'; printf '\r\nexactly 998, CRLF\r\n'; } |
	msg plain/line-998-crlf.eml legit -
{ printf '%s' "$std_lf"; header_line X-Over 999 '\n'; printf '\n999: a warning at most\n'; } | msg plain/line-999.eml legit -
{ printf '%s' "$std_lf"; header_line X-Unfolded 5000 '\n'; printf '\n5000 unfolded\n'; } | msg plain/line-5000.eml legit -
{ printf '%s' "$std_lf"; header_line X-Near 65536 '\n'; printf '\nat the hard limit\n'; } | msg plain/line-65536-lf.eml legit -
{ printf 'From: alice@example.org\r\n'; header_line X-Near 65536 '\r\n'; printf '\r\nat the hard limit, CRLF\r\n'; } |
	msg plain/line-65536-crlf.eml legit -
{ printf 'From: alice@example.org\nSubject: long continuation\n'; printf ' '; rep y 65535; printf '\n\nbody\n'; } |
	msg plain/continuation-65536.eml legit -
{ printf 'From: alice@example.org\n'; header_line X-Last 65536 ''; } | msg plain/last-line-65536-no-eol.eml legit -
{ printf 'From: alice@example.org\nSubject:'; awk 'BEGIN { for (i = 0; i < 70; i++) printf " word%04d word word word word word word word word word word word word\n", i }'; printf '\nfolded 5000-byte subject\n'; } |
	msg plain/folded-subject-5000.eml legit -

{ printf 'From: alice@example.org\nX-Folded-70k:'; awk 'BEGIN { for (i = 0; i < 900; i++) printf " folded-word-%04d folded folded folded folded folded folded folded\n", i }'; printf 'Subject: a 70 KB field in short lines\n\nbody\n'; } |
	msg plain/folded-field-70k.eml legit -
printf 'From: alice@example.org\nSubject\t: tab before the colon\n\nbody\n' | msg plain/tab-before-colon.eml legit -

# ---- near misses: block size, field count, addresses ---------------------

{ fill_block 150000; printf '\nblock of 150000: a warning at most\n'; } | msg plain/block-150000.eml legit -
{ fill_block 262144; printf '\nblock of exactly 262144\n'; } | msg plain/block-262144.eml legit -
{ fields 1000; printf '\n1000 fields\n'; } | msg plain/fields-1000.eml legit -
{ fields 10000; printf '\n10000 fields: at the hard limit\n'; } | msg plain/fields-10000.eml legit -
{ printf 'From: alice@example.org\n'; addrs To 900; printf 'Subject: 900 recipients\n\nbody\n'; } | msg plain/to-900.eml legit -
{ printf 'From: alice@example.org\n'; addrs Cc 10240; printf 'Subject: at the hard limit\n\nbody\n'; } | msg plain/cc-10240.eml legit -

# ---- legitimate: IIS / Exchange envelopes -----------------------------------

printf 'x-sender: alice@example.org\r\nx-receiver: bob@example.net\r\nx-receiver: carol@example.net\r\nx-receiver: <dave@example.net>\r\nFrom: alice@example.org\r\nTo: bob@example.net, carol@example.net\r\nSubject: pickup\r\n\r\nbody\r\n' |
	msg iis/Pickup/pickup-crlf.eml legit -
printf 'X-Sender: <alice@example.org>\nX-Receiver: <bob@example.net>\nFrom: alice@example.org\nSubject: pickup, LF, upper case\n\nbody\n' |
	msg iis/Pickup/pickup-lf-upper.eml legit -
printf 'X-Sender: "Alice" <alice@example.org>\r\nX-Receiver: <bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.net\r\nX-CreatedBy: MSExchange15\r\nX-HeloDomain: mail.example.org\r\nFrom: alice@example.org\r\nSubject: Exchange replay style\r\n\r\nbody\r\n' |
	msg iis/Pickup/replay-style.eml legit -
printf 'x-sender: <>\r\nx-receiver: postmaster@example.net\r\nFrom: MAILER-DAEMON@example.org\r\nSubject: null sender\r\n\r\nbody\r\n' |
	msg iis/Pickup/pickup-null-sender.eml legit -
printf '\357\273\277x-sender: alice@example.org\r\nx-receiver: bob@example.net\r\nFrom: alice@example.org\r\nSubject: BOM before the envelope\r\n\r\nbody\r\n' |
	msg iis/Pickup/pickup-bom.eml legit -
{ printf 'x-sender: alice@example.org\r\n'; receivers 1500 '\r\n'; printf 'From: alice@example.org\r\nSubject: 1500 recipients: a warning\r\n\r\nbody\r\n'; } |
	msg iis/Pickup/pickup-1500-rcpt.eml legit -
{ printf 'x-sender: alice@example.org\r\n'; receivers 10240 '\r\n'; printf 'From: alice@example.org\r\nSubject: at the hard limit\r\n\r\nbody\r\n'; } |
	msg iis/Pickup/pickup-10240-rcpt.eml legit -
{ printf 'x-sender: '; rep s 4084; printf '@example.org\r\nx-receiver: bob@example.net\r\nFrom: alice@example.org\r\nSubject: sender of 4096\r\n\r\nbody\r\n'; } |
	msg iis/Pickup/pickup-sender-4096.eml legit -
{ printf 'x-sender: alice@example.org\nx-receiver: <'; rep r 4084; printf '@example.net>\nFrom: alice@example.org\nSubject: recipient of 4096 in angle brackets\n\nbody\n'; } |
	msg iis/Pickup/pickup-rcpt-4096-angle.eml legit -
printf 'From: alice@example.org\r\nSubject: a queued message\r\n\r\nbody\r\n' | msg iis/Queue/NTFS_a1b2c3d4e5f60002.EML legit -
printf 'x-sender: j\303\266rg@b\303\274cher.example\r\nx-receiver: <\345\261\261\347\224\260@example.jp>\r\nFrom: j\303\266rg@b\303\274cher.example\r\nSubject: SMTPUTF8 envelope\r\n\r\nbody\r\n' |
	msg iis/Pickup/pickup-utf8.eml legit -

# ---- legitimate: maildir ------------------------------------------------------

{ printf '%s\nread message\n' "$std_lf"; } | msg 'maildir/cur/1763800000.M1P1.blind:2,S' legit -
{ printf '%s\nnew message\n' "$std_lf"; } | msg maildir/new/1763800001.M2P1.blind legit -

# ---- hostile: not a message at all --------------------------------------------

: | msg plain/empty.eml hostile container.not-a-message
head -c 8192 /dev/zero | msg plain/zeros.eml hostile container.not-a-message
head -c 10 /dev/zero | msg plain/zeros-10.eml hostile container.not-a-message
{ printf '\211PNG\r\n\032\n\000\000\000\rIHDR'; prng 6000 21; } | msg plain/png.eml hostile 'container.not-a-message|header.nul'
{ printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000'; prng 6000 22; } | msg plain/elf.eml hostile 'container.not-a-message|header.nul'
prng 8192 23 | msg plain/random.eml hostile 'container.not-a-message|header.nul'
printf 'Hello Bob,\n\nthis is a letter, not a mail message.\n' | msg plain/plain-text.eml hostile container.not-a-message
printf '\nSubject: after an empty line\n\nbody\n' | msg plain/starts-empty-line.eml hostile container.not-a-message
printf '\377\376F\000r\000o\000m\000:\000 \000a\000@\000b\000\r\000\n\000\r\000\n\000' | msg plain/utf16.eml hostile 'container.not-a-message|header.nul'
printf 'From: a\001\002\003\004\005\006\007\010\016\017\020\021\022\023\024\025\n\n' | msg plain/control-bytes.eml hostile 'container.not-a-message|header.invalid-name'

# ---- hostile: events -----------------------------------------------------------

printf 'From: alice@example.org\nSubject: NUL\000here\n\nbody\n' | msg plain/nul-value.eml hostile header.nul
printf 'From: alice@example.org\r\nX-N\000ul: name\r\n\r\nbody\r\n' | msg plain/nul-name.eml hostile header.nul
printf 'From: alice@example.org\nSubject: fine\n  but\000 not here\n\nbody\n' | msg plain/nul-continuation.eml hostile header.nul
printf '\357\273\277From: alice@example.org\r\nSubject: BOM and NUL\000\r\n\r\nbody\r\n' | msg plain/bom-nul.eml hostile header.nul
printf 'From sender@example.org Sat Nov 21 10:00:00 2026\nFrom: x\nSubject: \000\n\nbody\n' | msg plain/mbox-nul.eml hostile header.nul
printf 'From: alice@example.org\nBad Header: a space in the name\n\nbody\n' | msg plain/name-space.eml hostile header.invalid-name
printf 'From: alice@example.org\nS\303\274bject: 8-bit in the name\n\nbody\n' | msg plain/name-8bit.eml hostile header.invalid-name
printf 'From: alice@example.org\nX-\001Ctl: control in the name\n\nbody\n' | msg plain/name-control.eml hostile header.invalid-name
printf 'From: alice@example.org\n: no name at all\n\nbody\n' | msg plain/name-empty.eml hostile header.invalid-name
printf ' Subject: continuation first\nFrom: alice@example.org\n\nbody\n' | msg plain/leading-space.eml hostile header.leading-continuation
printf '\tFrom: alice@example.org\r\nSubject: tab first\r\n\r\nbody\r\n' | msg plain/leading-tab.eml hostile header.leading-continuation

# ---- hostile: just past the hard limits ------------------------------------------

{ printf '%s' "$std_lf"; header_line X-Over 65537 '\n'; printf '\nbody\n'; } | msg plain/line-65537-lf.eml hostile header.line-length
{ printf 'From: alice@example.org\r\n'; header_line X-Over 65537 '\r\n'; printf '\r\nbody\r\n'; } | msg plain/line-65537-crlf.eml hostile header.line-length
{ printf 'From: alice@example.org\nSubject: long continuation\n'; printf ' '; rep y 65536; printf '\n\nbody\n'; } |
	msg plain/continuation-65537.eml hostile header.line-length
{ printf 'From: alice@example.org\n'; header_line X-Last 65537 ''; } | msg plain/last-line-65537-no-eol.eml hostile header.line-length
{ printf 'From: alice@example.org\nSubject: '; rep z 200000; printf '\n\nbody\n'; } | msg plain/line-200k.eml hostile header.line-length
{ fill_block 262145; printf '\nbody\n'; } | msg plain/block-262145.eml hostile header.block-size
{ fill_block 2097152; printf '\nbody\n'; } | msg plain/block-2m.eml hostile header.block-size
{ printf 'From '; rep m 65540; printf '\nFrom: alice@example.org\n\nbody\n'; } | msg plain/mbox-line-65545.eml hostile header.line-length
{ fields 10001; printf '\nbody\n'; } | msg plain/fields-10001.eml hostile header.count
{ printf 'From: alice@example.org\n'; addrs To 10241; printf 'Subject: one too many\n\nbody\n'; } | msg plain/to-10241.eml hostile header.address-count
{ printf 'From: alice@example.org\nCc: '; awk 'BEGIN { for (i = 1; i < 50000; i++) { printf "a@b,"; if (i % 150 == 0) printf "\n " } print "a@b" }'; printf '\nbody\n'; } |
	msg plain/cc-50000.eml hostile header.address-count
{ printf 'x-sender: alice@example.org\r\n'; receivers 10241 '\r\n'; printf 'From: alice@example.org\r\nSubject: x\r\n\r\nbody\r\n'; } |
	msg iis/Pickup/pickup-10241-rcpt.eml hostile envelope.rcpt-count
{ printf 'x-sender: alice@example.org\n'; receivers 50000 '\n'; printf 'From: alice@example.org\nSubject: x\n\nbody\n'; } |
	msg iis/Pickup/pickup-50000-rcpt.eml hostile envelope.rcpt-count
{ printf 'x-sender: '; rep s 4085; printf '@example.org\r\nx-receiver: bob@example.net\r\nFrom: alice@example.org\r\nSubject: x\r\n\r\nbody\r\n'; } |
	msg iis/Pickup/pickup-sender-4097.eml hostile envelope.address-length
{ printf 'x-sender: alice@example.org\nx-receiver: <'; rep r 4085; printf '@example.net>\nFrom: alice@example.org\nSubject: x\n\nbody\n'; } |
	msg iis/Pickup/pickup-rcpt-4097-angle.eml hostile envelope.address-length
{ printf 'x-sender: alice@example.org\r\nx-receiver: '; rep r 100000; printf '\r\nFrom: alice@example.org\r\n\r\nbody\r\n'; } |
	msg iis/Pickup/pickup-rcpt-100k.eml hostile envelope.address-length
printf 'x-sender: alice@example.org\r\nx-receiver: bob@exa\000mple.net\r\nFrom: alice@example.org\r\nSubject: x\r\n\r\nbody\r\n' |
	msg iis/Pickup/pickup-rcpt-nul.eml hostile container.nul
{ printf 'From: alice@example.org\r\nSubject: NUL in a queued message\000\r\n\r\nbody\r\n'; } | msg iis/Queue/NTFS_a1b2c3d4e5f60003.EML hostile header.nul
{ printf 'From: alice@example.org\r\nSubject: '; rep q 70000; printf '\r\n\r\nbody\r\n'; } | msg iis/Badmail/NTFS_a1b2c3d4e5f60004.BAD hostile header.line-length
printf 'From: alice@example.org\nSubject: NUL\000 in new/\n\nbody\n' | msg maildir/new/1763800002.M3P1.blind hostile header.nul

# ---- hostile bytes where no scan may look -----------------------------------------

printf 'From: alice@example.org\nSubject: still being delivered\000\n\nbody\n' | msg maildir/tmp/1763800003.M4P1.blind keep -
printf 'Reason: 0xC00402CE\nSender: alice@example.org\000\nRecipients: bob@example.net\n' | msg iis/Badmail/NTFS_a1b2c3d4e5f60004.BDR keep -

# ---- message.size: sparse files at and past 2^31-1 bytes (opt-in: they
# cost two 2 GiB sha256 passes in the store) ------------------------------

if [ "${SG_BLIND_HUGE:-0}" = 1 ]; then
	printf 'From: alice@example.org\nSubject: 2^31-1 bytes\n\n' >"$out/plain/size-2147483647.eml"
	truncate -s 2147483647 "$out/plain/size-2147483647.eml"
	echo "plain/size-2147483647.eml legit -" >>"$manifest"
	printf 'From: alice@example.org\nSubject: 2^31 bytes\n\n' >"$out/plain/size-2147483648.eml"
	truncate -s 2147483648 "$out/plain/size-2147483648.eml"
	echo "plain/size-2147483648.eml hostile message.size" >>"$manifest"
fi

# ---- MIME: legitimate structures (must hold before and after the MIME
# checks are merged) and, as kind "mime", hostile ones that only a build
# with the MIME checks can see (blind.sh asserts them with SG_BLIND_MIME=1).

mime_head() {
	printf 'From: alice@example.org\nTo: bob@example.net\nSubject: %s\nMIME-Version: 1.0\n' "$1"
}
# nested DEPTH: multiparts nested DEPTH deep, one text part at the bottom.
nested() {
	awk -v d="$1" 'BEGIN {
		printf "Content-Type: multipart/mixed; boundary=\"b1\"\n\n"
		for (i = 1; i < d; i++) printf "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i + 1
		printf "--b%d\nContent-Type: text/plain\n\ndeep\n", d
		for (i = d; i >= 1; i--) printf "--b%d--\n", i }'
}
# parts N: one multipart with N text parts.
parts() {
	awk -v n="$1" 'BEGIN { printf "Content-Type: multipart/mixed; boundary=\"p\"\n\n"
		for (i = 1; i <= n; i++) printf "--p\nContent-Type: text/plain\n\npart %d\n", i
		printf "--p--\n" }'
}
# boundary_msg LEN: a multipart whose boundary is LEN bytes.
boundary_msg() {
	b=$(rep B "$1")
	printf 'Content-Type: multipart/mixed; boundary="%s"\n\n--%s\nContent-Type: text/plain\n\nx\n--%s--\n' "$b" "$b" "$b"
}

{ mime_head 'nested 5'; nested 5; } | msg plain/mime-nested-5.eml legit -
{ mime_head 'nested 100: at the hard limit'; nested 100; } | msg plain/mime-nested-100.eml legit -
{ mime_head '300 parts'; parts 300; } | msg plain/mime-parts-300.eml legit -
{ mime_head 'boundary of 70'; boundary_msg 70; } | msg plain/mime-boundary-70.eml legit -
{ mime_head 'boundary of 2048: at the hard limit'; boundary_msg 2048; } | msg plain/mime-boundary-2048.eml legit -
{
	mime_head 'forwarded message with preamble and epilogue'
	printf 'Content-Type: multipart/mixed; boundary="outer"\n\nThis is a multi-part message in MIME format.\n'
	printf -- '--outer\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nSee below =E2=80=94 forwarded.=\n soft break\n'
	printf -- '--outer\nContent-Type: message/rfc822\n\nFrom: carol@example.net\nSubject: inner\nContent-Type: multipart/alternative; boundary="inner"\n\n'
	printf -- '--inner\nContent-Type: text/plain\n\ninner text\n--inner\nContent-Type: text/html\n\n<p>inner</p>\n--inner--\n'
	printf -- '--outer--\nepilogue text\n'
} | msg plain/mime-forward.eml legit -
{
	mime_head 'signed'
	printf 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;\n\tboundary="----=_sig_0001"\n\n'
	printf -- '------=_sig_0001\nContent-Type: text/plain\n\nsigned text\n------=_sig_0001\nContent-Type: application/pkcs7-signature; name="smime.p7s"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="smime.p7s"\n\n'
	prng 900 9 | base64 -w 76
	printf -- '------=_sig_0001--\n'
} | msg plain/mime-smime-signed.eml legit -
{
	printf 'From: MAILER-DAEMON@example.org\nTo: alice@example.org\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="dsn"\n\n'
	printf -- '--dsn\nContent-Type: text/plain\n\nbounced\n--dsn\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; bob@example.net\nAction: failed\nStatus: 5.1.1\n'
	printf -- '--dsn\nContent-Type: text/rfc822-headers\n\nFrom: alice@example.org\nSubject: hi\n--dsn--\n'
} | msg plain/mime-dsn.eml legit -
{
	mime_head 'uuencoded body and winmail.dat'
	printf 'Content-Type: multipart/mixed; boundary="w"\n\n--w\nContent-Type: text/plain\n\nbegin 644 a.txt\n#86)C\n`\nend\n'
	printf -- '--w\nContent-Type: application/ms-tnef; name="winmail.dat"\nContent-Transfer-Encoding: base64\n\n'
	{ printf '\170\237\076\042'; prng 600 4; } | base64 -w 76
	printf -- '--w--\n'
} | msg plain/mime-tnef.eml legit -
{
	mime_head 'truncated multipart (bounced mail does this)'
	printf 'Content-Type: multipart/mixed; boundary="t"\n\n--t\nContent-Type: text/plain\n\ncut off here\n'
} | msg plain/mime-truncated.eml legit -
{
	mime_head 'a 998-byte base64 line and a bad base64 character'
	printf 'Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'
	rep QUJD 249; printf 'QU\nQUJD*QUJD\n'
} | msg plain/mime-base64-odd.eml legit -

{ mime_head 'nested 101'; nested 101; } | msg plain/mime-nested-101.eml mime mime.depth
{ mime_head 'nested 2000'; nested 2000; } | msg plain/mime-nested-2000.eml mime mime.depth
{ mime_head '10001 parts'; parts 10001; } | msg plain/mime-parts-10001.eml mime mime.part-count
{ mime_head 'boundary of 2049'; boundary_msg 2049; } | msg plain/mime-boundary-2049.eml mime mime.boundary-length
{ mime_head 'no boundary'; printf 'Content-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\n\nx\n--x--\n'; } |
	msg plain/mime-no-boundary.eml mime mime.boundary-missing
{ mime_head 'conflicting types'; printf 'Content-Type: text/plain\nContent-Type: multipart/mixed; boundary="c"\n\n--c\n\nx\n--c--\n'; } |
	msg plain/mime-conflicting.eml mime header.conflicting
{ mime_head 'a 70000-byte parameter'; printf 'Content-Type: application/octet-stream; name="'; rep n 70000; printf '"\n\nx\n'; } |
	msg plain/mime-param-70000.eml mime 'mime.param-length|header.line-length'
