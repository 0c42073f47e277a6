/* TEMPORARY */
#include "env/image.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int sh(const char *fmt, const char *a, const char *b) { char cmd[4096]; snprintf(cmd, sizeof cmd, fmt, a, b); return system(cmd) == 0 ? 0 : -1; }
int env_image_unpack(const char *archive, const char *dest, const struct env_unpack_limits *lim, struct env_image_info *info, sbx_error **err) { (void)lim; memset(info,0,sizeof *info); (void)archive;(void)dest; return sbx_error_set(err, ENOSYS, "stub"); }
int env_tree_copy(const char *src, const char *dest, const struct env_unpack_limits *lim, struct env_image_info *info, sbx_error **err) { (void)lim; memset(info,0,sizeof *info); return sh("cp -a '%s' '%s'", src, dest) ? sbx_error_set(err, EIO, "cp") : 0; }
int env_tree_digest(const char *root, char out[72], sbx_error **err) { (void)root; (void)err; snprintf(out, 72, "sha256:stub"); return 0; }
int env_tree_seal(const char *root, sbx_error **err) { return sh("chmod -R a-w '%s'%s", root, "") ? sbx_error_set(err, EIO, "seal") : 0; }
int env_tree_remove(const char *root, sbx_error **err) { return sh("chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", root, root) ? sbx_error_set(err, EIO, "rm") : 0; }
