/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spool-private.h - the spool module's shared internals: the format ops
 * tables that spool-registry.c lists.  One line per format here and one
 * line in spool-registry.c is all a new format adds outside its own file.
 */
#ifndef SPOOLGUARD_SPOOL_PRIVATE_H
#define SPOOLGUARD_SPOOL_PRIVATE_H

#include "spoolguard/spool.h"

extern const SgSpoolOps sg_spool_plain_ops;
extern const SgSpoolOps sg_spool_maildir_ops;
extern const SgSpoolOps sg_spool_postfix_ops;
extern const SgSpoolOps sg_spool_exim_ops;
extern const SgSpoolOps sg_spool_sendmail_ops;
extern const SgSpoolOps sg_spool_mbox_ops;

/* ---- locks and writers (spool-lock.c) -------------------------------- */

/* flock(LOCK_SH|LOCK_NB): BUSY when someone holds it exclusively. */
gboolean sg_spool_flock_shared(int fd, const char *path, GError **error);
/*
 * BUSY when another owner holds a POSIX record lock (fcntl, lockf) or an
 * OFD lock anywhere in the file open as @fd.  Asks (F_OFD_GETLK) and takes
 * nothing.
 */
gboolean sg_spool_probe_record_locks(int fd, const char *path, GError **error);

typedef enum {
	SG_SPOOL_WRITERS_NONE,    /* nobody else has it open for writing */
	SG_SPOOL_WRITERS_SOME,    /* another open file description does */
	SG_SPOOL_WRITERS_UNKNOWN, /* the kernel would not say (not the
	                             owner, no CAP_LEASE, no leases here) */
} SgSpoolWriters;

/* Is the file open as @fd (read-only) open for writing elsewhere?  Asked
 * with a read lease taken and dropped at once. */
SgSpoolWriters sg_spool_probe_writers(int fd);
/* YOUNG ("open for writing by another process: @who") when it is. */
gboolean sg_spool_refuse_writers(int fd, const char *path, const char *who,
    GError **error);

/* ---- the tree walker (spool-walk.c), shared by the tree formats ---- */

/* Directories nest at most this deep under a walked root; deeper ones are
 * skipped with a warning and counted (a guard against hostile trees). */
#define SG_SPOOL_MAX_DEPTH 64

/* What a directory is to the format whose tree it is in. */
typedef enum {
	SG_SPOOL_DIR_SKIP,     /* not walked; counted as skipped */
	SG_SPOOL_DIR_IGNORE,   /* not walked, not counted (maildir tmp/) */
	SG_SPOOL_DIR_FOLDER,   /* walked for subdirectories (and messages,
	                          when the format's folders hold them) */
	SG_SPOOL_DIR_MESSAGES, /* walked for message files only */
} SgSpoolDirRole;

/*
 * What the walker asks a format that keeps one message per file in a
 * directory tree (plain, maildir).  The walker knows no format: it streams
 * entries and asks these; a new tree format is one new file with one of
 * these, listed in spool-registry.c.
 */
typedef struct {
	const SgSpoolOps *ops; /* whose candidates the walk makes */
	/* (nullable): TRUE when the open directory is one of this format's
	 * folders.  A format with it keeps only such folders below a folder;
	 * one without it (plain) takes any folder, and a folder of another
	 * tree format or an MTA spool below it is walked as that. */
	gboolean (*is_folder)(int dirfd);
	/* The role of the walk's root, open as @dirfd. */
	SgSpoolDirRole (*root_role)(int dirfd, const char *path);
	/* The role of the subdirectory (name, len) of a folder. */
	SgSpoolDirRole (*child_role)(const char *name, gsize len);
	/* (nullable): TRUE for a directory no walk enters, whichever format
	 * walks it (a maildir's tmp/). */
	gboolean (*never_walked)(int dirfd, const char *path);
	/* TRUE for a message file name in a message directory. */
	gboolean (*is_message_name)(const char *name, gsize len);
	/* (nullable): TRUE when the message file @name in @dirfd holds many
	 * messages (an mbox); walk_many then streams them as candidates. */
	gboolean (*holds_many)(int dirfd, const char *name);
	gboolean (*walk_many)(const char *path, const SgWalkOptions *opts,
	    SgWalkStats *stats, SgWalkFunc func, gpointer user_data,
	    GError **error);
	gboolean folders_hold_messages; /* files in a FOLDER are messages */
	gboolean queue_is_dir; /* queue_name = its directory (new, cur) */
} SgSpoolTree;

