// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spool-sendmail.c - the Sendmail queue: mqueue/qf<id> + df<id> (+ xf<id>),
 * or the same split into mqueue/qf/, mqueue/df/ and mqueue/xf/.
 *
 * The walker streams the qf directory and finds each qf's df (and xf) by
 * fstatat(); a df without its qf is an orphan once older than --min-age.
 * tf (being rewritten), Qf (rejected by sendmail) and hf (sendmail's own
 * quarantine) files are skipped; a single qf or df named on the command
 * line is claimed by sendmail_message_for_file() with its partners.
 * open() takes sendmail's lock, an fcntl write lock on the whole qf (as
 * an OFD lock, on a descriptor opened for writing only to be allowed to
 * lock; none for read-only check and inspect, see spool-pair.h), maps qf
 * read-only and checks it: V first, every line code known, folded lines joined
 * under a length cap (container.line-length: sendmail's fgetfolded() grows
 * its buffer, so sendmail has no line limit of its own to check), the "." end
 * line with nothing after it, well-formed H lines, the I line's inode against
 * the df's. The content is the H lines without their "H?flags?" prefix, a blank
 * line, then df, served from the files without a copy; conditional
 * templates holding a sendmail macro (H?P?Return-Path: <$g>, short lines
 * only) are left out, since sendmail expands them only at delivery.  Files are
 * listed qf, df, xf: the store unlinks in that order, and once qf is gone
 * sendmail has forgotten the message.
 *
 * Still being written: see sendmail_check_ready() (sendmail writes df
 * during DATA, then tf, renamed to qf; a df beside its tf, or one a
 * process still has open for writing, is in progress, never an orphan).
 */
#include "config.h"

#include "spool-sendmail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spoolguard/stream.h"

#include "spool-pair.h"

/* sendmail's MACROEXPAND byte, which starts a macro inside a template. */
#define SENDMAIL_MACRO '\201'
/* Conditional template lines longer than this are checked as content. */
#define SENDMAIL_TEMPLATE_MAX 1024
/* The highest qf version sendmail 8 reads. */
#define SENDMAIL_VERSION_MAX 8

/*
 * offset: in qf, the header text after "H?flags?"; length: up to and
 * including its last line's '\n'.
 */
typedef SgSpoolPairRecord SendmailRecord;

typedef struct {
	const char *map;
	gsize map_len;
	GArray *records;
	guint qf, df;
	goffset header_bytes;
	goffset df_size;
} SendmailReader;

/* Line codes sendmail's readqf() knows. */
static const char sendmail_codes[] = "$.!ABCDEFGHIKMNPQRSTVZdqr";

gboolean
sg_spool_sendmail_valid_id(const char *p, gsize len)
{
	if (len < 6 || len > 40)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isalnum(p[i]))
			return FALSE;
	}
	return TRUE;
}

static void
sendmail_reader_free(gpointer data)
{
	SendmailReader *r = data;

	if (r == NULL)
		return;
	sg_spool_pair_release(r->map, r->map_len);
	if (r->records != NULL)
		g_array_unref(r->records);
	g_free(r);
}

void
sg_spool_sendmail_info_init(SgSpoolSendmailInfo *info)
{
	memset(info, 0, sizeof(*info));
	info->version = -1;
	info->inode = -1;
	info->records = g_array_new(FALSE, FALSE, sizeof(SendmailRecord));
}

void
sg_spool_sendmail_info_clear(SgSpoolSendmailInfo *info)
{
	g_clear_pointer(&info->records, g_array_unref);
}

/* The qf being parsed: where it is, and what was said once. */
typedef struct {
	SgMessage *msg;
	const SgProfile *profile;
	guint file;
	const char *buf;
	gsize len;
	SgSpoolSendmailInfo *info;
	gint64 line_max;
	gint64 keep; /* H lines kept */
	gboolean first, ended, long_reported, count_reported;
} QfParser;

#define QF_EVENT(q, rule, off, obs, ...)                                       \
	sg_spool_pair_event((q)->msg, (q)->profile, SG_RULE_##rule, (q)->file, \
	    (goffset)(off), (obs), __VA_ARGS__)

