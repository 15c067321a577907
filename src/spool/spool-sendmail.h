/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spool-sendmail.h - the Sendmail qf reader, exposed for the unit tests
 * and the fuzz harness (the ops table itself is in spool-private.h).
 */
#ifndef SPOOLGUARD_SPOOL_SENDMAIL_H
#define SPOOLGUARD_SPOOL_SENDMAIL_H

#include "spool-private.h"

typedef struct {
	gint64 version;       /* the V line, -1 when absent */
	gint64 inode;         /* the I line's inode, -1 when absent */
	goffset inode_offset; /* where the I line is */
	GArray *records;      /* (owned): (offset, length) of H texts */
	goffset header_bytes;
} SgSpoolSendmailInfo;

void sg_spool_sendmail_info_init(SgSpoolSendmailInfo *info);
void sg_spool_sendmail_info_clear(SgSpoolSendmailInfo *info);

/* TRUE for a sendmail queue id (the part after qf/df): [A-Za-z0-9]{6,40}. */
gboolean sg_spool_sendmail_valid_id(const char *p, gsize len);

/*
 * Parses qf bytes (buf, len) as file index @file of @msg, adding
 * container.* findings with offsets and the envelope.  @profile may be
 * NULL.  FALSE when parsing stopped early.
 */
gboolean sg_spool_sendmail_parse_qf(SgMessage *msg, const SgProfile *profile,
    guint file, const char *buf, gsize len, SgSpoolSendmailInfo *info);

#endif /* SPOOLGUARD_SPOOL_SENDMAIL_H */
