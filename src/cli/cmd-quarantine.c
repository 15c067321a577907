// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-quarantine.c - spoolguard quarantine: look into the store, put a
 * message back, judge the entries again, drop old ones, and finish the
 * moves a killed run left.
 *
 *	list [FILTERS] [--format json]   one line (object) per entry
 *	show ID [--json]                 the entry's report
 *	release ID [--to DIR]            files back to where they came from;
 *	                                 a message kept at SMTP time goes
 *	                                 back to the MTA (cli-keep.c)
 *	recheck [FILTERS] [--release]    which entries the profile now passes
 *	stats [FILTERS] [--format json]  entries and bytes per rule and day
 *	purge --older-than AGE [-n]      remove entries older than AGE
 *	fsck                             finish or roll back cut-short moves
 *
 * FILTERS: --rule GLOB, --spool-format FMT, --since DATE, --until DATE,
 * --origin GLOB.  Whatever changes the store (release, purge, recheck
 * --release, fsck) is logged, one line an entry, on the mail facility,
 * worded like the lines of scan (report-syslog.c), and printed.  An
 * unfinished entry (a put cut short) is listed as such and left to fsck
 * by purge and recheck.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "spoolguard/check.h"
#include "spoolguard/quarantine.h"
#include "spoolguard/report.h"
#include "spoolguard/spool.h"

#include "cli-private.h"

typedef struct {
	char *rule;   /* glob over the entry's rule ids */
	char *format; /* the spool format */
	char *origin; /* glob over the origin path */
	gint64 since; /* entry time >= since, or -1 */
	gint64 until; /* entry time < until, or -1 */
} QuarantineFilter;

typedef struct {
	SgStore *store;
	QuarantineFilter filter;
	SgReportFormat format;
	gboolean log;
	gboolean dry_run;
	/* release of a message kept at SMTP time (cli-keep.c) */
	const char *profile_name;
	const char *rules_path;
	const char *reinject;
	gboolean force;
} Quarantine;

static int
quarantine_error(const char *what, const GError *error)
{
	sg_cli_warn("quarantine %s: %s", what, error->message);
	if (g_error_matches(error, SG_QUARANTINE_ERROR,
	        SG_QUARANTINE_ERROR_NOT_FOUND))
		return EX_NOINPUT;
	if (g_error_matches(error, SG_QUARANTINE_ERROR,
	        SG_QUARANTINE_ERROR_UNFINISHED))
		return EX_TEMPFAIL;
	/* Refusals that trying again will not change. */
	if (g_error_matches(error, SG_QUARANTINE_ERROR,
	        SG_QUARANTINE_ERROR_EXISTS) ||
	    g_error_matches(error, SG_QUARANTINE_ERROR,
	        SG_QUARANTINE_ERROR_CORRUPT) ||
	    g_error_matches(error, SG_QUARANTINE_ERROR,
	        SG_QUARANTINE_ERROR_INVALID))
		return EX_DATAERR;
	return EX_TEMPFAIL;
}

/* ---- filters ---------------------------------------------------------- */

/*
 * Parses a DATE of --since/--until: YYYY-MM-DD (a UTC day), an ISO 8601
 * time with its zone (2026-11-22T03:15:02Z), or an age (7d: that long
 * ago).  *@start is where it begins, *@end where it ends (the next day
 * for a day, the next second otherwise).
 */
static gboolean
quarantine_parse_date(const char *s, gint64 *start, gint64 *end)
{
	gint64 age;
	int y, m, d;
	char tail;

	if (sg_cli_parse_age(s, &age)) {
		*start = *end = g_get_real_time() / G_USEC_PER_SEC - age;
		return TRUE;
	}
	if (strlen(s) == 10 &&
	    sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3) {
		g_autoptr(GDateTime) dt = g_date_time_new_utc(y, m, d, 0, 0, 0);

		if (dt == NULL)
			return FALSE;
		*start = g_date_time_to_unix(dt);
		*end = *start + 86400;
		return TRUE;
	}
	{
		g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(s, NULL);

		if (dt == NULL)
			return FALSE;
		*start = g_date_time_to_unix(dt);
		*end = *start + 1;
	}
	return TRUE;
}

static gboolean
quarantine_filter_match(const QuarantineFilter *f, const SgStoreEntry *e)
{
	if (f->since >= 0 && e->time < f->since)
		return FALSE;
	if (f->until >= 0 && e->time >= f->until)
		return FALSE;
	if (f->format != NULL && g_strcmp0(e->format, f->format) != 0)
		return FALSE;
	if (f->origin != NULL &&
	    (e->origin == NULL ||
	        !g_pattern_match_simple(f->origin, e->origin)))
		return FALSE;
	if (f->rule != NULL) {
		g_auto(GStrv) rules =
		    g_strsplit(e->rules != NULL ? e->rules : "", ",", -1);
		gboolean any = FALSE;

		for (guint i = 0; rules[i] != NULL && !any; i++)
			any = rules[i][0] != '\0' &&
			    g_pattern_match_simple(f->rule, rules[i]);
		if (!any)
			return FALSE;
	}
	return TRUE;
}

