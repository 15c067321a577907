/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stream.h - GMime streams over spool files without copies.
 *
 * SgStreamPread reads a byte range of a descriptor with pread(), keeping
 * its own position, so many streams (and substreams made by a persisting
 * GMime parser) can share one descriptor, from any thread, without moving
 * its file offset.  A spliced one puts bytes held in memory before the
 * file's.  The descriptor is not owned: the SgMessage that opened
 * it must outlive every stream made over it.
 *
 * SgStreamBounded is their common base: a read-only GMime stream that
 * keeps its position between bound_start and bound_end and leaves to its
 * subclass only how bytes are read and how a position is reached.
 */
#ifndef SPOOLGUARD_STREAM_H
#define SPOOLGUARD_STREAM_H

#include <glib.h>

#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"

G_BEGIN_DECLS

#define SG_TYPE_STREAM_BOUNDED (sg_stream_bounded_get_type())
G_DECLARE_DERIVABLE_TYPE(SgStreamBounded, sg_stream_bounded, SG, STREAM_BOUNDED,
    GMimeStream)

/*
 * The base class does read (clamped to bound_end), write (EBADF), flush,
 * eos, reset, seek (whence and bounds checked), tell and length; a
 * subclass fills in the three hooks below and its own close, substream
 * and finalize.
 */
struct _SgStreamBoundedClass {
	GMimeStreamClass parent_class;
	/* Reads 1..@len bytes at the position (inside the bounds) and
	 * advances it; 0 at the end of the content, -1 on an error. */
	ssize_t (*read_at)(SgStreamBounded *self, char *buf, size_t len);
	/* Moves to @pos, inside the bounds; FALSE when it cannot. */
	gboolean (*seek_to)(SgStreamBounded *self, gint64 pos);
	/* (nullable): TRUE when no byte is left below bound_end. */
	gboolean (*at_end)(SgStreamBounded *self);
	/* SEEK_SET counts from bound_start (else it is absolute, as in
	 * GMimeStreamCat and GMime's substreams). */
	gboolean seek_set_from_start;
};

#define SG_TYPE_STREAM_PREAD (sg_stream_pread_get_type())
G_DECLARE_FINAL_TYPE(SgStreamPread, sg_stream_pread, SG, STREAM_PREAD,
    SgStreamBounded)

/* (transfer full): a stream over [start, end) of @fd; end -1 = file size. */
GMimeStream *sg_stream_pread_new(int fd, gint64 start, gint64 end);

/*
 * (transfer full): a stream over content made of @head (nullable, kept by
 * reference) and then the bytes of @fd from @fd_start on (@fd -1: none):
 * position p is byte p of @head below its length, else file offset
 * fd_start + p - head length.  [start, end) are positions; substreams are
 * spliced the same way, so their bounds are positions in the whole.
 */
GMimeStream *sg_stream_pread_new_spliced(GBytes *head, int fd, gint64 fd_start,
    gint64 start, gint64 end);

G_END_DECLS

#endif /* SPOOLGUARD_STREAM_H */
