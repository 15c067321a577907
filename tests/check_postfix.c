// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_postfix.c - the Postfix queue reader: real queue files made by
 * scripts/postfix-fixtures.sh (clean, and their text equal to what
 * `postcat -bh` printed), the derived damaged files and near misses (each
 * with the exact set of container rules it must fire), the samples in
 * ../shared/spools/postfix when present, the content stream (byte by
 * byte, seeks, substreams, a large generated message), locks (read
 * without, moved under qmgr's), readiness (the owner execute bit) and
 * young files, corrupt/, the layout walk, hold, and hostile generated
 * inputs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"
#include "spoolguard/core.h"
#include "spoolguard/rules.h"
#include "spoolguard/spool.h"

#include "check-run.h"
#include "spool-pair.h"
#include "spool-postfix.h"
#include "spool-private.h"

static const char *
testdata(void)
{
	const char *d = g_getenv("SPOOLGUARD_TESTDATA");

	return d != NULL ? d : "testdata";
}

static char *
pf_path(const char *sub, const char *name)
{
	return g_build_filename(testdata(), "spool", "postfix", sub, name,
	    NULL);
}

/* ../shared/spools/postfix, or NULL when absent. */
static char *
shared_dir(void)
{
	const char *env = g_getenv("SPOOLGUARD_SHARED");
	const char *ups[] = { "../../shared", "../../../shared" };
	char *p;

	if (env != NULL) {
		p = g_build_filename(env, "spools", "postfix", NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			return p;
		g_free(p);
		return NULL;
	}
	for (guint i = 0; i < G_N_ELEMENTS(ups); i++) {
		p = g_build_filename(testdata(), ups[i], "spools", "postfix",
		    NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			return p;
		g_free(p);
	}
	return NULL;
}

static SgMessage *
pf_message(const char *path, const char *queue)
{
	SgMessage *msg = sg_message_new(&sg_spool_postfix_ops, "postfix", path);

	msg->queue_name = g_strdup(queue);
	sg_message_add_file(msg, path, "message");
	return msg;
}

/* Reading (as check and inspect do): any file, any age, any mode. */
static const SgWalkOptions any_age = { .min_age = 0, .read_only = TRUE };
/* A scan that may move what it reads. */
static const SgWalkOptions scan_opts = { .min_age = 0 };

/* Opens @path as a file of @queue; fails the test on an error. */
static SgMessage *
pf_open(const char *path, const char *queue)
{
	g_autoptr(GError) error = NULL;
	SgMessage *msg = pf_message(path, queue);

	if (!sg_spool_postfix_ops.open(msg, NULL, &any_age, &error))
		ck_abort_msg("%s: %s", path, error->message);
	return msg;
}

static gboolean
has_rule(SgMessage *msg, SgRuleId rule)
{
	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(msg->findings, i);

		if (f->rule == rule)
			return TRUE;
	}
	return FALSE;
}

static char *
findings_text(SgMessage *msg)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(msg->findings, i);

		g_string_append_printf(s, "[%d @%" G_GINT64_FORMAT " %s] ",
		    f->rule, (gint64)f->offset, f->text);
	}
	return g_string_free(s, FALSE);
}

/* Reads the whole content stream, @chunk bytes at a time. */
static GByteArray *
read_content(SgMessage *msg, gsize chunk)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeStream) s = sg_message_open_content(msg, &error);
	GByteArray *out = g_byte_array_new();
	g_autofree guint8 *buf = g_malloc(chunk);
	gssize n;

	ck_assert_msg(s != NULL, "%s", error ? error->message : "");
	while ((n = g_mime_stream_read(s, (char *)buf, chunk)) > 0)
		g_byte_array_append(out, buf, (guint)n);
	ck_assert_int_ge(n, 0);
	ck_assert(g_mime_stream_eos(s));
	return out;
}

/* ---- the derived files: exact rule sets ---------------------------- */

typedef struct {
	const char *name;
	SgRuleId rules[2]; /* SG_RULE_COUNT = none */
} Derived;

#define NONE SG_RULE_COUNT
static const Derived derived[] = {
	{ "BADtruncated", { SG_RULE_CONTAINER_RECORD_OVERRUN, NONE } },
	{ "BADpastEOF", { SG_RULE_CONTAINER_RECORD_OVERRUN, NONE } },
	{ "BADdataoffset", { SG_RULE_CONTAINER_SIZE_MISMATCH, NONE } },
	{ "BADdatasize", { SG_RULE_CONTAINER_SIZE_MISMATCH, NONE } },
	{ "BADtype", { SG_RULE_CONTAINER_UNKNOWN_RECORD, NONE } },
	{ "BADnultype", { SG_RULE_CONTAINER_UNKNOWN_RECORD, NONE } },
	{ "BADlenbytes", { SG_RULE_CONTAINER_BAD_LENGTH, NONE } },
	{ "BADnoend", { SG_RULE_CONTAINER_MISSING_END, NONE } },
	{ "BADptrloop", { SG_RULE_CONTAINER_POINTER_LOOP, NONE } },
	{ "BADtrailing", { SG_RULE_CONTAINER_TRAILING_DATA, NONE } },
	{ "BADflags", { SG_RULE_CONTAINER_BAD_FIELD, NONE } },
	{ "BADcontentlen", { SG_RULE_CONTAINER_BAD_FIELD, NONE } },
	{ "BADrcptcount", { SG_RULE_CONTAINER_RCPT_COUNT_MISMATCH, NONE } },
	{ "BADnosender", { SG_RULE_CONTAINER_MISSING_RECORD, NONE } },
	{ "BADnosize", { SG_RULE_CONTAINER_MISSING_RECORD, NONE } },
	/* near misses */
	{ "OKpointerafterend", { NONE, NONE } },
	{ "OKdummypointer", { NONE, NONE } },
	{ "OKdonercpt", { NONE, NONE } },
	{ "OKflagsmask", { NONE, NONE } },
	{ "OKlen4bytes", { NONE, NONE } },
	{ "OKorphanedit", { NONE, NONE } },
};

START_TEST(test_postfix_derived_files_fire_exactly_their_rules)
{
	const Derived *d = &derived[_i];
	g_autofree char *path = pf_path("derived", d->name);
	g_autoptr(SgMessage) msg = pf_open(path, "deferred");
	g_autofree char *text = findings_text(msg);
	guint want = 0;

	for (guint i = 0; i < G_N_ELEMENTS(d->rules); i++) {
		if (d->rules[i] == NONE)
			continue;
		want++;
		ck_assert_msg(has_rule(msg, d->rules[i]),
		    "%s: rule %d did not fire: %s", d->name, d->rules[i], text);
	}
	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(msg->findings, i);

		ck_assert_msg(f->rule == d->rules[0] || f->rule == d->rules[1],
		    "%s: unexpected finding: %s", d->name, text);
		ck_assert_msg(f->offset >= 0, "%s: finding without offset",
		    d->name);
	}
	ck_assert_int_eq(msg->verdict,
	    want > 0 ? SG_SEVERITY_QUARANTINE : SG_SEVERITY_IGNORE);
}
END_TEST

/* ---- real queue files: clean, text equal to postcat's --------------- */

static void
check_real_queue(const char *queue)
{
	g_autofree char *dir = pf_path(queue, NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;
	guint n = 0;

	ck_assert_msg(d != NULL, "%s missing: run scripts/postfix-fixtures.sh",
	    dir);
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *exp_name = g_strconcat(name, ".txt", NULL);
		g_autofree char *exp_path = pf_path("expected", exp_name);
		g_autofree char *expected = NULL;
		g_autoptr(SgMessage) msg = pf_open(path, queue);
		g_autofree char *text = findings_text(msg);
		g_autoptr(GByteArray) got = NULL;
		gsize exp_len = 0;

		ck_assert_msg(msg->findings->len == 0, "%s: %s", path, text);
		ck_assert_ptr_nonnull(msg->sender);
		ck_assert_uint_gt(msg->recipients->len, 0);
		ck_assert(
		    g_file_get_contents(exp_path, &expected, &exp_len, NULL));
		got = read_content(msg, 4096);
		ck_assert_int_eq(msg->content_size, (gint64)got->len);
		ck_assert_msg(got->len == exp_len &&
		        memcmp(got->data, expected, exp_len) == 0,
		    "%s: content differs from postcat -bh", path);
		n++;
	}
	ck_assert_uint_gt(n, 0);
}

START_TEST(test_postfix_real_deferred_files_are_clean_and_match_postcat)
{
	check_real_queue("deferred");
}
END_TEST

START_TEST(test_postfix_real_hold_and_maildrop_files_are_clean)
{
	check_real_queue("hold");
	check_real_queue("maildrop");
}
END_TEST

