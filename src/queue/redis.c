/* One synchronous hiredis connection (redis.h).  hiredis is not thread-safe
 * per context, so each thread that talks to Redis owns one of these.  Any
 * I/O error drops the context; the next command reconnects, and callers
 * sleep rq_backoff() between attempts, so that Redis being down costs a
 * retry every few seconds, never a lost job (the server's store keeps
 * them). */
#include "queue/redis.h"
#include "common/util.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct rq_conn {
	struct rq_url url;
	redisContext *ctx;
	struct rq_tls *tls; /* rediss://: the relay under ctx */
	unsigned timeout_ms;
	unsigned backoff_ms;
};

static struct timeval tv_ms(unsigned ms)
{
	return (struct timeval){ .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
}

static char *dup_or_null(const char *s, bool *oom)
{
	if (s == NULL)
		return NULL;
	char *d = strdup(s);
	if (d == NULL)
		*oom = true;
	return d;
}

struct rq_conn *rq_conn_new(const struct rq_url *u, unsigned timeout_ms)
{
	struct rq_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	bool oom = false;
	c->url = *u;
	c->url.host = dup_or_null(u->host, &oom);
	c->url.path = dup_or_null(u->path, &oom);
	c->url.user = dup_or_null(u->user, &oom);
	c->url.password = dup_or_null(u->password, &oom);
	c->url.cacert = dup_or_null(u->cacert, &oom);
	c->url.cert = dup_or_null(u->cert, &oom);
	c->url.key = dup_or_null(u->key, &oom);
	c->timeout_ms = timeout_ms ? timeout_ms : 5000;
	c->backoff_ms = BACKOFF_MIN_MS;
	if (oom) {
		rq_conn_free(c);
		return NULL;
	}
	return c;
}

static void drop(struct rq_conn *c)
{
	if (c->ctx)
		redisFree(c->ctx); /* closes its end of a TLS relay too */
	c->ctx = NULL;
	rq_tls_close(c->tls);
	c->tls = NULL;
}

void rq_conn_free(struct rq_conn *c)
{
	if (c == NULL)
		return;
	drop(c);
	rq_url_clear(&c->url);
	free(c);
}

bool rq_conn_up(const struct rq_conn *c)
{
	return c->ctx != NULL;
}

void rq_reply_free(struct redisReply *r)
{
	if (r)
		freeReplyObject(r);
}

bool rq_reply_is_error(const struct redisReply *r, const char *code)
{
	return r && r->type == REDIS_REPLY_ERROR && r->str &&
	       strncmp(r->str, code, strlen(code)) == 0;
}

static int conn_error(struct rq_conn *c, sbx_error **err, const char *what)
{
	char *where = rq_url_display(&c->url);
	int e = c->ctx && c->ctx->err == REDIS_ERR_IO && errno ? errno : EIO;
	sbx_error_set(err, e, "Redis at %s: %s: %s", where ? where : "?", what,
		      c->ctx && c->ctx->errstr[0] ? c->ctx->errstr : "connection lost");
	free(where);
	drop(c);
	return -1;
}

/* A command on the raw context, for the handshake. */
static int handshake_cmd(struct rq_conn *c, const struct rq_cmd *cmd, sbx_error **err)
{
	redisReply *r = redisCommandArgv(c->ctx, cmd->argc, (const char **) cmd->argv, cmd->len);
	if (r == NULL)
		return conn_error(c, err, cmd->argv[0]);
	int rc = 0;
	if (r->type == REDIS_REPLY_ERROR) {
		char *where = rq_url_display(&c->url);
		/* the server's words ("WRONGPASS ...", "ERR DB index is out of
		 * range"), never the password */
		sbx_error_set(err, EACCES, "Redis at %s: %s refused: %s", where ? where : "?",
			      cmd->argv[0], r->str);
		free(where);
		drop(c);
		rc = -1;
	}
	freeReplyObject(r);
	return rc;
}

int rq_conn_ensure(struct rq_conn *c, sbx_error **err)
{
	if (c->ctx)
		return 0;
	struct timeval tv = tv_ms(c->timeout_ms);
	if (c->url.tls) {
		int fd = -1;
		if (rq_tls_open(&c->url, c->timeout_ms, &fd, &c->tls, err) < 0) {
			char *where = rq_url_display(&c->url);
			sbx_error_wrap(err, "Redis at %s", where ? where : "?");
			free(where);
			return -1;
		}
		c->ctx = redisConnectFd(fd);
		if (c->ctx == NULL)
			close(fd);
	} else {
		c->ctx = c->url.unix_socket
				 ? redisConnectUnixWithTimeout(c->url.path, tv)
				 : redisConnectWithTimeout(c->url.host, (int) c->url.port, tv);
	}
	if (c->ctx == NULL)
		return sbx_error_set(err, ENOMEM, "Redis connection");
	if (c->ctx->err)
		return conn_error(c, err, "cannot connect");
	/* every command then waits at most this long (a BLOCK adds its own) */
	if (redisSetTimeout(c->ctx, tv) != REDIS_OK)
		return conn_error(c, err, "cannot set the timeout");
	if (c->url.password) {
		struct rq_cmd auth = { 0 };
		rq_arg(&auth, "AUTH");
		if (c->url.user)
			rq_arg(&auth, c->url.user);
		rq_arg(&auth, c->url.password);
		if (handshake_cmd(c, &auth, err) < 0)
			return -1;
	}
	if (c->url.db) {
		char db[16];
		snprintf(db, sizeof(db), "%u", c->url.db);
		struct rq_cmd sel = { 0 };
		rq_arg(&sel, "SELECT");
		rq_arg(&sel, db);
		if (handshake_cmd(c, &sel, err) < 0)
			return -1;
	}
	return 0;
}

void rq_backoff(struct rq_conn *c, bool (*stopped)(void *arg), void *arg)
{
	unsigned left = c->backoff_ms;
	while (left > 0 && !(stopped && stopped(arg))) {
		unsigned step = left < 100 ? left : 100;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long) step * 1000000L };
		nanosleep(&ts, NULL);
		left -= step;
	}
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

