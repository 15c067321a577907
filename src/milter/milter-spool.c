// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * milter-spool.c - the content of a message received through the milter
 * protocol: the first memory_max bytes in memory, the rest in a private
 * unnamed temporary file.
 *
 * The file is made with O_TMPFILE (mode 0600, no name at any instant; on
 * file systems without it, mkstemp and an immediate unlink), so that a
 * full disk, a client that goes away or a killed milter leave nothing
 * behind.  A failed write poisons the spool: every later append fails too,
 * and the caller answers tempfail.  Attached to an SgMessage, the spool is
 * read through a spliced SgStreamPread: memory first, then the file.
 * Memory: at most memory_max bytes of content per spool.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "spoolguard/milter.h"
#include "spoolguard/stream.h"

// clang-format off
G_DEFINE_QUARK(sg-milter-error-quark, sg_milter_error)
// clang-format on

struct _SgMilterSpool {
	GByteArray *head; /* the first bytes, at most memory_max */
	gsize memory_max;
	char *tmpdir;
	int fd;           /* -1 until the head is full */
	goffset size;     /* all content bytes */
	int failed_errno; /* set once a write failed */
};

SgMilterSpool *
sg_milter_spool_new(gsize memory_max, const char *tmpdir)
{
	SgMilterSpool *spool = g_new0(SgMilterSpool, 1);

	spool->head = g_byte_array_sized_new((guint)MIN(memory_max, 8192));
	spool->memory_max = memory_max;
	spool->tmpdir = g_strdup(tmpdir != NULL ? tmpdir : g_get_tmp_dir());
	spool->fd = -1;
	return spool;
}

void
sg_milter_spool_free(SgMilterSpool *spool)
{
	if (spool == NULL)
		return;
	if (spool->fd >= 0)
		close(spool->fd);
	if (spool->head != NULL)
		g_byte_array_unref(spool->head);
	g_free(spool->tmpdir);
	g_free(spool);
}

static gboolean
spool_fail(SgMilterSpool *spool, int saved, const char *what, GError **error)
{
	spool->failed_errno = saved;
	if (spool->fd >= 0) {
		/* Unnamed: closing it gives the space back. */
		close(spool->fd);
		spool->fd = -1;
	}
	g_set_error(error, SG_MILTER_ERROR, SG_MILTER_ERROR_SPOOL,
	    "%s: %s the temporary file: %s", spool->tmpdir, what,
	    g_strerror(saved));
	return FALSE;
}

static gboolean
spool_open_file(SgMilterSpool *spool, GError **error)
{
	g_autofree char *path = NULL;
	int fd;

	fd = open(spool->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0) {
		spool->fd = fd;
		return TRUE;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return spool_fail(spool, errno, "cannot make", error);
	/* No O_TMPFILE here: a name for the shortest possible time. */
	path =
	    g_build_filename(spool->tmpdir, "spoolguard-milter-XXXXXX", NULL);
	fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return spool_fail(spool, errno, "cannot make", error);
	if (unlink(path) != 0) {
		int saved = errno;

		close(fd);
		return spool_fail(spool, saved, "cannot unlink", error);
	}
	spool->fd = fd;
	return TRUE;
}

static gboolean
spool_write(SgMilterSpool *spool, const char *p, gsize n, GError **error)
{
	while (n > 0) {
		ssize_t w = write(spool->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return spool_fail(spool, errno, "cannot write", error);
		p += w;
		n -= (gsize)w;
	}
	return TRUE;
}

gboolean
sg_milter_spool_append(SgMilterSpool *spool, const char *p, gsize n,
    GError **error)
{
	gsize room;

	if (spool->failed_errno != 0) {
		g_set_error(error, SG_MILTER_ERROR, SG_MILTER_ERROR_SPOOL,
		    "%s: the temporary file failed before: %s", spool->tmpdir,
		    g_strerror(spool->failed_errno));
		return FALSE;
	}
	if (n == 0)
		return TRUE;
	room = spool->memory_max - spool->head->len;
	if (spool->fd < 0 && room > 0) {
		gsize take = MIN(room, n);

		g_byte_array_append(spool->head, (const guint8 *)p,
		    (guint)take);
		spool->size += (goffset)take;
		p += take;
		n -= take;
		if (n == 0)
			return TRUE;
	}
	if (spool->fd < 0 && !spool_open_file(spool, error))
		return FALSE;
	if (!spool_write(spool, p, n, error))
		return FALSE;
	spool->size += (goffset)n;
	return TRUE;
}

gboolean
sg_milter_spool_append_header(SgMilterSpool *spool, const char *name,
    const char *value, gboolean lead_space, GError **error)
{
	gsize left = strlen(value);
	g_autoptr(GString) line = g_string_sized_new(left + 64);
	const char *v = value;

	g_string_append(line, name);
	g_string_append_c(line, ':');
	if (!lead_space)
		g_string_append_c(line, ' ');
	/* Folding arrives as bare LF (Sendmail, Postfix): the wire had CRLF. */
	for (;;) {
		const char *lf = memchr(v, '\n', left);

		if (lf == NULL) {
			g_string_append_len(line, v, (gssize)left);
			break;
		}
		g_string_append_len(line, v, lf - v);
		if (lf == value || lf[-1] != '\r')
			g_string_append_c(line, '\r');
		g_string_append_c(line, '\n');
		left -= (gsize)(lf + 1 - v);
		v = lf + 1;
	}
	g_string_append(line, "\r\n");
	return sg_milter_spool_append(spool, line->str, line->len, error);
}

goffset
sg_milter_spool_size(const SgMilterSpool *spool)
{
	return spool->size;
}

gboolean
sg_milter_spool_on_disk(const SgMilterSpool *spool)
{
	return spool->fd >= 0;
}

typedef struct {
	SgMilterSpool *spool;
	GBytes *head;
} SpoolContent;

static void
spool_content_free(gpointer data)
{
	SpoolContent *c = data;

	g_bytes_unref(c->head);
	sg_milter_spool_free(c->spool);
	g_free(c);
}

static GMimeStream *
spool_content_open(SgMessage *msg, GError **error)
{
	SpoolContent *c = msg->content_data;

	(void)error;
	return sg_stream_pread_new_spliced(c->head, c->spool->fd, 0, 0,
	    (gint64)c->spool->size);
}

static gboolean
spool_content_locate(SgMessage *msg, goffset content_offset, guint *file,
    goffset *file_offset)
{
	/* No file of the message's own: findings keep content offsets. */
	(void)msg;
	(void)content_offset;
	(void)file;
	(void)file_offset;
	return FALSE;
}

static const SgContentOps spool_content_ops = {
	.open = spool_content_open,
	.locate = spool_content_locate,
};

void
sg_milter_spool_attach(SgMilterSpool *spool, SgMessage *msg)
{
	SpoolContent *c = g_new0(SpoolContent, 1);

	if (msg->content_free != NULL)
		msg->content_free(msg->content_data);
	c->spool = spool;
	/* The bytes move to the message; the spool appends no more. */
	c->head = g_byte_array_free_to_bytes(g_steal_pointer(&spool->head));
	msg->content = &spool_content_ops;
	msg->content_data = c;
	msg->content_free = spool_content_free;
	msg->content_size = spool->size;
}
