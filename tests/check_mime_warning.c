// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_mime_warning.c - tests of how GMime's parser warnings become
 * findings (check-mime-warning.c): every code with the item and place it
 * comes with maps onto one rule id, or is dropped where another check
 * already judges the bytes.  Then a few messages through the whole check
 * path, for the warnings whose finding depends on where GMime points.
 */
#include "config.h"

#include <string.h>

#include <check.h>
#include <gmime/gmime.h>

#include "spoolguard/check.h"
#include "spoolguard/rules.h"

#include "check-mime-private.h"
#include "mime-run.h"

typedef struct {
	GMimeParserWarning code;
	const char *item;
	SgMimePlace place;
	const char *rule; /* NULL: dropped */
} WarningCase;

static const WarningCase warning_cases[] = {
	{ GMIME_WARN_DUPLICATED_HEADER, "Subject", SG_MIME_AT_PART,
	    "header.duplicate-unique" },
	{ GMIME_WARN_DUPLICATED_PARAMETER, "name", SG_MIME_AT_PART,
	    "mime.param-duplicate" },
	/* List managers add their own Reply-To: info, not a duplicate. */
	{ GMIME_WARN_DUPLICATED_HEADER, "Reply-To", SG_MIME_AT_ROOT_HEADERS,
	    "header.duplicate-reply-to" },
	{ GMIME_CRIT_CONFLICTING_HEADER, "reply-to", SG_MIME_AT_ROOT_HEADERS,
	    "header.duplicate-reply-to" },
	/* 8-bit bytes: the byte scans report every header block. */
	{ GMIME_WARN_UNENCODED_8BIT_HEADER, "Subject", SG_MIME_AT_ROOT_HEADERS,
	    NULL },
	{ GMIME_WARN_UNENCODED_8BIT_HEADER, "Subject", SG_MIME_AT_PART, NULL },
	{ GMIME_WARN_INVALID_CONTENT_TYPE, "text", SG_MIME_AT_PART,
	    "mime.bad-content-type" },
	{ GMIME_WARN_INVALID_RFC2047_HEADER_VALUE, NULL, SG_MIME_AT_PART,
	    "header.bad-encoded-word" },
	{ GMIME_WARN_MALFORMED_MULTIPART, NULL, SG_MIME_AT_PART,
	    "mime.boundary-not-found" },
	{ GMIME_WARN_TRUNCATED_MESSAGE, NULL, SG_MIME_AT_PART,
	    "mime.truncated" },
	{ GMIME_WARN_MALFORMED_MESSAGE, NULL, SG_MIME_AT_PART,
	    "mime.malformed" },
	/*
	 * Bad names and lines that are no field: the byte scans report them
	 * in every header block (header.invalid-name, header.no-separator).
	 */
	{ GMIME_CRIT_INVALID_HEADER_NAME, "Bad Name: x", SG_MIME_AT_PART,
	    NULL },
	{ GMIME_CRIT_INVALID_HEADER_NAME, "Bad Name: x",
	    SG_MIME_AT_ROOT_HEADERS, NULL },
	{ GMIME_CRIT_INVALID_HEADER_NAME, "no colon here", SG_MIME_AT_PART,
	    NULL },
	{ GMIME_CRIT_INVALID_HEADER_NAME, NULL, SG_MIME_AT_ROOT_END, NULL },
	/* Only the content fields conflict; others merely repeat. */
	{ GMIME_CRIT_CONFLICTING_HEADER, "content-type", SG_MIME_AT_PART,
	    "header.conflicting" },
	{ GMIME_CRIT_CONFLICTING_HEADER, "Content-Transfer-Encoding",
	    SG_MIME_AT_PART, "header.conflicting" },
	{ GMIME_CRIT_CONFLICTING_HEADER, "Subject", SG_MIME_AT_PART,
	    "header.duplicate-unique" },
	{ GMIME_CRIT_CONFLICTING_HEADER, NULL, SG_MIME_AT_PART,
	    "header.duplicate-unique" },
	{ GMIME_CRIT_CONFLICTING_PARAMETER, "name", SG_MIME_AT_PART,
	    "mime.param-conflict" },
	{ GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY, NULL, SG_MIME_AT_PART,
	    "mime.boundary-missing" },
	{ GMIME_WARN_INVALID_PARAMETER, "x", SG_MIME_AT_PART,
	    "mime.bad-parameter" },
	{ GMIME_WARN_INVALID_ADDRESS_LIST, "To", SG_MIME_AT_PART,
	    "header.bad-address" },
	{ GMIME_CRIT_NESTING_OVERFLOW, NULL, SG_MIME_AT_PART, "mime.depth" },
	{ GMIME_WARN_PART_WITHOUT_CONTENT, NULL, SG_MIME_AT_PART,
	    "mime.part-without-content" },
	{ GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT, NULL, SG_MIME_AT_PART,
	    "mime.part-without-headers" },
	/* A code this GMime does not have yet. */
	{ (GMimeParserWarning)999, NULL, SG_MIME_AT_PART, "mime.malformed" },
};

