// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_report.c - the report writers: JSON lines parse and carry the
 * fields, text lines read as documented, hostile strings are escaped, the
 * summary and the Prometheus textfile hold the run totals.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <check.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>

#include "spoolguard/report.h"

#include "check-run.h"

/* The NUL of "Subject: hel\0lo" is at byte 52. */
static const char nul_message[] = "From: a@example.org\r\n"
                                  "To: b@example.org\r\n"
                                  "Subject: hel\0lo\r\n"
                                  "\r\n"
                                  "body\r\n";

typedef struct {
	char *dir;
	char *path;
	SgMessage *msg;
	SgProfile *profile;
} Fixture;

static Fixture fx;

static void
fixture_setup(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *tmpl =
	    g_build_filename(g_get_tmp_dir(), "sg-report-XXXXXX", NULL);

	fx.dir = g_mkdtemp(g_steal_pointer(&tmpl));
	ck_assert_ptr_nonnull(fx.dir);
	fx.path = g_build_filename(fx.dir, "0003-nul.eml", NULL);
	ck_assert(g_file_set_contents(fx.path, nul_message,
	    sizeof(nul_message) - 1, &error));
	ck_assert_int_eq(chmod(fx.path, 0640), 0);
	fx.msg = sg_message_new(NULL, "plain", fx.path);
	sg_message_add_file(fx.msg, fx.path, "message");
	ck_assert(sg_message_open_file(fx.msg, 0, &error));
	sg_message_set_content_window(fx.msg, 0, 0, sizeof(nul_message) - 1);
	sg_message_set_sender(fx.msg, "alice@example.org", 17, 0, 0);
	sg_message_add_recipient(fx.msg, "carol@example.net", 17, 0, 0);
	sg_message_add_recipient(fx.msg, "dave@example.net", 16, 0, 0);
	sg_message_add_finding(fx.msg, SG_RULE_HEADER_NUL,
	    SG_SEVERITY_QUARANTINE, 0, 52, NULL, "Subject", SG_VALUE_NONE,
	    SG_VALUE_NONE, "a NUL byte in the header block");
	sg_message_add_finding(fx.msg, SG_RULE_HEADER_LINE_LENGTH,
	    SG_SEVERITY_WARN, 0, 0, "1", "From", 1200, 998,
	    "header line of %d bytes", 1200);
	fx.profile = sg_profile_load("default", &error);
	ck_assert_msg(fx.profile != NULL, "%s",
	    error != NULL ? error->message : "");
}

static void
fixture_teardown(void)
{
	g_clear_pointer(&fx.msg, sg_message_free);
	g_clear_pointer(&fx.profile, sg_profile_unref);
	g_unlink(fx.path);
	g_rmdir(fx.dir);
	g_clear_pointer(&fx.path, g_free);
	g_clear_pointer(&fx.dir, g_free);
}

/* Writes through sg_report_write_message into memory. */
static char *
write_to_string(SgReportFormat format, SgMessage *msg, const SgInspect *inspect,
    const SgOutcome *outcome)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	sg_report_write_message(f, format, msg, fx.profile, inspect, outcome);
	fclose(f);
	return buf;
}

