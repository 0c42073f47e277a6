/* stratbox worker: runs the jobs a `stratbox serve --queue URL` publishes
 * (include/stratbox/worker.h, docs/deploy.md).  Options in, the worker
 * started, SIGTERM or SIGINT waited for, then the graceful stop.
 *
 * Linked into stratbox-serve only, like cmd_serve.c (it needs hiredis);
 * the static stratbox's `worker` runs that binary (serve-exec.c). */
#include "cli/cli.h"
#include "common/parse.h"
#include "common/util.h"
#include "stratbox/worker.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char worker_usage[] =
	"usage: stratbox worker --queue URL [OPTIONS]\n"
	"\n"
	"  --queue URL               the Redis the server publishes jobs to:\n"
	"                            redis://[USER:PASSWORD@]HOST[:PORT][/DB],\n"
	"                            rediss://HOST:PORT?cacert=CA&cert=PEM&key=PEM (TLS) or\n"
	"                            unix:///PATH/TO/SOCKET\n"
	"  --workers N               jobs run at once, on one warm pool (2)\n"
	"  --data-dir DIR            backtest symbols are DIR/NAME.csv: the same files as the\n"
	"                            server's and every other worker's (default: the bundled data)\n"
	"  --policy FILE             validator policy (JSON): the same as the server's\n"
	"  --env-dir DIR             the environments jobs' \"env\" names: the same names as\n"
	"                            the server's (default $STRATBOX_STATE_DIR or /var/lib/stratbox)\n"
	"  --cgroup-parent PATH      where job cgroups go (see stratbox run --help)\n"
	"  --visibility-timeout DUR  a job whose worker is silent this long is taken by\n"
	"                            another (30s; the server's value)\n"
	"\n"
	"SIGTERM or SIGINT: no new jobs, running ones finish and send their results.\n"
	"A worker killed mid-job loses nothing: another takes the job after the\n"
	"visibility timeout.  docs/deploy.md has the layout.\n";

enum { O_QUEUE = 256, O_WORKERS, O_DATA_DIR, O_POLICY, O_CGROUP_PARENT, O_VISIBILITY, O_ENV_DIR,
       O_HELP };

static const struct option options[] = {
	{ "queue", required_argument, NULL, O_QUEUE },
	{ "workers", required_argument, NULL, O_WORKERS },
	{ "data-dir", required_argument, NULL, O_DATA_DIR },
	{ "policy", required_argument, NULL, O_POLICY },
	{ "env-dir", required_argument, NULL, O_ENV_DIR },
	{ "cgroup-parent", required_argument, NULL, O_CGROUP_PARENT },
	{ "visibility-timeout", required_argument, NULL, O_VISIBILITY },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

/* --visibility-timeout, shared with serve: from 1 s to a day. */
void cli_take_stop_signals(sigset_t *set)
{
	/* the sandbox clears the mask in what it starts */
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int cli_parse_visibility(const char *arg, unsigned *ms)
{
	uint64_t ns = 0;
	const char *why = NULL;
	if (parse_duration(arg, &ns, &why) < 0 || ns < 1000000000ull ||
	    ns > 86400ull * 1000000000ull)
		return cli_bad_value("visibility-timeout", arg, why ? why : "from 1s to 24h");
	*ms = (unsigned) (ns / 1000000u);
	return 0;
}

int cmd_worker(int argc, char **argv)
{
	struct sbx_worker_options o = { .log_fd = 2 };
	optind = 1;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		uint64_t v = 0;
		const char *why = NULL;
		switch (opt) {
		case O_QUEUE: o.queue_url = optarg; break;
		case O_WORKERS:
			if (parse_u64(optarg, &v, &why) < 0 || v < 1 || v > 256)
				return cli_bad_value("workers", optarg, why ? why : "from 1 to 256"), 2;
			o.workers = (unsigned) v;
			break;
		case O_DATA_DIR: o.data_dir = optarg; break;
		case O_POLICY: o.policy_path = optarg; break;
		case O_ENV_DIR: o.env_dir = optarg; break;
		case O_CGROUP_PARENT: o.cgroup_parent = optarg; break;
		case O_VISIBILITY:
			if (cli_parse_visibility(optarg, &o.visibility_ms) < 0)
				return 2;
			break;
		case 'h':
		case O_HELP: fputs(worker_usage, stdout); return 0;
		default:
			cli_err("unknown or incomplete option '%s' (see stratbox worker --help)",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		cli_err("worker takes no arguments (extra argument '%s')", argv[optind]);
		return 2;
	}
	if (o.queue_url == NULL) {
		cli_err("give the queue: --queue redis://HOST:PORT (see stratbox worker --help)");
		return 2;
	}
	sigset_t set;
	cli_take_stop_signals(&set);
	cleanup_error sbx_error *err = NULL;
	struct sbx_worker *w = NULL;
	if (sbx_worker_start(&o, &w, &err) < 0) {
		cli_err("%s", err->msg);
		return err->kind == SBX_ERR_INVALID || err->kind == SBX_ERR_SYNTAX ? 2 : EXIT_SANDBOX_FAILURE;
	}
	int sig = 0;
	sigwait(&set, &sig);
	sbx_worker_stop(w);
	return 0;
}
