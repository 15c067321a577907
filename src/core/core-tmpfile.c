// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core-tmpfile.c - temporary files that never have a name.
 *
 * `check -` copies standard input into a file so that the readers and
 * GMime can pread it like any spool file.  That copy must not outlive the
 * process: an MTA's filter timeout ends it with SIGTERM, or worse.
 * sg_tmpfile_unnamed() opens the file with O_TMPFILE, so it never has a
 * name and the kernel frees it with the last descriptor.  On a file
 * system without O_TMPFILE it falls back to sg_tmpfile_unlinked():
 * mkstemp() and unlink() at once, with every signal that can be blocked
 * held off in between, so only a SIGKILL in that instant could leave a
 * name behind.  Both return a descriptor open O_RDWR|O_CLOEXEC on a 0600
 * file, which the caller owns and closes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "spoolguard/core.h"

static int
tmpfile_fail(GError **error, const char *dir, int saved)
{
	g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
	    "%s: cannot create a temporary file: %s", dir, g_strerror(saved));
	return -1;
}

int
sg_tmpfile_unlinked(const char *dir, GError **error)
{
	g_autofree char *path =
	    g_build_filename(dir, "spoolguard-XXXXXX", NULL);
	sigset_t all, old;
	int fd, saved = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		saved = errno;
	else if (unlink(path) != 0)
		saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (fd >= 0 && saved != 0) {
		/* Cannot unlink what it just made: do not keep it. */
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		return tmpfile_fail(error, dir, saved);
	return fd;
}

int
sg_tmpfile_unnamed(const char *dir, GError **error)
{
	int fd;

	do
		fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	while (fd < 0 && errno == EINTR);
	if (fd >= 0)
		return fd;
	/* EOPNOTSUPP: this file system has no O_TMPFILE; EISDIR: this
	 * kernel has none. */
	if (errno == EOPNOTSUPP || errno == EISDIR)
		return sg_tmpfile_unlinked(dir, error);
	return tmpfile_fail(error, dir, errno);
}