static JsonObject *
parse_object(JsonParser *parser, const char *line)
{
	g_autoptr(GError) error = NULL;

	ck_assert_msg(json_parser_load_from_data(parser, line, -1, &error),
	    "not JSON: %s: %s", error != NULL ? error->message : "", line);
	ck_assert(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
	return json_node_get_object(json_parser_get_root(parser));
}

START_TEST(test_json_line_is_one_valid_object_with_the_fields)
{
	SgOutcome outcome = { .action = "quarantined",
		.store_id = "20261122T031502Z-1a2b3c4d" };
	g_autofree char *out =
	    write_to_string(SG_REPORT_JSON, fx.msg, NULL, &outcome);
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *o, *file, *env, *f;
	JsonArray *files, *findings;
	char *nl = strchr(out, '\n');

	/* Exactly one line. */
	ck_assert_ptr_nonnull(nl);
	ck_assert_str_eq(nl, "\n");
	o = parse_object(parser, out);
	ck_assert_str_eq(json_object_get_string_member(o, "message"), fx.path);
	ck_assert_str_eq(json_object_get_string_member(o, "format"), "plain");
	ck_assert(json_object_get_null_member(o, "queue"));
	ck_assert_str_eq(json_object_get_string_member(o, "verdict"),
	    "quarantine");
	ck_assert_str_eq(json_object_get_string_member(o, "action"),
	    "quarantined");
	ck_assert_str_eq(json_object_get_string_member(o, "store_id"),
	    "20261122T031502Z-1a2b3c4d");
	ck_assert(json_object_get_null_member(o, "error"));
	ck_assert_str_eq(json_object_get_string_member(o, "profile"),
	    "default");
	ck_assert(!json_object_has_member(o, "headers"));

	files = json_object_get_array_member(o, "files");
	ck_assert_uint_eq(json_array_get_length(files), 1);
	file = json_array_get_object_element(files, 0);
	ck_assert_str_eq(json_object_get_string_member(file, "name"),
	    "0003-nul.eml");
	ck_assert_str_eq(json_object_get_string_member(file, "path"), fx.path);
	ck_assert_str_eq(json_object_get_string_member(file, "role"),
	    "message");
	ck_assert_int_eq(json_object_get_int_member(file, "size"),
	    sizeof(nul_message) - 1);
	ck_assert_str_eq(json_object_get_string_member(file, "mode"), "0640");
	ck_assert_int_eq(json_object_get_int_member(file, "uid"), getuid());
	ck_assert(json_object_has_member(file, "gid"));
	ck_assert(json_object_get_int_member(file, "mtime") > 0);

	env = json_object_get_object_member(o, "envelope");
	ck_assert_str_eq(json_object_get_string_member(env, "sender"),
	    "alice@example.org");
	ck_assert_uint_eq(json_array_get_length(
	                      json_object_get_array_member(env, "recipients")),
	    2);
	ck_assert_int_eq(json_object_get_int_member(env, "recipient_count"), 2);

	findings = json_object_get_array_member(o, "findings");
	ck_assert_uint_eq(json_array_get_length(findings), 2);
	f = json_array_get_object_element(findings, 0);
	ck_assert_str_eq(json_object_get_string_member(f, "rule"),
	    "header.nul");
	ck_assert_str_eq(json_object_get_string_member(f, "severity"),
	    "quarantine");
	ck_assert_str_eq(json_object_get_string_member(f, "file"),
	    "0003-nul.eml");
	ck_assert_int_eq(json_object_get_int_member(f, "offset"), 52);
	ck_assert_str_eq(json_object_get_string_member(f, "header"), "Subject");
	ck_assert(json_object_get_null_member(f, "part"));
	ck_assert(json_object_get_null_member(f, "observed"));
	ck_assert(json_object_get_null_member(f, "limit"));
	f = json_array_get_object_element(findings, 1);
	ck_assert_str_eq(json_object_get_string_member(f, "part"), "1");
	ck_assert_int_eq(json_object_get_int_member(f, "observed"), 1200);
	ck_assert_int_eq(json_object_get_int_member(f, "limit"), 998);
}
END_TEST

START_TEST(test_json_with_inspect_carries_headers_and_parts)
{
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	SgPartRow *part = g_new0(SgPartRow, 1);
	g_autofree char *out = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *o, *h, *p;
	JsonArray *headers, *parts;

	sg_inspect_add_header(inspect, "From", 4, 0, 21);
	sg_inspect_add_header(inspect, "Subject", 7, 40, 18);
	inspect->header_end = 60;
	part->path = g_strdup("1");
	part->depth = 0;
	part->content_type = g_strdup("text/plain");
	part->header_offset = 0;
	part->body_offset = 60;
	part->size = 6;
	g_ptr_array_add(inspect->parts, part);
	out = write_to_string(SG_REPORT_JSON, fx.msg, inspect, NULL);
	o = parse_object(parser, out);
	ck_assert_str_eq(json_object_get_string_member(o, "action"), "none");
	ck_assert_int_eq(json_object_get_int_member(o, "header_end"), 60);
	headers = json_object_get_array_member(o, "headers");
	ck_assert_uint_eq(json_array_get_length(headers), 2);
	h = json_array_get_object_element(headers, 1);
	ck_assert_str_eq(json_object_get_string_member(h, "name"), "Subject");
	ck_assert_int_eq(json_object_get_int_member(h, "offset"), 40);
	ck_assert_int_eq(json_object_get_int_member(h, "length"), 18);
	ck_assert_int_eq(json_object_get_int_member(h, "file_offset"), 40);
	parts = json_object_get_array_member(o, "parts");
	ck_assert_uint_eq(json_array_get_length(parts), 1);
	p = json_array_get_object_element(parts, 0);
	ck_assert_str_eq(json_object_get_string_member(p, "path"), "1");
	ck_assert_str_eq(json_object_get_string_member(p, "content_type"),
	    "text/plain");
	ck_assert(json_object_get_null_member(p, "encoding"));
	ck_assert(json_object_get_null_member(p, "filename"));
	ck_assert_int_eq(json_object_get_int_member(p, "body_offset"), 60);
	ck_assert_int_eq(json_object_get_int_member(p, "size"), 6);
}
END_TEST

/* Invalid UTF-8 and control bytes in spool strings still give one line. */
START_TEST(test_json_survives_hostile_strings)
{
	g_autoptr(SgMessage) msg =
	    sg_message_new(NULL, "plain", "bad\xff\xfe\n\x1b[2Jid");
	g_autofree char *out = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *o;
	const char *id;

	sg_message_add_file(msg, "/nonexistent/x", "message");
	sg_message_set_sender(msg, "a\r\nb\xc3(", 7, 0, 0);
	sg_message_add_finding(msg, SG_RULE_HEADER_8BIT, SG_SEVERITY_WARN,
	    G_MAXUINT, SG_OFFSET_NONE, NULL, "X-\xe9", SG_VALUE_NONE,
	    SG_VALUE_NONE, "8-bit \x01 text");
	out = write_to_string(SG_REPORT_JSON, msg, NULL, NULL);
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
	o = parse_object(parser, out);
	id = json_object_get_string_member(o, "message");
	ck_assert(g_utf8_validate(id, -1, NULL));
	ck_assert(g_str_has_prefix(id, "bad"));
	ck_assert_ptr_nonnull(strstr(id, "\x1b[2Jid"));
	ck_assert_str_eq(json_object_get_string_member(o, "verdict"), "warn");
	/* A file that was never opened has no stat. */
	ck_assert(json_object_get_null_member(
	    json_array_get_object_element(json_object_get_array_member(o,
	                                      "files"),
	        0),
	    "size"));
}
END_TEST

START_TEST(test_text_first_line_and_finding_lines)
{
	SgOutcome outcome = { .action = "quarantined",
		.store_id = "20261122T031502Z-1a2b3c4d" };
	g_autofree char *out =
	    write_to_string(SG_REPORT_TEXT, fx.msg, NULL, &outcome);
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	g_autofree char *first = g_strdup_printf(
	    "%s: quarantine (quarantined) -> 20261122T031502Z-1a2b3c4d",
	    fx.path);

	ck_assert_uint_eq(g_strv_length(lines), 4); /* 3 lines + "" */
	ck_assert_str_eq(lines[0], first);
	ck_assert_str_eq(lines[1],
	    "  0003-nul.eml:52: quarantine header.nul         [Subject] "
	    "a NUL byte in the header block");
	ck_assert_str_eq(lines[2],
	    "  0003-nul.eml:0:  warn       header.line-length [From] "
	    "(part 1) header line of 1200 bytes");
	ck_assert_str_eq(lines[3], "");
}
END_TEST

START_TEST(test_text_clean_message_is_one_line)
{
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", "ok.eml");
	g_autofree char *out = write_to_string(SG_REPORT_TEXT, msg, NULL, NULL);
	SgOutcome outcome = { .action = "error", .error = "disk\non fire" };
	g_autofree char *err =
	    write_to_string(SG_REPORT_TEXT, msg, NULL, &outcome);

	ck_assert_str_eq(out, "ok.eml: clean (none)\n");
	ck_assert_str_eq(err,
	    "ok.eml: clean (error)\n"
	    "  error: disk\\non fire\n");
}
END_TEST

START_TEST(test_text_escapes_control_bytes_keeps_utf8)
{
	g_autoptr(SgMessage) msg =
	    sg_message_new(NULL, "plain", "\x1b]0;owned\x07 caf\xc3\xa9 \xff");
	g_autofree char *out = write_to_string(SG_REPORT_TEXT, msg, NULL, NULL);

	ck_assert_str_eq(out,
	    "\\x1b]0;owned\\x07 caf\xc3\xa9 \\xff: clean (none)\n");
}
END_TEST

/* A real tab and the two characters "\t" in a name print differently. */
START_TEST(test_text_tells_a_tab_from_a_backslash_t)
{
	g_autofree char *tab = sg_report_text_safe("a\tb.eml", 100);
	g_autofree char *slash = sg_report_text_safe("a\\tb.eml", 100);
	g_autofree char *hex = sg_report_text_safe("a\\x41\x41", 100);

	ck_assert_str_eq(tab, "a\\tb.eml");
	ck_assert_str_eq(slash, "a\\\\tb.eml");
	ck_assert_str_ne(tab, slash);
	ck_assert_str_eq(hex, "a\\\\x41A");
}
END_TEST

/*
 * Names in JSON keep every byte: a byte that is not UTF-8 is \xNN, a
 * backslash \\, valid UTF-8 and controls stay (JSON escapes those).
 */
START_TEST(test_json_names_keep_every_byte)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "caf\xe9.eml", "caf\\xe9.eml" },
		{ "caf\\xe9.eml", "caf\\\\xe9.eml" },
		{ "caf\xc3\xa9.eml", "caf\xc3\xa9.eml" },
		{ "a\tb\n", "a\tb\n" },
		{ "\xff\xfe", "\\xff\\xfe" },
		{ "\xc3", "\\xc3" },
		{ "ok", "ok" },
	};
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", "id\xe9");
	g_autofree char *out = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *o, *f;

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = sg_report_name_safe(cases[i].in);

		ck_assert_str_eq(got, cases[i].want);
	}
	ck_assert_ptr_null(sg_report_name_safe(NULL));
	sg_message_add_file(msg, "/spool/caf\xe9\\x.eml", "message");
	out = write_to_string(SG_REPORT_JSON, msg, NULL, NULL);
	ck_assert_ptr_null(strstr(out, "\xef\xbf\xbd")); /* no U+FFFD */
	o = parse_object(parser, out);
	ck_assert_str_eq(json_object_get_string_member(o, "message"),
	    "id\\xe9");
	f = json_array_get_object_element(json_object_get_array_member(o,
	                                      "files"),
	    0);
	ck_assert_str_eq(json_object_get_string_member(f, "path"),
	    "/spool/caf\\xe9\\\\x.eml");
}
END_TEST

