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
	const char *reason;   /* (nullable): why, for a log line (milter) */
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
/* The same three for (pointer, length): NUL bytes are escaped too. */
char *sg_report_text_safe_len(const char *p, gsize len, gsize max);
char *sg_report_name_safe_len(const char *p, gsize len);

/*
 * Text for people carries UTF-8 only when the output is UTF-8: main()
 * sets this from the locale's charset (default TRUE).  When it is FALSE,
 * sg_report_for_output() writes every byte past ASCII as \xNN; files
 * (report.txt), syslog and JSON stay UTF-8 whatever the locale.
 */
void sg_report_set_utf8_output(gboolean utf8);
gboolean sg_report_utf8_output(void);
/* (transfer full) (nullable): @s fit for the output (see above). */
char *sg_report_for_output(const char *s);
/* fputs(sg_report_for_output(@s), @out). */
void sg_report_fputs(const char *s, FILE *out);
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

/* The formats counted apart in SgRunTotals (sg_spool_formats() order). */
#define SG_REPORT_FORMATS_MAX 16

/* Run totals. */
typedef struct {
	gint examined;
	gint clean;
	gint warned;
	gint quarantined; /* or would be, with -n */
	gint held;
	gint already_held; /* --action hold: the MTA held it already */
	gint kept;         /* must go, left in place (--action none,
	                      --hold-fallback none, an mbox's message) */
	gint unchanged;    /* clean by the last run (--state), not re-read */
	SgWalkStats walk;
	gdouble seconds;
	/* Messages with a finding of each rule, at warn and at quarantine. */
	gint rule_warn[SG_RULE_COUNT];
	gint rule_quarantine[SG_RULE_COUNT];
	/* Examined messages by format (sg_spool_formats() index) and
	 * verdict: 0 clean (or info), 1 warn, 2 quarantine. */
	gint format_verdict[SG_REPORT_FORMATS_MAX][3];
	/* The quarantine store after the run; -1 when not known. */
	gint64 store_entries;
	gint64 store_bytes;
	/* The run's exit status (set before the metrics are written). */
	gint exit_status;
} SgRunTotals;

/* One count of a run, with the name every writer gives it. */
typedef struct {
	const char *name;
	gint value;
} SgReportCount;
#define SG_REPORT_COUNTS 14
/* The run's counts, in the order the JSON summary, the metrics and the
 * log line list them: seen, examined, clean, warned, quarantined, held,
 * already_held, kept, unchanged, young, busy, vanished, skipped, errors. */
void sg_report_run_counts(const SgRunTotals *totals,
    SgReportCount out[SG_REPORT_COUNTS]);
/* (transfer full): "seen=9, examined=9, ..., errors=0, seconds=0.12". */
char *sg_report_counts_line(const SgRunTotals *totals);

/* Zeroes @totals and marks the store figures unknown. */
void sg_report_totals_init(SgRunTotals *totals);
/* Counts an examined @msg by format, verdict and rules (thread-safe). */
void sg_report_totals_add(SgRunTotals *totals, SgMessage *msg);

/* Text: one line for people; JSON: one {"summary": {...}} line. */
void sg_report_write_summary(FILE *out, SgReportFormat format,
    const SgRunTotals *totals, gboolean dry_run);
/*
 * (transfer full): the Prometheus text exposition of @totals, valid under
 * both the classic text format and OpenMetrics.  The counters (*_total)
 * start from those in @previous (nullable: the file the last run wrote),
 * so they grow across runs.
 */
char *
sg_report_metrics_text_carry(const SgRunTotals *totals, const char *previous);
/* The same without a previous file: this run's numbers alone. */
char *sg_report_metrics_text(const SgRunTotals *totals);
/* Writes it to @path atomically (temporary file, fsync, rename), 0644,
 * carrying the counters of the file already at @path. */
gboolean sg_report_write_metrics(const char *path, const SgRunTotals *totals,
    GError **error);

/* syslog on LOG_MAIL; ident "spoolguard". */
void sg_report_syslog_open(void);
/* Logs what scan did to @msg: only a message at warn or above, or one
 * whose @outcome has an error; a clean one is not logged. */
