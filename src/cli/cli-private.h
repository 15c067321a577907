/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli-private.h - the subcommands of the spoolguard binary.
 *
 * Each subcommand lives in its own file (cmd-<name>.c), parses its own
 * options with GOptionContext and returns a sysexits.h code.  Nothing here
 * decides about messages: that is the other modules' work.
 */
#ifndef SPOOLGUARD_CLI_PRIVATE_H
#define SPOOLGUARD_CLI_PRIVATE_H

#include <glib.h>
#include <stdio.h>
#include <sysexits.h>

#include "spoolguard/check.h"
#include "spoolguard/core.h"
#include "spoolguard/quarantine.h"
#include "spoolguard/report.h"
#include "spoolguard/rules.h"

/* Exit codes beyond sysexits.h (see spoolguard(1)). */
#define SG_EXIT_OK 0
#define SG_EXIT_QUARANTINED 1

typedef int (*SgCommandFunc)(int argc, char **argv);

int sg_cmd_scan(int argc, char **argv);
int sg_cmd_check(int argc, char **argv);
int sg_cmd_inspect(int argc, char **argv);
int sg_cmd_quarantine(int argc, char **argv);
int sg_cmd_rules(int argc, char **argv);
int sg_cmd_config(int argc, char **argv);
int sg_cmd_milter(int argc, char **argv);

/* Prints "spoolguard: <msg>" to stderr. */
void sg_cli_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Parses "300", "5m", "2h", "7d" into seconds; FALSE on junk. */
gboolean sg_cli_parse_age(const char *s, gint64 *seconds);

/* The most workers scan -j takes. */
#define SG_CLI_JOBS_MAX 256
/* The longest scan --lock-wait, in seconds (a day). */
#define SG_CLI_LOCK_WAIT_MAX (24 * 3600)

/*
 * Parses a subcommand's options (cli-options.c).  @entries is the table
 * the command gave @ctx: glued short values (-j2, -q/dir) are split by
 * it, a value that looks like an option is refused, --config FILE is
 * added, and the configuration file's defaults for the command (the
 * command is the prgname's second word) go in front of what was typed.
 * Returns 0, or the exit code (64 usage, 78 bad configuration) after
 * printing why.
 */
int sg_cli_parse(GOptionContext *ctx, const GOptionEntry *entries, int *argc,
    char ***argv);
/* TRUE when the command line (not the configuration) set --@long_name. */
gboolean sg_cli_option_given(const char *long_name);
/* (nullable): the entry named --@name in the NULL-ended @tables. */
const GOptionEntry *
sg_cli_option_lookup(const GOptionEntry *const *tables, const char *name);

/* A [spool NAME] section of spoolguard.conf. */
typedef struct {
	char *name;
	char *path;
	char *profile;       /* (nullable) */
	char *action;        /* (nullable) */
	char *where;         /* "FILE:LINE" of the section */
	char *profile_where; /* "FILE:LINE" of its profile=, or NULL */
} SgCliSpool;

/*
 * The configuration file (cli-config.c): @path, else $SPOOLGUARD_CONFIG,
 * else SYSCONFDIR/spoolguard/spoolguard.conf (missing: no defaults).
 * Read and checked once; returns 0 or EX_CONFIG after printing
 * "FILE:LINE: why".
 */
int sg_cli_config_load(const char *path);
/* Adds the file's defaults for @command to @out as option words. */
int sg_cli_config_args(const char *command, const GOptionEntry *const *tables,
    GPtrArray *out);
/* (nullable) (transfer none) (element-type SgCliSpool) */
GPtrArray *sg_cli_config_spools(void);
/* (nullable) (transfer none): the file read, if any. */
const char *sg_cli_config_path(void);
/* (nullable) (transfer full): the trimmed value of [section] key=. */
char *sg_cli_config_value(const char *section, const char *key);
/* (nullable) (transfer full): "FILE:LINE" of [section] key=. */
char *sg_cli_config_where(const char *section, const char *key);
/* Prints the keys the file sets, one a line. */
void sg_cli_config_show(FILE *out);

/* Loads -r RULES, else -p PROFILE, else $SPOOLGUARD_PROFILE, else
 * "default"; on failure prints the error and sets *exit_code = EX_CONFIG. */
SgProfile *
sg_cli_load_profile(const char *profile, const char *rules, int *exit_code);
/* -q, else $SPOOLGUARD_QUARANTINE, else the compiled-in default. */
const char *sg_cli_store_dir(const char *option);
/* FALSE (after saying so) when -q was given an empty string: usage. */
gboolean sg_cli_store_option_ok(const char *option);
/* A sysexits code for an error that stopped a message being examined. */
int sg_cli_exit_for_error(const GError *error);
/*
 * Copies stdin into a temporary file that has no name; returns its
 * descriptor (the caller closes it), -1 with @error set.  Reads at most
 * @max + 1 bytes: *@over is set when stdin held more than @max, and the
 * rest is left unread.
 */
int sg_cli_spool_stdin(gint64 max, gboolean *over, GError **error);
/* How many bytes `check -` reads at most: message.size's hard limit. */
gint64 sg_cli_stdin_max(const SgProfile *profile);
/*
 * (transfer full): the plain message "<stdin>" over @fd (taken, also on
 * failure).  With @over, stdin held more than @max bytes: the message is
 * not opened, only given a message.size finding at quarantine.
 */
