/*
 * dp_nl: the kernel side of the data plane, without nftables.
 *
 * Two parts:
 *  - dp_ns_* (dp_netns.c): named network namespaces as iproute2 keeps
 *    them (a bind mount of the namespace on /run/netns/NAME), stateless.
 *  - dp_nl_* (dp_netlink.c): observe and change links, addresses, routes,
 *    policy rules and sysctls inside named namespaces through rtnetlink
 *    (libnl framing), in process, never forking ip(8).
 *
 * Contract of struct dp_nl:
 *  - It caches, per namespace, an fd of the namespace and a netlink socket
 *    opened inside it (a socket stays bound to the namespace it was created
 *    in, so only opening it, sysctls and dp_nl_run switch the calling
 *    thread's namespace, and always switch it back).  Every operation checks
 *    with one stat(2) that /run/netns/NAME is still the namespace the cache
 *    holds and reopens it if it was replaced.
 *  - Cached fds keep a deleted namespace (and the veths in it) alive:
 *    delete namespaces with dp_nl_ns_del, and call dp_nl_gc after others
 *    may have removed some.
 *  - It refuses to touch the namespace of the thread that created it (the
 *    host's own, normally) even if a name in /run/netns points to it:
 *    -EPERM.  Sysctl keys must be below "net/" (the per-namespace ones).
 *  - Not thread-safe: one struct dp_nl per thread, used from the thread
 *    that created it.
 *  - Every function returns 0 or a negative errno.  On failure it writes
 *    to 'err' (of 'errlen' bytes, NULL allowed) a message naming the
 *    namespace and the kernel object, the errno text and the kernel's
 *    extended-ack text if any, e.g.
 *    "vpcd-1a2b3c-vpc-0123: route 10.0.1.0/24 table 1001 dev e0a1: No such
 *    device (Nexthop device is not up)".  Callers prefix the model object.
 *    On success 'err' holds "".
 *
 * Observation (dp_nl_observe and friends) appends to a struct dp_nl_obs,
 * so one obs can collect several namespaces.  It reports:
 *  - links: every link but the loopback, one struct dp_nl_link per end in
 *    the observed namespace.  A veth's peer is named by its namespace
 *    (resolved from the kernel's netnsid to a name in /run/netns) and its
 *    ifindex there; the peer's name is only known by observing that
 *    namespace too.  dp_nl_links_pair() joins ends observed in several
 *    namespaces into struct dp_link pairs;
 *  - IPv4 addresses on every link but the loopback;
 *  - IPv4 routes of the requested tables of type unicast, blackhole, throw
 *    and unreachable, except those the kernel derives from addresses
 *    (protocol "kernel") and cached clones;
 *  - IPv4 policy rules except the kernel's defaults (protocol "kernel":
 *    0 local, 32766 main, 32767 default).  A rule whose action is not a
 *    table lookup has table 0; actions without a dp_route_type (goto, nop,
 *    prohibit) are reported as DP_ROUTE_THROW so they never equal a
 *    planned rule.  Rule selectors other than the fwmark (iif, from, to,
 *    ...) are not represented.
 */
#ifndef VPCD_DP_NL_H
#define VPCD_DP_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp.h"

/* ---- Named namespaces (dp_netns.c) ---- */

#define DP_NETNS_DIR "/run/netns"

/* Lists the names in /run/netns (a missing directory is an empty list).
 * On success '*names' is a heap array of '*n' heap strings; free it with
 * dp_ns_list_free. */
int dp_ns_list(char ***names, size_t *n);
void dp_ns_list_free(char **names, size_t n);
/* True if /run/netns/NAME is a mounted namespace. */
bool dp_ns_exists(const char *name);
/* Creates namespace 'name' as `ip netns add` does: /run/netns made a
 * shared mount point on first use, a fresh namespace from
 * unshare(CLONE_NEWNET) on the calling thread, bind-mounted on
 * /run/netns/NAME; the thread returns to its namespace.  -EEXIST if the
 * name is taken. */
int dp_ns_create(const char *name);
/* Deletes it as `ip netns del` does (lazy unmount, unlink); the kernel
 * frees the namespace, and the veths in it, once the last reference
 * (a process, an open fd or socket) is gone.  -ENOENT if absent. */
