// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spool-mbox.c - mailboxes in mbox format (/var/mail/USER, folders a
 * mail client keeps): one file, many messages, each judged on its own.
 *
 * A file is an mbox when its first line is a From_ line: "From ", the
 * envelope sender, and an asctime() date ("From alice@example.org Thu Nov
 * 22 03:15:02 2026"), as Postfix's local(8), Exim's appendfile, procmail
 * and mail clients write it, and its name does not say it is one message
 * (*.eml, *.msg, *.bad: such a file with a From_ line first is a single
 * saved message, read by the plain reader).  A message starts at a From_ line
 * that opens the file or follows an empty line (mbox writers put one after
 * every message and quote "From " in bodies as ">From "); the message's
 * content is what follows its From_ line, up to the empty line before
 * the next one.  The walk streams the file in MBOX_CHUNK reads (constant
 * memory whatever its size) and hands out one candidate per message,
 * named "PATH, message N (bytes A-B)", with the byte range [A, B) of the
 * file that the message takes (From_ line included), and the properties
 * mbox-message, mbox-offset and mbox-end.  Findings carry offsets in the
 * file, inside that range.
 *
 * A message in an mbox is never moved (no_move): taking one message out
 * of a live mailbox means rewriting it under the MDA's locks, which is
 * not spoolguard's to do; it is reported and the mailbox left alone.
 * open() checks that the file still holds a From_ line where the walk
 * saw one (a mail client that expunged messages rewrites the file: the
 * message is then counted as vanished), and with --min-age a mailbox
 * written to recently has its last message, perhaps still being
 * appended, skipped as too young.  No lock is taken (reading only).
 * Content-Length (mboxcl) is not used: the From_ lines are the truth.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "spool-private.h"

/* Bytes read at a time while splitting. */
#define MBOX_CHUNK 65536
/* A From_ line longer than this is not one. */
#define MBOX_FROM_MAX 1024

typedef struct {
	goffset start;         /* the From_ line */
	goffset content_start; /* after it */
	goffset end;           /* the next From_ line, or EOF */
	goffset content_end;   /* before the empty line that ends it */
	guint index;           /* 1, 2, ... */
	gboolean last;         /* the file's last message */
} MboxRange;

/*
 * TRUE when (p, n) (a line without its LF) is a From_ line: "From ", a
 * sender (no blank in it; may be empty), blanks, then an asctime() date
 * "Www Mmm" with day, time and year after it.
 */
static gboolean
mbox_is_from_line(const char *p, gsize n)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	gsize i = 5;

	if (n < 5 || n > MBOX_FROM_MAX || memcmp(p, "From ", 5) != 0)
		return FALSE;
	while (i < n && p[i] != ' ' && p[i] != '\t')
		i++;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	/* "Www Mmm" then something with a colon (the time). */
	if (i + 8 > n || p[i + 3] != ' ' || p[i + 7] != ' ')
		return FALSE;
	{
		gboolean day = FALSE, month = FALSE;

		for (guint d = 0; d < 7 && !day; d++)
			day = memcmp(p + i, days + d * 3, 3) == 0;
		for (guint m = 0; m < 12 && !month; m++)
			month = memcmp(p + i + 4, months + m * 3, 3) == 0;
		if (!day || !month)
			return FALSE;
	}
	return memchr(p + i + 8, ':', n - i - 8) != NULL;
}

/* The sender of a From_ line (p, n): the word after "From ". */
static void
mbox_from_sender(const char *p, gsize n, const char **s, gsize *len)
{
	gsize i = 5;

	while (i < n && p[i] != ' ' && p[i] != '\t')
		i++;
	*s = p + 5;
	*len = i - 5;
}

/* Reads the first line of @fd at @off into @buf (at most MBOX_FROM_MAX
 * + 1 bytes); its length without LF, or -1. */
