// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-milter.c - spoolguard milter: judge each message at SMTP time, for
 * Postfix (smtpd_milters, non_smtpd_milters) and Sendmail
 * (INPUT_MAIL_FILTER), on libmilter.
 *
 * Each message is built from the callbacks: the envelope from MAIL FROM
 * and RCPT TO, the header fields as received, the body streamed into an
 * SgMilterSpool (memory up to --memory bytes, then an unnamed temporary
 * file in --tmpdir).  At end of message sg_cli_judge, the decision of
 * `spoolguard check`, answers: accept, reject 550 5.6.0 with the reason,
 * or tempfail 451 4.3.0; with --action, quarantine (smfi_quarantine, the
 * MTA's hold), tag (an X-Spoolguard-Verdict: header) or log only.  A body
 * past the profile's hard message.size is refused at once (or, with
 * another action, no longer spooled), never buffered.  With --store, a
 * message rejected (or quarantined) is first kept in the quarantine store
 * with its envelope and report (cli-keep.c); one that cannot be kept is
 * answered 451 4.3.0, so that the client keeps it.
 *
 * Threads: libmilter runs sessions on its worker threads; each thread
 * keeps its own SgCheckContext (libmagic is not thread-safe).  smfi_main
 * runs on a thread of its own; the main thread keeps SIGHUP unblocked and
 * reloads the profile on it (Linux gives a process-directed signal to the
 * main thread first when it does not block it, so libmilter's signal
 * thread, which stops on SIGHUP, never sees it), while SIGTERM and SIGINT
 * stay blocked here and reach libmilter's thread, which stops cleanly.
 * The main thread also drops, once a second, each message whose MTA has
 * been silent for --timeout (milter_reap), under the session's lock.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "spoolguard/check.h"
#include "spoolguard/milter.h"
#include "spoolguard/report.h"

#include "cli-private.h"

/* Longest reason in an SMTP reply: a 512-byte line minus the codes. */
#define MILTER_REASON_MAX 400
/* Content bytes kept in memory per message by default. */
#define MILTER_MEMORY_DEFAULT (256 * 1024)
/* libmilter's I/O timeout by default (seconds); Postfix waits 300. */
#define MILTER_TIMEOUT_DEFAULT 600
#define MILTER_HEADER_VERDICT "X-Spoolguard-Verdict"
/* Largest milter packet taken (libmilter's own default is 64 KiB). */
#define MILTER_DATA_MAX ((1024 * 1024) - 1)

typedef enum {
	MILTER_ACTION_REJECT,
	MILTER_ACTION_QUARANTINE,
	MILTER_ACTION_TAG,
	MILTER_ACTION_LOG,
} MilterAction;

static const char *const milter_action_names[] = {
	[MILTER_ACTION_REJECT] = "reject",
	[MILTER_ACTION_QUARANTINE] = "quarantine",
	[MILTER_ACTION_TAG] = "tag",
	[MILTER_ACTION_LOG] = "log",
};

/* What every session shares; set before smfi_main, then read-only but
 * for the profile, which SIGHUP replaces under profile_lock. */
static struct {
	MilterAction action;
	gsize memory_max;
	char *tmpdir;
	gboolean log_stderr;
	char *profile_name; /* -p, or NULL */
	char *rules_path;   /* -r, or NULL */
	GMutex profile_lock;
	SgProfile *profile;
	int wake[2];       /* main thread's self-pipe: 'H' reload, 'Q' stop */
	gint64 timeout_us; /* a message the MTA is silent on this long goes */
	int ready_fd;      /* a daemon's word to its parent, or -1 */
	GMutex sessions_lock;
	GList *sessions; /* MilterSession*: every open session */
	gboolean store;  /* --store: keep what is rejected */
	char *store_dir; /* the quarantine store */
} milter;

/* One SMTP session; one message at a time. */
typedef struct {
	SgMessage *msg;       /* (owned) (nullable): between MAIL and EOM */
	SgMilterSpool *spool; /* (owned) (nullable) */
	SgProfile *profile;   /* (owned) (nullable): judged with this one */
	SgEnvelope *env;      /* (owned) (nullable): for the store */
	char *env_error;      /* (owned) (nullable): why it cannot be kept */
	gint64 size_cap;      /* content bytes refused at once, or -1 */
	gboolean over_cap;    /* the body went past it */
	gboolean spool_failed;
	char *spool_error;     /* (owned) (nullable) */
	guint verdict_headers; /* incoming X-Spoolguard-Verdict: fields */
	gboolean lead_space;   /* values keep their leading blanks */
	gboolean body_started; /* the empty line after the headers is in */
	/* Held by a callback at work and by the reaper: */
	GMutex lock;
	gint64 last_active; /* monotonic time of the last callback */
	gboolean expired;   /* the reaper dropped the message: tempfail */
} MilterSession;

/* A worker thread's check context, made again when the profile changes. */
static GPrivate milter_thread_key = G_PRIVATE_INIT(sg_cli_checker_free);