/* The logical line at @start (with its continuation lines): its end. */
static gsize
qf_logical_line(const QfParser *q, gsize start)
{
	gsize pos = start;

	for (;;) {
		const char *nl = memchr(q->buf + pos, '\n', q->len - pos);

		if (nl == NULL)
			return q->len;
		pos = (gsize)(nl - q->buf) + 1;
		if (pos >= q->len ||
		    (q->buf[pos] != ' ' && q->buf[pos] != '\t'))
			return pos;
	}
}

/* What every line must be: FALSE when the rest cannot be read. */
static gboolean
qf_check_line(QfParser *q, gsize start, gsize end)
{
	const char *line = q->buf + start, *z;
	gsize n = end - start;

	if (q->ended) {
		QF_EVENT(q, CONTAINER_TRAILING_DATA, start,
		    (gint64)(q->len - start),
		    "%zu bytes after the \".\" end line", q->len - start);
		return FALSE;
	}
	if (!q->long_reported && (gint64)n > q->line_max) {
		q->long_reported = TRUE;
		sg_spool_pair_limit(q->msg, q->profile,
		    SG_RULE_CONTAINER_LINE_LENGTH, q->file, start, (gint64)n,
		    "a qf line of %zu bytes with its continuations", n);
	}
	z = memchr(line, '\0', n);
	if (z != NULL) {
		QF_EVENT(q, CONTAINER_NUL, z - q->buf, SG_VALUE_NONE,
		    "NUL byte in a qf line");
	}
	if (q->buf[end - 1] != '\n') {
		QF_EVENT(q, CONTAINER_MISSING_END, end, SG_VALUE_NONE,
		    "qf ends inside a line, without \".\"");
		return FALSE;
	}
	return TRUE;
}

/* The first line: V<version>. */
static void
qf_check_version(QfParser *q, const char *line, gsize n, gsize start)
{
	gint64 v;

	q->first = FALSE;
	if (line[0] != 'V') {
		QF_EVENT(q, CONTAINER_MISSING_RECORD, start, SG_VALUE_NONE,
		    "qf does not start with a V line");
	} else if (!sg_parse_i64(line + 1, n - 2, &v) || v < 0 ||
	    v > SENDMAIL_VERSION_MAX) {
		QF_EVENT(q, CONTAINER_BAD_FIELD, start, SG_VALUE_NONE,
		    "unsupported qf version");
	} else {
		q->info->version = v;
	}
}

/* I<major>/<minor>/<inode> */
static void
qf_line_inode(QfParser *q, const char *line, gsize n, gsize start)
{
	const char *s = line + n - 1;
	gint64 ino;

	while (s > line + 1 && s[-1] != '/')
		s--;
	if (s == line + 1 ||
	    !sg_parse_i64(s, (gsize)(line + n - 1 - s), &ino)) {
		QF_EVENT(q, CONTAINER_BAD_FIELD, start, SG_VALUE_NONE,
		    "malformed I line (major/minor/inode)");
	} else {
		q->info->inode = ino;
		q->info->inode_offset = (goffset)start;
	}
}

/* H?flags?Name: value, or HName: value */
static void
qf_line_header(QfParser *q, const char *line, gsize n, gsize start)
{
	const char *h = line + 1;
	const char *colon;

	if (n > 2 && *h == '?') {
		const char *qm = memchr(h + 1, '?', n - 3);

		if (qm == NULL) {
			QF_EVENT(q, CONTAINER_BAD_FIELD, start, SG_VALUE_NONE,
			    "H line flags without a closing ?");
			return;
		}
		h = qm + 1;
	}
	colon = memchr(h, ':', (gsize)(line + n - h));
	if (colon == NULL || colon == h) {
		QF_EVENT(q, CONTAINER_BAD_FIELD, start, SG_VALUE_NONE,
		    "H line without a header name");
	}
	if (h != line + 1 && n < SENDMAIL_TEMPLATE_MAX &&
	    memchr(h, SENDMAIL_MACRO, (gsize)(line + n - h)) != NULL) {
		/* a conditional template with a macro ("H?P?Return-Path:
		 * <$g>"): expanded only at delivery, not content as stored */
		return;
	}
	if ((gint64)q->info->records->len < q->keep) {
		SendmailRecord rec = { h - q->buf, (gsize)(line + n - h) };

		g_array_append_val(q->info->records, rec);
		q->info->header_bytes += (goffset)rec.length;
	} else if (!q->count_reported) {
		q->count_reported = TRUE;
		sg_spool_pair_limit(q->msg, q->profile, SG_RULE_HEADER_COUNT,
		    q->file, start, q->keep + 1,
		    "more than %" G_GINT64_FORMAT " H lines", q->keep);
	}
}

