// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spool-exim.c - the Exim spool: input/<id>-H + input/<id>-D (+ msglog/<id>).
 *
 * The walker streams input/, input/<c>/ (split_spool_directory) and
 * Finput/, pairing each -H with its -D by fstatat(), never by listing a
 * whole directory; ids with a -J journal or a hdr.<id> temp file are
 * left alone (see below).  A single -H or -D named on the command line is
 * claimed by exim_message_for_file() with its partner and msglog.  open() takes
 * Exim's own lock (an fcntl write lock on the bytes of -D's first line,
 * taken as an OFD lock) and keeps it until the message is freed (no lock
 * at all for read-only check and inspect, see spool-pair.h), reads -H into
 * memory and checks every promise it makes: fixed lines, option lines, ACL
 * variable lengths, the non-recipients tree (an explicit stack, depth bounded
 * by the profile), the recipient count, DSN lengths, and header records that
 * must tile the file exactly.  One pread() pass over -D checks the body counts.
 * The content stream is the live header records of -H, a blank line, then -D
 * after its first line: no copy.  Limits, all from the profile:
 * container.exim-line-length (Exim's buffer), container.line-length,
 * container.tree-depth, header.count (records kept).
 *
 * Still being written (Exim's own rules: receive.c, spool_out.c,
 * deliver.c): a message exists for Exim once its -H does.  Exim writes
 * -D first and holds an fcntl write lock on its first line for as long
 * as it receives or delivers the message; -H is written as hdr.<id> and
 * renamed into place (also when a delivery rewrites it); a -J journal
 * records deliveries done by an attempt that has not finished; at the end
 * of a delivery Exim removes the msglog, -D, then -H, and dies with a
 * panic if one of them is gone.  So: a locked -D is BUSY; hdr.<id> means
 * in progress (YOUNG); an id with a -J is Exim's to finish (skipped); a
 * lone -D is rechecked under its lock (a -H written since the walk: YOUNG);
 * a lone -H is YOUNG until its directory has been still for
 * EXIM_SETTLE_SECONDS, and only then an orphan.  Frozen messages (-frozen,
 * Finput/) are on hold already.
 */
#include "config.h"

#include "spool-exim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __SSE2__
#include <immintrin.h>
#endif

#include "spoolguard/stream.h"

#include "spool-pair.h"

/*
 * Exim refuses spool files declaring more recipients (spool_in.c): Exim's
 * own number, which no profile changes (envelope.rcpt-count judges the
 * recipients a message has, this one whether Exim reads the file at all).
 */
#define EXIM_RCPT_MAX 16384
/* Digits a header record length may have: any 64-bit length fits. */
#define EXIM_LENGTH_DIGITS 20
/* pread() size for the -D body pass: findings do not depend on it. */
#define EXIM_CHUNK 65536
/* Login names Exim accepts (originator_login). */
#define EXIM_LOGIN_MAX 63
/* A lone -H is an orphan only once its directory has been still this long. */
#define EXIM_SETTLE_SECONDS 60

/* offset: of the record's text in -H */
typedef SgSpoolPairRecord EximRecord;

typedef struct {
	const char *map; /* -H, read whole (not mmap: no SIGBUS) */
	gsize map_len;
	GArray *records;    /* EximRecord: live (non-'*') header records */
	guint h, d;         /* file indexes, G_MAXUINT when absent */
	goffset body_start; /* in -D: after its first line */
	goffset body_len;
	goffset header_bytes;
} EximReader;

static void
exim_reader_free(gpointer data)
{
	EximReader *r = data;

	if (r == NULL)
		return;
	sg_spool_pair_release(r->map, r->map_len);
	if (r->records != NULL)
		g_array_unref(r->records);
	g_free(r);
}

gboolean
sg_spool_exim_valid_id(const char *p, gsize len)
{
	gsize d1 = 6, d2;

	if (len == 16)
		d2 = 13;
	else if (len == 23)
		d2 = 18;
	else
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (i == d1 || i == d2) {
			if (p[i] != '-')
				return FALSE;
		} else if (!g_ascii_isalnum(p[i]))
			return FALSE;
	}
	return TRUE;
}

/* ---- -H parser ------------------------------------------------------ */

typedef struct {
	SgMessage *msg;
	const SgProfile *profile;
	guint file;
	const char *buf;
	gsize len;
	gsize pos;
	gboolean line_reported;
	gboolean exim_line_reported;
	SgSpoolEximInfo *info;
} EximParser;

#define EX_EVENT(p, rule, off, obs, ...)                                       \
	sg_spool_pair_event((p)->msg, (p)->profile, SG_RULE_##rule, (p)->file, \
	    (goffset)(off), (obs), __VA_ARGS__)

/* Each length rule once per file: Exim's own buffer, then any reader's. */
static void
exim_check_line_length(EximParser *p, gsize bytes, goffset off)
{
	gint64 exim_max =
	    sg_spool_pair_hard(p->profile, SG_RULE_CONTAINER_EXIM_LINE_LENGTH);

	if (!p->exim_line_reported && (gint64)bytes > exim_max) {
		p->exim_line_reported = TRUE;
		sg_spool_pair_limit(p->msg, p->profile,
		    SG_RULE_CONTAINER_EXIM_LINE_LENGTH, p->file, off,
		    (gint64)bytes,
		    "a -H line of %zu bytes (Exim reads at most "
		    "%" G_GINT64_FORMAT " whole, and splits longer ones)",
		    bytes, exim_max);
	}
	if (!p->line_reported &&
	    (gint64)bytes >
	        sg_spool_pair_hard(p->profile, SG_RULE_CONTAINER_LINE_LENGTH)) {
		p->line_reported = TRUE;
		sg_spool_pair_limit(p->msg, p->profile,
		    SG_RULE_CONTAINER_LINE_LENGTH, p->file, off, (gint64)bytes,
		    "a -H line of %zu bytes", bytes);
	}
}

/* Next line as (line, n) without its '\n'; FALSE at end of file. */
static gboolean
exim_next_line(EximParser *p, const char **line, gsize *n, goffset *off,
    gboolean *terminated)
{
	const char *nl;

	if (p->pos >= p->len)
		return FALSE;
	*line = p->buf + p->pos;
	*off = (goffset)p->pos;
	nl = memchr(*line, '\n', p->len - p->pos);
	if (nl == NULL) {
		*n = p->len - p->pos;
		p->pos = p->len;
		*terminated = FALSE;
	} else {
		*n = (gsize)(nl - *line);
		p->pos += *n + 1;
		*terminated = TRUE;
	}
	exim_check_line_length(p, *n + 1, *off);
	if (memchr(*line, '\0', *n) != NULL) {
		const char *z = memchr(*line, '\0', *n);

		EX_EVENT(p, CONTAINER_NUL, *off + (z - *line), SG_VALUE_NONE,
		    "NUL byte in a -H control line");
	}
	return TRUE;
}

