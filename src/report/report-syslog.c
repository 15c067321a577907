// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report-syslog.c - syslog on the mail facility, ident "spoolguard", one
 * line per action, worded as an MTA words its own.
 *
 * A line about a message reads like Postfix's qmgr and cleanup lines:
 *
 *	ID: from=<sender>, size=N, nrcpt=N, message-id=<id>, queue=Q,
 *	    verdict=V, action=A, rules=r1,r2, store=S
 *
 * where ID is the MTA's queue id when the message has one (else its
 * name), so that `grep ID /var/log/mail.log` finds the MTA's lines and
 * ours together.  A field whose value is not known is left out.  Every
 * value that came from a spool is escaped (control bytes, invalid UTF-8;
 * UTF-8 is kept whatever the locale) and capped.  scan, check, milter,
 * quarantine release, recheck and purge all build their lines here.
 * Priorities: LOG_ERR when an action failed, LOG_WARNING for a verdict
 * of quarantine, LOG_NOTICE for warn, LOG_INFO otherwise.  syslog(3) is
 * thread-safe, so workers log directly.  With $SPOOLGUARD_LOG_FILE set the
 * lines are appended to that file instead (as Postfix's maillog_file does,
 * for hosts and containers without syslog); unit tests divert them
 * through sg_report_syslog_set_sink().  Returned strings belong to the
 * caller.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "report-private.h"

/* Caps for the values in a log line, in bytes before escaping. */
#define LOG_ID_MAX 255
#define LOG_ADDRESS_MAX 320
#define LOG_MESSAGE_ID_MAX 200
#define LOG_RULES_MAX 1024
#define LOG_TEXT_MAX 512
#define LOG_PATH_MAX 4096

static SgSyslogSink syslog_sink;
static gpointer syslog_sink_data;
/* $SPOOLGUARD_LOG_FILE, once opened, instead of syslog(3). */
static int log_file_fd = -1;
static GMutex log_file_lock;

void
sg_report_syslog_set_sink(SgSyslogSink sink, gpointer data)
{
	syslog_sink = sink;
	syslog_sink_data = data;
}

/* "2026-11-22T03:15:02+00:00 HOST spoolguard[PID]: LINE", as rsyslog's
 * precise format writes a syslog line. */
static void
syslog_file_write(const char *line)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *when = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S%:z");
	g_autofree char *text = g_strdup_printf("%s %s spoolguard[%ld]: %s\n",
	    when, g_get_host_name(), (long)getpid(), line);

	g_mutex_lock(&log_file_lock);
	(void)sg_fd_write_all(log_file_fd, text, strlen(text));
	g_mutex_unlock(&log_file_lock);
}

static void
syslog_emit(int priority, const char *line)
{
	if (syslog_sink != NULL) {
		syslog_sink(priority, line, syslog_sink_data);
		return;
	}
	if (log_file_fd >= 0) {
		syslog_file_write(line);
		return;
	}
	syslog(priority, "%s", line);
}

void
sg_report_syslog_open(void)
{
	const char *file = g_getenv("SPOOLGUARD_LOG_FILE");

	if (file != NULL && file[0] != '\0' && log_file_fd < 0) {
		/* Like Postfix's maillog_file: where there is no syslog. */
		log_file_fd = open(file,
		    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0640);
		if (log_file_fd < 0)
			g_warning("SPOOLGUARD_LOG_FILE %s: %s; logging to "
			          "syslog",
			    file, g_strerror(errno));
	}
	if (log_file_fd < 0)
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
	syslog_emit(priority, safe);
}

/* Appends ", key=<value>" (or the first field's "key=<value>"). */
static void
log_field(GString *out, const char *key, const char *open, const char *value,
    const char *close, gsize max)
{
	g_autofree char *safe = NULL;

	if (value == NULL)
		return;
	safe = sg_report_text_safe(value, max);
	if (out->str[out->len - 1] != ' ')
		g_string_append(out, ", ");
	g_string_append_printf(out, "%s=%s%s%s", key, open, safe, close);
}

