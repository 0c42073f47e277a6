/* The sandbox's root filesystem.
 *
 * The parent turns the configuration into a plan: a flat list of mount
 * operations with every path and file content already formatted.  The
 * sandbox init (child side, in its new mount namespace) executes the plan
 * without allocating (rootfs-apply.c).  The plan itself is pure data, so
 * its shape is tested without root.
 *
 * The root is a fresh tmpfs holding only read-only binds of what programs
 * need (/usr and the merged-usr links, a handful of /etc files: the host's,
 * or an environment's root filesystem's, sbx_config_set_rootfs), a /dev with
 * five harmless devices, the new pid namespace's /proc, and a private,
 * size-capped /tmp.  Nothing of the host that is not listed here is
 * reachable: /home, /root, /etc/shadow, /var, /sys, other users' files.
 */
#include "common/util.h"
#include "sandbox/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Top-level host paths that exist on merged-/usr systems as symlinks into
 * /usr, and on older layouts as real directories. */
static const char *const usr_links[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom" };

/* The procfs entries that are not the sandbox's own business.  A fresh
 * procfs shows the sandbox's processes, but these files describe the host
 * (its kernel, devices, timers, keyrings) or control it.  File
 * permissions are not enough: several are world-readable, and the pool's
 * zygote holds every capability of its user namespace.  Docker's masked
 * and read-only lists, plus key-users, kallsyms and modules.  Entries a
 * kernel does not have are skipped.  docs/sandbox.md lists them; the unit
 * test proc_table_documented keeps the two equal. */
const struct rootfs_proc_entry rootfs_proc_entries[] = {
	{ "acpi", PROC_MASK },		/* the host's ACPI tables and events */
	{ "asound", PROC_MASK },	/* the host's sound cards */
	{ "kcore", PROC_MASK },		/* the host's physical memory as an ELF core */
	{ "keys", PROC_MASK },		/* keys of the kernel keyring (not namespaced) */
	{ "key-users", PROC_MASK },	/* per-uid keyring counters of the host's users */
	{ "latency_stats", PROC_MASK }, /* latencytop: every host task's wait reasons */
	{ "timer_list", PROC_MASK },	/* every host timer and the task that set it */
	{ "timer_stats", PROC_MASK },	/* same, older kernels */
	{ "sched_debug", PROC_MASK },	/* the scheduler's view of every host task */
	{ "scsi", PROC_MASK },		/* the host's SCSI devices; writable rescans */
	{ "kallsyms", PROC_MASK },	/* kernel symbols, with the host's loaded modules */
	{ "modules", PROC_MASK },	/* the host's loaded kernel modules */
	{ "bus", PROC_READ_ONLY },	/* PCI/USB device config space */
	{ "fs", PROC_READ_ONLY },	/* filesystem (nfsd, ...) controls */
	{ "irq", PROC_READ_ONLY },	/* interrupt affinity of the host's CPUs */
	{ "sys", PROC_READ_ONLY },	/* sysctls: a second layer over file permissions, and what
					 * keeps a user-namespaced sandbox from those its namespace owns */
	{ "sysrq-trigger", PROC_READ_ONLY }, /* reboot, crash, kill-all on the host */
};
const size_t rootfs_nproc_entries = ARRAY_SIZE(rootfs_proc_entries);

static const char passwd_content[] = "root:x:0:0:root:/root:/usr/sbin/nologin\n"
				     "sandbox:x:1000:1000:sandbox:/tmp:/usr/sbin/nologin\n"
				     "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char group_content[] = "root:x:0:\nsandbox:x:1000:\nnogroup:x:65534:\n";
static const char hosts_content[] = "127.0.0.1\tlocalhost sandbox\n::1\tlocalhost ip6-localhost\n";
static const char nsswitch_content[] = "passwd: files\ngroup: files\nhosts: files\n";

/* Everything the sandbox's /etc holds, and nothing else: no shadow, no
 * keys.  Entries with content are written fresh; the others come from the
 * host, read-only (bound, or copied when they are a symlink), and are
 * optional: a host without one simply does not have it in the sandbox
 * either.  docs/sandbox.md lists them; the unit test etc_table_documented
 * keeps the two equal. */
const struct rootfs_etc_entry rootfs_etc_entries[] = {
	{ "ld.so.cache", NULL },	      /* dynamic loader: find libraries without scanning */
	{ "alternatives", NULL },	      /* Debian's BLAS/LAPACK links numpy loads through */
	{ "python3", NULL },		      /* Debian's sitecustomize for the system Python */
	{ "python3.11", NULL },
	{ "python3.12", NULL },
	{ "python3.13", NULL },
	{ "localtime", NULL },		      /* time zone for datetime/pandas */
	{ "matplotlibrc", NULL },	      /* Debian's matplotlib defaults (it needs them) */
	{ "fonts", NULL },		      /* fontconfig's configuration (matplotlib's text) */
	{ "passwd", passwd_content },	      /* root, sandbox (1000), nobody */
	{ "group", group_content },
	{ "hosts", hosts_content },	      /* localhost and the hostname */
	{ "hostname", "sandbox\n" },
	{ "nsswitch.conf", nsswitch_content }, /* files only */
};
const size_t rootfs_netc_entries = ARRAY_SIZE(rootfs_etc_entries);

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
	op->src_fd = -1;
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

/* A host path bound read-only (or read-write) at dst.  The source is
 * looked at now only to report a missing source or a refused symlink
 * before cloning; the child opens it again, once, and decides from that
 * descriptor alone (rootfs-apply.c): whatever is at the path by then is
 * what gets mounted, and it is checked the same way there. */
static int add_bind(struct rootfs_plan *p, const char *src, const char *dst, bool writable,
		    bool optional, bool follow, sbx_error **err)
{
	struct stat st;
	if ((follow ? stat(src, &st) : lstat(src, &st)) < 0) {
		if (optional && (errno == ENOENT || errno == ENOTDIR))
			return 0;
		return sbx_error_set(err, errno, "bind source %s", src);
	}
	if (S_ISLNK(st.st_mode)) {
		/* A symlink in a directory a sandbox could write (an output
		 * directory bound into an earlier run) may point anywhere on
		 * the host: "ln -s / results" gave the next run the host's
		 * whole root. */
		char target[256];
		ssize_t n = readlink(src, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		return sbx_error_set(err, ELOOP,
				     "bind source %s is a symlink to %s, not followed without "
				     "--follow-symlinks",
				     src, target);
	}
	struct rootfs_op *op = add_at(p, OP_BIND, dst, err);
	if (op == NULL)
		return -1;
	op->src = plan_str(p, err, "%s", src);
	op->is_dir = S_ISDIR(st.st_mode);
	op->writable = writable;
	op->optional = optional;
	op->follow = follow;
	return op->src ? 0 : -1;
}

static int measure_tree(int dirfd, const char *path, int depth, uint64_t *bytes, sbx_error **err);

static int measure_subdir(int dirfd, const char *path, const char *name, int depth,
			  uint64_t *bytes, sbx_error **err)
{
	if (depth >= ROOTFS_COPY_MAX_DEPTH)
		return sbx_error_set(err, ELOOP, "copy source %s/%s is nested too deep", path, name);
	cleanup_close int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_free char *subpath = NULL;
	if (sub < 0 || asprintf(&subpath, "%s/%s", path, name) < 0)
		return sbx_error_set(err, sub < 0 ? errno : ENOMEM, "copy source %s/%s", path, name);
	return measure_tree(sub, subpath, depth + 1, bytes, err);
}

/* Bytes a copied tree takes in the skeleton tmpfs (whole pages, and one
 * more per entry), checking that it holds only regular files and
 * directories, at most ROOTFS_COPY_MAX_DEPTH levels below the top.  The
 * child copies from the descriptors and checks again. */
static int measure_tree(int dirfd, const char *path, int depth, uint64_t *bytes, sbx_error **err)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sbx_error_set(err, errno, "copy source %s", path);
	cleanup_dir DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return sbx_error_set(err, errno, "copy source %s", path);
	}
	struct dirent *e;
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return sbx_error_set(err, errno, "copy source %s/%s", path, e->d_name);
		*bytes += ((uint64_t) st.st_size + 4095) / 4096 * 4096 + 4096;
		if (S_ISDIR(st.st_mode)) {
			if (measure_subdir(dirfd, path, e->d_name, depth, bytes, err) < 0)
				return -1;
		} else if (!S_ISREG(st.st_mode)) {
			return sbx_error_set(err, EINVAL,
					     "copy source %s/%s is not a regular file or directory",
					     path, e->d_name);
		}
	}
	if (errno != 0)
		return sbx_error_set(err, errno, "copy source %s", path);
	return 0;
}

