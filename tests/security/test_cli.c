/* The command line's exit codes for its own usage errors (docs/cli.md):
 * `run` keeps docker run's 125, every other command and the command line
 * as a whole exit 2.  Nothing runs and nothing goes to stdout, so a
 * caller reading --json output never mistakes an error for a result. */
#include "sec.h"
#include "tests.h"

struct usage_case {
	const char *why;
	const char *args[8]; /* after "stratbox", NULL-terminated */
	const char *says;    /* in stderr, or NULL */
};

static void expect_usage_errors(const struct usage_case *cases, size_t n, int want)
{
	for (size_t i = 0; i < n; i++) {
		const char *argv[10] = { test_stratbox() };
		size_t k = 1;
		for (const char *const *a = cases[i].args; *a; a++)
			argv[k++] = *a;
		argv[k] = NULL;
		struct test_output o;
		test_run(&(struct test_cmd){ .argv = argv, .err = TEST_STDERR_CAPTURE }, &o);
		CHECK(o.exit_code == want, "%s: exit %d, want %d; stderr: %.300s", cases[i].why,
		      o.exit_code, want, o.err);
		CHECK(o.out[0] == '\0', "%s: printed on stdout: %.300s", cases[i].why, o.out);
		CHECK(o.err[0] != '\0', "%s: no word on stderr", cases[i].why);
		if (cases[i].says)
			CHECK(strstr(o.err, cases[i].says) != NULL, "%s: no \"%s\" in: %.300s",
			      cases[i].why, cases[i].says, o.err);
		test_output_free(&o);
	}
}

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

void t_no_or_unknown_command_exits_2(void)
{
	static const struct usage_case cases[] = {
		{ "no command", { NULL }, "usage:" },
		{ "unknown command", { "frobnicate", NULL }, "unknown command 'frobnicate'" },
		{ "an option for no command", { "--json", NULL }, "unknown command '--json'" },
	};
	expect_usage_errors(cases, NCASES(cases), 2);
}

void t_run_usage_error_exits_125(void)
{
	static const struct usage_case cases[] = {
		{ "unknown option", { "run", "--no-such-option", "--", "/bin/true", NULL },
		  "--no-such-option" },
		{ "missing value", { "run", "--memory", NULL }, "--memory" },
		{ "bad value", { "run", "--memory", "12Q", "--", "/bin/true", NULL },
		  "invalid value '12Q' for --memory" },
		{ "out of range", { "run", "--pids", "1", "--", "/bin/true", NULL }, "--pids" },
		{ "no command", { "run", NULL }, "no command given" },
		{ "no command after --", { "run", "--json", "--", NULL }, "no command given" },
	};
	expect_usage_errors(cases, NCASES(cases), 125);
}

void t_exec_usage_error_exits_2(void)
{
	static const struct usage_case cases[] = {
		{ "unknown option", { "exec", "--no-such-option", "x.py", NULL }, "--no-such-option" },
		{ "missing value", { "exec", "x.py", "--timeout", NULL }, "--timeout" },
		{ "bad value", { "exec", "--parallel", "0", "x.py", NULL },
		  "invalid value '0' for --parallel" },
		{ "no code", { "exec", NULL }, "give either CODE.py or --batch" },
		{ "two files", { "exec", "a.py", "b.py", NULL }, "give either CODE.py or --batch" },
		{ "code and a batch", { "exec", "--batch", "jobs.jsonl", "a.py", NULL },
		  "give either CODE.py or --batch" },
	};
	expect_usage_errors(cases, NCASES(cases), 2);
}

void t_check_usage_error_exits_2(void)
{
	static const struct usage_case cases[] = {
		{ "unknown option", { "check", "--no-such-option", "x.py", NULL }, "--no-such-option" },
		{ "missing value", { "check", "--policy", NULL }, "'--policy' needs a value" },
		{ "no file", { "check", NULL }, "usage:" },
		{ "two files", { "check", "a.py", "b.py", NULL }, "one file at a time" },
	};
	expect_usage_errors(cases, NCASES(cases), 2);
}

void t_doctor_usage_error_exits_2(void)
{
	static const struct usage_case cases[] = {
		{ "unknown option", { "doctor", "--no-such-option", NULL }, "--no-such-option" },
		{ "missing value", { "doctor", "--cgroup-parent", NULL },
		  "'--cgroup-parent' needs a value" },
		{ "an argument", { "doctor", "now", NULL }, "'now'" },
	};
	expect_usage_errors(cases, NCASES(cases), 2);
}

/* --help is not an error: exit 0, the usage on stdout. */
void t_help_exits_0_with_usage_on_stdout(void)
{
	static const char *const cmds[] = { NULL, "run", "exec", "check", "doctor" };
	for (size_t i = 0; i < NCASES(cmds); i++) {
		const char *argv[] = { test_stratbox(), cmds[i] ? cmds[i] : "--help",
				       cmds[i] ? "--help" : NULL, NULL };
		struct test_output o;
		test_run(&(struct test_cmd){ .argv = argv, .err = TEST_STDERR_CAPTURE }, &o);
		CHECK(o.exit_code == 0, "%s --help: exit %d", cmds[i] ? cmds[i] : "", o.exit_code);
		CHECK(strstr(o.out, "usage: stratbox") != NULL, "%s --help: %.300s",
		      cmds[i] ? cmds[i] : "", o.out);
		test_output_free(&o);
	}
}
