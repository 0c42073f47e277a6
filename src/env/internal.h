/* What the files of the image unpacker share (src/env/ only):
 *   tar.c      the tar reader (tar.h)
 *   extract.c  one entry into the destination, safely: paths, modes, whiteouts, limits
 *   image.c    the outer archive: its index, docker-archive and OCI layout, the plan
 *   layer.c    one layer: its stream (gzip or plain), its digests, its entries
 *   walk.c     a depth-first walk holding one descriptor, whatever the depth
 *   tree.c     copy, digest, seal and remove of a tree
 */
#ifndef STRATBOX_ENV_INTERNAL_H
#define STRATBOX_ENV_INTERNAL_H

#include "env/image.h"
#include "env/tar.h"

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

/* ---- extract.c ---- */
struct unpack;

/* The extraction into the directory rootfd (kept open, not owned). */
struct unpack *unpack_new(int rootfd, const struct env_unpack_limits *lim,
			  struct env_image_info *info, bool whiteouts);
void unpack_free(struct unpack *u);
/* A new layer: whiteouts and opaque directories act on what came before. */
void unpack_layer_begin(struct unpack *u);

/* One entry.  type TAR_SOCKET never comes from a tar: a tree copy meets them. */
#define TAR_SOCKET ((enum tar_type) 100)
struct xentry {
	enum tar_type type;
	const char *name; /* as the archive says */
	const char *link; /* hard and symbolic links */
	uint32_t mode;
	uint64_t size; /* files: the content rd gives */
	int64_t mtime; /* kept on files: Python checks its .pyc files against their .py's */
};
typedef ssize_t (*xread_fn)(void *ctx, void *buf, size_t len, sbx_error **err);
int unpack_entry(struct unpack *u, const struct xentry *e, xread_fn rd, void *rdctx,
		 sbx_error **err);
/* Every entry of one tar layer. */
int unpack_tar(struct unpack *u, const struct tar_source *src, sbx_error **err);
/* The directories get their modes (deepest first). */
int unpack_finish(struct unpack *u, sbx_error **err);

/* ---- image.c, layer.c ---- */
/* The outer archive, indexed: it needs random access (manifest.json may
 * come after the layers). */
struct member {
	char *name;	/* cleaned: no leading "./" or "/" */
	char *link;	/* a symlink's target (docker save links repeated layers), or NULL */
	uint64_t off, size;
};
struct archive {
	int fd;
	uint64_t size;
	struct member *m;
	size_t n;
};

/* One layer to apply, and what its bytes must hash to ("" when unknown). */
struct layer_plan {
	const struct member *m;
	char media_type[128]; /* OCI's, or "" (docker-archive: told by the content) */
	char raw_hex[65];     /* the blob as stored */
	char diff_hex[65];    /* the uncompressed tar (rootfs.diff_ids) */
};

/* Apply one layer; *stream_left is what the uncompressed layers may still
 * add up to (a decompression bomb's bound). */
int layer_apply(struct unpack *u, const struct archive *a, const struct layer_plan *l,
		unsigned idx, uint64_t *stream_left, sbx_error **err);

/* ---- walk.c ---- */
/* A walk of the tree at (dirfd, name), the top included: pre() for every
 * entry, depth first, the children of a directory in byte order of their
 * names; it returns 1 to enter a directory, 0 not to, -1 to stop.  post()
 * after a directory's children, with a descriptor of it (O_RDONLY).
 * rel is the path from the top ("" for the top itself).  Only one
 * directory is held open at a time (a way up by ".." is checked against
 * the device and inode seen on the way down), so no depth exhausts
 * descriptors. */
struct walk_ops {
	int (*pre)(void *ctx, int parentfd, const char *name, const char *rel,
		   const struct stat *st, sbx_error **err);
	int (*post)(void *ctx, int parentfd, const char *name, const char *rel, int fd,
		    sbx_error **err);
};
int tree_walk(int dirfd, const char *name, const struct walk_ops *ops, void *ctx,
	      sbx_error **err);

/* ---- tree.c ---- */
/* Remove (dirfd, name) and all below it, never following a symlink, giving
 * directories back the owner's write bit on the way; ENOENT is success. */
int tree_remove_at(int dirfd, const char *name, sbx_error **err);
/* Make the destination (it must not exist) 0755 and open it. */
int tree_make_dest(const char *dest, sbx_error **err);

#endif
