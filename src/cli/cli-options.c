// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli-options.c - parsing a subcommand's options the way admins type
 * them, for every subcommand, from its own GOptionEntry table.
 *
 * GOption alone takes no glued short values (-j2, -q/dir, -fjson) and
 * takes any next word as a value, even an option (-q -n made a store
 * called "-n").  So before GOption sees argv, a pre-pass driven by the
 * command's entries rewrites it: a short option that takes a value and
 * has more letters glued on gets them as its value ("-nj2" is "-n -j 2");
 * a value given as the next word must not look like an option ("-j -n"
 * is refused as "-j needs a value"; "--opt=-x" or "-q./-x" pass one that
 * starts with '-').  "--" ends options.  Then the configuration file's
 * defaults for the command (cli-config.c) go in front of what was typed,
 * as --option=value words, so that the command line overrides them.
 * The rewritten argv is owned here and lives until the next parse.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli-private.h"
#include "sg-paths.h"

/* The options the user typed (long names), for sg_cli_option_given. */
static GHashTable *cli_given;
/*
 * The rewritten words (owned) and the array handed to GOption, which
 * drops the pointers it parses: the strings are freed through cli_words.
 */
static GStrv cli_words;
static char **cli_argv;
/* --config FILE, common to every subcommand. */
static char *cli_config_path;

static const GOptionEntry cli_common_entries[] = {
	{ "config", 0, 0, G_OPTION_ARG_FILENAME, &cli_config_path,
	    "Read defaults from FILE (default: " SG_CONFIG_FILE ")", "FILE" },
	{ NULL },
};

static gboolean
options_takes_value(const GOptionEntry *e)
{
	if (e->arg == G_OPTION_ARG_NONE)
		return FALSE;
	if (e->arg == G_OPTION_ARG_CALLBACK &&
	    (e->flags & (G_OPTION_FLAG_NO_ARG | G_OPTION_FLAG_OPTIONAL_ARG)))
		return FALSE;
	return TRUE;
}

/* (nullable): the entry of @tables with short name @c. */
static const GOptionEntry *
options_by_short(const GOptionEntry *const *tables, char c)
{
	for (guint t = 0; tables[t] != NULL; t++) {
		for (const GOptionEntry *e = tables[t]; e->long_name != NULL;
		     e++) {
			if (e->short_name == c && *e->long_name != '\0')
				return e;
		}
	}
	return NULL;
}

/* (nullable): the entry of @tables with long name (name, len). */
static const GOptionEntry *
options_by_long(const GOptionEntry *const *tables, const char *name, gsize len)
{
	for (guint t = 0; tables[t] != NULL; t++) {
		for (const GOptionEntry *e = tables[t]; e->long_name != NULL;
		     e++) {
			if (strlen(e->long_name) == len &&
			    strncmp(e->long_name, name, len) == 0)
				return e;
		}
	}
	return NULL;
}

const GOptionEntry *
sg_cli_option_lookup(const GOptionEntry *const *tables, const char *name)
{
	return options_by_long(tables, name, strlen(name));
}

/* A word that would be read as an option rather than as a value. */
static gboolean
options_looks_like_option(const char *s)
{
	return s[0] == '-' && s[1] != '\0';
}

static void
options_mark_given(const GOptionEntry *e)
{
	if (cli_given == NULL)
		cli_given = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_add(cli_given, (gpointer)e->long_name);
}

/*
 * Rewrites argv[1..] into @out.  Returns FALSE after printing the reason
 * when a value is missing.
 */
