// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report-common.c - the one place that lists the report writers, and the
 * helpers they share.
 *
 * A writer is a const SgReportWriter (report-text.c, report-json.c); a new
 * output format is one new file and one row here.  The string helpers make
 * spool bytes safe to print: sg_report_text_safe() escapes control bytes
 * (a message id or an address can hold an escape sequence), backslashes
 * and invalid UTF-8, keeping valid UTF-8 as it is, and caps the length;
 * sg_report_name_safe() escapes only backslashes and invalid UTF-8, for
 * names in JSON (which escapes control characters itself).  Both write a
 * byte that is not UTF-8 as \xNN and a backslash as \\, so two different
 * names never print the same.  sg_report_terminal_safe() leaves
 * backslashes alone, for messages that quote escaped text already.
 * Text for people is UTF-8 only when the locale's charset is (main()
 * says so through sg_report_set_utf8_output()); otherwise
 * sg_report_for_output() writes every byte past ASCII as \xNN at the
 * last moment, so that files (report.txt) and syslog keep UTF-8 whatever
 * the locale of the run that wrote them.
 * Returned strings belong to the caller.
 */
#include "config.h"

#include <string.h>

#include "report-private.h"

static const SgReportWriter *const writers[] = {
	[SG_REPORT_TEXT] = &sg_report_text_writer,
	[SG_REPORT_JSON] = &sg_report_json_writer,
};

gboolean
sg_report_format_from_string(const char *s, SgReportFormat *out)
{
	if (s == NULL)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(writers); i++) {
		if (strcmp(s, writers[i]->name) == 0) {
			*out = (SgReportFormat)i;
			return TRUE;
		}
	}
	return FALSE;
}

static const SgReportWriter *
report_writer(SgReportFormat format)
{
	if ((guint)format >= G_N_ELEMENTS(writers))
		return writers[SG_REPORT_TEXT];
	return writers[format];
}

void
sg_report_write_message(FILE *out, SgReportFormat format, SgMessage *msg,
    const SgProfile *profile, const SgInspect *inspect,
    const SgOutcome *outcome)
{
	report_writer(format)->message(out, msg, profile, inspect, outcome);
	fflush(out);
}

void
sg_report_write_summary(FILE *out, SgReportFormat format,
    const SgRunTotals *totals, gboolean dry_run)
{
	report_writer(format)->summary(out, totals, dry_run);
	fflush(out);
}

void
sg_report_run_counts(const SgRunTotals *t, SgReportCount out[SG_REPORT_COUNTS])
{
	const SgReportCount counts[SG_REPORT_COUNTS] = {
		{ "seen", t->walk.seen },
		{ "examined", t->examined },
		{ "clean", t->clean },
		{ "warned", t->warned },
		{ "quarantined", t->quarantined },
		{ "held", t->held },
		{ "kept", t->kept },
		{ "unchanged", t->unchanged },
		{ "young", t->walk.young },
		{ "busy", t->walk.busy },
		{ "vanished", t->walk.vanished },
		{ "skipped", t->walk.skipped },
		{ "errors", t->walk.errors },
	};

	memcpy(out, counts, sizeof(counts));
}

char *
sg_report_counts_line(const SgRunTotals *t)
{
	SgReportCount counts[SG_REPORT_COUNTS];
	GString *out = g_string_new(NULL);
	char secs[G_ASCII_DTOSTR_BUF_SIZE];

	sg_report_run_counts(t, counts);
	for (guint i = 0; i < SG_REPORT_COUNTS; i++)
		g_string_append_printf(out, "%s=%d, ", counts[i].name,
		    counts[i].value);
	g_string_append_printf(out, "seconds=%s",
	    g_ascii_formatd(secs, sizeof(secs), "%.2f", t->seconds));
	return g_string_free(out, FALSE);
}

const char *
sg_report_verdict_name(SgSeverity verdict)
{
	if (verdict == SG_SEVERITY_IGNORE)
		return "clean";
	return sg_severity_to_string(verdict);
}

