// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-mime-param.c - the RFC reading of a Content-Type or
 * Content-Disposition value that the tokenizer kept whole (see
 * check-mime-token.h): the type, the parameters as RFC 2045 and RFC 2231
 * read them, and each grammar defect met on the way.
 *
 * One pass over (pointer, length) with an index; comments nest through a
 * counter.  Parameters are kept as spans of the value (at most
 * SG_MIME_PARAMS_MAX); boundary=, name= and filename= are then decoded:
 * RFC 2231 sections sorted by number and joined up to the first gap, an
 * encoded value's charset'language' prefix taken off and its %XX decoded,
 * a plain value unquoted.  Values are copied out up to a fixed size; the
 * spans point into the caller's bytes, which must outlive the parse only.
 * No charset is converted and no RFC 2047 word decoded: that is GMime's
 * reading, which the pre-scan asks for when this one says it may differ.
 */
#include "config.h"

#include <string.h>

#include "spoolguard/core.h"

#include "check-mime-token.h"

/* One parameter: spans into the value. */
typedef struct {
	char name[SG_MIME_NAME_KEEP + 1]; /* lower case, section left out */
	gint section;                     /* -1: none */
	gboolean encoded;                 /* "name*=" or "name*N*=" */
	gsize v0, v1;                     /* the value's bytes */
	gboolean quoted;
	gboolean leading_zero;
} Param;

typedef struct {
	const char *p;
	gsize len;
	gsize i;
	goffset base; /* content offset of p[0] */
	SgMimeParams *out;
	Param params[SG_MIME_PARAMS_MAX];
	guint n;
} Lex;

