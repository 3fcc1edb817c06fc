/*
 * Flow logs: the collector and its writers.
 *
 * One thread watches every router namespace whose VPC has a flow log.  In
 * each it holds three netlink sockets: conntrack NEW and DESTROY events,
 * one for dumps of the connection table (the counts so far, at every
 * window's end), and NFLOG group DP_FLOWLOG_GROUP (every packet a network
 * ACL or security group drops; see dp.h).  The router writes into each
 * accepted connection's conntrack labels the interfaces it came in and
 * went out by, which its NEW event carries: a connection is followed by
 * its conntrack id from that event to its DESTROY event, which has the
 * final counts.  The kernel sends DESTROY events reliably (it keeps a
 * connection whose event did not fit and sends it again), and an id
 * belongs to one live connection, so every connection is counted once.
 *
 * A connection's counts are split into the windows they fell in; each
 * flow log adds what its interfaces saw into records keyed by interface,
 * direction, addresses, ports, protocol and action, and at the end of its
 * aggregation window writes them: to a file per log stream
 * (cloud-watch-logs) or one gzip object per window in the S3 key layout
 * (s3), under <data-dir>/flowlogs.  An interface with nothing in a window
 * gets a NODATA record; a window in which the kernel dropped events
 * (netlink buffer overrun, or a gap in the NFLOG sequence numbers) gets
 * SKIPDATA records.
 *
 * The same thread watches every available NAT gateway's namespace for the
 * DESTROY events of TCP connections still established (a kernel-side
 * filter passes only those): connections that reached the idle timeout,
 * counted for /metrics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "dp.h"
#include "dp_nl.h"

#define FL_GIVE_UP 6

#define PUSH(arr, n) \
	(memset(&((arr) = xreallocarray((arr), (n) + 1, sizeof(*(arr))))[(n)], 0, \
	    sizeof(*(arr))), &(arr)[(n)++])

/* ---- What to log: built from the model (pure) ---- */

struct dp_fl_log {
	char id[CORE_ID_MAX];
	enum core_fl_traffic traffic;
	bool is_s3;
	char *root;                   /* below <data-dir>/flowlogs */
	enum core_fl_field fields[CORE_FL_FORMAT_MAX];
	int n_fields;
	int version;                  /* the highest version of its fields */
	int interval_s;
	bool is_hive, is_per_hour;
};

struct dp_fl_eni {
	char ns[DP_NS_MAX];
	char ifname[DP_IF_MAX];
	uint64_t seq;                 /* as in the conntrack labels */
	char id[CORE_ID_MAX], owner[CORE_ACCOUNT_MAX], vpc_id[CORE_ID_MAX];
	char subnet_id[CORE_ID_MAX], instance_id[CORE_ID_MAX], az_id[32];
	size_t logs[8];
	size_t n_logs;
};

struct dp_fl_config {
	struct arena arena;
	struct dp_fl_log *logs;
	size_t n_logs;
	struct dp_fl_eni *enis;       /* sorted by namespace, then interface */
	size_t n_enis;
	const struct dp_fl_eni **by_seq;
	char (*ns)[DP_NS_MAX];        /* the routers to watch, sorted */
	size_t n_ns;
	char (*gw_ns)[DP_NS_MAX];     /* the available NAT gateways' */
	size_t n_gw_ns;
	char region[32];
};

static int
field_version(enum core_fl_field f)
{
	if (f <= CORE_FL_F_LOG_STATUS)
		return 2;
	if (f <= CORE_FL_F_PKT_DSTADDR)
		return 3;
	if (f <= CORE_FL_F_SUBLOCATION_ID)
		return 4;
	return 5;
}

/* Where a flow log's files go: a path below <data-dir>/flowlogs. */
static char *
log_root(struct arena *a, const struct core_fl *fl)
{
	if (fl->is_s3)
		return arena_printf(a, "s3/%s", fl->destination + strlen("arn:aws:s3:::"));
	return arena_printf(a, "cloudwatch/%s", fl->log_group + (fl->log_group[0] == '/'));
}

static int
cmp_eni(const void *a, const void *b)
{
	const struct dp_fl_eni *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->ifname, y->ifname);
}

