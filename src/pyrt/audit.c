/* The job's audit hook (see audit.h and docs/security.md).
 *
 * CPython raises an audit event (PEP 578) before every operation that
 * reaches beyond a computation: starting a process, opening a socket,
 * loading native code, compiling or executing code, importing a module,
 * reading a frame.  A module object reachable through another module's
 * attributes (pandas.io.common.os, sys.modules['socket']) gives nothing by
 * itself: its functions raise these events when called, whoever holds
 * them.  So the hook decides on events, not on spellings:
 *
 *   capability events  (processes, signals, sockets and network clients,
 *                      ctypes, unpickling classes, building code objects
 *                      from parts, tracing hooks, new audit hooks,
 *                      sub-interpreters): refused, whoever calls.
 *   code events        compile and exec: code read from the read-only
 *                      library directories runs (lazy imports); code built
 *                      at run time runs only when a known generator builds
 *                      it on its own account (the runner starting the job,
 *                      dataclass, namedtuple), never when the strategy or
 *                      a library it hands a callable to asks.
 *   introspection      sys._getframe, frame, code, traceback and generator
 *                      frame attributes, the garbage collector's object
 *                      graph (a way to every object, frames included;
 *                      pandas reads it to warn about chained assignment):
 *                      refused when the call comes from
 *                      strategy code, directly or through a one-line
 *                      wrapper (inspect.currentframe): the innermost two
 *                      frames must both be library code.  logging, warnings
 *                      and pandas read frames for their own purposes and
 *                      keep working.
 *   imports            a module not loaded yet, imported on behalf of
 *                      strategy code (by any route: import, __import__,
 *                      importlib), must be on the allow-list; library code
 *                      importing what it needs is not refused.  The refusal
 *                      is an ImportError, so a guarded optional import
 *                      falls back as written.
 *
 * "Strategy code" is any frame whose code does not come from a file in a
 * trusted directory: strategy.py itself, code it generated ("<string>"),
 * anything compiled at run time.  Trusted directories are the absolute
 * sys.path entries on read-only mounts (the job can write to none of
 * them) and frozen modules.
 *
 * Cost: until activation one branch per event; after, a table look-up per
 * event and frame walks only for the events in the table. */
#define PY_SSIZE_T_CLEAN
#include "pyrt/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <frameobject.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

enum rule {
	R_HARD = 1, /* refused whoever calls */
	R_COMPILE,
	R_EXEC,
	R_MARSHAL,
	R_FRAME,    /* sys._getframe */
	R_GETATTR,  /* frame/code attributes (object.__getattr__) */
	R_SETATTR,  /* special attributes of functions and types */
	R_GC,	    /* the garbage collector's object graph */
	R_EXTENSION, /* a native module created (raised by our wrappers) */
	R_FUNCNEW,
	R_IMPORT,
};

struct event_rule {
	const char *name;
	enum rule rule;
};

/* Exact event names, sorted for bsearch.  The CPython 3.11 audit events
 * table is the reference; events not listed here are allowed (file
 * access, for one, is the kernel's to decide). */
