/*
 * rtnetlink in process: observe and change links, addresses, routes,
 * policy rules and sysctls in named namespaces (see dp_nl.h).
 *
 * libnl frames the messages, checks sequence numbers and reassembles
 * dumps; the messages themselves are built here attribute by attribute,
 * because the reconciler needs exact control (a veth's peer placed in
 * another namespace by fd, the extended ack text, no object caches).
 *
 * Cost model: one cached socket per namespace, so an operation is one
 * sendmsg and one recvmsg (plus one stat(2) to check that the name still
 * means the cached namespace).  No operation switches namespaces except
 * sysctls, which need the calling thread inside the namespace for one
 * open(2) of /proc/sys/net/...
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/veth.h>

#include "lib/lib.h"
#include "dp_nl.h"

#define LOOPBACK_IFINDEX 1   /* the loopback is always 1 in its namespace */
#define PEERS_MRU 32
#define DUMP_TRIES 5

/* A netnsid as seen from one namespace, and the name it stands for. */
struct nsid {
	int32_t id;
	char name[DP_NS_MAX];
	dev_t dev;
	ino_t ino;
};

/* A cached namespace: its fd and a netlink socket opened inside it. */
struct nl_ent {
	char name[DP_NS_MAX];   /* the map key */
	int fd;
	dev_t dev;
	ino_t ino;
	struct nl_sock *sk;
	bool is_broken;         /* out of sync after a local error: reopen */
	struct nsid *ids;
	size_t n_ids, cap_ids;
};

struct dp_nl {
	struct map ents;        /* name -> struct nl_ent */
	int home_fd;            /* the creating thread's namespace */
	dev_t home_dev;
	ino_t home_ino;
	/* The last kernel error of the current request (err_cb). */
	int kerr;
	char ext[256];
	/* Namespaces recently found as the peer of a namespace with few
	 * veths, most recent first: tried first when a netnsid must be
	 * resolved to a name. */
	char mru[PEERS_MRU][DP_NS_MAX];
	size_t n_mru;
};

/* ---- Errors ---- */

static int
nle_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_INTR:
	case NLE_DUMP_INTR:
		return EINTR;
	case NLE_MSGSIZE:
	case NLE_MSG_TRUNC:
	case NLE_MSG_OVERFLOW:
		return EMSGSIZE;
	case NLE_BAD_SOCK:
		return EBADF;
	default:
		return EIO;
	}
}

/*
 * Writes "<ns>: <object>: <errno text>[ (<extended ack>)]" to 'err' and
 * returns 'ret'.  The extended ack is the one of the last request.
 */
static int PRINTF(6, 7)
fail(struct dp_nl *nl, int ret, char *err, size_t errlen, const char *ns, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	if (err == NULL || errlen == 0)
		return ret;
	buf_init(&b);
	buf_printf(&b, "%s: ", ns ? ns : "?");
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_printf(&b, ": %s", strerror(-ret));
	if (nl != NULL && nl->ext[0])
		buf_printf(&b, " (%s)", nl->ext);
	str_copy(err, b.data, errlen);
	buf_fini(&b);
	return ret;
}

/*
 * libnl calls this for every NLMSG_ERROR with a non-zero error: keep the
 * errno (libnl would map it to its own codes) and the extended ack text.
 */
static int
err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct dp_nl *nl = arg;
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off;
	int len;

	nl->kerr = e->error < 0 ? e->error : -EIO;
	nl->ext[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	off = sizeof(*e);
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	off = NLMSG_ALIGN(off);
	len = (int)h->nlmsg_len - NLMSG_HDRLEN - (int)off;
	if (len <= 0)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off), len, NULL) == 0 &&
	    tb[NLMSGERR_ATTR_MSG] != NULL)
		str_copy(nl->ext, nla_get_string(tb[NLMSGERR_ATTR_MSG]), sizeof(nl->ext));
	return NL_STOP;
}

/* Turns a libnl result into 0 or -errno; a local (non-kernel) error leaves
 * the socket's stream in an unknown state, so the socket is reopened. */
static int
result(struct dp_nl *nl, struct nl_ent *e, int r)
{
	if (r >= 0)
		return 0;
	if (nl->kerr != 0)
		return nl->kerr;
	str_copy(nl->ext, nl_geterror(r), sizeof(nl->ext));
	if (r != -NLE_DUMP_INTR)
		e->is_broken = true;
	return -nle_errno(r);
}

static void
req_begin(struct dp_nl *nl)
{
	nl->kerr = 0;
	nl->ext[0] = '\0';
}

/* Sends 'msg' (consumed) and waits for the kernel's ack. */
static int
exec_msg(struct dp_nl *nl, struct nl_ent *e, struct nl_msg *msg)
{
	int r;

	req_begin(nl);
	r = nl_send_auto(e->sk, msg);
	nlmsg_free(msg);
	if (r >= 0)
		r = nl_wait_for_ack(e->sk);
	return result(nl, e, r);
}

/*
 * Sends a request the caller built ('built' false if it ran out of room,
 * then it is only freed) and waits for its ack.  On failure 'err' says
 * "NS: <what fmt says>: <error>".
 */
static int
send_req(struct dp_nl *nl, struct nl_ent *e, struct nl_msg *msg, bool built, char *err,
    size_t errlen, const char *ns, const char *fmt, ...) PRINTF(8, 9);

static int
send_req(struct dp_nl *nl, struct nl_ent *e, struct nl_msg *msg, bool built, char *err,
    size_t errlen, const char *ns, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	int ret;

	if (built) {
		ret = exec_msg(nl, e, msg);
	} else {
		nlmsg_free(msg);
		ret = -EMSGSIZE;
	}
	if (ret == 0)
		return 0;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	fail(nl, ret, err, errlen, ns, "%s", b.data);
	buf_fini(&b);
	return ret;
}

