/* Attacks on environments (docs/environments.md) end to end, through the
 * command line: a hostile image or tree (`env import`, `env add --rootfs`)
 * and then a sandbox built from it; strategy code running in an image's
 * environment; the store under concurrent and killed commands.  The claims:
 * a sandbox built from an environment sees nothing of the host's /usr or
 * any other host file, nothing an import writes lands outside the
 * environment's directory, and the store never shows half an environment.
 *
 * Hostile images are the test image of tests/env/mkimage.py (the host's
 * python3.11, numpy, pandas) with one more layer from tests/env/addlayer.py. */
#include "common/util.h"
#include "pyrt.h"
#include "stratbox/env.h"
#include "tests.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


static void a_sh(const char *cmd)
{
	CHECK(system(cmd) == 0, "%s", cmd);
}

/* argv: stratbox ARGS... --state-dir STATE [--cgroup-parent P] */
static void a_argv(const char **v, const char *state, const char *const *args)
{
	size_t n = 0;
	v[n++] = test_stratbox();
	for (size_t i = 0; args[i] && n < 24; i++)
		v[n++] = args[i];
	v[n++] = "--state-dir";
	v[n++] = state;
	if (t_cgroup_parent() != NULL && strcmp(args[0], "check") != 0) {
		v[n++] = "--cgroup-parent";
		v[n++] = t_cgroup_parent();
	}
	v[n] = NULL;
}

/* Run stratbox with stdout and stderr captured apart. */
static void a_cli(const char *state, const char *const *args, struct test_output *o)
{
	const char *v[32];
	a_argv(v, state, args);
	struct test_cmd c = { .argv = v, .err = TEST_STDERR_CAPTURE };
	test_run(&c, o);
}

/* The names in a directory, sorted, one per line ("" when none, or no directory). */
static char *a_ls(const char *dir)
{
	char *cmd = str_printf("ls -A '%s' 2>/dev/null", dir);
	FILE *f = popen(cmd, "r");
	CHECK(f != NULL, "%s", cmd);
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	pclose(f);
	free(cmd);
	return strdup(buf);
}

/* The fixture image (two layers of the host's Python, numpy, pandas) in
 * work/image.tar, and, when entries are given, work/evil.tar: it with one
 * more layer (addlayer.py's ENTRY syntax). */
static char *a_image(const char *work, const char *entries)
{
	char *tar = str_printf("%s/image.tar", work);
	if (access(tar, F_OK) != 0) {
		char *cmd = str_printf("python3 '%s/env/mkimage.py' docker '%s' >/dev/null 2>&1",
				       test_data_dir(), tar);
		a_sh(cmd);
		free(cmd);
	}
	if (entries == NULL)
		return tar;
	char *evil = str_printf("%s/evil.tar", work);
	char *cmd = str_printf("python3 '%s/env/addlayer.py' '%s' '%s' %s", test_data_dir(), tar,
			       evil, entries);
	a_sh(cmd);
	free(cmd);
	free(tar);
	return evil;
}

/* A directory standing for the host's files that a hostile tree points
 * at: the names the sandbox takes from an /etc. */
static char *a_host_secret(void)
{
	char *d = t_temp_dir("hostsecret");
	char *cmd = str_printf("mkdir -p '%s/fonts' '%s/alternatives' '%s/python3' && "
			       "for f in localtime ld.so.cache matplotlibrc fonts/f "
			       "python3/sitecustomize.py; do echo HOST-SECRET > '%s'/$f; done && "
			       "chmod -R a+rX '%s'",
			       d, d, d, d, d);
	a_sh(cmd);
	free(cmd);
	return d;
}

/* What the secret directory holds, to see that nothing was written to it. */
static char *a_snapshot(const char *dir)
{
	char *cmd = str_printf("cd '%s' && find . -printf '%%p %%y %%m %%s\\n' | sort", dir);
	FILE *f = popen(cmd, "r");
	char *all = test_read_all(fileno(f));
	pclose(f);
	free(cmd);
	return all;
}

/* An image whose top layer replaces /etc with a symlink to a host
 * directory: the sandbox built from it (the import's own probe) would
 * have bound the link target's ld.so.cache, localtime, fonts, python3,
 * alternatives (found: the probe ran and the environment was added; a job
 * read "HOST-SECRET" from /etc/localtime).  Refused now, naming the link,
 * and nothing is stored; the same for a --rootfs tree whose etc climbs
 * out with "..". */