static int
cmp_seq(const void *a, const void *b)
{
	const struct dp_fl_eni *x = *(const struct dp_fl_eni *const *)a;
	const struct dp_fl_eni *y = *(const struct dp_fl_eni *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct dp_fl_config *
dp_flowlog_config(const struct core_model *m, const struct dp_config *cfg)
{
	struct dp_fl_config *c = xcalloc(1, sizeof(*c));

	arena_init(&c->arena);
	STR_COPY(c->region, m->cfg->region);
	CORE_FOREACH(m, CORE_FL, r) {
		const struct core_fl *fl = (const struct core_fl *)r;
		struct dp_fl_log *l = PUSH(c->logs, c->n_logs);

		STR_COPY(l->id, r->id);
		l->traffic = fl->traffic;
		l->is_s3 = fl->is_s3;
		l->root = log_root(&c->arena, fl);
		l->n_fields = core_fl_format_parse(fl->format ? fl->format : core_fl_default_format,
		    l->fields);
		if (l->n_fields < 0)
			l->n_fields = 0;
		for (int i = 0; i < l->n_fields; i++)
			if (field_version(l->fields[i]) > l->version)
				l->version = field_version(l->fields[i]);
		l->interval_s = cfg->flowlog_window ? (int)cfg->flowlog_window : fl->max_agg_s;
		l->is_hive = fl->is_hive;
		l->is_per_hour = fl->is_per_hour;
	}
	/* Asked for every second: nothing to scan without flow logs. */
	for (const struct core_res *r = c->n_logs ? m->head[CORE_ENI] : NULL; r; r = r->next) {
		const struct core_eni *eni = (const struct core_eni *)r;
		const struct core_subnet *sn = core_find(m, CORE_SUBNET, r->owner, eni->subnet_id);
		struct dp_fl_eni *e = NULL;
		size_t li = 0;

		CORE_FOREACH(m, CORE_FL, fr) {
			const char *rid = ((const struct core_fl *)fr)->resource_id;

			if (strcmp(rid, r->id) == 0 || strcmp(rid, eni->subnet_id) == 0 ||
			    strcmp(rid, eni->vpc_id) == 0) {
				if (e == NULL) {
					e = PUSH(c->enis, c->n_enis);
					dp_router_ns(cfg, eni->vpc_id, e->ns);
					dp_eni_ifname(r->id, e->ifname);
					e->seq = r->seq;
					STR_COPY(e->id, r->id);
					STR_COPY(e->owner, r->owner);
					STR_COPY(e->vpc_id, eni->vpc_id);
					STR_COPY(e->subnet_id, eni->subnet_id);
					STR_COPY(e->instance_id, eni->instance_id);
					if (sn && core_az_id(m->cfg, sn->az))
						STR_COPY(e->az_id, core_az_id(m->cfg, sn->az));
				}
				if (e->n_logs < ARRAY_SIZE(e->logs))
					e->logs[e->n_logs++] = li;
			}
			li++;
		}
	}
	qsort(c->enis, c->n_enis, sizeof(*c->enis), cmp_eni);
	c->by_seq = xcalloc(c->n_enis + 1, sizeof(*c->by_seq));
	for (size_t i = 0; i < c->n_enis; i++)
		c->by_seq[i] = &c->enis[i];
	qsort(c->by_seq, c->n_enis, sizeof(*c->by_seq), cmp_seq);
	for (size_t i = 0; i < c->n_enis; i++)
		if (c->n_ns == 0 || strcmp(c->ns[c->n_ns - 1], c->enis[i].ns) != 0)
			STR_COPY(*PUSH(c->ns, c->n_ns), c->enis[i].ns);
	CORE_FOREACH(m, CORE_NATGW, r)
		if (((const struct core_natgw *)r)->state == CORE_NATGW_AVAILABLE)
			dp_natgw_ns(cfg, r->id, *PUSH(c->gw_ns, c->n_gw_ns));
	return c;
}

void
dp_flowlog_config_free(struct dp_fl_config *c)
{
	if (c == NULL)
		return;
	free(c->logs);
	free(c->enis);
	free(c->by_seq);
	free(c->ns);
	free(c->gw_ns);
	arena_fini(&c->arena);
	free(c);
}

static const struct dp_fl_eni *
find_eni(const struct dp_fl_config *c, const char *ns, const char *ifname)
{
	struct dp_fl_eni key;

	STR_COPY(key.ns, ns);
	STR_COPY(key.ifname, ifname);
	return bsearch(&key, c->enis, c->n_enis, sizeof(*c->enis), cmp_eni);
}

/* The ENI of one side of a connection's labels, if a flow log covers it. */
static const struct dp_fl_eni *
find_eni_seq(const struct dp_fl_config *c, const char *ns, uint64_t side)
{
	struct dp_fl_eni key = { .seq = side }, *kp = &key;
	const struct dp_fl_eni **e = bsearch(&kp, c->by_seq, c->n_enis, sizeof(*c->by_seq),
	    cmp_seq);

	return e && strcmp((*e)->ns, ns) == 0 ? *e : NULL;
}

/* ---- Records ---- */

/* A connection's 5-tuple as the VPC sees it. */
struct fl_tuple {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
};

struct fl_rec {
	char key[160];
	char eni_id[CORE_ID_MAX];
	struct fl_tuple t;
	bool is_ingress, is_reject;
	uint64_t packets, bytes;
	int64_t start, end;
	unsigned tcp_flags;
	int traffic_path;             /* egress: 1 VPC, 4 peering, 8 internet gateway */
};

/* A flow log's records of its current window. */
struct fl_window {
	char id[CORE_ID_MAX];
	int64_t end;                  /* when the window closes */
	struct map recs;              /* key -> struct fl_rec */
	struct map lost;              /* namespaces that lost events (owned keys) */
};

/* A connection the router accepted, followed until its DESTROY event. */
struct fl_flow {
	char key[DP_NS_MAX + 16];     /* namespace and conntrack id */
	char ns[DP_NS_MAX];
	struct fl_tuple vpc;          /* client -> server inside the VPC: after
	                               * DNAT, before SNAT */
	uint64_t side[2];             /* its interfaces, in and out (see dp.h) */
	uint64_t pk[2], by[2];        /* counts already reported: original, reply */
	int64_t start;
	bool is_new;                  /* nothing reported yet */
	unsigned seen;                /* the last dump that had it */
	int missed;                   /* complete dumps in a row that did not */
};

struct fl_ns {
	char name[DP_NS_MAX];
	struct nflog_handle *log;
	struct nflog_g_handle *grp;
	struct nfct_handle *ev;       /* NEW and DESTROY events */
	struct nfct_handle *dump;
	int sock;                     /* SIOCGIFNAME inside the namespace */
	uint32_t seq;                 /* the next NFLOG sequence number */
	bool has_seq;
	bool is_dumped;               /* the last dump went through */
	/* A NAT gateway's namespace: only DESTROY events of connections
	 * still established (the kernel filters them), which are idle
	 * timeouts; counted in struct dp_flowlogs 'idle'. */
	bool is_natgw;
};

/* A NAT gateway's idle timeouts so far. */
struct fl_idle {
	char ns[DP_NS_MAX];
	uint64_t n;
};

struct dp_flowlogs {
	struct dp_config cfg;
	dp_flowlog_config_fn config_fn;
	void *arg;
	pthread_t thread;
	pthread_mutex_t lock;
	bool stopping;
	int wake[2];
	struct dp_fl_config *conf;
	struct fl_ns *ns;
	size_t n_ns;
	struct map flows;             /* key -> struct fl_flow */
	struct fl_window *wins;       /* one per flow log, parallel to conf->logs */
	size_t n_wins;
	uint64_t lost_events;
	size_t cur_ns;                /* the namespace a callback is about */
	unsigned dump;                /* dumps so far */
	uint64_t forgotten;           /* connections given up without DESTROY */
	struct map idle;              /* NAT gateway namespace -> fl_idle, under 'lock' */
};

static int64_t
now_s(void)
{
	return time_now_ms() / 1000;
}

static void
tuple_str(char *out, size_t n, const struct fl_tuple *t)
{
	snprintf(out, n, "%u|%08x|%08x|%u|%u", t->proto, t->src, t->dst, t->sport, t->dport);
}

/* Adds what one interface saw to every flow log that covers it. */
static void
observe(struct dp_flowlogs *f, const struct dp_fl_eni *eni, const struct fl_tuple *t,
    bool is_ingress, bool is_reject, uint64_t packets, uint64_t bytes, int64_t start,
    int64_t end, unsigned tcp_flags, int path)
{
	char tk[64];

	tuple_str(tk, sizeof(tk), t);
	for (size_t i = 0; i < eni->n_logs; i++) {
		const struct dp_fl_log *l = &f->conf->logs[eni->logs[i]];
		struct fl_window *w = &f->wins[eni->logs[i]];
		struct fl_rec *r;
		char key[160];

		if ((l->traffic == CORE_FL_ACCEPT && is_reject) ||
		    (l->traffic == CORE_FL_REJECT && !is_reject))
			continue;
		snprintf(key, sizeof(key), "%s|%d|%d|%s", eni->id, is_ingress, is_reject, tk);
		if ((r = map_get(&w->recs, key)) == NULL) {
			r = xcalloc(1, sizeof(*r));
			STR_COPY(r->key, key);
			STR_COPY(r->eni_id, eni->id);
			r->t = *t;
			r->is_ingress = is_ingress;
			r->is_reject = is_reject;
			r->start = start;
			map_put(&w->recs, r->key, r);
		}
		r->packets += packets;
		r->bytes += bytes;
		if (start < r->start)
			r->start = start;
		if (end > r->end)
			r->end = end;
		r->tcp_flags |= tcp_flags;
		r->traffic_path = path;
	}
}

/* The traffic path of egress towards the other side of a connection. */
static int
path_of(uint64_t other)
{
	if (other >> DP_FL_LABEL_PCX & 1)
		return 4;
	if (other >> DP_FL_LABEL_IGW & 1)
		return 8;
	return 1;
}

/* The counts of a connection since it was last reported, as records of
 * both its interfaces (the client's and the server's, where covered). */
static void
report_flow(struct dp_flowlogs *f, struct fl_flow *fl, const uint64_t pk[2],
    const uint64_t by[2], int tcp_state)
{
	const struct dp_fl_eni *client = find_eni_seq(f->conf, fl->ns, fl->side[0]);
	const struct dp_fl_eni *server = find_eni_seq(f->conf, fl->ns, fl->side[1]);
	struct fl_tuple back = { fl->vpc.dst, fl->vpc.src, fl->vpc.dport, fl->vpc.sport,
		fl->vpc.proto };
	uint64_t d[2][2] = { { pk[0] - fl->pk[0], by[0] - fl->by[0] },
		{ pk[1] - fl->pk[1], by[1] - fl->by[1] } };
	unsigned flags[2] = { 0, 0 };
	int64_t now = now_s();

	if (fl->vpc.proto == IPPROTO_TCP) {
		if (fl->is_new) {
			flags[0] |= 0x02;              /* SYN */
			flags[1] |= d[1][0] ? 0x12 : 0; /* SYN-ACK */
		}
		if (tcp_state >= TCP_CONNTRACK_FIN_WAIT && tcp_state <= TCP_CONNTRACK_TIME_WAIT)
			flags[0] |= 0x01, flags[1] |= 0x01;
		else if (tcp_state == TCP_CONNTRACK_CLOSE)
			flags[0] |= 0x04, flags[1] |= 0x04;
	}
	for (int dir = 0; dir < 2; dir++) {
		const struct fl_tuple *t = dir ? &back : &fl->vpc;

		if (d[dir][0] == 0)
			continue;
		if (client)
			observe(f, client, t, dir == 1, false, d[dir][0], d[dir][1], fl->start, now,
			    flags[dir], dir ? 0 : path_of(fl->side[1]));
		if (server)
			observe(f, server, t, dir == 0, false, d[dir][0], d[dir][1], fl->start, now,
			    flags[dir], dir ? path_of(fl->side[0]) : 0);
	}
	memcpy(fl->pk, pk, sizeof(fl->pk));
	memcpy(fl->by, by, sizeof(fl->by));
	fl->start = now;
	fl->is_new = false;
}

/* ---- Kernel input ---- */

/* A packet's tuple, total length and TCP flags. */
static bool
parse_packet(const unsigned char *p, int len, struct fl_tuple *t, uint32_t *tot,
    unsigned *flags)
{
	const struct iphdr *ip = (const struct iphdr *)p;
	size_t hl;

	if (len < (int)sizeof(*ip) || ip->version != 4)
		return false;
	hl = (size_t)ip->ihl * 4;
	memset(t, 0, sizeof(*t));
	t->src = ntohl(ip->saddr);
	t->dst = ntohl(ip->daddr);
	t->proto = ip->protocol;
	*tot = ntohs(ip->tot_len);
	*flags = 0;
	if ((t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP) && (size_t)len >= hl + 4) {
		t->sport = (uint16_t)(p[hl] << 8 | p[hl + 1]);
		t->dport = (uint16_t)(p[hl + 2] << 8 | p[hl + 3]);
	}
	if (t->proto == IPPROTO_TCP && (size_t)len > hl + 13)
		*flags = p[hl + 13] & 0x3f;
	return true;
}

static void mark_lost(struct dp_flowlogs *f, const char *ns);

/* A NAT gateway loses nothing to an overrun: it reads DESTROY events
 * only, which the kernel sends again. */
static void
drain_events(struct dp_flowlogs *f, struct fl_ns *ns)
{
	if (nfct_catch(ns->ev) < 0 && errno == ENOBUFS && !ns->is_natgw)
		mark_lost(f, ns->name);
}

static void
ifname_of(struct fl_ns *ns, uint32_t index, char out[DP_IF_MAX])
{
	struct ifreq ifr = { .ifr_ifindex = (int)index };

	out[0] = '\0';
	if (index && ioctl(ns->sock, SIOCGIFNAME, &ifr) == 0)
		str_copy(out, ifr.ifr_name, DP_IF_MAX);
}

/* A packet a network ACL or security group dropped: a REJECT record of the
 * side that refused it. */
static int
on_log(struct nflog_g_handle *gh, struct nfgenmsg *msg, struct nflog_data *nfa, void *arg)
{
	struct dp_flowlogs *f = arg;
	struct fl_ns *ns = &f->ns[f->cur_ns];
	const char *prefix = nflog_get_prefix(nfa);
	const struct dp_fl_eni *eni;
	char *payload, ifname[DP_IF_MAX];
	int len = nflog_get_payload(nfa, &payload);
	struct fl_tuple t;
	uint32_t tot, seq;
	unsigned flags;
	bool is_in;

	/* The kernel drops a message it cannot deliver without telling the
	 * socket: a gap in the sequence numbers is a loss. */
	if (nflog_get_seq(nfa, &seq) == 0) {
		if (ns->has_seq && seq != ns->seq)
			mark_lost(f, ns->name);
		ns->seq = seq + 1;
		ns->has_seq = true;
	}
	if (prefix == NULL || len <= 0 ||
	    !parse_packet((unsigned char *)payload, len, &t, &tot, &flags))
		return 0;
	is_in = strcmp(prefix, DP_FLOWLOG_REJECT_IN) == 0;
	ifname_of(ns, is_in ? nflog_get_outdev(nfa) : nflog_get_indev(nfa), ifname);
	if ((eni = find_eni(f->conf, ns->name, ifname)) != NULL)
		observe(f, eni, &t, is_in, true, 1, tot, now_s(), now_s(), flags, 0);
	return 0;
}

/* A connection's tuple as the VPC sees it: the server is the reply's
 * source (after DNAT). */
static void
ct_tuple(const struct nf_conntrack *ct, struct fl_tuple *t)
{
	t->src = ntohl(nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC));
	t->dst = ntohl(nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC));
	t->proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
	t->sport = t->dport = 0;
	if (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP) {
		t->sport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
		t->dport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
	}
}