/* Dumps 'type' with the family header 'hdr'; 'parse' sees each message. */
static int
dump(struct dp_nl *nl, struct nl_ent *e, int type, const void *hdr, size_t hdrlen,
    bool skip_stats, nl_recvmsg_msg_cb_t parse, void *arg)
{
	struct nl_msg *msg;
	int r;

	if ((msg = nlmsg_alloc_simple(type, NLM_F_DUMP)) == NULL)
		return -ENOMEM;
	if (nlmsg_append(msg, (void *)hdr, hdrlen, NLMSG_ALIGNTO) < 0 ||
	    (skip_stats && nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	req_begin(nl);
	nl_socket_modify_cb(e->sk, NL_CB_VALID, NL_CB_CUSTOM, parse, arg);
	r = nl_send_auto(e->sk, msg);
	nlmsg_free(msg);
	if (r >= 0)
		r = nl_recvmsgs_default(e->sk);
	nl_socket_modify_cb(e->sk, NL_CB_VALID, NL_CB_DEFAULT, NULL, NULL);
	return result(nl, e, r);
}

/* ---- The namespace cache ---- */

static void
ent_free(struct nl_ent *e)
{
	if (e == NULL)
		return;
	if (e->sk != NULL)
		nl_socket_free(e->sk);   /* closes its fd */
	if (e->fd >= 0)
		close(e->fd);
	free(e->ids);
	free(e);
}

static void
ent_drop(struct dp_nl *nl, const char *ns)
{
	ent_free(map_del(&nl->ents, ns));
}

static bool
is_home(const struct dp_nl *nl, const struct stat *st)
{
	return st->st_dev == nl->home_dev && st->st_ino == nl->home_ino;
}

static void
path_of(const char *ns, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", DP_NETNS_DIR, ns);
}

/* Opens 'ns' and a netlink socket inside it. */
static int
ent_open(struct dp_nl *nl, const char *ns, struct nl_ent **out)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nl_ent *e;
	struct stat st;
	int one = 1, sfd = -1, ret;

	e = xcalloc(1, sizeof(*e));
	e->fd = -1;
	STR_COPY(e->name, ns);
	if ((e->fd = dp_ns_open(ns)) < 0) {
		ret = e->fd;
		goto out;
	}
	if (fstat(e->fd, &st) != 0) {
		ret = -errno;
		goto out;
	}
	if (is_home(nl, &st)) {
		ret = -EPERM;
		goto out;
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	if (setns(e->fd, CLONE_NEWNET) != 0) {
		ret = -errno;
		goto out;
	}
	sfd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	ret = sfd < 0 ? -errno : 0;
	if (setns(nl->home_fd, CLONE_NEWNET) != 0)
		fatal("cannot return from namespace %s", ns);
	if (ret != 0)
		goto out;
	/* The kernel picks the port id (libnl's pool has 1,024 per process). */
	if (bind(sfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		ret = -errno;
		goto out;
	}
	(void)setsockopt(sfd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(sfd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if ((e->sk = nl_socket_alloc()) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = nl_socket_set_fd(e->sk, NETLINK_ROUTE, sfd)) < 0) {
		ret = -nle_errno(ret);
		goto out;
	}
	sfd = -1;
	/* Dump parts are at most 32 KiB: a larger buffer never truncates. */
	nl_socket_set_msg_buf_size(e->sk, 65536);
	nl_socket_disable_msg_peek(e->sk);
	nl_socket_modify_err_cb(e->sk, NL_CB_CUSTOM, err_cb, nl);
	map_put(&nl->ents, e->name, e);
	*out = e;
	return 0;
out:
	if (sfd >= 0)
		close(sfd);
	ent_free(e);
	return ret;
}

/*
 * Returns the cache entry of 'ns', opening it or reopening it if the name
 * now means another namespace.  On failure writes 'err'.
 */
static int
ent_get(struct dp_nl *nl, const char *ns, struct nl_ent **out, char *err, size_t errlen)
{
	char path[sizeof(DP_NETNS_DIR) + DP_NS_MAX + 1];
	struct nl_ent *e;
	struct stat st;
	int ret;

	nl->ext[0] = '\0';
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (ns == NULL || ns[0] == '\0' || strlen(ns) >= DP_NS_MAX || strchr(ns, '/'))
		return fail(nl, -EINVAL, err, errlen, ns, "invalid namespace name");
	path_of(ns, path, sizeof(path));
	if (stat(path, &st) != 0) {
		ret = -errno;
		ent_drop(nl, ns);
		return fail(nl, ret, err, errlen, ns, "namespace");
	}
	if (is_home(nl, &st))
		return fail(nl, -EPERM, err, errlen, ns, "namespace is the daemon's own");
	e = map_get(&nl->ents, ns);
	if (e != NULL && (e->is_broken || e->dev != st.st_dev || e->ino != st.st_ino)) {
		ent_drop(nl, ns);
		e = NULL;
	}
	if (e == NULL && (ret = ent_open(nl, ns, &e)) != 0)
		return fail(nl, ret, err, errlen, ns, "namespace");
	*out = e;
	return 0;
}

struct dp_nl *
dp_nl_new(void)
{
	struct dp_nl *nl = xcalloc(1, sizeof(*nl));
	struct stat st;
	int saved;

	map_init(&nl->ents);
	if ((nl->home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(nl->home_fd, &st) != 0) {
		saved = errno;
		if (nl->home_fd >= 0)
			close(nl->home_fd);
		free(nl);
		errno = saved;
		return NULL;
	}
	nl->home_dev = st.st_dev;
	nl->home_ino = st.st_ino;
	return nl;
}

void
dp_nl_free(struct dp_nl *nl)
{
	const char *k;
	void *v;

	if (nl == NULL)
		return;
	for (size_t i = 0; map_next(&nl->ents, &i, &k, &v);)
		ent_free(v);
	map_fini(&nl->ents);
	close(nl->home_fd);
	free(nl);
}

void
dp_nl_forget(struct dp_nl *nl, const char *ns)
{
	ent_drop(nl, ns);
}

size_t
dp_nl_gc(struct dp_nl *nl)
{
	char path[sizeof(DP_NETNS_DIR) + DP_NS_MAX + 1];
	struct nl_ent **stale = NULL;
	struct nl_ent *e;
	struct stat st;
	const char *k;
	size_t n = 0;
	void *v;

	stale = xcalloc(nl->ents.count + 1, sizeof(*stale));
	for (size_t i = 0; map_next(&nl->ents, &i, &k, &v);) {
		e = v;
		path_of(e->name, path, sizeof(path));
		if (stat(path, &st) != 0 || st.st_dev != e->dev || st.st_ino != e->ino)
			stale[n++] = e;
	}
	for (size_t i = 0; i < n; i++)
		ent_drop(nl, stale[i]->name);
	free(stale);
	return n;
}

/* ---- Small helpers ---- */

static int
ifindex_of(struct nl_ent *e, const char *name)
{
	struct ifreq r;

	memset(&r, 0, sizeof(r));
	if (name == NULL || name[0] == '\0' || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	str_copy(r.ifr_name, name, sizeof(r.ifr_name));
	/* An ioctl on a socket acts in the socket's namespace. */
	if (ioctl(nl_socket_get_fd(e->sk), SIOCGIFINDEX, &r) != 0)
		return -errno;
	return r.ifr_ifindex;
}

static void
ifname_of(struct nl_ent *e, int ifindex, char out[DP_IF_MAX])
{
	struct ifreq r;

	memset(&r, 0, sizeof(r));
	r.ifr_ifindex = ifindex;
	out[0] = '\0';
	if (ifindex > 0 && ioctl(nl_socket_get_fd(e->sk), SIOCGIFNAME, &r) == 0)
		str_copy(out, r.ifr_name, DP_IF_MAX);
}

static int
mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
	    &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static void
mac_format(const uint8_t *mac, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
	    mac[5]);
}

static const char *
ip_str(uint32_t a, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return out;
}

static void *
grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	return xreallocarray(p, *cap, size);
}

void
dp_nl_obs_init(struct dp_nl_obs *o)
{
	memset(o, 0, sizeof(*o));
}

void
dp_nl_obs_fini(struct dp_nl_obs *o)
{
	free(o->links);
	free(o->addrs);
	free(o->routes);
	free(o->rules);
	dp_nl_obs_init(o);
}

/* ---- Resolving a veth peer's netnsid to a namespace name ---- */

static void
mru_touch(struct dp_nl *nl, const char *name)
{
	size_t i;

	for (i = 0; i < nl->n_mru && strcmp(nl->mru[i], name) != 0; i++)
		;
	if (i == nl->n_mru && nl->n_mru < PEERS_MRU)
		nl->n_mru++;
	if (i == PEERS_MRU)
		i = PEERS_MRU - 1;
	memmove(nl->mru[1], nl->mru[0], i * sizeof(nl->mru[0]));
	STR_COPY(nl->mru[0], name);
}

static int
parse_nsid(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[NETNSA_MAX + 1];
	int32_t *id = arg;

	if (h->nlmsg_type == RTM_NEWNSID &&
	    nlmsg_parse(h, sizeof(struct rtgenmsg), tb, NETNSA_MAX, NULL) == 0 &&
	    tb[NETNSA_NSID] != NULL)
		*id = (int32_t)nla_get_u32(tb[NETNSA_NSID]);
	return NL_OK;
}

/* The netnsid of namespace 'fd' as seen from e's namespace; -1 if none is
 * assigned. */
static int
query_nsid(struct dp_nl *nl, struct nl_ent *e, int fd, int32_t *id)
{
	struct rtgenmsg g = { .rtgen_family = AF_UNSPEC };
	struct nl_msg *msg;
	int r;

	*id = -1;
	if ((msg = nlmsg_alloc_simple(RTM_GETNSID, 0)) == NULL)
		return -ENOMEM;
	if (nlmsg_append(msg, &g, sizeof(g), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, NETNSA_FD, (uint32_t)fd) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	req_begin(nl);
	nl_socket_modify_cb(e->sk, NL_CB_VALID, NL_CB_CUSTOM, parse_nsid, id);
	r = nl_send_auto(e->sk, msg);
	nlmsg_free(msg);
	if (r >= 0)
		r = nl_recvmsgs_default(e->sk);   /* the reply */
	if (r >= 0)
		r = nl_wait_for_ack(e->sk);       /* then the ack */
	nl_socket_modify_cb(e->sk, NL_CB_VALID, NL_CB_DEFAULT, NULL, NULL);
	return result(nl, e, r);
}

struct pending {
	size_t idx;      /* into o->links */
	int32_t nsid;
};

static int
nsid_cmp(const void *a, const void *b)
{
	int32_t x = ((const struct nsid *)a)->id, y = ((const struct nsid *)b)->id;

	return (x > y) - (x < y);
}

static int
id_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* e->ids must be sorted. */
static struct nsid *
nsid_find(struct nl_ent *e, int32_t id)
{
	struct nsid key = { .id = id };

	return e->n_ids ? bsearch(&key, e->ids, e->n_ids, sizeof(*e->ids), nsid_cmp) : NULL;
}

/*
 * Asks e's namespace for the netnsid of candidate 'name'; records it in
 * e->ids (which has room) and returns it, or -1.
 */
static int32_t
nsid_learn(struct dp_nl *nl, struct nl_ent *e, const char *name)
{
	char path[sizeof(DP_NETNS_DIR) + DP_NS_MAX + 1];
	struct nl_ent *c;
	struct stat st;
	int32_t id = -1;
	int fd;
	bool is_temp = false;

	path_of(name, path, sizeof(path));
	if (stat(path, &st) != 0 || is_home(nl, &st) ||
	    (st.st_dev == e->dev && st.st_ino == e->ino))
		return -1;
	c = map_get(&nl->ents, name);
	if (c != NULL && c->dev == st.st_dev && c->ino == st.st_ino && !c->is_broken) {
		fd = c->fd;
	} else {
		if ((fd = dp_ns_open(name)) < 0)
			return -1;
		is_temp = true;
	}
	if (query_nsid(nl, e, fd, &id) == 0 && id >= 0) {
		e->ids[e->n_ids] = (struct nsid){ .id = id, .dev = st.st_dev, .ino = st.st_ino };
		STR_COPY(e->ids[e->n_ids].name, name);
		e->n_ids++;
	} else {
		id = -1;
	}
	if (is_temp)
		close(fd);
	return id;
}

/*
 * Learns the netnsids of candidates 'cands' in e's namespace until 'left'
 * of the wanted ids (sorted) are found; returns how many are still
 * missing.
 */
static size_t
learn_some(struct dp_nl *nl, struct nl_ent *e, const char *const *cands, size_t n_cands,
    const int32_t *want, size_t n_want, size_t left)
{
	struct map known;
	int32_t id;

	/* Room for every candidate, so the names the map borrows from e->ids
	 * stay put. */
	if (e->cap_ids < e->n_ids + n_cands) {
		e->cap_ids = e->n_ids + n_cands;
		e->ids = xreallocarray(e->ids, e->cap_ids, sizeof(*e->ids));
	}
	map_init(&known);
	for (size_t i = 0; i < e->n_ids; i++)
		map_put(&known, e->ids[i].name, &e->ids[i]);
	for (size_t i = 0; left > 0 && i < n_cands; i++) {
		if (strcmp(cands[i], e->name) == 0 || map_get(&known, cands[i]) != NULL)
			continue;
		if ((id = nsid_learn(nl, e, cands[i])) < 0)
			continue;
		map_put(&known, e->ids[e->n_ids - 1].name, &e->ids[e->n_ids - 1]);
		if (bsearch(&id, want, n_want, sizeof(*want), id_cmp) != NULL)
			left--;
	}
	map_fini(&known);
	return left;
}

/*
 * Fills peer_ns of the pending links.  Known netnsids are checked (the name
 * must still mean the same namespace); unknown ones are learned by asking
 * the kernel for the netnsid of candidate namespaces: recent peers first
 * (an instance's peer is a router seen before), then every name in
 * /run/netns, stopping as soon as all are resolved.  A router with n peers
 * costs n queries once; later passes cost one stat(2) per peer.
 */
static void
resolve_peers(struct dp_nl *nl, struct nl_ent *e, struct dp_nl_obs *o, struct pending *p,
    size_t n)
{
	char path[sizeof(DP_NETNS_DIR) + DP_NS_MAX + 1];
	char mru[PEERS_MRU][DP_NS_MAX];
	const char *mru_p[PEERS_MRU];
	char **names = NULL;
	size_t n_names = 0, n_mru, n_want = 0, left;
	int32_t *want;
	struct stat st;
	struct nsid *s;

	if (n == 0)
		return;
	/* Drop the mappings whose name went away or was reused. */
	for (size_t i = 0; i < e->n_ids;) {
		path_of(e->ids[i].name, path, sizeof(path));
		if (stat(path, &st) != 0 || st.st_dev != e->ids[i].dev ||
		    st.st_ino != e->ids[i].ino)
			e->ids[i] = e->ids[--e->n_ids];
		else
			i++;
	}
	if (e->n_ids > 1)
		qsort(e->ids, e->n_ids, sizeof(*e->ids), nsid_cmp);
	want = xcalloc(n, sizeof(*want));
	for (size_t i = 0; i < n; i++)
		if (nsid_find(e, p[i].nsid) == NULL)
			want[n_want++] = p[i].nsid;
	if (n_want > 0) {
		qsort(want, n_want, sizeof(*want), id_cmp);
		left = 0;
		for (size_t i = 0; i < n_want; i++)
			if (i == 0 || want[i] != want[i - 1])
				want[left++] = want[i];
		n_want = left;
		n_mru = nl->n_mru;
		memcpy(mru, nl->mru, sizeof(mru));
		for (size_t i = 0; i < n_mru; i++)
			mru_p[i] = mru[i];
		left = learn_some(nl, e, mru_p, n_mru, want, n_want, n_want);
		if (left > 0 && dp_ns_list(&names, &n_names) == 0)
			learn_some(nl, e, (const char *const *)names, n_names, want, n_want, left);
		dp_ns_list_free(names, n_names);
		if (e->n_ids > 1)
			qsort(e->ids, e->n_ids, sizeof(*e->ids), nsid_cmp);
	}
	free(want);
	for (size_t i = 0; i < n; i++) {
		if ((s = nsid_find(e, p[i].nsid)) != NULL) {
			STR_COPY(o->links[p[i].idx].peer_ns, s->name);
			/* Peers of a namespace with few veths (an instance) are
			 * routers: worth trying first next time.  A router's
			 * many peers would only flush them out. */
			if (n <= 8)
				mru_touch(nl, s->name);
		} else {
			STR_COPY(o->links[p[i].idx].peer_ns, "?");
		}
	}
}

/* ---- Observe ---- */

struct link_ctx {
	struct nl_ent *e;
	struct dp_nl_obs *o;
	struct pending *pend;
	size_t n_pend, cap_pend;
};

static int
parse_link(struct nl_msg *msg, void *arg)
{
	struct link_ctx *c = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	struct ifinfomsg *ifi;
	struct dp_nl_link *l;
	const char *kind = "";

	if (h->nlmsg_type != RTM_NEWLINK ||
	    nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0 || tb[IFLA_IFNAME] == NULL)
		return NL_SKIP;
	ifi = nlmsg_data(h);
	if ((ifi->ifi_flags & IFF_LOOPBACK) || ifi->ifi_index == LOOPBACK_IFINDEX)
		return NL_SKIP;
	c->o->links = grow(c->o->links, &c->o->cap_links, c->o->n_links, sizeof(*l));
	l = &c->o->links[c->o->n_links++];
	memset(l, 0, sizeof(*l));
	STR_COPY(l->ns, c->e->name);
	str_copy(l->name, nla_get_string(tb[IFLA_IFNAME]), sizeof(l->name));
	l->ifindex = ifi->ifi_index;
	l->is_up = (ifi->ifi_flags & IFF_UP) != 0;
	l->is_running = (ifi->ifi_flags & IFF_RUNNING) != 0;
	if (tb[IFLA_ADDRESS] != NULL && nla_len(tb[IFLA_ADDRESS]) == 6)
		mac_format(nla_data(tb[IFLA_ADDRESS]), l->mac);
	if (tb[IFLA_LINKINFO] != NULL &&
	    nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) == 0 &&
	    li[IFLA_INFO_KIND] != NULL)
		kind = nla_get_string(li[IFLA_INFO_KIND]);
	if (strcmp(kind, "veth") == 0)
		l->kind = DP_NL_VETH;
	else if (strcmp(kind, "dummy") == 0)
		l->kind = DP_NL_DUMMY;
	else if (strcmp(kind, "ifb") == 0)
		l->kind = DP_NL_IFB;
	else
		l->kind = DP_NL_OTHER;
	if (l->kind == DP_NL_VETH && tb[IFLA_LINK] != NULL) {
		l->peer_ifindex = (int)nla_get_u32(tb[IFLA_LINK]);
		if (tb[IFLA_LINK_NETNSID] != NULL) {
			c->pend = grow(c->pend, &c->cap_pend, c->n_pend, sizeof(*c->pend));
			c->pend[c->n_pend++] = (struct pending){ .idx = c->o->n_links - 1,
			    .nsid = (int32_t)nla_get_u32(tb[IFLA_LINK_NETNSID]) };
		}
	}
	return NL_OK;
}

static int
links_of(struct dp_nl *nl, struct nl_ent *e, struct dp_nl_obs *o)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct link_ctx c = { .e = e, .o = o };
	size_t n0 = o->n_links;
	int ret;

	for (int t = 0; t < DUMP_TRIES; t++) {
		o->n_links = n0;
		c.n_pend = 0;
		if ((ret = dump(nl, e, RTM_GETLINK, &ifi, sizeof(ifi), true, parse_link, &c)) !=
		    -EINTR)
			break;
	}
	if (ret == 0)
		resolve_peers(nl, e, o, c.pend, c.n_pend);
	else
		o->n_links = n0;
	free(c.pend);
	return ret;
}

int
dp_nl_links(struct dp_nl *nl, const char *ns, struct dp_nl_obs *o, char *err, size_t errlen)
{
	struct nl_ent *e;
	int ret;

	if ((ret = ent_get(nl, ns, &e, err, errlen)) != 0)
		return ret;
	if ((ret = links_of(nl, e, o)) != 0)
		return fail(nl, ret, err, errlen, ns, "dump links");
	return 0;
}

struct dump_ctx {
	struct nl_ent *e;
	struct dp_nl_obs *o;
	const uint32_t *tables;
	size_t n_tables;
};

/*
 * Dumps 'type' of namespace 'ns' into 'c', trying again while the kernel
 * says the dump was interrupted; '*count' (the output list's length) goes
 * back to where it was before each try and after a failure.
 */
static int
dump_into(struct dp_nl *nl, const char *ns, int type, const void *hdr, size_t hdrlen,
    nl_recvmsg_msg_cb_t parse, struct dump_ctx *c, size_t *count, const char *what,
    char *err, size_t errlen)
{
	size_t n0 = *count;
	int ret;

	if ((ret = ent_get(nl, ns, &c->e, err, errlen)) != 0)
		return ret;
	for (int t = 0; t < DUMP_TRIES; t++) {
		*count = n0;
		if ((ret = dump(nl, c->e, type, hdr, hdrlen, false, parse, c)) != -EINTR)
			break;
	}
	if (ret != 0) {
		*count = n0;
		return fail(nl, ret, err, errlen, ns, what);
	}
	return 0;
}

static int
parse_addr(struct nl_msg *msg, void *arg)
{
	struct dump_ctx *c = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFA_MAX + 1], *at;
	struct ifaddrmsg *ifa;
	struct dp_addr *a;

	if (h->nlmsg_type != RTM_NEWADDR || nlmsg_parse(h, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return NL_SKIP;
	ifa = nlmsg_data(h);
	if (ifa->ifa_family != AF_INET || ifa->ifa_index == LOOPBACK_IFINDEX)
		return NL_SKIP;
	if ((at = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS]) == NULL || nla_len(at) != 4)
		return NL_SKIP;
	c->o->addrs = grow(c->o->addrs, &c->o->cap_addrs, c->o->n_addrs, sizeof(*a));
	a = &c->o->addrs[c->o->n_addrs++];
	memset(a, 0, sizeof(*a));
	STR_COPY(a->ns, c->e->name);
	ifname_of(c->e, (int)ifa->ifa_index, a->dev);
	a->addr = ntohl(nla_get_u32(at));
	a->plen = ifa->ifa_prefixlen;
	return NL_OK;
}

int
dp_nl_addrs(struct dp_nl *nl, const char *ns, struct dp_nl_obs *o, char *err, size_t errlen)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET };
	struct dump_ctx c = { .o = o };

	return dump_into(nl, ns, RTM_GETADDR, &ifa, sizeof(ifa), parse_addr, &c, &o->n_addrs,
	    "dump addresses", err, errlen);
}

static bool
table_is_wanted(const struct dump_ctx *c, uint32_t table)
{
	if (c->n_tables == 0)
		return table != RT_TABLE_LOCAL;
	for (size_t i = 0; i < c->n_tables; i++)
		if (c->tables[i] == table)
			return true;
	return false;
}

static int
parse_route(struct nl_msg *msg, void *arg)
{
	struct dump_ctx *c = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[RTA_MAX + 1];
	struct rtmsg *rtm;
	struct dp_route *r;
	enum dp_route_type type;
	uint32_t table;

	if (h->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return NL_SKIP;
	rtm = nlmsg_data(h);
	if (rtm->rtm_family != AF_INET || (rtm->rtm_flags & RTM_F_CLONED) ||
	    rtm->rtm_protocol == RTPROT_KERNEL)
		return NL_SKIP;
	switch (rtm->rtm_type) {
	case RTN_UNICAST:
		type = DP_ROUTE_UNICAST;
		break;
	case RTN_BLACKHOLE:
		type = DP_ROUTE_BLACKHOLE;
		break;
	case RTN_THROW:
		type = DP_ROUTE_THROW;
		break;
	case RTN_UNREACHABLE:
		type = DP_ROUTE_UNREACHABLE;
		break;
	default:
		return NL_SKIP;
	}
	table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (!table_is_wanted(c, table))
		return NL_SKIP;
	c->o->routes = grow(c->o->routes, &c->o->cap_routes, c->o->n_routes, sizeof(*r));
	r = &c->o->routes[c->o->n_routes++];
	memset(r, 0, sizeof(*r));
	STR_COPY(r->ns, c->e->name);
	r->table = table;
	r->type = type;
	r->plen = rtm->rtm_dst_len;
	if (tb[RTA_DST] != NULL && nla_len(tb[RTA_DST]) == 4)
		r->dst = ntohl(nla_get_u32(tb[RTA_DST]));
	if (tb[RTA_GATEWAY] != NULL && nla_len(tb[RTA_GATEWAY]) == 4)
		r->gw = ntohl(nla_get_u32(tb[RTA_GATEWAY]));
	if (tb[RTA_OIF] != NULL)
		ifname_of(c->e, (int)nla_get_u32(tb[RTA_OIF]), r->dev);
	r->is_onlink = (rtm->rtm_flags & RTNH_F_ONLINK) != 0;
	return NL_OK;
}

int
dp_nl_routes(struct dp_nl *nl, const char *ns, const uint32_t *tables, size_t n_tables,
    struct dp_nl_obs *o, char *err, size_t errlen)
{
	struct rtmsg rtm = { .rtm_family = AF_INET };
	struct dump_ctx c = { .o = o, .tables = tables, .n_tables = n_tables };

	return dump_into(nl, ns, RTM_GETROUTE, &rtm, sizeof(rtm), parse_route, &c, &o->n_routes,
	    "dump routes", err, errlen);
}

/* The kernel's own rules, for kernels that do not report FRA_PROTOCOL. */
static bool
rule_is_default(const struct dp_rule *r)
{
	return r->mask == 0 && r->action == DP_ROUTE_UNICAST &&
	    ((r->prio == 0 && r->table == RT_TABLE_LOCAL) ||
	    (r->prio == 32766 && r->table == RT_TABLE_MAIN) ||
	    (r->prio == 32767 && r->table == RT_TABLE_DEFAULT));
}

static int
parse_rule(struct nl_msg *msg, void *arg)
{
	struct dump_ctx *c = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[FRA_MAX + 1];
	struct fib_rule_hdr *frh;
	struct dp_rule r;

	if (h->nlmsg_type != RTM_NEWRULE || nlmsg_parse(h, sizeof(*frh), tb, FRA_MAX, NULL) < 0)
		return NL_SKIP;
	frh = nlmsg_data(h);
	if (frh->family != AF_INET)
		return NL_SKIP;
	if (tb[FRA_PROTOCOL] != NULL && nla_get_u8(tb[FRA_PROTOCOL]) == RTPROT_KERNEL)
		return NL_SKIP;
	memset(&r, 0, sizeof(r));
	STR_COPY(r.ns, c->e->name);
	r.prio = tb[FRA_PRIORITY] ? nla_get_u32(tb[FRA_PRIORITY]) : 0;
	r.mark = tb[FRA_FWMARK] ? nla_get_u32(tb[FRA_FWMARK]) : 0;
	r.mask = tb[FRA_FWMASK] ? nla_get_u32(tb[FRA_FWMASK]) : (r.mark ? 0xffffffffu : 0);
	r.table = tb[FRA_TABLE] ? nla_get_u32(tb[FRA_TABLE]) : frh->table;
	switch (frh->action) {
	case FR_ACT_TO_TBL:
		r.action = DP_ROUTE_UNICAST;
		break;
	case FR_ACT_UNREACHABLE:
		r.action = DP_ROUTE_UNREACHABLE;
		break;
	case FR_ACT_BLACKHOLE:
		r.action = DP_ROUTE_BLACKHOLE;
		break;
	default:
		/* goto, nop, prohibit: no plan action; THROW marks it foreign. */
		r.action = DP_ROUTE_THROW;
		break;
	}
	if (tb[FRA_PROTOCOL] == NULL && rule_is_default(&r))
		return NL_SKIP;
	c->o->rules = grow(c->o->rules, &c->o->cap_rules, c->o->n_rules, sizeof(r));
	c->o->rules[c->o->n_rules++] = r;
	return NL_OK;
}

int
dp_nl_rules(struct dp_nl *nl, const char *ns, struct dp_nl_obs *o, char *err, size_t errlen)
{
	struct fib_rule_hdr frh = { .family = AF_INET };
	struct dump_ctx c = { .o = o };

	return dump_into(nl, ns, RTM_GETRULE, &frh, sizeof(frh), parse_rule, &c, &o->n_rules,
	    "dump rules", err, errlen);
}

int
dp_nl_observe(struct dp_nl *nl, const char *ns, const uint32_t *tables, size_t n_tables,
    struct dp_nl_obs *o, char *err, size_t errlen)
{
	int ret;

	if ((ret = dp_nl_links(nl, ns, o, err, errlen)) != 0 ||
	    (ret = dp_nl_addrs(nl, ns, o, err, errlen)) != 0 ||
	    (ret = dp_nl_routes(nl, ns, tables, n_tables, o, err, errlen)) != 0 ||
	    (ret = dp_nl_rules(nl, ns, o, err, errlen)) != 0)
		return ret;
	return 0;
}

/* ---- Pairing veth ends ---- */

static bool
is_peer_of(const struct dp_nl_link *a, const struct dp_nl_link *b)
{
	const char *ns = a->peer_ns[0] ? a->peer_ns : a->ns;

	return b->kind == DP_NL_VETH && strcmp(ns, b->ns) == 0 && a->peer_ifindex == b->ifindex;
}

static void
end_copy(struct dp_link *l, int i, const struct dp_nl_link *e)
{
	STR_COPY(l->ns[i], e->ns);
	STR_COPY(l->name[i], e->name);
	STR_COPY(l->mac[i], e->mac);
	l->is_up[i] = e->is_up;
}

size_t
dp_nl_links_pair(const struct dp_nl_link *ends, size_t n_ends, struct dp_link *out)
{
	struct map by_key;
	char **keys = xcalloc(n_ends + 1, sizeof(*keys));
	bool *is_used = xcalloc(n_ends + 1, sizeof(*is_used));
	size_t n = 0;

	/* Index the ends by "ns/ifindex" so pairing is linear. */
	map_init(&by_key);
	for (size_t i = 0; i < n_ends; i++) {
		if (ends[i].kind != DP_NL_VETH)
			continue;
		keys[i] = xasprintf("%s/%d", ends[i].ns, ends[i].ifindex);
		map_put(&by_key, keys[i], (void *)&ends[i]);
	}
	for (size_t i = 0; i < n_ends; i++) {
		const struct dp_nl_link *a = &ends[i], *b = NULL;
		struct dp_link *l;
		char *k;

		if (a->kind != DP_NL_VETH || is_used[i])
			continue;
		is_used[i] = true;
		l = &out[n++];
		memset(l, 0, sizeof(*l));
		end_copy(l, 0, a);
		k = xasprintf("%s/%d", a->peer_ns[0] ? a->peer_ns : a->ns, a->peer_ifindex);
		b = map_get(&by_key, k);
		free(k);
		if (b != NULL && !is_used[b - ends] && is_peer_of(a, b) && is_peer_of(b, a)) {
			is_used[b - ends] = true;
			end_copy(l, 1, b);
		} else {
			STR_COPY(l->ns[1], a->peer_ns[0] ? a->peer_ns : a->ns);
		}
	}
	map_fini(&by_key);
	for (size_t i = 0; i < n_ends; i++)
		free(keys[i]);
	free(keys);
	free(is_used);
	return n;
}

/* ---- Links ---- */

static struct nl_msg *
link_msg(int type, int flags, unsigned ifi_flags, unsigned ifi_change)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_flags = ifi_flags,
	    .ifi_change = ifi_change };
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (msg == NULL)
		fatalx("out of memory");
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0)
		fatalx("netlink message too small");
	return msg;
}

