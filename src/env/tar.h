/* A streaming reader of untrusted tar archives: ustar, GNU long names and
 * links (L/K), pax extended headers (x, and g: path, linkpath, size, mtime).
 * It parses; it never touches the file system: extract.c decides what an
 * entry becomes.  Everything it reads is bounded (header sizes, pax records,
 * names at most PATH_MAX - 1 bytes, no NUL inside a name), so a hostile
 * archive costs at most its own length.  Pure: fuzzed by fuzz/fuzz_tar.c.
 * Private to src/env/. */
#ifndef STRATBOX_ENV_TAR_H
#define STRATBOX_ENV_TAR_H

#include "stratbox/error.h"

#include <stdint.h>
#include <sys/types.h>

/* The source of the archive's bytes: returns bytes read (0 at its end) or -1
 * with *err set.  skip, when not NULL, moves n bytes on without reading them
 * (a seekable file), returning 0 or -1; n never passes the declared end of an
 * entry, and reading past the source's end is the source's to report. */
struct tar_source {
	ssize_t (*read)(void *ctx, void *buf, size_t len, sbx_error **err);
	int (*skip)(void *ctx, uint64_t n, sbx_error **err);
	void *ctx;
};

enum tar_type {
	TAR_FILE,     /* '0', '\0', '7' */
	TAR_HARDLINK, /* '1' */
	TAR_SYMLINK,  /* '2' */
	TAR_CHAR,     /* '3' */
	TAR_BLOCK,    /* '4' */
	TAR_DIR,      /* '5' */
	TAR_FIFO,     /* '6' */
};

struct tar_entry {
	enum tar_type type;
	char *name;	 /* as the archive says, pax and GNU names applied (the reader's) */
	char *linkname;	 /* hard and symbolic links, else "" */
	uint32_t mode;	 /* the permission bits as stored (07777) */
	uint64_t size;	 /* bytes of content that follow (files; 0 otherwise) */
	uint64_t offset; /* where the content starts in the stream */
	int64_t mtime;	 /* seconds (pax mtime's fraction is dropped) */
};

struct tar_reader;

struct tar_reader *tar_reader_new(const struct tar_source *src);
void tar_reader_free(struct tar_reader *r);

/* The next entry: 1 with *e filled (valid until the next call), 0 at the
 * end of the archive (a zero block, or the source's end exactly between
 * entries), -1 on a damaged or unsupported archive.  Content the caller did
 * not read is skipped. */
int tar_next(struct tar_reader *r, struct tar_entry *e, sbx_error **err);

/* Read up to len bytes of the current entry's content: bytes read, 0 when
 * it is all read, -1 when the archive ends early (truncated). */
ssize_t tar_read_data(struct tar_reader *r, void *buf, size_t len, sbx_error **err);

/* Bytes taken from the source so far. */
uint64_t tar_position(const struct tar_reader *r);

#endif
