/*
 * dp: the Linux data plane.
 *
 * The reconcile contract:
 *  - plan is pure: a model snapshot in, a struct dp_plan out.  The plan is
 *    the complete kernel state this daemon wants: network namespaces, veth
 *    links, addresses, routes, policy rules, sysctls, one nftables table
 *    per namespace that needs one, and the instance boots to run.  It does
 *    no I/O and can be golden-tested without root (dp_plan_dump).
 *  - observe reads the kernel into the same shape, limited to what this
 *    daemon owns (its namespaces carry its tag; see below).
 *  - diff sorts both sides by key and merges them into operations;
 *    apply performs them: netlink in process (libnl-route), each nftables
 *    table as one atomic transaction (libnftables), never forking ip/nft.
 *  - After a restart the daemon reconciles before it serves: nothing that
 *    is already right is rebuilt, leftovers of this daemon are removed,
 *    nothing of another daemon is touched, established connections live on.
 *  - Periodically, and after every commit, it reconciles again; drift (a
 *    deleted link, a flushed table, a removed route) is repaired and logged.
 *  - The reachability analyzer (later) evaluates the same plan, so what is
 *    analysed is what is installed.
 *
 * Names.  Every object vpcd creates is recognisable as its own:
 *  - a VPC's router namespace is "vpcd-<tag>-<vpc-id>", a NAT gateway's
 *    "vpcd-<tag>-<nat-id>", the simulated internet's edge router
 *    "vpcd-<tag>-edge" and its host "vpcd-<tag>-inet";
 *  - an instance's namespace is named after the instance id ("i-..."), so
 *    that `ip netns exec i-... CMD` works; it holds a marker link named
 *    "vpcd-<tag>" (a dummy link, or an ifb link on kernels without the
 *    dummy driver) that marks it as this daemon's;
 *  - <tag> is 6 hex digits derived from the data directory, so two daemons
 *    with different data directories never share a name.
 */
#ifndef VPCD_DP_H
#define VPCD_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define DP_NS_MAX 64     /* namespace names */
#define DP_IF_MAX 16     /* interface names, IFNAMSIZ */

struct dp_config {
	char tag[8];                 /* 6 hex digits */
	char data_dir[512];
	struct core_cidr internet;   /* the simulated internet's hosts: 203.0.113.0/24 */
	char run_as[32];             /* user that runs instance user data ("nobody") */
	unsigned nat_idle_timeout;   /* seconds a NAT gateway keeps an idle connection (350) */
	unsigned flowlog_window;     /* seconds of every flow log's window; 0: its
	                              * MaxAggregationInterval (tests shorten it) */
};

enum dp_ns_kind {
	DP_NS_ROUTER,     /* one per VPC: the VPC router */
	DP_NS_INSTANCE,   /* one per instance that is not terminated */
	DP_NS_EDGE,       /* the simulated internet's router */
	DP_NS_INTERNET,   /* the simulated internet's host (vpcctl internet) */
	DP_NS_NATGW,      /* one per NAT gateway that is pending or available */
};

struct dp_ns {
	char name[DP_NS_MAX];
	enum dp_ns_kind kind;
	char owner_id[CORE_ID_MAX];  /* the VPC, instance or NAT gateway it stands for */
};

/* A veth pair; end [0] and end [1] each in a namespace. */
struct dp_link {
	char ns[2][DP_NS_MAX];
	char name[2][DP_IF_MAX];
	char mac[2][18];             /* "" lets the kernel choose */
	bool is_up[2];
};

struct dp_addr {
	char ns[DP_NS_MAX];
	char dev[DP_IF_MAX];
	uint32_t addr;               /* host byte order */
	uint8_t plen;
};

enum dp_route_type {
	DP_ROUTE_UNICAST,
	DP_ROUTE_BLACKHOLE,
	DP_ROUTE_THROW,          /* continue with the next policy rule */
	DP_ROUTE_UNREACHABLE,
};

struct dp_route {
	char ns[DP_NS_MAX];
	uint32_t table;              /* 254 = main */
	uint32_t dst;
	uint8_t plen;
	enum dp_route_type type;
	uint32_t gw;                 /* 0: none (on-link via dev) */
	char dev[DP_IF_MAX];         /* "" for non-unicast types */
	bool is_onlink;              /* the gateway is on 'dev' whatever the tables say */
};

/* A policy routing rule: packets with (mark & mask) == mark use 'table'
 * (mask 0 matches every packet). */
