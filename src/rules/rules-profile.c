// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rules-profile.c - loading, resolving and querying profiles.
 *
 * A profile file is a GKeyFile: [profile] (description, include) and one
 * group per rule id (severity, soft, hard).  GKeyFile reports no line
 * numbers, so the text is pre-scanned first: the scan maps every group
 * and (group, key) to its line and rejects what GKeyFile would reject
 * (lines that are neither group, key=value nor comment, NUL bytes,
 * invalid UTF-8), plus duplicate groups and keys, so that every error
 * says "file:LINE: ...".  Includes are followed iteratively (no
 * recursion): at most SG_RULES_INCLUDE_MAX hops, loops found by comparing
 * canonical paths; the chain is then applied from the base up, key by
 * key.  Files are capped at SG_RULES_FILE_MAX bytes.  A profile is
 * immutable once built and reference counted atomically; every string it
 * returns is owned by it.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "spoolguard/rules.h"

#include "rules-builtin.h"
#include "sg-paths.h"

#define SG_RULES_INCLUDE_MAX 8
#define SG_RULES_FILE_MAX (1024 * 1024)

struct _SgProfile {
	gint ref;
	char *name;
	char *path;
	char *description;
	char *digest;
	SgSeverity severity[SG_RULE_COUNT];
	gint64 soft[SG_RULE_COUNT];
	gint64 hard[SG_RULE_COUNT];
};

enum {
	LAYER_SEV = 1 << 0,
	LAYER_SOFT = 1 << 1,
	LAYER_HARD = 1 << 2,
};

/* One parsed file: what it sets, and on which line. */
typedef struct {
	char *label; /* for errors: the path, or the name given to _data */
	char *path;  /* (nullable): the file it came from */
	char *description;
	gboolean has_description;
	char *include;
	guint include_line;
	guint8 set[SG_RULE_COUNT];
	SgSeverity severity[SG_RULE_COUNT];
	gint64 soft[SG_RULE_COUNT];
	gint64 hard[SG_RULE_COUNT];
	guint soft_line[SG_RULE_COUNT];
	guint hard_line[SG_RULE_COUNT];
} RulesLayer;

static void
rules_layer_free(RulesLayer *layer)
{
	if (layer == NULL)
		return;
	g_free(layer->label);
	g_free(layer->path);
	g_free(layer->description);
	g_free(layer->include);
	g_free(layer);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RulesLayer, rules_layer_free)

static gboolean G_GNUC_PRINTF(5, 6) rules_fail(GError **error, gint code,
    const char *label, guint line, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (line > 0)
		g_set_error(error, SG_RULES_ERROR, code, "%s:%u: %s", label,
		    line, msg);
	else
		g_set_error(error, SG_RULES_ERROR, code, "%s: %s", label, msg);
	return FALSE;
}

static char *
rules_key_slot(const char *group, const char *key)
{
	return g_strconcat(group, "\n", key, NULL);
}

/* GKeyFile's rule for names: no control characters, no brackets. */
static gboolean
rules_name_ok(const char *p, gsize len, gboolean brackets)
{
	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)p[i];

		if (c < 0x20 || c == 0x7f)
			return FALSE;
		if (!brackets && (c == '[' || c == ']'))
			return FALSE;
	}
	return TRUE;
}

/*
 * Pre-scans (data, len) line by line; fills @lines with group -> line and
 * "group\nkey" -> line.
 */
