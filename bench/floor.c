/* floor: the least any namespace sandbox can cost here, for scale beside
 * bench/sandbox.sh: clone with the namespaces stratbox and bubblewrap both
 * create (pid, mount, network, IPC, UTS, cgroup; plus user when not root),
 * exec the command, wait.  No root filesystem, no cgroup, no seccomp, no
 * privilege drop.
 *
 *   floor CMD [ARG...]      (run under spawnlat, like the other cases)
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: floor CMD [ARG...]\n");
		return 2;
	}
	long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
		     CLONE_NEWCGROUP | SIGCHLD;
	if (geteuid() != 0)
		flags |= CLONE_NEWUSER;
	pid_t pid = (pid_t) syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		perror("clone");
		return 1;
	}
	if (pid == 0) {
		execv(argv[1], argv + 1);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
