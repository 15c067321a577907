// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quarantine-store.c - the quarantine store: open, list, find, show and
 * purge (put() is in quarantine-put.c, release() in quarantine-release.c).
 *
 * An entry is STORE/YYYY/MM/DD/<YYYYMMDDTHHMMSSZ>-<8 hex>/ holding files/
 * (the message's files under their original names), report.json and
 * report.txt.  The store directory is made 0700 and is never a symlink;
 * walks look only at names of the expected shape (4 or 2 digits, entry
 * ids) that are real directories, and never follow symlinks; an id typed
 * by a person is checked against the id alphabet before it is compared.
 * Ids start with their UTC time, so sorting ids sorts entries by age and
 * purge reads an entry's age from its id.  An entry whose move has not
 * ended (a journal, or no report) is listed as unfinished; purge leaves
 * every entry with a journal to recovery (quarantine-journal.c).
 * Returned entries and strings belong to the caller.
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
	if (strlen(id) != SG_STORE_ID_LEN || !store_digits(id, 8) ||
	    id[8] != 'T' || !store_digits(id + 9, 6) || id[15] != 'Z' ||
	    id[16] != '-')
		return FALSE;
	for (guint i = 17; i < SG_STORE_ID_LEN; i++) {
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

	if (len == 0 || len > SG_STORE_ID_LEN)
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

/* Drops the day, month and year directories of a removed entry once empty. */
void
sg_store_prune_dirs(const char *entry)
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
	g_free(entry->queue_name);
	g_free(entry->queue_id);
	g_free(entry->sender);
	g_free(entry->message_id);
	g_free(entry->profile);
	g_free(entry->received_by);
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

gboolean
sg_store_walk(SgStore *store, SgStoreEntryFunc func, gpointer data,
    GError **error)
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
		g_autofree char *id = g_strndup(pair, SG_STORE_ID_LEN);
		g_autofree char *dir =
		    g_build_filename(pair + SG_STORE_ID_LEN + 1, id, NULL);

		if (!func(id, dir, data, error))
			return FALSE;
	}
	return TRUE;
}

/* (transfer full) (nullable): report.json of an entry, parsed. */
JsonObject *
sg_store_read_report(const char *dir, GError **error)
{
	g_autofree char *path = g_build_filename(dir, "report.json", NULL);
	g_autofree char *data = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	gsize len = 0;
	JsonNode *root;

	data = sg_fs_read_file(path, SG_STORE_REPORT_MAX, &len, error);
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

const char *
sg_store_json_string(JsonObject *o, const char *key)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

gint64
sg_store_json_int(JsonObject *o, const char *key, gint64 fallback)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_INT64)
		return fallback;
	return json_node_get_int(n);
}

JsonArray *
sg_store_json_array(JsonObject *o, const char *key)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;

	if (n == NULL || !JSON_NODE_HOLDS_ARRAY(n))
		return NULL;
	return json_node_get_array(n);
}

JsonObject *
sg_store_json_element(JsonArray *a, guint i)
{
	JsonNode *n = json_array_get_element(a, i);

	if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n))
		return NULL;
	return json_node_get_object(n);
}

gboolean
sg_store_has(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	struct stat st;

	return sg_quarantine_fs()->lstat(path, &st) == 0;
}

/* TRUE when a put of the entry has not ended: a journal, or no report. */
static gboolean
store_entry_unfinished(const char *dir)
{
	return sg_store_has(dir, SG_JOURNAL_PENDING) ||
	    sg_store_has(dir, SG_JOURNAL_COMMITTED) ||
	    !sg_store_has(dir, "report.json");
}

/* What an entry's envelope (report.json) adds: the sender, and for a
 * message kept by check or the milter who kept it and the MTA's queue
 * id, so that its log lines start with the id its kept line had. */