static gboolean
rules_prescan(const char *data, gsize len, const char *label, GHashTable *lines,
    GError **error)
{
	const char *p = data;
	const char *end = data + len;
	g_autofree char *group = NULL;
	guint lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *e = nl != NULL ? nl : end;
		const char *s = p;
		const char *eq;

		lineno++;
		p = nl != NULL ? nl + 1 : end;
		if (memchr(s, '\0', (gsize)(e - s)) != NULL)
			return rules_fail(error, SG_RULES_ERROR_PARSE, label,
			    lineno, "NUL byte in the line");
		if (!g_utf8_validate_len(s, (gsize)(e - s), NULL))
			return rules_fail(error, SG_RULES_ERROR_PARSE, label,
			    lineno, "the line is not valid UTF-8");
		while (s < e && g_ascii_isspace(*s))
			s++;
		while (e > s && g_ascii_isspace(e[-1]))
			e--;
		if (s == e || *s == '#')
			continue;
		if (*s == '[') {
			const char *close = memchr(s, ']', (gsize)(e - s));
			g_autofree char *name = NULL;

			if (close == NULL || close + 1 != e || close == s + 1 ||
			    !rules_name_ok(s + 1, (gsize)(close - s - 1),
			        FALSE)) {
				g_autofree char *text =
				    sg_escape_bytes(s, (gsize)(e - s), 40);

				return rules_fail(error, SG_RULES_ERROR_PARSE,
				    label, lineno,
				    "malformed group header '%s'", text);
			}
			name = g_strndup(s + 1, (gsize)(close - s - 1));
			if (g_hash_table_contains(lines, name))
				return rules_fail(error, SG_RULES_ERROR_PARSE,
				    label, lineno,
				    "group [%s] appears twice (first on line "
				    "%u)",
				    name,
				    GPOINTER_TO_UINT(
				        g_hash_table_lookup(lines, name)));
			g_hash_table_insert(lines, g_strdup(name),
			    GUINT_TO_POINTER(lineno));
			g_free(group);
			group = g_steal_pointer(&name);
			continue;
		}
		eq = memchr(s, '=', (gsize)(e - s));
		if (eq == NULL) {
			g_autofree char *text =
			    sg_escape_bytes(s, (gsize)(e - s), 40);

			return rules_fail(error, SG_RULES_ERROR_PARSE, label,
			    lineno,
			    "'%s' is not a [group], a key=value line or a "
			    "# comment",
			    text);
		}
		{
			const char *ke = eq;
			g_autofree char *key = NULL;
			g_autofree char *slot = NULL;

			while (ke > s && g_ascii_isspace(ke[-1]))
				ke--;
			if (ke == s)
				return rules_fail(error, SG_RULES_ERROR_PARSE,
				    label, lineno, "a value without a key");
			if (!rules_name_ok(s, (gsize)(ke - s), TRUE)) {
				g_autofree char *text =
				    sg_escape_bytes(s, (gsize)(ke - s), 40);

				return rules_fail(error, SG_RULES_ERROR_PARSE,
				    label, lineno, "malformed key '%s'", text);
			}
			key = g_strndup(s, (gsize)(ke - s));
			if (group == NULL)
				return rules_fail(error, SG_RULES_ERROR_PARSE,
				    label, lineno,
				    "key '%s' before the first [group]", key);
			if (strpbrk(key, "[]") != NULL)
				return rules_fail(error, SG_RULES_ERROR_PARSE,
				    label, lineno,
				    "unknown key '%s' in [%s] (localised keys "
				    "are not used)",
				    key, group);
			slot = rules_key_slot(group, key);
			if (g_hash_table_contains(lines, slot))
				return rules_fail(error, SG_RULES_ERROR_PARSE,
				    label, lineno,
				    "key '%s' appears twice in [%s] (first on "
				    "line %u)",
				    key, group,
				    GPOINTER_TO_UINT(
				        g_hash_table_lookup(lines, slot)));
			g_hash_table_insert(lines, g_steal_pointer(&slot),
			    GUINT_TO_POINTER(lineno));
		}
	}
	return TRUE;
}

static guint
rules_line_of(GHashTable *lines, const char *group, const char *key)
{
	g_autofree char *slot = NULL;

	if (key == NULL)
		return GPOINTER_TO_UINT(g_hash_table_lookup(lines, group));
	slot = rules_key_slot(group, key);
	return GPOINTER_TO_UINT(g_hash_table_lookup(lines, slot));
}

gboolean
sg_rules_prescan(const char *data, gsize len, const char *label,
    GHashTable *lines, GError **error)
{
	return rules_prescan(data, len, label, lines, error);
}

guint
sg_rules_prescan_line(GHashTable *lines, const char *group, const char *key)
{
	return rules_line_of(lines, group, key);
}

/* A limit: a non-negative decimal integer, or "none". */
static gboolean
rules_parse_limit(const char *raw, gint64 *out)
{
	g_autofree char *v = g_strstrip(g_strdup(raw));
	guint64 n = 0;

	if (g_ascii_strcasecmp(v, "none") == 0) {
		*out = SG_VALUE_NONE;
		return TRUE;
	}
	if (!sg_parse_u64(v, strlen(v), &n) || n > (guint64)G_MAXINT64)
		return FALSE;
	*out = (gint64)n;
	return TRUE;
}

static gboolean
rules_parse_profile_group(GKeyFile *kf, GHashTable *lines, RulesLayer *layer,
    GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, "profile", NULL, NULL);

	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		const char *key = keys[i];
		guint line = rules_line_of(lines, "profile", key);
		g_autofree char *value =
		    g_key_file_get_string(kf, "profile", key, NULL);

		if (value == NULL)
			return rules_fail(error, SG_RULES_ERROR_PARSE,
			    layer->label, line, "bad value for '%s'", key);
		if (strcmp(key, "description") == 0) {
			g_free(layer->description);
			layer->description =
			    g_strstrip(g_steal_pointer(&value));
			layer->has_description = TRUE;
		} else if (strcmp(key, "include") == 0) {
			g_strstrip(value);
			if (*value == '\0')
				return rules_fail(error, SG_RULES_ERROR_PARSE,
				    layer->label, line,
				    "include= names no profile");
			g_free(layer->include);
			layer->include = g_steal_pointer(&value);
			layer->include_line = line;
		} else {
			return rules_fail(error, SG_RULES_ERROR_PARSE,
			    layer->label, line,
			    "unknown key '%s' in [profile] (expected "
			    "description, include)",
			    key);
		}
	}
	return TRUE;
}

