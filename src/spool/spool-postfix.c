// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spool-postfix.c - Postfix queue directories: layout, walking, the
 * verification of each queue file's records and declared sizes, and the
 * `postsuper -h` style hold.
 *
 * A queue root holds incoming/ active/ deferred/ hold/ (and usually
 * maildrop/ corrupt/); a queue subdirectory given alone is walked as that
 * queue of its root.  Hashed queues are descended at most two levels of
 * one-character directories.  File names are validated as queue ids
 * before they become paths; symlinks are never followed.  Files in
 * corrupt/ are examined and reported but marked no_move unless
 * --include-corrupt.  Every record length is checked against the bytes left;
 * nothing of the content is held in memory: the checks read it through
 * the stream of spool-postfix-stream.c, and the one pass over the records
 * leaves it a bounded record map (a checkpoint every SG_POSTFIX_MARK_GAP
 * content bytes, at most SG_POSTFIX_MARKS_MAX).  Envelope strings are
 * capped (SG_ADDRESS_KEEP, POSTFIX_ATTR_KEEP) and so is the number of props.
 * A maildrop file's records are also held to pickup(8)'s limit
 * (container.postfix-record-length): pickup removes a file with a longer
 * one.
 *
 * Still being written: Postfix's own rule (mail_queue.h, mail_open_ok.c):
 * a queue file is finished when its owner permission bits are exactly
 * rwx (MAIL_QUEUE_STAT_READY).  cleanup(8) creates incoming/ files 0600
 * and postdrop(1) creates maildrop/ files 0644; each sets S_IXUSR only
 * after the last record is written and flushed, and pickup(8), qmgr(8)
 * and postsuper(1) leave every file without it alone, however old.  So
 * does spoolguard, in every queue but corrupt/ (YOUNG, never moved or
 * held): a sendmail(1) stalled for an hour mid-message is an hour-old
 * maildrop file without S_IXUSR.  Postfix's answer to one that never
 * finishes is postsuper -p, which `postfix start` and `postfix reload` run
 * (postfix-script: `postsuper`, whose default is -s -p): it removes a file
 * in maildrop/, incoming/, active/, deferred/ or hold/ whose owner bits are
 * not rwx once its mtime is more than MAX_TEMP_AGE (60 * 60 * 24 seconds,
 * postsuper.c) old.  One idle for more than that is reported (property
 * stale-in-progress, printed even without -v), never touched.  Age
 * (--min-age) comes from ctime, since a deferred file's mtime is its next
 * retry.  Files are read without a lock, as showq(8) does; just before a
 * move, prepare_move() takes qmgr's lock (flock, exclusive, non-blocking:
 * BUSY while qmgr or a delivery agent holds it) and checks again that the
 * name leads to the inode read and that it is still marked ready.
 */
#include "config.h"

#include "spool-postfix.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool-pair.h"
#include "spool-private.h"

/* Bytes of a malformed size record shown in its finding. */
#define POSTFIX_SIZE_SHOWN 100
/* Attribute bytes kept per A record, and A records kept as props. */
#define POSTFIX_ATTR_KEEP 1024
#define POSTFIX_ATTRS_MAX 1000
/* The size record is 95 bytes today; older ones were shorter. */
#define POSTFIX_SIZE_MAX 256
/* qmgr's valid flag mask (QMGR_READ_FLAG_USER). */
#define POSTFIX_FLAGS_MASK 0x1F
/* Pointer records remembered for loop detection (then: the jump limit). */
#define POSTFIX_PTRS_TRACKED 100000
/* A file not marked ready for this long is reported as stale: Postfix's
 * MAX_TEMP_AGE, after which postsuper -p removes it. */
#define POSTFIX_STALE_SECONDS (24 * 3600)
/* hash_queue_depth: how many one-character levels are descended. */
#define POSTFIX_HASH_DEPTH 2

typedef enum {
	POSTFIX_SEG_ENVELOPE,
	POSTFIX_SEG_CONTENT,
	POSTFIX_SEG_EXTRACTED,
	POSTFIX_SEG_COUNT,
} PostfixSegment;

typedef enum {
	POSTFIX_KIND_QUEUE,    /* written by cleanup */
	POSTFIX_KIND_MAILDROP, /* written by postdrop */
	POSTFIX_KIND_COUNT,
} PostfixKind;

static const char *const postfix_segment_names[] = {
	"envelope",
	"content",
	"extracted",
};

/* Record types allowed per kind and segment (rec_type.h). */
static const char
    *const postfix_allowed_types[POSTFIX_KIND_COUNT][POSTFIX_SEG_COUNT] = {
	    { "MCTcFILSDRO/WVA>K<ionp", "XLNwp", "EDRO/PreAFIL>Konp" },
	    { "MCTFSRVAin", "XLN", "EAR" },
    };

static guint8 postfix_type_table[POSTFIX_KIND_COUNT][POSTFIX_SEG_COUNT][256];

static void
postfix_tables_init(void)
{
	static gsize done = 0;

	if (!g_once_init_enter(&done))
		return;
	for (guint k = 0; k < POSTFIX_KIND_COUNT; k++) {
		for (guint s = 0; s < POSTFIX_SEG_COUNT; s++) {
			const char *p = postfix_allowed_types[k][s];

			for (; *p != '\0'; p++)
				postfix_type_table[k][s][(guchar)*p] = 1;
		}
	}
	g_once_init_leave(&done, 1);
}

static const char *const postfix_queues[] = {
	/* hold first: a message held during this walk is not seen twice */
	"hold",
	"incoming",
	"active",
	"deferred",
	"maildrop",
	"corrupt",
	NULL,
};

static gboolean
postfix_is_queue_name(const char *name)
{
	for (guint i = 0; postfix_queues[i] != NULL; i++) {
		if (strcmp(postfix_queues[i], name) == 0)
			return TRUE;
	}
	return FALSE;
}

/* ---- verification of one file -------------------------------------- */

typedef struct {
	SgMessage *msg;
	const SgProfile *profile;
	guint index;
	int fd;
	SgPostfixReader *rd; /* a read window over fd */
	goffset size;
	PostfixKind kind;
	gboolean fatal;
	/* Maildrop files: pickup's record limit (line_length_limit), the
	 * profile's container.postfix-record-length; G_MAXINT64 for queue
	 * files.  The first record over it, and how many are. */
	gint64 rec_max;
	goffset long_off;
	gsize long_len;
	guchar long_type;
	guint long_count;
} PostfixCtx;

