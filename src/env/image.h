/* Images and trees for environments (issue 11): a Docker or OCI image
 * archive unpacked into a directory without Docker, an unpacked tree copied,
 * a tree's digest, sealing and removal.
 *
 * The archive is untrusted.  Whatever it says, nothing is written outside
 * DEST: every path is resolved inside DEST (openat2 RESOLVE_IN_ROOT), the
 * last component is never followed, and names with ".." are refused.  What
 * would give a capability inside the sandbox is neutralised and counted:
 * no device nodes, fifos or sockets are made, setuid, setgid and sticky bits
 * and write permission for group and others are dropped, ownership is not
 * restored (the tree belongs to whoever imports it).  docs/images.md lists
 * what is accepted, verified, neutralised and refused. */
#ifndef STRATBOX_ENV_IMAGE_H
#define STRATBOX_ENV_IMAGE_H

#include "stratbox/error.h"

#include <stdint.h>

struct env_image_info {
	char format[24];     /* "docker-archive", "oci-layout" or "tree" */
	char digest[72];     /* "sha256:<hex>": docker-archive: the config blob's digest (the
				image ID); oci-layout: the image manifest's digest; "" for a tree */
	unsigned layers;
	uint64_t files, bytes; /* entries written (directories, links, files), bytes of content */
	unsigned neutralised;  /* entries whose mode lost setuid/setgid/sticky or group/other
				  write bits */
	unsigned skipped;      /* device nodes, fifos, sockets: not created */
	char note[256];	       /* the first thing neutralised or skipped, in words, or "" */
};

/* 0 in either field: the default (16 GiB of content, 2 million entries). */
struct env_unpack_limits {
	uint64_t max_bytes, max_files;
};
#define ENV_DEFAULT_MAX_BYTES ((uint64_t) 16 << 30)
#define ENV_DEFAULT_MAX_FILES ((uint64_t) 2000000)

/* Unpack ARCHIVE (what `docker save` / `podman save` write, or an OCI image
 * layout as a tar; not compressed as a whole) into DEST, which must not
 * exist (created 0755; its parent must).  Layers are applied in order;
 * whiteouts (.wh.NAME) and opaque directories (.wh..wh..opq) are honoured.
 * Every blob is checked against its digest.  On error DEST is removed again
 * and *info says how far it got.  lim and info may be NULL. */
int env_image_unpack(const char *archive, const char *dest, const struct env_unpack_limits *lim,
		     struct env_image_info *info, sbx_error **err);

/* Copy an unpacked tree (`docker export`, debootstrap) into DEST (must not
 * exist) with the same neutralisation (no devices, no setuid, never
 * following a symlink, hard links copied as separate files).  On error DEST
 * is removed again. */
int env_tree_copy(const char *src, const char *dest, const struct env_unpack_limits *lim,
		  struct env_image_info *info, sbx_error **err);

/* A digest of a tree's content, "sha256:<hex>": every entry depth first,
 * the children of a directory in byte order of their names, each with its
 * path, type, permission bits (without the write bits, so sealing does not
 * change it), a symlink's target and a file's content.  Owners, times and
 * where the tree lies are not part of it. */
int env_tree_digest(const char *root, char out[72], sbx_error **err);

/* Seal: remove every write bit in the tree (directories too, ROOT too), so
 * the store is read-only.  Never follows a symlink. */
int env_tree_seal(const char *root, sbx_error **err);

/* Remove a tree (restoring write bits as needed), never following a
 * symlink; a tree that does not exist is success. */
int env_tree_remove(const char *root, sbx_error **err);

#endif
