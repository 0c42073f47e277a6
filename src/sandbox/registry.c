/* The run directory: what runs on this machine, for `stratbox ps`, `kill`
 * and `cleanup` (docs/operations.md).
 *
 *   RUN/ID.entry   one sandbox or pool: "key=value" lines, written once;
 *                  its supervisor holds an exclusive flock on it for life
 *   RUN/ID.kill    a FIFO the supervisor of a sandbox polls: a byte (or a
 *                  writer closing) asks it to kill the sandbox
 *   RUN/.new-ID    an entry being written, renamed to ID.entry when whole
 *
 * Staleness is the lock: an entry whose lock can be taken belongs to a
 * supervisor that is gone, however it died.  The lock lives on an open
 * file description only the supervisor holds: opened O_CLOEXEC, and the
 * sandbox's init closes every descriptor it does not need before the
 * command runs (launch.c), so no sandboxed process ever keeps it.
 *
 * Cost: a registration is an open, a flock, a write, a mkfifo, an open and
 * a rename; its end two unlinks and two closes; every start's sweep a
 * readdir and an open+flock+close per entry.  Registering is best effort:
 * a run directory that cannot be used never stops a sandbox.
 *
 * This file writes and reads entries; registry-sweep.c removes what dead
 * supervisors left and carries out `stratbox kill`.
 */
#include "common/util.h"
#include "sandbox/registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>


struct sbx_registration {
	char *dir;
	char id[ID_LEN + 1];
	int lock_fd, kill_fd;
};

/* ---- the directory ------------------------------------------------------ */

int sbx_run_dir(char *buf, size_t size, sbx_error **err)
{
	const char *o = getenv("STRATBOX_RUN_DIR");
	const char *x = getenv("XDG_RUNTIME_DIR");
	int n;
	if (o != NULL && *o != '\0')
		n = snprintf(buf, size, "%s", o);
	else if (geteuid() == 0)
		n = snprintf(buf, size, "/run/stratbox");
	else if (x != NULL && x[0] == '/')
		n = snprintf(buf, size, "%s/stratbox", x);
	else /* e.g. setpriv --reuid: no login session, no XDG_RUNTIME_DIR */
		n = snprintf(buf, size, "/tmp/stratbox-run-%u", (unsigned) geteuid());
	if (n < 0 || (size_t) n >= size)
		return sbx_error_set(err, ENAMETOOLONG, "run directory");
	return 0;
}

/* Open the run directory (making it when `make`), refusing one that is not
 * ours alone: a directory someone else can write could hold entries that
 * name their processes, and `kill` signals what an entry names. */
int registry_open_dir(const char *dir, bool make, sbx_error **err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && make) {
		/* made once; every later registration only opens it */
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return sbx_error_set(err, errno, "run directory %s", dir);
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return sbx_error_set(err, errno, "run directory %s", dir);
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		close(fd);
		return sbx_error_set(err, 0,
				     "run directory %s: not owned by uid %u alone (owner %u, mode "
				     "%03o); set STRATBOX_RUN_DIR to one that is",
				     dir, (unsigned) geteuid(), (unsigned) st.st_uid,
				     (unsigned) st.st_mode & 0777);
	}
	return fd;
}

