// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-headers.c - the byte and header checks: one streaming pass over
 * the top-level header block of a message's content, and the same scan of
 * every part's header block, at every depth, fed by the MIME pre-scan
 * (sg_header_scan_new_parts).
 *
 * A push-style state machine takes the content in pieces of any size (64
 * KiB reads; tests feed one byte at a time) and keeps a 4 KiB sample, the
 * current line's state and a 128-byte name: constant memory.  The sample
 * decides whether the content is a message at all.  The scan stops at the
 * empty line (the body is the MIME checks'; a line that is not a field
 * does not stop it, GMime reads on past one) or after 16 hard
 * header.block-size limits (1 to 256 MiB).  Each rule is listed for its first
 * occurrences, then summed up once: a hostile message cannot make a million
 * findings. Offsets are content offsets (check-common.c maps them to files).
 * A scan of part blocks reports the same rules at the same severities with
 * the part's path, caps each rule over all the parts of a message, and
 * leaves the message's totals (header.count, header.received-count) to the
 * top-level scan.  The address counter is check-headers-addr.c.  Only the
 * scan object itself needs freeing.
 */
#include "config.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"

#include "check-private.h"

#define HEADERS_SAMPLE 4096   /* bytes classified as text or binary */
#define HEADERS_NAME_KEEP 128 /* field-name bytes kept for reports */
/*
 * Bytes read looking for the end of the header block: this many hard
 * header.block-size limits, within MIN and MAX; MAX where the profile sets
 * no hard limit.  No profile changes these.
 */
#define HEADERS_SCAN_MIN (1 << 20)
#define HEADERS_SCAN_MAX (256 << 20)
#define HEADERS_SCAN_FACTOR 16
/* Inspect rows: the hard header.count, but never more than this. */
#define HEADERS_ROWS_MAX 100000
#define HEADERS_BINARY_MIN 4 /* control bytes before "binary" */

/* ---- header scanner -------------------------------------------------- */

typedef enum {
	SCAN_SAMPLE, /* collecting the first bytes to classify them */
	SCAN_LINES,  /* reading the header block */
	SCAN_DONE,   /* past the header block, or not a message */
} ScanPhase;

typedef enum {
	LINE_EMPTY, /* no byte of the line yet */
	LINE_MBOX,  /* the mbox "From " line at offset 0 */
	LINE_CONT,  /* starts with SP or HTAB */
	LINE_NAME,  /* before the colon */
	LINE_VALUE, /* after the colon */
	LINE_ODD,   /* past the separator: not a valid field */
} LineKind;

/* Occurrences of one rule, for the summary after the first few. */
typedef struct {
	guint64 n;
	goffset first_unlisted;
	SgSeverity worst;
	gboolean is_limit;
	gint64 max;
} Tally;

struct _SgHeaderScan {
	const SgProfile *profile;
	SgMessage *msg;
	SgInspect *inspect;
	guint64 scan_cap;
	guint rows_cap;

	ScanPhase phase;
	guchar sample[HEADERS_SAMPLE];
	gsize sample_len;
	goffset pos; /* content offset of the next byte */

	/* The line being read. */
	LineKind kind;
	goffset line_start;
	guint64 line_len; /* bytes without the line end */
	gboolean cr_pending;
	goffset cr_off;
	guint64 lines; /* header lines done (mbox line excluded) */
	char name[HEADERS_NAME_KEEP];
	gsize name_kept;
	guint64 name_len;
	guint64 name_wsp; /* trailing SP/HTAB run of the name */
	goffset name_wsp_off;
	goffset name_bad; /* first byte that makes the name invalid */
	goffset nul_off, eight_off, cr_bare_off, ctl_off;
	guint64 nul_n, eight_n, cr_bare_n, ctl_n;

	/* The field being read (its first line and continuations). */
	gboolean field_open;
	goffset field_start, field_end;
	char field_name[HEADERS_NAME_KEEP];
	gsize field_name_kept;
	guint64 field_name_len;
	gboolean field_addr;
	SgAddrCounter addr;