static const struct event_rule exact[] = {
	{ "builtins.breakpoint", R_HARD },
	{ "code.__new__", R_HARD },
	{ "compile", R_COMPILE },
	{ "exec", R_EXEC },
	{ "function.__new__", R_FUNCNEW },
	{ "gc.get_objects", R_GC },
	{ "gc.get_referents", R_GC },
	{ "gc.get_referrers", R_GC },
	{ "import", R_IMPORT },
	{ "marshal.load", R_MARSHAL },
	{ "marshal.loads", R_MARSHAL },
	{ "object.__delattr__", R_SETATTR },
	{ "object.__getattr__", R_GETATTR },
	{ "object.__setattr__", R_SETATTR },
	{ "os.exec", R_HARD },
	{ "os.fork", R_HARD },
	{ "os.forkpty", R_HARD },
	{ "os.kill", R_HARD },
	{ "os.killpg", R_HARD },
	{ "os.posix_spawn", R_HARD },
	{ "os.setns", R_HARD },
	{ "os.spawn", R_HARD },
	{ "os.startfile", R_HARD },
	{ "os.system", R_HARD },
	{ "os.unshare", R_HARD },
	{ "pickle.find_class", R_HARD },
	{ "sqlite3.enable_load_extension", R_HARD },
	{ "sqlite3.load_extension", R_HARD },
	{ "stratbox.load_extension", R_EXTENSION },
	{ "subprocess.Popen", R_HARD },
	{ "sys._current_exceptions", R_HARD },
	{ "sys._current_frames", R_HARD },
	{ "sys._getframe", R_FRAME },
	{ "sys._getframemodulename", R_FRAME },
	{ "sys.addaudithook", R_HARD },
	{ "sys.remote_exec", R_HARD },
	{ "sys.setprofile", R_HARD },
	{ "sys.settrace", R_HARD },
	{ "webbrowser.open", R_HARD },
};

/* Event families refused whoever calls: native code, the network, and
 * running other programs or interpreters. */
static const char *const hard_prefixes[] = {
	"ctypes.", "socket.",  "http.client.", "urllib.",  "ftplib.",  "smtplib.",
	"poplib.", "imaplib.", "nntplib.",     "telnetlib.", "cpython.", "_xxsubinterpreters.",
	"_interpreters.", "_winapi.", "winreg.", "msvcrt.", "ensurepip.",
};

/* Modules CPython's own C code imports lazily on behalf of a call made by
 * strategy code (time.strptime imports _strptime; str.encode an encoding).
 * Such an import has no library frame to vouch for it; none of these
 * reaches further than the call that asked for it. */
static const char *const c_level_imports[] = {
	"_strptime", "time", "locale", "_locale", "calendar", "unicodedata", "encodings",
	"codecs", "warnings", "_datetime", "_decimal", "_pydecimal", "zoneinfo", "_json",
	"_random", "_bisect", "_heapq", "_operator", "_functools", "_collections",
};

#define MAX_PREFIXES 32
static struct {
	bool active;
	char *trusted[MAX_PREFIXES]; /* "/usr/lib/python3.11/", ... */
	size_t trusted_len[MAX_PREFIXES];
	int ntrusted;
	char **allowed; /* import roots */
	int nallowed;
	char *importlib_init; /* ".../importlib/__init__.py" */
} A;

static int cmp_rule(const void *key, const void *el)
{
	return strcmp(key, ((const struct event_rule *) el)->name);
}

static int classify(const char *event)
{
	const struct event_rule *r =
		bsearch(event, exact, sizeof(exact) / sizeof(exact[0]), sizeof(exact[0]), cmp_rule);
	if (r != NULL)
		return r->rule;
	for (size_t i = 0; i < sizeof(hard_prefixes) / sizeof(hard_prefixes[0]); i++)
		if (strncmp(event, hard_prefixes[i], strlen(hard_prefixes[i])) == 0)
			return R_HARD;
	return 0;
}

/* ---- frames ---------------------------------------------------------- */

/* A frame's code filename (UTF-8, borrowed from the code object). */
static const char *frame_file(PyFrameObject *f)
{
	PyCodeObject *co = PyFrame_GetCode(f);
	const char *s = PyUnicode_Check(co->co_filename) ? PyUnicode_AsUTF8(co->co_filename) : NULL;
	Py_DECREF(co); /* the frame keeps its code alive */
	if (s == NULL)
		PyErr_Clear();
	return s;
}

static const char *frame_func(PyFrameObject *f)
{
	PyCodeObject *co = PyFrame_GetCode(f);
	const char *s = PyUnicode_Check(co->co_name) ? PyUnicode_AsUTF8(co->co_name) : NULL;
	Py_DECREF(co);
	if (s == NULL)
		PyErr_Clear();
	return s ? s : "";
}

