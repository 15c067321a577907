// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-mime-body.c - what a leaf body holds besides its declared
 * content (see SgBodyScan in check-mime-private.h): non-MIME encodings of
 * a file (uuencode, yEnc, BinHex 4.0) and MIME part structure in a body
 * that is not a multipart.
 *
 * The pre-scan feeds the same runs of body bytes it feeds the encoding
 * check.  Lines are judged where they lie in the caller's buffer; only a
 * line split between two pieces has its first SG_BODY_LINE_KEEP bytes
 * copied.  A line is looked at by its first bytes, so text costs one
 * memchr and a switch a line.  Nothing is allocated.
 */
#include "config.h"

#include <string.h>

#include "check-mime-private.h"

static gboolean
body_starts(const char *p, gsize len, const char *with)
{
	gsize n = strlen(with);

	return len >= n && memcmp(p, with, n) == 0;
}

/*
 * A uuencoded data line: a length character, then groups of four
 * characters from ' ' to '`' (some encoders add a check character).
 */
static gboolean
body_uu_line(const char *p, gsize len)
{
	guint n;
	gsize need;

	if (len == 0 || (guchar)p[0] < ' ' || (guchar)p[0] > '`')
		return FALSE;
	n = ((guchar)p[0] - ' ') & 0x3f;
	need = (n + 2) / 3 * 4;
	if (len - 1 < need || len - 1 > need + 2)
		return FALSE;
	for (gsize i = 1; i < len; i++)
		if ((guchar)p[i] < ' ' || (guchar)p[i] > '`')
			return FALSE;
	return TRUE;
}

/* "begin" SP three or four octal digits SP a name. */
static gboolean
body_uu_begin(const char *p, gsize len)
{
	gsize i = 6;
	gsize digits = 0;

	if (!body_starts(p, len, "begin "))
		return FALSE;
	while (i < len && p[i] >= '0' && p[i] <= '7' && digits < 5) {
		i++;
		digits++;
	}
	return (digits == 3 || digits == 4) && i + 1 < len && p[i] == ' ';
}

/* A Content-Type, -Transfer-Encoding or -Disposition field line. */
static gboolean
body_mime_field(const char *p, gsize len)
{
	const char *colon = memchr(p, ':', len);

	return colon != NULL &&
	    sg_mime_field_kind(p, (gsize)(colon - p)) != SG_MIME_FIELD_OTHER;
}

/* The uuencode state through one line. */
static void
body_uu(SgBodyScan *b, const char *p, gsize len, goffset off)
{
	gboolean data = body_uu_line(p, len);

	if (b->lines == 0)
		b->bare_run = TRUE;
	if (b->bare_run && data && b->uu_state == 0)
		b->uu_bare++;
	else if (len > 0)
		b->bare_run = FALSE;
	if (body_uu_begin(p, len)) {
		b->uu_state = 1;
		b->uu_candidate = off;
		return;
	}
	if (b->uu_state == 1 || b->uu_state == 2) {
		if (data) {
			if (b->uu_state == 1 && b->uu_begin == SG_OFFSET_NONE)
				b->uu_begin = b->uu_candidate;
			b->uu_state = 2;
		} else if (b->uu_state == 2 && len == 3 &&
		    memcmp(p, "end", 3) == 0) {
			b->uu_end = TRUE;
			b->uu_state = 3;
		} else {
			b->uu_state = 0;
		}
	}
}

/* One line (p, len) without its line end, at content offset @off. */
static void
body_line(SgBodyScan *b, const char *p, gsize len, goffset off)
{
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (b->lines == 0) {
		b->gzip64 = body_starts(p, len, "H4sI");
		b->first_field = body_mime_field(p, len);
	}
	if (b->prev_dash && b->mime_parts == SG_OFFSET_NONE &&
	    body_mime_field(p, len))
		b->mime_parts = off;
	b->prev_dash =
	    len > 2 && p[0] == '-' && p[1] == '-' && p[2] != '-' && p[2] != ' ';
	if (b->dsn && b->dsn_field == SG_OFFSET_NONE && body_mime_field(p, len))
		b->dsn_field = off;
	if (b->yenc == SG_OFFSET_NONE && body_starts(p, len, "=ybegin ") &&
	    memmem(p, len, " name=", 6) != NULL)
		b->yenc = off;
	else if (b->yenc != SG_OFFSET_NONE && body_starts(p, len, "=yend"))
		b->yenc_end = TRUE;
	if (b->binhex == SG_OFFSET_NONE && len > 0 && p[0] == '(' &&
	    memmem(p, len, "must be converted with BinHex", 29) != NULL)
		b->binhex = off;
	body_uu(b, p, len, off);
	b->lines++;
}

