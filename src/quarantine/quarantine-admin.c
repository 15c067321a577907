// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quarantine-admin.c - what a store kept for years needs besides put and
 * release: its size (entries and bytes, for the metrics), removing one
 * entry (purge, entry by entry, so that each removal can be logged), and
 * the message an entry holds, ready to be judged again (recheck).
 *
 * Sizes are the files' own (lstat, no symlink followed) under
 * ENTRY/files/; report.json and report.txt are not counted.  An entry is
 * removed only when its directory lies in the store (the path from
 * sg_store_list() is checked again, never trusted) and it is not an
 * unfinished put (sg_store_recover()'s to decide), through the fs seam.
 * The message of an entry is rebuilt from report.json: the reader of its
 * format, its queue name and id, and each file under ENTRY/files/ with
 * its role; a name that JSON had to escape is taken from origin_hex, as
 * release does.  Returned messages belong to the caller.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spoolguard/spool.h"

#include "quarantine-private.h"

typedef struct {
	gint64 entries;
	gint64 bytes;
} AdminUsage;

static gboolean
admin_usage_one(const char *id, const char *dir, gpointer data, GError **error)
{
	AdminUsage *u = data;
	g_autofree char *files = g_build_filename(dir, "files", NULL);
	DIR *d;
	struct dirent *de;

	(void)id;
	(void)error;
	u->entries++;
	d = opendir(files);
	if (d == NULL)
		return TRUE; /* an entry being made or broken: counted */
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		        0 &&
		    S_ISREG(st.st_mode))
			u->bytes += st.st_size;
	}
	closedir(d);
	return TRUE;
}

gboolean
sg_store_usage(SgStore *store, gint64 *entries, gint64 *bytes, GError **error)
{
	AdminUsage u = { 0 };

	if (!sg_store_walk(store, admin_usage_one, &u, error))
		return FALSE;
	if (entries != NULL)
		*entries = u.entries;
	if (bytes != NULL)
		*bytes = u.bytes;
	return TRUE;
}

gboolean
sg_store_remove(SgStore *store, const SgStoreEntry *entry, GError **error)
{
	const char *top = sg_store_dir(store);
	gsize n = strlen(top);

	/* STORE/YYYY/MM/DD/ID and nothing else. */
	if (entry->dir == NULL || strncmp(entry->dir, top, n) != 0 ||
	    entry->dir[n] != '/' || strstr(entry->dir, "/../") != NULL ||
	    g_strcmp0(strrchr(entry->dir, '/') + 1, entry->id) != 0) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INVALID,
		    "%s: not an entry of the store %s",
		    entry->dir != NULL ? entry->dir : "(none)", top);
		return FALSE;
	}
	/* A put cut short: only sg_store_recover() may decide its fate. */
	if (entry->unfinished) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_UNFINISHED,
		    "%s: unfinished; run spoolguard quarantine fsck",
		    entry->id);
		return FALSE;
	}
	if (!sg_fs_remove_entry(entry->dir, error))
		return FALSE;
	sg_store_prune_dirs(entry->dir);
	return TRUE;
}

static SgMessage *
admin_corrupt(const SgStoreEntry *entry, const char *what, GError **error)
{
	g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_CORRUPT,
	    "%s: report.json has %s", entry->id, what);
	return NULL;
}

SgMessage *
sg_store_entry_message(SgStore *store, const SgStoreEntry *entry,
    GError **error)
{
	g_autoptr(JsonObject) report = NULL;
	g_autoptr(SgMessage) msg = NULL;
	const SgSpoolOps *ops;
	JsonArray *files;
	const char *format;

	(void)store;
	report = sg_store_read_report(entry->dir, error);
	if (report == NULL)
		return NULL;
	format = sg_store_json_string(report, "format");
	ops = format != NULL ? sg_spool_find(format) : NULL;
	if (ops == NULL)
		return admin_corrupt(entry, "no format spoolguard reads",
		    error);
	files = sg_store_json_array(report, "files");
	if (files == NULL || json_array_get_length(files) == 0)
		return admin_corrupt(entry, "no files", error);
	msg = sg_message_new(ops, ops->name, entry->id);
	msg->queue_name = g_strdup(entry->queue_name);
	msg->queue_id = g_strdup(entry->queue_id);
	msg->spool_root = g_build_filename(entry->dir, "files", NULL);
	for (guint i = 0; i < json_array_get_length(files); i++) {
		JsonObject *f = sg_store_json_element(files, i);
		const char *hex = sg_store_json_string(f, "origin_hex");
		const char *role = sg_store_json_string(f, "role");
		g_autofree char *raw = NULL;
		g_autofree char *name = NULL;
		g_autofree char *path = NULL;

		if (hex != NULL) {
			raw = sg_store_unhex(hex);
			if (raw == NULL)
				return admin_corrupt(entry,
				    "an origin_hex that is not hex", error);
			name = g_path_get_basename(raw);
		} else {
			name = g_strdup(sg_store_json_string(f, "name"));
		}
		if (name == NULL || !sg_store_valid_name(name))
			return admin_corrupt(entry,
			    "a file without a valid name", error);
		path = g_build_filename(entry->dir, "files", name, NULL);
		sg_message_add_file(msg, path, role != NULL ? role : "message");
	}
	return g_steal_pointer(&msg);
}
