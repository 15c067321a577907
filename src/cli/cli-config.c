// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli-config.c - the configuration file, spoolguard.conf(5): the defaults
 * an admin sets once.
 *
 * The file is a GLib key file: [spoolguard] holds what every command
 * shares (quarantine, profile), [scan] what scan uses (min-age, jobs,
 * action, syslog, metrics, state, the run lock, ...), and each
 * [spool NAME] a spool that a bare `spoolguard scan` walks, with its own
 * profile and action.  Each key of [spoolguard] and [scan] stands for a
 * long option of the command: config_keys[] maps one to the other, and
 * cli-options.c puts "--option=value" in front of what was typed, so that
 * the command line overrides the file and every value is checked by the
 * code that checks the option.  A key is one row of that table.  Values
 * are checked here first so that a bad one is reported as FILE:LINE (exit
 * 78), never as a command-line error the user did not type.  The file is
 * read once per process, capped at CONFIG_FILE_MAX bytes; a missing
 * default file means built-in defaults, a missing named one is an error.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "spoolguard/rules.h"

#include "cli-private.h"
#include "sg-paths.h"

#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_SPOOL_PREFIX "spool "

typedef enum {
	CONFIG_PATH,     /* an absolute path */
	CONFIG_PROFILE,  /* a profile name or a rules file's path */
	CONFIG_AGE,      /* 300, 5m, 2h, 7d */
	CONFIG_WAIT,     /* an age of at most SG_CLI_LOCK_WAIT_MAX */
	CONFIG_JOBS,     /* 1 to SG_CLI_JOBS_MAX */
	CONFIG_ACTION,   /* quarantine, hold, none */
	CONFIG_FALLBACK, /* none, quarantine */
	CONFIG_BOOL,     /* yes passes --OPTION */
	CONFIG_NEGATED,  /* no passes --OPTION (syslog=no: --no-syslog) */
	CONFIG_COMMAND,  /* a command line: an absolute program, then words */
	CONFIG_ADDRESS,  /* one mail address (scan --notify) */
} ConfigKind;

typedef struct {
	const char *section; /* "spoolguard": any command with the option */
	const char *key;
	const char *option; /* the long option the key stands for */
	ConfigKind kind;
	const char *env; /* (nullable): a variable that wins over the key */
} ConfigKey;

/*
 * Every key of [spoolguard] and [scan].  A new option becomes a key with
 * one row here and one paragraph in spoolguard.conf(5).
 */
static const ConfigKey config_keys[] = {
	{ "spoolguard", "quarantine", "quarantine", CONFIG_PATH,
	    "SPOOLGUARD_QUARANTINE" },
	{ "spoolguard", "profile", "profile", CONFIG_PROFILE,
	    "SPOOLGUARD_PROFILE" },
	{ "scan", "min-age", "min-age", CONFIG_AGE, NULL },
	{ "scan", "jobs", "jobs", CONFIG_JOBS, NULL },
	{ "scan", "action", "action", CONFIG_ACTION, NULL },
	{ "scan", "include-corrupt", "include-corrupt", CONFIG_BOOL, NULL },
	{ "scan", "syslog", "no-syslog", CONFIG_NEGATED, NULL },
	{ "scan", "metrics", "metrics", CONFIG_PATH, NULL },
	{ "scan", "mta-log", "no-mta-log", CONFIG_NEGATED, NULL },
	{ "scan", "notify", "notify", CONFIG_ADDRESS, NULL },
	{ "scan", "sendmail", "sendmail", CONFIG_PATH, NULL },
	{ "scan", "state", "state", CONFIG_PATH, NULL },
	/* the run lock: how long a scan waits for another one to end */
	{ "scan", "lock-wait", "lock-wait", CONFIG_WAIT, NULL },
	{ "scan", "hold-fallback", "hold-fallback", CONFIG_FALLBACK, NULL },
	/* keep each rejected message in the store (cli-keep.c) */
	{ "check", "store", "store", CONFIG_BOOL, NULL },
	{ "milter", "store", "store", CONFIG_BOOL, NULL },
	/* how a release gives a kept message back to the MTA */
	{ "quarantine", "reinject", "reinject", CONFIG_COMMAND, NULL },
};

/* The keys of a [spool NAME] section; only path is required. */
static const ConfigKey config_spool_keys[] = {
	{ "spool", "path", NULL, CONFIG_PATH, NULL },
	{ "spool", "profile", NULL, CONFIG_PROFILE, NULL },
	{ "spool", "action", NULL, CONFIG_ACTION, NULL },
};

