/* Import statements, the names they bind, chains that start at those
 * names (np.core._internal, logging.config), and optional imports:
 *
 *     try:
 *         import scipy.signal as sps
 *     except ImportError:
 *         sps = None
 *
 * is a warning, not an error: the runtime guard refuses the import, the
 * ImportError it raises is caught, and the fallback runs.  An import of a
 * module the policy refuses even as an attribute (os, sys, subprocess, ...:
 * module_attributes) stays an error: there is no fallback worth having. */
#include "common/util.h"
#include "validate/check.h"

#include <string.h>

#define PATH_MAX_LEN 512

/* ---- bindings: name -> module path ---- */

static uint32_t hash_str(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char) s[i]) * 16777619u;
	return h;
}

const char *bindings_get(const struct bindings *b, const char *name, size_t len)
{
	if (b->nslot == 0)
		return NULL;
	for (size_t k = hash_str(name, len) & (b->nslot - 1); b->slot[k];
	     k = (k + 1) & (b->nslot - 1)) {
		const struct binding *e = &b->v[b->slot[k] - 1];
		if (e->len == len && memcmp(e->name, name, len) == 0)
			return e->path;
	}
	return NULL;
}

static int bindings_grow(struct bindings *b)
{
	size_t nslot = b->nslot ? b->nslot * 2 : 64;
	uint32_t *ns = calloc(nslot, sizeof(uint32_t));
	if (ns == NULL)
		return -1;
	for (size_t i = 0; i < b->n; i++) {
		size_t k = hash_str(b->v[i].name, b->v[i].len) & (nslot - 1);
		while (ns[k])
			k = (k + 1) & (nslot - 1);
		ns[k] = (uint32_t) i + 1;
	}
	free(b->slot);
	b->slot = ns;
	b->nslot = nslot;
	return 0;
}

/* Bind name to path (a later import of the same name wins). */
static int bindings_set(struct bindings *b, const char *name, size_t len, const char *path)
{
	if ((b->n + 1) * 2 > b->nslot && bindings_grow(b) < 0)
		return -1;
	size_t k = hash_str(name, len) & (b->nslot - 1);
	for (; b->slot[k]; k = (k + 1) & (b->nslot - 1)) {
		struct binding *e = &b->v[b->slot[k] - 1];
		if (e->len == len && memcmp(e->name, name, len) == 0) {
			char *p = strdup(path);
			if (p == NULL)
				return -1;
			free(e->path);
			e->path = p;
			return 0;
		}
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct binding *nv = realloc(b->v, cap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		b->v = nv;
		b->cap = cap;
	}
	char *p = strdup(path);
	if (p == NULL)
		return -1;
	b->v[b->n++] = (struct binding){ name, len, p };
	b->slot[k] = (uint32_t) b->n;
	return 0;
}

void bindings_free(struct bindings *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].path);
	free(b->v);
	free(b->slot);
	memset(b, 0, sizeof(*b));
}

/* The dotted name starting at token j ("a . b . c"), into buf; returns
 * the index after it.  A path too long for buf is cut (and so matches
 * nothing the policy names). */
static size_t dotted(const struct checker *c, size_t j, char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = '\0';
	while (j < c->t->n && c->t->v[j].type == TOK_NAME && !tok_raw(c, j, TOK_NAME, "import") &&
	       !tok_raw(c, j, TOK_NAME, "as")) {
		size_t len;
		const char *nm = tok_norm(c, j, &len);
		int n = snprintf(buf + off, size - off, "%s%.*s", off ? "." : "", (int) len, nm);
		if (n > 0 && (size_t) n < size - off)
			off += (size_t) n;
		j++;
		if (!tok_op(c, j, "."))
			break;
		j++;
	}
	return j;
}

/* The pre-pass: every name an import statement binds, so that chains are
 * recognised even where the import comes later in the file. */
