// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report-text.c - reports for people.
 *
 * A message is one line "<id>: <verdict> (<action>)[ -> <store id>]",
 * then one line per finding "  <file>:<offset>: <severity> <rule>
 * [<header>] <text>" with the columns aligned within the message.  With
 * an SgInspect the files, the envelope (at most SG_REPORT_RECIPIENTS_TEXT
 * recipients listed), the header table (offset, length, name) and the MIME
 * part tree follow.  Offsets are byte offsets in the file, like the
 * findings' (JSON also gives the content offsets).  Everything that came from a
 * spool file is escaped (control bytes, invalid UTF-8) and capped, so a hostile
 * message cannot drive the terminal.  Returned strings belong to the caller.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "report-private.h"

/* Caps for one field in a line meant for people. */
#define TEXT_ID_MAX 512
#define TEXT_FIELD_MAX 200

/* Header values and body lines are cut at this many columns (0: not). */
static guint text_width;

static void text_append_cut(GString *out, const char *s, glong used);

void
sg_report_set_text_width(guint width)
{
	text_width = width;
}

static char *
text_location(const SgFinding *f)
{
	g_autofree char *file = sg_report_text_safe(f->file, TEXT_FIELD_MAX);

	if (f->offset == SG_OFFSET_NONE)
		return g_strdup_printf("%s:", file);
	return g_strdup_printf("%s:%" G_GINT64_FORMAT ":", file,
	    (gint64)f->offset);
}

void
sg_report_findings_text(GString *out, SgMessage *msg)
{
	gsize loc_w = 0, rule_w = 0;
	g_autoptr(GPtrArray) locs = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(msg->findings, i);
		char *loc = text_location(f);

		loc_w = MAX(loc_w, strlen(loc));
		rule_w = MAX(rule_w, strlen(sg_rule_id(f->rule)));
		g_ptr_array_add(locs, loc);
	}
	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(msg->findings, i);
		g_autofree char *text = sg_report_text_safe(f->text, 400);

		g_string_append_printf(out, "  %-*s %-10s %-*s ", (int)loc_w,
		    (const char *)g_ptr_array_index(locs, i),
		    sg_severity_to_string(f->severity), (int)rule_w,
		    sg_rule_id(f->rule));
		if (f->header != NULL) {
			g_autofree char *h = sg_report_text_safe(f->header, 80);

			g_string_append_printf(out, "[%s] ", h);
		}
		if (f->part != NULL) {
			g_autofree char *p = sg_report_text_safe(f->part, 80);

			g_string_append_printf(out, "(part %s) ", p);
		}
		g_string_append(out, text);
		g_string_append_c(out, '\n');
	}
}

static void
text_time(char *buf, gsize len, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		g_strlcpy(buf, "-", len);
}

static void
text_files(GString *out, SgMessage *msg)
{
	for (guint i = 0; i < msg->files->len; i++) {
		SgMessageFile *f = g_ptr_array_index(msg->files, i);
		g_autofree char *path = sg_report_text_safe(f->path, 1024);
		char when[32];

		g_string_append_printf(out, "  file        %s (%s", path,
		    f->role != NULL ? f->role : "-");
		if (f->fd >= 0) {
			text_time(when, sizeof(when), f->st.st_mtime);
			g_string_append_printf(out,
			    ", %" G_GINT64_FORMAT " bytes, mode %04o, "
			    "uid %u, gid %u, mtime %s",
			    (gint64)f->st.st_size,
			    (unsigned)(f->st.st_mode & 07777),
			    (unsigned)f->st.st_uid, (unsigned)f->st.st_gid,
			    when);
		}
		g_string_append(out, ")\n");
	}
}

GList *
sg_report_prop_keys(SgMessage *msg)
{
	if (msg->props == NULL || g_hash_table_size(msg->props) == 0)
		return NULL;
	return g_list_sort(g_hash_table_get_keys(msg->props),
	    (GCompareFunc)strcmp);
}

static void
text_props(GString *out, SgMessage *msg)
{
	g_autoptr(GList) keys = sg_report_prop_keys(msg);

	for (GList *l = keys; l != NULL; l = l->next) {
		g_autofree char *k = sg_report_text_safe(l->data, 60);
		g_autofree char *v =
		    sg_report_text_safe(g_hash_table_lookup(msg->props,
		                            l->data),
		        200);

		g_string_append_printf(out, "  %-11s %s=%s\n",
		    l == keys ? "properties" : "", k, v);
	}
}

