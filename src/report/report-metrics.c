// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report-metrics.c - run totals as a Prometheus textfile (node_exporter's
 * textfile collector, or anything that reads the text format).
 *
 * The file is valid under both the classic text format and OpenMetrics:
 * a counter family is declared without its suffix ("# TYPE
 * spoolguard_messages_seen counter") and its samples carry "_total", as
 * OpenMetrics requires (the classic parsers read such samples as untyped,
 * which rate() and increase() take as they are); every other family is a
 * gauge; the file ends with "# EOF".  Numbers are written with the C
 * locale's decimal point whatever the process locale.
 *
 * Counters grow across runs: the samples named *_total of the file the
 * last run left are read back and this run's numbers added to them, a
 * series this run did not see (a rule that fired last week) kept as it
 * was.  A missing or unreadable file starts them again from this run
 * (Prometheus takes a reset as a reset).  The last_run gauges say what
 * this run alone saw; the store gauges what the quarantine holds now.
 *
 * The file is replaced atomically: written to "<path>.tmp.<pid>" (created
 * exclusively, never through a symlink), fsynced, renamed over <path>,
 * and the directory fsynced, so the collector never reads half a file.
 * It is 0644 because the exporter usually runs as another user.
 * Returned strings belong to the caller.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "report-private.h"

/* A previous file larger than this is not ours: start again. */
#define METRICS_PREVIOUS_MAX (4 * 1024 * 1024)

static void
metrics_family(GString *out, const char *name, const char *type,
    const char *help)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* A number as the exposition formats want it: C locale, integers bare. */
static void
metrics_value(GString *out, gdouble v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	if (!isfinite(v))
		v = 0;
	if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
	    (gdouble)(gint64)v == v)
		g_string_append_printf(out, "%" G_GINT64_FORMAT, (gint64)v);
	else
		g_string_append(out, g_ascii_dtostr(buf, sizeof(buf), v));
	g_string_append_c(out, '\n');
}

/* The *_total samples of the previous file: "name{labels}" -> value. */
static GHashTable *
metrics_parse_previous(const char *previous)
{
	GHashTable *t =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_auto(GStrv) lines = NULL;

	if (previous == NULL)
		return t;
	lines = g_strsplit(previous, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip(lines[i]);
		char *sp, *end = NULL, *brace;
		gsize name_len;
		gdouble v;

		if (line[0] == '#' || !g_str_has_prefix(line, "spoolguard_"))
			continue;
		sp = strrchr(line, ' ');
		if (sp == NULL)
			continue;
		v = g_ascii_strtod(sp + 1, &end);
		if (end == sp + 1 || *end != '\0' || !isfinite(v) || v < 0)
			continue;
		*sp = '\0';
		brace = strchr(line, '{');
		name_len = brace != NULL ? (gsize)(brace - line) : strlen(line);
		if (name_len < 6 ||
		    strncmp(line + name_len - 6, "_total", 6) != 0)
			continue;
		g_hash_table_replace(t, g_strdup(line), g_new(gdouble, 1));
		*(gdouble *)g_hash_table_lookup(t, line) = v;
	}
	return t;
}

/* One counter sample: @key is "name_total{labels}"; adds the old value. */
static void
metrics_counter(GString *out, GHashTable *prev, const char *key, gdouble v)
{
	gdouble *old = g_hash_table_lookup(prev, key);

	if (old != NULL)
		v += *old;
	g_string_append_printf(out, "%s ", key);
	metrics_value(out, v);
	g_hash_table_remove(prev, key);
}

/* The series of counter @family the previous file had and this run not. */
static void
metrics_counter_rest(GString *out, GHashTable *prev, const char *family)
{
	g_autofree char *prefix = g_strdup_printf("%s_total{", family);
	g_autoptr(GList) keys = g_hash_table_get_keys(prev);

	keys = g_list_sort(keys, (GCompareFunc)strcmp);
	for (GList *l = keys; l != NULL; l = l->next) {
		if (g_str_has_prefix(l->data, prefix))
			metrics_counter(out, prev, l->data, 0);
	}
}

/* A counter family without labels. */
static void
metrics_plain_counter(GString *out, GHashTable *prev, const char *family,
    const char *help, gdouble v)
{
	g_autofree char *key = g_strdup_printf("%s_total", family);

	metrics_family(out, family, "counter", help);
	metrics_counter(out, prev, key, v);
}

static void
metrics_gauge(GString *out, const char *name, const char *help, gdouble v)
{
	metrics_family(out, name, "gauge", help);
	g_string_append_printf(out, "%s ", name);
	metrics_value(out, v);
}

static const char *const metrics_verdicts[3] = { "clean", "warn",
	"quarantine" };

