// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_rules.c - the rule catalogue and profiles: loading by name and
 * path, include, errors that name file and line, judge semantics, the
 * round trip through sg_profile_to_data, and the documentation of every
 * rule id in rules/default.rules and man/spoolguard-rules.5.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <glib/gstdio.h>

#include "spoolguard/rules.h"

#include "check-run.h"
#include "sg-paths.h"

static const char *const shipped[] = {
	"default",
	"exchange-online",
	"iis-smtp",
	"postfix",
	"rfc5322",
};

static char *
fixture(const char *name)
{
	const char *td = g_getenv("SPOOLGUARD_TESTDATA");

	ck_assert_msg(td != NULL, "SPOOLGUARD_TESTDATA is not set");
	return g_build_filename(td, "rules", name, NULL);
}

static char *
source_file(const char *rel)
{
	const char *td = g_getenv("SPOOLGUARD_TESTDATA");
	g_autofree char *top = NULL;

	ck_assert_msg(td != NULL, "SPOOLGUARD_TESTDATA is not set");
	top = g_path_get_dirname(td);
	return g_build_filename(top, rel, NULL);
}

static char *
read_source(const char *rel)
{
	g_autofree char *path = source_file(rel);
	g_autoptr(GError) error = NULL;
	char *text = NULL;

	ck_assert_msg(g_file_get_contents(path, &text, NULL, &error), "%s",
	    error ? error->message : "");
	return text;
}

/* "header.line-length" as roff writes it: "header.line\-length". */
static char *
roff_escape(const char *id)
{
	GString *s = g_string_new(NULL);

	for (const char *p = id; *p != '\0'; p++) {
		if (*p == '-')
			g_string_append(s, "\\-");
		else
			g_string_append_c(s, *p);
	}
	return g_string_free(s, FALSE);
}

/* Undoes the roff of a table cell: drops \\fB and \\fP, "\\-" -> "-". */
static char *
unroff(const char *s)
{
	GString *out = g_string_new(NULL);

	while (*s != '\0') {
		if (g_str_has_prefix(s, "\\fB") ||
		    g_str_has_prefix(s, "\\fP")) {
			s += 3;
		} else if (g_str_has_prefix(s, "\\-")) {
			g_string_append_c(out, '-');
			s += 2;
		} else {
			g_string_append_c(out, *s++);
		}
	}
	return g_string_free(out, FALSE);
}

/* ---- catalogue ------------------------------------------------------- */

START_TEST(test_catalogue_rows_match_their_enum)
{
	for (guint i = 0; i < SG_RULE_COUNT; i++) {
		const SgRuleInfo *info = sg_rules_info((SgRuleId)i);

		ck_assert_ptr_nonnull(info);
		ck_assert_int_eq(info->rule, i);
		ck_assert_str_eq(sg_rule_id((SgRuleId)i), info->id);
		ck_assert_ptr_eq(sg_rules_lookup(info->id, strlen(info->id)),
		    info);
		ck_assert(strchr(info->id, '.') != NULL);
		ck_assert(info->summary[0] != '\0');
		for (guint j = 0; j < i; j++)
			ck_assert_str_ne(sg_rules_info((SgRuleId)j)->id,
			    info->id);
	}
	ck_assert_ptr_null(sg_rules_info(SG_RULE_COUNT));
}
END_TEST

START_TEST(test_catalogue_lookup_uses_length_not_nul)
{
	const char *buf = "header.line-lengthXYZ";

	ck_assert_ptr_eq(sg_rules_lookup(buf, 18),
	    sg_rules_info(SG_RULE_HEADER_LINE_LENGTH));
	ck_assert_ptr_null(sg_rules_lookup(buf, 17));
	ck_assert_ptr_null(sg_rules_lookup(buf, 21));
	ck_assert_ptr_null(sg_rules_lookup("", 0));
	ck_assert_int_eq(sg_rules_info(SG_RULE_HEADER_NUL)->kind,
	    SG_RULE_KIND_EVENT);
	ck_assert_int_eq(sg_rules_info(SG_RULE_MIME_DEPTH)->kind,
	    SG_RULE_KIND_LIMIT);
}
END_TEST

/* ---- loading --------------------------------------------------------- */

START_TEST(test_default_loads_by_name_with_design_numbers)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p = sg_profile_load("default", &error);

	ck_assert_msg(p != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq(sg_profile_name(p), "default");
	ck_assert(g_str_has_suffix(sg_profile_path(p), "/default.rules"));
	ck_assert_ptr_nonnull(sg_profile_description(p));
	ck_assert_int_eq(strlen(sg_profile_digest(p)), 64);
	ck_assert_int_eq(sg_profile_soft(p, SG_RULE_HEADER_LINE_LENGTH), 998);
	ck_assert_int_eq(sg_profile_hard(p, SG_RULE_HEADER_LINE_LENGTH), 65536);
	ck_assert_int_eq(sg_profile_hard(p, SG_RULE_MESSAGE_SIZE), 2147483647);
	ck_assert_int_eq(sg_profile_soft(p, SG_RULE_HEADER_RECEIVED_COUNT), 50);
	ck_assert_int_eq(sg_profile_hard(p, SG_RULE_HEADER_RECEIVED_COUNT),
	    SG_VALUE_NONE);
	ck_assert_int_eq(sg_profile_soft(p, SG_RULE_HEADER_NUL), SG_VALUE_NONE);
	ck_assert_int_eq(sg_profile_severity(p, SG_RULE_HEADER_8BIT),
	    SG_SEVERITY_WARN);
	ck_assert_int_eq(sg_profile_severity(p, SG_RULE_HEADER_NUL),
	    SG_SEVERITY_QUARANTINE);
}
END_TEST

/*
 * default.rules names every rule with the catalogue's severity, so the
 * built-in defaults and the shipped profile cannot drift apart.
 */
