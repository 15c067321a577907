// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli-queue.c - a queued message named by its queue id, as `postcat -q
 * ID` and `exim -Mvh ID` take it: "postfix:ID", "exim:ID",
 * "sendmail:ID".
 *
 * The spool is the one given (--spool), else the first [spool NAME] of
 * spoolguard.conf that the MTA's reader recognises, else the one the
 * MTA's own configuration names (`postconf -h queue_directory`, `exim4
 * -bP spool_directory`), else the Debian default.  The id is checked against
 * the MTA's alphabet first (Postfix [A-Za-z0-9_], Exim [A-Za-z0-9-] of
 * 16 or 23 characters, Sendmail [A-Za-z0-9]), so it never carries a '/'
 * or "..".  Postfix: every queue, flat and hashed one or two levels
 * deep; Exim: input/, input/<6th character>/ (split_spool_directory) and
 * Finput/, the -H file; Sendmail: qf<id> in the queue or its qf/.  The
 * found path goes to sg_spool_message_for_file(), which reads the file in
 * its spool's format.  An MTA moves a queued message between queues by
 * rename, so a message not found is looked for again, QUEUE_LOOKS times
 * QUEUE_LOOK_GAP_US apart, before it counts as not there.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spoolguard/spool.h"

#include "cli-private.h"

/* How many looks for a queue id, and how far apart. */
#define QUEUE_LOOKS 10
#define QUEUE_LOOK_GAP_US (5 * 1000)

/* A regular file at @path (no symlink followed in the last step)? */
static gboolean
queue_is_file(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * (transfer full) (nullable): what the MTA's command @ask (its name, then
 * its arguments) prints, after any '=': the command from $PATH or
 * /usr/sbin ("exim4", else "exim").
 */
static char *
queue_ask(const char *const *ask)
{
	const char *names[] = { ask[0],
		strcmp(ask[0], "exim4") == 0 ? "exim" : NULL, NULL };

	for (guint i = 0; names[i] != NULL; i++) {
		g_autofree char *sbin =
		    g_build_filename("/usr/sbin", names[i], NULL);
		g_autofree char *bin = g_find_program_in_path(names[i]);
		g_autofree char *out = NULL;
		const char *argv[8] = { NULL };
		const char *eq;
		int status = 0;

		if (bin == NULL && g_file_test(sbin, G_FILE_TEST_IS_EXECUTABLE))
			bin = g_steal_pointer(&sbin);
		if (bin == NULL)
			continue;
		argv[0] = bin;
		for (guint k = 1; ask[k] != NULL && k < G_N_ELEMENTS(argv) - 1;
		     k++)
			argv[k] = ask[k];
		if (!g_spawn_sync(NULL, (char **)argv, NULL,
		        G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
		        &status, NULL) ||
		    !g_spawn_check_wait_status(status, NULL) || out == NULL)
			continue;
		eq = strchr(out, '=');
		return g_strdup(g_strstrip(eq != NULL ? (char *)eq + 1 : out));
	}
	return NULL;
}

/* Adds the configured spools that the reader of @mta recognises. */
static void
queue_config_roots(const char *mta, GPtrArray *roots)
{
	GPtrArray *spools = sg_cli_config_spools();
	const SgSpoolOps *ops = sg_spool_find(mta);

	for (guint i = 0; ops != NULL && spools != NULL && i < spools->len;
	     i++) {
		const SgCliSpool *spool = g_ptr_array_index(spools, i);
		int fd = open(spool->path,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0)
			continue;
		if (ops->detect(fd, spool->path))
			g_ptr_array_add(roots, g_strdup(spool->path));
		close(fd);
	}
}

static char *
queue_postfix(const char *root, const char *id)
{
	static const char *const queues[] = { "incoming", "active", "deferred",
		"hold", "corrupt", "maildrop", NULL };

	for (guint q = 0; queues[q] != NULL; q++) {
		g_autofree char *dir = g_build_filename(root, queues[q], NULL);
		g_autofree char *flat = g_build_filename(dir, id, NULL);
		DIR *d;
		struct dirent *de;
		char *found = NULL;

		if (queue_is_file(flat))
			return g_steal_pointer(&flat);
		/* Hashed: hash_queue_depth 1 or 2, one character a level. */
		d = opendir(dir);
		if (d == NULL)
			continue;
		while (found == NULL && (de = readdir(d)) != NULL) {
			g_autofree char *one = NULL;
			g_autofree char *p = NULL;

			if (strlen(de->d_name) != 1 || de->d_name[0] == '.')
				continue;
			one = g_build_filename(dir, de->d_name, NULL);
			p = g_build_filename(one, id, NULL);
			if (queue_is_file(p)) {
				found = g_steal_pointer(&p);
				break;
			}
			for (const char *c = "0123456789ABCDEF"; *c; c++) {
				char sub[2] = { *c, '\0' };
				g_autofree char *two =
				    g_build_filename(one, sub, id, NULL);

				if (queue_is_file(two)) {
					found = g_steal_pointer(&two);
					break;
				}
			}
		}
		closedir(d);
		if (found != NULL)
			return found;
	}
	return NULL;
}

static gboolean
queue_exim_id_ok(const char *id)
{
	gsize len = strlen(id);

	if (len != 16 && len != 23)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isalnum(id[i]) && id[i] != '-')
			return FALSE;
	}
	return TRUE;
}

static char *
queue_exim(const char *root, const char *id)
{
	g_autofree char *h = g_strdup_printf("%s-H", id);
	char sub[2] = { id[5], '\0' };
	char *paths[] = {
		g_build_filename(root, "input", h, NULL),
		g_build_filename(root, "input", sub, h, NULL),
		g_build_filename(root, "Finput", h, NULL),
	};
	char *found = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
		if (found == NULL && queue_is_file(paths[i]))
			found = g_steal_pointer(&paths[i]);
		g_free(paths[i]);
	}
	return found;
}

static char *
queue_sendmail(const char *root, const char *id)
{
	g_autofree char *qf = g_strdup_printf("qf%s", id);
	g_autofree char *a = g_build_filename(root, qf, NULL);
	g_autofree char *b = g_build_filename(root, "qf", qf, NULL);

	if (queue_is_file(a))
		return g_steal_pointer(&a);
	if (queue_is_file(b))
		return g_steal_pointer(&b);
	return NULL;
}

static gboolean
queue_sendmail_id_ok(const char *id)
{
	gsize len = strlen(id);

	if (len == 0 || len > 64)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isalnum(id[i]))
			return FALSE;
	}
	return TRUE;
}

/* What each MTA's ids look like, where its spool is, how to find one. */
typedef struct {
	const char *name;
	gboolean (*id_ok)(const char *id);
	const char *const *ask; /* the MTA's command and its question */
	const char *fallback;   /* the Debian default */
	char *(*find)(const char *root, const char *id);
} QueueMta;

static gboolean
queue_postfix_id_ok(const char *id)
{
	return sg_spool_valid_queue_id(id, strlen(id));
}

static const char *const queue_ask_postfix[] = { "postconf", "-h",
	"queue_directory", NULL };
static const char *const queue_ask_exim[] = { "exim4", "-bP", "spool_directory",
	NULL };

static const QueueMta queue_mtas[] = {
	{ "postfix", queue_postfix_id_ok, queue_ask_postfix,
	    "/var/spool/postfix", queue_postfix },
	{ "exim", queue_exim_id_ok, queue_ask_exim, "/var/spool/exim4",
	    queue_exim },
	{ "sendmail", queue_sendmail_id_ok, NULL, "/var/spool/mqueue",
	    queue_sendmail },
};

char *
sg_cli_queue_path(const char *spec, const char *spool, GError **error)
{
	const char *colon = spec != NULL ? strchr(spec, ':') : NULL;
	g_autoptr(GPtrArray) roots = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *mta = NULL;
	g_autofree char *tried = NULL;
	const QueueMta *m = NULL;
	const char *id;

	if (colon == NULL || colon == spec || colon[1] == '\0') {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "'%s' names no message: say postfix:ID, exim:ID or "
		    "sendmail:ID",
		    spec != NULL ? spec : "");
		return NULL;
	}
	mta = g_strndup(spec, (gsize)(colon - spec));
	id = colon + 1;
	for (guint i = 0; i < G_N_ELEMENTS(queue_mtas) && m == NULL; i++) {
		if (strcmp(mta, queue_mtas[i].name) == 0)
			m = &queue_mtas[i];
	}
	if (m == NULL) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "'%s': unknown MTA '%s' (postfix, exim or sendmail)", spec,
		    mta);
		return NULL;
	}
	if (!m->id_ok(id)) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "'%s': '%s' is not a %s queue id", spec, id, mta);
		return NULL;
	}
	/* --spool alone, else the configured ones, the MTA's, Debian's. */
	if (spool != NULL) {
		g_ptr_array_add(roots, g_strdup(spool));
	} else {
		char *own = m->ask != NULL ? queue_ask(m->ask) : NULL;

		queue_config_roots(mta, roots);
		if (own != NULL && own[0] != '\0')
			g_ptr_array_add(roots, own);
		else
			g_free(own);
		g_ptr_array_add(roots, g_strdup(m->fallback));
	}
	/* The MTA renames a queued message from queue to queue; a look
	 * over the queues in turn can pass it mid-move, so a miss is
	 * looked again a few times before it counts. */
	for (guint t = 0; t < QUEUE_LOOKS; t++) {
		if (t > 0)
			g_usleep(QUEUE_LOOK_GAP_US);
		for (guint i = 0; i < roots->len; i++) {
			char *path = m->find(g_ptr_array_index(roots, i), id);

			if (path != NULL)
				return path;
		}
	}
	g_ptr_array_add(roots, NULL);
	tried = g_strjoinv(", ", (char **)roots->pdata);
	g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED,
	    "%s: no message %s in the %s spool %s", spec, id, mta, tried);
	return NULL;
}
