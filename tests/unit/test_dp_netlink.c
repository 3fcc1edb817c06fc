/*
 * Root test of dp_netns.c and dp_netlink.c against the real kernel.
 *
 * It builds two instance namespaces and a router namespace joined by
 * veths, with addresses, routes in a non-main table, policy rules and
 * sysctls, observes them back, sends a TCP connection from one instance to
 * the other through the router, deletes things and observes their absence,
 * then times 200 instance namespaces with their veths.
 *
 * Safety: everything lives in namespaces named "vpcdtest-<pid>-..." that
 * this test creates; nothing is changed in the host's namespace and no
 * packet leaves the test's namespaces.  An atexit handler and fatal-signal
 * handlers delete every namespace of this run, and a start-up pass deletes
 * those of earlier runs whose process is gone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "lib/lib.h"
#include "dp/dp_nl.h"
#include "tap.h"

#define PREFIX "vpcdtest-"
#define N_BENCH_DEFAULT 200
#define T_RTB 1001

static int N_BENCH = N_BENCH_DEFAULT;   /* VPCD_TEST_NS_N overrides */
static char pfx[32];
static char ns_a[DP_NS_MAX], ns_b[DP_NS_MAX], ns_r[DP_NS_MAX];
static char err[512];

/* Deletes every namespace whose name starts with 'prefix'. */
static void
remove_prefixed(const char *prefix)
{
	char **names;
	size_t n;

	if (dp_ns_list(&names, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (str_has_prefix(names[i], prefix))
			dp_ns_delete(names[i]);
	dp_ns_list_free(names, n);
}

static void
cleanup(void)
{
	if (pfx[0])
		remove_prefixed(pfx);
}

static void
on_signal(int sig)
{
	cleanup();
	raise(sig);   /* SA_RESETHAND: the default action now */
}

/* Leftovers of earlier runs that died before their cleanup. */
static void
remove_stale(void)
{
	char **names;
	size_t n;

	if (dp_ns_list(&names, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		long pid;
		char *end;

		if (!str_has_prefix(names[i], PREFIX))
			continue;
		pid = strtol(names[i] + strlen(PREFIX), &end, 10);
		if (*end == '-' && pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
			dp_ns_delete(names[i]);
	}
	dp_ns_list_free(names, n);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return ntohl(a.s_addr);
}

static struct dp_addr
addr(const char *ns, const char *dev, const char *a, uint8_t plen)
{
	struct dp_addr x;

	memset(&x, 0, sizeof(x));
	STR_COPY(x.ns, ns);
	STR_COPY(x.dev, dev);
	x.addr = ip(a);
	x.plen = plen;
	return x;
}

static struct dp_route
route(const char *ns, uint32_t table, const char *dst, uint8_t plen, enum dp_route_type type,
    const char *gw, const char *dev)
{
	struct dp_route r;

	memset(&r, 0, sizeof(r));
	STR_COPY(r.ns, ns);
	r.table = table;
	r.dst = ip(dst);
	r.plen = plen;
	r.type = type;
	r.gw = gw ? ip(gw) : 0;
	if (dev)
		STR_COPY(r.dev, dev);
	return r;
}

static struct dp_rule
rule(const char *ns, uint32_t prio, uint32_t mark, uint32_t mask, uint32_t table,
    enum dp_route_type action)
{
	struct dp_rule r;

	memset(&r, 0, sizeof(r));
	STR_COPY(r.ns, ns);
	r.prio = prio;
	r.mark = mark;
	r.mask = mask;
	r.table = table;
	r.action = action;
	return r;
}

static struct dp_link
veth(const char *ns0, const char *name0, const char *mac0, const char *ns1, const char *name1,
    const char *mac1)
{
	struct dp_link l;

	memset(&l, 0, sizeof(l));
	STR_COPY(l.ns[0], ns0);
	STR_COPY(l.name[0], name0);
	STR_COPY(l.mac[0], mac0);
	STR_COPY(l.ns[1], ns1);
	STR_COPY(l.name[1], name1);
	STR_COPY(l.mac[1], mac1);
	l.is_up[0] = l.is_up[1] = true;
	return l;
}

static const struct dp_nl_link *
find_link(const struct dp_nl_obs *o, const char *ns, const char *name)
{
	for (size_t i = 0; i < o->n_links; i++)
		if (strcmp(o->links[i].ns, ns) == 0 && strcmp(o->links[i].name, name) == 0)
			return &o->links[i];
	return NULL;
}

static bool
has_addr(const struct dp_nl_obs *o, const struct dp_addr *a)
{
	for (size_t i = 0; i < o->n_addrs; i++)
		if (strcmp(o->addrs[i].ns, a->ns) == 0 && strcmp(o->addrs[i].dev, a->dev) == 0 &&
		    o->addrs[i].addr == a->addr && o->addrs[i].plen == a->plen)
			return true;
	return false;
}

static bool
has_route(const struct dp_nl_obs *o, const struct dp_route *r)
{
	for (size_t i = 0; i < o->n_routes; i++) {
		const struct dp_route *x = &o->routes[i];

		if (strcmp(x->ns, r->ns) == 0 && x->table == r->table && x->dst == r->dst &&
		    x->plen == r->plen && x->type == r->type && x->gw == r->gw &&
		    strcmp(x->dev, r->dev) == 0 && x->is_onlink == r->is_onlink)
			return true;
	}
	return false;
}

static bool
has_rule(const struct dp_nl_obs *o, const struct dp_rule *r)
{
	for (size_t i = 0; i < o->n_rules; i++) {
		const struct dp_rule *x = &o->rules[i];

		if (strcmp(x->ns, r->ns) == 0 && x->prio == r->prio && x->mark == r->mark &&
		    x->mask == r->mask && x->table == r->table && x->action == r->action)
			return true;
	}
	return false;
}

/* ---- Sockets inside namespaces ---- */

struct sock_req {
	int fd;
	uint32_t addr;
	uint16_t port;
};

/* Creates a TCP socket in the current (entered) namespace, bound to
 * req->addr:port if port is set and listening. */
static int
make_socket(void *arg)
{
	struct sock_req *q = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1;

	if ((q->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (q->port == 0)
		return 0;
	setsockopt(q->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(q->addr);
	sa.sin_port = htons(q->port);
	if (bind(q->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(q->fd, 4) != 0)
		return -errno;
	return 0;
}

/*
 * Connects from namespace 'from' to addr:port listened on in 'to' and
 * passes one byte each way.  Returns 0, or -errno of the connection (the
 * sockets stay in their namespaces after creation: no setns afterwards).
 */
static int
tcp_roundtrip(const char *from, const char *to, uint32_t a, uint16_t port, double *ms)
{
	struct sock_req srv = { .fd = -1, .addr = a, .port = port }, cli = { .fd = -1 };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct pollfd p;
	socklen_t len = sizeof(int);
	int ret, soerr = 0, conn = -1;
	char c = 'x', got = 0;
	double t0;

	if ((ret = dp_ns_run(to, make_socket, &srv)) != 0 ||
	    (ret = dp_ns_run(from, make_socket, &cli)) != 0)
		goto out;
	sa.sin_addr.s_addr = htonl(a);
	sa.sin_port = htons(port);
	t0 = now_ms();
	if (connect(cli.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS) {
		ret = -errno;
		goto out;
	}
	p = (struct pollfd){ .fd = cli.fd, .events = POLLOUT };
	if (poll(&p, 1, 3000) != 1) {
		ret = -ETIMEDOUT;
		goto out;
	}
	getsockopt(cli.fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	if (soerr != 0) {
		ret = -soerr;
		goto out;
	}
	*ms = now_ms() - t0;
	p = (struct pollfd){ .fd = srv.fd, .events = POLLIN };
	if (poll(&p, 1, 3000) != 1 || (conn = accept(srv.fd, NULL, NULL)) < 0) {
		ret = -ETIMEDOUT;
		goto out;
	}
	if (send(cli.fd, &c, 1, 0) != 1) {
		ret = -EIO;
		goto out;
	}
	p = (struct pollfd){ .fd = conn, .events = POLLIN };
	if (poll(&p, 1, 3000) != 1 || recv(conn, &got, 1, 0) != 1 || got != 'x')
		ret = -EIO;
out:
	if (conn >= 0)
		close(conn);
	if (srv.fd >= 0)
		close(srv.fd);
	if (cli.fd >= 0)
		close(cli.fd);
	return ret;
}

/* ---- The tests ---- */

static void
test_namespaces(struct dp_nl *nl)
{
	char **names;
	size_t n;
	int found = 0;

	CHECK(dp_nl_ns_add(nl, ns_r, err, sizeof(err)) == 0, "create router namespace: %s", err);
	CHECK(dp_nl_ns_add(nl, ns_a, err, sizeof(err)) == 0, "create namespace a: %s", err);
	CHECK(dp_nl_ns_add(nl, ns_b, err, sizeof(err)) == 0, "create namespace b: %s", err);
	CHECK(dp_ns_exists(ns_a) && dp_ns_exists(ns_r), "namespaces are nsfs mounts");
	CHECK(dp_ns_create(ns_a) == -EEXIST, "a taken name is refused");
	CHECK(dp_nl_ns_add(nl, ns_a, err, sizeof(err)) == -EEXIST && strstr(err, ns_a),
	    "the error names the namespace: %s", err);
	CHECK(dp_ns_list(&names, &n) == 0, "list namespaces");
	for (size_t i = 0; i < n; i++)
		found += strcmp(names[i], ns_a) == 0 || strcmp(names[i], ns_b) == 0 ||
		    strcmp(names[i], ns_r) == 0;
	dp_ns_list_free(names, n);
	CHECK(found == 3, "the list holds all three");
	CHECK(dp_ns_create("a/b") == -EINVAL && dp_ns_create("..") == -EINVAL,
	    "names with a slash or dot-dot are refused");
}

/* A name in /run/netns that points to the test's own namespace (the
 * host's) must be refused by every dp_nl operation. */
static void
test_home_refused(struct dp_nl *nl)
{
	char name[DP_NS_MAX], path[128];
	struct dp_addr a;
	int fd, ret;

	snprintf(name, sizeof(name), "%shome", pfx);
	snprintf(path, sizeof(path), "%s/%s", DP_NETNS_DIR, name);
	if ((fd = open(path, O_RDONLY | O_CREAT | O_EXCL, 0)) < 0) {
		CHECK(0, "mount point for the home test: %s", strerror(errno));
		return;
	}
	close(fd);
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) != 0) {
		CHECK(0, "bind the home namespace: %s", strerror(errno));
		unlink(path);
		return;
	}
	a = addr(name, "lo", "10.99.99.1", 32);
	ret = dp_nl_addr_add(nl, &a, err, sizeof(err));
	CHECK(ret == -EPERM, "the daemon's own namespace is refused: %s", err);
	ret = dp_nl_sysctl_write(nl, name, "net/ipv4/ip_forward", "1", err, sizeof(err));
	CHECK(ret == -EPERM, "no sysctl in the daemon's own namespace: %s", err);
	dp_ns_delete(name);
}

static void
test_build(struct dp_nl *nl)
{
	struct dp_link l;
	struct dp_addr a;
	struct dp_route r;
	struct dp_rule u;
	char v[32];

	CHECK(dp_nl_marker_add(nl, ns_a, "vpcd-test", err, sizeof(err)) == 0, "marker dummy: %s",
	    err);
	l = veth(ns_a, "eth0", "02:00:0a:63:01:05", ns_r, "ra", "ee:ee:ee:ee:ee:01");
	CHECK(dp_nl_veth_add(nl, &l, err, sizeof(err)) == 0, "veth a:eth0 - r:ra: %s", err);
	l = veth(ns_b, "eth0", "02:00:0a:63:02:05", ns_r, "rb", "ee:ee:ee:ee:ee:02");
	CHECK(dp_nl_veth_add(nl, &l, err, sizeof(err)) == 0, "veth b:eth0 - r:rb: %s", err);
	CHECK(dp_nl_veth_add(nl, &l, err, sizeof(err)) == -EEXIST && strstr(err, "veth eth0"),
	    "a second veth of the same name: %s", err);
	CHECK(dp_nl_ifindex(nl, ns_r, "ra", err, sizeof(err)) > 1, "ifindex of ra");
	CHECK(dp_nl_ifindex(nl, ns_r, "nope", err, sizeof(err)) == -ENODEV, "no such link: %s",
	    err);

	a = addr(ns_a, "eth0", "10.99.1.5", 24);
	CHECK(dp_nl_addr_add(nl, &a, err, sizeof(err)) == 0, "address a: %s", err);
	CHECK(dp_nl_addr_add(nl, &a, err, sizeof(err)) == -EEXIST, "address twice: %s", err);
	a = addr(ns_b, "eth0", "10.99.2.5", 24);
	CHECK(dp_nl_addr_add(nl, &a, err, sizeof(err)) == 0, "address b: %s", err);
	/* The subnets' gateway addresses live on the router side. */
	a = addr(ns_r, "ra", "10.99.1.1", 32);
	CHECK(dp_nl_addr_add(nl, &a, err, sizeof(err)) == 0, "gateway a: %s", err);
	a = addr(ns_r, "rb", "10.99.2.1", 32);
	CHECK(dp_nl_addr_add(nl, &a, err, sizeof(err)) == 0, "gateway b: %s", err);
	a = addr(ns_r, "nope", "10.99.9.1", 32);
	CHECK(dp_nl_addr_add(nl, &a, err, sizeof(err)) == -ENODEV && strstr(err, "dev nope"),
	    "address on a missing link: %s", err);

	r = route(ns_a, 254, "0.0.0.0", 0, DP_ROUTE_UNICAST, "10.99.1.1", "eth0");
	CHECK(dp_nl_route_add(nl, &r, err, sizeof(err)) == 0, "default route a: %s", err);
	r = route(ns_b, 254, "0.0.0.0", 0, DP_ROUTE_UNICAST, "10.99.2.1", "eth0");
	r.is_onlink = true;
	CHECK(dp_nl_route_add(nl, &r, err, sizeof(err)) == 0, "default route b onlink: %s", err);
	r = route(ns_r, T_RTB, "10.99.1.5", 32, DP_ROUTE_UNICAST, NULL, "ra");
	CHECK(dp_nl_route_add(nl, &r, err, sizeof(err)) == 0, "router /32 to a: %s", err);
	CHECK(dp_nl_route_add(nl, &r, err, sizeof(err)) == -EEXIST && strstr(err, ns_r) &&
	    strstr(err, "route 10.99.1.5/32 table 1001"), "the same route twice: %s", err);
	CHECK(dp_nl_route_replace(nl, &r, err, sizeof(err)) == 0, "replace it: %s", err);
	r = route(ns_r, T_RTB, "10.99.2.5", 32, DP_ROUTE_BLACKHOLE, NULL, NULL);
	CHECK(dp_nl_route_add(nl, &r, err, sizeof(err)) == 0, "blackhole to b first: %s", err);
	r = route(ns_r, T_RTB, "10.99.2.5", 32, DP_ROUTE_UNICAST, NULL, "rb");
	CHECK(dp_nl_route_replace(nl, &r, err, sizeof(err)) == 0, "replaced by unicast: %s", err);
	r = route(ns_r, T_RTB, "10.99.3.0", 24, DP_ROUTE_BLACKHOLE, NULL, NULL);
	CHECK(dp_nl_route_add(nl, &r, err, sizeof(err)) == 0, "blackhole: %s", err);
	r = route(ns_r, T_RTB, "10.99.4.0", 24, DP_ROUTE_THROW, NULL, NULL);
	CHECK(dp_nl_route_add(nl, &r, err, sizeof(err)) == 0, "throw: %s", err);
	r = route(ns_r, T_RTB, "10.99.5.0", 24, DP_ROUTE_UNREACHABLE, NULL, NULL);
	CHECK(dp_nl_route_add(nl, &r, err, sizeof(err)) == 0, "unreachable: %s", err);
	/* The kernel explains this one in its extended ack. */
	r = route(ns_r, T_RTB, "10.99.6.0", 24, DP_ROUTE_UNICAST, "192.0.2.1", "ra");
	CHECK(dp_nl_route_add(nl, &r, err, sizeof(err)) < 0 && strstr(err, "(") &&
	    strstr(err, "via 192.0.2.1"), "unreachable gateway, with the kernel's text: %s", err);

	u = rule(ns_r, 100, 0, 0, T_RTB, DP_ROUTE_UNICAST);
	CHECK(dp_nl_rule_add(nl, &u, err, sizeof(err)) == 0, "rule lookup 1001: %s", err);
	CHECK(dp_nl_rule_add(nl, &u, err, sizeof(err)) == -EEXIST && strstr(err, "rule prio 100"),
	    "the same rule twice: %s", err);
	u = rule(ns_r, 90, 0x10, 0xff, 1002, DP_ROUTE_UNICAST);
	CHECK(dp_nl_rule_add(nl, &u, err, sizeof(err)) == 0, "rule fwmark: %s", err);
	u = rule(ns_r, 300, 0, 0, 0, DP_ROUTE_UNREACHABLE);
	CHECK(dp_nl_rule_add(nl, &u, err, sizeof(err)) == 0, "rule unreachable: %s", err);

	CHECK(dp_nl_sysctl_write(nl, ns_r, "net/ipv4/ip_forward", "1", err, sizeof(err)) == 0,
	    "ip_forward: %s", err);
	for (int i = 0; i < 2; i++) {
		char key[96];
		const char *dev = i ? "rb" : "ra";

		snprintf(key, sizeof(key), "net/ipv4/conf/%s/proxy_arp", dev);
		CHECK(dp_nl_sysctl_write(nl, ns_r, key, "1", err, sizeof(err)) == 0, "%s: %s", key,
		    err);
		snprintf(key, sizeof(key), "net/ipv4/neigh/%s/proxy_delay", dev);
		{
			struct dp_sysctl s = { .value = "0" };

			STR_COPY(s.ns, ns_r);
			STR_COPY(s.key, key);
			CHECK(dp_nl_sysctl_apply(nl, &s, err, sizeof(err)) == 0, "%s: %s", key, err);
		}
	}
	CHECK(dp_nl_sysctl_read(nl, ns_r, "net/ipv4/ip_forward", v, sizeof(v), err,
	    sizeof(err)) == 0 && strcmp(v, "1") == 0, "ip_forward reads 1 in the router");
	CHECK(dp_nl_sysctl_read(nl, ns_a, "net/ipv4/ip_forward", v, sizeof(v), err,
	    sizeof(err)) == 0 && strcmp(v, "0") == 0, "and 0 in an instance (per namespace)");
	CHECK(dp_nl_sysctl_read(nl, ns_r, "net/ipv4/neigh/rb/proxy_delay", v, sizeof(v), err,
	    sizeof(err)) == 0 && strcmp(v, "0") == 0, "proxy_delay reads 0");
	CHECK(dp_nl_sysctl_read(nl, ns_r, "net/ipv4/conf/nope/proxy_arp", v, sizeof(v), err,
	    sizeof(err)) == -ENOENT && strstr(err, "sysctl net/ipv4/conf/nope/proxy_arp"),
	    "a missing key: %s", err);
	CHECK(dp_nl_sysctl_write(nl, ns_r, "kernel/hostname", "x", err, sizeof(err)) == -EINVAL,
	    "a global key is refused: %s", err);
	CHECK(dp_nl_sysctl_write(nl, ns_r, "net/../kernel/hostname", "x", err, sizeof(err)) ==
	    -EINVAL, "a key leaving net/ is refused");
}

static void
test_observe(struct dp_nl *nl)
{
	const uint32_t tables[] = { T_RTB };
	const struct dp_nl_link *x;
	struct dp_nl_obs o;
	struct dp_link pairs[16];
	struct dp_addr a;
	struct dp_route r;
	size_t n;
	bool ok;

	dp_nl_obs_init(&o);
	CHECK(dp_nl_observe(nl, ns_r, tables, 1, &o, err, sizeof(err)) == 0, "observe r: %s", err);
	CHECK(dp_nl_observe(nl, ns_a, NULL, 0, &o, err, sizeof(err)) == 0, "observe a: %s", err);
	CHECK(dp_nl_observe(nl, ns_b, NULL, 0, &o, err, sizeof(err)) == 0, "observe b: %s", err);
	CHECK(o.n_links == 5, "five link ends (2 + 2 + marker), no loopback: %zu", o.n_links);
	x = find_link(&o, ns_r, "ra");
	CHECK(x && x->kind == DP_NL_VETH && x->is_up && strcmp(x->mac, "ee:ee:ee:ee:ee:01") == 0,
	    "ra: veth, up, its MAC");
	CHECK(x && strcmp(x->peer_ns, ns_a) == 0, "ra's peer is in a: '%s'", x ? x->peer_ns : "");
	x = find_link(&o, ns_a, "eth0");
	CHECK(x && strcmp(x->peer_ns, ns_r) == 0 && strcmp(x->mac, "02:00:0a:63:01:05") == 0,
	    "a's eth0: peer in r, its MAC");
	x = find_link(&o, ns_a, "vpcd-test");
	CHECK(x && (x->kind == DP_NL_DUMMY || x->kind == DP_NL_IFB) && x->is_up,
	    "the marker is an up dummy (or ifb)");

	n = dp_nl_links_pair(o.links, o.n_links, pairs);
	CHECK(n == 2, "two veth pairs: %zu", n);
	ok = n == 2;
	for (size_t i = 0; i < n; i++)
		ok = ok && pairs[i].name[1][0] && strcmp(pairs[i].ns[0], ns_r) == 0 &&
		    (strcmp(pairs[i].ns[1], ns_a) == 0 || strcmp(pairs[i].ns[1], ns_b) == 0) &&
		    strcmp(pairs[i].name[1], "eth0") == 0 && pairs[i].is_up[0] && pairs[i].is_up[1];
	CHECK(ok, "each pair joins a router end and an instance eth0");
	/* Observed alone, the router's ends have no peer name. */
	n = dp_nl_links_pair(o.links, o.n_links < 2 ? o.n_links : 2, pairs);
	CHECK(n == 2 && pairs[0].name[1][0] == '\0' && pairs[0].ns[1][0] != '\0',
	    "an unpaired end keeps its peer namespace and no peer name");

	CHECK(o.n_addrs == 4, "four addresses, loopback left out: %zu", o.n_addrs);
	a = addr(ns_r, "rb", "10.99.2.1", 32);
	CHECK(has_addr(&o, &a), "the gateway address of b is observed");
	a = addr(ns_a, "eth0", "10.99.1.5", 24);
	CHECK(has_addr(&o, &a), "a's address is observed");

	CHECK(o.n_routes == 7, "five router routes and two default routes: %zu", o.n_routes);
	r = route(ns_r, T_RTB, "10.99.2.5", 32, DP_ROUTE_UNICAST, NULL, "rb");
	CHECK(has_route(&o, &r), "replaced route observed as unicast dev rb");
	r = route(ns_r, T_RTB, "10.99.4.0", 24, DP_ROUTE_THROW, NULL, NULL);
	CHECK(has_route(&o, &r), "throw observed");
	r = route(ns_r, T_RTB, "10.99.5.0", 24, DP_ROUTE_UNREACHABLE, NULL, NULL);
	CHECK(has_route(&o, &r), "unreachable observed");
	r = route(ns_b, 254, "0.0.0.0", 0, DP_ROUTE_UNICAST, "10.99.2.1", "eth0");
	r.is_onlink = true;
	CHECK(has_route(&o, &r), "onlink default route observed");

	CHECK(o.n_rules == 3, "three rules, kernel defaults left out: %zu", o.n_rules);
	{
		struct dp_rule u = rule(ns_r, 90, 0x10, 0xff, 1002, DP_ROUTE_UNICAST);

		CHECK(has_rule(&o, &u), "fwmark rule observed");
		u = rule(ns_r, 300, 0, 0, 0, DP_ROUTE_UNREACHABLE);
		CHECK(has_rule(&o, &u), "unreachable rule observed");
	}
	dp_nl_obs_fini(&o);
}

/* True once every veth end in the three namespaces is running (waits up to
 * 3 s: link-watch may lag behind while the kernel frees other namespaces). */
static bool
wait_running(struct dp_nl *nl, double *waited)
{
	const char *nss[] = { ns_a, ns_b, ns_r };
	double t0 = now_ms();
	bool ok = false;

	while (!ok && now_ms() - t0 < 3000) {
		struct dp_nl_obs o;

		dp_nl_obs_init(&o);
		for (size_t i = 0; i < ARRAY_SIZE(nss); i++)
			dp_nl_links(nl, nss[i], &o, err, sizeof(err));
		ok = o.n_links == 5;
		for (size_t i = 0; i < o.n_links; i++)
			ok = ok && (o.links[i].kind != DP_NL_VETH || o.links[i].is_running);
		dp_nl_obs_fini(&o);
		if (!ok)
			usleep(2000);
	}
	*waited = now_ms() - t0;
	return ok;
}

static void
test_packets(struct dp_nl *nl)
{
	struct dp_route r;
	double ms = 0;
	int ret;

	CHECK(wait_running(nl, &ms), "the veths are running (after %.1f ms)", ms);
	ret = tcp_roundtrip(ns_a, ns_b, ip("10.99.2.5"), 7777, &ms);
	CHECK(ret == 0, "TCP a -> b through the router: %s (connect %.1f ms)",
	    ret ? strerror(-ret) : "ok", ms);
	CHECK(ret != 0 || ms < 500, "connected without proxy-ARP delay: %.1f ms", ms);
	/* Without the router's /32 the unreachable rule answers. */
	r = route(ns_r, T_RTB, "10.99.2.5", 32, DP_ROUTE_UNICAST, NULL, "rb");
	CHECK(dp_nl_route_del(nl, &r, err, sizeof(err)) == 0, "delete the route to b: %s", err);
	ret = tcp_roundtrip(ns_a, ns_b, ip("10.99.2.5"), 7778, &ms);
	CHECK(ret == -ENETUNREACH || ret == -EHOSTUNREACH, "then b is unreachable: %s",
	    strerror(-ret));
	CHECK(dp_nl_route_add(nl, &r, err, sizeof(err)) == 0, "restore it: %s", err);
	ret = tcp_roundtrip(ns_b, ns_a, ip("10.99.1.5"), 7779, &ms);
	CHECK(ret == 0, "TCP b -> a: %s", ret ? strerror(-ret) : "ok");
}

static void
test_delete(struct dp_nl *nl)
{
	const uint32_t tables[] = { T_RTB };
	struct dp_nl_obs o;
	struct dp_route r;
	struct dp_rule u;
	struct dp_addr a;
	const struct dp_nl_link *x;

	CHECK(dp_nl_link_set_up(nl, ns_r, "rb", false, err, sizeof(err)) == 0, "rb down: %s", err);
	CHECK(dp_nl_link_set_mac(nl, ns_r, "rb", "ee:ee:ee:ee:ee:22", err, sizeof(err)) == 0,
	    "rb MAC: %s", err);
	CHECK(dp_nl_link_set_mac(nl, ns_r, "rb", "ee:ee", err, sizeof(err)) == -EINVAL,
	    "a bad MAC is refused");
	dp_nl_obs_init(&o);
	dp_nl_links(nl, ns_r, &o, err, sizeof(err));
	x = find_link(&o, ns_r, "rb");
	CHECK(x && !x->is_up && strcmp(x->mac, "ee:ee:ee:ee:ee:22") == 0, "observed down, new MAC");
	CHECK(dp_nl_link_set_up(nl, ns_r, "rb", true, err, sizeof(err)) == 0, "rb up: %s", err);
	dp_nl_obs_fini(&o);

	r = route(ns_r, T_RTB, "10.99.3.0", 24, DP_ROUTE_BLACKHOLE, NULL, NULL);
	CHECK(dp_nl_route_del(nl, &r, err, sizeof(err)) == 0, "delete blackhole: %s", err);
	CHECK(dp_nl_route_del(nl, &r, err, sizeof(err)) == -ESRCH, "twice: %s", err);
	u = rule(ns_r, 90, 0x10, 0xff, 1002, DP_ROUTE_UNICAST);
	CHECK(dp_nl_rule_del(nl, &u, err, sizeof(err)) == 0, "delete fwmark rule: %s", err);
	CHECK(dp_nl_rule_del(nl, &u, err, sizeof(err)) == -ENOENT, "twice: %s", err);
	a = addr(ns_r, "rb", "10.99.2.1", 32);
	CHECK(dp_nl_addr_del(nl, &a, err, sizeof(err)) == 0, "delete address: %s", err);
	CHECK(dp_nl_link_del(nl, ns_r, "ra", err, sizeof(err)) == 0, "delete ra: %s", err);
	CHECK(dp_nl_link_del(nl, ns_r, "ra", err, sizeof(err)) == -ENODEV, "twice: %s", err);

	dp_nl_obs_init(&o);
	dp_nl_observe(nl, ns_r, tables, 1, &o, err, sizeof(err));
	dp_nl_observe(nl, ns_a, NULL, 0, &o, err, sizeof(err));
	CHECK(find_link(&o, ns_r, "ra") == NULL && find_link(&o, ns_a, "eth0") == NULL,
	    "deleting one end removed the pair");
	CHECK(!has_addr(&o, &a), "the address is gone");
	CHECK(!has_route(&o, &r), "the blackhole is gone");
	r = route(ns_r, T_RTB, "10.99.1.5", 32, DP_ROUTE_UNICAST, NULL, "ra");
	CHECK(!has_route(&o, &r), "the route through ra went with it");
	CHECK(!has_rule(&o, &u) && o.n_rules == 2, "the rule is gone");
	dp_nl_obs_fini(&o);

	CHECK(dp_nl_ns_del(nl, ns_a, err, sizeof(err)) == 0, "delete namespace a: %s", err);
	CHECK(!dp_ns_exists(ns_a), "a no longer exists");
	CHECK(dp_nl_ns_del(nl, ns_a, err, sizeof(err)) == -ENOENT, "twice: %s", err);
	CHECK(dp_nl_links(nl, ns_a, &o, err, sizeof(err)) == -ENOENT && strstr(err, ns_a),
	    "observing it fails, naming it: %s", err);
	dp_nl_obs_fini(&o);
}

/* 200 instances: namespace + veth into one router, then the rest of what
 * an instance needs (marker, addresses, routes, sysctls). */
static void
test_scale(struct dp_nl *nl)
{
	char router[DP_NS_MAX], name[DP_NS_MAX], dev[DP_IF_MAX], key[96], sa[20];
	const uint32_t tables[] = { T_RTB };
	double t0, t1, t_ns = 0, t_nsveth, t_rest, t_obs, t_obs2, t_inst_obs, t_del;
	struct dp_nl_obs o;
	struct dp_link *pairs;
	int fails = 0;
	size_t n, paired = 0;

	snprintf(router, sizeof(router), "%sbr", pfx);
	if (dp_nl_ns_add(nl, router, err, sizeof(err)) != 0) {
		CHECK(0, "bench router: %s", err);
		return;
	}
	t0 = now_ms();
	for (int i = 0; i < N_BENCH; i++) {
		struct dp_link l;

		snprintf(name, sizeof(name), "%si%d", pfx, i % 100000);
		snprintf(dev, sizeof(dev), "e%d", i % 100000);
		l = veth(name, "eth0", "", router, dev, "ee:ee:ee:ee:ee:ee");
		t1 = now_ms();
		if (dp_nl_ns_add(nl, name, err, sizeof(err)) != 0) {
			fails++;
			continue;
		}
		t_ns += now_ms() - t1;
		if (dp_nl_veth_add(nl, &l, err, sizeof(err)) != 0)
			fails++;
	}
	t_nsveth = now_ms() - t0;
	CHECK(fails == 0, "%d namespaces with a veth each: %s", N_BENCH, fails ? err : "ok");
	t0 = now_ms();
	fails = 0;
	for (int i = 0; i < N_BENCH; i++) {
		struct dp_addr a;
		struct dp_route r;

		snprintf(name, sizeof(name), "%si%d", pfx, i % 100000);
		snprintf(dev, sizeof(dev), "e%d", i % 100000);
		snprintf(sa, sizeof(sa), "10.98.%d.%d", (i / 200) % 256, 10 + i % 200);
		a = addr(name, "eth0", sa, 16);
		r = route(router, T_RTB, sa, 32, DP_ROUTE_UNICAST, NULL, dev);
		fails += dp_nl_marker_add(nl, name, "vpcd-test", err, sizeof(err)) != 0;
		fails += dp_nl_addr_add(nl, &a, err, sizeof(err)) != 0;
		r = route(name, 254, "0.0.0.0", 0, DP_ROUTE_UNICAST, "10.98.0.1", "eth0");
		fails += dp_nl_route_add(nl, &r, err, sizeof(err)) != 0;
		r = route(router, T_RTB, sa, 32, DP_ROUTE_UNICAST, NULL, dev);
		fails += dp_nl_route_add(nl, &r, err, sizeof(err)) != 0;
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/proxy_arp", dev);
		fails += dp_nl_sysctl_write(nl, router, key, "1", err, sizeof(err)) != 0;
		snprintf(key, sizeof(key), "net/ipv4/neigh/%s/proxy_delay", dev);
		fails += dp_nl_sysctl_write(nl, router, key, "0", err, sizeof(err)) != 0;
	}
	t_rest = now_ms() - t0;
	CHECK(fails == 0, "marker, address, 2 routes, 2 sysctls each: %s", fails ? err : "ok");

	dp_nl_obs_init(&o);
	t0 = now_ms();
	CHECK(dp_nl_observe(nl, router, tables, 1, &o, err, sizeof(err)) == 0,
	    "observe the router: %s", err);
	t_obs = now_ms() - t0;
	t0 = now_ms();
	dp_nl_obs_fini(&o);
	CHECK(dp_nl_observe(nl, router, tables, 1, &o, err, sizeof(err)) == 0,
	    "observe the router again: %s", err);
	t_obs2 = now_ms() - t0;
	t0 = now_ms();
	for (int i = 0; i < N_BENCH; i++) {
		snprintf(name, sizeof(name), "%si%d", pfx, i % 100000);
		fails += dp_nl_observe(nl, name, NULL, 0, &o, err, sizeof(err)) != 0;
	}
	t_inst_obs = now_ms() - t0;
	CHECK(fails == 0 && o.n_links == 3 * (size_t)N_BENCH && o.n_routes == 2 * (size_t)N_BENCH,
	    "observed %zu link ends and %zu routes", o.n_links, o.n_routes);
	pairs = xcalloc(o.n_links, sizeof(*pairs));
	n = dp_nl_links_pair(o.links, o.n_links, pairs);
	for (size_t i = 0; i < n; i++)
		paired += pairs[i].name[1][0] != '\0';
	CHECK(paired == (size_t)N_BENCH, "%zu veths paired across namespaces", paired);
	free(pairs);
	dp_nl_obs_fini(&o);

	t0 = now_ms();
	fails = 0;
	for (int i = 0; i < N_BENCH; i++) {
		snprintf(name, sizeof(name), "%si%d", pfx, i % 100000);
		fails += dp_nl_ns_del(nl, name, err, sizeof(err)) != 0;
	}
	fails += dp_nl_ns_del(nl, router, err, sizeof(err)) != 0;
	t_del = now_ms() - t0;
	CHECK(fails == 0, "deleted them: %s", fails ? err : "ok");
	printf("# %d instances: namespace+veth %.3f ms each (%.0f ms total; namespace with "
	    "loopback up %.3f ms, veth %.3f ms)\n", N_BENCH, t_nsveth / N_BENCH, t_nsveth,
	    t_ns / N_BENCH, (t_nsveth - t_ns) / N_BENCH);
	printf("# marker+address+2 routes+2 sysctls: %.3f ms per instance\n", t_rest / N_BENCH);
	printf("# observe router with %d veths and routes: %.1f ms first, %.1f ms again; "
	    "each instance: %.3f ms\n", N_BENCH, t_obs, t_obs2, t_inst_obs / N_BENCH);
	printf("# namespace delete: %.3f ms each\n", t_del / (N_BENCH + 1));
}

int
main(void)
{
	struct sigaction sa;
	struct dp_nl *nl;
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGABRT, SIGBUS };

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (network namespaces)\n");
		return 0;
	}
	if (getenv("VPCD_TEST_NS_N") && atoi(getenv("VPCD_TEST_NS_N")) > 0)
		N_BENCH = atoi(getenv("VPCD_TEST_NS_N"));
	snprintf(pfx, sizeof(pfx), "%s%d-", PREFIX, (int)getpid());
	snprintf(ns_a, sizeof(ns_a), "%sa", pfx);
	snprintf(ns_b, sizeof(ns_b), "%sb", pfx);
	snprintf(ns_r, sizeof(ns_r), "%sr", pfx);
	remove_stale();
	atexit(cleanup);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);

	if ((nl = dp_nl_new()) == NULL) {
		CHECK(0, "dp_nl_new: %s", strerror(errno));
		return tap_done();
	}
	test_namespaces(nl);
	test_home_refused(nl);
	test_build(nl);
	test_observe(nl);
	test_packets(nl);
	test_delete(nl);
	test_scale(nl);
	dp_nl_free(nl);
	cleanup();
	return tap_done();
}
