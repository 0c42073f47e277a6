/* stratbox cleanup: remove what killed supervisors left (stale run
 * entries, their cgroups, stale job cgroups, stratbox's temporary files in
 * the state directory), naming each thing; never anything a live
 * supervisor holds, nor anything stratbox did not make (docs/operations.md).
 *
 * Exit code: 0 (whether or not there was anything to remove), 1 when the
 * run directory cannot be used, 2 on a usage error. */
#include "cli/cli.h"
#include "common/parse.h"
#include "common/util.h"
#include "stratbox/env.h"
#include "stratbox/sandbox.h"

#include <getopt.h>
#include <string.h>

static const char cleanup_usage[] =
	"usage: stratbox cleanup [--dry-run] [--older-than DURATION] [--state-dir DIR]\n"
	"                        [--cgroup-parent PATH]\n"
	"\n"
	"Remove what killed supervisors left: stale entries of the run directory, their\n"
	"cgroups and any job cgroup whose maker is gone, and stratbox's temporary files\n"
	"in the state directory (envs/.tmp-*, reports/*.html.tmp.*).  Each is named on\n"
	"stdout.  Nothing a live sandbox or pool holds is touched.\n"
	"\n"
	"  --dry-run             name what would be removed, remove nothing\n"
	"  --older-than DURATION only what is older (30s, 10m, 2h, 7d); temporary files:\n"
	"                        untouched for that long (default 10m: a live import\n"
	"                        holds no lock stratbox can test)\n"
	"  --state-dir DIR       the state directory (STRATBOX_STATE_DIR; default\n"
	"                        /var/lib/stratbox as root, else $XDG_DATA_HOME/stratbox)\n"
	"  --cgroup-parent PATH  also sweep job cgroups there (as stratbox run's option)\n";

struct printed {
	bool dry_run;
};

static void removed(void *ctx, const char *what, const char *path)
{
	const struct printed *p = ctx;
	printf("%s %s %s\n", p->dry_run ? "would remove" : "removed", what, path);
}

int cmd_cleanup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "older-than", required_argument, NULL, 'o' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "cgroup-parent", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sbx_cleanup_options o = { 0 };
	const char *state = NULL, *why = NULL;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': o.dry_run = true; break;
		case 'o':
			if (parse_duration(optarg, &o.older_than_ns, &why) < 0) {
				cli_bad_value("older-than", optarg, why);
				return 2;
			}
			break;
		case 's': state = optarg; break;
		case 'c': o.cgroup_parent = optarg; break;
		case 'h': fputs(cleanup_usage, stdout); return 0;
		default:
			cli_err("cleanup: unknown or incomplete option '%s' (see stratbox cleanup --help)",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		cli_err("cleanup: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	/* the environments' state directory, as `stratbox env` finds it; none
	 * (no $HOME, say): only the run directory and cgroups are swept */
	cleanup_free char *sdir = sbx_env_state_dir(state, NULL);
	o.state_dir = sdir;
	struct printed p = { o.dry_run };
	cleanup_error sbx_error *err = NULL;
	int n = sbx_cleanup(&o, removed, &p, &err);
	if (n < 0) {
		cli_err("cleanup: %s", err->msg);
		return 1;
	}
	if (n == 0)
		printf("nothing to remove\n");
	return 0;
}
