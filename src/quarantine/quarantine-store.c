// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quarantine-store.c - the quarantine store: put, list, find, show,
 * release and purge.
 *
 * An entry is STORE/YYYY/MM/DD/<YYYYMMDDTHHMMSSZ>-<8 hex>/ holding files/
 * (the message's files under their original names), report.json and
 * report.txt (findings, verdict, profile, and per file its sha256, origin,
 * format, queue, mode, owner and size).  put() hard-links each file into
 * the entry (same inode, so Postfix queue ids stay valid); across file
 * systems it copies to a temporary name, fsyncs, renames and verifies the
 * sha256; where a link is not permitted it renames a one-file message at
 * commit time and copies the files of a larger one.  Only
 * when every file and both reports are in place and fsynced are the
 * originals unlinked, in the message's file order.  Any failure before
 * that removes the entry and leaves the spool untouched; a crash leaves
 * the message in the spool, in the store, or in both, never in neither.
 * Directories are 0700, files 0600; symlinks are never followed; names
 * and ids are validated before they become paths.  Returned entries and
 * strings belong to the caller.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "quarantine-private.h"

/* Reports larger than this are not ours (report.json of 1000 recipients
 * and thousands of findings stays far below). */
#define STORE_REPORT_MAX (64 * 1024 * 1024)
/* "20261122T031502Z-1a2b3c4d" */
#define STORE_ID_LEN 25
/* Tries at a fresh random suffix when an entry id is taken. */
#define STORE_ID_TRIES 16

struct _SgStore {
	char *dir; /* canonical absolute path */
};

/* ---- names and ids ----------------------------------------------------- */

gboolean
sg_store_valid_name(const char *name)
{
	gsize len;

	if (name == NULL)
		return FALSE;
	len = strlen(name);
	return len > 0 && len <= 255 && memchr(name, '/', len) == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static gboolean
store_digits(const char *s, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		if (!g_ascii_isdigit(s[i]))
			return FALSE;
	}
	return TRUE;
}

/* A full entry id: 8 digits 'T' 6 digits 'Z' '-' 8 lowercase hex. */
static gboolean
store_valid_id(const char *id)
{
	if (strlen(id) != STORE_ID_LEN || !store_digits(id, 8) ||
	    id[8] != 'T' || !store_digits(id + 9, 6) || id[15] != 'Z' ||
	    id[16] != '-')
		return FALSE;
	for (guint i = 17; i < STORE_ID_LEN; i++) {
		if (!g_ascii_isxdigit(id[i]) || g_ascii_isupper(id[i]))
			return FALSE;
	}
	return TRUE;
}

/* A prefix someone typed: only the characters an id holds. */
static gboolean
store_valid_prefix(const char *id)
{
	gsize len = strlen(id);

	if (len == 0 || len > STORE_ID_LEN)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		char c = id[i];

		if (!g_ascii_isdigit(c) && c != 'T' && c != 'Z' && c != '-' &&
		    !(c >= 'a' && c <= 'f'))
			return FALSE;
	}
	return TRUE;
}

/* Seconds since the epoch from an id's time, or -1. */
static gint64
store_id_time(const char *id)
{
	g_autoptr(GDateTime) dt = NULL;
	int v[6];
	static const int pos[6][2] = { { 0, 4 }, { 4, 2 }, { 6, 2 }, { 9, 2 },
		{ 11, 2 }, { 13, 2 } };

	for (guint i = 0; i < 6; i++) {
		v[i] = 0;
		for (int k = 0; k < pos[i][1]; k++)
			v[i] = v[i] * 10 + (id[pos[i][0] + k] - '0');
	}
	dt = g_date_time_new_utc(v[0], v[1], v[2], v[3], v[4], v[5]);
	return dt != NULL ? g_date_time_to_unix(dt) : -1;
}

/* ---- open ------------------------------------------------------------- */

/* Makes the missing components of @dir (absolute), each 0700. */
static gboolean
store_make_dirs(const char *dir, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(dir, "/", -1);
	g_autoptr(GString) path = g_string_new(NULL);

	for (guint i = 0; parts[i] != NULL; i++) {
		if (parts[i][0] == '\0')
			continue;
		g_string_append_c(path, '/');
		g_string_append(path, parts[i]);
		if (parts[i + 1] == NULL)
			return sg_fs_mkdir(path->str, NULL, error);
		/* Parents may be symlinks (/var -> /private/var). */
		if (g_file_test(path->str, G_FILE_TEST_IS_DIR))
			continue;
		if (!sg_fs_mkdir(path->str, NULL, error))
			return FALSE;
	}
	return TRUE;
}