static void milter_log(int priority, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
milter_log(int priority, const char *fmt, ...)
{
	g_autofree char *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	sg_report_syslog_line(priority, "%s", line);
	if (milter.log_stderr) {
		g_autofree char *safe = sg_report_text_safe(line, 2048);

		fprintf(stderr, "spoolguard: %s\n", safe);
	}
}

static SgProfile *
milter_profile_get(void)
{
	SgProfile *p;

	g_mutex_lock(&milter.profile_lock);
	p = sg_profile_ref(milter.profile);
	g_mutex_unlock(&milter.profile_lock);
	return p;
}

static SgCheckContext *
milter_thread_context(SgProfile *profile, GError **error)
{
	SgCliChecker *t = g_private_get(&milter_thread_key);

	if (t != NULL && t->profile == profile)
		return t->ctx;
	t = sg_cli_checker_new(sg_profile_ref(profile), error);
	if (t == NULL)
		return NULL;
	g_private_replace(&milter_thread_key, t);
	return t->ctx;
}

static void
session_clear(MilterSession *s)
{
	g_clear_pointer(&s->msg, sg_message_free);
	g_clear_pointer(&s->spool, sg_milter_spool_free);
	g_clear_pointer(&s->profile, sg_profile_unref);
	g_clear_pointer(&s->spool_error, g_free);
	g_clear_pointer(&s->env, sg_envelope_free);
	g_clear_pointer(&s->env_error, g_free);
	s->size_cap = -1;
	s->over_cap = FALSE;
	s->spool_failed = FALSE;
	s->verdict_headers = 0;
	s->body_started = FALSE;
}

/* The session of @ctx, made and registered on first use, locked. */
static MilterSession *
session_enter(SMFICTX *ctx)
{
	MilterSession *s = smfi_getpriv(ctx);

	if (s == NULL) {
		s = g_new0(MilterSession, 1);
		s->size_cap = -1;
		g_mutex_init(&s->lock);
		smfi_setpriv(ctx, s);
		g_mutex_lock(&milter.sessions_lock);
		milter.sessions = g_list_prepend(milter.sessions, s);
		g_mutex_unlock(&milter.sessions_lock);
	}
	g_mutex_lock(&s->lock);
	return s;
}

static sfsistat
session_leave(MilterSession *s, sfsistat answer)
{
	s->last_active = g_get_monotonic_time();
	g_mutex_unlock(&s->lock);
	return answer;
}

/* (transfer full): the queue id the MTA gave, or NOQUEUE, printable. */
static char *
session_queue_id(SMFICTX *ctx)
{
	const char *id = smfi_getsymval(ctx, "i");

	return sg_report_text_safe(id != NULL ? id : "NOQUEUE", 64);
}

/* Copies (addr) without the angle brackets MAIL FROM and RCPT TO carry. */
static void
session_address(const char *arg, const char **p, gsize *len)
{
	gsize n = strlen(arg);

	if (n >= 2 && arg[0] == '<' && arg[n - 1] == '>') {
		*p = arg + 1;
		*len = n - 2;
		return;
	}
	*p = arg;
	*len = n;
}

/* libmilter takes '%' as a format character in replies. */
static char *
milter_reply_text(const char *reason)
{
	g_autoptr(GString) out = g_string_new("spoolguard: ");

	for (const char *p = reason; *p != '\0'; p++) {
		if (*p == '%')
			g_string_append_c(out, '%');
		g_string_append_c(out, *p);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static sfsistat
session_tempfail(SMFICTX *ctx, MilterSession *s, const char *why)
{
	g_autofree char *id = session_queue_id(ctx);
	g_autofree char *text = NULL;
	g_autofree char *line = NULL;
	SgLogFields f = { .id = id,
		.size = -1,
		.nrcpt = -1,
		.action = "tempfail",
		.error = why };

	if (s->msg != NULL && s->msg->sender != NULL)
		f.sender = s->msg->sender->address;
	line = sg_report_log_line(&f);
	milter_log(LOG_ERR, "%s", line);
	text = milter_reply_text("cannot examine the message now");
	smfi_setreply(ctx, "451", "4.3.0", text);
	session_clear(s);
	return SMFIS_TEMPFAIL;
}

static void
session_spool_error(MilterSession *s, GError *error)
{
	s->spool_failed = TRUE;
	if (s->spool_error == NULL)
		s->spool_error = g_strdup(error->message);
}

static sfsistat
step_negotiate(SMFICTX *ctx, MilterSession *s, unsigned long f0,
    unsigned long f1, unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	unsigned long skip =
	    SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA;

	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE);
	*pf1 = f1 & (skip | SMFIP_HDR_LEADSPC);
	*pf2 = 0;
	*pf3 = 0;
	s->lead_space = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	return SMFIS_CONTINUE;
}

/* Records one envelope address for the store; a first failure is kept
 * to say why the message cannot be kept. */
static void
session_envelope(MilterSession *s, const char *arg, gboolean sender)
{
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (s->env == NULL || s->env_error != NULL)
		return;
	ok = sender
	    ? sg_envelope_set_sender(s->env, arg, strlen(arg), &error)
	    : sg_envelope_add_recipient(s->env, arg, strlen(arg), &error);
	if (!ok)
		s->env_error = g_strdup(error->message);
}

static sfsistat
step_envfrom(SMFICTX *ctx, MilterSession *s, char **argv)
{
	g_autofree char *id = NULL;
	const char *addr = "";
	gsize len = 0;
	gint64 hard;

	session_clear(s);
	s->profile = milter_profile_get();
	/* A hard message.size that rejects: past it, no byte is kept. */
	hard = sg_profile_hard(s->profile, SG_RULE_MESSAGE_SIZE);
	if (hard >= 0 &&
	    sg_profile_severity(s->profile, SG_RULE_MESSAGE_SIZE) >=
	        SG_SEVERITY_QUARANTINE)
		s->size_cap = hard;
	id = session_queue_id(ctx);
	s->msg = sg_message_new(NULL, "milter", id);
	if (argv != NULL && argv[0] != NULL)
		session_address(argv[0], &addr, &len);
	sg_message_set_sender(s->msg, addr, len, G_MAXUINT, SG_OFFSET_NONE);
	s->spool = sg_milter_spool_new(milter.memory_max, milter.tmpdir);
	if (milter.store) {
		const char *name = smfi_getsymval(ctx, "{client_name}");
		const char *ip = smfi_getsymval(ctx, "{client_addr}");

		s->env = sg_envelope_new("milter");
		session_envelope(s,
		    argv != NULL && argv[0] != NULL ? argv[0] : "", TRUE);
		if (name != NULL || ip != NULL)
			s->env->client = g_strdup_printf("%s [%s]",
			    name != NULL ? name : "unknown",
			    ip != NULL ? ip : "unknown");
	}
	return SMFIS_CONTINUE;
}

static sfsistat
step_envrcpt(SMFICTX *ctx, MilterSession *s, char **argv)
{
	const char *addr;
	gsize len;

	if (s->msg == NULL || argv == NULL || argv[0] == NULL)
		return SMFIS_CONTINUE;
	session_address(argv[0], &addr, &len);
	sg_message_add_recipient(s->msg, addr, len, G_MAXUINT, SG_OFFSET_NONE);
	session_envelope(s, argv[0], FALSE);
	return SMFIS_CONTINUE;
}

/* Appends content unless the spool failed or the message is too big. */
static void
session_append(MilterSession *s, const char *name, const char *value,
    const unsigned char *body, gsize len)
{
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (s->spool_failed || s->over_cap)
		return;
	if (name != NULL)
		ok = sg_milter_spool_append_header(s->spool, name, value,
		    s->lead_space, &error);
	else
		ok = sg_milter_spool_append(s->spool, (const char *)body, len,
		    &error);
	if (!ok)
		session_spool_error(s, error);
	if (s->size_cap >= 0 && sg_milter_spool_size(s->spool) > s->size_cap)
		s->over_cap = TRUE;
}

static sfsistat session_decide(SMFICTX *ctx, MilterSession *s);

/*
 * --store: keeps a message that is about to be refused.  (transfer full)
 * the entry id; NULL with *@why set when it cannot be kept (the caller
 * tempfails), NULL and no *@why when it is not to be kept.
 */
static char *
session_keep(SMFICTX *ctx, MilterSession *s, char **why)
{
	g_autoptr(GError) error = NULL;
	const char *qid = smfi_getsymval(ctx, "i");
	char *id;

	*why = NULL;
	if (!milter.store || s->env == NULL)
		return NULL;
	if (s->over_cap) {
		milter_log(LOG_WARNING,
		    "%s: not kept: past message.size, only its first "
		    "%" G_GINT64_FORMAT " bytes were taken",
		    s->msg->id, (gint64)sg_milter_spool_size(s->spool));
		return NULL;
	}
	if (s->env_error != NULL) {
		*why = g_strdup_printf("cannot keep it: %s", s->env_error);
		return NULL;
	}
	g_free(s->env->queue_id);
	s->env->queue_id = g_strdup(qid);
	id = sg_cli_keep(milter.store_dir, s->msg, s->env, s->profile, &error);
	if (id == NULL)
		*why = g_strdup(error->message);
	return id;
}

static sfsistat
step_header(SMFICTX *ctx, MilterSession *s, char *name, char *value)
{
	if (s->msg == NULL)
		return SMFIS_CONTINUE;
	if (g_ascii_strcasecmp(name, MILTER_HEADER_VERDICT) == 0)
		s->verdict_headers++;
	session_append(s, name, value != NULL ? value : "", NULL, 0);
	if (s->spool_failed)
		return session_tempfail(ctx, s, s->spool_error);
	if (s->over_cap && milter.action == MILTER_ACTION_REJECT)
		return session_decide(ctx, s);
	return SMFIS_CONTINUE;
}

static sfsistat
step_eoh(SMFICTX *ctx, MilterSession *s)
{
	if (s->msg == NULL)
		return SMFIS_CONTINUE;
	session_append(s, NULL, NULL, (const unsigned char *)"\r\n", 2);
	s->body_started = TRUE;
	if (s->spool_failed)
		return session_tempfail(ctx, s, s->spool_error);
	return SMFIS_CONTINUE;
}

static sfsistat
step_body(SMFICTX *ctx, MilterSession *s, unsigned char *chunk, size_t len)
{
	if (s->msg == NULL)
		return SMFIS_CONTINUE;
	session_append(s, NULL, NULL, chunk, len);
	if (s->spool_failed)
		return session_tempfail(ctx, s, s->spool_error);
	/* Too big: answer now rather than take the rest. */
	if (s->over_cap && milter.action == MILTER_ACTION_REJECT)
		return session_decide(ctx, s);
	return SMFIS_CONTINUE;
}

/*
 * Judges the message (or, past the size cap, records message.size only:
 * the rest was never kept) and answers as --action says.
 */
static sfsistat
session_decide(SMFICTX *ctx, MilterSession *s)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *id = session_queue_id(ctx);
	g_autofree char *reason = NULL;
	g_autofree char *rules = NULL;
	g_autofree char *kept = NULL;
	g_autofree char *not_kept = NULL;
	g_autofree char *line = NULL;
	SgMessage *msg = s->msg;
	SgJudgement judgement;
	SgCheckContext *cctx;
	const char *done = "accept";
	sfsistat answer = SMFIS_ACCEPT;
	int priority = LOG_INFO;

	g_free(msg->id);
	msg->id = g_strdup(id);
	if (s->over_cap) {
		/* The answer `check` gives such a message: message.size. */
		sg_check_limit(msg, s->profile, SG_RULE_MESSAGE_SIZE,
		    (gint64)sg_milter_spool_size(s->spool), SG_OFFSET_NONE,
		    NULL, NULL, "message bytes");
		judgement = sg_cli_judgement(msg);
		msg->content_size = (gint64)sg_milter_spool_size(s->spool);
	} else {
		sg_milter_spool_attach(g_steal_pointer(&s->spool), msg);
		cctx = milter_thread_context(s->profile, &error);
		judgement = cctx != NULL ? sg_cli_judge(cctx, msg, &error)
		                         : SG_JUDGE_TEMPFAIL;
	}
	if (judgement == SG_JUDGE_TEMPFAIL)
		return session_tempfail(ctx, s, error->message);
	if (judgement == SG_JUDGE_REJECT &&
	    (milter.action == MILTER_ACTION_REJECT ||
	        milter.action == MILTER_ACTION_QUARANTINE)) {
		kept = session_keep(ctx, s, &not_kept);
		if (not_kept != NULL)
			return session_tempfail(ctx, s, not_kept);
	}
	rules = sg_report_rules(msg, SG_SEVERITY_WARN);
	if (judgement == SG_JUDGE_REJECT) {
		g_autofree char *text = NULL;

		reason = sg_cli_reason(msg, MILTER_REASON_MAX);
		text = milter_reply_text(reason);
		priority = LOG_WARNING;
		switch (milter.action) {
		case MILTER_ACTION_REJECT:
			smfi_setreply(ctx, "550", "5.6.0", text);
			answer = SMFIS_REJECT;
			done = "reject";
			break;
		case MILTER_ACTION_QUARANTINE: {
			/* A reason, not a reply: no '%' doubling here. */
			g_autofree char *why =
			    g_strconcat("spoolguard: ", reason, NULL);

			if (smfi_quarantine(ctx, why) == MI_SUCCESS) {
				done = "quarantine";
				break;
			}
			/* Not offered by the MTA: refuse rather than pass. */
			milter_log(LOG_ERR,
			    "%s: the MTA refused smfi_quarantine", id);
			smfi_setreply(ctx, "550", "5.6.0", text);
			answer = SMFIS_REJECT;
			done = "reject";
			break;
		}
		case MILTER_ACTION_TAG:
		case MILTER_ACTION_LOG:
			done = milter_action_names[milter.action];
			break;
		}
	}
	if (milter.action == MILTER_ACTION_TAG && answer == SMFIS_ACCEPT) {
		g_autofree char *value = NULL;

		/* Only spoolguard's own verdict may reach the next filter. */
		for (guint i = s->verdict_headers; i > 0; i--)
			smfi_chgheader(ctx, MILTER_HEADER_VERDICT, (int)i,
			    NULL);
		if (reason != NULL)
			value = g_strdup_printf("%s; %s",
			    sg_report_verdict_name(msg->verdict), reason);
		else if (rules[0] != '\0')
			value = g_strdup_printf("%s; %s",
			    sg_report_verdict_name(msg->verdict), rules);
		else
			value = g_strdup(sg_report_verdict_name(msg->verdict));
		smfi_addheader(ctx, MILTER_HEADER_VERDICT, value);
		if (judgement != SG_JUDGE_REJECT)
			done = "tag";
	}
	/* The line scan and check log: from=<>, size=, message-id=, ... */
	line = sg_report_action_line(msg,
	    &(SgOutcome){ .action = done, .reason = reason, .store_id = kept });
	milter_log(priority, "%s", line);
	session_clear(s);
	return answer;
}

static sfsistat
step_eom(SMFICTX *ctx, MilterSession *s)
{
	if (s->msg == NULL)
		return SMFIS_CONTINUE;
	if (s->spool_failed)
		return session_tempfail(ctx, s, s->spool_error);
	/* No header at all: the empty line that ends them is still due. */
	if (!s->body_started)
		session_append(s, NULL, NULL, (const unsigned char *)"\r\n", 2);
	if (s->spool_failed)
		return session_tempfail(ctx, s, s->spool_error);
	return session_decide(ctx, s);
}

/* The reaper dropped this message while the MTA was silent. */
static sfsistat
session_expired(SMFICTX *ctx, MilterSession *s)
{
	s->expired = FALSE;
	return session_tempfail(ctx, s, "the MTA was silent too long");
}

/*
 * The callbacks libmilter calls: each holds the session's lock while it
 * works, so that the reaper never frees what a callback uses.
 */
static sfsistat
milter_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	MilterSession *s = session_enter(ctx);

	return session_leave(s,
	    step_negotiate(ctx, s, f0, f1, f2, f3, pf0, pf1, pf2, pf3));
}