START_TEST(test_postfix_maildrop_file_outside_maildrop_lacks_size_record)
{
	g_autofree char *dir = pf_path("maildrop", NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name = d != NULL ? g_dir_read_name(d) : NULL;
	g_autofree char *path = NULL;
	g_autoptr(SgMessage) msg = NULL;

	ck_assert_ptr_nonnull(name);
	path = g_build_filename(dir, name, NULL);
	msg = pf_open(path, "deferred");
	ck_assert(has_rule(msg, SG_RULE_CONTAINER_MISSING_RECORD));
	g_clear_pointer(&msg, sg_message_free);
	/* Outside any queue, a file starting with T is a postdrop file. */
	msg = pf_open(path, NULL);
	ck_assert_uint_eq(msg->findings->len, 0);
}
END_TEST

/* ---- pickup's record limit: container.postfix-record-length -------- */

/* Opens @path as a maildrop file, judged by @profile (NULL: built-in). */
static SgMessage *
pf_open_maildrop(const char *path, const SgProfile *profile)
{
	g_autoptr(GError) error = NULL;
	SgMessage *msg = pf_message(path, "maildrop");

	if (!sg_spool_postfix_ops.open(msg, profile, &any_age, &error))
		ck_abort_msg("%s: %s", path, error->message);
	return msg;
}

/* Offset of the first N record with @len data bytes (2 length bytes). */
static goffset
pf_find_n_record(const char *path, gsize len)
{
	g_autofree char *data = NULL;
	gsize n = 0;
	const guchar head[3] = { 'N', (guchar)(0x80 | (len & 0x7f)),
		(guchar)(len >> 7) };
	const char *at;

	ck_assert(len >= 128 && len < (1 << 14));
	ck_assert(g_file_get_contents(path, &data, &n, NULL));
	at = memmem(data, n, head, sizeof(head));
	ck_assert_ptr_nonnull(at);
	return at - data;
}

/*
 * pickup(8) reads maildrop records with rec_get(..., line_length_limit)
 * and removes the file at the first one longer: that record is reported,
 * at its offset, quoting the profile's number (Postfix's 2048).
 */
START_TEST(test_postfix_maildrop_record_over_pickup_limit_is_flagged)
{
	g_autofree char *path = pf_path("derived-maildrop", "BADrecordlen");
	g_autoptr(SgMessage) msg = pf_open_maildrop(path, NULL);
	g_autofree char *text = findings_text(msg);
	gint64 hard =
	    sg_spool_pair_hard(NULL, SG_RULE_CONTAINER_POSTFIX_RECORD_LENGTH);
	g_autofree char *quoted =
	    g_strdup_printf("reads at most %" G_GINT64_FORMAT
	                    " (line_length_limit)",
	        hard);
	SgFinding *f;

	ck_assert_int_eq(hard, 2048);
	ck_assert_msg(msg->findings->len == 1, "%s", text);
	f = g_ptr_array_index(msg->findings, 0);
	ck_assert_int_eq(f->rule, SG_RULE_CONTAINER_POSTFIX_RECORD_LENGTH);
	ck_assert_int_eq(f->offset, pf_find_n_record(path, 2049));
	ck_assert_int_eq(f->observed, 2049);
	ck_assert_int_eq(f->limit, hard);
	ck_assert_msg(strstr(f->text, quoted) != NULL, "%s", f->text);
	ck_assert_msg(strstr(f->text, "removes the file; 1 record over it") !=
	        NULL,
	    "%s", f->text);
	ck_assert_int_eq(msg->verdict, SG_SEVERITY_QUARANTINE);
	g_clear_pointer(&msg, sg_message_free);
	/* qmgr reads queue files with no record limit. */
	msg = pf_open(path, "deferred");
	ck_assert(!has_rule(msg, SG_RULE_CONTAINER_POSTFIX_RECORD_LENGTH));
}
END_TEST

START_TEST(test_postfix_maildrop_record_at_pickup_limit_is_clean)
{
	g_autofree char *path = pf_path("derived-maildrop", "OKrecordlen");
	g_autoptr(SgMessage) msg = pf_open_maildrop(path, NULL);
	g_autofree char *text = findings_text(msg);

	ck_assert_int_eq(pf_find_n_record(path, 2048), 181);
	ck_assert_msg(msg->findings->len == 0, "%s", text);
}
END_TEST

/* A lower line_length_limit in the profile: its number, every record
 * type, one finding at the first record with the count. */
START_TEST(test_postfix_maildrop_record_limit_is_the_profile_s)
{
	static const char data[] = "[container.postfix-record-length]\n"
	                           "hard=20\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) profile =
	    sg_profile_new_from_data(data, sizeof(data) - 1, "inline", &error);
	g_autofree char *path = pf_path("maildrop", "847F9AA8062");
	g_autoptr(SgMessage) msg = NULL;
	SgFinding *f;

	ck_assert_msg(profile != NULL, "%s", error ? error->message : "");
	msg = pf_open_maildrop(path, profile);
	ck_assert_uint_eq(msg->findings->len, 1);
	f = g_ptr_array_index(msg->findings, 0);
	/* A rewrite_context=local (21 bytes) at 19; then S (21), N (27). */
	ck_assert_int_eq(f->rule, SG_RULE_CONTAINER_POSTFIX_RECORD_LENGTH);
	ck_assert_int_eq(f->offset, 19);
	ck_assert_int_eq(f->observed, 21);
	ck_assert_int_eq(f->limit, 20);
	ck_assert_msg(strstr(f->text, "record 'A' of 21 data bytes") != NULL &&
	        strstr(f->text, "at most 20 ") != NULL &&
	        strstr(f->text, "; 3 records over it") != NULL,
	    "%s", f->text);
}
END_TEST

/* ---- the shared samples ------------------------------------------- */

typedef struct {
	const char *name;
	SgRuleId rule;
} SharedBad;

static const SharedBad shared_bad[] = {
	{ "C1TRUNC01", SG_RULE_CONTAINER_RECORD_OVERRUN },
	{ "C2BADSIZE", SG_RULE_CONTAINER_SIZE_MISMATCH },
	{ "C3BADTYPE", SG_RULE_CONTAINER_UNKNOWN_RECORD },
	{ "C4LENBITS", SG_RULE_CONTAINER_BAD_LENGTH },
	{ "C5SHORTDAT", SG_RULE_CONTAINER_RECORD_OVERRUN },
	{ "C6NULTYPE", SG_RULE_CONTAINER_UNKNOWN_RECORD },
};

START_TEST(test_postfix_shared_corrupt_samples_are_quarantined)
{
	g_autofree char *dir = shared_dir();
	g_autofree char *path = NULL;
	g_autoptr(SgMessage) msg = NULL;
	g_autofree char *text = NULL;

	if (dir == NULL)
		return; /* ../shared not here: nothing to compare with */
	path = g_build_filename(dir, "corrupt-synthetic", shared_bad[_i].name,
	    NULL);
	msg = pf_open(path, "deferred");
	text = findings_text(msg);
	ck_assert_msg(has_rule(msg, shared_bad[_i].rule), "%s: %s",
	    shared_bad[_i].name, text);
	ck_assert_int_eq(msg->verdict, SG_SEVERITY_QUARANTINE);
}
END_TEST

START_TEST(test_postfix_shared_good_samples_are_clean)
{
	g_autofree char *dir = shared_dir();
	g_autoptr(GDir) d = NULL;
	const char *name;
	guint n = 0;

	if (dir == NULL)
		return;
	d = g_dir_open(dir, 0, NULL);
	ck_assert_ptr_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autoptr(SgMessage) msg = NULL;
		g_autofree char *text = NULL;
		g_autoptr(GByteArray) got = NULL;
		const char *queue;

		if (g_str_has_prefix(name, "deferred_"))
			queue = "deferred";
		else if (g_str_has_prefix(name, "hold_"))
			queue = "hold";
		else if (g_str_has_prefix(name, "maildrop_"))
			queue = "maildrop";
		else
			continue;
		msg = pf_open(path, queue);
		text = findings_text(msg);
		ck_assert_msg(msg->findings->len == 0, "%s: %s", name, text);
		got = read_content(msg, 1);
		ck_assert_int_eq(msg->content_size, (gint64)got->len);
		ck_assert(
		    g_strstr_len((char *)got->data, got->len, "\n\n") != NULL);
		n++;
	}
	ck_assert_uint_eq(n, 8);
}
END_TEST

/* ---- the content stream -------------------------------------------- */