struct dp_rule {
	char ns[DP_NS_MAX];
	uint32_t prio;
	uint32_t mark;
	uint32_t mask;
	uint32_t table;
	enum dp_route_type action;   /* UNICAST = lookup 'table'; UNREACHABLE = refuse */
};

struct dp_sysctl {
	char ns[DP_NS_MAX];
	char key[96];                /* below /proc/sys, e.g. "net/ipv4/ip_forward" */
	char value[16];
};

/* One nftables table, changed in one transaction. */
struct dp_nft {
	char ns[DP_NS_MAX];
	char *text;                  /* "table inet vpcd { ... }" */
	char hash[17];               /* of 'text', kept in the table */
};

/* An instance boot to run: its user data, once per boot. */
struct dp_boot {
	char ns[DP_NS_MAX];
	char instance_id[CORE_ID_MAX];
	unsigned boot;               /* increments at every start */
	char *script;                /* decoded user data; NULL: nothing to run */
};

/* Every instance not yet terminated and every NAT gateway on its way in
 * or out, with its state: the reconciler moves an instance from pending to
 * running, stopping to stopped and shutting-down to terminated, and a NAT
 * gateway from pending to available and deleting to deleted, once the
 * kernel agrees. */
struct dp_state {
	char id[CORE_ID_MAX];
	enum core_type type;         /* CORE_INSTANCE or CORE_NATGW */
	int state;                   /* enum core_instance_state or core_natgw_state */
};

struct dp_plan {
	struct arena arena;          /* everything below lives in it */
	struct dp_ns *ns;
	size_t n_ns;
	struct dp_link *links;
	size_t n_links;
	struct dp_addr *addrs;
	size_t n_addrs;
	struct dp_route *routes;
	size_t n_routes;
	struct dp_rule *rules;
	size_t n_rules;
	struct dp_sysctl *sysctls;
	size_t n_sysctls;
	struct dp_nft *nft;
	size_t n_nft;
	struct dp_boot *boots;
	size_t n_boots;
	struct dp_state *states;
	size_t n_states;
};

/* The plan (dp_plan.c): pure. */
struct dp_plan *dp_plan_build(const struct core_model *m, const struct dp_config *cfg);
void dp_plan_free(struct dp_plan *p);
/* Sorts every list by its key (plans are built sorted; observations not). */
void dp_plan_sort(struct dp_plan *p);
/* The key orders: two objects with the same key are the same object. */
int dp_cmp_ns(const void *a, const void *b);
int dp_cmp_link(const void *a, const void *b);
int dp_cmp_addr(const void *a, const void *b);
int dp_cmp_route(const void *a, const void *b);
int dp_cmp_rule(const void *a, const void *b);
int dp_cmp_sysctl(const void *a, const void *b);
int dp_cmp_nft(const void *a, const void *b);
/* A stable text form, one object per line, for golden tests and logs. */
void dp_plan_dump(const struct dp_plan *p, struct buf *out);

/* The nftables table of a VPC's router namespace (dp_nft.c): pure and
 * deterministic; the text lives in 'a'. */
char *dp_nft_compile(const struct core_model *m, const struct core_vpc *vpc,
    struct arena *a);
/* 16 hex digits identifying 'text' (kept in the table, see dp_nft.h). */
void dp_nft_hash(const char *text, char out[17]);
/* Any table of vpcd's: dp_nft_begin() starts its text in 'b' (with the
 * set that carries the hash), the caller adds chains, dp_nft_end() closes
 * it, stamps the hash in and returns the text, in 'a'. */
void dp_nft_begin(struct buf *b);
char *dp_nft_end(struct buf *b, struct arena *a, char hash[17]);

/* Names (dp_names.c). */
void dp_config_init(struct dp_config *cfg, const char *data_dir);
void dp_router_ns(const struct dp_config *cfg, const char *vpc_id, char out[DP_NS_MAX]);
void dp_edge_ns(const struct dp_config *cfg, char out[DP_NS_MAX]);
void dp_internet_ns(const struct dp_config *cfg, char out[DP_NS_MAX]);
void dp_natgw_ns(const struct dp_config *cfg, const char *natgw_id, char out[DP_NS_MAX]);
/* The router-side interface of an ENI: "e" + its id's last 12 hex digits. */
void dp_eni_ifname(const char *eni_id, char out[DP_IF_MAX]);
/* Both ends of a peering connection's link: "p" + its id's last 12 hex
 * digits, in each VPC's router; the address of end 'side' (0 requester,
 * 1 accepter), a /32 the other end routes through. */
