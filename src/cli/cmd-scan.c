// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-scan.c - spoolguard scan: walk spools, judge every message, move the
 * ones that would overflow a consumer into the quarantine.
 *
 * The walker runs in the main thread and streams candidates; with -j N
 * they go to a pool of N workers, each with its own check context (and so
 * its own libmagic handle).  At most 8 * N candidates wait at once, so
 * memory does not grow with the spool.  Exit: 0 clean, 1 something was (or
 * with -n would be) quarantined or held, or must go but stays (an mbox's
 * message, --action none, --hold-fallback none), 75 when a message could
 * not be examined or moved (I/O) or another scan holds the same spool or
 * store, 64 usage, 78 bad rules.
 *
 * What is done is told (scan_tell): one syslog line per message at warn
 * or worse, the MTA's own log (a line in Exim's msglog before the move,
 * postlog after it), the --notify mail at the end of the run, and on a
 * terminal a progress line (cli-progress.c).
 *
 * Just before a move the reader's prepare_move() takes the lock moving
 * needs; a message someone holds then is counted busy and left.  --action
 * hold leaves a message the MTA already holds as it is ("already-held":
 * not counted as held, not logged), and a message the MTA cannot hold (a
 * Postfix maildrop/ file; a format without a hold queue) goes the way of
 * --hold-fallback, said once per run.  Each PATH (a file's directory) and
 * the store are flock()ed for the whole run, store first, then the paths
 * in device and inode order, so that two runs never work on the same
 * spool or store at once (--lock-wait: how long the second one waits).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "spoolguard/check.h"
#include "spoolguard/quarantine.h"
#include "spoolguard/report.h"
#include "spoolguard/spool.h"
#include "spoolguard/state.h"

#include "cli-private.h"

typedef enum {
	SCAN_ACTION_QUARANTINE,
	SCAN_ACTION_HOLD,
	SCAN_ACTION_NONE,
} ScanAction;

typedef struct {
	SgProfile *profile;
	SgStore *store; /* NULL with -n, --action none, or --action hold
	                   without --hold-fallback quarantine */
	SgWalkOptions opts;
	SgRunTotals totals;
	ScanAction action;
	ScanAction hold_fallback; /* QUARANTINE or NONE */
	gint fallback_said;       /* the fallback was announced */
	SgReportFormat format;
	gboolean dry_run;
	gboolean verbose;
	gboolean quiet;
	gboolean use_syslog;
	gboolean mta_log;        /* Exim msglog and postlog lines */
	SgCliNotify *notify;     /* (nullable): --notify */
	SgCliProgress *progress; /* (nullable): a terminal's progress line */
	GMutex out_lock;         /* stdout, stderr and the store */
	GAsyncQueue *ctxq;       /* idle SgCheckContext, one per worker */
	SgState *state;          /* (nullable): --state */
	GThreadPool *pool;
	GMutex pending_lock;
	GCond pending_cond;
	guint pending;         /* candidates handed to the pool, not done */
	guint max_pending;     /* the walk waits at this many ... */
	gboolean walk_waiting; /* ... until half of them are done */
} Scan;

/*
 * With -v, why a candidate was skipped; always, a file the MTA has left
 * unfinished for more than a day (the MTA's business, but worth a word).
 */
static void
scan_say_skipped(Scan *scan, SgMessage *msg, const GError *error)
{
	gboolean stale = msg->props != NULL &&
	    g_hash_table_contains(msg->props, "stale-in-progress");

	if (!scan->verbose && !stale)
		return;
	g_mutex_lock(&scan->out_lock);
	sg_cli_warn("skipped: %s", error->message);
	g_mutex_unlock(&scan->out_lock);
}

static void
scan_count_open_error(Scan *scan, SgMessage *msg, const GError *error)
{
	if (error->domain == SG_CORE_ERROR) {
		switch (error->code) {
		case SG_CORE_ERROR_VANISHED:
			g_atomic_int_inc(&scan->totals.walk.vanished);
			scan_say_skipped(scan, msg, error);
			return;
		case SG_CORE_ERROR_BUSY:
			g_atomic_int_inc(&scan->totals.walk.busy);
			scan_say_skipped(scan, msg, error);
			return;
		case SG_CORE_ERROR_YOUNG:
			g_atomic_int_inc(&scan->totals.walk.young);
			scan_say_skipped(scan, msg, error);
			return;
		case SG_CORE_ERROR_SKIP:
			g_atomic_int_inc(&scan->totals.walk.skipped);
			scan_say_skipped(scan, msg, error);
			return;
		default:
			break;
		}
	}
	g_atomic_int_inc(&scan->totals.walk.errors);
	g_mutex_lock(&scan->out_lock);
	sg_cli_warn("%s", error->message);
	g_mutex_unlock(&scan->out_lock);
	if (scan->use_syslog)
		sg_report_syslog_line(LOG_WARNING, "%s: cannot examine: %s",
		    msg->id, error->message);
}

/*
 * Before a move, a line in the MTA's own log of the message (Exim's
 * msglog), saying what is about to happen; trouble with it is said, and
 * the move goes on.
 */
static void
scan_note_mta(Scan *scan, SgMessage *msg)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *rules = NULL;
	g_autofree char *text = NULL;

	if (!scan->mta_log)
		return;
	rules = sg_report_rules(msg, SG_SEVERITY_QUARANTINE);
	text = g_strdup_printf("%s (verdict=%s, rules=%s)",
	    scan->action == SCAN_ACTION_HOLD ? "freezing the message"
	                                     : "moving the message to its "
	                                       "quarantine",
	    sg_report_verdict_name(msg->verdict), rules[0] ? rules : "-");
	if (!sg_report_mta_note(msg, text, &error)) {
		g_mutex_lock(&scan->out_lock);
		sg_cli_warn("%s", error->message);
		g_mutex_unlock(&scan->out_lock);
	}
}

/* What is said once a message was dealt with: syslog, the MTA's log,
 * the notification mail. */
