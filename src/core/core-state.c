// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core-state.c - the incremental-scan state file.
 *
 * File layout (all numbers little-endian):
 *   "SGSTATE1\n" "version V\n" "profile DIGEST\n" "count N\n" "\n"
 *   N entries of 48 bytes: dev, ino, size, mtime s, ctime s (8 bytes each),
 *   mtime ns, ctime ns (4 bytes each); sorted by (dev, ino), no duplicates
 *   32 bytes: sha256 of everything before
 * The header is at most STATE_HEADER_MAX bytes and the file at most
 * STATE_FILE_MAX.  In memory the loaded entries stay a sorted array (48
 * bytes each, binary search) with one "alive" byte each; files new in this
 * run go to an unsorted array that is sorted once at save.  One GMutex
 * guards both.  The returned SgState is owned by the caller.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spoolguard/core.h"
#include "spoolguard/state.h"

#define STATE_MAGIC "SGSTATE1"
/* Guards the header read: version and digest are short. */
#define STATE_HEADER_MAX 4096
/* Guards the allocation at load: 1 GiB is some 22 million files. */
#define STATE_FILE_MAX ((goffset)1 << 30)
#define STATE_ENTRY_SIZE 48
#define STATE_SUM_SIZE 32
#define STATE_IO_CHUNK (64 * 1024)

G_DEFINE_QUARK(sg - state - error - quark, sg_state_error)

typedef struct {
	guint64 dev;
	guint64 ino;
	gint64 size;
	gint64 mtime;
	gint64 ctime;
	guint32 mtime_ns;
	guint32 ctime_ns;
} StateEntry;

struct _SgState {
	char *path;
	char *digest;
	SgStateReset reset;
	GMutex lock;
	StateEntry *loaded; /* sorted by (dev, ino) */
	guint8 *alive;      /* one byte per loaded entry */
	gsize n_loaded;
	GArray *added; /* StateEntry, files not in loaded */
};

static void
state_entry_from_stat(StateEntry *e, const struct stat *st)
{
	e->dev = (guint64)st->st_dev;
	e->ino = (guint64)st->st_ino;
	e->size = (gint64)st->st_size;
	e->mtime = (gint64)st->st_mtim.tv_sec;
	e->ctime = (gint64)st->st_ctim.tv_sec;
	e->mtime_ns = (guint32)st->st_mtim.tv_nsec;
	e->ctime_ns = (guint32)st->st_ctim.tv_nsec;
}

static int
state_key_cmp(const StateEntry *a, const StateEntry *b)
{
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	return 0;
}

static gint
state_key_cmp_data(gconstpointer a, gconstpointer b, gpointer unused)
{
	return state_key_cmp(a, b);
}

static gboolean
state_same_file(const StateEntry *a, const StateEntry *b)
{
	return a->size == b->size && a->mtime == b->mtime &&
	    a->ctime == b->ctime && a->mtime_ns == b->mtime_ns &&
	    a->ctime_ns == b->ctime_ns;
}

