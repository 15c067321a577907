// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quarantine-put.c - moving a message into the quarantine store.
 *
 * put() hard-links each file into a new entry (same inode, so Postfix
 * queue ids stay valid); across file systems it copies to a temporary
 * name (O_EXCL|O_NOFOLLOW, 0600), fsyncs, renames, fsyncs the directory
 * and verifies the sha256; where a link is not permitted it renames a
 * one-file message at commit time and copies the files of a larger one.
 * Then report.json and report.txt (sha256, origin, format, queue, mode,
 * owner and size of every file) are written durably.  Only then are the
 * originals unlinked, in the message's file order.  Any failure before
 * that removes the entry and leaves the spool untouched; a crash leaves
 * the message whole in the spool or in the store, never in neither.  The
 * message's descriptors (and the MTA locks on them) stay open.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "quarantine-private.h"

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
		if (errno != EEXIST || tries + 1 >= SG_STORE_ID_TRIES)
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
		g_autofree char *s = sg_report_name_safe(msg->spool_root);

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
		g_autofree char *origin = sg_report_name_safe(pf->origin);

		json_object_set_string_member(f, "origin", origin);
		if (strcmp(origin, pf->origin) != 0) {
			/* JSON strings are UTF-8 and origin is escaped: keep
			 * the true bytes of a Latin-1 (or other) file name, or
			 * one with a backslash, for release. */
			GString *hex = g_string_new(NULL);

			for (const char *c = pf->origin; *c != '\0'; c++)
				g_string_append_printf(hex, "%02x", (guchar)*c);
			json_object_set_string_member(f, "origin_hex",
			    hex->str);
			g_string_free(hex, TRUE);
		}
		json_object_set_string_member(f, "sha256", pf->sha256);
		json_object_set_string_member(f, "method",
		    put_method_names[pf->method]);
		json_object_set_string_member(f, "format", msg->format);
		if (msg->queue_name != NULL) {
			g_autofree char *s =
			    sg_report_name_safe(msg->queue_name);

			json_object_set_string_member(f, "queue_name", s);
		} else {
			json_object_set_null_member(f, "queue_name");
		}
		if (msg->queue_id != NULL) {
			g_autofree char *s = sg_report_name_safe(msg->queue_id);

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
