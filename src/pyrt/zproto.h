/* Messages between the host's pool and the zygote (the "pool channel", a
 * SOCK_SEQPACKET socket at ZYG_FD_POOL in the zygote), and between the
 * host and one slot (its own control socket, fd 3 in the slot).  Fixed-size
 * structs; descriptors travel as SCM_RIGHTS. */
#ifndef STRATBOX_PYRT_ZPROTO_H
#define STRATBOX_PYRT_ZPROTO_H

#include <stdint.h>

#define ZYG_FD_POOL 4 /* the pool channel's number inside the zygote */
#define SLOT_FD_CTL 3 /* a slot's control socket, as the runner expects */

enum zmsg_type {
	/* pool channel */
	Z_READY = 0x5a000001, /* zygote -> host: imports done; text = versions */
	Z_SPAWN,	      /* host -> zygote: fork slot `slot`; fds: ctl, stdout, stderr */
	Z_EXITED,	      /* zygote -> host: slot `slot` ended: status, usage */
	Z_FAIL,		      /* zygote -> host: could not spawn `slot`; text = why */
	Z_STOP,		      /* host -> zygote: kill every slot and exit */
	/* slot control socket */
	S_READY = 0x5b000001, /* slot -> host: set up; SCM_CREDENTIALS name its host pid */
	S_ATTACHED,	      /* host -> slot: in its job cgroup now */
	S_JOB,		      /* host -> slot: run this; fds: code memfd [, data memfd] */
};

/* Z_SPAWN flags */
#define ZF_PREFAULT 1u /* run the warm-up in the new slot before it is ready */

struct zmsg {
	uint32_t type;
	uint32_t slot;
	int32_t status;	    /* Z_EXITED: wait status */
	int32_t pid;	    /* Z_EXITED: pid in the zygote's namespace */
	uint32_t flags;	    /* Z_SPAWN: ZF_* */
	uint64_t utime_ns, stime_ns, maxrss;
	/* S_JOB */
	uint64_t seed;
	uint64_t tmp_size, nofile, cpu_time_ns;
	uint64_t code_len, data_len;
	char text[256];
};

#endif
