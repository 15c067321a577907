// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_mime_prescan.c - tests of the MIME boundary pre-scan
 * (check-mime-prescan.c) through the whole check path: hostile inputs
 * (nesting bombs, 60,000 parts, a 20 KB boundary, a 300 KB parameter) are
 * generated here, never committed; their tests check the verdict and that
 * the work stays linear in the input.
 */
#include "config.h"

#include <string.h>

#include <check.h>

#include "spoolguard/check.h"
#include "spoolguard/rules.h"

#include "check-mime-private.h"
#include "mime-run.h"

/* @levels nested multiparts, each with its own boundary. */
static GString *
gen_nesting(guint levels, gboolean messages)
{
	GString *s = sg_test_mime_headers(g_string_new(NULL));

	for (guint i = 0; i < levels; i++) {
		if (messages && i % 2 == 1)
			g_string_append(s,
			    "Content-Type: message/rfc822\n\n"
			    "Subject: inner\n");
		else
			g_string_append_printf(s,
			    "Content-Type: multipart/mixed; "
			    "boundary=\"=_b%u_=\"\n\n"
			    "--=_b%u_=\n",
			    i, i);
	}
	g_string_append(s, "Content-Type: text/plain\n\ndeep\n");
	for (guint i = levels; i-- > 0;)
		if (!(messages && i % 2 == 1))
			g_string_append_printf(s, "--=_b%u_=--\n", i);
	return s;
}

/* @parts parts under boundary "xy", given plain or in RFC 2231 sections. */
static GString *
gen_parts_as(guint parts, gboolean rfc2231)
{
	GString *s = sg_test_mime_headers(g_string_new(NULL));

	g_string_append(s,
	    rfc2231 ? "Content-Type: multipart/mixed; "
	              "boundary*0=\"x\"; boundary*1=\"y\"\n\n"
	            : "Content-Type: multipart/mixed; "
	              "boundary=xy\n\n");
	for (guint i = 0; i < parts; i++)
		g_string_append(s, "--xy\nContent-Type: text/plain\n\nx\n");
	g_string_append(s, "--xy--\n");
	return s;
}

static GString *
gen_parts(guint parts)
{
	return gen_parts_as(parts, FALSE);
}

typedef struct {
	const char *what;
	guint size;
	const char *rule;
	SgSeverity verdict;
} HostileCase;

static GString *
gen_hostile(const char *what, guint n)
{
	GString *s;

	if (strcmp(what, "nesting") == 0)
		return gen_nesting(n, FALSE);
	if (strcmp(what, "message-nesting") == 0)
		return gen_nesting(n, TRUE);
	if (strcmp(what, "parts") == 0)
		return gen_parts(n);
	if (strcmp(what, "rfc2231-parts") == 0)
		return gen_parts_as(n, TRUE);
	s = sg_test_mime_headers(g_string_new(NULL));
	if (strcmp(what, "boundary") == 0) {
		g_autofree char *b = g_strnfill(n, 'b');

		g_string_append_printf(s,
		    "Content-Type: multipart/mixed; boundary=\"%s\"\n\n"
		    "--%s\nContent-Type: text/plain\n\nx\n--%s--\n",
		    b, b, b);
	} else if (strcmp(what, "parameter") == 0) {
		g_autofree char *v = g_strnfill(n, 'p');

		g_string_append_printf(s,
		    "Content-Type: multipart/mixed; boundary=x\n\n"
		    "--x\nContent-Type: application/octet-stream; "
		    "name=\"%s\"\n\nx\n--x--\n",
		    v);
	} else if (strcmp(what, "continued-parameter") == 0) {
		g_string_append(s,
		    "Content-Type: multipart/mixed; boundary=x\n\n"
		    "--x\nContent-Type: application/octet-stream");
		for (guint i = 0; i < n / 1000; i++) {
			g_autofree char *v = g_strnfill(1000, 'c');

			g_string_append_printf(s, ";\n name*%u=\"%s\"", i, v);
		}
		g_string_append(s, "\n\nx\n--x--\n");
	} else if (strcmp(what, "encoded-word") == 0) {
		g_autofree char *v = g_strnfill(n, 'Q');

		g_string_append_printf(s,
		    "Content-Type: multipart/mixed; boundary=x\n\n--x\n"
		    "Content-Type: text/plain\nContent-Description: "
		    "=?utf-8?B?%s?=\n\nx\n--x--\n",
		    v);
	} else if (strcmp(what, "preamble") == 0) {
		/* A huge preamble, then a part GMime would quarantine. */
		g_string_append(s,
		    "Content-Type: multipart/mixed; boundary=x\n\n");
		for (guint i = 0; i < n / 64; i++)
			g_string_append(s,
			    "preamble preamble preamble preamble "
			    "preamble preamble pre\n");
		g_string_append(s,
		    "--x\nContent-Type: text/plain\n"
		    "Content-Type: text/html\n\nx\n--x\n--x\n"
		    "Content-Type: text/plain\n\nx\n--x--\n");
	} else if (strcmp(what, "no-boundary") == 0) {
		g_string_append(s, "Content-Type: multipart/mixed\n\n");
		for (guint i = 0; i < n / 64; i++)
			g_string_append(s,
			    "body body body body body body body "
			    "body body body body bo\n");
	} else if (strcmp(what, "part-headers") == 0) {
		g_string_append(s,
		    "Content-Type: multipart/mixed; boundary=x\n\n"
		    "--x\n");
		for (guint i = 0; i < n; i++)
			g_string_append_printf(s, "X-H%u: v\n", i);
		g_string_append(s, "Content-Type: text/plain\n\nx\n--x--\n");
	} else {
		g_assert_not_reached();
	}
	return s;
}

