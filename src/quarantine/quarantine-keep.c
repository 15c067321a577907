// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quarantine-keep.c - keeping a message judged before it reached a spool
 * (`check` on standard input, the milter), and giving it back to the MTA.
 *
 * Such a message has no origin path: the entry records its envelope
 * (sender, recipients, queue id, client; each address also in base64,
 * since addresses need not be UTF-8) and is released by reinjection, a
 * command such as `sendmail -G -i -f SENDER -- RCPT...` reading the stored
 * bytes on its standard input.
 *
 * keep() builds the entry under STORE/.incoming/<id> (flocked while it
 * works): files/message through an O_EXCL|O_NOFOLLOW temporary, fsynced,
 * read back and compared with the sha256 of the bytes that were judged,
 * renamed into place; report.json and report.txt; fsyncs; then one
 * rename_noreplace() into STORE/YYYY/MM/DD/<id> makes it appear whole.
 * A kill before that rename leaves only .incoming/<id>, which no listing
 * sees and sg_store_recover() removes (the MTA still has the message: the
 * hook had not answered yet).  reinject() holds the entry's flock while
 * the command runs, checks the sha256 again on the very descriptor the
 * command reads, and removes the entry only after the command exits 0.
 * Every file-system call goes through the SgFsOps seam.  Returned strings,
 * envelopes and messages belong to the caller.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"
#include "spoolguard/spool.h"

#include "quarantine-private.h"

/* The name of a kept message in files/. */
#define KEEP_NAME "message"
/* Where entries are built, below the store. */
#define KEEP_INCOMING ".incoming"
/* Bytes copied at a time from the content stream. */
#define KEEP_CHUNK (64 * 1024)
/* Recipients report.txt lists before "and N more". */
#define KEEP_TEXT_RCPTS 20

extern char **environ;

/* ---- the envelope -------------------------------------------------------- */

SgEnvelope *
sg_envelope_new(const char *received_by)
{
	SgEnvelope *env = g_new0(SgEnvelope, 1);

	env->sender = g_strdup("");
	env->recipients = g_ptr_array_new_with_free_func(g_free);
	env->received_by = g_strdup(received_by != NULL ? received_by : "-");
	return env;
}

void
sg_envelope_free(SgEnvelope *env)
{
	if (env == NULL)
		return;
	g_free(env->sender);
	g_ptr_array_unref(env->recipients);
	g_free(env->queue_id);
	g_free(env->client);
	g_free(env->received_by);
	g_free(env);
}

/* (transfer full): (p, len) without one pair of angle brackets, or NULL
 * with @error when it could not be given back as it came. */
static char *
envelope_address(const char *p, gsize len, GError **error)
{
	if (len >= 2 && p[0] == '<' && p[len - 1] == '>') {
		p++;
		len -= 2;
	}
	if (len > SG_ENVELOPE_ADDRESS_MAX) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INVALID,
		    "an envelope address of %" G_GSIZE_FORMAT " bytes (at "
		    "most %d are kept)",
		    len, SG_ENVELOPE_ADDRESS_MAX);
		return NULL;
	}
	for (gsize i = 0; i < len; i++) {
		if (p[i] == '\0' || p[i] == '\r' || p[i] == '\n') {
			g_set_error(error, SG_QUARANTINE_ERROR,
			    SG_QUARANTINE_ERROR_INVALID,
			    "an envelope address with a %s byte at "
			    "%" G_GSIZE_FORMAT,
			    p[i] == '\0'       ? "NUL"
			        : p[i] == '\r' ? "CR"
			                       : "LF",
			    i);
			return NULL;
		}
	}
	return g_strndup(p, len);
}

gboolean
sg_envelope_set_sender(SgEnvelope *env, const char *p, gsize len,
    GError **error)
{
	char *a = envelope_address(p, len, error);

	if (a == NULL)
		return FALSE;
	g_free(env->sender);
	env->sender = a;
	return TRUE;
}

gboolean
sg_envelope_add_recipient(SgEnvelope *env, const char *p, gsize len,
    GError **error)
{
	char *a;

	if (env->recipients->len >= SG_ENVELOPE_RCPT_MAX) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INVALID,
		    "more than %d envelope recipients", SG_ENVELOPE_RCPT_MAX);
		return FALSE;
	}
	a = envelope_address(p, len, error);
	if (a == NULL)
		return FALSE;
	if (a[0] == '\0') {
		g_free(a);
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INVALID, "an empty envelope recipient");
		return FALSE;
	}
	g_ptr_array_add(env->recipients, a);
	return TRUE;
}