	/*
	 * After a line that is neither a field nor a continuation, the body
	 * has started for RFC 5322, Postfix and Python, but GMime and
	 * MimeKit skip the line and read on: fields up to the empty line
	 * are still checked, other lines only for length and NUL.
	 */
	gboolean past_separator;
	gboolean in_odd; /* continuations belong to an odd line */
	goffset body_start;

	/* The block. */
	goffset block_start, block_end;
	guint64 fields, received;
	goffset fields_off[2], received_off[2]; /* crossing soft, hard */
	gint64 count_limit[2], received_limit[2];
	gboolean not_a_message, complete, capped;
	goffset header_end;
	/* 8-bit headers are legitimate (SMTPUTF8): one finding in all. */
	guint64 eight_lines, eight_bytes;
	goffset eight_first;
	char *eight_header;
	Tally tally[SG_RULE_COUNT];
	/* A scan of part header blocks: the part being read (owned). */
	gboolean parts;
	char *part;
};

static void scan_report_event(SgHeaderScan *scan, SgRuleId rule, goffset off,
    const char *header, const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static void
scan_report_event(SgHeaderScan *scan, SgRuleId rule, goffset off,
    const char *header, const char *fmt, ...)
{
	Tally *t = &scan->tally[rule];
	g_autofree char *text = NULL;
	va_list ap;

	t->worst = sg_profile_severity(scan->profile, rule);
	if (t->worst == SG_SEVERITY_IGNORE)
		return;
	if (t->n++ >= SG_CHECK_REPORT_MAX) {
		if (t->n == SG_CHECK_REPORT_MAX + 1)
			t->first_unlisted = off;
		return;
	}
	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	sg_check_event(scan->msg, scan->profile, rule, off, scan->part, header,
	    "%s", text);
}

static void
scan_report_limit(SgHeaderScan *scan, SgRuleId rule, gint64 observed,
    goffset off, const char *header, const char *what)
{
	Tally *t = &scan->tally[rule];
	gint64 limit = SG_VALUE_NONE;
	SgSeverity sev =
	    sg_profile_judge(scan->profile, rule, observed, &limit);

	if (sev == SG_SEVERITY_IGNORE)
		return;
	t->is_limit = TRUE;
	if (t->n++ < SG_CHECK_REPORT_MAX) {
		sg_check_limit(scan->msg, scan->profile, rule, observed, off,
		    scan->part, header, what);
		return;
	}
	if (t->n == SG_CHECK_REPORT_MAX + 1)
		t->first_unlisted = off;
	t->worst = MAX(t->worst, sev);
	t->max = MAX(t->max, observed);
}

/* One finding per rule that had more occurrences than it listed. */
static void
scan_report_summaries(SgHeaderScan *scan)
{
	for (guint r = 0; r < SG_RULE_COUNT; r++) {
		Tally *t = &scan->tally[r];
		guint cap = SG_CHECK_REPORT_MAX;
		gint64 limit = SG_VALUE_NONE;

		if (t->n <= cap)
			continue;
		if (t->is_limit) {
			sg_profile_judge(scan->profile, r, t->max, &limit);
			sg_message_add_content_finding(scan->msg, r, t->worst,
			    t->first_unlisted, NULL, NULL, t->max, limit,
			    "%" G_GUINT64_FORMAT " more over the limit, not "
			    "listed (largest %" G_GINT64_FORMAT ")",
			    t->n - cap, t->max);
		} else {
			sg_message_add_content_finding(scan->msg, r, t->worst,
			    t->first_unlisted, NULL, NULL, (gint64)t->n,
			    SG_VALUE_NONE,
			    "%" G_GUINT64_FORMAT " occurrences in all; "
			    "%" G_GUINT64_FORMAT " more from here not listed",
			    t->n, t->n - cap);
		}
	}
}

/* Reports a per-message total, at the offset where it crossed a limit. */
static void
scan_report_total(SgHeaderScan *scan, SgRuleId rule, gint64 observed,
    const goffset offs[2], const char *header, const char *what)
{
	gint64 limit = SG_VALUE_NONE;
	SgSeverity sev =
	    sg_profile_judge(scan->profile, rule, observed, &limit);
	goffset off;

	if (sev == SG_SEVERITY_IGNORE)
		return;
	off = limit == sg_profile_hard(scan->profile, rule) ? offs[1] : offs[0];
	sg_check_limit(scan->msg, scan->profile, rule, observed, off,
	    scan->part, header, what);
}

static void scan_not_a_message(SgHeaderScan *scan, goffset off, const char *fmt,
    ...) G_GNUC_PRINTF(3, 4);

static void
scan_not_a_message(SgHeaderScan *scan, goffset off, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	sg_check_event(scan->msg, scan->profile,
	    SG_RULE_CONTAINER_NOT_A_MESSAGE, off, NULL, NULL, "%s", text);
	scan->not_a_message = TRUE;
	scan->header_end = SG_OFFSET_NONE;
	scan->field_open = FALSE;
	scan->phase = SCAN_DONE;
}

/* (transfer full): the current field's name, escaped for reports. */
static char *
scan_field_name(SgHeaderScan *scan)
{
	if (!scan->field_open)
		return NULL;
	return sg_escape_bytes(scan->field_name, scan->field_name_len,
	    MIN(scan->field_name_kept, 64));
}

static gboolean
scan_name_is(const SgHeaderScan *scan, const char *name)
{
	gsize n = strlen(name);

	return scan->field_name_len == n && scan->field_name_kept == n &&
	    g_ascii_strncasecmp(scan->field_name, name, n) == 0;
}

static gboolean
scan_field_is_address(const SgHeaderScan *scan)
{
	return scan->field_name_len == scan->field_name_kept &&
	    sg_addr_field_is_address(scan->field_name, scan->field_name_kept);
}

static void
scan_close_field(SgHeaderScan *scan)
{
	g_autofree char *name = NULL;

	if (!scan->field_open)
		return;
	if (scan->inspect != NULL &&
	    scan->inspect->headers->len < scan->rows_cap)
		sg_inspect_add_header(scan->inspect, scan->field_name,
		    scan->field_name_kept, scan->field_start,
		    (gsize)(scan->field_end - scan->field_start));
	if (scan->field_addr) {
		guint64 n = sg_addr_counter_finish(&scan->addr);

		name = scan_field_name(scan);
		scan_report_limit(scan, SG_RULE_HEADER_ADDRESS_COUNT,
		    (gint64)MIN(n, (guint64)G_MAXINT64), scan->field_start,
		    name, "addresses in one header");
	}
	scan->field_open = FALSE;
}

static void
scan_count(guint64 n, const gint64 limit[2], goffset offs[2], goffset off)
{
	for (guint i = 0; i < 2; i++)
		if (limit[i] >= 0 && n - 1 == (guint64)limit[i])
			offs[i] = off;
}

/* The colon of a field line: the name is complete, a field opens. */
static void
scan_colon(SgHeaderScan *scan)
{
	guint64 len = scan->name_len - scan->name_wsp;

	if (len == 0 && scan->name_bad == SG_OFFSET_NONE)
		scan->name_bad = scan->line_start;
	if (scan->past_separator && scan->name_bad != SG_OFFSET_NONE) {
		scan->kind = LINE_ODD;
		return;
	}
	scan_close_field(scan);
	scan->field_open = TRUE;
	scan->field_start = scan->line_start;
	scan->field_end = scan->line_start;
	scan->field_name_len = len;
	scan->field_name_kept = (gsize)MIN(len, scan->name_kept);
	memcpy(scan->field_name, scan->name, scan->field_name_kept);
	scan->field_addr = scan_field_is_address(scan);
	sg_addr_counter_init(&scan->addr);
	scan->fields++;
	scan_count(scan->fields, scan->count_limit, scan->fields_off,
	    scan->line_start);
	if (scan_name_is(scan, "Received")) {
		scan->received++;
		scan_count(scan->received, scan->received_limit,
		    scan->received_off, scan->line_start);
	}
}

static void
scan_name_byte(SgHeaderScan *scan, guchar c, guint8 cls, goffset off)
{
	if (scan->name_kept < HEADERS_NAME_KEEP)
		scan->name[scan->name_kept++] = (char)c;
	scan->name_len++;
	if (cls & SG_BYTE_WSP) {
		/* "Subject :" is obsolete syntax (RFC 5322 4.5.1). */
		if (scan->name_wsp++ == 0)
			scan->name_wsp_off = off;
		return;
	}
	if (scan->name_wsp > 0 && scan->name_bad == SG_OFFSET_NONE)
		scan->name_bad = scan->name_wsp_off;
	scan->name_wsp = 0;
	if (!(cls & SG_BYTE_FTEXT) && scan->name_bad == SG_OFFSET_NONE)
		scan->name_bad = off;
}

static void
scan_line_byte(SgHeaderScan *scan, guchar c, goffset off)
{
	guint8 cls = sg_byte_class[c];

	if (scan->kind == LINE_EMPTY) {
		if (cls & SG_BYTE_WSP) {
			scan->kind = LINE_CONT;
		} else {
			scan->kind = LINE_NAME;
			scan->in_odd = FALSE;
			scan_close_field(scan);
		}
	}
	scan->line_len++;
	if (c == '\0' && scan->nul_n++ == 0)
		scan->nul_off = off;
	/* Other control bytes; ESC opens ISO-2022-JP text (RFC 1468). */
	if ((cls & SG_BYTE_CTL) && c != '\0' && c != 0x1b && scan->ctl_n++ == 0)
		scan->ctl_off = off;
	if ((cls & SG_BYTE_8BIT) && scan->eight_n++ == 0)
		scan->eight_off = off;
	switch (scan->kind) {
	case LINE_NAME:
		if (c == ':') {
			scan->kind = LINE_VALUE;
			scan_colon(scan); /* may make it LINE_ODD */
		} else {
			scan_name_byte(scan, c, cls, off);
		}
		break;
	case LINE_VALUE:
	case LINE_CONT:
		if (scan->field_open && scan->field_addr)
			sg_addr_counter_feed(&scan->addr, (const char *)&c, 1);
		break;
	default:
		break;
	}
}

static void
scan_reset_line(SgHeaderScan *scan)
{
	scan->kind = LINE_EMPTY;
	scan->line_start = scan->pos;
	scan->line_len = 0;
	scan->name_kept = 0;
	scan->name_len = 0;
	scan->name_wsp = 0;
	scan->name_bad = SG_OFFSET_NONE;
	scan->nul_off = scan->eight_off = scan->cr_bare_off = SG_OFFSET_NONE;
	scan->ctl_off = SG_OFFSET_NONE;
	scan->nul_n = scan->eight_n = scan->cr_bare_n = scan->ctl_n = 0;
}

/* The rules on the bytes of one line that belongs to the header block. */
static void
scan_line_rules(SgHeaderScan *scan)
{
	g_autofree char *name = NULL;
	gboolean long_line =
	    sg_profile_judge(scan->profile, SG_RULE_HEADER_LINE_LENGTH,
	        (gint64)scan->line_len, NULL) != SG_SEVERITY_IGNORE;

	/* The field's name is escaped only for a line that has a finding. */
	if (long_line || scan->nul_n > 0 || scan->cr_bare_n > 0 ||
	    scan->ctl_n > 0 || (scan->eight_n > 0 && scan->eight_lines == 0))
		name = scan_field_name(scan);
	if (long_line)
		scan_report_limit(scan, SG_RULE_HEADER_LINE_LENGTH,
		    (gint64)scan->line_len, scan->line_start, name,
		    scan->capped ? "header line bytes (at least; scan stopped)"
		                 : "header line bytes");
	if (scan->nul_n > 0)
		scan_report_event(scan, SG_RULE_HEADER_NUL, scan->nul_off, name,
		    "%" G_GUINT64_FORMAT " NUL byte(s) in a header line",
		    scan->nul_n);
	if (scan->cr_bare_n > 0)
		scan_report_event(scan, SG_RULE_HEADER_BARE_CR,
		    scan->cr_bare_off, name,
		    "%" G_GUINT64_FORMAT " bare CR byte(s) in a header line",
		    scan->cr_bare_n);
	if (scan->ctl_n > 0)
		scan_report_event(scan, SG_RULE_HEADER_CONTROL, scan->ctl_off,
		    name,
		    "%" G_GUINT64_FORMAT " control byte(s) other than tab, CR "
		    "and LF in a header line",
		    scan->ctl_n);
	if (scan->eight_n > 0 && scan->eight_lines++ == 0) {
		scan->eight_first = scan->eight_off;
		scan->eight_header = g_steal_pointer(&name);
	}
	scan->eight_bytes += scan->eight_n;
}

/*
 * A line after the missing separator that is no valid field: consumers
 * disagree whether it is a header, so its length and NUL bytes count as
 * if it were one.
 */
static void
scan_odd_rules(SgHeaderScan *scan)
{
	scan_report_limit(scan, SG_RULE_HEADER_LINE_LENGTH,
	    (gint64)scan->line_len, scan->line_start, NULL,
	    "header line bytes (a line after the missing separator)");
	if (scan->nul_n > 0)
		scan_report_event(scan, SG_RULE_HEADER_NUL, scan->nul_off, NULL,
		    "%" G_GUINT64_FORMAT " NUL byte(s) in a line after the "
		    "missing separator",
		    scan->nul_n);
	if (scan->ctl_n > 0)
		scan_report_event(scan, SG_RULE_HEADER_CONTROL, scan->ctl_off,
		    NULL,
		    "%" G_GUINT64_FORMAT " control byte(s) in a line after the "
		    "missing separator",
		    scan->ctl_n);
}

/* The header block ends before the line that starts at @end. */
static void
scan_block_done(SgHeaderScan *scan, goffset end, goffset body)
{
	if (scan->past_separator)
		end = body = scan->body_start;
	scan_close_field(scan);
	scan->block_end = end;
	scan->header_end = body;
	scan->phase = SCAN_DONE;
}

static void
scan_end_line(SgHeaderScan *scan)
{
	g_autofree char *name = NULL;

	switch (scan->kind) {
	case LINE_EMPTY:
		/* A part may have no header fields at all. */
		if (scan->lines == 0 && !scan->parts) {
			scan_not_a_message(scan, scan->line_start,
			    "no header block: an empty line where the first "
			    "header field should be");
			return;
		}
		scan->complete = TRUE;
		scan_block_done(scan, scan->line_start, scan->pos);
		return;
	case LINE_NAME:
		if (scan->lines == 0 && !scan->parts) {
			scan_not_a_message(scan, scan->line_start,
			    "no header block: the first line is not a "
			    "header field");
			return;
		}
		if (!scan->past_separator) {
			scan_report_event(scan, SG_RULE_HEADER_NO_SEPARATOR,
			    scan->line_start, NULL,
			    "a line that is neither a header field nor a "
			    "continuation: the body starts without the empty "
			    "line");
			scan->past_separator = TRUE;
			scan->body_start = scan->line_start;
		}
		/* fall through */
	case LINE_ODD:
		scan_odd_rules(scan);
		scan->in_odd = TRUE;
		scan->lines++;
		break;
	case LINE_MBOX:
		scan_line_rules(scan);
		scan->block_start = scan->pos;
		break;
	case LINE_CONT:
		if (scan->in_odd) {
			scan_odd_rules(scan);
			scan->lines++;
			break;
		}
		if (scan->lines == 0)
			scan_report_event(scan,
			    SG_RULE_HEADER_LEADING_CONTINUATION,
			    scan->line_start, NULL,
			    "the first header line starts with white space");
		if (scan->field_open)
			scan->field_end =
			    scan->line_start + (goffset)scan->line_len;
		scan_line_rules(scan);
		scan->lines++;
		break;
	case LINE_VALUE:
		scan->field_end = scan->line_start + (goffset)scan->line_len;
		scan_line_rules(scan);
		if (scan->name_bad != SG_OFFSET_NONE) {
			name = scan_field_name(scan);
			scan_report_event(scan, SG_RULE_HEADER_INVALID_NAME,
			    scan->name_bad, name,
			    "header field name with a byte RFC 5322 does not "
			    "allow (empty, space, control or 8-bit) at "
			    "offset %" G_GINT64_FORMAT " of the content",
			    (gint64)scan->name_bad);
		}
		scan->lines++;
		break;
	}
	scan_reset_line(scan);
}

static void
scan_bare_cr(SgHeaderScan *scan)
{
	scan->cr_pending = FALSE;
	if (scan->cr_bare_n++ == 0)
		scan->cr_bare_off = scan->cr_off;
	scan_line_byte(scan, '\r', scan->cr_off);
}

static void
scan_byte(SgHeaderScan *scan, guchar c)
{
	goffset off = scan->pos++;

	if (scan->cr_pending) {
		if (c == '\n') {
			scan->cr_pending = FALSE;
			scan_end_line(scan);
			return;
		}
		scan_bare_cr(scan);
	}
	if (c == '\n') {
		scan_end_line(scan);
	} else if (c == '\r') {
		scan->cr_pending = TRUE;
		scan->cr_off = off;
	} else {
		scan_line_byte(scan, c, off);
	}
}

/* The scan read as much of a header block as it is willing to. */
static void
scan_stop(SgHeaderScan *scan)
{
	scan->capped = TRUE;
	if (scan->cr_pending)
		scan_bare_cr(scan);
	if (scan->kind != LINE_EMPTY)
		scan_end_line(scan);
	if (scan->phase != SCAN_DONE)
		scan_block_done(scan, scan->pos, scan->pos);
}

/*
 * The length of the prefix of (p, n) that holds only bytes a field value
 * takes without a second look: printable ASCII, SP and HTAB (no NUL, CR,
 * LF, DEL, other control or 8-bit byte).
 */
static gsize
scan_value_run(const guchar *p, gsize n)
{
	gsize i = 0;

#ifdef __SSE2__
	for (; i + 16 <= n; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		/* signed: bytes >= 0x80 are negative, below ' ' too */
		__m128i ok =
		    _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)),
		        _mm_or_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(' ' - 1)),
		            _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'))));
		guint mask = (guint)_mm_movemask_epi8(ok);

		if (mask != 0xffff)
			return i + (gsize)__builtin_ctz(~mask);
	}
