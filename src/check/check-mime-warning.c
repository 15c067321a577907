// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-mime-warning.c - GMime's parser warnings as findings.
 *
 * GMime reports what it meets while parsing (GMIME_WARN_*, GMIME_CRIT_*)
 * with a stream position and sometimes an item (a header name or line).
 * Each code maps onto one rule id, or is dropped where spoolguard's own
 * scans already judge it better: the byte scans (check-headers.c) judge
 * every header block at every depth, and the pre-scan already named
 * multiparts without boundaries.  A second Reply-To is the mailing
 * lists' (header.duplicate-reply-to, info), not header.duplicate-unique.
 * Positions become content offsets and the pre-scan's rows give the part
 * path.  GMime's nesting overflow is no finding of its own: it raises the
 * depth that mime.depth judges at the end.  Nothing here allocates beyond
 * the escaped item of one finding.
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "check-mime-private.h"

/* Codes whose rule does not depend on the item or the place. */
static const struct {
	GMimeParserWarning code;
	SgRuleId rule;
	const char *what;
} warning_rules[] = {
	{ GMIME_WARN_DUPLICATED_PARAMETER, SG_RULE_MIME_PARAM_DUPLICATE,
	    "duplicated parameter" },
	{ GMIME_WARN_INVALID_CONTENT_TYPE, SG_RULE_MIME_BAD_CONTENT_TYPE,
	    "invalid Content-Type" },
	{ GMIME_WARN_INVALID_RFC2047_HEADER_VALUE,
	    SG_RULE_HEADER_BAD_ENCODED_WORD,
	    "invalid RFC 2047 encoded header" },
	{ GMIME_WARN_INVALID_PARAMETER, SG_RULE_MIME_BAD_PARAMETER,
	    "invalid parameter" },
	{ GMIME_WARN_MALFORMED_MULTIPART, SG_RULE_MIME_BOUNDARY_NOT_FOUND,
	    "no parts in a multipart (boundary not found)" },
	{ GMIME_WARN_TRUNCATED_MESSAGE, SG_RULE_MIME_TRUNCATED,
	    "truncated: no close delimiter" },
	{ GMIME_WARN_MALFORMED_MESSAGE, SG_RULE_MIME_MALFORMED,
	    "malformed message" },
	{ GMIME_WARN_INVALID_ADDRESS_LIST, SG_RULE_HEADER_BAD_ADDRESS,
	    "invalid address list" },
	{ GMIME_CRIT_CONFLICTING_PARAMETER, SG_RULE_MIME_PARAM_CONFLICT,
	    "conflicting parameter" },
	{ GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY, SG_RULE_MIME_BOUNDARY_MISSING,
	    "multipart without a boundary parameter" },
	{ GMIME_CRIT_NESTING_OVERFLOW, SG_RULE_MIME_DEPTH,
	    "GMime's nesting limit" },
	{ GMIME_WARN_PART_WITHOUT_CONTENT, SG_RULE_MIME_PART_WITHOUT_CONTENT,
	    "part headers end at a boundary" },
	{ GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT,
	    SG_RULE_MIME_PART_WITHOUT_HEADERS,
	    "part without headers or content" },
};

/* A repeated field: Reply-To is the mailing lists' own, not a defect. */
static SgRuleId
warning_repeated(GMimeParserWarning code, const char *item, const char **what)
{
	if (item != NULL && g_ascii_strcasecmp(item, "Reply-To") == 0) {
		*what = "a second Reply-To (mailing lists add their own)";
		return SG_RULE_HEADER_DUPLICATE_REPLY_TO;
	}
	/* Only Content-Type and -Transfer-Encoding can conflict. */
	if (code == GMIME_CRIT_CONFLICTING_HEADER && item != NULL &&
	    (g_ascii_strcasecmp(item, "Content-Type") == 0 ||
	        g_ascii_strcasecmp(item, "Content-Transfer-Encoding") == 0)) {
		*what = "conflicting header";
		return SG_RULE_HEADER_CONFLICTING;
	}
	*what = code == GMIME_CRIT_CONFLICTING_HEADER
	    ? "header repeated with another value"
	    : "duplicated header";
	return SG_RULE_HEADER_DUPLICATE_UNIQUE;
}

SgRuleId
sg_mime_warning_rule(GMimeParserWarning code, const char *item,
    SgMimePlace place, const char **what)
{
	(void)place;
	switch (code) {
	case GMIME_WARN_UNENCODED_8BIT_HEADER:
	case GMIME_CRIT_INVALID_HEADER_NAME:
		/*
		 * The byte scans judge every header block, the top one and
		 * each part's (header.8bit, header.invalid-name,
		 * header.no-separator), with exact offsets.
		 */
		return SG_RULE_COUNT;
	case GMIME_CRIT_CONFLICTING_HEADER:
	case GMIME_WARN_DUPLICATED_HEADER:
		return warning_repeated(code, item, what);
	default:
		break;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(warning_rules); i++) {
		if (warning_rules[i].code == code) {
			*what = warning_rules[i].what;
			return warning_rules[i].rule;
		}
	}
	*what = "unknown parser warning";
	return SG_RULE_MIME_MALFORMED;
}

void
sg_mime_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
    gpointer data)
{
	SgMimeScan *s = data;
	goffset off = offset >= s->base ? offset - s->base : SG_OFFSET_NONE;
	gboolean in_root = off != SG_OFFSET_NONE && off < s->root_header_end;
	SgMimePlace place = in_root     ? SG_MIME_AT_ROOT_HEADERS
	    : off == s->root_header_end ? SG_MIME_AT_ROOT_END
	                                : SG_MIME_AT_PART;
	const char *what = NULL;
	SgRuleId rule = sg_mime_warning_rule(code, item, place, &what);
	const SgMimeRow *row;
	g_autofree char *esc = NULL;

	if (rule == SG_RULE_COUNT)
		return;
	/* Header rules the byte scan already reported for the top level. */
	if (in_root && g_str_has_prefix(sg_rule_id(rule), "header.") &&
	    sg_mime_has_finding(s, rule))
		return;
	if (rule == SG_RULE_MIME_DEPTH) {
		/* A LIMIT rule: GMime's own limit was crossed, here. */
		if (s->max_depth <= SG_MIME_DEPTH_CEILING) {
			s->max_depth = SG_MIME_DEPTH_CEILING + 1;
			s->max_depth_offset = off;
		}
		return;
	}
	/* GMime reports a truncated message at position -1: its end. */
	if (off == SG_OFFSET_NONE && rule == SG_RULE_MIME_TRUNCATED)
		off = s->content_end;
	row = in_root ? NULL : sg_mime_row_at(s, off);
	/* The pre-scan already named these multiparts. */
	if ((rule == SG_RULE_MIME_BOUNDARY_NOT_FOUND ||
	        rule == SG_RULE_MIME_BOUNDARY_MISSING) &&
	    sg_mime_has_finding(s, rule))
		return;
	if (item != NULL)
		esc = sg_escape_bytes(item, strlen(item), 80);
	sg_mime_event(s, rule, off, row != NULL ? row->path : NULL, NULL,
	    "GMime: %s%s%s", what, esc != NULL ? ": " : "",
	    esc != NULL ? esc : "");
}
