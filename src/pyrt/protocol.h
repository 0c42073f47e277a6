/* The host's side of what a running job sends on its control socket.
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