/* (transfer full): the entries that pass the filters, oldest first. */
static GPtrArray *
quarantine_entries(Quarantine *q, GError **error)
{
	g_autoptr(GPtrArray) all = sg_store_list(q->store, error);
	GPtrArray *out;

	if (all == NULL)
		return NULL;
	out =
	    g_ptr_array_new_with_free_func((GDestroyNotify)sg_store_entry_free);
	for (guint i = 0; i < all->len; i++) {
		if (quarantine_filter_match(&q->filter,
		        g_ptr_array_index(all, i)))
			g_ptr_array_add(out, g_ptr_array_steal_index(all, i--));
	}
	return out;
}

/* ---- output ----------------------------------------------------------- */

static void
quarantine_print_json(JsonBuilder *b)
{
	g_autoptr(JsonNode) node = json_builder_get_root(b);
	g_autofree char *line = sg_report_json_line(node);

	printf("%s\n", line);
}

static void
json_string(JsonBuilder *b, const char *key, const char *value)
{
	json_builder_set_member_name(b, key);
	if (value == NULL)
		json_builder_add_null_value(b);
	else
		json_builder_add_string_value(b, value);
}

/* An origin path, every byte kept (spoolguard(1), NAMES IN OUTPUT). */
static void
json_name(JsonBuilder *b, const char *key, const char *value)
{
	g_autofree char *safe = sg_report_name_safe(value);

	json_string(b, key, safe);
}

static void
json_int(JsonBuilder *b, const char *key, gint64 value)
{
	json_builder_set_member_name(b, key);
	json_builder_add_int_value(b, value);
}

static void
json_rules(JsonBuilder *b, const char *key, const char *rules)
{
	g_auto(GStrv) v = g_strsplit(rules != NULL ? rules : "", ",", -1);

	json_builder_set_member_name(b, key);
	json_builder_begin_array(b);
	for (guint i = 0; v[i] != NULL; i++) {
		if (v[i][0] != '\0')
			json_builder_add_string_value(b, v[i]);
	}
	json_builder_end_array(b);
}

static char *
quarantine_time(gint64 t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

	return dt != NULL ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ")
	                  : g_strdup("-");
}

/* The members an entry has in list's and recheck's objects. */
static void
json_entry_members(JsonBuilder *b, const SgStoreEntry *e)
{
	g_autofree char *when = quarantine_time(e->time);

	json_string(b, "id", e->id);
	json_string(b, "time", when);
	json_name(b, "dir", e->dir);
	json_name(b, "origin", e->origin);
	json_string(b, "format", e->format);
	json_builder_set_member_name(b, "queue");
	if (e->queue_name == NULL && e->queue_id == NULL) {
		json_builder_add_null_value(b);
	} else {
		json_builder_begin_object(b);
		json_string(b, "name", e->queue_name);
		json_string(b, "id", e->queue_id);
		json_builder_end_object(b);
	}
	json_string(b, "sender", e->sender);
	json_string(b, "message_id", e->message_id);
	json_string(b, "verdict", e->verdict);
	json_rules(b, "rules", e->rules);
	json_int(b, "bytes", e->bytes);
	json_string(b, "profile", e->profile);
	json_string(b, "received_by", e->received_by);
	json_builder_set_member_name(b, "unfinished");
	json_builder_add_boolean_value(b, e->unfinished);
}

/* The origin column: the spool path, or for a kept message who kept
 * it and its queue id ("check:4XyZ1"). Returns: (transfer full). */
static char *
quarantine_origin_text(const SgStoreEntry *e)
{
	g_autofree char *qid = NULL;

	if (e->origin != NULL || e->received_by == NULL)
		return sg_report_text_safe(e->origin, 4096);
	if (e->queue_id == NULL)
		return sg_report_text_safe(e->received_by, 64);
	qid = g_strconcat(e->received_by, ":", e->queue_id, NULL);
	return sg_report_text_safe(qid, 200);
}

static int
quarantine_list(Quarantine *q)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = quarantine_entries(q, &error);

	if (entries == NULL)
		return quarantine_error("list", error);
	for (guint i = 0; i < entries->len; i++) {
		SgStoreEntry *e = g_ptr_array_index(entries, i);

		if (q->format == SG_REPORT_JSON) {
			g_autoptr(JsonBuilder) b = json_builder_new();

			json_builder_begin_object(b);
			json_entry_members(b, e);
			json_builder_end_object(b);
			quarantine_print_json(b);
		} else {
			/* A spool file name may hold a newline or escapes. */
			g_autofree char *origin = quarantine_origin_text(e);
			g_autofree char *line =
			    g_strdup_printf("%s  %-8s %10" G_GINT64_FORMAT
			                    "  %s  %s%s\n",
			        e->id, e->format != NULL ? e->format : "-",
			        e->bytes, origin,
			        e->rules != NULL ? e->rules : "",
			        e->unfinished ? "  (unfinished: run fsck)"
			                      : "");

			sg_report_fputs(line, stdout);
		}
	}
	return 0;
}

/* ---- the log ---------------------------------------------------------- */

