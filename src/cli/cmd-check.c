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
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spoolguard/check.h"
#include "spoolguard/report.h"
#include "spoolguard/spool.h"

#include "cli-private.h"

int
sg_cmd_check(int argc, char **argv)
{
	g_autofree char *profile_name = NULL;
	g_autofree char *rules_path = NULL;
	g_autofree char *format_s = NULL;
	g_auto(GStrv) files = NULL;
	gboolean quiet = FALSE, verbose = FALSE, over = FALSE;
	gboolean stdin_used = FALSE;
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
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files,
		    NULL, "[FILE|-]" },
		{ NULL },
	};
	g_autoptr(GOptionContext) octx =
	    g_option_context_new("- judge one message");

	g_option_context_add_main_entries(octx, entries, NULL);
	g_option_context_set_description(octx,
	    "Exit status: 0 accept, 65 reject, 75 could not decide (retry),\n"
	    "64 usage, 78 bad rules file.  See spoolguard(1).");
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
	/* Over message.size, the size finding alone decides. */
	if (msg != NULL)
		judgement = over ? sg_cli_judgement(msg)
		                 : sg_cli_judge(ctx, msg, &error);
	if (judgement == SG_JUDGE_TEMPFAIL)
		g_clear_pointer(&msg, sg_message_free);
	if (msg == NULL) {
		rc = stdin_used ? EX_TEMPFAIL : sg_cli_exit_for_error(error);
		sg_cli_warn("check: %s", error->message);
		return rc;
	}
	outcome.action = judgement == SG_JUDGE_REJECT ? "reject" : "accept";
	if (quiet && judgement == SG_JUDGE_REJECT) {
		g_autofree char *reason = sg_cli_reason(msg, 400);

		printf("%s\n", reason);
	}
	if (!quiet || verbose)
		sg_report_write_message(quiet ? stderr : stdout, format, msg,
		    profile, NULL, &outcome);
	return judgement == SG_JUDGE_REJECT ? EX_DATAERR : 0;
}
