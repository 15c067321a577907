// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quarantine-fs.c - the file-system seam of the quarantine store and the
 * durable-write helpers built on it.
 *
 * Every call that changes or reads the store or a spool file during a move
 * goes through an SgFsOps table: sg_fs_real() are the system calls, and
 * tests swap in a table that fails with ENOSPC, EXDEV or EIO, races a
 * writer or kills the process on cue (sg_quarantine_set_fs).  Durable
 * writes follow OpenSMTPD's queue_fs: create exclusive without following
 * symlinks, write, fsync, close, rename, fsync the directory.  Moves out of
 * a spool use rename_noreplace (renameat2 RENAME_NOREPLACE, or link and
 * unlink where a file system lacks it), so nothing is ever replaced.
 * Directory listings use opendir/readdir directly: reading a directory
 * changes nothing.  Returned strings belong to the caller; descriptors
 * passed in are never closed here.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "quarantine-private.h"

G_DEFINE_QUARK(sg - quarantine - error - quark, sg_quarantine_error)

/* Copy and hash buffer. */
#define FS_BUFSIZE 65536

static int
real_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags, mode);
}

static int
real_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return openat(dirfd, path, flags, mode);
}

static int
real_lstat(const char *path, struct stat *st)
{
	return lstat(path, st);
}

static int
real_fstat(int fd, struct stat *st)
{
	return fstat(fd, st);
}

static int
real_rename_noreplace(const char *from, const char *to)
{
	int saved;

	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* No RENAME_NOREPLACE here: link() never replaces either. */
	if (link(from, to) != 0)
		return -1;
	if (unlink(from) != 0) {
		saved = errno;
		(void)unlink(to);
		errno = saved;
		return -1;
	}
	return 0;
}

static int
real_setlease(int fd, int type)
{
	return fcntl(fd, F_SETLEASE, type);
}

static int
real_getlease(int fd)
{
	return fcntl(fd, F_GETLEASE);
}

static int
real_openat2(int dirfd, const char *path, const struct open_how *how,
    size_t size)
{
#ifdef SYS_openat2
	/* glibc 2.36 has no wrapper. */
	return (int)syscall(SYS_openat2, dirfd, path, how, size);
#else
	(void)dirfd;
	(void)path;
	(void)how;
	(void)size;
	errno = ENOSYS;
	return -1;
#endif
}

static const SgFsOps fs_real = {
	.open = real_open,
	.openat = real_openat,
	.write = write,
	.pread = pread,
	.fsync = fsync,
	.close = close,
	.rename = rename,
	.link = link,
	.unlink = unlink,
	.mkdir = mkdir,
	.rmdir = rmdir,
	.lstat = real_lstat,
	.fstat = real_fstat,
	.fchmod = fchmod,
	.fchown = fchown,
	.openat2 = real_openat2,
	.linkat = linkat,
	.unlinkat = unlinkat,
	.rename_noreplace = real_rename_noreplace,
	.setlease = real_setlease,
	.getlease = real_getlease,
	.flock = flock,
};

static const SgFsOps *fs_ops = &fs_real;
static gint64 fs_fixed_time;

const SgFsOps *
sg_fs_real(void)
{
	return &fs_real;
}

void
sg_quarantine_set_fs(const SgFsOps *ops)
{
	fs_ops = ops != NULL ? ops : &fs_real;
}

const SgFsOps *
sg_quarantine_fs(void)
{
	return fs_ops;
}

void
sg_quarantine_set_time(gint64 seconds)
{
	fs_fixed_time = seconds;
}

gint64
sg_quarantine_now(void)
{
	if (fs_fixed_time != 0)
		return fs_fixed_time;
	return g_get_real_time() / G_USEC_PER_SEC;
}

void
sg_fs_quiet_sigio(void)
{
	static gsize done;

	/*
	 * A lease break is signalled with SIGIO, whose default action ends
	 * the process; we ask F_GETLEASE instead.  A handler someone else
	 * installed is left alone.
	 */
	if (g_once_init_enter(&done)) {
		struct sigaction sa;

		if (sigaction(SIGIO, NULL, &sa) == 0 &&
		    sa.sa_handler == SIG_DFL && !(sa.sa_flags & SA_SIGINFO))
			(void)signal(SIGIO, SIG_IGN);
		g_once_init_leave(&done, 1);
	}
}

gboolean
sg_fs_fail(GError **error, int *errno_out, int saved, const char *path,
    const char *step)
{
	if (errno_out != NULL)
		*errno_out = saved;
	g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_IO,
	    "%s: %s: %s", path, step, g_strerror(saved));
	return FALSE;
}