/*
 * The segmentation size of both ends of every veth: 192 KiB superpackets
 * ("BIG TCP", Linux 6.3 and later for IPv4) instead of 64 KiB, so that the
 * router's work per packet (routing, nftables, conntrack) is spread over
 * three times the data.  Segments stay within the MTU; only the host's
 * batching changes, as jumbo frames do inside an AWS VPC.  Older kernels
 * ignore the attributes they do not know (63 and 64 are not in Debian 12's
 * headers).
 */
#define DP_GSO_MAX_SIZE 196608
enum {
	DP_IFLA_GSO_IPV4_MAX_SIZE = 63,
	DP_IFLA_GRO_IPV4_MAX_SIZE = 64,
};

static int
put_gso_sizes(struct nl_msg *msg)
{
	static const int attrs[] = { IFLA_GSO_MAX_SIZE, IFLA_GRO_MAX_SIZE,
		DP_IFLA_GSO_IPV4_MAX_SIZE, DP_IFLA_GRO_IPV4_MAX_SIZE };

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (nla_put_u32(msg, attrs[i], DP_GSO_MAX_SIZE) < 0)
			return -EMSGSIZE;
	return 0;
}

int
dp_nl_veth_add(struct dp_nl *nl, const struct dp_link *l, char *err, size_t errlen)
{
	struct ifinfomsg peer = { .ifi_family = AF_UNSPEC };
	struct nlattr *info, *data, *pi;
	struct nl_ent *e0, *e1;
	struct nl_msg *msg;
	uint8_t mac[2][6];
	int ret;

	if ((ret = ent_get(nl, l->ns[0], &e0, err, errlen)) != 0 ||
	    (ret = ent_get(nl, l->ns[1], &e1, err, errlen)) != 0)
		return ret;
	for (int i = 0; i < 2; i++)
		if (l->mac[i][0] && mac_parse(l->mac[i], mac[i]) != 0)
			return fail(nl, -EINVAL, err, errlen, l->ns[i], "veth %s: bad MAC %s",
			    l->name[i], l->mac[i]);
	msg = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, l->is_up[0] ? IFF_UP : 0, IFF_UP);
	if (nla_put_string(msg, IFLA_IFNAME, l->name[0]) < 0 ||
	    (l->mac[0][0] && nla_put(msg, IFLA_ADDRESS, 6, mac[0]) < 0) ||
	    put_gso_sizes(msg) < 0 ||
	    (info = nla_nest_start(msg, IFLA_LINKINFO)) == NULL ||
	    nla_put_string(msg, IFLA_INFO_KIND, "veth") < 0 ||
	    (data = nla_nest_start(msg, IFLA_INFO_DATA)) == NULL ||
	    (pi = nla_nest_start(msg, VETH_INFO_PEER)) == NULL ||
	    nlmsg_append(msg, &peer, sizeof(peer), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, l->name[1]) < 0 ||
	    (l->mac[1][0] && nla_put(msg, IFLA_ADDRESS, 6, mac[1]) < 0) ||
	    put_gso_sizes(msg) < 0 ||
	    (e1 != e0 && nla_put_u32(msg, IFLA_NET_NS_FD, (uint32_t)e1->fd) < 0)) {
		nlmsg_free(msg);
		return fail(nl, -EMSGSIZE, err, errlen, l->ns[0], "veth %s", l->name[0]);
	}
	nla_nest_end(msg, pi);
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	if ((ret = exec_msg(nl, e0, msg)) != 0)
		return fail(nl, ret, err, errlen, l->ns[0], "veth %s (peer %s in %s)", l->name[0],
		    l->name[1], l->ns[1]);
	/* The peer cannot come up inside the creating message: the kernel
	 * configures it before the pair is joined (veth_open: ENOTCONN). */
	if (l->is_up[1])
		return dp_nl_link_set_up(nl, l->ns[1], l->name[1], true, err, errlen);
	return 0;
}