/* Index of the loaded entry with @key's (dev, ino), or -1.  Locked. */
static gssize
state_find(const SgState *state, const StateEntry *key)
{
	gsize lo = 0, hi = state->n_loaded;

	while (lo < hi) {
		gsize mid = lo + (hi - lo) / 2;
		int c = state_key_cmp(&state->loaded[mid], key);

		if (c == 0)
			return (gssize)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void
state_encode(const StateEntry *e, guint8 *p)
{
	guint64 v[5] = { e->dev, e->ino, (guint64)e->size, (guint64)e->mtime,
		(guint64)e->ctime };
	guint32 w[2] = { GUINT32_TO_LE(e->mtime_ns),
		GUINT32_TO_LE(e->ctime_ns) };

	for (guint i = 0; i < 5; i++) {
		v[i] = GUINT64_TO_LE(v[i]);
		memcpy(p + 8 * i, &v[i], 8);
	}
	memcpy(p + 40, w, 8);
}

static void
state_decode(const guint8 *p, StateEntry *e)
{
	guint64 v[5];
	guint32 w[2];

	memcpy(v, p, 40);
	memcpy(w, p + 40, 8);
	e->dev = GUINT64_FROM_LE(v[0]);
	e->ino = GUINT64_FROM_LE(v[1]);
	e->size = (gint64)GUINT64_FROM_LE(v[2]);
	e->mtime = (gint64)GUINT64_FROM_LE(v[3]);
	e->ctime = (gint64)GUINT64_FROM_LE(v[4]);
	e->mtime_ns = GUINT32_FROM_LE(w[0]);
	e->ctime_ns = GUINT32_FROM_LE(w[1]);
}

static SgState *
state_new(const char *path, const char *digest, SgStateReset reset)
{
	SgState *state = g_new0(SgState, 1);

	state->path = g_strdup(path);
	state->digest = g_strdup(digest);
	state->reset = reset;
	g_mutex_init(&state->lock);
	state->added = g_array_new(FALSE, FALSE, sizeof(StateEntry));
	return state;
}

void
sg_state_free(SgState *state)
{
	if (state == NULL)
		return;
	g_free(state->path);
	g_free(state->digest);
	g_free(state->loaded);
	g_free(state->alive);
	g_array_unref(state->added);
	g_mutex_clear(&state->lock);
	g_free(state);
}

SgStateReset
sg_state_reset_reason(const SgState *state)
{
	return state->reset;
}

const char *
sg_state_reset_to_string(SgStateReset reason)
{
	switch (reason) {
	case SG_STATE_RESET_NONE:
		return "loaded";
	case SG_STATE_RESET_MISSING:
		return "missing";
	case SG_STATE_RESET_PROFILE:
		return "profile changed";
	case SG_STATE_RESET_VERSION:
		return "version changed";
	case SG_STATE_RESET_CORRUPT:
		return "corrupt";
	}
	return "unknown";
}

/*
 * Reads exactly @len bytes at @offset.  *short_read is set (and FALSE
 * returned without an error) when the file ends first.
 */
static gboolean
state_pread(int fd, const char *path, void *buf, gsize len, goffset offset,
    gboolean *short_read, GError **error)
{
	gssize n = sg_pread_full(fd, buf, len, offset);

	*short_read = FALSE;
	if (n < 0) {
		int saved = errno;

		g_set_error(error, SG_STATE_ERROR, SG_STATE_ERROR_IO,
		    "%s: read: %s", path, g_strerror(saved));
		return FALSE;
	}
	if ((gsize)n < len) {
		*short_read = TRUE;
		return FALSE;
	}
	return TRUE;
}

/* Matches the header line "@key value\n" at *pos; advances past it. */
static gboolean
state_header_line(const char *buf, gsize len, gsize *pos, const char *key,
    const char **value, gsize *value_len)
{
	gsize klen = strlen(key);
	const char *line = buf + *pos;
	gsize left = len - *pos;
	const char *nl = memchr(line, '\n', left);

	if (nl == NULL)
		return FALSE;
	if ((gsize)(nl - line) < klen + 1 || memcmp(line, key, klen) != 0 ||
	    line[klen] != ' ')
		return FALSE;
	*value = line + klen + 1;
	*value_len = (gsize)(nl - *value);
	*pos += (gsize)(nl - line) + 1;
	return TRUE;
}

static gboolean
state_value_is(const char *value, gsize len, const char *want)
{
	return len == strlen(want) && memcmp(value, want, len) == 0;
}

/*
 * Parses and verifies the file open as @fd into @state.  Returns FALSE
 * with @error only for I/O errors; a damaged file sets state->reset.
 */
static gboolean
state_read(SgState *state, int fd, goffset size, GError **error)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree guint8 *chunk = NULL;
	g_autofree StateEntry *entries = NULL;
	char head[STATE_HEADER_MAX];
	guint8 want[STATE_SUM_SIZE], got[STATE_SUM_SIZE];
	gsize head_len = MIN((gsize)size, sizeof(head));
	gsize pos = 0, vlen, hlen, body, got_len = sizeof(got);
	const char *v, *end;
	guint64 count;
	goffset off;
	gboolean short_read;

	state->reset = SG_STATE_RESET_CORRUPT;
	if (!state_pread(fd, state->path, head, head_len, 0, &short_read,
	        error))
		return short_read;
	end = memmem(head, head_len, "\n\n", 2);
	if (end == NULL)
		return TRUE;
	hlen = (gsize)(end - head) + 2;
	if (hlen < sizeof(STATE_MAGIC) ||
	    memcmp(head, STATE_MAGIC "\n", sizeof(STATE_MAGIC)) != 0)
		return TRUE;
	pos = sizeof(STATE_MAGIC);
	if (!state_header_line(head, hlen, &pos, "version", &v, &vlen))
		return TRUE;
	if (!state_value_is(v, vlen, PACKAGE_VERSION)) {
		state->reset = SG_STATE_RESET_VERSION;
		return TRUE;
	}
	if (!state_header_line(head, hlen, &pos, "profile", &v, &vlen))
		return TRUE;
	if (!state_value_is(v, vlen, state->digest)) {
		state->reset = SG_STATE_RESET_PROFILE;
		return TRUE;
	}
	if (!state_header_line(head, hlen, &pos, "count", &v, &vlen) ||
	    !sg_parse_u64(v, vlen, &count) || pos + 1 != hlen)
		return TRUE;
	/* The size must be exactly header + entries + sum. */
	body = (gsize)size - hlen;
	if (body < STATE_SUM_SIZE ||
	    count != (body - STATE_SUM_SIZE) / STATE_ENTRY_SIZE ||
	    (body - STATE_SUM_SIZE) % STATE_ENTRY_SIZE != 0)
		return TRUE;
	g_checksum_update(sum, (const guchar *)head, hlen);

	entries = g_new(StateEntry, count > 0 ? count : 1);
	chunk = g_malloc(STATE_IO_CHUNK);
	off = (goffset)hlen;
	for (guint64 i = 0; i < count;) {
		gsize n = MIN(count - i, STATE_IO_CHUNK / STATE_ENTRY_SIZE);

		if (!state_pread(fd, state->path, chunk, n * STATE_ENTRY_SIZE,
		        off, &short_read, error))
			return short_read;
		g_checksum_update(sum, chunk, n * STATE_ENTRY_SIZE);
		for (gsize j = 0; j < n; j++, i++) {
			state_decode(chunk + j * STATE_ENTRY_SIZE, &entries[i]);
			if (i > 0 &&
			    state_key_cmp(&entries[i - 1], &entries[i]) >= 0)
				return TRUE;
		}
		off += (goffset)(n * STATE_ENTRY_SIZE);
	}
	if (!state_pread(fd, state->path, want, sizeof(want), off, &short_read,
	        error))
		return short_read;
	g_checksum_get_digest(sum, got, &got_len);
	if (got_len != sizeof(got) || memcmp(want, got, sizeof(got)) != 0)
		return TRUE;

	state->loaded = g_steal_pointer(&entries);
	state->n_loaded = count;
	state->alive = g_new0(guint8, count > 0 ? count : 1);
	state->reset = SG_STATE_RESET_NONE;
	return TRUE;
}

SgState *
sg_state_load(const char *path, const char *profile_digest, GError **error)
{
	g_autoptr(SgState) state = NULL;
	struct stat st;
	int fd, saved;
	gboolean ok;

	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(profile_digest != NULL, NULL);
	g_return_val_if_fail(strchr(profile_digest, '\n') == NULL, NULL);

	state = state_new(path, profile_digest, SG_STATE_RESET_NONE);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		saved = errno;
		if (saved == ENOENT) {
			state->reset = SG_STATE_RESET_MISSING;
			return g_steal_pointer(&state);
		}
		g_set_error(error, SG_STATE_ERROR,
		    saved == ELOOP ? SG_STATE_ERROR_UNSAFE : SG_STATE_ERROR_IO,
		    "%s: %s", path,
		    saved == ELOOP ? "is a symbolic link" : g_strerror(saved));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		saved = errno;
		close(fd);
		g_set_error(error, SG_STATE_ERROR, SG_STATE_ERROR_IO, "%s: %s",
		    path, g_strerror(saved));
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		close(fd);
		g_set_error(error, SG_STATE_ERROR, SG_STATE_ERROR_UNSAFE,
		    "%s: not a regular file owned by uid %u and writable "
		    "only by it; refusing a state that could hide messages",
		    path, (guint)geteuid());
		return NULL;
	}
	if (st.st_size > STATE_FILE_MAX) {
		close(fd);
		state->reset = SG_STATE_RESET_CORRUPT;
		return g_steal_pointer(&state);
	}
	ok = state_read(state, fd, st.st_size, error);
	close(fd);
	if (!ok)
		return NULL;
	return g_steal_pointer(&state);
}