/* The interfaces of a connection the router accepted, from its labels;
 * false for one it did not label (its own traffic, or one older than the
 * flow log). */
static bool
ct_sides(const struct nf_conntrack *ct, uint64_t side[2])
{
	const struct nfct_bitmask *b = nfct_get_attr(ct, ATTR_CONNLABELS);

	if (b == NULL || nfct_bitmask_maxbit(b) < DP_FL_LABEL_DONE ||
	    !nfct_bitmask_test_bit(b, DP_FL_LABEL_DONE))
		return false;
	side[0] = side[1] = 0;
	for (unsigned i = 0; i < DP_FL_LABEL_DONE; i++)
		if (nfct_bitmask_test_bit(b, i))
			side[i / DP_FL_LABEL_OUT] |= 1ull << (i % DP_FL_LABEL_OUT);
	return true;
}

/*
 * The connection of a conntrack entry, by its id; with 'create', a new
 * one if the router labelled the entry (not one already dying: its
 * DESTROY event may have been read already).
 */
static struct fl_flow *
flow_of(struct dp_flowlogs *f, const struct nf_conntrack *ct, bool create)
{
	const char *ns = f->ns[f->cur_ns].name;
	struct fl_flow *fl;
	char key[sizeof(fl->key)];
	uint64_t side[2];

	snprintf(key, sizeof(key), "%s|%08x", ns, nfct_get_attr_u32(ct, ATTR_ID));
	if ((fl = map_get(&f->flows, key)) != NULL || !create || !ct_sides(ct, side) ||
	    (nfct_get_attr_u32(ct, ATTR_STATUS) & IPS_DYING))
		return fl;
	fl = xcalloc(1, sizeof(*fl));
	STR_COPY(fl->key, key);
	STR_COPY(fl->ns, ns);
	ct_tuple(ct, &fl->vpc);
	memcpy(fl->side, side, sizeof(side));
	fl->is_new = true;
	fl->start = now_s();
	map_put(&f->flows, fl->key, fl);
	return fl;
}