void p_envatk_etc_symlink_out_of_tree_refused_nothing_stored(void)
{
	char *state = t_temp_dir("state"), *work = t_temp_dir("image"), *secret = a_host_secret();
	char *before = a_snapshot(secret);
	char *entries = str_printf("wh:etc sym:etc:%s", secret);
	char *evil = a_image(work, entries);
	struct test_output o;
	a_cli(state, (const char *const[]){ "env", "import", "evil", evil, NULL }, &o);
	CHECK_INT_EQ(o.exit_code, 1);
	char *want = str_printf("/etc is a symlink to %s; an environment's /etc must be a "
				"directory of its own",
				secret);
	CHECK_CONTAINS(o.err, want);
	test_output_free(&o);
	free(want);
	char *envs = str_printf("%s/envs", state);
	char *ls = a_ls(envs);
	CHECK_STR_EQ(ls, "");
	free(ls);

	/* the same through a directory: the tree unpacked by hand, its etc a
	 * relative link up and out */
	char *tree = str_printf("%s/tree", work);
	char *cmd = str_printf("mkdir '%s' && cd '%s' && tar -xf '%s/image.tar' && "
			       "for l in */layer.tar; do tar -xf $l -C '%s' 2>/dev/null || true; "
			       "done && rm -rf '%s/etc' && "
			       "ln -s ../../../../../../../../../../../..'%s' '%s/etc'",
			       tree, work, work, tree, tree, secret, tree);
	a_sh(cmd);
	a_cli(state, (const char *const[]){ "env", "add", "evil2", "--rootfs", tree, NULL }, &o);
	CHECK_INT_EQ(o.exit_code, 1);
	CHECK_CONTAINS(o.err, "/etc is a symlink to ../../../../../../../../../../../..");
	test_output_free(&o);
	ls = a_ls(envs);
	CHECK_STR_EQ(ls, "");
	free(ls);
	char *after = a_snapshot(secret);
	CHECK_STR_EQ(after, before);
	free(after);
	free(before);
	free(cmd);
	free(tree);
	free(envs);
	free(evil);
	free(entries);
	test_rm_rf(secret);
	test_rm_rf(work);
	test_rm_rf(state);
	free(secret);
	free(work);
	free(state);
}

/* usr a symlink (to "/", to "../.."), or a file; the interpreter a
 * symlink to the host's python3.11: the tree is looked at from inside
 * itself (openat2 RESOLVE_IN_ROOT), where none of them leads to a CPython,
 * so the import is refused before any sandbox is built from it (a tree
 * that did carry python3.11 below a usr link is refused by the plan:
 * tests/unit/test_env_attacks.c), and nothing is stored. */
void p_envatk_usr_or_python_link_to_host_refused(void)
{
	char *state = t_temp_dir("state"), *work = t_temp_dir("image");
	static const struct {
		const char *entries, *want;
	} cases[] = {
		{ "wh:usr sym:usr:/", "no CPython 3.11 in the image" },
		{ "wh:usr sym:usr:../..", "no CPython 3.11 in the image" },
		{ "wh:usr/bin/python3.11 sym:usr/bin/python3.11:/usr/bin/python3.11",
		  "no CPython 3.11 in the image" },
		{ "wh:usr file:usr:not-a-directory", "no CPython 3.11 in the image" },
	};
	char *envs = str_printf("%s/envs", state);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *evil = a_image(work, cases[i].entries);
		struct test_output o;
		a_cli(state, (const char *const[]){ "env", "import", "evil", evil, NULL }, &o);
		CHECK(o.exit_code == 1, "%s: exit %d: %s", cases[i].entries, o.exit_code, o.err);
		CHECK(strstr(o.err, cases[i].want) != NULL, "%s: %s", cases[i].entries, o.err);
		test_output_free(&o);
		char *ls = a_ls(envs);
		CHECK(strcmp(ls, "") == 0, "%s: left %s", cases[i].entries, ls);
		free(ls);
		free(evil);
	}
	free(envs);
	test_rm_rf(work);
	test_rm_rf(state);
	free(work);
	free(state);
}

/* `exec --json` of the code (text) under the permissive policy, in the
 * environment env (NULL: the host's). */
