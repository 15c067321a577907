// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - the spoolguard command: dispatch to a subcommand.
 *
 *	spoolguard scan|check|inspect|quarantine|rules|config|milter
 *	    [options] ...
 *
 * Exit codes follow sysexits.h (see spoolguard(1)): 0 clean, 1 something
 * quarantined, 64 usage, 65 check rejects, 75 temporary failure, 78 bad
 * rules file.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>

#include "spoolguard/core.h"
#include "spoolguard/report.h"

#include "cli-private.h"

/* A message to stderr is cut after this many bytes (with "..."). */
#define CLI_MESSAGE_MAX 8192

static const struct {
	const char *name;
	SgCommandFunc func;
	const char *summary;
} commands[] = {
	{ "scan", sg_cmd_scan, "scan spools, quarantine bad messages" },
	{ "check", sg_cmd_check, "judge one message (pre-delivery hook)" },
	{ "inspect", sg_cmd_inspect,
	    "show a message's structure and findings" },
	{ "quarantine", sg_cmd_quarantine, "list, show, release, purge, fsck" },
	{ "rules", sg_cmd_rules, "list, show and lint profiles" },
	{ "config", sg_cmd_config, "check the configuration file" },
	{ "milter", sg_cmd_milter, "judge messages at SMTP time (libmilter)" },
	{ NULL, NULL, NULL },
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: spoolguard [--config FILE] COMMAND [OPTIONS] [ARGS]\n\n"
	    "Commands:\n");
	for (guint i = 0; commands[i].name != NULL; i++)
		fprintf(out, "  %-11s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(out,
	    "\n'spoolguard COMMAND --help' shows a command's options;"
	    " spoolguard(1) has the rest.\n");
}

/*
 * Messages quote what the user typed and names found in spools: an id or
 * a file name may hold a terminal escape, so control bytes and invalid
 * UTF-8 are escaped (\xNN) before they reach the terminal, and so is
 * every byte past ASCII when the locale is not UTF-8.  A progress line
 * on the terminal is taken away first.
 */
static void
cli_print_safe(const char *msg)
{
	g_autofree char *safe = sg_report_terminal_safe(msg, CLI_MESSAGE_MAX);
	g_autofree char *out = sg_report_for_output(safe);

	sg_cli_progress_hide();
	fprintf(stderr, "spoolguard: %s\n", out);
}

void
sg_cli_warn(const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	cli_print_safe(msg);
}

gboolean
sg_cli_parse_age(const char *s, gint64 *seconds)
{
	gsize len = strlen(s);
	gint64 mult = 1;
	guint64 v;

	if (len == 0)
		return FALSE;
	switch (s[len - 1]) {
	case 's':
		len--;
		break;
	case 'm':
		mult = 60;
		len--;
		break;
	case 'h':
		mult = 3600;
		len--;
		break;
	case 'd':
		mult = 86400;
		len--;
		break;
	case 'w':
		mult = 7 * 86400;
		len--;
		break;
	default:
		break;
	}
	if (!sg_parse_u64(s, len, &v) || v > (guint64)(G_MAXINT64 / mult))
		return FALSE;
	*seconds = (gint64)v * mult;
	return TRUE;
}

/*
 * Warnings the modules log while they go on (a directory the walker cannot
 * open) read like the command's own messages: "spoolguard: <text>".
 */
static void
cli_log(const char *domain, GLogLevelFlags level, const char *message,
    gpointer user_data)
{
	if (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE)) {
		cli_print_safe(message);
		return;
	}
	g_log_default_handler(domain, level, message, user_data);
}

/*
 * "spoolguard --config FILE COMMAND ..." is "spoolguard COMMAND
 * --config=FILE ...": a word before the command that every command
 * takes, moved behind it.  The new words go into @words (owned there).
 * Returns FALSE after saying why when FILE is missing.
 */
static gboolean
main_leading_config(int *argc, char ***argv, GPtrArray *words)
{
	const char *a = (*argv)[1];
	const char *file;
	int used;

	if (strcmp(a, "--config") == 0) {
		if (*argc < 3 || (*argv)[2][0] == '-') {
			sg_cli_warn("--config needs a FILE");
			return FALSE;
		}
		file = (*argv)[2];
		used = 2;
	} else if (g_str_has_prefix(a, "--config=")) {
		file = a + strlen("--config=");
		used = 1;
	} else {
		return TRUE;
	}
	if (*argc <= used + 1) {
		sg_cli_warn("--config goes with a COMMAND");
		return FALSE;
	}
	g_ptr_array_add(words, g_strdup((*argv)[0]));
	g_ptr_array_add(words, g_strdup((*argv)[used + 1]));
	g_ptr_array_add(words, g_strconcat("--config=", file, NULL));
	for (int i = used + 2; i < *argc; i++)
		g_ptr_array_add(words, g_strdup((*argv)[i]));
	g_ptr_array_add(words, NULL);
	*argc = (int)words->len - 1;
	*argv = (char **)words->pdata;
	return TRUE;
}

int
main(int argc, char **argv)
{
	g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);

	setlocale(LC_ALL, "");
	/* UTF-8 reaches the terminal only when the locale says it is one. */
	sg_report_set_utf8_output(g_get_charset(NULL));
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (!main_leading_config(&argc, &argv, words)) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("spoolguard %s (GMime %u.%u.%u)\n", PACKAGE_VERSION,
		    gmime_major_version, gmime_minor_version,
		    gmime_micro_version);
		return 0;
	}
	for (guint i = 0; commands[i].name != NULL; i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			g_autofree char *prgname =
			    g_strconcat("spoolguard ", argv[1], NULL);
			int rc;

			/* "Usage: spoolguard scan [OPTION…] PATH..." */
			g_set_prgname(prgname);
			g_log_set_handler(G_LOG_DOMAIN,
			    G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, cli_log,
			    NULL);
			g_mime_init();
			rc = commands[i].func(argc - 1, argv + 1);
			g_mime_shutdown();
			return rc;
		}
	}
	sg_cli_warn("unknown command '%s'", argv[1]);
	usage(stderr);
	return EX_USAGE;
}
