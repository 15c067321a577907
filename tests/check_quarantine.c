// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_quarantine.c - the quarantine store: moves keep bytes and inodes,
 * failures injected through the file-system seam (EXDEV, ENOSPC, EIO,
 * EACCES, EPERM, ENOENT) leave every message in the spool or whole in the
 * store, only the judged inode leaves the spool (files changed since they
 * were judged, held open, or replaced at their name by a racing writer
 * stay), a SIGKILL at any step is recovered into exactly one place, reports
 * carry sha256 and origin, and list, find, show, release, purge and
 * recovery do what quarantine.h says.
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

#include "spoolguard/check.h"
#include "spoolguard/quarantine.h"
#include "spoolguard/spool.h"

#include "check-run.h"

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
	const char *fd_match;     /* write/fsync faults: the file's path */
	int unlink_errno;         /* unlink() fails with it ... */
	const char *unlink_match; /* ... when the path contains this */
	int move_errno;           /* rename_noreplace() fails with it ... */
	const char *move_match;   /* ... when the source contains this */
	int rename_errno;         /* rename() fails with it ... */
	const char *rename_match; /* ... when the target contains this */
	gboolean xdev;            /* the store is on another file system ... */
	const char *xdev_match;   /* ... for the sources containing this */
	int lease_errno;          /* F_SETLEASE F_WRLCK fails with it */
	/* A writer racing the move, just before (after) a name moves. */
	void (*before_move)(const char *from, const char *to);
	void (*after_move)(const char *from, const char *to);
	gboolean no_openat2; /* openat2() fails with ENOSYS */
} Faults;

static Faults faults;

typedef struct {
	char *root;  /* temporary directory */
	char *spool; /* root/spool */
	char *store_dir;
	SgStore *store;
} Fixture;

static Fixture fx;

static gboolean
fault_matches(const char *path, const char *match)
{
	return match == NULL || strstr(path, match) != NULL;
}

/* The path a descriptor was opened with (for fd_match). */
static gboolean
fault_fd_matches(int fd)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (faults.fd_match == NULL)
		return TRUE;
	g_snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return FALSE;
	path[n] = '\0';
	return strstr(path, faults.fd_match) != NULL;
}

/* A move from outside the store into it, with the store "elsewhere". */
static gboolean
fault_crosses(const char *from, const char *to)
{
	return faults.xdev && fx.store_dir != NULL &&
	    g_str_has_prefix(to, fx.store_dir) &&
	    !g_str_has_prefix(from, fx.store_dir) &&
	    fault_matches(from, faults.xdev_match);
}

/* -1 with errno when @err is injected for @path or the move crosses. */
static int
fault_move(int err, const char *path, const char *match, const char *from,
    const char *to)
{
	if (err != 0 && fault_matches(path, match)) {
		errno = err;
		return -1;
	}
	if (fault_crosses(from, to)) {
		errno = EXDEV;
		return -1;
	}
	return 0;
}

