/* stratbox: run untrusted code in a Linux sandbox and report one verdict.
 * The command table; each subcommand lives in its own file. */
#include "cli/cli.h"
#include "stratbox/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", cmd_run, "run a command in a fresh sandbox and report its verdict" },
	{ "exec", cmd_exec, "run Python strategy code in the sandboxed Python runtime" },
	{ "backtest", cmd_backtest, "backtest a strategy class over bars: the engine fills its orders" },
	{ "check", cmd_check, "statically check Python strategy code against the policy" },
	{ "serve", cmd_serve, "the HTTP service: durable jobs over HTTP on one warm pool" },
	{ "worker", cmd_worker, "run the jobs of a serve --queue from Redis, on any machine" },
	{ "env", cmd_env, "environments strategies run on: import an image, add, list, check, rm" },
	{ "ps", cmd_ps, "the sandboxes and pools running on this machine" },
	{ "kill", cmd_kill, "end one sandbox or pool listed by ps" },
	{ "cleanup", cmd_cleanup, "remove what killed sandboxes and pools left behind" },
	{ "doctor", cmd_doctor, "check that this machine can run sandboxes" },
};

void cli_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("stratbox: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_err_at(const char *file, const struct sbx_error *err)
{
	if (err->line > 0)
		cli_err("%s:%u:%u: %s", file, err->line, err->col, err->msg);
	else
		cli_err("%s: %s", file, err->msg);
}

int cli_bad_value(const char *opt, const char *val, const char *why)
{
	cli_err("invalid value '%s' for --%s: %s", val, opt, why);
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: stratbox COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun `stratbox COMMAND --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	cli_err("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