static void
scan_tell(Scan *scan, SgMessage *msg, const SgOutcome *outcome)
{
	gboolean moved = strcmp(outcome->action, "quarantined") == 0 ||
	    strcmp(outcome->action, "held") == 0;

	if (scan->use_syslog && strcmp(outcome->action, "already-held") != 0)
		sg_report_syslog_message(msg, outcome);
	if (scan->mta_log && (moved || strcmp(outcome->action, "error") == 0))
		sg_report_mta_log(msg, outcome);
	if (moved)
		sg_cli_notify_add(scan->notify, msg, outcome);
}

/* --hold-fallback for a message the MTA cannot hold; said once a run. */
static const char *
scan_hold_fallback(Scan *scan, SgMessage *msg, const char *reason,
    char **store_id, char **why)
{
	g_autoptr(GError) error = NULL;
	gboolean quarantine = scan->hold_fallback == SCAN_ACTION_QUARANTINE;

	if (g_atomic_int_compare_and_exchange(&scan->fallback_said, 0, 1)) {
		g_mutex_lock(&scan->out_lock);
		sg_cli_warn("%s; such messages are %s (--hold-fallback %s; "
		            "said once per run)",
		    reason,
		    quarantine ? "quarantined instead" : "left in place",
		    quarantine ? "quarantine" : "none");
		g_mutex_unlock(&scan->out_lock);
	}
	if (!quarantine)
		return "kept";
	g_mutex_lock(&scan->out_lock);
	if (!sg_store_put(scan->store, msg, scan->profile, store_id, &error)) {
		g_mutex_unlock(&scan->out_lock);
		if (g_error_matches(error, SG_CORE_ERROR,
		        SG_CORE_ERROR_VANISHED))
			return "vanished";
		*why = g_strdup(error->message);
		/* changed or open elsewhere since it was judged: left */
		if (g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY))
			return "busy";
		return "error";
	}
	g_mutex_unlock(&scan->out_lock);
	return "quarantined";
}

/* Moves or holds a message that must go; returns the outcome's action. */
static const char *
scan_act(Scan *scan, SgMessage *msg, char **store_id, char **why)
{
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (msg->no_move)
		return "kept";
	if (scan->action == SCAN_ACTION_HOLD && msg->on_hold)
		return "already-held";
	if (scan->action == SCAN_ACTION_NONE)
		return "kept";
	if (scan->dry_run) {
		return scan->action == SCAN_ACTION_HOLD ? "would-hold"
		                                        : "would-quarantine";
	}
	/* The lock moving needs, and a last look at who holds the files. */
	if (msg->ops->prepare_move != NULL &&
	    !msg->ops->prepare_move(msg, &error)) {
		if (g_error_matches(error, SG_CORE_ERROR,
		        SG_CORE_ERROR_VANISHED))
			return "vanished";
		if (g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY) ||
		    g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG))
			return "busy";
		*why = g_strdup(error->message);
		return "error";
	}
	scan_note_mta(scan, msg);
	if (scan->action == SCAN_ACTION_HOLD) {
		if (msg->ops->hold == NULL) {
			g_autofree char *reason = g_strdup_printf(
			    "%s: the %s format has no hold queue", msg->id,
			    msg->format);

			return scan_hold_fallback(scan, msg, reason, store_id,
			    why);
		}
		if (!msg->ops->hold(msg, &error) &&
		    g_error_matches(error, SG_CORE_ERROR,
		        SG_CORE_ERROR_INVALID)) {
			/* e.g. Postfix maildrop/: see postsuper(1) -h */
			return scan_hold_fallback(scan, msg, error->message,
			    store_id, why);
		}
		ok = error == NULL;
	} else {
		g_mutex_lock(&scan->out_lock);
		ok = sg_store_put(scan->store, msg, scan->profile, store_id,
		    &error);
		g_mutex_unlock(&scan->out_lock);
	}
	if (ok)
		return scan->action == SCAN_ACTION_HOLD ? "held"
		                                        : "quarantined";
	if (g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED))
		return "vanished";
	*why = g_strdup(error->message);
	/* Changed, open elsewhere or replaced since it was judged: left. */
	if (g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY))
		return "busy";
	return "error";
}

/* TRUE when every file of @msg was judged clean before and is unchanged. */
static gboolean
scan_unchanged(Scan *scan, SgMessage *msg)
{
	for (guint i = 0; i < msg->files->len; i++) {
		SgMessageFile *f = sg_message_file(msg, i);

		if (f->fd < 0 || !sg_state_seen(scan->state, &f->st))
			return FALSE;
	}
	return msg->files->len > 0;
}

static void
scan_record(Scan *scan, SgMessage *msg)
{
	for (guint i = 0; i < msg->files->len; i++) {
		SgMessageFile *f = sg_message_file(msg, i);

		if (f->fd >= 0)
			sg_state_record(scan->state, &f->st);
	}
}

