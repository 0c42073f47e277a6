/* The queue's URL (redis.h has the grammar).  Pure string work, so that
 * the unit suite checks it without Redis or hiredis. */
#include "queue/redis.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void rq_url_clear(struct rq_url *u)
{
	free(u->host);
	free(u->path);
	free(u->user);
	if (u->password)
		explicit_bzero(u->password, strlen(u->password));
	free(u->password);
	free(u->cacert);
	free(u->cert);
	free(u->key);
	memset(u, 0, sizeof(*u));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* p[0..n) percent-decoded into a new string; NULL with err set when a %
 * is not followed by two hex digits or decodes to NUL. */
static char *decode(const char *p, size_t n, const char *what, sbx_error **err)
{
	char *out = malloc(n + 1);
	if (out == NULL) {
		sbx_error_set(err, ENOMEM, "queue URL");
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '%') {
			out[o++] = p[i];
			continue;
		}
		int hi = i + 1 < n ? hexval(p[i + 1]) : -1;
		int lo = i + 2 < n ? hexval(p[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(out);
			sbx_error_set(err, 0, "queue URL: the %s has a '%%' not followed by two hex "
					      "digits (write '%%25' for '%%')",
				      what);
			return NULL;
		}
		out[o++] = (char) (hi * 16 + lo);
		i += 2;
	}
	out[o] = '\0';
	return out;
}

/* "[[user]:password@]": the credentials before the last '@' of rest[0..n). */
static int parse_userinfo(const char *p, size_t n, struct rq_url *u, sbx_error **err)
{
	const char *colon = memchr(p, ':', n);
	if (colon == NULL) {
		/* "secret@host" is the password alone, as redis-cli reads it */
		u->password = decode(p, n, "password", err);
		return u->password ? 0 : -1;
	}
	if (colon > p && (u->user = decode(p, (size_t) (colon - p), "user", err)) == NULL)
		return -1;
	u->password = decode(colon + 1, n - (size_t) (colon - p) - 1, "password", err);
	return u->password ? 0 : -1;
}

static int parse_uint(const char *p, size_t n, unsigned long max, unsigned long *out)
{
	if (n == 0 || n > 10)
		return -1;
	unsigned long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned long) (p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_db(const char *p, size_t n, struct rq_url *u, sbx_error **err)
{
	unsigned long db = 0;
	if (parse_uint(p, n, 1000000, &db) < 0)
		return sbx_error_set(err, 0, "queue URL: the database '%.*s' is not a number", (int) n,
				     p);
	u->db = (unsigned) db;
	return 0;
}

/* rediss://...?cacert=FILE&cert=FILE&key=FILE: the CA that signed the
 * server's certificate (default: the system's), and a client certificate
 * and key (Redis asks for one unless tls-auth-clients is no). */
static int parse_tls_query(const char *p, struct rq_url *u, sbx_error **err)
{
	while (*p != '\0') {
		size_t n = strcspn(p, "&");
		const char *eq = memchr(p, '=', n);
		char **slot = NULL;
		if (eq != NULL && (size_t) (eq - p) == 6 && strncmp(p, "cacert", 6) == 0)
			slot = &u->cacert;
		else if (eq != NULL && (size_t) (eq - p) == 4 && strncmp(p, "cert", 4) == 0)
			slot = &u->cert;
		else if (eq != NULL && (size_t) (eq - p) == 3 && strncmp(p, "key", 3) == 0)
			slot = &u->key;
		if (slot == NULL || *slot != NULL || eq + 1 == p + n)
			return sbx_error_set(err, 0,
					     "queue URL: '%.*s': rediss:// takes cacert=, cert= and "
					     "key= (each once, a file)",
					     (int) n, p);
		if ((*slot = decode(eq + 1, (size_t) (p + n - eq - 1), "file", err)) == NULL)
			return -1;
		p += n;
		if (*p == '&')
			p++;
	}
	if ((u->cert == NULL) != (u->key == NULL))
		return sbx_error_set(err, 0, "queue URL: give both cert= and key=, or neither");
	return 0;
}

/* host[:port][/db] */
static int parse_tcp(const char *p, struct rq_url *u, sbx_error **err)
{
	const char *hs = p, *he;
	if (*p == '[') {
		he = strchr(p, ']');
		if (he == NULL)
			return sbx_error_set(err, 0, "queue URL: an IPv6 host needs its closing ']'");
		hs = p + 1;
		p = he + 1;
	} else {
		he = p + strcspn(p, ":/?#");
		p = he;
	}
	if (he == hs)
		return sbx_error_set(err, 0, "queue URL: no host (redis://HOST:PORT)");
	u->host = strndup(hs, (size_t) (he - hs));
	if (u->host == NULL)
		return sbx_error_set(err, ENOMEM, "queue URL");
	u->port = 6379;
	if (*p == ':') {
		size_t n = strcspn(p + 1, "/?#");
		unsigned long port = 0;
		if (parse_uint(p + 1, n, 65535, &port) < 0 || port == 0)
			return sbx_error_set(err, 0, "queue URL: the port '%.*s' is not from 1 to 65535",
					     (int) n, p + 1);
		u->port = (unsigned) port;
		p += 1 + n;
	}
	if (*p == '/') {
		p++;
		size_t n = strcspn(p, "?#");
		if (n > 0 && parse_db(p, n, u, err) < 0)
			return -1;
		p += n;
	}
	if (*p == '?' && u->tls)
		return parse_tls_query(p + 1, u, err);
	if (*p != '\0')
		return sbx_error_set(err, 0,
				     "queue URL: unexpected '%s' (redis://HOST:PORT/DB takes no query; "
				     "rediss:// takes ?cacert=PEM&cert=PEM&key=PEM)",
				     p);
	return 0;
}

/* /path[?db=N] */
static int parse_unix(const char *p, struct rq_url *u, sbx_error **err)
{
	if (*p != '/')
		return sbx_error_set(err, 0, "queue URL: a unix socket's path must be absolute "
					     "(unix:///path/to/redis.sock)");
	size_t n = strcspn(p, "?#");
	u->path = strndup(p, n);
	if (u->path == NULL)
		return sbx_error_set(err, ENOMEM, "queue URL");
	p += n;
	if (strncmp(p, "?db=", 4) == 0) {
		if (parse_db(p + 4, strlen(p + 4), u, err) < 0)
			return -1;
		p += strlen(p);
	}
	if (*p != '\0')
		return sbx_error_set(err, 0, "queue URL: unexpected '%s' (unix:///PATH takes ?db=N "
					     "only)",
				     p);
	return 0;
}

static int parse(const char *text, struct rq_url *u, sbx_error **err)
{
	const char *p;
	if (strncmp(text, "redis://", 8) == 0) {
		p = text + 8;
	} else if (strncmp(text, "rediss://", 9) == 0) {
		/* TLS with GnuTLS beside hiredis (Debian 12's 0.14 has none):
		 * redis.c relays the connection */
		p = text + 9;
		u->tls = true;
	} else if (strncmp(text, "unix://", 7) == 0) {
		p = text + 7;
		u->unix_socket = true;
	} else {
		return sbx_error_set(err, 0,
				     "queue URL '%s': give redis://[user:password@]HOST[:PORT][/DB] "
				     "or unix:///PATH/TO/SOCKET",
				     text);
	}
	/* the credentials end at the last '@' before the path (a password
	 * may hold '/' or '@' only percent-encoded, but be lenient with '@') */
	const char *end = u->unix_socket ? p + strcspn(p, "/") : p + strcspn(p, "/?#");
	const char *at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (u->unix_socket && at == NULL && end != p)
		return sbx_error_set(err, 0, "queue URL: a unix socket's path must be absolute "
					     "(unix:///path/to/redis.sock)");
	if (at != NULL) {
		if (parse_userinfo(p, (size_t) (at - p), u, err) < 0)
			return -1;
		p = at + 1;
	}
	return u->unix_socket ? parse_unix(p, u, err) : parse_tcp(p, u, err);
}

int rq_url_parse(const char *text, struct rq_url *out, sbx_error **err)
{
	memset(out, 0, sizeof(*out));
	if (text == NULL || *text == '\0')
		return sbx_error_set(err, 0, "queue URL: empty (give redis://HOST:PORT)");
	if (parse(text, out, err) < 0) {
		rq_url_clear(out);
		return -1;
	}
	return 0;
}

char *rq_url_display(const struct rq_url *u)
{
	if (u->unix_socket)
		return u->db ? str_printf("unix://%s?db=%u", u->path, u->db)
			     : str_printf("unix://%s", u->path);
	bool v6 = strchr(u->host, ':') != NULL;
	return str_printf("%s://%s%s%s:%u/%u", u->tls ? "rediss" : "redis", v6 ? "[" : "", u->host,
			  v6 ? "]" : "", u->port, u->db);
}