static void postfix_finding(PostfixCtx *ctx, SgRuleId rule, goffset offset,
    gint64 observed, gint64 limit, const char *fmt, ...) G_GNUC_PRINTF(6, 7);

static void
postfix_finding(PostfixCtx *ctx, SgRuleId rule, goffset offset, gint64 observed,
    gint64 limit, const char *fmt, ...)
{
	SgSeverity sev =
	    sg_profile_severity(ctx->profile != NULL ? ctx->profile
	                                             : sg_profile_builtin(),
	        rule);
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	sg_message_add_finding(ctx->msg, rule, sev, ctx->index, offset, NULL,
	    NULL, observed, limit, "%s", text);
}

/* 'X' or 0xNN; by hand, since it runs for every record (snprintf was 17%). */
static void
postfix_type_name(guchar type, char out[8])
{
	static const char hex[] = "0123456789abcdef";

	if (type > 32 && type < 127) {
		out[0] = '\'';
		out[1] = (char)type;
		out[2] = '\'';
		out[3] = '\0';
	} else {
		out[0] = '0';
		out[1] = 'x';
		out[2] = hex[type >> 4];
		out[3] = hex[type & 0xf];
		out[4] = '\0';
	}
}

/* The C record: up to 6 numeric fields separated by spaces. */
typedef struct {
	guint count;
	gint64 field[6];
} PostfixSize;

static gboolean
postfix_parse_size(const char *p, gsize len, PostfixSize *out)
{
	gsize i = 0;

	out->count = 0;
	while (i < len) {
		gsize start;

		while (i < len && p[i] == ' ')
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && p[i] != ' ')
			i++;
		if (out->count == G_N_ELEMENTS(out->field))
			return FALSE;
		if (!sg_parse_i64(p + start, i - start,
		        &out->field[out->count]))
			return FALSE;
		out->count++;
	}
	return out->count >= 3;
}

/* Reads up to @max bytes of the record's data; *got gets how many. */
static gboolean
postfix_read_data(PostfixCtx *ctx, const SgPostfixRecord *rec, char *buf,
    gsize max, gsize *got, GError **error)
{
	*got = MIN(rec->len, max);
	if (*got == 0)
		return TRUE;
	if (!sg_postfix_reader_read(ctx->rd, buf, *got, rec->data)) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: read error at offset %" G_GINT64_FORMAT ": %s",
		    ctx->msg->id, (gint64)rec->data, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

static void
postfix_prop(SgMessage *msg, const char *key, const char *value)
{
	if (msg->props == NULL)
		msg->props = g_hash_table_new_full(g_str_hash, g_str_equal,
		    g_free, g_free);
	if (g_hash_table_size(msg->props) >= POSTFIX_ATTRS_MAX)
		return;
	g_hash_table_replace(msg->props, g_strdup(key), g_strdup(value));
}

/* What one pass over the records saw. */
typedef struct {
	goffset size_off; /* the C record, or -1 */
	PostfixSize sz;
	gboolean size_ok;
	goffset m_off, m_end, x_off, e_off, e_end;
	goffset max_end; /* the furthest byte any visited record covers */
	gboolean seen_t, seen_s;
	guint64 live, done, deleted; /* R, D, / records */
	goffset content_size;
	guint attrs;
	GArray *marks;     /* SgPostfixMark: checkpoints for the stream */
	goffset mark_gap;  /* content bytes between checkpoints */
	goffset next_mark; /* content offset of the next checkpoint */
} PostfixScan;

typedef struct {
	guint index;
	goffset file_size;
	goffset data_offset;
	GArray *marks; /* (owned) SgPostfixMark */
} PostfixContent;

static void
postfix_content_free(gpointer data)
{
	PostfixContent *c = data;

	g_clear_pointer(&c->marks, g_array_unref);
	g_free(c);
}

static GMimeStream *
postfix_content_open(SgMessage *msg, GError **error)
{
	PostfixContent *c = msg->content_data;
	SgMessageFile *file = sg_message_file(msg, c->index);

	if (file == NULL || file->fd < 0) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: content file is not open", msg->id);
		return NULL;
	}
	return sg_postfix_stream_new(file->fd, c->file_size, c->data_offset,
	    msg->content_size, c->marks);
}

static gboolean
postfix_content_locate(SgMessage *msg, goffset content_offset, guint *file,
    goffset *file_offset)
{
	PostfixContent *c = msg->content_data;
	SgMessageFile *mf = sg_message_file(msg, c->index);

	if (mf == NULL || mf->fd < 0)
		return FALSE;
	*file = c->index;
	return sg_postfix_stream_locate(mf->fd, c->file_size, c->data_offset,
	    c->marks, content_offset, file_offset);
}

static const SgContentOps postfix_content_ops = {
	.open = postfix_content_open,
	.locate = postfix_content_locate,
};

const GArray *
sg_postfix_content_map(SgMessage *msg)
{
	const PostfixContent *c;

	if (msg->content != &postfix_content_ops)
		return NULL;
	c = msg->content_data;
	return c->marks;
}

static void
postfix_set_content(PostfixCtx *ctx, goffset data_offset, goffset size,
    GArray *marks)
{
	SgMessage *msg = ctx->msg;
	PostfixContent *c = g_new0(PostfixContent, 1);

	if (msg->content_free != NULL)
		msg->content_free(msg->content_data);
	c->index = ctx->index;
	c->file_size = ctx->size;
	c->data_offset = data_offset;
	c->marks = marks != NULL ? g_array_ref(marks) : NULL;
	msg->content = &postfix_content_ops;
	msg->content_data = c;
	msg->content_free = postfix_content_free;
	msg->content_size = size;
}

