#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Writes the fixtures of the detection rules (issue 13) in this folder: for
# each rule one message that fires it and a near miss that must not.  Run
# it on purpose, from anywhere, when a fixture must change;
# tests/check_mime.c holds the expected finding and verdict of each.
import base64
import os

HERE = os.path.dirname(os.path.abspath(__file__))

HEAD = ("From: Alice <alice@example.com>\n"
        "To: Bob <bob@example.com>\n"
        "Subject: test\n"
        "Date: Sun, 22 Nov 2026 03:00:00 +0000\n"
        "Message-ID: <t1@example.com>\n"
        "MIME-Version: 1.0\n")

ZIP = base64.b64encode(b"PK\x03\x04" + bytes(range(40))).decode()


def multipart(*parts, boundary="b1", ctype="multipart/mixed"):
    """A message of @parts (each headers + "\\n" + body) under @boundary."""
    out = HEAD + 'Content-Type: %s; boundary="%s"\n\n' % (ctype, boundary)
    for p in parts:
        out += "--%s\n%s\n" % (boundary, p)
    return out + "--%s--\n" % boundary


def text(body="hello", headers="Content-Type: text/plain; charset=us-ascii"):
    return "%s\n\n%s" % (headers, body)


def attach(headers, body=ZIP):
    return "%s\n\n%s" % (headers, body)


F = {}

# header.control: a vertical tab between a part's field name and value.
F["header-control.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding:\x0bbase64"))
F["header-control-near.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding:\tbase64"))

# header.nul, header.line-length, header.bare-cr in a part's header block.
F["part-header-nul.eml"] = multipart(text(headers=(
    "Content-Type: text/plain; charset=us-ascii\n"
    "Content-Description: a\x00b")))
F["part-header-long.eml"] = multipart(text(headers=(
    "Content-Type: text/plain; charset=us-ascii\n"
    "X-Foo: " + "x" * 5000)))
F["part-header-bare-cr.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "X-Foo: bar\rContent-Transfer-Encoding: base64"))

# header.duplicate-reply-to: a mailing list's second Reply-To.
F["duplicate-reply-to.eml"] = (HEAD + "Reply-To: Alice <alice@example.com>\n"
                               "Reply-To: list@example.org\n"
                               "Content-Type: text/plain\n\nhello\n")
F["duplicate-reply-to-near.eml"] = (HEAD +
                                    "Reply-To: list@example.org\n"
                                    "Content-Type: text/plain\n\nhello\n")

# mime.ambiguous, one fixture a reading.
F["ambiguous-junk-field.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "XXXXXXXXXX\n"
    "Content-Transfer-Encoding: base64"))
F["ambiguous-inner-prefix.eml"] = (
    HEAD + 'Content-Type: multipart/mixed; boundary="b_x"\n\n'
    '--b_x\nContent-Type: multipart/alternative; boundary="b"\n\n'
    "--b\nContent-Type: text/plain\n\nhello\n"
    "--b_x\nContent-Type: text/plain\n\nsecond\n--b_x--\n")
F["ambiguous-names.eml"] = multipart(text(), attach(
    'Content-Type: application/octet-stream; name="report.png"\n'
    'Content-Disposition: attachment; filename="report.zip"\n'
    "Content-Transfer-Encoding: base64"))
F["ambiguous-names-near.eml"] = multipart(text(), attach(
    'Content-Type: application/zip; name="report.zip"\n'
    'Content-Disposition: attachment; filename="report.zip"\n'
    "Content-Transfer-Encoding: base64"))
F["ambiguous-rfc2231.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Disposition: attachment; filename=report.png;\n"
    " filename*=''report.zip\n"
    "Content-Transfer-Encoding: base64"))
F["ambiguous-cte.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64 xx"))

# The parameter grammar.
F["param-space.eml"] = (HEAD + "Content-Type: multipart/mixed; "
                        "boundary = \"b1\"\n\n--b1\n" + text() +
                        "\n--b1--\n")
F["param-space-near.eml"] = (HEAD + "Content-Type: multipart/mixed;\n"
                             "\tboundary=\"b1\"\n\n--b1\n" + text() +
                             "\n--b1--\n")
F["param-comment.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Disposition: attachment; filename=report.zip()\n"
    "Content-Transfer-Encoding: base64"))
F["param-quote.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    'Content-Disposition: attachment; filename="report".zip\n'
    "Content-Transfer-Encoding: base64"))
F["param-quote-near.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    'Content-Disposition: attachment; filename="report; final.zip"\n'
    "Content-Transfer-Encoding: base64"))
F["param-escape.eml"] = (HEAD + "Content-Type: multipart/mixed; "
                         "boundary=b1\\_x\n\n--b1\\_x\n" + text() +
                         "\n--b1\\_x--\n")
F["param-syntax.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Disposition: attachment; filename=a.zip size=3\n"
    "Content-Transfer-Encoding: base64"))
