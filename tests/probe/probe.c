/* probe: the attacker, run inside the sandbox by the security tests.
 *
 * Each subcommand tries to break one limit or one wall of the sandbox.
 * Protocol with the tests:
 *   - an attack that the sandbox stops by killing the probe (a limit, a
 *     forbidden syscall) never returns: the test asserts the verdict;
 *   - an attack that fails with an error prints "blocked: <detail>" and
 *     exits 0: the test asserts the verdict OK and the detail;
 *   - an attack that works prints "ESCAPED: <detail>" and exits 3;
 *   - an information subcommand prints "key=value" lines and exits 0.
 * Static, so it runs the same in any sandbox and needs nothing from /usr.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int escaped(const char *what)
{
	printf("ESCAPED: %s\n", what);
	fflush(stdout);
	return 3;
}

static int blocked(const char *what, int err)
{
	printf("blocked: %s errno=%d (%s)\n", what, err, strerror(err));
	fflush(stdout);
	return 0;
}

/* ---- resource attacks: the sandbox must stop these ---- */

static __attribute__((noreturn)) void forkbomb(void)
{
	for (;;) {
		pid_t p = fork();
		if (p < 0)
			continue; /* refused: keep trying, as a real bomb would */
		if (p == 0)
			continue; /* children fork too */
	}
}

static void *idle_thread(void *arg)
{
	(void) arg;
	for (;;)
		pause();
	return NULL;
}

static __attribute__((noreturn)) void threadbomb(void)
{
	for (;;) {
		pthread_t t;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 64 * 1024);
		pthread_create(&t, &a, idle_thread, NULL);
	}
}

static int membomb(void)
{
	for (;;) {
		char *p = malloc(1 << 20);
		if (p == NULL) {
			/* only without a memory cgroup (RLIMIT_DATA fallback) */
			return blocked("malloc", ENOMEM);
		}
		memset(p, 0xa5, 1 << 20);
	}
}

static __attribute__((noreturn)) void spin(void)
{
	volatile unsigned long x = 0;
	for (;;)
		x++;
}

static int flood(const char *stream)
{
	int fd = strcmp(stream, "stderr") == 0 ? 2 : 1;
	char buf[4096];
	memset(buf, 'x', sizeof(buf));
	for (;;)
		if (write(fd, buf, sizeof(buf)) < 0 && errno != EINTR)
			return blocked("write", errno);
}

static int print_bytes(long n)
{
	char buf[4096];
	memset(buf, 'y', sizeof(buf));
	while (n > 0) {
		long k = n < (long) sizeof(buf) ? n : (long) sizeof(buf);
		if (write(1, buf, (size_t) k) < 0)
			return 1;
		n -= k;
	}
	return 0;
}

/* ---- network ---- */

static int tcp_connect(int family, const char *addr, int port, int type)
{
	int s = socket(family, type, 0);
	if (s < 0)
		return blocked("socket", errno);
	int r;
	if (family == AF_INET) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
		inet_pton(AF_INET, addr, &sa.sin_addr);
		r = connect(s, (struct sockaddr *) &sa, sizeof(sa));
	} else {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t) port) };
		inet_pton(AF_INET6, addr, &sa.sin6_addr);
		r = connect(s, (struct sockaddr *) &sa, sizeof(sa));
	}
	if (r < 0)
		return blocked("connect", errno);
	if (type == SOCK_DGRAM) {
		/* UDP connect only sets the peer: the datagram must not leave */
		if (send(s, "probe", 5, 0) < 0)
			return blocked("send", errno);
		return escaped("udp datagram sent");
	}
	return escaped("tcp connected to the host");
}

static int abstract_connect(const char *name)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0)
		return blocked("socket", errno);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	if (n + 1 > sizeof(sa.sun_path))
		return 2;
	memcpy(sa.sun_path + 1, name, n);
	if (connect(s, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + n)) < 0)
		return blocked("connect abstract", errno);
	return escaped("connected to a host abstract socket");
}

static int netif(void)
{
	/* /proc/net/dev lists the namespace's interfaces; SIOCGIFFLAGS
	 * tells whether each is up. */
	FILE *f = fopen("/proc/net/dev", "r");
	if (f == NULL)
		return blocked("open /proc/net/dev", errno);
	char line[512];
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		char *name = line;
		while (*name == ' ')
			name++;
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.15s", name);
		int up = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
		printf("if=%s up=%d\n", name, up);
		n++;
	}
	printf("interfaces=%d\n", n);
	return 0;
}