START_TEST(test_text_inspect_shows_envelope_headers_and_parts)
{
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	SgPartRow *part = g_new0(SgPartRow, 1);
	g_autofree char *out = NULL;

	sg_inspect_add_header(inspect, "From", 4, 0, 21);
	sg_inspect_add_header(inspect, "Subject", 7, 40, 18);
	inspect->header_end = 60;
	part->path = g_strdup("1");
	part->content_type = g_strdup("application/pdf");
	part->encoding = g_strdup("base64");
	part->filename = g_strdup("minutes.pdf");
	part->size = 1234;
	part->header_offset = SG_OFFSET_NONE;
	part->body_offset = SG_OFFSET_NONE;
	g_ptr_array_add(inspect->parts, part);
	out = write_to_string(SG_REPORT_TEXT, fx.msg, inspect, NULL);
	ck_assert_ptr_nonnull(
	    strstr(out, "  sender      <alice@example.org>\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "  recipients  2\n"
	    "              <carol@example.net>\n"
	    "              <dave@example.net>\n"));
	ck_assert_ptr_nonnull(
	    strstr(out, "  headers     2, body at byte 60\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "        offset   length  name\n"
	    "             0       21  From\n"
	    "            40       18  Subject\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "  parts       1\n"
	    "    1 application/pdf base64 1234 "
	    "bytes \"minutes.pdf\"\n"));
	ck_assert_ptr_nonnull(strstr(out, "profile default"));
	ck_assert_ptr_nonnull(strstr(out, "mode 0640"));
}
END_TEST

