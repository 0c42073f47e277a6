/* A depth-first walk of a tree holding one directory descriptor at a time
 * (internal.h).
 *
 * Why not nftw() or one descriptor per level: a hostile image can make a
 * tree deeper than any descriptor limit (a symlink to a deep directory,
 * then more directories through it), and the tree must still be removable.
 * So each level keeps only its sorted list of names in memory, the walk
 * goes down with openat(O_NOFOLLOW) and up with "..", and every way up is
 * checked against the device and inode recorded on the way down: if the
 * tree was moved meanwhile, the walk stops rather than act elsewhere.
 * Symlinks are never followed: the callbacks get (parent, name) pairs. */
#include "env/internal.h"

#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct level {
	char **names;
	size_t n, i;
	dev_t dev;
	ino_t ino;
	size_t rel_len; /* the length of this directory's own path in rel */
	char *name;	/* its name in its parent */
};

static void level_free(struct level *l)
{
	for (size_t k = 0; k < l->n; k++)
		free(l->names[k]);
	free(l->names);
	free(l->name);
	memset(l, 0, sizeof(*l));
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names in directory fd, sorted. */
static int list_names(int fd, struct level *l, sbx_error **err)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return sbx_error_set(err, errno, "reading a directory");
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return sbx_error_set(err, errno, "reading a directory");
	}
	size_t cap = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (l->n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nv = realloc(l->names, nc * sizeof(*nv));
			if (!nv)
				goto nomem;
			l->names = nv;
			cap = nc;
		}
		if (!(l->names[l->n] = strdup(de->d_name)))
			goto nomem;
		l->n++;
		errno = 0;
	}
	if (errno) {
		int e = errno;
		closedir(d);
		return sbx_error_set(err, e, "reading a directory");
	}
	closedir(d);
	if (l->n > 1)
		qsort(l->names, l->n, sizeof(*l->names), cmp_name);
	return 0;
nomem:
	closedir(d);
	return sbx_error_set(err, ENOMEM, "reading a directory");
}

/* rel = rel[0..base) + "/" + name (no slash at the top). */
static int rel_set(char **rel, size_t *cap, size_t base, const char *name, sbx_error **err)
{
	size_t nl = strlen(name), need = base + 1 + nl + 1;
	if (need > *cap) {
		size_t nc = need * 2;
		char *nr = realloc(*rel, nc);
		if (!nr)
			return sbx_error_set(err, ENOMEM, "walking a tree");
		*rel = nr;
		*cap = nc;
	}
	size_t at = base;
	if (base > 0)
		(*rel)[at++] = '/';
	memcpy(*rel + at, name, nl + 1);
	return 0;
}

/* Open the directory (parent, name) that st describes, refusing anything else. */
static int open_dir(int parent, const char *name, const struct stat *st, sbx_error **err)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return sbx_error_set(err, errno, "opening directory %s", name);
	struct stat now;
	if (fstat(fd, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		close(fd);
		return sbx_error_set(err, 0, "directory %s changed while the tree was walked",
				     name);
	}
	return fd;
}

struct walk {
	struct level *stack;
	size_t depth, cap;
	char *rel;
	size_t rel_cap;
	int cur;
};

static int push(struct walk *w, int fd, const struct stat *st, const char *name, size_t rel_len,
		sbx_error **err)
{
	if (w->depth == w->cap) {
		size_t nc = w->cap ? w->cap * 2 : 16;
		struct level *ns = realloc(w->stack, nc * sizeof(*ns));
		if (!ns)
			return sbx_error_set(err, ENOMEM, "walking a tree");
		w->stack = ns;
		w->cap = nc;
	}
	struct level *l = &w->stack[w->depth];
	*l = (struct level){ .dev = st->st_dev, .ino = st->st_ino, .rel_len = rel_len };
	w->depth++;
	if (!(l->name = strdup(name)))
		return sbx_error_set(err, ENOMEM, "walking a tree");
	return list_names(fd, l, err);
}

/* One step: the next child of the deepest level, or that level's end. */
static int step(struct walk *w, int dirfd, const char *top, const struct walk_ops *ops, void *ctx,
		sbx_error **err)
{
	struct level *l = &w->stack[w->depth - 1];
	if (l->i < l->n) {
		const char *child = l->names[l->i++];
		if (rel_set(&w->rel, &w->rel_cap, l->rel_len, child, err) < 0)
			return -1;
		struct stat st;
		if (fstatat(w->cur, child, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return errno == ENOENT ? 0 : sbx_error_set(err, errno, "%s", w->rel);
		int r = ops->pre(ctx, w->cur, child, w->rel, &st, err);
		if (r <= 0 || !S_ISDIR(st.st_mode))
			return r;
		cleanup_close int fd = open_dir(w->cur, child, &st, err);
		if (fd < 0 || push(w, fd, &st, child, strlen(w->rel), err) < 0)
			return -1;
		close(w->cur);
		w->cur = steal_fd(&fd);
		return 0;
	}
	w->rel[l->rel_len] = '\0';
	if (w->depth == 1) {
		if (ops->post && ops->post(ctx, dirfd, top, w->rel, w->cur, err) < 0)
			return -1;
		level_free(l);
		w->depth = 0;
		return 0;
	}
	cleanup_close int up = openat(w->cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	const struct level *p = &w->stack[w->depth - 2];
	if (up < 0 || fstat(up, &st) < 0)
		return sbx_error_set(err, errno, "%s/..", w->rel);
	if (st.st_dev != p->dev || st.st_ino != p->ino)
		return sbx_error_set(err, 0, "%s was moved while the tree was walked", w->rel);
	if (ops->post && ops->post(ctx, up, l->name, w->rel, w->cur, err) < 0)
		return -1;
	close(w->cur);
	w->cur = steal_fd(&up);
	level_free(l);
	w->depth--;
	return 0;
}

int tree_walk(int dirfd, const char *name, const struct walk_ops *ops, void *ctx, sbx_error **err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return sbx_error_set(err, errno, "%s", name);
	struct walk w = { .cur = -1 };
	int rc = -1;
	if (!(w.rel = calloc(1, 64)))
		return sbx_error_set(err, ENOMEM, "walking a tree");
	w.rel_cap = 64;
	int r = ops->pre(ctx, dirfd, name, "", &st, err);
	if (r <= 0 || !S_ISDIR(st.st_mode)) {
		rc = r < 0 ? -1 : 0;
		goto out;
	}
	if ((w.cur = open_dir(dirfd, name, &st, err)) < 0 || push(&w, w.cur, &st, name, 0, err) < 0)
		goto out;
	while (w.depth > 0)
		if (step(&w, dirfd, name, ops, ctx, err) < 0)
			goto out;
	rc = 0;
out:
	for (size_t k = 0; k < w.depth; k++)
		level_free(&w.stack[k]);
	free(w.stack);
	free(w.rel);
	if (w.cur >= 0)
		close(w.cur);
	return rc;
}