int dp_ns_delete(const char *name);
/* Returns an O_RDONLY|O_CLOEXEC fd of the namespace or -errno. */
int dp_ns_open(const char *name);
/* Calls fn(arg) with the calling thread inside namespace 'name' and
 * returns its result; the thread goes back to its own namespace even if
 * fn fails.  A failure to enter returns -errno without calling fn; a
 * failure to return is fatal (the thread would act in the wrong place). */
int dp_ns_run(const char *name, int (*fn)(void *arg), void *arg);
/* The same with a namespace fd (from dp_ns_open). */
int dp_ns_run_fd(int nsfd, int (*fn)(void *arg), void *arg);

/* ---- Netlink (dp_netlink.c) ---- */

struct dp_nl;

/* A new context; it records the calling thread's namespace as the one it
 * never touches.  NULL and errno on failure. */
struct dp_nl *dp_nl_new(void);
void dp_nl_free(struct dp_nl *nl);
/* Drops the cached fd and socket of 'ns' (if any). */
void dp_nl_forget(struct dp_nl *nl, const char *ns);
/* Drops cached namespaces whose name is gone or now names another
 * namespace; returns how many. */
size_t dp_nl_gc(struct dp_nl *nl);

/* Creates namespace 'ns', brings its loopback up and caches it. */
int dp_nl_ns_add(struct dp_nl *nl, const char *ns, char *err, size_t errlen);
/* Forgets and deletes namespace 'ns'. */
int dp_nl_ns_del(struct dp_nl *nl, const char *ns, char *err, size_t errlen);

enum dp_nl_kind {
	DP_NL_OTHER,
	DP_NL_LOOPBACK,
	DP_NL_VETH,
	DP_NL_DUMMY,
	DP_NL_IFB,        /* the marker where the kernel has no dummy links */
};

/* One link end as observed in its namespace. */
struct dp_nl_link {
	char ns[DP_NS_MAX];
	char name[DP_IF_MAX];
	enum dp_nl_kind kind;
	int ifindex;
	bool is_up;                  /* administratively (IFF_UP) */
	/* Operationally up (IFF_RUNNING): the kernel has seen the carrier and
	 * attached the queueing discipline.  Until then (link-watch runs
	 * later, up to a second under RTNL contention) packets sent on the
	 * link are dropped. */
	bool is_running;
	char mac[18];                /* "aa:bb:cc:dd:ee:ff" */
	/* veth only: where the peer is.  peer_ns is "" if the peer is in the
	 * same namespace, "?" if its namespace has no name in /run/netns. */
	char peer_ns[DP_NS_MAX];
	int peer_ifindex;
};

struct dp_nl_obs {
	struct dp_nl_link *links;
	size_t n_links, cap_links;
	struct dp_addr *addrs;
	size_t n_addrs, cap_addrs;
	struct dp_route *routes;
	size_t n_routes, cap_routes;
	struct dp_rule *rules;
	size_t n_rules, cap_rules;
};

void dp_nl_obs_init(struct dp_nl_obs *o);
void dp_nl_obs_fini(struct dp_nl_obs *o);

/* Appends everything of namespace 'ns' to 'o': links, addresses, rules
 * and the routes of 'tables' (n_tables 0: every table but local, 255). */
int dp_nl_observe(struct dp_nl *nl, const char *ns, const uint32_t *tables,
    size_t n_tables, struct dp_nl_obs *o, char *err, size_t errlen);
/* The parts of dp_nl_observe, one dump each. */
int dp_nl_links(struct dp_nl *nl, const char *ns, struct dp_nl_obs *o, char *err,
    size_t errlen);
int dp_nl_addrs(struct dp_nl *nl, const char *ns, struct dp_nl_obs *o, char *err,
    size_t errlen);
int dp_nl_routes(struct dp_nl *nl, const char *ns, const uint32_t *tables,
    size_t n_tables, struct dp_nl_obs *o, char *err, size_t errlen);
int dp_nl_rules(struct dp_nl *nl, const char *ns, struct dp_nl_obs *o, char *err,
    size_t errlen);

