// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-quarantine.c - spoolguard quarantine list|show|release|purge|fsck:
 * look into the store, put a message back, drop old entries, or finish
 * the moves a killed run left.
 *
 *	list                    one line per entry, oldest first
 *	show ID [--json]        the entry's report (ID or a unique prefix)
 *	release ID [--to DIR]   files back to where they came from; a
 *	                        message kept at SMTP time goes back to the
 *	                        MTA by reinjection (cli-keep.c)
 *	purge --older-than AGE  remove entries older than AGE (30d, 12h)
 *	fsck                    finish or roll back cut-short moves
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "spoolguard/quarantine.h"
#include "spoolguard/report.h"

#include "cli-private.h"

static int
quarantine_error(const char *what, const GError *error)
{
	sg_cli_warn("quarantine %s: %s", what, error->message);
	if (g_error_matches(error, SG_QUARANTINE_ERROR,
	        SG_QUARANTINE_ERROR_NOT_FOUND))
		return EX_NOINPUT;
	/* Refusals that trying again will not change. */
	if (g_error_matches(error, SG_QUARANTINE_ERROR,
	        SG_QUARANTINE_ERROR_UNFINISHED))
		return EX_TEMPFAIL;
	if (g_error_matches(error, SG_QUARANTINE_ERROR,
	        SG_QUARANTINE_ERROR_EXISTS) ||
	    g_error_matches(error, SG_QUARANTINE_ERROR,
	        SG_QUARANTINE_ERROR_CORRUPT) ||
	    g_error_matches(error, SG_QUARANTINE_ERROR,
	        SG_QUARANTINE_ERROR_INVALID))
		return EX_DATAERR;
	return EX_TEMPFAIL;
}

static int
quarantine_list(SgStore *store)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = sg_store_list(store, &error);

	if (entries == NULL)
		return quarantine_error("list", error);
	for (guint i = 0; i < entries->len; i++) {
		SgStoreEntry *e = g_ptr_array_index(entries, i);
		/* A spool file name may hold a newline or escapes. */
		g_autofree char *origin = sg_report_text_safe(e->origin, 4096);

		printf("%s  %-8s %10" G_GINT64_FORMAT "  %s  %s%s\n", e->id,
		    e->format != NULL ? e->format : "-", e->bytes, origin,
		    e->rules != NULL ? e->rules : "",
		    e->unfinished ? "  (unfinished: run fsck)" : "");
	}
	return 0;
}

/* 0 all entries complete, 75 run again (busy, I/O), 65 look at one. */
static int
quarantine_fsck(SgStore *store)
{
	g_autoptr(GError) error = NULL;
	SgStoreRecovery rec;
	int rc = 0;

	if (!sg_store_recover(store, TRUE, &rec, &error))
		return quarantine_error("fsck", error);
	for (guint i = 0; i < rec.notes->len; i++)
		printf("%s\n", (char *)g_ptr_array_index(rec.notes, i));
	printf("fsck: %u entries: %u finished, %u rolled back, %u removed, "
	       "%u in progress, %u left for a person, %u failed\n",
	    rec.entries, rec.finished, rec.rolled_back, rec.removed, rec.busy,
	    rec.left, rec.failed);
	if (rec.failed > 0 || rec.busy > 0)
		rc = EX_TEMPFAIL;
	else if (rec.left > 0)
		rc = EX_DATAERR;
	sg_store_recovery_clear(&rec);
	return rc;
}

