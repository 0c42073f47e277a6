/* Configuration validation, the mount plan, cgroup naming and paths. */
#include "harness.h"
#include "sandbox/internal.h"
#include "unit.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

void u_bad_config_refused_defaults_are_reference(void)
{
	sbx_config *c = sbx_config_new();
	sbx_error *err = NULL;
#define REJECT(call)                                                                               \
	do {                                                                                       \
		CHECK((call) < 0, #call " was accepted");                                          \
		CHECK(err != NULL && err->msg[0]);                                                 \
		sbx_error_freep(&err);                                                             \
	} while (0)
	REJECT(sbx_config_add_bind(c, "/usr", "relative/path", false, &err));
	REJECT(sbx_config_add_bind(c, "/usr", "/a/../etc", false, &err));
	REJECT(sbx_config_add_bind(c, "/usr", "/a/./b", false, &err));
	REJECT(sbx_config_add_bind(c, "/usr", "/a//b", false, &err));
	REJECT(sbx_config_add_bind(c, "/usr", "/a/", false, &err));
	REJECT(sbx_config_add_bind(c, "/usr", "/", false, &err));
	REJECT(sbx_config_add_bind(c, "/usr", "/proc/self", false, &err));
	REJECT(sbx_config_add_bind(c, "/usr", "/dev", false, &err));
	REJECT(sbx_config_add_bind(c, "relative", "/x", false, &err));
	REJECT(sbx_config_add_bind(c, "", "/x", false, &err));
	REJECT(sbx_config_add_env(c, "NOEQUALS", &err));
	REJECT(sbx_config_add_env(c, "=value", &err));
	REJECT(sbx_config_add_env(c, "1BAD=x", &err));
	REJECT(sbx_config_add_env(c, "BAD-NAME=x", &err));
	REJECT(sbx_config_set_pids(c, 1, &err));
	REJECT(sbx_config_set_memory(c, 1024, &err));
	REJECT(sbx_config_set_cpus(c, 5, &err));
	REJECT(sbx_config_set_wall_time(c, 10, &err));
	REJECT(sbx_config_set_cwd(c, "tmp", &err));
	REJECT(sbx_config_set_cgroup_parent(c, "../escape", &err));
	REJECT(sbx_config_set_argv(c, 0, NULL, &err));
	REJECT(sbx_config_add_copy(c, "relative", "/x", &err));
	REJECT(sbx_config_add_copy(c, "/usr/bin/env", "/a/../b", &err));
	REJECT(sbx_config_add_copy(c, "/usr/bin/env", "/proc/x", &err));

	CHECK(sbx_config_add_bind(c, "/usr", "/devices", false, &err) == 0); /* not /dev */
	CHECK(sbx_config_add_bind(c, "/usr", "/procfs", false, &err) == 0);
	CHECK(sbx_config_add_bind(c, "/usr", NULL, true, &err) == 0);	   /* dst = src */
	CHECK_STR_EQ(c->binds[2].dst, "/usr");
	CHECK(c->binds[2].writable);
	CHECK(sbx_config_add_env(c, "A=1", &err) == 0);
	CHECK(sbx_config_add_env(c, "A=2", &err) == 0); /* replaces */
	CHECK(sbx_config_add_env(c, "A_b9=", &err) == 0);
	CHECK_INT_EQ(c->nenv, 2);
	CHECK_STR_EQ(c->env[0], "A=2");
	/* defaults are the reference limits */
	CHECK_INT_EQ(c->memory, 256 << 20);
	CHECK_INT_EQ(c->pids, 32);
	CHECK_INT_EQ(c->millicpus, 500);
	CHECK_INT_EQ(c->wall_ns, 60000000000ull);
	CHECK_INT_EQ(c->output_limit, 1 << 20);
	CHECK_INT_EQ(c->tmp_size, 16 << 20);
	CHECK_INT_EQ(c->cpu_time_ns, 0);
	CHECK(!c->follow_symlinks); /* a bind source's last symlink is refused by default */
	sbx_config_set_follow_symlinks(c, true);
	CHECK(c->follow_symlinks);
	for (int i = 0; i < 4; i++)
		CHECK(sbx_config_add_copy(c, "/usr/bin/env", "/opt/env", &err) == 0);
	REJECT(sbx_config_add_copy(c, "/usr/bin/env", "/opt/env", &err)); /* at most four */
	sbx_config_free(c);
#undef REJECT
}

static const struct rootfs_op *find_op(const struct rootfs_plan *p, enum rootfs_op_kind k,
				       const char *dst)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].kind == k && p->ops[i].dst && strcmp(p->ops[i].dst, dst) == 0)
			return &p->ops[i];
	return NULL;
}

