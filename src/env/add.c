/* Adding an environment (include/stratbox/env.h, docs/environments.md):
 * env import, env add --rootfs, --venv, --host.
 *
 * An environment is built in a temporary directory beside its final place
 * (STATE/envs/.tmp-NAME-PID, locked while it is built), checked, sealed
 * read-only and renamed into place in one step, so a half-made environment
 * is never visible under its name and a killed import leaves only a .tmp-*
 * directory, which `stratbox cleanup` removes.  Reading the tree (an
 * image's layers, a copied rootfs) is src/env/image.c's; running anything
 * in it is always done inside a sandbox, never on the host. */
#include "env/image.h"
#include "env/store.h"

#include "common/util.h"
#include "stratbox/sandbox.h"
#include "stratbox/version.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Where an interpreter and its library may be in an image: Debian's and
 * python.org's (/usr/local) layouts. */
static const char *const python_paths[] = { "/usr/bin/python3.11", "/usr/local/bin/python3.11" };
static const char *const libpython_paths[] = {
	"/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0",
	"/usr/local/lib/libpython3.11.so.1.0",
	"/usr/lib/libpython3.11.so.1.0",
	"/usr/lib64/libpython3.11.so.1.0",
	"/usr/lib/aarch64-linux-gnu/libpython3.11.so.1.0",
};

/* ---- looking inside a tree without leaving it ---- */

/* Whether path (absolute, as the sandbox sees it) names a regular file in
 * the tree at rootfd, symlinks resolved inside the tree. */
static bool file_in_root(int rootfd, const char *path)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	cleanup_close int fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* Other CPython versions the tree has, for the refusal's message. */
static void other_pythons(int rootfd, char *buf, size_t size)
{
	buf[0] = '\0';
	size_t off = 0;
	static const char *const dirs[] = { "usr/bin", "usr/local/bin" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		int fd = openat(rootfd, dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		cleanup_dir DIR *d = fdopendir(fd);
		if (d == NULL) {
			close(fd);
			continue;
		}
		struct dirent *e;
		unsigned minor;
		char tail;
		while ((e = readdir(d)) != NULL) {
			if (sscanf(e->d_name, "python3.%u%c", &minor, &tail) != 1)
				continue;
			int n = snprintf(buf + off, size - off, "%s/%s/%s", off ? ", " : "", dirs[i],
					 e->d_name);
			if (n < 0 || (size_t) n >= size - off)
				return;
			off += (size_t) n;
		}
	}
}

/* The tree carries CPython 3.11 and its shared library (the zygote embeds
 * 3.11 and runs on the tree's libpython); *python gets the interpreter's
 * path inside the sandbox. */
static int check_python(const char *root, const char **python, sbx_error **err)
{
	cleanup_close int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return sbx_error_set(err, errno, "%s", root);
	*python = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(python_paths) && *python == NULL; i++)
		if (file_in_root(rootfd, python_paths[i]))
			*python = python_paths[i];
	bool lib = false;
	for (size_t i = 0; i < ARRAY_SIZE(libpython_paths) && !lib; i++)
		lib = file_in_root(rootfd, libpython_paths[i]);
	if (*python != NULL && lib)
		return 0;
	char others[512];
	other_pythons(rootfd, others, sizeof(others));
	if (*python == NULL)
		return sbx_error_set(err, 0,
				     "no CPython 3.11 in the image (looked for /usr/bin/python3.11 "
				     "and /usr/local/bin/python3.11)%s%s: stratbox's zygote embeds "
				     "CPython 3.11, so an environment must carry it (e.g. an image "
				     "FROM python:3.11-slim-bookworm or debian:12)",
				     others[0] ? "; it has " : "", others);
	return sbx_error_set(err, 0,
			     "the image has %s but not its shared library libpython3.11.so.1.0 "
			     "(in /usr/lib/<arch>-linux-gnu or /usr/local/lib): the zygote embeds "
			     "CPython 3.11 and loads it from the image (Debian's libpython3.11 "
			     "package; python.org builds configured with --enable-shared)",
			     *python);
}

/* ---- the probe: the environment's Python, run in a sandbox ---- */

/* Imports each candidate module and prints one JSON line: the interpreter's
 * version and implementation, and each module's version (or why it did not
 * import).  Run by the environment's own interpreter, inside a sandbox
 * built from the environment, never on the host. */
