// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-rules.c - spoolguard rules list|show|lint: the profiles on the
 * search path (with the file each name comes from and the ones it
 * shadows), one profile resolved (includes applied) as a rules file, and
 * a check of a rules file that names the file and line of each problem
 * (exit 78).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "spoolguard/rules.h"

#include "cli-private.h"

/*
 * One line per name: the name and its description; then where it comes
 * from and, when files of the same name lie further down the search path,
 * which ones it shadows.
 */
static int
rules_list(void)
{
	g_autoptr(GPtrArray) sources = sg_profile_sources();

	for (guint i = 0; i < sources->len; i++) {
		const SgProfileSource *src = sources->pdata[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(SgProfile) p = sg_profile_load(src->name, &error);

		if (p == NULL)
			printf("%-16s (does not load: %s)\n", src->name,
			    error->message);
		else
			printf("%-16s %s\n", src->name,
			    sg_profile_description(p) != NULL
			        ? sg_profile_description(p)
			        : "");
		printf("%-16s from %s\n", "", src->origin);
		for (guint j = 0; j < src->shadows->len; j++)
			printf("%-16s shadows %s\n", "",
			    (const char *)src->shadows->pdata[j]);
	}
	return 0;
}

static int
rules_ids(void)
{
	for (guint i = 0; i < SG_RULE_COUNT; i++) {
		const SgRuleInfo *info = sg_rules_info((SgRuleId)i);

		printf("%-34s %-5s %-10s %s\n", info->id,
		    info->kind == SG_RULE_KIND_LIMIT ? "limit" : "event",
		    sg_severity_to_string(info->severity), info->summary);
	}
	return 0;
}

int
sg_cmd_rules(int argc, char **argv)
{
	g_auto(GStrv) args = NULL;
	const GOptionEntry entries[] = {
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &args,
		    NULL, "list|ids|show PROFILE|lint FILE..." },
		{ NULL },
	};
	int parsed;
	g_autoptr(GOptionContext) octx =
	    g_option_context_new("- profiles and rule ids");

	g_option_context_add_main_entries(octx, entries, NULL);
	parsed = sg_cli_parse(octx, entries, &argc, &argv);
	if (parsed != 0)
		return parsed;
	if (args == NULL || args[0] == NULL) {
		sg_cli_warn("rules: say list, ids, show or lint");
		return EX_USAGE;
	}
	if (strcmp(args[0], "list") == 0)
		return rules_list();
	if (strcmp(args[0], "ids") == 0)
		return rules_ids();
	if (strcmp(args[0], "show") == 0) {
		g_autoptr(GError) error = NULL;
		g_autoptr(SgProfile) p = NULL;
		g_autofree char *data = NULL;

		if (args[1] == NULL || args[2] != NULL) {
			sg_cli_warn("rules show: takes one PROFILE");
			return EX_USAGE;
		}
		p = sg_profile_load(args[1], &error);
		if (p == NULL) {
			sg_cli_warn("%s", error->message);
			return EX_CONFIG;
		}
		data = sg_profile_to_data(p);
		fputs(data, stdout);
		return 0;
	}
	if (strcmp(args[0], "lint") == 0) {
		int rc = 0;

		if (args[1] == NULL) {
			sg_cli_warn("rules lint: takes FILE...");
			return EX_USAGE;
		}
		for (guint i = 1; args[i] != NULL; i++) {
			g_autoptr(GError) error = NULL;
			g_autoptr(SgProfile) p =
			    sg_profile_load(args[i], &error);

			if (p == NULL) {
				fprintf(stderr, "%s\n", error->message);
				rc = EX_CONFIG;
			} else {
				printf("%s: ok (digest %.16s)\n", args[i],
				    sg_profile_digest(p));
			}
		}
		return rc;
	}
	sg_cli_warn("rules: unknown verb '%s'", args[0]);
	return EX_USAGE;
}