/* The plain run counters, spoolguard_runs first. */
static void
metrics_run_counters(GString *out, GHashTable *prev, const SgRunTotals *t)
{
	const struct {
		const char *family;
		const char *help;
		gint value;
	} counters[] = {
		{ "spoolguard_messages_seen",
		    "Message candidates the walker found.", t->walk.seen },
		{ "spoolguard_messages_examined", "Messages examined.",
		    t->examined },
		{ "spoolguard_messages_clean",
		    "Messages with no finding at warn or worse.", t->clean },
		{ "spoolguard_messages_warned",
		    "Messages with findings at warn.", t->warned },
		{ "spoolguard_messages_quarantined",
		    "Messages quarantined (or that would be, in a dry run).",
		    t->quarantined },
		{ "spoolguard_messages_held", "Messages put on the MTA's hold.",
		    t->held },
		{ "spoolguard_messages_already_held",
		    "Messages the MTA held already (--action hold).",
		    t->already_held },
		{ "spoolguard_messages_kept",
		    "Messages that must go, left in place (--action none, "
		    "--hold-fallback none, an mbox's).",
		    t->kept },
		{ "spoolguard_messages_unchanged",
		    "Messages judged clean before and not read again "
		    "(--state).",
		    t->unchanged },
		{ "spoolguard_errors",
		    "Messages that could not be examined or moved.",
		    t->walk.errors },
	};

	metrics_plain_counter(out, prev, "spoolguard_runs",
	    "Scans that wrote this file.", 1);
	for (guint i = 0; i < G_N_ELEMENTS(counters); i++)
		metrics_plain_counter(out, prev, counters[i].family,
		    counters[i].help, counters[i].value);
}

/* spoolguard_messages_skipped, by reason. */
static void
metrics_skipped(GString *out, GHashTable *prev, const SgRunTotals *t)
{
	const struct {
		const char *reason;
		gint value;
	} skipped[] = {
		{ "young", t->walk.young },
		{ "busy", t->walk.busy },
		{ "vanished", t->walk.vanished },
		{ "not-message", t->walk.skipped },
	};

	metrics_family(out, "spoolguard_messages_skipped", "counter",
	    "Candidates skipped, by reason.");
	for (guint i = 0; i < G_N_ELEMENTS(skipped); i++) {
		g_autofree char *key = g_strdup_printf(
		    "spoolguard_messages_skipped_total{reason=\"%s\"}",
		    skipped[i].reason);

		metrics_counter(out, prev, key, skipped[i].value);
	}
	metrics_counter_rest(out, prev, "spoolguard_messages_skipped");
}

/* spoolguard_format_messages, by spool format and verdict. */
static void
metrics_formats(GString *out, GHashTable *prev, const SgRunTotals *t)
{
	const SgSpoolOps *const *formats = sg_spool_formats();

	metrics_family(out, "spoolguard_format_messages", "counter",
	    "Messages examined, by spool format and verdict.");
	for (guint i = 0; formats[i] != NULL && i < SG_REPORT_FORMATS_MAX;
	     i++) {
		for (guint v = 0; v < 3; v++) {
			g_autofree char *key = g_strdup_printf(
			    "spoolguard_format_messages_total{format=\"%s\","
			    "verdict=\"%s\"}",
			    formats[i]->name, metrics_verdicts[v]);

			metrics_counter(out, prev, key,
			    t->format_verdict[i][v]);
		}
	}
	metrics_counter_rest(out, prev, "spoolguard_format_messages");
}

/* spoolguard_rule_messages, by rule id and severity. */
static void
metrics_rules(GString *out, GHashTable *prev, const SgRunTotals *t)
{
	metrics_family(out, "spoolguard_rule_messages", "counter",
	    "Messages with a finding of a rule, by rule id and severity.");
	for (guint r = 0; r < SG_RULE_COUNT; r++) {
		const gint counts[2] = { t->rule_warn[r],
			t->rule_quarantine[r] };
		static const char *const sev[2] = { "warn", "quarantine" };

		for (guint k = 0; k < 2; k++) {
			g_autofree char *key = NULL;

			if (counts[k] == 0)
				continue;
			key = g_strdup_printf(
			    "spoolguard_rule_messages_total{rule=\"%s\","
			    "severity=\"%s\"}",
			    sg_rule_id((SgRuleId)r), sev[k]);
			metrics_counter(out, prev, key, counts[k]);
		}
	}
	metrics_counter_rest(out, prev, "spoolguard_rule_messages");
}

