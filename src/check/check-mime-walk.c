// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-mime-walk.c - the walk of GMime's tree: what only a parsed tree
 * shows.  Fields RFC 5322 allows once that appear twice (alike or not),
 * multiparts and messages in an encoding other than 7bit, 8bit or binary,
 * each leaf's content (check-content.c), and the inspect rows.
 *
 * The walk uses an explicit stack, never recursion: it descends no deeper
 * than cap_depth and visits no more than cap_parts parts, both from the
 * profile.  Each part is matched with the pre-scan's row of the same path
 * for what GMime does not keep (body offsets, the NUL count of a leaf).
 * The stack owns its paths; everything else belongs to GMime's tree.
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "check-mime-private.h"

static const char *const unique_headers[] = {
	"From",
	"To",
	"Subject",
	"Date",
	"Message-ID",
	"Content-Type",
	"Content-Transfer-Encoding",
};

/* Compares two raw header values ignoring case and runs of white space. */
static gboolean
walk_same_value(const char *a, const char *b)
{
	for (;;) {
		while (*a != '\0' && g_ascii_isspace(*a))
			a++;
		while (*b != '\0' && g_ascii_isspace(*b))
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (g_ascii_tolower(*a) != g_ascii_tolower(*b))
			return FALSE;
		a++;
		b++;
	}
}

/* Reports a field of unique_headers[@u] that repeats the one before. */
static void
walk_report_repeat(SgMimeScan *s, gsize u, GMimeHeader *first, GMimeHeader *h,
    const char *path)
{
	gboolean content = u >= 5;
	const char *a = g_mime_header_get_raw_value(first);
	const char *b = g_mime_header_get_raw_value(h);
	goffset off = g_mime_header_get_offset(h) - s->base;

	if (content && !walk_same_value(a != NULL ? a : "", b != NULL ? b : ""))
		sg_mime_event(s, SG_RULE_HEADER_CONFLICTING, off, path,
		    unique_headers[u],
		    "%s: two %s headers with different values",
		    path != NULL ? path : "message", unique_headers[u]);
	else
		sg_mime_event(s, SG_RULE_HEADER_DUPLICATE_UNIQUE, off, path,
		    unique_headers[u], "%s: %s appears more than once",
		    path != NULL ? path : "message", unique_headers[u]);
}

static void
walk_check_unique(SgMimeScan *s, GMimeObject *obj, const char *path)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	int n = list != NULL ? g_mime_header_list_get_count(list) : 0;

	for (gsize u = 0; u < G_N_ELEMENTS(unique_headers); u++) {
		GMimeHeader *first = NULL;

		for (int i = 0; i < n; i++) {
			GMimeHeader *h =
			    g_mime_header_list_get_header_at(list, i);

			if (g_ascii_strcasecmp(g_mime_header_get_name(h),
			        unique_headers[u]) != 0)
				continue;
			if (first == NULL) {
				first = h;
				continue;
			}
			walk_report_repeat(s, u, first, h, path);
			break;
		}
	}
}

static gboolean
walk_identity_encoding(const char *cte)
{
	g_autofree char *v = NULL;

	if (cte == NULL)
		return TRUE;
	v = g_strstrip(g_ascii_strdown(cte, -1));
	return v[0] == '\0' || strcmp(v, "7bit") == 0 ||
	    strcmp(v, "8bit") == 0 || strcmp(v, "binary") == 0;
}

/*
 * RFC 2046 5.1 and 5.2: multipart and message entities take 7bit, 8bit or
 * binary only; RFC 6532 3.5 exempts message/global and its kin.
 */
static gboolean
walk_needs_identity(const char *type)
{
	if (g_str_has_prefix(type, "multipart/"))
		return TRUE;
	return g_str_has_prefix(type, "message/") &&
	    !g_str_has_prefix(type, "message/global");
}

typedef struct {
	GMimeObject *obj;
	char *path;
	guint depth;
} WalkItem;

static void
walk_item_clear(gpointer data)
{
	WalkItem *item = data;

	g_free(item->path);
}

