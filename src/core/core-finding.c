// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core-finding.c - findings and severities.
 *
 * A finding is plain data appended to a message by a check; the strings it
 * holds are its own.  Severities order ignore < info < warn < quarantine,
 * and a message's verdict is the worst severity among its findings.
 */
#include "config.h"

#include <string.h>

#include "spoolguard/core.h"

static const char *const severity_names[] = {
	[SG_SEVERITY_IGNORE] = "ignore",
	[SG_SEVERITY_INFO] = "info",
	[SG_SEVERITY_WARN] = "warn",
	[SG_SEVERITY_QUARANTINE] = "quarantine",
};

const char *
sg_severity_to_string(SgSeverity severity)
{
	if ((guint)severity >= G_N_ELEMENTS(severity_names))
		return "unknown";
	return severity_names[severity];
}

gboolean
sg_severity_from_string(const char *s, SgSeverity *out)
{
	for (guint i = 0; i < G_N_ELEMENTS(severity_names); i++) {
		if (strcmp(s, severity_names[i]) == 0) {
			*out = (SgSeverity)i;
			return TRUE;
		}
	}
	return FALSE;
}

void
sg_finding_free(SgFinding *finding)
{
	if (finding == NULL)
		return;
	g_free(finding->file);
	g_free(finding->part);
	g_free(finding->header);
	g_free(finding->text);
	g_free(finding);
}
