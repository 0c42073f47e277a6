/* SHA-256 as lowercase hex (nettle): provenance of code and data. */
#ifndef STRATBOX_COMMON_HASH_H
#define STRATBOX_COMMON_HASH_H

#include "stratbox/error.h"

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
int sha256_file_hex(const char *path, char out[SHA256_HEX_LEN + 1], sbx_error **err);
/* What fd gives until its end; *size (may be NULL) the bytes read.  -errno
 * on a read error. */
int sha256_fd_hex(int fd, char out[SHA256_HEX_LEN + 1], uint64_t *size);

#endif
