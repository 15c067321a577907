// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-check.c - libFuzzer harness for the whole check path.
 *
 * Each input is written to a memfd and checked as a plain message file
 * (the whole file is the content) under the `default` profile: envelope,
 * size, the header byte scan, the MIME pre-scan, GMime, the tree walk,
 * the encoding checks and libmagic, with an inspect table.  The profile,
 * the check context and GMime are set up once per process.  The rules
 * directory comes from $SPOOLGUARD_RULES_DIR or the source tree's rules/.
 * Seeds: testdata/ and the corpora (tests/fuzz/harnesses, make fuzz).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "spoolguard/check.h"
#include "spoolguard/rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SgCheckContext *fuzz_ctx;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SgProfile) profile = NULL;

	(void)argc;
	(void)argv;
	if (g_getenv("SPOOLGUARD_RULES_DIR") == NULL)
		g_setenv("SPOOLGUARD_RULES_DIR", SG_FUZZ_RULES_DIR, TRUE);
	g_mime_init();
	profile = sg_profile_load("default", &error);
	if (profile == NULL) {
		fprintf(stderr, "fuzz-check: %s\n", error->message);
		abort();
	}
	fuzz_ctx = sg_check_context_new(profile, &error);
	if (fuzz_ctx == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", "fuzz");
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(GError) error = NULL;
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
	sg_message_add_file(msg, "fuzz.eml", "message");
	file = sg_message_file(msg, 0);
	file->fd = fd; /* closed by sg_message_free */
	if (fstat(fd, &file->st) != 0)
		abort();
	sg_message_set_content_window(msg, 0, 0, (goffset)size);
	(void)sg_check_message(fuzz_ctx, msg, inspect, &error);
	return 0;
}
