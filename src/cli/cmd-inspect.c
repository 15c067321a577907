// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-inspect.c - spoolguard inspect: show one or more messages as the
 * checks see them, as postcat(1) shows a queue file: the envelope, the
 * header table with offsets, lengths and values (unfolded, escaped, cut
 * to the terminal's width unless --full), the MIME tree, every finding
 * with its byte offset, and with --body the decoded start of each part.
 * A message is named by its file, or by its queue id with -q postfix:ID,
 * exim:ID or sendmail:ID (in --spool, else the spool the MTA's own
 * configuration names).  An mbox file is shown message by message.
 * Read-only.  Exit: 0 when every message was examined, 64 usage, 66 when
 * one is missing, 75 when one could not be read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "spoolguard/check.h"
#include "spoolguard/report.h"
#include "spoolguard/spool.h"

#include "cli-private.h"

/* Header bytes read at most for the values of one message. */
#define INSPECT_VALUES_MAX (8 * 1024 * 1024)
/* --body: decoded bytes shown of a part by default, and at most. */
#define INSPECT_BODY_BYTES 2048
#define INSPECT_BODY_BYTES_MAX (1024 * 1024)
/* --body: leaf parts shown at most. */
#define INSPECT_BODY_PARTS 50

typedef struct {
	SgProfile *profile;
	SgCheckContext *ctx;
	SgReportFormat format;
	gboolean body;
	gint body_bytes;
	int rc;
} Inspect;

/* Examines and prints one opened message; keeps the worst exit code. */
static void
inspect_show(Inspect *in, SgMessage *msg)
{
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(GError) error = NULL;
	SgOutcome outcome = { .action = "none" };

	if (!sg_check_message(in->ctx, msg, inspect, &error) ||
	    !sg_report_inspect_values(msg, inspect, INSPECT_VALUES_MAX,
	        &error) ||
	    (in->body &&
	        !sg_report_inspect_bodies(msg, inspect, INSPECT_BODY_PARTS,
	            (gsize)in->body_bytes, &error))) {
		sg_cli_warn("%s", error->message);
		in->rc = MAX(in->rc, sg_cli_exit_for_error(error));
		return;
	}
	sg_report_write_message(stdout, in->format, msg, in->profile, inspect,
	    &outcome);
}

/* One message of an mbox, unopened: open read-only and show it. */
static gboolean
inspect_candidate(SgMessage *msg, gpointer user_data)
{
	Inspect *in = user_data;
	g_autoptr(SgMessage) owned = msg;
	g_autoptr(GError) error = NULL;
	SgWalkOptions opts = {
		.read_only = TRUE,
		.now = g_get_real_time() / G_USEC_PER_SEC,
	};

	if (!owned->ops->open(owned, in->profile, &opts, &error)) {
		sg_cli_warn("%s", error->message);
		in->rc = MAX(in->rc, sg_cli_exit_for_error(error));
		return TRUE;
	}
	inspect_show(in, owned);
	return TRUE;
}

static void
inspect_path(Inspect *in, const char *path)
{
	g_autoptr(SgMessage) msg = NULL;
	g_autoptr(GError) error = NULL;

	if (sg_spool_is_mbox(path)) {
		SgWalkOptions opts = {
			.read_only = TRUE,
			.now = g_get_real_time() / G_USEC_PER_SEC,
		};

		if (!sg_spool_walk(path, &opts, NULL, inspect_candidate, in,
		        &error)) {
			sg_cli_warn("%s", error->message);
			in->rc = MAX(in->rc, EX_TEMPFAIL);
		}
		return;
	}
	msg = sg_cli_open_one(path, in->profile, &error);
	if (msg == NULL) {
		sg_cli_warn("%s", error->message);
		in->rc = MAX(in->rc, sg_cli_exit_for_error(error));
		return;
	}
	inspect_show(in, msg);
}

/*
 * A message named by its queue id.  An MTA moves a queued message from
 * queue to queue by rename (Postfix: deferred/ to active/ at each retry),
 * so one found may be gone from there when it is opened: it is looked up
 * again, up to INSPECT_QUEUE_TRIES times.  (A miss while it is mid-move
 * is sg_cli_queue_path()'s to look at again.)
 */
#define INSPECT_QUEUE_TRIES 3
static void
inspect_queue_id(Inspect *in, const char *spec, const char *spool)
{
	g_autoptr(GError) error = NULL;

	for (guint t = 0; t < INSPECT_QUEUE_TRIES; t++) {
		g_autofree char *path = NULL;
		g_autoptr(SgMessage) msg = NULL;

		g_clear_error(&error);
		path = sg_cli_queue_path(spec, spool, &error);
		if (path == NULL) {
			sg_cli_warn("inspect: %s", error->message);
			in->rc = MAX(in->rc,
			    g_error_matches(error, SG_CORE_ERROR,
			        SG_CORE_ERROR_INVALID)
			        ? EX_USAGE
			        : EX_NOINPUT);
			return;
		}
		msg = sg_cli_open_one(path, in->profile, &error);
		if (msg != NULL) {
			inspect_show(in, msg);
			return;
		}
		if (!g_error_matches(error, SG_CORE_ERROR,
		        SG_CORE_ERROR_VANISHED))
			break;
	}
	sg_cli_warn("%s", error->message);
	in->rc = MAX(in->rc, sg_cli_exit_for_error(error));
}

/* The columns of the terminal on stdout, or 0 when it is none. */
static guint
inspect_width(void)
{
	struct winsize ws;
	const char *cols = g_getenv("COLUMNS");
	guint64 n;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (cols != NULL && sg_parse_u64(cols, strlen(cols), &n) && n >= 20 &&
	    n <= 10000)
		return (guint)n;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

int
sg_cmd_inspect(int argc, char **argv)
{
	g_autofree char *profile_name = NULL;
	g_autofree char *rules_path = NULL;
	g_autofree char *format_s = NULL;
	g_autofree char *spool = NULL;
	g_auto(GStrv) files = NULL;
	g_auto(GStrv) queue_ids = NULL;
	gboolean full = FALSE;
	g_autoptr(GError) error = NULL;
	Inspect in = { .format = SG_REPORT_TEXT,
		.body_bytes = INSPECT_BODY_BYTES };
	int rc = 0;
	const GOptionEntry entries[] = {
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &profile_name,
		    "Judge with this profile (default: default)", "PROFILE" },
		{ "rules", 'r', 0, G_OPTION_ARG_FILENAME, &rules_path,
		    "Judge with this rules file", "FILE" },
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &format_s,
		    "Output: text (default) or json", "FORMAT" },
		{ "queue-id", 'q', 0, G_OPTION_ARG_STRING_ARRAY, &queue_ids,
		    "The message with this queue id: postfix:ID, exim:ID or "
		    "sendmail:ID (repeatable)",
		    "MTA:ID" },
		{ "spool", 0, 0, G_OPTION_ARG_FILENAME, &spool,
		    "Look for -q ids in this spool (default: the MTA's own "
		    "setting)",
		    "DIR" },
		{ "full", 0, 0, G_OPTION_ARG_NONE, &full,
		    "Header values and body lines whole, not cut to the "
		    "terminal's width",
		    NULL },
		{ "body", 'b', 0, G_OPTION_ARG_NONE, &in.body,
		    "Also the decoded start of each part's body", NULL },
		{ "body-bytes", 0, 0, G_OPTION_ARG_INT, &in.body_bytes,
		    "With --body: decoded bytes shown per part (default 2048)",
		    "N" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files,
		    NULL, "FILE..." },
		{ NULL },
	};
	g_autoptr(GOptionContext) octx =
	    g_option_context_new("- show structure and findings");

	g_option_context_add_main_entries(octx, entries, NULL);
	g_option_context_set_description(octx,
	    "Exit status: 0 examined, 64 usage, 66 no such file or queue id, "
	    "75 could not\nread one.  See spoolguard(1).");
	rc = sg_cli_parse(octx, entries, &argc, &argv);
	if (rc != 0)
		return rc;
	if ((files == NULL || files[0] == NULL) &&
	    (queue_ids == NULL || queue_ids[0] == NULL)) {
		sg_cli_warn("inspect: no FILE or -q MTA:ID given (try --help)");
		return EX_USAGE;
	}
	if (format_s != NULL &&
	    !sg_report_format_from_string(format_s, &in.format)) {
		sg_cli_warn("inspect: unknown format '%s'", format_s);
		return EX_USAGE;
	}
	if (in.body_bytes < 1 || in.body_bytes > INSPECT_BODY_BYTES_MAX) {
		sg_cli_warn("inspect: --body-bytes takes 1 to %d",
		    INSPECT_BODY_BYTES_MAX);
		return EX_USAGE;
	}
	if (spool != NULL && spool[0] == '\0') {
		sg_cli_warn("inspect: --spool names no directory");
		return EX_USAGE;
	}
	sg_report_set_text_width(full ? 0 : inspect_width());
	in.profile = sg_cli_load_profile(profile_name, rules_path, &rc);
	if (in.profile == NULL)
		return rc;
	in.ctx = sg_check_context_new(in.profile, &error);
	if (in.ctx == NULL) {
		sg_cli_warn("%s", error->message);
		sg_profile_unref(in.profile);
		return EX_SOFTWARE;
	}
	for (guint i = 0; queue_ids != NULL && queue_ids[i] != NULL; i++)
		inspect_queue_id(&in, queue_ids[i], spool);
	for (guint i = 0; files != NULL && files[i] != NULL; i++)
		inspect_path(&in, files[i]);
	sg_check_context_free(in.ctx);
	sg_profile_unref(in.profile);
	return in.rc;
}
