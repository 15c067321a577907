// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli-judge.c - the one decision a pre-delivery hook makes, shared by
 * `spoolguard check` and `spoolguard milter`: run every check on an opened
 * message, then accept, reject (a finding at severity quarantine) or
 * tempfail (the content could not be read), and the reason as one line.
 *
 * The reason is the first blocking finding, "rule.id: text", in printable
 * ASCII only (anything else becomes '?'), without CR or LF, cut at a
 * length the caller gives: fit for an SMTP reply, a DSN or an MTA's log.
 * Returned strings belong to the caller.  A checker is a profile with
 * the check context made for it.
 */
#include "config.h"

#include <string.h>

#include "spoolguard/check.h"

#include "cli-private.h"

SgJudgement
sg_cli_judgement(const SgMessage *msg)
{
	return msg->verdict >= SG_SEVERITY_QUARANTINE ? SG_JUDGE_REJECT
	                                              : SG_JUDGE_ACCEPT;
}

SgJudgement
sg_cli_judge(SgCheckContext *ctx, SgMessage *msg, GError **error)
{
	if (!sg_check_message(ctx, msg, NULL, error))
		return SG_JUDGE_TEMPFAIL;
	return sg_cli_judgement(msg);
}

char *
sg_cli_reason(SgMessage *msg, gsize max)
{
	const SgFinding *first = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	const char *text;
	gsize len;

	for (guint i = 0; i < msg->findings->len && first == NULL; i++) {
		const SgFinding *f = g_ptr_array_index(msg->findings, i);

		if (f->severity >= SG_SEVERITY_QUARANTINE)
			first = f;
	}
	if (first == NULL)
		return NULL;
	g_string_append(out, sg_rule_id(first->rule));
	g_string_append(out, ": ");
	text = first->text != NULL ? first->text : "";
	len = strlen(text);
	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)text[i];

		g_string_append_c(out, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	if (max >= 4 && out->len > max) {
		g_string_truncate(out, max - 3);
		g_string_append(out, "...");
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

SgCliChecker *
sg_cli_checker_new(SgProfile *profile, GError **error)
{
	SgCliChecker *c = g_new0(SgCliChecker, 1);

	c->profile = profile;
	c->ctx = sg_check_context_new(profile, error);
	if (c->ctx == NULL) {
		sg_cli_checker_free(c);
		return NULL;
	}
	return c;
}

void
sg_cli_checker_free(gpointer checker)
{
	SgCliChecker *c = checker;

	if (c == NULL)
		return;
	if (c->ctx != NULL)
		sg_check_context_free(c->ctx);
	sg_profile_unref(c->profile);
	g_free(c);
}
