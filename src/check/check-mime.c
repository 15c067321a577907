// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-mime.c - the MIME structure check: a streaming pre-scan with the
 * limits GMime lacks, then GMime's parse with every warning mapped to a
 * rule id, then a bounded walk of the tree (encoding domain, duplicate and
 * conflicting headers, libmagic per leaf, the inspect rows).
 *
 * Memory is bounded by the profile, not by the message: the pre-scan reads
 * the content in 64 KiB chunks and keeps a boundary stack no deeper than
 * mime.depth's hard limit, boundaries no longer than mime.boundary-length's
 * hard limit and a part table no longer than mime.part-count's hard limit.
 * When a hard limit is already breached (nesting bomb, 60,000 parts, a
 * 20 KB boundary, a 300 KB parameter) GMime is not run at all: the message
 * is quarantined anyway, and GMime would build one object per part and
 * recurse per level.  GMime parses over the message's own stream in
 * persist mode, so part contents stay substreams of the file.
 *
 * Offsets: GMime reports stream positions, which for window streams are
 * file positions; they are turned into content offsets by subtracting the
 * stream's start position.  Findings of one rule are capped per message.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"
#include "spoolguard/stream.h"

#include "check-mime-private.h"

#define MIME_CHUNK (64 * 1024)
#define MIME_FINDINGS_PER_RULE 10
#define MIME_KEEP_TYPE 128
#define MIME_KEEP_NAME 64
#define MIME_KEEP_CTE 32
#define MIME_DEPTH_FALLBACK 1000
#define MIME_PARTS_FALLBACK 100000
#define MIME_BOUNDARY_FALLBACK 4096
/*
 * GMime keeps a multipart's preamble and epilogue (and the whole body of
 * a multipart without a boundary) in memory, persist mode or not: past
 * this size the message is not handed to GMime.
 */
#define MIME_FACE_MAX (1024 * 1024)

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
} ScanRow;

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
	FIELD_OTHER,
	FIELD_CT,
	FIELD_CTE,
	FIELD_CD,
} FieldKind;

typedef enum {
	P_TYPE,
	P_TYPE_COMMENT,
	P_NAME,
	P_VAL_START,
	P_TOKEN,
	P_QUOTED,
	P_QESC,
	P_AFTER,
} ParamState;

/* A header field being streamed through the pre-scan. */
typedef struct {
	FieldKind kind;
	char name[MIME_KEEP_NAME + 1];
	goffset offset;
	/* encoded words */
	gboolean ew_in;
	guint ew_q;
	gsize ew_len;
	goffset ew_start;
	guchar ew_enc;     /* the encoding letter, B or Q */
	guint ew_enc_len;  /* bytes between the 2nd and 3rd '?' */
	gsize ew_text_len; /* encoded text bytes */
	gboolean ew_bad;   /* a byte the encoding does not allow */
	guchar prev;
	/* parameters (Content-Type, Content-Disposition) */
	ParamState pstate;
	char type[MIME_KEEP_TYPE + 1];
	gsize type_len;
	char pname[MIME_KEEP_NAME + 1];
	gsize pname_len;
	char base[MIME_KEEP_NAME + 1];
	gsize pvalue_len;
	goffset pvalue_offset;
	gsize acc_len;
	goffset acc_offset;
	gboolean capture_boundary;
	char *boundary; /* (owned) (nullable): a boundary= value, capped */
	gsize boundary_len;
	gsize boundary_full;
	gboolean has_boundary;
	/* Content-Transfer-Encoding */
	char cte[MIME_KEEP_CTE + 1];
	gsize cte_len;
} Field;

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
	char type[MIME_KEEP_TYPE + 1];
	char *boundary;
	gsize boundary_full;
	gboolean has_boundary;
	gboolean has_cte;
	char cte[MIME_KEEP_CTE + 1];
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

typedef struct {
	SgMessage *msg;
	const SgProfile *profile;
	gint64 base; /* stream position of content offset 0 */
	gint64 cap_depth;
	gint64 cap_parts;
	gint64 soft_parts;
	gsize boundary_keep;
	gint64 hard_header_block;
	GPtrArray *frames; /* Frame* */
	GPtrArray *rows;   /* ScanRow* */
	ScanState state;
	Part cur;
	gboolean in_part;
	Field field;
	gboolean field_open;
	guint64 parts;
	goffset parts_offset;
	gint64 max_depth;
	goffset max_depth_offset;
	gboolean breached;
	goffset root_header_end;
	goffset content_end;
	guint reported[SG_RULE_COUNT];
	guint enc_reports;
	/* What GMime would report, kept for when it is not run. */
	goffset pre_invalid_name;
	goffset pre_no_headers;
	goffset pre_conflict;
	gsize face_bytes;
	goffset face_offset;
	gboolean face_reported;
	guint content_reports;
	/* Leaf body bytes not yet fed to the encoding check (in the buffer). */
	const char *run_p;
	gsize run_len;
	goffset run_off;
} Scan;

static void
scan_row_free(gpointer data)
{
	ScanRow *row = data;

	g_free(row->path);
	g_free(row->content_type);
	g_free(row->encoding);
	g_free(row);
}

static void
frame_free(gpointer data)
{
	Frame *f = data;

	g_free(f->boundary);
	g_free(f->path);
	g_free(f);
}

/* ---- findings ---------------------------------------------------------- */

static gboolean
mime_already_reported(Scan *s, SgRuleId rule, goffset content_offset)
{
	guint file = G_MAXUINT;
	goffset file_offset = SG_OFFSET_NONE;

	if (content_offset != SG_OFFSET_NONE)
		sg_message_locate(s->msg, content_offset, &file, &file_offset);
	for (guint i = 0; i < s->msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(s->msg->findings, i);

		if (f->rule == rule && f->offset == file_offset)
			return TRUE;
	}
	return FALSE;
}

static gboolean
mime_rule_has_finding(Scan *s, SgRuleId rule)
{
	for (guint i = 0; i < s->msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(s->msg->findings, i);

		if (f->rule == rule)
			return TRUE;
	}
	return FALSE;
}

static void mime_event(Scan *s, SgRuleId rule, goffset offset, const char *part,
    const char *header, const char *fmt, ...) G_GNUC_PRINTF(6, 7);

/* Records an EVENT rule once per offset, at most MIME_FINDINGS_PER_RULE. */
static void
mime_event(Scan *s, SgRuleId rule, goffset offset, const char *part,
    const char *header, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	if (s->reported[rule] >= MIME_FINDINGS_PER_RULE ||
	    mime_already_reported(s, rule, offset))
		return;
	s->reported[rule]++;
	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	sg_check_event(s->msg, s->profile, rule, offset, part, header, "%s",
	    text);
}

