/* Building the sandbox's root: the child side of rootfs.c's plan.
 *
 * Runs in the sandbox's init, in its new mount namespace, between clone()
 * and execve(): no allocation, no locks (internal.h).
 *
 * Destinations.  Every path the plan creates or mounts on is resolved
 * inside the new root only, one component at a time, with openat2()
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS); missing directories are made
 * with mkdirat() on the parent's descriptor, and each mount lands on the
 * descriptor the walk ended at (move_mount(MOVE_MOUNT_T_EMPTY_PATH)), never
 * on a path looked up again.  A symlink anywhere in a destination is
 * refused, not followed: a directory a sandbox can write (a --bind) may
 * hold one that an earlier run planted, and mkdir(2)/open(2)/mount(2) on
 * a path string follow every symlink but the last.  With `--bind W:/work
 * --ro-bind D:/work/in/data` and /work/in planted as a symlink to a host
 * directory, root-owned directories were created on the host and the
 * mount landed outside the sandbox (the container runtimes' best-known
 * bug class: runc's CVE-2021-30465, moby's CVE-2018-15664).  Resolving
 * beneath a descriptor of the new root's top also keeps ".." and absolute
 * symlinks from ever reaching the host's tree.
 *
 * Sources.  Each bind source is opened once, here (open_tree's clone
 * needs the source mount in this mount namespace, which the parent is not
 * in), without following a symlink in its last component unless the
 * configuration asks; whether it is a file or a directory is read from
 * that descriptor (fstat), and the mount is cloned from it (open_tree
 * with AT_EMPTY_PATH): nothing can be swapped between the check and the
 * mount.  An output directory bound into an earlier run could hold
 * "results -> /": following it gave the next run the host's whole root.
 */
#include "common/util.h"
#include "sandbox/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* One run of the plan: the new root's top, and a detail for the report. */
struct apply_ctx {
	int root;	  /* O_PATH descriptor of the skeleton tmpfs's root, or -1 */
	const char *base; /* where the new root is mounted before the pivot */
	size_t blen;
	char why[160];	  /* "…: /work/in is a symlink to /etc", or "" */
};