static sfsistat
milter_envfrom(SMFICTX *ctx, char **argv)
{
	MilterSession *s = session_enter(ctx);

	s->expired = FALSE;
	return session_leave(s, step_envfrom(ctx, s, argv));
}

#define MILTER_STEP(call)                                         \
	MilterSession *s = session_enter(ctx);                    \
                                                                  \
	if (s->expired)                                           \
		return session_leave(s, session_expired(ctx, s)); \
	return session_leave(s, call)

static sfsistat
milter_envrcpt(SMFICTX *ctx, char **argv)
{
	MILTER_STEP(step_envrcpt(ctx, s, argv));
}

static sfsistat
milter_header(SMFICTX *ctx, char *name, char *value)
{
	MILTER_STEP(step_header(ctx, s, name, value));
}

static sfsistat
milter_eoh(SMFICTX *ctx)
{
	MILTER_STEP(step_eoh(ctx, s));
}

static sfsistat
milter_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	MILTER_STEP(step_body(ctx, s, chunk, len));
}

static sfsistat
milter_eom(SMFICTX *ctx)
{
	MILTER_STEP(step_eom(ctx, s));
}

static sfsistat
milter_abort(SMFICTX *ctx)
{
	MilterSession *s = session_enter(ctx);

	session_clear(s);
	s->expired = FALSE;
	return session_leave(s, SMFIS_CONTINUE);
}

