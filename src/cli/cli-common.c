// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli-common.c - what the subcommands share: loading the profile named by
 * -p/-r (a bad rules file is EX_CONFIG), finding the quarantine store, and
 * opening a single message named on the command line or read from stdin.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spoolguard/quarantine.h"
#include "spoolguard/spool.h"

#include "cli-private.h"

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
 * Copies standard input to an unlinked temporary file so that the reader
 * and GMime can stream it with pread like any spool file.
 */
char *
sg_cli_spool_stdin(GError **error)
{
	const char *tmpdir = g_get_tmp_dir();
	g_autofree char *path =
	    g_build_filename(tmpdir, "spoolguard-check-XXXXXX", NULL);
	g_autofree char *buf = g_malloc(65536);
	int fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		int saved = errno;

		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: cannot create a temporary file: %s", tmpdir,
		    g_strerror(saved));
		return NULL;
	}
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, 65536);
		ssize_t done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
			    "standard input: %s", g_strerror(saved));
			close(fd);
			unlink(path);
			return NULL;
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
				    SG_CORE_ERROR_IO, "%s: %s", path,
				    g_strerror(saved));
				close(fd);
				unlink(path);
				return NULL;
			}
			done += w;
		}
	}
	close(fd);
	return g_steal_pointer(&path);
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

	if (msg == NULL) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: not a file spoolguard can read", path);
		return NULL;
	}
	if (!msg->ops->open(msg, profile, &opts, error))
		return NULL;
	return g_steal_pointer(&msg);
}
