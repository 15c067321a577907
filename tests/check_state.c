// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_state.c - the incremental-scan state: what makes a file "seen",
 * what survives a save, what resets the state, what is refused, and that
 * record/seen hold up under threads.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "spoolguard/state.h"

#include "check-run.h"

#define DIGEST "0123456789abcdef"

static char *
make_dir(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("sgstateXXXXXX", &error);

	ck_assert_msg(dir != NULL, "%s", error ? error->message : "");
	return dir;
}

static void
remove_dir(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(dir, name, NULL);

		unlink(p);
	}
	rmdir(dir);
}

static struct stat
fake_stat(guint64 dev, guint64 ino, gint64 size, gint64 mtime)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_dev = (dev_t)dev;
	st.st_ino = (ino_t)ino;
	st.st_size = (off_t)size;
	st.st_mtim.tv_sec = (time_t)mtime;
	st.st_mtim.tv_nsec = 111;
	st.st_ctim.tv_sec = (time_t)mtime + 1;
	st.st_ctim.tv_nsec = 222;
	return st;
}

static SgState *
load_ok(const char *path, const char *digest)
{
	g_autoptr(GError) error = NULL;
	SgState *state = sg_state_load(path, digest, &error);

	ck_assert_msg(state != NULL, "%s", error ? error->message : "");
	return state;
}

static void
save_ok(SgState *state)
{
	g_autoptr(GError) error = NULL;

	ck_assert_msg(sg_state_save(state, &error), "%s",
	    error ? error->message : "");
}

START_TEST(test_state_missing_file_is_empty)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	g_autoptr(SgState) state = load_ok(path, DIGEST);
	struct stat st = fake_stat(1, 2, 3, 4);

	ck_assert_int_eq(sg_state_reset_reason(state), SG_STATE_RESET_MISSING);
	ck_assert(!sg_state_seen(state, &st));
	ck_assert_uint_eq(sg_state_count(state), 0);
	remove_dir(dir);
}
END_TEST

START_TEST(test_state_recorded_file_is_seen_next_run)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	struct stat a = fake_stat(8, 100, 5000, 1700000000);
	struct stat b = fake_stat(8, 99, 7, 1700000001);
	SgState *state = load_ok(path, DIGEST);

	sg_state_record(state, &a);
	sg_state_record(state, &b);
	/* First recorded in this run: not "seen" until the next one. */
	ck_assert(!sg_state_seen(state, &a));
	save_ok(state);
	sg_state_free(state);

	state = load_ok(path, DIGEST);
	ck_assert_int_eq(sg_state_reset_reason(state), SG_STATE_RESET_NONE);
	ck_assert(sg_state_seen(state, &a));
	ck_assert(sg_state_seen(state, &b));
	sg_state_free(state);
	remove_dir(dir);
}
END_TEST

/* Each change of one stat field must make the file unseen. */
static void
change_dev(struct stat *st)
{
	st->st_dev++;
}
static void
change_ino(struct stat *st)
{
	st->st_ino++;
}
static void
change_size(struct stat *st)
{
	st->st_size++;
}
static void
change_mtime(struct stat *st)
{
	st->st_mtim.tv_sec++;
}
static void
change_mtime_ns(struct stat *st)
{
	st->st_mtim.tv_nsec++;
}
static void
change_ctime(struct stat *st)
{
	st->st_ctim.tv_sec--;
}
static void
change_ctime_ns(struct stat *st)
{
	st->st_ctim.tv_nsec++;
}

static void (*const stat_changes[])(struct stat *) = {
	change_dev,
	change_ino,
	change_size,
	change_mtime,
	change_mtime_ns,
	change_ctime,
	change_ctime_ns,
};

