/* cgroup layout detection and what the v1 and v2 backends share.
 *
 * Callers never branch on the version: they get a backend (a table of
 * function pointers) and call it.  Where one backend can do more than the
 * others (v2 starts a process inside its cgroup, clone_into_fd), its entry
 * is non-NULL and the caller branches on that capability, not on "v2".  Detection reads /proc/self/mountinfo and
 * /proc/self/cgroup once per process.  A "hybrid" machine (every controller
 * on v1, plus a cgroup2 mount holding none of them) is v1 here: we use the
 * hierarchy that actually holds the memory controller.
 *
 * Job cgroups are created beneath this process's own cgroup in each
 * hierarchy (or beneath the parent the user names), never at a root we
 * were not started in, and are named stratbox-<pid>-<starttime>-<seq> so a
 * later run can tell that the supervisor that made one is gone.
 */
#include "common/util.h"
#include "sandbox/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static struct cgroup_backend backend;
static pthread_once_t backend_once = PTHREAD_ONCE_INIT;

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

unsigned cgroup_controller_mask(const char *list)
{
	unsigned m = 0;
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", list);
	char *save = NULL;
	for (char *t = strtok_r(buf, ", \n", &save); t; t = strtok_r(NULL, ", \n", &save)) {
		if (strcmp(t, "memory") == 0)
			m |= CG_MEMORY;
		else if (strcmp(t, "pids") == 0)
			m |= CG_PIDS;
		else if (strcmp(t, "cpu") == 0)
			m |= CG_CPU;
		else if (strcmp(t, "cpuacct") == 0)
			m |= CG_CPUACCT;
	}
	return m;
}

struct mnt {
	char root[256], point[256], fstype[32], opts[256];
};

/* /proc/self/cgroup, read once by detect(). */
static char self_cgroup[4096];

/* Own cgroup path for the v1 hierarchy holding controllers `ctl` (the
 * subset we know of), or the v2 path when ctl is 0. */
static int own_cgroup(unsigned ctl, char *out, size_t size)
{
	char buf[sizeof(self_cgroup)];
	snprintf(buf, sizeof(buf), "%s", self_cgroup);
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		*c2 = '\0';
		const char *list = c1 + 1;
		bool match;
		if (ctl == 0)
			match = *list == '\0' && strncmp(line, "0:", 2) == 0;
		else
			match = *list != '\0' && cgroup_controller_mask(list) == ctl;
		if (match) {
			snprintf(out, size, "%s", c2 + 1);
			return 0;
		}
	}
	return -ENOENT;
}

/* Path of our cgroup relative to the mount, given the mount's root. */
static void relative_to_mount(const char *own, const char *root, char *out, size_t size)
{
	size_t rl = strlen(root);
	if (strcmp(root, "/") == 0)
		snprintf(out, size, "%s", own);
	else if (strncmp(own, root, rl) == 0 && (own[rl] == '/' || own[rl] == '\0'))
		snprintf(out, size, "%s", own[rl] ? own + rl : "/");
	else
		snprintf(out, size, "/"); /* namespaced view: we are at its root */
}

static void add_hierarchy(const char *point, const char *own, unsigned ctl)
{
	if (backend.nh >= (int) ARRAY_SIZE(backend.h))
		return;
	struct cg_hierarchy *h = &backend.h[backend.nh];
	h->mount = strdup(point);
	h->own = strdup(own);
	if (h->mount == NULL || h->own == NULL) {
		free(h->mount);
		free(h->own);
		return;
	}
	h->controllers = ctl;
	backend.nh++;
	backend.available |= ctl;
}

