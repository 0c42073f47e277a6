/* The validator's violations as JSON, shared by `stratbox check --json`
 * and the VALIDATION_ERROR result of `stratbox exec`. */
#ifndef STRATBOX_VALIDATE_VIOLATIONS_H
#define STRATBOX_VALIDATE_VIOLATIONS_H

#include "stratbox/validate.h"

#include <jansson.h>

/* [{"line", "col", "rule", "message"}, ...]: a new reference. */
json_t *validate_violations_json(const struct sbx_check_result *r);

#endif
