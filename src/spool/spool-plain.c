// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spool-plain.c - plain message folders: any directory of .eml files, MH
 * folders (all-digit names), IIS/Exchange Pickup, Drop and Queue folders
 * (NTFS_*.EML) and Exchange badmail (*.BAD; never the *.BDR reports).
 *
 * A plain message is one file of RFC 5322 text.  IIS and Exchange may put
 * envelope lines before the headers: `x-sender: <addr>` and one
 * `x-receiver: <addr>` per recipient, in any case, CRLF or LF; they end at
 * the first line that is neither.  The reader streams them with pread in
 * PLAIN_CHUNK pieces, so a 50,000-recipient envelope costs linear time and
 * at most SG_ADDRESS_KEEP + 2 bytes of line buffer; the core keeps at most
 * SG_RECIPIENTS_KEEP recipients and the true length of every address.
 * The content window starts at the first byte after the envelope.  A NUL
 * in an envelope address (IIS reads them as C strings) is a container.nul
 * finding; a NUL in a name ends the envelope, and the header checks see it.
 * Maildir messages share this open() (see spool-maildir.c).
 *
 * Still being written: a plain folder has no MTA whose rule could say, and
 * an IIS Pickup client writes the file in place under its final name (IIS
 * itself waits until it can open the file without sharing).  So a scan
 * that may move a message leaves it alone while anyone else has it: a
 * flock() held exclusively (BUSY), a POSIX record lock (fcntl, lockf) or
 * an OFD lock anywhere in the file (BUSY; asked with F_OFD_GETLK, never
 * taken), or a descriptor open for writing in any process (YOUNG; asked
 * with a read lease, which the kernel refuses while a writer has the file
 * open, and which it does not grant to a user who neither owns the file
 * nor has CAP_LEASE: then only the locks and --min-age, from the later of
 * mtime and ctime, stand guard).  The file is read under a shared flock;
 * prepare_move() makes it exclusive and asks about the others again, just
 * before the move.  In a maildir, new/ and cur/ hold finished messages by
 * the maildir protocol (written in tmp/, then renamed), and a file in tmp/
 * is never moved, even when named on the command line.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "spool-pair.h"
#include "spool-private.h"

/* Bytes read from the file at a time while parsing the envelope. */
#define PLAIN_CHUNK 65536

gboolean
sg_spool_plain_is_message_name(const char *name, gsize len)
{
	/*
	 * A folder handed to spoolguard is a folder of messages, whatever
	 * they are called (.eml, .EML, .bad, MH numbers, no extension at
	 * all): every regular file is examined except what is known not to
	 * be mail.  Missing a hostile message is worse than reporting a
	 * stray file as container.not-a-message.
	 */
	static const char *const not_mail_ext[] = {
		"bdr", /* Exchange's report on a .bad file */
		"bdp",
		"tmp",
		"lock",
		"pid",
		"log",
		"swp",
		"part",
		"md",
	};
	const char *dot;

	if (len == 0 || name[0] == '.' || name[len - 1] == '~')
		return FALSE;
	if ((len >= 6 && g_ascii_strncasecmp(name, "README", 6) == 0) ||
	    (len >= 7 && g_ascii_strncasecmp(name, "LICENSE", 7) == 0))
		return FALSE;
	dot = memrchr(name, '.', len);
	if (dot != NULL) {
		gsize ext_len = len - (gsize)(dot + 1 - name);

		for (guint i = 0; i < G_N_ELEMENTS(not_mail_ext); i++) {
			if (ext_len == strlen(not_mail_ext[i]) &&
			    g_ascii_strncasecmp(dot + 1, not_mail_ext[i],
			        ext_len) == 0)
				return FALSE;
		}
	}
	return TRUE;
}

/* ---- the IIS envelope ---------------------------------------------- */

typedef enum {
	ENV_NAME,  /* matching "x-sender:" or "x-receiver:" */
	ENV_SPACE, /* blanks after the colon */
	ENV_VALUE, /* the address, up to the line end */
} EnvState;

typedef enum {
	ENV_FIELD_NONE,
	ENV_FIELD_SENDER,
	ENV_FIELD_RECEIVER,
} EnvField;