void rules_record_import_bindings(struct checker *c)
{
	const struct py_tokens *t = c->t;
	char path[PATH_MAX_LEN], full[PATH_MAX_LEN * 2];
	for (size_t i = 0; i < t->n && !c->oom; i++) {
		bool from = tok_raw(c, i, TOK_NAME, "from");
		if (!from && !tok_raw(c, i, TOK_NAME, "import"))
			continue;
		size_t j = i + 1;
		while (tok_op(c, j, ".") || tok_op(c, j, "..."))
			j++;
		if (from) {
			j = dotted(c, j, path, sizeof(path));
			if (!tok_raw(c, j, TOK_NAME, "import"))
				continue;
			j++;
		}
		while (j < t->n && t->v[j].type != TOK_NEWLINE && !tok_op(c, j, ";")) {
			if (t->v[j].type != TOK_NAME || tok_raw(c, j, TOK_NAME, "as")) {
				j++;
				continue;
			}
			size_t first = j, len;
			const char *nm = tok_norm(c, first, &len);
			char sub[PATH_MAX_LEN];
			j = from ? j + 1 : dotted(c, j, sub, sizeof(sub));
			if (j == first) { /* "import import": not a name, but move on */
				j++;
				continue;
			}
			if (from)
				snprintf(full, sizeof(full), "%s.%.*s", path, (int) len, nm);
			else
				snprintf(full, sizeof(full), "%.*s", (int) len, nm); /* import a.b binds a */
			size_t bind = first;
			if (tok_raw(c, j, TOK_NAME, "as") && j + 1 < t->n && t->v[j + 1].type == TOK_NAME) {
				if (!from)
					snprintf(full, sizeof(full), "%s", sub);
				bind = j + 1;
				j += 2;
			}
			size_t bl;
			const char *bn = tok_norm(c, bind, &bl);
			if (bindings_set(&c->bind, bn, bl, full) < 0)
				c->oom = true;
		}
		i = j;
	}
}

