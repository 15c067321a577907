// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_keep.c - messages kept at SMTP time (quarantine-keep.c): the
 * envelope record (angle brackets, the null sender, bytes that are not
 * UTF-8, refusals), the reinjection command line (quoting, "-f <>",
 * "--" before recipients, thousands of recipients), a keep that a SIGKILL
 * at any change to the disk leaves as no entry or a whole one (recovery
 * removes the rest), a full disk that leaves nothing, and a reinjection
 * that removes the entry only when the command exits 0 and never runs
 * it on bytes whose sha256 is not the report's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>

#include "spoolguard/quarantine.h"
#include "spoolguard/rules.h"
#include "spoolguard/spool.h"

#include "check-run.h"

#define MSG                                                             \
	"From: a@example.org\r\nTo: b@example.org\r\nSubject: kept\r\n" \
	"Content-Type: text/plain\r\nContent-Type: text/html\r\n\r\n"   \
	"body\r\n"

static struct {
	char *root;
	char *store_dir;
	char *msg_path;
	SgStore *store;
	SgProfile *profile;
} fx;

static void
remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
		const char *name;

		while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
			g_autofree char *p = g_build_filename(path, name, NULL);

			remove_tree(p);
		}
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}

static void
setup(void)
{
	g_autoptr(GError) error = NULL;
	const char *base =
	    g_access("/dev/shm", W_OK) == 0 ? "/dev/shm" : g_get_tmp_dir();
	g_autofree char *tmpl = g_build_filename(base, "sg-keep-XXXXXX", NULL);
	char real[PATH_MAX];

	ck_assert_ptr_nonnull(g_mkdtemp(tmpl));
	ck_assert_ptr_nonnull(realpath(tmpl, real));
	fx.root = g_strdup(real);
	fx.store_dir = g_build_filename(fx.root, "store", NULL);
	fx.msg_path = g_build_filename(fx.root, "in.eml", NULL);
	ck_assert(g_file_set_contents(fx.msg_path, MSG, -1, NULL));
	fx.store = sg_store_open(fx.store_dir, TRUE, &error);
	ck_assert_msg(fx.store != NULL, "%s", error ? error->message : "");
	fx.profile = sg_profile_load("default", &error);
	ck_assert_msg(fx.profile != NULL, "%s", error ? error->message : "");
}

static void
teardown(void)
{
	sg_quarantine_set_fs(NULL);
	sg_quarantine_set_time(0);
	g_clear_pointer(&fx.store, sg_store_free);
	g_clear_pointer(&fx.profile, sg_profile_unref);
	remove_tree(fx.root);
	g_clear_pointer(&fx.root, g_free);
	g_clear_pointer(&fx.store_dir, g_free);
	g_clear_pointer(&fx.msg_path, g_free);
}

/* The message of fx.msg_path, opened as `check` opens one. */
static SgMessage *
open_message(void)
{
	g_autoptr(GError) error = NULL;
	SgMessage *msg =
	    sg_message_new(sg_spool_find("plain"), "plain", "<stdin>");
	SgWalkOptions opts = { .read_only = TRUE };

	sg_message_add_file(msg, fx.msg_path, "message");
	ck_assert_msg(msg->ops->open(msg, fx.profile, &opts, &error), "%s",
	    error ? error->message : "");
	sg_message_add_finding(msg, SG_RULE_HEADER_CONFLICTING,
	    SG_SEVERITY_QUARANTINE, 0, 60, NULL, "Content-Type", SG_VALUE_NONE,
	    SG_VALUE_NONE, "conflicting header");
	return msg;
}

static SgEnvelope *
make_envelope(guint n)
{
	SgEnvelope *env = sg_envelope_new("check");

	ck_assert(sg_envelope_set_sender(env, "<>", 2, NULL));
	for (guint i = 0; i < n; i++) {
		g_autofree char *r =
		    g_strdup_printf("<rcpt%u@example.invalid>", i);

		ck_assert(sg_envelope_add_recipient(env, r, strlen(r), NULL));
	}
	env->queue_id = g_strdup("4XyZ1q2w3");
	return env;
}

/* The ids the store lists. */
static GPtrArray *
list_ids(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = sg_store_list(fx.store, &error);
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);

	ck_assert_msg(list != NULL, "%s", error ? error->message : "");
	for (guint i = 0; i < list->len; i++) {
		SgStoreEntry *e = g_ptr_array_index(list, i);

		ck_assert_msg(!e->unfinished, "%s is unfinished", e->id);
		g_ptr_array_add(ids, g_strdup(e->id));
	}
	return ids;
}