static gssize
mbox_read_line(int fd, goffset off, char *buf)
{
	ssize_t n;
	const char *lf;

	do {
		n = pread(fd, buf, MBOX_FROM_MAX + 1, off);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	lf = memchr(buf, '\n', (gsize)n);
	if (lf != NULL)
		return lf - buf;
	return n;
}

/* A name that says "one message": *.eml, *.msg, *.bad (any case). */
static gboolean
mbox_name_is_one_message(const char *name)
{
	static const char *const one[] = { ".eml", ".msg", ".bad" };
	gsize len = strlen(name);

	for (guint i = 0; i < G_N_ELEMENTS(one); i++) {
		if (len > 4 && g_ascii_strcasecmp(name + len - 4, one[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean
sg_spool_is_mbox(const char *path)
{
	char buf[MBOX_FROM_MAX + 1];
	struct stat st;
	gssize n;
	int fd = open(path,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	gboolean yes = FALSE;

	if (fd < 0)
		return FALSE;
	if (!mbox_name_is_one_message(path) && fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		n = mbox_read_line(fd, 0, buf);
		yes = n > 0 && mbox_is_from_line(buf, (gsize)n);
	}
	close(fd);
	return yes;
}

gboolean
sg_spool_mbox_claims_at(int dirfd, const char *name)
{
	char buf[MBOX_FROM_MAX + 1];
	gssize n;
	int fd;
	gboolean yes;

	if (mbox_name_is_one_message(name))
		return FALSE;
	fd = openat(dirfd, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return FALSE;
	n = mbox_read_line(fd, 0, buf);
	yes = n > 0 && mbox_is_from_line(buf, (gsize)n);
	close(fd);
	return yes;
}

/* ---- the walk over one file ------------------------------------------ */

typedef struct {
	const char *path;
	const SgWalkOptions *opts;
	SgWalkStats *stats;
	SgWalkFunc func;
	gpointer user_data;
	gboolean stopped;
	guint index;
	goffset start;         /* the current message's From_ line */
	goffset content_start; /* after it */
} MboxWalk;

/* Hands out the message that started at w->start and ends at @end. */
static void
mbox_emit(MboxWalk *w, goffset end, goffset content_end, gboolean last)
{
	g_autofree char *id = NULL;
	MboxRange *r = g_new0(MboxRange, 1);
	SgMessage *msg;

	r->start = w->start;
	r->content_start = w->content_start;
	r->end = end;
	r->content_end = MAX(content_end, w->content_start);
	r->index = ++w->index;
	r->last = last;
	id = g_strdup_printf("%s, message %u (bytes %" G_GINT64_FORMAT
	                     "-%" G_GINT64_FORMAT ")",
	    w->path, r->index, (gint64)r->start, (gint64)r->end);
	msg = sg_message_new(&sg_spool_mbox_ops, "mbox", id);
	sg_message_add_file(msg, w->path, "mbox");
	msg->spool_root = g_path_get_dirname(w->path);
	msg->reader_data = r;
	msg->reader_free = g_free;
	/* A message in a live mailbox is reported, never moved. */
	msg->no_move = TRUE;
	g_atomic_int_inc(&w->stats->seen);
	if (!w->func(msg, w->user_data))
		w->stopped = TRUE;
}

gboolean
sg_spool_mbox_walk_file(const char *path, const SgWalkOptions *opts,
    SgWalkStats *stats, SgWalkFunc func, gpointer user_data, GError **error)
{
	g_autofree char *buf = g_malloc(MBOX_CHUNK);
	char line[MBOX_FROM_MAX + 1];
	SgWalkStats no_stats = { 0 };
	MboxWalk w = { .path = path,
		.opts = opts,
		.func = func,
		.user_data = user_data };
	goffset pos = 0, line_start = 0, blank_start = -1, blank_end = -1;
	gsize line_len = 0; /* bytes of the current line seen so far */
	char last = 0;      /* its last byte so far */
	gssize first;
	int fd;

	w.stats = stats != NULL ? stats : &no_stats;
	fd = open(path,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int saved = errno;

		g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_IO,
		    "%s: cannot open: %s", path, g_strerror(saved));
		return FALSE;
	}
	first = mbox_read_line(fd, 0, line);
	if (first <= 0 || !mbox_is_from_line(line, (gsize)first)) {
		close(fd);
		g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_LAYOUT,
		    "%s: not an mbox (no From_ line first)", path);
		return FALSE;
	}
	w.start = 0;
	w.content_start = first + 1;
	while (!w.stopped) {
		ssize_t n = pread(fd, buf, MBOX_CHUNK, pos);
		const char *p, *end;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			close(fd);
			g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_IO,
			    "%s: read at byte %" G_GINT64_FORMAT ": %s", path,
			    (gint64)pos, g_strerror(saved));
			return FALSE;
		}
		if (n == 0)
			break;
		p = buf;
		end = buf + n;
		while (p < end && !w.stopped) {
			const char *lf = memchr(p, '\n', (gsize)(end - p));
			goffset next;

			if (lf == NULL) {
				line_len += (gsize)(end - p);
				last = end[-1];
				break;
			}
			if (lf > p)
				last = lf[-1];
			line_len += (gsize)(lf - p);
			next = pos + (lf + 1 - buf);
			/* A line after an empty one may start a message. */
			if (line_start == blank_end && line_start > w.start &&
			    line_len >= 5 && line_len <= MBOX_FROM_MAX) {
				const char *l = line;

				if (line_start >= pos)
					l = buf + (line_start - pos);
				else if (mbox_read_line(fd, line_start, line) !=
				    (gssize)line_len)
					l = NULL;
				if (l != NULL &&
				    mbox_is_from_line(l, line_len)) {
					mbox_emit(&w, line_start, blank_start,
					    FALSE);
					w.start = line_start;
					w.content_start = next;
				}
			}
			/* An empty line: LF alone, or CR LF. */
			if (line_len == 0 || (line_len == 1 && last == '\r')) {
				blank_start = line_start;
				blank_end = next;
			}
			line_start = next;
			line_len = 0;
			last = 0;
			p = lf + 1;
		}
		pos += n;
	}
	if (!w.stopped)
		mbox_emit(&w, pos, blank_end == pos ? blank_start : pos, TRUE);
	close(fd);
	return TRUE;
}

/* ---- one message ---------------------------------------------------- */

static gboolean
mbox_open(SgMessage *msg, const SgProfile *profile, const SgWalkOptions *opts,
    GError **error)
{
	MboxRange *r = msg->reader_data;
	SgMessageFile *file;
	char line[MBOX_FROM_MAX + 1];
	gssize n;

	(void)profile;
	if (r == NULL) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: not a message the mbox walk found", msg->id);
		return FALSE;
	}
	if (!sg_message_open_file(msg, 0, error))
		return FALSE;
	file = sg_message_file(msg, 0);
	/* Rewritten since the walk (messages expunged): not what we saw. */
	n = mbox_read_line(file->fd, r->start, line);
	if (file->st.st_size < r->end || n <= 0 ||
	    !mbox_is_from_line(line, (gsize)n)) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED,
		    "%s: the mailbox changed since it was read; run again",
		    msg->id);
		return FALSE;
	}
	/* The last message of a mailbox written to just now may still be
	 * growing. */
	if (r->last && opts != NULL && opts->min_age > 0) {
		gint64 now = opts->now > 0 ? opts->now
		                           : g_get_real_time() / G_USEC_PER_SEC;
		gint64 changed =
		    MAX((gint64)file->st.st_mtime, (gint64)file->st.st_ctime);

		if (now - changed < opts->min_age) {
			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG,
			    "%s: the mailbox changed %" G_GINT64_FORMAT
			    "s ago; its last message may still be written",
			    msg->id, now - changed);
			return FALSE;
		}
	}
	{
		const char *s;
		gsize len;

		mbox_from_sender(line, (gsize)n, &s, &len);
		sg_message_set_sender(msg, s, len, 0, r->start + 5);
	}
	if (msg->props == NULL)
		msg->props = g_hash_table_new_full(g_str_hash, g_str_equal,
		    g_free, g_free);
	g_hash_table_replace(msg->props, g_strdup("mbox-message"),
	    g_strdup_printf("%u", r->index));
	g_hash_table_replace(msg->props, g_strdup("mbox-offset"),
	    g_strdup_printf("%" G_GINT64_FORMAT, (gint64)r->start));
	g_hash_table_replace(msg->props, g_strdup("mbox-end"),
	    g_strdup_printf("%" G_GINT64_FORMAT, (gint64)r->end));
	sg_message_set_content_window(msg, 0, r->content_start,
	    MAX(r->content_end - r->content_start, 0));
	return TRUE;
}

static gboolean
mbox_detect(int dirfd, const char *path)
{
	(void)dirfd;
	(void)path;
	/* A directory is never an mbox; its files are (spool-walk.c). */
	return FALSE;
}

static gboolean
mbox_walk(const char *path, const SgWalkOptions *opts, SgWalkStats *stats,
    SgWalkFunc func, gpointer user_data, GError **error)
{
	return sg_spool_mbox_walk_file(path, opts, stats, func, user_data,
	    error);
}

const SgSpoolOps sg_spool_mbox_ops = {
	.name = "mbox",
	.detect = mbox_detect,
	.walk = mbox_walk,
	.open = mbox_open,
	/* Never moved, never held: reported only. */
	.hold = NULL,
	.release_dir = NULL,
	/* An mbox named alone is walked (sg_spool_walk), not one message. */
	.message_for_file = NULL,
};
