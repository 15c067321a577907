// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_milter.c - SgMilterSpool: the content a milter rebuilds from the
 * callbacks reads back byte for byte whether it stayed in memory or went
 * to the unnamed temporary file, header fields read as received, a
 * failing file poisons the spool, nothing is left in the directory, and
 * the checks find what they find in a file across the memory/file seam.
 */
#include "config.h"

#include <string.h>

#include <check.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"
#include "spoolguard/check.h"
#include "spoolguard/milter.h"

#include "check-run.h"

static char *tmpdir;

static void
setup(void)
{
	g_autofree char *tmpl =
	    g_build_filename(g_get_tmp_dir(), "sg-milter-XXXXXX", NULL);

	tmpdir = g_mkdtemp(g_steal_pointer(&tmpl));
	ck_assert_ptr_nonnull(tmpdir);
}

static void
teardown(void)
{
	g_rmdir(tmpdir);
	g_clear_pointer(&tmpdir, g_free);
}

static guint
dir_entries(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	guint n = 0;

	ck_assert_ptr_nonnull(d);
	while (g_dir_read_name(d) != NULL)
		n++;
	return n;
}

/* Reads the whole content of @msg through its stream. */
static GByteArray *
read_content(SgMessage *msg)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeStream) stream = sg_message_open_content(msg, &error);
	GByteArray *out = g_byte_array_new();
	char buf[7];
	gssize n;

	ck_assert_ptr_nonnull(stream);
	/* Odd-sized reads cross the memory/file seam anywhere. */
	while ((n = g_mime_stream_read(stream, buf, sizeof buf)) > 0)
		g_byte_array_append(out, (const guint8 *)buf, (guint)n);
	ck_assert_int_eq(n, 0);
	return out;
}

static const char expected[] = "Subject: hi\r\n"
                               "X-Folded: a\r\n\tb\r\n"
                               "X-Empty:\r\n"
                               "\r\n"
                               "body\0with NUL\r\n";

/* memory_max for each loop index: all in memory, seam anywhere, all on
 * disk from byte 0 on. */
static const gsize memory_sizes[] = { 4096, 20, 1, 0 };

START_TEST(test_spool_reads_back_as_received)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "milter", "T1");
	SgMilterSpool *spool = sg_milter_spool_new(memory_sizes[_i], tmpdir);
	g_autoptr(GByteArray) got = NULL;
	static const char body[] = "body\0with NUL\r\n";

	/* With SMFIP_HDR_LEADSPC the value keeps its blank; folding is LF. */
	ck_assert(sg_milter_spool_append_header(spool, "Subject", " hi", TRUE,
	    &error));
	ck_assert(sg_milter_spool_append_header(spool, "X-Folded", "a\n\tb",
	    FALSE, &error));
	ck_assert(
	    sg_milter_spool_append_header(spool, "X-Empty", "", TRUE, &error));
	ck_assert(sg_milter_spool_append(spool, "\r\n", 2, &error));
	for (gsize i = 0; i < sizeof body - 1; i++)
		ck_assert(sg_milter_spool_append(spool, body + i, 1, &error));
	ck_assert_int_eq(sg_milter_spool_size(spool), sizeof expected - 1);
	ck_assert(sg_milter_spool_on_disk(spool) ==
	    (memory_sizes[_i] < sizeof expected - 1));
	/* Unnamed: nothing to see in the directory, ever. */
	ck_assert_uint_eq(dir_entries(tmpdir), 0);
	sg_milter_spool_attach(spool, msg);
	ck_assert_int_eq(msg->content_size, sizeof expected - 1);
	got = read_content(msg);
	ck_assert_uint_eq(got->len, sizeof expected - 1);
	ck_assert(memcmp(got->data, expected, got->len) == 0);
}
END_TEST

START_TEST(test_spool_failure_poisons)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *gone = g_build_filename(tmpdir, "gone", NULL);
	g_autoptr(SgMilterSpool) spool = sg_milter_spool_new(4, gone);

	ck_assert(sg_milter_spool_append(spool, "abc", 3, &error));
	ck_assert(!sg_milter_spool_append(spool, "defgh", 5, &error));
	ck_assert(
	    g_error_matches(error, SG_MILTER_ERROR, SG_MILTER_ERROR_SPOOL));
	ck_assert_ptr_nonnull(strstr(error->message, "gone"));
	g_clear_error(&error);
	/* Even after the directory appears, the spool stays failed. */
	ck_assert_int_eq(g_mkdir(gone, 0700), 0);
	ck_assert(!sg_milter_spool_append(spool, "x", 1, &error));
	ck_assert(
	    g_error_matches(error, SG_MILTER_ERROR, SG_MILTER_ERROR_SPOOL));
	ck_assert_uint_eq(dir_entries(gone), 0);
	g_rmdir(gone);
}
END_TEST

START_TEST(test_checks_read_across_the_seam)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) profile = sg_profile_load("default", &error);
	g_autoptr(SgCheckContext) ctx = NULL;
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "milter", "T2");
	SgMilterSpool *spool = sg_milter_spool_new(1000, tmpdir);
	g_autofree char *long_value = g_malloc(100001);
	gboolean found = FALSE;

	ck_assert_ptr_nonnull(profile);
	ctx = sg_check_context_new(profile, &error);
	memset(long_value, 'a', 100000);
	long_value[100000] = '\0';
	sg_message_set_sender(msg, "a@example.org", 13, G_MAXUINT,
	    SG_OFFSET_NONE);
	sg_message_add_recipient(msg, "b@example.org", 13, G_MAXUINT,
	    SG_OFFSET_NONE);
	ck_assert(sg_milter_spool_append_header(spool, "From", "a@example.org",
	    FALSE, &error));
	ck_assert(sg_milter_spool_append_header(spool, "X-Long", long_value,
	    FALSE, &error));
	ck_assert(sg_milter_spool_append(spool, "\r\nbody\r\n", 8, &error));
	ck_assert(sg_milter_spool_on_disk(spool));
	sg_milter_spool_attach(spool, msg);
	ck_assert(sg_check_message(ctx, msg, NULL, &error));
	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(msg->findings, i);

		if (f->rule != SG_RULE_HEADER_LINE_LENGTH)
			continue;
		found = TRUE;
		/* A content offset: the line starts after "From: ...\r\n". */
		ck_assert_int_eq(f->offset, 21);
		ck_assert_ptr_null(f->file);
	}
	ck_assert(found);
	ck_assert_int_eq(msg->verdict, SG_SEVERITY_QUARANTINE);
}
END_TEST

static Suite *
milter_suite(void)
{
	Suite *s = suite_create("milter");
	TCase *tc = tcase_create("spool");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_spool_reads_back_as_received, 0,
	    G_N_ELEMENTS(memory_sizes));
	tcase_add_test(tc, test_spool_failure_poisons);
	tcase_add_test(tc, test_checks_read_across_the_seam);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_run(milter_suite());
}
