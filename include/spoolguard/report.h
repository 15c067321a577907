/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report.h - what spoolguard says about a message and a run.
 *
 * Text for people, one JSON object per message (json-glib) for programs,
 * syslog on the mail facility, and a Prometheus textfile of run totals.
 * Writers take the message and what was done with it; they never change
 * the message.
 */
#ifndef SPOOLGUARD_REPORT_H
#define SPOOLGUARD_REPORT_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "spoolguard/check.h"
#include "spoolguard/core.h"
#include "spoolguard/rules.h"
#include "spoolguard/spool.h"

G_BEGIN_DECLS

typedef enum {
	SG_REPORT_TEXT,
	SG_REPORT_JSON,
} SgReportFormat;

gboolean sg_report_format_from_string(const char *s, SgReportFormat *out);

/* What happened to a message. */
typedef struct {
	const char *action;   /* "none", "quarantined", "would-quarantine",
	                         "held", "would-hold", "already-held",
	                         "kept", "busy" (taken just before the
	                         move), "vanished", "error" */
	const char *store_id; /* (nullable): the quarantine entry */
	const char *error;    /* (nullable): why it could not be examined */
} SgOutcome;

/* (transfer full): the message as a JSON object (findings, envelope, files,
 * and the inspect tables when @inspect is given). */
JsonNode *sg_report_message_json(SgMessage *msg, const SgProfile *profile,
    const SgInspect *inspect, const SgOutcome *outcome);
/* (transfer full): the same for a person. */
char *sg_report_message_text(SgMessage *msg, const SgProfile *profile,
    const SgInspect *inspect, const SgOutcome *outcome);
/* One line per finding, "  file:offset: severity rule [header] text". */
void sg_report_findings_text(GString *out, SgMessage *msg);

/* (transfer full): @node as one line of JSON (no newline). */
char *sg_report_json_line(JsonNode *node);

/*
 * (transfer full): @s (nullable: "-") with control bytes and invalid UTF-8
 * escaped as \xNN (\t, \r, \n for those) and a backslash as \\, cut
 * after @max bytes with "...".
 */
char *sg_report_text_safe(const char *s, gsize max);
/* (transfer full): the same, but a backslash stays as it is (messages that
 * quote text escaped already, where only the terminal needs guarding). */
char *sg_report_terminal_safe(const char *s, gsize max);
/*
 * (transfer full) (nullable): a file name, path or message id for JSON:
 * valid UTF-8 as it is, except that a backslash becomes \\ and a byte that
 * is not part of valid UTF-8 becomes \xNN, so the original bytes can be
 * told apart and recovered (spoolguard(1), JSON OUTPUT).
 */
char *sg_report_name_safe(const char *s);
/* (transfer container): the keys of msg->props, sorted; NULL if none. */
GList *sg_report_prop_keys(SgMessage *msg);
/* (transfer none): "clean" for IGNORE, else the severity's name. */
const char *sg_report_verdict_name(SgSeverity verdict);
/* (transfer full): the distinct rule ids of findings at @min or worse, in
 * order of first appearance, comma-separated ("" when none). */
char *sg_report_rules(SgMessage *msg, SgSeverity min);

/* Writes one message to @out in @format (JSON: one line). */
void sg_report_write_message(FILE *out, SgReportFormat format, SgMessage *msg,
    const SgProfile *profile, const SgInspect *inspect,
    const SgOutcome *outcome);

/* Run totals. */
typedef struct {
	gint examined;
	gint clean;
	gint warned;
	gint quarantined; /* or would be, with -n */
	gint held;
	gint already_held; /* --action hold: the MTA held it already */
	gint kept;         /* must go, left in place (--action none, or
	                      --hold-fallback none) */
	gint unchanged;    /* clean by the last run (--state), not re-read */
	SgWalkStats walk;
	gdouble seconds;
} SgRunTotals;

/* Text: one line for people; JSON: one {"summary": {...}} line. */
void sg_report_write_summary(FILE *out, SgReportFormat format,
    const SgRunTotals *totals, gboolean dry_run);
/* (transfer full): the Prometheus text exposition of @totals. */
char *sg_report_metrics_text(const SgRunTotals *totals);
/* Writes it to @path atomically (temporary file, fsync, rename), 0644. */
gboolean sg_report_write_metrics(const char *path, const SgRunTotals *totals,
    GError **error);

/* syslog on LOG_MAIL; ident "spoolguard". */
void sg_report_syslog_open(void);
void sg_report_syslog_message(SgMessage *msg, const SgOutcome *outcome);
void
sg_report_syslog_line(int priority, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

G_END_DECLS

#endif /* SPOOLGUARD_REPORT_H */
