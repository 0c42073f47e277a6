/* cgroup v1 backend: one directory per hierarchy that holds a controller
 * we use (memory, pids, cpu, cpuacct; cpu and cpuacct may be co-mounted).
 *
 * Evidence on v1: the OOM killer's work shows in the `oom_kill` counter of
 * memory.oom_control (memory.failcnt stays 0 once memory+swap is limited,
 * because reclaim, not the charge, fails); forks refused by the pids limit
 * in pids.events.  Both files notify: the OOM counter through an eventfd
 * registered in cgroup.event_control, pids.events through poll(POLLPRI).
 */
#include "common/util.h"
#include "sandbox/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

/* Index of the job directory that holds controller c, or -1. */
static int dir_for(const struct sbx_cgroup *cg, const unsigned *ctl, unsigned c)
{
	for (int i = 0; i < cg->ndirs; i++)
		if (ctl[i] & c)
			return i;
	return -1;
}

static unsigned long long read_u64(const char *dir, const char *file, bool *ok);

struct v1_job {
	struct sbx_cgroup cg;
	unsigned ctl[8]; /* controllers per dirs[i] */
};

static int write_limit(const char *dir, const char *file, unsigned long long v, sbx_error **err)
{
	char path[1200], val[32];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(val, sizeof(val), "%llu", v);
	int r = write_file_at(AT_FDCWD, path, val);
	if (r < 0)
		return sbx_error_set(err, -r, "write %s to %s", val, path);
	return 0;
}

static int v1_setup_dir(struct v1_job *j, int i, const struct cg_limits *lim, sbx_error **err)
{
	const char *d = j->cg.dirs[i];
	unsigned ctl = j->ctl[i];
	if ((ctl & CG_MEMORY) && lim->memory) {
		if (write_limit(d, "memory.limit_in_bytes", lim->memory, err) < 0)
			return -1;
		/* memory+swap at the same value: no swap at all.  Absent when
		 * the kernel does not account swap, and then nothing swaps
		 * into this cgroup's account either. */
		char path[1200];
		snprintf(path, sizeof(path), "%s/memory.memsw.limit_in_bytes", d);
		if (access(path, F_OK) == 0 &&
		    write_limit(d, "memory.memsw.limit_in_bytes", lim->memory, err) < 0)
			return -1;
		/* Tell us when the OOM killer acts. */
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		snprintf(path, sizeof(path), "%s/memory.oom_control", d);
		int ofd = open(path, O_RDONLY | O_CLOEXEC);
		if (efd >= 0 && ofd >= 0) {
			char reg[32], ctlpath[1200];
			snprintf(reg, sizeof(reg), "%d %d", efd, ofd);
			snprintf(ctlpath, sizeof(ctlpath), "%s/cgroup.event_control", d);
			if (write_file_at(AT_FDCWD, ctlpath, reg) == 0) {
				j->cg.event_fd[j->cg.nevent++] = efd;
				efd = -1;
			}
		}
		if (efd >= 0)
			close(efd);
		if (ofd >= 0)
			close(ofd);
		j->cg.set.memory = lim->memory;
	}
	if ((ctl & CG_PIDS) && lim->pids) {
		if (write_limit(d, "pids.max", lim->pids, err) < 0)
			return -1;
		char path[1200];
		snprintf(path, sizeof(path), "%s/pids.events", d);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			j->cg.event_fd[j->cg.nevent++] = fd;
		j->cg.set.pids = lim->pids;
	}
	if ((ctl & CG_CPU) && lim->millicpus) {
		if (write_limit(d, "cpu.cfs_period_us", CG_CPU_PERIOD_US, err) < 0 ||
		    write_limit(d, "cpu.cfs_quota_us", lim->millicpus * 100, err) < 0)
			return -1;
		j->cg.set.millicpus = lim->millicpus;
	}
	return 0;
}

static int v1_destroy(struct sbx_cgroup *cg, sbx_error **err)
{
	int ret = 0;
	for (int i = cg->ndirs - 1; i >= 0; i--) {
		int r = cgroup_rmdir_retry(cg->dirs[i]);
		if (r < 0 && ret == 0)
			ret = sbx_error_set(err, -r, "remove cgroup %s", cg->dirs[i]);
	}
	cgroup_free(cg);
	return ret;
}