int
sg_fs_open(const char *path, int flags, mode_t mode, int *errno_out,
    GError **error)
{
	int fd;

	do
		fd = fs_ops->open(path, flags | O_CLOEXEC, mode);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		sg_fs_fail(error, errno_out, errno, path,
		    (flags & O_CREAT) != 0 ? "create" : "open");
	}
	return fd;
}

gboolean
sg_fs_close(int fd, const char *path, GError **error)
{
	/* No retry on EINTR: the descriptor is gone either way (Linux). */
	if (fs_ops->close(fd) != 0 && errno != EINTR)
		return sg_fs_fail(error, NULL, errno, path, "close");
	return TRUE;
}

gboolean
sg_fs_write_all(int fd, const void *buf, gsize len, const char *path,
    GError **error)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = fs_ops->write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sg_fs_fail(error, NULL, errno, path, "write");
		if (n == 0)
			return sg_fs_fail(error, NULL, ENOSPC, path, "write");
		p += n;
		len -= (gsize)n;
	}
	return TRUE;
}

static gboolean
fs_fsync(int fd, const char *path, GError **error)
{
	int r;

	do
		r = fs_ops->fsync(fd);
	while (r != 0 && errno == EINTR);
	if (r != 0)
		return sg_fs_fail(error, NULL, errno, path, "fsync");
	return TRUE;
}

char *
sg_fs_sha256(int fd, const char *path, GError **error)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree guchar *buf = g_malloc(FS_BUFSIZE);
	off_t off = 0;

	for (;;) {
		ssize_t n = fs_ops->pread(fd, buf, FS_BUFSIZE, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sg_fs_fail(error, NULL, errno, path, "read");
			return NULL;
		}
		if (n == 0)
			break;
		g_checksum_update(sum, buf, n);
		off += n;
	}
	return g_strdup(g_checksum_get_string(sum));
}

gboolean
sg_fs_sha256_check(const char *path, const char *sha256, GError **error)
{
	g_autofree char *sum = NULL;
	int fd = sg_fs_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0, NULL,
	    error);

	if (fd < 0)
		return FALSE;
	sum = sg_fs_sha256(fd, path, error);
	fs_ops->close(fd);
	if (sum == NULL)
		return FALSE;
	if (strcmp(sum, sha256) != 0) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_CORRUPT,
		    "%s: sha256 %s, but %s was judged", path, sum, sha256);
		return FALSE;
	}
	return TRUE;
}

gboolean
sg_fs_fsync_dir(const char *dir, GError **error)
{
	int fd = sg_fs_open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, NULL,
	    error);
	gboolean ok;

	if (fd < 0)
		return FALSE;
	ok = fs_fsync(fd, dir, error);
	if (!sg_fs_close(fd, dir, ok ? error : NULL))
		ok = FALSE;
	return ok;
}

gboolean
sg_fs_mkdir(const char *path, gboolean *created, GError **error)
{
	struct stat st;

	if (created != NULL)
		*created = FALSE;
	if (fs_ops->mkdir(path, 0700) == 0) {
		if (created != NULL)
			*created = TRUE;
		return TRUE;
	}
	if (errno != EEXIST)
		return sg_fs_fail(error, NULL, errno, path, "mkdir");
	if (fs_ops->lstat(path, &st) != 0)
		return sg_fs_fail(error, NULL, errno, path, "lstat");
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_IO,
		    "%s: exists and is not a directory%s", path,
		    S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
		return FALSE;
	}
	return TRUE;
}

gboolean
sg_fs_copy_fd(int src_fd, const char *src_path, int dst_fd,
    const char *dst_path, GError **error)
{
	g_autofree char *buf = g_malloc(FS_BUFSIZE);
	off_t off = 0;

	for (;;) {
		ssize_t n = fs_ops->pread(src_fd, buf, FS_BUFSIZE, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sg_fs_fail(error, NULL, errno, src_path, "read");
		if (n == 0)
			break;
		if (!sg_fs_write_all(dst_fd, buf, (gsize)n, dst_path, error))
			return FALSE;
		off += n;
	}
	return fs_fsync(dst_fd, dst_path, error);
}

gboolean
sg_fs_copy_to_tmp(int src_fd, const char *src_path, const char *tmp,
    mode_t mode, GError **error)
{
	int fd;

	fd = sg_fs_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode,
	    NULL, error);
	if (fd < 0)
		return FALSE;
	if (!sg_fs_copy_fd(src_fd, src_path, fd, tmp, error))
		goto fail;
	if (!sg_fs_close(fd, tmp, error)) {
		fs_ops->unlink(tmp);
		return FALSE;
	}
	return TRUE;
fail:
	fs_ops->close(fd);
	fs_ops->unlink(tmp);
	return FALSE;
}