static SgRunTotals
sample_totals(void)
{
	SgRunTotals t;

	sg_report_totals_init(&t);
	t.examined = 7;
	t.clean = 4;
	t.warned = 1;
	t.quarantined = 2;
	t.walk.seen = 9;
	t.walk.young = 1;
	t.walk.vanished = 1;
	t.walk.errors = 0;
	t.seconds = 1.5;
	return t;
}

START_TEST(test_summary_text_and_json)
{
	SgRunTotals t = sample_totals();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	g_auto(GStrv) lines = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *s;

	sg_report_write_summary(f, SG_REPORT_TEXT, &t, TRUE);
	sg_report_write_summary(f, SG_REPORT_JSON, &t, FALSE);
	fclose(f);
	lines = g_strsplit(buf, "\n", -1);
	free(buf);
	ck_assert_uint_eq(g_strv_length(lines), 3);
	ck_assert(g_str_has_prefix(lines[0],
	    "7 examined: 4 clean, 1 warned, 2 would be quarantined"));
	ck_assert_ptr_nonnull(strstr(lines[0], "1 young"));
	ck_assert_ptr_nonnull(strstr(lines[0], "1 vanished"));
	/* said only when there are any */
	ck_assert_ptr_null(strstr(lines[0], "already held"));
	ck_assert_ptr_null(strstr(lines[0], "kept"));
	s = json_object_get_object_member(parse_object(parser, lines[1]),
	    "summary");
	ck_assert_int_eq(json_object_get_int_member(s, "examined"), 7);
	ck_assert_int_eq(json_object_get_int_member(s, "quarantined"), 2);
	ck_assert_int_eq(json_object_get_int_member(s, "seen"), 9);
	ck_assert(!json_object_get_boolean_member(s, "dry_run"));
	ck_assert(json_object_get_double_member(s, "seconds") == 1.5);
}
END_TEST

/* --action hold: held already, and kept by --hold-fallback none. */
START_TEST(test_summary_counts_already_held_and_kept)
{
	SgRunTotals t = sample_totals();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	g_auto(GStrv) lines = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *metrics = NULL;
	JsonObject *s;

	t.quarantined = 0;
	t.held = 1;
	t.already_held = 3;
	t.kept = 2;
	sg_report_write_summary(f, SG_REPORT_TEXT, &t, FALSE);
	sg_report_write_summary(f, SG_REPORT_JSON, &t, FALSE);
	fclose(f);
	lines = g_strsplit(buf, "\n", -1);
	free(buf);
	ck_assert_ptr_nonnull(strstr(lines[0],
	    "0 quarantined, 1 held, 3 already held, 2 kept; skipped"));
	s = json_object_get_object_member(parse_object(parser, lines[1]),
	    "summary");
	ck_assert_int_eq(json_object_get_int_member(s, "already_held"), 3);
	ck_assert_int_eq(json_object_get_int_member(s, "kept"), 2);
	metrics = sg_report_metrics_text(&t);
	ck_assert_ptr_nonnull(
	    strstr(metrics, "\nspoolguard_messages_already_held_total 3\n"));
	ck_assert_ptr_nonnull(
	    strstr(metrics, "\nspoolguard_messages_kept_total 2\n"));
}
END_TEST

