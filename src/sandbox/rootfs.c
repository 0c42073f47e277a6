/* The sandbox's root filesystem.
 *
 * The parent turns the configuration into a plan: a flat list of mount
 * operations with every path and file content already formatted.  The
 * sandbox init (child side, in its new mount namespace) executes the plan
 * without allocating.  The plan itself is pure data, so its shape is tested
 * without root.
 *
 * The root is a fresh tmpfs holding only read-only binds of what programs
 * need (/usr and the merged-usr links, a handful of /etc files), a /dev with
 * five harmless devices, the new pid namespace's /proc, and a private,
 * size-capped /tmp.  Nothing of the host that is not listed here is
 * reachable: /home, /root, /etc/shadow, /var, /sys, other users' files.
 */
#include "common/util.h"
#include "sandbox/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Files the sandbox's /etc gets from the host, read-only.  Each is optional:
 * a host without it simply does not have it in the sandbox either. */
static const char *const etc_binds[] = {
	"/etc/ld.so.cache",   /* dynamic loader: find libraries without scanning */
	"/etc/alternatives",  /* Debian's BLAS/LAPACK symlinks that numpy loads through */
	"/etc/python3",	      /* Debian's sitecustomize for the system Python */
	"/etc/python3.11",
	"/etc/python3.12",
	"/etc/python3.13",
	"/etc/localtime",     /* time zone for datetime/pandas */
};

/* Top-level host paths that exist on merged-/usr systems as symlinks into
 * /usr, and on older layouts as real directories. */
static const char *const usr_links[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom" };

/* procfs entries that leak host information to a reader that is not root:
 * on some kernels timer_list and sched_debug are world-readable and name
 * every host task.  (kcore, irq/, bus/, sysrq-trigger are root-only for
 * reading or writing, and the command is never root: no mount spent on
 * them.) */
static const char *const proc_masks[] = { "/proc/timer_list", "/proc/sched_debug" };
/* Kernel tunables read-only: a second layer over file permissions, and
 * what keeps a user-namespaced sandbox from the sysctls its namespace
 * owns. */
static const char *const proc_ro[] = { "/proc/sys" };

static const char passwd_content[] = "root:x:0:0:root:/root:/usr/sbin/nologin\n"
				     "sandbox:x:1000:1000:sandbox:/tmp:/usr/sbin/nologin\n"
				     "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char group_content[] = "root:x:0:\nsandbox:x:1000:\nnogroup:x:65534:\n";
static const char hosts_content[] = "127.0.0.1\tlocalhost sandbox\n::1\tlocalhost ip6-localhost\n";
static const char nsswitch_content[] = "passwd: files\ngroup: files\nhosts: files\n";

static const char *plan_str(struct rootfs_plan *p, sbx_error **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static const char *plan_str(struct rootfs_plan *p, sbx_error **err, const char *fmt, ...)
{
	if (p->nstrings == p->capstrings) {
		size_t cap = p->capstrings ? p->capstrings * 2 : 64;
		char **ns = realloc(p->strings, cap * sizeof(*ns));
		if (ns == NULL) {
			sbx_error_set(err, ENOMEM, "rootfs plan");
			return NULL;
		}
		p->strings = ns;
		p->capstrings = cap;
	}
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		sbx_error_set(err, ENOMEM, "rootfs plan");
		return NULL;
	}
	p->strings[p->nstrings++] = s;
	return s;
}

static struct rootfs_op *plan_add(struct rootfs_plan *p, enum rootfs_op_kind kind, sbx_error **err)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct rootfs_op *no = realloc(p->ops, cap * sizeof(*no));
		if (no == NULL) {
			sbx_error_set(err, ENOMEM, "rootfs plan");
			return NULL;
		}
		p->ops = no;
		p->cap = cap;
	}
	struct rootfs_op *op = &p->ops[p->n++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->tree_fd = -1;
	return op;
}

/* Add an op whose destination is under the new root (before the pivot). */
static struct rootfs_op *add_at(struct rootfs_plan *p, enum rootfs_op_kind kind, const char *dst,
				sbx_error **err)
{
	const char *full = plan_str(p, err, "%s%s", p->base, dst);
	if (full == NULL)
		return NULL;
	struct rootfs_op *op = plan_add(p, kind, err);
	if (op != NULL)
		op->dst = full;
	return op;
}

