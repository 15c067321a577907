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
report_escape(const char *s, gsize max, gboolean backslash)
{
	GString *out;
	gsize len, i = 0;

	if (s == NULL)
		return g_strdup("-");
	len = strlen(s);
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
	return report_escape(s, max, TRUE);
}

char *
sg_report_terminal_safe(const char *s, gsize max)
{
	return report_escape(s, max, FALSE);
}

char *
sg_report_name_safe(const char *s)
{
	GString *out;
	const char *p, *end;

	if (s == NULL)
		return NULL;
	out = g_string_sized_new(strlen(s) + 4);
	p = s;
	end = s + strlen(s);
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

char *
sg_report_utf8_safe(const char *s)
{
	if (s == NULL)
		return NULL;
	if (g_utf8_validate(s, -1, NULL))
		return g_strdup(s);
	return g_utf8_make_valid(s, -1);
}
