// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli-keep.c - keeping what a pre-delivery hook rejects, and giving it
 * back: the part of `check --store`, `milter --store` and `quarantine
 * release` that is the command line's (the envelope from options, exit
 * codes, syslog), over sg_store_keep() and sg_store_reinject().
 *
 * A release of a kept message re-checks it first with the profile in
 * force now (-p, -r, the configuration): one that still breaks a hard
 * limit is refused with the rule and the reason (65) unless --force.
 * Then the reinjection command (--reinject, default "sendmail -G -i")
 * reads it with "-f SENDER -- RCPT..." appended; the entry goes only
 * when the command exits 0 (else 75, the entry stays).  Every keep and
 * every release, refused, failed or done, is logged on syslog (mail).
 */
#include "config.h"

#include <string.h>
#include <syslog.h>

#include "spoolguard/quarantine.h"
#include "spoolguard/report.h"

#include "cli-private.h"

SgEnvelope *
sg_cli_envelope(const char *received_by, const char *sender, char *const *rcpts,
    const char *queue_id, const char *client, int *exit_code)
{
	g_autoptr(SgEnvelope) env = sg_envelope_new(received_by);
	g_autoptr(GError) error = NULL;

	if (sender != NULL &&
	    !sg_envelope_set_sender(env, sender, strlen(sender), &error)) {
		sg_cli_warn("%s: --sender: %s", received_by, error->message);
		*exit_code = EX_USAGE;
		return NULL;
	}
	for (guint i = 0; rcpts != NULL && rcpts[i] != NULL; i++) {
		if (!sg_envelope_add_recipient(env, rcpts[i], strlen(rcpts[i]),
		        &error)) {
			sg_cli_warn("%s: --recipient: %s", received_by,
			    error->message);
			*exit_code = EX_USAGE;
			return NULL;
		}
	}
	env->queue_id = g_strdup(queue_id);
	env->client = g_strdup(client);
	return g_steal_pointer(&env);
}

void
sg_cli_envelope_apply(const SgEnvelope *env, SgMessage *msg)
{
	sg_message_set_sender(msg, env->sender, strlen(env->sender), G_MAXUINT,
	    SG_OFFSET_NONE);
	for (guint i = 0; i < env->recipients->len; i++) {
		const char *r = g_ptr_array_index(env->recipients, i);

		sg_message_add_recipient(msg, r, strlen(r), G_MAXUINT,
		    SG_OFFSET_NONE);
	}
}

/*
 * One log line about a kept entry, in the form every other action line
 * has: "ID: from=<s>, nrcpt=N, action=..., rules=..., store=S, ...", ID
 * the MTA's queue id where the envelope has one.
 */
static void
keep_log(int priority, const SgEnvelope *env, const char *fallback_id,
    gint64 size, const char *action, const char *rules, const char *store_id,
    const char *reason, const char *error)
{
	SgLogFields f = {
		.id = env->queue_id != NULL ? env->queue_id : fallback_id,
		.sender = env->sender,
		.size = size,
		.nrcpt = (gint64)env->recipients->len,
		.action = action,
		.rules = rules,
		.store_id = store_id,
		.reason = reason,
		.error = error,
	};
	g_autofree char *line = sg_report_log_line(&f);

	sg_report_syslog_line(priority, "%s", line);
}

char *
sg_cli_keep(const char *store_dir, SgMessage *msg, const SgEnvelope *env,
    const SgProfile *profile, GError **error)
{
	g_autoptr(SgStore) store = sg_store_open(store_dir, TRUE, error);
	g_autofree char *rules = sg_report_rules(msg, SG_SEVERITY_QUARANTINE);
	g_autofree char *id = NULL;

	sg_report_syslog_open();
	if (store == NULL ||
	    !sg_store_keep(store, msg, env, profile, &id, error)) {
		g_prefix_error(error, "cannot keep the rejected message: ");
		keep_log(LOG_ERR, env, msg->id, (gint64)msg->content_size,
		    "not-kept", rules, NULL, NULL, (*error)->message);
		return NULL;
	}
	keep_log(LOG_NOTICE, env, msg->id, (gint64)msg->content_size, "kept",
	    rules, id, env->received_by, NULL);
	return g_steal_pointer(&id);
}

