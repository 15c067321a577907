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
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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
	char *dest;
	int fd; /* the stored file, open */
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

/* Decodes origin_hex (a path that is not UTF-8); FALSE on junk or NUL. */
static char *
release_unhex(const char *hex)
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
		/* The name is not UTF-8: origin and name hold a lossy copy. */
		rf->raw_origin =
		    release_unhex(sg_store_json_string(f, "origin_hex"));
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

/* Puts one verified stored file at rf->dest; never overwrites. */
static gboolean
release_place(ReleaseFile *rf, guint index, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autofree char *dir = g_path_get_dirname(rf->dest);
	g_autofree char *tmp = NULL;
	g_autofree char *sum = NULL;
	gboolean root = geteuid() == 0;
	gboolean good = TRUE;
	int fd, saved;

	/* Mode (and owner) first: the file appears complete at once. */
	if (root && fs->fchown(rf->fd, rf->uid, rf->gid) != 0)
		return sg_fs_fail(error, NULL, errno, rf->stored, "chown");
	if (fs->fchmod(rf->fd, rf->mode) != 0)
		return sg_fs_fail(error, NULL, errno, rf->stored, "chmod");
	if (fs->link(rf->stored, rf->dest) == 0) {
		rf->placed = TRUE;
		return TRUE;
	}
	saved = errno;
	if (saved == EEXIST) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_EXISTS,
		    "%s: exists; refusing to overwrite it", rf->dest);
		return FALSE;
	}
	if (saved != EXDEV && saved != EPERM && saved != EACCES)
		return sg_fs_fail(error, NULL, saved, rf->dest, "link");

	/* Copy beside the destination, verify, then link into place. */
	tmp = g_strdup_printf("%s/.spoolguard-release-%ld-%u", dir,
	    (long)getpid(), index);
	if (!sg_fs_copy_to_tmp(rf->fd, rf->stored, tmp, 0600, error))
		return FALSE;
	fd = sg_fs_open(tmp, O_RDONLY | O_NOFOLLOW, 0, NULL, error);
	if (fd < 0) {
		fs->unlink(tmp);
		return FALSE;
	}
	sum = sg_fs_sha256(fd, tmp, error);
	if (sum == NULL) {
		good = FALSE;
	} else if (strcmp(sum, rf->sha256) != 0) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_CORRUPT,
		    "%s: the copy's sha256 %s differs from %s", tmp, sum,
		    rf->sha256);
		good = FALSE;
	} else if (root && fs->fchown(fd, rf->uid, rf->gid) != 0) {
		good = sg_fs_fail(error, NULL, errno, tmp, "chown");
	} else if (fs->fchmod(fd, rf->mode) != 0) {
		good = sg_fs_fail(error, NULL, errno, tmp, "chmod");
	}
	fs->close(fd);
	if (!good) {
		fs->unlink(tmp);
		return FALSE;
	}
	if (fs->link(tmp, rf->dest) != 0) {
		saved = errno;
		fs->unlink(tmp);
		if (saved == EEXIST) {
			g_set_error(error, SG_QUARANTINE_ERROR,
			    SG_QUARANTINE_ERROR_EXISTS,
			    "%s: exists; refusing to overwrite it", rf->dest);
			return FALSE;
		}
		return sg_fs_fail(error, NULL, saved, rf->dest, "link");
	}
	rf->placed = TRUE;
	fs->unlink(tmp);
	return TRUE;
}