typedef struct {
	char *path;
	GKeyFile *kf;
	GHashTable *lines;
	GPtrArray *spools; /* (element-type SgCliSpool) */
} Config;

/* The file read by this process; NULL before or when there is none. */
static Config *cli_config;
static gboolean cli_config_loaded;

static void
config_spool_free(SgCliSpool *spool)
{
	g_free(spool->name);
	g_free(spool->path);
	g_free(spool->profile);
	g_free(spool->action);
	g_free(spool->where);
	g_free(spool->profile_where);
	g_free(spool);
}

static void
config_free(Config *config)
{
	if (config == NULL)
		return;
	g_free(config->path);
	if (config->kf != NULL)
		g_key_file_unref(config->kf);
	if (config->lines != NULL)
		g_hash_table_unref(config->lines);
	if (config->spools != NULL)
		g_ptr_array_unref(config->spools);
	g_free(config);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Config, config_free)

/* Prints "FILE:LINE: text" (or "FILE: text") and returns EX_CONFIG. */
static int G_GNUC_PRINTF(3, 4)
    config_fail(const Config *config, guint line, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (line > 0)
		fprintf(stderr, "%s:%u: %s\n", config->path, line, msg);
	else
		fprintf(stderr, "%s: %s\n", config->path, msg);
	return EX_CONFIG;
}

static gboolean
config_parse_bool(const char *v, gboolean *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (guint i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(v, yes[i]) == 0) {
			*out = TRUE;
			return TRUE;
		}
		if (g_ascii_strcasecmp(v, no[i]) == 0) {
			*out = FALSE;
			return TRUE;
		}
	}
	return FALSE;
}

/* NULL when (the trimmed) @v suits @kind, else why not (transfer full). */
static char *
config_check_value(ConfigKind kind, const char *v)
{
	gint64 n;
	guint64 u;
	gboolean b;

	if (*v == '\0')
		return g_strdup("empty value (comment the line out instead)");
	switch (kind) {
	case CONFIG_PATH:
		if (!g_path_is_absolute(v))
			return g_strdup_printf("'%s' is not an absolute path",
			    v);
		return NULL;
	case CONFIG_PROFILE:
		if (strchr(v, '/') != NULL && !g_path_is_absolute(v))
			return g_strdup_printf("'%s': a rules file must be "
			                       "named by its absolute path",
			    v);
		return NULL;
	case CONFIG_AGE:
	case CONFIG_WAIT:
		if (!sg_cli_parse_age(v, &n))
			return g_strdup_printf("'%s' is not an age (300, 5m, "
			                       "2h, 7d)",
			    v);
		if (kind == CONFIG_WAIT && n > SG_CLI_LOCK_WAIT_MAX)
			return g_strdup_printf("'%s' is more than a day", v);
		return NULL;
	case CONFIG_JOBS:
		if (!sg_parse_u64(v, strlen(v), &u) || u < 1 ||
		    u > SG_CLI_JOBS_MAX)
			return g_strdup_printf("'%s' is not a number from 1 "
			                       "to %d",
			    v, SG_CLI_JOBS_MAX);
		return NULL;
	case CONFIG_ACTION:
		if (strcmp(v, "quarantine") != 0 && strcmp(v, "hold") != 0 &&
		    strcmp(v, "none") != 0)
			return g_strdup_printf("'%s' is not quarantine, hold "
			                       "or none",
			    v);
		return NULL;
	case CONFIG_FALLBACK:
		if (strcmp(v, "quarantine") != 0 && strcmp(v, "none") != 0)
			return g_strdup_printf("'%s' is not quarantine or "
			                       "none",
			    v);
		return NULL;
	case CONFIG_BOOL:
	case CONFIG_NEGATED:
		if (!config_parse_bool(v, &b))
			return g_strdup_printf("'%s' is not yes or no", v);
		return NULL;
	case CONFIG_COMMAND: {
		g_auto(GStrv) words = NULL;

		if (!g_shell_parse_argv(v, NULL, &words, NULL) ||
		    !g_path_is_absolute(words[0]))
			return g_strdup_printf("'%s' is not a command that "
			                       "starts with an absolute path",
			    v);
		return NULL;
	}
	case CONFIG_ADDRESS:
		if (!sg_cli_notify_address_ok(v))
			return g_strdup_printf("'%s' is not a mail address", v);
		return NULL;
	}
	return NULL;
}