#endif
	while (i < n && (p[i] == '\t' || (p[i] >= ' ' && p[i] < 0x7f)))
		i++;
	return i;
}

static void
scan_bytes(SgHeaderScan *scan, const guchar *p, gsize len)
{
	for (gsize i = 0; i < len && scan->phase == SCAN_LINES; i++) {
		guint64 used = (guint64)(scan->pos - scan->block_start);

		if (used >= scan->scan_cap) {
			scan_stop(scan);
			break;
		}
		/*
		 * Inside a field's value, plain bytes only lengthen the line
		 * (and go to the address counter): take them in one step.
		 */
		if ((scan->kind == LINE_VALUE || scan->kind == LINE_CONT) &&
		    !scan->cr_pending) {
			gsize run = scan_value_run(p + i,
			    (gsize)MIN((guint64)(len - i),
			        scan->scan_cap - used));

			if (run > 0) {
				if (scan->field_open && scan->field_addr)
					sg_addr_counter_feed(&scan->addr,
					    (const char *)p + i, run);
				scan->pos += (goffset)run;
				scan->line_len += run;
				i += run - 1;
				continue;
			}
		}
		scan_byte(scan, p[i]);
	}
}

/*
 * The first bytes decide whether this is a message at all.  Control bytes
 * are counted only up to the first empty line, so a binary body after a
 * short header block is not "binary data"; ESC is not counted (ISO-2022-JP
 * headers carry it).
 */
