// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_mime.c - tests of the MIME structure, encoding and content checks
 * (sg_check_mime) under the shipped `default` profile.
 *
 * The fixture table pairs every rule the check fires with a file that
 * fires it and a near miss that must not (testdata/mime/).  The pre-scan's
 * hostile inputs, the walk's tree, the tokenizer and GMime's warnings have
 * suites of their own (check_mime_prescan.c, check_mime_walk.c,
 * check_mime_token.c, check_mime_warning.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <check.h>
#include <gmime/gmime.h>

#include "spoolguard/check.h"
#include "spoolguard/rules.h"

#include "check-mime-private.h"
#include "mime-run.h"

typedef struct {
	const char *file;
	const char *fires;  /* rule that must be present, or NULL */
	const char *absent; /* rule that must be absent, or NULL */
	SgSeverity verdict; /* expected verdict under default */
} FixtureCase;

static const FixtureCase fixture_cases[] = {
	{ "bad-encoded-word.eml", "header.bad-encoded-word", NULL,
	    SG_SEVERITY_INFO },
	{ "bad-encoded-word-near.eml", NULL, "header.bad-encoded-word",
	    SG_SEVERITY_IGNORE },
	{ "bad-address.eml", "header.bad-address", NULL, SG_SEVERITY_INFO },
	{ "bad-address-near.eml", NULL, "header.bad-address",
	    SG_SEVERITY_IGNORE },
	/* A colon-less line in a part's headers: early body, not a bad name. */
	{ "part-stray-line.eml", "header.no-separator", "header.invalid-name",
	    SG_SEVERITY_WARN },
	{ "boundary-missing.eml", "mime.boundary-missing", NULL,
	    SG_SEVERITY_QUARANTINE },
	{ "boundary-missing-near.eml", NULL, "mime.boundary-missing",
	    SG_SEVERITY_IGNORE },
	{ "truncated.eml", "mime.truncated", NULL, SG_SEVERITY_WARN },
	{ "truncated-near.eml", NULL, "mime.truncated", SG_SEVERITY_IGNORE },
	{ "boundary-not-found.eml", "mime.boundary-not-found", NULL,
	    SG_SEVERITY_WARN },
	{ "boundary-not-found-near.eml", NULL, "mime.boundary-not-found",
	    SG_SEVERITY_IGNORE },
	{ "junk-after-close.eml", "mime.junk-after-close", NULL,
	    SG_SEVERITY_INFO },
	{ "junk-after-close-near.eml", NULL, "mime.junk-after-close",
	    SG_SEVERITY_IGNORE },
	{ "conflicting.eml", "header.conflicting", NULL,
	    SG_SEVERITY_QUARANTINE },
	{ "conflicting-cte.eml", "header.conflicting", NULL,
	    SG_SEVERITY_QUARANTINE },
	{ "conflicting-near.eml", NULL, "header.conflicting",
	    SG_SEVERITY_IGNORE },
	{ "duplicate-unique.eml", "header.duplicate-unique",
	    "header.conflicting", SG_SEVERITY_WARN },
	{ "duplicate-unique-near.eml", NULL, "header.duplicate-unique",
	    SG_SEVERITY_IGNORE },
	{ "encoding-domain.eml", "mime.bad-encoding-domain", NULL,
	    SG_SEVERITY_WARN },
	{ "encoding-domain-near.eml", NULL, "mime.bad-encoding-domain",
	    SG_SEVERITY_IGNORE },
	{ "bad-base64.eml", "mime.bad-base64", NULL, SG_SEVERITY_WARN },
	{ "bad-base64-near.eml", NULL, "mime.bad-base64", SG_SEVERITY_IGNORE },
	{ "bad-qp.eml", "mime.bad-qp", NULL, SG_SEVERITY_WARN },
	{ "bad-qp-near.eml", NULL, "mime.bad-qp", SG_SEVERITY_IGNORE },
	{ "qp-lowercase.eml", "mime.bad-qp", NULL, SG_SEVERITY_WARN },
	{ "qp-lowercase-near.eml", NULL, "mime.bad-qp", SG_SEVERITY_IGNORE },
	{ "encoded-line-length.eml", "mime.encoded-line-length", NULL,
	    SG_SEVERITY_WARN },
	{ "encoded-line-length-near.eml", NULL, "mime.encoded-line-length",
	    SG_SEVERITY_IGNORE },
	{ "type-mismatch.eml", "content.type-mismatch", NULL,
	    SG_SEVERITY_WARN },
	{ "type-mismatch-near.eml", NULL, "content.type-mismatch",
	    SG_SEVERITY_IGNORE },
	{ "type-differs.eml", "content.type-differs", "content.type-mismatch",
	    SG_SEVERITY_INFO },
	{ "type-differs-near.eml", NULL, "content.type-differs",
	    SG_SEVERITY_IGNORE },
	{ "nul-in-text.eml", "content.nul-in-text", NULL, SG_SEVERITY_WARN },
	{ "nul-in-text-near.eml", NULL, "content.nul-in-text",
	    SG_SEVERITY_IGNORE },
	{ "nul-in-text-utf16-near.eml", NULL, "content.nul-in-text",
	    SG_SEVERITY_IGNORE },
	{ "part-without-headers.eml", "mime.part-without-headers", NULL,
	    SG_SEVERITY_QUARANTINE },
	{ "part-without-headers-near.eml", NULL, "mime.part-without-headers",
	    SG_SEVERITY_IGNORE },
	{ "part-without-content.eml", "mime.part-without-content", NULL,
	    SG_SEVERITY_INFO },
	{ "part-without-content-near.eml", NULL, "mime.part-without-content",
	    SG_SEVERITY_IGNORE },
	{ "bad-content-type.eml", "mime.bad-content-type", NULL,
	    SG_SEVERITY_WARN },
	{ "bad-content-type-near.eml", NULL, "mime.bad-content-type",
	    SG_SEVERITY_IGNORE },
	{ "bad-parameter.eml", "mime.bad-parameter", NULL, SG_SEVERITY_WARN },
	{ "bad-parameter-near.eml", NULL, "mime.bad-parameter",
	    SG_SEVERITY_IGNORE },
	{ "param-conflict.eml", "mime.param-conflict", NULL, SG_SEVERITY_WARN },
	{ "param-conflict-near.eml", NULL, "mime.param-conflict",
	    SG_SEVERITY_IGNORE },
	{ "param-duplicate.eml", "mime.param-duplicate", "mime.param-conflict",
	    SG_SEVERITY_INFO },
	{ "param-conflict-near.eml", NULL, "mime.param-duplicate",
	    SG_SEVERITY_IGNORE },
	{ "part-invalid-name.eml", "header.invalid-name", NULL,
	    SG_SEVERITY_QUARANTINE },
	{ "part-invalid-name-near.eml", NULL, "header.invalid-name",
	    SG_SEVERITY_IGNORE },
	{ "not-a-message.eml", "container.not-a-message", NULL,
	    SG_SEVERITY_QUARANTINE },
	{ "bad-content-type-near.eml", NULL, "container.not-a-message",
	    SG_SEVERITY_IGNORE },
	{ "boundary-length.eml", "mime.boundary-length", NULL,
	    SG_SEVERITY_WARN },
	{ "boundary-length-near.eml", NULL, "mime.boundary-length",
	    SG_SEVERITY_IGNORE },
	{ "param-length.eml", "mime.param-length", NULL, SG_SEVERITY_WARN },
	{ "param-length-near.eml", NULL, "mime.param-length",
	    SG_SEVERITY_IGNORE },
	{ "encoded-word-length.eml", "mime.encoded-word-length", NULL,
	    SG_SEVERITY_WARN },
	{ "encoded-word-length-near.eml", NULL, "mime.encoded-word-length",
	    SG_SEVERITY_IGNORE },
	{ "empty-multipart.eml", "mime.boundary-not-found", NULL,
	    SG_SEVERITY_WARN },
	/*
	 * An outer boundary that begins an inner one: RFC-valid, written
	 * by real MUAs; delimiters match the inner one first, as in GMime.
	 */
	{ "nested-boundary-prefix.eml", NULL, "mime.ambiguous",
	    SG_SEVERITY_IGNORE },
	{ "nested-boundary-prefix-near.eml", NULL, "mime.malformed",
	    SG_SEVERITY_IGNORE },
	{ "encoding-domain-message.eml", "mime.bad-encoding-domain", NULL,
	    SG_SEVERITY_WARN },
	{ "encoding-domain-message-near.eml", NULL, "mime.bad-encoding-domain",
	    SG_SEVERITY_IGNORE },
	{ "forward-from-line-near.eml", NULL, "header.invalid-name",
	    SG_SEVERITY_IGNORE },
	{ "delimiter-trailing-space-near.eml", NULL, "mime.truncated",
	    SG_SEVERITY_IGNORE },
	{ "long-text-line.eml", "mime.encoded-line-length", NULL,
	    SG_SEVERITY_WARN },
	{ "long-text-line-near.eml", NULL, "mime.encoded-line-length",
	    SG_SEVERITY_IGNORE },
	/* Every header block, at every depth: the byte rules with the path. */
	{ "header-control.eml", "header.control", NULL, SG_SEVERITY_WARN },
	{ "header-control-near.eml", NULL, "header.control",
	    SG_SEVERITY_IGNORE },
	{ "part-header-nul.eml", "header.nul", NULL, SG_SEVERITY_QUARANTINE },
	{ "part-header-long.eml", "header.line-length", NULL,
	    SG_SEVERITY_WARN },
	{ "part-header-bare-cr.eml", "header.bare-cr", NULL, SG_SEVERITY_WARN },
	{ "legit-attachments.eml", NULL, "header.bare-cr", SG_SEVERITY_IGNORE },
	{ "duplicate-reply-to.eml", "header.duplicate-reply-to",
	    "header.duplicate-unique", SG_SEVERITY_INFO },
	{ "duplicate-reply-to-near.eml", NULL, "header.duplicate-reply-to",
	    SG_SEVERITY_IGNORE },
	/* Two readings of the same bytes. */
	{ "part-header-bare-cr.eml", "mime.ambiguous", NULL, SG_SEVERITY_WARN },
	{ "ambiguous-junk-field.eml", "mime.ambiguous", NULL,
	    SG_SEVERITY_WARN },
	{ "ambiguous-inner-prefix.eml", "mime.ambiguous", NULL,
	    SG_SEVERITY_WARN },
	{ "ambiguous-names.eml", "mime.ambiguous", NULL, SG_SEVERITY_WARN },
	{ "ambiguous-names-near.eml", NULL, "mime.ambiguous",
	    SG_SEVERITY_IGNORE },
	{ "ambiguous-rfc2231.eml", "mime.ambiguous", NULL, SG_SEVERITY_WARN },
	{ "ambiguous-cte.eml", "mime.ambiguous", NULL, SG_SEVERITY_WARN },
	/* The parameter grammar. */
	{ "param-space.eml", "mime.param-space", NULL, SG_SEVERITY_WARN },
	{ "param-space-near.eml", NULL, "mime.param-space",
	    SG_SEVERITY_IGNORE },
	{ "param-comment.eml", "mime.param-comment", NULL, SG_SEVERITY_WARN },
	{ "legit-attachments.eml", NULL, "mime.param-comment",
	    SG_SEVERITY_IGNORE },
	{ "param-quote.eml", "mime.param-quote", NULL, SG_SEVERITY_WARN },
	{ "param-quote-near.eml", NULL, "mime.param-quote",
	    SG_SEVERITY_IGNORE },
	{ "param-escape.eml", "mime.param-escape", NULL, SG_SEVERITY_WARN },
	{ "legit-attachments.eml", NULL, "mime.param-escape",
	    SG_SEVERITY_IGNORE },
	{ "param-syntax.eml", "mime.param-syntax", NULL, SG_SEVERITY_WARN },
	{ "param-space-near.eml", NULL, "mime.param-syntax",
	    SG_SEVERITY_IGNORE },
	{ "param-encoded.eml", "mime.param-encoded", NULL, SG_SEVERITY_WARN },
	{ "param-encoded-near.eml", NULL, "mime.param-encoded",
	    SG_SEVERITY_IGNORE },
	{ "rfc2231-sections.eml", "mime.rfc2231-sections", NULL,
	    SG_SEVERITY_WARN },
	{ "legit-rfc2231.eml", NULL, "mime.rfc2231-sections",
	    SG_SEVERITY_IGNORE },
	{ "rfc2231-encoding.eml", "mime.rfc2231-encoding", NULL,
	    SG_SEVERITY_WARN },
	{ "rfc2231-encoding-near.eml", NULL, "mime.rfc2231-encoding",
	    SG_SEVERITY_IGNORE },
	/* Boundaries and delimiters. */
	{ "boundary-chars.eml", "mime.boundary-chars", NULL, SG_SEVERITY_WARN },
	{ "boundary-chars-near.eml", NULL, "mime.boundary-chars",
	    SG_SEVERITY_IGNORE },
	{ "fake-multipart.eml", "mime.fake-multipart", NULL, SG_SEVERITY_WARN },
	{ "legit-alternative.eml", NULL, "mime.fake-multipart",
	    SG_SEVERITY_IGNORE },
	{ "delimiter-suffix.eml", "mime.delimiter-suffix", NULL,
	    SG_SEVERITY_WARN },
	{ "delimiter-trailing-space-near.eml", NULL, "mime.delimiter-suffix",
	    SG_SEVERITY_IGNORE },
	{ "undeclared-parts.eml", "mime.undeclared-parts", NULL,
	    SG_SEVERITY_WARN },
	{ "undeclared-parts-near.eml", NULL, "mime.undeclared-parts",
	    SG_SEVERITY_IGNORE },
	{ "empty-message.eml", "mime.empty-message", NULL, SG_SEVERITY_WARN },
	{ "legit-forward.eml", NULL, "mime.empty-message", SG_SEVERITY_IGNORE },
	{ "filename-path.eml", "mime.filename-path", NULL, SG_SEVERITY_WARN },
	{ "filename-path-near.eml", NULL, "mime.filename-path",
	    SG_SEVERITY_IGNORE },
	/* Transfer encodings and what bodies hold. */
	{ "cte-invalid.eml", "mime.cte-invalid", NULL, SG_SEVERITY_WARN },
	{ "cte-invalid-near.eml", NULL, "mime.cte-invalid",
	    SG_SEVERITY_IGNORE },
	{ "cte-extension.eml", "mime.cte-extension", "mime.cte-invalid",
	    SG_SEVERITY_INFO },
	{ "legit-attachments.eml", NULL, "mime.cte-extension",
	    SG_SEVERITY_IGNORE },
	{ "base64-line-length.eml", "mime.base64-line-length", NULL,
	    SG_SEVERITY_INFO },
	{ "base64-line-length-near.eml", NULL, "mime.base64-line-length",
	    SG_SEVERITY_IGNORE },
	{ "base64-layout.eml", "mime.base64-layout", NULL, SG_SEVERITY_WARN },
	{ "base64-line-length-near.eml", NULL, "mime.base64-layout",
	    SG_SEVERITY_IGNORE },
	{ "body-nul.eml", "mime.body-nul", NULL, SG_SEVERITY_WARN },
	{ "body-nul-near.eml", NULL, "mime.body-nul", SG_SEVERITY_IGNORE },
	{ "hidden-encoding.eml", "content.hidden-encoding", NULL,
	    SG_SEVERITY_WARN },
	{ "hidden-encoding-near.eml", NULL, "content.hidden-encoding",
	    SG_SEVERITY_IGNORE },
	{ "legacy-encoding.eml", "content.legacy-encoding",
	    "content.hidden-encoding", SG_SEVERITY_INFO },
	{ "hidden-encoding-near.eml", NULL, "content.legacy-encoding",
	    SG_SEVERITY_IGNORE },
	/* Legitimate mail: nothing at all under default. */
	{ "legit-alternative.eml", NULL, NULL, SG_SEVERITY_IGNORE },
	{ "legit-forward.eml", NULL, NULL, SG_SEVERITY_IGNORE },
	{ "legit-rfc2231-boundary.eml", NULL, NULL, SG_SEVERITY_IGNORE },
	{ "legit-signed.eml", NULL, NULL, SG_SEVERITY_IGNORE },
	{ "legit-attachments.eml", NULL, NULL, SG_SEVERITY_IGNORE },
	{ "legit-rfc2231.eml", NULL, "mime.param-conflict",
	    SG_SEVERITY_IGNORE },
	{ "legit-crlf.eml", NULL, NULL, SG_SEVERITY_IGNORE },
};

START_TEST(test_mime_fixture_fires_or_not)
{
	const FixtureCase *c = &fixture_cases[_i];
	g_autoptr(SgMessage) msg = sg_test_mime_run_file(c->file, NULL);
	g_autofree char *got = sg_test_mime_describe(msg);

	if (c->fires != NULL)
		ck_assert_msg(sg_test_mime_find(msg, c->fires) != NULL,
		    "%s: %s missing; got%s", c->file, c->fires, got);
	if (c->absent != NULL)
		ck_assert_msg(sg_test_mime_find(msg, c->absent) == NULL,
		    "%s: %s present; got%s", c->file, c->absent, got);
	ck_assert_msg(msg->verdict == c->verdict, "%s: verdict %s, want %s;%s",
	    c->file, sg_severity_to_string(msg->verdict),
	    sg_severity_to_string(c->verdict), got);
}
END_TEST

/* ---- offsets ----------------------------------------------------------- */

START_TEST(test_mime_offsets_point_at_the_bytes)
{
	gsize len = 0;
	g_autofree char *data = sg_test_mime_fixture("conflicting.eml", &len);
	g_autoptr(SgMessage) msg = NULL;
	const SgFinding *f;

	msg = sg_test_mime_run(data, len, NULL);
	f = sg_test_mime_find(msg, "header.conflicting");
	ck_assert_ptr_nonnull(f);
	/* GMime's stream position of the second Content-Type field. */
	ck_assert_int_ge(f->offset, 0);
	ck_assert_int_lt(f->offset, (gint64)len);
	ck_assert_msg(strncmp(data + f->offset, "Content-Type: text/html",
	                  23) == 0,
	    "offset %" G_GINT64_FORMAT " points at '%.20s'", (gint64)f->offset,
	    data + f->offset);
}
END_TEST

START_TEST(test_mime_offsets_are_content_offsets_in_a_window)
{
	/* The same message behind 100 bytes of spool-file envelope. */
	gsize len = 0;
	g_autofree char *data = sg_test_mime_fixture("bad-qp.eml", &len);
	g_autoptr(SgCheckContext) ctx =
	    sg_check_context_new(sg_test_mime_profile(), NULL);
	g_autoptr(SgMessage) msg = sg_message_new(NULL, "plain", "window");
	g_autoptr(GError) error = NULL;
	int fd = memfd_create("win", MFD_CLOEXEC);
	char pad[100];
	SgMessageFile *file;
	const SgFinding *f;

	memset(pad, 'E', sizeof(pad));
	ck_assert_int_eq(write(fd, pad, sizeof(pad)), sizeof(pad));
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	sg_message_add_file(msg, "spool", "message");
	file = sg_message_file(msg, 0);
	file->fd = fd;
	ck_assert_int_eq(fstat(fd, &file->st), 0);
	sg_message_set_content_window(msg, 0, sizeof(pad), (goffset)len);
	ck_assert(sg_check_mime(ctx, msg, NULL, &error));
	f = sg_test_mime_find(msg, "mime.bad-qp");
	ck_assert_ptr_nonnull(f);
	/* Findings carry file offsets: content offset + window start. */
	ck_assert_int_ge(f->offset, (gint64)sizeof(pad));
	ck_assert_msg(strncmp(data + f->offset - sizeof(pad), "=ZZ", 3) == 0,
	    "offset %" G_GINT64_FORMAT, (gint64)f->offset);
	ck_assert_ptr_null(sg_test_mime_find(msg, "container.not-a-message"));
}
END_TEST

START_TEST(test_mime_base64_offset_is_first_bad_character)
{
	gsize len = 0;
	g_autofree char *data = sg_test_mime_fixture("bad-base64.eml", &len);
	g_autoptr(SgMessage) msg = NULL;
	const SgFinding *f;

	msg = sg_test_mime_run(data, len, NULL);
	f = sg_test_mime_find(msg, "mime.bad-base64");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(data[f->offset], '*');
	ck_assert_str_eq(f->part, "1.1");
}
END_TEST

/* ---- content ---------------------------------------------------------- */

/*
 * A zip declared application/octet-stream: inspect still shows what
 * libmagic makes of it; a scan (no inspect) does not ask libmagic, since
 * no rule judges such a part by content, unless its name says document.
 */
static SgMessage *
run_octet_stream(const char *name, SgInspect *inspect)
{
	g_autofree char *data = sg_test_mime_fixture("type-mismatch.eml", NULL);
	g_autofree char *ct = NULL;
	g_autoptr(GString) s = NULL;

	s = g_string_new(data);
	ct = g_strdup_printf("Content-Type: application/octet-stream; "
	                     "name=\"%s\"",
	    name);
	ck_assert_uint_eq(g_string_replace(s,
	                      "Content-Type: text/plain; name=\"notes.txt\"",
	                      ct, 1),
	    1);
	g_free(ct);
	ct = g_strdup_printf("filename=\"%s\"", name);
	ck_assert_uint_eq(g_string_replace(s, "filename=\"notes.txt\"", ct, 1),
	    1);
	return sg_test_mime_run(s->str, s->len, inspect);
}

START_TEST(test_mime_octet_stream_sniffed_when_shown_or_judged)
{
	g_autoptr(SgInspect) inspect = sg_inspect_new();
	g_autoptr(SgMessage) shown = run_octet_stream("data.bin", inspect);
	g_autoptr(SgMessage) scanned = run_octet_stream("data.bin", NULL);
	g_autoptr(SgMessage) named = run_octet_stream("invoice.pdf", NULL);
	SgPartRow *row;

	ck_assert_uint_eq(inspect->parts->len, 3);
	row = g_ptr_array_index(inspect->parts, 2);
	ck_assert_str_eq(row->path, "1.2");
	ck_assert_ptr_nonnull(row->sniffed);
	ck_assert_msg(sg_content_type_is_risky(row->sniffed), "sniffed %s",
	    row->sniffed);
	ck_assert_ptr_null(sg_test_mime_find(shown, "content.type-mismatch"));
	ck_assert_ptr_null(sg_test_mime_find(scanned, "content.type-mismatch"));
	ck_assert_ptr_null(sg_test_mime_find(scanned, "content.type-differs"));
	ck_assert_ptr_nonnull(
	    sg_test_mime_find(named, "content.type-mismatch"));
}
END_TEST

/*
 * The encoding check skips runs of plain bytes (16 base64 characters at a
 * time, text up to the next line break or '='); fed one byte per call it
 * takes no run longer than one byte, the byte-by-byte state machine.
 * Whole buffers and random chunkings must end in the same state.
 */
static void
gen_encoded(GRand *rnd, GString *s)
{
	static const char *const pieces[] = {
		"QUJDREVGR0hJSktMTU5PUFFSU1RVVldY",
		"abcdefghijklmnopqrstuvwxyz0123456789+/", "=", "==", "\r\n",
		"\n", " ", "\t", "!", "\x80\xff", "=4", "=4F", "=\r\n", "=\n",
		"=zz", "\r", "A", "\0", "caf\xc3\xa9 au lait, plain text "
	};
	guint n = (guint)g_rand_int_range(rnd, 1, 200);

	g_string_truncate(s, 0);
	for (guint i = 0; i < n; i++) {
		const char *p =
		    pieces[g_rand_int_range(rnd, 0, G_N_ELEMENTS(pieces))];
		gsize len = p[0] == '\0' ? 1 : strlen(p);
		guint reps = (guint)g_rand_int_range(rnd, 1, 40);

		for (guint r = 0; r < reps; r++)
			g_string_append_len(s, p, (gssize)len);
	}
}

/* Field by field: the compiler may leave padding bytes different. */
static gboolean
encoding_same(const SgEncodingCheck *a, const SgEncodingCheck *b)
{
	return a->kind == b->kind && a->line_len == b->line_len &&
	    a->line_start == b->line_start && a->max_line == b->max_line &&
	    a->max_line_offset == b->max_line_offset &&
	    a->quantum == b->quantum && a->pad == b->pad &&
	    a->finished == b->finished && a->bad_chars == b->bad_chars &&
	    a->bad_char_offset == b->bad_char_offset &&
	    a->after_pad == b->after_pad &&
	    a->after_pad_offset == b->after_pad_offset &&
	    a->bad_pad == b->bad_pad &&
	    a->bad_pad_offset == b->bad_pad_offset &&
	    a->qp_state == b->qp_state &&
	    a->qp_escape_offset == b->qp_escape_offset &&
	    a->bad_escapes == b->bad_escapes &&
	    a->bad_escape_offset == b->bad_escape_offset &&
	    a->qpd_state == b->qpd_state && a->qpd_save == b->qpd_save &&
	    a->qpd_zero == b->qpd_zero && a->saw_cr == b->saw_cr;
}

/* The longest line of (p, len), CR LF counted as a line break, by hand. */
static void
longest_line(const char *p, gsize len, gint64 *max, gsize *last)
{
	gsize cur = 0;

	*max = 0;
	for (gsize i = 0; i < len; i++) {
		if (p[i] != '\n') {
			cur++;
			continue;
		}
		if (cur > 0 && p[i - 1] == '\r')
			cur--;
		*max = MAX(*max, (gint64)cur);
		cur = 0;
	}
	*last = cur;
}

START_TEST(test_mime_encoding_runs_match_byte_by_byte)
{
	static const SgEncodingKind kinds[] = { SG_ENCODING_BASE64,
		SG_ENCODING_QP, SG_ENCODING_TEXT, SG_ENCODING_OTHER };
	g_autoptr(GRand) rnd = g_rand_new_with_seed(6);
	g_autoptr(GString) s = g_string_new(NULL);

	for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
		for (guint round = 0; round < 300; round++) {
			SgEncodingCheck one, whole, chunks;
			gsize at = 0;

			gen_encoded(rnd, s);
			sg_encoding_check_init(&one, kinds[k], 7);
			sg_encoding_check_init(&whole, kinds[k], 7);
			sg_encoding_check_init(&chunks, kinds[k], 7);
			for (gsize i = 0; i < s->len; i++)
				sg_encoding_check_feed(&one, s->str + i, 1,
				    7 + (goffset)i);
			sg_encoding_check_feed(&whole, s->str, s->len, 7);
			while (at < s->len) {
				gsize n = (gsize)g_rand_int_range(rnd, 1, 100);

				n = MIN(n, s->len - at);

				sg_encoding_check_feed(&chunks, s->str + at, n,
				    7 + (goffset)at);
				at += n;
			}
			/* Binary bodies have no line rules: nothing tracked. */
			if (kinds[k] == SG_ENCODING_OTHER) {
				ck_assert_int_eq(whole.max_line, 0);
				ck_assert_uint_eq(whole.line_len, 0);
			} else {
				gint64 max;
				gsize last;

				longest_line(s->str, s->len, &max, &last);
				ck_assert_int_eq(whole.max_line, max);
				ck_assert_uint_eq(whole.line_len, last);
			}
			ck_assert_msg(encoding_same(&one, &whole),
			    "kind %u round %u: whole buffer differs", k, round);
			ck_assert_msg(encoding_same(&one, &chunks),
			    "kind %u round %u: chunked feed differs", k, round);
		}
	}
}
END_TEST

