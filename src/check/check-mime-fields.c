// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-mime-fields.c - one part's header fields, read as GMime reads
 * them, and where other common readers part ways with it.
 *
 * The pre-scan hands over each header line of each part.  A field is what
 * GMime takes for one: a name without control bytes or inner blanks and a
 * colon; a line that is no field does not end the block (GMime and MimeKit
 * skip it), only the empty line does.  Content-Type, -Transfer-Encoding
 * and -Disposition go through the tokenizer; the last of each counts, as
 * in GMime.  Where GMime's reading of a value may differ from the RFC
 * reading (the tokenizer says so), GMime's own functions read it, so the
 * pre-scan and GMime agree on every boundary; the difference, a grammar
 * defect or a second field that says otherwise is a finding: mime.param-*,
 * mime.rfc2231-*, mime.cte-invalid, mime.fake-multipart,
 * mime.boundary-chars, and mime.ambiguous with both readings.  Header
 * lines of parts below the top are fed to the byte scan of part headers
 * (check-headers.c).  Memory: the tokenizer's, a few values, one line.
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"

#include "check-mime-private.h"

#define CT "Content-Type"
#define CTE "Content-Transfer-Encoding"
#define CD "Content-Disposition"

/* The parameter grammar defects as rule ids (SgMimeDefect order). */
static const SgRuleId fields_defect_rules[SG_MIME_DEFECT_COUNT] = {
	SG_RULE_MIME_PARAM_SPACE,
	SG_RULE_MIME_PARAM_COMMENT,
	SG_RULE_MIME_PARAM_QUOTE,
	SG_RULE_MIME_PARAM_ESCAPE,
	SG_RULE_MIME_PARAM_SYNTAX,
	SG_RULE_MIME_RFC2231_SECTIONS,
	SG_RULE_MIME_RFC2231_ENCODING,
};

/* ---- the tokenizer's events -------------------------------------------- */

static void
fields_param(gpointer data, const char *name, gsize len, goffset offset)
{
	SgMimeFields *f = data;
	g_autofree char *what = g_strdup_printf("parameter %s value",
	    name[0] != '\0' ? name : "(unnamed)");

	sg_mime_limit(f->scan, SG_RULE_MIME_PARAM_LENGTH, (gint64)len, offset,
	    f->path, f->field_name, what);
}

static void
fields_encoded_word(gpointer data, goffset offset, gsize len,
    const char *defect)
{
	SgMimeFields *f = data;

	sg_mime_limit(f->scan, SG_RULE_MIME_ENCODED_WORD_LENGTH, (gint64)len,
	    offset, f->path, f->field_name, "encoded word");
	if (defect != NULL)
		sg_mime_event(f->scan, SG_RULE_HEADER_BAD_ENCODED_WORD, offset,
		    f->path, f->field_name, "RFC 2047 encoded word with %s",
		    defect);
}

static const SgMimeTokenSink fields_sink = {
	fields_param,
	fields_encoded_word,
};

/* ---- helpers ------------------------------------------------------------ */

static gboolean
fields_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* TRUE when @v is printable ASCII through and through. */
static gboolean
fields_ascii(const char *v)
{
	for (; *v != '\0'; v++)
		if ((guchar)*v < ' ' || (guchar)*v >= 0x7f)
			return FALSE;
	return TRUE;
}

/* A charset no mail program writes names in, and whose NULs hide them. */
static gboolean
fields_wide_charset(const char *cs, gsize len)
{
	static const char *const wide[] = { "utf-16", "utf16", "utf-32",
		"utf32", "ucs-2", "ucs2", "ucs-4", "ucs4", "unicode" };

	for (gsize i = 0; i < G_N_ELEMENTS(wide); i++)
		if (len >= strlen(wide[i]) &&
		    g_ascii_strncasecmp(cs, wide[i], strlen(wide[i])) == 0)
			return TRUE;
	return FALSE;
}

/* (transfer full): the value as GMime's header objects hold it. */
static char *
fields_gmime_text(const SgMimeToken *t)
{
	g_autofree char *unfolded =
	    g_mime_utils_header_unfold(t->raw != NULL ? t->raw : "");

	return g_mime_utils_header_decode_text(NULL, unfolded);
}