void sg_report_syslog_message(SgMessage *msg, const SgOutcome *outcome);
void
sg_report_syslog_line(int priority, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/*
 * The fields of one log line about one message, in the order Postfix's
 * own lines put them.  Strings are (nullable) and left out when NULL;
 * numbers are left out when negative.
 */
typedef struct {
	const char *id;         /* queue id, else the message's name */
	const char *sender;     /* envelope sender: from=<...> */
	gint64 size;            /* size=N */
	gint64 nrcpt;           /* nrcpt=N */
	const char *message_id; /* message-id=... (as in the header) */
	const char *queue;      /* queue=deferred */
	const char *verdict;    /* verdict=quarantine */
	const char *action;     /* action=quarantined */
	const char *rules;      /* rules=a,b ("-" when empty) */
	const char *store_id;   /* store=... */
	const char *to;         /* to=DIR (release) */
	const char *reason;     /* reason="..." */
	const char *error;      /* error="..." */
} SgLogFields;

/* (transfer full): "ID: from=<s>, size=N, ..., rules=r, store=S", every
 * value escaped (control bytes, invalid UTF-8) and capped. */
char *sg_report_log_line(const SgLogFields *fields);
/*
 * (transfer full): the line for what was done to @msg (@outcome's
 * action, store id, error, reason; the message's queue id, or its id when
 * it has none; envelope sender, size, recipients, Message-ID, verdict and
 * rules at warn or worse).  `scan`, `check` and `milter` all log this.
 */
char *sg_report_action_line(SgMessage *msg, const SgOutcome *outcome);
/* The syslog priority for @outcome: LOG_ERR for an error, LOG_WARNING for
 * a verdict of quarantine, LOG_NOTICE for warn, else LOG_INFO. */
int sg_report_action_priority(SgMessage *msg, const SgOutcome *outcome);
/* Logs sg_report_action_line() at sg_report_action_priority(). */
void sg_report_syslog_action(SgMessage *msg, const SgOutcome *outcome);
/*
 * Tests: every line that would go to syslog(3) goes to @sink instead
 * (priority and the line); NULL restores syslog(3).
 */
typedef void (*SgSyslogSink)(int priority, const char *line, gpointer data);
void sg_report_syslog_set_sink(SgSyslogSink sink, gpointer data);

/* ---- what the message says of itself (report-headers.c) ------------- */

/* Header bytes read at most to find a field for a log line. */
#define SG_REPORT_HEADER_READ_MAX (1024 * 1024)

/*
 * (transfer full) (nullable): the unfolded value of the first top-level
 * header field @name (case-insensitive) of @msg's content, raw bytes with
 * blanks trimmed, cut at @max bytes; NULL when there is none within the
 * first SG_REPORT_HEADER_READ_MAX bytes or the content cannot be read.
 * *@len (nullable) gets its length (it may hold NUL bytes).
 */
char *
sg_report_header_value(SgMessage *msg, const char *name, gsize max, gsize *len);
/* (transfer full) (nullable): Message-ID for log lines, escaped, <= 200. */
char *sg_report_message_id(SgMessage *msg);
/*
 * Fills the value of every row of @inspect->headers (unfolded, raw bytes)
 * from @msg's content, reading at most @max_bytes of header block; rows
 * past that keep a NULL value.  FALSE with @error when the content cannot
 * be read.
 */
gboolean sg_report_inspect_values(SgMessage *msg, SgInspect *inspect,
    gsize max_bytes, GError **error);
/*
 * Fills @inspect->bodies: for each leaf MIME part (at most @max_parts),
 * its first @max_bytes bytes decoded (transfer encoding, and charset to
 * UTF-8 for text parts).  FALSE with @error when the content cannot be
 * read.
 */
gboolean sg_report_inspect_bodies(SgMessage *msg, SgInspect *inspect,
    guint max_parts, gsize max_bytes, GError **error);
/* The width header values are cut at in text (0: not cut). */
void sg_report_set_text_width(guint width);

/* ---- the MTA's own logs (report-mta.c) ------------------------------ */

/*
 * Before a move: appends "YYYY-MM-DD HH:MM:SS spoolguard: @text" to the
 * message's Exim msglog (its file of role "msglog"), as Exim writes its
 * own lines there, and refreshes the file's stat.  TRUE (doing nothing)
 * for other formats or when there is no msglog.
 */
gboolean sg_report_mta_note(SgMessage *msg, const char *text, GError **error);
/*
 * After an action: for a Postfix message, the action line through
 * Postfix's postlog(1) (tag postfix/spoolguard) when postlog is
 * installed, so it lands in Postfix's own log.  Silent otherwise.
 */
void sg_report_mta_log(SgMessage *msg, const SgOutcome *outcome);

G_END_DECLS

#endif /* SPOOLGUARD_REPORT_H */
