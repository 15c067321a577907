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

/* ---- the tree walker (spool-walk.c), shared by plain and maildir ---- */

/* Directories nest at most this deep under a walked root; deeper ones are
 * skipped with a warning and counted (a guard against hostile trees). */
#define SG_SPOOL_MAX_DEPTH 64

/* How the walker treats the root directory it is given. */
typedef enum {
	SG_SPOOL_TREE_PLAIN,   /* a folder of .eml/.bad/MH files, recursed */
	SG_SPOOL_TREE_MAILDIR, /* a maildir: new/ cur/ and maildir++ folders,
	                          or one maildir's new/ or cur/ */
} SgSpoolTreeKind;

/*
 * Walks the tree under @path (a directory) streaming its entries, with an
 * explicit stack bounded by SG_SPOOL_MAX_DEPTH; never follows symlinks;
 * skips opts->exclude (by device and inode).  Maildirs met inside a plain
 * tree are walked as maildirs.  FALSE with SG_SPOOL_ERROR_IO only when
 * @path itself cannot be opened; trouble below it is warned about and
 * counted in stats->errors.
 */
gboolean sg_spool_tree_walk(const char *path, SgSpoolTreeKind kind,
    const SgWalkOptions *opts, SgWalkStats *stats, SgWalkFunc func,
    gpointer user_data, GError **error);

/* (transfer full): an unopened one-file candidate of @ops for @path. */
SgMessage *sg_spool_file_candidate(const SgSpoolOps *ops, const char *path);
/* The message_for_file() of maildir (a file in new/ or cur/, else NULL)
 * and of plain (any file); in spool-walk.c. */
SgMessage *sg_spool_maildir_message_for_file(const char *path);
SgMessage *sg_spool_plain_message_for_file(const char *path);

/* ---- plain messages (spool-plain.c) --------------------------------- */

/* TRUE for a plain-folder message name: *.eml, *.bad (any case), or all
 * digits (MH).  (name, len) need not be NUL-terminated. */
gboolean sg_spool_plain_is_message_name(const char *name, gsize len);

/*
 * The open() of plain and maildir messages: opens file 0, refuses it when
 * younger than opts->min_age (YOUNG), takes a flock (BUSY), reads the
 * IIS x-sender/x-receiver envelope and sets the content window after it.
 */
gboolean sg_spool_plain_open(SgMessage *msg, const SgProfile *profile,
    const SgWalkOptions *opts, GError **error);

/* ---- maildir (spool-maildir.c) -------------------------------------- */

/* TRUE when the directory open as @dirfd holds cur/ and new/ directories. */
gboolean sg_spool_maildir_detect_fd(int dirfd);
/* TRUE when @path (open as @dirfd) is the new/ or cur/ of a maildir. */
gboolean sg_spool_maildir_is_message_dir(int dirfd, const char *path);
/* A maildir's tmp/ (files being delivered): never read, even if named. */
gboolean sg_spool_maildir_is_tmp_dir(int dirfd, const char *path);
/* TRUE for a message name in new/ or cur/: anything not starting with '.'. */
gboolean sg_spool_maildir_is_message_name(const char *name, gsize len);

/* ---- mbox (spool-mbox.c) -------------------------------------------- */

/* TRUE when the file @name in the directory @dirfd starts with a From_
 * line (an mbox). */
gboolean sg_spool_mbox_claims_at(int dirfd, const char *name);
/* Streams the messages of the mbox @path as candidates, one each. */
gboolean sg_spool_mbox_walk_file(const char *path, const SgWalkOptions *opts,
    SgWalkStats *stats, SgWalkFunc func, gpointer user_data, GError **error);

#endif /* SPOOLGUARD_SPOOL_PRIVATE_H */