/* ---- filesystem ---- */

static int write_path(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return blocked("open for writing", errno);
	if (write(fd, "x", 1) != 1)
		return blocked("write", errno);
	return escaped("wrote the file");
}

static int filltmp(const char *dir)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/fill", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return blocked("open", errno);
	signal(SIGXFSZ, SIG_IGN);
	static char buf[65536];
	memset(buf, 'z', sizeof(buf));
	long total = 0;
	for (;;) {
		ssize_t n = write(fd, buf, sizeof(buf));
		if (n < 0) {
			printf("written=%ld\n", total);
			return blocked("write", errno);
		}
		total += n;
		if (total > (1L << 32))
			return escaped("wrote 4 GiB to tmpfs");
	}
}

static int read_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return blocked("stat", errno);
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		if (d == NULL)
			return blocked("opendir", errno);
		struct dirent *e;
		int n = 0;
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				n++;
		closedir(d);
		printf("entries=%d\n", n);
		return n == 0 ? blocked("empty directory", 0) : escaped("listed the directory");
	}
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return blocked("open", errno);
	char c;
	ssize_t n = read(fd, &c, 1);
	if (n < 0)
		return blocked("read", errno);
	return escaped("read the file");
}

/* Search a file for a marker the test planted in the supervisor. */
static int grep_file(const char *path, const char *marker)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return blocked("open", errno);
	static char buf[1 << 16];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return blocked("read", errno);
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = '\n';
	buf[n] = '\0';
	if (strstr(buf, marker))
		return escaped("found the marker");
	printf("read=%zd\n", n);
	return blocked("marker absent", 0);
}

/* A file's bytes (64 KiB at most) to stdout, then "bytes=N". */
static int cat_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return blocked("open", errno);
	static char buf[1 << 16];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return blocked("read", errno);
	fwrite(buf, 1, (size_t) n, stdout);
	printf("\nbytes=%zd\n", n);
	return 0;
}

/* A directory's entries, one "entry=NAME" line each. */
static int list_dir(const char *path)
{
	DIR *d = opendir(path);
	if (d == NULL)
		return blocked("opendir", errno);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			printf("entry=%s\n", e->d_name);
			n++;
		}
	closedir(d);
	printf("entries=%d\n", n);
	return 0;
}

/* Plant a symlink (replacing what is at link): what a job that can write
 * a directory the next job binds from would leave behind. */
static int plant_symlink(const char *target, const char *link)
{
	if (unlink(link) < 0 && errno != ENOENT && rmdir(link) < 0)
		return blocked("remove", errno);
	if (symlink(target, link) < 0)
		return blocked("symlink", errno);
	printf("planted %s -> %s\n", link, target);
	return 0;
}

/* The mount at path, from mountinfo: "mount=PATH fs=TYPE opts=OPTS". */
static int mount_options(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (f == NULL)
		return blocked("open mountinfo", errno);
	char line[1024], found[1024] = "";
	while (fgets(line, sizeof(line), f)) {
		char mnt[512], opts[256], fs[64];
		/* id parent major:minor root mountpoint options [optional...] - fstype */
		if (sscanf(line, "%*s %*s %*s %*s %511s %255s", mnt, opts) != 2)
			continue;
		const char *dash = strstr(line, " - ");
		if (dash == NULL || sscanf(dash + 3, "%63s", fs) != 1)
			continue;
		if (strcmp(mnt, path) == 0) /* the last one is on top */
			snprintf(found, sizeof(found), "mount=%s fs=%s opts=%s", mnt, fs, opts);
	}
	fclose(f);
	if (found[0] == '\0')
		return blocked("not a mount point", 0);
	printf("%s\n", found);
	return 0;
}

/* ---- host-wide kernel facilities ---- */

/* A netlink socket of one protocol; NETLINK_ROUTE must keep working (glibc
 * lists interfaces with it), the others reach host state: a uevent
 * socket that opens receives the host's device events. */
static int netlink(int proto)
{
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (s < 0)
		return blocked("socket(AF_NETLINK)", errno);
	if (proto == NETLINK_ROUTE) {
		struct if_nameindex *ni = if_nameindex();
		if (ni == NULL)
			return blocked("if_nameindex", errno);
		for (struct if_nameindex *i = ni; i->if_index; i++)
			printf("ifname=%s\n", i->if_name);
		if_freenameindex(ni);
		return 0;
	}
	return escaped("opened a netlink socket of a host-wide protocol");
}