START_TEST(test_default_severities_match_catalogue)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p = sg_profile_load("default", &error);

	ck_assert_msg(p != NULL, "%s", error ? error->message : "");
	for (guint i = 0; i < SG_RULE_COUNT; i++) {
		const SgRuleInfo *info = sg_rules_info((SgRuleId)i);

		ck_assert_msg(sg_profile_severity(p, info->rule) ==
		        info->severity,
		    "default.rules and rule-ids.h disagree on %s", info->id);
		if (info->kind == SG_RULE_KIND_EVENT)
			continue;
		ck_assert_msg(sg_profile_soft(p, info->rule) != SG_VALUE_NONE ||
		        sg_profile_hard(p, info->rule) != SG_VALUE_NONE,
		    "default sets no limit for %s", info->id);
	}
}
END_TEST

START_TEST(test_path_load_names_profile_after_file)
{
	g_autofree char *path = fixture("near-miss.rules");
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p = sg_profile_load(path, &error);

	ck_assert_msg(p != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq(sg_profile_name(p), "near-miss");
	ck_assert_str_eq(sg_profile_path(p), path);
	ck_assert_ptr_null(sg_profile_description(p));
	ck_assert_int_eq(sg_profile_soft(p, SG_RULE_MESSAGE_SIZE), 0);
	ck_assert_int_eq(sg_profile_hard(p, SG_RULE_MESSAGE_SIZE), 0);
	ck_assert_int_eq(sg_profile_hard(p, SG_RULE_HEADER_COUNT),
	    SG_VALUE_NONE);
	ck_assert_int_eq(sg_profile_severity(p, SG_RULE_HEADER_COUNT),
	    SG_SEVERITY_INFO);
	/* Unnamed rules keep the catalogue's severity and no limits. */
	ck_assert_int_eq(sg_profile_severity(p, SG_RULE_HEADER_8BIT),
	    sg_rules_info(SG_RULE_HEADER_8BIT)->severity);
	ck_assert_int_eq(sg_profile_hard(p, SG_RULE_MIME_DEPTH), SG_VALUE_NONE);
}
END_TEST

START_TEST(test_include_overrides_key_by_key)
{
	g_autofree char *path = fixture("override.rules");
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p = sg_profile_load(path, &error);
	g_autoptr(SgProfile) d = sg_profile_load("default", NULL);

	ck_assert_msg(p != NULL, "%s", error ? error->message : "");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(sg_profile_description(p), "site override");
	/* hard overridden, soft and severity inherited. */
	ck_assert_int_eq(sg_profile_hard(p, SG_RULE_HEADER_LINE_LENGTH), 2000);
	ck_assert_int_eq(sg_profile_soft(p, SG_RULE_HEADER_LINE_LENGTH), 998);
	ck_assert_int_eq(sg_profile_severity(p, SG_RULE_HEADER_LINE_LENGTH),
	    SG_SEVERITY_QUARANTINE);
	ck_assert_int_eq(sg_profile_severity(p, SG_RULE_HEADER_8BIT),
	    SG_SEVERITY_IGNORE);
	ck_assert_int_eq(sg_profile_hard(p, SG_RULE_HEADER_RECEIVED_COUNT),
	    100);
	ck_assert_int_eq(sg_profile_soft(p, SG_RULE_HEADER_RECEIVED_COUNT), 50);
	/* Everything else is default's. */
	for (guint i = 0; i < SG_RULE_COUNT; i++) {
		SgRuleId r = (SgRuleId)i;

		if (r == SG_RULE_HEADER_LINE_LENGTH ||
		    r == SG_RULE_HEADER_8BIT ||
		    r == SG_RULE_HEADER_RECEIVED_COUNT)
			continue;
		ck_assert_int_eq(sg_profile_severity(p, r),
		    sg_profile_severity(d, r));
		ck_assert_int_eq(sg_profile_soft(p, r), sg_profile_soft(d, r));
		ck_assert_int_eq(sg_profile_hard(p, r), sg_profile_hard(d, r));
	}
	ck_assert_str_ne(sg_profile_digest(p), sg_profile_digest(d));
}
END_TEST

START_TEST(test_data_include_resolves_through_search_path)
{
	static const char data[] = "[profile]\ninclude=default\n"
	                           "[mime.depth]\nsoft=none\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p =
	    sg_profile_new_from_data(data, sizeof(data) - 1, "inline", &error);

	ck_assert_msg(p != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq(sg_profile_name(p), "inline");
	ck_assert_ptr_null(sg_profile_path(p));
	ck_assert_int_eq(sg_profile_soft(p, SG_RULE_MIME_DEPTH), SG_VALUE_NONE);
	ck_assert_int_eq(sg_profile_hard(p, SG_RULE_MIME_DEPTH), 100);
}
END_TEST

/* ---- errors name the file and the line ------------------------------- */

static const struct {
	const char *file;
	int code;
	const char *where; /* "file.rules:LINE:" */
	const char *what;
} bad_files[] = {
	{ "unknown-id.rules", SG_RULES_ERROR_PARSE, "unknown-id.rules:4:",
	    "unknown rule id 'header.lines-length' (did you mean "
	    "'header.line-length'?)" },
	{ "bad-value.rules", SG_RULES_ERROR_PARSE,
	    "bad-value.rules:6:", "bad value 'lots'" },
	{ "bad-severity.rules", SG_RULES_ERROR_PARSE,
	    "bad-severity.rules:4:", "bad severity 'loud'" },
	{ "soft-on-event.rules", SG_RULES_ERROR_PARSE,
	    "soft-on-event.rules:5:", "only to limit rules" },
	{ "soft-above-hard.rules", SG_RULES_ERROR_PARSE,
	    "soft-above-hard.rules:3:",
	    "soft limit 200 is above hard limit 100" },
	{ "soft-above-included-hard.rules", SG_RULES_ERROR_PARSE,
	    "soft-above-included-hard.rules:5:",
	    "soft limit 70 is above hard limit 50" },
	{ "unknown-key.rules", SG_RULES_ERROR_PARSE,
	    "unknown-key.rules:4:", "unknown key 'limit'" },
	{ "unknown-profile-key.rules", SG_RULES_ERROR_PARSE,
	    "unknown-profile-key.rules:3:", "unknown key 'base'" },
	{ "unknown-group.rules", SG_RULES_ERROR_PARSE,
	    "unknown-group.rules:3:", "unknown group [limits]" },
	{ "syntax.rules", SG_RULES_ERROR_PARSE,
	    "syntax.rules:3:", "is not a [group]" },
	{ "key-before-group.rules", SG_RULES_ERROR_PARSE,
	    "key-before-group.rules:1:", "before the first [group]" },
	{ "duplicate-group.rules", SG_RULES_ERROR_PARSE,
	    "duplicate-group.rules:4:", "appears twice" },
	{ "duplicate-key.rules", SG_RULES_ERROR_PARSE,
	    "duplicate-key.rules:4:", "appears twice" },
	{ "bad-group.rules", SG_RULES_ERROR_PARSE,
	    "bad-group.rules:2:", "malformed group header" },
	{ "include-missing.rules", SG_RULES_ERROR_NOT_FOUND,
	    "include-missing.rules:2:",
	    "no profile 'no-such-profile-anywhere'" },
	{ "include-loop-a.rules", SG_RULES_ERROR_INCLUDE,
	    "include-loop-b.rules:4:", "include loop" },
	{ "include-self.rules", SG_RULES_ERROR_INCLUDE,
	    "include-self.rules:2:", "include loop" },
};

START_TEST(test_bad_file_error_names_file_and_line)
{
	g_autofree char *path = fixture(bad_files[_i].file);
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p = sg_profile_load(path, &error);

	ck_assert_msg(p == NULL, "%s loaded", bad_files[_i].file);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(error->domain == SG_RULES_ERROR &&
	        error->code == bad_files[_i].code,
	    "%s: code %d, want %d (%s)", bad_files[_i].file, error->code,
	    bad_files[_i].code, error->message);
	ck_assert_msg(strstr(error->message, bad_files[_i].where) != NULL,
	    "'%s' lacks '%s'", error->message, bad_files[_i].where);
	ck_assert_msg(strstr(error->message, bad_files[_i].what) != NULL,
	    "'%s' lacks '%s'", error->message, bad_files[_i].what);
}
END_TEST

#define D(s) s, sizeof(s) - 1

static const struct {
	const char *data;
	gsize len;
	const char *want;
} bad_data[] = {
	{ D("[profile]\n[header.nul]\nseverity=w\0rn\n"), "mem:3: NUL byte" },
	{ D("[profile]\ndescription=\xff\xfe\n"),
	    "mem:2: the line is not "
	    "valid UTF-8" },
	{ D("[profile]\n[header.count]\nsoft=-1\n"), "mem:3: bad value '-1'" },
	{ D("[profile]\n[header.count]\nsoft=9223372036854775808\n"),
	    "mem:3: bad value" },
	{ D("[profile]\n[header.count]\nsoft=12abc\n"), "mem:3: bad value" },
	{ D("[profile]\n[header.count]\nhard=\n"), "mem:3: bad value ''" },
	{ D("[profile]\ninclude=\n"), "mem:2: include= names no profile" },
	{ D("[profile]\n[header.count]\nsoft[de]=1\n"),
	    "mem:3: unknown key 'soft[de]'" },
	{ D("[]\n"), "mem:1: malformed group header" },
	{ D("[profile]\n=1\n"), "mem:2: a value without a key" },
	{ D("[headers.count]\n"),
	    "mem:1: unknown rule id 'headers.count' "
	    "(did you mean 'header.count'?)" },
	{ D("[a\x01"
	    "b]\n"),
	    "mem:1: malformed group header '[a\\x01b]'" },
	{ D("[profile]\nde\x01scription=x\n"),
	    "mem:2: malformed key 'de\\x01scription'" },
	{ D("[profile]\n\x01\n"), "mem:2: '\\x01' is not a [group]" },
	{ D("[profile]\ndescription=x\n[profile]\n"),
	    "mem:3: group [profile] appears twice (first on line 1)" },
	{ D("[profile]\n[container.nul]\nhard=1\n"),
	    "mem:3: 'hard' applies only to limit rules" },
	/* Empty or all comments: refused, not a profile without limits. */
	{ D(""), "mem:1: no settings" },
	{ D("# nothing yet\n\n# still nothing\n"), "mem:3: no settings" },
	{ D("[profile]\n"), "mem:1: no settings" },
};

START_TEST(test_bad_data_error_names_label_and_line)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p = sg_profile_new_from_data(bad_data[_i].data,
	    bad_data[_i].len, "mem", &error);

	ck_assert_msg(p == NULL, "case %d loaded", _i);
	ck_assert_int_eq(error->code, SG_RULES_ERROR_PARSE);
	ck_assert_msg(g_str_has_prefix(error->message, bad_data[_i].want),
	    "'%s' does not start with '%s'", error->message, bad_data[_i].want);
}
END_TEST

START_TEST(test_unknown_id_far_from_any_gets_no_suggestion)
{
	static const char data[] = "[profile]\n[no.such-rule]\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p =
	    sg_profile_new_from_data(data, sizeof(data) - 1, "mem", &error);

	ck_assert_ptr_null(p);
	ck_assert_str_eq(error->message,
	    "mem:2: unknown rule id 'no.such-rule'");
}
END_TEST

START_TEST(test_missing_profile_names_places_searched)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p = sg_profile_load("no-such-profile", &error);
	const char *dir = g_getenv("SPOOLGUARD_RULES_DIR");

	ck_assert_ptr_null(p);
	ck_assert(
	    g_error_matches(error, SG_RULES_ERROR, SG_RULES_ERROR_NOT_FOUND));
	ck_assert_msg(strstr(error->message, "no-such-profile") != NULL, "%s",
	    error->message);
	ck_assert_msg(dir != NULL && strstr(error->message, dir) != NULL, "%s",
	    error->message);
	ck_assert_msg(strstr(error->message, SG_RULES_DIR) != NULL, "%s",
	    error->message);
	g_clear_error(&error);
	p = sg_profile_load("/nonexistent/x.rules", &error);
	ck_assert_ptr_null(p);
	ck_assert(
	    g_error_matches(error, SG_RULES_ERROR, SG_RULES_ERROR_NOT_FOUND));
	ck_assert(strstr(error->message, "/nonexistent/x.rules") != NULL);
	g_clear_error(&error);
	p = sg_profile_load("bad name", &error);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(error->code, SG_RULES_ERROR_NOT_FOUND);
}
END_TEST