static void a_exec(const char *state, const char *env, const char *code, struct test_output *o)
{
	char path[] = "/tmp/stratbox-envatk-XXXXXX";
	test_temp_file(path, code);
	char pol[600];
	snprintf(pol, sizeof(pol), "%s/pyrt/permissive-policy.json", test_data_dir());
	if (env != NULL)
		a_cli(state, (const char *const[]){ "exec", "--json", "--env", env, "--policy", pol,
						    path, NULL },
		      o);
	else
		a_cli(state, (const char *const[]){ "exec", "--json", "--policy", pol, path, NULL }, o);
	unlink(path);
}

static const char read_probe[] =
	"def rd(p):\n"
	"    try:\n"
	"        with open(p, 'rb') as f:\n"
	"            return f.read(16).decode('latin-1').strip()[:11]\n"
	"    except OSError as e:\n"
	"        return type(e).__name__\n";

/* Links inside an image point at host paths; inside the sandbox each is
 * resolved in the sandbox's own root, never on the host: /etc/localtime ->
 * a host file, a /usr link to the host's /etc/shadow, one climbing to a
 * host directory with "..": none shows the host's bytes. */
void p_envatk_image_links_resolve_inside_the_sandbox(void)
{
	char *state = t_temp_dir("state"), *work = t_temp_dir("image"), *secret = a_host_secret();
	char *entries = str_printf("wh:etc/localtime sym:etc/localtime:%s/localtime "
				   "sym:usr/share/stratbox-test/shadow:/etc/shadow "
				   "sym:usr/share/stratbox-test/up:../../../../../../..%s "
				   "sym:etc/fonts:%s/fonts",
				   secret, secret, secret);
	char *evil = a_image(work, entries);
	struct test_output o;
	a_cli(state, (const char *const[]){ "env", "import", "links", evil, NULL }, &o);
	CHECK(o.exit_code == 0, "import: %s", o.err);
	test_output_free(&o);
	char *src = str_printf("%s"
			       "print(rd('/etc/localtime'), rd('/usr/share/stratbox-test/shadow'),\n"
			       "      rd('/usr/share/stratbox-test/up/localtime'),\n"
			       "      rd('/etc/fonts/f'), rd('/etc/shadow'))\n",
			       read_probe);
	a_exec(state, "links", src, &o);
	CHECK(o.exit_code == 0, "exec: %s %s", o.out, o.err);
	CHECK_CONTAINS(o.out, "\"output\":\"FileNotFoundError FileNotFoundError FileNotFoundError "
			      "FileNotFoundError FileNotFoundError\\n\"");
	test_output_free(&o);
	free(src);
	free(evil);
	free(entries);
	test_rm_rf(secret);
	test_rm_rf(work);
	test_rm_rf(state);
	free(secret);
	free(work);
	free(state);
}

/* Strategy code (with os allowed and the hook off: the kernel layer alone)
 * in an image's environment can do no more than on the host: each write
 * outside /tmp fails with the same error as on the host's environment
 * (EROFS: the tree is bound read-only), /tmp works in both, and a chmod
 * of the tree's files is the same SYSCALL_VIOLATION. */
