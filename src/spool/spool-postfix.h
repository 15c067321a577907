/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spool-postfix.h - internals of the Postfix reader shared by
 * spool-postfix.c (layout, envelope, declared sizes), spool-postfix-stream.c
 * (the record reader and the content stream) and the fuzz harness.
 */
#ifndef SPOOLGUARD_SPOOL_POSTFIX_H
#define SPOOLGUARD_SPOOL_POSTFIX_H

#include <glib.h>

#include <gmime/gmime.h>

#include "spoolguard/core.h"
#include "spoolguard/rules.h"

G_BEGIN_DECLS

/* Postfix writes at most 4 length bytes (28 bits). */
#define SG_POSTFIX_LEN_BYTES 4
/* Postfix's REVERSE_JUMP_LIMIT for `p` pointer records. */
#define SG_POSTFIX_REVERSE_JUMPS 10000
/* A pointer record is "%15ld"; anything longer is malformed. */
#define SG_POSTFIX_PTR_MAX 64

typedef enum {
	SG_POSTFIX_REC_OK,
	SG_POSTFIX_REC_EOF,     /* no record starts here: end of file */
	SG_POSTFIX_REC_SHORT,   /* the file ends inside the length */
	SG_POSTFIX_REC_BAD_LEN, /* more than 4 length bytes */
	SG_POSTFIX_REC_OVERRUN, /* the data runs past the end of the file */
	SG_POSTFIX_REC_IO,      /* pread failed */
} SgPostfixRecStatus;

typedef struct {
	guchar type;
	goffset offset; /* of the type byte */
	goffset data;   /* of the first data byte */
	gsize len;      /* data bytes */
} SgPostfixRecord;

/* The state of pointer following: Postfix's reverse-jump rule. */
typedef struct {
	goffset saved; /* the last jump target */
	guint reverse; /* reverse jumps so far */
} SgPostfixJumps;

typedef enum {
	SG_POSTFIX_JUMP_OK,
	SG_POSTFIX_JUMP_BAD,  /* malformed value or target outside the file */
	SG_POSTFIX_JUMP_LOOP, /* more than SG_POSTFIX_REVERSE_JUMPS */
	SG_POSTFIX_JUMP_IO,
} SgPostfixJumpStatus;

/*
 * A read window over a queue file: reads of at most SG_POSTFIX_WINDOW
 * bytes are served from one pread() of SG_POSTFIX_WINDOW bytes, so a walk
 * over small records costs one system call per window, not one or two
 * per record.  @fd is borrowed; the buffer is allocated on first use.
 */
#define SG_POSTFIX_WINDOW 65536
typedef struct {
	int fd;
	char *buf;    /* (nullable) SG_POSTFIX_WINDOW bytes */
	goffset base; /* file offset of buf[0] */
	gsize len;    /* valid bytes in buf */
} SgPostfixReader;

