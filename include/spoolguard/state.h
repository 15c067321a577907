/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state.h - the incremental-scan state: which files were already judged
 * clean, so that a cron run over an unchanged spool skips them.
 *
 * An entry is (device, inode, size, mtime, ctime) of one file judged clean,
 * all with nanoseconds; a file whose stat differs in any of them is
 * examined again.  The state carries the profile digest and the program
 * version: a different one makes the loaded state empty (everything is
 * judged again).  Only entries seen or recorded during this run are saved,
 * so files that left the spool drop out and the file stays bounded by the
 * spool's size.  sg_state_seen() and sg_state_record() may be called from
 * several threads at once.
 */
#ifndef SPOOLGUARD_STATE_H
#define SPOOLGUARD_STATE_H

#include <glib.h>
#include <sys/stat.h>

G_BEGIN_DECLS

#define SG_STATE_ERROR (sg_state_error_quark())
GQuark sg_state_error_quark(void);

typedef enum {
	SG_STATE_ERROR_IO,     /* open, read, write, fsync, rename failed */
	SG_STATE_ERROR_UNSAFE, /* not a regular file, not ours, or writable
	                          by others: it could hide messages */
} SgStateError;

/* Why a loaded state started empty (sg_state_reset_reason). */
typedef enum {
	SG_STATE_RESET_NONE = 0, /* loaded as saved */
	SG_STATE_RESET_MISSING,  /* no state file yet */
	SG_STATE_RESET_PROFILE,  /* saved under another profile digest */
	SG_STATE_RESET_VERSION,  /* saved by another spoolguard version */
	SG_STATE_RESET_CORRUPT,  /* bad magic, size, order or checksum */
} SgStateReset;

typedef struct _SgState SgState;

/*
 * (transfer full): loads @path (kept for sg_state_save).  A missing file,
 * another profile digest, another version or a damaged file give an empty
 * state (see sg_state_reset_reason); a file that is not a regular file
 * owned by the effective user, or is group/world writable, is an error
 * (SG_STATE_ERROR_UNSAFE), as are I/O errors.  @profile_digest is
 * sg_profile_digest() of the profile used for this run.
 */
SgState *
sg_state_load(const char *path, const char *profile_digest, GError **error);
void sg_state_free(SgState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgState, sg_state_free)

SgStateReset sg_state_reset_reason(const SgState *state);
/* (transfer none): "loaded", "missing", "profile changed", ... */
const char *sg_state_reset_to_string(SgStateReset reason);

/*
 * TRUE when the loaded state holds an entry for @st's (device, inode) with
 * the same size, mtime and ctime; that entry is then kept for the next
 * save.  Answers from the state as loaded and from sg_state_record() calls
 * on files that were in it; a file first recorded in this run is not
 * "seen" until the next run.  Thread-safe.
 */
gboolean sg_state_seen(SgState *state, const struct stat *st);

/*
 * Records the file with stat @st as judged clean.  Pass the stat taken
 * when the file was opened for examination (SgMessageFile.st), before its
 * content was read, so a change made while it was read still differs.
 * Thread-safe.
 */
void sg_state_record(SgState *state, const struct stat *st);

/* Entries that the next sg_state_save would write (an upper bound). */
gsize sg_state_count(SgState *state);

/*
 * Writes the entries seen or recorded in this run to the path given at
 * load: a temporary file (0600) in the same directory, fsync, rename,
 * fsync of the directory.
 */
gboolean sg_state_save(SgState *state, GError **error);

G_END_DECLS

#endif /* SPOOLGUARD_STATE_H */
