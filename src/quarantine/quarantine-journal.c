// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quarantine-journal.c - the move journal of a put, and the recovery of
 * puts that were cut short (a kill, a crash, a full disk).
 *
 * put() writes ENTRY/intent.json before anything leaves the spool: for
 * each file its origin, the judged inode (device and inode number), the
 * sha256 of the judged bytes, and where the original goes (the stored name
 * itself, or .spoolguard-<id>-<n> beside the origin when the store keeps a
 * copy).  The commit renames intent.json to committed.json; the cleanup
 * after it unlinks the originals set aside and removes committed.json.  So
 * the state of every file can be read from the file system: the judged
 * inode is at its origin, aside, or nowhere (the MTA took it), and any
 * other file at the aside name is a stranger that replaced the original at
 * its name and goes back.  Recovery rolls an uncommitted put back, never
 * replacing anything, or finishes it when a name has been taken since; it
 * finishes the cleanup of a committed one.  A flock on the entry directory
 * tells a running put from a dead one.  Paths are also kept in base64
 * (names need not be UTF-8).  Returned strings and journals belong to the
 * caller.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "quarantine-private.h"

#define JOURNAL_VERSION 1
/* A journal lists one message's files: a few hundred bytes each. */
#define JOURNAL_MAX (1024 * 1024)
#define JOURNAL_MAX_FILES 64
/* Tries at a free .spoolguard-displaced-* name. */
#define JOURNAL_DISPLACED_TRIES 16

typedef enum {
	AT_NOWHERE, /* gone: the MTA took it before the move */
	AT_ORIGIN,  /* still in the spool */
	AT_ASIDE,   /* moved: stored, or beside the origin */
} JournalWhere;

void
sg_journal_free(SgJournal *j)
{
	if (j == NULL)
		return;
	for (guint i = 0; i < j->n; i++) {
		g_free(j->files[i].name);
		g_free(j->files[i].origin);
		g_free(j->files[i].aside);
		g_free(j->files[i].sha256);
	}
	g_free(j->files);
	g_free(j->id);
	g_free(j->entry);
	g_free(j);
}

char *
sg_journal_stored(const SgJournal *j, guint i)
{
	return g_build_filename(j->entry, "files", j->files[i].name, NULL);
}

/* ---- writing and reading ------------------------------------------------ */

void
sg_store_json_add_bytes(JsonBuilder *b, const char *key, const char *path)
{
	g_autofree char *text = g_utf8_make_valid(path, -1);
	g_autofree char *b64 =
	    g_base64_encode((const guchar *)path, strlen(path));
	g_autofree char *key64 = g_strconcat(key, "_base64", NULL);

	json_builder_set_member_name(b, key);
	json_builder_add_string_value(b, text);
	json_builder_set_member_name(b, key64);
	json_builder_add_string_value(b, b64);
}

gboolean
sg_journal_write(const SgJournal *j, GError **error)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;
	g_autofree char *line = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "version");
	json_builder_add_int_value(b, JOURNAL_VERSION);
	json_builder_set_member_name(b, "id");
	json_builder_add_string_value(b, j->id);
	json_builder_set_member_name(b, "pid");
	json_builder_add_int_value(b, getpid());
	json_builder_set_member_name(b, "files");
	json_builder_begin_array(b);
	for (guint i = 0; i < j->n; i++) {
		const SgJournalFile *jf = &j->files[i];

		json_builder_begin_object(b);
		sg_store_json_add_bytes(b, "name", jf->name);
		sg_store_json_add_bytes(b, "origin", jf->origin);
		if (jf->copy)
			sg_store_json_add_bytes(b, "aside", jf->aside);
		json_builder_set_member_name(b, "method");
		json_builder_add_string_value(b, jf->copy ? "copy" : "rename");
		json_builder_set_member_name(b, "sha256");
		json_builder_add_string_value(b, jf->sha256);
		json_builder_set_member_name(b, "dev");
		json_builder_add_int_value(b, (gint64)jf->dev);
		json_builder_set_member_name(b, "ino");
		json_builder_add_int_value(b, (gint64)jf->ino);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	line = g_strconcat(text, "\n", NULL);
	return sg_fs_write_file(j->entry, SG_JOURNAL_PENDING, line,
	           strlen(line), error) &&
	    sg_fs_fsync_dir(j->entry, error);
}

