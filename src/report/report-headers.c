// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report-headers.c - what a message says of itself, for log lines and for
 * `inspect`: the value of a header field (Message-ID) and the values of
 * the rows of the inspect header table.
 *
 * The content stream is read again from its start, never more than
 * SG_REPORT_HEADER_READ_MAX bytes for a log line or the caller's budget
 * for inspect; nothing is parsed past the header block.  A value is
 * unfolded as RFC 5322 2.2.3 says (the line ends before continuation
 * lines are removed, the blanks stay; a tab that starts a continuation
 * line becomes a space, as it reads), blanks around it are trimmed, and
 * its bytes are kept raw (NUL, 8-bit and all): escaping is the writers'
 * business.  An mbox "From " line before the first field is skipped.
 * Returned strings belong to the caller.
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"

#include "report-private.h"

/* Bytes read from the content stream at a time. */
#define HEADERS_CHUNK 65536
/* A Message-ID longer than this is cut in a log line (RFC 5322's line). */
#define HEADERS_MESSAGE_ID_MAX 998
/* ... and shown with at most this many bytes, escaped. */
#define HEADERS_MESSAGE_ID_SHOWN 200

/*
 * Reads the content of @msg from its start: @want bytes, or with
 * @stop_at_empty up to and including the empty line that ends the header
 * block, whichever comes first.  (transfer full) (nullable)
 */
static GByteArray *
headers_read(SgMessage *msg, gsize want, gboolean stop_at_empty, GError **error)
{
	g_autoptr(GMimeStream) stream = sg_message_open_content(msg, error);
	g_autoptr(GByteArray) buf = NULL;

	if (stream == NULL)
		return NULL;
	buf = g_byte_array_sized_new((guint)MIN(want, HEADERS_CHUNK));
	while (buf->len < want) {
		gsize old = buf->len;
		gsize n = MIN((gsize)HEADERS_CHUNK, want - old);
		ssize_t got;

		g_byte_array_set_size(buf, (guint)(old + n));
		got = g_mime_stream_read(stream, (char *)buf->data + old, n);
		if (got < 0) {
			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
			    "%s: cannot read the content", msg->id);
			return NULL;
		}
		g_byte_array_set_size(buf, (guint)(old + (gsize)got));
		if (got == 0)
			break;
		if (stop_at_empty) {
			/* An empty line: "\n\n" or "\n\r\n", maybe across the
			 * chunk boundary; or one at the very start. */
			gsize from = old >= 2 ? old - 2 : 0;
			const guint8 *d = buf->data;

			if (buf->len > 0 &&
			    (d[0] == '\n' ||
			        (buf->len > 1 && d[0] == '\r' && d[1] == '\n')))
				break;
			for (gsize i = from; i + 1 < buf->len; i++) {
				if (d[i] != '\n')
					continue;
				if (d[i + 1] == '\n' ||
				    (i + 2 < buf->len && d[i + 1] == '\r' &&
				        d[i + 2] == '\n'))
					goto done;
			}
		}
	}
done:
	return g_steal_pointer(&buf);
}

/* The end of the line starting at @pos: the index after its LF, or @len. */
static gsize
headers_line_end(const char *p, gsize len, gsize pos)
{
	const char *lf = memchr(p + pos, '\n', len - pos);

	return lf != NULL ? (gsize)(lf - p) + 1 : len;
}

/*
 * The unfolded, trimmed value of the raw field (name, colon, value and
 * continuation lines) @raw.  (transfer full); *@out_len its length.
 */
