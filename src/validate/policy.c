/* The validator's policy: the rules applied to the token stream.
 *
 * Each rule names a technique, not a keyword list for its own sake:
 *   import-not-allowed   a module outside the allow-list (os, subprocess, ctypes, ...)
 *   relative-import      strategies are one module; "from . import x" reaches packages
 *   star-import          hides which names arrive (and can shadow builtins)
 *   banned-builtin       eval/exec/compile/__import__ run code made at run time;
 *                        getattr/setattr/delattr/globals/locals/vars reach any object
 *                        by a computed name; breakpoint enters a debugger
 *   banned-identifier    escape hatches reachable without a dunder: frames
 *                        (gi_frame.f_builtins), pickle (read_pickle, allow_pickle),
 *                        numpy's ctypes bridge and compilers
 *   dunder-attribute     obj.__class__.__mro__/__subclasses__/__globals__: the classic
 *                        walk from any object to every class and module
 *   dunder-name          bare __builtins__, __loader__, __spec__, ... and defining hooks
 *                        like __getattr__ or __reduce__
 *   dunder-string        "{0.__class__}".format(x), attrgetter("__globals__")
 *   encoding-declaration a "# coding: utf-7" line makes Python read different text
 *                        than this check sees
 *   non-ascii-identifier only when the policy forbids them
 *   source-too-large     a size cap
 */
#include "common/util.h"
#include "stratbox/validate.h"
#include "validate/tokenizer.h"
#include "validate/violations.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <uninorm.h>

struct strlist {
	char **v;
	size_t n;
};

struct sbx_check_policy {
	struct strlist imports, banned_builtins, banned_identifiers, dunder_access, dunder_names,
		dunder_defs;
	size_t max_source_bytes;
	bool allow_non_ascii_identifiers;
};

static const char *const default_imports[] = {
	"numpy", "pandas", "math", "statistics", "datetime", "json", "collections", "itertools",
	"functools", "operator", "dataclasses", "typing", "enum", "decimal", "fractions", "random",
	"re", "bisect", "heapq", "copy", "abc", "__future__", "stratbox",
};
static const char *const default_banned_builtins[] = {
	"eval", "exec", "compile", "__import__", "breakpoint", "globals", "locals", "vars",
	"getattr", "setattr", "delattr",
};
static const char *const default_banned_identifiers[] = {
	/* frames and code objects: a route to builtins without any dunder */
	"gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "f_globals",
	"f_builtins", "f_locals", "f_back", "f_code", "tb_frame", "tb_next", "co_code",
	/* unpickling runs arbitrary code */
	"read_pickle", "allow_pickle",
	/* numpy's bridges to C and to compilers */
	"ctypeslib", "f2py", "distutils",
};
/* obj.__x__ that class code needs: super().__init__(), cls.__name__, ... */
static const char *const default_dunder_access[] = {
	"__init__", "__name__", "__qualname__", "__doc__", "__post_init__", "__len__",
	"__str__", "__repr__", "__eq__", "__hash__", "__version__",
};
/* bare names: if __name__ == "__main__", __all__, __slots__ */
static const char *const default_dunder_names[] = {
	"__name__", "__main__", "__doc__", "__all__", "__slots__", "__future__", "__version__",
};
/* def __x__(...): the data model, without the attribute and pickling hooks */
static const char *const default_dunder_defs[] = {
	"__init__", "__post_init__", "__repr__", "__str__", "__format__", "__len__", "__iter__",
	"__next__", "__contains__", "__getitem__", "__setitem__", "__delitem__", "__eq__",
	"__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__", "__bool__", "__call__",
	"__enter__", "__exit__", "__add__", "__radd__", "__sub__", "__rsub__", "__mul__",
	"__rmul__", "__truediv__", "__rtruediv__", "__floordiv__", "__mod__", "__pow__",
	"__neg__", "__pos__", "__abs__", "__iadd__", "__isub__", "__imul__", "__round__",
	"__float__", "__int__", "__index__", "__copy__", "__deepcopy__",
};

