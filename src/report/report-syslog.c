// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report-syslog.c - one syslog line per message that was warned about or
 * quarantined, on the mail facility with the ident "spoolguard".
 *
 * A line reads "<id>: verdict=<v> action=<a> [store=<id>] rules=<r,...>",
 * so that a postmaster can grep the mail log the way Postfix's own lines
 * are grepped: by queue id.  Quarantined messages log at LOG_WARNING,
 * warned ones at LOG_NOTICE, failures to act at LOG_ERR.  The id and the
 * error text are escaped (control bytes) and capped; syslog(3) is
 * thread-safe, so workers call this directly.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <syslog.h>

#include "report-private.h"

void
sg_report_syslog_open(void)
{
	openlog("spoolguard", LOG_PID, LOG_MAIL);
}

void
sg_report_syslog_line(int priority, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *line = NULL;
	g_autofree char *safe = NULL;

	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	safe = sg_report_text_safe(line, 2048);
	syslog(priority, "%s", safe);
}

void
sg_report_syslog_message(SgMessage *msg, const SgOutcome *outcome)
{
	g_autofree char *id = sg_report_text_safe(msg->id, 512);
	g_autofree char *rules = sg_report_rules(msg, SG_SEVERITY_WARN);
	g_autofree char *store = NULL;
	g_autofree char *error = NULL;
	const char *action = outcome != NULL && outcome->action != NULL
	    ? outcome->action
	    : "none";
	int priority;

	if (msg->verdict < SG_SEVERITY_WARN &&
	    (outcome == NULL || outcome->error == NULL))
		return;
	if (outcome != NULL && outcome->error != NULL)
		priority = LOG_ERR;
	else if (msg->verdict >= SG_SEVERITY_QUARANTINE)
		priority = LOG_WARNING;
	else
		priority = LOG_NOTICE;
	if (outcome != NULL && outcome->store_id != NULL) {
		g_autofree char *s =
		    sg_report_text_safe(outcome->store_id, 100);

		store = g_strdup_printf(" store=%s", s);
	}
	if (outcome != NULL && outcome->error != NULL) {
		g_autofree char *e = sg_report_text_safe(outcome->error, 512);

		error = g_strdup_printf(" error=\"%s\"", e);
	}
	syslog(priority, "%s: verdict=%s action=%s%s rules=%s%s", id,
	    sg_report_verdict_name(msg->verdict), action,
	    store != NULL ? store : "", rules[0] != '\0' ? rules : "-",
	    error != NULL ? error : "");
}