typedef struct {
	SgMessage *msg;
	EnvState state;
	EnvField field;
	goffset line_start; /* file offset of the current line */
	gsize name_len;     /* bytes of the field name seen */
	gboolean maybe_sender, maybe_receiver; /* still prefixes? */
	goffset value_start;                   /* first byte after the blanks */
	goffset value_end; /* after the last byte that is not SP/HT/CR */
	guchar last;       /* that byte */
	gsize kept;        /* bytes of the value in keep */
	char keep[SG_ADDRESS_KEEP + 2];
	guint lines;   /* envelope lines seen */
	guint senders; /* x-sender lines seen */
	guint64 nul_n; /* NUL bytes in the values */
	goffset nul_off;
} PlainEnvelope;

static const char env_sender[] = "x-sender:";
static const char env_receiver[] = "x-receiver:";

/* Takes one more byte of the field name; which field it completes, if any. */
static EnvField
envelope_match_name(PlainEnvelope *env, guchar c)
{
	gsize n = env->name_len++;
	guchar lc = (guchar)g_ascii_tolower(c);

	env->maybe_sender = env->maybe_sender && n < sizeof(env_sender) - 1 &&
	    lc == (guchar)env_sender[n];
	env->maybe_receiver = env->maybe_receiver &&
	    n < sizeof(env_receiver) - 1 && lc == (guchar)env_receiver[n];
	if (env->maybe_sender && n + 1 == sizeof(env_sender) - 1)
		return ENV_FIELD_SENDER;
	if (env->maybe_receiver && n + 1 == sizeof(env_receiver) - 1)
		return ENV_FIELD_RECEIVER;
	return ENV_FIELD_NONE;
}

static void
envelope_begin_line(PlainEnvelope *env, goffset offset)
{
	env->state = ENV_NAME;
	env->field = ENV_FIELD_NONE;
	env->line_start = offset;
	env->name_len = 0;
	env->maybe_sender = TRUE;
	env->maybe_receiver = TRUE;
	env->value_start = offset;
	env->value_end = offset;
	env->last = 0;
	env->kept = 0;
}

/* Records the address of the line that ended; @end is past its LF/EOF. */
static void
envelope_end_line(PlainEnvelope *env, goffset end)
{
	const char *addr = env->keep;
	goffset offset = env->value_start;
	gsize len = (gsize)(env->value_end - env->value_start);

	if (len >= 2 && env->keep[0] == '<' && env->last == '>') {
		addr++;
		offset++;
		len -= 2;
	}
	if (env->field == ENV_FIELD_SENDER) {
		/* Exactly one is allowed; the first one counts. */
		if (env->senders++ == 0)
			sg_message_set_sender(env->msg, addr, len, 0, offset);
	} else {
		sg_message_add_recipient(env->msg, addr, len, 0, offset);
	}
	env->lines++;
	envelope_begin_line(env, end);
}

/*
 * Feeds (p, n), which starts at file offset @base, to the parser.
 * Returns FALSE when the envelope ended (at env->line_start).
 */
static gboolean
envelope_feed(PlainEnvelope *env, const guchar *p, gsize n, goffset base)
{
	for (gsize i = 0; i < n; i++) {
		guchar c = p[i];
		goffset off = base + (goffset)i;
		EnvField field;

		switch (env->state) {
		case ENV_NAME:
			field = envelope_match_name(env, c);
			if (!env->maybe_sender && !env->maybe_receiver)
				return FALSE;
			if (field != ENV_FIELD_NONE) {
				env->field = field;
				env->state = ENV_SPACE;
			}
			break;
		case ENV_SPACE:
			if (c == ' ' || c == '\t')
				break;
			env->state = ENV_VALUE;
			env->value_start = off;
			env->value_end = off;
			/* fall through */
		case ENV_VALUE:
			if (c == '\n') {
				envelope_end_line(env, off + 1);
				break;
			}
			if (c == '\0' && env->nul_n++ == 0)
				env->nul_off = off;
			if (env->kept < sizeof(env->keep))
				env->keep[env->kept++] = (char)c;
			if (c != ' ' && c != '\t' && c != '\r') {
				env->value_end = off + 1;
				env->last = c;
			}
			break;
		}
	}
	return TRUE;
}

