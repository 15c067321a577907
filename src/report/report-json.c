// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report-json.c - one JSON object per message, one line each (json-glib).
 *
 * The object carries the message id, format, queue, files (with their
 * stat), envelope, verdict, what was done (action, store id, error), the
 * profile and every finding; with an SgInspect also the header table and
 * the MIME part tree.  Keys are always present; a missing value is JSON
 * null.  File names, paths and message ids keep every byte:
 * sg_report_name_safe() writes a byte that is not UTF-8 as \xNN and a
 * backslash as \\; other strings from spool files (addresses, header
 * texts) are made valid UTF-8 (bad bytes become U+FFFD).  json-glib escapes
 * control characters, so every line parses.
 * At most SG_REPORT_RECIPIENTS_MAX recipients are listed; recipient_count
 * is the true number.  Returned nodes and strings belong to the caller.
 */
#include "config.h"

#include <string.h>

#include "report-private.h"

static void
json_add_string(JsonBuilder *b, const char *key, const char *value)
{
	json_builder_set_member_name(b, key);
	if (value == NULL) {
		json_builder_add_null_value(b);
	} else {
		g_autofree char *safe = sg_report_utf8_safe(value);

		json_builder_add_string_value(b, safe);
	}
}

/* A name from the file system: every byte kept, unambiguously. */
static void
json_add_name(JsonBuilder *b, const char *key, const char *value)
{
	g_autofree char *safe = sg_report_name_safe(value);

	json_builder_set_member_name(b, key);
	if (safe == NULL)
		json_builder_add_null_value(b);
	else
		json_builder_add_string_value(b, safe);
}

/* @value, or null when it equals @none. */
static void
json_add_int(JsonBuilder *b, const char *key, gint64 value, gint64 none)
{
	json_builder_set_member_name(b, key);
	if (value == none)
		json_builder_add_null_value(b);
	else
		json_builder_add_int_value(b, value);
}

