// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-mime-prescan.c - the boundary pre-scan: one streaming pass over the
 * content, before GMime, that finds the MIME tree's parts by their
 * delimiter lines and measures what GMime has no limit for.
 *
 * The content is read in MIME_CHUNK pieces and taken a line at a time (a
 * line longer than a chunk in pieces); runs of body lines that cannot be
 * delimiters go through in one piece.  Containers open on an explicit
 * stack no deeper than cap_depth; a row per part (path, offsets, type,
 * encoding, the NUL count of a leaf) is kept for at most cap_parts parts;
 * a boundary is kept up to mime.boundary-length's hard limit.  Header
 * fields of each part are read as GMime reads them (check-mime-fields.c),
 * so both build the same tree; leaf bodies go through the encoding check
 * (check-encoding.c).  A hard limit
 * crossed here sets breached: GMime is then not run, and what it would
 * have reported comes from here (sg_mime_prescan_report).  The rows belong
 * to the SgMimeScan; the pre-scan's own state is freed when it returns.
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "check-mime-private.h"
#include "check-mime-token.h"

/* One read of the content; a longer line is taken in pieces. */
#define MIME_CHUNK (64 * 1024)
/*
 * GMime keeps a multipart's preamble and epilogue (and the whole body of
 * a multipart without a boundary) in memory, persist mode or not: past
 * this size the message is not handed to GMime.
 */
#define MIME_FACE_MAX (1024 * 1024)

typedef enum {
	FRAME_MULTIPART,
	FRAME_MESSAGE,
} FrameKind;

/* One open container on the pre-scan's explicit stack. */
typedef struct {
	FrameKind kind;
	char *boundary; /* (nullable): NULL when too long to match */
	gsize blen;
	char *path;     /* the container part's path */
	goffset offset; /* the container part's header offset */
	guint depth;
	guint children;
	gboolean closed;
	gboolean junk_seen;
	gboolean digest; /* multipart/digest: untyped parts are messages */
} Frame;

typedef enum {
	BODY_LEAF,
	BODY_PREAMBLE,
	BODY_EPILOGUE,
	BODY_OPAQUE,
} BodyKind;

typedef enum {
	S_HEADERS,
	S_BODY,
} ScanState;

/* The part the pre-scan is in. */
typedef struct {
	char *path;
	guint depth;
	goffset header_offset;
	SgMimeFields f;      /* what its header fields say */
	gboolean in_message; /* the body of an embedded message */
	BodyKind body;
	SgEncodingCheck enc;
	SgBodyScan bs; /* what a leaf body holds (check-mime-body.c) */
	gint row;
	gboolean face; /* a multipart without boundary: GMime copies it */
	/* NULs in a leaf body in an identity encoding (see SgNulCount) */
	guint64 nuls;
	goffset first_nul;
	goffset last_nul;
	gboolean binary; /* a byte text does not hold (sg_byte_is_binary) */
} Part;

static void
frame_free(gpointer data)
{
	Frame *f = data;

	g_free(f->boundary);
	g_free(f->path);
	g_free(f);
}

/* The pre-scan's own state; s->scan is what it shares with the check. */
typedef struct {
	SgMimeScan *scan;
	gint64 soft_parts;
	gsize boundary_keep;
	GPtrArray *frames; /* Frame* */
	ScanState state;
	Part cur;
	gboolean in_part;
	SgHeaderScan *bytes;  /* the byte scan of part header blocks */
	SgBodyScan face_scan; /* the preamble or epilogue being read */
	gboolean face_reported_parts;
	guint enc_reports;
	gsize face_bytes;
	goffset face_offset;
	gboolean face_reported;
	/* Leaf body bytes not yet fed to the encoding check (in the buffer). */
	const char *run_p;
	gsize run_len;
	goffset run_off;
} Prescan;

