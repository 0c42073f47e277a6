/* The rules on names, attributes and strings.  Every message says what is
 * wrong and what to write instead: its reader is often the LLM that wrote
 * the code. */
#include "common/util.h"
#include "validate/check.h"

#include <limits.h>
#include <string.h>
#include <uninorm.h>

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
		{ "delattr", "use del obj.name, or keep the values in a dict" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(hints); i++)
		if (strlen(hints[i].name) == len && memcmp(hints[i].name, name, len) == 0)
			return hints[i].hint;
	return "it is not allowed by the policy (banned_builtins)";
}

static const char *identifier_hint(const char *name, size_t len)
{
	if (memmem(name, len, "pickle", 6))
		return "unpickling runs arbitrary code; use JSON or CSV";
	if (len >= 4 && (memcmp(name, "ctyp", 4) == 0 || memcmp(name, "f2py", 4) == 0 ||
			 memcmp(name, "dist", 4) == 0))
		return "it bridges to C code or compilers";
	if (len >= 4 && memcmp(name + len - 4, "Type", 4) == 0)
		return "it builds code or functions from raw parts";
	if (len == 3 && memcmp(name, "mro", 3) == 0)
		return "the class hierarchy leads to every class in the interpreter; use isinstance()";
	return "frame and code objects lead to the interpreter's internals";
}

void check_identifier(struct checker *c, const struct py_token *t, const char *name, size_t len)
{
	if (strset_has(&c->p->banned_identifiers, name, len))
		check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, "banned-identifier",
			  "'%.*s' is not allowed: %s", (int) len, name, identifier_hint(name, len));
}

/* The first token of argument k of the call whose '(' is at open, if that
 * argument is exactly one token; SIZE_MAX otherwise.  Brackets inside are
 * skipped through c->match, so a call costs its own top-level tokens. */
static size_t single_token_arg(const struct checker *c, size_t open, unsigned k)
{
	const struct py_tokens *t = c->t;
	if (c->match[open] == NO_MATCH)
		return SIZE_MAX;
	size_t close = c->match[open], i = open + 1;
	for (unsigned arg = 0; i < close; arg++) {
		size_t first = i;
		unsigned depth0 = t->v[i].fdepth;
		while (i < close && !(tok_op(c, i, ",") && t->v[i].fdepth == depth0)) {
			if (c->match[i] != NO_MATCH && t->v[i].type == TOK_OP)
				i = c->match[i];
			i++;
		}
		if (arg == k) {
			/* one token: the next one at this depth is the ',' or ')' */
			size_t after = first + 1;
			while (after < i && t->v[after].fdepth > depth0)
				after++;
			return after == i ? first : SIZE_MAX;
		}
		i++; /* past the ',' */
	}
	return SIZE_MAX;
}

/* The literal attribute name of getattr(obj, 'name') and its like: the
 * argument must be one plain string literal whose value is an ASCII
 * identifier.  Returns its value in *b (NUL-terminated), or false. */
static bool literal_name(struct checker *c, size_t tok, struct strbuf *b)
{
	if (tok == SIZE_MAX)
		return false;
	const struct py_token *s = &c->t->v[tok];
	if (s->type != TOK_STRING || s->fmt || s->bytes)
		return false;
	if (strlit_decode(b, c->src + py_body_start(s), py_body_len(s), s->raw, false) < 0) {
		c->oom = true;
		return false;
	}
	if (b->n == 0 || (b->v[0] >= '0' && b->v[0] <= '9'))
		return false;
	for (size_t i = 0; i < b->n; i++) {
		char ch = b->v[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_'))
			return false;
	}
	return true;
}

/* getattr(obj, 'name'[, default]), setattr(obj, 'name', v), hasattr(obj,
 * 'name'), object.__setattr__(self, 'name', v): no more than obj.name,
 * so allowed with an ordinary literal name.  Returns true when the call
 * at i (the function's name) has that form; otherwise reports why not. */
static bool literal_call(struct checker *c, size_t i, unsigned argk, const char *fn, size_t fnlen,
			 const char *rule)
{
	const struct py_token *t = &c->t->v[i];
	if (!tok_op(c, i + 1, "(")) {
		check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, rule,
			  "'%.*s' may only be called directly, with a literal attribute name: "
			  "%.*s(obj, 'name', ...); write obj.name where you can",
			  (int) fnlen, fn, (int) fnlen, fn);
		return false;
	}
	struct strbuf b = { 0 };
	size_t arg = single_token_arg(c, i + 1, argk);
	bool lit = literal_name(c, arg, &b);
	if (!lit) {
		check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, rule,
			  "'%.*s' with a computed attribute name is not allowed: it reaches any "
			  "attribute, dunders included; write obj.name, or %.*s(obj, 'name', ...) with "
			  "a literal ordinary name, and keep values chosen at run time in a dict",
			  (int) fnlen, fn, (int) fnlen, fn);
	} else if (is_dunder(b.v, b.n)) {
		check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, rule,
			  "'%.*s' with the dunder name '%s' is not allowed: dunder attributes reach "
			  "the interpreter's internals; use an ordinary attribute name",
			  (int) fnlen, fn, b.v);
		lit = false;
	} else if (rules_attr_refused(c, &c->t->v[arg], b.v, b.n, false) ||
		   module_member_refused(c, single_token_arg(c, i + 1, argk ? 0 : UINT_MAX),
					 &c->t->v[arg], b.v, b.n, false)) {
		check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, rule,
			  "'%.*s' with the name '%s' is not allowed: that attribute is refused "
			  "however it is reached (see the rule for .%s)",
			  (int) fnlen, fn, b.v, b.v);
		lit = false;
	}
	free(b.v);
	return lit;
}

