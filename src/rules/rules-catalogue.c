// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rules-catalogue.c - the rule catalogue: one row per rule id.
 *
 * The rows come from include/spoolguard/rule-ids.h (an X-macro list), so
 * the enum, the dotted ids, the kinds and the built-in severities can
 * never disagree.  Lookups by SgRuleId are an array index; lookups by
 * dotted id are a linear scan over a few dozen rows with (pointer,
 * length) comparison, so an id read from a file needs no terminating NUL.
 * Every string returned is static.
 */
#include "config.h"

#include <string.h>

#include "spoolguard/rules.h"

// clang-format off
G_DEFINE_QUARK(sg-rules-error-quark, sg_rules_error)
// clang-format on

static const SgRuleInfo rules_catalogue[SG_RULE_COUNT] = {
#define SG_RULE(e, id, kind, sev, summary)                      \
	[SG_RULE_##e] = { SG_RULE_##e, id, SG_RULE_KIND_##kind, \
		SG_SEVERITY_##sev, summary },
#include "spoolguard/rule-ids.h"
#undef SG_RULE
};

const SgRuleInfo *
sg_rules_info(SgRuleId rule)
{
	if ((guint)rule >= SG_RULE_COUNT)
		return NULL;
	return &rules_catalogue[rule];
}

const SgRuleInfo *
sg_rules_lookup(const char *id, gsize len)
{
	if (id == NULL)
		return NULL;
	for (guint i = 0; i < SG_RULE_COUNT; i++) {
		const char *s = rules_catalogue[i].id;

		if (strlen(s) == len && memcmp(s, id, len) == 0)
			return &rules_catalogue[i];
	}
	return NULL;
}

const char *
sg_rule_id(SgRuleId rule)
{
	if ((guint)rule >= SG_RULE_COUNT)
		return "unknown";
	return rules_catalogue[rule].id;
}