char *
sg_report_log_line(const SgLogFields *f)
{
	GString *out = g_string_new(NULL);
	g_autofree char *id = sg_report_text_safe(f->id, LOG_ID_MAX);

	g_string_append_printf(out, "%s: ", id);
	log_field(out, "from", "<", f->sender, ">", LOG_ADDRESS_MAX);
	if (f->size >= 0) {
		if (out->str[out->len - 1] != ' ')
			g_string_append(out, ", ");
		g_string_append_printf(out, "size=%" G_GINT64_FORMAT, f->size);
	}
	if (f->nrcpt >= 0) {
		if (out->str[out->len - 1] != ' ')
			g_string_append(out, ", ");
		g_string_append_printf(out, "nrcpt=%" G_GINT64_FORMAT,
		    f->nrcpt);
	}
	/* Already escaped and capped by sg_report_message_id(). */
	if (f->message_id != NULL) {
		if (out->str[out->len - 1] != ' ')
			g_string_append(out, ", ");
		g_string_append_printf(out, "message-id=%s", f->message_id);
	}
	log_field(out, "queue", "", f->queue, "", LOG_ID_MAX);
	log_field(out, "verdict", "", f->verdict, "", LOG_ID_MAX);
	log_field(out, "action", "", f->action, "", LOG_ID_MAX);
	if (f->rules != NULL)
		log_field(out, "rules", "",
		    f->rules[0] != '\0' ? f->rules : "-", "", LOG_RULES_MAX);
	log_field(out, "store", "", f->store_id, "", LOG_ID_MAX);
	log_field(out, "to", "", f->to, "", LOG_PATH_MAX);
	log_field(out, "reason", "\"", f->reason, "\"", LOG_TEXT_MAX);
	log_field(out, "error", "\"", f->error, "\"", LOG_TEXT_MAX);
	/* "ID: " alone: nothing was known. */
	if (out->len >= 2 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 2);
	return g_string_free(out, FALSE);
}

char *
sg_report_action_line(SgMessage *msg, const SgOutcome *outcome)
{
	g_autofree char *rules = sg_report_rules(msg, SG_SEVERITY_WARN);
	g_autofree char *message_id = sg_report_message_id(msg);
	SgLogFields f = {
		.id = msg->queue_id != NULL ? msg->queue_id : msg->id,
		.size = msg->content_size >= 0 ? msg->content_size
		                               : sg_message_total_size(msg),
		.nrcpt = -1,
		.message_id = message_id,
		.queue = msg->queue_name,
		.verdict = sg_report_verdict_name(msg->verdict),
		.rules = rules,
	};

	/* Only a known envelope says who sent it and to how many. */
	if (msg->sender != NULL) {
		f.sender = msg->sender->address;
		f.nrcpt = (gint64)msg->rcpt_total;
	} else if (msg->rcpt_total > 0) {
		f.nrcpt = (gint64)msg->rcpt_total;
	}
	if (outcome != NULL) {
		f.action = outcome->action;
		f.store_id = outcome->store_id;
		f.reason = outcome->reason;
		f.error = outcome->error;
	}
	if (f.action == NULL)
		f.action = "none";
	return sg_report_log_line(&f);
}

int
sg_report_action_priority(SgMessage *msg, const SgOutcome *outcome)
{
	if (outcome != NULL && outcome->error != NULL)
		return LOG_ERR;
	if (msg->verdict >= SG_SEVERITY_QUARANTINE)
		return LOG_WARNING;
	if (msg->verdict >= SG_SEVERITY_WARN)
		return LOG_NOTICE;
	return LOG_INFO;
}

void
sg_report_syslog_action(SgMessage *msg, const SgOutcome *outcome)
{
	g_autofree char *line = sg_report_action_line(msg, outcome);

	syslog_emit(sg_report_action_priority(msg, outcome), line);
}

void
sg_report_syslog_message(SgMessage *msg, const SgOutcome *outcome)
{
	if (msg->verdict < SG_SEVERITY_WARN &&
	    (outcome == NULL || outcome->error == NULL))
		return;
	sg_report_syslog_action(msg, outcome);
}
