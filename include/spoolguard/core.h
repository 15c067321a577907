/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * core.h - messages, findings, verdicts, errors and byte helpers.
 *
 * An SgMessage is one queued message: one or more files, the envelope the
 * spool reader found, a way to open the RFC 5322 content as a stream, and
 * the findings the checks appended.  Findings are data, not errors: a
 * GError means "could not examine" (I/O, permissions, a lock).
 */
#ifndef SPOOLGUARD_CORE_H
#define SPOOLGUARD_CORE_H

#include <glib.h>
#include <sys/stat.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* ---- errors ---------------------------------------------------------- */

#define SG_CORE_ERROR (sg_core_error_quark())
GQuark sg_core_error_quark(void);

typedef enum {
	SG_CORE_ERROR_IO,       /* read, open, stat failed */
	SG_CORE_ERROR_INVALID,  /* a caller's argument is unusable */
	SG_CORE_ERROR_BUSY,     /* another process holds the message's lock */
	SG_CORE_ERROR_VANISHED, /* the file went away (the MTA took it) */
	SG_CORE_ERROR_YOUNG,    /* younger than --min-age, or still written */
	SG_CORE_ERROR_SKIP,     /* not a message file (temp file, journal) */
} SgCoreError;

/* ---- rules and severities ------------------------------------------- */

typedef enum {
	SG_SEVERITY_IGNORE = 0,
	SG_SEVERITY_INFO,
	SG_SEVERITY_WARN,
	SG_SEVERITY_QUARANTINE,
} SgSeverity;

/* (transfer none): a static string */
const char *sg_severity_to_string(SgSeverity severity);
gboolean sg_severity_from_string(const char *s, SgSeverity *out);

typedef enum {
#define SG_RULE(e, id, kind, sev, summary) SG_RULE_##e,
#include "spoolguard/rule-ids.h"
#undef SG_RULE
	SG_RULE_COUNT
} SgRuleId;

typedef enum {
	SG_RULE_KIND_EVENT,
	SG_RULE_KIND_LIMIT,
} SgRuleKind;

/* ---- findings -------------------------------------------------------- */

#define SG_OFFSET_NONE ((goffset)-1)
#define SG_VALUE_NONE ((gint64)-1)

typedef struct {
	SgRuleId rule;
	SgSeverity severity;
	char *file;      /* (owned) (nullable): name of the message's file */
	goffset offset;  /* byte offset in that file, or SG_OFFSET_NONE */
	char *part;      /* (owned) (nullable): MIME part path, "1.2.3" */
	char *header;    /* (owned) (nullable): header field name */
	gint64 observed; /* or SG_VALUE_NONE */
	gint64 limit;    /* the limit crossed, or SG_VALUE_NONE */
	char *text;      /* (owned): one line for a person */
} SgFinding;

void sg_finding_free(SgFinding *finding);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgFinding, sg_finding_free)

/* ---- messages -------------------------------------------------------- */

typedef struct {
	char *path; /* (owned): as found by the walker */
	char *name; /* (owned): basename */
	char *role; /* (owned): "message", "H", "D", "msglog", "qf", "df" */
	int fd;     /* -1 until a reader opens it; closed by sg_message_free */
	struct stat st; /* valid once opened (fstat of fd) */
} SgMessageFile;

/* Addresses are kept up to SG_ADDRESS_KEEP bytes; length is the truth. */
#define SG_ADDRESS_KEEP 512

typedef struct {
	char *address;  /* (owned): NUL-terminated, at most SG_ADDRESS_KEEP */
	gsize length;   /* its length in the spool file */
	guint file;     /* index into SgMessage.files */
	goffset offset; /* where it starts in that file */
} SgAddress;

void sg_address_free(SgAddress *address);

typedef struct _SgMessage SgMessage;
typedef struct _SgSpoolOps SgSpoolOps;
typedef struct _GMimeStream GMimeStream;

/*
 * How checks reach the RFC 5322 content without a copy.  A reader sets
 * these in its open(); the default (sg_message_set_content_window) serves
 * one contiguous range of one file.
 */
typedef struct {
	/* (transfer full): a new stream positioned at content offset 0 */
	GMimeStream *(*open)(SgMessage *msg, GError **error);
	/* Maps a content offset to (file index, offset in file). */
	gboolean (*locate)(SgMessage *msg, goffset content_offset, guint *file,
	    goffset *file_offset);
} SgContentOps;

struct _SgMessage {
	const SgSpoolOps *ops; /* the reader that owns it */
	const char *format;    /* static: "plain", "maildir", "postfix", ... */
	char *id;              /* (owned): display name (path or queue id) */
	char *spool_root;      /* (owned) (nullable): the spool's top dir */
	char *queue_name;      /* (owned) (nullable): "deferred", "input" */
	char *queue_id;        /* (owned) (nullable) */
	GPtrArray *files;      /* SgMessageFile*, [0] is the primary file */

	/* Envelope, filled by the reader. */
	SgAddress *sender;               /* (owned) (nullable) */
	GPtrArray *recipients;           /* SgAddress*, kept up to a cap */
	guint64 rcpt_total;              /* all recipients seen, kept or not */
	SgAddress *rcpt_dropped_longest; /* (owned) (nullable): the longest
	                                 recipient past SG_RECIPIENTS_KEEP */
	GHashTable *props; /* (owned) (nullable): format properties */

	/* Content, set by the reader. */
	const SgContentOps *content;
	gpointer content_data;
	GDestroyNotify content_free;
	goffset content_size; /* bytes of RFC 5322 content, -1 if unknown */

