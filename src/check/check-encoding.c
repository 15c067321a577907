// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-encoding.c - streaming checks of base64 and quoted-printable
 * bodies.
 *
 * The MIME pre-scan hands each leaf part's body bytes to an
 * SgEncodingCheck as they stream past; nothing is decoded or kept.  For
 * base64: characters outside the alphabet, '=' where padding cannot be,
 * and data after the padding (mime.bad-base64).  For quoted-printable:
 * '=' not followed by two hex digits or a line break, and escapes in
 * lower case, which RFC 2045 6.7 forbids and strict decoders leave as
 * text (mime.bad-qp).  For
 * base64 also its layout: lines whose characters are not whole quartets
 * and white space or empty lines inside the data (mime.base64-layout),
 * where decoders that work a line at a time or stop at a blank part ways,
 * and the longest line (mime.base64-line-length, RFC 2045's 76).  For
 * every body but binary: the longest line (mime.encoded-line-length; RFC
 * 5322's 998 applies to 7bit and 8bit bodies too).  Each finding carries
 * a count and the content offset of the first occurrence; one finding per
 * rule and part, so memory and output are bounded whatever the body holds.
 */
#include "config.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "check-mime-private.h"

static const guint8 base64_alphabet[256] = {
	['A'] = 1,
	['B'] = 1,
	['C'] = 1,
	['D'] = 1,
	['E'] = 1,
	['F'] = 1,
	['G'] = 1,
	['H'] = 1,
	['I'] = 1,
	['J'] = 1,
	['K'] = 1,
	['L'] = 1,
	['M'] = 1,
	['N'] = 1,
	['O'] = 1,
	['P'] = 1,
	['Q'] = 1,
	['R'] = 1,
	['S'] = 1,
	['T'] = 1,
	['U'] = 1,
	['V'] = 1,
	['W'] = 1,
	['X'] = 1,
	['Y'] = 1,
	['Z'] = 1,
	['a'] = 1,
	['b'] = 1,
	['c'] = 1,
	['d'] = 1,
	['e'] = 1,
	['f'] = 1,
	['g'] = 1,
	['h'] = 1,
	['i'] = 1,
	['j'] = 1,
	['k'] = 1,
	['l'] = 1,
	['m'] = 1,
	['n'] = 1,
	['o'] = 1,
	['p'] = 1,
	['q'] = 1,
	['r'] = 1,
	['s'] = 1,
	['t'] = 1,
	['u'] = 1,
	['v'] = 1,
	['w'] = 1,
	['x'] = 1,
	['y'] = 1,
	['z'] = 1,
	['0'] = 1,
	['1'] = 1,
	['2'] = 1,
	['3'] = 1,
	['4'] = 1,
	['5'] = 1,
	['6'] = 1,
	['7'] = 1,
	['8'] = 1,
	['9'] = 1,
	['+'] = 1,
	['/'] = 1,
};

SgEncodingKind
sg_encoding_kind(const char *p, gsize len)
{
	while (len > 0 && g_ascii_isspace(*p)) {
		p++;
		len--;
	}
	while (len > 0 && g_ascii_isspace(p[len - 1]))
		len--;
	if (len == 6 && g_ascii_strncasecmp(p, "base64", 6) == 0)
		return SG_ENCODING_BASE64;
	if (len == 16 && g_ascii_strncasecmp(p, "quoted-printable", 16) == 0)
		return SG_ENCODING_QP;
	if (len == 6 && g_ascii_strncasecmp(p, "binary", 6) == 0)
		return SG_ENCODING_OTHER;
	return SG_ENCODING_TEXT;
}

void
sg_encoding_check_init(SgEncodingCheck *ec, SgEncodingKind kind, goffset start)
{
	memset(ec, 0, sizeof(*ec));
	ec->kind = kind;
	ec->line_start = start;
	ec->max_line_offset = SG_OFFSET_NONE;
	ec->bad_char_offset = SG_OFFSET_NONE;
	ec->after_pad_offset = SG_OFFSET_NONE;
	ec->bad_pad_offset = SG_OFFSET_NONE;
	ec->bad_escape_offset = SG_OFFSET_NONE;
	ec->odd_line_offset = SG_OFFSET_NONE;
	ec->blank_offset = SG_OFFSET_NONE;
}

static void
count_at(guint64 *count, goffset *first, goffset offset)
{
	if ((*count)++ == 0)
		*first = offset;
}

static void
encoding_end_line(SgEncodingCheck *ec, goffset next)
{
	gint64 len = (gint64)ec->line_len;

	if (len > ec->max_line) {
		ec->max_line = len;
		ec->max_line_offset = ec->line_start;
	}
	ec->line_len = 0;
	ec->line_start = next;
}

/* Base64 data goes on after white space or an empty line. */
static void
base64_data(SgEncodingCheck *ec)
{
	if (ec->blank_pending)
		count_at(&ec->blanks, &ec->blank_offset, ec->blank_at);
	ec->blank_pending = FALSE;
	ec->had_data = TRUE;
}

/* The end of a base64 line: its characters should be whole quartets. */
static void
base64_line_end(SgEncodingCheck *ec, goffset start)
{
	/* White space at the end of a line (a CR before LF too) is no blank. */
	if (ec->blank_pending && ec->blank_at >= start)
		ec->blank_pending = FALSE;
	if (ec->finished)
		return;
	if (ec->line_len == 0) {
		if (ec->had_data && !ec->blank_pending) {
			ec->blank_pending = TRUE;
			ec->blank_at = start;
		}
	} else if (ec->quantum != 0 && ec->pad == 0) {
		count_at(&ec->odd_lines, &ec->odd_line_offset, start);
	}
}

static void
base64_byte(SgEncodingCheck *ec, guchar c, goffset off)
{
	if (base64_alphabet[c] || c == '=')
		base64_data(ec);
	if (base64_alphabet[c]) {
		if (ec->finished)
			count_at(&ec->after_pad, &ec->after_pad_offset, off);
		else if (ec->pad > 0)
			count_at(&ec->bad_pad, &ec->bad_pad_offset, off);
		else if (++ec->quantum == 4)
			ec->quantum = 0;
	} else if (c == '=') {
		if (ec->finished || ec->quantum < 2) {
			count_at(&ec->bad_pad, &ec->bad_pad_offset, off);
		} else {
			ec->pad++;
			if (++ec->quantum == 4) {
				ec->quantum = 0;
				ec->pad = 0;
				ec->finished = TRUE;
			}
		}
	} else if (c != ' ' && c != '\t' && c != '\r') {
		count_at(&ec->bad_chars, &ec->bad_char_offset, off);
	} else if (ec->had_data && !ec->finished && !ec->blank_pending) {
		/* White space inside the data (a CR before LF is no blank). */
		ec->blank_pending = TRUE;
		ec->blank_at = off;
	}
}

static void
qp_bad(SgEncodingCheck *ec)
{
	count_at(&ec->bad_escapes, &ec->bad_escape_offset,
	    ec->qp_escape_offset);
	ec->qp_state = 0;
}

/* A whole "=XX" escape at @off; @x and @y its hex digits. */
static void
qp_escape(SgEncodingCheck *ec, guchar x, guchar y, goffset off)
{
	if ((x >= 'a' && x <= 'f') || (y >= 'a' && y <= 'f'))
		count_at(&ec->lower_escapes, &ec->lower_escape_offset, off);
}

static void
qp_byte(SgEncodingCheck *ec, guchar c, goffset off)
{
	switch (ec->qp_state) {
	case 1: /* after '=' */
		if (g_ascii_isxdigit(c)) {
			ec->qp_state = 2;
			ec->qp_lower = c >= 'a' && c <= 'f';
		} else if (c == ' ' || c == '\t' || c == '\r') {
			ec->qp_state = 3;
		} else {
			qp_bad(ec);
		}
		return;
	case 2: /* after '=X' */
		if (g_ascii_isxdigit(c)) {
			qp_escape(ec, ec->qp_lower ? 'a' : '0', c,
			    ec->qp_escape_offset);
			ec->qp_state = 0;
			return;
		}
		qp_bad(ec);
		break; /* c may start a new escape */
	case 3:        /* '=' then transport padding before the line break */
		if (c == ' ' || c == '\t' || c == '\r')
			return;
		qp_bad(ec);
		break;
	default:
		break;
	}
	if (c == '=') {
		ec->qp_state = 1;
		ec->qp_escape_offset = off;
	}
}

/*
 * Fast paths.  They consume only bytes whose byte-by-byte handling would
 * just advance the line length and the base64 quantum, or end a line, so
 * findings and offsets are the same as the byte-by-byte loop's; anything
 * else is left to encoding_byte.
 *
 * base64_run: the length of the prefix of (p, n) that is base64
 * alphabet.  With SSE2 (every x86-64), 16 bytes are classified with
 * three comparisons: letters as (c | 0x20) in 'a'..'z', '/' and digits as
 * one range '/'..'9', and '+'.  A range test is one add and one signed
 * compare: c + (0x80 - lo) lands in [-128, -128 + hi - lo] exactly when c
 * is in [lo, hi].
 */
#ifdef __SSE2__
static __m128i
range_mask(__m128i v, char lo, char hi)
{
	__m128i shifted = _mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - lo)));

	return _mm_cmplt_epi8(shifted, _mm_set1_epi8((char)(-127 + hi - lo)));
}

