// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_sendmail.c - the Sendmail reader against qf/df pairs queued by the
 * real sendmail (testdata/spool/sendmail, made by
 * scripts/sendmail-fixtures.sh), their corrupt variants (file -> rule),
 * hostile qf files generated here, the I-line inode check with the real
 * inode, the content stream, sendmail's lock held by another process, and
 * a df still in progress (beside its tf, or open for writing).
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <glib/gstdio.h>

#include "spoolguard/autocleanups.h"

#include "check-run.h"
#include "spool-pair.h"
#include "spool-sendmail.h"

static SgProfile *profile;

static char *
testdata(const char *rel)
{
	const char *td = g_getenv("SPOOLGUARD_TESTDATA");

	return g_build_filename(td != NULL ? td : "testdata", "spool",
	    "sendmail", rel, NULL);
}

static gboolean
collect(SgMessage *msg, gpointer user_data)
{
	g_ptr_array_add(user_data, msg);
	return TRUE;
}

static GPtrArray *
walk(const char *path)
{
	GPtrArray *msgs =
	    g_ptr_array_new_with_free_func((GDestroyNotify)sg_message_free);
	SgWalkOptions opts = { 0 };
	SgWalkStats stats = { 0 };
	g_autoptr(GError) error = NULL;

	ck_assert_msg(sg_spool_sendmail_ops.walk(path, &opts, &stats, collect,
	                  msgs, &error),
	    "walk %s: %s", path, error != NULL ? error->message : "");
	return msgs;
}

static gboolean
open_msg(SgMessage *msg, GError **error)
{
	SgWalkOptions opts = { 0 };

	return sg_spool_sendmail_ops.open(msg, profile, &opts, error);
}

static guint
count_rule(SgMessage *msg, SgRuleId rule)
{
	guint n = 0;

	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(msg->findings, i);

		if (f->rule == rule)
			n++;
	}
	return n;
}

static guint
count_container(SgMessage *msg)
{
	guint n = 0;

	/* By name: a range of enum values breaks when a rule is added. */
	for (SgRuleId r = 0; r < SG_RULE_COUNT; r++)
		if (g_str_has_prefix(sg_rule_id(r), "container."))
			n += count_rule(msg, r);
	return n;
}

static char *
describe(SgMessage *msg)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(msg->findings, i);

		g_string_append_printf(s, "[%d @%" G_GINT64_FORMAT " %s] ",
		    f->rule, (gint64)f->offset, f->text);
	}
	return g_string_free(s, FALSE);
}

static SgMessage *
find_suffix(GPtrArray *msgs, const char *suffix)
{
	for (guint i = 0; i < msgs->len; i++) {
		SgMessage *m = g_ptr_array_index(msgs, i);

		if (g_str_has_suffix(m->queue_id, suffix))
			return m;
	}
	return NULL;
}

/* The id of fixture 1 ("sendmail fixture 1"). */
static char *
first_fixture_id(void)
{
	g_autofree char *dir = testdata("mqueue");
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	ck_assert(d != NULL);
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(dir, name, NULL);
		g_autofree char *data = NULL;

		if (!g_str_has_prefix(name, "qf"))
			continue;
		ck_assert(g_file_get_contents(p, &data, NULL, NULL));
		if (strstr(data, "sendmail fixture 1") != NULL)
			return g_strdup(name + 2);
	}
	ck_abort_msg("no fixture 1 in %s", dir);
	return NULL;
}

/* A private queue with fixture 1's qf (rewritten by @edit) and df. */
static char *
private_queue(char *(*edit)(const char *qf, const char *dfpath))
{
	g_autofree char *id = first_fixture_id();
	g_autofree char *src = testdata("mqueue");
	char *q = g_dir_make_tmp("sg-sm-XXXXXX", NULL);
	g_autofree char *qn = g_strconcat("qf", id, NULL);
	g_autofree char *dn = g_strconcat("df", id, NULL);
	g_autofree char *qa = g_build_filename(src, qn, NULL);
	g_autofree char *da = g_build_filename(src, dn, NULL);
	g_autofree char *qb = g_build_filename(q, qn, NULL);
	g_autofree char *db = g_build_filename(q, dn, NULL);
	g_autofree char *qdata = NULL;
	g_autofree char *ddata = NULL;
	g_autofree char *edited = NULL;
	gsize dlen;

	ck_assert(g_file_get_contents(qa, &qdata, NULL, NULL));
	ck_assert(g_file_get_contents(da, &ddata, &dlen, NULL));
	ck_assert(g_file_set_contents(db, ddata, (gssize)dlen, NULL));
	edited = edit != NULL ? edit(qdata, db) : g_strdup(qdata);
	ck_assert(g_file_set_contents(qb, edited, -1, NULL));
	return q;
}

