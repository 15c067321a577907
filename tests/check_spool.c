// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_spool.c - the spool module's walker and its plain and maildir
 * readers: which files become candidates in trees built by each test
 * (nested folders, symlinks, maildir tmp/, the store, a deep chain), the
 * open() outcomes (young, vanished, busy; every lock kind and a writer
 * held by a helper process, before and after the read) and the IIS
 * envelope with its
 * offsets, including a generated 50,000-recipient envelope; which
 * format claims a single file named on the command line, and that the
 * read-only open of check and inspect never takes the MTA's lock.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <gmime/gmime.h>

#include "spoolguard/spool.h"
#include "spoolguard/stream.h"

#include "check-run.h"
#include "spool-private.h"

#define MSG_LF "From: a@example.org\nSubject: hi\n\nbody\n"
#define MSG_CRLF "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n"

/* ---- helpers -------------------------------------------------------- */

static char *
make_tree(void)
{
	GError *error = NULL;
	char *dir = g_dir_make_tmp("sgspoolXXXXXX", &error);

	ck_assert_msg(dir != NULL, "mkdtemp: %s",
	    error != NULL ? error->message : "?");
	return dir;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
remove_tree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes @data to @root/@rel, making the directories on the way. */
static char *
put_file(const char *root, const char *rel, const char *data, gssize len)
{
	char *path = g_build_filename(root, rel, NULL);
	g_autofree char *dir = g_path_get_dirname(path);
	GError *error = NULL;

	ck_assert_int_eq(g_mkdir_with_parents(dir, 0700), 0);
	ck_assert_msg(g_file_set_contents(path, data, len, &error), "%s",
	    error != NULL ? error->message : "?");
	return path;
}

static void
put_dir(const char *root, const char *rel)
{
	g_autofree char *path = g_build_filename(root, rel, NULL);

	ck_assert_int_eq(g_mkdir_with_parents(path, 0700), 0);
}

static void
put_link(const char *root, const char *rel, const char *target)
{
	g_autofree char *path = g_build_filename(root, rel, NULL);

	ck_assert_int_eq(symlink(target, path), 0);
}

/* What a walk handed out, as "format:path-relative-to-root", sorted. */
typedef struct {
	const char *root;
	GPtrArray *seen; /* char* */
	GPtrArray *msgs; /* SgMessage*, when kept */
	gboolean keep;
	guint stop_after; /* 0: never stop */
} Collect;

static gboolean
collect_one(SgMessage *msg, gpointer user_data)
{
	Collect *c = user_data;
	gsize n = strlen(c->root);
	const char *rel = msg->id;
	SgMessageFile *file = sg_message_file(msg, 0);

	ck_assert_ptr_nonnull(file);
	ck_assert_str_eq(file->role, "message");
	ck_assert_str_eq(file->path, msg->id);
	ck_assert_uint_eq(msg->files->len, 1);
	ck_assert_int_eq(file->fd, -1);
	if (strncmp(rel, c->root, n) == 0 && rel[n] == '/')
		rel += n + 1;
	g_ptr_array_add(c->seen, g_strdup_printf("%s:%s", msg->format, rel));
	if (c->keep)
		g_ptr_array_add(c->msgs, msg);
	else
		sg_message_free(msg);
	return c->stop_after == 0 || c->seen->len < c->stop_after;
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
join_sorted(GPtrArray *seen)
{
	GString *s = g_string_new(NULL);

	g_ptr_array_sort(seen, compare_strings);
	for (guint i = 0; i < seen->len; i++) {
		if (i > 0)
			g_string_append_c(s, ' ');
		g_string_append(s, g_ptr_array_index(seen, i));
	}
	return g_string_free(s, FALSE);
}

/* Walks @path; returns the sorted candidate list. */
static char *
walk_list(const char *root, const char *path, const SgWalkOptions *opts,
    SgWalkStats *stats)
{
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
	Collect c = { .root = root, .seen = seen };
	GError *error = NULL;

	ck_assert_msg(sg_spool_walk(path, opts, stats, collect_one, &c, &error),
	    "walk: %s", error != NULL ? error->message : "?");
	return join_sorted(seen);
}

/* Opens a candidate for @path with @opts; the error is returned. */
static SgMessage *
open_file(const char *path, gint64 min_age, gint64 now, GError **error)
{
	g_autoptr(SgMessage) msg = sg_spool_message_for_file(path);
	SgWalkOptions opts = { .min_age = min_age, .now = now };

	ck_assert_ptr_nonnull(msg);
	if (!msg->ops->open(msg, NULL, &opts, error))
		return NULL;
	return g_steal_pointer(&msg);
}

static gint64
wall_now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

/* Reads the whole content window back. */
static char *
read_content(SgMessage *msg, gsize *len)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeStream) stream = sg_message_open_content(msg, &error);
	GString *s = g_string_new(NULL);
	char buf[4096];
	gssize n;

	ck_assert_msg(stream != NULL, "%s",
	    error != NULL ? error->message : "?");
	while ((n = g_mime_stream_read(stream, buf, sizeof buf)) > 0)
		g_string_append_len(s, buf, n);
	ck_assert_int_ge(n, 0);
	*len = s->len;
	return g_string_free(s, FALSE);
}

/* Walks @root: "format:name" for plain files, "mbox:name#N" for mbox. */
static gboolean
mbox_list_one(SgMessage *msg, gpointer user_data)
{
	GPtrArray *seen = user_data;
	SgMessageFile *file = sg_message_file(msg, 0);
	g_autofree char *base = g_path_get_basename(file->path);

	if (strcmp(msg->format, "mbox") == 0) {
		const char *n = strstr(msg->id, ", message ");

		ck_assert_ptr_nonnull(n);
		g_ptr_array_add(seen,
		    g_strdup_printf("mbox:%s#%d", base,
		        atoi(n + strlen(", message "))));
	} else {
		g_ptr_array_add(seen,
		    g_strdup_printf("%s:%s", msg->format, base));
	}
	sg_message_free(msg);
	return TRUE;
}

static char *
walk_list_mbox(const char *root)
{
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
	GError *error = NULL;

	ck_assert(sg_spool_walk(root, NULL, NULL, mbox_list_one, seen, &error));
	return join_sorted(seen);
}

/* ---- names ---------------------------------------------------------- */

static const struct {
	const char *name;
	gboolean plain;
} name_cases[] = {
	{ "a.eml", TRUE },
	{ "NTFS_0003.EML", TRUE },
	{ "x.Eml", TRUE },
	{ "0001.BAD", TRUE },
	{ "0001.bad", TRUE },
	{ "0001.BDR", FALSE }, /* Exchange's report, not a message */
	{ "12345", TRUE },     /* MH */
	{ "12a", TRUE },       /* any name: a folder of messages */
	{ "message", TRUE },
	{ "corrupt-1.txt", TRUE },
	{ ".eml", FALSE },
	{ ".hidden.eml", FALSE },
	{ "README", FALSE },
	{ "README.md", FALSE },
	{ "LICENSE", FALSE },
	{ "a.eml~", FALSE },
	{ "queue.lock", FALSE },
	{ "x.tmp", FALSE },
	{ "run.pid", FALSE },
	{ "a.emlx", TRUE },
	{ "eml", TRUE },
	{ "", FALSE },
};

START_TEST(test_plain_names_are_all_but_known_non_mail)
{
	const char *name = name_cases[_i].name;

	ck_assert_msg(sg_spool_plain_is_message_name(name, strlen(name)) ==
	        name_cases[_i].plain,
	    "%s", name);
}
END_TEST

START_TEST(test_registry_lists_maildir_before_plain)
{
	const SgSpoolOps *const *formats = sg_spool_formats();
	int maildir = -1, plain = -1;

	for (int i = 0; formats[i] != NULL; i++) {
		if (strcmp(formats[i]->name, "maildir") == 0)
			maildir = i;
		if (strcmp(formats[i]->name, "plain") == 0)
			plain = i;
	}
	ck_assert_int_ge(maildir, 0);
	ck_assert_int_gt(plain, maildir);
	ck_assert_ptr_null(formats[plain + 1]);
	ck_assert_ptr_eq(sg_spool_find("plain"), formats[plain]);
	ck_assert_ptr_null(sg_spool_find("nonesuch"));
}
END_TEST

/* ---- walking ---------------------------------------------------------- */