SgStore *
sg_store_open(const char *dir, gboolean create, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autofree char *abs = NULL;
	char real[PATH_MAX];
	struct stat st;
	SgStore *store;

	if (dir == NULL || dir[0] == '\0') {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INVALID,
		    "no quarantine directory given");
		return NULL;
	}
	abs = g_canonicalize_filename(dir, NULL);
	if (fs->lstat(abs, &st) != 0) {
		int saved = errno;

		if (saved != ENOENT) {
			sg_fs_fail(error, NULL, saved, abs, "lstat");
			return NULL;
		}
		if (!create) {
			g_set_error(error, SG_QUARANTINE_ERROR,
			    SG_QUARANTINE_ERROR_NOT_FOUND,
			    "%s: no quarantine store there", abs);
			return NULL;
		}
		if (!store_make_dirs(abs, error))
			return NULL;
		if (fs->lstat(abs, &st) != 0) {
			sg_fs_fail(error, NULL, errno, abs, "lstat");
			return NULL;
		}
	}
	if (S_ISLNK(st.st_mode)) {
		g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_IO,
		    "%s: is a symbolic link; refusing it as the quarantine "
		    "store (give the real directory)",
		    abs);
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_IO,
		    "%s: is not a directory", abs);
		return NULL;
	}
	if (create && (st.st_mode & 07777) != 0700 && st.st_uid == geteuid()) {
		/* The store holds other people's mail: owner only. */
		int fd = sg_fs_open(abs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
		    NULL, error);

		if (fd < 0)
			return NULL;
		if (fs->fchmod(fd, 0700) != 0) {
			sg_fs_fail(error, NULL, errno, abs, "chmod 0700");
			fs->close(fd);
			return NULL;
		}
		fs->close(fd);
	}
	if (realpath(abs, real) == NULL) {
		sg_fs_fail(error, NULL, errno, abs, "realpath");
		return NULL;
	}
	store = g_new0(SgStore, 1);
	store->dir = g_strdup(real);
	return store;
}

void
sg_store_free(SgStore *store)
{
	if (store == NULL)
		return;
	g_free(store->dir);
	g_free(store);
}

const char *
sg_store_dir(const SgStore *store)
{
	return store->dir;
}

/* TRUE when @inner is @outer or lies below it (both canonical). */
static gboolean
store_path_under(const char *inner, const char *outer)
{
	gsize n = strlen(outer);

	if (strcmp(outer, "/") == 0)
		return TRUE;
	return strncmp(inner, outer, n) == 0 &&
	    (inner[n] == '\0' || inner[n] == '/');
}

gboolean
sg_store_check_outside(const SgStore *store, const char *path, GError **error)
{
	char real[PATH_MAX];

	/* A path that does not resolve is the walker's to report. */
	if (realpath(path, real) == NULL)
		return TRUE;
	if (store_path_under(store->dir, real)) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INSIDE,
		    "the quarantine store %s is inside the scanned path %s",
		    store->dir, real);
		return FALSE;
	}
	if (store_path_under(real, store->dir)) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INSIDE,
		    "the scanned path %s is inside the quarantine store %s",
		    real, store->dir);
		return FALSE;
	}
	return TRUE;
}

/* ---- put -------------------------------------------------------------- */

typedef enum {
	PUT_NONE,   /* nothing in the store yet */
	PUT_LINK,   /* hard link: same inode */
	PUT_COPY,   /* copied across file systems, verified */
	PUT_RENAME, /* link not permitted: renamed at commit */
} PutMethod;

static const char *const put_method_names[] = {
	[PUT_NONE] = "none",
	[PUT_LINK] = "link",
	[PUT_COPY] = "copy",
	[PUT_RENAME] = "rename",
};

typedef struct {
	SgMessageFile *file;
	char *origin;     /* absolute path in the spool */
	char *origin_dir; /* its directory */
	char *dest;       /* ENTRY/files/<name> */
	char *sha256;
	struct stat st; /* lstat of the origin before the move */
	PutMethod method;
	gboolean placed;  /* dest exists and is ours */
	gboolean removed; /* the original is gone from the spool */
} PutFile;

static void
put_file_clear(PutFile *pf)
{
	g_free(pf->origin);
	g_free(pf->origin_dir);
	g_free(pf->dest);
	g_free(pf->sha256);
}

static gboolean
put_vanished(GError **error, const char *path, const char *when)
{
	g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED,
	    "%s: vanished %s (the MTA took it)", path, when);
	return FALSE;
}

