/* stratbox env: the environments strategies run on (docs/environments.md).
 *
 *   env import NAME IMAGE.tar   a Docker or OCI image archive, without Docker
 *   env add NAME --rootfs DIR   an unpacked root filesystem
 *   env add NAME --venv DIR     a virtualenv on the host's Python
 *   env add NAME --host         the host's Python with more modules allowed
 *   env list [--json]
 *   env check NAME [--json]     start it, import, time, re-prove the hook
 *   env rm NAME
 *
 * Exit 0 on success, 1 when `env check` finds a problem or an import or
 * add is refused (a bad image, no CPython 3.11), 2 on a usage error. */
#include "cli/cli.h"
#include "common/util.h"
#include "stratbox/env.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char env_usage[] =
	"usage: stratbox env import NAME IMAGE.tar [--allow M,...] [--preload M,...] [--native]\n"
	"       stratbox env add NAME (--rootfs DIR | --venv DIR | --host) [--allow M,...]\n"
	"                             [--preload M,...] [--native]\n"
	"       stratbox env list [--json]\n"
	"       stratbox env check NAME [--json] [--jobs N]\n"
	"       stratbox env rm NAME\n"
	"options for all: --state-dir DIR (default $STRATBOX_STATE_DIR, /var/lib/stratbox as\n"
	"root, $XDG_DATA_HOME/stratbox otherwise); --cgroup-parent PATH (add, import, check)\n"
	"\n"
	"An environment is what strategies run on: a root filesystem (an image) or\n"
	"the host's, the Python in it, the modules its zygote preloads, and the\n"
	"import allow-list (the default one plus --allow). Use it with --env NAME on\n"
	"check, exec and backtest, and \"env\" in the service's requests.\n"
	"--native: the allowed libraries need ctypes in the process (scipy, statsmodels,\n"
	"scikit-learn do); strategies still may not import it (docs/environments.md).\n";

/* "a,b,c" into a NULL-terminated vector of the pieces (one allocation). */
static char **split_csv(const char *s, size_t *n)
{
	size_t cap = 2;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	char **v = calloc(cap, sizeof(*v));
	char *copy = strdup(s);
	if (v == NULL || copy == NULL) {
		free(v);
		free(copy);
		return NULL;
	}
	*n = 0;
	for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		v[(*n)++] = t;
	if (*n == 0)
		free(copy);
	return v;
}

static void free_csv(char **v, size_t n)
{
	if (v && n)
		free(v[0]);
	free(v);
}

char *cli_state_dir(const char *opt)
{
	cleanup_error sbx_error *err = NULL;
	char *s = sbx_env_state_dir(opt, &err);
	if (s == NULL)
		cli_err("%s", err->msg);
	return s;
}

int cli_env_open(const char *state_opt, const char *name, sbx_env **out)
{
	cleanup_free char *state = NULL;
	if (name != NULL && strcmp(name, "host") != 0 && (state = cli_state_dir(state_opt)) == NULL)
		return -1;
	cleanup_error sbx_error *err = NULL;
	if (sbx_env_open(state, name, out, &err) < 0) {
		cli_err("--env %s: %s", name, err->msg);
		return -1;
	}
	return 0;
}

sbx_check_policy *cli_env_policy(const char *policy_path, const sbx_env *env)
{
	cleanup_error sbx_error *err = NULL;
	sbx_check_policy *p = policy_path ? sbx_check_policy_load(policy_path, &err)
			      : env	  ? sbx_env_policy(env, &err)
					  : sbx_check_policy_default();
	if (p == NULL)
		cli_err("%s", err ? err->msg : "out of memory");
	return p;
}

struct env_args {
	const char *state, *name, *source, *kind, *cgroup_parent;
	char **allow, **preload;
	size_t nallow, npreload;
	bool json, has_preload, native;
	unsigned jobs;
};

