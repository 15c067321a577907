// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spool-postfix-stream.c - the Postfix record reader and a GMime stream
 * that yields a queue file's message text without copying it.
 *
 * A record is a type byte, a length of at most 4 base-128 bytes (low
 * bits first) and that many data bytes; every length is checked against
 * the bytes left in the file before anything is read.  Reads go through
 * a 64 KiB window (SgPostfixReader), one pread() per window rather than
 * per record.  The stream walks the content segment: N records give a line
 * plus "\n", L records a chunk of a line that the next record continues, w
 * records are padding, p records are followed under Postfix's reverse-jump
 * limit, and any other record ends the text.  It keeps a cursor (record,
 * bytes left, owed newline, jump state).  Whole N and L records that lie in
 * the window are copied by a fast path with no call per record
 * (sg_postfix_text_record()); every other record takes the checked path.
 *
 * The record map: the scan in spool-postfix.c takes a checkpoint (content
 * offset, record offset, jump state) at a record boundary every
 * SG_POSTFIX_MARK_GAP content bytes, at most SG_POSTFIX_MARKS_MAX of them
 * (thinned by halves past that, so memory is bounded whatever the size).
 * The map is a refcounted GArray shared by the stream and every substream
 * made from it; a seek either way jumps to the last checkpoint at or before
 * the target and walks forward only from there.  Substreams are bounded
 * views that walk the same records through the same read window (a
 * refcounted box), so GMime's substream per MIME part costs no window of
 * its own.  The descriptor is borrowed from the SgMessage.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "spoolguard/autocleanups.h"
#include "spoolguard/core.h"
#include "spoolguard/stream.h"

#include "spool-postfix.h"

gboolean
sg_postfix_pread(int fd, void *buf, gsize len, goffset off)
{
	return sg_pread_full(fd, buf, len, off) == (gssize)len;
}

void
sg_postfix_reader_init(SgPostfixReader *r, int fd)
{
	r->fd = fd;
	r->buf = NULL;
	r->base = 0;
	r->len = 0;
}

void
sg_postfix_reader_clear(SgPostfixReader *r)
{
	g_clear_pointer(&r->buf, g_free);
	r->len = 0;
}

gboolean
sg_postfix_reader_read(SgPostfixReader *r, void *buf, gsize len, goffset off)
{
	gssize got;

	if (len == 0)
		return TRUE;
	if (off < 0)
		return FALSE;
	if (r->buf != NULL && off >= r->base &&
	    (guint64)(off - r->base) <= r->len &&
	    len <= r->len - (gsize)(off - r->base)) {
		memcpy(buf, r->buf + (off - r->base), len);
		return TRUE;
	}
	if (len > SG_POSTFIX_WINDOW || r->fd < 0)
		return sg_postfix_pread(r->fd, buf, len, off);
	if (r->buf == NULL)
		r->buf = g_malloc(SG_POSTFIX_WINDOW);
	/* Refill the window at @off; a short file ends it early. */
	r->len = 0;
	r->base = off;
	got = sg_pread_full(r->fd, r->buf, SG_POSTFIX_WINDOW, off);
	if (got < 0)
		return FALSE;
	r->len = (gsize)got;
	if (len > r->len)
		return FALSE;
	memcpy(buf, r->buf, len);
	return TRUE;
}

/* The window's bytes [off, off + len) in place, or NULL when it lacks any. */
static inline const guchar *
postfix_reader_peek(const SgPostfixReader *r, goffset off, gsize len)
{
	if (r->buf == NULL || off < r->base ||
	    (guint64)(off - r->base) > r->len ||
	    len > r->len - (gsize)(off - r->base))
		return NULL;
	return (const guchar *)r->buf + (off - r->base);
}

/*
 * (len, off) in place in the window when it holds them, else copied to
 * @tmp; NULL on a read error.
 */
static inline const guchar *
postfix_reader_span(SgPostfixReader *r, guchar *tmp, gsize len, goffset off)
{
	const guchar *p = postfix_reader_peek(r, off, len);

	if (p != NULL)
		return p;
	if (!sg_postfix_reader_read(r, tmp, len, off))
		return NULL;
	return tmp;
}

/*
 * sg_postfix_record_read(), inlined into the stream's walk: one call per
 * record is a good part of the walk's cost.
 */
