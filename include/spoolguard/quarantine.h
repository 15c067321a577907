/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * quarantine.h - the quarantine store.
 *
 * STORE/YYYY/MM/DD/<YYYYMMDDTHHMMSSZ>-<hash>/{files/, report.json,
 * report.txt}.  put() moves a message's files by rename() on the same file
 * system; across file systems it copies with O_EXCL|O_NOFOLLOW, fsyncs,
 * verifies the sha256 and only then unlinks the original, so a message is
 * always in at least one place, intact.  Directories 0700, files 0600;
 * symlinks are never followed.  All file-system calls go through SgFsOps so
 * that tests can inject ENOSPC, EXDEV and EIO.
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
	SG_QUARANTINE_ERROR_NOT_FOUND, /* no such entry */
	SG_QUARANTINE_ERROR_EXISTS,    /* release would overwrite */
	SG_QUARANTINE_ERROR_CORRUPT,   /* sha256 mismatch, bad report */
	SG_QUARANTINE_ERROR_INSIDE,    /* store inside a scanned tree */
	SG_QUARANTINE_ERROR_INVALID,   /* a file name or id unfit for a path,
	                                  or a release path through a link */
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
 * report.txt (with the sha256 and origin of every file).  On failure the
 * message is left where it was (or, once moved, intact in the store) and
 * the entry is removed where possible.  *id receives the entry id (also
 * when the entry is complete but an original could not be removed).  A
 * file gone before it could be moved gives SG_CORE_ERROR_VANISHED.  The
 * message's descriptors (and so the MTA's locks) stay open.
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
/* Removes entries older than @age seconds; *count gets how many. */
gboolean
sg_store_purge(SgStore *store, gint64 age, guint *count, GError **error);

G_END_DECLS

#endif /* SPOOLGUARD_QUARANTINE_H */