/* (transfer full) (nullable): the path kept in base64 under @key. */
static char *
journal_get_path(JsonObject *o, const char *key)
{
	g_autofree char *key64 = g_strconcat(key, "_base64", NULL);
	const char *b64 = sg_store_json_string(o, key64);
	g_autofree guchar *raw = NULL;
	gsize len = 0;

	if (b64 == NULL)
		return NULL;
	raw = g_base64_decode(b64, &len);
	if (raw == NULL || len == 0 || len >= PATH_MAX ||
	    memchr(raw, '\0', len) != NULL)
		return NULL;
	return g_strndup((const char *)raw, len);
}

static gboolean
journal_bad(GError **error, const char *path, const char *what)
{
	g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_CORRUPT,
	    "%s: %s", path, what);
	return FALSE;
}

/* Fills @jf from its JSON record and checks that every path is one put()
 * could have written: the journal is data, not trusted to have our shape. */
static gboolean
journal_parse_file(SgJournalFile *jf, JsonObject *f, const char *path,
    GError **error)
{
	const char *sha = sg_store_json_string(f, "sha256");
	const char *method = sg_store_json_string(f, "method");
	gint64 dev = sg_store_json_int(f, "dev", -1);
	gint64 ino = sg_store_json_int(f, "ino", -1);
	g_autofree char *base = NULL;
	g_autofree char *dir = NULL;

	jf->name = journal_get_path(f, "name");
	jf->origin = journal_get_path(f, "origin");
	if (jf->name == NULL || !sg_store_valid_name(jf->name))
		return journal_bad(error, path, "a file without a valid name");
	if (jf->origin == NULL || !g_path_is_absolute(jf->origin))
		return journal_bad(error, path, "a file without its origin");
	base = g_path_get_basename(jf->origin);
	dir = g_path_get_dirname(jf->origin);
	if (strcmp(base, jf->name) != 0 || strstr(jf->origin, "/../") != NULL)
		return journal_bad(error, path,
		    "an origin that is not the file's");
	if (sha == NULL || strlen(sha) != 64)
		return journal_bad(error, path, "a file without its sha256");
	if (dev < 0 || ino < 0)
		return journal_bad(error, path, "a file without its inode");
	jf->sha256 = g_strdup(sha);
	jf->dev = (guint64)dev;
	jf->ino = (guint64)ino;
	if (g_strcmp0(method, "rename") == 0)
		return TRUE;
	if (g_strcmp0(method, "copy") != 0)
		return journal_bad(error, path, "a file without its method");
	jf->copy = TRUE;
	jf->aside = journal_get_path(f, "aside");
	if (jf->aside != NULL) {
		g_autofree char *adir = g_path_get_dirname(jf->aside);
		g_autofree char *abase = g_path_get_basename(jf->aside);

		if (strcmp(adir, dir) == 0 &&
		    g_str_has_prefix(abase, SG_JOURNAL_ASIDE))
			return TRUE;
	}
	return journal_bad(error, path, "a copied file without its aside name");
}

