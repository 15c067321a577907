// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-mime-token.c - libFuzzer harness for the parameter and
 * Content-Type tokenizer (check-mime-token.c, check-mime-param.c) on its
 * own.
 *
 * The first input byte picks the field's kind (Content-Type, -Disposition,
 * -Transfer-Encoding or another), the second where the value is cut in
 * two; the rest is the field's value.  Each value is tokenized whole and
 * in the two pieces, which must give the same results, and read by
 * sg_mime_params_parse.  Where that reading calls a value usual (no
 * defect, nothing GMime may read otherwise), GMime's own parsers
 * (g_mime_content_type_parse, g_mime_param_list_parse) must find the same
 * boundary and file name: the promise the pre-scan relies on to build
 * GMime's tree.  A broken promise aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "spoolguard/autocleanups.h"

#include "check-mime-token.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Larger than the boundaries GMime's tree can use, as in the pre-scan. */
#define FUZZ_BOUNDARY_MAX 2048

static void
sink_param(gpointer data, const char *name, gsize len, goffset offset)
{
	(void)name;
	*(guint64 *)data += len + (guint64)offset;
}

static void
sink_word(gpointer data, goffset offset, gsize len, const char *defect)
{
	(void)defect;
	*(guint64 *)data += len + (guint64)offset;
}

static const SgMimeTokenSink fuzz_sink = { sink_param, sink_word };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	g_mime_init();
	return 0;
}

/* Tokenizes (p, len) cut at @cut; @events sums what the sink saw. */
static void
token_run(SgMimeToken *token, SgMimeFieldKind kind, const char *p, gsize len,
    gsize cut, guint64 *events)
{
	sg_mime_token_init(token, kind, FUZZ_BOUNDARY_MAX, &fuzz_sink, events);
	sg_mime_token_feed(token, p, cut, 0);
	sg_mime_token_feed(token, p + cut, len - cut, (goffset)cut);
	sg_mime_token_finish(token);
}

static gboolean
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
pieces_do_not_matter(SgMimeFieldKind kind, const char *p, gsize len, gsize cut)
{
	SgMimeToken whole = { 0 }, parts = { 0 };
	guint64 ew = 0, ep = 0;

	token_run(&whole, kind, p, len, len, &ew);
	token_run(&parts, kind, p, len, cut, &ep);
	if (ew != ep || whole.has_boundary != parts.has_boundary ||
	    whole.boundary_len != parts.boundary_len ||
	    !same_str(whole.boundary, parts.boundary) ||
	    strcmp(whole.type, parts.type) != 0 ||
	    strcmp(whole.cte, parts.cte) != 0 ||
	    whole.params_read != parts.params_read ||
	    whole.params.defects != parts.params.defects)
		abort();
	sg_mime_token_clear(&whole);
	sg_mime_token_clear(&parts);
}

/* GMime's value of @name in the field value @s of @kind, or NULL. */
static char *
gmime_param(SgMimeFieldKind kind, const char *s, const char *name)
{
	GMimeParamList *list;
	GMimeParam *param;
	g_autoptr(GMimeParamList) owned = NULL;
	g_autoptr(GMimeContentType) ct = NULL;

	if (kind == SG_MIME_FIELD_CT) {
		ct = g_mime_content_type_parse(NULL, s);
		list = g_mime_content_type_get_parameters(ct);
	} else {
		const char *semi = strchr(s, ';');

		if (semi == NULL)
			return NULL;
		owned = g_mime_param_list_parse(NULL, semi + 1);
		list = owned;
	}
	param =
	    list != NULL ? g_mime_param_list_get_parameter(list, name) : NULL;
	return g_strdup(param != NULL ? g_mime_param_get_value(param) : NULL);
}

static void
params_agree_with_gmime(SgMimeFieldKind kind, const char *p, gsize len)
{
	SgMimeParams params;
	const SgMimeValue *name;

	sg_mime_params_parse(p, len, 0, kind, FUZZ_BOUNDARY_MAX, &params);
	name = kind == SG_MIME_FIELD_CT ? &params.name : &params.filename;
	/* GMime reads C strings: only values without NUL compare. */
	if (!params.unusual && memchr(p, '\0', len) == NULL) {
		g_autofree char *s = g_strndup(p, len);
		/* Content-Disposition: its boundary= is read by no one. */
		g_autofree char *gb = kind == SG_MIME_FIELD_CT
		    ? gmime_param(kind, s, "boundary")
		    : NULL;
		g_autofree char *gn = gmime_param(kind, s,
		    kind == SG_MIME_FIELD_CT ? "name" : "filename");

		if (!same_str(params.boundary.value, gb) ||
		    !same_str(name->value, gn)) {
			fprintf(stderr,
			    "fuzz-mime-token: '%s': boundary '%s' name '%s', "
			    "GMime '%s' '%s'\n",
			    s, params.boundary.value, name->value, gb, gn);
			abort();
		}
	}
	sg_mime_params_clear(&params);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const SgMimeFieldKind kinds[] = { SG_MIME_FIELD_CT,
		SG_MIME_FIELD_CD, SG_MIME_FIELD_CTE, SG_MIME_FIELD_OTHER };
	SgMimeFieldKind kind;
	const char *p;
	gsize len, cut;

	if (size < 2)
		return 0;
	kind = kinds[data[0] % G_N_ELEMENTS(kinds)];
	p = (const char *)data + 2;
	len = size - 2;
	cut = len * data[1] / 255;
	pieces_do_not_matter(kind, p, len, cut);
	if (kind == SG_MIME_FIELD_CT || kind == SG_MIME_FIELD_CD)
		params_agree_with_gmime(kind, p, len);
	return 0;
}