/* A record's data handed to the envelope; FALSE on I/O errors. */
static gboolean
postfix_envelope_record(PostfixCtx *ctx, PostfixScan *scan,
    const SgPostfixRecord *rec, GError **error)
{
	char buf[MAX(SG_ADDRESS_KEEP, POSTFIX_ATTR_KEEP) + 1];
	gsize got;
	const char *eq;

	switch (rec->type) {
	case 'S':
		if (!postfix_read_data(ctx, rec, buf, SG_ADDRESS_KEEP, &got,
		        error))
			return FALSE;
		if (!scan->seen_s)
			sg_message_set_sender(ctx->msg, buf, rec->len,
			    ctx->index, rec->data);
		scan->seen_s = TRUE;
		/* postfix_set_sender copied at most got bytes of buf */
		(void)got;
		break;
	case 'R':
		if (!postfix_read_data(ctx, rec, buf, SG_ADDRESS_KEEP, &got,
		        error))
			return FALSE;
		/* sg_message_add_recipient copies MIN(len, KEEP) = got */
		sg_message_add_recipient(ctx->msg, buf, rec->len, ctx->index,
		    rec->data);
		scan->live++;
		break;
	case 'D':
		scan->done++;
		break;
	case '/':
		scan->deleted++;
		break;
	case 'T':
		scan->seen_t = TRUE;
		if (!postfix_read_data(ctx, rec, buf, 64, &got, error))
			return FALSE;
		buf[got] = '\0';
		postfix_prop(ctx->msg, "postfix.time",
		    g_strcanon(buf, "0123456789 ", '?'));
		break;
	case 'A':
		if (scan->attrs >= POSTFIX_ATTRS_MAX)
			break;
		scan->attrs++;
		if (!postfix_read_data(ctx, rec, buf, POSTFIX_ATTR_KEEP, &got,
		        error))
			return FALSE;
		eq = memchr(buf, '=', got);
		if (eq != NULL) {
			g_autofree char *name =
			    sg_escape_bytes(buf, (gsize)(eq - buf), 128);
			g_autofree char *value = sg_escape_bytes(eq + 1,
			    got - (gsize)(eq - buf) - 1, POSTFIX_ATTR_KEEP);
			g_autofree char *key =
			    g_strconcat("postfix.attr.", name, NULL);

			postfix_prop(ctx->msg, key, value);
		}
		break;
	default:
		break;
	}
	return TRUE;
}

static gboolean
postfix_size_record(PostfixCtx *ctx, PostfixScan *scan,
    const SgPostfixRecord *rec, GError **error)
{
	char buf[POSTFIX_SIZE_MAX];
	gsize got;

	scan->size_off = rec->offset;
	if (rec->len > sizeof(buf)) {
		postfix_finding(ctx, SG_RULE_CONTAINER_BAD_FIELD, rec->offset,
		    (gint64)rec->len, POSTFIX_SIZE_MAX,
		    "size record of %zu bytes (at most %d)", rec->len,
		    POSTFIX_SIZE_MAX);
		return TRUE;
	}
	if (!postfix_read_data(ctx, rec, buf, sizeof(buf), &got, error))
		return FALSE;
	if (!postfix_parse_size(buf, got, &scan->sz)) {
		g_autofree char *shown =
		    sg_escape_bytes(buf, got, POSTFIX_SIZE_SHOWN);

		postfix_finding(ctx, SG_RULE_CONTAINER_BAD_FIELD, rec->offset,
		    SG_VALUE_NONE, SG_VALUE_NONE,
		    "size record is not 3 to 6 numbers: \"%s\"", shown);
		return TRUE;
	}
	scan->size_ok = TRUE;
	return TRUE;
}

/* Reports a record the reader cannot get past. */
static void
postfix_record_error(PostfixCtx *ctx, SgPostfixRecStatus st,
    const SgPostfixRecord *rec, PostfixSegment seg)
{
	char tn[8];

	postfix_type_name(rec->type, tn);
	switch (st) {
	case SG_POSTFIX_REC_SHORT:
		postfix_finding(ctx, SG_RULE_CONTAINER_RECORD_OVERRUN,
		    rec->offset, SG_VALUE_NONE, ctx->size,
		    "the file ends inside the length of record %s", tn);
		break;
	case SG_POSTFIX_REC_BAD_LEN:
		postfix_finding(ctx, SG_RULE_CONTAINER_BAD_LENGTH, rec->offset,
		    SG_POSTFIX_LEN_BYTES + 1, SG_POSTFIX_LEN_BYTES,
		    "record %s has more than %d length bytes", tn,
		    SG_POSTFIX_LEN_BYTES);
		break;
	case SG_POSTFIX_REC_OVERRUN:
		postfix_finding(ctx, SG_RULE_CONTAINER_RECORD_OVERRUN,
		    rec->offset, (gint64)rec->len, ctx->size - rec->data,
		    "record %s declares %zu data bytes, %" G_GINT64_FORMAT
		    " are left in the %s segment's file",
		    tn, rec->len, (gint64)(ctx->size - rec->data),
		    postfix_segment_names[seg]);
		break;
	default:
		break;
	}
	ctx->fatal = TRUE;
}

/*
 * Takes a checkpoint of the content walk at the record at @off.  The map
 * stays bounded: when it is full every other checkpoint goes and the gap
 * doubles, so a message of any size has at most SG_POSTFIX_MARKS_MAX.
 */
static void
postfix_scan_mark(PostfixScan *scan, goffset off, const SgPostfixJumps *jumps)
{
	SgPostfixMark mark = { scan->content_size, off, *jumps };
	SgPostfixMark *m;
	guint n;

	if (scan->marks->len >= SG_POSTFIX_MARKS_MAX) {
		m = (SgPostfixMark *)(gpointer)scan->marks->data;
		n = 0;
		for (guint i = 0; i < scan->marks->len; i += 2)
			m[n++] = m[i];
		g_array_set_size(scan->marks, n);
		scan->mark_gap *= 2;
	}
	m = (SgPostfixMark *)(gpointer)scan->marks->data;
	n = scan->marks->len;
	if (n > 0 && mark.content < m[n - 1].content + scan->mark_gap) {
		scan->next_mark = m[n - 1].content + scan->mark_gap;
		return;
	}
	g_array_append_val(scan->marks, mark);
	scan->next_mark = mark.content + scan->mark_gap;
}

/*
 * The fast path of the content segment: passes the N and L records from
 * *off that lie whole in the read window (sg_postfix_text_record()) up to
 * the next checkpoint, doing what postfix_scan_records() does for them
 * (both types are allowed in the content segment of either kind).
 */
static void
postfix_scan_text_run(PostfixCtx *ctx, PostfixScan *scan, goffset *off)
{
	goffset o = *off, room = ctx->size - o, content = scan->content_size;
	gsize avail, hdr, len, step;
	const guchar *p = sg_postfix_reader_at(ctx->rd, o, &avail);
	guchar type;

	if (p == NULL)
		return;
	while (content < scan->next_mark &&
	    sg_postfix_text_record(p, avail, room, &type, &hdr, &len)) {
		if ((gint64)len > ctx->rec_max)
			break; /* the checked path counts it */
		step = hdr + len;
		p += step;
		avail -= step;
		room -= (goffset)step;
		o += (goffset)step;
		content += (goffset)len + (type == 'N');
	}
	scan->max_end = MAX(scan->max_end, o);
	scan->content_size = content;
	*off = o;
}

/* Where the walk of the records is. */
typedef struct {
	PostfixSegment seg;
	SgPostfixJumps jumps;
	goffset off; /* the next record */
	gboolean first;
	GHashTable *visited; /* pointer records seen (offsets) */
} PostfixRecWalk;

