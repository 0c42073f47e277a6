/* The image unpacker (src/env/image.h): archives are built here, with a
 * small tar writer, as docker-archive and OCI layouts, plain and gzip; the
 * hostile ones are written as the attack first.  Every hostile test checks
 * that nothing was written outside DEST: a sentinel directory beside DEST
 * (holding one file, "secret") must be exactly as it was, and host paths
 * the attack aims at must not exist.  Runs as root and unprivileged. */
#include "harness.h"
#include "helpers.h"
#include "unit.h"

#include "common/hash.h"
#include "env/image.h"
#include "stratbox/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* ---- a tar writer ---- */
struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 4096;
		b->p = realloc(b->p, b->cap);
		CHECK(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void pad512(struct buf *b)
{
	static const char zero[512];
	if (b->len % 512)
		put(b, zero, 512 - b->len % 512);
}

/* A raw ustar header; size is what the header declares (content is the
 * caller's). */
static void header(struct buf *b, const char *name, char type, unsigned mode, uint64_t size,
		   const char *link)
{
	unsigned char h[512] = { 0 };
	snprintf((char *) h, 100, "%s", name);
	snprintf((char *) h + 100, 8, "%07o", mode);
	snprintf((char *) h + 108, 8, "%07o", 0u);
	snprintf((char *) h + 116, 8, "%07o", 0u);
	if (size < 077777777777ull) {
		snprintf((char *) h + 124, 12, "%011llo", (unsigned long long) size);
	} else { /* GNU base-256 */
		h[124] = 0x80;
		for (int i = 0; i < 8; i++)
			h[135 - i] = (unsigned char) (size >> (8 * i));
	}
	snprintf((char *) h + 136, 12, "%011o", 1700000000u); /* kept: .pyc files check it */
	h[156] = (unsigned char) type;
	if (link)
		snprintf((char *) h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *) h + 148, 8, "%06o", sum);
	h[155] = ' ';
	put(b, h, 512);
}

static void meta(struct buf *b, char type, const char *body, size_t len)
{
	header(b, "././@Meta", type, 0644, len, NULL);
	put(b, body, len);
	pad512(b);
}

static void pax(struct buf *b, const char *key, const char *value)
{
	char rec[8192];
	size_t base = strlen(key) + strlen(value) + 3, len = base + 1;
	while (snprintf(NULL, 0, "%zu", len) + base != len)
		len++;
	int n = snprintf(rec, sizeof(rec), "%zu %s=%s\n", len, key, value);
	meta(b, 'x', rec, (size_t) n);
}

static void t_file(struct buf *b, const char *name, unsigned mode, const char *content)
{
	header(b, name, '0', mode, strlen(content), NULL);
	put(b, content, strlen(content));
	pad512(b);
}

static void t_dir(struct buf *b, const char *name, unsigned mode)
{
	header(b, name, '5', mode, 0, NULL);
}

static void t_link(struct buf *b, char type, const char *name, const char *target)
{
	header(b, name, type, 0777, 0, target);
}

static void t_end(struct buf *b)
{
	static const char zero[1024];
	put(b, zero, sizeof(zero));
}

static struct buf gzip_of(const struct buf *in)
{
	struct buf out = { 0 };
	uLong cap = compressBound(in->len) + 64;
	out.p = malloc(cap);
	z_stream z = { 0 };
	CHECK(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (Bytef *) in->p;
	z.avail_in = (uInt) in->len;
	z.next_out = (Bytef *) out.p;
	z.avail_out = (uInt) cap;
	CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
	out.len = cap - z.avail_out;
	out.cap = cap;
	deflateEnd(&z);
	return out;
}

static void hex_of(const struct buf *b, char hex[65])
{
	sha256_hex(b->p, b->len, hex);
}

/* ---- images ---- */
/* OCI_MULTI: index.json -> an index of an arm64 image (its blob absent) and
 * the amd64 one; BOTH: an OCI layout and a manifest.json naming its blobs,
 * as `docker save` writes since Docker 25. */
enum { DOCKER, OCI, OCI_MULTI, BOTH };
struct image {
	int format;
	bool gzip;
	bool corrupt_layer; /* a byte of the last layer changed after its digest was taken */
	bool two_members;   /* each gzip layer as two gzip streams one after the other */
	const char *arch;   /* the config's architecture; NULL: amd64 */
	struct buf layers[4];
	int n;
};

static void member(struct buf *out, const char *name, const struct buf *b)
{
	header(out, name, '0', 0644, b->len, NULL);
	put(out, b->p, b->len);
	pad512(out);
}

static void member_str(struct buf *out, const char *name, const char *s)
{
	struct buf b = { (char *) s, strlen(s), 0 };
	member(out, name, &b);
}

static void write_buf(const char *path, const struct buf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, b->p, b->len) == (ssize_t) b->len);
	close(fd);
}