static int add_tmpfs(struct rootfs_plan *p, const char *dst, unsigned long flags, const char *fmt,
		     uint64_t size, sbx_error **err)
{
	struct rootfs_op *op = add_at(p, OP_TMPFS, dst, err);
	if (op == NULL)
		return -1;
	op->flags = flags;
	op->data = plan_str(p, err, fmt, (unsigned long long) size);
	return op->data ? 0 : -1;
}

static int add_simple(struct rootfs_plan *p, enum rootfs_op_kind kind, const char *dst,
		      const char *src, unsigned mode, sbx_error **err)
{
	struct rootfs_op *op = add_at(p, kind, dst, err);
	if (op == NULL)
		return -1;
	op->src = src;
	op->mode = mode;
	return 0;
}

/* A host path bound read-only (or read-write) at dst.  The source's type is
 * looked up now so the child knows whether to make a file or a directory
 * as the mount point, and so a missing source is reported before cloning. */
static int add_bind(struct rootfs_plan *p, const char *src, const char *dst, bool writable,
		    bool optional, sbx_error **err)
{
	struct stat st;
	if (stat(src, &st) < 0) {
		if (optional && (errno == ENOENT || errno == ENOTDIR))
			return 0;
		return sbx_error_set(err, errno, "bind source %s", src);
	}
	struct rootfs_op *op = add_at(p, OP_BIND, dst, err);
	if (op == NULL)
		return -1;
	op->src = plan_str(p, err, "%s", src);
	op->is_dir = S_ISDIR(st.st_mode);
	op->writable = writable;
	op->optional = optional;
	return op->src ? 0 : -1;
}

/* Copy a host symlink (e.g. /lib -> usr/lib, /etc/localtime -> zoneinfo). */
static int add_symlink_copy(struct rootfs_plan *p, const char *path, sbx_error **err)
{
	char target[512];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return sbx_error_set(err, errno, "readlink %s", path);
	target[n] = '\0';
	const char *t = plan_str(p, err, "%s", target);
	return t ? add_simple(p, OP_SYMLINK, path, t, 0, err) : -1;
}

static int add_host_entry(struct rootfs_plan *p, const char *path, bool required, sbx_error **err)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (!required && errno == ENOENT)
			return 0;
		return sbx_error_set(err, errno, "%s", path);
	}
	if (S_ISLNK(st.st_mode))
		return add_symlink_copy(p, path, err);
	return add_bind(p, path, path, false, !required, err);
}

