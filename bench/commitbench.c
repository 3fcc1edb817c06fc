/*
 * commitbench: the raw cost of a durable SQLite commit on this disk, the
 * baseline bench/run.sh divides vpcd's mutating calls/s by.
 *
 * Commits one-row transactions (INSERT OR REPLACE of a ~300-byte document,
 * about what one vpcd resource is) with vpcd's settings, journal_mode=WAL
 * and synchronous=FULL, for a fixed time, and prints commits/s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
check(int rc, sqlite3 *db, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "commitbench: %s: %s\n", what, sqlite3_errmsg(db));
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *begin, *put, *commit;
	double seconds = argc > 2 ? atof(argv[2]) : 3, t0, t;
	long n = 0;
	char doc[320];

	if (argc < 2) {
		fprintf(stderr, "usage: commitbench DB-PATH [SECONDS]\n");
		return 2;
	}
	memset(doc, 'x', sizeof(doc) - 1);
	doc[sizeof(doc) - 1] = '\0';
	check(sqlite3_open(argv[1], &db), db, "open");
	check(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY, doc TEXT) WITHOUT ROWID",
	    NULL, NULL, NULL), db, "setup");
	check(sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL), db, "prepare");
	check(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO t VALUES (?1, ?2)", -1, &put, NULL),
	    db, "prepare");
	check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL), db, "prepare");
	t0 = now_s();
	do {
		char id[32];

		snprintf(id, sizeof(id), "vpc-%017ld", n);
		check(sqlite3_step(begin), db, "begin");
		sqlite3_reset(begin);
		sqlite3_bind_text(put, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(put, 2, doc, -1, SQLITE_STATIC);
		check(sqlite3_step(put), db, "insert");
		sqlite3_reset(put);
		check(sqlite3_step(commit), db, "commit");
		sqlite3_reset(commit);
		n++;
	} while ((t = now_s() - t0) < seconds);
	printf("commits=%ld seconds=%.3f commits_per_s=%.0f\n", n, t, n / t);
	sqlite3_finalize(begin);
	sqlite3_finalize(put);
	sqlite3_finalize(commit);
	sqlite3_close(db);
	return 0;
}