#define DEFAULT_MAX_SOURCE (256u << 10)

static int list_from(struct strlist *l, const char *const *src, size_t n)
{
	l->v = calloc(n ? n : 1, sizeof(char *));
	if (l->v == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		l->v[i] = strdup(src[i]);
		if (l->v[i] == NULL)
			return -1;
		l->n = i + 1;
	}
	return 0;
}

static void list_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool list_has(const struct strlist *l, const char *s, size_t len)
{
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == len && memcmp(l->v[i], s, len) == 0)
			return true;
	return false;
}

void sbx_check_policy_free(sbx_check_policy *p)
{
	if (p == NULL)
		return;
	list_free(&p->imports);
	list_free(&p->banned_builtins);
	list_free(&p->banned_identifiers);
	list_free(&p->dunder_access);
	list_free(&p->dunder_names);
	list_free(&p->dunder_defs);
	free(p);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

sbx_check_policy *sbx_check_policy_default(void)
{
	sbx_check_policy *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	if (list_from(&p->imports, default_imports, N(default_imports)) < 0 ||
	    list_from(&p->banned_builtins, default_banned_builtins, N(default_banned_builtins)) < 0 ||
	    list_from(&p->banned_identifiers, default_banned_identifiers,
		      N(default_banned_identifiers)) < 0 ||
	    list_from(&p->dunder_access, default_dunder_access, N(default_dunder_access)) < 0 ||
	    list_from(&p->dunder_names, default_dunder_names, N(default_dunder_names)) < 0 ||
	    list_from(&p->dunder_defs, default_dunder_defs, N(default_dunder_defs)) < 0) {
		sbx_check_policy_free(p);
		return NULL;
	}
	p->max_source_bytes = DEFAULT_MAX_SOURCE;
	p->allow_non_ascii_identifiers = true;
	return p;
}

size_t sbx_check_policy_imports(const sbx_check_policy *p, const char *const **names)
{
	*names = (const char *const *) p->imports.v;
	return p->imports.n;
}

static int load_list(json_t *root, const char *key, struct strlist *l, sbx_error **err)
{
	json_t *a = json_object_get(root, key);
	if (a == NULL)
		return 0;
	if (!json_is_array(a))
		return sbx_error_set(err, 0, "policy: \"%s\" must be an array of strings", key);
	struct strlist nl = { calloc(json_array_size(a) + 1, sizeof(char *)), 0 };
	if (nl.v == NULL)
		return sbx_error_set(err, ENOMEM, "policy");
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e)
	{
		const char *s = json_string_value(e);
		if (s == NULL || *s == '\0' || strlen(s) > 200) {
			list_free(&nl);
			return sbx_error_set(err, 0, "policy: \"%s\"[%zu] must be a non-empty name", key, i);
		}
		nl.v[nl.n++] = strdup(s);
	}
	list_free(l);
	*l = nl;
	return 0;
}