void
sg_body_scan_init(SgBodyScan *b, gboolean dsn, goffset start)
{
	memset(b, 0, sizeof(*b));
	b->dsn = dsn;
	b->body_start = start;
	b->uu_begin = b->uu_candidate = SG_OFFSET_NONE;
	b->yenc = b->binhex = SG_OFFSET_NONE;
	b->mime_parts = b->dsn_field = SG_OFFSET_NONE;
}

/* Keeps the start of a line that goes on in the next piece. */
static void
body_keep(SgBodyScan *b, const char *p, gsize n)
{
	gsize room = SG_BODY_LINE_KEEP - b->kept;

	memcpy(b->line + b->kept, p, MIN(n, room));
	b->kept += MIN(n, room);
	b->line_len += n;
}

void
sg_body_scan_feed(SgBodyScan *b, const char *p, gsize len, goffset off)
{
	gsize i = 0;

	b->bytes += len;
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		gsize end = nl != NULL ? (gsize)(nl - p) : len;

		if (!b->partial && nl != NULL) {
			body_line(b, p + i, end - i, off + (goffset)i);
		} else {
			if (!b->partial) {
				b->partial = TRUE;
				b->kept = b->line_len = 0;
				b->line_off = off + (goffset)i;
			}
			body_keep(b, p + i, end - i);
			if (nl != NULL) {
				/* Too long to judge whole: its start only. */
				body_line(b, b->line, b->kept, b->line_off);
				b->partial = FALSE;
			}
		}
		i = end + 1;
	}
}

void
sg_body_scan_finish(SgBodyScan *b)
{
	if (b->partial)
		body_line(b, b->line, b->kept, b->line_off);
	b->partial = FALSE;
	if (b->uu_state == 1)
		b->uu_begin = SG_OFFSET_NONE;
}

/* ---- judging a leaf body ----------------------------------------------- */

static gboolean
body_in(const char *v, const char *const *list, gsize n)
{
	for (gsize i = 0; i < n; i++)
		if (strcmp(v, list[i]) == 0)
			return TRUE;
	return FALSE;
}

static const char *const body_uu_names[] = { "uuencode", "x-uuencode", "uue",
	"x-uue", "x-uu" };
static const char *const body_yenc_names[] = { "x-yencode", "yencode", "x-yenc",
	"yenc" };
static const char *const body_binhex_names[] = { "binhex", "binhex40",
	"mac-binhex40", "mac-binhex", "x-binhex", "x-binhex40",
	"x-mac-binhex40" };
static const char *const body_legacy_types[] = { "application/x-uuencode",
	"application/x-uue", "application/mac-binhex40",
	"application/x-binhex40", "application/x-mac-binhex40",
	"application/x-yenc", "text/x-uuencode" };

/* Which legacy encoding the part declares (CTE or type), or NULL. */
static const char *
body_declared(const SgMimeFields *f)
{
	if (f->has_cte &&
	    body_in(f->cte, body_uu_names, G_N_ELEMENTS(body_uu_names)))
		return "uuencode";
	if (f->has_cte &&
	    body_in(f->cte, body_yenc_names, G_N_ELEMENTS(body_yenc_names)))
		return "yEnc";
	if (f->has_cte &&
	    body_in(f->cte, body_binhex_names, G_N_ELEMENTS(body_binhex_names)))
		return "BinHex";
	if (f->has_ct &&
	    body_in(f->type, body_legacy_types,
	        G_N_ELEMENTS(body_legacy_types)))
		return "a legacy encoding";
	return NULL;
}

/*
 * TRUE when the body is what the x-token @cte says; FALSE for an x-token
 * spoolguard does not know (nothing to check it against).
 */