static bool path_trusted(const char *file)
{
	if (file == NULL)
		return false;
	if (strncmp(file, "<frozen ", 8) == 0)
		return true;
	/* no way out of a trusted directory by name */
	if (strstr(file, "/../") != NULL || strstr(file, "/./") != NULL)
		return false;
	for (int i = 0; i < A.ntrusted; i++)
		if (strncmp(file, A.trusted[i], A.trusted_len[i]) == 0)
			return true;
	return false;
}

static bool frame_trusted(PyFrameObject *f)
{
	return f != NULL && path_trusted(frame_file(f));
}

/* Whether a trusted file is the given library module ("dataclasses.py",
 * "collections/__init__.py"). */
static bool file_is(const char *file, const char *tail)
{
	if (file == NULL || !path_trusted(file))
		return false;
	size_t n = strlen(file), t = strlen(tail);
	return n > t && file[n - t - 1] == '/' && strcmp(file + n - t, tail) == 0;
}

static bool is_import_machinery(PyFrameObject *f)
{
	const char *file = frame_file(f);
	if (file == NULL)
		return false;
	return strncmp(file, "<frozen importlib.", 18) == 0 ||
	       (A.importlib_init != NULL && strcmp(file, A.importlib_init) == 0);
}

/* The innermost Python frame (new reference), or NULL. */
static PyFrameObject *innermost(void)
{
	PyFrameObject *f = PyEval_GetFrame();
	Py_XINCREF(f);
	return f;
}

/* Replace *f by its caller (new reference, or NULL). */
static void step_out(PyFrameObject **f)
{
	PyFrameObject *back = PyFrame_GetBack(*f);
	Py_DECREF(*f);
	*f = back;
}

/* Who asks: the innermost frame, passing over the import machinery when
 * skip_import is set (an import is asked for by whoever called it). */
static PyFrameObject *asker(bool skip_import)
{
	PyFrameObject *f = innermost();
	while (skip_import && f != NULL && is_import_machinery(f))
		step_out(&f);
	return f;
}

/* Library code on its own account: the innermost frame and its caller
 * are both trusted, so neither strategy code nor a one-frame wrapper it
 * called directly (inspect.currentframe) is asking. */
static bool library_asks_twice(void)
{
	PyFrameObject *f = innermost();
	bool ok = frame_trusted(f);
	if (ok) {
		step_out(&f);
		ok = f == NULL || frame_trusted(f);
	}
	Py_XDECREF(f);
	return ok;
}

/* Code generated at run time on a generator's own account: the runner
 * starting the job (called from C, no Python frame under it), dataclass
 * building its methods (from its own functions, not a call into
 * _create_fn), namedtuple building its constructor (names it has checked
 * to be identifiers). */
static bool generator_asks(void)
{
	PyFrameObject *f = innermost();
	if (f == NULL)
		return false;
	const char *file = frame_file(f);
	bool ok = false;
	if (file_is(file, "stratbox/_runner.py") && strcmp(frame_func(f), "run_job") == 0) {
		PyFrameObject *back = PyFrame_GetBack(f);
		ok = back == NULL;
		Py_XDECREF(back);
	} else if (file_is(file, "dataclasses.py")) {
		PyFrameObject *back = PyFrame_GetBack(f);
		ok = back != NULL && file_is(frame_file(back), "dataclasses.py");
		Py_XDECREF(back);
	} else if (file_is(file, "collections/__init__.py")) {
		ok = strcmp(frame_func(f), "namedtuple") == 0;
	}
	Py_DECREF(f);
	return ok;
}

/* Compiled, never executed on the asker's account: a tree from ast.parse
 * (pandas' eval and query parse expressions this way), or the expression
 * of a typing forward reference (evaluating it is an exec, refused). */
static bool compile_parser_asks(void)
{
	PyFrameObject *f = innermost();
	if (f == NULL)
		return false;
	const char *file = frame_file(f);
	bool ok = (file_is(file, "ast.py") && strcmp(frame_func(f), "parse") == 0) ||
		  (file_is(file, "typing.py") && strcmp(frame_func(f), "__init__") == 0);
	Py_DECREF(f);
	return ok;
}

