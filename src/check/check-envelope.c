// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-envelope.c - the checks on what the spool reader found outside
 * the content: the envelope recipient count, the length of each envelope
 * address, and the size of the message as a whole.
 *
 * Addresses carry the file and offset where the reader found them, so
 * findings point into the spool file (a Postfix record, an IIS x-receiver
 * line), not into the content.  Each rule is listed for its first
 * SG_CHECK_REPORT_MAX addresses, then once as a summary with the count.
 * Nothing here allocates beyond the findings appended to the message.
 */
#include "config.h"

#include <string.h>

#include "check-private.h"

/* Primary file index for findings without a better place, or none. */
static guint
envelope_primary(SgMessage *msg)
{
	return msg->files->len > 0 ? 0 : G_MAXUINT;
}

static void
envelope_rcpt_count(SgMessage *msg, const SgProfile *profile)
{
	gint64 observed = (gint64)MIN(msg->rcpt_total, (guint64)G_MAXINT64);
	gint64 limit = SG_VALUE_NONE;
	SgSeverity sev = sg_profile_judge(profile, SG_RULE_ENVELOPE_RCPT_COUNT,
	    observed, &limit);
	guint file = envelope_primary(msg);
	goffset offset = SG_OFFSET_NONE;

	if (sev == SG_SEVERITY_IGNORE)
		return;
	/* Point at the first recipient past the limit when it was kept. */
	if (limit >= 0 && (guint64)limit < msg->recipients->len) {
		const SgAddress *a =
		    g_ptr_array_index(msg->recipients, (guint)limit);

		file = a->file;
		offset = a->offset;
	}
	sg_message_add_finding(msg, SG_RULE_ENVELOPE_RCPT_COUNT, sev, file,
	    offset, NULL, NULL, observed, limit,
	    "envelope recipients: %" G_GINT64_FORMAT " > %" G_GINT64_FORMAT,
	    observed, limit);
}

typedef struct {
	guint64 n;
	SgSeverity worst;
	gint64 max;
	const SgAddress *first_unlisted;
} EnvelopeTally;

static void
envelope_address(SgMessage *msg, const SgProfile *profile, const SgAddress *a,
    const char *role, EnvelopeTally *t)
{
	gint64 observed = (gint64)MIN(a->length, (gsize)G_MAXINT64);
	gint64 limit = SG_VALUE_NONE;
	SgSeverity sev = sg_profile_judge(profile,
	    SG_RULE_ENVELOPE_ADDRESS_LENGTH, observed, &limit);
	g_autofree char *shown = NULL;

	if (sev == SG_SEVERITY_IGNORE)
		return;
	if (t->n++ >= SG_CHECK_REPORT_MAX) {
		if (t->first_unlisted == NULL)
			t->first_unlisted = a;
		t->worst = MAX(t->worst, sev);
		t->max = MAX(t->max, observed);
		return;
	}
	shown = sg_escape_bytes(a->address, strlen(a->address), 40);
	sg_message_add_finding(msg, SG_RULE_ENVELOPE_ADDRESS_LENGTH, sev,
	    a->file, a->offset, NULL, NULL, observed, limit,
	    "envelope %s address bytes: %" G_GINT64_FORMAT
	    " > %" G_GINT64_FORMAT " (%s)",
	    role, observed, limit, shown);
}

void
sg_check_envelope(SgCheckContext *ctx, SgMessage *msg)
{
	const SgProfile *profile = sg_check_context_profile(ctx);
	EnvelopeTally t = { 0 };
	gint64 limit = SG_VALUE_NONE;

	envelope_rcpt_count(msg, profile);
	if (msg->sender != NULL)
		envelope_address(msg, profile, msg->sender, "sender", &t);
	for (guint i = 0; i < msg->recipients->len; i++)
		envelope_address(msg, profile,
		    g_ptr_array_index(msg->recipients, i), "recipient", &t);
	if (msg->rcpt_dropped_longest != NULL)
		envelope_address(msg, profile, msg->rcpt_dropped_longest,
		    "recipient", &t);
	if (t.first_unlisted == NULL)
		return;
	sg_profile_judge(profile, SG_RULE_ENVELOPE_ADDRESS_LENGTH, t.max,
	    &limit);
	sg_message_add_finding(msg, SG_RULE_ENVELOPE_ADDRESS_LENGTH, t.worst,
	    t.first_unlisted->file, t.first_unlisted->offset, NULL, NULL, t.max,
	    limit,
	    "%" G_GUINT64_FORMAT " more envelope addresses over the limit, "
	    "not listed (longest %" G_GINT64_FORMAT ")",
	    t.n - SG_CHECK_REPORT_MAX, t.max);
}

void
sg_check_size(SgCheckContext *ctx, SgMessage *msg)
{
	const SgProfile *profile = sg_check_context_profile(ctx);
	gint64 size = msg->content_size >= 0 ? msg->content_size
	                                     : sg_message_total_size(msg);
	gint64 limit = SG_VALUE_NONE;
	SgSeverity sev =
	    sg_profile_judge(profile, SG_RULE_MESSAGE_SIZE, size, &limit);

	if (sev == SG_SEVERITY_IGNORE)
		return;
	sg_message_add_finding(msg, SG_RULE_MESSAGE_SIZE, sev,
	    envelope_primary(msg), SG_OFFSET_NONE, NULL, NULL, size, limit,
	    "message bytes: %" G_GINT64_FORMAT " > %" G_GINT64_FORMAT, size,
	    limit);
}
