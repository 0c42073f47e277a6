#!/usr/bin/python3
"""The validator must read code exactly as CPython does.

A differential test, run with Debian's /usr/bin/python3 (the CPython 3.11
the jobs run on) as the judge.  For every input that CPython compiles:

  * every token Lib/tokenize.py produces (NAME, NUMBER, STRING, OP, NEWLINE,
    INDENT, DEDENT) is the validator's token at the same place, with the
    same text, and a NAME has the same NFKC form;
  * every f-string has the replacement fields CPython's parser finds: as
    many, at the same nesting level, each field's expression text parsing
    to the same AST as CPython's FormattedValue (ast.dump), and the
    expression's tokens are tokenize's tokens of that text, at the same
    places;
  * every other string literal has the value CPython gives it (what the
    dunder-string rule scans), bytes >= 0x80 and lone surrogates as '?'.

The inputs: the corpora in tests/validate/, a generated corpus of the
lexical corners (numbers glued to attributes and keywords, every string
prefix, f-strings with backslashes, doubled braces, nested fields, format
specs, "=" and conversions, NFKC-equivalent identifiers, indentation with
tabs and form feeds, CR and CRLF line ends, continuations), and mutants of
both, for a bounded time.  Inputs CPython refuses need no agreement (the
code never runs); the validator must only not crash on them, which the
libFuzzer target covers.

    differential.py VPROBE [--seconds S] [--count N] [--seed N] [--save DIR] [DIR...]

Prints the figures and "differential: P passed, F failed, 0 skipped"; the
exit code is 1 on any disagreement (each printed, and saved under --save).
"""
import argparse
import ast
import io
import json
import os
import random
import select
import subprocess
import sys
import time
import tokenize
import unicodedata
import warnings

# Lib/tokenize.py reads a name as r'\w+', which misses identifier characters
# that are not word characters (U+2118, U+00B7, combining marks, U+FF3F);
# the C tokenizer CPython compiles with reads the longest run of ASCII
# letters, digits, '_' and any non-ASCII character, then checks the whole
# name.  The judge reads names the C tokenizer's way (whether the name is
# valid, compile() has already said).
tokenize.PseudoToken = tokenize.Whitespace + tokenize.group(
    tokenize.PseudoExtras, tokenize.Number, tokenize.Funny, tokenize.ContStr,
    r"(?:\w|[^\x00-\x7f])+")

KEEP = {tokenize.NAME, tokenize.NUMBER, tokenize.STRING, tokenize.OP, tokenize.NEWLINE,
        tokenize.INDENT, tokenize.DEDENT}


def translate(s):
    """CPython's newline translation for source given as a string."""
    return s.replace("\r\n", "\n").replace("\r", "\n")


class ProbeFailed(Exception):
    pass