void p_envatk_image_job_refusals_same_as_host(void)
{
	char *state = t_temp_dir("state"), *work = t_temp_dir("image");
	char *tar = a_image(work, NULL);
	struct test_output o;
	a_cli(state, (const char *const[]){ "env", "import", "img", tar, NULL }, &o);
	CHECK(o.exit_code == 0, "import: %s", o.err);
	test_output_free(&o);
	static const char writes[] =
		       "import os\n"
		       "names = {1: 'EPERM', 2: 'ENOENT', 13: 'EACCES', 17: 'EEXIST', 30: 'EROFS'}\n"
		       "def tr(what, f):\n"
		       "    try:\n"
		       "        f()\n"
		       "        return what + ':ok'\n"
		       "    except OSError as e:\n"
		       "        return what + ':' + names.get(e.errno, str(e.errno))\n"
		       "def w(p):\n"
		       "    return lambda: open(p, 'w').close()\n"
		       "print(' '.join([\n"
		       "    tr('usr', w('/usr/stratbox-x')),\n"
		       "    tr('usrlib', w('/usr/lib/python3.11/os.py')),\n"
		       "    tr('etc', w('/etc/ld.so.cache')),\n"
		       "    tr('root', w('/stratbox-x')),\n"
		       "    tr('opt', w('/opt/stratbox-x')),\n"
		       "    tr('mkdir', lambda: os.mkdir('/usr/lib/x')),\n"
		       "    tr('unlink', lambda: os.unlink('/usr/lib/python3.11/os.py')),\n"
		       "    tr('tmp', w('/tmp/x')),\n"
		       "]))\n";
	a_exec(state, "img", writes, &o);
	CHECK(o.exit_code == 0, "exec: %s %s", o.out, o.err);
	json_t *r = json_loads(o.out, 0, NULL);
	CHECK(r != NULL, "%s", o.out);
	char *in_env = strdup(json_string_value(json_object_get(r, "output")) ?: "");
	json_decref(r);
	test_output_free(&o);
	a_exec(state, NULL, writes, &o);
	CHECK(o.exit_code == 0, "exec: %s %s", o.out, o.err);
	r = json_loads(o.out, 0, NULL);
	CHECK(r != NULL, "%s", o.out);
	const char *on_host = json_string_value(json_object_get(r, "output")) ?: "";
	CHECK_STR_EQ(in_env, on_host);
	CHECK_STR_EQ(in_env, "usr:EROFS usrlib:EROFS etc:EROFS root:EROFS opt:EROFS mkdir:EROFS "
			     "unlink:EROFS tmp:ok\n");
	json_decref(r);
	test_output_free(&o);
	free(in_env);

	/* a chmod of the tree's files: the same verdict in both */
	for (int env = 0; env < 2; env++) {
		a_exec(state, env ? "img" : NULL,
		       "import os\nos.chmod('/usr/lib/python3.11/os.py', 0o777)\n", &o);
		CHECK_CONTAINS(o.out, "\"status\":\"SYSCALL_VIOLATION\"");
		CHECK_CONTAINS(o.out, "\"error\":\"forbidden system call chmod\"");
		test_output_free(&o);
	}
	free(tar);
	test_rm_rf(work);
	test_rm_rf(state);
	free(work);
	free(state);
}

/* Whether some process holds a flock on the inode of path (/proc/locks). */
static bool flocked(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return false;
	FILE *f = fopen("/proc/locks", "r");
	if (f == NULL)
		return false;
	char line[256], want[64];
	snprintf(want, sizeof(want), ":%lu ", (unsigned long) st.st_ino);
	bool found = false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "FLOCK") && strstr(line, want);
	fclose(f);
	return found;
}

/* `env rm` while a real `stratbox exec --env` runs a job on it: refused
 * with "in use", the environment still there and the job unharmed; once
 * the exec is done, removed. */
void p_envatk_rm_refused_while_exec_runs(void)
{
	char *state = t_temp_dir("state");
	struct test_output o;
	a_cli(state, (const char *const[]){ "env", "add", "held", "--host", NULL }, &o);
	CHECK(o.exit_code == 0, "add: %s", o.err);
	test_output_free(&o);
	char code[] = "/tmp/stratbox-envatk-XXXXXX";
	test_temp_file(code, "import time\n"
			     "t = time.monotonic()\n"
			     "while time.monotonic() - t < 4.0:\n"
			     "    pass\n"
			     "print('done')\n");
	const char *v[32];
	a_argv(v, state, (const char *const[]){ "exec", "--json", "--env", "held", code, NULL });
	struct test_cmd c = { .argv = v, .err = TEST_STDERR_INHERIT };
	int fd;
	pid_t pid = test_start(&c, &fd);
	char *dir = str_printf("%s/envs/held", state);
	for (int i = 0; i < 400 && !flocked(dir); i++)
		test_sleep_ms(10);
	CHECK(flocked(dir), "the exec never held %s", dir);
	a_cli(state, (const char *const[]){ "env", "rm", "held", NULL }, &o);
	CHECK_INT_EQ(o.exit_code, 1);
	CHECK_CONTAINS(o.err, "environment held is in use by a running pool or service");
	test_output_free(&o);
	CHECK(access(dir, F_OK) == 0, "%s removed while in use", dir);
	char *out = test_read_all(fd);
	close(fd);
	int st;
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exec: %s", out);
	CHECK_CONTAINS(out, "\"output\":\"done\\n\"");
	free(out);
	a_cli(state, (const char *const[]){ "env", "rm", "held", NULL }, &o);
	CHECK(o.exit_code == 0, "rm: %s", o.err);
	test_output_free(&o);
	char *envs = str_printf("%s/envs", state);
	char *ls = a_ls(envs);
	CHECK_STR_EQ(ls, "");
	free(ls);
	free(envs);
	free(dir);
	unlink(code);
	test_rm_rf(state);
	free(state);
}

