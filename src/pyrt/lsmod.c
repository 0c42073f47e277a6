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

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
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

/* wait(seq) -> the host's sequence number once it differs from seq. */
static PyObject *ls_wait(PyObject *self, PyObject *arg)
{
	(void) self;
	if (region == NULL)
		return need_region();
	unsigned long seq = PyLong_AsUnsignedLong(arg);
	if (seq == (unsigned long) -1 && PyErr_Occurred())
		return NULL;
	uint32_t want = (uint32_t) seq, now;
	Py_BEGIN_ALLOW_THREADS
	uint64_t spin = region->spin_ns, t0 = spin ? mono_ns() : 0;
	unsigned n = 0;
	for (;;) {
		now = __atomic_load_n(&region->host_seq, __ATOMIC_ACQUIRE);
		if (now != want)
			break;
		if (spin && (++n & 63) != 0) {
			__builtin_ia32_pause();
			continue;
		}
		if (spin && mono_ns() - t0 < spin)
			continue;
		syscall(SYS_futex, &region->host_seq, FUTEX_WAIT, want, NULL, NULL, 0);
	}
	Py_END_ALLOW_THREADS
	return PyLong_FromUnsignedLong(now);
}

/* post(): the answers are written; wake the host. */
static PyObject *ls_post(PyObject *self, PyObject *noargs)
{
	(void) self;
	(void) noargs;
	if (region == NULL)
		return need_region();
	__atomic_add_fetch(&region->slot_seq, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &region->slot_seq, FUTEX_WAKE, 1, NULL, NULL, 0);
	Py_RETURN_NONE;
}

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

/* answer(inst, bar, orders): orders as normalize_signals() gives them,
 * tuples (action, symbol index, size, limit, stop, sl, tp). */
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
	struct ls_answer *a = answer_of(inst);
	if (a == NULL)
		return NULL;
	Py_ssize_t n = PyList_GET_SIZE(orders);
	if (n > (Py_ssize_t) LS_MAX_ORDERS) {
		PyErr_Format(PyExc_ValueError, "bar %llu: %zd orders on one bar; at most %u", bar, n,
			     LS_MAX_ORDERS);
		return NULL;
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		PyObject *t = PyList_GET_ITEM(orders, i);
		if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 7) {
			PyErr_SetString(PyExc_TypeError, "an order is a 7-tuple");
			return NULL;
		}
		struct ls_order o;
		memset(&o, 0, sizeof(o));
		const char *act = PyUnicode_AsUTF8(PyTuple_GET_ITEM(t, 0));
		if (act == NULL)
			return NULL;
		for (uint8_t k = 1; k < 5; k++)
			if (strcmp(act, actions[k]) == 0)
				o.action = k;
		long sym = PyLong_AsLong(PyTuple_GET_ITEM(t, 1));
		if (sym == -1 && PyErr_Occurred())
			return NULL;
		o.symbol = (uint16_t) (sym < 0 ? 0xffff : sym);
		if (field(PyTuple_GET_ITEM(t, 2), LS_HAS_SIZE, &o.flags, &o.size) < 0 ||
		    field(PyTuple_GET_ITEM(t, 3), LS_HAS_LIMIT, &o.flags, &o.limit) < 0 ||
		    field(PyTuple_GET_ITEM(t, 4), LS_HAS_STOP, &o.flags, &o.stop) < 0 ||
		    field(PyTuple_GET_ITEM(t, 5), LS_HAS_SL, &o.flags, &o.sl) < 0 ||
		    field(PyTuple_GET_ITEM(t, 6), LS_HAS_TP, &o.flags, &o.tp) < 0)
			return NULL;
		a->orders[i] = o;
	}
	a->norders = (uint32_t) n;
	a->bar = bar;
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

static PyMethodDef methods[] = {
	{ "region", ls_region, METH_NOARGS, "the lockstep region as a memoryview, or None" },
	{ "wait", ls_wait, METH_O, "wait until the host's sequence number moves past seq" },
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
	return PyModule_Create(&module);
}
