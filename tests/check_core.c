// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_core.c - the core module: number parsing, escaping, messages,
 * findings and the pread stream.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <gmime/gmime.h>

#include "spoolguard/core.h"
#include "spoolguard/stream.h"

#include "check-run.h"

START_TEST(test_parse_u64_rejects_overflow_and_junk)
{
	guint64 v = 0;

	ck_assert(sg_parse_u64("18446744073709551615", 20, &v));
	ck_assert(v == G_MAXUINT64);
	ck_assert(!sg_parse_u64("18446744073709551616", 20, &v));
	ck_assert(!sg_parse_u64("", 0, &v));
	ck_assert(!sg_parse_u64("12a", 3, &v));
	/* Length, not NUL, ends the number. */
	ck_assert(sg_parse_u64("123456", 3, &v));
	ck_assert_uint_eq(v, 123);
}
END_TEST

START_TEST(test_parse_i64_takes_padding_and_sign)
{
	gint64 v = 0;

	ck_assert(sg_parse_i64("            369", 15, &v));
	ck_assert_int_eq(v, 369);
	ck_assert(sg_parse_i64("  -5", 4, &v));
	ck_assert_int_eq(v, -5);
	ck_assert(!sg_parse_i64("9223372036854775808", 19, &v));
	ck_assert(!sg_parse_i64(" - ", 3, &v));
}
END_TEST

START_TEST(test_escape_bytes_caps_and_escapes)
{
	g_autofree char *s = sg_escape_bytes("a\0b\r\n\xff", 6, 100);
	g_autofree char *t = sg_escape_bytes("abcdef", 6, 3);

	ck_assert_str_eq(s, "a\\x00b\\r\\n\\xff");
	ck_assert_str_eq(t, "abc...");
}
END_TEST

START_TEST(test_byte_class_table)
{
	ck_assert(sg_byte_class['A'] & SG_BYTE_FTEXT);
	ck_assert(!(sg_byte_class[':'] & SG_BYTE_FTEXT));
	ck_assert(sg_byte_class[0] & SG_BYTE_CTL);
	ck_assert(sg_byte_class['\t'] & SG_BYTE_WSP);
	ck_assert(sg_byte_class[0xe9] & SG_BYTE_8BIT);
	ck_assert(sg_byte_class['_'] & SG_BYTE_QID);
	ck_assert(!(sg_byte_class['-'] & SG_BYTE_QID));
}
END_TEST

static char *
write_temp(const char *data, gsize len)
{
	char *path = g_build_filename(g_get_tmp_dir(), "sgcoreXXXXXX", NULL);
	int fd = g_mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

/*
 * sg_text_run stops at the first byte text does not hold, whatever its
 * position in a 16-byte step: every byte value at every position of a
 * 40-byte text buffer, against sg_byte_is_binary one byte at a time.
 */
START_TEST(test_text_run_stops_at_every_binary_byte)
{
	char buf[40];

	memset(buf, 'a', sizeof(buf));
	ck_assert_uint_eq(sg_text_run(buf, sizeof(buf)), sizeof(buf));
	for (guint c = 0; c < 256; c++) {
		gboolean binary = (c < 32 && c != '\t' && c != '\n' &&
		                      c != '\f' && c != '\r') ||
		    c == 127;

		ck_assert_msg(sg_byte_is_binary((guchar)c) == binary, "byte %u",
		    c);
		for (gsize at = 0; at < sizeof(buf); at++) {
			memset(buf, 'a', sizeof(buf));
			buf[at] = (char)c;
			ck_assert_uint_eq(sg_text_run(buf, sizeof(buf)),
			    binary ? at : sizeof(buf));
			/* never past the length it is given */
			ck_assert_uint_eq(sg_text_run(buf, at), at);
		}
	}
}
END_TEST

START_TEST(test_message_window_stream_reads_only_the_window)
{
	const char data[] = "x-sender: <a@b>\nSubject: hi\n\nbody\n";
	g_autofree char *path = write_temp(data, sizeof data - 1);
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", path);
	g_autoptr(GError) error = NULL;
	GMimeStream *stream;
	char buf[64];
	ssize_t n;
	guint file;
	goffset off;

	sg_message_add_file(msg, path, "message");
	ck_assert(sg_message_open_file(msg, 0, &error));
	sg_message_set_content_window(msg, 0, 16, sizeof data - 1 - 16);
	stream = sg_message_open_content(msg, &error);
	ck_assert_ptr_nonnull(stream);
	n = g_mime_stream_read(stream, buf, sizeof buf);
	ck_assert_int_eq(n, (ssize_t)(sizeof data - 1 - 16));
	ck_assert(memcmp(buf, "Subject: hi\n", 12) == 0);
	ck_assert(g_mime_stream_eos(stream));
	g_object_unref(stream);
	ck_assert(sg_message_locate(msg, 3, &file, &off));
	ck_assert_uint_eq(file, 0);
	ck_assert_int_eq(off, 19);
	unlink(path);
}
END_TEST

START_TEST(test_message_open_reports_vanished_file)
{
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", "gone");
	g_autoptr(GError) error = NULL;

	sg_message_add_file(msg, "/nonexistent/spoolguard/gone.eml", "message");
	ck_assert(!sg_message_open_file(msg, 0, &error));
	ck_assert(
	    g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED));
}
END_TEST