/* Why a denied member is denied, and what to use instead. */
static const char *denied_hint(const char *path)
{
	static const struct {
		const char *path, *hint;
	} hints[] = {
		{ "logging.config", "dictConfig() imports and calls any callable named in its "
				    "configuration; configure logging with logging.basicConfig() "
				    "or handlers and formatters directly" },
		{ "logging.handlers", "its handlers open sockets and start threads; use "
				      "logging.StreamHandler or logging.FileHandler" },
		{ "string.Formatter", "get_field() looks attributes up by a computed name; use "
				      "f-strings or str.format with a literal format" },
		{ "typing.get_type_hints", "it evaluates string annotations as code; read "
					   "__annotations__ or use dataclasses.fields()" },
		{ "typing.ForwardRef", "it evaluates strings as code; write the annotation itself" },
		{ "uuid.uuid1", "it asks the uuidd daemon over a socket, which the sandbox refuses "
				"(the job would end with SYSCALL_VIOLATION); use uuid.uuid4()" },
		{ "uuid.getnode", "it reads the host's hardware address through a socket the "
				  "sandbox refuses; use uuid.uuid4() for identifiers" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(hints); i++)
		if (strcmp(hints[i].path, path) == 0)
			return hints[i].hint;
	return "it reaches further than the rest of its module (see denied_members in "
	       "docs/validator.md); use the module's other functions";
}

/* Whether base.name (base a module path an import bound) is a private or
 * denied part of an allowed module; reports it at `at`. */
static bool member_refused(struct checker *c, const char *base, const struct py_token *at,
			   const char *name, size_t len, bool report, const char *rule)
{
	char path[PATH_MAX_LEN];
	snprintf(path, sizeof(path), "%s.%.*s", base, (int) len, name);
	const char *dot = strchr(base, '.');
	int rl = (int) (dot ? (size_t) (dot - base) : strlen(base));
	if (!strset_has(&c->p->imports, base, (size_t) rl))
		return false; /* the import itself is refused */
	if (is_private(name, len)) {
		if (report)
			check_add(c, SBX_SEVERITY_ERROR, at->line, at->col, rule,
				  "'%s' is a private part of %.*s: module internals (names starting "
				  "with '_') are not its API and lead to modules strategy code may "
				  "not use; use %.*s's public functions",
				  path, rl, base, rl, base);
		return true;
	}
	if (strset_has(&c->p->denied_members, path, strlen(path))) {
		if (report)
			check_add(c, SBX_SEVERITY_ERROR, at->line, at->col, rule,
				  "'%s' is not allowed: %s", path, denied_hint(path));
		return true;
	}
	return false;
}

/* The module path bound to the name at token i, if i starts a chain. */
static const char *bound_module(const struct checker *c, size_t i)
{
	if (i == SIZE_MAX || i >= c->t->n || c->t->v[i].type != TOK_NAME ||
	    (i > 0 && tok_op(c, i - 1, ".")))
		return NULL;
	size_t bl;
	const char *bn = tok_norm(c, i, &bl);
	return bindings_get(&c->bind, bn, bl);
}

bool module_member_refused(struct checker *c, size_t module_tok, const struct py_token *at,
			   const char *name, size_t len, bool report)
{
	const char *base = bound_module(c, module_tok);
	return base != NULL && member_refused(c, base, at, name, len, report, "module-attribute");
}

/* A name bound to a module, at the start of a chain: follow .name.name,
 * stopping at the first refused part.  Each chain is walked once (its
 * later names follow a '.', so they start no chain of their own). */
void rules_module_chain(struct checker *c, size_t i)
{
	const char *b = bound_module(c, i);
	if (b == NULL)
		return;
	char base[PATH_MAX_LEN];
	snprintf(base, sizeof(base), "%s", b);
	for (unsigned steps = 0; steps < 32 && tok_op(c, i + 1, ".") && i + 2 < c->t->n &&
				 c->t->v[i + 2].type == TOK_NAME;
	     steps++, i += 2) {
		size_t len, bl = strlen(base);
		const char *nm = tok_norm(c, i + 2, &len);
		if (member_refused(c, base, &c->t->v[i + 2], nm, len, true, "module-attribute"))
			return;
		snprintf(base + bl, sizeof(base) - bl, ".%.*s", (int) len, nm);
	}
}

/* ---- import statements ---- */

static const char *import_hint(const char *root, size_t len)
{
	static const struct {
		const char *names, *hint;
	} hints[] = {
		{ " os pathlib shutil glob tempfile posix fileinput ",
		  "read the input with stratbox.data() or open('/workspace/data.json'); the sandbox "
		  "has no other files and its environment holds no secrets" },
		{ " sys ", "print results to stdout and return or raise to stop; sys is not needed" },
		{ " subprocess multiprocessing threading _thread signal pty concurrent asyncio ",
		  "a job cannot start processes or threads of its own; compute in the strategy" },
		{ " socket requests urllib urllib3 http httpx aiohttp ftplib smtplib ssl websocket "
		  "websockets yfinance ccxt ",
		  "there is no network in the sandbox: the market data arrives in "
		  "/workspace/data.json (stratbox.data())" },
		{ " pickle _pickle marshal shelve joblib dill cloudpickle copyreg ",
		  "unpickling runs arbitrary code: store and load data as JSON or CSV" },
		{ " ctypes cffi _ctypes ", "native code is not available" },
		{ " importlib builtins inspect types gc ast code codeop runpy pkgutil ",
		  "dynamic imports and introspection are not available; import allowed modules "
		  "directly" },
	};
	char key[80];
	if (len + 3 > sizeof(key))
		return NULL;
	snprintf(key, sizeof(key), " %.*s ", (int) len, root);
	for (size_t i = 0; i < ARRAY_SIZE(hints); i++)
		if (strstr(hints[i].names, key) != NULL)
			return hints[i].hint;
	return NULL;
}

static void list_text(const struct strset *l, char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->n && off + 1 < size; i++) {
		int n = snprintf(buf + off, size - off, "%s%s", i ? ", " : "", l->v[i]);
		if (n < 0 || (size_t) n >= size - off) {
			snprintf(buf + off, size - off, ", ...");
			break;
		}
		off += (size_t) n;
	}
}

/* The module path of an import (tokens [j, ...)): its root must be
 * allowed, and none of its parts banned, private or denied. */
