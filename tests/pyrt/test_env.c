/* Environments (docs/environments.md) through the command line, as a user
 * meets them: a module only one environment has is allowed and works
 * there and is refused everywhere else; Debian's scientific stack in an
 * environment of its own; `env check`'s digest and hook proof; the store
 * refusing what would break a running pool; bad input named. */
#include "common/util.h"
#include "pyrt.h"
#include "stratbox/env.h"
#include "tests.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


/* stratbox ARGS... --state-dir STATE [--cgroup-parent P] */
static char *env_cli(const char *state, const char *const *args, int *rc)
{
	const char *v[32];
	size_t n = 0;
	for (; args[n] && n < 24; n++)
		v[n] = args[n];
	v[n++] = "--state-dir";
	v[n++] = state;
	if (t_cgroup_parent() != NULL && strcmp(args[0], "check") != 0) {
		v[n++] = "--cgroup-parent";
		v[n++] = t_cgroup_parent();
	}
	v[n] = NULL;
	return run_cli(v, rc);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t) strlen(text), "write %s", path);
	close(fd);
}

#define TEST_MODULE "stratbox_envtest_mod"

/* A venv with the system's site-packages and a module of the tests' own. */
static char *make_venv(void)
{
	char *d = t_temp_dir("venv");
	char *cmd = str_printf("/usr/bin/python3 -m venv --system-site-packages --without-pip '%s/v'",
			       d);
	CHECK(system(cmd) == 0, "%s", cmd);
	free(cmd);
	char *mod = str_printf("%s/v/lib/python3.11/site-packages/" TEST_MODULE ".py", d);
	write_file(mod, "VERSION = 'only-here'\n\ndef double(x):\n    return 2 * x\n");
	free(mod);
	return d;
}

static const char strategy_using_module[] =
	"import " TEST_MODULE "\n"
	"import numpy as np\n"
	"print('doubled', " TEST_MODULE ".double(int(np.int64(21))), " TEST_MODULE ".VERSION)\n";