START_TEST(test_walk_plain_tree_skips_non_messages_and_symlinks)
{
	g_autofree char *root = make_tree();
	g_autofree char *list = NULL;
	g_autofree char *fifo = g_build_filename(root, "pipe.eml", NULL);
	SgWalkOptions opts = { .now = wall_now() };
	SgWalkStats stats = { 0 };

	g_free(put_file(root, "a.eml", MSG_LF, -1));
	g_free(put_file(root, "B.EML", MSG_LF, -1));
	g_free(put_file(root, "123", MSG_LF, -1));
	g_free(put_file(root, "12a", MSG_LF, -1));
	g_free(put_file(root, "README", "not mail\n", -1));
	g_free(put_file(root, ".hidden.eml", MSG_LF, -1));
	g_free(put_file(root, ".dot/x.eml", MSG_LF, -1));
	g_free(put_file(root, "Badmail/0001.BAD", MSG_LF, -1));
	g_free(put_file(root, "Badmail/0001.BDR", "reason 0xc00402c7\n", -1));
	g_free(put_file(root, "sub/deeper/d.Eml", MSG_LF, -1));
	put_dir(root, "empty");
	put_link(root, "link.eml", "a.eml");
	put_link(root, "linkdir", "sub");
	put_link(root, "outside.eml", "/etc/passwd");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);

	list = walk_list(root, root, &opts, &stats);
	ck_assert_str_eq(list,
	    "plain:123 plain:12a plain:B.EML plain:Badmail/0001.BAD "
	    "plain:a.eml plain:sub/deeper/d.Eml");
	ck_assert_int_eq(stats.seen, 6);
	/* README .hidden.eml .dot 0001.BDR link.eml linkdir outside.eml
	 * pipe.eml */
	ck_assert_int_eq(stats.skipped, 8);
	ck_assert_int_eq(stats.errors, 0);
	remove_tree(root);
}
END_TEST

START_TEST(test_walk_candidates_carry_root_and_are_owned_by_callback)
{
	g_autofree char *root = make_tree();
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) msgs =
	    g_ptr_array_new_with_free_func((GDestroyNotify)sg_message_free);
	Collect c = { .root = root, .seen = seen, .msgs = msgs, .keep = TRUE };
	g_autofree char *path = put_file(root, "x/y.eml", MSG_LF, -1);
	GError *error = NULL;
	SgMessage *msg;

	ck_assert(sg_spool_walk(root, NULL, NULL, collect_one, &c, &error));
	ck_assert_uint_eq(msgs->len, 1);
	msg = g_ptr_array_index(msgs, 0);
	ck_assert_str_eq(msg->id, path);
	ck_assert_str_eq(msg->spool_root, root);
	ck_assert_str_eq(msg->format, "plain");
	ck_assert_ptr_eq(msg->ops, sg_spool_find("plain"));
	ck_assert_ptr_null(msg->ops->release_dir);
	remove_tree(root);
}
END_TEST

START_TEST(test_walk_maildir_never_reports_tmp)
{
	g_autofree char *root = make_tree();
	g_autofree char *md = g_build_filename(root, "Maildir", NULL);
	g_autofree char *list = NULL;
	g_autofree char *nested = NULL;
	SgWalkOptions opts = { .now = wall_now() };
	SgWalkStats stats = { 0 };
	SgWalkStats stats2 = { 0 };

	g_free(put_file(root, "Maildir/new/1763800000.M1P1.host", MSG_LF, -1));
	g_free(
	    put_file(root, "Maildir/cur/1763800001.M2P1.host:2,S", MSG_LF, -1));
	g_free(put_file(root, "Maildir/tmp/1763800002.M3P1.host", MSG_LF, -1));
	g_free(put_file(root, "Maildir/new/.nfs0001", MSG_LF, -1));
	g_free(put_file(root, "Maildir/dovecot-uidlist", "3 V1\n", -1));
	g_free(put_file(root, "Maildir/.Sent/cur/1763800003.M4P1.host:2,S",
	    MSG_LF, -1));
	g_free(put_file(root, "Maildir/.Sent/maildirfolder", "", 0));
	put_dir(root, "Maildir/.Sent/new");
	g_free(put_file(root, "Maildir/.Sent/tmp/1763800004.M5P1.host", MSG_LF,
	    -1));
	g_free(put_file(root, "Maildir/.Junk/x.eml", MSG_LF, -1));
	put_dir(root, "Maildir/new/subdir");

	list = walk_list(md, md, &opts, &stats);
	ck_assert_str_eq(list,
	    "maildir:.Sent/cur/1763800003.M4P1.host:2,S "
	    "maildir:cur/1763800001.M2P1.host:2,S "
	    "maildir:new/1763800000.M1P1.host");
	ck_assert_int_eq(stats.seen, 3);
	/* .nfs0001 dovecot-uidlist maildirfolder .Junk (no folder) subdir */
	ck_assert_int_eq(stats.skipped, 5);

	/* One maildir's new/ named on its own is that folder. */
	{
		g_autofree char *newdir = g_build_filename(md, "new", NULL);
		g_autofree char *tmpdir = g_build_filename(md, "tmp", NULL);
		g_autofree char *one = walk_list(newdir, newdir, &opts, NULL);
		g_autofree char *none = walk_list(tmpdir, tmpdir, &opts, NULL);

		ck_assert_str_eq(one, "maildir:1763800000.M1P1.host");
		/* Near miss: tmp/ is no message folder, and its names are
		 * no plain message names either. */
		ck_assert_str_eq(none, "");
	}

	/* A maildir met inside a plain tree is still a maildir. */
	g_free(put_file(root, "top.eml", MSG_LF, -1));
	nested = walk_list(root, root, &opts, &stats2);
	ck_assert_str_eq(nested,
	    "maildir:Maildir/.Sent/cur/1763800003.M4P1.host:2,S "
	    "maildir:Maildir/cur/1763800001.M2P1.host:2,S "
	    "maildir:Maildir/new/1763800000.M1P1.host plain:top.eml");
	remove_tree(root);
}
END_TEST

START_TEST(test_walk_skips_the_store_by_inode)
{
	g_autofree char *root = make_tree();
	g_autofree char *store = g_build_filename(root, "q", NULL);
	g_autofree char *alias = g_build_filename(root, "alias", NULL);
	g_autofree char *list = NULL;
	SgWalkOptions opts = { .now = wall_now() };
	SgWalkStats stats = { 0 };

	g_free(put_file(root, "q/2026/11/22/x/files/a.eml", MSG_LF, -1));
	g_free(put_file(root, "keep.eml", MSG_LF, -1));
	/* Named through a symlink outside the tree: not the same string. */
	ck_assert_int_eq(symlink(store, alias), 0);
	opts.exclude = alias;
	list = walk_list(root, root, &opts, &stats);
	ck_assert_str_eq(list, "plain:keep.eml");
	ck_assert_int_eq(stats.skipped, 2); /* q and the alias link */

	/* Near miss: without the exclusion the store's file is seen. */
	g_free(list);
	opts.exclude = NULL;
	list = walk_list(root, root, &opts, NULL);
	ck_assert_str_eq(list,
	    "plain:keep.eml plain:q/2026/11/22/x/files/a.eml");

	/* The store itself as the walked root: nothing. */
	g_free(list);
	opts.exclude = store;
	list = walk_list(root, store, &opts, NULL);
	ck_assert_str_eq(list, "");
	remove_tree(root);
}
END_TEST

START_TEST(test_walk_stops_at_the_depth_limit)
{
	g_autofree char *root = make_tree();
	GString *rel = g_string_new(NULL);
	g_autofree char *list = NULL;
	g_autofree char *want = NULL;
	g_autofree char *shallow = NULL;
	SgWalkOptions opts = { .now = wall_now() };
	SgWalkStats stats = { 0 };

	for (guint i = 1; i <= SG_SPOOL_MAX_DEPTH + 6; i++) {
		g_string_append(rel, "d/");
		if (i == SG_SPOOL_MAX_DEPTH || i == SG_SPOOL_MAX_DEPTH + 1) {
			g_autofree char *f =
			    g_strdup_printf("%sm%u.eml", rel->str, i);

			g_free(put_file(root, f, MSG_LF, -1));
			if (i == SG_SPOOL_MAX_DEPTH)
				shallow = g_strdup_printf("plain:%s", f);
		}
	}
	put_dir(root, rel->str);
	list = walk_list(root, root, &opts, &stats);
	ck_assert_str_eq(list, shallow);
	ck_assert_int_eq(stats.seen, 1);
	ck_assert_int_eq(stats.skipped, 1);
	g_string_free(rel, TRUE);
	remove_tree(root);
}
END_TEST

START_TEST(test_walk_missing_path_is_an_io_error_naming_it)
{
	g_autofree char *root = make_tree();
	g_autofree char *path = g_build_filename(root, "nope", NULL);
	g_autoptr(GError) error = NULL;
	Collect c = { 0 };

	ck_assert(!sg_spool_walk(path, NULL, NULL, collect_one, &c, &error));
	ck_assert(g_error_matches(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_IO));
	ck_assert_ptr_nonnull(strstr(error->message, path));
	remove_tree(root);
}
END_TEST

