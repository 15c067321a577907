/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-mime-private.h - what the MIME, encoding and content checks share
 * inside src/check/.  Not installed; not for other modules.
 *
 * SgEncodingCheck validates a base64 or quoted-printable body while it
 * streams past, one piece of bytes at a time, keeping counters and the
 * offsets of first occurrences only: its memory does not depend on the
 * part's size.
 *
 * SgMimeScan is what the parts of the MIME structure check share: the
 * driver (check-mime.c) sets it up, the boundary pre-scan
 * (check-mime-prescan.c) fills in the part rows and what it measured,
 * GMime's warnings (check-mime-warning.c) and the tree walk
 * (check-mime-walk.c) read them and add findings through sg_mime_event
 * and sg_mime_limit.
 */
#ifndef SPOOLGUARD_CHECK_MIME_PRIVATE_H
#define SPOOLGUARD_CHECK_MIME_PRIVATE_H

#include <glib.h>

#include <gmime/gmime.h>

#include "spoolguard/check.h"

#include "check-mime-token.h"
#include "check-private.h"

G_BEGIN_DECLS

typedef enum {
	SG_ENCODING_OTHER = 0, /* binary: not checked */
	SG_ENCODING_BASE64,
	SG_ENCODING_QP,
	SG_ENCODING_TEXT, /* 7bit, 8bit, unknown: line lengths only */
} SgEncodingKind;

/*
 * Kind of a Content-Transfer-Encoding value (p, len), case-insensitive;
 * an empty value is 7bit (TEXT).
 */
SgEncodingKind sg_encoding_kind(const char *p, gsize len);

typedef struct {
	SgEncodingKind kind;
	/* line lengths (bytes before CR LF) */
	gsize line_len;
	goffset line_start;
	gint64 max_line;
	goffset max_line_offset;
	/* base64 */
	guint quantum;     /* base64 characters in the current group of 4 */
	guint pad;         /* '=' seen in the current group */
	gboolean finished; /* a padded group ended the data */
	/* base64 layout: lines not in whole quartets, blanks inside data */
	guint64 odd_lines;
	goffset odd_line_offset;
	guint64 blanks;
	goffset blank_offset;
	gboolean had_data;      /* base64 characters seen */
	gboolean blank_pending; /* white space or an empty line since */
	goffset blank_at;
	guint64 bad_chars;
	goffset bad_char_offset;
	guint64 after_pad;
	goffset after_pad_offset;
	guint64 bad_pad;
	goffset bad_pad_offset;
	/* quoted-printable */
	guint qp_state; /* 0 text, 1 after '=', 2 after '=X', 3 '=' + spaces */
	goffset qp_escape_offset;
	guint64 bad_escapes;
	goffset bad_escape_offset;
	gboolean qp_lower;     /* the escape being read has a hex digit a-f */
	guint64 lower_escapes; /* "=3d": RFC 2045 6.7 asks for upper case */
	goffset lower_escape_offset;
	/*
	 * GMime's quoted-printable decoder, followed only as far as NULs go:
	 * its state (0 text, 1 after '=', 2 after '=X'), X, and whether it
	 * decoded an "=00".  Kept apart from qp_state: the decoder takes
	 * the two bytes after any '=' whatever they are, the check does not.
	 */
	guint qpd_state;
	guchar qpd_save;
	gboolean qpd_zero;
	gboolean qpd_binary; /* it decoded a byte sg_byte_is_binary() */
	gboolean saw_cr;
} SgEncodingCheck;

void
sg_encoding_check_init(SgEncodingCheck *ec, SgEncodingKind kind, goffset start);
/* Feeds body bytes (p, len) starting at content offset @offset. */
void sg_encoding_check_feed(SgEncodingCheck *ec, const char *p, gsize len,
    goffset offset);
/* Ends the body at content offset @end and records the findings. */
void sg_encoding_check_finish(SgEncodingCheck *ec, SgMessage *msg,
    const SgProfile *profile, const char *part, goffset end);

/*
 * NUL bytes the MIME pre-scan counted in a leaf part's raw body.  For a
 * transfer encoding that leaves bytes as they are (7bit, 8bit, binary)
 * the raw body is the decoded content and no second pass is needed.  For
 * quoted-printable, decoded NULs come only from raw NULs and "=00"
 * escapes: qp is TRUE and qp_zero tells whether GMime's decoder met an
 * "=00"; with neither, the decoded content holds no NUL.  binary: the
 * raw body, or for quoted-printable a decoded escape, holds a byte text
 * does not (sg_byte_is_binary); without, the decoded content is text
 * through and through.  Offsets are content offsets; first and last are
 * SG_OFFSET_NONE when nuls is 0.
 */