/* Memory from the host's hugetlb pool (not charged to the job). */
static int hugetlb(void)
{
	void *p = mmap(NULL, 2u << 20, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED)
		return blocked("mmap MAP_HUGETLB", errno);
	return escaped("mapped a huge page from the host's pool");
}

/* ---- processes ---- */

static int list_procs(void)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return blocked("opendir /proc", errno);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		printf("pid=%s\n", e->d_name);
		n++;
	}
	closedir(d);
	printf("count=%d\n", n);
	return 0;
}

static int kill_host_pid(const char *pidstr)
{
	pid_t pid = (pid_t) atoi(pidstr);
	if (kill(pid, 0) < 0)
		return blocked("kill", errno);
	return escaped("signalled a pid given by the host");
}

static int killall(void)
{
	if (kill(-1, SIGKILL) < 0)
		return blocked("kill(-1)", errno);
	printf("kill(-1) returned 0\n");
	return 0;
}

static int daemonize(const char *token)
{
	pid_t p = fork();
	if (p < 0)
		return blocked("fork", errno);
	if (p > 0) {
		waitpid(p, NULL, 0);
		printf("daemon started\n");
		return 0;
	}
	setsid();
	if (fork() != 0)
		_exit(0);
	/* The grandchild: re-exec under a recognisable name and sleep. */
	char *argv[] = { "/probe", "sleep", "600", (char *) token, NULL };
	execv("/probe", argv);
	_exit(1);
}

static int open_fd(const char *fdstr)
{
	int fd = atoi(fdstr);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return blocked("fstat inherited fd", errno);
	return escaped("inherited fd is open");
}

static int status_info(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return 1;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		static const char *keys[] = { "Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:",
					      "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:",
					      "Seccomp:" };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strncmp(line, keys[i], strlen(keys[i])) == 0)
				fputs(line, stdout);
	}
	fclose(f);
	printf("sid_is_self=%d\n", getsid(0) == getpid());
	printf("pid=%d\n", getpid());
	char host[64] = "";
	gethostname(host, sizeof(host));
	printf("hostname=%s\n", host);
	char cwd[256] = "";
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0';
	printf("cwd=%s\n", cwd);
	struct stat st;
	for (int fd = 0; fd < 3; fd++)
		printf("fd%d=%s\n", fd, fstat(fd, &st) == 0 ? (S_ISFIFO(st.st_mode) ? "pipe" : S_ISCHR(st.st_mode) ? "chr" : "other") : "closed");
	int open_fds = 0;
	for (int fd = 3; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			open_fds++;
	printf("extra_fds=%d\n", open_fds);
	return 0;
}

static int ns_info(void)
{
	static const char *ns[] = { "pid", "mnt", "net", "ipc", "uts", "cgroup", "user" };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		char path[64], link[128] = "";
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n > 0)
			link[n] = '\0';
		printf("%s=%s\n", ns[i], link);
	}
	return 0;
}

static int env_info(void)
{
	extern char **environ;
	for (char **e = environ; *e; e++)
		printf("env %s\n", *e);
	return 0;
}

static int setuid_root(void)
{
	if (setuid(0) < 0)
		return blocked("setuid(0)", errno);
	return escaped("became root");
}

static int mknod_dev(void)
{
	if (mknod("/tmp/sda", S_IFBLK | 0600, makedev(8, 0)) < 0)
		return blocked("mknod block device", errno);
	return escaped("created a device node");
}

/* ---- forbidden system calls: each must end in SYSCALL_VIOLATION ---- */

static void *thread_clone_probe(void *a)
{
	(void) a;
	return NULL;
}