/* One line with a known code. */
static void
qf_line(QfParser *q, const char *line, gsize n, gsize start)
{
	switch (line[0]) {
	case '.':
		if (n != 2) {
			QF_EVENT(q, CONTAINER_BAD_FIELD, start, SG_VALUE_NONE,
			    "end line is not a lone \".\"");
		}
		q->ended = TRUE;
		break;
	case 'S':
		sg_message_set_sender(q->msg, line + 1, n - 2, q->file,
		    (goffset)start + 1);
		break;
	case 'R': {
		/* R<flags>:<address> */
		const char *colon = memchr(line + 1, ':', n - 2);
		const char *a = colon != NULL ? colon + 1 : line + 1;

		sg_message_add_recipient(q->msg, a, (gsize)(line + n - 1 - a),
		    q->file, (goffset)(a - q->buf));
		break;
	}
	case 'T':
		sg_spool_pair_prop(q->msg, "created", line + 1, n - 2);
		break;
	case 'I':
		qf_line_inode(q, line, n, start);
		break;
	case 'H':
		qf_line_header(q, line, n, start);
		break;
	default:
		break;
	}
}

gboolean
sg_spool_sendmail_parse_qf(SgMessage *msg, const SgProfile *profile, guint file,
    const char *buf, gsize len, SgSpoolSendmailInfo *info)
{
	QfParser q = {
		.msg = msg,
		.profile = profile,
		.file = file,
		.buf = buf,
		.len = len,
		.info = info,
		.line_max =
		    sg_spool_pair_hard(profile, SG_RULE_CONTAINER_LINE_LENGTH),
		.keep = sg_spool_pair_hard(profile, SG_RULE_HEADER_COUNT),
		.first = TRUE,
	};
	gsize pos = 0;

	while (pos < len) {
		/* [start, end) includes the last '\n' if any */
		gsize start = pos, end = qf_logical_line(&q, pos), n;
		const char *line = buf + start;
		char code = line[0];

		pos = end;
		n = end - start;
		if (!qf_check_line(&q, start, end))
			return FALSE;
		if (q.first)
			qf_check_version(&q, line, n, start);
		if (code == '\n' || strchr(sendmail_codes, code) == NULL ||
		    code == '\0') {
			QF_EVENT(&q, CONTAINER_UNKNOWN_RECORD, start,
			    (guchar)code, "unknown qf line code 0x%02x",
			    (guchar)code);
			continue;
		}
		qf_line(&q, line, n, start);
	}
	if (q.first) {
		QF_EVENT(&q, CONTAINER_NOT_A_MESSAGE, 0, SG_VALUE_NONE,
		    "empty qf file");
		return FALSE;
	}
	if (!q.ended) {
		QF_EVENT(&q, CONTAINER_MISSING_END, len, SG_VALUE_NONE,
		    "qf has no \".\" end line");
		return FALSE;
	}
	return TRUE;
}

/* ---- content: H lines + "\n" + df ------------------------------- */

static GMimeStream *
sendmail_content_open(SgMessage *msg, GError **error)
{
	SendmailReader *r = msg->reader_data;

	return sg_spool_pair_content_open(msg, r->qf, r->map, r->map_len,
	    r->records, r->df, 0, r->df_size, error);
}