START_TEST(test_state_any_stat_change_makes_file_unseen)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	struct stat st = fake_stat(3, 4242, 1 << 20, 1600000000);
	struct stat changed = st;
	SgState *state = load_ok(path, DIGEST);

	sg_state_record(state, &st);
	save_ok(state);
	sg_state_free(state);

	stat_changes[_i](&changed);
	state = load_ok(path, DIGEST);
	ck_assert(!sg_state_seen(state, &changed));
	ck_assert(sg_state_seen(state, &st));
	sg_state_free(state);
	remove_dir(dir);
}
END_TEST

START_TEST(test_state_other_profile_digest_starts_empty)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	struct stat st = fake_stat(1, 1, 1, 1);
	SgState *state = load_ok(path, DIGEST);

	sg_state_record(state, &st);
	save_ok(state);
	sg_state_free(state);

	state = load_ok(path, "fedcba9876543210");
	ck_assert_int_eq(sg_state_reset_reason(state), SG_STATE_RESET_PROFILE);
	ck_assert(!sg_state_seen(state, &st));
	sg_state_free(state);
	remove_dir(dir);
}
END_TEST

START_TEST(test_state_save_keeps_only_files_of_this_run)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	struct stat kept = fake_stat(1, 10, 100, 1000);
	struct stat gone = fake_stat(1, 11, 100, 1000);
	struct stat fresh = fake_stat(1, 5, 100, 1000);
	SgState *state = load_ok(path, DIGEST);

	sg_state_record(state, &kept);
	sg_state_record(state, &gone);
	save_ok(state);
	sg_state_free(state);

	/* Second run: "gone" left the spool, "fresh" arrived. */
	state = load_ok(path, DIGEST);
	ck_assert(sg_state_seen(state, &kept));
	sg_state_record(state, &fresh);
	ck_assert_uint_eq(sg_state_count(state), 2);
	save_ok(state);
	sg_state_free(state);

	state = load_ok(path, DIGEST);
	ck_assert(sg_state_seen(state, &kept));
	ck_assert(sg_state_seen(state, &fresh));
	ck_assert(!sg_state_seen(state, &gone));
	sg_state_free(state);
	remove_dir(dir);
}
END_TEST

START_TEST(test_state_record_replaces_a_changed_file)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	struct stat before = fake_stat(2, 7, 100, 1000);
	struct stat after = fake_stat(2, 7, 150, 1010);
	SgState *state = load_ok(path, DIGEST);

	sg_state_record(state, &before);
	save_ok(state);
	sg_state_free(state);

	state = load_ok(path, DIGEST);
	ck_assert(!sg_state_seen(state, &after));
	sg_state_record(state, &after);
	/* Same inode: updated in place and seen from now on. */
	ck_assert(sg_state_seen(state, &after));
	save_ok(state);
	sg_state_free(state);

	state = load_ok(path, DIGEST);
	ck_assert(sg_state_seen(state, &after));
	ck_assert(!sg_state_seen(state, &before));
	ck_assert_uint_eq(sg_state_count(state), 1);
	sg_state_free(state);
	remove_dir(dir);
}
END_TEST

START_TEST(test_state_save_is_0600_and_leaves_no_temp)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	struct stat st = fake_stat(1, 1, 1, 1);
	struct stat fst;
	g_autoptr(SgState) state = load_ok(path, DIGEST);
	g_autoptr(GDir) d = NULL;
	guint files = 0;

	sg_state_record(state, &st);
	sg_state_record(state, &st);
	save_ok(state);
	ck_assert_int_eq(lstat(path, &fst), 0);
	ck_assert(S_ISREG(fst.st_mode));
	ck_assert_int_eq(fst.st_mode & 07777, 0600);
	d = g_dir_open(dir, 0, NULL);
	while (g_dir_read_name(d) != NULL)
		files++;
	ck_assert_uint_eq(files, 1);
	remove_dir(dir);
}
END_TEST

START_TEST(test_state_save_reports_unwritable_directory)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "no", "state", NULL);
	g_autoptr(SgState) state = load_ok(path, DIGEST);
	g_autoptr(GError) error = NULL;

	ck_assert(!sg_state_save(state, &error));
	ck_assert(g_error_matches(error, SG_STATE_ERROR, SG_STATE_ERROR_IO));
	remove_dir(dir);
}
END_TEST