char **
sg_envelope_reinject_argv(const SgEnvelope *env, const char *command,
    GError **error)
{
	g_auto(GStrv) words = NULL;
	g_autoptr(GError) local = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	gint n = 0;

	if (command == NULL ||
	    !g_shell_parse_argv(command, &n, &words, &local) || n == 0) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INVALID, "reinjection command '%s': %s",
		    command != NULL ? command : "",
		    local != NULL ? local->message : "empty");
		return NULL;
	}
	if (env->recipients->len == 0) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INVALID,
		    "no envelope recipient was recorded: nobody to give it "
		    "back to");
		return NULL;
	}
	for (gint i = 0; i < n; i++)
		g_ptr_array_add(argv, g_strdup(words[i]));
	g_ptr_array_add(argv, g_strdup("-f"));
	/* sendmail, Postfix and Exim take "<>" as the null sender; an
	 * empty argument is lost on the way by some wrappers. */
	g_ptr_array_add(argv,
	    g_strdup(env->sender[0] != '\0' ? env->sender : "<>"));
	/* Recipients after "--": one that starts with '-' is no option. */
	g_ptr_array_add(argv, g_strdup("--"));
	for (guint i = 0; i < env->recipients->len; i++)
		g_ptr_array_add(argv,
		    g_strdup(g_ptr_array_index(env->recipients, i)));
	g_ptr_array_add(argv, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&argv), FALSE);
}

static void
envelope_add_nullable(JsonBuilder *b, const char *key, const char *value)
{
	json_builder_set_member_name(b, key);
	if (value != NULL) {
		g_autofree char *text = g_utf8_make_valid(value, -1);

		json_builder_add_string_value(b, text);
	} else {
		json_builder_add_null_value(b);
	}
}

/* (transfer full): the envelope as report.json records it. */
static JsonNode *
envelope_to_json(const SgEnvelope *env)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	envelope_add_nullable(b, "received_by", env->received_by);
	sg_store_json_add_bytes(b, "sender", env->sender);
	json_builder_set_member_name(b, "recipients");
	json_builder_begin_array(b);
	for (guint i = 0; i < env->recipients->len; i++) {
		g_autofree char *text =
		    g_utf8_make_valid(g_ptr_array_index(env->recipients, i),
		        -1);

		json_builder_add_string_value(b, text);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "recipients_base64");
	json_builder_begin_array(b);
	for (guint i = 0; i < env->recipients->len; i++) {
		const char *a = g_ptr_array_index(env->recipients, i);
		g_autofree char *b64 =
		    g_base64_encode((const guchar *)a, strlen(a));

		json_builder_add_string_value(b, b64);
	}
	json_builder_end_array(b);
	envelope_add_nullable(b, "queue_id", env->queue_id);
	envelope_add_nullable(b, "client", env->client);
	json_builder_set_member_name(b, "release");
	json_builder_add_string_value(b, "reinject");
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

/* Decodes one base64 address and hands it to @add. */
static gboolean
envelope_decode(SgEnvelope *env, const char *b64,
    gboolean (*add)(SgEnvelope *, const char *, gsize, GError **),
    GError **error)
{
	g_autofree guchar *raw = NULL;
	gsize len = 0;

	if (b64 == NULL || strlen(b64) > 4 * SG_ENVELOPE_ADDRESS_MAX) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_CORRUPT,
		    "an address without its base64");
		return FALSE;
	}
	raw = g_base64_decode(b64, &len);
	return add(env, (const char *)raw, len, error);
}

/* (transfer full) (nullable): report.json's envelope; NULL without one
 * (no error) or when it is damaged (error set). */
