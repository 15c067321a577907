// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_headers.c - the byte, envelope and header checks: one fixture per
 * rule that fires and a near-miss that must not (testdata/headers/),
 * legitimate oddities that must not move, the push scanner fed one byte
 * at a time, offsets, the address counter, and hostile sizes generated
 * here (a 200 KB line, a 2 MB block, 50,000 addresses, 50,000 fields).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <gmime/gmime.h>

#include "spoolguard/check.h"
#include "spoolguard/spool.h"

#include "check-private.h"
#include "check-run.h"
#include "corpora/corpora-csv.h"

/* Small limits, so that small fixtures cross them. */
static const char small_profile[] = "[profile]\n"
                                    "description=small limits for tests\n"
                                    "include=default\n"
                                    "[header.line-length]\n"
                                    "soft=60\n"
                                    "hard=100\n"
                                    "[header.block-size]\n"
                                    "soft=400\n"
                                    "hard=600\n"
                                    "[header.count]\n"
                                    "soft=8\n"
                                    "hard=12\n"
                                    "[header.address-count]\n"
                                    "soft=3\n"
                                    "hard=5\n"
                                    "[header.received-count]\n"
                                    "soft=3\n"
                                    "[envelope.rcpt-count]\n"
                                    "soft=2\n"
                                    "hard=4\n"
                                    "[envelope.address-length]\n"
                                    "soft=20\n"
                                    "hard=40\n";

static const char size_profile[] = "[profile]\n"
                                   "description=a small message size\n"
                                   "include=default\n"
                                   "[message.size]\n"
                                   "soft=none\n"
                                   "hard=300\n";

static SgProfile *
profile_get(const char *name)
{
	g_autoptr(GError) error = NULL;
	SgProfile *profile;

	if (strcmp(name, "small") == 0)
		profile = sg_profile_new_from_data(small_profile,
		    sizeof small_profile - 1, "small", &error);
	else if (strcmp(name, "size") == 0)
		profile = sg_profile_new_from_data(size_profile,
		    sizeof size_profile - 1, "size", &error);
	else
		profile = sg_profile_load(name, &error);
	if (profile == NULL)
		ck_abort_msg("profile %s: %s", name, error->message);
	return profile;
}

static char *
fixture_path(const char *name)
{
	const char *dir = g_getenv("SPOOLGUARD_TESTDATA");

	ck_assert_msg(dir != NULL, "SPOOLGUARD_TESTDATA is not set");
	return g_build_filename(dir, "headers", name, NULL);
}

static char *
fixture_read(const char *name, gsize *len)
{
	g_autofree char *path = fixture_path(name);
	g_autoptr(GError) error = NULL;
	char *data = NULL;

	if (!g_file_get_contents(path, &data, len, &error))
		ck_abort_msg("%s: %s", path, error->message);
	return data;
}

/* A plain message over the whole of @path, opened. */
static SgMessage *
message_for(const char *path)
{
	SgMessage *msg = sg_message_new(NULL, "plain", path);
	g_autoptr(GError) error = NULL;

	sg_message_add_file(msg, path, "message");
	if (!sg_message_open_file(msg, 0, &error))
		ck_abort_msg("%s: %s", path, error->message);
	sg_message_set_content_window(msg, 0, 0,
	    sg_message_file(msg, 0)->st.st_size);
	return msg;
}

static char *
write_temp(const char *data, gsize len)
{
	char *path = g_build_filename(g_get_tmp_dir(), "sghdrXXXXXX", NULL);
	int fd = g_mkstemp(path);
	gsize done = 0;

	ck_assert_int_ge(fd, 0);
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		ck_assert_int_gt(n, 0);
		done += (gsize)n;
	}
	close(fd);
	return path;
}

static guint
count_rule(SgMessage *msg, SgRuleId rule)
{
	guint n = 0;

	for (guint i = 0; i < msg->findings->len; i++)
		if (((SgFinding *)msg->findings->pdata[i])->rule == rule)
			n++;
	return n;
}

/* (transfer none) (nullable): the first finding of @rule. */
static SgFinding *
find_rule(SgMessage *msg, SgRuleId rule)
{
	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = msg->findings->pdata[i];

		if (f->rule == rule)
			return f;
	}
	return NULL;
}

static char *
findings_dump(SgMessage *msg)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = msg->findings->pdata[i];

		g_string_append_printf(s,
		    "\n  %s %s @%" G_GINT64_FORMAT " obs=%" G_GINT64_FORMAT
		    " lim=%" G_GINT64_FORMAT " hdr=%s: %s",
		    sg_rule_id(f->rule), sg_severity_to_string(f->severity),
		    (gint64)f->offset, f->observed, f->limit,
		    f->header != NULL ? f->header : "-", f->text);
	}
	return g_string_free(s, FALSE);
}

/* Runs the checks this module owns (not MIME) on a fixture. */
static SgMessage *
check_fixture(const char *name, const char *profile_name, SgInspect *inspect)
{
	g_autofree char *path = fixture_path(name);
	g_autoptr(SgProfile) profile = profile_get(profile_name);
	g_autoptr(SgCheckContext) ctx = sg_check_context_new(profile, NULL);
	g_autoptr(GError) error = NULL;
	SgMessage *msg = message_for(path);

	sg_check_envelope(ctx, msg);
	sg_check_size(ctx, msg);
	if (!sg_check_headers(ctx, msg, inspect, &error))
		ck_abort_msg("%s: %s", name, error->message);
	return msg;
}

/* The same through the plain reader, which parses IIS envelope lines. */
static SgMessage *
check_fixture_read(const char *name, const char *profile_name)
{
	g_autofree char *path = fixture_path(name);
	g_autoptr(SgProfile) profile = profile_get(profile_name);
	g_autoptr(SgCheckContext) ctx = sg_check_context_new(profile, NULL);
	g_autoptr(GError) error = NULL;
	SgWalkOptions opts = { 0 };
	SgMessage *msg = sg_spool_message_for_file(path);

	if (!msg->ops->open(msg, profile, &opts, &error))
		ck_abort_msg("%s: %s", name, error->message);
	sg_check_envelope(ctx, msg);
	sg_check_size(ctx, msg);
	if (!sg_check_headers(ctx, msg, NULL, &error))
		ck_abort_msg("%s: %s", name, error->message);
	return msg;
}

