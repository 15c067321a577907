// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quarantine-put.c - moving a message into the quarantine store, so that
 * only the inodes that were judged leave the spool, unchanged.
 *
 * 1. Prepare: each file's origin must still be the judged inode with the
 *    judged size, mtime, ctime, link count and mode (else BUSY: left, with
 *    the reason); a write lease probe tells whether anyone else has it open
 *    (BUSY) or whether leases work here; the judged bytes are hashed.  The
 *    store keeps the inode itself (method "rename") when it is on the same
 *    mount, leases work and the file has one link; otherwise a copy.
 * 2. The entry: directories, its flock, the journal (intent.json, see
 *    quarantine-journal.c), durable before anything moves, then
 *    report.json and report.txt (their names durable with the commit).
 * 3. Copies: O_EXCL|O_NOFOLLOW temporary, fsync, sha256 == judged, rename
 *    into files/.  Nothing has left the spool yet.
 * 4. The move, in file order (Exim: -H, -D, msglog): write leases, stat
 *    re-checked, then each name is renamed aside without replacing
 *    anything (into files/ for "rename", to .spoolguard-<id>-<n> beside
 *    itself for "copy") and the inode that moved must be the judged one; a
 *    file that replaced it at the same name goes back untouched.
 * 5. Nobody opened or changed a file during the move (the lease is still
 *    ours, fstat unchanged), the stored bytes hash to the judged sha256;
 *    directories fsynced; the commit renames intent.json to
 *    committed.json; originals set aside are unlinked and the journal goes.
 * Any failure before the commit puts back what moved (sg_journal_resolve)
 * and removes the entry; a kill leaves a journal that sg_store_recover()
 * decides.  The message's descriptors (and the MTA locks on them) stay
 * open; descriptors put() opens itself are closed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "quarantine-private.h"

typedef enum {
	PUT_RENAME, /* the judged inode itself, renamed into the store */
	PUT_COPY,   /* a verified copy; the original renamed aside, unlinked */
} PutMethod;

static const char *const put_method_names[] = {
	[PUT_RENAME] = "rename",
	[PUT_COPY] = "copy",
};

typedef struct {
	SgMessageFile *file;
	char *origin;     /* absolute path in the spool */
	char *origin_dir; /* its directory */
	char *dest;       /* ENTRY/files/<name> */
	char *aside;      /* where the original goes */
	char *sha256;     /* of the judged bytes */
	struct stat st;   /* what was judged: the reader's fstat */
	int fd;           /* the reader's descriptor, or our own */
	gboolean own_fd;
	gboolean can_lease; /* leases work on it */
	gboolean leased;
	gboolean moved; /* renamed aside by this attempt */
	PutMethod method;
} PutFile;

typedef struct {
	SgStore *store;
	SgMessage *msg;
	const SgProfile *profile;
	PutFile *pfs;
	guint n;
	gint64 now;
	char *id;
	char *entry;
	int lock; /* flock on the entry directory */
	SgJournal *journal;
	struct stat *judged; /* (not owned) per file: what was judged */
	struct statx store_mnt;
	gboolean force_copy; /* a rename hit EXDEV: another mount */
	gboolean exdev;
} Put;

static gboolean
put_vanished(GError **error, const char *path, const char *when)
{
	g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED,
	    "%s: vanished %s (the MTA took it)", path, when);
	return FALSE;
}

static gboolean G_GNUC_PRINTF(3, 4)
    put_busy(GError **error, const char *path, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *why = NULL;

	va_start(ap, fmt);
	why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY,
	    "%s: %s; left in place", path, why);
	return FALSE;
}

/*
 * FALSE, with what differs in @why, when @now is not the file that was
 * judged (@was): another inode, size, mtime, ctime, link count or mode.
 * Once we renamed it, its ctime is ours (@renamed): then the lease and
 * the mtime tell whether anyone else touched it.
 */
