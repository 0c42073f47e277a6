/* TEMPORARY stand-in until the image branch lands. */
#ifndef STRATBOX_ENV_IMAGE_H
#define STRATBOX_ENV_IMAGE_H
#include "stratbox/error.h"
#include <stdint.h>
struct env_image_info {
	char format[24];
	char digest[72];
	unsigned layers;
	uint64_t files, bytes;
	unsigned neutralised;
	unsigned skipped;
	char note[256];
};
struct env_unpack_limits { uint64_t max_bytes, max_files; };
int env_image_unpack(const char *archive, const char *dest, const struct env_unpack_limits *lim, struct env_image_info *info, sbx_error **err);
int env_tree_copy(const char *src, const char *dest, const struct env_unpack_limits *lim, struct env_image_info *info, sbx_error **err);
int env_tree_digest(const char *root, char out[72], sbx_error **err);
int env_tree_seal(const char *root, sbx_error **err);
int env_tree_remove(const char *root, sbx_error **err);
#endif
