/* cgroup v2 backend: one directory in the unified hierarchy.
 *
 * Controllers must be enabled in the parent's cgroup.subtree_control before
 * a child can use them; we enable the ones we need if the parent lets us.
 * The "no internal processes" rule means a parent that itself holds
 * processes (other than the root) refuses that with EBUSY: then the limit
 * is reported as unenforced, with the remedy (a delegated parent, e.g.
 * `systemd-run --user -p Delegate=yes`, passed as --cgroup-parent).
 *
 * memory.oom.group makes the OOM killer take the whole job at once, and
 * cgroup.kill (Linux 5.14) kills every member atomically.
 */
#include "common/util.h"
#include "sandbox/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int wr(const char *dir, const char *file, const char *val)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return write_file_at(AT_FDCWD, path, val);
}

/* Enable what we need in the parent; returns the controllers a child of
 * the parent can use. */
static unsigned enable_in_parent(const char *pdir)
{
	char path[1200], buf[512];
	snprintf(path, sizeof(path), "%s/cgroup.controllers", pdir);
	if (read_file_at(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		return 0;
	unsigned avail = cgroup_controller_mask(buf);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", pdir);
	if (read_file_at(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		return 0;
	unsigned enabled = cgroup_controller_mask(buf);
	static const struct {
		unsigned bit;
		const char *name;
	} ctl[] = { { CG_MEMORY, "+memory" }, { CG_PIDS, "+pids" }, { CG_CPU, "+cpu" } };
	for (size_t i = 0; i < ARRAY_SIZE(ctl); i++) {
		if (!(avail & ctl[i].bit) || (enabled & ctl[i].bit))
			continue;
		if (write_file_at(AT_FDCWD, path, ctl[i].name) == 0)
			enabled |= ctl[i].bit;
	}
	return enabled;
}

static int open_event(struct sbx_cgroup *cg, const char *file)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", cg->dirs[0], file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && cg->nevent < (int) ARRAY_SIZE(cg->event_fd))
		cg->event_fd[cg->nevent++] = fd;
	else if (fd >= 0)
		close(fd);
	return 0;
}

static int v2_destroy(struct sbx_cgroup *cg, sbx_error **err)
{
	int ret = 0;
	if (cg->ndirs > 0) {
		int r = cgroup_rmdir_retry(cg->dirs[0]);
		if (r < 0)
			ret = sbx_error_set(err, -r, "remove cgroup %s", cg->dirs[0]);
	}
	cgroup_free(cg);
	return ret;
}

static int v2_create(const struct cgroup_backend *b, const char *parent, const char *name,
		     const struct cg_limits *lim, struct sbx_cgroup **out, sbx_error **err)
{
	struct sbx_cgroup *cg = calloc(1, sizeof(*cg));
	if (cg == NULL)
		return sbx_error_set(err, ENOMEM, "cgroup");
	cg->b = b;
	cg->dir_fd = -1;
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	cleanup_free char *pdir = cgroup_parent_dir(&b->h[0], parent);
	char *dir = pdir ? str_printf("%s/%s", pdir, name) : NULL;
	if (dir == NULL) {
		free(cg);
		return sbx_error_set(err, ENOMEM, "cgroup path");
	}
	if (mkdir(dir, 0755) < 0) {
		int e = errno;
		free(dir);
		if (geteuid() != 0 && parent == NULL && (e == EACCES || e == EPERM || e == EROFS)) {
			*out = cg; /* nothing usable: reported as unenforced */
			return 0;
		}
		free(cg);
		return sbx_error_set(err, e, "create cgroup in %s", pdir);
	}
	cg->dirs[0] = dir;
	cg->ndirs = 1;
	/* CPU time is always accounted in cpu.stat. */
	cg->usable = enable_in_parent(pdir) | CG_CPUACCT;

	char val[64];
	int r = 0;
	if ((cg->usable & CG_MEMORY) && lim->memory) {
		snprintf(val, sizeof(val), "%llu", (unsigned long long) lim->memory);
		r = wr(dir, "memory.max", val);
		/* no swap; the file is absent without swap accounting */
		if (r == 0 && wr(dir, "memory.swap.max", "0") < 0 && errno != ENOENT)
			r = -errno;
		/* an OOM kill takes the whole job, not one random process */
		if (r == 0)
			(void) wr(dir, "memory.oom.group", "1");
		if (r == 0)
			open_event(cg, "memory.events");
	}
	if (r == 0 && (cg->usable & CG_PIDS) && lim->pids) {
		snprintf(val, sizeof(val), "%llu", (unsigned long long) lim->pids);
		r = wr(dir, "pids.max", val);
		if (r == 0)
			open_event(cg, "pids.events");
	}
	if (r == 0 && (cg->usable & CG_CPU) && lim->millicpus) {
		snprintf(val, sizeof(val), "%llu %u", (unsigned long long) lim->millicpus * 100,
			 CG_CPU_PERIOD_US);
		r = wr(dir, "cpu.max", val);
	}
	if (r < 0) {
		sbx_error_set(err, -r, "set limits in %s", dir);
		v2_destroy(cg, NULL);
		return -1;
	}
	/* what is in force now (set_limits writes only what changes) */
	cg->set.memory = (cg->usable & CG_MEMORY) ? lim->memory : 0;
	cg->set.pids = (cg->usable & CG_PIDS) ? lim->pids : 0;
	cg->set.millicpus = (cg->usable & CG_CPU) ? lim->millicpus : 0;
	*out = cg;
	return 0;
}

static int v2_attach(struct sbx_cgroup *cg, pid_t pid, sbx_error **err)
{
	if (cg->ndirs == 0)
		return 0;
	char val[24];
	snprintf(val, sizeof(val), "%d", (int) pid);
	int r = wr(cg->dirs[0], "cgroup.procs", val);
	if (r < 0)
		return sbx_error_set(err, -r, "attach %d to %s", (int) pid, cg->dirs[0]);
	return 0;
}

static int v2_set_limits(struct sbx_cgroup *cg, const struct cg_limits *lim, sbx_error **err)
{
	if (cg->ndirs == 0)
		return 0;
	char val[64];
	int r = 0;
	if ((cg->usable & CG_MEMORY) && lim->memory && lim->memory != cg->set.memory) {
		snprintf(val, sizeof(val), "%llu", (unsigned long long) lim->memory);
		r = wr(cg->dirs[0], "memory.max", val);
		if (r == 0)
			cg->set.memory = lim->memory;
	}
	if (r == 0 && (cg->usable & CG_PIDS) && lim->pids && lim->pids != cg->set.pids) {
		snprintf(val, sizeof(val), "%llu", (unsigned long long) lim->pids);
		r = wr(cg->dirs[0], "pids.max", val);
		if (r == 0)
			cg->set.pids = lim->pids;
	}
	if (r == 0 && (cg->usable & CG_CPU) && lim->millicpus && lim->millicpus != cg->set.millicpus) {
		snprintf(val, sizeof(val), "%llu %u", (unsigned long long) lim->millicpus * 100,
			 CG_CPU_PERIOD_US);
		r = wr(cg->dirs[0], "cpu.max", val);
		if (r == 0)
			cg->set.millicpus = lim->millicpus;
	}
	return r < 0 ? sbx_error_set(err, -r, "set limits in %s", cg->dirs[0]) : 0;
}

static int v2_clone_into_fd(struct sbx_cgroup *cg)
{
	if (cg->ndirs == 0)
		return -1;
	if (cg->dir_fd < 0)
		cg->dir_fd = open(cg->dirs[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
	return cg->dir_fd;
}

static int v2_event_fds(struct sbx_cgroup *cg, int *fds, short *events, int max)
{
	int n = 0;
	for (int i = 0; i < cg->nevent && n < max; i++) {
		fds[n] = cg->event_fd[i];
		events[n++] = POLLPRI;
	}
	return n;
}

static int v2_read_stats(struct sbx_cgroup *cg, struct cg_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (cg->ndirs == 0)
		return 0;
	const char *d = cg->dirs[0];
	char buf[2048];
	if (cgroup_read_stat(cg, CGS_CPU_STAT, d, "cpu.stat", buf, sizeof(buf)) >= 0) {
		st->cpu_usage_ns = cgroup_keyed(buf, "usage_usec") * 1000;
		st->cpu_user_ns = cgroup_keyed(buf, "user_usec") * 1000;
		st->cpu_sys_ns = cgroup_keyed(buf, "system_usec") * 1000;
		st->throttled_ns = cgroup_keyed(buf, "throttled_usec") * 1000;
		st->have_cpu = true;
	}
	if (cg->usable & CG_MEMORY) {
		if (cgroup_read_stat(cg, CGS_MEM_PEAK, d, "memory.peak", buf, sizeof(buf)) >= 0)
			st->memory_peak = strtoull(buf, NULL, 10);
		if (cgroup_read_stat(cg, CGS_MEM_EVENTS, d, "memory.events", buf, sizeof(buf)) >= 0) {
			st->oom_kills = cgroup_keyed(buf, "oom_kill");
			st->have_memory = true;
		}
	}
	if ((cg->usable & CG_PIDS) &&
	    cgroup_read_stat(cg, CGS_PIDS_EVENTS, d, "pids.events", buf, sizeof(buf)) >= 0) {
		st->pids_max_events = cgroup_keyed(buf, "max");
		st->have_pids = true;
	}
	return 0;
}

/* memory.peak is reset by writing to it (Linux 6.12), for reads through
 * the descriptor that wrote: that one becomes the kept descriptor. */
static int v2_reset_peak(struct sbx_cgroup *cg)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/memory.peak", cg->dirs[0]);
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (write(fd, "reset\n", 6) != 6) {
		close(fd);
		return -1;
	}
	if (cg->stat_open & (1u << CGS_MEM_PEAK))
		close(cg->stat_fd[CGS_MEM_PEAK]);
	cg->stat_fd[CGS_MEM_PEAK] = fd;
	cg->stat_open |= 1u << CGS_MEM_PEAK;
	return 0;
}

static int v2_recycle(struct sbx_cgroup *cg)
{
	if (cg->ndirs == 0)
		return -1;
	const char *d = cg->dirs[0];
	char buf[512];
	/* Empty: pids.current counts a task until it is reaped; without the
	 * pids controller, cgroup.events says whether anything is left. */
	if (cg->usable & CG_PIDS) {
		if (cgroup_read_stat(cg, CGS_PIDS_CURRENT, d, "pids.current", buf, sizeof(buf)) < 0 ||
		    strtoull(buf, NULL, 10) != 0)
			return -1;
	} else {
		char path[1200];
		snprintf(path, sizeof(path), "%s/cgroup.events", d);
		if (read_file_at(AT_FDCWD, path, buf, sizeof(buf)) < 0 || cgroup_keyed(buf, "populated") != 0)
			return -1;
	}
	if (cg->usable & CG_MEMORY) {
		if (cgroup_read_stat(cg, CGS_MEM_USAGE, d, "memory.current", buf, sizeof(buf)) < 0 ||
		    strtoull(buf, NULL, 10) > CG_RECYCLE_MAX_CHARGE || v2_reset_peak(cg) < 0)
			return -1;
	}
	return 0;
}

static int v2_kill_all(struct sbx_cgroup *cg)
{
	if (cg->ndirs == 0)
		return 0;
	if (wr(cg->dirs[0], "cgroup.kill", "1") == 0)
		return 0;
	/* Before Linux 5.14: sweep the member list. */
	int n = cgroup_kill_listed(cg->dirs[0]);
	return n < 0 ? n : 0;
}

static int v2_cleanup_stale(const struct cgroup_backend *b, const char *parent, sbx_error **err)
{
	(void) err;
	cleanup_free char *pdir = cgroup_parent_dir(&b->h[0], parent);
	return pdir ? cgroup_cleanup_dir(pdir) : 0;
}

const struct cgroup_ops cgroup_v2_ops = {
	.name = "v2",
	.create = v2_create,
	.attach = v2_attach,
	.clone_into_fd = v2_clone_into_fd,
	.set_limits = v2_set_limits,
	.event_fds = v2_event_fds,
	.read_stats = v2_read_stats,
	.kill_all = v2_kill_all,
	.recycle = v2_recycle,
	.destroy = v2_destroy,
	.cleanup_stale = v2_cleanup_stale,
};