static void
scan_classify(SgHeaderScan *scan)
{
	const guchar *s = scan->sample;
	gsize len = scan->sample_len, head = len, ctl = 0, zero = 0;

	scan->phase = SCAN_LINES;
	if (len == 0) {
		scan_not_a_message(scan, 0, "empty: the content has no bytes");
		return;
	}
	while (zero < len && s[zero] == 0)
		zero++;
	if (zero == len) {
		scan_not_a_message(scan, 0,
		    "zero-filled: the first %" G_GSIZE_FORMAT
		    " bytes are all NUL",
		    len);
		return;
	}
	for (const guchar *nl = memchr(s, '\n', len); nl != NULL;
	     nl = memchr(nl + 1, '\n', len - (gsize)(nl + 1 - s))) {
		gsize i = (gsize)(nl - s);

		if (i + 1 < len &&
		    (s[i + 1] == '\n' ||
		        (s[i + 1] == '\r' && i + 2 < len &&
		            s[i + 2] == '\n'))) {
			head = i + 1;
			break;
		}
	}
	for (gsize i = 0; i < head; i++)
		if ((sg_byte_class[s[i]] & SG_BYTE_CTL) && s[i] != 0x1b)
			ctl++;
	if (ctl >= HEADERS_BINARY_MIN && ctl * 10 >= head) {
		scan_not_a_message(scan, 0,
		    "binary data: %" G_GSIZE_FORMAT " control bytes in the "
		    "first %" G_GSIZE_FORMAT " bytes",
		    ctl, head);
		return;
	}
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		/* Windows tools (PowerShell's Set-Content) write a UTF-8
		 * byte order mark into IIS Pickup files: skip it, warn. */
		scan_report_event(scan, SG_RULE_HEADER_8BIT, 0, NULL,
		    "a UTF-8 byte order mark before the first header field");
		s += 3;
		len -= 3;
		scan->pos = scan->block_start = 3;
		scan_reset_line(scan);
	}
	if (len >= 5 && memcmp(s, "From ", 5) == 0)
		scan->kind = LINE_MBOX;
	scan_bytes(scan, s, len);
}