SgMessage *sg_cli_open_stdin(int fd, const SgProfile *profile, gint64 max,
    gboolean over, GError **error);
/* Opens one file as a plain message, no age limit (transfer full). */
SgMessage *
sg_cli_open_one(const char *path, const SgProfile *profile, GError **error);

/* What a pre-delivery hook answers (check's exit code, the milter's reply). */
typedef enum {
	SG_JUDGE_ACCEPT,   /* 0 */
	SG_JUDGE_REJECT,   /* 65, 550 5.6.0 */
	SG_JUDGE_TEMPFAIL, /* 75, 451 4.3.0: the content could not be read */
} SgJudgement;
/* What the findings already on @msg decide (no check is run). */
SgJudgement sg_cli_judgement(const SgMessage *msg);
/* Runs every check on an opened message; TEMPFAIL sets @error. */
SgJudgement sg_cli_judge(SgCheckContext *ctx, SgMessage *msg, GError **error);
/* (transfer full) (nullable): the first blocking finding as one line of
 * printable ASCII, "rule.id: text", at most @max bytes; NULL if none. */
char *sg_cli_reason(SgMessage *msg, gsize max);
/* A profile and a check context made for it (the milter's per thread,
 * recheck's per profile). */
typedef struct {
	SgProfile *profile;  /* (owned) */
	SgCheckContext *ctx; /* (owned) */
} SgCliChecker;
/* (transfer full) (nullable): a checker for @profile (transfer full:
 * unref'd on failure). */
SgCliChecker *sg_cli_checker_new(SgProfile *profile, GError **error);
void sg_cli_checker_free(gpointer checker);

/* ---- a progress line on the terminal (cli-progress.c) ------------- */

typedef struct _SgCliProgress SgCliProgress;
/* (transfer full): redraws a line on stderr from @totals (read
 * atomically) every half second, holding @out_lock, until stopped.  Start
 * it only when stderr is a terminal. */
SgCliProgress *
sg_cli_progress_start(const SgRunTotals *totals, GMutex *out_lock);
/* Takes the line away, if one is shown (before writing to the terminal). */
void sg_cli_progress_hide(void);
/* Stops the thread and takes the line away; NULL is fine. */
void sg_cli_progress_stop(SgCliProgress *progress);

/* ---- scan --notify (cli-notify.c) ---------------------------------- */

#define SG_CLI_SENDMAIL_DEFAULT "/usr/sbin/sendmail"

typedef struct _SgCliNotify SgCliNotify;
/* TRUE when @address can be handed to sendmail as a recipient. */
gboolean sg_cli_notify_address_ok(const char *address);
/* (transfer full): mails @address through @sendmail (nullable: the
 * default) at the end of a run that moved something. */
SgCliNotify *sg_cli_notify_new(const char *address, const char *sendmail);
void sg_cli_notify_free(SgCliNotify *notify);
/* Lists @msg, just acted on (thread-safe; @notify nullable). */
void sg_cli_notify_add(SgCliNotify *notify, SgMessage *msg,
    const SgOutcome *outcome);
/* How many messages were added. */
guint sg_cli_notify_count(SgCliNotify *notify);
/* Sends the one mail of the run if anything was added; TRUE otherwise. */
gboolean sg_cli_notify_send(SgCliNotify *notify, const SgRunTotals *totals,
    GError **error);

/* ---- queue ids as names of messages (cli-queue.c) ------------------- */

/*
 * (transfer full) (nullable): the path of the file that holds the message
 * @spec names, "postfix:ID", "exim:ID" or "sendmail:ID", in the spool
 * @spool (nullable: the first [spool NAME] of spoolguard.conf in that
 * MTA's layout, else the one the MTA's own configuration names, found
 * with postconf or exim -bP, else the Debian default).  The id is checked
 * against the MTA's alphabet before it becomes part of a path.  Errors:
 * SG_CORE_ERROR_INVALID (a bad spec), SG_CORE_ERROR_VANISHED (not found).
 */
char *sg_cli_queue_path(const char *spec, const char *spool, GError **error);

/* ---- keeping what is rejected (cli-keep.c) ---------------------------- */

/* (transfer full): an envelope from -S, -R, --queue-id, --client; NULL
 * after saying why, with *exit_code = EX_USAGE. */
SgEnvelope *
sg_cli_envelope(const char *received_by, const char *sender, char *const *rcpts,
    const char *queue_id, const char *client, int *exit_code);
/* Gives @msg the envelope's sender and recipients, for the checks. */
void sg_cli_envelope_apply(const SgEnvelope *env, SgMessage *msg);
/* (transfer full) (nullable): keeps @msg in the store @store_dir (made
 * if missing) and logs it; the entry id, or NULL with @error (logged). */
char *sg_cli_keep(const char *store_dir, SgMessage *msg, const SgEnvelope *env,
    const SgProfile *profile, GError **error);
/* Releases kept entry @id by reinjection (re-checked with @profile
 * unless @force); prints why it refuses; returns the exit code. */
int sg_cli_release_kept(SgStore *store, const char *id, const SgEnvelope *env,
    const SgProfile *profile, const char *command, gboolean force);

#endif /* SPOOLGUARD_CLI_PRIVATE_H */
