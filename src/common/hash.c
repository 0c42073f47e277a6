#include "common/hash.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <unistd.h>

static void to_hex(const uint8_t *d, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * SHA256_DIGEST_SIZE] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&c);
	sha256_update(&c, len, data);
	sha256_digest(&c, sizeof(d), d);
	to_hex(d, out);
}

int sha256_fd_hex(int fd, char out[SHA256_HEX_LEN + 1], uint64_t *size)
{
	struct sha256_ctx c;
	sha256_init(&c);
	uint8_t buf[65536];
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		sha256_update(&c, (size_t) n, buf);
		total += (uint64_t) n;
	}
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_digest(&c, sizeof(d), d);
	to_hex(d, out);
	if (size != NULL)
		*size = total;
	return 0;
}

int sha256_file_hex(const char *path, char out[SHA256_HEX_LEN + 1], sbx_error **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sbx_error_set(err, errno, "%s", path);
	int r = sha256_fd_hex(fd, out, NULL);
	return r < 0 ? sbx_error_set(err, -r, "%s", path) : 0;
}
