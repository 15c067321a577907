/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules.h - the rule catalogue and profiles.
 *
 * A profile is a GKeyFile under rules/ (or any path): one group per rule id
 * with `soft`, `hard` and `severity` keys, and a [profile] group with
 * `description` and `include` (a base profile).  Lookups are by SgRuleId
 * and cost an array index.  Profiles are immutable once loaded and can be
 * shared between threads.
 */
#ifndef SPOOLGUARD_RULES_H
#define SPOOLGUARD_RULES_H

#include <glib.h>

#include "spoolguard/core.h"

G_BEGIN_DECLS

#define SG_RULES_ERROR (sg_rules_error_quark())
GQuark sg_rules_error_quark(void);

typedef enum {
	SG_RULES_ERROR_NOT_FOUND, /* no such profile name or file */
	SG_RULES_ERROR_PARSE,     /* syntax, unknown key or id, bad value */
	SG_RULES_ERROR_INCLUDE,   /* include loop or too deep */
} SgRulesError;

typedef struct {
	SgRuleId rule;
	const char *id; /* "header.line-length" */
	SgRuleKind kind;
	SgSeverity severity; /* built-in default */
	const char *summary;
} SgRuleInfo;

/* (transfer none): the catalogue row of @rule. */
const SgRuleInfo *sg_rules_info(SgRuleId rule);
/* (transfer none): the row whose dotted id is (id, len), or NULL. */
const SgRuleInfo *sg_rules_lookup(const char *id, gsize len);
/* (transfer none) */
const char *sg_rule_id(SgRuleId rule);

typedef struct _SgProfile SgProfile;

/*
 * Loads a profile by name or by path (anything with a '/' or ending in
 * .rules).  A name NAME is NAME.rules in each directory of
 * $SPOOLGUARD_RULES_DIR, then in SYSCONFDIR/spoolguard/rules, then in
 * the installed data directory, else the profile of that name compiled
 * into the binary (`default`).  Errors name the file and line.
 */
SgProfile *sg_profile_load(const char *name_or_path, GError **error);
/*
 * Loads a profile from memory; @name labels errors ("name:LINE: ...").
 * An include= inside is resolved through the search path.
 */
SgProfile *sg_profile_new_from_data(const char *data, gsize len,
    const char *name, GError **error);
/*
 * (transfer none): the `default` profile compiled into the binary, made
 * once and kept for the life of the process, whatever the search path
 * holds.  What a reader given no profile (fuzzers, unit tests) judges
 * with, so that every limit has one number: the one in default.rules.
 */
const SgProfile *sg_profile_builtin(void);
SgProfile *sg_profile_ref(SgProfile *profile);
void sg_profile_unref(SgProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgProfile, sg_profile_unref)

/* (transfer none) */
const char *sg_profile_name(const SgProfile *profile);
const char *sg_profile_path(const SgProfile *profile);
const char *sg_profile_description(const SgProfile *profile);
/* (transfer none): sha256 over the resolved limits and severities. */
const char *sg_profile_digest(const SgProfile *profile);

SgSeverity sg_profile_severity(const SgProfile *profile, SgRuleId rule);
/* SG_VALUE_NONE when the profile sets no such limit. */
gint64 sg_profile_soft(const SgProfile *profile, SgRuleId rule);
gint64 sg_profile_hard(const SgProfile *profile, SgRuleId rule);

/*
 * Judges @observed against a LIMIT rule: over hard gives the rule's
 * severity, over soft gives min(warn, severity), else IGNORE.  *limit
 * receives the limit crossed (or SG_VALUE_NONE).  A limit is crossed
 * only by a value strictly greater than it; a rule whose severity is
 * IGNORE never fires.  An EVENT rule has no limits, so this returns
 * IGNORE for it: use sg_profile_severity.  @limit may be NULL.
 */
SgSeverity sg_profile_judge(const SgProfile *profile, SgRuleId rule,
    gint64 observed, gint64 *limit);

/*
 * The largest value that does not cross the hard limit, i.e. the hard
 * limit itself (hard + 1 is the first value that fires), or @fallback
 * when the profile sets no hard limit.  For bounding work (stack depth,
 * counts kept) by the profile rather than by the input.
 */
gint64 sg_profile_cap(const SgProfile *profile, SgRuleId rule, gint64 fallback);

/*
 * Checks (data, len) as a key file the way rules files are checked (no
 * NUL, valid UTF-8, every line a [group], key=value or # comment, no
 * group or key twice) and fills @lines, a g_str_hash table with g_free'd
 * keys, so that sg_rules_prescan_line() can say where a group (@key NULL)
 * or key stands.  For other key files too (spoolguard.conf).  Errors say
 * "label:LINE: ...".
 */
gboolean sg_rules_prescan(const char *data, gsize len, const char *label,
    GHashTable *lines, GError **error);
/* The line of [group] or of key= in it, 0 when absent. */
guint
sg_rules_prescan_line(GHashTable *lines, const char *group, const char *key);

/* Writes the resolved profile as a rules file (for `rules show`). */
char *sg_profile_to_data(const SgProfile *profile);

/* Names of the profiles found in the search path (transfer full). */
GStrv sg_profile_list_names(void);

/* Where a profile name comes from, and what it hides. */
typedef struct {
	char *name;
	char *origin;       /* the file's path, or "built-in" */
	GPtrArray *shadows; /* (element-type utf8): origins further down */
} SgProfileSource;
void sg_profile_source_free(SgProfileSource *source);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgProfileSource, sg_profile_source_free)
/*
 * (transfer full) (element-type SgProfileSource): every name on the search
 * path, sorted, with the file that wins and the ones it shadows.
 */
GPtrArray *sg_profile_sources(void);

G_END_DECLS

#endif /* SPOOLGUARD_RULES_H */
