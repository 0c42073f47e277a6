/* One layer of an image (internal.h): its bytes read from the outer
 * archive, inflated when gzip, hashed twice on the way (the blob as stored,
 * the tar uncompressed: rootfs.diff_ids), and its entries handed to
 * extract.c.  One pass: the digests are compared once the layer's last
 * byte is read, and a mismatch fails the whole import (the destination is
 * then removed by the caller), so no unverified tree survives.
 *
 * The compression is told by the content (magic bytes), and checked
 * against the OCI media type when there is one: gzip is read with zlib,
 * zstd, xz and bzip2 are refused with a message that says what to do. */
#include "env/internal.h"

#include "common/hash.h"
#include "common/util.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct stream {
	int fd;
	uint64_t off, left; /* the blob's bytes not yet read */
	struct sha256_ctx raw, diff;
	bool gz, zinit, zend;
	z_stream z;
	unsigned char in[65536];
	uint64_t *budget; /* uncompressed bytes the image may still have */
};

static int fill(struct stream *s, sbx_error **err)
{
	size_t want = s->left < sizeof(s->in) ? (size_t) s->left : sizeof(s->in);
	ssize_t n;
	do
		n = pread(s->fd, s->in, want, (off_t) s->off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return sbx_error_set(err, errno, "reading the archive");
	if (n == 0)
		return sbx_error_set(err, 0, "the archive ends inside the layer");
	sha256_update(&s->raw, (size_t) n, s->in);
	s->off += (uint64_t) n;
	s->left -= (uint64_t) n;
	s->z.next_in = s->in;
	s->z.avail_in = (uInt) n;
	return 0;
}

static int take(struct stream *s, const void *buf, size_t n, sbx_error **err)
{
	if (n > *s->budget)
		return sbx_error_set(err, 0, "the uncompressed layers pass the limit "
					     "(a decompression bomb?)");
	*s->budget -= n;
	sha256_update(&s->diff, n, buf);
	return 0;
}

static ssize_t read_plain(struct stream *s, void *buf, size_t len, sbx_error **err)
{
	if (s->left == 0)
		return 0;
	if (len > s->left)
		len = (size_t) s->left;
	ssize_t n;
	do
		n = pread(s->fd, buf, len, (off_t) s->off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return sbx_error_set(err, errno, "reading the archive");
	if (n == 0)
		return sbx_error_set(err, 0, "the archive ends inside the layer");
	sha256_update(&s->raw, (size_t) n, buf);
	s->off += (uint64_t) n;
	s->left -= (uint64_t) n;
	return take(s, buf, (size_t) n, err) < 0 ? -1 : n;
}

/* Inflate: several gzip members one after the other are one stream (as
 * `pigz` writes them and Go's gzip reader reads them). */
static ssize_t read_gz(struct stream *s, void *buf, size_t len, sbx_error **err)
{
	if (len > (1u << 30))
		len = 1u << 30;
	for (;;) {
		if (s->zend)
			return 0;
		if (s->z.avail_in == 0 && s->left > 0 && fill(s, err) < 0)
			return -1;
		s->z.next_out = buf;
		s->z.avail_out = (uInt) len;
		int r = inflate(&s->z, Z_NO_FLUSH);
		size_t got = len - s->z.avail_out;
		if (r == Z_STREAM_END) {
			if (s->z.avail_in == 0 && s->left == 0)
				s->zend = true;
			else if (inflateReset(&s->z) != Z_OK)
				return sbx_error_set(err, 0, "damaged gzip data");
		} else if (r == Z_BUF_ERROR && s->z.avail_in == 0 && s->left == 0) {
			return sbx_error_set(err, 0, "truncated gzip data");
		} else if (r == Z_MEM_ERROR) {
			return sbx_error_set(err, ENOMEM, "inflating");
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			return sbx_error_set(err, 0, "damaged gzip data (zlib: %s)",
					     s->z.msg ? s->z.msg : "?");
		}
		if (got > 0)
			return take(s, buf, got, err) < 0 ? -1 : (ssize_t) got;
	}
}

static ssize_t stream_read(void *ctx, void *buf, size_t len, sbx_error **err)
{
	struct stream *s = ctx;
	return s->gz ? read_gz(s, buf, len, err) : read_plain(s, buf, len, err);
}

static const char *const plain_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.docker.image.rootfs.diff.tar",
};
static const char *const gzip_types[] = {
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};

static bool in_list(const char *t, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t, list[i]) == 0)
			return true;
	return false;
}