SgJournal *
sg_journal_read(const char *entry, const char *name, GError **error)
{
	g_autofree char *path = g_build_filename(entry, name, NULL);
	g_autofree char *data = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(SgJournal) j = g_new0(SgJournal, 1);
	JsonNode *root;
	JsonObject *o;
	JsonArray *files;
	gsize len = 0;

	data = sg_fs_read_file(path, JOURNAL_MAX, &len, error);
	if (data == NULL)
		return NULL;
	if (!json_parser_load_from_data(parser, data, (gssize)len, NULL) ||
	    (root = json_parser_get_root(parser)) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(root)) {
		journal_bad(error, path, "not a JSON object");
		return NULL;
	}
	o = json_node_get_object(root);
	files = sg_store_json_array(o, "files");
	j->entry = g_strdup(entry);
	j->id = g_path_get_basename(entry);
	if (sg_store_json_int(o, "version", -1) != JOURNAL_VERSION ||
	    g_strcmp0(sg_store_json_string(o, "id"), j->id) != 0 ||
	    files == NULL || json_array_get_length(files) == 0 ||
	    json_array_get_length(files) > JOURNAL_MAX_FILES) {
		journal_bad(error, path, "not a journal of this entry");
		return NULL;
	}
	j->n = json_array_get_length(files);
	j->files = g_new0(SgJournalFile, j->n);
	for (guint i = 0; i < j->n; i++) {
		JsonObject *f = sg_store_json_element(files, i);

		if (f == NULL ||
		    !journal_parse_file(&j->files[i], f, path, error))
			return NULL;
		for (guint k = 0; k < i; k++) {
			if (strcmp(j->files[k].name, j->files[i].name) == 0) {
				journal_bad(error, path,
				    "two files named alike");
				return NULL;
			}
		}
		if (!j->files[i].copy)
			j->files[i].aside = sg_journal_stored(j, i);
	}
	return g_steal_pointer(&j);
}

/* ---- commit and cleanup ------------------------------------------------- */

gboolean
sg_journal_commit(const SgJournal *j, GError **error)
{
	g_autofree char *pending =
	    g_build_filename(j->entry, SG_JOURNAL_PENDING, NULL);
	g_autofree char *committed =
	    g_build_filename(j->entry, SG_JOURNAL_COMMITTED, NULL);

	if (sg_quarantine_fs()->rename(pending, committed) != 0)
		return sg_fs_fail(error, NULL, errno, committed, "commit");
	return sg_fs_fsync_dir(j->entry, error);
}

/* TRUE when @st is the journal's judged inode. */
static gboolean
journal_is(const struct stat *st, const SgJournalFile *jf)
{
	return S_ISREG(st->st_mode) && (guint64)st->st_dev == jf->dev &&
	    (guint64)st->st_ino == jf->ino;
}

/* fsyncs every directory in @dirs (a set of paths). */
static gboolean
journal_fsync_dirs(GHashTable *dirs, GError **error)
{
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, dirs);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		if (!sg_fs_fsync_dir(key, error))
			return FALSE;
	}
	return TRUE;
}

