/* The Python runtime suite: jobs and verdicts, the job sandbox, isolation
 * between concurrent jobs, a pool that keeps serving, and stratbox exec.
 * Runs as root and as an unprivileged user (tests/run.sh). */
#include "leftovers.h"
#include "pyrt.h"
#include "tests.h"

#include <unistd.h>

#define ENTRY(name) { #name, p_##name, 0 },
static const struct test_case tests[] = { PYRT_TESTS(ENTRY) };
#undef ENTRY

int main(int argc, char **argv)
{
	const char *suite = geteuid() == 0 ? "pyrt (root)" : "pyrt (unprivileged)";
	return test_main(suite, tests, sizeof(tests) / sizeof(tests[0]), argc, argv,
			 pyrt_snapshot, pyrt_leftovers);
}