static int do_syscall(const char *name)
{
	long r = -1;
	if (!strcmp(name, "ptrace"))
		r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	else if (!strcmp(name, "ptrace-attach"))
		r = ptrace(PTRACE_ATTACH, 1, NULL, NULL);
	else if (!strcmp(name, "mount"))
		r = mount("none", "/tmp", "tmpfs", 0, NULL);
	else if (!strcmp(name, "umount2"))
		r = umount2("/proc", MNT_DETACH);
	else if (!strcmp(name, "pivot_root"))
		r = syscall(SYS_pivot_root, "/tmp", "/tmp");
	else if (!strcmp(name, "chroot"))
		r = chroot("/tmp");
	else if (!strcmp(name, "unshare"))
		r = unshare(CLONE_NEWUSER);
	else if (!strcmp(name, "setns"))
		r = setns(open("/proc/self/ns/net", O_RDONLY), 0);
	else if (!strcmp(name, "keyctl"))
		r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
	else if (!strcmp(name, "add_key"))
		r = syscall(SYS_add_key, "user", "probe", "x", 1, -3);
	else if (!strcmp(name, "request_key"))
		r = syscall(SYS_request_key, "user", "probe", NULL, -3);
	else if (!strcmp(name, "bpf"))
		r = syscall(SYS_bpf, 0, NULL, 0);
	else if (!strcmp(name, "perf_event_open"))
		r = syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
	else if (!strcmp(name, "io_setup")) {
		unsigned long ctx = 0;
		r = syscall(SYS_io_setup, 1, &ctx);
	} else if (!strcmp(name, "io_submit"))
		r = syscall(SYS_io_submit, 0, 0, NULL);
	else if (!strcmp(name, "io_uring_setup"))
		r = syscall(SYS_io_uring_setup, 1, NULL);
	else if (!strcmp(name, "io_uring_enter"))
		r = syscall(SYS_io_uring_enter, 0, 0, 0, 0, NULL, 0);
	else if (!strcmp(name, "io_uring_register"))
		r = syscall(SYS_io_uring_register, 0, 0, NULL, 0);
	else if (!strcmp(name, "userfaultfd"))
		r = syscall(SYS_userfaultfd, 0);
	else if (!strcmp(name, "kexec_load"))
		r = syscall(SYS_kexec_load, 0, 0, NULL, 0);
	else if (!strcmp(name, "kexec_file_load"))
		r = syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0);
	else if (!strcmp(name, "init_module"))
		r = syscall(SYS_init_module, NULL, 0, "");
	else if (!strcmp(name, "finit_module"))
		r = syscall(SYS_finit_module, -1, "", 0);
	else if (!strcmp(name, "delete_module"))
		r = syscall(SYS_delete_module, "probe", 0);
	else if (!strcmp(name, "open_by_handle_at"))
		r = syscall(SYS_open_by_handle_at, -1, NULL, 0);
	else if (!strcmp(name, "name_to_handle_at"))
		r = syscall(SYS_name_to_handle_at, AT_FDCWD, "/", NULL, NULL, 0);
	else if (!strcmp(name, "personality"))
		r = personality(READ_IMPLIES_EXEC);
	else if (!strcmp(name, "personality-query")) {
		/* querying is allowed and must keep working */
		r = personality(0xffffffff);
		if (r < 0)
			return escaped("personality query refused: programs need it");
		printf("personality=%ld\n", r);
		return 0;
	}
	else if (!strcmp(name, "process_vm_readv"))
		r = syscall(SYS_process_vm_readv, 1, NULL, 0, NULL, 0, 0);
	else if (!strcmp(name, "reboot"))
		r = syscall(SYS_reboot, 0, 0, 0, NULL);
	else if (!strcmp(name, "swapon"))
		r = syscall(SYS_swapon, "/tmp/x", 0);
	else if (!strcmp(name, "sethostname"))
		r = sethostname("evil", 4);
	else if (!strcmp(name, "modify_ldt"))
		r = syscall(SYS_modify_ldt, 0, NULL, 0);
	else if (!strcmp(name, "iopl"))
		r = syscall(SYS_iopl, 3);
	else if (!strcmp(name, "clone-newns")) {
		r = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, 0);
		if (r == 0)
			_exit(0);
	} else if (!strcmp(name, "clone-newuser")) {
		r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
		if (r == 0)
			_exit(0);
	} else if (!strcmp(name, "clone3")) {
		/* must fail with ENOSYS so libc falls back to clone(2) */
		r = syscall(SYS_clone3, NULL, 0);
		if (r < 0 && errno == ENOSYS)
			return blocked("clone3", ENOSYS);
	} else if (!strcmp(name, "thread")) {
		/* threads still work (clone without namespace flags) */
		pthread_t t;
		int e = pthread_create(&t, NULL, thread_clone_probe, NULL);
		if (e != 0)
			return escaped("pthread_create failed: threads must work");
		pthread_join(t, NULL);
		printf("thread ok\n");
		return 0;
	} else if (!strcmp(name, "tiocsti")) {
		char c = 'x';
		r = ioctl(0, TIOCSTI, &c);
	} else if (!strcmp(name, "tiocsti-high")) {
		/* the upper 32 bits must not hide TIOCSTI from the filter */
		char c = 'x';
		r = syscall(SYS_ioctl, 0, 0x100000000ul | TIOCSTI, &c);
	} else if (!strcmp(name, "ioctl-ok")) {
		/* an ordinary ioctl must still work */
		int n = 0;
		r = ioctl(1, FIONREAD, &n);
		if (r < 0 && errno != ENOTTY && errno != EINVAL)
			return blocked("FIONREAD", errno);
		printf("ioctl ok\n");
		return 0;
	} else if (!strcmp(name, "x32")) {
		r = syscall(0x40000000 | SYS_getpid);
	} else if (!strcmp(name, "i386")) {
		/* int 0x80 from a 64-bit process: the i386 ABI, getpid = 20 */
		long ret;
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20) : "memory");
		r = ret;
	} else if (!strcmp(name, "socket-packet")) {
		r = socket(AF_PACKET, SOCK_RAW, 0);
	} else if (!strcmp(name, "seccomp-escape")) {
		/* a second filter cannot loosen the first */
		struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
		struct sock_fprog p = { 1, allow };
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p);
		if (r == 0)
			r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	} else {
		fprintf(stderr, "probe: unknown syscall %s\n", name);
		return 2;
	}
	if (r < 0)
		return blocked(name, errno);
	return escaped(name);
}

