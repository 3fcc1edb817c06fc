/*
 * The HTTP front end and the writer thread.
 *
 * HTTP threads (libmicrohttpd's pool) parse, authenticate and decode each
 * request.  A Describe call then runs right there under the shared model
 * lock.  A mutating call becomes a job on the writer's queue and its
 * connection is suspended; the writer takes every queued job, runs them
 * one after another under the exclusive lock inside one store
 * transaction, commits once (group commit: one fsync for the batch) and
 * only then resumes the connections with their answers.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "api_int.h"
#include "api_metrics.h"
#include "api_sigv4.h"
#include "store/store.h"

#define XML_NS "http://ec2.amazonaws.com/doc/2016-11-15/"
#define BATCH_MAX 512

struct api_job;
typedef int (*job_run_fn)(struct api_job *job);
typedef void (*job_done_fn)(struct api_job *job);

struct api_job {
	struct api_job *next;
	job_run_fn run;     /* on the writer, model locked, transaction open */
	job_done_fn done;   /* after the commit; 'failed' says if it was lost */
	bool failed;
};

struct api_server {
	struct api_options opt;
	struct MHD_Daemon *mhd;
	struct core_model *model;
	struct store *store;
	pthread_rwlock_t lock;
	uint16_t port;
	/* The writer's queue. */
	pthread_t writer;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct api_job *qhead, *qtail;
	bool stopping;
	struct api_metrics *metrics;
};

/* One HTTP request, from its first byte until MHD has sent the answer. */
struct api_req {
	struct api_server *srv;
	struct MHD_Connection *con;
	char *target;            /* raw request-target */
	struct buf body;
	bool is_too_large;
	struct arena arena;
	struct api_error err;
	char request_id[40];
	int64_t start_ns;
	/* A mutating call waiting for the writer. */
	struct api_job job;
	const struct ec2_op *op;
	const struct api_handler *handler;
	const struct api_param *params;
	size_t n_params;
	void *in, *out;
	const char *owner;
	bool is_queued;
	bool is_answered;
	/* The answer. */
	int status;
	struct buf resp;
};

void
api_options_defaults(struct api_options *opt)
{
	opt->listen_host = "127.0.0.1";
	opt->listen_port = 4510;
	opt->threads = 2;
	opt->max_body = 1 << 20;
	opt->max_header = 64 << 10;
	opt->idle_timeout_s = 60;
	opt->max_connections = 4096;
	opt->metrics_path = "/metrics";
}

static void
request_id(char out[40])
{
	unsigned char r[16];

	random_bytes(r, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
	    r[13], r[14], r[15]);
}