/* One line about an entry: "QUEUEID-or-ORIGIN: from=<>, ..., store=ID". */
static void
quarantine_log(Quarantine *q, int priority, const SgStoreEntry *e,
    const char *action, const char *to, const char *reason, const char *error)
{
	g_autofree char *line = NULL;
	SgLogFields f = {
		.id = e->queue_id != NULL ? e->queue_id : e->origin,
		.sender = e->sender,
		.size = -1,
		.nrcpt = -1,
		.queue = e->queue_name,
		.action = action,
		.rules = e->rules != NULL ? e->rules : "",
		.store_id = e->id,
		.to = to,
		.reason = reason,
		.error = error,
	};
	g_autofree char *mid = e->message_id != NULL
	    ? sg_report_text_safe(e->message_id, 200)
	    : NULL;

	f.message_id = mid;
	if (f.id == NULL)
		f.id = e->id;
	if (!q->log)
		return;
	line = sg_report_log_line(&f);
	sg_report_syslog_line(priority, "%s", line);
}

/* ---- release, recheck ------------------------------------------------- */

static int
quarantine_release(Quarantine *q, const char *id, const char *to_dir)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgStoreEntry) e = sg_store_find(q->store, id, &error);
	g_autoptr(SgEnvelope) env = NULL;

	if (e == NULL)
		return quarantine_error("release", error);
	env = sg_store_envelope(q->store, e->id, &error);
	if (env == NULL && error != NULL)
		return quarantine_error("release", error);
	if (env != NULL) {
		g_autoptr(SgProfile) profile = NULL;
		int rc = 0;

		if (to_dir != NULL) {
			sg_cli_warn("quarantine release: %s was kept at SMTP "
			            "time; it goes back to the MTA, not --to",
			    e->id);
			return EX_USAGE;
		}
		profile =
		    sg_cli_load_profile(q->profile_name, q->rules_path, &rc);
		if (profile == NULL)
			return rc;
		return sg_cli_release_kept(q->store, e->id, env, profile,
		    q->reinject, q->force);
	}
	if (!sg_store_release(q->store, e->id, to_dir, &error)) {
		quarantine_log(q, LOG_ERR, e, "release-failed", to_dir, NULL,
		    error->message);
		return quarantine_error("release", error);
	}
	quarantine_log(q, LOG_INFO, e, "released", to_dir, NULL, NULL);
	printf("released %s\n", e->id);
	return 0;
}

typedef struct {
	guint checked, pass, fail, errors, released;
} Recheck;

/* Judges one entry again; TRUE when it now passes. *@verdict, *@rules. */
static gboolean
quarantine_judge(Quarantine *q, SgCheckContext *ctx, const SgProfile *profile,
    const SgStoreEntry *e, SgSeverity *verdict, char **rules, GError **error)
{
	g_autoptr(SgEnvelope) env = sg_store_envelope(q->store, e->id, NULL);
	g_autoptr(SgMessage) msg = NULL;
	SgWalkOptions opts = {
		.read_only = TRUE,
		.now = g_get_real_time() / G_USEC_PER_SEC,
	};

	if (env != NULL) {
		/* Kept at SMTP time: its message and its envelope. */
		msg = sg_store_open_stored(q->store, e->id, profile, error);
		if (msg == NULL)
			return FALSE;
		sg_cli_envelope_apply(env, msg);
	} else {
		msg = sg_store_entry_message(q->store, e, error);
		if (msg == NULL || !msg->ops->open(msg, profile, &opts, error))
			return FALSE;
	}
	if (!sg_check_message(ctx, msg, NULL, error))
		return FALSE;
	*verdict = msg->verdict;
	*rules = sg_report_rules(msg, SG_SEVERITY_WARN);
	return TRUE;
}

/*
 * (transfer none) (nullable): the configured spool that scan judges
 * @origin with its own profile: the [spool NAME] of spoolguard.conf
 * with a profile whose path holds @origin (the deepest one).
 */
static const SgCliSpool *
recheck_origin_spool(const char *origin)
{
	GPtrArray *spools = sg_cli_config_spools();
	const SgCliSpool *best = NULL;
	gsize best_len = 0;

	for (guint i = 0; origin != NULL && spools != NULL && i < spools->len;
	     i++) {
		const SgCliSpool *c = g_ptr_array_index(spools, i);
		gsize len = strlen(c->path);

		while (len > 1 && c->path[len - 1] == '/')
			len--;
		if (c->profile == NULL || len <= best_len ||
		    strncmp(origin, c->path, len) != 0 || origin[len] != '/')
			continue;
		best = c;
		best_len = len;
	}
	return best;
}

/*
 * The judges by profile name: the one -p, -r, spoolguard.conf's profile
 * or the default give (key ""), and, unless -p or -r was typed, the own
 * profile of every [spool NAME], as scan judges that spool.  NULL with
 * *@rc set when one cannot be loaded.
 */
