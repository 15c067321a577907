// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_mime_token.c - tests of the MIME header-field tokenizer
 * (check-mime-token.c, check-mime-param.c) on its own: field values in,
 * type, boundary, transfer encoding, the parameter and encoded-word events
 * and the grammar defects out.
 *
 * Every case is fed whole, one byte at a time and split at every byte:
 * the results and events must not depend on the pieces.  Offsets in the
 * expectations are byte indexes into the value as written (fed at 0).
 * The parameter cases also go through GMime's own parser
 * (g_mime_content_type_parse, g_mime_param_list_parse): where it reads
 * another boundary or file name, the tokenizer must have said that the
 * field is unusual, so that the pre-scan asks GMime.
 */
#include "config.h"

#include <string.h>

#include <check.h>
#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"
#include "spoolguard/core.h"

#include "check-mime-token.h"
#include "check-run.h"

/* The sink writes each event as "name=len@offset;" or "ew len@offset". */
static void
record_param(gpointer data, const char *name, gsize len, goffset offset)
{
	g_string_append_printf(data,
	    "%s=%" G_GSIZE_FORMAT "@%" G_GINT64_FORMAT ";", name, len,
	    (gint64)offset);
}

static void
record_encoded_word(gpointer data, goffset offset, gsize len,
    const char *defect)
{
	g_string_append_printf(data,
	    "ew %" G_GSIZE_FORMAT "@%" G_GINT64_FORMAT "%s%s;", len,
	    (gint64)offset, defect != NULL ? " " : "",
	    defect != NULL ? defect : "");
}

static const SgMimeTokenSink record_sink = {
	record_param,
	record_encoded_word,
};

/* Boundaries are kept up to this many bytes in every case. */
#define TOKEN_BOUNDARY_MAX 4

typedef struct {
	SgMimeFieldKind kind;
	const char *value;
	SgMimeFieldKind kind_after; /* the kind once the value is read */
	const char *type;           /* Content-Type's, or "" */
	const char *boundary;       /* kept, or NULL */
	gsize boundary_len;         /* 0: no boundary= at all */
	const char *cte;            /* Content-Transfer-Encoding's, or "" */
	const char *events;
} TokenCase;