static int usage(void)
{
	fprintf(stderr, "usage: probe ATTACK [ARGS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *c = argv[1];
	const char *a = argc > 2 ? argv[2] : "";
	if (!strcmp(c, "forkbomb")) forkbomb();
	if (!strcmp(c, "threadbomb")) threadbomb();
	if (!strcmp(c, "membomb")) return membomb();
	if (!strcmp(c, "spin")) spin();
	if (!strcmp(c, "sleep")) return (int) sleep((unsigned) atoi(a)) * 0;
	if (!strcmp(c, "flood")) return flood(a);
	if (!strcmp(c, "print")) return print_bytes(atol(a));
	if (!strcmp(c, "exit")) return atoi(a);
	if (!strcmp(c, "signal")) {
		raise(atoi(a));
		printf("survived signal %s\n", a);
		return 4;
	}
	if (!strcmp(c, "tcp") && argc > 3) return tcp_connect(AF_INET, a, atoi(argv[3]), SOCK_STREAM);
	if (!strcmp(c, "udp") && argc > 3) return tcp_connect(AF_INET, a, atoi(argv[3]), SOCK_DGRAM);
	if (!strcmp(c, "tcp6") && argc > 3) return tcp_connect(AF_INET6, a, atoi(argv[3]), SOCK_STREAM);
	if (!strcmp(c, "abstract")) return abstract_connect(a);
	if (!strcmp(c, "netif")) return netif();
	if (!strcmp(c, "write")) return write_path(a);
	if (!strcmp(c, "filltmp")) return filltmp(argc > 2 ? a : "/tmp");
	if (!strcmp(c, "read")) return read_path(a);
	if (!strcmp(c, "grep") && argc > 3) return grep_file(a, argv[3]);
	if (!strcmp(c, "cat")) return cat_file(a);
	if (!strcmp(c, "ls")) return list_dir(a);
	if (!strcmp(c, "symlink") && argc > 3) return plant_symlink(a, argv[3]);
	if (!strcmp(c, "mountopt")) return mount_options(a);
	if (!strcmp(c, "netlink")) return netlink(atoi(a));
	if (!strcmp(c, "hugetlb")) return hugetlb();
	if (!strcmp(c, "procs")) return list_procs();
	if (!strcmp(c, "killpid")) return kill_host_pid(a);
	if (!strcmp(c, "killall")) return killall();
	if (!strcmp(c, "daemon")) return daemonize(a);
	if (!strcmp(c, "fd")) return open_fd(a);
	if (!strcmp(c, "status")) return status_info();
	if (!strcmp(c, "ns")) return ns_info();
	if (!strcmp(c, "env")) return env_info();
	if (!strcmp(c, "setuid")) return setuid_root();
	if (!strcmp(c, "mknod")) return mknod_dev();
	if (!strcmp(c, "syscall")) return do_syscall(a);
	return usage();
}
