// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmime-floor.c - the parsing floor for the benchmark: the least work any
 * GMime-based scanner must do.
 *
 * For every regular file under each PATH (walked with nftw, symlinks not
 * followed), it parses the file as one message
 * with GMime (a persistent parser over a file-descriptor stream, so part
 * contents stay in the file, as spoolguard's content window does) and
 * walks every part with an explicit stack, including the messages inside
 * message/rfc822 parts, counting parts and header fields.  No checks, no
 * limits, no reports.  Prints "files parts headers" on stdout.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>

typedef struct {
	guint64 files;
	guint64 parts;
	guint64 headers;
	guint64 failed;
} Floor;

static void
floor_walk_parts(Floor *f, GMimeObject *top)
{
	g_autoptr(GPtrArray) stack = g_ptr_array_new();

	g_ptr_array_add(stack, top);
	while (stack->len > 0) {
		GMimeObject *obj =
		    g_ptr_array_steal_index(stack, stack->len - 1);
		GMimeHeaderList *headers = g_mime_object_get_header_list(obj);

		f->parts++;
		f->headers += (guint64)g_mime_header_list_get_count(headers);
		(void)g_mime_object_get_content_type(obj);
		if (GMIME_IS_MULTIPART(obj)) {
			GMimeMultipart *mp = GMIME_MULTIPART(obj);
			int n = g_mime_multipart_get_count(mp);

			for (int i = n - 1; i >= 0; i--)
				g_ptr_array_add(stack,
				    g_mime_multipart_get_part(mp, i));
		} else if (GMIME_IS_MESSAGE_PART(obj)) {
			GMimeMessage *inner = g_mime_message_part_get_message(
			    GMIME_MESSAGE_PART(obj));

			if (inner != NULL &&
			    g_mime_message_get_mime_part(inner) != NULL)
				g_ptr_array_add(stack,
				    g_mime_message_get_mime_part(inner));
		}
	}
}

static void
floor_file(Floor *f, int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;

	if (fd < 0) {
		f->failed++;
		return;
	}
	/* The stream owns fd and closes it. */
	stream = g_mime_stream_fs_new(fd);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	msg = g_mime_parser_construct_message(parser, NULL);
	f->files++;
	if (msg == NULL) {
		f->failed++;
	} else {
		f->headers += (guint64)g_mime_header_list_get_count(
		    g_mime_object_get_header_list(GMIME_OBJECT(msg)));
		if (g_mime_message_get_mime_part(msg) != NULL)
			floor_walk_parts(f, g_mime_message_get_mime_part(msg));
		g_object_unref(msg);
	}
	g_object_unref(parser);
	g_object_unref(stream);
}

static Floor floor_totals;

static int
floor_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_F && S_ISREG(st->st_mode))
		floor_file(&floor_totals, AT_FDCWD, path);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: gmime-floor PATH...\n");
		return 64;
	}
	g_mime_init();
	/* nftw: physical walk, symlinks are not followed. */
	for (int i = 1; i < argc; i++)
		nftw(argv[i], floor_visit, 16, FTW_PHYS);
	g_mime_shutdown();
	printf("%" G_GUINT64_FORMAT " files %" G_GUINT64_FORMAT
	       " parts %" G_GUINT64_FORMAT " headers %" G_GUINT64_FORMAT
	       " unparsable\n",
	    floor_totals.files, floor_totals.parts, floor_totals.headers,
	    floor_totals.failed);
	return 0;
}