/* Saves two entries, damages the file with @damage, expects CORRUPT. */
typedef enum {
	DAMAGE_TRUNCATE_HEADER,
	DAMAGE_TRUNCATE_ENTRY,
	DAMAGE_DROP_SUM,
	DAMAGE_FLIP_ENTRY_BYTE,
	DAMAGE_FLIP_SUM_BYTE,
	DAMAGE_BAD_MAGIC,
	DAMAGE_BAD_COUNT,
	DAMAGE_GARBAGE,
	DAMAGE_EMPTY,
} Damage;

static void
damage_file(const char *path, Damage damage)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	const char *blank;
	gsize hlen;

	ck_assert(g_file_get_contents(path, &data, &len, NULL));
	blank = memmem(data, len, "\n\n", 2);
	ck_assert(blank != NULL);
	hlen = (gsize)(blank - data) + 2;
	ck_assert_uint_eq(len, hlen + 2 * 48 + 32);
	switch (damage) {
	case DAMAGE_TRUNCATE_HEADER:
		len = hlen - 3;
		break;
	case DAMAGE_TRUNCATE_ENTRY:
		len = hlen + 48 + 20;
		break;
	case DAMAGE_DROP_SUM:
		len -= 32;
		break;
	case DAMAGE_FLIP_ENTRY_BYTE:
		data[hlen + 48 + 17] ^= 0x01;
		break;
	case DAMAGE_FLIP_SUM_BYTE:
		data[len - 1] ^= 0x80;
		break;
	case DAMAGE_BAD_MAGIC:
		data[3] = 'X';
		break;
	case DAMAGE_BAD_COUNT: {
		char *c = memmem(data, hlen, "count 2", 7);

		ck_assert(c != NULL);
		c[6] = '3';
		break;
	}
	case DAMAGE_GARBAGE:
		memset(data, 0xa5, len);
		break;
	case DAMAGE_EMPTY:
		len = 0;
		break;
	}
	ck_assert(g_file_set_contents_full(path, data, (gssize)len,
	    G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
}

START_TEST(test_state_damaged_file_starts_empty)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	struct stat a = fake_stat(1, 1, 10, 10);
	struct stat b = fake_stat(1, 2, 10, 10);
	SgState *state = load_ok(path, DIGEST);

	sg_state_record(state, &a);
	sg_state_record(state, &b);
	save_ok(state);
	sg_state_free(state);

	damage_file(path, (Damage)_i);
	state = load_ok(path, DIGEST);
	ck_assert_int_eq(sg_state_reset_reason(state), SG_STATE_RESET_CORRUPT);
	ck_assert(!sg_state_seen(state, &a));
	ck_assert(!sg_state_seen(state, &b));
	/* A save repairs it. */
	sg_state_record(state, &a);
	save_ok(state);
	sg_state_free(state);
	state = load_ok(path, DIGEST);
	ck_assert(sg_state_seen(state, &a));
	sg_state_free(state);
	remove_dir(dir);
}
END_TEST

