// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-inspect.c - spoolguard inspect: show one or more messages as the
 * checks see them: envelope, the header table with offsets and lengths,
 * the MIME tree, and every finding with its byte offset.  Read-only.
 * Exit: 0 when every file was examined, 66 when one is missing, 75 when
 * one could not be read.
 */
#include "config.h"

#include <stdio.h>

#include "spoolguard/check.h"
#include "spoolguard/report.h"
#include "spoolguard/spool.h"

#include "cli-private.h"

int
sg_cmd_inspect(int argc, char **argv)
{
	g_autofree char *profile_name = NULL;
	g_autofree char *rules_path = NULL;
	g_autofree char *format_s = NULL;
	g_auto(GStrv) files = NULL;
	g_autoptr(SgProfile) profile = NULL;
	g_autoptr(SgCheckContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	SgReportFormat format = SG_REPORT_TEXT;
	int rc = 0;
	const GOptionEntry entries[] = {
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &profile_name,
		    "Judge with this profile (default: default)", "PROFILE" },
		{ "rules", 'r', 0, G_OPTION_ARG_FILENAME, &rules_path,
		    "Judge with this rules file", "FILE" },
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &format_s,
		    "Output: text (default) or json", "FORMAT" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files,
		    NULL, "FILE..." },
		{ NULL },
	};
	g_autoptr(GOptionContext) octx =
	    g_option_context_new("- show structure and findings");

	g_option_context_add_main_entries(octx, entries, NULL);
	rc = sg_cli_parse(octx, entries, &argc, &argv);
	if (rc != 0)
		return rc;
	if (files == NULL || files[0] == NULL) {
		sg_cli_warn("inspect: no FILE given (try --help)");
		return EX_USAGE;
	}
	if (format_s != NULL &&
	    !sg_report_format_from_string(format_s, &format)) {
		sg_cli_warn("inspect: unknown format '%s'", format_s);
		return EX_USAGE;
	}
	profile = sg_cli_load_profile(profile_name, rules_path, &rc);
	if (profile == NULL)
		return rc;
	ctx = sg_check_context_new(profile, &error);
	if (ctx == NULL) {
		sg_cli_warn("%s", error->message);
		return EX_SOFTWARE;
	}
	for (guint i = 0; files[i] != NULL; i++) {
		g_autoptr(SgMessage) msg = NULL;
		g_autoptr(SgInspect) inspect = sg_inspect_new();
		SgOutcome outcome = { .action = "none" };

		g_clear_error(&error);
		msg = sg_cli_open_one(files[i], profile, &error);
		if (msg != NULL && !sg_check_message(ctx, msg, inspect, &error))
			g_clear_pointer(&msg, sg_message_free);
		if (msg == NULL) {
			sg_cli_warn("%s", error->message);
			rc = MAX(rc, sg_cli_exit_for_error(error));
			continue;
		}
		sg_report_write_message(stdout, format, msg, profile, inspect,
		    &outcome);
	}
	return rc;
}
