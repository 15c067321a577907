/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spool-private.h - the spool module's shared internals: the format ops
 * tables that spool-registry.c lists.  One line per format here and one
 * line in spool-registry.c is all a new format adds outside its own file.
 */
#ifndef SPOOLGUARD_SPOOL_PRIVATE_H
#define SPOOLGUARD_SPOOL_PRIVATE_H

#include "spoolguard/spool.h"

extern const SgSpoolOps sg_spool_plain_ops;
extern const SgSpoolOps sg_spool_maildir_ops;
extern const SgSpoolOps sg_spool_postfix_ops;
/* extern const SgSpoolOps sg_spool_exim_ops; */
/* extern const SgSpoolOps sg_spool_sendmail_ops; */

#endif /* SPOOLGUARD_SPOOL_PRIVATE_H */