static gboolean
put_same(const struct stat *was, const struct stat *now, gboolean renamed,
    GString *why)
{
	if (was->st_dev != now->st_dev || was->st_ino != now->st_ino) {
		g_string_printf(why,
		    "replaced at its name (inode %ju, now %ju)",
		    (uintmax_t)was->st_ino, (uintmax_t)now->st_ino);
	} else if (was->st_size != now->st_size) {
		g_string_printf(why,
		    "changed since it was judged (size %jd, now %jd)",
		    (intmax_t)was->st_size, (intmax_t)now->st_size);
	} else if ((was->st_mode ^ now->st_mode) & S_IXUSR) {
		/* Postfix's readiness bit (MAIL_QUEUE_STAT_READY) */
		g_string_printf(why,
		    "its owner-execute (ready) bit was %s "
		    "since it was judged",
		    (now->st_mode & S_IXUSR) ? "set" : "cleared");
	} else if (was->st_mode != now->st_mode) {
		g_string_printf(why,
		    "changed since it was judged (mode %04o, now %04o)",
		    (unsigned)(was->st_mode & 07777),
		    (unsigned)(now->st_mode & 07777));
	} else if (was->st_nlink != now->st_nlink) {
		g_string_printf(why,
		    "changed since it was judged (link count %ju, now %ju)",
		    (uintmax_t)was->st_nlink, (uintmax_t)now->st_nlink);
	} else if (was->st_mtim.tv_sec != now->st_mtim.tv_sec ||
	    was->st_mtim.tv_nsec != now->st_mtim.tv_nsec) {
		g_string_printf(why, "changed since it was judged (mtime)");
	} else if (!renamed &&
	    (was->st_ctim.tv_sec != now->st_ctim.tv_sec ||
	        was->st_ctim.tv_nsec != now->st_ctim.tv_nsec)) {
		g_string_printf(why, "changed since it was judged (ctime)");
	} else {
		return TRUE;
	}
	return FALSE;
}

/* The descriptor and the name must both still be the judged file. */
static gboolean
put_recheck(PutFile *pf, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autoptr(GString) why = g_string_new(NULL);
	struct stat now;

	/* The name first: a file replaced by rename also changed (its
	 * link count and ctime), but "replaced" is the news. */
	if (fs->lstat(pf->origin, &now) != 0) {
		if (errno == ENOENT)
			return put_vanished(error, pf->origin,
			    "before it could be moved");
		return sg_fs_fail(error, NULL, errno, pf->origin, "lstat");
	}
	if (!put_same(&pf->st, &now, FALSE, why))
		return put_busy(error, pf->origin, "%s", why->str);
	if (fs->fstat(pf->fd, &now) != 0)
		return sg_fs_fail(error, NULL, errno, pf->origin, "fstat");
	if (!put_same(&pf->st, &now, FALSE, why))
		return put_busy(error, pf->origin, "%s", why->str);
	return TRUE;
}

/*
 * A write lease is granted only while no other open file description
 * (any process) refers to the file, and an open() by anyone later breaks
 * it: the probe is taken and given back at once.
 */
static gboolean
put_lease_probe(PutFile *pf, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();

	sg_fs_quiet_sigio();
	if (fs->setlease(pf->fd, F_WRLCK) == 0) {
		(void)fs->setlease(pf->fd, F_UNLCK);
		pf->can_lease = TRUE;
		return TRUE;
	}
	if (errno == EAGAIN || errno == EBUSY)
		return put_busy(error, pf->origin,
		    "another process has it open");
	/* Not ours and no CAP_LEASE, or a file system without leases:
	 * the store keeps a copy. */
	pf->can_lease = FALSE;
	return TRUE;
}

/*
 * TRUE when @dir is on the store's mount: the same device, and the same
 * mount where the kernel says (bind mounts share a device, yet rename
 * across them fails with EXDEV).
 */
static gboolean
put_same_mount(Put *p, const char *dir, dev_t dev)
{
	struct statx sx;

	if ((dev_t)makedev(p->store_mnt.stx_dev_major,
	        p->store_mnt.stx_dev_minor) != dev)
		return FALSE;
	if (!(p->store_mnt.stx_mask & STATX_MNT_ID) ||
	    statx(AT_FDCWD, dir, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) != 0 ||
	    !(sx.stx_mask & STATX_MNT_ID))
		return TRUE;
	return sx.stx_mnt_id == p->store_mnt.stx_mnt_id;
}

