/* `stratbox env check NAME`: does the environment exist, and does it work?
 * (The reference design's "the image exists and works".)
 *
 *  1. the tree's digest, recomputed, equals the one recorded when it was
 *     added (a zygote start trusts the sealed store; this is where it is
 *     verified);
 *  2. its zygote starts: Python, numpy, pandas and the preload list
 *     imported, timed;
 *  3. each module of the preload list (or allow-list) imports inside a job,
 *     with its version;
 *  4. warm jobs run, timed (the latency a strategy sees);
 *  5. the audit hook's capability proof (tests/pyrt/hook/capabilities.py,
 *     installed beside the package as python/selftest/) re-run on this
 *     environment's allow-list: every route from a reachable module to a
 *     process, a socket, native code... is refused. */
#include "env/image.h"
#include "env/store.h"

#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
	return x < y ? -1 : x > y;
}

static void problem(json_t *report, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(json_t *report, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) >= 0)
		json_array_append_new(json_object_get(report, "problems"), json_string(s));
	free(s);
	va_end(ap);
}

static void check_digest(const sbx_env *e, const char *state, json_t *report)
{
	const json_t *m = sbx_env_manifest(e);
	const char *kind = json_string_value(json_object_get(m, "kind"));
	const char *recorded = json_string_value(json_object_get(m, "digest"));
	if (strcmp(kind, "host") == 0)
		return;
	cleanup_free char *dir = env_dir(state, sbx_env_name(e));
	cleanup_free char *tree =
		strcmp(kind, "venv") == 0
			? strdup(json_string_value(json_object_get(m, "site_packages")) ?: "")
			: str_printf("%s/rootfs", dir);
	char digest[72] = "";
	sbx_error *err = NULL;
	uint64_t t0 = now_ns();
	if (tree == NULL || env_tree_digest(tree, digest, &err) < 0) {
		problem(report, "digest: %s", err ? err->msg : "out of memory");
		sbx_error_free(err);
		return;
	}
	bool same = recorded && strcmp(recorded, digest) == 0;
	json_object_set_new(report, "digest",
			    json_pack("{s:s?, s:s, s:b, s:f}", "recorded", recorded, "computed",
				      digest, "ok", same, "seconds", (double) (now_ns() - t0) / 1e9));
	if (!same)
		problem(report,
			"digest: the tree %s has changed since it was added (recorded %s, now %s)",
			tree, recorded ? recorded : "none", digest);
}

static char *package_dir_default(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return NULL;
	exe[n] = '\0';
	return str_printf("%s/python", dirname(exe));
}

/* One job's output, or NULL with a problem recorded. */
static const char *run_job(sbx_pool *pool, const char *what, const char *code,
			   struct sbx_job_result *r, json_t *report)
{
	struct sbx_job job = { .code = code, .code_len = strlen(code), .timeout_ns = 300ull * 1000000000ull,
			       .memory = 2ull << 30 };
	sbx_error *err = NULL;
	if (sbx_pool_run(pool, &job, r, &err) < 0) {
		problem(report, "%s: %s", what, err->msg);
		sbx_error_free(err);
		return NULL;
	}
	if (r->verdict.status != SBX_OK) {
		const char *o = r->verdict.out.data ? r->verdict.out.data : "";
		size_t n = strlen(o);
		problem(report, "%s: the job ended %s (%s): %s%s", what,
			sbx_status_name(r->verdict.status),
			r->error ? r->error : (r->verdict.message ? r->verdict.message : ""),
			n > 300 ? "..." : "", o + (n > 300 ? n - 300 : 0));
		return NULL;
	}
	return r->verdict.out.data ? r->verdict.out.data : "";
}

