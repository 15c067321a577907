// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_quarantine.c - the quarantine store: moves keep bytes and inodes,
 * failures injected through the file-system seam (EXDEV, ENOSPC, EIO,
 * EACCES, EPERM, ENOENT) leave every message in the spool or whole in the
 * store, reports carry sha256 and origin, and list, find, show, release
 * and purge do what quarantine.h says.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <glib/gstdio.h>

#include "spoolguard/quarantine.h"

/* 2026-11-22T03:15:02Z */
#define T0 G_GINT64_CONSTANT(1795317302)
#define DAY (24 * 3600)

/* ---- the fault-injecting seam ----------------------------------------- */

typedef struct {
	int link_errno;           /* link() fails with it ... */
	const char *link_match;   /* ... when the source contains this */
	int write_errno;          /* write() fails with it */
	gboolean write_corrupt;   /* write() flips a bit of what it writes */
	int fsync_errno;          /* fsync() of a regular file fails */
	int unlink_errno;         /* unlink() fails with it ... */
	const char *unlink_match; /* ... when the path contains this */
	gboolean no_openat2;      /* openat2() fails with ENOSYS */
} Faults;

static Faults faults;

static gboolean
fault_matches(const char *path, const char *match)
{
	return match == NULL || strstr(path, match) != NULL;
}

static int
fault_link(const char *from, const char *to)
{
	if (faults.link_errno != 0 && fault_matches(from, faults.link_match)) {
		errno = faults.link_errno;
		return -1;
	}
	return sg_fs_real()->link(from, to);
}

static int
fault_linkat(int olddirfd, const char *from, int newdirfd, const char *to,
    int flags)
{
	if (faults.link_errno != 0 && fault_matches(from, faults.link_match)) {
		errno = faults.link_errno;
		return -1;
	}
	return sg_fs_real()->linkat(olddirfd, from, newdirfd, to, flags);
}

static int
fault_openat2(int dirfd, const char *path, const struct open_how *how,
    size_t size)
{
	if (faults.no_openat2) {
		errno = ENOSYS;
		return -1;
	}
	return sg_fs_real()->openat2(dirfd, path, how, size);
}

static ssize_t
fault_write(int fd, const void *buf, size_t len)
{
	if (faults.write_errno != 0) {
		errno = faults.write_errno;
		return -1;
	}
	if (faults.write_corrupt && len > 0) {
		g_autofree guchar *copy = g_malloc(len);

		memcpy(copy, buf, len);
		copy[0] ^= 0x20;
		return sg_fs_real()->write(fd, copy, len);
	}
	return sg_fs_real()->write(fd, buf, len);
}

static int
fault_fsync(int fd)
{
	struct stat st;

	if (faults.fsync_errno != 0 && fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		errno = faults.fsync_errno;
		return -1;
	}
	return sg_fs_real()->fsync(fd);
}

static int
fault_unlink(const char *path)
{
	if (faults.unlink_errno != 0 &&
	    fault_matches(path, faults.unlink_match)) {
		errno = faults.unlink_errno;
		return -1;
	}
	return sg_fs_real()->unlink(path);
}

static SgFsOps fault_ops;

static void
faults_install(void)
{
	fault_ops = *sg_fs_real();
	fault_ops.link = fault_link;
	fault_ops.linkat = fault_linkat;
	fault_ops.openat2 = fault_openat2;
	fault_ops.write = fault_write;
	fault_ops.fsync = fault_fsync;
	fault_ops.unlink = fault_unlink;
	sg_quarantine_set_fs(&fault_ops);
}

/* ---- fixture ------------------------------------------------------------ */

typedef struct {
	char *root;  /* temporary directory */
	char *spool; /* root/spool */
	char *store_dir;
	SgStore *store;
} Fixture;

static Fixture fx;

static void
fixture_setup(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *tmpl =
	    g_build_filename(g_get_tmp_dir(), "sg-quar-XXXXXX", NULL);
	char real[PATH_MAX];

	ck_assert_ptr_nonnull(g_mkdtemp(tmpl));
	ck_assert_ptr_nonnull(realpath(tmpl, real));
	fx.root = g_strdup(real);
	fx.spool = g_build_filename(fx.root, "spool", NULL);
	ck_assert_int_eq(g_mkdir(fx.spool, 0755), 0);
	fx.store_dir = g_build_filename(fx.root, "store", NULL);
	memset(&faults, 0, sizeof(faults));
	faults_install();
	sg_quarantine_set_time(T0);
	fx.store = sg_store_open(fx.store_dir, TRUE, &error);
	ck_assert_msg(fx.store != NULL, "%s", error ? error->message : "");
}

static void
remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
		const char *name;

		chmod(path, 0700);
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
fixture_teardown(void)
{
	sg_quarantine_set_fs(NULL);
	sg_quarantine_set_time(0);
	g_clear_pointer(&fx.store, sg_store_free);
	remove_tree(fx.root);
	g_clear_pointer(&fx.root, g_free);
	g_clear_pointer(&fx.spool, g_free);
	g_clear_pointer(&fx.store_dir, g_free);
}

/* ---- helpers --------------------------------------------------------------
 */

static char *
spool_file(const char *name, const char *content, mode_t mode)
{
	g_autoptr(GError) error = NULL;
	char *path = g_build_filename(fx.spool, name, NULL);

	ck_assert(g_file_set_contents(path, content, -1, &error));
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

static char *
file_sha256(const char *path)
{
	g_autofree char *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, NULL))
		return NULL;
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data,
	    len);
}

/*
 * A message of @n files named @names in the spool, each opened (as a
 * reader would) when @open is set, with one quarantine finding.
 */