void rq_arg(struct rq_cmd *cmd, const char *s)
{
	rq_argb(cmd, s, strlen(s));
}

void rq_argb(struct rq_cmd *cmd, const char *p, size_t len)
{
	if (cmd->argc >= RQ_MAX_ARGS)
		abort(); /* a programming error: the commands here are fixed */
	cmd->argv[cmd->argc] = p;
	cmd->len[cmd->argc] = len;
	cmd->argc++;
}

struct redisReply *rq_run(struct rq_conn *c, const struct rq_cmd *cmd, sbx_error **err)
{
	if (rq_conn_ensure(c, err) < 0)
		return NULL;
	redisReply *r = redisCommandArgv(c->ctx, cmd->argc, (const char **) cmd->argv, cmd->len);
	if (r == NULL) {
		conn_error(c, err, cmd->argv[0]);
		return NULL;
	}
	c->backoff_ms = BACKOFF_MIN_MS;
	return r;
}

int rq_pipeline(struct rq_conn *c, const struct rq_cmd *cmds, size_t n,
		struct redisReply **replies, sbx_error **err)
{
	for (size_t i = 0; i < n; i++)
		replies[i] = NULL;
	if (rq_conn_ensure(c, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (redisAppendCommandArgv(c->ctx, cmds[i].argc, (const char **) cmds[i].argv,
					   cmds[i].len) !=
		    REDIS_OK)
			return conn_error(c, err, cmds[i].argv[0]);
	for (size_t i = 0; i < n; i++) {
		void *r = NULL;
		if (redisGetReply(c->ctx, &r) != REDIS_OK || r == NULL) {
			for (size_t k = 0; k < i; k++) {
				freeReplyObject(replies[k]);
				replies[k] = NULL;
			}
			return conn_error(c, err, cmds[i].argv[0]);
		}
		replies[i] = r;
	}
	c->backoff_ms = BACKOFF_MIN_MS;
	return 0;
}

int rq_transaction(struct rq_conn *c, const struct rq_cmd *cmds, size_t n, sbx_error **err)
{
	enum { MAX = 8 };
	if (n > MAX)
		abort(); /* a programming error */
	struct rq_cmd all[MAX + 2] = { 0 };
	rq_arg(&all[0], "MULTI");
	for (size_t i = 0; i < n; i++)
		all[i + 1] = cmds[i];
	rq_arg(&all[n + 1], "EXEC");
	redisReply *replies[MAX + 2];
	if (rq_pipeline(c, all, n + 2, replies, err) < 0)
		return -1;
	int rc = 0;
	redisReply *ex = replies[n + 1];
	if (ex->type != REDIS_REPLY_ARRAY || ex->elements != n) {
		/* EXECABORT: a command was refused when queued */
		const redisReply *bad = ex;
		for (size_t i = 0; i < n + 1; i++)
			if (replies[i]->type == REDIS_REPLY_ERROR)
				bad = replies[i];
		rc = sbx_error_set(err, EIO, "Redis: %s: %s", cmds[0].argv[0],
				   bad->type == REDIS_REPLY_ERROR ? bad->str : "transaction aborted");
	} else {
		for (size_t i = 0; i < n && rc == 0; i++)
			if (ex->element[i]->type == REDIS_REPLY_ERROR)
				rc = sbx_error_set(err, EIO, "Redis: %s: %s", cmds[i].argv[0],
						   ex->element[i]->str);
	}
	for (size_t i = 0; i < n + 2; i++)
		freeReplyObject(replies[i]);
	return rc;
}

int rq_ensure_group(struct rq_conn *c, const char *stream, const char *group, sbx_error **err)
{
	struct rq_cmd cmd = { 0 };
	rq_arg(&cmd, "XGROUP");
	rq_arg(&cmd, "CREATE");
	rq_arg(&cmd, stream);
	rq_arg(&cmd, group);
	rq_arg(&cmd, "0");
	rq_arg(&cmd, "MKSTREAM");
	redisReply *r = rq_run(c, &cmd, err);
	if (r == NULL)
		return -1;
	int rc = 0;
	if (r->type == REDIS_REPLY_ERROR && !rq_reply_is_error(r, "BUSYGROUP"))
		rc = sbx_error_set(err, EIO, "Redis: creating the group %s of %s: %s", group, stream,
				   r->str);
	freeReplyObject(r);
	return rc;
}

const char *rq_field(const struct redisReply *fields, const char *name, size_t *len)
{
	if (fields == NULL || fields->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (size_t i = 0; i + 1 < fields->elements; i += 2) {
		const redisReply *k = fields->element[i], *v = fields->element[i + 1];
		if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
		    strcmp(k->str, name) == 0) {
			if (len)
				*len = v->len;
			return v->str;
		}
	}
	return NULL;
}
