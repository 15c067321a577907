// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-encoding.c - streaming checks of base64 and quoted-printable
 * bodies.
 *
 * The MIME pre-scan hands each leaf part's body bytes to an
 * SgEncodingCheck as they stream past; nothing is decoded or kept.  For
 * base64: characters outside the alphabet, '=' where padding cannot be,
 * and data after the padding (mime.bad-base64).  For quoted-printable:
 * '=' not followed by two hex digits or a line break (mime.bad-qp).  For
 * every body but binary: the longest line (mime.encoded-line-length; RFC
 * 5322's 998 applies to 7bit and 8bit bodies too).  Each finding carries
 * a count and the content offset of the first occurrence; one finding per
 * rule and part, so memory and output are bounded whatever the body holds.
 */
#include "config.h"

#include <string.h>

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

static void
base64_byte(SgEncodingCheck *ec, guchar c, goffset off)
{
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
	}
}

static void
qp_bad(SgEncodingCheck *ec)
{
	count_at(&ec->bad_escapes, &ec->bad_escape_offset,
	    ec->qp_escape_offset);
	ec->qp_state = 0;
}

static void
qp_byte(SgEncodingCheck *ec, guchar c, goffset off)
{
	switch (ec->qp_state) {
	case 1: /* after '=' */
		if (g_ascii_isxdigit(c))
			ec->qp_state = 2;
		else if (c == ' ' || c == '\t' || c == '\r')
			ec->qp_state = 3;
		else
			qp_bad(ec);
		return;
	case 2: /* after '=X' */
		if (g_ascii_isxdigit(c)) {
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
 * Fast paths.  base64_run: the length of the prefix of (p, n) that is
 * base64 alphabet, looked at 16 bytes at a time (GCC vector extensions;
 * bytes >= 0x80 are negative as signed char and fall in no range).
 * plain_run: the length of the prefix holding no byte that the state
 * machine must look at one by one ('\n', and '=' in quoted-printable).
 * Both only skip bytes whose per-byte handling would just advance the
 * line length (and the base64 quantum), so findings and offsets are the
 * same as the byte-by-byte loop's.
 */
typedef signed char SgV16 __attribute__((vector_size(16)));

static gsize
base64_run(const guchar *p, gsize n)
{
	gsize i = 0;

	for (; i + 16 <= n; i += 16) {
		SgV16 v, ok;
		guint64 w[2];

		memcpy(&v, p + i, 16);
		ok = ((v >= 'A') & (v <= 'Z')) | ((v >= 'a') & (v <= 'z')) |
		    ((v >= '0') & (v <= '9')) | (v == '+') | (v == '/');
		memcpy(w, &ok, 16);
		if ((w[0] & w[1]) != G_MAXUINT64) {
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
			/* The first byte outside: lanes are 0x00 or 0xff. */
			if (w[0] != G_MAXUINT64)
				return i + (gsize)__builtin_ctzll(~w[0]) / 8;
			return i + 8 + (gsize)__builtin_ctzll(~w[1]) / 8;
#else
			break;
#endif
		}
	}
	while (i < n && base64_alphabet[p[i]])
		i++;
	return i;
}

static gsize
plain_run(const SgEncodingCheck *ec, const char *p, gsize n)
{
	const char *nl, *eq;

	nl = memchr(p, '\n', n);
	n = nl != NULL ? (gsize)(nl - p) : n;
	if (ec->kind != SG_ENCODING_QP)
		return n;
	if (ec->qp_state != 0)
		return 0;
	eq = memchr(p, '=', n);
	return eq != NULL ? (gsize)(eq - p) : n;
}

void
sg_encoding_check_feed(SgEncodingCheck *ec, const char *p, gsize len,
    goffset offset)
{
	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)p[i];
		goffset off = offset + (goffset)i;
		gsize run = 0;

		if (ec->kind == SG_ENCODING_BASE64) {
			/* Alphabet before any padding: only counts. */
			if (!ec->finished && ec->pad == 0 &&
			    base64_alphabet[c]) {
				run =
				    base64_run((const guchar *)p + i, len - i);
				ec->quantum =
				    (ec->quantum + (guint)(run % 4)) % 4;
			}
		} else if (c != '\n') {
			run = plain_run(ec, p + i, len - i);
		}
		if (run > 0) {
			ec->line_len += run;
			ec->saw_cr = (p[i + run - 1] == '\r');
			i += run - 1;
			continue;
		}
		if (c == '\n') {
			if (ec->saw_cr && ec->line_len > 0)
				ec->line_len--;
			ec->saw_cr = FALSE;
			encoding_end_line(ec, off + 1);
			if (ec->kind == SG_ENCODING_QP) {
				if (ec->qp_state == 2)
					qp_bad(ec);
				ec->qp_state = 0; /* '=' LF is a soft break */
			}
			continue;
		}
		ec->saw_cr = (c == '\r');
		ec->line_len++;
		if (ec->kind == SG_ENCODING_BASE64)
			base64_byte(ec, c, off);
		else if (ec->kind == SG_ENCODING_QP)
			qp_byte(ec, c, off);
	}
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

		/* An unfinished group of one character cannot decode. */
		if (!ec->finished && (ec->quantum == 1 || ec->pad > 0))
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
		if (ec->bad_escapes > 0)
			sg_check_event(msg, profile, SG_RULE_MIME_BAD_QP,
			    ec->bad_escape_offset, part, NULL,
			    "quoted-printable body: %" G_GUINT64_FORMAT
			    " invalid =XX escapes",
			    ec->bad_escapes);
	}
	if (ec->max_line_offset != SG_OFFSET_NONE)
		sg_check_limit(msg, profile, SG_RULE_MIME_ENCODED_LINE_LENGTH,
		    ec->max_line, ec->max_line_offset, part, NULL,
		    "longest encoded line");
}
