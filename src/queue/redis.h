/* The Redis queue between `stratbox serve --queue URL` and the
 * `stratbox worker`s on other machines (docs/deploy.md):
 *
 *   url.c     the queue's URL, parsed (pure: unit-tested without Redis)
 *   tls.c     rediss://: GnuTLS beside hiredis (Debian 12's 0.14 has no TLS)
 *   redis.c   one synchronous hiredis connection per thread: connect
 *             (AUTH, SELECT), commands, transactions, backoff on errors
 *
 * The keys both sides use are below.  The server's SQLite store stays the
 * one record of every job; Redis only carries jobs to workers and results
 * back, and may lose everything (the server publishes again what its
 * store says is not finished). */
#ifndef STRATBOX_QUEUE_REDIS_H
#define STRATBOX_QUEUE_REDIS_H

#include "stratbox/error.h"

#include <stdbool.h>
#include <stddef.h>

/* Jobs to run: entries {id, kind, request}, read by the consumer group
 * RQ_GROUP_WORKERS; a worker acknowledges and deletes an entry once it has
 * sent the result.  An entry whose worker went quiet for the visibility
 * timeout is taken by another (XAUTOCLAIM); a worker running a job keeps
 * claiming it (XCLAIM) so that a long job is not taken from it. */
#define RQ_JOBS "stratbox:jobs"
#define RQ_GROUP_WORKERS "workers"
/* Events from workers: {type=started, id, worker} and {type=result, id,
 * status (done|failed), result (JSON text), worker}, read by the server
 * (group RQ_GROUP_SERVERS), recorded in its store, then acknowledged. */
#define RQ_RESULTS "stratbox:results"
#define RQ_GROUP_SERVERS "servers"
/* RQ_PUBLISHED ID: set with the job's stream entry (one transaction) and
 * deleted when the server records the job's end: a job the store says is
 * unfinished whose key is gone was lost by Redis and is published again. */
#define RQ_PUBLISHED "stratbox:job:"
/* RQ_ENDED ID = "done" | "failed" | "cancelled": the server has ended the
 * job; a worker does not start it, and stops it if it is running. */
#define RQ_ENDED "stratbox:ended:"
#define RQ_ENDED_TTL_S (7 * 24 * 3600)

/* ---- url.c ---- */

/*   redis://[[user]:password@]host[:port][/db]   (port 6379, db 0)
 *   rediss://...[?cacert=PEM][&cert=PEM&key=PEM] TLS (GnuTLS): the server's
 *                                                certificate checked against
 *                                                cacert (else the system's CAs)
 *                                                and the host name or address
 *   unix://[[user]:password@]/path/to/socket[?db=N]
 * user and password may be percent-encoded (%40 for '@'); an IPv6 host is
 * in brackets ([::1]:6379). */
struct rq_url {
	bool unix_socket;
	bool tls;
	char *host; /* TCP */
	unsigned port;
	char *path; /* unix socket */
	char *user, *password; /* NULL: none */
	unsigned db;
	char *cacert, *cert, *key; /* rediss://: PEM files; NULL: none */
};
/* 0, or -1 with an SBX_ERR_INVALID error saying what is wrong with which
 * part. */
int rq_url_parse(const char *text, struct rq_url *out, sbx_error **err);
void rq_url_clear(struct rq_url *u);
/* "redis://host:port/db" or "unix:///path", without the credentials, for
 * logs (to be freed). */
char *rq_url_display(const struct rq_url *u);

/* ---- tls.c ---- */

/* rediss://: a TLS session to u's host (verified), relayed to *fd, the
 * plain end hiredis uses (redisConnectFd).  rq_tls_close after hiredis
 * has closed *fd.  0, or -1 with err. */
struct rq_tls;
int rq_tls_open(const struct rq_url *u, unsigned timeout_ms, int *fd, struct rq_tls **out,
		sbx_error **err);
void rq_tls_close(struct rq_tls *t);

/* ---- redis.c ---- */

struct redisReply;
struct rq_conn;

/* A connection (not yet connected) to u, which it copies.  timeout_ms
 * bounds connecting and every command beyond its own BLOCK time. */
struct rq_conn *rq_conn_new(const struct rq_url *u, unsigned timeout_ms);
void rq_conn_free(struct rq_conn *c);
/* Connect (and AUTH, SELECT) unless connected.  0, or -1 with err set. */
int rq_conn_ensure(struct rq_conn *c, sbx_error **err);
bool rq_conn_up(const struct rq_conn *c);
/* Sleep the connection's backoff (100 ms, doubling to 5 s; reset by a
 * command that succeeds), waking early once stopped(arg) is true. */
void rq_backoff(struct rq_conn *c, bool (*stopped)(void *arg), void *arg);

/* A command as binary-safe arguments. */
#define RQ_MAX_ARGS 16
struct rq_cmd {
	int argc;
	const char *argv[RQ_MAX_ARGS];
	size_t len[RQ_MAX_ARGS];
};
void rq_arg(struct rq_cmd *cmd, const char *s);
void rq_argb(struct rq_cmd *cmd, const char *p, size_t len);

/* Run one command (connecting first when needed).  The reply (free it
 * with rq_reply_free), which may be an error reply; NULL when the
 * connection failed (err set; the connection is dropped, the next call
 * reconnects). */
struct redisReply *rq_run(struct rq_conn *c, const struct rq_cmd *cmd, sbx_error **err);
/* Commands sent together (a pipeline): replies[i] for cmds[i]; -1 (all
 * replies NULL) when the connection failed. */
int rq_pipeline(struct rq_conn *c, const struct rq_cmd *cmds, size_t n,
		struct redisReply **replies, sbx_error **err);
/* MULTI, the commands, EXEC: all or none.  0 when EXEC ran every command
 * without an error reply, -1 otherwise (err set). */
int rq_transaction(struct rq_conn *c, const struct rq_cmd *cmds, size_t n, sbx_error **err);
void rq_reply_free(struct redisReply *r);

/* Whether r is an error reply starting with code ("BUSYGROUP", "NOGROUP"). */
bool rq_reply_is_error(const struct redisReply *r, const char *code);

/* XGROUP CREATE stream group 0 MKSTREAM, an existing group being fine. */
int rq_ensure_group(struct rq_conn *c, const char *stream, const char *group, sbx_error **err);

/* A stream entry's fields (an array of name, value, ...): the value of
 * name, and its length, or NULL. */
const char *rq_field(const struct redisReply *fields, const char *name, size_t *len);

#endif
