/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * corpora-csv.h - reading the corpora's expectations.csv files, shared by
 * the corpora runner and the header suite's clean-mail test.
 */
#ifndef SPOOLGUARD_TEST_CORPORA_CSV_H
#define SPOOLGUARD_TEST_CORPORA_CSV_H

#include <glib.h>

/* (transfer full): rows (GPtrArray of char *) of RFC 4180 CSV text. */
GPtrArray *sg_test_csv_parse(const char *p, gsize len);
/* (transfer none): field @i of @row, or "" past its end. */
const char *sg_test_csv_field(GPtrArray *row, guint i);

#endif /* SPOOLGUARD_TEST_CORPORA_CSV_H */
