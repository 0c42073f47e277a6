/* Walls: what the sandboxed process can see, reach and become. */
#include "sec.h"
#include "tests.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every namespace is new (user too when unprivileged). */
void t_every_namespace_is_new(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "ns"));
	EXPECT_STATUS(&r, "OK");
	static const char *ns[] = { "pid", "mnt", "net", "ipc", "uts", "cgroup", "user" };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		char path[64], link[128], want[200];
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		CHECK(n > 0);
		link[n] = '\0';
		snprintf(want, sizeof(want), "%s=%s\n", ns[i], link);
		bool must_differ = strcmp(ns[i], "user") != 0 || sec_unprivileged();
		if (must_differ)
			CHECK_NOT_CONTAINS(vstr(&r, "stdout"), want);
		else
			CHECK_CONTAINS(vstr(&r, "stdout"), want);
	}
	sbx_result_free(&r);
}

/* uid/gid 1000, no capability in any set, no_new_privs, seccomp filter,
 * own session, pid 2 under our init, stdin /dev/null, nothing else open. */
void t_command_is_uid_1000_with_no_capability(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "status"));
	EXPECT_STATUS(&r, "OK");
	const char *o = vstr(&r, "stdout");
	CHECK_CONTAINS(o, "Uid:\t1000\t1000\t1000\t1000");
	CHECK_CONTAINS(o, "Gid:\t1000\t1000\t1000\t1000");
	CHECK_CONTAINS(o, "CapInh:\t0000000000000000");
	CHECK_CONTAINS(o, "CapPrm:\t0000000000000000");
	CHECK_CONTAINS(o, "CapEff:\t0000000000000000");
	CHECK_CONTAINS(o, "CapBnd:\t0000000000000000");
	CHECK_CONTAINS(o, "CapAmb:\t0000000000000000");
	CHECK_CONTAINS(o, "NoNewPrivs:\t1");
	CHECK_CONTAINS(o, "Seccomp:\t2");
	CHECK_CONTAINS(o, "sid_is_self=1");
	CHECK_CONTAINS(o, "pid=2\n");
	CHECK_CONTAINS(o, "hostname=sandbox");
	CHECK_CONTAINS(o, "cwd=/tmp");
	CHECK_CONTAINS(o, "fd0=chr");
	CHECK_CONTAINS(o, "fd1=pipe");
	CHECK_CONTAINS(o, "fd2=pipe");
	CHECK_CONTAINS(o, "extra_fds=0");
	if (!sec_unprivileged())
		CHECK_CONTAINS(o, "Groups:\t \n"); /* supplementary groups dropped */
	sbx_result_free(&r);
}

/* The environment is built from scratch: the supervisor's never leaks. */
void t_environment_is_built_from_scratch(void)
{
	struct sbx_result r;
	struct run_opts ro = { .env = (const char *const[]){ "SECRET_TOKEN=hunter2-env", NULL },
			       .keep_fd = -1 };
	sbx_run_ex(&r, OPTS("--env", "FOO=bar", "--env", "LANG=C"), ARGS("/probe", "env"), &ro);
	EXPECT_STATUS(&r, "OK");
	const char *o = vstr(&r, "stdout");
	CHECK_NOT_CONTAINS(o, "hunter2-env");
	CHECK_CONTAINS(o, "env PATH=/usr/local/bin:/usr/bin:/bin\n");
	CHECK_CONTAINS(o, "env HOME=/tmp\n");
	CHECK_CONTAINS(o, "env FOO=bar\n");
	CHECK_CONTAINS(o, "env LANG=C\n");
	CHECK_NOT_CONTAINS(o, "LANG=C.UTF-8");
	int lines = 0;
	for (const char *p = o; *p; p++)
		lines += *p == '\n';
	CHECK_INT_EQ(lines, 4);
	sbx_result_free(&r);
}

/* Only the sandbox's own processes exist; a host pid is unreachable. */
void t_host_processes_invisible_and_unreachable(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "procs"));
	EXPECT_STATUS(&r, "OK");
	CHECK_CONTAINS(vstr(&r, "stdout"), "pid=1\npid=2\ncount=2\n");
	sbx_result_free(&r);

	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int) getppid());
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "killpid", pid));
	EXPECT_BLOCKED(&r, "No such process");
	sbx_result_free(&r);
}

/* kill(-1) reaches nothing outside: a process of the same host uid lives. */
void t_kill_minus_one_spares_host_processes(void)
{
	int out;
	pid_t sentinel = test_start(&(struct test_cmd){ .argv = ARGS("/bin/sleep", "30"),
							.err = TEST_STDERR_INHERIT },
				    &out);
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "killall"));
	EXPECT_STATUS(&r, "OK");
	CHECK(kill(sentinel, 0) == 0, "a process outside the sandbox was killed");
	kill(sentinel, SIGKILL);
	waitpid(sentinel, NULL, 0);
	close(out);
	sbx_result_free(&r);
}

