// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sg-milter-client.c - a small MTA side of the milter protocol (version
 * 6), for the milter's tests and benchmark.
 *
 *   sg-milter-client [OPTIONS] SOCKET [FILE]     one message (FILE or stdin)
 *   sg-milter-client --bench -c N -n M SOCKET FILE...
 *   sg-milter-client --bench --exec 'CMD' -c N -n M FILE...
 *
 * SOCKET is inet:PORT@HOST or unix:PATH.  A message file is split as
 * Postfix does it: header fields (folding sent as LF, the value's leading
 * blank kept only when the milter asks for SMFIP_HDR_LEADSPC), then the
 * body with CRLF line ends, in chunks.  One message prints one line per
 * answer that is not "continue" ("body: reject 550 5.6.0 ...", "eom:
 * addheader X-Spoolguard-Verdict: ...", "eom: accept") and the body bytes
 * sent.  Faults on request: stop after N body bytes (a client that goes
 * away), never send end of message and wait for the milter to hang up,
 * a silence before end of message, generated recipients.  --bench sends M
 * messages over N concurrent connections (one connection per message, as
 * Postfix's smtpd per session) and prints messages per second and the latency
 * median and 99th percentile; --exec runs CMD per message with the file on
 * stdin instead (fork per message), for comparison.  Test code: exits 1 on any
 * protocol surprise.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <libmilter/mfdef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct {
	GPtrArray *names;  /* char* */
	GPtrArray *values; /* char*: the text after the colon */
	GByteArray *body;  /* CRLF line ends */
	char *path;
} Message;

static struct {
	char *from;
	char **rcpts;
	gint rcpt_count;
	char *queue_id;
	gint chunk;
	gint64 stop_after_body;
	gboolean no_eom;
	gint hold;
	gint eom_delay;
	gboolean quiet;
	/* bench */
	gboolean bench;
	gint conc;
	gint count;
	char *exec;
} opt = { .chunk = 65535,
	.stop_after_body = -1,
	.hold = 10,
	.conc = 1,
	.count = 100 };

static void G_GNUC_NORETURN G_GNUC_PRINTF(1, 2) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "sg-milter-client: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* ---- messages ---------------------------------------------------------- */

static Message *
message_parse(const char *data, gsize len, const char *path)
{
	Message *m = g_new0(Message, 1);
	gsize pos = 0;

	m->names = g_ptr_array_new_with_free_func(g_free);
	m->values = g_ptr_array_new_with_free_func(g_free);
	m->body = g_byte_array_new();
	m->path = g_strdup(path);
	while (pos < len) {
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', len - pos);
		gsize ll = nl != NULL ? (gsize)(nl - line) : len - pos;
		gsize next = pos + ll + (nl != NULL ? 1 : 0);
		gsize tl = ll > 0 && line[ll - 1] == '\r' ? ll - 1 : ll;
		const char *colon = memchr(line, ':', tl);

		if (tl == 0) {
			pos = next;
			break;
		}
		if ((line[0] == ' ' || line[0] == '\t') && m->names->len > 0) {
			/* Folding: the MTA passes it as LF. */
			char *old = m->values->pdata[m->values->len - 1];

			m->values->pdata[m->values->len - 1] =
			    g_strdup_printf("%s\n%.*s", old, (int)tl, line);
			g_free(old);
			pos = next;
			continue;
		}
		if (colon == NULL || colon == line)
			break; /* not a field: the body starts here */
		g_ptr_array_add(m->names, g_strndup(line, colon - line));
		g_ptr_array_add(m->values,
		    g_strndup(colon + 1, tl - (gsize)(colon + 1 - line)));
		pos = next;
	}
	/* The body as SMTP carries it: CRLF. */
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		gsize ll = nl != NULL ? (gsize)(nl - (data + pos)) : len - pos;

		g_byte_array_append(m->body, (const guint8 *)data + pos,
		    (guint)ll);
		if (nl != NULL) {
			if (ll == 0 || data[pos + ll - 1] != '\r')
				g_byte_array_append(m->body,
				    (const guint8 *)"\r", 1);
			g_byte_array_append(m->body, (const guint8 *)"\n", 1);
		}
		pos += ll + (nl != NULL ? 1 : 0);
	}
	return m;
}

static void
message_free(gpointer data)
{
	Message *m = data;

	g_ptr_array_unref(m->names);
	g_ptr_array_unref(m->values);
	g_byte_array_unref(m->body);
	g_free(m->path);
	g_free(m);
}

static Message *
message_load(const char *path)
{
	g_autofree char *data = NULL;
	gsize len;
	g_autoptr(GError) error = NULL;

	if (path == NULL || strcmp(path, "-") == 0) {
		GByteArray *a = g_byte_array_new();
		char buf[65536];
		ssize_t n;

		while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0)
			g_byte_array_append(a, (guint8 *)buf, (guint)n);
		len = a->len;
		data = (char *)g_byte_array_free(a, FALSE);
		return message_parse(data, len, "<stdin>");
	}
	if (!g_file_get_contents(path, &data, &len, &error))
		die("%s", error->message);
	return message_parse(data, len, path);
}