static const HostileCase hostile_cases[] = {
	{ "nesting", 5000, "mime.depth", SG_SEVERITY_QUARANTINE },
	{ "nesting", 101, "mime.depth", SG_SEVERITY_QUARANTINE },
	{ "nesting", 25, "mime.depth", SG_SEVERITY_WARN },
	{ "nesting", 19, NULL, SG_SEVERITY_IGNORE },
	{ "message-nesting", 5000, "mime.depth", SG_SEVERITY_QUARANTINE },
	{ "message-nesting", 10, NULL, SG_SEVERITY_IGNORE },
	{ "parts", 60000, "mime.part-count", SG_SEVERITY_QUARANTINE },
	{ "parts", 300, "mime.part-count", SG_SEVERITY_WARN },
	{ "parts", 200, NULL, SG_SEVERITY_IGNORE },
	/* The pre-scan joins RFC 2231 sections as GMime does. */
	{ "rfc2231-parts", 60000, "mime.part-count", SG_SEVERITY_QUARANTINE },
	{ "rfc2231-parts", 300, "mime.part-count", SG_SEVERITY_WARN },
	{ "rfc2231-parts", 200, NULL, SG_SEVERITY_IGNORE },
	{ "boundary", 20480, "mime.boundary-length", SG_SEVERITY_QUARANTINE },
	{ "boundary", 70, NULL, SG_SEVERITY_IGNORE },
	{ "parameter", 300 * 1024, "mime.param-length",
	    SG_SEVERITY_QUARANTINE },
	{ "continued-parameter", 100 * 1000, "mime.param-length",
	    SG_SEVERITY_QUARANTINE },
	{ "parameter", 900, NULL, SG_SEVERITY_IGNORE },
	/* The byte scan of part headers: a line over RFC 5322's 998. */
	{ "parameter", 1000, "header.line-length", SG_SEVERITY_WARN },
	{ "encoded-word", 70000, "mime.encoded-word-length",
	    SG_SEVERITY_QUARANTINE },
	{ "preamble", 2 * 1024 * 1024, "header.conflicting",
	    SG_SEVERITY_QUARANTINE },
	{ "preamble", 2 * 1024 * 1024, "mime.part-without-headers",
	    SG_SEVERITY_QUARANTINE },
	{ "preamble", 2 * 1024 * 1024, "mime.malformed",
	    SG_SEVERITY_QUARANTINE },
	{ "preamble", 64 * 1024, "header.conflicting", SG_SEVERITY_QUARANTINE },
	{ "no-boundary", 2 * 1024 * 1024, "mime.boundary-missing",
	    SG_SEVERITY_QUARANTINE },
	{ "no-boundary", 1024, "mime.boundary-missing",
	    SG_SEVERITY_QUARANTINE },
	{ "part-headers", 10001, "mime.part-header-count",
	    SG_SEVERITY_QUARANTINE },
	{ "part-headers", 1001, "mime.part-header-count", SG_SEVERITY_WARN },
	{ "part-headers", 900, NULL, SG_SEVERITY_IGNORE },
};

