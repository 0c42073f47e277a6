/* Attacks on the plan a sandbox builds from an environment's tree
 * (sbx_config_set_rootfs, rootfs.c plan_system/add_host_entry), without
 * root: a hostile tree (an image, a --rootfs directory) must never make the
 * plan bind anything of the host's.  Each test builds a small tree under
 * /tmp and a "host" directory beside it that the tree's links point at;
 * no plan op may take its source from there. */
#include "common/util.h"
#include "env/image.h"
#include "harness.h"
#include "sandbox/internal.h"
#include "unit.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct atk {
	char base[96];	/* /tmp/sb-unit-envatk-PID */
	char tree[128]; /* base/tree: the environment's root filesystem */
	char host[128]; /* base/host: stands for the host's files */
};

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	CHECK(system(cmd) == 0, "%s", cmd);
}

/* A tree with a real usr, and a host directory holding what the plan
 * would bind from an /etc: ld.so.cache, localtime, alternatives, fonts. */
static void atk_setup(struct atk *a)
{
	snprintf(a->base, sizeof(a->base), "/tmp/sb-unit-envatk-%d", (int) getpid());
	snprintf(a->tree, sizeof(a->tree), "%s/tree", a->base);
	snprintf(a->host, sizeof(a->host), "%s/host", a->base);
	sh("rm -rf '%s' && mkdir -p '%s/usr/bin' '%s/alternatives' '%s/fonts' && "
	   "echo HOST > '%s/ld.so.cache' && echo HOST > '%s/localtime'",
	   a->base, a->tree, a->host, a->host, a->host, a->host);
}

static void atk_cleanup(struct atk *a)
{
	sh("rm -rf '%s'", a->base);
}

/* No op of the plan takes its source from the host directory (nor from
 * anything under the tree reached through a link out of it). */
static void no_source_from(const struct rootfs_plan *p, const char *tree, const char *host)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct rootfs_op *op = &p->ops[i];
		if (op->kind != OP_BIND || op->src == NULL)
			continue;
		char *real = realpath(op->src, NULL);
		CHECK(real != NULL, "bind source %s", op->src);
		CHECK(strncmp(real, host, strlen(host)) != 0, "bind of the host's %s (as %s) at %s",
		      real, op->src, op->dst);
		CHECK(strncmp(real, tree, strlen(tree)) == 0 || strncmp(op->src, "/dev/", 5) == 0,
		      "bind source %s (%s) is outside the tree", op->src, real);
		free(real);
	}
}

static int plan_of(const char *tree, struct rootfs_plan *p, sbx_error **err)
{
	sbx_config *c = sbx_config_new();
	CHECK(sbx_config_set_rootfs(c, tree, err) == 0, "%s", *err ? (*err)->msg : "");
	int r = rootfs_plan_build(c, p, err);
	sbx_config_free(c);
	return r;
}

/* A tree whose etc is a symlink out of it (absolute, or climbing with
 * "..") is refused, naming the link; before the fix the plan bound the
 * target's ld.so.cache, localtime, alternatives and fonts into the
 * sandbox's /etc. */
void u_envatk_tree_etc_symlink_binds_nothing_of_the_host(void)
{
	struct atk a;
	atk_setup(&a);
	const char *targets[2] = { a.host, "../../../../../../../../../../.." };
	char rel[512];
	/* base is /tmp/sb-unit-envatk-PID: from tree, "../host" would do; the
	 * way an image writes it is the many-".." form down from "/" */
	snprintf(rel, sizeof(rel), "../../../../../../../../../..%s", a.host);
	targets[1] = rel;
	for (int i = 0; i < 2; i++) {
		sh("rm -rf '%s/etc' && ln -s '%s' '%s/etc'", a.tree, targets[i], a.tree);
		struct rootfs_plan p;
		sbx_error *err = NULL;
		if (plan_of(a.tree, &p, &err) == 0) {
			no_source_from(&p, a.tree, a.host);
			rootfs_plan_free(&p);
			CHECK(false, "a tree whose etc -> %s gave a plan", targets[i]);
		}
		CHECK_CONTAINS(err->msg, "/etc is a symlink to ");
		CHECK_CONTAINS(err->msg, targets[i]);
		CHECK_CONTAINS(err->msg, "an environment's /etc must be a directory of its own");
		sbx_error_freep(&err);
	}
	atk_cleanup(&a);
}

/* Links the tree may have: each is copied as its text, resolved inside the
 * sandbox's own root, never followed on the host: /etc/ld.so.cache ->
 * the host's, /etc/alternatives -> a host directory, bin and lib64 ->
 * absolute host paths.  The plan holds them as OP_SYMLINK, and no bind
 * of the host's. */