/* (transfer full): the trimmed value of [group] key=, or NULL. */
static char *
config_value(const Config *config, const char *group, const char *key)
{
	char *v = g_key_file_get_value(config->kf, group, key, NULL);

	return v != NULL ? g_strstrip(v) : NULL;
}

/* Checks every key of @group against @rows (with @n rows). */
static int
config_check_group(const Config *config, const char *group, const char *section,
    const ConfigKey *rows, guint n)
{
	g_auto(GStrv) keys = g_key_file_get_keys(config->kf, group, NULL, NULL);

	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		guint line =
		    sg_rules_prescan_line(config->lines, group, keys[i]);
		const ConfigKey *row = NULL;
		g_autofree char *value = NULL;
		g_autofree char *why = NULL;

		for (guint r = 0; r < n; r++) {
			if (strcmp(rows[r].section, section) == 0 &&
			    strcmp(rows[r].key, keys[i]) == 0)
				row = &rows[r];
		}
		if (row == NULL) {
			g_autoptr(GString) known = g_string_new(NULL);

			for (guint r = 0; r < n; r++) {
				if (strcmp(rows[r].section, section) == 0)
					g_string_append_printf(known, "%s%s",
					    known->len > 0 ? ", " : "",
					    rows[r].key);
			}
			return config_fail(config, line,
			    "unknown key '%s' in [%s] (expected %s)", keys[i],
			    group, known->str);
		}
		value = config_value(config, group, keys[i]);
		why = config_check_value(row->kind, value);
		if (why != NULL)
			return config_fail(config, line, "%s: %s", keys[i],
			    why);
	}
	return 0;
}

/* Checks a [spool NAME] section and adds it to config->spools. */
static int
config_add_spool(Config *config, const char *group)
{
	const char *name = group + strlen(CONFIG_SPOOL_PREFIX);
	guint line = sg_rules_prescan_line(config->lines, group, NULL);
	SgCliSpool *spool;
	int rc;

	while (*name == ' ')
		name++;
	if (*name == '\0')
		return config_fail(config, line,
		    "[%s] names no spool (write [spool NAME])", group);
	rc = config_check_group(config, group, "spool", config_spool_keys,
	    G_N_ELEMENTS(config_spool_keys));
	if (rc != 0)
		return rc;
	spool = g_new0(SgCliSpool, 1);
	spool->name = g_strdup(name);
	spool->path = config_value(config, group, "path");
	spool->profile = config_value(config, group, "profile");
	spool->action = config_value(config, group, "action");
	spool->where = g_strdup_printf("%s:%u", config->path, line);
	if (spool->profile != NULL)
		spool->profile_where = g_strdup_printf("%s:%u", config->path,
		    sg_rules_prescan_line(config->lines, group, "profile"));
	g_ptr_array_add(config->spools, spool);
	if (spool->path == NULL)
		return config_fail(config, line, "[%s] has no path=", group);
	for (guint i = 0; i + 1 < config->spools->len; i++) {
		SgCliSpool *other = config->spools->pdata[i];

		if (strcmp(other->path, spool->path) == 0)
			return config_fail(config, line,
			    "[%s] has the path of [spool %s] (%s)", group,
			    other->name, other->where);
	}
	return 0;
}