static gsize
base64_run(const guchar *p, gsize n)
{
	gsize i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i ok =
		    _mm_or_si128(_mm_or_si128(range_mask(_mm_or_si128(v,
		                                             _mm_set1_epi8(
		                                                 0x20)),
		                                  'a', 'z'),
		                     range_mask(v, '/', '9')),
		        _mm_cmpeq_epi8(v, _mm_set1_epi8('+')));
		guint mask = (guint)_mm_movemask_epi8(ok);

		if (mask != 0xffff)
			return i + (gsize)__builtin_ctz(~mask);
	}
	while (i < n && base64_alphabet[p[i]])
		i++;
	return i;
}
#else
static gsize
base64_run(const guchar *p, gsize n)
{
	gsize i = 0;

	while (i < n && base64_alphabet[p[i]])
		i++;
	return i;
}
#endif

/* The end of a line at @off: the byte after its LF. */
static void
encoding_newline(SgEncodingCheck *ec, goffset next)
{
	if (ec->saw_cr && ec->line_len > 0)
		ec->line_len--;
	ec->saw_cr = FALSE;
	if (ec->kind == SG_ENCODING_BASE64)
		base64_line_end(ec, ec->line_start);
	encoding_end_line(ec, next);
}

/*
 * Base64 before any padding: runs of alphabet and the LF or CR LF that
 * ends each line.  Returns the bytes consumed.
 */