static gboolean
body_agrees(const SgBodyScan *b, const char *cte)
{
	if (body_in(cte, body_uu_names, G_N_ELEMENTS(body_uu_names)))
		return b->uu_begin != SG_OFFSET_NONE && b->uu_end;
	if (body_in(cte, body_yenc_names, G_N_ELEMENTS(body_yenc_names)))
		return b->yenc != SG_OFFSET_NONE && b->yenc_end;
	if (body_in(cte, body_binhex_names, G_N_ELEMENTS(body_binhex_names)))
		return b->binhex != SG_OFFSET_NONE;
	if (strcmp(cte, "x-gzip64") == 0)
		return b->gzip64;
	return FALSE;
}

/* The first legacy block the body holds: its offset and its name. */
static goffset
body_legacy(const SgBodyScan *b, const char **what)
{
	if (b->uu_begin != SG_OFFSET_NONE) {
		*what = "a uuencoded file";
		return b->uu_begin;
	}
	if (b->yenc != SG_OFFSET_NONE) {
		*what = "a yEnc-encoded file";
		return b->yenc;
	}
	if (b->binhex != SG_OFFSET_NONE) {
		*what = "a BinHex 4.0 file";
		return b->binhex;
	}
	return SG_OFFSET_NONE;
}

/* A legacy block: declared honestly, or hidden in text or octets. */
static void
body_judge_legacy(const SgBodyScan *b, SgMimeScan *s, const SgMimeFields *f,
    const char *path)
{
	const char *what = NULL;
	goffset at = body_legacy(b, &what);
	const char *declared = body_declared(f);
	const char *type = f->has_ct && f->type[0] != '\0' ? f->type : NULL;

	if (at == SG_OFFSET_NONE && declared != NULL && b->uu_bare > 0) {
		what = "uuencoded data";
		at = b->body_start;
	}
	if (at == SG_OFFSET_NONE)
		return;
	if (declared != NULL)
		sg_mime_event(s, SG_RULE_CONTENT_LEGACY_ENCODING, at, path,
		    NULL, "%s: %s, declared as %s", path, what, declared);
	else if (type == NULL || g_str_has_prefix(type, "text/") ||
	    strcmp(type, "application/octet-stream") == 0)
		sg_mime_event(s, SG_RULE_CONTENT_HIDDEN_ENCODING, at, path,
		    NULL,
		    "%s (%s): %s inside; readers that decode it find a "
		    "file the MIME structure does not show",
		    path, type != NULL ? type : "text/plain", what);
}

void
sg_body_scan_judge(const SgBodyScan *b, SgMimeScan *s, const SgMimeFields *f,
    const char *path)
{
	body_judge_legacy(b, s, f, path);
	if (f->cte_x && body_agrees(b, f->cte))
		sg_mime_event(s, SG_RULE_MIME_CTE_EXTENSION, f->offset, path,
		    "Content-Transfer-Encoding",
		    "%s: Content-Transfer-Encoding %s, and a body to match",
		    path, f->cte);
	else if (f->cte_x)
		sg_mime_event(s, SG_RULE_MIME_CTE_INVALID, f->offset, path,
		    "Content-Transfer-Encoding",
		    "%s: Content-Transfer-Encoding %s, but the body is not "
		    "in that encoding (or spoolguard does not know it)",
		    path, f->cte);
	if (b->mime_parts != SG_OFFSET_NONE)
		sg_mime_event(s, SG_RULE_MIME_UNDECLARED_PARTS, b->mime_parts,
		    path, NULL,
		    "%s: a delimiter line and part headers in a body that "
		    "is not multipart",
		    path);
	if (b->dsn_field != SG_OFFSET_NONE)
		sg_mime_event(s, SG_RULE_MIME_UNDECLARED_PARTS, b->dsn_field,
		    path, NULL,
		    "%s: part headers among the fields of a delivery status",
		    path);
	if (b->first_field && f->nfields == 0 && f->header_bytes == 0)
		sg_mime_ambiguous(s, b->body_start, path, NULL,
		    "a part without header fields whose body begins with one",
		    "GMime and RFC 2046 (text/plain: the line is text)", NULL,
		    "readers that skip a leading empty line: a header field",
		    "Content-*");
}