/* `env import` killed (SIGKILL) in the middle of unpacking: what is left
 * is STATE/envs/.tmp-NAME-PID only, which `env list` does not show and no
 * command takes as a name; the name is free and a second import of it
 * works. */
void p_envatk_killed_import_leaves_only_its_tmp(void)
{
	char *state = t_temp_dir("state"), *work = t_temp_dir("image");
	char *tar = a_image(work, NULL);
	const char *v[32];
	a_argv(v, state, (const char *const[]){ "env", "import", "big", tar, NULL });
	struct test_cmd c = { .argv = v, .err = TEST_STDERR_INHERIT };
	int fd;
	pid_t pid = test_start(&c, &fd);
	char *tmp = str_printf("%s/envs/.tmp-big-%d", state, (int) pid);
	char *probe = str_printf("%s/rootfs/usr/lib/python3.11", tmp);
	for (int i = 0; i < 2000 && access(probe, F_OK) != 0; i++)
		test_sleep_ms(2);
	CHECK(access(probe, F_OK) == 0, "the import never started unpacking (%s)", probe);
	kill(pid, SIGKILL);
	int st;
	CHECK(waitpid(pid, &st, 0) == pid);
	close(fd);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the import ended before the kill (%d)",
	      st);
	char *envs = str_printf("%s/envs", state);
	char *ls = a_ls(envs);
	char *want = str_printf(".tmp-big-%d\n", (int) pid);
	CHECK_STR_EQ(ls, want);
	free(ls);
	/* nothing beside the archive in its directory */
	ls = a_ls(work);
	CHECK_STR_EQ(ls, "image.tar\n");
	free(ls);
	struct test_output o;
	a_cli(state, (const char *const[]){ "env", "list", "--json", NULL }, &o);
	CHECK_INT_EQ(o.exit_code, 0);
	json_t *all = json_loads(o.out, 0, NULL);
	CHECK(json_array_size(all) == 1, "env list: %s", o.out);
	json_decref(all);
	test_output_free(&o);
	/* the half-made tree is nobody's environment: no command takes its
	 * name (a usage error, exit 2), and it stays as it was */
	char *tname = str_printf(".tmp-big-%d", (int) pid);
	char code[] = "/tmp/stratbox-envatk-XXXXXX";
	test_temp_file(code, "print(1)\n");
	const char *const uses[][6] = {
		{ "exec", "--env", tname, code, NULL },
		{ "check", "--env", tname, code, NULL },
		{ "env", "check", tname, NULL },
		{ "env", "rm", tname, NULL },
		{ "env", "add", tname, "--host", NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(uses); i++) {
		a_cli(state, uses[i], &o);
		CHECK(o.exit_code == 2, "%s %s: exit %d: %s", uses[i][0], uses[i][1], o.exit_code,
		      o.err);
		char *msg = str_printf("environment name '%s': 1 to 64 of a-z", tname);
		CHECK_CONTAINS(o.err, msg);
		free(msg);
		test_output_free(&o);
	}
	unlink(code);
	free(tname);
	ls = a_ls(envs);
	CHECK_STR_EQ(ls, want);
	free(ls);
	a_cli(state, (const char *const[]){ "env", "import", "big", tar, NULL }, &o);
	CHECK(o.exit_code == 0, "second import: %s", o.err);
	test_output_free(&o);
	free(want);
	free(envs);
	free(probe);
	free(tmp);
	free(tar);
	test_rm_rf(work);
	test_rm_rf(state);
	free(work);
	free(state);
}

/* Two `env add` of one name at once: exactly one wins, the other is told
 * the name exists (or was added meanwhile), and no .tmp-* is left. */