static int
fault_link(const char *from, const char *to)
{
	if (fault_move(faults.link_errno, from, faults.link_match, from, to))
		return -1;
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
	if (faults.write_errno != 0 && fault_fd_matches(fd)) {
		errno = faults.write_errno;
		return -1;
	}
	if (faults.write_corrupt && len > 0 && fault_fd_matches(fd)) {
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
	    S_ISREG(st.st_mode) && fault_fd_matches(fd)) {
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

static int
fault_rename(const char *from, const char *to)
{
	if (fault_move(faults.rename_errno, to, faults.rename_match, from, to))
		return -1;
	return sg_fs_real()->rename(from, to);
}

static int
fault_rename_noreplace(const char *from, const char *to)
{
	int r;

	if (fault_move(faults.move_errno, from, faults.move_match, from, to))
		return -1;
	if (faults.before_move != NULL)
		faults.before_move(from, to);
	r = sg_fs_real()->rename_noreplace(from, to);
	if (r == 0 && faults.after_move != NULL)
		faults.after_move(from, to);
	return r;
}

static int
fault_setlease(int fd, int type)
{
	if (type == F_WRLCK && faults.lease_errno != 0) {
		errno = faults.lease_errno;
		return -1;
	}
	return sg_fs_real()->setlease(fd, type);
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
	fault_ops.rename = fault_rename;
	fault_ops.rename_noreplace = fault_rename_noreplace;
	fault_ops.setlease = fault_setlease;
	sg_quarantine_set_fs(&fault_ops);
}

/* ---- fixture ------------------------------------------------------------ */

static void
fixture_setup_in(const char *base)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *tmpl = g_build_filename(base, "sg-quar-XXXXXX", NULL);
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
fixture_setup(void)
{
	fixture_setup_in(g_get_tmp_dir());
}

/*
 * The kill tests on a tmpfs where there is one: a kill is no power loss,
 * and a few hundred puts cost a second there, not a minute.
 */
static void
fixture_setup_shm(void)
{
	fixture_setup_in(
	    g_access("/dev/shm", W_OK) == 0 ? "/dev/shm" : g_get_tmp_dir());
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

START_TEST(test_put_same_fs_renames_the_judged_inode)
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
	/* Only the entry: no journal, no temporary files left. */
	ck_assert_uint_eq(count_files(fx.store_dir), 3);
	ck_assert_uint_eq(count_files(fx.spool), 0);
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
		    "rename");
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

	faults.xdev = TRUE;
	ck_assert_msg(sg_store_put(fx.store, msg, NULL, &id, &error), "%s",
	    error ? error->message : "");
	for (guint i = 0; i < 2; i++)
		ck_assert(g_access(sg_message_file(msg, i)->path, F_OK) != 0);
	/* The originals, set aside beside themselves, are gone too. */
	ck_assert_uint_eq(count_files(fx.spool), 0);
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
	/* Nothing set aside, nothing displaced. */
	ck_assert_uint_eq(count_files(fx.spool), msg->files->len);
	assert_store_empty();
}

typedef struct {
	const char *name;
	Faults faults;
	const char *step; /* expected in the error message */
	const char *file; /* expected in the error message */
} FailureCase;

static const FailureCase failure_cases[] = {
	{ "enospc-during-copy",
	    { .xdev = TRUE, .write_errno = ENOSPC, .fd_match = ".tmp-0" },
	    "write", "1tAbCd-000123-Xy-H" },
	{ "eio-on-fsync-of-copy",
	    { .xdev = TRUE, .fsync_errno = EIO, .fd_match = ".tmp-0" }, "fsync",
	    "1tAbCd-000123-Xy-H" },
	{ "copy-differs",
	    { .xdev = TRUE, .write_corrupt = TRUE, .fd_match = ".tmp-0" },
	    "sha256", "1tAbCd-000123-Xy-H" },
	{ "eio-moving-the-second",
	    { .move_errno = EIO, .move_match = "spool/1tAbCd-000123-Xy-D" },
	    "move aside", "1tAbCd-000123-Xy-D" },
	{ "enospc-on-second-copy",
	    { .xdev = TRUE, .write_errno = ENOSPC, .fd_match = ".tmp-1" },
	    "write", "1tAbCd-000123-Xy-D" },
	{ "eacces-moving-the-first",
	    { .move_errno = EACCES, .move_match = "spool/1tAbCd-000123-Xy-H" },
	    "move aside", "1tAbCd-000123-Xy-H" },
	{ "eacces-moving-the-first-copied",
	    { .xdev = TRUE,
	        .move_errno = EACCES,
	        .move_match = "spool/1tAbCd-000123-Xy-H" },
	    "move aside", "1tAbCd-000123-Xy-H" },
	{ "enospc-on-the-journal",
	    { .write_errno = ENOSPC, .fd_match = "intent.json" }, "intent.json",
	    NULL },
	{ "enospc-on-the-report",
	    { .write_errno = ENOSPC, .fd_match = "report.txt" }, "report.txt",
	    NULL },
	{ "eio-on-the-commit",
	    { .rename_errno = EIO, .rename_match = "committed.json" }, "commit",
	    NULL },
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

/*
 * The commit is made but an original set aside (a copy across file
 * systems) cannot be unlinked: put() says so and names the entry, and
 * recovery finishes the cleanup.
 */
START_TEST(test_put_cleanup_failure_after_commit_is_finished_by_recovery)
{
	g_autoptr(SgMessage) msg = make_message(two_names, 2, TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *id = NULL;
	g_autofree char *entry = NULL;
	g_autofree char *committed = NULL;
	char *sums[2];
	SgStoreRecovery rec;
	JsonArray *files;

	for (guint i = 0; i < 2; i++)
		sums[i] = file_sha256(sg_message_file(msg, i)->path);
	faults.xdev = TRUE;
	faults.unlink_errno = EACCES;
	faults.unlink_match = "spool/.spoolguard-";
	ck_assert(!sg_store_put(fx.store, msg, NULL, &id, &error));
	ck_assert_ptr_nonnull(id);
	ck_assert_ptr_nonnull(strstr(error->message, id));
	ck_assert_ptr_nonnull(strstr(error->message, "fsck"));
	/* Gone from the spool's names, whole in the store. */
	for (guint i = 0; i < 2; i++)
		ck_assert(g_access(sg_message_file(msg, i)->path, F_OK) != 0);
	files = json_object_get_array_member(read_report(parser, id), "files");
	for (guint i = 0; i < 2; i++) {
		g_autofree char *p = stored_path(id, two_names[i]);
		g_autofree char *sum = file_sha256(p);

		ck_assert_str_eq(sum, sums[i]);
		ck_assert_str_eq(sum,
		    json_object_get_string_member(
		        json_array_get_object_element(files, i), "sha256"));
	}
	ck_assert_uint_eq(count_files(fx.spool), 2); /* the two set aside */
	entry = entry_dir(id);
	committed = g_build_filename(entry, "committed.json", NULL);
	ck_assert(g_access(committed, F_OK) == 0);
	memset(&faults, 0, sizeof(faults));
	ck_assert(sg_store_recover(fx.store, FALSE, &rec, &error));
	ck_assert_uint_eq(rec.finished, 1);
	ck_assert_uint_eq(rec.failed + rec.left + rec.busy, 0);
	sg_store_recovery_clear(&rec);
	ck_assert_uint_eq(count_files(fx.spool), 0);
	ck_assert(g_access(committed, F_OK) != 0);
	g_free(sums[0]);
	g_free(sums[1]);
}
END_TEST

/*
 * Where no lease can be had (not our file, no CAP_LEASE, a file system
 * without leases) nobody can say that no writer holds the file open: the
 * store keeps a verified copy, never the inode.
 */
START_TEST(test_put_without_a_lease_stores_a_copy)
{
	g_autoptr(SgMessage) msg = make_message(one_name, 1, TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *id = NULL;
	g_autofree char *stored = NULL;
	g_autofree char *before = file_sha256(sg_message_file(msg, 0)->path);
	g_autofree char *after = NULL;
	ino_t ino = sg_message_file(msg, 0)->st.st_ino;
	struct stat st;

	faults.lease_errno = EACCES;
	ck_assert_msg(sg_store_put(fx.store, msg, NULL, &id, &error), "%s",
	    error ? error->message : "");
	ck_assert(g_access(sg_message_file(msg, 0)->path, F_OK) != 0);
	ck_assert_uint_eq(count_files(fx.spool), 0);
	stored = stored_path(id, "msg.eml");
	ck_assert_int_eq(lstat(stored, &st), 0);
	ck_assert_uint_ne(st.st_ino, ino);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	after = file_sha256(stored);
	ck_assert_str_eq(after, before);
	ck_assert_str_eq(json_object_get_string_member(
	                     json_array_get_object_element(
	                         json_object_get_array_member(
	                             read_report(parser, id), "files"),
	                         0),
	                     "method"),
	    "copy");
}
END_TEST

/* A file with another name elsewhere: the store must not share it. */
START_TEST(test_put_hard_linked_file_stores_a_copy)
{
	g_autoptr(SgMessage) msg = make_message(one_name, 1, FALSE);
	g_autoptr(GError) error = NULL;
	g_autofree char *other = g_build_filename(fx.root, "other.eml", NULL);
	g_autofree char *id = NULL;
	g_autofree char *stored = NULL;
	g_autofree char *sum = NULL;
	struct stat st, ost;

	ck_assert_int_eq(link(sg_message_file(msg, 0)->path, other), 0);
	ck_assert(sg_message_open_file(msg, 0, &error));
	ck_assert_msg(sg_store_put(fx.store, msg, NULL, &id, &error), "%s",
	    error ? error->message : "");
	ck_assert(g_access(sg_message_file(msg, 0)->path, F_OK) != 0);
	stored = stored_path(id, "msg.eml");
	ck_assert_int_eq(lstat(stored, &st), 0);
	ck_assert_int_eq(lstat(other, &ost), 0);
	ck_assert_uint_ne(st.st_ino, ost.st_ino);
	ck_assert_uint_eq(st.st_nlink, 1);
	ck_assert_uint_eq(ost.st_nlink, 1);
	/* Writing through the other name leaves the stored bytes alone. */
	sum = file_sha256(stored);
	ck_assert(g_file_set_contents(other, "rewritten\n", -1, NULL));
	{
		g_autofree char *now = file_sha256(stored);

		ck_assert_str_eq(now, sum);
	}
}
END_TEST

/* Another process has the file open (a writer may still write): busy. */
START_TEST(test_put_file_open_elsewhere_is_busy)
{
	g_autoptr(SgMessage) msg = make_message(one_name, 1, TRUE);
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autofree char *sum = file_sha256(sg_message_file(msg, 0)->path);
	char *sums[1] = { sum };
	int pipefd[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(sg_message_file(msg, 0)->path, O_WRONLY);

		(void)!write(pipefd[1], fd >= 0 ? "y" : "n", 1);
		for (;;)
			pause(); /* until the test kills it */
	}
	close(pipefd[1]);
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	ck_assert_int_eq(c, 'y');
	ck_assert(!sg_store_put(fx.store, msg, NULL, &id, &error));
	ck_assert_msg(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY),
	    "%s", error->message);
	ck_assert_ptr_nonnull(strstr(error->message, "open"));
	ck_assert_ptr_null(id);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pipefd[0]);
	assert_spool_intact(msg, sums);
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
	/* Taken between the re-check and the move. */
	g_clear_error(&error);
	faults.move_errno = ENOENT;
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

/*
 * A rename that crosses mounts after all (bind mounts share a device
 * number) for the second file only: the first goes back (its ctime is now
 * ours) and the second try copies both.
 */
START_TEST(test_put_rename_crossing_mounts_retries_as_copies)
{
	g_autoptr(SgMessage) msg = make_message(two_names, 2, TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *id = NULL;
	JsonArray *files;
	char *sums[2];

	for (guint i = 0; i < 2; i++)
		sums[i] = file_sha256(sg_message_file(msg, i)->path);
	faults.xdev = TRUE;
	faults.xdev_match = "-Xy-D";
	ck_assert_msg(sg_store_put(fx.store, msg, NULL, &id, &error), "%s",
	    error ? error->message : "");
	ck_assert_uint_eq(count_files(fx.spool), 0);
	files = json_object_get_array_member(read_report(parser, id), "files");
	for (guint i = 0; i < 2; i++) {
		g_autofree char *p = stored_path(id, two_names[i]);
		g_autofree char *sum = file_sha256(p);
		JsonObject *f = json_array_get_object_element(files, i);

		ck_assert_str_eq(sum, sums[i]);
		ck_assert_str_eq(json_object_get_string_member(f, "method"),
		    "copy");
		g_free(sums[i]);
	}
	ck_assert_uint_eq(count_files(fx.store_dir), 4);
}
END_TEST

/* ---- re-checks before the move ------------------------------------------
 */

typedef enum {
	CHANGE_APPEND,
	CHANGE_MTIME,
	CHANGE_CTIME,
	CHANGE_READY_SET,
	CHANGE_READY_CLEARED,
	CHANGE_LINK,
	CHANGE_REPLACE,
} ChangeKind;

static const struct {
	const char *name;
	ChangeKind kind;
	mode_t mode; /* of the file when judged */
	const char *why;
} change_cases[] = {
	{ "appended", CHANGE_APPEND, 0640, "size" },
	{ "mtime", CHANGE_MTIME, 0640, "mtime" },
	{ "ctime", CHANGE_CTIME, 0640, "ctime" },
	{ "ready-bit-set", CHANGE_READY_SET, 0600, "owner-execute" },
	{ "ready-bit-cleared", CHANGE_READY_CLEARED, 0700, "owner-execute" },
	{ "second-link", CHANGE_LINK, 0640, "link count" },
	{ "replaced", CHANGE_REPLACE, 0640, "replaced" },
};

/*
 * Issue 10: a file that changed between its verdict and the move is left
 * as it now is, counted busy, with the reason.
 */
START_TEST(test_put_file_changed_since_judged_stays)
{
	const char *names[] = { "judged.eml" };
	g_autoptr(SgMessage) msg = make_message(names, 1, FALSE);
	const char *path = sg_message_file(msg, 0)->path;
	g_autofree char *other = g_build_filename(fx.root, "link.eml", NULL);
	g_autofree char *tmp = g_build_filename(fx.spool, ".new", NULL);
	g_autofree char *after = NULL;
	g_autofree char *now = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000000, 0 } };
	int fd;

	ck_assert_int_eq(chmod(path, change_cases[_i].mode), 0);
	ck_assert(sg_message_open_file(msg, 0, &error));
	switch (change_cases[_i].kind) {
	case CHANGE_APPEND:
		fd = open(path, O_WRONLY | O_APPEND);
		ck_assert_int_eq(write(fd, "more\r\n", 6), 6);
		close(fd);
		break;
	case CHANGE_MTIME:
		ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
		break;
	case CHANGE_CTIME:
		g_usleep(20000); /* past a coarse clock tick */
		ck_assert_int_eq(chmod(path, change_cases[_i].mode), 0);
		break;
	case CHANGE_READY_SET:
		ck_assert_int_eq(chmod(path, 0700), 0);
		break;
	case CHANGE_READY_CLEARED:
		ck_assert_int_eq(chmod(path, 0600), 0);
		break;
	case CHANGE_LINK:
		ck_assert_int_eq(link(path, other), 0);
		break;
	case CHANGE_REPLACE:
		ck_assert(g_file_set_contents(tmp, "From: b@c\r\n\r\nnew\r\n",
		    -1, NULL));
		ck_assert_int_eq(rename(tmp, path), 0);
		break;
	}
	after = file_sha256(path);
	ck_assert(!sg_store_put(fx.store, msg, NULL, &id, &error));
	ck_assert_msg(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY),
	    "%s: %s", change_cases[_i].name, error->message);
	ck_assert_msg(strstr(error->message, change_cases[_i].why) != NULL,
	    "%s: '%s' does not say %s", change_cases[_i].name, error->message,
	    change_cases[_i].why);
	ck_assert_ptr_nonnull(strstr(error->message, path));
	ck_assert_ptr_null(id);
	/* It stays, as it now is; nothing was stored or set aside. */
	now = file_sha256(path);
	ck_assert_ptr_nonnull(now);
	ck_assert_str_eq(now, after);
	ck_assert_uint_eq(count_files(fx.spool), 1);
	assert_store_empty();
}
END_TEST

/* ---- a writer renaming over the file during the move -------------------- */

static const char race_new[] =
    "From: writer@example.org\r\nSubject: the new version\r\n\r\nnew\r\n";
static const char race_newer[] =
    "From: writer@example.org\r\nSubject: newer still\r\n\r\nnewer\r\n";
static int race_left;         /* renames over the origin still to do */
static const char *race_only; /* only for origins containing this */
static gboolean race_again;   /* and once more after our move */

/* The writer's write-temp-then-rename idiom, onto @path. */
static void
race_replace(const char *path, const char *content)
{
	g_autofree char *tmp = g_build_filename(fx.spool, ".writer-tmp", NULL);

	ck_assert(g_file_set_contents(tmp, content, -1, NULL));
	ck_assert_int_eq(rename(tmp, path), 0);
}

/* A move of an origin out of the spool (not a put-back or a roll-back). */
static gboolean
race_is_origin(const char *from)
{
	return g_str_has_prefix(from, fx.spool) &&
	    strstr(from, "/.spoolguard-") == NULL &&
	    fault_matches(from, race_only);
}

/* Lands between our last re-check and our rename: the worst moment. */
static void
race_before_move(const char *from, const char *to)
{
	(void)to;
	if (race_left <= 0 || !race_is_origin(from))
		return;
	race_left--;
	race_replace(from, race_new);
}

/* And the writer renames again while the stranger is out. */
static void
race_after_move(const char *from, const char *to)
{
	(void)to;
	if (!race_again || !race_is_origin(from))
		return;
	race_again = FALSE;
	race_replace(from, race_newer);
}

static const struct {
	const char *name;
	guint files;
	gboolean xdev;    /* the store copies */
	const char *only; /* the file the writer replaces */
	gboolean again;   /* a second replacement while it is out */
} stranger_cases[] = {
	{ "renamed", 1, FALSE, NULL, FALSE },
	{ "copied", 1, TRUE, NULL, FALSE },
	{ "second-of-two", 2, FALSE, "-Xy-D", FALSE },
	{ "second-of-two-copied", 2, TRUE, "-Xy-D", FALSE },
	{ "replaced-twice", 1, FALSE, NULL, TRUE },
	{ "replaced-twice-copied", 1, TRUE, NULL, TRUE },
};

/*
 * Issue 11: a writer renames a new version over the message between the
 * last re-check and the move.  The new version (the stranger that moved)
 * goes back untouched; when the name is taken yet again it is kept beside
 * it; whatever moved of the message goes back too.
 */
START_TEST(test_put_stranger_at_the_name_is_put_back)
{
	guint n = stranger_cases[_i].files;
	const char *const *names = n == 1 ? one_name : two_names;
	g_autoptr(SgMessage) msg = make_message(names, n, TRUE);
	guint last = n - 1;
	const char *path = sg_message_file(msg, last)->path;
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autofree char *data = NULL;
	g_autofree char *first = NULL;

	if (n == 2)
		first = file_sha256(sg_message_file(msg, 0)->path);
	faults.xdev = stranger_cases[_i].xdev;
	faults.before_move = race_before_move;
	faults.after_move = race_after_move;
	race_left = 1;
	race_only = stranger_cases[_i].only;
	race_again = stranger_cases[_i].again;
	ck_assert(!sg_store_put(fx.store, msg, NULL, &id, &error));
	ck_assert_msg(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY),
	    "%s", error->message);
	ck_assert_ptr_nonnull(strstr(error->message, "replaced"));
	ck_assert_int_eq(race_left, 0);
	ck_assert(g_file_get_contents(path, &data, NULL, NULL));
	if (stranger_cases[_i].again) {
		/* The newest at the name, the one before kept beside it. */
		g_autoptr(GDir) d = g_dir_open(fx.spool, 0, NULL);
		const char *name;
		guint displaced = 0;

		ck_assert_str_eq(data, race_newer);
		while ((name = g_dir_read_name(d)) != NULL) {
			g_autofree char *p = NULL;
			g_autofree char *kept = NULL;

			if (!g_str_has_prefix(name, ".spoolguard-displaced-"))
				continue;
			p = g_build_filename(fx.spool, name, NULL);
			ck_assert(g_file_get_contents(p, &kept, NULL, NULL));
			ck_assert_str_eq(kept, race_new);
			displaced++;
		}
		ck_assert_uint_eq(displaced, 1);
		ck_assert_uint_eq(count_files(fx.spool), n + 1);
	} else {
		ck_assert_str_eq(data, race_new);
		ck_assert_uint_eq(count_files(fx.spool), n);
	}
	/* The file before it went back, unchanged. */
	if (n == 2) {
		g_autofree char *now =
		    file_sha256(sg_message_file(msg, 0)->path);

		ck_assert_str_eq(now, first);
	}
	assert_store_empty();
}
END_TEST