static void
scan_process(Scan *scan, SgCheckContext *ctx, SgMessage *msg)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *store_id = NULL;
	g_autofree char *why = NULL;
	SgOutcome outcome = { .action = "none" };
	gboolean show;

	if (!msg->ops->open(msg, scan->profile, &scan->opts, &error)) {
		scan_count_open_error(scan, msg, error);
		return;
	}
	if (scan->state != NULL && scan_unchanged(scan, msg)) {
		g_atomic_int_inc(&scan->totals.unchanged);
		g_atomic_int_inc(&scan->totals.examined);
		g_atomic_int_inc(&scan->totals.clean);
		return;
	}
	if (!sg_check_message(ctx, msg, NULL, &error)) {
		g_atomic_int_inc(&scan->totals.walk.errors);
		outcome.action = "error";
		outcome.error = error->message;
		g_mutex_lock(&scan->out_lock);
		sg_cli_warn("%s", error->message);
		g_mutex_unlock(&scan->out_lock);
	} else {
		g_atomic_int_inc(&scan->totals.examined);
		sg_report_totals_add(&scan->totals, msg);
		if (msg->verdict >= SG_SEVERITY_QUARANTINE) {
			outcome.action = scan_act(scan, msg, &store_id, &why);
			outcome.store_id = store_id;
			outcome.error = why;
			if (strcmp(outcome.action, "error") == 0) {
				g_atomic_int_inc(&scan->totals.walk.errors);
				g_mutex_lock(&scan->out_lock);
				/* The store's errors already name the
				 * message and say it was not moved. */
				if (g_str_has_prefix(why, msg->id))
					sg_cli_warn("%s", why);
				else
					sg_cli_warn("%s: not moved: %s",
					    msg->id, why);
				g_mutex_unlock(&scan->out_lock);
			} else if (msg->no_move &&
			    g_strcmp0(msg->format, "mbox") == 0) {
				/* In a live mailbox: reported, left alone. */
				g_atomic_int_inc(&scan->totals.kept);
			} else if (msg->no_move) {
				/* Already set aside by the MTA: reported. */
				g_atomic_int_inc(&scan->totals.warned);
			} else if (strcmp(outcome.action, "already-held") ==
			    0) {
				/* Nothing done, nothing new to say. */
				g_atomic_int_inc(&scan->totals.already_held);
			} else if (strcmp(outcome.action, "kept") == 0) {
				/* --action none, --hold-fallback none */
				g_atomic_int_inc(&scan->totals.kept);
			} else if (strcmp(outcome.action, "busy") == 0) {
				/* Taken by someone just before the move. */
				g_atomic_int_inc(&scan->totals.walk.busy);
			} else if (strcmp(outcome.action, "vanished") == 0) {
				g_atomic_int_inc(&scan->totals.walk.vanished);
			} else if (strcmp(outcome.action, "would-hold") == 0 ||
			    strcmp(outcome.action, "held") == 0) {
				g_atomic_int_inc(&scan->totals.held);
			} else {
				g_atomic_int_inc(&scan->totals.quarantined);
			}
		} else {
			if (msg->verdict == SG_SEVERITY_WARN)
				g_atomic_int_inc(&scan->totals.warned);
			else
				g_atomic_int_inc(&scan->totals.clean);
			/* Judged and left in place: once is enough. */
			if (scan->state != NULL)
				scan_record(scan, msg);
		}
	}
	scan_tell(scan, msg, &outcome);
	/* -Q: errors, and in JSON what must go; -v: everything. */
	if (scan->verbose)
		show = TRUE;
	else if (scan->quiet)
		show = strcmp(outcome.action, "error") == 0 ||
		    (scan->format == SG_REPORT_JSON &&
		        msg->verdict >= SG_SEVERITY_QUARANTINE);
	else
		show = scan->format == SG_REPORT_JSON ||
		    msg->verdict >= SG_SEVERITY_WARN ||
		    strcmp(outcome.action, "error") == 0;
	if (show) {
		g_mutex_lock(&scan->out_lock);
		sg_cli_progress_hide();
		sg_report_write_message(stdout, scan->format, msg,
		    scan->profile, NULL, &outcome);
		g_mutex_unlock(&scan->out_lock);
	}
}

static void
scan_worker(gpointer data, gpointer user_data)
{
	Scan *scan = user_data;
	SgMessage *msg = data;
	SgCheckContext *ctx = g_async_queue_pop(scan->ctxq);

	scan_process(scan, ctx, msg);
	g_async_queue_push(scan->ctxq, ctx);
	/* Freeing closes the descriptors and so drops the MTA lock. */
	sg_message_free(msg);
	g_mutex_lock(&scan->pending_lock);
	scan->pending--;
	/*
	 * Wake the walk only once half the queue is done: a wake-up per
	 * message cost a context switch per message.
	 */
	if (scan->walk_waiting && scan->pending <= scan->max_pending / 2)
		g_cond_signal(&scan->pending_cond);
	g_mutex_unlock(&scan->pending_lock);
}

static gboolean
scan_candidate(SgMessage *msg, gpointer user_data)
{
	Scan *scan = user_data;

	if (scan->pool == NULL) {
		SgCheckContext *ctx = g_async_queue_pop(scan->ctxq);

		scan_process(scan, ctx, msg);
		g_async_queue_push(scan->ctxq, ctx);
		sg_message_free(msg);
		return TRUE;
	}
	g_mutex_lock(&scan->pending_lock);
	if (scan->pending >= scan->max_pending) {
		scan->walk_waiting = TRUE;
		while (scan->pending > scan->max_pending / 2)
			g_cond_wait(&scan->pending_cond, &scan->pending_lock);
		scan->walk_waiting = FALSE;
	}
	scan->pending++;
	g_mutex_unlock(&scan->pending_lock);
	g_thread_pool_push(scan->pool, msg, NULL);
	return TRUE;
}

/* Finishes or rolls back the moves a killed run left in the store. */
static void
scan_recover(Scan *scan)
{
	g_autoptr(GError) error = NULL;
	SgStoreRecovery rec;

	if (!sg_store_recover(scan->store, FALSE, &rec, &error)) {
		sg_cli_warn("quarantine: %s", error->message);
		scan->totals.walk.errors++;
		return;
	}
	for (guint i = 0; i < rec.notes->len; i++) {
		const char *note = g_ptr_array_index(rec.notes, i);

		sg_cli_warn("quarantine: %s", note);
		if (scan->use_syslog)
			sg_report_syslog_line(LOG_WARNING, "quarantine: %s",
			    note);
	}
	scan->totals.walk.errors += (gint)rec.failed;
	sg_store_recovery_clear(&rec);
}

/*
 * The store's real path, even before it exists: the longest existing
 * ancestor is resolved and the rest appended.  (transfer full)
 */