static inline SgPostfixRecStatus
postfix_record_parse(SgPostfixReader *r, goffset size, goffset off,
    SgPostfixRecord *rec)
{
	guchar tmp[1 + SG_POSTFIX_LEN_BYTES + 1];
	const guchar *hdr;
	gsize want, len = 0;
	guint i;

	rec->type = 0;
	rec->offset = off;
	rec->data = 0;
	rec->len = 0;
	if (off < 0 || off >= size)
		return SG_POSTFIX_REC_EOF;
	want = (gsize)MIN((goffset)sizeof(tmp), size - off);
	hdr = postfix_reader_span(r, tmp, want, off);
	if (hdr == NULL)
		return SG_POSTFIX_REC_IO;
	rec->type = hdr[0];
	for (i = 0;; i++) {
		guchar b;

		if (i == SG_POSTFIX_LEN_BYTES)
			return SG_POSTFIX_REC_BAD_LEN;
		if (1 + i >= want)
			return SG_POSTFIX_REC_SHORT;
		b = hdr[1 + i];
		len |= (gsize)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0)
			break;
	}
	rec->data = off + 1 + i + 1;
	rec->len = len;
	if ((goffset)len > size - rec->data)
		return SG_POSTFIX_REC_OVERRUN;
	return SG_POSTFIX_REC_OK;
}

SgPostfixRecStatus
sg_postfix_record_read(SgPostfixReader *r, goffset size, goffset off,
    SgPostfixRecord *rec)
{
	return postfix_record_parse(r, size, off, rec);
}

SgPostfixJumpStatus
sg_postfix_follow(SgPostfixReader *r, goffset size, const SgPostfixRecord *rec,
    SgPostfixJumps *jumps, goffset *next)
{
	char buf[SG_POSTFIX_PTR_MAX];
	gint64 target;

	if (rec->len == 0 || rec->len > sizeof(buf))
		return SG_POSTFIX_JUMP_BAD;
	if (!sg_postfix_reader_read(r, buf, rec->len, rec->data))
		return SG_POSTFIX_JUMP_IO;
	if (!sg_parse_i64(buf, rec->len, &target) || target < 0 ||
	    target >= size)
		return SG_POSTFIX_JUMP_BAD;
	if (target == 0) {
		/* Postfix: a dummy pointer, reserved space. */
		*next = rec->data + (goffset)rec->len;
		return SG_POSTFIX_JUMP_OK;
	}
	if (target <= jumps->saved &&
	    ++jumps->reverse > SG_POSTFIX_REVERSE_JUMPS)
		return SG_POSTFIX_JUMP_LOOP;
	/* A jump onto itself can never end. */
	if (target == rec->offset)
		return SG_POSTFIX_JUMP_LOOP;
	jumps->saved = target;
	*next = target;
	return SG_POSTFIX_JUMP_OK;
}

/* ---- the content stream -------------------------------------------- */

#define SG_TYPE_POSTFIX_STREAM (sg_postfix_stream_get_type())
G_DECLARE_FINAL_TYPE(SgPostfixStream, sg_postfix_stream, SG, POSTFIX_STREAM,
    SgStreamBounded)

struct _SgPostfixStream {
	SgStreamBounded parent;
	int fd;
	SgPostfixReader *reader; /* the read window, shared (GAtomicRcBox) */
	goffset file_size;
	goffset data_offset;
	/* Cursor: content offset stream->position sits at. */
	goffset rec_next;   /* next record to read */
	goffset chunk_off;  /* file offset of the current record's rest */
	goffset chunk_left; /* its bytes left */
	gboolean newline;   /* an N record's "\n" is owed */
	gboolean done;      /* no more content records */
	SgPostfixJumps jumps;
	GArray *marks; /* (nullable) SgPostfixMark, shared */
};

G_DEFINE_TYPE(SgPostfixStream, sg_postfix_stream, SG_TYPE_STREAM_BOUNDED)

static void
postfix_stream_rewind(SgPostfixStream *self)
{
	self->rec_next = self->data_offset;
	self->chunk_off = self->data_offset;
	self->chunk_left = 0;
	self->newline = FALSE;
	self->done = self->fd < 0;
	self->jumps.saved = 0;
	self->jumps.reverse = 0;
	GMIME_STREAM(self)->position = 0;
}

/* Loads the next content record into the cursor; FALSE at the end. */
static gboolean
postfix_stream_next(SgPostfixStream *self)
{
	SgPostfixRecord rec;
	goffset next;

	while (!self->done) {
		if (postfix_record_parse(self->reader, self->file_size,
		        self->rec_next, &rec) != SG_POSTFIX_REC_OK) {
			self->done = TRUE;
			break;
		}
		switch (rec.type) {
		case 'N':
		case 'L':
			self->chunk_off = rec.data;
			self->chunk_left = (goffset)rec.len;
			self->newline = rec.type == 'N';
			self->rec_next = rec.data + (goffset)rec.len;
			return TRUE;
		case 'w':
			self->rec_next = rec.data + (goffset)rec.len;
			break;
		case 'p':
			if (sg_postfix_follow(self->reader, self->file_size,
			        &rec, &self->jumps,
			        &next) != SG_POSTFIX_JUMP_OK)
				self->done = TRUE;
			else
				self->rec_next = next;
			break;
		default: /* X or anything else ends the text */
			self->done = TRUE;
			break;
		}
	}
	return FALSE;
}

