/* One entry of an untrusted archive into the destination (internal.h).
 *
 * The rules, each against an attack:
 *   - A name is cleaned lexically: a leading "/" and "." components go,
 *     and any ".." refuses the whole image (`../../etc/x`: a path that
 *     climbs out; no real image needs one).
 *   - The parent directory is opened with openat2(RESOLVE_IN_ROOT) relative
 *     to the destination: a symlink the archive made earlier (`link -> /`)
 *     is resolved inside the destination, never on the host (`link/escape`
 *     lands in DEST/escape).  RESOLVE_NO_MAGICLINKS: no /proc/self/fd jump.
 *     RESOLVE_NO_XDEV: no other file system is reached.
 *   - The last component is never followed: what is there is removed
 *     (unlinkat, never through a link) and the new entry created with
 *     O_CREAT|O_EXCL|O_NOFOLLOW, mkdirat or symlinkat.
 *   - Symlinks are made with their target text as it is: they are only
 *     resolved later, inside the sandbox's own root.
 *   - A hard link's target is resolved inside the destination too and must
 *     be something earlier entries made, and not a directory
 *     (a link to /etc/passwd finds DEST/etc/passwd or nothing).
 *   - Devices, fifos and sockets are not made; setuid, setgid and sticky
 *     bits and write for group and others are dropped; each is counted.
 *   - Directories stay writable by their owner until unpack_finish() gives
 *     them their modes, deepest first.
 *   - Limits on entries and bytes are checked before anything is written
 *     (a decompression bomb is refused by its declared size). */
#include "env/internal.h"

#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- a set of paths with a value each (open addressing, FNV-1a) ---- */
struct pathmap {
	char **keys;
	uint32_t *vals;
	size_t cap, n;
	char **order; /* keys in the order they were first added */
	size_t norder, order_cap;
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ull;
	return h;
}

static void pathmap_clear(struct pathmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	free(m->order);
	memset(m, 0, sizeof(*m));
}

static size_t pathmap_slot(const struct pathmap *m, const char *k)
{
	size_t i = (size_t) fnv(k) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], k) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static uint32_t *pathmap_get(const struct pathmap *m, const char *k)
{
	if (m->cap == 0)
		return NULL;
	size_t i = pathmap_slot(m, k);
	return m->keys[i] ? &m->vals[i] : NULL;
}

static int pathmap_grow(struct pathmap *m)
{
	size_t nc = m->cap ? m->cap * 2 : 1024;
	char **nk = calloc(nc, sizeof(*nk));
	uint32_t *nv = calloc(nc, sizeof(*nv));
	if (!nk || !nv) {
		free(nk);
		free(nv);
		return -1;
	}
	struct pathmap old = *m;
	m->keys = nk;
	m->vals = nv;
	m->cap = nc;
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i]) {
			size_t j = pathmap_slot(m, old.keys[i]);
			m->keys[j] = old.keys[i];
			m->vals[j] = old.vals[i];
		}
	free(old.keys);
	free(old.vals);
	return 0;
}

/* Set k's value; 1 when k was new, 0 when it was there, -1 out of memory. */
static int pathmap_put(struct pathmap *m, const char *k, uint32_t v, bool keep_order)
{
	if ((m->n + 1) * 2 > m->cap && pathmap_grow(m) < 0)
		return -1;
	size_t i = pathmap_slot(m, k);
	if (m->keys[i]) {
		m->vals[i] = v;
		return 0;
	}
	if (keep_order && m->norder == m->order_cap) {
		size_t nc = m->order_cap ? m->order_cap * 2 : 256;
		char **no = realloc(m->order, nc * sizeof(*no));
		if (!no)
			return -1;
		m->order = no;
		m->order_cap = nc;
	}
	if (!(m->keys[i] = strdup(k)))
		return -1;
	m->vals[i] = v;
	m->n++;
	if (keep_order)
		m->order[m->norder++] = m->keys[i];
	return 1;
}

/* ---- the extraction ---- */
struct unpack {
	int root;
	uint64_t max_bytes, max_files;
	struct env_image_info *info;
	bool whiteouts;
	struct pathmap layer; /* paths this layer made (and their parents) */
	struct pathmap dirs;  /* every directory made: its final mode */
};

