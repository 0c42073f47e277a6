/* The validator's rules, case by case: what ordinary strategy code may
 * write (and LLMs do write), what stays refused and by which rule, and the
 * corners where the validator must read code as CPython 3.11 does. */
#include "harness.h"
#include "stratbox/validate.h"
#include "validate/tokenizer.h"
#include "validate_cases.h"

#include <stdio.h>

static int check_text(const char *src, struct sbx_check_result *r, sbx_error **err)
{
	sbx_check_policy *p = sbx_check_policy_default();
	int rc = sbx_check_source(p, src, strlen(src), r, err);
	sbx_check_policy_free(p);
	return rc;
}

static const char *first_error(const struct sbx_check_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].severity == SBX_SEVERITY_ERROR)
			return r->v[i].rule;
	return NULL;
}

/* The tokens of src as "TYPE:text" joined by spaces (fdepth > 0 marked
 * with '^'), NEWLINE/INDENT/DEDENT as N, I, D. */
static void token_text(const char *src, char *buf, size_t size)
{
	struct py_tokens t;
	char why[160];
	unsigned l, c;
	size_t off = 0;
	buf[0] = '\0';
	if (py_tokenize(src, strlen(src), &t, why, sizeof(why), &l, &c) < 0) {
		snprintf(buf, size, "ERROR %u:%u %s", l, c, why);
		py_tokens_free(&t);
		return;
	}
	for (size_t i = 0; i < t.n && off + 1 < size; i++) {
		const struct py_token *k = &t.v[i];
		static const char *const ty[] = { "NAME", "NUM", "STR", "OP", "N", "I", "D" };
		size_t nl;
		const char *nm = py_name(&t, k, src, &nl);
		int n;
		if (k->type >= TOK_NEWLINE)
			n = snprintf(buf + off, size - off, "%s%s", off ? " " : "", ty[k->type]);
		else
			n = snprintf(buf + off, size - off, "%s%s%s:%.*s", off ? " " : "",
				     k->fdepth ? "^" : "", ty[k->type],
				     (int) (k->type == TOK_NAME ? nl : k->len),
				     k->type == TOK_NAME ? nm : src + k->start);
		if (n < 0)
			break;
		off += (size_t) n;
	}
	py_tokens_free(&t);
}

