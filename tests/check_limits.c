// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_limits.c - one number per limit: no source file of the checks
 * carries a number that the `default` profile (rules/default.rules, what
 * the tests load) also defines as a soft or hard limit.  A limit lives in
 * the profile; what bounds work whatever the profile says is a named
 * constant with a reason, and its value must differ from every profile
 * number unless it is listed below with why the two only look alike.
 *
 * The sources are read as text: comments, strings and character
 * constants are skipped; a product or shift of literals ("64 * 1024",
 * "1 << 20") counts as the number it makes.  Covers the checks and the
 * spool readers: the readers judge with the built-in default profile when
 * given none, so they carry no fallback number of their own.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "spoolguard/rules.h"

#include "check-run.h"

/* The folders whose .c and .h files are held to it. */
static const char *const limit_dirs[] = {
	"src/check",
	"src/spool",
};

/*
 * Named constants whose value equals a profile number by coincidence:
 * they are no limit of a message, or are a ceiling no profile changes.
 */
static const struct {
	const char *name;
	const char *why;
} limit_coincidences[] = {
	{ "HEADERS_CHUNK", "a read size: findings do not depend on it" },
	{ "HEADERS_SAMPLE", "the bytes that tell a message from binary data" },
	{ "MIME_CHUNK", "a read size: findings do not depend on it" },
	{ "SG_CONTENT_SNIFF_BYTES", "how much content libmagic is shown" },
	{ "SG_CONTENT_TEXT_PEEK", "how much of a text part shows it is text" },
	{ "SG_MIME_DEPTH_CEILING", "GMime's own nesting limit, not ours" },
	{ "SG_MIME_BOUNDARY_CEILING",
	    "memory per open multipart, whatever the profile" },
	{ "EXIM_CHUNK", "a read size: findings do not depend on it" },
	{ "EXIM_LENGTH_DIGITS", "the digits of a 64-bit length" },
	{ "PLAIN_CHUNK", "a read size: findings do not depend on it" },
	{ "SG_POSTFIX_WINDOW", "a read size: findings do not depend on it" },
	{ "SG_POSTFIX_REVERSE_JUMPS",
	    "Postfix's own REVERSE_JUMP_LIMIT, which no profile changes" },
	{ "SG_POSTFIX_MARKS_MAX",
	    "memory for seek marks, not a message limit" },
	{ "POSTFIX_SIZE_SHOWN", "bytes quoted in a finding's text" },
	{ "POSTFIX_ATTR_KEEP", "attribute bytes kept for the report" },
	{ "POSTFIX_ATTRS_MAX", "attributes kept for the report" },
	{ "PAIR_PROP_SHOWN", "property bytes kept for the report" },
	{ "PAIR_DIR_PEEK", "directory entries looked at for a sign" },
	{ "MBOX_CHUNK", "a read size: findings do not depend on it" },
	{ "MBOX_FROM_MAX",
	    "where a line stops being a From_ line: it tells messages apart, "
	    "it judges none" },
	{ "SENDMAIL_TEMPLATE_MAX",
	    "where a template stops being sendmail's and is checked as "
	    "content" },
};

/* A number in the code: its value, its line, the #define it is in. */
typedef struct {
	guint64 value;
	guint line;
	char *define; /* (nullable) */
} SourceNumber;

static void
source_number_clear(gpointer data)
{
	g_free(((SourceNumber *)data)->define);
}

static gboolean
is_ident(char c)
{
	return g_ascii_isalnum(c) || c == '_';
}

/*
 * Reads the literal at p[*i] (a pp-number); FALSE for a floating one.
 * Suffixes (u, l) are dropped; 0x and leading-0 octal are read as C does.
 */
static gboolean
read_literal(const char *p, gsize len, gsize *i, guint64 *value)
{
	gsize start = *i;
	g_autofree char *tok = NULL;
	char *end = NULL;

	while (*i < len && (is_ident(p[*i]) || p[*i] == '.'))
		(*i)++;
	tok = g_strndup(p + start, *i - start);
	if (strchr(tok, '.') != NULL)
		return FALSE;
	*value = g_ascii_strtoull(tok, &end, 0);
	while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
		end++;
	return *end == '\0';
}