static void
text_envelope(GString *out, SgMessage *msg)
{
	guint n = MIN(msg->recipients->len, SG_REPORT_RECIPIENTS_TEXT);

	if (msg->sender != NULL) {
		g_autofree char *s =
		    sg_report_text_safe(msg->sender->address, 400);

		g_string_append_printf(out, "  sender      <%s>\n", s);
	} else {
		g_string_append(out, "  sender      (none)\n");
	}
	g_string_append_printf(out, "  recipients  %" G_GUINT64_FORMAT "\n",
	    msg->rcpt_total);
	for (guint i = 0; i < n; i++) {
		SgAddress *a = g_ptr_array_index(msg->recipients, i);
		g_autofree char *s = sg_report_text_safe(a->address, 400);

		g_string_append_printf(out, "              <%s>\n", s);
	}
	if (msg->rcpt_total > n) {
		g_string_append_printf(out,
		    "              ... and %" G_GUINT64_FORMAT " more\n",
		    msg->rcpt_total - n);
	}
}

static void
text_headers(GString *out, SgMessage *msg, const SgInspect *inspect)
{
	guint file;
	goffset end;

	g_string_append_printf(out, "  headers     %u", inspect->headers->len);
	if (inspect->header_end != SG_OFFSET_NONE) {
		/* File offsets, like the findings', when they map. */
		if (!sg_message_locate(msg, inspect->header_end, &file, &end))
			end = inspect->header_end;
		g_string_append_printf(out, ", body at byte %" G_GINT64_FORMAT,
		    (gint64)end);
	}
	g_string_append_c(out, '\n');
	if (inspect->headers->len == 0)
		return;
	g_string_append_printf(out, "    %10s %8s  %s\n", "offset", "length",
	    "name");
	for (guint i = 0; i < inspect->headers->len; i++) {
		SgHeaderRow *h = g_ptr_array_index(inspect->headers, i);
		g_autofree char *name = sg_report_text_safe(h->name, 80);
		goffset off;
		gsize before = out->len;

		if (!sg_message_locate(msg, h->offset, &file, &off))
			off = h->offset;
		g_string_append_printf(out,
		    "    %10" G_GINT64_FORMAT " %8" G_GSIZE_FORMAT "  %s",
		    (gint64)off, h->length, name);
		if (h->value != NULL) {
			g_autofree char *v = sg_report_text_safe_len(h->value,
			    h->value_len, G_MAXSIZE);

			g_string_append(out, ": ");
			text_append_cut(out, v,
			    g_utf8_strlen(out->str + before, -1));
		}
		g_string_append_c(out, '\n');
	}
}

/*
 * Appends @s, cut with "..." so that a line whose first @used columns are
 * out already fits the width (one column a character; not cut when the
 * width is 0).
 */
static void
text_append_cut(GString *out, const char *s, glong used)
{
	glong room = (glong)text_width - used;
	glong n = g_utf8_strlen(s, -1);

	if (text_width == 0 || n <= room) {
		g_string_append(out, s);
		return;
	}
	room = MAX(room - 3, 8);
	g_string_append_len(out, s,
	    (gssize)(g_utf8_offset_to_pointer(s, room) - s));
	g_string_append(out, "...");
}

/* The decoded start of each leaf part (inspect --body). */
static void
text_bodies(GString *out, const SgInspect *inspect)
{
	if (inspect->bodies == NULL)
		return;
	for (guint i = 0; i < inspect->bodies->len; i++) {
		SgBodyRow *b = g_ptr_array_index(inspect->bodies, i);
		g_autofree char *path = sg_report_text_safe(b->path, 80);
		g_autofree char *type =
		    sg_report_text_safe(b->content_type, 100);
		gsize pos = 0;

		g_string_append_printf(out, "  body        %s %s", path, type);
		if (b->charset != NULL) {
			g_autofree char *cs =
			    sg_report_text_safe(b->charset, 60);

			g_string_append_printf(out, "; charset=%s", cs);
		}
		if (b->text != NULL)
			g_string_append_printf(out,
			    " (%s%" G_GSIZE_FORMAT " bytes decoded)",
			    b->truncated ? "first " : "", b->text_len);
		g_string_append_c(out, '\n');
		if (b->note != NULL) {
			g_autofree char *n = sg_report_text_safe(b->note, 200);

			g_string_append_printf(out, "    (%s)\n", n);
		}
		/* Line by line, each escaped and cut to the width. */
		while (b->text != NULL && pos < b->text_len) {
			const char *p = b->text + pos;
			const char *lf = memchr(p, '\n', b->text_len - pos);
			gsize n =
			    lf != NULL ? (gsize)(lf - p) : b->text_len - pos;
			gsize show = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
			g_autofree char *line =
			    sg_report_text_safe_len(p, show, G_MAXSIZE);

			g_string_append(out, "    | ");
			text_append_cut(out, line, 6);
			g_string_append_c(out, '\n');
			pos += n + (lf != NULL ? 1 : 0);
		}
		if (b->truncated)
			g_string_append(out, "    | ...\n");
	}
	if (inspect->bodies_capped)
		g_string_append(out,
		    "  body        ... more parts not shown\n");
}