void validate_tokenizer_corners(void)
{
	static const struct {
		const char *src, *tokens;
	} cases[] = {
		/* a backslash never escapes a brace in a 3.11 f-string */
		{ "f'\\{x}'", "STR:f'\\{x}' ^NAME:x N" },
		{ "f\"\\{str(H)+'{x!'}\"", "STR:f\"\\{str(H)+'{x!'}\" ^NAME:str ^OP:( ^NAME:H ^OP:) ^OP:+ "
					   "^STR:'{x!' N" },
		{ "f'\\\\{x}'", "STR:f'\\\\{x}' ^NAME:x N" },
		{ "rf'\\{x}'", "STR:rf'\\{x}' ^NAME:x N" },
		{ "f'\\N{LOW LINE}{x}'", "STR:f'\\N{LOW LINE}{x}' ^NAME:x N" },
		/* doubled braces are literal in the string, not in a format spec */
		{ "f'{{x}}'", "STR:f'{{x}}' N" },
		{ "f'{x:{{}}}'", "STR:f'{x:{{}}}' ^NAME:x ^OP:{ ^OP:} N" },
		{ "f'{x!r:>{w}}'", "STR:f'{x!r:>{w}}' ^NAME:x ^NAME:w N" },
		{ "f'{x=}{y!=z}'", "STR:f'{x=}{y!=z}' ^NAME:x ^NAME:y ^OP:!= ^NAME:z N" },
		{ "f'{f\"{a}\"}'", "STR:f'{f\"{a}\"}' ^STR:f\"{a}\" ^NAME:a N" },
		/* numbers end where CPython ends them */
		{ "0x1.__class__", "NUM:0x1 OP:. NAME:__class__ N" },
		{ "1j.__class__", "NUM:1j OP:. NAME:__class__ N" },
		{ "1e5.__class__", "NUM:1e5 OP:. NAME:__class__ N" },
		{ "1..real", "NUM:1. OP:. NAME:real N" },
		{ "1if x else 2", "NUM:1 NAME:if NAME:x NAME:else NUM:2 N" },
		{ "0x1for", "NUM:0x1f NAME:or N" },
		{ "0_01else 2", "NUM:0_01 NAME:else NUM:2 N" },
		{ "1_000.5e-3j", "NUM:1_000.5e-3j N" },
		/* names as Python reads them: NFKC */
		{ "x.__class\xef\xbc\xbf\xef\xbc\xbf", "NAME:x OP:. NAME:__class__ N" },
		{ "\xef\xbd\x85val", "NAME:eval N" },
		{ "\xe2\x84\xafval", "NAME:eval N" },
		/* blocks */
		{ "if x:\n    y\nz\n", "NAME:if NAME:x OP:: N I NAME:y N D NAME:z N" },
		{ "if x:\n\ty\n\tif z:\n\t\tw\n", "NAME:if NAME:x OP:: N I NAME:y N NAME:if NAME:z OP:: N I "
						 "NAME:w N D D" },
		{ "\\\n# c\nx\n", "N NAME:x N" },
		{ "(1,\n\n 2)\n", "OP:( NUM:1 OP:, NUM:2 OP:) N" },
		{ "x = 1\r\ny = 2", "NAME:x OP:= NUM:1 N NAME:y OP:= NUM:2 N" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got[1024];
		token_text(cases[i].src, got, sizeof(got));
		CHECK(strcmp(got, cases[i].tokens) == 0, "case %zu %s\n    got  %s\n    want %s", i,
		      cases[i].src, got, cases[i].tokens);
	}
	/* what CPython refuses */
	static const char *const bad[] = {
		"f'{x!}'", "f'{x#}'", "f'{\\'a\\'}'", "f'{x:{y:{z}}}'", "f'}'", "f'{}'", "1__0",
		"0b12", "09", "1e", "if x:\n  y\n z\n", "(]", "((", "x = 1 \\", "\t if x:\n        y\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char got[512];
		token_text(bad[i], got, sizeof(got));
		CHECK(strncmp(got, "ERROR", 5) == 0, "accepted %s: %s", bad[i], got);
	}
}

static const struct rule_case {
	const char *src;
	const char *rule; /* the first error's rule, NULL: no error */
	unsigned warnings;
} rule_cases[] = {
	/* ordinary code, as LLMs write it */
	{ "class A:\n    def f(self):\n        return getattr(self, 'window', 20)\n", NULL, 0 },
	{ "class A:\n    def f(self):\n        setattr(self, 'x', 1)\n        return hasattr(self, 'y')\n",
	  NULL, 0 },
	{ "class A:\n    def f(self):\n        return getattr(self, '_cache', None)\n", NULL, 0 },
	{ "class A:\n    def __repr__(self):\n        return f'{self.__class__.__name__}()'\n", NULL, 0 },
	{ "x = type(a).__qualname__ + a.__class__.__module__\n", NULL, 0 },
	{ "class P:\n    def __post_init__(self):\n        object.__setattr__(self, 'name', 'x')\n",
	  NULL, 0 },
	{ "class P(dict):\n    def g(self):\n        super().__setattr__('x', 1)\n", NULL, 0 },
	{ "class P:\n    def d(self):\n        return dict(vars(self))\n", NULL, 0 },
	{ "import logging\nlogger = logging.getLogger(__name__)\nlogger.info('x')\n", NULL, 0 },
	{ "import time, uuid, warnings, contextlib, traceback, string, textwrap, numbers\n"
	  "import calendar, zoneinfo, pprint, io, csv, cmath, pytz\n", NULL, 0 },
	{ "def f():\n    \"\"\"Calls __call__, then __init__ and __repr__.\"\"\"\n", NULL, 0 },
	{ "m.fit(compile=True, eval=1)\ndef g(x, exec=None): pass\n", NULL, 0 },
	{ "s = '__class__ and __name__'\n", NULL, 0 },
	{ "try:\n    1\nexcept Exception as e:\n    t = e.__traceback__\n", NULL, 0 },
	{ "from enum import Enum\nclass S(Enum):\n    A = 1\nn = list(S.__members__)\n", NULL, 0 },
	{ "__author__ = 'me'\n__version__ = '1'\n__all__ = ['x']\n", NULL, 0 },
	{ "import pandas as pd\nf = pd.io.formats\nt = pd.api.types.is_numeric_dtype\n", NULL, 0 },
	{ "from pandas.api.types import is_numeric_dtype\n", NULL, 0 },
	{ "df.signal = df.platform = 1\n", NULL, 0 },
	{ "import numpy as np\nx = np.log(np.random.default_rng(0).random(3))\n", NULL, 0 },
	{ "import re\nimport pandas as pd\nrx = re.compile('a')\npd.DataFrame().eval('a + 1')\n", NULL,
	  0 },
	{ "def g():\n    yield from range(3)\ntry:\n    pass\nexcept Exception as e:\n"
	  "    raise ValueError('x') from e\n",
	  NULL, 0 },
	/* optional imports: warnings, the code runs */
	{ "try:\n    import scipy\nexcept ImportError:\n    scipy = None\n", NULL, 1 },
	{ "try: import talib\nexcept ImportError: talib = None\n", NULL, 1 },
	{ "try:\n    from numba import njit\nexcept (ImportError, AttributeError):\n    njit = None\n",
	  NULL, 1 },
	{ "try:\n    import sklearn\n    import statsmodels\nexcept ModuleNotFoundError:\n    pass\n",
	  NULL, 2 },
	{ "try:\n    if 1:\n        import scipy\nexcept ImportError:\n    scipy = None\n", NULL, 1 },
	/* ... but not without a fallback, nor for modules with no fallback worth having */
	{ "try:\n    import scipy\nexcept ImportError:\n    raise\n", "import-not-allowed", 0 },
	{ "try:\n    import scipy\nexcept ValueError:\n    scipy = None\n", "import-not-allowed", 0 },
	{ "try:\n    import os\nexcept ImportError:\n    os = None\n", "import-not-allowed", 0 },
	{ "try:\n    pass\nexcept ImportError:\n    x = 1\nimport scipy\n", "import-not-allowed", 0 },
	/* reflection by computed or dunder names */
	{ "getattr(self, name)\n", "banned-builtin", 0 },
	{ "getattr(self, '__class__')\n", "banned-builtin", 0 },
	{ "getattr(self, '\\x5f_class__')\n", "banned-builtin", 0 },
	{ "getattr(x, 'os')\n", "banned-builtin", 0 },
	{ "getattr(x, 'gi_frame')\n", "banned-builtin", 0 },
	{ "import numpy as np\ngetattr(np, '_internal')\n", "banned-builtin", 0 },
	{ "import logging\ngetattr(logging, 'config')\n", "banned-builtin", 0 },
	{ "getattr(x, 'a' 'b')\n", "banned-builtin", 0 },
	{ "getattr(x, f'a')\n", "banned-builtin", 0 },
	{ "setattr(x, b'a', 1)\n", "banned-builtin", 0 },
	{ "setattr(x, 'a b', 1)\n", "banned-builtin", 0 },
	{ "g = getattr\n", "banned-builtin", 0 },
	{ "getattr(x)\n", "banned-builtin", 0 },
	{ "v = vars()\n", "banned-builtin", 0 },
	{ "v = vars(obj)\n", "banned-builtin", 0 },
	{ "f = vars\n", "banned-builtin", 0 },
	{ "object.__setattr__(self, name, 1)\n", "dunder-attribute", 0 },
	{ "object.__setattr__(self, '__class__', 1)\n", "dunder-attribute", 0 },
	{ "x = a.__class__\n", "dunder-attribute", 0 },
	{ "x = a.__class__.__bases__\n", "dunder-attribute", 0 },
	{ "x = a.__dict__\n", "dunder-attribute", 0 },
	{ "x = type(a).mro()\n", "banned-identifier", 0 },
	{ "import typing\nc = typing.types.CodeType\n", "banned-identifier", 0 },
	/* module chains */
	{ "import pandas as pd\nx = pd.io.common.os\n", "module-attribute", 0 },
	{ "import numpy as np\nx = np.core._internal\n", "module-attribute", 0 },
	{ "import numpy\nx = numpy.core._internal.sys\n", "module-attribute", 0 },
	{ "y = obj.sys.modules\n", "module-attribute", 0 },
	{ "import random\nx = random._os\n", "module-attribute", 0 },
	{ "import dataclasses\nf = dataclasses._create_fn\n", "module-attribute", 0 },
	{ "import dataclasses as dc\nf = dc.builtins\n", "module-attribute", 0 },
	{ "from pandas.io.common import os\n", "module-attribute", 0 },
	{ "from dataclasses import _create_fn\n", "import-not-allowed", 0 },
	{ "from numpy.core import _internal\n", "import-not-allowed", 0 },
	{ "import logging.handlers\n", "import-not-allowed", 0 },
	{ "from logging import config\n", "import-not-allowed", 0 },
	{ "from string import Formatter\n", "import-not-allowed", 0 },
	{ "import string\nf = string.Formatter()\n", "module-attribute", 0 },
	{ "import typing as t\nh = t.get_type_hints(f)\n", "module-attribute", 0 },
	/* uuid1 asks uuidd over a socket: the job would die of SYSCALL_VIOLATION */
	{ "import uuid\nu = uuid.uuid1()\n", "module-attribute", 0 },
	{ "from uuid import getnode\n", "import-not-allowed", 0 },
	{ "import uuid\nu = uuid.uuid4().hex\n", NULL, 0 },
	/* strings: their value, once, concatenations joined */
	{ "s = '{0.__globals__}'.format(f)\n", "dunder-string", 0 },
	{ "s = '__glo' '__'\nt = 'x__globals__y'\n", NULL, 0 },
	{ "s = ('__glo'\n     'bals__')\n", "dunder-string", 0 },
	{ "s = f'__glo{\"\"}bals__'\n", "dunder-string", 0 },
	{ "s = f'{x}' '__globals__'\n", "dunder-string", 0 },
	{ "s = '\\x5f\\x5fglobals\\x5f\\x5f'\n", "dunder-string", 0 },
	{ "s = '\\N{LOW LINE}\\N{low line}globals__'\n", "dunder-string", 0 },
	{ "s = '__glob\xef\xbd\x81ls__'\n", "dunder-string", 0 },
	{ "s = b'__subclasses__'\n", "dunder-string", 0 },
	{ "s = rb'__mro__'\n", "dunder-string", 0 },
	{ "s = 'gi_frame.f_back'\n", "dunder-string", 0 },
	/* what CPython reads, not what the text looks like */
	{ "s = f'\\{().__class__}'\n", "dunder-attribute", 0 },
	{ "x = 0x1.__class__\n", "dunder-attribute", 0 },
	{ "x = 1j.__class__.__base__\n", "dunder-attribute", 0 },
	{ "x = ().__class\xef\xbc\xbf\xef\xbc\xbf\n", "dunder-attribute", 0 },
	{ "\xef\xbd\x85\xef\xbd\x96\xef\xbd\x81\xef\xbd\x8c('1')\n", "banned-builtin", 0 },
	{ "s = f'{x:{eval}}'\n", "banned-builtin", 0 },
	{ "# coding: latin-1\nx = 1\n", "encoding-declaration", 0 },
};

void validate_rule_table(void)
{
	for (size_t i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++) {
		const struct rule_case *k = &rule_cases[i];
		struct sbx_check_result r;
		sbx_error *err = NULL;
		CHECK(check_text(k->src, &r, &err) == 0, "case %zu unusable: %s", i, err ? err->msg : "");
		const char *got = first_error(&r);
		CHECK((got == NULL) == (k->rule == NULL) && (got == NULL || strcmp(got, k->rule) == 0),
		      "case %zu:\n%s    first error %s, want %s%s%s", i, k->src, got ? got : "none",
		      k->rule ? k->rule : "none", r.n ? "; first violation: " : "",
		      r.n ? r.v[0].message : "");
		CHECK(r.n - r.errors == k->warnings, "case %zu:\n%s    %zu warnings, want %u", i, k->src,
		      r.n - r.errors, k->warnings);
		for (size_t j = 0; j < r.n; j++)
			CHECK(r.v[j].severity == SBX_SEVERITY_ERROR || k->warnings,
			      "case %zu: unexpected warning %s", i, r.v[j].message);
		sbx_check_result_clear(&r);
	}
}

void validate_result_shape(void)
{
	struct sbx_check_result r;
	sbx_error *err = NULL;
	/* a warning before an error in the source: the error comes first */
	CHECK(check_text("try:\n    import scipy\nexcept ImportError:\n    scipy = None\nx = eval('1')\n",
			 &r, &err) == 0);
	CHECK_INT_EQ(r.n, 2);
	CHECK_INT_EQ(r.errors, 1);
	CHECK(r.v[0].severity == SBX_SEVERITY_ERROR && r.v[1].severity == SBX_SEVERITY_WARNING);
	CHECK_STR_EQ(r.v[0].rule, "banned-builtin");
	CHECK_INT_EQ(r.v[1].line, 2);
	char *j = sbx_check_result_to_json(&r, "s.py");
	CHECK_CONTAINS(j, "\"ok\":false");
	CHECK_CONTAINS(j, "\"errors\":1");
	CHECK_CONTAINS(j, "\"warnings\":1");
	CHECK_CONTAINS(j, "\"severity\":\"warning\"");
	CHECK_CONTAINS(j, "\"severity\":\"error\"");
	free(j);
	sbx_check_result_clear(&r);
	/* only warnings: ok */
	CHECK(check_text("try:\n    import scipy\nexcept ImportError:\n    scipy = None\n", &r, &err) == 0);
	j = sbx_check_result_to_json(&r, NULL);
	CHECK_CONTAINS(j, "\"ok\":true");
	free(j);
	CHECK_STR_EQ(sbx_severity_name(r.v[0].severity), "warning");
	sbx_check_result_clear(&r);
	/* one report per place and rule, and a cap on the report */
	CHECK(check_text("s = '__mro__ __mro__ __bases__'\n", &r, &err) == 0);
	CHECK_INT_EQ(r.n, 1);
	sbx_check_result_clear(&r);
	size_t lines = 1000;
	char *many = malloc(lines * 8 + 1);
	for (size_t i = 0; i < lines; i++)
		memcpy(many + i * 8, "eval(1)\n", 8);
	many[lines * 8] = '\0';
	CHECK(check_text(many, &r, &err) == 0);
	free(many);
	CHECK(r.n > 100 && r.n < lines, "%zu violations reported", r.n);
	CHECK_STR_EQ(r.v[r.n - 1].rule, "too-many-violations");
	CHECK_CONTAINS(r.v[r.n - 1].message, "more violations not shown");
	CHECK_INT_EQ(r.errors, r.n);
	sbx_check_result_clear(&r);
}

void validate_large_inputs(void)
{
	/* one line of 200 000 names: the last one's column counts characters */
	size_t n = 200000;
	char *line = malloc(n * 3 + 2);
	for (size_t i = 0; i < n; i++)
		memcpy(line + i * 3, "\xc3\xa9,", 3); /* é, */
	line[n * 3] = 'x';
	line[n * 3 + 1] = '\0';
	struct py_tokens t;
	char why[160];
	unsigned l, c;
	CHECK(py_tokenize(line, strlen(line), &t, why, sizeof(why), &l, &c) == 0, "%s", why);
	CHECK_INT_EQ(t.v[t.n - 2].line, 1);
	CHECK_INT_EQ(t.v[t.n - 2].col, 2 * n + 1);
	py_tokens_free(&t);
	free(line);
	/* brackets nest 200 deep in CPython, and no deeper */
	char deep[1024];
	memset(deep, '(', 200);
	memset(deep + 200, ')', 200);
	deep[400] = '\0';
	CHECK(py_tokenize(deep, 400, &t, why, sizeof(why), &l, &c) == 0, "%s", why);
	py_tokens_free(&t);
	memset(deep, '(', 201);
	memset(deep + 201, ')', 201);
	CHECK(py_tokenize(deep, 402, &t, why, sizeof(why), &l, &c) < 0);
	CHECK_CONTAINS(why, "too many nested parentheses");
	py_tokens_free(&t);
	/* blocks nest 99 deep in CPython, and no deeper */
	for (size_t levels = 99; levels <= 100; levels++) {
		char *nest = malloc(levels * (levels + 8) + 1);
		size_t o = 0;
		for (size_t i = 0; i <= levels; i++) {
			memset(nest + o, ' ', i);
			o += i;
			memcpy(nest + o, i < levels ? "if 1:\n" : "x\n", i < levels ? 6 : 2);
			o += i < levels ? 6 : 2;
		}
		nest[o] = '\0';
		int rc = py_tokenize(nest, o, &t, why, sizeof(why), &l, &c);
		CHECK(levels == 99 ? rc == 0 : rc < 0, "%zu levels: %s", levels, rc ? why : "accepted");
		if (levels == 100)
			CHECK_CONTAINS(why, "too many levels of indentation");
		py_tokens_free(&t);
		free(nest);
	}
	/* a huge string with many f-string fields */
	size_t fields = 100000;
	char *fs = malloc(fields * 3 + 8);
	size_t off = 0;
	fs[off++] = 'f';
	fs[off++] = '"';
	for (size_t i = 0; i < fields; i++) {
		memcpy(fs + off, "{x}", 3);
		off += 3;
	}
	fs[off++] = '"';
	fs[off] = '\0';
	CHECK(py_tokenize(fs, off, &t, why, sizeof(why), &l, &c) == 0, "%s", why);
	CHECK_INT_EQ(t.nfields, fields);
	CHECK_INT_EQ(t.v[t.n - 2].col, off - 2); /* the last x */
	py_tokens_free(&t);
	free(fs);
}