/* A sysexits code for a store error of a release. */
static int
keep_exit(const GError *error)
{
	if (g_error_matches(error, SG_QUARANTINE_ERROR,
	        SG_QUARANTINE_ERROR_NOT_FOUND))
		return EX_NOINPUT;
	if (g_error_matches(error, SG_QUARANTINE_ERROR,
	        SG_QUARANTINE_ERROR_CORRUPT) ||
	    g_error_matches(error, SG_QUARANTINE_ERROR,
	        SG_QUARANTINE_ERROR_INVALID))
		return EX_DATAERR;
	return EX_TEMPFAIL;
}

static int G_GNUC_PRINTF(4, 5) keep_refuse(const char *id,
    const SgEnvelope *env, int rc, const char *fmt, ...)
{
	g_autofree char *why = NULL;
	va_list ap;

	va_start(ap, fmt);
	why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	sg_cli_warn("quarantine release: %s", why);
	keep_log(LOG_WARNING, env, id, -1, "release-refused", NULL, id, why,
	    NULL);
	return rc;
}

int
sg_cli_release_kept(SgStore *store, const char *id, const SgEnvelope *env,
    const SgProfile *profile, const char *command, gboolean force)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgCheckContext) ctx = NULL;
	g_autoptr(SgMessage) msg = NULL;
	g_auto(GStrv) argv = NULL;
	g_autofree char *reason = NULL;
	g_autofree char *shown = NULL;
	g_autofree char *note = NULL;
	SgJudgement judgement;
	int status = -1;

	sg_report_syslog_open();
	argv = sg_envelope_reinject_argv(env,
	    command != NULL ? command : SG_REINJECT_DEFAULT, &error);
	if (argv == NULL)
		return keep_refuse(id, env,
		    env->recipients->len == 0 ? EX_DATAERR : EX_USAGE, "%s: %s",
		    id, error->message);
	/* Judged again, as it is now and by the profile in force now. */
	ctx = sg_check_context_new(profile, &error);
	if (ctx != NULL)
		msg = sg_store_open_stored(store, id, profile, &error);
	if (msg == NULL)
		return keep_refuse(id, env, keep_exit(error), "%s",
		    error->message);
	sg_cli_envelope_apply(env, msg);
	judgement = sg_cli_judge(ctx, msg, &error);
	if (judgement == SG_JUDGE_TEMPFAIL)
		return keep_refuse(id, env, EX_TEMPFAIL,
		    "%s: cannot re-check it: %s", id, error->message);
	if (judgement == SG_JUDGE_REJECT) {
		reason = sg_cli_reason(msg, 400);
		if (!force)
			return keep_refuse(id, env, EX_DATAERR,
			    "%s: still breaks a hard limit of profile %s: %s; "
			    "not released (--force gives it back anyway)",
			    id, sg_profile_name(profile), reason);
	}
	g_clear_pointer(&msg, sg_message_free);
	shown = g_strjoinv(" ", argv);
	if (!sg_store_reinject(store, id, argv, &status, &error)) {
		int rc = g_error_matches(error, SG_QUARANTINE_ERROR,
		             SG_QUARANTINE_ERROR_REINJECT)
		    ? EX_TEMPFAIL
		    : keep_exit(error);

		sg_cli_warn("quarantine release: %s: %s; the entry stays", id,
		    error->message);
		note = g_strdup_printf("%s; the entry stays", error->message);
		keep_log(LOG_ERR, env, id, -1, "release-failed", NULL, id,
		    shown, note);
		return rc;
	}
	note = g_strdup_printf("reinjected with %s%s%s", argv[0],
	    reason != NULL ? ", forced past " : "",
	    reason != NULL ? reason : "");
	keep_log(LOG_NOTICE, env, id, -1, "released", NULL, id, note, NULL);
	printf("released %s to the MTA (%u recipient%s)%s%s\n", id,
	    env->recipients->len, env->recipients->len == 1 ? "" : "s",
	    reason != NULL ? ", forced past " : "",
	    reason != NULL ? reason : "");
	return 0;
}
