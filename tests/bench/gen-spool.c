// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gen-spool.c - a deterministic generator of realistic mail spools for the
 * benchmark.
 *
 * Message i depends only on (seed, i), so the same messages come out as
 * plain .eml files, a Postfix queue (deferred/X/ID, records with a correct
 * C size record) or an Exim spool (input/ID-H + ID-D), and N=20000 is a
 * prefix of N=200000.  The mix: short notes, 10-50 KB multipart/alternative
 * HTML, nested forwards (message/rfc822), 1-5 MB base64 attachments, a few
 * with hundreds of recipients; --huge-mb adds one message of about that
 * many MiB (a base64 attachment), written line by line, never held in memory.
 * Every line is produced once and handed to a format writer (a sink);
 * memory is one line plus, for Exim, the header block.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* Postfix: cleanup's line_length_limit; longer lines become L records. */
#define GEN_PF_LINE_MAX 2048
/* Longest line the generator itself writes (headers are folded). */
#define GEN_LINE_MAX 1024
#define GEN_BASE_TIME 1795315579

/* ---- deterministic randomness (splitmix64) ------------------------- */

typedef struct {
	guint64 s;
} Rng;

static guint64
rng_next(Rng *r)
{
	guint64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static guint64
rng_range(Rng *r, guint64 lo, guint64 hi)
{
	return lo + rng_next(r) % (hi - lo + 1);
}

static gboolean
rng_permille(Rng *r, guint permille)
{
	return rng_next(r) % 1000 < permille;
}

/* ---- sinks: one per output format ---------------------------------- */

typedef enum {
	FMT_PLAIN,
	FMT_POSTFIX,
	FMT_EXIM,
} Format;

typedef struct {
	Format format;
	gboolean crlf;
	FILE *fp;           /* plain file, Postfix queue file, Exim -D */
	char *path;         /* final path (plain, Postfix) */
	char *tmp;          /* written here, renamed at the end */
	gboolean in_body;   /* past the first empty line */
	GString *head;      /* Exim: the header block, lines with \n */
	guint64 body_lines; /* Exim -body_linecount */
	guint64 max_line;   /* Exim -max_received_linelength */
	guint64 bytes;      /* content bytes written (LF line ends) */
} Sink;

static void G_GNUC_NORETURN
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "gen-spool: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void
put(Sink *s, const void *p, size_t len)
{
	if (len > 0 && fwrite(p, 1, len, s->fp) != len)
		die("write %s: %s", s->tmp, g_strerror(errno));
}

/* Postfix record length: base-128, low 7 bits first, 0x80 = more. */
static void
pf_record(Sink *s, char type, const char *p, size_t len)
{
	guint8 hdr[6];
	size_t n = 0, l = len;

	hdr[n++] = (guint8)type;
	do {
		guint8 b = l & 0x7f;

		l >>= 7;
		if (l != 0)
			b |= 0x80;
		hdr[n++] = b;
	} while (l != 0);
	put(s, hdr, n);
	put(s, p, len);
}

static void
pf_string(Sink *s, char type, const char *str)
{
	pf_record(s, type, str, strlen(str));
}

static void
sink_line(Sink *s, const char *p, size_t len)
{
	if (!s->in_body && len == 0) {
		s->in_body = TRUE;
		if (s->format == FMT_EXIM) {
			s->bytes += 1;
			return; /* the blank line is not in -D */
		}
	}
	s->bytes += len + 1;
	switch (s->format) {
	case FMT_PLAIN:
		put(s, p, len);
		put(s, s->crlf ? "\r\n" : "\n", s->crlf ? 2 : 1);
		break;
	case FMT_POSTFIX:
		while (len > GEN_PF_LINE_MAX) {
			pf_record(s, 'L', p, GEN_PF_LINE_MAX);
			p += GEN_PF_LINE_MAX;
			len -= GEN_PF_LINE_MAX;
		}
		pf_record(s, 'N', p, len);
		break;
	case FMT_EXIM:
		if (len > s->max_line)
			s->max_line = len;
		if (!s->in_body) {
			g_string_append_len(s->head, p, (gssize)len);
			g_string_append_c(s->head, '\n');
		} else {
			put(s, p, len);
			put(s, "\n", 1);
			s->body_lines++;
		}
		break;
	}
}

static void G_GNUC_PRINTF(2, 3) out(Sink *s, const char *fmt, ...)
{
	char buf[GEN_LINE_MAX + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		die("line too long");
	sink_line(s, buf, (size_t)n);
}

/* ---- message content ----------------------------------------------- */

static const char *const words[] = {
	"the",
	"queue",
	"message",
	"please",
	"report",
	"attached",
	"meeting",
	"quarterly",
	"numbers",
	"invoice",
	"shipment",
	"delivery",
	"server",
	"thanks",
	"regards",
	"schedule",
	"review",
	"draft",
	"budget",
	"team",
	"update",
	"project",
	"customer",
	"order",
	"status",
	"question",
	"and",
	"of",
	"to",
	"for",
	"with",
	"on",
	"this",
	"that",
	"we",
	"you",
	"will",
	"be",
	"is",
	"are",
	"have",
	"next",
	"week",
	"friday",
	"monday",
	"contract",
	"signed",
	"copy",
	"folder",
	"backup",
	"mailbox",
	"limit",
	"details",
	"below",
	"above",
	"agenda",
	"notes",
	"follow",
	"up",
	"security",
	"password",
	"policy",
	"release",
	"version",
};

/* Appends words to @buf until about @width bytes; returns the length. */
static size_t
text_line(Rng *r, char *buf, size_t width)
{
	size_t n = 0;

	while (n < width) {
		const char *w = words[rng_next(r) % G_N_ELEMENTS(words)];
		size_t wl = strlen(w);

		if (n + wl + 1 > width + 8)
			break;
		if (n > 0)
			buf[n++] = ' ';
		memcpy(buf + n, w, wl);
		n += wl;
	}
	return n;
}

/* About @bytes of plain text in lines of 50-76 characters. */
static void
emit_text(Sink *s, Rng *r, guint64 bytes)
{
	char buf[128];
	guint64 done = 0;

	while (done < bytes) {
		size_t n = text_line(r, buf, (size_t)rng_range(r, 50, 72));

		if (rng_permille(r, 80))
			n = 0; /* paragraph break */
		sink_line(s, buf, n);
		done += n + 1;
	}
}

/* About @bytes of HTML, quoted-printable, soft breaks at 76. */
static void
emit_html(Sink *s, Rng *r, guint64 bytes)
{
	char text[128], line[GEN_LINE_MAX];
	guint64 done = 0;

	out(s,
	    "<html><head><meta http-equiv=3D\"Content-Type\" "
	    "content=3D\"text/html; =");
	out(s,
	    "charset=3Dutf-8\"></head><body style=3D\"font-family: "
	    "Arial, sans-serif\">");
	while (done < bytes) {
		size_t tl = text_line(r, text, (size_t)rng_range(r, 40, 60));
		int n;

		switch (rng_next(r) % 4) {
		case 0:
			n = snprintf(line, sizeof(line),
			    "<p style=3D\"margin:0 0 8px 0\">%.*s</p>", (int)tl,
			    text);
			break;
		case 1:
			n = snprintf(line, sizeof(line),
			    "<div><a href=3D\"https://intranet.example.org/"
			    "doc/%u\">%.*s</a></div>",
			    (guint)(rng_next(r) % 100000), (int)(tl / 2), text);
			break;
		case 2:
			n = snprintf(line, sizeof(line),
			    "<table><tr><td>%.*s</td><td>%u</td></tr></table>",
			    (int)(tl / 2), text, (guint)(rng_next(r) % 10000));
			break;
		default:
			n = snprintf(line, sizeof(line), "<b>%.*s</b><br>",
			    (int)tl, text);
			break;
		}
		/* Soft line breaks every 75 characters. */
		for (int off = 0; off < n; off += 75) {
			int len = MIN(75, n - off);

			if (off + len < n) {
				char seg[80];

				memcpy(seg, line + off, (size_t)len);
				seg[len] = '=';
				sink_line(s, seg, (size_t)len + 1);
			} else {
				sink_line(s, line + off, (size_t)len);
			}
		}
		done += (guint64)n + 2;
	}
	out(s, "</body></html>");
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* @bytes of random data in base64, 76 characters a line. */
static void
emit_base64(Sink *s, Rng *r, guint64 bytes)
{
	guint8 in[57];
	char line[80];

	while (bytes > 0) {
		size_t n = (size_t)MIN(bytes, sizeof(in)), o = 0;

		for (size_t i = 0; i < n; i += 8) {
			guint64 v = rng_next(r);

			memcpy(in + i, &v, MIN(8, n - i));
		}
		for (size_t i = 0; i < n; i += 3) {
			guint32 v = (guint32)in[i] << 16;

			if (i + 1 < n)
				v |= (guint32)in[i + 1] << 8;
			if (i + 2 < n)
				v |= in[i + 2];
			line[o++] = b64[(v >> 18) & 63];
			line[o++] = b64[(v >> 12) & 63];
			line[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
			line[o++] = i + 2 < n ? b64[v & 63] : '=';
		}
		sink_line(s, line, o);
		bytes -= n;
	}
}

typedef enum {
	KIND_NOTE,
	KIND_HTML,
	KIND_FORWARD,
	KIND_ATTACH,
	KIND_HUGE,
} Kind;

typedef struct {
	guint64 index;
	Kind kind;
	guint n_rcpt;
	guint64 attach_bytes;
	gint64 time;
	char sender[64];
} Plan;

static void
format_date(gint64 t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static void
rcpt_address(const Plan *p, guint i, char *buf, size_t len)
{
	static const char *const domains[] = { "example.com", "example.net",
		"example.org", "corp.example", "remote.example" };

	snprintf(buf, len, "user%u.%" G_GUINT64_FORMAT "@%s", i,
	    p->index % 1000, domains[(p->index + i) % G_N_ELEMENTS(domains)]);
}

/* The To: field, folded a few addresses a line. */
static void
emit_to(Sink *s, const Plan *p, guint n)
{
	char line[GEN_LINE_MAX];
	size_t len = (size_t)g_snprintf(line, sizeof(line), "To:");

	for (guint i = 0; i < n; i++) {
		char a[96];
		size_t al;

		rcpt_address(p, i, a, sizeof(a));
		al = strlen(a);
		if (len + al + 3 > 78 && len > 3) {
			sink_line(s, line, len);
			len = 0;
		}
		len += (size_t)g_snprintf(line + len, sizeof(line) - len,
		    "%s%s%s", len == 0 ? "\t" : " ", a, i + 1 < n ? "," : "");
	}
	sink_line(s, line, len);
}

static void
emit_random_b64(Rng *r, char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = b64[rng_next(r) & 63];
	buf[n] = '\0';
}

/* The common header fields; Content-Type and the blank line follow. */
static void
emit_headers(Sink *s, Rng *r, const Plan *p, guint depth, const char *subj)
{
	char date[64], bh[48], sig[400];
	guint hops = (guint)rng_range(r, 1, 4);
	gint64 t = p->time - (gint64)depth * 86400;

	format_date(t, date, sizeof(date));
	for (guint h = 0; h < hops; h++) {
		out(s,
		    "Received: from mail%u.example.org (mail%u.example.org "
		    "[192.0.2.%u])",
		    h, h, (guint)(rng_next(r) % 254 + 1));
		out(s,
		    "\tby mx%u.corp.example (Postfix) with ESMTPS id "
		    "%05X%X",
		    h, (guint)(rng_next(r) & 0xfffff), (guint)p->index);
		out(s, "\tfor <user0.%" G_GUINT64_FORMAT "@example.com>; %s",
		    p->index % 1000, date);
	}
	if (rng_permille(r, 600)) {
		emit_random_b64(r, bh, 43);
		out(s,
		    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; "
		    "d=example.org;");
		out(s,
		    "\ts=sel%u; t=%" G_GINT64_FORMAT "; "
		    "h=from:to:subject:date:message-id:mime-version;",
		    (guint)(rng_next(r) % 4), t);
		out(s, "\tbh=%s=;", bh);
		emit_random_b64(r, sig, 342);
		for (guint i = 0; i < 342; i += 70)
			out(s, "\t%s%.*s%s", i == 0 ? "b=" : "",
			    (int)MIN(70, 342 - i), sig + i,
			    i + 70 >= 342 ? "==" : "");
	}
	out(s, "Date: %s", date);
	out(s, "From: \"Sender %u\" <%s>", (guint)(p->index % 977), p->sender);
	emit_to(s, p, depth == 0 ? p->n_rcpt : 1);
	if (depth == 0 && p->n_rcpt < 50 && rng_permille(r, 250))
		out(s,
		    "Cc: \"Team Lead\" <lead@corp.example>, "
		    "archive@corp.example");
	out(s, "Subject: %s%s %" G_GUINT64_FORMAT, depth > 0 ? "Fwd: " : "",
	    subj, p->index);
	out(s, "Message-ID: <%" G_GUINT64_FORMAT ".%u.%u@mail.example.org>",
	    p->index, depth, (guint)(rng_next(r) & 0xffffff));
	if (rng_permille(r, 300))
		out(s, "X-Mailer: Generated Mail Client %u.%u",
		    (guint)(rng_next(r) % 20), (guint)(rng_next(r) % 10));
	out(s, "MIME-Version: 1.0");
}

static void
emit_alternative(Sink *s, Rng *r, const char *boundary, guint64 size)
{
	out(s, "Content-Type: multipart/alternative; boundary=\"%s\"",
	    boundary);
	out(s, "%s", "");
	out(s, "This is a multi-part message in MIME format.");
	out(s, "--%s", boundary);
	out(s, "Content-Type: text/plain; charset=utf-8");
	out(s, "Content-Transfer-Encoding: 7bit");
	out(s, "%s", "");
	emit_text(s, r, size * 3 / 10);
	out(s, "--%s", boundary);
	out(s, "Content-Type: text/html; charset=utf-8");
	out(s, "Content-Transfer-Encoding: quoted-printable");
	out(s, "%s", "");
	emit_html(s, r, size * 7 / 10);
	out(s, "--%s--", boundary);
}

/*
 * Emits one message (headers and body) at nesting @depth.  The depth is
 * chosen by the generator (at most 3), not by input.
 */
static void
emit_message(Sink *s, Rng *r, const Plan *p, Kind kind, guint depth)
{
	char b1[64], b2[64];

	g_snprintf(b1, sizeof(b1), "=_sg_%" G_GUINT64_FORMAT "_%u_a_%08x",
	    p->index, depth, (guint)(rng_next(r) & 0xffffffff));
	g_snprintf(b2, sizeof(b2), "=_sg_%" G_GUINT64_FORMAT "_%u_b_%08x",
	    p->index, depth, (guint)(rng_next(r) & 0xffffffff));
	switch (kind) {
	case KIND_NOTE:
		emit_headers(s, r, p, depth, "Short note");
		out(s, "Content-Type: text/plain; charset=us-ascii");
		out(s, "Content-Transfer-Encoding: 7bit");
		out(s, "%s", "");
		emit_text(s, r, rng_range(r, 400, 2000));
		break;
	case KIND_HTML:
		emit_headers(s, r, p, depth, "Newsletter");
		emit_alternative(s, r, b1, rng_range(r, 10000, 50000));
		break;
	case KIND_FORWARD: {
		Kind inner = KIND_NOTE;

		if (depth < 2 && rng_permille(r, 300))
			inner = KIND_FORWARD;
		else if (rng_permille(r, 500))
			inner = KIND_HTML;
		emit_headers(s, r, p, depth, "Forwarded conversation");
		out(s, "Content-Type: multipart/mixed; boundary=\"%s\"", b1);
		out(s, "%s", "");
		out(s, "--%s", b1);
		out(s, "Content-Type: text/plain; charset=us-ascii");
		out(s, "%s", "");
		emit_text(s, r, rng_range(r, 100, 600));
		out(s, "--%s", b1);
		out(s, "Content-Type: message/rfc822");
		out(s, "Content-Disposition: inline");
		out(s, "%s", "");
		emit_message(s, r, p, inner, depth + 1);
		out(s, "--%s--", b1);
		break;
	}
	case KIND_ATTACH:
	case KIND_HUGE:
		emit_headers(s, r, p, depth,
		    kind == KIND_HUGE ? "Huge attachment" : "Documents");
		out(s, "Content-Type: multipart/mixed; boundary=\"%s\"", b1);
		out(s, "%s", "");
		out(s, "--%s", b1);
		if (rng_permille(r, 500)) {
			emit_alternative(s, r, b2, rng_range(r, 2000, 8000));
		} else {
			out(s, "Content-Type: text/plain; charset=us-ascii");
			out(s, "%s", "");
			emit_text(s, r, rng_range(r, 300, 1500));
		}
		out(s, "--%s", b1);
		out(s,
		    "Content-Type: application/octet-stream; "
		    "name=\"report-%" G_GUINT64_FORMAT ".bin\"",
		    p->index);
		out(s,
		    "Content-Disposition: attachment; "
		    "filename=\"report-%" G_GUINT64_FORMAT ".bin\"",
		    p->index);
		out(s, "Content-Transfer-Encoding: base64");
		out(s, "%s", "");
		emit_base64(s, r, p->attach_bytes);
		out(s, "--%s--", b1);
		break;
	}
}

/* ---- planning and queue ids ---------------------------------------- */

typedef struct {
	guint64 seed;
	guint64 n;
	guint64 huge_mb;
	guint attach_permille;
	guint many_rcpt_permille;
	gboolean small;
	gboolean crlf;
	Format format;
	const char *dir;
} Options;

static Rng
rng_for(const Options *o, guint64 index, guint64 stream)
{
	Rng r = { o->seed * 0x2545f4914f6cdd1dULL +
		index * 0x9e3779b97f4a7c15ULL + stream };

	rng_next(&r);
	return r;
}

static void
plan_message(const Options *o, guint64 index, gboolean huge, Plan *p)
{
	Rng r = rng_for(o, index, 1);
	guint64 k = rng_next(&r) % 1000;

	memset(p, 0, sizeof(*p));
	p->index = index;
	p->time = GEN_BASE_TIME - (gint64)(index * 37 % 864000);
	g_snprintf(p->sender, sizeof(p->sender), "sender%u@mail.example.org",
	    (guint)(index % 977));
	p->n_rcpt = (guint)rng_range(&r, 1, 3);
	if (rng_permille(&r, o->many_rcpt_permille))
		p->n_rcpt = (guint)rng_range(&r, 100, 400);
	if (huge) {
		p->kind = KIND_HUGE;
		/* base64: 57 bytes become a 76-character line + LF. */
		p->attach_bytes = o->huge_mb * 1024 * 1024 / 77 * 57;
		p->n_rcpt = 1;
	} else if (o->small || k < 500) {
		p->kind = KIND_NOTE;
	} else if (k < 1000 - 180 - o->attach_permille) {
		p->kind = KIND_HTML;
	} else if (k < 1000 - o->attach_permille) {
		p->kind = KIND_FORWARD;
	} else {
		p->kind = KIND_ATTACH;
		p->attach_bytes = rng_range(&r, 1 << 20, 5 << 20);
	}
	if (o->small)
		p->n_rcpt = MIN(p->n_rcpt, 3);
}

static void
base62(guint64 v, char *buf, int width)
{
	static const char digits[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	for (int i = width - 1; i >= 0; i--) {
		buf[i] = digits[v % 62];
		v /= 62;
	}
	buf[width] = '\0';
}

/* Exim 4.96 id: time-pid-fraction, 6-6-2 base-62 digits, unique per i. */
static void
exim_id(const Plan *p, char *buf)
{
	char t[8], pid[8], frac[4];

	base62((guint64)GEN_BASE_TIME + p->index / 3000, t, 6);
	base62(1000 + p->index % 3000, pid, 6);
	base62(p->index % 3844, frac, 2);
	sprintf(buf, "%s-%s-%s", t, pid, frac);
}

/* Postfix short id: 5 hex digits of microseconds + an inode in hex. */
static void
postfix_id(const Options *o, const Plan *p, char *buf)
{
	Rng r = rng_for(o, p->index, 2);

	sprintf(buf, "%05X%X", (guint)(rng_next(&r) % 1000000),
	    (guint)(p->index + 0x7670));
}

static void
make_dir(const char *path)
{
	if (g_mkdir_with_parents(path, 0755) != 0)
		die("mkdir %s: %s", path, g_strerror(errno));
}

static void
sink_open(Sink *s, const char *path)
{
	s->path = g_strdup(path);
	s->tmp = g_strdup_printf("%s.tmp", path);
	s->fp = fopen(s->tmp, "wb");
	if (s->fp == NULL)
		die("open %s: %s", s->tmp, g_strerror(errno));
	setvbuf(s->fp, NULL, _IOFBF, 1 << 20);
}

static void
sink_close(Sink *s, mode_t mode)
{
	if (fclose(s->fp) != 0)
		die("close %s: %s", s->tmp, g_strerror(errno));
	s->fp = NULL;
	if (chmod(s->tmp, mode) != 0 || rename(s->tmp, s->path) != 0)
		die("rename %s: %s", s->tmp, g_strerror(errno));
	g_clear_pointer(&s->path, g_free);
	g_clear_pointer(&s->tmp, g_free);
}

static guint64
write_plain(const Options *o, const Plan *p)
{
	g_autofree char *path =
	    g_strdup_printf("%s/msg-%07" G_GUINT64_FORMAT ".eml", o->dir,
	        p->index);
	Sink s = { .format = FMT_PLAIN, .crlf = o->crlf };
	Rng r = rng_for(o, p->index, 3);

	sink_open(&s, path);
	emit_message(&s, &r, p, p->kind, 0);
	sink_close(&s, 0644);
	return s.bytes;
}

static void
pf_size_record(Sink *s, long data_size, long data_offset, long rcpt,
    long content_length)
{
	char buf[128];
	int n =
	    snprintf(buf, sizeof(buf), "%15ld %15ld %15ld %15ld %15ld %15ld",
	        data_size, data_offset, rcpt, 0L, content_length, 0L);

	g_assert(n == 95);
	pf_record(s, 'C', buf, (size_t)n);
}

static guint64
write_postfix(const Options *o, const Plan *p)
{
	char id[32], buf[256], a[96];
	g_autofree char *sub = NULL;
	g_autofree char *path = NULL;
	Sink s = { .format = FMT_POSTFIX };
	Rng r = rng_for(o, p->index, 3);
	long m_off, x_off;

	postfix_id(o, p, id);
	sub = g_strdup_printf("%s/deferred/%c", o->dir, id[0]);
	make_dir(sub);
	path = g_strdup_printf("%s/%s", sub, id);
	sink_open(&s, path);
	/* Rewritten with the real offsets at the end, as cleanup does. */
	pf_size_record(&s, 0, 0, 0, 0);
	g_snprintf(buf, sizeof(buf), "%" G_GINT64_FORMAT " %u", p->time,
	    (guint)(p->index * 7919 % 1000000));
	pf_string(&s, 'T', buf);
	g_snprintf(buf, sizeof(buf), "create_time=%" G_GINT64_FORMAT, p->time);
	pf_string(&s, 'A', buf);
	pf_string(&s, 'A', "rewrite_context=remote");
	pf_string(&s, 'S', p->sender);
	for (guint i = 0; i < p->n_rcpt; i++) {
		rcpt_address(p, i, a, sizeof(a));
		g_snprintf(buf, sizeof(buf), "dsn_orig_rcpt=rfc822;%s", a);
		pf_string(&s, 'A', buf);
		pf_string(&s, 'O', a);
		pf_string(&s, 'R', a);
	}
	m_off = ftell(s.fp);
	pf_record(&s, 'M', "", 0);
	rcpt_address(p, 0, a, sizeof(a));
	out(&s, "Received: by mx.spoolguard.test (Postfix, from userid 0)");
	out(&s, "\tid %s; Sun, 22 Nov 2026 02:48:23 +0000 (UTC)", id);
	emit_message(&s, &r, p, p->kind, 0);
	x_off = ftell(s.fp);
	pf_record(&s, 'X', "", 0);
	pf_record(&s, 'E', "", 0);
	if (fseek(s.fp, 0, SEEK_SET) != 0)
		die("seek %s: %s", s.tmp, g_strerror(errno));
	pf_size_record(&s, x_off - (m_off + 2), m_off + 2, (long)p->n_rcpt,
	    x_off - (m_off + 2));
	sink_close(&s, 0700);
	return s.bytes;
}

/* Exim header flag by field name (Exim's htype letters). */
static char
exim_flag(const char *field, size_t len)
{
	static const struct {
		const char *name;
		char flag;
	} types[] = {
		{ "received:", 'P' },
		{ "from:", 'F' },
		{ "to:", 'T' },
		{ "cc:", 'C' },
		{ "bcc:", 'B' },
		{ "message-id:", 'I' },
		{ "reply-to:", 'R' },
		{ "sender:", 'S' },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
		size_t n = strlen(types[i].name);

		if (len >= n &&
		    g_ascii_strncasecmp(field, types[i].name, n) == 0)
			return types[i].flag;
	}
	return ' ';
}

static void
exim_header_record(FILE *fp, const char *p, size_t len)
{
	fprintf(fp, "%03zu%c ", len, exim_flag(p, len));
	fwrite(p, 1, len, fp);
}

static guint64
write_exim(const Options *o, const Plan *p)
{
	char id[32], a[96], date[64];
	g_autofree char *dpath = NULL;
	g_autofree char *hpath = NULL;
	g_autofree char *received = NULL;
	Sink s = { .format = FMT_EXIM };
	Rng r = rng_for(o, p->index, 3);
	const char *h, *end, *field;
	FILE *fp;

	exim_id(p, id);
	dpath = g_strdup_printf("%s/input/%s-D", o->dir, id);
	hpath = g_strdup_printf("%s/input/%s-H", o->dir, id);
	s.head = g_string_new(NULL);
	sink_open(&s, dpath);
	fprintf(s.fp, "%s-D\n", id);
	emit_message(&s, &r, p, p->kind, 0);
	sink_close(&s, 0640);

	/* -H, written after -D as Exim does. */
	format_date(p->time, date, sizeof(date));
	rcpt_address(p, 0, a, sizeof(a));
	received = g_strdup_printf("Received: from mail.example.org "
	                           "([192.0.2.25])\n"
	                           "\tby spoolguard.test with esmtp (Exim "
	                           "4.96)\n"
	                           "\t(envelope-from <%s>)\n"
	                           "\tid %s;\n"
	                           "\t%s\n",
	    p->sender, id, date);
	s.path = g_strdup(hpath);
	s.tmp = g_strdup_printf("%s.tmp", hpath);
	fp = s.fp = fopen(s.tmp, "wb");
	if (fp == NULL)
		die("open %s: %s", s.tmp, g_strerror(errno));
	fprintf(fp, "%s-H\nmail 8 8\n<%s>\n%" G_GINT64_FORMAT " 0\n", id,
	    p->sender, p->time);
	fprintf(fp, "-received_time_usec .%06u\n",
	    (guint)(p->index * 7919 % 1000000));
	fprintf(fp,
	    "--helo_name mail.example.org\n"
	    "--host_address [192.0.2.25]:41000\n"
	    "--host_name mail.example.org\n"
	    "--interface_address [192.0.2.1]:25\n"
	    "-received_protocol esmtps\n");
	fprintf(fp, "-body_linecount %" G_GUINT64_FORMAT "\n", s.body_lines);
	fprintf(fp, "-max_received_linelength %" G_GUINT64_FORMAT "\n",
	    s.max_line);
	fprintf(fp, "-deliver_firsttime\nXX\n%u\n", p->n_rcpt);
	for (guint i = 0; i < p->n_rcpt; i++) {
		rcpt_address(p, i, a, sizeof(a));
		fprintf(fp, "%s\n", a);
	}
	fputc('\n', fp);
	exim_header_record(fp, received, strlen(received));
	/* One record per field: a line and its continuation lines. */
	h = s.head->str;
	end = h + s.head->len;
	while (h < end) {
		const char *e = h;

		field = h;
		do {
			const char *nl = memchr(e, '\n', (size_t)(end - e));

			e = nl + 1;
		} while (e < end && (*e == ' ' || *e == '\t'));
		exim_header_record(fp, field, (size_t)(e - field));
		h = e;
	}
	sink_close(&s, 0640);
	g_string_free(s.head, TRUE);
	return s.bytes;
}

static void
prepare_layout(const Options *o)
{
	static const char *const postfix_dirs[] = { "active", "bounce",
		"corrupt", "defer", "deferred", "flush", "hold", "incoming",
		"maildrop", "pid", "private", "public", "saved", "trace" };
	static const char *const exim_dirs[] = { "input", "msglog", "db" };
	const char *const *dirs = NULL;
	size_t n = 0;

	make_dir(o->dir);
	if (o->format == FMT_POSTFIX) {
		dirs = postfix_dirs;
		n = G_N_ELEMENTS(postfix_dirs);
	} else if (o->format == FMT_EXIM) {
		dirs = exim_dirs;
		n = G_N_ELEMENTS(exim_dirs);
	}
	for (size_t i = 0; i < n; i++) {
		g_autofree char *d = g_build_filename(o->dir, dirs[i], NULL);

		make_dir(d);
	}
}

int
main(int argc, char **argv)
{
	Options o = { .seed = 1,
		.n = 1000,
		.attach_permille = 30,
		.many_rcpt_permille = 50 };
	gint64 seed = 1, n = 1000, huge_mb = 0, attach = 30, many = 50;
	g_autofree char *format = NULL;
	gboolean small = FALSE, crlf = FALSE;
	guint64 bytes = 0, msgs = 0;
	GOptionEntry entries[] = {
		{ "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed (default 1)",
		    "S" },
		{ "count", 'n', 0, G_OPTION_ARG_INT64, &n,
		    "Messages (default 1000)", "N" },
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &format,
		    "plain (default), postfix or exim", "F" },
		{ "huge-mb", 0, 0, G_OPTION_ARG_INT64, &huge_mb,
		    "Add one message of about M MiB (a base64 attachment)",
		    "M" },
		{ "small", 0, 0, G_OPTION_ARG_NONE, &small,
		    "Only short notes (about 1-3 KB each)", NULL },
		{ "attach-permille", 0, 0, G_OPTION_ARG_INT64, &attach,
		    "Messages with a 1-5 MB attachment, per 1000 (30)", "P" },
		{ "many-rcpt-permille", 0, 0, G_OPTION_ARG_INT64, &many,
		    "Messages with 100-400 recipients, per 1000 (50)", "P" },
		{ "crlf", 0, 0, G_OPTION_ARG_NONE, &crlf,
		    "Plain files with CRLF line ends", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("DIR - write a benchmark spool");
	g_autoptr(GError) error = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error))
		die("%s", error->message);
	if (argc != 2)
		die("usage: gen-spool [OPTION...] DIR");
	if (n < 0 || huge_mb < 0 || attach < 0 || attach > 800 || many < 0 ||
	    many > 1000)
		die("bad number");
	o.seed = (guint64)seed;
	o.n = (guint64)n;
	o.huge_mb = (guint64)huge_mb;
	o.attach_permille = (guint)attach;
	o.many_rcpt_permille = (guint)many;
	o.small = small;
	o.crlf = crlf;
	o.dir = argv[1];
	if (format == NULL || strcmp(format, "plain") == 0)
		o.format = FMT_PLAIN;
	else if (strcmp(format, "postfix") == 0)
		o.format = FMT_POSTFIX;
	else if (strcmp(format, "exim") == 0)
		o.format = FMT_EXIM;
	else
		die("unknown format '%s'", format);
	prepare_layout(&o);
	for (guint64 i = 0; i < o.n + (o.huge_mb > 0); i++) {
		Plan p;

		plan_message(&o, i, i == o.n, &p);
		switch (o.format) {
		case FMT_PLAIN:
			bytes += write_plain(&o, &p);
			break;
		case FMT_POSTFIX:
			bytes += write_postfix(&o, &p);
			break;
		case FMT_EXIM:
			bytes += write_exim(&o, &p);
			break;
		}
		msgs++;
	}
	printf("%" G_GUINT64_FORMAT " messages, %" G_GUINT64_FORMAT
	       " content bytes\n",
	    msgs, bytes);
	return 0;
}