/* The archive of img, written to path; the image's digest in digest. */
static void write_image(struct image *img, const char *path, char digest[72])
{
	char diff[4][65], raw[4][65], name[512];
	struct buf blobs[4], out = { 0 };
	char diffs[1024] = "", descs[2048] = "", names[1024] = "";
	for (int i = 0; i < img->n; i++) {
		t_end(&img->layers[i]);
		hex_of(&img->layers[i], diff[i]);
		blobs[i] = img->gzip ? gzip_of(&img->layers[i]) : img->layers[i];
		if (img->gzip && img->two_members) { /* cut anywhere: inside a header */
			struct buf a = { img->layers[i].p, 700, 0 };
			struct buf b = { img->layers[i].p + 700, img->layers[i].len - 700, 0 };
			struct buf ga = gzip_of(&a), gb = gzip_of(&b);
			free(blobs[i].p);
			blobs[i] = (struct buf){ 0 };
			put(&blobs[i], ga.p, ga.len);
			put(&blobs[i], gb.p, gb.len);
			free(ga.p);
			free(gb.p);
		}
		hex_of(&blobs[i], raw[i]);
		/* a byte nothing else checks: a gzip header's time, a tar's last zero */
		if (img->corrupt_layer && i == img->n - 1)
			blobs[i].p[img->gzip ? 4 : blobs[i].len - 1] ^= 1;
		snprintf(diffs + strlen(diffs), sizeof(diffs) - strlen(diffs), "%s\"sha256:%s\"",
			 i ? "," : "", diff[i]);
		snprintf(descs + strlen(descs), sizeof(descs) - strlen(descs),
			 "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar%s\","
			 "\"digest\":\"sha256:%s\",\"size\":%zu}",
			 i ? "," : "", img->gzip ? "+gzip" : "", raw[i], blobs[i].len);
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s\"%d/layer.tar\"",
			 i ? "," : "", i);
	}
	char config[2048], chex[65];
	snprintf(config, sizeof(config),
		 "{\"architecture\":\"%s\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
		 "\"diff_ids\":[%s]}}", img->arch ? img->arch : "amd64", diffs);
	sha256_hex(config, strlen(config), chex);
	if (img->format == DOCKER) {
		for (int i = 0; i < img->n; i++) {
			snprintf(name, sizeof(name), "%d/layer.tar", i);
			member(&out, name, &blobs[i]);
		}
		snprintf(name, sizeof(name), "%s.json", chex);
		member_str(&out, name, config);
		char man[4096];
		snprintf(man, sizeof(man),
			 "[{\"Config\":\"%s\",\"RepoTags\":[\"t:1\"],\"Layers\":[%s]}]", name,
			 names);
		member_str(&out, "manifest.json", man);
		snprintf(digest, 72, "sha256:%s", chex);
	} else {
		member_str(&out, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
		for (int i = 0; i < img->n; i++) {
			snprintf(name, sizeof(name), "blobs/sha256/%s", raw[i]);
			member(&out, name, &blobs[i]);
		}
		snprintf(name, sizeof(name), "blobs/sha256/%s", chex);
		member_str(&out, name, config);
		char man[4096], mhex[65], index[1024];
		snprintf(man, sizeof(man),
			 "{\"schemaVersion\":2,"
			 "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			 "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
			 "\"digest\":\"sha256:%s\",\"size\":%zu},\"layers\":[%s]}",
			 chex, strlen(config), descs);
		sha256_hex(man, strlen(man), mhex);
		snprintf(name, sizeof(name), "blobs/sha256/%s", mhex);
		member_str(&out, name, man);
		snprintf(index, sizeof(index),
			 "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
			 "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:%s\","
			 "\"size\":%zu}]}", mhex, strlen(man));
		snprintf(digest, 72, "sha256:%s", mhex);
		if (img->format == OCI_MULTI) {
			char inner[1024], ihex[65];
			snprintf(inner, sizeof(inner),
				 "{\"schemaVersion\":2,\"mediaType\":"
				 "\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
				 "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
				 "\"digest\":\"sha256:%064d\",\"size\":10,"
				 "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
				 "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
				 "\"digest\":\"sha256:%s\",\"size\":%zu,"
				 "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}",
				 0, mhex, strlen(man));
			sha256_hex(inner, strlen(inner), ihex);
			snprintf(name, sizeof(name), "blobs/sha256/%s", ihex);
			member_str(&out, name, inner);
			snprintf(index, sizeof(index),
				 "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
				 "\"application/vnd.oci.image.index.v1+json\",\"digest\":"
				 "\"sha256:%s\",\"size\":%zu}]}", ihex, strlen(inner));
		}
		if (img->format == BOTH) {
			char dman[2048], lnames[1024] = "";
			for (int i = 0; i < img->n; i++)
				snprintf(lnames + strlen(lnames), sizeof(lnames) - strlen(lnames),
					 "%s\"blobs/sha256/%s\"", i ? "," : "", raw[i]);
			snprintf(dman, sizeof(dman),
				 "[{\"Config\":\"blobs/sha256/%s\",\"RepoTags\":[\"t:1\"],"
				 "\"Layers\":[%s]}]", chex, lnames);
			member_str(&out, "manifest.json", dman);
			snprintf(digest, 72, "sha256:%s", chex);
		}
		member_str(&out, "index.json", index);
	}
	t_end(&out);
	write_buf(path, &out);
	for (int i = 0; i < img->n; i++) {
		if (img->gzip)
			free(blobs[i].p);
		free(img->layers[i].p);
		img->layers[i] = (struct buf){ 0 };
	}
	free(out.p);
}

/* ---- the place a test works in: T/img.tar, T/dest, T/sentinel/secret ---- */
struct place {
	char top[64], archive[128], dest[128], sentinel[128];
};

static void place_new(struct place *p)
{
	snprintf(p->top, sizeof(p->top), "/tmp/stratbox-env-test-XXXXXX");
	CHECK(mkdtemp(p->top));
	snprintf(p->archive, sizeof(p->archive), "%s/img.tar", p->top);
	snprintf(p->dest, sizeof(p->dest), "%s/dest", p->top);
	snprintf(p->sentinel, sizeof(p->sentinel), "%s/sentinel", p->top);
	CHECK(mkdir(p->sentinel, 0755) == 0);
	char secret[160];
	snprintf(secret, sizeof(secret), "%s/secret", p->sentinel);
	int fd = open(secret, O_WRONLY | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0 && write(fd, "secret", 6) == 6);
	close(fd);
}

