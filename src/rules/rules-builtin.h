/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules-builtin.h - the rules files compiled into the binary.
 *
 * rules-builtin.c is generated at build time (src/rules/gen-builtin.sh)
 * from rules/default.rules, so that a bare binary judges with `default`
 * wherever it runs.  The search path (see rules-profile.c) finds files
 * first: the built-in is the last place a name is looked up.  The table
 * ends with a row whose name is NULL; the data is static and NUL-ended.
 */
#ifndef SPOOLGUARD_RULES_BUILTIN_H
#define SPOOLGUARD_RULES_BUILTIN_H

#include <glib.h>

typedef struct {
	const char *name; /* "default" */
	const char *data; /* the file's bytes */
	gsize len;
} SgRulesBuiltin;

extern const SgRulesBuiltin sg_rules_builtin[];

#endif /* SPOOLGUARD_RULES_BUILTIN_H */
