// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check-headers-addr.c - the address counter of the header scan
 * (check-headers.c): counts the addresses of an address-list header value
 * fed in pieces, for header.address-count.  Commas inside quoted strings,
 * comments and angle brackets do not separate; a group "name: a, b;"
 * counts its members.  Constant memory: comment nesting is a counter.
 * Also which fields hold address lists.
 */
#include "config.h"

#include <string.h>

#include "check-private.h"

enum {
	ADDR_TEXT,    /* between tokens, display names, addr-specs */
	ADDR_QUOTED,  /* inside "..." */
	ADDR_COMMENT, /* inside (...), depth in counter->depth */
	ADDR_ANGLE,   /* inside <...> */
};

/* Where a quoted string or a comment returns to: kept in the high bit. */
#define ADDR_OUTER_ANGLE 0x80
#define ADDR_STATE(c) ((c)->state & 0x7f)

void
sg_addr_counter_init(SgAddrCounter *counter)
{
	memset(counter, 0, sizeof *counter);
}

static void
addr_element_end(SgAddrCounter *c)
{
	if (c->has_token)
		c->count++;
	c->has_token = 0;
}

static void
addr_enter(SgAddrCounter *c, guint8 state)
{
	guint8 outer = ADDR_STATE(c) == ADDR_ANGLE ? ADDR_OUTER_ANGLE : 0;

	c->state = state | outer;
}

static void
addr_leave(SgAddrCounter *c)
{
	c->state = (c->state & ADDR_OUTER_ANGLE) ? ADDR_ANGLE : ADDR_TEXT;
}

void
sg_addr_counter_feed(SgAddrCounter *c, const char *p, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		guchar ch = (guchar)p[i];

		if (c->escaped) {
			c->escaped = 0;
			continue;
		}
		switch (ADDR_STATE(c)) {
		case ADDR_QUOTED:
			if (ch == '\\')
				c->escaped = 1;
			else if (ch == '"')
				addr_leave(c);
			break;
		case ADDR_COMMENT:
			if (ch == '\\')
				c->escaped = 1;
			else if (ch == '(')
				c->depth++;
			else if (ch == ')' && --c->depth == 0)
				addr_leave(c);
			break;
		case ADDR_ANGLE:
			if (ch == '>') {
				c->state = ADDR_TEXT;
			} else if (ch == '"') {
				addr_enter(c, ADDR_QUOTED);
			} else if (ch == '(') {
				addr_enter(c, ADDR_COMMENT);
				c->depth = 1;
			}
			break;
		default:
			switch (ch) {
			case '"':
				c->has_token = 1;
				addr_enter(c, ADDR_QUOTED);
				break;
			case '(':
				addr_enter(c, ADDR_COMMENT);
				c->depth = 1;
				break;
			case '<':
				c->has_token = 1;
				c->state = ADDR_ANGLE;
				break;
			case ',':
				addr_element_end(c);
				break;
			case ';':
				/* Ends a group; Outlook-style lists use it too.
				 */
				addr_element_end(c);
				c->in_group = 0;
				break;
			case ':':
				if (!c->in_group) {
					/* "name:" opens a group; the name
					 * is not an address. */
					c->has_token = 0;
					c->in_group = 1;
				}
				break;
			case ' ':
			case '\t':
			case '\r':
			case '\n':
				break;
			default:
				c->has_token = 1;
				break;
			}
			break;
		}
	}
}

guint64
sg_addr_counter_finish(SgAddrCounter *counter)
{
	addr_element_end(counter);
	return counter->count;
}

gboolean
sg_addr_field_is_address(const char *name, gsize len)
{
	static const char *const names[] = {
		"From",
		"To",
		"Cc",
		"Bcc",
		"Reply-To",
		"Sender",
		"Resent-From",
		"Resent-Sender",
		"Resent-To",
		"Resent-Cc",
		"Resent-Bcc",
		"Resent-Reply-To",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
		if (strlen(names[i]) == len &&
		    g_ascii_strncasecmp(name, names[i], len) == 0)
			return TRUE;
	return FALSE;
}