void p_envatk_concurrent_add_same_name_one_wins(void)
{
	char *state = t_temp_dir("state");
	enum { N = 3 };
	pid_t pids[N];
	int fds[N];
	const char *v[N][32];
	for (int i = 0; i < N; i++) {
		a_argv(v[i], state, (const char *const[]){ "env", "add", "same", "--host", NULL });
		struct test_cmd c = { .argv = v[i], .err = TEST_STDERR_MERGE };
		pids[i] = test_start(&c, &fds[i]);
	}
	int won = 0;
	for (int i = 0; i < N; i++) {
		char *out = test_read_all(fds[i]);
		close(fds[i]);
		int st;
		CHECK(waitpid(pids[i], &st, 0) == pids[i]);
		CHECK(WIFEXITED(st), "add %d: %d", i, st);
		if (WEXITSTATUS(st) == 0) {
			won++;
		} else {
			CHECK(WEXITSTATUS(st) == 1, "add %d: exit %d: %s", i, WEXITSTATUS(st), out);
			CHECK(strstr(out, "environment same exists") ||
				      strstr(out, "environment same was added meanwhile"),
			      "add %d: %s", i, out);
		}
		free(out);
	}
	CHECK_INT_EQ(won, 1);
	char *envs = str_printf("%s/envs", state);
	char *ls = a_ls(envs);
	CHECK_STR_EQ(ls, "same\n");
	free(ls);
	free(envs);
	test_rm_rf(state);
	free(state);
}

/* A venv made by someone else, whose lib/python3.11/site-packages is a
 * symlink to a host directory (/root, another user's home, the state
 * directory): `env add --venv` resolved it and the pools bound the link's
 * target read-only at /opt/stratbox/site-packages in every job (found: a
 * job read the host directory's files there).  Refused now, naming the
 * target, and nothing is stored; a link to a place inside the venv is
 * still taken. */
void p_envatk_venv_site_packages_link_out_refused(void)
{
	char *state = t_temp_dir("state"), *work = t_temp_dir("venv"), *secret = a_host_secret();
	char *cmd = str_printf("/usr/bin/python3 -m venv --system-site-packages --without-pip '%s/v' && "
			       "rm -rf '%s/v/lib/python3.11/site-packages' && "
			       "ln -s '%s' '%s/v/lib/python3.11/site-packages'",
			       work, work, secret, work);
	a_sh(cmd);
	char *venv = str_printf("%s/v", work);
	struct test_output o;
	a_cli(state, (const char *const[]){ "env", "add", "evil", "--venv", venv, NULL }, &o);
	if (o.exit_code == 0) {
		struct test_output x;
		a_exec(state, "evil",
		       "def rd(p):\n"
		       "    try:\n"
		       "        return open(p).read().strip()\n"
		       "    except OSError as e:\n"
		       "        return type(e).__name__\n"
		       "print(rd('/opt/stratbox/site-packages/localtime'))\n",
		       &x);
		CHECK(false, "a venv whose site-packages -> %s was added; a job there read: %s",
		      secret, x.out);
	}
	CHECK_INT_EQ(o.exit_code, 1);
	char *want = str_printf("its site-packages is %s, outside the virtualenv", secret);
	CHECK_CONTAINS(o.err, want);
	test_output_free(&o);
	char *envs = str_printf("%s/envs", state);
	char *ls = a_ls(envs);
	CHECK_STR_EQ(ls, "");
	free(ls);
	/* a link inside the venv is fine */
	free(cmd);
	cmd = str_printf("mkdir '%s/v/sp' && rm '%s/v/lib/python3.11/site-packages' && "
			 "ln -s ../../sp '%s/v/lib/python3.11/site-packages'",
			 work, work, work);
	a_sh(cmd);
	a_cli(state, (const char *const[]){ "env", "add", "inside", "--venv", venv, NULL }, &o);
	CHECK(o.exit_code == 0, "add: %s", o.err);
	test_output_free(&o);
	free(envs);
	free(want);
	free(venv);
	free(cmd);
	test_rm_rf(secret);
	test_rm_rf(work);
	test_rm_rf(state);
	free(secret);
	free(work);
	free(state);
}

struct open_arg {
	const char *state;
	sbx_env *env;
	int rc;
};

static void *open_thread(void *p)
{
	struct open_arg *a = p;
	sbx_error *err = NULL;
	a->rc = sbx_env_open(a->state, "held", &a->env, &err);
	sbx_error_free(err);
	return NULL;
}

/* Whether a process waits for a flock on path's inode ("-> FLOCK" in
 * /proc/locks). */
static bool flock_waiter(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return false;
	FILE *f = fopen("/proc/locks", "r");
	if (f == NULL)
		return false;
	char line[256], want[64];
	snprintf(want, sizeof(want), ":%lu ", (unsigned long) st.st_ino);
	bool found = false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "-> FLOCK") && strstr(line, want);
	fclose(f);
	return found;
}

