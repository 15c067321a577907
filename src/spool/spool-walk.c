// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spool-walk.c - from a PATH on the command line to message candidates.
 *
 * sg_spool_walk() looks at PATH with lstat: a regular file is an mbox
 * (one candidate per message, spool-mbox.c) or one candidate from
 * sg_spool_message_for_file() (each format's
 * message_for_file() in registry order, plain last); a directory is offered to
 * each registered format's detect() in registry order and walked by the first
 * that says yes (plain last).  A symlink named on the command line is resolved
 * once, with a message saying so; symlinks inside a tree are never followed.
 *
 * The tree walker streams directory entries (readdir on descriptors opened
 * with openat(O_DIRECTORY|O_NOFOLLOW)), never building a listing, and
 * descends with an explicit stack of at most SG_SPOOL_MAX_DEPTH open
 * directories.  It skips the quarantine store (by device and inode), dot
 * names (except maildir++ folders), maildir tmp/, and anything that is not
 * a message file, counting what it skips.  Each file of a plain folder is
 * asked whether it is an mbox (its first line read) before it becomes a
 * candidate.  Candidates are unopened; the
 * callback owns each one.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool-private.h"

typedef enum {
	FRAME_PLAIN,    /* a plain folder */
	FRAME_MAILDIR,  /* a maildir or a maildir++ folder */
	FRAME_MESSAGES, /* a maildir's new/ or cur/ */
} FrameKind;

typedef struct {
	DIR *dir;
	char *path;
	FrameKind kind;
	guint depth;
} WalkFrame;

typedef struct {
	const char *root;
	const SgWalkOptions *opts;
	SgWalkStats *stats;
	SgWalkFunc func;
	gpointer user_data;
	gboolean have_exclude;
	dev_t exclude_dev;
	ino_t exclude_ino;
	gboolean stopped;
	GArray *stack; /* WalkFrame */
} Walk;

static void
walk_frame_clear(gpointer data)
{
	WalkFrame *frame = data;

	if (frame->dir != NULL)
		closedir(frame->dir);
	g_free(frame->path);
}

SgMessage *
sg_spool_file_candidate(const SgSpoolOps *ops, const char *path)
{
	SgMessage *msg = sg_message_new(ops, ops->name, path);

	sg_message_add_file(msg, path, "message");
	msg->spool_root = g_path_get_dirname(path);
	return msg;
}

/* maildir's message_for_file(): a file in a maildir's new/ or cur/. */
SgMessage *
sg_spool_maildir_message_for_file(const char *path)
{
	g_autofree char *dir = g_path_get_dirname(path);
	gboolean ok;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	ok = sg_spool_maildir_is_message_dir(fd, dir);
	close(fd);
	return ok ? sg_spool_file_candidate(&sg_spool_maildir_ops, path) : NULL;
}

/* plain's message_for_file(): any file at all. */
SgMessage *
sg_spool_plain_message_for_file(const char *path)
{
	return sg_spool_file_candidate(&sg_spool_plain_ops, path);
}

SgMessage *
sg_spool_message_for_file(const char *path)
{
	const SgSpoolOps *const *formats = sg_spool_formats();
	g_autofree char *resolved = NULL;
	const char *given = path;
	struct stat st;
	SgMessage *msg = NULL;

	if (path == NULL || *path == '\0')
		return NULL;
	/* Named by the user: a symlink is resolved once. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		resolved = realpath(path, NULL);
	if (resolved != NULL)
		path = resolved;
	/* Registry order: the MTA layouts, maildir, then plain. */
	for (guint i = 0; msg == NULL && formats[i] != NULL; i++) {
		if (formats[i]->message_for_file != NULL)
			msg = formats[i]->message_for_file(path);
	}
	if (msg == NULL)
		msg = sg_spool_plain_message_for_file(path);
	if (resolved != NULL) {
		if (msg->props == NULL) {
			msg->props = g_hash_table_new_full(g_str_hash,
			    g_str_equal, g_free, g_free);
		}
		g_hash_table_replace(msg->props, g_strdup("resolved-from"),
		    g_strdup(given));
	}
	return msg;
}

