/*
 * dp_nft: one VPC's security groups, network ACLs, source/destination
 * checks and internet-gateway NAT as one nftables table ("table inet
 * vpcd") in the VPC's router namespace.
 *
 * dp_nft.c is the pure compiler (model in, ruleset text out; no I/O) and
 * the differ (two compiled texts in, the commands that turn one into the
 * other); dp_nft_apply.c runs them in a namespace with libnftables and
 * reads back which ruleset is installed.
 *
 * Packet path through the router namespace (hooks in kernel order), built
 * so that a packet pays for what applies to it and nothing else: every
 * per-interface decision is one verdict-map lookup on the interface name,
 * and a map has no element where there is nothing to check.
 *
 *   prerouting  raw (-300)  IPv4 only; "pre": the arriving ENI's source
 *                           check and route-table mark (eni_pre_<eni>)
 *   prerouting  dstnat      igw0: public -> private (1:1), with an IGW only
 *   forward     0           from a peering link (p...): only to the VPC's
 *                           own ENI addresses (peer_dst; not transitive);
 *                           "leave": the sending subnet's network ACL
 *                           (leave_<subnet>) or the internet gateway guard;
 *                           "enter": the receiving ENI's destination check
 *                           (eni_to_<eni>, only for an ENI that a route
 *                           points to: nothing else can bring it a packet
 *                           for another address) and its subnet's ACL
 *                           (enter_<subnet>); then, for new connections,
 *                           the sender's groups (sg_out: eni_out_<eni>,
 *                           whose match goes on to sg_ingress) and the
 *                           receiver's (sg_in: eni_in_<eni>, match accepts)
 *   postrouting srcnat      igw0: private -> public (1:1), with an IGW only
 *
 * ACLs are stateless: every packet that crosses a subnet boundary passes
 * them; established and related packets then pass.  A connection keeps in
 * its conntrack mark that a direction passed them under the current rules
 * (a generation: any change to the table or the routes makes a new one),
 * so later packets of that direction skip the lookups (body_fwd() in
 * dp_nft.c); the conntrack mark is this table's.  A subnet whose ACL
 * allows everything first, an ENI without a source/destination check and
 * a group that allows everything need no chain at all, and a map without
 * elements no lookup.
 *
 * Rules are sets, not rule lists: the CIDR rules of a group (or of a run
 * of ACL entries with the same action, whose order does not matter) are
 * cut into disjoint boxes of addresses x protocol x port and become one
 * lookup in an interval set (<chain>_ports, <chain>_nets); a single box is
 * matched inline.  Group references and ICMP type rules stay rules.
 *
 * Names inside the table (ids without their "xx-" prefix keep them short):
 *   eni_pre_<eni>, eni_to_<eni>     an ENI's checks
 *   eni_out_<eni>, eni_in_<eni>     an ENI's groups, one jump per group
 *   sg_<sg>_out, sg_<sg>_in         one group's rules
 *   grp_<sg>                        private addresses of the group's members
 *                                   (in a peer VPC too, while peered)
 *   peer_dst                        this VPC's ENI addresses (with peering)
 *   leave_<subnet>, enter_<subnet>  a subnet's ACL, egress and ingress
 *   if_<subnet>                     router-side interfaces of its ENIs
 *   state                           one element whose comment is the hash
 *                                   of the whole text ("vpcd <hash>")
 */
#ifndef VPCD_DP_NFT_H
#define VPCD_DP_NFT_H

#include <stdbool.h>
#include <stddef.h>

#include "dp.h"

/* The router-side end of the internet gateway link. */
#define DP_NFT_IGW_IF "igw0"

/*
 * The base chains, declared once: enum name, chain name, type, hook,
 * priority, whether only a VPC with an internet gateway has it, and what
 * the chain does (also its comment in the kernel).  The compiler emits
 * them in this order, each with its body function.
 */
#define DP_NFT_BASE_CHAINS(X)                                                     \
	X(PRE, "prerouting", "filter", "prerouting", "raw", false,                 \
	    "IPv4 only; source check; route table mark")                          \
	X(DNAT, "igw_dnat", "nat", "prerouting", "dstnat", true,                   \
	    "internet gateway: public to private address")                        \
	X(FWD, "forward", "filter", "forward", "filter", false,                    \
	    "network ACLs, destination check, security groups")                   \
	X(SNAT, "igw_snat", "nat", "postrouting", "srcnat", true,                  \
	    "internet gateway: private to public address")