/* ---- the fixture table ------------------------------------------------ */

typedef struct {
	const char *fixture;
	const char *profile;
	const char *present; /* rule ids, space-separated */
	const char *absent;
	SgSeverity verdict;
	gboolean legit; /* nothing over info but header.8bit */
} HeaderCase;

#define ALL_HEADER_RULES                                                \
	"container.not-a-message header.line-length header.block-size " \
	"header.count header.nul header.bare-cr header.invalid-name "   \
	"header.leading-continuation header.no-separator "              \
	"header.address-count header.received-count message.size"

static const HeaderCase header_cases[] = {
	{ "line-length-fire.eml", "small", "header.line-length", "",
	    SG_SEVERITY_QUARANTINE, FALSE },
	{ "line-length-near.eml", "small", "", ALL_HEADER_RULES,
	    SG_SEVERITY_IGNORE, FALSE },
	{ "block-size-fire.eml", "small", "header.block-size",
	    "header.line-length header.count", SG_SEVERITY_QUARANTINE, FALSE },
	{ "block-size-near.eml", "small", "", ALL_HEADER_RULES,
	    SG_SEVERITY_IGNORE, FALSE },
	{ "count-fire.eml", "small", "header.count", "header.block-size",
	    SG_SEVERITY_QUARANTINE, FALSE },
	{ "count-near.eml", "small", "", ALL_HEADER_RULES, SG_SEVERITY_IGNORE,
	    FALSE },
	{ "nul-fire.eml", "default", "header.nul", "container.not-a-message",
	    SG_SEVERITY_QUARANTINE, FALSE },
	{ "nul-near.eml", "default", "", ALL_HEADER_RULES, SG_SEVERITY_IGNORE,
	    TRUE },
	{ "bare-cr-fire.eml", "default", "header.bare-cr",
	    "header.no-separator header.nul", SG_SEVERITY_WARN, FALSE },
	{ "bare-cr-near.eml", "default", "", ALL_HEADER_RULES,
	    SG_SEVERITY_IGNORE, TRUE },
	{ "utf8-headers.eml", "default", "header.8bit", ALL_HEADER_RULES,
	    SG_SEVERITY_WARN, TRUE },
	{ "8bit-near.eml", "default", "", "header.8bit " ALL_HEADER_RULES,
	    SG_SEVERITY_IGNORE, TRUE },
	{ "invalid-name-fire.eml", "default", "header.invalid-name",
	    "header.no-separator container.not-a-message",
	    SG_SEVERITY_QUARANTINE, FALSE },
	{ "invalid-name-ctl.eml", "default", "header.invalid-name",
	    "header.no-separator", SG_SEVERITY_QUARANTINE, FALSE },
	{ "invalid-name-near.eml", "default", "", ALL_HEADER_RULES,
	    SG_SEVERITY_IGNORE, TRUE },
	{ "leading-continuation-fire.eml", "default",
	    "header.leading-continuation", "container.not-a-message",
	    SG_SEVERITY_QUARANTINE, FALSE },
	{ "folded-long.eml", "default", "", ALL_HEADER_RULES,
	    SG_SEVERITY_IGNORE, TRUE },
	{ "no-separator-fire.eml", "default", "header.no-separator",
	    "container.not-a-message header.invalid-name", SG_SEVERITY_WARN,
	    FALSE },
	{ "no-separator-nul.eml", "default", "header.no-separator header.nul",
	    "container.not-a-message", SG_SEVERITY_QUARANTINE, FALSE },
	{ "no-separator-hidden.eml", "default",
	    "header.no-separator header.nul", "header.invalid-name",
	    SG_SEVERITY_QUARANTINE, FALSE },
	{ "no-separator-colon.eml", "default", "header.no-separator",
	    "header.invalid-name header.nul header.line-length",
	    SG_SEVERITY_WARN, FALSE },
	{ "headers-only.eml", "default", "", ALL_HEADER_RULES,
	    SG_SEVERITY_IGNORE, TRUE },
	{ "received-count-fire.eml", "small", "header.received-count",
	    "header.line-length header.count", SG_SEVERITY_WARN, FALSE },
	{ "received-count-near.eml", "small", "", ALL_HEADER_RULES,
	    SG_SEVERITY_IGNORE, FALSE },
	{ "address-count-fire.eml", "small", "header.address-count",
	    "header.line-length", SG_SEVERITY_QUARANTINE, FALSE },
	{ "address-count-near.eml", "small", "", ALL_HEADER_RULES,
	    SG_SEVERITY_IGNORE, FALSE },
	{ "empty.eml", "default", "container.not-a-message",
	    "header.count header.block-size", SG_SEVERITY_QUARANTINE, FALSE },
	{ "zeros.eml", "default", "container.not-a-message",
	    "header.nul header.invalid-name", SG_SEVERITY_QUARANTINE, FALSE },
	{ "binary.eml", "default", "container.not-a-message",
	    "header.nul header.8bit header.bare-cr", SG_SEVERITY_QUARANTINE,
	    FALSE },
	{ "no-headers.eml", "default", "container.not-a-message",
	    "header.no-separator header.invalid-name", SG_SEVERITY_QUARANTINE,
	    FALSE },
	{ "blank-first.eml", "default", "container.not-a-message", "",
	    SG_SEVERITY_QUARANTINE, FALSE },
	{ "mbox-from.eml", "default", "", ALL_HEADER_RULES, SG_SEVERITY_IGNORE,
	    TRUE },
	{ "binary-body.eml", "default", "", ALL_HEADER_RULES,
	    SG_SEVERITY_IGNORE, TRUE },
	{ "utf8-bom.eml", "default", "header.8bit", ALL_HEADER_RULES,
	    SG_SEVERITY_WARN, TRUE },
	{ "lf-only.eml", "default", "", ALL_HEADER_RULES, SG_SEVERITY_IGNORE,
	    TRUE },
	{ "crlf.eml", "default", "", ALL_HEADER_RULES, SG_SEVERITY_IGNORE,
	    TRUE },
	{ "line-998.eml", "default", "", ALL_HEADER_RULES, SG_SEVERITY_IGNORE,
	    TRUE },
	{ "line-998-crlf.eml", "default", "", ALL_HEADER_RULES,
	    SG_SEVERITY_IGNORE, TRUE },
	{ "no-date.eml", "default", "", ALL_HEADER_RULES, SG_SEVERITY_IGNORE,
	    TRUE },
	{ "iso-2022-jp.eml", "default", "", "header.8bit " ALL_HEADER_RULES,
	    SG_SEVERITY_IGNORE, TRUE },
	{ "size-fire.eml", "size", "message.size", "", SG_SEVERITY_QUARANTINE,
	    FALSE },
	{ "size-near.eml", "size", "", "message.size", SG_SEVERITY_IGNORE,
	    FALSE },
	{ "env-rcpt-count-fire.eml", "small", "envelope.rcpt-count",
	    "envelope.address-length", SG_SEVERITY_QUARANTINE, FALSE },
	{ "env-rcpt-count-near.eml", "small", "",
	    "envelope.rcpt-count envelope.address-length", SG_SEVERITY_IGNORE,
	    FALSE },
	{ "env-address-length-fire.eml", "small", "envelope.address-length",
	    "envelope.rcpt-count", SG_SEVERITY_QUARANTINE, FALSE },
	{ "env-address-length-near.eml", "small", "",
	    "envelope.rcpt-count envelope.address-length", SG_SEVERITY_IGNORE,
	    FALSE },
};