/* A line that must be there: reports container.missing-record if not. */
static gboolean
exim_need_line(EximParser *p, const char *what, const char **line, gsize *n,
    goffset *off)
{
	gboolean terminated = TRUE;

	if (!exim_next_line(p, line, n, off, &terminated) || !terminated) {
		EX_EVENT(p, CONTAINER_MISSING_RECORD, p->len, SG_VALUE_NONE,
		    "-H ends before %s", what);
		return FALSE;
	}
	return TRUE;
}

/* Parses a signed decimal with optional leading spaces from (s, n). */
static gboolean
exim_parse_int(const char *s, gsize n, gint64 *out)
{
	return n > 0 && sg_parse_i64(s, n, out);
}

/* Option lines: returns FALSE when the rest of -H cannot be trusted. */
static gboolean
exim_parse_option(EximParser *p, const char *line, gsize n, goffset off)
{
	const char *name = line + 1, *val, *sp;
	gsize nlen, vlen;
	gint64 v;

	if (n > 1 && name[0] == '-')
		name++; /* "--" marks a tainted value */
	nlen = n - (gsize)(name - line);
	sp = memchr(name, ' ', nlen);
	val = sp != NULL ? sp + 1 : name + nlen;
	vlen = (gsize)(line + n - val);
	if (sp != NULL)
		nlen = (gsize)(sp - name);

#define OPT(s) (nlen == sizeof(s) - 1 && memcmp(name, s, nlen) == 0)
	if (OPT("aclc") || OPT("aclm") || OPT("acl")) {
		/* -aclc NAME LEN, then exactly LEN bytes and a newline. */
		const char *last = NULL;
		goffset len_off;

		for (const char *q = val; q < line + n; q++) {
			if (*q == ' ')
				last = q;
		}
		if (last == NULL ||
		    !exim_parse_int(last + 1, (gsize)(line + n - last - 1),
		        &v)) {
			EX_EVENT(p, CONTAINER_BAD_LENGTH, off, SG_VALUE_NONE,
			    "ACL variable line without a length");
			return FALSE;
		}
		len_off = off + (last + 1 - line);
		if (v < 0) {
			EX_EVENT(p, CONTAINER_BAD_LENGTH, len_off, v,
			    "negative ACL variable length %" G_GINT64_FORMAT,
			    v);
			return FALSE;
		}
		if ((guint64)v >= p->len - p->pos) {
			EX_EVENT(p, CONTAINER_RECORD_OVERRUN, len_off, v,
			    "ACL variable length %" G_GINT64_FORMAT
			    " runs past the end of -H (%zu bytes left)",
			    v, p->len - p->pos);
			return FALSE;
		}
		if (p->buf[p->pos + (gsize)v] != '\n') {
			EX_EVENT(p, CONTAINER_BAD_LENGTH, len_off, v,
			    "ACL variable value of %" G_GINT64_FORMAT
			    " bytes is not followed by a newline",
			    v);
		}
		p->pos += (gsize)v + 1;
		return TRUE;
	}
	if (OPT("body_linecount") || OPT("body_zerocount") ||
	    OPT("max_received_linelength") || OPT("frozen")) {
		if (!exim_parse_int(val, vlen, &v) || v < 0) {
			EX_EVENT(p, CONTAINER_BAD_FIELD, off, SG_VALUE_NONE,
			    "-%.*s is not a number", (int)nlen, name);
			return TRUE;
		}
		if (OPT("body_linecount"))
			p->info->body_linecount = v;
		else if (OPT("body_zerocount"))
			p->info->body_zerocount = v;
		else if (OPT("max_received_linelength"))
			p->info->max_linelength = v;
		else {
			p->info->frozen = TRUE;
			sg_spool_pair_prop(p->msg, "frozen", val, vlen);
		}
		return TRUE;
	}
	if (OPT("spool_file_wireformat")) {
		p->info->wireformat = TRUE;
		sg_spool_pair_prop(p->msg, "wireformat", "yes", 3);
		return TRUE;
	}
	if (OPT("host_address") || OPT("helo_name") || OPT("host_name") ||
	    OPT("received_protocol") || OPT("ident") || OPT("dsn_envid") ||
	    OPT("interface_address") || OPT("auth_id")) {
		g_autofree char *key = g_strndup(name, nlen);

		sg_spool_pair_prop(p->msg, key, val, vlen);
	}
#undef OPT
	return TRUE; /* unknown options are ignored, as Exim does */
}

/* The non-recipients tree, pre-order, with an explicit stack. */
static gboolean
exim_parse_tree(EximParser *p, const char *line, gsize n, goffset off)
{
	gint64 limit =
	    sg_spool_pair_hard(p->profile, SG_RULE_CONTAINER_TREE_DEPTH);
	g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(guint32));
	guint32 depth = 1, maxdepth = 0;
	gboolean first = TRUE;
	goffset start = off;

	if (n == 2 && memcmp(line, "XX", 2) == 0)
		return TRUE;
	g_array_append_val(stack, depth);
	while (stack->len > 0) {
		depth = g_array_index(stack, guint32, stack->len - 1);
		g_array_set_size(stack, stack->len - 1);
		if (!first &&
		    !exim_need_line(p, "the end of the tree", &line, &n, &off))
			return FALSE;
		first = FALSE;
		if (depth > maxdepth)
			maxdepth = depth;
		if ((gint64)depth > limit) {
			/* reported once, at the node that crosses the limit */
			sg_spool_pair_limit(p->msg, p->profile,
			    SG_RULE_CONTAINER_TREE_DEPTH, p->file, off, depth,
			    "non-recipients tree nests %u deep", depth);
			return FALSE;
		}
		if (n < 4 || (line[0] != 'Y' && line[0] != 'N') ||
		    (line[1] != 'Y' && line[1] != 'N') || line[2] != ' ') {
			EX_EVENT(p, CONTAINER_BAD_FIELD, off, SG_VALUE_NONE,
			    "malformed non-recipients tree line");
			return FALSE;
		}
		if (line[1] == 'Y') {
			guint32 d = depth + 1;

			g_array_append_val(stack, d);
		}
		if (line[0] == 'Y') {
			guint32 d = depth + 1;

			g_array_append_val(stack, d);
		}
	}
	/* under the hard limit: the soft one, if the profile has one */
	sg_spool_pair_limit(p->msg, p->profile, SG_RULE_CONTAINER_TREE_DEPTH,
	    p->file, start, maxdepth, "non-recipients tree nests %u deep",
	    maxdepth);
	return TRUE;
}

/*
 * A recipient line: "addr" or, new style, "addr orcpt LEN,FLAGS errors_to
 * LEN,PNO#BITS", parsed backwards from '#' exactly as Exim does, with
 * every step kept inside the line.  Sets *alen to the address length.
 */