/* Hands one candidate to the callback. */
static void
walk_candidate(Walk *w, const SgSpoolOps *ops, const char *dir,
    const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	SgMessage *msg = sg_message_new(ops, ops->name, path);

	sg_message_add_file(msg, path, "message");
	msg->spool_root = g_strdup(w->root);
	g_atomic_int_inc(&w->stats->seen);
	if (!w->func(msg, w->user_data))
		w->stopped = TRUE;
}

static gboolean
walk_is_excluded(Walk *w, const struct stat *st)
{
	return w->have_exclude && st->st_dev == w->exclude_dev &&
	    st->st_ino == w->exclude_ino;
}

/* Pushes @fd (a directory, taken) as @path (taken); counts a failure. */
static void
walk_push(Walk *w, int fd, char *path, FrameKind kind, guint depth)
{
	WalkFrame frame = { 0 };

	frame.dir = fdopendir(fd);
	if (frame.dir == NULL) {
		int saved = errno;

		close(fd);
		g_warning("%s: cannot read directory: %s", path,
		    g_strerror(saved));
		g_atomic_int_inc(&w->stats->errors);
		g_free(path);
		return;
	}
	frame.path = path;
	frame.kind = kind;
	frame.depth = depth;
	g_array_append_val(w->stack, frame);
}

/* Forwards candidates of a nested spool walked by another format. */
static gboolean
walk_forward(SgMessage *msg, gpointer user_data)
{
	Walk *w = user_data;

	if (w->func(msg, w->user_data))
		return TRUE;
	w->stopped = TRUE;
	return FALSE;
}

/* A nested directory some MTA's reader recognises: let it walk that. */
static gboolean
walk_delegate(Walk *w, int fd, const char *path)
{
	const SgSpoolOps *const *formats = sg_spool_formats();

	for (guint i = 0; formats[i] != NULL; i++) {
		const SgSpoolOps *ops = formats[i];
		g_autoptr(GError) error = NULL;

		if (ops == &sg_spool_plain_ops || ops == &sg_spool_maildir_ops)
			continue;
		if (!ops->detect(fd, path))
			continue;
		close(fd);
		if (!ops->walk(path, w->opts, w->stats, walk_forward, w,
		        &error)) {
			g_warning("%s", error->message);
			g_atomic_int_inc(&w->stats->errors);
		}
		return TRUE;
	}
	return FALSE;
}

/*
 * Opens the subdirectory @name of the frame at @top and pushes it.
 * @kind is what the parent expects it to be (FRAME_PLAIN from a plain
 * folder, FRAME_MAILDIR for a folder inside a maildir, FRAME_MESSAGES
 * for new/ and cur/).
 */
static void
walk_descend(Walk *w, guint top, const char *name, FrameKind kind)
{
	WalkFrame *parent = &g_array_index(w->stack, WalkFrame, top);
	guint depth = parent->depth + 1;
	g_autofree char *path = g_build_filename(parent->path, name, NULL);
	struct stat st;
	int fd, saved;

	fd = openat(dirfd(parent->dir), name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		if (saved == ENOENT) {
			/* Removed since it was listed. */
			return;
		}
		if (saved == ELOOP || saved == ENOTDIR) {
			/* Replaced by a symlink or a file since listed. */
			g_atomic_int_inc(&w->stats->skipped);
			return;
		}
		g_warning("%s: cannot open directory: %s", path,
		    g_strerror(saved));
		g_atomic_int_inc(&w->stats->errors);
		return;
	}
	if (fstat(fd, &st) != 0) {
		saved = errno;
		close(fd);
		g_warning("%s: cannot stat: %s", path, g_strerror(saved));
		g_atomic_int_inc(&w->stats->errors);
		return;
	}
	if (walk_is_excluded(w, &st)) {
		/* The quarantine store: never scanned. */
		close(fd);
		g_atomic_int_inc(&w->stats->skipped);
		return;
	}
	if (depth > SG_SPOOL_MAX_DEPTH) {
		close(fd);
		g_warning("%s: more than %d directories deep; not scanned",
		    path, SG_SPOOL_MAX_DEPTH);
		g_atomic_int_inc(&w->stats->skipped);
		return;
	}
	if (kind == FRAME_PLAIN) {
		if (sg_spool_maildir_detect_fd(fd))
			kind = FRAME_MAILDIR;
		else if (walk_delegate(w, fd, path))
			return;
	} else if (kind == FRAME_MAILDIR && !sg_spool_maildir_detect_fd(fd)) {
		/* A directory in a maildir that is no folder. */
		close(fd);
		g_atomic_int_inc(&w->stats->skipped);
		return;
	}
	walk_push(w, fd, g_steal_pointer(&path), kind, depth);
}