static sfsistat
milter_close(SMFICTX *ctx)
{
	MilterSession *s = smfi_getpriv(ctx);

	if (s == NULL)
		return SMFIS_CONTINUE;
	/* Out of the reaper's sight first; then no one else holds it. */
	g_mutex_lock(&milter.sessions_lock);
	milter.sessions = g_list_remove(milter.sessions, s);
	g_mutex_unlock(&milter.sessions_lock);
	session_clear(s);
	g_mutex_clear(&s->lock);
	g_free(s);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

/*
 * Drops each message whose MTA has been silent for --timeout: its memory
 * and temporary file go now, and the MTA gets 451 4.3.0 if it comes back.
 * libmilter closes such sessions itself only after its next sweep, up to
 * ten minutes later.
 */
static void
milter_reap(void)
{
	gint64 now = g_get_monotonic_time();

	g_mutex_lock(&milter.sessions_lock);
	for (GList *l = milter.sessions; l != NULL; l = l->next) {
		MilterSession *s = l->data;

		if (!g_mutex_trylock(&s->lock))
			continue; /* a callback is at work: not silent */
		if (s->msg != NULL &&
		    now - s->last_active > milter.timeout_us) {
			g_autofree char *id =
			    sg_report_text_safe(s->msg->id, 64);

			milter_log(LOG_WARNING,
			    "%s: action=drop error=\"no word from the MTA for "
			    "%" G_GINT64_FORMAT " s\"",
			    id, (now - s->last_active) / G_USEC_PER_SEC);
			session_clear(s);
			s->expired = TRUE;
		}
		g_mutex_unlock(&s->lock);
	}
	g_mutex_unlock(&milter.sessions_lock);
}

static struct smfiDesc milter_desc = {
	.xxfi_name = "spoolguard",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	.xxfi_envfrom = milter_envfrom,
	.xxfi_envrcpt = milter_envrcpt,
	.xxfi_header = milter_header,
	.xxfi_eoh = milter_eoh,
	.xxfi_body = milter_body,
	.xxfi_eom = milter_eom,
	.xxfi_abort = milter_abort,
	.xxfi_close = milter_close,
	.xxfi_negotiate = milter_negotiate,
};

/* ---- start-up: socket, daemon, privileges, signals ------------------ */

static gboolean
milter_parse_action(const char *s, MilterAction *out)
{
	for (guint i = 0; i < G_N_ELEMENTS(milter_action_names); i++) {
		if (strcmp(s, milter_action_names[i]) == 0) {
			*out = (MilterAction)i;
			return TRUE;
		}
	}
	return FALSE;
}

/* (transfer none) (nullable): the path of a unix:/local: socket spec. */
static const char *
milter_unix_path(const char *conn)
{
	if (g_str_has_prefix(conn, "unix:"))
		return conn + 5;
	if (g_str_has_prefix(conn, "local:"))
		return conn + 6;
	return NULL;
}

static gboolean
milter_valid_conn(const char *conn)
{
	const char *path = milter_unix_path(conn);

	if (path != NULL)
		return path[0] == '/';
	return g_str_has_prefix(conn, "inet:") ||
	    g_str_has_prefix(conn, "inet6:");
}

static gboolean
milter_lookup_owner(const char *spec, uid_t *uid, gid_t *gid)
{
	g_auto(GStrv) parts = g_strsplit(spec, ":", 2);
	struct passwd *pw = getpwnam(parts[0]);

	if (pw == NULL)
		return FALSE;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (parts[1] != NULL) {
		struct group *gr = getgrnam(parts[1]);

		if (gr == NULL)
			return FALSE;
		*gid = gr->gr_gid;
	}
	return TRUE;
}

static gboolean
milter_drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		sg_cli_warn("milter: no such user '%s'", user);
		return FALSE;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		sg_cli_warn("milter: cannot become %s: %s", user,
		    g_strerror(errno));
		return FALSE;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		sg_cli_warn("milter: could get root back after becoming %s",
		    user);
		return FALSE;
	}
	return TRUE;
}

