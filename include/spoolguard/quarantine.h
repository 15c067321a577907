/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * quarantine.h - the quarantine store.
 *
 * STORE/YYYY/MM/DD/<YYYYMMDDTHHMMSSZ>-<hash>/{files/, report.json,
 * report.txt}.  put() moves only the inode that was judged: it re-checks
 * each file against the stat taken when it was judged, takes a write lease
 * (nobody else has it open), renames the name aside and confirms that the
 * inode that moved is the judged one; a file that replaced it at the same
 * name goes back untouched.  On the same file system the judged inode
 * itself is renamed into the store (queue ids stay valid); across file
 * systems, or when no lease can be had or the file has other links, the
 * store keeps a verified copy (O_EXCL|O_NOFOLLOW, fsync, rename, sha256)
 * and the original is renamed aside in its own directory and unlinked once
 * the entry is committed.  A journal written first in the entry
 * (intent.json, then committed.json) makes a killed put decidable:
 * sg_store_recover() finishes or rolls it back, so that every message is
 * in exactly one place with a complete report.  Directories 0700, files
 * 0600; symlinks are never followed.  All file-system calls go through
 * SgFsOps so that tests can inject faults, races and kills.
 */
#ifndef SPOOLGUARD_QUARANTINE_H
#define SPOOLGUARD_QUARANTINE_H

#include <glib.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "spoolguard/check.h"
#include "spoolguard/core.h"
#include "spoolguard/report.h"
#include "spoolguard/rules.h"

G_BEGIN_DECLS

#define SG_QUARANTINE_ERROR (sg_quarantine_error_quark())
GQuark sg_quarantine_error_quark(void);

typedef enum {
	SG_QUARANTINE_ERROR_IO,
	SG_QUARANTINE_ERROR_NOT_FOUND,  /* no such entry */
	SG_QUARANTINE_ERROR_EXISTS,     /* release would overwrite */
	SG_QUARANTINE_ERROR_CORRUPT,    /* sha256 mismatch, bad report */
	SG_QUARANTINE_ERROR_INSIDE,     /* store inside a scanned tree */
	SG_QUARANTINE_ERROR_INVALID,    /* a file name or id unfit for a path,
	                                   or a release path through a link */
	SG_QUARANTINE_ERROR_UNFINISHED, /* a put was cut short: run fsck */
	SG_QUARANTINE_ERROR_REINJECT,   /* the release command failed */
} SgQuarantineError;

#define SG_QUARANTINE_DEFAULT_DIR "/var/lib/spoolguard/quarantine"

struct open_how; /* <linux/openat2.h> */

/* The file-system seam: every call the store makes. */
typedef struct {
	int (*open)(const char *path, int flags, mode_t mode);
	int (*openat)(int dirfd, const char *path, int flags, mode_t mode);
	ssize_t (*write)(int fd, const void *buf, size_t len);
	ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
	int (*fsync)(int fd);
	int (*close)(int fd);
	int (*rename)(const char *from, const char *to);
	int (*link)(const char *from, const char *to);
	int (*unlink)(const char *path);
	int (*mkdir)(const char *path, mode_t mode);
	int (*rmdir)(const char *path);
	int (*lstat)(const char *path, struct stat *st);
	int (*fstat)(int fd, struct stat *st);
	int (*fchmod)(int fd, mode_t mode);
	int (*fchown)(int fd, uid_t uid, gid_t gid);
	/* Release resolves and writes relative to directory descriptors. */
	int (*openat2)(int dirfd, const char *path, const struct open_how *how,
	    size_t size); /* -1 with ENOSYS where the kernel has none */
	int (*linkat)(int olddirfd, const char *from, int newdirfd,
	    const char *to, int flags);
	int (*unlinkat)(int dirfd, const char *path, int flags);
	/* rename(2) that fails with EEXIST rather than replace @to */
	int (*rename_noreplace)(const char *from, const char *to);
	int (*setlease)(int fd, int type); /* fcntl(F_SETLEASE) */
	int (*getlease)(int fd);           /* fcntl(F_GETLEASE) */
	int (*flock)(int fd, int operation);
} SgFsOps;

/* (transfer none): the real calls. */
const SgFsOps *sg_fs_real(void);
/* Replaces the seam (tests); NULL restores the real calls. */
void sg_quarantine_set_fs(const SgFsOps *ops);
/* Fixes the store's clock (tests); 0 restores the real clock. */
void sg_quarantine_set_time(gint64 seconds);

/* TRUE when @name can be a file name in the store: not empty, no '/',
 * not "." or "..", at most 255 bytes. */
gboolean sg_store_valid_name(const char *name);

typedef struct _SgStore SgStore;

/* Opens (and with @create, makes 0700) the store directory. */
SgStore *sg_store_open(const char *dir, gboolean create, GError **error);
void sg_store_free(SgStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgStore, sg_store_free)
const char *sg_store_dir(const SgStore *store);