static void
assert_rules(SgMessage *msg, const char *fixture, const char *ids,
    gboolean present)
{
	g_auto(GStrv) list = g_strsplit(ids, " ", -1);

	for (guint i = 0; list[i] != NULL; i++) {
		const SgRuleInfo *info;
		g_autofree char *dump = NULL;

		if (list[i][0] == '\0')
			continue;
		info = sg_rules_lookup(list[i], strlen(list[i]));
		ck_assert_msg(info != NULL, "unknown rule id %s", list[i]);
		if ((count_rule(msg, info->rule) > 0) == present)
			continue;
		dump = findings_dump(msg);
		ck_abort_msg("%s: %s %s; findings:%s", fixture, list[i],
		    present ? "missing" : "must not fire", dump);
	}
}

START_TEST(test_fixture_table_fires_and_spares)
{
	const HeaderCase *c = &header_cases[_i];
	/* env-* fixtures go through the plain reader (IIS envelope). */
	g_autoptr(SgMessage) msg = g_str_has_prefix(c->fixture, "env-")
	    ? check_fixture_read(c->fixture, c->profile)
	    : check_fixture(c->fixture, c->profile, NULL);
	g_autofree char *dump = findings_dump(msg);

	assert_rules(msg, c->fixture, c->present, TRUE);
	assert_rules(msg, c->fixture, c->absent, FALSE);
	ck_assert_msg(msg->verdict == c->verdict,
	    "%s: verdict %s, expected %s; findings:%s", c->fixture,
	    sg_severity_to_string(msg->verdict),
	    sg_severity_to_string(c->verdict), dump);
	for (guint i = 0; c->legit && i < msg->findings->len; i++) {
		SgFinding *f = msg->findings->pdata[i];

		ck_assert_msg(f->rule == SG_RULE_HEADER_8BIT ||
		        f->severity < SG_SEVERITY_WARN,
		    "%s: legitimate mail got %s", c->fixture,
		    sg_rule_id(f->rule));
	}
}
END_TEST

/* ---- the push scanner: piece size must not matter -------------------- */

static SgMessage *
scan_pieces(const SgProfile *profile, const char *data, gsize len, gsize piece,
    SgInspect *inspect, SgHeaderSummary *summary)
{
	SgMessage *msg = sg_message_new(NULL, "plain", "pieces");
	g_autoptr(SgHeaderScan) scan =
	    sg_header_scan_new(profile, msg, inspect);

	for (gsize off = 0; off < len; off += piece)
		if (!sg_header_scan_feed(scan, data + off,
		        MIN(piece, len - off)))
			break;
	sg_header_scan_finish(scan, summary);
	return msg;
}

static void
assert_same_findings(SgMessage *a, SgMessage *b, const char *what)
{
	g_autofree char *da = findings_dump(a);
	g_autofree char *db = findings_dump(b);

	ck_assert_msg(strcmp(da, db) == 0, "%s: whole:%s\npieces:%s", what, da,
	    db);
}

START_TEST(test_scan_gives_same_findings_one_byte_at_a_time)
{
	const HeaderCase *c = &header_cases[_i];
	g_autoptr(SgProfile) profile = profile_get(c->profile);
	gsize len = 0;
	g_autofree char *data = fixture_read(c->fixture, &len);
	g_autoptr(SgInspect) ia = sg_inspect_new();
	g_autoptr(SgInspect) ib = sg_inspect_new();
	SgHeaderSummary sa, sb;
	g_autoptr(SgMessage) whole =
	    scan_pieces(profile, data, len, MAX(len, 1), ia, &sa);
	g_autoptr(SgMessage) bytes =
	    scan_pieces(profile, data, len, 1, ib, &sb);
	g_autoptr(SgMessage) sevens =
	    scan_pieces(profile, data, len, 7, NULL, NULL);

	assert_same_findings(whole, bytes, c->fixture);
	assert_same_findings(whole, sevens, c->fixture);
	ck_assert_int_eq(sa.header_end, sb.header_end);
	ck_assert_int_eq(sa.not_a_message, sb.not_a_message);
	ck_assert_uint_eq(ia->headers->len, ib->headers->len);
	for (guint i = 0; i < ia->headers->len; i++) {
		SgHeaderRow *ra = ia->headers->pdata[i];
		SgHeaderRow *rb = ib->headers->pdata[i];

		ck_assert_str_eq(ra->name, rb->name);
		ck_assert_int_eq(ra->offset, rb->offset);
		ck_assert_uint_eq(ra->length, rb->length);
	}
}
END_TEST

/* ---- offsets ----------------------------------------------------------- */

