#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""recipe-smtp.py PORT FROM RCPT FILE - one SMTP transaction on 127.0.0.1.

Prints one line: "accepted CODE TEXT", "rejected CODE TEXT" (5xx) or
"deferred CODE TEXT" (4xx), with the server's reply to DATA (or to the
command that failed), CR/LF folded to spaces.  Exits 0 in all three
cases, 1 when no SMTP conversation happened.
"""
import smtplib
import sys

port, sender, rcpt, path = sys.argv[1:5]
with open(path, "rb") as f:
    data = f.read()


def say(kind, code, text):
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    print("%s %s %s" % (kind, code, " ".join(text.split())))


try:
    s = smtplib.SMTP("127.0.0.1", int(port), timeout=120)
    s.ehlo("client.spoolguard.test")
    s.mail(sender)
    code, text = s.rcpt(rcpt)
    if code >= 400:
        say("rejected" if code >= 500 else "deferred", code, text)
        sys.exit(0)
    code, text = s.data(data)
    say("accepted" if code < 400 else "rejected" if code >= 500 else "deferred", code, text)
    s.quit()
except smtplib.SMTPDataError as e:
    say("rejected" if e.smtp_code >= 500 else "deferred", e.smtp_code, e.smtp_error)
except smtplib.SMTPResponseException as e:
    say("rejected" if e.smtp_code >= 500 else "deferred", e.smtp_code, e.smtp_error)
except (OSError, smtplib.SMTPException) as e:
    print("error %s" % e)
    sys.exit(1)