/* What one step of the walk says: go on, stop (done), or an I/O error. */
typedef enum {
	POSTFIX_STEP_ON,
	POSTFIX_STEP_DONE,
	POSTFIX_STEP_FAIL,
} PostfixStep;

/* Reads the record at w->off into @rec. */
static PostfixStep
postfix_records_read(PostfixCtx *ctx, PostfixScan *scan, PostfixRecWalk *w,
    SgPostfixRecord *rec, GError **error)
{
	SgPostfixRecStatus st;

	if (w->seg == POSTFIX_SEG_CONTENT)
		postfix_scan_text_run(ctx, scan, &w->off);
	st = sg_postfix_record_read(ctx->rd, ctx->size, w->off, rec);
	if (st == SG_POSTFIX_REC_IO) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: read error at offset %" G_GINT64_FORMAT, ctx->msg->id,
		    (gint64)w->off);
		return POSTFIX_STEP_FAIL;
	}
	if (st == SG_POSTFIX_REC_EOF) {
		postfix_finding(ctx, SG_RULE_CONTAINER_MISSING_END,
		    MIN(w->off, ctx->size), SG_VALUE_NONE, SG_VALUE_NONE,
		    "no end record: the file ends in the %s segment",
		    postfix_segment_names[w->seg]);
		ctx->fatal = TRUE;
		return POSTFIX_STEP_DONE;
	}
	if (st != SG_POSTFIX_REC_OK) {
		postfix_record_error(ctx, st, rec, w->seg);
		return POSTFIX_STEP_DONE;
	}
	return POSTFIX_STEP_ON;
}

/*
 * pickup(8) reads every record of a maildrop file with rec_get(...,
 * line_length_limit); one longer than that is an "illegal length" error,
 * and pickup removes the file.  Postfix checks the length before the type,
 * and so does this.  Counted here, reported by postfix_report_length().
 */
static void
postfix_records_length(PostfixCtx *ctx, const SgPostfixRecord *rec)
{
	if ((gint64)rec->len <= ctx->rec_max)
		return;
	if (ctx->long_count++ == 0) {
		ctx->long_off = rec->offset;
		ctx->long_len = rec->len;
		ctx->long_type = rec->type;
	}
}

/* One finding per file, at the first record pickup would stop at. */
static void
postfix_report_length(PostfixCtx *ctx)
{
	char tn[8];

	if (ctx->long_count == 0)
		return;
	postfix_type_name(ctx->long_type, tn);
	postfix_finding(ctx, SG_RULE_CONTAINER_POSTFIX_RECORD_LENGTH,
	    ctx->long_off, (gint64)ctx->long_len, ctx->rec_max,
	    "maildrop record %s of %zu data bytes: pickup(8) reads at most "
	    "%" G_GINT64_FORMAT " (line_length_limit) and removes the file; "
	    "%u record%s over it",
	    tn, ctx->long_len, ctx->rec_max, ctx->long_count,
	    ctx->long_count == 1 ? "" : "s");
}

/* The record's type in its segment, and the size record's place. */
static PostfixStep
postfix_records_check_type(PostfixCtx *ctx, PostfixRecWalk *w,
    const SgPostfixRecord *rec)
{
	char tn[8];

	postfix_type_name(rec->type, tn);
	if (!postfix_type_table[ctx->kind][w->seg][rec->type]) {
		postfix_finding(ctx, SG_RULE_CONTAINER_UNKNOWN_RECORD,
		    rec->offset, rec->type, SG_VALUE_NONE,
		    "%srecord type %s is not allowed in the %s%s segment",
		    rec->type == 0 ? "NUL " : "", tn,
		    ctx->kind == POSTFIX_KIND_MAILDROP ? "postdrop " : "",
		    postfix_segment_names[w->seg]);
		ctx->fatal = TRUE;
		return POSTFIX_STEP_DONE;
	}
	if (w->first && ctx->kind == POSTFIX_KIND_QUEUE && rec->type != 'C') {
		postfix_finding(ctx, SG_RULE_CONTAINER_MISSING_RECORD,
		    rec->offset, SG_VALUE_NONE, SG_VALUE_NONE,
		    "the file does not start with a size record (C) but with "
		    "%s",
		    tn);
	} else if (!w->first && rec->type == 'C') {
		postfix_finding(ctx, SG_RULE_CONTAINER_UNKNOWN_RECORD,
		    rec->offset, rec->type, SG_VALUE_NONE,
		    "a second size record (C)");
		ctx->fatal = TRUE;
		return POSTFIX_STEP_DONE;
	}
	w->first = FALSE;
	return POSTFIX_STEP_ON;
}

/* A pointer record: follows it (w->off) unless it is bad or loops. */
static PostfixStep
postfix_records_pointer(PostfixCtx *ctx, PostfixRecWalk *w,
    const SgPostfixRecord *rec, GError **error)
{
	goffset next;

	if (g_hash_table_size(w->visited) < POSTFIX_PTRS_TRACKED) {
		/* The walk is deterministic: reaching the same pointer
		 * twice loops until Postfix's limit. */
		if (g_hash_table_contains(w->visited, &rec->offset)) {
			postfix_finding(ctx, SG_RULE_CONTAINER_POINTER_LOOP,
			    rec->offset, w->jumps.reverse,
			    SG_POSTFIX_REVERSE_JUMPS,
			    "pointer record reached twice: the records loop");
			ctx->fatal = TRUE;
			return POSTFIX_STEP_DONE;
		}
		g_hash_table_add(w->visited,
		    g_memdup2(&rec->offset, sizeof(rec->offset)));
	}
	switch (sg_postfix_follow(ctx->rd, ctx->size, rec, &w->jumps, &next)) {
	case SG_POSTFIX_JUMP_OK:
		w->off = next;
		return POSTFIX_STEP_ON;
	case SG_POSTFIX_JUMP_BAD:
		postfix_finding(ctx, SG_RULE_CONTAINER_BAD_FIELD, rec->offset,
		    SG_VALUE_NONE, ctx->size,
		    "pointer record is malformed or points outside the file");
		break;
	case SG_POSTFIX_JUMP_LOOP:
		postfix_finding(ctx, SG_RULE_CONTAINER_POINTER_LOOP,
		    rec->offset, w->jumps.reverse, SG_POSTFIX_REVERSE_JUMPS,
		    "pointer records loop (more than %d reverse jumps)",
		    SG_POSTFIX_REVERSE_JUMPS);
		break;
	case SG_POSTFIX_JUMP_IO:
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: read error", ctx->msg->id);
		return POSTFIX_STEP_FAIL;
	}
	ctx->fatal = TRUE;
	return POSTFIX_STEP_DONE;
}

