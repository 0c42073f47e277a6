/* What env.c (the store), add.c (adding) and check.c (env check) share:
 * src/env/ only. */
#ifndef STRATBOX_ENV_STORE_H
#define STRATBOX_ENV_STORE_H

#include "stratbox/env.h"

#include <jansson.h>

/* STATE/envs (malloc'd), made first when create; NULL with *err. */
char *envs_dir(const char *state, bool create, sbx_error **err);
/* STATE/envs/NAME (malloc'd). */
char *env_dir(const char *state, const char *name);
/* Run the environment's interpreter in a sandbox built from it and import
 * modules; *out {"python", "implementation", "modules": {name: {"version"}
 * or {"error"}}}. */
int env_probe(const struct sbx_pool_options *po, const char *const *modules, size_t n,
	      json_t **out, sbx_error **err);

#endif