static const char probe_py[] =
	"import importlib, json, sys\n"
	"def text(s):\n"
	"    return str(s).encode('utf-8', 'replace').decode('utf-8')[:200]\n"
	"mods = {}\n"
	"for name in sys.argv[1:]:\n"
	"    try:\n"
	"        m = importlib.import_module(name)\n"
	"        v = getattr(m, '__version__', None)\n"
	"        mods[name] = {'version': text(v) if isinstance(v, str) else None}\n"
	"    except BaseException as e:\n"
	"        mods[name] = {'error': text(type(e).__name__ + ': ' + str(e))}\n"
	"print('STRATBOX-PROBE ' + json.dumps({'python': '%d.%d.%d' % sys.version_info[:3],\n"
	"    'implementation': sys.implementation.name, 'modules': mods}))\n";

/* Run the probe for `modules` in the environment described by po; *out the
 * probe's object. */
int env_probe(const struct sbx_pool_options *po, const char *const *modules, size_t n,
	      json_t **out, sbx_error **err)
{
	*out = NULL;
	sbx_config *c = sbx_config_new();
	if (c == NULL)
		return sbx_error_set(err, ENOMEM, "probe");
	size_t argc = 3 + n;
	const char **argv = calloc(argc + 1, sizeof(*argv));
	int r = -1;
	sbx_verdict v = { 0 };
	const char *line = NULL;
	json_error_t je;
	if (argv == NULL) {
		sbx_error_set(err, ENOMEM, "probe");
		goto out;
	}
	argv[0] = po->python ? po->python : "/usr/bin/python3";
	/* -S: no site module, so no system site-packages, as in the zygote
	 * of a venv made without them */
	argv[1] = po->no_system_site ? "-Sc" : "-c";
	argv[2] = probe_py;
	for (size_t i = 0; i < n; i++)
		argv[3 + i] = modules[i];
	if ((po->rootfs && sbx_config_set_rootfs(c, po->rootfs, err) < 0) ||
	    sbx_config_set_argv(c, (int) argc, (char *const *) argv, err) < 0 ||
	    sbx_config_set_memory(c, 2ull << 30, err) < 0 || sbx_config_set_pids(c, 64, err) < 0 ||
	    sbx_config_set_wall_time(c, 120ull * 1000000000ull, err) < 0 ||
	    sbx_config_add_env(c, "PYTHONDONTWRITEBYTECODE=1", err) < 0 ||
	    sbx_config_add_env(c, "OPENBLAS_NUM_THREADS=1", err) < 0 ||
	    (po->cgroup_parent && sbx_config_set_cgroup_parent(c, po->cgroup_parent, err) < 0))
		goto out;
	if (po->site_packages) {
		if (sbx_config_add_env(c, "PYTHONPATH=" SBX_SITE_PACKAGES_IN_SANDBOX, err) < 0 ||
		    sbx_config_add_bind(c, po->site_packages, SBX_SITE_PACKAGES_IN_SANDBOX, false,
					err) < 0)
			goto out;
	}
	if (sbx_run(c, &v, err) < 0)
		goto out;
	line = v.out.data ? strstr(v.out.data, "STRATBOX-PROBE ") : NULL;
	if (v.status != SBX_OK || line == NULL) {
		const char *e = v.err.data ? v.err.data : "";
		size_t el = strlen(e);
		sbx_error_set(err, 0, "the environment's Python (%s) did not run: %s%s%s%.600s",
			      argv[0], sbx_status_name(v.status), v.message ? ", " : "",
			      v.message ? v.message : "", el ? e + (el > 600 ? el - 600 : 0) : "");
		goto out;
	}
	line += strlen("STRATBOX-PROBE ");
	*out = json_loadb(line, strcspn(line, "\n"), 0, &je);
	if (*out == NULL || !json_is_object(*out)) {
		sbx_error_set(err, 0, "the environment's Python: unreadable probe output: %s", je.text);
		json_decref(*out);
		*out = NULL;
		goto out;
	}
	r = 0;
out:
	sbx_verdict_clear(&v);
	free(argv);
	sbx_config_free(c);
	return r;
}

/* ---- manifests ---- */

