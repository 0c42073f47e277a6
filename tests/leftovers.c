/* "Nothing left behind": snapshots of what a run could leave on the host
 * (job cgroups, processes, mounts, /tmp and /dev/shm entries), shared by
 * the security and Python runtime suites. */
#include "leftovers.h"

#include "helpers.h"
#include "sandbox/internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int count_processes(const char *needle, bool at_start);

int count_processes_with(const char *needle)
{
	return count_processes(needle, false);
}

bool processes_gone_within(const char *needle, int ms)
{
	for (int waited = 0; waited <= ms; waited += 10) {
		if (count_processes_with(needle) == 0)
			return true;
		test_sleep_ms(10);
	}
	return false;
}

int count_processes_starting(const char *prefix)
{
	return count_processes(prefix, true);
}

static int count_processes(const char *needle, bool at_start)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *e;
	pid_t self = getpid();
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == self)
			continue;
		char path[300], buf[4096];
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		for (ssize_t i = 0; i < len; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[len] = '\0';
		if (at_start ? strncmp(buf, needle, strlen(needle)) == 0 : strstr(buf, needle) != NULL)
			n++;
	}
	closedir(d);
	return n;
}

/* ---- nothing left behind ---- */

/* The directories where job cgroups may appear: for each hierarchy the
 * parent stratbox uses, plus the cgroup2 mount (forced-v2 tests). */
static int cgroup_parents(char dirs[][1024], int max)
{
	int n = 0;
	const struct cgroup_backend *b = cgroup_backend_get(NULL);
	for (int i = 0; i < b->nh && n < max; i++) {
		char *p = cgroup_parent_dir(&b->h[i], test_cgroup_parent());
		if (p) {
			snprintf(dirs[n++], 1024, "%s", p);
			free(p);
		}
	}
	/* our own cgroup in a cgroup2 mount, if any */
	FILE *f = fopen("/proc/self/cgroup", "r");
	char line[1024], v2own[1024] = "";
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(v2own, sizeof(v2own), "%s", line + 3);
		}
	if (f)
		fclose(f);
	static const char *v2mounts[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	for (size_t i = 0; i < 2 && n < max; i++) {
		char probe[1200];
		snprintf(probe, sizeof(probe), "%s/cgroup.controllers", v2mounts[i]);
		if (access(probe, F_OK) == 0) {
			snprintf(dirs[n++], 1024, "%s%s", v2mounts[i],
				 strcmp(v2own, "/") == 0 ? "" : v2own);
			break;
		}
	}
	return n;
}

int count_job_cgroups(char *first, size_t size)
{
	char dirs[12][1024];
	int nd = cgroup_parents(dirs, 12), count = 0;
	if (first && size)
		first[0] = '\0';
	for (int i = 0; i < nd; i++) {
		DIR *d = opendir(dirs[i]);
		if (d == NULL)
			continue;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			int pid;
			unsigned long long st;
			unsigned seq;
			/* only job cgroups: stratbox-<pid>-<start>-<seq> */
			if (sscanf(e->d_name, "stratbox-%d-%llu-%u", &pid, &st, &seq) != 3)
				continue;
			if (first && size && first[0] == '\0')
				snprintf(first, size, "%s/%s", dirs[i], e->d_name);
			count++;
		}
		closedir(d);
	}
	return count;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* Entries in a shared temporary directory that stratbox or a sandbox
 * could have left: named like ours (stratbox*, sbx*, sb-*), or owned by
 * the sandbox's uid.  Other processes on the machine write there too. */