static bool followed_by_name_attr(const struct checker *c, size_t i)
{
	return tok_op(c, i + 1, ".") &&
	       (tok_name(c, i + 2, "__name__") || tok_name(c, i + 2, "__qualname__") ||
		tok_name(c, i + 2, "__module__"));
}

bool rules_attr_refused(struct checker *c, const struct py_token *t, const char *nm, size_t len,
			bool report)
{
	const sbx_check_policy *p = c->p;
	if (strset_has(&p->banned_identifiers, nm, len)) {
		if (report)
			check_identifier(c, t, nm, len);
		return true;
	}
	if (strset_has(&p->module_attributes, nm, len)) {
		if (report)
			check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, "module-attribute",
				  "'.%.*s' is the %.*s module (allowed modules carry it, as in "
				  "pd.io.common.os), and strategy code may not use it; use the "
				  "allowed modules' own functions instead",
				  (int) len, nm, (int) len, nm);
		return true;
	}
	if (is_dunder(nm, len) && !strset_has(&p->dunder_access, nm, len)) {
		if (report) {
			bool cls = len == 9 && memcmp(nm, "__class__", 9) == 0;
			bool dict = len == 8 && memcmp(nm, "__dict__", 8) == 0;
			check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, "dunder-attribute",
				  "access to '.%.*s' is not allowed: dunder attributes reach the "
				  "interpreter's internals%s",
				  (int) len, nm,
				  cls ? "; use type(obj), or obj.__class__.__name__ for the class name"
				  : dict ? "; use dataclasses.asdict(self), or name the attributes"
					 : "; use the object's ordinary attributes and methods");
		}
		return true;
	}
	return false;
}

/* NAME after '.': obj.attr */
static void check_attribute(struct checker *c, size_t i, const char *nm, size_t len)
{
	const struct py_token *t = &c->t->v[i];
	if (len == 9 && memcmp(nm, "__class__", 9) == 0 && followed_by_name_attr(c, i))
		return; /* self.__class__.__name__: a string, like type(self).__name__ */
	if (len == 11 && memcmp(nm, "__setattr__", 11) == 0 &&
	    !strset_has(&c->p->dunder_access, nm, len)) {
		/* object.__setattr__(self, 'x', v) in a frozen dataclass */
		bool on_object = i >= 2 && tok_name(c, i - 2, "object");
		literal_call(c, i, on_object ? 1 : 0, nm, len, "dunder-attribute");
		return;
	}
	rules_attr_refused(c, t, nm, len, true);
}

/* A name is a keyword argument or a parameter with a default when "=" follows
 * and "(" or "," comes before: f(compile=True) does not use compile. */
static bool is_keyword_arg(const struct checker *c, size_t i)
{
	return i > 0 && tok_op(c, i + 1, "=") && (tok_op(c, i - 1, "(") || tok_op(c, i - 1, ","));
}

void rules_name(struct checker *c, size_t i)
{
	const struct py_token *t = &c->t->v[i];
	const sbx_check_policy *p = c->p;
	size_t len;
	const char *nm = tok_norm(c, i, &len);
	if (t->non_ascii && !p->allow_non_ascii_identifiers)
		check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, "non-ascii-identifier",
			  "identifier '%.*s' is not ASCII; the policy accepts ASCII identifiers only",
			  (int) t->len, c->src + t->start);
	if (i > 0 && tok_op(c, i - 1, ".")) {
		check_attribute(c, i, nm, len);
		return;
	}
	check_identifier(c, t, nm, len);
	if (i > 0 && (tok_raw(c, i - 1, TOK_NAME, "def") || tok_raw(c, i - 1, TOK_NAME, "class"))) {
		if (is_dunder(nm, len) && !strset_has(&p->dunder_defs, nm, len))
			check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, "dunder-name",
				  "defining '%.*s' is not allowed: it hooks attribute lookup, "
				  "pickling or class creation; use ordinary methods",
				  (int) len, nm);
		return;
	}
	bool kwarg = is_keyword_arg(c, i);
	if (!kwarg && strset_has(&p->banned_builtins, nm, len)) {
		check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, "banned-builtin",
			  "'%.*s' is not allowed: %s", (int) len, nm, builtin_hint(nm, len));
		return;
	}
	if (!kwarg && strset_has(&p->literal_builtins, nm, len)) {
		literal_call(c, i, 1, nm, len, "banned-builtin");
		return;
	}
	if (!kwarg && strset_has(&p->self_builtins, nm, len)) {
		if (!(tok_op(c, i + 1, "(") && tok_name(c, i + 2, "self") && tok_op(c, i + 3, ")")))
			check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, "banned-builtin",
				  "'%.*s' is allowed only as %.*s(self): on anything else it can return "
				  "a module's namespace, builtins included; use dataclasses.asdict(obj), "
				  "or name the attributes you need",
				  (int) len, nm, (int) len, nm);
		return;
	}
	if (is_dunder(nm, len) && !strset_has(&p->dunder_names, nm, len))
		check_add(c, SBX_SEVERITY_ERROR, t->line, t->col, "dunder-name",
			  "the name '%.*s' is not allowed: dunder names reach the interpreter's "
			  "internals",
			  (int) len, nm);
}

