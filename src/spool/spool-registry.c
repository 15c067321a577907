// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spool-registry.c - the one place that lists the spool formats.
 *
 * Detection runs in this order: MTA layouts first (they are recognised by
 * their directory names), maildir next, and plain folders last, since any
 * directory is a plain folder.  mbox recognises no directory: the walk
 * asks it about each file of a plain folder (spool-walk.c).
 */
#include "config.h"

#include <string.h>

#include "spool-private.h"

static const SgSpoolOps *const formats[] = {
	&sg_spool_postfix_ops,
	&sg_spool_exim_ops,
	&sg_spool_sendmail_ops,
	&sg_spool_maildir_ops,
	&sg_spool_mbox_ops,
	&sg_spool_plain_ops,
	NULL,
};

const SgSpoolOps *const *
sg_spool_formats(void)
{
	return formats;
}

const SgSpoolOps *
sg_spool_find(const char *name)
{
	for (guint i = 0; formats[i] != NULL; i++) {
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	}
	return NULL;
}
