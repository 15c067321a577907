// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spool-lock.c - the MTAs' locks, taken the way the MTAs take them, and
 * queue-id validation.
 *
 * Postfix locks queue files with flock() on Linux; Exim and Sendmail use
 * fcntl() record locks, which spoolguard takes as open-file-description
 * (OFD) locks: they conflict with the MTA's POSIX locks, belong to the
 * descriptor rather than the process, and so survive other descriptors of
 * the same file being closed and work from any thread.  Every lock is
 * non-blocking: a message someone holds is skipped, never waited for.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>

#include "spool-private.h"

// clang-format off
G_DEFINE_QUARK(sg-spool-error-quark, sg_spool_error)
// clang-format on

gboolean
sg_spool_flock(int fd, const char *path, GError **error)
{
	int saved;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return TRUE;
	saved = errno;
	if (saved == EWOULDBLOCK || saved == EAGAIN || saved == EINTR) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY,
		    "%s: locked by another process", path);
	} else {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: flock: %s", path, g_strerror(saved));
	}
	return FALSE;
}

gboolean
sg_spool_ofd_lock(int fd, const char *path, off_t start, off_t len,
    GError **error)
{
	return sg_spool_ofd_lock_type(fd, path, F_WRLCK, start, len, error);
}

gboolean
sg_spool_ofd_lock_type(int fd, const char *path, short type, off_t start,
    off_t len, GError **error)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = start,
		.l_len = len,
		.l_pid = 0,
	};
	int saved;

	/* A write lock needs a descriptor open for writing. */
	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return TRUE;
	saved = errno;
	if (saved == EAGAIN || saved == EACCES) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY,
		    "%s: locked by another process", path);
	} else {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: fcntl lock: %s", path, g_strerror(saved));
	}
	return FALSE;
}

gboolean
sg_spool_valid_queue_id(const char *name, gsize len)
{
	if (len == 0 || len > 255)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!(sg_byte_class[(guchar)name[i]] & SG_BYTE_QID))
			return FALSE;
	}
	return TRUE;
}
