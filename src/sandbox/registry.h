/* Between registry.c (writing and reading run-directory entries) and
 * registry-sweep.c (the sweep, `cleanup` and `kill`); src/sandbox/ only. */
#ifndef STRATBOX_SANDBOX_REGISTRY_H
#define STRATBOX_SANDBOX_REGISTRY_H

#include "sandbox/internal.h"

#include <stdbool.h>
#include <stddef.h>

#define ID_LEN 8 /* hex digits */

/* The run directory open (made first when `make`), or -1 with *err set
 * when it is not this user's alone. */
int registry_open_dir(const char *dir, bool make, sbx_error **err);
bool registry_valid_id(const char *s, size_t len);
/* "ID.entry": true with the id copied out. */
bool registry_entry_name(const char *name, char *id);
double registry_now(void); /* Unix time */
/* Open and parse one entry and learn whether it is stale (its lock could
 * be taken; kept when keep_lock).  -1 when it is gone. */
int registry_open_entry(int dfd, const char *name, bool keep_lock, struct sbx_entry *e);
/* Every entry, live ones measured when `measure`; *out malloc'd. */
int registry_list(int dfd, bool measure, struct sbx_entry **out, size_t *n, sbx_error **err);

#endif