static int plan_system(struct rootfs_plan *p, const struct sbx_config *cfg, sbx_error **err)
{
	/* The skeleton: small, and remounted read-only after the pivot. */
	if (add_tmpfs(p, "", MS_NOSUID | MS_NODEV, "mode=0755,size=%llu", 1u << 20, err) < 0)
		return -1;
	static const char *const dirs[] = { "/etc", "/dev", "/proc", "/tmp", "/usr" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (add_simple(p, OP_MKDIR, dirs[i], NULL, 0755, err) < 0)
			return -1;

	if (add_bind(p, "/usr", "/usr", false, false, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(usr_links); i++)
		if (add_host_entry(p, usr_links[i], false, err) < 0)
			return -1;
	for (size_t i = 0; i < ARRAY_SIZE(etc_binds); i++)
		if (add_host_entry(p, etc_binds[i], false, err) < 0)
			return -1;
	if (add_simple(p, OP_FILE, "/etc/passwd", passwd_content, 0644, err) < 0 ||
	    add_simple(p, OP_FILE, "/etc/group", group_content, 0644, err) < 0 ||
	    add_simple(p, OP_FILE, "/etc/hosts", hosts_content, 0644, err) < 0 ||
	    add_simple(p, OP_FILE, "/etc/hostname", "sandbox\n", 0644, err) < 0 ||
	    add_simple(p, OP_FILE, "/etc/nsswitch.conf", nsswitch_content, 0644, err) < 0)
		return -1;

	/* /dev: a small tmpfs with only harmless device nodes bound in from
	 * the host (mknod is impossible in a user namespace, and unneeded). */
	if (add_tmpfs(p, "/dev", MS_NOSUID | MS_NOEXEC, "mode=0755,size=%llu", 64u << 10, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		const char *host = plan_str(p, err, "/dev/%s", dev_nodes[i]);
		const char *dst = host;
		if (host == NULL || add_simple(p, OP_DEV, dst, host, 0666, err) < 0)
			return -1;
	}
	static const char *const dev_links[][2] = {
		{ "/dev/fd", "/proc/self/fd" },
		{ "/dev/stdin", "/proc/self/fd/0" },
		{ "/dev/stdout", "/proc/self/fd/1" },
		{ "/dev/stderr", "/proc/self/fd/2" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (add_simple(p, OP_SYMLINK, dev_links[i][0], dev_links[i][1], 0, err) < 0)
			return -1;
	/* A private POSIX shared-memory mount (multiprocessing, numpy shm). */
	if (add_simple(p, OP_MKDIR, "/dev/shm", NULL, 01777, err) < 0 ||
	    add_tmpfs(p, "/dev/shm", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=%llu",
		      cfg->tmp_size, err) < 0)
		return -1;

	/* /proc of the new pid namespace: must be mounted while the host's
	 * /proc is still visible (the kernel refuses an unprivileged proc
	 * mount otherwise), i.e. before the pivot. */
	struct rootfs_op *op = add_at(p, OP_PROC, "/proc", err);
	if (op == NULL)
		return -1;
	op->flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	for (size_t i = 0; i < ARRAY_SIZE(proc_ro); i++)
		if (add_simple(p, OP_RO_SELF, proc_ro[i], NULL, 0, err) < 0)
			return -1;
	for (size_t i = 0; i < ARRAY_SIZE(proc_masks); i++)
		if (add_simple(p, OP_MASK, proc_masks[i], "/dev/null", 0, err) < 0)
			return -1;

	for (int i = 0; i < cfg->ndirs; i++)
		if (add_simple(p, OP_MKDIR, cfg->dirs[i], NULL, 0755, err) < 0)
			return -1;
	/* The only writable place by default. */
	return add_tmpfs(p, "/tmp", MS_NOSUID | MS_NODEV, "mode=1777,size=%llu", cfg->tmp_size, err);
}

int rootfs_plan_build(const struct sbx_config *cfg, struct rootfs_plan *p, sbx_error **err)
{
	struct rootfs_op *op = NULL;
	memset(p, 0, sizeof(*p));
	/* The new root is assembled on top of the host's /tmp, inside the new
	 * mount namespace only; the host's /tmp is never touched. */
	p->base = "/tmp";
	if (plan_system(p, cfg, err) < 0)
		goto fail;
	for (size_t i = 0; i < cfg->nbinds; i++) {
		const struct sbx_bind *b = &cfg->binds[i];
		if (add_bind(p, b->src, b->dst, b->writable, false, err) < 0)
			goto fail;
	}
	op = plan_add(p, OP_PIVOT, err);
	if (op == NULL)
		goto fail;
	op->dst = p->base;
	/* After the pivot: seal the skeleton and /dev. */
	op = plan_add(p, OP_REMOUNT_RO, err);
	if (op == NULL)
		goto fail;
	op->dst = "/";
	op->flags = MS_NOSUID | MS_NODEV;
	op = plan_add(p, OP_REMOUNT_RO, err);
	if (op == NULL)
		goto fail;
	op->dst = "/dev";
	op->flags = MS_NOSUID | MS_NOEXEC;
	return 0;
fail:
	rootfs_plan_free(p);
	return -1;
}

void rootfs_plan_free(struct rootfs_plan *p)
{
	for (size_t i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	free(p->strings);
	free(p->ops);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------ */
/* Child side.  No allocation from here on.                            */

/* mkdir -p of the parents of path (path itself excluded). */
static int mkdir_parents(const char *path)
{
	char buf[1024];
	size_t len = strlen(path);
	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

static int make_mountpoint(const char *dst, bool dir)
{
	int r = mkdir_parents(dst);
	if (r < 0)
		return r;
	if (dir) {
		if (mkdir(dst, 0755) < 0 && errno != EEXIST)
			return -errno;
		return 0;
	}
	int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return errno == EEXIST || errno == EISDIR ? 0 : -errno;
	close(fd);
	return 0;
}

/* Read-only unless asked otherwise, and never setuid or device files: a
 * bound host tree must not let the sandbox regain privileges through a
 * setuid binary (no_new_privs covers that too) or open raw devices. */
static int bind_tree(struct rootfs_op *op)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	if (!op->writable)
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	/* Recursive: a read-only bind must not leave a writable submount
	 * below it (e.g. binding a directory that has a mount inside). */
	if (mount_setattr(op->tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return -errno;
	if (move_mount(op->tree_fd, "", AT_FDCWD, op->dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	close(op->tree_fd);
	op->tree_fd = -1;
	return 0;
}

/* Fallback for kernels without the new mount API (< 5.12): a
 * non-recursive bind, so no submount can appear writable, then a read-only
 * remount that keeps the flags the kernel locked on the source. */
static int bind_legacy(struct rootfs_op *op)
{
	if (mount(op->src, op->dst, NULL, MS_BIND, NULL) < 0)
		return -errno;
	if (op->writable)
		return 0;
	unsigned long fl = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV;
	if (mount(NULL, op->dst, NULL, fl, NULL) < 0)
		return -errno;
	return 0;
}

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

static int apply_op(struct rootfs_op *op)
{
	int r;
	switch (op->kind) {
	case OP_TMPFS:
		if ((r = make_mountpoint(op->dst, true)) < 0)
			return r;
		return mount("tmpfs", op->dst, "tmpfs", op->flags, op->data) < 0 ? -errno : 0;
	case OP_MKDIR:
		if ((r = mkdir_parents(op->dst)) < 0)
			return r;
		if (mkdir(op->dst, op->mode) < 0 && errno != EEXIST)
			return -errno;
		return chmod(op->dst, op->mode) < 0 ? -errno : 0;
	case OP_SYMLINK:
		if ((r = mkdir_parents(op->dst)) < 0)
			return r;
		return symlink(op->src, op->dst) < 0 && errno != EEXIST ? -errno : 0;
	case OP_FILE: {
		if ((r = mkdir_parents(op->dst)) < 0)
			return r;
		int fd = open(op->dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, op->mode);
		if (fd < 0)
			return -errno;
		r = write_all(fd, op->src, strlen(op->src));
		close(fd);
		return r;
	}
	case OP_BIND:
		if ((r = make_mountpoint(op->dst, op->is_dir)) < 0)
			return r;
		return op->tree_fd >= 0 ? bind_tree(op) : bind_legacy(op);
	case OP_DEV:
		if ((r = make_mountpoint(op->dst, false)) < 0)
			return r;
		return mount(op->src, op->dst, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
	case OP_PROC:
		if ((r = make_mountpoint(op->dst, true)) < 0)
			return r;
		return mount("proc", op->dst, "proc", op->flags, NULL) < 0 ? -errno : 0;
	case OP_RO_SELF:
		if (mount(op->dst, op->dst, NULL, MS_BIND | MS_REC, NULL) < 0)
			return errno == ENOENT ? 0 : -errno;
		return mount(NULL, op->dst, NULL,
			     MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			     NULL) < 0
			       ? -errno
			       : 0;
	case OP_MASK:
		if (mount(op->src, op->dst, NULL, MS_BIND, NULL) < 0)
			return errno == ENOENT ? 0 : -errno;
		return 0;
	case OP_REMOUNT_RO:
		return mount(NULL, op->dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | op->flags, NULL) < 0
			       ? -errno
			       : 0;
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
	}
	return "?";
}

int rootfs_apply(struct rootfs_plan *p, int report_fd)
{
	/* Never let our mounts propagate back to the host (or the host's
	 * into the sandbox): make every mount in this namespace private. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		child_fail(report_fd, STAGE_SETUP, errno, "make mounts private");
		return -1;
	}
	/* Clone every bound tree before anything is mounted over the host's
	 * /tmp, where a bind source may live. */
	for (size_t i = 0; i < p->n; i++) {
		struct rootfs_op *op = &p->ops[i];
		if (op->kind != OP_BIND)
			continue;
		op->tree_fd = (int) syscall(SYS_open_tree, AT_FDCWD, op->src,
					    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (op->tree_fd < 0 && errno != ENOSYS) {
			child_fail(report_fd, STAGE_SETUP, errno, "open bind source %s", op->src);
			return -1;
		}
	}
	for (size_t i = 0; i < p->n; i++) {
		struct rootfs_op *op = &p->ops[i];
		int r = apply_op(op);
		if (r < 0) {
			/* Name the path as the sandbox sees it. */
			const char *shown = op->dst;
			size_t blen = strlen(p->base);
			if (op->kind != OP_PIVOT && strncmp(shown, p->base, blen) == 0)
				shown += blen;
			child_fail(report_fd, STAGE_SETUP, -r, "%s %s", op_name(op->kind),
				   *shown ? shown : "/");
			return -1;
		}
	}
	return 0;
}
