/*
 * dp_nft: one VPC's security groups, network ACLs, source/destination
 * checks and internet-gateway NAT as one nftables table ("table inet
 * vpcd"), loaded into the VPC's router namespace in one transaction.
 *
 * dp_nft.c is the pure compiler (model in, ruleset text out; no I/O);
 * dp_nft_apply.c loads a ruleset into a namespace with libnftables and
 * reads back which ruleset is installed.
 *
 * Packet path through the router namespace (hooks in kernel order):
 *
 *   prerouting  raw (-300)  source check, then the route-table mark
 *   prerouting  dstnat      igw0: public -> private (1:1)
 *   forward     -10         network ACLs (stateless, every packet that
 *                           crosses a subnet boundary), destination check,
 *                           internet-gateway guard
 *   forward     0           the sender's security groups (egress)
 *   forward     10          the receiver's security groups (ingress)
 *   postrouting srcnat      igw0: private -> public (1:1)
 *
 * Base chains on one hook are independent gates: "accept" ends only its
 * own chain, "drop" is final.  So a new connection must pass the ACLs,
 * the sender's egress and the receiver's ingress; established and related
 * packets pass both group gates at their first rule (groups are
 * stateful), never the ACL gate (ACLs are not).
 *
 * Names inside the table (ids without their "xx-" prefix keep them short):
 *   eni_out_<eni>, eni_in_<eni>   an ENI's groups, one jump per group
 *   sg_<sg>_out, sg_<sg>_in       one group's rules: match -> accept
 *   grp_<sg>                      private addresses of the group's members
 *   leave_<subnet>, enter_<subnet> a subnet's ACL, egress and ingress
 *   if_<subnet>                   router-side interfaces of its ENIs
 */
#ifndef VPCD_DP_NFT_H
#define VPCD_DP_NFT_H

#include <stddef.h>

#include "dp.h"

/* The router-side end of the internet gateway link. */
#define DP_NFT_IGW_IF "igw0"

/*
 * The base chains, declared once: enum name, chain name, type, hook,
 * priority, and what the chain does (also its comment in the kernel).
 * The compiler emits them in this order, each with its body function.
 */
#define DP_NFT_BASE_CHAINS(X)                                                     \
	X(PRE, "prerouting", "filter", "prerouting", "raw",                        \
	    "IPv4 only; source check; route table mark")       \
	X(DNAT, "igw_dnat", "nat", "prerouting", "dstnat",                         \
	    "internet gateway: public to private address")                        \
	X(ACL, "acl", "filter", "forward", "-10",                                  \
	    "network ACLs, destination check, internet gateway guard")            \
	X(SG_OUT, "sg_egress", "filter", "forward", "0",                           \
	    "security groups of the sending ENI (egress)")                        \
	X(SG_IN, "sg_ingress", "filter", "forward", "10",                          \
	    "security groups of the receiving ENI (ingress)")                     \
	X(SNAT, "igw_snat", "nat", "postrouting", "srcnat",                        \
	    "internet gateway: private to public address")

enum dp_nft_chain {
#define X(e, name, type, hook, prio, doc) DP_NFT_CHAIN_##e,
	DP_NFT_BASE_CHAINS(X)
#undef X
	DP_NFT_N_CHAINS
};

/*
 * The named sets and maps, declared once: enum name, name, "set" or
 * "map", nftables type, and meaning.
 */
#define DP_NFT_SETS(X)                                                            \
	X(SDC_IFS, "sdc_ifs", "set", "ifname",                                     \
	    "ENIs with source/dest check on")                                     \
	X(ENI_ADDRS, "eni_addrs", "set", "ifname . ipv4_addr",                     \
	    "private addresses of ENIs with source/dest check on")                \
	X(RTB_MARK, "rtb_mark", "map", "ifname : mark",                            \
	    "ENI -> routing table of its subnet's route table")                   \
	X(PRIV_BY_PUB, "priv_by_pub", "map", "ipv4_addr : ipv4_addr",              \
	    "public (Elastic or auto-assigned) -> private address")               \
	X(PUB_BY_PRIV, "pub_by_priv", "map", "ipv4_addr : ipv4_addr",              \
	    "private -> public address")                                          \
	X(HAS_PUBLIC, "has_public", "set", "ipv4_addr",                            \
	    "private addresses with a public mapping")                            \
	X(ACL_LEAVE, "acl_leave", "map", "ifname : verdict",                       \
	    "ENI -> jump leave_<its subnet>")                                     \
	X(ACL_ENTER, "acl_enter", "map", "ifname : verdict",                       \
	    "ENI -> jump enter_<its subnet>")                                     \
	X(SG_OUT, "sg_out", "map", "ifname : verdict",                             \
	    "ENI -> jump eni_out_<eni>")                                          \
	X(SG_IN, "sg_in", "map", "ifname : verdict",                               \
	    "ENI -> jump eni_in_<eni>")

enum dp_nft_set {
#define X(e, name, kind, type, doc) DP_NFT_SET_##e,
	DP_NFT_SETS(X)
#undef X
	DP_NFT_N_SETS
};

/*
 * dp_nft_compile() (declared in dp.h) returns the full text "table inet
 * vpcd { ... }", deterministic (everything sorted by id), carrying the
 * comment "vpcd <hash>" with hash = dp_nft_hash(text): dp_nft_hash()
 * counts the 16 digits of the text's own comment as zeros.
 */

/*
 * Replaces table inet vpcd in namespace 'ns' (a name under /run/netns) by
 * 'text', in one transaction: on failure the old table stays as it was.
 * Returns 0, or a negative errno (-EIO when nftables refused the text)
 * with the error text in 'err' (non-NULL, 'errsize' > 0): nftables' own,
 * followed by "[ruleset line N, in chain X]" naming the chain or set of
 * 'text' at fault.  Thread-safe (applies are serialised); the calling
 * thread enters 'ns' and is back in its own namespace on return.  About
 * 0.5 s for 1,000 ENIs and 10,000 group rules; 5-10 ms for a small VPC.
 */
int dp_nft_apply(const char *ns, const char *text, char *err, size_t errsize);

/*
 * Reads the hash in the comment of table inet vpcd in 'ns' into 'out',
 * with one netlink request (0.1 ms whatever the table's size).  Returns
 * 0, -ENOENT if there is no such table or its comment is not a vpcd hash
 * (either way: apply), or another negative errno.
 */
int dp_nft_observe_hash(const char *ns, char out[17]);

/*
 * Drops the cached libnftables context of namespace 'ns' (call it when the
 * namespace is deleted: the context's netlink socket keeps it alive).
 */
void dp_nft_forget(const char *ns);

#endif
