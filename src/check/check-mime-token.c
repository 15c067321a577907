// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-mime-token.c - the MIME header-field tokenizer (see
 * check-mime-token.h): a byte-at-a-time state machine over a field value
 * fed in pieces of any size.
 *
 * Content-Type and Content-Disposition: the type (up to the first ';',
 * comments left out), then "name=value" parameters, values as tokens or
 * quoted strings with backslash escapes; RFC 2231 sections of one name
 * ("name*0", "name*1*"...) add up to one value.  Every field: RFC 2047
 * encoded words, judged when complete.  Names and types are kept up to
 * fixed sizes; values are only counted as they stream past.  The value of
 * a Content-Type, -Disposition or -Transfer-Encoding field is also copied,
 * up to SG_MIME_FIELD_CEILING bytes, and read whole when it ends
 * (check-mime-param.c): that reading gives the boundary and the grammar
 * defects; the streamed one only lengths, and the boundary of a value too
 * long to copy.
 */
#include "config.h"

#include "check-mime-token.h"

#include <string.h>

#include "spoolguard/core.h"

SgMimeFieldKind
sg_mime_field_kind(const char *name, gsize len)
{
	static const struct {
		const char *name;
		SgMimeFieldKind kind;
	} kinds[] = {
		{ "Content-Type", SG_MIME_FIELD_CT },
		{ "Content-Transfer-Encoding", SG_MIME_FIELD_CTE },
		{ "Content-Disposition", SG_MIME_FIELD_CD },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
		if (strlen(kinds[i].name) == len &&
		    g_ascii_strncasecmp(name, kinds[i].name, len) == 0)
			return kinds[i].kind;
	return SG_MIME_FIELD_OTHER;
}

static gboolean
token_is_space(guchar c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
sg_mime_token_init(SgMimeToken *token, SgMimeFieldKind kind, gsize boundary_max,
    const SgMimeTokenSink *sink, gpointer data)
{
	char *raw = token->raw;
	gsize raw_cap = token->raw_cap;

	g_free(token->boundary);
	sg_mime_params_clear(&token->params);
	memset(token, 0, sizeof(*token));
	/* The copy's buffer is kept from field to field. */
	token->raw = raw;
	token->raw_cap = raw_cap;
	token->kind = kind;
	token->boundary_max = boundary_max;
	token->sink = sink;
	token->data = data;
	token->acc_offset = SG_OFFSET_NONE;
	token->pstate = SG_MIME_P_TYPE;
}

void
sg_mime_token_clear(SgMimeToken *token)
{
	g_clear_pointer(&token->boundary, g_free);
	g_clear_pointer(&token->raw, g_free);
	token->raw_cap = 0;
	token->raw_len = 0;
	sg_mime_params_clear(&token->params);
}

/* ---- the copy ---------------------------------------------------------- */

static gboolean
token_keeps_copy(SgMimeFieldKind kind)
{
	return kind == SG_MIME_FIELD_CT || kind == SG_MIME_FIELD_CD ||
	    kind == SG_MIME_FIELD_CTE;
}

/* Appends (p, len) to the copy, up to SG_MIME_FIELD_CEILING bytes. */
static void
token_copy(SgMimeToken *t, const char *p, gsize len, goffset offset)
{
	gsize need;

	if (t->raw_long || len == 0)
		return;
	if (t->raw_len == 0)
		t->raw_offset = offset;
	if (t->raw_len + len > SG_MIME_FIELD_CEILING) {
		t->raw_long = TRUE;
		return;
	}
	need = t->raw_len + len + 1;
	if (need > t->raw_cap) {
		t->raw_cap = MAX(need,
		    MIN(2 * t->raw_cap, (gsize)SG_MIME_FIELD_CEILING + 1));
		t->raw = g_realloc(t->raw, t->raw_cap);
	}
	memcpy(t->raw + t->raw_len, p, len);
	t->raw_len += len;
	t->raw[t->raw_len] = '\0';
}

/* The whole value of a Content-Transfer-Encoding: unfolded, trimmed. */
static void
token_cte(SgMimeToken *t)
{
	const char *p = t->raw != NULL ? t->raw : "";
	gsize len = t->raw_long ? 0 : t->raw_len;
	gsize a = 0, b;

	t->cte_len = 0;
	while (a < len && token_is_space((guchar)p[a]))
		a++;
	b = len;
	while (b > a && token_is_space((guchar)p[b - 1]))
		b--;
	for (gsize i = a; i < b; i++) {
		if (p[i] == '\r' || p[i] == '\n')
			continue;
		if (t->cte_len < SG_MIME_CTE_KEEP)
			t->cte[t->cte_len] = g_ascii_tolower(p[i]);
		t->cte_len++;
	}
	t->cte[MIN(t->cte_len, (gsize)SG_MIME_CTE_KEEP)] = '\0';
}

/* ---- parameters -------------------------------------------------------- */

/* Reports the parameter gathered so far (all its sections) and forgets it. */
static void
token_flush_param(SgMimeToken *t)
{
	if (t->acc_offset != SG_OFFSET_NONE)
		t->sink->param(t->data, t->base, t->acc_len, t->acc_offset);
	t->acc_len = 0;
	t->acc_offset = SG_OFFSET_NONE;
	t->base[0] = '\0';
}

static void
token_value_end(SgMimeToken *t)
{
	char base[SG_MIME_NAME_KEEP + 1];
	const char *star = strchr(t->pname, '*');
	gsize blen = star != NULL ? (gsize)(star - t->pname) : t->pname_len;
	gboolean continued = star != NULL && g_ascii_isdigit(star[1]);

	memcpy(base, t->pname, blen);
	base[blen] = '\0';
	if (continued && t->acc_offset != SG_OFFSET_NONE &&
	    strcmp(base, t->base) == 0) {
		t->acc_len += t->pvalue_len;
	} else {
		token_flush_param(t);
		memcpy(t->base, base, blen + 1);
		t->acc_len = t->pvalue_len;
		t->acc_offset = t->pvalue_offset;
	}
	if (t->capture_boundary) {
		t->boundary_len = t->pvalue_len;
		t->has_boundary = TRUE;
		t->capture_boundary = FALSE;
	}
	t->pname_len = 0;
	t->pname[0] = '\0';
}

static void
token_value_byte(SgMimeToken *t, guchar c)
{
	t->pvalue_len++;
	if (t->capture_boundary && t->boundary_kept < t->boundary_max)
		t->boundary[t->boundary_kept++] = (char)c;
}

static void
token_value_start(SgMimeToken *t, goffset off)
{
	t->pvalue_len = 0;
	t->pvalue_offset = off;
	if (t->kind == SG_MIME_FIELD_CT && !t->has_boundary &&
	    g_ascii_strcasecmp(t->pname, "boundary") == 0) {
		g_free(t->boundary);
		t->boundary = g_malloc(t->boundary_max + 1);
		t->boundary_kept = 0;
		t->capture_boundary = TRUE;
	}
}

/* The type, before the first ';'. */
static void
token_type_byte(SgMimeToken *t, guchar c)
{
	if (t->pstate == SG_MIME_P_TYPE_COMMENT) {
		if (c == ')')
			t->pstate = SG_MIME_P_TYPE;
	} else if (c == ';') {
		t->pstate = SG_MIME_P_NAME;
	} else if (c == '(') {
		t->pstate = SG_MIME_P_TYPE_COMMENT;
	} else if (!token_is_space(c) && t->type_len < SG_MIME_TYPE_KEEP) {
		t->type[t->type_len++] = g_ascii_tolower((char)c);
	}
}

/* A parameter's name, up to '='. */
static void
token_name_byte(SgMimeToken *t, guchar c)
{
	if (c == '=') {
		t->pstate = SG_MIME_P_VAL_START;
	} else if (c == ';') {
		t->pname_len = 0;
		t->pname[0] = '\0';
	} else if (!token_is_space(c) && t->pname_len < SG_MIME_NAME_KEEP) {
		t->pname[t->pname_len++] = g_ascii_tolower((char)c);
		t->pname[t->pname_len] = '\0';
	}
}

/* The first byte after '=' (white space skipped). */
static void
token_value_first(SgMimeToken *t, guchar c, goffset off)
{
	if (token_is_space(c))
		return;
	if (c == '"') {
		token_value_start(t, off + 1);
		t->pstate = SG_MIME_P_QUOTED;
	} else if (c == ';') {
		token_value_start(t, off);
		token_value_end(t);
		t->pstate = SG_MIME_P_NAME;
	} else {
		token_value_start(t, off);
		token_value_byte(t, c);
		t->pstate = SG_MIME_P_TOKEN;
	}
}

static void
token_param_byte(SgMimeToken *t, guchar c, goffset off)
{
	switch (t->pstate) {
	case SG_MIME_P_TYPE:
	case SG_MIME_P_TYPE_COMMENT:
		token_type_byte(t, c);
		break;
	case SG_MIME_P_NAME:
		token_name_byte(t, c);
		break;
	case SG_MIME_P_VAL_START:
		token_value_first(t, c, off);
		break;
	case SG_MIME_P_TOKEN:
		if (c == ';') {
			token_value_end(t);
			t->pstate = SG_MIME_P_NAME;
		} else if (token_is_space(c)) {
			token_value_end(t);
			t->pstate = SG_MIME_P_AFTER;
		} else {
			token_value_byte(t, c);
		}
		break;
	case SG_MIME_P_QUOTED:
		if (c == '\\') {
			t->pstate = SG_MIME_P_QESC;
		} else if (c == '"') {
			token_value_end(t);
			t->pstate = SG_MIME_P_AFTER;
		} else if (c != '\r' && c != '\n') {
			token_value_byte(t, c);
		}
		break;
	case SG_MIME_P_QESC:
		token_value_byte(t, c);
		t->pstate = SG_MIME_P_QUOTED;
		break;
	case SG_MIME_P_AFTER:
		if (c == ';')
			t->pstate = SG_MIME_P_NAME;
		break;
	}
}

/* ---- encoded words ----------------------------------------------------- */

/*
 * A complete "=?charset?E?text?=": RFC 2047 allows only B and Q, base64
 * text in whole quartets of its alphabet, and Q text of printable bytes.
 * Decoders disagree on anything else.
 */
static void
token_encoded_word_end(SgMimeToken *t)
{
	guchar enc = (guchar)g_ascii_toupper(t->ew_enc);
	const char *why = NULL;

	if (t->ew_q != 4 || t->ew_enc_len != 1 || (enc != 'B' && enc != 'Q'))
		why = "an encoding other than B or Q";
	else if (t->ew_bad)
		why = enc == 'B' ? "a byte outside the base64 alphabet"
		                 : "a byte Q encoding does not allow";
	else if (enc == 'B' && t->ew_text_len % 4 != 0)
		why = "base64 text that is not whole quartets";
	t->sink->encoded_word(t->data, t->ew_start, t->ew_len, why);
}

static void
token_encoded_word_byte(SgMimeToken *t, guchar c, goffset off)
{
	if (t->ew_in) {
		t->ew_len++;
		if (c == '?') {
			t->ew_q++;
		} else if (c == '=' && t->prev == '?' && t->ew_q >= 4) {
			token_encoded_word_end(t);
			t->ew_in = FALSE;
		} else if (token_is_space(c)) {
			t->ew_in = FALSE;
		} else if (t->ew_q == 2) {
			t->ew_enc = c;
			t->ew_enc_len++;
		} else if (t->ew_q == 3) {
			t->ew_text_len++;
			if (g_ascii_toupper(t->ew_enc) == 'B'
			        ? !(g_ascii_isalnum(c) || c == '+' ||
			              c == '/' || c == '=')
			        : (c < 33 || c > 126))
				t->ew_bad = TRUE;
		}
	} else if (c == '?' && t->prev == '=') {
		t->ew_in = TRUE;
		t->ew_len = 2;
		t->ew_q = 1;
		t->ew_start = off - 1;
		t->ew_enc = 0;
		t->ew_enc_len = 0;
		t->ew_text_len = 0;
		t->ew_bad = FALSE;
	}
	t->prev = c;
}

/* ---- fields ------------------------------------------------------------ */

static void
token_byte(SgMimeToken *t, guchar c, goffset off)
{
	token_encoded_word_byte(t, c, off);
	if (t->kind == SG_MIME_FIELD_CT || t->kind == SG_MIME_FIELD_CD)
		token_param_byte(t, c, off);
}

void
sg_mime_token_feed(SgMimeToken *token, const char *p, gsize len, goffset offset)
{
	if (token_keeps_copy(token->kind))
		token_copy(token, p, len, offset);
	for (gsize i = 0; i < len; i++) {
		/*
		 * Outside an encoded word, a field with nothing else to parse
		 * only needs the '?' of a "=?": jump to the next '?'.
		 */
		if (token->kind == SG_MIME_FIELD_OTHER && !token->ew_in) {
			const char *q = memchr(p + i, '?', len - i);
			gsize at = q != NULL ? (gsize)(q - p) : len;

			if (at > i)
				token->prev = (guchar)p[at - 1];
			if (q == NULL)
				return;
			i = at;
		}
		token_byte(token, (guchar)p[i], offset + (goffset)i);
	}
}

/* The boundary of the RFC reading replaces the streamed one. */
static void
token_take_boundary(SgMimeToken *t)
{
	SgMimeValue *b = &t->params.boundary;

	g_clear_pointer(&t->boundary, g_free);
	t->has_boundary = b->present;
	t->boundary_len = b->len;
	if (b->present && b->len <= t->boundary_max && b->value != NULL)
		t->boundary = g_strdup(b->value);
}

void
sg_mime_token_finish(SgMimeToken *token)
{
	if (token->kind == SG_MIME_FIELD_CT ||
	    token->kind == SG_MIME_FIELD_CD) {
		if (token->pstate == SG_MIME_P_TOKEN ||
		    token->pstate == SG_MIME_P_QUOTED ||
		    token->pstate == SG_MIME_P_QESC)
			token_value_end(token);
		token_flush_param(token);
	}
	token->type[token->type_len] = '\0';
	if (!token->has_boundary || token->boundary_len > token->boundary_max)
		g_clear_pointer(&token->boundary, g_free);
	else if (token->boundary != NULL)
		token->boundary[token->boundary_len] = '\0';
	if (token->kind == SG_MIME_FIELD_CTE)
		token_cte(token);
	if ((token->kind == SG_MIME_FIELD_CT ||
	        token->kind == SG_MIME_FIELD_CD) &&
	    !token->raw_long) {
		sg_mime_params_parse(token->raw != NULL ? token->raw : "",
		    token->raw_len, token->raw_offset, token->kind,
		    token->boundary_max, &token->params);
		token->params_read = TRUE;
		if (token->kind == SG_MIME_FIELD_CT)
			token_take_boundary(token);
	}
}