static char *
scan_real_store_path(const char *dir)
{
	g_autofree char *abs = g_canonicalize_filename(dir, NULL);
	g_autofree char *head = g_strdup(abs);
	GString *tail = g_string_new(NULL);
	char *real;

	for (;;) {
		real = realpath(head, NULL);
		if (real != NULL || strcmp(head, "/") == 0)
			break;
		{
			g_autofree char *base = g_path_get_basename(head);
			g_autofree char *parent = g_path_get_dirname(head);

			g_string_prepend(tail, base);
			g_string_prepend_c(tail, '/');
			g_free(head);
			head = g_steal_pointer(&parent);
		}
	}
	if (real == NULL)
		return g_string_free(tail, FALSE);
	{
		g_autofree char *r = real;
		g_autofree char *t = g_string_free(tail, FALSE);

		return g_strconcat(strcmp(r, "/") == 0 ? "" : r, t, NULL);
	}
}

/* TRUE when the store @store (a real path) lies inside scanned @path. */
static gboolean
scan_store_inside(const char *store, const char *path)
{
	g_autofree char *real = realpath(path, NULL);
	gsize n;

	if (real == NULL)
		return FALSE; /* the walk reports the path itself */
	n = strlen(real);
	if (strcmp(real, "/") == 0)
		return TRUE;
	return strncmp(store, real, n) == 0 &&
	    (store[n] == '\0' || store[n] == '/');
}

static int
scan_exit_status(const SgRunTotals *t)
{
	if (t->walk.errors > 0)
		return EX_TEMPFAIL;
	if (t->quarantined > 0 || t->held > 0 || t->kept > 0)
		return SG_EXIT_QUARANTINED;
	return SG_EXIT_OK;
}

/* The run's summary in the log: every count the summary line has. */
static void
scan_log_summary(const SgRunTotals *t, gboolean dry_run)
{
	g_autofree char *counts = sg_report_counts_line(t);

	sg_report_syslog_line(LOG_INFO, "scan done%s: %s",
	    dry_run ? " (dry run)" : "", counts);
}

/* One directory to lock: a PATH's (or its file's), or the store. */
typedef struct {
	char *path;
	dev_t dev;
	ino_t ino;
} ScanLockDir;

static void
scan_lock_dir_clear(gpointer data)
{
	g_free(((ScanLockDir *)data)->path);
}

static int
scan_lock_dir_cmp(const void *a, const void *b)
{
	const ScanLockDir *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/* Adds the directory of @path (itself, or a file's parent) once. */
static void
scan_lock_add(GArray *dirs, const char *path)
{
	g_autofree char *real = realpath(path, NULL);
	ScanLockDir d = { 0 };
	struct stat st;

	if (real == NULL || stat(real, &st) != 0)
		return; /* the walk reports it */
	if (!S_ISDIR(st.st_mode)) {
		g_autofree char *dir = g_path_get_dirname(real);

		g_free(real);
		real = g_steal_pointer(&dir);
		if (stat(real, &st) != 0)
			return;
	}
	for (guint i = 0; i < dirs->len; i++) {
		ScanLockDir *o = &g_array_index(dirs, ScanLockDir, i);

		if (o->dev == st.st_dev && o->ino == st.st_ino)
			return; /* one flock per directory, or we block us */
	}
	d.path = g_steal_pointer(&real);
	d.dev = st.st_dev;
	d.ino = st.st_ino;
	g_array_append_val(dirs, d);
}

/*
 * Locks the store, then every PATH's directory in (device, inode) order,
 * the same order in every run; the descriptors holding the locks go to
 * @fds.  FALSE (message printed) when one stays held past @wait seconds.
 */
static gboolean
scan_lock_all(const char *store_dir, char **paths, gint64 wait, GArray *fds,
    int *rc)
{
	g_autoptr(GArray) dirs = g_array_new(FALSE, TRUE, sizeof(ScanLockDir));
	guint first = 0;

	g_array_set_clear_func(dirs, scan_lock_dir_clear);
	if (store_dir != NULL) {
		scan_lock_add(dirs, store_dir);
		first = dirs->len;
	}
	for (guint i = 0; paths[i] != NULL; i++)
		scan_lock_add(dirs, paths[i]);
	/* the paths after the store, in (device, inode) order */
	if (dirs->len > first + 1) {
		qsort(&g_array_index(dirs, ScanLockDir, first),
		    dirs->len - first, sizeof(ScanLockDir), scan_lock_dir_cmp);
	}
	for (guint i = 0; i < dirs->len; i++) {
		g_autoptr(GError) error = NULL;
		const char *dir = g_array_index(dirs, ScanLockDir, i).path;
		int fd = sg_spool_dir_lock(dir, wait, &error);

		if (fd < 0) {
			if (g_error_matches(error, SG_SPOOL_ERROR,
			        SG_SPOOL_ERROR_LOCKED)) {
				sg_cli_warn("%s; nothing scanned%s",
				    error->message,
				    wait > 0
				        ? " (waited for --lock-wait)"
				        : " (--lock-wait AGE waits for it)");
			} else {
				sg_cli_warn("%s", error->message);
			}
			*rc = EX_TEMPFAIL;
			return FALSE;
		}
		g_array_append_val(fds, fd);
	}
	return TRUE;
}

static void
scan_unlock_all(GArray *fds)
{
	for (guint i = 0; i < fds->len; i++)
		close(g_array_index(fds, int, i));
	g_array_set_size(fds, 0);
}

static gboolean
scan_parse_action(const char *s, ScanAction *out)
{
	if (s == NULL || strcmp(s, "quarantine") == 0)
		*out = SCAN_ACTION_QUARANTINE;
	else if (strcmp(s, "hold") == 0)
		*out = SCAN_ACTION_HOLD;
	else if (strcmp(s, "none") == 0)
		*out = SCAN_ACTION_NONE;
	else
		return FALSE;
	return TRUE;
}

/* One PATH to walk, with the profile and action that judge it. */
typedef struct {
	char *path;
	SgProfile *profile;
	ScanAction action;
} ScanSpool;

static void
scan_spool_free(ScanSpool *spool)
{
	g_free(spool->path);
	sg_profile_unref(spool->profile);
	g_free(spool);
}

static void
scan_add_spool(GPtrArray *spools, const char *path, SgProfile *profile,
    ScanAction action)
{
	ScanSpool *spool = g_new0(ScanSpool, 1);

	spool->path = g_strdup(path);
	spool->profile = sg_profile_ref(profile);
	spool->action = action;
	g_ptr_array_add(spools, spool);
}

/*
 * The spools to walk: the PATHs given, all judged by @profile and
 * @action; or, with none given, the [spool NAME] sections of
 * spoolguard.conf, each with its own profile and action unless -p, -r
 * or -a was typed.  (transfer full), or NULL after printing why.
 */
static GPtrArray *
scan_spools(GStrv paths, SgProfile *profile, ScanAction action, int *rc)
{
	g_autoptr(GPtrArray) spools =
	    g_ptr_array_new_with_free_func((GDestroyNotify)scan_spool_free);
	g_autoptr(GHashTable) loaded = g_hash_table_new_full(g_str_hash,
	    g_str_equal, NULL, (GDestroyNotify)sg_profile_unref);
	GPtrArray *conf = sg_cli_config_spools();
	gboolean own_profile =
	    !sg_cli_option_given("profile") && !sg_cli_option_given("rules");

	for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
		scan_add_spool(spools, paths[i], profile, action);
	if (spools->len > 0)
		return g_steal_pointer(&spools);
	for (guint i = 0; conf != NULL && i < conf->len; i++) {
		const SgCliSpool *c = conf->pdata[i];
		SgProfile *p = profile;
		ScanAction a = action;

		if (c->profile != NULL && own_profile) {
			p = g_hash_table_lookup(loaded, c->profile);
			if (p == NULL) {
				g_autoptr(GError) error = NULL;

				p = sg_profile_load(c->profile, &error);
				if (p == NULL) {
					sg_cli_warn(
					    "%s: [spool %s] profile: %s",
					    c->profile_where, c->name,
					    error->message);
					*rc = EX_CONFIG;
					return NULL;
				}
				g_hash_table_insert(loaded, c->profile, p);
			}
		}
		if (c->action != NULL && !sg_cli_option_given("action"))
			scan_parse_action(c->action, &a);
		scan_add_spool(spools, c->path, p, a);
	}
	if (spools->len == 0) {
		sg_cli_warn("scan: no PATH given and no [spool] in %s (try "
		            "--help)",
		    sg_cli_config_path() != NULL ? sg_cli_config_path()
		                                 : "the configuration");
		*rc = EX_USAGE;
		return NULL;
	}
	return g_steal_pointer(&spools);
}

/*
 * What --state keys its records to: the profile's digest, or with
 * several profiles a digest over every spool's path and profile, so that
 * changing any of them means a full look.  (transfer full)
 */
static char *
scan_state_digest(GPtrArray *spools)
{
	const ScanSpool *first = spools->pdata[0];
	g_autoptr(GString) all = g_string_new(NULL);
	gboolean one = TRUE;

	for (guint i = 0; i < spools->len; i++) {
		const ScanSpool *s = spools->pdata[i];

		one = one && s->profile == first->profile;
		g_string_append_printf(all, "%s %s\n", s->path,
		    sg_profile_digest(s->profile));
	}
	if (one)
		return g_strdup(sg_profile_digest(first->profile));
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, all->str,
	    (gssize)all->len);
}

