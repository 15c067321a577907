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

/* The command line of check, as GOption fills it. */
typedef struct {
	char *profile_name;
	char *rules_path;
	char *format_s;
	char *queue_id;
	char *store_opt;
	char *sender;
	char *client;
	char **rcpts;
	char **files;
	gboolean store, quiet, verbose, no_syslog;
} CheckArgs;

static void
check_args_clear(CheckArgs *a)
{
	g_free(a->profile_name);
	g_free(a->rules_path);
	g_free(a->format_s);
	g_free(a->queue_id);
	g_free(a->store_opt);
	g_free(a->sender);
	g_free(a->client);
	g_strfreev(a->rcpts);
	g_strfreev(a->files);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CheckArgs, check_args_clear)

/* One message, judged. */
typedef struct {
	SgProfile *profile;
	SgReportFormat format;
	const char *path; /* FILE, or "-" */
	gboolean stdin_used;
	gboolean over; /* standard input went past message.size */
	SgMessage *msg;
	SgJudgement judgement;
	char *kept; /* the store id of the kept copy, or NULL */
} Check;

static void
check_clear(Check *c)
{
	g_clear_pointer(&c->msg, sg_message_free);
	g_clear_pointer(&c->profile, sg_profile_unref);
	g_free(c->kept);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Check, check_clear)

/* The option table of check, pointing into @a. Returns: (transfer full). */
static GOptionEntry *
check_option_entries(CheckArgs *a)
{
	const GOptionEntry entries[] = {
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &a->profile_name,
		    "Judge with this profile (default: default)", "PROFILE" },
		{ "rules", 'r', 0, G_OPTION_ARG_FILENAME, &a->rules_path,
		    "Judge with this rules file", "FILE" },
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &a->format_s,
		    "Output: text (default) or json", "FORMAT" },
		{ "quiet", 'Q', 0, G_OPTION_ARG_NONE, &a->quiet,
		    "Print one line: the reason for a rejection", NULL },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &a->verbose,
		    "With -Q, the full report on standard error too", NULL },
		{ "store", 0, 0, G_OPTION_ARG_NONE, &a->store,
		    "Keep a rejected message in the quarantine store", NULL },
		{ "quarantine", 'q', 0, G_OPTION_ARG_FILENAME, &a->store_opt,
		    "Quarantine store (default: " SG_QUARANTINE_DEFAULT_DIR ")",
		    "DIR" },
		{ "sender", 'S', 0, G_OPTION_ARG_STRING, &a->sender,
		    "Envelope sender (\"\" or <> for the null sender)",
		    "ADDR" },
		{ "recipient", 'R', 0, G_OPTION_ARG_STRING_ARRAY, &a->rcpts,
		    "Envelope recipient (once for each)", "ADDR" },
		{ "client", 0, 0, G_OPTION_ARG_STRING, &a->client,
		    "The SMTP client, for the store", "TEXT" },
		{ "no-syslog", 0, 0, G_OPTION_ARG_NONE, &a->no_syslog,
		    "Do not log rejections to syslog (mail facility)", NULL },
		{ "queue-id", 0, 0, G_OPTION_ARG_STRING, &a->queue_id,
		    "The MTA's queue id of the message, for the log line",
		    "ID" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY,
		    &a->files, NULL, "[FILE|-]" },
		{ NULL },
	};

	return g_memdup2(entries, sizeof entries);
}

/* Parses the command line into @a and checks what can be checked
 * before the profile; @c->format too. Returns 0 or the exit status. */
static int
check_parse_command_line(CheckArgs *a, Check *c, int *argc, char ***argv)
{
	g_autofree GOptionEntry *entries = check_option_entries(a);
	g_autoptr(GOptionContext) octx =
	    g_option_context_new("- judge one message");
	int rc;

	g_option_context_add_main_entries(octx, entries, NULL);
	g_option_context_set_description(octx,
	    "Exit status: 0 accept, 65 reject (with --store: kept), 75 could "
	    "not\ndecide or not keep it (retry), 64 usage, 78 bad rules file.  "
	    "See\nspoolguard(1).");
	rc = sg_cli_parse(octx, entries, argc, argv);
	if (rc != 0)
		return rc;
	if (a->files != NULL && a->files[0] != NULL && a->files[1] != NULL) {
		sg_cli_warn("check: one message at a time");
		return EX_USAGE;
	}
	if (a->format_s != NULL &&
	    !sg_report_format_from_string(a->format_s, &c->format)) {
		sg_cli_warn("check: unknown format '%s'", a->format_s);
		return EX_USAGE;
	}
	/* Postfix's and Exim's alphabets; it goes into a log line. */
	if (a->queue_id != NULL && !check_queue_id_ok(a->queue_id)) {
		sg_cli_warn("check: '%s' is not a queue id", a->queue_id);
		return EX_USAGE;
	}
	if (!sg_cli_store_option_ok(a->store_opt))
		return EX_USAGE;
	c->path = a->files != NULL && a->files[0] != NULL ? a->files[0] : "-";
	return 0;
}