START_TEST(test_mime_hostile_input_is_judged)
{
	const HostileCase *c = &hostile_cases[_i];
	g_autoptr(GString) s = gen_hostile(c->what, c->size);
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgMessage) msg = sg_test_mime_run_gstring(s, inspect);
	g_autofree char *got = sg_test_mime_describe(msg);

	if (c->rule != NULL)
		ck_assert_msg(sg_test_mime_find(msg, c->rule) != NULL,
		    "%s %u: no %s;%s", c->what, c->size, c->rule, got);
	ck_assert_msg(msg->verdict == c->verdict, "%s %u: verdict %s;%s",
	    c->what, c->size, sg_severity_to_string(msg->verdict), got);
	/* Findings and inspect rows stay bounded whatever the input. */
	ck_assert_uint_le(msg->findings->len, 100);
	ck_assert_uint_le(inspect->parts->len, 10000);
}
END_TEST

/*
 * Linear, not quadratic: doubling the parts must not quadruple the time.
 * Compared as a ratio of CPU time on the same machine, with slack.
 */
static double
time_parts(guint parts)
{
	g_autoptr(GString) s = gen_parts(parts);
	gint64 t0 = g_get_monotonic_time();
	g_autoptr(SgMessage) msg = sg_test_mime_run_gstring(s, NULL);

	ck_assert_ptr_nonnull(sg_test_mime_find(msg, "mime.part-count"));
	return (double)(g_get_monotonic_time() - t0);
}

START_TEST(test_mime_work_is_linear_in_parts)
{
	double small = time_parts(20000);
	double large = time_parts(80000);

	/* 4x the input: linear is ~4x; quadratic would be ~16x. */
	ck_assert_msg(large < small * 10.0,
	    "20000 parts %.0f us, 80000 %.0f us", small, large);
}
END_TEST

START_TEST(test_mime_nesting_bomb_skips_gmime_but_keeps_the_tree_bounded)
{
	g_autoptr(GString) s = gen_nesting(5000, FALSE);
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgMessage) msg = sg_test_mime_run_gstring(s, inspect);
	const SgFinding *f = sg_test_mime_find(msg, "mime.depth");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->observed, 101);
	ck_assert_int_eq(f->limit, 100);
	/* The pre-scan's rows stop at the hard depth: 101 containers. */
	ck_assert_uint_le(inspect->parts->len, 102);
}
END_TEST

/*
 * A profile with no hard mime.depth: the pre-scan still stops at GMime's
 * own nesting limit, the ceiling no profile changes.
 */
START_TEST(test_mime_depth_ceiling_holds_without_a_hard_limit)
{
	g_autoptr(SgProfile) open_ended = sg_test_mime_profile_new(
	    "[mime.depth]\nseverity=quarantine\nsoft=20\nhard=none\n");
	g_autoptr(GString) s = gen_nesting(1100, FALSE);
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgMessage) msg = NULL;
	const SgFinding *f;

	msg = sg_test_mime_run_with(open_ended, s->str, s->len, inspect);
	f = sg_test_mime_find(msg, "mime.depth");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->observed, SG_MIME_DEPTH_CEILING + 1);
	ck_assert_int_eq(f->severity, SG_SEVERITY_WARN);
	/* the pre-scan's rows: one per level it followed, no more */
	ck_assert_uint_ge(inspect->parts->len, SG_MIME_DEPTH_CEILING);
	ck_assert_uint_le(inspect->parts->len, SG_MIME_DEPTH_CEILING + 2);
}
END_TEST

/* The same with the boundary in RFC 2231 sections (_i = 1). */
START_TEST(test_mime_part_bomb_is_not_handed_to_gmime)
{
	g_autoptr(GString) s = gen_parts_as(60000, _i == 1);
	g_autoptr(SgMessage) msg = NULL;

	/* Only GMime reports this conflict here; it must not run. */
	g_string_truncate(s, s->len - strlen("--xy--\n"));
	g_string_append(s,
	    "--xy\nContent-Type: text/plain; charset=a; "
	    "charset=b\n\nx\n--xy--\n");
	msg = sg_test_mime_run_gstring(s, NULL);
	ck_assert_ptr_nonnull(sg_test_mime_find(msg, "mime.part-count"));
	ck_assert_ptr_null(sg_test_mime_find(msg, "mime.param-conflict"));
}
END_TEST

/*
 * A delimiter padded with 70,000 spaces is longer than the pre-scan's
 * buffer; GMime still takes it for a delimiter, so the pre-scan must
 * count the part too (regression: it used to miss such parts).
 */