static gboolean
exim_parse_rcpt(const char *c, gsize n, gsize *alen)
{
	gssize p = (gssize)n - 1, q;
	gint64 flags = 0, len;

	*alen = n;
	while (p >= 0 && g_ascii_isdigit(c[p]))
		p--;
	if (p < 0 || c[p] != '#')
		return TRUE; /* a plain address (or old style: kept whole) */
	if (p + 1 < (gssize)n &&
	    !exim_parse_int(c + p + 1, n - (gsize)p - 1, &flags))
		return FALSE;
	for (int bit = 1; bit <= 2; bit++) {
		if (bit == 2) {
			/* *--p = 0 between the two parts */
			if (--p < 0)
				return FALSE;
		}
		if (!(flags & bit))
			continue;
		q = p - 1;
		while (q >= 0 &&
		    (g_ascii_isdigit(c[q]) || c[q] == ',' || c[q] == '-'))
			q--;
		if (q < 0)
			return FALSE;
		{
			const char *s = c + q + 1;
			const char *comma = memchr(s, ',', (gsize)(p - q - 1));
			gsize ln = comma != NULL ? (gsize)(comma - s)
			                         : (gsize)(p - q - 1);

			if (!exim_parse_int(s, ln, &len))
				return FALSE;
		}
		p = q;
		if (len > 0) {
			if (len > p)
				return FALSE;
			p -= (gssize)len;
		}
	}
	if (--p < 1)
		return FALSE;
	*alen = (gsize)p;
	return TRUE;
}

static void
exim_parse_records(EximParser *p)
{
	gint64 keep = sg_spool_pair_hard(p->profile, SG_RULE_HEADER_COUNT);
	gboolean count_reported = FALSE;

	while (p->pos < p->len) {
		gsize start = p->pos, d = 0, textpos;
		guint64 reclen;
		char flag;
		const char *z;

		while (start + d < p->len && d < EXIM_LENGTH_DIGITS &&
		    g_ascii_isdigit(p->buf[start + d]))
			d++;
		if (d == 0 || !sg_parse_u64(p->buf + start, d, &reclen)) {
			EX_EVENT(p, CONTAINER_HEADER_LENGTH_MISMATCH, start,
			    SG_VALUE_NONE,
			    "header records do not tile -H: no length at "
			    "offset %zu",
			    start);
			return;
		}
		if (start + d + 2 > p->len) {
			EX_EVENT(p, CONTAINER_HEADER_LENGTH_MISMATCH, start,
			    (gint64)reclen,
			    "header record cut off after its length");
			return;
		}
		flag = p->buf[start + d];
		if (strchr(" BCFIPRST*", flag) == NULL || flag == '\0') {
			EX_EVENT(p, CONTAINER_BAD_FIELD, start + d,
			    (guchar)flag, "invalid header record flag 0x%02x",
			    (guchar)flag);
		}
		if (p->buf[start + d + 1] != ' ') {
			EX_EVENT(p, CONTAINER_BAD_FIELD, start + d + 1,
			    SG_VALUE_NONE,
			    "header record flag not followed by a space");
		}
		textpos = start + d + 2;
		if (reclen > p->len - textpos) {
			EX_EVENT(p, CONTAINER_HEADER_LENGTH_MISMATCH, start,
			    (gint64)reclen,
			    "header record length %" G_GUINT64_FORMAT
			    " runs %" G_GUINT64_FORMAT
			    " bytes past the end of -H",
			    reclen, reclen - (p->len - textpos));
			return;
		}
		z = memchr(p->buf + textpos, '\0', (gsize)reclen);
		if (z != NULL) {
			EX_EVENT(p, CONTAINER_NUL, z - p->buf, SG_VALUE_NONE,
			    "NUL byte inside a header record");
		}
		if (reclen == 0 || p->buf[textpos + reclen - 1] != '\n') {
			EX_EVENT(p, CONTAINER_HEADER_LENGTH_MISMATCH, start,
			    (gint64)reclen,
			    "header record of %" G_GUINT64_FORMAT
			    " bytes does not end a line",
			    reclen);
		}
		if (flag != '*') {
			if ((gint64)p->info->records->len < keep) {
				EximRecord rec = { (goffset)textpos,
					(gsize)reclen };

				g_array_append_val(p->info->records, rec);
				p->info->header_bytes += (goffset)reclen;
			} else if (!count_reported) {
				count_reported = TRUE;
				sg_spool_pair_limit(p->msg, p->profile,
				    SG_RULE_HEADER_COUNT, p->file, start,
				    keep + 1,
				    "more than %" G_GINT64_FORMAT
				    " header records",
				    keep);
			}
		}
		p->pos = textpos + (gsize)reclen;
	}
}

void
sg_spool_exim_info_init(SgSpoolEximInfo *info)
{
	memset(info, 0, sizeof(*info));
	info->body_linecount = -1;
	info->body_zerocount = 0;
	info->max_linelength = -1;
	info->records = g_array_new(FALSE, FALSE, sizeof(EximRecord));
}

void
sg_spool_exim_info_clear(SgSpoolEximInfo *info)
{
	g_clear_pointer(&info->records, g_array_unref);
}

/* 1: its own name. */
static gboolean
exim_parse_name(EximParser *p, const char *id)
{
	gsize n, idlen = strlen(id);
	const char *line;
	goffset off;

	if (!exim_need_line(p, "its name line", &line, &n, &off))
		return FALSE;
	if (n != idlen + 2 || memcmp(line, id, idlen) != 0 ||
	    memcmp(line + idlen, "-H", 2) != 0) {
		g_autofree char *seen = sg_escape_bytes(line, n, 64);

		EX_EVENT(p, CONTAINER_BAD_ID, off, SG_VALUE_NONE,
		    "first line \"%s\" does not name %s-H", seen, id);
	}
	return TRUE;
}

/* 2: login uid gid. */
static gboolean
exim_parse_login(EximParser *p)
{
	const char *line, *s2 = NULL, *s1 = NULL;
	gint64 uid, gid;
	goffset off;
	gsize n;

	if (!exim_need_line(p, "the login line", &line, &n, &off))
		return FALSE;
	for (gsize i = n; i-- > 0;) {
		if (line[i] == ' ') {
			if (s2 == NULL)
				s2 = line + i;
			else {
				s1 = line + i;
				break;
			}
		}
	}
	if (s1 == NULL || s1 == line ||
	    !exim_parse_int(s1 + 1, (gsize)(s2 - s1 - 1), &uid) ||
	    !exim_parse_int(s2 + 1, (gsize)(line + n - s2 - 1), &gid)) {
		EX_EVENT(p, CONTAINER_BAD_FIELD, off, SG_VALUE_NONE,
		    "malformed \"login uid gid\" line");
	} else if (s1 - line > EXIM_LOGIN_MAX) {
		EX_EVENT(p, CONTAINER_BAD_FIELD, off, s1 - line,
		    "login name of %td bytes (Exim allows %d)", s1 - line,
		    EXIM_LOGIN_MAX);
	}
	return TRUE;
}