static gboolean
options_prepass(const GOptionEntry *const *tables, int argc, char **argv,
    GPtrArray *out)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const GOptionEntry *e;

		if (strcmp(a, "--") == 0) {
			for (; i < argc; i++)
				g_ptr_array_add(out, g_strdup(argv[i]));
			break;
		}
		if (!options_looks_like_option(a)) {
			g_ptr_array_add(out, g_strdup(a));
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			gsize len =
			    eq != NULL ? (gsize)(eq - a - 2) : strlen(a + 2);

			e = options_by_long(tables, a + 2, len);
			g_ptr_array_add(out, g_strdup(a));
			if (e == NULL)
				continue; /* GOption says it is unknown */
			options_mark_given(e);
			if (eq != NULL || !options_takes_value(e) ||
			    i + 1 >= argc)
				continue;
			if (options_looks_like_option(argv[i + 1])) {
				sg_cli_warn("option --%s needs a value; '%s' "
				            "is an option (for a value that "
				            "starts with '-', write --%s=%s)",
				    e->long_name, argv[i + 1], e->long_name,
				    argv[i + 1]);
				return FALSE;
			}
			g_ptr_array_add(out, g_strdup(argv[++i]));
			continue;
		}
		/* A cluster of short options: -n, -nv, -j2, -nj2, -q/dir. */
		for (const char *p = a + 1; *p != '\0'; p++) {
			e = options_by_short(tables, *p);
			g_ptr_array_add(out, g_strdup_printf("-%c", *p));
			if (e == NULL)
				break; /* GOption says -X is unknown */
			options_mark_given(e);
			if (!options_takes_value(e))
				continue;
			if (p[1] != '\0') {
				g_ptr_array_add(out, g_strdup(p + 1));
				break;
			}
			if (i + 1 >= argc)
				break; /* GOption says the value is missing */
			if (options_looks_like_option(argv[i + 1])) {
				sg_cli_warn("option -%c (--%s) needs a value; "
				            "'%s' is an option (for a value "
				            "that starts with '-', write "
				            "--%s=%s)",
				    *p, e->long_name, argv[i + 1], e->long_name,
				    argv[i + 1]);
				return FALSE;
			}
			g_ptr_array_add(out, g_strdup(argv[++i]));
			break;
		}
	}
	return TRUE;
}

/* TRUE when argv asks for help: then no configuration is read. */
static gboolean
options_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "-?") == 0 ||
		    g_str_has_prefix(argv[i], "--help"))
			return TRUE;
	}
	return FALSE;
}

/* The value of --config in the rewritten words, or NULL. */
static const char *
options_config_arg(GPtrArray *words)
{
	const char *found = NULL;

	for (guint i = 0; i < words->len; i++) {
		const char *w = words->pdata[i];

		if (strcmp(w, "--") == 0)
			break;
		if (g_str_has_prefix(w, "--config="))
			found = w + strlen("--config=");
		else if (strcmp(w, "--config") == 0 && i + 1 < words->len)
			found = words->pdata[++i];
	}
	return found;
}

int
sg_cli_parse(GOptionContext *ctx, const GOptionEntry *entries, int *argc,
    char ***argv)
{
	const GOptionEntry *tables[] = { entries, cli_common_entries, NULL };
	const char *prgname = g_get_prgname();
	const char *command = prgname != NULL && strchr(prgname, ' ') != NULL
	    ? strchr(prgname, ' ') + 1
	    : "";
	g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	int rc;

	g_clear_pointer(&cli_given, g_hash_table_unref);
	g_option_context_add_main_entries(ctx, cli_common_entries, NULL);
	if (!options_prepass(tables, *argc, *argv, words))
		return EX_USAGE;
	g_ptr_array_add(all, g_strdup((*argv)[0]));
	if (!options_wants_help(*argc, *argv)) {
		rc = sg_cli_config_load(options_config_arg(words));
		if (rc != 0)
			return rc;
		rc = sg_cli_config_args(command, tables, all);
		if (rc != 0)
			return rc;
	}
	for (guint i = 0; i < words->len; i++)
		g_ptr_array_add(all, g_strdup(words->pdata[i]));
	g_ptr_array_add(all, NULL);
	g_strfreev(cli_words);
	g_free(cli_argv);
	cli_words = (GStrv)g_ptr_array_free(g_steal_pointer(&all), FALSE);
	*argc = (int)g_strv_length(cli_words);
	cli_argv = g_new(char *, (gsize)*argc + 1);
	memcpy(cli_argv, cli_words, sizeof(char *) * ((gsize)*argc + 1));
	*argv = cli_argv;
	if (!g_option_context_parse(ctx, argc, argv, &error)) {
		sg_cli_warn("%s (try --help)", error->message);
		return EX_USAGE;
	}
	return 0;
}

gboolean
sg_cli_option_given(const char *long_name)
{
	return cli_given != NULL && g_hash_table_contains(cli_given, long_name);
}