/* ---- the wire ------------------------------------------------------------ */

typedef struct {
	int fd;
	guint32 actions;
	guint32 protocol; /* what the milter chose */
	gint64 body_sent;
	GString *log; /* the answers, one per line */
} Conn;

static int
conn_socket(const char *spec)
{
	int fd;

	if (g_str_has_prefix(spec, "unix:") ||
	    g_str_has_prefix(spec, "local:")) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		const char *p = strchr(spec, ':') + 1;

		if (strlen(p) >= sizeof sun.sun_path)
			die("socket path too long");
		strcpy(sun.sun_path, p);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
			return -1;
		return fd;
	}
	if (g_str_has_prefix(spec, "inet:")) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		const char *at = strchr(spec, '@');
		int one = 1;
		int port = atoi(spec + 5);

		sin.sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, at != NULL ? at + 1 : "127.0.0.1",
		        &sin.sin_addr) != 1)
			die("bad address in %s", spec);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 ||
		    connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
			return -1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		return fd;
	}
	die("socket: inet:PORT@HOST or unix:PATH, not %s", spec);
}

static gboolean
write_all(int fd, const void *p, gsize n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return FALSE;
		c += w;
		n -= (gsize)w;
	}
	return TRUE;
}

static gboolean
read_all(int fd, void *p, gsize n)
{
	char *c = p;

	while (n > 0) {
		ssize_t r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return FALSE;
		c += r;
		n -= (gsize)r;
	}
	return TRUE;
}

/* One packet in one write, as an MTA sends it (two would meet Nagle). */
static gboolean
conn_send(Conn *c, char cmd, const void *data, gsize len)
{
	guint32 n = htonl((guint32)(len + 1));
	g_autofree char *pkt = g_malloc(len + 5);

	memcpy(pkt, &n, 4);
	pkt[4] = cmd;
	if (len > 0)
		memcpy(pkt + 5, data, len);
	return write_all(c->fd, pkt, len + 5);
}

/* One packet; *data (transfer full) NUL-terminated. FALSE on EOF. */
static gboolean
conn_recv(Conn *c, char *cmd, char **data, gsize *len)
{
	guint32 n;

	if (!read_all(c->fd, &n, 4))
		return FALSE;
	n = ntohl(n);
	if (n == 0 || n > (1 << 24))
		die("bad packet length %u", n);
	if (!read_all(c->fd, cmd, 1))
		return FALSE;
	*len = n - 1;
	*data = g_malloc(*len + 1);
	if (*len > 0 && !read_all(c->fd, *data, *len)) {
		g_free(*data);
		return FALSE;
	}
	(*data)[*len] = '\0';
	return TRUE;
}

