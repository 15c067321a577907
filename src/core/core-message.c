// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core-message.c - SgMessage: the files of one queued message, its
 * envelope, its content window and its findings.
 *
 * The message owns every descriptor it opened and closes them when freed;
 * closing drops the MTA locks a reader took on them, so a message is freed
 * only after any move.  Envelope addresses are copied up to SG_ADDRESS_KEEP
 * bytes and at most SG_RECIPIENTS_KEEP recipients are kept (the count goes
 * on), so memory is bounded whatever the spool file claims.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "spoolguard/core.h"
#include "spoolguard/stream.h"

// clang-format off
G_DEFINE_QUARK(sg-core-error-quark, sg_core_error)
// clang-format on

static void
message_file_free(gpointer data)
{
	SgMessageFile *file = data;

	if (file->fd >= 0)
		close(file->fd);
	g_free(file->path);
	g_free(file->name);
	g_free(file->role);
	g_free(file);
}

void
sg_address_free(SgAddress *address)
{
	if (address == NULL)
		return;
	g_free(address->address);
	g_free(address);
}

SgMessage *
sg_message_new(const SgSpoolOps *ops, const char *format, const char *id)
{
	SgMessage *msg = g_new0(SgMessage, 1);

	msg->ops = ops;
	msg->format = format;
	msg->id = g_strdup(id);
	msg->files = g_ptr_array_new_with_free_func(message_file_free);
	msg->recipients =
	    g_ptr_array_new_with_free_func((GDestroyNotify)sg_address_free);
	msg->findings =
	    g_ptr_array_new_with_free_func((GDestroyNotify)sg_finding_free);
	msg->content_size = -1;
	msg->verdict = SG_SEVERITY_IGNORE;
	return msg;
}

void
sg_message_free(SgMessage *msg)
{
	if (msg == NULL)
		return;
	if (msg->reader_free != NULL)
		msg->reader_free(msg->reader_data);
	if (msg->content_free != NULL)
		msg->content_free(msg->content_data);
	g_ptr_array_unref(msg->findings);
	g_ptr_array_unref(msg->recipients);
	sg_address_free(msg->sender);
	sg_address_free(msg->rcpt_dropped_longest);
	g_clear_pointer(&msg->props, g_hash_table_unref);
	/* Files last: closing them drops the locks. */
	g_ptr_array_unref(msg->files);
	g_free(msg->id);
	g_free(msg->spool_root);
	g_free(msg->queue_name);
	g_free(msg->queue_id);
	g_free(msg);
}

guint
sg_message_add_file(SgMessage *msg, const char *path, const char *role)
{
	SgMessageFile *file = g_new0(SgMessageFile, 1);

	file->path = g_strdup(path);
	file->name = g_path_get_basename(path);
	file->role = g_strdup(role);
	file->fd = -1;
	g_ptr_array_add(msg->files, file);
	return msg->files->len - 1;
}

SgMessageFile *
sg_message_file(SgMessage *msg, guint index)
{
	if (index >= msg->files->len)
		return NULL;
	return g_ptr_array_index(msg->files, index);
}

gboolean
sg_message_open_file(SgMessage *msg, guint index, GError **error)
{
	return sg_message_open_file_access(msg, index, O_RDONLY, error);
}

gboolean
sg_message_open_file_access(SgMessage *msg, guint index, int access,
    GError **error)
{
	SgMessageFile *file = sg_message_file(msg, index);
	int fd, saved;

	if (file == NULL) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: no file %u", msg->id, index);
		return FALSE;
	}
	if (file->fd >= 0)
		return TRUE;
	fd = open(file->path,
	    access | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		saved = errno;
		if (saved == ENOENT) {
			g_set_error(error, SG_CORE_ERROR,
			    SG_CORE_ERROR_VANISHED, "%s: vanished", file->path);
		} else if (saved == ELOOP) {
			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_SKIP,
			    "%s: is a symbolic link, not followed", file->path);
		} else if (saved == EWOULDBLOCK) {
			/* Another process holds a lease on it (another
			 * spoolguard moving it, Samba): not now. */
			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY,
			    "%s: another process holds a lease on it",
			    file->path);
		} else {
			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
			    "%s: cannot open: %s", file->path,
			    g_strerror(saved));
		}
		return FALSE;
	}
	if (fstat(fd, &file->st) != 0) {
		saved = errno;
		close(fd);
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: cannot stat: %s", file->path, g_strerror(saved));
		return FALSE;
	}
	if (!S_ISREG(file->st.st_mode)) {
		close(fd);
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_SKIP,
		    "%s: not a regular file", file->path);
		return FALSE;
	}
	file->fd = fd;
	return TRUE;
}

static SgAddress *
address_new(const char *addr, gsize len, guint file, goffset offset)
{
	SgAddress *a = g_new0(SgAddress, 1);

	a->address = g_strndup(addr, MIN(len, (gsize)SG_ADDRESS_KEEP));
	a->length = len;
	a->file = file;
	a->offset = offset;
	return a;
}