/* Resolves the origin, re-checks it, probes the lease and hashes. */
static gboolean
put_prepare(Put *p, guint i, GError **error)
{
	PutFile *pf = &p->pfs[i];
	const SgFsOps *fs = sg_quarantine_fs();
	SgMessageFile *file = pf->file;
	g_autofree char *dir = g_path_get_dirname(file->path);
	char real[PATH_MAX];
	int saved = 0;

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
	pf->fd = file->fd;
	if (pf->fd >= 0) {
		/* What the reader opened (and the checks read) was judged. */
		pf->st = p->judged[i];
	} else {
		pf->fd = sg_fs_open(pf->origin,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0, &saved, error);
		if (pf->fd < 0) {
			if (saved != ENOENT)
				return FALSE;
			g_clear_error(error);
			return put_vanished(error, pf->origin,
			    "before it could be moved");
		}
		pf->own_fd = TRUE;
		if (fs->fstat(pf->fd, &pf->st) != 0)
			return sg_fs_fail(error, NULL, errno, pf->origin,
			    "fstat");
	}
	if (!S_ISREG(pf->st.st_mode)) {
		g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_IO,
		    "%s: not a regular file; not moved", pf->origin);
		return FALSE;
	}
	if (!put_recheck(pf, error) || !put_lease_probe(pf, error))
		return FALSE;
	pf->sha256 = sg_fs_sha256(pf->fd, pf->origin, error);
	if (pf->sha256 == NULL)
		return FALSE;
	pf->method = !p->force_copy && pf->can_lease && pf->st.st_nlink == 1 &&
	        put_same_mount(p, pf->origin_dir, pf->st.st_dev)
	    ? PUT_RENAME
	    : PUT_COPY;
	return TRUE;
}

/* Makes STORE/YYYY/MM/DD/<id>/files, locked; fills p->id and p->entry. */
static gboolean
put_make_entry(Put *p, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	time_t t = (time_t)p->now;
	struct tm tm;
	char stamp[32], y[8], m[8], d[8];
	g_autofree char *year = NULL;
	g_autofree char *month = NULL;
	g_autofree char *day = NULL;
	g_autofree char *files = NULL;
	gboolean made[3];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) != 16) {
		g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_IO,
		    "cannot format the time %" G_GINT64_FORMAT, p->now);
		return FALSE;
	}
	strftime(y, sizeof(y), "%Y", &tm);
	strftime(m, sizeof(m), "%m", &tm);
	strftime(d, sizeof(d), "%d", &tm);
	year = g_build_filename(p->store->dir, y, NULL);
	month = g_build_filename(year, m, NULL);
	day = g_build_filename(month, d, NULL);
	if (!sg_fs_mkdir(year, &made[0], error) ||
	    !sg_fs_mkdir(month, &made[1], error) ||
	    !sg_fs_mkdir(day, &made[2], error))
		return FALSE;
	for (guint tries = 0;; tries++) {
		g_autofree char *seed = g_strdup_printf("%s\n%s\n%08x%08x",
		    p->msg->id, stamp, g_random_int(), g_random_int());
		g_autofree char *hash =
		    g_compute_checksum_for_string(G_CHECKSUM_SHA256, seed, -1);
		g_autofree char *e = NULL;

		g_free(p->id);
		p->id = g_strdup_printf("%s-%.8s", stamp, hash);
		e = g_build_filename(day, p->id, NULL);
		if (fs->mkdir(e, 0700) == 0) {
			p->entry = g_steal_pointer(&e);
			break;
		}
		if (errno != EEXIST || tries + 1 >= SG_STORE_ID_TRIES)
			return sg_fs_fail(error, NULL, errno, e, "mkdir");
	}
	/* Held until the put ends: recovery leaves a live put alone. */
	p->lock = sg_entry_lock(p->entry, error);
	if (p->lock < 0) {
		fs->rmdir(p->entry);
		return FALSE;
	}
	files = g_build_filename(p->entry, "files", NULL);
	if (fs->mkdir(files, 0700) != 0) {
		sg_fs_fail(error, NULL, errno, files, "mkdir");
		sg_fs_remove_entry(p->entry, NULL);
		return FALSE;
	}
	/* The new names must survive a crash. */
	if (!sg_fs_fsync_dir(day, error) ||
	    (made[2] && !sg_fs_fsync_dir(month, error)) ||
	    (made[1] && !sg_fs_fsync_dir(year, error)) ||
	    (made[0] && !sg_fs_fsync_dir(p->store->dir, error))) {
		sg_fs_remove_entry(p->entry, NULL);
		return FALSE;
	}
	return TRUE;
}

