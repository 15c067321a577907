/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spool.h - spool layouts, walking, locks, and one reader per format.
 *
 * Each format is a const SgSpoolOps registered in spool-registry.c.  The
 * walker detects the layout under each PATH, streams directory entries
 * (no full listing in memory) and hands each message candidate, still
 * unopened, to a callback.  A reader's open() takes the MTA's lock, reads
 * the envelope and declared sizes with bounds checks, appends container.*
 * findings and sets the content window.  The lock is held until
 * sg_message_free() (or the move) so that a quarantine move happens under it.
 */
#ifndef SPOOLGUARD_SPOOL_H
#define SPOOLGUARD_SPOOL_H

#include <glib.h>

#include "spoolguard/core.h"
#include "spoolguard/rules.h"

G_BEGIN_DECLS

#define SG_SPOOL_ERROR (sg_spool_error_quark())
GQuark sg_spool_error_quark(void);

typedef enum {
	SG_SPOOL_ERROR_LAYOUT, /* PATH is no spool we know */
	SG_SPOOL_ERROR_IO,
} SgSpoolError;

/* What a walk is told. */
typedef struct {
	/* Seconds; younger files are skipped and counted. */
	gint64 min_age;
	/* Postfix corrupt/: also quarantine. */
	gboolean include_corrupt;
	/* (nullable): a directory never descended (the store). */
	const char *exclude;
	/* Wall clock at scan start, seconds. */
	gint64 now;
	/* Nothing will move (check, inspect): no exclusive lock needed. */
	gboolean read_only;
} SgWalkOptions;

/* Counters a walk fills in (atomically updated from workers). */
typedef struct {
	gint seen;     /* candidates handed out */
	gint young;    /* skipped: younger than min-age or still written */
	gint busy;     /* skipped: locked by the MTA */
	gint vanished; /* gone between listing and opening/moving */
	gint skipped;  /* not message files (temp, journal, symlink) */
	gint errors;   /* could not examine (I/O, permissions) */
} SgWalkStats;

/* Called for each candidate; takes ownership of @msg. FALSE stops. */
typedef gboolean (*SgWalkFunc)(SgMessage *msg, gpointer user_data);

struct _SgSpoolOps {
	/* "plain", "maildir", "postfix", "exim", "sendmail" */
	const char *name;
	/* Does the directory @path (open as @dirfd) look like this layout? */
	gboolean (*detect)(int dirfd, const char *path);
	/* Streams the candidates under @path. */
	gboolean (*walk)(const char *path, const SgWalkOptions *opts,
	    SgWalkStats *stats, SgWalkFunc func, gpointer user_data,
	    GError **error);
	/*
	 * Opens and locks the message's files, reads envelope and declared
	 * sizes, appends container findings, sets the content.  Errors:
	 * SG_CORE_ERROR_BUSY, _VANISHED, _YOUNG, _SKIP, _IO.
	 */
	gboolean (*open)(SgMessage *msg, const SgProfile *profile,
	    const SgWalkOptions *opts, GError **error);
	/* (nullable) The MTA's own hold (Postfix hold/, Exim freeze). */
	gboolean (*hold)(SgMessage *msg, GError **error);
	/* (nullable) Where release puts the files back by default. */
	char *(*release_dir)(const char *spool_root, const char *queue_name,
	    const char *file_name);
	/*
	 * (nullable) A candidate for the single file @path (named on the
	 * command line, symlink already resolved) when this format claims it
	 * by its place in a recognised layout and/or its content, else NULL.
	 * The candidate lists all of the message's files (Exim -H, -D and
	 * msglog; Sendmail qf, df and xf), unopened.  (transfer full)
	 */
	SgMessage *(*message_for_file)(const char *path);
};

/* (transfer none): all registered formats, NULL-terminated. */
const SgSpoolOps *const *sg_spool_formats(void);
/* (transfer none) (nullable) */
const SgSpoolOps *sg_spool_find(const char *name);

/*
 * Walks @path: a directory is detected and walked by the format that
 * recognises it (plain folders last); a regular file is one plain message.
 */
gboolean sg_spool_walk(const char *path, const SgWalkOptions *opts,
    SgWalkStats *stats, SgWalkFunc func, gpointer user_data, GError **error);

/*
 * Makes a candidate for a single file given on the command line or read
 * from stdin (fd, for `check -`): each registered format's
 * message_for_file() is asked in registry order (a Postfix queue file, an
 * Exim -H or -D, a Sendmail qf or df, a file in a maildir's new/ or cur/),
 * and a file none claims is a plain message.  A symlink is resolved once
 * (the candidate's "resolved-from" property keeps the name given).
 * (transfer full) (nullable): NULL only for a NULL or empty @path.
 */
SgMessage *sg_spool_message_for_file(const char *path);

/*
 * TRUE when @path is a regular file in mbox format (its first line a
 * From_ line).  sg_spool_walk() judges such a file message by message,
 * each a candidate of format "mbox" that is never moved.
 */
gboolean sg_spool_is_mbox(const char *path);

/* Locks (held by the returned state until closed). */
/* flock(LOCK_EX|LOCK_NB); BUSY when another process holds it. */
gboolean sg_spool_flock(int fd, const char *path, GError **error);
/* OFD write lock on [start, start+len); BUSY when held elsewhere. */
gboolean sg_spool_ofd_lock(int fd, const char *path, off_t start, off_t len,
    GError **error);
/* Same with the lock type given: F_WRLCK, or F_RDLCK for a read-only fd. */
gboolean sg_spool_ofd_lock_type(int fd, const char *path, short type,
    off_t start, off_t len, GError **error);

/* TRUE when (name, len) is a valid queue id: [A-Za-z0-9_], 1..255. */
gboolean sg_spool_valid_queue_id(const char *name, gsize len);

G_END_DECLS

#endif /* SPOOLGUARD_SPOOL_H */
