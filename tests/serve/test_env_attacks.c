/* A client of the service attacking the "env" field (docs/environments.md,
 * src/server/envs.c): names that are paths, too long, not ASCII, with a NUL,
 * not strings; each is refused before anything is stored or opened, and an
 * environment the store has stays removable until a job names it.  An
 * environment a queued job names cannot be removed under it. */
#include "harness.h"
#include "helpers.h"
#include "serve.h"
#include "tests.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void envatk_add(const char *store, const char *name)
{
	const char *argv[16] = { test_stratbox(), "env", "add", name, "--host", "--state-dir", store };
	int n = 7;
	if (test_cgroup_parent() != NULL) {
		argv[n++] = "--cgroup-parent";
		argv[n++] = test_cgroup_parent();
	}
	argv[n] = NULL;
	struct test_cmd c = { .argv = argv, .err = TEST_STDERR_CAPTURE };
	struct test_output o;
	test_run(&c, &o);
	CHECK(o.exit_code == 0, "env add %s: %s", name, o.err);
	test_output_free(&o);
}

/* `stratbox env rm NAME`: its exit code, *err its stderr (to be freed). */
static int envatk_rm(const char *store, const char *name, char **err)
{
	struct test_cmd c = { .argv = (const char *const[]){ test_stratbox(), "env", "rm", name,
							     "--state-dir", store, NULL },
			      .err = TEST_STDERR_CAPTURE };
	struct test_output o;
	test_run(&c, &o);
	int rc = o.exit_code;
	*err = strdup(o.err);
	test_output_free(&o);
	return rc;
}

/* Hostile "env" values: 422 (or 400 for a body that is not JSON), the same
 * on /v1/executions and /v1/validate, no job stored, and no environment of
 * the store opened (it can still be removed). */
void v_envatk_env_field_hostile_values_refused_nothing_opened(void)
{
	struct server s;
	state_dir_new(&s);
	char store[300];
	snprintf(store, sizeof(store), "%s/envs-store", s.dir);
	envatk_add(store, "mine");
	envatk_add(store, "victim");
	server_start(&s, 1, NULL, (const char *const[]){ "--env-dir", store, NULL });
	char longname[70];
	memset(longname, 'a', 65);
	longname[65] = '\0';
	char *huge = malloc(100001);
	memset(huge, 'a', 100000);
	huge[100000] = '\0';
	struct {
		const char *env; /* the JSON text of the value */
		int status;
		const char *code;
	} bad[] = {
		{ "\"..\"", 422, "invalid_request" },
		{ "\"../envs-store/mine\"", 422, "invalid_request" },
		{ "\"mine/../mine\"", 422, "invalid_request" },
		{ "\"/etc\"", 422, "invalid_request" },
		{ "\".tmp-mine-1\"", 422, "invalid_request" },
		{ "\"Mine\"", 422, "invalid_request" },
		{ "\"\"", 422, "invalid_request" },
		{ "\"m\\u00efne\"", 422, "invalid_request" },
		{ "\"mine\\u0000x\"", 400, "bad_json" },
		{ "\"mine \"", 422, "invalid_request" },
		{ "null", 422, "invalid_request" },
		{ "[\"mine\"]", 422, "invalid_request" },
		{ "{\"name\": \"mine\"}", 422, "invalid_request" },
		{ "true", 422, "invalid_request" },
		{ "\"envs-store\"", 422, "unknown_env" },
		{ "\"a..b\"", 422, "unknown_env" },
		{ longname, 422, "invalid_request" },
	};
	char lbuf[80];
	snprintf(lbuf, sizeof(lbuf), "\"%s\"", longname);
	bad[sizeof(bad) / sizeof(bad[0]) - 1].env = lbuf;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		static const char *const paths[] = { "/v1/executions", "/v1/validate" };
		for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
			char *body = NULL;
			CHECK(asprintf(&body, "{\"code\": \"print(1)\\n\", \"env\": %s}", bad[i].env) > 0);
			struct http_reply r;
			http(&s, "POST", paths[p], NULL, body, strlen(body), &r);
			CHECK(r.status == bad[i].status, "%s env %s: %d %s", paths[p], bad[i].env,
			      r.status, r.body);
			CHECK(strcmp(jstr(r.json, "error.code") ?: "", bad[i].code) == 0,
			      "%s env %s: %s", paths[p], bad[i].env, r.body);
			http_reply_free(&r);
			free(body);
		}
	}
	/* a huge name: refused as a name, not a crash or a path */
	char *body = NULL;
	CHECK(asprintf(&body, "{\"code\": \"print(1)\\n\", \"env\": \"%s\"}", huge) > 0);
	struct http_reply r;
	http(&s, "POST", "/v1/executions", NULL, body, strlen(body), &r);
	CHECK_INT_EQ(r.status, 422);
	CHECK_STR_EQ(jstr(r.json, "error.code"), "invalid_request");
	http_reply_free(&r);
	free(body);
	free(huge);
	http_json(&s, "GET", "/v1/jobs", NULL, NULL, &r);
	CHECK_INT_EQ(json_array_size(json_object_get(r.json, "jobs")), 0);
	http_reply_free(&r);
	/* nothing above opened an environment of the store: both removable */
	char *err = NULL;
	CHECK(envatk_rm(store, "victim", &err) == 0, "rm victim: %s", err);
	free(err);
	/* the service still serves a real one */
	body = body_with_code("print('in mine')\n", "{\"env\": \"mine\"}");
	http_json(&s, "POST", "/v1/executions?wait=60", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(r.json, "result.output"), "in mine\n");
	http_reply_free(&r);
	free(body);
	/* and the one removed is now unknown */
	body = body_with_code("print(1)\n", "{\"env\": \"victim\"}");
	http_json(&s, "POST", "/v1/executions", NULL, body, &r);
	CHECK_INT_EQ(r.status, 422);
	CHECK_STR_EQ(jstr(r.json, "error.code"), "unknown_env");
	http_reply_free(&r);
	free(body);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}