static void set_why(struct apply_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_why(struct apply_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

/* openat2() of one name below dirfd: no symlink (nor magic link) is
 * followed, and nothing outside dirfd is reached. */
static int open_beneath(int dirfd, const char *name, int flags)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t) (flags | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
	return fd < 0 ? -errno : (int) fd;
}

enum last_kind {
	LAST_DIR,  /* a directory (made when missing) */
	LAST_FILE, /* a regular file (an empty one made when missing) */
	LAST_ANY,  /* whatever is there (never made) */
};

/* Name what stopped a walk at the component path[0..end) in c->why. */
static void explain(struct apply_ctx *c, int dirfd, const char *name, const char *path,
		    size_t end, int r)
{
	if (r == -ELOOP) {
		char target[100];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		set_why(c, "%.*s is a symlink to %s, not followed", (int) end, path, target);
	} else if (r == -ENOTDIR) {
		set_why(c, "%.*s is not a directory", (int) end, path);
	}
}

/* Open path (absolute inside the new root, normal: no "." or "..", no
 * empty component) one component at a time from the root's descriptor.
 * When create is set, missing directories are made, and a missing last
 * component as `last` says.  last_flags: O_PATH, or O_RDONLY to get a
 * descriptor that can be read or fchmod()ed.  With leaf != NULL the walk
 * stops at the parent of the last component and *leaf points at that
 * component's name in path.  Returns a descriptor or -errno (c->why then
 * names the component when it is a symlink or not a directory). */
static int open_in_root(struct apply_ctx *c, const char *path, bool create, enum last_kind last,
			int last_flags, const char **leaf)
{
	const char *p = path;
	while (*p == '/')
		p++;
	if (*p == '\0')
		return leaf ? -EINVAL : fcntl(c->root, F_DUPFD_CLOEXEC, 3);
	int cur = c->root;
	for (;;) {
		const char *end = strchrnul(p, '/');
		const char *rest = end;
		while (*rest == '/')
			rest++;
		bool is_last = *rest == '\0';
		if (is_last && leaf != NULL) {
			*leaf = p;
			return cur == c->root ? fcntl(cur, F_DUPFD_CLOEXEC, 3) : cur;
		}
		char name[256];
		size_t len = (size_t) (end - p);
		int fd = -ENAMETOOLONG;
		if (len > 0 && len < sizeof(name)) {
			memcpy(name, p, len);
			name[len] = '\0';
			bool dir = !is_last || last == LAST_DIR;
			int flags = (is_last ? last_flags : O_PATH) | (dir ? O_DIRECTORY : 0);
			/* a few tries: a concurrent writer of a bound directory
			 * may make or remove the name between our two calls */
			for (int tries = 0; tries < 4; tries++) {
				fd = open_beneath(cur, name, flags);
				if (fd != -ENOENT || !create || (is_last && last == LAST_ANY))
					break;
				int m;
				if (dir) {
					m = mkdirat(cur, name, 0755);
				} else {
					m = openat(cur, name,
						   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
					if (m >= 0)
						m = close(m);
				}
				if (m < 0 && errno != EEXIST) {
					fd = -errno;
					break;
				}
			}
			explain(c, cur, name, path, (size_t) (end - path), fd);
		}
		if (cur != c->root)
			close(cur);
		if (fd < 0 || is_last)
			return fd;
		cur = fd;
		p = rest;
	}
}

static unsigned ms_to_attr(unsigned long flags)
{
	unsigned a = 0;
	if (flags & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (flags & MS_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (flags & MS_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (flags & MS_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	return a;
}

/* Attach the detached mount tree onto the object open at target. */
static int attach(int tree, int target)
{
	int r = move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	return r < 0 ? -errno : 0;
}

/* A new filesystem (tmpfs, proc) on the object open at target, with
 * options "key=value,..." (at most 127 bytes) and MS_* flags. */
static int mount_fs_at(const char *type, const char *data, unsigned long flags, int target)
{
	cleanup_close int fs = fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	char opts[128];
	size_t n = data ? strlen(data) : 0;
	if (n >= sizeof(opts))
		return -E2BIG;
	memcpy(opts, data ? data : "", n + 1);
	for (char *o = opts; *o;) {
		char *comma = strchrnul(o, ',');
		char *next = *comma ? comma + 1 : comma;
		*comma = '\0';
		char *eq = strchr(o, '=');
		if (eq != NULL)
			*eq = '\0';
		if (fsconfig(fs, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o, eq ? eq + 1 : NULL,
			     0) < 0)
			return -errno;
		o = next;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	cleanup_close int mnt = fsmount(fs, FSMOUNT_CLOEXEC, ms_to_attr(flags));
	if (mnt < 0)
		return -errno;
	return attach(mnt, target);
}

/* The cloned source tree onto target: read-only unless asked otherwise,
 * and never setuid or device files, recursively (a read-only bind must
 * not leave a writable submount below it): a bound host tree must not let
 * the sandbox regain privileges through a setuid binary (no_new_privs
 * covers that too) or open raw devices. */
static int bind_tree(struct rootfs_op *op, int target)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	if (!op->writable)
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (mount_setattr(op->tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return -errno;
	int r = attach(op->tree_fd, target);
	close(op->tree_fd);
	op->tree_fd = -1;
	return r;
}

/* The mount at target, again onto itself, read-only, nosuid, nodev and
 * noexec, with everything mounted below it. */
static int read_only_at(int target)
{
	cleanup_close int tree = (int) syscall(SYS_open_tree, target, "",
					       AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
						       AT_RECURSIVE);
	if (tree < 0)
		return -errno;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					       MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return -errno;
	return attach(tree, target);
}

/* Hide what is at target: a file behind /dev/null (reads see nothing),
 * a directory behind an empty read-only tmpfs. */
static int mask_at(int target)
{
	struct stat st;
	if (fstat(target, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return mount_fs_at("tmpfs", "mode=0555,size=4k",
				   MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, target);
	cleanup_close int tree = (int) syscall(SYS_open_tree, AT_FDCWD, "/dev/null",
					       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -errno;
	return attach(tree, target);
}

int rootfs_proc_protect(const char *proc, const char **failed)
{
	struct apply_ctx c = { .root = open(proc, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) };
	*failed = proc;
	if (c.root < 0)
		return -errno;
	int r = 0;
	for (size_t i = 0; i < rootfs_nproc_entries && r == 0; i++) {
		const struct rootfs_proc_entry *e = &rootfs_proc_entries[i];
		int fd = open_in_root(&c, e->name, false, LAST_ANY, O_PATH, NULL);
		*failed = e->name;
		if (fd == -ENOENT)
			continue; /* this kernel has no such entry */
		if (fd >= 0) {
			r = e->how == PROC_MASK ? mask_at(fd) : read_only_at(fd);
			close(fd);
		} else {
			r = fd;
		}
	}
	close(c.root);
	return r;
}

/* ---- copies (OP_COPY) ---- */

/* Copies are there for the sandbox to read: readable by all, executable
 * by all when the source is executable by anyone (the zygote is run from
 * its copy), never writable (the root is read-only anyway), setuid or
 * setgid.  The owner is whoever the init is, so owner-only bits of the
 * source would mean nothing. */
#define COPY_DIR_MODE 0555
static mode_t copy_mode(mode_t src)
{
	return 0444 | (src & 0111 ? 0111 : 0);
}

/* One regular file, open at src, to a new file name in dirfd. */
static int copy_file(int src, const struct stat *st, int dirfd, const char *name)
{
	mode_t mode = copy_mode(st->st_mode);
	cleanup_close int out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				       mode);
	if (out < 0 || fchmod(out, mode) < 0) /* fchmod: past the umask */
		return -errno;
	off_t off = 0;
	while (off < st->st_size) {
		ssize_t n = sendfile(out, src, &off, (size_t) (st->st_size - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the source shrank under us */
	}
	return 0;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int copy_dir(struct apply_ctx *c, const char *top, int src, int dst, int depth);

/* One entry of a copied directory: opened without following a symlink
 * and without blocking on a FIFO, then judged by its descriptor. */
static int copy_entry(struct apply_ctx *c, const char *top, int src, int dst, const char *name,
		      int depth)
{
	cleanup_close int fd = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		set_why(c, "copy source %s: %s", top, name);
		return -e;
	}
	if (S_ISREG(st.st_mode))
		return copy_file(fd, &st, dst, name);
	if (!S_ISDIR(st.st_mode) || depth >= ROOTFS_COPY_MAX_DEPTH) {
		set_why(c, "copy source %s: %s is not a regular file or directory, or too deep", top,
			name);
		return -EINVAL;
	}
	if (mkdirat(dst, name, 0755) < 0)
		return -errno;
	cleanup_close int sub = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0 || fchmod(sub, COPY_DIR_MODE) < 0)
		return -errno;
	return copy_dir(c, top, fd, sub, depth + 1);
}

/* Every entry of the directory open at src into the one open at dst. */
static int copy_dir(struct apply_ctx *c, const char *top, int src, int dst, int depth)
{
	/* a description of our own: the parent's is shared with it */
	cleanup_close int d = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return -errno;
	union {
		char buf[4096];
		struct linux_dirent64 align;
	} u;
	for (;;) {
		long n = syscall(SYS_getdents64, d, u.buf, sizeof(u.buf));
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (long off = 0; off < n;) {
			const struct linux_dirent64 *e = (const void *) (u.buf + off);
			off += e->d_reclen;
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			int r = copy_entry(c, top, src, dst, e->d_name, depth);
			if (r < 0)
				return r;
		}
	}
}

/* The parent opened the source: a file becomes a new file at rel, a
 * directory a new directory holding copies of its entries. */
static int apply_copy(struct apply_ctx *c, const struct rootfs_op *op, const char *rel)
{
	struct stat st;
	if (fstat(op->src_fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		cleanup_close int dst = open_in_root(c, rel, true, LAST_DIR, O_RDONLY, NULL);
		if (dst < 0)
			return dst;
		if (fchmod(dst, COPY_DIR_MODE) < 0)
			return -errno;
		return copy_dir(c, op->src, op->src_fd, dst, 0);
	}
	const char *leaf = NULL;
	cleanup_close int dir = open_in_root(c, rel, true, LAST_DIR, O_PATH, &leaf);
	if (dir < 0)
		return dir;
	return copy_file(op->src_fd, &st, dir, leaf);
}

/* ---- the plan ---- */

static int do_pivot(const char *newroot)
{
	/* pivot_root(".", ".") stacks the old root on top of the new one;
	 * detaching it leaves only the new root (runc's technique, no
	 * directory for the old root needed). */
	int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0)
		return -errno;
	int r = 0;
	if (chdir(newroot) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || fchdir(oldroot) < 0)
		r = -errno;
	else if (mount(NULL, ".", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		 umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		r = -errno;
	close(oldroot);
	return r;
}

/* The skeleton: a tmpfs over the base directory (a host path of ours),
 * and from then on the only descriptor destinations are resolved from. */
static int mount_skeleton(struct apply_ctx *c, const struct rootfs_op *op)
{
	if (mount("tmpfs", op->dst, "tmpfs", op->flags, op->data) < 0)
		return -errno;
	c->root = open(op->dst, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return c->root < 0 ? -errno : 0;
}

/* Open what op creates or mounts on (see open_in_root()); rel is its path
 * in the new root. */
static int target(struct apply_ctx *c, const char *rel, enum last_kind last)
{
	return open_in_root(c, rel, last != LAST_ANY, last, O_PATH, NULL);
}

static int apply_op(struct apply_ctx *c, struct rootfs_op *op)
{
	/* before the pivot every destination is under the base */
	const char *rel = op->kind == OP_PIVOT || op->kind == OP_REMOUNT_RO ? op->dst
										: op->dst + c->blen;
	const char *leaf = NULL;
	int r = 0;
	cleanup_close int fd = -1;
	switch (op->kind) {
	case OP_TMPFS:
		if (*rel == '\0')
			return mount_skeleton(c, op);
		if ((fd = target(c, rel, LAST_DIR)) < 0)
			return fd;
		return mount_fs_at("tmpfs", op->data, op->flags, fd);
	case OP_MKDIR:
		if ((fd = open_in_root(c, rel, true, LAST_DIR, O_RDONLY, NULL)) < 0)
			return fd;
		return fchmod(fd, op->mode) < 0 ? -errno : 0; /* past the umask */
	case OP_SYMLINK:
		if ((fd = open_in_root(c, rel, true, LAST_DIR, O_PATH, &leaf)) < 0)
			return fd;
		return symlinkat(op->src, fd, leaf) < 0 && errno != EEXIST ? -errno : 0;
	case OP_FILE: {
		if ((fd = open_in_root(c, rel, true, LAST_DIR, O_PATH, &leaf)) < 0)
			return fd;
		cleanup_close int out =
			openat(fd, leaf, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, op->mode);
		return out < 0 ? -errno : write_all(out, op->src, strlen(op->src));
	}
	case OP_BIND:
		if (op->skip)
			return 0;
		if ((fd = target(c, rel, op->is_dir ? LAST_DIR : LAST_FILE)) < 0)
			return fd;
		return bind_tree(op, fd);
	case OP_DEV: {
		cleanup_close int tree = (int) syscall(SYS_open_tree, AT_FDCWD, op->src,
						       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (tree < 0)
			return -errno;
		if ((fd = target(c, rel, LAST_FILE)) < 0)
			return fd;
		return attach(tree, fd);
	}
	case OP_PROC:
		if ((fd = target(c, rel, LAST_DIR)) < 0)
			return fd;
		return mount_fs_at("proc", NULL, op->flags, fd);
	case OP_RO_SELF:
	case OP_MASK:
		fd = target(c, rel, LAST_ANY);
		if (fd == -ENOENT)
			return 0; /* this kernel has no such entry */
		if (fd < 0)
			return fd;
		return op->kind == OP_MASK ? mask_at(fd) : read_only_at(fd);
	case OP_COPY:
		r = apply_copy(c, op, rel);
		close(op->src_fd); /* our copy of the parent's descriptor */
		op->src_fd = -1;
		return r;
	case OP_REMOUNT_RO:
		/* after the pivot: "/" and "/dev", both ours */
		r = mount(NULL, op->dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | op->flags, NULL);
		return r < 0 ? -errno : 0;
	case OP_PIVOT:
		return do_pivot(op->dst);
	}
	return -EINVAL;
}

static const char *op_name(enum rootfs_op_kind k)
{
	switch (k) {
	case OP_TMPFS: return "mount tmpfs on";
	case OP_MKDIR: return "mkdir";
	case OP_SYMLINK: return "symlink";
	case OP_FILE: return "write";
	case OP_BIND: return "bind-mount onto";
	case OP_DEV: return "bind device";
	case OP_PROC: return "mount proc on";
	case OP_RO_SELF: return "make read-only";
	case OP_MASK: return "mask";
	case OP_REMOUNT_RO: return "remount read-only";
	case OP_PIVOT: return "pivot_root into";
	case OP_COPY: return "copy onto";
	}
	return "?";
}

/* Open a bind source (see the top of this file): its descriptor decides
 * the type and is what gets cloned.  Returns 0 or -errno with c->why set. */
static int open_source(struct apply_ctx *c, struct rootfs_op *op)
{
	cleanup_close int fd = open(op->src, O_PATH | O_CLOEXEC | (op->follow ? 0 : O_NOFOLLOW));
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (op->optional && (e == ENOENT || e == ENOTDIR)) {
			op->skip = true;
			return 0;
		}
		set_why(c, "open bind source %s", op->src);
		return -e;
	}
	if (S_ISLNK(st.st_mode)) {
		char to[100];
		ssize_t n = readlinkat(fd, "", to, sizeof(to) - 1);
		to[n < 0 ? 0 : n] = '\0';
		set_why(c, "bind source %s is a symlink to %s, not followed without --follow-symlinks",
			op->src, to);
		return -ELOOP;
	}
	op->is_dir = S_ISDIR(st.st_mode);
	op->tree_fd = (int) syscall(SYS_open_tree, fd, "",
				    AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (op->tree_fd < 0) {
		int e = errno;
		set_why(c, "clone bind source %s%s", op->src,
			e == ENOSYS ? " (the new mount API of Linux 5.12+ is needed)" : "");
		return -e;
	}
	return 0;
}

int rootfs_apply(struct rootfs_plan *p, int report_fd)
{
	struct apply_ctx c = { .root = -1, .base = p->base, .blen = strlen(p->base) };
	/* Never let our mounts propagate back to the host (or the host's
	 * into the sandbox): make every mount in this namespace private. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		child_fail(report_fd, STAGE_SETUP, errno, "make mounts private");
		return -1;
	}
	/* Open every bind source before anything is mounted over the base
	 * directory, where a source may live. */
	for (size_t i = 0; i < p->n; i++) {
		struct rootfs_op *op = &p->ops[i];
		int r = op->kind == OP_BIND ? open_source(&c, op) : 0;
		if (r < 0) {
			child_fail(report_fd, STAGE_SETUP, -r, "%s", c.why);
			return -1;
		}
	}
	for (size_t i = 0; i < p->n; i++) {
		struct rootfs_op *op = &p->ops[i];
		c.why[0] = '\0';
		int r = apply_op(&c, op);
		if (r < 0) {
			/* Name the path as the sandbox sees it. */
			const char *shown = op->dst;
			if (op->kind != OP_PIVOT && op->kind != OP_REMOUNT_RO)
				shown += c.blen;
			child_fail(report_fd, STAGE_SETUP, -r, "%s %s%s%s", op_name(op->kind),
				   *shown ? shown : "/", c.why[0] ? ": " : "", c.why);
			return -1;
		}
	}
	if (c.root >= 0)
		close(c.root);
	return 0;
}