/* Judges a LIMIT rule; remembers a hard breach (GMime is then skipped). */
static void
mime_limit(Scan *s, SgRuleId rule, gint64 observed, goffset offset,
    const char *part, const char *header, const char *what)
{
	gint64 hard = sg_profile_hard(s->profile, rule);
	gint64 soft = sg_profile_soft(s->profile, rule);

	if (hard != SG_VALUE_NONE && observed > hard)
		s->breached = TRUE;
	if ((hard == SG_VALUE_NONE || observed <= hard) &&
	    (soft == SG_VALUE_NONE || observed <= soft))
		return;
	if (s->reported[rule] >= MIME_FINDINGS_PER_RULE)
		return;
	s->reported[rule]++;
	sg_check_limit(s->msg, s->profile, rule, observed, offset, part, header,
	    what);
}

/* ---- the pre-scan: header fields ---------------------------------------- */

static gboolean
field_is_space(guchar c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
field_flush_param(Scan *s, Field *f)
{
	if (f->acc_offset != SG_OFFSET_NONE) {
		g_autofree char *what = g_strdup_printf("parameter %s value",
		    f->base[0] != '\0' ? f->base : "(unnamed)");

		mime_limit(s, SG_RULE_MIME_PARAM_LENGTH, (gint64)f->acc_len,
		    f->acc_offset, s->cur.path, f->name, what);
	}
	f->acc_len = 0;
	f->acc_offset = SG_OFFSET_NONE;
	f->base[0] = '\0';
}

static void
field_value_end(Scan *s, Field *f)
{
	char base[MIME_KEEP_NAME + 1];
	const char *star = strchr(f->pname, '*');
	gsize blen = star != NULL ? (gsize)(star - f->pname) : f->pname_len;
	gboolean continued = star != NULL && g_ascii_isdigit(star[1]);

	memcpy(base, f->pname, blen);
	base[blen] = '\0';
	if (continued && f->acc_offset != SG_OFFSET_NONE &&
	    strcmp(base, f->base) == 0) {
		f->acc_len += f->pvalue_len;
	} else {
		field_flush_param(s, f);
		memcpy(f->base, base, blen + 1);
		f->acc_len = f->pvalue_len;
		f->acc_offset = f->pvalue_offset;
	}
	if (f->capture_boundary) {
		f->boundary_full = f->pvalue_len;
		f->has_boundary = TRUE;
		f->capture_boundary = FALSE;
	}
	f->pname_len = 0;
	f->pname[0] = '\0';
}

static void
field_value_byte(Field *f, guchar c)
{
	f->pvalue_len++;
	if (f->capture_boundary && f->boundary_len < f->boundary_full) {
		/* boundary_full holds the capacity while capturing */
		f->boundary[f->boundary_len++] = (char)c;
	}
}

static void
field_value_start(Scan *s, Field *f, goffset off)
{
	f->pvalue_len = 0;
	f->pvalue_offset = off;
	if (f->kind == FIELD_CT && !f->has_boundary &&
	    g_ascii_strcasecmp(f->pname, "boundary") == 0) {
		g_free(f->boundary);
		f->boundary = g_malloc(s->boundary_keep + 1);
		f->boundary_len = 0;
		f->boundary_full = s->boundary_keep;
		f->capture_boundary = TRUE;
	}
}

static void
field_param_byte(Scan *s, Field *f, guchar c, goffset off)
{
	switch (f->pstate) {
	case P_TYPE:
		if (c == ';')
			f->pstate = P_NAME;
		else if (c == '(')
			f->pstate = P_TYPE_COMMENT;
		else if (!field_is_space(c) && f->type_len < MIME_KEEP_TYPE)
			f->type[f->type_len++] = g_ascii_tolower((char)c);
		break;
	case P_TYPE_COMMENT:
		if (c == ')')
			f->pstate = P_TYPE;
		break;
	case P_NAME:
		if (c == '=') {
			f->pstate = P_VAL_START;
		} else if (c == ';') {
			f->pname_len = 0;
			f->pname[0] = '\0';
		} else if (!field_is_space(c) &&
		    f->pname_len < MIME_KEEP_NAME) {
			f->pname[f->pname_len++] = g_ascii_tolower((char)c);
			f->pname[f->pname_len] = '\0';
		}
		break;
	case P_VAL_START:
		if (field_is_space(c))
			break;
		if (c == '"') {
			field_value_start(s, f, off + 1);
			f->pstate = P_QUOTED;
		} else if (c == ';') {
			field_value_start(s, f, off);
			field_value_end(s, f);
			f->pstate = P_NAME;
		} else {
			field_value_start(s, f, off);
			field_value_byte(f, c);
			f->pstate = P_TOKEN;
		}
		break;
	case P_TOKEN:
		if (c == ';') {
			field_value_end(s, f);
			f->pstate = P_NAME;
		} else if (field_is_space(c)) {
			field_value_end(s, f);
			f->pstate = P_AFTER;
		} else {
			field_value_byte(f, c);
		}
		break;
	case P_QUOTED:
		if (c == '\\')
			f->pstate = P_QESC;
		else if (c == '"') {
			field_value_end(s, f);
			f->pstate = P_AFTER;
		} else if (c != '\r' && c != '\n')
			field_value_byte(f, c);
		break;
	case P_QESC:
		field_value_byte(f, c);
		f->pstate = P_QUOTED;
		break;
	case P_AFTER:
		if (c == ';')
			f->pstate = P_NAME;
		break;
	}
}

/*
 * A complete "=?charset?E?text?=": RFC 2047 allows only B and Q, base64
 * text in whole quartets of its alphabet, and Q text of printable bytes.
 * Decoders disagree on anything else.
 */
static void
mime_encoded_word_end(Scan *s, Field *f)
{
	guchar enc = (guchar)g_ascii_toupper(f->ew_enc);
	const char *why = NULL;

	if (f->ew_q != 4 || f->ew_enc_len != 1 || (enc != 'B' && enc != 'Q'))
		why = "an encoding other than B or Q";
	else if (f->ew_bad)
		why = enc == 'B' ? "a byte outside the base64 alphabet"
		                 : "a byte Q encoding does not allow";
	else if (enc == 'B' && f->ew_text_len % 4 != 0)
		why = "base64 text that is not whole quartets";
	if (why != NULL)
		mime_event(s, SG_RULE_HEADER_BAD_ENCODED_WORD, f->ew_start,
		    s->cur.path, f->name, "RFC 2047 encoded word with %s", why);
}

static void
field_byte(Scan *s, Field *f, guchar c, goffset off)
{
	if (f->ew_in) {
		f->ew_len++;
		if (c == '?') {
			f->ew_q++;
		} else if (c == '=' && f->prev == '?' && f->ew_q >= 4) {
			mime_limit(s, SG_RULE_MIME_ENCODED_WORD_LENGTH,
			    (gint64)f->ew_len, f->ew_start, s->cur.path,
			    f->name, "encoded word");
			mime_encoded_word_end(s, f);
			f->ew_in = FALSE;
		} else if (field_is_space(c)) {
			f->ew_in = FALSE;
		} else if (f->ew_q == 2) {
			f->ew_enc = c;
			f->ew_enc_len++;
		} else if (f->ew_q == 3) {
			f->ew_text_len++;
			if (g_ascii_toupper(f->ew_enc) == 'B'
			        ? !(g_ascii_isalnum(c) || c == '+' ||
			              c == '/' || c == '=')
			        : (c < 33 || c > 126))
				f->ew_bad = TRUE;
		}
	} else if (c == '?' && f->prev == '=') {
		f->ew_in = TRUE;
		f->ew_len = 2;
		f->ew_q = 1;
		f->ew_start = off - 1;
		f->ew_enc = 0;
		f->ew_enc_len = 0;
		f->ew_text_len = 0;
		f->ew_bad = FALSE;
	}
	f->prev = c;

	if (f->kind == FIELD_CT || f->kind == FIELD_CD) {
		field_param_byte(s, f, c, off);
	} else if (f->kind == FIELD_CTE) {
		if (c == ';' || c == '(')
			f->kind = FIELD_OTHER; /* ignore the rest */
		else if (!field_is_space(c) && f->cte_len < MIME_KEEP_CTE)
			f->cte[f->cte_len++] = g_ascii_tolower((char)c);
	}
}

static void
field_feed(Scan *s, const char *p, gsize len, goffset off)
{
	Field *f = &s->field;

	for (gsize i = 0; i < len; i++) {
		/*
		 * Outside an encoded word, a field the pre-scan does not parse
		 * only needs the '?' of a "=?": jump to the next '?'.
		 */
		if (f->kind == FIELD_OTHER && !f->ew_in) {
			const char *q = memchr(p + i, '?', len - i);
			gsize at = q != NULL ? (gsize)(q - p) : len;

			if (at > i)
				f->prev = (guchar)p[at - 1];
			if (q == NULL)
				return;
			i = at;
		}
		field_byte(s, f, (guchar)p[i], off + (goffset)i);
	}
}

static void
field_close(Scan *s)
{
	Field *f = &s->field;

	if (!s->field_open)
		return;
	s->field_open = FALSE;
	if (f->kind == FIELD_CT || f->kind == FIELD_CD) {
		if (f->pstate == P_TOKEN || f->pstate == P_QUOTED ||
		    f->pstate == P_QESC)
			field_value_end(s, f);
		field_flush_param(s, f);
	}
	if (f->kind == FIELD_CT && s->cur.has_ct &&
	    (strlen(s->cur.type) != f->type_len ||
	        memcmp(s->cur.type, f->type, f->type_len) != 0) &&
	    s->pre_conflict == SG_OFFSET_NONE)
		s->pre_conflict = f->offset;
	if (f->kind == FIELD_CTE && s->cur.has_cte &&
	    (strlen(s->cur.cte) != f->cte_len ||
	        memcmp(s->cur.cte, f->cte, f->cte_len) != 0) &&
	    s->pre_conflict == SG_OFFSET_NONE)
		s->pre_conflict = f->offset;
	if (f->kind == FIELD_CT && !s->cur.has_ct) {
		s->cur.has_ct = TRUE;
		memcpy(s->cur.type, f->type, f->type_len);
		s->cur.type[f->type_len] = '\0';
		if (f->has_boundary) {
			s->cur.has_boundary = TRUE;
			s->cur.boundary_full = f->boundary_full;
			g_free(s->cur.boundary);
			s->cur.boundary = g_steal_pointer(&f->boundary);
			if (f->boundary_full > s->boundary_keep) {
				g_clear_pointer(&s->cur.boundary, g_free);
			} else if (s->cur.boundary != NULL) {
				s->cur.boundary[f->boundary_full] = '\0';
			}
		}
	}
	if (f->kind == FIELD_CTE && !s->cur.has_cte) {
		s->cur.has_cte = TRUE;
		memcpy(s->cur.cte, f->cte, f->cte_len);
		s->cur.cte[f->cte_len] = '\0';
	}
	g_clear_pointer(&f->boundary, g_free);
}

/* Opens a field whose first line is (p, len); the name ends at @colon. */
static void
field_open(Scan *s, const char *p, gsize len, gsize colon, goffset off)
{
	Field *f = &s->field;
	gsize nlen = colon;

	g_free(f->boundary);
	memset(f, 0, sizeof(*f));
	while (nlen > 0 && (p[nlen - 1] == ' ' || p[nlen - 1] == '\t'))
		nlen--;
	memcpy(f->name, p, MIN(nlen, (gsize)MIME_KEEP_NAME));
	f->name[MIN(nlen, (gsize)MIME_KEEP_NAME)] = '\0';
	if (g_ascii_strcasecmp(f->name, "Content-Type") == 0)
		f->kind = FIELD_CT;
	else if (g_ascii_strcasecmp(f->name, "Content-Transfer-Encoding") == 0)
		f->kind = FIELD_CTE;
	else if (g_ascii_strcasecmp(f->name, "Content-Disposition") == 0)
		f->kind = FIELD_CD;
	f->offset = off;
	f->acc_offset = SG_OFFSET_NONE;
	if (f->kind == FIELD_CD)
		f->pstate = P_TYPE;
	s->field_open = TRUE;
	field_feed(s, p + colon + 1, len - colon - 1, off + (goffset)colon + 1);
}

/* ---- the pre-scan: parts and boundaries -------------------------------- */

/*
 * Feeds the pending run of leaf body bytes to the encoding check: whole
 * runs of lines (up to a read buffer) in one call instead of one call a
 * line, which was most of the check's cost.  The check's state machine
 * takes any chunking, so findings and offsets do not change.
 */
static void
scan_flush_run(Scan *s)
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
scan_part_start(Scan *s, char *path, guint depth, goffset offset)
{
	Part *c = &s->cur;

	scan_flush_run(s);
	g_free(c->path);
	g_free(c->boundary);
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->depth = depth;
	c->header_offset = offset;
	c->row = -1;
	s->in_part = TRUE;
	s->state = S_HEADERS;
	s->parts++;
	if ((gint64)s->parts == s->soft_parts + 1 ||
	    (gint64)s->parts == s->cap_parts + 1)
		s->parts_offset = offset;
	if ((gint64)s->parts > s->cap_parts)
		s->breached = TRUE; /* GMime would build every part */
	if (s->rows->len < (guint)s->cap_parts) {
		ScanRow *row = g_new0(ScanRow, 1);

		row->path = g_strdup(path);
		row->depth = depth;
		row->header_offset = offset;
		row->body_offset = SG_OFFSET_NONE;
		row->end = SG_OFFSET_NONE;
		c->row = (gint)s->rows->len;
		g_ptr_array_add(s->rows, row);
	}
}

/* Ends the current part at content offset @end (before a delimiter). */
static void
scan_part_end(Scan *s, goffset end)
{
	Part *c = &s->cur;

	scan_flush_run(s);
	if (!s->in_part)
		return;
	field_close(s);
	if (c->row >= 0) {
		ScanRow *row = g_ptr_array_index(s->rows, c->row);

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
	    s->enc_reports < 3 * MIME_FINDINGS_PER_RULE) {
		guint before = s->msg->findings->len;

		sg_encoding_check_finish(&c->enc, s->msg, s->profile, c->path,
		    end);
		s->enc_reports += s->msg->findings->len - before;
	}
	s->in_part = FALSE;
}

static void
scan_face_start(Scan *s, goffset off)
{
	s->face_bytes = 0;
	s->face_offset = off;
}

/* GMime parses an embedded message unless its body is encoded. */
static gboolean
scan_is_identity(const char *cte, gboolean has_cte)
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
scan_check_nested_boundary(Scan *s, const Frame *inner)
{
	for (guint i = 0; i < s->frames->len; i++) {
		const Frame *outer = g_ptr_array_index(s->frames, i);

		if (outer->kind != FRAME_MULTIPART || outer->boundary == NULL ||
		    outer->closed || outer->blen > inner->blen ||
		    memcmp(outer->boundary, inner->boundary, outer->blen) != 0)
			continue;
		mime_event(s, SG_RULE_MIME_MALFORMED, inner->offset,
		    inner->path, "Content-Type",
		    "%s: its boundary begins with the boundary of %s, which "
		    "encloses it; parsers disagree on where parts end",
		    inner->path, outer->path);
		return;
	}
}

static void
scan_push(Scan *s, FrameKind kind)
{
	Part *c = &s->cur;
	Frame *f;
	gint64 depth = (gint64)s->frames->len + 1;

	if (depth > s->max_depth) {
		s->max_depth = depth;
		s->max_depth_offset = c->header_offset;
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
		scan_check_nested_boundary(s, f);
	}
	g_ptr_array_add(s->frames, f);
}

/* The empty line after a part's headers (or a line that is no header). */
static void
scan_headers_end(Scan *s, goffset body)
{
	Part *c = &s->cur;
	gboolean multipart;
	gboolean message;
	gboolean room;

	field_close(s);
	s->state = S_BODY;
	if (c->depth == 0 && s->frames->len == 0 &&
	    s->root_header_end == SG_OFFSET_NONE)
		s->root_header_end = body;
	if (c->row >= 0) {
		ScanRow *row = g_ptr_array_index(s->rows, c->row);

		row->body_offset = body;
		row->content_type =
		    g_strdup(c->has_ct && c->type[0] != '\0' ? c->type : NULL);
		row->encoding = c->has_cte ? g_strdup(c->cte) : NULL;
	}
	if (c->depth > 0)
		mime_limit(s, SG_RULE_MIME_PART_HEADER_COUNT, c->nfields,
		    c->header_offset, c->path, NULL, "header fields in part");

	multipart = c->has_ct && g_str_has_prefix(c->type, "multipart/");
	message = c->has_ct &&
	    (strcmp(c->type, "message/rfc822") == 0 ||
	        strcmp(c->type, "message/rfc2822") == 0 ||
	        strcmp(c->type, "message/global") == 0 ||
	        strcmp(c->type, "message/news") == 0);
	/* In a multipart/digest a part without a type is a message. */
	if (!c->has_ct && s->frames->len > 0) {
		Frame *parent =
		    g_ptr_array_index(s->frames, s->frames->len - 1);

		message = parent->digest;
	}
	room = (gint64)s->frames->len < s->cap_depth;
	if (multipart && c->has_boundary)
		mime_limit(s, SG_RULE_MIME_BOUNDARY_LENGTH,
		    (gint64)c->boundary_full, c->header_offset, c->path,
		    "Content-Type", "boundary");
	if ((multipart && c->has_boundary) ||
	    (message && scan_is_identity(c->cte, c->has_cte))) {
		if (!room) {
			/* One level past the stack's capacity is a breach. */
			if ((gint64)s->frames->len + 1 > s->max_depth) {
				s->max_depth = (gint64)s->frames->len + 1;
				s->max_depth_offset = c->header_offset;
			}
			s->breached = TRUE;
			c->body = BODY_OPAQUE;
			return;
		}
		if (multipart) {
			scan_push(s, FRAME_MULTIPART);
			c->body = BODY_PREAMBLE;
			scan_face_start(s, body);
			s->in_part = FALSE;
		} else {
			Frame *f;

			scan_push(s, FRAME_MESSAGE);
			s->in_part = FALSE;
			f = g_ptr_array_index(s->frames, s->frames->len - 1);
			f->children = 1;
			scan_part_start(s, g_strdup_printf("%s.1", f->path),
			    f->depth + 1, body);
		}
		return;
	}
	c->body = BODY_LEAF;
	if (multipart) {
		/* GMime reports it too; this is for when GMime is skipped. */
		mime_event(s, SG_RULE_MIME_BOUNDARY_MISSING, c->header_offset,
		    c->path, "Content-Type",
		    "%s: a multipart without a boundary parameter", c->path);
		c->face = TRUE;
		scan_face_start(s, body);
	}
	sg_encoding_check_init(&c->enc,
	    sg_encoding_kind(c->cte, strlen(c->cte)), body);
}

/*
 * Index of the innermost open multipart whose delimiter (p, len) is:
 * "--" boundary, an optional "--", then only white space (as GMime).
 */
static gboolean
scan_match_boundary(Scan *s, const char *p, gsize len, guint *index,
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
scan_pop(Scan *s)
{
	Frame *f = g_ptr_array_index(s->frames, s->frames->len - 1);

	if (f->kind == FRAME_MULTIPART && f->boundary != NULL &&
	    f->children == 0)
		mime_event(s, SG_RULE_MIME_BOUNDARY_NOT_FOUND, f->offset,
		    f->path, "Content-Type",
		    f->closed ? "%s: a close delimiter but no part"
		              : "%s: the boundary never appears in the body",
		    f->path);
	g_ptr_array_remove_index(s->frames, s->frames->len - 1);
}

static void
scan_boundary(Scan *s, guint index, gboolean close, goffset off, gsize len)
{
	Frame *f;

	/* A delimiter right after a delimiter: no headers, no content. */
	if (s->in_part && s->state == S_HEADERS && s->cur.header_bytes == 0 &&
	    s->cur.depth > 0 && s->pre_no_headers == SG_OFFSET_NONE)
		s->pre_no_headers = s->cur.header_offset;
	/* The line break before the delimiter belongs to it. */
	scan_part_end(s, off);
	while (s->frames->len > index + 1)
		scan_pop(s);
	f = g_ptr_array_index(s->frames, index);
	if (close) {
		f->closed = TRUE;
		s->state = S_BODY;
		s->cur.body = BODY_EPILOGUE;
		scan_face_start(s, off + (goffset)len);
		return;
	}
	f->children++;
	scan_part_start(s, g_strdup_printf("%s.%u", f->path, f->children),
	    f->depth + 1, off + (goffset)len);
}

/* Counts bytes GMime would copy into memory (see MIME_FACE_MAX). */
static void
scan_face(Scan *s, gsize len, goffset off)
{
	s->face_bytes += len;
	if (s->face_bytes <= MIME_FACE_MAX || s->face_reported)
		return;
	s->face_reported = TRUE;
	s->breached = TRUE;
	mime_event(s, SG_RULE_MIME_MALFORMED, s->face_offset,
	    s->in_part ? s->cur.path : NULL, NULL,
	    "more than %d bytes outside any part (a preamble, an epilogue "
	    "or a multipart without boundary); GMime would hold them in "
	    "memory, so only the pre-scan judged this message",
	    MIME_FACE_MAX);
	(void)off;
}

static void
scan_body(Scan *s, const char *p, gsize len, goffset off, gboolean first)
{
	switch (s->cur.body) {
	case BODY_LEAF:
		if (s->in_part) {
			if (s->run_len > 0 && s->run_p + s->run_len == p) {
				s->run_len += len;
			} else {
				scan_flush_run(s);
				s->run_p = p;
				s->run_len = len;
				s->run_off = off;
			}
		}
		if (s->cur.face)
			scan_face(s, len, off);
		break;
	case BODY_PREAMBLE:
		scan_face(s, len, off);
		break;
	case BODY_EPILOGUE:
		scan_face(s, len, off);
		if (s->frames->len > 0) {
			Frame *f =
			    g_ptr_array_index(s->frames, s->frames->len - 1);

			if (f->closed && !f->junk_seen) {
				for (gsize i = 0; i < len; i++) {
					if (!field_is_space((guchar)p[i])) {
						f->junk_seen = TRUE;
						mime_event(s,
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
scan_header_line(Scan *s, const char *p, gsize len, goffset off, gboolean first,
    gboolean last)
{
	Part *c = &s->cur;
	gsize l = len;
	const char *colon;

	c->header_bytes += len;
	if (!c->block_reported) {
		gint64 hard = s->hard_header_block;

		if (hard != SG_VALUE_NONE && (gint64)c->header_bytes > hard) {
			c->block_reported = TRUE;
			s->breached = TRUE;
			/* The root's block is the header check's to report. */
			if (c->depth > 0)
				mime_limit(s, SG_RULE_HEADER_BLOCK_SIZE,
				    (gint64)c->header_bytes, c->header_offset,
				    c->path, NULL, "part header block");
		}
	}
	if (!first) {
		if (s->field_open)
			field_feed(s, p, len, off);
		return;
	}
	if (l > 0 && p[l - 1] == '\n')
		l--;
	if (l > 0 && p[l - 1] == '\r')
		l--;
	if (l == 0 && last) {
		c->header_bytes -= len;
		scan_headers_end(s, off + (goffset)len);
		return;
	}
	if (p[0] == ' ' || p[0] == '\t') {
		if (s->field_open)
			field_feed(s, p, len, off);
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
			field_close(s);
			c->nfields++;
			field_open(s, p, len, n, off);
			return;
		}
	}
	/* Not a header line: the body starts here. */
	if (c->depth > 0 && l > 0 && s->pre_invalid_name == SG_OFFSET_NONE &&
	    !(l >= 5 && memcmp(p, "From ", 5) == 0))
		s->pre_invalid_name = off;
	c->header_bytes -= len;
	scan_headers_end(s, off);
	if (s->state == S_HEADERS) /* an embedded message starts here */
		scan_header_line(s, p, len, off, first, last);
	else
		scan_body(s, p, len, off, first);
}

/* One line, or one piece of a line longer than the buffer. */
static void
scan_line(Scan *s, const char *p, gsize len, goffset off, gboolean first,
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
	    scan_match_boundary(s, p, len, &index, &close)) {
		scan_boundary(s, index, close, off, len);
		return;
	}
	if (s->state == S_HEADERS && s->in_part)
		scan_header_line(s, p, len, off, first, last);
	else
		scan_body(s, p, len, off, first);
}

/*
 * In a body, only a line that starts with '-' can change the pre-scan's
 * state (a delimiter); every other line is just body bytes.  Returns the
 * length of the whole lines at the start of (p, n), p being a line start,
 * that hold no such line, so they go to scan_body in one piece instead of
 * one call a line.  0 when the first line is one to look at or is not
 * complete in (p, n).
 */
static gsize
scan_body_bulk(const Scan *s, const char *p, gsize n)
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
scan_run(Scan *s, GMimeStream *stream, GError **error)
{
	g_autofree char *buf = g_malloc(MIME_CHUNK);
	gsize have = 0;
	goffset pos = 0;
	gboolean line_first = TRUE;

	scan_part_start(s, g_strdup("1"), 0, 0);
	for (;;) {
		ssize_t n =
		    g_mime_stream_read(stream, buf + have, MIME_CHUNK - have);
		gsize start = 0;
		const char *nl;

		if (n < 0) {
			g_set_error(error, SG_CHECK_ERROR, SG_CHECK_ERROR_IO,
			    "%s: cannot read the content", s->msg->id);
			return FALSE;
		}
		have += (gsize)n;
		for (;;) {
			gsize len;

			if (line_first &&
			    !(s->state == S_HEADERS && s->in_part)) {
				len = scan_body_bulk(s, buf + start,
				    have - start);
				if (len > 0) {
					scan_body(s, buf + start, len,
					    pos + (goffset)start, TRUE);
					start += len;
					continue;
				}
			}
			nl = memchr(buf + start, '\n', have - start);
			if (nl == NULL)
				break;
			len = (gsize)(nl - (buf + start)) + 1;

			scan_line(s, buf + start, len, pos + (goffset)start,
			    line_first, TRUE);
			line_first = TRUE;
			start += len;
		}
		if (n == 0) {
			if (start < have)
				scan_line(s, buf + start, have - start,
				    pos + (goffset)start, line_first, TRUE);
			scan_flush_run(s);
			pos += (goffset)have;
			break;
		}
		if (start == 0 && have == MIME_CHUNK) {
			scan_line(s, buf, have, pos, line_first, FALSE);
			scan_flush_run(s);
			line_first = FALSE;
			pos += (goffset)have;
			have = 0;
		} else {
			scan_flush_run(s); /* the bytes are about to move */
			memmove(buf, buf + start, have - start);
			pos += (goffset)start;
			have -= start;
		}
	}
	if (s->state == S_HEADERS && s->in_part)
		field_close(s);
	scan_part_end(s, pos);
	while (s->frames->len > 0)
		scan_pop(s);
	s->content_end = pos;
	if (s->root_header_end == SG_OFFSET_NONE)
		s->root_header_end = pos;
	return TRUE;
}

/* ---- GMime -------------------------------------------------------------- */

/* The row of the part that holds content offset @off (rows are sorted). */
static const ScanRow *
scan_row_at(Scan *s, goffset off)
{
	guint lo = 0;
	guint hi = s->rows->len;

	if (off == SG_OFFSET_NONE || hi == 0)
		return NULL;
	while (hi - lo > 1) {
		guint mid = lo + (hi - lo) / 2;
		ScanRow *row = g_ptr_array_index(s->rows, mid);

		if (row->header_offset <= off)
			lo = mid;
		else
			hi = mid;
	}
	return g_ptr_array_index(s->rows, lo);
}

static void
mime_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
    gpointer data)
{
	Scan *s = data;
	SgRuleId rule;
	goffset off = offset >= s->base ? offset - s->base : SG_OFFSET_NONE;
	gboolean in_root = off != SG_OFFSET_NONE && off < s->root_header_end;
	const ScanRow *row;
	const char *what;
	g_autofree char *esc = NULL;

	switch (code) {
	case GMIME_WARN_DUPLICATED_HEADER:
		rule = SG_RULE_HEADER_DUPLICATE_UNIQUE;
		what = "duplicated header";
		break;
	case GMIME_WARN_DUPLICATED_PARAMETER:
		rule = SG_RULE_MIME_PARAM_DUPLICATE;
		what = "duplicated parameter";
		break;
	case GMIME_WARN_UNENCODED_8BIT_HEADER:
		/* The byte scan reports the top-level header block. */
		if (in_root)
			return;
		rule = SG_RULE_HEADER_8BIT;
		what = "unencoded 8-bit header";
		break;
	case GMIME_WARN_INVALID_CONTENT_TYPE:
		rule = SG_RULE_MIME_BAD_CONTENT_TYPE;
		what = "invalid Content-Type";
		break;
	case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
		rule = SG_RULE_HEADER_BAD_ENCODED_WORD;
		what = "invalid RFC 2047 encoded header";
		break;
	case GMIME_WARN_INVALID_PARAMETER:
		rule = SG_RULE_MIME_BAD_PARAMETER;
		what = "invalid parameter";
		break;
	case GMIME_WARN_MALFORMED_MULTIPART:
		rule = SG_RULE_MIME_BOUNDARY_NOT_FOUND;
		what = "no parts in a multipart (boundary not found)";
		break;
	case GMIME_WARN_TRUNCATED_MESSAGE:
		rule = SG_RULE_MIME_TRUNCATED;
		what = "truncated: no close delimiter";
		break;
	case GMIME_WARN_MALFORMED_MESSAGE:
		rule = SG_RULE_MIME_MALFORMED;
		what = "malformed message";
		break;
	case GMIME_WARN_INVALID_ADDRESS_LIST:
		rule = SG_RULE_HEADER_BAD_ADDRESS;
		what = "invalid address list";
		break;
	case GMIME_CRIT_INVALID_HEADER_NAME:
		/* An mbox "From " line opening a forwarded message. */
		if (!in_root && item != NULL && strncmp(item, "From ", 5) == 0)
			return;
		/*
		 * A line without a colon is not a bad name but the body
		 * starting early (cron and script mail do this): the byte
		 * scan reports it for the top-level block as
		 * header.no-separator, and so does this for parts.
		 */
		if (item == NULL || strchr(item, ':') == NULL) {
			if (in_root || off == s->root_header_end)
				return;
			rule = SG_RULE_HEADER_NO_SEPARATOR;
			what = "a line that is not a header field";
			break;
		}
		rule = SG_RULE_HEADER_INVALID_NAME;
		what = "invalid header name";
		break;
	case GMIME_CRIT_CONFLICTING_HEADER:
		/* Only Content-Type and -Transfer-Encoding can conflict. */
		if (item != NULL &&
		    (g_ascii_strcasecmp(item, "Content-Type") == 0 ||
		        g_ascii_strcasecmp(item, "Content-Transfer-Encoding") ==
		            0)) {
			rule = SG_RULE_HEADER_CONFLICTING;
			what = "conflicting header";
		} else {
			rule = SG_RULE_HEADER_DUPLICATE_UNIQUE;
			what = "header repeated with another value";
		}
		break;
	case GMIME_CRIT_CONFLICTING_PARAMETER:
		rule = SG_RULE_MIME_PARAM_CONFLICT;
		what = "conflicting parameter";
		break;
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
		rule = SG_RULE_MIME_BOUNDARY_MISSING;
		what = "multipart without a boundary parameter";
		break;
	case GMIME_CRIT_NESTING_OVERFLOW:
		rule = SG_RULE_MIME_DEPTH;
		what = "GMime's nesting limit";
		break;
	case GMIME_WARN_PART_WITHOUT_CONTENT:
		rule = SG_RULE_MIME_PART_WITHOUT_CONTENT;
		what = "part headers end at a boundary";
		break;
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		rule = SG_RULE_MIME_PART_WITHOUT_HEADERS;
		what = "part without headers or content";
		break;
	default:
		rule = SG_RULE_MIME_MALFORMED;
		what = "unknown parser warning";
		break;
	}
	/* Header rules the byte scan already reported for the top level. */
	if (in_root && g_str_has_prefix(sg_rule_id(rule), "header.") &&
	    mime_rule_has_finding(s, rule))
		return;
	if (rule == SG_RULE_MIME_DEPTH) {
		/* A LIMIT rule: GMime's own limit (1024) was crossed. */
		s->max_depth = MAX(s->max_depth, 1025);
		if (s->max_depth_offset == SG_OFFSET_NONE)
			s->max_depth_offset = off;
		return;
	}
	/* GMime reports a truncated message at position -1: its end. */
	if (off == SG_OFFSET_NONE && rule == SG_RULE_MIME_TRUNCATED)
		off = s->content_end;
	row = in_root ? NULL : scan_row_at(s, off);
	/* The pre-scan already named these multiparts. */
	if ((rule == SG_RULE_MIME_BOUNDARY_NOT_FOUND ||
	        rule == SG_RULE_MIME_BOUNDARY_MISSING) &&
	    mime_rule_has_finding(s, rule))
		return;
	if (item != NULL)
		esc = sg_escape_bytes(item, strlen(item), 80);
	mime_event(s, rule, off, row != NULL ? row->path : NULL, NULL,
	    "GMime: %s%s%s", what, esc != NULL ? ": " : "",
	    esc != NULL ? esc : "");
}

static const char *const unique_headers[] = {
	"From",
	"To",
	"Subject",
	"Date",
	"Message-ID",
	"Content-Type",
	"Content-Transfer-Encoding",
};

/* Compares two raw header values ignoring case and runs of white space. */
static gboolean
mime_same_value(const char *a, const char *b)
{
	for (;;) {
		while (*a != '\0' && g_ascii_isspace(*a))
			a++;
		while (*b != '\0' && g_ascii_isspace(*b))
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (g_ascii_tolower(*a) != g_ascii_tolower(*b))
			return FALSE;
		a++;
		b++;
	}
}

static void
mime_check_unique(Scan *s, GMimeObject *obj, const char *path)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	int n = list != NULL ? g_mime_header_list_get_count(list) : 0;

	for (gsize u = 0; u < G_N_ELEMENTS(unique_headers); u++) {
		GMimeHeader *first = NULL;
		gboolean content = u >= 5;

		for (int i = 0; i < n; i++) {
			GMimeHeader *h =
			    g_mime_header_list_get_header_at(list, i);
			const char *a;
			const char *b;
			goffset off;

			if (g_ascii_strcasecmp(g_mime_header_get_name(h),
			        unique_headers[u]) != 0)
				continue;
			if (first == NULL) {
				first = h;
				continue;
			}
			a = g_mime_header_get_raw_value(first);
			b = g_mime_header_get_raw_value(h);
			off = g_mime_header_get_offset(h) - s->base;
			if (content &&
			    !mime_same_value(a != NULL ? a : "",
			        b != NULL ? b : ""))
				mime_event(s, SG_RULE_HEADER_CONFLICTING, off,
				    path, unique_headers[u],
				    "%s: two %s headers with different values",
				    path != NULL ? path : "message",
				    unique_headers[u]);
			else
				mime_event(s, SG_RULE_HEADER_DUPLICATE_UNIQUE,
				    off, path, unique_headers[u],
				    "%s: %s appears more than once",
				    path != NULL ? path : "message",
				    unique_headers[u]);
			break;
		}
	}
}

static gboolean
mime_identity_encoding(const char *cte)
{
	g_autofree char *v = NULL;

	if (cte == NULL)
		return TRUE;
	v = g_strstrip(g_ascii_strdown(cte, -1));
	return v[0] == '\0' || strcmp(v, "7bit") == 0 ||
	    strcmp(v, "8bit") == 0 || strcmp(v, "binary") == 0;
}

/*
 * RFC 2046 5.1 and 5.2: multipart and message entities take 7bit, 8bit or
 * binary only; RFC 6532 3.5 exempts message/global and its kin.
 */
static gboolean
mime_needs_identity(const char *type)
{
	if (g_str_has_prefix(type, "multipart/"))
		return TRUE;
	return g_str_has_prefix(type, "message/") &&
	    !g_str_has_prefix(type, "message/global");
}

typedef struct {
	GMimeObject *obj;
	char *path;
	guint depth;
} WalkItem;

static void
walk_item_clear(gpointer data)
{
	WalkItem *item = data;

	g_free(item->path);
}

static goffset
mime_object_header_offset(Scan *s, GMimeObject *obj)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);

	if (list == NULL || g_mime_header_list_get_count(list) == 0)
		return SG_OFFSET_NONE;
	return g_mime_header_get_offset(
	           g_mime_header_list_get_header_at(list, 0)) -
	    s->base;
}

static void
mime_walk(Scan *s, SgCheckContext *ctx, GMimeMessage *message,
    SgInspect *inspect, gint64 *walk_depth, guint64 *walk_parts)
{
	g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(WalkItem));
	GMimeObject *root = g_mime_message_get_mime_part(message);

	g_array_set_clear_func(stack, walk_item_clear);
	mime_check_unique(s, GMIME_OBJECT(message), NULL);
	if (root != NULL) {
		WalkItem item = { root, g_strdup("1"), 0 };

		g_array_append_val(stack, item);
	}
	while (stack->len > 0) {
		WalkItem item = g_array_index(stack, WalkItem, stack->len - 1);
		g_autofree char *path = item.path;
		GMimeObject *obj = item.obj;
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		g_autofree char *type_raw = ct != NULL
		    ? g_mime_content_type_get_mime_type(ct)
		    : g_strdup("text/plain");
		g_autofree char *type = g_ascii_strdown(type_raw, -1);
		const char *cte =
		    g_mime_object_get_header(obj, "Content-Transfer-Encoding");
		goffset hoff =
		    item.depth == 0 ? 0 : mime_object_header_offset(s, obj);
		const ScanRow *srow = NULL;
		SgPartRow *row = NULL;
		gboolean container =
		    GMIME_IS_MULTIPART(obj) || GMIME_IS_MESSAGE_PART(obj);

		g_array_index(stack, WalkItem, stack->len - 1).path = NULL;
		g_array_set_size(stack, stack->len - 1);
		(*walk_parts)++;
		if (container && (gint64)item.depth + 1 > *walk_depth)
			*walk_depth = (gint64)item.depth + 1;
		if ((gint64)*walk_parts > s->cap_parts)
			break;
		if (*walk_parts <= s->rows->len) {
			srow = g_ptr_array_index(s->rows, *walk_parts - 1);
			if (strcmp(srow->path, path) != 0)
				srow = NULL;
		}
		if (hoff == SG_OFFSET_NONE && srow != NULL)
			hoff = srow->header_offset;
		if (item.depth > 0)
			mime_check_unique(s, obj, path);
		if (mime_needs_identity(type) && !mime_identity_encoding(cte)) {
			g_autofree char *v =
			    sg_escape_bytes(cte, strlen(cte), 40);

			mime_event(s, SG_RULE_MIME_BAD_ENCODING_DOMAIN, hoff,
			    path, "Content-Transfer-Encoding",
			    "%s (%s) has Content-Transfer-Encoding %s", path,
			    type, v);
		}
		if (inspect != NULL) {
			row = g_new0(SgPartRow, 1);
			row->path = g_strdup(path);
			row->depth = item.depth;
			row->content_type = g_strdup(type);
			row->encoding = cte != NULL
			    ? g_strstrip(g_ascii_strdown(cte, -1))
			    : NULL;
			row->header_offset = hoff;
			row->body_offset =
			    srow != NULL ? srow->body_offset : SG_OFFSET_NONE;
			row->size = srow != NULL &&
			        srow->body_offset != SG_OFFSET_NONE &&
			        srow->end != SG_OFFSET_NONE
			    ? srow->end - srow->body_offset
			    : SG_VALUE_NONE;
			g_ptr_array_add(inspect->parts, row);
		}
		if (GMIME_IS_MULTIPART(obj)) {
			GMimeMultipart *mp = GMIME_MULTIPART(obj);
			int n = g_mime_multipart_get_count(mp);

			if ((gint64)item.depth + 1 > s->cap_depth)
				continue;
			for (int i = n; i-- > 0;) {
				WalkItem child = {
					g_mime_multipart_get_part(mp, i),
					g_strdup_printf("%s.%d", path, i + 1),
					item.depth + 1,
				};

				g_array_append_val(stack, child);
			}
		} else if (GMIME_IS_MESSAGE_PART(obj)) {
			GMimeMessage *inner = g_mime_message_part_get_message(
			    GMIME_MESSAGE_PART(obj));
			GMimeObject *body;

			if (inner == NULL ||
			    (gint64)item.depth + 1 > s->cap_depth)
				continue;
			g_autofree char *ipath = g_strdup_printf("%s.1", path);
			mime_check_unique(s, GMIME_OBJECT(inner), ipath);
			body = g_mime_message_get_mime_part(inner);
			if (body != NULL) {
				WalkItem child = { body,
					g_steal_pointer(&ipath),
					item.depth + 1 };

				g_array_append_val(stack, child);
			}
		} else if (GMIME_IS_PART(obj)) {
			GMimePart *part = GMIME_PART(obj);
			GMimeDataWrapper *w = g_mime_part_get_content(part);
			GMimeStream *raw = w != NULL
			    ? g_mime_data_wrapper_get_stream(w)
			    : NULL;
			char *sniffed = NULL;
			const char *fn = g_mime_part_get_filename(part);

			if (s->content_reports < 3 * MIME_FINDINGS_PER_RULE) {
				guint before = s->msg->findings->len;

				sg_content_check_part(ctx, s->msg, part, path,
				    s->base,
				    srow != NULL && srow->nul_counted
				        ? &srow->nul
				        : NULL,
				    row != NULL ? &sniffed : NULL);
				s->content_reports +=
				    s->msg->findings->len - before;
			}
			if (row != NULL) {
				row->sniffed = sniffed;
				row->filename = fn != NULL
				    ? sg_escape_bytes(fn, strlen(fn), 200)
				    : NULL;
				if (raw != NULL && raw->bound_end != -1) {
					row->body_offset =
					    raw->bound_start - s->base;
					row->size =
					    raw->bound_end - raw->bound_start;
				}
			} else {
				g_free(sniffed);
			}
		}
	}
}

/* The pre-scan's view of what GMime would have reported (not run). */
static void
scan_report_structure(Scan *s)
{
	const ScanRow *row;

	if (s->pre_invalid_name != SG_OFFSET_NONE) {
		row = scan_row_at(s, s->pre_invalid_name);
		mime_event(s, SG_RULE_HEADER_INVALID_NAME, s->pre_invalid_name,
		    row != NULL ? row->path : NULL, NULL,
		    "a part header line that is no header field");
	}
	if (s->pre_no_headers != SG_OFFSET_NONE) {
		row = scan_row_at(s, s->pre_no_headers);
		mime_event(s, SG_RULE_MIME_PART_WITHOUT_HEADERS,
		    s->pre_no_headers, row != NULL ? row->path : NULL, NULL,
		    "a part with neither headers nor content");
	}
	if (s->pre_conflict != SG_OFFSET_NONE) {
		row = scan_row_at(s, s->pre_conflict);
		mime_event(s, SG_RULE_HEADER_CONFLICTING, s->pre_conflict,
		    row != NULL ? row->path : NULL, NULL,
		    "two Content-Type or Content-Transfer-Encoding fields "
		    "with different values");
	}
}

/* Inspect rows straight from the pre-scan, when GMime was not run. */
static void
scan_fill_inspect(Scan *s, SgInspect *inspect)
{
	for (guint i = 0; i < s->rows->len; i++) {
		ScanRow *r = g_ptr_array_index(s->rows, i);
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

static gint64
mime_cap(const SgProfile *profile, SgRuleId rule, gint64 fallback)
{
	gint64 hard = sg_profile_hard(profile, rule);

	return hard != SG_VALUE_NONE && hard < fallback ? hard : fallback;
}

gboolean
sg_check_mime(SgCheckContext *ctx, SgMessage *msg, SgInspect *inspect,
    GError **error)
{
	const SgProfile *profile = sg_check_context_profile(ctx);
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(GPtrArray) frames =
	    g_ptr_array_new_with_free_func(frame_free);
	g_autoptr(GPtrArray) rows =
	    g_ptr_array_new_with_free_func(scan_row_free);
	g_autofree Scan *s = g_new0(Scan, 1);
	gint64 walk_depth = 0;
	guint64 walk_parts = 0;
	gint64 depth;
	guint64 parts;
	gboolean ok;

	stream = sg_message_open_content(msg, error);
	if (stream == NULL)
		return FALSE;
	s->msg = msg;
	s->profile = profile;
	s->base = g_mime_stream_tell(stream);
	s->cap_depth =
	    mime_cap(profile, SG_RULE_MIME_DEPTH, MIME_DEPTH_FALLBACK);
	s->cap_parts =
	    mime_cap(profile, SG_RULE_MIME_PART_COUNT, MIME_PARTS_FALLBACK);
	s->soft_parts = sg_profile_soft(profile, SG_RULE_MIME_PART_COUNT);
	s->boundary_keep = (gsize)mime_cap(profile,
	    SG_RULE_MIME_BOUNDARY_LENGTH, MIME_BOUNDARY_FALLBACK);
	s->hard_header_block =
	    sg_profile_hard(profile, SG_RULE_HEADER_BLOCK_SIZE);
	s->frames = frames;
	s->rows = rows;
	s->root_header_end = SG_OFFSET_NONE;
	s->max_depth_offset = SG_OFFSET_NONE;
	s->parts_offset = SG_OFFSET_NONE;
	s->pre_invalid_name = SG_OFFSET_NONE;
	s->pre_no_headers = SG_OFFSET_NONE;
	s->pre_conflict = SG_OFFSET_NONE;

	ok = scan_run(s, stream, error);
	g_free(s->cur.path);
	g_free(s->cur.boundary);
	g_free(s->field.boundary);
	memset(&s->cur, 0, sizeof(s->cur));
	s->field.boundary = NULL;
	if (!ok)
		return FALSE;

	if (!s->breached) {
		g_autoptr(GMimeParser) parser = NULL;
		g_autoptr(GMimeParserOptions) options = NULL;
		g_autoptr(GMimeMessage) message = NULL;

		if (g_mime_stream_reset(stream) != 0) {
			g_set_error(error, SG_CHECK_ERROR, SG_CHECK_ERROR_IO,
			    "%s: cannot rewind the content", msg->id);
			return FALSE;
		}
		parser = g_mime_parser_new_with_stream(stream);
		g_mime_parser_set_persist_stream(parser, TRUE);
		g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
		options = g_mime_parser_options_new();
		g_mime_parser_options_set_warning_callback(options,
		    mime_warning, s);
		message = g_mime_parser_construct_message(parser, options);
		if (message == NULL) {
			mime_event(s, SG_RULE_CONTAINER_NOT_A_MESSAGE, 0, NULL,
			    NULL, "GMime found no message in the content");
			if (inspect != NULL)
				scan_fill_inspect(s, inspect);
		} else {
			mime_walk(s, ctx, message, inspect, &walk_depth,
			    &walk_parts);
		}
	} else {
		scan_report_structure(s);
		if (inspect != NULL)
			scan_fill_inspect(s, inspect);
	}

	depth = MAX(s->max_depth, walk_depth);
	if (depth > 0)
		mime_limit(s, SG_RULE_MIME_DEPTH, depth,
		    s->max_depth_offset != SG_OFFSET_NONE ? s->max_depth_offset
		                                          : 0,
		    NULL, NULL, "nesting depth");
	parts = MAX(s->parts, walk_parts);
	mime_limit(s, SG_RULE_MIME_PART_COUNT, (gint64)parts,
	    s->parts_offset != SG_OFFSET_NONE ? s->parts_offset : 0, NULL, NULL,
	    "MIME parts");
	return TRUE;
}
