/* The static validator's throughput on large inputs: figures, never
 * pass/fail.  `stratbox check` runs on the host, outside every job limit,
 * so its time must grow linearly with the source; each case prints its
 * size, the best time of a few runs and MB/s.
 *
 *   bench-validate [CASE...]     (default: all; see cases[] for the names)
 *
 * Cases: the 260 KB single line, a 4 MiB single line, 4 MiB of
 * ordinary strategy code, brackets nested 199 deep, one 4 MiB string, a
 * 4 MiB f-string of fields, a 4 MiB docstring, non-ASCII names (NFKC), and
 * a file of violations (the report is capped).  Sizes above the default
 * 256 KiB cap run with a policy that raises it to 64 MiB (the zygote takes
 * up to 4 MiB of code).  Uses only sbx_check_source() and r.n, so the
 * same file builds against older libraries for before/after figures. */
#include "benchstat.h"
#include "stratbox/validate.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define MIB (1u << 20)

struct buf {
	char *v;
	size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->v = realloc(b->v, b->cap);
		if (b->v == NULL)
			exit(1);
	}
	memcpy(b->v + b->n, s, n);
	b->n += n;
	b->v[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* x = [a0.b, a1.b, ...] on one line, about `size` bytes */
static void long_line(struct buf *b, size_t size)
{
	char item[32];
	puts_(b, "x = [");
	for (unsigned i = 0; b->n < size - 16; i++) {
		int n = snprintf(item, sizeof(item), "a%u.b, ", i);
		put(b, item, (size_t) n);
	}
	puts_(b, "0]\n");
}

static const char strategy[] =
	"class SMA%u:\n"
	"    \"\"\"Moving-average crossover number %u.\"\"\"\n"
	"    def __init__(self, fast: int = 10, slow: int = 30) -> None:\n"
	"        self.fast, self.slow = fast, slow\n"
	"\n"
	"    def initialize(self, df):\n"
	"        self.df = df\n"
	"        self.ma = df['close'].rolling(self.fast).mean() - df['close'].rolling(self.slow).mean()\n"
	"\n"
	"    def generate_signals(self):\n"
	"        out = []\n"
	"        for i, v in enumerate(self.ma):  # one signal per bar\n"
	"            out.append(1 if v > 0 else -1 if v < 0 else 0)\n"
	"        print(f'{self.__class__.__name__}: {len(out)} signals, last {out[-1]!r:>4}')\n"
	"        return getattr(self, 'post', lambda s: s)(out)\n\n";

static void many_lines(struct buf *b, size_t size)
{
	char chunk[sizeof(strategy) + 64];
	puts_(b, "import numpy as np\nimport pandas as pd\n\n");
	for (unsigned i = 0; b->n < size - sizeof(chunk); i++) {
		int n = snprintf(chunk, sizeof(chunk), strategy, i, i);
		put(b, chunk, (size_t) n);
	}
}

static void deep_nesting(struct buf *b, size_t size)
{
	while (b->n < size - 500) {
		puts_(b, "x = ");
		for (int k = 0; k < 199; k++)
			put(b, "(", 1);
		puts_(b, "1");
		for (int k = 0; k < 199; k++)
			put(b, ")", 1);
		puts_(b, "\n");
	}
}

static void huge_string(struct buf *b, size_t size)
{
	puts_(b, "s = '");
	while (b->n < size - 16)
		puts_(b, "abc\\x41\\n\\u00e9 ");
	puts_(b, "'\n");
}

static void huge_fstring(struct buf *b, size_t size)
{
	puts_(b, "s = f\"");
	while (b->n < size - 32)
		puts_(b, "{x!r:>{w}} {{}} \\N{LOW LINE} ");
	puts_(b, "\"\n");
}

static void huge_docstring(struct buf *b, size_t size)
{
	puts_(b, "def f():\n    \"\"\"");
	while (b->n < size - 16)
		puts_(b, "Calls __call__ and __init__;\n    ");
	puts_(b, "\"\"\"\n");
}

static void nfkc_names(struct buf *b, size_t size)
{
	while (b->n < size - 64)
		puts_(b, "\xef\xbd\x98\xef\xbd\x99 = \xe2\x84\xaf\xef\xbd\x96 + caf\xc3\xa9\n");
}

static void violations(struct buf *b, size_t size)
{
	while (b->n < size - 16)
		puts_(b, "eval('1')\n");
}

struct bcase {
	const char *name;
	void (*gen)(struct buf *, size_t);
	size_t size;
};

static const struct bcase cases[] = {
	{ "line-260k", long_line, 260000 },	{ "line-4m", long_line, 4 * MIB },
	{ "lines-4m", many_lines, 4 * MIB },	{ "nesting-4m", deep_nesting, 4 * MIB },
	{ "string-4m", huge_string, 4 * MIB },	{ "fstring-4m", huge_fstring, 4 * MIB },
	{ "docstring-4m", huge_docstring, 4 * MIB }, { "nfkc-4m", nfkc_names, 4 * MIB },
	{ "violations-4m", violations, 4 * MIB },
};

static sbx_check_policy *big_policy(void)
{
	char path[] = "/tmp/stratbox-bench-policy-XXXXXX";
	int fd = mkstemp(path);
	const char *j = "{\"max_source_bytes\": 67108864}";
	if (fd < 0 || write(fd, j, strlen(j)) != (ssize_t) strlen(j))
		exit(1);
	close(fd);
	sbx_error *err = NULL;
	sbx_check_policy *p = sbx_check_policy_load(path, &err);
	unlink(path);
	if (p == NULL) {
		fprintf(stderr, "policy: %s\n", err ? err->msg : "?");
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	sbx_check_policy *p = big_policy();
	printf("%-14s %10s %10s %10s %12s\n", "case", "bytes", "best ms", "MB/s", "violations");
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		bool want = argc < 2;
		for (int a = 1; a < argc; a++)
			want |= strcmp(argv[a], cases[c].name) == 0;
		if (!want)
			continue;
		struct buf b = { 0 };
		cases[c].gen(&b, cases[c].size);
		double best = 1e300;
		size_t nviol = 0;
		/* a few runs, fewer when one is slow (the old, quadratic check) */
		for (int run = 0; run < 5; run++) {
			struct sbx_check_result r;
			sbx_error *err = NULL;
			double t0 = now_ms();
			if (sbx_check_source(p, b.v, b.n, &r, &err) < 0) {
				printf("%-14s unusable: %s\n", cases[c].name, err->msg);
				sbx_error_free(err);
				break;
			}
			double dt = now_ms() - t0;
			nviol = r.n;
			sbx_check_result_clear(&r);
			best = dt < best ? dt : best;
			if (dt > 2000)
				break;
		}
		printf("%-14s %10zu %10.1f %10.1f %12zu\n", cases[c].name, b.n, best,
		       (double) b.n / (1 << 20) / (best / 1e3), nviol);
		fflush(stdout);
		free(b.v);
	}
	sbx_check_policy_free(p);
	return 0;
}
