/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-mime-token.h - the MIME header-field tokenizer: Content-Type and
 * Content-Disposition parameters, the Content-Transfer-Encoding token and
 * RFC 2047 encoded words, from a field's value streamed past in pieces.
 * Not installed; for src/check/, its tests and its fuzz harness.
 *
 * The caller opens a field with sg_mime_token_init, feeds the bytes after
 * the colon (continuation lines included, line ends and all) as (pointer,
 * length) pieces of any size with the content offset of their first byte,
 * and ends it with sg_mime_token_finish.  Any chunking gives the same
 * events and results.  Events go to an SgMimeTokenSink as they happen:
 * one per parameter (RFC 2231 continuations "name*0", "name*1"... joined
 * by name), one per complete encoded word.  Memory is constant apart from
 * one boundary buffer of at most @boundary_max + 1 bytes.
 */
#ifndef SPOOLGUARD_CHECK_MIME_TOKEN_H
#define SPOOLGUARD_CHECK_MIME_TOKEN_H

#include <glib.h>

G_BEGIN_DECLS

/* Bytes kept of a field or parameter name, for reports and comparisons. */
#define SG_MIME_NAME_KEEP 64
/* Bytes kept of a Content-Type's type/subtype (lower case). */
#define SG_MIME_TYPE_KEEP 128
/* Bytes kept of a Content-Transfer-Encoding value (lower case). */
#define SG_MIME_CTE_KEEP 32

typedef enum {
	SG_MIME_FIELD_OTHER, /* any other field: encoded words only */
	SG_MIME_FIELD_CT,    /* Content-Type */
	SG_MIME_FIELD_CTE,   /* Content-Transfer-Encoding */
	SG_MIME_FIELD_CD,    /* Content-Disposition */
} SgMimeFieldKind;

/* The kind of the field named (name, len), case-insensitive. */
SgMimeFieldKind sg_mime_field_kind(const char *name, gsize len);

typedef struct {
	/*
	 * A parameter's value ended: @name is its name in lower case
	 * without an RFC 2231 section (NUL-terminated, "" for a value with
	 * no name), @len the bytes of its value (of all its sections), and
	 * @offset the content offset of its first value byte.
	 */
	void (
	    *param)(gpointer data, const char *name, gsize len, goffset offset);
	/*
	 * A complete "=?charset?E?text?=" of @len bytes at content offset
	 * @offset; @defect (nullable) says why it does not decode.
	 */
	void (*encoded_word)(gpointer data, goffset offset, gsize len,
	    const char *defect);
} SgMimeTokenSink;

/* Where the parameter grammar is (internal to the tokenizer). */
typedef enum {
	SG_MIME_P_TYPE,
	SG_MIME_P_TYPE_COMMENT,
	SG_MIME_P_NAME,
	SG_MIME_P_VAL_START,
	SG_MIME_P_TOKEN,
	SG_MIME_P_QUOTED,
	SG_MIME_P_QESC,
	SG_MIME_P_AFTER,
} SgMimeParamState;

/*
 * One field being tokenized.  After sg_mime_token_finish the caller reads
 * the results; everything else is the tokenizer's own state.
 */
typedef struct {
	/* ---- results ---- */
	/*
	 * The field's kind; a Content-Transfer-Encoding value with a ';' or
	 * a '(' is given up (the kind becomes SG_MIME_FIELD_OTHER).
	 */
	SgMimeFieldKind kind;
	/* Content-Type: type/subtype, lower case, white space left out */
	char type[SG_MIME_TYPE_KEEP + 1];
	gsize type_len;
	/* Content-Type: the first boundary= value */
	gboolean has_boundary;
	gsize boundary_len; /* its length, whole */
	/*
	 * (owned) (nullable): the value, NUL-terminated; NULL when longer
	 * than @boundary_max.  Taken with g_steal_pointer or freed by
	 * sg_mime_token_clear.
	 */
	char *boundary;
	/* Content-Transfer-Encoding: the value, lower case, no white space */
	char cte[SG_MIME_CTE_KEEP + 1];
	gsize cte_len;

	/* ---- state ---- */
	const SgMimeTokenSink *sink;
	gpointer data;
	gsize boundary_max;
	guchar prev;
	/* encoded words */
	gboolean ew_in;
	guint ew_q;
	gsize ew_len;
	goffset ew_start;
	guchar ew_enc;     /* the encoding letter, B or Q */
	guint ew_enc_len;  /* bytes between the 2nd and 3rd '?' */
	gsize ew_text_len; /* encoded text bytes */
	gboolean ew_bad;   /* a byte the encoding does not allow */
	/* parameters */
	SgMimeParamState pstate;
	char pname[SG_MIME_NAME_KEEP + 1];
	gsize pname_len;
	char base[SG_MIME_NAME_KEEP + 1];
	gsize pvalue_len;
	goffset pvalue_offset;
	gsize acc_len;
	goffset acc_offset;
	gboolean capture_boundary;
	gsize boundary_kept;
} SgMimeToken;

/*
 * Starts a field of @kind.  Boundaries are kept up to @boundary_max
 * bytes.  @sink and @data must outlive the field.
 */
void sg_mime_token_init(SgMimeToken *token, SgMimeFieldKind kind,
    gsize boundary_max, const SgMimeTokenSink *sink, gpointer data);
/* Feeds value bytes (p, len); @offset is the content offset of p[0]. */
void sg_mime_token_feed(SgMimeToken *token, const char *p, gsize len,
    goffset offset);
/* Ends the field: the last parameter's event, then the results. */
void sg_mime_token_finish(SgMimeToken *token);
/* Frees what the token owns (the boundary); the token can be reused. */
void sg_mime_token_clear(SgMimeToken *token);

G_END_DECLS

#endif /* SPOOLGUARD_CHECK_MIME_TOKEN_H */