static const TokenCase token_cases[] = {
	{ SG_MIME_FIELD_CT, " text/plain; charset=us-ascii", SG_MIME_FIELD_CT,
	    "text/plain", NULL, 0, "", "charset=8@21;" },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary=\"b1\"",
	    SG_MIME_FIELD_CT, "multipart/mixed", "b1", 2, "",
	    "boundary=2@28;" },
	/* RFC 2231 sections of one name are one value. */
	{ SG_MIME_FIELD_CT, " application/pdf; name*0=\"ab\"; name*1=\"cde\"",
	    SG_MIME_FIELD_CT, "application/pdf", NULL, 0, "", "name=5@26;" },
	{ SG_MIME_FIELD_CT, " a/b; x=1; y=22", SG_MIME_FIELD_CT, "a/b", NULL, 0,
	    "", "x=1@8;y=2@13;" },
	/* A backslash escapes one byte; the quotes are not counted. */
	{ SG_MIME_FIELD_CT, " a/b; n=\"q\\\"x\"", SG_MIME_FIELD_CT, "a/b", NULL,
	    0, "", "n=3@9;" },
	/* A comment in the type hides its ';'. */
	{ SG_MIME_FIELD_CT, " text/plain (comment; not a param) ; x=1",
	    SG_MIME_FIELD_CT, "text/plain", NULL, 0, "", "x=1@39;" },
	{ SG_MIME_FIELD_CT, " a/b; =v", SG_MIME_FIELD_CT, "a/b", NULL, 0, "",
	    "=1@7;" },
	/* Longer than TOKEN_BOUNDARY_MAX: measured, not kept. */
	{ SG_MIME_FIELD_CT, " multipart/x; boundary=abcdefgh", SG_MIME_FIELD_CT,
	    "multipart/x", NULL, 8, "", "boundary=8@23;" },
	/* The first boundary= counts. */
	{ SG_MIME_FIELD_CT, " multipart/x; boundary=a; boundary=bb",
	    SG_MIME_FIELD_CT, "multipart/x", "a", 1, "",
	    "boundary=1@23;boundary=2@35;" },
	/* A quote left open ends with the field. */
	{ SG_MIME_FIELD_CT, " multipart/x; boundary=\"ab", SG_MIME_FIELD_CT,
	    "multipart/x", "ab", 2, "", "boundary=2@24;" },
	/* Line ends inside a quoted string are folding, not value. */
	{ SG_MIME_FIELD_CT, " a/b;\r\n name=\"x\r\n y\"", SG_MIME_FIELD_CT,
	    "a/b", NULL, 0, "", "name=3@14;" },
	{ SG_MIME_FIELD_CT, " text/plain; name=\"=?utf-8?B?aGk=?=\"",
	    SG_MIME_FIELD_CT, "text/plain", NULL, 0, "",
	    "ew 16@19;name=16@19;" },
	{ SG_MIME_FIELD_CD, " attachment; filename=\"a.txt\"", SG_MIME_FIELD_CD,
	    "attachment", NULL, 0, "", "filename=5@23;" },
	{ SG_MIME_FIELD_CTE, " Base64 ", SG_MIME_FIELD_CTE, "", NULL, 0,
	    "base64", "" },
	/* The whole value, unfolded and trimmed, comments and all. */
	{ SG_MIME_FIELD_CTE, " 7bit; x", SG_MIME_FIELD_CTE, "", NULL, 0,
	    "7bit; x", "" },
	{ SG_MIME_FIELD_CTE, "\r\n  bAse64 (x)\r\n ", SG_MIME_FIELD_CTE, "",
	    NULL, 0, "base64 (x)", "" },
	{ SG_MIME_FIELD_CTE, " quoted-\r\n printable", SG_MIME_FIELD_CTE, "",
	    NULL, 0, "quoted- printable", "" },
	/* RFC 2231 sections make the boundary. */
	{ SG_MIME_FIELD_CT, " multipart/x; boundary*0=\"ab\"; boundary*1=cd",
	    SG_MIME_FIELD_CT, "multipart/x", "abcd", 4, "", "boundary=4@26;" },
	{ SG_MIME_FIELD_OTHER, " =?utf-8?B?aGk=?=", SG_MIME_FIELD_OTHER, "",
	    NULL, 0, "", "ew 16@1;" },
	{ SG_MIME_FIELD_OTHER, " =?utf-8?B?aGk?=", SG_MIME_FIELD_OTHER, "",
	    NULL, 0, "", "ew 15@1 base64 text that is not whole quartets;" },
	{ SG_MIME_FIELD_OTHER, " =?utf-8?B?a*==?=", SG_MIME_FIELD_OTHER, "",
	    NULL, 0, "", "ew 16@1 a byte outside the base64 alphabet;" },
	{ SG_MIME_FIELD_OTHER, " =?utf-8?X?abc?=", SG_MIME_FIELD_OTHER, "",
	    NULL, 0, "", "ew 15@1 an encoding other than B or Q;" },
	{ SG_MIME_FIELD_OTHER, " =?utf-8?Q?a\001b?=", SG_MIME_FIELD_OTHER, "",
	    NULL, 0, "", "ew 15@1 a byte Q encoding does not allow;" },
	/* White space ends a word before its end: no word at all. */
	{ SG_MIME_FIELD_OTHER, " =?utf-8?Q?a b?=", SG_MIME_FIELD_OTHER, "",
	    NULL, 0, "", "" },
	{ SG_MIME_FIELD_OTHER, " plain text, no word", SG_MIME_FIELD_OTHER, "",
	    NULL, 0, "", "" },
};

/* ---- the RFC reading against GMime's ------------------------------------ */

#define D(x) (1u << SG_MIME_DEFECT_##x)