static gsize
base64_fast(SgEncodingCheck *ec, const char *p, gsize n, goffset offset)
{
	gsize i = 0;

	while (i < n) {
		gsize run = base64_run((const guchar *)p + i, n - i);

		if (run > 0) {
			if (ec->blank_pending || !ec->had_data)
				base64_data(ec);
			ec->quantum = (ec->quantum + (guint)(run % 4)) % 4;
			ec->line_len += run;
			ec->saw_cr = FALSE;
			i += run;
		}
		if (i < n && p[i] == '\n') {
			encoding_newline(ec, offset + (goffset)i + 1);
			i++;
		} else if (i + 1 < n && p[i] == '\r' && p[i + 1] == '\n') {
			/* the CR is counted and taken back: no change */
			ec->saw_cr = FALSE;
			base64_line_end(ec, ec->line_start);
			encoding_end_line(ec, offset + (goffset)i + 2);
			i += 2;
		} else {
			break;
		}
	}
	return i;
}

/*
 * Quoted-printable between escapes, and 7bit/8bit text: runs up to the
 * next LF (or '='), whole "=XX" escapes and soft line breaks.  Returns the
 * bytes consumed.
 */
static gsize
text_fast(SgEncodingCheck *ec, const char *p, gsize n, goffset offset)
{
	gboolean qp = ec->kind == SG_ENCODING_QP;
	gsize i = 0;

	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		gsize stop = nl != NULL ? (gsize)(nl - p) : n;
		const char *eq = qp ? memchr(p + i, '=', stop - i) : NULL;

		if (eq != NULL)
			stop = (gsize)(eq - p);
		if (stop > i) {
			ec->line_len += stop - i;
			ec->saw_cr = (p[stop - 1] == '\r');
			i = stop;
		}
		if (i >= n)
			break;
		if (p[i] == '\n') {
			encoding_newline(ec, offset + (goffset)i + 1);
			i++;
			continue;
		}
		ec->qp_escape_offset = offset + (goffset)i;
		if (i + 2 < n && g_ascii_isxdigit(p[i + 1]) &&
		    g_ascii_isxdigit(p[i + 2])) {
			qp_escape(ec, (guchar)p[i + 1], (guchar)p[i + 2],
			    ec->qp_escape_offset);
			ec->line_len += 3; /* a whole =XX escape */
			ec->saw_cr = FALSE;
			i += 3;
		} else if (i + 1 < n && p[i + 1] == '\n') {
			ec->line_len += 1; /* a soft line break */
			ec->saw_cr = FALSE;
			encoding_end_line(ec, offset + (goffset)i + 2);
			i += 2;
		} else if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n') {
			ec->line_len +=
			    1; /* the CR is counted and taken back */
			ec->saw_cr = FALSE;
			encoding_end_line(ec, offset + (goffset)i + 3);
			i += 3;
		} else {
			break; /* the byte-by-byte loop judges this '=' */
		}
	}
	return i;
}

