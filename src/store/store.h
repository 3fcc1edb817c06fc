/*
 * store: durable persistence of the model in SQLite.
 *
 * Contract:
 *  - The database is opened in WAL mode with synchronous=FULL: once
 *    store_commit() returns 0 the transaction survives a crash or power
 *    loss.
 *  - Each resource is one row (id, type, owner, seq, JSON document); child
 *    objects (routes, rules, entries, associations, tags) are saved inside
 *    their parent's document.
 *  - The schema is versioned with PRAGMA user_version; store_open()
 *    migrates older databases forward and refuses newer ones.
 *  - A store is used by one thread at a time (the daemon's writer).
 *  - The caller groups any number of mutating API calls in one
 *    transaction: store_begin(), store_save() after each call,
 *    store_commit() once.  If the commit fails the caller rolls back and
 *    reloads the model, so memory never runs ahead of the disk.
 */
#ifndef VPCD_STORE_H
#define VPCD_STORE_H

#include "core/core.h"

struct store;

/* Opens (creating if needed) the database at 'path'.  0 or -errno, with a
 * message logged. */
int store_open(const char *path, struct store **out);
void store_free(struct store *s);
/* Moves WAL checkpoints off the committing thread: a second connection
 * to 'path' checkpoints (PASSIVE) once a second.  Stopped by store_free. */
int store_start_checkpointer(struct store *s, const char *path);
/* Loads every saved resource into the empty model 'm'. */
int store_load(struct store *s, struct core_model *m);
int store_begin(struct store *s);
/* Writes the model's change list (dirty and removed resources) into the
 * open transaction and clears the list. */
int store_save(struct store *s, struct core_model *m);
int store_commit(struct store *s);
void store_rollback(struct store *s);
/* Runs SQLite's integrity check; 0 if the database is intact. */
int store_check(struct store *s);

/*
 * Idempotency records for ClientToken: the digest of the first request's
 * parameters and the answer it got, scoped by account and action.
 * store_token_get returns 0 with the digest copied and '*result' a heap
 * string the caller frees, or -ENOENT.
 */
int store_token_get(struct store *s, const char *account, const char *action,
    const char *token, char *digest, size_t digest_size, char **result);
int store_token_put(struct store *s, const char *account, const char *action,
    const char *token, const char *digest, const char *result);

/* The model's JSON form (store_codec.c); exported for tests and tools. */
char *store_encode(const struct core_res *r);
/* Returns a new resource, or NULL (and errno EINVAL) on a bad document. */
struct core_res *store_decode(enum core_type type, const char *id,
    const char *owner, uint64_t seq, const char *json);

#endif