/* What is new of a connection's counts in its entry. */
static void
ct_report(struct dp_flowlogs *f, struct fl_flow *fl, const struct nf_conntrack *ct)
{
	uint64_t pk[2], by[2];

	pk[0] = nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_PACKETS);
	by[0] = nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_BYTES);
	pk[1] = nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_PACKETS);
	by[1] = nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_BYTES);
	report_flow(f, fl, pk, by, fl->vpc.proto == IPPROTO_TCP &&
	    nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0 ? nfct_get_attr_u8(ct, ATTR_TCP_STATE) : -1);
}

/* A NEW event starts following a connection (its labels come with it,
 * not with its DESTROY event); its DESTROY event ends it.  In a NAT
 * gateway, the end of an established TCP connection is an idle timeout. */
static int
on_event(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *arg)
{
	struct dp_flowlogs *f = arg;
	struct fl_flow *fl;

	if (f->ns[f->cur_ns].is_natgw) {
		struct fl_idle *c;

		if (type != NFCT_T_DESTROY || nfct_get_attr_u8(ct, ATTR_L4PROTO) != IPPROTO_TCP ||
		    nfct_get_attr_u8(ct, ATTR_TCP_STATE) != TCP_CONNTRACK_ESTABLISHED)
			return NFCT_CB_CONTINUE;
		pthread_mutex_lock(&f->lock);
		if ((c = map_get(&f->idle, f->ns[f->cur_ns].name)) != NULL)
			c->n++;
		pthread_mutex_unlock(&f->lock);
		return NFCT_CB_CONTINUE;
	}
	fl = flow_of(f, ct, type == NFCT_T_NEW);

	if (fl && type == NFCT_T_DESTROY) {
		ct_report(f, fl, ct);
		free(map_del(&f->flows, fl->key));
	}
	return NFCT_CB_CONTINUE;
}

/* A dump: the counts so far; it also finds a connection whose NEW event
 * came before the collector watched its router. */
static int
on_dump(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *arg)
{
	struct dp_flowlogs *f = arg;
	struct fl_flow *fl = flow_of(f, ct, true);

	if (fl) {
		ct_report(f, fl, ct);
		fl->seen = f->dump;
	}
	return NFCT_CB_CONTINUE;
}

/* ---- Namespaces ---- */

static void
ns_close(struct fl_ns *ns)
{
	if (ns->log)
		nflog_close(ns->log);
	if (ns->ev)
		nfct_close(ns->ev);
	if (ns->dump)
		nfct_close(ns->dump);
	if (ns->sock >= 0)
		close(ns->sock);
	memset(ns, 0, sizeof(*ns));
	ns->sock = -1;
}

struct open_arg {
	struct dp_flowlogs *f;
	struct fl_ns *ns;
};

/* A NAT gateway's event socket gets only the ends of TCP connections
 * still established: idle timeouts (on_event() checks again). */