struct unpack *unpack_new(int rootfd, const struct env_unpack_limits *lim,
			  struct env_image_info *info, bool whiteouts)
{
	struct unpack *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->root = rootfd;
	u->max_bytes = lim && lim->max_bytes ? lim->max_bytes : ENV_DEFAULT_MAX_BYTES;
	u->max_files = lim && lim->max_files ? lim->max_files : ENV_DEFAULT_MAX_FILES;
	u->info = info;
	u->whiteouts = whiteouts;
	return u;
}

void unpack_free(struct unpack *u)
{
	if (!u)
		return;
	pathmap_clear(&u->layer);
	pathmap_clear(&u->dirs);
	free(u);
}

void unpack_layer_begin(struct unpack *u)
{
	pathmap_clear(&u->layer);
}

__attribute__((format(printf, 2, 3))) static void note(struct unpack *u, const char *fmt, ...)
{
	if (u->info->note[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(u->info->note, sizeof(u->info->note), fmt, ap);
	va_end(ap);
}

/* The name cleaned: no leading "/", no "." or empty components; ".." refused. */
static int clean_name(const char *in, char out[PATH_MAX], sbx_error **err)
{
	size_t o = 0;
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t) (p - s);
		if (len == 0 || (len == 1 && s[0] == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.')
			return sbx_error_set(err, 0, "a path with \"..\" is refused");
		if (o + len + 2 > PATH_MAX)
			return sbx_error_set(err, 0, "a path longer than PATH_MAX");
		if (o)
			out[o++] = '/';
		memcpy(out + o, s, len);
		o += len;
	}
	out[o] = '\0';
	return 0;
}

static int openat2_in_root(int root, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t) (flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	for (int tries = 0; tries < 8; tries++) {
		long fd = syscall(SYS_openat2, root, path[0] ? path : ".", &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			return (int) fd;
	}
	return -1;
}

/* Remember that this layer made path and (so an opaque directory above
 * keeps them) its parents. */
static int mark_layer(struct unpack *u, const char *path, sbx_error **err)
{
	if (!u->whiteouts) /* a tree copy: no layers */
		return 0;
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		int r = pathmap_put(&u->layer, buf, 1, false);
		if (r < 0)
			return sbx_error_set(err, ENOMEM, "unpacking");
		char *slash = strrchr(buf, '/');
		if (r == 0 || !slash)
			return 0;
		*slash = '\0';
	}
}

static int count_entry(struct unpack *u, sbx_error **err)
{
	if (u->info->files >= u->max_files)
		return sbx_error_set(err, 0, "more than %llu entries: the limit on files",
				     (unsigned long long) u->max_files);
	u->info->files++;
	return 0;
}

static int record_dir(struct unpack *u, const char *path, uint32_t mode, sbx_error **err)
{
	if (pathmap_put(&u->dirs, path, mode, true) < 0)
		return sbx_error_set(err, ENOMEM, "unpacking");
	return 0;
}

/* A parent that resolves to no directory: a file, a symlink out of the
 * image (resolved inside it, it leads nowhere) or a loop of symlinks. */
static int not_a_dir(const char *parent, sbx_error **err)
{
	int e = errno;
	if (e == ENOENT || e == ENOTDIR || e == ELOOP || e == EXDEV)
		return sbx_error_set(err, 0, "its parent %s is not a directory inside the image",
				     parent);
	return sbx_error_set(err, e, "opening its parent %s", parent);
}

/* The parent directory of path (cleaned), made when missing (0755, as
 * `docker load` does), each step resolved inside the root. */
static int open_parent(struct unpack *u, const char *path, sbx_error **err)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", path);
	char *slash = strrchr(parent, '/');
	if (!slash)
		parent[0] = '\0';
	else
		*slash = '\0';
	int fd = openat2_in_root(u->root, parent, O_PATH | O_DIRECTORY);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return not_a_dir(parent, err);
	cleanup_close int cur = openat2_in_root(u->root, "", O_PATH | O_DIRECTORY);
	for (char *p = parent;;) {
		char *end = strchr(p, '/');
		if (end)
			*end = '\0';
		int next = openat2_in_root(u->root, parent, O_PATH | O_DIRECTORY);
		if (next < 0 && errno == ENOENT) {
			if (count_entry(u, err) < 0)
				return -1;
			if (mkdirat(cur, p, 0755) < 0 && errno != EEXIST)
				return sbx_error_set(err, errno, "creating %s", parent);
			if (record_dir(u, parent, 0755, err) < 0 || mark_layer(u, parent, err) < 0)
				return -1;
			next = openat2_in_root(u->root, parent, O_PATH | O_DIRECTORY);
		}
		if (next < 0)
			return not_a_dir(parent, err);
		close(cur);
		cur = next;
		if (!end)
			break;
		*end = '/';
		p = end + 1;
	}
	return steal_fd(&cur);
}

static const char *leaf_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* The mode an entry gets: 0755 at most (setuid, setgid, sticky and write
 * for group and others dropped), counted when that changed anything. */
static uint32_t safe_mode(struct unpack *u, const char *path, uint32_t mode, bool dir)
{
	uint32_t m = mode & 07777, keep = m & 0755;
	if (keep != m) {
		u->info->neutralised++;
		note(u, "%s: mode %04o made %04o (no setuid, setgid, sticky or group/other write)",
		     path, (unsigned) m, (unsigned) keep);
	}
	/* the owner (the importing user) can always list and enter a directory */
	return dir ? keep | 0700 : keep;
}

/* Remove what is at (parent, leaf), never following it. */
static int clear_place(int parent, const char *leaf, sbx_error **err)
{
	if (unlinkat(parent, leaf, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return sbx_error_set(err, errno, "replacing it");
	return tree_remove_at(parent, leaf, err);
}

/* An opaque directory: remove every entry below it that an earlier layer
 * made, whatever order this layer lists its own entries in. */
static int prune_opaque(struct unpack *u, int dir, char *path, size_t len, sbx_error **err)
{
	cleanup_close int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sbx_error_set(err, errno, "%s", path);
	DIR *d = fdopendir(fd);
	if (!d)
		return sbx_error_set(err, errno, "%s", path);
	steal_fd(&fd);
	cleanup_dir DIR *dd = d;
	struct dirent *de;
	while ((de = readdir(dd))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		size_t nl = strlen(de->d_name);
		if (len + 1 + nl + 1 > PATH_MAX)
			return sbx_error_set(err, 0, "a path longer than PATH_MAX under %s", path);
		size_t at = len;
		if (len)
			path[at++] = '/';
		memcpy(path + at, de->d_name, nl + 1);
		int r = 0;
		if (!pathmap_get(&u->layer, path)) {
			r = tree_remove_at(dirfd(dd), de->d_name, err);
		} else {
			/* this layer's: keep it, but not what lower layers put below it */
			int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
			cleanup_close int sub = openat(dirfd(dd), de->d_name, flags);
			if (sub >= 0)
				r = prune_opaque(u, sub, path, at + nl, err);
			else if (errno != ENOTDIR && errno != ELOOP)
				r = sbx_error_set(err, errno, "%s", path);
		}
		path[len] = '\0';
		if (r < 0)
			return -1;
	}
	return 0;
}

/* .wh.NAME removes NAME made by earlier layers; .wh..wh..opq makes its
 * directory opaque; other .wh..wh. names (aufs bookkeeping) are ignored.
 * A whiteout is never created itself. */
static int whiteout(struct unpack *u, const char *path, const char *leaf, sbx_error **err)
{
	char dir[PATH_MAX];
	size_t dl = (size_t) (leaf - path) ? (size_t) (leaf - path) - 1 : 0;
	memcpy(dir, path, dl);
	dir[dl] = '\0';
	/* a whiteout in a directory that is not there has nothing to hide */
	cleanup_close int parent = openat2_in_root(u->root, dir, O_PATH | O_DIRECTORY);
	if (parent < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : not_a_dir(dir, err);
	if (strcmp(leaf, ".wh..wh..opq") == 0) {
		if (mark_layer(u, dir, err) < 0)
			return -1;
		return prune_opaque(u, parent, dir, dl, err);
	}
	if (strncmp(leaf, ".wh..wh.", 8) == 0)
		return 0;
	const char *victim = leaf + 4;
	if (!*victim || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
		return sbx_error_set(err, 0, "a whiteout of nothing");
	char full[PATH_MAX]; /* path without the ".wh." */
	size_t pl = (size_t) (leaf - path);
	memcpy(full, path, pl);
	memcpy(full + pl, victim, strlen(victim) + 1);
	if (pathmap_get(&u->layer, full)) /* a whiteout hides lower layers only */
		return 0;
	return tree_remove_at(parent, victim, err);
}

static int write_file(struct unpack *u, int parent, const char *leaf, const struct xentry *e,
		      uint32_t mode, xread_fn rd, void *ctx, sbx_error **err)
{
	if (e->size > u->max_bytes - u->info->bytes)
		return sbx_error_set(err, 0,
				     "%llu bytes: more than the limit of %llu bytes of content",
				     (unsigned long long) e->size,
				     (unsigned long long) u->max_bytes);
	cleanup_close int fd = openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
						    O_CLOEXEC, 0600);
	if (fd < 0)
		return sbx_error_set(err, errno, "creating it");
	char buf[65536];
	uint64_t left = e->size;
	while (left > 0) {
		ssize_t n = rd(ctx, buf, left < sizeof(buf) ? (size_t) left : sizeof(buf), err);
		if (n < 0)
			return -1;
		if (n == 0)
			return sbx_error_set(err, 0, "its content ended %llu bytes early",
					     (unsigned long long) left);
		int w = write_all(fd, buf, (size_t) n);
		if (w < 0)
			return sbx_error_set(err, -w, "writing it");
		left -= (uint64_t) n;
		u->info->bytes += (uint64_t) n;
	}
	if (fchmod(fd, mode) < 0)
		return sbx_error_set(err, errno, "setting its mode");
	struct timespec t[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = e->mtime } };
	if (futimens(fd, t) < 0)
		return sbx_error_set(err, errno, "setting its time");
	return 0;
}

static int hard_link(struct unpack *u, int parent, const char *path, const char *leaf,
		     const char *target, sbx_error **err)
{
	char t[PATH_MAX];
	if (clean_name(target, t, err) < 0)
		return sbx_error_wrap(err, "its hard link target %s", target);
	if (strcmp(t, path) == 0 || t[0] == '\0')
		return sbx_error_set(err, 0, "a hard link to itself or to the root");
	/* The target's directory, found (never made) inside the root. */
	char tdir[PATH_MAX];
	size_t tl = (size_t) (leaf_of(t) - t);
	memcpy(tdir, t, tl ? tl - 1 : 0);
	tdir[tl ? tl - 1 : 0] = '\0';
	cleanup_close int tparent = openat2_in_root(u->root, tdir, O_PATH | O_DIRECTORY);
	struct stat st;
	if (tparent < 0 || fstatat(tparent, leaf_of(t), &st, AT_SYMLINK_NOFOLLOW) < 0)
		return sbx_error_set(err, errno == ENOENT ? 0 : errno,
				     "a hard link to %s, which no earlier entry made", target);
	if (S_ISDIR(st.st_mode))
		return sbx_error_set(err, 0, "a hard link to the directory %s", target);
	if (clear_place(parent, leaf, err) < 0)
		return -1;
	if (linkat(tparent, leaf_of(t), parent, leaf, 0) < 0)
		return sbx_error_set(err, errno, "linking it to %s", target);
	return 0;
}

static const char *skipped_kind(enum tar_type t)
{
	switch (t) {
	case TAR_CHAR: return "a character device";
	case TAR_BLOCK: return "a block device";
	case TAR_FIFO: return "a fifo";
	case TAR_FILE: case TAR_HARDLINK: case TAR_SYMLINK: case TAR_DIR: break;
	}
	return "a socket";
}

static int place_entry(struct unpack *u, const char *path, const struct xentry *e, xread_fn rd,
		       void *ctx, sbx_error **err)
{
	const char *leaf = leaf_of(path);
	if (u->whiteouts && strncmp(leaf, ".wh.", 4) == 0)
		return whiteout(u, path, leaf, err);
	cleanup_close int parent = open_parent(u, path, err);
	if (parent < 0)
		return -1;
	if (mark_layer(u, path, err) < 0)
		return -1;
	struct stat st;
	bool exists = fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0;
	switch (e->type) {
	case TAR_DIR:
		if (count_entry(u, err) < 0)
			return -1;
		if (!exists || !S_ISDIR(st.st_mode)) {
			if (exists && clear_place(parent, leaf, err) < 0)
				return -1;
			if (mkdirat(parent, leaf, 0755) < 0)
				return sbx_error_set(err, errno, "creating it");
		}
		return record_dir(u, path, safe_mode(u, path, e->mode, true), err);
	case TAR_FILE:
		if (count_entry(u, err) < 0 || (exists && clear_place(parent, leaf, err) < 0))
			return -1;
		return write_file(u, parent, leaf, e, safe_mode(u, path, e->mode, false), rd, ctx,
				  err);
	case TAR_SYMLINK:
		if (!e->link[0])
			return sbx_error_set(err, 0, "a symlink with an empty target");
		if (count_entry(u, err) < 0 || (exists && clear_place(parent, leaf, err) < 0))
			return -1;
		if (symlinkat(e->link, parent, leaf) < 0)
			return sbx_error_set(err, errno, "creating it");
		return 0;
	case TAR_HARDLINK:
		if (count_entry(u, err) < 0)
			return -1;
		return hard_link(u, parent, path, leaf, e->link, err);
	case TAR_CHAR: case TAR_BLOCK: case TAR_FIFO:
		break;
	}
	/* Not created, and what a lower layer had there is gone, as the
	 * layer says it should be. */
	u->info->skipped++;
	note(u, "%s: %s, not created", path, skipped_kind(e->type));
	return exists ? clear_place(parent, leaf, err) : 0;
}

int unpack_entry(struct unpack *u, const struct xentry *e, xread_fn rd, void *ctx,
		 sbx_error **err)
{
	char path[PATH_MAX];
	if (clean_name(e->name, path, err) < 0)
		return sbx_error_wrap(err, "entry %s", e->name);
	if (path[0] == '\0') {
		if (e->type != TAR_DIR)
			return sbx_error_set(err, 0, "entry %s: the root is not a directory",
					     e->name);
		return 0; /* the root keeps 0755 */
	}
	if (place_entry(u, path, e, rd, ctx, err) < 0)
		return sbx_error_wrap(err, "entry %s", e->name);
	return 0;
}

static ssize_t tar_rd(void *ctx, void *buf, size_t len, sbx_error **err)
{
	return tar_read_data(ctx, buf, len, err);
}

int unpack_tar(struct unpack *u, const struct tar_source *src, sbx_error **err)
{
	struct tar_reader *r = tar_reader_new(src);
	if (!r)
		return sbx_error_set(err, ENOMEM, "reading a layer");
	int rc;
	struct tar_entry te;
	while ((rc = tar_next(r, &te, err)) > 0) {
		struct xentry e = { .type = te.type, .name = te.name, .link = te.linkname,
				    .mode = te.mode, .size = te.size, .mtime = te.mtime };
		if ((rc = unpack_entry(u, &e, tar_rd, r, err)) < 0)
			break;
	}
	tar_reader_free(r);
	return rc < 0 ? -1 : 0;
}

int unpack_finish(struct unpack *u, sbx_error **err)
{
	for (size_t i = u->dirs.norder; i-- > 0;) {
		const char *path = u->dirs.order[i];
		uint32_t *mode = pathmap_get(&u->dirs, path);
		cleanup_close int fd = openat2_in_root(u->root, path, O_RDONLY | O_DIRECTORY |
									O_NOFOLLOW);
		if (fd < 0) /* replaced or removed by a later layer */
			continue;
		if (fchmod(fd, *mode) < 0)
			return sbx_error_set(err, errno, "setting the mode of %s", path);
	}
	if (fchmod(u->root, 0755) < 0)
		return sbx_error_set(err, errno, "setting the mode of the root");
	return 0;
}