/*
 * mime.param-encoded: @v (the RFC reading) holds encoded words that GMime
 * decodes to @decoded, plain ASCII, or is in a UTF-16 or UTF-32 charset.
 */
static void
fields_encoded_value(SgMimeFields *f, const SgMimeValue *v, const char *decoded,
    const char *header, const char *param)
{
	const char *word = v->value != NULL ? strstr(v->value, "=?") : NULL;
	const char *why = NULL;

	if (!v->present)
		return;
	if (fields_wide_charset(v->charset, strlen(v->charset)))
		why = "an RFC 2231 value in a UTF-16 or UTF-32 charset";
	else if (word != NULL &&
	    fields_wide_charset(word + 2, strcspn(word + 2, "?")))
		why = "encoded words in a UTF-16 or UTF-32 charset";
	else if (word != NULL && decoded != NULL && fields_ascii(decoded) &&
	    strstr(decoded, "=?") == NULL)
		why = "encoded words that decode to plain ASCII";
	if (why != NULL)
		sg_mime_event(f->scan, SG_RULE_MIME_PARAM_ENCODED, v->offset,
		    f->path, header, "%s: %s %s=: %s", f->path, header, param,
		    why);
}

/*
 * Two readings of one parameter: an RFC 2231 form against a plain one, or
 * the RFC reading against GMime's (@gmime), where both are plain ASCII
 * (RFC 2047 words and charsets are GMime's to decode, not a disagreement).
 */
static void
fields_readings(SgMimeFields *f, const SgMimeValue *v, const char *gmime,
    const char *header, const char *what, gboolean any_bytes)
{
	if (!v->present)
		return;
	if (v->plain_differs) {
		sg_mime_ambiguous(f->scan, v->offset, f->path, header, what,
		    "readers of RFC 2231", v->value,
		    "readers of the plain parameter", v->plain);
		return;
	}
	if (fields_same(v->value, gmime) ||
	    (!any_bytes &&
	        (v->value == NULL || gmime == NULL || !fields_ascii(gmime) ||
	            !fields_ascii(v->value) || strstr(v->value, "=?") != NULL)))
		return;
	sg_mime_ambiguous(f->scan, v->offset, f->path, header, what,
	    "RFC 2045 and RFC 2231", v->value, "GMime and lenient readers",
	    gmime);
}

static void
fields_defects(SgMimeFields *f, const SgMimeParams *pp, const char *header)
{
	for (guint d = 0; d < SG_MIME_DEFECT_COUNT; d++)
		if (pp->defects & (1u << d))
			sg_mime_event(f->scan, fields_defect_rules[d],
			    pp->defect_at[d], f->path, header, "%s: %s: %s",
			    f->path, header, pp->defect_what[d]);
}

/* ---- Content-Type -------------------------------------------------------- */

/* One Content-Type as GMime takes it. */
typedef struct {
	char type[SG_MIME_TYPE_KEEP + 1];
	gboolean has_boundary;
	gsize boundary_full;
	char *boundary; /* (owned) (nullable) */
	gboolean quoted;
	gboolean folded;
	char *name; /* (owned) (nullable) */
} CtReading;

/*
 * GMime's reading of an unusual Content-Type: its parser takes the type
 * from the value as written, its object the boundary from the value
 * unfolded and RFC 2047 decoded (GMime decodes the whole header first).
 */
