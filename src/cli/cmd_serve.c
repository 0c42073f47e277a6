/* stratbox serve: the HTTP service (include/stratbox/server.h,
 * docs/http-api.md).  Options in, the server started, SIGTERM or SIGINT
 * waited for, then the graceful stop.
 *
 * Linked into stratbox-serve only (the Makefile says why): the static
 * stratbox binary's `serve` is src/cli/serve-exec.c, which runs this one. */
#include "cli/cli.h"
#include "common/parse.h"
#include "common/util.h"
#include "stratbox/server.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char serve_usage[] =
	"usage: stratbox serve --state-dir DIR [OPTIONS]\n"
	"\n"
	"  --listen HOST:PORT    where to listen (127.0.0.1:8080; port 0: any free one)\n"
	"  --state-dir DIR       the job database (DIR/jobs.db) and reports (DIR/reports/)\n"
	"  --workers N           jobs run at once, on one warm pool (2)\n"
	"  --token-file FILE     bearer tokens, NAME TOKEN a line; each NAME is a tenant.\n"
	"                        Without it: one tenant, loopback only\n"
	"  --max-queue N         queued jobs before new ones get 429 (1000)\n"
	"  --max-body SIZE       request body limit (16M)\n"
	"  --data-dir DIR        backtest symbols are DIR/NAME.csv (default: the bundled data)\n"
	"  --policy FILE         validator policy (JSON); replaces environments' allow-lists\n"
	"  --env-dir DIR         the environments jobs' \"env\" names (stratbox env --help;\n"
	"                        default $STRATBOX_STATE_DIR or /var/lib/stratbox)\n"
	"  --cgroup-parent PATH  where job cgroups go (see stratbox run --help)\n"
	"  --tenant-max-running N  a tenant's jobs queued or running at once before its\n"
	"                        new ones get 429 (no limit)\n"
	"  --drain-timeout TIME  on SIGTERM, how long running jobs may finish before they\n"
	"                        are killed and queued again for the next start (60s)\n"
	"  --retention TIME      ended jobs, their results and reports, are deleted after\n"
	"                        this (7d; e.g. 30m, 12h, 30d)\n"
	"  --tls-cert FILE       HTTPS: the certificate (chain), PEM\n"
	"  --tls-key FILE        HTTPS: its private key, PEM\n"
	"  --plain-http          allow plain HTTP beyond loopback (a TLS proxy in front)\n"
	"  --request-timeout TIME  close a connection idle this long, e.g. a client that\n"
	"                        never finishes its request (60s)\n"
	"  --queue URL           run no job here: publish them to Redis for `stratbox worker`s\n"
	"                        (redis://[USER:PASSWORD@]HOST[:PORT][/DB], rediss://... with\n"
	"                        ?cacert=CA&cert=PEM&key=PEM for TLS, unix:///PATH)\n"
	"  --visibility-timeout DUR  with --queue: a job whose worker is silent this long\n"
	"                        is taken by another, and one Redis lost is published\n"
	"                        again (30s)\n"
	"\n"
	"SIGTERM or SIGINT: no new jobs, running ones finish (within --drain-timeout),\n"
	"queued ones wait in the state directory for the next start.  The API is\n"
	"docs/http-api.md.\n";

enum { O_LISTEN = 256, O_STATE_DIR, O_WORKERS, O_TOKEN_FILE, O_MAX_QUEUE, O_MAX_BODY, O_DATA_DIR,
       O_POLICY, O_CGROUP_PARENT, O_TENANT_MAX, O_DRAIN, O_RETENTION, O_TLS_CERT, O_TLS_KEY,
       O_PLAIN_HTTP, O_REQUEST_TIMEOUT, O_QUEUE, O_VISIBILITY, O_ENV_DIR,
       O_HELP };

static const struct option options[] = {
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "state-dir", required_argument, NULL, O_STATE_DIR },
	{ "workers", required_argument, NULL, O_WORKERS },
	{ "token-file", required_argument, NULL, O_TOKEN_FILE },
	{ "max-queue", required_argument, NULL, O_MAX_QUEUE },
	{ "max-body", required_argument, NULL, O_MAX_BODY },
	{ "data-dir", required_argument, NULL, O_DATA_DIR },
	{ "policy", required_argument, NULL, O_POLICY },
	{ "env-dir", required_argument, NULL, O_ENV_DIR },
	{ "cgroup-parent", required_argument, NULL, O_CGROUP_PARENT },
	{ "tenant-max-running", required_argument, NULL, O_TENANT_MAX },
	{ "drain-timeout", required_argument, NULL, O_DRAIN },
	{ "retention", required_argument, NULL, O_RETENTION },
	{ "tls-cert", required_argument, NULL, O_TLS_CERT },
	{ "tls-key", required_argument, NULL, O_TLS_KEY },
	{ "plain-http", no_argument, NULL, O_PLAIN_HTTP },
	{ "request-timeout", required_argument, NULL, O_REQUEST_TIMEOUT },
	{ "queue", required_argument, NULL, O_QUEUE },
	{ "visibility-timeout", required_argument, NULL, O_VISIBILITY },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