static void
rm_rf(const char *path)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", path);

	ck_assert(system(cmd) == 0);
}

START_TEST(test_sendmail_real_queue_reads_clean)
{
	g_autofree char *dir = testdata("mqueue");
	g_autoptr(GPtrArray) msgs = walk(dir);

	ck_assert_uint_ge(msgs->len, 3);
	for (guint i = 0; i < msgs->len; i++) {
		SgMessage *m = g_ptr_array_index(msgs, i);
		g_autoptr(GError) error = NULL;
		g_autofree char *what = NULL;

		ck_assert_msg(open_msg(m, &error), "%s", error->message);
		what = describe(m);
		ck_assert_msg(count_container(m) == 0, "%s: %s", m->id, what);
		ck_assert_str_eq(sg_message_file(m, 0)->role, "qf");
		ck_assert_str_eq(sg_message_file(m, 1)->role, "df");
		ck_assert_uint_ge(m->rcpt_total, 1);
		ck_assert(m->sender != NULL);
	}
}
END_TEST

static const struct {
	const char *tag;
	SgRuleId rule; /* SG_RULE_COUNT: near-miss */
} corrupt_cases[] = {
	{ "M1", SG_RULE_CONTAINER_MISSING_END },
	{ "T1", SG_RULE_CONTAINER_TRAILING_DATA },
	{ "U1", SG_RULE_CONTAINER_UNKNOWN_RECORD },
	{ "V1", SG_RULE_CONTAINER_MISSING_RECORD },
	{ "W1", SG_RULE_CONTAINER_BAD_FIELD },
	{ "I1", SG_RULE_CONTAINER_SIZE_MISMATCH },
	{ "N1", SG_RULE_CONTAINER_NUL },
	{ "O1", SG_RULE_CONTAINER_ORPHAN_FILE },
	{ "O2", SG_RULE_CONTAINER_ORPHAN_FILE },
	{ "K1", SG_RULE_COUNT },
};

START_TEST(test_sendmail_corrupt_variant_fires_its_rule)
{
	g_autofree char *dir = testdata("corrupt/mqueue");
	g_autoptr(GPtrArray) msgs = walk(dir);
	SgMessage *m = find_suffix(msgs, corrupt_cases[_i].tag);
	g_autoptr(GError) error = NULL;
	g_autofree char *what = NULL;

	ck_assert_msg(m != NULL, "no fixture %s", corrupt_cases[_i].tag);
	ck_assert_msg(open_msg(m, &error), "%s", error->message);
	what = describe(m);
	if (corrupt_cases[_i].rule == SG_RULE_COUNT) {
		ck_assert_msg(count_container(m) == 0, "%s: %s", m->id, what);
	} else {
		ck_assert_msg(count_rule(m, corrupt_cases[_i].rule) > 0,
		    "%s: wanted %d: %s", m->id, corrupt_cases[_i].rule, what);
		ck_assert_int_eq(m->verdict, SG_SEVERITY_QUARANTINE);
	}
}
END_TEST

static char *
add_true_inode(const char *qf, const char *dfpath)
{
	struct stat st;
	g_autofree char *line = NULL;

	ck_assert(stat(dfpath, &st) == 0);
	line = g_strdup_printf("\nI%u/%u/%lu\nK", major(st.st_dev),
	    minor(st.st_dev), (unsigned long)st.st_ino);
	{
		g_auto(GStrv) parts = g_strsplit(qf, "\nK", 2);

		return g_strconcat(parts[0], line, parts[1], NULL);
	}
}

START_TEST(test_sendmail_true_inode_is_accepted)
{
	g_autofree char *q = private_queue(add_true_inode);
	g_autoptr(GPtrArray) msgs = walk(q);
	g_autoptr(GError) error = NULL;
	SgMessage *m;
	g_autofree char *what = NULL;

	ck_assert_uint_eq(msgs->len, 1);
	m = g_ptr_array_index(msgs, 0);
	ck_assert(open_msg(m, &error));
	what = describe(m);
	ck_assert_msg(count_container(m) == 0, "%s", what);
	rm_rf(q);
}
END_TEST