SgHeaderScan *
sg_header_scan_new(const SgProfile *profile, SgMessage *msg, SgInspect *inspect)
{
	SgHeaderScan *scan = g_new0(SgHeaderScan, 1);
	gint64 hard = sg_profile_cap(profile, SG_RULE_HEADER_BLOCK_SIZE,
	    HEADERS_SCAN_MAX / HEADERS_SCAN_FACTOR);
	gint64 rows =
	    sg_profile_cap(profile, SG_RULE_HEADER_COUNT, HEADERS_ROWS_MAX);

	scan->profile = profile;
	scan->msg = msg;
	scan->inspect = inspect;
	scan->scan_cap =
	    (guint64)CLAMP(hard, 0, HEADERS_SCAN_MAX) * HEADERS_SCAN_FACTOR;
	scan->scan_cap = CLAMP(scan->scan_cap, (guint64)HEADERS_SCAN_MIN,
	    (guint64)HEADERS_SCAN_MAX);
	scan->rows_cap = (guint)CLAMP(rows, 1, HEADERS_ROWS_MAX);
	scan->count_limit[0] = sg_profile_soft(profile, SG_RULE_HEADER_COUNT);
	scan->count_limit[1] = sg_profile_hard(profile, SG_RULE_HEADER_COUNT);
	scan->received_limit[0] =
	    sg_profile_soft(profile, SG_RULE_HEADER_RECEIVED_COUNT);
	scan->received_limit[1] =
	    sg_profile_hard(profile, SG_RULE_HEADER_RECEIVED_COUNT);
	for (guint i = 0; i < 2; i++)
		scan->fields_off[i] = scan->received_off[i] = SG_OFFSET_NONE;
	scan->header_end = SG_OFFSET_NONE;
	scan->phase = SCAN_SAMPLE;
	scan_reset_line(scan);
	return scan;
}