void u_mount_plan_binds_only_listed_host_paths(void)
{
	sbx_config *c = sbx_config_new();
	sbx_error *err = NULL;
	CHECK(sbx_config_set_tmp_size(c, 8 << 20, &err) == 0);
	CHECK(sbx_config_add_bind(c, "/etc/hostname", "/work/in.txt", false, &err) == 0);
	CHECK(sbx_config_add_bind(c, "/usr/share", "/out", true, &err) == 0);
	struct rootfs_plan p;
	CHECK(rootfs_plan_build(c, &p, &err) == 0, "%s", err ? err->msg : "");
	char path[256];
	const char *base = p.base;
	/* the root: a tmpfs, later read-only */
	snprintf(path, sizeof(path), "%s", base);
	CHECK(find_op(&p, OP_TMPFS, path) != NULL);
	CHECK(find_op(&p, OP_REMOUNT_RO, "/") != NULL);
	CHECK(find_op(&p, OP_REMOUNT_RO, "/dev") != NULL);
	/* /usr read-only */
	snprintf(path, sizeof(path), "%s/usr", base);
	const struct rootfs_op *usr = find_op(&p, OP_BIND, path);
	CHECK(usr != NULL && !usr->writable && usr->is_dir);
	/* /tmp sized as asked */
	snprintf(path, sizeof(path), "%s/tmp", base);
	const struct rootfs_op *tmp = find_op(&p, OP_TMPFS, path);
	CHECK(tmp != NULL);
	CHECK_CONTAINS(tmp->data, "size=8388608");
	CHECK_CONTAINS(tmp->data, "mode=1777");
	CHECK(tmp->flags & MS_NOSUID);
	/* user binds: a file, read-only; a directory, writable */
	snprintf(path, sizeof(path), "%s/work/in.txt", base);
	const struct rootfs_op *in = find_op(&p, OP_BIND, path);
	CHECK(in != NULL && !in->writable && !in->is_dir);
	snprintf(path, sizeof(path), "%s/out", base);
	const struct rootfs_op *out = find_op(&p, OP_BIND, path);
	CHECK(out != NULL && out->writable && out->is_dir);
	/* /proc with /proc/sys read-only, mounted before the pivot */
	snprintf(path, sizeof(path), "%s/proc", base);
	size_t proc_i = 0, pivot_i = 0;
	for (size_t i = 0; i < p.n; i++) {
		if (p.ops[i].kind == OP_PROC)
			proc_i = i;
		if (p.ops[i].kind == OP_PIVOT)
			pivot_i = i;
	}
	CHECK(proc_i > 0 && pivot_i > proc_i);
	CHECK(find_op(&p, OP_PROC, path) != NULL);
	/* nothing of the host beyond what is listed */
	for (size_t i = 0; i < p.n; i++) {
		const struct rootfs_op *op = &p.ops[i];
		if (op->kind != OP_BIND || op->src == NULL)
			continue;
		CHECK(strncmp(op->src, "/home", 5) && strncmp(op->src, "/root", 5) &&
			      strncmp(op->src, "/var", 4) && strcmp(op->src, "/etc") &&
			      strncmp(op->src, "/etc/shadow", 11) && strncmp(op->src, "/sys", 4),
		      "unexpected host path bound: %s", op->src);
	}
	/* every /proc entry of the table is masked or made read-only */
	for (size_t i = 0; i < rootfs_nproc_entries; i++) {
		snprintf(path, sizeof(path), "%s/proc/%s", base, rootfs_proc_entries[i].name);
		CHECK(find_op(&p, rootfs_proc_entries[i].how == PROC_MASK ? OP_MASK : OP_RO_SELF,
			      path) != NULL,
		      "%s", path);
	}
	/* no copy: the skeleton keeps its 1 MiB */
	CHECK_STR_EQ(p.ops[0].data, "mode=0755,size=1048576");
	CHECK_INT_EQ(rootfs_plan_fds(&p, (int[4]){ 0 }, 4), 0);
	/* a missing user bind source is an error before anything runs */
	CHECK(sbx_config_add_bind(c, "/no/such/path", "/x", false, &err) == 0);
	struct rootfs_plan p2;
	CHECK(rootfs_plan_build(c, &p2, &err) < 0);
	CHECK_CONTAINS(err->msg, "/no/such/path");
	sbx_error_freep(&err);
	rootfs_plan_free(&p);
	sbx_config_free(c);
}