static char *
add_long_fold(const char *qf, const char *dfpath)
{
	GString *s = g_string_new(NULL);
	g_auto(GStrv) parts = g_strsplit(qf, "\n.\n", 2);

	(void)dfpath;
	g_string_append(s, parts[0]);
	g_string_append(s, "\nH??X-Long: start\n");
	gint64 hard =
	    sg_spool_pair_hard(profile, SG_RULE_CONTAINER_LINE_LENGTH);

	for (gint64 i = 0; i < hard / 16 + 2; i++)
		g_string_append(s, "\tcontinued line\n");
	g_string_append(s, ".\n");
	return g_string_free(s, FALSE);
}

START_TEST(test_sendmail_long_folded_line_is_flagged)
{
	g_autofree char *q = private_queue(add_long_fold);
	g_autoptr(GPtrArray) msgs = walk(q);
	g_autoptr(GError) error = NULL;
	SgMessage *m = g_ptr_array_index(msgs, 0);

	ck_assert(open_msg(m, &error));
	ck_assert_uint_eq(count_rule(m, SG_RULE_CONTAINER_LINE_LENGTH), 1);
	rm_rf(q);
}
END_TEST

static char *
many_headers(const char *qf, const char *dfpath)
{
	gint64 hard = sg_spool_pair_hard(profile, SG_RULE_HEADER_COUNT);
	GString *s = g_string_new(NULL);
	g_auto(GStrv) parts = g_strsplit(qf, "\n.\n", 2);

	(void)dfpath;
	g_string_append_printf(s, "%s\n", parts[0]);
	for (gint64 i = 0; i <= hard; i++)
		g_string_append(s, "H??X-A: 1\n");
	g_string_append(s, ".\n");
	return g_string_free(s, FALSE);
}

static char *
empty_qf(const char *qf, const char *dfpath)
{
	(void)qf;
	(void)dfpath;
	return g_strdup("");
}

static const struct {
	char *(*edit)(const char *qf, const char *dfpath);
	SgRuleId rule;
} generated_cases[] = {
	{ many_headers, SG_RULE_HEADER_COUNT },
	{ empty_qf, SG_RULE_CONTAINER_NOT_A_MESSAGE },
	{ NULL, SG_RULE_COUNT },
};

START_TEST(test_sendmail_generated_qf_fires_its_rule)
{
	g_autofree char *q = private_queue(generated_cases[_i].edit);
	g_autoptr(GPtrArray) msgs = walk(q);
	g_autoptr(GError) error = NULL;
	SgMessage *m = g_ptr_array_index(msgs, 0);
	g_autofree char *what = NULL;

	ck_assert(open_msg(m, &error));
	what = describe(m);
	if (generated_cases[_i].rule == SG_RULE_COUNT)
		ck_assert_msg(m->findings->len == 0, "%s", what);
	else
		ck_assert_msg(count_rule(m, generated_cases[_i].rule) == 1,
		    "%s", what);
	rm_rf(q);
}
END_TEST

START_TEST(test_sendmail_content_is_headers_then_df)
{
	g_autofree char *q = private_queue(NULL);
	g_autoptr(GPtrArray) msgs = walk(q);
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeStream) s = NULL;
	g_autoptr(GByteArray) got = g_byte_array_new();
	g_autofree char *qdata = NULL;
	g_autofree char *ddata = NULL;
	g_auto(GStrv) lines = NULL;
	GString *want = g_string_new(NULL);
	SgMessage *m = g_ptr_array_index(msgs, 0);
	char buf[5];
	gssize n;
	gsize dlen;
	gboolean in_header = FALSE;

	ck_assert(open_msg(m, &error));
	ck_assert(g_file_get_contents(sg_message_file(m, 0)->path, &qdata, NULL,
	    NULL));
	ck_assert(g_file_get_contents(sg_message_file(m, 1)->path, &ddata,
	    &dlen, NULL));
	/* expected: H lines without "H?flags?", continuation lines kept */
	lines = g_strsplit(qdata, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		const char *l = lines[i];

		if (l[0] == 'H' && strchr(l, '\201') != NULL) {
			in_header = FALSE; /* a macro template: not content */
		} else if (l[0] == 'H') {
			in_header = TRUE;
			l++;
			if (l[0] == '?')
				l = strchr(l + 1, '?') + 1;
			g_string_append_printf(want, "%s\n", l);
		} else if (in_header && (l[0] == '\t' || l[0] == ' ')) {
			g_string_append_printf(want, "%s\n", l);
		} else {
			in_header = FALSE;
		}
	}
	g_string_append_c(want, '\n');
	g_string_append_len(want, ddata, (gssize)dlen);
	s = sg_message_open_content(m, &error);
	ck_assert(s != NULL);
	while ((n = g_mime_stream_read(s, buf, sizeof(buf))) > 0)
		g_byte_array_append(got, (guint8 *)buf, (guint)n);
	ck_assert_uint_eq(got->len, want->len);
	ck_assert(memcmp(got->data, want->str, want->len) == 0);
	g_string_free(want, TRUE);
	rm_rf(q);
}
END_TEST