START_TEST(test_walk_file_argument_is_one_plain_message)
{
	g_autofree char *root = make_tree();
	g_autofree char *path = put_file(root, "README", MSG_LF, -1);
	g_autofree char *link = g_build_filename(root, "to-dir", NULL);
	g_autofree char *list = NULL;
	g_autofree char *list2 = NULL;
	SgWalkStats stats = { 0 };

	/* Named on the command line, any name is a message. */
	list = walk_list(root, path, NULL, &stats);
	ck_assert_str_eq(list, "plain:README");
	ck_assert_int_eq(stats.seen, 1);

	/* A symlink named on the command line is resolved once. */
	g_free(put_file(root, "d/x.eml", MSG_LF, -1));
	put_link(root, "to-dir", "d");
	list2 = walk_list(root, link, NULL, NULL);
	ck_assert_ptr_nonnull(
	    g_str_has_suffix(list2, "d/x.eml") ? list2 : NULL);
	ck_assert_ptr_null(strstr(list2, "to-dir"));
	remove_tree(root);
}
END_TEST

START_TEST(test_walk_stops_when_callback_says_so)
{
	g_autofree char *root = make_tree();
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
	Collect c = { .root = root, .seen = seen, .stop_after = 2 };
	GError *error = NULL;

	for (guint i = 0; i < 5; i++) {
		g_autofree char *rel = g_strdup_printf("s%u/%u.eml", i, i);

		g_free(put_file(root, rel, MSG_LF, -1));
	}
	ck_assert(sg_spool_walk(root, NULL, NULL, collect_one, &c, &error));
	ck_assert_uint_eq(seen->len, 2);
	remove_tree(root);
}
END_TEST

/* ---- open(): age, vanish, lock ------------------------------------- */

START_TEST(test_open_refuses_a_young_file_and_takes_an_old_one)
{
	g_autofree char *root = make_tree();
	g_autofree char *path = put_file(root, "new.eml", MSG_LF, -1);
	g_autoptr(GError) error = NULL;
	g_autoptr(SgMessage) young = NULL;
	g_autoptr(SgMessage) fine = NULL;
	g_autoptr(SgMessage) later = NULL;

	/* Just written: 300 s is not over. */
	young = open_file(path, 300, wall_now(), &error);
	ck_assert_ptr_null(young);
	ck_assert(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG));
	g_clear_error(&error);
	/* No minimum age: fine. */
	fine = open_file(path, 0, wall_now(), &error);
	ck_assert_msg(fine != NULL, "%s", error ? error->message : "");
	g_clear_pointer(&fine, sg_message_free);
	/* Seen from ten minutes later, both mtime and ctime are old. */
	later = open_file(path, 300, wall_now() + 600, &error);
	ck_assert_msg(later != NULL, "%s", error ? error->message : "");
	remove_tree(root);
}
END_TEST

START_TEST(test_open_counts_a_file_gone_since_the_walk_as_vanished)
{
	g_autofree char *root = make_tree();
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) msgs =
	    g_ptr_array_new_with_free_func((GDestroyNotify)sg_message_free);
	Collect c = { .root = root, .seen = seen, .msgs = msgs, .keep = TRUE };
	g_autofree char *path = put_file(root, "gone.eml", MSG_LF, -1);
	SgWalkOptions opts = { .now = wall_now() };
	g_autoptr(GError) error = NULL;
	SgMessage *msg;

	ck_assert(sg_spool_walk(root, &opts, NULL, collect_one, &c, &error));
	ck_assert_uint_eq(msgs->len, 1);
	ck_assert_int_eq(unlink(path), 0);
	msg = g_ptr_array_index(msgs, 0);
	ck_assert(!msg->ops->open(msg, NULL, &opts, &error));
	ck_assert(
	    g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED));
	remove_tree(root);
}
END_TEST

START_TEST(test_open_reports_busy_while_another_holds_the_flock)
{
	g_autofree char *root = make_tree();
	g_autofree char *path = put_file(root, "locked.eml", MSG_LF, -1);
	g_autoptr(GError) error = NULL;
	g_autoptr(SgMessage) busy = NULL;
	g_autoptr(SgMessage) free_now = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	busy = open_file(path, 0, 0, &error);
	ck_assert_ptr_null(busy);
	ck_assert(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY));
	g_clear_error(&error);
	/* Near miss: once the holder lets go, the message opens. */
	close(fd);
	free_now = open_file(path, 0, 0, &error);
	ck_assert_msg(free_now != NULL, "%s", error ? error->message : "");
	remove_tree(root);
}
END_TEST

/*
 * Every kind of lock, and a writer, held by a helper process, on a plain
 * message and on a maildir one (issue: IIS-style pickup writers and many
 * MDAs use POSIX locks, and only flock() was honoured).  @open_fails: the
 * error open() gives (0: it reads); @move_fails: the error prepare_move()
 * gives just before a move.  @late: the helper takes its lock after the
 * message was read, before the move.
 */
typedef enum {
	HOLD_FLOCK_EX,
	HOLD_FLOCK_SH,
	HOLD_POSIX_WR,
	HOLD_POSIX_RD,
	HOLD_LOCKF,
	HOLD_OFD_WR,
	HOLD_OFD_RD,
	HOLD_WRITER,
	HOLD_READER,
} HoldKind;

static const struct {
	const char *what;
	HoldKind kind;
	gboolean maildir;
	gboolean late;
	int open_fails; /* SgCoreError + 1, 0: opens */
	int move_fails; /* same, for prepare_move() */
} hold_cases[] = {
#define E(code) (SG_CORE_ERROR_##code + 1)
	{ "flock exclusive", HOLD_FLOCK_EX, FALSE, FALSE, E(BUSY), 0 },
	{ "flock shared", HOLD_FLOCK_SH, FALSE, FALSE, 0, E(BUSY) },
	{ "fcntl write lock", HOLD_POSIX_WR, FALSE, FALSE, E(BUSY), 0 },
	{ "fcntl read lock", HOLD_POSIX_RD, FALSE, FALSE, E(BUSY), 0 },
	{ "lockf on the first bytes", HOLD_LOCKF, FALSE, FALSE, E(BUSY), 0 },
	{ "OFD write lock mid-file", HOLD_OFD_WR, FALSE, FALSE, E(BUSY), 0 },
	{ "OFD read lock", HOLD_OFD_RD, FALSE, FALSE, E(BUSY), 0 },
	{ "open for writing", HOLD_WRITER, FALSE, FALSE, E(YOUNG), 0 },
	{ "open for reading only", HOLD_READER, FALSE, FALSE, 0, 0 },
	{ "maildir: fcntl write lock", HOLD_POSIX_WR, TRUE, FALSE, E(BUSY), 0 },
	{ "maildir: lockf", HOLD_LOCKF, TRUE, FALSE, E(BUSY), 0 },
	{ "maildir: OFD read lock", HOLD_OFD_RD, TRUE, FALSE, E(BUSY), 0 },
	{ "maildir: flock exclusive", HOLD_FLOCK_EX, TRUE, FALSE, E(BUSY), 0 },
	{ "maildir: open for writing", HOLD_WRITER, TRUE, FALSE, E(YOUNG), 0 },
	{ "late fcntl write lock", HOLD_POSIX_WR, FALSE, TRUE, 0, E(BUSY) },
	{ "late lockf", HOLD_LOCKF, TRUE, TRUE, 0, E(BUSY) },
	{ "late OFD read lock", HOLD_OFD_RD, FALSE, TRUE, 0, E(BUSY) },
	{ "late writer", HOLD_WRITER, FALSE, TRUE, 0, E(YOUNG) },
#undef E
};