/* ---- a writer rewriting the file in place --------------------------------
 */

static pid_t rewrite_pid = -1;
static gboolean rewrite_wait; /* the writer finishes before the move */

/* A writer opens the file (a lease makes that open wait) and appends. */
static void
rewrite_before_move(const char *from, const char *to)
{
	(void)to;
	if (rewrite_pid >= 0 || !race_is_origin(from))
		return;
	rewrite_pid = fork();
	ck_assert_int_ge(rewrite_pid, 0);
	if (rewrite_pid == 0) {
		int fd = open(from, O_WRONLY | O_APPEND);

		_exit(fd >= 0 && write(fd, "appended\r\n", 10) == 10 ? 0 : 1);
	}
	if (rewrite_wait) {
		int status;

		ck_assert_int_eq(waitpid(rewrite_pid, &status, 0), rewrite_pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		rewrite_pid = 0;
	} else {
		/* Long enough for its open() to wait on our lease. */
		g_usleep(200000);
	}
}

/*
 * An in-place rewrite during the move: with a lease, the writer's open()
 * waits, the move sees the lease broken and undoes itself, and the writer
 * writes into the file back at its name; without one (a copy), the move
 * sees the file changed.  Either way nothing is stored and nothing lost.
 */
START_TEST(test_put_rewrite_during_the_move_is_undone)
{
	g_autoptr(SgMessage) msg = make_message(one_name, 1, TRUE);
	const char *path = sg_message_file(msg, 0)->path;
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autofree char *data = NULL;
	int status = 0;

	faults.before_move = rewrite_before_move;
	rewrite_wait = _i == 1;
	if (_i == 1)
		faults.lease_errno = EINVAL; /* no leases here: a copy */
	rewrite_pid = -1;
	race_only = NULL;
	ck_assert(!sg_store_put(fx.store, msg, NULL, &id, &error));
	ck_assert_msg(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY),
	    "%s", error->message);
	if (rewrite_pid > 0) {
		ck_assert_int_eq(waitpid(rewrite_pid, &status, 0), rewrite_pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert(g_file_get_contents(path, &data, NULL, NULL));
	ck_assert(g_str_has_suffix(data, "body 0\r\nappended\r\n"));
	ck_assert_uint_eq(count_files(fx.spool), 1);
	assert_store_empty();
}
END_TEST

/*
 * Issue 11: a writer that holds the file open and writes to it after the
 * move must not change what the store holds.  With leases the move is
 * refused (busy); where a copy is stored the writer writes into the old
 * inode, not into the store.
 */
START_TEST(test_put_writer_holding_the_file_cannot_change_the_store)
{
	g_autoptr(SgMessage) msg = make_message(one_name, 1, TRUE);
	const char *path = sg_message_file(msg, 0)->path;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *id = NULL;
	g_autofree char *judged = file_sha256(path);
	int fd = open(path, O_WRONLY);
	gboolean ok;

	ck_assert_int_ge(fd, 0);
	if (_i == 1)
		faults.lease_errno = EACCES;
	ok = sg_store_put(fx.store, msg, NULL, &id, &error);
	/* The writer goes on writing, after the move. */
	ck_assert_int_eq(pwrite(fd, "XXXX", 4, 0), 4);
	close(fd);
	if (_i == 0) {
		ck_assert(!ok);
		ck_assert(
		    g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY));
		assert_store_empty();
		return;
	}
	ck_assert_msg(ok, "%s", error ? error->message : "");
	{
		g_autofree char *stored = stored_path(id, "msg.eml");
		g_autofree char *sum = file_sha256(stored);
		JsonObject *f = json_array_get_object_element(
		    json_object_get_array_member(read_report(parser, id),
		        "files"),
		    0);

		ck_assert_str_eq(sum, judged);
		ck_assert_str_eq(json_object_get_string_member(f, "sha256"),
		    judged);
	}
}
END_TEST

/* ---- a real race: a writer process against put() -------------------------
 */

#define RACE_N 300
#define RACE_N_TMPFS 100

static char *
race_name(const char *spool, guint i)
{
	return g_strdup_printf("%s/m%04u.eml", spool, i);
}

/* The writer: for each index read, sleeps 0..@max_us, renames a new
 * version over the message, and says so. */
static void G_GNUC_NORETURN
race_writer(const char *spool, int in, int out, guint max_us)
{
	GRand *rand = g_rand_new_with_seed((guint32)getpid());
	guint32 i;

	while (read(in, &i, sizeof(i)) == (ssize_t)sizeof(i)) {
		g_autofree char *path = race_name(spool, i);
		g_autofree char *tmp = g_strdup_printf("%s/.w%u", spool, i);
		g_autofree char *body = g_strdup_printf(
		    "From: w@example.org\r\nSubject: new %u\r\n\r\nnew\r\n", i);
		int fd;

		g_usleep(g_rand_int_range(rand, 0, (gint32)max_us + 1));
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, body, strlen(body)) < 0 ||
		    close(fd) != 0 || rename(tmp, path) != 0)
			_exit(2);
		if (write(out, &i, sizeof(i)) != (ssize_t)sizeof(i))
			_exit(3);
	}
	_exit(0);
}

