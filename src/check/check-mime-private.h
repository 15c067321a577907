/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-mime-private.h - what the MIME, encoding and content checks share
 * inside src/check/.  Not installed; not for other modules.
 *
 * SgEncodingCheck validates a base64 or quoted-printable body while it
 * streams past, one piece of bytes at a time, keeping counters and the
 * offsets of first occurrences only: its memory does not depend on the
 * part's size.
 */
#ifndef SPOOLGUARD_CHECK_MIME_PRIVATE_H
#define SPOOLGUARD_CHECK_MIME_PRIVATE_H

#include <glib.h>

#include <gmime/gmime.h>

#include "spoolguard/check.h"

G_BEGIN_DECLS

typedef enum {
	SG_ENCODING_OTHER = 0, /* binary: not checked */
	SG_ENCODING_BASE64,
	SG_ENCODING_QP,
	SG_ENCODING_TEXT, /* 7bit, 8bit, unknown: line lengths only */
} SgEncodingKind;

/*
 * Kind of a Content-Transfer-Encoding value (p, len), case-insensitive;
 * an empty value is 7bit (TEXT).
 */
SgEncodingKind sg_encoding_kind(const char *p, gsize len);

typedef struct {
	SgEncodingKind kind;
	/* line lengths (bytes before CR LF) */
	gsize line_len;
	goffset line_start;
	gint64 max_line;
	goffset max_line_offset;
	/* base64 */
	guint quantum;     /* base64 characters in the current group of 4 */
	guint pad;         /* '=' seen in the current group */
	gboolean finished; /* a padded group ended the data */
	guint64 bad_chars;
	goffset bad_char_offset;
	guint64 after_pad;
	goffset after_pad_offset;
	guint64 bad_pad;
	goffset bad_pad_offset;
	/* quoted-printable */
	guint qp_state; /* 0 text, 1 after '=', 2 after '=X', 3 '=' + spaces */
	goffset qp_escape_offset;
	guint64 bad_escapes;
	goffset bad_escape_offset;
	/*
	 * GMime's quoted-printable decoder, followed only as far as NULs go:
	 * its state (0 text, 1 after '=', 2 after '=X'), X, and whether it
	 * decoded an "=00".  Kept apart from qp_state: the decoder takes
	 * the two bytes after any '=' whatever they are, the check does not.
	 */
	guint qpd_state;
	guchar qpd_save;
	gboolean qpd_zero;
	gboolean qpd_binary; /* it decoded a byte sg_byte_is_binary() */
	gboolean saw_cr;
} SgEncodingCheck;

void
sg_encoding_check_init(SgEncodingCheck *ec, SgEncodingKind kind, goffset start);
/* Feeds body bytes (p, len) starting at content offset @offset. */
void sg_encoding_check_feed(SgEncodingCheck *ec, const char *p, gsize len,
    goffset offset);
/* Ends the body at content offset @end and records the findings. */
void sg_encoding_check_finish(SgEncodingCheck *ec, SgMessage *msg,
    const SgProfile *profile, const char *part, goffset end);

/*
 * NUL bytes the MIME pre-scan counted in a leaf part's raw body.  For a
 * transfer encoding that leaves bytes as they are (7bit, 8bit, binary)
 * the raw body is the decoded content and no second pass is needed.  For
 * quoted-printable, decoded NULs come only from raw NULs and "=00"
 * escapes: qp is TRUE and qp_zero tells whether GMime's decoder met an
 * "=00"; with neither, the decoded content holds no NUL.  binary: the
 * raw body, or for quoted-printable a decoded escape, holds a byte text
 * does not (sg_byte_is_binary); without, the decoded content is text
 * through and through.  Offsets are content offsets; first and last are
 * SG_OFFSET_NONE when nuls is 0.
 */
typedef struct {
	goffset body; /* the body's first byte */
	goffset end;  /* end of the counted bytes */
	guint64 nuls;
	goffset first;
	goffset last;
	gboolean qp;
	gboolean qp_zero;
	gboolean binary;
} SgNulCount;

/* Bytes of decoded content handed to libmagic, at most. */
#define SG_CONTENT_SNIFF_BYTES (64 * 1024)
/*
 * Bytes of a part declared text that decide whether it looks like text
 * (then libmagic is not asked); the rest is read only for libmagic or to
 * count NULs the pre-scan could not.
 */
#define SG_CONTENT_TEXT_PEEK (4 * 1024)

/*
 * Checks one leaf part's decoded content: sniffs at most the first
 * SG_CONTENT_SNIFF_BYTES with libmagic and compares with the declared type
 * and file name; counts NULs in text parts.  *sniffed receives libmagic's
 * MIME type (transfer full) (nullable).  @sniffed NULL: nobody shows the
 * type, so libmagic is asked only where a finding depends on its answer
 * (not for application/octet-stream with an unremarkable name, which no
 * rule judges by its content).  @base is the content stream's
 * start position, subtracted from GMime's stream positions.  @pre
 * (nullable): the pre-scan's NUL count for this part, used instead of
 * reading the part to its end when GMime's bounds and encoding agree.
 */
void sg_content_check_part(SgCheckContext *ctx, SgMessage *msg, GMimePart *part,
    const char *path, gint64 base, const SgNulCount *pre, char **sniffed);

/* TRUE when a sniffed MIME type is an executable or an archive. */
gboolean sg_content_type_is_risky(const char *mime_type);

G_END_DECLS

#endif /* SPOOLGUARD_CHECK_MIME_PRIVATE_H */
