/* The validator's policy: its lists, their defaults, and policy files.
 *
 * Every default below is documented, with the reason for it, in
 * docs/validator.md; tests/unit/test_validate.c and
 * tests/validate/modwalk.py hold the defaults to what they claim. */
#include "common/util.h"
#include "validate/check.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

/* What strategy code may import.  Each module beyond numpy and pandas
 * reaches no further than open() already does (docs/validator.md says why
 * for each); their module-valued attributes (logging.os, uuid.platform)
 * are refused by name (module_attributes) and their few dangerous parts
 * by path (denied_members). */
static const char *const default_imports[] = {
	"numpy", "pandas", "math", "cmath", "statistics", "datetime", "time", "calendar",
	"zoneinfo", "pytz", "json", "csv", "io", "collections", "itertools", "functools",
	"operator", "dataclasses", "typing", "enum", "abc", "numbers", "decimal", "fractions",
	"random", "re", "string", "textwrap", "pprint", "bisect", "heapq", "copy", "logging",
	"warnings", "contextlib", "traceback", "uuid", "__future__", "stratbox",
};
/* Refused however they are used: called, aliased or passed. */
static const char *const default_banned_builtins[] = {
	"eval", "exec", "compile", "__import__", "breakpoint", "globals", "locals", "delattr",
};
/* Allowed only as name(self): vars(self) is the instance's own attribute
 * dict, whose keys carry no special meaning (reading it gives what self.x
 * gives; writing it is weaker than setattr).  vars(module) would hold the
 * module's builtins, so every other use is refused; the runtime's vars
 * refuses modules and classes. */
static const char *const default_self_builtins[] = { "vars" };
/* Allowed only as name(obj, 'literal', ...) with an ordinary name, which is
 * no more than obj.literal: the runtime's versions refuse dunder names. */
static const char *const default_literal_builtins[] = { "getattr", "setattr", "hasattr" };
static const char *const default_banned_identifiers[] = {
	/* frames and code objects: a route to builtins without any dunder */
	"gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "f_globals",
	"f_builtins", "f_locals", "f_back", "f_code", "f_trace", "tb_frame", "tb_next", "co_code",
	"currentframe", "_getframe", "walk_stack", "walk_tb",
	/* building code and functions from parts (types.CodeType(...)) */
	"CodeType", "FunctionType", "LambdaType",
	/* the class walk without a dunder: type(x).mro() */
	"mro",
	/* unpickling runs arbitrary code */
	"read_pickle", "allow_pickle",
	/* numpy's bridges to C and to compilers */
	"ctypeslib", "f2py", "distutils",
};
/* Module-valued attributes that lead off the allow-list: the names found
 * by walking numpy, pandas and every allowed module (tests/validate/
 * modwalk.py keeps this complete), plus escape modules worth naming. */
static const char *const default_module_attributes[] = {
	"os", "_os", "posix", "sys", "_sys", "builtins", "_builtins", "bltns", "subprocess",
	"_posixsubprocess", "socket", "ctypes", "_ctypes", "importlib", "_imp", "pkgutil",
	"zipimport", "runpy", "pickle", "_pickle", "pkl", "marshal", "copyreg", "threading",
	"_thread", "multiprocessing", "atexit", "faulthandler", "gc", "inspect", "ast",
	"tokenize", "codeop", "pdb", "pty", "timeit", "unittest", "sysconfig",
	"pathlib", "shutil", "glob", "fileinput", "tempfile", "shlex", "tarfile", "zipfile",
	"gzip", "bz2", "lzma", "mmap", "linecache", "weakref", "ccompiler",
	/* matplotlib, when installed: pandas.plotting carries it */
	"matplotlib", "mpl", "mlines",
};
/* Parts of allowed modules that reach further than open(). */
static const char *const default_denied_members[] = {
	"logging.config",	/* dictConfig resolves and calls any callable by its dotted name */
	"logging.handlers",	/* sockets, SMTP, syslog, threads */
	"string.Formatter",	/* get_field(): attribute lookups by a computed name */
	"typing.get_type_hints", /* evaluates string annotations, with caller-chosen globals */
	"typing.ForwardRef",	/* the same */
	"uuid.uuid1",		/* libuuid asks uuidd over a socket: SYSCALL_VIOLATION */
	"uuid.getnode",		/* the same, and the host's hardware address */
};
/* obj.__x__ that class code needs: super().__init__(), cls.__name__, the
 * data model's methods. (.__class__ is allowed before .__name__,
 * .__qualname__ and .__module__; .__setattr__ with a literal name.) */