bool registry_valid_id(const char *s, size_t len)
{
	if (len != ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

double registry_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* ---- writing an entry ------------------------------------------------- */

struct text {
	char buf[8192];
	size_t len;
};

/* key=value, with backslash and newline escaped; cut at the buffer's end */
static void put(struct text *t, const char *key, const char *val)
{
	size_t room = sizeof(t->buf) - t->len;
	int n = snprintf(t->buf + t->len, room, "%s=", key);
	if (n < 0 || (size_t) n >= room)
		return;
	t->len += (size_t) n;
	for (const char *p = val; *p && t->len + 3 < sizeof(t->buf); p++) {
		if (*p == '\\' || *p == '\n') {
			t->buf[t->len++] = '\\';
			t->buf[t->len++] = *p == '\n' ? 'n' : '\\';
		} else {
			t->buf[t->len++] = *p;
		}
	}
	if (t->len < sizeof(t->buf) - 1)
		t->buf[t->len++] = '\n';
}

static void putf(struct text *t, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void putf(struct text *t, const char *key, const char *fmt, ...)
{
	char v[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	put(t, key, v);
}

/* argv joined by spaces, an argument with a space or quote in single
 * quotes: for reading, never for a shell */
static void join_argv(char *const *argv, const char *prefix, char *out, size_t size)
{
	size_t off = 0;
	out[0] = '\0';
	if (prefix != NULL)
		off = (size_t) snprintf(out, size, "%s", prefix);
	for (int i = 0; argv != NULL && argv[i] != NULL && off + 1 < size; i++) {
		const char *a = argv[i];
		bool quote = *a == '\0' || strpbrk(a, " \t\n'\"\\$") != NULL;
		const char *q = quote ? "'" : "";
		int n = snprintf(out + off, size - off, "%s%s%s%s", off ? " " : "", q, a, q);
		if (n < 0 || (size_t) n >= size - off)
			break;
		off += (size_t) n;
	}
}

/* This process's command line, as `ps` shows it. */
static void own_cmdline(char *out, size_t size)
{
	char buf[1024];
	ssize_t n = read_file_at(AT_FDCWD, "/proc/self/cmdline", buf, sizeof(buf));
	out[0] = '\0';
	if (n <= 0)
		return;
	for (ssize_t i = 0; i < n - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	snprintf(out, size, "%s", buf);
}

static void random_id(char *id)
{
	uint32_t r;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t) sizeof(r))
		r = (uint32_t) now_ns() ^ ((uint32_t) getpid() << 12);
	snprintf(id, ID_LEN + 1, "%08x", r);
}

struct reg_fields {
	const char *kind, *env, *owner;
	pid_t pid;
	unsigned long long pid_start;
	char *const *cgroups; /* NULL-terminated, or NULL */
	char *const *cgroup_parents;
	const char *command;
	bool kill_fifo;
};

static void format_entry(struct text *t, const char *id, const struct reg_fields *f)
{
	/* ours, once per process (a fork has its own) */
	static _Thread_local pid_t self_pid;
	static _Thread_local unsigned long long self_start;
	if (self_pid != getpid() && proc_starttime(getpid(), &self_start) == 0)
		self_pid = getpid();
	put(t, "version", "1");
	put(t, "id", id);
	put(t, "kind", f->kind);
	put(t, "env", f->env && *f->env ? f->env : "host");
	put(t, "parent", f->owner ? f->owner : "");
	putf(t, "uid", "%u", (unsigned) geteuid());
	putf(t, "supervisor_pid", "%d", (int) getpid());
	putf(t, "supervisor_start", "%llu", self_start);
	putf(t, "pid", "%d", (int) f->pid);
	putf(t, "pid_start", "%llu", f->pid_start);
	putf(t, "created", "%.3f", registry_now());
	for (int i = 0; f->cgroups && f->cgroups[i]; i++)
		put(t, "cgroup", f->cgroups[i]);
	for (int i = 0; f->cgroup_parents && f->cgroup_parents[i]; i++)
		put(t, "cgroup_parent", f->cgroup_parents[i]);
	put(t, "command", f->command ? f->command : "");
}

static struct sbx_registration *reg_new(const struct reg_fields *f, sbx_error **err)
{
	char dir[PATH_MAX];
	if (sbx_run_dir(dir, sizeof(dir), err) < 0)
		return NULL;
	cleanup_close int dfd = registry_open_dir(dir, true, err);
	if (dfd < 0)
		return NULL;
	struct sbx_registration *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->dir = strdup(dir)) == NULL) {
		free(r);
		sbx_error_set(err, ENOMEM, "registration");
		return NULL;
	}
	r->lock_fd = r->kill_fd = -1;
	char tmp[32], name[32];
	for (int tries = 0; r->lock_fd < 0 && tries < 8; tries++) {
		random_id(r->id);
		snprintf(tmp, sizeof(tmp), ".new-%s", r->id);
		snprintf(name, sizeof(name), "%s.entry", r->id);
		r->lock_fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
				    0600);
		if (r->lock_fd < 0 && errno != EEXIST)
			break;
	}
	struct text t;
	t.len = 0;
	if (r->lock_fd < 0 || flock(r->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		sbx_error_set(err, errno, "run directory %s: new entry", dir);
		goto fail;
	}
	format_entry(&t, r->id, f);
	if (write_all(r->lock_fd, t.buf, t.len) < 0) {
		sbx_error_set(err, errno, "run directory %s: new entry", dir);
		goto fail_unlink;
	}
	if (f->kill_fifo) {
		char fifo[32];
		snprintf(fifo, sizeof(fifo), "%s.kill", r->id);
		if (mkfifoat(dfd, fifo, 0600) < 0 ||
		    (r->kill_fd = openat(dfd, fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
			sbx_error_set(err, errno, "run directory %s: %s", dir, fifo);
			unlinkat(dfd, fifo, 0);
			goto fail_unlink;
		}
	}
	/* never over a live entry: 32 random bits rarely meet, but may */
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) < 0) {
		sbx_error_set(err, errno, "run directory %s: %s", dir, name);
		if (r->kill_fd >= 0) {
			char fifo[32];
			snprintf(fifo, sizeof(fifo), "%s.kill", r->id);
			unlinkat(dfd, fifo, 0);
		}
		goto fail_unlink;
	}
	return r;
fail_unlink:
	unlinkat(dfd, tmp, 0);
fail:
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	if (r->kill_fd >= 0)
		close(r->kill_fd);
	free(r->dir);
	free(r);
	return NULL;
}

struct sbx_registration *registry_add_sandbox(const struct reg_sandbox *sb)
{
	const struct sbx_config *cfg = sb->cfg;
	char *cgs[SBX_ENTRY_MAX_CGROUPS + 1] = { NULL };
	for (int i = 0; sb->cg != NULL && i < sb->cg->ndirs && i < SBX_ENTRY_MAX_CGROUPS; i++)
		cgs[i] = sb->cg->dirs[i];
	char command[1024];
	join_argv(cfg->argv, NULL, command, sizeof(command));
	struct reg_fields f = {
		.kind = cfg->policy == SBX_POLICY_ZYGOTE ? "zygote" : "run",
		.env = cfg->env_name,
		.owner = cfg->owner,
		.pid = sb->pid,
		.cgroups = cgs,
		.command = command,
		.kill_fifo = true,
	};
	proc_starttime(sb->pid, &f.pid_start);
	return reg_new(&f, NULL);
}

int registry_kill_fd(const struct sbx_registration *r)
{
	return r ? r->kill_fd : -1;
}

int sbx_register(const struct sbx_register_info *info, sbx_registration **out, sbx_error **err)
{
	*out = NULL;
	const struct cgroup_backend *b = cgroup_backend_get(err);
	char *parents[SBX_ENTRY_MAX_CGROUPS + 1] = { NULL };
	for (int i = 0; b != NULL && i < b->nh && i < SBX_ENTRY_MAX_CGROUPS; i++)
		parents[i] = cgroup_parent_dir(&b->h[i], info->cgroup_parent);
	char command[1024];
	if (info->command != NULL)
		snprintf(command, sizeof(command), "%s", info->command);
	else
		own_cmdline(command, sizeof(command));
	struct reg_fields f = {
		.kind = info->kind,
		.env = info->env_name,
		.cgroup_parents = parents,
		.command = command,
	};
	*out = reg_new(&f, err);
	for (int i = 0; parents[i]; i++)
		free(parents[i]);
	return *out ? 0 : -1;
}

const char *sbx_registration_id(const sbx_registration *r)
{
	return r ? r->id : "";
}

void sbx_unregister(sbx_registration *r)
{
	if (r == NULL)
		return;
	/* unlinked before the lock goes: a sweeper that opened the entry
	 * meanwhile finds it unlinked (st_nlink 0) and leaves it */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s.entry", r->dir, r->id);
	unlink(path);
	if (r->kill_fd >= 0) {
		snprintf(path, sizeof(path), "%s/%s.kill", r->dir, r->id);
		unlink(path);
		close(r->kill_fd);
	}
	close(r->lock_fd);
	free(r->dir);
	free(r);
}

/* ---- reading entries ---------------------------------------------------- */

static void unescape(char *s)
{
	char *w = s;
	for (char *p = s; *p; p++) {
		if (*p == '\\' && (p[1] == 'n' || p[1] == '\\')) {
			*w++ = p[1] == 'n' ? '\n' : '\\';
			p++;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
}

static void parse_entry(char *text, struct sbx_entry *e)
{
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		char *v = eq + 1;
		unescape(v);
		if (strcmp(line, "id") == 0)
			snprintf(e->id, sizeof(e->id), "%s", v);
		else if (strcmp(line, "kind") == 0)
			snprintf(e->kind, sizeof(e->kind), "%s", v);
		else if (strcmp(line, "env") == 0)
			snprintf(e->env, sizeof(e->env), "%s", v);
		else if (strcmp(line, "parent") == 0)
			snprintf(e->parent, sizeof(e->parent), "%s", v);
		else if (strcmp(line, "uid") == 0)
			e->uid = (unsigned) strtoul(v, NULL, 10);
		else if (strcmp(line, "supervisor_pid") == 0)
			e->supervisor_pid = atoi(v);
		else if (strcmp(line, "supervisor_start") == 0)
			e->supervisor_start = strtoull(v, NULL, 10);
		else if (strcmp(line, "pid") == 0)
			e->pid = atoi(v);
		else if (strcmp(line, "pid_start") == 0)
			e->pid_start = strtoull(v, NULL, 10);
		else if (strcmp(line, "created") == 0)
			e->created = strtod(v, NULL);
		else if (strcmp(line, "cgroup") == 0 && e->ncgroup < SBX_ENTRY_MAX_CGROUPS)
			snprintf(e->cgroup[e->ncgroup++], sizeof(e->cgroup[0]), "%s", v);
		else if (strcmp(line, "cgroup_parent") == 0 &&
			 e->ncgroup_parent < SBX_ENTRY_MAX_CGROUPS)
			snprintf(e->cgroup_parent[e->ncgroup_parent++], sizeof(e->cgroup_parent[0]),
				 "%s", v);
		else if (strcmp(line, "command") == 0)
			snprintf(e->command, sizeof(e->command), "%s", v);
	}
}

/* Open an entry and learn whether its supervisor lives.  Returns the fd
 * (holding the lock when *stale and `keep_lock`), or -1 when it is gone. */
int registry_open_entry(int dfd, const char *name, bool keep_lock, struct sbx_entry *e)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	struct stat st;
	char text[8192];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	if (n < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	text[n] = '\0';
	memset(e, 0, sizeof(*e));
	parse_entry(text, e);
	e->stale = flock(fd, (keep_lock ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0;
	if (e->stale && fstat(fd, &st) == 0 && st.st_nlink == 0) {
		/* its supervisor unlinked it on its way out, then let go */
		close(fd);
		return -1;
	}
	if (e->stale && !keep_lock)
		flock(fd, LOCK_UN);
	return fd;
}

static uint64_t read_u64_file(const char *dir, const char *file, bool *ok)
{
	char path[1200], buf[64];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	*ok = read_file_at(AT_FDCWD, path, buf, sizeof(buf)) > 0;
	return *ok ? strtoull(buf, NULL, 10) : 0;
}

/* Memory and CPU of one job cgroup, whichever backend made it. */
static void measure_cgroup(const char *dir, struct sbx_entry *e)
{
	bool ok;
	uint64_t v = read_u64_file(dir, "memory.current", &ok);
	if (!ok)
		v = read_u64_file(dir, "memory.usage_in_bytes", &ok);
	if (ok) {
		e->memory_bytes += v;
		e->have_memory = true;
	}
	char path[1200], buf[512];
	snprintf(path, sizeof(path), "%s/cpu.stat", dir);
	if (read_file_at(AT_FDCWD, path, buf, sizeof(buf)) > 0 && strstr(buf, "usage_usec")) {
		e->cpu_ns += cgroup_keyed(buf, "usage_usec") * 1000u;
		e->have_cpu = true;
		return;
	}
	v = read_u64_file(dir, "cpuacct.usage", &ok);
	if (ok) {
		e->cpu_ns += v;
		e->have_cpu = true;
	}
}

/* CPU time of the processes in a cgroup now, with what they reaped
 * (/proc/PID/stat fields 14 to 17): for a v1 cgroup without cpuacct,
 * which a run without a CPU-time limit does not get. */
static void measure_procs(const char *dir, struct sbx_entry *e)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	cleanup_fclose FILE *f = fopen(path, "re");
	long tick = sysconf(_SC_CLK_TCK);
	int pid;
	while (f != NULL && tick > 0 && fscanf(f, "%d", &pid) == 1) {
		char stat[1024];
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (read_file_at(AT_FDCWD, path, stat, sizeof(stat)) < 0)
			continue;
		char *p = strrchr(stat, ')');
		unsigned long long t[4];
		if (p == NULL ||
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
			   &t[0], &t[1], &t[2], &t[3]) != 4)
			continue;
		unsigned long long ns_per_tick = 1000000000ull / (unsigned long long) tick;
		e->cpu_ns += (t[0] + t[1] + t[2] + t[3]) * ns_per_tick;
		e->have_cpu = true;
	}
}

/* A pool: the job cgroups its owner made (stratbox-PID-START-*). */
static void measure_pool(struct sbx_entry *e)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "stratbox-%d-%llu-", e->supervisor_pid,
		 e->supervisor_start);
	unsigned most = 0;
	for (int i = 0; i < e->ncgroup_parent; i++) {
		cleanup_dir DIR *d = opendir(e->cgroup_parent[i]);
		unsigned n = 0;
		struct dirent *de;
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
				continue;
			char path[1200];
			snprintf(path, sizeof(path), "%s/%s", e->cgroup_parent[i], de->d_name);
			measure_cgroup(path, e);
			n++;
		}
		if (n > most)
			most = n;
	}
	e->cgroups_live = most;
}