#define ZSTD_MSG "zstd-compressed layers are not supported; re-save with gzip or uncompressed"

/* Plain or gzip, from the first bytes and the media type. */
static int compression(const struct archive *a, const struct layer_plan *l, bool *gz,
		       sbx_error **err)
{
	unsigned char m[6] = { 0 };
	if (l->m->size >= sizeof(m) && pread(a->fd, m, sizeof(m), (off_t) l->m->off) != sizeof(m))
		return sbx_error_set(err, errno, "reading the archive");
	const char *t = l->media_type;
	if ((m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) || strstr(t, "zstd"))
		return sbx_error_set(err, 0, ZSTD_MSG);
	if (memcmp(m, "\xfd" "7zXZ", 5) == 0 || memcmp(m, "BZh", 3) == 0)
		return sbx_error_set(err, 0, "xz- or bzip2-compressed layers are not supported; "
					     "re-save with gzip or uncompressed");
	*gz = m[0] == 0x1f && m[1] == 0x8b;
	if (t[0] && !in_list(t, plain_types, ARRAY_SIZE(plain_types)) &&
	    !in_list(t, gzip_types, ARRAY_SIZE(gzip_types)))
		return sbx_error_set(err, 0, "media type %s is not a layer stratbox reads "
					     "(tar or tar+gzip)", t);
	return 0;
}

static void hex_of(struct sha256_ctx *c, char out[65])
{
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_digest(c, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static int check(const char *what, const char *got, const char *want, sbx_error **err)
{
	if (want[0] && strcmp(got, want) != 0)
		return sbx_error_set(err, 0,
				     "%s is sha256:%s, not sha256:%s as the image says: the "
				     "archive is damaged or was altered", what, got, want);
	return 0;
}

static int apply(struct unpack *u, struct stream *s, const struct layer_plan *l, sbx_error **err)
{
	struct tar_source src = { stream_read, NULL, s };
	if (unpack_tar(u, &src, err) < 0)
		return -1;
	/* the rest (the tar's end blocks and padding) is part of the digests */
	char buf[65536];
	ssize_t n;
	while ((n = stream_read(s, buf, sizeof(buf), err)) > 0)
		;
	if (n < 0)
		return -1;
	char raw[65], diff[65];
	hex_of(&s->raw, raw);
	hex_of(&s->diff, diff);
	if (check("its blob's digest", raw, l->raw_hex, err) < 0 ||
	    check("its uncompressed digest", diff, l->diff_hex, err) < 0)
		return -1;
	return 0;
}

int layer_apply(struct unpack *u, const struct archive *a, const struct layer_plan *l,
		unsigned idx, uint64_t *stream_left, sbx_error **err)
{
	struct stream *s = calloc(1, sizeof(*s));
	if (!s)
		return sbx_error_set(err, ENOMEM, "layer %u", idx);
	*s = (struct stream){ .fd = a->fd, .off = l->m->off, .left = l->m->size,
			      .budget = stream_left };
	sha256_init(&s->raw);
	sha256_init(&s->diff);
	int rc = compression(a, l, &s->gz, err);
	if (rc == 0 && s->gz) {
		if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
			rc = sbx_error_set(err, ENOMEM, "inflating");
		else
			s->zinit = true;
	}
	unpack_layer_begin(u);
	if (rc == 0)
		rc = apply(u, s, l, err);
	if (s->zinit)
		inflateEnd(&s->z);
	free(s);
	if (rc < 0)
		return sbx_error_wrap(err, "layer %u (%s)", idx, l->m->name);
	return 0;
}