void sg_postfix_reader_init(SgPostfixReader *r, int fd);
void sg_postfix_reader_clear(SgPostfixReader *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(SgPostfixReader, sg_postfix_reader_clear)
/* Exactly @len bytes at @off, as sg_postfix_pread(); FALSE on error/EOF. */
gboolean
sg_postfix_reader_read(SgPostfixReader *r, void *buf, gsize len, goffset off);

/*
 * The fast path of the record walks: TRUE when the record at @p, with
 * @avail bytes of the read window and @room bytes of the file from it, is
 * an N or L record that lies whole in both and that
 * sg_postfix_record_read() would accept; *type, *hdr (type and length
 * bytes) and *len (data bytes) are set.  FALSE for anything else, which
 * the caller hands to sg_postfix_record_read().
 */
static inline gboolean
sg_postfix_text_record(const guchar *p, gsize avail, goffset room, guchar *type,
    gsize *hdr, gsize *len)
{
	gsize h, n;
	guchar b;

	if (avail < 2 || (p[0] != 'N' && p[0] != 'L'))
		return FALSE;
	b = p[1];
	n = b & 0x7f;
	for (h = 2; (b & 0x80) != 0; h++) {
		if (h == 1 + SG_POSTFIX_LEN_BYTES || h >= avail)
			return FALSE;
		b = p[h];
		n |= (gsize)(b & 0x7f) << (7 * (h - 1));
	}
	/* The file may have grown: bound by both. */
	if (n > avail - h || (goffset)n > room - (goffset)h)
		return FALSE;
	*type = p[0];
	*hdr = h;
	*len = n;
	return TRUE;
}

/*
 * The window's bytes from @off: *avail of them.  NULL when the window does
 * not hold @off.
 */
static inline const guchar *
sg_postfix_reader_at(const SgPostfixReader *r, goffset off, gsize *avail)
{
	if (r->buf == NULL || off < r->base ||
	    (guint64)(off - r->base) >= r->len)
		return NULL;
	*avail = r->len - (gsize)(off - r->base);
	return (const guchar *)r->buf + (off - r->base);
}

/* Reads the record header at @off of a file of @size bytes, bounds-checked. */
SgPostfixRecStatus sg_postfix_record_read(SgPostfixReader *r, goffset size,
    goffset off, SgPostfixRecord *rec);

/*
 * Follows the `p` record @rec: *next gets the offset to read next (the
 * record after @rec for a dummy pointer of 0).
 */
SgPostfixJumpStatus sg_postfix_follow(SgPostfixReader *r, goffset size,
    const SgPostfixRecord *rec, SgPostfixJumps *jumps, goffset *next);

/* pread() of exactly @len bytes; FALSE on error or short read. */
gboolean sg_postfix_pread(int fd, void *buf, gsize len, goffset off);

/*
 * A checkpoint of the content walk, taken at a record boundary every
 * SG_POSTFIX_MARK_GAP content bytes, so a seek re-walks at most that much.
 * A message has at most SG_POSTFIX_MARKS_MAX of them (128 KiB): past that
 * every other one is dropped and the gap doubles.
 */
#define SG_POSTFIX_MARK_GAP 16384
#define SG_POSTFIX_MARKS_MAX 4096
typedef struct {
	gint64 content; /* content offset at the record */
	goffset record; /* the record's file offset */
	SgPostfixJumps jumps;
} SgPostfixMark;

/*
 * (transfer full): the message text of the content segment that starts at
 * @data_offset (N = a line plus "\n", L = a chunk continued by the next
 * record, w skipped, p followed), @content_size bytes long.  @fd is
 * borrowed.  @marks (nullable, SgPostfixMark sorted by content offset)
 * is referenced.
 */
GMimeStream *sg_postfix_stream_new(int fd, goffset file_size,
    goffset data_offset, goffset content_size, GArray *marks);

/*
 * (transfer none) (nullable): the record map (SgPostfixMark) of @msg's
 * content when it is a Postfix queue file's, else NULL.  For the tests.
 */
const GArray *sg_postfix_content_map(SgMessage *msg);

/* Maps a content offset to a file offset by walking the records again. */
gboolean
sg_postfix_stream_locate(int fd, goffset file_size, goffset data_offset,
    GArray *marks, goffset content_offset, goffset *file_offset);

/*
 * Verifies the open file @index of @msg as a queue file (or a postdrop
 * file with @maildrop): appends container.* findings with byte offsets,
 * fills the envelope and props and sets the content.  FALSE only on I/O
 * errors.  @profile is (nullable): container rules then quarantine.
 */
gboolean sg_postfix_read(SgMessage *msg, guint index, gboolean maildrop,
    const SgProfile *profile, GError **error);

/*
 * (transfer full) (nullable): a candidate for a single file named on the
 * command line when it lies in a Postfix queue (QUEUE/ID or hashed
 * QUEUE/H/ID under a queue root), else NULL.  For
 * sg_spool_message_for_file(), so that `inspect` and `check` read a queue
 * file as one.
 */
SgMessage *sg_postfix_message_for_file(const char *path);

G_END_DECLS

#endif /* SPOOLGUARD_SPOOL_POSTFIX_H */