static char *
headers_unfold(const char *raw, gsize len, gsize max, gsize *out_len)
{
	const char *colon = memchr(raw, ':', len);
	GString *out = g_string_new(NULL);
	gsize i;

	i = colon != NULL ? (gsize)(colon - raw) + 1 : len;
	/* Blanks and line ends before the value are not part of it. */
	while (i < len &&
	    (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\r' ||
	        raw[i] == '\n'))
		i++;
	for (; i < len && out->len < max; i++) {
		char c = raw[i];

		/* A line end, CRLF or LF; a bare CR is a byte of the value. */
		if (c == '\n') {
			/* The fold's tab reads as the space it stands for. */
			if (i + 1 < len && raw[i + 1] == '\t') {
				g_string_append_c(out, ' ');
				i++;
			}
			continue;
		}
		if (c == '\r' && i + 1 < len && raw[i + 1] == '\n')
			continue;
		g_string_append_c(out, c);
	}
	/* Trim blanks (and a CR before the final line end) at the end. */
	while (out->len > 0 &&
	    (out->str[out->len - 1] == ' ' || out->str[out->len - 1] == '\t' ||
	        out->str[out->len - 1] == '\r'))
		g_string_truncate(out, out->len - 1);
	*out_len = out->len;
	return g_string_free(out, FALSE);
}

char *
sg_report_header_value(SgMessage *msg, const char *name, gsize max, gsize *len)
{
	g_autoptr(GByteArray) buf =
	    headers_read(msg, SG_REPORT_HEADER_READ_MAX, TRUE, NULL);
	gsize name_len = strlen(name), pos = 0, n;
	const char *p;

	if (buf == NULL)
		return NULL;
	p = (const char *)buf->data;
	n = buf->len;
	/* An mbox "From " line first is no field. */
	if (n >= 5 && memcmp(p, "From ", 5) == 0)
		pos = headers_line_end(p, n, 0);
	while (pos < n) {
		gsize start = pos, end = headers_line_end(p, n, pos);
		const char *colon;

		if (p[pos] == '\n' ||
		    (p[pos] == '\r' && pos + 1 < n && p[pos + 1] == '\n'))
			return NULL; /* the empty line: no such field */
		/* The field's continuation lines. */
		while (end < n && (p[end] == ' ' || p[end] == '\t'))
			end = headers_line_end(p, n, end);
		pos = end;
		colon = memchr(p + start, ':', end - start);
		if (colon == NULL)
			continue;
		/* "Name:" or the obsolete "Name :". */
		{
			gsize nl = (gsize)(colon - (p + start));

			while (nl > 0 &&
			    (p[start + nl - 1] == ' ' ||
			        p[start + nl - 1] == '\t'))
				nl--;
			if (nl != name_len ||
			    g_ascii_strncasecmp(p + start, name, name_len) != 0)
				continue;
		}
		{
			gsize vlen = 0;
			char *v =
			    headers_unfold(p + start, end - start, max, &vlen);

			if (len != NULL)
				*len = vlen;
			return v;
		}
	}
	return NULL;
}

char *
sg_report_message_id(SgMessage *msg)
{
	gsize len = 0;
	g_autofree char *v = sg_report_header_value(msg, "Message-ID",
	    HEADERS_MESSAGE_ID_MAX, &len);

	if (v == NULL || len == 0)
		return NULL;
	return sg_report_text_safe_len(v, len, HEADERS_MESSAGE_ID_SHOWN);
}

gboolean
sg_report_inspect_values(SgMessage *msg, SgInspect *inspect, gsize max_bytes,
    GError **error)
{
	g_autoptr(GByteArray) buf = NULL;
	gsize need = 0;

	for (guint i = 0; i < inspect->headers->len; i++) {
		SgHeaderRow *h = g_ptr_array_index(inspect->headers, i);

		if (h->offset >= 0)
			need = MAX(need, (gsize)h->offset + h->length);
	}
	need = MIN(need, max_bytes);
	if (need == 0)
		return TRUE;
	buf = headers_read(msg, need, FALSE, error);
	if (buf == NULL)
		return FALSE;
	for (guint i = 0; i < inspect->headers->len; i++) {
		SgHeaderRow *h = g_ptr_array_index(inspect->headers, i);

		if (h->offset < 0 || (gsize)h->offset + h->length > buf->len)
			continue;
		g_free(h->value);
		h->value = headers_unfold((const char *)buf->data + h->offset,
		    h->length, G_MAXSIZE, &h->value_len);
	}
	return TRUE;
}
