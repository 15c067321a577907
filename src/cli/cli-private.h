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
#include <sysexits.h>

#include "spoolguard/core.h"
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

/* Prints "spoolguard: <msg>" to stderr. */
void sg_cli_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Parses "300", "5m", "2h", "7d" into seconds; FALSE on junk. */
gboolean sg_cli_parse_age(const char *s, gint64 *seconds);

/* Runs a GOptionContext; on error prints it and returns FALSE. */
gboolean sg_cli_parse(GOptionContext *ctx, int *argc, char ***argv);

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
 * @spool (nullable: the one the MTA's own configuration names, found with
 * postconf or exim -bP, else the Debian default).  The id is checked
 * against the MTA's alphabet before it becomes part of a path.  Errors:
 * SG_CORE_ERROR_INVALID (a bad spec), SG_CORE_ERROR_VANISHED (not found).
 */
char *sg_cli_queue_path(const char *spec, const char *spool, GError **error);

#endif /* SPOOLGUARD_CLI_PRIVATE_H */
