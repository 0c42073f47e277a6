/* The lockstep driver (driver.h): the region made and laid out here, the
 * job started on a thread of its own, the exchange's two halves, and the
 * end, said until the process ends or killed after a grace. */
#include "common/util.h"
#include "engine/driver.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SPIN_NS 1000000u
#define REGION_MAX (2ull << 30)
#define ALIGN64(x) (((x) + 63u) & ~(uint64_t) 63u)

static void *job_thread(void *arg)
{
	struct driver *d = arg;
	d->run_rc = sbx_pool_run(d->pool, &d->sj, &d->jr, &d->run_err);
	atomic_store(&d->done, 1);
	/* wake the driver if it sleeps on the slot's word */
	syscall(SYS_futex, &d->h->slot_seq, FUTEX_WAKE, 1, NULL, NULL, 0);
	return NULL;
}

/* Kill the strategy's process (once). */
static void kill_job(struct driver *d)
{
	uint64_t one = 1;
	if (!d->killed && write(d->kill_fd, &one, sizeof(one)) == sizeof(one))
		d->killed = true;
}

/* Stop waiting: the job ended, or the caller cancels the backtest (then
 * the job is killed, and ends within the watch's next poll). */
static bool job_done(void *arg)
{
	struct driver *d = arg;
	const volatile int *cancel = d->c->job->cancel;
	if (cancel != NULL && *cancel && !d->killed) {
		d->c->cancelled = true;
		kill_job(d);
	}
	return atomic_load(&d->done) != 0;
}

/* Wait until the slot has posted `want`; false when the job ended first,
 * or when the slot's count moved on its own (a broken protocol). */
bool driver_wait_slot(struct driver *d, uint32_t want)
{
	static const struct timespec tick = { 0, 20 * 1000000L };
	uint32_t now = ls_wait_change(&d->h->slot_seq, want - 1, &d->h->host_sleeping, &d->spin,
				      &tick, job_done, d);
	return now == want;
}

void driver_post(struct driver *d, uint32_t kind, uint64_t upto)
{
	d->h->upto = upto;
	/* kind last: it closes close0's seqlock (driver_write_bars, arrived()
	 * in lsmod.c) */
	__atomic_store_n(&d->h->kind, kind, __ATOMIC_RELEASE);
	/* the slot may lie about sleeping: then it only waits for itself */
	ls_bump(&d->h->host_seq, ++d->host_seq, &d->h->slot_sleeping, kind == LS_END);
}

/* Both sides spinning need a core each.  After a wake-up the scheduler
 * often puts the slot on the host thread's core, and takes tens of
 * milliseconds to move one of them: measured here, the first backtest
 * after the pool sat idle ran 3x slower, 300-400 of its 2,148 bars with
 * both on one core.  So when the slot says it runs on this thread's CPU
 * (slot_cpu: a hint, and a lie only slows its own run), the thread moves
 * itself off that CPU, at most once in 64 bars; it gets its own CPUs back
 * at the end (driver_keep_apart_end).  Not when sleeping (no spin): then
 * one core for both is what the wake-up wants. */
void driver_keep_apart(struct driver *d, size_t bar)
{
	if (d->spin.max == 0 || d->apart_off || bar < d->next_move)
		return;
	uint32_t sc = __atomic_load_n(&d->h->slot_cpu, __ATOMIC_RELAXED);
	int here = sched_getcpu();
	if (sc == 0 || here < 0 || sc - 1 != (uint32_t) here)
		return;
	if (!d->moved && sched_getaffinity(0, sizeof(d->cpus), &d->cpus) < 0) {
		d->apart_off = true;
		return;
	}
	cpu_set_t set = d->cpus;
	CPU_CLR((size_t) here, &set);
	if (CPU_COUNT(&set) == 0 || sched_setaffinity(0, sizeof(set), &set) < 0) {
		d->apart_off = true; /* one CPU to run on: nowhere to go */
		return;
	}
	d->moved = true;
	d->next_move = bar + 64;
}

void driver_keep_apart_end(struct driver *d)
{
	if (d->moved)
		(void) sched_setaffinity(0, sizeof(d->cpus), &d->cpus);
	d->moved = false;
}

