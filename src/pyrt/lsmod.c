/* _stratbox_ls: the slot's side of the lockstep region (pyrt/lockstep.h),
 * a module built into the zygote.
 *
 * The slot maps the region its job brought before any strategy code runs
 * (lsmod_attach(), from slot_run()); stratbox/_backtest.py reads the bars
 * through numpy views of it and answers through the functions below.  The
 * strategy runs in this process and can call them too, or write the region
 * directly: nothing here is trusted by the host, which validates every
 * answer.  What this module must get right is speed (a bar's exchange is
 * a spin or a futex wait and a wake) and never reading past the region. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "pyrt/lockstep.h"
#include "pyrt/lsmod.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <linux/futex.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static struct ls_header *region;
static size_t region_size;

int lsmod_attach(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t) sizeof(struct ls_header))
		return -EINVAL;
	void *p = mmap(NULL, (size_t) st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	struct ls_header *h = p;
	if (h->magic != LS_MAGIC || h->version != LS_VERSION || h->size != (uint64_t) st.st_size) {
		munmap(p, (size_t) st.st_size);
		return -EPROTO;
	}
	region = h;
	region_size = (size_t) st.st_size;
	return 0;
}

static PyObject *need_region(void)
{
	if (region == NULL)
		PyErr_SetString(PyExc_RuntimeError, "this job has no lockstep region");
	return NULL;
}

/* region() -> a writable memoryview of the whole region, or None. */
static PyObject *ls_region(PyObject *self, PyObject *noargs)
{
	(void) self;
	(void) noargs;
	if (region == NULL)
		Py_RETURN_NONE;
	return PyMemoryView_FromMemory((char *) region, (Py_ssize_t) region_size, PyBUF_WRITE);
}

static struct ls_spin spin = { 0, UINT64_MAX };

/* Wait until the host's sequence number differs from want; returns it. */
static uint32_t wait_host(uint32_t want)
{
	uint32_t now;
	Py_BEGIN_ALLOW_THREADS
	spin.max = region->spin_ns;
	if (spin.cur > spin.max)
		spin.cur = spin.max;
	now = ls_wait_change(&region->host_seq, want, &region->slot_sleeping, &spin, NULL, NULL,
			     NULL);
	Py_END_ALLOW_THREADS
	return now;
}

/* The lines the bar's call will read (the accounts, each column's newest
 * value) and write (the answers), asked for at once: fetched from the
 * host's core side by side instead of one at a time as Python reaches
 * them.  A prefetch never faults, whatever the header says. */
static void prefetch_bar(uint64_t upto)
{
	const struct ls_header *h = region;
	if (upto == 0 || upto > h->nbars)
		return;
	uint64_t nsym = h->nsym < LS_MAX_SYMBOLS ? h->nsym : LS_MAX_SYMBOLS,
		 ninst = h->ninst < 8 ? h->ninst : 8;
	const char *base = (const char *) h;
	__builtin_prefetch(base + h->time_off + (upto - 1) * 8, 0);
	for (uint64_t c = 0; c < nsym * 5; c++)
		__builtin_prefetch(base + h->cols_off + (c * h->nbars + upto - 1) * 8, 0);
	for (uint64_t i = 0; i < ninst; i++) {
		if (i > 0 || nsym > 1) /* instance 0's came with the bump (lockstep.h) */
			__builtin_prefetch(base + h->acct_off + i * sizeof(struct ls_account), 0);
		__builtin_prefetch(base + h->answer_off + i * sizeof(struct ls_answer), 1);
	}
}

/* What the host sent, read once it has: kind (LS_BAR1 is told as LS_BAR,
 * once its Close is in place: lockstep.h) and upto.  kind, upto and close0
 * are read as a seqlock (kind is 0 while the host changes the other two,
 * driver.c): woken by the host's post they are always whole, but code here
 * that bumps host_seq itself can wake this in the middle of a post, and
 * then a close0 read beside another bar's upto would go in the wrong
 * place; it is left out instead (its own view, only).  So is a close0
 * whose upto is not one past the last this runtime saw: that code can
 * write upto too, and only the host's own next bar is put in place. */
static uint64_t seen_upto;