static gboolean
rules_parse_rule_group(GKeyFile *kf, GHashTable *lines, const char *group,
    const SgRuleInfo *info, RulesLayer *layer, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
	gboolean limit = info->kind == SG_RULE_KIND_LIMIT;

	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		const char *key = keys[i];
		guint line = rules_line_of(lines, group, key);
		g_autofree char *value =
		    g_key_file_get_value(kf, group, key, NULL);
		gboolean soft = strcmp(key, "soft") == 0;

		if (value == NULL)
			value = g_strdup("");
		g_strstrip(value);
		if (strcmp(key, "severity") == 0) {
			SgSeverity sev;

			if (!sg_severity_from_string(value, &sev))
				return rules_fail(error, SG_RULES_ERROR_PARSE,
				    layer->label, line,
				    "bad severity '%s' for [%s] (expected "
				    "ignore, info, warn or quarantine)",
				    value, group);
			layer->severity[info->rule] = sev;
			layer->set[info->rule] |= LAYER_SEV;
		} else if (soft || strcmp(key, "hard") == 0) {
			gint64 n;

			if (!limit)
				return rules_fail(error, SG_RULES_ERROR_PARSE,
				    layer->label, line,
				    "'%s' applies only to limit rules; [%s] "
				    "is an event rule (set its severity)",
				    key, group);
			if (!rules_parse_limit(value, &n))
				return rules_fail(error, SG_RULES_ERROR_PARSE,
				    layer->label, line,
				    "bad value '%s' for %s in [%s] (expected "
				    "a non-negative integer or none)",
				    value, key, group);
			if (soft) {
				layer->soft[info->rule] = n;
				layer->soft_line[info->rule] = line;
				layer->set[info->rule] |= LAYER_SOFT;
			} else {
				layer->hard[info->rule] = n;
				layer->hard_line[info->rule] = line;
				layer->set[info->rule] |= LAYER_HARD;
			}
		} else {
			return rules_fail(error, SG_RULES_ERROR_PARSE,
			    layer->label, line,
			    "unknown key '%s' in [%s] (expected %s)", key,
			    group, limit ? "severity, soft, hard" : "severity");
		}
	}
	return TRUE;
}

/*
 * Edit distance between (a, alen) and (b, blen), both at most
 * RULES_SUGGEST_MAX bytes; for "did you mean" on unknown rule ids.
 */
#define RULES_SUGGEST_MAX 64

static guint
rules_distance(const char *a, gsize alen, const char *b, gsize blen)
{
	guint row[RULES_SUGGEST_MAX + 1];

	for (gsize j = 0; j <= blen; j++)
		row[j] = (guint)j;
	for (gsize i = 1; i <= alen; i++) {
		guint diag = row[0];

		row[0] = (guint)i;
		for (gsize j = 1; j <= blen; j++) {
			guint up = row[j];
			guint best = diag + (a[i - 1] != b[j - 1]);

			best = MIN(best, up + 1);
			best = MIN(best, row[j - 1] + 1);
			diag = up;
			row[j] = best;
		}
	}
	return row[blen];
}

/* (nullable): the catalogue id closest to @id, if it is close. */
static const char *
rules_suggest(const char *id)
{
	gsize len = strlen(id);
	const char *best = NULL;
	guint best_d = 4; /* suggest only within three edits */

	if (len > RULES_SUGGEST_MAX)
		return NULL;
	for (guint r = 0; r < SG_RULE_COUNT; r++) {
		const char *cand = sg_rule_id((SgRuleId)r);
		gsize clen = strlen(cand);
		guint d;

		if (clen > RULES_SUGGEST_MAX)
			continue;
		d = rules_distance(id, len, cand, clen);
		if (d < best_d) {
			best_d = d;
			best = cand;
		}
	}
	return best;
}

/* TRUE when some group of @kf holds a key: the file says something. */
static gboolean
rules_has_keys(GKeyFile *kf, char **groups)
{
	for (guint i = 0; groups[i] != NULL; i++) {
		gsize n = 0;
		g_auto(GStrv) keys =
		    g_key_file_get_keys(kf, groups[i], &n, NULL);

		if (n > 0)
			return TRUE;
	}
	return FALSE;
}

/* The number of the last line of (data, len); 1 for an empty file. */
static guint
rules_last_line(const char *data, gsize len)
{
	guint n = 0;

	for (const char *p = data; p < data + len; p++) {
		const char *nl = memchr(p, '\n', (gsize)(data + len - p));

		n++;
		if (nl == NULL)
			break;
		p = nl;
	}
	return MAX(n, 1);
}