static char *
first_in(const char *queue)
{
	g_autofree char *dir = pf_path(queue, NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autofree char *best = NULL;
	const char *name;
	goffset best_size = -1;

	ck_assert_ptr_nonnull(d);
	/* the largest: the long-line message with its L records */
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(dir, name, NULL);
		struct stat st;

		if (stat(p, &st) == 0 && st.st_size > best_size) {
			best_size = st.st_size;
			g_free(best);
			best = g_steal_pointer(&p);
		}
	}
	return g_steal_pointer(&best);
}

START_TEST(test_postfix_stream_seeks_and_substreams_match_the_text)
{
	g_autofree char *path = first_in("deferred");
	g_autoptr(SgMessage) msg = pf_open(path, "deferred");
	g_autoptr(GByteArray) all = read_content(msg, 65536);
	g_autoptr(GByteArray) bytewise = read_content(msg, 1);
	g_autoptr(GMimeStream) s = sg_message_open_content(msg, NULL);
	gint64 len = (gint64)all->len;
	const gint64 cuts[][2] = { { 0, 10 }, { 100, 2700 }, { 2000, 4100 },
		{ len - 20, len }, { 5, 5 } };
	char buf[8192];

	ck_assert_int_gt(len, 5000); /* the long line made L records */
	ck_assert_uint_eq(bytewise->len, all->len);
	ck_assert(memcmp(bytewise->data, all->data, all->len) == 0);
	for (guint i = 0; i < G_N_ELEMENTS(cuts); i++) {
		gint64 a = cuts[i][0], b = cuts[i][1];
		g_autoptr(GMimeStream) sub = g_mime_stream_substream(s, a, b);
		gssize n, got = 0;

		ck_assert_int_eq(g_mime_stream_length(sub), b - a);
		while ((n = g_mime_stream_read(sub, buf + got,
		            sizeof(buf) - (gsize)got)) > 0)
			got += n;
		ck_assert_int_eq(got, b - a);
		ck_assert(memcmp(buf, all->data + a, (gsize)(b - a)) == 0);
		/* backwards seek re-walks the records */
		ck_assert_int_eq(g_mime_stream_seek(sub, 0,
		                     GMIME_STREAM_SEEK_SET),
		    a);
		if (b > a) {
			ck_assert_int_eq(g_mime_stream_read(sub, buf, 1), 1);
			ck_assert_int_eq(buf[0], all->data[a]);
		}
	}
	ck_assert_int_eq(g_mime_stream_seek(s, 3000, GMIME_STREAM_SEEK_SET),
	    3000);
	ck_assert_int_eq(g_mime_stream_read(s, buf, 10), 10);
	ck_assert(memcmp(buf, all->data + 3000, 10) == 0);
	ck_assert_int_eq(g_mime_stream_reset(s), 0);
	ck_assert_int_eq(g_mime_stream_tell(s), 0);
	ck_assert_int_eq(g_mime_stream_seek(s, len + 1, GMIME_STREAM_SEEK_SET),
	    -1);
}
END_TEST

START_TEST(test_postfix_locate_maps_content_offsets_to_record_data)
{
	g_autofree char *path = first_in("deferred");
	g_autoptr(SgMessage) msg = pf_open(path, "deferred");
	g_autoptr(GByteArray) all = read_content(msg, 65536);
	SgMessageFile *file = sg_message_file(msg, 0);
	const goffset probes[] = { 0, 1, 17, 400, 3000, (goffset)all->len - 2 };

	for (guint i = 0; i < G_N_ELEMENTS(probes); i++) {
		guint fi = 99;
		goffset off = -1;
		char c;

		ck_assert(sg_message_locate(msg, probes[i], &fi, &off));
		ck_assert_uint_eq(fi, 0);
		ck_assert(sg_postfix_pread(file->fd, &c, 1, off));
		/* a line's "\n" maps to the byte after the line's data */
		if (all->data[probes[i]] != '\n')
			ck_assert_int_eq(c, all->data[probes[i]]);
	}
}
END_TEST

/* Writes @len bytes to a new file in @dir; returns its path. */
static char *
write_file(const char *dir, const char *name, const void *data, gsize len,
    mode_t mode)
{
	char *path = g_build_filename(dir, name, NULL);

	ck_assert(g_file_set_contents(path, data, (gssize)len, NULL));
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

static void
rec(GByteArray *b, char type, const char *data, gsize len)
{
	guint8 t = (guint8)type;
	gsize n = len;

	g_byte_array_append(b, &t, 1);
	do {
		guint8 c = n & 0x7f;

		n >>= 7;
		if (n != 0)
			c |= 0x80;
		g_byte_array_append(b, &c, 1);
	} while (n != 0);
	if (len > 0)
		g_byte_array_append(b, (const guint8 *)data, (guint)len);
}

/*
 * The records every generated queue file starts with: a blank C record
 * (its sizes are written last), T, S, M, then "Subject: @subject" and
 * the empty line.  Returns the offset of the M record.
 */
static guint
rec_start(GByteArray *b, const char *subject)
{
	g_autofree char *field = g_strconcat("Subject: ", subject, NULL);
	char size[96];
	guint m;

	memset(size, ' ', 95);
	rec(b, 'C', size, 95);
	rec(b, 'T', "1795315703 491305", 17);
	rec(b, 'S', "a@example.org", 13);
	m = b->len;
	rec(b, 'M', "", 0);
	rec(b, 'N', field, strlen(field));
	rec(b, 'N', "", 0);
	return m;
}

/*
 * Writes the C record's sizes: the content from the M record at @m to the
 * X record at @x, one recipient.
 */
static void
rec_sizes(GByteArray *b, guint m, guint x)
{
	char size[96];

	g_snprintf(size, sizeof(size), "%15u %15u %15d %15d %15u %15d",
	    x - (m + 2), m + 2, 1, 0, x - (m + 2), 0);
	memcpy(b->data + 2, size, 95);
}

/* X, one recipient, E; then the C record's sizes.  Returns X's offset. */
static guint
rec_end(GByteArray *b, guint m)
{
	guint x = b->len;

	rec(b, 'X', "", 0);
	rec(b, 'R', "b@example.net", 13);
	rec(b, 'E', "", 0);
	rec_sizes(b, m, x);
	return x;
}

/*
 * A queue file with @lines body lines of @width bytes (long ones as L
 * records of 2048), sizes filled in.
 */
static GByteArray *
make_queue_file(guint lines, gsize width)
{
	GByteArray *b = g_byte_array_new();
	g_autofree char *line = g_malloc(width + 1);
	guint m;

	memset(line, 'y', width);
	m = rec_start(b, "big");
	for (guint i = 0; i < lines; i++) {
		gsize left = width;

		while (left > 2048) {
			rec(b, 'L', line, 2048);
			left -= 2048;
		}
		rec(b, 'N', line, left);
	}
	rec_end(b, m);
	return b;
}

START_TEST(test_postfix_streams_a_large_message_in_bounded_memory)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	g_autoptr(GByteArray) b = make_queue_file(2000, 5000);
	g_autofree char *path = write_file(dir, "BIG01", b->data, b->len, 0700);
	g_autoptr(SgMessage) msg = pf_open(path, "deferred");
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeStream) s = NULL;
	gint64 total = 0, want = 12 + 1 + 1 + 2000 * 5001, odd = 0;
	char buf[1000];
	gssize n;
	g_autofree char *text = findings_text(msg);

	ck_assert_msg(msg->findings->len == 0, "%s", text);
	ck_assert_int_eq(msg->content_size, want);
	s = sg_message_open_content(msg, &error);
	while ((n = g_mime_stream_read(s, buf, sizeof(buf))) > 0) {
		/* one assertion per chunk: Check logs each one */
		for (gssize i = 0; i < n; i++) {
			if (total + i >= 15 && buf[i] != 'y' && buf[i] != '\n')
				odd++;
		}
		total += n;
	}
	ck_assert_int_eq(total, want);
	ck_assert_int_eq(odd, 0);
	/* Seeks far forward and back land on the right byte (checkpoints). */
	for (guint i = 0; i < 40; i++) {
		gint64 pos = 14 + (gint64)((i * 7919u) % 2000u) * 5001 +
		    (i % 2 == 0 ? 5000 : 17);
		g_autoptr(GMimeStream) sub =
		    g_mime_stream_substream(s, pos, pos + 1);

		ck_assert_int_eq(g_mime_stream_seek(s, pos,
		                     GMIME_STREAM_SEEK_SET),
		    pos);
		ck_assert_int_eq(g_mime_stream_read(s, buf, 1), 1);
		ck_assert_int_eq(buf[0], i % 2 == 0 ? '\n' : 'y');
		ck_assert_int_eq(g_mime_stream_read(sub, buf, 2), 1);
		ck_assert_int_eq(buf[0], i % 2 == 0 ? '\n' : 'y');
	}
	unlink(path);
	rmdir(dir);
}
END_TEST