/*
 * The pre-scan follows GMime's quoted-printable decoder to know whether it
 * can decode a NUL: for random quoted-printable (raw NULs left out), fed
 * whole, byte by byte and in random chunks, "=00 decoded" must be true
 * exactly when g_mime_encoding_quoted_decode_step puts out a NUL.
 */
START_TEST(test_mime_qp_nul_proof_follows_gmime_decoder)
{
	g_autoptr(GRand) rnd = g_rand_new_with_seed(11);
	g_autoptr(GString) s = g_string_new(NULL);
	guint zeros = 0, binaries = 0;

	for (guint round = 0; round < 2000; round++) {
		SgEncodingCheck whole, one, chunks;
		g_autofree guchar *out = NULL;
		gboolean decoded_nul, decoded_binary;
		int state = 0;
		guint32 save = 0;
		gsize n, at = 0;

		gen_encoded(rnd, s);
		/* "=00", other escapes and near misses, no raw binary byte */
		for (guint k = g_rand_int_range(rnd, 0, 6); k > 0; k--)
			g_string_insert(s,
			    g_rand_int_range(rnd, 0, (gint32)s->len + 1),
			    (const char *[]){ "=00", "==00", "=0=00", "=\n00",
			        "=0\n0", "=A=00", "=1B", "=1b", "=7F", "=0C",
			        "=09", "=0D=0A",
			        "=1=B" }[g_rand_int_range(rnd, 0, 13)]);
		for (gsize i = 0; i < s->len; i++)
			if (sg_byte_is_binary((guchar)s->str[i]))
				s->str[i] = 'x';
		out = g_malloc(s->len + 3);
		n = g_mime_encoding_quoted_decode_step((const guchar *)s->str,
		    s->len, out, &state, &save);
		decoded_nul = memchr(out, '\0', n) != NULL;
		decoded_binary = sg_text_run((const char *)out, n) != n;
		zeros += decoded_nul;
		binaries += decoded_binary;
		sg_encoding_check_init(&whole, SG_ENCODING_QP, 0);
		sg_encoding_check_init(&one, SG_ENCODING_QP, 0);
		sg_encoding_check_init(&chunks, SG_ENCODING_QP, 0);
		sg_encoding_check_feed(&whole, s->str, s->len, 0);
		for (gsize i = 0; i < s->len; i++)
			sg_encoding_check_feed(&one, s->str + i, 1, (goffset)i);
		while (at < s->len) {
			gsize k = MIN((gsize)g_rand_int_range(rnd, 1, 50),
			    s->len - at);

			sg_encoding_check_feed(&chunks, s->str + at, k,
			    (goffset)at);
			at += k;
		}
		ck_assert_msg(whole.qpd_zero == decoded_nul,
		    "round %u: pre-scan says %d, GMime decoded %s NUL", round,
		    whole.qpd_zero, decoded_nul ? "a" : "no");
		ck_assert(one.qpd_zero == decoded_nul);
		ck_assert(chunks.qpd_zero == decoded_nul);
		/* the pre-scan stops following the decoder at the first NUL */
		if (!decoded_nul) {
			ck_assert_msg(whole.qpd_binary == decoded_binary,
			    "round %u: pre-scan says binary %d, GMime decoded "
			    "%s binary byte",
			    round, whole.qpd_binary,
			    decoded_binary ? "a" : "no");
			ck_assert(one.qpd_binary == decoded_binary);
			ck_assert(chunks.qpd_binary == decoded_binary);
		}
	}
	/* both outcomes were tried */
	ck_assert_uint_gt(zeros, 100);
	ck_assert_uint_lt(zeros, 1900);
	ck_assert_uint_gt(binaries, zeros + 100);
	ck_assert_uint_lt(binaries, 1900);
}
END_TEST