/* FAIL with SG_QUARANTINE_ERROR_INSIDE when the store lies under @path. */
gboolean
sg_store_check_outside(const SgStore *store, const char *path, GError **error);

/*
 * Moves every file of @msg into a new entry and writes report.json and
 * report.txt (with the sha256 and origin of every file).  Only the inodes
 * that were judged leave the spool, and only unchanged: a file whose
 * size, mtime, ctime, inode, link count or mode differs from msg's stat,
 * that another process has open, or that was replaced at its name gives
 * SG_CORE_ERROR_BUSY (the message says why) and stays where it is; a file
 * gone before it could be moved gives SG_CORE_ERROR_VANISHED.  Any failure
 * before the commit puts back what moved and removes the entry.  *id
 * receives the entry id on success, and also when the entry was committed
 * but an original could not yet be removed (FALSE; recovery finishes it).
 * The message's descriptors (and so the MTA's locks) stay open.
 */
gboolean sg_store_put(SgStore *store, SgMessage *msg, const SgProfile *profile,
    char **id, GError **error);

typedef struct {
	char *id;     /* "20261122T031502Z-1a2b3c4d" */
	char *dir;    /* absolute path of the entry */
	gint64 time;  /* seconds since the epoch, from the id */
	char *origin; /* first file's original path */
	char *format;
	char *verdict;
	char *rules; /* comma list of the rules at quarantine severity */
	gint64 bytes;
	gboolean unfinished; /* a put was cut short: sg_store_recover() */

	/* (nullable): from report.json, for list, stats and logs */
	char *queue_name;
	char *queue_id;
	char *sender;
	char *message_id;
	char *profile;
	/* "check" or "milter" for a message kept before it reached a spool
	 * (its queue_id is then the envelope's), else NULL */
	char *received_by;
} SgStoreEntry;

void sg_store_entry_free(SgStoreEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgStoreEntry, sg_store_entry_free)

/* (transfer full): SgStoreEntry*, oldest first. */
GPtrArray *sg_store_list(SgStore *store, GError **error);
/* (transfer full): the entry, by id or unique id prefix. */
SgStoreEntry *sg_store_find(SgStore *store, const char *id, GError **error);
/* (transfer full): report.txt (or report.json with @json). */
char *
sg_store_show(SgStore *store, const char *id, gboolean json, GError **error);
/*
 * Puts the files back where they came from (or into @to_dir), after
 * checking each sha256; refuses to overwrite.  Removes the entry.  The
 * destination directory is opened without following a symbolic link in
 * any component (SG_QUARANTINE_ERROR_INVALID when there is one) and every
 * file is placed relative to it.
 */
gboolean sg_store_release(SgStore *store, const char *id, const char *to_dir,
    GError **error);
/* Removes entries older than @age seconds; *count gets how many.
 * Unfinished entries are left to sg_store_recover(). */
gboolean
sg_store_purge(SgStore *store, gint64 age, guint *count, GError **error);

typedef struct {
	guint entries;     /* entries looked at */
	guint finished;    /* cut-short puts completed */
	guint rolled_back; /* cut-short puts undone: the message is back */
	guint removed;     /* entries that held no message of their own */
	guint busy;        /* a put in progress holds the entry */
	guint left;        /* cannot be decided: a person must look */
	guint failed;      /* repair failed (I/O): run again */
	GPtrArray *notes;  /* (owned) one line per entry acted on */
} SgStoreRecovery;

void sg_store_recovery_clear(SgStoreRecovery *rec);

/*
 * Finds entries that a killed put() left unfinished and finishes them
 * (the message stays in the store with its report) or rolls them back
 * (the message is back in the spool, the entry gone), so that every
 * message is in exactly one place.  With @thorough it also reads every
 * complete entry to find leftovers of older versions (hard links still
 * shared with the spool), and gives a note for the entries a running
 * put() holds, which are left alone and counted as busy.  FALSE only when
 * the store cannot be walked.
 */
gboolean sg_store_recover(SgStore *store, gboolean thorough,
    SgStoreRecovery *rec, GError **error);

/* ---- messages kept at SMTP time (quarantine-keep.c) ------------------- */

/*
 * The envelope of a message judged before it reached a spool (`check` on
 * standard input, the milter): what the store records instead of an
 * origin path, and what a release reinjects with.  Addresses are the
 * bytes the MTA gave, without angle brackets; "" is the null sender.
 */
typedef struct {
	char *sender;          /* (owned): "" for the null sender */
	GPtrArray *recipients; /* (owned) (element-type char*) */
	char *queue_id;        /* (owned) (nullable): the MTA's queue id */
	char *client;          /* (owned) (nullable): "name [address]" */
	char *received_by;     /* (owned): "check" or "milter" */
} SgEnvelope;

/* Most recipients an envelope records (a milter session's 10,000 and
 * more: the profile's hard limit is far below). */