static int
simple_link_add(struct dp_nl *nl, struct nl_ent *e, const char *name, const char *kind)
{
	struct nl_msg *msg;
	struct nlattr *info;

	msg = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, IFF_UP, IFF_UP);
	if (nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
	    (info = nla_nest_start(msg, IFLA_LINKINFO)) == NULL ||
	    nla_put_string(msg, IFLA_INFO_KIND, kind) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, info);
	return exec_msg(nl, e, msg);
}

int
dp_nl_marker_add(struct dp_nl *nl, const char *ns, const char *name, char *err, size_t errlen)
{
	struct nl_ent *e;
	int ret;

	if ((ret = ent_get(nl, ns, &e, err, errlen)) != 0)
		return ret;
	/* Kernels without CONFIG_DUMMY (EOPNOTSUPP, "Unknown device type")
	 * get an ifb, just as inert when nothing redirects to it. */
	if ((ret = simple_link_add(nl, e, name, "dummy")) == -EOPNOTSUPP)
		ret = simple_link_add(nl, e, name, "ifb");
	if (ret != 0)
		return fail(nl, ret, err, errlen, ns, "marker link %s", name);
	return 0;
}

/* A link addressed by name (the kernel looks it up when ifi_index is 0). */
static int
link_change(struct dp_nl *nl, const char *ns, const char *name, int type, unsigned flags,
    unsigned change, const uint8_t *mac, const char *what, char *err, size_t errlen)
{
	struct nl_ent *e;
	struct nl_msg *msg;
	int ret;

	if ((ret = ent_get(nl, ns, &e, err, errlen)) != 0)
		return ret;
	msg = link_msg(type, 0, flags, change);
	return send_req(nl, e, msg, nla_put_string(msg, IFLA_IFNAME, name) == 0 &&
	    (mac == NULL || nla_put(msg, IFLA_ADDRESS, 6, mac) == 0),
	    err, errlen, ns, "link %s: %s", name, what);
}