void
sg_header_scan_free(SgHeaderScan *scan)
{
	if (scan == NULL)
		return;
	g_free(scan->eight_header);
	g_free(scan->part);
	g_free(scan);
}

gboolean
sg_header_scan_feed(SgHeaderScan *scan, const char *p, gsize len)
{
	const guchar *u = (const guchar *)p;

	if (scan->phase == SCAN_SAMPLE) {
		gsize n = MIN(len, HEADERS_SAMPLE - scan->sample_len);

		memcpy(scan->sample + scan->sample_len, u, n);
		scan->sample_len += n;
		u += n;
		len -= n;
		if (scan->sample_len < HEADERS_SAMPLE)
			return TRUE;
		scan_classify(scan);
	}
	scan_bytes(scan, u, len);
	return scan->phase != SCAN_DONE;
}

/* Where the header block grows past @limit bytes. */
static goffset
scan_block_offset(const SgHeaderScan *scan, gint64 limit)
{
	if (limit < 0 || limit >= scan->block_end - scan->block_start)
		return SG_OFFSET_NONE;
	return scan->block_start + limit;
}

/* header.block-size and the block's one header.8bit finding. */
static void
scan_report_block(SgHeaderScan *scan)
{
	goffset block_offs[2];

	block_offs[0] = scan_block_offset(scan,
	    sg_profile_soft(scan->profile, SG_RULE_HEADER_BLOCK_SIZE));
	block_offs[1] = scan_block_offset(scan,
	    sg_profile_hard(scan->profile, SG_RULE_HEADER_BLOCK_SIZE));
	scan_report_total(scan, SG_RULE_HEADER_BLOCK_SIZE,
	    scan->block_end - scan->block_start, block_offs, NULL,
	    scan->capped ? "header block bytes (at least; scan stopped)"
	                 : "header block bytes");
	if (scan->eight_lines > 0)
		scan_report_event(scan, SG_RULE_HEADER_8BIT, scan->eight_first,
		    scan->eight_header,
		    "%" G_GUINT64_FORMAT
		    " unencoded 8-bit byte(s) in %" G_GUINT64_FORMAT
		    " header line(s), the first here "
		    "(legitimate in SMTPUTF8 mail, RFC 6532)",
		    scan->eight_bytes, scan->eight_lines);
}

