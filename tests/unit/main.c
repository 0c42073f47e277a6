/* The unit suite: parsers, verdict precedence and JSON, the compiled
 * seccomp policy, configuration checks, the mount plan, cgroup naming. */
#include "harness.h"
#include "unit.h"

#define ENTRY(name) { #name, u_##name, 0 },
static const struct test_case tests[] = { UNIT_TESTS(ENTRY) };
#undef ENTRY

int main(int argc, char **argv)
{
	return test_main("unit", tests, sizeof(tests) / sizeof(tests[0]), argc, argv, NULL, NULL);
}
