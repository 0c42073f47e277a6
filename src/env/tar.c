/* The tar reader (tar.h): one 512-byte header at a time, the pax and GNU
 * meta entries folded into the entry they describe.
 *
 * The archive is untrusted.  Every length it declares is checked before it
 * is used: a pax header or a GNU long name is read into memory only up to
 * a fixed bound, a pax record must fit inside its header, numbers must fit
 * in 63 bits, and names are refused when they hold a NUL or pass PATH_MAX.
 * Nothing is allocated in proportion to a file's declared size: content is
 * streamed to the caller or skipped. */
#include "env/tar.h"

#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#define BLOCK 512
/* A pax header larger than this is refused: real ones are a few hundred
 * bytes (a long path, a few times); 1 MiB leaves room for xattrs. */
#define PAX_MAX (1u << 20)
/* GNU long names and links: the name and its NUL. */
#define GNU_LONG_MAX PATH_MAX
#define NUM_MAX ((uint64_t) 1 << 62)

struct tar_reader {
	struct tar_source src;
	uint64_t pos;  /* bytes taken from the source */
	uint64_t left; /* content of the current entry not yet read */
	uint64_t pad;  /* padding after that content */
	char *name, *linkname;
	/* pax 'g' records: the defaults of every following entry */
	char *g_path, *g_linkpath;
	bool g_has_size, g_has_mtime;
	uint64_t g_size, g_mtime;
};

/* What the meta entries before a header said about it. */
struct meta {
	char *path, *linkpath; /* pax x */
	bool has_size, has_mtime;
	uint64_t size, mtime;
	char *gnu_name, *gnu_link; /* GNU L and K */
};

static void meta_clear(struct meta *m)
{
	free(m->path);
	free(m->linkpath);
	free(m->gnu_name);
	free(m->gnu_link);
	memset(m, 0, sizeof(*m));
}

struct tar_reader *tar_reader_new(const struct tar_source *src)
{
	struct tar_reader *r = calloc(1, sizeof(*r));
	if (r)
		r->src = *src;
	return r;
}

void tar_reader_free(struct tar_reader *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->linkname);
	free(r->g_path);
	free(r->g_linkpath);
	free(r);
}

uint64_t tar_position(const struct tar_reader *r)
{
	return r->pos;
}

/* Exactly len bytes, or an error naming what was cut short.  With at_end
 * set, a source that ends before the first byte is no error: -1 with
 * *at_end true and no error set (a clean end between entries). */
static int read_exact(struct tar_reader *r, void *buf, size_t len, bool *at_end, sbx_error **err)
{
	size_t done = 0;
	if (at_end)
		*at_end = false;
	while (done < len) {
		ssize_t n = r->src.read(r->src.ctx, (char *) buf + done, len - done, err);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t) n;
		r->pos += (uint64_t) n;
	}
	if (done == 0 && len > 0 && at_end) {
		*at_end = true;
		return -1;
	}
	if (done < len)
		return sbx_error_set(err, 0,
				     "truncated archive: it ends at byte %llu, inside an entry",
				     (unsigned long long) r->pos);
	return 0;
}

