#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# py-baseline.py - what a postmaster would script: parse every file under
# each PATH with Python's email package (policy.default), walk the parts
# and collect the parser's defects.  Standard library only.  Prints
# "files parts defects" on stdout.
import email
import email.policy
import os
import sys


def scan(path, totals):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    totals["files"] += 1
    for part in msg.walk():
        totals["parts"] += 1
        part.get_content_type()
        totals["defects"] += len(part.defects)
        # policy.default parses header values lazily; a checker reads them.
        for _name, value in part.items():
            totals["defects"] += len(getattr(value, "defects", ()))


def main(argv):
    if len(argv) < 2:
        print("usage: py-baseline.py PATH...", file=sys.stderr)
        return 64
    totals = {"files": 0, "parts": 0, "defects": 0}
    for top in argv[1:]:
        if os.path.isfile(top):
            scan(top, totals)
            continue
        for root, dirs, files in os.walk(top):
            dirs.sort()
            for name in sorted(files):
                p = os.path.join(root, name)
                if os.path.isfile(p) and not os.path.islink(p):
                    scan(p, totals)
    print("%(files)d files %(parts)d parts %(defects)d defects" % totals)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