/*
 * Makes @spool's profile and action the current ones: the messages of
 * the spool before are finished first, then every worker gets a check
 * context for the new profile.
 */
static gboolean
scan_use_spool(Scan *scan, const ScanSpool *spool, gint jobs, GError **error)
{
	if (spool->profile == scan->profile && spool->action == scan->action)
		return TRUE;
	if (scan->pool != NULL) {
		g_thread_pool_free(scan->pool, FALSE, TRUE);
		scan->pool =
		    g_thread_pool_new(scan_worker, scan, jobs, TRUE, NULL);
	}
	scan->action = spool->action;
	if (spool->profile == scan->profile)
		return TRUE;
	scan->profile = spool->profile;
	for (gint i = 0; i < jobs; i++)
		sg_check_context_free(g_async_queue_pop(scan->ctxq));
	for (gint i = 0; i < jobs; i++) {
		SgCheckContext *ctx =
		    sg_check_context_new(scan->profile, error);

		if (ctx == NULL)
			return FALSE;
		g_async_queue_push(scan->ctxq, ctx);
	}
	return TRUE;
}

static gboolean
scan_any_action(GPtrArray *spools, ScanAction action)
{
	for (guint i = 0; i < spools->len; i++) {
		if (((ScanSpool *)spools->pdata[i])->action == action)
			return TRUE;
	}
	return FALSE;
}

/* The command line of scan, as GOption fills it. */
typedef struct {
	char *profile_name;
	char *rules_path;
	char *store_opt;
	char *min_age_s;
	char *format_s;
	char *metrics;
	char *action_s;
	char *state_path;
	char *notify;
	char *sendmail;
	char *fallback_s;
	char *lock_wait_s;
	char **paths;
	gboolean dry_run, verbose, quiet;
	gboolean include_corrupt, no_syslog;
	gboolean no_mta_log;
	gint jobs;
} ScanArgs;

static void
scan_args_clear(ScanArgs *a)
{
	g_free(a->profile_name);
	g_free(a->rules_path);
	g_free(a->store_opt);
	g_free(a->min_age_s);
	g_free(a->format_s);
	g_free(a->metrics);
	g_free(a->action_s);
	g_free(a->state_path);
	g_free(a->notify);
	g_free(a->sendmail);
	g_free(a->fallback_s);
	g_free(a->lock_wait_s);
	g_strfreev(a->paths);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ScanArgs, scan_args_clear)