/* 3: <sender>, then 4: time warning-count. */
static gboolean
exim_parse_sender_time(EximParser *p)
{
	const char *line, *sp;
	gint64 v, count;
	goffset off;
	gsize n;

	if (!exim_need_line(p, "the sender line", &line, &n, &off))
		return FALSE;
	if (n < 2 || line[0] != '<' || line[n - 1] != '>') {
		EX_EVENT(p, CONTAINER_BAD_FIELD, off, SG_VALUE_NONE,
		    "sender line is not <address>");
		sg_message_set_sender(p->msg, line, n, p->file, off);
	} else {
		sg_message_set_sender(p->msg, line + 1, n - 2, p->file,
		    off + 1);
	}
	if (!exim_need_line(p, "the time line", &line, &n, &off))
		return FALSE;
	sp = memchr(line, ' ', n);
	if (sp == NULL || !exim_parse_int(line, (gsize)(sp - line), &v) ||
	    !exim_parse_int(sp + 1, (gsize)(line + n - sp - 1), &count)) {
		EX_EVENT(p, CONTAINER_BAD_FIELD, off, SG_VALUE_NONE,
		    "malformed \"time count\" line");
	} else {
		sg_spool_pair_prop(p->msg, "received_time", line,
		    (gsize)(sp - line));
	}
	return TRUE;
}

/* 5: options, then 6: the tree. */
static gboolean
exim_parse_options_tree(EximParser *p)
{
	const char *line;
	goffset off;
	gsize n;

	for (;;) {
		if (!exim_need_line(p, "the non-recipients tree", &line, &n,
		        &off))
			return FALSE;
		if (n == 0 || line[0] != '-')
			break;
		if (!exim_parse_option(p, line, n, off))
			return FALSE;
	}
	return exim_parse_tree(p, line, n, off);
}

/* 7, first half: the recipient count; -1 when it is no number. */
static gboolean
exim_parse_rcpt_count(EximParser *p, gint64 *rcount, goffset *count_off)
{
	const char *line;
	gsize n;

	if (!exim_need_line(p, "the recipient count", &line, &n, count_off))
		return FALSE;
	if (!exim_parse_int(line, n, rcount) || *rcount < 0) {
		EX_EVENT(p, CONTAINER_BAD_FIELD, *count_off, SG_VALUE_NONE,
		    "recipient count is not a number");
		*rcount = -1;
	} else if (*rcount > EXIM_RCPT_MAX) {
		EX_EVENT(p, CONTAINER_BAD_FIELD, *count_off, *rcount,
		    "recipient count %" G_GINT64_FORMAT
		    " (Exim refuses more than %d)",
		    *rcount, EXIM_RCPT_MAX);
	}
	p->info->rcpt_declared = *rcount;
	return TRUE;
}

/* 7: recipient count and recipients up to the blank line. */
static gboolean
exim_parse_recipients(EximParser *p)
{
	const char *line;
	gsize n, alen;
	goffset off, count_off;
	gint64 rcount;
	guint64 lines = 0;
	gboolean terminated = TRUE, ended;

	if (!exim_parse_rcpt_count(p, &rcount, &count_off))
		return FALSE;
	for (;;) {
		ended = !exim_next_line(p, &line, &n, &off, &terminated) ||
		    !terminated;
		if (ended) {
			EX_EVENT(p, CONTAINER_MISSING_RECORD, p->len,
			    SG_VALUE_NONE,
			    "-H ends before the blank line that starts the "
			    "headers");
		}
		if (ended || n == 0)
			break;
		lines++;
		if (!exim_parse_rcpt(line, n, &alen)) {
			EX_EVENT(p, CONTAINER_BAD_LENGTH, off, SG_VALUE_NONE,
			    "DSN lengths in a recipient line run outside the "
			    "line");
			alen = n;
		}
		sg_message_add_recipient(p->msg, line, alen, p->file, off);
	}
	if (rcount >= 0 && (guint64)rcount != lines) {
		EX_EVENT(p, CONTAINER_RCPT_COUNT_MISMATCH, count_off, rcount,
		    "%" G_GINT64_FORMAT
		    " recipients declared, %" G_GUINT64_FORMAT " found",
		    rcount, lines);
	}
	return !ended;
}

gboolean
sg_spool_exim_parse_header(SgMessage *msg, const SgProfile *profile, guint file,
    const char *id, const char *buf, gsize len, SgSpoolEximInfo *info)
{
	EximParser p = {
		.msg = msg,
		.profile = profile,
		.file = file,
		.buf = buf,
		.len = len,
		.info = info,
	};

	if (!exim_parse_name(&p, id) || !exim_parse_login(&p) ||
	    !exim_parse_sender_time(&p) || !exim_parse_options_tree(&p) ||
	    !exim_parse_recipients(&p))
		return FALSE;
	/* 8: header records tiling the rest of the file */
	exim_parse_records(&p);
	return TRUE;
}

/* ---- -D cross-checks ---------------------------------------------- */

/* What Exim's -H says of its -D, counted over the body chunk by chunk. */
typedef struct {
	gboolean wire; /* -H said wireformat: a CR before LF is not counted */
	gint64 lines;
	gint64 zeros;
	gint64 longest;
	gint64 cur; /* bytes of the line still open */
	char last;  /* the previous chunk's last byte */
} EximBodyCount;

static void
exim_count_line_end(EximBodyCount *c, const char *buf, gsize at, gsize *seg)
{
	gint64 len = c->cur + (gint64)(at - *seg);

	c->lines++;
	/* The byte before this '\n' may end the previous chunk. */
	if (c->wire && len > 0 && (at > 0 ? buf[at - 1] : c->last) == '\r')
		len--;
	c->longest = MAX(c->longest, len);
	c->cur = 0;
	*seg = at + 1;
}

#if defined(__SSE2__) && defined(__x86_64__) && defined(__GNUC__)
#define EXIM_COUNT_AVX2 1
/* The SSE2 loop below on 32 bytes a step, for CPUs with AVX2. */
__attribute__((target("avx2"))) static gsize
exim_count_avx2(EximBodyCount *c, const char *buf, gsize n, gsize *seg)
{
	const __m256i zero = _mm256_setzero_si256();
	const __m256i lf = _mm256_set1_epi8('\n');
	gsize i = 0;

	for (; i + 32 <= n; i += 32) {
		__m256i v = _mm256_loadu_si256(
		    (const __m256i *)(const void *)(buf + i));
		guint zm =
		    (guint)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, zero));
		guint nm =
		    (guint)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, lf));

		if (zm != 0)
			c->zeros += __builtin_popcount(zm);
		while (nm != 0) {
			exim_count_line_end(c, buf,
			    i + (gsize)__builtin_ctz(nm), seg);
			nm &= nm - 1;
		}
	}
	return i;
}
#endif

/*
 * NULs and line ends of one chunk.  With SSE2, 16 bytes are compared
 * with '\0' and '\n' at once (32 with AVX2, where the CPU has it) and only
 * the line ends are visited one by one, instead of a memchr call a line.
 */
static void
exim_count_chunk(EximBodyCount *c, const char *buf, gsize n)
{
	gsize i = 0, seg = 0;

#ifdef EXIM_COUNT_AVX2
	if (__builtin_cpu_supports("avx2"))
		i = exim_count_avx2(c, buf, n, &seg);
#endif
#ifdef __SSE2__
	for (; i + 16 <= n; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(buf + i));
		guint zm = (guint)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(v, _mm_setzero_si128()));
		guint nm = (guint)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));

		if (zm != 0)
			c->zeros += __builtin_popcount(zm);
		while (nm != 0) {
			exim_count_line_end(c, buf,
			    i + (gsize)__builtin_ctz(nm), &seg);
			nm &= nm - 1;
		}
	}