static GHashTable *
journal_dir_set(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

/* Owner-only, once the spool no longer shares the inode. */
static void
journal_restrict(const char *stored, const SgJournalFile *jf)
{
	const SgFsOps *fs = sg_quarantine_fs();
	struct stat st;
	int fd = sg_fs_open(stored, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0, NULL,
	    NULL);

	if (fd < 0)
		return;
	if (fs->fstat(fd, &st) == 0 && journal_is(&st, jf) && st.st_nlink == 1)
		(void)fs->fchmod(fd, 0600);
	fs->close(fd);
}

gboolean
sg_journal_cleanup(const SgJournal *j, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autoptr(GHashTable) dirs = journal_dir_set();
	g_autofree char *committed =
	    g_build_filename(j->entry, SG_JOURNAL_COMMITTED, NULL);

	for (guint i = 0; i < j->n; i++) {
		const SgJournalFile *jf = &j->files[i];
		struct stat st;

		if (!jf->copy) {
			journal_restrict(jf->aside, jf);
			continue;
		}
		/* The original, set aside under our own name: never
		 * anything else. */
		if (fs->lstat(jf->aside, &st) == 0 && journal_is(&st, jf)) {
			if (fs->unlink(jf->aside) != 0 && errno != ENOENT)
				return sg_fs_fail(error, NULL, errno, jf->aside,
				    "unlink");
			g_hash_table_add(dirs, g_path_get_dirname(jf->aside));
		}
	}
	/* The unlinks are durable before the journal goes; should its
	 * removal be lost, the cleanup runs again and finds nothing. */
	if (!journal_fsync_dirs(dirs, error))
		return FALSE;
	if (fs->unlink(committed) != 0 && errno != ENOENT)
		return sg_fs_fail(error, NULL, errno, committed, "unlink");
	return TRUE;
}

/* ---- strangers, locks ---------------------------------------------------- */

gboolean
sg_journal_return_stranger(const char *at, const char *origin, const char *id,
    guint index, char **displaced, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autofree char *dir = g_path_get_dirname(origin);

	if (displaced != NULL)
		*displaced = NULL;
	if (fs->rename_noreplace(at, origin) == 0)
		return TRUE;
	if (errno != EEXIST)
		return sg_fs_fail(error, NULL, errno, origin, "put back");
	/* The name was taken again: keep it beside, never replace. */
	for (guint t = 0; t < JOURNAL_DISPLACED_TRIES; t++) {
		g_autofree char *name =
		    g_strdup_printf(SG_JOURNAL_ASIDE "displaced-%s-%u.%u", id,
		        index, t);
		g_autofree char *path = g_build_filename(dir, name, NULL);

		if (fs->rename_noreplace(at, path) == 0) {
			g_warning("%s: a file that replaced it while it was "
			          "moved could not go back (the name was "
			          "taken again); it is kept as %s",
			    origin, path);
			if (displaced != NULL)
				*displaced = g_steal_pointer(&path);
			return TRUE;
		}
		if (errno != EEXIST)
			return sg_fs_fail(error, NULL, errno, path,
			    "put aside");
	}
	return sg_fs_fail(error, NULL, EEXIST, origin, "put back");
}

int
sg_entry_lock(const char *entry, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	int fd = sg_fs_open(entry, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, NULL,
	    error);
	int r, saved;

	if (fd < 0)
		return -1;
	do
		r = fs->flock(fd, LOCK_EX | LOCK_NB);
	while (r != 0 && errno == EINTR);
	if (r == 0)
		return fd;
	saved = errno;
	fs->close(fd);
	if (saved == EWOULDBLOCK) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY,
		    "%s: another spoolguard is working on this entry", entry);
		return -1;
	}
	sg_fs_fail(error, NULL, saved, entry, "flock");
	return -1;
}

/* ---- resolving an uncommitted put --------------------------------------- */

/*
 * Where file @i's judged inode is.  A stranger at its aside name (it
 * replaced the original at its name just before the move) is put back.
 */
static gboolean
journal_locate(const SgJournal *j, guint i, JournalWhere *where, GString *log,
    GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	const SgJournalFile *jf = &j->files[i];
	g_autofree char *displaced = NULL;
	struct stat st;

	*where = AT_NOWHERE;
	if (fs->lstat(jf->origin, &st) == 0 && journal_is(&st, jf)) {
		*where = AT_ORIGIN;
		return TRUE;
	}
	if (fs->lstat(jf->aside, &st) != 0) {
		if (errno == ENOENT)
			return TRUE;
		return sg_fs_fail(error, NULL, errno, jf->aside, "lstat");
	}
	if (journal_is(&st, jf)) {
		*where = AT_ASIDE;
		return TRUE;
	}
	if (S_ISDIR(st.st_mode))
		return journal_bad(error, jf->aside, "a directory in the way");
	if (!sg_journal_return_stranger(jf->aside, jf->origin, j->id, i,
	        &displaced, error))
		return FALSE;
	g_string_append_printf(log, "; the file that took %s's name %s",
	    jf->name, displaced != NULL ? "was kept beside it" : "went back");
	return TRUE;
}

