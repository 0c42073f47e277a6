/* The job store in SQLite (store.h says what it keeps and promises).
 *
 * WAL with synchronous=FULL: a job answered 202 is on disk before the
 * answer, and a reader (a GET) never waits for a writer.  One connection
 * behind a mutex: every statement here is short, and the order of
 * transitions (claim, finish, cancel) is then simply the mutex's order. */
#include "store/store.h"
#include "common/util.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

struct sbx_store {
	sqlite3 *db;
	pthread_mutex_t mu;
	char *dir, *reports;
};

static const char *const status_names[SBX_JOB_STATUS_COUNT] = {
	[SBX_JOB_QUEUED] = "queued",	   [SBX_JOB_RUNNING] = "running", [SBX_JOB_DONE] = "done",
	[SBX_JOB_FAILED] = "failed",	   [SBX_JOB_CANCELLED] = "cancelled",
};

const char *sbx_job_status_name(enum sbx_job_status s)
{
	return (unsigned) s < SBX_JOB_STATUS_COUNT ? status_names[s] : "unknown";
}

int sbx_job_status_parse(const char *s)
{
	for (int i = 0; i < SBX_JOB_STATUS_COUNT; i++)
		if (s && strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS jobs ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id TEXT NOT NULL UNIQUE,"
	" tenant TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" status INTEGER NOT NULL,"
	" created_ms INTEGER NOT NULL,"
	" started_ms INTEGER NOT NULL DEFAULT 0,"
	" finished_ms INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" request TEXT NOT NULL,"
	" result TEXT,"
	" idempotency_key TEXT,"
	" UNIQUE (tenant, idempotency_key));"
	"CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);"
	"CREATE INDEX IF NOT EXISTS jobs_tenant ON jobs (tenant, seq);";

static int db_error(sqlite3 *db, sbx_error **err, const char *what)
{
	int code = sqlite3_errcode(db);
	if (code == SQLITE_NOMEM)
		return sbx_error_set(err, ENOMEM, "job store: %s", what);
	if (code == SQLITE_FULL)
		return sbx_error_set(err, ENOSPC, "job store: %s", what);
	return sbx_error_set(err, EIO, "job store: %s: %s", what, sqlite3_errmsg(db));
}

static int64_t now_unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sbx_store_job_clear(struct sbx_store_job *j)
{
	free(j->tenant);
	free(j->kind);
	free(j->request);
	free(j->result);
	free(j->idempotency_key);
	memset(j, 0, sizeof(*j));
}

void sbx_store_close(sbx_store *s)
{
	if (s == NULL)
		return;
	if (s->db)
		sqlite3_close(s->db);
	pthread_mutex_destroy(&s->mu);
	free(s->dir);
	free(s->reports);
	free(s);
}

const char *sbx_store_reports_dir(const sbx_store *s)
{
	return s->reports;
}

static int mkdir_p1(const char *d, sbx_error **err)
{
	if (mkdir(d, 0700) < 0 && errno != EEXIST)
		return sbx_error_set(err, errno, "state directory %s", d);
	struct stat st;
	if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode))
		return sbx_error_set(err, errno ? errno : ENOTDIR, "state directory %s", d);
	return 0;
}

