// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-content.c - what a leaf part really holds, by libmagic.
 *
 * For each leaf part the decoded content is read through a GMime decoding
 * filter over a fresh substream of the file (never the whole part in
 * memory): the first SG_CONTENT_SNIFF_BYTES go to magic_buffer() on the
 * thread's handle (sg_check_context_magic), unless the part is declared
 * text and its first SG_CONTENT_TEXT_PEEK bytes hold no control
 * character: then it cannot be a risky type (they all have control bytes
 * at their start), and libmagic would be most of a small message's cost.
 * An executable or archive declared as text or image types, or named like
 * a document or a picture, is content.type-mismatch; another disagreement
 * between the declared and sniffed types is content.type-differs (info).
 * NUL bytes in text parts (content.nul-in-text) are taken from the MIME
 * pre-scan's count when GMime's bounds agree with the pre-scan's and the
 * encoding leaves bytes as they are, or is quoted-printable that the
 * pre-scan found free of NULs and "=00"; otherwise the part is decoded to
 * the end in bounded chunks to count them.  The sniffed type is returned
 * to the caller (transfer full); a caller that does not want it (scan,
 * check) spares libmagic and the read on parts declared
 * application/octet-stream with an unremarkable name, which no rule judges
 * by content.
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>
#include <magic.h>

#include "spoolguard/autocleanups.h"

#include "check-mime-private.h"

static const char *const risky_types[] = {
	"application/x-dosexec",
	"application/x-msdownload",
	"application/vnd.microsoft.portable-executable",
	"application/x-executable",
	"application/x-pie-executable",
	"application/x-sharedlib",
	"application/x-mach-binary",
	"application/x-elf",
	"application/zip",
	"application/x-zip-compressed",
	"application/x-rar",
	"application/vnd.rar",
	"application/x-rar-compressed",
	"application/x-7z-compressed",
	"application/x-msi",
	"application/x-ms-installer",
	"application/java-archive",
	"application/x-java-archive",
	"application/x-java-applet",
	"application/gzip",
	"application/x-gzip",
	"application/x-bzip2",
	"application/x-xz",
	"application/x-tar",
	"application/x-iso9660-image",
	"application/x-ms-shortcut",
	"application/x-cab",
	"application/vnd.ms-cab-compressed",
};

/* Extensions of things people open without thinking of them as programs. */
static const char *const harmless_extensions[] = {
	"txt",
	"text",
	"log",
	"csv",
	"htm",
	"html",
	"pdf",
	"rtf",
	"jpg",
	"jpeg",
	"png",
	"gif",
	"bmp",
	"tif",
	"tiff",
	"webp",
	"doc",
	"xls",
	"ppt",
	"mp3",
	"wav",
	"mp4",
};

gboolean
sg_content_type_is_risky(const char *mime_type)
{
	if (mime_type == NULL)
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(risky_types); i++)
		if (g_ascii_strcasecmp(mime_type, risky_types[i]) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
content_harmless_name(const char *filename)
{
	const char *dot;

	if (filename == NULL)
		return FALSE;
	dot = strrchr(filename, '.');
	if (dot == NULL || dot[1] == '\0')
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(harmless_extensions); i++)
		if (g_ascii_strcasecmp(dot + 1, harmless_extensions[i]) == 0)
			return TRUE;
	return FALSE;
}

/* UTF-16 and UTF-32 text is full of NUL bytes by design. */
static gboolean
content_wide_charset(GMimeContentType *ct)
{
	const char *cs = ct != NULL
	    ? g_mime_content_type_get_parameter(ct, "charset")
	    : NULL;

	return cs != NULL &&
	    (g_ascii_strncasecmp(cs, "utf-16", 6) == 0 ||
	        g_ascii_strncasecmp(cs, "utf-32", 6) == 0 ||
	        g_ascii_strncasecmp(cs, "ucs-", 4) == 0 ||
	        g_ascii_strncasecmp(cs, "unicode", 7) == 0);
}

/* Text and mail are one family: libmagic tells them apart by guessing. */
static gboolean
content_same_family(const char *declared, const char *sniffed)
{
	gboolean d = g_ascii_strncasecmp(declared, "text/", 5) == 0 ||
	    g_ascii_strncasecmp(declared, "message/", 8) == 0;
	gboolean s = g_ascii_strncasecmp(sniffed, "text/", 5) == 0 ||
	    g_ascii_strncasecmp(sniffed, "message/", 8) == 0;

	return d && s;
}

/* TRUE when @enc leaves the raw bytes as they are. */
static gboolean
content_identity(GMimeContentEncoding enc)
{
	return enc != GMIME_CONTENT_ENCODING_BASE64 &&
	    enc != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE &&
	    enc != GMIME_CONTENT_ENCODING_UUENCODE;
}