static const char *const default_dunder_access[] = {
	"__init__", "__new__", "__name__", "__qualname__", "__module__", "__doc__",
	"__post_init__", "__members__", "__annotations__", "__version__", "__traceback__",
	"__len__", "__str__",
	"__repr__", "__format__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
	"__hash__", "__bool__", "__iter__", "__next__", "__contains__", "__getitem__",
	"__setitem__", "__delitem__", "__call__", "__enter__", "__exit__", "__add__", "__sub__",
	"__mul__", "__truediv__", "__floordiv__", "__mod__", "__pow__", "__neg__", "__abs__",
	"__float__", "__int__", "__round__", "__copy__", "__deepcopy__",
};
/* bare names: if __name__ == "__main__", __all__, module metadata */
static const char *const default_dunder_names[] = {
	"__name__", "__main__", "__doc__", "__all__", "__slots__", "__future__", "__version__",
	"__author__", "__license__", "__copyright__", "__email__", "__status__", "__credits__",
	"__maintainer__", "__date__", "__file__", "__debug__",
};
/* def __x__(...): the data model, without the attribute and pickling hooks */
static const char *const default_dunder_defs[] = {
	"__init__", "__new__", "__del__", "__post_init__", "__repr__", "__str__", "__format__",
	"__bytes__", "__len__", "__length_hint__", "__iter__", "__reversed__", "__next__",
	"__contains__", "__getitem__", "__setitem__", "__delitem__", "__missing__", "__eq__",
	"__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__", "__bool__", "__call__",
	"__enter__", "__exit__", "__aenter__", "__aexit__", "__aiter__", "__anext__", "__await__",
	"__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "__mul__",
	"__rmul__", "__imul__", "__matmul__", "__rmatmul__", "__imatmul__", "__truediv__",
	"__rtruediv__", "__itruediv__", "__floordiv__", "__rfloordiv__", "__ifloordiv__",
	"__mod__", "__rmod__", "__imod__", "__divmod__", "__rdivmod__", "__pow__", "__rpow__",
	"__ipow__", "__lshift__", "__rshift__", "__and__", "__rand__", "__or__", "__ror__",
	"__xor__", "__rxor__", "__neg__", "__pos__", "__abs__", "__invert__", "__round__",
	"__trunc__", "__floor__", "__ceil__", "__float__", "__int__", "__complex__", "__index__",
	"__copy__", "__deepcopy__", "__sizeof__", "__array__",
};
/* Names that reach internals when a string drives a lookup: str.format
 * ("{0.__globals__}"), operator.attrgetter, methodcaller, pandas eval.
 * Only these: a docstring may say __call__ or __class__. */
static const char *const default_names_in_strings[] = {
	"__subclasses__", "__globals__", "__builtins__", "__code__", "__dict__", "__mro__",
	"__bases__", "__base__", "__getattribute__", "__getattr__", "__setattr__", "__delattr__",
	"__import__", "__loader__", "__spec__", "__reduce__", "__reduce_ex__", "__getstate__",
	"__setstate__", "__closure__", "__func__", "__self__", "__wrapped__", "__objclass__",
	"__defaults__", "__kwdefaults__", "__init_subclass__", "__set_name__",
	"__class_getitem__", "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code",
	"f_globals", "f_builtins", "f_locals", "f_back", "f_code", "f_trace", "tb_frame",
	"tb_next", "co_code",
};

#define DEFAULT_MAX_SOURCE (256u << 10)

static uint32_t hash_name(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char) s[i]) * 16777619u;
	return h;
}