/* TRUE when nothing is at @path (ENOENT). */
static gboolean
journal_free_name(const char *path)
{
	struct stat st;

	return sg_quarantine_fs()->lstat(path, &st) != 0 && errno == ENOENT;
}

/*
 * The reports go first when an entry is undone: cut short after them, it
 * still has its journal (and is undone again), or neither journal nor
 * report (and nothing in it), never a report without its files.
 */
static gboolean
journal_unreport(const SgJournal *j, GError **error)
{
	const char *const names[] = { "report.json", "report.txt" };

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *path =
		    g_build_filename(j->entry, names[i], NULL);

		if (sg_quarantine_fs()->unlink(path) != 0 && errno != ENOENT)
			return sg_fs_fail(error, NULL, errno, path, "unlink");
	}
	return TRUE;
}

static SgResolve
journal_roll_back(const SgJournal *j, JournalWhere *where, gboolean *taken,
    GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autoptr(GHashTable) dirs = journal_dir_set();

	*taken = FALSE;
	/* Last file first: -D before -H, df before qf. */
	for (guint i = j->n; i-- > 0;) {
		const SgJournalFile *jf = &j->files[i];

		if (where[i] != AT_ASIDE)
			continue;
		if (fs->rename_noreplace(jf->aside, jf->origin) != 0) {
			if (errno == EEXIST) {
				*taken = TRUE;
				return SG_RESOLVE_FAILED;
			}
			sg_fs_fail(error, NULL, errno, jf->origin, "put back");
			return SG_RESOLVE_FAILED;
		}
		where[i] = AT_ORIGIN;
		g_hash_table_add(dirs, g_path_get_dirname(jf->origin));
	}
	if (!journal_fsync_dirs(dirs, error) || !journal_unreport(j, error) ||
	    !sg_fs_remove_entry(j->entry, error))
		return SG_RESOLVE_FAILED;
	sg_store_prune_dirs(j->entry);
	return SG_RESOLVE_ROLLED_BACK;
}

/* sha256 of the stored file @i, compared with the judged one. */
static gboolean
journal_stored_ok(const SgJournal *j, guint i, GError **error)
{
	g_autofree char *stored = sg_journal_stored(j, i);

	return sg_fs_sha256_check(stored, j->files[i].sha256, error);
}

/* Completes the put: what is still in the spool moves, then commit. */
static SgResolve
journal_finish(const SgJournal *j, JournalWhere *where, GString *log,
    GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autoptr(GHashTable) dirs = journal_dir_set();
	g_autofree char *report =
	    g_build_filename(j->entry, "report.json", NULL);
	g_autofree char *files = g_build_filename(j->entry, "files", NULL);
	struct stat st;

	if (fs->lstat(report, &st) != 0) {
		journal_bad(error, j->entry, "cannot be finished: no report");
		return SG_RESOLVE_FAILED;
	}
	for (guint i = 0; i < j->n; i++) {
		const SgJournalFile *jf = &j->files[i];

		if (where[i] == AT_ORIGIN) {
			if (jf->copy && !journal_stored_ok(j, i, error))
				return SG_RESOLVE_FAILED;
			if (fs->rename_noreplace(jf->origin, jf->aside) != 0) {
				sg_fs_fail(error, NULL, errno, jf->origin,
				    "move aside");
				return SG_RESOLVE_FAILED;
			}
			g_hash_table_add(dirs, g_path_get_dirname(jf->origin));
			if (!journal_locate(j, i, &where[i], log, error))
				return SG_RESOLVE_FAILED;
		}
		if (where[i] != AT_ASIDE)
			continue;
		if (!journal_stored_ok(j, i, error)) {
			if (jf->copy)
				return SG_RESOLVE_FAILED;
			/* The inode is the message, whatever it holds now. */
			g_string_append_printf(log, "; %s", (*error)->message);
			g_clear_error(error);
		}
	}
	g_hash_table_add(dirs, g_strdup(files));
	if (!journal_fsync_dirs(dirs, error) || !sg_journal_commit(j, error) ||
	    !sg_journal_cleanup(j, error))
		return SG_RESOLVE_FAILED;
	return SG_RESOLVE_FINISHED;
}

