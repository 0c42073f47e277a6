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

typedef struct sbx_error {
	int errnum;  /* errno value behind the failure, or 0 */
	char *msg;   /* human-readable, includes strerror(errnum) when set */
} sbx_error;

/* Set *err (if err is non-NULL and *err is NULL) and return -1.  When errnum
 * is non-zero, ": strerror(errnum)" is appended to the message. */
int sbx_error_set(sbx_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

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
