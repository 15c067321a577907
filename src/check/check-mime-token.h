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
 * by name), one per complete encoded word.
 *
 * A Content-Type, -Disposition or -Transfer-Encoding value is also kept
 * whole, up to SG_MIME_FIELD_CEILING bytes, and read once more when it
 * ends (check-mime-param.c): the RFC 2045 and RFC 2231 reading of its
 * type and parameters (sections in order, charset and %XX decoded), with
 * every grammar defect that makes readers disagree.  Memory is that copy,
 * one boundary buffer of at most @boundary_max + 1 bytes and two file
 * names of SG_MIME_FILENAME_KEEP bytes: never more, whatever the field.
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
/*
 * Bytes of a Content-Type, -Disposition or -Transfer-Encoding value kept
 * for the grammar check, whatever the profile: a longer value is only
 * measured (mime.param-length), and its type and boundary are GMime's to
 * read (the pre-scan reports that it could not).
 */
#define SG_MIME_FIELD_CEILING (16 * 1024)
/* Bytes kept of a name= or filename= value, for comparing readings. */
#define SG_MIME_FILENAME_KEEP 255
/* Parameters read per field, and RFC 2231 sections per parameter. */
#define SG_MIME_PARAMS_MAX 64
#define SG_MIME_SECTIONS_MAX 32

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

/*
 * What makes readers of one parameter list disagree.  RFC 822 allows
 * white space and comments between the tokens of a structured field, but
 * parsers differ on them, so they count here.
 */
typedef enum {
	SG_MIME_DEFECT_SPACE,   /* white space or a fold around '=' */
	SG_MIME_DEFECT_COMMENT, /* a comment in the type or the parameters */
	SG_MIME_DEFECT_QUOTE,   /* a quote left open, 'single', or in a token */
	SG_MIME_DEFECT_ESCAPE,  /* a backslash outside quotes, or escaping */
	SG_MIME_DEFECT_SYNTAX, /* no ';', no '=', no name, text after a value */
	SG_MIME_DEFECT_SECTIONS, /* RFC 2231 sections: order, gaps, repeats */
	SG_MIME_DEFECT_2231,     /* RFC 2231 charset'language' or %XX */
	SG_MIME_DEFECT_COUNT
} SgMimeDefect;

/* One parameter as the RFC reading takes it (check-mime-param.c). */
typedef struct {
	/*
	 * (owned) (nullable): the value, NUL-terminated: the RFC 2231 form
	 * when there is one (sections joined in order up to a gap, %XX
	 * decoded, no charset conversion), else the first plain one.  NULL
	 * when absent or longer than the bytes kept (then @len says how
	 * long).
	 */
	char *value;
	gsize len;
	gboolean present;
	goffset offset;         /* content offset of its first value byte */
	gboolean quoted;        /* the plain form is a quoted string */
	gboolean folded;        /* ... folded across lines */
	gboolean rfc2231;       /* the value comes from an RFC 2231 form */
	gboolean plain_differs; /* a plain form too, with another value */
	/* (owned) (nullable): that plain form, when it differs */
	char *plain;
	char charset[32]; /* RFC 2231 charset, lower case, or "" */
} SgMimeValue;

/* The RFC reading of a Content-Type or Content-Disposition value. */
typedef struct {
	guint defects; /* 1 << SgMimeDefect */
	goffset defect_at[SG_MIME_DEFECT_COUNT];
	const char *defect_what[SG_MIME_DEFECT_COUNT]; /* static text */
	/*
	 * TRUE when GMime's own reading may differ from this one: any
	 * defect, an encoded word, an 8-bit byte, both a plain and an RFC
	 * 2231 form, a charset other than US-ASCII or UTF-8, a decoded
	 * value that is not UTF-8.  Without, GMime reads the same type and
	 * values.
	 */
	gboolean unusual;
	gboolean type_ok; /* Content-Type: token "/" token */
	/* Content-Type: "type/subtype" in lower case, when type_ok */
	char type[SG_MIME_TYPE_KEEP + 1];
	SgMimeValue boundary;
	SgMimeValue name;     /* Content-Type name= */
	SgMimeValue filename; /* Content-Disposition filename= */
} SgMimeParams;

/*
 * Reads the value (p, len), whose first byte is at content offset
 * @offset, of a field of @kind (Content-Type or -Disposition) into
 * @params (cleared first; free with sg_mime_params_clear).  Boundaries are
 * kept up to @boundary_max bytes.  Never reads past len; NUL is a byte.
 */
void sg_mime_params_parse(const char *p, gsize len, goffset offset,
    SgMimeFieldKind kind, gsize boundary_max, SgMimeParams *params);
void sg_mime_params_clear(SgMimeParams *params);

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
	SgMimeFieldKind kind; /* the field's kind */
	/* Content-Type: type/subtype, lower case, white space left out */
	char type[SG_MIME_TYPE_KEEP + 1];
	gsize type_len;
	/*
	 * Content-Type: the boundary as the RFC reading takes it (@params),
	 * or, for a value longer than SG_MIME_FIELD_CEILING, the first plain
	 * boundary= as it streamed past.
	 */
	gboolean has_boundary;
	gsize boundary_len; /* its length, whole */
	/*
	 * (owned) (nullable): the value, NUL-terminated; NULL when longer
	 * than @boundary_max.  Taken with g_steal_pointer or freed by
	 * sg_mime_token_clear.
	 */
	char *boundary;
	/*
	 * Content-Transfer-Encoding: the value unfolded, trimmed and in lower
	 * case (comments and all); cte_len is its whole length, which may
	 * exceed what is kept.
	 */
	char cte[SG_MIME_CTE_KEEP + 1];
	gsize cte_len;
	/*
	 * Content-Type and -Disposition: the RFC reading of the whole value
	 * (valid when params_read: the value was kept whole).  Its values
	 * belong to the token until sg_mime_token_clear.
	 */
	SgMimeParams params;
	gboolean params_read;
	/*
	 * (transfer none) (nullable): the value as written, NUL-terminated,
	 * for the fields above while not longer than SG_MIME_FIELD_CEILING
	 * (raw_long otherwise); valid until sg_mime_token_clear.
	 */
	char *raw;
	gsize raw_len;
	gboolean raw_long;
	goffset raw_offset; /* content offset of raw[0] */

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
	gsize raw_cap;
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
/* Frees what the token owns; the token can be reused. */
void sg_mime_token_clear(SgMimeToken *token);

G_END_DECLS

#endif /* SPOOLGUARD_CHECK_MIME_TOKEN_H */
