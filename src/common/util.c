#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
	*fd = -1;
}

void cleanup_fclosep(FILE **f)
{
	if (*f != NULL)
		fclose(*f);
	*f = NULL;
}

void cleanup_closedirp(DIR **d)
{
	if (*d != NULL)
		closedir(*d);
	*d = NULL;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t) n;
	}
	return (ssize_t) got;
}

int write_file_at(int dirfd, const char *path, const char *data)
{
	int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	size_t len = strlen(data);
	ssize_t n;
	do
		n = write(fd, data, len);
	while (n < 0 && errno == EINTR);
	int r = n < 0 ? -errno : ((size_t) n == len ? 0 : -EIO);
	close(fd);
	return r;
}

ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t size)
{
	if (size == 0)
		return -EINVAL;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t n = read_full(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	return n;
}

int read_file_alloc(const char *path, size_t max, char **out, size_t *len, sbx_error **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return sbx_error_set(err, errno, "open %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return sbx_error_set(err, errno, "stat %s", path);
	if (S_ISDIR(st.st_mode))
		return sbx_error_set(err, EISDIR, "read %s", path);

	size_t cap = 4096, used = 0;
	cleanup_free char *buf = malloc(cap);
	if (buf == NULL)
		return sbx_error_set(err, ENOMEM, "read %s", path);
	for (;;) {
		if (used + 1 >= cap) {
			if (cap > max + 1)
				break;
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (nb == NULL)
				return sbx_error_set(err, ENOMEM, "read %s", path);
			buf = nb;
		}
		ssize_t n = read(fd, buf + used, cap - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sbx_error_set(err, errno, "read %s", path);
		}
		if (n == 0)
			break;
		used += (size_t) n;
		if (used > max)
			return sbx_error_set(err, EFBIG, "read %s: larger than %zu bytes", path, max);
	}
	buf[used] = '\0';
	*out = steal_pointer(&buf);
	if (len != NULL)
		*len = used;
	return 0;
}

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

char *str_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

void trace_mark(const char *what)
{
	static int enabled = -1;
	static _Thread_local uint64_t last;
	if (enabled < 0) {
		const char *e = getenv("STRATBOX_TRACE");
		enabled = e != NULL && *e != '\0' && *e != '0';
	}
	if (!enabled)
		return;
	uint64_t t = now_ns();
	if (last != 0)
		fprintf(stderr, "trace %-28s %8.3f ms\n", what, (double) (t - last) / 1e6);
	else
		fprintf(stderr, "trace %-28s    start\n", what);
	last = t;
}

void log_line(int fd, const char *prefix, const char *fmt, va_list ap)
{
	if (fd < 0)
		return;
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	if (n < 0)
		return;
	if ((size_t) n > sizeof(buf) - 2)
		n = (int) sizeof(buf) - 2;
	buf[n++] = '\n';
	dprintf(fd, "%s: %.*s", prefix, n, buf);
}
