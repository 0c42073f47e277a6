/* The control channel: see ctl.h. */
#include "sandbox/ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void child_fail(int fd, int stage, int errnum, const char *fmt, ...)
{
	struct ctl_msg m;
	memset(&m, 0, sizeof(m));
	m.type = CTL_REPORT;
	m.report.stage = stage;
	m.report.errnum = errnum;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m.report.msg, sizeof(m.report.msg), fmt, ap);
	va_end(ap);
	ctl_send(fd, &m);
}

int ctl_send(int fd, const struct ctl_msg *m)
{
	ssize_t n;
	do
		n = send(fd, m, sizeof(*m), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t) sizeof(*m) ? 0 : -1;
}

int ctl_send_fds(int sock, const void *msg, size_t len, const int *fds, int n)
{
	struct iovec iov = { (void *) msg, len };
	union {
		char buf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (n > CTL_MAX_FDS) {
		errno = E2BIG;
		return -1;
	}
	if (n > 0) {
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t) n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t) n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t) n);
	}
	ssize_t r;
	do
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r == (ssize_t) len ? 0 : -1;
}

ssize_t ctl_recv(int sock, void *buf, size_t len, int flags, int max, struct ctl_recv_info *info)
{
	/* room for every descriptor a sender may pass and for credentials: a
	 * control message that does not fit is truncated, and the kernel
	 * closes the descriptors in it */
	union {
		char c[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS) + CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.c,
			     .msg_controllen = sizeof(u.c) };
	if (max > CTL_MAX_FDS)
		max = CTL_MAX_FDS;
	info->nfds = 0;
	info->pid = 0;
	info->flags = 0;
	ssize_t r;
	do
		r = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	info->flags = mh.msg_flags;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred cred;
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			info->pid = cred.pid;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			int k = (int) ((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (int i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + (size_t) i * sizeof(int), sizeof(int));
				if (info->nfds < max)
					info->fds[info->nfds++] = fd;
				else
					close(fd);
			}
		}
	}
	return r;
}

int ctl_recv_fds(int sock, void *msg, size_t len, int *fds, int max, int *n)
{
	struct ctl_recv_info info;
	ssize_t r = ctl_recv(sock, msg, len, 0, max, &info);
	*n = 0;
	if (r == (ssize_t) len && !(info.flags & (MSG_TRUNC | MSG_CTRUNC))) {
		for (int i = 0; i < info.nfds; i++)
			fds[i] = info.fds[i];
		*n = info.nfds;
		return 1;
	}
	for (int i = 0; i < info.nfds; i++)
		close(info.fds[i]);
	if (r == 0)
		return 0;
	if (r > 0)
		errno = EPROTO;
	return -1;
}

int ctl_send_listener(int sock, int fd)
{
	struct ctl_msg m;
	memset(&m, 0, sizeof(m));
	m.type = CTL_LISTENER;
	return ctl_send_fds(sock, &m, sizeof(m), &fd, 1);
}