static SgFsOps race_ops;

/* A kill or a race is no power loss: durability is not under test. */
static int
race_fsync(int fd)
{
	(void)fd;
	return 0;
}

/* Message @i as a reader would have it: opened, judged bad. */
static SgMessage *
race_message(const char *spool, guint i)
{
	g_autofree char *path = race_name(spool, i);
	g_autofree char *body = g_strdup_printf(
	    "From: a@example.org\r\nSubject: old %u\r\n\r\nold\r\n", i);
	g_autoptr(GError) error = NULL;
	SgMessage *msg = sg_message_new(NULL, "plain", path);

	ck_assert(g_file_set_contents(path, body, -1, NULL));
	sg_message_add_file(msg, path, "message");
	ck_assert(sg_message_open_file(msg, 0, &error));
	sg_message_add_finding(msg, SG_RULE_HEADER_NUL, SG_SEVERITY_QUARANTINE,
	    0, 0, NULL, NULL, SG_VALUE_NONE, SG_VALUE_NONE, "bad");
	return msg;
}

/*
 * Every replacement is kept at its name, each old version is in the store
 * at most once and whole, and no new version ever is.  On the same file
 * system (renamed) and, when /dev/shm is another file system, on a tmpfs
 * store (copied).
 */
START_TEST(test_put_race_with_a_writer_keeps_every_replacement)
{
	SgStore *store = fx.store;
	g_autoptr(SgStore) tmpfs = NULL;
	g_autofree char *tmpfs_dir = NULL;
	guint n = _i == 0 ? RACE_N : RACE_N_TMPFS;
	guint moved = 0, busy = 0, vanished = 0, kept = 0, stored = 0;
	gint64 t0, per_put;
	int to_writer[2], from_writer[2];
	pid_t pid;
	int status;

	/* The real calls, nothing injected; fsync only costs time here. */
	race_ops = *sg_fs_real();
	race_ops.fsync = race_fsync;
	sg_quarantine_set_fs(&race_ops);
	sg_quarantine_set_time(0);
	if (_i == 1) {
		struct stat a, b;

		tmpfs_dir = g_strdup("/dev/shm/sg-race-XXXXXX");
		if (stat("/dev/shm", &a) != 0 || stat(fx.root, &b) != 0 ||
		    a.st_dev == b.st_dev || g_mkdtemp(tmpfs_dir) == NULL) {
			fprintf(stderr,
			    "race: no tmpfs at /dev/shm; skipped\n");
			return;
		}
		tmpfs = sg_store_open(tmpfs_dir, TRUE, NULL);
		ck_assert_ptr_nonnull(tmpfs);
		store = tmpfs;
	}
	/* How long one put takes: the writer's delays span it. */
	t0 = g_get_monotonic_time();
	for (guint i = 0; i < 5; i++) {
		g_autoptr(SgMessage) msg = race_message(fx.spool, 9000 + i);

		ck_assert(sg_store_put(store, msg, NULL, NULL, NULL));
	}
	per_put = (g_get_monotonic_time() - t0) / 5;
	ck_assert_int_eq(pipe(to_writer), 0);
	ck_assert_int_eq(pipe(from_writer), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(to_writer[1]);
		close(from_writer[0]);
		race_writer(fx.spool, to_writer[0], from_writer[1],
		    (guint)MIN(per_put * 3 / 2, 200000));
	}
	close(to_writer[0]);
	close(from_writer[1]);
	for (guint32 i = 0; i < n; i++) {
		g_autoptr(SgMessage) msg = race_message(fx.spool, i);
		g_autoptr(GError) error = NULL;
		guint32 done = 0;

		ck_assert_int_eq(write(to_writer[1], &i, sizeof(i)), sizeof(i));
		if (sg_store_put(store, msg, NULL, NULL, &error))
			moved++;
		else if (g_error_matches(error, SG_CORE_ERROR,
		             SG_CORE_ERROR_BUSY))
			busy++;
		else if (g_error_matches(error, SG_CORE_ERROR,
		             SG_CORE_ERROR_VANISHED))
			vanished++;
		else
			ck_abort_msg("message %u: %s", i, error->message);
		ck_assert_int_eq(read(from_writer[0], &done, sizeof(done)),
		    sizeof(done));
		ck_assert_uint_eq(done, i);
	}
	close(to_writer[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(from_writer[0]);
	/* Every new version is at its name. */
	for (guint i = 0; i < n; i++) {
		g_autofree char *path = race_name(fx.spool, i);
		g_autofree char *data = NULL;
		g_autofree char *want = g_strdup_printf(
		    "From: w@example.org\r\nSubject: new %u\r\n\r\nnew\r\n", i);

		if (g_file_get_contents(path, &data, NULL, NULL) &&
		    strcmp(data, want) == 0)
			kept++;
	}
	/* The store holds old versions only, each once, as reported. */
	{
		g_autoptr(GPtrArray) list = sg_store_list(store, NULL);
		g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
		    g_str_equal, g_free, NULL);

		ck_assert_ptr_nonnull(list);
		for (guint e = 0; e < list->len; e++) {
			SgStoreEntry *entry = g_ptr_array_index(list, e);
			g_autofree char *base =
			    g_path_get_basename(entry->origin);
			g_autofree char *p =
			    g_build_filename(entry->dir, "files", base, NULL);
			g_autofree char *data = NULL;
			guint idx;

			ck_assert(!entry->unfinished);
			ck_assert(g_file_get_contents(p, &data, NULL, NULL));
			ck_assert(sscanf(base, "m%04u.eml", &idx) == 1);
			if (idx >= 9000)
				continue;
			{
				g_autofree char *want = g_strdup_printf(
				    "From: a@example.org\r\nSubject: old "
				    "%u\r\n\r\nold\r\n",
				    idx);

				ck_assert_str_eq(data, want);
			}
			ck_assert(!g_hash_table_contains(seen, base));
			g_hash_table_add(seen, g_steal_pointer(&base));
			stored++;
		}
	}
	fprintf(stderr,
	    "race (%s store): %u replacements by rename, %u kept; %u old "
	    "versions quarantined, %u busy, %u vanished; writer delays up "
	    "to %" G_GINT64_FORMAT " us\n",
	    _i == 0 ? "same file system" : "tmpfs", n, kept, moved, busy,
	    vanished, MIN(per_put * 3 / 2, 200000));
	ck_assert_uint_eq(stored, moved);
	ck_assert_uint_eq(moved + busy + vanished, n);
	ck_assert_uint_eq(kept, n);
	if (tmpfs_dir != NULL)
		remove_tree(tmpfs_dir);
}
END_TEST

/* ---- recovery of entries left by older versions ------------------------- */

/* An entry directory by hand, as an older spoolguard could leave it. */
static char *
legacy_entry(const char *id)
{
	g_autofree char *e = entry_dir(id);
	g_autofree char *files = g_build_filename(e, "files", NULL);

	ck_assert_int_eq(g_mkdir_with_parents(files, 0700), 0);
	return g_steal_pointer(&e);
}

START_TEST(test_recover_entries_without_report)
{
	g_autofree char *spooled =
	    spool_file("linked.eml", "From: a@b\n\nx\n", 0600);
	g_autofree char *linked = legacy_entry("20261122T031502Z-00000001");
	g_autofree char *alone = legacy_entry("20261122T031502Z-00000002");
	g_autofree char *empty = legacy_entry("20261122T031502Z-00000003");
	g_autofree char *link_path =
	    g_build_filename(linked, "files", "linked.eml", NULL);
	g_autofree char *alone_path =
	    g_build_filename(alone, "files", "copy.eml", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	SgStoreRecovery rec;

	ck_assert_int_eq(link(spooled, link_path), 0);
	ck_assert(
	    g_file_set_contents(alone_path, "From: c@d\n\ny\n", -1, NULL));
	list = sg_store_list(fx.store, &error);
	ck_assert_uint_eq(list->len, 3);
	for (guint i = 0; i < 3; i++)
		ck_assert(
		    ((SgStoreEntry *)g_ptr_array_index(list, i))->unfinished);
	ck_assert(sg_store_recover(fx.store, FALSE, &rec, &error));
	ck_assert_uint_eq(rec.entries, 3);
	ck_assert_uint_eq(rec.removed, 2); /* linked and empty */
	ck_assert_uint_eq(rec.left, 1);    /* alone: origin unknown */
	ck_assert_uint_eq(rec.notes->len, 3);
	sg_store_recovery_clear(&rec);
	ck_assert(g_access(linked, F_OK) != 0);
	ck_assert(g_access(empty, F_OK) != 0);
	ck_assert(g_access(alone_path, F_OK) == 0);
	ck_assert(g_access(spooled, F_OK) == 0);
}
END_TEST

/*
 * An older version linked the file into the store, wrote the report and
 * was killed before it unlinked the original: the message is in two
 * places.  A thorough recovery (fsck) removes the spool's name.
 */
START_TEST(test_recover_thorough_removes_a_spool_link_left_behind)
{
	g_autoptr(SgMessage) msg = make_message(one_name, 1, TRUE);
	const char *path = sg_message_file(msg, 0)->path;
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autofree char *stored = NULL;
	g_autofree char *sum = file_sha256(path);
	SgStoreRecovery rec;
	struct stat st;

	ck_assert(sg_store_put(fx.store, msg, NULL, &id, &error));
	stored = stored_path(id, "msg.eml");
	ck_assert_int_eq(link(stored, path), 0);
	ck_assert(sg_store_recover(fx.store, FALSE, &rec, &error));
	ck_assert_uint_eq(rec.finished, 0);
	sg_store_recovery_clear(&rec);
	ck_assert(g_access(path, F_OK) == 0);
	ck_assert(sg_store_recover(fx.store, TRUE, &rec, &error));
	ck_assert_uint_eq(rec.finished, 1);
	ck_assert_uint_eq(rec.failed + rec.left + rec.busy, 0);
	sg_store_recovery_clear(&rec);
	ck_assert(g_access(path, F_OK) != 0);
	ck_assert_uint_eq(count_files(fx.spool), 0);
	ck_assert_int_eq(lstat(stored, &st), 0);
	ck_assert_uint_eq(st.st_nlink, 1);
	{
		g_autofree char *now = file_sha256(stored);

		ck_assert_str_eq(now, sum);
	}
	ck_assert(sg_store_release(fx.store, id, NULL, &error));
}
END_TEST

/* An entry another process is working on is left alone. */
START_TEST(test_recover_leaves_a_locked_entry_alone)
{
	g_autofree char *empty = legacy_entry("20261122T031502Z-00000004");
	g_autoptr(GError) error = NULL;
	SgStoreRecovery rec;
	int pipefd[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(empty, O_RDONLY | O_DIRECTORY);

		(void)!write(pipefd[1],
		    fd >= 0 && flock(fd, LOCK_EX) == 0 ? "y" : "n", 1);
		for (;;)
			pause(); /* until the test kills it */
	}
	close(pipefd[1]);
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	ck_assert_int_eq(c, 'y');
	ck_assert(sg_store_recover(fx.store, FALSE, &rec, &error));
	ck_assert_uint_eq(rec.busy, 1);
	ck_assert_uint_eq(rec.removed, 0);
	sg_store_recovery_clear(&rec);
	ck_assert(g_access(empty, F_OK) == 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pipefd[0]);
	ck_assert(sg_store_recover(fx.store, FALSE, &rec, &error));
	ck_assert_uint_eq(rec.removed, 1);
	sg_store_recovery_clear(&rec);
}
END_TEST

/* ---- kills ------------------------------------------------------------------
 */

/* The child is SIGKILLed at the crash_at-th change to the disk. */
static int crash_at = -1;
static int crash_done;

static void
crash_point(void)
{
	if (crash_at >= 0 && crash_done++ == crash_at)
		kill(getpid(), SIGKILL);
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
	return fault_rename(from, to);
}

static int
crash_rename_noreplace(const char *from, const char *to)
{
	crash_point();
	return fault_rename_noreplace(from, to);
}

static int
crash_unlink(const char *path)
{
	crash_point();
	return fault_unlink(path);
}

static ssize_t
crash_write(int fd, const void *buf, size_t len)
{
	crash_point();
	return fault_write(fd, buf, len);
}

static int
crash_fsync(int fd)
{
	crash_point();
	return race_fsync(fd);
}

static int
crash_mkdir(const char *path, mode_t mode)
{
	crash_point();
	return sg_fs_real()->mkdir(path, mode);
}

static int
crash_rmdir(const char *path)
{
	crash_point();
	return sg_fs_real()->rmdir(path);
}

static int
crash_fchmod(int fd, mode_t mode)
{
	crash_point();
	return sg_fs_real()->fchmod(fd, mode);
}

/* The seam with the faults set, every change to the disk a kill point. */
static void
crash_ops_init(SgFsOps *ops)
{
	*ops = fault_ops;
	ops->link = crash_link;
	ops->rename = crash_rename;
	ops->rename_noreplace = crash_rename_noreplace;
	ops->unlink = crash_unlink;
	ops->write = crash_write;
	ops->fsync = crash_fsync;
	ops->mkdir = crash_mkdir;
	ops->rmdir = crash_rmdir;
	ops->fchmod = crash_fchmod;
}

/*
 * A fresh spool with a message of @n files (their sums in @sums, freed
 * first), an empty store, and a put of it killed at its @step-th change
 * to the disk.  The child opens the files itself: a lease lives as long
 * as any process holds the open file description.  Returns the child's
 * wait status.
 */
static int
put_killed_at(const SgFsOps *ops, int step, guint n, char **sums)
{
	g_autoptr(SgMessage) msg = NULL;
	int status = 0;
	pid_t pid;

	remove_tree(fx.store_dir);
	remove_tree(fx.spool);
	ck_assert_int_eq(g_mkdir(fx.store_dir, 0700), 0);
	ck_assert_int_eq(g_mkdir(fx.spool, 0755), 0);
	msg = make_message(two_names, n, FALSE);
	for (guint i = 0; i < n; i++) {
		g_free(sums[i]);
		sums[i] = file_sha256(sg_message_file(msg, i)->path);
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (guint i = 0; i < n; i++) {
			if (!sg_message_open_file(msg, i, NULL))
				_exit(2);
		}
		crash_at = step;
		crash_done = 0;
		sg_quarantine_set_fs(ops);
		_exit(sg_store_put(fx.store, msg, NULL, NULL, NULL) ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
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

/*
 * Every message in exactly one place: whole in the spool and no entry,
 * or whole in exactly one complete entry (report.json, report.txt, no
 * journal) and none of its names in the spool; nothing set aside.
 */
static void
assert_one_place(char **sums, guint n, const char *when)
{
	g_autoptr(GPtrArray) list = sg_store_list(fx.store, NULL);

	ck_assert_ptr_nonnull(list);
	if (spool_has_all(sums, n)) {
		ck_assert_msg(list->len == 0, "%s: in the spool and stored",
		    when);
		ck_assert_uint_eq(count_files(fx.spool), n);
		return;
	}
	ck_assert_msg(list->len == 1, "%s: %u entries", when, list->len);
	ck_assert_msg(store_has_all(sums, n), "%s: the message is lost", when);
	ck_assert_msg(count_files(fx.spool) == 0, "%s: left in the spool",
	    when);
	{
		SgStoreEntry *e = g_ptr_array_index(list, 0);
		const char *const names[] = { "report.json", "report.txt",
			"files" };

		ck_assert_msg(!e->unfinished, "%s: unfinished entry", when);
		ck_assert_uint_eq(count_files(e->dir), n + 2);
		for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
			g_autofree char *p =
			    g_build_filename(e->dir, names[i], NULL);

			ck_assert_msg(g_access(p, F_OK) == 0, "%s: no %s", when,
			    names[i]);
		}
	}
}

/* An unfinished entry is marked, cannot be released or purged. */
static void
assert_unfinished_is_guarded(void)
{
	g_autoptr(GPtrArray) list = sg_store_list(fx.store, NULL);
	g_autoptr(GError) error = NULL;
	guint count = 99;

	for (guint i = 0; list != NULL && i < list->len; i++) {
		SgStoreEntry *e = g_ptr_array_index(list, i);
		g_autofree char *intent =
		    g_build_filename(e->dir, "intent.json", NULL);

		if (g_access(intent, F_OK) != 0)
			continue;
		ck_assert(e->unfinished);
		ck_assert(!sg_store_release(fx.store, e->id, NULL, &error));
		ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_UNFINISHED));
		g_clear_error(&error);
		ck_assert(sg_store_purge(fx.store, 0, &count, &error));
		ck_assert_uint_eq(count, 0);
		ck_assert(g_access(intent, F_OK) == 0);
	}
}

static const struct {
	const char *name;
	guint files;
	gboolean xdev; /* the store copies, originals set aside */
} crash_cases[] = {
	{ "renamed", 2, FALSE },
	{ "copied-across", 2, TRUE },
	{ "renamed-one", 1, FALSE },
};

/*
 * SIGKILL at every change put() makes to the disk in turn, then recovery
 * (as the next scan or fsck runs it): the message is in exactly one place
 * with a complete report, and the next put stores it once.
 */
START_TEST(test_put_killed_at_any_step_is_recovered)
{
	SgFsOps ops;
	guint n = crash_cases[_i].files;
	guint rolled = 0, finished = 0;
	int step;

	faults.xdev = crash_cases[_i].xdev;
	crash_ops_init(&ops);
	for (step = 0; step < 1000; step++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *when = NULL;
		char *sums[2] = { NULL, NULL };
		SgStoreRecovery rec;
		int status = put_killed_at(&ops, step, n, sums);

		when = g_strdup_printf("%s, killed at step %d",
		    crash_cases[_i].name, step);
		if (!WIFSIGNALED(status)) {
			/* put() ran to the end: it moved the message. */
			ck_assert_msg(WIFEXITED(status) &&
			        WEXITSTATUS(status) == 0,
			    "%s: put failed", when);
			ck_assert(!spool_has_all(sums, n));
			assert_one_place(sums, n, when);
			g_free(sums[0]);
			g_free(sums[1]);
			break;
		}
		ck_assert_int_eq(WTERMSIG(status), SIGKILL);
		assert_unfinished_is_guarded();
		ck_assert(sg_store_recover(fx.store, FALSE, &rec, &error));
		ck_assert_msg(rec.failed + rec.left + rec.busy == 0,
		    "%s: recovery: %s", when,
		    rec.notes->len > 0 ? (char *)g_ptr_array_index(rec.notes, 0)
		                       : "");
		rolled += rec.rolled_back;
		finished += rec.finished;
		sg_store_recovery_clear(&rec);
		assert_one_place(sums, n, when);
		/* A second recovery finds nothing to do. */
		ck_assert(sg_store_recover(fx.store, FALSE, &rec, &error));
		ck_assert_uint_eq(rec.notes->len, 0);
		sg_store_recovery_clear(&rec);
		if (spool_has_all(sums, n)) {
			/* The next scan stores it, once. */
			g_autoptr(SgMessage) again =
			    make_message(two_names, n, TRUE);

			ck_assert_msg(sg_store_put(fx.store, again, NULL, NULL,
			                  &error),
			    "%s: %s", when, error->message);
			assert_one_place(sums, n, when);
		}
		g_free(sums[0]);
		g_free(sums[1]);
	}
	fprintf(stderr,
	    "kill (%s): %d kills, %u rolled back, %u finished, 0 lost\n",
	    crash_cases[_i].name, step, rolled, finished);
	/* Enough steps to mean something, and it finished. */
	ck_assert_int_gt(step, 8);
	ck_assert_int_lt(step, 1000);
	ck_assert_uint_gt(rolled, 0);
}
END_TEST

/* TRUE when the store has an unfinished entry with a file moved in. */
static gboolean
moved_and_unfinished(void)
{
	g_autoptr(GPtrArray) list = sg_store_list(fx.store, NULL);

	for (guint i = 0; list != NULL && i < list->len; i++) {
		SgStoreEntry *e = g_ptr_array_index(list, i);
		g_autofree char *intent =
		    g_build_filename(e->dir, "intent.json", NULL);
		g_autofree char *stored =
		    g_build_filename(e->dir, "files", two_names[0], NULL);
		g_autoptr(GDir) d = NULL;
		const char *name;

		if (g_access(intent, F_OK) != 0)
			continue;
		/* Renamed into files/ ... */
		if (!faults.xdev && g_access(stored, F_OK) == 0)
			return TRUE;
		/* ... or set aside beside the origin. */
		d = g_dir_open(fx.spool, 0, NULL);
		while (faults.xdev && d != NULL &&
		    (name = g_dir_read_name(d)) != NULL) {
			if (g_str_has_prefix(name, ".spoolguard-"))
				return TRUE;
		}
	}
	return FALSE;
}

/*
 * Recovery is itself killed at every step it takes, after a put was
 * killed with a file moved: the next recovery still ends with the message
 * in exactly one place.
 */
START_TEST(test_recovery_killed_at_any_step_is_recovered)
{
	SgFsOps ops;
	char *sums[2] = { NULL, NULL };
	int put_step, step;

	faults.xdev = _i == 1;
	crash_ops_init(&ops);
	/* The first kill of the put that leaves the first file moved. */
	for (put_step = 0; put_step < 1000; put_step++) {
		ck_assert(WIFSIGNALED(put_killed_at(&ops, put_step, 2, sums)));
		if (moved_and_unfinished())
			break;
	}
	ck_assert_int_lt(put_step, 1000);
	for (step = 0; step < 1000; step++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *when =
		    g_strdup_printf("put killed at %d, recovery at %d",
		        put_step, step);
		SgStoreRecovery rec;
		int status = 0;
		pid_t pid;

		ck_assert(WIFSIGNALED(put_killed_at(&ops, put_step, 2, sums)));
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			crash_at = step;
			crash_done = 0;
			sg_quarantine_set_fs(&ops);
			_exit(sg_store_recover(fx.store, FALSE, &rec, NULL) &&
			            rec.failed + rec.left == 0
			        ? 0
			        : 1);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(sg_store_recover(fx.store, FALSE, &rec, &error));
		ck_assert_msg(rec.failed + rec.left + rec.busy == 0, "%s",
		    when);
		sg_store_recovery_clear(&rec);
		assert_one_place(sums, 2, when);
		if (!WIFSIGNALED(status)) {
			ck_assert_msg(WIFEXITED(status) &&
			        WEXITSTATUS(status) == 0,
			    "%s: recovery failed", when);
			break;
		}
	}
	fprintf(stderr,
	    "kill (recovery, %s): put killed at step %d, recovery killed at "
	    "%d steps, 0 lost\n",
	    _i == 1 ? "copied-across" : "renamed", put_step, step);
	ck_assert_int_gt(step, 2);
	g_free(sums[0]);
	g_free(sums[1]);
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

/* ---- a store kept for years --------------------------------------------
 */

START_TEST(test_usage_counts_entries_and_file_bytes)
{
	g_autofree char *a = put_one("a.eml", T0);
	g_autofree char *b = put_one("b.eml", T0 + 1);
	g_autofree char *fa = stored_path(a, "a.eml");
	g_autofree char *fb = stored_path(b, "b.eml");
	g_autoptr(GError) error = NULL;
	struct stat sa, sb;
	gint64 entries = -1, bytes = -1;

	ck_assert_int_eq(stat(fa, &sa), 0);
	ck_assert_int_eq(stat(fb, &sb), 0);
	ck_assert(sg_store_usage(fx.store, &entries, &bytes, &error));
	ck_assert_int_eq(entries, 2);
	/* The message files only, not the reports. */
	ck_assert_int_eq(bytes, sa.st_size + sb.st_size);
}
END_TEST

START_TEST(test_remove_takes_one_entry_and_nothing_outside)
{
	g_autofree char *a = put_one("a.eml", T0);
	g_autofree char *b = put_one("b.eml", T0 + 1);
	g_autoptr(GError) error = NULL;
	g_autoptr(SgStoreEntry) ea = sg_store_find(fx.store, a, &error);
	g_autoptr(GPtrArray) left = NULL;
	SgStoreEntry forged = { 0 };
	g_autofree char *outside = g_build_filename(fx.root, "spool", NULL);

	ck_assert(sg_store_remove(fx.store, ea, &error));
	left = sg_store_list(fx.store, &error);
	ck_assert_uint_eq(left->len, 1);
	ck_assert_str_eq(((SgStoreEntry *)g_ptr_array_index(left, 0))->id, b);
	/* A put cut short: fsck's, never removed by purge. */
	{
		g_autoptr(SgStoreEntry) eb = sg_store_find(fx.store, b, &error);

		eb->unfinished = TRUE;
		ck_assert(!sg_store_remove(fx.store, eb, &error));
		ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_UNFINISHED));
		ck_assert(g_file_test(eb->dir, G_FILE_TEST_IS_DIR));
		g_clear_error(&error);
	}
	/* An entry whose directory is not the store's: refused. */
	forged.id = (char *)"spool";
	forged.dir = outside;
	ck_assert(!sg_store_remove(fx.store, &forged, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_INVALID));
	ck_assert(g_file_test(outside, G_FILE_TEST_IS_DIR));
}
END_TEST

START_TEST(test_entry_message_is_the_message_again)
{
	g_autofree char *path = spool_file("again.eml",
	    "From: a@example.org\nMessage-ID: <again@example.org>\n\nbody\n",
	    0640);
	g_autoptr(SgMessage) msg =
	    sg_message_new(sg_spool_find("plain"), "plain", path);
	g_autoptr(SgMessage) back = NULL;
	g_autoptr(SgStoreEntry) e = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(SgCheckContext) ctx = NULL;
	g_autoptr(SgProfile) profile = sg_profile_load("default", &error);
	g_autofree char *id = NULL;
	g_autofree char *stored = NULL;
	SgWalkOptions opts = { .read_only = TRUE, .now = T0 };

	ck_assert_msg(profile != NULL, "%s", error ? error->message : "");
	sg_message_add_file(msg, path, "message");
	ck_assert(sg_message_open_file(msg, 0, &error));
	sg_message_set_content_window(msg, 0, 0,
	    sg_message_file(msg, 0)->st.st_size);
	sg_message_add_finding(msg, SG_RULE_HEADER_NUL, SG_SEVERITY_QUARANTINE,
	    0, 1, NULL, NULL, SG_VALUE_NONE, SG_VALUE_NONE, "made up");
	ck_assert(sg_store_put(fx.store, msg, profile, &id, &error));
	e = sg_store_find(fx.store, id, &error);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->message_id, "<again@example.org>");
	back = sg_store_entry_message(fx.store, e, &error);
	ck_assert_msg(back != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq(back->format, "plain");
	stored = stored_path(id, "again.eml");
	ck_assert_str_eq(sg_message_file(back, 0)->path, stored);
	/* Judged again by today's profile: the made-up finding is gone. */
	ck_assert(back->ops->open(back, profile, &opts, &error));
	ctx = sg_check_context_new(profile, &error);
	ck_assert(sg_check_message(ctx, back, NULL, &error));
	ck_assert_int_lt(back->verdict, SG_SEVERITY_QUARANTINE);
}
END_TEST

START_TEST(test_entry_message_of_a_broken_report_is_refused)
{
	g_autofree char *a = put_one("a.eml", T0);
	g_autofree char *dir = entry_dir(a);
	g_autofree char *report = g_build_filename(dir, "report.json", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(SgStoreEntry) e = sg_store_find(fx.store, a, &error);

	ck_assert(g_file_set_contents(report,
	    "{\"format\":\"exim\",\"files\":[{\"name\":\"../x\"}]}", -1,
	    &error));
	ck_assert_ptr_null(sg_store_entry_message(fx.store, e, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_CORRUPT));
	g_clear_error(&error);
	ck_assert(
	    g_file_set_contents(report, "{\"format\":\"uucp\"}", -1, &error));
	ck_assert_ptr_null(sg_store_entry_message(fx.store, e, &error));
	ck_assert(g_error_matches(error, SG_QUARANTINE_ERROR,
	    SG_QUARANTINE_ERROR_CORRUPT));
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
	TCase *race = tcase_create("race");
	TCase *kills = tcase_create("kill");

	tcase_add_checked_fixture(put, fixture_setup, fixture_teardown);
	tcase_add_test(put, test_put_same_fs_renames_the_judged_inode);
	tcase_add_test(put, test_put_reports_sha256_and_origin_of_every_file);
	tcase_add_test(put,
	    test_put_across_file_systems_copies_verifies_and_removes);
	tcase_add_loop_test(put,
	    test_put_failure_before_commit_leaves_spool_untouched, 0,
	    G_N_ELEMENTS(failure_cases));
	tcase_add_test(put,
	    test_put_cleanup_failure_after_commit_is_finished_by_recovery);
	tcase_add_test(put, test_put_rename_crossing_mounts_retries_as_copies);
	tcase_add_test(put, test_put_without_a_lease_stores_a_copy);
	tcase_add_test(put, test_put_hard_linked_file_stores_a_copy);
	tcase_add_test(put, test_put_file_open_elsewhere_is_busy);
	tcase_add_test(put,
	    test_put_vanished_file_is_counted_not_a_store_error);
	tcase_add_test(put, test_put_refuses_names_unfit_for_a_path);
	suite_add_tcase(s, put);

	tcase_add_checked_fixture(race, fixture_setup, fixture_teardown);
	tcase_add_loop_test(race, test_put_file_changed_since_judged_stays, 0,
	    G_N_ELEMENTS(change_cases));
	tcase_add_loop_test(race, test_put_stranger_at_the_name_is_put_back, 0,
	    G_N_ELEMENTS(stranger_cases));
	tcase_add_loop_test(race, test_put_rewrite_during_the_move_is_undone, 0,
	    2);
	tcase_add_loop_test(race,
	    test_put_writer_holding_the_file_cannot_change_the_store, 0, 2);
	tcase_add_loop_test(race,
	    test_put_race_with_a_writer_keeps_every_replacement, 0, 2);
	suite_add_tcase(s, race);

	tcase_add_checked_fixture(kills, fixture_setup_shm, fixture_teardown);
	tcase_add_loop_test(kills, test_put_killed_at_any_step_is_recovered, 0,
	    G_N_ELEMENTS(crash_cases));
	tcase_add_loop_test(kills,
	    test_recovery_killed_at_any_step_is_recovered, 0, 2);
	tcase_add_test(kills, test_recover_entries_without_report);
	tcase_add_test(kills,
	    test_recover_thorough_removes_a_spool_link_left_behind);
	tcase_add_test(kills, test_recover_leaves_a_locked_entry_alone);
	suite_add_tcase(s, kills);

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
	tcase_add_test(release, test_usage_counts_entries_and_file_bytes);
	tcase_add_test(release,
	    test_remove_takes_one_entry_and_nothing_outside);
	tcase_add_test(release, test_entry_message_is_the_message_again);
	tcase_add_test(release,
	    test_entry_message_of_a_broken_report_is_refused);
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
	return sg_test_run(quarantine_suite());
}