bool strset_has(const struct strset *l, const char *s, size_t len)
{
	if (l->nslot == 0)
		return false;
	for (size_t k = hash_name(s, len) & (l->nslot - 1);; k = (k + 1) & (l->nslot - 1)) {
		uint32_t e = l->slot[k];
		if (e == 0)
			return false;
		const char *v = l->v[e - 1];
		if (strncmp(v, s, len) == 0 && v[len] == '\0')
			return true;
	}
}

static void strset_free(struct strset *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->slot);
	memset(l, 0, sizeof(*l));
}

/* A set from n names (duplicates kept once); 0 or -1 (out of memory). */
static int strset_from(struct strset *l, const char *const *src, size_t n)
{
	memset(l, 0, sizeof(*l));
	l->nslot = 16;
	while (l->nslot < 2 * n + 2)
		l->nslot *= 2;
	l->slot = calloc(l->nslot, sizeof(uint32_t));
	l->v = calloc(n ? n : 1, sizeof(char *));
	if (l->slot == NULL || l->v == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(src[i]);
		if (strset_has(l, src[i], len))
			continue;
		char *d = strdup(src[i]);
		if (d == NULL)
			return -1;
		size_t k = hash_name(d, len) & (l->nslot - 1);
		while (l->slot[k] != 0)
			k = (k + 1) & (l->nslot - 1);
		l->v[l->n++] = d;
		l->slot[k] = (uint32_t) l->n;
	}
	return 0;
}

void sbx_check_policy_free(sbx_check_policy *p)
{
	if (p == NULL)
		return;
	strset_free(&p->imports);
	strset_free(&p->banned_builtins);
	strset_free(&p->literal_builtins);
	strset_free(&p->self_builtins);
	strset_free(&p->banned_identifiers);
	strset_free(&p->module_attributes);
	strset_free(&p->denied_members);
	strset_free(&p->dunder_access);
	strset_free(&p->dunder_names);
	strset_free(&p->dunder_defs);
	strset_free(&p->names_in_strings);
	free(p);
}

/* The policy's lists by their policy-file key, with their defaults. */
struct list_key {
	const char *key;
	size_t off;
	const char *const *def;
	size_t ndef;
};
#define LIST(k, field, d) { k, offsetof(struct sbx_check_policy, field), d, ARRAY_SIZE(d) }
static const struct list_key list_keys[] = {
	LIST("allowed_imports", imports, default_imports),
	LIST("banned_builtins", banned_builtins, default_banned_builtins),
	LIST("literal_name_builtins", literal_builtins, default_literal_builtins),
	LIST("self_builtins", self_builtins, default_self_builtins),
	LIST("banned_identifiers", banned_identifiers, default_banned_identifiers),
	LIST("module_attributes", module_attributes, default_module_attributes),
	LIST("denied_members", denied_members, default_denied_members),
	LIST("dunder_access_allowed", dunder_access, default_dunder_access),
	LIST("dunder_names_allowed", dunder_names, default_dunder_names),
	LIST("dunder_definitions_allowed", dunder_defs, default_dunder_defs),
	LIST("names_in_strings", names_in_strings, default_names_in_strings),
};

static struct strset *list_at(sbx_check_policy *p, const struct list_key *k)
{
	return (struct strset *) (void *) ((char *) p + k->off);
}

sbx_check_policy *sbx_check_policy_default(void)
{
	sbx_check_policy *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(list_keys); i++) {
		if (strset_from(list_at(p, &list_keys[i]), list_keys[i].def, list_keys[i].ndef) < 0) {
			sbx_check_policy_free(p);
			return NULL;
		}
	}
	p->max_source_bytes = DEFAULT_MAX_SOURCE;
	p->allow_non_ascii_identifiers = true;
	return p;
}

int sbx_check_policy_allow_imports(sbx_check_policy *p, const char *const *names, size_t n,
				   sbx_error **err)
{
	cleanup_free const char **all = calloc(p->imports.n + n + 1, sizeof(char *));
	if (all == NULL)
		return sbx_error_set(err, ENOMEM, "policy");
	for (size_t i = 0; i < p->imports.n; i++)
		all[i] = p->imports.v[i];
	for (size_t i = 0; i < n; i++) {
		if (names[i] == NULL || names[i][0] == '\0' || strchr(names[i], '.') != NULL)
			return sbx_error_set(err, 0, "policy: '%s' is not a top-level module name",
					     names[i] ? names[i] : "");
		all[p->imports.n + i] = names[i];
	}
	struct strset fresh;
	if (strset_from(&fresh, all, p->imports.n + n) < 0) {
		strset_free(&fresh);
		return sbx_error_set(err, ENOMEM, "policy");
	}
	strset_free(&p->imports);
	p->imports = fresh;
	return 0;
}

