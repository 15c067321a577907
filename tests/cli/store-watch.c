// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store-watch.c - acts the moment spoolguard's quarantine moves reach a
 * point, for the race and kill tests (tests/cli/scan-race.sh, scan-kill.sh).
 *
 *	store-watch replace STORE COUNT
 *	store-watch kill STORE K PID USEC
 *
 * Both watch STORE (every 300 us) for entries whose report.json has
 * appeared: a report is written while its message is being moved.
 * replace: renames a new version over the message the report names, by
 * the write-temp-then-rename idiom ("Subject: new <name>", written to
 * .w-<name> beside it), once per message, until COUNT are replaced or it
 * is killed; prints each path replaced.  kill: once K reports have been
 * seen, waits USEC microseconds and sends SIGKILL to PID; exits 0 when
 * the kill was sent, 1 when PID ended first.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How often the store is looked at. */
#define POLL_US 300

/* The first file's origin in a report (test names need no escapes). */
static char *
report_origin(const char *report)
{
	g_autofree char *data = NULL;
	const char *p, *end;

	if (!g_file_get_contents(report, &data, NULL, NULL))
		return NULL;
	p = strstr(data, "\"origin\":\"");
	if (p == NULL)
		return NULL;
	p += strlen("\"origin\":\"");
	end = strchr(p, '"');
	return end != NULL ? g_strndup(p, (gsize)(end - p)) : NULL;
}

static gboolean
replace(const char *path)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *name = g_path_get_basename(path);
	g_autofree char *tmp = g_strdup_printf("%s/.w-%s", dir, name);
	g_autofree char *body = g_strdup_printf(
	    "From: w@example.org\r\nSubject: new %s\r\n\r\nnew\r\n", name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return FALSE;
	if (write(fd, body, strlen(body)) != (ssize_t)strlen(body)) {
		close(fd);
		return FALSE;
	}
	close(fd);
	return rename(tmp, path) == 0;
}

/* Appends STORE/Y/M/D/ID paths (names not starting with a dot). */
static GPtrArray *
list_entries(const char *store)
{
	GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(dirs, g_strdup(store));
	for (guint depth = 0; depth < 4; depth++) {
		GPtrArray *next = g_ptr_array_new_with_free_func(g_free);

		for (guint i = 0; i < dirs->len; i++) {
			const char *dir = g_ptr_array_index(dirs, i);
			DIR *d = opendir(dir);
			struct dirent *de;

			while (d != NULL && (de = readdir(d)) != NULL) {
				if (de->d_name[0] != '.')
					g_ptr_array_add(next,
					    g_build_filename(dir, de->d_name,
					        NULL));
			}
			if (d != NULL)
				closedir(d);
		}
		g_ptr_array_unref(dirs);
		dirs = next;
	}
	return dirs;
}

/* The origins of the reports that appeared since the last look. */
static GPtrArray *
new_reports(const char *store, GHashTable *seen)
{
	GPtrArray *dirs = list_entries(store);
	GPtrArray *origins = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < dirs->len; i++) {
		const char *entry = g_ptr_array_index(dirs, i);
		g_autofree char *report = NULL;
		char *origin;

		if (g_hash_table_contains(seen, entry))
			continue;
		report = g_build_filename(entry, "report.json", NULL);
		origin = report_origin(report);
		if (origin == NULL)
			continue;
		g_hash_table_add(seen, g_strdup(entry));
		g_ptr_array_add(origins, origin);
	}
	g_ptr_array_unref(dirs);
	return origins;
}

int
main(int argc, char **argv)
{
	GHashTable *seen =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	gboolean kill_mode = argc == 6 && strcmp(argv[1], "kill") == 0;
	guint count, done = 0;
	pid_t pid = 0;

	if (!kill_mode && !(argc == 4 && strcmp(argv[1], "replace") == 0)) {
		fprintf(stderr,
		    "usage: store-watch replace STORE COUNT\n"
		    "       store-watch kill STORE K PID USEC\n");
		return 64;
	}
	count = (guint)strtoul(argv[3], NULL, 10);
	if (kill_mode)
		pid = (pid_t)strtol(argv[4], NULL, 10);
	while (done < count) {
		GPtrArray *origins = new_reports(argv[2], seen);

		for (guint i = 0; i < origins->len && done < count; i++) {
			const char *origin = g_ptr_array_index(origins, i);

			if (kill_mode) {
				done++;
			} else if (replace(origin)) {
				printf("%s\n", origin);
				fflush(stdout);
				done++;
			}
		}
		g_ptr_array_unref(origins);
		if (done < count) {
			if (kill_mode && kill(pid, 0) != 0 && errno == ESRCH) {
				g_hash_table_unref(seen);
				return 1;
			}
			g_usleep(POLL_US);
		}
	}
	g_hash_table_unref(seen);
	if (kill_mode) {
		g_usleep(strtoul(argv[5], NULL, 10));
		return kill(pid, SIGKILL) == 0 ? 0 : 1;
	}
	return 0;
}
