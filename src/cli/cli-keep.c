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

/* The envelope in a log line: from=<...> nrcpt=N queue_id=... */
static char *
keep_log_envelope(const SgEnvelope *env)
{
	return g_strdup_printf("from=<%s> nrcpt=%u queue_id=%s", env->sender,
	    env->recipients->len, env->queue_id != NULL ? env->queue_id : "-");
}

char *
sg_cli_keep(const char *store_dir, SgMessage *msg, const SgEnvelope *env,
    const SgProfile *profile, GError **error)
{
	g_autoptr(SgStore) store = sg_store_open(store_dir, TRUE, error);
	g_autofree char *rules = sg_report_rules(msg, SG_SEVERITY_QUARANTINE);
	g_autofree char *who = keep_log_envelope(env);
	g_autofree char *id = NULL;

	sg_report_syslog_open();
	if (store == NULL ||
	    !sg_store_keep(store, msg, env, profile, &id, error)) {
		g_prefix_error(error, "cannot keep the rejected message: ");
		sg_report_syslog_line(LOG_ERR, "%s: not kept: %s %s: %s",
		    msg->id, who, rules, (*error)->message);
		return NULL;
	}
	sg_report_syslog_line(LOG_NOTICE,
	    "%s: kept as %s (%s) %s rules=%s size=%" G_GINT64_FORMAT, msg->id,
	    id, env->received_by, who, rules[0] != '\0' ? rules : "-",
	    (gint64)msg->content_size);
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

static int G_GNUC_PRINTF(3, 4)
    keep_refuse(const char *id, int rc, const char *fmt, ...)
{
	g_autofree char *why = NULL;
	va_list ap;

	va_start(ap, fmt);
	why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	sg_cli_warn("quarantine release: %s", why);
	sg_report_syslog_line(LOG_WARNING, "%s: release refused: %s", id, why);
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
	g_autofree char *who = keep_log_envelope(env);
	g_autofree char *reason = NULL;
	g_autofree char *shown = NULL;
	SgJudgement judgement;
	int status = -1;

	sg_report_syslog_open();
	argv = sg_envelope_reinject_argv(env,
	    command != NULL ? command : SG_REINJECT_DEFAULT, &error);
	if (argv == NULL)
		return keep_refuse(id,
		    env->recipients->len == 0 ? EX_DATAERR : EX_USAGE, "%s: %s",
		    id, error->message);
	/* Judged again, as it is now and by the profile in force now. */
	ctx = sg_check_context_new(profile, &error);
	if (ctx != NULL)
		msg = sg_store_open_stored(store, id, profile, &error);
	if (msg == NULL)
		return keep_refuse(id, keep_exit(error), "%s", error->message);
	sg_cli_envelope_apply(env, msg);
	judgement = sg_cli_judge(ctx, msg, &error);
	if (judgement == SG_JUDGE_TEMPFAIL)
		return keep_refuse(id, EX_TEMPFAIL,
		    "%s: cannot re-check it: %s", id, error->message);
	if (judgement == SG_JUDGE_REJECT) {
		reason = sg_cli_reason(msg, 400);
		if (!force)
			return keep_refuse(id, EX_DATAERR,
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
		sg_report_syslog_line(LOG_ERR,
		    "%s: release failed: %s %s: %s; the entry stays", id, who,
		    shown, error->message);
		return rc;
	}
	sg_report_syslog_line(LOG_NOTICE,
	    "%s: released by reinjection%s: %s %s", id,
	    reason != NULL ? " (forced)" : "", who, argv[0]);
	printf("released %s to the MTA (%u recipient%s)%s%s\n", id,
	    env->recipients->len, env->recipients->len == 1 ? "" : "s",
	    reason != NULL ? ", forced past " : "",
	    reason != NULL ? reason : "");
	return 0;
}