static GHashTable *
recheck_judges(const char *profile_name, const char *rules_path, int *rc)
{
	g_autoptr(GHashTable) judges = g_hash_table_new_full(g_str_hash,
	    g_str_equal, g_free, sg_cli_checker_free);
	g_autoptr(GError) error = NULL;
	GPtrArray *spools = sg_cli_config_spools();
	SgProfile *profile;
	SgCliChecker *j;

	profile = sg_cli_load_profile(profile_name, rules_path, rc);
	if (profile == NULL)
		return NULL;
	j = sg_cli_checker_new(profile, &error);
	if (j == NULL) {
		sg_cli_warn("%s", error->message);
		*rc = EX_SOFTWARE;
		return NULL;
	}
	g_hash_table_insert(judges, g_strdup(""), j);
	if (sg_cli_option_given("profile") || sg_cli_option_given("rules"))
		return g_steal_pointer(&judges);
	for (guint i = 0; spools != NULL && i < spools->len; i++) {
		const SgCliSpool *c = g_ptr_array_index(spools, i);

		if (c->profile == NULL ||
		    g_hash_table_contains(judges, c->profile))
			continue;
		profile = sg_profile_load(c->profile, &error);
		j = profile != NULL ? sg_cli_checker_new(profile, &error)
		                    : NULL;
		if (j == NULL) {
			sg_cli_warn("%s: [spool %s] profile: %s",
			    c->profile_where, c->name, error->message);
			*rc = EX_CONFIG;
			return NULL;
		}
		g_hash_table_insert(judges, g_strdup(c->profile), j);
	}
	return g_steal_pointer(&judges);
}

/* recheck --release: puts back entry @e, which now passes with @j.
 * Returns TRUE when released. */
static gboolean
recheck_release(Quarantine *q, Recheck *r, const SgStoreEntry *e,
    const SgCliChecker *j, SgSeverity verdict, const char *now_profile)
{
	g_autoptr(GError) local = NULL;
	g_autofree char *why = g_strdup_printf("%s with profile %s",
	    sg_report_verdict_name(verdict), now_profile);
	g_autoptr(SgEnvelope) env = sg_store_envelope(q->store, e->id, NULL);

	/* A kept message goes back to the MTA (it passed:
	 * the release judges it again, and agrees). */
	if (env != NULL) {
		if (sg_cli_release_kept(q->store, e->id, env, j->profile,
		        q->reinject, FALSE) == 0) {
			r->released++;
			return TRUE;
		}
		r->errors++;
		return FALSE;
	}
	if (sg_store_release(q->store, e->id, NULL, &local)) {
		r->released++;
		quarantine_log(q, LOG_INFO, e, "released", NULL, why, NULL);
		return TRUE;
	}
	r->errors++;
	quarantine_log(q, LOG_ERR, e, "release-failed", NULL, why,
	    local->message);
	sg_cli_warn("quarantine recheck: %s: %s", e->id, local->message);
	return FALSE;
}

/* Prints one rechecked entry; @with_other is TRUE when its spool's
 * profile judged it rather than the main one. */
static void
recheck_tell(const Quarantine *q, const SgStoreEntry *e, SgSeverity verdict,
    const char *now_rules, const char *now_profile, gboolean with_other,
    gboolean released)
{
	if (q->format == SG_REPORT_JSON) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		json_entry_members(b, e);
		json_string(b, "now", sg_report_verdict_name(verdict));
		json_rules(b, "now_rules", now_rules);
		json_string(b, "now_profile", now_profile);
		json_builder_set_member_name(b, "released");
		json_builder_add_boolean_value(b, released);
		json_builder_end_object(b);
		quarantine_print_json(b);
	} else {
		g_autofree char *origin = quarantine_origin_text(e);
		g_autofree char *with = with_other
		    ? g_strdup_printf(" with %s", now_profile)
		    : g_strdup("");
		g_autofree char *line =
		    g_strdup_printf("%s  now %s%s%s%s  (was %s)  %s%s\n", e->id,
		        sg_report_verdict_name(verdict), with,
		        now_rules[0] != '\0' ? ": " : "", now_rules,
		        e->rules != NULL && e->rules[0] != '\0' ? e->rules
		                                                : "-",
		        origin, released ? "  released" : "");

		sg_report_fputs(line, stdout);
	}
}

/* Rechecks entry @e with its spool's judge in @judges, or @main_judge. */
static void
recheck_entry(Quarantine *q, Recheck *r, GHashTable *judges,
    const SgCliChecker *main_judge, const SgStoreEntry *e, gboolean release)
{
	const SgCliSpool *spool = recheck_origin_spool(e->origin);
	const SgCliChecker *j = main_judge;
	g_autofree char *now_rules = NULL;
	g_autoptr(GError) local = NULL;
	SgSeverity verdict = SG_SEVERITY_IGNORE;
	gboolean released = FALSE;
	const char *now_profile;

	if (spool != NULL && g_hash_table_contains(judges, spool->profile))
		j = g_hash_table_lookup(judges, spool->profile);
	now_profile = sg_profile_name(j->profile);
	r->checked++;
	if (e->unfinished) {
		/* A move cut short: fsck's to finish, not ours. */
		r->errors++;
		sg_cli_warn("quarantine recheck: %s: unfinished; run "
		            "spoolguard quarantine fsck",
		    e->id);
		return;
	}
	if (!quarantine_judge(q, j->ctx, j->profile, e, &verdict, &now_rules,
	        &local)) {
		r->errors++;
		sg_cli_warn("quarantine recheck: %s: %s", e->id,
		    local->message);
		return;
	}
	if (verdict >= SG_SEVERITY_QUARANTINE) {
		r->fail++;
		return;
	}
	r->pass++;
	if (release)
		released = recheck_release(q, r, e, j, verdict, now_profile);
	recheck_tell(q, e, verdict, now_rules, now_profile, j != main_judge,
	    released);
}

