// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quarantine-release.c - putting a quarantined message back.
 *
 * release() reads the entry's report.json, checks every stored file's
 * sha256 against it and that no destination exists, then links the files
 * back, last first (Exim's -D and Sendmail's df before the file that makes
 * the MTA pick the message up), with the recorded mode (and owner when
 * run as root) set before the file appears.  Across file systems it
 * copies beside the destination, verifies, and links into place, so it
 * never overwrites anything.  Only when every file is back is the entry
 * removed; a failure removes what was put back and keeps the entry.
 *
 * A release often runs as root into directories that others can write
 * to, so the destination directory (the origin's, or --to) is opened
 * without following a symbolic link in any component: openat2() with
 * RESOLVE_NO_SYMLINKS where the kernel has it, else one component at a
 * time with O_NOFOLLOW|O_DIRECTORY.  Every later look and change in it
 * (exists?, link, copy, unlink, fsync) is relative to that descriptor, so
 * renaming a parent afterwards cannot redirect the files elsewhere.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <unistd.h>

#include "quarantine-private.h"

typedef struct {
	const char *name;
	const char *origin;
	const char *sha256;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	char *stored;     /* ENTRY/files/<name> */
	char *raw_origin; /* from origin_hex: a name that is not UTF-8 */
	char *raw_name;
	char *dest;     /* for messages: the directory's path and the name */
	char *dest_dir; /* the directory's path, as given */
	int dirfd;      /* the directory, opened without following symlinks */
	int fd;         /* the stored file, open */
	gboolean placed;
	gboolean already; /* an interrupted release linked it back */
} ReleaseFile;

static gboolean
release_corrupt(GError **error, const char *dir, const char *what)
{
	g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_CORRUPT,
	    "%s/report.json: %s", dir, what);
	return FALSE;
}

char *
sg_store_unhex(const char *hex)
{
	gsize n = strlen(hex);
	g_autofree char *out = NULL;

	if (n == 0 || n % 2 != 0 || n / 2 > 65536)
		return NULL;
	out = g_malloc(n / 2 + 1);
	for (gsize i = 0; i < n / 2; i++) {
		int hi = g_ascii_xdigit_value(hex[2 * i]);
		int lo = g_ascii_xdigit_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return NULL;
		out[i] = (char)(hi * 16 + lo);
	}
	out[n / 2] = '\0';
	return g_steal_pointer(&out);
}

/* Reads one file's record from report.json and checks it. */
static gboolean
release_parse(ReleaseFile *rf, JsonObject *f, const char *dir, GError **error)
{
	const char *mode;
	guint64 m;
	gint64 uid, gid;
	g_autofree char *base = NULL;

	rf->name = sg_store_json_string(f, "name");
	rf->origin = sg_store_json_string(f, "origin");
	rf->sha256 = sg_store_json_string(f, "sha256");
	mode = sg_store_json_string(f, "mode");
	uid = sg_store_json_int(f, "uid", -1);
	gid = sg_store_json_int(f, "gid", -1);
	if (sg_store_json_string(f, "origin_hex") != NULL) {
		/* The name is not UTF-8 or holds a backslash: origin and
		 * name hold an escaped copy. */
		rf->raw_origin =
		    sg_store_unhex(sg_store_json_string(f, "origin_hex"));
		if (rf->raw_origin == NULL)
			return release_corrupt(error, dir,
			    "an origin_hex that is not hex");
		rf->raw_name = g_path_get_basename(rf->raw_origin);
		rf->origin = rf->raw_origin;
		rf->name = rf->raw_name;
	}
	if (rf->name == NULL || !sg_store_valid_name(rf->name))
		return release_corrupt(error, dir,
		    "a file without a valid name");
	if (rf->origin == NULL || !g_path_is_absolute(rf->origin))
		return release_corrupt(error, dir, "a file without its origin");
	base = g_path_get_basename(rf->origin);
	if (strcmp(base, rf->name) != 0 || strstr(rf->origin, "/../") != NULL)
		return release_corrupt(error, dir,
		    "an origin that is not "
		    "the file's");
	if (rf->sha256 == NULL || strlen(rf->sha256) != 64)
		return release_corrupt(error, dir, "a file without its sha256");
	if (mode == NULL || strlen(mode) > 6 || mode[0] != '0' ||
	    !g_ascii_string_to_unsigned(mode, 8, 0, 07777, &m, NULL))
		return release_corrupt(error, dir, "a file without its mode");
	if (uid < 0 || gid < 0 || uid > G_MAXUINT32 || gid > G_MAXUINT32)
		return release_corrupt(error, dir, "a file without its owner");
	rf->mode = (mode_t)m;
	rf->uid = (uid_t)uid;
	rf->gid = (gid_t)gid;
	return TRUE;
}

