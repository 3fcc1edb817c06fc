/*
 * loadgen: a closed-loop load generator for vpcd's EC2 Query API.
 *
 * N threads, one keep-alive HTTP/1.1 connection each, send SigV4-signed
 * form bodies (signed with vpcd's own signer) for a fixed duration or a
 * fixed total count, and record each request's latency.  At the end it
 * prints one line of key=value results: requests/s, successes (HTTP 200),
 * errors, p50/p90/p99/max latency.
 *
 * The HTTP client is deliberately minimal: it writes a request, reads the
 * status line and headers, then exactly Content-Length bytes of body.  It
 * is test tooling for one server that always sends Content-Length.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "api/api_sigv4.h"
#include "lib/lib.h"

#define EC2_VERSION "2016-11-15"

enum scenario {
	SC_CREATE_VPC,
	SC_CREATE_SG,
	SC_DESCRIBE_VPC_BY_ID,
	SC_DESCRIBE_VPCS_ALL,
	SC_DESCRIBE_SGS_ALL,
};

static const char *const scenario_names[] = {
	[SC_CREATE_VPC] = "create-vpc",
	[SC_CREATE_SG] = "create-sg",
	[SC_DESCRIBE_VPC_BY_ID] = "describe-vpc-by-id",
	[SC_DESCRIBE_VPCS_ALL] = "describe-vpcs-all",
	[SC_DESCRIBE_SGS_ALL] = "describe-sgs-all",
};

struct opts {
	char host[64];
	char host_header[96];
	uint16_t port;
	char key_id[129];
	char secret[SIGV4_SECRET_MAX + 1];
	enum scenario scenario;
	int connections;
	double duration_s;
	long count;          /* total requests; 0: use the duration */
	unsigned cidr_base;  /* first CIDR index for create-vpc */
	bool is_quiet;
	bool has_progress;   /* print calls/s every second on stderr */
};

/* One keep-alive connection and its read buffer. */
struct conn {
	int fd;
	char *rbuf;
	size_t rlen, rcap;
};

struct worker {
	pthread_t thread;
	int index;
	const struct opts *opt;
	struct conn conn;
	uint64_t ok, errors, reconnects;
	uint32_t *lat_us;
	size_t n_lat, cap_lat;
	uint64_t seq;
	struct buf body, req, auth, resp;
	int last_status;
};

static char **vpc_ids;
static size_t n_vpc_ids;
static atomic_long remaining;   /* requests left when --count is given */
static int64_t deadline_ns;
static atomic_int printed_errors;
static atomic_ullong total_ok;  /* for --progress */
static atomic_int running;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen --endpoint HOST:PORT --credentials FILE --scenario NAME\n"
	    "               [--connections N] [--duration SECONDS | --count N]\n"
	    "               [--cidr-base N] [--quiet] [--progress]\n"
	    "scenarios: create-vpc, create-sg, describe-vpc-by-id, describe-vpcs-all,\n"
	    "           describe-sgs-all\n");
	exit(2);
}

/* Reads the [default] keys of an AWS shared-credentials file. */
static void
read_credentials(const char *path, struct opts *o)
{
	FILE *f = fopen(path, "r");
	char line[512];
	bool in_default = false;

	if (f == NULL)
		fatal("%s", path);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *eq, *v, *e;

		line[strcspn(line, "\r\n")] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[') {
			in_default = strcmp(p, "[default]") == 0;
			continue;
		}
		if (!in_default || (eq = strchr(p, '=')) == NULL)
			continue;
		for (e = eq; e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (strcmp(p, "aws_access_key_id") == 0)
			STR_COPY(o->key_id, v);
		else if (strcmp(p, "aws_secret_access_key") == 0)
			STR_COPY(o->secret, v);
	}
	fclose(f);
	if (o->key_id[0] == '\0' || o->secret[0] == '\0')
		fatalx("%s: no [default] aws_access_key_id and aws_secret_access_key", path);
}