/* Prints and logs the totals of a recheck. Returns the exit status. */
static int
recheck_summary(const Quarantine *q, const Recheck *r, const char *main_name,
    gboolean release)
{
	if (q->format == SG_REPORT_JSON) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "summary");
		json_builder_begin_object(b);
		json_int(b, "checked", r->checked);
		json_int(b, "pass", r->pass);
		json_int(b, "fail", r->fail);
		json_int(b, "errors", r->errors);
		json_int(b, "released", r->released);
		json_string(b, "profile", main_name);
		json_builder_end_object(b);
		json_builder_end_object(b);
		quarantine_print_json(b);
	} else {
		printf("%u rechecked with profile %s: %u now pass%s, %u still "
		       "fail, %u errors\n",
		    r->checked, main_name, r->pass,
		    release ? " (released)" : "", r->fail, r->errors);
	}
	if (q->log && r->checked > 0)
		sg_report_syslog_line(LOG_INFO,
		    "quarantine recheck: checked=%u, pass=%u, fail=%u, "
		    "released=%u, errors=%u, profile=%s",
		    r->checked, r->pass, r->fail, r->released, r->errors,
		    main_name);
	return r->errors > 0 ? EX_TEMPFAIL : 0;
}

static int
quarantine_recheck(Quarantine *q, const char *profile_name,
    const char *rules_path, gboolean release)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(GHashTable) judges = NULL;
	const SgCliChecker *main_judge;
	Recheck r = { 0 };
	int rc = 0;

	judges = recheck_judges(profile_name, rules_path, &rc);
	if (judges == NULL)
		return rc;
	main_judge = g_hash_table_lookup(judges, "");
	entries = quarantine_entries(q, &error);
	if (entries == NULL)
		return quarantine_error("recheck", error);
	for (guint i = 0; i < entries->len; i++)
		recheck_entry(q, &r, judges, main_judge,
		    g_ptr_array_index(entries, i), release);
	return recheck_summary(q, &r, sg_profile_name(main_judge->profile),
	    release);
}

/* ---- stats ------------------------------------------------------------ */

typedef struct {
	gint64 entries;
	gint64 bytes;
} StatRow;

static void
stats_add(GHashTable *t, const char *key, gint64 bytes)
{
	StatRow *row = g_hash_table_lookup(t, key);

	if (row == NULL) {
		row = g_new0(StatRow, 1);
		g_hash_table_insert(t, g_strdup(key), row);
	}
	row->entries++;
	row->bytes += bytes;
}

static void
stats_section(Quarantine *q, JsonBuilder *b, const char *title, const char *key,
    GHashTable *t)
{
	g_autoptr(GList) keys =
	    g_list_sort(g_hash_table_get_keys(t), (GCompareFunc)strcmp);

	if (b != NULL) {
		json_builder_set_member_name(b, title);
		json_builder_begin_array(b);
	} else {
		printf("by %s\n", key);
	}
	for (GList *l = keys; l != NULL; l = l->next) {
		StatRow *row = g_hash_table_lookup(t, l->data);

		if (b != NULL) {
			json_builder_begin_object(b);
			json_string(b, key, l->data);
			json_int(b, "entries", row->entries);
			json_int(b, "bytes", row->bytes);
			json_builder_end_object(b);
		} else {
			g_autofree char *line =
			    g_strdup_printf("  %-32s %8" G_GINT64_FORMAT
			                    " %14" G_GINT64_FORMAT "\n",
			        (const char *)l->data, row->entries,
			        row->bytes);

			sg_report_fputs(line, stdout);
		}
	}
	if (b != NULL)
		json_builder_end_array(b);
	(void)q;
}

static int
quarantine_stats(Quarantine *q)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = quarantine_entries(q, &error);
	g_autoptr(GHashTable) by_rule = NULL;
	g_autoptr(GHashTable) by_day = NULL;
	g_autoptr(GHashTable) by_format = NULL;
	g_autoptr(JsonBuilder) b = NULL;
	gint64 total = 0;

	if (entries == NULL)
		return quarantine_error("stats", error);
	by_rule =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	by_day = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	by_format =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; i < entries->len; i++) {
		SgStoreEntry *e = g_ptr_array_index(entries, i);
		g_auto(GStrv) rules =
		    g_strsplit(e->rules != NULL ? e->rules : "", ",", -1);
		g_autofree char *day = g_strndup(e->id, 8);
		g_autofree char *iso =
		    g_strdup_printf("%.4s-%.2s-%.2s", day, day + 4, day + 6);

		total += e->bytes;
		stats_add(by_day, iso, e->bytes);
		stats_add(by_format, e->format != NULL ? e->format : "-",
		    e->bytes);
		if (rules[0] == NULL || rules[0][0] == '\0')
			stats_add(by_rule, "-", e->bytes);
		for (guint k = 0; rules[k] != NULL; k++) {
			if (rules[k][0] != '\0')
				stats_add(by_rule, rules[k], e->bytes);
		}
	}
	if (q->format == SG_REPORT_JSON) {
		b = json_builder_new();
		json_builder_begin_object(b);
		json_int(b, "entries", entries->len);
		json_int(b, "bytes", total);
	} else {
		printf("%u entries, %" G_GINT64_FORMAT " bytes\n", entries->len,
		    total);
		printf("  %-32s %8s %14s\n", "", "entries", "bytes");
	}
	stats_section(q, b, "rules", "rule", by_rule);
	stats_section(q, b, "days", "day", by_day);
	stats_section(q, b, "formats", "format", by_format);
	if (b != NULL) {
		json_builder_end_object(b);
		quarantine_print_json(b);
	}
	return 0;
}