SgResolve
sg_journal_resolve(const SgJournal *j, char **note, GError **error)
{
	g_autofree JournalWhere *where = g_new0(JournalWhere, j->n);
	g_autoptr(GString) log = g_string_new(NULL);
	gboolean taken = FALSE;
	SgResolve r;

	if (note != NULL)
		*note = NULL;
	for (guint i = 0; i < j->n; i++) {
		if (!journal_locate(j, i, &where[i], log, error))
			return SG_RESOLVE_FAILED;
		/* A name taken since the move: the original cannot go back. */
		if (where[i] == AT_ASIDE &&
		    !journal_free_name(j->files[i].origin))
			taken = TRUE;
	}
	if (!taken) {
		r = journal_roll_back(j, where, &taken, error);
		if (r != SG_RESOLVE_FAILED || !taken) {
			if (note != NULL && r == SG_RESOLVE_ROLLED_BACK)
				*note = g_strdup_printf("rolled back: the "
				                        "message is back in "
				                        "the spool%s",
				    log->str);
			return r;
		}
	}
	r = journal_finish(j, where, log, error);
	if (note != NULL && r == SG_RESOLVE_FINISHED)
		*note = g_strdup_printf("finished: a name in the spool was "
		                        "taken since, so the message stays "
		                        "here%s",
		    log->str);
	return r;
}

/* ---- recovery ------------------------------------------------------------ */

typedef struct {
	SgStoreRecovery *rec;
	gboolean thorough;
} Recover;

void
sg_store_recovery_clear(SgStoreRecovery *rec)
{
	if (rec->notes != NULL)
		g_ptr_array_unref(rec->notes);
	memset(rec, 0, sizeof(*rec));
}

static void G_GNUC_PRINTF(3, 4)
    recover_note(SgStoreRecovery *rec, const char *id, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *text = NULL;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(rec->notes, g_strdup_printf("%s: %s", id, text));
}

/* An entry with neither journal nor report: a put killed before its
 * journal was written (nothing moved), or an older version's leftover. */
static void
recover_orphan(const char *id, const char *dir, SgStoreRecovery *rec)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autofree char *files = g_build_filename(dir, "files", NULL);
	g_autoptr(GError) error = NULL;
	GDir *d = g_dir_open(files, 0, NULL);
	const char *name;
	guint n = 0, shared = 0;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(files, name, NULL);
		struct stat st;

		if (fs->lstat(p, &st) != 0 || S_ISDIR(st.st_mode))
			continue;
		n++;
		if (S_ISREG(st.st_mode) && st.st_nlink > 1)
			shared++;
	}
	if (d != NULL)
		g_dir_close(d);
	if (n > 0 && shared < n) {
		rec->left++;
		recover_note(rec, id,
		    "left: %u file%s without a report or journal (an older "
		    "spoolguard's?); where they came from is unknown: look "
		    "at %s",
		    n, n == 1 ? "" : "s", dir);
		return;
	}
	/* Nothing of its own: empty, or hard links of spool files. */
	if (!sg_fs_remove_entry(dir, &error)) {
		rec->failed++;
		recover_note(rec, id, "could not be removed: %s",
		    error->message);
		return;
	}
	sg_store_prune_dirs(dir);
	rec->removed++;
	recover_note(rec, id,
	    n == 0 ? "removed: a move cut short before anything moved"
	           : "removed: it held only links to files still in the "
	             "spool");
}

/*
 * A complete entry of an older version that linked files into the store:
 * when the spool still has the same inode, the move was cut short after
 * the report.  The spool's name goes, as the cleanup of a commit.
 */
