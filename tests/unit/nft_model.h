/*
 * Small models for the nftables compiler's tests, described in text
 * (tests/golden/nft/<case>/model.txt), with deterministic ids.
 *
 * One statement per line, '#' starts a comment.  NAME is [a-z0-9], at most
 * 12 characters; a resource's id is its prefix and NAME left-padded with
 * zeros to 17 characters ("sg-000000000000nginx"), so golden output is
 * stable and readable.  A VPC "v" brings its default group "vdefault",
 * default ACL "vdefault" and main route table "vmain"; "default" in a
 * group position means the default group of the VPC concerned.
 *
 *   vpc NAME CIDR
 *   subnet NAME VPC CIDR
 *   rtb NAME VPC                        a custom route table
 *   assoc-rtb RTB SUBNET
 *   igw NAME VPC                        an internet gateway attached to VPC
 *   route RTB CIDR ENI                  a route to an interface
 *   sg NAME VPC                         allows all outbound, as AWS
 *   rule SG in|out PROTO PORTS PEER     PROTO tcp|udp|icmp|-1|number;
 *                                       PORTS 80 | 80-90 | - (none) |
 *                                       TYPE:CODE for icmp (-1 any);
 *                                       PEER a CIDR or a group NAME
 *   revoke-egress SG                    removes the allow-all outbound rule
 *   acl NAME VPC                        a custom ACL (denies everything)
 *   entry ACL in|out NUM allow|deny PROTO PORTS CIDR
 *   assoc-acl ACL SUBNET
 *   eni NAME SUBNET IP[,IP...] [groups=G[,G...]] [sdc=off] [public=IP]
 *       [type=nat_gateway]
 *   eip NAME PUBLIC ENI [PRIVATE]
 *   flowlog NAME SUBNET                 a flow log (ALL) on the subnet
 */
#ifndef VPCD_TEST_NFT_MODEL_H
#define VPCD_TEST_NFT_MODEL_H

#include "core/core.h"

#define NFT_MODEL_OWNER "111111111111"

/* Builds the model described by 'text' into 'm' (initialised by the
 * caller).  Returns 0, or -1 with a message naming the line in 'err'. */
int nft_model_parse(struct core_model *m, const char *text, char *err, size_t errsize);

/* The id a model description gives NAME with 'prefix' ("sg", "eni"). */
void nft_model_id(const char *prefix, const char *name, char out[CORE_ID_MAX]);

/* Gives resource 'r' the id 'id', updating every reference to it. */
void nft_model_rename(struct core_model *m, struct core_res *r, const char *id);

/* Reads a whole file; NULL if it cannot.  The caller frees it. */
char *nft_model_read_file(const char *path);

#endif