static int skip_bytes(struct tar_reader *r, uint64_t n, sbx_error **err)
{
	if (n == 0)
		return 0;
	if (r->src.skip) {
		if (r->src.skip(r->src.ctx, n, err) < 0)
			return -1;
		r->pos += n;
		return 0;
	}
	char buf[8192];
	while (n > 0) {
		size_t k = n < sizeof(buf) ? (size_t) n : sizeof(buf);
		if (read_exact(r, buf, k, NULL, err) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

/* A numeric field: octal digits (leading spaces, ended by a space or NUL),
 * or GNU's base-256 (the high bit of the first byte set; negative refused). */
static int parse_num(const unsigned char *f, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return -1;
		for (size_t i = 1; i < len; i++) {
			if (v > (NUM_MAX >> 8))
				return -1;
			v = (v << 8) | f[i];
		}
		*out = v;
		return 0;
	}
	size_t i = 0;
	while (i < len && f[i] == ' ')
		i++;
	size_t digits = 0;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
		if (v > (NUM_MAX >> 3))
			return -1;
		v = (v << 3) | (uint64_t) (f[i] - '0');
	}
	if (i < len && f[i] != ' ' && f[i] != '\0')
		return -1;
	*out = v;
	return 0;
}

static bool all_zero(const unsigned char *b)
{
	for (size_t i = 0; i < BLOCK; i++)
		if (b[i])
			return false;
	return true;
}

static bool checksum_ok(const unsigned char *b)
{
	uint64_t stored;
	if (parse_num(b + 148, 8, &stored) < 0)
		return false;
	uint64_t u = 0;
	int64_t s = 0;
	for (size_t i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : b[i];
		u += c;
		s += (signed char) c;
	}
	return stored == u || (int64_t) stored == s;
}

/* A name from a fixed field (not always NUL-terminated). */
static char *field_str(const unsigned char *f, size_t len)
{
	return strndup((const char *) f, len);
}

/* Content of a meta entry, bounded, NUL-terminated. */
static int read_meta_body(struct tar_reader *r, uint64_t size, uint64_t max, const char *what,
			  char **out, sbx_error **err)
{
	if (size > max)
		return sbx_error_set(err, 0,
				     "%s of %llu bytes at byte %llu: more than the %llu "
				     "allowed", what,
				     (unsigned long long) size, (unsigned long long) r->pos,
				     (unsigned long long) max);
	char *buf = malloc((size_t) size + 1);
	if (!buf)
		return sbx_error_set(err, ENOMEM, "%s", what);
	if (read_exact(r, buf, (size_t) size, NULL, err) < 0) {
		free(buf);
		return -1;
	}
	buf[size] = '\0';
	uint64_t pad = (BLOCK - size % BLOCK) % BLOCK;
	if (skip_bytes(r, pad, err) < 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

static int check_name(const char *s, size_t len, const char *what, sbx_error **err)
{
	if (memchr(s, '\0', len))
		return sbx_error_set(err, 0, "a %s holding a NUL byte", what);
	if (len >= PATH_MAX)
		return sbx_error_set(err, 0, "a %s of %zu bytes: longer than PATH_MAX", what, len);
	return 0;
}

static int set_str(char **dst, const char *v, size_t len, sbx_error **err)
{
	free(*dst);
	*dst = NULL;
	if (len == 0) /* an empty value removes the record's effect */
		return 0;
	*dst = strndup(v, len);
	return *dst ? 0 : sbx_error_set(err, ENOMEM, "pax record");
}

/* One pax header: "LEN key=value\n" records, LEN counting the whole record.
 * Only path, linkpath and size matter here; sparse files are refused (their
 * content is not what follows the header). */
/* A pax decimal: digits, for mtime an optional fraction (dropped). */
static int pax_number(const char *v, size_t vlen, bool fraction, uint64_t *out)
{
	uint64_t s = 0;
	size_t k = 0;
	for (; k < vlen && v[k] >= '0' && v[k] <= '9'; k++) {
		if (k >= 19)
			return -1;
		s = s * 10 + (uint64_t) (v[k] - '0');
	}
	if (k == 0 || s > NUM_MAX)
		return -1;
	if (k < vlen && !(fraction && v[k] == '.'))
		return -1;
	*out = s;
	return 0;
}

struct pax_out {
	char **path, **linkpath;
	bool *has_size, *has_mtime;
	uint64_t *size, *mtime;
};

static int parse_pax(const char *buf, size_t n, const struct pax_out *o, sbx_error **err)
{
	size_t pos = 0;
	while (pos < n) {
		size_t len = 0, i = pos;
		while (i < n && buf[i] >= '0' && buf[i] <= '9') {
			if (len > PAX_MAX)
				return sbx_error_set(err, 0, "a pax record with a bad length");
			len = len * 10 + (size_t) (buf[i] - '0');
			i++;
		}
		if (i == pos || i >= n || buf[i] != ' ' || len < (i - pos) + 3 || len > n - pos ||
		    buf[pos + len - 1] != '\n')
			return sbx_error_set(err, 0, "a pax record with a bad length");
		const char *rec = buf + i + 1, *end = buf + pos + len - 1;
		const char *eq = memchr(rec, '=', (size_t) (end - rec));
		if (!eq || eq == rec)
			return sbx_error_set(err, 0, "a pax record without key=value");
		size_t klen = (size_t) (eq - rec), vlen = (size_t) (end - eq - 1);
		const char *v = eq + 1;
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(rec, k, klen) == 0)
		if (KEY("path") || KEY("linkpath")) {
			const char *what = KEY("path") ? "pax path" : "pax linkpath";
			if (check_name(v, vlen, what, err) < 0 ||
			    set_str(KEY("path") ? o->path : o->linkpath, v, vlen, err) < 0)
				return -1;
		} else if (KEY("size")) {
			if (pax_number(v, vlen, false, o->size) < 0)
				return sbx_error_set(err, 0, "a pax size that is not a number");
			*o->has_size = true;
		} else if (KEY("mtime")) {
			/* before 1970 or unreadable: the time is only kept, never trusted */
			*o->has_mtime = pax_number(v, vlen, true, o->mtime) == 0;
		} else if (klen > 11 && memcmp(rec, "GNU.sparse.", 11) == 0) {
			return sbx_error_set(err, 0, "GNU sparse files are not supported");
		}
#undef KEY
		pos += len;
	}
	return 0;
}

/* Apply one meta entry (x, g, L, K) to what the next header will mean. */
static int take_meta(struct tar_reader *r, char flag, uint64_t size, struct meta *m,
		     sbx_error **err)
{
	cleanup_free char *body = NULL;
	if (flag == 'L' || flag == 'K') {
		const char *what = flag == 'L' ? "GNU long name" : "GNU long link";
		if (read_meta_body(r, size, GNU_LONG_MAX, what, &body, err) < 0)
			return -1;
		size_t len = strnlen(body, (size_t) size);
		if (len >= PATH_MAX)
			return sbx_error_set(err, 0, "a %s longer than PATH_MAX", what);
		char **dst = flag == 'L' ? &m->gnu_name : &m->gnu_link;
		return set_str(dst, body, len, err);
	}
	const char *what = flag == 'x' ? "pax header" : "pax global header";
	if (read_meta_body(r, size, PAX_MAX, what, &body, err) < 0)
		return -1;
	struct pax_out local = { &m->path, &m->linkpath, &m->has_size, &m->has_mtime, &m->size,
				 &m->mtime };
	struct pax_out global = { &r->g_path, &r->g_linkpath, &r->g_has_size, &r->g_has_mtime,
				  &r->g_size, &r->g_mtime };
	return parse_pax(body, (size_t) size, flag == 'x' ? &local : &global, err);
}

static int type_of(char flag, enum tar_type *t)
{
	switch (flag) {
	case '0': case '\0': case '7': *t = TAR_FILE; return 0;
	case '1': *t = TAR_HARDLINK; return 0;
	case '2': *t = TAR_SYMLINK; return 0;
	case '3': *t = TAR_CHAR; return 0;
	case '4': *t = TAR_BLOCK; return 0;
	case '5': *t = TAR_DIR; return 0;
	case '6': *t = TAR_FIFO; return 0;
	default: return -1;
	}
}

/* The entry's name and link from the header and what came before it:
 * pax over GNU over the header's own fields (ustar's prefix only in a
 * POSIX ustar header: GNU's keeps times there). */
static int entry_names(struct tar_reader *r, const unsigned char *h, struct meta *m,
		       sbx_error **err)
{
	free(r->name);
	free(r->linkname);
	r->name = r->linkname = NULL;
	const char *pn = m->path ? m->path : m->gnu_name ? m->gnu_name : r->g_path;
	if (pn) {
		r->name = strdup(pn);
	} else {
		cleanup_free char *name = field_str(h, 100);
		cleanup_free char *prefix = field_str(h + 345, 155);
		if (!name || !prefix)
			return sbx_error_set(err, ENOMEM, "tar header");
		bool posix = memcmp(h + 257, "ustar\0", 6) == 0;
		r->name = posix && prefix[0] ? str_printf("%s/%s", prefix, name) : strdup(name);
	}
	const char *pl = m->linkpath ? m->linkpath : m->gnu_link ? m->gnu_link : r->g_linkpath;
	r->linkname = pl ? strdup(pl) : field_str(h + 157, 100);
	if (!r->name || !r->linkname)
		return sbx_error_set(err, ENOMEM, "tar header");
	if (r->name[0] == '\0')
		return sbx_error_set(err, 0, "an entry with an empty name at byte %llu",
				     (unsigned long long) r->pos);
	return 0;
}

int tar_next(struct tar_reader *r, struct tar_entry *e, sbx_error **err)
{
	if (skip_bytes(r, r->left + r->pad, err) < 0)
		return -1;
	r->left = r->pad = 0;
	struct meta m = { 0 };
	unsigned char h[BLOCK];
	for (;;) {
		uint64_t at = r->pos;
		bool at_end;
		if (read_exact(r, h, BLOCK, &at_end, err) < 0) {
			if (at_end && !m.path && !m.gnu_name && !m.has_size && !m.linkpath &&
			    !m.gnu_link) { /* the source ended between entries */
				return 0;
			}
			if (at_end)
				sbx_error_set(err, 0,
					      "truncated archive: it ends after a meta entry");
			goto fail;
		}
		if (all_zero(h)) {
			meta_clear(&m);
			return 0;
		}
		if (!checksum_ok(h)) {
			sbx_error_set(err, 0,
				      "not a tar archive, or a damaged one: bad header checksum at "
				      "byte %llu", (unsigned long long) at);
			goto fail;
		}
		uint64_t size, mode, mtime;
		if (parse_num(h + 124, 12, &size) < 0 || parse_num(h + 100, 8, &mode) < 0 ||
		    parse_num(h + 136, 12, &mtime) < 0) {
			sbx_error_set(err, 0, "a bad number in the tar header at byte %llu",
				      (unsigned long long) at);
			goto fail;
		}
		char flag = (char) h[156];
		if (flag == 'x' || flag == 'g' || flag == 'L' || flag == 'K') {
			if (take_meta(r, flag, size, &m, err) < 0)
				goto fail;
			continue;
		}
		enum tar_type t;
		if (type_of(flag, &t) < 0) {
			cleanup_free char *nm = field_str(h, 100);
			sbx_error_set(err, 0, "entry %s: tar entry type '%c' is not supported "
					      "(GNU sparse, multi-volume or a vendor extension)",
				      nm ? nm : "?", flag > 32 && flag < 127 ? flag : '?');
			goto fail;
		}
		if (m.has_size)
			size = m.size;
		else if (r->g_has_size)
			size = r->g_size;
		if (m.has_mtime)
			mtime = m.mtime;
		else if (r->g_has_mtime)
			mtime = r->g_mtime;
		if (entry_names(r, h, &m, err) < 0)
			goto fail;
		meta_clear(&m);
		/* Only a file has content (Go's archive/tar and GNU tar agree). */
		if (t != TAR_FILE)
			size = 0;
		r->left = size;
		r->pad = (BLOCK - size % BLOCK) % BLOCK;
		*e = (struct tar_entry){ .type = t, .name = r->name, .linkname = r->linkname,
					 .mode = (uint32_t) (mode & 07777), .size = size,
					 .offset = r->pos, .mtime = (int64_t) mtime };
		return 1;
	}
fail:
	meta_clear(&m);
	return -1;
}

ssize_t tar_read_data(struct tar_reader *r, void *buf, size_t len, sbx_error **err)
{
	if (r->left == 0)
		return 0;
	if (len > r->left)
		len = (size_t) r->left;
	ssize_t n = r->src.read(r->src.ctx, buf, len, err);
	if (n < 0)
		return -1;
	if (n == 0)
		return sbx_error_set(err, 0, "truncated archive: it ends at byte %llu, %llu bytes "
					     "short of the entry's declared size",
				     (unsigned long long) r->pos, (unsigned long long) r->left);
	r->pos += (uint64_t) n;
	r->left -= (uint64_t) n;
	return n;
}
