// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_mime_walk.c - tests of the walk of GMime's tree
 * (check-mime-walk.c) through the whole check path: the inspect rows it
 * builds, with their paths, types, offsets and sniffed types.
 */
#include "config.h"

#include <string.h>

#include <check.h>

#include "spoolguard/check.h"
#include "spoolguard/rules.h"

#include "mime-run.h"

/* ---- the inspect tree ------------------------------------------------- */

START_TEST(test_mime_inspect_tree_of_a_forward)
{
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgMessage) msg =
	    sg_test_mime_run_file("legit-forward.eml", inspect);
	static const struct {
		const char *path;
		guint depth;
		const char *type;
	} want[] = {
		{ "1", 0, "multipart/mixed" },
		{ "1.1", 1, "text/plain" },
		{ "1.2", 1, "message/rfc822" },
		{ "1.2.1", 2, "multipart/alternative" },
		{ "1.2.1.1", 3, "text/plain" },
		{ "1.2.1.2", 3, "text/html" },
	};

	ck_assert_uint_eq(inspect->parts->len, G_N_ELEMENTS(want));
	for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
		SgPartRow *row = g_ptr_array_index(inspect->parts, i);

		ck_assert_str_eq(row->path, want[i].path);
		ck_assert_uint_eq(row->depth, want[i].depth);
		ck_assert_str_eq(row->content_type, want[i].type);
		ck_assert_int_ge(row->header_offset, 0);
	}
}
END_TEST

START_TEST(test_mime_inspect_rows_have_offsets_and_sniffed_types)
{
	gsize len = 0;
	g_autofree char *data =
	    sg_test_mime_fixture("legit-attachments.eml", &len);
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgMessage) msg = NULL;
	SgPartRow *png;

	msg = sg_test_mime_run(data, len, inspect);
	ck_assert_uint_eq(inspect->parts->len, 4);
	png = g_ptr_array_index(inspect->parts, 2);
	ck_assert_str_eq(png->path, "1.2");
	ck_assert_str_eq(png->content_type, "image/png");
	ck_assert_str_eq(png->encoding, "base64");
	ck_assert_str_eq(png->filename, "pic.png");
	ck_assert_str_eq(png->sniffed, "image/png");
	ck_assert(strncmp(data + png->header_offset, "Content-Type: image/png",
	              23) == 0);
	ck_assert(strncmp(data + png->body_offset, "iVBORw0KGgo", 11) == 0);
	ck_assert_int_gt(png->size, 0);
	ck_assert_int_le(png->body_offset + png->size, (gint64)len);
}
END_TEST

/* ---- mime.depth where the walk sees deeper than the pre-scan ---------- */

/*
 * GMime does not know the encoding "bas e64" and parses the message
 * inside; the pre-scan reads the value as GMime does (it once left the
 * white space out, read base64 and saw no nesting at all).
 */
#define DEPTH_HIDDEN_CTE "Content-Transfer-Encoding: bas e64\n"
#define DEPTH_MESSAGE "Content-Type: message/rfc822\n"

/* @levels embedded messages, the outermost the message itself. */
static GString *
gen_hidden_messages(GString *s, guint levels)
{
	g_string_append(s, DEPTH_MESSAGE DEPTH_HIDDEN_CTE "\n");
	for (guint i = 1; i < levels; i++)
		g_string_append(s, DEPTH_MESSAGE "\n");
	g_string_append(s, "Content-Type: text/plain\n\ndeep\n");
	return s;
}

static GString *
gen_depth_from_the_top(goffset *want)
{
	GString *s =
	    gen_hidden_messages(sg_test_mime_headers(g_string_new(NULL)), 24);

	/* the 24th container: the last embedded message */
	*want = g_strrstr(s->str, DEPTH_MESSAGE) - s->str;
	return s;
}

/* 20 multiparts the pre-scan follows, then one without a boundary. */
static GString *
gen_depth_one_deeper(goffset *want)
{
	GString *s = sg_test_mime_headers(g_string_new(NULL));

	for (guint i = 0; i < 20; i++)
		g_string_append_printf(s,
		    "Content-Type: multipart/mixed; boundary=\"=_b%u_=\"\n\n"
		    "--=_b%u_=\n",
		    i, i);
	*want = (goffset)s->len;
	g_string_append(s, "Content-Type: multipart/mixed\n\nno boundary\n");
	for (guint i = 20; i-- > 0;)
		g_string_append_printf(s, "--=_b%u_=--\n", i);
	return s;
}