/* Reads until a final answer for @stage; its letter, or 0 on EOF. */
static char
conn_answer(Conn *c, const char *stage)
{
	for (;;) {
		char cmd;
		char *data;
		gsize len;

		if (!conn_recv(c, &cmd, &data, &len)) {
			g_string_append_printf(c->log, "%s: closed\n", stage);
			return 0;
		}
		switch (cmd) {
		case SMFIR_CONTINUE:
			g_free(data);
			return cmd;
		case SMFIR_PROGRESS:
			break;
		case SMFIR_ACCEPT:
			g_string_append_printf(c->log, "%s: accept\n", stage);
			g_free(data);
			return cmd;
		case SMFIR_REJECT:
			g_string_append_printf(c->log, "%s: reject\n", stage);
			g_free(data);
			return cmd;
		case SMFIR_TEMPFAIL:
			g_string_append_printf(c->log, "%s: tempfail\n", stage);
			g_free(data);
			return cmd;
		case SMFIR_DISCARD:
			g_string_append_printf(c->log, "%s: discard\n", stage);
			g_free(data);
			return cmd;
		case SMFIR_REPLYCODE:
			g_string_append_printf(c->log, "%s: %s %s\n", stage,
			    data[0] == '4' ? "tempfail" : "reject", data);
			g_free(data);
			return cmd;
		case SMFIR_ADDHEADER: {
			const char *v = data + strlen(data) + 1;

			g_string_append_printf(c->log, "%s: addheader %s:%s\n",
			    stage, data, (gsize)(v - data) <= len ? v : "");
			break;
		}
		case SMFIR_CHGHEADER: {
			guint32 idx;
			const char *name = data + 4;

			memcpy(&idx, data, 4);
			g_string_append_printf(c->log,
			    "%s: chgheader %s %u %s\n", stage, name, ntohl(idx),
			    name + strlen(name) + 1);
			break;
		}
		case SMFIR_QUARANTINE:
			g_string_append_printf(c->log, "%s: quarantine %s\n",
			    stage, data);
			break;
		default:
			g_string_append_printf(c->log, "%s: '%c'\n", stage,
			    cmd);
			break;
		}
		g_free(data);
	}
}

static gboolean
conn_open(Conn *c, const char *spec)
{
	guint32 o[3];
	char cmd;
	char *data;
	gsize len;

	c->fd = conn_socket(spec);
	if (c->fd < 0)
		return FALSE;
	o[0] = htonl(6);
	o[1] = htonl(SMFI_CURR_ACTS);
	o[2] = htonl(0x001fffff);
	if (!conn_send(c, SMFIC_OPTNEG, o, sizeof o) ||
	    !conn_recv(c, &cmd, &data, &len))
		return FALSE;
	if (cmd != SMFIC_OPTNEG || len < 12)
		die("no option negotiation answer ('%c')", cmd);
	memcpy(o, data, 12);
	c->actions = ntohl(o[1]);
	c->protocol = ntohl(o[2]);
	g_free(data);
	return TRUE;
}

/* Sends a command of a step the milter may skip or not answer. */
static char
conn_step(Conn *c, char cmd, const void *data, gsize len, guint32 skip,
    guint32 noreply, const char *stage)
{
	if (c->protocol & skip)
		return SMFIR_CONTINUE;
	if (!conn_send(c, cmd, data, len)) {
		g_string_append_printf(c->log, "%s: closed\n", stage);
		return 0;
	}
	if (c->protocol & noreply)
		return SMFIR_CONTINUE;
	return conn_answer(c, stage);
}

static void
conn_macro(Conn *c, char for_cmd, const char *name, const char *value)
{
	g_autoptr(GString) m = g_string_new(NULL);

	g_string_append_c(m, for_cmd);
	g_string_append(m, name);
	g_string_append_c(m, '\0');
	g_string_append(m, value);
	g_string_append_c(m, '\0');
	conn_send(c, SMFIC_MACRO, m->str, m->len);
}

static char
conn_envelope(Conn *c, char cmd, const char *addr, const char *stage,
    guint32 skip, guint32 noreply)
{
	g_autofree char *arg = g_strdup_printf("<%s>", addr);

	return conn_step(c, cmd, arg, strlen(arg) + 1, skip, noreply, stage);
}

/*
 * Sends one message on an open connection; the answer letter of the last
 * step that replied (SMFIR_CONTINUE when a fault option stopped early).
 */