#endif
	for (; i < n; i++) {
		if (buf[i] == '\0')
			c->zeros++;
		else if (buf[i] == '\n')
			exim_count_line_end(c, buf, i, &seg);
	}
	c->cur += (gint64)(n - seg);
	if (n > 0)
		c->last = buf[n - 1];
}

static gboolean
exim_check_data(SgMessage *msg, const SgProfile *profile, EximReader *r,
    const SgSpoolEximInfo *info, GError **error)
{
	SgMessageFile *df = sg_message_file(msg, r->d);
	gsize idlen = strlen(msg->queue_id);
	g_autofree char *buf = g_malloc(EXIM_CHUNK);
	char want[64];
	EximBodyCount count = { .wire = info->wireformat };
	goffset pos, size = df->st.st_size;
	gssize got;

	g_snprintf(want, sizeof(want), "%s-D\n", msg->queue_id);
	got = sg_pread_full(df->fd, buf, MIN((gsize)size, idlen + 3), 0);
	if (got < 0) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
		    "%s: read: %s", df->path, g_strerror(errno));
		return FALSE;
	}
	r->body_start = MIN(size, (goffset)idlen + 3);
	if ((gsize)got != idlen + 3 || memcmp(buf, want, idlen + 3) != 0) {
		g_autofree char *seen = sg_escape_bytes(buf, (gsize)got, 64);

		sg_spool_pair_event(msg, profile, SG_RULE_CONTAINER_BAD_ID,
		    r->d, 0, SG_VALUE_NONE,
		    "-D first line \"%s\" does not name %s-D", seen,
		    msg->queue_id);
	}
	r->body_len = size - r->body_start;
	for (pos = r->body_start; pos < size; pos += got) {
		got = sg_pread_full(df->fd, buf,
		    (gsize)MIN((goffset)EXIM_CHUNK, size - pos), pos);
		if (got < 0) {
			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
			    "%s: read: %s", df->path, g_strerror(errno));
			return FALSE;
		}
		if (got == 0)
			break;
		exim_count_chunk(&count, buf, (gsize)got);
	}
	count.longest = MAX(count.longest, count.cur);
	if (info->body_linecount >= 0 && info->body_linecount != count.lines) {
		sg_spool_pair_event(msg, profile,
		    SG_RULE_CONTAINER_SIZE_MISMATCH, r->h, SG_OFFSET_NONE,
		    info->body_linecount,
		    "-body_linecount %" G_GINT64_FORMAT
		    " but -D holds %" G_GINT64_FORMAT " lines",
		    info->body_linecount, count.lines);
	}
	if (info->body_zerocount != count.zeros) {
		sg_spool_pair_event(msg, profile,
		    SG_RULE_CONTAINER_SIZE_MISMATCH, r->h, SG_OFFSET_NONE,
		    info->body_zerocount,
		    "-body_zerocount %" G_GINT64_FORMAT
		    " but -D holds %" G_GINT64_FORMAT " NULs",
		    info->body_zerocount, count.zeros);
	}
	if (info->max_linelength >= 0 &&
	    count.longest > info->max_linelength + 1) {
		sg_spool_pair_event(msg, profile,
		    SG_RULE_CONTAINER_SIZE_MISMATCH, r->d, SG_OFFSET_NONE,
		    count.longest,
		    "a -D line of %" G_GINT64_FORMAT
		    " bytes, longer than -max_received_linelength "
		    "%" G_GINT64_FORMAT,
		    count.longest, info->max_linelength);
	}
	return TRUE;
}

/* ---- content: live header records + "\n" + -D body -------------- */

static GMimeStream *
exim_content_open(SgMessage *msg, GError **error)
{
	EximReader *r = msg->reader_data;

	return sg_spool_pair_content_open(msg, r->h, r->map, r->map_len,
	    r->records, r->d, r->body_start, r->body_len, error);
}

static gboolean
exim_content_locate(SgMessage *msg, goffset content_offset, guint *file,
    goffset *file_offset)
{
	EximReader *r = msg->reader_data;

	return sg_spool_pair_content_locate(r->records, r->h, r->map_len, r->d,
	    r->body_start, r->body_len, content_offset, file, file_offset);
}

static const SgContentOps exim_content_ops = {
	.open = exim_content_open,
	.locate = exim_content_locate,
};

/* ---- readiness ---------------------------------------------------- */

/*
 * Exim's own rules, checked once the -D lock (if any) is ours, so that
 * nothing Exim does under its lock can change the answer: hdr.<id> is a
 * -H being written (YOUNG); a -J journal is a delivery that Exim itself
 * will finish from it (SKIP, as the walk counts it); a -D listed alone
 * whose -H exists now was being received when the walk passed (YOUNG);
 * a -H alone is what Exim's delivery leaves for an instant at its end,
 * when it has removed the msglog and -D and not yet -H (it panics if -H
 * is gone then): it stays an orphan-to-be until its directory has been
 * still for EXIM_SETTLE_SECONDS (YOUNG).
 */
static gboolean
exim_check_ready(SgMessage *msg, const EximReader *r, gint64 now,
    GError **error)
{
	SgMessageFile *any =
	    sg_message_file(msg, r->d != G_MAXUINT ? r->d : r->h);
	g_autofree char *dir = g_path_get_dirname(any->path);
	g_autofree char *temp = g_strconcat("hdr.", msg->queue_id, NULL);
	g_autofree char *journal = g_strconcat(msg->queue_id, "-J", NULL);
	g_autofree char *hname = g_strconcat(msg->queue_id, "-H", NULL);
	g_autofree char *dname = g_strconcat(msg->queue_id, "-D", NULL);
	struct stat st;

	if (sg_spool_pair_exists_in(dir, temp)) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG,
		    "%s: %s exists: Exim is writing its -H", msg->id, temp);
		return FALSE;
	}
	if (sg_spool_pair_exists_in(dir, journal)) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_SKIP,
		    "%s: %s exists: a delivery Exim finishes itself", msg->id,
		    journal);
		return FALSE;
	}
	if (r->h == G_MAXUINT && sg_spool_pair_exists_in(dir, hname)) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG,
		    "%s: -H written since the walk: still being received",
		    msg->id);
		return FALSE;
	}
	if (r->d == G_MAXUINT) {
		if (sg_spool_pair_exists_in(dir, dname)) {
			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG,
			    "%s: -D appeared since the walk", msg->id);
			return FALSE;
		}
		if (stat(dir, &st) != 0 ||
		    now - (gint64)st.st_mtime < EXIM_SETTLE_SECONDS) {
			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_YOUNG,
			    "%s: -H without -D in a directory changed less "
			    "than %d s ago: maybe the end of a delivery",
			    msg->id, EXIM_SETTLE_SECONDS);
			return FALSE;
		}
	}
	return TRUE;
}