static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	char *s = calloc(1, 65536);
	ssize_t n = read(fd, s, 65535);
	close(fd);
	if (n < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* The sentinel holds exactly secret, unchanged, and T nothing new but dest. */
static void check_nothing_outside(const struct place *p)
{
	DIR *d = opendir(p->sentinel);
	CHECK(d);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			n++;
			CHECK_STR_EQ(de->d_name, "secret");
		}
	closedir(d);
	CHECK_INT_EQ(n, 1);
	char path[160];
	snprintf(path, sizeof(path), "%s/secret", p->sentinel);
	char *s = slurp(path);
	CHECK_STR_EQ(s, "secret");
	free(s);
	d = opendir(p->top);
	CHECK(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			CHECK(strcmp(de->d_name, "img.tar") == 0 ||
				      strcmp(de->d_name, "sentinel") == 0 ||
				      strncmp(de->d_name, "dest", 4) == 0,
			      "%s appeared beside DEST", de->d_name);
	closedir(d);
	CHECK(access("/stratbox-escape", F_OK) < 0 && errno == ENOENT);
	CHECK(access("/etc/stratbox-escape", F_OK) < 0 && errno == ENOENT);
}

static void place_free(const struct place *p)
{
	CHECK(env_tree_remove(p->top, NULL) == 0);
}

/* ---- a tree as text: one sorted line per entry ---- */
static char *lines[4096];
static int nlines;
static size_t root_len;

static int list_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void) flag;
	(void) f;
	const char *rel = path + root_len;
	if (!*rel)
		return 0;
	rel++;
	char extra[300] = "";
	if (S_ISLNK(st->st_mode)) {
		char t[256] = "";
		CHECK(readlink(path, t, sizeof(t) - 1) >= 0);
		snprintf(extra, sizeof(extra), " -> %s", t);
	} else if (S_ISREG(st->st_mode)) {
		char *s = slurp(path);
		snprintf(extra, sizeof(extra), " = %s", s ? s : "(unreadable)");
		free(s);
	}
	char type = S_ISDIR(st->st_mode)   ? 'd'
		    : S_ISLNK(st->st_mode) ? 'l'
		    : S_ISREG(st->st_mode) ? 'f'
					   : '?';
	CHECK(nlines < 4096);
	lines[nlines] = malloc(600);
	snprintf(lines[nlines++], 600, "%c %04o %s%s", type,
		 S_ISLNK(st->st_mode) ? 0777 : (unsigned) (st->st_mode & 07777), rel, extra);
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static char *tree_text(const char *root)
{
	nlines = 0;
	root_len = strlen(root);
	CHECK(nftw(root, list_one, 16, FTW_PHYS) == 0);
	qsort(lines, (size_t) nlines, sizeof(*lines), cmp_line);
	size_t len = 1;
	for (int i = 0; i < nlines; i++)
		len += strlen(lines[i]) + 1;
	char *s = calloc(1, len);
	for (int i = 0; i < nlines; i++) {
		strcat(s, lines[i]);
		strcat(s, "\n");
		free(lines[i]);
	}
	return s;
}

/* ---- the two-layer image ---- */
static void two_layers(struct image *img)
{
	struct buf *l1 = &img->layers[0], *l2 = &img->layers[1];
	t_dir(l1, "etc/", 0755);
	t_file(l1, "etc/keep", 0644, "keep");
	t_link(l1, '1', "etc/keep-link", "etc/keep");
	t_file(l1, "etc/stratbox-removed", 0644, "gone");
	t_dir(l1, "etc/removed-dir/", 0755);
	t_file(l1, "etc/removed-dir/inside", 0644, "gone");
	t_dir(l1, "opt/", 0755);
	t_dir(l1, "opt/opaque/", 0755);
	t_file(l1, "opt/opaque/old", 0644, "old");
	t_dir(l1, "opt/opaque/sub/", 0700);
	t_file(l1, "opt/opaque/sub/deep", 0644, "deep");
	t_dir(l1, "usr/", 0755);
	t_dir(l1, "usr/bin/", 0755);
	t_file(l1, "usr/bin/tool", 0755, "#!/bin/sh");
	t_link(l1, '2', "bin", "usr/bin");
	/* layer 2: a file of its own listed before the opaque marker, one after */
	t_file(l2, "opt/opaque/new", 0644, "new");
	t_dir(l2, "opt/opaque/sub/", 0750);
	t_file(l2, "opt/opaque/.wh..wh..opq", 0644, "");
	t_file(l2, "opt/opaque/later", 0600, "later");
	t_file(l2, "etc/.wh.stratbox-removed", 0644, "");
	t_file(l2, "etc/.wh.removed-dir", 0644, "");
	t_file(l2, "etc/.wh.never-was", 0644, "");
	t_file(l2, "nowhere/.wh.never-was", 0644, ""); /* makes no directory */
	t_file(l2, "nowhere2/.wh..wh..opq", 0644, "");
	t_file(l2, "etc/stratbox-image", 0644, "layer2");
	img->n = 2;
}

static const char two_layer_tree[] =
	"d 0755 etc\n"
	"f 0644 etc/keep = keep\n"
	"f 0644 etc/keep-link = keep\n"
	"f 0644 etc/stratbox-image = layer2\n"
	"d 0755 opt\n"
	"d 0755 opt/opaque\n"
	"f 0600 opt/opaque/later = later\n"
	"f 0644 opt/opaque/new = new\n"
	"d 0750 opt/opaque/sub\n"
	"d 0755 usr\n"
	"d 0755 usr/bin\n"
	"f 0755 usr/bin/tool = #!/bin/sh\n"
	"l 0777 bin -> usr/bin\n";

static void unpack_two_layers(int format, bool gz, char digest_out[72], char tree_digest[72])
{
	struct place p;
	place_new(&p);
	struct image img = { .format = format, .gzip = gz, .two_members = format == DOCKER && gz };
	two_layers(&img);
	char want[72];
	write_image(&img, p.archive, want);
	struct env_image_info info;
	sbx_error *err = NULL;
	int rc = env_image_unpack(p.archive, p.dest, NULL, &info, &err);
	CHECK(rc == 0, "%s", err ? err->msg : "");
	CHECK_STR_EQ(info.format,
		     format == DOCKER || format == BOTH ? "docker-archive" : "oci-layout");
	CHECK_STR_EQ(info.digest, want);
	CHECK_INT_EQ(info.layers, 2);
	CHECK_INT_EQ(info.skipped, 0);
	CHECK_INT_EQ(info.neutralised, 0);
	CHECK_STR_EQ(info.note, "");
	char *text = tree_text(p.dest);
	char sorted[sizeof(two_layer_tree)];
	/* the expected text, sorted as tree_text sorts */
	{
		char *copy = strdup(two_layer_tree), *save = NULL;
		nlines = 0;
		for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			lines[nlines++] = strdup(l);
		qsort(lines, (size_t) nlines, sizeof(*lines), cmp_line);
		sorted[0] = '\0';
		for (int i = 0; i < nlines; i++) {
			strcat(sorted, lines[i]);
			strcat(sorted, "\n");
			free(lines[i]);
		}
		free(copy);
	}
	CHECK_STR_EQ(text, sorted);
	free(text);
	struct stat st;
	char keep[200];
	snprintf(keep, sizeof(keep), "%s/etc/keep", p.dest);
	CHECK(stat(keep, &st) == 0);
	CHECK_INT_EQ(st.st_mtime, 1700000000);
	CHECK(env_tree_digest(p.dest, tree_digest, &err) == 0, "%s", err ? err->msg : "");
	if (digest_out)
		memcpy(digest_out, info.digest, 72);
	check_nothing_outside(&p);
	place_free(&p);
}