/*
 * The fast path of the walk: passes whole N and L records that lie in the
 * read window, with no call per record.  Only records that
 * postfix_stream_next() would accept as they are qualify (header of at
 * most SG_POSTFIX_LEN_BYTES length bytes, data inside the file); anything
 * else, and a record that does not fit in @want, is left to the general
 * path.  The cursor must be between records.  Returns the new @got.
 */
static gsize
postfix_stream_run(SgPostfixStream *self, char *buf, gsize got, gsize want)
{
	goffset off = self->rec_next, room = self->file_size - off;
	gsize avail, hdr, len, nl, step;
	const guchar *p = sg_postfix_reader_at(self->reader, off, &avail);
	guchar type;

	if (p == NULL)
		return got;
	while (got < want &&
	    sg_postfix_text_record(p, avail, room, &type, &hdr, &len)) {
		nl = type == 'N';
		if (len + nl > want - got)
			break;
		if (buf != NULL) {
			memcpy(buf + got, p + hdr, len);
			if (nl)
				buf[got + len] = '\n';
		}
		got += len + nl;
		step = hdr + len;
		p += step;
		avail -= step;
		room -= (goffset)step;
		off += (goffset)step;
	}
	self->rec_next = off;
	return got;
}

/*
 * Moves the cursor forward by up to @want bytes, copying them into @buf
 * when it is not NULL.  Returns the bytes passed, or -1 on a read error.
 */
static gssize
postfix_stream_advance(SgPostfixStream *self, char *buf, gsize want)
{
	gsize got = 0;

	while (got < want) {
		if (self->chunk_left > 0) {
			gsize n =
			    (gsize)MIN((goffset)(want - got), self->chunk_left);
			const guchar *p = buf != NULL
			    ? postfix_reader_peek(self->reader, self->chunk_off,
			          n)
			    : NULL;

			if (p != NULL) {
				memcpy(buf + got, p, n);
			} else if (buf != NULL &&
			    !sg_postfix_reader_read(self->reader, buf + got, n,
			        self->chunk_off)) {
				self->done = TRUE;
				self->chunk_left = 0;
				self->newline = FALSE;
				return got > 0 ? (gssize)got : -1;
			}
			self->chunk_off += (goffset)n;
			self->chunk_left -= (goffset)n;
			got += n;
			continue;
		}
		if (self->newline) {
			if (buf != NULL)
				buf[got] = '\n';
			self->newline = FALSE;
			got++;
			continue;
		}
		if (!self->done) {
			got = postfix_stream_run(self, buf, got, want);
			if (got == want)
				break;
		}
		if (!postfix_stream_next(self))
			break;
	}
	GMIME_STREAM(self)->position += (gint64)got;
	return (gssize)got;
}

