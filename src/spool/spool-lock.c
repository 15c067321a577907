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
 *
 * Plain folders and maildirs have no MTA of their own, so every kind of
 * lock counts there: flock(), POSIX record locks (fcntl F_SETLK, lockf)
 * and OFD locks.  Record locks are only asked about (F_OFD_GETLK over the
 * whole file), never taken, so that a writer's own non-blocking lock does
 * not fail because of us and a blocking one does not wait for us.  Whether
 * someone still has a file open for writing is asked by taking a read
 * lease (F_SETLEASE) and dropping it at once; the kernel refuses one while
 * any writer has the file open.  Its break notice, should a writer open
 * the file in that instant, is sent as SIGWINCH, whose default is to be
 * ignored (SIGIO's default would end the process).
 *
 * A scan run locks each directory it walks and its store with flock() on
 * the directory itself, so that two runs over the same spool or store do
 * not overlap; /proc/locks names the holder's pid.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "spool-private.h"

// clang-format off
G_DEFINE_QUARK(sg-spool-error-quark, sg_spool_error)
// clang-format on

/* flock(@op | LOCK_NB): BUSY while another holds a conflicting one. */
static gboolean
spool_flock(int fd, const char *path, int op, GError **error)
{
	int saved;

	if (flock(fd, op | LOCK_NB) == 0)
		return TRUE;
	saved = errno;
	if (saved == EWOULDBLOCK || saved == EAGAIN || saved == EINTR) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY,
		    "%s: locked by another process (flock)", path);
	} else {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: flock: %s", path, g_strerror(saved));
	}
	return FALSE;
}

gboolean
sg_spool_flock(int fd, const char *path, GError **error)
{
	return spool_flock(fd, path, LOCK_EX, error);
}

gboolean
sg_spool_flock_shared(int fd, const char *path, GError **error)
{
	return spool_flock(fd, path, LOCK_SH, error);
}

gboolean
sg_spool_probe_record_locks(int fd, const char *path, GError **error)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0, /* to the end, however far it grows */
		.l_pid = 0,
	};
	int saved;

	/* Asks which lock would conflict with a write lock on the whole
	 * file: any read or write lock of any other owner. */
	if (fcntl(fd, F_OFD_GETLK, &fl) != 0) {
		saved = errno;
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: fcntl(F_OFD_GETLK): %s", path, g_strerror(saved));
		return FALSE;
	}
	if (fl.l_type == F_UNLCK)
		return TRUE;
	if (fl.l_pid > 0) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY,
		    "%s: locked by process %ld (POSIX %s lock)", path,
		    (long)fl.l_pid, fl.l_type == F_RDLCK ? "read" : "write");
	} else {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY,
		    "%s: locked by another process (OFD %s lock)", path,
		    fl.l_type == F_RDLCK ? "read" : "write");
	}
	return FALSE;
}

SgSpoolWriters
sg_spool_probe_writers(int fd)
{
	/* A lease belongs to the open file description: say where its
	 * break notice goes before taking it. */
	if (fcntl(fd, F_SETSIG, SIGWINCH) != 0)
		return SG_SPOOL_WRITERS_UNKNOWN;
	if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
		(void)fcntl(fd, F_SETLEASE, F_UNLCK);
		return SG_SPOOL_WRITERS_NONE;
	}
	/* EAGAIN: open for writing elsewhere.  EACCES (not the owner and
	 * no CAP_LEASE), EINVAL (a file system without leases): unknown. */
	return errno == EAGAIN ? SG_SPOOL_WRITERS_SOME
	                       : SG_SPOOL_WRITERS_UNKNOWN;
}

gboolean
sg_spool_refuse_writers(int fd, const char *path, const char *who,
    GError **error)
{
	if (sg_spool_probe_writers(fd) != SG_SPOOL_WRITERS_SOME)
		return TRUE;
	g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG,
	    "%s: open for writing by another process: %s", path, who);
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

/* ---- one scan at a time per directory -------------------------------- */

/*
 * The pid that holds a flock() on (dev, ino), from /proc/locks, or 0.
 * Lines read "1: FLOCK  ADVISORY  WRITE 4711 fe:00:10953073 0 EOF".
 */
static long
spool_flock_holder(dev_t dev, ino_t ino)
{
	FILE *fp = fopen("/proc/locks", "re");
	char line[256];
	long found = 0;

	if (fp == NULL)
		return 0;
	while (found == 0 && fgets(line, sizeof line, fp) != NULL) {
		char kind[16], adv[16], mode[16];
		unsigned int maj, min;
		unsigned long long inode;
		long pid;

		if (sscanf(line, "%*[^:]: %15s %15s %15s %ld %x:%x:%llu", kind,
		        adv, mode, &pid, &maj, &min, &inode) != 7)
			continue;
		if (strcmp(kind, "FLOCK") == 0 && maj == major(dev) &&
		    min == minor(dev) && inode == (unsigned long long)ino)
			found = pid;
	}
	fclose(fp);
	return found;
}

int
sg_spool_dir_lock(const char *path, gint64 wait_seconds, GError **error)
{
	gint64 deadline =
	    g_get_monotonic_time() + wait_seconds * G_USEC_PER_SEC;
	struct stat st;
	int fd, saved;

	fd = sg_spool_open_dir(path, &st, error);
	if (fd < 0)
		return -1;
	for (;;) {
		long pid;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		saved = errno;
		if (saved != EWOULDBLOCK && saved != EINTR) {
			close(fd);
			g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_IO,
			    "%s: flock: %s", path, g_strerror(saved));
			return -1;
		}
		if (g_get_monotonic_time() < deadline) {
			/* Polled: a wait that can end on time. */
			g_usleep(G_USEC_PER_SEC / 5);
			continue;
		}
		close(fd);
		pid = spool_flock_holder(st.st_dev, st.st_ino);
		if (pid > 0) {
			g_set_error(error, SG_SPOOL_ERROR,
			    SG_SPOOL_ERROR_LOCKED,
			    "%s: another spoolguard scan (pid %ld) is at work "
			    "on it",
			    path, pid);
		} else {
			g_set_error(error, SG_SPOOL_ERROR,
			    SG_SPOOL_ERROR_LOCKED,
			    "%s: another spoolguard scan is at work on it "
			    "(its pid is not known)",
			    path);
		}
		return -1;
	}
}
