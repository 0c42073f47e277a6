/* The Python runtime's protocol: the messages between the host's pool and
 * the zygote (the pool channel), between the host and a slot (its control
 * socket), and the frames a running job sends.
 *
 * The zygote channel and a slot's set-up use fixed-size structs (struct
 * zmsg, descriptors as SCM_RIGHTS).  Once the job's code runs, what arrives
 * on the slot's socket is hostile: the sandbox's control messages there
 * are refused (sandbox/ctl.h, supervise.c), and frames are parsed below.
 *
 * Frames: the job's own reports.
 *
 * A frame is the 4-byte tag CTL_FRAME and a UTF-8 JSON object of at most
 * SBX_FRAME_MAX bytes, one per SOCK_SEQPACKET message.  The strategy's
 * code runs in the process that sends them and can write anything to that
 * socket, so every frame is the job's own report, parsed as hostile input:
 * bounded in size and number, each field type-checked and clipped, never
 * able to set the status, the message or any figure the sandbox measures.
 * Each frame type has one handler in a table (protocol.c); an unknown
 * type, malformed JSON or a wrong field type is counted and dropped.
 *
 * Pure code: no descriptors, no globals.  fuzz/fuzz_protocol.c drives it. */
#ifndef STRATBOX_PYRT_PROTOCOL_H
#define STRATBOX_PYRT_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
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

/* ---- frames ---- */

/* Most frames a job's reports are parsed from; later ones only count. */
#define PYRT_MAX_FRAMES 4096u
#define PYRT_MAX_EXC_TYPE 200u
#define PYRT_MAX_EXC_MESSAGE 4000u
#define PYRT_MAX_TRACEBACK 32768u

/* The exception the job says ended it ("error" frame): the last one
 * wins, so a report forged early cannot hide a real one sent later. */
struct pyrt_exception {
	char *type;	 /* NULL: none reported */
	char *message;	 /* may be "" */
	char *traceback; /* NULL when the frame had none */
};

struct pyrt_reports {
	struct pyrt_exception exc;
	unsigned frames;   /* frames seen (parsed or not) */
	unsigned rejected; /* malformed, unknown, or beyond PYRT_MAX_FRAMES */
};

/* Take one frame's payload (what follows the tag).  Returns 0 when it was
 * understood, -1 when it was rejected (and counted). */
int pyrt_frame_apply(struct pyrt_reports *r, const char *data, size_t len);
void pyrt_reports_clear(struct pyrt_reports *r);

#endif