typedef struct {
	goffset body; /* the body's first byte */
	goffset end;  /* end of the counted bytes */
	guint64 nuls;
	goffset first;
	goffset last;
	gboolean qp;
	gboolean qp_zero;
	gboolean binary;
} SgNulCount;

/* Bytes of decoded content handed to libmagic, at most. */
#define SG_CONTENT_SNIFF_BYTES (64 * 1024)
/*
 * Bytes of a part declared text that decide whether it looks like text
 * (then libmagic is not asked); the rest is read only for libmagic or to
 * count NULs the pre-scan could not.
 */
#define SG_CONTENT_TEXT_PEEK (4 * 1024)

/*
 * Checks one leaf part's decoded content: sniffs at most the first
 * SG_CONTENT_SNIFF_BYTES with libmagic and compares with the declared type
 * and file name; counts NULs in text parts.  *sniffed receives libmagic's
 * MIME type (transfer full) (nullable).  @sniffed NULL: nobody shows the
 * type, so libmagic is asked only where a finding depends on its answer
 * (not for application/octet-stream with an unremarkable name, which no
 * rule judges by its content).  @base is the content stream's
 * start position, subtracted from GMime's stream positions.  @pre
 * (nullable): the pre-scan's NUL count for this part, used instead of
 * reading the part to its end when GMime's bounds and encoding agree.
 */
void sg_content_check_part(SgCheckContext *ctx, SgMessage *msg, GMimePart *part,
    const char *path, gint64 base, const SgNulCount *pre, char **sniffed);

/* TRUE when a sniffed MIME type is an executable or an archive. */
gboolean sg_content_type_is_risky(const char *mime_type);

/* ---- what a leaf body holds (check-mime-body.c) -------------------------- */

/* Bytes of a body line looked at (a line split between reads is copied). */
#define SG_BODY_LINE_KEEP 96

/*
 * What a leaf body holds besides its declared content, line by line as it
 * streams past: uuencode ("begin 644 name", data lines, "end"), yEnc
 * ("=ybegin", "=yend"), BinHex 4.0 ("(This file must be converted with
 * BinHex"), MIME part structure in a body that is not multipart (a "--"
 * line followed by a Content-* field, or Content-* fields in a
 * message/delivery-status body), base64 of gzip ("H4sI" first), and
 * whether the first line is a MIME header field.  Constant memory; offsets
 * are content offsets of the line where each starts (SG_OFFSET_NONE:
 * not seen).
 */
typedef struct {
	/* ---- results ---- */
	goffset uu_begin; /* a "begin NNN name" line followed by data */
	gboolean uu_end;  /* ... and its "end" */
	guint64 uu_bare;  /* data lines from the first line on, no begin */
	goffset yenc;     /* "=ybegin ... name=" */
	gboolean yenc_end;
	goffset binhex;
	goffset mime_parts;   /* "--x" then a Content-* field */
	goffset dsn_field;    /* a Content-* field in a delivery-status body */
	gboolean gzip64;      /* the first line begins "H4sI" */
	gboolean first_field; /* the first line is a Content-* field */
	guint64 bytes;
	goffset body_start;

	/* ---- state ---- */
	gboolean dsn;
	guint64 lines;
	guint uu_state; /* 0 none, 1 after begin, 2 in data, 3 done */
	goffset uu_candidate;
	gboolean bare_run; /* every line so far is uuencode data */
	gboolean prev_dash;
	char line[SG_BODY_LINE_KEEP];
	gsize kept;
	gsize line_len;
	goffset line_off;
	gboolean partial;
} SgBodyScan;

/*
 * @dsn: the body is a message/delivery-status (RFC 3464 fields only);
 * @start: the body's first byte.
 */
void sg_body_scan_init(SgBodyScan *b, gboolean dsn, goffset start);
/* Body bytes (p, len) from content offset @off, in pieces of any size. */
void sg_body_scan_feed(SgBodyScan *b, const char *p, gsize len, goffset off);
void sg_body_scan_finish(SgBodyScan *b);

/* ---- the MIME structure check ------------------------------------------ */

/*
 * Ceilings on the MIME check's work that no profile changes.  The
 * profile's hard limits (mime.depth, mime.part-count, mime.boundary-length)
 * are what bound the work, and a hard breach skips GMime; a ceiling
 * applies only where a profile sets no hard limit, or one above it.
 *
 * SG_MIME_DEPTH_CEILING: GMime's own nesting limit (MAX_LEVEL in
 * gmime-parser.c; past it GMime warns GMIME_CRIT_NESTING_OVERFLOW and
 * stops descending).  The pre-scan's stack and the walk go no deeper than
 * GMime can.
 */