int
dp_nl_link_del(struct dp_nl *nl, const char *ns, const char *name, char *err, size_t errlen)
{
	return link_change(nl, ns, name, RTM_DELLINK, 0, 0, NULL, "delete", err, errlen);
}

int
dp_nl_link_set_up(struct dp_nl *nl, const char *ns, const char *name, bool up, char *err,
    size_t errlen)
{
	return link_change(nl, ns, name, RTM_SETLINK, up ? IFF_UP : 0, IFF_UP, NULL,
	    up ? "set up" : "set down", err, errlen);
}

int
dp_nl_link_set_mac(struct dp_nl *nl, const char *ns, const char *name, const char *mac,
    char *err, size_t errlen)
{
	uint8_t m[6];

	if (mac == NULL || mac_parse(mac, m) != 0)
		return fail(nl, -EINVAL, err, errlen, ns, "link %s: bad MAC %s", name,
		    mac ? mac : "(null)");
	return link_change(nl, ns, name, RTM_SETLINK, 0, 0, m, "set MAC", err, errlen);
}

int
dp_nl_ifindex(struct dp_nl *nl, const char *ns, const char *name, char *err, size_t errlen)
{
	struct nl_ent *e;
	int ret;

	if ((ret = ent_get(nl, ns, &e, err, errlen)) != 0)
		return ret;
	if ((ret = ifindex_of(e, name)) < 0)
		return fail(nl, ret, err, errlen, ns, "link %s", name);
	return ret;
}