/* ---- code read from library files ------------------------------------ */

/* Whether the bytes of obj (bytes, bytearray, memoryview, or str as
 * UTF-8) equal the file's from byte `skip` on. */
static bool equals_file(PyObject *obj, const char *path, size_t skip)
{
	Py_buffer view;
	const char *data;
	Py_ssize_t len;
	bool have_view = false;
	if (PyUnicode_Check(obj)) {
		data = PyUnicode_AsUTF8AndSize(obj, &len);
		if (data == NULL) {
			PyErr_Clear();
			return false;
		}
	} else if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) == 0) {
		data = view.buf;
		len = view.len;
		have_view = true;
	} else {
		PyErr_Clear();
		return false;
	}
	bool same = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t) st.st_size == (uint64_t) len + skip) {
		char *buf = malloc((size_t) len + 1);
		ssize_t got = buf ? pread(fd, buf, (size_t) len, (off_t) skip) : -1;
		same = got == len && memcmp(buf, data, (size_t) len) == 0;
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	if (have_view)
		PyBuffer_Release(&view);
	return same;
}

/* marshal.loads from the import machinery loading a cached module: the
 * data must be the .pyc file's, in a trusted directory. */
static bool marshal_from_library(PyObject *args)
{
	PyFrameObject *f = innermost();
	bool ok = false;
	if (f != NULL && PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 1) {
		const char *file = frame_file(f);
		if (file != NULL && strcmp(file, "<frozen importlib._bootstrap_external>") == 0 &&
		    strcmp(frame_func(f), "_compile_bytecode") == 0) {
			PyObject *locals = PyFrame_GetLocals(f);
			PyObject *p = locals ? PyMapping_GetItemString(locals, "bytecode_path") : NULL;
			const char *path = p && PyUnicode_Check(p) ? PyUnicode_AsUTF8(p) : NULL;
			ok = path != NULL && path_trusted(path) &&
			     equals_file(PyTuple_GET_ITEM(args, 0), path, 16);
			Py_XDECREF(p);
			Py_XDECREF(locals);
			PyErr_Clear();
		}
	}
	Py_XDECREF(f);
	return ok;
}

/* ---- the decisions ---------------------------------------------------- */

static int refuse(PyObject *type, const char *what, const char *why)
{
	PyErr_Format(type, "stratbox: %s is not allowed in strategy code (%s)", what, why);
	return -1;
}

static bool import_allowed(const char *name)
{
	size_t root = strcspn(name, ".");
	for (int i = 0; i < A.nallowed; i++)
		if (strlen(A.allowed[i]) == root && strncmp(A.allowed[i], name, root) == 0)
			return true;
	for (size_t i = 0; i < sizeof(c_level_imports) / sizeof(c_level_imports[0]); i++)
		if (strlen(c_level_imports[i]) == root && strncmp(c_level_imports[i], name, root) == 0)
			return true;
	return false;
}

static int on_import(PyObject *args)
{
	PyObject *mod = PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 1 ? PyTuple_GET_ITEM(args, 0)
									  : NULL;
	const char *name = mod && PyUnicode_Check(mod) ? PyUnicode_AsUTF8(mod) : NULL;
	if (name == NULL) {
		PyErr_Clear();
		return refuse(PyExc_ImportError, "this import", "unnamed module");
	}
	PyFrameObject *f = asker(true);
	bool library = frame_trusted(f);
	Py_XDECREF(f);
	if (library || import_allowed(name))
		return 0;
	PyErr_Format(PyExc_ImportError,
		     "stratbox: import of '%s' is not allowed in strategy code (not on the allow-list)",
		     name);
	return -1;
}

/* An extension or built-in module is being created (our wrappers of
 * _imp.create_dynamic and create_builtin): decided like an import, by
 * whoever asked. */
