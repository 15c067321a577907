// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-mime.c - the MIME structure check: a streaming pre-scan with the
 * limits GMime lacks (check-mime-prescan.c), then GMime's parse with every
 * warning mapped to a rule id (check-mime-warning.c), then a bounded walk
 * of the tree (check-mime-walk.c: encoding domain, duplicate and
 * conflicting headers, libmagic per leaf, the inspect rows).  This file
 * runs the three and owns what they share: the findings, capped per rule.
 *
 * Memory is bounded by the profile, not by the message: the pre-scan reads
 * the content in 64 KiB chunks and keeps a boundary stack no deeper than
 * mime.depth's hard limit, boundaries no longer than mime.boundary-length's
 * hard limit and a part table no longer than mime.part-count's hard limit
 * (each under a ceiling no profile changes, see check-mime-private.h).
 * When a hard limit is already breached (nesting
 * bomb, 60,000 parts, a 20 KB boundary, a 300 KB parameter) GMime is not
 * run at all: the message is quarantined anyway, and GMime would build one
 * object per part and recurse per level.  GMime parses over the message's
 * own stream in persist mode, so part contents stay substreams of the file.
 *
 * Offsets: GMime reports stream positions, which for window streams are
 * file positions; they are turned into content offsets by subtracting the
 * stream's start position.  Findings of one rule are capped per message.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"
#include "spoolguard/stream.h"

#include "check-mime-private.h"

void
sg_mime_row_free(gpointer data)
{
	SgMimeRow *row = data;

	g_free(row->path);
	g_free(row->content_type);
	g_free(row->encoding);
	g_free(row);
}

/* ---- findings ---------------------------------------------------------- */

static gboolean
mime_already_reported(SgMimeScan *s, SgRuleId rule, goffset content_offset)
{
	guint file = G_MAXUINT;
	goffset file_offset = SG_OFFSET_NONE;

	if (content_offset != SG_OFFSET_NONE)
		sg_message_locate(s->msg, content_offset, &file, &file_offset);
	for (guint i = 0; i < s->msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(s->msg->findings, i);

		if (f->rule == rule && f->offset == file_offset)
			return TRUE;
	}
	return FALSE;
}

gboolean
sg_mime_has_finding(SgMimeScan *s, SgRuleId rule)
{
	for (guint i = 0; i < s->msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(s->msg->findings, i);

		if (f->rule == rule)
			return TRUE;
	}
	return FALSE;
}

/* Records an EVENT rule once per offset, at most SG_MIME_FINDINGS_PER_RULE. */
void
sg_mime_event(SgMimeScan *s, SgRuleId rule, goffset offset, const char *part,
    const char *header, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	if (s->reported[rule] >= SG_MIME_FINDINGS_PER_RULE ||
	    mime_already_reported(s, rule, offset))
		return;
	s->reported[rule]++;
	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	sg_check_event(s->msg, s->profile, rule, offset, part, header, "%s",
	    text);
}

/* A value for a finding's text: escaped, or "(none)". */
static char *
mime_quote(const char *v)
{
	g_autofree char *e = NULL;

	if (v == NULL)
		return g_strdup("none");
	e = sg_escape_bytes(v, strlen(v), 60);
	return g_strdup_printf("'%s'", e);
}

void
sg_mime_ambiguous(SgMimeScan *s, goffset offset, const char *part,
    const char *header, const char *what, const char *a_how, const char *a,
    const char *b_how, const char *b)
{
	g_autofree char *qa = mime_quote(a);
	g_autofree char *qb = mime_quote(b);

	sg_mime_event(s, SG_RULE_MIME_AMBIGUOUS, offset, part, header,
	    "%s%s%s, read two ways: %s: %s; %s: %s", part != NULL ? part : "",
	    part != NULL ? ": " : "", what, a_how, qa, b_how, qb);
}

/* Judges a LIMIT rule; remembers a hard breach (GMime is then skipped). */
void
sg_mime_limit(SgMimeScan *s, SgRuleId rule, gint64 observed, goffset offset,
    const char *part, const char *header, const char *what)
{
	gint64 hard = sg_profile_hard(s->profile, rule);
	gint64 soft = sg_profile_soft(s->profile, rule);

	if (hard != SG_VALUE_NONE && observed > hard)
		s->breached = TRUE;
	if ((hard == SG_VALUE_NONE || observed <= hard) &&
	    (soft == SG_VALUE_NONE || observed <= soft))
		return;
	if (s->reported[rule] >= SG_MIME_FINDINGS_PER_RULE)
		return;
	s->reported[rule]++;
	sg_check_limit(s->msg, s->profile, rule, observed, offset, part, header,
	    what);
}

/* ---- the pre-scan's rows, for the other passes --------------------------- */

/* Rows are sorted by offset: a binary search. */
const SgMimeRow *
sg_mime_row_at(SgMimeScan *s, goffset off)
{
	guint lo = 0;
	guint hi = s->rows->len;

	if (off == SG_OFFSET_NONE || hi == 0)
		return NULL;
	while (hi - lo > 1) {
		guint mid = lo + (hi - lo) / 2;
		SgMimeRow *row = g_ptr_array_index(s->rows, mid);

		if (row->header_offset <= off)
			lo = mid;
		else
			hi = mid;
	}
	return g_ptr_array_index(s->rows, lo);
}

