/* The lockstep region between a backtest's engine (the host) and its
 * strategy (a pool slot): one shared memory region (a memfd the host makes
 * and hands to the slot with its job) holding the bars, the account states
 * and the answers, and two futex words.
 *
 *   host:  writes the next bar and the account states, bumps host_seq
 *   slot:  calls the strategy (each instance), writes the orders, bumps slot_seq
 *
 * The host writes bar i+1 only after it has read the answer for bar i, so
 * no bar after the current one is ever in the strategy's process: the
 * columns past the current bar are zeros until then (docs/backtest.md,
 * "Lookahead").  Vectorised mode grows the data the same way, by cuts.
 *
 * The slot runs hostile code that can write anything anywhere in the
 * region, so the host copies an answer out before it looks at it, bounds
 * every count, validates every order in the engine, and never reads its own
 * earlier writes back from the region (its engine keeps its own copy of the
 * data and the accounts).  A wrong answer ends the run as a protocol error;
 * it can never change a number the engine computes.
 *
 * One region serves several instances of the strategy (a sweep's
 * parameter combinations, run in one slot): one exchange per bar then
 * carries every instance's orders, and the wake-ups are shared.
 *
 * Both sides wait by spinning for up to spin_ns, then on the futex; a side
 * that goes to sleep says so first (*_sleeping), and the other side makes
 * the wake-up system call only then: while both spin, a bar's exchange
 * makes no system call at all.  (The flags are advisory: the host never
 * sleeps longer than 20 ms on them, so a slot that lies about them only
 * slows itself.)  Spinning, the two sides need a core each: the slot says
 * which CPU it runs on (slot_cpu), and the host keeps its thread off that
 * one (driver.c, driver_keep_apart); advisory too.  Shared by the host (src/engine/) and
 * the zygote's module (src/pyrt/lsmod.c); no other file should need it. */
#ifndef STRATBOX_PYRT_LOCKSTEP_H
#define STRATBOX_PYRT_LOCKSTEP_H

#include <linux/futex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LS_MAGIC 0x4b53424cu /* "LBSK" */
#define LS_VERSION 1u
#define LS_MAX_SYMBOLS 16u
#define LS_MAX_ORDERS 64u      /* per bar and instance; more is the strategy's error */
#define LS_MAX_INSTANCES 4096u /* strategy instances in one region */
#define LS_ERROR_MAX 2048u     /* an instance's error text (a sweep's combination failed) */
#define LS_CONFIG_MAX (1u << 20)

enum ls_mode {
	LS_EVENT = 1,  /* generate_signals(current_data) bar by bar */
	LS_VECTOR = 2, /* signals(data) on the data so far, once per cut */
};

enum ls_kind {
	LS_BAR = 1, /* bars [0, upto) are there: answer for bar upto-1 */
	LS_CUT,	    /* vectorised: targets for bars [0, upto) from them alone */
	LS_END,	    /* no more: return */
	/* LS_BAR, and the last bar's Close of symbol 0 is close0 on host_seq's
	 * line, not yet in its column: the slot's runtime puts it there when
	 * it wakes (the host sent one bar; the line the bump brings carries
	 * the value nearly every strategy reads first) */
	LS_BAR1,
};

enum ls_action { LS_BUY = 1, LS_SELL, LS_CLOSE, LS_CANCEL };

/* ls_order.flags: which optional fields are set */
#define LS_HAS_SIZE 1u
#define LS_HAS_LIMIT 2u
#define LS_HAS_STOP 4u
#define LS_HAS_SL 8u
#define LS_HAS_TP 16u

struct ls_order {
	uint8_t action; /* enum ls_action */
	uint8_t flags;	/* LS_HAS_* */
	uint16_t symbol;
	uint32_t pad;
	double size, limit, stop, sl, tp;
};

/* What an instance is shown before its call: the account after the
 * current bar's fills, valued at its Close (host -> slot). */
struct ls_account {
	double cash, equity, available;
	uint32_t finished; /* ruined, or failed: no more calls */
	uint32_t pad;
	double position[LS_MAX_SYMBOLS];
};

/* One instance's answer for a bar (slot -> host). */
struct ls_answer {
	uint64_t bar;	  /* the bar these orders were placed on */
	uint32_t norders;
	uint32_t error_len; /* > 0: the instance raised; its text below, it is finished */
	struct ls_order orders[LS_MAX_ORDERS];
	char error[LS_ERROR_MAX];
};

/* The region's first page.  Offsets are from the start of the region;
 * every array is 64-byte aligned. */
