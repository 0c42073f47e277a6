/* The service suite's helpers (serve.h): the server started and stopped,
 * and a minimal HTTP/1.1 client (one request per connection). */
#include "serve.h"

#include "harness.h"
#include "helpers.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *serve_data_dir(void)
{
	static char dir[PATH_MAX];
	if (dir[0] == '\0') {
		const char *env = getenv("STRATBOX_DATA_DIR");
		if (env && *env) {
			snprintf(dir, sizeof(dir), "%s", env);
		} else {
			char found[PATH_MAX];
			FILE *f = test_open_checkout_file("data/datasets.json", found, sizeof(found));
			CHECK(f != NULL, "no data/datasets.json (tried %s)", found);
			fclose(f);
			char *slash = strrchr(found, '/');
			*slash = '\0';
			if (realpath(found, dir) == NULL)
				snprintf(dir, sizeof(dir), "%s", found);
		}
	}
	return dir;
}

void state_dir_new(struct server *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/stratbox-serve-test-XXXXXX");
	CHECK(mkdtemp(s->dir) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(s->log, sizeof(s->log), "%s.log", s->dir);
}

void state_dir_remove(struct server *s)
{
	test_rm_rf(s->dir);
	test_rm_rf(s->log);
}

char *log_text(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return strdup("");
	char *t = test_read_all(fd);
	close(fd);
	return t;
}

char *server_log_text(const struct server *s)
{
	return log_text(s->log);
}

void server_start(struct server *s, unsigned workers, const char *token_file,
		  const char *const *extra)
{
	char w[16];
	snprintf(w, sizeof(w), "%u", workers);
	const char *argv[32] = { test_stratbox(), "serve", "--listen", "127.0.0.1:0", "--state-dir",
				 s->dir, "--workers", w };
	int n = 8;
	if (token_file) {
		argv[n++] = "--token-file";
		argv[n++] = token_file;
	}
	/* unprivileged: the cgroup parent delegated to this user, if any */
	if (test_cgroup_parent() != NULL) {
		argv[n++] = "--cgroup-parent";
		argv[n++] = test_cgroup_parent();
	}
	for (size_t i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	char *log = NULL;
	s->pid = spawn_logged(argv, s->log, "listening on ", &log);
	/* "listening on HOST:PORT (http|https), ..." (an IPv4 host) */
	const char *colon = strchr(strstr(log, "listening on "), ':');
	s->port = colon ? (unsigned) atoi(colon + 1) : 0;
	CHECK(s->port != 0, "no port in: %s", log);
	free(log);
	test_note("serve pid %d on port %u", (int) s->pid, s->port);
}

pid_t spawn_logged(const char *const *argv, const char *logpath, const char *ready, char **log)
{
	setenv("STRATBOX_DATA_DIR", serve_data_dir(), 1);
	int logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(logfd >= 0, "%s: %s", logpath, strerror(errno));
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(logfd, 2);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		execv(argv[0], (char *const *) argv);
		_exit(127);
	}
	close(logfd);
	for (int i = 0; i < 600; i++) {
		char *text = log_text(logpath);
		if (strstr(text, ready) != NULL) {
			*log = text;
			return pid;
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			test_fail_at(__FILE__, __LINE__, "%s %s exited before saying \"%s\": %s",
				     argv[0], argv[1], ready, text);
		free(text);
		usleep(50 * 1000);
	}
	char *text = log_text(logpath);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	test_fail_at(__FILE__, __LINE__, "%s %s did not say \"%s\" within 30 s: %s", argv[0],
		     argv[1], ready, text);
}


int server_signal_wait(struct server *s, int sig)
{
	if (s->pid <= 0)
		return -1;
	kill(s->pid, sig);
	int st = 0;
	waitpid(s->pid, &st, 0);
	s->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the client ---- */

void http_reply_free(struct http_reply *r)
{
	free(r->headers);
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

void http(const struct server *s, const char *method, const char *path, const char *headers,
	  const char *body, size_t body_len, struct http_reply *r)
{
	memset(r, 0, sizeof(*r));
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) s->port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(connect(fd, (struct sockaddr *) &a, sizeof(a)) == 0, "connect to port %u: %s",
	      s->port, strerror(errno));
	char *head = NULL;
	int hn = asprintf(&head,
			  "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s%s\r\n",
			  method, path, headers ? headers : "",
			  body && !(headers && strcasestr(headers, "content-type:"))
				  ? "Content-Type: application/json\r\n"
				  : "",
			  "");
	CHECK(hn > 0);
	char *cl = NULL;
	if (body && !(headers && strcasestr(headers, "content-length:"))) {
		CHECK(asprintf(&cl, "Content-Length: %zu\r\n\r\n", body_len) > 0);
		head[hn - 2] = '\0'; /* the blank line comes after Content-Length */
	}
	signal(SIGPIPE, SIG_IGN);
	bool ok = write(fd, head, strlen(head)) == (ssize_t) strlen(head);
	if (cl)
		ok = ok && write(fd, cl, strlen(cl)) == (ssize_t) strlen(cl);
	for (size_t off = 0; ok && body && off < body_len;) {
		ssize_t w = write(fd, body + off, body_len - off);
		if (w <= 0)
			break; /* the server may answer before reading it all */
		off += (size_t) w;
	}
	free(head);
	free(cl);
	char *all = test_read_all(fd);
	close(fd);
	char *sep = strstr(all, "\r\n\r\n");
	if (strncmp(all, "HTTP/1.", 7) == 0 && sep != NULL) {
		r->status = atoi(all + 9);
		*sep = '\0';
		r->headers = strdup(all);
		for (char *p = r->headers; *p; p++)
			*p = (char) tolower((unsigned char) *p);
		r->body = strdup(sep + 4);
		r->json = json_loads(r->body, 0, NULL);
	}
	free(all);
}

void http_json(const struct server *s, const char *method, const char *path, const char *token,
	       const char *body, struct http_reply *r)
{
	char hdr[512] = "";
	if (token)
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", token);
	http(s, method, path, hdr, body, body ? strlen(body) : 0, r);
}

char *http_header(const struct http_reply *r, const char *name)
{
	if (r->headers == NULL)
		return NULL;
	char key[128];
	snprintf(key, sizeof(key), "\n%s:", name);
	for (char *p = key; *p; p++)
		*p = (char) tolower((unsigned char) *p);
	const char *at = strstr(r->headers, key);
	if (at == NULL)
		return NULL;
	at += strlen(key);
	while (*at == ' ')
		at++;
	return strndup(at, strcspn(at, "\r\n"));
}

const char *jstr(const json_t *o, const char *path)
{
	return json_string_value(test_json_get(o, path));
}

char *body_with_code(const char *code, const char *extra)
{
	json_t *o = extra ? json_loads(extra, 0, NULL) : json_object();
	CHECK(o != NULL, "bad extra JSON in the test: %s", extra);
	json_object_set_new(o, "code", json_string(code));
	char *t = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return t;
}

double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

void wait_status(const struct server *s, const char *token, const char *id, const char *want)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/jobs/%s", id);
	for (int i = 0; i < 300; i++) {
		struct http_reply r;
		http_json(s, "GET", path, token, NULL, &r);
		bool ok = r.status == 200 && strcmp(jstr(r.json, "status") ?: "", want) == 0;
		http_reply_free(&r);
		if (ok)
			return;
		usleep(100 * 1000);
	}
	test_fail_at(__FILE__, __LINE__, "job %s never became %s", id, want);
}

char *submit_id(const struct server *s, const char *code)
{
	char *body = body_with_code(code, NULL);
	struct http_reply r;
	http_json(s, "POST", "/v1/executions", NULL, body, &r);
	free(body);
	CHECK_INT_EQ(r.status, 202);
	char *id = strdup(jstr(r.json, "id"));
	http_reply_free(&r);
	return id;
}
