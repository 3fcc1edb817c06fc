/* SQLite persistence: one row per resource, grouped commits. */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define STORE_SCHEMA_VERSION 1

struct store {
	sqlite3 *db;
	sqlite3_stmt *put, *del, *begin, *commit, *rollback, *token_get, *token_put;
	/* WAL checkpoints run on their own connection and thread, so that
	 * the writer's commits never pay for them. */
	sqlite3 *ckpt_db;
	pthread_t ckpt_thread;
	pthread_mutex_t ckpt_lock;
	pthread_cond_t ckpt_cond;
	bool ckpt_running, ckpt_stop;
};

/* Schema migrations: entry i brings version i to i + 1. */
/*
 * Schema migrations: entry i brings version i to i + 1.  Rows are keyed by
 * the resource's creation sequence number, so new rows append to the end
 * of the table instead of landing at random places as ids would.
 */
static const char *const migrations[] = {
	"CREATE TABLE resources ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL,"
	"  type INTEGER NOT NULL,"
	"  owner TEXT NOT NULL,"
	"  doc TEXT NOT NULL);"
	"CREATE TABLE client_tokens ("
	"  account TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  token TEXT NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  result TEXT NOT NULL,"
	"  PRIMARY KEY (account, action, token)) WITHOUT ROWID;",
};

static int
db_fail(struct store *s, const char *what)
{
	log_warnx("store: %s: %s", what, sqlite3_errmsg(s->db));
	return -EIO;
}

static int
exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, msg ? msg : "error");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static int
migrate(struct store *s)
{
	sqlite3_stmt *st;
	int version;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, "user_version");
	version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (version < 0 || version > STORE_SCHEMA_VERSION) {
		log_warnx("store: database schema version %d is newer than this vpcd (%d)",
		    version, STORE_SCHEMA_VERSION);
		return -EPROTO;
	}
	for (; version < STORE_SCHEMA_VERSION; version++) {
		char pragma[64];

		if (exec(s, "BEGIN IMMEDIATE") || exec(s, migrations[version]))
			return -EIO;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
		if (exec(s, pragma) || exec(s, "COMMIT"))
			return -EIO;
	}
	return 0;
}

static int
prepare(struct store *s, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return db_fail(s, sql);
	return 0;
}

int
store_open(const char *path, struct store **out)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int r;

	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		r = db_fail(s, path);
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if ((r = exec(s, "PRAGMA journal_mode=WAL")) ||
	    (r = exec(s, "PRAGMA synchronous=FULL")) ||
	    (r = exec(s, "PRAGMA foreign_keys=ON")) ||
	    (r = exec(s, "PRAGMA cache_size=-65536")) ||
	    (r = migrate(s)))
		goto fail;
	if ((r = prepare(s, &s->put, "INSERT OR REPLACE INTO resources "
	    "(id, type, owner, seq, doc) VALUES (?1, ?2, ?3, ?4, ?5)")) ||
	    (r = prepare(s, &s->del, "DELETE FROM resources WHERE seq = ?1")) ||
	    (r = prepare(s, &s->begin, "BEGIN IMMEDIATE")) ||
	    (r = prepare(s, &s->commit, "COMMIT")) ||
	    (r = prepare(s, &s->rollback, "ROLLBACK")) ||
	    (r = prepare(s, &s->token_get, "SELECT digest, result FROM client_tokens "
	    "WHERE account = ?1 AND action = ?2 AND token = ?3")) ||
	    (r = prepare(s, &s->token_put, "INSERT OR REPLACE INTO client_tokens "
	    "(account, action, token, digest, result) VALUES (?1, ?2, ?3, ?4, ?5)")))
		goto fail;
	*out = s;
	return 0;
fail:
	store_free(s);
	return r;
}

#define CKPT_INTERVAL_MS 1000

static void *
ckpt_main(void *arg)
{
	struct store *s = arg;

	pthread_mutex_lock(&s->ckpt_lock);
	while (!s->ckpt_stop) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += CKPT_INTERVAL_MS / 1000;
		pthread_cond_timedwait(&s->ckpt_cond, &s->ckpt_lock, &ts);
		if (s->ckpt_stop)
			break;
		pthread_mutex_unlock(&s->ckpt_lock);
		/* PASSIVE never blocks the writer; it copies what it can. */
		if (sqlite3_wal_checkpoint_v2(s->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL) != SQLITE_OK)
			log_warnx("store: checkpoint: %s", sqlite3_errmsg(s->ckpt_db));
		pthread_mutex_lock(&s->ckpt_lock);
	}
	pthread_mutex_unlock(&s->ckpt_lock);
	return NULL;
}