int cmd_serve(int argc, char **argv)
{
	struct sbx_server_options o = { .log_fd = 2 };
	optind = 1;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		uint64_t v = 0;
		const char *why = NULL;
		switch (opt) {
		case O_LISTEN: o.listen = optarg; break;
		case O_STATE_DIR: o.state_dir = optarg; break;
		case O_WORKERS:
			if (parse_u64(optarg, &v, &why) < 0 || v < 1 || v > 256)
				return cli_bad_value("workers", optarg, why ? why : "from 1 to 256"), 2;
			o.workers = (unsigned) v;
			break;
		case O_TOKEN_FILE: o.token_file = optarg; break;
		case O_MAX_QUEUE:
			if (parse_u64(optarg, &v, &why) < 0 || v < 1 || v > 10000000)
				return cli_bad_value("max-queue", optarg,
						     why ? why : "from 1 to 10000000"),
				       2;
			o.max_queue = (size_t) v;
			break;
		case O_MAX_BODY:
			if (parse_size(optarg, &v, &why) < 0 || v < 1024 || v > (1ull << 30))
				return cli_bad_value("max-body", optarg, why ? why : "from 1K to 1G"),
				       2;
			o.max_body = (size_t) v;
			break;
		case O_DATA_DIR: o.data_dir = optarg; break;
		case O_POLICY: o.policy_path = optarg; break;
		case O_ENV_DIR: o.env_dir = optarg; break;
		case O_CGROUP_PARENT: o.cgroup_parent = optarg; break;
		case O_TENANT_MAX:
			if (parse_u64(optarg, &v, &why) < 0 || v < 1 || v > 1000000)
				return cli_bad_value("tenant-max-running", optarg,
						     why ? why : "from 1 to 1000000"),
				       2;
			o.tenant_max_running = (size_t) v;
			break;
		case O_DRAIN:
			if (parse_duration(optarg, &v, &why) < 0 || v < 1000000 ||
			    v > 24ull * 3600 * 1000000000ull)
				return cli_bad_value("drain-timeout", optarg,
						     why ? why : "from 1ms to 24h"),
				       2;
			o.drain_timeout_ms = v / 1000000;
			break;
		case O_RETENTION:
			if (parse_duration(optarg, &v, &why) < 0 || v < 1000000000ull ||
			    v > 3650ull * 24 * 3600 * 1000000000ull)
				return cli_bad_value("retention", optarg,
						     why ? why : "from 1s to 3650d"),
				       2;
			o.retention_ms = v / 1000000;
			break;
		case O_TLS_CERT: o.tls_cert = optarg; break;
		case O_TLS_KEY: o.tls_key = optarg; break;
		case O_PLAIN_HTTP: o.plain_http = true; break;
		case O_REQUEST_TIMEOUT:
			if (parse_duration(optarg, &v, &why) < 0 || v < 1000000000ull ||
			    v > 3600ull * 1000000000ull)
				return cli_bad_value("request-timeout", optarg,
						     why ? why : "from 1s to 1h"),
				       2;
			o.request_timeout_s = (unsigned) (v / 1000000000ull);
			break;
		case O_QUEUE: o.queue_url = optarg; break;
		case O_VISIBILITY:
			if (cli_parse_visibility(optarg, &o.visibility_ms) < 0)
				return 2;
			break;
		case 'h':
		case O_HELP: fputs(serve_usage, stdout); return 0;
		default:
			cli_err("unknown or incomplete option '%s' (see stratbox serve --help)",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		cli_err("serve takes no arguments (extra argument '%s')", argv[optind]);
		return 2;
	}
	if (o.state_dir == NULL) {
		cli_err("give the state directory: --state-dir DIR (see stratbox serve --help)");
		return 2;
	}
	/* SIGTERM and SIGINT are taken by this thread alone (sigwait): every
	 * thread started below inherits the mask, and the sandbox clears it
	 * in what it starts. */
	sigset_t set;
	cli_take_stop_signals(&set);
	cleanup_error sbx_error *err = NULL;
	struct sbx_server *srv = NULL;
	if (sbx_server_start(&o, &srv, &err) < 0) {
		cli_err("%s", err->msg);
		return err->kind == SBX_ERR_INVALID || err->kind == SBX_ERR_SYNTAX ? 2 : EXIT_SANDBOX_FAILURE;
	}
	int sig = 0;
	sigwait(&set, &sig);
	sbx_server_stop(srv);
	return 0;
}