/* End of the content inside the header block. */
static void
scan_end_block(SgHeaderScan *scan)
{
	if (scan->phase != SCAN_LINES)
		return;
	if (scan->cr_pending)
		scan_bare_cr(scan);
	if (scan->kind != LINE_EMPTY)
		scan_end_line(scan);
}

void
sg_header_scan_finish(SgHeaderScan *scan, SgHeaderSummary *summary)
{
	if (scan->parts) {
		scan_report_summaries(scan);
		return;
	}
	if (scan->phase == SCAN_SAMPLE)
		scan_classify(scan);
	scan_end_block(scan);
	if (scan->phase == SCAN_LINES) {
		if (scan->lines == 0) {
			scan_not_a_message(scan, scan->line_start,
			    "no header block: the content ends before the "
			    "first header field");
		} else {
			/* Headers only, no body: legitimate. */
			scan->complete = TRUE;
			scan_block_done(scan, scan->pos, scan->pos);
		}
	}
	if (!scan->not_a_message) {
		scan_report_block(scan);
		scan_report_total(scan, SG_RULE_HEADER_COUNT,
		    (gint64)scan->fields, scan->fields_off, NULL,
		    "header fields");
		scan_report_total(scan, SG_RULE_HEADER_RECEIVED_COUNT,
		    (gint64)scan->received, scan->received_off, "Received",
		    "Received header fields");
	}
	scan_report_summaries(scan);
	if (scan->inspect != NULL)
		scan->inspect->header_end = scan->header_end;
	if (summary != NULL) {
		summary->not_a_message = scan->not_a_message;
		summary->complete = scan->complete;
		summary->header_end = scan->header_end;
		summary->fields = scan->fields;
	}
}

