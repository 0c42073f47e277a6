/* The security suite: every wall and limit of the sandbox, attacked by the
 * probe, with the exact verdict asserted and nothing left behind.  Runs as
 * root and as an unprivileged user (tests/run.sh does both). */
#include "sec.h"
#include "tests.h"

#include <unistd.h>

#define ENTRY(name) { #name, t_##name, 0 },
static const struct test_case tests[] = { SECURITY_TESTS(ENTRY) };
#undef ENTRY

int main(int argc, char **argv)
{
	const char *suite = geteuid() == 0 ? "security (root)" : "security (unprivileged)";
	return test_main(suite, tests, sizeof(tests) / sizeof(tests[0]), argc, argv,
			 leftovers_snapshot, leftovers_check);
}