static gboolean
sendmail_content_locate(SgMessage *msg, goffset content_offset, guint *file,
    goffset *file_offset)
{
	SendmailReader *r = msg->reader_data;

	return sg_spool_pair_content_locate(r->records, r->qf, r->map_len,
	    r->df, 0, r->df_size, content_offset, file, file_offset);
}

static const SgContentOps sendmail_content_ops = {
	.open = sendmail_content_open,
	.locate = sendmail_content_locate,
};

/* ---- readiness ---------------------------------------------------- */

/*
 * Sendmail's own order (collect.c, queue.c): while DATA comes in, the
 * message is written to df<id> (created when the header ends, with no
 * lock); when it has all arrived, queueup() writes the control file as
 * tf<id> under an fcntl lock and renames it to qf<id>; a delivery or
 * queue run locks qf<id> (fcntl, whole file) and rewrites it the same way
 * (tf, then rename over qf).  So, once the qf lock (if any) is ours: a qf
 * whose name now leads to another inode was rewritten since it was opened
 * (VANISHED: the next run reads the new one); a df listed alone is in
 * progress while tf<id> exists, once qf<id> exists, or while any process
 * has it open for writing (YOUNG); tf is looked for before qf, since the
 * rename turns one into the other.  Only a df without any of them is an
 * orphan.
 */
static gboolean
sendmail_check_ready(SgMessage *msg, const SendmailReader *r, GError **error)
{
	if (r->qf != G_MAXUINT) {
		SgMessageFile *qf = sg_message_file(msg, r->qf);
		struct stat st;

		if (lstat(qf->path, &st) != 0 || st.st_ino != qf->st.st_ino ||
		    st.st_dev != qf->st.st_dev) {
			g_set_error(error, SG_CORE_ERROR,
			    SG_CORE_ERROR_VANISHED,
			    "%s: rewritten or removed since it was opened",
			    qf->path);
			return FALSE;
		}
		return TRUE;
	}
	if (r->df != G_MAXUINT) {
		SgMessageFile *df = sg_message_file(msg, r->df);
		g_autofree char *ddir = g_path_get_dirname(df->path);
		g_autofree char *dbase = g_path_get_basename(ddir);
		g_autofree char *up = g_path_get_dirname(ddir);
		g_autofree char *split = g_build_filename(up, "qf", NULL);
		const char *qdir = ddir;
		static const char *const marks[] = { "tf", "qf" };

		/* a split queue keeps tf and qf in qf/ */
		if (strcmp(dbase, "df") == 0 &&
		    g_file_test(split, G_FILE_TEST_IS_DIR))
			qdir = split;
		for (guint i = 0; i < G_N_ELEMENTS(marks); i++) {
			g_autofree char *name =
			    g_strconcat(marks[i], msg->queue_id, NULL);

			if (sg_spool_pair_exists_in(qdir, name)) {
				g_set_error(error, SG_CORE_ERROR,
				    SG_CORE_ERROR_YOUNG,
				    "%s: %s exists: sendmail is still "
				    "queueing it",
				    df->path, name);
				return FALSE;
			}
		}
		if (!sg_spool_refuse_writers(df->fd, df->path,
		        "sendmail is still collecting it", error))
			return FALSE;
	}
	return TRUE;
}

/* Just before a move: the same rules again (a tf or qf may have come). */
static gboolean
sendmail_prepare_move(SgMessage *msg, GError **error)
{
	const SendmailReader *r = msg->reader_data;

	if (!sg_spool_pair_is_open(msg, error))
		return FALSE;
	return sendmail_check_ready(msg, r, error);
}

/* ---- ops -------------------------------------------------------- */