static goffset
offset_of(const char *data, gsize len, const char *needle, gsize nlen)
{
	const char *p = memmem(data, len, needle, nlen);

	ck_assert_ptr_nonnull(p);
	return p - data;
}

START_TEST(test_nul_is_reported_at_its_byte)
{
	gsize len = 0;
	g_autofree char *data = fixture_read("nul-fire.eml", &len);
	g_autoptr(SgMessage) msg =
	    check_fixture("nul-fire.eml", "default", NULL);
	SgFinding *f = find_rule(msg, SG_RULE_HEADER_NUL);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->offset, offset_of(data, len, "\0", 1));
	ck_assert_str_eq(f->header, "Subject");
	ck_assert_str_eq(f->file, "nul-fire.eml");
}
END_TEST

START_TEST(test_offsets_point_at_the_offending_bytes)
{
	gsize len = 0;
	g_autofree char *cr = fixture_read("bare-cr-fire.eml", &len);
	g_autoptr(SgMessage) m1 =
	    check_fixture("bare-cr-fire.eml", "default", NULL);
	gsize len2 = 0;
	g_autofree char *bad = fixture_read("invalid-name-fire.eml", &len2);
	g_autoptr(SgMessage) m2 =
	    check_fixture("invalid-name-fire.eml", "default", NULL);
	gsize len3 = 0;
	g_autofree char *nosep = fixture_read("no-separator-fire.eml", &len3);
	g_autoptr(SgMessage) m3 =
	    check_fixture("no-separator-fire.eml", "default", NULL);
	gsize len4 = 0;
	g_autofree char *longl = fixture_read("line-length-fire.eml", &len4);
	g_autoptr(SgMessage) m4 =
	    check_fixture("line-length-fire.eml", "small", NULL);
	SgFinding *f;

	f = find_rule(m1, SG_RULE_HEADER_BARE_CR);
	ck_assert_int_eq(f->offset, offset_of(cr, len, "\rb", 2));
	/* The space inside "X Bad Name" is the first offending byte. */
	f = find_rule(m2, SG_RULE_HEADER_INVALID_NAME);
	ck_assert_int_eq(f->offset, offset_of(bad, len2, "X Bad", 5) + 1);
	f = find_rule(m3, SG_RULE_HEADER_NO_SEPARATOR);
	ck_assert_int_eq(f->offset, offset_of(nosep, len3, "This body", 9));
	f = find_rule(m4, SG_RULE_HEADER_LINE_LENGTH);
	ck_assert_int_eq(f->offset, offset_of(longl, len4, "Subject", 7));
	ck_assert_int_eq(f->observed, 9 + 120);
	ck_assert_int_eq(f->limit, 100);
	ck_assert_int_eq(f->severity, SG_SEVERITY_QUARANTINE);
}
END_TEST

START_TEST(test_inspect_records_fields_and_header_end)
{
	gsize len = 0;
	g_autofree char *data = fixture_read("folded-long.eml", &len);
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgMessage) msg =
	    check_fixture("folded-long.eml", "default", inspect);
	goffset to = offset_of(data, len, "\nTo: ", 5) + 1;
	goffset subject = offset_of(data, len, "\nSubject: ", 10) + 1;
	SgHeaderRow *row;

	ck_assert_uint_eq(inspect->headers->len, 6);
	row = inspect->headers->pdata[1];
	ck_assert_str_eq(row->name, "To");
	ck_assert_int_eq(row->offset, to);
	/* The folded lines count; the final line end does not. */
	ck_assert_uint_eq(row->length, (gsize)(subject - 1 - to));
	row = inspect->headers->pdata[5];
	ck_assert_str_eq(row->name, "Message-ID");
	ck_assert_int_eq(inspect->header_end,
	    offset_of(data, len, "\n\nbody", 6) + 2);
	ck_assert_uint_eq(msg->findings->len, 0);
}
END_TEST

START_TEST(test_fields_after_a_missing_separator_are_still_read)
{
	gsize len = 0;
	g_autofree char *data = fixture_read("no-separator-hidden.eml", &len);
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgMessage) msg =
	    check_fixture("no-separator-hidden.eml", "default", inspect);
	SgHeaderRow *row;

	/* The body starts at the odd line, as RFC 5322 reads it ... */
	ck_assert_int_eq(inspect->header_end,
	    offset_of(data, len, "an odd line", 11));
	/* ... but the field after it is listed and checked, as GMime
	 * reads it. */
	ck_assert_uint_eq(inspect->headers->len, 6);
	row = inspect->headers->pdata[5];
	ck_assert_str_eq(row->name, "X-Hidden");
	ck_assert_int_eq(find_rule(msg, SG_RULE_HEADER_NUL)->offset,
	    offset_of(data, len, "\0", 1));
}
END_TEST

START_TEST(test_crlf_rows_exclude_the_line_end)
{
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgMessage) msg =
	    check_fixture("crlf.eml", "default", inspect);
	SgHeaderRow *row = inspect->headers->pdata[0];

	ck_assert_uint_eq(inspect->headers->len, 5);
	ck_assert_str_eq(row->name, "From");
	ck_assert_int_eq(row->offset, 0);
	ck_assert_uint_eq(row->length,
	    strlen("From: Alice <alice@example.org>"));
	ck_assert_int_eq(((SgHeaderRow *)inspect->headers->pdata[1])->offset,
	    row->length + 2);
}
END_TEST

START_TEST(test_8bit_headers_give_one_warning)
{
	g_autoptr(SgMessage) msg =
	    check_fixture("utf8-headers.eml", "default", NULL);
	SgFinding *f = find_rule(msg, SG_RULE_HEADER_8BIT);

	ck_assert_uint_eq(msg->findings->len, 1);
	ck_assert_int_eq(f->severity, SG_SEVERITY_WARN);
	ck_assert_str_eq(f->header, "From");
	ck_assert_int_eq(f->offset, strlen("From: J"));
}
END_TEST