gboolean
sg_store_release(SgStore *store, const char *id, const char *to_dir,
    GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autoptr(SgStoreEntry) e = sg_store_find(store, id, error);
	g_autoptr(JsonObject) report = NULL;
	g_autofree ReleaseFile *rfs = NULL;
	JsonArray *files;
	guint n = 0;
	gboolean ok = FALSE;

	if (e == NULL)
		return FALSE;
	if (e->unfinished) {
		/* Its files may be half in the spool: recovery first. */
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_UNFINISHED,
		    "%s: the move into the store was cut short; run "
		    "'spoolguard quarantine fsck' first",
		    e->id);
		return FALSE;
	}
	report = sg_store_read_report(e->dir, error);
	if (report == NULL)
		return FALSE;
	files = sg_store_json_array(report, "files");
	if (files == NULL || (n = json_array_get_length(files)) == 0)
		return release_corrupt(error, e->dir, "no files listed");
	if (to_dir != NULL) {
		struct stat st;

		if (stat(to_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			g_set_error(error, SG_QUARANTINE_ERROR,
			    SG_QUARANTINE_ERROR_NOT_FOUND,
			    "%s: not a directory", to_dir);
			return FALSE;
		}
	}
	rfs = g_new0(ReleaseFile, n);
	for (guint i = 0; i < n; i++)
		rfs[i].fd = -1;
	/* Check everything before anything moves. */
	for (guint i = 0; i < n; i++) {
		ReleaseFile *rf = &rfs[i];
		g_autofree char *sum = NULL;
		struct stat st;

		if (!release_parse(rf, sg_store_json_element(files, i), e->dir,
		        error))
			goto out;
		for (guint k = 0; k < i; k++) {
			if (strcmp(rfs[k].name, rf->name) == 0) {
				release_corrupt(error, e->dir,
				    "two files with the same name");
				goto out;
			}
		}
		rf->stored = g_build_filename(e->dir, "files", rf->name, NULL);
		rf->dest = to_dir != NULL
		    ? g_build_filename(to_dir, rf->name, NULL)
		    : g_strdup(rf->origin);
		rf->fd = sg_fs_open(rf->stored, O_RDONLY | O_NOFOLLOW, 0, NULL,
		    error);
		if (rf->fd < 0)
			goto out;
		sum = sg_fs_sha256(rf->fd, rf->stored, error);
		if (sum == NULL)
			goto out;
		if (strcmp(sum, rf->sha256) != 0) {
			g_set_error(error, SG_QUARANTINE_ERROR,
			    SG_QUARANTINE_ERROR_CORRUPT,
			    "%s: sha256 %s, but the report says %s; not "
			    "released",
			    rf->stored, sum, rf->sha256);
			goto out;
		}
		if (fs->lstat(rf->dest, &st) == 0) {
			struct stat mine;

			/* The very inode of the store: put back already. */
			if (fs->fstat(rf->fd, &mine) == 0 &&
			    mine.st_dev == st.st_dev &&
			    mine.st_ino == st.st_ino) {
				rf->already = TRUE;
				continue;
			}
			g_set_error(error, SG_QUARANTINE_ERROR,
			    SG_QUARANTINE_ERROR_EXISTS,
			    "%s: exists; refusing to overwrite it", rf->dest);
			goto out;
		}
	}
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
			goto out;
	}
	{
		g_autoptr(GHashTable) dirs = g_hash_table_new_full(g_str_hash,
		    g_str_equal, g_free, NULL);
		GHashTableIter it;
		gpointer key;

		for (guint i = 0; i < n; i++)
			g_hash_table_add(dirs, g_path_get_dirname(rfs[i].dest));
		g_hash_table_iter_init(&it, dirs);
		while (g_hash_table_iter_next(&it, &key, NULL)) {
			if (!sg_fs_fsync_dir(key, error))
				goto out;
		}
	}
	ok = TRUE;
out:
	for (guint i = 0; rfs != NULL && i < n; i++) {
		ReleaseFile *rf = &rfs[i];

		if (!ok && rf->placed)
			fs->unlink(rf->dest);
		if (!ok && rf->fd >= 0)
			(void)fs->fchmod(rf->fd, 0600);
		if (rf->fd >= 0)
			fs->close(rf->fd);
		g_free(rf->stored);
		g_free(rf->dest);
		g_free(rf->raw_origin);
		g_free(rf->raw_name);
	}
	if (ok && !sg_fs_remove_entry(e->dir, error)) {
		g_prefix_error(error,
		    "%s: released, but the entry stays: ", e->id);
		return FALSE;
	}
	if (ok)
		sg_store_prune_dirs(e->dir);
	return ok;
}