START_TEST(test_mime_counts_parts_behind_overlong_delimiters)
{
	g_autoptr(SgProfile) small = sg_test_mime_profile_new(
	    "[mime.part-count]\nseverity=quarantine\nsoft=5\nhard=10\n");
	g_autoptr(GString) s = sg_test_mime_headers(g_string_new(NULL));
	g_autofree char *pad = g_strnfill(70000, ' ');
	g_autoptr(SgMessage) msg = NULL;
	const SgFinding *f;

	g_string_append(s, "Content-Type: multipart/mixed; boundary=x\n\n");
	for (guint i = 0; i < 20; i++)
		g_string_append_printf(s,
		    "--x%s\nContent-Type: text/plain\n\nx\n", pad);
	g_string_append(s, "--x--\n");
	msg = sg_test_mime_run_with(small, s->str, s->len, NULL);
	f = sg_test_mime_find(msg, "mime.part-count");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->observed, 21);
	ck_assert_int_eq(msg->verdict, SG_SEVERITY_QUARANTINE);
}
END_TEST

/*
 * A bare CR before a delimiter inside a body line ("hello\r--b"): a
 * reader that ends lines at a CR sees a delimiter, GMime body text.  It is
 * found wherever it stands in the line, one CR or many before it, and
 * not for a CRLF line end, another boundary, or one dash.
 */
START_TEST(test_mime_bare_cr_before_a_delimiter_is_ambiguous)
{
	static const char *const fire[] = { "hello\r--b", "\r--b--",
		"a\rb\r\r--b tail" };
	static const char *const near[] = { "hello\r", "hello\r--c",
		"hello\r-b", "text --b" };

	for (guint k = 0; k < G_N_ELEMENTS(fire) + G_N_ELEMENTS(near); k++) {
		gboolean want = k < G_N_ELEMENTS(fire);
		const char *line =
		    want ? fire[k] : near[k - G_N_ELEMENTS(fire)];
		g_autoptr(GString) s = sg_test_mime_headers(g_string_new(NULL));
		g_autoptr(SgMessage) msg = NULL;
		g_autofree char *all = NULL;
		const SgFinding *f;
		goffset at;

		g_string_append(s,
		    "Content-Type: multipart/mixed; "
		    "boundary=b\n\n--b\n\n");
		at = (goffset)s->len +
		    (goffset)(strstr(line, "\r--b") != NULL
		            ? strstr(line, "\r--b") - line
		            : 0);
		g_string_append_printf(s, "%s\nmore\n--b--\n", line);
		msg = sg_test_mime_run(s->str, s->len, NULL);
		all = sg_test_mime_describe(msg);
		f = sg_test_mime_find(msg, "mime.ambiguous");
		if (!want) {
			ck_assert_msg(f == NULL, "line %u:%s", k, all);
			continue;
		}
		ck_assert_msg(f != NULL, "line %u:%s", k, all);
		ck_assert_msg(strstr(f->text, "a bare CR before a delimiter"),
		    "line %u:%s", k, all);
		ck_assert_int_eq(f->offset, at);
	}
}
END_TEST

/* In a multipart/digest an untyped part is a message: it nests. */
START_TEST(test_mime_digest_parts_count_as_messages)
{
	g_autoptr(GString) s = sg_test_mime_headers(g_string_new(NULL));
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgMessage) msg = NULL;
	SgPartRow *row;

	g_string_append(s,
	    "Content-Type: multipart/digest; boundary=d\n\n"
	    "--d\n\nSubject: one\n\nfirst\n--d--\n");
	msg = sg_test_mime_run_gstring(s, inspect);
	ck_assert_uint_eq(inspect->parts->len, 3);
	row = g_ptr_array_index(inspect->parts, 1);
	ck_assert_str_eq(row->content_type, "message/rfc822");
	row = g_ptr_array_index(inspect->parts, 2);
	ck_assert_str_eq(row->path, "1.1.1");
	ck_assert_int_eq(msg->verdict, SG_SEVERITY_IGNORE);
}
END_TEST

static Suite *
prescan_suite(void)
{
	Suite *s = suite_create("mime-prescan");
	TCase *tc = tcase_create("hostile");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_mime_hostile_input_is_judged, 0,
	    G_N_ELEMENTS(hostile_cases));
	tcase_add_test(tc, test_mime_work_is_linear_in_parts);
	tcase_add_loop_test(tc, test_mime_part_bomb_is_not_handed_to_gmime, 0,
	    2);
	tcase_add_test(tc, test_mime_depth_ceiling_holds_without_a_hard_limit);
	tcase_add_test(tc, test_mime_counts_parts_behind_overlong_delimiters);
	tcase_add_test(tc, test_mime_digest_parts_count_as_messages);
	tcase_add_test(tc, test_mime_bare_cr_before_a_delimiter_is_ambiguous);
	tcase_add_test(tc,
	    test_mime_nesting_bomb_skips_gmime_but_keeps_the_tree_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_mime_main(prescan_suite());
}