/* The option table of scan, pointing into @a. Returns: (transfer full). */
static GOptionEntry *
scan_option_entries(ScanArgs *a)
{
	const GOptionEntry entries[] = {
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &a->profile_name,
		    "Judge with this profile (default: default)", "PROFILE" },
		{ "rules", 'r', 0, G_OPTION_ARG_FILENAME, &a->rules_path,
		    "Judge with this rules file", "FILE" },
		{ "quarantine", 'q', 0, G_OPTION_ARG_FILENAME, &a->store_opt,
		    "Quarantine store (default: " SG_QUARANTINE_DEFAULT_DIR ")",
		    "DIR" },
		{ "dry-run", 'n', 0, G_OPTION_ARG_NONE, &a->dry_run,
		    "Report what would move; move nothing", NULL },
		{ "jobs", 'j', 0, G_OPTION_ARG_INT, &a->jobs,
		    "Examine N messages in parallel (default 1)", "N" },
		{ "min-age", 0, 0, G_OPTION_ARG_STRING, &a->min_age_s,
		    "Skip files younger than AGE (default 300s; 5m, 2h)",
		    "AGE" },
		{ "action", 'a', 0, G_OPTION_ARG_STRING, &a->action_s,
		    "quarantine (default), hold (the MTA's own hold), none",
		    "ACTION" },
		{ "hold-fallback", 0, 0, G_OPTION_ARG_STRING, &a->fallback_s,
		    "With --action hold, for what the MTA cannot hold "
		    "(Postfix maildrop/): none (default) or quarantine",
		    "ACTION" },
		{ "lock-wait", 0, 0, G_OPTION_ARG_STRING, &a->lock_wait_s,
		    "Wait up to AGE (at most 1d) for another scan of the "
		    "same spool or store (default 0: exit 75 at once)",
		    "AGE" },
		{ "include-corrupt", 0, 0, G_OPTION_ARG_NONE,
		    &a->include_corrupt,
		    "Also move files the MTA already set aside (Postfix "
		    "corrupt/)",
		    NULL },
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &a->format_s,
		    "Output: text (default) or json (one object a line)",
		    "FORMAT" },
		{ "metrics", 0, 0, G_OPTION_ARG_FILENAME, &a->metrics,
		    "Write run totals as a Prometheus textfile", "FILE" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &a->verbose,
		    "Also list clean messages, and why each skipped one was",
		    NULL },
		{ "quiet", 'Q', 0, G_OPTION_ARG_NONE, &a->quiet,
		    "Print only errors (in JSON also the messages that must "
		    "go, and the summary); no progress line",
		    NULL },
		{ "state", 0, 0, G_OPTION_ARG_FILENAME, &a->state_path,
		    "Skip files judged clean by the last run (state file)",
		    "FILE" },
		{ "no-syslog", 0, 0, G_OPTION_ARG_NONE, &a->no_syslog,
		    "Do not log to syslog (mail facility)", NULL },
		{ "no-mta-log", 0, 0, G_OPTION_ARG_NONE, &a->no_mta_log,
		    "No line in Exim's msglog or through Postfix's postlog",
		    NULL },
		{ "notify", 0, 0, G_OPTION_ARG_STRING, &a->notify,
		    "Mail a summary to ADDRESS when the run moved something",
		    "ADDRESS" },
		{ "sendmail", 0, 0, G_OPTION_ARG_FILENAME, &a->sendmail,
		    "--notify through this sendmail (default "
		    "/usr/sbin/sendmail)",
		    "PATH" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY,
		    &a->paths, NULL, "[PATH...]" },
		{ NULL },
	};

	return g_memdup2(entries, sizeof entries);
}

/* Parses the command line into @a. Returns 0 or the exit status. */
static int
scan_parse_command_line(ScanArgs *a, int *argc, char ***argv)
{
	g_autofree GOptionEntry *entries = scan_option_entries(a);
	g_autoptr(GOptionContext) octx =
	    g_option_context_new("- scan spools and quarantine");

	g_option_context_add_main_entries(octx, entries, NULL);
	g_option_context_set_summary(octx,
	    "Walks each PATH (a Postfix, Exim or Sendmail queue, a maildir, "
	    "an IIS/Exchange\npickup or queue folder, any folder of .eml "
	    "files, or one file) and moves\nevery message that breaks a hard "
	    "limit of the profile into the quarantine.\nWith no PATH, walks "
	    "the [spool NAME] sections of spoolguard.conf(5).");
	g_option_context_set_description(octx,
	    "Exit status: 0 clean, 1 quarantined or held (or would be), 64 "
	    "usage, 75 I/O\ntrouble or another scan at work on the same "
	    "spool or store, 78 bad rules file.\nSee spoolguard(1).");
	return sg_cli_parse(octx, entries, argc, argv);
}

/* Checks the option values of @a and fills @scan and @lock_wait from
 * them. Returns 0 or EX_USAGE. */