/*
 * A gzip stream sent as quoted-printable text/plain: the pre-scan must see
 * the binary bytes behind the escapes and leave the part to libmagic.
 * The bytes hold no NUL, so only the binary-byte proof stands between the
 * part and a skipped sniff.
 */
START_TEST(test_mime_qp_text_with_binary_escapes_is_sniffed)
{
	g_autoptr(GString) s = sg_test_mime_headers(g_string_new(NULL));
	g_autoptr(SgMessage) msg = NULL;
	g_autofree char *got = NULL;
	guchar gz[200] = { 0x1f, 0x8b, 0x08, 0x01, 0x11, 0x22, 0x33, 0x44, 0x02,
		0x03 };

	for (gsize i = 10; i < sizeof(gz); i++)
		gz[i] = (guchar)(0x41 + (i * 7) % 50);
	g_string_append(s,
	    "Content-Type: multipart/mixed; boundary=x\n\n"
	    "--x\nContent-Type: text/plain\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n");
	for (gsize i = 0; i < sizeof(gz); i++) {
		ck_assert_uint_ne(gz[i], 0);
		g_string_append_printf(s, "=%02X", gz[i]);
		if (i % 20 == 19)
			g_string_append(s, "=\n");
	}
	g_string_append(s, "\n--x--\n");
	msg = sg_test_mime_run_gstring(s, NULL);
	got = sg_test_mime_describe(msg);
	ck_assert_msg(sg_test_mime_find(msg, "content.type-mismatch") != NULL,
	    "gzip as QP text was not sniffed;%s", got);

	/* The same bytes raw in an 8bit part: the raw check must see them. */
	g_clear_pointer(&msg, sg_message_free);
	g_clear_pointer(&got, g_free);
	g_string_truncate(s, 0);
	sg_test_mime_headers(s);
	g_string_append(s,
	    "Content-Type: multipart/mixed; boundary=x\n\n"
	    "--x\nContent-Type: text/plain\n"
	    "Content-Transfer-Encoding: 8bit\n\n");
	g_string_append_len(s, (const char *)gz, sizeof(gz));
	g_string_append(s, "\n--x--\n");
	msg = sg_test_mime_run_gstring(s, NULL);
	got = sg_test_mime_describe(msg);
	ck_assert_msg(sg_test_mime_find(msg, "content.type-mismatch") != NULL,
	    "gzip as 8bit text was not sniffed;%s", got);
}
END_TEST

