/* The pool's counters and memory figures (sbx_pool_stats, sbx_pool_memory). */
#include "pyrt/pool.h"

#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Resident, proportional and private memory of a process, from
 * smaps_rollup. */
static void smaps(pid_t pid, uint64_t *rss, uint64_t *pss, uint64_t *priv)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int) pid);
	*rss = *pss = *priv = 0;
	if (pid <= 0 || read_file_at(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		return;
	const char *k = strstr(buf, "\nRss:");
	if (k)
		*rss = strtoull(k + 5, NULL, 10) * 1024u;
	k = strstr(buf, "\nPss:");
	if (k)
		*pss = strtoull(k + 5, NULL, 10) * 1024u;
	k = strstr(buf, "\nPrivate_Dirty:");
	if (k)
		*priv = strtoull(k + 15, NULL, 10) * 1024u;
}

void sbx_pool_stats(sbx_pool *p, struct sbx_pool_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&p->mu);
	for (struct slot *s = p->slots; s; s = s->next) {
		if (s->state == SLOT_READY)
			st->ready++;
		else if (s->state == SLOT_STARTING)
			st->starting++;
		else
			st->busy++;
	}
	st->jobs = p->jobs;
	st->zygote_starts = p->zygote_starts;
	st->slots_forked = p->slots_forked;
	st->cgroups_made = p->cgroups_made;
	st->cgroups_reused = p->cgroups_reused;
	st->cgroups_spare = (unsigned) p->nspare_cg;
	snprintf(st->versions, sizeof(st->versions), "%s", p->versions);
	st->zygote_pid = p->zpid;
	pthread_mutex_unlock(&p->mu);
}

void sbx_pool_memory(sbx_pool *p, struct sbx_pool_memory *m)
{
	enum { MAX_MEASURED = 16 };
	pid_t pids[MAX_MEASURED];
	unsigned n = 0;
	memset(m, 0, sizeof(*m));
	pthread_mutex_lock(&p->mu);
	for (struct slot *s = p->slots; s && n < MAX_MEASURED; s = s->next)
		if (s->state == SLOT_READY)
			pids[n++] = s->pid;
	pid_t zpid = p->zpid;
	pthread_mutex_unlock(&p->mu);
	/* read outside the lock: a slot taken meanwhile is still this slot
	 * (its pid stays its own until its retirement reaps it) */
	uint64_t pss_sum = 0, priv_sum = 0, rss, pss, priv;
	for (unsigned i = 0; i < n; i++) {
		smaps(pids[i], &rss, &pss, &priv);
		pss_sum += pss;
		priv_sum += priv;
	}
	smaps(zpid, &m->zygote_rss_bytes, &pss, &priv);
	m->idle_slots = n;
	if (n) {
		m->idle_slot_pss_bytes = pss_sum / n;
		m->idle_slot_private_bytes = priv_sum / n;
	}
}