static SgEnvelope *
envelope_from_report(JsonObject *report, const char *dir, GError **error)
{
	JsonNode *n = json_object_get_member(report, "envelope");
	g_autoptr(SgEnvelope) env = NULL;
	JsonObject *o;
	JsonArray *rcpts;

	/* A spool entry's envelope is what its reader found: no release
	 * by reinjection. */
	if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n))
		return NULL;
	o = json_node_get_object(n);
	if (g_strcmp0(sg_store_json_string(o, "release"), "reinject") != 0)
		return NULL;
	env = sg_envelope_new(sg_store_json_string(o, "received_by"));
	rcpts = sg_store_json_array(o, "recipients_base64");
	if (rcpts == NULL ||
	    !envelope_decode(env, sg_store_json_string(o, "sender_base64"),
	        sg_envelope_set_sender, error))
		goto bad;
	for (guint i = 0; i < json_array_get_length(rcpts); i++) {
		JsonNode *r = json_array_get_element(rcpts, i);

		if (!JSON_NODE_HOLDS_VALUE(r) ||
		    json_node_get_value_type(r) != G_TYPE_STRING ||
		    !envelope_decode(env, json_node_get_string(r),
		        sg_envelope_add_recipient, error))
			goto bad;
	}
	env->queue_id = g_strdup(sg_store_json_string(o, "queue_id"));
	env->client = g_strdup(sg_store_json_string(o, "client"));
	return g_steal_pointer(&env);
bad:
	g_clear_error(error);
	g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_CORRUPT,
	    "%s/report.json: a damaged envelope", dir);
	return NULL;
}

/* ---- keep ------------------------------------------------------------------
 */

JsonNode *
sg_store_report_stamp(const char *id, const char *when, const char *entry,
    const char *spool_root)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_string_value(b, id);
	json_builder_set_member_name(b, "time");
	json_builder_add_string_value(b, when);
	json_builder_set_member_name(b, "entry");
	json_builder_add_string_value(b, entry);
	json_builder_set_member_name(b, "host");
	json_builder_add_string_value(b, g_get_host_name());
	json_builder_set_member_name(b, "spool_root");
	if (spool_root != NULL)
		json_builder_add_string_value(b, spool_root);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "version");
	json_builder_add_string_value(b, PACKAGE_VERSION);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

typedef struct {
	SgStore *store;
	SgMessage *msg;
	const SgEnvelope *env;
	const SgProfile *profile;
	gint64 now;
	char *id;
	char *build; /* STORE/.incoming/<id> */
	char *final; /* STORE/YYYY/MM/DD/<id> */
	char *day;
	char *sha256;
	gint64 size;
	int lock;
	gboolean committed; /* renamed into place */
} Keep;

static char *
keep_time(gint64 t, const char *fmt)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

	return dt != NULL ? g_date_time_format(dt, fmt) : g_strdup("-");
}

/* Makes the directories, picks a free id, makes and locks the entry. */
static gboolean
keep_make_entry(Keep *k, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autofree char *stamp = keep_time(k->now, "%Y%m%dT%H%M%SZ");
	g_autofree char *ymd = keep_time(k->now, "%Y/%m/%d");
	g_autofree char *incoming =
	    g_build_filename(k->store->dir, KEEP_INCOMING, NULL);
	g_auto(GStrv) parts = g_strsplit(ymd, "/", 3);
	g_autofree char *files = NULL;
	g_autofree char *parent = g_strdup(k->store->dir);
	gboolean made = FALSE;

	if (strlen(stamp) != 16 || g_strv_length(parts) != 3) {
		g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_IO,
		    "cannot format the time %" G_GINT64_FORMAT, k->now);
		return FALSE;
	}
	if (!sg_fs_mkdir(incoming, &made, error) ||
	    (made && !sg_fs_fsync_dir(k->store->dir, error)))
		return FALSE;
	for (guint i = 0; i < 3; i++) {
		char *dir = g_build_filename(parent, parts[i], NULL);

		if (!sg_fs_mkdir(dir, &made, error) ||
		    (made && !sg_fs_fsync_dir(parent, error))) {
			g_free(dir);
			return FALSE;
		}
		g_free(parent);
		parent = dir;
	}
	k->day = g_steal_pointer(&parent);
	for (guint tries = 0;; tries++) {
		g_autofree char *seed = g_strdup_printf("%s\n%s\n%08x%08x",
		    k->msg->id, stamp, g_random_int(), g_random_int());
		g_autofree char *hash =
		    g_compute_checksum_for_string(G_CHECKSUM_SHA256, seed, -1);
		struct stat st;
		int saved;

		g_free(k->id);
		g_free(k->build);
		g_free(k->final);
		k->id = g_strdup_printf("%s-%.8s", stamp, hash);
		k->build = g_build_filename(incoming, k->id, NULL);
		k->final = g_build_filename(k->day, k->id, NULL);
		if (fs->lstat(k->final, &st) == 0)
			saved = EEXIST;
		else if (fs->mkdir(k->build, 0700) == 0)
			break;
		else
			saved = errno;
		if (saved != EEXIST || tries + 1 >= SG_STORE_ID_TRIES)
			return sg_fs_fail(error, NULL, saved, k->build,
			    "mkdir");
	}
	/* Held until the end: recovery leaves a keep at work alone. */
	k->lock = sg_entry_lock(k->build, error);
	if (k->lock < 0) {
		fs->rmdir(k->build);
		return FALSE;
	}
	files = g_build_filename(k->build, "files", NULL);
	if (fs->mkdir(files, 0700) != 0)
		return sg_fs_fail(error, NULL, errno, files, "mkdir");
	return TRUE;
}