/* The EC2 error document (note RequestID with a capital D). */
static void
render_error(struct api_req *req, const struct api_error *err)
{
	buf_reset(&req->resp);
	buf_puts(&req->resp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Response><Errors><Error><Code>");
	api_xml_escape(&req->resp, err->code);
	buf_puts(&req->resp, "</Code><Message>");
	api_xml_escape(&req->resp, err->message);
	buf_puts(&req->resp, "</Message></Error></Errors><RequestID>");
	buf_puts(&req->resp, req->request_id);
	buf_puts(&req->resp, "</RequestID></Response>");
	req->status = err->status ? err->status : api_error_status(err->code);
}

/* Wraps the result members 'body' in the response element. */
static void
render_members(struct api_req *req, const char *body)
{
	const char *name = req->op->name;

	buf_reset(&req->resp);
	buf_printf(&req->resp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<%sResponse xmlns=\"" XML_NS "\"><requestId>%s</requestId>%s</%sResponse>",
	    name, req->request_id, body, name);
	req->status = 200;
}

/* Returns the result members as XML (heap string). */
static char *
encode_members(struct api_req *req)
{
	struct buf b;

	buf_init(&b);
	if (req->op->output)
		api_encode(&b, req->op->output, req->out);
	else
		buf_puts(&b, "<return>true</return>");
	return buf_steal(&b);
}

static void
render_result(struct api_req *req)
{
	char *body = encode_members(req);

	render_members(req, body);
	free(body);
}

static void
fail_req(struct api_req *req, const char *code, const char *fmt, ...) PRINTF(3, 4);

static void
fail_req(struct api_req *req, const char *code, const char *fmt, ...)
{
	va_list ap;

	req->err.code = code;
	req->err.status = api_error_status(code);
	va_start(ap, fmt);
	vsnprintf(req->err.message, sizeof(req->err.message), fmt, ap);
	va_end(ap);
	render_error(req, &req->err);
}

/* Runs the handler with the model locked; renders the answer. */
static int
run_handler(struct api_req *req)
{
	struct api_ctx ctx = {
		.model = req->srv->model,
		.store = req->srv->store,
		.opt = &req->srv->opt,
		.owner = req->owner,
		.action = req->op->name,
		.arena = &req->arena,
		.err = &req->err,
	};
	int r = req->handler->fn(&ctx, req->in, req->out);

	if (r == 0)
		render_result(req);
	else
		render_error(req, &req->err);
	return r;
}

/* The string member 'name' of a decoded struct, or NULL. */
static const char **
member_str(const struct ec2_shape *shape, void *value, const char *name)
{
	for (size_t i = 0; shape && i < shape->n_members; i++)
		if (shape->members[i].type == EC2_STRING &&
		    strcmp(shape->members[i].name, name) == 0)
			return (const char **)((char *)value + shape->members[i].offset);
	return NULL;
}

static bool
is_dry_run(const struct api_req *req)
{
	for (size_t i = 0; i < req->n_params; i++)
		if (strcmp(req->params[i].name, "DryRun") == 0)
			return strcasecmp(req->params[i].value, "true") == 0;
	return false;
}

/* SHA-256 over the request's parameters, ClientToken excepted: what makes
 * two calls with one token "the same call". */
static void
params_digest(const struct api_req *req, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c == NULL || !EVP_DigestInit_ex(c, EVP_sha256(), NULL))
		fatalx("sha256 unavailable");
	for (size_t i = 0; i < req->n_params; i++) {
		const struct api_param *p = &req->params[i];

		if (strcmp(p->name, "ClientToken") == 0 || str_has_prefix(p->name, "X-Amz-"))
			continue;
		EVP_DigestUpdate(c, p->name, strlen(p->name) + 1);
		EVP_DigestUpdate(c, p->value, strlen(p->value) + 1);
	}
	EVP_DigestFinal_ex(c, md, &len);
	EVP_MD_CTX_free(c);
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/*
 * ClientToken idempotency: a repeated call with the same token and the
 * same parameters gets the first call's answer and changes nothing; with
 * other parameters it gets IdempotentParameterMismatch.  Returns 1 when the
 * request was answered from the record, 0 to run it, -1 on error.
 */
static int
replay_token(struct api_req *req, const char *token, char digest[65])
{
	char stored[65];
	char *answer = NULL;
	int r;

	if (strlen(token) > 64) {
		fail_req(req, "InvalidParameterValue",
		    "Value (%s) for parameter clientToken is invalid. The token must be at "
		    "most 64 characters", token);
		return -1;
	}
	params_digest(req, digest);
	r = store_token_get(req->srv->store, req->owner, req->op->name, token, stored,
	    sizeof(stored), &answer);
	if (r == -ENOENT)
		return 0;
	if (r) {
		fail_req(req, "InternalError", "An internal error has occurred");
		return -1;
	}
	if (strcmp(stored, digest) != 0)
		fail_req(req, "IdempotentParameterMismatch",
		    "The client token '%s' was already used with different parameters", token);
	else
		render_members(req, answer);
	free(answer);
	return strcmp(stored, digest) == 0 ? 1 : -1;
}

/* Writer side of an HTTP job. */
static int
job_run_http(struct api_job *job)
{
	struct api_req *req = (struct api_req *)((char *)job - offsetof(struct api_req, job));
	const char **token = member_str(req->op->input, req->in, "ClientToken");
	const char **echo = member_str(req->op->output, req->out, "ClientToken");
	bool use_token = token && *token && **token && !is_dry_run(req);
	char digest[65];
	char *body;
	int r;

	if (use_token && (r = replay_token(req, *token, digest)) != 0)
		return r > 0 ? 0 : -1;
	if (echo && token)
		*echo = *token;
	r = run_handler(req);
	/* Only the writer may touch the model's DryRun flag. */
	req->srv->model->is_dry_run = false;
	if (r == 0 && use_token) {
		body = encode_members(req);
		if (store_token_put(req->srv->store, req->owner, req->op->name, *token, digest,
		    body))
			log_warnx("%s: cannot record client token %s", req->op->name, *token);
		free(body);
	}
	return r;
}

static void
job_done_http(struct api_job *job)
{
	struct api_req *req = (struct api_req *)((char *)job - offsetof(struct api_req, job));

	if (job->failed)
		fail_req(req, "InternalError",
		    "An internal error has occurred: the change could not be saved");
	req->is_answered = true;
	MHD_resume_connection(req->con);
}

/* Queues a job for the writer; once the server is stopping, a new job is
 * refused at once (its done() sees 'failed'). */
static void
submit(struct api_server *srv, struct api_job *job)
{
	pthread_mutex_lock(&srv->qlock);
	if (srv->stopping) {
		pthread_mutex_unlock(&srv->qlock);
		job->failed = true;
		job->done(job);
		return;
	}
	job->next = NULL;
	if (srv->qtail)
		srv->qtail->next = job;
	else
		srv->qhead = job;
	srv->qtail = job;
	pthread_cond_signal(&srv->qcond);
	pthread_mutex_unlock(&srv->qlock);
}

/* Replaces the model by what the store holds (after a failed commit). */
static void
reload_model(struct api_server *srv)
{
	const struct core_config *cfg = srv->model->cfg;
	bool is_dataplane_none = srv->model->is_dataplane_none;

	core_model_fini(srv->model);
	core_model_init(srv->model, cfg);
	srv->model->is_dataplane_none = is_dataplane_none;
	if (store_load(srv->store, srv->model))
		fatalx("store: cannot reload the model after a failed commit");
}

static void *
writer_main(void *arg)
{
	struct api_server *srv = arg;

	for (;;) {
		struct api_job *batch, *job;
		bool failed;

		pthread_mutex_lock(&srv->qlock);
		while (srv->qhead == NULL && !srv->stopping)
			pthread_cond_wait(&srv->qcond, &srv->qlock);
		batch = srv->qhead;
		srv->qhead = srv->qtail = NULL;
		pthread_mutex_unlock(&srv->qlock);
		if (batch == NULL)
			break;

		pthread_rwlock_wrlock(&srv->lock);
		failed = store_begin(srv->store) != 0;
		for (job = batch; job; job = job->next) {
			job->run(job);
			if (!failed && store_save(srv->store, srv->model))
				failed = true;
		}
		core_changes_clear(srv->model);
		pthread_rwlock_unlock(&srv->lock);
		/* Readers may see the batch before the fsync completes; a crash
		 * now loses it, but no caller was told it succeeded. */
		if (!failed && store_commit(srv->store))
			failed = true;
		if (failed) {
			log_warnx("store: commit failed; undoing the batch");
			store_rollback(srv->store);
			pthread_rwlock_wrlock(&srv->lock);
			reload_model(srv);
			pthread_rwlock_unlock(&srv->lock);
		}
		if (!failed && srv->opt.on_commit)
			srv->opt.on_commit(srv->opt.on_commit_arg);
		while ((job = batch) != NULL) {
			batch = job->next;
			job->failed = failed;
			job->done(job);
		}
	}
	return NULL;
}

/* Synchronous jobs for api_server_exec(). */
struct sync_job {
	struct api_job job;
	struct api_server *srv;
	int (*fn)(struct core_model *m, void *arg);
	void *arg;
	int result;
	bool is_done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static int
sync_run(struct api_job *job)
{
	struct sync_job *s = (struct sync_job *)job;

	s->result = s->fn(s->srv->model, s->arg);
	return s->result;
}

static void
sync_done(struct api_job *job)
{
	struct sync_job *s = (struct sync_job *)job;

	pthread_mutex_lock(&s->lock);
	if (job->failed)
		s->result = -EIO;
	s->is_done = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

int
api_server_exec(struct api_server *srv, int (*fn)(struct core_model *m, void *arg), void *arg)
{
	struct sync_job s = { .job = { .run = sync_run, .done = sync_done }, .srv = srv,
		.fn = fn, .arg = arg };

	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	submit(srv, &s.job);
	pthread_mutex_lock(&s.lock);
	while (!s.is_done)
		pthread_cond_wait(&s.cond, &s.lock);
	pthread_mutex_unlock(&s.lock);
	pthread_mutex_destroy(&s.lock);
	pthread_cond_destroy(&s.cond);
	return s.result;
}

int
api_server_read(struct api_server *srv, int (*fn)(const struct core_model *m, void *arg),
    void *arg)
{
	int r;

	pthread_rwlock_rdlock(&srv->lock);
	r = fn(srv->model, arg);
	pthread_rwlock_unlock(&srv->lock);
	return r;
}

/* Percent-decoding of form and query parameters ('+' is a space). */
static char *
form_decode(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };

			*o++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static void
parse_form(struct arena *a, const char *s, size_t len, struct api_param **params, size_t *n,
    size_t *cap)
{
	const char *end = s + len;

	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(stop - s));

		if (stop > s) {
			if (*n == *cap) {
				struct api_param *p;

				*cap = *cap ? *cap * 2 : 32;
				p = arena_array(a, *cap, sizeof(*p));
				if (*n)
					memcpy(p, *params, *n * sizeof(*p));
				*params = p;
			}
			(*params)[*n].name = form_decode(a, s, (size_t)((eq ? eq : stop) - s));
			(*params)[*n].value = eq ? form_decode(a, eq + 1, (size_t)(stop - eq - 1)) :
			    "";
			(*n)++;
		}
		s = stop + 1;
	}
}

static int
param_cmp(const void *a, const void *b)
{
	const struct api_param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	/* Keep the order of repeated names stable. */
	return c ? c : (x < y ? -1 : x > y);
}

struct header_list {
	struct arena *arena;
	struct sigv4_header *h;
	size_t n, cap;
};

static enum MHD_Result
collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct header_list *l = cls;

	if (l->n == l->cap) {
		struct sigv4_header *h;

		l->cap = l->cap ? l->cap * 2 : 16;
		h = arena_array(l->arena, l->cap, sizeof(*h));
		if (l->n)
			memcpy(h, l->h, l->n * sizeof(*h));
		l->h = h;
	}
	l->h[l->n].name = key;
	l->h[l->n].value = value ? value : "";
	l->n++;
	return MHD_YES;
}