/* Opens @c->path (standard input for "-", at most message.size of it)
 * into @c->msg and judges it; @c->msg stays NULL when it cannot be read,
 * and is dropped when it could not be judged. */
static void
check_open_and_judge(Check *c, const CheckArgs *a, SgEnvelope *env,
    GError **error)
{
	g_autoptr(SgCheckContext) ctx = sg_check_context_new(c->profile, error);

	if (ctx != NULL && strcmp(c->path, "-") == 0) {
		gint64 max = sg_cli_stdin_max(c->profile);
		int fd = sg_cli_spool_stdin(max, &c->over, error);

		c->stdin_used = TRUE;
		if (fd >= 0)
			c->msg = sg_cli_open_stdin(fd, c->profile, max, c->over,
			    error);
	} else if (ctx != NULL) {
		c->msg = sg_cli_open_one(c->path, c->profile, error);
	}
	if (c->msg != NULL && (a->sender != NULL || a->rcpts != NULL))
		sg_cli_envelope_apply(env, c->msg);
	/* Over message.size, the size finding alone decides. */
	if (c->msg != NULL)
		c->judgement = c->over ? sg_cli_judgement(c->msg)
		                       : sg_cli_judge(ctx, c->msg, error);
	if (c->judgement == SG_JUDGE_TEMPFAIL)
		g_clear_pointer(&c->msg, sg_message_free);
}

/* With --store, keeps a rejected message with its envelope.
 * Returns FALSE (@error set) when it could not be kept. */
static gboolean
check_keep(Check *c, const CheckArgs *a, SgEnvelope *env, GError **error)
{
	if (!a->store || c->msg == NULL || c->judgement != SG_JUDGE_REJECT)
		return TRUE;
	if (c->over) {
		sg_cli_warn(
		    "check: %s: not kept: only its first %" G_GINT64_FORMAT
		    " bytes were read (message.size)",
		    c->msg->id, sg_cli_stdin_max(c->profile));
		return TRUE;
	}
	c->kept = sg_cli_keep(sg_cli_store_dir(a->store_opt), c->msg, env,
	    c->profile, error);
	return c->kept != NULL;
}

/* No judgement: says why, and logs it when the MTA is to retry.
 * Returns the exit status. */
static int
check_undecided(const Check *c, const CheckArgs *a, const GError *error)
{
	int rc = c->stdin_used ? EX_TEMPFAIL : sg_cli_exit_for_error(error);

	sg_cli_warn("check: %s", error->message);
	if (!a->no_syslog && rc == EX_TEMPFAIL) {
		sg_report_syslog_open();
		sg_report_syslog_line(LOG_ERR,
		    "%s: check: cannot decide, the MTA will retry: %s",
		    a->queue_id != NULL ? a->queue_id : c->path,
		    error->message);
	}
	return rc;
}

/* The answer: the log line of a rejection, the reason or the report.
 * Returns the exit status. */
static int
check_answer(Check *c, CheckArgs *a)
{
	SgOutcome outcome = { .action = "none" };
	gboolean reject = c->judgement == SG_JUDGE_REJECT;

	if (a->queue_id != NULL) {
		g_free(c->msg->queue_id);
		c->msg->queue_id = g_steal_pointer(&a->queue_id);
	}
	outcome.action = reject ? "reject" : "accept";
	outcome.store_id = c->kept;
	/* A rejection is an action: it goes to the mail log. */
	if (!a->no_syslog && reject) {
		sg_report_syslog_open();
		sg_report_syslog_action(c->msg, &outcome);
	}
	if (a->quiet && reject) {
		g_autofree char *reason = sg_cli_reason(c->msg, 400);

		printf("%s\n", reason);
	}
	if (!a->quiet || a->verbose)
		sg_report_write_message(a->quiet ? stderr : stdout, c->format,
		    c->msg, c->profile, NULL, &outcome);
	return reject ? EX_DATAERR : 0;
}

int
sg_cmd_check(int argc, char **argv)
{
	g_auto(CheckArgs) args = { 0 };
	g_auto(Check) c = {
		.format = SG_REPORT_TEXT,
		.judgement = SG_JUDGE_TEMPFAIL,
	};
	g_autoptr(SgEnvelope) env = NULL;
	g_autoptr(GError) error = NULL;
	int rc;

	rc = check_parse_command_line(&args, &c, &argc, &argv);
	if (rc != 0)
		return rc;
	env = sg_cli_envelope("check", args.sender, args.rcpts, args.queue_id,
	    args.client, &rc);
	if (env == NULL)
		return rc;
	c.profile =
	    sg_cli_load_profile(args.profile_name, args.rules_path, &rc);
	if (c.profile == NULL)
		return rc;
	check_open_and_judge(&c, &args, env, &error);
	if (!check_keep(&c, &args, env, &error)) {
		sg_cli_warn("check: %s", error->message);
		return EX_TEMPFAIL;
	}
	if (c.msg == NULL)
		return check_undecided(&c, &args, error);
	return check_answer(&c, &args);
}
