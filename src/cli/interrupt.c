/* SIGINT, SIGTERM and SIGHUP for the commands that run jobs on a pool
 * (exec, backtest): the jobs are stopped and the pool with them, so that
 * nothing they made outlives the command (`stratbox kill POOL` sends
 * SIGTERM too).  Without this the default action ended the process at
 * once and left its slots' cgroups for the next start to sweep.
 *
 * The signals are blocked in every thread (so call this before the pool
 * starts its threads) and taken by one thread of ours, which raises a flag
 * and makes an eventfd readable: a job's cancel_fd (struct sbx_job), a
 * backtest's cancel (bt_job) and the command's own loops see it.  A second
 * signal while the first is being handled ends the process at once. */
#include "cli/cli.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* the signal taken, 0 before: also the flag a backtest watches (bt_job's
 * cancel, a volatile int written by this one thread) */
static volatile int taken;
static int efd = -1;
static sigset_t set;

static void *taker(void *arg)
{
	(void) arg;
	int sig = 0;
	if (sigwait(&set, &sig) != 0)
		return NULL;
	taken = sig;
	uint64_t one = 1;
	(void) !write(efd, &one, sizeof(one));
	/* the next one is not asked twice: the default action, now */
	(void) sigwait(&set, &sig);
	signal(sig, SIG_DFL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	return NULL;
}

int cli_interrupt_start(void)
{
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -1;
	/* the sandbox clears the mask in what it starts */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_t th;
	if (pthread_create(&th, NULL, taker, NULL) != 0) {
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		close(efd);
		efd = -1;
		return -1;
	}
	pthread_detach(th);
	return efd;
}

const volatile int *cli_interrupt_flag(void)
{
	return &taken;
}

int cli_interrupted(void)
{
	return taken;
}