static void
text_parts(GString *out, const SgInspect *inspect)
{
	if (inspect->parts->len == 0)
		return;
	g_string_append_printf(out, "  parts       %u\n", inspect->parts->len);
	for (guint i = 0; i < inspect->parts->len; i++) {
		SgPartRow *p = g_ptr_array_index(inspect->parts, i);
		g_autofree char *path = sg_report_text_safe(p->path, 80);
		g_autofree char *type =
		    sg_report_text_safe(p->content_type, 100);
		int indent = (int)MIN(p->depth, 20u) * 2;

		g_string_append_printf(out, "    %*s%s %s", indent, "", path,
		    type);
		if (p->encoding != NULL) {
			g_autofree char *s =
			    sg_report_text_safe(p->encoding, 60);

			g_string_append_printf(out, " %s", s);
		}
		if (p->size != SG_VALUE_NONE)
			g_string_append_printf(out,
			    " %" G_GINT64_FORMAT " bytes", p->size);
		if (p->filename != NULL) {
			g_autofree char *s =
			    sg_report_text_safe(p->filename, 200);

			g_string_append_printf(out, " \"%s\"", s);
		}
		if (p->sniffed != NULL) {
			g_autofree char *s =
			    sg_report_text_safe(p->sniffed, 100);

			g_string_append_printf(out, " (looks like %s)", s);
		}
		g_string_append_c(out, '\n');
	}
}

char *
sg_report_message_text(SgMessage *msg, const SgProfile *profile,
    const SgInspect *inspect, const SgOutcome *outcome)
{
	GString *out = g_string_new(NULL);
	g_autofree char *id = sg_report_text_safe(msg->id, TEXT_ID_MAX);
	const char *action = outcome != NULL && outcome->action != NULL
	    ? outcome->action
	    : "none";

	g_string_append_printf(out, "%s: %s (%s)", id,
	    sg_report_verdict_name(msg->verdict), action);
	if (outcome != NULL && outcome->store_id != NULL) {
		g_autofree char *s =
		    sg_report_text_safe(outcome->store_id, 100);

		g_string_append_printf(out, " -> %s", s);
	}
	g_string_append_c(out, '\n');
	if (outcome != NULL && outcome->error != NULL) {
		g_autofree char *e = sg_report_text_safe(outcome->error, 1024);

		g_string_append_printf(out, "  error: %s\n", e);
	}
	sg_report_findings_text(out, msg);
	if (inspect == NULL)
		return g_string_free(out, FALSE);

	g_string_append_printf(out,
	    "  format      %s, %u file%s, %" G_GINT64_FORMAT " bytes",
	    msg->format != NULL ? msg->format : "-", msg->files->len,
	    msg->files->len == 1 ? "" : "s",
	    (gint64)sg_message_total_size(msg));
	if (profile != NULL)
		g_string_append_printf(out, ", profile %s",
		    sg_profile_name(profile));
	g_string_append_c(out, '\n');
	if (msg->queue_name != NULL || msg->queue_id != NULL) {
		g_autofree char *qn = sg_report_text_safe(msg->queue_name, 80);
		g_autofree char *qi = sg_report_text_safe(msg->queue_id, 80);

		g_string_append_printf(out, "  queue       %s %s\n", qn, qi);
	}
	text_files(out, msg);
	text_props(out, msg);
	text_envelope(out, msg);
	text_headers(out, msg, inspect);
	text_parts(out, inspect);
	text_bodies(out, inspect);
	return g_string_free(out, FALSE);
}

static void
text_write_message(FILE *out, SgMessage *msg, const SgProfile *profile,
    const SgInspect *inspect, const SgOutcome *outcome)
{
	g_autofree char *text =
	    sg_report_message_text(msg, profile, inspect, outcome);

	sg_report_fputs(text, out);
}

static void
text_write_summary(FILE *out, const SgRunTotals *t, gboolean dry_run)
{
	if (t->unchanged > 0)
		fprintf(out, "%d unchanged since the last run (--state); ",
		    t->unchanged);
	fprintf(out, "%d examined: %d clean, %d warned, %d %s, %d %s",
	    t->examined, t->clean, t->warned, t->quarantined,
	    dry_run ? "would be quarantined" : "quarantined", t->held,
	    dry_run ? "would be held" : "held");
	if (t->kept > 0)
		fprintf(out, ", %d kept", t->kept);
	fprintf(out,
	    "; skipped %d young, %d busy, %d vanished, %d not messages; "
	    "%d errors; %.2f s\n",
	    t->walk.young, t->walk.busy, t->walk.vanished, t->walk.skipped,
	    t->walk.errors, t->seconds);
}

const SgReportWriter sg_report_text_writer = {
	.name = "text",
	.message = text_write_message,
	.summary = text_write_summary,
};
