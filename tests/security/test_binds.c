/* Bind paths an earlier run could have planted symlinks in.
 *
 * A job that can write a directory (--bind W:/work) can leave symlinks in
 * it for the next run that binds from or into that directory.  Every
 * attack here asserts the exact verdict (SANDBOX_ERROR, exit code 125,
 * a message naming the path and the symlink) and that the "host"
 * directory the symlinks point at was not touched.  That directory lives
 * in /var/tmp: the new root is assembled over /tmp, where a planted link
 * to a host path under /tmp would dangle instead of escaping. */
#include "sec.h"
#include "tests.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directories of one test: base (in /tmp) holds what runs bind;
 * host (in /var/tmp) stands for any host directory, with one file. */
struct fx {
	char base[128], host[128], w[160], d[160], f[160];
};

static void mkdir_mode(const char *path, mode_t mode)
{
	CHECK(mkdir(path, mode) == 0 || errno == EEXIST, "mkdir %s: %s", path, strerror(errno));
	CHECK(chmod(path, mode) == 0);
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0, "create %s: %s", path, strerror(errno));
	CHECK(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
	close(fd);
}

static void fx_init(struct fx *f, const char *name)
{
	snprintf(f->base, sizeof(f->base), "/tmp/sb-%s-%d", name, (int) getpid());
	snprintf(f->host, sizeof(f->host), "/var/tmp/sb-host-%s-%d", name, (int) getpid());
	snprintf(f->w, sizeof(f->w), "%s/w", f->base);
	snprintf(f->d, sizeof(f->d), "%s/d", f->base);
	snprintf(f->f, sizeof(f->f), "%s/f.txt", f->base);
	mkdir_mode(f->base, 0755);
	if (mkdir(f->host, 0777) < 0 && errno != EEXIST)
		test_skip("cannot make a directory in /var/tmp: %s", strerror(errno));
	mkdir_mode(f->host, 0777);
	char p[300];
	snprintf(p, sizeof(p), "%s/host-marker", f->host);
	write_text(p, "host data\n");
	mkdir_mode(f->w, 0777); /* the sandbox user writes here */
	mkdir_mode(f->d, 0755);
	snprintf(p, sizeof(p), "%s/inside-marker", f->d);
	write_text(p, "inside\n");
	write_text(f->f, "file bind\n");
}

static void fx_free(struct fx *f)
{
	test_rm_rf(f->base);
	test_rm_rf(f->host);
}

/* The host directory holds exactly what fx_init() put there. */
static void host_untouched(const struct fx *f)
{
	DIR *d = opendir(f->host);
	CHECK(d != NULL);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		CHECK(strcmp(e->d_name, "host-marker") == 0, "%s/%s was created on the host", f->host,
		      e->d_name);
		n++;
	}
	closedir(d);
	CHECK_INT_EQ(n, 1);
	char p[300], buf[64] = "";
	snprintf(p, sizeof(p), "%s/host-marker", f->host);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) >= 0);
	close(fd);
	CHECK_STR_EQ(buf, "host data\n");
}

/* The run was refused before the command started, naming what. */
#define EXPECT_REFUSED(r, ...)                                                                     \
	do {                                                                                       \
		EXPECT_STATUS((r), "SANDBOX_ERROR");                                               \
		CHECK_INT_EQ((r)->exit_code, 125);                                                 \
		const char *const needles_[] = { __VA_ARGS__ };                                     \
		for (size_t i_ = 0; i_ < sizeof(needles_) / sizeof(needles_[0]); i_++)            \
			CHECK_CONTAINS(vstr((r), "message"), needles_[i_]);                        \
	} while (0)

static const char *opt(char *buf, size_t size, const char *src, const char *dst)
{
	snprintf(buf, size, "%s:%s", src, dst);
	return buf;
}

/* The attack as reported: a job with --bind W:/work makes /work/in a
 * symlink to a host directory; the next run with --ro-bind D:/work/in/data
 * created root-owned directories there, mounted outside its root, and
 * said OK. */