/* A pool's slots: the job cgroups its owner made other than its zygotes'
 * (each a slot forked ahead, or running a job), listed as entries of kind
 * "slot" with ids POOL.SEQ.  Nothing is registered per job (the warm path
 * stays free of file writes): they are found in the pool's cgroup parents. */
static int add_slots(struct sbx_entry **out, size_t *n, size_t *cap, bool measure)
{
	size_t nbase = *n;
	for (size_t p = 0; p < nbase; p++) {
		const struct sbx_entry *pool = &(*out)[p];
		if (strcmp(pool->kind, "pool") != 0 || pool->stale || pool->ncgroup_parent == 0)
			continue;
		char prefix[64];
		int pl = snprintf(prefix, sizeof(prefix), "stratbox-%d-%llu-", pool->supervisor_pid,
				  pool->supervisor_start);
		cleanup_dir DIR *d = opendir(pool->cgroup_parent[0]);
		struct dirent *de;
		while (d != NULL && (de = readdir(d)) != NULL) {
			unsigned seq;
			char tail;
			if (strncmp(de->d_name, prefix, (size_t) pl) != 0 ||
			    sscanf(de->d_name + pl, "%u%c", &seq, &tail) != 1)
				continue;
			bool zygote = false; /* its own entry shows it */
			for (size_t z = 0; z < nbase && !zygote; z++) {
				const char *c = (*out)[z].cgroup[0];
				const char *base = strrchr(c, '/');
				zygote = strcmp((*out)[z].parent, pool->id) == 0 && base != NULL &&
					 strcmp(base + 1, de->d_name) == 0;
			}
			if (zygote)
				continue;
			if (*n == *cap) {
				size_t nc = *cap ? *cap * 2 : 8;
				struct sbx_entry *bigger = realloc(*out, nc * sizeof(**out));
				if (bigger == NULL)
					return -1;
				*out = bigger;
				*cap = nc;
				pool = &(*out)[p];
			}
			struct sbx_entry *e = &(*out)[(*n)++];
			memset(e, 0, sizeof(*e));
			snprintf(e->id, sizeof(e->id), "%.8s.%u", pool->id, seq);
			snprintf(e->kind, sizeof(e->kind), "slot");
			snprintf(e->env, sizeof(e->env), "%s", pool->env);
			snprintf(e->parent, sizeof(e->parent), "%s", pool->id);
			e->uid = pool->uid;
			e->supervisor_pid = pool->supervisor_pid;
			e->supervisor_start = pool->supervisor_start;
			for (int i = 0; i < pool->ncgroup_parent && i < SBX_ENTRY_MAX_CGROUPS; i++)
				snprintf(e->cgroup[e->ncgroup++], sizeof(e->cgroup[0]), "%.400s/%.100s",
					 pool->cgroup_parent[i], de->d_name);
			struct stat st;
			if (stat(e->cgroup[0], &st) == 0)
				e->created = (double) st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
			char path[700];
			snprintf(path, sizeof(path), "%s/cgroup.procs", e->cgroup[0]);
			cleanup_fclose FILE *f = fopen(path, "re");
			if (f == NULL || fscanf(f, "%d", &e->pid) != 1)
				e->pid = 0;
			snprintf(e->command, sizeof(e->command),
				 "a slot of pool %s: ready, or running a job", pool->id);
			if (measure) {
				for (int i = 0; i < e->ncgroup; i++)
					measure_cgroup(e->cgroup[i], e);
				for (int i = 0; i < e->ncgroup && !e->have_cpu; i++)
					measure_procs(e->cgroup[i], e);
			}
		}
	}
	return 0;
}