/* ---- purge ------------------------------------------------------------ */

static int
quarantine_purge(Quarantine *q, gint64 age)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = quarantine_entries(q, &error);
	gint64 cutoff = g_get_real_time() / G_USEC_PER_SEC - age;
	guint count = 0, failed = 0, unfinished = 0;
	gint64 bytes = 0;

	if (entries == NULL)
		return quarantine_error("purge", error);
	for (guint i = 0; i < entries->len; i++) {
		SgStoreEntry *e = g_ptr_array_index(entries, i);
		g_autoptr(GError) local = NULL;
		g_autofree char *origin = NULL;
		g_autofree char *line = NULL;

		if (e->time < 0 || e->time > cutoff)
			continue;
		if (e->unfinished) {
			/* A move cut short: fsck finishes or undoes it. */
			unfinished++;
			continue;
		}
		if (!q->dry_run && !sg_store_remove(q->store, e, &local)) {
			failed++;
			quarantine_log(q, LOG_ERR, e, "purge-failed", NULL,
			    NULL, local->message);
			sg_cli_warn("quarantine purge: %s", local->message);
			continue;
		}
		count++;
		bytes += e->bytes;
		if (!q->dry_run)
			quarantine_log(q, LOG_INFO, e, "purged", NULL, NULL,
			    NULL);
		origin = quarantine_origin_text(e);
		line = g_strdup_printf("%s %s  %s  %s\n",
		    q->dry_run ? "would purge" : "purged", e->id, origin,
		    e->rules != NULL ? e->rules : "");
		sg_report_fputs(line, stdout);
	}
	printf("%s %u entr%s, %" G_GINT64_FORMAT " bytes\n",
	    q->dry_run ? "would purge" : "purged", count,
	    count == 1 ? "y" : "ies", bytes);
	if (unfinished > 0)
		printf("left %u unfinished entr%s to spoolguard quarantine "
		       "fsck\n",
		    unfinished, unfinished == 1 ? "y" : "ies");
	if (q->log && !q->dry_run)
		sg_report_syslog_line(LOG_INFO,
		    "quarantine purge: purged=%u, bytes=%" G_GINT64_FORMAT
		    ", failed=%u, older-than=%" G_GINT64_FORMAT "s",
		    count, bytes, failed, age);
	return failed > 0 ? EX_TEMPFAIL : 0;
}

/* ---- fsck ------------------------------------------------------------- */

/* 0 all entries complete, 75 run again (busy, I/O), 65 look at one. */
static int
quarantine_fsck(Quarantine *q)
{
	g_autoptr(GError) error = NULL;
	SgStoreRecovery rec;
	int rc = 0;

	if (!sg_store_recover(q->store, TRUE, &rec, &error))
		return quarantine_error("fsck", error);
	for (guint i = 0; i < rec.notes->len; i++) {
		const char *note = g_ptr_array_index(rec.notes, i);

		printf("%s\n", note);
		if (q->log)
			sg_report_syslog_line(LOG_WARNING,
			    "quarantine fsck: %s", note);
	}
	printf("fsck: %u entries: %u finished, %u rolled back, %u removed, "
	       "%u in progress, %u left for a person, %u failed\n",
	    rec.entries, rec.finished, rec.rolled_back, rec.removed, rec.busy,
	    rec.left, rec.failed);
	if (q->log && rec.notes->len > 0)
		sg_report_syslog_line(LOG_INFO,
		    "quarantine fsck: entries=%u, finished=%u, "
		    "rolled-back=%u, removed=%u, busy=%u, left=%u, failed=%u",
		    rec.entries, rec.finished, rec.rolled_back, rec.removed,
		    rec.busy, rec.left, rec.failed);
	if (rec.failed > 0 || rec.busy > 0)
		rc = EX_TEMPFAIL;
	else if (rec.left > 0)
		rc = EX_DATAERR;
	sg_store_recovery_clear(&rec);
	return rc;
}

/* ---- the command -------------------------------------------------------- */

/* The command line of quarantine that has no place in Quarantine. */
typedef struct {
	char *store_opt;
	char *to_dir;
	char *older;
	char *format_s;
	char *since;
	char *until;
	char *profile_name;
	char *rules_path;
	char *reinject;
	char **args;
	gboolean json, release, no_syslog;
	gboolean force;
} QuarantineArgs;