static gboolean
sendmail_open(SgMessage *msg, const SgProfile *profile,
    const SgWalkOptions *opts, GError **error)
{
	SendmailReader *r = g_new0(SendmailReader, 1);
	SgSpoolSendmailInfo info;
	SgMessageFile *qf = NULL, *df = NULL;

	msg->reader_data = r;
	msg->reader_free = sendmail_reader_free;
	r->qf = sg_spool_pair_find_role(msg, "qf");
	r->df = sg_spool_pair_find_role(msg, "df");
	r->records = g_array_new(FALSE, FALSE, sizeof(SendmailRecord));
	if (r->qf != G_MAXUINT) {
		/* sendmail's lock: fcntl write lock on the whole qf */
		if (!sg_spool_pair_open_aged(msg, r->qf, TRUE, 0, 0, opts, &qf,
		        error))
			return FALSE;
	}
	for (guint i = 0; i < msg->files->len; i++) {
		if (i == r->qf)
			continue;
		if (i != r->df) {
			if (!sg_message_open_file(msg, i, error))
				return FALSE;
			continue;
		}
		if (!sg_spool_pair_open_aged(msg, i, FALSE, 0, 0, opts, &df,
		        error))
			return FALSE;
		r->df_size = df->st.st_size;
	}
	if ((opts == NULL || !opts->read_only) &&
	    !sendmail_check_ready(msg, r, error))
		return FALSE;
	if (qf == NULL || df == NULL) {
		sg_spool_pair_event(msg, profile, SG_RULE_CONTAINER_ORPHAN_FILE,
		    qf != NULL ? r->qf : r->df, SG_OFFSET_NONE, SG_VALUE_NONE,
		    "%s without its %s", qf != NULL ? "qf" : "df",
		    qf != NULL ? "df" : "qf");
	}
	sg_spool_sendmail_info_init(&info);
	if (qf != NULL) {
		if (!sg_spool_pair_read_all(qf, &r->map, &r->map_len, error)) {
			sg_spool_sendmail_info_clear(&info);
			return FALSE;
		}
		sg_spool_sendmail_parse_qf(msg, profile, r->qf, r->map,
		    r->map_len, &info);
		if (df != NULL && info.inode > 0 &&
		    (guint64)info.inode != (guint64)df->st.st_ino) {
			sg_spool_pair_event(msg, profile,
			    SG_RULE_CONTAINER_SIZE_MISMATCH, r->qf,
			    info.inode_offset, info.inode,
			    "I line names inode %" G_GINT64_FORMAT
			    ", df is inode %" G_GUINT64_FORMAT,
			    info.inode, (guint64)df->st.st_ino);
		}
		g_array_unref(r->records);
		r->records = g_steal_pointer(&info.records);
		r->header_bytes = info.header_bytes;
	}
	sg_spool_sendmail_info_clear(&info);
	msg->content = &sendmail_content_ops;
	msg->content_size = (qf != NULL ? r->header_bytes + 1 : 0) + r->df_size;
	return TRUE;
}

/* ---- walking ------------------------------------------------------- */

typedef struct {
	SgWalkStats *stats;
	SgWalkFunc func;
	gpointer user_data;
	const char *root;
	char *qdir, *ddir, *xdir;
	gboolean stop;
} SendmailWalk;

/*
 * (transfer full): the unopened candidate for @id: qf, df and xf in
 * @dirs[0..2], those that @have.
 */
static SgMessage *
sendmail_candidate(const char *root, const char *const dirs[3], const char *id,
    const gboolean have[3])
{
	SgMessage *msg = sg_message_new(&sg_spool_sendmail_ops, "sendmail", id);
	static const char *const roles[] = { "qf", "df", "xf" };

	msg->spool_root = g_strdup(root);
	msg->queue_name = g_strdup("mqueue");
	msg->queue_id = g_strdup(id);
	for (guint i = 0; i < 3; i++) {
		g_autofree char *name = NULL;
		g_autofree char *path = NULL;

		if (!have[i])
			continue;
		name = g_strconcat(roles[i], id, NULL);
		path = g_build_filename(dirs[i], name, NULL);
		sg_message_add_file(msg, path, roles[i]);
	}
	return msg;
}

static void
sendmail_emit(SendmailWalk *w, const char *id, gboolean have_qf,
    gboolean have_df, gboolean have_xf)
{
	const char *const dirs[] = { w->qdir, w->ddir, w->xdir };
	const gboolean have[] = { have_qf, have_df, have_xf };
	SgMessage *msg = sendmail_candidate(w->root, dirs, id, have);

	g_atomic_int_inc(&w->stats->seen);
	if (!w->func(msg, w->user_data))
		w->stop = TRUE;
}