/* A host file or directory copied into the skeleton at dst: opened here
 * (the parent may read what the sandbox's init, a mapped uid, cannot),
 * sized so the skeleton can hold it. */
static int add_copy(struct rootfs_plan *p, const char *src, const char *dst, uint64_t *bytes,
		    sbx_error **err)
{
	cleanup_close int fd = open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return sbx_error_set(err, errno, "copy source %s", src);
	if (S_ISREG(st.st_mode))
		*bytes += ((uint64_t) st.st_size + 4095) / 4096 * 4096 + 4096;
	else if (!S_ISDIR(st.st_mode))
		return sbx_error_set(err, EINVAL, "copy source %s is not a regular file or directory",
				     src);
	else if (measure_tree(fd, src, 0, bytes, err) < 0)
		return -1;
	struct rootfs_op *op = add_at(p, OP_COPY, dst, err);
	if (op == NULL)
		return -1;
	op->src = plan_str(p, err, "%s", src);
	if (op->src == NULL)
		return -1;
	op->is_dir = S_ISDIR(st.st_mode);
	op->src_fd = fd;
	fd = -1; /* the plan's now */
	return 0;
}

/* Copy a symlink of the system tree (e.g. /lib -> usr/lib, /etc/localtime
 * -> zoneinfo): its text, resolved later inside the sandbox's own root. */
