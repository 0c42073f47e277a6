/* The command-line front end: one small file per subcommand, each parsing
 * its arguments, calling the library and printing the result. */
#ifndef STRATBOX_CLI_H
#define STRATBOX_CLI_H

#include <signal.h>
#include <stdbool.h>

int cmd_run(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_backtest(int argc, char **argv);
int cmd_env(int argc, char **argv);
/* --env and --state-dir, the same in every command (cmd_env.c): the state
 * directory (NULL after saying why), an open environment (NULL or "host":
 * the host's; -1 after saying why), the policy that applies (--policy
 * FILE overrides the environment's allow-list; NULL after saying why). */
struct sbx_env;
struct sbx_check_policy;
char *cli_state_dir(const char *opt);
int cli_env_open(const char *state_opt, const char *name, struct sbx_env **out);
struct sbx_check_policy *cli_env_policy(const char *policy_path, const struct sbx_env *env);
int cmd_ps(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);
/* cmd_serve.c and cmd_worker.c in stratbox-serve; serve-exec.c (which
 * runs that) in stratbox */
int cmd_serve(int argc, char **argv);
int cmd_worker(int argc, char **argv);
/* --visibility-timeout (serve and worker): a duration from 1 s to 24 h, in
 * ms; -1 after saying what is wrong. */
int cli_parse_visibility(const char *arg, unsigned *ms);
/* For the long-running commands (serve, worker): SIGTERM and SIGINT
 * blocked in every thread started after this, to be taken by sigwait(set)
 * in this one; SIGPIPE ignored. */
void cli_take_stop_signals(sigset_t *set);

/* For the commands that run jobs on a pool (exec, backtest; interrupt.c):
 * SIGINT, SIGTERM and SIGHUP blocked in every thread started after this
 * and taken by one of ours, which sets a flag and makes the returned
 * eventfd readable (a job's cancel_fd); -1 when it cannot.  A second
 * signal ends the process at once. */
int cli_interrupt_start(void);
/* The flag, for a backtest's cancel (bt_job). */
const volatile int *cli_interrupt_flag(void);
/* The signal taken, or 0 while none was. */
int cli_interrupted(void);

/* Print "stratbox: <fmt>" to stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct sbx_error;
/* Print an error about a file: "stratbox: FILE:LINE:COL: MSG" when the
 * error has a position, else "stratbox: FILE: MSG". */
void cli_err_at(const char *file, const struct sbx_error *err);
/* "invalid value 'VAL' for --OPT: WHY", the same words in every command;
 * returns -1. */
int cli_bad_value(const char *opt, const char *val, const char *why);

/* Exit code for errors of stratbox itself (docker run's convention), which
 * `run` uses for its usage errors too; every other command exits 2 on a
 * usage error.  docs/cli.md has every command's exit codes in one table. */
#define EXIT_SANDBOX_FAILURE 125

#endif