static int
config_check(Config *config)
{
	g_auto(GStrv) groups = g_key_file_get_groups(config->kf, NULL);

	for (guint i = 0; groups[i] != NULL; i++) {
		const char *g = groups[i];
		guint line = sg_rules_prescan_line(config->lines, g, NULL);
		gboolean known = FALSE;
		int rc;

		if (g_str_has_prefix(g, CONFIG_SPOOL_PREFIX) ||
		    strcmp(g, "spool") == 0) {
			rc = config_add_spool(config, g);
			if (rc != 0)
				return rc;
			continue;
		}
		for (guint r = 0; r < G_N_ELEMENTS(config_keys); r++)
			known = known || strcmp(config_keys[r].section, g) == 0;
		if (!known)
			return config_fail(config, line,
			    "unknown section [%s] (expected [spoolguard], "
			    "[scan], [check], [milter], [quarantine] or "
			    "[spool NAME])",
			    g);
		rc = config_check_group(config, g, g, config_keys,
		    G_N_ELEMENTS(config_keys));
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
sg_cli_config_load(const char *path)
{
	const char *env = g_getenv("SPOOLGUARD_CONFIG");
	gboolean named = path != NULL || (env != NULL && *env != '\0');
	g_autoptr(Config) config = g_new0(Config, 1);
	g_autoptr(GError) error = NULL;
	g_autofree char *data = NULL;
	gsize len = 0;

	if (cli_config_loaded)
		return 0;
	if (path == NULL)
		path = env != NULL && *env != '\0' ? env : SG_CONFIG_FILE;
	config->path = g_strdup(path);
	if (!g_file_get_contents(path, &data, &len, &error)) {
		if (!named &&
		    g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			cli_config_loaded = TRUE;
			return 0; /* no file: the built-in defaults */
		}
		return config_fail(config, 0, "cannot read: %s",
		    error->message);
	}
	if (len > CONFIG_FILE_MAX)
		return config_fail(config, 0, "larger than %d bytes",
		    CONFIG_FILE_MAX);
	config->lines =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (!sg_rules_prescan(data, len, path, config->lines, &error)) {
		fprintf(stderr, "%s\n", error->message);
		return EX_CONFIG;
	}
	config->kf = g_key_file_new();
	if (!g_key_file_load_from_data(config->kf, data, len, G_KEY_FILE_NONE,
	        &error))
		return config_fail(config, 0, "%s", error->message);
	config->spools =
	    g_ptr_array_new_with_free_func((GDestroyNotify)config_spool_free);
	if (config_check(config) != 0)
		return EX_CONFIG;
	cli_config = g_steal_pointer(&config);
	cli_config_loaded = TRUE;
	return 0;
}

int
sg_cli_config_args(const char *command, const GOptionEntry *const *tables,
    GPtrArray *out)
{
	if (cli_config == NULL)
		return 0;
	for (guint r = 0; r < G_N_ELEMENTS(config_keys); r++) {
		const ConfigKey *row = &config_keys[r];
		gboolean shared = strcmp(row->section, "spoolguard") == 0;
		const char *env = row->env != NULL ? g_getenv(row->env) : NULL;
		g_autofree char *value = NULL;
		const GOptionEntry *e;
		gboolean b = FALSE;

		if (!shared && strcmp(row->section, command) != 0)
			continue;
		value = config_value(cli_config, row->section, row->key);
		if (value == NULL || (env != NULL && *env != '\0'))
			continue;
		e = sg_cli_option_lookup(tables, row->option);
		if (e == NULL && shared)
			continue; /* e.g. check has no --quarantine */
		if (e == NULL)
			return config_fail(cli_config,
			    sg_rules_prescan_line(cli_config->lines,
			        row->section, row->key),
			    "%s: this spoolguard's %s has no --%s option",
			    row->key, command, row->option);
		switch (row->kind) {
		case CONFIG_BOOL:
		case CONFIG_NEGATED:
			config_parse_bool(value, &b);
			if (b == (row->kind == CONFIG_BOOL))
				g_ptr_array_add(out,
				    g_strdup_printf("--%s", row->option));
			break;
		default:
			g_ptr_array_add(out,
			    g_strdup_printf("--%s=%s", row->option, value));
		}
	}
	return 0;
}

GPtrArray *
sg_cli_config_spools(void)
{
	return cli_config != NULL ? cli_config->spools : NULL;
}

const char *
sg_cli_config_path(void)
{
	return cli_config != NULL ? cli_config->path : NULL;
}

char *
sg_cli_config_value(const char *section, const char *key)
{
	return cli_config != NULL ? config_value(cli_config, section, key)
	                          : NULL;
}

char *
sg_cli_config_where(const char *section, const char *key)
{
	guint line;

	if (cli_config == NULL ||
	    !g_key_file_has_key(cli_config->kf, section, key, NULL))
		return NULL;
	line = sg_rules_prescan_line(cli_config->lines, section, key);
	return g_strdup_printf("%s:%u", cli_config->path, line);
}

void
sg_cli_config_show(FILE *out)
{
	if (cli_config == NULL)
		return;
	for (guint r = 0; r < G_N_ELEMENTS(config_keys); r++) {
		const ConfigKey *row = &config_keys[r];
		g_autofree char *value =
		    config_value(cli_config, row->section, row->key);

		if (value != NULL)
			fprintf(out, "[%s] %s=%s (line %u)\n", row->section,
			    row->key, value,
			    sg_rules_prescan_line(cli_config->lines,
			        row->section, row->key));
	}
	for (guint i = 0; i < cli_config->spools->len; i++) {
		const SgCliSpool *s = cli_config->spools->pdata[i];

		fprintf(out, "[spool %s] path=%s profile=%s action=%s\n",
		    s->name, s->path, s->profile != NULL ? s->profile : "-",
		    s->action != NULL ? s->action : "-");
	}
}