static int parse(int argc, char **argv, const char *sub, struct env_args *a)
{
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i];
		bool has = i + 1 < argc;
		if (strcmp(o, "--json") == 0) {
			a->json = true;
		} else if (strcmp(o, "--host") == 0) {
			a->kind = "host";
		} else if (strcmp(o, "--native") == 0) {
			a->native = true;
		} else if ((strcmp(o, "--state-dir") == 0 || strcmp(o, "--rootfs") == 0 ||
			    strcmp(o, "--venv") == 0 || strcmp(o, "--allow") == 0 ||
			    strcmp(o, "--preload") == 0 || strcmp(o, "--jobs") == 0 ||
			    strcmp(o, "--cgroup-parent") == 0) &&
			   !has) {
			cli_err("env %s: option '%s' needs a value", sub, o);
			return -1;
		} else if (strcmp(o, "--state-dir") == 0) {
			a->state = argv[++i];
		} else if (strcmp(o, "--cgroup-parent") == 0) {
			a->cgroup_parent = argv[++i];
		} else if (strcmp(o, "--rootfs") == 0 || strcmp(o, "--venv") == 0) {
			if (a->kind) {
				cli_err("env add: one of --rootfs, --venv, --host");
				return -1;
			}
			a->kind = o + 2;
			a->source = argv[++i];
		} else if (strcmp(o, "--allow") == 0) {
			free_csv(a->allow, a->nallow);
			a->allow = split_csv(argv[++i], &a->nallow);
		} else if (strcmp(o, "--preload") == 0) {
			free_csv(a->preload, a->npreload);
			a->preload = split_csv(argv[++i], &a->npreload);
			a->has_preload = true;
		} else if (strcmp(o, "--jobs") == 0) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 1 || v > 10000)
				return cli_bad_value("jobs", argv[i], "a count from 1 to 10000");
			a->jobs = (unsigned) v;
		} else if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
			fputs(env_usage, stdout);
			exit(0);
		} else if (o[0] == '-' && o[1]) {
			cli_err("env %s: unknown option '%s'", sub, o);
			return -1;
		} else if (a->name == NULL) {
			a->name = o;
		} else if (a->source == NULL && strcmp(sub, "import") == 0) {
			a->source = o;
		} else {
			cli_err("env %s: unexpected argument '%s'", sub, o);
			return -1;
		}
	}
	return 0;
}

static void print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2));
	puts(s ? s : "null");
	free(s);
}

static int env_list(const char *state, bool json)
{
	json_t *all = NULL;
	cleanup_error sbx_error *err = NULL;
	if (sbx_env_list(state, &all, &err) < 0) {
		cli_err("env list: %s", err->msg);
		return 1;
	}
	if (json) {
		print_json(all);
	} else {
		printf("%-16s %-7s %-9s %-24s %s\n", "NAME", "KIND", "PYTHON", "DIGEST", "SOURCE");
		size_t i;
		json_t *m;
		json_array_foreach(all, i, m) {
			const char *e = json_string_value(json_object_get(m, "error"));
			const char *d = json_string_value(json_object_get(m, "digest"));
			printf("%-16s %-7s %-9s %-24.24s %s\n",
			       json_string_value(json_object_get(m, "name")),
			       e ? "?" : json_string_value(json_object_get(m, "kind")),
			       json_string_value(json_object_get(m, "python_version")) ?: "-",
			       d ? d : "-",
			       e ? e : (json_string_value(json_object_get(m, "source")) ?: "-"));
		}
	}
	json_decref(all);
	return 0;
}

static void print_check(const json_t *r)
{
	printf("environment %s (%s)\n", json_string_value(json_object_get(r, "name")),
	       json_string_value(json_object_get(r, "kind")));
	json_t *d = json_object_get(r, "digest");
	if (d)
		printf("  digest     %s (%s, %.1f s)\n", json_string_value(json_object_get(d, "computed")),
		       json_is_true(json_object_get(d, "ok")) ? "as recorded" : "CHANGED",
		       json_real_value(json_object_get(d, "seconds")));
	if (json_object_get(r, "zygote_start_ms"))
		printf("  zygote     started, first job done in %.0f ms\n",
		       json_real_value(json_object_get(r, "zygote_start_ms")));
	if (json_object_get(r, "versions"))
		printf("  versions   %s\n", json_string_value(json_object_get(r, "versions")));
	const char *k;
	json_t *v;
	size_t shown = 0, missing = 0;
	json_object_foreach(json_object_get(r, "modules"), k, v) {
		if (json_object_get(v, "error")) {
			missing++;
			continue;
		}
		const char *ver = json_string_value(json_object_get(v, "version"));
		if (ver)
			printf("%s%s=%s", shown++ % 6 ? " " : (shown > 1 ? "\n             " : "  modules    "), k, ver);
	}
	if (shown)
		printf("\n");
	if (missing)
		printf("  unavailable %zu allowed module(s) do not import here\n", missing);
	json_t *w = json_object_get(r, "warm_job_ms");
	if (w)
		printf("  warm job   p50 %.2f ms, p90 %.2f ms (%lld jobs)\n",
		       json_real_value(json_object_get(w, "p50")),
		       json_real_value(json_object_get(w, "p90")),
		       (long long) json_integer_value(json_object_get(w, "jobs")));
	json_t *c = json_object_get(r, "capabilities");
	if (c)
		printf("  hook       %lld capability attempts refused over %lld reachable modules%s\n",
		       (long long) json_integer_value(json_object_get(c, "refused")),
		       (long long) json_integer_value(json_object_get(c, "reachable")),
		       json_is_true(json_object_get(c, "ok")) ? "" : "; SOME NOT REFUSED");
	size_t i;
	json_array_foreach(json_object_get(c, "conceded"), i, v)
		printf("  conceded   %s\n", json_string_value(v));
	json_array_foreach(json_object_get(r, "problems"), i, v)
		printf("  problem    %s\n", json_string_value(v));
	printf("%s\n", json_is_true(json_object_get(r, "ok")) ? "ok" : "FAILED");
}