static int
attach_idle_filter(int fd)
{
	struct nfct_filter_proto est = { IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED };
	struct nfct_filter *flt = nfct_filter_create();
	int ret;

	if (flt == NULL)
		return -1;
	nfct_filter_add_attr_u32(flt, NFCT_FILTER_L4PROTO, IPPROTO_TCP);
	nfct_filter_add_attr(flt, NFCT_FILTER_L4PROTO_STATE, &est);
	ret = nfct_filter_attach(fd, flt);
	nfct_filter_destroy(flt);
	return ret;
}

/* Inside the namespace: every socket belongs to the namespace it is
 * opened in. */
static int
ns_open_in(void *arg)
{
	struct open_arg *a = arg;
	struct fl_ns *ns = a->ns;
	int big = 16 << 20, on = 1;

	if (ns->is_natgw) {
		if ((ns->ev = nfct_open(CONNTRACK, NF_NETLINK_CONNTRACK_DESTROY)) == NULL ||
		    attach_idle_filter(nfct_fd(ns->ev)) < 0)
			return -errno;
	} else {
		ns->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ns->log = nflog_open();
		ns->ev = nfct_open(CONNTRACK, NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_DESTROY);
		ns->dump = nfct_open(CONNTRACK, 0);
		if (ns->sock < 0 || ns->log == NULL || ns->ev == NULL || ns->dump == NULL)
			return -errno;
		nflog_unbind_pf(ns->log, AF_INET);
		if (nflog_bind_pf(ns->log, AF_INET) < 0 ||
		    (ns->grp = nflog_bind_group(ns->log, DP_FLOWLOG_GROUP)) == NULL ||
		    nflog_set_mode(ns->grp, NFULNL_COPY_PACKET, 64) < 0)
			return -errno;
		nflog_set_nlbufsiz(ns->grp, 64 << 10);
		nflog_set_flags(ns->grp, NFULNL_CFG_F_SEQ);
		nflog_set_timeout(ns->grp, 10);     /* 0.1 s */
		nflog_callback_register(ns->grp, on_log, a->f);
		nfct_callback_register(ns->dump, NFCT_T_ALL, on_dump, a->f);
		setsockopt(nflog_fd(ns->log), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
		fcntl(nflog_fd(ns->log), F_SETFL, O_NONBLOCK);
	}
	nfct_callback_register(ns->ev, NFCT_T_NEW | NFCT_T_DESTROY, on_event, a->f);
	setsockopt(nfct_fd(ns->ev), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	/* Reliable DESTROY events: the kernel keeps a connection whose event
	 * did not fit and sends it again.  A NEW event that did not fit is
	 * lost (ENOBUFS): SKIPDATA. */
	setsockopt(nfct_fd(ns->ev), SOL_NETLINK, NETLINK_BROADCAST_ERROR, &on, sizeof(on));
	fcntl(nfct_fd(ns->ev), F_SETFL, O_NONBLOCK);
	return 0;
}

/* Whether the configuration wants namespace 'name' watched. */
static bool
is_wanted(const struct dp_fl_config *c, const char *name)
{
	for (size_t j = 0; j < c->n_ns; j++)
		if (strcmp(c->ns[j], name) == 0)
			return true;
	for (size_t j = 0; j < c->n_gw_ns; j++)
		if (strcmp(c->gw_ns[j], name) == 0)
			return true;
	return false;
}

/* Starts watching a namespace, if it exists and is not watched yet. */
static void
watch(struct dp_flowlogs *f, const char *name, bool is_natgw)
{
	struct open_arg a = { f, NULL };

	for (size_t i = 0; i < f->n_ns; i++)
		if (strcmp(f->ns[i].name, name) == 0)
			return;
	if (!dp_ns_exists(name))
		return;
	a.ns = PUSH(f->ns, f->n_ns);
	a.ns->sock = -1;
	a.ns->is_natgw = is_natgw;
	STR_COPY(a.ns->name, name);
	if (dp_ns_run(name, ns_open_in, &a)) {
		log_warnx("flow logs: cannot watch %s: %s", name, strerror(errno));
		ns_close(a.ns);
		f->n_ns--;
	} else if (is_natgw) {
		struct fl_idle *c = xcalloc(1, sizeof(*c));

		STR_COPY(c->ns, name);
		pthread_mutex_lock(&f->lock);
		map_put(&f->idle, c->ns, c);
		pthread_mutex_unlock(&f->lock);
	}
}

/* Watches exactly the namespaces of the configuration. */
static void
sync_ns(struct dp_flowlogs *f)
{
	size_t k = 0;
	const char *key;
	void *v;

	for (size_t i = 0; i < f->n_ns; i++) {
		if (is_wanted(f->conf, f->ns[i].name) && dp_ns_exists(f->ns[i].name)) {
			f->ns[k++] = f->ns[i];
			continue;
		}
		pthread_mutex_lock(&f->lock);
		free(map_del(&f->idle, f->ns[i].name));
		pthread_mutex_unlock(&f->lock);
		ns_close(&f->ns[i]);
	}
	f->n_ns = k;
	for (size_t j = 0; j < f->conf->n_ns; j++)
		watch(f, f->conf->ns[j], false);
	for (size_t j = 0; j < f->conf->n_gw_ns; j++)
		watch(f, f->conf->gw_ns[j], true);
	/* Connections of a namespace no longer watched are forgotten. */
	for (size_t i = 0; map_next(&f->flows, &i, &key, &v);) {
		bool watched = false;

		for (size_t j = 0; j < f->n_ns && !watched; j++)
			watched = strcmp(f->ns[j].name, ((struct fl_flow *)v)->ns) == 0;
		if (!watched)
			free(map_del(&f->flows, key));
	}
}

/* ---- Writing ---- */

static int
mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static void
put_ip(struct buf *b, uint32_t ip)
{
	char s[16];

	core_ip_format(ip, s);
	buf_puts(b, s);
}

/* One record as a line of the flow log's format. */
static void
format_rec(struct buf *b, const struct dp_fl_config *c, const struct dp_fl_log *l,
    const struct dp_fl_eni *eni, const struct fl_rec *r, const char *status,
    int64_t start, int64_t end)
{
	bool is_data = r != NULL;

	for (int i = 0; i < l->n_fields; i++) {
		if (i)
			buf_putc(b, ' ');
		switch (l->fields[i]) {
		case CORE_FL_F_VERSION: buf_printf(b, "%d", l->version); break;
		case CORE_FL_F_ACCOUNT_ID: buf_puts(b, eni->owner); break;
		case CORE_FL_F_INTERFACE_ID: buf_puts(b, eni->id); break;
		case CORE_FL_F_START: buf_printf(b, "%lld", (long long)start); break;
		case CORE_FL_F_END: buf_printf(b, "%lld", (long long)end); break;
		case CORE_FL_F_LOG_STATUS: buf_puts(b, status); break;
		case CORE_FL_F_VPC_ID: buf_puts(b, eni->vpc_id); break;
		case CORE_FL_F_SUBNET_ID: buf_puts(b, eni->subnet_id); break;
		case CORE_FL_F_INSTANCE_ID: buf_puts(b, eni->instance_id[0] ? eni->instance_id : "-"); break;
		case CORE_FL_F_REGION: buf_puts(b, c->region); break;
		case CORE_FL_F_AZ_ID: buf_puts(b, eni->az_id[0] ? eni->az_id : "-"); break;
		case CORE_FL_F_SRCADDR:
		case CORE_FL_F_PKT_SRCADDR:
			is_data ? put_ip(b, r->t.src) : buf_putc(b, '-');
			break;
		case CORE_FL_F_DSTADDR:
		case CORE_FL_F_PKT_DSTADDR:
			is_data ? put_ip(b, r->t.dst) : buf_putc(b, '-');
			break;
		case CORE_FL_F_SRCPORT: is_data ? buf_printf(b, "%u", r->t.sport) : buf_putc(b, '-'); break;
		case CORE_FL_F_DSTPORT: is_data ? buf_printf(b, "%u", r->t.dport) : buf_putc(b, '-'); break;
		case CORE_FL_F_PROTOCOL: is_data ? buf_printf(b, "%u", r->t.proto) : buf_putc(b, '-'); break;
		case CORE_FL_F_PACKETS:
			is_data ? buf_printf(b, "%llu", (unsigned long long)r->packets) : buf_putc(b, '-');
			break;
		case CORE_FL_F_BYTES:
			is_data ? buf_printf(b, "%llu", (unsigned long long)r->bytes) : buf_putc(b, '-');
			break;
		case CORE_FL_F_ACTION:
			buf_puts(b, !is_data ? "-" : r->is_reject ? "REJECT" : "ACCEPT");
			break;
		case CORE_FL_F_TCP_FLAGS: is_data ? buf_printf(b, "%u", r->tcp_flags) : buf_putc(b, '-'); break;
		case CORE_FL_F_TYPE: buf_puts(b, is_data ? "IPv4" : "-"); break;
		case CORE_FL_F_FLOW_DIRECTION:
			buf_puts(b, !is_data ? "-" : r->is_ingress ? "ingress" : "egress");
			break;
		case CORE_FL_F_TRAFFIC_PATH:
			is_data && r->traffic_path ? buf_printf(b, "%d", r->traffic_path) :
			    buf_putc(b, '-');
			break;
		default:
			buf_putc(b, '-');
			break;
		}
	}
	buf_putc(b, '\n');
}

static int
cmp_rec(const void *a, const void *b)
{
	const struct fl_rec *x = *(const struct fl_rec *const *)a, *y = *(const struct fl_rec *const *)b;
	int c = strcmp(x->eni_id, y->eni_id);

	if (c == 0)
		c = x->start < y->start ? -1 : x->start > y->start;
	return c ? c : strcmp(x->key, y->key);
}

static const char *
stream_suffix(enum core_fl_traffic t)
{
	return t == CORE_FL_ACCEPT ? "accept" : t == CORE_FL_REJECT ? "reject" : "all";
}

static void
write_file(const char *path, const char *data, size_t len, bool append)
{
	FILE *fp = fopen(path, append ? "ae" : "we");

	if (fp == NULL || fwrite(data, 1, len, fp) != len)
		log_warnx("flow logs: cannot write %s: %s", path, strerror(errno));
	if (fp)
		fclose(fp);
}

/* The account of a flow log: its interfaces' owner. */
static const char *
log_account(const struct dp_fl_config *c, size_t li)
{
	for (size_t e = 0; e < c->n_enis; e++)
		for (size_t i = 0; i < c->enis[e].n_logs; i++)
			if (c->enis[e].logs[i] == li)
				return c->enis[e].owner;
	return NULL;
}

/* An S3 object's key below the bucket[/prefix] directory 'dir', as AWS
 * names it: .../AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD[/HH]/
 * <account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz
 * (or the Hive-compatible partitions). */
static char *
s3_key(const struct dp_fl_config *c, const struct dp_fl_log *l, const char *dir,
    const char *acct, int64_t end)
{
	time_t t = (time_t)end;
	struct tm tm;
	char stamp[32], hour[16] = "";
	struct buf b;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%MZ", &tm);
	buf_init(&b);
	if (l->is_per_hour)
		snprintf(hour, sizeof(hour), l->is_hive ? "/hour=%02d" : "/%02d", tm.tm_hour);
	if (l->is_hive)
		buf_printf(&b, "%s/AWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/"
		    "year=%04d/month=%02d/day=%02d%s", dir, acct, c->region, tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, hour);
	else
		buf_printf(&b, "%s/AWSLogs/%s/vpcflowlogs/%s/%04d/%02d/%02d%s", dir, acct,
		    c->region, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, hour);
	buf_printf(&b, "/%s_vpcflowlogs_%s_%s_%s_%08x.log.gz", acct, c->region, l->id, stamp,
	    (unsigned)(hash_str(l->id) ^ (uint64_t)end));
	return buf_steal(&b);
}

static void
write_gz(const char *path, const struct buf *data)
{
	char *dir = xstrdup(path), *tmp = xasprintf("%s.tmp", path);
	gzFile gz;

	*strrchr(dir, '/') = '\0';
	if (mkdirs(dir) || (gz = gzopen(tmp, "wb")) == NULL) {
		log_warnx("flow logs: cannot write %s: %s", path, strerror(errno));
	} else {
		if (gzwrite(gz, data->data, (unsigned)data->len) != (int)data->len)
			log_warnx("flow logs: cannot write %s", tmp);
		gzclose(gz);
		/* Readers see whole objects only. */
		if (rename(tmp, path) < 0)
			log_warnx("flow logs: cannot rename %s: %s", tmp, strerror(errno));
	}
	free(dir);
	free(tmp);
}

/* The window's records of one flow log, and NODATA (or SKIPDATA, if its
 * router lost events) for each covered interface that has none. */
static void
flush_window(struct dp_flowlogs *f, size_t li, int64_t start, int64_t end)
{
	const struct dp_fl_log *l = &f->conf->logs[li];
	struct fl_window *w = &f->wins[li];
	const char *acct = log_account(f->conf, li), *k;
	struct fl_rec **recs = NULL;
	size_t n = 0;
	struct buf out;
	char dir[1024];
	void *v;

	if (acct == NULL)
		return;
	for (size_t i = 0; map_next(&w->recs, &i, &k, &v);)
		*PUSH(recs, n) = v;
	qsort(recs, n, sizeof(*recs), cmp_rec);
	buf_init(&out);
	snprintf(dir, sizeof(dir), "%s/flowlogs/%s", f->cfg.data_dir, l->root);
	if (l->is_s3) {
		for (int i = 0; i < l->n_fields; i++)
			buf_printf(&out, "%s%s", i ? " " : "", core_fl_field_name(l->fields[i]));
		buf_putc(&out, '\n');
	} else if (mkdirs(dir)) {
		log_warnx("flow logs: cannot create %s: %s", dir, strerror(errno));
	}
	for (size_t e = 0, r = 0; e < f->conf->n_enis; e++) {
		const struct dp_fl_eni *eni = &f->conf->enis[e];
		bool covered = false, any = false;
		size_t mark = out.len;

		for (size_t i = 0; i < eni->n_logs; i++)
			covered |= eni->logs[i] == li;
		if (!covered)
			continue;
		/* recs are sorted by interface id; interfaces by namespace. */
		for (r = 0; r < n; r++)
			if (strcmp(recs[r]->eni_id, eni->id) == 0) {
				format_rec(&out, f->conf, l, eni, recs[r], "OK", recs[r]->start,
				    recs[r]->end);
				any = true;
			}
		if (!any)
			format_rec(&out, f->conf, l, eni, NULL,
			    map_get(&w->lost, eni->ns) ? "SKIPDATA" : "NODATA", start, end);
		if (!l->is_s3) {
			char *file = xasprintf("%s/%s-%s", dir, eni->id, stream_suffix(l->traffic));

			write_file(file, out.data + mark, out.len - mark, true);
			free(file);
		}
	}
	if (l->is_s3) {
		char *key = s3_key(f->conf, l, dir, acct, end);

		write_gz(key, &out);
		free(key);
	}
	free(recs);
	buf_fini(&out);
}

static void
window_clear(struct fl_window *w)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&w->recs, &i, &k, &v);)
		free(v);
	for (size_t i = 0; map_next(&w->lost, &i, &k, &v);)
		free(v);
	map_fini(&w->recs);
	map_fini(&w->lost);
	map_init(&w->recs);
	map_init(&w->lost);
}