/* Resolves the origin, stats it and hashes what will be moved. */
static gboolean
put_prepare(PutFile *pf, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	SgMessageFile *file = pf->file;
	g_autofree char *dir = g_path_get_dirname(file->path);
	char real[PATH_MAX];
	int fd = file->fd, saved = 0;

	/* The name becomes a path in the store: basename only. */
	if (!sg_store_valid_name(file->name)) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INVALID,
		    "%s: file name unfit for the store", file->path);
		return FALSE;
	}
	if (realpath(dir, real) == NULL) {
		if (errno == ENOENT)
			return put_vanished(error, file->path, "");
		return sg_fs_fail(error, NULL, errno, dir, "realpath");
	}
	pf->origin_dir = g_strdup(real);
	pf->origin = g_build_filename(real, file->name, NULL);
	if (fs->lstat(pf->origin, &pf->st) != 0) {
		if (errno == ENOENT)
			return put_vanished(error, pf->origin,
			    "before it could be moved");
		return sg_fs_fail(error, NULL, errno, pf->origin, "lstat");
	}
	if (!S_ISREG(pf->st.st_mode)) {
		g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_IO,
		    "%s: not a regular file; not moved", pf->origin);
		return FALSE;
	}
	if (fd >= 0) {
		/* What was examined must be what moves. */
		if (file->st.st_dev != pf->st.st_dev ||
		    file->st.st_ino != pf->st.st_ino)
			return put_vanished(error, pf->origin,
			    "and was replaced since it was examined");
		pf->sha256 = sg_fs_sha256(fd, pf->origin, error);
		return pf->sha256 != NULL;
	}
	fd = sg_fs_open(pf->origin, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0,
	    &saved, error);
	if (fd < 0) {
		if (saved == ENOENT) {
			g_clear_error(error);
			return put_vanished(error, pf->origin,
			    "before it could be moved");
		}
		return FALSE;
	}
	pf->sha256 = sg_fs_sha256(fd, pf->origin, error);
	fs->close(fd);
	return pf->sha256 != NULL;
}

/* Makes STORE/YYYY/MM/DD/<id>/files; fills @id and @entry. */
static gboolean
put_make_entry(SgStore *store, SgMessage *msg, gint64 now, char **id,
    char **entry, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	time_t t = (time_t)now;
	struct tm tm;
	char stamp[32], y[8], m[8], d[8];
	g_autofree char *year = NULL;
	g_autofree char *month = NULL;
	g_autofree char *day = NULL;
	gboolean made[3];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) != 16) {
		g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_IO,
		    "cannot format the time %" G_GINT64_FORMAT, now);
		return FALSE;
	}
	strftime(y, sizeof(y), "%Y", &tm);
	strftime(m, sizeof(m), "%m", &tm);
	strftime(d, sizeof(d), "%d", &tm);
	year = g_build_filename(store->dir, y, NULL);
	month = g_build_filename(year, m, NULL);
	day = g_build_filename(month, d, NULL);
	if (!sg_fs_mkdir(year, &made[0], error) ||
	    !sg_fs_mkdir(month, &made[1], error) ||
	    !sg_fs_mkdir(day, &made[2], error))
		return FALSE;
	for (guint tries = 0;; tries++) {
		g_autofree char *seed = g_strdup_printf("%s\n%s\n%08x%08x",
		    msg->id, stamp, g_random_int(), g_random_int());
		g_autofree char *hash =
		    g_compute_checksum_for_string(G_CHECKSUM_SHA256, seed, -1);
		g_autofree char *e = NULL;

		g_free(*id);
		*id = g_strdup_printf("%s-%.8s", stamp, hash);
		e = g_build_filename(day, *id, NULL);
		if (fs->mkdir(e, 0700) == 0) {
			*entry = g_steal_pointer(&e);
			break;
		}
		if (errno != EEXIST || tries + 1 >= STORE_ID_TRIES)
			return sg_fs_fail(error, NULL, errno, e, "mkdir");
	}
	{
		g_autofree char *files =
		    g_build_filename(*entry, "files", NULL);

		if (fs->mkdir(files, 0700) != 0) {
			sg_fs_fail(error, NULL, errno, files, "mkdir");
			fs->rmdir(*entry);
			return FALSE;
		}
	}
	/* The new names must survive a crash. */
	if (!sg_fs_fsync_dir(day, error) ||
	    (made[2] && !sg_fs_fsync_dir(month, error)) ||
	    (made[1] && !sg_fs_fsync_dir(year, error)) ||
	    (made[0] && !sg_fs_fsync_dir(store->dir, error))) {
		sg_fs_remove_entry(*entry, NULL);
		return FALSE;
	}
	return TRUE;
}

/* Places one file in the entry by link, else copy; a rename waits for the
 * commit. */
