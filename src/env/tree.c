/* Trees: remove, seal, digest and copy (image.h), all on tree_walk()
 * (walk.c), so none follows a symlink and none runs out of descriptors on
 * a deep tree.
 *
 * The chmod calls below name an entry by (parent, name) after fstatat has
 * said it is not a symlink: only the tree's owner could swap it in between,
 * and the trees these run on (the store, a destination being unpacked)
 * belong to us and nobody else writes to them. */
#include "env/internal.h"

#include "common/hash.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- remove ---- */
static int rm_pre(void *ctx, int parent, const char *name, const char *rel, const struct stat *st,
		  sbx_error **err)
{
	(void) ctx;
	if (S_ISDIR(st->st_mode)) {
		/* a sealed directory: give back what removing its entries needs */
		if ((st->st_mode & 0700) != 0700 &&
		    fchmodat(parent, name, (st->st_mode & 07777) | 0700, 0) < 0)
			return sbx_error_set(err, errno, "%s", rel[0] ? rel : name);
		return 1;
	}
	if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
		return sbx_error_set(err, errno, "removing %s", rel[0] ? rel : name);
	return 0;
}

static int rm_post(void *ctx, int parent, const char *name, const char *rel, int fd,
		   sbx_error **err)
{
	(void) ctx;
	(void) fd;
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return sbx_error_set(err, errno, "removing %s", rel[0] ? rel : name);
	return 0;
}

int tree_remove_at(int dirfd, const char *name, sbx_error **err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : sbx_error_set(err, errno, "%s", name);
	static const struct walk_ops ops = { rm_pre, rm_post };
	return tree_walk(dirfd, name, &ops, NULL, err);
}

/* (parent directory, last component) of path, for what must not follow
 * path's last component; -2 (no error set) when the parent does not exist. */
static int open_parent_of(const char *path, char **base, sbx_error **err)
{
	cleanup_free char *d = strdup(path), *b = strdup(path);
	if (!d || !b)
		return sbx_error_set(err, ENOMEM, "%s", path);
	const char *bn = basename(b);
	if (strcmp(bn, "/") == 0 || strcmp(bn, ".") == 0 || strcmp(bn, "..") == 0)
		return sbx_error_set(err, 0, "%s: not a path to a tree", path);
	int fd = open(dirname(d), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return -2; /* no parent: no tree either */
	if (fd < 0)
		return sbx_error_set(err, errno, "%s", path);
	if (!(*base = strdup(bn))) {
		close(fd);
		return sbx_error_set(err, ENOMEM, "%s", path);
	}
	return fd;
}

int env_tree_remove(const char *root, sbx_error **err)
{
	cleanup_free char *base = NULL;
	cleanup_close int parent = open_parent_of(root, &base, err);
	if (parent < 0)
		return parent == -2 ? 0 : -1;
	if (tree_remove_at(parent, base, err) < 0)
		return sbx_error_wrap(err, "removing %s", root);
	return 0;
}

int tree_make_dest(const char *dest, sbx_error **err)
{
	if (mkdir(dest, 0755) < 0)
		return sbx_error_set(err, errno, "creating %s", dest);
	int fd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0755) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		rmdir(dest);
		return sbx_error_set(err, e, "opening %s", dest);
	}
	return fd;
}

/* ---- seal ---- */
static int seal_pre(void *ctx, int parent, const char *name, const char *rel,
		    const struct stat *st, sbx_error **err)
{
	(void) ctx;
	if (S_ISDIR(st->st_mode))
		return 1; /* its own mode once its entries are done (seal_post) */
	if (S_ISLNK(st->st_mode) || !(st->st_mode & 0222))
		return 0;
	if (fchmodat(parent, name, st->st_mode & 07555, 0) < 0)
		return sbx_error_set(err, errno, "sealing %s", rel);
	return 0;
}

