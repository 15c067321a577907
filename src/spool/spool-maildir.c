// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spool-maildir.c - maildir and maildir++ folders.
 *
 * A maildir is a directory with cur/, new/ and tmp/.  Every regular file
 * in new/ and cur/ whose name does not start with '.' is one message;
 * tmp/ holds files still being delivered: the walker never reads it, and
 * a file there named on the command line is read (check, inspect) but
 * never moved (YOUNG).  A message in new/ or cur/ is finished: the maildir
 * protocol writes it in tmp/ and renames it there; locks and writers are
 * honoured as in plain folders (spool-plain.c).  maildir++
 * folders (".Sent", ".Lists.foo") are maildirs inside the top one, and so
 * are Dovecot's LAYOUT=fs folders; the walker (spool-walk.c) descends into
 * any of them that holds cur/ and new/.  Index and state files (dovecot.*,
 * subscriptions, maildirfolder) are skipped and counted.  A maildir's
 * new/ or cur/ named on its own is walked as that one folder.  A maildir
 * message is plain RFC 5322 text and shares the plain reader's open().
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool-private.h"

static gboolean
maildir_has_dir(int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return FALSE;
	return S_ISDIR(st.st_mode);
}

gboolean
sg_spool_maildir_detect_fd(int dirfd)
{
	/* tmp/ is not required: some tools create it on first delivery. */
	return maildir_has_dir(dirfd, "cur") && maildir_has_dir(dirfd, "new");
}

/* Is @path (open as @dirfd) the folder @name of a maildir? */
static gboolean
maildir_is_subdir(int dirfd, const char *path, const char *name)
{
	g_autofree char *base = g_path_get_basename(path);
	int parent;
	gboolean yes;

	if (strcmp(base, name) != 0)
		return FALSE;
	parent = openat(dirfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return FALSE;
	yes = sg_spool_maildir_detect_fd(parent);
	close(parent);
	return yes;
}

gboolean
sg_spool_maildir_is_message_dir(int dirfd, const char *path)
{
	return maildir_is_subdir(dirfd, path, "new") ||
	    maildir_is_subdir(dirfd, path, "cur");
}

gboolean
sg_spool_maildir_is_tmp_dir(int dirfd, const char *path)
{
	return maildir_is_subdir(dirfd, path, "tmp");
}

/* A message name in new/ or cur/: anything not starting with '.'. */
static gboolean
maildir_is_message_name(const char *name, gsize len)
{
	return len > 0 && name[0] != '.';
}

/* The root: one maildir's new/ or cur/, or a maildir (or folder of them). */
static SgSpoolDirRole
maildir_root_role(int dirfd, const char *path)
{
	if (!sg_spool_maildir_detect_fd(dirfd) &&
	    sg_spool_maildir_is_message_dir(dirfd, path))
		return SG_SPOOL_DIR_MESSAGES;
	return SG_SPOOL_DIR_FOLDER;
}

/* new/ and cur/ hold the messages; tmp/ is being delivered: never read;
 * anything else is a maildir++ ".Folder" or a LAYOUT=fs folder. */
static SgSpoolDirRole
maildir_child_role(const char *name, gsize len)
{
	if ((len == 3 && memcmp(name, "new", 3) == 0) ||
	    (len == 3 && memcmp(name, "cur", 3) == 0))
		return SG_SPOOL_DIR_MESSAGES;
	if (len == 3 && memcmp(name, "tmp", 3) == 0)
		return SG_SPOOL_DIR_IGNORE;
	return SG_SPOOL_DIR_FOLDER;
}

/* maildir's message_for_file(): a file in a maildir's new/, cur/ or tmp/;
 * queue_name says which. */
static SgMessage *
maildir_message_for_file(const char *path)
{
	g_autofree char *dir = g_path_get_dirname(path);
	gboolean ok;
	SgMessage *msg;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	/* tmp/ too: claimed so that its open() can refuse to move it */
	ok = sg_spool_maildir_is_message_dir(fd, dir) ||
	    sg_spool_maildir_is_tmp_dir(fd, dir);
	close(fd);
	if (!ok)
		return NULL;
	msg = sg_spool_file_candidate(&sg_spool_maildir_ops, path);
	msg->queue_name = g_path_get_basename(dir);
	return msg;
}

static gboolean
maildir_detect(int dirfd, const char *path)
{
	return sg_spool_maildir_detect_fd(dirfd) ||
	    sg_spool_maildir_is_message_dir(dirfd, path);
}

static gboolean
maildir_walk(const char *path, const SgWalkOptions *opts, SgWalkStats *stats,
    SgWalkFunc func, gpointer user_data, GError **error)
{
	return sg_spool_tree_walk(path, &sg_spool_maildir_tree, opts, stats,
	    func, user_data, error);
}

const SgSpoolOps sg_spool_maildir_ops = {
	.name = "maildir",
	.detect = maildir_detect,
	.walk = maildir_walk,
	.open = sg_spool_plain_open,
	.hold = NULL,
	.prepare_move = sg_spool_plain_prepare_move,
	/* NULL: release puts the file back where the report says. */
	.release_dir = NULL,
	.message_for_file = maildir_message_for_file,
};

const SgSpoolTree sg_spool_maildir_tree = {
	.ops = &sg_spool_maildir_ops,
	.is_folder = sg_spool_maildir_detect_fd,
	.root_role = maildir_root_role,
	.child_role = maildir_child_role,
	.never_walked = sg_spool_maildir_is_tmp_dir,
	.is_message_name = maildir_is_message_name,
	.folders_hold_messages = FALSE,
	.queue_is_dir = TRUE,
};