START_TEST(test_byte_order_mark_and_crlf_are_accepted)
{
	static const char data[] = "\xef\xbb\xbf# saved by Notepad\r\n"
	                           "[profile]\r\ndescription=crlf\r\n"
	                           "[header.count]\r\nsoft=7\r\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p =
	    sg_profile_new_from_data(data, sizeof(data) - 1, "bom", &error);

	ck_assert_msg(p != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq(sg_profile_description(p), "crlf");
	ck_assert_int_eq(sg_profile_soft(p, SG_RULE_HEADER_COUNT), 7);
}
END_TEST

START_TEST(test_error_in_included_file_says_where_it_was_included)
{
	g_autofree char *bad = fixture("unknown-id.rules");
	g_autofree char *data = g_strdup_printf("[profile]\ninclude=%s\n", bad);
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p =
	    sg_profile_new_from_data(data, strlen(data), "top", &error);
	g_autofree char *want = g_strdup_printf("%s:4: unknown rule id", bad);

	ck_assert_ptr_null(p);
	ck_assert_msg(g_str_has_prefix(error->message, want), "%s",
	    error->message);
	ck_assert_msg(g_str_has_suffix(error->message, "(included from top:2)"),
	    "%s", error->message);
}
END_TEST

/* A chain of n includes below a top file, written to a temporary dir. */
static char *
write_include_chain(const char *dir, guint n)
{
	for (guint i = 0; i <= n; i++) {
		g_autofree char *name = g_strdup_printf("chain%u.rules", i);
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *text = NULL;

		if (i < n)
			text =
			    g_strdup_printf("[profile]\ninclude=chain%u.rules\n"
			                    "[header.count]\nhard=%u\n",
			        i + 1, 100 + i);
		else
			text = g_strdup_printf(
			    "[profile]\n[header.count]\nhard=%u\n", 100 + i);
		ck_assert(g_file_set_contents(path, text, -1, NULL));
	}
	return g_build_filename(dir, "chain0.rules", NULL);
}

static void
remove_dir(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *e;

	while (d != NULL && (e = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(dir, e, NULL);

		g_unlink(p);
	}
	g_rmdir(dir);
}

START_TEST(test_include_depth_is_limited_to_eight)
{
	g_autofree char *dir = g_dir_make_tmp("sg-rules-XXXXXX", NULL);
	g_autofree char *top = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) ok = NULL;
	g_autoptr(SgProfile) deep = NULL;

	ck_assert_ptr_nonnull(dir);
	top = write_include_chain(dir, 8);
	ok = sg_profile_load(top, &error);
	ck_assert_msg(ok != NULL, "%s", error ? error->message : "");
	/* The including file wins over the included one. */
	ck_assert_int_eq(sg_profile_hard(ok, SG_RULE_HEADER_COUNT), 100);
	g_free(top);
	top = write_include_chain(dir, 9);
	deep = sg_profile_load(top, &error);
	ck_assert_ptr_null(deep);
	ck_assert(
	    g_error_matches(error, SG_RULES_ERROR, SG_RULES_ERROR_INCLUDE));
	ck_assert_msg(strstr(error->message, "chain8.rules:2:") != NULL, "%s",
	    error->message);
	remove_dir(dir);
}
END_TEST

/* ---- judging ---------------------------------------------------------- */

static const struct {
	const char *rule; /* in the test profile below */
	gint64 observed;
	SgSeverity want;
	gint64 want_limit;
} judge_cases[] = {
	/* soft 10, hard 20, quarantine */
	{ "header.count", 10, SG_SEVERITY_IGNORE, SG_VALUE_NONE },
	{ "header.count", 11, SG_SEVERITY_WARN, 10 },
	{ "header.count", 20, SG_SEVERITY_WARN, 10 },
	{ "header.count", 21, SG_SEVERITY_QUARANTINE, 20 },
	{ "header.count", 0, SG_SEVERITY_IGNORE, SG_VALUE_NONE },
	/* soft 10, hard 20, info: over soft never exceeds the severity */
	{ "mime.depth", 11, SG_SEVERITY_INFO, 10 },
	{ "mime.depth", 21, SG_SEVERITY_INFO, 20 },
	/* soft 10, hard 20, ignore */
	{ "mime.part-count", 1000, SG_SEVERITY_IGNORE, SG_VALUE_NONE },
	/* no soft, hard 0, warn */
	{ "message.size", 0, SG_SEVERITY_IGNORE, SG_VALUE_NONE },
	{ "message.size", 1, SG_SEVERITY_WARN, 0 },
	/* soft 5, no hard, quarantine */
	{ "header.received-count", 5, SG_SEVERITY_IGNORE, SG_VALUE_NONE },
	{ "header.received-count", G_MAXINT64, SG_SEVERITY_WARN, 5 },
	/* no limits at all */
	{ "mime.param-length", G_MAXINT64, SG_SEVERITY_IGNORE, SG_VALUE_NONE },
	/* hard at the top of the range */
	{ "envelope.rcpt-count", G_MAXINT64, SG_SEVERITY_IGNORE,
	    SG_VALUE_NONE },
};

static const char judge_profile[] =
    "[header.count]\nsoft=10\nhard=20\nseverity=quarantine\n"
    "[mime.depth]\nsoft=10\nhard=20\nseverity=info\n"
    "[mime.part-count]\nsoft=10\nhard=20\nseverity=ignore\n"
    "[message.size]\nhard=0\nseverity=warn\n"
    "[header.received-count]\nsoft=5\nseverity=quarantine\n"
    "[mime.param-length]\nsoft=none\nhard=none\n"
    "[envelope.rcpt-count]\nhard=9223372036854775807\n";

START_TEST(test_judge_applies_soft_hard_and_severity)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p = sg_profile_new_from_data(judge_profile,
	    sizeof(judge_profile) - 1, "judge", &error);
	const SgRuleInfo *info =
	    sg_rules_lookup(judge_cases[_i].rule, strlen(judge_cases[_i].rule));
	gint64 limit = 12345;
	SgSeverity got;

	ck_assert_msg(p != NULL, "%s", error ? error->message : "");
	ck_assert_ptr_nonnull(info);
	got = sg_profile_judge(p, info->rule, judge_cases[_i].observed, &limit);
	ck_assert_msg(got == judge_cases[_i].want,
	    "%s %" G_GINT64_FORMAT ": got %s, want %s", info->id,
	    judge_cases[_i].observed, sg_severity_to_string(got),
	    sg_severity_to_string(judge_cases[_i].want));
	ck_assert_int_eq(limit, judge_cases[_i].want_limit);
	/* A NULL limit pointer is allowed. */
	ck_assert_int_eq(sg_profile_judge(p, info->rule,
	                     judge_cases[_i].observed, NULL),
	    got);
}
END_TEST