/* A job naming an environment waits in the queue behind a running one:
 * `env rm` of that environment is refused ("in use") and the job then
 * runs on it; after the service stops, the environment can be removed. */
void v_envatk_env_rm_refused_while_jobs_queued(void)
{
	struct server s;
	state_dir_new(&s);
	char store[300];
	snprintf(store, sizeof(store), "%s/envs-store", s.dir);
	envatk_add(store, "queued");
	server_start(&s, 1, NULL, (const char *const[]){ "--env-dir", store, NULL });
	char *busy = submit_id(&s, "import time\n"
				   "t = time.monotonic()\n"
				   "while time.monotonic() - t < 3.0:\n"
				   "    pass\n");
	wait_status(&s, NULL, busy, "running");
	char *body = body_with_code("print('ran on queued')\n", "{\"env\": \"queued\"}");
	struct http_reply r;
	http_json(&s, "POST", "/v1/executions", NULL, body, &r);
	CHECK_INT_EQ(r.status, 202);
	char *id = strdup(jstr(r.json, "id") ?: "");
	http_reply_free(&r);
	free(body);
	char *err = NULL;
	CHECK_INT_EQ(envatk_rm(store, "queued", &err), 1);
	CHECK_CONTAINS(err, "environment queued is in use by a running pool or service");
	free(err);
	wait_status(&s, NULL, id, "done");
	char path[128];
	snprintf(path, sizeof(path), "/v1/jobs/%s", id);
	http_json(&s, "GET", path, NULL, NULL, &r);
	CHECK_STR_EQ(jstr(r.json, "result.output"), "ran on queued\n");
	http_reply_free(&r);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	CHECK(envatk_rm(store, "queued", &err) == 0, "rm after the service: %s", err);
	free(err);
	free(id);
	free(busy);
	state_dir_remove(&s);
}

/* Processes below pid (its descendants) whose comm is name, not counting
 * those below another such process (a zygote's forked slots). */
static int envatk_count_below(pid_t top, const char *name)
{
	int n = 0;
	DIR *d = opendir("/proc");
	CHECK(d != NULL);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		pid_t pid = (pid_t) atoi(e->d_name);
		if (pid <= 0)
			continue;
		char comm[64] = "";
		bool match = false;
		for (pid_t p = pid; p > 1;) {
			char path[64], buf[512];
			snprintf(path, sizeof(path), "/proc/%d/stat", (int) p);
			FILE *f = fopen(path, "r");
			if (f == NULL)
				break;
			size_t len = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[len] = '\0';
			char *open = strchr(buf, '('), *close = strrchr(buf, ')');
			if (open == NULL || close == NULL)
				break;
			if (p == pid)
				snprintf(comm, sizeof(comm), "%.*s", (int) (close - open - 1), open + 1);
			else if (strncmp(open + 1, name, strlen(name)) == 0 &&
				 open[1 + strlen(name)] == ')')
				break; /* a zygote's slot, not a zygote */
			int ppid = 0;
			if (sscanf(close + 2, "%*c %d", &ppid) != 1)
				break;
			if (ppid == top) {
				match = strcmp(comm, name) == 0;
				break;
			}
			p = ppid;
		}
		n += match;
	}
	closedir(d);
	return n;
}

/* How many pools a client can make the service start: one per environment
 * of the store that a job names, and no more.  Names the store does not
 * have start nothing and keep nothing (422 unknown_env, however many);
 * naming the same environments again starts nothing new.  The store is the
 * operator's, so the number of environments in it is the bound (no
 * `--max-envs`: a store of N environments lets any client start N
 * zygotes, each with its warm slots). */
void v_envatk_pools_bounded_by_the_store(void)
{
	struct server s;
	state_dir_new(&s);
	char store[300];
	snprintf(store, sizeof(store), "%s/envs-store", s.dir);
	envatk_add(store, "e1");
	envatk_add(store, "e2");
	server_start(&s, 1, NULL, (const char *const[]){ "--env-dir", store, NULL });
	int zygotes = envatk_count_below(s.pid, "stratbox-zygote");
	test_note("zygotes at start: %d", zygotes);
	CHECK(zygotes >= 1, "no zygote below the service %d", (int) s.pid);
	struct http_reply r;
	for (int i = 0; i < 64; i++) {
		char extra[64];
		snprintf(extra, sizeof(extra), "{\"env\": \"not-here-%d\"}", i);
		char *body = body_with_code("print(1)\n", extra);
		http_json(&s, "POST", "/v1/executions", NULL, body, &r);
		CHECK_INT_EQ(r.status, 422);
		CHECK_STR_EQ(jstr(r.json, "error.code"), "unknown_env");
		http_reply_free(&r);
		free(body);
	}
	CHECK_INT_EQ(envatk_count_below(s.pid, "stratbox-zygote"), zygotes);
	for (int i = 0; i < 6; i++) {
		char *body = body_with_code("print('ok')\n", i % 2 ? "{\"env\": \"e1\"}"
								: "{\"env\": \"e2\"}");
		http_json(&s, "POST", "/v1/executions?wait=60", NULL, body, &r);
		CHECK_INT_EQ(r.status, 200);
		CHECK_STR_EQ(jstr(r.json, "result.output"), "ok\n");
		http_reply_free(&r);
		free(body);
	}
	CHECK_INT_EQ(envatk_count_below(s.pid, "stratbox-zygote"), 3 * zygotes);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}