static double *col(struct driver *d, size_t sym, int which)
{
	return (double *) ((char *) d->h + d->lay.cols_off) +
	       (sym * 5 + (size_t) which) * d->lay.nbars;
}

/* Put bars [written, upto) into the region (driver.h). */
uint32_t driver_write_bars(struct driver *d, size_t upto, bool ride)
{
	const bt_data *data = d->c->job->data;
	int64_t *time = (int64_t *) ((char *) d->h + d->lay.time_off);
	uint8_t *has = (uint8_t *) d->h + d->lay.has_off;
	/* one bar: symbol 0's Close rides on host_seq's line (LS_BAR1); kind
	 * is 0 while close0 and upto change (driver_post sets it last), so
	 * that a slot woken by anything but this post (its own code bumping
	 * host_seq) never pairs a close0 with another bar's upto */
	bool one = ride && upto == d->written + 1;
	if (one) {
		__atomic_store_n(&d->h->kind, 0, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_RELEASE);
	}
	for (size_t i = d->written; i < upto; i++) {
		time[i] = data->time[i];
		for (size_t s = 0; s < data->nsym; s++) {
			const bt_symbol *y = &data->sym[s];
			col(d, s, 0)[i] = y->open[i];
			col(d, s, 1)[i] = y->high[i];
			col(d, s, 2)[i] = y->low[i];
			if (!one || s > 0)
				col(d, s, 3)[i] = y->close[i];
			col(d, s, 4)[i] = y->volume[i];
			has[s * data->n + i] = y->has_bar[i];
		}
	}
	if (one)
		d->h->close0 = data->sym[0].close[upto - 1];
	if (upto > d->written)
		d->written = upto;
	return one ? LS_BAR1 : LS_BAR;
}

/* The lines the next bar's post will write (bar upto-1's values, the
 * accounts), asked for now, while the engine works: the slot's core has
 * them, having read them, and they come back side by side, not one by one
 * when the writes drain at the post. */
void driver_prefetch(struct driver *d, size_t upto)
{
	if (upto == 0 || upto > d->lay.nbars)
		return;
	size_t nsym = d->lay.nsym, k = d->c->k < 8 ? d->c->k : 8;
	__builtin_prefetch((char *) d->h + d->lay.time_off + (upto - 1) * 8, 1);
	for (size_t s = 0; s < nsym; s++)
		for (int c = 0; c < 5; c++)
			if (s > 0 || c != 3) /* symbol 0's Close: the slot writes it (LS_BAR1) */
				__builtin_prefetch(col(d, s, c) + upto - 1, 1);
	for (size_t i = 0; i < k; i++)
		__builtin_prefetch(driver_account(d, i), 1);
}

struct ls_account *driver_account(struct driver *d, size_t i)
{
	return (struct ls_account *) ((char *) d->h + d->lay.acct_off) + i;
}

struct ls_answer *driver_answer(struct driver *d, size_t i)
{
	return (struct ls_answer *) ((char *) d->h + d->lay.answer_off) + i;
}