/*
 * Reads the envelope lines at the start of file 0 and returns where the
 * message proper starts in *end.
 */
static gboolean
plain_read_envelope(SgMessage *msg, const SgProfile *profile, goffset *end,
    GError **error)
{
	SgMessageFile *file = sg_message_file(msg, 0);
	g_autofree guchar *buf = g_malloc(PLAIN_CHUNK);
	g_autofree PlainEnvelope *env = g_new0(PlainEnvelope, 1);
	goffset size = file->st.st_size;
	goffset pos = 0;

	env->msg = msg;
	/* A UTF-8 byte order mark (PowerShell writes one into Pickup
	 * files) stands before the envelope, not in it. */
	if (size >= 3 && sg_pread_full(file->fd, buf, 3, 0) == 3 &&
	    buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
		pos = 3;
	envelope_begin_line(env, pos);
	while (pos < size) {
		gsize want = (gsize)MIN((goffset)PLAIN_CHUNK, size - pos);
		gssize n = sg_pread_full(file->fd, buf, want, pos);

		if (n < 0) {
			int saved = errno;

			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
			    "%s: read: %s", file->path, g_strerror(saved));
			return FALSE;
		}
		if (n == 0) {
			/* Shrunk under us: take what is there. */
			size = pos;
			break;
		}
		if (!envelope_feed(env, buf, (gsize)n, pos)) {
			*end = env->line_start;
			goto done;
		}
		pos += n;
	}
	/* End of file inside a line: a complete field ends there too. */
	if (env->state == ENV_SPACE) {
		env->value_start = size;
		env->value_end = size;
	}
	if (env->state != ENV_NAME)
		envelope_end_line(env, size);
	*end = env->line_start;
done:
	if (env->nul_n > 0) {
		sg_spool_pair_event(msg, profile, SG_RULE_CONTAINER_NUL, 0,
		    env->nul_off, (gint64)MIN(env->nul_n, (guint64)G_MAXINT64),
		    "%" G_GUINT64_FORMAT " NUL byte(s) in the x-sender/"
		    "x-receiver envelope lines",
		    env->nul_n);
	}
	if (env->lines > 0) {
		if (msg->props == NULL) {
			msg->props = g_hash_table_new_full(g_str_hash,
			    g_str_equal, g_free, g_free);
		}
		g_hash_table_replace(msg->props, g_strdup("iis-envelope"),
		    g_strdup("yes"));
		g_hash_table_replace(msg->props, g_strdup("iis-envelope-bytes"),
		    g_strdup_printf("%" G_GINT64_FORMAT, (gint64)*end));
		if (env->senders > 1) {
			g_hash_table_replace(msg->props,
			    g_strdup("iis-envelope-senders"),
			    g_strdup_printf("%u", env->senders));
		}
	}
	return TRUE;
}

/*
 * Whether anyone else has file 0 of a plain or maildir message: a flock
 * (taken: shared for reading, exclusive for moving), a POSIX or OFD
 * record lock (asked about, never taken), or a descriptor open for
 * writing (a read lease, taken and dropped).  BUSY, or YOUNG for a
 * writer.
 */
static gboolean
plain_check_holders(SgMessageFile *file, gboolean exclusive, GError **error)
{
	if (exclusive ? !sg_spool_flock(file->fd, file->path, error)
	              : !sg_spool_flock_shared(file->fd, file->path, error))
		return FALSE;
	if (!sg_spool_probe_record_locks(file->fd, file->path, error))
		return FALSE;
	return sg_spool_refuse_writers(file->fd, file->path,
	    "still being written", error);
}