/* ---- Namespaces with their loopback ---- */

int
dp_nl_ns_add(struct dp_nl *nl, const char *ns, char *err, size_t errlen)
{
	struct nl_ent *e;
	struct nl_msg *msg;
	int ret;

	nl->ext[0] = '\0';
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((ret = dp_ns_create(ns)) != 0)
		return fail(nl, ret, err, errlen, ns, "create namespace");
	if ((ret = ent_get(nl, ns, &e, err, errlen)) != 0)
		goto out;
	msg = link_msg(RTM_SETLINK, 0, IFF_UP, IFF_UP);
	((struct ifinfomsg *)nlmsg_data(nlmsg_hdr(msg)))->ifi_index = LOOPBACK_IFINDEX;
	if ((ret = exec_msg(nl, e, msg)) != 0)
		fail(nl, ret, err, errlen, ns, "link lo: set up");
out:
	if (ret != 0) {
		ent_drop(nl, ns);
		dp_ns_delete(ns);
	}
	return ret;
}

int
dp_nl_ns_del(struct dp_nl *nl, const char *ns, char *err, size_t errlen)
{
	int ret;

	ent_drop(nl, ns);
	nl->ext[0] = '\0';
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((ret = dp_ns_delete(ns)) != 0)
		return fail(nl, ret, err, errlen, ns, "delete namespace");
	return 0;
}