static int region_new(struct driver *d, sbx_error **err)
{
	const struct chunk *c = d->c;
	const bt_data *data = c->job->data;
	if (data->nsym > LS_MAX_SYMBOLS)
		return sbx_error_set(err, 0, "a backtest takes at most %u symbols", LS_MAX_SYMBOLS);
	if (c->k == 0 || c->k > LS_MAX_INSTANCES)
		return sbx_error_set(err, 0, "at most %u instances in one slot", LS_MAX_INSTANCES);
	/* config: symbols, strategy, params per instance */
	json_t *cfg = json_object(), *syms = json_array(), *inst = json_array();
	for (size_t s = 0; s < data->nsym; s++)
		json_array_append_new(syms, json_string(data->sym[s].name));
	for (size_t i = 0; i < c->k; i++)
		json_array_append_new(inst, json_pack("{s:O}", "params", c->runs[i].params));
	json_object_set_new(cfg, "symbols", syms);
	json_object_set_new(cfg, "instances", inst);
	json_object_set_new(cfg, "cash", json_real(c->job->config.cash));
	json_object_set_new(cfg, "strategy",
			    c->job->strategy ? json_string(c->job->strategy) : json_null());
	cleanup_free char *cfg_text = json_dumps(cfg, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(cfg);
	if (cfg_text == NULL)
		return sbx_error_set(err, ENOMEM, "backtest config");
	size_t cfg_len = strlen(cfg_text);
	if (cfg_len > LS_CONFIG_MAX)
		return sbx_error_set(err, 0, "the parameters take %zu bytes; at most %u", cfg_len,
				     LS_CONFIG_MAX);
	uint64_t n = data->n, off = ALIGN64(sizeof(struct ls_header));
	struct ls_header h;
	memset(&h, 0, sizeof(h));
	h.magic = LS_MAGIC;
	h.version = LS_VERSION;
	h.nsym = (uint32_t) data->nsym;
	h.nbars = n;
	h.ninst = c->k;
	h.spin_ns = d->spin.max;
	h.config_off = off;
	h.config_len = cfg_len;
	off = ALIGN64(off + cfg_len);
	h.time_off = off;
	off = ALIGN64(off + n * 8);
	h.cols_off = off;
	off = ALIGN64(off + data->nsym * 5 * n * 8);
	h.has_off = off;
	off = ALIGN64(off + data->nsym * n);
	h.acct_off = off;
	off = ALIGN64(off + c->k * sizeof(struct ls_account));
	h.answer_off = off;
	off = ALIGN64(off + c->k * sizeof(struct ls_answer));
	h.targets_off = off;
	off = ALIGN64(off + c->k * n * 8);
	h.size = off;
	if (off > REGION_MAX)
		return sbx_error_set(err, 0,
				     "%zu bars of %zu symbols for %zu instances need %llu MiB of "
				     "shared memory; at most %llu: fewer instances per slot",
				     (size_t) n, data->nsym, c->k, (unsigned long long) (off >> 20),
				     (unsigned long long) (REGION_MAX >> 20));
	d->fd = memfd_create("stratbox-lockstep", MFD_CLOEXEC);
	if (d->fd < 0)
		return sbx_error_set(err, errno, "memfd_create");
	if (ftruncate(d->fd, (off_t) off) < 0)
		return sbx_error_set(err, errno, "lockstep region of %llu bytes",
				     (unsigned long long) off);
	void *p = mmap(NULL, off, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, 0);
	if (p == MAP_FAILED)
		return sbx_error_set(err, errno, "map the lockstep region");
	d->h = p;
	d->size = off;
	*d->h = h;
	d->lay = h;
	memcpy((char *) p + h.config_off, cfg_text, cfg_len);
	for (size_t i = 0; i < c->k; i++) {
		struct ls_account *a = driver_account(d, i);
		a->cash = a->equity = a->available = c->job->config.cash;
	}
	return 0;
}

void driver_free(struct driver *d)
{
	if (d->h != NULL)
		munmap(d->h, d->size);
	if (d->fd >= 0)
		close(d->fd);
	if (d->kill_fd >= 0)
		close(d->kill_fd);
	for (size_t i = 0; d->eng && i < d->c->k; i++)
		bt_engine_free(d->eng[i]);
	free(d->eng);
	free(d->failed);
	free(d->warmup);
	sbx_job_result_clear(&d->jr);
	sbx_error_free(d->run_err);
}

int driver_init(struct driver *d, sbx_pool *pool, struct chunk *c, sbx_error **err)
{
	memset(d, 0, sizeof(*d));
	d->c = c;
	d->pool = pool;
	d->fd = -1;
	d->kill_fd = eventfd(0, EFD_CLOEXEC);
	if (d->kill_fd < 0)
		return sbx_error_set(err, errno, "backtest: eventfd");
	uint64_t spin = c->job->spin_ns;
	if (spin == UINT64_MAX) {
		/* STRATBOX_LOCKSTEP_SPIN_NS: for benchmarks of the exchange */
		const char *env = getenv("STRATBOX_LOCKSTEP_SPIN_NS");
		spin = env && *env ? strtoull(env, NULL, 10) : DEFAULT_SPIN_NS;
	}
	d->spin.max = d->spin.cur = spin;
	d->eng = calloc(c->k, sizeof(*d->eng));
	d->failed = calloc(c->k, sizeof(bool));
	d->warmup = calloc(c->k, sizeof(size_t));
	if (d->eng == NULL || d->failed == NULL || d->warmup == NULL)
		return sbx_error_set(err, ENOMEM, "backtest");
	return region_new(d, err);
}

/* Start the strategy's process on the region and wait for its hello.
 * Returns its mode (LS_EVENT, LS_VECTOR), 0 when there was none (the
 * process ended first; a malformed one sets c->host_error), -1 with *err
 * when the job could not start. */
int driver_start(struct driver *d, sbx_error **err)
{
	const bt_job *job = d->c->job;
	size_t k = d->c->k;
	/* the limits are each backtest's: k of them share this process's time */
	uint64_t timeout = job->timeout_ns ? job->timeout_ns : BT_DEFAULT_TIMEOUT_NS;
	d->sj = (struct sbx_job){ .code = job->code,
				  .code_len = job->code_len,
				  .timeout_ns = timeout * k,
				  .memory = job->memory,
				  .millicpus = job->millicpus,
				  .cpu_time_ns = job->cpu_time_ns * k,
				  .seed = job->seed,
				  .has_seed = job->has_seed,
				  .lockstep_fd = d->fd,
				  .cancel_fd = d->kill_fd };
	if (pthread_create(&d->th, NULL, job_thread, d) != 0)
		return sbx_error_set(err, EAGAIN, "backtest thread");
	d->started = true;
	if (!driver_wait_slot(d, ++d->slot_seq)) {
		if (!atomic_load(&d->done)) {
			d->c->host_error = strdup("a malformed hello from the strategy");
			driver_post(d, LS_END, 0); /* its runtime waits for a bar: let it end now */
		}
		return 0;
	}
	uint32_t mode = __atomic_load_n(&d->h->slot_mode, __ATOMIC_ACQUIRE);
	if (mode != LS_VECTOR && mode != LS_EVENT) {
		d->c->host_error = str_printf("a malformed hello from the strategy (mode %u)", mode);
		return 0;
	}
	return (int) mode;
}

/* Stop waiting after the end: the job ended, or the tick is over. */
static bool end_wait_done(void *arg)
{
	struct driver *d = arg;
	return job_done(d) || ls_now_ns() >= d->tick_end;
}

/* How long the strategy's process has to end once told to. */
#define END_GRACE_NS (1000ull * 1000000ull)

/* Tell the process to end and wait for its result.  The end is said again
 * every 20 ms (hostile code can overwrite the word that says it, between
 * the host's write and its runtime's read); a process that has not ended
 * after END_GRACE_NS is killed, and the run is the strategy's error. */
int driver_end(struct driver *d, sbx_error **err)
{
	if (!d->started)
		return 0;
	uint64_t t0 = ls_now_ns();
	for (;;) {
		driver_post(d, LS_END, d->written);
		uint32_t seen = __atomic_load_n(&d->h->slot_seq, __ATOMIC_ACQUIRE);
		static const struct timespec tick = { 0, 20 * 1000000L };
		d->tick_end = ls_now_ns() + 20 * 1000000ull;
		(void) ls_wait_change(&d->h->slot_seq, seen, &d->h->host_sleeping, &d->spin,
				      &tick, end_wait_done, d);
		if (atomic_load(&d->done))
			break;
		if (!d->killed && ls_now_ns() - t0 > END_GRACE_NS) {
			kill_job(d);
			d->c->killed_at_end = d->killed;
			if (d->killed && d->c->host_error == NULL)
				d->c->host_error = strdup(
					"the strategy's process did not end when the backtest did");
		}
	}
	pthread_join(d->th, NULL);
	d->started = false;
	if (d->run_rc < 0) {
		*err = d->run_err;
		d->run_err = NULL;
		return -1;
	}
	return 0;
}