static int
scan_check_options(const ScanArgs *a, Scan *scan, gint64 *lock_wait)
{
	if (a->jobs < 1 || a->jobs > SG_CLI_JOBS_MAX) {
		sg_cli_warn("scan: -j takes 1 to %d", SG_CLI_JOBS_MAX);
		return EX_USAGE;
	}
	if (!sg_cli_store_option_ok(a->store_opt))
		return EX_USAGE;
	if (a->notify != NULL && !sg_cli_notify_address_ok(a->notify)) {
		sg_cli_warn("scan: --notify '%s' is not a mail address",
		    a->notify);
		return EX_USAGE;
	}
	if (a->sendmail != NULL && a->notify == NULL &&
	    sg_cli_option_given("sendmail")) {
		sg_cli_warn("scan: --sendmail goes with --notify");
		return EX_USAGE;
	}
	sg_report_totals_init(&scan->totals);
	scan->opts.min_age = 300;
	if (a->min_age_s != NULL &&
	    !sg_cli_parse_age(a->min_age_s, &scan->opts.min_age)) {
		sg_cli_warn("scan: bad --min-age '%s'", a->min_age_s);
		return EX_USAGE;
	}
	scan->format = SG_REPORT_TEXT;
	if (a->format_s != NULL &&
	    !sg_report_format_from_string(a->format_s, &scan->format)) {
		sg_cli_warn("scan: unknown format '%s'", a->format_s);
		return EX_USAGE;
	}
	if (!scan_parse_action(a->action_s, &scan->action)) {
		sg_cli_warn("scan: unknown action '%s'", a->action_s);
		return EX_USAGE;
	}
	scan->hold_fallback = SCAN_ACTION_NONE;
	if (a->fallback_s != NULL &&
	    (!scan_parse_action(a->fallback_s, &scan->hold_fallback) ||
	        scan->hold_fallback == SCAN_ACTION_HOLD)) {
		sg_cli_warn("scan: --hold-fallback takes none or quarantine, "
		            "not '%s'",
		    a->fallback_s);
		return EX_USAGE;
	}
	if (a->lock_wait_s != NULL &&
	    (!sg_cli_parse_age(a->lock_wait_s, lock_wait) ||
	        *lock_wait > SG_CLI_LOCK_WAIT_MAX)) {
		sg_cli_warn("scan: bad --lock-wait '%s' (at most 1d)",
		    a->lock_wait_s);
		return EX_USAGE;
	}
	return 0;
}

/* Opens the store when some spool may quarantine into it, refusing a store
 * inside a scanned path. Returns 0 or the exit status. */
static int
scan_open_store(Scan *scan, GPtrArray *spools, const ScanArgs *a)
{
	g_autoptr(GError) error = NULL;
	const char *dir;
	g_autofree char *real = NULL;

	if (!scan_any_action(spools, SCAN_ACTION_QUARANTINE) &&
	    !(scan_any_action(spools, SCAN_ACTION_HOLD) &&
	        scan->hold_fallback == SCAN_ACTION_QUARANTINE))
		return 0;
	dir = sg_cli_store_dir(a->store_opt);
	real = scan_real_store_path(dir);
	/* Refuse before anything is created or moved. */
	for (guint i = 0; i < spools->len; i++) {
		const char *path = ((ScanSpool *)spools->pdata[i])->path;

		if (scan_store_inside(real, path)) {
			sg_cli_warn("quarantine %s lies inside the "
			            "scanned %s; nothing scanned, "
			            "nothing moved",
			    dir, path);
			return EX_USAGE;
		}
	}
	scan->store = sg_store_open(dir, !a->dry_run, &error);
	if (scan->store == NULL && !a->dry_run) {
		sg_cli_warn("quarantine: %s", error->message);
		return EX_TEMPFAIL;
	}
	if (scan->store != NULL)
		scan->opts.exclude = sg_store_dir(scan->store);
	return 0;
}

/* One run at a time per spool and per store. Returns 0 or the exit
 * status, with the store closed. */
static int
scan_lock(Scan *scan, GPtrArray *spools, gint64 lock_wait, GArray *lock_fds)
{
	g_autoptr(GPtrArray) walked = g_ptr_array_new();
	int rc = 0;

	for (guint i = 0; i < spools->len; i++)
		g_ptr_array_add(walked, ((ScanSpool *)spools->pdata[i])->path);
	g_ptr_array_add(walked, NULL);
	if (!scan_lock_all(scan->store != NULL ? sg_store_dir(scan->store)
	                                       : NULL,
	        (char **)walked->pdata, lock_wait, lock_fds, &rc)) {
		g_clear_pointer(&scan->store, sg_store_free);
		return rc;
	}
	return 0;
}

/* Loads --state. Returns 0 or the exit status, with the locks dropped and
 * the store closed. */
static int
scan_load_state(Scan *scan, GPtrArray *spools, const char *state_path,
    GArray *lock_fds)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *digest = NULL;

	if (state_path == NULL)
		return 0;
	digest = scan_state_digest(spools);
	scan->state = sg_state_load(state_path, digest, &error);
	if (scan->state == NULL) {
		sg_cli_warn("%s", error->message);
		scan_unlock_all(lock_fds);
		g_clear_pointer(&scan->store, sg_store_free);
		return EX_TEMPFAIL;
	}
	return 0;
}

/* Makes one check context per job, and the pool when @jobs > 1.
 * Returns 0 or EX_SOFTWARE. */
static int
scan_start_workers(Scan *scan, gint jobs)
{
	g_mutex_init(&scan->out_lock);
	g_mutex_init(&scan->pending_lock);
	g_cond_init(&scan->pending_cond);
	scan->ctxq =
	    g_async_queue_new_full((GDestroyNotify)sg_check_context_free);
	for (gint i = 0; i < jobs; i++) {
		g_autoptr(GError) error = NULL;
		SgCheckContext *ctx =
		    sg_check_context_new(scan->profile, &error);

		if (ctx == NULL) {
			sg_cli_warn("%s", error->message);
			return EX_SOFTWARE;
		}
		g_async_queue_push(scan->ctxq, ctx);
	}
	if (jobs > 1) {
		scan->max_pending = 8 * (guint)jobs;
		scan->pool =
		    g_thread_pool_new(scan_worker, scan, jobs, TRUE, NULL);
	}
	return 0;
}

/* Walks every spool, then waits for the pool. Returns 0 or EX_SOFTWARE
 * (the pool left running, as the caller tears down). */