void u_env_docker_archive_whiteouts_and_opaque_dir_give_expected_tree(void)
{
	char d[72];
	unpack_two_layers(DOCKER, false, NULL, d);
}

void u_env_oci_layout_gives_same_tree_and_digest_as_docker(void)
{
	char d1[72], d2[72];
	unpack_two_layers(DOCKER, false, NULL, d1);
	unpack_two_layers(OCI, false, NULL, d2);
	CHECK_STR_EQ(d1, d2);
}

void u_env_newer_docker_save_and_oci_indexes_accepted(void)
{
	char d1[72], d2[72], d3[72];
	unpack_two_layers(DOCKER, false, NULL, d1);
	unpack_two_layers(BOTH, false, NULL, d2);
	unpack_two_layers(OCI_MULTI, true, NULL, d3);
	CHECK_STR_EQ(d1, d2);
	CHECK_STR_EQ(d1, d3);
}

void u_env_gzip_layers_give_same_tree(void)
{
	char d1[72], d2[72], d3[72];
	unpack_two_layers(DOCKER, false, NULL, d1);
	unpack_two_layers(OCI, true, NULL, d2);
	unpack_two_layers(DOCKER, true, NULL, d3);
	CHECK_STR_EQ(d1, d2);
	CHECK_STR_EQ(d1, d3);
}

/* ---- refusals ---- */
/* Unpack a one-layer image of layer (docker-archive), expecting failure:
 * the error's kind and a part of its message; DEST must be gone. */
static void expect_refused(struct place *p, struct image *img, const struct env_unpack_limits *lim,
			   enum sbx_error_kind kind, const char *msg)
{
	char digest[72];
	if (img->n == 0)
		img->n = 1;
	write_image(img, p->archive, digest);
	struct env_image_info info;
	sbx_error *err = NULL;
	CHECK(env_image_unpack(p->archive, p->dest, lim, &info, &err) == -1);
	CHECK(err);
	CHECK_CONTAINS(err->msg, msg);
	CHECK_STR_EQ(sbx_error_kind_name(err->kind), sbx_error_kind_name(kind));
	sbx_error_freep(&err);
	CHECK(access(p->dest, F_OK) < 0 && errno == ENOENT, "DEST was left behind");
	check_nothing_outside(p);
}

static void expect_unpacked(struct place *p, struct image *img, struct env_image_info *info)
{
	char digest[72];
	if (img->n == 0)
		img->n = 1;
	write_image(img, p->archive, digest);
	sbx_error *err = NULL;
	CHECK(env_image_unpack(p->archive, p->dest, NULL, info, &err) == 0, "%s",
	      err ? err->msg : "");
	check_nothing_outside(p);
}

static char *at(const struct place *p, const char *rel)
{
	static char path[2][600];
	static int k;
	k ^= 1;
	snprintf(path[k], sizeof(path[k]), "%s/%s", p->dest, rel);
	return path[k];
}

void u_env_wrong_blob_digest_refused_dest_removed(void)
{
	struct place p;
	place_new(&p);
	for (int f = DOCKER; f <= OCI; f++) {
		struct image img = { .format = f, .gzip = f == OCI, .corrupt_layer = true };
		two_layers(&img);
		expect_refused(&p, &img, NULL, SBX_ERR_INVALID,
			       f == OCI ? "its blob's digest is sha256:"
					: "its uncompressed digest is sha256:");
	}
	place_free(&p);
}

/* The zygote is a binary of this machine's: an image for another
 * architecture is refused before anything is written, in either format. */
void u_env_foreign_architecture_refused(void)
{
	struct place p;
	place_new(&p);
	for (int f = DOCKER; f <= OCI; f++) {
		struct image img = { .format = f, .arch = "arm64" };
		two_layers(&img);
		expect_refused(&p, &img, NULL, SBX_ERR_INVALID,
			       "the image is for arm64, and this machine runs amd64");
	}
	place_free(&p);
}

void u_env_dotdot_names_refused_nothing_outside(void)
{
	struct place p;
	place_new(&p);
	const char *names[] = { "../sentinel/x", "../../etc/stratbox-escape",
				"a/../../sentinel/x" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct image img = { .format = DOCKER };
		t_file(&img.layers[0], "ok", 0644, "fine");
		t_file(&img.layers[0], names[i], 0644, "escaped");
		expect_refused(&p, &img, NULL, SBX_ERR_INVALID, "a path with \"..\" is refused");
	}
	/* the same through a pax path, a GNU long name and a hard link's target */
	struct image img = { .format = DOCKER };
	pax(&img.layers[0], "path", "../../sentinel/x");
	t_file(&img.layers[0], "harmless", 0644, "escaped");
	expect_refused(&p, &img, NULL, SBX_ERR_INVALID, "a path with \"..\" is refused");
	img = (struct image){ .format = DOCKER };
	meta(&img.layers[0], 'L', "../sentinel/x", 14);
	t_file(&img.layers[0], "harmless", 0644, "escaped");
	expect_refused(&p, &img, NULL, SBX_ERR_INVALID, "a path with \"..\" is refused");
	img = (struct image){ .format = DOCKER };
	t_link(&img.layers[0], '1', "h", "../sentinel/secret");
	expect_refused(&p, &img, NULL, SBX_ERR_INVALID, "a path with \"..\" is refused");
	place_free(&p);
}