/* ---- part header blocks ------------------------------------------------ */

SgHeaderScan *
sg_header_scan_new_parts(const SgProfile *profile, SgMessage *msg)
{
	SgHeaderScan *scan = sg_header_scan_new(profile, msg, NULL);

	scan->parts = TRUE;
	scan->phase = SCAN_DONE;
	return scan;
}

void
sg_header_scan_start_part(SgHeaderScan *scan, goffset offset, const char *path,
    gboolean mbox_line)
{
	if (scan->phase == SCAN_LINES)
		sg_header_scan_end_part(scan);
	g_free(scan->part);
	scan->part = g_strdup(path);
	g_clear_pointer(&scan->eight_header, g_free);
	scan->eight_lines = scan->eight_bytes = 0;
	scan->phase = SCAN_LINES;
	scan->pos = scan->block_start = scan->block_end = offset;
	scan->lines = scan->fields = scan->received = 0;
	scan->field_open = scan->past_separator = scan->in_odd = FALSE;
	scan->complete = scan->capped = scan->cr_pending = FALSE;
	scan->header_end = SG_OFFSET_NONE;
	scan_reset_line(scan);
	if (mbox_line)
		scan->kind = LINE_MBOX;
}

void
sg_header_scan_end_part(SgHeaderScan *scan)
{
	if (scan->part == NULL)
		return;
	scan_end_block(scan);
	if (scan->phase == SCAN_LINES)
		scan_block_done(scan, scan->pos, scan->pos);
	scan_report_block(scan);
	g_clear_pointer(&scan->part, g_free);
}
