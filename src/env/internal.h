/* Shared between the environment part's files (src/env/): not a face. */
#ifndef STRATBOX_ENV_INTERNAL_H
#define STRATBOX_ENV_INTERNAL_H

#include "stratbox/env.h"

#include <jansson.h>

/* 0 when name is a valid environment name, else -1 with *err. */
int env_name_check(const char *name, sbx_error **err);
/* STATE/envs/NAME (malloc'd). */
char *env_dir(const char *state, const char *name);
/* Run the environment's interpreter in a sandbox built from it and import
 * modules; *out {"python", "implementation", "modules": {name: {"version"}
 * or {"error"}}}. */
int env_probe(const struct sbx_pool_options *po, const char *const *modules, size_t n,
	      json_t **out, sbx_error **err);

#endif
