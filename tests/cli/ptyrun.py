#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# ptyrun.py OUT CMD...: runs CMD with standard input and standard error on
# a new pseudo-terminal (80 columns) and standard output appended to the
# file OUT (or on the terminal too when OUT is "-"); copies what the
# terminal received to our standard output and exits with CMD's exit
# status.  The command-line tests use it to see what
# spoolguard shows on a terminal.
import fcntl
import os
import pty
import select
import struct
import sys
import termios

out, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    if out != "-":
        os.dup2(os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), 1)
    os.execvp(argv[0], argv)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
got = b""
while True:
    try:
        ready, _, _ = select.select([fd], [], [], 120)
        if not ready:
            break
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    got += data
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(got)
sys.exit(os.waitstatus_to_exitcode(status))