static gboolean
release_symlink(GError **error, const char *path, const char *component)
{
	g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_INVALID,
	    "%s: %s is a symbolic link; release follows none, nothing was "
	    "put back",
	    path, component);
	return FALSE;
}

/*
 * Opens directory @path one component at a time, never following a
 * symbolic link: intermediate directories O_PATH (search permission is
 * enough), the last one O_RDONLY so that it can be fsynced.
 */
static int
release_walk_dir(const char *path, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_auto(GStrv) parts = g_strsplit(path, "/", -1);
	g_autoptr(GString) done = g_string_new(path[0] == '/' ? "/" : ".");
	guint last = 0;
	int fd;

	for (guint i = 0; parts[i] != NULL; i++) {
		if (parts[i][0] != '\0' && strcmp(parts[i], ".") != 0)
			last = i + 1;
	}
	fd = fs->openat(AT_FDCWD, done->str,
	    (last == 0 ? O_RDONLY : O_PATH) | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0) {
		sg_fs_fail(error, NULL, errno, done->str, "open");
		return -1;
	}
	for (guint i = 0; i < last; i++) {
		const char *part = parts[i];
		int flags = O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
		struct stat st;
		int next, saved;

		if (part[0] == '\0' || strcmp(part, ".") == 0)
			continue;
		if (done->len > 1)
			g_string_append_c(done, '/');
		else if (done->str[0] == '.')
			g_string_truncate(done, 0);
		g_string_append(done, part);
		flags |= i + 1 == last ? O_RDONLY : O_PATH;
		do
			next = fs->openat(fd, part, flags, 0);
		while (next < 0 && errno == EINTR);
		saved = errno;
		if (next < 0 && (saved == ELOOP || saved == ENOTDIR) &&
		    fstatat(fd, part, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode)) {
			fs->close(fd);
			release_symlink(error, path, done->str);
			return -1;
		}
		fs->close(fd);
		if (next < 0) {
			sg_fs_fail(error, NULL, saved, done->str, "open");
			return -1;
		}
		fd = next;
	}
	return fd;
}

/* Opens directory @path (absolute, or from the working directory)
 * without following a symbolic link anywhere in it; -1 with @error. */
static int
release_open_dir(const char *path, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	do
		fd = fs->openat2(AT_FDCWD, path, &how, sizeof(how));
	while (fd < 0 && errno == EINTR);
	if (fd >= 0)
		return fd;
	/* No openat2 here (ENOSYS, or a filter's EPERM), or it failed: the
	 * walk works without it and names the component that is at fault. */
	return release_walk_dir(path, error);
}

/* *@found: rf->name exists in rf->dirfd (a symlink counts); @st its stat. */
static gboolean
release_lookup(ReleaseFile *rf, gboolean *found, struct stat *st,
    GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	int fd =
	    fs->openat(rf->dirfd, rf->name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);

	*found = fd >= 0;
	if (fd < 0)
		return errno == ENOENT ||
		    sg_fs_fail(error, NULL, errno, rf->dest, "open");
	if (fs->fstat(fd, st) != 0) {
		int saved = errno;

		fs->close(fd);
		return sg_fs_fail(error, NULL, saved, rf->dest, "stat");
	}
	fs->close(fd);
	return TRUE;
}

static gboolean
release_exists(GError **error, const char *dest)
{
	g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_EXISTS,
	    "%s: exists; refusing to overwrite it", dest);
	return FALSE;
}

/*
 * Copies the stored file into @tmp in the destination directory, checks
 * the copy's sha256 and gives it the recorded mode and owner.
 */
static gboolean
release_copy(ReleaseFile *rf, const char *tmp, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autofree char *tmp_path = g_build_filename(rf->dest_dir, tmp, NULL);
	g_autofree char *sum = NULL;
	gboolean good = FALSE;
	int fd;

	do
		fd = fs->openat(rf->dirfd, tmp,
		    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return sg_fs_fail(error, NULL, errno, tmp_path, "create");
	if (!sg_fs_copy_fd(rf->fd, rf->stored, fd, tmp_path, error)) {
		/* error set */
	} else if ((sum = sg_fs_sha256(fd, tmp_path, error)) == NULL) {
		/* error set */
	} else if (strcmp(sum, rf->sha256) != 0) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_CORRUPT,
		    "%s: the copy's sha256 %s differs from %s", tmp_path, sum,
		    rf->sha256);
	} else if (geteuid() == 0 && fs->fchown(fd, rf->uid, rf->gid) != 0) {
		sg_fs_fail(error, NULL, errno, tmp_path, "chown");
	} else if (fs->fchmod(fd, rf->mode) != 0) {
		sg_fs_fail(error, NULL, errno, tmp_path, "chmod");
	} else {
		good = TRUE;
	}
	if (!sg_fs_close(fd, tmp_path, good ? error : NULL))
		good = FALSE;
	if (!good)
		fs->unlinkat(rf->dirfd, tmp, 0);
	return good;
}

