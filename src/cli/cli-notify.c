// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli-notify.c - `scan --notify ADDRESS`: one summary mail per run that
 * moved something, handed to the local MTA through its sendmail command.
 *
 * Workers add each message they quarantined or held (the same line the
 * run logs to syslog); at the end of the run, if there was any, the mail
 * is written to a temporary file without a name and given to
 * "SENDMAIL -i -- ADDRESS" as standard input, and its exit status is
 * checked.  At most NOTIFY_LINES messages are listed, then how many more.
 * The address is checked before the run (no leading '-', no blanks or
 * control bytes, one '@'), so that it can be neither an option of
 * sendmail nor a header of its own.  A dry run sends nothing.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli-private.h"

/* Messages listed in the mail; the rest are counted. */
#define NOTIFY_LINES 100
/* The longest address taken (RFC 5321: 64 + 1 + 255). */
#define NOTIFY_ADDRESS_MAX 320

struct _SgCliNotify {
	char *address;
	char *sendmail;
	GMutex lock;
	GPtrArray *lines; /* char*: action lines */
	guint count;      /* every message added */
};

gboolean
sg_cli_notify_address_ok(const char *address)
{
	gsize len = address != NULL ? strlen(address) : 0;
	const char *at;

	if (len == 0 || len > NOTIFY_ADDRESS_MAX || address[0] == '-')
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)address[i];

		if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == ',' ||
		    c == '"')
			return FALSE;
	}
	at = strchr(address, '@');
	return at != NULL && at != address && at[1] != '\0' &&
	    strchr(at + 1, '@') == NULL;
}

SgCliNotify *
sg_cli_notify_new(const char *address, const char *sendmail)
{
	SgCliNotify *n = g_new0(SgCliNotify, 1);

	n->address = g_strdup(address);
	n->sendmail =
	    g_strdup(sendmail != NULL ? sendmail : SG_CLI_SENDMAIL_DEFAULT);
	g_mutex_init(&n->lock);
	n->lines = g_ptr_array_new_with_free_func(g_free);
	return n;
}

void
sg_cli_notify_free(SgCliNotify *n)
{
	if (n == NULL)
		return;
	g_free(n->address);
	g_free(n->sendmail);
	g_mutex_clear(&n->lock);
	g_ptr_array_unref(n->lines);
	g_free(n);
}

void
sg_cli_notify_add(SgCliNotify *n, SgMessage *msg, const SgOutcome *outcome)
{
	char *line;

	if (n == NULL)
		return;
	line = sg_report_action_line(msg, outcome);
	g_mutex_lock(&n->lock);
	n->count++;
	if (n->lines->len < NOTIFY_LINES)
		g_ptr_array_add(n->lines, g_steal_pointer(&line));
	g_mutex_unlock(&n->lock);
	g_free(line);
}

/* The mail, headers and body, ready for sendmail -i. */
static char *
notify_text(SgCliNotify *n, const SgRunTotals *t)
{
	GString *out = g_string_new(NULL);
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *zone = g_date_time_format(now, "%z");
	g_autofree char *date = NULL;
	const char *host = g_get_host_name();
	/* The date in English whatever the locale: RFC 5322 wants it. */
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
		"Sat", "Sun" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

	date = g_strdup_printf("%s, %02d %s %04d %02d:%02d:%02d %s",
	    days[g_date_time_get_day_of_week(now) - 1],
	    g_date_time_get_day_of_month(now),
	    months[g_date_time_get_month(now) - 1], g_date_time_get_year(now),
	    g_date_time_get_hour(now), g_date_time_get_minute(now),
	    g_date_time_get_second(now), zone);
	g_string_append_printf(out, "To: %s\n", n->address);
	g_string_append_printf(out,
	    "Subject: spoolguard on %s: %u message%s moved out of the queue\n",
	    host, n->count, n->count == 1 ? "" : "s");
	g_string_append_printf(out, "Date: %s\n", date);
	g_string_append(out,
	    "Auto-Submitted: auto-generated\n"
	    "Precedence: bulk\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=UTF-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n");
	g_string_append_printf(out,
	    "spoolguard scan on %s: %d examined, %d clean, %d warned, "
	    "%d quarantined, %d held, %d errors.\n\n",
	    host, t->examined, t->clean, t->warned, t->quarantined, t->held,
	    t->walk.errors);
	for (guint i = 0; i < n->lines->len; i++)
		g_string_append_printf(out, "%s\n",
		    (const char *)g_ptr_array_index(n->lines, i));
	if (n->count > n->lines->len)
		g_string_append_printf(out, "... and %u more.\n",
		    n->count - n->lines->len);
	g_string_append(out,
	    "\nEach entry: spoolguard quarantine show ID; "
	    "put one back: spoolguard quarantine release "
	    "ID.\n");
	return g_string_free(out, FALSE);
}

gboolean
sg_cli_notify_send(SgCliNotify *n, const SgRunTotals *totals, GError **error)
{
	g_autofree char *text = NULL;
	const char *argv[] = { n->sendmail, "-i", "--", n->address, NULL };
	GPid pid;
	int fd, status = 0;

	if (n->count == 0)
		return TRUE;
	text = notify_text(n, totals);
	fd = sg_tmpfile_unnamed(g_get_tmp_dir(), error);
	if (fd < 0)
		return FALSE;
	if (!sg_fd_write_all(fd, text, strlen(text))) {
		int saved = errno;

		close(fd);
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "notification mail: %s", g_strerror(saved));
		return FALSE;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		int saved = errno;

		close(fd);
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "notification mail: %s", g_strerror(saved));
		return FALSE;
	}
	if (!g_spawn_async_with_fds(NULL, (char **)argv, NULL,
	        G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
	        NULL, &pid, fd, -1, -1, error)) {
		close(fd);
		g_prefix_error(error, "notification mail: ");
		return FALSE;
	}
	close(fd);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
			    "notification mail: waitpid: %s",
			    g_strerror(errno));
			g_spawn_close_pid(pid);
			return FALSE;
		}
	}
	g_spawn_close_pid(pid);
	if (!g_spawn_check_wait_status(status, error)) {
		g_prefix_error(error, "notification mail: %s: ", n->sendmail);
		return FALSE;
	}
	return TRUE;
}

guint
sg_cli_notify_count(SgCliNotify *n)
{
	return n != NULL ? n->count : 0;
}
