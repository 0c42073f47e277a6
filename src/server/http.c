/* HTTP/1.1 with libmicrohttpd: a thread per connection (a request may wait
 * for its job with ?wait=SEC, and blocking there is simplest), bodies read
 * into memory up to --max-body (413 before any of it is read when the
 * Content-Length says more), and the whole request handed to api.c.
 * Slow clients are cut off by the connection timeout. */
#include "common/util.h"
#include "server/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>

#define CONNECTION_LIMIT 256

struct body {
	char *buf;
	size_t len, cap;
	bool too_big;
};

static void body_free(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void) cls;
	(void) c;
	(void) toe;
	struct body *b = *con_cls;
	if (b != NULL) {
		free(b->buf);
		free(b);
	}
	*con_cls = NULL;
}

static enum MHD_Result send_response(struct sbx_server *s, struct MHD_Connection *c,
				     struct api_response *rs)
{
	server_count_http(s, rs->status);
	char *text = NULL;
	if (rs->body != NULL) {
		text = json_dumps(rs->body, JSON_COMPACT | JSON_REAL_PRECISION(15));
		json_decref(rs->body);
		rs->body = NULL;
	}
	size_t len = text ? strlen(text) : 0;
	bool raw = text == NULL && rs->raw != NULL;
	if (raw) {
		text = rs->raw;
		len = rs->raw_len;
		rs->raw = NULL;
	} else if (text != NULL) {
		/* a newline, so that curl's output ends a line */
		char *t = realloc(text, len + 2);
		if (t != NULL) {
			text = t;
			text[len++] = '\n';
			text[len] = '\0';
		}
	}
	struct MHD_Response *r =
		MHD_create_response_from_buffer_with_free_callback(len, text, free);
	if (r == NULL) {
		free(text);
		free(rs->location_buf);
		return MHD_NO;
	}
	if (raw)
		MHD_add_response_header(r, "Content-Type", rs->content_type);
	else if (text != NULL)
		MHD_add_response_header(r, "Content-Type", "application/json");
	if (rs->csp)
		MHD_add_response_header(r, "Content-Security-Policy", rs->csp);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	/* nothing here is for another site's frame (clickjacking of the
	 * status page) or another site's eyes (the URLs carry job ids) */
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (rs->location)
		MHD_add_response_header(r, "Location", rs->location);
	if (rs->allow)
		MHD_add_response_header(r, "Allow", rs->allow);
	if (rs->auth_challenge)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"stratbox\"");
	if (rs->replayed)
		MHD_add_response_header(r, "Idempotent-Replayed", "true");
	if (rs->retry_after) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%u", rs->retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	enum MHD_Result ret = MHD_queue_response(c, rs->status, r);
	MHD_destroy_response(r);
	free(rs->location_buf);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	(void) version;
	struct sbx_server *s = cls;
	struct body *b = *con_cls;
	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return MHD_NO;
		*con_cls = b;
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (cl != NULL) {
			char *end = NULL;
			errno = 0;
			unsigned long long n = strtoull(cl, &end, 10);
			if (errno != 0 || end == cl || n > s->opt.max_body) {
				/* answered before the body is read: MHD closes the
				 * connection after it */
				struct api_response rs = { 0 };
				api_error(&rs, 413, "body_too_large",
					  "the request body is larger than %zu bytes", s->opt.max_body);
				return send_response(s, c, &rs);
			}
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (b->too_big || b->len + n > s->opt.max_body) {
			b->too_big = true; /* read and dropped: answered at the end */
			return MHD_YES;
		}
		if (b->len + n + 1 > b->cap) {
			size_t cap = (b->len + n + 1) * 2;
			if (cap > s->opt.max_body + 1)
				cap = s->opt.max_body + 1;
			char *p = realloc(b->buf, cap);
			if (p == NULL)
				return MHD_NO;
			b->buf = p;
			b->cap = cap;
		}
		memcpy(b->buf + b->len, upload, n);
		b->len += n;
		b->buf[b->len] = '\0';
		return MHD_YES;
	}
	struct api_response rs = { 0 };
	if (b->too_big) {
		api_error(&rs, 413, "body_too_large", "the request body is larger than %zu bytes",
			  s->opt.max_body);
	} else {
		struct api_request rq = { .method = method,
					  .path = url,
					  .conn = c,
					  .body = b->buf ? b->buf : "",
					  .body_len = b->len };
		api_handle(s, &rq, &rs);
	}
	return send_response(s, c, &rs);
}