/* intent.json: everything recovery needs, before anything moves. */
static gboolean
put_write_journal(Put *p, GError **error)
{
	SgJournal *j = g_new0(SgJournal, 1);

	j->id = g_strdup(p->id);
	j->entry = g_strdup(p->entry);
	j->n = p->n;
	j->files = g_new0(SgJournalFile, p->n);
	for (guint i = 0; i < p->n; i++) {
		PutFile *pf = &p->pfs[i];
		SgJournalFile *jf = &j->files[i];

		pf->dest =
		    g_build_filename(p->entry, "files", pf->file->name, NULL);
		if (pf->method == PUT_RENAME) {
			pf->aside = g_strdup(pf->dest);
		} else {
			g_autofree char *name = g_strdup_printf("%s%s-%u",
			    SG_JOURNAL_ASIDE, p->id, i);

			pf->aside =
			    g_build_filename(pf->origin_dir, name, NULL);
		}
		jf->name = g_strdup(pf->file->name);
		jf->origin = g_strdup(pf->origin);
		jf->aside = g_strdup(pf->aside);
		jf->sha256 = g_strdup(pf->sha256);
		jf->dev = pf->st.st_dev;
		jf->ino = pf->st.st_ino;
		jf->copy = pf->method == PUT_COPY;
	}
	p->journal = j;
	return sg_journal_write(j, error);
}

/* Copies one file's judged bytes into files/ and verifies them. */
static gboolean
put_copy(Put *p, guint i, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	PutFile *pf = &p->pfs[i];
	g_autofree char *tmp = g_strdup_printf("%s/.tmp-%u", p->entry, i);

	if (!sg_fs_copy_to_tmp(pf->fd, pf->origin, tmp, 0600, error))
		return FALSE;
	if (!sg_fs_sha256_check(tmp, pf->sha256, error)) {
		fs->unlink(tmp);
		return FALSE;
	}
	if (fs->rename(tmp, pf->dest) != 0) {
		sg_fs_fail(error, NULL, errno, pf->dest, "rename");
		fs->unlink(tmp);
		return FALSE;
	}
	return TRUE;
}

/* Takes back every lease put() holds. */
static void
put_unlease(Put *p)
{
	for (guint i = 0; i < p->n; i++) {
		if (p->pfs[i].leased)
			(void)sg_quarantine_fs()->setlease(p->pfs[i].fd,
			    F_UNLCK);
		p->pfs[i].leased = FALSE;
	}
}

/*
 * Step 4: leases, re-check, then each name aside.  FALSE with BUSY,
 * VANISHED or an I/O error; p->exdev when a rename crossed mounts.
 */