static void
recover_links(const char *id, const char *dir, SgStoreRecovery *rec)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autoptr(JsonObject) report = sg_store_read_report(dir, NULL);
	JsonArray *files = sg_store_json_array(report, "files");
	g_autoptr(SgJournal) j = g_new0(SgJournal, 1);
	g_autoptr(GArray) found =
	    g_array_new(FALSE, TRUE, sizeof(SgJournalFile));
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) names = g_string_new(NULL);
	int lock;

	for (guint i = 0; files != NULL && i < json_array_get_length(files) &&
	     i < JOURNAL_MAX_FILES;
	     i++) {
		JsonObject *f = sg_store_json_element(files, i);
		const char *hex = sg_store_json_string(f, "origin_hex");
		g_autofree char *raw = hex != NULL ? sg_store_unhex(hex) : NULL;
		const char *origin =
		    hex != NULL ? raw : sg_store_json_string(f, "origin");
		const char *sha = sg_store_json_string(f, "sha256");
		g_autofree char *name = NULL;
		g_autofree char *stored = NULL;
		g_autofree char *odir = NULL;
		g_autofree char *abase = NULL;
		struct stat st, sp;
		SgJournalFile jf = { 0 };

		if (origin == NULL || !g_path_is_absolute(origin) ||
		    sha == NULL || strlen(sha) != 64)
			continue;
		name = g_path_get_basename(origin);
		if (!sg_store_valid_name(name))
			continue;
		stored = g_build_filename(dir, "files", name, NULL);
		if (fs->lstat(stored, &st) != 0 || !S_ISREG(st.st_mode) ||
		    st.st_nlink < 2 || fs->lstat(origin, &sp) != 0 ||
		    sp.st_dev != st.st_dev || sp.st_ino != st.st_ino)
			continue;
		odir = g_path_get_dirname(origin);
		abase = g_strdup_printf("%s%s-%u", SG_JOURNAL_ASIDE, id, i);
		jf.name = g_steal_pointer(&name);
		jf.origin = g_strdup(origin);
		jf.aside = g_build_filename(odir, abase, NULL);
		jf.sha256 = g_strdup(sha);
		jf.dev = st.st_dev;
		jf.ino = st.st_ino;
		jf.copy = TRUE;
		g_array_append_val(found, jf);
	}
	if (found->len == 0)
		return;
	j->id = g_strdup(id);
	j->entry = g_strdup(dir);
	j->n = found->len;
	j->files =
	    (SgJournalFile *)g_array_free(g_steal_pointer(&found), FALSE);
	lock = sg_entry_lock(dir, &error);
	if (lock < 0) {
		rec->busy++;
		recover_note(rec, id, "%s", error->message);
		return;
	}
	/* The same journal a commit leaves, then the same cleanup. */
	if (!sg_journal_write(j, &error) || !sg_journal_commit(j, &error))
		goto fail;
	for (guint i = 0; i < j->n; i++) {
		SgJournalFile *jf = &j->files[i];
		JournalWhere where;

		if (fs->rename_noreplace(jf->origin, jf->aside) != 0) {
			sg_fs_fail(&error, NULL, errno, jf->origin,
			    "move aside");
			goto fail;
		}
		/* Only the linked inode leaves; a stranger goes back. */
		if (!journal_locate(j, i, &where, names, &error))
			goto fail;
		g_string_append_printf(names, "%s%s", i > 0 ? ", " : " ",
		    jf->origin);
	}
	if (!sg_journal_cleanup(j, &error))
		goto fail;
	for (guint i = 0; i < j->n; i++) {
		g_autofree char *stored = sg_journal_stored(j, i);
		struct stat st;
		int fd =
		    sg_fs_open(stored, O_RDONLY | O_NOFOLLOW, 0, NULL, NULL);

		if (fd >= 0 && fs->fstat(fd, &st) == 0 && st.st_nlink == 1)
			(void)fs->fchmod(fd, 0600);
		if (fd >= 0)
			fs->close(fd);
	}
	rec->finished++;
	recover_note(rec, id,
	    "finished: the spool still linked to it; removed from the "
	    "spool:%s",
	    names->str);
	fs->close(lock);
	return;