/*
 * Lines of varied width and content, so record headers and data straddle
 * the reader's 64 KiB window at every kind of position: the stream must
 * give back exactly the text, whole and in odd-sized reads.
 */
START_TEST(test_postfix_window_reads_match_the_records)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	g_autoptr(GByteArray) b = g_byte_array_new();
	g_autoptr(GString) want = g_string_new("Subject: w\n\n");
	g_autoptr(GString) line = g_string_new(NULL);
	g_autoptr(GByteArray) got = NULL;
	g_autoptr(GByteArray) odd = NULL;
	g_autofree char *path = NULL;
	g_autoptr(SgMessage) msg = NULL;
	g_autofree char *text = NULL;
	guint m;

	m = rec_start(b, "w");
	for (guint i = 0; i < 900; i++) {
		gsize width = (i * 37u) % 4500u, at = 0;

		g_string_truncate(line, 0);
		while (line->len < width)
			g_string_append_printf(line, "%u.%zu,", i, line->len);
		g_string_truncate(line, width);
		while (line->len - at > 2048) {
			rec(b, 'L', line->str + at, 2048);
			at += 2048;
		}
		rec(b, 'N', line->str + at, line->len - at);
		g_string_append_len(want, line->str, (gssize)line->len);
		g_string_append_c(want, '\n');
	}
	rec_end(b, m);
	ck_assert_uint_gt(b->len, 3 * 65536);

	path = write_file(dir, "WIN01", b->data, b->len, 0700);
	msg = pf_open(path, "deferred");
	text = findings_text(msg);
	ck_assert_msg(msg->findings->len == 0, "%s", text);
	ck_assert_int_eq(msg->content_size, (gint64)want->len);
	got = read_content(msg, 65536);
	odd = read_content(msg, 4093);
	ck_assert_uint_eq(got->len, want->len);
	ck_assert(memcmp(got->data, want->str, want->len) == 0);
	ck_assert_uint_eq(odd->len, want->len);
	ck_assert(memcmp(odd->data, want->str, want->len) == 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* A record whose length takes @nbytes bytes, padded with 0x80 as needed. */
static void
rec_wide(GByteArray *b, char type, const char *data, gsize len, guint nbytes)
{
	guint8 t = (guint8)type;
	gsize n = len;

	g_byte_array_append(b, &t, 1);
	for (guint i = 0; i < nbytes; i++) {
		guint8 c = n & 0x7f;

		n >>= 7;
		if (i + 1 < nbytes)
			c |= 0x80;
		g_byte_array_append(b, &c, 1);
	}
	g_byte_array_append(b, (const guint8 *)data, (guint)len);
}

/* A pointer record to @target, "%15ld" as Postfix writes it. */
static void
rec_ptr(GByteArray *b, goffset target)
{
	char v[16];

	g_snprintf(v, sizeof(v), "%15" G_GINT64_FORMAT, (gint64)target);
	rec(b, 'p', v, 15);
}

/*
 * Appends @lines lines of text to @b as N, L and w records of every kind
 * the reader takes (lengths of 1 to 3 bytes, a padded 4-byte one, empty
 * lines, lines split into L records) and the text to @want.
 */
static void
add_text(GByteArray *b, GString *want, guint first, guint lines)
{
	g_autoptr(GString) line = g_string_new(NULL);

	for (guint i = first; i < first + lines; i++) {
		gsize width = (i * 53u) % 700u, at = 0;

		g_string_truncate(line, 0);
		while (line->len < width)
			g_string_append_printf(line, "<%u:%zu>", i, line->len);
		g_string_truncate(line, width);
		if (i % 97 == 0) {
			/* one N record longer than 16383 bytes: 3 length bytes
			 */
			while (line->len < 20000)
				g_string_append_printf(line, "[%u]", i);
		}
		if (i % 41 == 0)
			rec(b, 'w', "padding", 7);
		if (i % 13 == 0) {
			while (line->len - at > 300) {
				rec(b, 'L', line->str + at, 300);
				at += 300;
			}
		}
		if (i % 29 == 0)
			rec_wide(b, 'N', line->str + at, line->len - at, 4);
		else
			rec(b, 'N', line->str + at, line->len - at);
		g_string_append_len(want, line->str, (gssize)line->len);
		g_string_append_c(want, '\n');
	}
}

/*
 * A queue file whose text runs through pointer records: the first part,
 * a jump to a block behind the end record, then back to the rest (as a
 * milter edit leaves it).  The text is put in @want.
 */
static GByteArray *
make_pointer_queue_file(GString *want)
{
	GByteArray *b = g_byte_array_new();
	g_autoptr(GString) first = g_string_new(NULL);
	g_autoptr(GString) moved = g_string_new(NULL);
	g_autoptr(GString) rest = g_string_new(NULL);
	char v[16];
	guint m, x, ptr, back, q;

	m = rec_start(b, "map");
	add_text(b, first, 0, 700);
	ptr = b->len;
	rec_ptr(b, 0); /* to q, filled in below */
	back = b->len;
	add_text(b, rest, 1400, 700);
	x = b->len;
	rec(b, 'X', "", 0);
	rec(b, 'R', "b@example.net", 13);
	rec(b, 'E', "", 0);
	q = b->len;
	add_text(b, moved, 700, 700);
	rec_ptr(b, back);
	g_snprintf(v, sizeof(v), "%15u", q);
	memcpy(b->data + ptr + 2, v, 15);
	rec_sizes(b, m, x);
	g_string_assign(want, "Subject: map\n\n");
	g_string_append_len(want, first->str, (gssize)first->len);
	g_string_append_len(want, moved->str, (gssize)moved->len);
	g_string_append_len(want, rest->str, (gssize)rest->len);
	return b;
}

/* Reads @len bytes at @pos of @s (SEEK_SET relative to its start). */
static void
assert_read_at(GMimeStream *s, gint64 pos, gsize len, const GString *want)
{
	g_autofree char *buf = g_malloc(len + 1);
	gsize got = 0;
	gssize n;

	ck_assert_int_eq(g_mime_stream_seek(s, pos - s->bound_start,
	                     GMIME_STREAM_SEEK_SET),
	    pos);
	while (
	    got < len && (n = g_mime_stream_read(s, buf + got, len - got)) > 0)
		got += (gsize)n;
	ck_assert_uint_eq(got, len);
	ck_assert_msg(memcmp(buf, want->str + pos, len) == 0,
	    "%zu bytes at %" G_GINT64_FORMAT " differ", len, pos);
}

/*
 * The record map is shared by a stream and its substreams: reads through
 * two overlapping substreams and the parent, in alternating, backward,
 * forward and random seek order, give exactly the bytes of a straight read,
 * across many checkpoints and across pointer jumps.
 */
START_TEST(test_postfix_substreams_seeking_in_any_order_match_the_text)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	g_autoptr(GString) want = g_string_new(NULL);
	g_autoptr(GByteArray) b = make_pointer_queue_file(want);
	g_autofree char *path = write_file(dir, "MAP01", b->data, b->len, 0700);
	g_autoptr(SgMessage) msg = pf_open(path, "deferred");
	g_autofree char *text = findings_text(msg);
	g_autoptr(GByteArray) all = NULL;
	g_autoptr(GByteArray) odd = NULL;
	g_autoptr(GMimeStream) s = NULL;
	g_autoptr(GMimeStream) a = NULL;
	g_autoptr(GMimeStream) c = NULL;
	g_autoptr(GRand) rnd = g_rand_new_with_seed(6);
	const GArray *map = sg_postfix_content_map(msg);
	gint64 len = (gint64)want->len;
	GMimeStream *views[3];

	ck_assert_msg(msg->findings->len == 0, "%s", text);
	ck_assert_int_eq(msg->content_size, len);
	/* the text spans many checkpoints, some after each jump */
	ck_assert_ptr_nonnull(map);
	ck_assert_uint_ge(map->len, 12);
	ck_assert_int_gt(len, 12 * SG_POSTFIX_MARK_GAP);
	all = read_content(msg, 65536);
	odd = read_content(msg, 777);
	ck_assert_uint_eq(all->len, want->len);
	ck_assert(memcmp(all->data, want->str, want->len) == 0);
	ck_assert_uint_eq(odd->len, want->len);
	ck_assert(memcmp(odd->data, want->str, want->len) == 0);

	s = sg_message_open_content(msg, NULL);
	a = g_mime_stream_substream(s, 1000, len - 3000);
	c = g_mime_stream_substream(s, len / 3, len);
	views[0] = s;
	views[1] = a;
	views[2] = c;
	/* alternating between the substreams, each walking backward */
	for (gint64 i = 0; i < 30; i++) {
		GMimeStream *v = views[1 + i % 2];
		gint64 span = v->bound_end - v->bound_start - 100;
		gint64 pos = v->bound_start + span - (i / 2) * (span / 15);

		assert_read_at(v, pos, 100, want);
	}
	/* then forward, then at random, in all three */
	for (gint64 i = 0; i < 30; i++) {
		GMimeStream *v = views[i % 3];
		gint64 span = v->bound_end - v->bound_start - 500;

		assert_read_at(v, v->bound_start + i * (span / 30), 500, want);
	}
	for (guint i = 0; i < 200; i++) {
		GMimeStream *v = views[g_rand_int_range(rnd, 0, 3)];
		gsize n = (gsize)g_rand_int_range(rnd, 1, 9000);
		gint64 span = v->bound_end - v->bound_start - (gint64)n;

		assert_read_at(v,
		    v->bound_start + (gint64)g_rand_double_range(rnd, 0, span),
		    n, want);
	}
	/* a substream of a substream sees the same map */
	{
		g_autoptr(GMimeStream) inner =
		    g_mime_stream_substream(c, len - 70000, len - 10);

		assert_read_at(inner, len - 50, 40, want);
		assert_read_at(inner, len - 70000, 60000, want);
	}
	unlink(path);
	rmdir(dir);
}
END_TEST

