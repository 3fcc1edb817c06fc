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
 *  - a VPC's router namespace is "vpcd-<tag>-<vpc-id>", the simulated
 *    internet's edge router "vpcd-<tag>-edge" and its host "vpcd-<tag>-inet";
 *  - an instance's namespace is named after the instance id ("i-..."), so
 *    that `ip netns exec i-... CMD` works; it holds a dummy link named
 *    "vpcd-<tag>" that marks it as this daemon's;
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
};

enum dp_ns_kind {
	DP_NS_ROUTER,     /* one per VPC: the VPC router */
	DP_NS_INSTANCE,   /* one per instance that is not terminated */
	DP_NS_EDGE,       /* the simulated internet's router */
	DP_NS_INTERNET,   /* the simulated internet's host (vpcctl internet) */
};

struct dp_ns {
	char name[DP_NS_MAX];
	enum dp_ns_kind kind;
	char owner_id[CORE_ID_MAX];  /* the VPC or instance it stands for */
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

/* One nftables table, replaced as a whole in one transaction. */
struct dp_nft {
	char ns[DP_NS_MAX];
	char *text;                  /* "table inet vpcd { ... }" */
	char hash[17];               /* of 'text', kept as the table's comment */
};

/* An instance boot to run: its user data, once per boot. */
struct dp_boot {
	char ns[DP_NS_MAX];
	char instance_id[CORE_ID_MAX];
	unsigned boot;               /* increments at every start */
	char *script;                /* decoded user data; NULL: nothing to run */
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
};

#endif