struct key_lookup {
	struct api_server *srv;
	char owner[CORE_ACCOUNT_MAX];
};

static int
lookup_secret(void *arg, const char *access_key_id, char *secret, size_t size)
{
	struct key_lookup *kl = arg;
	struct core_account *a;
	int r = -ENOENT;

	pthread_rwlock_rdlock(&kl->srv->lock);
	a = core_account_by_key(kl->srv->model, access_key_id);
	if (a)
		for (size_t i = 0; i < a->n_keys; i++)
			if (strcmp(a->keys[i].access_key_id, access_key_id) == 0) {
				str_copy(secret, a->keys[i].secret, size);
				STR_COPY(kl->owner, a->res.id);
				r = 0;
			}
	pthread_rwlock_unlock(&kl->srv->lock);
	return r;
}

static bool
is_read_only(const char *action)
{
	return str_has_prefix(action, "Describe") || str_has_prefix(action, "Get");
}

/* Everything between the last body byte and the handler. */
static void
process(struct api_req *req, const char *method)
{
	struct api_server *srv = req->srv;
	struct header_list hl = { .arena = &req->arena };
	struct api_param *params = NULL;
	size_t n_params = 0, cap = 0;
	const char *query = strchr(req->target, '?');
	const char *action = NULL;
	struct sigv4_request sreq;
	struct sigv4_identity id;
	struct sigv4_error serr;
	struct key_lookup kl = { .srv = srv };

	if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) {
		fail_req(req, "InvalidHttpRequest", "The HTTP method %s is not supported", method);
		req->status = 405;
		return;
	}
	MHD_get_connection_values(req->con, MHD_HEADER_KIND, collect_header, &hl);
	sreq = (struct sigv4_request){ .method = method, .target = req->target,
		.headers = hl.h, .n_headers = hl.n, .body = req->body.data,
		.body_len = req->body.len };
	if (sigv4_verify(&sreq, "ec2", time_now_ms(), lookup_secret, &kl, &id, &serr)) {
		req->err.status = serr.status;
		req->err.code = serr.code;
		STR_COPY(req->err.message, serr.message);
		render_error(req, &req->err);
		return;
	}
	req->owner = arena_strdup(&req->arena, kl.owner);
	if (query)
		parse_form(&req->arena, query + 1, strlen(query + 1), &params, &n_params, &cap);
	parse_form(&req->arena, req->body.data, req->body.len, &params, &n_params, &cap);
	qsort(params, n_params, sizeof(*params), param_cmp);
	req->params = params;
	req->n_params = n_params;
	for (size_t i = 0; i < n_params; i++)
		if (strcmp(params[i].name, "Action") == 0)
			action = params[i].value;
	if (action == NULL) {
		fail_req(req, "MissingAction", "The request must contain the parameter Action");
		return;
	}
	req->op = ec2_op_find(action);
	if (req->op == NULL) {
		fail_req(req, "InvalidAction", "The action %s is not valid for this web service.",
		    action);
		return;
	}
	req->handler = &api_handlers[req->op - ec2_ops];
	req->in = arena_alloc(&req->arena, req->op->input ? req->op->input->size : 1);
	req->out = arena_alloc(&req->arena, req->op->output ? req->op->output->size : 1);
	if (req->op->input && api_decode(req->op->input, params, n_params, &req->arena, req->in,
	    &req->err)) {
		render_error(req, &req->err);
		return;
	}
	if (is_read_only(action)) {
		pthread_rwlock_rdlock(&srv->lock);
		run_handler(req);
		pthread_rwlock_unlock(&srv->lock);
		return;
	}
	req->job.run = job_run_http;
	req->job.done = job_done_http;
	req->is_queued = true;
	MHD_suspend_connection(req->con);
	submit(srv, &req->job);
}

