/* stratbox kill ID: end one sandbox or pool listed by `stratbox ps`
 * (docs/operations.md says what each kind does).
 *
 * Exit code: 0 when it has ended (its entry is gone), 1 when no running
 * sandbox or pool has that id, 3 when it could not be ended, 2 on a usage
 * error. */
#include "cli/cli.h"
#include "common/util.h"
#include "stratbox/sandbox.h"

#include <getopt.h>
#include <string.h>

static const char kill_usage[] =
	"usage: stratbox kill ID\n"
	"\n"
	"End a sandbox or pool listed by `stratbox ps` (ID or a unique prefix of it).\n"
	"  run      its supervisor kills it with its whole tree and cgroup; the run's\n"
	"           verdict is SANDBOX_ERROR \"killed: `stratbox kill` ended the sandbox\"\n"
	"  zygote   the same; its pool starts a new one (jobs on it end, and are retried)\n"
	"  pool     its owner (stratbox exec, serve, worker) is sent SIGTERM and stops\n"
	"           as on Ctrl-C: running jobs are interrupted, its sandboxes removed\n";

int cmd_kill(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(kill_usage, stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-' || argv[1][0] == '\0') {
		cli_err("kill: give one ID (see stratbox ps): stratbox kill ID");
		return 2;
	}
	struct sbx_entry e;
	cleanup_error sbx_error *err = NULL;
	if (sbx_entry_kill(NULL, argv[1], &e, &err) < 0) {
		cli_err("kill: %s", err->msg);
		return err->kind == SBX_ERR_INVALID ? 1 : 3;
	}
	printf("%s %s ended\n", e.kind, e.id);
	return 0;
}
