/* stratbox run: parse the limits, run the command, print the verdict.
 *
 * Exit code (docker run's convention): the command's own code, 128+signal
 * when it was killed (a limit kill is SIGKILL: 137), 125 when the sandbox
 * itself failed, 126 when the command cannot be executed, 127 when it is
 * not found.  With --json, exactly one JSON object goes to stdout. */
#include "cli/cli.h"
#include "common/parse.h"
#include "common/util.h"
#include "stratbox/sandbox.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static const char run_usage[] =
	"usage: stratbox run [OPTIONS] -- CMD [ARG...]\n"
	"\n"
	"Limits (defaults are the reference Docker set-up):\n"
	"  --memory SIZE        memory, no swap (256M); SIZE takes K/M/G\n"
	"  --pids N             processes and threads (32)\n"
	"  --cpus FLOAT         CPU quota in cores (0.5)\n"
	"  --cpu-time SEC       CPU time for the whole job (unlimited); fractions allowed\n"
	"  --wall-time SEC      wall-clock time (60)\n"
	"  --output-limit SIZE  bytes per stream, stdout and stderr each (1M)\n"
	"  --tmp-size SIZE      size of the private /tmp and /dev/shm (16M)\n"
	"Filesystem and environment:\n"
	"  --ro-bind SRC[:DST]  bind a host path read-only (repeatable); a relative SRC\n"
	"                       is from the current directory, DST defaults to SRC\n"
	"  --bind SRC[:DST]     bind a host path read-write (repeatable)\n"
	"  --follow-symlinks    follow a symlink that is the last component of a bind\n"
	"                       source (refused by default: a directory a sandbox could\n"
	"                       write may hold one planted to point anywhere on the host)\n"
	"  --env NAME=VALUE     set a variable; the environment starts empty but for\n"
	"                       PATH, HOME=/tmp and LANG=C.UTF-8 (repeatable)\n"
	"  --cwd DIR            working directory inside the sandbox (/tmp)\n"
	"  --cgroup-parent PATH create job cgroups under PATH (relative: under this\n"
	"                       process's cgroup; absolute: from the hierarchy root)\n"
	"Output:\n"
	"  --json               print one JSON verdict on stdout (see docs/verdict.md)\n";

enum {
	OPT_MEMORY = 256,
	OPT_PIDS,
	OPT_CPUS,
	OPT_CPU_TIME,
	OPT_WALL_TIME,
	OPT_OUTPUT,
	OPT_TMP,
	OPT_RO_BIND,
	OPT_BIND,
	OPT_FOLLOW,
	OPT_ENV,
	OPT_CWD,
	OPT_CGROUP_PARENT,
	OPT_JSON,
	OPT_HELP,
};