int
sg_cmd_quarantine(int argc, char **argv)
{
	g_autofree char *store_opt = NULL;
	g_autofree char *to_dir = NULL;
	g_autofree char *older = NULL;
	g_auto(GStrv) args = NULL;
	gboolean json = FALSE, force = FALSE;
	g_autofree char *reinject = NULL;
	g_autofree char *profile_name = NULL;
	g_autofree char *rules_path = NULL;
	g_autoptr(SgStore) store = NULL;
	g_autoptr(GError) error = NULL;
	const char *verb;
	const GOptionEntry entries[] = {
		{ "quarantine", 'q', 0, G_OPTION_ARG_FILENAME, &store_opt,
		    "Quarantine store (default: " SG_QUARANTINE_DEFAULT_DIR ")",
		    "DIR" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
		    "show: print report.json instead of report.txt", NULL },
		{ "to", 0, 0, G_OPTION_ARG_FILENAME, &to_dir,
		    "release: put the files into DIR instead", "DIR" },
		{ "older-than", 0, 0, G_OPTION_ARG_STRING, &older,
		    "purge: entries older than AGE (e.g. 30d)", "AGE" },
		{ "reinject", 0, 0, G_OPTION_ARG_STRING, &reinject,
		    "release: give a kept message to COMMAND "
		    "(default: " SG_REINJECT_DEFAULT ")",
		    "COMMAND" },
		{ "force", 0, 0, G_OPTION_ARG_NONE, &force,
		    "release: even what still breaks a hard limit", NULL },
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &profile_name,
		    "release: re-check with this profile", "PROFILE" },
		{ "rules", 'r', 0, G_OPTION_ARG_FILENAME, &rules_path,
		    "release: re-check with this rules file", "FILE" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &args,
		    NULL, "list|show ID|release ID|purge|fsck" },
		{ NULL },
	};
	int parsed;
	g_autoptr(GOptionContext) octx =
	    g_option_context_new("- manage the quarantine store");

	g_option_context_add_main_entries(octx, entries, NULL);
	g_option_context_set_summary(octx,
	    "list: one line per entry; show ID: its report; release ID: put "
	    "its files\nback; purge --older-than AGE: drop old entries; fsck: "
	    "finish or roll back\nthe moves a killed run left, so that every "
	    "message is in one place.");
	g_option_context_set_description(octx,
	    "A message kept at SMTP time (check --store, milter --store) is "
	    "released by\nreinjection: re-checked with the profile, refused "
	    "if it still breaks a hard\nlimit (unless --force), then given "
	    "to COMMAND -f SENDER -- RCPT...\n\n"
	    "Exit status: 0 done (fsck: every entry complete), 64 usage, 65 "
	    "release refuses\n(a file in the way, other bytes, a symbolic "
	    "link on the way, a hard limit;\nfsck: an entry needs a person), "
	    "66 no such entry, 75 try again (I/O, an\nunfinished entry, the "
	    "reinjection command failed; fsck: a move in progress).\nSee "
	    "spoolguard(1).");
	parsed = sg_cli_parse(octx, entries, &argc, &argv);
	if (parsed != 0)
		return parsed;
	if (!sg_cli_store_option_ok(store_opt))
		return EX_USAGE;
	if (args == NULL || args[0] == NULL) {
		sg_cli_warn("quarantine: say list, show, release, purge or "
		            "fsck");
		return EX_USAGE;
	}
	verb = args[0];
	if ((strcmp(verb, "show") == 0 || strcmp(verb, "release") == 0) &&
	    (args[1] == NULL || args[2] != NULL)) {
		sg_cli_warn("quarantine %s: takes one ID", verb);
		return EX_USAGE;
	}
	if ((strcmp(verb, "list") == 0 || strcmp(verb, "purge") == 0 ||
	        strcmp(verb, "fsck") == 0) &&
	    args[1] != NULL) {
		sg_cli_warn("quarantine %s: takes no argument", verb);
		return EX_USAGE;
	}
	store = sg_store_open(sg_cli_store_dir(store_opt), FALSE, &error);
	if (store == NULL)
		return quarantine_error(verb, error);
	if (strcmp(verb, "list") == 0)
		return quarantine_list(store);
	if (strcmp(verb, "fsck") == 0)
		return quarantine_fsck(store);
	if (strcmp(verb, "show") == 0) {
		g_autofree char *text =
		    sg_store_show(store, args[1], json, &error);

		if (text == NULL)
			return quarantine_error("show", error);
		fputs(text, stdout);
		return 0;
	}
	if (strcmp(verb, "release") == 0) {
		g_autoptr(SgEnvelope) env =
		    sg_store_envelope(store, args[1], &error);
		g_autoptr(SgProfile) profile = NULL;
		int rc = 0;

		if (env == NULL && error != NULL)
			return quarantine_error("release", error);
		if (env != NULL && to_dir != NULL) {
			sg_cli_warn("quarantine release: %s was kept at SMTP "
			            "time; it goes back to the MTA, not --to",
			    args[1]);
			return EX_USAGE;
		}
		if (env != NULL) {
			profile =
			    sg_cli_load_profile(profile_name, rules_path, &rc);
			if (profile == NULL)
				return rc;
			return sg_cli_release_kept(store, args[1], env, profile,
			    reinject, force);
		}
		if (!sg_store_release(store, args[1], to_dir, &error))
			return quarantine_error("release", error);
		printf("released %s\n", args[1]);
		return 0;
	}
	if (strcmp(verb, "purge") == 0) {
		gint64 age;
		guint count = 0;

		if (older == NULL || !sg_cli_parse_age(older, &age)) {
			sg_cli_warn("quarantine purge: needs --older-than AGE");
			return EX_USAGE;
		}
		if (!sg_store_purge(store, age, &count, &error))
			return quarantine_error("purge", error);
		printf("purged %u entr%s\n", count, count == 1 ? "y" : "ies");
		return 0;
	}
	sg_cli_warn("quarantine: unknown verb '%s'", verb);
	return EX_USAGE;
}
