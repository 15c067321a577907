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

static Suite *
walk_suite(void)
{
	Suite *s = suite_create("mime-walk");
	TCase *tc = tcase_create("tree");

	tcase_add_test(tc, test_mime_inspect_tree_of_a_forward);
	tcase_add_test(tc,
	    test_mime_inspect_rows_have_offsets_and_sniffed_types);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_mime_main(walk_suite());
}