static uint32_t arrived(uint64_t *upto)
{
	uint32_t kind = __atomic_load_n(&region->kind, __ATOMIC_ACQUIRE);
	*upto = __atomic_load_n(&region->upto, __ATOMIC_RELAXED);
	if (kind == LS_BAR1) {
		double close = region->close0;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		bool whole = __atomic_load_n(&region->kind, __ATOMIC_RELAXED) == LS_BAR1 &&
			     __atomic_load_n(&region->upto, __ATOMIC_RELAXED) == *upto;
		if (whole && *upto == seen_upto + 1 && *upto <= region->nbars && region->nsym > 0)
			((double *) ((char *) region + region->cols_off))[3 * region->nbars + *upto - 1] =
				close;
		kind = LS_BAR;
	}
	if (kind == LS_BAR) {
		seen_upto = *upto;
		prefetch_bar(*upto);
	}
	return kind;
}

/* next(seq) -> (seq, kind, upto): wait, then what the host sent. */
static PyObject *ls_next(PyObject *self, PyObject *arg)
{
	(void) self;
	if (region == NULL)
		return need_region();
	unsigned long seq = PyLong_AsUnsignedLong(arg);
	if (seq == (unsigned long) -1 && PyErr_Occurred())
		return NULL;
	uint32_t now = wait_host((uint32_t) seq);
	uint64_t upto;
	uint32_t kind = arrived(&upto);
	return Py_BuildValue("(kIK)", (unsigned long) now, kind, (unsigned long long) upto);
}

/* The answers are written: say where this process runs and whether the
 * one instance's answer is empty (lockstep.h), and wake the host (only if
 * it sleeps). */
static void post_answers(void)
{
	int cpu = sched_getcpu(); /* glibc reads it from rseq: no system call */
	region->slot_cpu = cpu >= 0 ? (uint32_t) cpu + 1 : 0;
	const struct ls_answer *a0 = (const struct ls_answer *) ((char *) region +
								 region->answer_off);
	region->slot_quiet = region->ninst == 1 && a0->error_len == 0 &&
			     (a0->norders == 0 || a0->bar + 1 != region->upto);
	ls_bump(&region->slot_seq, __atomic_load_n(&region->slot_seq, __ATOMIC_RELAXED) + 1,
		&region->host_sleeping, false);
}

/* post(): the answers are written (post_answers). */
static PyObject *ls_post(PyObject *self, PyObject *noargs)
{
	(void) self;
	(void) noargs;
	if (region == NULL)
		return need_region();
	post_answers();
	Py_RETURN_NONE;
}

static PyObject *s_cash, *s_equity, *s_available, *s_position, *s_positions, *s_bar_index,
	*s_generate_signals, *s_n;

static struct ls_answer *answer_of(Py_ssize_t inst)
{
	if (inst < 0 || (uint64_t) inst >= region->ninst) {
		PyErr_SetString(PyExc_IndexError, "no such strategy instance");
		return NULL;
	}
	return (struct ls_answer *) ((char *) region + region->answer_off) + inst;
}

static const char *const actions[] = { NULL, "buy", "sell", "close", "cancel" };

/* One optional price or size: None, or a number kept with its flag. */
static int field(PyObject *v, unsigned flag, uint8_t *flags, double *out)
{
	if (v == Py_None) {
		*out = 0;
		return 0;
	}
	double d = PyFloat_AsDouble(v);
	if (d == -1.0 && PyErr_Occurred())
		return -1;
	*out = d;
	*flags |= (uint8_t) flag;
	return 0;
}

/* Write instance inst's orders for bar (a list of normalize_signals()'s
 * tuples: action, symbol index, size, limit, stop, sl, tp); -1 with a
 * Python error. */