/*
 * NULs in text parts: the pre-scan's count (identity encodings) and the
 * decoded count (base64) must agree, past the sniff window, across read
 * buffers and right before a delimiter or the end of the content.
 */
static GString *
gen_nul_text(gboolean nuls)
{
	GString *t = g_string_new(NULL);

	while (t->len < 200000)
		g_string_append(t,
		    "the quick brown fox jumps over the lazy dog, again "
		    "and again and again\n");
	if (nuls) {
		t->str[70000] = '\0';
		t->str[150000] = '\0';
		t->str[t->len - 2] = '\0'; /* the last byte before the break */
	}
	return t;
}

typedef struct {
	const char *what;
	const char *cte;
	gboolean multipart;
	gboolean nuls;
} NulCase;

static const NulCase nul_cases[] = {
	{ "8bit in a multipart", "8bit", TRUE, TRUE },
	{ "binary, the whole message", "binary", FALSE, TRUE },
	{ "7bit, no final line break", "7bit", FALSE, TRUE },
	{ "base64 in a multipart", "base64", TRUE, TRUE },
	{ "quoted-printable, =00 escapes", "quoted-printable", TRUE, TRUE },
	{ "quoted-printable, raw NULs", "quoted-printable", FALSE, TRUE },
	{ "8bit without NULs", "8bit", TRUE, FALSE },
	{ "base64 without NULs", "base64", TRUE, FALSE },
	{ "quoted-printable without NULs", "quoted-printable", TRUE, FALSE },
};