void u_env_absolute_names_land_inside_dest(void)
{
	struct place p;
	place_new(&p);
	struct image img = { .format = DOCKER };
	t_file(&img.layers[0], "/stratbox-escape", 0644, "inside");
	t_file(&img.layers[0], "/abs/path", 0644, "inside");
	struct env_image_info info;
	expect_unpacked(&p, &img, &info);
	char *s = slurp(at(&p, "stratbox-escape"));
	CHECK_STR_EQ(s, "inside");
	free(s);
	s = slurp(at(&p, "abs/path"));
	CHECK_STR_EQ(s, "inside");
	free(s);
	CHECK(access("/abs/path", F_OK) < 0);
	place_free(&p);
}

void u_env_symlink_escapes_written_inside_dest(void)
{
	struct place p;
	place_new(&p);
	struct image img = { .format = DOCKER };
	t_link(&img.layers[0], '2', "root", "/");
	t_link(&img.layers[0], '2', "up", "../..");
	t_dir(&img.layers[0], "sentinel/", 0755); /* so that up/sentinel resolves */
	t_file(&img.layers[0], "root/stratbox-escape", 0644, "in root");
	t_file(&img.layers[0], "up/sentinel/x", 0644, "in up");
	struct env_image_info info;
	expect_unpacked(&p, &img, &info);
	char t[64] = "";
	CHECK(readlink(at(&p, "root"), t, sizeof(t)) == 1 && t[0] == '/', "symlink kept as text");
	char *s = slurp(at(&p, "stratbox-escape"));
	CHECK_STR_EQ(s, "in root");
	free(s);
	s = slurp(at(&p, "sentinel/x"));
	CHECK_STR_EQ(s, "in up");
	free(s);
	CHECK_INT_EQ(info.skipped, 0);
	place_free(&p);

	/* an absolute link to the host's sentinel, then a file through it:
	 * inside DEST it leads nowhere */
	place_new(&p);
	img = (struct image){ .format = DOCKER };
	t_link(&img.layers[0], '2', "s", p.sentinel);
	t_file(&img.layers[0], "s/x", 0644, "escaped");
	expect_refused(&p, &img, NULL, SBX_ERR_INVALID,
		       "entry s/x: its parent s is not a directory inside the image");
	/* a link to itself ("etc" -> /etc is DEST/etc again): a loop */
	img = (struct image){ .format = DOCKER };
	t_link(&img.layers[0], '2', "etc", "/etc");
	t_file(&img.layers[0], "etc/stratbox-escape", 0644, "escaped");
	expect_refused(&p, &img, NULL, SBX_ERR_INVALID,
		       "entry etc/stratbox-escape: its parent etc is not a directory inside the "
		       "image");
	place_free(&p);
}

void u_env_hardlinks_only_to_earlier_entries_inside(void)
{
	struct place p;
	place_new(&p);
	struct image img = { .format = DOCKER };
	t_link(&img.layers[0], '1', "passwd", "/etc/passwd");
	expect_refused(&p, &img, NULL, SBX_ERR_INVALID,
		       "entry passwd: a hard link to /etc/passwd, which no earlier entry made");
	img = (struct image){ .format = DOCKER };
	t_link(&img.layers[0], '2', "root", "/");
	t_link(&img.layers[0], '1', "h", "root/etc/passwd");
	expect_refused(&p, &img, NULL, SBX_ERR_INVALID, "which no earlier entry made");
	img = (struct image){ .format = DOCKER };
	t_dir(&img.layers[0], "d/", 0755);
	t_link(&img.layers[0], '1', "h", "d");
	expect_refused(&p, &img, NULL, SBX_ERR_INVALID, "entry h: a hard link to the directory d");
	/* through a link that points out: resolved inside, to DEST's own file */
	img = (struct image){ .format = DOCKER };
	t_dir(&img.layers[0], "etc/", 0755);
	t_file(&img.layers[0], "etc/passwd", 0644, "image's own");
	t_link(&img.layers[0], '2', "root", "/");
	t_link(&img.layers[0], '1', "h", "root/etc/passwd");
	struct env_image_info info;
	expect_unpacked(&p, &img, &info);
	char *s = slurp(at(&p, "h"));
	CHECK_STR_EQ(s, "image's own");
	free(s);
	place_free(&p);
}

void u_env_devices_and_fifos_skipped_and_counted(void)
{
	struct place p;
	place_new(&p);
	struct image img = { .format = DOCKER };
	t_file(&img.layers[0], "dev/null", 0644, "a lower file"); /* replaced by the device */
	header(&img.layers[0], "dev/null", '3', 0666, 0, NULL);
	header(&img.layers[0], "dev/sda", '4', 0660, 0, NULL);
	header(&img.layers[0], "run/fifo", '6', 0644, 0, NULL);
	struct env_image_info info;
	expect_unpacked(&p, &img, &info);
	CHECK_INT_EQ(info.skipped, 3);
	CHECK_STR_EQ(info.note, "dev/null: a character device, not created");
	struct stat st;
	CHECK(lstat(at(&p, "dev/null"), &st) < 0 && errno == ENOENT);
	CHECK(lstat(at(&p, "run/fifo"), &st) < 0 && errno == ENOENT);
	place_free(&p);
}

