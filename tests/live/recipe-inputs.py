#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""recipe-inputs.py DIR - the messages every recipe test sends.

clean.eml      a plain message, delivered by every recipe
longhdr.eml    one 100,000-byte header line      (header.line-length)
depth150.eml   multipart nested 150 deep         (mime.depth)
parts60k.eml   one multipart with 60,000 parts   (mime.part-count)
ctconflict.eml two different Content-Type fields (header.conflicting)

Each bad one is a well-formed SMTP transaction: lines end in LF, no NUL,
no bare CR, so that the MTA itself lets it through (where it does not,
the test says so) and the rejection is spoolguard's.
"""
import os
import sys

d = sys.argv[1]
os.makedirs(d, exist_ok=True)
head = "From: alice@example.invalid\nTo: bob@spoolguard.test\nDate: Mon, 1 Dec 2025 00:00:00 +0000\n"


def put(name, text):
    with open(os.path.join(d, name), "w", newline="\n") as f:
        f.write(text)


put("clean.eml", head + "Subject: clean\nMessage-ID: <clean@example.invalid>\n\nhello, clean\n")

# 100,000 bytes on one header line; folded nowhere.
put("longhdr.eml", head + "Subject: long header\nX-Long: " + "a" * (100000 - 8) + "\n\nbody\n")

# 150 nested multipart/mixed levels, one text leaf.
parts = [head, "Subject: depth 150\nMIME-Version: 1.0\n"]
depth = 150
for i in range(depth):
    parts.append('Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i))
parts.append("Content-Type: text/plain\n\nleaf\n")
for i in reversed(range(depth)):
    parts.append("--b%d--\n" % i)
put("depth150.eml", "".join(parts))

# 60,000 tiny parts under one boundary.
body = ["--p\nContent-Type: text/plain\n\n%d\n" % i for i in range(60000)]
put("parts60k.eml", head + 'Subject: 60000 parts\nMIME-Version: 1.0\n'
    'Content-Type: multipart/mixed; boundary="p"\n\n' + "".join(body) + "--p--\n")

# Two Content-Type fields that disagree.
put("ctconflict.eml", head + "Subject: conflict\nMIME-Version: 1.0\n"
    "Content-Type: text/plain\nContent-Type: multipart/mixed; boundary=\"x\"\n\n"
    "--x\nContent-Type: text/plain\n\nhi\n--x--\n")
