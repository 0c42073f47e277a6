/* env_image_unpack (image.h): the outer archive indexed, the image found
 * in it (docker-archive's manifest.json, or an OCI layout's index.json),
 * every blob's digest planned, then the layers applied in order
 * (layer.c, extract.c).
 *
 * What is checked before any layer is written: exactly one image; the
 * config's sha256 against its name (docker-archive) and every manifest,
 * index and config blob against its digest (OCI); the number of layers
 * against rootfs.diff_ids.  While a layer is read: its blob's sha256 (when
 * its name is a digest) and its uncompressed sha256 against diff_ids. */
#include "env/internal.h"

#include "common/hash.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_MEMBERS 100000
#define MAX_JSON (16u << 20)
#define MAX_LAYERS 1000

/* ---- the outer archive ---- */
static ssize_t fd_read(void *ctx, void *buf, size_t len, sbx_error **err)
{
	struct archive *a = ctx;
	ssize_t n;
	do
		n = read(a->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? sbx_error_set(err, errno, "reading the archive") : n;
}

static int fd_skip(void *ctx, uint64_t n, sbx_error **err)
{
	struct archive *a = ctx;
	if (lseek(a->fd, (off_t) n, SEEK_CUR) < 0)
		return sbx_error_set(err, errno, "reading the archive");
	return 0;
}

static void archive_free(struct archive *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->m[i].name);
		free(a->m[i].link);
	}
	free(a->m);
	if (a->fd >= 0)
		close(a->fd);
}

static const char *strip_dot(const char *n)
{
	while (n[0] == '.' && n[1] == '/')
		n += 2;
	while (n[0] == '/')
		n++;
	return n;
}

static int add_member(struct archive *a, const struct tar_entry *e, size_t *cap, sbx_error **err)
{
	if (a->n == MAX_MEMBERS)
		return sbx_error_set(err, 0, "more than %d entries in the archive", MAX_MEMBERS);
	if (e->offset + e->size > a->size)
		return sbx_error_set(err, 0, "truncated archive: %s declares %llu bytes, past the "
					     "end of the file", e->name,
				     (unsigned long long) e->size);
	if (a->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		struct member *nm = realloc(a->m, nc * sizeof(*nm));
		if (!nm)
			return sbx_error_set(err, ENOMEM, "indexing the archive");
		a->m = nm;
		*cap = nc;
	}
	struct member *m = &a->m[a->n];
	*m = (struct member){ .off = e->offset, .size = e->size };
	m->name = strdup(strip_dot(e->name));
	m->link = e->type == TAR_SYMLINK ? strdup(e->linkname) : NULL;
	a->n++;
	if (!m->name || (e->type == TAR_SYMLINK && !m->link))
		return sbx_error_set(err, ENOMEM, "indexing the archive");
	return 0;
}

static int archive_open(const char *path, struct archive *a, sbx_error **err)
{
	*a = (struct archive){ .fd = open(path, O_RDONLY | O_CLOEXEC) };
	struct stat st;
	if (a->fd < 0 || fstat(a->fd, &st) < 0)
		return sbx_error_set(err, errno, "opening it");
	if (!S_ISREG(st.st_mode))
		return sbx_error_set(err, 0, "not a regular file");
	a->size = (uint64_t) st.st_size;
	unsigned char m[4] = { 0 };
	if (pread(a->fd, m, sizeof(m), 0) < 0)
		return sbx_error_set(err, errno, "opening it");
	if (m[0] == 0x1f && m[1] == 0x8b)
		return sbx_error_set(err, 0, "the archive is gzip-compressed as a whole: gunzip it "
					     "first (or docker save without | gzip)");
	if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
		return sbx_error_set(err, 0,
				     "the archive is zstd-compressed as a whole: unzstd it first");
	struct tar_source src = { fd_read, fd_skip, a };
	struct tar_reader *r = tar_reader_new(&src);
	if (!r)
		return sbx_error_set(err, ENOMEM, "indexing it");
	struct tar_entry e;
	size_t cap = 0;
	int rc;
	while ((rc = tar_next(r, &e, err)) > 0) {
		bool wanted = e.type == TAR_FILE || e.type == TAR_SYMLINK;
		if (wanted && add_member(a, &e, &cap, err) < 0) {
			rc = -1;
			break;
		}
	}
	tar_reader_free(r);
	return rc < 0 ? -1 : 0;
}

