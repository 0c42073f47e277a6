/* The service suite: the job store, and `stratbox serve` driven over HTTP
 * on loopback (submit and wait, validation, tenants and tokens, errors,
 * idempotent retries, a graceful stop and a kill -9 with a restart).
 * Runs as root (tests/run.sh). */
#include "leftovers.h"
#include "tests.h"

#include "harness.h"

#define ENTRY(name) { #name, v_##name, 0 },
static const struct test_case tests[] = { SERVE_TESTS(ENTRY) };
#undef ENTRY

int main(int argc, char **argv)
{
	return test_main("serve", tests, sizeof(tests) / sizeof(tests[0]), argc, argv,
			 leftovers_snapshot, leftovers_check);
}