static gboolean
lex_space(guchar c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * RFC 2045 token characters: printable ASCII but tspecials; 8-bit bytes
 * too, as GMime takes them (header.8bit judges those).
 */
static gboolean
lex_token(guchar c)
{
	return c > ' ' && c != 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static void
lex_defect(Lex *l, SgMimeDefect d, gsize at, const char *what)
{
	SgMimeParams *o = l->out;

	if (o->defects & (1u << d))
		return;
	o->defects |= 1u << d;
	o->defect_at[d] = l->base + (goffset)MIN(at, l->len);
	o->defect_what[d] = what;
}

/* Skips a comment at p[i] == '(' (nested to any depth, with escapes). */
static void
lex_comment(Lex *l)
{
	guint64 depth = 0;

	lex_defect(l, SG_MIME_DEFECT_COMMENT, l->i, "a comment");
	while (l->i < l->len) {
		guchar c = (guchar)l->p[l->i++];

		if (c == '\\' && l->i < l->len)
			l->i++;
		else if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0)
			return;
	}
}

/* Skips white space and comments; TRUE when white space was among them. */
static gboolean
lex_cfws(Lex *l)
{
	gboolean space = FALSE;

	while (l->i < l->len) {
		guchar c = (guchar)l->p[l->i];

		if (lex_space(c)) {
			space = TRUE;
			l->i++;
		} else if (c == '(') {
			lex_comment(l);
		} else {
			break;
		}
	}
	return space;
}

static gsize
lex_token_run(Lex *l)
{
	gsize start = l->i;

	while (l->i < l->len && lex_token((guchar)l->p[l->i]))
		l->i++;
	return l->i - start;
}

/* Skips to the next ';' (or the end), as lenient readers do. */
static void
lex_skip_to_semicolon(Lex *l)
{
	const char *semi = memchr(l->p + l->i, ';', l->len - l->i);

	l->i = semi != NULL ? (gsize)(semi - l->p) : l->len;
}

/* "type/subtype" from the two token runs, lower case, as much as fits. */
static void
lex_keep_type(Lex *l, gsize t0, gsize t, gsize s0, gsize s)
{
	char *out = l->out->type;
	gsize n = 0;

	for (gsize k = 0; k < t && n < SG_MIME_TYPE_KEEP; k++)
		out[n++] = g_ascii_tolower(l->p[t0 + k]);
	if (n < SG_MIME_TYPE_KEEP)
		out[n++] = '/';
	for (gsize k = 0; k < s && n < SG_MIME_TYPE_KEEP; k++)
		out[n++] = g_ascii_tolower(l->p[s0 + k]);
	out[n] = '\0';
}

/* The type (Content-Type: "type/subtype"; Content-Disposition: a token). */
static void
lex_type(Lex *l, SgMimeFieldKind kind)
{
	gsize t0, t, s0 = 0, s = 0;

	lex_cfws(l);
	t0 = l->i;
	t = lex_token_run(l);
	if (kind == SG_MIME_FIELD_CT) {
		lex_cfws(l);
		if (l->i < l->len && l->p[l->i] == '/') {
			l->i++;
			lex_cfws(l);
			s0 = l->i;
			s = lex_token_run(l);
		}
		l->out->type_ok = t > 0 && s > 0;
		if (l->out->type_ok)
			lex_keep_type(l, t0, t, s0, s);
	} else {
		l->out->type_ok = t > 0;
	}
	lex_cfws(l);
	if (l->i < l->len && l->p[l->i] != ';') {
		lex_defect(l, SG_MIME_DEFECT_SYNTAX, l->i,
		    "text after the type where a ';' belongs");
		lex_skip_to_semicolon(l);
	}
}

/* A name's RFC 2231 part after the '*': "N", "N*" or nothing. */
static void
lex_section(Lex *l, Param *pr)
{
	gsize start = l->i;
	gint n = 0;

	l->i++; /* the '*' */
	if (l->i < l->len && g_ascii_isdigit(l->p[l->i])) {
		start = l->i;
		while (l->i < l->len && g_ascii_isdigit(l->p[l->i])) {
			if (n < 100000)
				n = n * 10 + (l->p[l->i] - '0');
			l->i++;
		}
		pr->section = n;
		pr->leading_zero = l->p[start] == '0' && l->i - start > 1;
		if (l->i < l->len && l->p[l->i] == '*') {
			pr->encoded = TRUE;
			l->i++;
		}
	} else {
		pr->encoded = TRUE;
	}
}

/* The value after '=': a quoted string or a token. */
static void
lex_value(Lex *l, Param *pr)
{
	if (l->i < l->len && l->p[l->i] == '"') {
		pr->quoted = TRUE;
		pr->v0 = ++l->i;
		while (l->i < l->len && l->p[l->i] != '"') {
			if (l->p[l->i] == '\\' && l->i + 1 < l->len) {
				lex_defect(l, SG_MIME_DEFECT_ESCAPE, l->i,
				    "a backslash escape in a quoted string "
				    "(readers that keep the backslash read "
				    "another value)");
				l->i++;
			}
			l->i++;
		}
		pr->v1 = l->i;
		if (l->i < l->len)
			l->i++;
		else
			lex_defect(l, SG_MIME_DEFECT_QUOTE, pr->v0 - 1,
			    "a quoted string left open");
		return;
	}
	pr->v0 = l->i;
	lex_token_run(l);
	pr->v1 = l->i;
	if (pr->v1 == pr->v0)
		lex_defect(l, SG_MIME_DEFECT_SYNTAX, l->i,
		    "a parameter without a value");
	else if (!pr->encoded && pr->v1 - pr->v0 >= 2 && l->p[pr->v0] == '\'' &&
	    l->p[pr->v1 - 1] == '\'')
		lex_defect(l, SG_MIME_DEFECT_QUOTE, pr->v0,
		    "a value in single quotes");
}

/* What follows a value, up to the next ';'. */
static void
lex_after_value(Lex *l, gboolean quoted)
{
	guchar c;

	lex_cfws(l);
	if (l->i >= l->len || l->p[l->i] == ';')
		return;
	c = (guchar)l->p[l->i];
	if (quoted)
		lex_defect(l, SG_MIME_DEFECT_QUOTE, l->i,
		    "text after a quoted string");
	else if (c == '"')
		lex_defect(l, SG_MIME_DEFECT_QUOTE, l->i,
		    "a quote inside an unquoted value");
	else if (c == '\\')
		lex_defect(l, SG_MIME_DEFECT_ESCAPE, l->i,
		    "a backslash outside a quoted string");
	else
		lex_defect(l, SG_MIME_DEFECT_SYNTAX, l->i,
		    "text after a value where a ';' belongs");
	lex_skip_to_semicolon(l);
}

/* One "name=value" after a ';' and any white space. */
static void
lex_param(Lex *l)
{
	Param pr = { .section = -1 };
	gsize n0 = l->i;
	gsize n;

	while (
	    l->i < l->len && lex_token((guchar)l->p[l->i]) && l->p[l->i] != '*')
		l->i++;
	n = MIN(l->i - n0, (gsize)SG_MIME_NAME_KEEP);
	for (gsize k = 0; k < n; k++)
		pr.name[k] = g_ascii_tolower(l->p[n0 + k]);
	if (l->i < l->len && l->p[l->i] == '*')
		lex_section(l, &pr);
	if (l->i == n0 || n == 0) {
		lex_defect(l, SG_MIME_DEFECT_SYNTAX, n0,
		    "a parameter without a name");
		lex_skip_to_semicolon(l);
		return;
	}
	if (lex_cfws(l))
		lex_defect(l, SG_MIME_DEFECT_SPACE, l->i,
		    "white space before '='");
	if (l->i >= l->len || l->p[l->i] != '=') {
		lex_defect(l, SG_MIME_DEFECT_SYNTAX, l->i,
		    "a parameter without '='");
		lex_skip_to_semicolon(l);
		return;
	}
	l->i++;
	if (lex_cfws(l))
		lex_defect(l, SG_MIME_DEFECT_SPACE, l->i,
		    "white space after '='");
	lex_value(l, &pr);
	if (pr.leading_zero)
		lex_defect(l, SG_MIME_DEFECT_SECTIONS, n0,
		    "an RFC 2231 section number with a leading zero");
	if (l->n < SG_MIME_PARAMS_MAX)
		l->params[l->n++] = pr;
	else
		lex_defect(l, SG_MIME_DEFECT_SYNTAX, n0,
		    "more parameters than spoolguard reads");
	lex_after_value(l, pr.quoted);
}

static void
lex_params(Lex *l)
{
	while (l->i < l->len) {
		l->i++; /* the ';' */
		lex_cfws(l);
		if (l->i >= l->len)
			break;
		if (l->p[l->i] == ';') {
			lex_defect(l, SG_MIME_DEFECT_SYNTAX, l->i,
			    "an empty parameter (';;')");
			continue;
		}
		lex_param(l);
	}
}

/* ---- values ------------------------------------------------------------ */

/* Appends @c to @v's value while it fits in @keep; counts it anyway. */
static void
value_put(SgMimeValue *v, gsize keep, guchar c)
{
	if (v->len < keep)
		v->value[v->len] = (char)c;
	v->len++;
}

/* A plain value: the token, or the quoted string without its escapes. */
static void
value_plain(Lex *l, const Param *pr, SgMimeValue *v, gsize keep)
{
	for (gsize k = pr->v0; k < pr->v1; k++) {
		guchar c = (guchar)l->p[k];

		if (pr->quoted && (c == '\r' || c == '\n')) {
			v->folded = TRUE;
			continue; /* a fold inside the string */
		}
		if (pr->quoted && c == '\\' && k + 1 < pr->v1)
			c = (guchar)l->p[++k];
		value_put(v, keep, c);
	}
}

/*
 * An encoded section's bytes from @k: %XX decoded (a bad escape is kept as
 * it is, and reported).
 */
static void
value_percent(Lex *l, const Param *pr, gsize k, SgMimeValue *v, gsize keep)
{
	for (; k < pr->v1; k++) {
		guchar c = (guchar)l->p[k];

		if (c == '%' && k + 2 < pr->v1 &&
		    g_ascii_isxdigit(l->p[k + 1]) &&
		    g_ascii_isxdigit(l->p[k + 2])) {
			c = (guchar)(g_ascii_xdigit_value(l->p[k + 1]) * 16 +
			    g_ascii_xdigit_value(l->p[k + 2]));
			k += 2;
		} else if (c == '%') {
			lex_defect(l, SG_MIME_DEFECT_2231, k,
			    "an RFC 2231 '%' not followed by two hex digits");
		}
		value_put(v, keep, c);
	}
}

/* Section 0 of an encoded value: "charset'language'" comes off. */
static gsize
value_charset(Lex *l, const Param *pr, SgMimeValue *v)
{
	const char *q1 = memchr(l->p + pr->v0, '\'', pr->v1 - pr->v0);
	const char *q2;
	gsize n;

	if (q1 == NULL ||
	    (q2 = memchr(q1 + 1, '\'', (gsize)(l->p + pr->v1 - q1 - 1))) ==
	        NULL) {
		lex_defect(l, SG_MIME_DEFECT_2231, pr->v0,
		    "an RFC 2231 encoded value without charset'language'");
		return pr->v0;
	}
	n = MIN((gsize)(q1 - (l->p + pr->v0)), sizeof(v->charset) - 1);
	for (gsize k = 0; k < n; k++)
		v->charset[k] = g_ascii_tolower(l->p[pr->v0 + k]);
	v->charset[n] = '\0';
	return (gsize)(q2 + 1 - l->p);
}

/*
 * RFC 2231 sections @idx (in the order written) sorted by number and
 * joined up to the first gap; what is out of order, missing, repeated or
 * mixed is a defect.  GMime joins every section, gaps and all.
 */
static void
value_sections(Lex *l, const guint *idx, guint n, SgMimeValue *v, gsize keep)
{
	guint order[SG_MIME_SECTIONS_MAX];
	gint expect = 0;

	memcpy(order, idx, n * sizeof(*idx));
	for (guint a = 1; a < n; a++) {
		guint x = order[a];
		guint b = a;

		while (b > 0 &&
		    l->params[order[b - 1]].section > l->params[x].section) {
			order[b] = order[b - 1];
			b--;
		}
		order[b] = x;
		if (b != a)
			lex_defect(l, SG_MIME_DEFECT_SECTIONS, l->params[x].v0,
			    "RFC 2231 sections out of order");
	}
	for (guint a = 0; a < n; a++) {
		const Param *pr = &l->params[order[a]];

		if (pr->encoded != l->params[order[0]].encoded)
			lex_defect(l, SG_MIME_DEFECT_SECTIONS, pr->v0,
			    "RFC 2231 encoded and plain sections mixed");
		if (pr->section < expect) {
			lex_defect(l, SG_MIME_DEFECT_SECTIONS, pr->v0,
			    "an RFC 2231 section repeated");
			continue;
		}
		if (pr->section > expect) {
			lex_defect(l, SG_MIME_DEFECT_SECTIONS, pr->v0,
			    expect == 0 ? "RFC 2231 sections without section 0"
			                : "a gap in RFC 2231 sections");
			break;
		}
		expect++;
		if (!pr->encoded)
			value_plain(l, pr, v, keep);
		else
			value_percent(l, pr,
			    pr->section == 0 ? value_charset(l, pr, v) : pr->v0,
			    v, keep);
	}
}

/* Ends @v's value: NUL-terminated, or dropped when longer than @keep. */
static void
value_end(SgMimeValue *v, gsize keep)
{
	if (v->len > keep)
		g_clear_pointer(&v->value, g_free);
	else
		v->value[v->len] = '\0';
}

/* The plain form of a parameter that also has an RFC 2231 form. */
static void
value_compare_plain(Lex *l, const Param *pr, SgMimeValue *v, gsize keep)
{
	SgMimeValue plain = { 0 };

	plain.value = g_malloc(keep + 1);
	value_plain(l, pr, &plain, keep);
	value_end(&plain, keep);
	if (plain.len != v->len || plain.value == NULL || v->value == NULL ||
	    memcmp(plain.value, v->value, v->len) != 0) {
		v->plain_differs = TRUE;
		v->plain = g_steal_pointer(&plain.value);
	}
	g_free(plain.value);
}

/* The parameter named @want, every form of it, into @v. */
static void
value_collect(Lex *l, const char *want, SgMimeValue *v, gsize keep)
{
	guint idx[SG_MIME_SECTIONS_MAX];
	guint ns = 0;
	gint plain = -1, star = -1;

	for (guint i = 0; i < l->n; i++) {
		const Param *pr = &l->params[i];

		if (strcmp(pr->name, want) != 0)
			continue;
		if (pr->section >= 0 && ns < SG_MIME_SECTIONS_MAX)
			idx[ns++] = i;
		else if (pr->section >= 0)
			lex_defect(l, SG_MIME_DEFECT_SECTIONS, pr->v0,
			    "more RFC 2231 sections than spoolguard reads");
		else if (pr->encoded && star < 0)
			star = (gint)i;
		else if (!pr->encoded && plain < 0)
			plain = (gint)i;
	}
	if (ns == 0 && star < 0 && plain < 0)
		return;
	v->present = TRUE;
	v->value = g_malloc(keep + 1);
	if (ns > 0 && star >= 0)
		lex_defect(l, SG_MIME_DEFECT_SECTIONS, l->params[star].v0,
		    "both an RFC 2231 value and RFC 2231 sections");
	if (ns > 0 || star >= 0) {
		const Param *first = &l->params[ns > 0 ? idx[0] : (guint)star];

		v->rfc2231 = TRUE;
		v->offset = l->base + (goffset)first->v0;
		if (ns > 0)
			value_sections(l, idx, ns, v, keep);
		else
			value_percent(l, first, value_charset(l, first, v), v,
			    keep);
		value_end(v, keep);
		if (plain >= 0)
			value_compare_plain(l, &l->params[plain], v, keep);
		return;
	}
	v->offset = l->base + (goffset)l->params[plain].v0;
	v->quoted = l->params[plain].quoted;
	value_plain(l, &l->params[plain], v, keep);
	value_end(v, keep);
}

/* TRUE when a charset is one whose %XX bytes GMime takes as they are. */
static gboolean
params_plain_charset(const char *charset)
{
	return charset[0] == '\0' || strcmp(charset, "us-ascii") == 0 ||
	    strcmp(charset, "utf-8") == 0;
}

/*
 * TRUE when a line break stands inside a quoted string: the RFC unfolds
 * it away, GMime keeps it in the value, so the two read different
 * boundaries and file names.
 */
static gboolean
params_fold_in_quotes(const char *p, gsize len)
{
	gboolean quoted = FALSE;

	for (gsize i = 0; i < len; i++) {
		if (quoted && p[i] == '\\' && i + 1 < len)
			i++;
		else if (p[i] == '"')
			quoted = !quoted;
		else if (quoted && (p[i] == '\r' || p[i] == '\n'))
			return TRUE;
	}
	return FALSE;
}

static gboolean
params_unusual(const char *p, gsize len, const SgMimeParams *o)
{
	const SgMimeValue *v[] = { &o->boundary, &o->name, &o->filename };

	if (o->defects != 0 || memmem(p, len, "=?", 2) != NULL ||
	    params_fold_in_quotes(p, len))
		return TRUE;
	for (gsize i = 0; i < len; i++)
		if ((guchar)p[i] >= 0x80 || p[i] == '\0')
			return TRUE;
	/* %XX bytes that are not UTF-8: GMime drops what it cannot convert
	 * (utf-8'en'%e2 is "" to it; found by fuzzing). */
	for (gsize i = 0; i < G_N_ELEMENTS(v); i++)
		if (v[i]->plain_differs ||
		    !params_plain_charset(v[i]->charset) ||
		    (v[i]->value != NULL &&
		        !g_utf8_validate(v[i]->value, -1, NULL)))
			return TRUE;
	return FALSE;
}

void
sg_mime_params_parse(const char *p, gsize len, goffset offset,
    SgMimeFieldKind kind, gsize boundary_max, SgMimeParams *params)
{
	Lex l;

	memset(&l, 0, sizeof(l));
	memset(params, 0, sizeof(*params));
	for (guint d = 0; d < SG_MIME_DEFECT_COUNT; d++)
		params->defect_at[d] = SG_OFFSET_NONE;
	l.p = p;
	l.len = len;
	l.base = offset;
	l.out = params;
	lex_type(&l, kind);
	lex_params(&l);
	if (kind == SG_MIME_FIELD_CT) {
		value_collect(&l, "boundary", &params->boundary, boundary_max);
		value_collect(&l, "name", &params->name, SG_MIME_FILENAME_KEEP);
	} else {
		value_collect(&l, "filename", &params->filename,
		    SG_MIME_FILENAME_KEEP);
	}
	/* GMime reads no parameters from a Content-Type it cannot type. */
	params->unusual = params_unusual(p, len, params) ||
	    (kind == SG_MIME_FIELD_CT && !params->type_ok);
}

static void
value_clear(SgMimeValue *v)
{
	g_clear_pointer(&v->value, g_free);
	g_clear_pointer(&v->plain, g_free);
}

void
sg_mime_params_clear(SgMimeParams *params)
{
	value_clear(&params->boundary);
	value_clear(&params->name);
	value_clear(&params->filename);
}