START_TEST(test_warning_maps_to_its_rule)
{
	const WarningCase *c = &warning_cases[_i];
	const char *what = NULL;
	SgRuleId rule = sg_mime_warning_rule(c->code, c->item, c->place, &what);

	if (c->rule == NULL) {
		ck_assert_msg(rule == SG_RULE_COUNT, "code %d '%s': %s",
		    (int)c->code, c->item != NULL ? c->item : "(null)",
		    sg_rule_id(rule));
		return;
	}
	ck_assert_msg(rule != SG_RULE_COUNT, "code %d '%s' dropped",
	    (int)c->code, c->item != NULL ? c->item : "(null)");
	ck_assert_str_eq(sg_rule_id(rule), c->rule);
	ck_assert_ptr_nonnull(what);
	ck_assert_uint_gt(strlen(what), 0);
}
END_TEST

/* Every code GMime 3.2 defines is in the table above. */
START_TEST(test_warning_table_covers_every_code)
{
	for (guint code = GMIME_WARN_DUPLICATED_HEADER;
	     code <= GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT; code++) {
		gboolean found = FALSE;

		for (gsize i = 0; i < G_N_ELEMENTS(warning_cases); i++)
			found = found || warning_cases[i].code == code;
		ck_assert_msg(found, "no case for GMime warning %u", code);
	}
}
END_TEST

/*
 * Bytes that are not UTF-8 in a part's header: the byte scan of part
 * headers reports them (GMime's warning is dropped), at the byte, with
 * the path (regression: only the top-level block was scanned).
 */
START_TEST(test_warning_part_headers_get_the_part_path)
{
	g_autoptr(GString) s = sg_test_mime_headers(g_string_new(NULL));
	g_autoptr(SgMessage) msg = NULL;
	g_autofree char *got = NULL;
	const SgFinding *f;
	const char *at;

	g_string_append(s,
	    "Content-Type: multipart/mixed; boundary=x\n\n"
	    "--x\nContent-Type: text/plain\n"
	    "Content-Description: caf\xe9\n\nx\n--x--\n");
	msg = sg_test_mime_run_gstring(s, NULL);
	got = sg_test_mime_describe(msg);
	f = sg_test_mime_find(msg, "header.8bit");
	ck_assert_msg(f != NULL, "no header.8bit;%s", got);
	ck_assert_str_eq(f->part, "1.1");
	at = strchr(s->str, '\xe9');
	ck_assert_int_eq(f->offset, (gint64)(at - s->str));
	ck_assert_ptr_null(sg_test_mime_find(msg, "header.conflicting"));
}
END_TEST

static Suite *
warning_suite(void)
{
	Suite *s = suite_create("mime-warning");
	TCase *tc = tcase_create("map");

	tcase_add_loop_test(tc, test_warning_maps_to_its_rule, 0,
	    G_N_ELEMENTS(warning_cases));
	tcase_add_test(tc, test_warning_table_covers_every_code);
	tcase_add_test(tc, test_warning_part_headers_get_the_part_path);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_mime_main(warning_suite());
}