void u_job_cgroup_names_unique_stale_ones_detected(void)
{
	char name[64], name2[64];
	CHECK(cgroup_job_name(name, sizeof(name)) == 0);
	CHECK(cgroup_job_name(name2, sizeof(name2)) == 0);
	CHECK(strcmp(name, name2) != 0, "two jobs got the same cgroup name");
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "stratbox-%d-", (int) getpid());
	CHECK(strncmp(name, prefix, strlen(prefix)) == 0, "%s", name);
	CHECK(!cgroup_name_is_stale(name), "our own job cgroup looks stale");
	CHECK(cgroup_name_is_stale("stratbox-4194304-1-0")); /* pid above pid_max */
	char wrong_start[64];
	snprintf(wrong_start, sizeof(wrong_start), "stratbox-%d-1-0", (int) getpid());
	CHECK(cgroup_name_is_stale(wrong_start), "a reused pid must count as stale");
	CHECK(!cgroup_name_is_stale("stratbox-deleg"));
	CHECK(!cgroup_name_is_stale("system.slice"));
	CHECK(!cgroup_name_is_stale("stratbox-12-34-5x"));

	struct cg_hierarchy h = { (char *) "/sys/fs/cgroup/memory", (char *) "/a/b", CG_MEMORY };
	char *d = cgroup_parent_dir(&h, NULL);
	CHECK_STR_EQ(d, "/sys/fs/cgroup/memory/a/b");
	free(d);
	d = cgroup_parent_dir(&h, "deleg");
	CHECK_STR_EQ(d, "/sys/fs/cgroup/memory/a/b/deleg");
	free(d);
	d = cgroup_parent_dir(&h, "/jobs");
	CHECK_STR_EQ(d, "/sys/fs/cgroup/memory/jobs");
	free(d);
	struct cg_hierarchy root = { (char *) "/sys/fs/cgroup", (char *) "/", CG_MEMORY };
	d = cgroup_parent_dir(&root, NULL);
	CHECK_STR_EQ(d, "/sys/fs/cgroup");
	free(d);

	CHECK_INT_EQ(cgroup_keyed("usage_usec 12\nuser_usec 5\nsystem_usec 7\n", "user_usec"), 5);
	CHECK_INT_EQ(cgroup_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill"), 3);
	CHECK_INT_EQ(cgroup_keyed("max 0\n", "max"), 0);
	CHECK_INT_EQ(cgroup_keyed("nothing here\n", "max"), 0);

	char buf[128];
	struct cg_limits lim = { 1, 1, 1, false };
	cgroup_describe_missing(CG_PIDS, &lim, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "memory,cpus");
	cgroup_describe_missing(CG_MEMORY | CG_PIDS | CG_CPU, &lim, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "");
}

/* Copies: the parent opens the source and sizes the skeleton for it;
 * bind sources that are symlinks are refused unless followed. */
void u_copy_sources_sized_symlink_sources_refused(void)
{
	char dir[64], p1[128], p2[128];
	snprintf(dir, sizeof(dir), "/tmp/sb-unit-plan-%d", (int) getpid());
	CHECK(mkdir(dir, 0755) == 0);
	snprintf(p1, sizeof(p1), "%s/file", dir);
	int fd = open(p1, O_WRONLY | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0 && ftruncate(fd, 10000) == 0);
	close(fd);
	snprintf(p2, sizeof(p2), "%s/link", dir);
	CHECK(symlink("file", p2) == 0);

	sbx_config *c = sbx_config_new();
	sbx_error *err = NULL;
	CHECK(sbx_config_add_copy(c, p1, "/opt/a/file", &err) == 0);
	struct rootfs_plan p;
	CHECK(rootfs_plan_build(c, &p, &err) == 0, "%s", err ? err->msg : "");
	char path[256];
	snprintf(path, sizeof(path), "%s/opt/a/file", p.base);
	const struct rootfs_op *cp = find_op(&p, OP_COPY, path);
	CHECK(cp != NULL && cp->src_fd >= 0 && !cp->is_dir);
	int fds[4];
	CHECK_INT_EQ(rootfs_plan_fds(&p, fds, 4), 1);
	CHECK_INT_EQ(fds[0], cp->src_fd);
	/* 1 MiB + three pages of data + one of slack */
	CHECK_STR_EQ(p.ops[0].data, "mode=0755,size=1064960");
	rootfs_plan_free(&p);
	CHECK(fcntl(fds[0], F_GETFD) < 0, "the plan leaked its copy source");
	sbx_config_free(c);

	/* a copy of a symlink, or of a tree holding one, is refused */
	c = sbx_config_new();
	CHECK(sbx_config_add_copy(c, p2, "/opt/x", &err) == 0);
	CHECK(rootfs_plan_build(c, &p, &err) < 0);
	CHECK_CONTAINS(err->msg, p2);
	sbx_error_freep(&err);
	sbx_config_free(c);
	c = sbx_config_new();
	CHECK(sbx_config_add_copy(c, dir, "/opt/x", &err) == 0);
	CHECK(rootfs_plan_build(c, &p, &err) < 0);
	CHECK_CONTAINS(err->msg, "/link is not a regular file or directory");
	sbx_error_freep(&err);
	sbx_config_free(c);

	/* a bind source that is a symlink: refused, unless followed */
	c = sbx_config_new();
	CHECK(sbx_config_add_bind(c, p2, "/in", false, &err) == 0);
	CHECK(rootfs_plan_build(c, &p, &err) < 0);
	CHECK_CONTAINS(err->msg, "is a symlink to file, not followed without --follow-symlinks");
	CHECK_CONTAINS(err->msg, p2);
	sbx_error_freep(&err);
	sbx_config_set_follow_symlinks(c, true);
	CHECK(rootfs_plan_build(c, &p, &err) == 0, "%s", err ? err->msg : "");
	snprintf(path, sizeof(path), "%s/in", p.base);
	const struct rootfs_op *b = find_op(&p, OP_BIND, path);
	CHECK(b != NULL && b->follow && !b->is_dir);
	rootfs_plan_free(&p);
	sbx_config_free(c);

	unlink(p2);
	unlink(p1);
	rmdir(dir);
}