sbx_check_policy *sbx_check_policy_load(const char *path, sbx_error **err)
{
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		sbx_error_set(err, 0, "policy %s:%d: %s", path, je.line, je.text);
		return NULL;
	}
	sbx_check_policy *p = sbx_check_policy_default();
	static const char *const keys[] = { "allowed_imports", "banned_builtins",
					    "banned_identifiers", "dunder_access_allowed",
					    "dunder_names_allowed", "dunder_definitions_allowed",
					    "max_source_bytes", "allow_non_ascii_identifiers" };
	const char *k;
	json_t *v;
	if (!json_is_object(root)) {
		sbx_error_set(err, 0, "policy %s: the top level must be an object", path);
		goto fail;
	}
	json_object_foreach(root, k, v)
	{
		bool known = false;
		for (size_t i = 0; i < N(keys); i++)
			known |= strcmp(k, keys[i]) == 0;
		if (!known) {
			sbx_error_set(err, 0, "policy %s: unknown key \"%s\"", path, k);
			goto fail;
		}
	}
	if (load_list(root, "allowed_imports", &p->imports, err) < 0 ||
	    load_list(root, "banned_builtins", &p->banned_builtins, err) < 0 ||
	    load_list(root, "banned_identifiers", &p->banned_identifiers, err) < 0 ||
	    load_list(root, "dunder_access_allowed", &p->dunder_access, err) < 0 ||
	    load_list(root, "dunder_names_allowed", &p->dunder_names, err) < 0 ||
	    load_list(root, "dunder_definitions_allowed", &p->dunder_defs, err) < 0) {
		sbx_error_wrap(err, "%s", path);
		goto fail;
	}
	v = json_object_get(root, "max_source_bytes");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > (64 << 20)) {
			sbx_error_set(err, 0, "policy %s: max_source_bytes must be 1..67108864", path);
			goto fail;
		}
		p->max_source_bytes = (size_t) json_integer_value(v);
	}
	v = json_object_get(root, "allow_non_ascii_identifiers");
	if (v != NULL) {
		if (!json_is_boolean(v)) {
			sbx_error_set(err, 0, "policy %s: allow_non_ascii_identifiers must be true or false",
				      path);
			goto fail;
		}
		p->allow_non_ascii_identifiers = json_is_true(v);
	}
	json_decref(root);
	return p;
fail:
	json_decref(root);
	sbx_check_policy_free(p);
	return NULL;
}

/* ------------------------------------------------------------------ */

struct checker {
	const sbx_check_policy *p;
	const char *src;
	const struct py_tokens *t;
	struct sbx_check_result *out;
	size_t cap;
	int oom;
	char **norm; /* NFKC form of each NAME token (NULL: same as source) */
};

static void add(struct checker *c, unsigned line, unsigned col, const char *rule, const char *fmt,
		...) __attribute__((format(printf, 5, 6)));

static void add(struct checker *c, unsigned line, unsigned col, const char *rule, const char *fmt,
		...)
{
	struct sbx_check_result *r = c->out;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].line == line && r->v[i].col == col && strcmp(r->v[i].rule, rule) == 0)
			return;
	if (r->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct sbx_violation *nv = realloc(r->v, cap * sizeof(*nv));
		if (nv == NULL) {
			c->oom = 1;
			return;
		}
		r->v = nv;
		c->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL) {
		c->oom = 1;
		return;
	}
	r->v[r->n++] = (struct sbx_violation){ line, col, rule, msg };
}

/* The name as Python sees it (NFKC), and its length. */
static const char *name_of(const struct checker *c, size_t i, size_t *len)
{
	if (c->norm[i] != NULL) {
		*len = strlen(c->norm[i]);
		return c->norm[i];
	}
	*len = c->t->v[i].len;
	return c->src + c->t->v[i].start;
}

static bool tok_is(const struct checker *c, size_t i, enum py_tok type, const char *text)
{
	if (i >= c->t->n || c->t->v[i].type != type)
		return false;
	size_t len;
	const char *s = type == TOK_NAME ? name_of(c, i, &len)
					 : (len = c->t->v[i].len, c->src + c->t->v[i].start);
	return strlen(text) == len && memcmp(s, text, len) == 0;
}

static bool is_dunder(const char *s, size_t len)
{
	return len > 4 && s[0] == '_' && s[1] == '_' && s[len - 1] == '_' && s[len - 2] == '_';
}

static void list_text(const struct strlist *l, char *buf, size_t size, const char *prefix)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->n && off + 1 < size; i++) {
		int n = snprintf(buf + off, size - off, "%s%s%s", i ? ", " : "", prefix, l->v[i]);
		if (n < 0 || (size_t) n >= size - off) {
			snprintf(buf + off, size - off, ", ...");
			break;
		}
		off += (size_t) n;
	}
}