/* Any other record, by segment; moves w->off past it. */
static PostfixStep
postfix_records_segment(PostfixCtx *ctx, PostfixScan *scan, PostfixRecWalk *w,
    const SgPostfixRecord *rec, GError **error)
{
	goffset next = rec->data + (goffset)rec->len;

	switch (w->seg) {
	case POSTFIX_SEG_ENVELOPE:
		if (rec->type == 'C') {
			if (!postfix_size_record(ctx, scan, rec, error))
				return POSTFIX_STEP_FAIL;
		} else if (rec->type == 'M') {
			scan->m_off = rec->offset;
			scan->m_end = next;
			w->seg = POSTFIX_SEG_CONTENT;
		} else if (!postfix_envelope_record(ctx, scan, rec, error)) {
			return POSTFIX_STEP_FAIL;
		}
		break;
	case POSTFIX_SEG_CONTENT:
		if ((rec->type == 'N' || rec->type == 'L') &&
		    scan->content_size >= scan->next_mark)
			postfix_scan_mark(scan, rec->offset, &w->jumps);
		if (rec->type == 'N') {
			scan->content_size += (goffset)rec->len + 1;
		} else if (rec->type == 'L') {
			scan->content_size += (goffset)rec->len;
		} else if (rec->type == 'X') {
			scan->x_off = rec->offset;
			w->seg = POSTFIX_SEG_EXTRACTED;
		}
		break;
	case POSTFIX_SEG_EXTRACTED:
		if (rec->type == 'E') {
			scan->e_off = rec->offset;
			scan->e_end = next;
			return POSTFIX_STEP_DONE;
		}
		if (!postfix_envelope_record(ctx, scan, rec, error))
			return POSTFIX_STEP_FAIL;
		break;
	default:
		g_assert_not_reached();
	}
	w->off = next;
	return POSTFIX_STEP_ON;
}

/* Walks the records in Postfix's reading order; FALSE on I/O errors. */
static gboolean
postfix_scan_records(PostfixCtx *ctx, PostfixScan *scan, GError **error)
{
	g_autoptr(GHashTable) visited =
	    g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	PostfixRecWalk w = {
		.seg = POSTFIX_SEG_ENVELOPE,
		.off = 0,
		.first = TRUE,
		.visited = visited,
	};
	PostfixStep step = POSTFIX_STEP_ON;

	postfix_tables_init();
	while (step == POSTFIX_STEP_ON) {
		SgPostfixRecord rec;

		step = postfix_records_read(ctx, scan, &w, &rec, error);
		if (step != POSTFIX_STEP_ON)
			break;
		scan->max_end = MAX(scan->max_end, rec.data + (goffset)rec.len);
		postfix_records_length(ctx, &rec);
		step = postfix_records_check_type(ctx, &w, &rec);
		if (step != POSTFIX_STEP_ON)
			break;
		if (rec.type == 'p')
			step = postfix_records_pointer(ctx, &w, &rec, error);
		else
			step =
			    postfix_records_segment(ctx, scan, &w, &rec, error);
	}
	return step != POSTFIX_STEP_FAIL;
}

/* The promises of the C record, checked against what the walk saw. */
static void
postfix_check_size(PostfixCtx *ctx, PostfixScan *scan)
{
	const gint64 *f = scan->sz.field;
	goffset at = scan->size_off;
	guint64 total = scan->live + scan->done + scan->deleted;

	/* Postfix rejects data_size or data_offset <= 0; any other lie
	 * sends its readers to the wrong bytes. */
	if (f[0] != scan->x_off - scan->m_end) {
		postfix_finding(ctx, SG_RULE_CONTAINER_SIZE_MISMATCH, at, f[0],
		    scan->x_off - scan->m_end,
		    "size record: data_size %" G_GINT64_FORMAT " but the "
		    "content segment holds %" G_GINT64_FORMAT " bytes (X at "
		    "%" G_GINT64_FORMAT ")",
		    f[0], (gint64)(scan->x_off - scan->m_end),
		    (gint64)scan->x_off);
	}
	if (f[1] != scan->m_end) {
		postfix_finding(ctx, SG_RULE_CONTAINER_SIZE_MISMATCH, at, f[1],
		    scan->m_end,
		    "size record: data_offset %" G_GINT64_FORMAT " but the "
		    "content starts at %" G_GINT64_FORMAT " (M at "
		    "%" G_GINT64_FORMAT ")",
		    f[1], (gint64)scan->m_end, (gint64)scan->m_off);
	}
	/* The count is an upper bound once recipients are done. */
	if (f[2] < 0 || (guint64)f[2] < scan->live || (guint64)f[2] > total) {
		postfix_finding(ctx, SG_RULE_CONTAINER_RCPT_COUNT_MISMATCH, at,
		    f[2], (gint64)total,
		    "size record: %" G_GINT64_FORMAT " recipients, the file "
		    "has %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " to do, "
		    "%" G_GUINT64_FORMAT " done, %" G_GUINT64_FORMAT
		    " deleted)",
		    f[2], total, scan->live, scan->done, scan->deleted);
	}
	if (scan->sz.count > 3 &&
	    (f[3] < 0 || (f[3] & ~(gint64)POSTFIX_FLAGS_MASK) != 0)) {
		postfix_finding(ctx, SG_RULE_CONTAINER_BAD_FIELD, at, f[3],
		    POSTFIX_FLAGS_MASK,
		    "size record: qmgr flags 0x%" G_GINT64_MODIFIER "x "
		    "outside the mask 0x%x",
		    f[3], POSTFIX_FLAGS_MASK);
	}
	if (scan->sz.count > 4 && f[4] < 0) {
		postfix_finding(ctx, SG_RULE_CONTAINER_BAD_FIELD, at, f[4], 0,
		    "size record: negative content length %" G_GINT64_FORMAT,
		    f[4]);
	}
	if (scan->sz.count > 5 && f[5] < 0) {
		postfix_finding(ctx, SG_RULE_CONTAINER_BAD_FIELD, at, f[5], 0,
		    "size record: negative send options %" G_GINT64_FORMAT,
		    f[5]);
	}
	{
		g_autofree char *shown =
		    g_strdup_printf("%" G_GINT64_FORMAT " %" G_GINT64_FORMAT
		                    " %" G_GINT64_FORMAT,
		        f[0], f[1], f[2]);

		postfix_prop(ctx->msg, "postfix.size", shown);
	}
}