static gsize
skip_blank(const char *p, gsize len, gsize i)
{
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

/*
 * After the literal that ended at @i: a "*" or "<<" and another literal
 * fold into @value.  Returns where the folded expression ends.
 */
static gsize
fold_literals(const char *p, gsize len, gsize i, guint64 *value)
{
	for (;;) {
		gsize j = skip_blank(p, len, i);
		gboolean shift;
		guint64 next;

		if (j < len && p[j] == '*' && (j + 1 >= len || p[j + 1] != '/'))
			shift = FALSE;
		else if (j + 1 < len && p[j] == '<' && p[j + 1] == '<')
			shift = TRUE;
		else
			return i;
		j = skip_blank(p, len, j + (shift ? 2 : 1));
		if (j >= len || !g_ascii_isdigit(p[j]) ||
		    !read_literal(p, len, &j, &next))
			return i;
		*value = shift ? *value << next : *value * next;
		i = j;
	}
}

/* The name of the #define that starts at line start @i, or NULL. */
static char *
define_name(const char *p, gsize len, gsize i)
{
	gsize start;

	i = skip_blank(p, len, i);
	if (len - i < 7 || memcmp(p + i, "#define", 7) != 0)
		return NULL;
	i = skip_blank(p, len, i + 7);
	start = i;
	while (i < len && is_ident(p[i]))
		i++;
	return i > start ? g_strndup(p + start, i - start) : NULL;
}

/* The numbers in the code of (p, len), with their lines and #defines. */
static GArray *
source_numbers(const char *p, gsize len)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(SourceNumber));
	g_autofree char *define = NULL;
	guint line = 1;
	gsize i = 0;

	g_array_set_clear_func(out, source_number_clear);
	define = define_name(p, len, 0);
	while (i < len) {
		char c = p[i];

		if (c == '\n') {
			/* A #define ends with its line unless continued. */
			if (i == 0 || p[i - 1] != '\\') {
				g_free(define);
				define = define_name(p, len, i + 1);
			}
			line++;
			i++;
		} else if (c == '/' && i + 1 < len && p[i + 1] == '/') {
			while (i < len && p[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && p[i + 1] == '*') {
			const char *e = memmem(p + i + 2, len - i - 2, "*/", 2);
			gsize end = e != NULL ? (gsize)(e - p) + 2 : len;

			for (; i < end; i++)
				line += p[i] == '\n';
		} else if (c == '"' || c == '\'') {
			for (i++; i < len && p[i] != c && p[i] != '\n'; i++)
				if (p[i] == '\\')
					i++;
			i++;
		} else if (g_ascii_isdigit(c) &&
		    (i == 0 || !is_ident(p[i - 1]))) {
			SourceNumber n = { 0, line, NULL };

			if (read_literal(p, len, &i, &n.value)) {
				i = fold_literals(p, len, i, &n.value);
				n.define = g_strdup(define);
				g_array_append_val(out, n);
			}
		} else {
			i++;
		}
	}
	return out;
}

/* value -> "rule's soft|hard limit" for every limit the profile sets. */
static GHashTable *
profile_numbers(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) profile = sg_profile_load("default", &error);
	GHashTable *numbers =
	    g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);

	ck_assert_msg(profile != NULL, "%s", error ? error->message : "");
	for (guint r = 0; r < SG_RULE_COUNT; r++) {
		gint64 v[2] = { sg_profile_soft(profile, (SgRuleId)r),
			sg_profile_hard(profile, (SgRuleId)r) };

		for (guint k = 0; k < 2; k++) {
			const char *what;
			gint64 *key;

			if (v[k] == SG_VALUE_NONE)
				continue;
			key = g_new(gint64, 1);
			*key = v[k];
			what = g_hash_table_lookup(numbers, key);
			g_hash_table_replace(numbers, key,
			    g_strdup_printf("%s%s%s's %s limit",
			        what != NULL ? what : "",
			        what != NULL ? ", " : "",
			        sg_rule_id((SgRuleId)r), k ? "hard" : "soft"));
		}
	}
	return numbers;
}

static gint
coincidence(const char *define)
{
	for (gsize i = 0;
	     define != NULL && i < G_N_ELEMENTS(limit_coincidences); i++)
		if (strcmp(limit_coincidences[i].name, define) == 0)
			return (gint)i;
	return -1;
}