static void
quarantine_args_clear(QuarantineArgs *a)
{
	g_free(a->store_opt);
	g_free(a->to_dir);
	g_free(a->older);
	g_free(a->format_s);
	g_free(a->since);
	g_free(a->until);
	g_free(a->profile_name);
	g_free(a->rules_path);
	g_free(a->reinject);
	g_strfreev(a->args);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(QuarantineArgs, quarantine_args_clear)

/* The option table of quarantine, pointing into @a and @q.
 * Returns: (transfer full). */
static GOptionEntry *
quarantine_option_entries(QuarantineArgs *a, Quarantine *q)
{
	const GOptionEntry entries[] = {
		{ "quarantine", 'q', 0, G_OPTION_ARG_FILENAME, &a->store_opt,
		    "Quarantine store (default: " SG_QUARANTINE_DEFAULT_DIR ")",
		    "DIR" },
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &a->format_s,
		    "list, show, recheck, stats: text (default) or json",
		    "FORMAT" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &a->json,
		    "The same as --format json (show: report.json)", NULL },
		{ "to", 0, 0, G_OPTION_ARG_FILENAME, &a->to_dir,
		    "release: put the files into DIR instead", "DIR" },
		{ "older-than", 0, 0, G_OPTION_ARG_STRING, &a->older,
		    "purge: entries older than AGE (e.g. 30d)", "AGE" },
		{ "reinject", 0, 0, G_OPTION_ARG_STRING, &a->reinject,
		    "release: give a kept message to COMMAND "
		    "(default: " SG_REINJECT_DEFAULT ")",
		    "COMMAND" },
		{ "force", 0, 0, G_OPTION_ARG_NONE, &a->force,
		    "release: even what still breaks a hard limit", NULL },
		{ "dry-run", 'n', 0, G_OPTION_ARG_NONE, &q->dry_run,
		    "purge: say what would go; remove nothing", NULL },
		{ "release", 0, 0, G_OPTION_ARG_NONE, &a->release,
		    "recheck: release the entries that now pass", NULL },
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &a->profile_name,
		    "recheck, release: judge with this profile", "PROFILE" },
		{ "rules", 'r', 0, G_OPTION_ARG_FILENAME, &a->rules_path,
		    "recheck, release: judge with this rules file", "FILE" },
		{ "rule", 0, 0, G_OPTION_ARG_STRING, &q->filter.rule,
		    "Only entries quarantined for a rule matching GLOB",
		    "GLOB" },
		{ "spool-format", 0, 0, G_OPTION_ARG_STRING, &q->filter.format,
		    "Only entries from this spool format (postfix, exim, ...)",
		    "FMT" },
		{ "since", 0, 0, G_OPTION_ARG_STRING, &a->since,
		    "Only entries from DATE on (YYYY-MM-DD, ISO 8601, or an "
		    "age: 7d)",
		    "DATE" },
		{ "until", 0, 0, G_OPTION_ARG_STRING, &a->until,
		    "Only entries up to DATE (that day included)", "DATE" },
		{ "origin", 0, 0, G_OPTION_ARG_FILENAME, &q->filter.origin,
		    "Only entries whose origin path matches GLOB", "GLOB" },
		{ "no-syslog", 0, 0, G_OPTION_ARG_NONE, &a->no_syslog,
		    "Do not log releases and purges to syslog", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->args,
		    NULL, "list|show ID|release ID|recheck|stats|purge|fsck" },
		{ NULL },
	};

	return g_memdup2(entries, sizeof entries);
}

/* Parses the command line into @a and @q. Returns 0 or the exit status. */
static int
quarantine_parse_command_line(QuarantineArgs *a, Quarantine *q, int *argc,
    char ***argv)
{
	g_autofree GOptionEntry *entries = quarantine_option_entries(a, q);
	g_autoptr(GOptionContext) octx =
	    g_option_context_new("- manage the quarantine store");

	g_option_context_add_main_entries(octx, entries, NULL);
	g_option_context_set_summary(octx,
	    "list: one line per entry; show ID: its report; release ID: put "
	    "its files\nback; recheck: which entries today's profile passes; "
	    "stats: entries and\nbytes per rule, day and format; purge "
	    "--older-than AGE: drop old entries;\nfsck: finish or roll back "
	    "the moves a killed run left, so that every\nmessage is in one "
	    "place.");
	g_option_context_set_description(octx,
	    "A message kept at SMTP time (check --store, milter --store) is "
	    "released by\nreinjection: re-checked with the profile, refused "
	    "if it still breaks a hard\nlimit (unless --force), then given "
	    "to COMMAND -f SENDER -- RCPT...\n\n"
	    "Exit status: 0 done (fsck: every entry complete), 64 usage, 65 "
	    "release refuses\n(a file in the way, other bytes, a symbolic "
	    "link on the way; fsck: an entry\nneeds a person), 66 no such "
	    "entry, 75 try again (I/O, an unfinished entry,\nfsck: a move in "
	    "progress).  See spoolguard(1).");
	return sg_cli_parse(octx, entries, argc, argv);
}

/* Checks the option values of @a, filling @q's format and dates.
 * Returns 0 or EX_USAGE. */
