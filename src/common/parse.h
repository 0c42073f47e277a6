/* Side-effect-free parsers for what users type: sizes, durations, CPU
 * counts, and text clean-up for JSON.  No I/O, no globals: unit-tested
 * without root. */
#ifndef STRATBOX_COMMON_PARSE_H
#define STRATBOX_COMMON_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "256M", "16m", "1G", "512K", "1048576", "1.5G", "64MiB", "2GB".
 * Suffixes are binary (K = 1024).  Fractions are allowed with a suffix and
 * rounded down to a whole byte.  Returns 0, or -1 with a static reason in
 * *why (empty, negative, junk, overflow). */
int parse_size(const char *s, uint64_t *out, const char **why);

/* Seconds with an optional fraction and optional unit: "60", "0.25",
 * "1.5s", "250ms", "2m", "12h", "7d".  Result in nanoseconds.  Zero is refused. */
int parse_duration(const char *s, uint64_t *out_ns, const char **why);

/* A positive decimal like "0.5" or "2": result in millicpus (0.5 -> 500). */
int parse_cpus(const char *s, uint64_t *out_millicpus, const char **why);

/* A positive decimal integer that fits in uint64. */
int parse_u64(const char *s, uint64_t *out, const char **why);

/* Format a byte count as the shortest exact K/M/G form ("256M"), or bytes. */
void format_size(uint64_t bytes, char *buf, size_t size);

/* Copy len bytes of arbitrary data into out as valid UTF-8, replacing each
 * byte of an invalid or truncated sequence with U+FFFD.  out must hold
 * 3*len+1 bytes.  Returns the output length (NUL-terminated). */
size_t utf8_sanitize(const char *in, size_t len, char *out);

/* Whether s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);

#endif