/* A member by name, through at most 8 symlinks (resolved lexically against
 * the link's directory: these are names in the archive, not files). */
static const struct member *lookup(const struct archive *a, const char *name)
{
	char cur[4096];
	snprintf(cur, sizeof(cur), "%s", strip_dot(name));
	for (int hops = 0; hops < 8; hops++) {
		const struct member *m = NULL;
		for (size_t i = a->n; i-- > 0;) /* the last of a repeated name wins */
			if (strcmp(a->m[i].name, cur) == 0) {
				m = &a->m[i];
				break;
			}
		if (!m || !m->link)
			return m;
		char joined[4096], out[4096];
		const char *slash = strrchr(cur, '/');
		if (m->link[0] == '/')
			snprintf(joined, sizeof(joined), "%s", m->link);
		else
			snprintf(joined, sizeof(joined), "%.*s/%s", slash ? (int) (slash - cur) : 0,
				 cur, m->link);
		size_t o = 0;
		for (char *tok = strtok(joined, "/"); tok; tok = strtok(NULL, "/")) {
			if (strcmp(tok, ".") == 0)
				continue;
			if (strcmp(tok, "..") == 0) {
				while (o > 0 && out[--o] != '/')
					;
				continue;
			}
			o += (size_t) snprintf(out + o, sizeof(out) - o, "%s%s", o ? "/" : "", tok);
			if (o >= sizeof(out))
				return NULL;
		}
		out[o] = '\0';
		memcpy(cur, out, o + 1);
	}
	return NULL;
}

static bool is_hex64(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* A small member (JSON), read whole and its sha256 checked when want_hex. */
static json_t *load_json(const struct archive *a, const char *name, const char *want_hex,
			 sbx_error **err)
{
	const struct member *m = lookup(a, name);
	if (!m)
		return sbx_error_set(err, 0, "%s is missing from the archive", name), NULL;
	if (m->size > MAX_JSON)
		return sbx_error_set(err, 0, "%s: %llu bytes of JSON, more than %u", name,
				     (unsigned long long) m->size, MAX_JSON), NULL;
	cleanup_free char *buf = malloc((size_t) m->size + 1);
	if (!buf)
		return sbx_error_set(err, ENOMEM, "%s", name), NULL;
	if (pread(a->fd, buf, (size_t) m->size, (off_t) m->off) != (ssize_t) m->size)
		return sbx_error_set(err, errno, "reading %s", name), NULL;
	if (want_hex) {
		char hex[SHA256_HEX_LEN + 1];
		sha256_hex(buf, (size_t) m->size, hex);
		if (strcmp(hex, want_hex) != 0)
			return sbx_error_set(err, 0, "%s: its content's digest is sha256:%s, not "
						     "sha256:%s: the archive is damaged or was "
						     "altered", name, hex, want_hex), NULL;
	}
	json_error_t je;
	json_t *j = json_loadb(buf, (size_t) m->size, 0, &je);
	if (!j)
		return sbx_error_set(err, 0, "%s: bad JSON at line %d: %s", name, je.line, je.text),
		       NULL;
	return j;
}

/* ---- the plan ---- */
struct plan {
	struct layer_plan *l;
	unsigned n;
	char digest[72];
};

static int plan_layers(struct plan *p, size_t n, sbx_error **err)
{
	if (n == 0 || n > MAX_LAYERS)
		return sbx_error_set(err, 0, "an image of %zu layers (1 to %d accepted)", n,
				     MAX_LAYERS);
	if (!(p->l = calloc(n, sizeof(*p->l))))
		return sbx_error_set(err, ENOMEM, "planning");
	p->n = (unsigned) n;
	return 0;
}

/* The architecture this stratbox runs on, as images name it. */
static const char *host_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__i386__)
	return "386";
#else
	return NULL;
#endif
}

/* The config's architecture, when it names one, is this machine's: the
 * zygote, a host binary, runs on the image's loader and libraries.  Then
 * rootfs.diff_ids, when it has them, into the plan. */