static char
conn_message(Conn *c, const Message *m)
{
	static const char host[] = "localhost\0"
	                           "4\0\0"
	                           "127.0.0.1";
	char a;
	guint i;

	if (opt.queue_id != NULL) {
		conn_macro(c, SMFIC_MAIL, "i", opt.queue_id);
		conn_macro(c, SMFIC_BODYEOB, "i", opt.queue_id);
	}
	a = conn_step(c, SMFIC_CONNECT, host, sizeof host, SMFIP_NOCONNECT,
	    SMFIP_NR_CONN, "connect");
	if (a != SMFIR_CONTINUE)
		return a;
	a = conn_step(c, SMFIC_HELO, "localhost", 10, SMFIP_NOHELO,
	    SMFIP_NR_HELO, "helo");
	if (a != SMFIR_CONTINUE)
		return a;
	a = conn_envelope(c, SMFIC_MAIL,
	    opt.from != NULL ? opt.from : "sender@example.invalid", "mail",
	    SMFIP_NOMAIL, SMFIP_NR_MAIL);
	if (a != SMFIR_CONTINUE)
		return a;
	for (i = 0; opt.rcpts != NULL && opt.rcpts[i] != NULL; i++) {
		a = conn_envelope(c, SMFIC_RCPT, opt.rcpts[i], "rcpt",
		    SMFIP_NORCPT, SMFIP_NR_RCPT);
		if (a != SMFIR_CONTINUE)
			return a;
	}
	for (gint k = 0; k < opt.rcpt_count; k++) {
		g_autofree char *r =
		    g_strdup_printf("rcpt%d@example.invalid", k);

		a = conn_envelope(c, SMFIC_RCPT, r, "rcpt", SMFIP_NORCPT,
		    SMFIP_NR_RCPT);
		if (a != SMFIR_CONTINUE)
			return a;
	}
	if ((opt.rcpts == NULL || opt.rcpts[0] == NULL) &&
	    opt.rcpt_count == 0) {
		a = conn_envelope(c, SMFIC_RCPT, "rcpt@example.invalid", "rcpt",
		    SMFIP_NORCPT, SMFIP_NR_RCPT);
		if (a != SMFIR_CONTINUE)
			return a;
	}
	a = conn_step(c, SMFIC_DATA, NULL, 0, SMFIP_NODATA, SMFIP_NR_DATA,
	    "data");
	if (a != SMFIR_CONTINUE)
		return a;
	for (i = 0; i < m->names->len; i++) {
		g_autoptr(GString) h = g_string_new(m->names->pdata[i]);
		const char *v = m->values->pdata[i];

		g_string_append_c(h, '\0');
		if (!(c->protocol & SMFIP_HDR_LEADSPC))
			while (*v == ' ' || *v == '\t')
				v++;
		g_string_append(h, v);
		g_string_append_c(h, '\0');
		a = conn_step(c, SMFIC_HEADER, h->str, h->len, SMFIP_NOHDRS,
		    SMFIP_NR_HDR, "header");
		if (a != SMFIR_CONTINUE)
			return a;
	}
	a = conn_step(c, SMFIC_EOH, NULL, 0, SMFIP_NOEOH, SMFIP_NR_EOH, "eoh");
	if (a != SMFIR_CONTINUE)
		return a;
	for (gsize pos = 0; pos < m->body->len;) {
		gsize n = MIN((gsize)opt.chunk, m->body->len - pos);

		if (opt.stop_after_body >= 0 &&
		    c->body_sent + (gint64)n > opt.stop_after_body)
			n = (gsize)(opt.stop_after_body - c->body_sent);
		if (n == 0)
			return SMFIR_CONTINUE;
		a = conn_step(c, SMFIC_BODY, m->body->data + pos, n,
		    SMFIP_NOBODY, SMFIP_NR_BODY, "body");
		c->body_sent += (gint64)n;
		pos += n;
		if (a != SMFIR_CONTINUE)
			return a;
	}
	if (opt.stop_after_body >= 0)
		return SMFIR_CONTINUE;
	if (opt.no_eom)
		return SMFIR_CONTINUE;
	if (opt.eom_delay > 0)
		g_usleep((gulong)opt.eom_delay * G_USEC_PER_SEC);
	if (!conn_send(c, SMFIC_BODYEOB, NULL, 0))
		return 0;
	return conn_answer(c, "eom");
}