static int v1_create(const struct cgroup_backend *b, const char *parent, const char *name,
		     const struct cg_limits *lim, struct sbx_cgroup **out, sbx_error **err)
{
	struct v1_job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return sbx_error_set(err, ENOMEM, "cgroup");
	j->cg.b = b;
	j->cg.dir_fd = -1;
	snprintf(j->cg.name, sizeof(j->cg.name), "%s", name);
	bool root = geteuid() == 0;

	for (int i = 0; i < b->nh; i++) {
		const struct cg_hierarchy *h = &b->h[i];
		unsigned want = h->controllers & (CG_MEMORY | CG_PIDS | CG_CPU | CG_CPUACCT);
		if (want == CG_CPUACCT && !lim->cpu_usage)
			continue; /* a hierarchy of its own, not needed for this job */
		if (want == 0)
			continue;
		cleanup_free char *pdir = cgroup_parent_dir(h, parent);
		char *dir = pdir ? str_printf("%s/%s", pdir, name) : NULL;
		if (dir == NULL) {
			v1_destroy(&j->cg, NULL);
			return sbx_error_set(err, ENOMEM, "cgroup path");
		}
		if (mkdir(dir, 0755) < 0) {
			int e = errno;
			free(dir);
			/* Without root and without a delegated parent the limit
			 * is reported as unenforced; with either, it's an error. */
			if (!root && parent == NULL && (e == EACCES || e == EPERM || e == EROFS))
				continue;
			v1_destroy(&j->cg, NULL);
			return sbx_error_set(err, e, "create cgroup in %s", pdir);
		}
		j->cg.dirs[j->cg.ndirs] = dir;
		j->ctl[j->cg.ndirs] = want;
		j->cg.ndirs++;
		j->cg.usable |= want;
		if (v1_setup_dir(j, j->cg.ndirs - 1, lim, err) < 0) {
			v1_destroy(&j->cg, NULL);
			return -1;
		}
	}
	*out = &j->cg;
	return 0;
}

static int v1_attach(struct sbx_cgroup *cg, pid_t pid, sbx_error **err)
{
	char val[24];
	snprintf(val, sizeof(val), "%d", (int) pid);
	for (int i = 0; i < cg->ndirs; i++) {
		char path[1200];
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dirs[i]);
		int r = write_file_at(AT_FDCWD, path, val);
		if (r < 0)
			return sbx_error_set(err, -r, "attach %d to %s", (int) pid, cg->dirs[i]);
	}
	return 0;
}

static int v1_join_fds(struct sbx_cgroup *cg, int *fds, int max, sbx_error **err)
{
	int n = 0;
	for (int i = 0; i < cg->ndirs; i++) {
		char path[1200];
		snprintf(path, sizeof(path), "%s/tasks", cg->dirs[i]);
		int fd = n < max ? open(path, O_WRONLY | O_CLOEXEC) : -1;
		if (fd < 0) {
			int e = n < max ? errno : E2BIG;
			while (n > 0)
				close(fds[--n]);
			return sbx_error_set(err, e, "open %s", path);
		}
		fds[n++] = fd;
	}
	return n;
}

static int v1_set_limits(struct sbx_cgroup *cg, const struct cg_limits *lim, sbx_error **err)
{
	struct v1_job *j = (struct v1_job *) cg;
	int i = dir_for(cg, j->ctl, CG_MEMORY);
	if (i >= 0 && lim->memory && lim->memory != cg->set.memory) {
		/* memory+swap may never be below memory: raise it first when
		 * growing, lower it second when shrinking */
		bool ok = true;
		unsigned long long cur = cg->set.memory ? cg->set.memory
						       : read_u64(cg->dirs[i], "memory.limit_in_bytes", &ok);
		char path[1200];
		snprintf(path, sizeof(path), "%s/memory.memsw.limit_in_bytes", cg->dirs[i]);
		bool memsw = access(path, F_OK) == 0;
		if (lim->memory > cur) {
			if ((memsw && write_limit(cg->dirs[i], "memory.memsw.limit_in_bytes", lim->memory, err) < 0) ||
			    write_limit(cg->dirs[i], "memory.limit_in_bytes", lim->memory, err) < 0)
				return -1;
		} else if (write_limit(cg->dirs[i], "memory.limit_in_bytes", lim->memory, err) < 0 ||
			   (memsw && write_limit(cg->dirs[i], "memory.memsw.limit_in_bytes", lim->memory, err) < 0)) {
			return -1;
		}
		cg->set.memory = lim->memory;
	}
	i = dir_for(cg, j->ctl, CG_PIDS);
	if (i >= 0 && lim->pids && lim->pids != cg->set.pids) {
		if (write_limit(cg->dirs[i], "pids.max", lim->pids, err) < 0)
			return -1;
		cg->set.pids = lim->pids;
	}
	i = dir_for(cg, j->ctl, CG_CPU);
	if (i >= 0 && lim->millicpus && lim->millicpus != cg->set.millicpus) {
		if (write_limit(cg->dirs[i], "cpu.cfs_quota_us", lim->millicpus * 100, err) < 0)
			return -1;
		cg->set.millicpus = lim->millicpus;
	}
	return 0;
}

static int v1_event_fds(struct sbx_cgroup *cg, int *fds, short *events, int max)
{
	int n = 0;
	for (int i = 0; i < cg->nevent && n < max; i++) {
		fds[n] = cg->event_fd[i];
		/* eventfd: readable; kernfs file: priority event */
		struct stat st;
		bool is_file = fstat(cg->event_fd[i], &st) == 0 && S_ISREG(st.st_mode);
		events[n++] = is_file ? POLLPRI : POLLIN;
	}
	return n;
}

