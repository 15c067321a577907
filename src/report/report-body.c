// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report-body.c - the start of each leaf MIME part's body, decoded, for
 * `inspect --body` (what `postcat -b` shows, part by part).
 *
 * The content is parsed by GMime over the message's content stream (a
 * window on the spool file, never a copy); each leaf part's body is read
 * through GMime's decoders: the transfer encoding (base64,
 * quoted-printable, uuencode) and, for text parts, the declared charset
 * into UTF-8.  At most @max_bytes decoded bytes are read from a part and
 * at most @max_parts parts are shown, so a 1 GiB attachment costs no more
 * than a small one.  The tree is walked with an explicit stack, in the
 * order and with the part paths ("1", "1.2", "1.2.1") of inspect's MIME
 * table.  Parts that are not text are named with their type and size but
 * not shown.  Rows go to SgInspect.bodies; they belong to the inspect.
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"

#include "report-private.h"

/* Objects visited at most, whatever the message holds. */
#define BODY_VISIT_MAX 10000

static void
body_row_free(gpointer data)
{
	SgBodyRow *row = data;

	g_free(row->path);
	g_free(row->content_type);
	g_free(row->charset);
	g_free(row->text);
	g_free(row->note);
	g_free(row);
}

/* TRUE for charsets that are UTF-8 already (ASCII is a subset). */
static gboolean
body_charset_is_utf8(const char *cs)
{
	return g_ascii_strcasecmp(cs, "utf-8") == 0 ||
	    g_ascii_strcasecmp(cs, "utf8") == 0 ||
	    g_ascii_strcasecmp(cs, "us-ascii") == 0 ||
	    g_ascii_strcasecmp(cs, "ascii") == 0;
}

/* Reads at most @max decoded bytes of @part into @row. */
static void
body_read_part(GMimePart *part, SgBodyRow *row, gboolean text, gsize max)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *raw;
	g_autoptr(GMimeStream) filtered = NULL;
	GMimeContentEncoding enc;
	g_autofree char *buf = NULL;
	gsize got = 0;

	if (content == NULL ||
	    (raw = g_mime_data_wrapper_get_stream(content)) == NULL) {
		row->note = g_strdup("no content");
		return;
	}
	if (!text) {
		gint64 len = g_mime_stream_length(raw);

		row->note = len >= 0
		    ? g_strdup_printf("not text: %" G_GINT64_FORMAT
		                      " encoded bytes, not shown",
		          len)
		    : g_strdup("not text, not shown");
		return;
	}
	g_mime_stream_reset(raw);
	filtered = g_mime_stream_filter_new(raw);
	enc = g_mime_data_wrapper_get_encoding(content);
	if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
	    enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE) {
		g_autoptr(GMimeFilter) dec =
		    g_mime_filter_basic_new(enc, FALSE);

		g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), dec);
	}
	if (row->charset != NULL && !body_charset_is_utf8(row->charset)) {
		g_autoptr(GMimeFilter) cs =
		    g_mime_filter_charset_new(row->charset, "UTF-8");

		if (cs != NULL)
			g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered),
			    cs);
		else
			row->note = g_strdup_printf("charset %s unknown: "
			                            "the bytes as they are",
			    row->charset);
	}
	/* One byte more than shown says whether there is more. */
	buf = g_malloc(max + 1);
	while (got < max + 1) {
		ssize_t n =
		    g_mime_stream_read(filtered, buf + got, max + 1 - got);

		if (n <= 0)
			break;
		got += (gsize)n;
	}
	row->truncated = got > max;
	row->text_len = MIN(got, max);
	row->text = g_steal_pointer(&buf);
}

typedef struct {
	GMimeObject *obj;
	char *path;
} BodyFrame;

gboolean
sg_report_inspect_bodies(SgMessage *msg, SgInspect *inspect, guint max_parts,
    gsize max_bytes, GError **error)
{
	g_autoptr(GMimeStream) stream = sg_message_open_content(msg, error);
	g_autoptr(GMimeParser) parser = NULL;
	g_autoptr(GMimeMessage) message = NULL;
	g_autoptr(GArray) stack = NULL;
	guint visited = 0;

	if (stream == NULL)
		return FALSE;
	if (inspect->bodies == NULL)
		inspect->bodies = g_ptr_array_new_with_free_func(body_row_free);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	message = g_mime_parser_construct_message(parser, NULL);
	if (message == NULL || g_mime_message_get_mime_part(message) == NULL)
		return TRUE; /* nothing GMime calls a body */
	stack = g_array_new(FALSE, FALSE, sizeof(BodyFrame));
	{
		BodyFrame top = { g_mime_message_get_mime_part(message),
			g_strdup("1") };

		g_array_append_val(stack, top);
	}
	while (stack->len > 0) {
		BodyFrame f = g_array_index(stack, BodyFrame, stack->len - 1);
		g_autofree char *path = f.path;

		g_array_set_size(stack, stack->len - 1);
		if (++visited > BODY_VISIT_MAX ||
		    inspect->bodies->len >= max_parts) {
			inspect->bodies_capped = TRUE;
			continue; /* frees what is left of the stack */
		}
		if (GMIME_IS_MULTIPART(f.obj)) {
			GMimeMultipart *mp = GMIME_MULTIPART(f.obj);
			int n = g_mime_multipart_get_count(mp);

			/* Pushed last to first: popped in order. */
			for (int i = n - 1; i >= 0; i--) {
				BodyFrame c = { g_mime_multipart_get_part(mp,
					            i),
					g_strdup_printf("%s.%d", path, i + 1) };

				g_array_append_val(stack, c);
			}
		} else if (GMIME_IS_MESSAGE_PART(f.obj)) {
			GMimeMessage *inner = g_mime_message_part_get_message(
			    GMIME_MESSAGE_PART(f.obj));
			GMimeObject *body = inner != NULL
			    ? g_mime_message_get_mime_part(inner)
			    : NULL;

			if (body != NULL) {
				BodyFrame c = { body,
					g_strdup_printf("%s.1", path) };

				g_array_append_val(stack, c);
			}
		} else if (GMIME_IS_PART(f.obj)) {
			GMimeContentType *ct =
			    g_mime_object_get_content_type(f.obj);
			SgBodyRow *row = g_new0(SgBodyRow, 1);
			const char *cs;
			gboolean text;

			row->path = g_strdup(path);
			row->content_type = ct != NULL
			    ? g_mime_content_type_get_mime_type(ct)
			    : g_strdup("text/plain");
			text = ct == NULL ||
			    g_mime_content_type_is_type(ct, "text", "*");
			cs = ct != NULL
			    ? g_mime_content_type_get_parameter(ct, "charset")
			    : NULL;
			row->charset = g_strdup(cs);
			body_read_part(GMIME_PART(f.obj), row, text, max_bytes);
			g_ptr_array_add(inspect->bodies, row);
		}
	}
	return TRUE;
}