void dp_pcx_ifname(const char *pcx_id, char out[DP_IF_MAX]);
uint32_t dp_pcx_addr(const struct core_pcx *pcx, int side);
/* The edge-side interface of a VPC's internet gateway link. */
void dp_igw_edge_ifname(const char *vpc_id, char out[DP_IF_MAX]);
/* The ownership marker link in an instance namespace: "vpcd-<tag>". */
void dp_marker_ifname(const struct dp_config *cfg, char out[DP_IF_MAX]);

/*
 * Routing in a router namespace.  When every subnet of the VPC uses one
 * route table and none of its routes is more specific than "local"
 * (dp_vpc_single_rtb), the kernel's main table holds it all: a /32 per
 * ENI address, the route table's routes, "local" as unreachable (an
 * address of the VPC that no ENI has) and unreachable for the rest; no
 * routing rule at all, so the kernel keeps its one-lookup fast path (any
 * rule costs ~5% of the connection rate).  Otherwise policy routing: one
 * kernel table per VPC route table, chosen by the packet mark the
 * nftables prerouting chain sets from the arriving interface's subnet;
 * "local" routes throw to the ENI table (and packets to the VPC's own
 * addresses carry no mark unless the route table has a route more
 * specific than "local").  A namespace that once had rules keeps the
 * slower path (the kernel never merges its tables back).
 */
#define DP_TABLE_ENI 200          /* policy routing: a /32 per ENI address */
#define DP_TABLE_MAIN 254         /* one route table: everything */
#define DP_TABLE_RTB_BASE 1000    /* + the route table's seq number */
#define DP_RULE_PRIO_RTB 100
#define DP_RULE_PRIO_ENI 200
#define DP_RULE_PRIO_END 300      /* unreachable: nothing falls to main */
#define DP_IGW_ROUTER 0xa9feff01u /* 169.254.255.1/32 on igw0: no connected route */
#define DP_IGW_EDGE 0xa9feff02u   /* 169.254.255.2/30 on the edge side */
uint32_t dp_rtb_table(const struct core_rtb *rtb);
/* Whether a route table sends some of the VPC's own addresses elsewhere
 * than "local" (a route more specific than a VPC block). */
bool dp_rtb_overrides_local(const struct core_rtb *rtb, const struct core_vpc *vpc);
/* The one route table all of the VPC's subnets use (its main table if it
 * has none), if the main kernel table can hold it; else NULL. */
const struct core_rtb *dp_vpc_single_rtb(const struct core_model *m,
    const struct core_vpc *vpc);

/*
 * Flow logs.  A router whose VPC has a flow log (on itself, a subnet or an
 * interface) counts bytes and packets per connection (nf_conntrack_acct).
 * Its chain "flowlog", after the forward chain's verdict, writes into the
 * conntrack labels of every accepted new connection the interfaces it
 * came in and goes out by: the in side in bits 0-63, the out side from
 * DP_FL_LABEL_OUT, each an ENI's seq (bits 0-60), or bit DP_FL_LABEL_PCX
 * (a peering link) or DP_FL_LABEL_IGW (the internet gateway); bit
 * DP_FL_LABEL_DONE says a connection has them (the first pass wins where
 * a packet crosses the router twice).  The collector reads them from the
 * connection's NEW event (or a dump of the table).  Every packet a
 * network ACL or security group drops goes to NFLOG group
 * DP_FLOWLOG_GROUP with a prefix that says which side refused it: the
 * sender's (its egress ACL or groups) or the receiver's.
 */
#define DP_FL_LABEL_OUT 64
#define DP_FL_LABEL_PCX 61
#define DP_FL_LABEL_IGW 62
#define DP_FL_LABEL_DONE 127
#define DP_FLOWLOG_GROUP 1
#define DP_FLOWLOG_GROUP_STR "1"
#define DP_FLOWLOG_REJECT_OUT "vpcd reject out"
#define DP_FLOWLOG_REJECT_IN "vpcd reject in"
bool dp_vpc_has_flowlogs(const struct core_model *m, const struct core_vpc *vpc);
/* What the collector needs to know of the flow logs and the interfaces
 * they cover, built from the model (pure). */
struct dp_fl_config;
struct dp_fl_config *dp_flowlog_config(const struct core_model *m,
    const struct dp_config *cfg);
void dp_flowlog_config_free(struct dp_fl_config *c);
/* The collector (dp_flowlog.c): one thread; it asks for the configuration
 * once a second and writes under <data-dir>/flowlogs. */