void t_no_network_interface_is_up(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "netif"));
	EXPECT_STATUS(&r, "OK");
	CHECK_CONTAINS(vstr(&r, "stdout"), "if=lo up=0\ninterfaces=1\n");
	sbx_result_free(&r);
}

static int listen_on(int family, int type, int *port)
{
	int s = socket(family, type, 0);
	CHECK(s >= 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		CHECK(bind(s, (struct sockaddr *) &a, sizeof(a)) == 0);
		socklen_t l = sizeof(a);
		getsockname(s, (struct sockaddr *) &a, &l);
		*port = ntohs(a.sin_port);
	} else {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		if (bind(s, (struct sockaddr *) &a, sizeof(a)) != 0)
			test_skip("no IPv6 loopback on this host");
		socklen_t l = sizeof(a);
		getsockname(s, (struct sockaddr *) &a, &l);
		*port = ntohs(a.sin6_port);
	}
	if (type == SOCK_STREAM)
		CHECK(listen(s, 8) == 0);
	return s;
}

/* Nothing arrived on the host side (non-blocking accept/recv). */
static void expect_nothing_arrived(int s, int type)
{
	char buf[16];
	if (type == SOCK_STREAM) {
		fcntl(s, F_SETFL, O_NONBLOCK);
		int c = accept(s, NULL, NULL);
		CHECK(c < 0, "the sandbox connected to a host TCP port");
	} else {
		ssize_t n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
		CHECK(n < 0, "a datagram from the sandbox reached the host");
	}
}

/* With the loopback interface down, IPv4 says "unreachable" and IPv6
 * "cannot assign address": both mean nothing left the namespace. */
static void net_case(int family, int type, const char *cmd, const char *addr)
{
	int port = 0;
	int s = listen_on(family, type, &port);
	char ps[16];
	snprintf(ps, sizeof(ps), "%d", port);
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", cmd, addr, ps));
	EXPECT_BLOCKED(&r, family == AF_INET ? "errno=101 (Network is unreachable)"
					     : "errno=99 (Cannot assign requested address)");
	expect_nothing_arrived(s, type);
	close(s);
	sbx_result_free(&r);
}

void t_tcp_to_host_loopback_unreachable(void) { net_case(AF_INET, SOCK_STREAM, "tcp", "127.0.0.1"); }
void t_udp_to_host_loopback_unreachable(void) { net_case(AF_INET, SOCK_DGRAM, "udp", "127.0.0.1"); }
void t_tcp6_to_host_loopback_unreachable(void) { net_case(AF_INET6, SOCK_STREAM, "tcp6", "::1"); }

/* Abstract unix sockets are per network namespace. */
void t_host_abstract_socket_unreachable(void)
{
	char name[64];
	snprintf(name, sizeof(name), "stratbox-test-%d", (int) getpid());
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path + 1, name, strlen(name));
	socklen_t len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	CHECK(bind(s, (struct sockaddr *) &a, len) == 0);
	CHECK(listen(s, 4) == 0);
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "abstract", name));
	EXPECT_BLOCKED(&r, "Connection refused");
	expect_nothing_arrived(s, SOCK_STREAM);
	close(s);
	sbx_result_free(&r);
}

void t_usr_is_read_only(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "write", "/usr/stratbox-probe"));
	EXPECT_BLOCKED(&r, "Read-only file system");
	sbx_result_free(&r);
	CHECK(access("/usr/stratbox-probe", F_OK) != 0);
}

void t_root_etc_dev_and_proc_sys_refuse_writes(void)
{
	static const char *paths[] = { "/newfile", "/etc/passwd", "/etc/ld.so.cache", "/dev/evil",
				       "/proc/sys/kernel/hostname" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct sbx_result r;
		sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "write", paths[i]));
		EXPECT_STATUS(&r, "OK");
		CHECK_CONTAINS(vstr(&r, "stdout"), "blocked:");
		sbx_result_free(&r);
	}
}

/* /tmp and /dev/shm are private and size-capped. */
void t_tmp_and_shm_capped_at_tmp_size(void)
{
	static const char *dirs[] = { "/tmp", "/dev/shm" };
	for (size_t i = 0; i < 2; i++) {
		struct sbx_result r;
		sbx_run_probe(&r, OPTS("--tmp-size", "4M"), ARGS("/probe", "filltmp", dirs[i]));
		EXPECT_STATUS(&r, "OK");
		const char *o = vstr(&r, "stdout");
		CHECK_CONTAINS(o, "blocked: write");
		const char *w = strstr(o, "written=");
		CHECK(w != NULL);
		long written = atol(w + 8);
		CHECK(written <= 4L << 20, "wrote %ld bytes past a 4M cap", written);
		CHECK(written >= 3L << 20, "only %ld bytes fit in a 4M /tmp", written);
		sbx_result_free(&r);
	}
}