static size_t check_module_path(struct checker *c, size_t kw, size_t j)
{
	const struct py_tokens *t = c->t;
	if (j >= t->n || t->v[j].type != TOK_NAME || tok_raw(c, j, TOK_NAME, "import"))
		return j;
	char path[PATH_MAX_LEN];
	size_t first = j, rl;
	const char *root = tok_norm(c, first, &rl);
	bool allowed = strset_has(&c->p->imports, root, rl);
	if (!allowed) {
		char list[900];
		list_text(&c->p->imports, list, sizeof(list));
		const char *hint = import_hint(root, rl);
		bool escape = strset_has(&c->p->module_attributes, root, rl);
		if (c->optional[kw] > 0 && !escape)
			check_add(c, SBX_SEVERITY_WARNING, t->v[j].line, t->v[j].col,
				  "import-not-allowed",
				  "import of '%.*s' is not allowed: it will raise ImportError when "
				  "the code runs, and your 'except ImportError' fallback will be used; "
				  "allowed modules: %s",
				  (int) rl, root, list);
		else
			check_add(c, SBX_SEVERITY_ERROR, t->v[j].line, t->v[j].col,
				  "import-not-allowed", "import of '%.*s' is not allowed%s%s; allowed "
				  "modules: %s",
				  (int) rl, root, hint ? ": " : "", hint ? hint : "", list);
	}
	size_t off = (size_t) snprintf(path, sizeof(path), "%.*s", (int) rl, root);
	j++;
	while (tok_op(c, j, ".") && j + 1 < t->n && t->v[j + 1].type == TOK_NAME &&
	       !tok_raw(c, j + 1, TOK_NAME, "import")) {
		size_t len;
		const char *nm = tok_norm(c, j + 1, &len);
		check_identifier(c, &t->v[j + 1], nm, len);
		if (allowed)
			member_refused(c, path, &t->v[j + 1], nm, len, true, "import-not-allowed");
		if (off < sizeof(path))
			off += (size_t) snprintf(path + off, sizeof(path) - off, ".%.*s", (int) len, nm);
		j += 2;
	}
	return j;
}

/* A name in "from m import a, b as c": what it brings in. */
static void check_imported_name(struct checker *c, size_t j, const char *mod, size_t kw)
{
	const struct py_token *t = &c->t->v[j];
	const sbx_check_policy *p = c->p;
	size_t len;
	const char *nm = tok_norm(c, j, &len);
	(void) kw;
	check_identifier(c, t, nm, len);
	if (is_dunder(nm, len) && !strset_has(&p->dunder_names, nm, len))
		check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, "dunder-name",
			  "importing '%.*s' is not allowed", (int) len, nm);
	if (strset_has(&p->banned_builtins, nm, len) || strset_has(&p->literal_builtins, nm, len))
		check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, "banned-builtin",
			  "importing '%.*s' is not allowed: use the builtin as the rules allow",
			  (int) len, nm);
	if (strset_has(&p->module_attributes, nm, len))
		check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, "module-attribute",
			  "importing '%.*s' from %s is not allowed: it is the %.*s module, which "
			  "strategy code may not use",
			  (int) len, nm, mod, (int) len, nm);
	else if (mod[0] != '\0')
		member_refused(c, mod, t, nm, len, true, "import-not-allowed");
}

/* import a.b [as x], c ... ; from [.]a.b import x [as y], (...) | *
 * at token i; returns the index after the statement's names. */
size_t rules_import(struct checker *c, size_t i, bool is_from)
{
	const struct py_tokens *t = c->t;
	const struct py_token *kw = &t->v[i];
	size_t j = i + 1;
	if (!is_from) {
		for (;;) {
			j = check_module_path(c, i, j);
			if (tok_raw(c, j, TOK_NAME, "as"))
				j += 2;
			if (!tok_op(c, j, ","))
				return j;
			j++;
		}
	}
	unsigned dots = 0;
	while (tok_op(c, j, ".") || tok_op(c, j, "...")) {
		dots += (unsigned) t->v[j].len;
		j++;
	}
	if (dots > 0)
		check_add(c, SBX_SEVERITY_ERROR, kw->line, kw->col, "relative-import",
			  "relative imports are not allowed: strategy code is a single module");
	char mod[PATH_MAX_LEN];
	size_t after = dotted(c, j, mod, sizeof(mod));
	if (dots > 0)
		mod[0] = '\0';
	j = check_module_path(c, i, j);
	if (j < after)
		j = after;
	if (!tok_raw(c, j, TOK_NAME, "import"))
		return j;
	j++;
	if (tok_op(c, j, "*")) {
		check_add(c, SBX_SEVERITY_ERROR, t->v[j].line, t->v[j].col, "star-import",
			  "'import *' is not allowed: import the names you use");
		return j + 1;
	}
	if (tok_op(c, j, "("))
		j++;
	while (j < t->n && t->v[j].type != TOK_NEWLINE && !tok_op(c, j, ";") && !tok_op(c, j, ")")) {
		if (tok_raw(c, j, TOK_NAME, "as")) {
			j += 2; /* the alias is a new name, checked where it is used */
			continue;
		}
		if (t->v[j].type == TOK_NAME)
			check_imported_name(c, j, mod, i);
		j++;
	}
	return j;
}