static int
quarantine_check_options(const QuarantineArgs *a, Quarantine *q)
{
	if (!sg_cli_store_option_ok(a->store_opt))
		return EX_USAGE;
	if (a->args == NULL || a->args[0] == NULL) {
		sg_cli_warn("quarantine: say list, show, release, recheck, "
		            "stats, purge or fsck");
		return EX_USAGE;
	}
	if (a->format_s != NULL &&
	    !sg_report_format_from_string(a->format_s, &q->format)) {
		sg_cli_warn("quarantine: unknown format '%s'", a->format_s);
		return EX_USAGE;
	}
	if (a->since != NULL) {
		gint64 end;

		if (!quarantine_parse_date(a->since, &q->filter.since, &end)) {
			sg_cli_warn("quarantine: bad --since '%s'", a->since);
			return EX_USAGE;
		}
	}
	if (a->until != NULL) {
		gint64 start;

		if (!quarantine_parse_date(a->until, &start,
		        &q->filter.until)) {
			sg_cli_warn("quarantine: bad --until '%s'", a->until);
			return EX_USAGE;
		}
	}
	if (a->json)
		q->format = SG_REPORT_JSON;
	return 0;
}

/* Checks the verb and its arguments. Returns 0 or EX_USAGE. */
static int
quarantine_check_verb(const QuarantineArgs *a)
{
	const char *verb = a->args[0];

	if ((strcmp(verb, "show") == 0 || strcmp(verb, "release") == 0) &&
	    (a->args[1] == NULL || a->args[2] != NULL)) {
		sg_cli_warn("quarantine %s: takes one ID", verb);
		return EX_USAGE;
	}
	if (strcmp(verb, "show") != 0 && strcmp(verb, "release") != 0 &&
	    a->args[1] != NULL) {
		sg_cli_warn("quarantine %s: takes no argument", verb);
		return EX_USAGE;
	}
	if (strcmp(verb, "list") != 0 && strcmp(verb, "show") != 0 &&
	    strcmp(verb, "release") != 0 && strcmp(verb, "recheck") != 0 &&
	    strcmp(verb, "stats") != 0 && strcmp(verb, "purge") != 0 &&
	    strcmp(verb, "fsck") != 0) {
		sg_cli_warn("quarantine: unknown verb '%s'", verb);
		return EX_USAGE;
	}
	if (strcmp(verb, "purge") == 0) {
		gint64 age;

		if (a->older == NULL || !sg_cli_parse_age(a->older, &age)) {
			sg_cli_warn("quarantine purge: needs --older-than AGE");
			return EX_USAGE;
		}
	}
	return 0;
}

/* show ID: prints the entry's report. Returns the exit status. */
static int
quarantine_show(Quarantine *q, const char *id)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text =
	    sg_store_show(q->store, id, q->format == SG_REPORT_JSON, &error);

	if (text == NULL)
		return quarantine_error("show", error);
	/* JSON is UTF-8 whatever the locale; text is not. */
	if (q->format == SG_REPORT_JSON)
		fputs(text, stdout);
	else
		sg_report_fputs(text, stdout);
	return 0;
}

/* Runs the checked verb of @a on the open store. Returns the exit status. */
static int
quarantine_run_verb(Quarantine *q, const QuarantineArgs *a)
{
	const char *verb = a->args[0];
	gint64 age = 0;

	if (strcmp(verb, "list") == 0)
		return quarantine_list(q);
	if (strcmp(verb, "show") == 0)
		return quarantine_show(q, a->args[1]);
	if (strcmp(verb, "release") == 0)
		return quarantine_release(q, a->args[1], a->to_dir);
	if (strcmp(verb, "recheck") == 0)
		return quarantine_recheck(q, a->profile_name, a->rules_path,
		    a->release);
	if (strcmp(verb, "stats") == 0)
		return quarantine_stats(q);
	if (strcmp(verb, "fsck") == 0)
		return quarantine_fsck(q);
	(void)sg_cli_parse_age(a->older, &age);
	return quarantine_purge(q, age);
}

int
sg_cmd_quarantine(int argc, char **argv)
{
	g_auto(QuarantineArgs) args = { 0 };
	g_autoptr(SgStore) store = NULL;
	g_autoptr(GError) error = NULL;
	Quarantine q = { .format = SG_REPORT_TEXT,
		.filter = { .since = -1, .until = -1 } };
	int rc;

	rc = quarantine_parse_command_line(&args, &q, &argc, &argv);
	if (rc == 0)
		rc = quarantine_check_options(&args, &q);
	if (rc == 0)
		rc = quarantine_check_verb(&args);
	if (rc != 0)
		goto out;
	q.log = !args.no_syslog;
	q.profile_name = args.profile_name;
	q.rules_path = args.rules_path;
	q.reinject = args.reinject;
	q.force = args.force;
	if (q.log)
		sg_report_syslog_open();
	store = sg_store_open(sg_cli_store_dir(args.store_opt), FALSE, &error);
	if (store == NULL) {
		rc = quarantine_error(args.args[0], error);
		goto out;
	}
	q.store = store;
	rc = quarantine_run_verb(&q, &args);
out:
	g_free(q.filter.rule);
	g_free(q.filter.format);
	g_free(q.filter.origin);
	return rc;
}