static gboolean
milter_write_pid(const char *path)
{
	g_autofree char *text = g_strdup_printf("%ld\n", (long)getpid());
	int fd = open(path,
	    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	gsize len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		sg_cli_warn("milter: %s: %s", path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return FALSE;
	}
	close(fd);
	return TRUE;
}

/*
 * Forks; the child leaves the terminal and the parent waits until the
 * child serves (milter_ready: exit 0) or fails (its exit status), so that
 * whoever started the daemon learns of a bad pid file or user.
 */
static gboolean
milter_daemonize(void)
{
	int p[2], null, status;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		sg_cli_warn("milter: cannot become a daemon: %s",
		    g_strerror(errno));
		return FALSE;
	}
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &c, 1) == 1)
			_exit(0);
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status));
		_exit(EX_OSERR);
	}
	close(p[0]);
	milter.ready_fd = p[1];
	setsid();
	if (chdir("/") != 0)
		return FALSE;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	return TRUE;
}

/* A daemon serves from now on: the parent may go, stderr too. */
static void
milter_ready(void)
{
	int null;
	ssize_t n;

	if (milter.ready_fd < 0)
		return;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0 && !milter.log_stderr)
		dup2(null, STDERR_FILENO);
	if (null >= 0)
		close(null);
	n = write(milter.ready_fd, "R", 1);
	(void)n;
	close(milter.ready_fd);
	milter.ready_fd = -1;
}