static int count_entries(const char *dir, char *first, size_t size)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		bool ours = strncmp(e->d_name, "stratbox", 8) == 0 ||
			    strncmp(e->d_name, "sbx", 3) == 0 || strncmp(e->d_name, "sb-", 3) == 0;
		if (!ours && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			ours = st.st_uid == SBX_SANDBOX_UID;
		if (!ours)
			continue;
		if (first && size)
			snprintf(first, size, "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* Every suite's sandboxes and pools register in a run directory of the
 * suite's own (STRATBOX_RUN_DIR, docs/operations.md), made here unless the
 * caller gave one: another user's stratbox on the machine registers
 * elsewhere, and whatever is in it after a test is that test's. */
static char own_run_dir[64];
static pid_t own_run_dir_maker;

static void remove_own_run_dir(void)
{
	if (getpid() != own_run_dir_maker) /* a test's forked child exiting */
		return;
	DIR *d = opendir(own_run_dir);
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	if (d != NULL)
		closedir(d);
	rmdir(own_run_dir);
}

static void use_own_run_dir(void)
{
	const char *set = getenv("STRATBOX_RUN_DIR");
	if (own_run_dir[0] != '\0' || (set != NULL && *set != '\0'))
		return;
	snprintf(own_run_dir, sizeof(own_run_dir), "/tmp/stratbox-test-run.XXXXXX");
	if (mkdtemp(own_run_dir) == NULL) {
		own_run_dir[0] = '\0';
		return;
	}
	own_run_dir_maker = getpid();
	setenv("STRATBOX_RUN_DIR", own_run_dir, 1);
	atexit(remove_own_run_dir);
}

/* Files in the run directory: entries, kill FIFOs, unfinished entries. */
static int count_run_entries(char *first, size_t size)
{
	const char *dir = getenv("STRATBOX_RUN_DIR");
	DIR *d = dir ? opendir(dir) : NULL;
	if (d == NULL)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (first && size)
			snprintf(first, size, "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static int snap_mounts, snap_tmp, snap_shm, snap_run;

void leftovers_snapshot(void)
{
	use_own_run_dir(); /* before /tmp is counted: it is made there */
	/* ours starts empty; a given one may hold entries of others */
	snap_run = getenv("STRATBOX_RUN_DIR") && own_run_dir[0] ? 0 : count_run_entries(NULL, 0);
	snap_mounts = count_lines("/proc/self/mountinfo");
	snap_tmp = count_entries("/tmp", NULL, 0);
	snap_shm = count_entries("/dev/shm", NULL, 0);
}

const char *leftovers_check(void)
{
	static char msg[1400];
	char first[1100];
	int n = count_job_cgroups(first, sizeof(first));
	if (n > 0) {
		snprintf(msg, sizeof(msg), "%d job cgroup(s), e.g. %s", n, first);
		return msg;
	}
	if ((n = count_processes_with("/probe")) > 0) {
		snprintf(msg, sizeof(msg), "%d process(es) running /probe", n);
		return msg;
	}
	if ((n = count_processes_with("stratbox-init")) > 0) {
		snprintf(msg, sizeof(msg), "%d stratbox-init process(es)", n);
		return msg;
	}
	if ((n = count_processes_with("stratbox-zygote")) > 0) {
		snprintf(msg, sizeof(msg), "%d stratbox-zygote process(es)", n);
		return msg;
	}
	/* none at all, as for job cgroups: what a failed test left is swept
	 * by the next one's first start and not held against it */
	if ((n = count_run_entries(first, sizeof(first))) > snap_run) {
		snprintf(msg, sizeof(msg), "%d file(s) in the run directory (e.g. %s)", n, first);
		return msg;
	}
	if (count_lines("/proc/self/mountinfo") != snap_mounts)
		return "the host's mount table changed";
	if (count_entries("/tmp", first, sizeof(first)) != snap_tmp) {
		snprintf(msg, sizeof(msg), "entries in /tmp changed (e.g. %s)", first);
		return msg;
	}
	if (count_entries("/dev/shm", first, sizeof(first)) != snap_shm) {
		snprintf(msg, sizeof(msg), "entries in /dev/shm changed (e.g. %s)", first);
		return msg;
	}
	return NULL;
}