enum dp_nft_chain {
#define X(e, name, type, hook, prio, igw, doc) DP_NFT_CHAIN_##e,
	DP_NFT_BASE_CHAINS(X)
#undef X
	DP_NFT_N_CHAINS
};

/*
 * The named sets and maps, declared once: enum name, name, "set" or
 * "map", nftables type, whether only a VPC with an internet gateway has
 * it, and meaning.
 */
#define DP_NFT_SETS(X)                                                            \
	X(PRE, "pre", "map", "ifname : verdict", false,                            \
	    "ENI -> jump eni_pre_<eni> (source check, route table mark)")         \
	X(LEAVE, "leave", "map", "ifname : verdict", false,                        \
	    "ENI -> jump leave_<its subnet>; igw0 -> jump from_igw")              \
	X(ENTER, "enter", "map", "ifname : verdict", false,                        \
	    "ENI -> jump eni_to_<eni> or enter_<its subnet>; igw0 -> jump to_igw") \
	X(SG_OUT, "sg_out", "map", "ifname : verdict", false,                      \
	    "ENI -> jump eni_out_<eni>, or goto sg_ingress if a group allows all") \
	X(SG_IN, "sg_in", "map", "ifname : verdict", false,                        \
	    "ENI -> jump eni_in_<eni>, or accept if a group allows all")          \
	X(PRIV_BY_PUB, "priv_by_pub", "map", "ipv4_addr : ipv4_addr", true,        \
	    "public (Elastic or auto-assigned) -> private address")               \
	X(PUB_BY_PRIV, "pub_by_priv", "map", "ipv4_addr : ipv4_addr", true,        \
	    "private -> public address")                                          \
	X(HAS_PUBLIC, "has_public", "set", "ipv4_addr", true,                      \
	    "private addresses with a public mapping")

enum dp_nft_set {
#define X(e, name, kind, type, igw, doc) DP_NFT_SET_##e,
	DP_NFT_SETS(X)
#undef X
	DP_NFT_N_SETS
};

/*
 * dp_nft_compile() (declared in dp.h) returns the full text "table inet
 * vpcd { ... }", deterministic (everything sorted by id), whose set
 * "state" carries the comment "vpcd <hash>" with hash = dp_nft_hash(text):
 * dp_nft_hash() counts the 16 digits of that comment as zeros.
 * dp_nft_begin() and dp_nft_end() (dp.h) frame any table the same way.
 */

/*
 * The commands that turn table 'from' into table 'to' (both compiled
 * texts) in one transaction: chains whose rules changed are flushed and
 * filled again, sets and maps change element by element, what is gone is
 * deleted.  Returns NULL when the texts are not two tables of this
 * compiler, or a set changed its type (then replace the table); the
 * result is malloc'ed, "" when there is nothing to do.
 */
char *dp_nft_diff(const char *from, const char *to);

/*
 * Makes table inet vpcd in namespace 'ns' (a name under /run/netns) equal
 * to 'text'.  With 'from', the text installed there now, it runs the
 * commands of dp_nft_diff() (a few ms whatever the table's size); without
 * it, or if they fail, it replaces the whole table (about 0.4 s for 1,000
 * ENIs and 10,000 group rules; 5-10 ms for a small VPC).  Either is one
 * transaction: on failure the old table stays as it was.  Returns 0, or a
 * negative errno (-EIO when nftables refused the text) with the error
 * text in 'err' (non-NULL, 'errsize' > 0): nftables' own, followed by
 * "[ruleset line N, in chain X]" naming the chain or set at fault.
 * Thread-safe (applies are serialised); the calling thread enters 'ns'
 * and is back in its own namespace on return.  '*replaced' (if not NULL)
 * tells whether the table was replaced as a whole.
 */
int dp_nft_apply(const char *ns, const char *from, const char *text, bool *replaced,
    char *err, size_t errsize);

/*
 * Reads the hash of the table inet vpcd in 'ns' (the comment of the
 * element of its set "state") into 'out', with one netlink request
 * (0.1 ms whatever the table's size).  Returns 0, -ENOENT if there is no
 * such table, set or hash (either way: replace), or another negative errno.
 */
int dp_nft_observe_hash(const char *ns, char out[17]);

/*
 * Drops the cached libnftables context of namespace 'ns' (call it when the
 * namespace is deleted: the context's netlink socket keeps it alive).
 */
void dp_nft_forget(const char *ns);

#endif