/* Waits up to opt.hold seconds for the milter to hang up. */
static void
conn_wait_hangup(Conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	gint64 t0 = g_get_monotonic_time();
	char buf[256];

	while (poll(&p, 1, opt.hold * 1000) > 0) {
		ssize_t n = read(c->fd, buf, sizeof buf);

		if (n <= 0) {
			g_string_append_printf(c->log, "hangup: after %.1f s\n",
			    (double)(g_get_monotonic_time() - t0) / 1e6);
			return;
		}
	}
	g_string_append_printf(c->log, "hangup: none in %d s\n", opt.hold);
}

static int
run_one(const char *spec, const char *path)
{
	g_autoptr(GString) log = g_string_new(NULL);
	Message *m = message_load(path);
	Conn c = { .log = log };
	char a;

	if (!conn_open(&c, spec))
		die("%s: %s", spec, g_strerror(errno));
	a = conn_message(&c, m);
	if (opt.no_eom && a == SMFIR_CONTINUE)
		conn_wait_hangup(&c);
	else if (a != 0 && opt.stop_after_body < 0)
		conn_send(&c, SMFIC_QUIT, NULL, 0);
	close(c.fd);
	fputs(log->str, stdout);
	printf("body-sent: %" G_GINT64_FORMAT "\n", c.body_sent);
	fflush(stdout);
	message_free(m);
	return 0;
}

/* ---- bench ----------------------------------------------------------- */

typedef struct {
	const char *spec;
	GPtrArray *messages;                         /* Message* */
	gint next;                                   /* atomic */
	gdouble *latency;                            /* seconds, per message */
	gint accepted, rejected, tempfailed, failed; /* atomic */
} Bench;

static void
bench_count(Bench *b, char a)
{
	if (a == SMFIR_ACCEPT || a == SMFIR_CONTINUE)
		g_atomic_int_inc(&b->accepted);
	else if (a == SMFIR_REJECT || a == SMFIR_REPLYCODE)
		g_atomic_int_inc(&b->rejected);
	else if (a == SMFIR_TEMPFAIL)
		g_atomic_int_inc(&b->tempfailed);
	else
		g_atomic_int_inc(&b->failed);
}