static gboolean
put_move(Put *p, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();

	for (guint i = 0; i < p->n; i++) {
		PutFile *pf = &p->pfs[i];

		if (!pf->can_lease)
			continue;
		if (fs->setlease(pf->fd, F_WRLCK) != 0)
			return put_busy(error, pf->origin,
			    "another process has it open");
		pf->leased = TRUE;
	}
	for (guint i = 0; i < p->n; i++) {
		if (!put_recheck(&p->pfs[i], error))
			return FALSE;
	}
	for (guint i = 0; i < p->n; i++) {
		PutFile *pf = &p->pfs[i];
		g_autoptr(GString) why = g_string_new(NULL);
		struct stat st;

		if (fs->rename_noreplace(pf->origin, pf->aside) != 0) {
			int saved = errno;

			if (saved == ENOENT)
				return put_vanished(error, pf->origin,
				    "while being moved");
			if (saved == EXDEV && pf->method == PUT_RENAME) {
				p->exdev = TRUE;
				return sg_fs_fail(error, NULL, saved,
				    pf->origin, "rename into the store");
			}
			return sg_fs_fail(error, NULL, saved, pf->origin,
			    "move aside");
		}
		if (fs->lstat(pf->aside, &st) != 0)
			return sg_fs_fail(error, NULL, errno, pf->aside,
			    "lstat");
		/* What moved must be the judged inode; a file that took
		 * its name just before goes back (sg_journal_resolve). */
		if (st.st_dev != pf->st.st_dev || st.st_ino != pf->st.st_ino)
			return put_busy(error, pf->origin,
			    "replaced at its name while being moved; the new "
			    "file stays in the spool");
		pf->moved = TRUE;
		if (!put_same(&pf->st, &st, TRUE, why))
			return put_busy(error, pf->origin, "%s", why->str);
	}
	return TRUE;
}

/* Step 5: nobody opened or changed a file, the stored bytes are right. */
static gboolean
put_verify(Put *p, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();

	for (guint i = 0; i < p->n; i++) {
		PutFile *pf = &p->pfs[i];
		g_autoptr(GString) why = g_string_new(NULL);
		struct stat st;

		if (pf->leased && fs->getlease(pf->fd) != F_WRLCK)
			return put_busy(error, pf->origin,
			    "another process opened it while it was moved");
		if (fs->fstat(pf->fd, &st) != 0)
			return sg_fs_fail(error, NULL, errno, pf->origin,
			    "fstat");
		if (!put_same(&pf->st, &st, TRUE, why))
			return put_busy(error, pf->origin, "%s", why->str);
	}
	put_unlease(p);
	/* No name in the spool reaches these inodes any more. */
	for (guint i = 0; i < p->n; i++) {
		PutFile *pf = &p->pfs[i];
		g_autofree char *sum = NULL;
		struct stat st;
		int fd;

		if (pf->method != PUT_RENAME)
			continue; /* the copy was verified before the move */
		fd = sg_fs_open(pf->dest, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0,
		    NULL, error);
		if (fd < 0)
			return FALSE;
		if (fs->fstat(fd, &st) == 0 && st.st_ino == pf->st.st_ino &&
		    st.st_dev == pf->st.st_dev)
			sum = sg_fs_sha256(fd, pf->dest, error);
		else
			put_busy(error, pf->origin, "replaced in the store");
		fs->close(fd);
		if (sum == NULL)
			return FALSE;
		if (strcmp(sum, pf->sha256) != 0) {
			g_set_error(error, SG_QUARANTINE_ERROR,
			    SG_QUARANTINE_ERROR_CORRUPT,
			    "%s: sha256 %s after the move, but %s was judged",
			    pf->origin, sum, pf->sha256);
			return FALSE;
		}
	}
	return TRUE;
}