/* The type of a directory entry, asking lstat when readdir did not say. */
static unsigned char
walk_entry_type(Walk *w, DIR *dir, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type;
	if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			g_atomic_int_inc(&w->stats->vanished);
		else
			g_atomic_int_inc(&w->stats->errors);
		return DT_UNKNOWN;
	}
	if (S_ISREG(st.st_mode))
		return DT_REG;
	if (S_ISDIR(st.st_mode))
		return DT_DIR;
	if (S_ISLNK(st.st_mode))
		return DT_LNK;
	return DT_FIFO; /* a fifo, socket or device: skipped */
}

/* A file of a plain folder: a message, or an mbox of many. */
static void
walk_plain_file(Walk *w, WalkFrame *frame, const char *name)
{
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;

	if (!sg_spool_mbox_claims_at(dirfd(frame->dir), name)) {
		walk_candidate(w, &sg_spool_plain_ops, frame->path, name);
		return;
	}
	path = g_build_filename(frame->path, name, NULL);
	if (!sg_spool_mbox_walk_file(path, w->opts, w->stats, walk_forward, w,
	        &error)) {
		g_warning("%s", error->message);
		g_atomic_int_inc(&w->stats->errors);
	}
}

/* One entry of the directory on top of the stack. */
static void
walk_entry(Walk *w, guint top, const struct dirent *de)
{
	WalkFrame *frame = &g_array_index(w->stack, WalkFrame, top);
	const char *name = de->d_name;
	gsize len = strlen(name);
	FrameKind kind = frame->kind;
	unsigned char type;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return;
	type = walk_entry_type(w, frame->dir, de);
	if (type == DT_UNKNOWN)
		return; /* counted */
	if (type == DT_DIR) {
		switch (kind) {
		case FRAME_PLAIN:
			if (name[0] == '.') {
				g_atomic_int_inc(&w->stats->skipped);
				return;
			}
			walk_descend(w, top, name, FRAME_PLAIN);
			return;
		case FRAME_MAILDIR:
			if (strcmp(name, "new") == 0 ||
			    strcmp(name, "cur") == 0) {
				walk_descend(w, top, name, FRAME_MESSAGES);
				return;
			}
			if (strcmp(name, "tmp") == 0)
				return; /* being delivered: never read */
			/* maildir++ ".Folder" or a LAYOUT=fs folder. */
			walk_descend(w, top, name, FRAME_MAILDIR);
			return;
		case FRAME_MESSAGES:
			g_atomic_int_inc(&w->stats->skipped);
			return;
		}
		return;
	}
	if (type != DT_REG) {
		/* Symlinks (never followed), fifos, sockets, devices. */
		g_atomic_int_inc(&w->stats->skipped);
		return;
	}
	if (kind == FRAME_PLAIN && sg_spool_plain_is_message_name(name, len)) {
		walk_plain_file(w, frame, name);
		return;
	}
	if (kind == FRAME_MESSAGES &&
	    sg_spool_maildir_is_message_name(name, len)) {
		walk_candidate(w, &sg_spool_maildir_ops, frame->path, name);
		return;
	}
	g_atomic_int_inc(&w->stats->skipped);
}