static int seal_post(void *ctx, int parent, const char *name, const char *rel, int fd,
		     sbx_error **err)
{
	(void) ctx;
	(void) parent;
	(void) name;
	struct stat st;
	if (fstat(fd, &st) < 0 || fchmod(fd, st.st_mode & 07555) < 0)
		return sbx_error_set(err, errno, "sealing %s", rel[0] ? rel : "the root");
	return 0;
}

int env_tree_seal(const char *root, sbx_error **err)
{
	cleanup_close int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return sbx_error_set(err, errno, "%s", root);
	static const struct walk_ops ops = { seal_pre, seal_post };
	if (tree_walk(fd, ".", &ops, NULL, err) < 0)
		return sbx_error_wrap(err, "sealing %s", root);
	return 0;
}

/* ---- digest ---- */
static char type_char(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR: return 'd';
	case S_IFREG: return 'f';
	case S_IFLNK: return 'l';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	case S_IFIFO: return 'p';
	default: return 's';
	}
}

static void hash_str(struct sha256_ctx *c, const char *s)
{
	sha256_update(c, strlen(s), (const uint8_t *) s);
}

/* Open the regular file the walk saw as st.  A tree (a --rootfs source, a
 * venv hashed in place) may belong to someone else, who can swap the entry
 * between the walk's look and this open: a fifo opened without O_NONBLOCK
 * and no writer blocks for ever.  So the open does not block, and what it
 * opened must be the file the walk saw. */
static int open_seen_file(int parent, const char *name, const struct stat *st, sbx_error **err)
{
	int fd = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return sbx_error_set(err, errno, "reading");
	struct stat now;
	if (fstat(fd, &now) < 0 || !S_ISREG(now.st_mode) || now.st_dev != st->st_dev ||
	    now.st_ino != st->st_ino) {
		close(fd);
		return sbx_error_set(err, 0, "changed while it was read (not the file it was)");
	}
	return fd;
}

static int hash_file(int parent, const char *name, const struct stat *st,
		     char hex[SHA256_HEX_LEN + 1], uint64_t *size, sbx_error **err)
{
	cleanup_close int fd = open_seen_file(parent, name, st, err);
	if (fd < 0)
		return -1;
	int r = sha256_fd_hex(fd, hex, size);
	return r < 0 ? sbx_error_set(err, -r, "reading") : 0;
}

/* One record per entry: "T MODE LEN:PATH" and, for a file, " SIZE:SHA256",
 * for a symlink " LEN:TARGET", then "\n".  The lengths make it unambiguous
 * whatever bytes the names hold. */
static int digest_pre(void *ctx, int parent, const char *name, const char *rel,
		      const struct stat *st, sbx_error **err)
{
	struct sha256_ctx *c = ctx;
	char head[64];
	snprintf(head, sizeof(head), "%c %04o %zu:", type_char(st->st_mode),
		 (unsigned) (st->st_mode & 07555), strlen(rel));
	hash_str(c, head);
	hash_str(c, rel);
	if (S_ISREG(st->st_mode)) {
		char hex[SHA256_HEX_LEN + 1];
		uint64_t size;
		if (hash_file(parent, name, st, hex, &size, err) < 0)
			return sbx_error_wrap(err, "%s", rel);
		snprintf(head, sizeof(head), " %" PRIu64 ":", size);
		hash_str(c, head);
		hash_str(c, hex);
	} else if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);
		if (n < 0)
			return sbx_error_set(err, errno, "%s", rel);
		target[n] = '\0';
		snprintf(head, sizeof(head), " %zd:", n);
		hash_str(c, head);
		hash_str(c, target);
	}
	hash_str(c, "\n");
	return S_ISDIR(st->st_mode) ? 1 : 0;
}