/* A file another process holds a lease on (another spoolguard moving
 * it) is busy, not an I/O error: the scan says so and goes on. */
START_TEST(test_message_open_leased_file_is_busy)
{
	g_autofree char *path = write_temp("From: a@b\n\nx\n", 13);
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", path);
	g_autoptr(GError) error = NULL;
	int pipefd[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(path, O_RDONLY);

		signal(SIGIO, SIG_IGN);
		(void)!write(pipefd[1],
		    fd >= 0 && fcntl(fd, F_SETLEASE, F_WRLCK) == 0 ? "y" : "n",
		    1);
		for (;;)
			pause();
	}
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	ck_assert_int_eq(c, 'y');
	sg_message_add_file(msg, path, "message");
	ck_assert(!sg_message_open_file(msg, 0, &error));
	ck_assert_msg(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_BUSY),
	    "%s", error->message);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pipefd[0]);
	close(pipefd[1]);
	unlink(path);
}
END_TEST

START_TEST(test_findings_set_the_verdict_and_ignore_drops)
{
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", "m");

	sg_message_add_file(msg, "/tmp/m.eml", "message");
	sg_message_add_finding(msg, SG_RULE_HEADER_8BIT, SG_SEVERITY_WARN, 0,
	    10, NULL, "Subject", SG_VALUE_NONE, SG_VALUE_NONE, "8-bit");
	sg_message_add_finding(msg, SG_RULE_HEADER_NUL, SG_SEVERITY_IGNORE, 0,
	    11, NULL, NULL, SG_VALUE_NONE, SG_VALUE_NONE, "nul");
	ck_assert_uint_eq(msg->findings->len, 1);
	ck_assert_int_eq(msg->verdict, SG_SEVERITY_WARN);
	ck_assert_str_eq(((SgFinding *)msg->findings->pdata[0])->file, "m.eml");
}
END_TEST

START_TEST(test_recipients_are_capped_but_counted)
{
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", "m");
	g_autofree char *big = g_strnfill(5000, 'a');

	for (guint i = 0; i < SG_RECIPIENTS_KEEP + 5; i++)
		sg_message_add_recipient(msg, "a@b", 3, 0, i);
	ck_assert_uint_eq(msg->recipients->len, SG_RECIPIENTS_KEEP);
	ck_assert_uint_eq(msg->rcpt_total, SG_RECIPIENTS_KEEP + 5);
	ck_assert_uint_eq(msg->rcpt_dropped_longest->length, 3);
	sg_message_add_recipient(msg, big, 4000, 0, 77);
	sg_message_add_recipient(msg, "b@c", 3, 0, 78);
	ck_assert_uint_eq(msg->rcpt_dropped_longest->length, 4000);
	ck_assert_int_eq(msg->rcpt_dropped_longest->offset, 77);
	sg_message_set_sender(msg, big, 5000, 0, 0);
	ck_assert_uint_eq(msg->sender->length, 5000);
	ck_assert_uint_eq(strlen(msg->sender->address), SG_ADDRESS_KEEP);
}
END_TEST