static guint
count_dir(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	guint n = 0;

	while (d != NULL && g_dir_read_name(d) != NULL)
		n++;
	return n;
}

/* ---- the envelope ------------------------------------------------------ */

START_TEST(test_envelope_takes_brackets_off_and_null_sender)
{
	g_autoptr(SgEnvelope) env = sg_envelope_new("milter");

	ck_assert(sg_envelope_set_sender(env, "<a@b.invalid>", 13, NULL));
	ck_assert_str_eq(env->sender, "a@b.invalid");
	ck_assert(sg_envelope_set_sender(env, "<>", 2, NULL));
	ck_assert_str_eq(env->sender, "");
	ck_assert(sg_envelope_set_sender(env, "", 0, NULL));
	ck_assert_str_eq(env->sender, "");
	ck_assert(sg_envelope_add_recipient(env, "c@d.invalid", 11, NULL));
	ck_assert_str_eq(g_ptr_array_index(env->recipients, 0), "c@d.invalid");
}
END_TEST

START_TEST(test_envelope_refuses_what_cannot_go_back)
{
	g_autoptr(SgEnvelope) env = sg_envelope_new("check");
	g_autofree char *huge = g_strnfill(SG_ENVELOPE_ADDRESS_MAX + 1, 'a');
	g_autoptr(GError) error = NULL;

	ck_assert(!sg_envelope_set_sender(env, "a\r\nb", 4, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_INVALID));
	ck_assert_ptr_nonnull(strstr(error->message, "CR byte at 1"));
	g_clear_error(&error);
	ck_assert(!sg_envelope_add_recipient(env, "a\0b", 3, &error));
	ck_assert_ptr_nonnull(strstr(error->message, "NUL"));
	g_clear_error(&error);
	ck_assert(!sg_envelope_add_recipient(env, huge, strlen(huge), &error));
	g_clear_error(&error);
	ck_assert(!sg_envelope_add_recipient(env, "<>", 2, &error));
	ck_assert_uint_eq(env->recipients->len, 0);
}
END_TEST

START_TEST(test_reinject_argv_null_sender_and_separator)
{
	g_autoptr(SgEnvelope) env = make_envelope(0);
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) argv = NULL;
	const char *const want[] = { "/usr/sbin/sendmail", "-G", "-i", "-f",
		"<>", "--", "-dash@example.invalid", "x y@example.invalid",
		NULL };

	ck_assert(
	    sg_envelope_add_recipient(env, "-dash@example.invalid", 21, NULL));
	ck_assert(
	    sg_envelope_add_recipient(env, "x y@example.invalid", 19, NULL));
	argv = sg_envelope_reinject_argv(env, SG_REINJECT_DEFAULT, &error);
	ck_assert_msg(argv != NULL, "%s", error ? error->message : "");
	ck_assert_uint_eq(g_strv_length(argv), G_N_ELEMENTS(want) - 1);
	for (guint i = 0; want[i] != NULL; i++)
		ck_assert_str_eq(argv[i], want[i]);
}
END_TEST

START_TEST(test_reinject_argv_quoting_and_sender)
{
	g_autoptr(SgEnvelope) env = make_envelope(1);
	g_auto(GStrv) argv = NULL;

	ck_assert(sg_envelope_set_sender(env, "<s@example.invalid>", 19, NULL));
	argv = sg_envelope_reinject_argv(env,
	    "'/opt/my mta/sendmail' -C \"/etc/x y\" -oi", NULL);
	ck_assert_ptr_nonnull(argv);
	ck_assert_str_eq(argv[0], "/opt/my mta/sendmail");
	ck_assert_str_eq(argv[1], "-C");
	ck_assert_str_eq(argv[2], "/etc/x y");
	ck_assert_str_eq(argv[3], "-oi");
	ck_assert_str_eq(argv[4], "-f");
	ck_assert_str_eq(argv[5], "s@example.invalid");
	ck_assert_str_eq(argv[6], "--");
	ck_assert_str_eq(argv[7], "rcpt0@example.invalid");
	ck_assert_ptr_null(argv[8]);
}
END_TEST

