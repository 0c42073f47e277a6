/* The service suite's helpers: a `stratbox serve` started on loopback (an
 * ephemeral port, its own state directory), and a small HTTP/1.1 client. */
#ifndef STRATBOX_TEST_SERVE_H
#define STRATBOX_TEST_SERVE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct server {
	pid_t pid;
	unsigned port;
	char dir[256];	/* the state directory */
	char log[300];	/* its stderr */
};

/* A new temporary state directory in s->dir (removed by state_dir_remove). */
void state_dir_new(struct server *s);
void state_dir_remove(struct server *s);
/* Start serve on s->dir (workers, token_file may be NULL, extra options
 * NULL-terminated) and wait for "listening on"; fails the test otherwise. */
void server_start(struct server *s, unsigned workers, const char *token_file,
		  const char *const *extra);
/* SIGTERM (graceful) or SIGKILL, then wait; the exit status (128+sig). */
int server_signal_wait(struct server *s, int sig);
/* The log so far (to be freed). */
char *server_log_text(const struct server *s);
/* A file's text, "" when there is none (to be freed). */
char *log_text(const char *path);
/* Start argv with its stderr in logpath (stdin and stdout /dev/null) and
 * wait until the log says ready: its pid, *log the log then (to be
 * freed).  Fails the test when it exits first or is not ready in 30 s. */
pid_t spawn_logged(const char *const *argv, const char *logpath, const char *ready, char **log);

struct http_reply {
	int status;	/* 0: no answer */
	char *headers;	/* raw, lowercase names */
	char *body;
	json_t *json;	/* the body parsed, or NULL */
};
/* One request on a new connection (Connection: close).  headers: "Name:
 * value\r\n" lines or NULL; content_type NULL: application/json when there
 * is a body. */
void http(const struct server *s, const char *method, const char *path, const char *headers,
	  const char *body, size_t body_len, struct http_reply *r);
/* The same with a bearer token (NULL: none) and a JSON body (NULL: none). */
void http_json(const struct server *s, const char *method, const char *path, const char *token,
	       const char *body, struct http_reply *r);
void http_reply_free(struct http_reply *r);
/* A header's value in a reply (to be freed), or NULL. */
char *http_header(const struct http_reply *r, const char *name);

/* The string at a dotted path of r->json ("result.status"), or NULL. */
const char *jstr(const json_t *o, const char *path);

/* A JSON object {"code": code} with extra members from a JSON text (or
 * NULL), serialised (to be freed). */
char *body_with_code(const char *code, const char *extra);

/* Seconds on the monotonic clock. */
double now_s(void);
/* Poll the job until its status is want (30 s at most, else the test
 * fails). */
void wait_status(const struct server *s, const char *token, const char *id, const char *want);
/* POST /v1/executions {"code": code} without waiting: its id (202). */
char *submit_id(const struct server *s, const char *code);

/* The checkout's data/ directory (datasets.json). */
const char *serve_data_dir(void);

#endif