static void
store_entry_envelope(SgStoreEntry *e, JsonObject *env)
{
	const char *by = sg_store_json_string(env, "received_by");

	e->sender = g_strdup(sg_store_json_string(env, "sender"));
	if (by == NULL || strcmp(by, "-") == 0)
		return;
	e->received_by = g_strdup(by);
	if (e->queue_id == NULL)
		e->queue_id = g_strdup(sg_store_json_string(env, "queue_id"));
}

static SgStoreEntry *
store_entry_new(const char *id, const char *dir)
{
	SgStoreEntry *e = g_new0(SgStoreEntry, 1);
	g_autoptr(JsonObject) report = sg_store_read_report(dir, NULL);
	JsonArray *files = sg_store_json_array(report, "files");
	JsonArray *findings = sg_store_json_array(report, "findings");
	g_autoptr(GString) rules = g_string_new(NULL);

	e->id = g_strdup(id);
	e->dir = g_strdup(dir);
	e->time = store_id_time(id);
	e->unfinished = store_entry_unfinished(dir);
	e->format = g_strdup(sg_store_json_string(report, "format"));
	e->verdict = g_strdup(sg_store_json_string(report, "verdict"));
	e->message_id = g_strdup(sg_store_json_string(report, "message_id"));
	e->profile = g_strdup(sg_store_json_string(report, "profile"));
	{
		JsonNode *q = report != NULL
		    ? json_object_get_member(report, "queue")
		    : NULL;
		JsonNode *env = report != NULL
		    ? json_object_get_member(report, "envelope")
		    : NULL;

		if (q != NULL && JSON_NODE_HOLDS_OBJECT(q)) {
			JsonObject *qo = json_node_get_object(q);

			e->queue_name =
			    g_strdup(sg_store_json_string(qo, "name"));
			e->queue_id = g_strdup(sg_store_json_string(qo, "id"));
		}
		if (env != NULL && JSON_NODE_HOLDS_OBJECT(env))
			store_entry_envelope(e, json_node_get_object(env));
	}
	for (guint i = 0; files != NULL && i < json_array_get_length(files);
	     i++) {
		JsonObject *f = sg_store_json_element(files, i);

		if (i == 0) {
			/* The true bytes when origin had to be escaped. */
			const char *hex = sg_store_json_string(f, "origin_hex");

			e->origin = hex != NULL ? sg_store_unhex(hex) : NULL;
			if (e->origin == NULL)
				e->origin =
				    g_strdup(sg_store_json_string(f, "origin"));
		}
		e->bytes += MAX(sg_store_json_int(f, "size", 0), 0);
	}
	for (guint i = 0;
	     findings != NULL && i < json_array_get_length(findings); i++) {
		JsonObject *f = sg_store_json_element(findings, i);
		const char *rule = sg_store_json_string(f, "rule");
		g_autofree char *needle = NULL;
		g_autofree char *hay = NULL;

		if (rule == NULL ||
		    g_strcmp0(sg_store_json_string(f, "severity"),
		        "quarantine") != 0)
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

	if (!sg_store_walk(store, store_list_one, entries, error))
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
	if (!sg_store_walk(store, store_find_one, &f, error))
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
	return sg_fs_read_file(path, SG_STORE_REPORT_MAX, NULL, error);
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
	/* A cut-short put may hold the only copy of a message, or have
	 * its original still beside the spool: recovery decides, not age. */
	if (sg_store_has(dir, SG_JOURNAL_PENDING) ||
	    sg_store_has(dir, SG_JOURNAL_COMMITTED))
		return TRUE;
	if (!sg_fs_remove_entry(dir, &local)) {
		if (p->first == NULL)
			p->first = g_steal_pointer(&local);
		return TRUE;
	}
	p->count++;
	sg_store_prune_dirs(dir);
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
	if (!sg_store_walk(store, store_purge_one, &p, error))
		return FALSE;
	if (count != NULL)
		*count = p.count;
	if (p.first != NULL) {
		g_propagate_error(error, p.first);
		return FALSE;
	}
	return TRUE;
}