void t_bind_dst_planted_symlink_refused(void)
{
	struct fx f;
	fx_init(&f, "dst");
	char b1[700], b2[700], want[700];
	struct sbx_result r;
	sbx_run_probe(&r, OPTS("--bind", opt(b1, sizeof(b1), f.w, "/work")),
		      ARGS("/probe", "symlink", f.host, "/work/in"));
	EXPECT_STATUS(&r, "OK");
	CHECK_CONTAINS(vstr(&r, "stdout"), "planted /work/in");
	sbx_result_free(&r);
	char in[300];
	struct stat st;
	snprintf(in, sizeof(in), "%s/in", f.w);
	CHECK(lstat(in, &st) == 0 && S_ISLNK(st.st_mode), "the first job could not plant its link");

	sbx_run_probe(&r,
		      OPTS("--bind", opt(b1, sizeof(b1), f.w, "/work"), "--ro-bind",
			   opt(b2, sizeof(b2), f.d, "/work/in/data")),
		      ARGS("/probe", "ls", "/work/in/data"));
	snprintf(want, sizeof(want), "/work/in is a symlink to %s", f.host);
	EXPECT_REFUSED(&r, "bind-mount onto /work/in/data", want);
	sbx_result_free(&r);
	host_untouched(&f);
	fx_free(&f);
}

/* A symlink at each component of a destination, for a directory and a
 * file bind; and through the root's own links (/bin on merged-/usr). */
void t_bind_dst_symlink_at_any_component_refused(void)
{
	struct fx f;
	fx_init(&f, "dstc");
	static const char *const comps[] = { "a", "a/b", "a/b/c" };
	char b1[700], b2[700], p[400], want[700], hostfile[300];
	snprintf(hostfile, sizeof(hostfile), "%s/host-marker", f.host);
	for (size_t k = 0; k < 3; k++) {
		for (int file = 0; file < 2; file++) {
			test_rm_rf(f.w);
			mkdir_mode(f.w, 0777);
			/* real directories up to component k, a link there */
			for (size_t j = 0; j < k; j++) {
				snprintf(p, sizeof(p), "%s/%s", f.w, comps[j]);
				mkdir_mode(p, 0777);
			}
			snprintf(p, sizeof(p), "%s/%s", f.w, comps[k]);
			/* the last component of a file bind points at a host file */
			const char *to = file && k == 2 ? hostfile : f.host;
			CHECK(symlink(to, p) == 0);
			struct sbx_result r;
			sbx_run_probe(&r,
				      OPTS("--bind", opt(b1, sizeof(b1), f.w, "/work"), "--ro-bind",
					   opt(b2, sizeof(b2), file ? f.f : f.d, "/work/a/b/c")),
				      ARGS("/probe", file ? "cat" : "ls", "/work/a/b/c"));
			snprintf(want, sizeof(want), "/work/%s is a symlink to %s", comps[k], to);
			test_note("%s bind, link at /work/%s", file ? "file" : "directory", comps[k]);
			EXPECT_REFUSED(&r, "bind-mount onto /work/a/b/c", want);
			sbx_result_free(&r);
			host_untouched(&f);
		}
	}
	/* the root's own symlinks are not followed either */
	struct stat st;
	if (lstat("/bin", &st) == 0 && S_ISLNK(st.st_mode)) {
		struct sbx_result r;
		sbx_run_probe(&r, OPTS("--ro-bind", opt(b2, sizeof(b2), f.d, "/bin/data")),
			      ARGS("/probe", "ls", "/bin/data"));
		EXPECT_REFUSED(&r, "bind-mount onto /bin/data", "/bin is a symlink to usr/bin");
		sbx_result_free(&r);
	}
	fx_free(&f);
}

/* The source attack as reported: a job whose output directory is bound
 * into the next job replaces a file with `ln -s / results`; the next run
 * got the host's whole root.  Refused, by absolute and relative source;
 * followed only when asked, for a directory and a file. */