class Probe:
    """The validator, through tests/validate/vprobe.c.  An input it crashes
    or hangs on (more than TIMEOUT seconds: the check is linear, these
    inputs are small) is a failure, and the probe is restarted."""

    TIMEOUT = 10.0

    def __init__(self, path):
        self.path = path
        self.start()

    def start(self):
        self.p = subprocess.Popen([self.path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.buf = b""

    def ask(self, mode, data):
        self.p.stdin.write(b"%s %d\n" % (mode.encode(), len(data)) + data)
        self.p.stdin.flush()
        deadline = time.monotonic() + self.TIMEOUT
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            ready = select.select([self.p.stdout], [], [], max(left, 0))[0] if left > 0 else []
            chunk = os.read(self.p.stdout.fileno(), 1 << 16) if ready else b""
            if not chunk:
                why = "hung" if left <= 0 or not ready else "died (exit %s)" % self.p.poll()
                self.p.kill()
                self.p.wait()
                self.start()
                raise ProbeFailed("the validator %s on this input (%s)" % (why, mode))
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line)

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def cpython_accepts(src):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(src, "strategy.py", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
            return True
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            return False


def cpython_tokens(text):
    """tokenize's tokens of text (already translated), or None if tokenize
    cannot say (it is a separate implementation and gives up in corners
    where the C tokenizer does not)."""
    out = []
    try:
        for t in tokenize.generate_tokens(io.StringIO(text).readline):
            if t.type == tokenize.ERRORTOKEN:
                return None
            if t.type not in KEEP:
                continue
            if (t.type == tokenize.NUMBER and out and out[-1].type == tokenize.NUMBER
                    and out[-1].end == t.start):
                # "0_01else": the C tokenizer reads zeros, then digits, then
                # takes the 'e' of "else" for an exponent and backs off: one
                # NUMBER "0_01" (the AST has Constant(1.0)); tokenize.py
                # splits it in two.  Two numbers never touch otherwise in
                # code CPython compiles.
                p = out.pop()
                t = tokenize.TokenInfo(t.type, p.string + t.string, p.start, t.end, t.line)
            out.append(t)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return out


def formatted_values(node, level=0):
    """CPython's replacement fields of an f-string, in source order, with
    their nesting level (1: inside a format spec)."""
    for v in node.values:
        if isinstance(v, ast.FormattedValue):
            yield v, level
            if v.format_spec is not None:
                yield from formatted_values(v.format_spec, level + 1)


class Mismatch(Exception):
    pass


def drop_final_newline(toks, typ):
    """Without the NEWLINE that ends the file: tokenize.py leaves it out
    when the last line is a comment inside a continued statement, the C
    tokenizer (and the validator) always end with one.  It carries no code."""
    k = len(toks)
    while k > 0 and typ(toks[k - 1]) == tokenize.DEDENT:
        k -= 1
    if k > 0 and typ(toks[k - 1]) == tokenize.NEWLINE:
        return toks[:k - 1] + toks[k:]
    return toks


class Judge:
    def __init__(self, probe):
        self.probe = probe

    def compare(self, src):
        """'agree', 'rejected' (CPython refuses: nothing to compare),
        'unsure' (tokenize gave up) or raises Mismatch.  Every input also
        goes through the whole check (under ASan, in the sanitizer build),
        which must not call code CPython compiles unusable."""
        accepted = cpython_accepts(src)
        checked = self.probe.ask("check", src.encode("utf-8", "surrogatepass"))
        if not accepted:
            return "rejected"
        if not checked["ok"]:
            raise Mismatch("CPython compiles it, the check calls it unusable: " + checked["error"])
        text = translate(src)
        expected = cpython_tokens(text)
        raw = src.encode("utf-8", "surrogatepass")
        got = self.probe.ask("tokens", raw)
        if not got["ok"]:
            raise Mismatch("CPython compiles it, the validator refuses it: %d:%d: %s"
                           % (got["line"], got["col"], got["error"]))
        if expected is None:
            return "unsure"
        toks = got["tokens"]
        self.expect_tokens(drop_final_newline(expected, lambda t: t.type),
                           drop_final_newline([t for t in toks if t[5] == 0],
                                              lambda t: getattr(tokenize, t[0])), "module")
        self.check_strings(raw, toks, got["fields"], got["values"])
        return "agree"

    @staticmethod
    def expect_tokens(expected, got, where, base=None):
        """base: (line, col) of the text's start in the source, for a
        field's expression (tokenized wrapped in parentheses)."""
        if len(expected) != len(got):
            n = min(len(expected), len(got))
            for k in range(n):
                if not Judge.same(expected[k], got[k], base):
                    break
            else:
                k = n
            raise Mismatch("%s: %d tokens from CPython, %d from the validator; first "
                           "difference at token %d: CPython %s, validator %s"
                           % (where, len(expected), len(got), k,
                              Judge.show(expected[k]) if k < len(expected) else "-",
                              got[k] if k < len(got) else "-"))
        # the DEDENTs that close the file: where tokenize.py puts them
        # depends on how it read the last lines; they carry no code
        tail = len(expected)
        while tail > 0 and expected[tail - 1].type == tokenize.DEDENT:
            tail -= 1
        for k, (e, g) in enumerate(zip(expected, got)):
            if k >= tail and g[0] == "DEDENT":
                continue
            if not Judge.same(e, g, base):
                raise Mismatch("%s: CPython reads %s, the validator %s" % (where, Judge.show(e), g))

    @staticmethod
    def show(t):
        return "%s %r at %d:%d" % (tokenize.tok_name[t.type], t.string, t.start[0], t.start[1])

    @staticmethod
    def place(t, base):
        line, col = t.start
        if base is None:
            return line, col
        # the text was wrapped as "(" + expr + ")": line 1 is shifted by the "("
        if line == 1:
            return base[0], base[1] + col - 1
        return base[0] + line - 1, col

    @staticmethod
    def same(e, g, base):
        typ, line, col, text, norm = g[0], g[1], g[2], g[3], g[4]
        if tokenize.tok_name[e.type] != typ:
            return False
        eline, ecol = Judge.place(e, base)
        if e.type in (tokenize.INDENT, tokenize.DEDENT):
            return eline == line
        if (eline, ecol) != (line, col):
            return False
        if e.type == tokenize.NEWLINE:
            return True
        if translate(text) != e.string:
            return False
        if e.type == tokenize.NAME:
            want = unicodedata.normalize("NFKC", e.string) if not e.string.isascii() else e.string
            return norm == want
        return True

    def check_strings(self, raw, toks, fields, values):
        by_string = {}
        for f in fields:
            by_string.setdefault(f[0], []).append(f)
        for i, t in enumerate(toks):
            if t[0] != "STRING":
                continue
            body = translate(t[3])
            prefix = body[:len(body) - len(body.lstrip("rRbBuUfF"))].lower()
            mine = by_string.get(i, [])
            if "f" not in prefix:
                if mine:
                    raise Mismatch("the validator finds fields in %r, not an f-string" % body)
                continue
            tree = ast.parse(body, mode="eval").body
            theirs = list(formatted_values(tree)) if isinstance(tree, ast.JoinedStr) else []
            if len(theirs) != len(mine):
                raise Mismatch("%s: CPython finds %d replacement fields, the validator %d (%s)"
                               % (body[:80], len(theirs), len(mine),
                                  [raw[f[1]:f[2]].decode() for f in mine]))
            for (fv, level), f in zip(theirs, mine):
                self.check_field(raw, toks, i, fv, level, f, body)
        vals = {v[0]: v[1] for v in values}
        for i, t in enumerate(toks):
            if t[0] != "STRING" or i not in vals:
                continue
            want = ast.literal_eval(translate(t[3]))
            if isinstance(want, bytes):
                want = "".join(chr(b) if b < 0x80 else "?" for b in want)
            else:
                want = "".join("?" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in want)
            if translate(vals[i]) != translate(want):
                raise Mismatch("the value of %s: CPython %r, the validator %r"
                               % (t[3][:80], want[:80], vals[i][:80]))

    def check_field(self, raw, toks, si, fv, level, f, body):
        _, start, end, flevel, first, last = f
        expr = translate(raw[start:end].decode("utf-8", "surrogatepass"))
        if flevel != level:
            raise Mismatch("%s: field %r at level %d for the validator, %d for CPython"
                           % (body[:80], expr, flevel, level))
        try:
            mine = ast.parse("(" + expr + ")", mode="eval").body
        except SyntaxError as e:
            raise Mismatch("%s: the validator's field %r does not parse: %s" % (body[:80], expr, e))
        if ast.dump(mine) != ast.dump(fv.value):
            raise Mismatch("%s: the validator's field %r is %s, CPython's is %s"
                           % (body[:80], expr, ast.dump(mine)[:200], ast.dump(fv.value)[:200]))
        prefix = translate(raw[:start].decode("utf-8", "surrogatepass"))
        base = (prefix.count("\n") + 1, len(prefix) - (prefix.rfind("\n") + 1))
        expected = cpython_tokens("(" + expr + ")")
        if expected is None:
            return
        # drop the parentheses CPython wraps the expression in
        expected = [t for t in expected if t.type not in (tokenize.NEWLINE,)][1:-1]
        depth = toks[si][5] + 1
        got = [t for t in toks[first:last] if t[5] == depth]
        self.expect_tokens(expected, got, "field %r of %s" % (expr, body[:60]), base)


# ---- the generated corpus ----

NFKC_FRIENDS = [
    "\uff3f",  # FULLWIDTH LOW LINE: _
    "\uff45", "\uff56", "\uff41", "\uff4c",  # fullwidth e v a l
    "\u212f",  # SCRIPT SMALL E
    "\U0001d41e", "\U0001d42f",  # MATHEMATICAL BOLD SMALL E, V
    "\ufb01",  # LATIN SMALL LIGATURE FI
    "\u2118", "\u212e",  # Other_ID_Start
    "\u00b7", "\u0301",  # Other_ID_Continue, a combining mark
    "\u00e9", "\u00aa", "\u00ba",  # e acute; ordinal indicators (NFKC a, o)
    "\u2160",  # ROMAN NUMERAL ONE (NFKC I)
    "\u0130", "\u017f",  # dotted capital I; long s (NFKC s)
]

FRAGMENTS = [
    "\\", "{", "}", "{{", "}}", "'", '"', "'''", '"""', "f", "rf", "fr", "b", "rb", "u", "F",
    "\n", "\r\n", "\r", "\t", "\f", " ", "  ", "#", "!r", "!s", "!a", ":", "=", "==", "!=",
    "<=", ">", ".", "...", "0x1", "0o7", "0b1", "1e5", "1j", "1_0", "0_0", "1.", ".5", "_",
    "\\N{LOW LINE}", "\\x5f", "__class__", "(", ")", "[", "]", ":=", "->", "**=", "@", ";",
    ",", "if", "else", "for", "in", "is", "not", "and", "or", "lambda", "x", "y", "\\\n",
    "\\{", "\\}", "{x}", "{x!r}", "{x=}", "{x:>10}", "{x:{y}}", "{ x }", "{'a'}", '{"a"}',
] + NFKC_FRIENDS


def gen_numbers(rnd):
    ints = ["0", "00", "0_0", "7", "1_000", "0x1f", "0XaB", "0x_f", "0o17", "0O7", "0b101",
            "0B1_0", "123"]
    floats = ["1.", "1.5", ".5", "1e5", "1E-5", "1.e5", "1_0.0_1e+1_0", "0.", "00.5", "09.5",
              "0e0"]
    imag = ["1j", "1.5J", ".5j", "0j", "0_0j", "1e5j"]
    tails = ["", ".__class__", ".real", " .real", "..real", "if 1 else 2", " if 1else 2",
             "or x", "and x", "in y", "is not x", "for x in y", "not in y", ".__class__.__name__"]
    for _ in range(150):
        n = rnd.choice(ints + floats + imag)
        yield "x = " + n + rnd.choice(tails) + "\n"
        yield "x = [" + n + rnd.choice(tails) + " for y in z]\n"


def gen_strings(rnd):
    prefixes = ["", "r", "u", "R", "U", "f", "F", "b", "B", "br", "Br", "rb", "bR", "fr", "Rf",
                "rF", "FR"]
    quotes = ["'", '"', "'''", '"""']
    contents = ["", "abc", "\\n", "\\\\", "\\'", '\\"', "\\x5f\\x5fglobals\\x5f\\x5f",
                "\\137\\137dict\\137\\137", "\\N{LOW LINE}\\N{low line}class__",
                "\\u005f\\U0000005f", "__globals__", "\\{x}", "\\{{x}}", "{x}", "{{x}}",
                "{x!r}", "{x=}", "{x = }", "{x=!r:>{w}}", "{x:{y}.{z}}", "{x:{{}}}",
                "{ {'a': 1}['a'] }", "{(lambda: 1)()}", "{a if b else c}", "{x!=y}",
                "{x==y}", "{x<=y}", "{x>y}", "{'a:b'}", '{"}"}', "{x:}}}", "{x}}}", "}}{{",
                "{0x1.__class__}", "{1if x else 2}", "{f'{y}'}", '{f"{y!r}"}', "\\N{DIGIT ONE}",
                "\\{str(HIDDEN)+'{x!'}", "{x:\\{y}}", "\u00e9\uff3f", "a\\\nb", "{x\n}",
                "\\N{LATIN SMALL LETTER A}", "{x:=10}", "{(x:=10)}", "{x!s:{y}}",
                "\\%", "{x:%Y-%m-%d}", "{{{x}}}", "{ x !r }"]
    for _ in range(600):
        p, q = rnd.choice(prefixes), rnd.choice(quotes)
        body = "".join(rnd.choice(contents) for _ in range(rnd.randint(0, 3)))
        if len(q) == 1:
            body = body.replace("\n", "")
        body = body.replace(q, "")
        yield "s = " + p + q + body + q + "\n"
        yield "t = (" + p + q + body + q + "\n     " + rnd.choice(prefixes) + "'x{y}')\n"


def gen_names(rnd):
    base = ["eval", "x", "__class__", "_", "self", "getattr", "__import__", "data", "e_val"]
    for _ in range(200):
        name = list(rnd.choice(base))
        for _ in range(rnd.randint(1, 3)):
            k = rnd.randrange(len(name) + 1)
            name.insert(k, rnd.choice(NFKC_FRIENDS))
        name = "".join(name)
        yield "%s = 1\nprint(%s, obj.%s)\n" % (name, name, name)
        yield "x = f'{%s}'\n" % name


def gen_structure(rnd):
    lines = ["if x:", "    y = 1", "\ty = 2", "        z", "  \f  w", "# c", "", "   ",
             "else:", "def f(a, *, b=1) -> int:", "    return (a +", "            b)",
             "x = [1,", "  2]", "class C:", "    pass", "y = 1 \\", "  + 2", "@dec",
             "while (n := n - 1) > 0: pass", "x **= 2; y //= 3", "lambda: (yield)",
             "a[1:2, ...]", "print(*a, **k)", "async def g(): await h()", "try: import x",
             "except ImportError: x = None"]
    ends = ["\n", "\r\n", "\r"]
    for _ in range(300):
        n = rnd.randint(1, 8)
        end = rnd.choice(ends)
        yield end.join(rnd.choice(lines) for _ in range(n)) + rnd.choice(["", end])


def gen_expr(rnd, quotes, depth=0):
    """A random expression that is often valid Python: attribute chains,
    numbers glued to attributes, calls, subscripts, displays, comparisons
    spelled like field ends (!=, <=, ==), conditionals, walrus and lambda in
    parentheses, and f-strings nested with a quote character still free."""
    atoms = ["x", "self.w", "0x1.real", "1j.imag", "1e5.real", "1 .real", "None", "[1, 2]",
             "{'k': 1}", "{1, 2}", "(1,)", "obj.__class__.__name__", "\uff45val", "a\u00b7b", "_"]
    atoms += [q + "s" + q for q in ("'", '"') if q not in "".join(quotes)]
    if depth > 2 or rnd.random() < 0.3:
        return rnd.choice(atoms)

    def sub():
        return gen_expr(rnd, quotes, depth + 1)

    forms = [
        lambda: "%s.%s" % (sub(), rnd.choice(["real", "attr", "__name__", "x1"])),
        lambda: "%s(%s)" % (rnd.choice(["f", "len", "str", "g.h"]), sub()),
        lambda: "%s[%s]" % (sub(), rnd.choice(["0", "1:2", "::2", "-1"])),
        lambda: "%s %s %s" % (sub(), rnd.choice(["!=", "<=", ">=", "==", "<", ">", "+", "%",
                                                   "//", "**", "and", "or", "in", "is not"]),
                                sub()),
        lambda: "%s if %s else %s" % (sub(), sub(), sub()),
        lambda: "(%s := %s)" % (rnd.choice(["n", "m"]), sub()),
        lambda: "(lambda q: %s)(1)" % sub(),
        lambda: "[%s for q in %s]" % (sub(), sub()),
        lambda: "{%s: %s}" % (sub(), sub()),
        lambda: gen_fstring(rnd, quotes, depth + 1),
    ]
    return rnd.choice(forms)()


def gen_fstring(rnd, quotes, depth=0):
    """An f-string whose quote character no enclosing string uses."""
    free = [q for q in ("'", '"', "'''", '"""') if q[0] not in "".join(quotes)]
    if not free:
        return "x"
    q = rnd.choice(free)
    inner = quotes + [q]
    parts = []
    for _ in range(rnd.randint(0, 3)):
        if rnd.random() < 0.3:
            parts.append(rnd.choice(["a", " ", "{{", "}}", "\\\\", "\\{", "\\N{LOW LINE}",
                                     "__x__", "%d"]))
            continue
        e = gen_expr(rnd, inner, depth + 1)
        field = "{" + (" " if e.startswith("{") else "") + e
        field += rnd.choice(["", "=", " = ", "!r", "!s", "=!a"])
        if rnd.random() < 0.3:
            field += ":" + rnd.choice([">10", ".2f", "{w}", "{w}.{p}", "%Y", "^{'x'}", ""])
        parts.append(field + "}")
    return rnd.choice(["f", "F", "rf", "fR"]) + q + "".join(parts) + q


def gen_exprs(rnd):
    for _ in range(1500):
        yield "v = " + gen_expr(rnd, []) + "\n"
        yield "print(" + gen_fstring(rnd, []) + ")\n"


def seeds(dirs):
    out = []
    for d in dirs:
        for root, _, files in os.walk(d):
            for f in sorted(files):
                if f.endswith(".py"):
                    with open(os.path.join(root, f), "rb") as fh:
                        try:
                            out.append(fh.read().decode("utf-8"))
                        except UnicodeDecodeError:
                            pass
    return out


def mutate(rnd, s):
    s = list(s)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(5)
        k = rnd.randrange(len(s) + 1)
        if op == 0 or not s:
            s[k:k] = list(rnd.choice(FRAGMENTS))
        elif op == 1:
            e = min(len(s), k + rnd.randint(1, 8))
            del s[k:e]
        elif op == 2 and k < len(s):
            s[k] = rnd.choice(FRAGMENTS)
        elif op == 3:
            e = min(len(s), k + rnd.randint(1, 20))
            s[k:k] = s[k:e]
        elif k + 1 < len(s):
            s[k], s[k + 1] = s[k + 1], s[k]
    return "".join(s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vprobe")
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--count", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--save", default=None)
    a = ap.parse_args()
    warnings.simplefilter("ignore")  # SyntaxWarning from ast.parse on "1if x else 2"
    seed = a.seed if a.seed is not None else int(time.time())
    rnd = random.Random(seed)
    probe = Probe(a.vprobe)
    judge = Judge(probe)
    stats = {"agree": 0, "rejected": 0, "unsure": 0, "failed": 0}
    kinds = {"seed": 0, "generated": 0, "mutant": 0}
    fields = 0
    failures = []
    corpus = seeds(a.dirs)
    generated = []
    for g in (gen_numbers, gen_strings, gen_names, gen_structure, gen_exprs):
        generated.extend(g(rnd))
    t0 = time.monotonic()

    def run(src, kind):
        nonlocal fields
        kinds[kind] += 1
        try:
            r = judge.compare(src)
        except (Mismatch, ProbeFailed) as e:
            stats["failed"] += 1
            failures.append((src, str(e)))
            return
        stats[r] += 1
        if r == "agree":
            fields += src.count("{")

    for s in corpus:
        run(s, "seed")
    for s in generated:
        run(s, "generated")
    pool = corpus + generated
    n = len(pool)
    while n < a.count and time.monotonic() - t0 < a.seconds:
        run(mutate(rnd, rnd.choice(pool)), "mutant")
        n += 1
    probe.close()
    dt = time.monotonic() - t0
    total = sum(kinds.values())
    print("differential: seed %d; %d inputs in %.1f s (%d corpus files, %d generated, %d mutants)"
          % (seed, total, dt, kinds["seed"], kinds["generated"], kinds["mutant"]))
    print("differential: CPython compiles %d: the validator reads the same tokens and "
          "f-string fields in %d, disagrees on %d; tokenize gave up on %d (the validator "
          "accepts them too); CPython refuses %d"
          % (stats["agree"] + stats["failed"], stats["agree"], stats["failed"], stats["unsure"],
             stats["rejected"]))
    for src, why in failures[:20]:
        print("DISAGREE: %s\n    input: %r" % (why, src[:400]))
    if a.save and failures:
        os.makedirs(a.save, exist_ok=True)
        for k, (src, why) in enumerate(failures):
            with open(os.path.join(a.save, "diff-%d-%d.py" % (seed, k)), "w",
                      encoding="utf-8", errors="surrogatepass") as fh:
                fh.write(src)
    ok = stats["failed"] == 0
    print("differential: %d passed, %d failed, 0 skipped" % (1 if ok else 0, 0 if ok else 1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
