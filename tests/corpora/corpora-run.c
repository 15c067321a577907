// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * corpora-run.c - runs the whole check path over other projects' message
 * corpora (`make check-corpora`) and compares with their expectations.
 *
 * Usage: corpora-run CORPORA_DIR.  Each folder of CORPORA_DIR with an
 * expectations.csv is a corpus; every row names a message file, the
 * verdict its authors expect (`defective`, `clean`, ...) and, for some,
 * the part tree their parser built.  Each message is checked as a plain
 * file, the whole file as content, under the `default` profile.  Printed
 * per corpus: defective messages flagged (warn or worse), each with the
 * rules that flagged it beside the defect expected, clean ones
 * quarantined or warned (and the rate), and every disagreement with a
 * reason; where the reference
 * tree differs from ours on a message not expected to be defective, both
 * trees.  Exit 1 when a clean message is quarantined or fewer than 90% of
 * the defective ones are flagged.  The corpora are read, never copied.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>

#include "spoolguard/check.h"
#include "spoolguard/rules.h"

#include "corpora-csv.h"

typedef struct {
	guint rows;
	guint defective;
	guint flagged;
	guint clean;
	guint clean_quarantined;
	guint clean_warned;
	guint tree_checked;
	guint tree_differs;
} Tally;

/*
 * Disagreements looked into and left standing, with the reason.  Printed
 * after the per-corpus lines so the output carries its own table.
 */
static const struct {
	const char *file;
	const char *reason;
} known[] = {
	{ "malformed/010.eml",
	    "Dovecot's test sets a nesting limit of 2; default allows 20" },
	{ "bounce/delayed-broken.eml",
	    "a bounce without From/Date: header presence is not checked" },
	{ "spam/broken-ctype.eml",
	    "mime.bad-content-type fires; default rates it info" },
	{ "missing-subtype.txt",
	    "mime.bad-content-type fires; default rates it info" },
	{ "mimetools-testmsgs/multi-digest.msg",
	    "mime.bad-content-type fires; default rates it info" },
	{ "mimetools-testmsgs/double-semicolon.msg",
	    "mime.bad-parameter fires; default rates it info" },
	{ "mimetools-testmsgs/double-semicolon2.msg",
	    "mime.bad-parameter fires; default rates it info" },
	{ "testmsgs/weird-boundary.msg",
	    "a boundary ending in a space: mime.boundary-chars" },
	{ "mimetools-testmsgs/multi-nested.msg",
	    "MIME-tools' /evil/filename: mime.filename-path" },
	{ "mimetools-testmsgs/multi-nested2.msg",
	    "MIME-tools' /evil/filename: mime.filename-path" },
	{ "mimetools-testmsgs/twopart.msg",
	    "an absolute path as file name: mime.filename-path" },
	{ "mimetools-testmsgs/multi-simple.msg",
	    "a quoted boundary folded across lines: mime.boundary-chars" },
	{ "testmsgs/russian-headers.msg",
	    "an unquoted encoded word as name=: mime.param-syntax" },
	{ "mimetools-testmsgs/russian.msg",
	    "an unquoted encoded word as name=: mime.param-syntax" },
	{ "thirdparty/004.eml",
	    "Dovecot's bad transfer encodings (6bit, 7-bit, 8 bit...): "
	    "mime.cte-invalid" },
	{ "thirdparty/012.eml",
	    "a quoted boundary folded across lines: mime.boundary-chars" },
	{ "mimetools-testmsgs/multi-2gifs-base64.msg",
	    "base64 message/rfc822: warned (RFC 2046 5.2.1), not decoded "
	    "and parsed as mime4j does" },
	{ "mbox-test-1/mbox.rlug",
	    "an mbox of 5 messages, checked as one message" },
	{ "thirdparty/015.eml",
	    "invalid header names inside embedded messages: GMime's tree" },
	{ "thirdparty/000.eml", "a NUL in a text part: content.nul-in-text" },
	{ "thirdparty/016.eml", "a bare '=' in quoted-printable HTML" },
	{ "thirdparty/017.eml", "a bare '=' in quoted-printable HTML" },
	{ "thirdparty/018.eml", "a bare '=' in quoted-printable HTML" },
	{ "thirdparty/019.eml", "a bare '=' in quoted-printable HTML" },
	{ "thirdparty/010.eml",
	    "8-bit header bytes (header.8bit); text after a quoted "
	    "charset (mime.param-quote)" },
	{ "outlook-express.eml", "8-bit header bytes (header.8bit)" },
	{ "rfc2060.txt", "an inner multipart lacks its close delimiter" },
	{ "torture.eml",
	    "Content-Type 'BINARY' (no subtype) in part 1.12.1.2: "
	    "mime.bad-content-type; '#' in a boundary: mime.boundary-chars" },
	{ "mime_garb2.in", "the multipart lacks its close delimiter" },
	{ "issue358.txt",
	    "a header line without a colon (header.invalid-name)" },
};