static void
milter_on_hup(int sig)
{
	int saved = errno;
	ssize_t n;

	(void)sig;
	n = write(milter.wake[1], "H", 1);
	(void)n;
	errno = saved;
}

static gpointer
milter_run(gpointer data)
{
	int *rc = data;
	ssize_t n;

	*rc = smfi_main();
	n = write(milter.wake[1], "Q", 1);
	(void)n;
	return NULL;
}

static void
milter_reload(void)
{
	g_autoptr(GError) error = NULL;
	const char *what =
	    milter.rules_path != NULL ? milter.rules_path : milter.profile_name;
	SgProfile *fresh, *old;

	fresh = sg_profile_load(what, &error);
	if (fresh == NULL) {
		milter_log(LOG_ERR, "SIGHUP: keeping profile %s (%.16s): %s",
		    sg_profile_name(milter.profile),
		    sg_profile_digest(milter.profile), error->message);
		return;
	}
	g_mutex_lock(&milter.profile_lock);
	old = milter.profile;
	milter.profile = fresh;
	g_mutex_unlock(&milter.profile_lock);
	milter_log(LOG_INFO, "SIGHUP: profile %s (%.16s) loaded",
	    sg_profile_name(fresh), sg_profile_digest(fresh));
	sg_profile_unref(old);
}

/* Main thread: SIGHUP reloads; returns smfi_main's result. */
static int
milter_serve(void)
{
	struct sigaction sa = { 0 };
	sigset_t block;
	GThread *thread;
	int rc = MI_FAILURE;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	sa.sa_handler = milter_on_hup;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
	signal(SIGPIPE, SIG_IGN);

	thread = g_thread_new("milter", milter_run, &rc);
	for (;;) {
		struct pollfd p = { .fd = milter.wake[0], .events = POLLIN };
		char c;
		ssize_t n;

		/* Once a second, when nothing else happens: the reaper. */
		if (poll(&p, 1, 1000) == 0) {
			milter_reap();
			continue;
		}
		n = read(milter.wake[0], &c, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0 || c == 'Q')
			break;
		milter_reload();
	}
	g_thread_join(thread);
	return rc;
}