/*
 * TRUE when the pre-scan's count @pre answers for GMime's content
 * [@where, @stop) in encoding @enc: the same start, an end within the
 * counted bytes, and either an identity encoding with no counted NUL past
 * that end, or quoted-printable with no raw NUL and no "=00" (a prefix of
 * a body that decodes without NUL decodes without NUL).
 */
static gboolean
content_pre_counts(const SgNulCount *pre, GMimeContentEncoding enc,
    goffset where, goffset stop)
{
	if (pre == NULL || stop == SG_OFFSET_NONE || pre->body != where ||
	    stop > pre->end)
		return FALSE;
	if (content_identity(enc))
		return !pre->qp && (pre->nuls == 0 || pre->last < stop);
	return enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE && pre->qp &&
	    pre->nuls == 0 && !pre->qp_zero;
}

/*
 * TRUE when @part's transfer encoding is (x-)gzip64: base64 of gzip data,
 * which GMime does not know and leaves as it is.  Sniffed through base64,
 * what it holds shows.
 */
static gboolean
content_gzip64(GMimePart *part)
{
	const char *v = g_mime_object_get_header(GMIME_OBJECT(part),
	    "Content-Transfer-Encoding");
	g_autofree char *t = NULL;

	if (v == NULL)
		return FALSE;
	t = g_strstrip(g_ascii_strdown(v, -1));
	return strcmp(t, "x-gzip64") == 0 || strcmp(t, "gzip64") == 0;
}

/* (transfer none): @part's raw content stream and its encoding. */
static GMimeStream *
content_raw(GMimePart *part, GMimeContentEncoding *encoding)
{
	GMimeDataWrapper *wrapper = g_mime_part_get_content(part);

	if (wrapper == NULL)
		return NULL;
	*encoding = g_mime_data_wrapper_get_encoding(wrapper);
	return g_mime_data_wrapper_get_stream(wrapper);
}

/* (transfer full): a stream that decodes @raw (in @enc) from its start. */
static GMimeStream *
content_open_decoded(GMimeStream *raw, GMimeContentEncoding enc)
{
	GMimeStream *sub;
	GMimeStream *filtered;

	sub = g_mime_stream_substream(raw, raw->bound_start, raw->bound_end);
	if (sub == NULL)
		return NULL;
	if (content_identity(enc))
		return sub;
	filtered = g_mime_stream_filter_new(sub);
	g_object_unref(sub);
	{
		g_autoptr(GMimeFilter) filter =
		    g_mime_filter_basic_new(enc, FALSE);

		g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), filter);
	}
	return filtered;
}

/* Reads up to @len bytes; returns the count (0 at the end or on error). */
static gsize
content_read(GMimeStream *stream, char *buf, gsize len)
{
	gsize got = 0;

	while (got < len) {
		ssize_t n = g_mime_stream_read(stream, buf + got, len - got);

		if (n <= 0)
			break;
		got += (gsize)n;
	}
	return got;
}

/*
 * TRUE when (buf, len) holds only bytes that occur in text: printable
 * ASCII, TAB, CR, LF, FF and bytes >= 0x80 (UTF-8 or a legacy charset).
 * Every risky type (executables, archives, disk images) has control bytes
 * or NULs within its first bytes, so a text part whose sniffed bytes pass
 * cannot be one, and libmagic (0.35-1.1 ms a call whatever the size, for
 * its soft magic) is not asked.  Such a part has no sniffed type.
 */
static gboolean
content_looks_like_text(const char *buf, gsize len)
{
	return sg_text_run(buf, len) == len;
}

/* libmagic's @type against the declared type and file name. */
static void
content_judge_type(SgCheckContext *ctx, SgMessage *msg, const char *path,
    const char *declared, const char *filename, const char *type, goffset where)
{
	const SgProfile *profile = sg_check_context_profile(ctx);
	gboolean is_text = g_ascii_strncasecmp(declared, "text/", 5) == 0;

	if (sg_content_type_is_risky(type) &&
	    (is_text || g_ascii_strncasecmp(declared, "image/", 6) == 0 ||
	        g_ascii_strcasecmp(declared, "application/pdf") == 0 ||
	        content_harmless_name(filename))) {
		g_autofree char *fn = filename != NULL
		    ? sg_escape_bytes(filename, strlen(filename), 80)
		    : NULL;

		sg_check_event(msg, profile, SG_RULE_CONTENT_TYPE_MISMATCH,
		    where, path, NULL, "%s declared as %s%s%s holds %s", path,
		    declared, fn != NULL ? " named " : "", fn != NULL ? fn : "",
		    type);
	} else if (g_ascii_strcasecmp(type, declared) != 0 &&
	    g_ascii_strcasecmp(declared, "application/octet-stream") != 0 &&
	    g_ascii_strcasecmp(type, "application/octet-stream") != 0 &&
	    strcmp(type, "inode/x-empty") != 0 &&
	    !content_same_family(declared, type)) {
		sg_check_event(msg, profile, SG_RULE_CONTENT_TYPE_DIFFERS,
		    where, path, NULL, "%s declared as %s, sniffed as %s", path,
		    declared, type);
	}
}