static SgMessage *
make_message(const char *const *names, guint n, gboolean open)
{
	SgMessage *msg = sg_message_new(NULL, "exim", names[0]);

	msg->queue_name = g_strdup("input");
	msg->queue_id = g_strdup("1tAbCd-000123-Xy");
	for (guint i = 0; i < n; i++) {
		g_autofree char *content = g_strdup_printf(
		    "From: a@example.org\r\nSubject: file %u of %s\r\n\r\n"
		    "body %u\r\n",
		    i, names[i], i);
		g_autofree char *path = spool_file(names[i], content, 0640);
		g_autoptr(GError) error = NULL;

		sg_message_add_file(msg, path, i == 0 ? "H" : "D");
		if (open)
			ck_assert(sg_message_open_file(msg, i, &error));
	}
	sg_message_add_finding(msg, SG_RULE_HEADER_NUL, SG_SEVERITY_QUARANTINE,
	    0, 30, NULL, "Subject", SG_VALUE_NONE, SG_VALUE_NONE,
	    "a NUL byte in the header block");
	return msg;
}

static const char *const one_name[] = { "msg.eml" };
static const char *const two_names[] = { "1tAbCd-000123-Xy-H",
	"1tAbCd-000123-Xy-D" };

/* Counts the regular files and symlinks below @dir. */
static guint
count_files(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;
	guint n = 0;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(dir, name, NULL);
		struct stat st;

		ck_assert_int_eq(lstat(p, &st), 0);
		n += S_ISDIR(st.st_mode) ? count_files(p) : 1;
	}
	return n;
}

static void
assert_store_empty(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = sg_store_list(fx.store, &error);

	ck_assert_ptr_nonnull(list);
	ck_assert_uint_eq(list->len, 0);
	ck_assert_uint_eq(count_files(fx.store_dir), 0);
}

static char *
entry_dir(const char *id)
{
	return g_build_filename(fx.store_dir, "2026", "11", "22", id, NULL);
}

static char *
stored_path(const char *id, const char *name)
{
	g_autofree char *e = entry_dir(id);

	return g_build_filename(e, "files", name, NULL);
}

static JsonObject *
read_report(JsonParser *parser, const char *id)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *e = entry_dir(id);
	g_autofree char *path = g_build_filename(e, "report.json", NULL);

	ck_assert_msg(json_parser_load_from_file(parser, path, &error), "%s",
	    error ? error->message : "");
	return json_node_get_object(json_parser_get_root(parser));
}

/* ---- put ------------------------------------------------------------------
 */

