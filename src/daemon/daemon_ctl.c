/*
 * The control socket: vpcctl's way in.  Only root (or the user vpcd runs
 * as) may connect; each connection carries one JSON request line and gets
 * one JSON answer line.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"

struct daemon_ctl {
	int fd;
	int stop_pipe[2];
	pthread_t thread;
	struct api_server *srv;
	const struct dp_config *dp;  /* NULL without a data plane */
	char path[108];
};

void
daemon_ctl_path(const char *data_dir, char *out, size_t size)
{
	snprintf(out, size, "%s/vpcd.sock", data_dir);
}

struct account_req {
	const char *name;
	json_t *answer;
};

static int
do_account_create(struct core_model *m, void *arg)
{
	struct account_req *r = arg;
	struct core_account *a;

	CORE_FOREACH(m, CORE_ACCOUNT, res)
		if (strcmp(((struct core_account *)res)->name, r->name) == 0)
			return -EEXIST;
	a = core_account_create(m, r->name, false);
	r->answer = json_pack("{s:b, s:s, s:s, s:s, s:s}", "ok", 1, "account_id", a->res.id,
	    "name", a->name, "access_key_id", a->keys[0].access_key_id,
	    "secret_access_key", a->keys[0].secret);
	return 0;
}

static int
do_account_list(const struct core_model *m, void *arg)
{
	json_t *list = json_array();

	CORE_FOREACH(m, CORE_ACCOUNT, res) {
		const struct core_account *a = (const struct core_account *)res;

		json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:s}", "account_id",
		    a->res.id, "name", a->name, "admin", a->is_admin, "access_key_id",
		    a->n_keys ? a->keys[0].access_key_id : ""));
	}
	*(json_t **)arg = json_pack("{s:b, s:o}", "ok", 1, "accounts", list);
	return 0;
}

struct ns_req {
	const char *instance_id;
	const char *state;
};

static int
do_instance_state(const struct core_model *m, void *arg)
{
	static const char *const states[] = { "pending", "running", "stopping", "stopped",
		"shutting-down", "terminated" };
	struct ns_req *r = arg;
	const struct core_instance *inst = core_find(m, CORE_INSTANCE, NULL, r->instance_id);

	if (inst == NULL)
		return -ENOENT;
	r->state = states[inst->state];
	return inst->state == CORE_INSTANCE_RUNNING ? 0 : -EAGAIN;
}

static json_t *
error_answer(const char *fmt, ...) PRINTF(1, 2);

static json_t *
error_answer(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *
handle(struct daemon_ctl *ctl, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	if (cmd == NULL)
		return error_answer("request without \"cmd\"");
	if (strcmp(cmd, "account-create") == 0) {
		struct account_req r = { json_string_value(json_object_get(req, "name")), NULL };
		int rc;

		if (r.name == NULL || *r.name == '\0' || strlen(r.name) > 64 ||
		    strspn(r.name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789-_.") != strlen(r.name))
			return error_answer("an account name is 1 to 64 letters, digits, '-', "
			    "'_' or '.'");
		rc = api_server_exec(ctl->srv, do_account_create, &r);
		if (rc == -EEXIST)
			return error_answer("an account named '%s' already exists", r.name);
		if (rc) {
			json_decref(r.answer);
			return error_answer("the account could not be saved");
		}
		log_info("account %s created", r.name);
		return r.answer;
	}
	if (strcmp(cmd, "account-list") == 0) {
		json_t *answer = NULL;

		api_server_read(ctl->srv, do_account_list, &answer);
		return answer;
	}
	if (strcmp(cmd, "namespace") == 0) {
		/* Where vpcctl exec and vpcctl internet run their command. */
		struct ns_req r = { json_string_value(json_object_get(req, "instance")), NULL };
		char ns[DP_NS_MAX];
		int rc;

		if (ctl->dp == NULL)
			return error_answer("the data plane is off (vpcd runs with --dataplane "
			    "none): there are no namespaces to enter");
		if (json_is_true(json_object_get(req, "internet"))) {
			dp_internet_ns(ctl->dp, ns);
			return json_pack("{s:b, s:s}", "ok", 1, "ns", ns);
		}
		if (r.instance_id == NULL)
			return error_answer("request without an instance");
		rc = api_server_read(ctl->srv, do_instance_state, &r);
		if (rc == -ENOENT)
			return error_answer("instance %s does not exist", r.instance_id);
		if (rc)
			return error_answer("instance %s is %s, not running", r.instance_id,
			    r.state);
		return json_pack("{s:b, s:s}", "ok", 1, "ns", r.instance_id);
	}
	return error_answer("unknown command '%s'", cmd);
}

static void
serve_client(struct daemon_ctl *ctl, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char line[65536];
	size_t n = 0;
	json_t *req, *answer;
	char *out;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		log_warnx("control: refused a client with uid %d", (int)cred.uid);
		return;
	}
	while (n < sizeof(line) - 1) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0)
			return;
		r = read(fd, line + n, sizeof(line) - 1 - n);
		if (r <= 0)
			return;
		n += (size_t)r;
		if (memchr(line, '\n', n))
			break;
	}
	line[n] = '\0';
	req = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
	answer = req ? handle(ctl, req) : error_answer("malformed request");
	out = json_dumps(answer, JSON_COMPACT);
	if (out) {
		size_t len_out = strlen(out);

		out = xrealloc(out, len_out + 2);
		out[len_out] = '\n';
		if (write(fd, out, len_out + 1) < 0)
			log_warn("control: write");
		explicit_zero(out, len_out);
		free(out);
	}
	json_decref(req);
	json_decref(answer);
}

static void *
ctl_main(void *arg)
{
	struct daemon_ctl *ctl = arg;

	for (;;) {
		struct pollfd p[2] = { { ctl->fd, POLLIN, 0 }, { ctl->stop_pipe[0], POLLIN, 0 } };
		int fd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("control: poll");
			break;
		}
		if (p[1].revents)
			break;
		fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve_client(ctl, fd);
		close(fd);
	}
	return NULL;
}

int
daemon_ctl_start(const char *data_dir, struct api_server *srv, const struct dp_config *dp,
    struct daemon_ctl **out)
{
	struct daemon_ctl *ctl = xcalloc(1, sizeof(*ctl));
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;

	daemon_ctl_path(data_dir, ctl->path, sizeof(ctl->path));
	if (strlen(ctl->path) >= sizeof(sun.sun_path)) {
		log_warnx("control: socket path %s is too long", ctl->path);
		free(ctl);
		return -ENAMETOOLONG;
	}
	STR_COPY(sun.sun_path, ctl->path);
	ctl->srv = srv;
	ctl->dp = dp;
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0 || pipe2(ctl->stop_pipe, O_CLOEXEC))
		fatal("control: socket");
	unlink(ctl->path);
	old = umask(077);
	if (bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(ctl->fd, 16)) {
		umask(old);
		log_warn("control: %s", ctl->path);
		close(ctl->fd);
		free(ctl);
		return -errno;
	}
	umask(old);
	chmod(ctl->path, 0600);
	if (pthread_create(&ctl->thread, NULL, ctl_main, ctl))
		fatal("pthread_create");
	*out = ctl;
	return 0;
}

void
daemon_ctl_stop(struct daemon_ctl *ctl)
{
	if (ctl == NULL)
		return;
	if (write(ctl->stop_pipe[1], "x", 1) < 0)
		log_warn("control: stop");
	pthread_join(ctl->thread, NULL);
	close(ctl->fd);
	close(ctl->stop_pipe[0]);
	close(ctl->stop_pipe[1]);
	unlink(ctl->path);
	free(ctl);
}