static int on_extension(PyObject *args)
{
	PyFrameObject *f = asker(true);
	bool library = frame_trusted(f);
	Py_XDECREF(f);
	if (library)
		return 0;
	PyObject *n = PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 1 ? PyTuple_GET_ITEM(args, 0)
									: NULL;
	const char *name = n && PyUnicode_Check(n) ? PyUnicode_AsUTF8(n) : NULL;
	PyErr_Clear();
	if (name != NULL && import_allowed(name))
		return 0;
	PyErr_Format(PyExc_ImportError,
		     "stratbox: import of '%s' is not allowed in strategy code (not on the allow-list)",
		     name ? name : "an extension module");
	return -1;
}

static int on_compile(PyObject *args)
{
	PyObject *src = NULL, *file = NULL;
	if (PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 2) {
		src = PyTuple_GET_ITEM(args, 0);
		file = PyTuple_GET_ITEM(args, 1);
	}
	const char *path = file && PyUnicode_Check(file) ? PyUnicode_AsUTF8(file) : NULL;
	PyErr_Clear();
	if (path != NULL && path_trusted(path)) {
		/* it will run as library code: it must be the library file */
		if (src != NULL && equals_file(src, path, 0))
			return 0;
		return refuse(PyExc_PermissionError, "compiling code under a library file's name",
			      "it would run as trusted library code");
	}
	if (generator_asks() || compile_parser_asks())
		return 0;
	return refuse(PyExc_PermissionError, "compile(), eval() and exec() of code built at run time",
		      "write the code in the strategy itself");
}

/* The name of the module the import machinery is executing: the
 * `module` argument of the innermost loader's exec_module() (a new
 * string), or NULL when no standard loader is running it. */
static char *module_being_loaded(void)
{
	PyFrameObject *f = innermost();
	char *name = NULL;
	for (int depth = 0; f != NULL && depth < 16 && name == NULL; depth++) {
		const char *file = frame_file(f);
		if (file != NULL && strcmp(file, "<frozen importlib._bootstrap_external>") == 0 &&
		    strcmp(frame_func(f), "exec_module") == 0) {
			PyObject *locals = PyFrame_GetLocals(f);
			PyObject *m = locals ? PyMapping_GetItemString(locals, "module") : NULL;
			PyObject *n = m && PyModule_Check(m) ? PyModule_GetNameObject(m) : NULL;
			const char *s = n && PyUnicode_Check(n) ? PyUnicode_AsUTF8(n) : NULL;
			name = s ? strdup(s) : NULL;
			Py_XDECREF(n);
			Py_XDECREF(m);
			Py_XDECREF(locals);
			PyErr_Clear();
			break;
		}
		step_out(&f);
	}
	Py_XDECREF(f);
	return name;
}

/* A library module's top-level code is about to run: an import by any
 * route (the import statement, __import__, importlib.import_module,
 * importlib.reload) meets here, and CPython's own "import" event is not
 * raised on all of them.  Imported on behalf of strategy code, the
 * module must be on the allow-list. */
static int on_module_exec(void)
{
	PyFrameObject *f = asker(true);
	bool library = frame_trusted(f);
	Py_XDECREF(f);
	if (library)
		return 0;
	char *name = module_being_loaded();
	bool ok = name != NULL && import_allowed(name);
	if (!ok)
		PyErr_Format(PyExc_ImportError,
			     "stratbox: import of '%s' is not allowed in strategy code (not on the "
			     "allow-list)",
			     name ? name : "a library module's code outside an import");
	free(name);
	return ok ? 0 : -1;
}

static int on_exec(PyObject *args)
{
	PyObject *code = PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 1 ? PyTuple_GET_ITEM(args, 0)
									   : NULL;
	if (code != NULL && PyCode_Check(code)) {
		PyCodeObject *co = (PyCodeObject *) code;
		const char *path = PyUnicode_Check(co->co_filename) ? PyUnicode_AsUTF8(co->co_filename)
								    : NULL;
		const char *name = PyUnicode_Check(co->co_name) ? PyUnicode_AsUTF8(co->co_name) : NULL;
		PyErr_Clear();
		/* library code (compiled or unmarshalled from its own file) */
		if (path_trusted(path))
			return name != NULL && strcmp(name, "<module>") == 0 ? on_module_exec() : 0;
	}
	if (generator_asks())
		return 0;
	return refuse(PyExc_PermissionError, "exec() and eval() of code built at run time",
		      "write the code in the strategy itself");
}

