// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-postfix.c - libFuzzer harness for the Postfix record reader.
 *
 * Each input is written to a memfd and read as a Postfix queue file (or
 * as a postdrop file when it starts with 'T', as the reader decides for a
 * file outside a queue): records, pointers, the size record, envelope.
 * Then the content stream is read to its end in odd-sized chunks, a
 * substream is read, a backwards seek re-walks the records, and a few
 * content offsets are mapped back with locate.  No profile (the built-in
 * default profile applies).  Seeds: testdata/spool/postfix/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"
#include "spoolguard/core.h"

#include "spool-postfix.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	g_mime_init();
	return 0;
}

static void
fuzz_read_all(GMimeStream *s)
{
	char buf[333];

	while (g_mime_stream_read(s, buf, sizeof(buf)) > 0)
		;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "postfix", "fuzz");
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeStream) s = NULL;
	SgMessageFile *file;
	size_t done = 0;
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	sg_message_add_file(msg, "FUZZ1", "message");
	file = sg_message_file(msg, 0);
	file->fd = fd; /* closed by sg_message_free */
	if (fstat(fd, &file->st) != 0)
		abort();
	if (!sg_postfix_read(msg, 0, size > 0 && data[0] == 'T', NULL, &error))
		return 0;
	s = sg_message_open_content(msg, &error);
	if (s == NULL)
		abort(); /* the reader always sets a content */
	fuzz_read_all(s);
	if (msg->content_size > 2) {
		g_autoptr(GMimeStream) sub =
		    g_mime_stream_substream(s, 1, msg->content_size - 1);
		guint f;
		goffset off;

		fuzz_read_all(sub);
		(void)g_mime_stream_seek(sub, 0, GMIME_STREAM_SEEK_SET);
		fuzz_read_all(sub);
		(void)sg_message_locate(msg, msg->content_size / 2, &f, &off);
		(void)sg_message_locate(msg, msg->content_size - 1, &f, &off);
	}
	return 0;
}