static void
window_free(struct fl_window *w)
{
	window_clear(w);
	map_fini(&w->recs);
	map_fini(&w->lost);
}

/* Windows follow the configuration: a flow log keeps its window while it
 * exists; a new one starts a window aligned to its interval. */
static void
sync_windows(struct dp_flowlogs *f, const struct dp_fl_config *old)
{
	struct fl_window *wins = xcalloc(f->conf->n_logs + 1, sizeof(*wins));
	int64_t now = now_s();

	for (size_t i = 0; i < f->conf->n_logs; i++) {
		const struct dp_fl_log *l = &f->conf->logs[i];
		size_t j = 0;

		while (old && j < old->n_logs && j < f->n_wins &&
		    !(strcmp(old->logs[j].id, l->id) == 0 &&
		    old->logs[j].interval_s == l->interval_s && f->wins[j].id[0]))
			j++;
		if (old && j < old->n_logs && j < f->n_wins) {
			wins[i] = f->wins[j];
			f->wins[j].id[0] = '\0';
			continue;
		}
		STR_COPY(wins[i].id, l->id);
		wins[i].end = (now / l->interval_s + 1) * l->interval_s;
		map_init(&wins[i].recs);
		map_init(&wins[i].lost);
	}
	for (size_t j = 0; j < f->n_wins; j++)
		if (f->wins[j].id[0])
			window_free(&f->wins[j]);
	free(f->wins);
	f->wins = wins;
	f->n_wins = f->conf->n_logs;
}