/*
 * Both ways of making a temporary file leave no name in the directory at
 * any point a test can see, and give a 0600 file that reads and writes.
 */
START_TEST(test_tmpfile_never_has_a_name)
{
	g_autofree char *dir = g_dir_make_tmp("sg-tmp-XXXXXX", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) d = NULL;
	char buf[5] = { 0 };
	struct stat st;
	int fd = _i == 0 ? sg_tmpfile_unnamed(dir, &error)
	                 : sg_tmpfile_unlinked(dir, &error);

	ck_assert_msg(fd >= 0, "%s", error ? error->message : "");
	d = g_dir_open(dir, 0, NULL);
	ck_assert_ptr_null(g_dir_read_name(d));
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(st.st_nlink, 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(write(fd, "mail", 4), 4);
	ck_assert_int_eq(pread(fd, buf, 4, 0), 4);
	ck_assert_str_eq(buf, "mail");
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_tmpfile_in_a_missing_dir_names_it)
{
	g_autoptr(GError) error = NULL;
	int fd = _i == 0 ? sg_tmpfile_unnamed("/nonexistent/sg", &error)
	                 : sg_tmpfile_unlinked("/nonexistent/sg", &error);

	ck_assert_int_eq(fd, -1);
	ck_assert(g_error_matches(error, SG_CORE_ERROR, SG_CORE_ERROR_IO));
	ck_assert(g_str_has_prefix(error->message, "/nonexistent/sg: "));
}
END_TEST

/* The readers' one pread loop: all of the range, less only at the end of
 * the file, -1 with errno on a bad descriptor. */
START_TEST(test_pread_full_reads_to_the_end_of_the_file)
{
	char path[] = "/tmp/sg-pread-XXXXXX";
	int fd = mkstemp(path);
	char buf[32];

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, "0123456789", 10), 10);
	ck_assert_int_eq(sg_pread_full(fd, buf, 4, 3), 4);
	ck_assert(memcmp(buf, "3456", 4) == 0);
	ck_assert_int_eq(sg_pread_full(fd, buf, sizeof(buf), 5), 5);
	ck_assert(memcmp(buf, "56789", 5) == 0);
	ck_assert_int_eq(sg_pread_full(fd, buf, sizeof(buf), 10), 0);
	close(fd);
	errno = 0;
	ck_assert_int_eq(sg_pread_full(fd, buf, 4, 0), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

static Suite *
core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_u64_rejects_overflow_and_junk);
	tcase_add_test(tc, test_parse_i64_takes_padding_and_sign);
	tcase_add_test(tc, test_escape_bytes_caps_and_escapes);
	tcase_add_test(tc, test_byte_class_table);
	tcase_add_test(tc, test_text_run_stops_at_every_binary_byte);
	tcase_add_test(tc, test_pread_full_reads_to_the_end_of_the_file);
	tcase_add_test(tc, test_message_window_stream_reads_only_the_window);
	tcase_add_test(tc, test_message_open_reports_vanished_file);
	tcase_add_test(tc, test_message_open_leased_file_is_busy);
	tcase_add_test(tc, test_findings_set_the_verdict_and_ignore_drops);
	tcase_add_test(tc, test_recipients_are_capped_but_counted);
	tcase_add_loop_test(tc, test_tmpfile_never_has_a_name, 0, 2);
	tcase_add_loop_test(tc, test_tmpfile_in_a_missing_dir_names_it, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_run(core_suite());
}