START_TEST(test_put_same_fs_links_keeps_inode_and_descriptor)
{
	g_autoptr(SgMessage) msg = make_message(one_name, 1, TRUE);
	SgMessageFile *f = sg_message_file(msg, 0);
	g_autofree char *before = file_sha256(f->path);
	g_autofree char *id = NULL;
	g_autofree char *stored = NULL;
	g_autofree char *entry = NULL;
	g_autoptr(GError) error = NULL;
	ino_t ino = f->st.st_ino;
	struct stat st;
	char byte;

	ck_assert_msg(sg_store_put(fx.store, msg, NULL, &id, &error), "%s",
	    error ? error->message : "");
	ck_assert_int_eq(strlen(id), 25);
	ck_assert(g_str_has_prefix(id, "20261122T031502Z-"));
	ck_assert(g_access(f->path, F_OK) != 0);
	stored = stored_path(id, "msg.eml");
	ck_assert_int_eq(lstat(stored, &st), 0);
	ck_assert_uint_eq(st.st_ino, ino);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_nlink, 1);
	{
		g_autofree char *after = file_sha256(stored);

		ck_assert_str_eq(after, before);
	}
	/* The reader's descriptor (and its lock) is still open. */
	ck_assert_int_ne(fcntl(f->fd, F_GETFD), -1);
	ck_assert_int_eq(pread(f->fd, &byte, 1, 0), 1);
	ck_assert_int_eq(byte, 'F');
	/* Permissions of the layout. */
	entry = entry_dir(id);
	ck_assert_int_eq(lstat(entry, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(lstat(fx.store_dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	{
		g_autofree char *json =
		    g_build_filename(entry, "report.json", NULL);
		g_autofree char *txt =
		    g_build_filename(entry, "report.txt", NULL);

		ck_assert_int_eq(lstat(json, &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, 0600);
		ck_assert_int_eq(lstat(txt, &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, 0600);
	}
	/* Only the entry: no temporary files left. */
	ck_assert_uint_eq(count_files(fx.store_dir), 3);
}
END_TEST

START_TEST(test_put_reports_sha256_and_origin_of_every_file)
{
	g_autoptr(SgMessage) msg = make_message(two_names, 2, TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *id = NULL;
	char *sums[2] = { NULL, NULL };
	g_autofree char *txt = NULL;
	g_autofree char *entry = NULL;
	g_autofree char *txt_path = NULL;
	JsonObject *o;
	JsonArray *files;

	for (guint i = 0; i < 2; i++)
		sums[i] = file_sha256(sg_message_file(msg, i)->path);
	ck_assert(sg_store_put(fx.store, msg, NULL, &id, &error));
	o = read_report(parser, id);
	ck_assert_str_eq(json_object_get_string_member(o, "verdict"),
	    "quarantine");
	ck_assert_str_eq(json_object_get_string_member(o, "action"),
	    "quarantined");
	ck_assert_str_eq(json_object_get_string_member(o, "store_id"), id);
	ck_assert_str_eq(json_object_get_string_member(
	                     json_object_get_object_member(o, "quarantine"),
	                     "id"),
	    id);
	files = json_object_get_array_member(o, "files");
	ck_assert_uint_eq(json_array_get_length(files), 2);
	for (guint i = 0; i < 2; i++) {
		JsonObject *f = json_array_get_object_element(files, i);
		g_autofree char *origin =
		    g_build_filename(fx.spool, two_names[i], NULL);

		ck_assert_str_eq(json_object_get_string_member(f, "name"),
		    two_names[i]);
		ck_assert_str_eq(json_object_get_string_member(f, "sha256"),
		    sums[i]);
		ck_assert_str_eq(json_object_get_string_member(f, "origin"),
		    origin);
		ck_assert_str_eq(json_object_get_string_member(f, "format"),
		    "exim");
		ck_assert_str_eq(json_object_get_string_member(f, "queue_id"),
		    "1tAbCd-000123-Xy");
		ck_assert_str_eq(json_object_get_string_member(f, "queue_name"),
		    "input");
		ck_assert_str_eq(json_object_get_string_member(f, "mode"),
		    "0640");
		ck_assert_int_eq(json_object_get_int_member(f, "uid"),
		    getuid());
		ck_assert(json_object_has_member(f, "gid"));
		ck_assert(json_object_get_int_member(f, "size") > 40);
		ck_assert_str_eq(json_object_get_string_member(f, "method"),
		    "link");
	}
	entry = entry_dir(id);
	txt_path = g_build_filename(entry, "report.txt", NULL);
	ck_assert(g_file_get_contents(txt_path, &txt, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(txt, sums[0]));
	ck_assert_ptr_nonnull(strstr(txt, sums[1]));
	ck_assert_ptr_nonnull(strstr(txt, fx.spool));
	ck_assert_ptr_nonnull(strstr(txt, "header.nul"));
	g_free(sums[0]);
	g_free(sums[1]);
}
END_TEST

START_TEST(test_put_across_file_systems_copies_verifies_and_removes)
{
	g_autoptr(SgMessage) msg = make_message(two_names, 2, TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *id = NULL;
	g_autofree char *before = file_sha256(sg_message_file(msg, 1)->path);
	g_autofree char *stored = NULL;
	g_autofree char *after = NULL;
	ino_t ino = sg_message_file(msg, 1)->st.st_ino;
	struct stat st;

	faults.link_errno = EXDEV;
	ck_assert_msg(sg_store_put(fx.store, msg, NULL, &id, &error), "%s",
	    error ? error->message : "");
	for (guint i = 0; i < 2; i++)
		ck_assert(g_access(sg_message_file(msg, i)->path, F_OK) != 0);
	stored = stored_path(id, two_names[1]);
	ck_assert_int_eq(lstat(stored, &st), 0);
	ck_assert_uint_ne(st.st_ino, ino);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	after = file_sha256(stored);
	ck_assert_str_eq(after, before);
	ck_assert_str_eq(json_object_get_string_member(
	                     json_array_get_object_element(
	                         json_object_get_array_member(
	                             read_report(parser, id), "files"),
	                         1),
	                     "method"),
	    "copy");
	/* Two files and two reports; no temporary copy left. */
	ck_assert_uint_eq(count_files(fx.store_dir), 4);
}
END_TEST

/* A failure before the commit: everything still in the spool, unchanged. */
static void
assert_spool_intact(SgMessage *msg, char **sums)
{
	for (guint i = 0; i < msg->files->len; i++) {
		g_autofree char *now =
		    file_sha256(sg_message_file(msg, i)->path);

		ck_assert_ptr_nonnull(now);
		ck_assert_str_eq(now, sums[i]);
	}
	assert_store_empty();
}

typedef struct {
	const char *name;
	Faults faults;
	const char *step; /* expected in the error message */
	const char *file; /* expected in the error message */
} FailureCase;

static const FailureCase failure_cases[] = {
	{ "enospc-during-copy", { .link_errno = EXDEV, .write_errno = ENOSPC },
	    "write", "1tAbCd-000123-Xy-H" },
	{ "eio-on-fsync", { .link_errno = EXDEV, .fsync_errno = EIO }, "fsync",
	    "1tAbCd-000123-Xy-H" },
	{ "copy-differs", { .link_errno = EXDEV, .write_corrupt = TRUE },
	    "sha256", "1tAbCd-000123-Xy-H" },
	{ "eio-on-second-link", { .link_errno = EIO, .link_match = "-Xy-D" },
	    "link", "1tAbCd-000123-Xy-D" },
	{ "enospc-on-second-copy",
	    { .link_errno = EXDEV,
	        .link_match = "-Xy-D",
	        .write_errno = ENOSPC },
	    "write", "1tAbCd-000123-Xy-D" },
	{ "eacces-unlinking-the-first",
	    { .unlink_errno = EACCES, .unlink_match = "spool/" }, "unlink",
	    "1tAbCd-000123-Xy-H" },
};

START_TEST(test_put_failure_before_commit_leaves_spool_untouched)
{
	const FailureCase *c = &failure_cases[_i];
	g_autoptr(SgMessage) msg = make_message(two_names, 2, TRUE);
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	char *sums[2];

	for (guint i = 0; i < 2; i++)
		sums[i] = file_sha256(sg_message_file(msg, i)->path);
	faults = c->faults;
	ck_assert(!sg_store_put(fx.store, msg, NULL, &id, &error));
	ck_assert_ptr_null(id);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error->message, c->step) != NULL,
	    "%s: '%s' lacks the step %s", c->name, error->message, c->step);
	if (c->file != NULL)
		ck_assert_msg(strstr(error->message, c->file) != NULL,
		    "%s: '%s' lacks the file %s", c->name, error->message,
		    c->file);
	memset(&faults, 0, sizeof(faults));
	assert_spool_intact(msg, sums);
	g_free(sums[0]);
	g_free(sums[1]);
}
END_TEST

START_TEST(test_put_unlink_failure_after_first_keeps_entry_whole)
{
	g_autoptr(SgMessage) msg = make_message(two_names, 2, TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *id = NULL;
	g_autofree char *sum_d = file_sha256(sg_message_file(msg, 1)->path);
	JsonArray *files;

	faults.unlink_errno = EACCES;
	faults.unlink_match = "spool/1tAbCd-000123-Xy-D";
	ck_assert(!sg_store_put(fx.store, msg, NULL, &id, &error));
	ck_assert_ptr_nonnull(id);
	ck_assert_ptr_nonnull(strstr(error->message, id));
	ck_assert_ptr_nonnull(strstr(error->message, "-Xy-D"));
	/* -H left the spool first; -D stays; the store has both, whole. */
	ck_assert(g_access(sg_message_file(msg, 0)->path, F_OK) != 0);
	ck_assert(g_access(sg_message_file(msg, 1)->path, F_OK) == 0);
	files = json_object_get_array_member(read_report(parser, id), "files");
	for (guint i = 0; i < 2; i++) {
		g_autofree char *p = stored_path(id, two_names[i]);
		g_autofree char *s = file_sha256(p);

		ck_assert_str_eq(s,
		    json_object_get_string_member(
		        json_array_get_object_element(files, i), "sha256"));
	}
	{
		g_autofree char *p = stored_path(id, two_names[1]);
		g_autofree char *s = file_sha256(p);

		ck_assert_str_eq(s, sum_d);
	}
}
END_TEST

START_TEST(test_put_link_not_permitted_falls_back_to_rename)
{
	g_autoptr(SgMessage) msg = make_message(one_name, 1, TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *id = NULL;
	g_autofree char *stored = NULL;
	ino_t ino = sg_message_file(msg, 0)->st.st_ino;
	struct stat st;

	faults.link_errno = EPERM;
	ck_assert(sg_store_put(fx.store, msg, NULL, &id, &error));
	ck_assert(g_access(sg_message_file(msg, 0)->path, F_OK) != 0);
	stored = stored_path(id, "msg.eml");
	ck_assert_int_eq(lstat(stored, &st), 0);
	ck_assert_uint_eq(st.st_ino, ino);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_str_eq(json_object_get_string_member(
	                     json_array_get_object_element(
	                         json_object_get_array_member(
	                             read_report(parser, id), "files"),
	                         0),
	                     "method"),
	    "rename");
}
END_TEST

START_TEST(test_put_vanished_file_is_counted_not_a_store_error)
{
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", "gone");
	g_autoptr(SgMessage) msg2 = make_message(one_name, 1, FALSE);
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(fx.spool, "gone.eml", NULL);
	g_autofree char *id = NULL;
	g_autofree char *sum = file_sha256(sg_message_file(msg2, 0)->path);
	char *sums[1] = { sum };

	sg_message_add_file(msg, path, "message");
	ck_assert(!sg_store_put(fx.store, msg, NULL, &id, &error));
	ck_assert_msg(g_error_matches(error, SG_CORE_ERROR,
	                  SG_CORE_ERROR_VANISHED),
	    "%s", error->message);
	assert_store_empty();
	/* Taken between the hash and the link. */
	g_clear_error(&error);
	faults.link_errno = ENOENT;
	ck_assert(!sg_store_put(fx.store, msg2, NULL, &id, &error));
	ck_assert(
	    g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED));
	memset(&faults, 0, sizeof(faults));
	assert_spool_intact(msg2, sums);
}
END_TEST

START_TEST(test_put_refuses_names_unfit_for_a_path)
{
	g_autoptr(SgMessage) dots = sg_message_new(NULL, "plain", "dots");
	g_autoptr(SgMessage) twice = sg_message_new(NULL, "plain", "twice");
	g_autoptr(GError) error = NULL;
	g_autofree char *dotdot = g_build_filename(fx.spool, "..", NULL);
	g_autofree char *a = spool_file("same", "From: a@b\n\nx\n", 0600);

	sg_message_add_file(dots, dotdot, "message");
	ck_assert(!sg_store_put(fx.store, dots, NULL, NULL, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_INVALID));
	g_clear_error(&error);
	sg_message_add_file(twice, a, "H");
	sg_message_add_file(twice, a, "D");
	ck_assert(!sg_store_put(fx.store, twice, NULL, NULL, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_INVALID));
	ck_assert(g_access(a, F_OK) == 0);
	assert_store_empty();
	ck_assert(!sg_store_valid_name(""));
	ck_assert(!sg_store_valid_name("."));
	ck_assert(!sg_store_valid_name("a/b"));
	ck_assert(sg_store_valid_name("..."));
	ck_assert(sg_store_valid_name(".hidden"));
}
END_TEST

/* ---- crashes ----------------------------------------------------------------
 */

/* The child "crashes" (_exit) at the crash_at-th change to the disk. */
static int crash_at = -1;
static int crash_done;

static void
crash_point(void)
{
	if (crash_at >= 0 && crash_done++ == crash_at)
		_exit(42);
}

static int
crash_link(const char *from, const char *to)
{
	crash_point();
	return fault_link(from, to);
}

static int
crash_rename(const char *from, const char *to)
{
	crash_point();
	return sg_fs_real()->rename(from, to);
}

static int
crash_unlink(const char *path)
{
	crash_point();
	return sg_fs_real()->unlink(path);
}

static ssize_t
crash_write(int fd, const void *buf, size_t len)
{
	crash_point();
	return sg_fs_real()->write(fd, buf, len);
}

static int
crash_fsync(int fd)
{
	crash_point();
	return sg_fs_real()->fsync(fd);
}

static int
crash_mkdir(const char *path, mode_t mode)
{
	crash_point();
	return sg_fs_real()->mkdir(path, mode);
}

/* Every "files" directory below @dir. */
static void
find_files_dirs(const char *dir, GPtrArray *out)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(dir, name, NULL);
		struct stat st;

		if (lstat(p, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (strcmp(name, "files") == 0)
			g_ptr_array_add(out, g_steal_pointer(&p));
		else
			find_files_dirs(p, out);
	}
}

/* TRUE when every file of the message is whole in the spool. */
static gboolean
spool_has_all(char **sums, guint n)
{
	for (guint i = 0; i < n; i++) {
		g_autofree char *p =
		    g_build_filename(fx.spool, two_names[i], NULL);
		g_autofree char *s = file_sha256(p);

		if (s == NULL || strcmp(s, sums[i]) != 0)
			return FALSE;
	}
	return TRUE;
}

/* TRUE when one store entry holds every file of the message, whole. */
static gboolean
store_has_all(char **sums, guint n)
{
	g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);

	find_files_dirs(fx.store_dir, dirs);
	for (guint d = 0; d < dirs->len; d++) {
		gboolean all = TRUE;

		for (guint i = 0; all && i < n; i++) {
			g_autofree char *p =
			    g_build_filename(g_ptr_array_index(dirs, d),
			        two_names[i], NULL);
			g_autofree char *s = file_sha256(p);

			all = s != NULL && strcmp(s, sums[i]) == 0;
		}
		if (all)
			return TRUE;
	}
	return FALSE;
}

static const struct {
	int link_errno;
	guint files;
} crash_cases[] = {
	{ 0, 2 }, { EXDEV, 2 }, { EPERM, 2 }, /* copied */
	{ EPERM, 1 },                         /* renamed */
};

/*
 * Crashes put() at every change it makes to the disk in turn, on the same
 * file system, across file systems and with links not permitted: after
 * each crash the message is whole in the spool or in one store entry.
 */
START_TEST(test_put_crash_at_any_step_leaves_message_whole_somewhere)
{
	SgFsOps ops = *sg_fs_real();
	int step;

	ops.link = crash_link;
	ops.rename = crash_rename;
	ops.unlink = crash_unlink;
	ops.write = crash_write;
	ops.fsync = crash_fsync;
	ops.mkdir = crash_mkdir;
	guint n = crash_cases[_i].files;

	faults.link_errno = crash_cases[_i].link_errno;
	for (step = 0; step < 1000; step++) {
		g_autoptr(SgMessage) msg = NULL;
		char *sums[2] = { NULL, NULL };
		int status = 0;
		pid_t pid;

		remove_tree(fx.store_dir);
		ck_assert_int_eq(g_mkdir(fx.store_dir, 0700), 0);
		msg = make_message(two_names, n, TRUE);
		for (guint i = 0; i < n; i++)
			sums[i] = file_sha256(sg_message_file(msg, i)->path);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			crash_at = step;
			crash_done = 0;
			sg_quarantine_set_fs(&ops);
			_exit(sg_store_put(fx.store, msg, NULL, NULL, NULL)
			        ? 0
			        : 1);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status));
		ck_assert_msg(spool_has_all(sums, n) || store_has_all(sums, n),
		    "crash at step %d (link errno %d): the message is whole "
		    "nowhere",
		    step, crash_cases[_i].link_errno);
		if (WEXITSTATUS(status) != 42) {
			/* put() ran to the end: it moved the message. */
			ck_assert_int_eq(WEXITSTATUS(status), 0);
			ck_assert(!spool_has_all(sums, n));
			ck_assert(store_has_all(sums, n));
		}
		g_free(sums[0]);
		g_free(sums[1]);
		if (WEXITSTATUS(status) != 42)
			break;
	}
	/* Enough steps to mean something, and it finished. */
	ck_assert_int_gt(step, 8);
	ck_assert_int_lt(step, 1000);
}
END_TEST

/* ---- list, find, show ------------------------------------------------------
 */

static char *
put_one(const char *name, gint64 when)
{
	const char *names[] = { name };
	g_autoptr(SgMessage) msg = make_message(names, 1, TRUE);
	g_autoptr(GError) error = NULL;
	char *id = NULL;

	sg_quarantine_set_time(when);
	ck_assert_msg(sg_store_put(fx.store, msg, NULL, &id, &error), "%s",
	    error ? error->message : "");
	sg_quarantine_set_time(T0);
	return id;
}

START_TEST(test_list_find_and_show_by_prefix)
{
	g_autofree char *b = put_one("b.eml", T0 + 60);
	g_autofree char *a = put_one("a.eml", T0);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = sg_store_list(fx.store, &error);
	g_autoptr(SgStoreEntry) found = NULL;
	g_autofree char *prefix = g_strndup(b, 16);
	g_autofree char *text = NULL;
	g_autofree char *json = NULL;
	g_autofree char *first = NULL;
	g_autofree char *origin = g_build_filename(fx.spool, "a.eml", NULL);
	g_autoptr(JsonParser) parser = json_parser_new();
	SgStoreEntry *e;

	ck_assert_uint_eq(list->len, 2);
	e = g_ptr_array_index(list, 0);
	ck_assert_str_eq(e->id, a);
	ck_assert_int_eq(e->time, T0);
	ck_assert_str_eq(e->origin, origin);
	ck_assert_str_eq(e->format, "exim");
	ck_assert_str_eq(e->verdict, "quarantine");
	ck_assert_str_eq(e->rules, "header.nul");
	ck_assert(e->bytes > 40);
	ck_assert_str_eq(((SgStoreEntry *)g_ptr_array_index(list, 1))->id, b);

	found = sg_store_find(fx.store, prefix, &error);
	ck_assert_ptr_nonnull(found);
	ck_assert_str_eq(found->id, b);
	g_clear_pointer(&found, sg_store_entry_free);
	found = sg_store_find(fx.store, "2026", &error);
	ck_assert_ptr_null(found);
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_NOT_FOUND));
	ck_assert_ptr_nonnull(strstr(error->message, "ambiguous"));
	g_clear_error(&error);
	ck_assert_ptr_null(sg_store_find(fx.store, "../../etc", &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_NOT_FOUND));
	g_clear_error(&error);
	ck_assert_ptr_null(sg_store_find(fx.store, "2025", &error));
	g_clear_error(&error);

	text = sg_store_show(fx.store, a, FALSE, &error);
	ck_assert_ptr_nonnull(text);
	first = g_strdup_printf("a.eml: quarantine (quarantined) -> %s\n", a);
	ck_assert(g_str_has_prefix(text, first));
	json = sg_store_show(fx.store, a, TRUE, &error);
	ck_assert(json_parser_load_from_data(parser, json, -1, NULL));
}
END_TEST

/* ---- release --------------------------------------------------------------
 */

START_TEST(test_release_puts_bytes_back_with_mode)
{
	g_autoptr(SgMessage) msg = make_message(two_names, 2, TRUE);
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	char *sums[2];
	struct stat st;
	ino_t ino = sg_message_file(msg, 0)->st.st_ino;

	for (guint i = 0; i < 2; i++)
		sums[i] = file_sha256(sg_message_file(msg, i)->path);
	ck_assert(sg_store_put(fx.store, msg, NULL, &id, &error));
	/* Also where the kernel has no openat2: the path walked by hand. */
	faults.no_openat2 = _i == 1;
	ck_assert_msg(sg_store_release(fx.store, id, NULL, &error), "%s",
	    error ? error->message : "");
	for (guint i = 0; i < 2; i++) {
		const char *path = sg_message_file(msg, i)->path;
		g_autofree char *now = file_sha256(path);

		ck_assert_ptr_nonnull(now);
		ck_assert_str_eq(now, sums[i]);
		ck_assert_int_eq(lstat(path, &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, 0640);
		ck_assert_uint_eq(st.st_nlink, 1);
		g_free(sums[i]);
	}
	/* Same inode as before the move: queue ids stay valid. */
	ck_assert_int_eq(lstat(sg_message_file(msg, 0)->path, &st), 0);
	ck_assert_uint_eq(st.st_ino, ino);
	assert_store_empty();
	/* No empty date directories are left behind. */
	{
		g_autoptr(GDir) d = g_dir_open(fx.store_dir, 0, NULL);

		ck_assert_ptr_null(g_dir_read_name(d));
	}
}
END_TEST

/* A Latin-1 file name (not UTF-8) comes back under its own bytes. */
START_TEST(test_release_restores_a_name_that_is_not_utf8)
{
	static const char *const latin1[] = { "caf\xe9.eml" };
	static const char *const ascii[] = { "cafe.eml" };
	g_autoptr(SgMessage) msg = make_message(_i ? ascii : latin1, 1, TRUE);
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autofree char *sum = NULL;
	g_autofree char *now = NULL;
	const char *path = sg_message_file(msg, 0)->path;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *o, *f;

	sum = file_sha256(path);
	ck_assert(sg_store_put(fx.store, msg, NULL, &id, &error));
	o = read_report(parser, id);
	f = json_array_get_object_element(json_object_get_array_member(o,
	                                      "files"),
	    0);
	/* Only a name that is not UTF-8 needs its bytes in hex. */
	ck_assert_int_eq(json_object_has_member(f, "origin_hex"), _i == 0);
	ck_assert_msg(sg_store_release(fx.store, id, NULL, &error), "%s",
	    error ? error->message : "");
	now = file_sha256(path);
	ck_assert_ptr_nonnull(now);
	ck_assert_str_eq(now, sum);
	assert_store_empty();
}
END_TEST

START_TEST(test_release_refuses_to_overwrite)
{
	g_autofree char *id = put_one("msg.eml", T0);
	g_autofree char *origin = g_build_filename(fx.spool, "msg.eml", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	g_autofree char *data = NULL;

	ck_assert(g_file_set_contents(origin, "in the way\n", -1, NULL));
	ck_assert(!sg_store_release(fx.store, id, NULL, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_EXISTS));
	ck_assert(g_file_get_contents(origin, &data, NULL, NULL));
	ck_assert_str_eq(data, "in the way\n");
	list = sg_store_list(fx.store, NULL);
	ck_assert_uint_eq(list->len, 1);
	/* The stored file keeps its store mode after the refusal. */
	{
		g_autofree char *stored = stored_path(id, "msg.eml");
		struct stat st;

		ck_assert_int_eq(lstat(stored, &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, 0600);
	}
}
END_TEST

/* A release cut short after linking -D back finishes on the next try. */
START_TEST(test_release_completes_an_interrupted_release)
{
	g_autoptr(SgMessage) msg = make_message(two_names, 2, TRUE);
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autofree char *stored_d = NULL;
	const char *origin_d = sg_message_file(msg, 1)->path;

	ck_assert(sg_store_put(fx.store, msg, NULL, &id, &error));
	stored_d = stored_path(id, two_names[1]);
	ck_assert_int_eq(link(stored_d, origin_d), 0);
	ck_assert_msg(sg_store_release(fx.store, id, NULL, &error), "%s",
	    error ? error->message : "");
	for (guint i = 0; i < 2; i++) {
		struct stat st;

		ck_assert_int_eq(lstat(sg_message_file(msg, i)->path, &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, 0640);
		ck_assert_uint_eq(st.st_nlink, 1);
	}
	assert_store_empty();
}
END_TEST

START_TEST(test_release_to_dir_across_file_systems)
{
	g_autofree char *id = put_one("msg.eml", T0);
	g_autofree char *to = g_build_filename(fx.root, "elsewhere", NULL);
	g_autofree char *dest = g_build_filename(to, "msg.eml", NULL);
	g_autofree char *data = NULL;
	g_autoptr(GError) error = NULL;
	struct stat st;

	ck_assert_int_eq(g_mkdir(to, 0755), 0);
	/* Only links out of the store cross a file system. */
	faults.link_errno = EXDEV;
	faults.link_match = "/store/";
	ck_assert_msg(sg_store_release(fx.store, id, to, &error), "%s",
	    error ? error->message : "");
	ck_assert(g_file_get_contents(dest, &data, NULL, NULL));
	ck_assert(g_str_has_prefix(data, "From: a@example.org\r\n"));
	ck_assert_int_eq(lstat(dest, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_uint_eq(count_files(to), 1); /* no temporary left */
	ck_assert(g_access(fx.spool, F_OK) == 0);
	assert_store_empty();
}
END_TEST

/*
 * Between quarantine and release, the origin's directory (or its parent)
 * is renamed away and a symbolic link to another tree put in its place,
 * as anyone who may rename in the spool's parent can do: release refuses,
 * writes nothing in either tree, keeps the entry, and works again once
 * the real directory is back.  With openat2 and with the walk by hand.
 */
static const struct {
	const char *swap; /* below the fixture root */
	gboolean no_openat2;
} swap_cases[] = {
	{ "spool/q", FALSE },
	{ "spool", FALSE },
	{ "spool/q", TRUE },
	{ "spool", TRUE },
};

START_TEST(test_release_refuses_a_parent_swapped_for_a_symlink)
{
	static const char *const names[] = { "q/msg.eml" };
	g_autofree char *q = g_build_filename(fx.spool, "q", NULL);
	g_autofree char *swap =
	    g_build_filename(fx.root, swap_cases[_i].swap, NULL);
	g_autofree char *real = g_strconcat(swap, ".real", NULL);
	g_autofree char *evil = g_build_filename(fx.root, "evil", NULL);
	g_autofree char *evil_q = g_build_filename(evil, "q", NULL);
	g_autoptr(SgMessage) msg = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	g_autofree char *id = NULL;
	g_autofree char *sum = NULL;
	g_autofree char *now = NULL;
	g_autofree char *stored = NULL;
	const char *origin;
	struct stat st;

	ck_assert_int_eq(g_mkdir(q, 0755), 0);
	msg = make_message(names, 1, TRUE);
	origin = sg_message_file(msg, 0)->path;
	sum = file_sha256(origin);
	ck_assert(sg_store_put(fx.store, msg, NULL, &id, &error));
	stored = stored_path(id, "msg.eml");

	/* The swap: the real directory aside, a link to evil/ in its place
	 * (evil/q, so the origin's path resolves through either link). */
	ck_assert_int_eq(g_mkdir(evil, 0755), 0);
	ck_assert_int_eq(g_mkdir(evil_q, 0755), 0);
	ck_assert_int_eq(rename(swap, real), 0);
	ck_assert_int_eq(symlink(strcmp(swap_cases[_i].swap, "spool") == 0
	                         ? evil
	                         : evil_q,
	                     swap),
	    0);
	faults.no_openat2 = swap_cases[_i].no_openat2;
	ck_assert(!sg_store_release(fx.store, id, NULL, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_INVALID));
	ck_assert_msg(strstr(error->message, "symbolic link") != NULL, "%s",
	    error->message);
	ck_assert_msg(strstr(error->message, swap) != NULL, "%s",
	    error->message);
	g_clear_error(&error);
	/* Nothing written through the link, nothing beside the real one. */
	ck_assert_uint_eq(count_files(evil), 0);
	ck_assert_uint_eq(count_files(real), 0);
	/* The entry stays, its file with the store's mode. */
	list = sg_store_list(fx.store, NULL);
	ck_assert_uint_eq(list->len, 1);
	ck_assert_int_eq(lstat(stored, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);

	/* The real directory back: release puts the message there. */
	ck_assert_int_eq(unlink(swap), 0);
	ck_assert_int_eq(rename(real, swap), 0);
	ck_assert_msg(sg_store_release(fx.store, id, NULL, &error), "%s",
	    error ? error->message : "");
	now = file_sha256(origin);
	ck_assert_ptr_nonnull(now);
	ck_assert_str_eq(now, sum);
	ck_assert_uint_eq(count_files(evil), 0);
}
END_TEST

/* --to DIR is resolved the same way: a link anywhere in it is refused. */
START_TEST(test_release_to_dir_through_a_symlink_is_refused)
{
	g_autofree char *id = put_one("msg.eml", T0);
	g_autofree char *elsewhere =
	    g_build_filename(fx.root, "elsewhere", NULL);
	g_autofree char *inner = g_build_filename(elsewhere, "in", NULL);
	g_autofree char *link = g_build_filename(fx.root, "link", NULL);
	g_autofree char *to = g_build_filename(link, "in", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;

	ck_assert_int_eq(g_mkdir(elsewhere, 0755), 0);
	ck_assert_int_eq(g_mkdir(inner, 0755), 0);
	ck_assert_int_eq(symlink(elsewhere, link), 0);
	faults.no_openat2 = _i == 1;
	ck_assert(!sg_store_release(fx.store, id, to, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_INVALID));
	ck_assert_uint_eq(count_files(elsewhere), 0);
	list = sg_store_list(fx.store, NULL);
	ck_assert_uint_eq(list->len, 1);
	/* The same directory named without the link is fine. */
	g_clear_error(&error);
	ck_assert_msg(sg_store_release(fx.store, id, inner, &error), "%s",
	    error ? error->message : "");
	ck_assert_uint_eq(count_files(elsewhere), 1);
}
END_TEST

START_TEST(test_release_refuses_tampered_bytes)
{
	g_autofree char *id = put_one("msg.eml", T0);
	g_autofree char *stored = stored_path(id, "msg.eml");
	g_autofree char *origin = g_build_filename(fx.spool, "msg.eml", NULL);
	g_autoptr(GError) error = NULL;

	ck_assert(g_file_set_contents(stored, "changed\n", -1, NULL));
	ck_assert(!sg_store_release(fx.store, id, NULL, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_CORRUPT));
	ck_assert(g_access(origin, F_OK) != 0);
}
END_TEST

/* ---- purge -----------------------------------------------------------------
 */

START_TEST(test_purge_by_age)
{
	g_autofree char *old = put_one("old.eml", T0 - 10 * DAY);
	g_autofree char *young = put_one("young.eml", T0 - DAY);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	guint count = 99;

	ck_assert(sg_store_purge(fx.store, 5 * DAY, &count, &error));
	ck_assert_uint_eq(count, 1);
	list = sg_store_list(fx.store, &error);
	ck_assert_uint_eq(list->len, 1);
	ck_assert_str_eq(((SgStoreEntry *)g_ptr_array_index(list, 0))->id,
	    young);
	ck_assert(sg_store_purge(fx.store, 2 * DAY, &count, &error));
	ck_assert_uint_eq(count, 0);
	ck_assert(sg_store_purge(fx.store, 0, &count, &error));
	ck_assert_uint_eq(count, 1);
	assert_store_empty();
	/* The emptied date directories went too. */
	{
		g_autoptr(GDir) d = g_dir_open(fx.store_dir, 0, NULL);

		ck_assert_ptr_null(g_dir_read_name(d));
	}
	ck_assert(!sg_store_purge(fx.store, -1, &count, &error));
	(void)old;
}
END_TEST

/* ---- the store directory ----------------------------------------------------
 */

START_TEST(test_store_dir_symlink_is_refused)
{
	g_autofree char *link = g_build_filename(fx.root, "link", NULL);
	g_autoptr(GError) error = NULL;
	SgStore *s;

	ck_assert_int_eq(symlink(fx.store_dir, link), 0);
	s = sg_store_open(link, TRUE, &error);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(error->message, "symbolic link"));
	g_clear_error(&error);
	s = sg_store_open(link, FALSE, &error);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_store_open_creates_0700_or_reports_missing)
{
	g_autofree char *dir =
	    g_build_filename(fx.root, "new", "deeper", "q", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(SgStore) s = NULL;
	struct stat st;

	ck_assert_ptr_null(sg_store_open(dir, FALSE, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_NOT_FOUND));
	s = sg_store_open(dir, TRUE, NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(sg_store_dir(s), dir);
	ck_assert_int_eq(lstat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
}
END_TEST

START_TEST(test_store_open_follows_symlinked_parents_only)
{
	g_autofree char *real = g_build_filename(fx.root, "real", NULL);
	g_autofree char *alias = g_build_filename(fx.root, "alias", NULL);
	g_autofree char *dir = g_build_filename(alias, "sub", "q", NULL);
	g_autofree char *want = g_build_filename(real, "sub", "q", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(SgStore) s = NULL;

	ck_assert_int_eq(g_mkdir(real, 0755), 0);
	ck_assert_int_eq(symlink(real, alias), 0);
	s = sg_store_open(dir, TRUE, &error);
	ck_assert_msg(s != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq(sg_store_dir(s), want);
}
END_TEST

static const struct {
	const char *store; /* relative to the fixture root */
	const char *scan;  /* made unless it is "missing" */
	gboolean inside;
} inside_cases[] = {
	{ "spool/quarantine", "spool", TRUE }, { "spool", "spool", TRUE },
	{ "spool/a/b/q", "spool/a", TRUE },
	{ "q", "q/sub", TRUE },         /* scanning the store itself */
	{ "spool/q", "linked", TRUE },  /* through a symlink to spool */
	{ "spool2/q", "spool", FALSE }, /* a name prefix is not a parent */
	{ "q", "spool", FALSE },
	{ "spool/q", "missing", FALSE }, /* nothing there: the walker's */
};

START_TEST(test_store_inside_scanned_path_is_detected)
{
	g_autofree char *store_dir =
	    g_build_filename(fx.root, inside_cases[_i].store, NULL);
	g_autofree char *scan =
	    g_build_filename(fx.root, inside_cases[_i].scan, NULL);
	g_autofree char *link = g_build_filename(fx.root, "linked", NULL);
	g_autoptr(SgStore) s = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;

	ck_assert_int_eq(symlink(fx.spool, link), 0);
	s = sg_store_open(store_dir, TRUE, &error);
	ck_assert_ptr_nonnull(s);
	if (strcmp(inside_cases[_i].scan, "missing") != 0)
		ck_assert_int_eq(g_mkdir_with_parents(scan, 0700), 0);
	ok = sg_store_check_outside(s, scan, &error);
	ck_assert_int_eq(!ok, inside_cases[_i].inside);
	if (!ok) {
		ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INSIDE));
		ck_assert_ptr_nonnull(strstr(error->message, "inside"));
	}
}
END_TEST

static Suite *
quarantine_suite(void)
{
	Suite *s = suite_create("quarantine");
	TCase *put = tcase_create("put");
	TCase *read = tcase_create("list-find-show");
	TCase *release = tcase_create("release-purge");
	TCase *dir = tcase_create("store-dir");

	tcase_add_checked_fixture(put, fixture_setup, fixture_teardown);
	tcase_add_test(put, test_put_same_fs_links_keeps_inode_and_descriptor);
	tcase_add_test(put, test_put_reports_sha256_and_origin_of_every_file);
	tcase_add_test(put,
	    test_put_across_file_systems_copies_verifies_and_removes);
	tcase_add_loop_test(put,
	    test_put_failure_before_commit_leaves_spool_untouched, 0,
	    G_N_ELEMENTS(failure_cases));
	tcase_add_test(put,
	    test_put_unlink_failure_after_first_keeps_entry_whole);
	tcase_add_test(put, test_put_link_not_permitted_falls_back_to_rename);
	tcase_add_test(put,
	    test_put_vanished_file_is_counted_not_a_store_error);
	tcase_add_test(put, test_put_refuses_names_unfit_for_a_path);
	tcase_add_loop_test(put,
	    test_put_crash_at_any_step_leaves_message_whole_somewhere, 0,
	    G_N_ELEMENTS(crash_cases));
	suite_add_tcase(s, put);

	tcase_add_checked_fixture(read, fixture_setup, fixture_teardown);
	tcase_add_test(read, test_list_find_and_show_by_prefix);
	suite_add_tcase(s, read);

	tcase_add_checked_fixture(release, fixture_setup, fixture_teardown);
	tcase_add_loop_test(release, test_release_puts_bytes_back_with_mode, 0,
	    2);
	tcase_add_loop_test(release,
	    test_release_restores_a_name_that_is_not_utf8, 0, 2);
	tcase_add_test(release, test_release_refuses_to_overwrite);
	tcase_add_test(release, test_release_completes_an_interrupted_release);
	tcase_add_test(release, test_release_to_dir_across_file_systems);
	tcase_add_test(release, test_release_refuses_tampered_bytes);
	tcase_add_loop_test(release,
	    test_release_refuses_a_parent_swapped_for_a_symlink, 0,
	    G_N_ELEMENTS(swap_cases));
	tcase_add_loop_test(release,
	    test_release_to_dir_through_a_symlink_is_refused, 0, 2);
	tcase_add_test(release, test_purge_by_age);
	suite_add_tcase(s, release);

	tcase_add_checked_fixture(dir, fixture_setup, fixture_teardown);
	tcase_add_test(dir, test_store_dir_symlink_is_refused);
	tcase_add_test(dir, test_store_open_creates_0700_or_reports_missing);
	tcase_add_test(dir, test_store_open_follows_symlinked_parents_only);
	tcase_add_loop_test(dir, test_store_inside_scanned_path_is_detected, 0,
	    G_N_ELEMENTS(inside_cases));
	suite_add_tcase(s, dir);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(quarantine_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