START_TEST(test_reinject_argv_many_recipients)
{
	g_autoptr(SgEnvelope) env = make_envelope(10000);
	g_auto(GStrv) argv =
	    sg_envelope_reinject_argv(env, SG_REINJECT_DEFAULT, NULL);

	ck_assert_ptr_nonnull(argv);
	ck_assert_uint_eq(g_strv_length(argv), 6 + 10000);
	ck_assert_str_eq(argv[6], "rcpt0@example.invalid");
	ck_assert_str_eq(argv[6 + 9999], "rcpt9999@example.invalid");
}
END_TEST

START_TEST(test_reinject_argv_refuses_no_command_or_no_recipient)
{
	g_autoptr(SgEnvelope) none = make_envelope(0);
	g_autoptr(SgEnvelope) env = make_envelope(1);
	g_autoptr(GError) error = NULL;

	ck_assert_ptr_null(
	    sg_envelope_reinject_argv(none, SG_REINJECT_DEFAULT, &error));
	ck_assert_ptr_nonnull(strstr(error->message, "no envelope recipient"));
	g_clear_error(&error);
	ck_assert_ptr_null(sg_envelope_reinject_argv(env, "", &error));
	g_clear_error(&error);
	ck_assert_ptr_null(sg_envelope_reinject_argv(env, "'open", &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_INVALID));
}
END_TEST

/* ---- keep ------------------------------------------------------------------
 */

START_TEST(test_keep_stores_bytes_envelope_and_report)
{
	g_autoptr(SgMessage) msg = open_message();
	g_autoptr(SgEnvelope) env = make_envelope(3);
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autoptr(SgEnvelope) back = NULL;
	g_autoptr(SgMessage) stored = NULL;
	g_autoptr(GPtrArray) ids = NULL;
	g_autofree char *want =
	    g_compute_checksum_for_string(G_CHECKSUM_SHA256, MSG, -1);
	g_autofree char *json = NULL;
	/* A recipient that is not UTF-8 goes back byte for byte. */
	const char latin1[] = "j\xf6rg@example.invalid";

	ck_assert(sg_envelope_add_recipient(env, latin1, strlen(latin1), NULL));
	ck_assert_msg(sg_store_keep(fx.store, msg, env, fx.profile, &id,
	                  &error),
	    "%s", error ? error->message : "");
	ids = list_ids();
	ck_assert_uint_eq(ids->len, 1);
	ck_assert_str_eq(g_ptr_array_index(ids, 0), id);
	json = sg_store_show(fx.store, id, TRUE, &error);
	ck_assert_ptr_nonnull(json);
	ck_assert_ptr_nonnull(strstr(json, want));
	ck_assert_ptr_nonnull(strstr(json, "\"method\":\"copy\""));
	ck_assert_ptr_nonnull(strstr(json, "\"queue_id\":\"4XyZ1q2w3\""));
	ck_assert_ptr_nonnull(strstr(json, "header.conflicting"));
	back = sg_store_envelope(fx.store, id, &error);
	ck_assert_msg(back != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq(back->sender, "");
	ck_assert_uint_eq(back->recipients->len, 4);
	ck_assert_str_eq(g_ptr_array_index(back->recipients, 3), latin1);
	ck_assert_str_eq(back->received_by, "check");
	/* Re-opened for a re-check: the bytes that were judged. */
	stored = sg_store_open_stored(fx.store, id, fx.profile, &error);
	ck_assert_msg(stored != NULL, "%s", error ? error->message : "");
	ck_assert_int_eq(stored->content_size, strlen(MSG));
	/* Nothing half-built is left. */
	{
		g_autofree char *inc =
		    g_build_filename(fx.store_dir, ".incoming", NULL);

		ck_assert_uint_eq(count_dir(inc), 0);
	}
}
END_TEST

START_TEST(test_spool_entry_has_no_envelope)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgMessage) msg = open_message();
	g_autoptr(SgEnvelope) env = make_envelope(1);
	g_autofree char *id = NULL;
	g_autofree char *report = NULL;
	g_autofree char *path = NULL;
	GStatBuf st;

	ck_assert(sg_store_keep(fx.store, msg, env, fx.profile, &id, &error));
	/* Without "envelope", an entry is a spool entry: NULL, no error. */
	path = g_strdup_printf("%s/%.4s/%.2s/%.2s/%s/report.json", fx.store_dir,
	    id, id + 4, id + 6, id);
	ck_assert_int_eq(g_stat(path, &st), 0);
	ck_assert(g_file_set_contents(path, "{\"files\":[]}\n", -1, NULL));
	ck_assert_ptr_null(sg_store_envelope(fx.store, id, &error));
	ck_assert_ptr_null(error);
	ck_assert(g_file_set_contents(path,
	    "{\"envelope\":{\"sender\":\"a@b\",\"recipients\":[]}}\n", -1,
	    NULL));
	ck_assert_ptr_null(sg_store_envelope(fx.store, id, &error));
	ck_assert_ptr_null(error);
	ck_assert(g_file_set_contents(path,
	    "{\"envelope\":{\"release\":\"reinject\"}}\n", -1, NULL));
	ck_assert_ptr_null(sg_store_envelope(fx.store, id, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_CORRUPT));
}
END_TEST