void u_envatk_tree_links_copied_as_text_not_followed(void)
{
	struct atk a;
	atk_setup(&a);
	sh("mkdir -p '%s/etc' && ln -s '%s/ld.so.cache' '%s/etc/ld.so.cache' && "
	   "ln -s '%s/alternatives' '%s/etc/alternatives' && ln -s '%s' '%s/etc/fonts' && "
	   "ln -s /usr/bin '%s/bin' && ln -s '%s' '%s/lib64' && ln -s ../../../../.. '%s/lib'",
	   a.tree, a.host, a.tree, a.host, a.tree, a.host, a.tree, a.tree, a.host, a.tree, a.tree);
	struct rootfs_plan p;
	sbx_error *err = NULL;
	CHECK(plan_of(a.tree, &p, &err) == 0, "%s", err ? err->msg : "");
	no_source_from(&p, a.tree, a.host);
	static const char *const links[] = { "/etc/ld.so.cache", "/etc/alternatives", "/etc/fonts",
					     "/bin", "/lib64", "/lib" };
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		char dst[256];
		snprintf(dst, sizeof(dst), "%s%s", p.base, links[i]);
		bool found = false;
		for (size_t j = 0; j < p.n; j++)
			if (p.ops[j].dst && strcmp(p.ops[j].dst, dst) == 0) {
				CHECK(p.ops[j].kind == OP_SYMLINK, "%s is op kind %d", links[i],
				      p.ops[j].kind);
				found = true;
			}
		CHECK(found, "%s not in the plan", links[i]);
	}
	rootfs_plan_free(&p);
	atk_cleanup(&a);
}

/* usr a symlink (to "/", to "../..", to the host's /usr): refused, naming
 * it; usr a regular file: planned as a file, which cannot cover the
 * skeleton's /usr directory (the child's mount fails: nothing of the
 * host's either); etc a regular file: no /etc entries from the tree. */
void u_envatk_tree_usr_link_refused_usr_or_etc_file_binds_nothing(void)
{
	struct atk a;
	atk_setup(&a);
	static const char *const targets[] = { "/", "../..", "/usr" };
	for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
		sh("rm -rf '%s/usr' && ln -s '%s' '%s/usr'", a.tree, targets[i], a.tree);
		struct rootfs_plan p;
		sbx_error *err = NULL;
		CHECK(plan_of(a.tree, &p, &err) < 0, "usr -> %s planned", targets[i]);
		CHECK_CONTAINS(err->msg, "/tree/usr is a symlink to ");
		CHECK_CONTAINS(err->msg, targets[i]);
		sbx_error_freep(&err);
	}
	sh("rm -f '%s/usr' && echo x > '%s/usr' && echo x > '%s/etc'", a.tree, a.tree, a.tree);
	struct rootfs_plan p;
	sbx_error *err = NULL;
	CHECK(plan_of(a.tree, &p, &err) == 0, "%s", err ? err->msg : "");
	no_source_from(&p, a.tree, a.host);
	char dst[256];
	snprintf(dst, sizeof(dst), "%s/usr", p.base);
	const struct rootfs_op *usr = NULL;
	for (size_t j = 0; j < p.n; j++)
		if (p.ops[j].kind == OP_BIND && strcmp(p.ops[j].dst, dst) == 0)
			usr = &p.ops[j];
	CHECK(usr != NULL && !usr->is_dir, "usr (a file) planned as a directory");
	for (size_t j = 0; j < p.n; j++)
		CHECK(!(p.ops[j].kind == OP_BIND && strstr(p.ops[j].dst, "/etc/") != NULL),
		      "a bind at %s from a tree whose etc is a file", p.ops[j].dst);
	rootfs_plan_free(&p);
	atk_cleanup(&a);
}

/* The owner of a tree given to `env add --rootfs` (or of a venv, which
 * `env check` hashes in place) swaps a regular file for a fifo between the
 * walk's look at it and the copy's (or the digest's) open: the open of a
 * fifo with no writer blocked for ever (an `env add` or `env check` that
 * never ends).  Now an entry that is not the file the walk saw is an
 * error, "changed while it was read".  A racing process exchanges the two
 * names (renameat2 RENAME_EXCHANGE) as fast as it can while the tree is
 * copied and hashed again and again; each copy and digest must end, and a
 * failure must say why. */
void u_envatk_tree_file_swapped_for_fifo_never_hangs_copy_or_digest(void)
{
	char base[96], src[128], f[160], g[160];
	snprintf(base, sizeof(base), "/tmp/sb-unit-envatk-race-%d", (int) getpid());
	snprintf(src, sizeof(src), "%s/src", base);
	snprintf(f, sizeof(f), "%s/f", src);
	snprintf(g, sizeof(g), "%s/g", src);
	sh("rm -rf '%s' && mkdir -p '%s' && echo data > '%s' && mkfifo '%s'", base, src, f, g);
	pid_t racer = fork();
	CHECK(racer >= 0);
	if (racer == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a test that hangs and is killed takes it along */
		for (;;)
			syscall(SYS_renameat2, AT_FDCWD, f, AT_FDCWD, g, RENAME_EXCHANGE);
	}
	int changed = 0;
	for (int i = 0; i < 400; i++) {
		char dest[160];
		snprintf(dest, sizeof(dest), "%s/d%d", base, i);
		struct env_unpack_limits lim = { ENV_DEFAULT_MAX_BYTES, ENV_DEFAULT_MAX_FILES };
		struct env_image_info info = { 0 };
		sbx_error *err = NULL;
		if (env_tree_copy(src, dest, &lim, &info, &err) < 0) {
			CHECK(strstr(err->msg, "changed while it was read") != NULL, "copy: %s",
			      err->msg);
			changed++;
			sbx_error_freep(&err);
		}
		char digest[72];
		if (env_tree_digest(src, digest, &err) < 0) {
			CHECK(strstr(err->msg, "changed while it was read") != NULL, "digest: %s",
			      err->msg);
			changed++;
			sbx_error_freep(&err);
		}
		env_tree_remove(dest, NULL);
	}
	kill(racer, SIGKILL);
	waitpid(racer, NULL, 0);
	test_note("%d of 800 walks saw the swap", changed);
	sh("rm -rf '%s'", base);
}