/* The command line of milter that has no place in the Milter. */
typedef struct {
	char *conn;
	char *action_s;
	char *mode_s;
	char *owner;
	char *user;
	char *pid_file;
	char *tmpdir;
	char *store_opt;
	gboolean foreground, log_stderr;
	gint64 memory;
	gint timeout, backlog;
	guint64 mode;
} MilterArgs;

static void
milter_args_clear(MilterArgs *a)
{
	g_free(a->conn);
	g_free(a->action_s);
	g_free(a->mode_s);
	g_free(a->owner);
	g_free(a->user);
	g_free(a->pid_file);
	g_free(a->tmpdir);
	g_free(a->store_opt);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(MilterArgs, milter_args_clear)

/* The option table of milter, pointing into @a and the Milter.
 * Returns: (transfer full). */
static GOptionEntry *
milter_option_entries(MilterArgs *a)
{
	const GOptionEntry entries[] = {
		{ "socket", 's', 0, G_OPTION_ARG_STRING, &a->conn,
		    "Listen on inet:PORT@127.0.0.1 or unix:PATH", "SOCKET" },
		{ "socket-mode", 0, 0, G_OPTION_ARG_STRING, &a->mode_s,
		    "Mode of a unix socket (default 0660)", "MODE" },
		{ "socket-owner", 0, 0, G_OPTION_ARG_STRING, &a->owner,
		    "Owner of a unix socket", "USER[:GROUP]" },
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &milter.profile_name,
		    "Judge with this profile (default: default)", "PROFILE" },
		{ "rules", 'r', 0, G_OPTION_ARG_FILENAME, &milter.rules_path,
		    "Judge with this rules file", "FILE" },
		{ "action", 'a', 0, G_OPTION_ARG_STRING, &a->action_s,
		    "For a message check rejects: reject (default), "
		    "quarantine, tag or log",
		    "ACTION" },
		{ "user", 'u', 0, G_OPTION_ARG_STRING, &a->user,
		    "Run as USER once the socket is open", "USER" },
		{ "foreground", 'f', 0, G_OPTION_ARG_NONE, &a->foreground,
		    "Stay in the foreground (default: become a daemon)", NULL },
		{ "pid-file", 'P', 0, G_OPTION_ARG_FILENAME, &a->pid_file,
		    "Write the process id to FILE", "FILE" },
		{ "tmpdir", 'T', 0, G_OPTION_ARG_FILENAME, &a->tmpdir,
		    "Spool large messages here (default /var/tmp)", "DIR" },
		{ "memory", 'm', 0, G_OPTION_ARG_INT64, &a->memory,
		    "Content bytes kept in memory per message (default "
		    "262144)",
		    "BYTES" },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &a->timeout,
		    "Seconds the MTA may be silent mid-message (default 600)",
		    "SECONDS" },
		{ "backlog", 0, 0, G_OPTION_ARG_INT, &a->backlog,
		    "listen(2) backlog", "N" },
		{ "log-stderr", 'e', 0, G_OPTION_ARG_NONE, &a->log_stderr,
		    "Also write each log line to standard error", NULL },
		{ "store", 0, 0, G_OPTION_ARG_NONE, &milter.store,
		    "Keep each rejected message in the quarantine store",
		    NULL },
		{ "quarantine", 'q', 0, G_OPTION_ARG_FILENAME, &a->store_opt,
		    "Quarantine store (default: " SG_QUARANTINE_DEFAULT_DIR ")",
		    "DIR" },
		{ NULL },
	};

	return g_memdup2(entries, sizeof entries);
}

/* Parses the command line into @a and the Milter, and checks the values.
 * Returns 0 or the exit status. */
static int
milter_parse_command_line(MilterArgs *a, int *argc, char ***argv)
{
	g_autofree GOptionEntry *entries = milter_option_entries(a);
	g_autoptr(GOptionContext) octx =
	    g_option_context_new("- judge messages at SMTP time");
	int rc;

	g_option_context_add_main_entries(octx, entries, NULL);
	g_option_context_set_description(octx,
	    "Answers at end of message: accept, 550 5.6.0 with the reason, or\n"
	    "451 4.3.0 when the message cannot be examined.  SIGHUP reloads\n"
	    "the profile.  Exit status: 0 stopped, 64 usage, 71 cannot\n"
	    "listen, 78 bad rules file.  See spoolguard(1).");
	rc = sg_cli_parse(octx, entries, argc, argv);
	if (rc != 0)
		return rc;
	if (*argc > 1) {
		sg_cli_warn("milter: unexpected argument '%s'", (*argv)[1]);
		return EX_USAGE;
	}
	if (a->conn == NULL || !milter_valid_conn(a->conn)) {
		sg_cli_warn("milter: --socket inet:PORT@HOST or unix:/PATH "
		            "is required");
		return EX_USAGE;
	}
	if (a->action_s != NULL &&
	    !milter_parse_action(a->action_s, &milter.action)) {
		sg_cli_warn("milter: unknown action '%s'", a->action_s);
		return EX_USAGE;
	}
	if (a->mode_s != NULL &&
	    (!g_ascii_string_to_unsigned(a->mode_s, 8, 0, 0777, &a->mode,
	        NULL))) {
		sg_cli_warn("milter: bad socket mode '%s'", a->mode_s);
		return EX_USAGE;
	}
	if (!sg_cli_store_option_ok(a->store_opt))
		return EX_USAGE;
	if (a->memory < 0 || a->timeout <= 0 || a->backlog < 0) {
		sg_cli_warn("milter: --memory, --timeout and --backlog take "
		            "positive numbers");
		return EX_USAGE;
	}
	return 0;
}

