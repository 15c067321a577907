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
 * fields of each part go through the tokenizer (check-mime-token.c); leaf
 * bodies through the encoding check (check-encoding.c).  A hard limit
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
	guint nfields;
	gsize header_bytes;
	gboolean has_ct;
	char type[SG_MIME_TYPE_KEEP + 1];
	char *boundary;
	gsize boundary_full;
	gboolean has_boundary;
	gboolean has_cte;
	char cte[SG_MIME_CTE_KEEP + 1];
	BodyKind body;
	SgEncodingCheck enc;
	gint row;
	gboolean block_reported;
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
	gint64 hard_header_block;
	GPtrArray *frames; /* Frame* */
	ScanState state;
	Part cur;
	gboolean in_part;
	/* the header field being read */
	SgMimeToken field;
	char field_name[SG_MIME_NAME_KEEP + 1];
	goffset field_offset;
	gboolean field_open;
	guint enc_reports;
	gsize face_bytes;
	goffset face_offset;
	gboolean face_reported;
	/* Leaf body bytes not yet fed to the encoding check (in the buffer). */
	const char *run_p;
	gsize run_len;
	goffset run_off;
} Prescan;

/* ---- the pre-scan: header fields ---------------------------------------- */

static gboolean
prescan_is_space(guchar c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
prescan_param(gpointer data, const char *name, gsize len, goffset offset)
{
	Prescan *s = data;
	g_autofree char *what = g_strdup_printf("parameter %s value",
	    name[0] != '\0' ? name : "(unnamed)");

	sg_mime_limit(s->scan, SG_RULE_MIME_PARAM_LENGTH, (gint64)len, offset,
	    s->cur.path, s->field_name, what);
}

static void
prescan_encoded_word(gpointer data, goffset offset, gsize len,
    const char *defect)
{
	Prescan *s = data;

	sg_mime_limit(s->scan, SG_RULE_MIME_ENCODED_WORD_LENGTH, (gint64)len,
	    offset, s->cur.path, s->field_name, "encoded word");
	if (defect != NULL)
		sg_mime_event(s->scan, SG_RULE_HEADER_BAD_ENCODED_WORD, offset,
		    s->cur.path, s->field_name, "RFC 2047 encoded word with %s",
		    defect);
}

static const SgMimeTokenSink prescan_sink = {
	prescan_param,
	prescan_encoded_word,
};

/* TRUE when (a, alen) differs from the NUL-terminated @b. */
static gboolean
prescan_differs(const char *b, const char *a, gsize alen)
{
	return strlen(b) != alen || memcmp(b, a, alen) != 0;
}

/* Ends the open field: the part takes its first Content-Type and -CTE. */
static void
prescan_field_close(Prescan *s)
{
	SgMimeToken *f = &s->field;
	Part *c = &s->cur;

	if (!s->field_open)
		return;
	s->field_open = FALSE;
	sg_mime_token_finish(f);
	if (s->scan->pre_conflict == SG_OFFSET_NONE &&
	    ((f->kind == SG_MIME_FIELD_CT && c->has_ct &&
	         prescan_differs(c->type, f->type, f->type_len)) ||
	        (f->kind == SG_MIME_FIELD_CTE && c->has_cte &&
	            prescan_differs(c->cte, f->cte, f->cte_len))))
		s->scan->pre_conflict = s->field_offset;
	if (f->kind == SG_MIME_FIELD_CT && !c->has_ct) {
		c->has_ct = TRUE;
		memcpy(c->type, f->type, f->type_len + 1);
		if (f->has_boundary) {
			c->has_boundary = TRUE;
			c->boundary_full = f->boundary_len;
			g_free(c->boundary);
			c->boundary = g_steal_pointer(&f->boundary);
		}
	}
	if (f->kind == SG_MIME_FIELD_CTE && !c->has_cte) {
		c->has_cte = TRUE;
		memcpy(c->cte, f->cte, f->cte_len + 1);
	}
	sg_mime_token_clear(f);
}

/* Opens a field whose first line is (p, len); the name ends at @colon. */
static void
prescan_field_open(Prescan *s, const char *p, gsize len, gsize colon,
    goffset off)
{
	gsize nlen = colon;

	while (nlen > 0 && (p[nlen - 1] == ' ' || p[nlen - 1] == '\t'))
		nlen--;
	memcpy(s->field_name, p, MIN(nlen, (gsize)SG_MIME_NAME_KEEP));
	s->field_name[MIN(nlen, (gsize)SG_MIME_NAME_KEEP)] = '\0';
	sg_mime_token_init(&s->field, sg_mime_field_kind(p, nlen),
	    s->boundary_keep, &prescan_sink, s);
	s->field_offset = off;
	s->field_open = TRUE;
	sg_mime_token_feed(&s->field, p + colon + 1, len - colon - 1,
	    off + (goffset)colon + 1);
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
prescan_part_start(Prescan *s, char *path, guint depth, goffset offset)
{
	Part *c = &s->cur;

	prescan_flush_run(s);
	g_free(c->path);
	g_free(c->boundary);
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->depth = depth;
	c->header_offset = offset;
	c->row = -1;
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

/* Ends the current part at content offset @end (before a delimiter). */
static void
prescan_part_end(Prescan *s, goffset end)
{
	Part *c = &s->cur;

	prescan_flush_run(s);
	if (!s->in_part)
		return;
	prescan_field_close(s);
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
}

/* GMime parses an embedded message unless its body is encoded. */
static gboolean
prescan_is_identity(const char *cte, gboolean has_cte)
{
	return !has_cte ||
	    (strcmp(cte, "base64") != 0 &&
	        strcmp(cte, "quoted-printable") != 0 &&
	        strcmp(cte, "x-uuencode") != 0 &&
	        strcmp(cte, "uuencode") != 0 && strcmp(cte, "x-uue") != 0);
}

/*
 * RFC 2046 5.1.1: a boundary must not appear inside the parts it
 * delimits.  An enclosing boundary that is a prefix of this one makes
 * this one's delimiters match the outer one for parsers that compare
 * prefixes (as the RFC allows): the parsers disagree on the tree.
 */
static void
prescan_check_nested_boundary(Prescan *s, const Frame *inner)
{
	for (guint i = 0; i < s->frames->len; i++) {
		const Frame *outer = g_ptr_array_index(s->frames, i);

		if (outer->kind != FRAME_MULTIPART || outer->boundary == NULL ||
		    outer->closed || outer->blen > inner->blen ||
		    memcmp(outer->boundary, inner->boundary, outer->blen) != 0)
			continue;
		sg_mime_event(s->scan, SG_RULE_MIME_MALFORMED, inner->offset,
		    inner->path, "Content-Type",
		    "%s: its boundary begins with the boundary of %s, which "
		    "encloses it; parsers disagree on where parts end",
		    inner->path, outer->path);
		return;
	}
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
	if (kind == FRAME_MULTIPART && c->boundary != NULL) {
		f->boundary = g_steal_pointer(&c->boundary);
		f->blen = strlen(f->boundary);
		f->digest = strcmp(c->type, "multipart/digest") == 0;
		prescan_check_nested_boundary(s, f);
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
		row->content_type =
		    g_strdup(c->has_ct && c->type[0] != '\0' ? c->type : NULL);
		row->encoding = c->has_cte ? g_strdup(c->cte) : NULL;
	}
	if (c->depth > 0)
		sg_mime_limit(s->scan, SG_RULE_MIME_PART_HEADER_COUNT,
		    c->nfields, c->header_offset, c->path, NULL,
		    "header fields in part");
}

/* TRUE when the part is an embedded message (GMime's four types). */
static gboolean
prescan_is_message(Prescan *s)
{
	Part *c = &s->cur;

	/* In a multipart/digest a part without a type is a message. */
	if (!c->has_ct && s->frames->len > 0) {
		Frame *parent =
		    g_ptr_array_index(s->frames, s->frames->len - 1);

		return parent->digest;
	}
	return c->has_ct &&
	    (strcmp(c->type, "message/rfc822") == 0 ||
	        strcmp(c->type, "message/rfc2822") == 0 ||
	        strcmp(c->type, "message/global") == 0 ||
	        strcmp(c->type, "message/news") == 0);
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
	    body);
}

/* The empty line after a part's headers (or a line that is no header). */
static void
prescan_headers_end(Prescan *s, goffset body)
{
	Part *c = &s->cur;
	gboolean multipart;

	prescan_field_close(s);
	s->state = S_BODY;
	prescan_headers_row(s, body);
	multipart = c->has_ct && g_str_has_prefix(c->type, "multipart/");
	if (multipart && c->has_boundary)
		sg_mime_limit(s->scan, SG_RULE_MIME_BOUNDARY_LENGTH,
		    (gint64)c->boundary_full, c->header_offset, c->path,
		    "Content-Type", "boundary");
	if ((multipart && c->has_boundary) ||
	    (prescan_is_message(s) &&
	        prescan_is_identity(c->cte, c->has_cte))) {
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
	sg_encoding_check_init(&c->enc,
	    sg_encoding_kind(c->cte, strlen(c->cte)), body);
}

/*
 * Index of the innermost open multipart whose delimiter (p, len) is:
 * "--" boundary, an optional "--", then only white space (as GMime).
 */
static gboolean
prescan_match_boundary(Prescan *s, const char *p, gsize len, guint *index,
    gboolean *close)
{
	for (guint i = s->frames->len; i-- > 0;) {
		Frame *f = g_ptr_array_index(s->frames, i);
		gsize k;
		gboolean is_close = FALSE;

		if (f->kind != FRAME_MULTIPART || f->boundary == NULL ||
		    f->closed || len < 2 + f->blen ||
		    memcmp(p + 2, f->boundary, f->blen) != 0)
			continue;
		k = 2 + f->blen;
		if (k + 1 < len && p[k] == '-' && p[k + 1] == '-') {
			is_close = TRUE;
			k += 2;
		}
		while (k < len &&
		    (p[k] == ' ' || p[k] == '\t' || p[k] == '\r' ||
		        p[k] == '\n'))
			k++;
		if (k == len) {
			*index = i;
			*close = is_close;
			return TRUE;
		}
	}
	return FALSE;
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
	if (s->in_part && s->state == S_HEADERS && s->cur.header_bytes == 0 &&
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
	    f->depth + 1, off + (goffset)len);
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

static void
prescan_body(Prescan *s, const char *p, gsize len, goffset off, gboolean first)
{
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

static void
prescan_header_line(Prescan *s, const char *p, gsize len, goffset off,
    gboolean first, gboolean last)
{
	Part *c = &s->cur;
	gsize l = len;
	const char *colon;

	c->header_bytes += len;
	if (!c->block_reported) {
		gint64 hard = s->hard_header_block;

		if (hard != SG_VALUE_NONE && (gint64)c->header_bytes > hard) {
			c->block_reported = TRUE;
			s->scan->breached = TRUE;
			/* The root's block is the header check's to report. */
			if (c->depth > 0)
				sg_mime_limit(s->scan,
				    SG_RULE_HEADER_BLOCK_SIZE,
				    (gint64)c->header_bytes, c->header_offset,
				    c->path, NULL, "part header block");
		}
	}
	if (!first) {
		if (s->field_open)
			sg_mime_token_feed(&s->field, p, len, off);
		return;
	}
	if (l > 0 && p[l - 1] == '\n')
		l--;
	if (l > 0 && p[l - 1] == '\r')
		l--;
	if (l == 0 && last) {
		c->header_bytes -= len;
		prescan_headers_end(s, off + (goffset)len);
		return;
	}
	if (p[0] == ' ' || p[0] == '\t') {
		if (s->field_open)
			sg_mime_token_feed(&s->field, p, len, off);
		return;
	}
	colon = memchr(p, ':', l);
	if (colon != NULL && colon > p) {
		gsize n = (gsize)(colon - p);
		gboolean ok = TRUE;

		for (gsize i = 0; i < n && ok; i++)
			ok = (sg_byte_class[(guchar)p[i]] & SG_BYTE_FTEXT) ||
			    ((p[i] == ' ' || p[i] == '\t') && i > 0);
		if (ok) {
			prescan_field_close(s);
			c->nfields++;
			prescan_field_open(s, p, len, n, off);
			return;
		}
	}
	/* Not a header line: the body starts here. */
	if (c->depth > 0 && l > 0 &&
	    s->scan->pre_invalid_name == SG_OFFSET_NONE &&
	    !(l >= 5 && memcmp(p, "From ", 5) == 0))
		s->scan->pre_invalid_name = off;
	c->header_bytes -= len;
	prescan_headers_end(s, off);
	if (s->state == S_HEADERS) /* an embedded message starts here */
		prescan_header_line(s, p, len, off, first, last);
	else
		prescan_body(s, p, len, off, first);
}

/* One line, or one piece of a line longer than the buffer. */
static void
prescan_line(Prescan *s, const char *p, gsize len, goffset off, gboolean first,
    gboolean last)
{
	guint index;
	gboolean close;

	/*
	 * The first piece of an over-long line can be a delimiter followed
	 * by white space: GMime matches such pieces too.
	 */
	if (first && len >= 2 && p[0] == '-' && p[1] == '-' &&
	    s->frames->len > 0 &&
	    prescan_match_boundary(s, p, len, &index, &close)) {
		prescan_boundary(s, index, close, off, len);
		return;
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

	prescan_part_start(s, g_strdup("1"), 0, 0);
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
	if (s->state == S_HEADERS && s->in_part)
		prescan_field_close(s);
	prescan_part_end(s, pos);
	while (s->frames->len > 0)
		prescan_pop(s);
	s->scan->content_end = pos;
	if (s->scan->root_header_end == SG_OFFSET_NONE)
		s->scan->root_header_end = pos;
	return TRUE;
}

/* ---- what the other passes read ------------------------------------------ */

/* Rows are sorted by offset: a binary search. */
const SgMimeRow *
sg_mime_row_at(SgMimeScan *s, goffset off)
{
	guint lo = 0;
	guint hi = s->rows->len;

	if (off == SG_OFFSET_NONE || hi == 0)
		return NULL;
	while (hi - lo > 1) {
		guint mid = lo + (hi - lo) / 2;
		SgMimeRow *row = g_ptr_array_index(s->rows, mid);

		if (row->header_offset <= off)
			lo = mid;
		else
			hi = mid;
	}
	return g_ptr_array_index(s->rows, lo);
}

void
sg_mime_prescan_report(SgMimeScan *s)
{
	const SgMimeRow *row;

	if (s->pre_invalid_name != SG_OFFSET_NONE) {
		row = sg_mime_row_at(s, s->pre_invalid_name);
		sg_mime_event(s, SG_RULE_HEADER_INVALID_NAME,
		    s->pre_invalid_name, row != NULL ? row->path : NULL, NULL,
		    "a part header line that is no header field");
	}
	if (s->pre_no_headers != SG_OFFSET_NONE) {
		row = sg_mime_row_at(s, s->pre_no_headers);
		sg_mime_event(s, SG_RULE_MIME_PART_WITHOUT_HEADERS,
		    s->pre_no_headers, row != NULL ? row->path : NULL, NULL,
		    "a part with neither headers nor content");
	}
	if (s->pre_conflict != SG_OFFSET_NONE) {
		row = sg_mime_row_at(s, s->pre_conflict);
		sg_mime_event(s, SG_RULE_HEADER_CONFLICTING, s->pre_conflict,
		    row != NULL ? row->path : NULL, NULL,
		    "two Content-Type or Content-Transfer-Encoding fields "
		    "with different values");
	}
}

void
sg_mime_prescan_inspect(SgMimeScan *s, SgInspect *inspect)
{
	for (guint i = 0; i < s->rows->len; i++) {
		SgMimeRow *r = g_ptr_array_index(s->rows, i);
		SgPartRow *row = g_new0(SgPartRow, 1);

		row->path = g_strdup(r->path);
		row->depth = r->depth;
		row->content_type = g_strdup(
		    r->content_type != NULL ? r->content_type : "text/plain");
		row->encoding = g_strdup(r->encoding);
		row->header_offset = r->header_offset;
		row->body_offset = r->body_offset;
		row->size =
		    r->body_offset != SG_OFFSET_NONE && r->end != SG_OFFSET_NONE
		    ? r->end - r->body_offset
		    : SG_VALUE_NONE;
		g_ptr_array_add(inspect->parts, row);
	}
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
	s->hard_header_block =
	    sg_profile_hard(profile, SG_RULE_HEADER_BLOCK_SIZE);
	ok = prescan_run(s, stream, error);
	g_free(s->cur.path);
	g_free(s->cur.boundary);
	sg_mime_token_clear(&s->field);
	return ok;
}
