/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * quarantine-private.h - what the store's files share: the store itself,
 * report.json accessors and the file-system helpers.
 *
 * Every helper goes through the SgFsOps seam (sg_quarantine_fs()), retries
 * EINTR, and on failure sets an SG_QUARANTINE_ERROR_IO error that names the
 * path and the step ("write", "fsync", ...), with *errno_out (nullable) set
 * to the errno so callers can tell ENOENT (vanished) from real trouble.
 */
#ifndef SPOOLGUARD_QUARANTINE_PRIVATE_H
#define SPOOLGUARD_QUARANTINE_PRIVATE_H

#include <json-glib/json-glib.h>

#include "spoolguard/quarantine.h"

/* "20261122T031502Z-1a2b3c4d" */
#define SG_STORE_ID_LEN 25
/* Tries at a fresh random suffix when an entry id is taken. */
#define SG_STORE_ID_TRIES 16
/* Reports larger than this are not ours (report.json of 1000 recipients
 * and thousands of findings stays far below). */
#define SG_STORE_REPORT_MAX (64 * 1024 * 1024)

struct _SgStore {
	char *dir; /* canonical absolute path */
};

/* (transfer full): an entry's report.json, parsed (nullable on error). */
JsonObject *sg_store_read_report(const char *dir, GError **error);
/* Typed members of report.json; NULL (or @fallback) when absent or of
 * another type: the file is data, not trusted to have our shape. */
const char *sg_store_json_string(JsonObject *o, const char *key);
gint64 sg_store_json_int(JsonObject *o, const char *key, gint64 fallback);
JsonArray *sg_store_json_array(JsonObject *o, const char *key);
JsonObject *sg_store_json_element(JsonArray *a, guint i);
/* Adds @key: @s made valid UTF-8 (for people) and @key_base64: its
 * bytes (for the program: names and addresses need not be UTF-8). */
void sg_store_json_add_bytes(JsonBuilder *b, const char *key, const char *s);
/* (transfer full): report.json's "quarantine" object: id, time (@when),
 * entry, host, spool_root (nullable), version. */
JsonNode *sg_store_report_stamp(const char *id, const char *when,
    const char *entry, const char *spool_root);
/* (transfer full) (nullable): the bytes of origin_hex (a name that JSON
 * could only hold escaped); NULL on junk or a NUL byte. */
char *sg_store_unhex(const char *hex);
/* Removes the day, month and year directories above a removed entry once
 * they are empty. */
void sg_store_prune_dirs(const char *entry);
/* TRUE when @dir/@name exists (a symlink is not followed). */
gboolean sg_store_has(const char *dir, const char *name);
/* Calls @func(id, dir) for every entry, oldest first. */
typedef gboolean (*SgStoreEntryFunc)(const char *id, const char *dir,
    gpointer data, GError **error);
gboolean sg_store_walk(SgStore *store, SgStoreEntryFunc func, gpointer data,
    GError **error);

/* (transfer none): the seam in use. */
const SgFsOps *sg_quarantine_fs(void);
/* Seconds since the epoch: the fixed test time, or the real clock. */
gint64 sg_quarantine_now(void);

/* Ignores SIGIO once (a lease break would otherwise end the process). */
void sg_fs_quiet_sigio(void);

/* Sets an SG_QUARANTINE_ERROR_IO error "<path>: <step>: <strerror>". */
gboolean sg_fs_fail(GError **error, int *errno_out, int saved, const char *path,
    const char *step);

/* Opens through the seam, retrying EINTR; -1 with the error set. */
int sg_fs_open(const char *path, int flags, mode_t mode, int *errno_out,
    GError **error);
/* Closes, reporting a close() failure (it can be a delayed write error). */
gboolean sg_fs_close(int fd, const char *path, GError **error);
gboolean sg_fs_write_all(int fd, const void *buf, gsize len, const char *path,
    GError **error);
/* (transfer full): the hex sha256 of @fd's content, read with pread. */
char *sg_fs_sha256(int fd, const char *path, GError **error);
/* FALSE with SG_QUARANTINE_ERROR_CORRUPT when the regular file @path
 * (not a symlink) does not hash to @sha256. */
gboolean
sg_fs_sha256_check(const char *path, const char *sha256, GError **error);
/* fsyncs a directory (after a create, rename or unlink in it). */
gboolean sg_fs_fsync_dir(const char *dir, GError **error);
/* mkdir 0700; an existing directory (not a symlink) is fine. */
gboolean sg_fs_mkdir(const char *path, gboolean *created, GError **error);
/*
 * Copies @src_fd (from offset 0, by pread: the descriptor's position is
 * untouched) into a new @tmp (O_EXCL|O_NOFOLLOW, @mode), fsyncs and closes
 * it.  The caller renames or links it into place.
 */