static unsigned long long read_u64(const char *dir, const char *file, bool *ok)
{
	char path[1200], buf[64];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_file_at(AT_FDCWD, path, buf, sizeof(buf)) < 0) {
		*ok = false;
		return 0;
	}
	return strtoull(buf, NULL, 10);
}

/* One counter through the cgroup's kept descriptors. */
static unsigned long long stat_u64(struct sbx_cgroup *cg, enum cg_stat_file which, int i,
				   const char *file, bool *ok)
{
	char buf[64];
	if (cgroup_read_stat(cg, which, cg->dirs[i], file, buf, sizeof(buf)) < 0) {
		*ok = false;
		return 0;
	}
	return strtoull(buf, NULL, 10);
}

static int v1_read_stats(struct sbx_cgroup *cg, struct cg_stats *st)
{
	struct v1_job *j = (struct v1_job *) cg;
	char buf[2048];
	memset(st, 0, sizeof(*st));
	int i = dir_for(cg, j->ctl, CG_CPUACCT);
	if (i >= 0) {
		bool ok = true;
		st->cpu_usage_ns = stat_u64(cg, CGS_CPU_USAGE, i, "cpuacct.usage", &ok);
		st->cpu_user_ns = stat_u64(cg, CGS_CPU_USER, i, "cpuacct.usage_user", &ok);
		st->cpu_sys_ns = stat_u64(cg, CGS_CPU_SYS, i, "cpuacct.usage_sys", &ok);
		st->have_cpu = ok;
	}
	i = dir_for(cg, j->ctl, CG_CPU);
	if (i >= 0 && cgroup_read_stat(cg, CGS_CPU_STAT, cg->dirs[i], "cpu.stat", buf, sizeof(buf)) >= 0)
		st->throttled_ns = cgroup_keyed(buf, "throttled_time");
	i = dir_for(cg, j->ctl, CG_MEMORY);
	if (i >= 0) {
		bool ok = true;
		st->memory_peak = stat_u64(cg, CGS_MEM_PEAK, i, "memory.max_usage_in_bytes", &ok);
		if (cgroup_read_stat(cg, CGS_MEM_EVENTS, cg->dirs[i], "memory.oom_control", buf,
				     sizeof(buf)) >= 0)
			st->oom_kills = cgroup_keyed(buf, "oom_kill");
		else
			ok = false;
		st->have_memory = ok;
	}
	i = dir_for(cg, j->ctl, CG_PIDS);
	if (i >= 0 && cgroup_read_stat(cg, CGS_PIDS_EVENTS, cg->dirs[i], "pids.events", buf,
				       sizeof(buf)) >= 0) {
		st->pids_max_events = cgroup_keyed(buf, "max");
		st->have_pids = true;
	}
	return 0;
}

static int v1_recycle(struct sbx_cgroup *cg)
{
	struct v1_job *j = (struct v1_job *) cg;
	/* Empty: the pids controller uncharges a task only once it has been
	 * reaped, so 0 means every process of the last job is gone. */
	int i = dir_for(cg, j->ctl, CG_PIDS);
	bool ok = true;
	if (i < 0 || stat_u64(cg, CGS_PIDS_CURRENT, i, "pids.current", &ok) != 0 || !ok)
		return -1;
	i = dir_for(cg, j->ctl, CG_MEMORY);
	if (i >= 0) {
		if (stat_u64(cg, CGS_MEM_USAGE, i, "memory.usage_in_bytes", &ok) > CG_RECYCLE_MAX_CHARGE ||
		    !ok)
			return -1;
		/* the high-water mark starts again from what is charged now */
		if (write_limit(cg->dirs[i], "memory.max_usage_in_bytes", 0, NULL) < 0)
			return -1;
	}
	return 0;
}

static int v1_kill_all(struct sbx_cgroup *cg)
{
	/* v1 has no cgroup.kill.  The pid namespace already guarantees that
	 * nothing outlives the sandbox's init; this sweep is a second layer
	 * for anything that reached the cgroup some other way. */
	for (int i = 0; i < cg->ndirs; i++)
		(void) cgroup_kill_listed(cg->dirs[i]);
	return 0;
}

static int v1_cleanup_stale(const struct cgroup_backend *b, const char *parent, sbx_error **err)
{
	(void) err;
	int removed = 0;
	for (int i = 0; i < b->nh; i++) {
		cleanup_free char *pdir = cgroup_parent_dir(&b->h[i], parent);
		if (pdir == NULL)
			continue;
		int r = cgroup_cleanup_dir(pdir);
		if (r > 0)
			removed += r;
	}
	return removed;
}

const struct cgroup_ops cgroup_v1_ops = {
	.name = "v1",
	.create = v1_create,
	.attach = v1_attach,
	.join_fds = v1_join_fds,
	.set_limits = v1_set_limits,
	.event_fds = v1_event_fds,
	.read_stats = v1_read_stats,
	.kill_all = v1_kill_all,
	.recycle = v1_recycle,
	.destroy = v1_destroy,
	.cleanup_stale = v1_cleanup_stale,
};