/* Joins veth ends into pairs: end a and end b form a pair when each names
 * the other's namespace and ifindex.  A pair is written with end [0] the
 * end that comes first in 'ends', so observe namespaces in the order of
 * the plan's end [0]: routers, then the edge, then instances and the
 * internet host.  An end whose peer was not observed is
 * written alone: end [0] filled, ns[1] its peer's namespace (or "?"),
 * name[1] "" (so it never equals a planned link).  Non-veth ends are
 * skipped.  'out' must hold n_ends entries; returns how many it wrote. */
size_t dp_nl_links_pair(const struct dp_nl_link *ends, size_t n_ends, struct dp_link *out);

/* Links.  dp_nl_veth_add creates end 0 in ns[0] with its peer placed
 * directly in ns[1] and the MACs that are not "" (one RTM_NEWLINK, end 0
 * up if is_up[0]), then brings end 1 up if is_up[1] (a second message: the
 * kernel cannot open the peer before the pair is joined). */
int dp_nl_veth_add(struct dp_nl *nl, const struct dp_link *l, char *err, size_t errlen);
/* Creates the ownership marker link, up: a dummy link, or an ifb link
 * where the kernel has no dummy driver (CONFIG_DUMMY unset, as on the
 * Firecracker kernels of these machines).  Observed as DP_NL_DUMMY or
 * DP_NL_IFB. */
int dp_nl_marker_add(struct dp_nl *nl, const char *ns, const char *name, char *err,
    size_t errlen);
/* Deletes a link; deleting either end of a veth removes the pair. */
int dp_nl_link_del(struct dp_nl *nl, const char *ns, const char *name, char *err,
    size_t errlen);
int dp_nl_link_set_up(struct dp_nl *nl, const char *ns, const char *name, bool up,
    char *err, size_t errlen);
int dp_nl_link_set_mac(struct dp_nl *nl, const char *ns, const char *name, const char *mac,
    char *err, size_t errlen);
/* The ifindex of a link, or -ENODEV. */
int dp_nl_ifindex(struct dp_nl *nl, const char *ns, const char *name, char *err,
    size_t errlen);

/* Addresses (IPv4; the prefix route comes with them, as with ip(8)). */
int dp_nl_addr_add(struct dp_nl *nl, const struct dp_addr *a, char *err, size_t errlen);
int dp_nl_addr_del(struct dp_nl *nl, const struct dp_addr *a, char *err, size_t errlen);

/* Routes.  add fails with -EEXIST if a route to the same prefix exists in
 * the table (NLM_F_EXCL); replace creates or overwrites it
 * (NLM_F_REPLACE).  Routes are installed with protocol "static".  del
 * removes the route to r->dst/plen in r->table of r->type (and, if set,
 * gateway and dev). */
int dp_nl_route_add(struct dp_nl *nl, const struct dp_route *r, char *err, size_t errlen);
int dp_nl_route_replace(struct dp_nl *nl, const struct dp_route *r, char *err,
    size_t errlen);
int dp_nl_route_del(struct dp_nl *nl, const struct dp_route *r, char *err, size_t errlen);

/* Policy rules: add fails with -EEXIST if the same rule exists; del
 * removes the rule with r's priority, mark/mask and table (any action). */
int dp_nl_rule_add(struct dp_nl *nl, const struct dp_rule *r, char *err, size_t errlen);
int dp_nl_rule_del(struct dp_nl *nl, const struct dp_rule *r, char *err, size_t errlen);

/* Calls fn(arg) with the calling thread inside namespace 'ns' (cached
 * fd, two setns(2) calls) and returns its result; for sockets or a
 * libnftables context that must be created inside.  err is written only
 * if the namespace cannot be had. */
int dp_nl_run(struct dp_nl *nl, const char *ns, int (*fn)(void *arg), void *arg, char *err,
    size_t errlen);

/* Sysctls below /proc/sys of namespace 'ns' ("net/..." only), read and
 * written from the calling thread switched into it.  read strips the
 * trailing newline. */
int dp_nl_sysctl_read(struct dp_nl *nl, const char *ns, const char *key, char *value,
    size_t size, char *err, size_t errlen);
int dp_nl_sysctl_write(struct dp_nl *nl, const char *ns, const char *key,
    const char *value, char *err, size_t errlen);
/* The same for a struct dp_sysctl; write only if the value differs. */
int dp_nl_sysctl_apply(struct dp_nl *nl, const struct dp_sysctl *s, char *err,
    size_t errlen);

#endif