int cmd_env(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(env_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	struct env_args a = { 0 };
	int rc = 2;
	cleanup_free char *state = NULL;
	cleanup_error sbx_error *err = NULL;
	struct sbx_env_add_options ao = { .log_fd = 2 };
	if (parse(argc, argv, sub, &a) < 0)
		goto out;
	if ((state = cli_state_dir(a.state)) == NULL)
		goto out;
	ao.allow = (const char *const *) a.allow;
	ao.nallow = a.nallow;
	ao.preload = (const char *const *) a.preload;
	ao.npreload = a.npreload;
	ao.has_preload = a.has_preload;
	ao.native = a.native;
	ao.cgroup_parent = a.cgroup_parent;
	if (strcmp(sub, "list") == 0) {
		rc = a.name ? (cli_err("env list takes no name"), 2) : env_list(state, a.json);
	} else if (a.name == NULL) {
		cli_err("env %s: which environment? (%s)", sub,
			strcmp(sub, "import") == 0 ? "env import NAME IMAGE.tar" : "a NAME");
	} else if (sbx_env_name_check(a.name, &err) < 0) {
		rc = 2; /* a name the user got wrong is a usage error */
	} else if (strcmp(sub, "import") == 0) {
		if (a.source == NULL) {
			cli_err("env import: the image archive is missing (env import NAME IMAGE.tar)");
			goto out;
		}
		rc = sbx_env_import(state, a.name, a.source, &ao, &err) < 0 ? 1 : 0;
	} else if (strcmp(sub, "add") == 0) {
		if (a.kind == NULL) {
			cli_err("env add: say what: --rootfs DIR, --venv DIR or --host");
			goto out;
		}
		rc = (strcmp(a.kind, "rootfs") == 0 ? sbx_env_add_rootfs(state, a.name, a.source, &ao, &err)
		      : strcmp(a.kind, "venv") == 0 ? sbx_env_add_venv(state, a.name, a.source, &ao, &err)
						    : sbx_env_add_host(state, a.name, &ao, &err)) < 0
			     ? 1
			     : 0;
	} else if (strcmp(sub, "rm") == 0) {
		rc = sbx_env_remove(state, a.name, &err) < 0 ? 1 : 0;
	} else if (strcmp(sub, "check") == 0) {
		bool ok = false;
		struct sbx_env_check_options co = { .jobs = a.jobs, .log_fd = 2,
						    .cgroup_parent = a.cgroup_parent };
		json_t *r = sbx_env_check(state, a.name, &co, &ok, &err);
		if (r != NULL) {
			if (a.json)
				print_json(r);
			else
				print_check(r);
			json_decref(r);
		}
		rc = ok ? 0 : 1;
	} else {
		cli_err("env: unknown subcommand '%s' (import, add, list, check, rm)", sub);
	}
	if (err != NULL) {
		cli_err("env %s %s: %s", sub, a.name ? a.name : "", err->msg);
	} else if (rc == 0 && (strcmp(sub, "import") == 0 || strcmp(sub, "add") == 0)) {
		printf("environment %s added (stratbox env check %s tries it)\n", a.name, a.name);
	} else if (rc == 0 && strcmp(sub, "rm") == 0) {
		printf("environment %s removed\n", a.name);
	}
out:
	free_csv(a.allow, a.nallow);
	free_csv(a.preload, a.npreload);
	return rc;
}
