/* stratbox environments: what strategies run on (docs/environments.md).
 *
 * An environment is a root filesystem (or the host's), the Python in it,
 * the modules its zygote preloads and the import allow-list the validator
 * and the import guard enforce.  Environments live in a state directory,
 * one directory each with a manifest:
 *
 *     STATE/envs/NAME/manifest.json   name, kind, source, digests, python and
 *                                     package versions, allow-list, preload
 *     STATE/envs/NAME/rootfs/         the tree (kinds "image" and "rootfs"),
 *                                     sealed read-only
 *
 * A "venv" environment stores only its manifest: the host's Python with a
 * virtualenv's site-packages bound read-only.  The name "host" (and no
 * name) is the host's own environment, as before environments existed.
 *
 *     sbx_env *e;
 *     sbx_env_open(NULL, "sci", &e, &err);       // NULL: the default state dir
 *     struct sbx_pool_options po = { .warm = 2 };
 *     sbx_env_pool_options(e, &po);              // rootfs, python, preload...
 *     sbx_check_policy *pol = sbx_env_policy(e, &err);
 *     ... sbx_pool_start(&po, ...), jobs checked against pol ...
 *     sbx_env_free(e);                           // after the pool has stopped
 *
 * An open environment holds a shared lock on its directory, so that
 * `stratbox env rm` refuses to pull a tree from under a running pool.
 */
#ifndef STRATBOX_ENV_H
#define STRATBOX_ENV_H

#include "stratbox/error.h"
#include "stratbox/pyrt.h"
#include "stratbox/validate.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sbx_env sbx_env;
struct json_t;

/* The state directory: dir when given, else $STRATBOX_STATE_DIR, else
 * /var/lib/stratbox as root and $XDG_DATA_HOME/stratbox (by default
 * ~/.local/share/stratbox) otherwise.  malloc'd; NULL with *err. */
char *sbx_env_state_dir(const char *dir, sbx_error **err);

/* What `env import` and `env add` take besides the source. */
struct sbx_env_add_options {
	const char *const *allow; /* modules added to the default allow-list */
	size_t nallow;
	const char *const *preload; /* modules the zygote imports at start */
	size_t npreload;
	bool has_preload;	    /* false: every allowed module that imports */
	bool native;		    /* its libraries need ctypes in the process (scipy) */
	const char *cgroup_parent;  /* for the sandboxed probe of its Python */
	int log_fd;		    /* progress, one line per step; -1: none */
};

/* Import a Docker or OCI image archive (docs/images.md) as NAME. */
int sbx_env_import(const char *state, const char *name, const char *archive,
		   const struct sbx_env_add_options *o, sbx_error **err);
/* Copy an unpacked root filesystem (docker export, debootstrap) in as NAME. */
int sbx_env_add_rootfs(const char *state, const char *name, const char *dir,
		       const struct sbx_env_add_options *o, sbx_error **err);
/* A virtualenv made from the host's Python 3.11 (python3 -m venv). */
int sbx_env_add_venv(const char *state, const char *name, const char *venv,
		     const struct sbx_env_add_options *o, sbx_error **err);
/* The host's own tree and Python, with its own allow-list and preload
 * (e.g. Debian's scipy, statsmodels, scikit-learn, matplotlib allowed). */
int sbx_env_add_host(const char *state, const char *name, const struct sbx_env_add_options *o,
		     sbx_error **err);
/* Remove NAME; refused (SBX_ERR_INVALID) while a pool has it open. */
int sbx_env_remove(const char *state, const char *name, sbx_error **err);

/* Every environment, the host's first: an array of manifests.  One that
 * cannot be read is listed as {"name", "error"}. */
int sbx_env_list(const char *state, struct json_t **out, sbx_error **err);

/* 0 when name is a valid environment name (1 to 64 of a-z, 0-9, '-', '_',
 * '.', starting with a letter or digit), else -1 with *err. */
int sbx_env_name_check(const char *name, sbx_error **err);
/* Open NAME (NULL or "host": the host's environment). */
int sbx_env_open(const char *state, const char *name, sbx_env **out, sbx_error **err);
void sbx_env_free(sbx_env *e);
const char *sbx_env_name(const sbx_env *e);
/* The manifest (borrowed; the host's is made up on the spot). */
const struct json_t *sbx_env_manifest(const sbx_env *e);
/* Fill the environment's fields of a pool's options (rootfs, python,
 * preload, site_packages, env_name); they point into e, which must
 * outlive the pool. */
void sbx_env_pool_options(const sbx_env *e, struct sbx_pool_options *po);
/* The environment's import policy: the default one with the
 * environment's extra modules allowed.  The caller frees it. */
sbx_check_policy *sbx_env_policy(const sbx_env *e, sbx_error **err);

/* `stratbox env check`: verify the stored digest, start the environment's
 * zygote, import the preload list, report versions and the warm-job
 * latency, and re-run the proof that no module reachable from the allowed
 * ones gives a capability (the audit hook refuses every route).  Returns a
 * report object; *ok says whether every step passed.  NULL with *err only
 * when the environment cannot be opened. */
struct sbx_env_check_options {
	const char *cgroup_parent;
	const char *package_dir; /* NULL: python/ beside the executable */
	unsigned jobs;		 /* warm jobs timed (default 20) */
	int log_fd;
};
struct json_t *sbx_env_check(const char *state, const char *name,
			     const struct sbx_env_check_options *o, bool *ok, sbx_error **err);

#ifdef __cplusplus
}
#endif
#endif
