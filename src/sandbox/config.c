/* The opaque sandbox configuration: secure defaults (the reference limits),
 * validated one setter at a time so a bad value is reported where it is
 * given, and nothing is applied until sbx_run(). */
#include "common/util.h"
#include "sandbox/internal.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

sbx_config *sbx_config_new(void)
{
	sbx_config *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->memory = SBX_DEFAULT_MEMORY;
	c->pids = SBX_DEFAULT_PIDS;
	c->millicpus = SBX_DEFAULT_MILLICPUS;
	c->cpu_time_ns = 0;
	c->wall_ns = SBX_DEFAULT_WALL_NS;
	c->output_limit = SBX_DEFAULT_OUTPUT;
	c->tmp_size = SBX_DEFAULT_TMP;
	c->out_mode = SBX_OUTPUT_CAPTURE;
	c->out_fd = 1;
	c->err_fd = 2;
	c->cancel_fd = -1;
	c->policy = SBX_POLICY_RUN;
	return c;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void sbx_config_free(sbx_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nbinds; i++) {
		free(c->binds[i].src);
		free(c->binds[i].dst);
	}
	free(c->binds);
	for (int i = 0; i < c->ncopies; i++) {
		free(c->copies[i].src);
		free(c->copies[i].dst);
	}
	free_strv(c->env, c->nenv);
	free_strv(c->argv, (size_t) c->argc);
	free(c->cwd);
	free(c->rootfs);
	free(c->cgroup_parent);
	free(c);
}

int sbx_config_set_memory(sbx_config *c, uint64_t bytes, sbx_error **err)
{
	/* Below ~4 MiB nothing, not even the dynamic loader, can start. */
	if (bytes < (4u << 20))
		return sbx_error_set(err, 0, "memory limit must be at least 4M");
	c->memory = bytes;
	return 0;
}

int sbx_config_set_pids(sbx_config *c, uint64_t n, sbx_error **err)
{
	/* The sandbox's own init takes one; the command needs another. */
	if (n < 2 || n > 1000000)
		return sbx_error_set(err, 0, "pids limit must be between 2 and 1000000");
	c->pids = n;
	return 0;
}

int sbx_config_set_cpus(sbx_config *c, uint64_t millicpus, sbx_error **err)
{
	if (millicpus < 10)
		return sbx_error_set(err, 0, "cpus must be at least 0.01");
	c->millicpus = millicpus;
	return 0;
}

int sbx_config_set_cpu_time(sbx_config *c, uint64_t ns, sbx_error **err)
{
	(void) err;
	c->cpu_time_ns = ns;
	return 0;
}

int sbx_config_set_wall_time(sbx_config *c, uint64_t ns, sbx_error **err)
{
	if (ns < 1000000)
		return sbx_error_set(err, 0, "wall time must be at least 1ms");
	c->wall_ns = ns;
	return 0;
}

int sbx_config_set_output_limit(sbx_config *c, uint64_t bytes, sbx_error **err)
{
	if (bytes > (1ull << 30))
		return sbx_error_set(err, 0, "output limit must be at most 1G per stream");
	c->output_limit = bytes;
	return 0;
}

int sbx_config_set_tmp_size(sbx_config *c, uint64_t bytes, sbx_error **err)
{
	if (bytes < 4096)
		return sbx_error_set(err, 0, "tmp size must be at least 4K");
	c->tmp_size = bytes;
	return 0;
}

/* A sandbox path must be absolute and normal: no "..", ".", empty
 * components or trailing slash, so that what the user sees in the config is
 * exactly where the mount lands.  /proc and /dev are built by the sandbox
 * and may not be replaced. */
static int check_dst(const char *dst, sbx_error **err)
{
	if (dst[0] != '/')
		return sbx_error_set(err, 0, "sandbox path '%s' must be absolute", dst);
	if (strcmp(dst, "/") == 0)
		return sbx_error_set(err, 0, "cannot mount over the sandbox root");
	if (strlen(dst) >= 512)
		return sbx_error_set(err, 0, "sandbox path too long");
	for (const char *p = dst; *p; p++) {
		if (p[0] == '/' && (p[1] == '/' || p[1] == '\0'))
			return sbx_error_set(err, 0, "sandbox path '%s' has an empty component", dst);
		if (p[0] == '/' && p[1] == '.' &&
		    (p[2] == '/' || p[2] == '\0' || (p[2] == '.' && (p[3] == '/' || p[3] == '\0'))))
			return sbx_error_set(err, 0, "sandbox path '%s' has a '.' or '..' component",
					     dst);
	}
	static const char *reserved[] = { "/proc", "/dev" };
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++) {
		size_t n = strlen(reserved[i]);
		if (strncmp(dst, reserved[i], n) == 0 && (dst[n] == '\0' || dst[n] == '/'))
			return sbx_error_set(err, 0, "%s is managed by the sandbox and cannot be bound",
					     reserved[i]);
	}
	return 0;
}

