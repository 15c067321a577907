// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli-progress.c - the progress line `scan` keeps on a terminal:
 *
 *	spoolguard: 12,345 done, 4,321/s, 0:03 elapsed; 2 quarantined
 *
 * It is drawn when the run starts, then a thread of its own redraws it
 * every PROGRESS_TICK_MS from the run totals, read atomically, holding
 * the caller's output lock; it is
 * one line on standard error, rewritten in place ("\r" and erase to the
 * end of the line) and cut to the terminal's width.  Whoever writes to
 * the terminal first calls sg_cli_progress_hide(), which takes the line
 * away; the next tick draws it again.  The caller starts it only when
 * standard error is a terminal and -Q was not given.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli-private.h"

#define PROGRESS_TICK_MS 500
/* Columns used when the terminal does not say. */
#define PROGRESS_WIDTH 80

struct _SgCliProgress {
	const SgRunTotals *totals;
	GMutex *out_lock;
	GMutex lock;
	GCond cond;
	gboolean stop;
	gint64 started;
	GThread *thread;
};

/* 1 while a line is on the terminal. */
static gint progress_shown;

void
sg_cli_progress_hide(void)
{
	if (g_atomic_int_compare_and_exchange(&progress_shown, 1, 0)) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

/* "12,345": thousands apart, as a person reads a count. */
static void
progress_count(GString *out, gint64 n)
{
	g_autofree char *digits = g_strdup_printf("%" G_GINT64_FORMAT, n);
	gsize len = strlen(digits);

	for (gsize i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0 && digits[i - 1] != '-')
			g_string_append_c(out, ',');
		g_string_append_c(out, digits[i]);
	}
}

static void
progress_draw(SgCliProgress *p)
{
	const SgRunTotals *t = p->totals;
	gint64 done = g_atomic_int_get(&t->examined) +
	    g_atomic_int_get(&t->walk.young) + g_atomic_int_get(&t->walk.busy) +
	    g_atomic_int_get(&t->walk.vanished) +
	    g_atomic_int_get(&t->walk.skipped) +
	    g_atomic_int_get(&t->walk.errors);
	gint64 moved =
	    g_atomic_int_get(&t->quarantined) + g_atomic_int_get(&t->held);
	gint64 errors = g_atomic_int_get(&t->walk.errors);
	gdouble secs =
	    (gdouble)(g_get_monotonic_time() - p->started) / G_USEC_PER_SEC;
	gint64 whole = (gint64)secs;
	g_autoptr(GString) line = g_string_new("spoolguard: ");
	struct winsize ws;
	gsize width = PROGRESS_WIDTH;

	progress_count(line, done);
	g_string_append(line, " done, ");
	progress_count(line, secs > 0 ? (gint64)((gdouble)done / secs) : 0);
	g_string_append_printf(line,
	    "/s, %" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT " elapsed",
	    whole / 60, whole % 60);
	if (moved > 0) {
		g_string_append(line, "; ");
		progress_count(line, moved);
		g_string_append(line, " moved");
	}
	if (errors > 0) {
		g_string_append(line, "; ");
		progress_count(line, errors);
		g_string_append(line, errors == 1 ? " error" : " errors");
	}
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		width = ws.ws_col;
	/* One column short of the edge: no wrap, whatever the terminal. */
	if (line->len >= width)
		g_string_truncate(line, width - 1);
	fprintf(stderr, "\r\033[K%s", line->str);
	fflush(stderr);
	g_atomic_int_set(&progress_shown, 1);
}

static gpointer
progress_thread(gpointer data)
{
	SgCliProgress *p = data;
	gint64 next = g_get_monotonic_time() + PROGRESS_TICK_MS * 1000;

	g_mutex_lock(&p->lock);
	while (!p->stop) {
		if (g_cond_wait_until(&p->cond, &p->lock, next))
			continue; /* woken: stop, or spurious */
		if (g_get_monotonic_time() < next)
			continue;
		g_mutex_unlock(&p->lock);
		g_mutex_lock(p->out_lock);
		progress_draw(p);
		g_mutex_unlock(p->out_lock);
		g_mutex_lock(&p->lock);
		next = g_get_monotonic_time() + PROGRESS_TICK_MS * 1000;
	}
	g_mutex_unlock(&p->lock);
	return NULL;
}

SgCliProgress *
sg_cli_progress_start(const SgRunTotals *totals, GMutex *out_lock)
{
	SgCliProgress *p = g_new0(SgCliProgress, 1);

	p->totals = totals;
	p->out_lock = out_lock;
	p->started = g_get_monotonic_time();
	g_mutex_init(&p->lock);
	g_cond_init(&p->cond);
	/* At once, so that even a short run says it started. */
	g_mutex_lock(out_lock);
	progress_draw(p);
	g_mutex_unlock(out_lock);
	p->thread = g_thread_new("progress", progress_thread, p);
	return p;
}

void
sg_cli_progress_stop(SgCliProgress *p)
{
	if (p == NULL)
		return;
	g_mutex_lock(&p->lock);
	p->stop = TRUE;
	g_cond_signal(&p->cond);
	g_mutex_unlock(&p->lock);
	g_thread_join(p->thread);
	g_mutex_clear(&p->lock);
	g_cond_clear(&p->cond);
	g_free(p);
	sg_cli_progress_hide();
}
