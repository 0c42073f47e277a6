/* spawnlat: start-to-exit latency of a command, measured in C so the
 * harness adds as little as possible (posix_spawn uses vfork; stdout and
 * stderr go to /dev/null).  Prints p50, p90, p99, min and mean in ms.
 *
 *   spawnlat [-n RUNS] [-w WARMUP] [-l LABEL] -- CMD [ARG...]
 */
#include "benchstat.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;


int main(int argc, char **argv)
{
	int runs = 200, warm = 10, opt;
	const char *label = "cmd";
	while ((opt = getopt(argc, argv, "+n:w:l:")) != -1) {
		if (opt == 'n')
			runs = atoi(optarg);
		else if (opt == 'w')
			warm = atoi(optarg);
		else if (opt == 'l')
			label = optarg;
		else
			return 2;
	}
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc || runs < 1) {
		fprintf(stderr, "usage: spawnlat [-n RUNS] [-w WARMUP] [-l LABEL] -- CMD...\n");
		return 2;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	double *t = calloc((size_t) runs, sizeof(double));
	int failures = 0;
	for (int i = -warm; i < runs; i++) {
		double t0 = now_ms();
		pid_t pid;
		if (posix_spawnp(&pid, argv[optind], &fa, NULL, argv + optind, environ) != 0) {
			perror("posix_spawn");
			return 1;
		}
		int st;
		waitpid(pid, &st, 0);
		double dt = now_ms() - t0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failures++;
		if (i >= 0)
			t[i] = dt;
	}
	print_summary(label, t, runs, failures ? " (some runs failed!)" : "");
	return failures ? 1 : 0;
}
