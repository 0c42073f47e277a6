/* Host-wide resources and host information: what no namespace divides
 * (netlink protocols, the hugetlb pool, the AIO pool: see also
 * forbidden_syscalls), what /proc would tell about the host, and which
 * host paths /proc/self/mountinfo shows. */
#include "sec.h"
#include "tests.h"

#include "sandbox/internal.h"
#include "stratbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/netlink.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every entry of the procfs table: a masked file reads as empty, a masked
 * directory is an empty read-only tmpfs, a read-only one is a read-only
 * mount.  Entries this kernel does not have are noted, not tested. */
void t_proc_host_entries_hidden(void)
{
	int tested = 0;
	for (size_t i = 0; i < rootfs_nproc_entries; i++) {
		const struct rootfs_proc_entry *e = &rootfs_proc_entries[i];
		char path[128];
		snprintf(path, sizeof(path), "/proc/%s", e->name);
		struct stat st;
		if (lstat(path, &st) < 0) {
			test_note("%s: not on this kernel", path);
			continue;
		}
		struct sbx_result r;
		if (e->how == PROC_MASK && !S_ISDIR(st.st_mode)) {
			/* readable, and empty: /dev/null, not a permission error */
			sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "cat", path));
			EXPECT_STATUS(&r, "OK");
			if (strcmp(vstr(&r, "stdout"), "\nbytes=0\n") != 0)
				test_fail_at(__FILE__, __LINE__, "%s is not masked: %.300s", path,
					     vstr(&r, "stdout"));
			sbx_result_free(&r);
		} else if (e->how == PROC_MASK) {
			sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "ls", path));
			EXPECT_STATUS(&r, "OK");
			if (strcmp(vstr(&r, "stdout"), "entries=0\n") != 0)
				test_fail_at(__FILE__, __LINE__, "%s is not masked: %.300s", path,
					     vstr(&r, "stdout"));
			sbx_result_free(&r);
		}
		char want[200];
		snprintf(want, sizeof(want), "mount=%s fs=%s opts=ro,", path,
			 e->how == PROC_MASK && S_ISDIR(st.st_mode) ? "tmpfs" : "proc");
		if (e->how == PROC_MASK && !S_ISDIR(st.st_mode))
			snprintf(want, sizeof(want), "mount=%s fs=devtmpfs", path); /* /dev/null */
		sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "mountopt", path));
		EXPECT_STATUS(&r, "OK");
		CHECK_CONTAINS(vstr(&r, "stdout"), want);
		sbx_result_free(&r);
		tested++;
	}
	CHECK(tested > 0);
	/* the reported one: the host's per-uid keyring counters */
	if (access("/proc/key-users", F_OK) == 0) {
		struct sbx_result r;
		sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "cat", "/proc/key-users"));
		EXPECT_STATUS(&r, "OK");
		CHECK_STR_EQ(vstr(&r, "stdout"), "\nbytes=0\n");
		sbx_result_free(&r);
	}
	/* and writing a read-only entry fails */
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "write", "/proc/sys/kernel/hostname"));
	EXPECT_BLOCKED(&r, "Read-only file system");
	sbx_result_free(&r);
}

/* Netlink: NETLINK_ROUTE answers for the sandbox's own namespace (glibc's
 * if_nameindex works: only "lo"); every other protocol fails as on a
 * kernel without it, and never opens: as root, a uevent socket received
 * the host's device events. */
void t_netlink_opens_route_only(void)
{
	static const int refused[] = { NETLINK_KOBJECT_UEVENT, NETLINK_AUDIT, NETLINK_SOCK_DIAG,
				       NETLINK_GENERIC, NETLINK_NETFILTER, NETLINK_CONNECTOR };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char proto[16];
		snprintf(proto, sizeof(proto), "%d", refused[i]);
		struct sbx_result r;
		sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "netlink", proto));
		test_note("protocol %s", proto);
		EXPECT_BLOCKED(&r, "socket(AF_NETLINK) errno=93 (Protocol not supported)");
		sbx_result_free(&r);
	}
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "netlink", "0"));
	EXPECT_STATUS(&r, "OK");
	CHECK_STR_EQ(vstr(&r, "stdout"), "ifname=lo\n");
	sbx_result_free(&r);
}

/* The hugetlb pool is reserved host memory no memory cgroup here pays
 * for: MAP_HUGETLB fails as with an empty pool. */
void t_hugetlb_mapping_fails_enomem(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "hugetlb"));
	EXPECT_BLOCKED(&r, "mmap MAP_HUGETLB errno=12 (Cannot allocate memory)");
	sbx_result_free(&r);
}

/* A run through the library with the internal copy knob. */
static void run_with_copies(sbx_verdict *v, const char *pkg, char *const *argv, int argc)
{
	sbx_config *c = sbx_config_new();
	sbx_error *err = NULL;
	CHECK(sbx_config_set_argv(c, argc, argv, &err) == 0);
	CHECK(sbx_config_add_copy(c, test_probe(), "/opt/sbx/bin/probe", &err) == 0);
	CHECK(sbx_config_add_copy(c, pkg, "/opt/sbx/pkg", &err) == 0);
	if (test_cgroup_parent())
		CHECK(sbx_config_set_cgroup_parent(c, test_cgroup_parent(), &err) == 0);
	sbx_run(c, v, &err);
	if (v->status != SBX_OK)
		test_fail_at(__FILE__, __LINE__, "%s: %s; stdout %.300s", sbx_status_name(v->status),
			     v->message ? v->message : "", v->out.data ? v->out.data : "");
	sbx_error_free(err);
	sbx_config_free(c);
}

