// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-check.c - spoolguard check: judge one message for a pre-delivery
 * hook.  Reads FILE, or standard input ("-" or nothing), runs every check
 * and answers with the exit code an MTA understands: 0 accept, 65
 * (EX_DATAERR) reject, 75 (EX_TEMPFAIL) could not decide, so retry.
 * Nothing is moved.  The findings go to standard output (or only the
 * reason for a rejection, one line, with -Q), so that the MTA can quote
 * them.  The decision is sg_cli_judge's, the milter's too.
 * Standard input is copied into a temporary file without a name, at most
 * the profile's hard limit for message.size: one byte more and reading
 * stops, the rest stays unread (an MTA's pipe delivery sees a broken pipe,
 * which Postfix's pipe(8) and Exim's pipe transport ignore, and takes the
 * exit status), and the answer is a message.size finding and 65.
 * With --store, a message it rejects is kept in the quarantine store with
 * its envelope (-S, -R, --queue-id, --client) and report before the 65:
 * one that cannot be kept is answered 75 instead, so that the MTA keeps
 * it; one read only in part (over message.size) cannot be kept and is
 * rejected all the same.  -S and -R also give the checks the envelope.
 * A rejection, and a message that could not be judged, is logged on the
 * mail facility (report-syslog.c) unless --no-syslog, starting with the
 * queue id an MTA's filter passes with --queue-id.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "spoolguard/check.h"
#include "spoolguard/quarantine.h"
#include "spoolguard/report.h"
#include "spoolguard/spool.h"

#include "cli-private.h"

/* [A-Za-z0-9_-], 1 to 64: what Postfix and Exim queue ids are made of. */
static gboolean
check_queue_id_ok(const char *id)
{
	gsize len = strlen(id);

	if (len == 0 || len > 64)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isalnum(id[i]) && id[i] != '_' && id[i] != '-')
			return FALSE;
	}
	return TRUE;
}