START_TEST(test_sendmail_locked_qf_is_busy)
{
	g_autofree char *q = private_queue(NULL);
	g_autofree char *id = first_fixture_id();
	g_autofree char *qn = g_strconcat("qf", id, NULL);
	g_autofree char *qpath = g_build_filename(q, qn, NULL);
	g_autoptr(GPtrArray) msgs = NULL;
	g_autoptr(GError) error = NULL;
	int pfd[2], status;
	pid_t pid;
	char c;

	ck_assert(pipe(pfd) == 0);
	pid = fork();
	if (pid == 0) {
		/* sendmail: fcntl(F_SETLK, F_WRLCK) on the whole qf */
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd = open(qpath, O_RDWR);

		if (fd < 0 || fcntl(fd, F_SETLK, &fl) != 0 ||
		    write(pfd[1], "L", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	ck_assert(read(pfd[0], &c, 1) == 1);
	msgs = walk(q);
	ck_assert(!open_msg(g_ptr_array_index(msgs, 0), &error));
	ck_assert(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	rm_rf(q);
}
END_TEST

/*
 * sendmail writes df during DATA, then the control file as tf<id>, and
 * renames that to qf<id>: a df whose qf is still a tf is in progress, and
 * so is one listed alone whose qf has appeared since the walk.  The near
 * miss: a df with neither is an orphan.
 */
START_TEST(test_sendmail_df_beside_its_tf_is_in_progress)
{
	g_autofree char *q = private_queue(NULL);
	g_autofree char *id = first_fixture_id();
	g_autofree char *qn = g_strconcat("qf", id, NULL);
	g_autofree char *tn = g_strconcat("tf", id, NULL);
	g_autofree char *qpath = g_build_filename(q, qn, NULL);
	g_autofree char *tpath = g_build_filename(q, tn, NULL);
	g_autoptr(GPtrArray) msgs = NULL;
	g_autoptr(GPtrArray) alone = NULL;
	g_autoptr(GError) error = NULL;
	SgMessage *m;

	ck_assert_int_eq(g_rename(qpath, tpath), 0);
	msgs = walk(q);
	ck_assert_uint_eq(msgs->len, 1);
	m = g_ptr_array_index(msgs, 0);
	ck_assert_uint_eq(m->files->len, 1);
	ck_assert_str_eq(sg_message_file(m, 0)->role, "df");
	ck_assert(!open_msg(m, &error));
	ck_assert_msg(g_error_matches(error, SG_CORE_ERROR,
	                  SG_CORE_ERROR_YOUNG),
	    "%s", error->message);
	g_clear_error(&error);
	/* the tf renamed to qf after the walk listed the df alone */
	g_ptr_array_set_size(msgs, 0);
	g_ptr_array_unref(msgs);
	msgs = walk(q);
	ck_assert_int_eq(g_rename(tpath, qpath), 0);
	ck_assert(!open_msg(g_ptr_array_index(msgs, 0), &error));
	ck_assert(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG));
	g_clear_error(&error);
	/* near miss: no tf, no qf */
	ck_assert_int_eq(g_unlink(qpath), 0);
	alone = walk(q);
	m = g_ptr_array_index(alone, 0);
	ck_assert_msg(open_msg(m, &error), "%s", error ? error->message : "");
	ck_assert_uint_eq(count_rule(m, SG_RULE_CONTAINER_ORPHAN_FILE), 1);
	ck_assert(sg_spool_sendmail_ops.prepare_move(m, NULL));
	/* ... until sendmail starts queueing it after all, before the move */
	ck_assert(g_file_set_contents(tpath, "V8\n", 3, NULL));
	ck_assert(!sg_spool_sendmail_ops.prepare_move(m, &error));
	ck_assert(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG));
	rm_rf(q);
}
END_TEST

/* A df that a process still has open for writing is being collected. */
START_TEST(test_sendmail_df_open_for_writing_is_in_progress)
{
	g_autofree char *q = private_queue(NULL);
	g_autofree char *id = first_fixture_id();
	g_autofree char *qn = g_strconcat("qf", id, NULL);
	g_autofree char *dn = g_strconcat("df", id, NULL);
	g_autofree char *qpath = g_build_filename(q, qn, NULL);
	g_autofree char *dpath = g_build_filename(q, dn, NULL);
	g_autoptr(GPtrArray) msgs = NULL;
	g_autoptr(GError) error = NULL;
	int pfd[2], status;
	pid_t pid;
	char c;

	ck_assert_int_eq(g_unlink(qpath), 0);
	ck_assert(pipe(pfd) == 0);
	pid = fork();
	if (pid == 0) {
		/* sendmail's collect(): df open for writing, DATA stalled */
		int fd = open(dpath, O_WRONLY | O_APPEND);

		if (fd < 0 || write(pfd[1], "W", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	ck_assert(read(pfd[0], &c, 1) == 1);
	msgs = walk(q);
	ck_assert(!open_msg(g_ptr_array_index(msgs, 0), &error));
	ck_assert_msg(g_error_matches(error, SG_CORE_ERROR,
	                  SG_CORE_ERROR_YOUNG),
	    "%s", error->message);
	g_clear_error(&error);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* the writer is gone: an orphan */
	g_ptr_array_set_size(msgs, 0);
	g_ptr_array_unref(msgs);
	msgs = walk(q);
	ck_assert_msg(open_msg(g_ptr_array_index(msgs, 0), &error), "%s",
	    error ? error->message : "");
	ck_assert_uint_eq(count_rule(g_ptr_array_index(msgs, 0),
	                      SG_RULE_CONTAINER_ORPHAN_FILE),
	    1);
	rm_rf(q);
}
END_TEST

START_TEST(test_sendmail_detects_a_queue)
{
	g_autofree char *dir = testdata("mqueue");
	g_autofree char *empty = g_dir_make_tmp("sg-sm-XXXXXX", NULL);
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	ck_assert(sg_spool_sendmail_ops.detect(fd, dir));
	close(fd);
	fd = open(empty, O_RDONLY | O_DIRECTORY);
	ck_assert(!sg_spool_sendmail_ops.detect(fd, empty));
	close(fd);
	rm_rf(empty);
}
END_TEST

static Suite *
sendmail_suite(void)
{
	Suite *s = suite_create("sendmail");
	TCase *tc = tcase_create("reader");

	tcase_add_test(tc, test_sendmail_real_queue_reads_clean);
	tcase_add_loop_test(tc, test_sendmail_corrupt_variant_fires_its_rule, 0,
	    G_N_ELEMENTS(corrupt_cases));
	tcase_add_test(tc, test_sendmail_true_inode_is_accepted);
	tcase_add_test(tc, test_sendmail_long_folded_line_is_flagged);
	tcase_add_loop_test(tc, test_sendmail_generated_qf_fires_its_rule, 0,
	    G_N_ELEMENTS(generated_cases));
	tcase_add_test(tc, test_sendmail_content_is_headers_then_df);
	tcase_add_test(tc, test_sendmail_locked_qf_is_busy);
	tcase_add_test(tc, test_sendmail_df_beside_its_tf_is_in_progress);
	tcase_add_test(tc, test_sendmail_df_open_for_writing_is_in_progress);
	tcase_add_test(tc, test_sendmail_detects_a_queue);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	g_autoptr(GError) error = NULL;
	int rc;

	profile = sg_profile_load("default", &error);
	if (profile == NULL)
		g_printerr("check_sendmail: no default profile (%s): catalogue "
		           "defaults\n",
		    error->message);
	rc = sg_test_run(sendmail_suite());
	if (profile != NULL)
		sg_profile_unref(profile);
	return rc;
}