void t_bind_src_planted_symlink_refused(void)
{
	struct fx f;
	fx_init(&f, "src");
	char b1[700], p[300], want[700];
	snprintf(p, sizeof(p), "%s/results", f.w);
	write_text(p, "real results\n");
	struct sbx_result r;
	sbx_run_probe(&r, OPTS("--bind", opt(b1, sizeof(b1), f.w, "/out")),
		      ARGS("/probe", "symlink", "/", "/out/results"));
	EXPECT_STATUS(&r, "OK");
	CHECK_CONTAINS(vstr(&r, "stdout"), "planted /out/results -> /");
	sbx_result_free(&r);

	sbx_run_probe(&r, OPTS("--ro-bind", opt(b1, sizeof(b1), p, "/in")),
		      ARGS("/probe", "ls", "/in"));
	snprintf(want, sizeof(want), "bind source %s is a symlink to /,", p);
	EXPECT_REFUSED(&r, want, "--follow-symlinks");
	CHECK_NOT_CONTAINS(vstr(&r, "stdout"), "entry=");
	sbx_result_free(&r);

	/* relative to the caller's directory: made absolute, not resolved */
	int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(here >= 0 && chdir(f.w) == 0);
	sbx_run_probe(&r, OPTS("--ro-bind", "results:/in"), ARGS("/probe", "ls", "/in"));
	CHECK(fchdir(here) == 0);
	close(here);
	EXPECT_REFUSED(&r, want);
	sbx_result_free(&r);

	/* a directory and a file, refused, then followed with the option */
	char hostfile[300];
	snprintf(hostfile, sizeof(hostfile), "%s/host-marker", f.host);
	const char *const targets[] = { f.host, hostfile };
	for (int i = 0; i < 2; i++) {
		CHECK(unlink(p) == 0 && symlink(targets[i], p) == 0);
		const char *const cmd = i == 0 ? "ls" : "cat";
		sbx_run_probe(&r, OPTS("--ro-bind", opt(b1, sizeof(b1), p, "/in")),
			      ARGS("/probe", cmd, "/in"));
		snprintf(want, sizeof(want), "bind source %s is a symlink to %s,", p, targets[i]);
		EXPECT_REFUSED(&r, want);
		sbx_result_free(&r);
		sbx_run_probe(&r, OPTS("--follow-symlinks", "--ro-bind", opt(b1, sizeof(b1), p, "/in")),
			      ARGS("/probe", cmd, "/in"));
		EXPECT_STATUS(&r, "OK");
		CHECK_CONTAINS(vstr(&r, "stdout"), i == 0 ? "entry=host-marker\n" : "host data\n");
		sbx_result_free(&r);
		/* followed on request, and still read-only */
		sbx_run_probe(&r, OPTS("--follow-symlinks", "--ro-bind", opt(b1, sizeof(b1), p, "/in")),
			      ARGS("/probe", "write", i == 0 ? "/in/host-marker" : "/in"));
		EXPECT_BLOCKED(&r, "Read-only file system");
		sbx_result_free(&r);
	}
	host_untouched(&f);
	fx_free(&f);
}

/* Ordinary binds still land where asked, through the new resolution:
 * nested directory and file binds in a writable bind and in the root. */
void t_nested_binds_land_where_asked(void)
{
	struct fx f;
	fx_init(&f, "nest");
	char b1[700], b2[700], b3[700], p[300];
	struct sbx_result r;
	sbx_run_probe(&r,
		      OPTS("--bind", opt(b1, sizeof(b1), f.w, "/work"), "--ro-bind",
			   opt(b2, sizeof(b2), f.d, "/work/in/data"), "--ro-bind",
			   opt(b3, sizeof(b3), f.f, "/deep/x/y/file.txt")),
		      ARGS("/probe", "ls", "/work/in/data"));
	EXPECT_STATUS(&r, "OK");
	CHECK_CONTAINS(vstr(&r, "stdout"), "entry=inside-marker\nentries=1\n");
	sbx_result_free(&r);
	/* the mount point was made inside the writable bind, as before */
	snprintf(p, sizeof(p), "%s/in/data", f.w);
	struct stat st;
	CHECK(lstat(p, &st) == 0 && S_ISDIR(st.st_mode));
	sbx_run_probe(&r,
		      OPTS("--ro-bind", opt(b3, sizeof(b3), f.f, "/deep/x/y/file.txt"), "--ro-bind",
			   opt(b2, sizeof(b2), f.d, "/tmp/in")),
		      ARGS("/probe", "cat", "/deep/x/y/file.txt"));
	EXPECT_STATUS(&r, "OK");
	CHECK_CONTAINS(vstr(&r, "stdout"), "file bind\n");
	sbx_result_free(&r);
	host_untouched(&f);
	fx_free(&f);
}

