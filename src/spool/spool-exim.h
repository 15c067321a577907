/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spool-exim.h - the Exim -H reader, exposed for the unit tests and the
 * fuzz harness (the ops table itself is in spool-private.h).
 */
#ifndef SPOOLGUARD_SPOOL_EXIM_H
#define SPOOLGUARD_SPOOL_EXIM_H

#include "spool-private.h"

/* What -H declares about -D, and the live header records. */
typedef struct {
	gint64 body_linecount; /* -1 when absent */
	gint64 body_zerocount; /* 0 when absent, as Exim writes it */
	gint64 max_linelength; /* -1 when absent */
	gint64 rcpt_declared;  /* -1 when unreadable */
	gboolean wireformat;
	gboolean frozen;
	GArray *records; /* (owned): (offset, length) of live records */
	goffset header_bytes;
} SgSpoolEximInfo;

void sg_spool_exim_info_init(SgSpoolEximInfo *info);
void sg_spool_exim_info_clear(SgSpoolEximInfo *info);

/* TRUE for a 16- or 23-character Exim message id. */
gboolean sg_spool_exim_valid_id(const char *p, gsize len);

/*
 * Parses the -H bytes (buf, len) of message id @id (file index @file of
 * @msg), adding container.* findings with offsets, the envelope and the
 * props to @msg.  @profile may be NULL (catalogue defaults).  FALSE when
 * parsing had to stop early (the findings say why).
 */
gboolean
sg_spool_exim_parse_header(SgMessage *msg, const SgProfile *profile, guint file,
    const char *id, const char *buf, gsize len, SgSpoolEximInfo *info);

#endif /* SPOOLGUARD_SPOOL_EXIM_H */