typedef struct dp_fl_config *(*dp_flowlog_config_fn)(void *arg);
struct dp_flowlogs;
struct dp_flowlogs *dp_flowlogs_new(const struct dp_config *cfg,
    dp_flowlog_config_fn config_fn, void *arg);
void dp_flowlogs_start(struct dp_flowlogs *f);
void dp_flowlogs_stop(struct dp_flowlogs *f);
void dp_flowlogs_free(struct dp_flowlogs *f);
/* Netlink messages the kernel could not deliver (each makes SKIPDATA). */
uint64_t dp_flowlogs_lost(struct dp_flowlogs *f);
/* The same thread watches every available NAT gateway's connection table
 * for TCP connections that end while established (the idle timeout): how
 * many since vpcd watches it. */
uint64_t dp_flowlogs_idle_timeouts(struct dp_flowlogs *f, const char *natgw_id);

/*
 * A NAT gateway's named nftables counters (see plan_natgw()): name and
 * what it counts.
 */
#define DP_NATGW_COUNTERS(X)                                                        \
	X(IN_FROM_SOURCE, "in_from_source", "received from clients in the VPC")     \
	X(IN_FROM_DESTINATION, "in_from_destination", "received from destinations") \
	X(OUT_TO_DESTINATION, "out_to_destination", "sent to destinations")         \
	X(OUT_TO_SOURCE, "out_to_source", "sent to clients")                        \
	X(ATTEMPTS, "attempts", "first packets of new connections")                 \
	X(ESTABLISHED, "established", "first replies of connections")               \
	X(DROPPED, "dropped", "packets dropped (invalid or unsolicited)")
enum dp_natgw_counter {
#define X(e, name, doc) DP_NATGW_##e,
	DP_NATGW_COUNTERS(X)
#undef X
	DP_NATGW_N_COUNTERS
};

/* What /metrics shows of a NAT gateway, read from its namespace
 * (dp_stats.c). */
struct dp_natgw_stats {
	uint64_t packets[DP_NATGW_N_COUNTERS];
	uint64_t bytes[DP_NATGW_N_COUNTERS];
	uint64_t active;          /* TCP connections in state established */
	uint64_t insert_failed;   /* new connections that found no free port */
};
int dp_natgw_stats(const struct dp_config *cfg, const char *natgw_id,
    struct dp_natgw_stats *out);
/* A VPC router's: packets its groups and ACLs rejected ([0] on the
 * sending side, [1] on the receiving side) and its tracked connections. */
struct dp_router_stats {
	uint64_t rejected[2];
	uint64_t connections;
};
int dp_router_stats(const struct dp_config *cfg, const char *vpc_id,
    struct dp_router_stats *out);

/*
 * The reconciler (dp_reconcile.c): one thread that keeps the kernel equal
 * to the plan.  It takes a fresh plan after every commit (dp_reconciler_kick)
 * and applies the difference against what it applied last; every
 * DP_FULL_PASS_MS (longer when that pass is costly, see next_full_ns(), and
 * at once after any failure) against what the kernel really holds, which
 * repairs drift.  A full pass makes way for a change that arrives while it
 * observes, and then goes on where it stopped, reading again only the
 * namespaces that the change touched.  The state changes it makes true
 * (struct dp_state) go back through 'report'.
 */
#define DP_FULL_PASS_MS 3000
#define DP_FULL_PASS_MAX_MS 15000
#define DP_FULL_PASS_SHARE 50      /* full passes take at most 1/50 of the time */
#define DP_FULL_PASS_DEFER_MAX 100 /* changes one full pass makes way for */
typedef struct dp_plan *(*dp_plan_fn)(void *arg);
typedef void (*dp_report_fn)(void *arg, const struct dp_state *changes, size_t n);
struct dp_reconciler;
struct dp_reconciler *dp_reconciler_new(const struct dp_config *cfg, dp_plan_fn plan,
    dp_report_fn report, void *arg);
/* One full pass on the calling thread, before serving (start-up). */
int dp_reconciler_sync(struct dp_reconciler *r, struct dp_plan *plan);
void dp_reconciler_start(struct dp_reconciler *r);
/* Safe from any thread, also after dp_reconciler_stop. */
void dp_reconciler_kick(struct dp_reconciler *r);
/* Ends the thread (waits for its pass); kicks are then ignored. */
void dp_reconciler_stop(struct dp_reconciler *r);
void dp_reconciler_free(struct dp_reconciler *r);
/* Removes everything this daemon built (vpcd --purge, tests). */
int dp_purge(const struct dp_config *cfg);

#endif
