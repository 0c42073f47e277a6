/* The environment store (include/stratbox/env.h, docs/environments.md):
 * where environments live, their names, opening, listing and removing
 * them.  Adding one (import, add) is src/env/add.c's. */
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

int sbx_env_name_check(const char *name, sbx_error **err)
{
	size_t n = name ? strlen(name) : 0;
	bool ok = n >= 1 && n <= 64 && ((name[0] >= 'a' && name[0] <= 'z') ||
					 (name[0] >= '0' && name[0] <= '9'));
	for (size_t i = 0; ok && i < n; i++)
		ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		     name[i] == '-' || name[i] == '_' || name[i] == '.';
	if (!ok)
		return sbx_error_set(err, 0,
				     "environment name '%s': 1 to 64 of a-z, 0-9, '-', '_', '.', "
				     "starting with a letter or digit",
				     name ? name : "");
	return 0;
}

char *sbx_env_state_dir(const char *dir, sbx_error **err)
{
	const char *d = dir && dir[0] ? dir : getenv("STRATBOX_STATE_DIR");
	char *out = NULL;
	if (d && d[0])
		out = strdup(d);
	else if (geteuid() == 0)
		out = strdup("/var/lib/stratbox");
	else if ((d = getenv("XDG_DATA_HOME")) && d[0] == '/')
		out = str_printf("%s/stratbox", d);
	else {
		const char *home = getenv("HOME");
		if (home == NULL || home[0] != '/') {
			sbx_error_set(err, 0,
				      "no state directory: set STRATBOX_STATE_DIR or --state-dir (no "
				      "$XDG_DATA_HOME and no home directory)");
			return NULL;
		}
		out = str_printf("%s/.local/share/stratbox", home);
	}
	if (out == NULL)
		sbx_error_set(err, ENOMEM, "state directory");
	else if (out[0] != '/') {
		sbx_error_set(err, 0, "state directory '%s' must be an absolute path", out);
		free(out);
		out = NULL;
	}
	return out;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int) sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, mode) < 0 && errno != EEXIST ? -errno : 0;
}

char *env_dir(const char *state, const char *name)
{
	return str_printf("%s/envs/%s", state, name);
}

/* STATE/envs, made when missing (0755: other users may run environments
 * root imported, never change them). */
char *envs_dir(const char *state, bool create, sbx_error **err)
{
	char *d = str_printf("%s/envs", state);
	if (d == NULL) {
		sbx_error_set(err, ENOMEM, "state directory");
		return NULL;
	}
	int r = create ? mkdir_p(d, 0755) : 0;
	if (r < 0) {
		sbx_error_set(err, -r, "state directory %s", d);
		free(d);
		return NULL;
	}
	return d;
}

/* ---- opening, listing, removing ---- */

struct sbx_env {
	char *name;
	json_t *manifest;
	int lock_fd; /* the environment's directory, LOCK_SH while open */
	char *rootfs, *preload;
	const char *python, *site_packages;
	bool no_system_site, native;
};

static json_t *host_manifest(void)
{
	return json_pack("{s:s, s:s, s:s, s:[]}", "name", "host", "kind", "host", "python",
			 "/usr/bin/python3", "allow");
}