static int answer_orders(Py_ssize_t inst, unsigned long long bar, PyObject *orders)
{
	struct ls_answer *a = answer_of(inst);
	if (a == NULL)
		return -1;
	if (!PyList_Check(orders)) {
		PyErr_SetString(PyExc_TypeError, "the orders are a list");
		return -1;
	}
	Py_ssize_t n = PyList_GET_SIZE(orders);
	if (n > (Py_ssize_t) LS_MAX_ORDERS) {
		PyErr_Format(PyExc_ValueError, "bar %llu: %zd orders on one bar; at most %u", bar, n,
			     LS_MAX_ORDERS);
		return -1;
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		PyObject *t = PyList_GET_ITEM(orders, i);
		if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 7) {
			PyErr_SetString(PyExc_TypeError, "an order is a 7-tuple");
			return -1;
		}
		struct ls_order o;
		memset(&o, 0, sizeof(o));
		const char *act = PyUnicode_AsUTF8(PyTuple_GET_ITEM(t, 0));
		if (act == NULL)
			return -1;
		for (uint8_t k = 1; k < 5; k++)
			if (strcmp(act, actions[k]) == 0)
				o.action = k;
		long sym = PyLong_AsLong(PyTuple_GET_ITEM(t, 1));
		if (sym == -1 && PyErr_Occurred())
			return -1;
		o.symbol = (uint16_t) (sym < 0 ? 0xffff : sym);
		if (field(PyTuple_GET_ITEM(t, 2), LS_HAS_SIZE, &o.flags, &o.size) < 0 ||
		    field(PyTuple_GET_ITEM(t, 3), LS_HAS_LIMIT, &o.flags, &o.limit) < 0 ||
		    field(PyTuple_GET_ITEM(t, 4), LS_HAS_STOP, &o.flags, &o.stop) < 0 ||
		    field(PyTuple_GET_ITEM(t, 5), LS_HAS_SL, &o.flags, &o.sl) < 0 ||
		    field(PyTuple_GET_ITEM(t, 6), LS_HAS_TP, &o.flags, &o.tp) < 0)
			return -1;
		a->orders[i] = o;
	}
	a->norders = (uint32_t) n;
	a->bar = bar;
	return 0;
}

/* answer(inst, bar, orders): orders as normalize_signals() gives them. */
static PyObject *ls_answer(PyObject *self, PyObject *args)
{
	(void) self;
	Py_ssize_t inst;
	unsigned long long bar;
	PyObject *orders;
	if (!PyArg_ParseTuple(args, "nKO!", &inst, &bar, &PyList_Type, &orders))
		return NULL;
	if (region == NULL)
		return need_region();
	if (answer_orders(inst, bar, orders) < 0)
		return NULL;
	Py_RETURN_NONE;
}

/* fail(inst, text): the instance raised; it gets no more calls. */
static PyObject *ls_fail(PyObject *self, PyObject *args)
{
	(void) self;
	Py_ssize_t inst;
	const char *text;
	Py_ssize_t len;
	if (!PyArg_ParseTuple(args, "ns#", &inst, &text, &len))
		return NULL;
	if (region == NULL)
		return need_region();
	struct ls_answer *a = answer_of(inst);
	if (a == NULL)
		return NULL;
	if (len > (Py_ssize_t) LS_ERROR_MAX)
		len = LS_ERROR_MAX;
	memcpy(a->error, text, (size_t) len);
	a->error_len = (uint32_t) len;
	a->norders = 0;
	Py_RETURN_NONE;
}

/* Set obj's cash, equity, available, position, positions (a dict over
 * symbols) and bar_index from instance inst's account: 0, or 1 when the
 * host says the instance is finished (nothing set), -1 with a Python
 * error. */