	/* Results. */
	GPtrArray *findings; /* SgFinding* */
	SgSeverity verdict;  /* worst finding severity after the profile */

	gboolean no_move;     /* reader: report only, never move (e.g. Postfix
	                         corrupt/ without --include-corrupt) */
	gpointer reader_data; /* reader's private state */
	GDestroyNotify reader_free;
};

/* (transfer full) */
SgMessage *
sg_message_new(const SgSpoolOps *ops, const char *format, const char *id);
void sg_message_free(SgMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgMessage, sg_message_free)

/* Adds a file by path (not opened); returns its index. */
guint sg_message_add_file(SgMessage *msg, const char *path, const char *role);
SgMessageFile *sg_message_file(SgMessage *msg, guint index);

/*
 * Opens file @index read-only with O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC and
 * fstats it; refuses anything but a regular file.  ENOENT becomes
 * SG_CORE_ERROR_VANISHED.
 */
gboolean sg_message_open_file(SgMessage *msg, guint index, GError **error);
/* Same, opened with @access (O_RDONLY, or O_RDWR where a reader needs a
 * descriptor that may carry a write lock; spoolguard never writes). */
gboolean sg_message_open_file_access(SgMessage *msg, guint index, int access,
    GError **error);

/* Envelope helpers: copy at most SG_ADDRESS_KEEP bytes of (addr, len). */
void sg_message_set_sender(SgMessage *msg, const char *addr, gsize len,
    guint file, goffset offset);
void sg_message_add_recipient(SgMessage *msg, const char *addr, gsize len,
    guint file, goffset offset);
#define SG_RECIPIENTS_KEEP 20000

/* Content as one range [offset, offset + length) of file @index. */
void sg_message_set_content_window(SgMessage *msg, guint index, goffset offset,
    goffset length);

/* (transfer full): a new stream over the content (see SgContentOps). */
GMimeStream *sg_message_open_content(SgMessage *msg, GError **error);
/* Maps a content offset to a file and an offset in it. */
gboolean sg_message_locate(SgMessage *msg, goffset content_offset, guint *file,
    goffset *file_offset);

/* Total bytes of all the message's files. */
goffset sg_message_total_size(SgMessage *msg);

/*
 * Records a finding.  The severity is given by the caller (normally from
 * sg_profile_judge/sg_profile_severity); IGNORE drops it.  @file is the
 * file index, or G_MAXUINT for none.  Updates msg->verdict.
 */
void sg_message_add_finding(SgMessage *msg, SgRuleId rule, SgSeverity severity,
    guint file, goffset offset, const char *part, const char *header,
    gint64 observed, gint64 limit, const char *fmt, ...) G_GNUC_PRINTF(10, 11);

/* Same, with the offset given in content coordinates (mapped by locate). */
void sg_message_add_content_finding(SgMessage *msg, SgRuleId rule,
    SgSeverity severity, goffset content_offset, const char *part,
    const char *header, gint64 observed, gint64 limit, const char *fmt, ...)
    G_GNUC_PRINTF(9, 10);

/* ---- bounded byte helpers ------------------------------------------- */

/* Byte classes for header parsing: a 256-entry table. */
enum {
	SG_BYTE_FTEXT = 1 << 0, /* RFC 5322 ftext: 33..126 except ':' */
	SG_BYTE_WSP = 1 << 1,   /* SP, HTAB */
	SG_BYTE_8BIT = 1 << 2,  /* 128..255 */
	SG_BYTE_CTL = 1 << 3,   /* 0..31, 127 except HTAB, LF, CR */
	SG_BYTE_DIGIT = 1 << 4,
	SG_BYTE_QID = 1 << 5, /* [A-Za-z0-9_] */
};
extern const guint8 sg_byte_class[256];

/*
 * A byte that does not occur in text: SG_BYTE_CTL but form feed (plain
 * text documents have it).  ESC counts: a text part holding it is looked
 * at closer.
 */
gboolean sg_byte_is_binary(guchar c);
/* The length of the prefix of (p, n) without such a byte (SSE2: 16 a step). */
gsize sg_text_run(const char *p, gsize n);

/* Parses a decimal number from (p, len) with no sign; FALSE on overflow. */
gboolean sg_parse_u64(const char *p, gsize len, guint64 *out);
/* Same with an optional leading '-' and surrounding spaces. */
gboolean sg_parse_i64(const char *p, gsize len, gint64 *out);

/* Makes a printable, escaped copy of at most @max bytes (for reports). */
char *sg_escape_bytes(const char *p, gsize len, gsize max);

/*
 * A temporary file in @dir that never has a name (O_TMPFILE, or created
 * and unlinked at once where the file system lacks it): a descriptor open
 * O_RDWR|O_CLOEXEC on a 0600 file, owned by the caller; -1 with @error.
 */
int sg_tmpfile_unnamed(const char *dir, GError **error);
/* The fallback alone: mkstemp() then unlink() with signals blocked. */
int sg_tmpfile_unlinked(const char *dir, GError **error);

/* sha256 of a descriptor's whole content via pread (hex, transfer full). */
char *sg_fd_sha256(int fd, GError **error);
/* Writes all @len bytes to @fd, retrying EINTR; FALSE with errno set
 * (ENOSPC for a write that wrote nothing). */
gboolean sg_fd_write_all(int fd, const void *buf, gsize len);

G_END_DECLS

#endif /* SPOOLGUARD_CORE_H */