/* Copies the content into files/message: temporary, fsync, read back. */
static gboolean
keep_copy(Keep *k, GError **error)
{
	const SgFsOps *fs = sg_quarantine_fs();
	g_autofree char *tmp =
	    g_build_filename(k->build, "files", ".tmp-" KEEP_NAME, NULL);
	g_autofree char *dest =
	    g_build_filename(k->build, "files", KEEP_NAME, NULL);
	g_autoptr(GMimeStream) in = sg_message_open_content(k->msg, error);
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree char *buf = g_malloc(KEEP_CHUNK);
	gboolean ok = TRUE;
	int fd, r;

	if (in == NULL)
		return FALSE;
	fd = sg_fs_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600,
	    NULL, error);
	if (fd < 0)
		return FALSE;
	while (ok) {
		gssize n = g_mime_stream_read(in, buf, KEEP_CHUNK);

		if (n < 0) {
			g_set_error(error, SG_QUARANTINE_ERROR,
			    SG_QUARANTINE_ERROR_IO,
			    "%s: cannot read the message's content",
			    k->msg->id);
			ok = FALSE;
		} else if (n == 0) {
			break;
		} else {
			g_checksum_update(sum, (const guchar *)buf, n);
			k->size += n;
			ok = sg_fs_write_all(fd, buf, (gsize)n, tmp, error);
		}
	}
	if (ok && k->msg->content_size >= 0 &&
	    k->size != k->msg->content_size) {
		g_set_error(error, SG_QUARANTINE_ERROR, SG_QUARANTINE_ERROR_IO,
		    "%s: %" G_GINT64_FORMAT " bytes of content read, but it "
		    "has %" G_GINT64_FORMAT,
		    k->msg->id, k->size, (gint64)k->msg->content_size);
		ok = FALSE;
	}
	if (ok) {
		do
			r = fs->fsync(fd);
		while (r != 0 && errno == EINTR);
		if (r != 0)
			ok = sg_fs_fail(error, NULL, errno, tmp, "fsync");
	}
	if (!sg_fs_close(fd, tmp, ok ? error : NULL))
		ok = FALSE;
	k->sha256 = g_strdup(g_checksum_get_string(sum));
	/* What is on the disk is what was judged, or nothing is kept. */
	if (!ok || !sg_fs_sha256_check(tmp, k->sha256, error))
		return FALSE;
	if (fs->rename(tmp, dest) != 0)
		return sg_fs_fail(error, NULL, errno, dest, "rename");
	return TRUE;
}

static char *
keep_report_json(Keep *k, gsize *len)
{
	SgOutcome outcome = { .action = "quarantined", .store_id = k->id };
	g_autoptr(JsonNode) root =
	    sg_report_message_json(k->msg, k->profile, NULL, &outcome);
	JsonObject *o = json_node_get_object(root);
	g_autoptr(JsonBuilder) fb = json_builder_new();
	g_autoptr(JsonNode) q = NULL;
	g_autofree char *when = keep_time(k->now, "%Y-%m-%dT%H:%M:%SZ");
	g_autofree char *line = NULL;
	char *text;

	q = sg_store_report_stamp(k->id, when, k->final, NULL);
	json_object_set_member(o, "quarantine", g_steal_pointer(&q));

	/* One file, the content; no origin: the envelope says whose. */
	json_builder_begin_array(fb);
	json_builder_begin_object(fb);
	json_builder_set_member_name(fb, "name");
	json_builder_add_string_value(fb, KEEP_NAME);
	json_builder_set_member_name(fb, "role");
	json_builder_add_string_value(fb, "message");
	json_builder_set_member_name(fb, "sha256");
	json_builder_add_string_value(fb, k->sha256);
	json_builder_set_member_name(fb, "method");
	json_builder_add_string_value(fb, "copy");
	json_builder_set_member_name(fb, "size");
	json_builder_add_int_value(fb, k->size);
	json_builder_set_member_name(fb, "mode");
	json_builder_add_string_value(fb, "0600");
	json_builder_end_object(fb);
	json_builder_end_array(fb);
	json_object_set_member(o, "files", json_builder_get_root(fb));
	json_object_set_member(o, "envelope", envelope_to_json(k->env));
	line = sg_report_json_line(root);
	text = g_strconcat(line, "\n", NULL);
	*len = strlen(text);
	return text;
}