gboolean
sg_spool_plain_open(SgMessage *msg, const SgProfile *profile,
    const SgWalkOptions *opts, GError **error)
{
	SgMessageFile *file;
	gint64 now, changed, min_age;
	goffset envelope_end = 0;
	gboolean read_only = opts != NULL && opts->read_only;

	if (!sg_message_open_file(msg, 0, error))
		return FALSE;
	file = sg_message_file(msg, 0);

	/* A maildir's tmp/ holds deliveries under way: never moved. */
	if (!read_only && msg->ops == &sg_spool_maildir_ops &&
	    g_strcmp0(msg->queue_name, "tmp") == 0) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG,
		    "%s: in a maildir's tmp/: still being delivered",
		    file->path);
		return FALSE;
	}
	/* A file still being written is left for the next run. */
	now = opts != NULL && opts->now > 0
	    ? opts->now
	    : g_get_real_time() / G_USEC_PER_SEC;
	min_age = opts != NULL ? opts->min_age : 0;
	changed = MAX((gint64)file->st.st_mtime, (gint64)file->st.st_ctime);
	if (min_age > 0 && now - changed < min_age) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG,
		    "%s: changed %" G_GINT64_FORMAT "s ago, younger than "
		    "the minimum age of %" G_GINT64_FORMAT "s",
		    file->path, now - changed, min_age);
		return FALSE;
	}
	/* Only a scan that may move the file needs to know who holds it. */
	if (!read_only && !plain_check_holders(file, FALSE, error))
		return FALSE;
	/* Unlinked while we were opening and locking it: the MTA took it. */
	if (fstat(file->fd, &file->st) != 0) {
		int saved = errno;

		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: cannot stat: %s", file->path, g_strerror(saved));
		return FALSE;
	}
	/* A read-only look judges what it holds (check - reads stdin
	 * through a file that never has a name). */
	if (file->st.st_nlink == 0 && (opts == NULL || !opts->read_only)) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED,
		    "%s: vanished", file->path);
		return FALSE;
	}

	if (!plain_read_envelope(msg, profile, &envelope_end, error))
		return FALSE;
	sg_message_set_content_window(msg, 0, envelope_end,
	    file->st.st_size - envelope_end);
	return TRUE;
}

gboolean
sg_spool_plain_prepare_move(SgMessage *msg, GError **error)
{
	SgMessageFile *file = sg_message_file(msg, 0);

	if (file == NULL || file->fd < 0) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: not open", msg->id);
		return FALSE;
	}
	/* The shared flock becomes exclusive (or is lost: BUSY). */
	return plain_check_holders(file, TRUE, error);
}

/* plain's message_for_file(): any file at all. */
SgMessage *
sg_spool_plain_message_for_file(const char *path)
{
	return sg_spool_file_candidate(&sg_spool_plain_ops, path);
}

/* The root is a folder, whatever it holds. */
static SgSpoolDirRole
plain_root_role(int dirfd, const char *path)
{
	(void)dirfd;
	(void)path;
	return SG_SPOOL_DIR_FOLDER;
}

/* Folders are recursed, except hidden ones. */
static SgSpoolDirRole
plain_child_role(const char *name, gsize len)
{
	return len > 0 && name[0] == '.' ? SG_SPOOL_DIR_SKIP
	                                 : SG_SPOOL_DIR_FOLDER;
}

static gboolean
plain_detect(int dirfd, const char *path)
{
	(void)dirfd;
	(void)path;
	/* Any directory is a plain folder; the registry asks us last. */
	return TRUE;
}

static gboolean
plain_walk(const char *path, const SgWalkOptions *opts, SgWalkStats *stats,
    SgWalkFunc func, gpointer user_data, GError **error)
{
	return sg_spool_tree_walk(path, &sg_spool_plain_tree, opts, stats, func,
	    user_data, error);
}

const SgSpoolOps sg_spool_plain_ops = {
	.name = "plain",
	.detect = plain_detect,
	.walk = plain_walk,
	.open = sg_spool_plain_open,
	.hold = NULL,
	.prepare_move = sg_spool_plain_prepare_move,
	/* NULL: release puts the files back where the report says. */
	.release_dir = NULL,
	.message_for_file = sg_spool_plain_message_for_file,
};

const SgSpoolTree sg_spool_plain_tree = {
	.ops = &sg_spool_plain_ops,
	.is_folder = NULL,
	.root_role = plain_root_role,
	.child_role = plain_child_role,
	.never_walked = NULL,
	.is_message_name = sg_spool_plain_is_message_name,
	.holds_many = sg_spool_mbox_claims_at,
	.walk_many = sg_spool_mbox_walk_file,
	.folders_hold_messages = TRUE,
	.queue_is_dir = FALSE,
};