#define SG_ENVELOPE_RCPT_MAX 100000
/* Longest address recorded; RFC 5321 allows 256 bytes in a path. */
#define SG_ENVELOPE_ADDRESS_MAX 4096

/* (transfer full): an empty envelope, null sender, no recipients. */
SgEnvelope *sg_envelope_new(const char *received_by);
void sg_envelope_free(SgEnvelope *env);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgEnvelope, sg_envelope_free)
/*
 * Sets the sender / adds a recipient from (p, len), one pair of angle
 * brackets taken off ("<>" is the null sender).  FALSE with
 * SG_QUARANTINE_ERROR_INVALID for a NUL, CR or LF byte, an address longer
 * than SG_ENVELOPE_ADDRESS_MAX, or more than SG_ENVELOPE_RCPT_MAX
 * recipients: such an envelope could not be given back as it came.
 */
gboolean sg_envelope_set_sender(SgEnvelope *env, const char *p, gsize len,
    GError **error);
gboolean sg_envelope_add_recipient(SgEnvelope *env, const char *p, gsize len,
    GError **error);

/* The default command a release reinjects with; SENDER and RECIPIENTS
 * are appended as "-f SENDER -- RCPT...". */
#define SG_REINJECT_DEFAULT "/usr/sbin/sendmail -G -i"

/*
 * (transfer full): the argv that gives a kept message back to the MTA:
 * @command split as a shell would (quotes, no expansion), then
 * "-f", the sender ("<>" for the null sender), "--", every recipient.
 * FALSE (NULL) with SG_QUARANTINE_ERROR_INVALID when @command is empty
 * or unparsable or the envelope has no recipient.
 */
char **sg_envelope_reinject_argv(const SgEnvelope *env, const char *command,
    GError **error);

/*
 * Keeps a message that was judged before it reached a spool: its content
 * (sg_message_open_content) is copied into a new entry, files/message,
 * with report.json (findings, sha256, "method": "copy", and "envelope":
 * @env) and report.txt.  The entry is built under STORE/.incoming/<id>
 * (O_EXCL|O_NOFOLLOW temporary, fsync, the copy's sha256 read back and
 * compared, rename; reports; fsyncs) and appears complete with one
 * rename into STORE/YYYY/MM/DD/<id>: a kill at any step leaves either no
 * entry or a whole one (sg_store_recover() removes what a killed keep
 * left in .incoming).  *@id (nullable) gets the entry id.
 */
gboolean sg_store_keep(SgStore *store, SgMessage *msg, const SgEnvelope *env,
    const SgProfile *profile, char **id, GError **error);

/* (transfer full) (nullable): the envelope of a kept entry @id (one
 * whose envelope says "release": "reinject"); NULL and no error for an
 * entry that came from a spool, or is unfinished, or has no readable
 * report (sg_store_release says why). */
SgEnvelope *sg_store_envelope(SgStore *store, const char *id, GError **error);

/*
 * (transfer full): the stored message of entry @id, opened as a plain
 * message after its sha256 was checked against report.json (what is
 * judged is what was hashed), ready for the checks: a re-check against
 * the current profile.  For kept entries (one file, an RFC 5322
 * message); a spool entry's files need their spool's reader.
 */
SgMessage *sg_store_open_stored(SgStore *store, const char *id,
    const SgProfile *profile, GError **error);

/*
 * Gives a kept message back to the MTA: runs @argv with the stored bytes
 * (sha256 checked again on the descriptor given) on standard input,
 * holding the entry's lock so that two releases cannot both deliver it,
 * and removes the entry only when the command exits 0.  A command that
 * fails, or dies, leaves the entry (SG_QUARANTINE_ERROR_REINJECT, the
 * message says how it ended).  *@status (nullable) gets the wait status.
 */
gboolean sg_store_reinject(SgStore *store, const char *id, char **argv,
    int *status, GError **error);

/* ---- for a store kept for years (quarantine-admin.c) ----------------- */

/* How many entries the store holds, and the bytes of their files/. */
gboolean
sg_store_usage(SgStore *store, gint64 *entries, gint64 *bytes, GError **error);
/* Removes one entry (found by sg_store_list or sg_store_find) and the
 * day, month and year directories it leaves empty. */
gboolean
sg_store_remove(SgStore *store, const SgStoreEntry *entry, GError **error);
/*
 * (transfer full): the message an entry holds, as a candidate of the
 * format it was quarantined from (its files in ENTRY/files/, its queue
 * name and id), unopened: open it with its ops->open() read-only and
 * judge it again.  SG_QUARANTINE_ERROR_CORRUPT when report.json does not
 * say enough.
 */
SgMessage *sg_store_entry_message(SgStore *store, const SgStoreEntry *entry,
    GError **error);

G_END_DECLS

#endif /* SPOOLGUARD_QUARANTINE_H */