static const struct option run_opts[] = {
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "pids", required_argument, NULL, OPT_PIDS },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "cpu-time", required_argument, NULL, OPT_CPU_TIME },
	{ "wall-time", required_argument, NULL, OPT_WALL_TIME },
	{ "output-limit", required_argument, NULL, OPT_OUTPUT },
	{ "tmp-size", required_argument, NULL, OPT_TMP },
	{ "ro-bind", required_argument, NULL, OPT_RO_BIND },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "follow-symlinks", no_argument, NULL, OPT_FOLLOW },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "cwd", required_argument, NULL, OPT_CWD },
	{ "cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Apply one option to the config; -1 after printing the reason. */
static int apply_option(sbx_config *cfg, int opt, const char *name, const char *val, bool *json)
{
	cleanup_error sbx_error *err = NULL;
	const char *why = NULL;
	uint64_t v = 0;
	int r = 0;
	switch (opt) {
	case OPT_MEMORY:
	case OPT_OUTPUT:
	case OPT_TMP:
		if (parse_size(val, &v, &why) < 0)
			return cli_bad_value(name, val, why);
		r = opt == OPT_MEMORY ? sbx_config_set_memory(cfg, v, &err)
		    : opt == OPT_OUTPUT ? sbx_config_set_output_limit(cfg, v, &err)
					: sbx_config_set_tmp_size(cfg, v, &err);
		break;
	case OPT_PIDS:
		if (parse_u64(val, &v, &why) < 0)
			return cli_bad_value(name, val, why);
		r = sbx_config_set_pids(cfg, v, &err);
		break;
	case OPT_CPUS:
		if (parse_cpus(val, &v, &why) < 0)
			return cli_bad_value(name, val, why);
		r = sbx_config_set_cpus(cfg, v, &err);
		break;
	case OPT_CPU_TIME:
	case OPT_WALL_TIME:
		if (parse_duration(val, &v, &why) < 0)
			return cli_bad_value(name, val, why);
		r = opt == OPT_CPU_TIME ? sbx_config_set_cpu_time(cfg, v, &err)
					: sbx_config_set_wall_time(cfg, v, &err);
		break;
	case OPT_RO_BIND:
	case OPT_BIND: {
		cleanup_free char *src = strdup(val);
		if (src == NULL)
			return -1;
		char *dst = strchr(src, ':');
		if (dst != NULL)
			*dst++ = '\0';
		/* a relative source is relative to here, as in a shell, made
		 * absolute without resolving it (realpath would follow a
		 * symlink in the last component, which the sandbox refuses
		 * without --follow-symlinks); the destination keeps its name
		 * inside the sandbox */
		cleanup_free char *cwd = src[0] && src[0] != '/' ? getcwd(NULL, 0) : NULL;
		cleanup_free char *abs = NULL;
		if (cwd != NULL && asprintf(&abs, "%s/%s", cwd, src) < 0)
			abs = NULL;
		if (src[0] && src[0] != '/' && abs == NULL) {
			cli_err("--%s: %s: %s", name, src, strerror(errno));
			return -1;
		}
		r = sbx_config_add_bind(cfg, abs ? abs : src, dst, opt == OPT_BIND, &err);
		break;
	}
	case OPT_FOLLOW:
		sbx_config_set_follow_symlinks(cfg, true);
		break;
	case OPT_ENV:
		r = sbx_config_add_env(cfg, val, &err);
		break;
	case OPT_CWD:
		r = sbx_config_set_cwd(cfg, val, &err);
		break;
	case OPT_CGROUP_PARENT:
		r = sbx_config_set_cgroup_parent(cfg, val, &err);
		break;
	case OPT_JSON:
		*json = true;
		break;
	default:
		return -1;
	}
	if (r < 0) {
		cli_err("--%s: %s", name, err ? err->msg : "invalid");
		return -1;
	}
	return 0;
}

/* SIGINT, SIGTERM and SIGHUP stop the run cleanly (sandbox killed, cgroup
 * removed) instead of killing stratbox mid-way. */
static int cancel_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Parse the options and command into a new config.  NULL with *rc set
 * for --help (0) or an error (125, already reported). */
static sbx_config *parse_args(int argc, char **argv, bool *json, int *rc)
{
	sbx_config *cfg = sbx_config_new();
	sbx_error *err = NULL;
	*rc = EXIT_SANDBOX_FAILURE;
	if (cfg == NULL) {
		cli_err("out of memory");
		return NULL;
	}
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", run_opts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			fputs(run_usage, stdout);
			*rc = 0;
			goto fail;
		}
		if (opt == '?') {
			cli_err("unknown or incomplete option '%s' (see stratbox run --help)",
				argv[optind - 1]);
			goto fail;
		}
		const char *name = "?";
		for (const struct option *o = run_opts; o->name; o++)
			if (o->val == opt)
				name = o->name;
		if (apply_option(cfg, opt, name, optarg, json) < 0)
			goto fail;
	}
	if (optind >= argc) {
		cli_err("no command given: stratbox run [OPTIONS] -- CMD [ARG...]");
		goto fail;
	}
	if (sbx_config_set_argv(cfg, argc - optind, argv + optind, &err) < 0) {
		cli_err("%s", err->msg);
		sbx_error_free(err);
		goto fail;
	}
	return cfg;
fail:
	sbx_config_free(cfg);
	return NULL;
}

int cmd_run(int argc, char **argv)
{
	bool json = false;
	int rc;
	sbx_config *cfg = parse_args(argc, argv, &json, &rc);
	if (cfg == NULL)
		return rc;

	signal(SIGPIPE, SIG_IGN);
	int cancel = cancel_signals();
	sbx_config_set_cancel_fd(cfg, cancel);
	sbx_config_set_output(cfg, json ? SBX_OUTPUT_CAPTURE : SBX_OUTPUT_PASSTHROUGH, 1, 2);

	sbx_verdict v;
	cleanup_error sbx_error *err = NULL;
	sbx_run(cfg, &v, &err);
	if (json) {
		char *s = sbx_verdict_to_json(&v);
		if (s != NULL) {
			puts(s);
			free(s);
		}
	} else if (v.status != SBX_OK && v.status != SBX_NONZERO_EXIT && v.status != SBX_SIGNALED) {
		cli_err("%s: %s", sbx_status_name(v.status), v.message ? v.message : "");
	} else if (v.unenforced[0]) {
		cli_err("warning: %s", v.message);
	}
	rc = v.exit_code;
	sbx_verdict_clear(&v);
	if (cancel >= 0)
		close(cancel);
	sbx_config_free(cfg);
	return rc;
}