#define SG_MIME_DEPTH_CEILING 1024
/*
 * Parts the pre-scan keeps a row for and lets GMime build objects for:
 * bounds the memory of both where the profile does not.
 */
#define SG_MIME_PARTS_CEILING 100000
/*
 * Boundary bytes kept per open multipart to match delimiter lines: with
 * SG_MIME_DEPTH_CEILING multiparts open, 4 MiB at most.
 */
#define SG_MIME_BOUNDARY_CEILING 4096
/* Findings of one rule per message from the MIME check, at most. */
#define SG_MIME_FINDINGS_PER_RULE 10

/* One part as the pre-scan saw it (tree order). */
typedef struct {
	char *path;
	guint depth;
	goffset header_offset;
	goffset body_offset;
	goffset end;
	char *content_type;   /* (nullable) */
	char *encoding;       /* (nullable) */
	gboolean nul_counted; /* a leaf body in an identity encoding */
	SgNulCount nul;
} SgMimeRow;

void sg_mime_row_free(gpointer row);

typedef struct {
	SgMessage *msg;
	const SgProfile *profile;
	gint64 base;      /* stream position of content offset 0 */
	gint64 cap_depth; /* mime.depth's hard limit, under its ceiling */
	gint64 cap_parts; /* mime.part-count's, under its ceiling */
	guint reported[SG_RULE_COUNT];
	gboolean breached; /* a hard limit was crossed: GMime is skipped */

	/* the pre-scan's: rows and measures */
	GPtrArray *rows; /* (element-type SgMimeRow) sorted by offset */
	guint64 parts;
	goffset parts_offset;
	gint64 max_depth;
	goffset max_depth_offset; /* the deepest container's header */
	goffset root_header_end;
	goffset content_end;
	/* What GMime would report, kept for when it is not run. */
	goffset pre_no_headers;
	goffset pre_conflict;

	/* the walk's */
	gint64 walk_depth;
	goffset walk_depth_offset; /* the deepest container's header */
	guint64 walk_parts;
} SgMimeScan;

/* The profile's hard limit for @rule, or @ceiling when that is lower. */
gint64 sg_mime_cap(const SgProfile *profile, SgRuleId rule, gint64 ceiling);
void
sg_mime_event(SgMimeScan *s, SgRuleId rule, goffset offset, const char *part,
    const char *header, const char *fmt, ...) G_GNUC_PRINTF(6, 7);
void sg_mime_limit(SgMimeScan *s, SgRuleId rule, gint64 observed,
    goffset offset, const char *part, const char *header, const char *what);
/* TRUE when the message already has a finding of @rule. */
gboolean sg_mime_has_finding(SgMimeScan *s, SgRuleId rule);
/*
 * mime.ambiguous: @what read two ways, @a_how giving @a (nullable: none)
 * and @b_how giving @b; the values are escaped into the text.
 */
void sg_mime_ambiguous(SgMimeScan *s, goffset offset, const char *part,
    const char *header, const char *what, const char *a_how, const char *a,
    const char *b_how, const char *b);

/* ---- a part's header fields (check-mime-fields.c) ---------------------- */

/*
 * What the header fields of one part say, read as GMime reads them (the
 * last Content-Type and Content-Transfer-Encoding count; fields go on past
 * a line that is no field, up to the empty line), so that the pre-scan
 * builds the tree GMime builds.  Where another common reader takes the
 * same bytes otherwise, or the field breaks the grammar, that is a
 * finding, reported as the fields close.  The part's header block is fed
 * to the byte scan of part headers on the way.
 */