/*
 * Is [@from, EOF) whole, well-formed records?  A milter edit that is
 * later undone leaves such records behind the end record, reached by no
 * pointer; Postfix never reads them, and they are no damage.  Postdrop
 * files have no edits.
 */
static gboolean
postfix_orphan_records(PostfixCtx *ctx, goffset from)
{
	goffset off = from;

	if (ctx->kind != POSTFIX_KIND_QUEUE)
		return FALSE;
	while (off < ctx->size) {
		SgPostfixRecord rec;
		gboolean known = FALSE;

		if (sg_postfix_record_read(ctx->rd, ctx->size, off, &rec) !=
		    SG_POSTFIX_REC_OK)
			return FALSE;
		for (guint s = 0; s < POSTFIX_SEG_COUNT; s++)
			known |= postfix_type_table[ctx->kind][s][rec.type];
		if (!known)
			return FALSE;
		off = rec.data + (goffset)rec.len;
	}
	return TRUE;
}

gboolean
sg_postfix_read(SgMessage *msg, guint index, gboolean maildrop,
    const SgProfile *profile, GError **error)
{
	SgMessageFile *file = sg_message_file(msg, index);
	PostfixScan scan = { .size_off = -1,
		.m_off = -1,
		.m_end = -1,
		.x_off = -1,
		.e_off = -1,
		.e_end = -1 };
	PostfixCtx ctx = { .msg = msg, .profile = profile, .index = index };
	g_auto(SgPostfixReader) rd = { .fd = -1 };
	g_autoptr(GArray) marks =
	    g_array_new(FALSE, FALSE, sizeof(SgPostfixMark));

	if (file == NULL || file->fd < 0) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: file %u is not open", msg->id, index);
		return FALSE;
	}
	ctx.fd = file->fd;
	sg_postfix_reader_init(&rd, file->fd);
	ctx.rd = &rd;
	ctx.size = file->st.st_size;
	ctx.kind = maildrop ? POSTFIX_KIND_MAILDROP : POSTFIX_KIND_QUEUE;
	ctx.rec_max = maildrop ? sg_spool_pair_hard(profile,
	                             SG_RULE_CONTAINER_POSTFIX_RECORD_LENGTH)
	                       : G_MAXINT64;
	scan.marks = marks;
	scan.mark_gap = SG_POSTFIX_MARK_GAP;
	scan.next_mark = SG_POSTFIX_MARK_GAP;
	postfix_prop(msg, "postfix.kind", maildrop ? "maildrop" : "queue");
	if (!postfix_scan_records(&ctx, &scan, error))
		return FALSE;
	postfix_report_length(&ctx);
	/* The content is offered even when broken: the checks see it too. */
	if (scan.m_end >= 0)
		postfix_set_content(&ctx, scan.m_end, scan.content_size, marks);
	else
		postfix_set_content(&ctx, ctx.size, 0, NULL);
	if (ctx.fatal)
		return TRUE;
	if (!scan.seen_t) {
		postfix_finding(&ctx, SG_RULE_CONTAINER_MISSING_RECORD,
		    scan.m_off, SG_VALUE_NONE, SG_VALUE_NONE,
		    "no arrival time record (T) before the content");
	}
	if (!scan.seen_s) {
		postfix_finding(&ctx, SG_RULE_CONTAINER_MISSING_RECORD,
		    scan.m_off, SG_VALUE_NONE, SG_VALUE_NONE,
		    "no sender record (S)");
	}
	if (scan.size_ok)
		postfix_check_size(&ctx, &scan);
	if (scan.e_end < ctx.size && scan.max_end < ctx.size &&
	    !postfix_orphan_records(&ctx, scan.max_end)) {
		postfix_finding(&ctx, SG_RULE_CONTAINER_TRAILING_DATA,
		    scan.max_end, ctx.size - scan.max_end, 0,
		    "%" G_GINT64_FORMAT " bytes after the end record that no "
		    "pointer reaches",
		    (gint64)(ctx.size - scan.max_end));
	}
	return TRUE;
}

/* ---- layout ---------------------------------------------------------- */

static gboolean
postfix_is_dir_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode);
}

/* A queue root: incoming, active, deferred and hold all present. */
static gboolean
postfix_is_root(int dirfd)
{
	static const char *const needed[] = { "incoming", "active", "deferred",
		"hold" };

	for (guint i = 0; i < G_N_ELEMENTS(needed); i++) {
		if (!postfix_is_dir_at(dirfd, needed[i]))
			return FALSE;
	}
	return TRUE;
}

/* Is @path a queue subdirectory (deferred/, hold/, ...) of a root? */
static gboolean
postfix_is_queue_dir(int dirfd, const char *path)
{
	g_autofree char *base = g_path_get_basename(path);
	int parent;
	gboolean ok;

	if (!postfix_is_queue_name(base))
		return FALSE;
	parent = openat(dirfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return FALSE;
	ok = postfix_is_root(parent);
	close(parent);
	return ok;
}

static gboolean
postfix_detect(int dirfd, const char *path)
{
	return postfix_is_root(dirfd) || postfix_is_queue_dir(dirfd, path);
}

/* ---- walking --------------------------------------------------------- */

typedef struct {
	const char *root;
	const char *queue;
	const SgWalkOptions *opts;
	SgWalkStats *stats;
	SgWalkFunc func;
	gpointer user_data;
	gboolean stopped;
} PostfixWalk;

static gboolean
postfix_hash_name(const char *name)
{
	return name[0] != '\0' && name[1] == '\0' && g_ascii_isxdigit(name[0]);
}

/* Walks one queue directory (and its hash levels), streaming entries. */
static void
postfix_walk_dir(PostfixWalk *w, int dirfd, const char *dirpath, guint depth)
{
	DIR *dir;
	struct dirent *de;
	int fd = dup(dirfd);

	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		g_atomic_int_inc(&w->stats->errors);
		g_warning("%s: cannot list: %s", dirpath, g_strerror(errno));
		return;
	}
	while (!w->stopped && (de = readdir(dir)) != NULL) {
		const char *name = de->d_name;
		unsigned char type = de->d_type;
		g_autofree char *path = NULL;
		SgMessage *msg;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (type == DT_UNKNOWN) {
			struct stat st;

			if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			type = S_ISDIR(st.st_mode) ? DT_DIR
			    : S_ISREG(st.st_mode)  ? DT_REG
			    : S_ISLNK(st.st_mode)  ? DT_LNK
			                           : DT_UNKNOWN;
		}
		if (type == DT_DIR) {
			int sub;

			if (depth >= POSTFIX_HASH_DEPTH ||
			    !postfix_hash_name(name)) {
				g_atomic_int_inc(&w->stats->skipped);
				continue;
			}
			path = g_build_filename(dirpath, name, NULL);
			if (w->opts != NULL && w->opts->exclude != NULL &&
			    strcmp(path, w->opts->exclude) == 0)
				continue;
			sub = openat(dirfd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				g_atomic_int_inc(&w->stats->errors);
				continue;
			}
			postfix_walk_dir(w, sub, path, depth + 1);
			close(sub);
			continue;
		}
		if (type != DT_REG) {
			/* symlinks, sockets, fifos: never followed */
			g_atomic_int_inc(&w->stats->skipped);
			continue;
		}
		if (!sg_spool_valid_queue_id(name, strlen(name))) {
			g_atomic_int_inc(&w->stats->skipped);
			g_debug("%s: not a queue id, skipped", dirpath);
			continue;
		}
		path = g_build_filename(dirpath, name, NULL);
		msg = sg_message_new(&sg_spool_postfix_ops, "postfix", path);
		msg->spool_root = g_strdup(w->root);
		msg->queue_name = g_strdup(w->queue);
		msg->queue_id = g_strdup(name);
		sg_message_add_file(msg, path, "message");
		g_atomic_int_inc(&w->stats->seen);
		if (!w->func(msg, w->user_data))
			w->stopped = TRUE;
	}
	closedir(dir);
}

