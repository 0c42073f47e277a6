/* `stratbox serve` and `stratbox worker` in the static stratbox binary: run
 * stratbox-serve, found next to this executable, with the same arguments.
 *
 * The service links libmicrohttpd (and, for TLS, GnuTLS with p11-kit),
 * which Debian ships without the static libraries a static link needs; the
 * sandbox's own front ends stay static (a launch is budgeted in
 * milliseconds, bench/README.md), and the service, a long-lived process,
 * is the same CLI linked dynamically with src/cli/cmd_serve.c. */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int exec_serve_binary(int argc, char **argv)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		cli_err("%s: cannot find this executable: %s", argv[0], strerror(errno));
		return EXIT_SANDBOX_FAILURE;
	}
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL || (size_t) (slash - exe) + sizeof("/stratbox-serve") > sizeof(exe)) {
		cli_err("%s: cannot find stratbox-serve beside %s", argv[0], exe);
		return EXIT_SANDBOX_FAILURE;
	}
	strcpy(slash + 1, "stratbox-serve");
	char **args = calloc((size_t) argc + 2, sizeof(*args));
	if (args == NULL)
		return EXIT_SANDBOX_FAILURE;
	args[0] = (char *) "stratbox";
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	execv(exe, args);
	cli_err("%s: cannot run %s: %s (make builds it beside stratbox)", argv[0], exe,
		strerror(errno));
	free(args);
	return EXIT_SANDBOX_FAILURE;
}

int cmd_serve(int argc, char **argv)
{
	return exec_serve_binary(argc, argv);
}

/* the worker links hiredis, and shares the server's job code */
int cmd_worker(int argc, char **argv)
{
	return exec_serve_binary(argc, argv);
}
