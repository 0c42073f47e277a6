/* The run directory's housekeeping (docs/operations.md): what a dead
 * supervisor left (the sweep every start does, and `stratbox cleanup`),
 * and `stratbox kill`.  registry.c writes and reads the entries.
 *
 * Nothing here removes what a live supervisor holds: an entry goes only
 * once its lock could be taken, a cgroup only when its name says its maker
 * is gone (cgroup_name_is_stale), a process is signalled only when its pid
 * and start time are the ones recorded, and a temporary file only when it
 * has a name stratbox gives and has not been touched for a while. */
#include "common/util.h"
#include "sandbox/registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* an entry being written by a live supervisor takes microseconds: one
 * older than this was left by a supervisor that died mid-way */
#define NEW_ENTRY_GRACE_NS (10ull * 1000000000ull)
/* how long `kill` waits for a supervisor to end what it was asked to */
#define KILL_WAIT_NS (5ull * 1000000000ull)
#define POOL_STOP_WAIT_NS (30ull * 1000000000ull)

/* ---- removing what a dead supervisor left ------------------------------ */

struct sweep {
	uint64_t older_than_ns; /* entries, cgroups */
	bool dry_run;
	void (*removed)(void *ctx, const char *what, const char *path);
	void *ctx;
	const char *dir;
	int n;
	/* a dry run meets a cgroup more than once (in its entry, in its
	 * pool's parent, in ours): named once */
	char **named;
	size_t nnamed;
};

static void said(struct sweep *sw, const char *what, const char *path)
{
	if (sw->dry_run) {
		for (size_t i = 0; i < sw->nnamed; i++)
			if (strcmp(sw->named[i], path) == 0)
				return;
		char **more = realloc(sw->named, (sw->nnamed + 1) * sizeof(*more));
		if (more != NULL) {
			sw->named = more;
			if ((more[sw->nnamed] = strdup(path)) != NULL)
				sw->nnamed++;
		}
	}
	sw->n++;
	if (sw->removed != NULL)
		sw->removed(sw->ctx, what, path);
}

static void said_cgroup(void *ctx, const char *path)
{
	said(ctx, "cgroup", path);
}

/* A pidfd of a process only if it is still the one recorded: the pidfd
 * pins the pid, the start time (read after opening it) proves it is that
 * one.  -errno otherwise. */
static int pidfd_verified(pid_t pid, unsigned long long start)
{
	if (pid <= 0 || start == 0)
		return -ESRCH;
	int pfd = (int) syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return -errno;
	unsigned long long now = 0;
	if (proc_starttime(pid, &now) < 0 || now != start) {
		close(pfd);
		return -ESRCH;
	}
	return pfd;
}

static int signal_verified(pid_t pid, unsigned long long start, int sig)
{
	int pfd = pidfd_verified(pid, start);
	if (pfd < 0)
		return pfd;
	int r = syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) == 0 ? 0 : -errno;
	close(pfd);
	return r;
}

static bool old_enough(double created, uint64_t older_than_ns)
{
	return older_than_ns == 0 || (registry_now() - created) * 1e9 >= (double) older_than_ns;
}

/* Remove one stale entry (locked by us through fd) and what it names. */
static void remove_stale(int dfd, const char *id, const struct sbx_entry *e, struct sweep *sw)
{
	char path[PATH_MAX + 32];
	if (!sw->dry_run) {
		/* the init dies with its supervisor (PR_SET_PDEATHSIG); one
		 * that did not is still exactly the recorded process */
		signal_verified(e->pid, e->pid_start, SIGKILL);
		struct cg_sweep how = { sw->older_than_ns, false };
		for (int i = 0; i < e->ncgroup; i++) {
			const char *base = strrchr(e->cgroup[i], '/');
			if (base == NULL || !cgroup_name_is_stale(base + 1))
				continue; /* not ours, or its maker lives */
			const char *cg = e->cgroup[i];
			if (access(cg, F_OK) == 0 && cgroup_rmdir_retry(cg) == 0)
				said(sw, "cgroup", cg);
		}
		for (int i = 0; i < e->ncgroup_parent; i++)
			cgroup_sweep_dir(e->cgroup_parent[i], &how, said_cgroup, sw);
	} else {
		for (int i = 0; i < e->ncgroup; i++) {
			const char *base = strrchr(e->cgroup[i], '/');
			if (base != NULL && cgroup_name_is_stale(base + 1) &&
			    access(e->cgroup[i], F_OK) == 0)
				said(sw, "cgroup", e->cgroup[i]);
		}
		struct cg_sweep how = { sw->older_than_ns, true };
		for (int i = 0; i < e->ncgroup_parent; i++)
			cgroup_sweep_dir(e->cgroup_parent[i], &how, said_cgroup, sw);
	}
	char name[32];
	snprintf(name, sizeof(name), "%s.kill", id);
	if (!sw->dry_run)
		unlinkat(dfd, name, 0); /* part of the entry */
	snprintf(name, sizeof(name), "%s.entry", id);
	snprintf(path, sizeof(path), "%s/%s", sw->dir, name);
	if (sw->dry_run || unlinkat(dfd, name, 0) == 0)
		said(sw, "run entry", path);
}