/* The walk's state: the stack and what it shares with the whole check. */
typedef struct {
	SgMimeScan *s;
	SgCheckContext *ctx;
	SgInspect *inspect; /* (nullable) */
	GArray *stack;      /* WalkItem, innermost last */
	guint content_reports;
} Walk;

/* One part being visited: what GMime and the pre-scan say about it. */
typedef struct {
	WalkItem item;         /* its path is the caller's to free */
	char *type;            /* lower case; the caller's to free */
	const char *cte;       /* (nullable) GMime's */
	goffset hoff;          /* its header's content offset */
	const SgMimeRow *srow; /* (nullable) the pre-scan's row */
	SgPartRow *row;        /* (nullable) its inspect row */
} WalkNode;

static goffset
walk_header_offset(SgMimeScan *s, GMimeObject *obj)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);

	if (list == NULL || g_mime_header_list_get_count(list) == 0)
		return SG_OFFSET_NONE;
	return g_mime_header_get_offset(
	           g_mime_header_list_get_header_at(list, 0)) -
	    s->base;
}

/* Pops the innermost item into @node and says what GMime makes of it. */
static void
walk_pop(Walk *w, WalkNode *node)
{
	WalkItem *top = &g_array_index(w->stack, WalkItem, w->stack->len - 1);
	GMimeObject *obj = top->obj;
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	g_autofree char *type_raw = ct != NULL
	    ? g_mime_content_type_get_mime_type(ct)
	    : g_strdup("text/plain");

	node->item = *top;
	top->path = NULL;
	g_array_set_size(w->stack, w->stack->len - 1);
	node->type = g_ascii_strdown(type_raw, -1);
	node->cte = g_mime_object_get_header(obj, "Content-Transfer-Encoding");
	node->hoff = node->item.depth == 0 ? 0 : walk_header_offset(w->s, obj);
	node->srow = NULL;
	node->row = NULL;
}

/* The pre-scan's row for the @n-th part in tree order, if it has the path. */
static void
walk_match_row(Walk *w, WalkNode *node, guint64 n)
{
	SgMimeScan *s = w->s;

	if (n <= s->rows->len) {
		node->srow = g_ptr_array_index(s->rows, n - 1);
		if (strcmp(node->srow->path, node->item.path) != 0)
			node->srow = NULL;
	}
	if (node->hoff == SG_OFFSET_NONE && node->srow != NULL)
		node->hoff = node->srow->header_offset;
}

/* Repeated unique fields; a container in an encoding it must not have. */
static void
walk_check_node(Walk *w, WalkNode *node)
{
	const char *path = node->item.path;

	if (node->item.depth > 0)
		walk_check_unique(w->s, node->item.obj, path);
	if (walk_needs_identity(node->type) &&
	    !walk_identity_encoding(node->cte)) {
		g_autofree char *v =
		    sg_escape_bytes(node->cte, strlen(node->cte), 40);

		sg_mime_event(w->s, SG_RULE_MIME_BAD_ENCODING_DOMAIN,
		    node->hoff, path, "Content-Transfer-Encoding",
		    "%s (%s) has Content-Transfer-Encoding %s", path,
		    node->type, v);
	}
}

static void
walk_add_row(Walk *w, WalkNode *node)
{
	const SgMimeRow *srow = node->srow;
	SgPartRow *row = g_new0(SgPartRow, 1);

	row->path = g_strdup(node->item.path);
	row->depth = node->item.depth;
	row->content_type = g_strdup(node->type);
	row->encoding = node->cte != NULL
	    ? g_strstrip(g_ascii_strdown(node->cte, -1))
	    : NULL;
	row->header_offset = node->hoff;
	row->body_offset = srow != NULL ? srow->body_offset : SG_OFFSET_NONE;
	row->size = srow != NULL && srow->body_offset != SG_OFFSET_NONE &&
	        srow->end != SG_OFFSET_NONE
	    ? srow->end - srow->body_offset
	    : SG_VALUE_NONE;
	g_ptr_array_add(w->inspect->parts, row);
	node->row = row;
}

static void
walk_push(Walk *w, GMimeObject *obj, char *path, guint depth)
{
	WalkItem child = { obj, path, depth };

	g_array_append_val(w->stack, child);
}