/*
 * Follows GMime's quoted-printable decoder (g_mime_encoding_quoted_
 * decode_step): '=' in text starts a sequence that takes the next byte,
 * and unless that is LF, one more; two hex digits decode to a byte ("=00"
 * to NUL), anything else passes through as it is.  Only '=' needs looking
 * at in text, so it jumps from one to the next.
 */
static void
qp_decoder_feed(SgEncodingCheck *ec, const char *p, gsize n)
{
	gsize i = 0;

	while (i < n) {
		guchar c;

		if (ec->qpd_state == 0) {
			const char *eq = memchr(p + i, '=', n - i);

			if (eq == NULL)
				return;
			i = (gsize)(eq - p) + 1;
			ec->qpd_state = 1;
			continue;
		}
		c = (guchar)p[i++];
		if (ec->qpd_state == 1) {
			ec->qpd_save = c;
			ec->qpd_state = c == '\n' ? 0 : 2;
		} else {
			if (g_ascii_isxdigit(ec->qpd_save) &&
			    g_ascii_isxdigit(c)) {
				guchar b = (guchar)(g_ascii_xdigit_value(
				                        (char)ec->qpd_save) *
				        16 +
				    g_ascii_xdigit_value((char)c));

				if (b == 0)
					ec->qpd_zero = TRUE;
				if (sg_byte_is_binary(b))
					ec->qpd_binary = TRUE;
			}
			ec->qpd_state = 0;
		}
	}
}

/* One byte the fast paths did not take. */
static void
encoding_byte(SgEncodingCheck *ec, guchar c, goffset off)
{
	if (c == '\n') {
		encoding_newline(ec, off + 1);
		if (ec->kind == SG_ENCODING_QP) {
			if (ec->qp_state == 2)
				qp_bad(ec);
			ec->qp_state = 0; /* '=' LF is a soft break */
		}
		return;
	}
	ec->saw_cr = (c == '\r');
	ec->line_len++;
	if (ec->kind == SG_ENCODING_BASE64)
		base64_byte(ec, c, off);
	else if (ec->kind == SG_ENCODING_QP)
		qp_byte(ec, c, off);
}