/* Writes a state file by hand, the way the format is documented. */
static void
write_state(const char *path, const char *version, const guint64 *keys, guint n)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree char *head =
	    g_strdup_printf("SGSTATE1\nversion %s\nprofile %s\ncount %u\n\n",
	        version, DIGEST, n);
	guint8 digest[32];
	gsize dlen = sizeof(digest);

	g_byte_array_append(buf, (const guint8 *)head, strlen(head));
	for (guint i = 0; i < n; i++) {
		struct stat st = fake_stat(1, keys[i], 10, 10);
		guint64 v[5] = { GUINT64_TO_LE(1), GUINT64_TO_LE(keys[i]),
			GUINT64_TO_LE(10), GUINT64_TO_LE(10),
			GUINT64_TO_LE(11) };
		guint32 w[2] = { GUINT32_TO_LE((guint32)st.st_mtim.tv_nsec),
			GUINT32_TO_LE((guint32)st.st_ctim.tv_nsec) };

		g_byte_array_append(buf, (const guint8 *)v, sizeof(v));
		g_byte_array_append(buf, (const guint8 *)w, sizeof(w));
	}
	g_checksum_update(sum, buf->data, buf->len);
	g_checksum_get_digest(sum, digest, &dlen);
	g_byte_array_append(buf, digest, sizeof(digest));
	ck_assert(g_file_set_contents_full(path, (const char *)buf->data,
	    buf->len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
}

START_TEST(test_state_reads_the_documented_format)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	const guint64 keys[] = { 5, 9, 12 };
	struct stat st = fake_stat(1, 9, 10, 10);
	g_autoptr(SgState) state = NULL;

	write_state(path, PACKAGE_VERSION, keys, G_N_ELEMENTS(keys));
	state = load_ok(path, DIGEST);
	ck_assert_int_eq(sg_state_reset_reason(state), SG_STATE_RESET_NONE);
	ck_assert(sg_state_seen(state, &st));
	remove_dir(dir);
}
END_TEST

START_TEST(test_state_rejects_unsorted_or_duplicate_entries)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	const guint64 unsorted[] = { 9, 5 };
	const guint64 dup[] = { 5, 5 };
	struct stat st = fake_stat(1, 5, 10, 10);
	SgState *state;

	write_state(path, PACKAGE_VERSION, unsorted, 2);
	state = load_ok(path, DIGEST);
	ck_assert_int_eq(sg_state_reset_reason(state), SG_STATE_RESET_CORRUPT);
	ck_assert(!sg_state_seen(state, &st));
	sg_state_free(state);

	write_state(path, PACKAGE_VERSION, dup, 2);
	state = load_ok(path, DIGEST);
	ck_assert_int_eq(sg_state_reset_reason(state), SG_STATE_RESET_CORRUPT);
	sg_state_free(state);
	remove_dir(dir);
}
END_TEST

START_TEST(test_state_other_version_starts_empty)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	const guint64 keys[] = { 5 };
	struct stat st = fake_stat(1, 5, 10, 10);
	g_autoptr(SgState) state = NULL;

	write_state(path, "0.0.0-older", keys, 1);
	state = load_ok(path, DIGEST);
	ck_assert_int_eq(sg_state_reset_reason(state), SG_STATE_RESET_VERSION);
	ck_assert(!sg_state_seen(state, &st));
	remove_dir(dir);
}
END_TEST

START_TEST(test_state_refuses_group_writable_file_and_symlink)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	g_autofree char *link = g_build_filename(dir, "link", NULL);
	g_autoptr(GError) error = NULL;
	SgState *state = load_ok(path, DIGEST);

	save_ok(state);
	sg_state_free(state);
	ck_assert_int_eq(chmod(path, 0620), 0);
	state = sg_state_load(path, DIGEST, &error);
	ck_assert(state == NULL);
	ck_assert(
	    g_error_matches(error, SG_STATE_ERROR, SG_STATE_ERROR_UNSAFE));
	g_clear_error(&error);

	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(symlink(path, link), 0);
	state = sg_state_load(link, DIGEST, &error);
	ck_assert(state == NULL);
	ck_assert(
	    g_error_matches(error, SG_STATE_ERROR, SG_STATE_ERROR_UNSAFE));
	remove_dir(dir);
}
END_TEST

#define THREADS 4
#define PER_THREAD 5000

typedef struct {
	SgState *state;
	guint base;
} Worker;

static gpointer
record_many(gpointer data)
{
	Worker *w = data;

	for (guint i = 0; i < PER_THREAD; i++) {
		/* Interleave so the threads' keys mix in the sort. */
		struct stat st =
		    fake_stat(1, (guint64)i * THREADS + w->base, i, 1000);

		sg_state_record(w->state, &st);
		(void)sg_state_seen(w->state, &st);
	}
	return NULL;
}