static void
fields_gmime_ct(SgMimeFields *f, SgMimeToken *t, CtReading *r)
{
	SgMimeParams *pp = &t->params;
	g_autofree char *text = fields_gmime_text(t);
	g_autoptr(GMimeContentType) ct = g_mime_content_type_parse(NULL, text);
	const char *b = g_mime_content_type_get_parameter(ct, "boundary");
	const char *n = g_mime_content_type_get_parameter(ct, "name");
	g_autofree char *mt = g_mime_content_type_get_mime_type(ct);
	g_autofree char *lower = g_ascii_strdown(mt, -1);

	r->has_boundary = b != NULL;
	r->boundary_full = b != NULL ? strlen(b) : 0;
	if (b != NULL && r->boundary_full <= f->boundary_keep)
		r->boundary = g_strdup(b);
	r->name = g_strdup(n);
	fields_readings(f, &pp->boundary, b, CT, "the boundary", TRUE);
	fields_readings(f, &pp->name, n, CT, "the name parameter", FALSE);
	fields_encoded_value(f, &pp->boundary, b, CT, "boundary");
	fields_encoded_value(f, &pp->name, n, CT, "name");
	if (t->raw != NULL && strstr(t->raw, "=?") != NULL &&
	    strcmp(lower, pp->type_ok ? pp->type : "") != 0)
		sg_mime_ambiguous(f->scan, f->field_offset, f->path, CT,
		    "the type", "as written (GMime's parser)",
		    pp->type_ok ? pp->type : NULL,
		    "RFC 2047 decoded (GMime's header object)", lower);
}

/* "type; boundary=x" for a finding's text (transfer full). */
static char *
fields_ct_text(const char *type, const char *boundary)
{
	return g_strdup_printf("%s%s%s", type[0] != '\0' ? type : "(none)",
	    boundary != NULL ? "; boundary=" : "",
	    boundary != NULL ? boundary : "");
}

/* The part takes @r: a later Content-Type replaces an earlier one. */
static void
fields_take_ct(SgMimeFields *f, CtReading *r)
{
	if (f->has_ct &&
	    (strcmp(f->type, r->type) != 0 ||
	        !fields_same(f->boundary, r->boundary))) {
		g_autofree char *a = fields_ct_text(f->type, f->boundary);
		g_autofree char *b = fields_ct_text(r->type, r->boundary);

		sg_mime_ambiguous(f->scan, f->field_offset, f->path, CT,
		    "two Content-Type fields", "the first", a,
		    "the last (GMime's)", b);
		if (strcmp(f->type, r->type) != 0 &&
		    f->scan->pre_conflict == SG_OFFSET_NONE)
			f->scan->pre_conflict = f->field_offset;
	}
	f->has_ct = TRUE;
	memcpy(f->type, r->type, sizeof(f->type));
	g_free(f->boundary);
	f->boundary = g_steal_pointer(&r->boundary);
	f->has_boundary = r->has_boundary;
	f->boundary_full = r->boundary_full;
	f->boundary_quoted = r->quoted;
	f->boundary_folded = r->folded;
	g_free(f->name);
	f->name = g_steal_pointer(&r->name);
}

static void
fields_close_ct(SgMimeFields *f)
{
	SgMimeToken *t = &f->field;
	SgMimeParams *pp = &t->params;
	CtReading r = { 0 };

	if (!t->params_read) {
		/* Too long to copy: the streamed reading, and no GMime. */
		sg_mime_event(f->scan, SG_RULE_MIME_AMBIGUOUS, f->field_offset,
		    f->path, CT,
		    "%s: a Content-Type longer than %d bytes: spoolguard does "
		    "not read it as GMime does, so only the pre-scan judged "
		    "this message",
		    f->path, SG_MIME_FIELD_CEILING);
		f->scan->breached = TRUE;
		g_strlcpy(r.type, t->type, sizeof(r.type));
		r.has_boundary = t->has_boundary;
		r.boundary_full = t->boundary_len;
		r.boundary = g_steal_pointer(&t->boundary);
	} else {
		fields_defects(f, pp, CT);
		if (pp->unusual) {
			fields_gmime_ct(f, t, &r);
		} else {
			r.has_boundary = t->has_boundary;
			r.boundary_full = t->boundary_len;
			r.boundary = g_steal_pointer(&t->boundary);
			r.name = g_strdup(pp->name.value);
		}
		g_strlcpy(r.type, pp->type_ok ? pp->type : "", sizeof(r.type));
		r.quoted = pp->boundary.quoted || pp->boundary.rfc2231;
		r.folded = pp->boundary.folded;
	}
	fields_take_ct(f, &r);
}

/* ---- Content-Transfer-Encoding ------------------------------------------ */

static gboolean
fields_cte_standard(const char *v)
{
	static const char *const five[] = { "7bit", "8bit", "binary",
		"quoted-printable", "base64" };

	for (gsize i = 0; i < G_N_ELEMENTS(five); i++)
		if (strcmp(v, five[i]) == 0)
			return TRUE;
	return FALSE;
}