typedef struct {
	const char *what;
	GString *(*gen)(goffset *want);
	gint64 observed;
} DepthCase;

static const DepthCase depth_cases[] = {
	{ "embedded messages from the top", gen_depth_from_the_top, 24 },
	{ "the pre-scan sees one level less", gen_depth_one_deeper, 21 },
};

/*
 * mime.depth points at the header of the deepest container, also when
 * only GMime's tree shows it (regression: byte 0, or the pre-scan's
 * deepest container).
 */
START_TEST(test_mime_depth_found_by_the_walk_points_at_its_part)
{
	const DepthCase *c = &depth_cases[_i];
	goffset want = SG_OFFSET_NONE;
	g_autoptr(GString) s = c->gen(&want);
	g_autoptr(SgMessage) msg = sg_test_mime_run_gstring(s, NULL);
	g_autofree char *got = sg_test_mime_describe(msg);
	const SgFinding *f = sg_test_mime_find(msg, "mime.depth");

	ck_assert_msg(f != NULL, "%s: no mime.depth;%s", c->what, got);
	ck_assert_int_eq(f->observed, c->observed);
	ck_assert_msg(f->offset == want,
	    "%s: mime.depth at %" G_GINT64_FORMAT
	    " ('%.30s'), want %" G_GINT64_FORMAT,
	    c->what, (gint64)f->offset, s->str + f->offset, (gint64)want);
}
END_TEST

/*
 * Past GMime's own nesting limit, under a profile without a hard limit:
 * the depth is where GMime would stop, not the one container at byte 0.
 */
START_TEST(test_mime_depth_past_gmime_points_where_gmime_stopped)
{
	g_autoptr(SgProfile) open_ended = sg_test_mime_profile_new(
	    "[mime.depth]\nseverity=quarantine\nsoft=20\nhard=none\n");
	g_autoptr(GString) s = sg_test_mime_headers(g_string_new(NULL));
	g_autoptr(SgMessage) msg = NULL;
	g_autofree char *got = NULL;
	const SgFinding *f;
	guint level = 0;

	g_string_append(s,
	    "Content-Type: multipart/mixed; boundary=x\n\n--x\n");
	gen_hidden_messages(s, 1100);
	g_string_append(s, "--x--\n");
	msg = sg_test_mime_run_with(open_ended, s->str, s->len, NULL);
	got = sg_test_mime_describe(msg);
	f = sg_test_mime_find(msg, "mime.depth");
	ck_assert_msg(f != NULL, "no mime.depth;%s", got);
	ck_assert_int_eq(f->observed, 1025);
	ck_assert_msg(strncmp(s->str + f->offset, DEPTH_MESSAGE,
	                  strlen(DEPTH_MESSAGE)) == 0,
	    "mime.depth at %" G_GINT64_FORMAT ": '%.30s'", (gint64)f->offset,
	    s->str + f->offset);
	for (const char *p = s->str;
	     (p = strstr(p, DEPTH_MESSAGE)) != NULL && p < s->str + f->offset;
	     p++)
		level++;
	/*
	 * GMime counts an embedded message twice (the part and the message
	 * in it) and stops near the 512th; the pre-scan stops at its
	 * ceiling, GMime's 1024 levels.
	 */
	ck_assert_uint_ge(level, 500);
	ck_assert_uint_lt(level, 1100);
}
END_TEST

static Suite *
walk_suite(void)
{
	Suite *s = suite_create("mime-walk");
	TCase *tc = tcase_create("tree");

	tcase_add_test(tc, test_mime_inspect_tree_of_a_forward);
	tcase_add_test(tc,
	    test_mime_inspect_rows_have_offsets_and_sniffed_types);
	tcase_add_loop_test(tc,
	    test_mime_depth_found_by_the_walk_points_at_its_part, 0,
	    G_N_ELEMENTS(depth_cases));
	tcase_add_test(tc,
	    test_mime_depth_past_gmime_points_where_gmime_stopped);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_mime_main(walk_suite());
}