/* Leftovers that are not whole entries: an entry never renamed into place,
 * a kill FIFO whose entry is gone. */
static void sweep_partial(int dfd, const char *name, struct sweep *sw)
{
	char path[PATH_MAX + 32], other[40];
	snprintf(path, sizeof(path), "%s/%s", sw->dir, name);
	if (strncmp(name, ".new-", 5) == 0 && registry_valid_id(name + 5, strlen(name + 5))) {
		struct stat st;
		int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return;
		bool stale = flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 &&
			     st.st_nlink > 0 &&
			     old_enough((double) st.st_mtim.tv_sec,
					sw->older_than_ns > NEW_ENTRY_GRACE_NS ? sw->older_than_ns
									 : NEW_ENTRY_GRACE_NS);
		if (stale && (sw->dry_run || unlinkat(dfd, name, 0) == 0))
			said(sw, "unfinished run entry", path);
		close(fd);
		return;
	}
	size_t len = strlen(name);
	if (len == ID_LEN + 5 && strcmp(name + ID_LEN, ".kill") == 0 &&
	    registry_valid_id(name, ID_LEN)) {
		/* its supervisor makes it after .new-ID and removes it after
		 * ID.entry: with neither, nobody will read it */
		snprintf(other, sizeof(other), "%.*s.entry", ID_LEN, name);
		if (faccessat(dfd, other, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			return;
		snprintf(other, sizeof(other), ".new-%.*s", ID_LEN, name);
		if (faccessat(dfd, other, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			return;
		if (sw->dry_run || unlinkat(dfd, name, 0) == 0)
			said(sw, "kill FIFO", path);
	}
}

static void sweep_fd(int dfd, struct sweep *sw)
{
	int dup = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
	if (d == NULL) {
		if (dup >= 0)
			close(dup);
		return;
	}
	/* a dup shares the directory's offset: another pass must start over */
	rewinddir(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char id[ID_LEN + 1];
		if (!registry_entry_name(de->d_name, id)) {
			if (de->d_name[0] != '.' || strncmp(de->d_name, ".new-", 5) == 0)
				sweep_partial(dfd, de->d_name, sw);
			continue;
		}
		struct sbx_entry e;
		int fd = registry_open_entry(dfd, de->d_name, true, &e);
		if (fd < 0)
			continue;
		if (e.stale && old_enough(e.created, sw->older_than_ns))
			remove_stale(dfd, id, &e, sw);
		close(fd);
	}
	closedir(d);
}

void registry_sweep(void)
{
	char dir[PATH_MAX];
	if (sbx_run_dir(dir, sizeof(dir), NULL) < 0)
		return;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return; /* none yet: nothing to sweep */
	struct stat st;
	if (fstat(dfd, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 022) == 0) {
		struct sweep sw = { .dir = dir };
		sweep_fd(dfd, &sw);
	}
	close(dfd);
}

/* ---- kill ------------------------------------------------------------ */

/* Whether the entry is gone now; a stale one (its supervisor died after
 * being asked) is removed here. */
static bool entry_gone(int dfd, const char *dir, const char *id)
{
	char name[32];
	snprintf(name, sizeof(name), "%s.entry", id);
	struct sbx_entry e;
	int fd = registry_open_entry(dfd, name, true, &e);
	if (fd < 0)
		return true;
	if (e.stale) {
		struct sweep sw = { .dir = dir };
		remove_stale(dfd, id, &e, &sw);
		close(fd);
		return true;
	}
	close(fd);
	return false;
}

static bool wait_gone(int dfd, const char *dir, const char *id, uint64_t ns)
{
	uint64_t deadline = now_ns() + ns;
	while (!entry_gone(dfd, dir, id)) {
		if (now_ns() >= deadline)
			return false;
		struct timespec ts = { 0, 10000000L };
		nanosleep(&ts, NULL);
	}
	return true;
}

static int find_entry(int dfd, const char *dir, const char *id, struct sbx_entry *out,
		      sbx_error **err)
{
	struct sbx_entry *all = NULL;
	size_t n = 0;
	if (registry_list(dfd, false, &all, &n, err) < 0)
		return -1;
	int found = -1, matches = 0;
	size_t idl = strlen(id);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(all[i].id, id) == 0) {
			found = (int) i;
			matches = 1;
			break;
		}
		if (idl > 0 && strncmp(all[i].id, id, idl) == 0) {
			found = (int) i;
			matches++;
		}
	}
	if (matches == 1)
		*out = all[found];
	free(all);
	if (matches == 0)
		return sbx_error_set(err, 0, "no sandbox or pool with id '%s' in %s (see stratbox ps)",
				     id, dir);
	if (matches > 1)
		return sbx_error_set(err, 0, "id '%s' is ambiguous: give more of it", id);
	if (out->stale)
		return sbx_error_set(err, 0,
				     "%s is not running: its supervisor (pid %d) is gone; `stratbox "
				     "cleanup` removes what it left",
				     out->id, out->supervisor_pid);
	return 0;
}

/* Ask a sandbox's supervisor to kill it; kill it from here if it does not. */
static int kill_sandbox(int dfd, const char *dir, const struct sbx_entry *e, sbx_error **err)
{
	char name[32];
	snprintf(name, sizeof(name), "%s.kill", e->id);
	int fd = openat(dfd, name, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		ssize_t w = write(fd, "k", 1);
		(void) w; /* the writer's close wakes the supervisor as well */
		close(fd);
		if (wait_gone(dfd, dir, e->id, KILL_WAIT_NS))
			return 0;
	}
	/* no reader, or it did not act: the sandbox's init (the kernel then
	 * ends its pid namespace) and whatever its cgroup holds */
	signal_verified(e->pid, e->pid_start, SIGKILL);
	for (int i = 0; i < e->ncgroup; i++)
		cgroup_kill_listed(e->cgroup[i]);
	if (wait_gone(dfd, dir, e->id, KILL_WAIT_NS))
		return 0;
	return sbx_error_set(err, ETIMEDOUT, "%s: killed its sandbox, but its supervisor (pid %d) "
					     "keeps its entry",
			     e->id, e->supervisor_pid);
}

/* A pool's slot (registry.c's add_slots): every process of its cgroup
 * killed; the pool sees the slot end, as when a slot crashes, and the job
 * it ran (if any) ends SIGNALED, killed by SIGKILL.  The pool goes on. */
static int kill_slot(const struct sbx_entry *e, sbx_error **err)
{
	uint64_t until = now_ns() + KILL_WAIT_NS;
	for (;;) {
		int left = 0;
		for (int i = 0; i < e->ncgroup; i++) {
			int r = cgroup_kill_listed(e->cgroup[i]);
			left += r > 0 ? r : 0;
		}
		if (left == 0)
			return 0;
		if (now_ns() > until)
			return sbx_error_set(err, ETIMEDOUT, "%s: its processes outlive SIGKILL", e->id);
		usleep(10000);
	}
}

/* A pool lives and ends with its owner: ask it to stop as SIGTERM asks
 * (serve and worker stop cleanly on it; exec dies of it). */
static int kill_pool(int dfd, const char *dir, const struct sbx_entry *e, sbx_error **err)
{
	cleanup_close int pfd = pidfd_verified(e->supervisor_pid, e->supervisor_start);
	if (pfd >= 0 && syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0) < 0)
		return sbx_error_set(err, errno, "%s: SIGTERM to its owner, pid %d", e->id,
				     e->supervisor_pid);
	if (!wait_gone(dfd, dir, e->id, POOL_STOP_WAIT_NS))
		return sbx_error_set(err, ETIMEDOUT,
				     "%s: its owner (pid %d) was sent SIGTERM and still runs", e->id,
				     e->supervisor_pid);
	/* An owner that dies of it leaves its zygote's entry and the
	 * cgroups, swept here as the next start would; its pool's entry is
	 * freed a moment before its other descriptors are, so first let it
	 * finish exiting (an owner that lives on unregistered everything). */
	if (pfd >= 0) {
		struct pollfd pf = { pfd, POLLIN, 0 };
		poll(&pf, 1, 2000);
	}
	struct sweep sw = { .dir = dir };
	sweep_fd(dfd, &sw);
	return 0;
}

int sbx_entry_kill(const char *run_dir, const char *id, struct sbx_entry *which, sbx_error **err)
{
	char buf[PATH_MAX];
	if (run_dir == NULL && sbx_run_dir(buf, sizeof(buf), err) < 0)
		return -1;
	const char *dir = run_dir ? run_dir : buf;
	struct stat st;
	if (stat(dir, &st) < 0 && errno == ENOENT)
		return sbx_error_set(err, 0, "no sandbox or pool with id '%s': nothing runs (%s does "
					     "not exist)",
				     id, dir);
	cleanup_close int dfd = registry_open_dir(dir, false, err);
	if (dfd < 0)
		return -1;
	struct sbx_entry e;
	if (find_entry(dfd, dir, id, &e, err) < 0)
		return -1;
	if (which != NULL)
		*which = e;
	if (strcmp(e.kind, "slot") == 0)
		return kill_slot(&e, err);
	if (strcmp(e.kind, "pool") != 0)
		return kill_sandbox(dfd, dir, &e, err);
	return kill_pool(dfd, dir, &e, err);
}

/* ---- cleanup ---------------------------------------------------------- */

/* Newest modification time in a tree (not following links), in Unix
 * seconds: a writer that is alive touches something in it. */
static double newest_mtime(int dfd, const char *name, int depth)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	double t = (double) st.st_mtim.tv_sec;
	if (!S_ISDIR(st.st_mode) || depth > 64)
		return t;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return t;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		double c = newest_mtime(dirfd(d), de->d_name, depth + 1);
		if (c > t)
			t = c;
	}
	closedir(d);
	return t;
}

