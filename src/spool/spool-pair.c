// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spool-pair.c - what the Exim and Sendmail readers share.
 *
 * Findings: the severity and the limits come from the profile, or from
 * the built-in default profile when a reader runs without one (fuzzers,
 * unit tests): a reader carries no number of its own for a limit the
 * profile defines.  Locks: the MTAs lock with fcntl(); we take the same
 * byte range as an OFD lock on a descriptor the message owns, so the lock
 * lasts until the message is freed, across the quarantine move.  Control
 * files are mapped read-only and parsed as (pointer, length); the mapping
 * belongs to the caller.
 */
#include "config.h"

#include "spool-pair.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spoolguard/stream.h"

/* Bytes of an envelope property kept for the report. */
#define PAIR_PROP_SHOWN 1024
/* Directory entries sg_spool_pair_dir_has() looks at before it gives up. */
#define PAIR_DIR_PEEK 4096

/* (transfer none): what a reader judges with. */
static const SgProfile *
pair_profile(const SgProfile *profile)
{
	return profile != NULL ? profile : sg_profile_builtin();
}

SgSeverity
sg_spool_pair_severity(const SgProfile *profile, SgRuleId rule)
{
	return sg_profile_severity(pair_profile(profile), rule);
}

gint64
sg_spool_pair_hard(const SgProfile *profile, SgRuleId rule)
{
	gint64 hard = sg_profile_hard(pair_profile(profile), rule);

	return hard == SG_VALUE_NONE ? G_MAXINT64 : hard;
}

void
sg_spool_pair_event(SgMessage *msg, const SgProfile *profile, SgRuleId rule,
    guint file, goffset offset, gint64 observed, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	sg_message_add_finding(msg, rule, sg_spool_pair_severity(profile, rule),
	    file, offset, NULL, NULL, observed, SG_VALUE_NONE, "%s", text);
}

gboolean
sg_spool_pair_limit(SgMessage *msg, const SgProfile *profile, SgRuleId rule,
    guint file, goffset offset, gint64 observed, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	gint64 limit = SG_VALUE_NONE;
	SgSeverity sev =
	    sg_profile_judge(pair_profile(profile), rule, observed, &limit);
	va_list ap;

	if (sev != SG_SEVERITY_IGNORE) {
		va_start(ap, fmt);
		text = g_strdup_vprintf(fmt, ap);
		va_end(ap);
		sg_message_add_finding(msg, rule, sev, file, offset, NULL, NULL,
		    observed, limit, "%s", text);
	}
	return observed > sg_spool_pair_hard(profile, rule);
}

/* Read-only opens: note, without taking it, whether the lock is held. */
static void
pair_probe_lock(SgMessage *msg, int fd, off_t start, off_t len)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = start,
		.l_len = len,
		.l_pid = 0,
	};

	if (fcntl(fd, F_OFD_GETLK, &fl) != 0 || fl.l_type == F_UNLCK)
		return;
	if (msg->props == NULL) {
		msg->props = g_hash_table_new_full(g_str_hash, g_str_equal,
		    g_free, g_free);
	}
	g_hash_table_replace(msg->props, g_strdup("mta-lock"),
	    g_strdup("held"));
}

gboolean
sg_spool_pair_open_locked(SgMessage *msg, guint index, off_t start, off_t len,
    gboolean read_only, GError **error)
{
	g_autoptr(GError) local = NULL;
	SgMessageFile *file;
	short type = F_WRLCK;

	if (read_only) {
		if (!sg_message_open_file(msg, index, error))
			return FALSE;
		file = sg_message_file(msg, index);
		/* check and inspect: never in the MTA's way (see the header) */
		pair_probe_lock(msg, file->fd, start, len);
		return TRUE;
	}
	/* O_RDWR only so that a write lock is allowed; never written. */
	if (!sg_message_open_file_access(msg, index, O_RDWR, &local)) {
		if (!g_error_matches(local, SG_CORE_ERROR, SG_CORE_ERROR_IO)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		/* Not writable to us (EACCES, EROFS): a read lock blocks the
		 * MTA's write lock just the same. */
		type = F_RDLCK;
		if (!sg_message_open_file(msg, index, error))
			return FALSE;
	}
	file = sg_message_file(msg, index);
	if (!sg_spool_ofd_lock_type(file->fd, file->path, type, start, len,
	        error)) {
		close(file->fd);
		file->fd = -1;
		return FALSE;
	}
	return TRUE;
}

gboolean
sg_spool_pair_check_age(const SgMessageFile *file, const SgWalkOptions *opts,
    GError **error)
{
	gint64 now;

	if (opts == NULL || opts->min_age <= 0)
		return TRUE;
	now = opts->now > 0 ? opts->now : g_get_real_time() / G_USEC_PER_SEC;
	if (now - (gint64)file->st.st_ctime < opts->min_age) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG,
		    "%s: younger than %" G_GINT64_FORMAT " seconds", file->path,
		    opts->min_age);
		return FALSE;
	}
	return TRUE;
}

gboolean
sg_spool_pair_read_all(const SgMessageFile *file, const char **data, gsize *len,
    GError **error)
{
	g_autofree char *buf = NULL;
	gsize size;
	gssize got;

	*data = NULL;
	*len = 0;
	if (file->st.st_size <= 0)
		return TRUE;
	if (file->st.st_size > SG_SPOOL_CONTROL_MAX) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: control file of %" G_GINT64_FORMAT
		    " bytes is over the %d-byte cap; not examined",
		    file->path, (gint64)file->st.st_size, SG_SPOOL_CONTROL_MAX);
		return FALSE;
	}
	size = (gsize)file->st.st_size;
	buf = g_malloc(size);
	/* shorter when it shrank since fstat: judge what is there */
	got = sg_pread_full(file->fd, buf, size, 0);
	if (got < 0) {
		int saved = errno;

		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: read: %s", file->path, g_strerror(saved));
		return FALSE;
	}
	*data = g_steal_pointer(&buf);
	*len = (gsize)got;
	return TRUE;
}