/* Host secrets and other users' files are simply not there. */
void t_host_secrets_absent(void)
{
	static const char *paths[] = { "/etc/shadow", "/etc/gshadow", "/root", "/home", "/var",
				       "/sys", "/boot", "/etc/ssh", "/work" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct sbx_result r;
		sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "read", paths[i]));
		EXPECT_BLOCKED(&r, "No such file or directory");
		sbx_result_free(&r);
	}
}

/* /proc/1 is our init: its command line and environment (the
 * supervisor's, which may hold secrets) are not readable. */
void t_init_cmdline_and_environ_unreadable(void)
{
	const char *marker = "sb-marker-91f3";
	char dir[128], bind[300];
	snprintf(dir, sizeof(dir), "/tmp/%s-%d", marker, (int) getpid());
	CHECK(mkdir(dir, 0755) == 0);
	snprintf(bind, sizeof(bind), "%s:/mnt", dir);
	struct run_opts ro = { .env = (const char *const[]){ "SB_SECRET=sb-marker-91f3", NULL },
			       .keep_fd = -1 };
	static const char *files[] = { "/proc/1/cmdline", "/proc/1/environ" };
	for (size_t i = 0; i < 2; i++) {
		struct sbx_result r;
		sbx_run_ex(&r, OPTS("--ro-bind", bind), ARGS("/probe", "grep", files[i], marker),
			   &ro);
		EXPECT_STATUS(&r, "OK");
		CHECK_CONTAINS(vstr(&r, "stdout"), "blocked:");
		sbx_result_free(&r);
	}
	rmdir(dir);
}

/* A descriptor the supervisor inherited is closed in the sandbox. */
void t_inherited_fd_closed(void)
{
	struct sbx_result r;
	struct run_opts ro = { .keep_fd = 7 };
	sbx_run_ex(&r, NO_OPTS, ARGS("/probe", "fd", "7"), &ro);
	EXPECT_BLOCKED(&r, "Bad file descriptor");
	sbx_result_free(&r);
}

void t_setuid_and_mknod_refused(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "setuid"));
	/* EPERM as root; in a user namespace uid 0 is not even mapped: EINVAL */
	EXPECT_BLOCKED(&r, sec_unprivileged() ? "errno=22" : "errno=1 ");
	sbx_result_free(&r);
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "mknod"));
	EXPECT_BLOCKED(&r, "Operation not permitted");
	sbx_result_free(&r);
}

/* A user bind is visible read-only, or writable with --bind. */
void t_user_binds_read_only_unless_bind(void)
{
	char dir[128], bind[300], file[200];
	snprintf(dir, sizeof(dir), "/tmp/sb-bind-%d", (int) getpid());
	CHECK(mkdir(dir, 0777) == 0);
	chmod(dir, 0777);
	snprintf(bind, sizeof(bind), "%s:/data", dir);
	struct sbx_result r;
	sbx_run_probe(&r, OPTS("--ro-bind", bind), ARGS("/probe", "write", "/data/x"));
	EXPECT_BLOCKED(&r, "Read-only file system");
	sbx_result_free(&r);
	sbx_run_probe(&r, OPTS("--bind", bind), ARGS("/probe", "write", "/data/x"));
	EXPECT_STATUS(&r, "NONZERO_EXIT"); /* the probe reports a successful write as ESCAPED */
	CHECK_CONTAINS(vstr(&r, "stdout"), "ESCAPED: wrote the file");
	sbx_result_free(&r);
	snprintf(file, sizeof(file), "%s/x", dir);
	CHECK(access(file, F_OK) == 0, "the writable bind did not reach the host");
	unlink(file);
	/* a relative source is taken from the caller's working directory */
	int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(here >= 0 && chdir("/tmp") == 0);
	snprintf(bind, sizeof(bind), "sb-bind-%d:/data", (int) getpid());
	sbx_run_probe(&r, OPTS("--bind", bind), ARGS("/probe", "write", "/data/x"));
	CHECK(fchdir(here) == 0);
	close(here);
	CHECK_CONTAINS(vstr(&r, "stdout"), "ESCAPED: wrote the file");
	sbx_result_free(&r);
	CHECK(access(file, F_OK) == 0, "the relative bind did not reach the host");
	unlink(file);
	rmdir(dir);
}