/* ---- faults and kills ------------------------------------------------------
 */

static int fault_write_errno;
static int crash_at = -1;
static int crash_done;

static void
crash_point(void)
{
	if (crash_at >= 0 && crash_done++ == crash_at)
		kill(getpid(), SIGKILL);
}

static ssize_t
crash_write(int fd, const void *buf, size_t len)
{
	crash_point();
	if (fault_write_errno != 0) {
		errno = fault_write_errno;
		return -1;
	}
	return sg_fs_real()->write(fd, buf, len);
}

static int
crash_fsync(int fd)
{
	crash_point();
	return sg_fs_real()->fsync(fd);
}

static int
crash_rename(const char *from, const char *to)
{
	crash_point();
	return sg_fs_real()->rename(from, to);
}

static int
crash_rename_noreplace(const char *from, const char *to)
{
	crash_point();
	return sg_fs_real()->rename_noreplace(from, to);
}

static int
crash_mkdir(const char *path, mode_t mode)
{
	crash_point();
	return sg_fs_real()->mkdir(path, mode);
}

static int
crash_unlink(const char *path)
{
	crash_point();
	return sg_fs_real()->unlink(path);
}

static SgFsOps crash_ops;

static void
crash_install(void)
{
	crash_ops = *sg_fs_real();
	crash_ops.write = crash_write;
	crash_ops.fsync = crash_fsync;
	crash_ops.rename = crash_rename;
	crash_ops.rename_noreplace = crash_rename_noreplace;
	crash_ops.mkdir = crash_mkdir;
	crash_ops.unlink = crash_unlink;
	sg_quarantine_set_fs(&crash_ops);
}

START_TEST(test_keep_full_disk_leaves_nothing)
{
	g_autoptr(SgMessage) msg = open_message();
	g_autoptr(SgEnvelope) env = make_envelope(1);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) ids = NULL;
	g_autofree char *id = NULL;
	g_autofree char *inc =
	    g_build_filename(fx.store_dir, ".incoming", NULL);

	crash_install();
	fault_write_errno = ENOSPC;
	ck_assert(!sg_store_keep(fx.store, msg, env, fx.profile, &id, &error));
	fault_write_errno = 0;
	ck_assert_ptr_null(id);
	ck_assert_ptr_nonnull(strstr(error->message, "not kept"));
	ck_assert_ptr_nonnull(strstr(error->message, g_strerror(ENOSPC)));
	ids = list_ids();
	ck_assert_uint_eq(ids->len, 0);
	ck_assert_uint_eq(count_dir(inc), 0);
}
END_TEST

/*
 * A keep SIGKILLed at its n-th change to the disk, for every n until one
 * runs to the end: afterwards (and after recovery) the store holds no
 * entry or one whole entry whose bytes hash to the message's sha256, and
 * .incoming is empty.
 */