void p_env_module_allowed_only_where_it_is(void)
{
	char *state = t_temp_dir("state"), *venv = make_venv();
	char *vdir = str_printf("%s/v", venv);
	char code[] = "/tmp/stratbox-envcode-XXXXXX";
	test_temp_file(code, strategy_using_module);
	int rc;
	char *out = env_cli(state, (const char *const[]){ "env", "add", "mine", "--venv", vdir,
							  "--allow", TEST_MODULE, NULL },
			    &rc);
	CHECK_INT_EQ(rc, 0);
	free(out);

	/* the validator: allowed with --env, refused without */
	out = env_cli(state, (const char *const[]){ "check", "--env", "mine", code, NULL }, &rc);
	CHECK_INT_EQ(rc, 0);
	free(out);
	out = run_cli((const char *const[]){ "check", code, NULL }, &rc);
	CHECK_INT_EQ(rc, 1);
	CHECK_CONTAINS(out, "import of '" TEST_MODULE "' is not allowed");
	free(out);

	/* and it runs there, from the venv's own site-packages */
	out = env_cli(state, (const char *const[]){ "exec", "--json", "--env", "mine", code, NULL },
		      &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_CONTAINS(out, "\"output\":\"doubled 42 only-here\\n\"");
	free(out);
	/* elsewhere: refused before anything runs */
	out = run_cli((const char *const[]){ "exec", "--json", code, NULL }, &rc);
	CHECK_INT_EQ(rc, 1);
	CHECK_CONTAINS(out, "\"status\":\"VALIDATION_ERROR\"");
	free(out);
	/* a backtest's strategy on it too */
	char strat[] = "/tmp/stratbox-envbt-XXXXXX";
	test_temp_file(strat, "import " TEST_MODULE "\n"
			      "class S(BaseStrategy):\n"
			      "    def generate_signals(self, d):\n"
			      "        n = " TEST_MODULE ".double(1)\n"
			      "        return [self.buy()] if n == 2 and self.position == 0 else []\n");
	out = env_cli(state, (const char *const[]){ "backtest", strat, "--symbols", "GOOG", "--end",
						    "2005-06-01", "--env", "mine", "--json", "--quiet",
						    NULL },
		      &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_CONTAINS(out, "\"status\":\"OK\"");
	free(out);
	out = run_cli((const char *const[]){ "backtest", strat, "--symbols", "GOOG", "--end",
					     "2005-06-01", "--json", "--quiet", NULL },
		      &rc);
	CHECK_INT_EQ(rc, 1);
	CHECK_CONTAINS(out, "VALIDATION_ERROR");
	free(out);
	unlink(strat);
	/* --policy replaces the environment's allow-list: refused again */
	char pol[] = "/tmp/stratbox-envpol-XXXXXX";
	test_temp_file(pol, "{\"allowed_imports\": [\"numpy\"]}");
	out = env_cli(state, (const char *const[]){ "check", "--env", "mine", "--policy", pol, code,
						    NULL },
		      &rc);
	CHECK_INT_EQ(rc, 1);
	free(out);

	/* listed, then removed */
	out = env_cli(state, (const char *const[]){ "env", "list", "--json", NULL }, &rc);
	CHECK_INT_EQ(rc, 0);
	json_t *all = json_loads(out, 0, NULL);
	CHECK(json_array_size(all) == 2, "env list: %s", out);
	json_t *m = json_array_get(all, 1);
	CHECK_STR_EQ(json_string_value(json_object_get(m, "name")), "mine");
	CHECK_STR_EQ(json_string_value(json_object_get(m, "kind")), "venv");
	CHECK(strncmp(json_string_value(json_object_get(m, "python_version")) ?: "", "3.11.", 5) == 0,
	      "python_version: %s", out);
	CHECK(strncmp(json_string_value(json_object_get(m, "digest")) ?: "", "sha256:", 7) == 0,
	      "digest: %s", out);
	json_decref(all);
	free(out);
	out = env_cli(state, (const char *const[]){ "env", "rm", "mine", NULL }, &rc);
	CHECK_INT_EQ(rc, 0);
	free(out);
	out = env_cli(state, (const char *const[]){ "exec", "--env", "mine", code, NULL }, &rc);
	CHECK_INT_EQ(rc, 2);
	free(out);
	unlink(code);
	unlink(pol);
	test_rm_rf(venv);
	test_rm_rf(state);
	free(vdir);
	free(venv);
	free(state);
}

static bool have_scientific_stack(void)
{
	return system("/usr/bin/python3 -c 'import scipy, statsmodels, sklearn, matplotlib' "
		      ">/dev/null 2>&1") == 0;
}

static const char scientific_strategy[] =
	"import numpy as np\n"
	"from scipy import stats\n"
	"import statsmodels.api as sm\n"
	"from sklearn.linear_model import LinearRegression\n"
	"import matplotlib\n"
	"matplotlib.use('Agg')\n"
	"import matplotlib.pyplot as plt\n"
	"x = np.arange(20.0)\n"
	"y = 3.0 * x + 1.0\n"
	"fit = sm.OLS(y, sm.add_constant(x)).fit()\n"
	"lr = LinearRegression().fit(x.reshape(-1, 1), y)\n"
	"fig = plt.figure()\n"
	"plt.plot(x, y)\n"
	"print('cdf', round(float(stats.norm.cdf(0.0)), 3), 'ols', round(float(fit.params[1]), 3),\n"
	"      'sk', round(float(lr.coef_[0]), 3))\n";

void p_env_scientific_stack_runs_in_its_environment(void)
{
	if (!have_scientific_stack())
		test_skip("Debian's python3-scipy, -statsmodels, -sklearn, -matplotlib not installed");
	char *state = t_temp_dir("state");
	char code[] = "/tmp/stratbox-envsci-XXXXXX";
	test_temp_file(code, scientific_strategy);
	int rc;
	char *out = env_cli(state, (const char *const[]){ "env", "add", "sci", "--host", "--native",
							  "--allow",
							  "scipy,statsmodels,sklearn,matplotlib",
							  "--preload",
							  "numpy,pandas,scipy.stats,statsmodels.api,"
							  "sklearn.linear_model,matplotlib.pyplot",
							  NULL },
			    &rc);
	CHECK_INT_EQ(rc, 0);
	free(out);
	out = env_cli(state, (const char *const[]){ "exec", "--json", "--memory", "1G", "--env", "sci",
						    code, NULL },
		      &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_CONTAINS(out, "\"output\":\"cdf 0.5 ols 3.0 sk 3.0\\n\"");
	free(out);
	out = run_cli((const char *const[]){ "exec", "--json", code, NULL }, &rc);
	CHECK_INT_EQ(rc, 1);
	CHECK_CONTAINS(out, "import of 'scipy' is not allowed");
	free(out);
	/* strategy code still may not take ctypes, which the libraries have */
	char bad[] = "/tmp/stratbox-envctypes-XXXXXX";
	test_temp_file(bad, "import ctypes\nctypes.CDLL(None)\n");
	out = env_cli(state, (const char *const[]){ "check", "--env", "sci", bad, NULL }, &rc);
	CHECK_INT_EQ(rc, 1);
	CHECK_CONTAINS(out, "import of 'ctypes' is not allowed");
	free(out);
	unlink(bad);
	unlink(code);
	test_rm_rf(state);
	free(state);
}

/* env check: the zygote starts, the modules import, the hook refuses every
 * capability route from this allow-list (ctypes conceded, and said); a
 * tree changed since it was added is reported. */
void p_env_check_proves_hook_and_catches_a_changed_tree(void)
{
	char *state = t_temp_dir("state"), *venv = make_venv();
	char *vdir = str_printf("%s/v", venv);
	int rc;
	char *out = env_cli(state, (const char *const[]){ "env", "add", "mine", "--venv", vdir,
							  "--allow", TEST_MODULE, "--preload",
							  "numpy,pandas," TEST_MODULE, NULL },
			    &rc);
	CHECK_INT_EQ(rc, 0);
	free(out);
	out = env_cli(state, (const char *const[]){ "env", "check", "mine", "--json", "--jobs", "5",
						    NULL },
		      &rc);
	json_t *r = json_loads(out, 0, NULL);
	CHECK(r != NULL, "env check --json: %s", out);
	CHECK_INT_EQ(rc, 0);
	CHECK(json_is_true(json_object_get(r, "ok")), "%s", out);
	CHECK(json_is_true(json_object_get(json_object_get(r, "digest"), "ok")), "%s", out);
	json_t *caps = json_object_get(r, "capabilities");
	CHECK(json_integer_value(json_object_get(caps, "refused")) >= 60, "%s", out);
	CHECK(json_array_size(json_object_get(caps, "not_refused")) == 0, "%s", out);
	CHECK(json_object_get(json_object_get(r, "modules"), TEST_MODULE) != NULL, "%s", out);
	CHECK(json_object_get(json_object_get(r, "modules"), "scipy") == NULL, "%s", out);
	CHECK(json_integer_value(json_object_get(json_object_get(r, "warm_job_ms"), "jobs")) >= 1,
	      "%s", out);
	CHECK_CONTAINS(json_string_value(json_object_get(r, "versions")), "python=3.11");
	json_decref(r);
	free(out);

	/* one byte of the venv changes: the digest says so, and check fails */
	char *mod = str_printf("%s/lib/python3.11/site-packages/" TEST_MODULE ".py", vdir);
	write_file(mod, "VERSION = 'only-hers'\n\ndef double(x):\n    return 2 * x\n");
	out = env_cli(state, (const char *const[]){ "env", "check", "mine", "--json", "--jobs", "1",
						    NULL },
		      &rc);
	r = json_loads(out, 0, NULL);
	CHECK(r != NULL, "env check --json: %s", out);
	CHECK_INT_EQ(rc, 1);
	CHECK(json_is_false(json_object_get(json_object_get(r, "digest"), "ok")), "%s", out);
	CHECK_CONTAINS(json_string_value(json_array_get(json_object_get(r, "problems"), 0)),
		       "has changed since it was added");
	json_decref(r);
	free(out);
	free(mod);
	test_rm_rf(venv);
	test_rm_rf(state);
	free(vdir);
	free(venv);
	free(state);
}

/* A pool holds its environment open: `env rm` refuses until it is gone. */
void p_env_rm_refused_while_open(void)
{
	char *state = t_temp_dir("state");
	int rc;
	char *out = env_cli(state, (const char *const[]){ "env", "add", "held", "--host", "--allow",
							  "this", NULL },
			    &rc);
	CHECK_INT_EQ(rc, 0);
	free(out);
	sbx_env *e = NULL;
	sbx_error *err = NULL;
	CHECK(sbx_env_open(state, "held", &e, &err) == 0, "open: %s", err ? err->msg : "");
	CHECK(sbx_env_remove(state, "held", &err) < 0, "removed while open");
	CHECK(err->kind == SBX_ERR_INVALID, "kind %d", err->kind);
	CHECK_CONTAINS(err->msg, "in use");
	sbx_error_free(err);
	err = NULL;
	sbx_env_free(e);
	CHECK(sbx_env_remove(state, "held", &err) == 0, "remove: %s", err ? err->msg : "");
	test_rm_rf(state);
	free(state);
}

/* Bad input: each refusal names what is wrong. */
void p_env_bad_input_named(void)
{
	char *state = t_temp_dir("state"), *tree = t_temp_dir("tree");
	int rc;
	char *out;
	/* a name that is not one: a usage error */
	out = env_cli(state, (const char *const[]){ "env", "add", "Bad/Name", "--host", NULL }, &rc);
	CHECK_INT_EQ(rc, 2);
	free(out);
	static const char *const named[] = { "rm", "check", "import" };
	for (size_t i = 0; i < 3; i++) {
		out = env_cli(state, (const char *const[]){ "env", named[i], "../x", NULL }, &rc);
		CHECK_INT_EQ(rc, 2);
		CHECK(out != NULL && out[0] == '\0', "env %s: a usage error printed on stdout",
		      named[i]);
		free(out);
	}
	out = env_cli(state, (const char *const[]){ "env", "add", "host", "--host", NULL }, &rc);
	CHECK_INT_EQ(rc, 1);
	free(out);
	out = env_cli(state, (const char *const[]){ "env", "add", "x", NULL }, &rc);
	CHECK_INT_EQ(rc, 2);
	free(out);
	out = env_cli(state, (const char *const[]){ "env", "add", "x", "--host", "--allow",
						    "no-such-module!", NULL },
		      &rc);
	CHECK_INT_EQ(rc, 1);
	free(out);
	/* a module named that does not import */
	out = env_cli(state, (const char *const[]){ "env", "add", "x", "--host", "--allow",
						    "stratbox_no_such_module", NULL },
		      &rc);
	CHECK_INT_EQ(rc, 1);
	free(out);
	/* a tree without CPython 3.11 (another version is named) */
	char *p = str_printf("%s/usr/bin", tree);
	char *cmd = str_printf("mkdir -p '%s' && touch '%s/python3.12'", p, p);
	CHECK(system(cmd) == 0, "%s", cmd);
	struct test_cmd c = { .argv = (const char *const[]){ test_stratbox(), "env", "add", "old",
							     "--rootfs", tree, "--state-dir", state,
							     NULL },
			      .err = TEST_STDERR_CAPTURE };
	struct test_output o;
	test_run(&c, &o);
	CHECK_INT_EQ(o.exit_code, 1);
	CHECK_CONTAINS(o.err, "no CPython 3.11 in the image");
	CHECK_CONTAINS(o.err, "usr/bin/python3.12");
	test_output_free(&o);
	/* nothing half-made is left in the store */
	char *envs = str_printf("%s/envs", state);
	char *ls = str_printf("ls -A '%s' | wc -l", envs);
	FILE *f = popen(ls, "r");
	int count = -1;
	CHECK(f && fscanf(f, "%d", &count) == 1, "ls");
	pclose(f);
	CHECK_INT_EQ(count, 0);
	/* not a venv */
	c.argv = (const char *const[]){ test_stratbox(), "env", "add", "v", "--venv", tree,
					"--state-dir", state, NULL };
	test_run(&c, &o);
	CHECK_INT_EQ(o.exit_code, 1);
	CHECK_CONTAINS(o.err, "is not a virtualenv");
	test_output_free(&o);
	/* an environment that is not there */
	c.argv = (const char *const[]){ test_stratbox(), "check", "--env", "nope", "--state-dir",
					state, "/dev/null", NULL };
	test_run(&c, &o);
	CHECK_INT_EQ(o.exit_code, 2);
	CHECK_CONTAINS(o.err, "no environment nope");
	test_output_free(&o);
	free(envs);
	free(ls);
	free(cmd);
	free(p);
	test_rm_rf(tree);
	test_rm_rf(state);
	free(tree);
	free(state);
}

/* An image built here from the host's own files (tests/env/mkimage.py: a
 * two-layer Docker archive, a whiteout and an opaque directory in the
 * second), imported without Docker: jobs run on its tree, which has
 * numpy and pandas and nothing else of the host's /usr; the layers'
 * whiteouts hold; env check verifies it. */
void p_env_image_runs_on_its_own_tree(void)
{
	char *state = t_temp_dir("state"), *work = t_temp_dir("image");
	char *tar = str_printf("%s/image.tar", work);
	char *script = str_printf("%s/env/mkimage.py", test_data_dir());
	char *cmd = str_printf("python3 '%s' docker '%s' >&2", script, tar);
	CHECK(system(cmd) == 0, "%s", cmd);
	int rc;
	char *out = env_cli(state, (const char *const[]){ "env", "import", "img", tar, NULL }, &rc);
	CHECK_INT_EQ(rc, 0);
	free(out);
	out = env_cli(state, (const char *const[]){ "env", "list", "--json", NULL }, &rc);
	json_t *all = json_loads(out, 0, NULL);
	json_t *m = json_array_get(all, 1);
	CHECK_STR_EQ(json_string_value(json_object_get(m, "kind")), "image");
	CHECK_STR_EQ(json_string_value(json_object_get(m, "format")), "docker-archive");
	CHECK_INT_EQ(json_integer_value(json_object_get(m, "layers")), 2);
	CHECK(strncmp(json_string_value(json_object_get(m, "image_digest")) ?: "", "sha256:", 7) == 0,
	      "%s", out);
	json_decref(all);
	free(out);

	/* what a job on it sees: the image's files, the second layer's
	 * whiteout applied, none of the host's /usr */
	char code[] = "/tmp/stratbox-envimg-XXXXXX";
	test_temp_file(code,
		       "import numpy as np, pandas as pd\n"
		       "def exists(p):\n"
		       "    try:\n"
		       "        open(p, 'rb').close()\n"
		       "        return True\n"
		       "    except OSError:\n"
		       "        return False\n"
		       "d = '/usr/share/stratbox-test/'\n"
		       "print('layer2' if exists(d + 'image') else 'no-layer2',\n"
		       "      'removed-visible' if exists(d + 'removed') else 'whiteout-ok',\n"
		       "      'opaque-ok' if exists(d + 'opaque/new') and not exists(d + 'opaque/old')\n"
		       "      else 'opaque-broken',\n"
		       "      'host-gcc-visible' if exists('/usr/bin/gcc') else 'no-host-usr',\n"
		       "      int(pd.Series(np.arange(4.0)).sum()),\n"
		       "      'libpython-shared' if 'libpython3.11.so' in open('/proc/self/maps').read()\n"
		       "      else 'libpython-linked-in')\n");
	char pol[600];
	snprintf(pol, sizeof(pol), "%s/pyrt/permissive-policy.json", test_data_dir());
	out = env_cli(state, (const char *const[]){ "exec", "--json", "--env", "img", "--policy", pol,
						    code, NULL },
		      &rc);
	CHECK_INT_EQ(rc, 0);
	/* ...and runs on the image's libpython (stratbox-zygote-shared) */
	CHECK_CONTAINS(out,
		       "\"output\":\"layer2 whiteout-ok opaque-ok no-host-usr 6 libpython-shared\\n\"");
	free(out);
	/* the same code on the host sees the host's gcc (the test's control),
	 * in the zygote with libpython linked in */
	out = env_cli(state, (const char *const[]){ "exec", "--json", "--policy", pol, code, NULL },
		      &rc);
	if (access("/usr/bin/gcc", F_OK) == 0)
		CHECK_CONTAINS(out, "host-gcc-visible");
	CHECK_CONTAINS(out, " 6 libpython-linked-in\\n");
	free(out);
	out = env_cli(state, (const char *const[]){ "env", "check", "img", "--json", "--jobs", "3",
						    NULL },
		      &rc);
	json_t *r = json_loads(out, 0, NULL);
	CHECK(r != NULL, "env check: %s", out);
	CHECK_INT_EQ(rc, 0);
	CHECK(json_is_true(json_object_get(json_object_get(r, "digest"), "ok")), "%s", out);
	json_decref(r);
	free(out);

	/* the unpacked tree added again as a rootfs environment (a copy, as
	 * `docker export` gives): the same tree, the same digest, and it runs */
	char *tree = str_printf("%s/envs/img/rootfs", state);
	out = env_cli(state, (const char *const[]){ "env", "add", "copy", "--rootfs", tree, NULL },
		      &rc);
	CHECK_INT_EQ(rc, 0);
	free(out);
	out = env_cli(state, (const char *const[]){ "env", "list", "--json", NULL }, &rc);
	all = json_loads(out, 0, NULL);
	const char *d1 = json_string_value(json_object_get(json_array_get(all, 1), "digest"));
	const char *d2 = json_string_value(json_object_get(json_array_get(all, 2), "digest"));
	CHECK(d1 && d2 && strcmp(d1, d2) == 0 && strcmp(json_string_value(json_object_get(
							     json_array_get(all, 1), "kind")),
						     "rootfs") == 0,
	      "%s", out);
	json_decref(all);
	free(out);
	out = env_cli(state, (const char *const[]){ "exec", "--json", "--env", "copy", "--policy", pol,
						    code, NULL },
		      &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_CONTAINS(out, "\"output\":\"layer2 whiteout-ok opaque-ok no-host-usr 6 libpython-shared\\n\"");
	free(out);
	free(tree);
	unlink(code);
	test_rm_rf(work);
	test_rm_rf(state);
	free(cmd);
	free(script);
	free(tar);
	free(work);
	free(state);
}

/* What a killed import leaves (STATE/envs/.tmp-*): doctor reports it,
 * cleanup removes it; a build still at work holds its directory's lock,
 * and cleanup leaves that one alone whatever its age. */
void p_env_killed_import_cleaned_live_one_kept(void)
{
	char *state = t_temp_dir("state");
	char *dead = str_printf("%s/envs/.tmp-gone-999999", state);
	char *live = str_printf("%s/envs/.tmp-busy-1", state);
	char *cmd = str_printf("mkdir -p '%s/rootfs/usr' '%s' && touch -d '2 hours ago' '%s' "
			       "'%s/rootfs' '%s/rootfs/usr' '%s'",
			       dead, live, dead, dead, dead, live);
	CHECK(system(cmd) == 0, "%s", cmd);
	int lock = open(live, O_RDONLY | O_DIRECTORY);
	CHECK(lock >= 0 && flock(lock, LOCK_EX) == 0, "lock %s", live);
	int rc;
	char *out = run_cli((const char *const[]){ "doctor", "--state-dir", state, NULL }, &rc);
	CHECK_CONTAINS(out, "unfinished imports left");
	free(out);
	out = run_cli((const char *const[]){ "cleanup", "--state-dir", state, NULL }, &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_CONTAINS(out, dead);
	CHECK_NOT_CONTAINS(out, live);
	free(out);
	struct stat st;
	CHECK(lstat(dead, &st) < 0, "%s is still there", dead);
	CHECK(lstat(live, &st) == 0, "%s was removed while held", live);
	close(lock);
	test_rm_rf(state);
	free(cmd);
	free(dead);
	free(live);
	free(state);
}