static gint64
max_rss_kib(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* The whole text of @s, read @chunk bytes at a time. */
static GByteArray *
read_stream(GMimeStream *s, gsize chunk)
{
	GByteArray *out = g_byte_array_new();
	g_autofree guint8 *buf = g_malloc(chunk);
	gssize n;

	while ((n = g_mime_stream_read(s, (char *)buf, chunk)) > 0)
		g_byte_array_append(out, buf, (guint)n);
	ck_assert_int_ge(n, 0);
	return out;
}

/*
 * The walk ends where the file ended when it was opened, even when the
 * read window holds bytes written since (the fast path reads ahead): a
 * stream told the file has @cut bytes gives what a file cut there gives,
 * for cuts in record headers, in 1 to 4 length bytes and in data.
 */
START_TEST(test_postfix_stream_stops_at_the_file_size_it_was_given)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	g_autoptr(GString) want = g_string_new(NULL);
	g_autoptr(GByteArray) b = make_pointer_queue_file(want);
	g_autofree char *full = write_file(dir, "CUT01", b->data, b->len, 0700);
	g_autofree char *part = write_file(dir, "CUT02", b->data, b->len, 0700);
	int fd = open(full, O_RDONLY), fd2 = open(part, O_RDWR);
	goffset data = 0;
	guint cuts = 0;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(fd2, 0);
	/* the text starts after the M record */
	for (goffset o = 0; data == 0; o++) {
		if (b->data[o] == 'M' && b->data[o + 1] == 0)
			data = o + 2;
	}
	/* cuts from high to low so that the cut file only shrinks */
	for (goffset cut = 160000; cut > 100; cut -= cut > 40000 ? 9973 : 7) {
		g_autoptr(GMimeStream) s =
		    sg_postfix_stream_new(fd, cut, data, -1, NULL);
		g_autoptr(GMimeStream) t = NULL;
		g_autoptr(GByteArray) got = NULL;
		g_autoptr(GByteArray) ref = NULL;

		ck_assert_int_eq(ftruncate(fd2, cut), 0);
		t = sg_postfix_stream_new(fd2, cut, data, -1, NULL);
		got = read_stream(s, 65536);
		ref = read_stream(t, 65536);
		ck_assert_msg(got->len == ref->len &&
		        (got->len == 0 ||
		            memcmp(got->data, ref->data, got->len) == 0),
		    "cut at %" G_GINT64_FORMAT ": %u bytes, not %u",
		    (gint64)cut, got->len, ref->len);
		ck_assert(got->len == 0 ||
		    memcmp(got->data, want->str, got->len) == 0);
		cuts++;
	}
	ck_assert_uint_gt(cuts, 100);
	close(fd);
	close(fd2);
	unlink(full);
	unlink(part);
	rmdir(dir);
}
END_TEST

/*
 * GMime makes a substream per MIME part and keeps them all: they share
 * their parent's read window, so thousands of parts cost no more memory
 * than one (a window each would be 64 KiB a part).
 */
START_TEST(test_postfix_substreams_share_one_read_window)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	g_autoptr(GString) want = g_string_new(NULL);
	g_autoptr(GByteArray) b = make_pointer_queue_file(want);
	g_autofree char *path = write_file(dir, "SUB01", b->data, b->len, 0700);
	g_autoptr(SgMessage) msg = pf_open(path, "deferred");
	g_autoptr(GMimeStream) s = sg_message_open_content(msg, NULL);
	g_autoptr(GPtrArray) subs =
	    g_ptr_array_new_with_free_func(g_object_unref);
	gint64 len = (gint64)want->len, rss = max_rss_kib();
	char buf[16];

	ck_assert_int_eq(msg->content_size, len);
	for (guint i = 0; i < 4000; i++) {
		gint64 pos = (gint64)((i * 7919u) % (guint)(len - 16));
		GMimeStream *sub = g_mime_stream_substream(s, pos, pos + 16);

		g_ptr_array_add(subs, sub);
		ck_assert_int_eq(g_mime_stream_read(sub, buf, 16), 16);
		ck_assert(memcmp(buf, want->str + pos, 16) == 0);
	}
	/* and each reads on correctly after the others moved the window */
	for (guint i = 0; i < subs->len; i += 37) {
		GMimeStream *sub = g_ptr_array_index(subs, i);
		gint64 pos = (gint64)((i * 7919u) % (guint)(len - 16));

		ck_assert_int_eq(g_mime_stream_reset(sub), 0);
		ck_assert_int_eq(g_mime_stream_read(sub, buf, 16), 16);
		ck_assert(memcmp(buf, want->str + pos, 16) == 0);
	}
	/* 4000 windows would be 250 MiB */
	ck_assert_int_lt(max_rss_kib() - rss, 32 * 1024);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Appends one record to @f. */
static void
frec(FILE *f, char type, const char *data, gsize len)
{
	g_autoptr(GByteArray) b = g_byte_array_new();

	rec(b, type, data, len);
	ck_assert_uint_eq(fwrite(b->data, 1, b->len, f), b->len);
}

#define HUGE_LINES 42000u
#define HUGE_WIDTH 2000u
#define HUGE_HEAD "Subject: huge\n\n"

/* The byte at content offset @pos of the huge message. */
static char
huge_byte(gint64 pos)
{
	gint64 head = (gint64)strlen(HUGE_HEAD), line, col;
	char num[16];

	if (pos < head)
		return HUGE_HEAD[pos];
	line = (pos - head) / (HUGE_WIDTH + 1);
	col = (pos - head) % (HUGE_WIDTH + 1);
	if (col == HUGE_WIDTH)
		return '\n';
	if (col < 10) {
		g_snprintf(num, sizeof(num), "%010u", (guint)line);
		return num[col];
	}
	return (char)('a' + line % 26);
}

/*
 * An 80 MiB message has more than SG_POSTFIX_MARKS_MAX checkpoints' worth
 * of text: the map is thinned and stays bounded, the walk's memory does not
 * grow with the message, and seeks all over it still land on the right
 * bytes.
 */