/* The modules of the preload list (or the allow-list) imported in a job. */
static void check_modules(sbx_pool *pool, const sbx_env *e, const sbx_check_policy *pol,
			  json_t *report)
{
	const json_t *m = sbx_env_manifest(e);
	json_t *names = json_array();
	json_t *pre = json_object_get(m, "preload");
	if (json_is_array(pre)) {
		json_array_extend(names, pre);
	} else {
		const char *const *v;
		size_t n = sbx_check_policy_imports(pol, &v);
		for (size_t i = 0; i < n; i++)
			if (strcmp(v[i], "__future__") && strcmp(v[i], "stratbox") &&
			    strcmp(v[i], "strategy"))
				json_array_append_new(names, json_string(v[i]));
	}
	char *list = json_dumps(names, JSON_COMPACT);
	json_decref(names);
	char *code = str_printf(
		"import json\n"
		"def text(s):\n"
		"    return str(s).encode('utf-8', 'replace').decode('utf-8')[:200]\n"
		"mods = {}\n"
		"for name in %s:\n"
		"    try:\n"
		"        m = __import__(name, fromlist=['_'])\n"
		"        try:\n"
		"            v = m.__version__\n"
		"        except AttributeError:\n"
		"            v = None\n"
		"        mods[name] = {'version': text(v) if isinstance(v, str) else None}\n"
		"    except Exception as e:\n"
		"        mods[name] = {'error': text(type(e).__name__ + ': ' + str(e))}\n"
		"print('MODULES ' + json.dumps(mods))\n",
		list ? list : "[]");
	free(list);
	struct sbx_job_result r = { 0 };
	const char *out = code ? run_job(pool, "modules", code, &r, report) : NULL;
	free(code);
	const char *line = out ? strstr(out, "MODULES ") : NULL;
	json_t *mods = line ? json_loadb(line + 8, strcspn(line + 8, "\n"), 0, NULL) : NULL;
	if (out && mods == NULL)
		problem(report, "modules: no report from the job");
	const char *k;
	json_t *v;
	json_object_foreach(mods, k, v) {
		json_t *why = json_object_get(v, "error");
		if (why == NULL)
			continue;
		/* what the environment named (its preload list, its own
		 * allowed modules) must import; a default allowed module that
		 * an image lacks is only listed */
		bool named = json_is_array(pre);
		size_t i;
		json_t *a;
		json_array_foreach(json_object_get(m, "allow"), i, a)
			named = named || strcmp(json_string_value(a), k) == 0;
		if (named)
			problem(report, "module %s does not import: %s", k, json_string_value(why));
	}
	if (mods)
		json_object_set_new(report, "modules", mods);
	sbx_job_result_clear(&r);
}

static void check_latency(sbx_pool *pool, unsigned jobs, json_t *report)
{
	uint64_t *t = calloc(jobs, sizeof(*t));
	unsigned n = 0;
	for (unsigned i = 0; t && i < jobs; i++) {
		/* a ready slot first: the latency of a job that finds one, as a
		 * service's jobs do between bursts */
		struct sbx_pool_stats st;
		for (int w = 0; w < 5000; w++) {
			sbx_pool_stats(pool, &st);
			if (st.ready > 0)
				break;
			usleep(1000);
		}
		struct sbx_job_result r = { 0 };
		uint64_t t0 = now_ns();
		const char *out = run_job(pool, "warm job", "x = 1\n", &r, report);
		uint64_t dt = now_ns() - t0;
		if (out != NULL && r.warm)
			t[n++] = dt;
		sbx_job_result_clear(&r);
		if (out == NULL)
			break;
	}
	if (n > 0) {
		qsort(t, n, sizeof(*t), cmp_u64);
		json_object_set_new(report, "warm_job_ms",
				    json_pack("{s:i, s:f, s:f, s:f}", "jobs", n, "p50",
					      (double) t[n / 2] / 1e6, "p90",
					      (double) t[n * 9 / 10] / 1e6, "min", (double) t[0] / 1e6));
	}
	free(t);
}