START_TEST(test_cap_is_hard_limit_or_fallback)
{
	g_autoptr(SgProfile) p = sg_profile_new_from_data(judge_profile,
	    sizeof(judge_profile) - 1, "judge", NULL);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sg_profile_cap(p, SG_RULE_HEADER_COUNT, 7), 20);
	ck_assert_int_eq(sg_profile_cap(p, SG_RULE_MESSAGE_SIZE, 7), 0);
	ck_assert_int_eq(sg_profile_cap(p, SG_RULE_HEADER_RECEIVED_COUNT, 7),
	    7);
	/* The cap itself does not fire; one more does. */
	ck_assert_int_eq(sg_profile_judge(p, SG_RULE_HEADER_COUNT,
	                     sg_profile_cap(p, SG_RULE_HEADER_COUNT, 7), NULL),
	    SG_SEVERITY_WARN);
}
END_TEST

/* ---- round trip, digest, references ---------------------------------- */

static void
assert_same_table(const SgProfile *a, const SgProfile *b)
{
	for (guint i = 0; i < SG_RULE_COUNT; i++) {
		SgRuleId r = (SgRuleId)i;

		ck_assert_int_eq(sg_profile_severity(a, r),
		    sg_profile_severity(b, r));
		ck_assert_int_eq(sg_profile_soft(a, r), sg_profile_soft(b, r));
		ck_assert_int_eq(sg_profile_hard(a, r), sg_profile_hard(b, r));
	}
}

