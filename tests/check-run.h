/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-run.h - the main() every Check program shares: run one suite
 * with GMime set up, and turn the failures into the exit status that
 * automake's test driver reads.  CK_VERBOSITY (Check's own variable)
 * chooses how much it prints.
 */
#ifndef SPOOLGUARD_TEST_CHECK_RUN_H
#define SPOOLGUARD_TEST_CHECK_RUN_H

#include <stdlib.h>

#include <check.h>
#include <gmime/gmime.h>

/* Runs @suite (transfer full); EXIT_SUCCESS when no test failed. */
static inline int
sg_test_run(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	g_mime_init();
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	g_mime_shutdown();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* SPOOLGUARD_TEST_CHECK_RUN_H */