void u_env_setuid_sticky_and_group_write_cleared_and_counted(void)
{
	struct place p;
	place_new(&p);
	struct image img = { .format = DOCKER };
	t_file(&img.layers[0], "usr/bin/su", 04755, "su");
	t_file(&img.layers[0], "usr/bin/wall", 02755, "wall");
	t_dir(&img.layers[0], "tmp/", 01777);
	t_file(&img.layers[0], "etc/shared", 0666, "w");
	t_file(&img.layers[0], "etc/plain", 0640, "p");
	struct env_image_info info;
	expect_unpacked(&p, &img, &info);
	CHECK_INT_EQ(info.neutralised, 4);
	CHECK_STR_EQ(info.note, "usr/bin/su: mode 4755 made 0755 (no setuid, setgid, sticky or "
				"group/other write)");
	struct stat st;
	CHECK(stat(at(&p, "usr/bin/su"), &st) == 0 && (st.st_mode & 07777) == 0755);
	CHECK(stat(at(&p, "usr/bin/wall"), &st) == 0 && (st.st_mode & 07777) == 0755);
	CHECK(stat(at(&p, "tmp"), &st) == 0 && (st.st_mode & 07777) == 0755);
	CHECK(stat(at(&p, "etc/shared"), &st) == 0 && (st.st_mode & 07777) == 0644);
	CHECK(stat(at(&p, "etc/plain"), &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK(st.st_uid == getuid(), "owned by whoever imports");
	place_free(&p);
}

void u_env_huge_declared_size_and_truncation_refused(void)
{
	struct place p;
	place_new(&p);
	struct image img = { .format = DOCKER };
	header(&img.layers[0], "huge", '0', 0644, (uint64_t) 1 << 40, NULL); /* 1 TiB, no content */
	expect_refused(&p, &img, NULL, SBX_ERR_INVALID,
		       "entry huge: 1099511627776 bytes: more than the limit of 17179869184 bytes");
	img = (struct image){ .format = DOCKER };
	header(&img.layers[0], "short", '0', 0644, 1 << 20, NULL); /* 1 MiB declared, 5 given */
	put(&img.layers[0], "short", 5);
	expect_refused(&p, &img, NULL, SBX_ERR_INVALID, "entry short: truncated archive");
	/* the outer archive cut in half */
	img = (struct image){ .format = DOCKER };
	two_layers(&img);
	char digest[72];
	write_image(&img, p.archive, digest);
	struct stat st;
	CHECK(stat(p.archive, &st) == 0 && truncate(p.archive, st.st_size / 2 + 100) == 0);
	sbx_error *err = NULL;
	CHECK(env_image_unpack(p.archive, p.dest, NULL, NULL, &err) == -1);
	CHECK_CONTAINS(err->msg, "truncated archive");
	CHECK_INT_EQ(err->kind, SBX_ERR_INVALID);
	sbx_error_freep(&err);
	check_nothing_outside(&p);
	place_free(&p);
}

void u_env_decompression_bomb_refused_under_limit(void)
{
	struct place p;
	place_new(&p);
	struct env_unpack_limits lim = { .max_bytes = 1 << 20, .max_files = 100 };
	size_t big = 64u << 20;
	struct image img = { .format = OCI, .gzip = true };
	header(&img.layers[0], "bomb", '0', 0644, big, NULL);
	char *zeros = calloc(1, big);
	put(&img.layers[0], zeros, big);
	expect_refused(&p, &img, &lim, SBX_ERR_INVALID,
		       "entry bomb: 67108864 bytes: more than the limit of 1048576 bytes");
	/* zeros after the tar's end: no entry to refuse, the stream's bound does */
	img = (struct image){ .format = OCI, .gzip = true };
	t_file(&img.layers[0], "small", 0644, "small");
	put(&img.layers[0], zeros, big);
	expect_refused(&p, &img, &lim, SBX_ERR_INVALID,
		       "the uncompressed layers pass the limit (a decompression bomb?)");
	free(zeros);
	/* and too many files */
	img = (struct image){ .format = DOCKER };
	for (int i = 0; i < 101; i++) {
		char n[16];
		snprintf(n, sizeof(n), "f%d", i);
		t_file(&img.layers[0], n, 0644, "x");
	}
	expect_refused(&p, &img, &lim, SBX_ERR_INVALID,
		       "more than 100 entries: the limit on files");
	place_free(&p);
}

void u_env_zstd_and_unknown_entries_refused_saying_so(void)
{
	struct place p;
	place_new(&p);
	struct image img = { .format = DOCKER };
	put(&img.layers[0], "\x28\xb5\x2f\xfd" "zstd frame", 14);
	expect_refused(&p, &img, NULL, SBX_ERR_INVALID,
		       "zstd-compressed layers are not supported; re-save with gzip or "
		       "uncompressed");
	img = (struct image){ .format = DOCKER };
	header(&img.layers[0], "sparse", 'S', 0644, 0, NULL);
	expect_refused(&p, &img, NULL, SBX_ERR_INVALID, "tar entry type 'S' is not supported");
	/* two images in one manifest */
	char digest[72];
	struct buf out = { 0 };
	member_str(&out, "manifest.json", "[{\"Config\":\"a.json\",\"Layers\":[]},"
					  "{\"Config\":\"b.json\",\"Layers\":[]}]");
	t_end(&out);
	write_buf(p.archive, &out);
	sbx_error *err = NULL;
	CHECK(env_image_unpack(p.archive, p.dest, NULL, NULL, &err) == -1);
	CHECK_CONTAINS(err->msg, "manifest.json lists 2 images: stratbox imports exactly one");
	sbx_error_freep(&err);
	/* an existing DEST: refused, and left as it was */
	img = (struct image){ .format = DOCKER };
	t_file(&img.layers[0], "f", 0644, "x");
	img.n = 1;
	write_image(&img, p.archive, digest);
	CHECK(mkdir(p.dest, 0700) == 0);
	CHECK(env_image_unpack(p.archive, p.dest, NULL, NULL, &err) == -1);
	CHECK_INT_EQ(err->errnum, EEXIST);
	sbx_error_freep(&err);
	CHECK(rmdir(p.dest) == 0, "an existing DEST is left alone");
	/* the whole archive gzipped */
	struct buf gz = gzip_of(&out);
	write_buf(p.archive, &gz);
	CHECK(env_image_unpack(p.archive, p.dest, NULL, NULL, &err) == -1);
	CHECK_CONTAINS(err->msg, "the archive is gzip-compressed as a whole: gunzip it first");
	sbx_error_freep(&err);
	free(gz.p);
	free(out.p);
	check_nothing_outside(&p);
	place_free(&p);
}

void u_env_long_gnu_and_pax_names_read(void)
{
	struct place p;
	place_new(&p);
	char longname[300], longlink[300];
	memset(longname, 'n', 250);
	longname[250] = '\0';
	memset(longlink, 'l', 200);
	longlink[200] = '\0';
	struct image img = { .format = DOCKER };
	meta(&img.layers[0], 'L', longname, strlen(longname) + 1);
	t_file(&img.layers[0], "cut", 0644, "gnu");
	meta(&img.layers[0], 'K', longlink, strlen(longlink) + 1);
	t_link(&img.layers[0], '2', "glink", "cut");
	char paxname[320];
	snprintf(paxname, sizeof(paxname), "dir/%s", longlink);
	pax(&img.layers[0], "path", paxname);
	t_file(&img.layers[0], "cut", 0644, "pax");
	struct env_image_info info;
	expect_unpacked(&p, &img, &info);
	char *s = slurp(at(&p, longname));
	CHECK_STR_EQ(s, "gnu");
	free(s);
	s = slurp(at(&p, paxname));
	CHECK_STR_EQ(s, "pax");
	free(s);
	char t[400] = "";
	CHECK(readlink(at(&p, "glink"), t, sizeof(t)) == 200);
	CHECK_STR_EQ(t, longlink);
	CHECK_INT_EQ(info.files, 4); /* the file, the link, dir (made), dir/lll... */
	place_free(&p);
}

/* ---- trees ---- */
static void write_at(const char *dir, const char *rel, const char *content, mode_t mode)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CHECK(fd >= 0);
	CHECK(write(fd, content, strlen(content)) == (ssize_t) strlen(content));
	CHECK(fchmod(fd, mode) == 0);
	close(fd);
}

static void make_tree(const char *dir)
{
	char path[600];
	CHECK(mkdir(dir, 0755) == 0);
	snprintf(path, sizeof(path), "%s/sub", dir);
	CHECK(mkdir(path, 0755) == 0);
	write_at(dir, "sub/a", "alpha", 0644);
	write_at(dir, "b", "beta", 0755);
	snprintf(path, sizeof(path), "%s/link", dir);
	CHECK(symlink("sub/a", path) == 0);
}

void u_env_tree_copy_keeps_symlink_text_skips_fifo(void)
{
	struct place p;
	place_new(&p);
	char src[160], path[600];
	snprintf(src, sizeof(src), "%s/src", p.top);
	make_tree(src);
	snprintf(path, sizeof(path), "%s/root", src);
	CHECK(symlink("/", path) == 0);
	snprintf(path, sizeof(path), "%s/fifo", src);
	CHECK(mkfifo(path, 0644) == 0);
	write_at(src, "sub/suid", "s", 04755);
	struct env_image_info info;
	sbx_error *err = NULL;
	CHECK(env_tree_copy(src, p.dest, NULL, &info, &err) == 0, "%s", err ? err->msg : "");
	CHECK_STR_EQ(info.format, "tree");
	CHECK_INT_EQ(info.skipped, 1);
	CHECK_INT_EQ(info.neutralised, 1);
	CHECK_INT_EQ(info.files, 6); /* sub, sub/a, sub/suid, b, link, root */
	CHECK_STR_EQ(info.note, "fifo: a fifo, not created");
	char *text = tree_text(p.dest);
	CHECK_STR_EQ(text, "d 0755 sub\n"
			   "f 0644 sub/a = alpha\n"
			   "f 0755 b = beta\n"
			   "f 0755 sub/suid = s\n"
			   "l 0777 link -> sub/a\n"
			   "l 0777 root -> /\n");
	free(text);
	char t[16] = "";
	CHECK(readlink(at(&p, "root"), t, sizeof(t)) == 1);
	struct stat st;
	CHECK(lstat(at(&p, "fifo"), &st) < 0 && errno == ENOENT);
	CHECK(env_tree_copy(src, p.dest, NULL, &info, &err) == -1, "DEST must not exist");
	CHECK_INT_EQ(err->errnum, EEXIST);
	sbx_error_freep(&err);
	CHECK(access(at(&p, "sub/a"), F_OK) == 0, "an existing DEST is left alone");
	/* into itself: DEST, inside the source, is not copied into DEST */
	char inner[200];
	snprintf(inner, sizeof(inner), "%s/inner", src);
	CHECK(env_tree_copy(src, inner, NULL, &info, &err) == 0, "%s", err ? err->msg : "");
	CHECK_INT_EQ(info.files, 6);
	CHECK(access(at(&p, "../src/inner/inner"), F_OK) < 0 && errno == ENOENT);
	place_free(&p);
}

void u_env_tree_digest_same_for_equal_trees_changes_with_byte_mode_link(void)
{
	struct place p;
	place_new(&p);
	char a[160], b[160], path[600], da[72], db[72];
	snprintf(a, sizeof(a), "%s/a", p.top);
	snprintf(b, sizeof(b), "%s/b", p.top);
	make_tree(a);
	make_tree(b);
	sbx_error *err = NULL;
	CHECK(env_tree_digest(a, da, &err) == 0);
	CHECK(env_tree_digest(b, db, &err) == 0);
	CHECK_STR_EQ(da, db);
	CHECK(strncmp(da, "sha256:", 7) == 0 && strlen(da) == 71);
	/* one byte */
	write_at(b, "sub/a", "alphb", 0644);
	CHECK(env_tree_digest(b, db, &err) == 0);
	CHECK(strcmp(da, db) != 0, "a byte changed");
	write_at(b, "sub/a", "alpha", 0644);
	CHECK(env_tree_digest(b, db, &err) == 0);
	CHECK_STR_EQ(da, db);
	/* one mode */
	snprintf(path, sizeof(path), "%s/b", b);
	CHECK(chmod(path, 0744) == 0);
	CHECK(env_tree_digest(b, db, &err) == 0);
	CHECK(strcmp(da, db) != 0, "a mode changed");
	CHECK(chmod(path, 0755) == 0);
	/* one symlink target */
	snprintf(path, sizeof(path), "%s/link", b);
	CHECK(unlink(path) == 0 && symlink("sub/b", path) == 0);
	CHECK(env_tree_digest(b, db, &err) == 0);
	CHECK(strcmp(da, db) != 0, "a link changed");
	CHECK(unlink(path) == 0 && symlink("sub/a", path) == 0);
	CHECK(env_tree_digest(b, db, &err) == 0);
	CHECK_STR_EQ(da, db);
	/* sealing does not change it */
	CHECK(env_tree_seal(b, &err) == 0);
	CHECK(env_tree_digest(b, db, &err) == 0);
	CHECK_STR_EQ(da, db);
	place_free(&p);
}

static int writable_seen;
static int find_write(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void) path;
	(void) flag;
	(void) f;
	if (!S_ISLNK(st->st_mode) && (st->st_mode & 0222))
		writable_seen++;
	return 0;
}