int
sg_cmd_check(int argc, char **argv)
{
	g_autofree char *profile_name = NULL;
	g_autofree char *rules_path = NULL;
	g_autofree char *format_s = NULL;
	g_autofree char *queue_id = NULL;
	g_auto(GStrv) files = NULL;
	g_autofree char *store_opt = NULL;
	g_autofree char *sender = NULL;
	g_autofree char *client = NULL;
	g_auto(GStrv) rcpts = NULL;
	g_autoptr(SgEnvelope) env = NULL;
	g_autofree char *kept = NULL;
	gboolean store = FALSE;
	gboolean quiet = FALSE, verbose = FALSE, over = FALSE;
	gboolean stdin_used = FALSE, no_syslog = FALSE;
	SgJudgement judgement = SG_JUDGE_TEMPFAIL;
	g_autoptr(SgProfile) profile = NULL;
	g_autoptr(SgCheckContext) ctx = NULL;
	g_autoptr(SgMessage) msg = NULL;
	g_autoptr(GError) error = NULL;
	SgReportFormat format = SG_REPORT_TEXT;
	SgOutcome outcome = { .action = "none" };
	const char *path;
	int rc = 0;
	const GOptionEntry entries[] = {
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &profile_name,
		    "Judge with this profile (default: default)", "PROFILE" },
		{ "rules", 'r', 0, G_OPTION_ARG_FILENAME, &rules_path,
		    "Judge with this rules file", "FILE" },
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &format_s,
		    "Output: text (default) or json", "FORMAT" },
		{ "quiet", 'Q', 0, G_OPTION_ARG_NONE, &quiet,
		    "Print one line: the reason for a rejection", NULL },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
		    "With -Q, the full report on standard error too", NULL },
		{ "store", 0, 0, G_OPTION_ARG_NONE, &store,
		    "Keep a rejected message in the quarantine store", NULL },
		{ "quarantine", 'q', 0, G_OPTION_ARG_FILENAME, &store_opt,
		    "Quarantine store (default: " SG_QUARANTINE_DEFAULT_DIR ")",
		    "DIR" },
		{ "sender", 'S', 0, G_OPTION_ARG_STRING, &sender,
		    "Envelope sender (\"\" or <> for the null sender)",
		    "ADDR" },
		{ "recipient", 'R', 0, G_OPTION_ARG_STRING_ARRAY, &rcpts,
		    "Envelope recipient (once for each)", "ADDR" },
		{ "client", 0, 0, G_OPTION_ARG_STRING, &client,
		    "The SMTP client, for the store", "TEXT" },
		{ "no-syslog", 0, 0, G_OPTION_ARG_NONE, &no_syslog,
		    "Do not log rejections to syslog (mail facility)", NULL },
		{ "queue-id", 0, 0, G_OPTION_ARG_STRING, &queue_id,
		    "The MTA's queue id of the message, for the log line",
		    "ID" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files,
		    NULL, "[FILE|-]" },
		{ NULL },
	};
	g_autoptr(GOptionContext) octx =
	    g_option_context_new("- judge one message");

	g_option_context_add_main_entries(octx, entries, NULL);
	g_option_context_set_description(octx,
	    "Exit status: 0 accept, 65 reject (with --store: kept), 75 could "
	    "not\ndecide or not keep it (retry), 64 usage, 78 bad rules file.  "
	    "See\nspoolguard(1).");
	rc = sg_cli_parse(octx, entries, &argc, &argv);
	if (rc != 0)
		return rc;
	if (files != NULL && files[0] != NULL && files[1] != NULL) {
		sg_cli_warn("check: one message at a time");
		return EX_USAGE;
	}
	if (format_s != NULL &&
	    !sg_report_format_from_string(format_s, &format)) {
		sg_cli_warn("check: unknown format '%s'", format_s);
		return EX_USAGE;
	}
	/* Postfix's and Exim's alphabets; it goes into a log line. */
	if (queue_id != NULL && !check_queue_id_ok(queue_id)) {
		sg_cli_warn("check: '%s' is not a queue id", queue_id);
		return EX_USAGE;
	}
	if (!sg_cli_store_option_ok(store_opt))
		return EX_USAGE;
	env = sg_cli_envelope("check", sender, rcpts, queue_id, client, &rc);
	if (env == NULL)
		return rc;
	profile = sg_cli_load_profile(profile_name, rules_path, &rc);
	if (profile == NULL)
		return rc;
	path = files != NULL && files[0] != NULL ? files[0] : "-";
	ctx = sg_check_context_new(profile, &error);
	if (ctx != NULL && strcmp(path, "-") == 0) {
		gint64 max = sg_cli_stdin_max(profile);
		int fd = sg_cli_spool_stdin(max, &over, &error);

		stdin_used = TRUE;
		if (fd >= 0)
			msg = sg_cli_open_stdin(fd, profile, max, over, &error);
	} else if (ctx != NULL) {
		msg = sg_cli_open_one(path, profile, &error);
	}
	if (msg != NULL && (sender != NULL || rcpts != NULL))
		sg_cli_envelope_apply(env, msg);
	/* Over message.size, the size finding alone decides. */
	if (msg != NULL)
		judgement = over ? sg_cli_judgement(msg)
		                 : sg_cli_judge(ctx, msg, &error);
	if (msg != NULL && store && judgement == SG_JUDGE_REJECT && over) {
		sg_cli_warn(
		    "check: %s: not kept: only its first %" G_GINT64_FORMAT
		    " bytes were read (message.size)",
		    msg->id, sg_cli_stdin_max(profile));
	} else if (msg != NULL && store && judgement == SG_JUDGE_REJECT) {
		kept = sg_cli_keep(sg_cli_store_dir(store_opt), msg, env,
		    profile, &error);
		if (kept == NULL) {
			sg_cli_warn("check: %s", error->message);
			return EX_TEMPFAIL;
		}
	}
	if (judgement == SG_JUDGE_TEMPFAIL)
		g_clear_pointer(&msg, sg_message_free);
	if (msg == NULL) {
		rc = stdin_used ? EX_TEMPFAIL : sg_cli_exit_for_error(error);
		sg_cli_warn("check: %s", error->message);
		if (!no_syslog && rc == EX_TEMPFAIL) {
			sg_report_syslog_open();
			sg_report_syslog_line(LOG_ERR,
			    "%s: check: cannot decide, the MTA will retry: %s",
			    queue_id != NULL ? queue_id : path, error->message);
		}
		return rc;
	}
	if (queue_id != NULL) {
		g_free(msg->queue_id);
		msg->queue_id = g_steal_pointer(&queue_id);
	}
	outcome.action = judgement == SG_JUDGE_REJECT ? "reject" : "accept";
	outcome.store_id = kept;
	/* A rejection is an action: it goes to the mail log. */
	if (!no_syslog && judgement == SG_JUDGE_REJECT) {
		sg_report_syslog_open();
		sg_report_syslog_action(msg, &outcome);
	}
	if (quiet && judgement == SG_JUDGE_REJECT) {
		g_autofree char *reason = sg_cli_reason(msg, 400);

		printf("%s\n", reason);
	}
	if (!quiet || verbose)
		sg_report_write_message(quiet ? stderr : stdout, format, msg,
		    profile, NULL, &outcome);
	return judgement == SG_JUDGE_REJECT ? EX_DATAERR : 0;
}