/* Just before a move: the same rules again, under the same lock. */
static gboolean
exim_prepare_move(SgMessage *msg, GError **error)
{
	const EximReader *r = msg->reader_data;

	if (!sg_spool_pair_is_open(msg, error))
		return FALSE;
	return exim_check_ready(msg, r, g_get_real_time() / G_USEC_PER_SEC,
	    error);
}

/* ---- ops -------------------------------------------------------- */

static gboolean
exim_open(SgMessage *msg, const SgProfile *profile, const SgWalkOptions *opts,
    GError **error)
{
	EximReader *r = g_new0(EximReader, 1);
	SgSpoolEximInfo info;
	SgMessageFile *hf = NULL, *df = NULL;
	gsize idlen;

	msg->reader_data = r;
	msg->reader_free = exim_reader_free;
	r->h = sg_spool_pair_find_role(msg, "H");
	r->d = sg_spool_pair_find_role(msg, "D");
	r->records = g_array_new(FALSE, FALSE, sizeof(EximRecord));
	if (msg->queue_id == NULL ||
	    !sg_spool_exim_valid_id(msg->queue_id, strlen(msg->queue_id))) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_SKIP,
		    "%s: not an Exim message id", msg->id);
		return FALSE;
	}
	idlen = strlen(msg->queue_id);
	if (r->d != G_MAXUINT) {
		/* Exim's lock: bytes [0, length of "<id>-D\n") of -D. */
		if (!sg_spool_pair_open_aged(msg, r->d, TRUE, 0,
		        (off_t)idlen + 3, opts, &df, error))
			return FALSE;
	}
	if (r->h != G_MAXUINT &&
	    !sg_spool_pair_open_aged(msg, r->h, FALSE, 0, 0, opts, &hf, error))
		return FALSE;
	for (guint i = 0; i < msg->files->len; i++) {
		if (i == r->h || i == r->d)
			continue;
		if (!sg_message_open_file(msg, i, error))
			return FALSE;
	}
	if ((opts == NULL || !opts->read_only) &&
	    !exim_check_ready(msg, r, g_get_real_time() / G_USEC_PER_SEC,
	        error))
		return FALSE;
	msg->on_hold = g_strcmp0(msg->queue_name, "Finput") == 0;
	if (hf == NULL || df == NULL) {
		sg_spool_pair_event(msg, profile, SG_RULE_CONTAINER_ORPHAN_FILE,
		    hf != NULL ? r->h : r->d, SG_OFFSET_NONE, SG_VALUE_NONE,
		    "%s-%s without its %s file", msg->queue_id,
		    hf != NULL ? "H" : "D", hf != NULL ? "-D" : "-H");
	}
	sg_spool_exim_info_init(&info);
	if (hf != NULL) {
		if (!sg_spool_pair_read_all(hf, &r->map, &r->map_len, error)) {
			sg_spool_exim_info_clear(&info);
			return FALSE;
		}
		sg_spool_exim_parse_header(msg, profile, r->h, msg->queue_id,
		    r->map, r->map_len, &info);
		msg->on_hold = msg->on_hold || info.frozen;
		g_array_unref(r->records);
		r->records = g_steal_pointer(&info.records);
		r->header_bytes = info.header_bytes;
	}
	if (df != NULL) {
		if (!exim_check_data(msg, profile, r, &info, error)) {
			sg_spool_exim_info_clear(&info);
			return FALSE;
		}
	}
	sg_spool_exim_info_clear(&info);
	msg->content = &exim_content_ops;
	msg->content_data = NULL;
	msg->content_free = NULL;
	msg->content_size = (hf != NULL ? r->header_bytes + 1 : 0) +
	    (df != NULL ? r->body_len : 0);
	return TRUE;
}

/* ---- walking ------------------------------------------------------- */

typedef struct {
	const SgWalkOptions *opts;
	SgWalkStats *stats;
	SgWalkFunc func;
	gpointer user_data;
	char *root;   /* the spool directory */
	char *msglog; /* (nullable) its msglog/ */
	gboolean stop;
} EximWalk;

/*
 * (transfer full): the unopened candidate for @id in @dir, listing -H
 * and/or -D and the msglog found under @msglog (nullable): msglog/<id>,
 * or msglog/<c>/<id> with split_spool_directory.
 */
static SgMessage *
exim_candidate(const char *root, const char *msglog, const char *dir,
    const char *queue, const char *id, gboolean have_h, gboolean have_d)
{
	SgMessage *msg;
	g_autofree char *hname = g_strconcat(id, "-H", NULL);
	g_autofree char *dname = g_strconcat(id, "-D", NULL);

	msg = sg_message_new(&sg_spool_exim_ops, "exim", id);
	msg->spool_root = g_strdup(root);
	msg->queue_name = g_strdup(queue);
	msg->queue_id = g_strdup(id);
	/* File order is unlink order: -H first, then -D, then msglog. */
	if (have_h) {
		g_autofree char *p = g_build_filename(dir, hname, NULL);

		sg_message_add_file(msg, p, "H");
	}
	if (have_d) {
		g_autofree char *p = g_build_filename(dir, dname, NULL);

		sg_message_add_file(msg, p, "D");
	}
	if (msglog != NULL) {
		char sub[2] = { id[5], '\0' };
		g_autofree char *p = g_build_filename(msglog, id, NULL);
		g_autofree char *q = g_build_filename(msglog, sub, id, NULL);
		struct stat st;

		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
			sg_message_add_file(msg, p, "msglog");
		else if (lstat(q, &st) == 0 && S_ISREG(st.st_mode))
			sg_message_add_file(msg, q, "msglog");
	}
	return msg;
}

static void
exim_emit(EximWalk *w, const char *dir, const char *queue, const char *id,
    gboolean have_h, gboolean have_d)
{
	SgMessage *msg =
	    exim_candidate(w->root, w->msglog, dir, queue, id, have_h, have_d);

	g_atomic_int_inc(&w->stats->seen);
	if (!w->func(msg, w->user_data))
		w->stop = TRUE;
}