void
sg_spool_pair_release(const char *data, gsize len)
{
	(void)len;
	g_free((char *)data);
}

gboolean
sg_spool_pair_exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

gboolean
sg_spool_pair_exists_in(const char *dir, const char *name)
{
	g_autofree char *p = g_build_filename(dir, name, NULL);
	struct stat st;

	return lstat(p, &st) == 0;
}

gboolean
sg_spool_pair_is_open(const SgMessage *msg, GError **error)
{
	if (msg->reader_data != NULL && msg->queue_id != NULL)
		return TRUE;
	g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID, "%s: not open",
	    msg->id);
	return FALSE;
}

guint
sg_spool_pair_find_role(SgMessage *msg, const char *role)
{
	for (guint i = 0; i < msg->files->len; i++) {
		if (strcmp(sg_message_file(msg, i)->role, role) == 0)
			return i;
	}
	return G_MAXUINT;
}

GMimeStream *
sg_spool_pair_content_open(SgMessage *msg, guint ctl, const char *map,
    gsize map_len, const GArray *records, guint body, goffset body_start,
    goffset body_len, GError **error)
{
	SgMessageFile *hf = sg_message_file(msg, ctl);
	SgMessageFile *df = sg_message_file(msg, body);
	g_autoptr(GBytes) head = NULL;
	gint64 head_len = 0;

	if (df != NULL && df->fd < 0) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: content file is not open", msg->id);
		return NULL;
	}
	if (hf != NULL) {
		GByteArray *bytes = g_byte_array_new();

		for (guint i = 0; i < records->len; i++) {
			const SgSpoolPairRecord *rec =
			    &g_array_index(records, SgSpoolPairRecord, i);

			if (rec->offset < 0 || (gsize)rec->offset > map_len ||
			    rec->length > map_len - (gsize)rec->offset) {
				g_byte_array_unref(bytes);
				g_set_error(error, SG_CORE_ERROR,
				    SG_CORE_ERROR_INVALID,
				    "%s: header record past the end of %s",
				    msg->id, hf->path);
				return NULL;
			}
			g_byte_array_append(bytes,
			    (const guint8 *)map + rec->offset,
			    (guint)rec->length);
		}
		g_byte_array_append(bytes, (const guint8 *)"\n", 1);
		head = g_byte_array_free_to_bytes(bytes);
		head_len = (gint64)g_bytes_get_size(head);
	}
	return sg_stream_pread_new_spliced(head, df != NULL ? df->fd : -1,
	    body_start, 0, head_len + (df != NULL ? body_len : 0));
}

gboolean
sg_spool_pair_content_locate(const GArray *records, guint ctl, gsize ctl_len,
    guint body, goffset body_start, goffset body_len, goffset content_offset,
    guint *file, goffset *file_offset)
{
	goffset at = 0;

	for (guint i = 0; ctl != G_MAXUINT && i < records->len; i++) {
		const SgSpoolPairRecord *rec =
		    &g_array_index(records, SgSpoolPairRecord, i);

		if (content_offset < at + (goffset)rec->length) {
			*file = ctl;
			*file_offset = rec->offset + (content_offset - at);
			return TRUE;
		}
		at += (goffset)rec->length;
	}
	if (ctl != G_MAXUINT) {
		if (content_offset == at) {
			/* the blank line we add: the end of the control file */
			*file = ctl;
			*file_offset = (goffset)ctl_len;
			return TRUE;
		}
		at++;
	}
	if (body == G_MAXUINT || content_offset - at > body_len)
		return FALSE;
	*file = body;
	*file_offset = body_start + (content_offset - at);
	return TRUE;
}

gboolean
sg_spool_pair_open_aged(SgMessage *msg, guint index, gboolean lock, off_t start,
    off_t len, const SgWalkOptions *opts, SgMessageFile **file, GError **error)
{
	if (lock) {
		if (!sg_spool_pair_open_locked(msg, index, start, len,
		        opts != NULL && opts->read_only, error))
			return FALSE;
	} else if (!sg_message_open_file(msg, index, error)) {
		return FALSE;
	}
	*file = sg_message_file(msg, index);
	return sg_spool_pair_check_age(*file, opts, error);
}

void
sg_spool_pair_prop(SgMessage *msg, const char *key, const char *val, gsize n)
{
	if (msg->props == NULL) {
		msg->props = g_hash_table_new_full(g_str_hash, g_str_equal,
		    g_free, g_free);
	}
	g_hash_table_replace(msg->props, g_strdup(key),
	    sg_escape_bytes(val, n, PAIR_PROP_SHOWN));
}

gboolean
sg_spool_pair_dir_has(int dirfd, gboolean (*match)(const char *name, gsize n))
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dp;
	struct dirent *de;
	gboolean found = FALSE;

	if (fd < 0)
		return FALSE;
	dp = fdopendir(fd);
	if (dp == NULL) {
		close(fd);
		return FALSE;
	}
	for (int i = 0; i < PAIR_DIR_PEEK && (de = readdir(dp)) != NULL; i++) {
		if (match(de->d_name, strlen(de->d_name))) {
			found = TRUE;
			break;
		}
	}
	closedir(dp);
	return found;
}

gboolean
sg_spool_pair_is_reg(const char *dir, const char *name)
{
	g_autofree char *p = g_build_filename(dir, name, NULL);
	struct stat st;

	return lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}