char *
sg_report_rules(SgMessage *msg, SgSeverity min)
{
	g_autoptr(GString) s = g_string_new(NULL);
	gboolean seen[SG_RULE_COUNT] = { FALSE };

	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(msg->findings, i);

		if (f->severity < min || (guint)f->rule >= SG_RULE_COUNT ||
		    seen[f->rule])
			continue;
		seen[f->rule] = TRUE;
		if (s->len > 0)
			g_string_append_c(s, ',');
		g_string_append(s, sg_rule_id(f->rule));
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

/* The escaping of both: @backslash says whether '\\' is escaped too. */
static char *
report_escape(const char *s, gsize len, gsize max, gboolean backslash)
{
	GString *out;
	gsize i = 0;

	out = g_string_sized_new(MIN(len, max) + 4);
	while (i < len && i < max) {
		guchar c = (guchar)s[i];

		if (c == '\\' && backslash) {
			/* So that "\t" typed in a name is not a tab. */
			g_string_append(out, "\\\\");
			i++;
		} else if (c >= 0x20 && c < 0x7f) {
			g_string_append_c(out, (char)c);
			i++;
		} else if (c == '\t') {
			g_string_append(out, "\\t");
			i++;
		} else if (c == '\r') {
			g_string_append(out, "\\r");
			i++;
		} else if (c == '\n') {
			g_string_append(out, "\\n");
			i++;
		} else if (c >= 0x80) {
			gunichar u =
			    g_utf8_get_char_validated(s + i, (gssize)(len - i));
			gsize n;

			if (u == (gunichar)-1 || u == (gunichar)-2 ||
			    (u >= 0x80 && u < 0xa0)) {
				g_string_append_printf(out, "\\x%02x", c);
				i++;
				continue;
			}
			n = (gsize)g_unichar_to_utf8(u, NULL);
			g_string_append_len(out, s + i, (gssize)n);
			i += n;
		} else {
			g_string_append_printf(out, "\\x%02x", c);
			i++;
		}
	}
	if (i < len)
		g_string_append(out, "...");
	return g_string_free(out, FALSE);
}

char *
sg_report_text_safe(const char *s, gsize max)
{
	if (s == NULL)
		return g_strdup("-");
	return report_escape(s, strlen(s), max, TRUE);
}

char *
sg_report_text_safe_len(const char *p, gsize len, gsize max)
{
	return report_escape(p, len, max, TRUE);
}

char *
sg_report_terminal_safe(const char *s, gsize max)
{
	if (s == NULL)
		return g_strdup("-");
	return report_escape(s, strlen(s), max, FALSE);
}

char *
sg_report_name_safe(const char *s)
{
	if (s == NULL)
		return NULL;
	return sg_report_name_safe_len(s, strlen(s));
}

char *
sg_report_name_safe_len(const char *s, gsize len)
{
	GString *out = g_string_sized_new(len + 4);
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *bad = NULL;

		/* The valid run up to the next bad byte, kept as it is. */
		(void)g_utf8_validate_len(p, (gsize)(end - p), &bad);
		for (const char *q = p; q < bad; q++) {
			if (*q == '\\')
				g_string_append(out, "\\\\");
			else
				g_string_append_c(out, *q);
		}
		if (bad < end)
			g_string_append_printf(out, "\\x%02x", (guchar)*bad++);
		p = bad;
	}
	return g_string_free(out, FALSE);
}

/* Text output may carry UTF-8 unless main() found the locale is not. */
static gint report_utf8_output = 1;

void
sg_report_set_utf8_output(gboolean utf8)
{
	g_atomic_int_set(&report_utf8_output, utf8 ? 1 : 0);
}

gboolean
sg_report_utf8_output(void)
{
	return g_atomic_int_get(&report_utf8_output) != 0;
}

char *
sg_report_for_output(const char *s)
{
	GString *out;

	if (s == NULL)
		return NULL;
	if (sg_report_utf8_output())
		return g_strdup(s);
	out = g_string_sized_new(strlen(s) + 8);
	for (const char *p = s; *p != '\0'; p++) {
		if ((guchar)*p >= 0x80)
			g_string_append_printf(out, "\\x%02x", (guchar)*p);
		else
			g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

void
sg_report_fputs(const char *s, FILE *out)
{
	g_autofree char *text = sg_report_for_output(s);

	if (text != NULL)
		fputs(text, out);
}

char *
sg_report_utf8_safe(const char *s)
{
	if (s == NULL)
		return NULL;
	if (g_utf8_validate(s, -1, NULL))
		return g_strdup(s);
	return g_utf8_make_valid(s, -1);
}