/* A multipart's parts, or an embedded message's body, onto the stack. */
static void
walk_push_children(Walk *w, WalkNode *node)
{
	const char *path = node->item.path;
	guint depth = node->item.depth + 1;

	if ((gint64)depth > w->s->cap_depth)
		return;
	if (GMIME_IS_MULTIPART(node->item.obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(node->item.obj);

		for (int i = g_mime_multipart_get_count(mp); i-- > 0;)
			walk_push(w, g_mime_multipart_get_part(mp, i),
			    g_strdup_printf("%s.%d", path, i + 1), depth);
	} else if (GMIME_IS_MESSAGE_PART(node->item.obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(node->item.obj));
		g_autofree char *ipath = NULL;
		GMimeObject *body;

		if (inner == NULL)
			return;
		ipath = g_strdup_printf("%s.1", path);
		walk_check_unique(w->s, GMIME_OBJECT(inner), ipath);
		body = g_mime_message_get_mime_part(inner);
		if (body != NULL)
			walk_push(w, body, g_steal_pointer(&ipath), depth);
	}
}

/* A leaf: its content, and what its inspect row shows of it. */
static void
walk_leaf(Walk *w, WalkNode *node)
{
	SgMimeScan *s = w->s;
	GMimePart *part = GMIME_PART(node->item.obj);
	GMimeDataWrapper *wrapper = g_mime_part_get_content(part);
	GMimeStream *raw =
	    wrapper != NULL ? g_mime_data_wrapper_get_stream(wrapper) : NULL;
	const char *fn = g_mime_part_get_filename(part);
	SgPartRow *row = node->row;
	char *sniffed = NULL;

	if (w->content_reports < 3 * SG_MIME_FINDINGS_PER_RULE) {
		guint before = s->msg->findings->len;

		sg_content_check_part(w->ctx, s->msg, part, node->item.path,
		    s->base,
		    node->srow != NULL && node->srow->nul_counted
		        ? &node->srow->nul
		        : NULL,
		    row != NULL ? &sniffed : NULL);
		w->content_reports += s->msg->findings->len - before;
	}
	if (row == NULL) {
		g_free(sniffed);
		return;
	}
	row->sniffed = sniffed;
	row->filename =
	    fn != NULL ? sg_escape_bytes(fn, strlen(fn), 200) : NULL;
	if (raw != NULL && raw->bound_end != -1) {
		row->body_offset = raw->bound_start - s->base;
		row->size = raw->bound_end - raw->bound_start;
	}
}

void
sg_mime_walk(SgMimeScan *s, SgCheckContext *ctx, GMimeMessage *message,
    SgInspect *inspect)
{
	g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(WalkItem));
	GMimeObject *root = g_mime_message_get_mime_part(message);
	Walk w = { s, ctx, inspect, stack, 0 };

	g_array_set_clear_func(stack, walk_item_clear);
	walk_check_unique(s, GMIME_OBJECT(message), NULL);
	if (root != NULL)
		walk_push(&w, root, g_strdup("1"), 0);
	while (stack->len > 0) {
		WalkNode node;
		g_autofree char *path = NULL;
		g_autofree char *type = NULL;
		gboolean container;
		gboolean deepest = FALSE;

		walk_pop(&w, &node);
		path = node.item.path;
		type = node.type;
		container = GMIME_IS_MULTIPART(node.item.obj) ||
		    GMIME_IS_MESSAGE_PART(node.item.obj);
		s->walk_parts++;
		if (container && (gint64)node.item.depth + 1 > s->walk_depth) {
			s->walk_depth = (gint64)node.item.depth + 1;
			deepest = TRUE;
		}
		if ((gint64)s->walk_parts > s->cap_parts)
			break;
		walk_match_row(&w, &node, s->walk_parts);
		if (deepest)
			s->walk_depth_offset = node.hoff;
		walk_check_node(&w, &node);
		if (inspect != NULL)
			walk_add_row(&w, &node);
		if (container)
			walk_push_children(&w, &node);
		else if (GMIME_IS_PART(node.item.obj))
			walk_leaf(&w, &node);
	}
}
