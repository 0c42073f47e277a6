/* `stratbox serve --queue URL`: the server's side of the Redis queue
 * (remote.c).  Shared by src/server/ only. */
#ifndef STRATBOX_SERVER_REMOTE_H
#define STRATBOX_SERVER_REMOTE_H

#include "stratbox/error.h"

struct sbx_server;
struct remote;

/* Parse the queue URL (a bad one is an SBX_ERR_INVALID error), then start
 * the two threads that talk to Redis into s->threads (which has room for
 * REMOTE_THREADS): they run until s->stopping, and stop_workers() joins
 * them like the local workers.  Redis need not be up: jobs wait in the
 * store until it is. */
#define REMOTE_THREADS 2
int remote_start(struct sbx_server *s, sbx_error **err);
void remote_free(struct remote *r);
/* The queue's URL without its credentials, for logs. */
const char *remote_where(const struct remote *r);

/* The store has cancelled job id: tell the workers (a worker does not
 * start it, and stops it if it is running).  Never blocks on Redis. */
void remote_job_cancelled(struct sbx_server *s, const char *id);

#endif