static int add_symlink_copy(struct rootfs_plan *p, const char *src, const char *path,
			    sbx_error **err)
{
	char target[512];
	ssize_t n = readlink(src, target, sizeof(target) - 1);
	if (n < 0)
		return sbx_error_set(err, errno, "readlink %s", src);
	target[n] = '\0';
	const char *t = plan_str(p, err, "%s", target);
	return t ? add_simple(p, OP_SYMLINK, path, t, 0, err) : -1;
}

/* In an environment's tree, every directory above an entry (the "etc" of
 * "/etc/ld.so.cache") must be a directory of the tree itself.  A source is
 * opened by path, here and in the child, and the kernel follows a symlink
 * in every component but the last: a tree whose etc is "-> /etc", or
 * "-> ../../../../home/someone", had the plan bind the host's own files
 * (whatever the link names that holds a "fonts" or a "localtime").
 * Returns 0 (go on), 1 (a parent is missing or not a directory: the entry
 * is not there) or -1 (a parent is a symlink: refused). */
static int tree_parents_are_dirs(const char *root, const char *path, sbx_error **err)
{
	for (const char *s = strchr(path + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		char dir[PATH_MAX];
		if (snprintf(dir, sizeof(dir), "%s%.*s", root, (int) (s - path), path) >=
		    (int) sizeof(dir))
			return sbx_error_set(err, ENAMETOOLONG, "%s%s", root, path);
		struct stat st;
		if (lstat(dir, &st) < 0)
			return errno == ENOENT || errno == ENOTDIR ? 1
								   : sbx_error_set(err, errno, "%s", dir);
		if (S_ISLNK(st.st_mode)) {
			char target[256];
			ssize_t n = readlink(dir, target, sizeof(target) - 1);
			target[n < 0 ? 0 : n] = '\0';
			return sbx_error_set(err, ELOOP,
					     "root filesystem %s: %.*s is a symlink to %s; an "
					     "environment's %.*s must be a directory of its own",
					     root, (int) (s - path), path, target, (int) (s - path),
					     path);
		}
		if (!S_ISDIR(st.st_mode))
			return 1;
	}
	return 0;
}

/* An entry of the system tree (the host's, or an environment's root
 * filesystem, cfg->rootfs) at the same path in the sandbox. */
static int add_host_entry(struct rootfs_plan *p, const char *root, const char *path, bool required,
			  sbx_error **err)
{
	const char *src = path;
	if (root != NULL) {
		int r = tree_parents_are_dirs(root, path, err);
		if (r < 0)
			return -1;
		if (r > 0)
			return required ? sbx_error_set(err, ENOENT, "%s%s", root, path) : 0;
		if ((src = plan_str(p, err, "%s%s", root, path)) == NULL)
			return -1;
	}
	struct stat st;
	if (lstat(src, &st) < 0) {
		if (!required && (errno == ENOENT || errno == ENOTDIR))
			return 0;
		return sbx_error_set(err, errno, "%s", src);
	}
	if (S_ISLNK(st.st_mode))
		return add_symlink_copy(p, src, path, err);
	if (root != NULL && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return required ? sbx_error_set(err, EINVAL, "%s is not a file or directory", src) : 0;
	return add_bind(p, src, path, false, !required, false, err);
}

static int plan_system(struct rootfs_plan *p, const struct sbx_config *cfg, sbx_error **err)
{
	/* The skeleton: small, and remounted read-only after the pivot.  It
	 * is op 0; copies raise its size below. */
	if (add_tmpfs(p, "", MS_NOSUID | MS_NODEV, "mode=0755,size=%llu", 1u << 20, err) < 0)
		return -1;
	static const char *const dirs[] = { "/etc", "/dev", "/proc", "/tmp", "/usr" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (add_simple(p, OP_MKDIR, dirs[i], NULL, 0755, err) < 0)
			return -1;
	uint64_t copied = 0;
	for (int i = 0; i < cfg->ncopies; i++)
		if (add_copy(p, cfg->copies[i].src, cfg->copies[i].dst, &copied, err) < 0)
			return -1;
	if (copied > 0) {
		p->ops[0].data = plan_str(p, err, "mode=0755,size=%llu",
					  (unsigned long long) ((1u << 20) + copied));
		if (p->ops[0].data == NULL)
			return -1;
	}

	/* The system tree: the host's, or an environment's root filesystem,
	 * whose /usr must then be a real directory (no link out of it). */
	const char *root = cfg->rootfs;
	if (root != NULL) {
		const char *usr = plan_str(p, err, "%s/usr", root);
		if (usr == NULL || add_bind(p, usr, "/usr", false, false, false, err) < 0)
			return sbx_error_wrap(err, "root filesystem %s", root);
	} else if (add_bind(p, "/usr", "/usr", false, false, false, err) < 0) {
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(usr_links); i++)
		if (add_host_entry(p, root, usr_links[i], false, err) < 0)
			return -1;
	for (size_t i = 0; i < rootfs_netc_entries; i++) {
		const struct rootfs_etc_entry *e = &rootfs_etc_entries[i];
		const char *path = plan_str(p, err, "/etc/%s", e->name);
		if (path == NULL ||
		    (e->content ? add_simple(p, OP_FILE, path, e->content, 0644, err)
				: add_host_entry(p, root, path, false, err)) < 0)
			return -1;
	}

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
	for (size_t i = 0; i < rootfs_nproc_entries; i++) {
		const struct rootfs_proc_entry *e = &rootfs_proc_entries[i];
		const char *dst = plan_str(p, err, "/proc/%s", e->name);
		if (dst == NULL ||
		    add_simple(p, e->how == PROC_MASK ? OP_MASK : OP_RO_SELF, dst, "/dev/null", 0,
			       err) < 0)
			return -1;
	}

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
		if (add_bind(p, b->src, b->dst, b->writable, false, cfg->follow_symlinks, err) < 0)
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

int rootfs_plan_fds(const struct rootfs_plan *p, int *fds, int max)
{
	int n = 0;
	for (size_t i = 0; i < p->n && n < max; i++)
		if (p->ops[i].kind == OP_COPY && p->ops[i].src_fd >= 0)
			fds[n++] = p->ops[i].src_fd;
	return n;
}

void rootfs_plan_free(struct rootfs_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].kind == OP_COPY && p->ops[i].src_fd >= 0)
			close(p->ops[i].src_fd);
	for (size_t i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	free(p->strings);
	free(p->ops);
	memset(p, 0, sizeof(*p));
}