static const char *
known_reason(const char *file)
{
	for (gsize i = 0; i < G_N_ELEMENTS(known); i++)
		if (strcmp(known[i].file, file) == 0)
			return known[i].reason;
	return NULL;
}

/* The tree in the corpora's notation: type(children), message[inner]. */
static char *
tree_string(SgInspect *inspect)
{
	GString *out = g_string_new(NULL);
	typedef struct {
		guint depth;
		char close;
		gboolean opened;
		gboolean has_child;
	} Open;
	g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(Open));

	for (guint i = 0; i < inspect->parts->len; i++) {
		SgPartRow *row = g_ptr_array_index(inspect->parts, i);
		Open o = { row->depth, ')', FALSE, FALSE };

		while (stack->len > 0 &&
		    g_array_index(stack, Open, stack->len - 1).depth >=
		        row->depth) {
			Open *top = &g_array_index(stack, Open, stack->len - 1);

			if (top->opened)
				g_string_append_c(out, top->close);
			g_array_set_size(stack, stack->len - 1);
		}
		if (stack->len > 0) {
			Open *top = &g_array_index(stack, Open, stack->len - 1);

			if (!top->opened) {
				g_string_append_c(out,
				    top->close == ']' ? '[' : '(');
				top->opened = TRUE;
			}
			if (top->has_child)
				g_string_append_c(out, ',');
			top->has_child = TRUE;
		}
		g_string_append(out, row->content_type);
		if (g_str_has_prefix(row->content_type, "multipart/")) {
			g_string_append_c(out, '(');
			o.opened = TRUE;
			g_array_append_val(stack, o);
		} else if (g_str_has_prefix(row->content_type, "message/")) {
			o.close = ']';
			g_array_append_val(stack, o);
		}
	}
	while (stack->len > 0) {
		Open *top = &g_array_index(stack, Open, stack->len - 1);

		if (top->opened)
			g_string_append_c(out, top->close);
		g_array_set_size(stack, stack->len - 1);
	}
	return g_string_free(out, FALSE);
}

/* "rule(severity) ..." of the findings at warn or worse, or of all. */
static char *
findings_string(SgMessage *msg, SgSeverity min)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(msg->findings, i);

		if (f->severity < min)
			continue;
		g_string_append_printf(out, "%s%s(%s)", out->len > 0 ? " " : "",
		    sg_rule_id(f->rule), sg_severity_to_string(f->severity));
	}
	if (out->len == 0)
		g_string_append(out, "nothing");
	return g_string_free(out, FALSE);
}

static SgMessage *
check_file(SgCheckContext *ctx, const char *path, SgInspect *inspect,
    GError **error)
{
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", path);
	SgMessageFile *file;

	sg_message_add_file(msg, path, "message");
	if (!sg_message_open_file(msg, 0, error))
		return NULL;
	file = sg_message_file(msg, 0);
	sg_message_set_content_window(msg, 0, 0, (goffset)file->st.st_size);
	if (!sg_check_message(ctx, msg, inspect, error))
		return NULL;
	return g_steal_pointer(&msg);
}

static GString *table;

static void
note_table(const char *corpus, const char *file, const char *what)
{
	const char *why = known_reason(file);

	g_string_append_printf(table, "| %-20s | %-44s | %-26s | %s |\n",
	    corpus, file, what, why != NULL ? why : "NOT LOOKED INTO");
}