/* Puts one verified stored file at rf->name in rf->dirfd; never
 * overwrites. */
static gboolean
release_place(ReleaseFile *rf, guint index, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autofree char *tmp = NULL;
	gboolean root = geteuid() == 0;
	int saved;

	/* Mode (and owner) first: the file appears complete at once. */
	if (root && fs->fchown(rf->fd, rf->uid, rf->gid) != 0)
		return sg_fs_fail(error, NULL, errno, rf->stored, "chown");
	if (fs->fchmod(rf->fd, rf->mode) != 0)
		return sg_fs_fail(error, NULL, errno, rf->stored, "chmod");
	if (fs->linkat(AT_FDCWD, rf->stored, rf->dirfd, rf->name, 0) == 0) {
		rf->placed = TRUE;
		return TRUE;
	}
	saved = errno;
	if (saved == EEXIST)
		return release_exists(error, rf->dest);
	if (saved != EXDEV && saved != EPERM && saved != EACCES)
		return sg_fs_fail(error, NULL, saved, rf->dest, "link");

	/* Copy beside the destination, verify, then link into place. */
	tmp = g_strdup_printf(".spoolguard-release-%ld-%u", (long)getpid(),
	    index);
	if (!release_copy(rf, tmp, error))
		return FALSE;
	if (fs->linkat(rf->dirfd, tmp, rf->dirfd, rf->name, 0) != 0) {
		saved = errno;
		fs->unlinkat(rf->dirfd, tmp, 0);
		if (saved == EEXIST)
			return release_exists(error, rf->dest);
		return sg_fs_fail(error, NULL, saved, rf->dest, "link");
	}
	rf->placed = TRUE;
	fs->unlinkat(rf->dirfd, tmp, 0);
	return TRUE;
}

static gboolean
release_fsync_dir(ReleaseFile *rf, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	int r;

	do
		r = fs->fsync(rf->dirfd);
	while (r != 0 && errno == EINTR);
	if (r != 0)
		return sg_fs_fail(error, NULL, errno, rf->dest_dir, "fsync");
	return TRUE;
}

/* Reads the report of @e, refusing an unfinished entry, one without files
 * and a @to_dir that is no directory. Returns: (transfer full) the report,
 * with @files (borrowed from it) and their count @n, or NULL. */
static JsonObject *
release_read_entry(const SgStoreEntry *e, const char *to_dir, JsonArray **files,
    guint *n, GError **error)
{
	g_autoptr(JsonObject) report = NULL;

	if (e->unfinished) {
		/* Its files may be half in the spool: recovery first. */
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_UNFINISHED,
		    "%s: the move into the store was cut short; run "
		    "'spoolguard quarantine fsck' first",
		    e->id);
		return NULL;
	}
	report = sg_store_read_report(e->dir, error);
	if (report == NULL)
		return NULL;
	*files = sg_store_json_array(report, "files");
	if (*files == NULL || (*n = json_array_get_length(*files)) == 0) {
		release_corrupt(error, e->dir, "no files listed");
		return NULL;
	}
	if (to_dir != NULL) {
		struct stat st;

		/* An early, clear answer; the real open follows no link. */
		if (stat(to_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			g_set_error(error, SG_QUARANTINE_ERROR,
			    SG_QUARANTINE_ERROR_NOT_FOUND,
			    "%s: not a directory", to_dir);
			return NULL;
		}
	}
	return g_steal_pointer(&report);
}

/* Checks file @i of @rfs before anything moves: its report entry, its
 * bytes against the sha256, and what is at its destination. */