static int plan_diff_ids(struct plan *p, json_t *config, sbx_error **err)
{
	const char *arch = json_string_value(json_object_get(config, "architecture"));
	const char *want = host_arch();
	if (arch != NULL && want != NULL && strcmp(arch, want) != 0)
		return sbx_error_set(err, 0,
				     "the image is for %s, and this machine runs %s: the zygote, "
				     "a binary of this machine's, runs on the image's libraries "
				     "(save the %s variant of the image)",
				     arch, want, want);
	json_t *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	if (!json_is_array(ids))
		return 0;
	if (json_array_size(ids) != p->n)
		return sbx_error_set(err, 0, "the config lists %zu diff_ids for %u layers",
				     json_array_size(ids), p->n);
	for (unsigned i = 0; i < p->n; i++) {
		const char *d = json_string_value(json_array_get(ids, i));
		if (!d || strncmp(d, "sha256:", 7) != 0 || !is_hex64(d + 7, strlen(d + 7)))
			return sbx_error_set(err, 0,
					     "the config's diff_ids[%u] is not a sha256 digest", i);
		memcpy(p->l[i].diff_hex, d + 7, 65);
	}
	return 0;
}

/* The digest a member's name carries: "blobs/sha256/HEX", "HEX.json",
 * "HEX/layer.tar" does not count (a layer ID, not a digest). */
static bool name_digest(const char *name, char hex[65])
{
	const char *b = strrchr(name, '/');
	b = b ? b + 1 : name;
	size_t len = strlen(b);
	if (len == 69 && strcmp(b + 64, ".json") == 0)
		len = 64;
	bool blob = strncmp(name, "blobs/sha256/", 13) == 0 && b == name + 13;
	if (!is_hex64(b, len) || (len == strlen(b) && !blob))
		return false;
	memcpy(hex, b, 64);
	hex[64] = '\0';
	return true;
}

static int plan_docker_image(const struct archive *a, json_t *img, struct plan *p,
			     sbx_error **err)
{
	const char *cname = json_string_value(json_object_get(img, "Config"));
	json_t *layers = json_object_get(img, "Layers");
	char chex[65];
	if (!cname || !json_is_array(layers))
		return sbx_error_set(err, 0, "manifest.json: no Config or no Layers");
	if (!name_digest(cname, chex))
		return sbx_error_set(err, 0, "manifest.json: the config %s is not named by its "
					     "digest", cname);
	json_t *config = load_json(a, cname, chex, err);
	int rc = config && plan_layers(p, json_array_size(layers), err) == 0 &&
			 plan_diff_ids(p, config, err) == 0 ? 0 : -1;
	json_decref(config);
	if (rc < 0)
		return -1;
	for (unsigned i = 0; i < p->n; i++) {
		const char *ln = json_string_value(json_array_get(layers, i));
		if (!ln || !(p->l[i].m = lookup(a, ln)))
			return sbx_error_set(err, 0, "manifest.json: layer %u (%s) is missing "
						     "from the archive", i + 1,
					     ln ? ln : "not a string");
		if (!name_digest(ln, p->l[i].raw_hex))
			p->l[i].raw_hex[0] = '\0';
	}
	snprintf(p->digest, sizeof(p->digest), "sha256:%s", chex);
	return 0;
}

static int plan_docker(const struct archive *a, struct plan *p, sbx_error **err)
{
	json_t *man = load_json(a, "manifest.json", NULL, err);
	if (!man)
		return -1;
	int rc;
	if (!json_is_array(man) || json_array_size(man) != 1)
		rc = sbx_error_set(err, 0,
				   "manifest.json lists %zu images: stratbox imports exactly one "
				   "(docker save one image)", json_array_size(man));
	else
		rc = plan_docker_image(a, json_array_get(man, 0), p, err);
	json_decref(man);
	return rc;
}

/* ---- OCI layout ---- */
static bool media_is(const char *t, const char *a, const char *b)
{
	return t && (strcmp(t, a) == 0 || strcmp(t, b) == 0);
}
#define IS_INDEX(t) media_is(t, "application/vnd.oci.image.index.v1+json", \
			     "application/vnd.docker.distribution.manifest.list.v2+json")