/* Events were lost in a namespace: every open window reports SKIPDATA for
 * its interfaces there. */
static void
mark_lost(struct dp_flowlogs *f, const char *ns)
{
	__atomic_fetch_add(&f->lost_events, 1, __ATOMIC_RELAXED);
	for (size_t i = 0; i < f->n_wins; i++)
		if (!map_get(&f->wins[i].lost, ns)) {
			char *key = xstrdup(ns);

			map_put(&f->wins[i].lost, key, key);
		}
}

/* ---- The thread ---- */

/* The counts so far of every followed connection (a dump per namespace,
 * after the events already queued). */
static void
poll_counts(struct dp_flowlogs *f)
{
	uint32_t family = AF_INET;
	const char *k;
	void *v;

	f->dump++;
	for (size_t i = 0; i < f->n_ns; i++) {
		f->cur_ns = i;
		drain_events(f, &f->ns[i]);
		/* A dump of a table that changes meanwhile may be cut short. */
		f->ns[i].is_dumped = f->ns[i].dump &&
		    nfct_query(f->ns[i].dump, NFCT_Q_DUMP, &family) == 0;
	}
	/* A connection absent from FL_GIVE_UP complete dumps in a row is gone
	 * without a DESTROY event, which should not happen: the memory is
	 * freed.  The kernel sends an event it could not deliver at once
	 * later: give it time. */
	for (size_t i = 0; map_next(&f->flows, &i, &k, &v);) {
		struct fl_flow *fl = v;
		bool is_complete = false;

		for (size_t j = 0; j < f->n_ns && !is_complete; j++)
			is_complete = f->ns[j].is_dumped && strcmp(f->ns[j].name, fl->ns) == 0;
		if (fl->seen == f->dump || !is_complete)
			fl->missed = 0;
		else if (++fl->missed >= FL_GIVE_UP) {
			f->forgotten++;
			free(map_del(&f->flows, k));
		}
	}
	log_debug("flow logs: dump %u, %zu connections followed, %llu given up, %llu lost events",
	    f->dump, f->flows.count, (unsigned long long)f->forgotten,
	    (unsigned long long)f->lost_events);
}

