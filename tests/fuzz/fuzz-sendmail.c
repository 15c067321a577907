// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-sendmail.c - libFuzzer harness for the Sendmail qf reader.
 *
 * Each input is one qf file, parsed from an exactly-sized heap copy (any
 * read past the end trips ASan) without a profile (the built-in default
 * profile applies).  Seeds:
 * testdata/spool/sendmail/mqueue/qf* and corrupt/mqueue/qf*.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "spool-sendmail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(SgMessage) msg =
	    sg_message_new(&sg_spool_sendmail_ops, "sendmail", "fuzz");
	g_autofree char *copy = g_malloc(size > 0 ? size : 1);
	SgSpoolSendmailInfo info;

	memcpy(copy, data, size);
	sg_message_add_file(msg, "fuzz/qffuzz", "qf");
	sg_spool_sendmail_info_init(&info);
	sg_spool_sendmail_parse_qf(msg, NULL, 0, copy, size, &info);
	sg_spool_sendmail_info_clear(&info);
	return 0;
}