static int sync_account(Py_ssize_t inst, PyObject *obj, unsigned long long bar, PyObject *symbols)
{
	if (inst < 0 || (uint64_t) inst >= region->ninst) {
		PyErr_SetString(PyExc_IndexError, "no such strategy instance");
		return -1;
	}
	const struct ls_account *a = (const struct ls_account *) ((char *) region +
								   region->acct_off) + inst;
	double cash, equity, available, position;
	uint32_t finished;
	if (inst == 0) { /* instance 0's comes on host_seq's line (lockstep.h) */
		const struct ls_header *h = region;
		cash = h->cash0;
		equity = h->equity0;
		available = h->available0;
		position = h->position0;
		finished = h->finished0;
	} else {
		cash = a->cash;
		equity = a->equity;
		available = a->available;
		position = a->position[0];
		finished = a->finished;
	}
	if (finished)
		return 1;
	Py_ssize_t nsym = PyList_GET_SIZE(symbols);
	if (nsym > (Py_ssize_t) LS_MAX_SYMBOLS)
		nsym = LS_MAX_SYMBOLS;
	PyObject *cash_o = PyFloat_FromDouble(cash), *eq = PyFloat_FromDouble(equity),
		 *av = PyFloat_FromDouble(available), *pos = PyFloat_FromDouble(position),
		 *bi = PyLong_FromUnsignedLongLong(bar), *pd = PyDict_New();
	int bad = !cash_o || !eq || !av || !pos || !bi || !pd;
	for (Py_ssize_t k = 0; !bad && k < nsym; k++) {
		PyObject *v = k == 0 ? (Py_INCREF(pos), pos) : PyFloat_FromDouble(a->position[k]);
		bad = v == NULL || PyDict_SetItem(pd, PyList_GET_ITEM(symbols, k), v) < 0;
		Py_XDECREF(v);
	}
	if (!bad)
		bad = PyObject_SetAttr(obj, s_cash, cash_o) < 0 ||
		      PyObject_SetAttr(obj, s_equity, eq) < 0 ||
		      PyObject_SetAttr(obj, s_available, av) < 0 ||
		      PyObject_SetAttr(obj, s_position, pos) < 0 ||
		      PyObject_SetAttr(obj, s_positions, pd) < 0 ||
		      PyObject_SetAttr(obj, s_bar_index, bi) < 0;
	Py_XDECREF(cash_o);
	Py_XDECREF(eq);
	Py_XDECREF(av);
	Py_XDECREF(pos);
	Py_XDECREF(bi);
	Py_XDECREF(pd);
	return bad ? -1 : 0;
}

/* sync(inst, obj, bar, symbols) -> finished: show obj its account (above);
 * True when the host says it is finished. */
static PyObject *ls_sync(PyObject *self, PyObject *args)
{
	(void) self;
	Py_ssize_t inst;
	PyObject *obj, *symbols;
	unsigned long long bar;
	if (!PyArg_ParseTuple(args, "nOKO!", &inst, &obj, &bar, &PyList_Type, &symbols))
		return NULL;
	if (region == NULL)
		return need_region();
	int r = sync_account(inst, obj, bar, symbols);
	if (r < 0)
		return NULL;
	return PyBool_FromLong(r);
}

/* One instance's call on a bar: shown its account, asked, its orders
 * checked (normalize) and written.  0 (or 1: finished, not asked), -1
 * with a Python error from any step. */
static int call_one(Py_ssize_t inst, PyObject *obj, unsigned long long bar, PyObject *bars,
		    PyObject *symbols, PyObject *normalize)
{
	int r = sync_account(inst, obj, bar, symbols);
	if (r != 0)
		return r;
	PyObject *sig = PyObject_CallMethodOneArg(obj, s_generate_signals, bars);
	if (sig == NULL)
		return -1;
	PyObject *b = PyLong_FromUnsignedLongLong(bar);
	PyObject *orders = b ? PyObject_CallFunctionObjArgs(normalize, sig, symbols, b, NULL) : NULL;
	Py_DECREF(sig);
	Py_XDECREF(b);
	if (orders == NULL)
		return -1;
	r = answer_orders(inst, bar, orders);
	Py_DECREF(orders);
	return r;
}

/* drive(stores, calls, bars, symbols, normalize, failed): the event-mode
 * loop of stratbox/_backtest.py, here to spare each bar the interpreter's
 * share (calls: (instance, object, warmup) tuples).  Until the host says
 * the end: wait for a bar, set each store's n to the bars present, call
 * each live instance past its warmup (call_one), and post.  An Exception
 * from an instance's call goes to failed(instance, exception), and the
 * instance is asked no more; whatever failed() raises, and any other
 * BaseException, ends the loop with it. */