static void detect(void)
{
	const char *force = getenv("STRATBOX_CGROUP");
	FILE *f = fopen("/proc/self/mountinfo", "re");
	struct mnt v2 = { 0 };
	bool have_v2 = false;
	char line[2048];

	backend.ops = &cgroup_none_ops;
	if (read_file_at(AT_FDCWD, "/proc/self/cgroup", self_cgroup, sizeof(self_cgroup)) < 0)
		self_cgroup[0] = '\0';
	if (f == NULL) {
		snprintf(backend.why_none, sizeof(backend.why_none), "cannot read mountinfo: %s",
			 strerror(errno));
		return;
	}
	/* First pass: v1 hierarchies with a controller we use. */
	while (fgets(line, sizeof(line), f)) {
		struct mnt m;
		char *sep = strstr(line, " - ");
		if (sep == NULL ||
		    sscanf(line, "%*s %*s %*s %255s %255s", m.root, m.point) != 2 ||
		    sscanf(sep + 3, "%31s %*s %255s", m.fstype, m.opts) != 2)
			continue;
		unescape_octal(m.root);
		unescape_octal(m.point);
		if (strcmp(m.fstype, "cgroup2") == 0) {
			if (!have_v2) {
				v2 = m;
				have_v2 = true;
			}
			continue;
		}
		if (strcmp(m.fstype, "cgroup") != 0 || (force && strcmp(force, "v1") != 0))
			continue;
		unsigned ctl = cgroup_controller_mask(m.opts);
		if (ctl == 0 || (backend.available & ctl))
			continue; /* not ours, or the same hierarchy mounted twice */
		char own[1024], rel[1024];
		if (own_cgroup(ctl, own, sizeof(own)) < 0)
			continue;
		relative_to_mount(own, m.root, rel, sizeof(rel));
		add_hierarchy(m.point, rel, ctl);
	}
	fclose(f);

	bool want_v2 = force ? strcmp(force, "v2") == 0 : false;
	if (have_v2 && !want_v2 && !(force && strcmp(force, "none") == 0)) {
		/* Pure v2 or a hybrid whose cgroup2 mount holds the
		 * controllers: prefer v2 when it has the memory controller. */
		char path[600], ctl[256];
		snprintf(path, sizeof(path), "%s/cgroup.controllers", v2.point);
		if (read_file_at(AT_FDCWD, path, ctl, sizeof(ctl)) >= 0 &&
		    (cgroup_controller_mask(ctl) & CG_MEMORY) && !(backend.available & CG_MEMORY))
			want_v2 = true;
	}
	if (force && strcmp(force, "none") == 0) {
		for (int i = 0; i < backend.nh; i++) {
			free(backend.h[i].mount);
			free(backend.h[i].own);
		}
		backend.nh = 0;
		backend.available = 0;
		snprintf(backend.why_none, sizeof(backend.why_none),
			 "disabled by STRATBOX_CGROUP=none");
		return;
	}
	if (want_v2) {
		if (!have_v2) {
			snprintf(backend.why_none, sizeof(backend.why_none),
				 "STRATBOX_CGROUP=v2 but no cgroup2 filesystem is mounted");
			return;
		}
		for (int i = 0; i < backend.nh; i++) {
			free(backend.h[i].mount);
			free(backend.h[i].own);
		}
		backend.nh = 0;
		backend.available = 0;
		char own[1024], rel[1024], path[600], ctl[256] = "";
		if (own_cgroup(0, own, sizeof(own)) < 0)
			snprintf(own, sizeof(own), "/");
		relative_to_mount(own, v2.root, rel, sizeof(rel));
		snprintf(path, sizeof(path), "%s/cgroup.controllers", v2.point);
		(void) read_file_at(AT_FDCWD, path, ctl, sizeof(ctl));
		/* v2 always accounts CPU time in cpu.stat, even without the
		 * cpu controller: report it as cpuacct. */
		add_hierarchy(v2.point, rel, cgroup_controller_mask(ctl) | CG_CPUACCT);
		backend.version = 2;
		backend.ops = &cgroup_v2_ops;
		return;
	}
	if (backend.available & (CG_MEMORY | CG_PIDS | CG_CPU)) {
		backend.version = 1;
		backend.ops = &cgroup_v1_ops;
		return;
	}
	snprintf(backend.why_none, sizeof(backend.why_none),
		 "no cgroup hierarchy with the memory, pids or cpu controller is mounted");
}

