/* TLS to Redis (rediss://) beside hiredis 0.14, which has none: the TCP
 * connection is made here and wrapped in a GnuTLS session, and hiredis
 * talks plain RESP over one end of a socket pair whose other end a relay
 * thread copies to and from the session.  hiredis keeps its own timeouts
 * (they apply to its end of the pair), and freeing its context closes its
 * end: the relay sees the end of the pair, says goodbye to the server and
 * ends; rq_tls_close joins it.
 *
 * The server's certificate is verified against cacert (or the system's
 * trusted CAs) and the URL's host, a name or an IP address; a client
 * certificate is sent when the URL names one (Redis asks for one unless
 * its tls-auth-clients is no). */
#include "queue/redis.h"
#include "common/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct rq_tls {
	gnutls_session_t session;
	gnutls_certificate_credentials_t cred;
	int tcp;      /* to Redis */
	int inner;    /* the relay's end of the pair */
	pthread_t th;
	bool started;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int global_rc;

static void global_init(void)
{
	global_rc = gnutls_global_init();
}

/* A TCP connection to host:port within timeout_ms, or -1 with err. */
static int tcp_connect(const char *host, unsigned port, unsigned timeout_ms, sbx_error **err)
{
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int rc = getaddrinfo(host, ps, &hints, &ai);
	if (rc != 0)
		return sbx_error_set(err, EHOSTUNREACH, "%s: %s", host, gai_strerror(rc));
	int fd = -1, e = ECONNREFUSED;
	for (struct addrinfo *a = ai; a != NULL && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int soerr = 0;
			socklen_t sl = sizeof(soerr);
			if (poll(&p, 1, (int) timeout_ms) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
				errno = 0;
			else
				errno = soerr ? soerr : ETIMEDOUT;
		}
		if (errno != 0 && errno != EISCONN) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return sbx_error_set(err, e, "%s:%u", host, port);
	/* blocking from here: the handshake has its own timeout */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static void *relay(void *arg)
{
	struct rq_tls *t = arg;
	char buf[16384];
	for (;;) {
		/* what GnuTLS already decrypted is not on the socket any more */
		if (gnutls_record_check_pending(t->session) == 0) {
			struct pollfd p[2] = { { .fd = t->inner, .events = POLLIN },
					       { .fd = t->tcp, .events = POLLIN } };
			if (poll(p, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			if (p[0].revents) {
				ssize_t n = read(t->inner, buf, sizeof(buf));
				if (n <= 0)
					break; /* hiredis closed its end */
				for (ssize_t off = 0; off < n;) {
					ssize_t w = gnutls_record_send(t->session, buf + off,
								       (size_t) (n - off));
					if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
						continue;
					if (w < 0)
						goto out;
					off += w;
				}
			}
			if (!p[1].revents)
				continue;
		}
		ssize_t n = gnutls_record_recv(t->session, buf, sizeof(buf));
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0)
			break; /* the server closed, or the session broke */
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(t->inner, buf + off, (size_t) (n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto out;
			off += w;
		}
	}
out:
	/* hiredis sees the end of its connection, as with a TCP one */
	shutdown(t->inner, SHUT_RDWR);
	return NULL;
}

void rq_tls_close(struct rq_tls *t)
{
	if (t == NULL)
		return;
	if (t->started) {
		shutdown(t->inner, SHUT_RDWR);
		pthread_join(t->th, NULL);
	}
	if (t->session) {
		gnutls_bye(t->session, GNUTLS_SHUT_WR);
		gnutls_deinit(t->session);
	}
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	if (t->tcp >= 0)
		close(t->tcp);
	if (t->inner >= 0)
		close(t->inner);
	free(t);
}

static int tls_fail(struct rq_tls *t, sbx_error **err, const char *what, int rc)
{
	sbx_error_set(err, EPROTO, "%s: %s", what, gnutls_strerror(rc));
	rq_tls_close(t);
	return -1;
}

int rq_tls_open(const struct rq_url *u, unsigned timeout_ms, int *fd, struct rq_tls **out,
		sbx_error **err)
{
	*out = NULL;
	*fd = -1;
	pthread_once(&once, global_init);
	if (global_rc < 0)
		return sbx_error_set(err, EPROTO, "GnuTLS: %s", gnutls_strerror(global_rc));
	struct rq_tls *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return sbx_error_set(err, ENOMEM, "TLS");
	t->tcp = t->inner = -1;
	int rc = gnutls_certificate_allocate_credentials(&t->cred);
	if (rc < 0)
		return tls_fail(t, err, "TLS credentials", rc);
	rc = u->cacert ? gnutls_certificate_set_x509_trust_file(t->cred, u->cacert,
								 GNUTLS_X509_FMT_PEM)
		       : gnutls_certificate_set_x509_system_trust(t->cred);
	if (rc <= 0) {
		sbx_error_set(err, 0, "rediss:// %s %s: no CA certificate read%s%s",
			      u->cacert ? "cacert" : "the system's CAs",
			      u->cacert ? u->cacert : "", rc < 0 ? ": " : "",
			      rc < 0 ? gnutls_strerror(rc) : "");
		rq_tls_close(t);
		return -1;
	}
	if (u->cert != NULL) {
		rc = gnutls_certificate_set_x509_key_file(t->cred, u->cert, u->key,
							  GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			sbx_error_set(err, 0, "rediss:// cert %s, key %s: %s", u->cert, u->key,
				      gnutls_strerror(rc));
			rq_tls_close(t);
			return -1;
		}
	}
	if ((rc = gnutls_init(&t->session, GNUTLS_CLIENT)) < 0)
		return tls_fail(t, err, "TLS session", rc);
	if ((rc = gnutls_set_default_priority(t->session)) < 0 ||
	    (rc = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, t->cred)) < 0)
		return tls_fail(t, err, "TLS session", rc);
	/* a name is sent (SNI) and checked; an address is checked against
	 * the certificate's IP addresses */
	unsigned char addr[16];
	bool is_ip = inet_pton(AF_INET, u->host, addr) == 1 || inet_pton(AF_INET6, u->host, addr) == 1;
	if (!is_ip)
		gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, u->host, strlen(u->host));
	gnutls_session_set_verify_cert(t->session, u->host, 0);
	t->tcp = tcp_connect(u->host, u->port, timeout_ms, err);
	if (t->tcp < 0) {
		rq_tls_close(t);
		return -1;
	}
	gnutls_transport_set_int(t->session, t->tcp);
	gnutls_handshake_set_timeout(t->session, timeout_ms);
	do
		rc = gnutls_handshake(t->session);
	while (rc < 0 && gnutls_error_is_fatal(rc) == 0);
	if (rc < 0) {
		if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
			gnutls_datum_t why = { 0 };
			unsigned status = gnutls_session_get_verify_cert_status(t->session);
			gnutls_certificate_verification_status_print(
				status, gnutls_certificate_type_get(t->session), &why, 0);
			sbx_error_set(err, EPERM, "the server's certificate: %s",
				      why.data ? (const char *) why.data : "not trusted");
			gnutls_free(why.data);
			rq_tls_close(t);
			return -1;
		}
		return tls_fail(t, err, "TLS handshake", rc);
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		sbx_error_set(err, errno, "socketpair");
		rq_tls_close(t);
		return -1;
	}
	t->inner = sv[1];
	if ((rc = pthread_create(&t->th, NULL, relay, t)) != 0) {
		close(sv[0]);
		sbx_error_set(err, rc, "TLS relay thread");
		rq_tls_close(t);
		return -1;
	}
	t->started = true;
	*fd = sv[0];
	*out = t;
	return 0;
}