static int by_created(const void *a, const void *b)
{
	const struct sbx_entry *x = a, *y = b;
	return x->created < y->created ? -1 : x->created > y->created;
}

bool registry_entry_name(const char *name, char *id)
{
	const char *dot = strchr(name, '.');
	if (dot == NULL || strcmp(dot, ".entry") != 0 ||
	    !registry_valid_id(name, (size_t) (dot - name)))
		return false;
	memcpy(id, name, ID_LEN);
	id[ID_LEN] = '\0';
	return true;
}

int registry_list(int dfd, bool measure, struct sbx_entry **out, size_t *n, sbx_error **err)
{
	*out = NULL;
	*n = 0;
	int dup = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
	if (d == NULL) {
		if (dup >= 0)
			close(dup);
		return sbx_error_set(err, errno, "run directory");
	}
	/* a dup shares the directory's offset: another pass must start over */
	rewinddir(d);
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char id[ID_LEN + 1];
		if (!registry_entry_name(de->d_name, id))
			continue;
		struct sbx_entry e;
		int fd = registry_open_entry(dfd, de->d_name, false, &e);
		if (fd < 0)
			continue;
		close(fd);
		snprintf(e.id, sizeof(e.id), "%s", id); /* the name is what kill finds */
		if (measure && !e.stale) {
			for (int i = 0; i < e.ncgroup; i++)
				measure_cgroup(e.cgroup[i], &e);
			for (int i = 0; i < e.ncgroup && !e.have_cpu; i++)
				measure_procs(e.cgroup[i], &e);
			if (strcmp(e.kind, "pool") == 0)
				measure_pool(&e);
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			struct sbx_entry *bigger = realloc(*out, cap * sizeof(**out));
			if (bigger == NULL) {
				closedir(d);
				free(*out);
				*out = NULL;
				*n = 0;
				return sbx_error_set(err, ENOMEM, "run directory");
			}
			*out = bigger;
		}
		(*out)[(*n)++] = e;
	}
	closedir(d);
	if (add_slots(out, n, &cap, measure) < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return sbx_error_set(err, ENOMEM, "run directory");
	}
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), by_created);
	return 0;
}

int sbx_entries_list(const char *run_dir, struct sbx_entry **out, size_t *n, sbx_error **err)
{
	char dir[PATH_MAX];
	*out = NULL;
	*n = 0;
	if (run_dir == NULL && sbx_run_dir(dir, sizeof(dir), err) < 0)
		return -1;
	if (run_dir == NULL)
		run_dir = dir;
	struct stat st;
	if (stat(run_dir, &st) < 0 && errno == ENOENT)
		return 0;
	cleanup_close int dfd = registry_open_dir(run_dir, false, err);
	if (dfd < 0)
		return -1;
	return registry_list(dfd, true, out, n, err);
}
