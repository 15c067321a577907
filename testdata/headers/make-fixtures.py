#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Writes the header-check fixtures of this folder.  Run it on purpose, from
# this folder, when a fixture must change; tests/check_headers.c holds the
# expected findings for each one.  Large hostile inputs are not here: the
# tests generate them.
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def lf(*lines):
    return "".join(l + "\n" for l in lines).encode("utf-8")


def crlf(*lines):
    return "".join(l + "\r\n" for l in lines).encode("utf-8")


BASE = ("From: Alice <alice@example.org>",
        "To: Bob <bob@example.net>",
        "Subject: fixture",
        "Date: Sun, 22 Nov 2026 10:00:00 +0000",
        "Message-ID: <fixture@example.org>")

F = {}

# header.line-length (profile "small": soft 60, hard 100)
F["line-length-fire.eml"] = lf(*BASE[:2], "Subject: " + "x" * 120, "",
                               "body")
F["line-length-near.eml"] = lf(*BASE[:2], "Subject: " + "x" * 51, "",
                               "body")  # exactly 60 bytes
# header.block-size (small: soft 400, hard 600)
F["block-size-fire.eml"] = lf(*BASE[:2], "Comments: start",
                              *["\tfolded comment line %02d %s" % (i, "c" * 20)
                                for i in range(14)], "", "body")
F["block-size-near.eml"] = lf(*BASE, "", "body")
# header.count (small: soft 8, hard 12)
F["count-fire.eml"] = lf(*BASE, *["X-Field-%02d: v" % i for i in range(8)],
                         "", "body")
F["count-near.eml"] = lf(*BASE, *["X-Field-%02d: v" % i for i in range(3)],
                         "", "body")
# header.nul (default): the NUL is the 12th byte of the Subject line.
F["nul-fire.eml"] = (lf(*BASE[:2]) + b"Subject: he\x00llo\n" +
                     lf(*BASE[3:], "", "body"))
F["nul-near.eml"] = lf(*BASE, "") + b"a NUL \x00 in the body only\n"
# header.bare-cr (default, warn)
F["bare-cr-fire.eml"] = (crlf(*BASE[:2]) + b"Subject: a\rb\r\n" +
                         crlf(*BASE[3:], "", "body"))
F["bare-cr-near.eml"] = crlf(*BASE, "") + b"a bare \r in the body\r\n"
# header.8bit (default, warn only): SMTPUTF8 mail is legitimate.
F["utf8-headers.eml"] = lf("From: J\u00fcrgen <j\u00fcrgen@b\u00fccher.example>",
                           "To: \u5f20\u4e09 <zhang@example.cn>",
                           "Subject: Gr\u00fc\u00dfe aus M\u00fcnchen",
                           *BASE[3:], "MIME-Version: 1.0",
                           "Content-Type: text/plain; charset=utf-8",
                           "", "Hallo")
F["8bit-near.eml"] = lf(*BASE[:2],
                        "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=", *BASE[3:],
                        "MIME-Version: 1.0",
                        "Content-Type: text/plain; charset=utf-8",
                        "Content-Transfer-Encoding: 8bit", "",
                        "Gr\u00fc\u00dfe im Text")
# header.invalid-name (default, quarantine)
F["invalid-name-fire.eml"] = lf(*BASE, "X Bad Name: value", "", "body")
F["invalid-name-ctl.eml"] = (lf(*BASE) + b"X-\x01Ctl: value\n" +
                             lf("", "body"))
F["invalid-name-near.eml"] = lf(*BASE, "Subject : obsolete space",
                                "X-Odd_Name.1!#$%&'*+/=?^`{|}~: v", "",
                                "body")
# header.leading-continuation (default, quarantine)
F["leading-continuation-fire.eml"] = lf(" " + BASE[0], *BASE[1:], "",
                                        "body")
F["folded-long.eml"] = lf(
    "From: Alice <alice@example.org>",
    "To: " + ",\n ".join('"Member %03d" <member%03d@lists.example.org>' %
                         (i, i) for i in range(60)),
    "Subject: a subject that is long enough that it has to be folded",
    "\tonto a second line and then onto a third line, as RFC 5322",
    "\tsection 2.2.3 describes",
    "References: " + "\n\t".join("<ref%03d.%s@example.org>" % (i, "r" * 40)
                                 for i in range(40)),
    *BASE[3:], "", "body")
