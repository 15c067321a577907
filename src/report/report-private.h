/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report-private.h - what the report writers share: the writer ops table
 * and the helpers that make spool bytes safe to print.
 *
 * Every string that came from a spool file (ids, addresses, header names,
 * finding texts) goes through sg_report_text_safe() before it reaches a
 * terminal or syslog, and through sg_report_utf8_safe() before it reaches
 * JSON: the first escapes control bytes and invalid UTF-8, the second only
 * repairs invalid UTF-8 (JSON escapes controls itself).
 */
#ifndef SPOOLGUARD_REPORT_PRIVATE_H
#define SPOOLGUARD_REPORT_PRIVATE_H

#include "spoolguard/report.h"

/* A report writer: one per SgReportFormat, listed in report-common.c. */
typedef struct {
	const char *name;
	void (*message)(FILE *out, SgMessage *msg, const SgProfile *profile,
	    const SgInspect *inspect, const SgOutcome *outcome);
	void (*summary)(FILE *out, const SgRunTotals *totals, gboolean dry_run);
} SgReportWriter;

extern const SgReportWriter sg_report_text_writer;
extern const SgReportWriter sg_report_json_writer;

/* At most this many recipients are listed; the count is always given. */
#define SG_REPORT_RECIPIENTS_MAX 1000
#define SG_REPORT_RECIPIENTS_TEXT 20

/* (transfer full) (nullable): @s as valid UTF-8 (bad bytes become U+FFFD). */
char *sg_report_utf8_safe(const char *s);

#endif /* SPOOLGUARD_REPORT_PRIVATE_H */