static PyObject *ls_drive(PyObject *self, PyObject *args)
{
	(void) self;
	PyObject *stores, *calls, *bars, *symbols, *normalize, *failed;
	if (!PyArg_ParseTuple(args, "O!O!OO!OO", &PyList_Type, &stores, &PyList_Type, &calls,
			      &bars, &PyList_Type, &symbols, &normalize, &failed))
		return NULL;
	if (region == NULL)
		return need_region();
	Py_ssize_t ncalls = PyList_GET_SIZE(calls);
	struct call {
		Py_ssize_t inst;
		PyObject *obj;
		unsigned long long warmup;
		bool alive;
	} *cs = PyMem_Calloc((size_t) ncalls + 1, sizeof(*cs));
	if (cs == NULL)
		return PyErr_NoMemory();
	for (Py_ssize_t k = 0; k < ncalls; k++) {
		PyObject *t = PyList_GET_ITEM(calls, k);
		if (!PyTuple_Check(t) ||
		    !PyArg_ParseTuple(t, "nOK", &cs[k].inst, &cs[k].obj, &cs[k].warmup)) {
			for (Py_ssize_t j = 0; j < k; j++)
				Py_DECREF(cs[j].obj);
			PyMem_Free(cs);
			if (!PyErr_Occurred())
				PyErr_SetString(PyExc_TypeError, "a call is (instance, object, warmup)");
			return NULL;
		}
		Py_INCREF(cs[k].obj);
		cs[k].alive = true;
	}
	Py_INCREF(stores);
	PyObject *ret = NULL;
	uint32_t seq = 0;
	for (;;) {
		seq = wait_host(seq);
		uint64_t upto;
		if (arrived(&upto) != LS_BAR)
			break;
		PyObject *n = PyLong_FromUnsignedLongLong(upto);
		if (n == NULL)
			goto out;
		for (Py_ssize_t i = 0; i < PyList_GET_SIZE(stores); i++)
			if (PyObject_SetAttr(PyList_GET_ITEM(stores, i), s_n, n) < 0) {
				Py_DECREF(n);
				goto out;
			}
		Py_DECREF(n);
		unsigned long long bar = upto - 1;
		for (Py_ssize_t k = 0; k < ncalls; k++) {
			if (bar < cs[k].warmup || !cs[k].alive)
				continue;
			if (call_one(cs[k].inst, cs[k].obj, bar, bars, symbols, normalize) >= 0)
				continue;
			if (!PyErr_ExceptionMatches(PyExc_Exception))
				goto out;
			cs[k].alive = false;
			PyObject *type, *exc, *tb;
			PyErr_Fetch(&type, &exc, &tb);
			PyErr_NormalizeException(&type, &exc, &tb);
			if (tb != NULL)
				PyException_SetTraceback(exc, tb);
			Py_XDECREF(type);
			Py_XDECREF(tb);
			PyObject *i = PyLong_FromSsize_t(cs[k].inst);
			PyObject *r = i ? PyObject_CallFunctionObjArgs(failed, i, exc, NULL) : NULL;
			Py_XDECREF(i);
			Py_XDECREF(exc);
			if (r == NULL)
				goto out;
			Py_DECREF(r);
		}
		post_answers();
	}
	ret = Py_NewRef(Py_None);
out:
	Py_DECREF(stores);
	for (Py_ssize_t k = 0; k < ncalls; k++)
		Py_DECREF(cs[k].obj);
	PyMem_Free(cs);
	return ret;
}

static PyMethodDef methods[] = {
	{ "next", ls_next, METH_O, "wait for the host, then (seq, kind, upto)" },
	{ "sync", ls_sync, METH_VARARGS, "show an instance its account before a call" },
	{ "drive", ls_drive, METH_VARARGS, "the event-mode loop: every bar until the end" },
	{ "region", ls_region, METH_NOARGS, "the lockstep region as a memoryview, or None" },
	{ "post", ls_post, METH_NOARGS, "the answers are written: wake the host" },
	{ "answer", ls_answer, METH_VARARGS, "write an instance's orders for a bar" },
	{ "fail", ls_fail, METH_VARARGS, "report that an instance raised" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_stratbox_ls", "the slot's side of a backtest's lockstep region",
	-1, methods, NULL, NULL, NULL, NULL,
};

PyObject *lsmod_init(void)
{
	s_cash = PyUnicode_InternFromString("cash");
	s_equity = PyUnicode_InternFromString("equity");
	s_available = PyUnicode_InternFromString("available");
	s_position = PyUnicode_InternFromString("position");
	s_positions = PyUnicode_InternFromString("positions");
	s_bar_index = PyUnicode_InternFromString("bar_index");
	s_generate_signals = PyUnicode_InternFromString("generate_signals");
	s_n = PyUnicode_InternFromString("n");
	if (!s_cash || !s_equity || !s_available || !s_position || !s_positions || !s_bar_index ||
	    !s_generate_signals || !s_n)
		return NULL;
	return PyModule_Create(&module);
}