/* ---- a swap racing the mounts ---- */

struct flipper {
	char a[3][300], b[3][300];
	atomic_int stop;
	long flips;
};

static void *flip(void *arg)
{
	struct flipper *fl = arg;
	while (!atomic_load(&fl->stop)) {
		for (int i = 0; i < 3; i++)
			if (renameat2(AT_FDCWD, fl->a[i], AT_FDCWD, fl->b[i], RENAME_EXCHANGE) == 0)
				fl->flips++;
	}
	return NULL;
}

/* While a thread keeps exchanging a directory with a symlink to the host
 * directory (a destination's component, and a directory or file source),
 * many sandboxes start.  Each must either see the directory's own content
 * or be refused naming a symlink; the host directory is never listed,
 * read or written. */
void t_bind_swap_race_never_reaches_host(void)
{
	struct fx f;
	fx_init(&f, "race");
	struct flipper fl;
	memset(&fl, 0, sizeof(fl));
	char src[200], fsrc[200], p[400], hostfile[300];
	snprintf(hostfile, sizeof(hostfile), "%s/host-marker", f.host);
	/* destination: /work/in, a directory or a link to the host */
	snprintf(fl.a[0], sizeof(fl.a[0]), "%s/in", f.w);
	snprintf(fl.b[0], sizeof(fl.b[0]), "%s/alt", f.w);
	mkdir_mode(fl.a[0], 0777);
	CHECK(symlink(f.host, fl.b[0]) == 0);
	/* sources: a directory or a link to the host directory, and a file
	 * or a link to the host's file, exchanged in turn */
	snprintf(src, sizeof(src), "%s/src", f.base);
	snprintf(fsrc, sizeof(fsrc), "%s/fsrc", f.base);
	mkdir_mode(src, 0755);
	snprintf(p, sizeof(p), "%s/inside-marker", src);
	write_text(p, "inside\n");
	write_text(fsrc, "inside file\n");
	snprintf(fl.a[1], sizeof(fl.a[1]), "%s", src);
	snprintf(fl.b[1], sizeof(fl.b[1]), "%s/src-alt", f.base);
	CHECK(symlink(f.host, fl.b[1]) == 0);
	snprintf(fl.a[2], sizeof(fl.a[2]), "%s", fsrc);
	snprintf(fl.b[2], sizeof(fl.b[2]), "%s/fsrc-alt", f.base);
	CHECK(symlink(hostfile, fl.b[2]) == 0);

	pthread_t th;
	CHECK(pthread_create(&th, NULL, flip, &fl) == 0);
	int ok = 0, refused = 0;
	char b1[700], b2[700], b3[700];
	for (int i = 0; i < 80; i++) {
		bool file = i % 2;
		struct sbx_result r;
		sbx_run_probe(&r,
			      OPTS("--bind", opt(b1, sizeof(b1), f.w, "/work"), "--ro-bind",
				   opt(b2, sizeof(b2), f.d, "/work/in/data"), "--ro-bind",
				   opt(b3, sizeof(b3), file ? fsrc : src, "/src")),
			      ARGS("/probe", file ? "cat" : "ls", "/src"));
		const char *st = vstr(&r, "status");
		const char *out = vstr(&r, "stdout");
		if (st != NULL && strcmp(st, "OK") == 0) {
			CHECK_NOT_CONTAINS(out, "host");
			CHECK_CONTAINS(out, file ? "inside file\n" : "entry=inside-marker\n");
			ok++;
		} else {
			EXPECT_REFUSED(&r, "is a symlink to");
			CHECK_INT_EQ(r.exit_code, 125);
			refused++;
		}
		sbx_result_free(&r);
		host_untouched(&f);
	}
	atomic_store(&fl.stop, 1);
	pthread_join(th, NULL);
	test_note("%d runs OK, %d refused, %ld exchanges", ok, refused, fl.flips);
	host_untouched(&f);
	fx_free(&f);
}