START_TEST(test_keep_killed_at_any_step_is_none_or_whole)
{
	g_autofree char *want =
	    g_compute_checksum_for_string(G_CHECKSUM_SHA256, MSG, -1);
	g_autofree char *inc =
	    g_build_filename(fx.store_dir, ".incoming", NULL);
	guint killed = 0, whole = 0, none = 0;

	for (int step = 0;; step++) {
		g_autoptr(GPtrArray) ids = NULL;
		g_autoptr(GError) error = NULL;
		SgStoreRecovery rec;
		int status = 0;
		pid_t pid;

		remove_tree(fx.store_dir);
		ck_assert_int_eq(g_mkdir(fx.store_dir, 0700), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			g_autoptr(SgMessage) msg = open_message();
			g_autoptr(SgEnvelope) env = make_envelope(2);

			crash_install();
			crash_at = step;
			crash_done = 0;
			_exit(sg_store_keep(fx.store, msg, env, fx.profile,
			          NULL, NULL)
			        ? 0
			        : 1);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		/* Before recovery too, a listing sees no unfinished entry. */
		ids = list_ids();
		ck_assert_uint_le(ids->len, 1);
		ck_assert(sg_store_recover(fx.store, TRUE, &rec, &error));
		ck_assert_uint_eq(rec.failed + rec.left + rec.busy, 0);
		sg_store_recovery_clear(&rec);
		ck_assert_uint_eq(count_dir(inc), 0);
		g_ptr_array_unref(ids);
		ids = list_ids();
		if (ids->len == 1) {
			const char *id = g_ptr_array_index(ids, 0);
			g_autofree char *path = g_strdup_printf(
			    "%s/%.4s/%.2s/%.2s/%s/files/message", fx.store_dir,
			    id, id + 4, id + 6, id);
			g_autoptr(SgEnvelope) env =
			    sg_store_envelope(fx.store, id, &error);
			g_autofree char *data = NULL;
			g_autofree char *sum = NULL;
			gsize len = 0;

			ck_assert(g_file_get_contents(path, &data, &len, NULL));
			sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
			    (const guchar *)data, len);
			ck_assert_msg(strcmp(sum, want) == 0, "step %d", step);
			ck_assert_ptr_nonnull(env);
			ck_assert_uint_eq(env->recipients->len, 2);
			whole++;
		} else {
			none++;
		}
		if (WIFEXITED(status)) {
			ck_assert_int_eq(WEXITSTATUS(status), 0);
			ck_assert_uint_eq(ids->len, 1);
			break;
		}
		ck_assert(WIFSIGNALED(status));
		killed++;
		ck_assert_int_lt(step, 200);
	}
	ck_assert_uint_ge(killed, 8);
	ck_assert_uint_ge(none, 1);
	fprintf(stderr, "keep: %u kills: %u left no entry, %u a whole one\n",
	    killed, none, whole);
}
END_TEST

/* A keep at work (its .incoming entry locked) is left alone by recovery;
 * once its lock is gone, what it left is removed. */
START_TEST(test_recovery_leaves_a_keep_at_work_alone)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_build_filename(fx.store_dir, ".incoming",
	    "20261122T031502Z-0badc0de", NULL);
	g_autofree char *files = g_build_filename(dir, "files", NULL);
	g_autofree char *tmp = g_build_filename(files, ".tmp-message", NULL);
	SgStoreRecovery rec;
	int fd;

	ck_assert_int_eq(g_mkdir_with_parents(files, 0700), 0);
	ck_assert(g_file_set_contents(tmp, "half", -1, NULL));
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	/* flock belongs to the open file description: a child asks. */
	if (fork() == 0) {
		SgStoreRecovery r;
		gboolean ok = sg_store_recover(fx.store, FALSE, &r, NULL);

		_exit(ok && r.busy == 1 && r.removed == 0 &&
		            r.notes->len == 0 &&
		            g_file_test(tmp, G_FILE_TEST_EXISTS)
		        ? 0
		        : 1);
	} else {
		int status = -1;

		ck_assert_int_gt(wait(&status), 0);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(fd);
	ck_assert(sg_store_recover(fx.store, TRUE, &rec, &error));
	ck_assert_uint_eq(rec.removed, 1);
	ck_assert_uint_eq(rec.busy, 0);
	sg_store_recovery_clear(&rec);
	ck_assert(!g_file_test(dir, G_FILE_TEST_EXISTS));
}
END_TEST

/* ---- reinjection ------------------------------------------------------------
 */

/* A command that saves its argv and stdin beside the store, exits @rc. */
static char **
fake_argv(const SgEnvelope *env, int rc)
{
	g_autofree char *cmd = g_strdup_printf(
	    "/bin/sh -c 'for a; do echo \"$a\"; done >%s/argv; cat >%s/stdin; "
	    "exit %d' fake",
	    fx.root, fx.root, rc);

	return sg_envelope_reinject_argv(env, cmd, NULL);
}

static char *
keep_one(const SgEnvelope *env)
{
	g_autoptr(SgMessage) msg = open_message();
	g_autoptr(GError) error = NULL;
	char *id = NULL;

	ck_assert_msg(sg_store_keep(fx.store, msg, env, fx.profile, &id,
	                  &error),
	    "%s", error ? error->message : "");
	return id;
}