START_TEST(test_byte_order_mark_is_skipped)
{
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgMessage) msg =
	    check_fixture("utf8-bom.eml", "default", inspect);
	SgHeaderRow *row = inspect->headers->pdata[0];

	ck_assert_uint_eq(inspect->headers->len, 5);
	ck_assert_str_eq(row->name, "From");
	ck_assert_int_eq(row->offset, 3);
	ck_assert_int_eq(find_rule(msg, SG_RULE_HEADER_8BIT)->offset, 0);
}
END_TEST

START_TEST(test_mbox_from_line_is_skipped)
{
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgMessage) msg =
	    check_fixture("mbox-from.eml", "default", inspect);

	ck_assert_uint_eq(inspect->headers->len, 5);
	ck_assert_str_eq(((SgHeaderRow *)inspect->headers->pdata[0])->name,
	    "From");
	ck_assert_int_gt(((SgHeaderRow *)inspect->headers->pdata[0])->offset,
	    0);
}
END_TEST

/* ---- the address counter ---------------------------------------------- */

typedef struct {
	const char *value;
	guint64 count;
} AddrCase;

static const AddrCase addr_cases[] = {
	{ "", 0 },
	{ " , ,, ", 0 },
	{ "a@b", 1 },
	{ "a@b, c@d", 2 },
	{ "\"Doe, John\" <j@d>", 1 },
	{ "\"q\\\" ,x\" <a@b>, c@d", 2 },
	{ "(a, b) c@d", 1 },
	{ "((nested, (deep)), x) a@b, c@d", 2 },
	{ "(unclosed, comment a@b, c@d", 0 },
	{ "group: a@b, c@d;", 2 },
	{ "undisclosed-recipients:;", 0 },
	{ "g: a@b;, c@d", 2 },
	{ "<@r1,@r2:a@b>, c@d", 2 },
	{ "<\"a>,b\"@c>, d@e", 2 },
	{ "a@b; c@d", 2 },
	{ "Name <a@b>,\r\n\tOther <c@d>", 2 },
};

START_TEST(test_address_counter_counts_list_members)
{
	const AddrCase *c = &addr_cases[_i];
	SgAddrCounter whole, bytes;
	gsize len = strlen(c->value);

	sg_addr_counter_init(&whole);
	sg_addr_counter_feed(&whole, c->value, len);
	ck_assert_msg(sg_addr_counter_finish(&whole) == c->count,
	    "\"%s\": %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT,
	    c->value, whole.count, c->count);
	sg_addr_counter_init(&bytes);
	for (gsize i = 0; i < len; i++)
		sg_addr_counter_feed(&bytes, c->value + i, 1);
	ck_assert_uint_eq(sg_addr_counter_finish(&bytes), c->count);
}
END_TEST

/* ---- hostile sizes, generated ------------------------------------------ */

static SgMessage *
check_generated(GString *s, const char *profile_name, SgInspect *inspect,
    SgHeaderSummary *summary)
{
	g_autofree char *path = write_temp(s->str, s->len);
	g_autoptr(SgProfile) profile = profile_get(profile_name);
	g_autoptr(SgCheckContext) ctx = sg_check_context_new(profile, NULL);
	g_autoptr(GError) error = NULL;
	SgMessage *msg = message_for(path);

	if (!sg_check_headers_summary(ctx, msg, inspect, summary, &error))
		ck_abort_msg("%s", error->message);
	unlink(path);
	return msg;
}

START_TEST(test_line_limits_are_exclusive)
{
	g_autoptr(SgProfile) profile = profile_get("default");
	static const gsize lens[] = { 998, 999, 65536, 65537 };
	static const SgSeverity want[] = { SG_SEVERITY_IGNORE, SG_SEVERITY_WARN,
		SG_SEVERITY_WARN, SG_SEVERITY_QUARANTINE };

	for (guint i = 0; i < G_N_ELEMENTS(lens); i++) {
		g_autoptr(GString) s = g_string_new("From: a@example.org\r\n");
		g_autoptr(SgMessage) msg = NULL;

		g_string_append(s, "X-Long: ");
		while (s->len < 21 + lens[i])
			g_string_append_c(s, 'v');
		g_string_append(s, "\r\n\r\nbody\r\n");
		msg = scan_pieces(profile, s->str, s->len, 4096, NULL, NULL);
		ck_assert_msg(msg->verdict == want[i],
		    "%" G_GSIZE_FORMAT " bytes: %s", lens[i],
		    sg_severity_to_string(msg->verdict));
		if (want[i] != SG_SEVERITY_IGNORE)
			ck_assert_int_eq(find_rule(msg,
			                     SG_RULE_HEADER_LINE_LENGTH)
			                     ->observed,
			    lens[i]);
	}
}
END_TEST

START_TEST(test_200k_header_line_is_quarantined)
{
	g_autoptr(GString) s = g_string_new("From: a@example.org\n");
	gsize start = s->len;
	g_autoptr(SgMessage) msg = NULL;
	SgFinding *f;

	g_string_append(s, "Subject: ");
	for (guint i = 0; i < 200000; i++)
		g_string_append_c(s, 'a' + i % 26);
	g_string_append(s, "\n\nbody\n");
	msg = check_generated(s, "default", NULL, NULL);
	f = find_rule(msg, SG_RULE_HEADER_LINE_LENGTH);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, SG_SEVERITY_QUARANTINE);
	ck_assert_int_eq(f->offset, start);
	ck_assert_int_eq(f->observed, 200009);
	ck_assert_int_eq(f->limit, 65536);
	ck_assert_int_eq(msg->verdict, SG_SEVERITY_QUARANTINE);
}
END_TEST

START_TEST(test_long_line_without_colon_counts_as_a_header_line)
{
	g_autoptr(GString) s = g_string_new("From: a@example.org\n");
	g_autoptr(SgMessage) msg = NULL;
	SgFinding *f;

	for (guint i = 0; i < 100000; i++)
		g_string_append_c(s, 'a');
	g_string_append(s, "\nmore\n");
	msg = check_generated(s, "default", NULL, NULL);
	ck_assert_uint_eq(count_rule(msg, SG_RULE_HEADER_NO_SEPARATOR), 1);
	f = find_rule(msg, SG_RULE_HEADER_LINE_LENGTH);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->observed, 100000);
	ck_assert_int_eq(f->severity, SG_SEVERITY_QUARANTINE);
}
END_TEST