/* (transfer full): one file's settings, not yet merged. */
static RulesLayer *
rules_parse_layer(const char *data, gsize len, const char *label,
    const char *path, GError **error)
{
	g_autoptr(RulesLayer) layer = g_new0(RulesLayer, 1);
	g_autoptr(GHashTable) lines =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) local = NULL;
	g_auto(GStrv) groups = NULL;

	layer->label = g_strdup(label);
	layer->path = g_strdup(path);
	/* Windows editors start UTF-8 files with a byte order mark. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	if (!rules_prescan(data, len, label, lines, error))
		return NULL;
	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE,
	        &local)) {
		rules_fail(error, SG_RULES_ERROR_PARSE, label, 0, "%s",
		    local->message);
		return NULL;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		const char *group = groups[i];
		guint line = rules_line_of(lines, group, NULL);
		const SgRuleInfo *info;

		if (strcmp(group, "profile") == 0) {
			if (!rules_parse_profile_group(kf, lines, layer, error))
				return NULL;
			continue;
		}
		info = sg_rules_lookup(group, strlen(group));
		if (info == NULL) {
			const char *near = rules_suggest(group);

			if (near != NULL)
				rules_fail(error, SG_RULES_ERROR_PARSE, label,
				    line,
				    "unknown rule id '%s' (did you mean "
				    "'%s'?)",
				    group, near);
			else if (strchr(group, '.') != NULL)
				rules_fail(error, SG_RULES_ERROR_PARSE, label,
				    line, "unknown rule id '%s'", group);
			else
				rules_fail(error, SG_RULES_ERROR_PARSE, label,
				    line,
				    "unknown group [%s] (expected [profile] "
				    "or a rule id)",
				    group);
			return NULL;
		}
		if (!rules_parse_rule_group(kf, lines, group, info, layer,
		        error))
			return NULL;
	}
	if (!rules_has_keys(kf, groups)) {
		/* Not a profile without limits: a mistake (an emptied or
		 * truncated file), named at its last line. */
		rules_fail(error, SG_RULES_ERROR_PARSE, label,
		    rules_last_line(data, len),
		    "no settings (the file is empty or all comments); a "
		    "profile without limits would pass everything (start it "
		    "with [profile] include = default)");
		return NULL;
	}
	return g_steal_pointer(&layer);
}

/* ---- finding files ---------------------------------------------------- */

static gboolean
rules_is_path(const char *s)
{
	return strchr(s, '/') != NULL || g_str_has_suffix(s, ".rules");
}

static gboolean
rules_valid_name(const char *s, gsize len)
{
	if (len == 0 || s[0] == '.' || s[0] == '-')
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return FALSE;
	}
	return TRUE;
}

/*
 * (transfer full): the directories searched for names, in order:
 * $SPOOLGUARD_RULES_DIR, the administrator's, the installed ones.  After
 * them comes the built-in table (rules-builtin.h).  The current directory
 * is never searched: what a cron job judges with must not depend on
 * where it was started.
 */
static GPtrArray *
rules_search_dirs(void)
{
	GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
	const char *env = g_getenv("SPOOLGUARD_RULES_DIR");

	if (env != NULL && *env != '\0') {
		g_auto(GStrv) parts = g_strsplit(env, ":", -1);

		for (guint i = 0; parts[i] != NULL; i++) {
			if (*parts[i] != '\0')
				g_ptr_array_add(dirs, g_strdup(parts[i]));
		}
	}
	g_ptr_array_add(dirs, g_strdup(SG_SYSCONF_RULES_DIR));
	g_ptr_array_add(dirs, g_strdup(SG_RULES_DIR));
	return dirs;
}

/* (nullable) (transfer none): the built-in profile called @name. */
static const SgRulesBuiltin *
rules_builtin(const char *name)
{
	for (guint i = 0; sg_rules_builtin[i].name != NULL; i++) {
		if (strcmp(sg_rules_builtin[i].name, name) == 0)
			return &sg_rules_builtin[i];
	}
	return NULL;
}

/* What a built-in profile is called in messages and `rules list`. */
#define RULES_BUILTIN_LABEL "built-in"

static char *rules_canonical(const char *path);

/* TRUE when @path (made canonical first when @file) is in @skip. */
static gboolean
rules_skipped(GPtrArray *skip, const char *path, gboolean file)
{
	g_autofree char *canon = NULL;

	if (skip == NULL)
		return FALSE;
	canon = file ? rules_canonical(path) : g_strdup(path);
	for (guint i = 0; i < skip->len; i++) {
		if (strcmp((const char *)skip->pdata[i], canon) == 0)
			return TRUE;
	}
	return FALSE;
}

/*
 * Finds the file for @what: a path (relative to @base_dir when that is
 * set and the path is relative), or a name in the search path.  When no
 * file has the name, *builtin is set to the built-in profile of that name
 * (if any) and the returned string labels it.  A name skips the files in
 * @skip (canonical paths, nullable): a file that shadows `default` can
 * say include=default and get the one it shadows.
 */
