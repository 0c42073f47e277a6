/* libFuzzer target: the tar reader (src/env/tar.c) on arbitrary bytes, as
 * an image layer or the outer archive it would read.  The first byte picks
 * how the source hands bytes over (1 to 64 at a time, or all it can) and
 * whether content is skipped by a seek, read in small pieces, or left for
 * tar_next to skip; the rest is the archive, in a buffer of exactly its
 * size (ASan: a read past it crashes).
 *
 * Beyond "no crash", the reader's promises are checked (abort on a
 * violation): every name and link is non-empty (names) and shorter than
 * PATH_MAX, the mode fits 07777, content lies inside the input and is
 * read to exactly its declared size unless the input ends first (then an
 * error), the position never passes the input, and every error has a
 * message.  Seeds: fuzz/tar-seeds/. */
#include "env/tar.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                                                 \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "invariant broken: %s (%s:%d)\n", #c, __FILE__, __LINE__); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct mem {
	const uint8_t *p;
	size_t len, pos, chunk;
};

static ssize_t mem_read(void *ctx, void *buf, size_t len, sbx_error **err)
{
	(void) err;
	struct mem *m = ctx;
	size_t n = m->len - m->pos;
	if (n > len)
		n = len;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t) n;
}

static int mem_skip(void *ctx, uint64_t n, sbx_error **err)
{
	struct mem *m = ctx;
	if (n > m->len - m->pos)
		return sbx_error_set(err, 0, "skipped past the end");
	m->pos += (size_t) n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	size--;
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	memcpy(copy, data + 1, size);
	struct mem m = { copy, size, 0, (mode & 0x3f) ? (mode & 0x3f) : 0 };
	struct tar_source src = { mem_read, (mode & 0x40) ? mem_skip : NULL, &m };
	struct tar_reader *r = tar_reader_new(&src);
	REQUIRE(r);
	sbx_error *err = NULL;
	struct tar_entry e;
	int rc;
	unsigned k = 0;
	while ((rc = tar_next(r, &e, &err)) > 0) {
		REQUIRE(e.name && e.name[0] && strlen(e.name) < PATH_MAX);
		REQUIRE(e.linkname && strlen(e.linkname) < PATH_MAX);
		REQUIRE(e.mode <= 07777);
		REQUIRE(e.type == TAR_FILE || e.size == 0);
		REQUIRE(e.offset <= size && tar_position(r) == e.offset);
		if ((mode & 0x80) && (k++ & 1))
			continue; /* left for tar_next to skip */
		uint64_t got = 0;
		char buf[97];
		ssize_t n;
		while ((n = tar_read_data(r, buf, sizeof(buf), &err)) > 0)
			got += (uint64_t) n;
		if (n < 0) {
			REQUIRE(err && err->msg);
			REQUIRE(e.offset + e.size > size);
			break;
		}
		REQUIRE(got == e.size && e.offset + e.size <= size);
		REQUIRE(tar_read_data(r, buf, sizeof(buf), &err) == 0);
	}
	if (rc < 0)
		REQUIRE(err && err->msg && err->msg[0]);
	REQUIRE(tar_position(r) <= size);
	sbx_error_free(err);
	tar_reader_free(r);
	free(copy);
	return 0;
}
