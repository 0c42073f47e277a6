/* stratbox: the error object carried through the library.
 *
 * Every library function that can fail takes `sbx_error **err` as its last
 * parameter and returns a negative value (or NULL) on failure, with *err set
 * to a newly allocated error.  Callers add context with sbx_error_wrap()
 * ("outer: inner") and the front end decides how to print it.  Library code
 * never exits or aborts on bad input.
 */
#ifndef STRATBOX_ERROR_H
#define STRATBOX_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* What kind of failure: callers branch on this, never on the message. */
enum sbx_error_kind {
	SBX_ERR_SYSTEM = 0, /* the system refused (errnum says why) */
	SBX_ERR_NOMEM,	    /* out of memory */
	SBX_ERR_INVALID,    /* the caller's input is wrong: a value, a file's contents */
	SBX_ERR_SYNTAX,	    /* input that does not parse; line and col say where */
	SBX_ERR_STOPPED,    /* the object is shutting down; retrying elsewhere may work */
};

typedef struct sbx_error {
	int errnum;  /* errno value behind the failure, or 0 */
	char *msg;   /* human-readable, includes strerror(errnum) when set */
	enum sbx_error_kind kind;
	unsigned line, col; /* 1-based position in the input (SBX_ERR_SYNTAX, some
			       SBX_ERR_INVALID); 0 when not known */
} sbx_error;

/* Set *err (if err is non-NULL and *err is NULL) and return -1.  When errnum
 * is non-zero, ": strerror(errnum)" is appended to the message. */
int sbx_error_set(sbx_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The kind follows from errnum: ENOMEM is SBX_ERR_NOMEM, any other
 * non-zero errnum SBX_ERR_SYSTEM, and 0 (no system call behind it: the
 * input was wrong) SBX_ERR_INVALID. */

/* As sbx_error_set, with an explicit kind and position (line and col
 * 1-based, 0 when not known). */
int sbx_error_set_at(sbx_error **err, enum sbx_error_kind kind, unsigned line, unsigned col,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "system", "nomem", "invalid", "syntax", "stopped". */
const char *sbx_error_kind_name(enum sbx_error_kind kind);

/* Prefix the message of an existing error with context; returns -1. */
int sbx_error_wrap(sbx_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void sbx_error_free(sbx_error *err);

/* Free *err and set it to NULL (for use with __attribute__((cleanup))). */
void sbx_error_freep(sbx_error **err);

#ifdef __cplusplus
}
#endif
#endif