/* Walks one directory for @prefix files ("qf", or "df" for orphans). */
static gboolean
sendmail_walk_dir(SendmailWalk *w, const char *dir, gboolean orphans_only,
    GError **error)
{
	DIR *dp = opendir(dir);
	struct dirent *de;

	if (dp == NULL) {
		if (errno == ENOENT)
			return TRUE;
		g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_IO,
		    "%s: cannot open: %s", dir, g_strerror(errno));
		return FALSE;
	}
	while (!w->stop && (de = readdir(dp)) != NULL) {
		const char *name = de->d_name;
		gsize n = strlen(name);
		g_autofree char *qn = NULL;
		g_autofree char *dn = NULL;
		g_autofree char *xn = NULL;

		if (name[0] == '.' ||
		    (n == 2 &&
		        (strcmp(name, "qf") == 0 || strcmp(name, "df") == 0 ||
		            strcmp(name, "xf") == 0)))
			continue;
		if (n < 3 || !sg_spool_sendmail_valid_id(name + 2, n - 2)) {
			g_atomic_int_inc(&w->stats->skipped);
			continue;
		}
		qn = g_strconcat("qf", name + 2, NULL);
		dn = g_strconcat("df", name + 2, NULL);
		xn = g_strconcat("xf", name + 2, NULL);
		if (!orphans_only && strncmp(name, "qf", 2) == 0) {
			sendmail_emit(w, name + 2, TRUE,
			    sg_spool_pair_exists_in(w->ddir, dn),
			    sg_spool_pair_exists_in(w->xdir, xn));
		} else if (strncmp(name, "df", 2) == 0 &&
		    (orphans_only || strcmp(w->ddir, w->qdir) == 0)) {
			if (!sg_spool_pair_exists_in(w->qdir, qn))
				sendmail_emit(w, name + 2, FALSE, TRUE, FALSE);
		} else if (strncmp(name, "xf", 2) != 0 &&
		    strncmp(name, "df", 2) != 0) {
			/* tf, Qf, hf and anything else */
			g_atomic_int_inc(&w->stats->skipped);
		}
	}
	closedir(dp);
	return TRUE;
}

static gboolean
sendmail_walk(const char *path, const SgWalkOptions *opts, SgWalkStats *stats,
    SgWalkFunc func, gpointer user_data, GError **error)
{
	SendmailWalk w = {
		.stats = stats,
		.func = func,
		.user_data = user_data,
		.root = path,
	};
	g_autofree char *q = g_build_filename(path, "qf", NULL);
	gboolean split = g_file_test(q, G_FILE_TEST_IS_DIR);
	gboolean ok;

	(void)opts;
	w.qdir = split ? g_strdup(q) : g_strdup(path);
	w.ddir = split ? g_build_filename(path, "df", NULL) : g_strdup(path);
	w.xdir = split ? g_build_filename(path, "xf", NULL) : g_strdup(path);
	ok = sendmail_walk_dir(&w, w.qdir, FALSE, error);
	if (ok && !w.stop && split)
		ok = sendmail_walk_dir(&w, w.ddir, TRUE, error);
	g_free(w.qdir);
	g_free(w.ddir);
	g_free(w.xdir);
	return ok;
}

/* qf<id>. */
static gboolean
sendmail_qf_name(const char *name, gsize n)
{
	return n > 2 && strncmp(name, "qf", 2) == 0 &&
	    sg_spool_sendmail_valid_id(name + 2, n - 2);
}

static gboolean
sendmail_detect(int dirfd, const char *path)
{
	g_autofree char *base = g_path_get_basename(path);
	struct stat st;

	if (strcmp(base, "mqueue") == 0 || strcmp(base, "clientmqueue") == 0)
		return TRUE;
	if (fstatat(dirfd, "qf", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode) &&
	    fstatat(dirfd, "df", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode))
		return TRUE;
	return sg_spool_pair_dir_has(dirfd, sendmail_qf_name);
}