const struct cgroup_backend *cgroup_backend_get(sbx_error **err)
{
	(void) err;
	pthread_once(&backend_once, detect);
	return &backend;
}

char *cgroup_parent_dir(const struct cg_hierarchy *h, const char *parent)
{
	if (parent == NULL)
		return str_printf("%s%s", h->mount, strcmp(h->own, "/") == 0 ? "" : h->own);
	if (parent[0] == '/')
		return str_printf("%s%s", h->mount, strcmp(parent, "/") == 0 ? "" : parent);
	return str_printf("%s%s/%s", h->mount, strcmp(h->own, "/") == 0 ? "" : h->own, parent);
}

/* Field 22 of /proc/<pid>/stat: start time in clock ticks since boot.
 * The command name (field 2) may contain spaces and parentheses, so parse
 * from the last ')'.  A zombie (state Z or X) counts as gone: a killed
 * supervisor whose parent has not reaped it yet is dead all the same. */
int proc_starttime(pid_t pid, unsigned long long *out)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	if (read_file_at(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		return -1;
	char *p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return -1;
	/* after ") " comes field 3; skip to field 22 */
	int field = 2;
	for (p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return sscanf(p, "%llu", out) == 1 ? 0 : -1;
}

static atomic_uint job_seq;

int cgroup_job_name(char *buf, size_t size)
{
	static unsigned long long self_start; /* same in every thread */
	static pid_t self_pid;
	pid_t pid = getpid();
	if (self_pid != pid) {
		unsigned long long st = 0;
		if (proc_starttime(pid, &st) < 0)
			return -1;
		self_start = st;
		self_pid = pid;
	}
	unsigned seq = atomic_fetch_add(&job_seq, 1);
	int n = snprintf(buf, size, "stratbox-%d-%llu-%u", (int) pid, self_start, seq);
	return n > 0 && (size_t) n < size ? 0 : -1;
}

bool cgroup_name_is_stale(const char *name)
{
	int pid;
	unsigned long long start, now;
	unsigned seq;
	char tail;
	if (sscanf(name, "stratbox-%d-%llu-%u%c", &pid, &start, &seq, &tail) != 3 || pid <= 0)
		return false; /* not one of ours */
	if (proc_starttime(pid, &now) < 0)
		return true; /* supervisor gone */
	return now != start; /* pid reused by another process */
}

void cgroup_describe_missing(unsigned usable, const struct cg_limits *lim, char *buf, size_t size)
{
	buf[0] = '\0';
	size_t off = 0;
	struct {
		unsigned bit;
		const char *word;
		bool wanted;
	} items[] = {
		{ CG_MEMORY, "memory", lim->memory != 0 },
		{ CG_PIDS, "pids", lim->pids != 0 },
		{ CG_CPU, "cpus", lim->millicpus != 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(items); i++) {
		if (!items[i].wanted || (usable & items[i].bit))
			continue;
		int n = snprintf(buf + off, size - off, "%s%s", off ? "," : "", items[i].word);
		if (n < 0 || (size_t) n >= size - off)
			break;
		off += (size_t) n;
	}
}

int cgroup_kill_listed(const char *dir)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	int pid, n = 0;
	while (fscanf(f, "%d", &pid) == 1) {
		if (pid > 0)
			kill(pid, SIGKILL);
		n++;
	}
	fclose(f);
	return n;
}

/* Kill what is left in a cgroup directory; loops because a process may
 * fork while we read. */
static void kill_members(const char *dir)
{
	for (int round = 0; round < 50; round++) {
		if (cgroup_kill_listed(dir) <= 0)
			return;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
}

int cgroup_join_self(const int *fds, int n)
{
	int ret = 0;
	for (int i = 0; i < n; i++) {
		ssize_t w;
		do
			w = write(fds[i], "0", 1);
		while (w < 0 && errno == EINTR);
		if (w != 1 && ret == 0)
			ret = w < 0 ? -errno : -EIO;
		close(fds[i]);
	}
	return ret;
}

int cgroup_rmdir_retry(const char *dir)
{
	/* rmdir fails with EBUSY while killed members are still exiting. */
	for (int i = 0; i < 200; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		if (i == 2 || i % 50 == 49)
			kill_members(dir);
		struct timespec ts = { 0, (i < 10 ? 100000L : 5000000L) };
		nanosleep(&ts, NULL);
	}
	return -EBUSY;
}

void cgroup_free(struct sbx_cgroup *cg)
{
	if (cg == NULL)
		return;
	for (int i = 0; i < cg->ndirs; i++)
		free(cg->dirs[i]);
	for (int i = 0; i < cg->nevent; i++)
		if (cg->event_fd[i] >= 0)
			close(cg->event_fd[i]);
	if (cg->dir_fd >= 0)
		close(cg->dir_fd);
	for (int i = 0; i < CGS_COUNT; i++)
		if (cg->stat_open & (1u << i))
			close(cg->stat_fd[i]);
	free(cg);
}

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

int cgroup_read_stats(struct sbx_cgroup *cg, struct cg_stats *st)
{
	if (cg->b->ops->read_stats(cg, st) < 0)
		return -1;
	st->cpu_usage_ns = minus(st->cpu_usage_ns, cg->base.cpu_usage_ns);
	st->cpu_user_ns = minus(st->cpu_user_ns, cg->base.cpu_user_ns);
	st->cpu_sys_ns = minus(st->cpu_sys_ns, cg->base.cpu_sys_ns);
	st->throttled_ns = minus(st->throttled_ns, cg->base.throttled_ns);
	st->oom_kills = minus(st->oom_kills, cg->base.oom_kills);
	st->pids_max_events = minus(st->pids_max_events, cg->base.pids_max_events);
	return 0;
}

int cgroup_recycle(struct sbx_cgroup *cg)
{
	struct cg_stats raw;
	if (cg->b->ops->recycle == NULL || cg->b->ops->recycle(cg) < 0 ||
	    cg->b->ops->read_stats(cg, &raw) < 0)
		return -1;
	/* a limit hit during the last job: throttling too, since a cgroup
	 * that spent its CPU quota stays throttled until the period ends,
	 * which the next job would pay for */
	if (raw.oom_kills != cg->base.oom_kills || raw.pids_max_events != cg->base.pids_max_events ||
	    raw.throttled_ns != cg->base.throttled_ns)
		return -1;
	cg->base = raw;
	for (int i = 0; i < cg->nevent; i++)
		cgroup_rearm_event(cg->event_fd[i]);
	return 0;
}

void cgroup_rearm_event(int fd)
{
	char buf[512];
	if (pread(fd, buf, sizeof(buf), 0) >= 0)
		return; /* a kernfs file: reading re-armed it */
	uint64_t v;
	if (read(fd, &v, sizeof(v)) < 0)
		return; /* an eventfd (non-blocking): nothing pending */
}

ssize_t cgroup_read_stat(struct sbx_cgroup *cg, enum cg_stat_file which, const char *dir,
			 const char *file, char *buf, size_t size)
{
	if (size == 0 || (unsigned) which >= CGS_COUNT)
		return -EINVAL;
	unsigned bit = 1u << which;
	if (!(cg->stat_open & bit)) {
		char path[1200];
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return -errno;
		cg->stat_fd[which] = fd;
		cg->stat_open |= bit;
	}
	/* kernfs regenerates the text on every read from offset 0, and hands
	 * over all of it that fits: a short read is the end */
	size_t got = 0;
	while (got < size - 1) {
		size_t want = size - 1 - got;
		ssize_t n = pread(cg->stat_fd[which], buf + got, want, (off_t) got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t) n;
		if ((size_t) n < want)
			break;
	}
	buf[got] = '\0';
	return (ssize_t) got;
}

int sbx_cleanup_stale(const char *parent, sbx_error **err)
{
	const struct cgroup_backend *b = cgroup_backend_get(err);
	if (b == NULL)
		return -1;
	return b->ops->cleanup_stale(b, parent, err);
}

int cgroup_cleanup_dir(const char *parent_dir)
{
	return cgroup_sweep_dir(parent_dir, NULL, NULL, NULL);
}

int cgroup_sweep_dir(const char *parent_dir, const struct cg_sweep *how,
		     void (*removed)(void *ctx, const char *path), void *ctx)
{
	cleanup_dir DIR *d = opendir(parent_dir);
	if (d == NULL)
		return errno == ENOENT || errno == EACCES ? 0 : -errno;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_type != DT_DIR || strncmp(e->d_name, "stratbox-", 9) != 0)
			continue;
		if (!cgroup_name_is_stale(e->d_name))
			continue;
		char path[1200];
		snprintf(path, sizeof(path), "%s/%s", parent_dir, e->d_name);
		if (how != NULL && how->older_than_ns > 0) {
			/* a cgroup directory's ctime is when it was made: the
			 * kernel never changes it afterwards */
			struct stat st;
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			if (stat(path, &st) < 0 ||
			    (uint64_t) (now.tv_sec - st.st_ctim.tv_sec) * 1000000000ull <
				    how->older_than_ns)
				continue;
		}
		if (how != NULL && how->dry_run) {
			n++;
			if (removed != NULL)
				removed(ctx, path);
			continue;
		}
		kill_members(path);
		if (cgroup_rmdir_retry(path) == 0) {
			n++;
			if (removed != NULL)
				removed(ctx, path);
		}
	}
	return n;
}

unsigned long long cgroup_keyed(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return strtoull(p + kl + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

int sbx_cgroup_probe(const char *parent, struct sbx_cgroup_report *out, sbx_error **err)
{
	memset(out, 0, sizeof(*out));
	const struct cgroup_backend *b = cgroup_backend_get(err);
	snprintf(out->backend, sizeof(out->backend), "%s", b->ops->name);
	if (b->version == 0) {
		snprintf(out->problem, sizeof(out->problem), "%s", b->why_none);
		snprintf(out->layout, sizeof(out->layout), "no usable cgroup hierarchy");
		return 0;
	}
	size_t off = 0;
	for (int i = 0; i < b->nh; i++) {
		int n = snprintf(out->layout + off, sizeof(out->layout) - off, "%s%s", off ? ", " : "",
				 b->h[i].mount);
		if (n < 0 || (size_t) n >= sizeof(out->layout) - off)
			break;
		off += (size_t) n;
	}
	char *p = cgroup_parent_dir(&b->h[0], parent);
	snprintf(out->parent, sizeof(out->parent), "%s", p ? p : "?");
	free(p);
	char name[64];
	struct cg_limits lim = { SBX_DEFAULT_MEMORY, SBX_DEFAULT_PIDS, SBX_DEFAULT_MILLICPUS, true };
	struct sbx_cgroup *cg = NULL;
	if (cgroup_job_name(name, sizeof(name)) < 0)
		return sbx_error_set(err, errno, "cgroup name");
	sbx_error *cerr = NULL;
	if (b->ops->create(b, parent, name, &lim, &cg, &cerr) < 0) {
		snprintf(out->problem, sizeof(out->problem), "%s", cerr->msg);
		sbx_error_free(cerr);
		return 0;
	}
	out->memory = cg->usable & CG_MEMORY;
	out->pids = cg->usable & CG_PIDS;
	out->cpu = cg->usable & CG_CPU;
	if (!(out->memory && out->pids && out->cpu))
		snprintf(out->problem, sizeof(out->problem),
			 "cannot create job cgroups with every controller under %s (not delegated "
			 "to uid %u)",
			 out->parent, (unsigned) geteuid());
	return b->ops->destroy(cg, err);
}