void u_env_tree_seal_removes_write_bits_remove_restores(void)
{
	struct place p;
	place_new(&p);
	char t[160], path[600];
	snprintf(t, sizeof(t), "%s/t", p.top);
	make_tree(t);
	snprintf(path, sizeof(path), "%s/sub/deeper", t);
	CHECK(mkdir(path, 0700) == 0);
	write_at(t, "sub/deeper/f", "f", 0600);
	sbx_error *err = NULL;
	CHECK(env_tree_seal(t, &err) == 0, "%s", err ? err->msg : "");
	writable_seen = 0;
	CHECK(nftw(t, find_write, 16, FTW_PHYS) == 0);
	CHECK_INT_EQ(writable_seen, 0);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0500);
	/* the owner cannot write into it now (root can, whatever the bits say) */
	if (getuid() != 0) {
		snprintf(path, sizeof(path), "%s/sub/new", t);
		CHECK(open(path, O_WRONLY | O_CREAT, 0644) < 0 && errno == EACCES);
	}
	CHECK(env_tree_remove(t, &err) == 0, "%s", err ? err->msg : "");
	CHECK(lstat(t, &st) < 0 && errno == ENOENT);
	CHECK(env_tree_remove(t, &err) == 0, "ENOENT is success");
	/* a symlink at the top is removed, not followed */
	snprintf(path, sizeof(path), "%s/ln", p.top);
	CHECK(symlink(p.sentinel, path) == 0);
	CHECK(env_tree_remove(path, &err) == 0);
	check_nothing_outside(&p);
	place_free(&p);
}