/* The last checkpoint at or before @pos, or NULL. */
static const SgPostfixMark *
postfix_stream_mark(SgPostfixStream *self, gint64 pos)
{
	const SgPostfixMark *marks;
	guint lo = 0, hi;

	if (self->marks == NULL || self->marks->len == 0)
		return NULL;
	marks = (const SgPostfixMark *)(gpointer)self->marks->data;
	hi = self->marks->len;
	if (marks[0].content > pos)
		return NULL;
	while (hi - lo > 1) {
		guint mid = lo + (hi - lo) / 2;

		if (marks[mid].content <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return &marks[lo];
}

/* Puts the cursor at content offset @pos; FALSE when the text is shorter. */
static gboolean
postfix_stream_goto(SgPostfixStream *self, gint64 pos)
{
	const SgPostfixMark *mark = postfix_stream_mark(self, pos);
	gint64 left;

	if (pos < GMIME_STREAM(self)->position)
		postfix_stream_rewind(self);
	/* Jump to a checkpoint when it is ahead of the cursor. */
	if (mark != NULL && mark->content > GMIME_STREAM(self)->position &&
	    self->fd >= 0) {
		self->rec_next = mark->record;
		self->chunk_left = 0;
		self->newline = FALSE;
		self->done = FALSE;
		self->jumps = mark->jumps;
		GMIME_STREAM(self)->position = mark->content;
	}
	left = pos - GMIME_STREAM(self)->position;
	while (left > 0) {
		gssize n = postfix_stream_advance(self, NULL,
		    (gsize)MIN(left, (gint64)G_MAXSSIZE));

		if (n <= 0)
			return FALSE;
		left -= n;
	}
	return TRUE;
}

static ssize_t
postfix_stream_read_at(SgStreamBounded *bounded, char *buf, size_t len)
{
	return postfix_stream_advance(SG_POSTFIX_STREAM(bounded), buf, len);
}

static gboolean
postfix_stream_seek_to(SgStreamBounded *bounded, gint64 pos)
{
	return postfix_stream_goto(SG_POSTFIX_STREAM(bounded), pos);
}

static gboolean
postfix_stream_at_end(SgStreamBounded *bounded)
{
	SgPostfixStream *self = SG_POSTFIX_STREAM(bounded);

	if (self->chunk_left > 0 || self->newline)
		return FALSE;
	if (self->done)
		return TRUE;
	return !postfix_stream_next(self);
}

static int
postfix_stream_close(GMimeStream *stream)
{
	SgPostfixStream *self = SG_POSTFIX_STREAM(stream);

	/* The window stays: substreams may still read through it. */
	self->fd = -1;
	self->done = TRUE;
	self->chunk_left = 0;
	self->newline = FALSE;
	return 0;
}

/* @reader (nullable) is the window of the stream @self is a substream of. */
static SgPostfixStream *
postfix_stream_make(int fd, SgPostfixReader *reader, goffset file_size,
    goffset data_offset, GArray *marks, gint64 start, gint64 end)
{
	SgPostfixStream *self = g_object_new(SG_TYPE_POSTFIX_STREAM, NULL);

	self->fd = fd;
	if (reader != NULL) {
		self->reader = g_atomic_rc_box_acquire(reader);
	} else {
		self->reader = g_atomic_rc_box_new0(SgPostfixReader);
		sg_postfix_reader_init(self->reader, fd);
	}
	self->marks = marks != NULL ? g_array_ref(marks) : NULL;
	self->file_size = file_size;
	self->data_offset = data_offset;
	if (end != -1 && end < start)
		end = start;
	g_mime_stream_construct(GMIME_STREAM(self), start, end);
	postfix_stream_rewind(self);
	/* A start past the text leaves the cursor at the text's end. */
	(void)postfix_stream_goto(self, start);
	GMIME_STREAM(self)->position = start;
	return self;
}

static GMimeStream *
postfix_stream_substream(GMimeStream *stream, gint64 start, gint64 end)
{
	SgPostfixStream *self = SG_POSTFIX_STREAM(stream);

	return GMIME_STREAM(postfix_stream_make(self->fd, self->reader,
	    self->file_size, self->data_offset, self->marks, start, end));
}

static void
postfix_stream_finalize(GObject *object)
{
	SgPostfixStream *self = SG_POSTFIX_STREAM(object);

	g_clear_pointer(&self->marks, g_array_unref);
	if (self->reader != NULL)
		g_atomic_rc_box_release_full(self->reader,
		    (GDestroyNotify)sg_postfix_reader_clear);
	G_OBJECT_CLASS(sg_postfix_stream_parent_class)->finalize(object);
}

static void
sg_postfix_stream_class_init(SgPostfixStreamClass *klass)
{
	GMimeStreamClass *stream_class = GMIME_STREAM_CLASS(klass);
	SgStreamBoundedClass *bounded_class = SG_STREAM_BOUNDED_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = postfix_stream_finalize;
	stream_class->close = postfix_stream_close;
	stream_class->substream = postfix_stream_substream;
	bounded_class->read_at = postfix_stream_read_at;
	bounded_class->seek_to = postfix_stream_seek_to;
	bounded_class->at_end = postfix_stream_at_end;
	bounded_class->seek_set_from_start = TRUE;
}

static void
sg_postfix_stream_init(SgPostfixStream *self)
{
	self->fd = -1;
	self->done = TRUE;
}

GMimeStream *
sg_postfix_stream_new(int fd, goffset file_size, goffset data_offset,
    goffset content_size, GArray *marks)
{
	return GMIME_STREAM(postfix_stream_make(fd, NULL, file_size,
	    data_offset, marks, 0, content_size < 0 ? -1 : content_size));
}

gboolean
sg_postfix_stream_locate(int fd, goffset file_size, goffset data_offset,
    GArray *marks, goffset content_offset, goffset *file_offset)
{
	g_autoptr(GMimeStream) stream = NULL;
	SgPostfixStream *self;

	stream = GMIME_STREAM(postfix_stream_make(fd, NULL, file_size,
	    data_offset, marks, 0, -1));
	self = SG_POSTFIX_STREAM(stream);
	if (!postfix_stream_goto(self, content_offset))
		return FALSE;
	if (self->chunk_left > 0 || self->newline)
		*file_offset = self->chunk_off;
	else if (postfix_stream_next(self))
		*file_offset = self->chunk_off;
	else
		*file_offset = self->rec_next;
	return TRUE;
}
