/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.h - the checks: byte pre-scan, envelope, headers, MIME, content.
 *
 * Each check reads the message through its content stream (never a copy of
 * the whole message) and appends findings.  An SgCheckContext holds what a
 * thread reuses between messages (a libmagic handle, scratch buffers); make
 * one per worker thread.  When an SgInspect is passed, checks also record
 * the header table and the MIME tree for `spoolguard inspect`.
 */
#ifndef SPOOLGUARD_CHECK_H
#define SPOOLGUARD_CHECK_H

#include <glib.h>

#include "spoolguard/core.h"
#include "spoolguard/rules.h"

G_BEGIN_DECLS

#define SG_CHECK_ERROR (sg_check_error_quark())
GQuark sg_check_error_quark(void);

typedef enum {
	SG_CHECK_ERROR_IO,    /* the content could not be read */
	SG_CHECK_ERROR_MAGIC, /* libmagic could not be set up */
} SgCheckError;

/* One row of the header table (top-level headers). */
typedef struct {
	char *name;     /* (owned): escaped, capped */
	goffset offset; /* content offset of the field's first byte */
	gsize length;   /* bytes of the field, folded lines included */
	char *value;    /* (owned) (nullable): unfolded raw value, filled by
	                   sg_report_inspect_values() (inspect) */
	gsize value_len;
} SgHeaderRow;

/* One MIME part, in tree order. */
typedef struct {
	char *path; /* (owned): "1", "1.2", "1.2.1" */
	guint depth;
	char *content_type;    /* (owned) */
	char *encoding;        /* (owned) (nullable) */
	char *filename;        /* (owned) (nullable) */
	char *sniffed;         /* (owned) (nullable): libmagic's MIME type */
	goffset header_offset; /* content offsets, or SG_OFFSET_NONE */
	goffset body_offset;
	gint64 size; /* encoded body bytes, or SG_VALUE_NONE */
} SgPartRow;

/* The start of one leaf part's body, decoded (inspect --body). */
typedef struct {
	char *path;         /* (owned): part path, as in SgPartRow */
	char *content_type; /* (owned) */
	char *charset;      /* (owned) (nullable): the declared charset */
	char *text;         /* (owned) (nullable): text_len decoded bytes
	                       (UTF-8 for text parts); NULL when not shown */
	gsize text_len;
	gboolean truncated; /* more than text_len bytes */
	char *note;         /* (owned) (nullable): why it is not shown */
} SgBodyRow;

typedef struct {
	GPtrArray *headers;     /* SgHeaderRow* */
	GPtrArray *parts;       /* SgPartRow* */
	goffset header_end;     /* content offset where the body starts */
	GPtrArray *bodies;      /* (nullable) SgBodyRow*: inspect --body */
	gboolean bodies_capped; /* more leaf parts than were read */
} SgInspect;

SgInspect *sg_inspect_new(void);
void sg_inspect_free(SgInspect *inspect);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgInspect, sg_inspect_free)
void sg_inspect_add_header(SgInspect *inspect, const char *name, gsize len,
    goffset offset, gsize length);

typedef struct _SgCheckContext SgCheckContext;

/* (transfer full) */
SgCheckContext *sg_check_context_new(const SgProfile *profile, GError **error);
void sg_check_context_free(SgCheckContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgCheckContext, sg_check_context_free)
/* (transfer none) */
const SgProfile *sg_check_context_profile(SgCheckContext *ctx);
/* (transfer none) (nullable): this thread's magic_t, opened lazily. */
gpointer sg_check_context_magic(SgCheckContext *ctx);

/*
 * Runs every check on an opened message: envelope, bytes and headers,
 * MIME and content.  FALSE only when the content could not be read.
 * @inspect is (nullable).
 */
gboolean sg_check_message(SgCheckContext *ctx, SgMessage *msg,
    SgInspect *inspect, GError **error);

/* The parts, for tests and for callers that want one stage. */
void sg_check_envelope(SgCheckContext *ctx, SgMessage *msg);
gboolean sg_check_headers(SgCheckContext *ctx, SgMessage *msg,
    SgInspect *inspect, GError **error);
gboolean sg_check_mime(SgCheckContext *ctx, SgMessage *msg, SgInspect *inspect,
    GError **error);

/*
 * Helpers for checks: judge a LIMIT rule and record it (content offset),
 * or record an EVENT rule at the profile's severity.
 */
SgSeverity sg_check_limit(SgMessage *msg, const SgProfile *profile,
    SgRuleId rule, gint64 observed, goffset content_offset, const char *part,
    const char *header, const char *what);
void sg_check_event(SgMessage *msg, const SgProfile *profile, SgRuleId rule,
    goffset content_offset, const char *part, const char *header,
    const char *fmt, ...) G_GNUC_PRINTF(7, 8);

G_END_DECLS

#endif /* SPOOLGUARD_CHECK_H */