/* ---- the fixture image: the host's own python3, numpy and pandas ---- */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void enter_root(const void *arg)
{
	if (chroot(arg) < 0 || chdir("/") < 0)
		_exit(127);
}

/* Build the fixture as format (tests/env/mkimage.py), unpack it; the
 * tree's digest in digest. */
static void fixture(const struct place *p, const char *script, const char *format,
		    const char *dest, char digest[72])
{
	const char *const argv[] = { "/usr/bin/python3", script, format, p->archive, NULL };
	struct test_cmd cmd = { .argv = argv, .err = TEST_STDERR_MERGE };
	struct test_output o;
	double t0 = now_s();
	test_run(&cmd, &o);
	CHECK(o.exit_code == 0, "mkimage.py %s: %s", format, o.out);
	test_output_free(&o);
	double t1 = now_s();
	struct env_image_info info;
	sbx_error *err = NULL;
	CHECK(env_image_unpack(p->archive, dest, NULL, &info, &err) == 0, "%s",
	      err ? err->msg : "");
	double t2 = now_s();
	struct stat st;
	CHECK(stat(p->archive, &st) == 0);
	test_note("%s: %.1f MB built in %.2f s, unpacked in %.2f s: %llu entries, %llu bytes, "
		  "%u neutralised, %u skipped", format, (double) st.st_size / 1e6, t1 - t0, t2 - t1,
		  (unsigned long long) info.files, (unsigned long long) info.bytes,
		  info.neutralised, info.skipped);
	CHECK_INT_EQ(info.layers, 2);
	CHECK_INT_EQ(info.skipped, 0);
	CHECK(env_tree_digest(dest, digest, &err) == 0, "%s", err ? err->msg : "");
	CHECK(unlink(p->archive) == 0);
}

void u_env_fixture_image_imports_numpy_pandas_in_chroot(void)
{
	char script[PATH_MAX];
	FILE *f = test_open_checkout_file("tests/env/mkimage.py", script, sizeof(script));
	if (!f)
		test_skip("tests/env/mkimage.py not found (run from the checkout)");
	fclose(f);
	if (access("/usr/bin/python3.11", X_OK) < 0)
		test_skip("no /usr/bin/python3.11 to build the fixture from");
	struct place p;
	place_new(&p);
	char oci[160], d1[72], d2[72];
	snprintf(oci, sizeof(oci), "%s/dest-oci", p.top);
	fixture(&p, script, "docker", p.dest, d1);
	fixture(&p, script, "oci", oci, d2);
	CHECK_STR_EQ(d1, d2);
	check_nothing_outside(&p);
	/* the second layer's whiteout, opaque directory and file */
	char *s = slurp(at(&p, "usr/share/stratbox-test/image"));
	CHECK_STR_EQ(s, "layer2\n");
	free(s);
	CHECK(access(at(&p, "usr/share/stratbox-test/removed"), F_OK) < 0 && errno == ENOENT);
	CHECK(access(at(&p, "usr/share/stratbox-test/opaque/old"), F_OK) < 0 && errno == ENOENT);
	s = slurp(at(&p, "usr/share/stratbox-test/opaque/new"));
	CHECK_STR_EQ(s, "new\n");
	free(s);
	if (getuid() != 0) {
		place_free(&p);
		test_skip("unpacked and compared; running python in the root needs chroot (root)");
	}
	const char *const host[] = { "/usr/bin/python3", "-c",
				     "import numpy; print(numpy.__version__)", NULL };
	struct test_cmd cmd = { .argv = host, .err = TEST_STDERR_MERGE };
	struct test_output want, got;
	test_run(&cmd, &want);
	const char *const in[] = { "/usr/bin/python3.11", "-c",
				   "import numpy, pandas; print(numpy.__version__)", NULL };
	cmd = (struct test_cmd){ .argv = in, .err = TEST_STDERR_MERGE, .child_setup = enter_root,
				 .child_arg = p.dest };
	test_run(&cmd, &got);
	CHECK(got.exit_code == 0, "python in the image: %s", got.out);
	CHECK_STR_EQ(got.out, want.out);
	test_output_free(&want);
	test_output_free(&got);
	place_free(&p);
}