static json_t *strv_json(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static int check_modules(const char *what, const char *const *v, size_t n, sbx_error **err)
{
	for (size_t i = 0; i < n; i++) {
		const char *m = v[i];
		bool ok = m && (m[0] == '_' || (m[0] >= 'a' && m[0] <= 'z') ||
				(m[0] >= 'A' && m[0] <= 'Z'));
		for (const char *p = m; ok && *p; p++)
			ok = *p == '_' || *p == '.' || (*p >= 'a' && *p <= 'z') ||
			     (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
		if (!ok || strlen(m) > 100)
			return sbx_error_set(err, 0, "%s: '%s' is not a module name", what, m ? m : "");
	}
	return 0;
}

static void now_iso(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The modules the probe imports: the allow-list (the default policy's
 * and the environment's own), or the preload list when one is given.
 * *pol keeps the default policy's names alive until the caller frees it. */
static int probe_modules(const struct sbx_env_add_options *o, sbx_check_policy **pol,
			 const char ***out, size_t *n, sbx_error **err)
{
	const char *const *names = NULL;
	size_t k = 0;
	*pol = NULL;
	if (!o->has_preload) {
		if ((*pol = sbx_check_policy_default()) == NULL)
			return sbx_error_set(err, ENOMEM, "probe");
		k = sbx_check_policy_imports(*pol, &names);
	}
	*out = calloc(k + o->nallow + o->npreload + 1, sizeof(**out));
	if (*out == NULL)
		return sbx_error_set(err, ENOMEM, "probe");
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (strcmp(names[i], "__future__") != 0 && strcmp(names[i], "stratbox") != 0 &&
		    strcmp(names[i], "strategy") != 0)
			(*out)[(*n)++] = names[i];
	const char *const *more = o->has_preload ? o->preload : o->allow;
	size_t nmore = o->has_preload ? o->npreload : o->nallow;
	for (size_t i = 0; i < nmore; i++)
		(*out)[(*n)++] = more[i];
	return 0;
}

static void say(const struct sbx_env_add_options *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(const struct sbx_env_add_options *o, const char *fmt, ...)
{
	if (o->log_fd < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_line(o->log_fd, "stratbox", fmt, ap);
	va_end(ap);
}

/* Probe the environment being built (rootfs under tmp, or the host's with
 * a venv) and fill the manifest's python and packages; a module the user
 * asked for (--allow, --preload) that does not import is an error. */
static int probe_into(json_t *m, const struct sbx_pool_options *po,
		      const struct sbx_env_add_options *o, sbx_error **err)
{
	const char **mods = NULL;
	size_t n = 0;
	sbx_check_policy *pol = NULL;
	json_t *res = NULL;
	int r = probe_modules(o, &pol, &mods, &n, err) < 0 ? -1 : env_probe(po, mods, n, &res, err);
	free(mods);
	sbx_check_policy_free(pol);
	if (r < 0)
		return -1;
	const char *impl = json_string_value(json_object_get(res, "implementation"));
	const char *ver = json_string_value(json_object_get(res, "python"));
	if (impl == NULL || strcmp(impl, "cpython") != 0 || ver == NULL ||
	    strncmp(ver, "3.11.", 5) != 0) {
		sbx_error_set(err, 0,
			      "the environment's Python is %s %s, not CPython 3.11: stratbox's "
			      "zygote embeds CPython 3.11",
			      impl ? impl : "?", ver ? ver : "?");
		json_decref(res);
		return -1;
	}
	json_t *pk = json_object(), *missing = json_array();
	const char *k;
	json_t *val;
	json_object_foreach(json_object_get(res, "modules"), k, val) {
		const char *v = json_string_value(json_object_get(val, "version"));
		if (json_object_get(val, "error"))
			json_array_append_new(missing, json_string(k));
		else
			if (v != NULL) /* the standard library has none: noise */
				json_object_set_new(pk, k, json_string(v));
	}
	/* what the user named must work; the default allow-list's modules
	 * that an image lacks are only noted (a strategy importing one gets
	 * the usual ImportError) */
	const char *const *asked = o->has_preload ? o->preload : o->allow;
	size_t nasked = o->has_preload ? o->npreload : o->nallow;
	for (size_t i = 0; i < nasked; i++) {
		json_t *e = json_object_get(json_object_get(json_object_get(res, "modules"), asked[i]),
					    "error");
		if (e != NULL) {
			sbx_error_set(err, 0, "module %s does not import in the environment: %s",
				      asked[i], json_string_value(e));
			json_decref(pk);
			json_decref(missing);
			json_decref(res);
			return -1;
		}
	}
	json_object_set_new(m, "python_version", json_string(ver));
	json_object_set_new(m, "packages", pk);
	json_object_set_new(m, "unavailable", missing);
	json_decref(res);
	return 0;
}

/* ---- building an environment ---- */

struct build {
	const char *state, *name;
	const struct sbx_env_add_options *o;
	char *envs, *tmp, *final, *rootfs;
	json_t *m;
	int lock_fd; /* tmp, LOCK_EX while we build: `stratbox cleanup` leaves it alone */
};

static void build_free(struct build *b)
{
	if (b->tmp != NULL) {
		sbx_error *e = NULL;
		if (env_tree_remove(b->tmp, &e) < 0 && b->o->log_fd >= 0)
			dprintf(b->o->log_fd, "stratbox: could not remove %s: %s\n", b->tmp, e->msg);
		sbx_error_free(e);
	}
	if (b->lock_fd >= 0)
		close(b->lock_fd);
	free(b->envs);
	free(b->tmp);
	free(b->final);
	free(b->rootfs);
	json_decref(b->m);
}

static int build_begin(struct build *b, const char *state, const char *name, const char *kind,
		       const char *source, const struct sbx_env_add_options *o, sbx_error **err)
{
	memset(b, 0, sizeof(*b));
	b->lock_fd = -1;
	b->state = state;
	b->name = name;
	b->o = o;
	if (sbx_env_name_check(name, err) < 0)
		return -1;
	if (strcmp(name, "host") == 0)
		return sbx_error_set(err, 0, "'host' is the host's own environment, not a name to add");
	if (check_modules("--allow", o->allow, o->nallow, err) < 0 ||
	    check_modules("--preload", o->preload, o->npreload, err) < 0)
		return -1;
	if ((b->envs = envs_dir(state, true, err)) == NULL)
		return -1;
	b->final = env_dir(state, name);
	if (b->final == NULL)
		return sbx_error_set(err, ENOMEM, "environment");
	struct stat st;
	if (lstat(b->final, &st) == 0)
		return sbx_error_set(err, 0,
				     "environment %s exists (%s); `stratbox env rm %s` first", name,
				     b->final, name);
	b->tmp = str_printf("%s/.tmp-%s-%d", b->envs, name, (int) getpid());
	if (b->tmp == NULL)
		return sbx_error_set(err, ENOMEM, "environment");
	if (env_tree_remove(b->tmp, err) < 0) /* our pid's own leftover */
		return -1;
	if (mkdir(b->tmp, 0755) < 0) {
		int e = errno;
		free(b->tmp);
		b->tmp = NULL;
		return sbx_error_set(err, e, "%s/.tmp-%s-%d", b->envs, name, (int) getpid());
	}
	/* a live build is told from a killed one by this lock, whatever its age */
	b->lock_fd = open(b->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (b->lock_fd < 0 || flock(b->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return sbx_error_set(err, errno, "lock %s", b->tmp);
	b->rootfs = str_printf("%s/rootfs", b->tmp);
	char created[32];
	now_iso(created, sizeof(created));
	b->m = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "name", name, "kind", kind, "source",
			 source, "created", created, "allow", strv_json(o->allow, o->nallow),
			 "stratbox_version", STRATBOX_VERSION);
	if (b->rootfs == NULL || b->m == NULL)
		return sbx_error_set(err, ENOMEM, "environment");
	if (o->has_preload)
		json_object_set_new(b->m, "preload", strv_json(o->preload, o->npreload));
	if (o->native)
		json_object_set_new(b->m, "native", json_true());
	return 0;
}

/* Write the manifest, seal, and move the environment into place. */
static int build_commit(struct build *b, sbx_error **err)
{
	cleanup_free char *mpath = str_printf("%s/manifest.json", b->tmp);
	if (mpath == NULL)
		return sbx_error_set(err, ENOMEM, "manifest");
	if (json_dump_file(b->m, mpath, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 ||
	    chmod(mpath, 0444) < 0)
		return sbx_error_set(err, errno, "write %s", mpath);
	struct stat st;
	if (stat(b->rootfs, &st) == 0 && env_tree_seal(b->rootfs, err) < 0)
		return -1;
	if (chmod(b->tmp, 0555) < 0)
		return sbx_error_set(err, errno, "seal %s", b->tmp);
	if (syscall(SYS_renameat2, AT_FDCWD, b->tmp, AT_FDCWD, b->final, RENAME_NOREPLACE) < 0) {
		int e = errno;
		chmod(b->tmp, 0755);
		if (e == EEXIST || e == ENOTEMPTY)
			return sbx_error_set(err, 0, "environment %s was added meanwhile", b->name);
		return sbx_error_set(err, e, "rename %s to %s", b->tmp, b->final);
	}
	free(b->tmp);
	b->tmp = NULL; /* it is the environment now */
	return 0;
}

/* The common end of import and add --rootfs: the tree is in b->rootfs. */
static int finish_rootfs(struct build *b, const struct env_image_info *info, sbx_error **err)
{
	const char *python = NULL;
	if (check_python(b->rootfs, &python, err) < 0)
		return -1;
	json_object_set_new(b->m, "python", json_string(python));
	json_object_set_new(b->m, "files", json_integer((json_int_t) info->files));
	json_object_set_new(b->m, "bytes", json_integer((json_int_t) info->bytes));
	if (info->neutralised || info->skipped)
		json_object_set_new(b->m, "neutralised",
				    json_pack("{s:i, s:i, s:s}", "modes", info->neutralised,
					      "skipped", info->skipped, "first", info->note));
	say(b->o, "probing the environment's Python in a sandbox");
	struct sbx_pool_options po = { .rootfs = b->rootfs, .python = python,
				       .cgroup_parent = b->o->cgroup_parent };
	if (probe_into(b->m, &po, b->o, err) < 0)
		return -1;
	say(b->o, "hashing the tree");
	char digest[72];
	if (env_tree_digest(b->rootfs, digest, err) < 0)
		return -1;
	json_object_set_new(b->m, "digest", json_string(digest));
	return build_commit(b, err);
}

int sbx_env_import(const char *state, const char *name, const char *archive,
		   const struct sbx_env_add_options *o, sbx_error **err)
{
	struct build b;
	cleanup_free char *src = archive ? realpath(archive, NULL) : NULL;
	if (src == NULL)
		return sbx_error_set(err, archive ? errno : EINVAL, "image archive %s",
				     archive ? archive : "");
	int r = -1;
	struct env_image_info info;
	if (build_begin(&b, state, name, "image", src, o, err) < 0)
		goto out;
	say(o, "unpacking %s", src);
	if (env_image_unpack(src, b.rootfs, NULL, &info, err) < 0) {
		sbx_error_wrap(err, "import %s", archive);
		goto out;
	}
	json_object_set_new(b.m, "format", json_string(info.format));
	json_object_set_new(b.m, "image_digest", json_string(info.digest));
	json_object_set_new(b.m, "layers", json_integer(info.layers));
	if (info.note[0] && o->log_fd >= 0)
		dprintf(o->log_fd, "stratbox: %u entries neutralised, %u skipped: %s\n",
			info.neutralised, info.skipped, info.note);
	r = finish_rootfs(&b, &info, err);
out:
	build_free(&b);
	return r;
}

int sbx_env_add_rootfs(const char *state, const char *name, const char *dir,
		       const struct sbx_env_add_options *o, sbx_error **err)
{
	struct build b;
	cleanup_free char *src = dir ? realpath(dir, NULL) : NULL;
	if (src == NULL)
		return sbx_error_set(err, dir ? errno : EINVAL, "root filesystem %s", dir ? dir : "");
	int r = -1;
	struct env_image_info info;
	if (build_begin(&b, state, name, "rootfs", src, o, err) < 0)
		goto out;
	say(o, "copying %s", src);
	if (env_tree_copy(src, b.rootfs, NULL, &info, err) < 0) {
		sbx_error_wrap(err, "copy %s", dir);
		goto out;
	}
	r = finish_rootfs(&b, &info, err);
out:
	build_free(&b);
	return r;
}

/* pyvenv.cfg's value for key, or "" (buf). */
static const char *venv_cfg(const char *text, const char *key, char *buf, size_t size)
{
	buf[0] = '\0';
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, key, kl) != 0)
			continue;
		const char *q = p + kl;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=')
			continue;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		size_t n = strcspn(q, "\r\n");
		while (n > 0 && (q[n - 1] == ' ' || q[n - 1] == '\t'))
			n--;
		snprintf(buf, size, "%.*s", (int) n, q);
		break;
	}
	return buf;
}

int sbx_env_add_venv(const char *state, const char *name, const char *venv,
		     const struct sbx_env_add_options *o, sbx_error **err)
{
	cleanup_free char *src = venv ? realpath(venv, NULL) : NULL;
	if (src == NULL)
		return sbx_error_set(err, venv ? errno : EINVAL, "virtualenv %s", venv ? venv : "");
	cleanup_free char *cfgpath = str_printf("%s/pyvenv.cfg", src), *text = NULL;
	size_t len;
	if (cfgpath == NULL || read_file_alloc(cfgpath, 1 << 16, &text, &len, err) < 0)
		return sbx_error_wrap(err, "%s is not a virtualenv (python3 -m venv DIR makes one)",
				      src);
	char version[64], home[512], system_site[16];
	venv_cfg(text, "version", version, sizeof(version));
	if (version[0] == '\0')
		venv_cfg(text, "version_info", version, sizeof(version));
	venv_cfg(text, "home", home, sizeof(home));
	venv_cfg(text, "include-system-site-packages", system_site, sizeof(system_site));
	if (strncmp(version, "3.11.", 5) != 0)
		return sbx_error_set(err, 0,
				     "%s was made by Python %s; strategies run on the host's CPython "
				     "3.11 (/usr/bin/python3): /usr/bin/python3 -m venv DIR",
				     cfgpath, version[0] ? version : "(no version in pyvenv.cfg)");
	cleanup_free char *site = str_printf("%s/lib/python3.11/site-packages", src);
	cleanup_free char *site_real = site ? realpath(site, NULL) : NULL;
	struct stat st;
	if (site_real == NULL || stat(site_real, &st) < 0 || !S_ISDIR(st.st_mode))
		return sbx_error_set(err, errno ? errno : ENOTDIR, "virtualenv site-packages %s",
				     site ? site : "");
	/* What is bound into every job is the resolved directory: a venv
	 * whose site-packages (or lib, or python3.11) links out of it would
	 * have its maker choose a host directory (/root, another user's
	 * home) for every job to read. */
	size_t srclen = strlen(src);
	if (strncmp(site_real, src, srclen) != 0 || site_real[srclen] != '/')
		return sbx_error_set(err, 0,
				     "virtualenv %s: its site-packages is %s, outside the virtualenv "
				     "(through a symlink); only a venv's own directory is bound into "
				     "jobs",
				     src, site_real);
	struct build b;
	int r = -1;
	bool sys_site = strcmp(system_site, "true") == 0;
	struct sbx_pool_options po = { .python = "/usr/bin/python3", .site_packages = site_real,
				       .no_system_site = !sys_site, .cgroup_parent = o->cgroup_parent };
	char digest[72];
	if (build_begin(&b, state, name, "venv", src, o, err) < 0)
		goto out;
	json_object_set_new(b.m, "python", json_string("/usr/bin/python3"));
	json_object_set_new(b.m, "site_packages", json_string(site_real));
	json_object_set_new(b.m, "system_site_packages", json_boolean(sys_site));
	if (home[0] && strcmp(home, "/usr/bin") != 0 && o->log_fd >= 0)
		dprintf(o->log_fd,
			"stratbox: warning: %s was made from %s, not Debian's /usr/bin: its "
			"compiled modules may not load in /usr/bin/python3\n",
			src, home);
	say(o, "probing the virtualenv in a sandbox");
	if (probe_into(b.m, &po, o, err) < 0)
		goto out;
	if (env_tree_digest(site_real, digest, err) < 0)
		goto out;
	json_object_set_new(b.m, "digest", json_string(digest));
	r = build_commit(&b, err);
out:
	build_free(&b);
	return r;
}

int sbx_env_add_host(const char *state, const char *name, const struct sbx_env_add_options *o,
		     sbx_error **err)
{
	struct build b;
	int r = -1;
	struct sbx_pool_options po = { .python = "/usr/bin/python3",
				       .cgroup_parent = o->cgroup_parent };
	if (build_begin(&b, state, name, "host", "/", o, err) < 0)
		goto out;
	json_object_set_new(b.m, "python", json_string("/usr/bin/python3"));
	say(o, "probing the host's Python in a sandbox");
	if (probe_into(b.m, &po, o, err) < 0)
		goto out;
	r = build_commit(&b, err);
out:
	build_free(&b);
	return r;
}