int sbx_store_open(const char *dir, sbx_store **out, unsigned *requeued, sbx_error **err)
{
	sbx_store *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return sbx_error_set(err, ENOMEM, "job store");
	pthread_mutex_init(&s->mu, NULL);
	s->dir = strdup(dir);
	s->reports = str_printf("%s/reports", dir);
	cleanup_free char *path = str_printf("%s/jobs.db", dir);
	if (s->dir == NULL || s->reports == NULL || path == NULL) {
		sbx_store_close(s);
		return sbx_error_set(err, ENOMEM, "job store");
	}
	if (mkdir_p1(dir, err) < 0 || mkdir_p1(s->reports, err) < 0) {
		sbx_store_close(s);
		return -1;
	}
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		int r = s->db ? db_error(s->db, err, path)
			      : sbx_error_set(err, ENOMEM, "job store %s", path);
		sbx_store_close(s);
		return r;
	}
	sqlite3_busy_timeout(s->db, 5000);
	char *msg = NULL;
	if (sqlite3_exec(s->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
			 NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		sbx_error_set(err, EIO, "job store %s: %s", path, msg ? msg : "cannot set up");
		sqlite3_free(msg);
		sbx_store_close(s);
		return -1;
	}
	/* A server killed mid-job left it running: run it again.  Its first
	 * run never wrote a result (that ends the job), so it gets one. */
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE jobs SET status = ?1, started_ms = 0 WHERE status = ?2", -1,
			       &st, NULL) != SQLITE_OK) {
		int r = db_error(s->db, err, "requeue");
		sbx_store_close(s);
		return r;
	}
	sqlite3_bind_int(st, 1, SBX_JOB_QUEUED);
	sqlite3_bind_int(st, 2, SBX_JOB_RUNNING);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		int r = db_error(s->db, err, "requeue");
		sbx_store_close(s);
		return r;
	}
	if (requeued)
		*requeued = (unsigned) sqlite3_changes(s->db);
	*out = s;
	return 0;
}

/* ---- rows ---- */

#define JOB_COLUMNS                                                                              \
	"seq, id, tenant, kind, status, created_ms, started_ms, finished_ms, attempts, request, " \
	"result, idempotency_key"

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *) t) : NULL;
}

static int read_row(sqlite3_stmt *st, struct sbx_store_job *j, sbx_error **err)
{
	memset(j, 0, sizeof(*j));
	j->seq = sqlite3_column_int64(st, 0);
	snprintf(j->id, sizeof(j->id), "%s", (const char *) sqlite3_column_text(st, 1));
	j->tenant = col_text(st, 2);
	j->kind = col_text(st, 3);
	j->status = (enum sbx_job_status) sqlite3_column_int(st, 4);
	j->created_ms = sqlite3_column_int64(st, 5);
	j->started_ms = sqlite3_column_int64(st, 6);
	j->finished_ms = sqlite3_column_int64(st, 7);
	j->attempts = (unsigned) sqlite3_column_int(st, 8);
	j->request = col_text(st, 9);
	j->result = col_text(st, 10);
	j->idempotency_key = col_text(st, 11);
	if (j->tenant == NULL || j->kind == NULL || j->request == NULL) {
		sbx_store_job_clear(j);
		return sbx_error_set(err, ENOMEM, "job store");
	}
	return 0;
}

/* One row by a query binding ?1 (and ?2 when b is not NULL); 1, 0 or -1. */
static int get_locked(sbx_store *s, const char *sql, const char *a, const char *b,
		      struct sbx_store_job *out, sbx_error **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_error(s->db, err, "read");
	sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st), r;
	if (rc == SQLITE_ROW)
		r = read_row(st, out, err) < 0 ? -1 : 1;
	else if (rc == SQLITE_DONE)
		r = 0;
	else
		r = db_error(s->db, err, "read");
	sqlite3_finalize(st);
	return r;
}

int sbx_store_get(sbx_store *s, const char *tenant, const char *id, struct sbx_store_job *out,
		  sbx_error **err)
{
	pthread_mutex_lock(&s->mu);
	int r = tenant ? get_locked(s, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1 AND tenant = ?2",
				    id, tenant, out, err)
		       : get_locked(s, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1", id, NULL, out,
				    err);
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* "j" and 25 base32 characters: 125 bits from the kernel. */
static int new_id(char id[SBX_JOB_ID_LEN + 1], sbx_error **err)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char r[SBX_JOB_ID_LEN - 1];
	if (getrandom(r, sizeof(r), 0) != (ssize_t) sizeof(r))
		return sbx_error_set(err, errno ? errno : EIO, "job id");
	id[0] = 'j';
	for (size_t i = 0; i < sizeof(r); i++)
		id[i + 1] = b32[r[i] & 31];
	id[SBX_JOB_ID_LEN] = '\0';
	return 0;
}

bool sbx_job_id_valid(const char *id, size_t len)
{
	if (id == NULL || len != SBX_JOB_ID_LEN || id[0] != 'j')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '2' && id[i] <= '7')))
			return false;
	return true;
}