START_TEST(test_to_data_round_trips_every_shipped_profile)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p = sg_profile_load(shipped[_i], &error);
	g_autoptr(SgProfile) q = NULL;
	g_autofree char *data = NULL;
	g_autofree char *again = NULL;

	ck_assert_msg(p != NULL, "%s: %s", shipped[_i],
	    error ? error->message : "");
	data = sg_profile_to_data(p);
	q = sg_profile_new_from_data(data, strlen(data), "shown", &error);
	ck_assert_msg(q != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq(sg_profile_digest(p), sg_profile_digest(q));
	ck_assert_str_eq(sg_profile_description(p), sg_profile_description(q));
	assert_same_table(p, q);
	/* Every rule appears in the text. */
	for (guint i = 0; i < SG_RULE_COUNT; i++) {
		g_autofree char *group =
		    g_strdup_printf("\n[%s]\n", sg_rule_id((SgRuleId)i));

		ck_assert_msg(strstr(data, group) != NULL, "%s", group);
	}
	again = sg_profile_to_data(q);
	ck_assert(strstr(again, sg_profile_digest(p)) != NULL);
}
END_TEST

START_TEST(test_to_data_escapes_description)
{
	static const char data[] = "[profile]\ndescription=\\s two\\nlines\\\\"
	                           " and\\ttab\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p =
	    sg_profile_new_from_data(data, sizeof(data) - 1, "esc", &error);
	g_autoptr(SgProfile) q = NULL;
	g_autofree char *text = NULL;

	ck_assert_msg(p != NULL, "%s", error ? error->message : "");
	text = sg_profile_to_data(p);
	q = sg_profile_new_from_data(text, strlen(text), "esc2", &error);
	ck_assert_msg(q != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq(sg_profile_description(p), sg_profile_description(q));
	ck_assert(strchr(sg_profile_description(q), '\n') != NULL);
}
END_TEST

START_TEST(test_digest_is_stable_and_tracks_the_table)
{
	static const char a[] = "[header.count]\nhard=20\n";
	static const char b[] = "# same table, other text\n[profile]\n"
	                        "description=other\n[header.count]\nhard = 20\n"
	                        "severity=quarantine\n";
	static const char c[] = "[header.count]\nhard=21\n";
	static const char d[] = "[header.count]\nhard=20\nseverity=warn\n";
	g_autoptr(SgProfile) pa =
	    sg_profile_new_from_data(a, sizeof(a) - 1, "a", NULL);
	g_autoptr(SgProfile) pb =
	    sg_profile_new_from_data(b, sizeof(b) - 1, "b", NULL);
	g_autoptr(SgProfile) pc =
	    sg_profile_new_from_data(c, sizeof(c) - 1, "c", NULL);
	g_autoptr(SgProfile) pd =
	    sg_profile_new_from_data(d, sizeof(d) - 1, "d", NULL);

	ck_assert(pa && pb && pc && pd);
	ck_assert_str_eq(sg_profile_digest(pa), sg_profile_digest(pb));
	ck_assert_str_ne(sg_profile_digest(pa), sg_profile_digest(pc));
	ck_assert_str_ne(sg_profile_digest(pa), sg_profile_digest(pd));
}
END_TEST

static gpointer
ref_worker(gpointer data)
{
	SgProfile *p = data;

	for (guint i = 0; i < 10000; i++) {
		SgProfile *r = sg_profile_ref(p);

		ck_assert_int_eq(sg_profile_hard(r, SG_RULE_HEADER_COUNT),
		    10000);
		sg_profile_unref(r);
	}
	return NULL;
}

START_TEST(test_profile_refs_are_thread_safe)
{
	g_autoptr(SgProfile) p = sg_profile_load("default", NULL);
	GThread *t[4];

	ck_assert_ptr_nonnull(p);
	for (guint i = 0; i < G_N_ELEMENTS(t); i++)
		t[i] = g_thread_new("ref", ref_worker, p);
	for (guint i = 0; i < G_N_ELEMENTS(t); i++)
		g_thread_join(t[i]);
	ck_assert_int_eq(sg_profile_hard(p, SG_RULE_HEADER_COUNT), 10000);
}
END_TEST

/* ---- the search path -------------------------------------------------- */

START_TEST(test_list_names_sorted_unique_and_loadable)
{
	g_auto(GStrv) names = sg_profile_list_names();

	ck_assert_ptr_nonnull(names);
	for (guint i = 0; i < G_N_ELEMENTS(shipped); i++)
		ck_assert_msg(g_strv_contains((const char *const *)names,
		                  shipped[i]),
		    "%s not listed", shipped[i]);
	for (guint i = 0; names[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(SgProfile) p = sg_profile_load(names[i], &error);

		ck_assert_msg(p != NULL, "%s", error ? error->message : "");
		if (i > 0)
			ck_assert_int_lt(strcmp(names[i - 1], names[i]), 0);
	}
}
END_TEST

START_TEST(test_env_dir_comes_first_in_search_path)
{
	g_autofree char *dir = g_dir_make_tmp("sg-rules-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "default.rules", NULL);
	g_autofree char *other = g_build_filename(dir, "zz-site.rules", NULL);
	g_autofree char *env = NULL;
	g_autofree char *old = NULL;
	g_autoptr(SgProfile) p = NULL;
	g_auto(GStrv) names = NULL;
	guint defaults = 0;

	ck_assert(g_file_set_contents(path, "[profile]\ndescription=shadow\n",
	    -1, NULL));
	ck_assert(g_file_set_contents(other, "[profile]\n", -1, NULL));
	old = g_strdup(g_getenv("SPOOLGUARD_RULES_DIR"));
	env = g_strdup_printf("%s:%s", dir, old);
	g_setenv("SPOOLGUARD_RULES_DIR", env, TRUE);
	p = sg_profile_load("default", NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(sg_profile_description(p), "shadow");
	names = sg_profile_list_names();
	for (guint i = 0; names[i] != NULL; i++)
		defaults += strcmp(names[i], "default") == 0;
	ck_assert_uint_eq(defaults, 1);
	ck_assert(g_strv_contains((const char *const *)names, "zz-site"));
	g_setenv("SPOOLGUARD_RULES_DIR", old, TRUE);
	remove_dir(dir);
}
END_TEST

/*
 * With no rules file anywhere on the path, `default` still loads: it is
 * compiled in from rules/default.rules, to the same limits.
 */
START_TEST(test_default_is_built_in_when_no_file_has_it)
{
	g_autofree char *dir = g_dir_make_tmp("sg-rules-XXXXXX", NULL);
	g_autofree char *file = NULL;
	g_autofree char *old = g_strdup(g_getenv("SPOOLGUARD_RULES_DIR"));
	g_autoptr(SgProfile) fromfile = NULL;
	g_autoptr(SgProfile) builtin = NULL;
	g_autoptr(GError) error = NULL;

	file = g_build_filename(old, "default.rules", NULL);
	fromfile = sg_profile_load(file, &error);
	ck_assert_msg(fromfile != NULL, "%s", error ? error->message : "");
	g_setenv("SPOOLGUARD_RULES_DIR", dir, TRUE);
	if (g_file_test(SG_SYSCONF_RULES_DIR "/default.rules",
	        G_FILE_TEST_EXISTS) ||
	    g_file_test(SG_RULES_DIR "/default.rules", G_FILE_TEST_EXISTS)) {
		/* an installed copy shadows the built-in: nothing to see */
		g_setenv("SPOOLGUARD_RULES_DIR", old, TRUE);
		remove_dir(dir);
		return;
	}
	builtin = sg_profile_load("default", &error);
	ck_assert_msg(builtin != NULL, "%s", error ? error->message : "");
	ck_assert_ptr_null(sg_profile_path(builtin));
	ck_assert_str_eq(sg_profile_name(builtin), "default");
	ck_assert_str_eq(sg_profile_digest(builtin),
	    sg_profile_digest(fromfile));
	ck_assert_str_eq(sg_profile_description(builtin),
	    sg_profile_description(fromfile));
	g_setenv("SPOOLGUARD_RULES_DIR", old, TRUE);
	remove_dir(dir);
}
END_TEST

/* A profile that includes default, with nothing on the path, gets it. */
START_TEST(test_include_default_falls_back_to_built_in)
{
	g_autofree char *dir = g_dir_make_tmp("sg-rules-XXXXXX", NULL);
	g_autofree char *old = g_strdup(g_getenv("SPOOLGUARD_RULES_DIR"));
	g_autoptr(SgProfile) p = NULL;
	g_autoptr(GError) error = NULL;
	const char text[] =
	    "[profile]\ninclude=default\n[header.count]\nsoft=5\n"
	    "hard=7\n";

	g_setenv("SPOOLGUARD_RULES_DIR", dir, TRUE);
	p = sg_profile_new_from_data(text, sizeof text - 1, "site", &error);
	ck_assert_msg(p != NULL, "%s", error ? error->message : "");
	ck_assert_int_eq(sg_profile_hard(p, SG_RULE_HEADER_COUNT), 7);
	/* a limit only default.rules sets (the catalogue has no limits) */
	ck_assert_int_eq(sg_profile_hard(p, SG_RULE_HEADER_LINE_LENGTH), 65536);
	g_setenv("SPOOLGUARD_RULES_DIR", old, TRUE);
	remove_dir(dir);
}
END_TEST

/*
 * sg_profile_sources() says which file wins for a name and which it
 * shadows, down to the built-in.
 */
START_TEST(test_sources_name_winner_and_shadowed)
{
	g_autofree char *dir = g_dir_make_tmp("sg-rules-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "default.rules", NULL);
	g_autofree char *mine = g_build_filename(dir, "mine.rules", NULL);
	g_autofree char *old = g_strdup(g_getenv("SPOOLGUARD_RULES_DIR"));
	g_autofree char *env = g_strdup_printf("%s:%s", dir, old);
	g_autofree char *shipped_default =
	    g_build_filename(old, "default.rules", NULL);
	g_autoptr(GPtrArray) sources = NULL;
	gboolean saw_default = FALSE, saw_mine = FALSE;

	ck_assert(g_file_set_contents(path, "[profile]\n", -1, NULL));
	ck_assert(g_file_set_contents(mine, "[profile]\n", -1, NULL));
	g_setenv("SPOOLGUARD_RULES_DIR", env, TRUE);
	sources = sg_profile_sources();
	for (guint i = 0; i < sources->len; i++) {
		const SgProfileSource *src = sources->pdata[i];

		if (strcmp(src->name, "default") == 0) {
			saw_default = TRUE;
			ck_assert_str_eq(src->origin, path);
			ck_assert_uint_ge(src->shadows->len, 2);
			ck_assert_str_eq(src->shadows->pdata[0],
			    shipped_default);
			ck_assert_str_eq(src->shadows
			                     ->pdata[src->shadows->len - 1],
			    "built-in");
		} else if (strcmp(src->name, "mine") == 0) {
			saw_mine = TRUE;
			ck_assert_str_eq(src->origin, mine);
			ck_assert_uint_eq(src->shadows->len, 0);
		}
	}
	ck_assert(saw_default && saw_mine);
	g_setenv("SPOOLGUARD_RULES_DIR", old, TRUE);
	remove_dir(dir);
}
END_TEST

/* ---- documentation ---------------------------------------------------- */

/*
 * A rule added to rule-ids.h without a paragraph in spoolguard-rules(5)
 * or a group in default.rules fails here.
 */
START_TEST(test_every_rule_id_is_documented)
{
	g_autofree char *man = read_source("man/spoolguard-rules.5");
	g_autofree char *def = read_source("rules/default.rules");

	for (guint i = 0; i < SG_RULE_COUNT; i++) {
		const SgRuleInfo *info = sg_rules_info((SgRuleId)i);
		g_autofree char *esc = roff_escape(info->id);
		g_autofree char *para = g_strdup_printf("\n.TP\n.B %s\n", esc);
		g_autofree char *group = g_strdup_printf("\n[%s]\n", info->id);
		g_autofree char *sev = g_strdup_printf("\n[%s]\nseverity=%s\n",
		    info->id, sg_severity_to_string(info->severity));
		g_autofree char *what =
		    g_strdup_printf("%s; default severity \\fB%s\\fP",
		        info->kind == SG_RULE_KIND_LIMIT ? "Limit" : "Event",
		        sg_severity_to_string(info->severity));
		const char *at = strstr(man, para);

		ck_assert_msg(at != NULL,
		    "%s has no paragraph in man/spoolguard-rules.5", info->id);
		ck_assert_msg(strncmp(at + strlen(para), what, strlen(what)) ==
		        0,
		    "the paragraph of %s does not start with '%s'", info->id,
		    what);
		ck_assert_msg(strstr(def, group) != NULL,
		    "%s is not in rules/default.rules", info->id);
		ck_assert_msg(strstr(def, sev) != NULL,
		    "rules/default.rules does not give %s its severity first",
		    info->id);
	}
}
END_TEST

/* Parses "soft/hard" as the manual's tables write it ("\\-" is none). */
static gint64
man_limit(const char *s, gsize len)
{
	guint64 v = 0;

	if (len == 2 && memcmp(s, "\\-", 2) == 0)
		return SG_VALUE_NONE;
	ck_assert_msg(sg_parse_u64(s, len, &v), "bad number '%.*s'", (int)len,
	    s);
	return (gint64)v;
}

/*
 * The manual's tables of shipped limits agree with the shipped files:
 * every limit rule of every shipped profile is in a table, with the
 * numbers the profile loads to.
 */
START_TEST(test_manual_tables_match_shipped_profiles)
{
	g_autofree char *man = read_source("man/spoolguard-rules.5");
	g_auto(GStrv) lines = g_strsplit(man, "\n", -1);
	g_autoptr(GHashTable) seen =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GPtrArray) profiles = NULL;
	guint row = 0, limits = 0;

	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) cells = NULL;
		g_autofree char *id = NULL;
		const SgRuleInfo *info;

		if (strcmp(lines[i], ".TS") == 0) {
			row = 1;
			continue;
		}
		if (strcmp(lines[i], ".TE") == 0) {
			row = 0;
			continue;
		}
		if (row == 0 || row++ < 3 || strcmp(lines[i], "_") == 0)
			continue;
		cells = g_strsplit(lines[i], "|", -1);
		if (row == 4) {
			/* the header: \fBrule\fP|\fBdefault\fP|... */
			g_clear_pointer(&profiles, g_ptr_array_unref);
			profiles = g_ptr_array_new_with_free_func(
			    (GDestroyNotify)sg_profile_unref);
			for (guint c = 1; cells[c] != NULL; c++) {
				g_autofree char *name = unroff(cells[c]);
				g_autoptr(GError) error = NULL;
				SgProfile *p;

				p = sg_profile_load(name, &error);
				ck_assert_msg(p != NULL, "%s: %s", name,
				    error ? error->message : "");
				g_ptr_array_add(profiles, p);
			}
			continue;
		}
		ck_assert_ptr_nonnull(profiles);
		id = unroff(cells[0]);
		info = sg_rules_lookup(id, strlen(id));
		ck_assert_msg(info != NULL && info->kind == SG_RULE_KIND_LIMIT,
		    "'%s' in a table is not a limit rule", id);
		ck_assert_uint_eq(g_strv_length(cells), profiles->len + 1);
		for (guint c = 0; c < profiles->len; c++) {
			const SgProfile *p = profiles->pdata[c];
			const char *cell = cells[c + 1];
			const char *slash = strchr(cell, '/');
			g_autofree char *key =
			    g_strdup_printf("%s %s", sg_profile_name(p), id);

			ck_assert_ptr_nonnull(slash);
			ck_assert_msg(man_limit(cell, (gsize)(slash - cell)) ==
			            sg_profile_soft(p, info->rule) &&
			        man_limit(slash + 1, strlen(slash + 1)) ==
			            sg_profile_hard(p, info->rule),
			    "manual says %s for %s in %s", cell, id,
			    sg_profile_name(p));
			g_hash_table_add(seen, g_steal_pointer(&key));
			limits++;
		}
	}
	for (guint s = 0; s < G_N_ELEMENTS(shipped); s++) {
		for (guint i = 0; i < SG_RULE_COUNT; i++) {
			g_autofree char *key = NULL;

			if (sg_rules_info((SgRuleId)i)->kind !=
			    SG_RULE_KIND_LIMIT)
				continue;
			key = g_strdup_printf("%s %s", shipped[s],
			    sg_rule_id((SgRuleId)i));
			ck_assert_msg(g_hash_table_contains(seen, key),
			    "the manual's tables lack %s", key);
		}
	}
	ck_assert_uint_gt(limits, 0);
}
END_TEST

/*
 * Every number in a shipped profile has a comment saying where it comes
 * from: the lines right above a group that sets a numeric limit are a
 * comment.
 */
START_TEST(test_shipped_numbers_cite_their_source)
{
	g_autofree char *rel = g_strdup_printf("rules/%s.rules", shipped[_i]);
	g_autofree char *text = read_source(rel);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	const char *above = NULL; /* the line above the current group */
	const char *group = NULL;
	guint numbers = 0;

	for (guint i = 0; lines[i] != NULL; i++) {
		const char *l = lines[i];

		if (l[0] == '[') {
			group = l;
			above = i > 0 ? lines[i - 1] : "";
			continue;
		}
		if ((g_str_has_prefix(l, "soft=") ||
		        g_str_has_prefix(l, "hard=")) &&
		    g_ascii_isdigit(l[5])) {
			numbers++;
			ck_assert_msg(above != NULL && above[0] == '#',
			    "%s: %s %s has no comment above it", rel, group, l);
		}
	}
	ck_assert_uint_gt(numbers, 0);
}
END_TEST

/* DESIGN.md's "Always quarantine" and "Only warn" lists, under default. */
static const struct {
	SgRuleId rule;
	SgSeverity severity;
} design_severities[] = {
	{ SG_RULE_HEADER_NUL, SG_SEVERITY_QUARANTINE },
	{ SG_RULE_CONTAINER_NOT_A_MESSAGE, SG_SEVERITY_QUARANTINE },
	{ SG_RULE_HEADER_INVALID_NAME, SG_SEVERITY_QUARANTINE },
	{ SG_RULE_HEADER_CONFLICTING, SG_SEVERITY_QUARANTINE },
	{ SG_RULE_MIME_BOUNDARY_MISSING, SG_SEVERITY_QUARANTINE },
	{ SG_RULE_MIME_PART_WITHOUT_HEADERS, SG_SEVERITY_QUARANTINE },
	{ SG_RULE_HEADER_8BIT, SG_SEVERITY_WARN },
	{ SG_RULE_HEADER_BARE_CR, SG_SEVERITY_WARN },
	{ SG_RULE_MIME_TRUNCATED, SG_SEVERITY_WARN },
	{ SG_RULE_MIME_BAD_BASE64, SG_SEVERITY_WARN },
	{ SG_RULE_MIME_PARAM_CONFLICT, SG_SEVERITY_WARN },
};

START_TEST(test_default_follows_design_severity_lists)
{
	g_autoptr(SgProfile) p = sg_profile_load("default", NULL);

	ck_assert_ptr_nonnull(p);
	for (guint i = 0; i < G_N_ELEMENTS(design_severities); i++)
		ck_assert_msg(sg_profile_severity(p,
		                  design_severities[i].rule) ==
		        design_severities[i].severity,
		    "%s", sg_rule_id(design_severities[i].rule));
	/* Every container.* finding quarantines. */
	for (guint i = 0; i < SG_RULE_COUNT; i++) {
		const char *id = sg_rule_id((SgRuleId)i);

		if (g_str_has_prefix(id, "container."))
			ck_assert_msg(sg_profile_severity(p, (SgRuleId)i) ==
			        SG_SEVERITY_QUARANTINE,
			    "%s", id);
	}
}
END_TEST

static Suite *
rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("catalogue");

	tcase_add_test(tc, test_catalogue_rows_match_their_enum);
	tcase_add_test(tc, test_catalogue_lookup_uses_length_not_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, test_default_loads_by_name_with_design_numbers);
	tcase_add_test(tc, test_default_severities_match_catalogue);
	tcase_add_test(tc, test_path_load_names_profile_after_file);
	tcase_add_test(tc, test_include_overrides_key_by_key);
	tcase_add_test(tc, test_data_include_resolves_through_search_path);
	tcase_add_test(tc, test_include_depth_is_limited_to_eight);
	tcase_add_test(tc, test_missing_profile_names_places_searched);
	tcase_add_test(tc, test_byte_order_mark_and_crlf_are_accepted);
	tcase_add_test(tc,
	    test_error_in_included_file_says_where_it_was_included);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_bad_file_error_names_file_and_line, 0,
	    G_N_ELEMENTS(bad_files));
	tcase_add_loop_test(tc, test_bad_data_error_names_label_and_line, 0,
	    G_N_ELEMENTS(bad_data));
	tcase_add_test(tc, test_unknown_id_far_from_any_gets_no_suggestion);
	suite_add_tcase(s, tc);

	tc = tcase_create("judge");
	tcase_add_loop_test(tc, test_judge_applies_soft_hard_and_severity, 0,
	    G_N_ELEMENTS(judge_cases));
	tcase_add_test(tc, test_cap_is_hard_limit_or_fallback);
	suite_add_tcase(s, tc);

	tc = tcase_create("data");
	tcase_add_loop_test(tc, test_to_data_round_trips_every_shipped_profile,
	    0, G_N_ELEMENTS(shipped));
	tcase_add_test(tc, test_to_data_escapes_description);
	tcase_add_test(tc, test_digest_is_stable_and_tracks_the_table);
	tcase_add_test(tc, test_profile_refs_are_thread_safe);
	suite_add_tcase(s, tc);

	tc = tcase_create("search");
	tcase_add_test(tc, test_list_names_sorted_unique_and_loadable);
	tcase_add_test(tc, test_env_dir_comes_first_in_search_path);
	tcase_add_test(tc, test_default_is_built_in_when_no_file_has_it);
	tcase_add_test(tc, test_include_default_falls_back_to_built_in);
	tcase_add_test(tc, test_sources_name_winner_and_shadowed);
	suite_add_tcase(s, tc);

	tc = tcase_create("docs");
	tcase_add_test(tc, test_every_rule_id_is_documented);
	tcase_add_test(tc, test_manual_tables_match_shipped_profiles);
	tcase_add_loop_test(tc, test_shipped_numbers_cite_their_source, 0,
	    G_N_ELEMENTS(shipped));
	tcase_add_test(tc, test_default_follows_design_severity_lists);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_run(rules_suite());
}