gboolean
sg_fs_write_file(const char *dir, const char *name, const char *data, gsize len,
    GError **error)
{
	g_autofree char *tmp_name = g_strconcat(".tmp-", name, NULL);
	g_autofree char *tmp = g_build_filename(dir, tmp_name, NULL);
	g_autofree char *path = g_build_filename(dir, name, NULL);
	int fd;

	fd = sg_fs_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600,
	    NULL, error);
	if (fd < 0)
		return FALSE;
	if (!sg_fs_write_all(fd, data, len, tmp, error) ||
	    !fs_fsync(fd, tmp, error)) {
		fs_ops->close(fd);
		fs_ops->unlink(tmp);
		return FALSE;
	}
	if (!sg_fs_close(fd, tmp, error)) {
		fs_ops->unlink(tmp);
		return FALSE;
	}
	if (fs_ops->rename(tmp, path) != 0) {
		sg_fs_fail(error, NULL, errno, path, "rename");
		fs_ops->unlink(tmp);
		return FALSE;
	}
	return TRUE;
}

char *
sg_fs_read_file(const char *path, gsize max, gsize *len, GError **error)
{
	struct stat st;
	g_autofree char *buf = NULL;
	gsize done = 0;
	int fd = sg_fs_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0, NULL,
	    error);

	if (fd < 0)
		return NULL;
	if (fs_ops->fstat(fd, &st) != 0) {
		sg_fs_fail(error, NULL, errno, path, "stat");
		fs_ops->close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (guint64)st.st_size > max) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_CORRUPT,
		    "%s: not a regular file of at most %" G_GSIZE_FORMAT
		    " bytes",
		    path, max);
		fs_ops->close(fd);
		return NULL;
	}
	buf = g_malloc((gsize)st.st_size + 1);
	while (done < (gsize)st.st_size) {
		ssize_t n = fs_ops->pread(fd, buf + done,
		    (gsize)st.st_size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sg_fs_fail(error, NULL, errno, path, "read");
			fs_ops->close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		done += (gsize)n;
	}
	fs_ops->close(fd);
	buf[done] = '\0';
	if (len != NULL)
		*len = done;
	return g_steal_pointer(&buf);
}

/* Unlinks every non-directory in @dir; FALSE on the first failure. */
static gboolean
fs_empty_dir(const char *dir, GError **error)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	gboolean ok = TRUE;

	if (d == NULL) {
		if (errno == ENOENT)
			return TRUE;
		return sg_fs_fail(error, NULL, errno, dir, "opendir");
	}
	while (ok && (de = readdir(d)) != NULL) {
		g_autofree char *path = NULL;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		path = g_build_filename(dir, de->d_name, NULL);
		if (fs_ops->lstat(path, &st) != 0) {
			ok = sg_fs_fail(error, NULL, errno, path, "lstat");
		} else if (S_ISDIR(st.st_mode)) {
			/* files/ is handled by the caller; nothing deeper. */
			if (strcmp(de->d_name, "files") != 0) {
				g_set_error(error, SG_QUARANTINE_ERROR,
				    SG_QUARANTINE_ERROR_CORRUPT,
				    "%s: unexpected directory in an entry",
				    path);
				ok = FALSE;
			}
		} else if (fs_ops->unlink(path) != 0 && errno != ENOENT) {
			ok = sg_fs_fail(error, NULL, errno, path, "unlink");
		}
	}
	closedir(d);
	return ok;
}

gboolean
sg_fs_remove_entry(const char *dir, GError **error)
{
	g_autofree char *files = g_build_filename(dir, "files", NULL);
	struct stat st;

	if (fs_ops->lstat(files, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (!fs_empty_dir(files, error))
			return FALSE;
		if (fs_ops->rmdir(files) != 0 && errno != ENOENT)
			return sg_fs_fail(error, NULL, errno, files, "rmdir");
	}
	if (!fs_empty_dir(dir, error))
		return FALSE;
	if (fs_ops->rmdir(dir) != 0 && errno != ENOENT)
		return sg_fs_fail(error, NULL, errno, dir, "rmdir");
	return TRUE;
}