/* ---- strings ---- */

/* Whether STRING token i continues an implicit concatenation ("a" "b"):
 * the token before it at its depth or shallower is a STRING at its depth
 * (an f-string's field tokens, deeper, lie in between). */
static bool continues_concatenation(const struct checker *c, size_t i)
{
	const struct py_token *v = c->t->v;
	size_t j = i;
	while (j > 0 && v[j - 1].fdepth > v[i].fdepth)
		j--;
	return j > 0 && v[j - 1].type == TOK_STRING && v[j - 1].fdepth == v[i].fdepth;
}

/* The literal text of string token m: for an f-string, the text between
 * its fields, joined (a field may be empty, so "__glo{''}bals__" is
 * "__globals__"). */
static int string_text(struct checker *c, size_t m, struct strbuf *b)
{
	const struct py_token *s = &c->t->v[m];
	const struct py_tokens *t = c->t;
	size_t pos = py_body_start(s), end = pos + py_body_len(s);
	if (s->fmt) {
		for (size_t f = s->aux; f < t->nfields && t->fields[f].expr_start < end; f++) {
			const struct py_field *fl = &t->fields[f];
			if (fl->string_tok != m || fl->level != 0)
				continue;
			size_t open = fl->expr_start - 1;
			if (strlit_decode(b, c->src + pos, open - pos, s->raw, s->bytes) < 0)
				return -1;
			pos = fl->end;
		}
	}
	return strlit_decode(b, c->src + pos, end - pos, s->raw, s->bytes);
}

static bool text_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch >= 0x80;
}

static void scan_text(struct checker *c, const struct py_token *at, const char *s, size_t n)
{
	for (size_t k = 0; k < n;) {
		if (!text_char((unsigned char) s[k])) {
			k++;
			continue;
		}
		size_t e = k;
		while (e < n && text_char((unsigned char) s[e]))
			e++;
		if (strset_has(&c->p->names_in_strings, s + k, e - k))
			check_add(c, SBX_SEVERITY_ERROR, at->line, at->col, "dunder-string",
				  "a string containing '%.*s' is not allowed: names like it in "
				  "strings drive lookups into the interpreter's internals "
				  "(\"{0.__globals__}\".format(f), operator.attrgetter(...)); "
				  "rephrase the text",
				  (int) (e - k), s + k);
		k = e;
	}
}

/* A string token: if it begins a concatenation, the whole concatenation's
 * literal text, once, escapes decoded and NFKC-normalised (Python does
 * not normalise strings, but getattr-like lookups are compared with
 * normalised identifiers; refusing both spellings is the safe side). */
void rules_strings(struct checker *c, size_t i, size_t *next)
{
	const struct py_tokens *t = c->t;
	*next = i + 1;
	if (continues_concatenation(c, i))
		return;
	struct strbuf b = { 0 };
	unsigned d = t->v[i].fdepth;
	for (size_t m = i; m < t->n;) {
		if (string_text(c, m, &b) < 0) {
			c->oom = true;
			break;
		}
		size_t j = m + 1;
		while (j < t->n && t->v[j].fdepth > d)
			j++;
		if (j >= t->n || t->v[j].type != TOK_STRING || t->v[j].fdepth != d)
			break;
		m = j;
	}
	bool ascii = true;
	for (size_t k = 0; k < b.n && ascii; k++)
		ascii = (unsigned char) b.v[k] < 0x80;
	if (!c->oom && ascii) {
		scan_text(c, &t->v[i], b.v, b.n);
	} else if (!c->oom) {
		size_t nl = 0;
		uint8_t *norm = u8_normalize(UNINORM_NFKC, (const uint8_t *) b.v, b.n, NULL, &nl);
		if (norm == NULL)
			c->oom = true;
		else
			scan_text(c, &t->v[i], (const char *) norm, nl);
		free(norm);
	}
	free(b.v);
}