START_TEST(test_postfix_record_map_stays_bounded_on_a_huge_message)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "HUGE1", NULL);
	g_autofree char *line = g_malloc(HUGE_WIDTH);
	g_autoptr(SgMessage) msg = NULL;
	g_autoptr(GMimeStream) s = NULL;
	g_autoptr(GRand) rnd = g_rand_new_with_seed(1);
	g_autofree char *buf = g_malloc(65536);
	g_autofree char *text = NULL;
	const GArray *map;
	const SgPostfixMark *marks;
	gint64 want =
	    (gint64)strlen(HUGE_HEAD) + (gint64)HUGE_LINES * (HUGE_WIDTH + 1);
	gint64 total = 0, bad = 0, rss;
	char size[96];
	long m, x;
	gssize n;
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	memset(size, ' ', 95);
	frec(f, 'C', size, 95);
	frec(f, 'T', "1795315703 491305", 17);
	frec(f, 'S', "a@example.org", 13);
	m = ftell(f);
	frec(f, 'M', "", 0);
	frec(f, 'N', "Subject: huge", 13);
	frec(f, 'N', "", 0);
	for (guint i = 0; i < HUGE_LINES; i++) {
		g_snprintf(line, 11, "%010u", i);
		memset(line + 10, 'a' + (int)(i % 26), HUGE_WIDTH - 10);
		frec(f, 'N', line, HUGE_WIDTH);
	}
	x = ftell(f);
	frec(f, 'X', "", 0);
	frec(f, 'R', "b@example.net", 13);
	frec(f, 'E', "", 0);
	g_snprintf(size, sizeof(size), "%15ld %15ld %15d %15d %15ld %15d",
	    x - (m + 2), m + 2, 1, 0, x - (m + 2), 0);
	ck_assert_int_eq(fseek(f, 2, SEEK_SET), 0);
	ck_assert_uint_eq(fwrite(size, 1, 95, f), 95);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0700), 0);

	rss = max_rss_kib();
	msg = pf_open(path, "deferred");
	text = findings_text(msg);
	ck_assert_msg(msg->findings->len == 0, "%s", text);
	ck_assert_int_eq(msg->content_size, want);
	map = sg_postfix_content_map(msg);
	ck_assert_ptr_nonnull(map);
	/* thinned at least once: between half full and full, gaps doubled */
	ck_assert_uint_le(map->len, SG_POSTFIX_MARKS_MAX);
	ck_assert_uint_gt(map->len, SG_POSTFIX_MARKS_MAX / 4);
	marks = (const SgPostfixMark *)(gconstpointer)map->data;
	for (guint i = 1; i < map->len; i++)
		ck_assert_int_ge(marks[i].content - marks[i - 1].content,
		    2 * SG_POSTFIX_MARK_GAP);
	ck_assert_int_gt(marks[map->len - 1].content, want / 2);

	s = sg_message_open_content(msg, NULL);
	while ((n = g_mime_stream_read(s, buf, 65536)) > 0) {
		/* one assertion per chunk: Check logs each one */
		for (gssize i = 0; i < n; i++)
			bad += buf[i] != huge_byte(total + i);
		total += n;
	}
	ck_assert_int_eq(total, want);
	ck_assert_int_eq(bad, 0);
	for (guint i = 0; i < 300; i++) {
		gint64 pos = (gint64)g_rand_double_range(rnd, 0, want - 64);

		ck_assert_int_eq(g_mime_stream_seek(s, pos,
		                     GMIME_STREAM_SEEK_SET),
		    pos);
		ck_assert_int_eq(g_mime_stream_read(s, buf, 64), 64);
		for (gint64 k = 0; k < 64; k++)
			bad += buf[k] != huge_byte(pos + k);
	}
	ck_assert_int_eq(bad, 0);
	/* nothing on the way held the text: far less than its 80 MiB */
	ck_assert_int_lt(max_rss_kib() - rss, 16 * 1024);
	/* substreams jump through the same map */
	for (guint i = 0; i < 100; i++) {
		gint64 pos = (gint64)g_rand_double_range(rnd, 0, want - 64);
		g_autoptr(GMimeStream) sub =
		    g_mime_stream_substream(s, pos, pos + 64);

		ck_assert_int_eq(g_mime_stream_read(sub, buf, 100), 64);
		for (gint64 k = 0; k < 64; k++)
			bad += buf[k] != huge_byte(pos + k);
	}
	ck_assert_int_eq(bad, 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* ---- not disturbing Postfix ------------------------------------------ */

/* A copy of the first real hold/ file as @dir/@name in @mode. */
static char *
copy_real(const char *dir, const char *name, mode_t mode)
{
	g_autofree char *src = first_in("hold");
	g_autofree char *data = NULL;
	gsize len;

	ck_assert(g_file_get_contents(src, &data, &len, NULL));
	return write_file(dir, name, data, len, mode);
}

/*
 * Read without a lock, as showq does (a lock of ours would make qmgr's and
 * the delivery agents' non-blocking locks fail); moved only under qmgr's
 * own exclusive flock, taken by prepare_move(), which fails while a
 * delivery agent holds its shared one.
 */
START_TEST(test_postfix_locked_file_is_read_but_not_moved)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	g_autofree char *path = copy_real(dir, "L1", 0700);
	g_autoptr(SgMessage) msg = pf_message(path, "deferred");
	g_autoptr(GError) error = NULL;
	int fd = open(path, O_RDONLY);
	int mine;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_SH | LOCK_NB), 0);
	ck_assert_msg(sg_spool_postfix_ops.open(msg, NULL, &scan_opts, &error),
	    "%s", error ? error->message : "");
	/* reading took no lock: a delivery agent can still take its own */
	mine = open(path, O_RDONLY);
	ck_assert_int_eq(flock(mine, LOCK_SH | LOCK_NB), 0);
	close(mine);
	ck_assert(!sg_spool_postfix_ops.prepare_move(msg, &error));
	ck_assert(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY));
	g_clear_error(&error);
	/* near miss: once the agent lets go, the move may proceed, and then
	 * qmgr's own non-blocking lock fails */
	close(fd);
	ck_assert_msg(sg_spool_postfix_ops.prepare_move(msg, &error), "%s",
	    error ? error->message : "");
	fd = open(path, O_RDONLY);
	ck_assert_int_ne(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	g_clear_pointer(&msg, sg_message_free);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* prepare_move() sees a rename (qmgr: incoming -> active) since open. */
START_TEST(test_postfix_prepare_move_sees_a_rename_since_open)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	g_autofree char *path = copy_real(dir, "R1", 0700);
	g_autofree char *moved = g_build_filename(dir, "R1moved", NULL);
	g_autoptr(SgMessage) msg = pf_message(path, "incoming");
	g_autoptr(GError) error = NULL;

	ck_assert(sg_spool_postfix_ops.open(msg, NULL, &scan_opts, NULL));
	ck_assert_int_eq(rename(path, moved), 0);
	ck_assert(!sg_spool_postfix_ops.prepare_move(msg, &error));
	ck_assert(
	    g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED));
	g_clear_pointer(&msg, sg_message_free);
	unlink(moved);
	rmdir(dir);
}
END_TEST

/*
 * Postfix's readiness: the owner bits exactly rwx (mail_open_ok()), in
 * every queue, whatever the age; corrupt/ is read as it is.  Each case
 * is one file in progress (kept) or finished (read), with the mode that
 * cleanup, postdrop or mark_corrupt() leaves.
 */
static const struct {
	const char *queue;
	mode_t mode;
	gboolean ready;
	gboolean stale; /* mtime two days back */
} ready_cases[] = {
	{ "incoming", 0600, FALSE, FALSE }, /* cleanup writing */
	{ "incoming", 0700, TRUE, FALSE },  /* cleanup done */
	{ "maildrop", 0644, FALSE, FALSE }, /* postdrop writing */
	{ "maildrop", 0744, TRUE, FALSE },  /* postdrop done */
	{ "maildrop", 0644, FALSE, TRUE },  /* a sendmail stalled for days */
	{ "deferred", 0400, FALSE, FALSE }, /* mark_corrupt() */
	{ "deferred", 0500, FALSE, FALSE }, /* not rwx: Postfix skips it */
	{ "active", 0755, TRUE, FALSE }, { "hold", 0700, TRUE, FALSE },
	{ "corrupt", 0400, TRUE, FALSE }, /* read, reported, not moved */
};

START_TEST(test_postfix_readiness_is_the_owner_execute_bit)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	g_autofree char *path = copy_real(dir, "B1", ready_cases[_i].mode);
	g_autoptr(SgMessage) msg = pf_message(path, ready_cases[_i].queue);
	g_autoptr(SgMessage) ro = pf_message(path, ready_cases[_i].queue);
	g_autoptr(GError) error = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	SgWalkOptions opts = { .min_age = 0, .now = now };

	if (ready_cases[_i].stale) {
		struct timespec t[2] = { { now - 2 * 86400, 0 },
			{ now - 2 * 86400, 0 } };

		ck_assert_int_eq(utimensat(AT_FDCWD, path, t, 0), 0);
	}
	if (ready_cases[_i].ready) {
		ck_assert_msg(sg_spool_postfix_ops.open(msg, NULL, &opts,
		                  &error),
		    "case %d: %s", _i, error ? error->message : "");
	} else {
		ck_assert(!sg_spool_postfix_ops.open(msg, NULL, &opts, &error));
		ck_assert_msg(g_error_matches(error, SG_CORE_ERROR,
		                  SG_CORE_ERROR_YOUNG),
		    "case %d: %s", _i, error->message);
		ck_assert_msg(strstr(error->message, "not marked ready") !=
		        NULL,
		    "%s", error->message);
		ck_assert_int_eq(msg->props != NULL &&
		        g_hash_table_contains(msg->props, "stale-in-progress"),
		    ready_cases[_i].stale);
	}
	/* check and inspect read it whatever its mode */
	ck_assert(sg_spool_postfix_ops.open(ro, NULL, &any_age, NULL));
	g_clear_pointer(&msg, sg_message_free);
	g_clear_pointer(&ro, sg_message_free);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_postfix_young_file_is_skipped)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	g_autoptr(GByteArray) b = make_queue_file(1, 10);
	g_autofree char *p2 = write_file(dir, "A2", b->data, b->len, 0700);
	g_autoptr(SgMessage) m2 = pf_message(p2, "deferred");
	g_autoptr(SgMessage) m3 = pf_message(p2, "deferred");
	g_autoptr(GError) e2 = NULL;
	SgWalkOptions hour = { .min_age = 3600 };
	struct timespec times[2] = { { 0, 0 }, { 0, 0 } };

	/* A deferred file's mtime is its next retry: set it far back. */
	ck_assert_int_eq(utimensat(AT_FDCWD, p2, times, 0), 0);
	ck_assert(!sg_spool_postfix_ops.open(m2, NULL, &hour, &e2));
	ck_assert(g_error_matches(e2, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG));
	ck_assert(sg_spool_postfix_ops.open(m3, NULL, &scan_opts, NULL));
	unlink(p2);
	rmdir(dir);
}
END_TEST