static int
scan_walk_spools(Scan *scan, GPtrArray *spools, gint jobs)
{
	/* A progress line while it runs, on a terminal, unless -Q. */
	if (!scan->quiet && isatty(STDERR_FILENO))
		scan->progress =
		    sg_cli_progress_start(&scan->totals, &scan->out_lock);
	for (guint i = 0; i < spools->len; i++) {
		const ScanSpool *spool = spools->pdata[i];
		g_autoptr(GError) error = NULL;

		if (!scan_use_spool(scan, spool, jobs, &error)) {
			sg_cli_warn("%s", error->message);
			return EX_SOFTWARE;
		}
		if (!sg_spool_walk(spool->path, &scan->opts, &scan->totals.walk,
		        scan_candidate, scan, &error)) {
			g_mutex_lock(&scan->out_lock);
			sg_cli_warn("%s", error->message);
			g_mutex_unlock(&scan->out_lock);
			g_atomic_int_inc(&scan->totals.walk.errors);
		}
	}
	if (scan->pool != NULL)
		g_thread_pool_free(scan->pool, FALSE, TRUE);
	g_clear_pointer(&scan->progress, sg_cli_progress_stop);
	return 0;
}

/* Mails --notify's summary, and logs how that went. */
static void
scan_notify(Scan *scan, const char *notify)
{
	g_autoptr(GError) error = NULL;

	if (!sg_cli_notify_send(scan->notify, &scan->totals, &error)) {
		sg_cli_warn("%s", error->message);
		if (scan->use_syslog)
			sg_report_syslog_line(LOG_ERR, "%s", error->message);
	} else if (scan->use_syslog && sg_cli_notify_count(scan->notify) > 0) {
		sg_report_syslog_line(LOG_INFO,
		    "notified %s of %u moved message(s)", notify,
		    sg_cli_notify_count(scan->notify));
	}
}

/* Saves the state, then tells the run: notify, summary, metrics, syslog.
 * Returns the exit status. */
static int
scan_summary(Scan *scan, const ScanArgs *a, gint64 started)
{
	if (scan->state != NULL) {
		g_autoptr(GError) error = NULL;

		if (!sg_state_save(scan->state, &error)) {
			sg_cli_warn("%s", error->message);
			scan->totals.walk.errors++;
		}
	}
	scan->totals.seconds =
	    (gdouble)(g_get_monotonic_time() - started) / G_USEC_PER_SEC;
	if (scan->notify != NULL)
		scan_notify(scan, a->notify);
	if (!a->quiet || scan->format == SG_REPORT_JSON)
		sg_report_write_summary(stdout, scan->format, &scan->totals,
		    a->dry_run);
	if (a->metrics != NULL) {
		g_autoptr(GError) error = NULL;

		if (scan->store != NULL)
			(void)sg_store_usage(scan->store,
			    &scan->totals.store_entries,
			    &scan->totals.store_bytes, NULL);
		scan->totals.exit_status = scan_exit_status(&scan->totals);
		if (!sg_report_write_metrics(a->metrics, &scan->totals,
		        &error)) {
			sg_cli_warn("%s", error->message);
			scan->totals.walk.errors++;
		}
	}
	if (scan->use_syslog)
		scan_log_summary(&scan->totals, a->dry_run);
	return scan_exit_status(&scan->totals);
}

/* Frees what scan_start_workers() and the run made, then drops the locks. */
static void
scan_teardown(Scan *scan, GArray *lock_fds)
{
	g_async_queue_unref(scan->ctxq);
	g_cond_clear(&scan->pending_cond);
	g_mutex_clear(&scan->pending_lock);
	g_mutex_clear(&scan->out_lock);
	g_clear_pointer(&scan->progress, sg_cli_progress_stop);
	g_clear_pointer(&scan->notify, sg_cli_notify_free);
	g_clear_pointer(&scan->store, sg_store_free);
	g_clear_pointer(&scan->state, sg_state_free);
	/* Last: the next run may start once everything is written. */
	scan_unlock_all(lock_fds);
}

int
sg_cmd_scan(int argc, char **argv)
{
	g_auto(ScanArgs) args = { .jobs = 1 };
	g_autoptr(GArray) lock_fds = g_array_new(FALSE, FALSE, sizeof(int));
	gint64 lock_wait = 0;
	g_autoptr(GPtrArray) spools = NULL;
	g_autoptr(SgProfile) profile = NULL;
	int rc = SG_EXIT_OK;
	gint64 started = g_get_monotonic_time();
	Scan scan = { 0 };

	rc = scan_parse_command_line(&args, &argc, &argv);
	if (rc != 0)
		return rc;
	rc = scan_check_options(&args, &scan, &lock_wait);
	if (rc != 0)
		return rc;
	profile = sg_cli_load_profile(args.profile_name, args.rules_path, &rc);
	if (profile == NULL)
		return rc;
	spools = scan_spools(args.paths, profile, scan.action, &rc);
	if (spools == NULL)
		return rc;
	scan.profile = ((ScanSpool *)spools->pdata[0])->profile;
	scan.action = ((ScanSpool *)spools->pdata[0])->action;

	scan.dry_run = args.dry_run;
	scan.verbose = args.verbose;
	scan.quiet = args.quiet;
	scan.use_syslog = !args.no_syslog;
	scan.mta_log = !args.no_mta_log;
	if (args.notify != NULL && !args.dry_run)
		scan.notify = sg_cli_notify_new(args.notify, args.sendmail);
	scan.opts.include_corrupt = args.include_corrupt;
	scan.opts.now = g_get_real_time() / G_USEC_PER_SEC;
	rc = scan_open_store(&scan, spools, &args);
	if (rc == 0)
		rc = scan_lock(&scan, spools, lock_wait, lock_fds);
	if (rc == 0)
		rc = scan_load_state(&scan, spools, args.state_path, lock_fds);
	if (rc != 0) {
		g_clear_pointer(&scan.notify, sg_cli_notify_free);
		return rc;
	}
	if (scan.use_syslog)
		sg_report_syslog_open();
	if (scan.store != NULL && !args.dry_run)
		scan_recover(&scan);

	rc = scan_start_workers(&scan, args.jobs);
	if (rc == 0)
		rc = scan_walk_spools(&scan, spools, args.jobs);
	if (rc == 0)
		rc = scan_summary(&scan, &args, started);
	scan_teardown(&scan, lock_fds);
	return rc;
}
