/* Checks that nothing outlived a test: see leftovers.c. */
#ifndef STRATBOX_TEST_LEFTOVERS_H
#define STRATBOX_TEST_LEFTOVERS_H

#include <stdbool.h>
#include <stddef.h>

/* Processes whose command line contains `needle` (host-wide scan). */
int count_processes_with(const char *needle);
/* Poll (bounded) until no process carries needle; the bound is a deadline
 * for a guarantee, not a speed claim. */
bool processes_gone_within(const char *needle, int ms);
/* ...whose command line starts with prefix (arguments joined by spaces) */
int count_processes_starting(const char *prefix);
/* Job cgroup directories (stratbox-<pid>-<start>-<seq>) now present. */
int count_job_cgroups(char *first, size_t size);
/* Harness hooks: snapshot before a test, and what is left after it. */
void leftovers_snapshot(void);
const char *leftovers_check(void);

#endif