/* The moves, the names and the commit must survive a crash. */
static gboolean
put_sync(Put *p, GError **error)
{
	g_autoptr(GHashTable) dirs =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTableIter it;
	gpointer key;

	g_hash_table_add(dirs, g_build_filename(p->entry, "files", NULL));
	for (guint i = 0; i < p->n; i++)
		g_hash_table_add(dirs, g_strdup(p->pfs[i].origin_dir));
	g_hash_table_iter_init(&it, dirs);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		if (!sg_fs_fsync_dir(key, error))
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
	g_autoptr(JsonNode) q = NULL;
	char when[32];
	char *text;

	put_time(when, sizeof(when), now);
	if (msg->spool_root != NULL) {
		g_autofree char *root_safe =
		    sg_report_name_safe(msg->spool_root);

		q = sg_store_report_stamp(id, when, entry, root_safe);
	} else {
		q = sg_store_report_stamp(id, when, entry, NULL);
	}
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

/* Prefixes a store error of file @i with the message and the file. */
static void
put_prefix(Put *p, guint i, GError **error)
{
	if (error != NULL && *error != NULL &&
	    (*error)->domain == SG_QUARANTINE_ERROR)
		g_prefix_error(error, "%s: not moved: %s: ", p->msg->id,
		    p->pfs[i].file->name);
}

/*
 * Undoes a put that did not commit: what moved goes back, the entry
 * goes.  SG_RESOLVE_FINISHED when a name in the spool was taken meanwhile
 * and the message stays in the store instead (the error is cleared).
 */
static SgResolve
put_undo(Put *p, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree char *note = NULL;
	SgResolve r;

	if (p->journal == NULL) {
		/* No journal: nothing was moved. */
		if (p->entry != NULL && sg_fs_remove_entry(p->entry, NULL))
			sg_store_prune_dirs(p->entry);
		put_unlease(p);
		return SG_RESOLVE_ROLLED_BACK;
	}
	r = sg_journal_resolve(p->journal, &note, &local);
	put_unlease(p);
	if (r == SG_RESOLVE_FINISHED) {
		g_warning("%s: %s", p->id, note);
		g_clear_error(error);
	} else if (r == SG_RESOLVE_FAILED) {
		g_autofree char *first = g_strdup(
		    error != NULL && *error != NULL ? (*error)->message : "");

		g_clear_error(error);
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_UNFINISHED,
		    "%s: %s; and the move could not be undone: %s; entry %s "
		    "stays unfinished ('spoolguard quarantine fsck' finishes "
		    "it)",
		    p->msg->id, first, local->message, p->id);
	}
	return r;
}

/*
 * After a rename crossed mounts and was undone, the files that went and
 * came back have a new ctime, ours: the second try (a copy) takes it as
 * judged, provided nothing else about them changed.
 */
static void
put_rebase(Put *p)
{
	g_autoptr(GString) why = g_string_new(NULL);

	for (guint i = 0; p->exdev && i < p->n; i++) {
		PutFile *pf = &p->pfs[i];
		struct stat now;

		if (pf->moved && !pf->own_fd &&
		    sg_quarantine_fs()->lstat(pf->origin, &now) == 0 &&
		    put_same(&pf->st, &now, TRUE, why))
			p->judged[i].st_ctim = now.st_ctim;
	}
}

static gboolean
put_run(Put *p, gboolean *committed, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree char *json = NULL;
	g_autofree char *text = NULL;
	g_autofree char *files = NULL;
	gsize json_len = 0;
	gboolean copies = FALSE;

	*committed = FALSE;
	if (statx(AT_FDCWD, p->store->dir, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID,
	        &p->store_mnt) != 0)
		return sg_fs_fail(error, NULL, errno, p->store->dir, "statx");
	for (guint i = 0; i < p->n; i++) {
		if (!put_prepare(p, i, error))
			return FALSE;
	}
	if (!put_make_entry(p, error))
		return FALSE;
	files = g_build_filename(p->entry, "files", NULL);
	json = put_report_json(p->msg, p->profile, p->id, p->entry, p->now,
	    p->pfs, &json_len);
	text = put_report_text(p->msg, p->profile, p->id, p->now, p->pfs);
	/* The reports' names become durable with the commit's fsync. */
	if (!put_write_journal(p, error) ||
	    !sg_fs_write_file(p->entry, "report.json", json, json_len, error) ||
	    !sg_fs_write_file(p->entry, "report.txt", text, strlen(text),
	        error)) {
		g_prefix_error(error, "%s: not moved: ", p->msg->id);
		goto undo;
	}
	for (guint i = 0; i < p->n; i++) {
		if (p->pfs[i].method != PUT_COPY)
			continue;
		if (!put_copy(p, i, error)) {
			put_prefix(p, i, error);
			goto undo;
		}
		copies = TRUE;
	}
	/* Copies are durable before any original leaves the spool. */
	if ((copies && !sg_fs_fsync_dir(files, error)) || !put_move(p, error) ||
	    !put_verify(p, error) || !put_sync(p, error) ||
	    !sg_journal_commit(p->journal, error)) {
		for (guint i = 0; i < p->n; i++) {
			if (error != NULL && *error != NULL &&
			    strstr((*error)->message, p->pfs[i].origin) !=
			        NULL) {
				put_prefix(p, i, error);
				break;
			}
		}
		goto undo;
	}
	*committed = TRUE;
	if (!sg_journal_cleanup(p->journal, &local)) {
		g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_IO,
		    "%s: stored as %s, but the spool is not tidy yet: %s "
		    "('spoolguard quarantine fsck' finishes it)",
		    p->msg->id, p->id, local->message);
		return FALSE;
	}
	return TRUE;