static char *
rules_resolve(const char *what, const char *base_dir, GPtrArray *skip,
    const SgRulesBuiltin **builtin, GError **error)
{
	g_autoptr(GPtrArray) dirs = NULL;
	g_autoptr(GString) searched = NULL;

	if (rules_is_path(what)) {
		g_autofree char *path = NULL;

		if (base_dir != NULL && strcmp(base_dir, ".") != 0 &&
		    !g_path_is_absolute(what))
			path = g_build_filename(base_dir, what, NULL);
		else
			path = g_strdup(what);
		if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
			g_set_error(error, SG_RULES_ERROR,
			    SG_RULES_ERROR_NOT_FOUND, "no rules file '%s': %s",
			    path, g_strerror(ENOENT));
			return NULL;
		}
		return g_steal_pointer(&path);
	}
	if (!rules_valid_name(what, strlen(what))) {
		g_set_error(error, SG_RULES_ERROR, SG_RULES_ERROR_NOT_FOUND,
		    "'%s' is not a profile name (letters, digits, '-', '_', "
		    "'.') nor a path",
		    what);
		return NULL;
	}
	dirs = rules_search_dirs();
	searched = g_string_new(NULL);
	for (guint i = 0; i < dirs->len; i++) {
		g_autofree char *file = g_strconcat(what, ".rules", NULL);
		g_autofree char *path =
		    g_build_filename((const char *)dirs->pdata[i], file, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_REGULAR) &&
		    !rules_skipped(skip, path, TRUE))
			return g_steal_pointer(&path);
		g_string_append_printf(searched, "%s%s", i > 0 ? ", " : "",
		    (const char *)dirs->pdata[i]);
	}
	*builtin = rules_builtin(what);
	if (*builtin != NULL) {
		char *label =
		    g_strdup_printf("%s:%s", RULES_BUILTIN_LABEL, what);

		if (!rules_skipped(skip, label, FALSE))
			return label;
		g_free(label);
		*builtin = NULL;
	}
	g_set_error(error, SG_RULES_ERROR, SG_RULES_ERROR_NOT_FOUND,
	    "no profile '%s' (searched %s and the built-in profiles)", what,
	    searched->str);
	return NULL;
}

static gboolean
rules_read_file(const char *path, char **data, gsize *len, GError **error)
{
	GStatBuf st;
	g_autoptr(GError) local = NULL;

	if (g_stat(path, &st) != 0) {
		int e = errno;

		g_set_error(error, SG_RULES_ERROR,
		    e == ENOENT ? SG_RULES_ERROR_NOT_FOUND
		                : SG_RULES_ERROR_PARSE,
		    "%s: %s", path, g_strerror(e));
		return FALSE;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, SG_RULES_ERROR, SG_RULES_ERROR_PARSE,
		    "%s: not a regular file", path);
		return FALSE;
	}
	if (st.st_size > SG_RULES_FILE_MAX) {
		g_set_error(error, SG_RULES_ERROR, SG_RULES_ERROR_PARSE,
		    "%s: larger than %d bytes; not a rules file", path,
		    SG_RULES_FILE_MAX);
		return FALSE;
	}
	if (!g_file_get_contents(path, data, len, &local)) {
		g_set_error(error, SG_RULES_ERROR, SG_RULES_ERROR_PARSE, "%s",
		    local->message);
		return FALSE;
	}
	if (*len > SG_RULES_FILE_MAX) {
		g_clear_pointer(data, g_free);
		g_set_error(error, SG_RULES_ERROR, SG_RULES_ERROR_PARSE,
		    "%s: larger than %d bytes; not a rules file", path,
		    SG_RULES_FILE_MAX);
		return FALSE;
	}
	return TRUE;
}

/* Reads the file at @path, or copies @builtin when it is set. */
static gboolean
rules_read_source(const char *path, const SgRulesBuiltin *builtin, char **data,
    gsize *len, GError **error)
{
	if (builtin == NULL)
		return rules_read_file(path, data, len, error);
	*data = g_strndup(builtin->data, builtin->len);
	*len = builtin->len;
	return TRUE;
}

static char *
rules_canonical(const char *path)
{
	char *real = realpath(path, NULL);
	char *out;

	if (real == NULL)
		return g_canonicalize_filename(path, NULL);
	out = g_strdup(real);
	free(real);
	return out;
}

/* ---- building a profile ---------------------------------------------- */