/* ---- optional imports ---- */

static bool stmt_start(const struct checker *c, size_t i)
{
	if (i == 0)
		return true;
	enum py_tok p = c->t->v[i - 1].type;
	return p == TOK_NEWLINE || p == TOK_INDENT || p == TOK_DEDENT || tok_op(c, i - 1, ";");
}

/* The body of a compound statement whose ':' is at colon: either an
 * indented block or the simple statements after the ':'.  Sets [*a, *b)
 * and returns the index of the statement that follows. */
static size_t suite(const struct checker *c, size_t colon, size_t *a, size_t *b)
{
	const struct py_tokens *t = c->t;
	size_t j = colon + 1;
	if (j + 1 < t->n && t->v[j].type == TOK_NEWLINE && t->v[j + 1].type == TOK_INDENT &&
	    c->match[j + 1] != NO_MATCH) {
		*a = j + 2;
		*b = c->match[j + 1];
		return *b + 1;
	}
	while (j < t->n && t->v[j].type != TOK_NEWLINE)
		j++;
	*a = colon + 1;
	*b = j;
	return j + 1;
}

/* The ':' that ends the header starting at i (brackets skipped). */
static size_t header_colon(const struct checker *c, size_t i)
{
	for (; i < c->t->n && c->t->v[i].type != TOK_NEWLINE; i++) {
		if (tok_op(c, i, ":"))
			return i;
		if (c->match[i] != NO_MATCH && c->t->v[i].type == TOK_OP)
			i = c->match[i];
	}
	return SIZE_MAX;
}

/* A handler that does something besides raising: its body has a statement
 * (at its own level) that is not "raise". */
static bool has_fallback(const struct checker *c, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		const struct py_token *k = &c->t->v[i];
		if (k->type == TOK_INDENT && c->match[i] != NO_MATCH) {
			i = c->match[i];
			continue;
		}
		if (k->type == TOK_NEWLINE || k->type == TOK_DEDENT || tok_op(c, i, ";"))
			continue;
		bool start = i == a || c->t->v[i - 1].type == TOK_NEWLINE ||
			     c->t->v[i - 1].type == TOK_DEDENT || tok_op(c, i - 1, ";");
		if (start && !tok_raw(c, i, TOK_NAME, "raise"))
			return true;
	}
	return false;
}

/* The handlers after a try body, from token h: whether one catches
 * ImportError (or ModuleNotFoundError) and falls back. */
static bool handles_import_error(const struct checker *c, size_t h)
{
	while (tok_raw(c, h, TOK_NAME, "except") && stmt_start(c, h)) {
		size_t colon = header_colon(c, h + 1);
		if (colon == SIZE_MAX)
			return false;
		bool catches = false;
		for (size_t k = h + 1; k < colon && !tok_raw(c, k, TOK_NAME, "as"); k++)
			catches |= tok_name(c, k, "ImportError") || tok_name(c, k, "ModuleNotFoundError");
		size_t a, b;
		h = suite(c, colon, &a, &b);
		if (catches && has_fallback(c, a, b))
			return true;
	}
	return false;
}

void rules_mark_optional_imports(struct checker *c)
{
	const struct py_tokens *t = c->t;
	c->optional = calloc(t->n + 1, sizeof(int8_t));
	if (c->optional == NULL) {
		c->oom = true;
		return;
	}
	/* +1 where a guarded body starts, -1 where it ends; then a running sum */
	for (size_t i = 0; i < t->n; i++) {
		if (!tok_raw(c, i, TOK_NAME, "try") || !tok_op(c, i + 1, ":") || !stmt_start(c, i))
			continue;
		size_t a, b;
		size_t h = suite(c, i + 1, &a, &b);
		if (handles_import_error(c, h)) {
			c->optional[a]++;
			c->optional[b]--;
		}
	}
	/* each token starts or ends at most one guarded body, so the steps
	 * are -1..+1, and the sums stay within the 100 levels of nesting */
	int run = 0;
	for (size_t i = 0; i <= t->n; i++) {
		run += c->optional[i];
		c->optional[i] = (int8_t) run;
	}
}
