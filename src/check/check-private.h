/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-private.h - what the check module's files share and what its tests
 * reach: the push-style header scanner, the address counter and the
 * message-size check.  Not installed; other modules call check.h.
 */
#ifndef SPOOLGUARD_CHECK_PRIVATE_H
#define SPOOLGUARD_CHECK_PRIVATE_H

#include <glib.h>

#include "spoolguard/check.h"

G_BEGIN_DECLS

/* ---- address counter ------------------------------------------------- */

/*
 * Counts the addresses of an address-list header value fed in pieces
 * (the bytes after the colon, continuation lines included, line ends
 * left out).  Commas inside quoted strings, comments (nested to any
 * depth: a counter, no stack) and angle brackets do not separate; a group
 * "name: a, b;" counts its members.  Constant memory, one table-free
 * switch per byte.
 */
typedef struct {
	guint8 state;     /* ADDR_* in check-headers.c */
	guint8 escaped;   /* the previous byte was a backslash */
	guint8 has_token; /* the current element holds something */
	guint8 in_group;  /* between "name:" and ";" */
	guint64 depth;    /* comment nesting */
	guint64 count;    /* addresses completed so far */
} SgAddrCounter;

void sg_addr_counter_init(SgAddrCounter *counter);
void sg_addr_counter_feed(SgAddrCounter *counter, const char *p, gsize len);
/* Ends the value and returns the number of addresses in it. */
guint64 sg_addr_counter_finish(SgAddrCounter *counter);
/* TRUE when the field named (name, len) holds an address list. */
gboolean sg_addr_field_is_address(const char *name, gsize len);

/* ---- header scanner -------------------------------------------------- */

/* What the header scan learned, for the checks that run after it. */
typedef struct {
	gboolean not_a_message; /* container.not-a-message was observed */
	gboolean complete;      /* the whole header block was scanned */
	goffset header_end;     /* content offset where the body starts */
	guint64 fields;         /* top-level header fields */
	guint64 bytes_read;     /* content bytes the scan consumed */
} SgHeaderSummary;

typedef struct _SgHeaderScan SgHeaderScan;

/*
 * A push parser over the content: feed it bytes in pieces of any size
 * (one byte at a time gives the same findings as one big piece).  Findings
 * go to @msg at the severities of @profile; @inspect (nullable) receives
 * the header table.  @profile, @msg and @inspect must outlive the scan.
 */
SgHeaderScan *sg_header_scan_new(const SgProfile *profile, SgMessage *msg,
    SgInspect *inspect);
/* FALSE once the scan wants no more bytes (past the header block). */
gboolean sg_header_scan_feed(SgHeaderScan *scan, const char *p, gsize len);
/* Ends the input (EOF), emits the per-message findings. */
void sg_header_scan_finish(SgHeaderScan *scan, SgHeaderSummary *summary);
void sg_header_scan_free(SgHeaderScan *scan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgHeaderScan, sg_header_scan_free)

/*
 * A scan of part header blocks, at every depth but the top: the same byte
 * rules at the same severities, with the part's path in each finding and
 * each rule capped over all the parts.  The MIME pre-scan starts it at each
 * part's first header byte and feeds it the header lines; the empty line
 * ends a block by itself, sg_header_scan_end_part any other end (a
 * delimiter, the end of the content).  sg_header_scan_finish then reports
 * only the summaries; the message's totals are the top-level scan's.
 */
SgHeaderScan *
sg_header_scan_new_parts(const SgProfile *profile, SgMessage *msg);
/*
 * Starts the block of part @path at content offset @offset; @mbox_line:
 * its first line is an mbox "From " line (an embedded message's), skipped.
 */
void sg_header_scan_start_part(SgHeaderScan *scan, goffset offset,
    const char *path, gboolean mbox_line);
void sg_header_scan_end_part(SgHeaderScan *scan);

/* sg_check_headers that also returns the summary (nullable). */
gboolean sg_check_headers_summary(SgCheckContext *ctx, SgMessage *msg,
    SgInspect *inspect, SgHeaderSummary *summary, GError **error);

/* ---- message size ---------------------------------------------------- */

/* message.size on the content size (or the files' total when unknown). */
void sg_check_size(SgCheckContext *ctx, SgMessage *msg);

/* How many findings of one rule a message gets before a summary. */
#define SG_CHECK_REPORT_MAX 5

G_END_DECLS

#endif /* SPOOLGUARD_CHECK_PRIVATE_H */
