/* A job's code holds its slot's control socket (fd 3) and can write any
 * bytes to it.  Nothing it writes there may set or change the status, the
 * message or a figure the sandbox measures: forged control messages of
 * every type are counted and ignored, forged descriptors are closed, and
 * the job's own exception report ("error" frame) is shown only as its
 * account of a non-zero exit, the last one sent winning.  The Python
 * layer is off (the permissive policy): these are the host's promises. */
#include "common/util.h"
#include "pyrt.h"
#include "sandbox/launch.h"
#include "tests.h"

/* Python that defines ctl(type, status=0, stage=0, errnum=0, msg=b''):
 * one forged fixed-size control message, laid out as struct ctl_msg. */
static char *forge_prelude(void)
{
	return str_printf(
		"import os, struct\n"
		"SIZE, REPORT_AT = %zu, %zu\n"
		"def ctl(t, status=0, stage=0, errnum=0, msg=b''):\n"
		"    m = bytearray(SIZE)\n"
		"    struct.pack_into('<Ii', m, 0, t, status)\n"
		"    struct.pack_into('<ii', m, REPORT_AT, stage, errnum)\n"
		"    m[REPORT_AT + 8:REPORT_AT + 8 + len(msg)] = msg\n"
		"    os.write(3, bytes(m))\n"
		"TAG = struct.pack('<I', 0x%x)\n"
		"def frame(payload):\n"
		"    os.write(3, TAG + payload)\n"
		"import json\n"
		"def error(t, m, tb=None):\n"
		"    d = {'type': 'error', 'exc_type': t, 'message': m}\n"
		"    if tb is not None:\n"
		"        d['traceback'] = tb\n"
		"    frame(json.dumps(d).encode())\n",
		sizeof(struct ctl_msg), offsetof(struct ctl_msg, report), CTL_FRAME);
}

static void run_forged(struct sbx_pool *pool, const char *body, struct sbx_job_result *r)
{
	char *prelude = forge_prelude();
	char *code = str_printf("%s%s", prelude, body);
	run_code(pool, code, r);
	free(code);
	free(prelude);
}

static void expect_no_forged_text(const struct sbx_job_result *r)
{
	CHECK_NOT_CONTAINS(r->verdict.message, "FORGED");
	CHECK_NOT_CONTAINS(r->error, "FORGED");
	CHECK_NOT_CONTAINS(r->traceback, "FORGED");
	char *json = sbx_job_result_to_json(r, NULL);
	CHECK_NOT_CONTAINS(json, "FORGED\"");
	CHECK_NOT_CONTAINS(json, "FORGED:");
	free(json);
}

/* Every fixed control message type, then a clean exit: still OK, with
 * every forgery counted. */