START_TEST(test_reinject_gives_the_bytes_and_removes_on_success)
{
	g_autoptr(SgEnvelope) env = make_envelope(2);
	g_autofree char *id = keep_one(env);
	g_auto(GStrv) argv = fake_argv(env, 0);
	g_autoptr(GError) error = NULL;
	g_autofree char *in = NULL;
	g_autofree char *args = NULL;
	g_autofree char *stdin_path = g_build_filename(fx.root, "stdin", NULL);
	g_autofree char *argv_path = g_build_filename(fx.root, "argv", NULL);
	g_autoptr(GPtrArray) ids = NULL;
	int status = -1;

	ck_assert_msg(sg_store_reinject(fx.store, id, argv, &status, &error),
	    "%s", error ? error->message : "");
	ck_assert_int_eq(status, 0);
	ck_assert(g_file_get_contents(stdin_path, &in, NULL, NULL));
	ck_assert_str_eq(in, MSG);
	ck_assert(g_file_get_contents(argv_path, &args, NULL, NULL));
	ck_assert_str_eq(args,
	    "-f\n<>\n--\nrcpt0@example.invalid\nrcpt1@example.invalid\n");
	ids = list_ids();
	ck_assert_uint_eq(ids->len, 0);
}
END_TEST

START_TEST(test_reinject_failure_keeps_the_entry)
{
	g_autoptr(SgEnvelope) env = make_envelope(1);
	g_autofree char *id = keep_one(env);
	g_auto(GStrv) argv = fake_argv(env, 75);
	g_auto(GStrv) missing = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) ids = NULL;
	int status = -1;

	ck_assert(!sg_store_reinject(fx.store, id, argv, &status, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_REINJECT));
	ck_assert_ptr_nonnull(strstr(error->message, "exited with status 75"));
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 75);
	g_clear_error(&error);
	missing = sg_envelope_reinject_argv(env, "/nonexistent/sendmail", NULL);
	ck_assert(!sg_store_reinject(fx.store, id, missing, NULL, &error));
	ck_assert_ptr_nonnull(strstr(error->message, "cannot run"));
	ids = list_ids();
	ck_assert_uint_eq(ids->len, 1);
}
END_TEST

START_TEST(test_reinject_refuses_other_bytes)
{
	g_autoptr(SgEnvelope) env = make_envelope(1);
	g_autofree char *id = keep_one(env);
	g_auto(GStrv) argv = fake_argv(env, 0);
	g_autoptr(GError) error = NULL;
	g_autofree char *path =
	    g_strdup_printf("%s/%.4s/%.2s/%.2s/%s/files/message", fx.store_dir,
	        id, id + 4, id + 6, id);
	g_autofree char *argv_path = g_build_filename(fx.root, "argv", NULL);

	ck_assert(g_file_set_contents(path, "tampered\n", -1, NULL));
	ck_assert(!sg_store_reinject(fx.store, id, argv, NULL, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_CORRUPT));
	ck_assert(!g_file_test(argv_path, G_FILE_TEST_EXISTS));
	g_clear_error(&error);
	ck_assert_ptr_null(
	    sg_store_open_stored(fx.store, id, fx.profile, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_CORRUPT));
}
END_TEST

static Suite *
keep_suite(void)
{
	Suite *s = suite_create("keep");
	TCase *tc = tcase_create("envelope");

	tcase_add_test(tc, test_envelope_takes_brackets_off_and_null_sender);
	tcase_add_test(tc, test_envelope_refuses_what_cannot_go_back);
	tcase_add_test(tc, test_reinject_argv_null_sender_and_separator);
	tcase_add_test(tc, test_reinject_argv_quoting_and_sender);
	tcase_add_test(tc, test_reinject_argv_many_recipients);
	tcase_add_test(tc,
	    test_reinject_argv_refuses_no_command_or_no_recipient);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_keep_stores_bytes_envelope_and_report);
	tcase_add_test(tc, test_spool_entry_has_no_envelope);
	tcase_add_test(tc, test_keep_full_disk_leaves_nothing);
	tcase_add_test(tc, test_keep_killed_at_any_step_is_none_or_whole);
	tcase_add_test(tc, test_recovery_leaves_a_keep_at_work_alone);
	tcase_add_test(tc,
	    test_reinject_gives_the_bytes_and_removes_on_success);
	tcase_add_test(tc, test_reinject_failure_keeps_the_entry);
	tcase_add_test(tc, test_reinject_refuses_other_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_run(keep_suite());
}