static gboolean
exim_walk_dir(EximWalk *w, const char *dir, const char *queue, gboolean top,
    GError **error)
{
	g_autoptr(GPtrArray) subdirs = g_ptr_array_new_with_free_func(g_free);
	DIR *dp;
	struct dirent *de;
	int dfd;

	dp = opendir(dir);
	if (dp == NULL) {
		if (errno == ENOENT)
			return TRUE;
		g_set_error(error, SG_SPOOL_ERROR, SG_SPOOL_ERROR_IO,
		    "%s: cannot open: %s", dir, g_strerror(errno));
		return FALSE;
	}
	dfd = dirfd(dp);
	while (!w->stop && (errno = 0, de = readdir(dp)) != NULL) {
		const char *name = de->d_name;
		gsize n = strlen(name);
		g_autofree char *id = NULL;
		g_autofree char *other = NULL;
		g_autofree char *journal = NULL;
		g_autofree char *temp = NULL;
		gboolean is_h;
		struct stat st;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (top && n == 1 && g_ascii_isalnum(name[0])) {
			if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISDIR(st.st_mode))
				g_ptr_array_add(subdirs, g_strdup(name));
			continue;
		}
		if (n < 3 || name[n - 2] != '-' ||
		    (name[n - 1] != 'H' && name[n - 1] != 'D') ||
		    !sg_spool_exim_valid_id(name, n - 2)) {
			if (strcmp(name, "msglog") != 0)
				g_atomic_int_inc(&w->stats->skipped);
			continue;
		}
		is_h = name[n - 1] == 'H';
		id = g_strndup(name, n - 2);
		journal = g_strconcat(id, "-J", NULL);
		temp = g_strconcat("hdr.", id, NULL);
		other = g_strconcat(id, is_h ? "-D" : "-H", NULL);
		if (sg_spool_pair_exists(dfd, temp)) {
			/* -H being written: in progress (counted once) */
			if (is_h || !sg_spool_pair_exists(dfd, other))
				g_atomic_int_inc(&w->stats->young);
			continue;
		}
		if (sg_spool_pair_exists(dfd, journal)) {
			g_atomic_int_inc(&w->stats->skipped);
			continue;
		}
		if (sg_spool_pair_exists(dfd, other)) {
			if (is_h)
				exim_emit(w, dir, queue, id, TRUE, TRUE);
			continue; /* the pair is handed out at its -H */
		}
		/* a -D whose pair was just moved by a worker is gone too */
		if (is_h || sg_spool_pair_exists(dfd, name))
			exim_emit(w, dir, queue, id, is_h, !is_h);
	}
	closedir(dp);
	for (guint i = 0; !w->stop && i < subdirs->len; i++) {
		g_autofree char *sub =
		    g_build_filename(dir, g_ptr_array_index(subdirs, i), NULL);

		if (!exim_walk_dir(w, sub, queue, FALSE, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
exim_is_dir(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode);
}

/* <id>-H or <id>-D. */
static gboolean
exim_pair_name(const char *name, gsize n)
{
	return n > 2 && name[n - 2] == '-' &&
	    (name[n - 1] == 'H' || name[n - 1] == 'D') &&
	    sg_spool_exim_valid_id(name, n - 2);
}

static gboolean
exim_detect(int dirfd, const char *path)
{
	(void)path;
	if (exim_is_dir(dirfd, "input") &&
	    (exim_is_dir(dirfd, "msglog") || exim_is_dir(dirfd, "db") ||
	        !exim_is_dir(dirfd, "deferred")))
		return TRUE;
	return sg_spool_pair_dir_has(dirfd, exim_pair_name);
}

static gboolean
exim_walk(const char *path, const SgWalkOptions *opts, SgWalkStats *stats,
    SgWalkFunc func, gpointer user_data, GError **error)
{
	EximWalk w = {
		.opts = opts,
		.stats = stats,
		.func = func,
		.user_data = user_data,
	};
	g_autofree char *input = g_build_filename(path, "input", NULL);
	gboolean ok;

	if (g_file_test(input, G_FILE_TEST_IS_DIR) &&
	    !g_file_test(input, G_FILE_TEST_IS_SYMLINK)) {
		g_autofree char *finput =
		    g_build_filename(path, "Finput", NULL);

		w.root = g_strdup(path);
		w.msglog = g_build_filename(path, "msglog", NULL);
		ok = exim_walk_dir(&w, input, "input", TRUE, error) &&
		    (w.stop ||
		        exim_walk_dir(&w, finput, "Finput", TRUE, error));
	} else {
		/* An input/ directory itself (or a folder of pairs). */
		g_autofree char *base = g_path_get_basename(path);
		g_autofree char *own = g_build_filename(path, "msglog", NULL);

		w.root = g_path_get_dirname(path);
		if (g_file_test(own, G_FILE_TEST_IS_DIR))
			w.msglog = g_steal_pointer(&own);
		else
			w.msglog = g_build_filename(w.root, "msglog", NULL);
		ok = exim_walk_dir(&w, path,
		    strcmp(base, "Finput") == 0 ? "Finput" : "input", TRUE,
		    error);
	}
	g_free(w.root);
	g_free(w.msglog);
	return ok;
}

/* ---- one file named on the command line -------------------------- */

/* TRUE when @path is a regular file (not followed) whose first line is
 * exactly "@name\n": Exim starts -H and -D with their own names. */
static gboolean
exim_names_itself(const char *path, const char *name)
{
	gsize n = strlen(name);
	char buf[32];
	ssize_t got;
	int fd;

	if (n + 1 > sizeof(buf))
		return FALSE;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return FALSE;
	got = pread(fd, buf, n + 1, 0);
	close(fd);
	return got == (ssize_t)(n + 1) && memcmp(buf, name, n) == 0 &&
	    buf[n] == '\n';
}

/*
 * <id>-H or <id>-D in input/, input/<c>/, Finput/ (or any folder of
 * pairs): claimed when its partner is beside it, or, alone, when its
 * first line names it as Exim writes it (the reader then reports the
 * orphan).  The spool root is above input/ (and above <c>/).
 */
static SgMessage *
exim_message_for_file(const char *path)
{
	g_autofree char *real = realpath(path, NULL);
	g_autofree char *name = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *base = NULL;
	g_autofree char *top = NULL;
	g_autofree char *root = NULL;
	g_autofree char *id = NULL;
	g_autofree char *other = NULL;
	g_autofree char *msglog = NULL;
	g_autofree char *queue = NULL;
	gboolean is_h, have_other;
	gsize n;

	if (real == NULL)
		return NULL;
	name = g_path_get_basename(real);
	dir = g_path_get_dirname(real);
	n = strlen(name);
	if (n < 3 || name[n - 2] != '-' ||
	    (name[n - 1] != 'H' && name[n - 1] != 'D') ||
	    !sg_spool_exim_valid_id(name, n - 2) ||
	    !sg_spool_pair_is_reg(dir, name))
		return NULL;
	is_h = name[n - 1] == 'H';
	id = g_strndup(name, n - 2);
	other = g_strconcat(id, is_h ? "-D" : "-H", NULL);
	have_other = sg_spool_pair_is_reg(dir, other);
	if (!have_other && !exim_names_itself(real, name))
		return NULL;
	/* input/<c>/ with split_spool_directory: <c> is the id's 6th char */
	base = g_path_get_basename(dir);
	top = g_strdup(dir);
	if (strlen(base) == 1 && base[0] == id[5]) {
		g_autofree char *up = g_path_get_dirname(dir);
		g_autofree char *upbase = g_path_get_basename(up);

		if (strcmp(upbase, "input") == 0 ||
		    strcmp(upbase, "Finput") == 0) {
			g_free(top);
			top = g_steal_pointer(&up);
			g_free(base);
			base = g_steal_pointer(&upbase);
		}
	}
	queue = g_strdup(strcmp(base, "Finput") == 0 ? "Finput" : "input");
	root = g_path_get_dirname(top);
	msglog = g_build_filename(root, "msglog", NULL);
	if (!g_file_test(msglog, G_FILE_TEST_IS_DIR)) {
		/* a folder of pairs with its own msglog/ */
		g_free(msglog);
		msglog = g_build_filename(top, "msglog", NULL);
		if (!g_file_test(msglog, G_FILE_TEST_IS_DIR))
			g_clear_pointer(&msglog, g_free);
	}
	return exim_candidate(root, msglog, dir, queue, id, is_h || have_other,
	    !is_h || have_other);
}

/* ---- hold = freeze ------------------------------------------------- */

/* The configured spool of the installed exim, or NULL. */
static char *
exim_binary(void)
{
	static const char *const bins[] = { "/usr/sbin/exim4", "/usr/sbin/exim",
		NULL };

	for (guint i = 0; bins[i] != NULL; i++) {
		if (g_file_test(bins[i], G_FILE_TEST_IS_EXECUTABLE))
			return g_strdup(bins[i]);
	}
	return NULL;
}

static gboolean
exim_same_spool(const char *bin, const char *root)
{
	const char *argv[] = { bin, "-bP", "spool_directory", NULL };
	g_autofree char *out = NULL;
	g_autofree char *a = NULL;
	g_autofree char *b = NULL;
	const char *eq;
	int status = 0;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
	        NULL, NULL, &out, NULL, &status, NULL) ||
	    !g_spawn_check_wait_status(status, NULL) || out == NULL)
		return FALSE;
	eq = strchr(out, '=');
	if (eq == NULL)
		return FALSE;
	a = realpath(g_strstrip((char *)eq + 1), NULL);
	b = realpath(root, NULL);
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/*
 * Freezes as `exim -Mf` does: adds "-frozen <now>" to -H.  With the
 * message's spool being the installed Exim's own spool, the real binary
 * does it (after we let go of the -D lock, which it needs); otherwise -H
 * is rewritten here to hdr.<id> and renamed over -H, under our lock.
 */
static gboolean
exim_hold(SgMessage *msg, GError **error)
{
	EximReader *r = msg->reader_data;
	SgMessageFile *hf, *df;
	g_autofree char *bin = exim_binary();
	g_autofree char *dir = NULL;
	g_autofree char *tmp = NULL;
	g_autofree char *frozen = NULL;
	const char *eol;
	gsize cut = 0;
	int fd, lines = 0;
	struct stat st;

	if (r == NULL || r->h == G_MAXUINT || r->d == G_MAXUINT) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
		    "%s: only a complete -H/-D pair can be frozen", msg->id);
		return FALSE;
	}
	if (msg->props != NULL && g_hash_table_contains(msg->props, "frozen"))
		return TRUE;
	hf = sg_message_file(msg, r->h);
	df = sg_message_file(msg, r->d);
	if (bin != NULL && msg->spool_root != NULL &&
	    exim_same_spool(bin, msg->spool_root)) {
		const char *argv[] = { bin, "-Mf", msg->queue_id, NULL };
		struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
		int status = 0;

		/* exim needs the -D lock itself */
		if (fcntl(df->fd, F_OFD_SETLK, &fl) != 0) {
			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
			    "%s: unlock: %s", df->path, g_strerror(errno));
			return FALSE;
		}
		if (!g_spawn_sync(NULL, (char **)argv, NULL,
		        G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
		        NULL, NULL, NULL, NULL, &status, error))
			return FALSE;
		if (!g_spawn_check_wait_status(status, error)) {
			g_prefix_error(error, "%s -Mf %s: ", bin,
			    msg->queue_id);
			return FALSE;
		}
		return TRUE;
	}
	/* -H must still be the file we read (Exim renames to rewrite). */
	if (lstat(hf->path, &st) != 0 || st.st_ino != hf->st.st_ino ||
	    st.st_dev != hf->st.st_dev || r->map == NULL) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_VANISHED,
		    "%s: changed since it was read", hf->path);
		return FALSE;
	}
	/* insert after line 4 ("time count"): option order is free */
	for (eol = r->map; lines < 4; lines++) {
		eol = memchr(eol, '\n', r->map_len - (gsize)(eol - r->map));
		if (eol == NULL) {
			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_INVALID,
			    "%s: too short to freeze", hf->path);
			return FALSE;
		}
		eol++;
	}
	cut = (gsize)(eol - r->map);
	frozen = g_strdup_printf("-frozen %" G_GINT64_FORMAT "\n",
	    g_get_real_time() / G_USEC_PER_SEC);
	dir = g_path_get_dirname(hf->path);
	tmp = g_strdup_printf("%s/hdr.%s", dir, msg->queue_id);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    hf->st.st_mode & 07777);
	if (fd < 0) {
		g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO, "%s: %s",
		    tmp, g_strerror(errno));
		return FALSE;
	}
	{
		const struct {
			const char *p;
			gsize n;
		} parts[] = {
			{ r->map, cut },
			{ frozen, strlen(frozen) },
			{ r->map + cut, r->map_len - cut },
		};
		gboolean ok = TRUE;

		if (fchown(fd, hf->st.st_uid, hf->st.st_gid) != 0 &&
		    errno != EPERM)
			ok = FALSE;
		for (guint i = 0; ok && i < G_N_ELEMENTS(parts); i++) {
			gsize done = 0;

			while (ok && done < parts[i].n) {
				ssize_t n = write(fd, parts[i].p + done,
				    parts[i].n - done);

				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					ok = FALSE;
				else
					done += (gsize)n;
			}
		}
		if (ok && fsync(fd) != 0)
			ok = FALSE;
		if (close(fd) != 0)
			ok = FALSE;
		if (!ok || rename(tmp, hf->path) != 0) {
			int saved = errno;

			unlink(tmp);
			g_set_error(error, SG_CORE_ERROR, SG_CORE_ERROR_IO,
			    "%s: cannot rewrite: %s", hf->path,
			    g_strerror(saved));
			return FALSE;
		}
	}
	return TRUE;
}

static char *
exim_release_dir(const char *spool_root, const char *queue_name,
    const char *file_name)
{
	gsize n = strlen(file_name);

	if (n > 2 && file_name[n - 2] == '-' &&
	    (file_name[n - 1] == 'H' || file_name[n - 1] == 'D'))
		return g_build_filename(spool_root,
		    queue_name != NULL ? queue_name : "input", NULL);
	if (n > 5) {
		/* split_spool_directory keeps msglogs in msglog/<c>/ too */
		char sub[2] = { file_name[5], '\0' };
		g_autofree char *split =
		    g_build_filename(spool_root, "msglog", sub, NULL);

		if (g_file_test(split, G_FILE_TEST_IS_DIR))
			return g_steal_pointer(&split);
	}
	return g_build_filename(spool_root, "msglog", NULL);
}

const SgSpoolOps sg_spool_exim_ops = {
	.name = "exim",
	.detect = exim_detect,
	.walk = exim_walk,
	.open = exim_open,
	.hold = exim_hold,
	.prepare_move = exim_prepare_move,
	.release_dir = exim_release_dir,
	.message_for_file = exim_message_for_file,
};