static void
json_add_files(JsonBuilder *b, SgMessage *msg)
{
	json_builder_set_member_name(b, "files");
	json_builder_begin_array(b);
	for (guint i = 0; i < msg->files->len; i++) {
		SgMessageFile *f = g_ptr_array_index(msg->files, i);
		gboolean st = f->fd >= 0;
		g_autofree char *mode = NULL;

		json_builder_begin_object(b);
		json_add_name(b, "name", f->name);
		json_add_name(b, "path", f->path);
		json_add_string(b, "role", f->role);
		if (st) {
			mode = g_strdup_printf("%04o",
			    (unsigned)(f->st.st_mode & 07777));
		}
		json_add_int(b, "size", st ? (gint64)f->st.st_size : -1, -1);
		json_add_string(b, "mode", mode);
		json_add_int(b, "uid", st ? (gint64)f->st.st_uid : -1, -1);
		json_add_int(b, "gid", st ? (gint64)f->st.st_gid : -1, -1);
		json_add_int(b, "mtime", st ? (gint64)f->st.st_mtime : -1, -1);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

/* The reader's format properties (queue time, IIS envelope, MTA lock). */
static void
json_add_props(JsonBuilder *b, SgMessage *msg)
{
	g_autoptr(GList) keys = sg_report_prop_keys(msg);

	json_builder_set_member_name(b, "properties");
	if (keys == NULL) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	for (GList *l = keys; l != NULL; l = l->next)
		json_add_string(b, l->data,
		    g_hash_table_lookup(msg->props, l->data));
	json_builder_end_object(b);
}

static void
json_add_envelope(JsonBuilder *b, SgMessage *msg)
{
	guint n = MIN(msg->recipients->len, SG_REPORT_RECIPIENTS_MAX);

	json_builder_set_member_name(b, "envelope");
	json_builder_begin_object(b);
	json_add_string(b, "sender",
	    msg->sender != NULL ? msg->sender->address : NULL);
	json_builder_set_member_name(b, "recipients");
	json_builder_begin_array(b);
	for (guint i = 0; i < n; i++) {
		SgAddress *a = g_ptr_array_index(msg->recipients, i);
		g_autofree char *safe = sg_report_utf8_safe(a->address);

		json_builder_add_string_value(b, safe);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "recipient_count");
	json_builder_add_int_value(b, (gint64)msg->rcpt_total);
	json_builder_end_object(b);
}

static void
json_add_findings(JsonBuilder *b, SgMessage *msg)
{
	json_builder_set_member_name(b, "findings");
	json_builder_begin_array(b);
	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(msg->findings, i);

		json_builder_begin_object(b);
		json_add_string(b, "rule", sg_rule_id(f->rule));
		json_add_string(b, "severity",
		    sg_severity_to_string(f->severity));
		json_add_name(b, "file", f->file);
		json_add_int(b, "offset", f->offset, SG_OFFSET_NONE);
		json_add_string(b, "part", f->part);
		json_add_string(b, "header", f->header);
		json_add_int(b, "observed", f->observed, SG_VALUE_NONE);
		json_add_int(b, "limit", f->limit, SG_VALUE_NONE);
		json_add_string(b, "text", f->text);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void
json_add_inspect(JsonBuilder *b, SgMessage *msg, const SgInspect *inspect)
{
	json_add_int(b, "header_end", inspect->header_end, SG_OFFSET_NONE);
	json_builder_set_member_name(b, "headers");
	json_builder_begin_array(b);
	for (guint i = 0; i < inspect->headers->len; i++) {
		SgHeaderRow *h = g_ptr_array_index(inspect->headers, i);
		guint file;
		goffset file_offset;

		json_builder_begin_object(b);
		json_add_string(b, "name", h->name);
		json_add_int(b, "offset", h->offset, SG_OFFSET_NONE);
		json_add_int(b, "length", (gint64)h->length, -1);
		json_builder_set_member_name(b, "value");
		if (h->value == NULL) {
			json_builder_add_null_value(b);
		} else {
			g_autofree char *v =
			    sg_report_name_safe_len(h->value, h->value_len);

			json_builder_add_string_value(b, v);
		}
		if (sg_message_locate(msg, h->offset, &file, &file_offset)) {
			SgMessageFile *mf = sg_message_file(msg, file);

			json_add_name(b, "file", mf != NULL ? mf->name : NULL);
			json_add_int(b, "file_offset", file_offset,
			    SG_OFFSET_NONE);
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);

	json_builder_set_member_name(b, "parts");
	json_builder_begin_array(b);
	for (guint i = 0; i < inspect->parts->len; i++) {
		SgPartRow *p = g_ptr_array_index(inspect->parts, i);

		json_builder_begin_object(b);
		json_add_string(b, "path", p->path);
		json_add_int(b, "depth", p->depth, -1);
		json_add_string(b, "content_type", p->content_type);
		json_add_string(b, "encoding", p->encoding);
		json_add_string(b, "filename", p->filename);
		json_add_string(b, "sniffed", p->sniffed);
		json_add_int(b, "header_offset", p->header_offset,
		    SG_OFFSET_NONE);
		json_add_int(b, "body_offset", p->body_offset, SG_OFFSET_NONE);
		json_add_int(b, "size", p->size, SG_VALUE_NONE);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	if (inspect->bodies == NULL)
		return;
	json_builder_set_member_name(b, "bodies");
	json_builder_begin_array(b);
	for (guint i = 0; i < inspect->bodies->len; i++) {
		SgBodyRow *r = g_ptr_array_index(inspect->bodies, i);

		json_builder_begin_object(b);
		json_add_string(b, "path", r->path);
		json_add_string(b, "content_type", r->content_type);
		json_add_string(b, "charset", r->charset);
		json_builder_set_member_name(b, "text");
		if (r->text == NULL) {
			json_builder_add_null_value(b);
		} else {
			g_autofree char *t =
			    sg_report_name_safe_len(r->text, r->text_len);

			json_builder_add_string_value(b, t);
		}
		json_builder_set_member_name(b, "truncated");
		json_builder_add_boolean_value(b, r->truncated);
		json_add_string(b, "note", r->note);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "bodies_capped");
	json_builder_add_boolean_value(b, inspect->bodies_capped);
}

JsonNode *
sg_report_message_json(SgMessage *msg, const SgProfile *profile,
    const SgInspect *inspect, const SgOutcome *outcome)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_add_name(b, "message", msg->id);
	json_add_string(b, "format", msg->format);
	json_builder_set_member_name(b, "queue");
	if (msg->queue_name == NULL && msg->queue_id == NULL) {
		json_builder_add_null_value(b);
	} else {
		json_builder_begin_object(b);
		json_add_name(b, "name", msg->queue_name);
		json_add_name(b, "id", msg->queue_id);
		json_builder_end_object(b);
	}
	json_add_int(b, "size", sg_message_total_size(msg), -1);
	json_add_int(b, "content_size", msg->content_size, -1);
	{
		gsize len = 0;
		g_autofree char *mid =
		    sg_report_header_value(msg, "Message-ID", 998, &len);
		g_autofree char *safe =
		    mid != NULL ? sg_report_name_safe_len(mid, len) : NULL;

		json_builder_set_member_name(b, "message_id");
		if (safe == NULL)
			json_builder_add_null_value(b);
		else
			json_builder_add_string_value(b, safe);
	}
	json_add_files(b, msg);
	json_add_envelope(b, msg);
	json_add_props(b, msg);
	json_add_string(b, "verdict", sg_report_verdict_name(msg->verdict));
	json_add_string(b, "action",
	    outcome != NULL && outcome->action != NULL ? outcome->action
	                                               : "none");
	json_add_string(b, "store_id",
	    outcome != NULL ? outcome->store_id : NULL);
	json_add_string(b, "error", outcome != NULL ? outcome->error : NULL);
	json_add_string(b, "profile",
	    profile != NULL ? sg_profile_name(profile) : NULL);
	json_add_findings(b, msg);
	if (inspect != NULL)
		json_add_inspect(b, msg, inspect);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

char *
sg_report_json_line(JsonNode *node)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();

	json_generator_set_pretty(gen, FALSE);
	json_generator_set_root(gen, node);
	return json_generator_to_data(gen, NULL);
}

static void
json_write_message(FILE *out, SgMessage *msg, const SgProfile *profile,
    const SgInspect *inspect, const SgOutcome *outcome)
{
	g_autoptr(JsonNode) node =
	    sg_report_message_json(msg, profile, inspect, outcome);
	g_autofree char *line = sg_report_json_line(node);

	fprintf(out, "%s\n", line);
}

static void
json_write_summary(FILE *out, const SgRunTotals *t, gboolean dry_run)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *line = NULL;
	SgReportCount counts[SG_REPORT_COUNTS];

	sg_report_run_counts(t, counts);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "summary");
	json_builder_begin_object(b);
	for (guint i = 0; i < G_N_ELEMENTS(counts); i++) {
		json_builder_set_member_name(b, counts[i].name);
		json_builder_add_int_value(b, counts[i].value);
	}
	json_builder_set_member_name(b, "dry_run");
	json_builder_add_boolean_value(b, dry_run);
	json_builder_set_member_name(b, "seconds");
	json_builder_add_double_value(b, t->seconds);
	json_builder_end_object(b);
	json_builder_end_object(b);
	node = json_builder_get_root(b);
	line = sg_report_json_line(node);
	fprintf(out, "%s\n", line);
}

const SgReportWriter sg_report_json_writer = {
	.name = "json",
	.message = json_write_message,
	.summary = json_write_summary,
};