static gboolean
postfix_walk(const char *path, const SgWalkOptions *opts, SgWalkStats *stats,
    SgWalkFunc func, gpointer user_data, GError **error)
{
	g_autofree char *real = realpath(path, NULL);
	g_autofree char *root = NULL;
	const char *only = NULL;
	PostfixWalk w = { .opts = opts,
		.stats = stats,
		.func = func,
		.user_data = user_data };
	int rootfd;

	if (real == NULL) {
		g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_IO, "%s: %s",
		    path, g_strerror(errno));
		return FALSE;
	}
	rootfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_IO, "%s: %s",
		    path, g_strerror(errno));
		return FALSE;
	}
	if (postfix_is_root(rootfd)) {
		root = g_steal_pointer(&real);
	} else if (postfix_is_queue_dir(rootfd, real)) {
		only = strrchr(real, '/') + 1;
		root = g_path_get_dirname(real);
		close(rootfd);
		rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0) {
			g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_IO,
			    "%s: %s", root, g_strerror(errno));
			return FALSE;
		}
	} else {
		close(rootfd);
		g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_LAYOUT,
		    "%s: not a Postfix queue directory", path);
		return FALSE;
	}
	w.root = root;
	for (guint i = 0; postfix_queues[i] != NULL && !w.stopped; i++) {
		g_autofree char *qpath = NULL;
		int qfd;

		if (only != NULL && strcmp(only, postfix_queues[i]) != 0)
			continue;
		qpath = g_build_filename(root, postfix_queues[i], NULL);
		if (opts != NULL && opts->exclude != NULL &&
		    strcmp(qpath, opts->exclude) == 0)
			continue;
		qfd = openat(rootfd, postfix_queues[i],
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (qfd < 0) {
			/* maildrop/ and corrupt/ may be missing, or 0730 */
			if (errno != ENOENT)
				g_atomic_int_inc(&stats->errors);
			continue;
		}
		w.queue = postfix_queues[i];
		postfix_walk_dir(&w, qfd, qpath, 0);
		close(qfd);
	}
	close(rootfd);
	return TRUE;
}

/* ---- opening --------------------------------------------------------- */

/*
 * Postfix's own test (mail_open_ok(), postsuper's READY_MESSAGE): a queue
 * file is finished when its owner bits are exactly rwx.  cleanup writes
 * incoming/ files 0600 and postdrop writes maildrop/ files 0644, and each
 * adds S_IXUSR (fchmod, then fsync) once the last record is written;
 * mark_corrupt() leaves a file 0400.  Whatever the file's age.
 */
static gboolean
postfix_ready(const struct stat *st)
{
	return (st->st_mode & S_IRWXU) == S_IRWXU;
}

/* YOUNG for a file Postfix has not marked ready; notes a stale one. */
static gboolean
postfix_check_ready(SgMessage *msg, const SgMessageFile *file, gint64 now,
    GError **error)
{
	gint64 idle;

	if (postfix_ready(&file->st))
		return TRUE;
	idle = now - (gint64)file->st.st_mtime;
	if (idle > POSTFIX_STALE_SECONDS) {
		/* Postfix's business: postsuper -p (run by postfix start
		 * and reload) removes it now.  Reported. */
		postfix_prop(msg, "stale-in-progress", "yes");
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG,
		    "%s: mode %04o, not marked ready by Postfix for "
		    "%" G_GINT64_FORMAT
		    " hours; left to Postfix (postsuper -p, run by postfix "
		    "start and reload, removes such a file after a day)",
		    file->path, (unsigned int)(file->st.st_mode & 07777),
		    idle / 3600);
		return FALSE;
	}
	g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG,
	    "%s: mode %04o, not marked ready by Postfix (no owner execute "
	    "bit): still being written",
	    file->path, (unsigned int)(file->st.st_mode & 07777));
	return FALSE;
}

/*
 * Reads without a lock, as showq and postcat do: a lock of ours, even a
 * shared one, would make qmgr's exclusive non-blocking lock fail (and
 * delay the message by a minute), and an exclusive one would make a
 * delivery agent's shared lock fail, which is fatal to it.  The lock for
 * moving is taken by postfix_prepare_move().
 */