START_TEST(test_mime_nul_count_is_the_same_in_every_encoding)
{
	const NulCase *c = &nul_cases[_i];
	g_autoptr(GString) text = gen_nul_text(c->nuls);
	g_autoptr(GString) s = sg_test_mime_headers(g_string_new(NULL));
	g_autoptr(SgMessage) msg = NULL;
	g_autofree char *got = NULL;
	const SgFinding *f;

	if (c->multipart)
		g_string_append(s,
		    "Content-Type: multipart/mixed; boundary=x\n\n--x\n");
	g_string_append_printf(s,
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "Content-Transfer-Encoding: %s\n\n",
	    c->cte);
	if (strcmp(c->cte, "base64") == 0) {
		g_autofree char *b64 =
		    g_base64_encode((const guchar *)text->str, text->len);
		gsize n = strlen(b64);

		for (gsize i = 0; i < n; i += 76) {
			g_string_append_len(s, b64 + i, MIN(76, n - i));
			g_string_append_c(s, '\n');
		}
	} else if (strstr(c->what, "=00") != NULL) {
		for (gsize i = 0; i < text->len; i++) {
			if (text->str[i] == '\0')
				g_string_append(s, "=00");
			else
				g_string_append_c(s, text->str[i]);
		}
	} else if (strstr(c->what, "no final") != NULL) {
		g_string_append_len(s, text->str, (gssize)text->len - 1);
	} else {
		g_string_append_len(s, text->str, (gssize)text->len);
	}
	if (c->multipart)
		g_string_append(s,
		    "--x\nContent-Type: text/plain\n\nnext\n--x--\n");
	msg = sg_test_mime_run_gstring(s, NULL);
	got = sg_test_mime_describe(msg);
	f = sg_test_mime_find(msg, "content.nul-in-text");
	if (!c->nuls) {
		ck_assert_msg(f == NULL, "%s: fired;%s", c->what, got);
		return;
	}
	ck_assert_msg(f != NULL, "%s: missing;%s", c->what, got);
	ck_assert_msg(strstr(f->text,
	                  ": 3 NUL bytes in the decoded text, the first at "
	                  "decoded byte 70000") != NULL,
	    "%s: %s", c->what, f->text);
}
END_TEST

static Suite *
mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("fixtures");

	tcase_add_loop_test(tc, test_mime_fixture_fires_or_not, 0,
	    G_N_ELEMENTS(fixture_cases));
	tcase_add_test(tc, test_mime_offsets_point_at_the_bytes);
	tcase_add_test(tc, test_mime_offsets_are_content_offsets_in_a_window);
	tcase_add_test(tc, test_mime_base64_offset_is_first_bad_character);
	tcase_add_test(tc, test_mime_encoding_runs_match_byte_by_byte);
	tcase_add_test(tc, test_mime_qp_nul_proof_follows_gmime_decoder);
	tcase_add_loop_test(tc,
	    test_mime_nul_count_is_the_same_in_every_encoding, 0,
	    G_N_ELEMENTS(nul_cases));
	tcase_add_test(tc, test_mime_octet_stream_sniffed_when_shown_or_judged);
	tcase_add_test(tc, test_mime_qp_text_with_binary_escapes_is_sniffed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return sg_test_mime_main(mime_suite());
}