/* (transfer none): the tree formats, NULL-terminated (spool-registry.c). */
const SgSpoolTree *const *sg_spool_trees(void);

/*
 * Walks the tree under @path (a directory) as @tree, streaming its
 * entries, with an explicit stack bounded by SG_SPOOL_MAX_DEPTH; never
 * follows symlinks; skips opts->exclude (by device and inode).  FALSE
 * with SG_SPOOL_ERROR_IO only when @path itself cannot be opened; trouble
 * below it is warned about and counted in stats->errors.
 */
gboolean sg_spool_tree_walk(const char *path, const SgSpoolTree *tree,
    const SgWalkOptions *opts, SgWalkStats *stats, SgWalkFunc func,
    gpointer user_data, GError **error);

/*
 * Opens the directory @path (O_NOFOLLOW) and fstat()s it into @st: the
 * descriptor, or -1 with SG_SPOOL_ERROR_IO naming the path.
 */
int sg_spool_open_dir(const char *path, struct stat *st, GError **error);

/* (transfer full): an unopened one-file candidate of @ops for @path. */
SgMessage *sg_spool_file_candidate(const SgSpoolOps *ops, const char *path);

extern const SgSpoolTree sg_spool_plain_tree;
extern const SgSpoolTree sg_spool_maildir_tree;

/* ---- plain messages (spool-plain.c) --------------------------------- */

/* TRUE for a plain-folder message name: *.eml, *.bad (any case), or all
 * digits (MH).  (name, len) need not be NUL-terminated. */
gboolean sg_spool_plain_is_message_name(const char *name, gsize len);
/* plain's message_for_file(): any file at all. */
SgMessage *sg_spool_plain_message_for_file(const char *path);

/*
 * The open() of plain and maildir messages: opens file 0, refuses it when
 * younger than opts->min_age or in a maildir's tmp/ (YOUNG), when another
 * process holds any lock on it (BUSY) or has it open for writing (YOUNG);
 * takes a shared flock; reads the IIS x-sender/x-receiver envelope and
 * sets the content window after it.
 */
gboolean sg_spool_plain_open(SgMessage *msg, const SgProfile *profile,
    const SgWalkOptions *opts, GError **error);
/* Their prepare_move(): the flock made exclusive, the other locks and
 * writers asked about again. */
gboolean sg_spool_plain_prepare_move(SgMessage *msg, GError **error);

/* ---- maildir (spool-maildir.c) -------------------------------------- */

/* TRUE when the directory open as @dirfd holds cur/ and new/ directories. */
gboolean sg_spool_maildir_detect_fd(int dirfd);
/* TRUE when @path (open as @dirfd) is the new/ or cur/ of a maildir. */
gboolean sg_spool_maildir_is_message_dir(int dirfd, const char *path);
/* A maildir's tmp/ (files being delivered): never read, even if named. */
gboolean sg_spool_maildir_is_tmp_dir(int dirfd, const char *path);

/* ---- mbox (spool-mbox.c) -------------------------------------------- */

/* TRUE when the file @name in the directory @dirfd starts with a From_
 * line (an mbox). */
gboolean sg_spool_mbox_claims_at(int dirfd, const char *name);
/* Streams the messages of the mbox @path as candidates, one each. */
gboolean sg_spool_mbox_walk_file(const char *path, const SgWalkOptions *opts,
    SgWalkStats *stats, SgWalkFunc func, gpointer user_data, GError **error);

#endif /* SPOOLGUARD_SPOOL_PRIVATE_H */