/* RFC 2045 x-token: "x-" and token characters. */
static gboolean
fields_cte_xtoken(const char *v)
{
	if (g_ascii_strncasecmp(v, "x-", 2) != 0 || v[2] == '\0')
		return FALSE;
	for (v += 2; *v != '\0'; v++)
		if ((guchar)*v <= ' ' || (guchar)*v >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?=", *v) != NULL)
			return FALSE;
	return TRUE;
}

static gboolean
fields_decodes(GMimeContentEncoding enc)
{
	return enc == GMIME_CONTENT_ENCODING_BASE64 ||
	    enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE;
}

static void
fields_close_cte(SgMimeFields *f)
{
	SgMimeToken *t = &f->field;
	const char *raw = t->raw != NULL && !t->raw_long ? t->raw : "";
	GMimeContentEncoding raw_enc = g_mime_content_encoding_from_string(raw);
	GMimeContentEncoding enc = raw_enc;
	gboolean kept = t->cte_len <= SG_MIME_CTE_KEEP;
	gboolean standard = kept && fields_cte_standard(t->cte);
	gboolean x = !standard && kept && fields_cte_xtoken(t->cte);

	if (strstr(raw, "=?") != NULL) {
		g_autofree char *text = fields_gmime_text(t);

		enc = g_mime_content_encoding_from_string(text);
	}
	if (!standard && !x)
		sg_mime_event(f->scan, SG_RULE_MIME_CTE_INVALID,
		    f->field_offset, f->path, CTE,
		    "%s: Content-Transfer-Encoding '%s%s' is none of 7bit, "
		    "8bit, binary, quoted-printable and base64 (RFC 2045 6.1)",
		    f->path, t->cte, kept ? "" : "...");
	if (!standard &&
	    (enc == GMIME_CONTENT_ENCODING_BASE64 ||
	        enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE))
		sg_mime_ambiguous(f->scan, f->field_offset, f->path, CTE,
		    "the transfer encoding",
		    "RFC 2045 (an unknown encoding: the part is opaque)",
		    t->cte, "GMime decodes",
		    g_mime_content_encoding_to_string(enc));
	if (f->has_cte && strcmp(f->cte, t->cte) != 0) {
		sg_mime_ambiguous(f->scan, f->field_offset, f->path, CTE,
		    "two Content-Transfer-Encoding fields", "the first", f->cte,
		    "the last (GMime's)", t->cte);
		if (f->scan->pre_conflict == SG_OFFSET_NONE)
			f->scan->pre_conflict = f->field_offset;
	}
	f->cte_encoded = f->cte_encoded || fields_decodes(raw_enc);
	f->has_cte = TRUE;
	memcpy(f->cte, t->cte, sizeof(f->cte));
	f->cte_len = t->cte_len;
	f->encoding = enc;
	f->cte_x = x;
}

/* ---- Content-Disposition ------------------------------------------------- */

static void
fields_close_cd(SgMimeFields *f)
{
	SgMimeToken *t = &f->field;
	SgMimeParams *pp = &t->params;
	g_autofree char *fn = NULL;

	if (!t->params_read)
		return;
	fields_defects(f, pp, CD);
	if (pp->unusual) {
		g_autofree char *text = fields_gmime_text(t);
		g_autoptr(GMimeContentDisposition) cd =
		    g_mime_content_disposition_parse(NULL, text);
		const char *g =
		    g_mime_content_disposition_get_parameter(cd, "filename");

		fields_readings(f, &pp->filename, g, CD, "the file name",
		    FALSE);
		fields_encoded_value(f, &pp->filename, g, CD, "filename");
		fn = g_strdup(g);
	} else {
		fn = g_strdup(pp->filename.value);
	}
	if (f->filename != NULL && fn != NULL && strcmp(f->filename, fn) != 0)
		sg_mime_ambiguous(f->scan, f->field_offset, f->path, CD,
		    "two Content-Disposition fields", "the first", f->filename,
		    "the last (GMime's)", fn);
	if (fn != NULL) {
		g_free(f->filename);
		f->filename = g_steal_pointer(&fn);
	}
}

/* ---- fields ---------------------------------------------------------------
 */

/* Ends the open field: what it says goes to the part. */
static void
fields_close(SgMimeFields *f)
{
	if (!f->field_open)
		return;
	f->field_open = FALSE;
	sg_mime_token_finish(&f->field);
	switch (f->field.kind) {
	case SG_MIME_FIELD_CT:
		fields_close_ct(f);
		break;
	case SG_MIME_FIELD_CTE:
		fields_close_cte(f);
		break;
	case SG_MIME_FIELD_CD:
		fields_close_cd(f);
		break;
	default:
		break;
	}
}

/*
 * The name of a field line as GMime takes it: up to the colon, blanks
 * only before it, no control byte.  Returns the name's length without
 * those blanks, 0 when the line is no field; *colon: where the colon is.
 */
static gsize
fields_name(const char *p, gsize l, gsize *colon)
{
	gsize i = 0;
	gsize end = 0;
	gboolean blank = FALSE;

	for (; i < l && p[i] != ':'; i++) {
		guchar c = (guchar)p[i];

		if (c == ' ' || c == '\t') {
			blank = TRUE;
			continue;
		}
		if (blank || c < ' ' || c == 0x7f)
			return 0;
		end = i + 1;
	}
	if (i >= l)
		return 0;
	*colon = i;
	return end;
}

static gsize
fields_token_run(const char *p, gsize l)
{
	gsize i = 0;

	while (i < l && (guchar)p[i] > ' ' && (guchar)p[i] != 0x7f &&
	    strchr("()<>@,;:\\\"/[]?=", p[i]) == NULL)
		i++;
	return i;
}

/*
 * TRUE when (p, l) starts like a value of a field of @kind: "type/subtype"
 * for Content-Type, one token for the others.  A list of field names
 * ("Content-Type:Content-Transfer-Encoding:...", as in DKIM-Signature's
 * h= tag) is no such value.
 */
static gboolean
fields_value_like(SgMimeFieldKind kind, const char *p, gsize l)
{
	gsize i = 0, t;

	while (i < l && (p[i] == ' ' || p[i] == '\t'))
		i++;
	t = fields_token_run(p + i, l - i);
	if (t == 0)
		return FALSE;
	i += t;
	if (kind == SG_MIME_FIELD_CT)
		return i + 1 < l && p[i] == '/' &&
		    fields_token_run(p + i + 1, l - i - 1) > 0;
	return i == l || p[i] == ' ' || p[i] == '\t' || p[i] == ';' ||
	    p[i] == '(';
}

/*
 * A MIME field (Content-Type, -Transfer-Encoding, -Disposition) with a
 * value that looks like one at (p, l)?  Where a field could hide.
 */
static SgMimeFieldKind
fields_kind_at(const char *p, gsize l, gsize *colon)
{
	gsize n = fields_name(p, l, colon);
	SgMimeFieldKind kind =
	    n > 0 ? sg_mime_field_kind(p, n) : SG_MIME_FIELD_OTHER;

	if (kind != SG_MIME_FIELD_OTHER &&
	    !fields_value_like(kind, p + *colon + 1, l - *colon - 1))
		return SG_MIME_FIELD_OTHER;
	return kind;
}

/* Opens the field of line (p, len) whose name is n bytes. */
static void
fields_open(SgMimeFields *f, const char *p, gsize len, gsize n, gsize colon,
    goffset off)
{
	gsize keep = MIN(n, (gsize)SG_MIME_NAME_KEEP);

	memcpy(f->field_name, p, keep);
	f->field_name[keep] = '\0';
	sg_mime_token_init(&f->field, sg_mime_field_kind(p, n),
	    f->boundary_keep, &fields_sink, f);
	f->field_offset = off;
	f->field_open = TRUE;
	f->nfields++;
	sg_mime_token_feed(&f->field, p + colon + 1, len - colon - 1,
	    off + (goffset)colon + 1);
}

/*
 * A MIME field that some readers do not see where GMime does: after a
 * line that is no field, after a line of white space, with white space
 * before its colon.
 */
static void
fields_hidden_field(SgMimeFields *f, const char *name, gsize n, gsize colon,
    goffset off)
{
	g_autofree char *field = g_strndup(name, n);

	if (f->junk_line != SG_OFFSET_NONE)
		sg_mime_ambiguous(f->scan, off, f->path, field,
		    "a field after a header line that is no field",
		    "RFC 5322, Postfix and Python (the body began at the "
		    "earlier line)",
		    NULL, "GMime and MimeKit", field);
	else if (f->blank_line != SG_OFFSET_NONE)
		sg_mime_ambiguous(f->scan, off, f->path, field,
		    "a field after a header line of white space only",
		    "readers that end the header block at a blank line", NULL,
		    "GMime and RFC 5322 (a folded empty line)", field);
	if (colon > n)
		sg_mime_ambiguous(f->scan, off, f->path, field,
		    "a field with white space before its colon",
		    "Python's email (no field: the body begins)", NULL,
		    "GMime and RFC 5322 obsolete syntax", field);
}

/* A line that starts a field, or is no field at all. */
static void
fields_field_line(SgMimeFields *f, const char *p, gsize len, gsize l,
    goffset off)
{
	gsize colon = 0;
	gsize n = fields_name(p, l, &colon);

	fields_close(f);
	if (l >= 2 && p[0] == '-' && p[1] == '-' && f->dash_line == NULL) {
		f->dash_line = g_strndup(p, MIN(l, f->boundary_keep + 4));
		f->dash_offset = off;
	}
	if (n == 0) {
		if (f->junk_line == SG_OFFSET_NONE)
			f->junk_line = off;
		return;
	}
	if (sg_mime_field_kind(p, n) != SG_MIME_FIELD_OTHER)
		fields_hidden_field(f, p, n, colon, off);
	fields_open(f, p, len, n, colon, off);
}

/* A continuation line: the open field's, and maybe a field in hiding. */
static void
fields_continuation(SgMimeFields *f, const char *p, gsize len, gsize l,
    goffset off)
{
	gsize ws = 0;
	gsize colon = 0;

	if (f->field_open)
		sg_mime_token_feed(&f->field, p, len, off);
	while (ws < l && (p[ws] == ' ' || p[ws] == '\t'))
		ws++;
	if (ws == l) {
		if (f->blank_line == SG_OFFSET_NONE)
			f->blank_line = off;
		if (f->field_open && f->field.kind != SG_MIME_FIELD_OTHER)
			sg_mime_ambiguous(f->scan, off, f->path, f->field_name,
			    "a line of white space only inside a MIME field",
			    "readers that end the header block at a blank "
			    "line: the field ends, the body begins",
			    NULL, "GMime and RFC 5322: the field goes on",
			    f->field_name);
		return;
	}
	if (fields_kind_at(p + ws, l - ws, &colon) != SG_MIME_FIELD_OTHER) {
		g_autofree char *name = g_strndup(p + ws, colon);

		sg_mime_ambiguous(f->scan, off + (goffset)ws, f->path, name,
		    "a continuation line that holds a field",
		    "GMime and RFC 5322 (part of the field before)", NULL,
		    "readers that take indented lines as fields", name);
	}
}

/* A CR that is no line end: a field after it, or inside a MIME field. */
static void
fields_bare_cr(SgMimeFields *f, const char *p, gsize l, goffset off)
{
	const char *cr = memchr(p, '\r', l);
	gsize at, colon = 0;

	if (cr == NULL)
		return;
	at = (gsize)(cr - p);
	if (fields_kind_at(cr + 1, l - at - 1, &colon) != SG_MIME_FIELD_OTHER) {
		g_autofree char *name = g_strndup(cr + 1, colon);

		sg_mime_ambiguous(f->scan, off + (goffset)at, f->path, name,
		    "a bare CR in a header line",
		    "CR as a line end (a field of its own)", name,
		    "CR as a byte (GMime: part of the line before)", NULL);
	} else if (fields_kind_at(p, l, &colon) != SG_MIME_FIELD_OTHER ||
	    ((p[0] == ' ' || p[0] == '\t') && f->field_open &&
	        f->field.kind != SG_MIME_FIELD_OTHER)) {
		sg_mime_ambiguous(f->scan, off + (goffset)at, f->path,
		    f->field_open ? f->field_name : NULL,
		    "a bare CR inside a MIME header field",
		    "CR as a line end (the value stops there)", NULL,
		    "CR as a byte (GMime: the value goes on)", NULL);
	}
}

/* The first line of the block: the byte scan starts, an mbox line is let be. */
static gboolean
fields_begin(SgMimeFields *f, const char *p, gsize len)
{
	gboolean mbox = f->message &&
	    ((len >= 5 && memcmp(p, "From ", 5) == 0) ||
	        (len >= 6 && memcmp(p, ">From ", 6) == 0));

	f->started = TRUE;
	if (f->bytes != NULL)
		sg_header_scan_start_part(f->bytes, f->offset, f->path, mbox);
	return mbox;
}

/* The block's bytes against the hard header.block-size: past it, no GMime. */
static void
fields_count(SgMimeFields *f, gsize len)
{
	gint64 hard;

	f->header_bytes += len;
	if (f->block_reported)
		return;
	hard = sg_profile_hard(f->scan->profile, SG_RULE_HEADER_BLOCK_SIZE);
	if (hard != SG_VALUE_NONE && (gint64)f->header_bytes > hard) {
		f->block_reported = TRUE;
		f->scan->breached = TRUE;
	}
}

gboolean
sg_mime_fields_line(SgMimeFields *f, const char *p, gsize len, goffset off,
    gboolean first, gboolean last)
{
	gsize l = len;

	if (first && !f->started && fields_begin(f, p, len)) {
		if (f->bytes != NULL)
			sg_header_scan_feed(f->bytes, p, len);
		return FALSE; /* the mbox line: no field, no junk */
	}
	if (f->bytes != NULL)
		sg_header_scan_feed(f->bytes, p, len);
	if (!first) {
		fields_count(f, len);
		if (f->field_open)
			sg_mime_token_feed(&f->field, p, len, off);
		return FALSE;
	}
	if (l > 0 && p[l - 1] == '\n')
		l--;
	if (l > 0 && p[l - 1] == '\r')
		l--;
	if (l == 0 && last)
		return TRUE;
	fields_count(f, len);
	fields_bare_cr(f, p, l, off);
	if (p[0] == ' ' || p[0] == '\t')
		fields_continuation(f, p, len, l, off);
	else
		fields_field_line(f, p, len, l, off);
	return FALSE;
}

/* ---- the part's fields together ------------------------------------------ */

/* RFC 2046 5.1.1: bcharsnospace and space, not at the end. */
static gboolean
fields_bchar(guchar c)
{
	return g_ascii_isalnum(c) || strchr("'()+_,-./:=? ", c) != NULL;
}

/*
 * mime.boundary-chars: a byte RFC 2046 does not allow, a trailing space,
 * an empty boundary, or (unquoted) one a token cannot hold.
 */
static void
fields_boundary_chars(SgMimeFields *f, gboolean quoted)
{
	const char *b = f->boundary;
	gsize n = strlen(b);
	const char *why = NULL;

	if (n == 0)
		why = "an empty boundary";
	else if (b[n - 1] == ' ')
		why = "a boundary that ends in a space";
	else if (f->boundary_folded)
		why = "a boundary folded across lines (readers differ on "
		      "what the fold leaves)";
	for (gsize i = 0; i < n && why == NULL; i++) {
		if (!fields_bchar((guchar)b[i]))
			why = "a byte outside RFC 2046's boundary characters";
		else if (!quoted && strchr("()<>@,;:\\\"/[]?= ", b[i]) != NULL)
			why = "an unquoted boundary with a character a token "
			      "cannot hold";
	}
	if (why != NULL) {
		g_autofree char *e = sg_escape_bytes(b, n, 60);

		sg_mime_event(f->scan, SG_RULE_MIME_BOUNDARY_CHARS, f->offset,
		    f->path, CT, "%s: %s: '%s'", f->path, why, e);
	}
}

/* The extension of a file name, or "". */
static const char *
fields_extension(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot != NULL ? dot + 1 : "";
}

/* name= and filename= that name another kind of file. */
static void
fields_names(SgMimeFields *f)
{
	if (f->name == NULL || f->filename == NULL || !fields_ascii(f->name) ||
	    !fields_ascii(f->filename) ||
	    g_ascii_strcasecmp(fields_extension(f->name),
	        fields_extension(f->filename)) == 0)
		return;
	sg_mime_ambiguous(f->scan, f->offset, f->path, CD, "the file name",
	    "Content-Type name= (Outlook)", f->name,
	    "Content-Disposition filename= (most readers)", f->filename);
}

/* A file name with a directory part: extracting it writes elsewhere. */
static void
fields_name_path(SgMimeFields *f, const char *name, const char *header)
{
	g_autofree char *e = NULL;

	if (name == NULL ||
	    (strchr(name, '/') == NULL && strchr(name, '\\') == NULL &&
	        strstr(name, "..") != name))
		return;
	e = sg_escape_bytes(name, strlen(name), 80);
	sg_mime_event(f->scan, SG_RULE_MIME_FILENAME_PATH, f->offset, f->path,
	    header, "%s: the file name '%s' has a directory part", f->path, e);
}

/* A header line of the block that is a delimiter of the part's boundary. */
static void
fields_dash_line(SgMimeFields *f)
{
	gsize n = strlen(f->boundary);
	const char *d = f->dash_line;

	if (strncmp(d + 2, f->boundary, n) != 0 ||
	    (d[2 + n] != '\0' && strcmp(d + 2 + n, "--") != 0))
		return;
	sg_mime_ambiguous(f->scan, f->dash_offset, f->path, CT,
	    "a delimiter line inside the header block that declares it",
	    "GMime (a header field)", NULL,
	    "readers that look for delimiters from the boundary on",
	    "a delimiter");
}

static void
fields_judge(SgMimeFields *f)
{
	gboolean multipart =
	    f->has_ct && g_str_has_prefix(f->type, "multipart/");

	if (f->has_ct && !multipart &&
	    (f->has_boundary || strstr(f->type, "multipart") != NULL)) {
		g_autofree char *e =
		    sg_escape_bytes(f->type, strlen(f->type), 60);

		sg_mime_event(f->scan, SG_RULE_MIME_FAKE_MULTIPART, f->offset,
		    f->path, CT, "%s: %s '%s'", f->path,
		    f->has_boundary ? "a boundary parameter on the type"
		                    : "a type that imitates multipart",
		    f->type[0] != '\0' ? e : "(none that parses)");
	}
	if (multipart && f->boundary != NULL)
		fields_boundary_chars(f, f->boundary_quoted);
	if (multipart && f->boundary != NULL && f->dash_line != NULL)
		fields_dash_line(f);
	fields_names(f);
	fields_name_path(f, f->filename, CD);
	if (f->filename == NULL || f->name == NULL ||
	    strcmp(f->filename, f->name) != 0)
		fields_name_path(f, f->name, CT);
}

void
sg_mime_fields_start(SgMimeFields *f, SgMimeScan *scan, SgHeaderScan *bytes,
    const char *path, guint depth, goffset offset, gboolean message,
    gsize boundary_keep)
{
	sg_mime_fields_clear(f);
	f->scan = scan;
	f->bytes = bytes;
	f->path = path;
	f->depth = depth;
	f->offset = offset;
	f->message = message;
	f->boundary_keep = boundary_keep;
	f->encoding = GMIME_CONTENT_ENCODING_DEFAULT;
	f->junk_line = SG_OFFSET_NONE;
	f->blank_line = SG_OFFSET_NONE;
	f->dash_offset = SG_OFFSET_NONE;
}

void
sg_mime_fields_end(SgMimeFields *f)
{
	fields_close(f);
	if (f->bytes != NULL && f->started)
		sg_header_scan_end_part(f->bytes);
	f->started = FALSE;
	f->bytes = NULL;
	fields_judge(f);
}

void
sg_mime_fields_clear(SgMimeFields *f)
{
	g_free(f->boundary);
	g_free(f->name);
	g_free(f->filename);
	g_free(f->dash_line);
	sg_mime_token_clear(&f->field);
	memset(f, 0, sizeof(*f));
}