static const char *builtin_hint(const char *name, size_t len)
{
	static const struct {
		const char *name, *hint;
	} hints[] = {
		{ "eval", "it runs code built at run time; compute the value directly" },
		{ "exec", "it runs code built at run time; write the code directly" },
		{ "compile", "it builds code at run time; write the code directly" },
		{ "__import__", "use an import statement for an allowed module" },
		{ "breakpoint", "remove debugging calls" },
		{ "globals", "keep state in your own dict or class" },
		{ "locals", "keep state in your own dict or class" },
		{ "vars", "use the object's attributes directly" },
		{ "getattr", "use obj.name, or a dict for names chosen at run time" },
		{ "setattr", "assign obj.name = value, or use a dict" },
		{ "delattr", "use del obj.name, or a dict" },
	};
	for (size_t i = 0; i < N(hints); i++)
		if (strlen(hints[i].name) == len && memcmp(hints[i].name, name, len) == 0)
			return hints[i].hint;
	return "it is not allowed by the policy (banned_builtins)";
}

static void check_identifier(struct checker *c, size_t i, const char *name, size_t len)
{
	if (list_has(&c->p->banned_identifiers, name, len)) {
		const struct py_token *t = &c->t->v[i];
		add(c, t->line, t->col, "banned-identifier",
		    "'%.*s' is not allowed: %s", (int) len, name,
		    (len >= 2 && (memcmp(name, "f_", 2) == 0 || memcmp(name, "gi", 2) == 0 ||
				  memcmp(name, "tb", 2) == 0 || memcmp(name, "co", 2) == 0 ||
				  memcmp(name, "cr", 2) == 0 || memcmp(name, "ag", 2) == 0))
			    ? "frame and code objects lead to the interpreter's internals"
		    : memmem(name, len, "pickle", 6) ? "unpickling runs arbitrary code; use JSON or CSV"
					     : "it bridges to C code or compilers");
	}
}

/* import a.b.c [as x], d ... ; from [.]a.b import x [as y], (...) | * */
static size_t check_import(struct checker *c, size_t i, bool is_from)
{
	const struct py_tokens *t = c->t;
	const struct py_token *kw = &t->v[i];
	char allowed[700];
	list_text(&c->p->imports, allowed, sizeof(allowed), "");
	size_t j = i + 1;
	for (;;) {
		/* one module path */
		unsigned dots = 0;
		while (j < t->n && t->v[j].type == TOK_OP &&
		       (tok_is(c, j, TOK_OP, ".") || tok_is(c, j, TOK_OP, "..."))) {
			dots += (unsigned) t->v[j].len;
			j++;
		}
		if (dots > 0)
			add(c, kw->line, kw->col, "relative-import",
			    "relative imports are not allowed: strategy code is a single module");
		if (j < t->n && t->v[j].type == TOK_NAME && !tok_is(c, j, TOK_NAME, "import")) {
			size_t len;
			const char *root = name_of(c, j, &len);
			if (!list_has(&c->p->imports, root, len))
				add(c, t->v[j].line, t->v[j].col, "import-not-allowed",
				    "import of '%.*s' is not allowed; allowed modules: %s", (int) len,
				    root, allowed);
			/* the rest of the dotted path */
			while (j < t->n && (t->v[j].type == TOK_NAME || tok_is(c, j, TOK_OP, "."))) {
				if (t->v[j].type == TOK_NAME) {
					const char *nm = name_of(c, j, &len);
					check_identifier(c, j, nm, len);
				}
				j++;
				if (is_from && tok_is(c, j, TOK_NAME, "import"))
					break;
			}
		}
		if (is_from)
			break;
		if (tok_is(c, j, TOK_NAME, "as"))
			j += 2;
		if (!tok_is(c, j, TOK_OP, ","))
			return j;
		j++;
	}
	/* from ... import names */
	if (!tok_is(c, j, TOK_NAME, "import"))
		return j;
	j++;
	if (tok_is(c, j, TOK_OP, "*")) {
		add(c, t->v[j].line, t->v[j].col, "star-import",
		    "'import *' is not allowed: import the names you use");
		return j + 1;
	}
	bool paren = tok_is(c, j, TOK_OP, "(");
	if (paren)
		j++;
	while (j < t->n && t->v[j].type != TOK_NEWLINE && !tok_is(c, j, TOK_OP, ";")) {
		if (tok_is(c, j, TOK_OP, ")"))
			return j + 1;
		if (t->v[j].type == TOK_NAME && !tok_is(c, j, TOK_NAME, "as")) {
			size_t len;
			const char *nm = name_of(c, j, &len);
			check_identifier(c, j, nm, len);
			if (is_dunder(nm, len) && !list_has(&c->p->dunder_names, nm, len))
				add(c, t->v[j].line, t->v[j].col, "dunder-name",
				    "importing '%.*s' is not allowed", (int) len, nm);
			if (list_has(&c->p->banned_builtins, nm, len))
				add(c, t->v[j].line, t->v[j].col, "banned-builtin",
				    "importing '%.*s' is not allowed: %s", (int) len, nm,
				    builtin_hint(nm, len));
		}
		j++;
	}
	(void) paren;
	return j;
}