gboolean
sg_state_seen(SgState *state, const struct stat *st)
{
	StateEntry key;
	gssize i;
	gboolean seen = FALSE;

	state_entry_from_stat(&key, st);
	g_mutex_lock(&state->lock);
	i = state_find(state, &key);
	if (i >= 0 && state_same_file(&state->loaded[i], &key)) {
		state->alive[i] = 1;
		seen = TRUE;
	}
	g_mutex_unlock(&state->lock);
	return seen;
}

void
sg_state_record(SgState *state, const struct stat *st)
{
	StateEntry e;
	gssize i;

	state_entry_from_stat(&e, st);
	g_mutex_lock(&state->lock);
	i = state_find(state, &e);
	if (i >= 0) {
		state->loaded[i] = e;
		state->alive[i] = 1;
	} else {
		g_array_append_val(state->added, e);
	}
	g_mutex_unlock(&state->lock);
}

gsize
sg_state_count(SgState *state)
{
	gsize n = 0;

	g_mutex_lock(&state->lock);
	for (gsize i = 0; i < state->n_loaded; i++)
		n += state->alive[i];
	n += state->added->len;
	g_mutex_unlock(&state->lock);
	return n;
}

typedef struct {
	int fd;
	const char *path;
	GChecksum *sum;
	guint8 buf[STATE_IO_CHUNK];
	gsize len;
} StateWriter;