START_TEST(test_metrics_file_is_written_whole)
{
	SgRunTotals t = sample_totals();
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(fx.dir, "sg.prom", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GDir) dir = NULL;
	struct stat st;
	guint n = 0;

	ck_assert(g_file_set_contents(path, "stale-xyzzy\n", -1, &error));
	ck_assert(sg_report_write_metrics(path, &t, &error));
	ck_assert(g_file_get_contents(path, &text, NULL, &error));
	/* OpenMetrics: the family without _total, the sample with it. */
	ck_assert_ptr_nonnull(strstr(text,
	    "# TYPE spoolguard_messages_examined counter\n"
	    "spoolguard_messages_examined_total 7\n"));
	ck_assert(g_str_has_suffix(text, "\n# EOF\n"));
	ck_assert_ptr_nonnull(
	    strstr(text, "\nspoolguard_messages_quarantined_total 2\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "\nspoolguard_messages_skipped_total{reason=\"young\"} 1\n"));
	ck_assert_ptr_nonnull(
	    strstr(text, "\nspoolguard_last_run_duration_seconds 1.5"));
	ck_assert_ptr_null(strstr(text, "stale-xyzzy"));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	/* No temporary file left next to it. */
	dir = g_dir_open(fx.dir, 0, NULL);
	while (g_dir_read_name(dir) != NULL)
		n++;
	ck_assert_uint_eq(n, 2); /* the message and sg.prom */
	g_unlink(path);
}
END_TEST

START_TEST(test_metrics_into_missing_dir_fails_with_the_path)
{
	SgRunTotals t = sample_totals();
	g_autoptr(GError) error = NULL;
	g_autofree char *path =
	    g_build_filename(fx.dir, "missing", "sg.prom", NULL);

	ck_assert(!sg_report_write_metrics(path, &t, &error));
	ck_assert_ptr_nonnull(error);
	ck_assert_ptr_nonnull(strstr(error->message, "missing"));
}
END_TEST

static const struct {
	const char *name;
	gboolean ok;
	SgReportFormat format;
} format_cases[] = {
	{ "text", TRUE, SG_REPORT_TEXT },
	{ "json", TRUE, SG_REPORT_JSON },
	{ "JSON", FALSE, SG_REPORT_TEXT },
	{ "xml", FALSE, SG_REPORT_TEXT },
	{ "", FALSE, SG_REPORT_TEXT },
};

START_TEST(test_format_names)
{
	SgReportFormat f = (SgReportFormat)99;

	ck_assert_int_eq(sg_report_format_from_string(format_cases[_i].name,
	                     &f),
	    format_cases[_i].ok);
	if (format_cases[_i].ok)
		ck_assert_int_eq(f, format_cases[_i].format);
}
END_TEST

START_TEST(test_rules_list_is_distinct_and_filtered)
{
	g_autofree char *all = NULL;
	g_autofree char *bad = NULL;

	sg_message_add_finding(fx.msg, SG_RULE_HEADER_NUL,
	    SG_SEVERITY_QUARANTINE, 0, 50, NULL, NULL, SG_VALUE_NONE,
	    SG_VALUE_NONE, "again");
	all = sg_report_rules(fx.msg, SG_SEVERITY_INFO);
	bad = sg_report_rules(fx.msg, SG_SEVERITY_QUARANTINE);
	ck_assert_str_eq(all, "header.nul,header.line-length");
	ck_assert_str_eq(bad, "header.nul");
	ck_assert_str_eq(sg_report_verdict_name(SG_SEVERITY_IGNORE), "clean");
	ck_assert_str_eq(sg_report_verdict_name(SG_SEVERITY_WARN), "warn");
}
END_TEST

/* ---- log lines ------------------------------------------------------ */

/* A message of @len bytes in a file @name of the fixture's directory. */
static SgMessage *
message_from(const char *name, const char *bytes, gssize len)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(fx.dir, name, NULL);
	SgMessage *msg;

	if (len < 0)
		len = (gssize)strlen(bytes);
	ck_assert(g_file_set_contents(path, bytes, len, &error));
	msg = sg_message_new(NULL, "plain", path);
	sg_message_add_file(msg, path, "message");
	ck_assert(sg_message_open_file(msg, 0, &error));
	sg_message_set_content_window(msg, 0, 0, len);
	msg->content_size = len;
	return msg;
}

static void
message_unlink(const char *name)
{
	g_autofree char *path = g_build_filename(fx.dir, name, NULL);

	g_unlink(path);
}

START_TEST(test_log_line_reads_like_postfix)
{
	SgLogFields f = {
		.id = "4F9D195432",
		.sender = "alice@example.org",
		.size = 1234,
		.nrcpt = 2,
		.message_id = "<m1@example.org>",
		.queue = "deferred",
		.verdict = "quarantine",
		.action = "quarantined",
		.rules = "header.nul,mime.depth",
		.store_id = "20261122T031502Z-1a2b3c4d",
	};
	g_autofree char *line = sg_report_log_line(&f);
	SgLogFields bare = { .id = "x", .size = -1, .nrcpt = -1 };
	g_autofree char *none = sg_report_log_line(&bare);
	SgLogFields null_sender = { .id = "y",
		.sender = "",
		.size = -1,
		.nrcpt = -1,
		.rules = "" };
	g_autofree char *empty = sg_report_log_line(&null_sender);

	ck_assert_str_eq(line,
	    "4F9D195432: from=<alice@example.org>, size=1234, nrcpt=2, "
	    "message-id=<m1@example.org>, queue=deferred, "
	    "verdict=quarantine, action=quarantined, "
	    "rules=header.nul,mime.depth, store=20261122T031502Z-1a2b3c4d");
	ck_assert_str_eq(none, "x");
	/* The null sender is "from=<>"; no rules is "rules=-". */
	ck_assert_str_eq(empty, "y: from=<>, rules=-");
}
END_TEST

START_TEST(test_log_line_escapes_what_a_spool_holds)
{
	SgLogFields f = { .id = "q\nid",
		.sender = "a\033[31m@x",
		.size = -1,
		.nrcpt = -1,
		.error = "disk \"full\"\r" };
	g_autofree char *line = sg_report_log_line(&f);

	ck_assert_ptr_null(strchr(line, '\n'));
	ck_assert_ptr_null(strchr(line, '\033'));
	ck_assert_ptr_null(strchr(line, '\r'));
	ck_assert_str_eq(line,
	    "q\\nid: from=<a\\x1b[31m@x>, error=\"disk \"full\"\\r\"");
}
END_TEST

typedef struct {
	int priority;
	char *line;
	guint count;
} SinkSeen;

static void
sink(int priority, const char *line, gpointer data)
{
	SinkSeen *seen = data;

	seen->priority = priority;
	g_free(seen->line);
	seen->line = g_strdup(line);
	seen->count++;
}

static const char mid_message[] =
    "From sender@example.org Thu Nov 22 03:15:02 2026\n"
    "Received: from a by b;\n"
    "\tThu, 22 Nov 2026 03:15:02 +0000\n"
    "Subject: folded\n"
    " over two lines\n"
    "message-id:\n"
    "   <20261122.abc@example.org>  \n"
    "\n"
    "Message-ID: <not-a-header@example.org>\n";