typedef struct {
	SgMimeFieldKind kind; /* Content-Type or -Disposition */
	const char *value;
	guint defects;        /* D(...) expected */
	const char *boundary; /* the RFC reading's, or NULL: none */
	const char *name;     /* name= (Content-Type) or filename=, or NULL */
	gboolean unusual;     /* GMime's reading may differ */
} ParamCase;

static const ParamCase param_cases[] = {
	{ SG_MIME_FIELD_CT, " text/plain; charset=us-ascii", 0, NULL, NULL,
	    FALSE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary=\"b1\"", 0, "b1", NULL,
	    FALSE },
	/* A trailing ';' is common and harmless. */
	{ SG_MIME_FIELD_CT, " text/plain; charset=US-ASCII; ", 0, NULL, NULL,
	    FALSE },
	{ SG_MIME_FIELD_CT, " multipart/mixed;\r\n\tboundary=\"=_a b\"", 0,
	    "=_a b", NULL, FALSE },
	/* An escape in a quoted string: RFC 822's, but not every reader's. */
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary=\"a\\\"b\"", D(ESCAPE),
	    "a\"b", NULL, TRUE },
	/* The RFC 2231 boundary of the detection issue: clean. */
	{ SG_MIME_FIELD_CT,
	    " multipart/mixed; boundary*0=\"abc\"; boundary*1=\"def\"", 0,
	    "abcdef", NULL, FALSE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary*=''x%41y", 0, "xAy",
	    NULL, FALSE },
	{ SG_MIME_FIELD_CT,
	    " application/pdf; name*0*=utf-8''%E2%82%AC%20a;\r\n name*1*=b.pdf",
	    0, NULL, "\xe2\x82\xac ab.pdf", FALSE },
	{ SG_MIME_FIELD_CD, " attachment; filename=\"a.txt\"", 0, NULL, "a.txt",
	    FALSE },
	{ SG_MIME_FIELD_CD, " inline", 0, NULL, NULL, FALSE },
	/* RFC 2231 sections out of order, with a gap, mixed, repeated. */
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary*1=def; boundary*0=abc",
	    D(SECTIONS), "abcdef", NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary*0=abc; boundary*2=def",
	    D(SECTIONS), "abc", NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary*1=abc", D(SECTIONS), "",
	    NULL, TRUE },
	{ SG_MIME_FIELD_CT,
	    " multipart/mixed; boundary*0*=''x%41; boundary*1=%42", D(SECTIONS),
	    "xA%42", NULL, TRUE },
	{ SG_MIME_FIELD_CT,
	    " multipart/mixed; boundary*0=a; boundary*0=b; boundary*1=c",
	    D(SECTIONS), "ac", NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary*00=a", D(SECTIONS), "a",
	    NULL, TRUE },
	{ SG_MIME_FIELD_CD, " attachment; filename*1*=zip; filename*0*=''file.",
	    D(SECTIONS), NULL, "file.zip", TRUE },
	/* RFC 2231 encodings: no charset'language', a bad %. */
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary*=abc", D(2231), "abc",
	    NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary*=''a%4", D(2231), "a%4",
	    NULL, TRUE },
	/* RFC 2231 and plain forms that disagree: two readings. */
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary=x; boundary*=''y", 0,
	    "y", NULL, TRUE },
	/* White space and folds around '='. */
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary = x", D(SPACE), "x",
	    NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary=\r\n x", D(SPACE), "x",
	    NULL, TRUE },
	{ SG_MIME_FIELD_CD, " attachment; filename\r\n =file.zip", D(SPACE),
	    NULL, "file.zip", TRUE },
	/* Comments. */
	{ SG_MIME_FIELD_CT, " multipart/mixed(); boundary=x", D(COMMENT), "x",
	    NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary=(c)x", D(COMMENT), "x",
	    NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary=b()x",
	    D(COMMENT) | D(SYNTAX), "b", NULL, TRUE },
	{ SG_MIME_FIELD_CD, " attachment; filename=file.zip()", D(COMMENT),
	    NULL, "file.zip", TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; ( boundary=x )", D(COMMENT),
	    NULL, NULL, TRUE },
	/* Quotes: inside a token, left open, single. */
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary=b_\"x\"y", D(QUOTE),
	    "b_", NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary=\"ab", D(QUOTE), "ab",
	    NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary='x'", D(QUOTE), "'x'",
	    NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; foo=\"bla;boundary=x", D(QUOTE),
	    NULL, NULL, TRUE },
	{ SG_MIME_FIELD_CD, " attachment; filename=\"file\".zip", D(QUOTE),
	    NULL, "file", TRUE },
	/* A backslash outside quotes. */
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary=b\\_x", D(ESCAPE), "b",
	    NULL, TRUE },
	/* Syntax: no ';', another separator, no '=', ';;', no name. */
	{ SG_MIME_FIELD_CT, " multipart/mixed; foo=bla boundary=x", D(SYNTAX),
	    NULL, NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed, boundary=x", D(SYNTAX), NULL,
	    NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed  boundary=x", D(SYNTAX), NULL,
	    NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary", D(SYNTAX), NULL, NULL,
	    TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed;; boundary=b", D(SYNTAX), "b",
	    NULL, TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; =b", D(SYNTAX), NULL, NULL,
	    TRUE },
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary=boundary=x", D(SYNTAX),
	    "boundary", NULL, TRUE },
	/* An encoded word: GMime decodes it, the RFC does not. */
	{ SG_MIME_FIELD_CT, " text/plain; name=\"=?us-ascii?B?ZmlsZS56aXA=?=\"",
	    0, NULL, "=?us-ascii?B?ZmlsZS56aXA=?=", TRUE },
	/* No subtype: GMime takes no parameters from it (found by fuzzing). */
	{ SG_MIME_FIELD_CT, " multied; boundary=\"=_b1_=\"", 0, "=_b1_=", NULL,
	    TRUE },
	/* A fold inside a quoted string: the RFC unfolds it, GMime keeps the
	 * line break in the boundary (found by fuzzing). */
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary=\"abc\r\n def\"", 0,
	    "abc def", NULL, TRUE },
	{ SG_MIME_FIELD_CT, " part/mied; boundary*0=\"abc\n boundaryre\"", 0,
	    "abc boundaryre", NULL, TRUE },
	/* %XX bytes that are not UTF-8 under utf-8: GMime drops them, so
	 * its reading is "" (found by fuzzing); whole UTF-8 agrees. */
	{ SG_MIME_FIELD_CT,
	    " application/octet-stream; name*=utf-8'en'%e2; "
	    "name*=utf-8'en'%e2%82%ac.ip",
	    0, NULL, "\xe2", TRUE },
	{ SG_MIME_FIELD_CT,
	    " application/octet-stream; name*=utf-8'en'%e2%82%ac.ip", 0, NULL,
	    "\xe2\x82\xac.ip", FALSE },
	/* A NUL is a byte: it stops GMime's C strings, not this reading. */
	{ SG_MIME_FIELD_CT, " multipart/mixed; boundary=\"a", D(QUOTE), "a",
	    NULL, TRUE },
};