/* Opens the socket with libmilter, and gives a unix one its mode and
 * owner. Returns 0 or the exit status. */
static int
milter_listen(const MilterArgs *a)
{
	const char *path = milter_unix_path(a->conn);

	/* A header field of up to 1 MiB in one packet: Postfix sends one
	 * of up to header_size_limit (100 KiB by default) at once. */
	smfi_setmaxdatasize(MILTER_DATA_MAX);
	if (smfi_setconn(a->conn) != MI_SUCCESS ||
	    smfi_settimeout(a->timeout) != MI_SUCCESS ||
	    (a->backlog > 0 && smfi_setbacklog(a->backlog) != MI_SUCCESS) ||
	    smfi_register(milter_desc) != MI_SUCCESS) {
		sg_cli_warn("milter: libmilter refused %s", a->conn);
		return EX_USAGE;
	}
	if (path != NULL)
		umask(0777 & ~(mode_t)a->mode);
	if (smfi_opensocket(TRUE) != MI_SUCCESS) {
		sg_cli_warn("milter: cannot listen on %s", a->conn);
		return EX_OSERR;
	}
	umask(077);
	if (path != NULL) {
		uid_t uid = (uid_t)-1;
		gid_t gid = (gid_t)-1;

		if (a->owner != NULL &&
		    !milter_lookup_owner(a->owner, &uid, &gid)) {
			sg_cli_warn("milter: no such owner '%s'", a->owner);
			return EX_USAGE;
		}
		if (chmod(path, (mode_t)a->mode) != 0 ||
		    (a->owner != NULL && chown(path, uid, gid) != 0)) {
			sg_cli_warn("milter: %s: %s", path, g_strerror(errno));
			return EX_OSERR;
		}
	}
	return 0;
}

/* Becomes the daemon: detaches, writes the pid file, drops privileges,
 * then opens the store as that user. Returns 0 or the exit status. */
static int
milter_become_daemon(const MilterArgs *a)
{
	if (!a->foreground && !milter_daemonize())
		return EX_OSERR;
	if (a->pid_file != NULL && !milter_write_pid(a->pid_file))
		return EX_CANTCREAT;
	if (a->user != NULL && !milter_drop_privileges(a->user))
		return EX_NOPERM;
	if (milter.store) {
		g_autoptr(GError) error = NULL;
		g_autoptr(SgStore) store = NULL;

		/* As the user it runs as: it writes there from now on. */
		milter.store_dir = g_strdup(sg_cli_store_dir(a->store_opt));
		store = sg_store_open(milter.store_dir, TRUE, &error);
		if (store == NULL) {
			sg_cli_warn("milter: --store: %s", error->message);
			return EX_CANTCREAT;
		}
	}
	return 0;
}

int
sg_cmd_milter(int argc, char **argv)
{
	g_auto(MilterArgs) args = { .memory = MILTER_MEMORY_DEFAULT,
		.timeout = MILTER_TIMEOUT_DEFAULT,
		.mode = 0660 };
	int rc = 0;

	rc = milter_parse_command_line(&args, &argc, &argv);
	if (rc != 0)
		return rc;
	milter.ready_fd = -1;
	milter.memory_max = (gsize)args.memory;
	milter.timeout_us = (gint64)args.timeout * G_USEC_PER_SEC;
	milter.tmpdir = args.tmpdir != NULL ? g_steal_pointer(&args.tmpdir)
	                                    : g_strdup("/var/tmp");
	milter.log_stderr = args.log_stderr;
	milter.profile =
	    sg_cli_load_profile(milter.profile_name, milter.rules_path, &rc);
	if (milter.profile == NULL)
		return rc;
	if (milter.rules_path == NULL && milter.profile_name == NULL)
		milter.profile_name = g_strdup(sg_profile_path(milter.profile));

	rc = milter_listen(&args);
	if (rc == 0)
		rc = milter_become_daemon(&args);
	if (rc != 0)
		return rc;
	if (!g_unix_open_pipe(milter.wake, FD_CLOEXEC, NULL))
		return EX_OSERR;
	sg_report_syslog_open();
	milter_log(LOG_INFO,
	    "listening on %s, profile %s (%.16s), action %s%s%s", args.conn,
	    sg_profile_name(milter.profile), sg_profile_digest(milter.profile),
	    milter_action_names[milter.action],
	    milter.store ? ", keeping rejected messages in " : "",
	    milter.store ? milter.store_dir : "");
	milter_ready();
	rc = milter_serve() == MI_SUCCESS ? 0 : EX_SOFTWARE;
	milter_log(LOG_INFO, "stopped");
	if (args.pid_file != NULL)
		unlink(args.pid_file);
	return rc;
}