/* An open that waited on `env rm`'s lock while the environment was removed
 * and another of the same name was put in its place: it loaded the new
 * one's manifest but held its lock on the old, removed directory, so the
 * new one could be removed under its pool (found: sbx_env_remove
 * succeeded).  Now the open locks the directory it reads. */
void p_envatk_open_racing_rm_and_re_add_holds_what_it_loaded(void)
{
	char *state = t_temp_dir("state");
	struct test_output o;
	a_cli(state, (const char *const[]){ "env", "add", "held", "--host", NULL }, &o);
	CHECK(o.exit_code == 0, "add: %s", o.err);
	test_output_free(&o);
	char *dir = str_printf("%s/envs/held", state);
	char *old = str_printf("%s/envs/.tmp-rm-held-test", state);
	/* what `env rm` holds while it renames and removes */
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0, "lock %s", dir);
	struct open_arg a = { .state = state };
	pthread_t t;
	CHECK(pthread_create(&t, NULL, open_thread, &a) == 0);
	for (int i = 0; i < 500 && !flock_waiter(dir); i++)
		test_sleep_ms(10);
	CHECK(flock_waiter(dir), "the open never waited for the lock");
	/* removed, and the name re-made (a new directory, the same content) */
	CHECK(rename(dir, old) == 0, "rename");
	char *cmd = str_printf("cp -a '%s' '%s'", old, dir);
	a_sh(cmd);
	close(fd);
	pthread_join(t, NULL);
	CHECK_INT_EQ(a.rc, 0);
	sbx_error *err = NULL;
	int r = sbx_env_remove(state, "held", &err);
	CHECK(r < 0, "the environment an open pool loaded was removed under it");
	CHECK_CONTAINS(err->msg, "environment held is in use");
	sbx_error_free(err);
	sbx_env_free(a.env);
	free(cmd);
	free(old);
	free(dir);
	test_rm_rf(state);
	free(state);
}

/* A venv added as it should be, whose maker then swaps a directory above
 * its site-packages for a symlink (lib/python3.11 -> a host directory
 * holding a site-packages): the pool bound the path as it now resolved,
 * the host directory's site-packages (found: a job read it).  The
 * environment is refused at open now, saying where it leads. */
void p_envatk_venv_swapped_after_add_refused_at_open(void)
{
	char *state = t_temp_dir("state"), *work = t_temp_dir("venv"), *secret = a_host_secret();
	char *cmd = str_printf("/usr/bin/python3 -m venv --system-site-packages --without-pip "
			       "'%s/v' && mkdir '%s/site-packages' && "
			       "echo HOST-SECRET > '%s/site-packages/secret.txt' && "
			       "chmod -R a+rX '%s'",
			       work, secret, secret, secret);
	a_sh(cmd);
	char *venv = str_printf("%s/v", work);
	struct test_output o;
	a_cli(state, (const char *const[]){ "env", "add", "swapped", "--venv", venv, NULL }, &o);
	CHECK(o.exit_code == 0, "add: %s", o.err);
	test_output_free(&o);
	free(cmd);
	cmd = str_printf("mv '%s/v/lib/python3.11' '%s/v/lib/python3.11.old' && "
			 "ln -s '%s' '%s/v/lib/python3.11'",
			 work, work, secret, work);
	a_sh(cmd);
	a_exec(state, "swapped",
	       "def rd(p):\n"
	       "    try:\n"
	       "        return open(p).read().strip()\n"
	       "    except OSError as e:\n"
	       "        return type(e).__name__\n"
	       "print(rd('/opt/stratbox/site-packages/secret.txt'))\n",
	       &o);
	CHECK(strstr(o.out, "HOST-SECRET") == NULL, "a job read the host's file: %s", o.out);
	CHECK_INT_EQ(o.exit_code, 2);
	char *want = str_printf("its site-packages %s/v/lib/python3.11/site-packages now leads to "
				"%s/site-packages",
				work, secret);
	CHECK_CONTAINS(o.err, want);
	test_output_free(&o);
	free(want);
	free(venv);
	free(cmd);
	test_rm_rf(secret);
	test_rm_rf(work);
	test_rm_rf(state);
	free(secret);
	free(work);
	free(state);
}
