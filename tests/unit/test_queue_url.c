/* The Redis queue's URL (src/queue/url.c): what `serve --queue` and
 * `worker --queue` accept, and the words of each refusal. */
#include "harness.h"
#include "queue/redis.h"
#include "unit.h"

void u_queue_url_parses_credentials_db_and_socket(void)
{
	static const struct {
		const char *in;
		bool unix_socket;
		const char *host, *path, *user, *password;
		unsigned port, db;
		const char *display;
	} cases[] = {
		{ "redis://10.0.0.5:6380", false, "10.0.0.5", NULL, NULL, NULL, 6380, 0,
		  "redis://10.0.0.5:6380/0" },
		{ "redis://queue.internal", false, "queue.internal", NULL, NULL, NULL, 6379, 0,
		  "redis://queue.internal:6379/0" },
		{ "redis://queue:6379/3", false, "queue", NULL, NULL, NULL, 6379, 3,
		  "redis://queue:6379/3" },
		{ "redis://:s3cret@h:1/2", false, "h", NULL, NULL, "s3cret", 1, 2, "redis://h:1/2" },
		{ "redis://secret@h", false, "h", NULL, NULL, "secret", 6379, 0, "redis://h:6379/0" },
		{ "redis://stratbox:p%40ss%3Aw0rd@h:7000/", false, "h", NULL, "stratbox", "p@ss:w0rd",
		  7000, 0, "redis://h:7000/0" },
		{ "redis://u:p@ss@h:7000", false, "h", NULL, "u", "p@ss", 7000, 0,
		  "redis://h:7000/0" },
		{ "redis://[::1]:6379/1", false, "::1", NULL, NULL, NULL, 6379, 1,
		  "redis://[::1]:6379/1" },
		{ "unix:///run/redis/redis.sock", true, NULL, "/run/redis/redis.sock", NULL, NULL, 0,
		  0, "unix:///run/redis/redis.sock" },
		{ "unix://:pw@/tmp/r.sock?db=4", true, NULL, "/tmp/r.sock", NULL, "pw", 0, 4,
		  "unix:///tmp/r.sock?db=4" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rq_url u;
		sbx_error *err = NULL;
		int r = rq_url_parse(cases[i].in, &u, &err);
		CHECK(r == 0, "%s: %s", cases[i].in, err ? err->msg : "");
		CHECK(u.unix_socket == cases[i].unix_socket, "%s", cases[i].in);
		CHECK(!u.tls);
		if (cases[i].host)
			CHECK_STR_EQ(u.host, cases[i].host);
		if (cases[i].path)
			CHECK_STR_EQ(u.path, cases[i].path);
		CHECK((u.user == NULL) == (cases[i].user == NULL), "%s: user", cases[i].in);
		if (cases[i].user)
			CHECK_STR_EQ(u.user, cases[i].user);
		CHECK((u.password == NULL) == (cases[i].password == NULL), "%s: password",
		      cases[i].in);
		if (cases[i].password)
			CHECK_STR_EQ(u.password, cases[i].password);
		if (!cases[i].unix_socket)
			CHECK_INT_EQ(u.port, cases[i].port);
		CHECK_INT_EQ(u.db, cases[i].db);
		char *d = rq_url_display(&u);
		CHECK_STR_EQ(d, cases[i].display); /* never the password */
		free(d);
		rq_url_clear(&u);
	}
}

void u_queue_url_refuses_bad_ones_saying_why(void)
{
	static const struct {
		const char *in, *says;
	} cases[] = {
		{ "", "empty" },
		{ "localhost:6379", "give redis://" },
		{ "http://h:6379", "give redis://" },
		{ "rediss://h:6380?ca=/x", "rediss:// takes cacert=" },
		{ "rediss://h:6380?cacert=", "rediss:// takes cacert=" },
		{ "rediss://h:6380?cacert=/a&cacert=/b", "each once" },
		{ "rediss://h:6380?cert=/c.pem", "both cert= and key=" },
		{ "redis://", "no host" },
		{ "redis://:6379", "no host" },
		{ "redis://h:0", "port '0'" },
		{ "redis://h:65536", "port '65536'" },
		{ "redis://h:63x", "port '63x'" },
		{ "redis://h:6379/x", "database 'x'" },
		{ "redis://h:6379/0?ssl=1", "unexpected '?ssl=1'" },
		{ "redis://[::1:6379", "closing ']'" },
		{ "redis://u:p%4@h", "two hex digits" },
		{ "redis://u:p%00@h", "two hex digits" },
		{ "unix://relative/path", "absolute" },
		{ "unix:///tmp/r.sock?x=1", "unexpected '?x=1'" },
		{ "unix:///tmp/r.sock?db=z", "database 'z'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rq_url u;
		sbx_error *err = NULL;
		int r = rq_url_parse(cases[i].in, &u, &err);
		CHECK(r == -1, "'%s' was accepted", cases[i].in);
		CHECK(err != NULL && err->kind == SBX_ERR_INVALID, "'%s'", cases[i].in);
		CHECK_CONTAINS(err->msg, cases[i].says);
		CHECK(u.host == NULL && u.password == NULL, "'%s' left parts behind", cases[i].in);
		sbx_error_free(err);
	}
}

/* rediss://: TLS, with the CA and the client's certificate as files */
void u_queue_url_rediss_takes_ca_and_client_cert(void)
{
	struct rq_url u;
	sbx_error *err = NULL;
	CHECK(rq_url_parse("rediss://:pw@redis.internal:6380/2?cacert=/etc/ca%20dir/ca.pem&"
			   "cert=/c.pem&key=/k.pem",
			   &u, &err) == 0,
	      "%s", err ? err->msg : "");
	CHECK(u.tls);
	CHECK_STR_EQ(u.host, "redis.internal");
	CHECK_INT_EQ(u.port, 6380);
	CHECK_INT_EQ(u.db, 2);
	CHECK_STR_EQ(u.password, "pw");
	CHECK_STR_EQ(u.cacert, "/etc/ca dir/ca.pem");
	CHECK_STR_EQ(u.cert, "/c.pem");
	CHECK_STR_EQ(u.key, "/k.pem");
	char *d = rq_url_display(&u);
	CHECK_STR_EQ(d, "rediss://redis.internal:6380/2");
	free(d);
	rq_url_clear(&u);
	CHECK(rq_url_parse("rediss://10.0.0.5", &u, &err) == 0);
	CHECK(u.tls && u.cacert == NULL && u.port == 6379);
	rq_url_clear(&u);
}