static void check_name(struct checker *c, size_t i)
{
	const struct py_token *t = &c->t->v[i];
	size_t len;
	const char *nm = name_of(c, i, &len);
	if (t->non_ascii && !c->p->allow_non_ascii_identifiers)
		add(c, t->line, t->col, "non-ascii-identifier",
		    "identifier '%.*s' is not ASCII; the policy accepts ASCII identifiers only",
		    (int) t->len, c->src + t->start);
	check_identifier(c, i, nm, len);
	bool attr = i > 0 && tok_is(c, i - 1, TOK_OP, ".");
	bool def = i > 0 && (tok_is(c, i - 1, TOK_NAME, "def") || tok_is(c, i - 1, TOK_NAME, "class"));
	if (attr) {
		if (is_dunder(nm, len) && !list_has(&c->p->dunder_access, nm, len)) {
			char allowed[400];
			list_text(&c->p->dunder_access, allowed, sizeof(allowed), ".");
			bool cls = len == 9 && memcmp(nm, "__class__", 9) == 0;
			add(c, t->line, t->col, "dunder-attribute",
			    "access to '.%.*s' is not allowed: introspection through dunder "
			    "attributes reaches the interpreter's internals%s; allowed: %s",
			    (int) len, nm, cls ? " (use type(obj) instead)" : "", allowed);
		}
		return;
	}
	if (def) {
		if (is_dunder(nm, len) && !list_has(&c->p->dunder_defs, nm, len))
			add(c, t->line, t->col, "dunder-name",
			    "defining '%.*s' is not allowed: it hooks attribute lookup, pickling or "
			    "class creation",
			    (int) len, nm);
		return;
	}
	if (list_has(&c->p->banned_builtins, nm, len)) {
		add(c, t->line, t->col, "banned-builtin", "'%.*s' is not allowed: %s", (int) len, nm,
		    builtin_hint(nm, len));
		return;
	}
	if (is_dunder(nm, len) && !list_has(&c->p->dunder_names, nm, len))
		add(c, t->line, t->col, "dunder-name",
		    "the name '%.*s' is not allowed: dunder names reach the interpreter's internals",
		    (int) len, nm);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char) (ch | 0x20);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Decode a literal's escapes (\xHH, \uHHHH, \UHHHHHHHH, \ooo, \N{LOW LINE})
 * so "\x5f\x5fclass\x5f\x5f" is seen as what Python makes of it.
 * Code points above ASCII only matter as "not an underscore": '?'. */