static gboolean
put_place(PutFile *pf, const char *entry, guint index, gboolean single,
    GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autofree char *tmp = NULL;
	g_autofree char *files = NULL;
	g_autofree char *sum = NULL;
	struct stat st;
	int src, dst, saved;

	if (fs->link(pf->origin, pf->dest) == 0) {
		pf->placed = TRUE;
		pf->method = PUT_LINK;
		if (fs->lstat(pf->dest, &st) != 0)
			return sg_fs_fail(error, NULL, errno, pf->dest,
			    "lstat");
		if (st.st_dev != pf->st.st_dev || st.st_ino != pf->st.st_ino)
			return put_vanished(error, pf->origin,
			    "and was replaced while being moved");
		return TRUE;
	}
	saved = errno;
	if (saved == ENOENT)
		return put_vanished(error, pf->origin, "while being moved");
	/*
	 * Link not permitted (protected_hardlinks): rename is atomic for a
	 * one-file message; a message of several files is copied instead,
	 * since renaming them one by one could leave part in each place.
	 */
	if ((saved == EPERM || saved == EACCES) && single) {
		pf->method = PUT_RENAME;
		return TRUE;
	}
	if (saved != EXDEV && saved != EPERM && saved != EACCES)
		return sg_fs_fail(error, NULL, saved, pf->origin,
		    "link into the store");

	/* Another file system: copy, fsync, rename, fsync, verify. */
	pf->method = PUT_COPY;
	src = pf->file->fd;
	if (src < 0) {
		src = sg_fs_open(pf->origin, O_RDONLY | O_NOFOLLOW | O_NONBLOCK,
		    0, &saved, error);
		if (src < 0) {
			if (saved != ENOENT)
				return FALSE;
			g_clear_error(error);
			return put_vanished(error, pf->origin,
			    "while being copied");
		}
		if (fs->fstat(src, &st) != 0 || st.st_ino != pf->st.st_ino ||
		    st.st_dev != pf->st.st_dev) {
			fs->close(src);
			return put_vanished(error, pf->origin,
			    "and was replaced while being moved");
		}
	}
	tmp = g_strdup_printf("%s/.tmp-%u", entry, index);
	if (!sg_fs_copy_to_tmp(src, pf->origin, tmp, 0600, error)) {
		if (src != pf->file->fd)
			fs->close(src);
		return FALSE;
	}
	if (src != pf->file->fd)
		fs->close(src);
	if (fs->rename(tmp, pf->dest) != 0) {
		sg_fs_fail(error, NULL, errno, pf->dest, "rename");
		fs->unlink(tmp);
		return FALSE;
	}
	pf->placed = TRUE;
	files = g_path_get_dirname(pf->dest);
	if (!sg_fs_fsync_dir(files, error))
		return FALSE;
	dst = sg_fs_open(pf->dest, O_RDONLY | O_NOFOLLOW, 0, NULL, error);
	if (dst < 0)
		return FALSE;
	sum = sg_fs_sha256(dst, pf->dest, error);
	fs->close(dst);
	if (sum == NULL)
		return FALSE;
	if (strcmp(sum, pf->sha256) != 0) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_CORRUPT,
		    "%s: the copy's sha256 %s differs from the original's %s",
		    pf->dest, sum, pf->sha256);
		return FALSE;
	}
	return TRUE;
}

static void
put_time(char *buf, gsize len, gint64 t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		g_strlcpy(buf, "-", len);
}

static char *
put_report_json(SgMessage *msg, const SgProfile *profile, const char *id,
    const char *entry, gint64 now, PutFile *pfs, gsize *len)
{
	SgOutcome outcome = { .action = "quarantined", .store_id = id };
	g_autoptr(JsonNode) root =
	    sg_report_message_json(msg, profile, NULL, &outcome);
	JsonObject *o = json_node_get_object(root);
	JsonArray *files = json_object_get_array_member(o, "files");
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) q = NULL;
	char when[32];
	char *text;

	put_time(when, sizeof(when), now);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_string_value(b, id);
	json_builder_set_member_name(b, "time");
	json_builder_add_string_value(b, when);
	json_builder_set_member_name(b, "entry");
	json_builder_add_string_value(b, entry);
	json_builder_set_member_name(b, "host");
	json_builder_add_string_value(b, g_get_host_name());
	json_builder_set_member_name(b, "spool_root");
	if (msg->spool_root != NULL) {
		g_autofree char *s = g_utf8_make_valid(msg->spool_root, -1);

		json_builder_add_string_value(b, s);
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_set_member_name(b, "version");
	json_builder_add_string_value(b, PACKAGE_VERSION);
	json_builder_end_object(b);
	q = json_builder_get_root(b);
	json_object_set_member(o, "quarantine", g_steal_pointer(&q));

	for (guint i = 0;
	     i < json_array_get_length(files) && i < msg->files->len; i++) {
		JsonObject *f = json_array_get_object_element(files, i);
		PutFile *pf = &pfs[i];
		g_autofree char *origin = g_utf8_make_valid(pf->origin, -1);

		json_object_set_string_member(f, "origin", origin);
		json_object_set_string_member(f, "sha256", pf->sha256);
		json_object_set_string_member(f, "method",
		    put_method_names[pf->method]);
		json_object_set_string_member(f, "format", msg->format);
		if (msg->queue_name != NULL) {
			g_autofree char *s =
			    g_utf8_make_valid(msg->queue_name, -1);

			json_object_set_string_member(f, "queue_name", s);
		} else {
			json_object_set_null_member(f, "queue_name");
		}
		if (msg->queue_id != NULL) {
			g_autofree char *s =
			    g_utf8_make_valid(msg->queue_id, -1);

			json_object_set_string_member(f, "queue_id", s);
		} else {
			json_object_set_null_member(f, "queue_id");
		}
		/* The origin as it was when moved, for release. */
		{
			g_autofree char *mode = g_strdup_printf("%04o",
			    (unsigned)(pf->st.st_mode & 07777));

			json_object_set_string_member(f, "mode", mode);
		}
		json_object_set_int_member(f, "uid", pf->st.st_uid);
		json_object_set_int_member(f, "gid", pf->st.st_gid);
		json_object_set_int_member(f, "size", pf->st.st_size);
		json_object_set_int_member(f, "mtime", pf->st.st_mtime);
		json_object_set_int_member(f, "inode", (gint64)pf->st.st_ino);
	}
	text = sg_report_json_line(root);
	{
		char *with_nl = g_strconcat(text, "\n", NULL);

		g_free(text);
		*len = strlen(with_nl);
		return with_nl;
	}
}

