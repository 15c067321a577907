// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-run.c - sg_check_message: every check on one opened message, in
 * order: envelope, message size, the header block, then the MIME structure
 * and content; and the header check's driver, which reads the content into
 * the header scan (check-headers.c) in HEADERS_CHUNK pieces.
 *
 * The MIME checks are skipped when the header scan found that the content
 * is not a message at all (empty, zero-filled, binary, no header block):
 * parsing it would only add noise.  FALSE only when the content could not
 * be read; findings, not errors, describe bad input.
 */
#include "config.h"

#include <errno.h>

#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"

#include "check-private.h"

#define HEADERS_CHUNK 65536 /* one read from the content stream */

gboolean
sg_check_headers_summary(SgCheckContext *ctx, SgMessage *msg,
    SgInspect *inspect, SgHeaderSummary *summary, GError **error)
{
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(SgHeaderScan) scan = NULL;
	g_autofree char *buf = NULL;

	stream = sg_message_open_content(msg, error);
	if (stream == NULL)
		return FALSE;
	scan = sg_header_scan_new(sg_check_context_profile(ctx), msg, inspect);
	buf = g_malloc(HEADERS_CHUNK);
	for (;;) {
		ssize_t n = g_mime_stream_read(stream, buf, HEADERS_CHUNK);

		if (n < 0) {
			int saved = errno;

			g_set_error(error, SG_CHECK_ERROR, SG_CHECK_ERROR_IO,
			    "%s: cannot read the content: %s", msg->id,
			    g_strerror(saved));
			return FALSE;
		}
		if (n == 0 || !sg_header_scan_feed(scan, buf, (gsize)n))
			break;
	}
	sg_header_scan_finish(scan, summary);
	return TRUE;
}

gboolean
sg_check_headers(SgCheckContext *ctx, SgMessage *msg, SgInspect *inspect,
    GError **error)
{
	return sg_check_headers_summary(ctx, msg, inspect, NULL, error);
}

gboolean
sg_check_message(SgCheckContext *ctx, SgMessage *msg, SgInspect *inspect,
    GError **error)
{
	SgHeaderSummary headers = { 0 };

	sg_check_envelope(ctx, msg);
	sg_check_size(ctx, msg);
	if (!sg_check_headers_summary(ctx, msg, inspect, &headers, error))
		return FALSE;
	if (headers.not_a_message)
		return TRUE;
	return sg_check_mime(ctx, msg, inspect, error);
}