#define IS_MANIFEST(t) media_is(t, "application/vnd.oci.image.manifest.v1+json", \
				"application/vnd.docker.distribution.manifest.v2+json")

/* A descriptor's blob: its digest checked as a name, its member found. */
static int blob_of(const struct archive *a, json_t *desc, char path[80], char hex[65],
		   const struct member **m, sbx_error **err)
{
	const char *d = json_string_value(json_object_get(desc, "digest"));
	if (!d || strncmp(d, "sha256:", 7) != 0 || !is_hex64(d + 7, strlen(d + 7)))
		return sbx_error_set(err, 0, "a descriptor whose digest %s is not sha256:<hex> "
					     "(the only algorithm supported)", d ? d : "(none)");
	memcpy(hex, d + 7, 65);
	snprintf(path, 80, "blobs/sha256/%s", hex);
	*m = lookup(a, path);
	if (!*m)
		return sbx_error_set(err, 0, "blob %s is missing from the archive", d);
	json_t *size = json_object_get(desc, "size");
	if (json_is_integer(size) && (uint64_t) json_integer_value(size) != (*m)->size)
		return sbx_error_set(err, 0, "blob %s has %llu bytes, its descriptor says %lld", d,
				     (unsigned long long) (*m)->size,
				     (long long) json_integer_value(size));
	return 0;
}

static bool is_amd64(const struct archive *a, json_t *desc)
{
	json_t *pl = json_object_get(desc, "platform");
	const char *os = json_string_value(json_object_get(pl, "os"));
	const char *arch = json_string_value(json_object_get(pl, "architecture"));
	char path[80], hex[65];
	const struct member *m;
	return os && arch && strcmp(os, "linux") == 0 && strcmp(arch, "amd64") == 0 &&
	       blob_of(a, desc, path, hex, &m, NULL) == 0;
}

/* The one image manifest an index leads to: its only entry, or its one
 * linux/amd64 entry whose blob is in the archive; nested indexes followed. */
static json_t *pick_manifest(const struct archive *a, json_t *index, char digest[72], int depth,
			     sbx_error **err)
{
	json_t *list = json_object_get(index, "manifests");
	size_t n = json_array_size(list), found = 0;
	json_t *pick = NULL;
	if (n == 1) {
		pick = json_array_get(list, 0);
	} else {
		for (size_t i = 0; i < n; i++)
			if (is_amd64(a, json_array_get(list, i))) {
				pick = json_array_get(list, i);
				found++;
			}
		if (found != 1)
			return sbx_error_set(err, 0, "the index lists %zu images, %zu of them for "
						     "linux/amd64: stratbox imports exactly one", n,
					     found), NULL;
	}
	const char *t = json_string_value(json_object_get(pick, "mediaType"));
	char path[80], hex[65];
	const struct member *m;
	if (blob_of(a, pick, path, hex, &m, err) < 0)
		return NULL;
	json_t *j = load_json(a, path, hex, err);
	if (!j)
		return NULL;
	if (!t)
		t = json_string_value(json_object_get(j, "mediaType"));
	if (IS_INDEX(t) && depth < 4) {
		json_t *r = pick_manifest(a, j, digest, depth + 1, err);
		json_decref(j);
		return r;
	}
	if (!IS_MANIFEST(t)) {
		json_decref(j);
		return sbx_error_set(err, 0, "%s: media type %s is not an image manifest", path,
				     t ? t : "(none)"), NULL;
	}
	snprintf(digest, 72, "sha256:%s", hex);
	return j;
}