START_TEST(test_action_line_starts_with_the_queue_id)
{
	g_autoptr(SgMessage) msg = message_from("mid.eml", mid_message, -1);
	SinkSeen seen = { 0 };
	SgOutcome out = { .action = "quarantined",
		.store_id = "20261122T031502Z-1a2b3c4d" };
	g_autofree char *line = NULL;
	g_autofree char *want = NULL;

	msg->queue_id = g_strdup("4F9D195432");
	msg->queue_name = g_strdup("deferred");
	sg_message_set_sender(msg, "alice@example.org", 17, 0, 0);
	sg_message_add_recipient(msg, "bob@example.org", 15, 0, 0);
	sg_message_add_finding(msg, SG_RULE_HEADER_NUL, SG_SEVERITY_QUARANTINE,
	    0, 3, NULL, NULL, SG_VALUE_NONE, SG_VALUE_NONE, "nul");
	line = sg_report_action_line(msg, &out);
	want = g_strdup_printf("4F9D195432: from=<alice@example.org>, "
	                       "size=%zu, nrcpt=1, "
	                       "message-id=<20261122.abc@example.org>, "
	                       "queue=deferred, verdict=quarantine, "
	                       "action=quarantined, rules=header.nul, "
	                       "store=20261122T031502Z-1a2b3c4d",
	    strlen(mid_message));
	ck_assert_str_eq(line, want);
	ck_assert_int_eq(sg_report_action_priority(msg, &out), LOG_WARNING);
	sg_report_syslog_set_sink(sink, &seen);
	sg_report_syslog_message(msg, &out);
	out.error = "disk full";
	sg_report_syslog_action(msg, &out);
	sg_report_syslog_set_sink(NULL, NULL);
	ck_assert_uint_eq(seen.count, 2);
	ck_assert_int_eq(seen.priority, LOG_ERR);
	ck_assert(g_str_has_suffix(seen.line, "error=\"disk full\""));
	g_free(seen.line);
	message_unlink("mid.eml");
}
END_TEST

START_TEST(test_clean_messages_are_not_logged_by_scan)
{
	g_autoptr(SgMessage) msg =
	    message_from("clean.eml", "From: a@example.org\n\nbody\n", -1);
	SinkSeen seen = { 0 };
	SgOutcome out = { .action = "none" };
	g_autofree char *line = sg_report_action_line(msg, &out);

	sg_report_syslog_set_sink(sink, &seen);
	sg_report_syslog_message(msg, &out);
	sg_report_syslog_set_sink(NULL, NULL);
	ck_assert_uint_eq(seen.count, 0);
	/* No envelope: neither from= nor nrcpt=; the name stands first. */
	ck_assert(g_str_has_prefix(line, msg->id));
	ck_assert_ptr_null(strstr(line, "from="));
	ck_assert_ptr_null(strstr(line, "nrcpt="));
	ck_assert_ptr_null(strstr(line, "message-id="));
	ck_assert_int_eq(sg_report_action_priority(msg, &out), LOG_INFO);
	message_unlink("clean.eml");
}
END_TEST

/* ---- header values, bodies ------------------------------------------ */

START_TEST(test_header_values_are_unfolded_raw_bytes)
{
	g_autoptr(SgMessage) msg = message_from("values.eml", mid_message, -1);
	gsize len = 0;
	g_autofree char *subject =
	    sg_report_header_value(msg, "SUBJECT", 100, &len);
	g_autofree char *received =
	    sg_report_header_value(msg, "Received", 100, NULL);
	g_autofree char *cut = sg_report_header_value(msg, "Subject", 6, NULL);
	g_autofree char *none = sg_report_header_value(msg, "To", 100, NULL);
	g_autofree char *mid = sg_report_message_id(msg);

	ck_assert_str_eq(subject, "folded over two lines");
	ck_assert_uint_eq(len, strlen(subject));
	/* The fold's tab reads as a space. */
	ck_assert_str_eq(received,
	    "from a by b; Thu, 22 Nov 2026 03:15:02 "
	    "+0000");
	ck_assert_str_eq(cut, "folded");
	/* Not in the header block, whatever the body says. */
	ck_assert_ptr_null(none);
	ck_assert_str_eq(mid, "<20261122.abc@example.org>");
	message_unlink("values.eml");
}
END_TEST

START_TEST(test_header_value_keeps_nul_and_8bit_bytes)
{
	static const char raw[] = "Subject: caf\xc3\xa9 \0x\n\nbody\n";
	g_autoptr(SgMessage) msg =
	    message_from("nul.eml", raw, sizeof(raw) - 1);
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	g_autofree char *json = NULL;
	SgHeaderRow *row;

	sg_inspect_add_header(inspect, "Subject", 7, 0, 17);
	inspect->header_end = 19;
	ck_assert(sg_report_inspect_values(msg, inspect, 1 << 20, &error));
	row = g_ptr_array_index(inspect->headers, 0);
	ck_assert_uint_eq(row->value_len, 8);
	ck_assert_int_eq(memcmp(row->value, "caf\xc3\xa9 \0x", 8), 0);
	text = write_to_string(SG_REPORT_TEXT, msg, inspect, NULL);
	ck_assert_ptr_nonnull(strstr(text, "Subject: caf\xc3\xa9 \\x00x\n"));
	json = write_to_string(SG_REPORT_JSON, msg, inspect, NULL);
	ck_assert_ptr_nonnull(
	    strstr(json, "\"value\":\"caf\xc3\xa9 \\\\x00x\""));
	message_unlink("nul.eml");
}
END_TEST

static const char body_message[] =
    "From: a@example.org\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=XX\n"
    "\n"
    "--XX\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "caf=E9 au lait\n"
    "second line\n"
    "--XX\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "aGVsbG8gd29ybGQsIGEgbG9uZ2VyIGxpbmU=\n"
    "--XX\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "AAECAwQFBgc=\n"
    "--XX--\n";