static gboolean
rules_apply(SgProfile *profile, const RulesLayer *layer, GError **error)
{
	if (layer->has_description) {
		g_free(profile->description);
		profile->description = g_strdup(layer->description);
	}
	for (guint r = 0; r < SG_RULE_COUNT; r++) {
		guint8 set = layer->set[r];

		if (set & LAYER_SEV)
			profile->severity[r] = layer->severity[r];
		if (set & LAYER_SOFT)
			profile->soft[r] = layer->soft[r];
		if (set & LAYER_HARD)
			profile->hard[r] = layer->hard[r];
		if ((set & (LAYER_SOFT | LAYER_HARD)) &&
		    profile->soft[r] != SG_VALUE_NONE &&
		    profile->hard[r] != SG_VALUE_NONE &&
		    profile->soft[r] > profile->hard[r])
			return rules_fail(error, SG_RULES_ERROR_PARSE,
			    layer->label,
			    (set & LAYER_SOFT) ? layer->soft_line[r]
			                       : layer->hard_line[r],
			    "soft limit %" G_GINT64_FORMAT
			    " is above hard limit %" G_GINT64_FORMAT
			    " for [%s]",
			    profile->soft[r], profile->hard[r],
			    sg_rule_id((SgRuleId)r));
	}
	return TRUE;
}

static void
rules_compute_digest(SgProfile *profile)
{
	g_autoptr(GString) s = g_string_new("spoolguard-profile-1\n");

	for (guint r = 0; r < SG_RULE_COUNT; r++)
		g_string_append_printf(s,
		    "%s %s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
		    sg_rule_id((SgRuleId)r),
		    sg_severity_to_string(profile->severity[r]),
		    profile->soft[r], profile->hard[r]);
	profile->digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
	    s->str, (gssize)s->len);
}

static SgProfile *
rules_profile_new(const char *name, const char *path)
{
	SgProfile *profile = g_new0(SgProfile, 1);

	profile->ref = 1;
	profile->name = g_strdup(name);
	profile->path = g_strdup(path);
	for (guint r = 0; r < SG_RULE_COUNT; r++) {
		profile->severity[r] = sg_rules_info((SgRuleId)r)->severity;
		profile->soft[r] = SG_VALUE_NONE;
		profile->hard[r] = SG_VALUE_NONE;
	}
	return profile;
}

/*
 * Follows the include chain from @top (taking it), then applies the
 * layers from the base up.
 */
static SgProfile *
rules_build(RulesLayer *top, const char *name, GError **error)
{
	g_autoptr(GPtrArray) chain =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rules_layer_free);
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(SgProfile) profile = NULL;
	RulesLayer *cur = top;

	g_ptr_array_add(chain, top);
	if (top->path != NULL)
		g_ptr_array_add(seen, rules_canonical(top->path));
	while (cur->include != NULL) {
		g_autofree char *base_dir = NULL;
		g_autofree char *path = NULL;
		g_autofree char *canon = NULL;
		g_autofree char *data = NULL;
		g_autoptr(GError) local = NULL;
		const SgRulesBuiltin *builtin = NULL;
		RulesLayer *next;
		gsize len = 0;

		if (chain->len > SG_RULES_INCLUDE_MAX) {
			rules_fail(error, SG_RULES_ERROR_INCLUDE, cur->label,
			    cur->include_line,
			    "includes nest deeper than %d levels",
			    SG_RULES_INCLUDE_MAX);
			return NULL;
		}
		if (cur->path != NULL)
			base_dir = g_path_get_dirname(cur->path);
		path = rules_resolve(cur->include, base_dir, seen, &builtin,
		    &local);
		if (path == NULL) {
			rules_fail(error, local->code, cur->label,
			    cur->include_line, "include: %s", local->message);
			return NULL;
		}
		canon =
		    builtin != NULL ? g_strdup(path) : rules_canonical(path);
		for (guint i = 0; i < seen->len; i++) {
			g_autoptr(GString) loop = NULL;

			if (strcmp((const char *)seen->pdata[i], canon) != 0)
				continue;
			loop = g_string_new(NULL);
			for (guint j = 0; j < chain->len; j++)
				g_string_append_printf(loop, "%s -> ",
				    ((RulesLayer *)chain->pdata[j])->label);
			g_string_append(loop, path);
			rules_fail(error, SG_RULES_ERROR_INCLUDE, cur->label,
			    cur->include_line, "include loop: %s", loop->str);
			return NULL;
		}
		if (!rules_read_source(path, builtin, &data, &len, &local)) {
			rules_fail(error, local->code, cur->label,
			    cur->include_line, "include: %s", local->message);
			return NULL;
		}
		next = rules_parse_layer(data, len, path,
		    builtin != NULL ? NULL : path, &local);
		if (next == NULL) {
			g_set_error(error, local->domain, local->code,
			    "%s (included from %s:%u)", local->message,
			    cur->label, cur->include_line);
			return NULL;
		}
		g_ptr_array_add(chain, next);
		g_ptr_array_add(seen, g_steal_pointer(&canon));
		cur = next;
	}
	profile = rules_profile_new(name, top->path);
	for (guint i = chain->len; i > 0; i--) {
		if (!rules_apply(profile, chain->pdata[i - 1], error))
			return NULL;
	}
	rules_compute_digest(profile);
	return g_steal_pointer(&profile);
}