static int exec_simple(sbx_store *s, const char *sql, sbx_error **err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(s->db, err, sql);
	return 0;
}

/* How many jobs match "WHERE <where>" with ?1 bound to text (or none),
 * -1 with *err. */
static int64_t count_where(sbx_store *s, const char *sql, const char *text, sbx_error **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_error(s->db, err, "count");
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	if (n < 0)
		return db_error(s->db, err, "count");
	return n;
}

static int submit_locked(sbx_store *s, const char *tenant, const char *kind, const char *request,
			 const char *key, size_t max_queued, size_t tenant_max,
			 struct sbx_store_job *out, bool *existed, sbx_error **err)
{
	*existed = false;
	if (key != NULL) {
		int r = get_locked(s,
				   "SELECT " JOB_COLUMNS
				   " FROM jobs WHERE tenant = ?1 AND idempotency_key = ?2",
				   tenant, key, out, err);
		if (r != 0) {
			*existed = r == 1;
			return r < 0 ? -1 : 0;
		}
	}
	/* status 0 is queued, 1 running (enum sbx_job_status) */
	if (max_queued > 0) {
		int64_t queued = count_where(s, "SELECT count(*) FROM jobs WHERE status = 0", NULL,
					     err);
		if (queued < 0)
			return -1;
		if ((size_t) queued >= max_queued)
			return 1;
	}
	if (tenant_max > 0) {
		int64_t active = count_where(
			s, "SELECT count(*) FROM jobs WHERE tenant = ?1 AND status IN (0, 1)", tenant,
			err);
		if (active < 0)
			return -1;
		if ((size_t) active >= tenant_max)
			return 2;
	}
	char id[SBX_JOB_ID_LEN + 1];
	if (new_id(id, err) < 0)
		return -1;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO jobs (id, tenant, kind, status, created_ms, request, "
			       "idempotency_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(s->db, err, "submit");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tenant, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, SBX_JOB_QUEUED);
	sqlite3_bind_int64(st, 5, now_unix_ms());
	sqlite3_bind_text(st, 6, request, -1, SQLITE_STATIC);
	if (key)
		sqlite3_bind_text(st, 7, key, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 7);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(s->db, err, "submit");
	int r = get_locked(s, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1", id, NULL, out, err);
	return r == 1 ? 0 : r < 0 ? -1 : sbx_error_set(err, EIO, "job store: the new job vanished");
}

int sbx_store_submit(sbx_store *s, const char *tenant, const char *kind, const char *request,
		     const char *idempotency_key, size_t max_queued, size_t tenant_max,
		     struct sbx_store_job *out, bool *existed, sbx_error **err)
{
	pthread_mutex_lock(&s->mu);
	int r = exec_simple(s, "BEGIN IMMEDIATE", err);
	if (r == 0) {
		r = submit_locked(s, tenant, kind, request, idempotency_key, max_queued, tenant_max,
				  out, existed, err);
		if (r == 0 && exec_simple(s, "COMMIT", err) < 0) {
			sbx_store_job_clear(out);
			r = -1;
		}
		if (r != 0)
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

static int claim_locked(sbx_store *s, struct sbx_store_job *out, sbx_error **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE jobs SET status = ?1, started_ms = ?2, attempts = attempts + 1 "
			       "WHERE seq = (SELECT seq FROM jobs WHERE status = ?3 ORDER BY seq "
			       "LIMIT 1) RETURNING " JOB_COLUMNS,
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(s->db, err, "claim");
	sqlite3_bind_int(st, 1, SBX_JOB_RUNNING);
	sqlite3_bind_int64(st, 2, now_unix_ms());
	sqlite3_bind_int(st, 3, SBX_JOB_QUEUED);
	int rc = sqlite3_step(st), r;
	if (rc == SQLITE_ROW)
		r = read_row(st, out, err) < 0 ? -1 : 1;
	else if (rc == SQLITE_DONE)
		r = 0;
	else
		r = db_error(s->db, err, "claim");
	/* RETURNING's change is made when the statement runs to its end */
	if (rc == SQLITE_ROW && sqlite3_step(st) != SQLITE_DONE && r == 1) {
		sbx_store_job_clear(out);
		r = db_error(s->db, err, "claim");
	}
	sqlite3_finalize(st);
	return r;
}

int sbx_store_claim(sbx_store *s, struct sbx_store_job *out, sbx_error **err)
{
	pthread_mutex_lock(&s->mu);
	int r = claim_locked(s, out, err);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int sbx_store_finish(sbx_store *s, const char *id, enum sbx_job_status status,
		     const char *result, sbx_error **err)
{
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = NULL;
	int r;
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE jobs SET status = ?1, finished_ms = ?2, result = ?3 "
			       "WHERE id = ?4 AND status = ?5",
			       -1, &st, NULL) != SQLITE_OK) {
		r = db_error(s->db, err, "finish");
	} else {
		sqlite3_bind_int(st, 1, (int) status);
		sqlite3_bind_int64(st, 2, now_unix_ms());
		sqlite3_bind_text(st, 3, result, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 5, SBX_JOB_RUNNING);
		r = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(s->db) > 0
						    : db_error(s->db, err, "finish");
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

int sbx_store_start(sbx_store *s, const char *id, sbx_error **err)
{
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = NULL;
	int r;
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE jobs SET started_ms = CASE WHEN status = ?1 THEN ?2 ELSE "
			       "started_ms END, status = ?3, attempts = attempts + 1 "
			       "WHERE id = ?4 AND status IN (?1, ?3)",
			       -1, &st, NULL) != SQLITE_OK) {
		r = db_error(s->db, err, "start");
	} else {
		sqlite3_bind_int(st, 1, SBX_JOB_QUEUED);
		sqlite3_bind_int64(st, 2, now_unix_ms());
		sqlite3_bind_int(st, 3, SBX_JOB_RUNNING);
		sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
		r = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(s->db) > 0
						    : db_error(s->db, err, "start");
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* Up to limit rows of a prepared SELECT of JOB_COLUMNS (bound; the store's
 * lock held), into a new array *jobs of *n; the statement is finalized. */
static int read_rows(sbx_store *s, sqlite3_stmt *st, size_t limit, const char *what,
		     struct sbx_store_job **jobs, size_t *n, sbx_error **err)
{
	*jobs = NULL;
	*n = 0;
	struct sbx_store_job *v = calloc(limit ? limit : 1, sizeof(*v));
	int r = v ? 0 : sbx_error_set(err, ENOMEM, "job list");
	int rc = SQLITE_DONE;
	while (r == 0 && *n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if (read_row(st, &v[*n], err) < 0)
			r = -1;
		else
			(*n)++;
	if (r == 0 && *n < limit && rc != SQLITE_DONE)
		r = db_error(s->db, err, what);
	sqlite3_finalize(st);
	if (r < 0) {
		for (size_t i = 0; v && i < *n; i++)
			sbx_store_job_clear(&v[i]);
		free(v);
		*n = 0;
		return -1;
	}
	*jobs = v;
	return 0;
}

int sbx_store_unfinished(sbx_store *s, int64_t after_seq, size_t limit,
			 struct sbx_store_job **jobs, size_t *n, sbx_error **err)
{
	*jobs = NULL;
	*n = 0;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = NULL;
	int r;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT " JOB_COLUMNS " FROM jobs WHERE status IN (?1, ?2) AND "
			       "seq > ?3 ORDER BY seq LIMIT ?4",
			       -1, &st, NULL) != SQLITE_OK) {
		r = db_error(s->db, err, "unfinished");
	} else {
		sqlite3_bind_int(st, 1, SBX_JOB_QUEUED);
		sqlite3_bind_int(st, 2, SBX_JOB_RUNNING);
		sqlite3_bind_int64(st, 3, after_seq);
		sqlite3_bind_int64(st, 4, (sqlite3_int64) limit);
		r = read_rows(s, st, limit, "unfinished", jobs, n, err);
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

int sbx_store_cancel(sbx_store *s, const char *tenant, const char *id, enum sbx_job_status *was,
		     sbx_error **err)
{
	pthread_mutex_lock(&s->mu);
	struct sbx_store_job j;
	int r = get_locked(s, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1 AND tenant = ?2", id,
			   tenant, &j, err);
	if (r == 1) {
		*was = j.status;
		sbx_store_job_clear(&j);
		if (*was != SBX_JOB_QUEUED && *was != SBX_JOB_RUNNING) {
			r = 2;
		} else {
			sqlite3_stmt *st = NULL;
			if (sqlite3_prepare_v2(s->db,
					       "UPDATE jobs SET status = ?1, finished_ms = ?2 WHERE id = ?3",
					       -1, &st, NULL) != SQLITE_OK) {
				r = db_error(s->db, err, "cancel");
			} else {
				sqlite3_bind_int(st, 1, SBX_JOB_CANCELLED);
				sqlite3_bind_int64(st, 2, now_unix_ms());
				sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
				if (sqlite3_step(st) != SQLITE_DONE)
					r = db_error(s->db, err, "cancel");
				sqlite3_finalize(st);
			}
		}
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

int sbx_store_list(sbx_store *s, const char *tenant, int status, int64_t before_seq, size_t limit,
		   struct sbx_store_job **jobs, size_t *n, sbx_error **err)
{
	*jobs = NULL;
	*n = 0;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = NULL;
	int r;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT " JOB_COLUMNS " FROM jobs WHERE tenant = ?1 AND (?2 < 0 OR "
			       "status = ?2) AND (?3 <= 0 OR seq < ?3) ORDER BY seq DESC LIMIT ?4",
			       -1, &st, NULL) != SQLITE_OK) {
		r = db_error(s->db, err, "list");
	} else {
		sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, status);
		sqlite3_bind_int64(st, 3, before_seq);
		sqlite3_bind_int64(st, 4, (sqlite3_int64) limit);
		r = read_rows(s, st, limit, "list", jobs, n, err);
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

int sbx_store_counts(sbx_store *s, size_t counts[SBX_JOB_STATUS_COUNT], sbx_error **err)
{
	memset(counts, 0, sizeof(size_t) * SBX_JOB_STATUS_COUNT);
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = NULL;
	int r = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT status, count(*) FROM jobs GROUP BY status", -1, &st,
			       NULL) != SQLITE_OK) {
		r = db_error(s->db, err, "count");
	} else {
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int k = sqlite3_column_int(st, 0);
			if (k >= 0 && k < SBX_JOB_STATUS_COUNT)
				counts[k] = (size_t) sqlite3_column_int64(st, 1);
		}
		if (rc != SQLITE_DONE)
			r = db_error(s->db, err, "count");
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

int sbx_store_requeue(sbx_store *s, const char *id, sbx_error **err)
{
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = NULL;
	int r;
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE jobs SET status = ?1, started_ms = 0 WHERE id = ?2 AND "
			       "status = ?3",
			       -1, &st, NULL) != SQLITE_OK) {
		r = db_error(s->db, err, "requeue");
	} else {
		sqlite3_bind_int(st, 1, SBX_JOB_QUEUED);
		sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, SBX_JOB_RUNNING);
		r = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(s->db) > 0
						    : db_error(s->db, err, "requeue");
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

int sbx_store_expire(sbx_store *s, int64_t before_ms, char ***ids, size_t *n, sbx_error **err)
{
	*ids = NULL;
	*n = 0;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = NULL;
	int r = 0;
	size_t cap = 0;
	/* ended jobs only (done 2, failed 3, cancelled 4): queued and running
	 * ones are never lost to retention */
	if (sqlite3_prepare_v2(s->db,
			       "DELETE FROM jobs WHERE status IN (2, 3, 4) AND finished_ms > 0 AND "
			       "finished_ms < ?1 RETURNING id",
			       -1, &st, NULL) != SQLITE_OK) {
		r = db_error(s->db, err, "expire");
	} else {
		sqlite3_bind_int64(st, 1, before_ms);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 16;
				char **v = realloc(*ids, cap * sizeof(char *));
				if (v == NULL)
					break;
				*ids = v;
			}
			char *id = strdup((const char *) sqlite3_column_text(st, 0));
			if (id != NULL)
				(*ids)[(*n)++] = id;
		}
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			r = db_error(s->db, err, "expire");
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->mu);
	return r < 0 ? -1 : 0;
}