/* TRUE when the qf at @path starts as sendmail writes one: "V<digit>". */
static gboolean
sendmail_looks_like_qf(const char *path)
{
	char buf[2];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return FALSE;
	got = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	return got == 2 && buf[0] == 'V' && g_ascii_isdigit(buf[1]);
}

/*
 * qf<id> or df<id> named on the command line, in a flat queue directory
 * or in the qf/ df/ subdirectories of a split one: claimed when its
 * partner exists, or, a qf alone, when it starts with a V line (the
 * reader then reports the orphan).  A lone df has no signature and stays
 * a plain file.
 */
static SgMessage *
sendmail_message_for_file(const char *path)
{
	g_autofree char *real = realpath(path, NULL);
	g_autofree char *name = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *base = NULL;
	g_autofree char *root = NULL;
	g_autofree char *qdir = NULL;
	g_autofree char *ddir = NULL;
	g_autofree char *xdir = NULL;
	g_autofree char *qn = NULL;
	g_autofree char *dn = NULL;
	g_autofree char *xn = NULL;
	gboolean is_qf, have[3];
	gsize n;

	if (real == NULL)
		return NULL;
	name = g_path_get_basename(real);
	dir = g_path_get_dirname(real);
	n = strlen(name);
	if (n < 3 ||
	    (strncmp(name, "qf", 2) != 0 && strncmp(name, "df", 2) != 0) ||
	    !sg_spool_sendmail_valid_id(name + 2, n - 2) ||
	    !sg_spool_pair_is_reg(dir, name))
		return NULL;
	is_qf = name[0] == 'q';
	base = g_path_get_basename(dir);
	if (strcmp(base, is_qf ? "qf" : "df") == 0) {
		g_autofree char *up = g_path_get_dirname(dir);
		g_autofree char *q = g_build_filename(up, "qf", NULL);
		g_autofree char *d = g_build_filename(up, "df", NULL);

		if (g_file_test(q, G_FILE_TEST_IS_DIR) &&
		    g_file_test(d, G_FILE_TEST_IS_DIR)) {
			/* split queue: mqueue/qf/, mqueue/df/, mqueue/xf/ */
			root = g_steal_pointer(&up);
			qdir = g_steal_pointer(&q);
			ddir = g_steal_pointer(&d);
			xdir = g_build_filename(root, "xf", NULL);
		}
	}
	if (root == NULL) {
		root = g_strdup(dir);
		qdir = g_strdup(dir);
		ddir = g_strdup(dir);
		xdir = g_strdup(dir);
	}
	qn = g_strconcat("qf", name + 2, NULL);
	dn = g_strconcat("df", name + 2, NULL);
	xn = g_strconcat("xf", name + 2, NULL);
	have[0] = sg_spool_pair_is_reg(qdir, qn);
	have[1] = sg_spool_pair_is_reg(ddir, dn);
	have[2] = have[0] && sg_spool_pair_is_reg(xdir, xn);
	if (!(have[0] && have[1]) && !(is_qf && sendmail_looks_like_qf(real)))
		return NULL;
	{
		const char *const dirs[] = { qdir, ddir, xdir };

		return sendmail_candidate(root, dirs, name + 2, have);
	}
}

static char *
sendmail_release_dir(const char *spool_root, const char *queue_name,
    const char *file_name)
{
	g_autofree char *sub = g_strndup(file_name, 2);
	g_autofree char *split = g_build_filename(spool_root, "qf", NULL);

	(void)queue_name;
	if (g_file_test(split, G_FILE_TEST_IS_DIR))
		return g_build_filename(spool_root, sub, NULL);
	return g_strdup(spool_root);
}

const SgSpoolOps sg_spool_sendmail_ops = {
	.name = "sendmail",
	.detect = sendmail_detect,
	.walk = sendmail_walk,
	.open = sendmail_open,
	.hold = NULL,
	.prepare_move = sendmail_prepare_move,
	.release_dir = sendmail_release_dir,
	.message_for_file = sendmail_message_for_file,
};