static int parse_listen(const char *spec, struct sockaddr_storage *ss, bool *v6, char **host,
			unsigned *port, sbx_error **err)
{
	const char *colon = strrchr(spec, ':');
	if (colon == NULL || colon == spec)
		return sbx_error_set(err, 0, "--listen '%s': HOST:PORT (e.g. 127.0.0.1:8080)", spec);
	char *end = NULL;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (end == colon + 1 || *end != '\0' || p > 65535)
		return sbx_error_set(err, 0, "--listen '%s': the port is a number up to 65535", spec);
	size_t hl = (size_t) (colon - spec);
	if (spec[0] == '[' && colon[-1] == ']') {
		spec++;
		hl -= 2;
	}
	*host = strndup(spec, hl);
	if (*host == NULL)
		return sbx_error_set(err, ENOMEM, "--listen");
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *) ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ss;
	if (inet_pton(AF_INET, *host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t) p);
		*v6 = false;
	} else if (inet_pton(AF_INET6, *host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t) p);
		*v6 = true;
	} else {
		return sbx_error_set(err, 0, "--listen '%s': the host is an IPv4 or IPv6 address",
				     spec);
	}
	*port = (unsigned) p;
	return 0;
}

int http_load_tls(struct sbx_server *s, sbx_error **err)
{
	if (s->opt.tls_cert == NULL && s->opt.tls_key == NULL)
		return 0;
	if (s->opt.tls_cert == NULL || s->opt.tls_key == NULL)
		return sbx_error_set(err, 0, "give both --tls-cert and --tls-key");
	const char *paths[2] = { s->opt.tls_cert, s->opt.tls_key };
	char **out[2] = { &s->tls_cert_pem, &s->tls_key_pem };
	for (int i = 0; i < 2; i++) {
		size_t len = 0;
		cleanup_error sbx_error *e = NULL;
		if (read_file_alloc(paths[i], 1u << 20, out[i], &len, &e) < 0)
			return sbx_error_set(err, 0, "%s %s: %s", i ? "--tls-key" : "--tls-cert",
					     paths[i], e->msg);
	}
	if (strstr(s->tls_cert_pem, "-----BEGIN CERTIFICATE-----") == NULL ||
	    strstr(s->tls_key_pem, "PRIVATE KEY-----") == NULL)
		return sbx_error_set(err, 0,
				     "--tls-cert is a PEM certificate (-----BEGIN CERTIFICATE-----) "
				     "and --tls-key a PEM private key");
	return 0;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *) ss)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *) ss)->sin6_addr);
}

int http_start(struct sbx_server *s, sbx_error **err)
{
	struct sockaddr_storage ss;
	bool v6 = false;
	if (parse_listen(s->opt.listen, &ss, &v6, &s->host, &s->port, err) < 0)
		return -1;
	if (!auth_enabled(s->auth) && !is_loopback(&ss))
		return sbx_error_set(err, 0,
				     "--listen %s: without --token-file the service listens on "
				     "loopback only (give --token-file to listen beyond it)",
				     s->opt.listen);
	bool tls = s->opt.tls_cert != NULL;
	if (!tls && !is_loopback(&ss) && !s->opt.plain_http)
		return sbx_error_set(err, 0,
				     "--listen %s: beyond loopback, tokens would cross the network "
				     "in clear text: give --tls-cert and --tls-key (or --plain-http "
				     "when a TLS proxy in front of the service terminates it)",
				     s->opt.listen);
	char *cert = s->tls_cert_pem, *key = s->tls_key_pem;
	s->tls_cert_pem = s->tls_key_pem = NULL;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ITC | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0) |
			 (tls ? MHD_USE_TLS : 0);
	/* the certificate and key only with TLS: MHD_OPTION_END first without */
	struct MHD_OptionItem tls_opts[] = {
		{ tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, key },
		{ MHD_OPTION_END, 0, NULL },
	};
	errno = 0;
	s->mhd = MHD_start_daemon(flags, (uint16_t) s->port, NULL, NULL, on_request, s,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &ss,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned) CONNECTION_LIMIT,
				  MHD_OPTION_CONNECTION_TIMEOUT, s->opt.request_timeout_s,
				  MHD_OPTION_NOTIFY_COMPLETED, body_free, NULL, MHD_OPTION_ARRAY,
				  tls_opts, MHD_OPTION_END);
	int e = errno;
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(cert);
	free(key);
	if (s->mhd == NULL) {
		if (tls)
			return sbx_error_set(err, 0,
					     "cannot listen on %s with TLS: is --tls-key the private "
					     "key of --tls-cert, both PEM? (%s)",
					     s->opt.listen, e ? strerror(e) : "refused");
		return sbx_error_set(err, e ? e : EADDRINUSE, "cannot listen on %s", s->opt.listen);
	}
	s->tls = tls;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (di != NULL && di->port != 0)
		s->port = di->port;
	return 0;
}

void http_quiesce(struct sbx_server *s)
{
	if (s->mhd != NULL) {
		MHD_socket fd = MHD_quiesce_daemon(s->mhd);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
}

void http_stop(struct sbx_server *s)
{
	if (s->mhd != NULL)
		MHD_stop_daemon(s->mhd);
	s->mhd = NULL;
}