/* GMime's value of @name in the parameters of @c's value, or NULL. */
static char *
gmime_param(const ParamCase *c, const char *name)
{
	GMimeParamList *list;
	const char *v;

	if (c->kind == SG_MIME_FIELD_CT) {
		g_autoptr(GMimeContentType) ct =
		    g_mime_content_type_parse(NULL, c->value);

		list = g_mime_content_type_get_parameters(ct);
		v = g_mime_param_list_get_parameter(list, name) != NULL
		    ? g_mime_param_get_value(
		          g_mime_param_list_get_parameter(list, name))
		    : NULL;
		return g_strdup(v);
	} else {
		const char *semi = strchr(c->value, ';');
		g_autoptr(GMimeParamList) params = NULL;
		GMimeParam *param;

		if (semi == NULL)
			return NULL;
		params = g_mime_param_list_parse(NULL, semi + 1);
		param = g_mime_param_list_get_parameter(params, name);
		return g_strdup(
		    param != NULL ? g_mime_param_get_value(param) : NULL);
	}
}

static gboolean
same_value(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

START_TEST(test_params_read_as_the_rfc_says)
{
	const ParamCase *c = &param_cases[_i];
	SgMimeParams params;
	const SgMimeValue *name;

	sg_mime_params_parse(c->value, strlen(c->value), 100, c->kind, 64,
	    &params);
	name = c->kind == SG_MIME_FIELD_CT ? &params.name : &params.filename;
	ck_assert_msg(params.defects == c->defects,
	    "'%s': defects %#x, want %#x", c->value, params.defects,
	    c->defects);
	ck_assert_msg(same_value(params.boundary.value, c->boundary),
	    "'%s': boundary '%s', want '%s'", c->value,
	    params.boundary.value ? params.boundary.value : "(none)",
	    c->boundary ? c->boundary : "(none)");
	ck_assert_msg(same_value(name->value, c->name),
	    "'%s': name '%s', want '%s'", c->value,
	    name->value ? name->value : "(none)", c->name ? c->name : "(none)");
	ck_assert_msg(params.unusual == c->unusual, "'%s': unusual %d",
	    c->value, params.unusual);
	for (guint d = 0; d < SG_MIME_DEFECT_COUNT; d++) {
		if (!(params.defects & (1u << d)))
			continue;
		ck_assert_int_ge(params.defect_at[d], 100);
		ck_assert_int_le(params.defect_at[d],
		    100 + (gint64)strlen(c->value));
		ck_assert_ptr_nonnull(params.defect_what[d]);
	}
	sg_mime_params_clear(&params);
}
END_TEST

/* Where GMime reads another value, the field is unusual (never silent). */
START_TEST(test_params_agree_with_gmime_or_say_so)
{
	const ParamCase *c = &param_cases[_i];
	const char *key = c->kind == SG_MIME_FIELD_CT ? "name" : "filename";
	g_autofree char *gb = gmime_param(c, "boundary");
	g_autofree char *gn = gmime_param(c, key);
	SgMimeParams params;
	const SgMimeValue *name;

	sg_mime_params_parse(c->value, strlen(c->value), 0, c->kind, 64,
	    &params);
	name = c->kind == SG_MIME_FIELD_CT ? &params.name : &params.filename;
	if (!params.unusual) {
		ck_assert_msg(same_value(params.boundary.value, gb),
		    "'%s': boundary '%s', GMime '%s'", c->value,
		    params.boundary.value, gb);
		ck_assert_msg(same_value(name->value, gn),
		    "'%s': %s '%s', GMime '%s'", c->value, key, name->value,
		    gn);
	}
	sg_mime_params_clear(&params);
}
END_TEST

/* Tokenizes @c's value in pieces cut at @cuts (ascending) into @events. */
static void
token_run(const TokenCase *c, const gsize *cuts, guint ncuts,
    SgMimeToken *token, GString *events)
{
	gsize len = strlen(c->value);
	gsize at = 0;

	sg_mime_token_init(token, c->kind, TOKEN_BOUNDARY_MAX, &record_sink,
	    events);
	for (guint i = 0; i <= ncuts; i++) {
		gsize end = i < ncuts ? cuts[i] : len;

		sg_mime_token_feed(token, c->value + at, end - at, (goffset)at);
		at = end;
	}
	sg_mime_token_finish(token);
}

static void
token_assert(const TokenCase *c, SgMimeToken *token, GString *events,
    const char *how)
{
	ck_assert_msg(strcmp(events->str, c->events) == 0,
	    "'%s' %s: events '%s', want '%s'", c->value, how, events->str,
	    c->events);
	ck_assert_int_eq(token->kind, c->kind_after);
	ck_assert_str_eq(token->type, c->type);
	ck_assert_uint_eq(token->type_len, strlen(c->type));
	ck_assert_str_eq(token->cte, c->cte);
	ck_assert(token->has_boundary == (c->boundary_len > 0));
	if (c->boundary_len > 0)
		ck_assert_uint_eq(token->boundary_len, c->boundary_len);
	if (c->boundary != NULL)
		ck_assert_str_eq(token->boundary, c->boundary);
	else
		ck_assert_ptr_null(token->boundary);
}

START_TEST(test_token_reads_the_field)
{
	const TokenCase *c = &token_cases[_i];
	g_autoptr(GString) events = g_string_new(NULL);
	SgMimeToken token = { 0 };

	token_run(c, NULL, 0, &token, events);
	token_assert(c, &token, events, "whole");
	sg_mime_token_clear(&token);
}
END_TEST

START_TEST(test_token_pieces_do_not_matter)
{
	const TokenCase *c = &token_cases[_i];
	gsize len = strlen(c->value);
	g_autofree gsize *cuts = g_new(gsize, len);
	g_autoptr(GString) events = g_string_new(NULL);
	SgMimeToken token = { 0 };

	/* one byte at a time */
	for (gsize i = 0; i + 1 < len; i++)
		cuts[i] = i + 1;
	token_run(c, cuts, len > 0 ? (guint)len - 1 : 0, &token, events);
	token_assert(c, &token, events, "byte by byte");
	/* two pieces, cut at every byte */
	for (gsize cut = 0; cut <= len; cut++) {
		g_string_truncate(events, 0);
		token_run(c, &cut, 1, &token, events);
		token_assert(c, &token, events, "in two pieces");
	}
	sg_mime_token_clear(&token);
}
END_TEST

static const struct {
	const char *name;
	SgMimeFieldKind kind;
} kind_cases[] = {
	{ "Content-Type", SG_MIME_FIELD_CT },
	{ "content-type", SG_MIME_FIELD_CT },
	{ "CONTENT-TRANSFER-ENCODING", SG_MIME_FIELD_CTE },
	{ "Content-Disposition", SG_MIME_FIELD_CD },
	{ "Content-Typ", SG_MIME_FIELD_OTHER },
	{ "Content-Type-X", SG_MIME_FIELD_OTHER },
	{ "Subject", SG_MIME_FIELD_OTHER },
	{ "", SG_MIME_FIELD_OTHER },
};

START_TEST(test_token_field_kind_by_name)
{
	const char *name = kind_cases[_i].name;

	ck_assert_int_eq(sg_mime_field_kind(name, strlen(name)),
	    kind_cases[_i].kind);
}
END_TEST

/* The name is (pointer, length): bytes past it are not looked at. */
START_TEST(test_token_field_kind_reads_no_further)
{
	static const char line[] = "Content-Type: x";

	ck_assert_int_eq(sg_mime_field_kind(line, 12), SG_MIME_FIELD_CT);
	ck_assert_int_eq(sg_mime_field_kind(line, 11), SG_MIME_FIELD_OTHER);
}
END_TEST

static Suite *
token_suite(void)
{
	Suite *s = suite_create("mime-token");
	TCase *tc = tcase_create("fields");

	tcase_add_loop_test(tc, test_token_reads_the_field, 0,
	    G_N_ELEMENTS(token_cases));
	tcase_add_loop_test(tc, test_token_pieces_do_not_matter, 0,
	    G_N_ELEMENTS(token_cases));
	tcase_add_loop_test(tc, test_token_field_kind_by_name, 0,
	    G_N_ELEMENTS(kind_cases));
	tcase_add_test(tc, test_token_field_kind_reads_no_further);
	suite_add_tcase(s, tc);
	tc = tcase_create("params");
	tcase_add_loop_test(tc, test_params_read_as_the_rfc_says, 0,
	    G_N_ELEMENTS(param_cases));
	tcase_add_loop_test(tc, test_params_agree_with_gmime_or_say_so, 0,
	    G_N_ELEMENTS(param_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_run(token_suite());
}
