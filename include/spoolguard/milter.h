/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * milter.h - a message as a milter receives it: the envelope from MAIL
 * FROM and RCPT TO, the header fields one by one, the body in chunks.
 *
 * An SgMilterSpool collects the content bytes (header fields rebuilt as
 * "Name:value" lines, the empty line, the body) in memory up to a bound
 * and in a private unnamed temporary file (O_TMPFILE, mode 0600) past
 * it, so that memory per message is bounded whatever the body size and
 * nothing is left on disk once the spool is freed, even after a crash.
 * Attached to an SgMessage it becomes the message's content: the checks
 * read it as they read a spool file.  Nothing here knows libmilter.
 */
#ifndef SPOOLGUARD_MILTER_H
#define SPOOLGUARD_MILTER_H

#include <glib.h>

#include "spoolguard/core.h"

G_BEGIN_DECLS

#define SG_MILTER_ERROR (sg_milter_error_quark())
GQuark sg_milter_error_quark(void);

typedef enum {
	SG_MILTER_ERROR_SPOOL, /* the temporary file could not be made or
	                          written (a full disk): answer tempfail */
} SgMilterError;

typedef struct _SgMilterSpool SgMilterSpool;

/*
 * (transfer full): an empty spool keeping up to @memory_max bytes in
 * memory; the rest goes to an unnamed file made in @tmpdir when needed.
 */
SgMilterSpool *sg_milter_spool_new(gsize memory_max, const char *tmpdir);
void sg_milter_spool_free(SgMilterSpool *spool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgMilterSpool, sg_milter_spool_free)

/* Appends (p, n); FALSE with SG_MILTER_ERROR_SPOOL when the file fails. */
gboolean sg_milter_spool_append(SgMilterSpool *spool, const char *p, gsize n,
    GError **error);
/*
 * Appends one header field as received: @name, ':', a space unless
 * @lead_space says that @value keeps its own leading blanks, @value with
 * each bare LF of its folding made CRLF, then CRLF.
 */
gboolean sg_milter_spool_append_header(SgMilterSpool *spool, const char *name,
    const char *value, gboolean lead_space, GError **error);
/* Content bytes so far. */
goffset sg_milter_spool_size(const SgMilterSpool *spool);
/* TRUE once the content went to the temporary file. */
gboolean sg_milter_spool_on_disk(const SgMilterSpool *spool);

/*
 * Makes @spool the content of @msg (transfer full): the checks read the
 * bytes in memory, then the file.  Findings carry content offsets.
 */
void sg_milter_spool_attach(SgMilterSpool *spool, SgMessage *msg);

G_END_DECLS

#endif /* SPOOLGUARD_MILTER_H */
