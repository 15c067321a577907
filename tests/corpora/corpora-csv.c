// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * corpora-csv.c - a small RFC 4180 CSV reader for the corpora's
 * expectations.csv (quoted fields, doubled quotes, newlines in quotes).
 * Test code only; the returned rows own their strings.
 */
#include "config.h"

#include "corpora-csv.h"

/* Splits CSV text into rows of fields (RFC 4180 quoting). */
GPtrArray *
sg_test_csv_parse(const char *p, gsize len)
{
	GPtrArray *rows =
	    g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
	GPtrArray *row = g_ptr_array_new_with_free_func(g_free);
	GString *field = g_string_new(NULL);
	gboolean quoted = FALSE;

	for (gsize i = 0; i < len; i++) {
		char c = p[i];

		if (quoted) {
			if (c == '"' && i + 1 < len && p[i + 1] == '"') {
				g_string_append_c(field, '"');
				i++;
			} else if (c == '"') {
				quoted = FALSE;
			} else {
				g_string_append_c(field, c);
			}
		} else if (c == '"') {
			quoted = TRUE;
		} else if (c == ',') {
			g_ptr_array_add(row, g_string_free(field, FALSE));
			field = g_string_new(NULL);
		} else if (c == '\n') {
			g_ptr_array_add(row, g_string_free(field, FALSE));
			field = g_string_new(NULL);
			g_ptr_array_add(rows, row);
			row = g_ptr_array_new_with_free_func(g_free);
		} else if (c != '\r') {
			g_string_append_c(field, c);
		}
	}
	if (field->len > 0 || row->len > 0) {
		g_ptr_array_add(row, g_string_free(field, FALSE));
		g_ptr_array_add(rows, row);
	} else {
		g_string_free(field, TRUE);
		g_ptr_array_unref(row);
	}
	return rows;
}

const char *
sg_test_csv_field(GPtrArray *row, guint i)
{
	return i < row->len ? g_ptr_array_index(row, i) : "";
}