typedef struct {
	/* ---- results, GMime's reading ---- */
	gboolean has_ct;
	char type[SG_MIME_TYPE_KEEP + 1]; /* "" when it does not parse */
	gboolean has_boundary;
	gsize boundary_full;
	char *boundary;           /* (owned) (nullable): NULL when too long */
	gboolean boundary_quoted; /* written quoted (or RFC 2231 encoded) */
	gboolean boundary_folded; /* a quoted boundary folded across lines */
	gboolean has_cte;
	char cte[SG_MIME_CTE_KEEP + 1]; /* the value, RFC reading */
	gsize cte_len;
	GMimeContentEncoding encoding; /* GMime's, of the last field */
	gboolean cte_encoded; /* a field GMime reads as base64, qp or uu */
	gboolean cte_x;       /* the value is an x-token */
	char *name;           /* (owned) (nullable): Content-Type name= */
	char *filename;       /* (owned) (nullable): Content-Disposition's */
	guint nfields;
	gsize header_bytes;

	/* ---- state ---- */
	SgMimeScan *scan;
	SgHeaderScan *bytes; /* (nullable) the byte scan of part headers */
	const char *path;    /* the part's, owned by the caller */
	guint depth;
	goffset offset;
	gsize boundary_keep;
	gboolean message; /* the block opens an embedded message */
	gboolean started;
	gboolean block_reported;
	SgMimeToken field;
	char field_name[SG_MIME_NAME_KEEP + 1];
	goffset field_offset;
	gboolean field_open;
	goffset junk_line;  /* a line that is no field, or SG_OFFSET_NONE */
	goffset blank_line; /* a line of white space only, or none */
	char *dash_line;    /* (owned) (nullable) the first line "--..." */
	goffset dash_offset;
	char *first_type; /* (owned) (nullable) of an earlier Content-Type */
	char *first_boundary; /* (owned) (nullable) its boundary */
} SgMimeFields;

/*
 * Starts the fields of the part @path (owned by the caller, kept while
 * the part is read) at content offset @offset; @bytes (nullable) is fed
 * the header block; @message: an embedded message's header (an mbox
 * "From " line may open it).
 */
void sg_mime_fields_start(SgMimeFields *f, SgMimeScan *scan,
    SgHeaderScan *bytes, const char *path, guint depth, goffset offset,
    gboolean message, gsize boundary_keep);
/*
 * One header line, or a piece of one (@first: it starts the line; @last:
 * it ends it).  TRUE when the line is the empty line that ends the block.
 */
gboolean sg_mime_fields_line(SgMimeFields *f, const char *p, gsize len,
    goffset off, gboolean first, gboolean last);
/* The block ended: at the empty line or not (a delimiter, the end). */
void sg_mime_fields_end(SgMimeFields *f);
void sg_mime_fields_clear(SgMimeFields *f);

/*
 * Findings for the body of part @path whose fields are @f: a legacy block
 * (content.hidden-encoding or content.legacy-encoding), an x- transfer
 * encoding against the body (mime.cte-extension or mime.cte-invalid),
 * part structure in a body that is not multipart (mime.undeclared-parts),
 * and a part without fields whose body begins with one (mime.ambiguous).
 */
void sg_body_scan_judge(const SgBodyScan *b, SgMimeScan *s,
    const SgMimeFields *f, const char *path);

/*
 * The boundary pre-scan: reads @stream (the content) once, in bounded
 * chunks, and fills in @s's rows and measures.  FALSE on a read error.
 */
gboolean sg_mime_prescan(SgMimeScan *s, GMimeStream *stream, GError **error);
/* (nullable) (transfer none): the row of the part holding offset @off. */
const SgMimeRow *sg_mime_row_at(SgMimeScan *s, goffset off);
/* The pre-scan's view of what GMime would have reported (not run). */
void sg_mime_prescan_report(SgMimeScan *s);
/* Inspect rows straight from the pre-scan, when GMime was not run. */
void sg_mime_prescan_inspect(SgMimeScan *s, SgInspect *inspect);

/* Where a GMime warning points, for sg_mime_warning_rule. */
typedef enum {
	SG_MIME_AT_ROOT_HEADERS, /* inside the top-level header block */
	SG_MIME_AT_ROOT_END,     /* right where the top-level block ends */
	SG_MIME_AT_PART,         /* anywhere else, or nowhere known */
} SgMimePlace;

/*
 * The rule a GMime parser warning @code about @item (nullable) at @place
 * maps onto, and in *what a few words for the finding; SG_RULE_COUNT when
 * it is dropped (the byte scan reports it, or it is no defect).
 */
SgRuleId sg_mime_warning_rule(GMimeParserWarning code, const char *item,
    SgMimePlace place, const char **what);
/* GMime's warning callback; @data is the SgMimeScan. */
void sg_mime_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
    gpointer data);

/*
 * Walks GMime's tree of @message with an explicit stack bounded by
 * cap_depth and cap_parts: duplicate and conflicting headers, encoding
 * domains, each leaf's content, the inspect rows (@inspect nullable).
 */
void sg_mime_walk(SgMimeScan *s, SgCheckContext *ctx, GMimeMessage *message,
    SgInspect *inspect);

G_END_DECLS

#endif /* SPOOLGUARD_CHECK_MIME_PRIVATE_H */