static gboolean
postfix_open(SgMessage *msg, const SgProfile *profile,
    const SgWalkOptions *opts, GError **error)
{
	SgMessageFile *file;
	gint64 now;
	gboolean maildrop;
	gboolean corrupt =
	    msg->queue_name != NULL && strcmp(msg->queue_name, "corrupt") == 0;

	if (!sg_message_open_file(msg, 0, error))
		return FALSE;
	file = sg_message_file(msg, 0);
	now = opts != NULL && opts->now > 0
	    ? opts->now
	    : g_get_real_time() / G_USEC_PER_SEC;
	/* corrupt/ holds what Postfix set aside (often 0400): reported. */
	if ((opts == NULL || !opts->read_only) && !corrupt &&
	    !postfix_check_ready(msg, file, now, error))
		return FALSE;
	if (opts != NULL && opts->min_age > 0 &&
	    now - (gint64)file->st.st_ctime < opts->min_age) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG,
		    "%s: changed %" G_GINT64_FORMAT " s ago, younger than "
		    "%" G_GINT64_FORMAT " s",
		    file->path, now - (gint64)file->st.st_ctime, opts->min_age);
		return FALSE;
	}
	if (file->st.st_nlink == 0) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED,
		    "%s: vanished", file->path);
		return FALSE;
	}
	if (msg->queue_name != NULL) {
		maildrop = strcmp(msg->queue_name, "maildrop") == 0;
		if (corrupt && (opts == NULL || !opts->include_corrupt))
			msg->no_move = TRUE;
		msg->on_hold = strcmp(msg->queue_name, "hold") == 0;
	} else {
		/* Outside a queue: postdrop files start with T, not C. */
		char first = 0;

		maildrop = file->st.st_size > 0 &&
		    sg_postfix_pread(file->fd, &first, 1, 0) && first == 'T';
	}
	if (msg->queue_name != NULL)
		postfix_prop(msg, "postfix.queue", msg->queue_name);
	return sg_postfix_read(msg, 0, maildrop, profile, error);
}

/*
 * Before a move: qmgr's lock (flock, exclusive, non-blocking; delivery
 * agents hold a shared one), then the checks that the name still leads to
 * the file that was read and that it is still marked ready.
 */
static gboolean
postfix_prepare_move(SgMessage *msg, GError **error)
{
	SgMessageFile *file = sg_message_file(msg, 0);
	struct stat now_st;

	if (file == NULL || file->fd < 0) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: not open", msg->id);
		return FALSE;
	}
	if (!sg_spool_flock(file->fd, file->path, error))
		return FALSE;
	/* Under the lock: renamed (incoming -> active) or delivered and
	 * removed since it was opened? */
	if (fstat(file->fd, &now_st) != 0 || now_st.st_nlink == 0 ||
	    lstat(file->path, &now_st) != 0 ||
	    now_st.st_ino != file->st.st_ino ||
	    now_st.st_dev != file->st.st_dev) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED,
		    "%s: vanished", file->path);
		return FALSE;
	}
	if ((msg->queue_name == NULL ||
	        strcmp(msg->queue_name, "corrupt") != 0) &&
	    !postfix_ready(&now_st)) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY,
		    "%s: no longer marked ready (mode %04o)", file->path,
		    (unsigned int)(now_st.st_mode & 07777));
		return FALSE;
	}
	return TRUE;
}

SgMessage *
sg_postfix_message_for_file(const char *path)
{
	g_autofree char *real = realpath(path, NULL);
	g_autofree char *dir = NULL;
	g_autofree char *name = NULL;
	SgMessage *msg;

	if (real == NULL)
		return NULL;
	name = g_path_get_basename(real);
	dir = g_path_get_dirname(real);
	if (!sg_spool_valid_queue_id(name, strlen(name)))
		return NULL;
	/* the queue directory, above at most POSTFIX_HASH_DEPTH levels */
	for (guint depth = 0; depth <= POSTFIX_HASH_DEPTH; depth++) {
		g_autofree char *base = g_path_get_basename(dir);
		g_autofree char *root = NULL;
		char *up;
		int fd;
		gboolean ok;

		if (postfix_is_queue_name(base)) {
			root = g_path_get_dirname(dir);
			fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			ok = fd >= 0 && postfix_is_root(fd);
			if (fd >= 0)
				close(fd);
			if (ok) {
				msg = sg_message_new(&sg_spool_postfix_ops,
				    "postfix", real);
				msg->spool_root = g_steal_pointer(&root);
				msg->queue_name = g_steal_pointer(&base);
				msg->queue_id = g_steal_pointer(&name);
				sg_message_add_file(msg, real, "message");
				return msg;
			}
		}
		if (!postfix_hash_name(base))
			break;
		up = g_path_get_dirname(dir);
		g_free(dir);
		dir = up;
	}
	return NULL;
}

/* ---- hold and release ------------------------------------------------ */

/* Like `postsuper -h`: rename into hold/ on the same file system. */
static gboolean
postfix_hold(SgMessage *msg, GError **error)
{
	SgMessageFile *file = sg_message_file(msg, 0);
	g_autofree char *dest = NULL;
	struct stat st;

	if (file == NULL || msg->spool_root == NULL ||
	    msg->queue_name == NULL || msg->queue_id == NULL) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: not in a Postfix queue", msg->id);
		return FALSE;
	}
	if (strcmp(msg->queue_name, "hold") == 0)
		return TRUE;
	if (strcmp(msg->queue_name, "maildrop") == 0 ||
	    strcmp(msg->queue_name, "corrupt") == 0) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: a file in %s/ cannot be put on hold", msg->id,
		    msg->queue_name);
		return FALSE;
	}
	if (!sg_spool_valid_queue_id(msg->queue_id, strlen(msg->queue_id))) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: invalid queue id", msg->id);
		return FALSE;
	}
	dest = g_build_filename(msg->spool_root, "hold", msg->queue_id, NULL);
	if (lstat(dest, &st) == 0) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: %s exists already", msg->id, dest);
		return FALSE;
	}
	if (rename(file->path, dest) != 0) {
		int saved = errno;

		g_set_error(error, SG_CORE_ERROR,
		    saved == ENOENT ? SG_CORE_ERROR_VANISHED : SG_CORE_ERROR_IO,
		    "%s: cannot move to %s: %s", file->path, dest,
		    g_strerror(saved));
		return FALSE;
	}
	g_free(file->path);
	file->path = g_steal_pointer(&dest);
	g_free(msg->queue_name);
	msg->queue_name = g_strdup("hold");
	return TRUE;
}

/*
 * Released messages go to hold/ (the admin runs `postsuper -H`); postdrop
 * files go back to maildrop/ and corrupt ones to corrupt/, the only queues
 * that read their format as it is.
 */
static char *
postfix_release_dir(const char *spool_root, const char *queue_name,
    const char *file_name)
{
	const char *queue = "hold";

	(void)file_name;
	if (queue_name != NULL &&
	    (strcmp(queue_name, "maildrop") == 0 ||
	        strcmp(queue_name, "corrupt") == 0))
		queue = queue_name;
	return g_build_filename(spool_root, queue, NULL);
}

const SgSpoolOps sg_spool_postfix_ops = {
	.name = "postfix",
	.detect = postfix_detect,
	.walk = postfix_walk,
	.open = postfix_open,
	.hold = postfix_hold,
	.prepare_move = postfix_prepare_move,
	.release_dir = postfix_release_dir,
	.message_for_file = sg_postfix_message_for_file,
};