fail:
	rec->failed++;
	recover_note(rec, id, "%s", error->message);
	fs->close(lock);
}

static void
recover_locked(const char *id, const char *dir, SgStoreRecovery *rec)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgJournal) j = NULL;
	g_autofree char *note = NULL;

	if (sg_store_has(dir, SG_JOURNAL_PENDING)) {
		j = sg_journal_read(dir, SG_JOURNAL_PENDING, &error);
		if (j == NULL) {
			rec->left++;
			recover_note(rec, id, "left: %s", error->message);
			return;
		}
		switch (sg_journal_resolve(j, &note, &error)) {
		case SG_RESOLVE_ROLLED_BACK:
			rec->rolled_back++;
			recover_note(rec, id, "%s", note);
			return;
		case SG_RESOLVE_FINISHED:
			rec->finished++;
			recover_note(rec, id, "%s", note);
			return;
		case SG_RESOLVE_FAILED:
			break;
		}
		rec->failed++;
		recover_note(rec, id, "unfinished: %s", error->message);
		return;
	}
	if (sg_store_has(dir, SG_JOURNAL_COMMITTED)) {
		j = sg_journal_read(dir, SG_JOURNAL_COMMITTED, &error);
		if (j == NULL) {
			rec->left++;
			recover_note(rec, id, "left: %s", error->message);
			return;
		}
		if (!sg_journal_cleanup(j, &error)) {
			rec->failed++;
			recover_note(rec, id, "unfinished: %s", error->message);
			return;
		}
		rec->finished++;
		recover_note(rec, id,
		    "finished: removed the originals left beside the spool");
		return;
	}
	if (!sg_store_has(dir, "report.json"))
		recover_orphan(id, dir, rec);
}

static gboolean
recover_entry(const char *id, const char *dir, gpointer data, GError **error)
{
	Recover *r = data;
	SgStoreRecovery *rec = r->rec;
	g_autoptr(GError) local = NULL;
	int lock;

	rec->entries++;
	if (!sg_store_has(dir, SG_JOURNAL_PENDING) &&
	    !sg_store_has(dir, SG_JOURNAL_COMMITTED) &&
	    sg_store_has(dir, "report.json")) {
		if (r->thorough)
			recover_links(id, dir, rec);
		return TRUE;
	}
	lock = sg_entry_lock(dir, &local);
	if (lock < 0) {
		if (g_error_matches(local, SG_CORE_ERROR, SG_CORE_ERROR_BUSY)) {
			/* Another run's move: its business, named to fsck. */
			rec->busy++;
			if (r->thorough)
				recover_note(rec, id, "in progress: %s",
				    local->message);
		} else if (!sg_store_has(dir, ".")) {
			/* Gone since the walk listed it: its put ended. */
		} else {
			rec->failed++;
			recover_note(rec, id, "%s", local->message);
		}
		return TRUE;
	}
	/* Looked at again under the lock: a put may have ended since. */
	recover_locked(id, dir, rec);
	sg_quarantine_fs()->close(lock);
	return TRUE;
}

gboolean
sg_store_recover(SgStore *store, gboolean thorough, SgStoreRecovery *rec,
    GError **error)
{
	Recover r = { .rec = rec, .thorough = thorough };

	memset(rec, 0, sizeof(*rec));
	rec->notes = g_ptr_array_new_with_free_func(g_free);
	if (!sg_store_walk(store, recover_entry, &r, error))
		return FALSE;
	sg_store_recover_incoming(store, thorough, rec);
	return TRUE;
}