/* Appends to @bad each number of @path that the profile defines. */
static void
check_file(const char *path, const char *label, GHashTable *numbers,
    gboolean *used, GString *bad)
{
	g_autofree char *text = NULL;
	g_autoptr(GArray) found = NULL;
	gsize len = 0;

	ck_assert_msg(g_file_get_contents(path, &text, &len, NULL), "%s", path);
	found = source_numbers(text, len);
	for (guint i = 0; i < found->len; i++) {
		SourceNumber *n = &g_array_index(found, SourceNumber, i);
		gint64 v = (gint64)n->value;
		const char *what = g_hash_table_lookup(numbers, &v);
		gint k;

		if (what == NULL)
			continue;
		k = coincidence(n->define);
		if (k >= 0) {
			used[k] = TRUE;
			continue;
		}
		g_string_append_printf(bad,
		    "\n  %s:%u: %" G_GINT64_FORMAT " %s%s is %s", label,
		    n->line, v, n->define != NULL ? "in #define " : "(bare)",
		    n->define != NULL ? n->define : "", what);
	}
}

START_TEST(test_limits_no_check_source_repeats_a_profile_number)
{
	g_autoptr(GHashTable) numbers = profile_numbers();
	g_autoptr(GString) bad = g_string_new(NULL);
	gboolean used[G_N_ELEMENTS(limit_coincidences)] = { FALSE };
	guint files = 0;

	for (gsize d = 0; d < G_N_ELEMENTS(limit_dirs); d++) {
		g_autofree char *dir =
		    g_build_filename(SG_TOP_SRCDIR, limit_dirs[d], NULL);
		g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
		const char *name;

		ck_assert_msg(handle != NULL, "%s", dir);
		while ((name = g_dir_read_name(handle)) != NULL) {
			g_autofree char *path = NULL;
			g_autofree char *label = NULL;

			if (!g_str_has_suffix(name, ".c") &&
			    !g_str_has_suffix(name, ".h"))
				continue;
			path = g_build_filename(dir, name, NULL);
			label = g_build_filename(limit_dirs[d], name, NULL);
			check_file(path, label, numbers, used, bad);
			files++;
		}
	}
	ck_assert_uint_gt(files, 5);
	ck_assert_msg(bad->len == 0, "numbers the profile defines:%s",
	    bad->str);
	/* A listed coincidence that no longer occurs goes off the list. */
	for (gsize i = 0; i < G_N_ELEMENTS(limit_coincidences); i++)
		ck_assert_msg(used[i], "%s is listed but has no profile number",
		    limit_coincidences[i].name);
}
END_TEST

/* What the reader takes for a number, and what not. */
static const struct {
	const char *code;
	const char *want; /* "value@line:define;" per number */
} reader_cases[] = {
	{ "x = 65536;", "65536@1:;" },
	{ "/* 65536 */ x = 2; // 70\n", "2@1:;" },
	{ "s = \"65536\"; c = '7';", "" },
	{ "#define A (64 * 1024)\nx = 1024;", "65536@1:A;1024@2:;" },
	{ "#define B (1 << 20) /* 20 */", "1048576@1:B;" },
	{ "#define C \\\n\t998\ny = 0x10UL;", "998@2:C;16@3:;" },
	{ "a3 = x1 + 3 * N;", "3@1:;" },
	{ "f = 1.5; g = 075;", "61@1:;" },
	{ "/* a\n * b\n */\nz = 100;", "100@4:;" },
};

START_TEST(test_limits_reader_finds_numbers_in_code_only)
{
	const char *code = reader_cases[_i].code;
	g_autoptr(GArray) found = source_numbers(code, strlen(code));
	g_autoptr(GString) got = g_string_new(NULL);

	for (guint i = 0; i < found->len; i++) {
		SourceNumber *n = &g_array_index(found, SourceNumber, i);

		g_string_append_printf(got, "%" G_GUINT64_FORMAT "@%u:%s;",
		    n->value, n->line, n->define != NULL ? n->define : "");
	}
	ck_assert_msg(strcmp(got->str, reader_cases[_i].want) == 0,
	    "'%s': got '%s', want '%s'", code, got->str, reader_cases[_i].want);
}
END_TEST

static Suite *
limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("one-number");

	tcase_add_test(tc,
	    test_limits_no_check_source_repeats_a_profile_number);
	tcase_add_loop_test(tc, test_limits_reader_finds_numbers_in_code_only,
	    0, G_N_ELEMENTS(reader_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_run(limits_suite());
}