/*
 * content.nul-in-text: NULs in the decoded text, from the pre-scan's count
 * when it holds for GMime's content, else from (buf, got), the first
 * bytes, and the rest of @stream, decoded to the end in bounded chunks.
 */
static void
content_count_nuls(SgCheckContext *ctx, SgMessage *msg, const char *path,
    const char *declared, GMimeStream *stream, char *buf, gsize got,
    goffset where, gboolean pre_counts, const SgNulCount *pre)
{
	guint64 nuls = 0;
	guint64 seen = 0;
	gint64 first = -1;

	if (pre_counts) {
		nuls = pre->nuls;
		if (nuls > 0)
			first = (gint64)(pre->first - where);
		got = 0;
	}
	while (got > 0) {
		const char *p = buf;
		const char *end = buf + got;

		while ((p = memchr(p, '\0', (gsize)(end - p))) != NULL) {
			if (first < 0)
				first = (gint64)(seen + (guint64)(p - buf));
			nuls++;
			p++;
		}
		seen += got;
		got = content_read(stream, buf, SG_CONTENT_SNIFF_BYTES);
	}
	if (nuls > 0)
		sg_check_event(msg, sg_check_context_profile(ctx),
		    SG_RULE_CONTENT_NUL_IN_TEXT, where, path, NULL,
		    "%s (%s): %" G_GUINT64_FORMAT
		    " NUL bytes in the decoded text, the first at "
		    "decoded byte %" G_GINT64_FORMAT,
		    path, declared, nuls, first);
}

void
sg_content_check_part(SgCheckContext *ctx, SgMessage *msg, GMimePart *part,
    const char *path, gint64 base, const SgNulCount *pre, char **sniffed)
{
	GMimeContentType *ct =
	    g_mime_object_get_content_type(GMIME_OBJECT(part));
	g_autofree char *declared = NULL;
	g_autofree char *buf = NULL;
	g_autoptr(GMimeStream) stream = NULL;
	const char *filename = g_mime_part_get_filename(part);
	const char *type = NULL;
	magic_t magic;
	GMimeStream *raw;
	GMimeContentEncoding enc = GMIME_CONTENT_ENCODING_DEFAULT;
	goffset where, stop;
	gsize got;
	gboolean is_text;
	gboolean looks_text;

	if (sniffed != NULL)
		*sniffed = NULL;
	declared = ct != NULL ? g_mime_content_type_get_mime_type(ct)
	                      : g_strdup("text/plain");
	is_text = g_ascii_strncasecmp(declared, "text/", 5) == 0;
	/*
	 * Declared application/octet-stream and not named like a document:
	 * neither content rule can fire whatever libmagic says.
	 */
	if (sniffed == NULL &&
	    g_ascii_strcasecmp(declared, "application/octet-stream") == 0 &&
	    !content_harmless_name(filename))
		return;
	raw = content_raw(part, &enc);
	if (raw == NULL)
		return;
	if (content_gzip64(part))
		enc = GMIME_CONTENT_ENCODING_BASE64;
	where = raw->bound_start - base;
	stop = raw->bound_end >= 0 ? raw->bound_end - base : SG_OFFSET_NONE;
	/*
	 * Text the pre-scan saw through and through: no binary byte, so
	 * nothing for libmagic and no NUL; the part need not be read.
	 */
	if (is_text && content_pre_counts(pre, enc, where, stop) &&
	    !pre->binary)
		return;
	stream = content_open_decoded(raw, enc);
	if (stream == NULL)
		return;
	buf = g_malloc(SG_CONTENT_SNIFF_BYTES);
	/* A text part shows in its first bytes whether it looks like text. */
	got = content_read(stream, buf,
	    is_text ? SG_CONTENT_TEXT_PEEK : SG_CONTENT_SNIFF_BYTES);
	if (got == 0)
		return;
	looks_text = is_text && content_looks_like_text(buf, got);
	if (is_text && !looks_text && got == SG_CONTENT_TEXT_PEEK)
		got += content_read(stream, buf + got,
		    SG_CONTENT_SNIFF_BYTES - SG_CONTENT_TEXT_PEEK);

	magic = sg_check_context_magic(ctx);
	if (magic != NULL && !looks_text)
		type = magic_buffer(magic, buf, got);
	if (type != NULL) {
		if (sniffed != NULL)
			*sniffed = g_strdup(type);
		content_judge_type(ctx, msg, path, declared, filename, type,
		    where);
	}
	/*
	 * The pre-scan's count holds when GMime's content is the raw body it
	 * counted: the same start, an end within the counted bytes, and no
	 * counted NUL past that end.
	 */
	if (is_text && !content_wide_charset(ct))
		content_count_nuls(ctx, msg, path, declared, stream, buf, got,
		    where, content_pre_counts(pre, enc, where, stop), pre);
}