START_TEST(test_state_record_from_threads_loses_nothing)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	SgState *state = load_ok(path, DIGEST);
	GThread *threads[THREADS];
	Worker workers[THREADS];
	guint seen = 0;

	for (guint t = 0; t < THREADS; t++) {
		workers[t] = (Worker){ state, t };
		threads[t] = g_thread_new("rec", record_many, &workers[t]);
	}
	for (guint t = 0; t < THREADS; t++)
		g_thread_join(threads[t]);
	ck_assert_uint_eq(sg_state_count(state), THREADS * PER_THREAD);
	save_ok(state);
	sg_state_free(state);

	state = load_ok(path, DIGEST);
	for (guint t = 0; t < THREADS; t++) {
		for (guint i = 0; i < PER_THREAD; i++) {
			struct stat st =
			    fake_stat(1, (guint64)i * THREADS + t, i, 1000);

			seen += sg_state_seen(state, &st);
		}
	}
	ck_assert_uint_eq(seen, THREADS * PER_THREAD);
	sg_state_free(state);
	remove_dir(dir);
}
END_TEST

START_TEST(test_state_real_file_is_seen_until_touched)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	g_autofree char *msg = g_build_filename(dir, "msg.eml", NULL);
	struct stat st;
	SgState *state = load_ok(path, DIGEST);
	int fd;

	ck_assert(g_file_set_contents(msg, "Subject: x\n\nhi\n", -1, NULL));
	ck_assert_int_eq(stat(msg, &st), 0);
	sg_state_record(state, &st);
	save_ok(state);
	sg_state_free(state);

	state = load_ok(path, DIGEST);
	ck_assert_int_eq(stat(msg, &st), 0);
	ck_assert(sg_state_seen(state, &st));
	sg_state_free(state);

	/* A chmod changes only ctime: examined again. */
	ck_assert_int_eq(chmod(msg, 0640), 0);
	ck_assert_int_eq(stat(msg, &st), 0);
	state = load_ok(path, DIGEST);
	ck_assert(!sg_state_seen(state, &st));
	sg_state_record(state, &st);
	save_ok(state);
	sg_state_free(state);

	/* Appending changes size, mtime and ctime. */
	fd = open(msg, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
	ck_assert_int_eq(stat(msg, &st), 0);
	state = load_ok(path, DIGEST);
	ck_assert(!sg_state_seen(state, &st));
	sg_state_free(state);
	remove_dir(dir);
}
END_TEST

static Suite *
state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");

	tcase_add_test(tc, test_state_missing_file_is_empty);
	tcase_add_test(tc, test_state_recorded_file_is_seen_next_run);
	tcase_add_loop_test(tc, test_state_any_stat_change_makes_file_unseen, 0,
	    G_N_ELEMENTS(stat_changes));
	tcase_add_test(tc, test_state_other_profile_digest_starts_empty);
	tcase_add_test(tc, test_state_save_keeps_only_files_of_this_run);
	tcase_add_test(tc, test_state_record_replaces_a_changed_file);
	tcase_add_test(tc, test_state_save_is_0600_and_leaves_no_temp);
	tcase_add_test(tc, test_state_save_reports_unwritable_directory);
	tcase_add_loop_test(tc, test_state_damaged_file_starts_empty,
	    DAMAGE_TRUNCATE_HEADER, DAMAGE_EMPTY + 1);
	tcase_add_test(tc, test_state_reads_the_documented_format);
	tcase_add_test(tc, test_state_rejects_unsorted_or_duplicate_entries);
	tcase_add_test(tc, test_state_other_version_starts_empty);
	tcase_add_test(tc, test_state_refuses_group_writable_file_and_symlink);
	tcase_add_test(tc, test_state_record_from_threads_loses_nothing);
	tcase_add_test(tc, test_state_real_file_is_seen_until_touched);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_run(state_suite());
}