/* The audit hook's proof on this allow-list. */
static void check_capabilities(sbx_pool *pool, const char *package_dir, const sbx_env *e,
			       json_t *report)
{
	cleanup_free char *rp = str_printf("%s/selftest/reach.py", package_dir);
	cleanup_free char *cp = str_printf("%s/selftest/capabilities.py", package_dir);
	cleanup_free char *reach = NULL, *caps = NULL;
	size_t n;
	sbx_error *err = NULL;
	if (rp == NULL || cp == NULL || read_file_alloc(rp, 1 << 20, &reach, &n, &err) < 0 ||
	    read_file_alloc(cp, 1 << 20, &caps, &n, &err) < 0) {
		problem(report, "capabilities: the proof's programs: %s",
			err ? err->msg : "out of memory");
		sbx_error_free(err);
		return;
	}
	const json_t *m = sbx_env_manifest(e);
	char *extra = json_dumps(json_object_get(m, "allow"), JSON_COMPACT);
	cleanup_free char *code = str_printf(
		"EXTRA_ALLOWED = %s\nNATIVE = %s\n%s\n%s\nreport()\n", extra ? extra : "[]",
		json_is_true(json_object_get(m, "native")) ? "True" : "False", reach, caps);
	free(extra);
	struct sbx_job_result r = { 0 };
	const char *out = code ? run_job(pool, "capabilities", code, &r, report) : NULL;
	const char *line = out ? strstr(out, "RESULT ") : NULL;
	json_t *res = line ? json_loadb(line + 7, strcspn(line + 7, "\n"), 0, NULL) : NULL;
	if (out && res == NULL)
		problem(report, "capabilities: no result from the proof");
	if (res) {
		json_t *nr = json_object_get(res, "not_refused");
		size_t i;
		json_t *v;
		json_array_foreach(nr, i, v)
			problem(report, "capabilities: not refused by the audit hook: %s",
				json_string_value(v));
		json_object_set_new(res, "ok", json_boolean(json_array_size(nr) == 0));
		/* what the environment gives up, said by the proof itself */
		json_t *conceded = json_array();
		for (const char *c = strstr(out, "CONCEDED "); c; c = strstr(c + 1, "CONCEDED "))
			json_array_append_new(conceded, json_stringn(c + 9, strcspn(c + 9, "\n")));
		json_object_set_new(res, "conceded", conceded);
		json_object_set_new(report, "capabilities", res);
	}
	sbx_job_result_clear(&r);
}

json_t *sbx_env_check(const char *state, const char *name, const struct sbx_env_check_options *o,
		      bool *ok, sbx_error **err)
{
	*ok = false;
	sbx_env *e = NULL;
	if (sbx_env_open(state, name, &e, err) < 0)
		return NULL;
	json_t *report = json_pack("{s:s, s:s, s:[]}", "name", sbx_env_name(e), "kind",
				   json_string_value(json_object_get(sbx_env_manifest(e), "kind")),
				   "problems");
	sbx_check_policy *pol = sbx_env_policy(e, err);
	cleanup_free char *pkg = o->package_dir ? strdup(o->package_dir) : package_dir_default();
	if (report == NULL || pol == NULL || pkg == NULL) {
		sbx_error_set(err, ENOMEM, "env check");
		json_decref(report);
		sbx_check_policy_free(pol);
		sbx_env_free(e);
		return NULL;
	}
	check_digest(e, state, report);

	/* the zygote's own complaints, for the report when it fails */
	int log = memfd_create("stratbox-env-check", MFD_CLOEXEC);
	struct sbx_pool_options po = { .warm = 1, .cgroup_parent = o->cgroup_parent,
				       .package_dir = pkg, .policy = pol, .log_fd = log };
	sbx_env_pool_options(e, &po);
	sbx_pool *pool = NULL;
	sbx_error *perr = NULL;
	uint64_t t0 = now_ns();
	if (sbx_pool_start(&po, &pool, &perr) < 0) {
		char tail[800] = "";
		if (log >= 0) {
			off_t end = lseek(log, 0, SEEK_END);
			off_t from = end > 700 ? end - 700 : 0;
			ssize_t n = pread(log, tail, sizeof(tail) - 1, from);
			tail[n > 0 ? n : 0] = '\0';
		}
		problem(report, "zygote: %s%s%s", perr->msg, tail[0] ? "; its output ends: " : "",
			tail);
		sbx_error_free(perr);
	} else {
		/* the first job waits for the zygote's first slot: part of a
		 * first use, as a service sees it */
		struct sbx_job_result r = { 0 };
		run_job(pool, "first job", "x = 1\n", &r, report);
		json_object_set_new(report, "zygote_start_ms",
				    json_real((double) (now_ns() - t0) / 1e6));
		sbx_job_result_clear(&r);
		struct sbx_pool_stats st;
		sbx_pool_stats(pool, &st);
		json_object_set_new(report, "versions", json_string(st.versions));
		check_modules(pool, e, pol, report);
		check_latency(pool, o->jobs ? o->jobs : 20, report);
		check_capabilities(pool, pkg, e, report);
		sbx_pool_stop(pool);
	}
	if (log >= 0)
		close(log);
	*ok = json_array_size(json_object_get(report, "problems")) == 0;
	json_object_set_new(report, "ok", json_boolean(*ok));
	sbx_check_policy_free(pol);
	sbx_env_free(e);
	return report;
}