static gboolean
release_check_file(ReleaseFile *rfs, guint i, JsonArray *files,
    const char *entry_dir, const char *to_dir, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	ReleaseFile *rf = &rfs[i];
	g_autofree char *sum = NULL;
	gboolean found = FALSE;
	struct stat st;

	if (!release_parse(rf, sg_store_json_element(files, i), entry_dir,
	        error))
		return FALSE;
	for (guint k = 0; k < i; k++) {
		if (strcmp(rfs[k].name, rf->name) == 0) {
			release_corrupt(error, entry_dir,
			    "two files with the same name");
			return FALSE;
		}
	}
	rf->stored = g_build_filename(entry_dir, "files", rf->name, NULL);
	rf->dest_dir =
	    to_dir != NULL ? g_strdup(to_dir) : g_path_get_dirname(rf->origin);
	rf->dest = g_build_filename(rf->dest_dir, rf->name, NULL);
	rf->dirfd = release_open_dir(rf->dest_dir, error);
	if (rf->dirfd < 0)
		return FALSE;
	rf->fd = sg_fs_open(rf->stored, O_RDONLY | O_NOFOLLOW, 0, NULL, error);
	if (rf->fd < 0)
		return FALSE;
	sum = sg_fs_sha256(rf->fd, rf->stored, error);
	if (sum == NULL)
		return FALSE;
	if (strcmp(sum, rf->sha256) != 0) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_CORRUPT,
		    "%s: sha256 %s, but the report says %s; not "
		    "released",
		    rf->stored, sum, rf->sha256);
		return FALSE;
	}
	if (!release_lookup(rf, &found, &st, error))
		return FALSE;
	if (found) {
		struct stat mine;

		/* The very inode of the store: put back already. */
		if (fs->fstat(rf->fd, &mine) == 0 && mine.st_dev == st.st_dev &&
		    mine.st_ino == st.st_ino) {
			rf->already = TRUE;
			return TRUE;
		}
		release_exists(error, rf->dest);
		return FALSE;
	}
	return TRUE;
}

/* Puts the @n checked files back and fsyncs their directories. */
static gboolean
release_put_back(ReleaseFile *rfs, guint n, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();

	/* Last file first: Exim's -D and Sendmail's df before the header
	 * file that makes the MTA pick the message up. */
	for (guint i = n; i-- > 0;) {
		ReleaseFile *rf = &rfs[i];

		if (rf->already) {
			if (geteuid() == 0)
				(void)fs->fchown(rf->fd, rf->uid, rf->gid);
			(void)fs->fchmod(rf->fd, rf->mode);
			continue;
		}
		if (!release_place(rf, i, error))
			return FALSE;
	}
	for (guint i = 0; i < n; i++) {
		if (!release_fsync_dir(&rfs[i], error))
			return FALSE;
	}
	return TRUE;
}

/* Closes and frees the @n files of @rfs; unless @ok, first takes back
 * what was placed and makes the stored files 0600 again. */
static void
release_files_clear(ReleaseFile *rfs, guint n, gboolean ok)
{
	const SgFsOps *fs = sg_quarantine_fs();

	for (guint i = 0; rfs != NULL && i < n; i++) {
		ReleaseFile *rf = &rfs[i];

		if (!ok && rf->placed)
			fs->unlinkat(rf->dirfd, rf->name, 0);
		if (!ok && rf->fd >= 0)
			(void)fs->fchmod(rf->fd, 0600);
		if (rf->fd >= 0)
			fs->close(rf->fd);
		if (rf->dirfd >= 0)
			fs->close(rf->dirfd);
		g_free(rf->stored);
		g_free(rf->dest);
		g_free(rf->dest_dir);
		g_free(rf->raw_origin);
		g_free(rf->raw_name);
	}
}

gboolean
sg_store_release(SgStore *store, const char *id, const char *to_dir,
    GError **error)
{
	g_autoptr(SgStoreEntry) e = sg_store_find(store, id, error);
	g_autoptr(JsonObject) report = NULL;
	g_autofree ReleaseFile *rfs = NULL;
	JsonArray *files = NULL;
	guint n = 0;
	gboolean ok = TRUE;

	if (e == NULL)
		return FALSE;
	report = release_read_entry(e, to_dir, &files, &n, error);
	if (report == NULL)
		return FALSE;
	rfs = g_new0(ReleaseFile, n);
	for (guint i = 0; i < n; i++) {
		rfs[i].fd = -1;
		rfs[i].dirfd = -1;
	}
	/* Check everything before anything moves. */
	for (guint i = 0; ok && i < n; i++)
		ok = release_check_file(rfs, i, files, e->dir, to_dir, error);
	if (ok)
		ok = release_put_back(rfs, n, error);
	release_files_clear(rfs, n, ok);
	if (ok && !sg_fs_remove_entry(e->dir, error)) {
		g_prefix_error(error,
		    "%s: released, but the entry stays: ", e->id);
		return FALSE;
	}
	if (ok)
		sg_store_prune_dirs(e->dir);
	return ok;
}