/* A copied file and directory tree are in the root, executable where the
 * source was, read-only, and /proc/self/mountinfo names neither source:
 * the Python pool's zygote and package are placed this way, so a job
 * cannot learn where stratbox is installed. */
void t_copies_hide_host_paths(void)
{
	char pkg[128], p[256];
	snprintf(pkg, sizeof(pkg), "/tmp/sb-copy-%d", (int) getpid());
	CHECK(mkdir(pkg, 0755) == 0);
	snprintf(p, sizeof(p), "%s/sub", pkg);
	CHECK(mkdir(p, 0750) == 0);
	snprintf(p, sizeof(p), "%s/sub/mod.py", pkg);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0640);
	CHECK(fd >= 0 && write(fd, "print('copied')\n", 16) == 16);
	close(fd);
	if (sec_unprivileged())
		CHECK(chmod(pkg, 0755) == 0);

	char probe_dir[PATH_MAX];
	snprintf(probe_dir, sizeof(probe_dir), "%s", test_probe());
	dirname(probe_dir);
	sbx_verdict v;
	/* the probe runs from its copy: the execute bit was kept */
	char *const grep_pkg[] = { (char *) "/opt/sbx/bin/probe", (char *) "grep",
				   (char *) "/proc/self/mountinfo", pkg };
	run_with_copies(&v, pkg, grep_pkg, 4);
	CHECK_CONTAINS(v.out.data, "blocked: marker absent");
	sbx_verdict_clear(&v);
	char *const grep_probe[] = { (char *) "/opt/sbx/bin/probe", (char *) "grep",
				     (char *) "/proc/self/mountinfo", probe_dir };
	run_with_copies(&v, pkg, grep_probe, 4);
	CHECK_CONTAINS(v.out.data, "blocked: marker absent");
	sbx_verdict_clear(&v);
	char *const cat[] = { (char *) "/opt/sbx/bin/probe", (char *) "cat",
			      (char *) "/opt/sbx/pkg/sub/mod.py" };
	run_with_copies(&v, pkg, cat, 3);
	CHECK_STR_EQ(v.out.data, "print('copied')\n\nbytes=16\n");
	sbx_verdict_clear(&v);
	char *const write_copy[] = { (char *) "/opt/sbx/bin/probe", (char *) "write",
				     (char *) "/opt/sbx/pkg/sub/mod.py" };
	run_with_copies(&v, pkg, write_copy, 3);
	CHECK_CONTAINS(v.out.data, "blocked: open for writing errno=30 (Read-only file system)");
	sbx_verdict_clear(&v);

	snprintf(p, sizeof(p), "%s/sub/mod.py", pkg);
	unlink(p);
	snprintf(p, sizeof(p), "%s/sub", pkg);
	rmdir(p);
	rmdir(pkg);
}

/* A copy refuses what it cannot place faithfully: a symlink inside the
 * tree, or anything but files and directories. */
void t_copy_refuses_symlinks_and_special_files(void)
{
	char pkg[128], p[256];
	snprintf(pkg, sizeof(pkg), "/tmp/sb-copyl-%d", (int) getpid());
	CHECK(mkdir(pkg, 0755) == 0);
	snprintf(p, sizeof(p), "%s/link", pkg);
	CHECK(symlink("/etc/passwd", p) == 0);
	sbx_config *c = sbx_config_new();
	sbx_error *err = NULL;
	char *const argv[] = { (char *) "/opt/sbx/bin/probe", (char *) "ls", (char *) "/opt/sbx/pkg" };
	CHECK(sbx_config_set_argv(c, 3, argv, &err) == 0);
	CHECK(sbx_config_add_copy(c, test_probe(), "/opt/sbx/bin/probe", &err) == 0);
	CHECK(sbx_config_add_copy(c, pkg, "/opt/sbx/pkg", &err) == 0);
	if (test_cgroup_parent())
		CHECK(sbx_config_set_cgroup_parent(c, test_cgroup_parent(), &err) == 0);
	sbx_verdict v;
	CHECK(sbx_run(c, &v, &err) < 0);
	CHECK_INT_EQ(v.status, SBX_SANDBOX_ERROR);
	CHECK_CONTAINS(v.message, "copy source");
	CHECK_CONTAINS(v.message, "/link is not a regular file or directory");
	sbx_verdict_clear(&v);
	sbx_error_free(err);
	sbx_config_free(c);
	unlink(p);
	rmdir(pkg);
}

/* Through `stratbox exec`: the pool's job sees no host path of the
 * installation (the zygote and its package are copies). */
void t_exec_job_sees_no_install_path(void)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", test_stratbox());
	dirname(dir);
	char zyg[PATH_MAX + 32];
	snprintf(zyg, sizeof(zyg), "%s/stratbox-zygote", dir);
	if (access(zyg, X_OK) != 0)
		test_skip("no stratbox-zygote beside %s", test_stratbox());
	char script[] = "/tmp/sb-mi-XXXXXX";
	test_temp_file(script, "print(open('/proc/self/mountinfo').read())\n");
	const char *cgp = test_cgroup_parent();
	const char *argv[6] = { test_stratbox(), "exec" };
	size_t n = 2;
	if (cgp) {
		argv[n++] = "--cgroup-parent";
		argv[n++] = cgp;
	}
	argv[n++] = script;
	argv[n] = NULL;
	struct test_output o;
	test_run(&(struct test_cmd){ .argv = argv, .err = TEST_STDERR_INHERIT }, &o);
	unlink(script);
	const char *out = o.out;
	CHECK(o.exit_code == 0, "stratbox exec failed: %.600s", out);
	CHECK_CONTAINS(out, " / / ro,");
	CHECK_NOT_CONTAINS(out, dir);
	CHECK_NOT_CONTAINS(out, "stratbox-zygote");
	test_output_free(&o);
}
