/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mime-run.h - what the MIME suites share: running the whole check path
 * over bytes in memory, reading testdata/mime/ fixtures, finding a rule
 * among the findings, and the headers of a generated message.
 */
#ifndef SPOOLGUARD_TEST_MIME_RUN_H
#define SPOOLGUARD_TEST_MIME_RUN_H

#include <glib.h>

#include <check.h>

#include "spoolguard/check.h"
#include "spoolguard/rules.h"

/*
 * Runs @suite (transfer full) between loading the `default` profile and
 * shutting GMime down; the exit status for main().
 */
int sg_test_mime_main(Suite *suite);
/* (transfer none): the `default` profile sg_test_mime_main loaded. */
const SgProfile *sg_test_mime_profile(void);
/* (transfer full): a profile from the rules text @rules; never NULL. */
SgProfile *sg_test_mime_profile_new(const char *rules);

/*
 * (transfer full): checks (data, len) as a whole plain message under
 * @with; @inspect (nullable) receives the tables.
 */
SgMessage *sg_test_mime_run_with(const SgProfile *with, const char *data,
    gsize len, SgInspect *inspect);
/* The same under the `default` profile. */
SgMessage *sg_test_mime_run(const char *data, gsize len, SgInspect *inspect);
SgMessage *sg_test_mime_run_gstring(GString *s, SgInspect *inspect);
/* (transfer full): the bytes of testdata/mime/@name; *len (nullable). */
char *sg_test_mime_fixture(const char *name, gsize *len);
SgMessage *sg_test_mime_run_file(const char *name, SgInspect *inspect);

/* (transfer none) (nullable): the first finding of rule @id. */
const SgFinding *sg_test_mime_find(SgMessage *msg, const char *id);
/* (transfer full): " [rule@offset text]..." of every finding. */
char *sg_test_mime_describe(SgMessage *msg);
/* Appends the top-level headers of a generated message; returns @s. */
GString *sg_test_mime_headers(GString *s);

#endif /* SPOOLGUARD_TEST_MIME_RUN_H */