int
store_start_checkpointer(struct store *s, const char *path)
{
	if (sqlite3_open_v2(path, &s->ckpt_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", path, sqlite3_errmsg(s->ckpt_db));
		return -EIO;
	}
	sqlite3_busy_timeout(s->ckpt_db, 1000);
	/* The writer's connection stops checkpointing inside COMMIT. */
	sqlite3_wal_autocheckpoint(s->db, 0);
	pthread_mutex_init(&s->ckpt_lock, NULL);
	pthread_cond_init(&s->ckpt_cond, NULL);
	if (pthread_create(&s->ckpt_thread, NULL, ckpt_main, s))
		fatal("pthread_create");
	s->ckpt_running = true;
	return 0;
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	if (s->ckpt_running) {
		pthread_mutex_lock(&s->ckpt_lock);
		s->ckpt_stop = true;
		pthread_cond_signal(&s->ckpt_cond);
		pthread_mutex_unlock(&s->ckpt_lock);
		pthread_join(s->ckpt_thread, NULL);
		pthread_mutex_destroy(&s->ckpt_lock);
		pthread_cond_destroy(&s->ckpt_cond);
	}
	sqlite3_close(s->ckpt_db);
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->del);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->rollback);
	sqlite3_finalize(s->token_get);
	sqlite3_finalize(s->token_put);
	sqlite3_close(s->db);
	free(s);
}

int
store_load(struct store *s, struct core_model *m)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	/* Creation order: parents come before what lives in them. */
	if (sqlite3_prepare_v2(s->db, "SELECT id, type, owner, seq, doc FROM resources "
	    "ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, "load");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		int type = sqlite3_column_int(st, 1);
		struct core_res *res;

		if (type < 0 || type >= CORE_N_TYPES) {
			log_warnx("store: %s: unknown resource type %d", id, type);
			r = -EINVAL;
			break;
		}
		res = store_decode(type, id, (const char *)sqlite3_column_text(st, 2),
		    (uint64_t)sqlite3_column_int64(st, 3),
		    (const char *)sqlite3_column_text(st, 4));
		if (res == NULL) {
			log_warnx("store: %s: cannot decode its saved document", id);
			r = -EINVAL;
			break;
		}
		core_res_adopt(m, res);
	}
	if (rc != SQLITE_DONE && r == 0)
		r = db_fail(s, "load");
	sqlite3_finalize(st);
	return r;
}

static int
step_once(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(s, what);
	return 0;
}

int
store_begin(struct store *s)
{
	return step_once(s, s->begin, "begin");
}

int
store_save(struct store *s, struct core_model *m)
{
	int r = 0;

	for (size_t i = 0; i < m->n_removed && r == 0; i++) {
		sqlite3_bind_int64(s->del, 1, (sqlite3_int64)m->removed[i]);
		r = step_once(s, s->del, "delete");
	}
	for (struct core_res *res = m->dirty; res && r == 0; res = res->dirty_next) {
		char *doc = store_encode(res);

		sqlite3_bind_text(s->put, 1, res->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(s->put, 2, res->type);
		sqlite3_bind_text(s->put, 3, res->owner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s->put, 4, (sqlite3_int64)res->seq);
		sqlite3_bind_text(s->put, 5, doc, -1, SQLITE_STATIC);
		r = step_once(s, s->put, "save");
		if (res->type == CORE_ACCOUNT)
			explicit_zero(doc, strlen(doc));
		free(doc);
	}
	core_changes_clear(m);
	return r;
}

int
store_commit(struct store *s)
{
	return step_once(s, s->commit, "commit");
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		step_once(s, s->rollback, "rollback");
}

int
store_check(struct store *s)
{
	sqlite3_stmt *st;
	int ok;

	if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, "integrity_check");
	ok = sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	return ok ? 0 : -EIO;
}

int
store_token_get(struct store *s, const char *account, const char *action, const char *token,
    char *digest, size_t digest_size, char **result)
{
	int rc;

	sqlite3_bind_text(s->token_get, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->token_get, 2, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->token_get, 3, token, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->token_get);
	if (rc == SQLITE_ROW) {
		str_copy(digest, (const char *)sqlite3_column_text(s->token_get, 0), digest_size);
		*result = xstrdup((const char *)sqlite3_column_text(s->token_get, 1));
	}
	sqlite3_reset(s->token_get);
	sqlite3_clear_bindings(s->token_get);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : db_fail(s, "token lookup");
}

int
store_token_put(struct store *s, const char *account, const char *action, const char *token,
    const char *digest, const char *result)
{
	sqlite3_bind_text(s->token_put, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->token_put, 2, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->token_put, 3, token, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->token_put, 4, digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->token_put, 5, result, -1, SQLITE_STATIC);
	return step_once(s, s->token_put, "token save");
}