# header.no-separator (default, warn)
F["no-separator-fire.eml"] = lf(*BASE, "This body starts without the "
                                "empty line", "second line")
F["no-separator-nul.eml"] = (lf(*BASE) + b"a body line with a NUL \x00 and "
                             b"no empty line before it\n")
# GMime and MimeKit read on past a line that is not a field: a field
# after it is still checked, a body line with a colon is not a bad name.
F["no-separator-hidden.eml"] = (lf(*BASE, "an odd line") +
                                b"X-Hidden: he\x00llo\n" + lf("", "body"))
F["no-separator-colon.eml"] = lf(*BASE, "The body starts without the empty",
                                 "line. Dear Bob: a colon after a space",
                                 "is body text here, not a bad name.")
F["headers-only.eml"] = lf(*BASE)
# header.received-count (small: soft 3)
RCV = ["Received: from relay%d by mx; 22 Nov 2026 10:00:0%d +0000" % (i, i)
       for i in range(4)]
F["received-count-fire.eml"] = lf(*RCV, *BASE[:4], "", "body")
F["received-count-near.eml"] = lf(*RCV[:3], *BASE[:4], "", "body")
# header.address-count (small: soft 3, hard 5)
F["address-count-fire.eml"] = lf(BASE[0],
                                 "To: a@example.net, b@example.net,",
                                 " c@example.net, d@example.net,",
                                 "\te@example.net, f@example.net",
                                 *BASE[2:], "", "body")
F["address-count-near.eml"] = lf(
    BASE[0], 'To: "Doe, John" <john@example.net>, (a, b, c)',
    ' team: m@example.net;, "Smith; Ann"', ' <ann(,)@example.net>,,',
    *BASE[2:], "", "body")
# container.not-a-message (default, quarantine)
F["empty.eml"] = b""
F["zeros.eml"] = b"\x00" * 512
F["binary.eml"] = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
                   b"\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"
                   b"\x00\x00\x00\x00IEND\xaeB`\x82" * 4)
F["no-headers.eml"] = lf("Dear Bob,", "this is a letter, not a message.")
F["blank-first.eml"] = lf("", *BASE, "", "body")
F["mbox-from.eml"] = lf("From alice@example.org Sun Nov 22 10:00:00 2026",
                        *BASE, "", "body")
F["binary-body.eml"] = (lf(*BASE, "MIME-Version: 1.0",
                           "Content-Type: application/octet-stream",
                           "Content-Transfer-Encoding: binary", "") +
                        bytes(range(256)) * 8)
# legitimate oddities (default): nothing but header.8bit may warn
F["utf8-bom.eml"] = b"\xef\xbb\xbf" + crlf(*BASE, "", "written by Set-Content")
F["lf-only.eml"] = lf(*BASE, "", "one", "two")
F["crlf.eml"] = crlf(*BASE, "", "one", "two")
F["line-998.eml"] = lf(*BASE[:2], "Subject: " + "y" * 989, *BASE[3:], "",
                       "body")
F["line-998-crlf.eml"] = crlf(*BASE[:2], "Subject: " + "y" * 989, *BASE[3:],
                             "", "body")
F["no-date.eml"] = lf(*BASE[:3], BASE[4], "", "body")
F["iso-2022-jp.eml"] = (lf(*BASE[:2]) + b"Subject: \x1b$B$3$s$K$A$O\x1b(B\n" +
                        lf(*BASE[3:], "", "body"))
# message.size (profile "size": hard 300)
F["size-fire.eml"] = lf(*BASE, "", "x" * 200)
F["size-near.eml"] = lf(*BASE, "", "x" * 50)

# envelope.* (profile "small": rcpt-count soft 2 hard 4, address-length
# soft 20 hard 40), read through the plain reader's IIS envelope lines.
def iis(sender, rcpts):
    return crlf("x-sender: <%s>" % sender,
                *["x-receiver: <%s>" % r for r in rcpts], *BASE, "", "body")


F["env-rcpt-count-fire.eml"] = iis("a@example.org",
                                   ["r%d@example.net" % i for i in range(5)])
F["env-rcpt-count-near.eml"] = iis("a@example.org",
                                   ["r%d@example.net" % i for i in range(2)])
F["env-address-length-fire.eml"] = iis("s" * 38 + "@example.org",
                                       ["bob@example.net"])
F["env-address-length-near.eml"] = iis("s" * 8 + "@example.org",
                                       ["bob@example.net"])  # exactly 20

for name, data in sorted(F.items()):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