int sbx_config_add_bind(sbx_config *c, const char *src, const char *dst, bool writable,
			sbx_error **err)
{
	if (src == NULL || *src == '\0')
		return sbx_error_set(err, 0, "bind source is empty");
	if (dst == NULL || *dst == '\0')
		dst = src;
	if (src[0] != '/')
		return sbx_error_set(err, 0, "bind source '%s' must be an absolute path", src);
	if (check_dst(dst, err) < 0)
		return -1;
	struct sbx_bind *nb = realloc(c->binds, (c->nbinds + 1) * sizeof(*nb));
	if (nb == NULL)
		return sbx_error_set(err, ENOMEM, "bind");
	c->binds = nb;
	struct sbx_bind *b = &c->binds[c->nbinds];
	b->src = strdup(src);
	b->dst = strdup(dst);
	b->writable = writable;
	if (b->src == NULL || b->dst == NULL) {
		free(b->src);
		free(b->dst);
		return sbx_error_set(err, ENOMEM, "bind");
	}
	c->nbinds++;
	return 0;
}

void sbx_config_set_follow_symlinks(sbx_config *c, bool follow)
{
	c->follow_symlinks = follow;
}

int sbx_config_add_env(sbx_config *c, const char *assignment, sbx_error **err)
{
	const char *eq = strchr(assignment, '=');
	if (eq == NULL || eq == assignment)
		return sbx_error_set(err, 0, "environment entry '%s' is not NAME=VALUE", assignment);
	size_t nlen = (size_t) (eq - assignment);
	for (size_t i = 0; i < nlen; i++) {
		char ch = assignment[i];
		bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' ||
			  (i > 0 && ch >= '0' && ch <= '9');
		if (!ok)
			return sbx_error_set(err, 0, "environment name in '%s' is not a valid name",
					     assignment);
	}
	char *dup = strdup(assignment);
	if (dup == NULL)
		return sbx_error_set(err, ENOMEM, "env");
	for (size_t i = 0; i < c->nenv; i++) {
		if (strncmp(c->env[i], assignment, nlen + 1) == 0) {
			free(c->env[i]);
			c->env[i] = dup;
			return 0;
		}
	}
	char **nv = realloc(c->env, (c->nenv + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(dup);
		return sbx_error_set(err, ENOMEM, "env");
	}
	c->env = nv;
	c->env[c->nenv++] = dup;
	return 0;
}

int sbx_config_set_cwd(sbx_config *c, const char *dir, sbx_error **err)
{
	if (dir[0] != '/')
		return sbx_error_set(err, 0, "working directory '%s' must be absolute", dir);
	char *d = strdup(dir);
	if (d == NULL)
		return sbx_error_set(err, ENOMEM, "cwd");
	free(c->cwd);
	c->cwd = d;
	return 0;
}

int sbx_config_set_cgroup_parent(sbx_config *c, const char *path, sbx_error **err)
{
	if (*path == '\0' || strstr(path, "..") != NULL)
		return sbx_error_set(err, 0, "cgroup parent '%s' must be a path without '..'", path);
	char *d = strdup(path);
	if (d == NULL)
		return sbx_error_set(err, ENOMEM, "cgroup parent");
	free(c->cgroup_parent);
	c->cgroup_parent = d;
	return 0;
}

int sbx_config_set_argv(sbx_config *c, int argc, char *const argv[], sbx_error **err)
{
	if (argc < 1 || argv[0] == NULL || argv[0][0] == '\0')
		return sbx_error_set(err, 0, "no command given");
	char **v = calloc((size_t) argc + 1, sizeof(*v));
	if (v == NULL)
		return sbx_error_set(err, ENOMEM, "argv");
	for (int i = 0; i < argc; i++) {
		v[i] = strdup(argv[i]);
		if (v[i] == NULL) {
			free_strv(v, (size_t) i);
			return sbx_error_set(err, ENOMEM, "argv");
		}
	}
	free_strv(c->argv, (size_t) c->argc);
	c->argv = v;
	c->argc = argc;
	return 0;
}

void sbx_config_set_output(sbx_config *c, enum sbx_output_mode mode, int stdout_fd, int stderr_fd)
{
	c->out_mode = mode;
	c->out_fd = stdout_fd;
	c->err_fd = stderr_fd;
}

void sbx_config_set_policy(sbx_config *c, enum sbx_policy policy)
{
	c->policy = policy;
}

void sbx_config_set_cancel_fd(sbx_config *c, int fd)
{
	c->cancel_fd = fd;
}

void sbx_config_keep_caps(struct sbx_config *c)
{
	c->keep_caps = true;
}

int sbx_config_pass_fd(struct sbx_config *c, int host_fd, int sandbox_fd, sbx_error **err)
{
	if (sandbox_fd < 4 || sandbox_fd > 63)
		return sbx_error_set(err, EINVAL, "passed descriptor number %d (4..63)", sandbox_fd);
	if (c->npassfds >= (int) ARRAY_SIZE(c->passfds))
		return sbx_error_set(err, E2BIG, "too many passed descriptors");
	c->passfds[c->npassfds++] = (struct sbx_passfd){ host_fd, sandbox_fd };
	return 0;
}

int sbx_config_add_dir(struct sbx_config *c, const char *path, sbx_error **err)
{
	if (c->ndirs >= (int) ARRAY_SIZE(c->dirs) || path[0] != '/')
		return sbx_error_set(err, EINVAL, "extra directory %s", path);
	c->dirs[c->ndirs++] = path;
	return 0;
}

int sbx_config_add_copy(struct sbx_config *c, const char *src, const char *dst, sbx_error **err)
{
	if (src == NULL || src[0] != '/')
		return sbx_error_set(err, 0, "copy source '%s' must be an absolute path",
				     src ? src : "");
	if (dst == NULL || check_dst(dst, err) < 0)
		return dst ? -1 : sbx_error_set(err, 0, "copy destination is empty");
	if (c->ncopies >= (int) ARRAY_SIZE(c->copies))
		return sbx_error_set(err, E2BIG, "too many copied paths");
	struct sbx_copy *cp = &c->copies[c->ncopies];
	cp->src = strdup(src);
	cp->dst = strdup(dst);
	if (cp->src == NULL || cp->dst == NULL) {
		free(cp->src);
		free(cp->dst);
		cp->src = cp->dst = NULL;
		return sbx_error_set(err, ENOMEM, "copy");
	}
	c->ncopies++;
	return 0;
}

int sbx_config_set_rootfs(struct sbx_config *c, const char *dir, sbx_error **err)
{
	if (dir == NULL) {
		free(c->rootfs);
		c->rootfs = NULL;
		return 0;
	}
	if (dir[0] != '/')
		return sbx_error_set(err, 0, "root filesystem '%s' must be an absolute path", dir);
	struct stat st;
	if (stat(dir, &st) < 0)
		return sbx_error_set(err, errno, "root filesystem %s", dir);
	if (!S_ISDIR(st.st_mode))
		return sbx_error_set(err, ENOTDIR, "root filesystem %s", dir);
	char *d = strdup(dir);
	if (d == NULL)
		return sbx_error_set(err, ENOMEM, "root filesystem");
	/* "/" and a trailing slash: the host's own paths, not "//usr" */
	for (size_t n = strlen(d); n > 1 && d[n - 1] == '/'; n--)
		d[n - 1] = '\0';
	free(c->rootfs);
	c->rootfs = strcmp(d, "/") == 0 ? (free(d), NULL) : d;
	return 0;
}
int sbx_config_set_env_name(struct sbx_config *c, const char *name, sbx_error **err)
{
	if (name == NULL)
		name = "";
	if (strlen(name) >= sizeof(c->env_name) || strchr(name, '\n') != NULL)
		return sbx_error_set(err, 0, "environment name '%s': at most %zu bytes, one line",
				     name, sizeof(c->env_name) - 1);
	snprintf(c->env_name, sizeof(c->env_name), "%s", name);
	return 0;
}

void sbx_config_set_owner(struct sbx_config *c, const char *owner_id)
{
	snprintf(c->owner, sizeof(c->owner), "%s", owner_id ? owner_id : "");
}