START_TEST(test_2mb_header_block_is_quarantined_at_its_size)
{
	g_autoptr(GString) s = g_string_new("From: a@example.org\n"
	                                    "Comments: start\n");
	g_autoptr(SgMessage) msg = NULL;
	SgHeaderSummary summary;
	gsize block;
	SgFinding *f;

	while (s->len < 2 * 1024 * 1024)
		g_string_append(s,
		    "\tcontinued comment line, folded as RFC "
		    "5322 allows it to be\r\n");
	block = s->len;
	g_string_append(s, "\r\nbody\r\n");
	msg = check_generated(s, "default", NULL, &summary);
	f = find_rule(msg, SG_RULE_HEADER_BLOCK_SIZE);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, SG_SEVERITY_QUARANTINE);
	ck_assert_int_eq(f->observed, (gint64)block);
	ck_assert_int_eq(f->limit, 262144);
	ck_assert_int_eq(f->offset, 262144);
	ck_assert(summary.complete);
	ck_assert_int_eq(summary.header_end, (goffset)block + 2);
	ck_assert_uint_eq(count_rule(msg, SG_RULE_HEADER_LINE_LENGTH), 0);
	ck_assert_uint_eq(count_rule(msg, SG_RULE_HEADER_COUNT), 0);
}
END_TEST

/* How much slower than usual the tests may run (valgrind: about 20). */
static gint64
time_factor(void)
{
	const char *s = g_getenv("SPOOLGUARD_TIME_FACTOR");
	guint64 v = 0;

	if (s == NULL || !sg_parse_u64(s, strlen(s), &v) || v < 1 || v > 1000)
		return 1;
	return (gint64)v;
}

static GString *
many_addresses(guint n)
{
	GString *s = g_string_new("From: a@example.org\nTo: ");

	for (guint i = 0; i < n; i++)
		g_string_append_printf(s,
		    "\"User %u, Jr.\" <u%u@example.org>%s", i, i,
		    i + 1 == n ? "\n" : (i % 2 ? ",\n\t" : ", "));
	g_string_append(s, "Subject: many\n\nbody\n");
	return s;
}

START_TEST(test_50000_addresses_cost_linear_time)
{
	g_autoptr(GString) s = many_addresses(50000);
	g_autoptr(SgMessage) msg = NULL;
	gint64 t0 = g_get_monotonic_time(), elapsed;
	SgFinding *f;

	msg = check_generated(s, "default", NULL, NULL);
	elapsed = g_get_monotonic_time() - t0;
	f = find_rule(msg, SG_RULE_HEADER_ADDRESS_COUNT);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->observed, 50000);
	ck_assert_int_eq(f->severity, SG_SEVERITY_QUARANTINE);
	ck_assert_str_eq(f->header, "To");
	ck_assert_int_eq(f->offset, strlen("From: a@example.org\n"));
	/* About 2 MB: milliseconds, even under the sanitizers; make
	 * check-valgrind sets SPOOLGUARD_TIME_FACTOR for its slowdown. */
	ck_assert_msg(elapsed < 2 * G_USEC_PER_SEC * time_factor(),
	    "50,000 addresses took %" G_GINT64_FORMAT " us", elapsed);
}
END_TEST

START_TEST(test_50000_fields_are_counted_and_rows_capped)
{
	g_autoptr(GString) s = g_string_new(NULL);
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgMessage) msg = NULL;
	goffset field_10001 = 0;
	SgFinding *f;

	for (guint i = 0; i < 50000; i++) {
		if (i == 10000)
			field_10001 = s->len;
		g_string_append_printf(s, "X-F%u: v\n", i);
	}
	g_string_append(s, "\nbody\n");
	msg = check_generated(s, "default", inspect, NULL);
	f = find_rule(msg, SG_RULE_HEADER_COUNT);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->observed, 50000);
	ck_assert_int_eq(f->limit, 10000);
	ck_assert_int_eq(f->offset, field_10001);
	ck_assert_int_eq(f->severity, SG_SEVERITY_QUARANTINE);
	ck_assert_uint_eq(inspect->headers->len, 10000);
}
END_TEST

START_TEST(test_100000_nul_lines_give_a_few_findings)
{
	g_autoptr(SgProfile) profile = profile_get("default");
	g_autoptr(GString) s = g_string_new(NULL);
	g_autoptr(SgMessage) msg = NULL;
	SgFinding *last;

	static const char line[] = "X-Field: a value with a NUL \0 in it\n";
	gsize nul = strlen(line);

	/* Few enough NULs per line that this is not "binary data". */
	for (guint i = 0; i < 100000; i++)
		g_string_append_len(s, line, sizeof line - 1);
	msg = scan_pieces(profile, s->str, s->len, 65536, NULL, NULL);
	ck_assert_uint_eq(count_rule(msg, SG_RULE_HEADER_NUL),
	    SG_CHECK_REPORT_MAX + 1);
	last = msg->findings->pdata[msg->findings->len - 1];
	ck_assert_int_eq(last->rule, SG_RULE_HEADER_NUL);
	ck_assert_int_eq(last->observed, 100000);
	/* The summary points at the first occurrence it did not list. */
	ck_assert_int_eq(last->offset,
	    (sizeof line - 1) * SG_CHECK_REPORT_MAX + nul);
}
END_TEST

START_TEST(test_endless_header_line_stops_the_scan)
{
	g_autoptr(SgProfile) profile = profile_get("default");
	gsize len = 8 * 1024 * 1024;
	g_autofree char *data = g_malloc(len);
	g_autoptr(SgMessage) msg = NULL;
	SgHeaderSummary summary;
	SgFinding *f;

	memset(data, 'a', len);
	memcpy(data, "From: a@b\nX: ", 13);
	msg = scan_pieces(profile, data, len, 65536, NULL, &summary);
	ck_assert(!summary.complete);
	f = find_rule(msg, SG_RULE_HEADER_LINE_LENGTH);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, SG_SEVERITY_QUARANTINE);
	ck_assert_int_lt(f->observed, (gint64)len);
	f = find_rule(msg, SG_RULE_HEADER_BLOCK_SIZE);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, SG_SEVERITY_QUARANTINE);
}
END_TEST