void
sg_encoding_check_feed(SgEncodingCheck *ec, const char *p, gsize len,
    goffset offset)
{
	gsize i = 0;

	/* Binary bodies have no line or alphabet rules. */
	if (ec->kind == SG_ENCODING_OTHER)
		return;
	if (ec->kind == SG_ENCODING_QP && !ec->qpd_zero)
		qp_decoder_feed(ec, p, len);
	while (i < len) {
		if (ec->kind == SG_ENCODING_BASE64) {
			if (!ec->finished && ec->pad == 0)
				i += base64_fast(ec, p + i, len - i,
				    offset + (goffset)i);
		} else if (ec->qp_state == 0) {
			i += text_fast(ec, p + i, len - i, offset + (goffset)i);
		}
		if (i >= len)
			break;
		encoding_byte(ec, (guchar)p[i], offset + (goffset)i);
		i++;
	}
}

/* mime.base64-layout and mime.base64-line-length. */
static void
base64_finish_layout(SgEncodingCheck *ec, SgMessage *msg,
    const SgProfile *profile, const char *part)
{
	if (ec->odd_lines > 0 || ec->blanks > 0)
		sg_check_event(msg, profile, SG_RULE_MIME_BASE64_LAYOUT,
		    ec->odd_lines > 0 ? ec->odd_line_offset : ec->blank_offset,
		    part, NULL,
		    "base64 body: %" G_GUINT64_FORMAT " line(s) not in whole "
		    "groups of four characters, %" G_GUINT64_FORMAT " blank(s) "
		    "inside the data; decoders that work a line at a time or "
		    "stop at a blank decode something else",
		    ec->odd_lines, ec->blanks);
	if (ec->max_line_offset != SG_OFFSET_NONE)
		sg_check_limit(msg, profile, SG_RULE_MIME_BASE64_LINE_LENGTH,
		    ec->max_line, ec->max_line_offset, part, NULL,
		    "longest base64 line");
}

static goffset
first_of(goffset a, goffset b)
{
	if (a == SG_OFFSET_NONE)
		return b;
	if (b == SG_OFFSET_NONE)
		return a;
	return MIN(a, b);
}

void
sg_encoding_check_finish(SgEncodingCheck *ec, SgMessage *msg,
    const SgProfile *profile, const char *part, goffset end)
{
	if (ec->kind == SG_ENCODING_OTHER)
		return;
	if (ec->line_len > 0)
		encoding_end_line(ec, end);
	if (ec->kind == SG_ENCODING_BASE64) {
		goffset first;

		/*
		 * An unfinished group cannot decode (one character) or decodes
		 * only for decoders that do not insist on the padding.
		 */
		if (!ec->finished && (ec->quantum != 0 || ec->pad > 0))
			count_at(&ec->bad_pad, &ec->bad_pad_offset, end);
		first =
		    first_of(first_of(ec->bad_char_offset, ec->bad_pad_offset),
		        ec->after_pad_offset);
		if (first != SG_OFFSET_NONE)
			sg_check_event(msg, profile, SG_RULE_MIME_BAD_BASE64,
			    first, part, NULL,
			    "base64 body: %" G_GUINT64_FORMAT
			    " invalid characters, %" G_GUINT64_FORMAT
			    " misplaced or missing padding, %" G_GUINT64_FORMAT
			    " characters after the padding",
			    ec->bad_chars, ec->bad_pad, ec->after_pad);
	} else {
		if (ec->qp_state == 2 || ec->qp_state == 1)
			qp_bad(ec);
		if (ec->bad_escapes > 0 || ec->lower_escapes > 0)
			sg_check_event(msg, profile, SG_RULE_MIME_BAD_QP,
			    ec->bad_escapes > 0 ? ec->bad_escape_offset
			                        : ec->lower_escape_offset,
			    part, NULL,
			    "quoted-printable body: %" G_GUINT64_FORMAT
			    " invalid =XX escapes, %" G_GUINT64_FORMAT
			    " in lower case (=3d)",
			    ec->bad_escapes, ec->lower_escapes);
	}
	if (ec->max_line_offset != SG_OFFSET_NONE)
		sg_check_limit(msg, profile, SG_RULE_MIME_ENCODED_LINE_LENGTH,
		    ec->max_line, ec->max_line_offset, part, NULL,
		    "longest encoded line");
	if (ec->kind == SG_ENCODING_BASE64)
		base64_finish_layout(ec, msg, profile, part);
}
