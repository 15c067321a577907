// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mime-run.c - the MIME suites' shared helpers (see mime-run.h).  Each
 * message is written to a memfd and checked as a plain file whose whole
 * content is the message; GLib aborts the test on any setup failure.
 */
#include "config.h"

#include "mime-run.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <check.h>
#include <gmime/gmime.h>

#include "check-run.h"

static SgProfile *profile;

int
sg_test_mime_main(Suite *suite)
{
	g_autoptr(GError) error = NULL;
	int rc;

	profile = sg_profile_load("default", &error);
	if (profile == NULL) {
		fprintf(stderr, "%s\n", error->message);
		return 1;
	}
	rc = sg_test_run(suite);
	g_clear_pointer(&profile, sg_profile_unref);
	return rc;
}

const SgProfile *
sg_test_mime_profile(void)
{
	return profile;
}

SgProfile *
sg_test_mime_profile_new(const char *rules)
{
	g_autoptr(GError) error = NULL;
	SgProfile *p =
	    sg_profile_new_from_data(rules, strlen(rules), "test", &error);

	ck_assert_msg(p != NULL, "%s", error != NULL ? error->message : "");
	return p;
}

SgMessage *
sg_test_mime_run_with(const SgProfile *with, const char *data, gsize len,
    SgInspect *inspect)
{
	g_autoptr(SgCheckContext) ctx = sg_check_context_new(with, NULL);
	g_autoptr(GError) error = NULL;
	SgMessage *msg = sg_message_new(NULL, "plain", "test");
	int fd = memfd_create("msg", MFD_CLOEXEC);
	gsize done = 0;
	SgMessageFile *file;

	g_assert_cmpint(fd, >=, 0);
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		g_assert_cmpint(n, >, 0);
		done += (gsize)n;
	}
	sg_message_add_file(msg, "test.eml", "message");
	file = sg_message_file(msg, 0);
	file->fd = fd;
	g_assert_cmpint(fstat(fd, &file->st), ==, 0);
	sg_message_set_content_window(msg, 0, 0, (goffset)len);
	if (!sg_check_message(ctx, msg, inspect, &error))
		g_error("sg_check_mime: %s", error->message);
	return msg;
}

SgMessage *
sg_test_mime_run(const char *data, gsize len, SgInspect *inspect)
{
	return sg_test_mime_run_with(profile, data, len, inspect);
}

SgMessage *
sg_test_mime_run_gstring(GString *s, SgInspect *inspect)
{
	return sg_test_mime_run(s->str, s->len, inspect);
}

char *
sg_test_mime_fixture(const char *name, gsize *len)
{
	g_autofree char *path =
	    g_build_filename(g_getenv("SPOOLGUARD_TESTDATA"), "mime", name,
	        NULL);
	char *data = NULL;

	ck_assert_msg(g_file_get_contents(path, &data, len, NULL), "%s", path);
	return data;
}

SgMessage *
sg_test_mime_run_file(const char *name, SgInspect *inspect)
{
	gsize len = 0;
	g_autofree char *data = sg_test_mime_fixture(name, &len);

	return sg_test_mime_run(data, len, inspect);
}

const SgFinding *
sg_test_mime_find(SgMessage *msg, const char *id)
{
	for (guint i = 0; i < msg->findings->len; i++) {
		const SgFinding *f = g_ptr_array_index(msg->findings, i);

		if (strcmp(sg_rule_id(f->rule), id) == 0)
			return f;
	}
	return NULL;
}

char *
sg_test_mime_describe(SgMessage *msg)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < msg->findings->len; i++) {
		const SgFinding *f = g_ptr_array_index(msg->findings, i);

		g_string_append_printf(out, " [%s@%" G_GINT64_FORMAT " %s]",
		    sg_rule_id(f->rule), (gint64)f->offset, f->text);
	}
	return g_string_free(out, FALSE);
}

GString *
sg_test_mime_headers(GString *s)
{
	g_string_append(s,
	    "From: a@example.com\nTo: b@example.com\n"
	    "Subject: generated\nMIME-Version: 1.0\n");
	return s;
}
