// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report-mta.c - saying what spoolguard did in the MTA's own log, where
 * the MTA has one an outside program may write to.
 *
 * Exim keeps a log per message, msglog/<id>, where its lines read
 * "YYYY-MM-DD HH:MM:SS text" in local time; `exim -Mvl` shows it and it
 * travels with the message.  Before a message moves (into the quarantine
 * or, frozen, in place), sg_report_mta_note() appends one such line,
 * "... spoolguard: <text>", under the lock the reader holds on -D (Exim
 * writes the msglog only under that lock).  The file is opened with
 * O_APPEND|O_NOFOLLOW and never created, and its stat is taken again so
 * that the move and the report see the new size.
 *
 * Postfix writes its log through postlog(1) (or syslog); after a Postfix
 * message was acted on, sg_report_mta_log() hands the action line to
 * `postlog -t postfix/spoolguard -p PRIORITY`, found in $PATH or
 * /usr/sbin, so that it lands in Postfix's log (maillog_file or syslog,
 * with MAIL_CONFIG's main.cf) with the queue id first like postsuper's.
 * Where postlog is not installed nothing happens.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "report-private.h"

gboolean
sg_report_mta_note(SgMessage *msg, const char *text, GError **error)
{
	SgMessageFile *f = NULL;
	g_autofree char *safe = sg_report_text_safe(text, 1024);
	g_autofree char *line = NULL;
	char when[32];
	struct tm tm;
	time_t now = time(NULL);
	int fd;

	if (msg->format == NULL || strcmp(msg->format, "exim") != 0)
		return TRUE;
	for (guint i = 0; i < msg->files->len && f == NULL; i++) {
		SgMessageFile *c = sg_message_file(msg, i);

		if (c->role != NULL && strcmp(c->role, "msglog") == 0)
			f = c;
	}
	if (f == NULL)
		return TRUE;
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		g_strlcpy(when, "1970-01-01 00:00:00", sizeof(when));
	line = g_strdup_printf("%s spoolguard: %s\n", when, safe);
	fd = open(f->path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;

		if (saved == ENOENT)
			return TRUE; /* no msglog after all */
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: cannot open for a line: %s", f->path,
		    g_strerror(saved));
		return FALSE;
	}
	if (!sg_fd_write_all(fd, line, strlen(line))) {
		int saved = errno;

		close(fd);
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: cannot write a line: %s", f->path, g_strerror(saved));
		return FALSE;
	}
	close(fd);
	/* The move copies and hashes what is there now. */
	if (f->fd >= 0 && fstat(f->fd, &f->st) != 0) {
		int saved = errno;

		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: cannot stat: %s", f->path, g_strerror(saved));
		return FALSE;
	}
	return TRUE;
}

/* (transfer full) (nullable): postlog in $PATH, else in /usr/sbin. */
static char *
mta_postlog(void)
{
	char *path = g_find_program_in_path("postlog");

	if (path == NULL &&
	    g_file_test("/usr/sbin/postlog", G_FILE_TEST_IS_EXECUTABLE))
		path = g_strdup("/usr/sbin/postlog");
	return path;
}

void
sg_report_mta_log(SgMessage *msg, const SgOutcome *outcome)
{
	g_autofree char *postlog = NULL;
	g_autofree char *line = NULL;
	g_autoptr(GError) error = NULL;
	const char *prio;
	int status = 0;

	if (msg->format == NULL || strcmp(msg->format, "postfix") != 0 ||
	    msg->queue_id == NULL)
		return;
	postlog = mta_postlog();
	if (postlog == NULL)
		return;
	switch (sg_report_action_priority(msg, outcome)) {
	case LOG_ERR:
		prio = "error";
		break;
	case LOG_WARNING:
		prio = "warning";
		break;
	default:
		prio = "info";
		break;
	}
	line = sg_report_action_line(msg, outcome);
	{
		/* "--" ends the options: the line is text, whatever it says. */
		const char *argv[] = { postlog, "-t", "postfix/spoolguard",
			"-p", prio, "--", line, NULL };

		if (!g_spawn_sync(NULL, (char **)argv, NULL,
		        G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
		        NULL, NULL, NULL, NULL, &status, &error) ||
		    !g_spawn_check_wait_status(status, &error)) {
			g_autofree char *l =
			    g_strdup_printf("%s: postlog failed: %s",
			        msg->queue_id, error->message);

			sg_report_syslog_line(LOG_ERR, "%s", l);
		}
	}
}