START_TEST(test_bodies_are_decoded_per_part_and_bounded)
{
	g_autoptr(SgMessage) msg = message_from("body.eml", body_message, -1);
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgInspect) two = sg_inspect_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	SgBodyRow *b;

	ck_assert(sg_report_inspect_bodies(msg, inspect, 10, 11, &error));
	ck_assert_uint_eq(inspect->bodies->len, 3);
	b = g_ptr_array_index(inspect->bodies, 0);
	ck_assert_str_eq(b->path, "1.1");
	/* Latin-1 quoted-printable, into UTF-8; 11 bytes, and more. */
	ck_assert_uint_eq(b->text_len, 11);
	ck_assert_int_eq(memcmp(b->text, "caf\xc3\xa9 au la", 11), 0);
	ck_assert(b->truncated);
	b = g_ptr_array_index(inspect->bodies, 1);
	ck_assert_str_eq(b->path, "1.2");
	ck_assert_int_eq(memcmp(b->text, "hello world", 11), 0);
	b = g_ptr_array_index(inspect->bodies, 2);
	ck_assert_str_eq(b->content_type, "application/octet-stream");
	ck_assert_ptr_null(b->text);
	ck_assert_ptr_nonnull(strstr(b->note, "not text"));
	ck_assert(!inspect->bodies_capped);
	text = write_to_string(SG_REPORT_TEXT, msg, inspect, NULL);
	ck_assert_ptr_nonnull(strstr(text, "    | caf\xc3\xa9 au la\n"));
	ck_assert_ptr_nonnull(strstr(text, "    | ...\n"));
	/* At most two parts. */
	ck_assert(sg_report_inspect_bodies(msg, two, 2, 100, &error));
	ck_assert_uint_eq(two->bodies->len, 2);
	ck_assert(two->bodies_capped);
	message_unlink("body.eml");
}
END_TEST

START_TEST(test_text_width_cuts_header_values)
{
	g_autoptr(SgMessage) msg = message_from("wide.eml", mid_message, -1);
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *cut = NULL;
	g_autofree char *full = NULL;

	const char *subject = strstr(mid_message, "Subject:");

	sg_inspect_add_header(inspect, "Subject", 7,
	    (goffset)(subject - mid_message), 32);
	ck_assert(sg_report_inspect_values(msg, inspect, 1 << 20, &error));
	sg_report_set_text_width(40);
	cut = write_to_string(SG_REPORT_TEXT, msg, inspect, NULL);
	sg_report_set_text_width(0);
	full = write_to_string(SG_REPORT_TEXT, msg, inspect, NULL);
	ck_assert_ptr_nonnull(strstr(full, "Subject: folded over two lines\n"));
	/* 4 + 10 + 1 + 8 + 2 columns, "Subject: ", then 40 in all. */
	ck_assert_ptr_nonnull(strstr(cut, "  Subject: folded o...\n"));
	message_unlink("wide.eml");
}
END_TEST

/* ---- output for the locale ------------------------------------------ */

START_TEST(test_output_escapes_utf8_only_outside_a_utf8_locale)
{
	g_autofree char *utf8 = NULL;
	g_autofree char *ascii = NULL;

	sg_report_set_utf8_output(TRUE);
	utf8 = sg_report_for_output("caf\xc3\xa9 \\x");
	sg_report_set_utf8_output(FALSE);
	ascii = sg_report_for_output("caf\xc3\xa9 \\x");
	sg_report_set_utf8_output(TRUE);
	ck_assert_str_eq(utf8, "caf\xc3\xa9 \\x");
	ck_assert_str_eq(ascii, "caf\\xc3\\xa9 \\x");
}
END_TEST

/* ---- metrics across runs -------------------------------------------- */

START_TEST(test_metrics_counters_grow_across_runs)
{
	SgRunTotals t = sample_totals();
	g_autofree char *first = NULL;
	g_autofree char *second = NULL;
	g_autoptr(SgMessage) msg =
	    message_from("count.eml", "From: a@example.org\n\nbody\n", -1);

	t.rule_quarantine[SG_RULE_HEADER_NUL] = 2;
	t.rule_warn[SG_RULE_HEADER_8BIT] = 1;
	t.store_entries = 5;
	t.store_bytes = 12345;
	first = sg_report_metrics_text(&t);
	ck_assert_ptr_nonnull(strstr(first, "\nspoolguard_runs_total 1\n"));
	ck_assert_ptr_nonnull(strstr(first,
	    "\nspoolguard_rule_messages_total{rule=\"header.nul\","
	    "severity=\"quarantine\"} 2\n"));
	ck_assert_ptr_nonnull(
	    strstr(first, "\nspoolguard_quarantine_entries 5\n"));
	ck_assert_ptr_nonnull(
	    strstr(first, "\nspoolguard_quarantine_bytes 12345\n"));
	ck_assert_ptr_nonnull(strstr(first,
	    "\nspoolguard_build_info{version=\"" PACKAGE_VERSION "\","));
	/* The next run saw header.nul no more, and one plain message. */
	sg_report_totals_init(&t);
	t.examined = 1;
	sg_report_totals_add(&t, msg);
	second = sg_report_metrics_text_carry(&t, first);
	ck_assert_ptr_nonnull(strstr(second, "\nspoolguard_runs_total 2\n"));
	ck_assert_ptr_nonnull(
	    strstr(second, "\nspoolguard_messages_examined_total 8\n"));
	ck_assert_ptr_nonnull(strstr(second,
	    "\nspoolguard_rule_messages_total{rule=\"header.nul\","
	    "severity=\"quarantine\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(second,
	    "\nspoolguard_format_messages_total{format=\"plain\","
	    "verdict=\"clean\"} 1\n"));
	/* Gauges are this run's alone; no store figure when not known. */
	ck_assert_ptr_nonnull(strstr(second,
	    "\nspoolguard_last_run_messages{outcome=\"examined\"} 1\n"));
	ck_assert_ptr_null(strstr(second, "spoolguard_quarantine_entries"));
	message_unlink("count.eml");
}
END_TEST

