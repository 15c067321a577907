// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-exim.c - libFuzzer harness for the Exim -H reader.
 *
 * Each input is one -H file of a fixed message id, parsed from an
 * exactly-sized heap copy (so any read past the end trips ASan) without a
 * profile (the built-in default profile applies).
 * Seeds: testdata/spool/exim/input/ *-H and corrupt/input/ *-H.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "spool-exim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char id[] = "1xUxat-0003Xo-17";
	g_autoptr(SgMessage) msg =
	    sg_message_new(&sg_spool_exim_ops, "exim", id);
	g_autofree char *copy = g_malloc(size > 0 ? size : 1);
	SgSpoolEximInfo info;

	memcpy(copy, data, size);
	sg_message_add_file(msg, "fuzz/1xUxat-0003Xo-17-H", "H");
	sg_spool_exim_info_init(&info);
	sg_spool_exim_parse_header(msg, NULL, 0, id, copy, size, &info);
	sg_spool_exim_info_clear(&info);
	return 0;
}
