/*
 * api: the EC2 Query API over HTTP.
 *
 * Request path: HTTP (libmicrohttpd) -> SigV4 -> parameter decoding (the
 * generated shapes) -> handler -> XML.  Describe calls run on the HTTP
 * threads under a shared model lock.  Mutating calls are queued to one
 * writer thread, which runs them under the exclusive lock and commits
 * every call it has taken in one store transaction (group commit); each
 * caller is answered only after that commit has reached the disk.
 *
 * Ownership: the server borrows the model and the store for its whole
 * life; api_server_stop() returns when no thread touches them any more.
 */
#ifndef VPCD_API_H
#define VPCD_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct core_model;
struct store;

struct api_options {
	const char *listen_host;   /* numeric IPv4 or IPv6 address */
	uint16_t listen_port;      /* 0: any free port */
	unsigned threads;          /* HTTP worker threads */
	size_t max_body;           /* bytes; larger requests get 413 */
	size_t max_header;         /* bytes of request line and headers */
	unsigned idle_timeout_s;   /* a stalled client is dropped after this */
	unsigned max_connections;
	/* The daemon's data directory, or NULL: GetConsoleOutput reads
	 * <data_dir>/console/<instance-id>.log, which the data plane writes. */
	const char *data_dir;
	/* Called on the writer thread after every successful commit (the
	 * data plane's reconciler is woken this way); may be NULL. */
	void (*on_commit)(void *arg);
	void *on_commit_arg;
	/* GET <metrics_path> answers the Prometheus text format without a
	 * signature: the API's request metrics, then what 'metrics' adds
	 * (may be NULL).  NULL path: no metrics endpoint. */
	const char *metrics_path;
	void (*metrics)(void *arg, struct buf *out);
	void *metrics_arg;
};
void api_options_defaults(struct api_options *opt);

struct api_server;

/*
 * Starts listening and serving.  Returns 0 and the server, or -errno with
 * a message logged.  The port actually bound is api_server_port().
 */
int api_server_start(const struct api_options *opt, struct core_model *model,
    struct store *store, struct api_server **out);
uint16_t api_server_port(const struct api_server *srv);
/* Stops accepting, finishes queued work, joins all threads. */
void api_server_stop(struct api_server *srv);

/*
 * Runs 'fn' on the writer thread with the model locked exclusively, in
 * its own store transaction, and waits for the commit.  Returns fn's
 * result, or -EIO if the commit failed (the change is then undone).  For
 * the control socket (accounts) and other in-process writers.
 */
int api_server_exec(struct api_server *srv,
    int (*fn)(struct core_model *m, void *arg), void *arg);

/* Reads under the shared lock: runs 'fn' and returns its result. */
int api_server_read(struct api_server *srv,
    int (*fn)(const struct core_model *m, void *arg), void *arg);

#endif