static enum MHD_Result
send_answer(struct api_req *req)
{
	struct MHD_Response *resp;
	enum MHD_Result r;
	size_t len = req->resp.len;

	log_debug("request %s %s %s: %d %s (%.3f ms)", req->request_id,
	    req->owner ? req->owner : "-", req->op ? req->op->name : "-", req->status,
	    req->status == 200 ? "OK" : req->err.code ? req->err.code : "-",
	    (double)(time_mono_ns() - req->start_ns) / 1e6);
	api_metrics_observe(req->srv->metrics, req->op, req->status,
	    time_mono_ns() - req->start_ns);
	resp = MHD_create_response_from_buffer(len, buf_steal(&req->resp), MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/xml;charset=UTF-8");
	MHD_add_response_header(resp, "x-amzn-RequestId", req->request_id);
	r = MHD_queue_response(req->con, (unsigned)req->status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* Whether the request is GET <metrics path> (a query string is ignored). */
static bool
is_metrics(const struct api_req *req, const char *method)
{
	const char *path = req->srv->opt.metrics_path;
	size_t n = path ? strlen(path) : 0;

	return n && strcmp(method, "GET") == 0 && strncmp(req->target, path, n) == 0 &&
	    (req->target[n] == '\0' || req->target[n] == '?');
}

static enum MHD_Result
send_metrics(struct api_req *req)
{
	struct api_server *srv = req->srv;
	struct MHD_Response *resp;
	enum MHD_Result r;
	size_t len;

	api_metrics_render(srv->metrics, &req->resp);
	if (srv->opt.metrics)
		srv->opt.metrics(srv->opt.metrics_arg, &req->resp);
	len = req->resp.len;
	resp = MHD_create_response_from_buffer(len, buf_steal(&req->resp), MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	r = MHD_queue_response(req->con, 200, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result
add_header_size(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	*(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	struct api_req *req = *req_cls;

	if (req->con == NULL) {
		/* First call: headers are complete. */
		const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		size_t header_size = strlen(req->target) + strlen(method) + 16;

		req->con = con;
		if (is_metrics(req, method))
			return send_metrics(req);
		MHD_get_connection_values(con, MHD_HEADER_KIND, add_header_size, &header_size);
		if (header_size > req->srv->opt.max_header) {
			fail_req(req, "RequestHeaderSectionTooLarge",
			    "The request line and headers exceed the limit of %zu bytes",
			    req->srv->opt.max_header);
			req->status = 431;
			return send_answer(req);
		}
		if (cl && strtoull(cl, NULL, 10) > req->srv->opt.max_body) {
			fail_req(req, "RequestEntityTooLarge",
			    "The request body exceeds the limit of %zu bytes",
			    req->srv->opt.max_body);
			req->status = 413;
			return send_answer(req);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (req->body.len + *upload_data_size > req->srv->opt.max_body)
			return MHD_NO;  /* chunked and too large: drop it */
		buf_add(&req->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->is_queued) {
		if (!req->is_answered)
			return MHD_YES;  /* spurious wake-up */
		return send_answer(req);
	}
	process(req, method);
	if (req->is_queued)
		return MHD_YES;
	return send_answer(req);
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct api_req *req = xcalloc(1, sizeof(*req));

	req->srv = cls;
	req->target = xstrdup(uri);
	buf_init(&req->body);
	buf_init(&req->resp);
	arena_init(&req->arena);
	request_id(req->request_id);
	req->start_ns = time_mono_ns();
	return req;
}

static void
on_completed(void *cls, struct MHD_Connection *con, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct api_req *req = *req_cls;

	if (req == NULL)
		return;
	free(req->target);
	buf_fini(&req->body);
	buf_fini(&req->resp);
	arena_fini(&req->arena);
	free(req);
	*req_cls = NULL;
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http: %s", msg);
}

int
api_server_start(const struct api_options *opt, struct core_model *model, struct store *store,
    struct api_server **out)
{
	struct api_server *srv = xcalloc(1, sizeof(*srv));
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	pthread_rwlockattr_t attr;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	srv->opt = *opt;
	srv->model = model;
	srv->store = store;
	srv->metrics = api_metrics_new();
	if (inet_pton(AF_INET, opt->listen_host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(opt->listen_port);
	} else if (inet_pton(AF_INET6, opt->listen_host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(opt->listen_port);
		flags |= MHD_USE_IPv6;
	} else {
		log_warnx("api: listen address '%s' is not a numeric IP address", opt->listen_host);
		free(srv);
		return -EINVAL;
	}
	pthread_rwlockattr_init(&attr);
	/* Writers must not starve behind a stream of Describe calls. */
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&srv->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&srv->qlock, NULL);
	pthread_cond_init(&srv->qcond, NULL);
	if (pthread_create(&srv->writer, NULL, writer_main, srv) != 0)
		fatal("pthread_create");
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(opt->threads ? opt->threads : 1),
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)opt->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opt->idle_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(opt->max_header + 16384),
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
	    MHD_OPTION_END);
	if (srv->mhd == NULL) {
		log_warnx("api: cannot listen on %s port %u (address in use?)", opt->listen_host,
		    opt->listen_port);
		api_server_stop(srv);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : opt->listen_port;
	*out = srv;
	return 0;
}

uint16_t
api_server_port(const struct api_server *srv)
{
	return srv->port;
}

void
api_server_stop(struct api_server *srv)
{
	if (srv == NULL)
		return;
	/* Stop accepting, let the writer answer everything queued (it exits
	 * when the queue is empty), then close the connections. */
	if (srv->mhd)
		MHD_quiesce_daemon(srv->mhd);
	pthread_mutex_lock(&srv->qlock);
	srv->stopping = true;
	pthread_cond_signal(&srv->qcond);
	pthread_mutex_unlock(&srv->qlock);
	pthread_join(srv->writer, NULL);
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	pthread_rwlock_destroy(&srv->lock);
	pthread_mutex_destroy(&srv->qlock);
	pthread_cond_destroy(&srv->qcond);
	api_metrics_free(srv->metrics);
	free(srv);
}