START_TEST(test_postfix_corrupt_queue_is_reported_not_moved)
{
	g_autofree char *path = pf_path("derived", "BADtype");
	g_autoptr(SgMessage) a = pf_message(path, "corrupt");
	g_autoptr(SgMessage) b = pf_message(path, "corrupt");
	SgWalkOptions incl = { .include_corrupt = TRUE };

	ck_assert(sg_spool_postfix_ops.open(a, NULL, &any_age, NULL));
	ck_assert(a->no_move);
	ck_assert_int_eq(a->verdict, SG_SEVERITY_QUARANTINE);
	g_clear_pointer(&a, sg_message_free); /* drops its lock */
	ck_assert(sg_spool_postfix_ops.open(b, NULL, &incl, NULL));
	ck_assert(!b->no_move);
}
END_TEST

START_TEST(test_postfix_default_profile_quarantines_container_damage)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) profile = sg_profile_load("default", &error);
	g_autofree char *bad = pf_path("derived", "BADptrloop");
	g_autofree char *good = pf_path("derived", "OKpointerafterend");
	g_autoptr(SgMessage) m1 = pf_message(bad, "deferred");
	g_autoptr(SgMessage) m2 = pf_message(good, "deferred");

	ck_assert_msg(profile != NULL, "%s", error ? error->message : "");
	ck_assert(sg_spool_postfix_ops.open(m1, profile, &any_age, NULL));
	ck_assert(has_rule(m1, SG_RULE_CONTAINER_POINTER_LOOP));
	ck_assert_int_eq(m1->verdict, SG_SEVERITY_QUARANTINE);
	ck_assert(sg_spool_postfix_ops.open(m2, profile, &any_age, NULL));
	ck_assert_uint_eq(m2->findings->len, 0);
}
END_TEST

/* ---- layout, walk, hold -------------------------------------------- */

typedef struct {
	GPtrArray *paths;
	GPtrArray *queues;
} Seen;

static gboolean
collect(SgMessage *msg, gpointer user_data)
{
	Seen *seen = user_data;

	g_ptr_array_add(seen->paths, g_strdup(msg->id));
	g_ptr_array_add(seen->queues, g_strdup(msg->queue_name));
	ck_assert(
	    sg_spool_valid_queue_id(msg->queue_id, strlen(msg->queue_id)));
	sg_message_free(msg);
	return TRUE;
}

static void
copy_to(const char *from, const char *dir, const char *name)
{
	g_autofree char *data = NULL;
	gsize len;
	g_autofree char *p = NULL;

	ck_assert(g_file_get_contents(from, &data, &len, NULL));
	p = write_file(dir, name, data, len, 0700);
}

START_TEST(test_postfix_walk_finds_queues_and_skips_bad_names)
{
	g_autofree char *root = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	const char *dirs[] = { "incoming", "active", "deferred", "deferred/F",
		"hold", "maildrop", "corrupt", "plain" };
	g_autofree char *good = pf_path("derived", "OKdonercpt");
	g_autofree char *cmd = NULL;
	Seen seen = { g_ptr_array_new_with_free_func(g_free),
		g_ptr_array_new_with_free_func(g_free) };
	SgWalkStats stats = { 0 };
	int fd;

	for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
		g_autofree char *p = g_build_filename(root, dirs[i], NULL);

		ck_assert_int_eq(g_mkdir_with_parents(p, 0700), 0);
	}
	{
		g_autofree char *d = g_build_filename(root, "deferred/F", NULL);
		g_autofree char *h = g_build_filename(root, "hold", NULL);
		g_autofree char *c = g_build_filename(root, "corrupt", NULL);
		g_autofree char *bad =
		    g_build_filename(root, "deferred/F", "bad.name", NULL);
		g_autofree char *link =
		    g_build_filename(root, "hold", "LNK1", NULL);

		copy_to(good, d, "F1CDEA76A0E");
		copy_to(good, h, "0EBACA76A14");
		copy_to(good, c, "C0RRUPT1");
		copy_to(good, d, "bad.name");
		ck_assert_int_eq(symlink(bad, link), 0);
	}
	fd = open(root, O_RDONLY | O_DIRECTORY);
	ck_assert(sg_spool_postfix_ops.detect(fd, root));
	close(fd);
	{
		g_autofree char *q = g_build_filename(root, "deferred", NULL);
		g_autofree char *p = g_build_filename(root, "plain", NULL);

		fd = open(q, O_RDONLY | O_DIRECTORY);
		ck_assert(sg_spool_postfix_ops.detect(fd, q));
		close(fd);
		fd = open(p, O_RDONLY | O_DIRECTORY);
		ck_assert(!sg_spool_postfix_ops.detect(fd, p));
		close(fd);
	}
	ck_assert(sg_spool_postfix_ops.walk(root, &any_age, &stats, collect,
	    &seen, NULL));
	ck_assert_int_eq(stats.seen, 3);
	ck_assert_int_eq(stats.skipped, 2); /* bad.name and the symlink */
	ck_assert_str_eq(g_ptr_array_index(seen.queues, 0), "hold");
	ck_assert_str_eq(g_ptr_array_index(seen.queues, 1), "deferred");
	ck_assert_str_eq(g_ptr_array_index(seen.queues, 2), "corrupt");
	/* one queue directory alone */
	{
		g_autofree char *q = g_build_filename(root, "deferred", NULL);
		SgWalkStats s2 = { 0 };

		g_ptr_array_set_size(seen.queues, 0);
		ck_assert(sg_spool_postfix_ops.walk(q, &any_age, &s2, collect,
		    &seen, NULL));
		ck_assert_int_eq(s2.seen, 1);
		ck_assert_str_eq(g_ptr_array_index(seen.queues, 0), "deferred");
	}
	g_ptr_array_unref(seen.paths);
	g_ptr_array_unref(seen.queues);
	cmd = g_strdup_printf("rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static gboolean
take_first(SgMessage *msg, gpointer user_data)
{
	SgMessage **out = user_data;

	if (*out == NULL && strcmp(msg->queue_name, "deferred") == 0) {
		*out = msg;
		return TRUE;
	}
	sg_message_free(msg);
	return TRUE;
}

START_TEST(test_postfix_hold_renames_into_hold_keeping_the_inode)
{
	g_autofree char *root = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	const char *dirs[] = { "incoming", "active", "deferred/F", "hold" };
	g_autofree char *good = pf_path("derived", "OKdonercpt");
	g_autofree char *held = g_build_filename(root, "hold", "F1CDE", NULL);
	g_autofree char *cmd = NULL;
	g_autofree char *rel = NULL;
	SgMessage *msg = NULL;
	SgWalkStats stats = { 0 };
	struct stat before, after;

	for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
		g_autofree char *p = g_build_filename(root, dirs[i], NULL);

		ck_assert_int_eq(g_mkdir_with_parents(p, 0700), 0);
	}
	{
		g_autofree char *d = g_build_filename(root, "deferred/F", NULL);

		copy_to(good, d, "F1CDE");
	}
	ck_assert(sg_spool_postfix_ops.walk(root, &any_age, &stats, take_first,
	    &msg, NULL));
	ck_assert_ptr_nonnull(msg);
	ck_assert(sg_spool_postfix_ops.open(msg, NULL, &scan_opts, NULL));
	ck_assert(!msg->on_hold);
	ck_assert_int_eq(fstat(sg_message_file(msg, 0)->fd, &before), 0);
	ck_assert(sg_spool_postfix_ops.prepare_move(msg, NULL));
	ck_assert(sg_spool_postfix_ops.hold(msg, NULL));
	ck_assert_int_eq(lstat(held, &after), 0);
	ck_assert_uint_eq(before.st_ino, after.st_ino);
	ck_assert_str_eq(msg->queue_name, "hold");
	ck_assert_str_eq(sg_message_file(msg, 0)->path, held);
	/* a file named alone is found to be in a queue */
	{
		g_autoptr(SgMessage) one = sg_postfix_message_for_file(held);
		g_autofree char *plain = g_build_filename(root, "README", NULL);
		g_autoptr(SgMessage) none = NULL;

		ck_assert_ptr_nonnull(one);
		ck_assert_str_eq(one->queue_name, "hold");
		ck_assert_str_eq(one->queue_id, "F1CDE");
		/* on hold already: --action hold leaves it as it is */
		ck_assert(
		    sg_spool_postfix_ops.open(one, NULL, &scan_opts, NULL));
		ck_assert(one->on_hold);
		ck_assert(g_file_set_contents(plain, "x", 1, NULL));
		none = sg_postfix_message_for_file(plain);
		ck_assert_ptr_null(none);
	}
	rel = sg_spool_postfix_ops.release_dir(root, "deferred", "F1CDE");
	ck_assert(g_str_has_suffix(rel, "/hold"));
	g_free(rel);
	rel = sg_spool_postfix_ops.release_dir(root, "maildrop", "F1CDE");
	ck_assert(g_str_has_suffix(rel, "/maildrop"));
	sg_message_free(msg);
	cmd = g_strdup_printf("rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- hostile generated inputs --------------------------------------- */

static SgMessage *
open_bytes(const char *dir, const guint8 *data, gsize len)
{
	g_autofree char *path = write_file(dir, "H1", data, len, 0700);
	SgMessage *msg = pf_message(path, "deferred");
	g_autoptr(GError) error = NULL;

	ck_assert_msg(sg_spool_postfix_ops.open(msg, NULL, &any_age, &error),
	    "%s", error ? error->message : "");
	/* the stream must survive whatever the file holds */
	g_byte_array_unref(read_content(msg, 777));
	unlink(path);
	return msg;
}

START_TEST(test_postfix_rejects_length_past_eof)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	const guint8 bytes[] = { 'C', 0xff, 0xff, 0xff, 0x7f, 'x' };
	g_autoptr(SgMessage) msg = open_bytes(dir, bytes, sizeof(bytes));

	ck_assert(has_rule(msg, SG_RULE_CONTAINER_RECORD_OVERRUN));
	rmdir(dir);
}
END_TEST

START_TEST(test_postfix_rejects_five_length_bytes)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	const guint8 bytes[] = { 'C', 0x81, 0x80, 0x80, 0x80, 0x00, 'x' };
	g_autoptr(SgMessage) msg = open_bytes(dir, bytes, sizeof(bytes));

	ck_assert(has_rule(msg, SG_RULE_CONTAINER_BAD_LENGTH));
	rmdir(dir);
}
END_TEST

