/* The shared test harness.
 *
 * A suite is one binary with a table of tests (struct test_case).  Each
 * test runs in its own forked process with a time limit; a failed check
 * prints where and why and ends that test only.  A test that cannot run
 * here (needs root, a tool that is missing) says "skip", never "pass".
 * The runner prints one line per test and a summary line:
 *
 *     <suite>: N passed, N failed, N skipped
 *
 * Usage: SUITE [--list] [--filter SUBSTRING] [--timeout SEC]
 */
#ifndef STRATBOX_TEST_HARNESS_H
#define STRATBOX_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	int timeout_s; /* 0: the suite default */
};

/* Run the suite; returns the process exit code (0 only if none failed).
 * before/after, when set, run in the runner around every test (for
 * checks like "nothing was left behind"); after returns a failure
 * message (static) or NULL. */
int test_main(const char *suite, const struct test_case *tests, size_t n, int argc, char **argv,
	      void (*before)(void), const char *(*after)(void));

void test_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A progress line in the test's log (shown when it fails or times out),
 * stamped with the seconds since the test started. */
void test_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The condition's text is printed as data, never used as a format. */
void test_note_check(const char *file, int line, const char *cond);
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			test_note_check(__FILE__, __LINE__, #cond);                                \
			test_fail_at(__FILE__, __LINE__, "" __VA_ARGS__);                          \
		}                                                                                  \
	} while (0)

#define CHECK_STR_EQ(a, b)                                                                         \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                               \
			test_fail_at(__FILE__, __LINE__, "%s == %s\n    got \"%s\", want \"%s\"", #a,  \
				     #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                  \
	} while (0)

#define CHECK_INT_EQ(a, b)                                                                         \
	do {                                                                                       \
		long long a_ = (long long) (a), b_ = (long long) (b);                              \
		if (a_ != b_)                                                                      \
			test_fail_at(__FILE__, __LINE__, "%s == %s\n    got %lld, want %lld", #a, #b,  \
				     a_, b_);                                                      \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
	do {                                                                                       \
		const char *h_ = (hay), *n_ = (needle);                                            \
		if (h_ == NULL || strstr(h_, n_) == NULL)                                          \
			test_fail_at(__FILE__, __LINE__, "%s contains \"%s\"\n    got: %.600s", #hay, \
				     n_, h_ ? h_ : "(null)");                                      \
	} while (0)

#define CHECK_NOT_CONTAINS(hay, needle)                                                            \
	do {                                                                                       \
		const char *h_ = (hay), *n_ = (needle);                                            \
		if (h_ != NULL && strstr(h_, n_) != NULL)                                          \
			test_fail_at(__FILE__, __LINE__, "%s must not contain \"%s\"\n    got: %.600s", \
				     #hay, n_, h_);                                                \
	} while (0)

#endif