/* The helper: takes @kind on @path, says so on @ready, waits to die. */
static pid_t
hold_start(const char *path, HoldKind kind)
{
	int pfd[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct flock fl = { .l_whence = SEEK_SET };
		/* write access only where the kind needs it */
		gboolean rw = kind == HOLD_POSIX_WR || kind == HOLD_LOCKF ||
		    kind == HOLD_OFD_WR || kind == HOLD_WRITER;
		int fd = open(path, rw ? O_RDWR : O_RDONLY);
		int ok = fd >= 0;

		switch (kind) {
		case HOLD_FLOCK_EX:
			ok = ok && flock(fd, LOCK_EX) == 0;
			break;
		case HOLD_FLOCK_SH:
			ok = ok && flock(fd, LOCK_SH) == 0;
			break;
		case HOLD_POSIX_WR:
		case HOLD_POSIX_RD:
			fl.l_type = kind == HOLD_POSIX_WR ? F_WRLCK : F_RDLCK;
			ok = ok && fcntl(fd, F_SETLK, &fl) == 0;
			break;
		case HOLD_LOCKF:
			ok = ok && lockf(fd, F_TLOCK, 10) == 0;
			break;
		case HOLD_OFD_WR:
		case HOLD_OFD_RD:
			fl.l_type = kind == HOLD_OFD_WR ? F_WRLCK : F_RDLCK;
			fl.l_start = kind == HOLD_OFD_WR ? 5 : 0;
			fl.l_len = kind == HOLD_OFD_WR ? 7 : 0;
			ok = ok && fcntl(fd, F_OFD_SETLK, &fl) == 0;
			break;
		case HOLD_WRITER:
		case HOLD_READER:
			break;
		}
		if (!ok || write(pfd[1], "L", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	ck_assert_msg(read(pfd[0], &c, 1) == 1, "the helper could not lock");
	close(pfd[0]);
	return pid;
}

static void
hold_stop(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static void
hold_expect(gboolean ok, const GError *error, int want, const char *what,
    const char *step)
{
	if (want == 0) {
		ck_assert_msg(ok, "%s: %s failed: %s", what, step,
		    error != NULL ? error->message : "?");
		return;
	}
	ck_assert_msg(!ok, "%s: %s succeeded while held", what, step);
	ck_assert_msg(g_error_matches(error, SG_CORE_ERROR, want - 1),
	    "%s: %s: %s", what, step, error->message);
}

START_TEST(test_every_lock_kind_keeps_a_plain_message_in_place)
{
	g_autofree char *root = make_tree();
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;
	SgWalkOptions opts = { .now = wall_now() };
	SgMessage *msg;
	gboolean ok;
	pid_t pid = 0;

	if (hold_cases[_i].maildir) {
		put_dir(root, "md/cur");
		put_dir(root, "md/tmp");
		path = put_file(root, "md/new/1.host", MSG_LF, -1);
	} else {
		path = put_file(root, "pickup/a.eml", MSG_LF, -1);
	}
	msg = sg_spool_message_for_file(path);
	ck_assert_str_eq(msg->format,
	    hold_cases[_i].maildir ? "maildir" : "plain");
	if (!hold_cases[_i].late)
		pid = hold_start(path, hold_cases[_i].kind);
	ok = msg->ops->open(msg, NULL, &opts, &error);
	hold_expect(ok, error, hold_cases[_i].open_fails, hold_cases[_i].what,
	    "open");
	if (ok) {
		g_clear_error(&error);
		if (hold_cases[_i].late)
			pid = hold_start(path, hold_cases[_i].kind);
		ok = msg->ops->prepare_move(msg, &error);
		hold_expect(ok, error, hold_cases[_i].move_fails,
		    hold_cases[_i].what, "prepare_move");
	}
	sg_message_free(msg);
	g_clear_error(&error);
	hold_stop(pid);
	/* near miss: the holder is gone, the message may move */
	msg = sg_spool_message_for_file(path);
	ck_assert_msg(msg->ops->open(msg, NULL, &opts, &error), "%s",
	    error ? error->message : "");
	ck_assert_msg(msg->ops->prepare_move(msg, &error), "%s",
	    error ? error->message : "");
	sg_message_free(msg);
	remove_tree(root);
}
END_TEST

/* A file in a maildir's tmp/ named on the command line: read, never moved. */
START_TEST(test_maildir_tmp_file_is_read_but_never_moved)
{
	g_autofree char *root = make_tree();
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;
	SgWalkOptions scan = { .now = wall_now() };
	SgWalkOptions ro = { .read_only = TRUE };
	g_autoptr(SgMessage) msg = NULL;
	g_autoptr(SgMessage) again = NULL;

	put_dir(root, "md/new");
	put_dir(root, "md/cur");
	path = put_file(root, "md/tmp/1.host", MSG_LF, -1);
	msg = sg_spool_message_for_file(path);
	ck_assert_str_eq(msg->format, "maildir");
	ck_assert_str_eq(msg->queue_name, "tmp");
	ck_assert(!msg->ops->open(msg, NULL, &scan, &error));
	ck_assert(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG));
	again = sg_spool_message_for_file(path);
	ck_assert(again->ops->open(again, NULL, &ro, NULL));
	remove_tree(root);
}
END_TEST

START_TEST(test_open_refuses_a_symlink_candidate)
{
	g_autofree char *root = make_tree();
	g_autofree char *path = put_file(root, "real.eml", MSG_LF, -1);
	g_autofree char *link = g_build_filename(root, "link.eml", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(SgMessage) msg =
	    sg_message_new(sg_spool_find("plain"), "plain", link);
	SgWalkOptions opts = { 0 };

	/* Swapped for a symlink after the walk listed it. */
	ck_assert_int_eq(symlink(path, link), 0);
	sg_message_add_file(msg, link, "message");
	ck_assert(!msg->ops->open(msg, NULL, &opts, &error));
	ck_assert(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_SKIP));
	remove_tree(root);
}
END_TEST

START_TEST(test_message_for_file_resolves_a_named_symlink_once)
{
	g_autofree char *root = make_tree();
	g_autofree char *path = put_file(root, "real.eml", MSG_LF, -1);
	g_autofree char *link = g_build_filename(root, "link.eml", NULL);
	g_autofree char *real = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(SgMessage) msg = NULL;
	g_autoptr(SgMessage) direct = sg_spool_message_for_file(path);

	ck_assert_int_eq(symlink(path, link), 0);
	real = realpath(path, NULL);
	msg = open_file(link, 0, 0, &error);
	ck_assert_msg(msg != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq(msg->id, real);
	ck_assert_str_eq(sg_message_file(msg, 0)->path, real);
	ck_assert_str_eq(g_hash_table_lookup(msg->props, "resolved-from"),
	    link);
	/* A file named in a maildir's cur/ is a maildir message. */
	{
		g_autofree char *md =
		    put_file(root, "Maildir/cur/1.host:2,S", MSG_LF, -1);
		g_autoptr(SgMessage) one = NULL;

		put_dir(root, "Maildir/new");
		one = sg_spool_message_for_file(md);
		ck_assert_str_eq(one->format, "maildir");
		ck_assert_ptr_eq(one->ops, sg_spool_find("maildir"));
	}
	/* Near miss: a plain path stays as given, with no props. */
	ck_assert_ptr_nonnull(direct);
	ck_assert_str_eq(direct->id, path);
	ck_assert_ptr_null(direct->props);
	ck_assert_str_eq(direct->format, "plain");
	ck_assert_str_eq(direct->spool_root, root);
	remove_tree(root);
}
END_TEST

/* ---- the IIS envelope ---------------------------------------------- */

typedef struct {
	const char *what;
	const char *data;
	const char *sender;  /* NULL: none */
	const char *rcpts;   /* space-separated, "" for none */
	const char *content; /* the content window starts with this */
	gboolean envelope;   /* iis-envelope prop set */
} EnvCase;

static const EnvCase env_cases[] = {
	{ "crlf",
	    "x-sender: <a@example.org>\r\nx-receiver: <b@example.net>\r\n"
	    "X-Receiver: c@example.net\r\n" MSG_CRLF,
	    "a@example.org", "b@example.net c@example.net", "From: ", TRUE },
	{ "lf", "X-SENDER: a@example.org\nx-receiver:<b@example.net>\n" MSG_LF,
	    "a@example.org", "b@example.net", "From: ", TRUE },
	{ "tab and trailing blanks",
	    "x-sender:\t<a@example.org> \t\r\nx-receiver:   b@example.net  "
	    "\n" MSG_LF,
	    "a@example.org", "b@example.net", "From: ", TRUE },
	{ "sender only", "x-sender: <a@example.org>\r\n" MSG_CRLF,
	    "a@example.org", "", "From: ", TRUE },
	{ "receiver without sender", "x-receiver: <b@example.net>\n" MSG_LF,
	    NULL, "b@example.net", "From: ", TRUE },
	{ "null sender", "x-sender: <>\nx-receiver: <b@example.net>\n" MSG_LF,
	    "", "b@example.net", "From: ", TRUE },
	{ "no envelope", MSG_LF, NULL, "", "From: ", FALSE },
	{ "x-sender-ip is a header", "X-Sender-IP: 192.0.2.1\n" MSG_LF, NULL,
	    "", "X-Sender-IP", FALSE },
	{ "x-receivers is a header", "x-receivers: b@example.net\n" MSG_LF,
	    NULL, "", "x-receivers", FALSE },
	{ "mixed prefix is a header", "x-reder: b@example.net\n" MSG_LF, NULL,
	    "", "x-reder", FALSE },
	{ "envelope only", "x-sender: <a@example.org>\r\nx-receiver: <b@x>",
	    "a@example.org", "b@x", "", TRUE },
	{ "ends at a partial name", "x-sender: <a@example.org>\nx-se",
	    "a@example.org", "", "x-se", TRUE },
	{ "empty file", "", NULL, "", "", FALSE },
};

/* Where (addr, len) of @a sits in @data. */
static goffset
expected_offset(const char *data, const char *from, const char *addr)
{
	const char *at = strstr(from, addr);

	ck_assert_ptr_nonnull(at);
	return at - data;
}

START_TEST(test_envelope_lines_become_the_envelope)
{
	const EnvCase *t = &env_cases[_i];
	g_autofree char *root = make_tree();
	g_autofree char *path = put_file(root, "m.eml", t->data, -1);
	g_autoptr(GError) error = NULL;
	g_autoptr(SgMessage) msg = open_file(path, 0, 0, &error);
	g_auto(GStrv) want = g_strsplit(t->rcpts, " ", -1);
	g_autofree char *content = NULL;
	gsize want_n = t->rcpts[0] != '\0' ? g_strv_length(want) : 0;
	gsize clen = 0, size = strlen(t->data);
	const char *cursor = t->data;
	guint file = 9;
	goffset off = -1;

	ck_assert_msg(msg != NULL, "%s: %s", t->what,
	    error ? error->message : "");
	if (t->sender == NULL) {
		ck_assert_msg(msg->sender == NULL, "%s", t->what);
	} else {
		ck_assert_msg(msg->sender != NULL, "%s", t->what);
		ck_assert_str_eq(msg->sender->address, t->sender);
		ck_assert_uint_eq(msg->sender->length, strlen(t->sender));
		ck_assert_uint_eq(msg->sender->file, 0);
		if (t->sender[0] != '\0') {
			ck_assert_int_eq(msg->sender->offset,
			    expected_offset(t->data, t->data, t->sender));
		}
	}
	ck_assert_msg(msg->recipients->len == want_n, "%s: %u recipients",
	    t->what, msg->recipients->len);
	ck_assert_uint_eq(msg->rcpt_total, want_n);
	for (gsize i = 0; i < want_n; i++) {
		SgAddress *a = g_ptr_array_index(msg->recipients, i);

		ck_assert_str_eq(a->address, want[i]);
		ck_assert_uint_eq(a->length, strlen(want[i]));
		off = expected_offset(t->data, cursor, want[i]);
		ck_assert_int_eq(a->offset, off);
		cursor = t->data + off;
	}
	ck_assert_msg((msg->props != NULL &&
	                  g_strcmp0(g_hash_table_lookup(msg->props,
	                                "iis-envelope"),
	                      "yes") == 0) == t->envelope,
	    "%s", t->what);

	/* The window starts where the headers do and runs to the end. */
	content = read_content(msg, &clen);
	ck_assert_msg(g_str_has_prefix(content, t->content), "%s: '%s'",
	    t->what, content);
	ck_assert_str_eq(content, t->data + (size - clen));
	ck_assert_int_eq(msg->content_size, (goffset)clen);
	ck_assert(sg_message_locate(msg, 0, &file, &off));
	ck_assert_uint_eq(file, 0);
	ck_assert_int_eq(off, (goffset)(size - clen));
	remove_tree(root);
}
END_TEST

START_TEST(test_envelope_of_50000_recipients_is_read_whole)
{
	g_autofree char *root = make_tree();
	GString *s = g_string_new("x-sender: <list@example.org>\r\n");
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(SgMessage) msg = NULL;
	gsize header_at;
	goffset last_at = 0;
	SgAddress *last;
	guint file;
	goffset off;
	gint64 t0;

	for (guint i = 0; i < 50000; i++) {
		last_at = (goffset)s->len + 13;
		g_string_append_printf(s,
		    "x-receiver: <user%u@example.net>\r\n", i);
	}
	header_at = s->len;
	g_string_append(s, MSG_CRLF);
	path = put_file(root, "big.eml", s->str, (gssize)s->len);

	t0 = g_get_monotonic_time();
	msg = open_file(path, 0, 0, &error);
	ck_assert_msg(msg != NULL, "%s", error ? error->message : "");
	/* Linear: well under a second even with sanitizers. */
	ck_assert_int_lt(g_get_monotonic_time() - t0,
	    5 * G_USEC_PER_SEC *
	        (g_getenv("SPOOLGUARD_TIME_FACTOR") != NULL ? 20 : 1));
	ck_assert_uint_eq(msg->rcpt_total, 50000);
	/* The core keeps the first SG_RECIPIENTS_KEEP; the count goes on. */
	ck_assert_uint_eq(msg->recipients->len, MIN(50000, SG_RECIPIENTS_KEEP));
	last = g_ptr_array_index(msg->recipients, msg->recipients->len - 1);
	if (msg->recipients->len == 50000) {
		ck_assert_str_eq(last->address, "user49999@example.net");
		ck_assert_int_eq(last->offset, last_at);
	} else {
		ck_assert_ptr_nonnull(msg->rcpt_dropped_longest);
		g_autofree char *first_dropped =
		    g_strdup_printf("user%u@example.net",
		        (guint)SG_RECIPIENTS_KEEP);

		ck_assert_str_eq(msg->rcpt_dropped_longest->address,
		    first_dropped);
	}
	ck_assert(sg_message_locate(msg, 0, &file, &off));
	ck_assert_int_eq(off, (goffset)header_at);
	ck_assert_int_eq(msg->content_size, (goffset)(s->len - header_at));
	g_string_free(s, TRUE);
	remove_tree(root);
}
END_TEST

START_TEST(test_envelope_keeps_the_length_of_a_huge_address)
{
	g_autofree char *root = make_tree();
	GString *s = g_string_new("x-receiver: <");
	const gsize huge = 200000;
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(SgMessage) msg = NULL;
	SgAddress *a;
	guint file;
	goffset off;

	for (gsize i = 0; i < huge; i++)
		g_string_append_c(s, 'a' + (char)(i % 26));
	g_string_append(s, "@example.net>\r\nx-receiver: <b@example.net>\r\n");
	g_string_append(s, MSG_CRLF);
	path = put_file(root, "huge.eml", s->str, (gssize)s->len);
	msg = open_file(path, 0, 0, &error);
	ck_assert_msg(msg != NULL, "%s", error ? error->message : "");
	ck_assert_uint_eq(msg->recipients->len, 2);
	a = g_ptr_array_index(msg->recipients, 0);
	ck_assert_uint_eq(a->length, huge + strlen("@example.net"));
	ck_assert_uint_eq(strlen(a->address), SG_ADDRESS_KEEP);
	ck_assert_int_eq(memcmp(a->address, s->str + 13, SG_ADDRESS_KEEP), 0);
	ck_assert_int_eq(a->offset, 13);
	a = g_ptr_array_index(msg->recipients, 1);
	ck_assert_str_eq(a->address, "b@example.net");
	ck_assert(sg_message_locate(msg, 0, &file, &off));
	ck_assert_int_eq(off, (goffset)(s->len - strlen(MSG_CRLF)));
	g_string_free(s, TRUE);
	remove_tree(root);
}
END_TEST

/* ---- the committed fixtures --------------------------------------- */

static char *
testdata(const char *rel)
{
	const char *top = g_getenv("SPOOLGUARD_TESTDATA");

	if (top == NULL)
		top = "testdata";
	return g_build_filename(top, rel, NULL);
}

/* A NUL inside an envelope address fires container.nul at its byte. */
static const struct {
	const char *fixture;
	goffset nul_at; /* -1: no finding */
} env_nul_cases[] = {
	{ "spool/envelope/nul-in-sender.eml", 15 },
	{ "spool/envelope/utf8-sender.eml", -1 },
};

START_TEST(test_envelope_nul_is_a_container_finding)
{
	g_autofree char *path = testdata(env_nul_cases[_i].fixture);
	g_autoptr(GError) error = NULL;
	g_autoptr(SgMessage) msg = open_file(path, 0, 0, &error);
	guint n = 0;

	ck_assert_msg(msg != NULL, "%s", error ? error->message : "");
	ck_assert_ptr_nonnull(msg->sender);
	for (guint i = 0; i < msg->findings->len; i++) {
		const SgFinding *f = g_ptr_array_index(msg->findings, i);

		ck_assert_int_eq(f->rule, SG_RULE_CONTAINER_NUL);
		ck_assert_int_eq(f->severity, SG_SEVERITY_QUARANTINE);
		ck_assert_int_eq(f->offset, env_nul_cases[_i].nul_at);
		n++;
	}
	ck_assert_uint_eq(n, env_nul_cases[_i].nul_at >= 0 ? 1 : 0);
}
END_TEST

/* A byte order mark before x-sender: the envelope is still read. */
START_TEST(test_envelope_after_a_byte_order_mark_is_read)
{
	g_autofree char *path = testdata("spool/envelope/bom-envelope.eml");
	g_autoptr(GError) error = NULL;
	g_autoptr(SgMessage) msg = open_file(path, 0, 0, &error);
	guint file;
	goffset off;

	ck_assert_msg(msg != NULL, "%s", error ? error->message : "");
	ck_assert_ptr_nonnull(msg->sender);
	ck_assert_str_eq(msg->sender->address, "a@b.example");
	ck_assert_int_eq(msg->sender->offset, 14); /* 3 + "x-sender: <" */
	ck_assert_uint_eq(msg->rcpt_total, 1);
	ck_assert(sg_message_locate(msg, 0, &file, &off));
	ck_assert_int_eq(off, 55); /* "From:" */
}
END_TEST

START_TEST(test_fixture_pickup_folder_has_three_messages_one_enveloped)
{
	g_autofree char *root = testdata("spool/plain");
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) msgs =
	    g_ptr_array_new_with_free_func((GDestroyNotify)sg_message_free);
	Collect c = { .root = root, .seen = seen, .msgs = msgs, .keep = TRUE };
	SgWalkOptions opts = { .now = wall_now() };
	SgWalkStats stats = { 0 };
	g_autoptr(GError) error = NULL;
	guint enveloped = 0;

	ck_assert_msg(sg_spool_walk(root, &opts, &stats, collect_one, &c,
	                  &error),
	    "%s", error ? error->message : "");
	ck_assert_int_eq(stats.seen, (gint)msgs->len);
	ck_assert_uint_ge(msgs->len, 3);
	for (guint i = 0; i < msgs->len; i++) {
		SgMessage *msg = g_ptr_array_index(msgs, i);

		ck_assert_str_eq(msg->format, "plain");
		ck_assert_msg(msg->ops->open(msg, NULL, &opts, &error), "%s",
		    error ? error->message : "");
		ck_assert_int_gt(msg->content_size, 0);
		if (msg->sender != NULL) {
			enveloped++;
			ck_assert_uint_gt(msg->recipients->len, 0);
		}
	}
	ck_assert_uint_eq(enveloped, 1);
	/* The .BDR report beside the .BAD message is not a message. */
	ck_assert_int_ge(stats.skipped, 1);
}
END_TEST

START_TEST(test_fixture_maildir_is_detected_and_tmp_ignored)
{
	g_autofree char *root = testdata("spool/maildir");
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
	Collect c = { .root = root, .seen = seen };
	SgWalkOptions opts = { .now = wall_now() };
	g_autoptr(GError) error = NULL;
	g_autofree char *list = NULL;

	ck_assert_msg(sg_spool_walk(root, &opts, NULL, collect_one, &c, &error),
	    "%s", error ? error->message : "");
	list = join_sorted(seen);
	ck_assert_msg(seen->len >= 2, "%s", list);
	ck_assert_ptr_null(strstr(list, "tmp/"));
	ck_assert_ptr_null(strstr(list, "plain:"));
	ck_assert_ptr_nonnull(strstr(list, "maildir:new/"));
	ck_assert_ptr_nonnull(strstr(list, "maildir:cur/"));
}
END_TEST

/* ---- single files named on the command line ------------------------ */

#define EXIM_ID "1xUyrX-0002id-2I"
#define EXIM_SPLIT_ID "1xUyrX-0002iX-2I" /* 6th character: X */
#define SM_ID "6AM3pYXX009348"

typedef struct {
	const char *what;
	const char *const *files; /* NULL-terminated rel paths (the dirs of
	                             a name ending in '/' are made) */
	const char *named;        /* the file given */
	const char *format;       /* expected format */
	guint nfiles;             /* files listed in the candidate */
	const char *queue;        /* expected queue_name, NULL: none */
	const char *root;         /* expected spool_root under the tree */
} SingleCase;

static const char *const pf_root[] = { "pf/incoming/", "pf/active/", "pf/hold/",
	"pf/deferred/7/7C985A7678A", NULL };
static const char *const pf_no_root[] = { "pf/deferred/7/7C985A7678A", NULL };
static const char *const ex_pair[] = { "ex/input/" EXIM_ID "-H",
	"ex/input/" EXIM_ID "-D", "ex/msglog/" EXIM_ID, NULL };
static const char *const ex_split[] = { "ex/input/X/" EXIM_SPLIT_ID "-H",
	"ex/input/X/" EXIM_SPLIT_ID "-D", "ex/msglog/X/" EXIM_SPLIT_ID, NULL };
static const char *const ex_lone[] = { "ex/input/" EXIM_ID "-H", NULL };
static const char *const ex_lone_other[] = { "ex/input/" EXIM_ID "-D", NULL };
static const char *const ex_bad_id[] = { "ex/input/1xUyrX-0002id-H",
	"ex/input/1xUyrX-0002id-D", NULL };
static const char *const sm_flat[] = { "mqueue/qf" SM_ID, "mqueue/df" SM_ID,
	NULL };
static const char *const sm_split[] = { "mq/qf/qf" SM_ID, "mq/df/df" SM_ID,
	"mq/xf/xf" SM_ID, NULL };
static const char *const sm_lone_qf[] = { "mqueue/qf" SM_ID, NULL };
static const char *const sm_lone_df[] = { "mqueue/df" SM_ID, NULL };

static const SingleCase single_cases[] = {
	{ "postfix hashed deferred", pf_root, "pf/deferred/7/7C985A7678A",
	    "postfix", 1, "deferred", "pf" },
	{ "postfix-like path without a queue root", pf_no_root,
	    "pf/deferred/7/7C985A7678A", "plain", 1, NULL, "pf/deferred/7" },
	{ "exim -D with its -H and msglog", ex_pair, "ex/input/" EXIM_ID "-D",
	    "exim", 3, "input", "ex" },
	{ "exim -H with its -D and msglog", ex_pair, "ex/input/" EXIM_ID "-H",
	    "exim", 3, "input", "ex" },
	{ "exim split_spool_directory", ex_split,
	    "ex/input/X/" EXIM_SPLIT_ID "-H", "exim", 3, "input", "ex" },
	{ "exim lone -H naming itself", ex_lone, "ex/input/" EXIM_ID "-H",
	    "exim", 1, "input", "ex" },
	{ "exim-named -D whose first line is not its name", ex_lone_other,
	    "ex/input/" EXIM_ID "-D", "plain", 1, NULL, "ex/input" },
	{ "exim-like names with a bad id", ex_bad_id,
	    "ex/input/1xUyrX-0002id-H", "plain", 1, NULL, "ex/input" },
	{ "sendmail df with its qf", sm_flat, "mqueue/df" SM_ID, "sendmail", 2,
	    "mqueue", "mqueue" },
	{ "sendmail split qf/ df/ xf/", sm_split, "mq/qf/qf" SM_ID, "sendmail",
	    3, "mqueue", "mq" },
	{ "sendmail lone qf starting with V", sm_lone_qf, "mqueue/qf" SM_ID,
	    "sendmail", 1, "mqueue", "mqueue" },
	{ "sendmail lone df", sm_lone_df, "mqueue/df" SM_ID, "plain", 1, NULL,
	    "mqueue" },
};

/* What each made file holds: Exim files start with their own name. */
static char *
single_content(const SingleCase *c, const char *rel)
{
	g_autofree char *base = g_path_get_basename(rel);
	gsize n = strlen(base);

	if (c->files == ex_lone_other)
		return g_strdup(MSG_LF);
	if (n > 2 && base[n - 2] == '-')
		return g_strconcat(base, "\n", MSG_LF, NULL);
	if (strncmp(base, "qf", 2) == 0)
		return g_strdup("V8\nT1\nS<a@example.org>\n.\n");
	return g_strdup(MSG_LF);
}

START_TEST(test_message_for_file_is_claimed_by_its_format)
{
	const SingleCase *c = &single_cases[_i];
	g_autofree char *root = make_tree();
	g_autofree char *named = g_build_filename(root, c->named, NULL);
	g_autofree char *real_root = NULL;
	g_autofree char *want_root = NULL;
	g_autoptr(SgMessage) msg = NULL;

	for (guint i = 0; c->files[i] != NULL; i++) {
		gsize n = strlen(c->files[i]);

		if (c->files[i][n - 1] == '/') {
			put_dir(root, c->files[i]);
		} else {
			g_autofree char *data = single_content(c, c->files[i]);
			g_autofree char *p =
			    put_file(root, c->files[i], data, -1);
		}
	}
	real_root = realpath(root, NULL);
	msg = sg_spool_message_for_file(named);
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(strcmp(msg->format, c->format) == 0, "%s: format %s",
	    c->what, msg->format);
	ck_assert_ptr_eq(msg->ops, sg_spool_find(c->format));
	ck_assert_msg(msg->files->len == c->nfiles, "%s: %u files", c->what,
	    msg->files->len);
	if (c->queue == NULL)
		ck_assert_ptr_null(msg->queue_name);
	else
		ck_assert_str_eq(msg->queue_name, c->queue);
	/* plain keeps the path as given; MTA readers resolve it */
	want_root =
	    g_build_filename(strcmp(c->format, "plain") == 0 ? root : real_root,
	        c->root, NULL);
	ck_assert_msg(strcmp(msg->spool_root, want_root) == 0,
	    "%s: root %s, want %s", c->what, msg->spool_root, want_root);
	remove_tree(root);
}
END_TEST

/* Takes an OFD write lock as the MTA would (F_OFD_SETLK, non-blocking). */
static gboolean
mta_lock(int fd, off_t len)
{
	struct flock fl = { .l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = len };

	return fcntl(fd, F_OFD_SETLK, &fl) == 0;
}

static const struct {
	const char *format;
	const char *fixtures[2]; /* under testdata/spool/ */
	const char *named;       /* basename of the file given */
	guint locked;            /* index in fixtures[] the MTA locks */
	off_t lock_len;          /* 0: whole file */
} ro_cases[] = {
	{ "exim", { "exim/input/" EXIM_ID "-H", "exim/input/" EXIM_ID "-D" },
	    EXIM_ID "-H", 1, sizeof(EXIM_ID "-D\n") - 1 },
	{ "sendmail",
	    { "sendmail/mqueue/qf" SM_ID, "sendmail/mqueue/df" SM_ID },
	    "df" SM_ID, 0, 0 },
};

/*
 * check and inspect (read_only) take no lock: they read a message the
 * MTA has locked, and the MTA can still lock one they have open.  A scan
 * that may move it (not read_only) is BUSY while the MTA holds the lock.
 */
START_TEST(test_read_only_open_never_blocks_the_mta)
{
	g_autofree char *root = make_tree();
	g_autofree char *named =
	    g_build_filename(root, ro_cases[_i].named, NULL);
	g_autofree char *locked = NULL;
	SgWalkOptions ro = { .read_only = TRUE, .now = wall_now() };
	SgWalkOptions rw = { .now = wall_now() };
	g_autoptr(GError) error = NULL;
	int fd;

	for (guint i = 0; i < 2; i++) {
		g_autofree char *rel =
		    g_build_filename("spool", ro_cases[_i].fixtures[i], NULL);
		g_autofree char *src = testdata(rel);
		g_autofree char *base = g_path_get_basename(src);
		g_autofree char *data = NULL;
		gsize len;
		g_autofree char *p = NULL;

		ck_assert(g_file_get_contents(src, &data, &len, NULL));
		p = put_file(root, base, data, (gssize)len);
		if (i == ro_cases[_i].locked)
			locked = g_steal_pointer(&p);
	}
	/* the MTA holds its lock */
	fd = open(locked, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert(mta_lock(fd, ro_cases[_i].lock_len));
	{
		g_autoptr(SgMessage) msg = sg_spool_message_for_file(named);

		ck_assert_str_eq(msg->format, ro_cases[_i].format);
		ck_assert_msg(msg->ops->open(msg, NULL, &ro, &error), "%s",
		    error ? error->message : "");
		ck_assert_str_eq(g_hash_table_lookup(msg->props, "mta-lock"),
		    "held");
	}
	{
		g_autoptr(SgMessage) msg = sg_spool_message_for_file(named);

		ck_assert(!msg->ops->open(msg, NULL, &rw, &error));
		ck_assert(
		    g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY));
		g_clear_error(&error);
	}
	close(fd); /* the MTA lets go */
	{
		g_autoptr(SgMessage) msg = sg_spool_message_for_file(named);
		int mta;

		ck_assert(msg->ops->open(msg, NULL, &ro, &error));
		ck_assert(msg->props == NULL ||
		    !g_hash_table_contains(msg->props, "mta-lock"));
		/* while we read, the MTA can still take its lock */
		mta = open(locked, O_RDWR | O_CLOEXEC);
		ck_assert_int_ge(mta, 0);
		ck_assert(mta_lock(mta, ro_cases[_i].lock_len));
		close(mta);
	}
	remove_tree(root);
}
END_TEST

/* ---- mbox ------------------------------------------------------------- */

#define FROM_ALICE "From alice@example.org Thu Nov 22 03:15:02 2026\n"
#define FROM_MALLORY "From mallory@example.net Thu Nov 22 03:16:02 2026\n"
#define FROM_NULL "From MAILER-DAEMON Fri Nov 23 10:00:00 2026\n"

/* The candidates of one mbox walk, kept, in order. */
static gboolean
mbox_collect(SgMessage *msg, gpointer user_data)
{
	GPtrArray *msgs = user_data;

	ck_assert_str_eq(msg->format, "mbox");
	ck_assert(msg->no_move);
	ck_assert_uint_eq(msg->files->len, 1);
	ck_assert_str_eq(sg_message_file(msg, 0)->role, "mbox");
	g_ptr_array_add(msgs, msg);
	return TRUE;
}

static GPtrArray *
mbox_walk(const char *path, const SgWalkOptions *opts)
{
	GPtrArray *msgs =
	    g_ptr_array_new_with_free_func((GDestroyNotify)sg_message_free);
	GError *error = NULL;

	ck_assert_msg(sg_spool_walk(path, opts, NULL, mbox_collect, msgs,
	                  &error),
	    "walk: %s", error != NULL ? error->message : "?");
	return msgs;
}

static const char *
mbox_prop(SgMessage *msg, const char *key)
{
	return msg->props != NULL ? g_hash_table_lookup(msg->props, key) : NULL;
}

START_TEST(test_mbox_is_read_message_by_message)
{
	g_autofree char *root = make_tree();
	const char *box =
	    FROM_ALICE "From: alice@example.org\n"
	               "Subject: one\n\n"
	               "hello\n"
	               ">From the quoted start of a line\n"
	               "\n" FROM_MALLORY "From: mallory@example.net\n"
	               "Subject: two\n\n"
	               "From here on, no From_ line: no date\n"
	               "\n" FROM_NULL "Subject: three\n\n"
	               "bye\n";
	g_autofree char *path = put_file(root, "bob", box, -1);
	g_autoptr(GPtrArray) msgs = mbox_walk(path, NULL);
	const char *second = strstr(box, FROM_MALLORY);
	const char *third = strstr(box, FROM_NULL);
	SgWalkOptions opts = { .read_only = TRUE, .now = wall_now() };
	g_autofree char *range = NULL;

	ck_assert(sg_spool_is_mbox(path));
	ck_assert_uint_eq(msgs->len, 3);
	range = g_strdup_printf("%s, message 2 (bytes %td-%td)", path,
	    second - box, third - box);
	ck_assert_str_eq(((SgMessage *)g_ptr_array_index(msgs, 1))->id, range);
	for (guint i = 0; i < msgs->len; i++) {
		SgMessage *msg = g_ptr_array_index(msgs, i);
		g_autoptr(GError) error = NULL;
		g_autofree char *content = NULL;
		gsize len = 0;

		ck_assert_msg(msg->ops->open(msg, NULL, &opts, &error), "%s",
		    error != NULL ? error->message : "?");
		content = read_content(msg, &len);
		switch (i) {
		case 0:
			/* From_ line out, the separating empty line out. */
			ck_assert_str_eq(content,
			    "From: alice@example.org\nSubject: one\n\nhello\n"
			    ">From the quoted start of a line\n");
			ck_assert_str_eq(msg->sender->address,
			    "alice@example.org");
			ck_assert_str_eq(mbox_prop(msg, "mbox-offset"), "0");
			break;
		case 1:
			ck_assert(g_str_has_prefix(content,
			    "From: mallory@example.net\n"));
			ck_assert(g_str_has_suffix(content, "no date\n"));
			ck_assert_str_eq(mbox_prop(msg, "mbox-message"), "2");
			break;
		default:
			ck_assert_str_eq(content, "Subject: three\n\nbye\n");
			ck_assert_str_eq(msg->sender->address, "MAILER-DAEMON");
			break;
		}
	}
	remove_tree(root);
}
END_TEST

START_TEST(test_mbox_finding_offsets_are_file_offsets)
{
	g_autofree char *root = make_tree();
	const char *box = FROM_ALICE "Subject: one\n\nx\n\n" FROM_MALLORY
	                             "Subject: two\n\ny\n";
	g_autofree char *path = put_file(root, "box", box, -1);
	g_autoptr(GPtrArray) msgs = mbox_walk(path, NULL);
	SgMessage *msg = g_ptr_array_index(msgs, 1);
	SgWalkOptions opts = { .read_only = TRUE, .now = wall_now() };
	g_autoptr(GError) error = NULL;
	guint file;
	goffset off;

	ck_assert(msg->ops->open(msg, NULL, &opts, &error));
	ck_assert(sg_message_locate(msg, 0, &file, &off));
	ck_assert_int_eq(off, strstr(box, "Subject: two") - box);
	remove_tree(root);
}
END_TEST

START_TEST(test_mbox_crlf_and_lines_across_reads)
{
	g_autofree char *root = make_tree();
	GString *box =
	    g_string_new("From alice@example.org Thu Nov 22 03:15:02 2026\r\n"
	                 "Subject: big\r\n\r\n");
	g_autofree char *path = NULL;
	g_autoptr(GPtrArray) msgs = NULL;
	gsize second;

	/* A body line longer than one read, so that the From_ line after
	 * it starts near the end of a read. */
	for (guint i = 0; i < 65536 - 40; i++)
		g_string_append_c(box, 'a');
	g_string_append(box, "\r\n\r\n");
	second = box->len;
	g_string_append(box,
	    "From mallory@example.net Thu Nov 22 03:16:02 "
	    "2026\r\nSubject: two\r\n\r\ny\r\n");
	path = put_file(root, "crlf", box->str, (gssize)box->len);
	msgs = mbox_walk(path, NULL);
	ck_assert_uint_eq(msgs->len, 2);
	{
		g_autofree char *want =
		    g_strdup_printf("%s, message 2 (bytes %zu-%zu)", path,
		        second, box->len);

		ck_assert_str_eq(((SgMessage *)g_ptr_array_index(msgs, 1))->id,
		    want);
	}
	g_string_free(box, TRUE);
	remove_tree(root);
}
END_TEST

START_TEST(test_mbox_needs_a_from_line_first_and_a_name_not_eml)
{
	g_autofree char *root = make_tree();
	g_autofree char *plain = put_file(root, "a", MSG_LF, -1);
	g_autofree char *eml = put_file(root, "saved.eml",
	    FROM_ALICE "Subject: one\n\nx\n\n" FROM_MALLORY "Subject: 2\n\n",
	    -1);
	g_autofree char *nodate =
	    put_file(root, "b", "From alice hello\nSubject: x\n\ny\n", -1);
	g_autofree char *box = put_file(root, "c",
	    FROM_ALICE "Subject: one\n\nx\n\n" FROM_MALLORY "Subject: 2\n\n",
	    -1);
	g_autofree char *list = walk_list_mbox(root);

	ck_assert(!sg_spool_is_mbox(plain));
	ck_assert(!sg_spool_is_mbox(eml));
	ck_assert(!sg_spool_is_mbox(nodate));
	ck_assert(sg_spool_is_mbox(box));
	/* A plain folder: the mbox gives two messages, the rest one each. */
	ck_assert_str_eq(list,
	    "mbox:c#1 mbox:c#2 plain:a plain:b "
	    "plain:saved.eml");
	remove_tree(root);
}
END_TEST

START_TEST(test_mbox_rewritten_or_growing_is_left_for_later)
{
	g_autofree char *root = make_tree();
	const char *box = FROM_ALICE "Subject: one\n\nx\n\n" FROM_MALLORY
	                             "Subject: two\n\ny\n";
	g_autofree char *path = put_file(root, "box", box, -1);
	g_autoptr(GPtrArray) msgs = mbox_walk(path, NULL);
	SgWalkOptions young = { .min_age = 300, .now = wall_now() };
	g_autoptr(GError) error = NULL;
	SgMessage *first = g_ptr_array_index(msgs, 0);
	SgMessage *last = g_ptr_array_index(msgs, 1);

	/* Written just now: the last message may still grow; the first
	 * one is complete. */
	ck_assert(first->ops->open(first, NULL, &young, &error));
	ck_assert(!last->ops->open(last, NULL, &young, &error));
	ck_assert(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG));
	g_clear_error(&error);
	g_clear_pointer(&msgs, g_ptr_array_unref);
	/* Expunged by a mail client after the walk: not what was seen. */
	msgs = mbox_walk(path, NULL);
	g_free(put_file(root, "box", FROM_ALICE "Subject: one\n\nx\n", -1));
	last = g_ptr_array_index(msgs, 1);
	young.min_age = 0;
	ck_assert(!last->ops->open(last, NULL, &young, &error));
	ck_assert(
	    g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED));
	remove_tree(root);
}
END_TEST

static Suite *
spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *names = tcase_create("names");
	TCase *walk = tcase_create("walk");
	TCase *open = tcase_create("open");
	TCase *env = tcase_create("envelope");
	TCase *fix = tcase_create("fixtures");
	TCase *mbox = tcase_create("mbox");

	tcase_add_loop_test(names, test_plain_names_are_all_but_known_non_mail,
	    0, G_N_ELEMENTS(name_cases));
	tcase_add_test(names, test_registry_lists_maildir_before_plain);
	suite_add_tcase(s, names);

	tcase_add_test(walk,
	    test_walk_plain_tree_skips_non_messages_and_symlinks);
	tcase_add_test(walk,
	    test_walk_candidates_carry_root_and_are_owned_by_callback);
	tcase_add_test(walk, test_walk_maildir_never_reports_tmp);
	tcase_add_test(walk, test_walk_skips_the_store_by_inode);
	tcase_add_test(walk, test_walk_stops_at_the_depth_limit);
	tcase_add_test(walk, test_walk_missing_path_is_an_io_error_naming_it);
	tcase_add_test(walk, test_walk_file_argument_is_one_plain_message);
	tcase_add_test(walk, test_walk_stops_when_callback_says_so);
	suite_add_tcase(s, walk);

	tcase_add_test(open,
	    test_open_refuses_a_young_file_and_takes_an_old_one);
	tcase_add_test(open,
	    test_open_counts_a_file_gone_since_the_walk_as_vanished);
	tcase_add_test(open,
	    test_open_reports_busy_while_another_holds_the_flock);
	tcase_add_test(open, test_open_refuses_a_symlink_candidate);
	tcase_add_loop_test(open,
	    test_every_lock_kind_keeps_a_plain_message_in_place, 0,
	    G_N_ELEMENTS(hold_cases));
	tcase_add_test(open, test_maildir_tmp_file_is_read_but_never_moved);
	tcase_add_test(open,
	    test_message_for_file_resolves_a_named_symlink_once);
	suite_add_tcase(s, open);

	tcase_add_loop_test(env, test_envelope_lines_become_the_envelope, 0,
	    G_N_ELEMENTS(env_cases));
	tcase_add_test(env, test_envelope_of_50000_recipients_is_read_whole);
	tcase_add_test(env, test_envelope_keeps_the_length_of_a_huge_address);
	tcase_add_test(env, test_envelope_after_a_byte_order_mark_is_read);
	tcase_add_loop_test(env, test_envelope_nul_is_a_container_finding, 0,
	    G_N_ELEMENTS(env_nul_cases));
	suite_add_tcase(s, env);

	tcase_add_test(fix,
	    test_fixture_pickup_folder_has_three_messages_one_enveloped);
	tcase_add_test(fix, test_fixture_maildir_is_detected_and_tmp_ignored);
	tcase_add_test(mbox, test_mbox_is_read_message_by_message);
	tcase_add_test(mbox, test_mbox_finding_offsets_are_file_offsets);
	tcase_add_test(mbox, test_mbox_crlf_and_lines_across_reads);
	tcase_add_test(mbox,
	    test_mbox_needs_a_from_line_first_and_a_name_not_eml);
	tcase_add_test(mbox, test_mbox_rewritten_or_growing_is_left_for_later);
	suite_add_tcase(s, mbox);
	tcase_add_loop_test(fix, test_message_for_file_is_claimed_by_its_format,
	    0, G_N_ELEMENTS(single_cases));
	tcase_add_loop_test(fix, test_read_only_open_never_blocks_the_mta, 0,
	    G_N_ELEMENTS(ro_cases));
	suite_add_tcase(s, fix);
	return s;
}

int
main(void)
{
	return sg_test_run(spool_suite());
}
