/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spool-pair.h - helpers shared by the readers of two-file spools (Exim
 * -H/-D, Sendmail qf/df): findings at the profile's severity and limits
 * (the built-in default profile's without one), opening a file under the MTA's
 * fcntl lock, mapping a control file read-only, the min-age test, the file-role
 * lookup and the content stream "header records, a blank line, then the body
 * file".
 */
#ifndef SPOOLGUARD_SPOOL_PAIR_H
#define SPOOLGUARD_SPOOL_PAIR_H

#include "spool-private.h"

/*
 * @profile (nullable) everywhere below: NULL judges with the built-in
 * default profile (sg_profile_builtin()), never with a number of the
 * reader's own.
 */
/* The profile's severity for @rule. */
SgSeverity sg_spool_pair_severity(const SgProfile *profile, SgRuleId rule);
/* The profile's hard limit for @rule; G_MAXINT64 when it sets none. */
gint64 sg_spool_pair_hard(const SgProfile *profile, SgRuleId rule);

/* An EVENT finding in file @file at @offset. */
void sg_spool_pair_event(SgMessage *msg, const SgProfile *profile,
    SgRuleId rule, guint file, goffset offset, gint64 observed, const char *fmt,
    ...) G_GNUC_PRINTF(7, 8);
/*
 * A LIMIT finding when @observed crosses the profile's limits.  Returns
 * TRUE when the hard limit is crossed, so that the caller stops.
 */
gboolean sg_spool_pair_limit(SgMessage *msg, const SgProfile *profile,
    SgRuleId rule, guint file, goffset offset, gint64 observed, const char *fmt,
    ...) G_GNUC_PRINTF(7, 8);

/*
 * Opens file @index and takes an OFD lock on [start, start + len) (len 0 =
 * whole file), non-blocking.  The lock is a write lock, which needs a
 * descriptor open for writing: the file is opened O_RDWR for the lock
 * only and is never written.  When it cannot be opened for writing
 * (read-only file system, no write permission) it is opened read-only and
 * takes a read lock, which conflicts with the MTA's write lock just the
 * same.  The descriptor (and so the lock) belongs to the message until
 * sg_message_free().  BUSY when the MTA holds the lock.
 *
 * With @read_only (check, inspect: nothing will move) the file is opened
 * O_RDONLY and no lock is taken at all: any lock we held, even a read
 * lock, would make the MTA's own non-blocking write lock fail and so
 * delay its delivery.  The MTAs rewrite control files by rename, so the
 * bytes read are one consistent version.  F_OFD_GETLK tells whether the
 * MTA holds its lock right now; if so the message gets the property
 * "mta-lock" = "held" (the reading may be of a message in delivery).
 */
gboolean sg_spool_pair_open_locked(SgMessage *msg, guint index, off_t start,
    off_t len, gboolean read_only, GError **error);

/*
 * The open sequence of a reader: file @index opened under its lock as
 * sg_spool_pair_open_locked() does (read-only when opts->read_only), or,
 * with @lock FALSE, opened plainly; then the min-age test.  *file is the
 * opened file (borrowed: it belongs to @msg) once it is open.
 */
gboolean
sg_spool_pair_open_aged(SgMessage *msg, guint index, gboolean lock, off_t start,
    off_t len, const SgWalkOptions *opts, SgMessageFile **file, GError **error);

/* YOUNG when @st changed (ctime) less than opts->min_age seconds ago. */
gboolean sg_spool_pair_check_age(const SgMessageFile *file,
    const SgWalkOptions *opts, GError **error);

/*
 * Reads the whole of an open control file (-H, qf) into memory with
 * pread; (*data, *len) = (NULL, 0) for an empty file.  Not a mapping: a
 * file truncated under us must not turn into SIGBUS.  Files larger than
 * SG_SPOOL_CONTROL_MAX are refused with an I/O error naming them.  Free
 * with sg_spool_pair_release().
 */
#define SG_SPOOL_CONTROL_MAX (256 * 1024 * 1024)
gboolean sg_spool_pair_read_all(const SgMessageFile *file, const char **data,
    gsize *len, GError **error);
void sg_spool_pair_release(const char *data, gsize len);

/* TRUE when fstatat(dirfd, name) finds an entry (no symlink following). */
gboolean sg_spool_pair_exists(int dirfd, const char *name);
/* TRUE when @dir/@name exists (lstat: a symlink counts, unfollowed). */
gboolean sg_spool_pair_exists_in(const char *dir, const char *name);
/* TRUE when a pair reader opened @msg (reader data and queue id);
 * else FALSE with @error "not open" (SG_CORE_ERROR_INVALID). */
gboolean sg_spool_pair_is_open(const SgMessage *msg, GError **error);

/*
 * Sets message property @key to the bytes (@val, @n), escaped and capped
 * at 1024 bytes; the table and its copies of key and value belong to @msg.
 */
void
sg_spool_pair_prop(SgMessage *msg, const char *key, const char *val, gsize n);

/*
 * TRUE when one of the first 4096 names in directory @dirfd satisfies
 * @match (name, strlen(name)).  Opens its own descriptor on @dirfd and
 * closes it; FALSE when the directory cannot be read.
 */
gboolean
sg_spool_pair_dir_has(int dirfd, gboolean (*match)(const char *name, gsize n));

/* TRUE when @dir/@name is a regular file (lstat: a symlink is not). */
gboolean sg_spool_pair_is_reg(const char *dir, const char *name);

/* Index of the file with role @role in @msg, or G_MAXUINT. */
guint sg_spool_pair_find_role(SgMessage *msg, const char *role);

/* One header record of a control file: bytes [offset, offset + length). */
typedef struct {
	goffset offset;
	gsize length;
} SgSpoolPairRecord;

/*
 * The content a two-file reader exposes: the header records (@records,
 * SgSpoolPairRecord) of control file @ctl, then "\n" when @ctl exists,
 * then bytes [body_start, body_start + body_len) of body file @body.
 * Either index may be G_MAXUINT (no such file).  The header records are
 * copied out of (@map, @map_len), the control file as read whole, into
 * the head of a spliced SgStreamPread (a read a record cost a system call
 * and left GMime's parser a few bytes a read); the body is read through
 * the descriptor.  Its substreams keep their positions in the content.
 * INVALID when the body file is not open or a record lies outside @map.
 * The returned stream belongs to the caller; the message, whose
 * descriptor it reads, must outlive it.
 */
GMimeStream *sg_spool_pair_content_open(SgMessage *msg, guint ctl,
    const char *map, gsize map_len, const GArray *records, guint body,
    goffset body_start, goffset body_len, GError **error);

/*
 * Maps @content_offset in the stream sg_spool_pair_content_open() builds
 * from the same arguments to (*file, *file_offset); the added blank line
 * maps to @ctl at @ctl_len (its end).  FALSE past the end of the content.
 */
gboolean sg_spool_pair_content_locate(const GArray *records, guint ctl,
    gsize ctl_len, guint body, goffset body_start, goffset body_len,
    goffset content_offset, guint *file, goffset *file_offset);

#endif /* SPOOLGUARD_SPOOL_PAIR_H */