static char *
put_report_text(SgMessage *msg, const SgProfile *profile, const char *id,
    gint64 now, PutFile *pfs)
{
	SgOutcome outcome = { .action = "quarantined", .store_id = id };
	g_autofree char *body =
	    sg_report_message_text(msg, profile, NULL, &outcome);
	GString *out = g_string_new(body);
	char when[32];

	put_time(when, sizeof(when), now);
	g_string_append_printf(out, "\nquarantined %s as %s", when, id);
	if (profile != NULL)
		g_string_append_printf(out, " (profile %s)",
		    sg_profile_name(profile));
	g_string_append_printf(out, "\nformat %s", msg->format);
	if (msg->queue_name != NULL || msg->queue_id != NULL) {
		g_autofree char *qn = sg_report_text_safe(msg->queue_name, 80);
		g_autofree char *qi = sg_report_text_safe(msg->queue_id, 80);

		g_string_append_printf(out, ", queue %s, id %s", qn, qi);
	}
	g_string_append_c(out, '\n');
	for (guint i = 0; i < msg->files->len; i++) {
		PutFile *pf = &pfs[i];
		g_autofree char *name =
		    sg_report_text_safe(pf->file->name, 255);
		g_autofree char *origin =
		    sg_report_text_safe(pf->origin, PATH_MAX);

		g_string_append_printf(out,
		    "file %s\n  from    %s\n  sha256  %s\n"
		    "  size %" G_GINT64_FORMAT ", mode %04o, uid %u, gid %u, "
		    "moved by %s\n",
		    name, origin, pf->sha256, (gint64)pf->st.st_size,
		    (unsigned)(pf->st.st_mode & 07777), (unsigned)pf->st.st_uid,
		    (unsigned)pf->st.st_gid, put_method_names[pf->method]);
	}
	return g_string_free(out, FALSE);
}

/* Removes what put() made in the entry; the spool is not touched. */
static void
put_rollback(const char *entry)
{
	g_autoptr(GError) error = NULL;

	if (entry != NULL && !sg_fs_remove_entry(entry, &error))
		g_warning("quarantine: could not clean up %s: %s", entry,
		    error->message);
}

/* Owner-only once the spool no longer shares the inode. */
static void
put_restrict(PutFile *pf)
{
	const SgFsOps *fs = sg_quarantine_fs();
	struct stat st;
	int fd;

	if (pf->method == PUT_COPY)
		return;
	fd = sg_fs_open(pf->dest, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0, NULL,
	    NULL);
	if (fd < 0)
		return;
	/* Not while another name (in the spool) shares the inode. */
	if (fs->fstat(fd, &st) == 0 && st.st_nlink == 1)
		(void)fs->fchmod(fd, 0600);
	fs->close(fd);
}

/*
 * The commit: originals leave the spool in file order.  Returns FALSE
 * with *rolled_back when nothing had left the spool yet and the entry
 * was removed.
 */
static gboolean
put_commit(PutFile *pfs, guint n, const char *entry, const char *id,
    gboolean *rolled_back, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autoptr(GString) failed = g_string_new(NULL);
	g_autoptr(GHashTable) dirs = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree char *files = g_build_filename(entry, "files", NULL);
	gboolean renamed = FALSE;
	gboolean removed_any = FALSE;

	*rolled_back = FALSE;
	for (guint i = 0; i < n; i++) {
		PutFile *pf = &pfs[i];
		int r, saved;
		const char *step;

		if (pf->method == PUT_RENAME) {
			step = "rename into the store";
			r = fs->rename(pf->origin, pf->dest);
		} else {
			step = "unlink";
			r = fs->unlink(pf->origin);
		}
		saved = errno;
		if (r == 0 || (pf->method != PUT_RENAME && saved == ENOENT)) {
			pf->removed = TRUE;
			pf->placed = TRUE;
			removed_any = TRUE;
			renamed |= pf->method == PUT_RENAME;
			g_hash_table_add(dirs, pf->origin_dir);
			put_restrict(pf);
			continue;
		}
		if (!removed_any) {
			put_rollback(entry);
			*rolled_back = TRUE;
			if (saved == ENOENT)
				return put_vanished(error, pf->origin,
				    "while being moved");
			return sg_fs_fail(error, NULL, saved, pf->origin, step);
		}
		g_string_append_printf(failed, "%s%s: %s: %s",
		    failed->len > 0 ? "; " : "", pf->origin, step,
		    g_strerror(saved));
	}
	/* Make the removals durable; the store side already is. */
	if (renamed)
		(void)sg_fs_fsync_dir(files, NULL);
	{
		GHashTableIter it;
		gpointer key;

		g_hash_table_iter_init(&it, dirs);
		while (g_hash_table_iter_next(&it, &key, NULL))
			(void)sg_fs_fsync_dir(key, NULL);
	}
	if (failed->len > 0) {
		g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_IO,
		    "stored as %s, but some files stay in the spool too: %s",
		    id, failed->str);
		return FALSE;
	}
	return TRUE;
}

