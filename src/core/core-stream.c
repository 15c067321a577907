// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core-stream.c - SgStreamPread: a GMime stream over a byte range of a
 * descriptor, read with pread(), optionally behind bytes held in memory.
 *
 * Position is kept in the stream, never in the descriptor, so substreams
 * (a persisting GMime parser makes one per part) and concurrent readers
 * share one descriptor safely.  A spliced stream serves its positions
 * below the length of a head (GBytes, shared by reference with its
 * substreams) from memory and the rest from the descriptor, shifted: the
 * two-file spools (Exim's -H header records before -D's body) read as one
 * message, and a part's substream keeps its position in the whole, as
 * GMimeStreamCat's substreams do not.  Read-only: write fails.  The
 * descriptor is borrowed; its owner outlives the stream.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spoolguard/core.h"
#include "spoolguard/stream.h"

/* ---- SgStreamBounded: the shared vfuncs ------------------------------ */

G_DEFINE_ABSTRACT_TYPE(SgStreamBounded, sg_stream_bounded, GMIME_TYPE_STREAM)

static ssize_t
bounded_read(GMimeStream *stream, char *buf, size_t len)
{
	SgStreamBoundedClass *klass = SG_STREAM_BOUNDED_GET_CLASS(stream);

	if (stream->bound_end != -1) {
		if (stream->position >= stream->bound_end)
			return 0;
		if ((gint64)len > stream->bound_end - stream->position)
			len = (size_t)(stream->bound_end - stream->position);
	}
	if (len == 0)
		return 0;
	return klass->read_at(SG_STREAM_BOUNDED(stream), buf, len);
}

static ssize_t
bounded_write(GMimeStream *stream, const char *buf, size_t len)
{
	(void)stream;
	(void)buf;
	(void)len;
	errno = EBADF;
	return -1;
}

static int
bounded_flush(GMimeStream *stream)
{
	(void)stream;
	return 0;
}

static gboolean
bounded_eos(GMimeStream *stream)
{
	SgStreamBoundedClass *klass = SG_STREAM_BOUNDED_GET_CLASS(stream);

	if (stream->bound_end != -1 && stream->position >= stream->bound_end)
		return TRUE;
	return klass->at_end != NULL &&
	    klass->at_end(SG_STREAM_BOUNDED(stream));
}