void
sg_message_set_sender(SgMessage *msg, const char *addr, gsize len, guint file,
    goffset offset)
{
	sg_address_free(msg->sender);
	msg->sender = address_new(addr, len, file, offset);
}

void
sg_message_add_recipient(SgMessage *msg, const char *addr, gsize len,
    guint file, goffset offset)
{
	msg->rcpt_total++;
	if (msg->recipients->len >= SG_RECIPIENTS_KEEP) {
		/* Not kept, but the longest still meets the length check. */
		if (msg->rcpt_dropped_longest == NULL ||
		    len > msg->rcpt_dropped_longest->length) {
			sg_address_free(msg->rcpt_dropped_longest);
			msg->rcpt_dropped_longest =
			    address_new(addr, len, file, offset);
		}
		return;
	}
	g_ptr_array_add(msg->recipients, address_new(addr, len, file, offset));
}

/* The default content: one contiguous range of one file. */
typedef struct {
	guint file;
	goffset offset;
	goffset length;
} ContentWindow;

static GMimeStream *
window_open(SgMessage *msg, GError **error)
{
	ContentWindow *w = msg->content_data;
	SgMessageFile *file = sg_message_file(msg, w->file);

	if (file == NULL || file->fd < 0) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: content file is not open", msg->id);
		return NULL;
	}
	return sg_stream_pread_new(file->fd, w->offset, w->offset + w->length);
}

static gboolean
window_locate(SgMessage *msg, goffset content_offset, guint *file,
    goffset *file_offset)
{
	ContentWindow *w = msg->content_data;

	*file = w->file;
	*file_offset = w->offset + content_offset;
	return TRUE;
}

static const SgContentOps window_ops = {
	.open = window_open,
	.locate = window_locate,
};

void
sg_message_set_content_window(SgMessage *msg, guint index, goffset offset,
    goffset length)
{
	ContentWindow *w = g_new0(ContentWindow, 1);

	if (msg->content_free != NULL)
		msg->content_free(msg->content_data);
	w->file = index;
	w->offset = offset;
	w->length = length;
	msg->content = &window_ops;
	msg->content_data = w;
	msg->content_free = g_free;
	msg->content_size = length;
}

GMimeStream *
sg_message_open_content(SgMessage *msg, GError **error)
{
	if (msg->content == NULL) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: no content", msg->id);
		return NULL;
	}
	return msg->content->open(msg, error);
}

gboolean
sg_message_locate(SgMessage *msg, goffset content_offset, guint *file,
    goffset *file_offset)
{
	if (msg->content == NULL || content_offset < 0 ||
	    !msg->content->locate(msg, content_offset, file, file_offset)) {
		*file = G_MAXUINT;
		*file_offset = content_offset;
		return FALSE;
	}
	return TRUE;
}

goffset
sg_message_total_size(SgMessage *msg)
{
	goffset total = 0;

	for (guint i = 0; i < msg->files->len; i++) {
		SgMessageFile *file = g_ptr_array_index(msg->files, i);

		if (file->fd >= 0)
			total += file->st.st_size;
	}
	return total;
}

static void
message_add_finding_va(SgMessage *msg, SgRuleId rule, SgSeverity severity,
    guint file, goffset offset, const char *part, const char *header,
    gint64 observed, gint64 limit, const char *fmt, va_list ap)
{
	SgFinding *f;
	SgMessageFile *mf = sg_message_file(msg, file);

	if (severity == SG_SEVERITY_IGNORE)
		return;
	f = g_new0(SgFinding, 1);
	f->rule = rule;
	f->severity = severity;
	f->file = mf != NULL ? g_strdup(mf->name) : NULL;
	f->offset = offset;
	f->part = g_strdup(part);
	f->header = g_strdup(header);
	f->observed = observed;
	f->limit = limit;
	f->text = g_strdup_vprintf(fmt, ap);
	g_ptr_array_add(msg->findings, f);
	if (severity > msg->verdict)
		msg->verdict = severity;
}

void
sg_message_add_finding(SgMessage *msg, SgRuleId rule, SgSeverity severity,
    guint file, goffset offset, const char *part, const char *header,
    gint64 observed, gint64 limit, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message_add_finding_va(msg, rule, severity, file, offset, part, header,
	    observed, limit, fmt, ap);
	va_end(ap);
}

void
sg_message_add_content_finding(SgMessage *msg, SgRuleId rule,
    SgSeverity severity, goffset content_offset, const char *part,
    const char *header, gint64 observed, gint64 limit, const char *fmt, ...)
{
	va_list ap;
	guint file = G_MAXUINT;
	goffset file_offset = SG_OFFSET_NONE;

	if (content_offset != SG_OFFSET_NONE)
		sg_message_locate(msg, content_offset, &file, &file_offset);
	va_start(ap, fmt);
	message_add_finding_va(msg, rule, severity, file, file_offset, part,
	    header, observed, limit, fmt, ap);
	va_end(ap);
}