static int remove_tree(int dfd, const char *name, int depth)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0);
	if (depth > 64)
		return -1;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* an unpacked image may hold directories without write permission */
	fchmod(dirfd(d), 0700);
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			remove_tree(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	return unlinkat(dfd, name, AT_REMOVEDIR);
}

/* The temporary files stratbox makes under a state directory, by name:
 * an environment being imported (envs/.tmp-*) and a report being written
 * (reports/ID.html.tmp.TID).  Everything else there is left alone. */
static bool temp_name(const char *sub, const char *name)
{
	if (strcmp(sub, "envs") == 0)
		return strncmp(name, ".tmp-", 5) == 0 && name[5] != '\0';
	const char *t = strstr(name, ".html.tmp.");
	return t != NULL && t != name && strspn(t + 10, "0123456789") == strlen(t + 10) &&
	       t[10] != '\0';
}

/* An environment being built (env import/add) or removed (env rm) holds
 * an exclusive flock on its directory (src/env/env.c) until it is done. */
static bool tmp_env_live(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool live = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return live;
}

static void sweep_state(const char *state, struct sweep *sw, uint64_t min_age_ns)
{
	static const char *const subs[] = { "envs", "reports" };
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s/%s", state, subs[i]);
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		if (d == NULL) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (!temp_name(subs[i], de->d_name))
				continue;
			if (i == 0 && tmp_env_live(dirfd(d), de->d_name))
				continue; /* an import (or rm) still at work holds it */
			if (!old_enough(newest_mtime(dirfd(d), de->d_name, 0), min_age_ns))
				continue;
			char path[PATH_MAX + 256];
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (sw->dry_run || remove_tree(dirfd(d), de->d_name, 0) == 0)
				said(sw, "temporary file", path);
		}
		closedir(d);
	}
}

