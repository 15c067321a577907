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

gboolean
sg_spool_maildir_is_message_name(const char *name, gsize len)
{
	return len > 0 && name[0] != '.';
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
	return sg_spool_tree_walk(path, SG_SPOOL_TREE_MAILDIR, opts, stats,
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
	.message_for_file = sg_spool_maildir_message_for_file,
};