START_TEST(test_postfix_rejects_pointer_loops_in_content)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	g_autoptr(GByteArray) b = make_queue_file(3, 10);
	g_autoptr(SgMessage) msg = NULL;
	char ptr[16];
	guint at;
	guint8 *m;

	/* Overwrite the 2nd body line (N, 10 bytes + 2) with p -> itself is
	 * not possible in 12 bytes; append a loop instead: N -> p -> p. */
	m = memmem(b->data, b->len, "M\0", 2);
	ck_assert_ptr_nonnull(m);
	at = b->len;
	g_snprintf(ptr, sizeof(ptr), "%15u", at + 17);
	rec(b, 'p', ptr, 15);
	g_snprintf(ptr, sizeof(ptr), "%15u", at);
	rec(b, 'p', ptr, 15);
	/* jump from the content into the loop: replace "Subject: big" */
	{
		guint8 *n = memmem(b->data, b->len, "Subject: big", 12);
		char buf[16];

		ck_assert_ptr_nonnull(n);
		n -= 2;
		g_snprintf(buf, sizeof(buf), "%12u", at);
		n[0] = 'p';
		n[1] = 12;
		memcpy(n + 2, buf, 12);
	}
	msg = open_bytes(dir, b->data, b->len);
	ck_assert(has_rule(msg, SG_RULE_CONTAINER_POINTER_LOOP));
	rmdir(dir);
}
END_TEST

START_TEST(test_postfix_survives_random_mutations)
{
	g_autofree char *dir = g_dir_make_tmp("sg-pf-XXXXXX", NULL);
	g_autoptr(GByteArray) base = make_queue_file(4, 3000);
	g_autoptr(GRand) rand = g_rand_new_with_seed(4242);
	guint quarantined = 0;

	for (guint round = 0; round < 400; round++) {
		g_autoptr(GByteArray) b = g_byte_array_new();
		g_autoptr(SgMessage) msg = NULL;
		guint flips = g_rand_int_range(rand, 1, 6);

		g_byte_array_append(b, base->data, base->len);
		for (guint i = 0; i < flips; i++) {
			guint at = g_rand_int_range(rand, 0, (gint32)b->len);

			switch (g_rand_int_range(rand, 0, 4)) {
			case 0:
				b->data[at] = (guint8)g_rand_int(rand);
				break;
			case 1:
				b->data[at] = (guint8)(0x80 | g_rand_int(rand));
				break;
			case 2:
				g_byte_array_set_size(b, at);
				break;
			default:
				b->data[at] =
				    "pNLXECMRSTw\0"[g_rand_int_range(rand, 0,
				        12)];
				break;
			}
			if (b->len == 0)
				break;
		}
		msg = open_bytes(dir, b->data, b->len);
		if (msg->verdict == SG_SEVERITY_QUARANTINE)
			quarantined++;
	}
	/* most random damage is caught */
	ck_assert_uint_gt(quarantined, 200);
	rmdir(dir);
}
END_TEST

static Suite *
postfix_suite(void)
{
	Suite *s = suite_create("postfix");
	TCase *tc = tcase_create("reader");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc,
	    test_postfix_derived_files_fire_exactly_their_rules, 0,
	    G_N_ELEMENTS(derived));
	tcase_add_test(tc,
	    test_postfix_real_deferred_files_are_clean_and_match_postcat);
	tcase_add_test(tc, test_postfix_real_hold_and_maildrop_files_are_clean);
	tcase_add_test(tc,
	    test_postfix_maildrop_file_outside_maildrop_lacks_size_record);
	tcase_add_test(tc,
	    test_postfix_maildrop_record_over_pickup_limit_is_flagged);
	tcase_add_test(tc,
	    test_postfix_maildrop_record_at_pickup_limit_is_clean);
	tcase_add_test(tc, test_postfix_maildrop_record_limit_is_the_profile_s);
	tcase_add_loop_test(tc,
	    test_postfix_shared_corrupt_samples_are_quarantined, 0,
	    G_N_ELEMENTS(shared_bad));
	tcase_add_test(tc, test_postfix_shared_good_samples_are_clean);
	tcase_add_test(tc,
	    test_postfix_stream_seeks_and_substreams_match_the_text);
	tcase_add_test(tc,
	    test_postfix_locate_maps_content_offsets_to_record_data);
	tcase_add_test(tc,
	    test_postfix_streams_a_large_message_in_bounded_memory);
	tcase_add_test(tc, test_postfix_window_reads_match_the_records);
	tcase_add_test(tc,
	    test_postfix_substreams_seeking_in_any_order_match_the_text);
	tcase_add_test(tc,
	    test_postfix_record_map_stays_bounded_on_a_huge_message);
	tcase_add_test(tc,
	    test_postfix_stream_stops_at_the_file_size_it_was_given);
	tcase_add_test(tc, test_postfix_substreams_share_one_read_window);
	tcase_add_test(tc, test_postfix_locked_file_is_read_but_not_moved);
	tcase_add_test(tc, test_postfix_prepare_move_sees_a_rename_since_open);
	tcase_add_loop_test(tc, test_postfix_readiness_is_the_owner_execute_bit,
	    0, G_N_ELEMENTS(ready_cases));
	tcase_add_test(tc, test_postfix_young_file_is_skipped);
	tcase_add_test(tc, test_postfix_corrupt_queue_is_reported_not_moved);
	tcase_add_test(tc,
	    test_postfix_default_profile_quarantines_container_damage);
	tcase_add_test(tc, test_postfix_walk_finds_queues_and_skips_bad_names);
	tcase_add_test(tc,
	    test_postfix_hold_renames_into_hold_keeping_the_inode);
	tcase_add_test(tc, test_postfix_rejects_length_past_eof);
	tcase_add_test(tc, test_postfix_rejects_five_length_bytes);
	tcase_add_test(tc, test_postfix_rejects_pointer_loops_in_content);
	tcase_add_test(tc, test_postfix_survives_random_mutations);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_run(postfix_suite());
}