static char
bench_exec(const Message *m)
{
	g_auto(GStrv) argv = NULL;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	if (!g_shell_parse_argv(opt.exec, NULL, &argv, NULL))
		die("cannot parse --exec");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, m->path, O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		die("cannot run %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status))
		return 0;
	switch (WEXITSTATUS(status)) {
	case 0:
		return SMFIR_ACCEPT;
	case 65:
		return SMFIR_REJECT;
	case 75:
		return SMFIR_TEMPFAIL;
	default:
		return 0;
	}
}

static gpointer
bench_worker(gpointer data)
{
	Bench *b = data;
	gint i;

	while ((i = g_atomic_int_add(&b->next, 1)) < opt.count) {
		const Message *m =
		    b->messages->pdata[(guint)i % b->messages->len];
		gint64 t0 = g_get_monotonic_time();
		char a;

		if (opt.exec != NULL) {
			a = bench_exec(m);
		} else {
			g_autoptr(GString) log = g_string_new(NULL);
			Conn c = { .log = log };

			if (!conn_open(&c, b->spec))
				die("%s: %s", b->spec, g_strerror(errno));
			a = conn_message(&c, m);
			conn_send(&c, SMFIC_QUIT, NULL, 0);
			close(c.fd);
		}
		b->latency[i] =
		    (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
		bench_count(b, a);
	}
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
run_bench(const char *spec, char **files, gint nfiles)
{
	Bench b = { .spec = spec };
	g_autoptr(GPtrArray) threads = g_ptr_array_new();
	gint64 t0, t1;
	double secs;

	b.messages = g_ptr_array_new_with_free_func(message_free);
	for (gint i = 0; i < nfiles; i++)
		g_ptr_array_add(b.messages, message_load(files[i]));
	if (b.messages->len == 0)
		die("--bench needs message files");
	b.latency = g_new0(gdouble, opt.count);
	t0 = g_get_monotonic_time();
	for (gint i = 0; i < opt.conc; i++)
		g_ptr_array_add(threads,
		    g_thread_new("bench", bench_worker, &b));
	for (guint i = 0; i < threads->len; i++)
		g_thread_join(threads->pdata[i]);
	t1 = g_get_monotonic_time();
	secs = (double)(t1 - t0) / G_USEC_PER_SEC;
	qsort(b.latency, (size_t)opt.count, sizeof(double), cmp_double);
	printf("messages=%d concurrency=%d seconds=%.3f rate=%.1f "
	       "median_ms=%.2f p99_ms=%.2f accepted=%d rejected=%d "
	       "tempfail=%d failed=%d\n",
	    opt.count, opt.conc, secs, opt.count / secs,
	    b.latency[opt.count / 2] * 1000.0,
	    b.latency[MIN(opt.count - 1, (opt.count * 99) / 100)] * 1000.0,
	    b.accepted, b.rejected, b.tempfailed, b.failed);
	fflush(stdout);
	g_ptr_array_unref(b.messages);
	g_free(b.latency);
	return b.failed == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const GOptionEntry entries[] = {
		{ "from", 'f', 0, G_OPTION_ARG_STRING, &opt.from,
		    "MAIL FROM address", "ADDR" },
		{ "rcpt", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &opt.rcpts,
		    "RCPT TO address (repeatable)", "ADDR" },
		{ "rcpt-count", 0, 0, G_OPTION_ARG_INT, &opt.rcpt_count,
		    "Also send N generated recipients", "N" },
		{ "queue-id", 'i', 0, G_OPTION_ARG_STRING, &opt.queue_id,
		    "The {i} macro", "ID" },
		{ "chunk", 0, 0, G_OPTION_ARG_INT, &opt.chunk,
		    "Body chunk bytes (<= 65535)", "N" },
		{ "stop-after-body", 0, 0, G_OPTION_ARG_INT64,
		    &opt.stop_after_body, "Hang up after sending N body bytes",
		    "N" },
		{ "no-eom", 0, 0, G_OPTION_ARG_NONE, &opt.no_eom,
		    "Never send end of message; wait for a hangup", NULL },
		{ "eom-delay", 0, 0, G_OPTION_ARG_INT, &opt.eom_delay,
		    "Wait S seconds before end of message", "S" },
		{ "hold", 0, 0, G_OPTION_ARG_INT, &opt.hold,
		    "Seconds to wait with --no-eom (default 10)", "S" },
		{ "bench", 0, 0, G_OPTION_ARG_NONE, &opt.bench,
		    "Benchmark: -n messages over -c connections", NULL },
		{ "concurrency", 'c', 0, G_OPTION_ARG_INT, &opt.conc,
		    "Concurrent connections", "N" },
		{ "count", 'n', 0, G_OPTION_ARG_INT, &opt.count,
		    "Messages to send", "N" },
		{ "exec", 0, 0, G_OPTION_ARG_STRING, &opt.exec,
		    "Bench a command per message instead", "CMD" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("SOCKET [FILE...] - a milter client");
	g_autoptr(GError) error = NULL;

	signal(SIGPIPE, SIG_IGN);
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error))
		die("%s", error->message);
	if (opt.chunk <= 0 || opt.chunk > 65535 || opt.conc <= 0 ||
	    opt.count <= 0)
		die("bad --chunk, -c or -n");
	if (opt.bench && opt.exec != NULL)
		return run_bench(NULL, argv + 1, argc - 1);
	if (argc < 2)
		die("usage: sg-milter-client [OPTIONS] SOCKET [FILE]");
	if (opt.bench)
		return run_bench(argv[1], argv + 2, argc - 2);
	return run_one(argv[1], argc > 2 ? argv[2] : NULL);
}
