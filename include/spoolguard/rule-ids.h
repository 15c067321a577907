/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rule-ids.h - the catalogue of rule ids, as one X-macro list.
 *
 * Each row: SG_RULE(ENUM, "dotted.id", KIND, DEFAULT_SEVERITY, "summary").
 * KIND is EVENT (fires or not) or LIMIT (an observed value against the
 * profile's soft and hard limits).  DEFAULT_SEVERITY applies when no
 * profile names the rule.  The dotted ids are stable: they appear in
 * reports, profiles and spoolguard-rules(5).  Add a row here, a fixture
 * pair under testdata/ and a paragraph in man/spoolguard-rules.5.
 *
 * No include guard on purpose: users define SG_RULE and include this file.
 */

/* clang-format off */

/* Spool-file structure. */
SG_RULE(CONTAINER_NOT_A_MESSAGE, "container.not-a-message", EVENT, QUARANTINE,
	"not a mail message at all: empty, zero-filled, binary, or no header block")
SG_RULE(CONTAINER_RECORD_OVERRUN, "container.record-overrun", EVENT, QUARANTINE,
	"a record's declared length runs past the end of the file")
SG_RULE(CONTAINER_BAD_LENGTH, "container.bad-length", EVENT, QUARANTINE,
	"a record length is malformed (too many length bytes, not a number)")
SG_RULE(CONTAINER_UNKNOWN_RECORD, "container.unknown-record", EVENT, QUARANTINE,
	"a record type or line code that is not allowed where it stands")
SG_RULE(CONTAINER_SIZE_MISMATCH, "container.size-mismatch", EVENT, QUARANTINE,
	"a declared size, offset or count disagrees with the bytes")
SG_RULE(CONTAINER_MISSING_RECORD, "container.missing-record", EVENT, QUARANTINE,
	"a record or line that the format requires is missing")
SG_RULE(CONTAINER_MISSING_END, "container.missing-end", EVENT, QUARANTINE,
	"the file has no end record or terminating line")
SG_RULE(CONTAINER_TRAILING_DATA, "container.trailing-data", EVENT, QUARANTINE,
	"bytes after the end record that nothing refers to")
SG_RULE(CONTAINER_BAD_FIELD, "container.bad-field", EVENT, QUARANTINE,
	"a field holds a value outside its range (flags, negative size, bad number)")
SG_RULE(CONTAINER_POINTER_LOOP, "container.pointer-loop", EVENT, QUARANTINE,
	"pointer records loop or jump more often than the format allows")
SG_RULE(CONTAINER_HEADER_LENGTH_MISMATCH, "container.header-length-mismatch", EVENT, QUARANTINE,
	"length-prefixed header records do not tile the file exactly")
SG_RULE(CONTAINER_RCPT_COUNT_MISMATCH, "container.rcpt-count-mismatch", EVENT, QUARANTINE,
	"the declared recipient count disagrees with the recipient records")
SG_RULE(CONTAINER_ORPHAN_FILE, "container.orphan-file", EVENT, QUARANTINE,
	"one file of a message pair exists without the other")
SG_RULE(CONTAINER_BAD_ID, "container.bad-id", EVENT, QUARANTINE,
	"a queue id in a file name or first line is invalid or disagrees")
SG_RULE(CONTAINER_NUL, "container.nul", EVENT, QUARANTINE,
	"a NUL byte inside a record or line that must not hold one")
SG_RULE(CONTAINER_TREE_DEPTH, "container.tree-depth", LIMIT, QUARANTINE,
	"an envelope tree (Exim non-recipients) nests deeper than the limit")
SG_RULE(CONTAINER_LINE_LENGTH, "container.line-length", LIMIT, QUARANTINE,
	"a spool-file control line is longer than the limit")
SG_RULE(CONTAINER_EXIM_LINE_LENGTH, "container.exim-line-length", LIMIT, QUARANTINE,
	"an Exim -H line is longer than Exim reads whole")
SG_RULE(CONTAINER_POSTFIX_RECORD_LENGTH, "container.postfix-record-length", LIMIT, QUARANTINE,
	"a Postfix maildrop record is longer than pickup(8) accepts")

/* The message as a whole. */
SG_RULE(MESSAGE_SIZE, "message.size", LIMIT, QUARANTINE,
	"the message is larger than the limit")

/* Envelope. */
SG_RULE(ENVELOPE_RCPT_COUNT, "envelope.rcpt-count", LIMIT, QUARANTINE,
	"more envelope recipients than the limit")
SG_RULE(ENVELOPE_ADDRESS_LENGTH, "envelope.address-length", LIMIT, QUARANTINE,
	"an envelope address longer than the limit")

/* Header block. */
SG_RULE(HEADER_LINE_LENGTH, "header.line-length", LIMIT, QUARANTINE,
	"a header line longer than the limit")
SG_RULE(HEADER_BLOCK_SIZE, "header.block-size", LIMIT, QUARANTINE,
	"a header block larger than the limit")
SG_RULE(HEADER_COUNT, "header.count", LIMIT, QUARANTINE,
	"more header fields than the limit")
SG_RULE(HEADER_NUL, "header.nul", EVENT, QUARANTINE,
	"a NUL byte in the header block")
SG_RULE(HEADER_BARE_CR, "header.bare-cr", EVENT, WARN,
	"a carriage return not followed by a line feed in the header block")
SG_RULE(HEADER_8BIT, "header.8bit", EVENT, WARN,
	"unencoded 8-bit bytes in the header block")
SG_RULE(HEADER_INVALID_NAME, "header.invalid-name", EVENT, QUARANTINE,
	"a header field name with characters RFC 5322 does not allow")
SG_RULE(HEADER_LEADING_CONTINUATION, "header.leading-continuation", EVENT, QUARANTINE,
	"the first header line is a continuation line")
SG_RULE(HEADER_NO_SEPARATOR, "header.no-separator", EVENT, WARN,
	"the header block ends without the empty line before the body")
SG_RULE(HEADER_CONFLICTING, "header.conflicting", EVENT, QUARANTINE,
	"conflicting Content-Type or Content-Transfer-Encoding headers")
SG_RULE(HEADER_DUPLICATE_UNIQUE, "header.duplicate-unique", EVENT, WARN,
	"a header that may appear once appears more than once")
SG_RULE(HEADER_ADDRESS_COUNT, "header.address-count", LIMIT, QUARANTINE,
	"more addresses in one address header than the limit")
SG_RULE(HEADER_RECEIVED_COUNT, "header.received-count", LIMIT, WARN,
	"more Received headers than the limit (a mail loop)")
SG_RULE(HEADER_BAD_ADDRESS, "header.bad-address", EVENT, INFO,
	"an address header that does not parse as an address list")
SG_RULE(HEADER_BAD_ENCODED_WORD, "header.bad-encoded-word", EVENT, INFO,
	"an RFC 2047 encoded word that does not decode")
SG_RULE(HEADER_CONTROL, "header.control", EVENT, WARN,
	"a control character other than tab, CR and LF in a header line")
SG_RULE(HEADER_DUPLICATE_REPLY_TO, "header.duplicate-reply-to", EVENT, INFO,
	"a second Reply-To, as mailing-list managers add one")

/* MIME structure. */
SG_RULE(MIME_DEPTH, "mime.depth", LIMIT, QUARANTINE,
	"multiparts and embedded messages nest deeper than the limit")
SG_RULE(MIME_PART_COUNT, "mime.part-count", LIMIT, QUARANTINE,
	"more MIME parts than the limit")
SG_RULE(MIME_BOUNDARY_LENGTH, "mime.boundary-length", LIMIT, QUARANTINE,
	"a multipart boundary longer than the limit")
SG_RULE(MIME_BOUNDARY_MISSING, "mime.boundary-missing", EVENT, QUARANTINE,
	"a multipart without a boundary parameter")
SG_RULE(MIME_BOUNDARY_NOT_FOUND, "mime.boundary-not-found", EVENT, WARN,
	"a multipart whose boundary never appears in its body")
SG_RULE(MIME_PARAM_LENGTH, "mime.param-length", LIMIT, QUARANTINE,
	"a header parameter value longer than the limit")
SG_RULE(MIME_ENCODED_WORD_LENGTH, "mime.encoded-word-length", LIMIT, QUARANTINE,
	"an RFC 2047 encoded word longer than the limit")
SG_RULE(MIME_PART_HEADER_COUNT, "mime.part-header-count", LIMIT, QUARANTINE,
	"more header fields in one MIME part than the limit")
SG_RULE(MIME_TRUNCATED, "mime.truncated", EVENT, WARN,
	"a multipart without its close delimiter (truncated)")
SG_RULE(MIME_PART_WITHOUT_HEADERS, "mime.part-without-headers", EVENT, QUARANTINE,
	"a MIME part with neither headers nor content")
SG_RULE(MIME_PART_WITHOUT_CONTENT, "mime.part-without-content", EVENT, INFO,
	"a MIME part whose headers end at a boundary")
SG_RULE(MIME_JUNK_AFTER_CLOSE, "mime.junk-after-close", EVENT, INFO,
	"text after a multipart's close delimiter")
SG_RULE(MIME_BAD_BASE64, "mime.bad-base64", EVENT, WARN,
	"a base64 body with invalid characters or bad padding")
SG_RULE(MIME_BAD_QP, "mime.bad-qp", EVENT, WARN,
	"a quoted-printable body with invalid escapes")
SG_RULE(MIME_ENCODED_LINE_LENGTH, "mime.encoded-line-length", LIMIT, WARN,
	"a line of a base64 or quoted-printable body longer than the limit")
SG_RULE(MIME_BAD_ENCODING_DOMAIN, "mime.bad-encoding-domain", EVENT, WARN,
	"a multipart or message/* with an encoding other than 7bit, 8bit or binary")
SG_RULE(MIME_BAD_CONTENT_TYPE, "mime.bad-content-type", EVENT, WARN,
	"a Content-Type that does not parse")
SG_RULE(MIME_BAD_PARAMETER, "mime.bad-parameter", EVENT, WARN,
	"a header parameter that does not parse")
SG_RULE(MIME_PARAM_CONFLICT, "mime.param-conflict", EVENT, WARN,
	"conflicting values for one header parameter")
SG_RULE(MIME_PARAM_DUPLICATE, "mime.param-duplicate", EVENT, INFO,
	"the same header parameter repeated")
SG_RULE(MIME_MALFORMED, "mime.malformed", EVENT, WARN,
	"the MIME parser found the message malformed")
SG_RULE(MIME_AMBIGUOUS, "mime.ambiguous", EVENT, WARN,
	"two common readings of the same bytes give different parts or content")
SG_RULE(MIME_PARAM_SPACE, "mime.param-space", EVENT, WARN,
	"white space or a line fold around '=' in a header parameter")
SG_RULE(MIME_PARAM_COMMENT, "mime.param-comment", EVENT, WARN,
	"a comment in a Content-Type or Content-Disposition value")
SG_RULE(MIME_PARAM_QUOTE, "mime.param-quote", EVENT, WARN,
	"a quote left open, single quotes, or a quote inside a parameter value")
SG_RULE(MIME_PARAM_ESCAPE, "mime.param-escape", EVENT, WARN,
	"a backslash outside a quoted string in a header parameter")
SG_RULE(MIME_PARAM_SYNTAX, "mime.param-syntax", EVENT, WARN,
	"a parameter list with a missing ';' or '=', or text after a value")
SG_RULE(MIME_PARAM_ENCODED, "mime.param-encoded", EVENT, WARN,
	"a parameter in encoded words that decode to ASCII, or in UTF-16/32")
SG_RULE(MIME_RFC2231_SECTIONS, "mime.rfc2231-sections", EVENT, WARN,
	"RFC 2231 sections out of order, with a gap, repeated or mixed")
SG_RULE(MIME_RFC2231_ENCODING, "mime.rfc2231-encoding", EVENT, WARN,
	"an RFC 2231 value without charset'language' or with a bad %XX")
SG_RULE(MIME_BOUNDARY_CHARS, "mime.boundary-chars", EVENT, WARN,
	"a boundary with characters RFC 2046 does not allow")
SG_RULE(MIME_FAKE_MULTIPART, "mime.fake-multipart", EVENT, WARN,
	"a boundary on a part that is not multipart, or a type imitating one")
SG_RULE(MIME_DELIMITER_SUFFIX, "mime.delimiter-suffix", EVENT, WARN,
	"a delimiter line that goes on with more than white space")
SG_RULE(MIME_CTE_INVALID, "mime.cte-invalid", EVENT, WARN,
	"a transfer encoding outside RFC 2045's five, or one the body belies")
SG_RULE(MIME_CTE_EXTENSION, "mime.cte-extension", EVENT, INFO,
	"an x- transfer encoding (x-uuencode, x-gzip64) that the body matches")
SG_RULE(MIME_BASE64_LINE_LENGTH, "mime.base64-line-length", LIMIT, INFO,
	"a base64 line longer than the limit")
SG_RULE(MIME_BASE64_LAYOUT, "mime.base64-layout", EVENT, WARN,
	"base64 lines not in whole quartets, or blanks inside the data")
SG_RULE(MIME_BODY_NUL, "mime.body-nul", EVENT, WARN,
	"NUL bytes in a 7bit, 8bit or undeclared body")
SG_RULE(MIME_EMPTY_MESSAGE, "mime.empty-message", EVENT, WARN,
	"a message/rfc822 part with nothing in it")
SG_RULE(MIME_UNDECLARED_PARTS, "mime.undeclared-parts", EVENT, WARN,
	"a body that is not multipart but holds delimiters and part headers")
SG_RULE(MIME_FILENAME_PATH, "mime.filename-path", EVENT, WARN,
	"a file name with a directory part (a slash, a backslash, '..')")

/* Content. */
SG_RULE(CONTENT_TYPE_MISMATCH, "content.type-mismatch", EVENT, WARN,
	"an executable or archive presented as text or an image")
SG_RULE(CONTENT_TYPE_DIFFERS, "content.type-differs", EVENT, INFO,
	"the declared and sniffed content types differ harmlessly")
SG_RULE(CONTENT_NUL_IN_TEXT, "content.nul-in-text", EVENT, WARN,
	"NUL bytes in a part declared as text")
SG_RULE(CONTENT_HIDDEN_ENCODING, "content.hidden-encoding", EVENT, WARN,
	"a uuencoded, yEnc or BinHex block inside a text or octet-stream part")
SG_RULE(CONTENT_LEGACY_ENCODING, "content.legacy-encoding", EVENT, INFO,
	"a uuencoded, yEnc or BinHex body declared as such")

/* clang-format on */