static int
conn_open(struct conn *c, const struct opts *o)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	int one = 1;

	if (inet_pton(AF_INET, o->host, &sin.sin_addr) != 1)
		fatalx("endpoint host '%s' is not an IPv4 address", o->host);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int r = -errno;

		close(c->fd);
		c->fd = -1;
		return r;
	}
	c->rlen = 0;
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->rlen = 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads more bytes into the connection's buffer; -EPIPE at end of stream. */
static int
fill(struct conn *c)
{
	ssize_t r;

	if (c->rcap - c->rlen < 16384) {
		c->rcap = c->rcap ? c->rcap * 2 : 65536;
		c->rbuf = xrealloc(c->rbuf, c->rcap);
	}
	do
		r = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen - 1);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -EPIPE;
	c->rlen += (size_t)r;
	c->rbuf[c->rlen] = '\0';
	return 0;
}

/*
 * Reads one response: returns its status (>= 100) and copies the body into
 * 'body', or a negative errno.  Sets '*is_close' if the server will close.
 */
static int
read_response(struct conn *c, struct buf *body, bool *is_close)
{
	char *end, *p;
	size_t head_len, clen = 0;
	bool has_clen = false;
	int status, r;

	*is_close = false;
	while ((end = c->rlen ? strstr(c->rbuf, "\r\n\r\n") : NULL) == NULL)
		if ((r = fill(c)) < 0)
			return r;
	head_len = (size_t)(end - c->rbuf) + 4;
	if (sscanf(c->rbuf, "HTTP/1.%*d %d", &status) != 1)
		return -EPROTO;
	for (p = strstr(c->rbuf, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
		const char *h = p + 2;

		if (strncasecmp(h, "Content-Length:", 15) == 0) {
			clen = strtoul(h + 15, NULL, 10);
			has_clen = true;
		} else if (strncasecmp(h, "Connection:", 11) == 0 && strcasestr(h, "close") &&
		    strcasestr(h, "close") < strstr(h, "\r\n")) {
			*is_close = true;
		} else if (strncasecmp(h, "Transfer-Encoding:", 18) == 0) {
			return -EPROTO;
		}
	}
	if (!has_clen)
		return -EPROTO;
	while (c->rlen < head_len + clen)
		if ((r = fill(c)) < 0)
			return r;
	buf_reset(body);
	buf_add(body, c->rbuf + head_len, clen);
	memmove(c->rbuf, c->rbuf + head_len + clen, c->rlen - head_len - clen);
	c->rlen -= head_len + clen;
	c->rbuf[c->rlen] = '\0';
	return status;
}

/* Builds the signed request for the form body in w->body into w->req. */
static void
build_request(struct worker *w)
{
	const struct opts *o = w->opt;
	char amz_date[20];
	time_t now = time(NULL);
	struct tm tm;
	static const char ctype[] = "application/x-www-form-urlencoded; charset=utf-8";

	gmtime_r(&now, &tm);
	strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
	struct sigv4_header hs[] = {
		{ "host", o->host_header },
		{ "content-type", ctype },
		{ "x-amz-date", amz_date },
	};
	struct sigv4_request sr = {
		.method = "POST", .target = "/", .headers = hs, .n_headers = ARRAY_SIZE(hs),
		.body = w->body.data, .body_len = w->body.len,
	};

	buf_reset(&w->auth);
	if (sigv4_sign(&sr, o->key_id, o->secret, "us-east-1", "ec2", amz_date, &w->auth))
		fatalx("sigv4_sign failed");
	buf_reset(&w->req);
	buf_printf(&w->req, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
	    "X-Amz-Date: %s\r\nAuthorization: %s\r\nContent-Length: %zu\r\n"
	    "User-Agent: vpcd-loadgen\r\n\r\n",
	    o->host_header, ctype, amz_date, w->auth.data, w->body.len);
	buf_add(&w->req, w->body.data, w->body.len);
}

static void
record_latency(struct worker *w, int64_t ns)
{
	if (w->n_lat == w->cap_lat) {
		w->cap_lat = w->cap_lat ? w->cap_lat * 2 : 65536;
		w->lat_us = xreallocarray(w->lat_us, w->cap_lat, sizeof(*w->lat_us));
	}
	w->lat_us[w->n_lat++] = (uint32_t)(ns / 1000 > UINT32_MAX ? UINT32_MAX : ns / 1000);
}

/*
 * Sends w->body and reads the answer into w->resp.  Returns true on HTTP
 * 200.  Counts and times the request; reconnects after a broken or closed
 * connection.
 */
static bool
roundtrip(struct worker *w)
{
	int64_t t0;
	bool is_close = false;
	int status = -ENOTCONN;

	build_request(w);
	t0 = time_mono_ns();
	if (w->conn.fd < 0 && conn_open(&w->conn, w->opt) < 0)
		goto done;
	if (write_all(w->conn.fd, w->req.data, w->req.len) == 0)
		status = read_response(&w->conn, &w->resp, &is_close);
	if (status < 0 || is_close) {
		conn_close(&w->conn);
		w->reconnects++;
	}
done:
	record_latency(w, time_mono_ns() - t0);
	w->last_status = status;
	if (status == 200) {
		w->ok++;
		atomic_fetch_add_explicit(&total_ok, 1, memory_order_relaxed);
		return true;
	}
	w->errors++;
	if (!w->opt->is_quiet && atomic_fetch_add(&printed_errors, 1) < 5)
		fprintf(stderr, "loadgen: error: %s -> %d %.300s\n", w->body.data, status,
		    status > 0 ? w->resp.data : strerror(-status));
	if (status < 0)
		usleep(10000);  /* do not spin on a refused connection */
	return false;
}

/* Copies the text of the first <tag>...</tag> in 'xml' into 'out'. */
static bool
xml_first(const char *xml, const char *tag, char *out, size_t size)
{
	char open[64];
	const char *p, *e;

	snprintf(open, sizeof(open), "<%s>", tag);
	if ((p = strstr(xml, open)) == NULL)
		return false;
	p += strlen(open);
	if ((e = strchr(p, '<')) == NULL || (size_t)(e - p) >= size)
		return false;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return true;
}

/* Claims one request of the budget; false once the run is over. */
static bool
may_send(void)
{
	if (deadline_ns)
		return time_mono_ns() < deadline_ns;
	return atomic_fetch_sub(&remaining, 1) > 0;
}

static void
form_begin(struct buf *b, const char *action)
{
	buf_reset(b);
	buf_printf(b, "Action=%s&Version=" EC2_VERSION, action);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->opt;
	char gid[64];

	while (may_send()) {
		uint64_t n = w->seq++;
		const char *vpc = n_vpc_ids ? vpc_ids[(n * (unsigned)o->connections +
		    (unsigned)w->index) % n_vpc_ids] : NULL;

		switch (o->scenario) {
		case SC_CREATE_VPC: {
			/* Distinct /24s: 10.a.b.0/24, then 172.16-31 and 192.168. */
			unsigned i = o->cidr_base + (unsigned)(n * (unsigned)o->connections) +
			    (unsigned)w->index;

			form_begin(&w->body, "CreateVpc");
			if (i < 65536)
				buf_printf(&w->body, "&CidrBlock=10.%u.%u.0%%2F24", i >> 8, i & 255);
			else
				buf_printf(&w->body, "&CidrBlock=172.%u.%u.0%%2F24",
				    16 + ((i - 65536) >> 8) % 16, (i - 65536) & 255);
			roundtrip(w);
			break;
		}
		case SC_CREATE_SG:
			form_begin(&w->body, "CreateSecurityGroup");
			buf_printf(&w->body, "&VpcId=%s&GroupName=lg-%d-%llu-%lld"
			    "&GroupDescription=loadgen", vpc, w->index, (unsigned long long)n,
			    (long long)time_now_ms());
			if (!roundtrip(w) || !xml_first(w->resp.data, "groupId", gid, sizeof(gid)))
				break;
			if (!deadline_ns && !may_send())
				break;
			form_begin(&w->body, "AuthorizeSecurityGroupIngress");
			buf_printf(&w->body, "&GroupId=%s&IpPermissions.1.IpProtocol=tcp"
			    "&IpPermissions.1.FromPort=443&IpPermissions.1.ToPort=443"
			    "&IpPermissions.1.IpRanges.1.CidrIp=192.0.2.0%%2F24", gid);
			roundtrip(w);
			break;
		case SC_DESCRIBE_VPC_BY_ID:
			form_begin(&w->body, "DescribeVpcs");
			buf_printf(&w->body, "&VpcId.1=%s", vpc);
			roundtrip(w);
			break;
		case SC_DESCRIBE_VPCS_ALL:
			form_begin(&w->body, "DescribeVpcs");
			roundtrip(w);
			break;
		case SC_DESCRIBE_SGS_ALL:
			form_begin(&w->body, "DescribeSecurityGroups");
			roundtrip(w);
			break;
		}
	}
	conn_close(&w->conn);
	atomic_fetch_sub(&running, 1);
	return NULL;
}

/*
 * Prints successful calls/s once a second until the workers are done, so
 * that a rate that changes as the store grows shows.
 */
static void
progress(int64_t t0)
{
	int64_t next = t0 + 1000000000LL;
	unsigned long long last = 0;
	int sec = 0;

	while (atomic_load(&running) > 0) {
		int64_t now = time_mono_ns();

		if (now >= next) {
			unsigned long long ok = atomic_load(&total_ok);

			fprintf(stderr, "loadgen: t=%ds %llu calls/s\n", ++sec, ok - last);
			last = ok;
			next += 1000000000LL;
		}
		usleep(20000);
	}
}

/* Lists the caller's VPC ids (for the scenarios that address existing VPCs). */
static void
load_vpc_ids(const struct opts *o)
{
	struct worker w = { .opt = o, .conn = { .fd = -1 } };
	const char *p;
	size_t cap = 0;

	buf_init(&w.body);
	buf_init(&w.req);
	buf_init(&w.auth);
	buf_init(&w.resp);
	form_begin(&w.body, "DescribeVpcs");
	if (!roundtrip(&w))
		fatalx("DescribeVpcs failed (%d): %s", w.last_status, w.resp.data);
	for (p = w.resp.data; (p = strstr(p, "<vpcId>")) != NULL; p++) {
		char id[64];

		if (!xml_first(p, "vpcId", id, sizeof(id)))
			continue;
		if (n_vpc_ids == cap) {
			cap = cap ? cap * 2 : 1024;
			vpc_ids = xreallocarray(vpc_ids, cap, sizeof(*vpc_ids));
		}
		vpc_ids[n_vpc_ids++] = xstrdup(id);
	}
	if (n_vpc_ids == 0)
		fatalx("scenario %s needs existing VPCs: create some first",
		    scenario_names[o->scenario]);
	conn_close(&w.conn);
	free(w.conn.rbuf);
	free(w.lat_us);
	buf_fini(&w.body);
	buf_fini(&w.req);
	buf_fini(&w.auth);
	buf_fini(&w.resp);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_ms(const uint32_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i] / 1000.0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "endpoint", required_argument, NULL, 'e' },
		{ "credentials", required_argument, NULL, 'c' },
		{ "scenario", required_argument, NULL, 's' },
		{ "connections", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'N' },
		{ "cidr-base", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .connections = 8, .duration_s = 10, .scenario = -1 };
	const char *endpoint = NULL, *creds = NULL;
	struct worker *ws;
	uint64_t ok = 0, errors = 0, reconnects = 0;
	uint32_t *all;
	size_t n_all = 0;
	int64_t t0, elapsed;
	int ch;

	log_init("loadgen", LOG_LEVEL_WARN);
	while ((ch = getopt_long(argc, argv, "e:c:s:n:d:N:b:qph", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e': endpoint = optarg; break;
		case 'c': creds = optarg; break;
		case 's':
			for (size_t i = 0; i < ARRAY_SIZE(scenario_names); i++)
				if (strcmp(optarg, scenario_names[i]) == 0)
					o.scenario = (enum scenario)i;
			if ((int)o.scenario < 0)
				usage();
			break;
		case 'n': o.connections = atoi(optarg); break;
		case 'd': o.duration_s = atof(optarg); break;
		case 'N': o.count = atol(optarg); break;
		case 'b': o.cidr_base = (unsigned)atol(optarg); break;
		case 'q': o.is_quiet = true; break;
		case 'p': o.has_progress = true; break;
		default: usage();
		}
	}
	if (endpoint == NULL || creds == NULL || (int)o.scenario < 0 || o.connections < 1)
		usage();
	{
		const char *colon = strrchr(endpoint, ':');

		if (colon == NULL || (size_t)(colon - endpoint) >= sizeof(o.host))
			usage();
		memcpy(o.host, endpoint, (size_t)(colon - endpoint));
		o.port = (uint16_t)atoi(colon + 1);
		STR_COPY(o.host_header, endpoint);
	}
	read_credentials(creds, &o);
	if (o.scenario == SC_CREATE_SG || o.scenario == SC_DESCRIBE_VPC_BY_ID)
		load_vpc_ids(&o);

	ws = xcalloc((size_t)o.connections, sizeof(*ws));
	atomic_store(&remaining, o.count);
	t0 = time_mono_ns();
	deadline_ns = o.count ? 0 : t0 + (int64_t)(o.duration_s * 1e9);
	atomic_store(&running, o.connections);
	for (int i = 0; i < o.connections; i++) {
		struct worker *w = &ws[i];

		w->index = i;
		w->opt = &o;
		w->conn.fd = -1;
		buf_init(&w->body);
		buf_init(&w->req);
		buf_init(&w->auth);
		buf_init(&w->resp);
		if (conn_open(&w->conn, &o) < 0)
			fatal("connect %s", endpoint);
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
			fatalx("pthread_create failed");
	}
	if (o.has_progress)
		progress(t0);
	for (int i = 0; i < o.connections; i++) {
		pthread_join(ws[i].thread, NULL);
		n_all += ws[i].n_lat;
	}
	elapsed = time_mono_ns() - t0;

	all = xreallocarray(NULL, n_all ? n_all : 1, sizeof(*all));
	n_all = 0;
	for (int i = 0; i < o.connections; i++) {
		struct worker *w = &ws[i];

		memcpy(all + n_all, w->lat_us, w->n_lat * sizeof(*all));
		n_all += w->n_lat;
		ok += w->ok;
		errors += w->errors;
		reconnects += w->reconnects;
		free(w->lat_us);
		free(w->conn.rbuf);
		buf_fini(&w->body);
		buf_fini(&w->req);
		buf_fini(&w->auth);
		buf_fini(&w->resp);
	}
	qsort(all, n_all, sizeof(*all), cmp_u32);
	printf("scenario=%s connections=%d requests=%zu ok=%llu errors=%llu reconnects=%llu "
	    "seconds=%.3f rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
	    scenario_names[o.scenario], o.connections, n_all, (unsigned long long)ok,
	    (unsigned long long)errors, (unsigned long long)reconnects, elapsed / 1e9,
	    (double)ok / (elapsed / 1e9), pct_ms(all, n_all, 50), pct_ms(all, n_all, 90),
	    pct_ms(all, n_all, 99), n_all ? all[n_all - 1] / 1000.0 : 0);
	free(all);
	for (size_t i = 0; i < n_vpc_ids; i++)
		free(vpc_ids[i]);
	free(vpc_ids);
	free(ws);
	return errors ? 1 : 0;
}