static gint64
bounded_seek(GMimeStream *stream, gint64 offset, GMimeSeekWhence whence)
{
	SgStreamBoundedClass *klass = SG_STREAM_BOUNDED_GET_CLASS(stream);
	gint64 real;

	switch (whence) {
	case GMIME_STREAM_SEEK_SET:
		real = klass->seek_set_from_start ? stream->bound_start + offset
		                                  : offset;
		break;
	case GMIME_STREAM_SEEK_CUR:
		real = stream->position + offset;
		break;
	case GMIME_STREAM_SEEK_END:
		if (stream->bound_end == -1) {
			errno = EINVAL;
			return -1;
		}
		real = stream->bound_end + offset;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (real < stream->bound_start ||
	    (stream->bound_end != -1 && real > stream->bound_end) ||
	    !klass->seek_to(SG_STREAM_BOUNDED(stream), real)) {
		errno = EINVAL;
		return -1;
	}
	return stream->position;
}

static int
bounded_reset(GMimeStream *stream)
{
	SgStreamBoundedClass *klass = SG_STREAM_BOUNDED_GET_CLASS(stream);

	if (!klass->seek_to(SG_STREAM_BOUNDED(stream), stream->bound_start)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static gint64
bounded_tell(GMimeStream *stream)
{
	return stream->position;
}

static gint64
bounded_length(GMimeStream *stream)
{
	if (stream->bound_end == -1)
		return -1;
	return stream->bound_end - stream->bound_start;
}

static void
sg_stream_bounded_class_init(SgStreamBoundedClass *klass)
{
	GMimeStreamClass *stream_class = GMIME_STREAM_CLASS(klass);

	stream_class->read = bounded_read;
	stream_class->write = bounded_write;
	stream_class->flush = bounded_flush;
	stream_class->eos = bounded_eos;
	stream_class->reset = bounded_reset;
	stream_class->seek = bounded_seek;
	stream_class->tell = bounded_tell;
	stream_class->length = bounded_length;
}

static void
sg_stream_bounded_init(SgStreamBounded *self)
{
	(void)self;
}

/* ---- SgStreamPread -------------------------------------------------- */

struct _SgStreamPread {
	SgStreamBounded parent;
	int fd;          /* -1: no file part (or closed) */
	gboolean closed; /* close() was called */
	GBytes *head;    /* (nullable): positions [0, head_len) */
	gint64 head_len; /* 0 without a head */
	gint64 fd_start; /* file offset of position head_len */
};

G_DEFINE_TYPE(SgStreamPread, sg_stream_pread, SG_TYPE_STREAM_BOUNDED)

static ssize_t
pread_stream_read_at(SgStreamBounded *bounded, char *buf, size_t len)
{
	SgStreamPread *self = SG_STREAM_PREAD(bounded);
	GMimeStream *stream = GMIME_STREAM(bounded);
	ssize_t n;

	if (self->closed)
		return -1;
	if (stream->position < self->head_len) {
		const char *h = g_bytes_get_data(self->head, NULL);
		gint64 left = self->head_len - stream->position;

		if ((gint64)len > left)
			len = (size_t)left;
		memcpy(buf, h + stream->position, len);
		stream->position += (gint64)len;
		return (ssize_t)len;
	}
	if (self->fd < 0)
		return 0;
	n = sg_pread_full(self->fd, buf, len,
	    self->fd_start + (stream->position - self->head_len));
	if (n > 0)
		stream->position += n;
	return n;
}

static gboolean
pread_stream_seek_to(SgStreamBounded *bounded, gint64 pos)
{
	GMIME_STREAM(bounded)->position = pos;
	return TRUE;
}

static gboolean
pread_stream_at_end(SgStreamBounded *bounded)
{
	return SG_STREAM_PREAD(bounded)->closed;
}

static int
pread_stream_close(GMimeStream *stream)
{
	SG_STREAM_PREAD(stream)->closed = TRUE;
	return 0;
}

static GMimeStream *
pread_stream_substream(GMimeStream *stream, gint64 start, gint64 end)
{
	SgStreamPread *self = SG_STREAM_PREAD(stream);

	if (self->head == NULL && self->fd_start == 0)
		return sg_stream_pread_new(self->fd, start, end);
	return sg_stream_pread_new_spliced(self->head, self->fd, self->fd_start,
	    start, end);
}

static void
pread_stream_finalize(GObject *object)
{
	g_clear_pointer(&SG_STREAM_PREAD(object)->head, g_bytes_unref);
	G_OBJECT_CLASS(sg_stream_pread_parent_class)->finalize(object);
}

static void
sg_stream_pread_class_init(SgStreamPreadClass *klass)
{
	GMimeStreamClass *stream_class = GMIME_STREAM_CLASS(klass);
	SgStreamBoundedClass *bounded_class = SG_STREAM_BOUNDED_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = pread_stream_finalize;
	stream_class->close = pread_stream_close;
	stream_class->substream = pread_stream_substream;
	bounded_class->read_at = pread_stream_read_at;
	bounded_class->seek_to = pread_stream_seek_to;
	bounded_class->at_end = pread_stream_at_end;
	bounded_class->seek_set_from_start = FALSE;
}

static void
sg_stream_pread_init(SgStreamPread *self)
{
	self->fd = -1;
}

GMimeStream *
sg_stream_pread_new(int fd, gint64 start, gint64 end)
{
	SgStreamPread *self = g_object_new(SG_TYPE_STREAM_PREAD, NULL);
	struct stat st;

	self->fd = fd;
	if (end == -1 && fstat(fd, &st) == 0)
		end = (gint64)st.st_size;
	if (end != -1 && end < start)
		end = start;
	g_mime_stream_construct(GMIME_STREAM(self), start, end);
	return GMIME_STREAM(self);
}

GMimeStream *
sg_stream_pread_new_spliced(GBytes *head, int fd, gint64 fd_start, gint64 start,
    gint64 end)
{
	SgStreamPread *self = g_object_new(SG_TYPE_STREAM_PREAD, NULL);

	self->fd = fd;
	self->fd_start = fd_start;
	if (head != NULL) {
		self->head = g_bytes_ref(head);
		self->head_len = (gint64)g_bytes_get_size(head);
	}
	if (end != -1 && end < start)
		end = start;
	g_mime_stream_construct(GMIME_STREAM(self), start, end);
	return GMIME_STREAM(self);
}