gboolean
sg_store_put(SgStore *store, SgMessage *msg, const SgProfile *profile,
    char **id, GError **error)
{
	guint n = msg->files->len;
	g_autofree PutFile *pfs = NULL;
	g_autofree char *entry = NULL;
	g_autofree char *the_id = NULL;
	g_autofree char *json = NULL;
	g_autofree char *text = NULL;
	gsize json_len = 0;
	gint64 now = sg_quarantine_now();
	gboolean ok = FALSE, rolled_back = FALSE;

	if (id != NULL)
		*id = NULL;
	if (n == 0 || msg->no_move) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INVALID, "%s: %s", msg->id,
		    n == 0 ? "has no files" : "must not be moved");
		return FALSE;
	}
	pfs = g_new0(PutFile, n);
	for (guint i = 0; i < n; i++) {
		pfs[i].file = g_ptr_array_index(msg->files, i);
		for (guint k = 0; k < i; k++) {
			if (g_strcmp0(pfs[k].file->name, pfs[i].file->name) ==
			    0) {
				g_set_error(error, SG_QUARANTINE_ERROR,
				    SG_QUARANTINE_ERROR_INVALID,
				    "%s: two files named %s", msg->id,
				    pfs[i].file->name);
				goto out;
			}
		}
		if (!put_prepare(&pfs[i], error))
			goto out;
	}
	if (!put_make_entry(store, msg, now, &the_id, &entry, error))
		goto out;
	for (guint i = 0; i < n; i++) {
		pfs[i].dest =
		    g_build_filename(entry, "files", pfs[i].file->name, NULL);
		if (!put_place(&pfs[i], entry, i, n == 1, error)) {
			g_prefix_error(error, "%s: not moved: %s: ", msg->id,
			    pfs[i].file->name);
			goto rollback;
		}
	}
	{
		g_autofree char *files = g_build_filename(entry, "files", NULL);

		if (!sg_fs_fsync_dir(files, error))
			goto rollback;
	}
	json =
	    put_report_json(msg, profile, the_id, entry, now, pfs, &json_len);
	text = put_report_text(msg, profile, the_id, now, pfs);
	if (!sg_fs_write_file(entry, "report.json", json, json_len, error) ||
	    !sg_fs_write_file(entry, "report.txt", text, strlen(text), error) ||
	    !sg_fs_fsync_dir(entry, error)) {
		g_prefix_error(error, "%s: not moved: ", msg->id);
		goto rollback;
	}
	/* Everything is in place and durable: now leave the spool. */
	ok = put_commit(pfs, n, entry, the_id, &rolled_back, error);
	if (ok || !rolled_back) {
		if (id != NULL)
			*id = g_steal_pointer(&the_id);
	} else if (error != NULL && *error != NULL &&
	    (*error)->domain == SG_QUARANTINE_ERROR) {
		g_prefix_error(error, "%s: not moved: ", msg->id);
	}
	goto out;
rollback:
	put_rollback(entry);
out:
	for (guint i = 0; pfs != NULL && i < n; i++)
		put_file_clear(&pfs[i]);
	return ok;
}

/* Drops the day, month and year directories of a removed entry once empty. */
static void
store_prune_dirs(const char *entry)
{
	g_autofree char *day = g_path_get_dirname(entry);
	g_autofree char *month = g_path_get_dirname(day);
	g_autofree char *year = g_path_get_dirname(month);
	const SgFsOps *fs = sg_quarantine_fs();

	if (fs->rmdir(day) == 0 && fs->rmdir(month) == 0)
		(void)fs->rmdir(year);
}

/* ---- list, find, show -------------------------------------------------- */

void
sg_store_entry_free(SgStoreEntry *entry)
{
	if (entry == NULL)
		return;
	g_free(entry->id);
	g_free(entry->dir);
	g_free(entry->origin);
	g_free(entry->format);
	g_free(entry->verdict);
	g_free(entry->rules);
	g_free(entry);
}

static gint
store_cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in @dir that pass @valid and are real directories. */
static GPtrArray *
store_subdirs(const char *dir, gboolean (*valid)(const char *), GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL) {
		sg_fs_fail(error, NULL, errno, dir, "opendir");
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		g_autofree char *path = NULL;
		struct stat st;

		if (!valid(de->d_name))
			continue;
		path = g_build_filename(dir, de->d_name, NULL);
		if (fs->lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		g_ptr_array_add(names, g_strdup(de->d_name));
	}
	closedir(d);
	g_ptr_array_sort(names, store_cmp_names);
	return g_steal_pointer(&names);
}

static gboolean
store_is_year(const char *s)
{
	return strlen(s) == 4 && store_digits(s, 4);
}

static gboolean
store_is_2digits(const char *s)
{
	return strlen(s) == 2 && store_digits(s, 2);
}