int sbx_cleanup(const struct sbx_cleanup_options *o,
		void (*removed)(void *ctx, const char *what, const char *path), void *ctx,
		sbx_error **err)
{
	char buf[PATH_MAX];
	if (o->run_dir == NULL && sbx_run_dir(buf, sizeof(buf), err) < 0)
		return -1;
	const char *dir = o->run_dir ? o->run_dir : buf;
	struct sweep sw = { .older_than_ns = o->older_than_ns, .dry_run = o->dry_run,
			    .removed = removed, .ctx = ctx, .dir = dir };
	struct stat st;
	if (stat(dir, &st) == 0) {
		cleanup_close int dfd = registry_open_dir(dir, false, err);
		if (dfd < 0)
			return -1;
		sweep_fd(dfd, &sw);
	}
	/* job cgroups whose maker is gone, entry or not (one killed before it
	 * registered, or by a stratbox without a run directory) */
	const struct cgroup_backend *b = cgroup_backend_get(err);
	struct cg_sweep how = { o->older_than_ns, o->dry_run };
	for (int i = 0; b != NULL && i < b->nh; i++) {
		cleanup_free char *pdir = cgroup_parent_dir(&b->h[i], o->cgroup_parent);
		if (pdir != NULL)
			cgroup_sweep_dir(pdir, &how, said_cgroup, &sw);
	}
	if (o->state_dir != NULL)
		sweep_state(o->state_dir, &sw,
			    o->older_than_ns ? o->older_than_ns : SBX_CLEANUP_TMP_MIN_AGE_NS);
	for (size_t i = 0; i < sw.nnamed; i++)
		free(sw.named[i]);
	free(sw.named);
	return sw.n;
}