static char *
keep_report_text(Keep *k)
{
	SgOutcome outcome = { .action = "quarantined", .store_id = k->id };
	g_autofree char *body =
	    sg_report_message_text(k->msg, k->profile, NULL, &outcome);
	g_autofree char *when = keep_time(k->now, "%Y-%m-%dT%H:%M:%SZ");
	g_autofree char *sender =
	    sg_report_text_safe(k->env->sender[0] != '\0' ? k->env->sender
	                                                  : "<>",
	        512);
	g_autofree char *qid = sg_report_text_safe(k->env->queue_id, 80);
	g_autofree char *client = sg_report_text_safe(k->env->client, 300);
	GString *out = g_string_new(body);
	guint n = k->env->recipients->len;

	g_string_append_printf(out, "\nquarantined %s as %s", when, k->id);
	if (k->profile != NULL)
		g_string_append_printf(out, " (profile %s)",
		    sg_profile_name(k->profile));
	g_string_append_printf(out,
	    "\nkept by %s before it reached a spool; released by "
	    "reinjection\n  queue id  %s\n  client    %s\n  sender    %s\n",
	    k->env->received_by, qid, client, sender);
	for (guint i = 0; i < n && i < KEEP_TEXT_RCPTS; i++) {
		g_autofree char *r =
		    sg_report_text_safe(g_ptr_array_index(k->env->recipients,
		                            i),
		        512);

		g_string_append_printf(out, "  %s %s\n",
		    i == 0 ? "recipient" : "         ", r);
	}
	if (n > KEEP_TEXT_RCPTS)
		g_string_append_printf(out, "            and %u more\n",
		    n - KEEP_TEXT_RCPTS);
	g_string_append_printf(out,
	    "file %s\n  sha256  %s\n  size %" G_GINT64_FORMAT "\n", KEEP_NAME,
	    k->sha256, k->size);
	return g_string_free(out, FALSE);
}

static gboolean
keep_run(Keep *k, GError **error)
{
	g_autofree char *json = NULL;
	g_autofree char *text = NULL;
	g_autofree char *files = NULL;
	g_autofree char *incoming = NULL;
	gsize json_len = 0;

	if (!keep_make_entry(k, error) || !keep_copy(k, error))
		return FALSE;
	json = keep_report_json(k, &json_len);
	text = keep_report_text(k);
	files = g_build_filename(k->build, "files", NULL);
	if (!sg_fs_write_file(k->build, "report.json", json, json_len, error) ||
	    !sg_fs_write_file(k->build, "report.txt", text, strlen(text),
	        error) ||
	    !sg_fs_fsync_dir(files, error) || !sg_fs_fsync_dir(k->build, error))
		return FALSE;
	/* The commit: the entry appears whole, or not at all. */
	if (sg_quarantine_fs()->rename_noreplace(k->build, k->final) != 0)
		return sg_fs_fail(error, NULL, errno, k->final, "rename");
	k->committed = TRUE;
	incoming = g_path_get_dirname(k->build);
	if (!sg_fs_fsync_dir(k->day, error) ||
	    !sg_fs_fsync_dir(incoming, error)) {
		/* In place; only its durability is in doubt. */
		g_prefix_error(error, "%s: kept as %s, but: ", k->msg->id,
		    k->id);
		return FALSE;
	}
	return TRUE;
}