/* Calls @func(id, dir) for every entry, oldest first. */
typedef gboolean (*StoreEntryFunc)(const char *id, const char *dir,
    gpointer data, GError **error);

static gboolean
store_walk(SgStore *store, StoreEntryFunc func, gpointer data, GError **error)
{
	g_autoptr(GPtrArray) years = NULL;
	/* "<id>/<day dir>" strings: the id has a fixed length. */
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);

	years = store_subdirs(store->dir, store_is_year, error);
	if (years == NULL)
		return FALSE;
	for (guint y = 0; y < years->len; y++) {
		g_autofree char *yd = g_build_filename(store->dir,
		    (char *)g_ptr_array_index(years, y), NULL);
		g_autoptr(GPtrArray) months =
		    store_subdirs(yd, store_is_2digits, NULL);

		for (guint m = 0; months != NULL && m < months->len; m++) {
			g_autofree char *md = g_build_filename(yd,
			    (char *)g_ptr_array_index(months, m), NULL);
			g_autoptr(GPtrArray) days =
			    store_subdirs(md, store_is_2digits, NULL);

			for (guint d = 0; days != NULL && d < days->len; d++) {
				g_autofree char *dd = g_build_filename(md,
				    (char *)g_ptr_array_index(days, d), NULL);
				g_autoptr(GPtrArray) entries =
				    store_subdirs(dd, store_valid_id, NULL);

				for (guint e = 0;
				     entries != NULL && e < entries->len; e++) {
					const char *id =
					    g_ptr_array_index(entries, e);

					g_ptr_array_add(ids,
					    g_strdup_printf("%s/%s", id, dd));
				}
			}
		}
	}
	/* Ids start with their time: sorting them sorts by age. */
	g_ptr_array_sort(ids, store_cmp_names);
	for (guint i = 0; i < ids->len; i++) {
		char *pair = g_ptr_array_index(ids, i);
		g_autofree char *id = g_strndup(pair, STORE_ID_LEN);
		g_autofree char *dir =
		    g_build_filename(pair + STORE_ID_LEN + 1, id, NULL);

		if (!func(id, dir, data, error))
			return FALSE;
	}
	return TRUE;
}

/* (transfer full) (nullable): report.json of an entry, parsed. */
static JsonObject *
store_read_report(const char *dir, GError **error)
{
	g_autofree char *path = g_build_filename(dir, "report.json", NULL);
	g_autofree char *data = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	gsize len = 0;
	JsonNode *root;

	data = sg_fs_read_file(path, STORE_REPORT_MAX, &len, error);
	if (data == NULL)
		return NULL;
	if (!json_parser_load_from_data(parser, data, (gssize)len, NULL) ||
	    (root = json_parser_get_root(parser)) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_CORRUPT, "%s: not a JSON object", path);
		return NULL;
	}
	return json_object_ref(json_node_get_object(root));
}

static const char *
store_json_string(JsonObject *o, const char *key)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

static gint64
store_json_int(JsonObject *o, const char *key, gint64 fallback)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_INT64)
		return fallback;
	return json_node_get_int(n);
}

static JsonArray *
store_json_array(JsonObject *o, const char *key)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;

	if (n == NULL || !JSON_NODE_HOLDS_ARRAY(n))
		return NULL;
	return json_node_get_array(n);
}

static JsonObject *
store_json_element(JsonArray *a, guint i)
{
	JsonNode *n = json_array_get_element(a, i);

	if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n))
		return NULL;
	return json_node_get_object(n);
}

static SgStoreEntry *
store_entry_new(const char *id, const char *dir)
{
	SgStoreEntry *e = g_new0(SgStoreEntry, 1);
	g_autoptr(JsonObject) report = store_read_report(dir, NULL);
	JsonArray *files = store_json_array(report, "files");
	JsonArray *findings = store_json_array(report, "findings");
	g_autoptr(GString) rules = g_string_new(NULL);

	e->id = g_strdup(id);
	e->dir = g_strdup(dir);
	e->time = store_id_time(id);
	e->format = g_strdup(store_json_string(report, "format"));
	e->verdict = g_strdup(store_json_string(report, "verdict"));
	for (guint i = 0; files != NULL && i < json_array_get_length(files);
	     i++) {
		JsonObject *f = store_json_element(files, i);

		if (i == 0)
			e->origin = g_strdup(store_json_string(f, "origin"));
		e->bytes += MAX(store_json_int(f, "size", 0), 0);
	}
	for (guint i = 0;
	     findings != NULL && i < json_array_get_length(findings); i++) {
		JsonObject *f = store_json_element(findings, i);
		const char *rule = store_json_string(f, "rule");
		g_autofree char *needle = NULL;
		g_autofree char *hay = NULL;

		if (rule == NULL ||
		    g_strcmp0(store_json_string(f, "severity"), "quarantine") !=
		        0)
			continue;
		needle = g_strdup_printf(",%s,", rule);
		hay = g_strdup_printf(",%s,", rules->str);
		if (strstr(hay, needle) != NULL)
			continue;
		if (rules->len > 0)
			g_string_append_c(rules, ',');
		g_string_append(rules, rule);
	}
	e->rules = g_string_free(g_steal_pointer(&rules), FALSE);
	return e;
}