START_TEST(test_metrics_ignore_junk_in_the_previous_file)
{
	SgRunTotals t = sample_totals();
	g_autofree char *text = sg_report_metrics_text_carry(&t,
	    "spoolguard_messages_examined_total -5\n"
	    "spoolguard_messages_clean_total NaN\n"
	    "spoolguard_last_run_duration_seconds 99\n"
	    "other_total 3\n"
	    "spoolguard_messages_warned_total 2.5\n"
	    "garbage\n");

	/* A negative or non-number count starts again. */
	ck_assert_ptr_nonnull(
	    strstr(text, "\nspoolguard_messages_examined_total 7\n"));
	ck_assert_ptr_nonnull(
	    strstr(text, "\nspoolguard_messages_clean_total 4\n"));
	ck_assert_ptr_nonnull(
	    strstr(text, "\nspoolguard_messages_warned_total 3.5\n"));
	ck_assert_ptr_null(strstr(text, "other_total"));
	ck_assert_ptr_nonnull(
	    strstr(text, "\nspoolguard_last_run_duration_seconds 1.5\n"));
}
END_TEST

/* ---- the MTA's own log ---------------------------------------------- */

START_TEST(test_mta_note_appends_to_exims_msglog)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *log = g_build_filename(fx.dir, "msglog-id", NULL);
	g_autofree char *text = NULL;
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "exim", "id");
	g_autoptr(SgMessage) other = message_from("other.eml", "x", 1);
	SgMessageFile *f;

	ck_assert(g_file_set_contents(log,
	    "2026-11-22 04:07:35 Received from a@b\n", -1, &error));
	sg_message_add_file(msg, log, "msglog");
	ck_assert(sg_message_open_file(msg, 0, &error));
	ck_assert(sg_report_mta_note(msg, "moving \033it", &error));
	f = sg_message_file(msg, 0);
	ck_assert(g_file_get_contents(log, &text, NULL, &error));
	ck_assert(
	    g_str_has_prefix(text, "2026-11-22 04:07:35 Received from a@b\n"));
	ck_assert(g_regex_match_simple("\n[0-9]{4}-[0-9]{2}-[0-9]{2} "
	                               "[0-9]{2}:[0-9]{2}:[0-9]{2} "
	                               "spoolguard: moving \\\\x1bit\n$",
	    text, 0, 0));
	/* The stat follows the file, so a move copies all of it. */
	ck_assert_int_eq(f->st.st_size, (off_t)strlen(text));
	/* Other formats: nothing written, no error. */
	ck_assert(sg_report_mta_note(other, "x", &error));
	g_unlink(log);
	message_unlink("other.eml");
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_json_line_is_one_valid_object_with_the_fields);
	tcase_add_test(tc, test_json_with_inspect_carries_headers_and_parts);
	tcase_add_test(tc, test_json_survives_hostile_strings);
	tcase_add_test(tc, test_text_first_line_and_finding_lines);
	tcase_add_test(tc, test_text_clean_message_is_one_line);
	tcase_add_test(tc, test_text_escapes_control_bytes_keeps_utf8);
	tcase_add_test(tc, test_text_tells_a_tab_from_a_backslash_t);
	tcase_add_test(tc, test_json_names_keep_every_byte);
	tcase_add_test(tc, test_text_inspect_shows_envelope_headers_and_parts);
	tcase_add_test(tc, test_summary_text_and_json);
	tcase_add_test(tc, test_summary_counts_already_held_and_kept);
	tcase_add_test(tc, test_metrics_file_is_written_whole);
	tcase_add_test(tc, test_metrics_into_missing_dir_fails_with_the_path);
	tcase_add_loop_test(tc, test_format_names, 0,
	    G_N_ELEMENTS(format_cases));
	tcase_add_test(tc, test_rules_list_is_distinct_and_filtered);
	tcase_add_test(tc, test_log_line_reads_like_postfix);
	tcase_add_test(tc, test_log_line_escapes_what_a_spool_holds);
	tcase_add_test(tc, test_action_line_starts_with_the_queue_id);
	tcase_add_test(tc, test_clean_messages_are_not_logged_by_scan);
	tcase_add_test(tc, test_header_values_are_unfolded_raw_bytes);
	tcase_add_test(tc, test_header_value_keeps_nul_and_8bit_bytes);
	tcase_add_test(tc, test_bodies_are_decoded_per_part_and_bounded);
	tcase_add_test(tc, test_text_width_cuts_header_values);
	tcase_add_test(tc, test_output_escapes_utf8_only_outside_a_utf8_locale);
	tcase_add_test(tc, test_metrics_counters_grow_across_runs);
	tcase_add_test(tc, test_metrics_ignore_junk_in_the_previous_file);
	tcase_add_test(tc, test_mta_note_appends_to_exims_msglog);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_run(report_suite());
}