gboolean
sg_store_keep(SgStore *store, SgMessage *msg, const SgEnvelope *env,
    const SgProfile *profile, char **id, GError **error)
{
	Keep k = {
		.store = store,
		.msg = msg,
		.env = env,
		.profile = profile,
		.now = sg_quarantine_now(),
		.lock = -1,
	};
	gboolean ok;
	struct stat st;

	if (id != NULL)
		*id = NULL;
	ok = keep_run(&k, error);
	if (!ok && !k.committed && k.build != NULL &&
	    sg_quarantine_fs()->lstat(k.build, &st) == 0)
		sg_fs_remove_entry(k.build, NULL);
	if (!ok && error != NULL && *error != NULL &&
	    !g_str_has_prefix((*error)->message, msg->id))
		g_prefix_error(error, "%s: not kept: ", msg->id);
	if (k.lock >= 0)
		sg_quarantine_fs()->close(k.lock);
	if (k.committed && id != NULL)
		*id = g_strdup(k.id);
	g_free(k.id);
	g_free(k.build);
	g_free(k.final);
	g_free(k.day);
	g_free(k.sha256);
	return ok;
}

/* ---- recovery ------------------------------------------------------------ */

void
sg_store_recover_incoming(SgStore *store, gboolean thorough,
    SgStoreRecovery *rec)
{
	g_autofree char *incoming =
	    g_build_filename(store->dir, KEEP_INCOMING, NULL);
	g_autoptr(GDir) d = g_dir_open(incoming, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *dir = g_build_filename(incoming, name, NULL);
		g_autoptr(GError) error = NULL;
		struct stat st;
		int lock;

		if (sg_quarantine_fs()->lstat(dir, &st) != 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		rec->entries++;
		lock = sg_entry_lock(dir, &error);
		if (lock < 0 &&
		    !g_error_matches(error, SG_CORE_ERROR,
		        SG_CORE_ERROR_BUSY)) {
			/* Gone since the listing: that keep committed. */
			if (sg_quarantine_fs()->lstat(dir, &st) != 0)
				continue;
			rec->failed++;
			g_ptr_array_add(rec->notes,
			    g_strdup_printf("%s/%s: %s", KEEP_INCOMING, name,
			        error->message));
			continue;
		}
		if (lock < 0) {
			/* A keep at work: its business (named to fsck). */
			rec->busy++;
			if (thorough)
				g_ptr_array_add(rec->notes,
				    g_strdup_printf("%s/%s: in progress: %s",
				        KEEP_INCOMING, name, error->message));
			continue;
		}
		/* A keep killed before its commit: the hook never answered,
		 * so the MTA still has the message. */
		if (sg_fs_remove_entry(dir, &error)) {
			rec->removed++;
			g_ptr_array_add(rec->notes,
			    g_strdup_printf("%s/%s: removed: a message being "
			                    "kept at SMTP time was cut short "
			                    "(the MTA kept it)",
			        KEEP_INCOMING, name));
		} else {
			rec->failed++;
			g_ptr_array_add(rec->notes,
			    g_strdup_printf("%s/%s: could not be removed: %s",
			        KEEP_INCOMING, name, error->message));
		}
		sg_quarantine_fs()->close(lock);
	}
}

/* ---- release --------------------------------------------------------------
 */

SgEnvelope *
sg_store_envelope(SgStore *store, const char *id, GError **error)
{
	g_autoptr(SgStoreEntry) e = sg_store_find(store, id, error);
	g_autoptr(JsonObject) report = NULL;

	if (e == NULL)
		return NULL;
	/* Unfinished or unreadable: release says why, as for any entry. */
	report = e->unfinished ? NULL : sg_store_read_report(e->dir, NULL);
	if (report == NULL)
		return NULL;
	return envelope_from_report(report, e->dir, error);
}

/*
 * Opens files/<the one file> of entry @dir read-only and checks its
 * sha256 against report.json; -1 with @error.  *@path gets its path.
 */
static int
keep_open_checked(const char *dir, char **path, GError **error)
{
	g_autoptr(JsonObject) report = sg_store_read_report(dir, error);
	JsonArray *files = sg_store_json_array(report, "files");
	JsonObject *f = NULL;
	const char *name, *sha;
	g_autofree char *sum = NULL;
	int fd;

	if (report == NULL)
		return -1;
	if (files != NULL && json_array_get_length(files) == 1)
		f = sg_store_json_element(files, 0);
	name = sg_store_json_string(f, "name");
	sha = sg_store_json_string(f, "sha256");
	if (f == NULL || !sg_store_valid_name(name) || sha == NULL ||
	    strlen(sha) != 64) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_CORRUPT,
		    "%s/report.json: not one file with its name and sha256",
		    dir);
		return -1;
	}
	*path = g_build_filename(dir, "files", name, NULL);
	fd = sg_fs_open(*path, O_RDONLY | O_NOFOLLOW, 0, NULL, error);
	if (fd < 0)
		return -1;
	sum = sg_fs_sha256(fd, *path, error);
	if (sum == NULL || strcmp(sum, sha) != 0) {
		if (sum != NULL)
			g_set_error(error, SG_QUARANTINE_ERROR,
			    SG_QUARANTINE_ERROR_CORRUPT,
			    "%s: sha256 %s, but the report says %s; not "
			    "released",
			    *path, sum, sha);
		sg_quarantine_fs()->close(fd);
		return -1;
	}
	return fd;
}