size_t sbx_check_policy_imports(const sbx_check_policy *p, const char *const **names)
{
	*names = (const char *const *) p->imports.v;
	return p->imports.n;
}

static int load_list(json_t *root, const char *key, struct strset *l, sbx_error **err)
{
	json_t *a = json_object_get(root, key);
	if (a == NULL)
		return 0;
	if (!json_is_array(a))
		return sbx_error_set(err, 0, "policy: \"%s\" must be an array of strings", key);
	size_t n = json_array_size(a);
	cleanup_free const char **names = calloc(n + 1, sizeof(char *));
	if (names == NULL)
		return sbx_error_set(err, ENOMEM, "policy");
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		if (s == NULL || *s == '\0' || strlen(s) > 200)
			return sbx_error_set(err, 0, "policy: \"%s\"[%zu] must be a non-empty name", key,
					     i);
		names[i] = s;
	}
	struct strset nl;
	if (strset_from(&nl, names, n) < 0) {
		strset_free(&nl);
		return sbx_error_set(err, ENOMEM, "policy");
	}
	strset_free(l);
	*l = nl;
	return 0;
}

static int load_scalars(json_t *root, sbx_check_policy *p, sbx_error **err)
{
	json_t *v = json_object_get(root, "max_source_bytes");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > (64 << 20))
			return sbx_error_set(err, 0, "policy: max_source_bytes must be 1..67108864");
		p->max_source_bytes = (size_t) json_integer_value(v);
	}
	v = json_object_get(root, "allow_non_ascii_identifiers");
	if (v != NULL) {
		if (!json_is_boolean(v))
			return sbx_error_set(err, 0,
					     "policy: allow_non_ascii_identifiers must be true or false");
		p->allow_non_ascii_identifiers = json_is_true(v);
	}
	return 0;
}

sbx_check_policy *sbx_check_policy_load(const char *path, sbx_error **err)
{
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		if (je.line > 0) /* the file's text: where it went wrong */
			sbx_error_set_at(err, SBX_ERR_SYNTAX, (unsigned) je.line,
					 je.column > 0 ? (unsigned) je.column : 0, "policy %s:%d: %s",
					 path, je.line, je.text);
		else /* no text at all: it could not be read */
			sbx_error_set(err, 0, "policy %s: %s", path, je.text);
		return NULL;
	}
	sbx_check_policy *p = sbx_check_policy_default();
	const char *k;
	json_t *v;
	if (p == NULL) {
		sbx_error_set(err, ENOMEM, "policy %s", path);
		goto fail;
	}
	if (!json_is_object(root)) {
		sbx_error_set(err, 0, "policy %s: the top level must be an object", path);
		goto fail;
	}
	json_object_foreach(root, k, v)
	{
		bool known = strcmp(k, "max_source_bytes") == 0 ||
			     strcmp(k, "allow_non_ascii_identifiers") == 0;
		for (size_t i = 0; i < ARRAY_SIZE(list_keys); i++)
			known |= strcmp(k, list_keys[i].key) == 0;
		if (!known) {
			sbx_error_set(err, 0, "policy %s: unknown key \"%s\"", path, k);
			goto fail;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(list_keys); i++) {
		if (load_list(root, list_keys[i].key, list_at(p, &list_keys[i]), err) < 0) {
			sbx_error_wrap(err, "%s", path);
			goto fail;
		}
	}
	if (load_scalars(root, p, err) < 0) {
		sbx_error_wrap(err, "%s", path);
		goto fail;
	}
	json_decref(root);
	return p;
fail:
	json_decref(root);
	sbx_check_policy_free(p);
	return NULL;
}