int env_tree_digest(const char *root, char out[72], sbx_error **err)
{
	cleanup_close int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sbx_error_set(err, errno, "%s", root);
	struct sha256_ctx c;
	sha256_init(&c);
	hash_str(&c, "stratbox tree digest 1\n");
	static const struct walk_ops ops = { digest_pre, NULL };
	if (tree_walk(fd, ".", &ops, &c, err) < 0)
		return sbx_error_wrap(err, "digest of %s", root);
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_digest(&c, sizeof(d), d);
	memcpy(out, "sha256:", 7);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", d[i]);
	return 0;
}

/* ---- copy ---- */
struct copy {
	struct unpack *u;
	dev_t dest_dev; /* DEST itself, when it lies inside the source: not copied into itself */
	ino_t dest_ino;
};

static ssize_t fd_rd(void *ctx, void *buf, size_t len, sbx_error **err)
{
	int fd = *(int *) ctx;
	for (;;) {
		ssize_t n = read(fd, buf, len);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return sbx_error_set(err, errno, "reading");
	}
}

static int copy_pre(void *ctx, int parent, const char *name, const char *rel,
		    const struct stat *st, sbx_error **err)
{
	struct copy *cp = ctx;
	if (rel[0] == '\0') {
		if (!S_ISDIR(st->st_mode))
			return sbx_error_set(err, 0, "not a directory");
		return 1;
	}
	if (S_ISDIR(st->st_mode) && st->st_dev == cp->dest_dev && st->st_ino == cp->dest_ino)
		return 0;
	struct xentry e = { .name = rel, .link = "", .mode = st->st_mode & 07777 };
	char target[PATH_MAX];
	cleanup_close int fd = -1;
	switch (st->st_mode & S_IFMT) {
	case S_IFDIR: e.type = TAR_DIR; break;
	case S_IFCHR: e.type = TAR_CHAR; break;
	case S_IFBLK: e.type = TAR_BLOCK; break;
	case S_IFIFO: e.type = TAR_FIFO; break;
	case S_IFSOCK: e.type = TAR_SOCKET; break;
	case S_IFLNK: {
		ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);
		if (n < 0)
			return sbx_error_set(err, errno, "%s", rel);
		target[n] = '\0';
		e.type = TAR_SYMLINK;
		e.link = target;
		break;
	}
	case S_IFREG:
		e.type = TAR_FILE;
		e.size = (uint64_t) st->st_size;
		e.mtime = st->st_mtim.tv_sec;
		fd = open_seen_file(parent, name, st, err);
		if (fd < 0)
			return sbx_error_wrap(err, "%s", rel);
		break;
	default:
		return sbx_error_set(err, 0, "%s: an entry of an unknown type", rel);
	}
	if (unpack_entry(cp->u, &e, fd_rd, &fd, err) < 0)
		return -1;
	return e.type == TAR_DIR ? 1 : 0;
}

int env_tree_copy(const char *src, const char *dest, const struct env_unpack_limits *lim,
		  struct env_image_info *info, sbx_error **err)
{
	struct env_image_info scratch;
	if (!info)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	snprintf(info->format, sizeof(info->format), "tree");
	cleanup_close int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return sbx_error_set(err, errno, "%s", src);
	cleanup_close int dfd = tree_make_dest(dest, err);
	if (dfd < 0)
		return -1;
	struct stat dst;
	struct copy cp = { unpack_new(dfd, lim, info, false), 0, 0 };
	if (fstat(dfd, &dst) == 0) {
		cp.dest_dev = dst.st_dev;
		cp.dest_ino = dst.st_ino;
	}
	static const struct walk_ops ops = { copy_pre, NULL };
	int rc = -1;
	if (!cp.u)
		sbx_error_set(err, ENOMEM, "copying %s", src);
	else if (tree_walk(sfd, ".", &ops, &cp, err) == 0 && unpack_finish(cp.u, err) == 0)
		rc = 0;
	unpack_free(cp.u);
	if (rc < 0) {
		sbx_error_wrap(err, "copying %s", src);
		env_tree_remove(dest, NULL);
	}
	return rc;
}