gboolean
sg_spool_tree_walk(const char *path, SgSpoolTreeKind kind,
    const SgWalkOptions *opts, SgWalkStats *stats, SgWalkFunc func,
    gpointer user_data, GError **error)
{
	g_autoptr(GArray) stack = g_array_new(FALSE, TRUE, sizeof(WalkFrame));
	SgWalkOptions no_opts = { 0 };
	SgWalkStats no_stats = { 0 };
	Walk w = { 0 };
	FrameKind top_kind;
	struct stat st;
	int fd, saved;

	g_array_set_clear_func(stack, walk_frame_clear);
	w.root = path;
	w.opts = opts != NULL ? opts : &no_opts;
	w.stats = stats != NULL ? stats : &no_stats;
	w.func = func;
	w.user_data = user_data;
	w.stack = stack;
	if (w.opts->exclude != NULL && stat(w.opts->exclude, &st) == 0) {
		w.have_exclude = TRUE;
		w.exclude_dev = st.st_dev;
		w.exclude_ino = st.st_ino;
	}

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		saved = errno;
		if (fd >= 0)
			close(fd);
		g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_IO,
		    "%s: cannot open directory: %s", path, g_strerror(saved));
		return FALSE;
	}
	if (walk_is_excluded(&w, &st) ||
	    sg_spool_maildir_is_tmp_dir(fd, path)) {
		close(fd);
		g_atomic_int_inc(&w.stats->skipped);
		return TRUE;
	}
	if (kind == SG_SPOOL_TREE_PLAIN)
		top_kind = FRAME_PLAIN;
	else if (!sg_spool_maildir_detect_fd(fd) &&
	    sg_spool_maildir_is_message_dir(fd, path))
		top_kind = FRAME_MESSAGES;
	else
		top_kind = FRAME_MAILDIR;
	walk_push(&w, fd, g_strdup(path), top_kind, 0);

	while (stack->len > 0 && !w.stopped) {
		guint top = stack->len - 1;
		WalkFrame *frame = &g_array_index(stack, WalkFrame, top);
		struct dirent *de;

		errno = 0;
		de = readdir(frame->dir);
		if (de == NULL) {
			if (errno != 0) {
				saved = errno;
				g_warning("%s: cannot read directory: %s",
				    frame->path, g_strerror(saved));
				g_atomic_int_inc(&w.stats->errors);
			}
			g_array_set_size(stack, top);
			continue;
		}
		walk_entry(&w, top, de);
	}
	return TRUE;
}

gboolean
sg_spool_walk(const char *path, const SgWalkOptions *opts, SgWalkStats *stats,
    SgWalkFunc func, gpointer user_data, GError **error)
{
	const SgSpoolOps *const *formats = sg_spool_formats();
	g_autofree char *resolved = NULL;
	SgWalkStats no_stats = { 0 };
	struct stat st;
	int fd, saved;

	if (stats == NULL)
		stats = &no_stats;
	if (lstat(path, &st) != 0) {
		saved = errno;
		g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_IO, "%s: %s",
		    path, g_strerror(saved));
		return FALSE;
	}
	if (S_ISLNK(st.st_mode)) {
		/* Named by the user: followed once, and said so. */
		resolved = realpath(path, NULL);
		if (resolved == NULL || lstat(resolved, &st) != 0) {
			saved = errno;
			g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_IO,
			    "%s: a symbolic link that cannot be resolved: %s",
			    path, g_strerror(saved));
			return FALSE;
		}
		g_message("%s: a symbolic link; scanning its target %s", path,
		    resolved);
		path = resolved;
	}
	if (S_ISREG(st.st_mode) && sg_spool_is_mbox(path))
		return sg_spool_mbox_walk_file(path, opts, stats, func,
		    user_data, error);
	if (S_ISREG(st.st_mode)) {
		SgMessage *msg = sg_spool_message_for_file(path);

		g_atomic_int_inc(&stats->seen);
		func(msg, user_data);
		return TRUE;
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_LAYOUT,
		    "%s: neither a directory nor a regular file", path);
		return FALSE;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_IO,
		    "%s: cannot open directory: %s", path, g_strerror(saved));
		return FALSE;
	}
	for (guint i = 0; formats[i] != NULL; i++) {
		if (formats[i]->detect(fd, path)) {
			close(fd);
			return formats[i]->walk(path, opts, stats, func,
			    user_data, error);
		}
	}
	close(fd);
	return sg_spool_tree_walk(path, SG_SPOOL_TREE_PLAIN, opts, stats, func,
	    user_data, error);
}