static int plan_oci(const struct archive *a, struct plan *p, sbx_error **err)
{
	json_t *layout = load_json(a, "oci-layout", NULL, err);
	if (!layout)
		return -1;
	bool ok = json_is_string(json_object_get(layout, "imageLayoutVersion"));
	json_decref(layout);
	if (!ok)
		return sbx_error_set(err, 0, "oci-layout: no imageLayoutVersion");
	json_t *index = load_json(a, "index.json", NULL, err);
	if (!index)
		return -1;
	json_t *man = pick_manifest(a, index, p->digest, 0, err), *config = NULL;
	json_decref(index);
	if (!man)
		return -1;
	int rc = -1;
	json_t *layers = json_object_get(man, "layers");
	char path[80], hex[65];
	const struct member *m;
	if (!json_is_array(layers)) {
		sbx_error_set(err, 0, "the image manifest has no layers");
		goto out;
	}
	if (blob_of(a, json_object_get(man, "config"), path, hex, &m, err) < 0 ||
	    !(config = load_json(a, path, hex, err)) ||
	    plan_layers(p, json_array_size(layers), err) < 0 || plan_diff_ids(p, config, err) < 0)
		goto out;
	for (unsigned i = 0; i < p->n; i++) {
		json_t *d = json_array_get(layers, i);
		const char *t = json_string_value(json_object_get(d, "mediaType"));
		if (blob_of(a, d, path, p->l[i].raw_hex, &p->l[i].m, err) < 0) {
			sbx_error_wrap(err, "layer %u", i + 1);
			goto out;
		}
		snprintf(p->l[i].media_type, sizeof(p->l[i].media_type), "%s", t ? t : "");
	}
	rc = 0;
out:
	json_decref(config);
	json_decref(man);
	return rc;
}

/* ---- the whole ---- */
static int unpack_plan(const struct archive *a, const struct plan *p, int dfd,
		       const struct env_unpack_limits *lim, struct env_image_info *info,
		       sbx_error **err)
{
	struct unpack *u = unpack_new(dfd, lim, info, true);
	if (!u)
		return sbx_error_set(err, ENOMEM, "unpacking");
	uint64_t mb = lim && lim->max_bytes ? lim->max_bytes : ENV_DEFAULT_MAX_BYTES;
	uint64_t mf = lim && lim->max_files ? lim->max_files : ENV_DEFAULT_MAX_FILES;
	/* the tar headers around the content: up to 1 KiB an entry */
	uint64_t stream_left = mb + (mf > (UINT64_MAX - mb) / 1024 ? UINT64_MAX - mb : mf * 1024);
	int rc = 0;
	for (unsigned i = 0; i < p->n && rc == 0; i++) {
		rc = layer_apply(u, a, &p->l[i], i + 1, &stream_left, err);
		if (rc == 0)
			info->layers = i + 1;
	}
	if (rc == 0)
		rc = unpack_finish(u, err);
	unpack_free(u);
	return rc;
}

/* Into a new DEST, removed again on failure. */
static int unpack_into(const struct archive *a, const struct plan *p, const char *dest,
		       const struct env_unpack_limits *lim, struct env_image_info *info,
		       sbx_error **err)
{
	cleanup_close int dfd = tree_make_dest(dest, err);
	if (dfd < 0)
		return -1;
	if (unpack_plan(a, p, dfd, lim, info, err) < 0) {
		env_tree_remove(dest, NULL);
		return -1;
	}
	return 0;
}

static int plan_archive(const struct archive *a, struct plan *p,
			struct env_image_info *info, sbx_error **err)
{
	const char *fmt = lookup(a, "manifest.json") ? "docker-archive"
			  : lookup(a, "index.json")  ? "oci-layout"
						     : NULL;
	if (!fmt)
		return sbx_error_set(err, 0, "neither a docker-archive (no manifest.json) nor an "
					     "OCI layout (no index.json)");
	snprintf(info->format, sizeof(info->format), "%s", fmt);
	if ((fmt[0] == 'd' ? plan_docker(a, p, err) : plan_oci(a, p, err)) < 0)
		return -1;
	snprintf(info->digest, sizeof(info->digest), "%s", p->digest);
	return 0;
}

int env_image_unpack(const char *archive, const char *dest, const struct env_unpack_limits *lim,
		     struct env_image_info *info, sbx_error **err)
{
	struct env_image_info scratch;
	if (!info)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	struct archive a = { .fd = -1 };
	struct plan p = { 0 };
	int rc = archive_open(archive, &a, err);
	if (rc == 0)
		rc = plan_archive(&a, &p, info, err);
	if (rc == 0)
		rc = unpack_into(&a, &p, dest, lim, info, err);
	if (rc < 0)
		sbx_error_wrap(err, "%s", archive);
	free(p.l);
	archive_free(&a);
	return rc;
}