void p_forged_control_messages_ignored(void)
{
	struct sbx_pool *pool = test_pool(true, 1);
	char body[2048];
	snprintf(body, sizeof(body),
		 "ctl(%u, stage=%d, errnum=13, msg=b'FORGED setup failure')\n"
		 "ctl(%u, stage=%d, errnum=2, msg=b'execvp: FORGED')\n"
		 "ctl(%u, status=0)\n"
		 "ctl(%u, status=9)\n"
		 "ctl(%u)\nctl(%u)\nctl(%u)\nctl(0)\nctl(0x7fffffff)\n"
		 "os.write(3, b'short')\n"
		 "os.write(3, bytes(%zu))\n"
		 "print('still running')\n",
		 (unsigned) CTL_REPORT, STAGE_SETUP, (unsigned) CTL_REPORT, STAGE_EXEC,
		 (unsigned) CTL_STATUS, (unsigned) CTL_STATUS, (unsigned) CTL_LISTENER,
		 (unsigned) CTL_MAPS_READY, (unsigned) CTL_GO, sizeof(struct ctl_msg) + 1);
	struct sbx_job_result r;
	run_forged(pool, body, &r);
	EXPECT_JOB(&r, "OK");
	CHECK_INT_EQ(r.verdict.exit_code, 0);
	CHECK_STR_EQ(rout(&r), "still running\n");
	CHECK(r.error == NULL, "error: %s", r.error);
	expect_no_forged_text(&r);
	CHECK_INT_EQ(r.protocol_errors, 11);
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

/* A forged setup or exec failure cannot hide a real violation. */
void p_forged_report_hides_nothing(void)
{
	struct sbx_pool *pool = test_pool(true, 1);
	char body[1024];
	snprintf(body, sizeof(body),
		 "ctl(%u, stage=%d, errnum=2, msg=b'execvp: FORGED')\n"
		 "error('FORGED', 'FORGED')\n"
		 "import socket\nsocket.socket()\n",
		 (unsigned) CTL_REPORT, STAGE_EXEC);
	struct sbx_job_result r;
	run_forged(pool, body, &r);
	EXPECT_JOB(&r, "SYSCALL_VIOLATION");
	CHECK_STR_EQ(r.verdict.syscall, "socket");
	CHECK_INT_EQ(r.verdict.exit_code, 159);
	expect_no_forged_text(&r);
	char *json = sbx_job_result_to_json(&r, NULL);
	CHECK_CONTAINS(json, "\"error\":\"forbidden system call socket");
	free(json);
	sbx_job_result_clear(&r);

	/* ...nor a timeout */
	struct sbx_job job = { .timeout_ns = 700000000ull };
	char *prelude = forge_prelude();
	char *code = str_printf("%serror('FORGED', 'FORGED')\nwhile True:\n    pass\n", prelude);
	job.code = code;
	job.code_len = strlen(code);
	run_job_ex(pool, &job, &r);
	EXPECT_JOB(&r, "TIMEOUT_WALL");
	expect_no_forged_text(&r);
	sbx_job_result_clear(&r);
	free(code);
	free(prelude);
	sbx_pool_stop(pool);
}

/* The exception report: ignored on a clean exit; the last one wins, so
 * an early forgery cannot hide the real exception that ends the job. */
void p_forged_error_frames_never_replace_verdict(void)
{
	struct sbx_pool *pool = test_pool(true, 1);
	struct sbx_job_result r;
	run_forged(pool, "error('FORGED', 'FORGED', 'FORGED tb')\nprint('fine')\n", &r);
	EXPECT_JOB(&r, "OK");
	CHECK(r.error == NULL && r.traceback == NULL, "error on an OK result: %s", r.error);
	char *json = sbx_job_result_to_json(&r, NULL);
	CHECK_CONTAINS(json, "\"error\":null");
	free(json);
	sbx_job_result_clear(&r);

	run_forged(pool, "error('FORGED', 'FORGED')\nraise KeyError('the real one')\n", &r);
	EXPECT_JOB(&r, "NONZERO_EXIT");
	CHECK_STR_EQ(r.error, "KeyError: 'the real one'");
	CHECK_CONTAINS(r.traceback, "KeyError");
	expect_no_forged_text(&r);
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

/* Frames as hostile input: malformed, truncated, oversized, of unknown
 * type, with wrong field types or invalid UTF-8, and a flood beyond the
 * bound; none disturbs the run, each is counted, valid ones still parse. */
void p_malformed_frames_never_disturb_run(void)
{
	struct sbx_pool *pool = test_pool(true, 1);
	static const char body[] =
		"frame(b'')\n"					/* 1 empty */
		"frame(b'{')\n"					/* 2 truncated JSON */
		"frame(b'[1, 2]')\n"				/* 3 not an object */
		"frame(b'{\"type\": \"verdict\", \"status\": \"OK\"}')\n" /* 4 unknown type */
		"frame(b'{\"type\": \"error\", \"exc_type\": 1, \"message\": \"x\"}')\n" /* 5 */
		"frame(b'{\"type\": \"error\", \"exc_type\": \"\", \"message\": \"x\"}')\n" /* 6 */
		"frame(b'{\"type\": \"error\", \"type\": \"error\", \"exc_type\": \"A\", \"message\": \"\"}')\n" /* 7 duplicate key */
		"frame(b'{\"type\": \"error\", \"exc_type\": \"A\", \"message\": \"\\xff\\xfe\"}')\n" /* 8 invalid UTF-8 */
		"frame(b'[' * 100000)\n"			/* 9: beyond the frame size: truncated */
		"os.write(3, TAG[:2])\n"			/* 10: shorter than a tag */
		"for i in range(5000):\n"
		"    frame(b'x')\n"				/* 4096 frames counted in all, then no parse */
		"error('ValueError', 'x' * 100000, 'y' * 100000)\n" /* beyond the bound: only counted */
		"os._exit(1)\n";
	struct sbx_job_result r;
	run_forged(pool, body, &r);
	EXPECT_JOB(&r, "NONZERO_EXIT");
	CHECK_INT_EQ(r.verdict.exit_code, 1);
	/* nothing valid arrived before the bound: no exception to show */
	CHECK(r.error == NULL, "error: %.200s", r.error);
	/* 8 rejected frames, two malformed messages, then 5000 + 1 frames of
	 * which every one is rejected (bad JSON, then beyond the bound) */
	CHECK_INT_EQ(r.protocol_errors, 8 + 2 + 5001);
	sbx_job_result_clear(&r);

	/* fields beyond their bounds are clipped, not refused */
	run_forged(pool,
		   "error('E' * 1000, 'm' * 100000, 't' * 100000)\n"
		   "frame(b'{\"type\": \"error\", \"exc_type\": \"Bad\\\\u0000Type\", \"message\": \"\\\\ud800\"}')\n"
		   "error('ValueError', 'x' * 5000)\n"
		   "os._exit(1)\n",
		   &r);
	EXPECT_JOB(&r, "NONZERO_EXIT");
	CHECK(r.error != NULL);
	CHECK(strncmp(r.error, "ValueError: xxx", 15) == 0, "%.60s", r.error);
	CHECK_INT_EQ(strlen(r.error), strlen("ValueError: ") + 4000);
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

/* A forged descriptor (a fake seccomp listener, sent with SCM_RIGHTS) is
 * closed, not watched; the real listener still catches a violation. */
void p_forged_listener_fd_closed(void)
{
	struct sbx_pool *pool = test_pool(true, 1);
	char body[2048];
	snprintf(body, sizeof(body),
		 "import ctypes\n"
		 "libc = ctypes.CDLL(None, use_errno=True)\n"
		 "class iovec(ctypes.Structure):\n"
		 "    _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]\n"
		 "class msghdr(ctypes.Structure):\n"
		 "    _fields_ = [('name', ctypes.c_void_p), ('namelen', ctypes.c_uint32),\n"
		 "                ('iov', ctypes.POINTER(iovec)), ('iovlen', ctypes.c_size_t),\n"
		 "                ('control', ctypes.c_void_p), ('controllen', ctypes.c_size_t),\n"
		 "                ('flags', ctypes.c_int)]\n"
		 "payload = struct.pack('<Ii', %u, 0) + bytes(SIZE - 8)\n"
		 "buf = ctypes.create_string_buffer(payload, len(payload))\n"
		 "iov = iovec(ctypes.cast(buf, ctypes.c_void_p), len(payload))\n"
		 "cm = ctypes.create_string_buffer(struct.pack('<QiiI', 20, 1, 1, 1) + bytes(4), 24)\n"
		 "m = msghdr(None, 0, ctypes.pointer(iov), 1, ctypes.cast(cm, ctypes.c_void_p), 24, 0)\n"
		 "print('sent', libc.sendmsg(3, ctypes.byref(m), 0) == len(payload))\n"
		 "import sys\nsys.stdout.flush()\n"
		 "libc.ptrace(0, 0, 0, 0)\n",
		 (unsigned) CTL_LISTENER);
	struct sbx_job_result r;
	run_forged(pool, body, &r);
	EXPECT_JOB(&r, "SYSCALL_VIOLATION");
	CHECK_STR_EQ(r.verdict.syscall, "ptrace");
	CHECK_CONTAINS(rout(&r), "sent True\n");
	CHECK_INT_EQ(r.protocol_errors, 1);
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}
