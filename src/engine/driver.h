/* The lockstep driver: one job on a pool slot and the region it shares
 * with the host (src/pyrt/lockstep.h), for chunk.c's event and vectorised
 * modes.  Shared by src/engine/chunk.c and driver.c only.
 *
 * The region is written only by the host and read back only where the slot
 * answers: the driver keeps its own copy of the layout (lay) and never reads
 * back what it wrote.  The job runs on a second thread (sbx_pool_run()
 * blocks while its supervisor watches it); when it ends, for whatever
 * reason, that thread sets `done` and wakes the host, which stops waiting. */
#ifndef STRATBOX_ENGINE_DRIVER_H
#define STRATBOX_ENGINE_DRIVER_H

#include "engine/chunk.h"
#include "pyrt/lockstep.h"
#include "stratbox/pyrt.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

struct driver {
	struct chunk *c;
	sbx_pool *pool;
	struct ls_header *h;
	struct ls_header lay; /* the layout as made here: never read back from h */
	size_t size;
	int fd;
	int kill_fd; /* an eventfd: written, the job is killed (sbx_job.cancel_fd) */
	bool killed; /* by the host: cancelled, or it would not end */
	uint64_t tick_end; /* driver_end: when to say the end again */
	uint32_t host_seq, slot_seq;
	struct ls_spin spin;
	size_t written; /* bars [0, written) are in the region */
	/* driver_keep_apart: this thread's CPUs before it moved off the slot's */
	cpu_set_t cpus;
	bool moved, apart_off;
	size_t next_move; /* the first bar it may move again */
	/* the job's thread */
	pthread_t th;
	bool started;
	atomic_int done;
	struct sbx_job sj;
	struct sbx_job_result jr;
	int run_rc;
	sbx_error *run_err;
	bt_engine **eng;
	bool *failed;
	size_t *warmup;
};

/* The region for the chunk's bars and instances; the job not yet started. */
int driver_init(struct driver *d, sbx_pool *pool, struct chunk *c, sbx_error **err);
/* Start the strategy's process and wait for its hello: LS_EVENT or
 * LS_VECTOR, 0 when there was none (c->host_error may say why), -1 with
 * *err when the job could not start. */
int driver_start(struct driver *d, sbx_error **err);
/* Tell the process to end (again, until it does; killed after a grace) and
 * wait for its result. */
int driver_end(struct driver *d, sbx_error **err);
void driver_free(struct driver *d);

/* Wait until the slot has posted want; false when the job ended first or
 * the slot's count moved on its own (a broken protocol). */
bool driver_wait_slot(struct driver *d, uint32_t want);
/* Say kind (bars [0, upto) present) and wake the slot. */
void driver_post(struct driver *d, uint32_t kind, uint64_t upto);
/* Put bars [written, upto) into the region; the kind to post them with
 * in event mode: with ride, and one bar to put, LS_BAR1 (its symbol 0
 * Close goes on host_seq's line, not in its column: lockstep.h), else
 * LS_BAR (every value in its column). */
uint32_t driver_write_bars(struct driver *d, size_t upto, bool ride);
/* Spinning, keep this thread off the slot's CPU (bar: the bar just
 * answered); driver_keep_apart_end gives the thread its CPUs back. */
void driver_keep_apart(struct driver *d, size_t bar);
void driver_keep_apart_end(struct driver *d);
/* Ask for the lines bars [.., upto) and the accounts will be written on. */
void driver_prefetch(struct driver *d, size_t upto);
struct ls_account *driver_account(struct driver *d, size_t i);
struct ls_answer *driver_answer(struct driver *d, size_t i);

#endif
