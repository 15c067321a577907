// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-config.c - spoolguard config: check the configuration file, see
 * spoolguard.conf(5).
 *
 * Reading the file (cli-config.c, done for every command) already checks
 * its syntax, sections, keys and values; this command also loads every
 * profile the file names and says which spool paths do not exist.  It
 * prints the file's settings and exits 0, or names the file and line of
 * the first problem and exits 78 (EX_CONFIG).
 */
#include "config.h"

#include <stdio.h>

#include "spoolguard/rules.h"

#include "cli-private.h"
#include "sg-paths.h"

/* Loads @name; on failure prints "@where: profile: why", returns FALSE. */
static gboolean
config_profile_loads(const char *name, const char *where)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) p = sg_profile_load(name, &error);

	if (p == NULL)
		fprintf(stderr, "%s: profile: %s\n", where, error->message);
	return p != NULL;
}

int
sg_cmd_config(int argc, char **argv)
{
	const GOptionEntry entries[] = {
		{ NULL },
	};
	g_autoptr(GOptionContext) octx =
	    g_option_context_new("- check the configuration file");
	g_autofree char *where = NULL;
	g_autofree char *profile = NULL;
	GPtrArray *spools;
	int rc;

	g_option_context_add_main_entries(octx, entries, NULL);
	g_option_context_set_description(octx,
	    "Exit status: 0 the file is good (or there is none), 78 it is "
	    "not,\n64 usage.  See spoolguard.conf(5).");
	rc = sg_cli_parse(octx, entries, &argc, &argv);
	if (rc != 0)
		return rc;
	if (argc > 1) {
		sg_cli_warn("config: takes no argument (use --config FILE)");
		return EX_USAGE;
	}
	if (sg_cli_config_path() == NULL) {
		printf("no configuration file (%s does not exist): built-in "
		       "defaults apply\n",
		    SG_CONFIG_FILE);
		return 0;
	}
	where = sg_cli_config_where("spoolguard", "profile");
	if (where != NULL) {
		profile = sg_cli_config_value("spoolguard", "profile");
		if (!config_profile_loads(profile, where))
			rc = EX_CONFIG;
	}
	spools = sg_cli_config_spools();
	for (guint i = 0; spools != NULL && i < spools->len; i++) {
		const SgCliSpool *s = spools->pdata[i];

		if (s->profile != NULL &&
		    !config_profile_loads(s->profile, s->profile_where))
			rc = EX_CONFIG;
		if (!g_file_test(s->path, G_FILE_TEST_IS_DIR))
			printf("%s: warning: [spool %s] path %s is not a "
			       "directory (yet)\n",
			    s->where, s->name, s->path);
	}
	if (rc != 0)
		return rc;
	printf("%s: ok\n", sg_cli_config_path());
	sg_cli_config_show(stdout);
	return 0;
}