/* The special attributes whose change makes other code run: a function's
 * code and defaults, a class's bases.  (Names, qualified names, modules
 * and docstrings of classes raise the same event and stay settable.) */
static bool changes_code(PyObject *name)
{
	static const char *const names[] = { "__code__", "__defaults__", "__kwdefaults__",
					     "__bases__", "__class__", "__globals__" };
	const char *s = name && PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
	if (s == NULL) {
		PyErr_Clear();
		return true;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	return false;
}

static int on_setattr(PyObject *args)
{
	PyObject *name = PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 2 ? PyTuple_GET_ITEM(args, 1)
									   : NULL;
	if (!changes_code(name))
		return 0;
	PyFrameObject *f = innermost();
	bool library = frame_trusted(f);
	Py_XDECREF(f);
	if (library)
		return 0;
	return refuse(PyExc_AttributeError, "setting a function's code or defaults or a class's bases",
		      "it changes what library code runs");
}

static int hook(const char *event, PyObject *args, void *ud)
{
	(void) ud;
	if (!A.active)
		return 0;
	int rule = classify(event);
	if (rule == 0)
		return 0;
	switch ((enum rule) rule) {
	case R_HARD:
		return refuse(PyExc_PermissionError, event,
			      "a capability the job sandbox does not give strategy code");
	case R_IMPORT:
		return on_import(args);
	case R_COMPILE:
		return on_compile(args);
	case R_EXEC:
		return on_exec(args);
	case R_MARSHAL:
		if (marshal_from_library(args))
			return 0;
		return refuse(PyExc_PermissionError, event, "it builds code objects from bytes");
	case R_FRAME:
		if (library_asks_twice())
			return 0;
		/* a ValueError, as for a stack too shallow: the standard
		 * library's callers of sys._getframe fall back on it */
		return refuse(PyExc_ValueError, "sys._getframe()",
			      "frames reach every caller's variables");
	case R_GETATTR:
		if (library_asks_twice())
			return 0;
		return refuse(PyExc_AttributeError, "reading frame and code objects",
			      "frames reach every caller's variables");
	case R_SETATTR:
		return on_setattr(args);
	case R_EXTENSION:
		return on_extension(args);
	case R_GC:
		if (library_asks_twice())
			return 0;
		return refuse(PyExc_PermissionError, event, "the object graph reaches every object");
	case R_FUNCNEW: {
		PyFrameObject *f = innermost();
		bool library = frame_trusted(f);
		Py_XDECREF(f);
		if (library)
			return 0;
		return refuse(PyExc_PermissionError, "building functions from code objects",
			      "it runs code under another function's name");
	}
	}
	return 0;
}

/* _imp.create_dynamic and _imp.create_builtin, which raise no audit
 * event of their own: one loads an extension module, and both rebuild a
 * single-phase module from its pristine copy, restoring any function the
 * zygote replaced (_socket.socketpair).  The originals are held here only,
 * out of reach of Python code (a wrapper written in Python would hand them
 * out through its closure). */
enum { IMP_DYNAMIC, IMP_BUILTIN, IMP_COUNT };
static PyObject *real_imp[IMP_COUNT];

static PyObject *imp_create(int which, PyObject *const *args, Py_ssize_t nargs)
{
	PyObject *name = nargs > 0 ? PyObject_GetAttrString(args[0], "name") : NULL;
	if (name == NULL) {
		PyErr_Clear();
		name = Py_NewRef(Py_None);
	}
	int r = PySys_Audit("stratbox.load_extension", "(O)", name);
	Py_DECREF(name);
	if (r < 0)
		return NULL;
	return PyObject_Vectorcall(real_imp[which], args, (size_t) nargs, NULL);
}

static PyObject *create_dynamic(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	(void) self;
	return imp_create(IMP_DYNAMIC, args, nargs);
}

static PyObject *create_builtin(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	(void) self;
	return imp_create(IMP_BUILTIN, args, nargs);
}

static PyMethodDef imp_defs[IMP_COUNT] = {
	{ "create_dynamic", (PyCFunction) (void (*)(void)) create_dynamic, METH_FASTCALL,
	  "Create an extension module (audited: stratbox.load_extension)." },
	{ "create_builtin", (PyCFunction) (void (*)(void)) create_builtin, METH_FASTCALL,
	  "Create a built-in module (audited: stratbox.load_extension)." },
};

static int wrap_module_creators(void)
{
	PyObject *imp = PyImport_ImportModule("_imp");
	if (imp == NULL)
		return -1;
	int r = 0;
	for (int i = 0; i < IMP_COUNT && r == 0; i++) {
		real_imp[i] = PyObject_GetAttrString(imp, imp_defs[i].ml_name);
		PyObject *fn = real_imp[i] ? PyCFunction_New(&imp_defs[i], NULL) : NULL;
		r = fn ? PyObject_SetAttrString(imp, imp_defs[i].ml_name, fn) : -1;
		Py_XDECREF(fn);
	}
	Py_DECREF(imp);
	return r;
}

int audit_install(void)
{
	/* classify() searches the table: an unsorted one would let events
	 * through unseen, so it is a start-up failure */
	for (size_t i = 1; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(exact[i - 1].name, exact[i].name) >= 0)
			return -1;
	return PySys_AddAuditHook(hook, NULL);
}

static void add_trusted(const char *dir)
{
	struct statvfs vfs;
	struct stat st;
	if (A.ntrusted >= MAX_PREFIXES || dir[0] != '/' || stat(dir, &st) < 0 ||
	    !S_ISDIR(st.st_mode) || statvfs(dir, &vfs) < 0 || !(vfs.f_flag & ST_RDONLY))
		return; /* a directory the job could write to is never trusted */
	size_t n = strlen(dir);
	char *p = malloc(n + 2);
	if (p == NULL)
		return;
	memcpy(p, dir, n);
	if (n == 0 || dir[n - 1] != '/')
		p[n++] = '/';
	p[n] = '\0';
	A.trusted[A.ntrusted] = p;
	A.trusted_len[A.ntrusted++] = n;
}

int audit_configure(PyObject *allowed)
{
	PyObject *path = PySys_GetObject("path"); /* borrowed */
	if (path == NULL || !PyList_Check(path)) {
		PyErr_SetString(PyExc_RuntimeError, "sys.path is not a list");
		return -1;
	}
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(path); i++) {
		PyObject *e = PyList_GET_ITEM(path, i);
		const char *s = PyUnicode_Check(e) ? PyUnicode_AsUTF8(e) : NULL;
		if (s == NULL) {
			PyErr_Clear();
			continue;
		}
		add_trusted(s);
	}
	PyObject *il = PyImport_ImportModule("importlib");
	PyObject *f = il ? PyObject_GetAttrString(il, "__file__") : NULL;
	const char *s = f && PyUnicode_Check(f) ? PyUnicode_AsUTF8(f) : NULL;
	A.importlib_init = s ? strdup(s) : NULL;
	Py_XDECREF(f);
	Py_XDECREF(il);
	PyErr_Clear();
	Py_ssize_t n = PyList_Check(allowed) ? PyList_GET_SIZE(allowed) : 0;
	A.allowed = calloc((size_t) n + 1, sizeof(char *));
	if (A.allowed == NULL) {
		PyErr_NoMemory();
		return -1;
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		const char *name = PyUnicode_AsUTF8(PyList_GET_ITEM(allowed, i));
		if (name == NULL)
			return -1;
		A.allowed[A.nallowed++] = strdup(name);
	}
	return wrap_module_creators();
}

void audit_activate(void)
{
	A.active = true;
}