static size_t decode_escapes(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t k = 0; k < n;) {
		if (s[k] != '\\' || k + 1 >= n) {
			out[o++] = s[k++];
			continue;
		}
		char e = s[k + 1];
		unsigned long v = 0;
		size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
		if (digits) {
			size_t d = 0;
			while (d < digits && k + 2 + d < n && hexval(s[k + 2 + d]) >= 0)
				v = v * 16 + (unsigned long) hexval(s[k + 2 + d++]);
			out[o++] = v < 0x80 ? (char) v : '?';
			k += 2 + d;
		} else if (e >= '0' && e <= '7') {
			size_t d = 0;
			while (d < 3 && k + 1 + d < n && s[k + 1 + d] >= '0' && s[k + 1 + d] <= '7')
				v = v * 8 + (unsigned long) (s[k + 1 + d++] - '0');
			out[o++] = v < 0x80 ? (char) v : '?';
			k += 1 + d;
		} else if (e == 'N' && k + 2 < n && s[k + 2] == '{') {
			size_t close = k + 3;
			while (close < n && s[close] != '}')
				close++;
			size_t len = close - (k + 3);
			bool low_line = len == 8 && strncasecmp(s + k + 3, "LOW LINE", 8) == 0;
			out[o++] = low_line ? '_' : '?';
			k = close + 1;
		} else {
			out[o++] = '?'; /* \n, \t, \\ ...: not an identifier character */
			k += 2;
		}
	}
	return o;
}

static bool ident_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_';
}

/* A string mentioning __x__ (str.format lookups, attrgetter, ...). */
static void check_string(struct checker *c, size_t i)
{
	const struct py_token *t = &c->t->v[i];
	const char *raw = c->src + t->body_start;
	size_t n = t->body_len;
	char *dec = malloc(n + 1);
	if (dec == NULL) {
		c->oom = 1;
		return;
	}
	const char *s = raw;
	if (!t->raw) {
		n = decode_escapes(raw, n, dec);
		s = dec;
	}
	for (size_t k = 0; k + 4 < n; k++) {
		if (s[k] != '_' || s[k + 1] != '_' || (k > 0 && ident_char(s[k - 1])))
			continue;
		size_t e = k + 2;
		while (e < n && ident_char(s[e]))
			e++;
		size_t len = e - k;
		if (is_dunder(s + k, len) && !list_has(&c->p->dunder_names, s + k, len) &&
		    !list_has(&c->p->dunder_access, s + k, len))
			add(c, t->line, t->col, "dunder-string",
			    "a string containing '%.*s' is not allowed: dunder names in strings "
			    "drive lookups like \"{0.__class__}\".format(x)",
			    (int) len, s + k);
		k = e;
	}
	free(dec);
}

/* PEP 263: "coding[:=]name" in a comment on line 1 or 2. */
static void check_encoding(struct checker *c, const char *src, size_t len)
{
	size_t line_start = 0;
	for (unsigned line = 1; line <= 2 && line_start < len; line++) {
		size_t e = line_start;
		while (e < len && src[e] != '\n' && src[e] != '\r')
			e++;
		size_t k = line_start;
		while (k < e && (src[k] == ' ' || src[k] == '\t' || src[k] == '\f'))
			k++;
		if (k < e && src[k] == '#') {
			for (size_t m = k; m + 7 < e; m++) {
				if (memcmp(src + m, "coding", 6) != 0 || (src[m + 6] != ':' && src[m + 6] != '='))
					continue;
				size_t v = m + 7;
				while (v < e && (src[v] == ' ' || src[v] == '\t'))
					v++;
				size_t ve = v;
				while (ve < e && (((src[ve] | 0x20) >= 'a' && (src[ve] | 0x20) <= 'z') ||
						  (src[ve] >= '0' && src[ve] <= '9') || src[ve] == '-' ||
						  src[ve] == '_' || src[ve] == '.'))
					ve++;
				char enc[32];
				size_t el = ve - v < sizeof(enc) - 1 ? ve - v : sizeof(enc) - 1;
				for (size_t q = 0; q < el; q++)
					enc[q] = (char) (src[v + q] | 0x20);
				enc[el] = '\0';
				if (strcmp(enc, "utf-8") && strcmp(enc, "utf8") && strcmp(enc, "utf_8") &&
				    strncmp(enc, "utf-8-", 6) && strncmp(enc, "utf_8_", 6))
					add(c, line, (unsigned) (m - line_start) + 1, "encoding-declaration",
					    "the source declares encoding '%s': only UTF-8 is accepted, "
					    "and Python would read different text than this check", enc);
				break;
			}
		}
		line_start = e + 1;
		if (e + 1 < len && src[e] == '\r' && src[e + 1] == '\n')
			line_start++;
	}
}