/* ---- Addresses ---- */

static int
addr_msg(struct dp_nl *nl, const struct dp_addr *a, int type, int flags, char *err,
    size_t errlen)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = a->plen };
	const char *what = type == RTM_NEWADDR ? "add" : "delete";
	struct nl_ent *e;
	struct nl_msg *msg;
	uint32_t be = htonl(a->addr);
	char ip[16];
	int ret;

	if ((ret = ent_get(nl, a->ns, &e, err, errlen)) != 0)
		return ret;
	ip_str(a->addr, ip);
	if ((ret = ifindex_of(e, a->dev)) < 0)
		return fail(nl, ret, err, errlen, a->ns, "address %s/%u dev %s: %s", ip, a->plen,
		    a->dev, what);
	ifa.ifa_index = (uint32_t)ret;
	if ((msg = nlmsg_alloc_simple(type, flags)) == NULL)
		fatalx("out of memory");
	return send_req(nl, e, msg, nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) == 0 &&
	    nla_put(msg, IFA_LOCAL, 4, &be) == 0 && nla_put(msg, IFA_ADDRESS, 4, &be) == 0,
	    err, errlen, a->ns, "address %s/%u dev %s: %s", ip, a->plen, a->dev, what);
}

int
dp_nl_addr_add(struct dp_nl *nl, const struct dp_addr *a, char *err, size_t errlen)
{
	return addr_msg(nl, a, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, err, errlen);
}

int
dp_nl_addr_del(struct dp_nl *nl, const struct dp_addr *a, char *err, size_t errlen)
{
	return addr_msg(nl, a, RTM_DELADDR, 0, err, errlen);
}

/* ---- Routes ---- */

static void
route_describe(const struct dp_route *r, struct buf *b)
{
	static const char *types[] = { "", "blackhole ", "throw ", "unreachable " };
	char ip[16];

	buf_printf(b, "route %s%s/%u table %u", r->type < ARRAY_SIZE(types) ? types[r->type] :
	    "? ", ip_str(r->dst, ip), r->plen, r->table);
	if (r->gw)
		buf_printf(b, " via %s", ip_str(r->gw, ip));
	if (r->dev[0])
		buf_printf(b, " dev %s", r->dev);
	if (r->is_onlink)
		buf_puts(b, " onlink");
}

static int
route_msg(struct dp_nl *nl, const struct dp_route *r, int type, int flags, const char *what,
    char *err, size_t errlen)
{
	static const uint8_t rtn[] = {
		[DP_ROUTE_UNICAST] = RTN_UNICAST,
		[DP_ROUTE_BLACKHOLE] = RTN_BLACKHOLE,
		[DP_ROUTE_THROW] = RTN_THROW,
		[DP_ROUTE_UNREACHABLE] = RTN_UNREACHABLE,
	};
	struct rtmsg rtm = { .rtm_family = AF_INET, .rtm_dst_len = r->plen };
	bool is_add = type == RTM_NEWROUTE;
	uint32_t dst = htonl(r->dst), gw = htonl(r->gw);
	struct nl_ent *e;
	struct nl_msg *msg;
	struct buf b;
	int ret, oif = 0;

	if ((ret = ent_get(nl, r->ns, &e, err, errlen)) != 0)
		return ret;
	buf_init(&b);
	route_describe(r, &b);
	if ((unsigned)r->type >= ARRAY_SIZE(rtn) || r->plen > 32) {
		ret = fail(nl, -EINVAL, err, errlen, r->ns, "%s: %s", b.data, what);
		goto out;
	}
	if (r->dev[0] && (oif = ifindex_of(e, r->dev)) < 0) {
		/* A route through a vanished device is gone with it; delete
		 * whatever else matches. */
		if (!is_add) {
			oif = 0;
		} else {
			ret = fail(nl, oif, err, errlen, r->ns, "%s: %s", b.data, what);
			goto out;
		}
	}
	rtm.rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm.rtm_type = rtn[r->type];
	if (is_add) {
		rtm.rtm_protocol = RTPROT_STATIC;
		rtm.rtm_scope = r->type == DP_ROUTE_UNICAST && r->gw == 0 ? RT_SCOPE_LINK :
		    RT_SCOPE_UNIVERSE;
		if (r->is_onlink)
			rtm.rtm_flags |= RTNH_F_ONLINK;
	} else {
		rtm.rtm_scope = RT_SCOPE_NOWHERE;   /* any scope */
	}
	if ((msg = nlmsg_alloc_simple(type, flags)) == NULL)
		fatalx("out of memory");
	ret = send_req(nl, e, msg, nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) == 0 &&
	    nla_put_u32(msg, RTA_TABLE, r->table) == 0 &&
	    (r->plen == 0 || nla_put(msg, RTA_DST, 4, &dst) == 0) &&
	    (r->gw == 0 || nla_put(msg, RTA_GATEWAY, 4, &gw) == 0) &&
	    (oif <= 0 || nla_put_u32(msg, RTA_OIF, (uint32_t)oif) == 0),
	    err, errlen, r->ns, "%s: %s", b.data, what);
out:
	buf_fini(&b);
	return ret;
}

int
dp_nl_route_add(struct dp_nl *nl, const struct dp_route *r, char *err, size_t errlen)
{
	return route_msg(nl, r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, "add", err, errlen);
}

