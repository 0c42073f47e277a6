/* The control channel: one SOCK_SEQPACKET socket between a supervisor
 * and the sandbox it watches (the init of `stratbox run`, or a pool slot
 * and its zygote), and every message and helper that crosses it.
 *
 * Fixed-size control messages (struct ctl_msg) carry the launch protocol
 * (maps written, GO), failures during set-up (CTL_REPORT, sent by
 * child_fail()), the seccomp listener, the command's wait status and a
 * slot's exit announcement.  Frames (CTL_FRAME and a payload of at most
 * SBX_FRAME_MAX bytes) carry what a runtime's code inside the sandbox
 * reports; the supervisor hands them to the runtime unread.  Descriptors
 * travel as SCM_RIGHTS, senders' pids as SCM_CREDENTIALS.
 *
 * Everything here is async-signal-safe: the child side calls it between
 * clone() and execve(), where nothing may allocate or take a lock.
 * Exported to runtimes built on the sandbox (see sandbox/runtime.h).
 *
 * Every control socket is read with ctl_recv() and written with the
 * senders below (pyrt's pool channel and slot sockets too), with one
 * deliberate exception: a pool slot's job side writes with write(2),
 * because the job's seccomp policy allows no sendto (its CTL_EXITING in
 * src/pyrt/zygote.c, its frames in the Python runner).  The supervisor
 * also reads CTL_STATUS from a pipe with read(2) when a runtime supplies
 * one (supervise.c): a pipe, not a control socket. */
#ifndef STRATBOX_SANDBOX_CTL_H
#define STRATBOX_SANDBOX_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CTL_MAX_FDS 8

enum ctl_type {
	CTL_MAPS_READY = 1, /* parent -> init: uid/gid maps written */
	CTL_GO,		    /* parent -> init: cgroup attached, run the command */
	CTL_REPORT,	    /* init/payload -> parent: a setup or exec failure */
	CTL_STATUS,	    /* init -> parent: the command's wait status */
	CTL_LISTENER,	    /* payload -> parent: seccomp listener fd (SCM_RIGHTS) */
	CTL_EXITING,	    /* pool slot -> parent: about to _exit(status); see supervise.c */
};

/* A failure during set-up, as the child reports it. */
enum child_stage {
	STAGE_NONE = 0,
	STAGE_SETUP, /* namespaces, mounts, privileges: 125 */
	STAGE_EXEC,  /* execve failed: 126 / 127 */
};
struct child_report {
	int stage; /* enum child_stage */
	int errnum;
	char msg[200];
};

struct ctl_msg {
	uint32_t type;
	int32_t status;			  /* CTL_STATUS: wait status; CTL_EXITING: exit code */
	uint64_t nproc_limit, data_limit; /* CTL_GO: rlimit fallbacks, 0 = none */
	struct child_report report;	  /* CTL_REPORT */
};

/* A frame from code inside the sandbox: CTL_FRAME, then up to
 * SBX_FRAME_MAX bytes of payload. */
#define CTL_FRAME 0x46524d31u /* "1MRF" */
#define SBX_FRAME_MAX 65536

/* Report a set-up failure as CTL_REPORT on fd (the message is formatted
 * into a fixed buffer: no allocation). */
void child_fail(int fd, int stage, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* One fixed-size control message; 0 or -1. */
int ctl_send(int fd, const struct ctl_msg *m);
/* Pass fd to the supervisor as a CTL_LISTENER message. */
int ctl_send_listener(int sock, int fd);
/* One message with up to CTL_MAX_FDS descriptors (SCM_RIGHTS); the
 * receiver gets them close-on-exec.  0 or -1. */
int ctl_send_fds(int sock, const void *msg, size_t len, const int *fds, int n);
/* Receive one message of exactly len bytes and its descriptors (at most
 * max): 1, 0 at EOF, -1 otherwise (and then no descriptors are kept). */
int ctl_recv_fds(int sock, void *msg, size_t len, int *fds, int max, int *n);

/* What ctl_recv() received besides the bytes. */
struct ctl_recv_info {
	int fds[CTL_MAX_FDS]; /* SCM_RIGHTS, close-on-exec; beyond max: closed */
	int nfds;
	pid_t pid; /* SCM_CREDENTIALS (SO_PASSCRED on): the sender's pid here, or 0 */
	int flags; /* msg_flags: MSG_TRUNC, MSG_CTRUNC */
};
/* The one reader of the control sockets: recvmsg() into buf (retried on
 * EINTR), keeping up to max descriptors (at most CTL_MAX_FDS) and the
 * sender's credentials.  Returns the length, 0 at EOF, -1 with errno (and
 * then no descriptors). */
ssize_t ctl_recv(int sock, void *buf, size_t len, int flags, int max, struct ctl_recv_info *info);

#endif
