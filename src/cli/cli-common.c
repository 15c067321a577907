// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli-common.c - what the subcommands share: loading the profile named by
 * -p/-r (a bad rules file is EX_CONFIG), finding the quarantine store, and
 * opening a single message named on the command line or read from stdin
 * (into a temporary file without a name, at most the profile's limit).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spoolguard/quarantine.h"
#include "spoolguard/spool.h"

#include "cli-private.h"

/* Bytes of standard input read at a time by `check -`. */
#define CLI_STDIN_CHUNK 65536
/* `check -` reads at most this much when the profile sets no hard limit
 * for message.size: 2^31-1, the largest size a signed 32-bit field holds
 * (the default profile's own hard limit). */
#define CLI_STDIN_MAX G_GINT64_CONSTANT(2147483647)
/* What reports call a message read from standard input. */
#define CLI_STDIN_NAME "<stdin>"

SgProfile *
sg_cli_load_profile(const char *profile, const char *rules, int *exit_code)
{
	g_autoptr(GError) error = NULL;
	const char *what = rules != NULL ? rules : profile;
	SgProfile *p;

	if (what == NULL)
		what = g_getenv("SPOOLGUARD_PROFILE");
	if (what == NULL || *what == '\0')
		what = "default";
	p = sg_profile_load(what, &error);
	if (p == NULL) {
		g_autofree char *where = NULL;

		/* A profile the configuration named: say where. */
		if (rules == NULL && profile != NULL &&
		    !sg_cli_option_given("profile"))
			where = sg_cli_config_where("spoolguard", "profile");
		if (where != NULL)
			sg_cli_warn("%s: profile: %s", where, error->message);
		else
			sg_cli_warn("%s", error->message);
		*exit_code = EX_CONFIG;
	}
	return p;
}

const char *
sg_cli_store_dir(const char *option)
{
	const char *env = g_getenv("SPOOLGUARD_QUARANTINE");

	if (option != NULL)
		return option;
	if (env != NULL && *env != '\0')
		return env;
	return SG_QUARANTINE_DEFAULT_DIR;
}

gboolean
sg_cli_store_option_ok(const char *option)
{
	if (option != NULL && *option == '\0') {
		sg_cli_warn("-q/--quarantine names no directory");
		return FALSE;
	}
	return TRUE;
}

int
sg_cli_exit_for_error(const GError *error)
{
	if (error->domain == SG_CORE_ERROR) {
		switch (error->code) {
		case SG_CORE_ERROR_VANISHED: /* no such file */
		case SG_CORE_ERROR_SKIP:     /* a directory, a symlink loop */
			return EX_NOINPUT;
		default:
			return EX_TEMPFAIL;
		}
	}
	return EX_TEMPFAIL;
}

/*
 * Copies standard input into an unnamed temporary file in $TMPDIR, so
 * that the reader and GMime can pread it like any spool file; a kill at
 * any moment leaves nothing behind.  At most @max + 1 bytes are read: one
 * byte past @max is enough to know the message is too big, and the rest
 * stays unread.
 */
int
sg_cli_spool_stdin(gint64 max, gboolean *over, GError **error)
{
	const char *tmpdir = g_get_tmp_dir();
	g_autofree char *buf = g_malloc(CLI_STDIN_CHUNK);
	gint64 total = 0;
	int fd = sg_tmpfile_unnamed(tmpdir, error);

	*over = FALSE;
	if (fd < 0)
		return -1;
	while (total <= max) {
		gsize want =
		    (gsize)MIN((gint64)CLI_STDIN_CHUNK, max + 1 - total);
		ssize_t n = read(STDIN_FILENO, buf, want);
		ssize_t done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
			    "standard input: %s", g_strerror(saved));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		while (done < n) {
			ssize_t w = write(fd, buf + done, (size_t)(n - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				int saved = errno;

				g_set_error(error, SG_CORE_ERROR,
				    SG_CORE_ERROR_IO,
				    "%s: a temporary copy of standard input: "
				    "%s",
				    tmpdir, g_strerror(saved));
				close(fd);
				return -1;
			}
			done += w;
		}
		total += n;
	}
	*over = total > max;
	return fd;
}

SgMessage *
sg_cli_open_one(const char *path, const SgProfile *profile, GError **error)
{
	g_autoptr(SgMessage) msg = sg_spool_message_for_file(path);
	SgWalkOptions opts = {
		.min_age = 0,
		.read_only = TRUE,
		.now = g_get_real_time() / G_USEC_PER_SEC,
	};
	struct stat st;

	if (lstat(path, &st) != 0 && errno == ENOENT) {
		/* Named by the user: missing, not taken by an MTA. */
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED,
		    "%s: %s", path, g_strerror(ENOENT));
		return NULL;
	}
	if (msg == NULL) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: not a file spoolguard can read", path);
		return NULL;
	}
	if (!msg->ops->open(msg, profile, &opts, error))
		return NULL;
	return g_steal_pointer(&msg);
}

gint64
sg_cli_stdin_max(const SgProfile *profile)
{
	gint64 hard = sg_profile_hard(profile, SG_RULE_MESSAGE_SIZE);

	if (hard == SG_VALUE_NONE || hard < 0)
		return CLI_STDIN_MAX;
	/* One byte more is read to see the limit passed. */
	return MIN(hard, G_MAXINT64 - 1);
}

SgMessage *
sg_cli_open_stdin(int fd, const SgProfile *profile, gint64 max, gboolean over,
    GError **error)
{
	g_autoptr(SgMessage) msg =
	    sg_message_new(sg_spool_find("plain"), "plain", CLI_STDIN_NAME);
	SgMessageFile *file;
	SgWalkOptions opts = {
		.min_age = 0,
		.read_only = TRUE,
		.now = g_get_real_time() / G_USEC_PER_SEC,
	};

	sg_message_add_file(msg, CLI_STDIN_NAME, "message");
	file = sg_message_file(msg, 0);
	file->fd = fd; /* closed with the message */
	if (!over) {
		if (!msg->ops->open(msg, profile, &opts, error))
			return NULL;
		return g_steal_pointer(&msg);
	}
	if (fstat(fd, &file->st) != 0) {
		int saved = errno;

		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: cannot stat its copy: %s", CLI_STDIN_NAME,
		    g_strerror(saved));
		return NULL;
	}
	/* Not read whole, so not judged further: too big is the answer. */
	sg_message_set_content_window(msg, 0, 0, file->st.st_size);
	sg_message_add_finding(msg, SG_RULE_MESSAGE_SIZE,
	    SG_SEVERITY_QUARANTINE, 0, max, NULL, NULL, max + 1, max,
	    "more than %" G_GINT64_FORMAT " bytes (the hard limit); "
	    "stopped reading there",
	    max);
	return g_steal_pointer(&msg);
}