F["param-encoded.eml"] = multipart(text(), attach(
    'Content-Type: application/octet-stream; '
    'name="=?us-ascii?B?cmVwb3J0LnppcA==?="\n'
    "Content-Transfer-Encoding: base64"))
F["param-encoded-near.eml"] = multipart(text(), attach(
    'Content-Type: application/octet-stream; '
    'name="=?utf-8?B?csOpc3Vtw6kuemlw?="\n'
    "Content-Transfer-Encoding: base64"))
F["rfc2231-sections.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Disposition: attachment; filename*1=zip;\n"
    " filename*0=report.\n"
    "Content-Transfer-Encoding: base64"))
F["rfc2231-encoding.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Disposition: attachment; filename*=report.zip\n"
    "Content-Transfer-Encoding: base64"))
F["rfc2231-encoding-near.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.zip\n"
    "Content-Transfer-Encoding: base64"))

# Boundaries and delimiters.
F["boundary-chars.eml"] = multipart(text(), boundary="b#1")
F["boundary-chars-near.eml"] = multipart(
    text(), boundary="----=_NextPart_000_0001_01DA2F3B.7C0E4D10")
F["fake-multipart.eml"] = (HEAD + "Content-Type: text/plain; boundary=b1\n\n"
                           "--b1\n" + text() + "\n--b1--\n")
F["delimiter-suffix.eml"] = (HEAD + 'Content-Type: multipart/mixed; '
                             'boundary="b1"\n\n--b1X\n' + text() +
                             "\n--b1\n" + text("second") + "\n--b1--\n")

# Transfer encodings.
UU = ("begin 644 report.zip\n"
      "M4$L#!!0``@`(`!%*CDD\\SU%H1@```$0````)````96EC87(N8V]MBS#U5PQ0\n"
      "`\nend\n")
F["cte-invalid.eml"] = multipart(text(headers=(
    "Content-Type: text/plain; charset=us-ascii\n"
    "Content-Transfer-Encoding: 7-bit")))
F["cte-invalid-near.eml"] = multipart(text(headers=(
    "Content-Type: text/plain; charset=us-ascii\n"
    "Content-Transfer-Encoding: 7BIT")))
F["cte-extension.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: x-uuencode", UU))
F["base64-line-length.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64",
    base64.b64encode(bytes(range(120))).decode()[:80] + "\n"))
B64 = base64.b64encode(bytes(range(200))).decode()
F["base64-line-length-near.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64",
    "\n".join(B64[i:i + 76] for i in range(0, len(B64), 76)) + "\n"))
F["base64-layout.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64",
    "\n".join(B64[i:i + 5] for i in range(0, len(B64), 5)) + "\n"))
F["body-nul.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream", "PK\x03\x04\x00\x00\x00"))
F["body-nul-near.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: binary", "PK\x03\x04\x00\x00\x00"))
F["empty-message.eml"] = multipart(text(), "Content-Type: message/rfc822\n")
F["undeclared-parts.eml"] = (HEAD + "Content-Type: text/plain\n\n"
                             "hello\n\n--xyz\nContent-Type: "
                             "application/octet-stream\n"
                             "Content-Transfer-Encoding: base64\n\n" + ZIP +
                             "\n--xyz--\n")
F["undeclared-parts-near.eml"] = (HEAD + "Content-Type: text/plain\n\n"
                                  "hello\n\n-- \nAlice\n--\nContent: none\n")
F["filename-path.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    'Content-Disposition: attachment; filename="../../etc/cron.d/x"\n'
    "Content-Transfer-Encoding: base64"))
F["filename-path-near.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    'Content-Disposition: attachment; filename="report..final.v2.zip"\n'
    "Content-Transfer-Encoding: base64"))

# Quoted-printable escapes in lower case: strict decoders keep them.
F["qp-lowercase.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: quoted-printable",
    "=50=4b=03=04=14=00=02=00=08=00\n"))
F["qp-lowercase-near.eml"] = multipart(text(), attach(
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: quoted-printable",
    "=50=4B=03=04=14=00=02=00=08=00 and text, lower case: abcdef\n"))

# A boundary in RFC 2231 sections: legitimate, GMime joins them.
F["legit-rfc2231-boundary.eml"] = (
    HEAD + 'Content-Type: multipart/mixed; boundary*0="abc";\n'
    ' boundary*1="def"\n\n--abcdef\n' + text() + "\n--abcdef\n" +
    text("second") + "\n--abcdef--\n")

# Non-MIME encodings in bodies.
F["hidden-encoding.eml"] = (HEAD + "Content-Type: text/plain\n\n"
                            "here it is\n\n" + UU)
F["hidden-encoding-near.eml"] = (HEAD + "Content-Type: text/plain\n\n"
                                 "begin 644 is how it starts, then:\n"
                                 "M is a letter\nend\n")
F["legacy-encoding.eml"] = multipart(text(), attach(
    "Content-Type: application/x-uuencode\n"
    'Content-Disposition: attachment; filename="report.zip"', UU))

for name, data in F.items():
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data.encode("latin-1"))