static gboolean
prescan_is_space(guchar c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- the pre-scan: parts and boundaries -------------------------------- */

/*
 * Feeds the pending run of leaf body bytes to the encoding check: whole
 * runs of lines (up to a read buffer) in one call instead of one call a
 * line, which was most of the check's cost.  The check's state machine
 * takes any chunking, so findings and offsets do not change.
 */
static void
prescan_flush_run(Prescan *s)
{
	Part *c = &s->cur;

	if (s->run_len == 0)
		return;
	sg_encoding_check_feed(&c->enc, s->run_p, s->run_len, s->run_off);
	if (c->enc.kind == SG_ENCODING_TEXT || c->enc.kind == SG_ENCODING_QP)
		sg_body_scan_feed(&c->bs, s->run_p, s->run_len, s->run_off);
	/*
	 * Identity encodings: the raw body is the content; count NULs.
	 * Quoted-printable passes raw NULs through: count them too.
	 */
	if (c->enc.kind == SG_ENCODING_TEXT ||
	    c->enc.kind == SG_ENCODING_OTHER || c->enc.kind == SG_ENCODING_QP) {
		const char *p = s->run_p;
		const char *end = s->run_p + s->run_len;

		/*
		 * NUL is a binary byte: until the body shows one of those,
		 * there is no NUL to count.
		 */
		if (!c->binary && sg_text_run(p, s->run_len) == s->run_len)
			p = end;
		else
			c->binary = TRUE;
		while (p < end &&
		    (p = memchr(p, '\0', (gsize)(end - p))) != NULL) {
			goffset at = s->run_off + (goffset)(p - s->run_p);

			if (c->nuls++ == 0)
				c->first_nul = at;
			c->last_nul = at;
			p++;
		}
	}
	s->run_len = 0;
}

static void
prescan_part_start(Prescan *s, char *path, guint depth, goffset offset,
    gboolean message)
{
	Part *c = &s->cur;

	prescan_flush_run(s);
	g_free(c->path);
	sg_mime_fields_clear(&c->f);
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->depth = depth;
	c->header_offset = offset;
	c->in_message = message && depth > 0;
	c->row = -1;
	/* The top block is the header check's to scan byte by byte. */
	sg_mime_fields_start(&c->f, s->scan, depth > 0 ? s->bytes : NULL, path,
	    depth, offset, message, s->boundary_keep);
	s->in_part = TRUE;
	s->state = S_HEADERS;
	s->scan->parts++;
	if ((gint64)s->scan->parts == s->soft_parts + 1 ||
	    (gint64)s->scan->parts == s->scan->cap_parts + 1)
		s->scan->parts_offset = offset;
	if ((gint64)s->scan->parts > s->scan->cap_parts)
		s->scan->breached = TRUE; /* GMime would build every part */
	if (s->scan->rows->len < (guint)s->scan->cap_parts) {
		SgMimeRow *row = g_new0(SgMimeRow, 1);

		row->path = g_strdup(path);
		row->depth = depth;
		row->header_offset = offset;
		row->body_offset = SG_OFFSET_NONE;
		row->end = SG_OFFSET_NONE;
		c->row = (gint)s->scan->rows->len;
		g_ptr_array_add(s->scan->rows, row);
	}
}

/*
 * What only a whole leaf shows: its body against its fields, NULs where
 * the encoding allows none, an embedded message with nothing in it.
 */
static void
prescan_judge_leaf(Prescan *s)
{
	Part *c = &s->cur;
	gboolean leaf = s->state == S_BODY && c->body == BODY_LEAF;
	GMimeContentEncoding enc = c->f.encoding;

	if (c->in_message && c->f.header_bytes == 0 &&
	    (s->state == S_HEADERS || (leaf && c->bs.bytes == 0)))
		sg_mime_event(s->scan, SG_RULE_MIME_EMPTY_MESSAGE,
		    c->header_offset, c->path, NULL,
		    "%s: an embedded message with nothing in it", c->path);
	if (!leaf)
		return;
	sg_body_scan_finish(&c->bs);
	sg_body_scan_judge(&c->bs, s->scan, &c->f, c->path);
	/* In text parts content.nul-in-text judges them (and UTF-16). */
	if (c->nuls > 0 && !c->f.cte_x && c->f.has_ct &&
	    !g_str_has_prefix(c->f.type, "text/") &&
	    (enc == GMIME_CONTENT_ENCODING_DEFAULT ||
	        enc == GMIME_CONTENT_ENCODING_7BIT ||
	        enc == GMIME_CONTENT_ENCODING_8BIT))
		sg_mime_event(s->scan, SG_RULE_MIME_BODY_NUL, c->first_nul,
		    c->path, NULL,
		    "%s: %" G_GUINT64_FORMAT " NUL byte(s) in a %s body, "
		    "which RFC 2045 2.7 and 2.8 do not allow",
		    c->path, c->nuls, c->f.has_cte ? c->f.cte : "undeclared");
}

/* Ends the current part at content offset @end (before a delimiter). */
static void
prescan_part_end(Prescan *s, goffset end)
{
	Part *c = &s->cur;

	prescan_flush_run(s);
	if (!s->in_part)
		return;
	if (s->state == S_HEADERS)
		sg_mime_fields_end(&c->f);
	if (c->row >= 0) {
		SgMimeRow *row = g_ptr_array_index(s->scan->rows, c->row);

		row->end = end;
		if (row->body_offset == SG_OFFSET_NONE)
			row->body_offset = end;
		if (s->state == S_BODY && c->body == BODY_LEAF &&
		    c->enc.kind != SG_ENCODING_BASE64) {
			row->nul_counted = TRUE;
			row->nul.qp = c->enc.kind == SG_ENCODING_QP;
			row->nul.qp_zero = c->enc.qpd_zero;
			row->nul.binary = c->binary || c->enc.qpd_binary;
			row->nul.body = row->body_offset;
			row->nul.end = end;
			row->nul.nuls = c->nuls;
			row->nul.first =
			    c->nuls > 0 ? c->first_nul : SG_OFFSET_NONE;
			row->nul.last =
			    c->nuls > 0 ? c->last_nul : SG_OFFSET_NONE;
		}
	}
	prescan_judge_leaf(s);
	if (s->state == S_BODY && c->body == BODY_LEAF &&
	    s->enc_reports < 3 * SG_MIME_FINDINGS_PER_RULE) {
		guint before = s->scan->msg->findings->len;

		sg_encoding_check_finish(&c->enc, s->scan->msg,
		    s->scan->profile, c->path, end);
		s->enc_reports += s->scan->msg->findings->len - before;
	}
	s->in_part = FALSE;
}

static void
prescan_face_start(Prescan *s, goffset off)
{
	s->face_bytes = 0;
	s->face_offset = off;
	sg_body_scan_init(&s->face_scan, FALSE, off);
}

static void
prescan_push(Prescan *s, FrameKind kind)
{
	Part *c = &s->cur;
	Frame *f;
	gint64 depth = (gint64)s->frames->len + 1;

	if (depth > s->scan->max_depth) {
		s->scan->max_depth = depth;
		s->scan->max_depth_offset = c->header_offset;
	}
	f = g_new0(Frame, 1);
	f->kind = kind;
	f->path = g_strdup(c->path);
	f->offset = c->header_offset;
	f->depth = c->depth;
	if (kind == FRAME_MULTIPART && c->f.boundary != NULL) {
		f->boundary = g_steal_pointer(&c->f.boundary);
		f->blen = strlen(f->boundary);
		f->digest = strcmp(c->f.type, "multipart/digest") == 0;
	}
	g_ptr_array_add(s->frames, f);
}

/* What the part's headers say, into its row; its header count. */
static void
prescan_headers_row(Prescan *s, goffset body)
{
	Part *c = &s->cur;

	if (c->depth == 0 && s->frames->len == 0 &&
	    s->scan->root_header_end == SG_OFFSET_NONE)
		s->scan->root_header_end = body;
	if (c->row >= 0) {
		SgMimeRow *row = g_ptr_array_index(s->scan->rows, c->row);

		row->body_offset = body;
		row->content_type = g_strdup(
		    c->f.has_ct && c->f.type[0] != '\0' ? c->f.type : NULL);
		row->encoding = c->f.has_cte ? g_strdup(c->f.cte) : NULL;
	}
	if (c->depth > 0)
		sg_mime_limit(s->scan, SG_RULE_MIME_PART_HEADER_COUNT,
		    c->f.nfields, c->header_offset, c->path, NULL,
		    "header fields in part");
}

/* TRUE when the part is an embedded message (GMime's four types). */
static gboolean
prescan_is_message(Prescan *s)
{
	Part *c = &s->cur;

	/*
	 * In a multipart/digest a part without a type (or one GMime cannot
	 * parse) is a message.
	 */
	if ((!c->f.has_ct || c->f.type[0] == '\0') && s->frames->len > 0) {
		Frame *parent =
		    g_ptr_array_index(s->frames, s->frames->len - 1);

		return parent->digest;
	}
	return c->f.has_ct &&
	    (strcmp(c->f.type, "message/rfc822") == 0 ||
	        strcmp(c->f.type, "message/rfc2822") == 0 ||
	        strcmp(c->f.type, "message/global") == 0 ||
	        strcmp(c->f.type, "message/news") == 0);
}

/* A multipart or a message whose body starts at @body: push it. */
static void
prescan_open_container(Prescan *s, gboolean multipart, goffset body)
{
	Part *c = &s->cur;
	Frame *f;

	if ((gint64)s->frames->len >= s->scan->cap_depth) {
		/* One level past the stack's capacity is a breach. */
		if ((gint64)s->frames->len + 1 > s->scan->max_depth) {
			s->scan->max_depth = (gint64)s->frames->len + 1;
			s->scan->max_depth_offset = c->header_offset;
		}
		s->scan->breached = TRUE;
		c->body = BODY_OPAQUE;
		return;
	}
	if (multipart) {
		prescan_push(s, FRAME_MULTIPART);
		c->body = BODY_PREAMBLE;
		prescan_face_start(s, body);
		s->in_part = FALSE;
		return;
	}
	prescan_push(s, FRAME_MESSAGE);
	s->in_part = FALSE;
	f = g_ptr_array_index(s->frames, s->frames->len - 1);
	f->children = 1;
	prescan_part_start(s, g_strdup_printf("%s.1", f->path), f->depth + 1,
	    body, TRUE);
}

/* The encoding check's kind for GMime's reading of the encoding. */
static SgEncodingKind
prescan_encoding_kind(GMimeContentEncoding enc)
{
	switch (enc) {
	case GMIME_CONTENT_ENCODING_BASE64:
		return SG_ENCODING_BASE64;
	case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
		return SG_ENCODING_QP;
	case GMIME_CONTENT_ENCODING_BINARY:
		return SG_ENCODING_OTHER;
	default:
		return SG_ENCODING_TEXT;
	}
}

/* The empty line after a part's headers. */
static void
prescan_headers_end(Prescan *s, goffset body)
{
	Part *c = &s->cur;
	gboolean multipart;

	sg_mime_fields_end(&c->f);
	s->state = S_BODY;
	prescan_headers_row(s, body);
	multipart = c->f.has_ct && g_str_has_prefix(c->f.type, "multipart/");
	if (multipart && c->f.has_boundary)
		sg_mime_limit(s->scan, SG_RULE_MIME_BOUNDARY_LENGTH,
		    (gint64)c->f.boundary_full, c->header_offset, c->path,
		    "Content-Type", "boundary");
	/* GMime parses an embedded message unless a field encodes it. */
	if ((multipart && c->f.has_boundary) ||
	    (prescan_is_message(s) && !c->f.cte_encoded)) {
		prescan_open_container(s, multipart, body);
		return;
	}
	c->body = BODY_LEAF;
	if (multipart) {
		/* GMime reports it too; this is for when GMime is skipped. */
		sg_mime_event(s->scan, SG_RULE_MIME_BOUNDARY_MISSING,
		    c->header_offset, c->path, "Content-Type",
		    "%s: a multipart without a boundary parameter", c->path);
		c->face = TRUE;
		prescan_face_start(s, body);
	}
	sg_encoding_check_init(&c->enc, prescan_encoding_kind(c->f.encoding),
	    body);
	sg_body_scan_init(&c->bs,
	    strcmp(c->f.type, "message/delivery-status") == 0, body);
}

/* How a delimiter line is matched against a boundary. */
typedef enum {
	MATCH_EXACT,  /* "--" boundary ["--"] white space (RFC 2046, GMime) */
	MATCH_PREFIX, /* the line begins with "--" boundary (lenient readers) */
} MatchMode;

/* TRUE when (p, len) is a delimiter of @f by @mode; *close: a close one. */
static gboolean
prescan_delimiter_of(const Frame *f, const char *p, gsize len, MatchMode mode,
    gboolean *close)
{
	gsize k;

	if (f->kind != FRAME_MULTIPART || f->boundary == NULL ||
	    len < 2 + f->blen || memcmp(p + 2, f->boundary, f->blen) != 0)
		return FALSE;
	k = 2 + f->blen;
	*close = k + 1 < len && p[k] == '-' && p[k + 1] == '-';
	if (mode == MATCH_PREFIX)
		return TRUE;
	if (*close)
		k += 2;
	while (k < len &&
	    (p[k] == ' ' || p[k] == '\t' || p[k] == '\r' || p[k] == '\n'))
		k++;
	return k == len;
}

/*
 * Index of the innermost multipart, below @from, whose delimiter (p, len)
 * is by @mode, among the open ones (@closed FALSE) or the closed ones;
 * -1 when none.
 */
static gint
prescan_match(Prescan *s, const char *p, gsize len, MatchMode mode, gint from,
    gboolean closed, gboolean *close)
{
	for (gint i = from; i >= 0; i--) {
		const Frame *f = g_ptr_array_index(s->frames, (guint)i);

		if (f->closed == closed &&
		    prescan_delimiter_of(f, p, len, mode, close))
			return i;
	}
	return -1;
}

static const char *
prescan_frame_path(Prescan *s, gint i)
{
	return ((const Frame *)g_ptr_array_index(s->frames, (guint)i))->path;
}

/*
 * A line that begins with "--" in a multipart: where readers that match
 * delimiters otherwise than GMime (by prefix, outermost first, past the
 * close delimiter) see another tree.  @exact: GMime's match, or -1.
 */
static void
prescan_delimiter_readings(Prescan *s, const char *p, gsize len, goffset off,
    gint exact)
{
	gint top = (gint)s->frames->len - 1;
	gboolean close;
	gint prefix =
	    prescan_match(s, p, len, MATCH_PREFIX, top, FALSE, &close);
	gint other;

	if (exact >= 0) {
		other = prescan_match(s, p, len, MATCH_EXACT, exact - 1, FALSE,
		    &close);
		if (other >= 0)
			sg_mime_ambiguous(s->scan, off,
			    prescan_frame_path(s, exact), NULL,
			    "a line that is a delimiter of two multiparts",
			    "innermost first (GMime)",
			    prescan_frame_path(s, exact), "outermost first",
			    prescan_frame_path(s, other));
		else if (prefix >= 0 && prefix != exact)
			sg_mime_ambiguous(s->scan, off,
			    prescan_frame_path(s, exact), NULL,
			    "a delimiter line",
			    "exact match (GMime, RFC 2046): delimiter of",
			    prescan_frame_path(s, exact),
			    "prefix match: delimiter of",
			    prescan_frame_path(s, prefix));
		return;
	}
	if (prefix >= 0) {
		const Frame *f = g_ptr_array_index(s->frames, (guint)prefix);
		gsize k = 2 + f->blen;
		g_autofree char *rest =
		    sg_escape_bytes(p + k, MIN(len - k, (gsize)40), 40);

		sg_mime_event(s->scan, SG_RULE_MIME_DELIMITER_SUFFIX, off,
		    f->path, NULL,
		    "%s: a line that begins with its delimiter and goes on "
		    "with '%s'",
		    f->path, rest);
		sg_mime_ambiguous(s->scan, off, f->path, NULL,
		    "a line that begins with a delimiter",
		    "exact match (GMime, RFC 2046): body text", NULL,
		    "prefix match: delimiter of", f->path);
		return;
	}
	other = prescan_match(s, p, len, MATCH_EXACT, top, TRUE, &close);
	if (other >= 0)
		sg_mime_ambiguous(s->scan, off, prescan_frame_path(s, other),
		    NULL, "a delimiter after the close delimiter",
		    "GMime and RFC 2046 (epilogue text)", NULL,
		    "readers that read on past a close delimiter: delimiter of",
		    prescan_frame_path(s, other));
}

/* Pops the innermost frame; a multipart that never saw its boundary. */
static void
prescan_pop(Prescan *s)
{
	Frame *f = g_ptr_array_index(s->frames, s->frames->len - 1);

	if (f->kind == FRAME_MULTIPART && f->boundary != NULL &&
	    f->children == 0)
		sg_mime_event(s->scan, SG_RULE_MIME_BOUNDARY_NOT_FOUND,
		    f->offset, f->path, "Content-Type",
		    f->closed ? "%s: a close delimiter but no part"
		              : "%s: the boundary never appears in the body",
		    f->path);
	g_ptr_array_remove_index(s->frames, s->frames->len - 1);
}

static void
prescan_boundary(Prescan *s, guint index, gboolean close, goffset off,
    gsize len)
{
	Frame *f;

	/* A delimiter right after a delimiter: no headers, no content. */
	if (s->in_part && s->state == S_HEADERS && s->cur.f.header_bytes == 0 &&
	    s->cur.depth > 0 && s->scan->pre_no_headers == SG_OFFSET_NONE)
		s->scan->pre_no_headers = s->cur.header_offset;
	/* The line break before the delimiter belongs to it. */
	prescan_part_end(s, off);
	while (s->frames->len > index + 1)
		prescan_pop(s);
	f = g_ptr_array_index(s->frames, index);
	if (close) {
		f->closed = TRUE;
		s->state = S_BODY;
		s->cur.body = BODY_EPILOGUE;
		prescan_face_start(s, off + (goffset)len);
		return;
	}
	f->children++;
	prescan_part_start(s, g_strdup_printf("%s.%u", f->path, f->children),
	    f->depth + 1, off + (goffset)len, FALSE);
}

/* Counts bytes GMime would copy into memory (see MIME_FACE_MAX). */
static void
prescan_face(Prescan *s, gsize len, goffset off)
{
	s->face_bytes += len;
	if (s->face_bytes <= MIME_FACE_MAX || s->face_reported)
		return;
	s->face_reported = TRUE;
	s->scan->breached = TRUE;
	sg_mime_event(s->scan, SG_RULE_MIME_MALFORMED, s->face_offset,
	    s->in_part ? s->cur.path : NULL, NULL,
	    "more than %d bytes outside any part (a preamble, an epilogue "
	    "or a multipart without boundary); GMime would hold them in "
	    "memory, so only the pre-scan judged this message",
	    MIME_FACE_MAX);
	(void)off;
}

/*
 * Part structure in a preamble or an epilogue: a "--" line and a part's
 * fields, where only readers that take another boundary find a part.
 */
static void
prescan_face_parts(Prescan *s, const char *p, gsize len, goffset off)
{
	const char *path;

	sg_body_scan_feed(&s->face_scan, p, len, off);
	if (s->face_scan.mime_parts == SG_OFFSET_NONE ||
	    s->face_reported_parts || s->frames->len == 0)
		return;
	s->face_reported_parts = TRUE;
	path = ((const Frame *)g_ptr_array_index(s->frames, s->frames->len - 1))
	           ->path;
	sg_mime_event(s->scan, SG_RULE_MIME_UNDECLARED_PARTS,
	    s->face_scan.mime_parts, path, NULL,
	    "%s: a delimiter line and part headers in the %s, outside "
	    "every part",
	    path, s->cur.body == BODY_PREAMBLE ? "preamble" : "epilogue");
}

/*
 * A bare CR before a delimiter inside a body line: readers that end lines
 * at a CR see a delimiter there, GMime and RFC 2046 body text.
 */
static void
prescan_cr_delimiters(Prescan *s, const char *p, gsize len, goffset off)
{
	const char *end = p + len;
	const char *q = p;
	gboolean close;

	/* memchr for the CR first: it is rare inside a line, and memmem's
	 * setup for each of millions of short lines was 11% of a scan. */
	while (q < end && (q = memchr(q, '\r', (gsize)(end - q))) != NULL) {
		const char *nl;
		gsize n;
		gint i;

		if (end - q < 3 || q[1] != '-' || q[2] != '-') {
			q++;
			continue;
		}
		nl = memchr(q, '\n', (gsize)(end - q));
		n = (gsize)((nl != NULL ? nl : end) - q) - 1;
		i = prescan_match(s, q + 1, n, MATCH_PREFIX,
		    (gint)s->frames->len - 1, FALSE, &close);

		if (i >= 0) {
			sg_mime_ambiguous(s->scan, off + (goffset)(q - p),
			    prescan_frame_path(s, i), NULL,
			    "a bare CR before a delimiter",
			    "CR as a byte (GMime, RFC 2046): body text", NULL,
			    "CR as a line end: delimiter of",
			    prescan_frame_path(s, i));
			return;
		}
		q += 3;
	}
}

static void
prescan_body(Prescan *s, const char *p, gsize len, goffset off, gboolean first)
{
	if (s->frames->len > 0)
		prescan_cr_delimiters(s, p, len, off);
	if (s->cur.body == BODY_PREAMBLE || s->cur.body == BODY_EPILOGUE)
		prescan_face_parts(s, p, len, off);
	switch (s->cur.body) {
	case BODY_LEAF:
		if (s->in_part) {
			if (s->run_len > 0 && s->run_p + s->run_len == p) {
				s->run_len += len;
			} else {
				prescan_flush_run(s);
				s->run_p = p;
				s->run_len = len;
				s->run_off = off;
			}
		}
		if (s->cur.face)
			prescan_face(s, len, off);
		break;
	case BODY_PREAMBLE:
		prescan_face(s, len, off);
		break;
	case BODY_EPILOGUE:
		prescan_face(s, len, off);
		if (s->frames->len > 0) {
			Frame *f =
			    g_ptr_array_index(s->frames, s->frames->len - 1);

			if (f->closed && !f->junk_seen) {
				for (gsize i = 0; i < len; i++) {
					if (!prescan_is_space((guchar)p[i])) {
						f->junk_seen = TRUE;
						sg_mime_event(s->scan,
						    SG_RULE_MIME_JUNK_AFTER_CLOSE,
						    off, f->path, NULL,
						    "text after the close "
						    "delimiter of %s",
						    f->path);
						break;
					}
				}
			}
		}
		break;
	default:
		break;
	}
	(void)first;
}

/* A header line, or a piece of one: the empty line ends the block. */
static void
prescan_header_line(Prescan *s, const char *p, gsize len, goffset off,
    gboolean first, gboolean last)
{
	if (sg_mime_fields_line(&s->cur.f, p, len, off, first, last))
		prescan_headers_end(s, off + (goffset)len);
}

/* One line, or one piece of a line longer than the buffer. */
static void
prescan_line(Prescan *s, const char *p, gsize len, goffset off, gboolean first,
    gboolean last)
{
	/*
	 * The first piece of an over-long line can be a delimiter followed
	 * by white space: GMime matches such pieces too.
	 */
	if (first && len >= 2 && p[0] == '-' && p[1] == '-' &&
	    s->frames->len > 0) {
		gboolean close = FALSE;
		gint index = prescan_match(s, p, len, MATCH_EXACT,
		    (gint)s->frames->len - 1, FALSE, &close);

		prescan_delimiter_readings(s, p, len, off, index);
		if (index >= 0) {
			prescan_boundary(s, (guint)index, close, off, len);
			return;
		}
	}
	if (s->state == S_HEADERS && s->in_part)
		prescan_header_line(s, p, len, off, first, last);
	else
		prescan_body(s, p, len, off, first);
}

/*
 * In a body, only a line that starts with '-' can change the pre-scan's
 * state (a delimiter); every other line is just body bytes.  Returns the
 * length of the whole lines at the start of (p, n), p being a line start,
 * that hold no such line, so they go to prescan_body in one piece instead of
 * one call a line.  0 when the first line is one to look at or is not
 * complete in (p, n).
 */
static gsize
prescan_body_bulk(const Prescan *s, const char *p, gsize n)
{
	const char *last = memrchr(p, '\n', n);
	gsize lim, i = 1;

	if (last == NULL)
		return 0;
	lim = (gsize)(last - p) + 1;
	if (s->frames->len == 0)
		return lim; /* no delimiter to look for */
	if (p[0] == '-')
		return 0;
	while (i < lim) {
		const char *dash = memchr(p + i, '-', lim - i);

		if (dash == NULL)
			break;
		if (dash[-1] == '\n')
			return (gsize)(dash - p);
		i = (gsize)(dash - p) + 1;
	}
	return lim;
}

static gboolean
prescan_run(Prescan *s, GMimeStream *stream, GError **error)
{
	g_autofree char *buf = g_malloc(MIME_CHUNK);
	gsize have = 0;
	goffset pos = 0;
	gboolean line_first = TRUE;

	prescan_part_start(s, g_strdup("1"), 0, 0, TRUE);
	for (;;) {
		ssize_t n =
		    g_mime_stream_read(stream, buf + have, MIME_CHUNK - have);
		gsize start = 0;
		const char *nl;

		if (n < 0) {
			g_set_error(error, SG_CHECK_ERROR, SG_CHECK_ERROR_IO,
			    "%s: cannot read the content", s->scan->msg->id);
			return FALSE;
		}
		have += (gsize)n;
		for (;;) {
			gsize len;

			if (line_first &&
			    !(s->state == S_HEADERS && s->in_part)) {
				len = prescan_body_bulk(s, buf + start,
				    have - start);
				if (len > 0) {
					prescan_body(s, buf + start, len,
					    pos + (goffset)start, TRUE);
					start += len;
					continue;
				}
			}
			nl = memchr(buf + start, '\n', have - start);
			if (nl == NULL)
				break;
			len = (gsize)(nl - (buf + start)) + 1;

			prescan_line(s, buf + start, len, pos + (goffset)start,
			    line_first, TRUE);
			line_first = TRUE;
			start += len;
		}
		if (n == 0) {
			if (start < have)
				prescan_line(s, buf + start, have - start,
				    pos + (goffset)start, line_first, TRUE);
			prescan_flush_run(s);
			pos += (goffset)have;
			break;
		}
		if (start == 0 && have == MIME_CHUNK) {
			prescan_line(s, buf, have, pos, line_first, FALSE);
			prescan_flush_run(s);
			line_first = FALSE;
			pos += (goffset)have;
			have = 0;
		} else {
			prescan_flush_run(s); /* the bytes are about to move */
			memmove(buf, buf + start, have - start);
			pos += (goffset)start;
			have -= start;
		}
	}
	prescan_part_end(s, pos);
	while (s->frames->len > 0)
		prescan_pop(s);
	s->scan->content_end = pos;
	if (s->scan->root_header_end == SG_OFFSET_NONE)
		s->scan->root_header_end = pos;
	return TRUE;
}

gboolean
sg_mime_prescan(SgMimeScan *scan, GMimeStream *stream, GError **error)
{
	g_autoptr(GPtrArray) frames =
	    g_ptr_array_new_with_free_func(frame_free);
	g_autofree Prescan *s = g_new0(Prescan, 1);
	const SgProfile *profile = scan->profile;
	gboolean ok;

	s->scan = scan;
	s->frames = frames;
	s->soft_parts = sg_profile_soft(profile, SG_RULE_MIME_PART_COUNT);
	s->boundary_keep = (gsize)sg_mime_cap(profile,
	    SG_RULE_MIME_BOUNDARY_LENGTH, SG_MIME_BOUNDARY_CEILING);
	s->bytes = sg_header_scan_new_parts(profile, scan->msg);
	ok = prescan_run(s, stream, error);
	sg_header_scan_finish(s->bytes, NULL);
	sg_header_scan_free(s->bytes);
	g_free(s->cur.path);
	sg_mime_fields_clear(&s->cur.f);
	return ok;
}
