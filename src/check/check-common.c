// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-common.c - what every check shares: the per-thread context (the
 * profile and a lazily opened libmagic handle), the inspect tables, and
 * the helpers that turn an observation into a finding at the profile's
 * severity.
 *
 * A context belongs to one thread.  The magic handle is opened on first
 * use and loads the compiled database once per thread, never per message.
 */
#include "config.h"

#include <stdarg.h>

#include <gmime/gmime.h>
#include <magic.h>

#include "spoolguard/autocleanups.h"
#include "spoolguard/check.h"

// clang-format off
G_DEFINE_QUARK(sg-check-error-quark, sg_check_error)
// clang-format on

struct _SgCheckContext {
	SgProfile *profile;
	magic_t magic;
	gboolean magic_failed;
};

SgCheckContext *
sg_check_context_new(const SgProfile *profile, GError **error)
{
	SgCheckContext *ctx = g_new0(SgCheckContext, 1);

	ctx->profile = sg_profile_ref((SgProfile *)profile);
	return ctx;
}

void
sg_check_context_free(SgCheckContext *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->magic != NULL)
		magic_close(ctx->magic);
	sg_profile_unref(ctx->profile);
	g_free(ctx);
}

const SgProfile *
sg_check_context_profile(SgCheckContext *ctx)
{
	return ctx->profile;
}

gpointer
sg_check_context_magic(SgCheckContext *ctx)
{
	if (ctx->magic != NULL || ctx->magic_failed)
		return ctx->magic;
	ctx->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS |
	    MAGIC_NO_CHECK_ELF | MAGIC_ERROR);
	if (ctx->magic == NULL || magic_load(ctx->magic, NULL) != 0) {
		g_warning("libmagic: cannot load its database: %s",
		    ctx->magic != NULL ? magic_error(ctx->magic) : "no memory");
		if (ctx->magic != NULL)
			magic_close(ctx->magic);
		ctx->magic = NULL;
		ctx->magic_failed = TRUE;
	}
	return ctx->magic;
}

static void
header_row_free(gpointer data)
{
	SgHeaderRow *row = data;

	g_free(row->name);
	g_free(row->value);
	g_free(row);
}

static void
part_row_free(gpointer data)
{
	SgPartRow *row = data;

	g_free(row->path);
	g_free(row->content_type);
	g_free(row->encoding);
	g_free(row->filename);
	g_free(row->sniffed);
	g_free(row);
}

SgInspect *
sg_inspect_new(void)
{
	SgInspect *inspect = g_new0(SgInspect, 1);

	inspect->headers = g_ptr_array_new_with_free_func(header_row_free);
	inspect->parts = g_ptr_array_new_with_free_func(part_row_free);
	inspect->header_end = SG_OFFSET_NONE;
	return inspect;
}

void
sg_inspect_free(SgInspect *inspect)
{
	if (inspect == NULL)
		return;
	g_ptr_array_unref(inspect->headers);
	g_ptr_array_unref(inspect->parts);
	if (inspect->bodies != NULL)
		g_ptr_array_unref(inspect->bodies);
	g_free(inspect);
}

void
sg_inspect_add_header(SgInspect *inspect, const char *name, gsize len,
    goffset offset, gsize length)
{
	SgHeaderRow *row = g_new0(SgHeaderRow, 1);

	row->name = sg_escape_bytes(name, len, 80);
	row->offset = offset;
	row->length = length;
	g_ptr_array_add(inspect->headers, row);
}

SgSeverity
sg_check_limit(SgMessage *msg, const SgProfile *profile, SgRuleId rule,
    gint64 observed, goffset content_offset, const char *part,
    const char *header, const char *what)
{
	gint64 limit = SG_VALUE_NONE;
	SgSeverity sev = sg_profile_judge(profile, rule, observed, &limit);

	if (sev == SG_SEVERITY_IGNORE)
		return sev;
	sg_message_add_content_finding(msg, rule, sev, content_offset, part,
	    header, observed, limit,
	    "%s: %" G_GINT64_FORMAT " > %" G_GINT64_FORMAT, what, observed,
	    limit);
	return sev;
}

void
sg_check_event(SgMessage *msg, const SgProfile *profile, SgRuleId rule,
    goffset content_offset, const char *part, const char *header,
    const char *fmt, ...)
{
	SgSeverity sev = sg_profile_severity(profile, rule);
	g_autofree char *text = NULL;
	va_list ap;

	if (sev == SG_SEVERITY_IGNORE)
		return;
	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	sg_message_add_content_finding(msg, rule, sev, content_offset, part,
	    header, SG_VALUE_NONE, SG_VALUE_NONE, "%s", text);
}
