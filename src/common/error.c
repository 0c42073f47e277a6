#include "common/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

/* Used when even the error message cannot be allocated: the caller still
 * sees a failure, never a NULL error with a negative return. */
static sbx_error oom_error = { ENOMEM, (char *) "out of memory while reporting an error",
				SBX_ERR_NOMEM, 0, 0 };

static int error_new(sbx_error **err, int errnum, enum sbx_error_kind kind, unsigned line,
		     unsigned col, const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

static int error_new(sbx_error **err, int errnum, enum sbx_error_kind kind, unsigned line,
		     unsigned col, const char *fmt, va_list ap)
{
	if (err == NULL || *err != NULL)
		return -1;
	char *msg = vformat(fmt, ap);

	sbx_error *e = calloc(1, sizeof(*e));
	if (e == NULL || msg == NULL) {
		free(e);
		free(msg);
		*err = &oom_error;
		return -1;
	}
	if (errnum != 0) {
		char *full = NULL;
		if (asprintf(&full, "%s: %s", msg, strerror(errnum)) >= 0) {
			free(msg);
			msg = full;
		}
	}
	e->errnum = errnum;
	e->msg = msg;
	e->kind = kind;
	e->line = line;
	e->col = col;
	*err = e;
	return -1;
}

int sbx_error_set(sbx_error **err, int errnum, const char *fmt, ...)
{
	enum sbx_error_kind kind = errnum == ENOMEM ? SBX_ERR_NOMEM
				 : errnum != 0	    ? SBX_ERR_SYSTEM
						    : SBX_ERR_INVALID;
	va_list ap;
	va_start(ap, fmt);
	int r = error_new(err, errnum, kind, 0, 0, fmt, ap);
	va_end(ap);
	return r;
}

int sbx_error_set_at(sbx_error **err, enum sbx_error_kind kind, unsigned line, unsigned col,
		     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = error_new(err, kind == SBX_ERR_NOMEM ? ENOMEM : 0, kind, line, col, fmt, ap);
	va_end(ap);
	return r;
}

const char *sbx_error_kind_name(enum sbx_error_kind kind)
{
	switch (kind) {
	case SBX_ERR_SYSTEM: return "system";
	case SBX_ERR_NOMEM: return "nomem";
	case SBX_ERR_INVALID: return "invalid";
	case SBX_ERR_SYNTAX: return "syntax";
	case SBX_ERR_STOPPED: return "stopped";
	}
	return "unknown";
}

int sbx_error_wrap(sbx_error **err, const char *fmt, ...)
{
	if (err == NULL || *err == NULL || *err == &oom_error)
		return -1;

	va_list ap;
	va_start(ap, fmt);
	char *prefix = vformat(fmt, ap);
	va_end(ap);

	char *full = NULL;
	if (prefix != NULL && asprintf(&full, "%s: %s", prefix, (*err)->msg) >= 0) {
		free((*err)->msg);
		(*err)->msg = full;
	}
	free(prefix);
	return -1;
}

void sbx_error_free(sbx_error *err)
{
	if (err == NULL || err == &oom_error)
		return;
	free(err->msg);
	free(err);
}

void sbx_error_freep(sbx_error **err)
{
	sbx_error_free(*err);
	*err = NULL;
}