int sbx_check_source(const sbx_check_policy *p, const char *src, size_t len,
		     struct sbx_check_result *out, sbx_error **err)
{
	memset(out, 0, sizeof(*out));
	struct checker c = { .p = p, .src = src, .out = out };
	if (len > p->max_source_bytes) {
		add(&c, 1, 1, "source-too-large", "the source is %zu bytes; the limit is %zu", len,
		    p->max_source_bytes);
		return c.oom ? sbx_error_set(err, ENOMEM, "check") : 0;
	}
	struct py_tokens t;
	char why[200];
	unsigned el = 0, ec = 0;
	if (py_tokenize(src, len, &t, why, sizeof(why), &el, &ec) < 0) {
		py_tokens_free(&t);
		return sbx_error_set(err, 0, "%u:%u: %s", el, ec, why);
	}
	c.t = &t;
	c.norm = calloc(t.n + 1, sizeof(char *));
	if (c.norm == NULL) {
		py_tokens_free(&t);
		return sbx_error_set(err, ENOMEM, "check");
	}
	for (size_t i = 0; i < t.n; i++) {
		if (t.v[i].type != TOK_NAME || !t.v[i].non_ascii)
			continue;
		size_t nl = 0;
		uint8_t *n = u8_normalize(UNINORM_NFKC, (const uint8_t *) src + t.v[i].start, t.v[i].len,
					  NULL, &nl);
		if (n == NULL) {
			c.oom = 1;
			break;
		}
		c.norm[i] = malloc(nl + 1);
		if (c.norm[i] != NULL) {
			memcpy(c.norm[i], n, nl);
			c.norm[i][nl] = '\0';
		}
		free(n);
	}
	check_encoding(&c, src, len);
	for (size_t i = 0; i < t.n && !c.oom;) {
		const struct py_token *k = &t.v[i];
		if (k->type == TOK_STRING) {
			check_string(&c, i);
			i++;
		} else if (k->type == TOK_NAME && tok_is(&c, i, TOK_NAME, "import")) {
			i = check_import(&c, i, false);
		} else if (k->type == TOK_NAME && tok_is(&c, i, TOK_NAME, "from") &&
			   (i == 0 || t.v[i - 1].type == TOK_NEWLINE || tok_is(&c, i - 1, TOK_OP, ";") ||
			    tok_is(&c, i - 1, TOK_OP, ":"))) {
			/* a statement-initial "from": yield from / raise ... from
			 * are never at the start of a statement */
			i = check_import(&c, i, true);
		} else if (k->type == TOK_NAME) {
			check_name(&c, i);
			i++;
		} else {
			i++;
		}
	}
	for (size_t i = 0; i < t.n; i++)
		free(c.norm[i]);
	free(c.norm);
	py_tokens_free(&t);
	if (c.oom)
		return sbx_error_set(err, ENOMEM, "check");
	return 0;
}

void sbx_check_result_clear(struct sbx_check_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].message);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

json_t *validate_violations_json(const struct sbx_check_result *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->n; i++) {
		json_t *v = json_object();
		json_object_set_new(v, "line", json_integer(r->v[i].line));
		json_object_set_new(v, "col", json_integer(r->v[i].col));
		json_object_set_new(v, "rule", json_string(r->v[i].rule));
		json_object_set_new(v, "message", json_string(r->v[i].message));
		json_array_append_new(a, v);
	}
	return a;
}

char *sbx_check_result_to_json(const struct sbx_check_result *r, const char *file)
{
	json_t *o = json_object();
	if (file)
		json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "ok", json_boolean(r->n == 0));
	json_object_set_new(o, "violations", validate_violations_json(r));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}