int
dp_nl_route_replace(struct dp_nl *nl, const struct dp_route *r, char *err, size_t errlen)
{
	return route_msg(nl, r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, "replace", err,
	    errlen);
}

int
dp_nl_route_del(struct dp_nl *nl, const struct dp_route *r, char *err, size_t errlen)
{
	return route_msg(nl, r, RTM_DELROUTE, 0, "delete", err, errlen);
}

/* ---- Policy rules ---- */

static int
rule_msg(struct dp_nl *nl, const struct dp_rule *r, int type, int flags, const char *what,
    char *err, size_t errlen)
{
	struct fib_rule_hdr frh = { .family = AF_INET };
	bool is_add = type == RTM_NEWRULE, has_table = r->action == DP_ROUTE_UNICAST;
	struct nl_ent *e;
	struct nl_msg *msg;
	struct buf b;
	int ret;

	if ((ret = ent_get(nl, r->ns, &e, err, errlen)) != 0)
		return ret;
	buf_init(&b);
	buf_printf(&b, "rule prio %u", r->prio);
	if (r->mask)
		buf_printf(&b, " fwmark 0x%x/0x%x", r->mark, r->mask);
	if (has_table)
		buf_printf(&b, " lookup %u", r->table);
	else
		buf_printf(&b, " %s", r->action == DP_ROUTE_UNREACHABLE ? "unreachable" :
		    r->action == DP_ROUTE_BLACKHOLE ? "blackhole" : "throw");
	switch (r->action) {
	case DP_ROUTE_UNICAST:
		frh.action = FR_ACT_TO_TBL;
		break;
	case DP_ROUTE_UNREACHABLE:
		frh.action = FR_ACT_UNREACHABLE;
		break;
	case DP_ROUTE_BLACKHOLE:
		frh.action = FR_ACT_BLACKHOLE;
		break;
	default:
		if (is_add) {
			ret = fail(nl, -EINVAL, err, errlen, r->ns, "%s: %s: no such rule action",
			    b.data, what);
			goto out;
		}
		break;
	}
	if (!is_add)
		frh.action = FR_ACT_UNSPEC;   /* delete whatever the action */
	if (has_table)
		frh.table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	if ((msg = nlmsg_alloc_simple(type, flags)) == NULL)
		fatalx("out of memory");
	ret = send_req(nl, e, msg, nlmsg_append(msg, &frh, sizeof(frh), NLMSG_ALIGNTO) == 0 &&
	    nla_put_u32(msg, FRA_PRIORITY, r->prio) == 0 &&
	    (r->mask == 0 || (nla_put_u32(msg, FRA_FWMARK, r->mark) == 0 &&
	    nla_put_u32(msg, FRA_FWMASK, r->mask) == 0)) &&
	    (!has_table || nla_put_u32(msg, FRA_TABLE, r->table) == 0) &&
	    (!is_add || nla_put_u8(msg, FRA_PROTOCOL, RTPROT_STATIC) == 0),
	    err, errlen, r->ns, "%s: %s", b.data, what);
out:
	buf_fini(&b);
	return ret;
}

int
dp_nl_rule_add(struct dp_nl *nl, const struct dp_rule *r, char *err, size_t errlen)
{
	return rule_msg(nl, r, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, "add", err, errlen);
}

int
dp_nl_rule_del(struct dp_nl *nl, const struct dp_rule *r, char *err, size_t errlen)
{
	return rule_msg(nl, r, RTM_DELRULE, 0, "delete", err, errlen);
}

/* ---- Sysctls ---- */

/* Only per-namespace keys, and nothing that leaves /proc/sys/net. */
static bool
key_is_valid(const char *key)
{
	if (!str_has_prefix(key, "net/") || strstr(key, "..") || strstr(key, "//") ||
	    strlen(key) >= 96)
		return false;
	for (const char *p = key; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && !strchr("_-./:@", *p))
			return false;
	return true;
}

struct sysctl_op {
	char path[128];
	char *value;         /* read: out */
	size_t size;
	const char *in;      /* write: in */
};

static int
sysctl_do(void *arg)
{
	struct sysctl_op *op = arg;
	ssize_t n;
	int fd, ret = 0;

	if ((fd = open(op->path, (op->in ? O_WRONLY : O_RDONLY) | O_CLOEXEC)) < 0)
		return -errno;
	if (op->in != NULL) {
		size_t len = strlen(op->in);

		n = write(fd, op->in, len);
		if (n < 0)
			ret = -errno;
		else if ((size_t)n != len)
			ret = -EIO;
	} else {
		n = read(fd, op->value, op->size - 1);
		if (n < 0) {
			ret = -errno;
			n = 0;
		}
		op->value[n] = '\0';
		while (n > 0 && op->value[n - 1] == '\n')
			op->value[--n] = '\0';
	}
	close(fd);
	return ret;
}

/* Runs fn(arg) with the calling thread inside e's namespace. */
static int
run_in(struct dp_nl *nl, struct nl_ent *e, int (*fn)(void *), void *arg)
{
	int ret;

	if (setns(e->fd, CLONE_NEWNET) != 0)
		return -errno;
	ret = fn(arg);
	if (setns(nl->home_fd, CLONE_NEWNET) != 0)
		fatal("cannot return from namespace %s", e->name);
	return ret;
}

int
dp_nl_run(struct dp_nl *nl, const char *ns, int (*fn)(void *arg), void *arg, char *err,
    size_t errlen)
{
	struct nl_ent *e;
	int ret;

	if ((ret = ent_get(nl, ns, &e, err, errlen)) != 0)
		return ret;
	return run_in(nl, e, fn, arg);
}

static int
sysctl_run(struct dp_nl *nl, const char *ns, const char *key, struct sysctl_op *op, char *err,
    size_t errlen)
{
	struct nl_ent *e;
	int ret;

	if ((ret = ent_get(nl, ns, &e, err, errlen)) != 0)
		return ret;
	if (!key_is_valid(key))
		return fail(nl, -EINVAL, err, errlen, ns, "sysctl %s: not a network key", key);
	snprintf(op->path, sizeof(op->path), "/proc/sys/%s", key);
	if ((ret = run_in(nl, e, sysctl_do, op)) != 0)
		return fail(nl, ret, err, errlen, ns, "sysctl %s%s%s", key, op->in ? " = " : "",
		    op->in ? op->in : "");
	return 0;
}

int
dp_nl_sysctl_read(struct dp_nl *nl, const char *ns, const char *key, char *value,
    size_t size, char *err, size_t errlen)
{
	struct sysctl_op op = { .value = value, .size = size };

	if (size == 0)
		return -EINVAL;
	value[0] = '\0';
	return sysctl_run(nl, ns, key, &op, err, errlen);
}

int
dp_nl_sysctl_write(struct dp_nl *nl, const char *ns, const char *key, const char *value,
    char *err, size_t errlen)
{
	struct sysctl_op op = { .in = value };

	return sysctl_run(nl, ns, key, &op, err, errlen);
}

int
dp_nl_sysctl_apply(struct dp_nl *nl, const struct dp_sysctl *s, char *err, size_t errlen)
{
	char cur[64];
	int ret;

	if ((ret = dp_nl_sysctl_read(nl, s->ns, s->key, cur, sizeof(cur), err, errlen)) != 0)
		return ret;
	if (strcmp(cur, s->value) == 0)
		return 0;
	return dp_nl_sysctl_write(nl, s->ns, s->key, s->value, err, errlen);
}