undo:
	switch (put_undo(p, error)) {
	case SG_RESOLVE_FINISHED:
		*committed = TRUE;
		return TRUE;
	case SG_RESOLVE_ROLLED_BACK:
		put_rebase(p);
		break;
	case SG_RESOLVE_FAILED:
		p->exdev = FALSE;
		break;
	}
	return FALSE;
}

static void
put_clear(Put *p)
{
	put_unlease(p);
	for (guint i = 0; i < p->n; i++) {
		PutFile *pf = &p->pfs[i];

		if (pf->own_fd)
			sg_quarantine_fs()->close(pf->fd);
		g_free(pf->origin);
		g_free(pf->origin_dir);
		g_free(pf->dest);
		g_free(pf->aside);
		g_free(pf->sha256);
	}
	if (p->lock >= 0)
		sg_quarantine_fs()->close(p->lock);
	g_clear_pointer(&p->journal, sg_journal_free);
	g_free(p->pfs);
	g_free(p->id);
	g_free(p->entry);
}

gboolean
sg_store_put(SgStore *store, SgMessage *msg, const SgProfile *profile,
    char **id, GError **error)
{
	guint n = msg->files->len;
	g_autofree struct stat *judged = NULL;

	if (id != NULL)
		*id = NULL;
	if (n == 0 || msg->no_move) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INVALID, "%s: %s", msg->id,
		    n == 0 ? "has no files" : "must not be moved");
		return FALSE;
	}
	for (guint i = 0; i < n; i++) {
		SgMessageFile *f = g_ptr_array_index(msg->files, i);

		for (guint k = 0; k < i; k++) {
			SgMessageFile *g = g_ptr_array_index(msg->files, k);

			if (g_strcmp0(f->name, g->name) == 0) {
				g_set_error(error, SG_QUARANTINE_ERROR,
				    SG_QUARANTINE_ERROR_INVALID,
				    "%s: two files named %s", msg->id, f->name);
				return FALSE;
			}
		}
	}
	judged = g_new0(struct stat, n);
	for (guint i = 0; i < n; i++)
		judged[i] =
		    ((SgMessageFile *)g_ptr_array_index(msg->files, i))->st;
	/* A second try copies when a rename crossed mounts after all. */
	for (guint attempt = 0;; attempt++) {
		Put p = {
			.store = store,
			.msg = msg,
			.profile = profile,
			.n = n,
			.now = sg_quarantine_now(),
			.lock = -1,
			.judged = judged,
			.force_copy = attempt > 0,
		};
		g_autoptr(GError) local = NULL;
		gboolean committed = FALSE;
		gboolean ok, retry;

		p.pfs = g_new0(PutFile, n);
		for (guint i = 0; i < n; i++) {
			p.pfs[i].file = g_ptr_array_index(msg->files, i);
			p.pfs[i].fd = -1;
		}
		ok = put_run(&p, &committed, &local);
		retry = !ok && !committed && p.exdev && attempt == 0;
		if (committed && id != NULL)
			*id = g_strdup(p.id);
		put_clear(&p);
		if (!retry) {
			if (local != NULL)
				g_propagate_error(error,
				    g_steal_pointer(&local));
			return ok;
		}
	}
}
