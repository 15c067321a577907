// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core-bytes.c - bounded helpers for untrusted bytes.
 *
 * Everything here takes (pointer, length) and never assumes a NUL
 * terminator.  Numbers are parsed with overflow checks; byte classes come
 * from one 256-entry table.  Escaped copies for reports are capped.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "spoolguard/core.h"

#define F SG_BYTE_FTEXT
#define D (SG_BYTE_FTEXT | SG_BYTE_DIGIT | SG_BYTE_QID)
#define L (SG_BYTE_FTEXT | SG_BYTE_QID)

const guint8 sg_byte_class[256] = {
	[0 ... 8] = SG_BYTE_CTL,
	[9] = SG_BYTE_WSP,
	[11 ... 12] = SG_BYTE_CTL,
	[14 ... 31] = SG_BYTE_CTL,
	[32] = SG_BYTE_WSP,
	[33 ... 47] = F,
	[48 ... 57] = D,
	[59 ... 64] = F,
	[65 ... 90] = L,
	[91 ... 94] = F,
	[95] = L,
	[96] = F,
	[97 ... 122] = L,
	[123 ... 126] = F,
	[127] = SG_BYTE_CTL,
	[128 ... 255] = SG_BYTE_8BIT,
};

#undef F
#undef D
#undef L

gboolean
sg_byte_is_binary(guchar c)
{
	return (sg_byte_class[c] & SG_BYTE_CTL) && c != '\f';
}

gsize
sg_text_run(const char *p, gsize n)
{
	gsize i = 0;

#ifdef __SSE2__
	for (; i + 16 <= n; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		/* 0..31 as signed bytes: above -1 and below 32 */
		__m128i low =
		    _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(-1)),
		        _mm_cmplt_epi8(v, _mm_set1_epi8(32)));
		__m128i allowed =
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v,
		                                  _mm_set1_epi8('\t')),
		                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
		        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\f')),
		            _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
		__m128i bad = _mm_or_si128(_mm_andnot_si128(allowed, low),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8(127)));
		guint mask = (guint)_mm_movemask_epi8(bad);

		if (mask != 0)
			return i + (gsize)__builtin_ctz(mask);
	}
#endif
	while (i < n && !sg_byte_is_binary((guchar)p[i]))
		i++;
	return i;
}

gboolean
sg_parse_u64(const char *p, gsize len, guint64 *out)
{
	guint64 v = 0;

	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		guint d;

		if (!(sg_byte_class[(guchar)p[i]] & SG_BYTE_DIGIT))
			return FALSE;
		d = (guint)(p[i] - '0');
		if (v > (G_MAXUINT64 - d) / 10)
			return FALSE;
		v = v * 10 + d;
	}
	*out = v;
	return TRUE;
}

gboolean
sg_parse_i64(const char *p, gsize len, gint64 *out)
{
	gboolean neg = FALSE;
	guint64 v;

	while (len > 0 && p[0] == ' ') {
		p++;
		len--;
	}
	while (len > 0 && p[len - 1] == ' ')
		len--;
	if (len > 0 && p[0] == '-') {
		neg = TRUE;
		p++;
		len--;
	}
	if (!sg_parse_u64(p, len, &v))
		return FALSE;
	if (neg) {
		if (v > (guint64)G_MAXINT64 + 1)
			return FALSE;
		*out = v == (guint64)G_MAXINT64 + 1 ? G_MININT64 : -(gint64)v;
	} else {
		if (v > (guint64)G_MAXINT64)
			return FALSE;
		*out = (gint64)v;
	}
	return TRUE;
}

char *
sg_escape_bytes(const char *p, gsize len, gsize max)
{
	GString *s = g_string_sized_new(MIN(len, max) + 8);
	gsize n = MIN(len, max);

	for (gsize i = 0; i < n; i++) {
		guchar c = (guchar)p[i];

		if (c == '\\')
			g_string_append(s, "\\\\");
		else if (c >= 32 && c < 127)
			g_string_append_c(s, (char)c);
		else if (c == '\t')
			g_string_append(s, "\\t");
		else if (c == '\r')
			g_string_append(s, "\\r");
		else if (c == '\n')
			g_string_append(s, "\\n");
		else
			g_string_append_printf(s, "\\x%02x", c);
	}
	if (len > max)
		g_string_append(s, "...");
	return g_string_free(s, FALSE);
}

char *
sg_fd_sha256(int fd, GError **error)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree guchar *buf = g_malloc(65536);
	off_t off = 0;

	for (;;) {
		ssize_t n = pread(fd, buf, 65536, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
			    "read for sha256: %s", g_strerror(saved));
			return NULL;
		}
		if (n == 0)
			break;
		g_checksum_update(sum, buf, (gssize)n);
		off += n;
	}
	return g_strdup(g_checksum_get_string(sum));
}

gboolean
sg_fd_write_all(int fd, const void *buf, gsize len)
{
	const char *p = buf;
	gsize done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return FALSE;
		}
		done += (gsize)n;
	}
	return TRUE;
}
