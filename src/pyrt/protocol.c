/* Frames from a running job: see protocol.h. */
#include "pyrt/protocol.h"

#include "common/parse.h"
#include "sandbox/ctl.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* A string field clipped to max bytes and made valid UTF-8 (an invalid
 * sequence becomes U+FFFD), or NULL when allocation fails. */
static char *clip(const char *s, size_t len, size_t max)
{
	if (len > max)
		len = max;
	char *out = malloc(len * 3 + 1);
	if (out != NULL)
		utf8_sanitize(s, len, out);
	return out;
}

static void exception_clear(struct pyrt_exception *e)
{
	free(e->type);
	free(e->message);
	free(e->traceback);
	memset(e, 0, sizeof(*e));
}

/* {"type": "error", "exc_type": str, "message": str [, "traceback": str]} */
static int on_error(struct pyrt_reports *r, json_t *o)
{
	json_t *et = json_object_get(o, "exc_type"), *msg = json_object_get(o, "message"),
	       *tb = json_object_get(o, "traceback");
	if (!json_is_string(et) || !json_is_string(msg) || (tb != NULL && !json_is_string(tb)) ||
	    json_string_length(et) == 0)
		return -1;
	struct pyrt_exception e = { 0 };
	e.type = clip(json_string_value(et), json_string_length(et), PYRT_MAX_EXC_TYPE);
	e.message = clip(json_string_value(msg), json_string_length(msg), PYRT_MAX_EXC_MESSAGE);
	if (tb != NULL)
		e.traceback = clip(json_string_value(tb), json_string_length(tb), PYRT_MAX_TRACEBACK);
	if (e.type == NULL || e.message == NULL || (tb != NULL && e.traceback == NULL)) {
		exception_clear(&e);
		return -1;
	}
	exception_clear(&r->exc);
	r->exc = e;
	return 0;
}

static const struct {
	const char *type;
	int (*handle)(struct pyrt_reports *r, json_t *frame);
} handlers[] = {
	{ "error", on_error },
};

int pyrt_frame_apply(struct pyrt_reports *r, const char *data, size_t len)
{
	if (++r->frames > PYRT_MAX_FRAMES || len > SBX_FRAME_MAX) {
		r->rejected++;
		return -1;
	}
	json_error_t je;
	json_t *o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	const char *type = json_string_value(json_object_get(o, "type"));
	int rc = -1;
	for (size_t i = 0; type != NULL && json_is_object(o) && i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(type, handlers[i].type) == 0) {
			rc = handlers[i].handle(r, o);
			break;
		}
	json_decref(o);
	if (rc < 0)
		r->rejected++;
	return rc;
}

void pyrt_reports_clear(struct pyrt_reports *r)
{
	exception_clear(&r->exc);
	memset(r, 0, sizeof(*r));
}