/* The entry, found and complete. */
static SgStoreEntry *
keep_find(SgStore *store, const char *id, GError **error)
{
	g_autoptr(SgStoreEntry) e = sg_store_find(store, id, error);

	if (e != NULL && e->unfinished) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_UNFINISHED,
		    "%s: the move into the store was cut short; run "
		    "'spoolguard quarantine fsck' first",
		    e->id);
		return NULL;
	}
	return g_steal_pointer(&e);
}

SgMessage *
sg_store_open_stored(SgStore *store, const char *id, const SgProfile *profile,
    GError **error)
{
	g_autoptr(SgStoreEntry) e = keep_find(store, id, error);
	g_autoptr(SgMessage) msg = NULL;
	g_autofree char *path = NULL;
	SgWalkOptions opts = { .read_only = TRUE };
	int fd;

	if (e == NULL)
		return NULL;
	fd = keep_open_checked(e->dir, &path, error);
	if (fd < 0)
		return NULL;
	msg = sg_message_new(sg_spool_find("plain"), "plain", e->id);
	sg_message_add_file(msg, path, "message");
	sg_message_file(msg, 0)->fd = fd; /* closed with the message */
	if (!msg->ops->open(msg, profile, &opts, error))
		return NULL;
	return g_steal_pointer(&msg);
}

/* Runs @argv with @fd (from offset 0) on its standard input; waits. */
static gboolean
keep_run_command(char **argv, int fd, int *status, GError **error)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return sg_fs_fail(error, NULL, errno, argv[0], "seek");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, STDIN_FILENO);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_REINJECT, "cannot run %s: %s", argv[0],
		    g_strerror(r));
		return FALSE;
	}
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR) {
			g_set_error(error, SG_QUARANTINE_ERROR,
			    SG_QUARANTINE_ERROR_REINJECT, "%s: wait: %s",
			    argv[0], g_strerror(errno));
			return FALSE;
		}
	}
	if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
		return TRUE;
	if (WIFEXITED(*status))
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_REINJECT, "%s exited with status %d",
		    argv[0], WEXITSTATUS(*status));
	else
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_REINJECT, "%s was killed by signal %d",
		    argv[0], WIFSIGNALED(*status) ? WTERMSIG(*status) : 0);
	return FALSE;
}

gboolean
sg_store_reinject(SgStore *store, const char *id, char **argv, int *status,
    GError **error)
{
	g_autoptr(SgStoreEntry) e = keep_find(store, id, error);
	g_autofree char *path = NULL;
	int st = -1, lock, fd;
	gboolean ok;

	if (status != NULL)
		*status = -1;
	if (e == NULL)
		return FALSE;
	if (argv == NULL || argv[0] == NULL) {
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_INVALID, "no reinjection command");
		return FALSE;
	}
	/* One release at a time: two would both deliver it. */
	lock = sg_entry_lock(e->dir, error);
	if (lock < 0)
		return FALSE;
	if (!sg_store_has(e->dir, "report.json")) {
		/* Another release took it between the find and the lock. */
		g_set_error(error, SG_QUARANTINE_ERROR,
		    SG_QUARANTINE_ERROR_NOT_FOUND, "%s: released meanwhile",
		    e->id);
		sg_quarantine_fs()->close(lock);
		return FALSE;
	}
	fd = keep_open_checked(e->dir, &path, error);
	ok = fd >= 0 && keep_run_command(argv, fd, &st, error);
	if (fd >= 0)
		sg_quarantine_fs()->close(fd);
	if (status != NULL)
		*status = st;
	if (ok && !sg_fs_remove_entry(e->dir, error)) {
		g_prefix_error(error,
		    "%s: given back to the MTA, but the entry stays "
		    "(remove it, or it is released twice): ",
		    e->id);
		ok = FALSE;
	} else if (ok) {
		sg_store_prune_dirs(e->dir);
	}
	sg_quarantine_fs()->close(lock);
	return ok;
}