/* The gauges of the last run and of the store, then the build info. */
static void
metrics_last_run(GString *out, const SgRunTotals *t)
{
	SgReportCount last[SG_REPORT_COUNTS];

	sg_report_run_counts(t, last);
	metrics_family(out, "spoolguard_last_run_messages", "gauge",
	    "What the last run saw, by outcome.");
	for (guint i = 0; i < G_N_ELEMENTS(last); i++) {
		g_string_append_printf(out,
		    "spoolguard_last_run_messages{outcome=\"%s\"} ",
		    last[i].name);
		metrics_value(out, last[i].value);
	}
	metrics_gauge(out, "spoolguard_last_run_duration_seconds",
	    "How long the last run took.", t->seconds);
	metrics_gauge(out, "spoolguard_last_run_timestamp_seconds",
	    "When the last run ended, in seconds since the epoch.",
	    (gdouble)(g_get_real_time() / G_USEC_PER_SEC));
	metrics_gauge(out, "spoolguard_last_run_exit_status",
	    "The last run's exit status (0 clean, 1 quarantined, 75 "
	    "trouble).",
	    t->exit_status);
	if (t->store_entries >= 0) {
		metrics_gauge(out, "spoolguard_quarantine_entries",
		    "Entries in the quarantine store.",
		    (gdouble)t->store_entries);
		metrics_gauge(out, "spoolguard_quarantine_bytes",
		    "Bytes of quarantined message files in the store.",
		    (gdouble)t->store_bytes);
	}
	metrics_family(out, "spoolguard_build_info", "gauge",
	    "The spoolguard that wrote this file (always 1).");
	g_string_append_printf(out,
	    "spoolguard_build_info{version=\"%s\",gmime=\"%u.%u.%u\","
	    "glib=\"%u.%u.%u\"} 1\n",
	    PACKAGE_VERSION, gmime_major_version, gmime_minor_version,
	    gmime_micro_version, glib_major_version, glib_minor_version,
	    glib_micro_version);
}

char *
sg_report_metrics_text_carry(const SgRunTotals *t, const char *previous)
{
	GString *out = g_string_new(NULL);
	g_autoptr(GHashTable) prev = metrics_parse_previous(previous);

	metrics_run_counters(out, prev, t);
	metrics_skipped(out, prev, t);
	metrics_formats(out, prev, t);
	metrics_rules(out, prev, t);
	metrics_last_run(out, t);
	g_string_append(out, "# EOF\n");
	return g_string_free(out, FALSE);
}

char *
sg_report_metrics_text(const SgRunTotals *t)
{
	return sg_report_metrics_text_carry(t, NULL);
}

void
sg_report_totals_init(SgRunTotals *totals)
{
	memset(totals, 0, sizeof(*totals));
	totals->store_entries = -1;
	totals->store_bytes = -1;
}

void
sg_report_totals_add(SgRunTotals *t, SgMessage *msg)
{
	const SgSpoolOps *const *formats = sg_spool_formats();
	gboolean seen[SG_RULE_COUNT][2] = { { FALSE } };
	guint v = msg->verdict >= SG_SEVERITY_QUARANTINE ? 2
	    : msg->verdict >= SG_SEVERITY_WARN           ? 1
	                                                 : 0;

	for (guint i = 0; formats[i] != NULL && i < SG_REPORT_FORMATS_MAX;
	     i++) {
		if (formats[i] == msg->ops ||
		    (msg->format != NULL &&
		        strcmp(formats[i]->name, msg->format) == 0)) {
			g_atomic_int_inc(&t->format_verdict[i][v]);
			break;
		}
	}
	for (guint i = 0; i < msg->findings->len; i++) {
		SgFinding *f = g_ptr_array_index(msg->findings, i);
		guint k;

		if ((guint)f->rule >= SG_RULE_COUNT ||
		    f->severity < SG_SEVERITY_WARN)
			continue;
		k = f->severity >= SG_SEVERITY_QUARANTINE ? 1 : 0;
		if (seen[f->rule][k])
			continue;
		seen[f->rule][k] = TRUE;
		g_atomic_int_inc(k == 1 ? &t->rule_quarantine[f->rule]
		                        : &t->rule_warn[f->rule]);
	}
}

static gboolean
metrics_fail(const char *path, const char *step, int saved, GError **error)
{
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
	    "metrics %s: %s: %s", path, step, g_strerror(saved));
	return FALSE;
}

/* (transfer full) (nullable): the file at @path if it is one of ours. */
static char *
metrics_read_previous(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	char *buf;
	gsize done = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > METRICS_PREVIOUS_MAX) {
		close(fd);
		return NULL;
	}
	buf = g_malloc((gsize)st.st_size + 1);
	while (done < (gsize)st.st_size) {
		ssize_t n = read(fd, buf + done, (gsize)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (gsize)n;
	}
	close(fd);
	buf[done] = '\0';
	return buf;
}

gboolean
sg_report_write_metrics(const char *path, const SgRunTotals *totals,
    GError **error)
{
	g_autofree char *previous = metrics_read_previous(path);
	g_autofree char *text = sg_report_metrics_text_carry(totals, previous);
	g_autofree char *tmp =
	    g_strdup_printf("%s.tmp.%ld", path, (long)getpid());
	g_autofree char *dir = g_path_get_dirname(path);
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
	if (!sg_fd_write_all(fd, text, strlen(text))) {
		saved = errno;
		close(fd);
		unlink(tmp);
		return metrics_fail(tmp, "write", saved, error);
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