static void
drain(struct dp_flowlogs *f, size_t i)
{
	struct fl_ns *ns = &f->ns[i];
	char buf[65536];
	ssize_t n;

	f->cur_ns = i;
	drain_events(f, ns);
	while (ns->log && (n = recv(nflog_fd(ns->log), buf, sizeof(buf), 0)) != 0) {
		if (n < 0) {
			if (errno != ENOBUFS)
				break;
			mark_lost(f, ns->name);
			continue;
		}
		nflog_handle_packet(ns->log, buf, (int)n);
	}
}

static void
refresh(struct dp_flowlogs *f)
{
	struct dp_fl_config *c = f->config_fn(f->arg), *old = f->conf;
	bool is_new_log = false;

	if (c == NULL)
		return;
	for (size_t i = 0; old && i < c->n_logs && !is_new_log; i++) {
		size_t j = 0;

		while (j < old->n_logs && strcmp(old->logs[j].id, c->logs[i].id) != 0)
			j++;
		is_new_log = j == old->n_logs;
	}
	/* A new flow log starts with what comes after it: the counts so far
	 * go to the windows open now (or nowhere). */
	if (is_new_log)
		poll_counts(f);
	f->conf = c;
	sync_windows(f, old);
	sync_ns(f);
	dp_flowlog_config_free(old);
}

static void *
flowlog_main(void *arg)
{
	struct dp_flowlogs *f = arg;
	int64_t next_refresh = 0;

	for (;;) {
		struct pollfd *pfd;
		size_t np = 0;
		int64_t now = now_s();
		bool stopping;

		pthread_mutex_lock(&f->lock);
		stopping = f->stopping;
		pthread_mutex_unlock(&f->lock);
		if (stopping)
			break;
		if (now >= next_refresh) {
			refresh(f);
			next_refresh = now + 1;
		}
		/* Windows that ended: the counts so far, then write. */
		for (size_t li = 0, polled = 0; f->conf && li < f->n_wins; li++) {
			struct fl_window *w = &f->wins[li];
			int iv = f->conf->logs[li].interval_s;

			if (now < w->end)
				continue;
			if (!polled++)
				poll_counts(f);
			flush_window(f, li, w->end - iv, w->end);
			window_clear(w);
			w->end = (now / iv + 1) * iv;
		}
		/* The wake pipe, then two sockets per namespace (a NAT gateway
		 * has no NFLOG socket: -1, which poll() skips). */
		pfd = xcalloc(1 + 2 * f->n_ns, sizeof(*pfd));
		pfd[np++] = (struct pollfd){ .fd = f->wake[0], .events = POLLIN };
		for (size_t i = 0; i < f->n_ns; i++) {
			pfd[np++] = (struct pollfd){ .fd = f->ns[i].log ? nflog_fd(f->ns[i].log) : -1,
				.events = POLLIN };
			pfd[np++] = (struct pollfd){ .fd = nfct_fd(f->ns[i].ev), .events = POLLIN };
		}
		if (poll(pfd, np, 200) > 0) {
			char b[64];

			while (pfd[0].revents && read(f->wake[0], b, sizeof(b)) > 0)
				;
			for (size_t i = 0; i < f->n_ns; i++)
				if (pfd[1 + 2 * i].revents || pfd[2 + 2 * i].revents)
					drain(f, i);
		}
		free(pfd);
	}
	return NULL;
}

struct dp_flowlogs *
dp_flowlogs_new(const struct dp_config *cfg, dp_flowlog_config_fn config_fn, void *arg)
{
	struct dp_flowlogs *f = xcalloc(1, sizeof(*f));

	f->cfg = *cfg;
	f->config_fn = config_fn;
	f->arg = arg;
	map_init(&f->flows);
	map_init(&f->idle);
	pthread_mutex_init(&f->lock, NULL);
	if (pipe2(f->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		fatal("pipe2");
	return f;
}

void
dp_flowlogs_start(struct dp_flowlogs *f)
{
	if (pthread_create(&f->thread, NULL, flowlog_main, f) != 0)
		fatal("pthread_create");
}

void
dp_flowlogs_stop(struct dp_flowlogs *f)
{
	if (f == NULL || !f->thread)
		return;
	pthread_mutex_lock(&f->lock);
	f->stopping = true;
	pthread_mutex_unlock(&f->lock);
	if (write(f->wake[1], "x", 1) < 0)
		log_warn("flow logs: wake");
	pthread_join(f->thread, NULL);
	f->thread = 0;
}

void
dp_flowlogs_free(struct dp_flowlogs *f)
{
	const char *k;
	void *v;

	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n_ns; i++)
		ns_close(&f->ns[i]);
	free(f->ns);
	for (size_t i = 0; map_next(&f->flows, &i, &k, &v);)
		free(v);
	map_fini(&f->flows);
	for (size_t i = 0; map_next(&f->idle, &i, &k, &v);)
		free(v);
	map_fini(&f->idle);
	for (size_t j = 0; j < f->n_wins; j++)
		window_free(&f->wins[j]);
	free(f->wins);
	dp_flowlog_config_free(f->conf);
	close(f->wake[0]);
	close(f->wake[1]);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

uint64_t
dp_flowlogs_lost(struct dp_flowlogs *f)
{
	return f ? __atomic_load_n(&f->lost_events, __ATOMIC_RELAXED) : 0;
}

uint64_t
dp_flowlogs_idle_timeouts(struct dp_flowlogs *f, const char *natgw_id)
{
	char ns[DP_NS_MAX];
	const struct fl_idle *c;
	uint64_t n = 0;

	if (f == NULL)
		return 0;
	dp_natgw_ns(&f->cfg, natgw_id, ns);
	pthread_mutex_lock(&f->lock);
	if ((c = map_get(&f->idle, ns)) != NULL)
		n = c->n;
	pthread_mutex_unlock(&f->lock);
	return n;
}