static gboolean
state_flush(StateWriter *w, GError **error)
{
	gsize done = 0;

	while (done < w->len) {
		ssize_t n = write(w->fd, w->buf + done, w->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			g_set_error(error, SG_STATE_ERROR, SG_STATE_ERROR_IO,
			    "%s: write: %s", w->path, g_strerror(saved));
			return FALSE;
		}
		done += (gsize)n;
	}
	w->len = 0;
	return TRUE;
}

static gboolean
state_put(StateWriter *w, const void *p, gsize len, gboolean summed,
    GError **error)
{
	const guint8 *b = p;

	if (summed)
		g_checksum_update(w->sum, b, len);
	while (len > 0) {
		gsize n = MIN(len, sizeof(w->buf) - w->len);

		memcpy(w->buf + w->len, b, n);
		w->len += n;
		b += n;
		len -= n;
		if (w->len == sizeof(w->buf) && !state_flush(w, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
state_put_entry(StateWriter *w, const StateEntry *e, GError **error)
{
	guint8 rec[STATE_ENTRY_SIZE];

	state_encode(e, rec);
	return state_put(w, rec, sizeof(rec), TRUE, error);
}

/* Sorts the added entries and drops earlier duplicates; returns the count
 * of distinct added keys.  Locked. */
static gsize
state_sort_added(SgState *state)
{
	StateEntry *a = (StateEntry *)(void *)state->added->data;
	gsize n = state->added->len, out = 0;

	/* Stable: of two records of one file the later one wins. */
	g_array_sort_with_data(state->added, state_key_cmp_data, NULL);
	for (gsize i = 0; i < n; i++) {
		if (out > 0 && state_key_cmp(&a[out - 1], &a[i]) == 0)
			a[out - 1] = a[i];
		else
			a[out++] = a[i];
	}
	g_array_set_size(state->added, out);
	return out;
}

static gboolean
state_write(SgState *state, StateWriter *w, GError **error)
{
	const StateEntry *added =
	    (const StateEntry *)(void *)state->added->data;
	gsize n_added = state_sort_added(state);
	gsize count = n_added, i = 0, j = 0;
	g_autofree char *head = NULL;
	guint8 digest[STATE_SUM_SIZE];
	gsize digest_len = sizeof(digest);

	for (gsize k = 0; k < state->n_loaded; k++)
		count += state->alive[k];
	head = g_strdup_printf(STATE_MAGIC "\nversion %s\nprofile %s\n"
	                                   "count %" G_GSIZE_FORMAT "\n\n",
	    PACKAGE_VERSION, state->digest, count);
	if (!state_put(w, head, strlen(head), TRUE, error))
		return FALSE;
	/* Merge the alive loaded entries with the added ones (disjoint). */
	while (i < state->n_loaded || j < n_added) {
		const StateEntry *e;

		if (i < state->n_loaded && !state->alive[i]) {
			i++;
			continue;
		}
		if (j >= n_added ||
		    (i < state->n_loaded &&
		        state_key_cmp(&state->loaded[i], &added[j]) < 0))
			e = &state->loaded[i++];
		else
			e = &added[j++];
		if (!state_put_entry(w, e, error))
			return FALSE;
	}
	g_checksum_get_digest(w->sum, digest, &digest_len);
	if (!state_put(w, digest, digest_len, FALSE, error))
		return FALSE;
	return state_flush(w, error);
}

gboolean
sg_state_save(SgState *state, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(state->path);
	g_autofree char *base = g_path_get_basename(state->path);
	g_autofree char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
	g_autofree StateWriter *w = g_new0(StateWriter, 1);
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	gboolean ok;
	int fd, dfd, saved;

	fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		saved = errno;
		g_set_error(error, SG_STATE_ERROR, SG_STATE_ERROR_IO,
		    "%s: cannot create: %s", tmp, g_strerror(saved));
		return FALSE;
	}
	w->fd = fd;
	w->path = tmp;
	w->sum = sum;
	g_mutex_lock(&state->lock);
	ok = state_write(state, w, error);
	g_mutex_unlock(&state->lock);
	if (ok && fsync(fd) != 0) {
		saved = errno;
		g_set_error(error, SG_STATE_ERROR, SG_STATE_ERROR_IO,
		    "%s: fsync: %s", tmp, g_strerror(saved));
		ok = FALSE;
	}
	if (close(fd) != 0 && ok) {
		saved = errno;
		g_set_error(error, SG_STATE_ERROR, SG_STATE_ERROR_IO,
		    "%s: close: %s", tmp, g_strerror(saved));
		ok = FALSE;
	}
	if (ok && rename(tmp, state->path) != 0) {
		saved = errno;
		g_set_error(error, SG_STATE_ERROR, SG_STATE_ERROR_IO,
		    "%s: rename: %s", state->path, g_strerror(saved));
		ok = FALSE;
	}
	if (!ok) {
		unlink(tmp);
		return FALSE;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		/* The rename is done; a failed directory fsync only risks
		 * the old state after a crash, which is safe. */
		(void)fsync(dfd);
		close(dfd);
	}
	return TRUE;
}