static void
run_corpus(SgCheckContext *ctx, const char *dir, const char *name, Tally *total)
{
	g_autofree char *csv =
	    g_build_filename(dir, name, "expectations.csv", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GString) notes = g_string_new(NULL);
	Tally t = { 0 };
	gsize len = 0;

	if (!g_file_get_contents(csv, &text, &len, NULL))
		return;
	rows = sg_test_csv_parse(text, len);
	for (guint i = 1; i < rows->len; i++) {
		GPtrArray *row = g_ptr_array_index(rows, i);
		const char *file = sg_test_csv_field(row, 0);
		const char *expect = sg_test_csv_field(row, 1);
		const char *verdict = sg_test_csv_field(row, 3);
		const char *ref = sg_test_csv_field(row, 4);
		g_autofree char *path = g_build_filename(dir, name, file, NULL);
		g_autoptr(SgInspect) inspect = sg_inspect_new();
		g_autoptr(GError) error = NULL;
		g_autoptr(SgMessage) msg = NULL;
		g_autofree char *tree = NULL;
		gboolean defective = strcmp(verdict, "defective") == 0;
		gboolean clean = strcmp(verdict, "clean") == 0 ||
		    strcmp(verdict, "clean-edge") == 0;

		if (*file == '\0')
			continue;
		t.rows++;
		msg = check_file(ctx, path, inspect, &error);
		if (msg == NULL) {
			g_string_append_printf(notes,
			    "  %-44s cannot check: %s\n", file, error->message);
			continue;
		}
		tree = tree_string(inspect);
		if (defective) {
			t.defective++;
			if (msg->verdict >= SG_SEVERITY_WARN) {
				g_autofree char *why =
				    findings_string(msg, SG_SEVERITY_WARN);

				/* The rule beside the defect, to compare. */
				t.flagged++;
				g_string_append_printf(notes,
				    "  %-44s defective, flagged: %s; expected "
				    "%.120s\n",
				    file, why, expect);
			} else {
				g_autofree char *all =
				    findings_string(msg, SG_SEVERITY_INFO);

				note_table(name, file,
				    "defective, not flagged");
				g_string_append_printf(notes,
				    "  %-44s defective, not flagged (%s): "
				    "expected %.160s; found %s\n",
				    file, sg_severity_to_string(msg->verdict),
				    expect, all);
			}
		} else if (clean) {
			t.clean++;
			if (msg->verdict >= SG_SEVERITY_WARN) {
				g_autofree char *why =
				    findings_string(msg, SG_SEVERITY_WARN);

				if (msg->verdict == SG_SEVERITY_QUARANTINE)
					t.clean_quarantined++;
				else
					t.clean_warned++;
				note_table(name, file,
				    msg->verdict == SG_SEVERITY_QUARANTINE
				        ? "clean, QUARANTINED"
				        : "clean, warned");
				g_string_append_printf(notes,
				    "  %-44s %s, %s: %s\n", file, verdict,
				    msg->verdict == SG_SEVERITY_QUARANTINE
				        ? "QUARANTINED"
				        : "warned",
				    why);
			}
		} else if (msg->verdict == SG_SEVERITY_QUARANTINE) {
			g_autofree char *why =
			    findings_string(msg, SG_SEVERITY_QUARANTINE);

			note_table(name, file, "not clean, quarantined");
			g_string_append_printf(notes,
			    "  %-44s %s, quarantined: %s\n", file, verdict,
			    why);
		}
		/* The reference tree, on messages not meant to be broken. */
		if (*ref != '\0' && !defective &&
		    !g_str_has_prefix(ref, "PARSE")) {
			t.tree_checked++;
			if (g_ascii_strcasecmp(ref, tree) != 0) {
				t.tree_differs++;
				note_table(name, file, "tree differs");
				g_string_append_printf(notes,
				    "  %-44s tree differs: reference %s, ours "
				    "%s\n",
				    file, ref, tree);
			}
		}
	}
	printf("%-20s %3u messages: defective flagged %u/%u, clean "
	       "quarantined %u/%u (warned %u, %.1f%%), trees differing "
	       "%u/%u\n",
	    name, t.rows, t.flagged, t.defective, t.clean_quarantined, t.clean,
	    t.clean_warned,
	    t.clean > 0 ? 100.0 * t.clean_warned / t.clean : 0.0,
	    t.tree_differs, t.tree_checked);
	fputs(notes->str, stdout);
	total->rows += t.rows;
	total->defective += t.defective;
	total->flagged += t.flagged;
	total->clean += t.clean;
	total->clean_quarantined += t.clean_quarantined;
	total->clean_warned += t.clean_warned;
	total->tree_checked += t.tree_checked;
	total->tree_differs += t.tree_differs;
}

static gint
name_compare(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) profile = NULL;
	g_autoptr(SgCheckContext) ctx = NULL;
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	Tally total = { 0 };
	gboolean ok;

	if (argc != 2) {
		fprintf(stderr, "usage: corpora-run CORPORA_DIR\n");
		return 64;
	}
	g_mime_init();
	profile = sg_profile_load("default", &error);
	if (profile == NULL) {
		fprintf(stderr, "corpora-run: %s\n", error->message);
		return 78;
	}
	ctx = sg_check_context_new(profile, &error);
	dir = g_dir_open(argv[1], 0, &error);
	if (dir == NULL) {
		fprintf(stderr, "corpora-run: %s\n", error->message);
		return 77;
	}
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, name_compare);
	table = g_string_new(NULL);
	printf("spoolguard over %s under profile default\n", argv[1]);
	for (guint i = 0; i < names->len; i++)
		run_corpus(ctx, argv[1], g_ptr_array_index(names, i), &total);
	printf("TOTAL %u messages: defective flagged %u/%u (%.1f%%), clean "
	       "quarantined %u/%u (warned %u), trees differing %u/%u\n",
	    total.rows, total.flagged, total.defective,
	    total.defective > 0 ? 100.0 * total.flagged / total.defective
	                        : 100.0,
	    total.clean_quarantined, total.clean, total.clean_warned,
	    total.tree_differs, total.tree_checked);
	printf("\nRemaining disagreements:\n| %-20s | %-44s | %-26s | %s |\n",
	    "corpus", "file", "disagreement", "reason");
	fputs(table->str, stdout);
	g_string_free(table, TRUE);
	ok = total.clean_quarantined == 0 &&
	    total.flagged * 10 >= total.defective * 9;
	printf("%s: no clean message quarantined and >= 90%% of defective "
	       "ones flagged\n",
	    ok ? "PASS" : "FAIL");
	g_mime_shutdown();
	return ok ? 0 : 1;
}