SgProfile *
sg_profile_new_from_data(const char *data, gsize len, const char *name,
    GError **error)
{
	RulesLayer *top;

	if (name == NULL)
		name = "(data)";
	top = rules_parse_layer(data, len, name, NULL, error);
	if (top == NULL)
		return NULL;
	return rules_build(top, name, error);
}

SgProfile *
sg_profile_load(const char *name_or_path, GError **error)
{
	g_autofree char *path = NULL;
	g_autofree char *data = NULL;
	g_autofree char *name = NULL;
	const SgRulesBuiltin *builtin = NULL;
	RulesLayer *top;
	gsize len = 0;

	path = rules_resolve(name_or_path, NULL, NULL, &builtin, error);
	if (path == NULL)
		return NULL;
	if (!rules_read_source(path, builtin, &data, &len, error))
		return NULL;
	if (rules_is_path(name_or_path)) {
		name = g_path_get_basename(path);
		if (g_str_has_suffix(name, ".rules") &&
		    strlen(name) > strlen(".rules"))
			name[strlen(name) - strlen(".rules")] = '\0';
	} else {
		name = g_strdup(name_or_path);
	}
	top = rules_parse_layer(data, len, path, builtin != NULL ? NULL : path,
	    error);
	if (top == NULL)
		return NULL;
	return rules_build(top, name, error);
}

const SgProfile *
sg_profile_builtin(void)
{
	static SgProfile *builtin = NULL;

	if (g_once_init_enter(&builtin)) {
		const SgRulesBuiltin *b = rules_builtin("default");
		g_autoptr(GError) error = NULL;
		g_autofree char *label =
		    g_strdup_printf("%s:default", RULES_BUILTIN_LABEL);
		RulesLayer *top = NULL;
		SgProfile *profile = NULL;

		if (b != NULL)
			top = rules_parse_layer(b->data, b->len, label, NULL,
			    &error);
		if (top != NULL)
			profile = rules_build(top, "default", &error);
		if (profile == NULL)
			g_error("the built-in default profile: %s",
			    error != NULL ? error->message : "missing");
		g_once_init_leave(&builtin, profile);
	}
	return builtin;
}

SgProfile *
sg_profile_ref(SgProfile *profile)
{
	g_return_val_if_fail(profile != NULL, NULL);
	g_atomic_int_inc(&profile->ref);
	return profile;
}

void
sg_profile_unref(SgProfile *profile)
{
	if (profile == NULL)
		return;
	if (!g_atomic_int_dec_and_test(&profile->ref))
		return;
	g_free(profile->name);
	g_free(profile->path);
	g_free(profile->description);
	g_free(profile->digest);
	g_free(profile);
}

const char *
sg_profile_name(const SgProfile *profile)
{
	return profile->name;
}

const char *
sg_profile_path(const SgProfile *profile)
{
	return profile->path;
}

const char *
sg_profile_description(const SgProfile *profile)
{
	return profile->description;
}

const char *
sg_profile_digest(const SgProfile *profile)
{
	return profile->digest;
}

SgSeverity
sg_profile_severity(const SgProfile *profile, SgRuleId rule)
{
	if ((guint)rule >= SG_RULE_COUNT)
		return SG_SEVERITY_IGNORE;
	return profile->severity[rule];
}

gint64
sg_profile_soft(const SgProfile *profile, SgRuleId rule)
{
	if ((guint)rule >= SG_RULE_COUNT)
		return SG_VALUE_NONE;
	return profile->soft[rule];
}

gint64
sg_profile_hard(const SgProfile *profile, SgRuleId rule)
{
	if ((guint)rule >= SG_RULE_COUNT)
		return SG_VALUE_NONE;
	return profile->hard[rule];
}

SgSeverity
sg_profile_judge(const SgProfile *profile, SgRuleId rule, gint64 observed,
    gint64 *limit)
{
	SgSeverity sev;
	gint64 soft, hard;

	if (limit != NULL)
		*limit = SG_VALUE_NONE;
	if ((guint)rule >= SG_RULE_COUNT)
		return SG_SEVERITY_IGNORE;
	sev = profile->severity[rule];
	soft = profile->soft[rule];
	hard = profile->hard[rule];
	if (sev == SG_SEVERITY_IGNORE)
		return SG_SEVERITY_IGNORE;
	if (hard != SG_VALUE_NONE && observed > hard) {
		if (limit != NULL)
			*limit = hard;
		return sev;
	}
	if (soft != SG_VALUE_NONE && observed > soft) {
		if (limit != NULL)
			*limit = soft;
		return MIN(sev, SG_SEVERITY_WARN);
	}
	return SG_SEVERITY_IGNORE;
}

gint64
sg_profile_cap(const SgProfile *profile, SgRuleId rule, gint64 fallback)
{
	if ((guint)rule >= SG_RULE_COUNT ||
	    profile->hard[rule] == SG_VALUE_NONE)
		return fallback;
	return profile->hard[rule];
}