static gboolean
store_list_one(const char *id, const char *dir, gpointer data, GError **error)
{
	g_ptr_array_add(data, store_entry_new(id, dir));
	return TRUE;
}

GPtrArray *
sg_store_list(SgStore *store, GError **error)
{
	g_autoptr(GPtrArray) entries =
	    g_ptr_array_new_with_free_func((GDestroyNotify)sg_store_entry_free);

	if (!store_walk(store, store_list_one, entries, error))
		return NULL;
	return g_steal_pointer(&entries);
}

typedef struct {
	const char *query;
	char *id;
	char *dir;
	guint matches;
	gboolean exact;
} StoreFind;

static gboolean
store_find_one(const char *id, const char *dir, gpointer data, GError **error)
{
	StoreFind *f = data;

	if (f->exact || !g_str_has_prefix(id, f->query))
		return TRUE;
	f->matches++;
	g_free(f->id);
	g_free(f->dir);
	f->id = g_strdup(id);
	f->dir = g_strdup(dir);
	f->exact = strcmp(id, f->query) == 0;
	return TRUE;
}

SgStoreEntry *
sg_store_find(SgStore *store, const char *id, GError **error)
{
	StoreFind f = { .query = id };
	SgStoreEntry *e = NULL;

	if (id == NULL || !store_valid_prefix(id)) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_NOT_FOUND,
		    "'%s' is not a quarantine id (like "
		    "20261122T031502Z-1a2b3c4d)",
		    id != NULL ? id : "");
		return NULL;
	}
	if (!store_walk(store, store_find_one, &f, error))
		goto out;
	if (f.matches == 0) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_NOT_FOUND, "%s: no such entry in %s",
		    id, store->dir);
	} else if (f.matches > 1 && !f.exact) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_NOT_FOUND,
		    "%s: ambiguous, %u entries start with it", id, f.matches);
	} else {
		e = store_entry_new(f.id, f.dir);
	}
out:
	g_free(f.id);
	g_free(f.dir);
	return e;
}

char *
sg_store_show(SgStore *store, const char *id, gboolean json, GError **error)
{
	g_autoptr(SgStoreEntry) e = sg_store_find(store, id, error);
	g_autofree char *path = NULL;

	if (e == NULL)
		return NULL;
	path =
	    g_build_filename(e->dir, json ? "report.json" : "report.txt", NULL);
	return sg_fs_read_file(path, STORE_REPORT_MAX, NULL, error);
}

/* ---- release ------------------------------------------------------------ */

typedef struct {
	const char *name;
	const char *origin;
	const char *sha256;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	char *stored; /* ENTRY/files/<name> */
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

/* Reads one file's record from report.json and checks it. */
static gboolean
release_parse(ReleaseFile *rf, JsonObject *f, const char *dir, GError **error)
{
	const char *mode;
	guint64 m;
	gint64 uid, gid;
	g_autofree char *base = NULL;

	rf->name = store_json_string(f, "name");
	rf->origin = store_json_string(f, "origin");
	rf->sha256 = store_json_string(f, "sha256");
	mode = store_json_string(f, "mode");
	uid = store_json_int(f, "uid", -1);
	gid = store_json_int(f, "gid", -1);
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
	report = store_read_report(e->dir, error);
	if (report == NULL)
		return FALSE;
	files = store_json_array(report, "files");
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

		if (!release_parse(rf, store_json_element(files, i), e->dir,
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
	}
	if (ok && !sg_fs_remove_entry(e->dir, error)) {
		g_prefix_error(error,
		    "%s: released, but the entry stays: ", e->id);
		return FALSE;
	}
	if (ok)
		store_prune_dirs(e->dir);
	return ok;
}

/* ---- purge -------------------------------------------------------------- */

typedef struct {
	gint64 cutoff;
	guint count;
	GError *first;
} StorePurge;

static gboolean
store_purge_one(const char *id, const char *dir, gpointer data, GError **error)
{
	StorePurge *p = data;
	g_autoptr(GError) local = NULL;
	gint64 t = store_id_time(id);

	if (t < 0 || t > p->cutoff)
		return TRUE;
	if (!sg_fs_remove_entry(dir, &local)) {
		if (p->first == NULL)
			p->first = g_steal_pointer(&local);
		return TRUE;
	}
	p->count++;
	store_prune_dirs(dir);
	return TRUE;
}

gboolean
sg_store_purge(SgStore *store, gint64 age, guint *count, GError **error)
{
	StorePurge p = { .cutoff = sg_quarantine_now() - age };

	if (count != NULL)
		*count = 0;
	if (age < 0) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INVALID, "purge: negative age");
		return FALSE;
	}
	if (!store_walk(store, store_purge_one, &p, error))
		return FALSE;
	if (count != NULL)
		*count = p.count;
	if (p.first != NULL) {
		g_propagate_error(error, p.first);
		return FALSE;
	}
	return TRUE;
}