struct ls_header {
	uint32_t magic, version;
	uint32_t mode; /* enum ls_mode */
	uint32_t nsym;
	uint64_t nbars, ninst;
	uint64_t spin_ns;
	uint64_t size;			/* of the whole region */
	uint64_t config_off, config_len; /* JSON: symbols, strategy name, params per instance */
	uint64_t time_off;		/* int64_t[nbars]: seconds since the epoch, UTC */
	uint64_t cols_off;		/* double[nsym][5][nbars]: open high low close volume */
	uint64_t has_off;		/* uint8_t[nsym][nbars]: the symbol has a bar there */
	uint64_t acct_off;		/* struct ls_account[ninst] */
	uint64_t answer_off;		/* struct ls_answer[ninst] (event mode) */
	uint64_t targets_off;		/* double[ninst][nbars] (vectorised mode) */
	/* host -> slot, a bar's one line: the slot spins on host_seq, and the
	 * same read brings what the bump says (one cache line crosses, not two) */
	_Alignas(64) uint32_t host_seq; /* futex: bumped by the host */
	uint32_t slot_sleeping;		/* the slot waits on host_seq in the kernel */
	uint32_t kind;			/* enum ls_kind, with host_seq */
	uint32_t finished0;		/* instance 0's account, copied here: below */
	uint64_t upto; /* bars [0, upto) are present */
	/* instance 0's account (as in the accounts array, but for positions
	 * past the first symbol's): the first thing the slot reads after the
	 * bump, so it comes on the line the bump brings */
	double cash0, equity0, available0, position0;
	double close0; /* with LS_BAR1 (above) */
	/* slot -> host */
	_Alignas(64) uint32_t slot_seq; /* futex: bumped by the slot */
	uint32_t host_sleeping;		/* the host waits on slot_seq in the kernel */
	uint32_t slot_cpu;		/* with each bump: the CPU the slot runs on, + 1 */
	/* with each bump: 1 when the region has one instance and its answer
	 * carries no order and no error for this bar, so that the host need
	 * not fetch the answer's line (taken from the answer itself: a lie is
	 * no more than forging the answer, and drops only its own orders) */
	uint32_t slot_quiet;
	/* slot -> host, once, with the first slot_seq bump: the strategy
	 * class is loaded and is LS_EVENT or LS_VECTOR (it defines signals()) */
	_Alignas(64) uint32_t slot_mode;
};

/* The offsets Python code uses (src/pyrt/python/stratbox/_backtest.py, and
 * the tests' attacks in tests/pyrt/lookahead/common.py and forge.py). */
_Static_assert(offsetof(struct ls_header, time_off) == 64, "ls_header layout");
_Static_assert(offsetof(struct ls_header, targets_off) == 104, "ls_header layout");
_Static_assert(offsetof(struct ls_header, host_seq) == 128, "ls_header layout");
_Static_assert(offsetof(struct ls_header, kind) == 136, "ls_header layout");
_Static_assert(offsetof(struct ls_header, upto) == 144, "ls_header layout");
_Static_assert(offsetof(struct ls_header, position0) == 176, "ls_header layout");
_Static_assert(offsetof(struct ls_header, close0) == 184, "ls_header layout");
_Static_assert(offsetof(struct ls_header, slot_seq) == 192, "ls_header layout");
_Static_assert(offsetof(struct ls_header, slot_quiet) == 204, "ls_header layout");
_Static_assert(offsetof(struct ls_header, slot_mode) == 256, "ls_header layout");

/* ---- waiting, the same on both sides ---- */

/* A side's adaptive spin: the next spin covers twice the last wait (plus a
 * little), up to max; a wait longer than max halves it.  A side whose waits
 * are short keeps spinning through them; one whose other side is slow (a
 * strategy that takes milliseconds a bar, a busy machine) stops spinning
 * and sleeps, and starts again as soon as its waits are short again. */
struct ls_spin {
	uint64_t max, cur;
};

static inline uint64_t ls_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* Wait until *word is no longer old and return its value: spin first, then
 * sleep on the futex with *sleeping set, so that the other side (which
 * wakes only a sleeper, ls_bump) makes no system call while both spin.
 * With a timeout, sleeps last at most that long and stop(arg) is asked
 * after each: when it says so, the value is returned as it stands (maybe
 * still old). */
static inline uint32_t ls_wait_change(uint32_t *word, uint32_t old, uint32_t *sleeping,
				      struct ls_spin *sp, const struct timespec *timeout,
				      bool (*stop)(void *), void *arg)
{
	uint64_t t0 = ls_now_ns();
	unsigned n = 0;
	bool slept = false;
	uint32_t now;
	for (;;) {
		now = __atomic_load_n(word, __ATOMIC_ACQUIRE);
		if (now != old || (stop != NULL && stop(arg)))
			break;
		if (!slept && sp->cur && (++n & 63) != 0) {
			__builtin_ia32_pause();
			continue;
		}
		if (!slept && sp->cur && ls_now_ns() - t0 < sp->cur)
			continue;
		slept = true;
		__atomic_store_n(sleeping, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(word, __ATOMIC_SEQ_CST) == old && (stop == NULL || !stop(arg)))
			syscall(SYS_futex, word, FUTEX_WAIT, old, timeout, NULL, 0);
		__atomic_store_n(sleeping, 0, __ATOMIC_RELAXED);
	}
	uint64_t waited = ls_now_ns() - t0;
	if (waited > sp->max)
		sp->cur /= 2;
	else
		sp->cur = 2 * waited + 2000 < sp->max ? 2 * waited + 2000 : sp->max;
	(void) slept;
	return now;
}

/* Bump *word and wake the other side if it sleeps on it (force: always). */
static inline void ls_bump(uint32_t *word, uint32_t value, const uint32_t *sleeping, bool force)
{
	__atomic_store_n(word, value, __ATOMIC_SEQ_CST);
	if (force || __atomic_load_n(sleeping, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

#endif