void
sg_mime_prescan_report(SgMimeScan *s)
{
	const SgMimeRow *row;

	if (s->pre_no_headers != SG_OFFSET_NONE) {
		row = sg_mime_row_at(s, s->pre_no_headers);
		sg_mime_event(s, SG_RULE_MIME_PART_WITHOUT_HEADERS,
		    s->pre_no_headers, row != NULL ? row->path : NULL, NULL,
		    "a part with neither headers nor content");
	}
	if (s->pre_conflict != SG_OFFSET_NONE) {
		row = sg_mime_row_at(s, s->pre_conflict);
		sg_mime_event(s, SG_RULE_HEADER_CONFLICTING, s->pre_conflict,
		    row != NULL ? row->path : NULL, NULL,
		    "two Content-Type or Content-Transfer-Encoding fields "
		    "with different values");
	}
}

void
sg_mime_prescan_inspect(SgMimeScan *s, SgInspect *inspect)
{
	for (guint i = 0; i < s->rows->len; i++) {
		SgMimeRow *r = g_ptr_array_index(s->rows, i);
		SgPartRow *row = g_new0(SgPartRow, 1);

		row->path = g_strdup(r->path);
		row->depth = r->depth;
		row->content_type = g_strdup(
		    r->content_type != NULL ? r->content_type : "text/plain");
		row->encoding = g_strdup(r->encoding);
		row->header_offset = r->header_offset;
		row->body_offset = r->body_offset;
		row->size =
		    r->body_offset != SG_OFFSET_NONE && r->end != SG_OFFSET_NONE
		    ? r->end - r->body_offset
		    : SG_VALUE_NONE;
		g_ptr_array_add(inspect->parts, row);
	}
}

/* ---- the three passes ---------------------------------------------------- */

gint64
sg_mime_cap(const SgProfile *profile, SgRuleId rule, gint64 ceiling)
{
	return MIN(sg_profile_cap(profile, rule, ceiling), ceiling);
}

static void
mime_scan_init(SgMimeScan *s, SgMessage *msg, const SgProfile *profile,
    gint64 base)
{
	s->msg = msg;
	s->profile = profile;
	s->base = base;
	s->cap_depth =
	    sg_mime_cap(profile, SG_RULE_MIME_DEPTH, SG_MIME_DEPTH_CEILING);
	s->cap_parts = sg_mime_cap(profile, SG_RULE_MIME_PART_COUNT,
	    SG_MIME_PARTS_CEILING);
	s->rows = g_ptr_array_new_with_free_func(sg_mime_row_free);
	s->root_header_end = SG_OFFSET_NONE;
	s->max_depth_offset = SG_OFFSET_NONE;
	s->parts_offset = SG_OFFSET_NONE;
	s->pre_no_headers = SG_OFFSET_NONE;
	s->pre_conflict = SG_OFFSET_NONE;
	s->walk_depth_offset = SG_OFFSET_NONE;
}

/* GMime's parse of the content from its start, then the walk. */
static gboolean
mime_parse(SgMimeScan *s, SgCheckContext *ctx, GMimeStream *stream,
    SgInspect *inspect, GError **error)
{
	g_autoptr(GMimeParser) parser = NULL;
	g_autoptr(GMimeParserOptions) options = NULL;
	g_autoptr(GMimeMessage) message = NULL;

	if (g_mime_stream_reset(stream) != 0) {
		g_set_error(error, SG_CHECK_ERROR, SG_CHECK_ERROR_IO,
		    "%s: cannot rewind the content", s->msg->id);
		return FALSE;
	}
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	options = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(options, sg_mime_warning, s);
	message = g_mime_parser_construct_message(parser, options);
	if (message == NULL) {
		sg_mime_event(s, SG_RULE_CONTAINER_NOT_A_MESSAGE, 0, NULL, NULL,
		    "GMime found no message in the content");
		if (inspect != NULL)
			sg_mime_prescan_inspect(s, inspect);
	} else {
		sg_mime_walk(s, ctx, message, inspect);
	}
	return TRUE;
}

/*
 * mime.depth and mime.part-count on the larger of the two passes' counts;
 * the depth at the deepest container of the pass that saw it.
 */
static void
mime_judge_totals(SgMimeScan *s)
{
	gint64 depth = s->max_depth;
	goffset depth_offset = s->max_depth_offset;
	guint64 parts = MAX(s->parts, s->walk_parts);

	if (s->walk_depth > depth) {
		depth = s->walk_depth;
		depth_offset = s->walk_depth_offset;
	}
	if (depth > 0)
		sg_mime_limit(s, SG_RULE_MIME_DEPTH, depth,
		    depth_offset != SG_OFFSET_NONE ? depth_offset : 0, NULL,
		    NULL, "nesting depth");
	sg_mime_limit(s, SG_RULE_MIME_PART_COUNT, (gint64)parts,
	    s->parts_offset != SG_OFFSET_NONE ? s->parts_offset : 0, NULL, NULL,
	    "MIME parts");
}

gboolean
sg_check_mime(SgCheckContext *ctx, SgMessage *msg, SgInspect *inspect,
    GError **error)
{
	g_autoptr(GMimeStream) stream = NULL;
	g_autofree SgMimeScan *s = g_new0(SgMimeScan, 1);
	g_autoptr(GPtrArray) rows = NULL;

	stream = sg_message_open_content(msg, error);
	if (stream == NULL)
		return FALSE;
	mime_scan_init(s, msg, sg_check_context_profile(ctx),
	    g_mime_stream_tell(stream));
	rows = s->rows;
	if (!sg_mime_prescan(s, stream, error))
		return FALSE;
	if (!s->breached) {
		if (!mime_parse(s, ctx, stream, inspect, error))
			return FALSE;
	} else {
		sg_mime_prescan_report(s);
		if (inspect != NULL)
			sg_mime_prescan_inspect(s, inspect);
	}
	mime_judge_totals(s);
	return TRUE;
}
