/* Internal helpers shared by every part of the library: scope-bound cleanup,
 * small I/O wrappers that retry on EINTR, and the monotonic clock.
 * Nothing here knows about sandboxes, Python or backtests. */
#ifndef STRATBOX_COMMON_UTIL_H
#define STRATBOX_COMMON_UTIL_H

#include "stratbox/error.h"

#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

/* ---- scope-bound cleanup (the bubblewrap/crun idiom) ---- */
static inline void cleanup_freep(void *p)
{
	void **pp = (void **) p;
	free(*pp);
}
void cleanup_closep(int *fd);
void cleanup_fclosep(FILE **f);
void cleanup_closedirp(DIR **d);
static inline void cleanup_decrefp(json_t **j)
{
	json_decref(*j);
}

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))
#define cleanup_dir __attribute__((cleanup(cleanup_closedirp)))
#define cleanup_error __attribute__((cleanup(sbx_error_freep)))
#define cleanup_decref __attribute__((cleanup(cleanup_decrefp))) /* a jansson reference */

static inline void *steal_ptr_(void **pp)
{
	void *p = *pp;
	*pp = NULL;
	return p;
}
#define steal_pointer(pp) steal_ptr_((void **) (pp))

static inline int steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- I/O ---- */
/* Write all of buf, retrying on EINTR and short writes.  0 or -errno. */
int write_all(int fd, const void *buf, size_t len);
/* Read exactly len bytes unless EOF comes first; returns bytes read or -errno. */
ssize_t read_full(int fd, void *buf, size_t len);

/* Write a string to a file that already exists (cgroup and proc files).
 * Returns 0 or -errno, never allocates: safe between clone and exec. */
int write_file_at(int dirfd, const char *path, const char *data);
/* Read a small file into buf (NUL-terminated, truncated to size-1).
 * Returns bytes read or -errno.  Does not allocate. */
ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t size);

/* Read a whole file into a malloc'd, NUL-terminated buffer (max bytes cap). */
int read_file_alloc(const char *path, size_t max, char **out, size_t *len, sbx_error **err);

/* One line "PREFIX: message\n" to fd in one write (cut to 1 KiB): the
 * service's and the worker's logs. */
void log_line(int fd, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* ---- time ---- */
uint64_t now_ns(void);  /* CLOCK_MONOTONIC */
static inline uint64_t ns_to_ms(uint64_t ns) { return ns / 1000000u; }

/* ---- phase tracing ----
 * With STRATBOX_TRACE=1 in the environment, trace_mark() prints the time
 * since the previous mark to stderr: "where the time goes" for benchmarks.
 * Off, it costs one branch. */
void trace_mark(const char *what);

/* ---- misc ---- */
/* xasprintf that returns NULL on failure (never exits). */
char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