START_TEST(test_binary_sample_spans_small_reads)
{
	g_autoptr(SgProfile) profile = profile_get("default");
	gsize len = 0;
	g_autofree char *data = fixture_read("binary.eml", &len);
	g_autoptr(SgMessage) msg =
	    scan_pieces(profile, data, len, 1, NULL, NULL);

	ck_assert_uint_eq(msg->findings->len, 1);
	ck_assert_uint_eq(count_rule(msg, SG_RULE_CONTAINER_NOT_A_MESSAGE), 1);
	ck_assert_int_eq(
	    find_rule(msg, SG_RULE_CONTAINER_NOT_A_MESSAGE)->offset, 0);
}
END_TEST

/* ---- other projects' corpora, when ../shared/corpora is there ---------- */

START_TEST(test_clean_corpus_mail_is_never_quarantined)
{
	g_autoptr(SgProfile) profile = profile_get("default");
	g_autoptr(SgCheckContext) ctx = sg_check_context_new(profile, NULL);
	const char *root = g_getenv("SPOOLGUARD_CORPORA") != NULL
	    ? g_getenv("SPOOLGUARD_CORPORA")
	    : SG_CORPORA_DIR;
	g_autoptr(GDir) dir = g_dir_open(root, 0, NULL);
	const char *name;
	guint checked = 0;

	if (dir == NULL) {
		fprintf(stderr, "skipped: no corpora at %s\n", root);
		return;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *csv =
		    g_build_filename(root, name, "expectations.csv", NULL);
		g_autofree char *text = NULL;
		g_autoptr(GPtrArray) rows = NULL;
		gsize len = 0;

		if (!g_file_get_contents(csv, &text, &len, NULL))
			continue;
		rows = sg_test_csv_parse(text, len);
		for (guint i = 1; i < rows->len; i++) {
			GPtrArray *row = rows->pdata[i];
			g_autofree char *path = NULL;
			g_autoptr(SgMessage) msg = NULL;
			g_autoptr(GError) error = NULL;
			g_autofree char *dump = NULL;

			if (row->len < 4 || strcmp(row->pdata[3], "clean") != 0)
				continue;
			path = g_build_filename(root, name,
			    (char *)row->pdata[0], NULL);
			if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
				continue;
			msg = message_for(path);
			ck_assert(sg_check_message(ctx, msg, NULL, &error));
			dump = findings_dump(msg);
			ck_assert_msg(msg->verdict < SG_SEVERITY_QUARANTINE,
			    "%s: clean mail quarantined:%s", path, dump);
			checked++;
		}
	}
	fprintf(stderr, "corpora: %u clean messages checked\n", checked);
	ck_assert_uint_gt(checked, 0);
}
END_TEST

/* ---- envelope ---------------------------------------------------------- */

typedef struct {
	guint rcpts;
	gsize rcpt_len;
	gsize sender_len;
	SgRuleId rule; /* expected to fire, or SG_RULE_COUNT for none */
	guint findings;
	SgSeverity verdict;
} EnvelopeCase;

static const EnvelopeCase envelope_cases[] = {
	{ 2, 10, 10, SG_RULE_COUNT, 0, SG_SEVERITY_IGNORE },
	{ 3, 10, 10, SG_RULE_ENVELOPE_RCPT_COUNT, 1, SG_SEVERITY_WARN },
	{ 5, 10, 10, SG_RULE_ENVELOPE_RCPT_COUNT, 1, SG_SEVERITY_QUARANTINE },
	{ 1, 20, 20, SG_RULE_COUNT, 0, SG_SEVERITY_IGNORE },
	{ 1, 10, 21, SG_RULE_ENVELOPE_ADDRESS_LENGTH, 1, SG_SEVERITY_WARN },
	{ 1, 41, 10, SG_RULE_ENVELOPE_ADDRESS_LENGTH, 1,
	    SG_SEVERITY_QUARANTINE },
	/* Seven long recipients: five listed, one summary, and the count. */
	{ 7, 50, 10, SG_RULE_ENVELOPE_ADDRESS_LENGTH, 6,
	    SG_SEVERITY_QUARANTINE },
};

START_TEST(test_envelope_limits)
{
	const EnvelopeCase *c = &envelope_cases[_i];
	g_autoptr(SgProfile) profile = profile_get("small");
	g_autoptr(SgCheckContext) ctx = sg_check_context_new(profile, NULL);
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", "env");
	g_autofree char *sender = g_strnfill(c->sender_len, 's');
	g_autofree char *rcpt = g_strnfill(c->rcpt_len, 'r');
	g_autofree char *dump = NULL;
	guint n;

	sg_message_add_file(msg, "/spool/env.eml", "message");
	sg_message_set_sender(msg, sender, c->sender_len, 0, 10);
	for (guint i = 0; i < c->rcpts; i++)
		sg_message_add_recipient(msg, rcpt, c->rcpt_len, 0,
		    100 + 100 * i);
	sg_check_envelope(ctx, msg);
	dump = findings_dump(msg);
	ck_assert_msg(msg->verdict == c->verdict, "case %d:%s", _i, dump);
	n = c->rule == SG_RULE_COUNT ? msg->findings->len
	                             : count_rule(msg, c->rule);
	ck_assert_msg(n == c->findings, "case %d:%s", _i, dump);
}
END_TEST

START_TEST(test_envelope_fixture_points_at_the_receiver_line)
{
	gsize len = 0;
	g_autofree char *data = fixture_read("env-rcpt-count-fire.eml", &len);
	g_autoptr(SgMessage) msg =
	    check_fixture_read("env-rcpt-count-fire.eml", "small");
	SgFinding *f = find_rule(msg, SG_RULE_ENVELOPE_RCPT_COUNT);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->observed, 5);
	/* The fifth recipient, the first past the hard limit of 4; the
	 * reader says where its address starts on the x-receiver line. */
	ck_assert_int_ge(f->offset,
	    offset_of(data, len, "x-receiver: <r4@", 16));
	ck_assert_int_le(f->offset, offset_of(data, len, "r4@example.net", 14));
}
END_TEST

