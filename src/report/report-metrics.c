// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report-metrics.c - run totals as a Prometheus textfile (node_exporter's
 * textfile collector).
 *
 * The file is replaced atomically: written to "<path>.tmp.<pid>" (created
 * exclusively, never through a symlink), fsynced, renamed over <path>, and
 * the directory fsynced, so the collector never reads half a file.  The
 * file is 0644 because the exporter usually runs as another user.  The
 * counters hold the last run's numbers; spoolguard_last_run_timestamp_seconds
 * says when it ended.  Returned strings belong to the caller.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "report-private.h"

static void
metrics_family(GString *out, const char *name, const char *type,
    const char *help)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

char *
sg_report_metrics_text(const SgRunTotals *t)
{
	GString *out = g_string_new(NULL);
	const struct {
		const char *name;
		const char *help;
		gint value;
	} counters[] = {
		{ "spoolguard_messages_seen_total",
		    "Message candidates the walker found in the last run.",
		    t->walk.seen },
		{ "spoolguard_messages_examined_total",
		    "Messages examined in the last run.", t->examined },
		{ "spoolguard_messages_clean_total",
		    "Messages with no finding at warn or worse.", t->clean },
		{ "spoolguard_messages_warned_total",
		    "Messages with findings at warn.", t->warned },
		{ "spoolguard_messages_quarantined_total",
		    "Messages quarantined (or that would be, in a dry run).",
		    t->quarantined },
		{ "spoolguard_messages_held_total",
		    "Messages put on the MTA's hold.", t->held },
		{ "spoolguard_messages_already_held_total",
		    "Messages the MTA held already (--action hold).",
		    t->already_held },
		{ "spoolguard_messages_kept_total",
		    "Messages that must go, left in place (--action none).",
		    t->kept },
		{ "spoolguard_errors_total",
		    "Messages that could not be examined or moved.",
		    t->walk.errors },
	};
	const struct {
		const char *reason;
		gint value;
	} skipped[] = {
		{ "young", t->walk.young },
		{ "busy", t->walk.busy },
		{ "vanished", t->walk.vanished },
		{ "not-message", t->walk.skipped },
	};

	for (guint i = 0; i < G_N_ELEMENTS(counters); i++) {
		metrics_family(out, counters[i].name, "counter",
		    counters[i].help);
		g_string_append_printf(out, "%s %d\n", counters[i].name,
		    counters[i].value);
	}
	metrics_family(out, "spoolguard_messages_skipped_total", "counter",
	    "Candidates skipped, by reason.");
	for (guint i = 0; i < G_N_ELEMENTS(skipped); i++) {
		g_string_append_printf(out,
		    "spoolguard_messages_skipped_total{reason=\"%s\"} %d\n",
		    skipped[i].reason, skipped[i].value);
	}
	metrics_family(out, "spoolguard_last_run_duration_seconds", "gauge",
	    "How long the last run took.");
	g_string_append_printf(out,
	    "spoolguard_last_run_duration_seconds %.6f\n", t->seconds);
	metrics_family(out, "spoolguard_last_run_timestamp_seconds", "gauge",
	    "When the last run ended, in seconds since the epoch.");
	g_string_append_printf(out,
	    "spoolguard_last_run_timestamp_seconds %" G_GINT64_FORMAT "\n",
	    g_get_real_time() / G_USEC_PER_SEC);
	return g_string_free(out, FALSE);
}

static gboolean
metrics_fail(const char *path, const char *step, int saved, GError **error)
{
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
	    "metrics %s: %s: %s", path, step, g_strerror(saved));
	return FALSE;
}

gboolean
sg_report_write_metrics(const char *path, const SgRunTotals *totals,
    GError **error)
{
	g_autofree char *text = sg_report_metrics_text(totals);
	g_autofree char *tmp =
	    g_strdup_printf("%s.tmp.%ld", path, (long)getpid());
	g_autofree char *dir = g_path_get_dirname(path);
	gsize len = strlen(text), done = 0;
	int fd, saved, dfd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd < 0)
		return metrics_fail(tmp, "create", errno, error);
	/* 0644 whatever the umask: the exporter reads it. */
	if (fchmod(fd, 0644) != 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		return metrics_fail(tmp, "chmod", saved, error);
	}
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			saved = n < 0 ? errno : ENOSPC;
			close(fd);
			unlink(tmp);
			return metrics_fail(tmp, "write", saved, error);
		}
		done += (gsize)n;
	}
	if (fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		return metrics_fail(tmp, "fsync", saved, error);
	}
	if (close(fd) != 0) {
		saved = errno;
		unlink(tmp);
		return metrics_fail(tmp, "close", saved, error);
	}
	if (rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		return metrics_fail(path, "rename", saved, error);
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return TRUE;
}