static int load_manifest(const char *dir, const char *name, json_t **out, sbx_error **err)
{
	cleanup_free char *path = str_printf("%s/manifest.json", dir);
	json_error_t je;
	*out = path ? json_load_file(path, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (*out == NULL)
		return sbx_error_set(err, 0, "environment %s: manifest %s: %s", name,
				     path ? path : dir, je.text);
	const char *mname = json_string_value(json_object_get(*out, "name"));
	const char *kind = json_string_value(json_object_get(*out, "kind"));
	if (mname == NULL || strcmp(mname, name) != 0 || kind == NULL ||
	    !json_is_array(json_object_get(*out, "allow"))) {
		json_decref(*out);
		*out = NULL;
		return sbx_error_set(err, 0, "environment %s: manifest %s/manifest.json is not one",
				     name, dir);
	}
	return 0;
}

/* Read the manifest of the environment in dir into e. */
static int env_load(sbx_env *e, const char *dir, const char *name, sbx_error **err)
{
	e->name = strdup(name);
	if (e->name == NULL)
		return sbx_error_set(err, ENOMEM, "environment");
	if (load_manifest(dir, name, &e->manifest, err) < 0)
		return -1;
	const char *kind = json_string_value(json_object_get(e->manifest, "kind"));
	e->python = json_string_value(json_object_get(e->manifest, "python"));
	if (strcmp(kind, "image") == 0 || strcmp(kind, "rootfs") == 0) {
		e->rootfs = str_printf("%s/rootfs", dir);
		if (e->rootfs == NULL)
			return sbx_error_set(err, ENOMEM, "environment");
		if (e->python == NULL || e->python[0] != '/')
			return sbx_error_set(err, 0, "environment %s: its manifest has no python", name);
	} else if (strcmp(kind, "host") == 0) {
		/* the host's tree with its own allow-list and preload */
	} else if (strcmp(kind, "venv") == 0) {
		e->site_packages = json_string_value(json_object_get(e->manifest, "site_packages"));
		e->no_system_site =
			!json_is_true(json_object_get(e->manifest, "system_site_packages"));
		if (e->site_packages == NULL)
			return sbx_error_set(err, 0, "environment %s: its manifest has no site_packages",
					     name);
		/* The venv stays where it is, its maker's: the pool binds this
		 * path, so it must still lead where it did when it was added
		 * (no symlink swapped in above it since, to a host directory).
		 * A check at open, not at the bind: it narrows the race to the
		 * pool's start, and `env check` compares the content. */
		cleanup_free char *now = realpath(e->site_packages, NULL);
		if (now == NULL || strcmp(now, e->site_packages) != 0)
			return sbx_error_set(err, now ? 0 : errno,
					     "environment %s: its site-packages %s now leads to %s, "
					     "not where it was when it was added",
					     name, e->site_packages, now ? now : "nothing");
	} else {
		return sbx_error_set(err, 0, "environment %s: unknown kind '%s'", name, kind);
	}
	e->native = json_is_true(json_object_get(e->manifest, "native"));
	json_t *pre = json_object_get(e->manifest, "preload");
	if (!json_is_array(pre))
		return 0;
	size_t i, len = 1;
	json_t *v;
	json_array_foreach(pre, i, v) len += strlen(json_string_value(v) ?: "") + 1;
	e->preload = calloc(1, len);
	if (e->preload == NULL)
		return sbx_error_set(err, ENOMEM, "environment");
	json_array_foreach(pre, i, v) {
		if (i)
			strcat(e->preload, ",");
		strcat(e->preload, json_string_value(v) ?: "");
	}
	return 0;
}

int sbx_env_open(const char *state, const char *name, sbx_env **out, sbx_error **err)
{
	*out = NULL;
	sbx_env *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return sbx_error_set(err, ENOMEM, "environment");
	e->lock_fd = -1;
	if (name == NULL || strcmp(name, "host") == 0) {
		e->name = strdup("host");
		e->manifest = host_manifest();
		if (e->name == NULL || e->manifest == NULL) {
			sbx_env_free(e);
			return sbx_error_set(err, ENOMEM, "environment");
		}
		*out = e;
		return 0;
	}
	cleanup_free char *dir = NULL;
	if (sbx_env_name_check(name, err) < 0)
		goto fail;
	if ((dir = env_dir(state, name)) == NULL) {
		sbx_error_set(err, ENOMEM, "environment");
		goto fail;
	}
	/* shared: `env rm` takes it exclusively and refuses while we hold it.
	 * The lock must be on the directory we then read: an open that waited
	 * while `env rm` removed the environment, and someone added one of the
	 * same name, holds the old directory; look again. */
	for (int tries = 0;; tries++) {
		e->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (e->lock_fd < 0) {
			if (errno == ENOENT)
				sbx_error_set(err, 0,
					      "no environment %s in %s (`stratbox env list` shows "
					      "them)",
					      name, state);
			else
				sbx_error_set(err, errno, "environment %s", dir);
			goto fail;
		}
		flock(e->lock_fd, LOCK_SH);
		struct stat held, now;
		if (fstat(e->lock_fd, &held) == 0 && stat(dir, &now) == 0 &&
		    held.st_dev == now.st_dev && held.st_ino == now.st_ino)
			break;
		close(e->lock_fd);
		e->lock_fd = -1;
		if (tries == 8) {
			sbx_error_set(err, 0, "environment %s keeps changing while it is opened",
				      name);
			goto fail;
		}
	}
	if (env_load(e, dir, name, err) < 0)
		goto fail;
	*out = e;
	return 0;
fail:
	sbx_env_free(e);
	return -1;
}

void sbx_env_free(sbx_env *e)
{
	if (e == NULL)
		return;
	if (e->lock_fd >= 0)
		close(e->lock_fd);
	free(e->name);
	free(e->rootfs);
	free(e->preload);
	json_decref(e->manifest);
	free(e);
}

const char *sbx_env_name(const sbx_env *e)
{
	return e->name;
}

const struct json_t *sbx_env_manifest(const sbx_env *e)
{
	return e->manifest;
}

void sbx_env_pool_options(const sbx_env *e, struct sbx_pool_options *po)
{
	po->env_name = e->name;
	po->rootfs = e->rootfs;
	po->python = e->rootfs ? e->python : NULL;
	po->preload = e->preload;
	po->site_packages = e->site_packages;
	po->no_system_site = e->site_packages && e->no_system_site;
	po->native = e->native;
}

sbx_check_policy *sbx_env_policy(const sbx_env *e, sbx_error **err)
{
	sbx_check_policy *p = sbx_check_policy_default();
	if (p == NULL) {
		sbx_error_set(err, ENOMEM, "policy");
		return NULL;
	}
	json_t *allow = json_object_get(e->manifest, "allow");
	size_t n = json_array_size(allow);
	const char **names = calloc(n + 1, sizeof(*names));
	for (size_t i = 0; names && i < n; i++)
		names[i] = json_string_value(json_array_get(allow, i));
	if (names == NULL || (n && sbx_check_policy_allow_imports(p, names, n, err) < 0)) {
		sbx_error_set(err, ENOMEM, "policy");
		free(names);
		sbx_check_policy_free(p);
		return NULL;
	}
	free(names);
	return p;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

int sbx_env_list(const char *state, json_t **out, sbx_error **err)
{
	*out = json_array();
	if (*out == NULL)
		return sbx_error_set(err, ENOMEM, "environments");
	json_array_append_new(*out, host_manifest());
	cleanup_free char *envs = envs_dir(state, false, err);
	cleanup_dir DIR *d = envs ? opendir(envs) : NULL;
	if (d == NULL && (envs == NULL || errno != ENOENT)) {
		if (envs != NULL)
			sbx_error_set(err, errno, "%s", envs);
		json_decref(*out); /* nothing half-listed for the caller to free */
		*out = NULL;
		return -1;
	}
	if (d == NULL)
		return 0;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || sbx_env_name_check(de->d_name, NULL) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (nn == NULL)
				break;
			names = nn;
		}
		names[n++] = strdup(de->d_name);
	}
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *dir = names[i] ? env_dir(state, names[i]) : NULL;
		json_t *m = NULL;
		sbx_error *e = NULL;
		if (dir == NULL || load_manifest(dir, names[i], &m, &e) < 0)
			m = json_pack("{s:s, s:s}", "name", names[i] ? names[i] : "?", "error",
				      e ? e->msg : "out of memory");
		sbx_error_free(e);
		json_array_append_new(*out, m);
		free(names[i]);
	}
	free(names);
	return 0;
}

int sbx_env_remove(const char *state, const char *name, sbx_error **err)
{
	if (sbx_env_name_check(name, err) < 0)
		return -1;
	if (strcmp(name, "host") == 0)
		return sbx_error_set(err, 0, "the host's environment cannot be removed");
	cleanup_free char *dir = env_dir(state, name);
	cleanup_free char *gone = str_printf("%s/envs/.tmp-rm-%s-%d", state, name, (int) getpid());
	if (dir == NULL || gone == NULL)
		return sbx_error_set(err, ENOMEM, "environment");
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? sbx_error_set(err, 0, "no environment %s in %s", name, state)
				       : sbx_error_set(err, errno, "environment %s", dir);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return sbx_error_set(err, 0,
				     "environment %s is in use by a running pool or service "
				     "(`stratbox ps` shows it); stop it first",
				     name);
	/* out of sight at once, then removed: a reader never sees half */
	if (rename(dir, gone) < 0)
		return sbx_error_set(err, errno, "rename %s", dir);
	return env_tree_remove(gone, err);
}