START_TEST(test_envelope_findings_point_into_the_spool_file)
{
	g_autoptr(SgProfile) profile = profile_get("small");
	g_autoptr(SgCheckContext) ctx = sg_check_context_new(profile, NULL);
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", "env");
	g_autofree char *longer = g_strnfill(64, 'x');
	SgFinding *f;

	sg_message_add_file(msg, "/spool/NTFS_1.EML", "message");
	sg_message_set_sender(msg, "s@x", 3, 0, 10);
	for (guint i = 0; i < 5; i++)
		sg_message_add_recipient(msg, i == 1 ? longer : "r@x",
		    i == 1 ? 64 : 3, 0, 100 + 100 * i);
	sg_check_envelope(ctx, msg);
	f = find_rule(msg, SG_RULE_ENVELOPE_ADDRESS_LENGTH);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->offset, 200);
	ck_assert_str_eq(f->file, "NTFS_1.EML");
	ck_assert_int_eq(f->observed, 64);
	f = find_rule(msg, SG_RULE_ENVELOPE_RCPT_COUNT);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->observed, 5);
	ck_assert_int_eq(f->limit, 4);
	/* The fifth recipient is the first one past the hard limit. */
	ck_assert_int_eq(f->offset, 500);
}
END_TEST

/* ---- the whole run ----------------------------------------------------- */

START_TEST(test_check_message_runs_envelope_size_and_headers)
{
	g_autofree char *path = fixture_path("nul-fire.eml");
	g_autoptr(SgProfile) profile = profile_get("default");
	g_autoptr(SgCheckContext) ctx = sg_check_context_new(profile, NULL);
	g_autoptr(SgMessage) msg = message_for(path);
	g_autoptr(GError) error = NULL;

	ck_assert(sg_check_message(ctx, msg, NULL, &error));
	ck_assert_uint_eq(count_rule(msg, SG_RULE_HEADER_NUL), 1);
	ck_assert_int_eq(msg->verdict, SG_SEVERITY_QUARANTINE);
}
END_TEST

START_TEST(test_check_message_stops_at_not_a_message)
{
	g_autofree char *path = fixture_path("zeros.eml");
	g_autoptr(SgProfile) profile = profile_get("default");
	g_autoptr(SgCheckContext) ctx = sg_check_context_new(profile, NULL);
	g_autoptr(SgMessage) msg = message_for(path);
	g_autoptr(GError) error = NULL;
	g_autofree char *dump = NULL;

	ck_assert(sg_check_message(ctx, msg, NULL, &error));
	dump = findings_dump(msg);
	ck_assert_msg(msg->findings->len == 1, "%s", dump);
	ck_assert_uint_eq(count_rule(msg, SG_RULE_CONTAINER_NOT_A_MESSAGE), 1);
}
END_TEST

START_TEST(test_unreadable_content_is_an_error)
{
	g_autoptr(SgProfile) profile = profile_get("default");
	g_autoptr(SgCheckContext) ctx = sg_check_context_new(profile, NULL);
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", "nofile");
	g_autoptr(GError) error = NULL;

	/* A window over a file that was never opened. */
	sg_message_add_file(msg, "/nonexistent/x.eml", "message");
	sg_message_set_content_window(msg, 0, 0, 10);
	ck_assert(!sg_check_headers(ctx, msg, NULL, &error));
	ck_assert_ptr_nonnull(error);
}
END_TEST

static Suite *
headers_suite(void)
{
	Suite *s = suite_create("headers");
	TCase *tc = tcase_create("fixtures");
	TCase *th = tcase_create("hostile");
	TCase *te = tcase_create("envelope");

	tcase_add_loop_test(tc, test_fixture_table_fires_and_spares, 0,
	    G_N_ELEMENTS(header_cases));
	tcase_add_loop_test(tc,
	    test_scan_gives_same_findings_one_byte_at_a_time, 0,
	    G_N_ELEMENTS(header_cases));
	tcase_add_test(tc, test_nul_is_reported_at_its_byte);
	tcase_add_test(tc, test_offsets_point_at_the_offending_bytes);
	tcase_add_test(tc, test_inspect_records_fields_and_header_end);
	tcase_add_test(tc, test_crlf_rows_exclude_the_line_end);
	tcase_add_test(tc,
	    test_fields_after_a_missing_separator_are_still_read);
	tcase_add_test(tc, test_mbox_from_line_is_skipped);
	tcase_add_test(tc, test_byte_order_mark_is_skipped);
	tcase_add_test(tc, test_8bit_headers_give_one_warning);
	tcase_add_loop_test(tc, test_address_counter_counts_list_members, 0,
	    G_N_ELEMENTS(addr_cases));
	tcase_add_test(tc, test_check_message_runs_envelope_size_and_headers);
	tcase_add_test(tc, test_check_message_stops_at_not_a_message);
	tcase_add_test(tc, test_unreadable_content_is_an_error);
	tcase_add_test(tc, test_binary_sample_spans_small_reads);
	tcase_add_test(tc, test_clean_corpus_mail_is_never_quarantined);
	suite_add_tcase(s, tc);

	tcase_add_test(th, test_line_limits_are_exclusive);
	tcase_add_test(th, test_200k_header_line_is_quarantined);
	tcase_add_test(th, test_2mb_header_block_is_quarantined_at_its_size);
	tcase_add_test(th,
	    test_long_line_without_colon_counts_as_a_header_line);
	tcase_add_test(th, test_50000_addresses_cost_linear_time);
	tcase_add_test(th, test_50000_fields_are_counted_and_rows_capped);
	tcase_add_test(th, test_100000_nul_lines_give_a_few_findings);
	tcase_add_test(th, test_endless_header_line_stops_the_scan);
	suite_add_tcase(s, th);

	tcase_add_loop_test(te, test_envelope_limits, 0,
	    G_N_ELEMENTS(envelope_cases));
	tcase_add_test(te, test_envelope_findings_point_into_the_spool_file);
	tcase_add_test(te, test_envelope_fixture_points_at_the_receiver_line);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	return sg_test_run(headers_suite());
}