gboolean sg_fs_copy_to_tmp(int src_fd, const char *src_path, const char *tmp,
    mode_t mode, GError **error);
/* Copies @src_fd (from offset 0, by pread) to the end of @dst_fd and
 * fsyncs it; closes neither. */
gboolean sg_fs_copy_fd(int src_fd, const char *src_path, int dst_fd,
    const char *dst_path, GError **error);
/* Writes @data to @dir/@name through "@dir/.tmp-@name", fsync, rename. */
gboolean sg_fs_write_file(const char *dir, const char *name, const char *data,
    gsize len, GError **error);
/* (transfer full): a whole regular file (no symlink), at most @max bytes. */
char *sg_fs_read_file(const char *path, gsize max, gsize *len, GError **error);
/*
 * Removes an entry directory: the files in @dir/files, the files in @dir,
 * then the two directories.  Never descends further and never follows a
 * symlink (a symlink is unlinked, a deeper directory is an error).
 */
gboolean sg_fs_remove_entry(const char *dir, GError **error);

/* ---- the move journal (quarantine-journal.c) --------------------------- */

/* Written before anything moves; its presence means "not committed". */
#define SG_JOURNAL_PENDING "intent.json"
/* intent.json renamed at the commit; gone once the spool is tidy. */
#define SG_JOURNAL_COMMITTED "committed.json"
/* Prefix of the names the originals take beside themselves. */
#define SG_JOURNAL_ASIDE ".spoolguard-"

typedef struct {
	char *name;       /* in files/ */
	char *origin;     /* absolute path in the spool */
	char *aside;      /* where the original goes: ENTRY/files/<name>, or
	                     a name beside the origin when the store copies */
	char *sha256;     /* of the judged bytes */
	guint64 dev, ino; /* the judged inode */
	gboolean copy;    /* the store keeps a copy, not the inode */
} SgJournalFile;

typedef struct {
	char *id;
	char *entry; /* the entry directory */
	SgJournalFile *files;
	guint n;
} SgJournal;

void sg_journal_free(SgJournal *j);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgJournal, sg_journal_free)

/* ENTRY/files/<name> of file @i.  (transfer full) */
char *sg_journal_stored(const SgJournal *j, guint i);
/* Writes ENTRY/intent.json durably (tmp, fsync, rename, fsync dir). */
gboolean sg_journal_write(const SgJournal *j, GError **error);
/* (transfer full): the journal @name of @entry, checked. */
SgJournal *sg_journal_read(const char *entry, const char *name, GError **error);
/* The commit: intent.json becomes committed.json, durably. */
gboolean sg_journal_commit(const SgJournal *j, GError **error);
/* After the commit: unlinks the originals set aside, makes stored inodes
 * 0600, removes committed.json. */
gboolean sg_journal_cleanup(const SgJournal *j, GError **error);

typedef enum {
	SG_RESOLVE_ROLLED_BACK, /* every original is back; entry removed */
	SG_RESOLVE_FINISHED,    /* a name was taken: completed instead */
	SG_RESOLVE_FAILED,      /* neither: the entry stays unfinished */
} SgResolve;

/*
 * Undoes an uncommitted put: every original that is aside goes back to
 * its name (never replacing anything) and the entry is removed.  When a
 * name has been taken since, the put is finished instead.  @note
 * (nullable) gets a line saying what was done.
 */
SgResolve sg_journal_resolve(const SgJournal *j, char **note, GError **error);

/*
 * Puts @at (a file that is not the judged one) back at @origin without
 * replacing anything, or, when the name is taken again, beside it as
 * .spoolguard-displaced-<id>-<index>; *displaced (nullable) gets that
 * name.  FALSE when it could not be moved at all.
 */
gboolean sg_journal_return_stranger(const char *at, const char *origin,
    const char *id, guint index, char **displaced, GError **error);

/* An exclusive flock on the entry directory, without waiting: -1 and
 * SG_CORE_ERROR_BUSY when a put or a recovery holds it. */
int sg_entry_lock(const char *entry, GError **error);

/* Removes what keeps killed before their commit left in STORE/.incoming
 * (quarantine-keep.c); counts into @rec, with a note for one at work only
 * when @thorough, as for entries. */
void sg_store_recover_incoming(SgStore *store, gboolean thorough,
    SgStoreRecovery *rec);

#endif /* SPOOLGUARD_QUARANTINE_PRIVATE_H */