/* Escapes a string as a GKeyFile value. */
static void
rules_append_escaped(GString *out, const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		case ' ':
			g_string_append(out, p == s ? "\\s" : " ");
			break;
		default:
			g_string_append_c(out, *p);
		}
	}
}

static void
rules_append_limit(GString *out, const char *key, gint64 v)
{
	if (v == SG_VALUE_NONE)
		g_string_append_printf(out, "%s=none\n", key);
	else
		g_string_append_printf(out, "%s=%" G_GINT64_FORMAT "\n", key,
		    v);
}

char *
sg_profile_to_data(const SgProfile *profile)
{
	GString *out = g_string_new(NULL);

	g_string_append_printf(out,
	    "# Profile '%s', resolved (includes applied) by spoolguard.\n"
	    "# digest %s\n\n[profile]\n",
	    profile->name != NULL ? profile->name : "", profile->digest);
	if (profile->description != NULL) {
		g_string_append(out, "description=");
		rules_append_escaped(out, profile->description);
		g_string_append_c(out, '\n');
	}
	for (guint r = 0; r < SG_RULE_COUNT; r++) {
		const SgRuleInfo *info = sg_rules_info((SgRuleId)r);

		g_string_append_printf(out, "\n# %s (%s)\n[%s]\nseverity=%s\n",
		    info->summary,
		    info->kind == SG_RULE_KIND_LIMIT ? "limit" : "event",
		    info->id, sg_severity_to_string(profile->severity[r]));
		if (info->kind == SG_RULE_KIND_LIMIT) {
			rules_append_limit(out, "soft", profile->soft[r]);
			rules_append_limit(out, "hard", profile->hard[r]);
		}
	}
	return g_string_free(out, FALSE);
}

static gint
rules_compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
sg_profile_source_free(SgProfileSource *source)
{
	if (source == NULL)
		return;
	g_free(source->name);
	g_free(source->origin);
	g_ptr_array_unref(source->shadows);
	g_free(source);
}

static gint
rules_compare_sources(gconstpointer a, gconstpointer b)
{
	const SgProfileSource *x = *(SgProfileSource *const *)a;
	const SgProfileSource *y = *(SgProfileSource *const *)b;

	return strcmp(x->name, y->name);
}

/* Adds @origin as the source of @name, or as one it shadows. */
static void
rules_add_source(GHashTable *seen, GPtrArray *out, const char *name,
    const char *origin)
{
	SgProfileSource *src = g_hash_table_lookup(seen, name);

	if (src != NULL) {
		g_ptr_array_add(src->shadows, g_strdup(origin));
		return;
	}
	src = g_new0(SgProfileSource, 1);
	src->name = g_strdup(name);
	src->origin = g_strdup(origin);
	src->shadows = g_ptr_array_new_with_free_func(g_free);
	g_hash_table_insert(seen, src->name, src);
	g_ptr_array_add(out, src);
}

GPtrArray *
sg_profile_sources(void)
{
	g_autoptr(GPtrArray) dirs = rules_search_dirs();
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *out = g_ptr_array_new_with_free_func(
	    (GDestroyNotify)sg_profile_source_free);

	for (guint i = 0; i < dirs->len; i++) {
		const char *dir = dirs->pdata[i];
		g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
		g_autoptr(GPtrArray) entries =
		    g_ptr_array_new_with_free_func(g_free);
		const char *entry;

		if (d == NULL)
			continue;
		while ((entry = g_dir_read_name(d)) != NULL)
			g_ptr_array_add(entries, g_strdup(entry));
		g_ptr_array_sort(entries, rules_compare_names);
		for (guint j = 0; j < entries->len; j++) {
			const char *e = entries->pdata[j];
			gsize len = strlen(e);
			g_autofree char *path = NULL;
			g_autofree char *name = NULL;

			if (!g_str_has_suffix(e, ".rules") ||
			    !rules_valid_name(e, len - strlen(".rules")))
				continue;
			path = g_build_filename(dir, e, NULL);
			if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
				continue;
			name = g_strndup(e, len - strlen(".rules"));
			rules_add_source(seen, out, name, path);
		}
	}
	for (guint i = 0; sg_rules_builtin[i].name != NULL; i++)
		rules_add_source(seen, out, sg_rules_builtin[i].name,
		    RULES_BUILTIN_LABEL);
	g_ptr_array_sort(out, rules_compare_sources);
	return out;
}

GStrv
sg_profile_list_names(void)
{
	g_autoptr(GPtrArray) sources = sg_profile_sources();
	GStrv names = g_new0(char *, sources->len + 1);

	for (guint i = 0; i < sources->len; i++)
		names[i] =
		    g_strdup(((SgProfileSource *)sources->pdata[i])->name);
	return names;
}
