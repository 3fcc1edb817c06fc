/*
 * core: the VPC model and the AWS rules it obeys.  No I/O.
 *
 * The model is an in-memory set of resources (accounts, VPCs, subnets,
 * route tables, ...) indexed by id.  Every resource starts with a struct
 * core_res header; the rest is type-specific.  Sub-objects (routes, rules,
 * entries, associations) live inside their parent and are saved with it.
 *
 * Concurrency: the model is not locked here.  The daemon holds a
 * read-write lock: readers (Describe calls) share it, the single writer
 * takes it exclusively.
 *
 * Transactions: mutating functions first validate everything, fill a
 * struct core_error and change nothing when a rule is broken, and only
 * then mutate.  Every mutated resource is marked with core_touch() and
 * every removed one with core_remove(); the store layer drains that
 * change list (core_changes_*) into one database transaction.
 *
 * Ownership: the model owns every resource; pointers returned by lookups
 * are borrowed and valid until the writer next changes the model.
 */
#ifndef VPCD_CORE_H
#define VPCD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/lib.h"

#define CORE_ID_MAX 40
#define CORE_ACCOUNT_MAX 16

/*
 * Resource types: enum, id prefix, resource-type name in DescribeTags,
 * the EC2 error code for an unknown id and its message.
 */
#define CORE_TYPES(X)                                                        \
	X(ACCOUNT, "", "account", "AuthFailure", "The account '%s' does not exist") \
	X(VPC, "vpc", "vpc", "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist") \
	X(SUBNET, "subnet", "subnet", "InvalidSubnetID.NotFound",               \
	    "The subnet ID '%s' does not exist")                                 \
	X(RTB, "rtb", "route-table", "InvalidRouteTableID.NotFound",            \
	    "The routeTable ID '%s' does not exist")                             \
	X(IGW, "igw", "internet-gateway", "InvalidInternetGatewayID.NotFound",  \
	    "The internetGateway ID '%s' does not exist")                        \
	X(SG, "sg", "security-group", "InvalidGroup.NotFound",                  \
	    "The security group '%s' does not exist")                            \
	X(ACL, "acl", "network-acl", "InvalidNetworkAclID.NotFound",            \
	    "The networkAcl ID '%s' does not exist")                             \
	X(ENI, "eni", "network-interface", "InvalidNetworkInterfaceID.NotFound", \
	    "The networkInterface ID '%s' does not exist")                       \
	X(INSTANCE, "i", "instance", "InvalidInstanceID.NotFound",              \
	    "The instance ID '%s' does not exist")                               \
	X(EIP, "eipalloc", "elastic-ip", "InvalidAllocationID.NotFound",        \
	    "The allocation ID '%s' does not exist")                             \
	X(NATGW, "nat", "natgateway", "NatGatewayNotFound",                     \
	    "NAT gateway %s was not found")                                      \
	X(PCX, "pcx", "vpc-peering-connection", "InvalidVpcPeeringConnectionID.NotFound", \
	    "The vpcPeeringConnection ID '%s' does not exist")                   \
	X(FL, "fl", "vpc-flow-log", "InvalidFlowLogId.NotFound",                \
	    "Flow log id '%s' does not exist")

/* A rule violation for the API caller: an EC2 error code and a message. */
struct core_error {
	const char *code;
	char message[1024];
};

enum core_type {
#define X(e, p, n, c, f) CORE_##e,
	CORE_TYPES(X)
#undef X
	CORE_N_TYPES
};

/* The type's id prefix ("vpc") and DescribeTags resource-type name. */
const char *core_type_prefix(enum core_type t);
const char *core_type_name(enum core_type t);
/* Sets 'err' to the type's not-found error for 'id'; returns -ENOENT. */
int core_not_found(enum core_type t, const char *id, struct core_error *err);

/* Sets 'err' and returns -EINVAL, so callers can 'return core_fail(...)'. */
int core_fail(struct core_error *err, const char *code, const char *fmt, ...)
    PRINTF(3, 4);

/* IPv4 CIDR blocks (core_cidr.c).  Addresses are in host byte order. */
struct core_cidr {
	uint32_t addr;
	uint8_t len;
};
/* Parses "a.b.c.d/n" strictly; 0 or -EINVAL.  Host bits may be set. */
int core_cidr_parse(const char *s, struct core_cidr *c);
/* Parses a dotted quad; 0 or -EINVAL. */
int core_ip_parse(const char *s, uint32_t *ip);
void core_cidr_format(const struct core_cidr *c, char out[20]);
void core_ip_format(uint32_t ip, char out[16]);
uint32_t core_cidr_mask(uint8_t len);
/* The block with host bits cleared. */
struct core_cidr core_cidr_canonical(struct core_cidr c);
bool core_cidr_is_canonical(const struct core_cidr *c);
bool core_cidr_contains(const struct core_cidr *outer, const struct core_cidr *inner);
bool core_cidr_contains_ip(const struct core_cidr *c, uint32_t ip);
bool core_cidr_overlaps(const struct core_cidr *a, const struct core_cidr *b);
uint64_t core_cidr_size(const struct core_cidr *c);
/* RFC 1918 or 100.64/10 (the ranges AWS lets a secondary block mix). */
int core_cidr_class(const struct core_cidr *c);

struct core_tag {
	char *key;
	char *value;
};

struct core_res {
	char id[CORE_ID_MAX];
	enum core_type type;
	char owner[CORE_ACCOUNT_MAX];  /* owning account id */
	uint64_t seq;                  /* creation order, for pagination */
	int64_t created_ms;
	struct core_tag *tags;
	size_t n_tags;
	/* Per-type list in creation order. */
	struct core_res *prev, *next;
	/* Change tracking for the current transaction. */
	bool is_dirty;
	struct core_res *dirty_next;
};

struct core_key {
	char access_key_id[24];
	char secret[48];
};

struct core_account {
	struct core_res res;  /* res.id is the 12-digit account id */
	char *name;
	bool is_admin;
	struct core_key *keys;
	size_t n_keys;
	/* Derived, not saved: how many resources of each type it owns. */
	uint32_t n_owned[CORE_N_TYPES];
};

struct core_vpc_cidr {
	char assoc_id[CORE_ID_MAX];
	struct core_cidr cidr;
};

struct core_vpc {
	struct core_res res;
	struct core_vpc_cidr *cidrs;  /* [0] is the primary block */
	size_t n_cidrs;
	bool is_default;
	bool is_dedicated;            /* instance tenancy */
	bool dns_support;
	bool dns_hostnames;
	bool nau_metrics;             /* enableNetworkAddressUsageMetrics */
	char main_rtb[CORE_ID_MAX];
	char default_acl[CORE_ID_MAX];
	char default_sg[CORE_ID_MAX];
	/* Derived, not saved: subnets, route tables, groups, ACLs inside. */
	uint32_t n_children[CORE_N_TYPES];
};

struct core_subnet {
	struct core_res res;
	char vpc_id[CORE_ID_MAX];
	struct core_cidr cidr;
	char az[32];
	bool map_public_ip;
	bool is_default_for_az;
	/* Derived, not saved: addresses taken by the interfaces inside. */
	uint32_t n_used;
};

/* Route targets, with the EC2 member that names them. */
enum core_target {
	CORE_TARGET_LOCAL,     /* gatewayId "local" */
	CORE_TARGET_IGW,       /* gatewayId igw- */
	CORE_TARGET_NATGW,     /* natGatewayId nat- */
	CORE_TARGET_INSTANCE,  /* instanceId i- */
	CORE_TARGET_ENI,       /* networkInterfaceId eni- */
	CORE_TARGET_PCX,       /* vpcPeeringConnectionId pcx- */
};

struct core_route {
	struct core_cidr dst;
	enum core_target target_type;
	char target[CORE_ID_MAX];  /* "local" or the target's id */
	bool is_created_by_user;   /* origin CreateRoute (else CreateRouteTable) */
};

struct core_rtb_assoc {
	char id[CORE_ID_MAX];
	char subnet_id[CORE_ID_MAX];  /* empty for the main association */
	bool is_main;
};

struct core_rtb {
	struct core_res res;
	char vpc_id[CORE_ID_MAX];
	struct core_route *routes;
	size_t n_routes;
	struct core_rtb_assoc *assocs;
	size_t n_assocs;
};

struct core_igw {
	struct core_res res;
	char vpc_id[CORE_ID_MAX];  /* attached VPC, or empty */
};

enum core_peer {
	CORE_PEER_CIDR,   /* IPv4 block */
	CORE_PEER_GROUP,  /* another security group */
};

/* One security group rule, as DescribeSecurityGroupRules shows it. */
struct core_sg_rule {
	char id[CORE_ID_MAX];        /* sgr- */
	bool is_egress;
	int proto;                   /* -1 for all, else 0..255 */
	int from_port;               /* -1 when not applicable */
	int to_port;
	enum core_peer peer;
	struct core_cidr cidr;
	char group_id[CORE_ID_MAX];
	char group_owner[CORE_ACCOUNT_MAX];
	char *description;           /* NULL if none */
	struct core_tag *tags;
	size_t n_tags;
};

struct core_sg {
	struct core_res res;
	char vpc_id[CORE_ID_MAX];
	char *name;
	char *name_key;  /* "vpc-id/name": the model's sg_names index key */
	char *description;
	struct core_sg_rule *rules;
	size_t n_rules;
};

struct core_acl_entry {
	int rule_no;        /* 1..32766, or 32767 for the implicit deny */
	bool is_egress;
	bool is_allow;
	int proto;          /* -1 for all, else 0..255 */
	struct core_cidr cidr;
	int from_port, to_port;     /* TCP/UDP; -1 when absent */
	int icmp_type, icmp_code;   /* ICMP; -1 for all */
};

struct core_acl_assoc {
	char id[CORE_ID_MAX];
	char subnet_id[CORE_ID_MAX];
};

struct core_acl {
	struct core_res res;
	char vpc_id[CORE_ID_MAX];
	bool is_default;
	struct core_acl_entry *entries;  /* sorted: egress last, by rule_no */
	size_t n_entries;
	struct core_acl_assoc *assocs;
	size_t n_assocs;
};

#define CORE_ENI_GROUPS_MAX 16   /* the quota (5 by default) is configurable */
#define CORE_ENI_IPS_MAX 50

/* A network interface.  Its subnet fixes its VPC and zone for life. */
struct core_eni {
	struct core_res res;
	char vpc_id[CORE_ID_MAX];
	char subnet_id[CORE_ID_MAX];
	char mac[18];                 /* "02:xx:xx:xx:xx:xx", locally administered */
	uint32_t ips[CORE_ENI_IPS_MAX];  /* [0] is the primary private address */
	size_t n_ips;
	char groups[CORE_ENI_GROUPS_MAX][CORE_ID_MAX];
	size_t n_groups;
	bool source_dest_check;
	char *description;            /* never NULL once created */
	bool is_requester_managed;    /* NAT gateway interfaces and the like */
	char interface_type[24];      /* "interface", "nat_gateway" */
	/* Attachment, when instance_id is set. */
	char instance_id[CORE_ID_MAX];
	char attachment_id[CORE_ID_MAX];  /* eni-attach- */
	int device_index;
	bool delete_on_termination;
	int64_t attach_ms;
	/* Auto-assigned public address (MapPublicIpOnLaunch), 0 if none; an
	 * Elastic IP association is recorded on the EIP and takes precedence. */
	uint32_t public_ip;
};

enum core_instance_state {
	CORE_INSTANCE_PENDING,
	CORE_INSTANCE_RUNNING,
	CORE_INSTANCE_STOPPING,
	CORE_INSTANCE_STOPPED,
	CORE_INSTANCE_SHUTTING_DOWN,
	CORE_INSTANCE_TERMINATED,
};

struct core_instance {
	struct core_res res;
	char reservation_id[CORE_ID_MAX];  /* r- */
	char vpc_id[CORE_ID_MAX];
	char subnet_id[CORE_ID_MAX];
	char image_id[64];
	char instance_type[32];
	char key_name[64];
	char primary_eni[CORE_ID_MAX];
	enum core_instance_state state;
	int64_t launch_ms;
	int64_t state_ms;             /* when the state last changed */
	char *state_reason;           /* NULL or an EC2 state reason code */
	char *user_data;              /* base64 as given, or NULL */
	char client_token[65];
	int launch_index;             /* AmiLaunchIndex within its reservation */
	unsigned boot;                /* incremented at every start: the data
	                               * plane runs user data once per boot */
	bool is_disable_api_termination;
	bool has_auto_public_ip;      /* the primary interface gets a public
	                               * address at every start */
};

/* An Elastic IP address. */
struct core_eip {
	struct core_res res;          /* res.id is the allocation id */
	uint32_t public_ip;
	char assoc_id[CORE_ID_MAX];   /* eipassoc-, empty when not associated */
	char eni_id[CORE_ID_MAX];
	uint32_t private_ip;
};

enum core_natgw_state {
	CORE_NATGW_PENDING,
	CORE_NATGW_FAILED,
	CORE_NATGW_AVAILABLE,
	CORE_NATGW_DELETING,
	CORE_NATGW_DELETED,
};

/* A NAT gateway: an interface of its own in its subnet (requester-managed,
 * no security groups) and, when public, an Elastic IP on that interface.
 * Failed and deleted gateways stay visible with what they had. */
struct core_natgw {
	struct core_res res;
	char vpc_id[CORE_ID_MAX];
	char subnet_id[CORE_ID_MAX];
	bool is_private;                 /* ConnectivityType private */
	char alloc_id[CORE_ID_MAX];      /* public: its Elastic IP */
	char eni_id[CORE_ID_MAX];        /* empty if it failed before having one */
	uint32_t private_ip;
	uint32_t public_ip;
	char assoc_id[CORE_ID_MAX];      /* the Elastic IP's association */
	enum core_natgw_state state;
	int64_t delete_ms;               /* when deletion was asked, 0 before */
	char failure_code[48];           /* state failed: why */
	char failure_message[160];
};

enum core_pcx_state {
	CORE_PCX_PENDING,      /* pending-acceptance (expired after 7 days) */
	CORE_PCX_ACTIVE,
	CORE_PCX_REJECTED,
	CORE_PCX_FAILED,
	CORE_PCX_DELETED,
	CORE_PCX_EXPIRED,      /* never stored: a pending request past its time */
};

/* A VPC peering connection.  res.owner is the requester; the accepter
 * sees it too.  The blocks are what the VPCs had when it was created
 * (Describe shows the live ones while the VPCs exist). */
struct core_pcx {
	struct core_res res;
	char vpc_id[CORE_ID_MAX];              /* requester VPC */
	char peer_owner[CORE_ACCOUNT_MAX];
	char peer_vpc_id[CORE_ID_MAX];         /* accepter VPC */
	struct core_cidr cidr, peer_cidr;      /* primary blocks */
	enum core_pcx_state state;
	int64_t state_ms;                      /* when the state last changed */
	char actor[CORE_ACCOUNT_MAX];          /* who rejected or deleted it */
	bool dns[2];                           /* AllowDnsResolutionFromRemoteVpc:
	                                        * [0] requester, [1] accepter */
};

enum core_fl_resource {
	CORE_FL_VPC,
	CORE_FL_SUBNET,
	CORE_FL_ENI,
};

enum core_fl_traffic {
	CORE_FL_ACCEPT,
	CORE_FL_REJECT,
	CORE_FL_ALL,
};

/* A flow log: which interfaces (a VPC's, a subnet's or one), which
 * traffic, where its records go and in what format. */
struct core_fl {
	struct core_res res;
	char resource_id[CORE_ID_MAX];
	enum core_fl_resource resource_type;
	enum core_fl_traffic traffic;
	bool is_s3;                  /* else cloud-watch-logs */
	char *log_group;             /* cloud-watch-logs: the group; else NULL */
	char *destination;           /* the ARN of the group or the bucket[/prefix] */
	char *role_arn;              /* DeliverLogsPermissionArn, or NULL */
	char *format;                /* LogFormat; NULL: the default (version 2) */
	int max_agg_s;               /* MaxAggregationInterval: 60 or 600 */
	bool is_hive;                /* s3: Hive-compatible partitions */
	bool is_per_hour;            /* s3: hourly partitions */
};

/* Limits and placement; vpcd's configuration fills it. */
struct core_config {
	char region[32];
	char azs[8][32];
	char az_ids[8][32];  /* "use1-az1": derived by core_config_finish() */
	size_t n_azs;
	/* Quotas, with AWS's defaults. */
	unsigned vpcs_per_region;         /* 5 */
	unsigned cidrs_per_vpc;           /* 5 */
	unsigned subnets_per_vpc;         /* 200 */
	unsigned igws_per_region;         /* 5 */
	unsigned rtbs_per_vpc;            /* 200 */
	unsigned routes_per_rtb;          /* 50 */
	unsigned sgs_per_vpc;             /* 2500 (the Region quota) */
	unsigned rules_per_sg;            /* 60 each way */
	unsigned acls_per_vpc;            /* 200 */
	unsigned entries_per_acl;         /* 20 each way */
	unsigned sgs_per_eni;             /* 5 */
	unsigned eips_per_region;         /* 5 */
	unsigned instances_per_region;    /* 20 (vCPU-based on AWS) */
	unsigned natgws_per_az;           /* 5 */
	unsigned active_pcx_per_vpc;      /* 50 */
	unsigned pending_pcx_per_account; /* 25 outstanding requests */
	unsigned fls_per_resource;        /* 2 */
	/* Where public addresses (Elastic and auto-assigned) come from. */
	struct core_cidr public_pool;     /* 198.51.100.0/24 */
};
void core_config_defaults(struct core_config *cfg);
/* Derives the zone ids after the region and zones are set. */
void core_config_finish(struct core_config *cfg);
/* The zone id of zone 'az', or NULL if the zone is not configured. */
const char *core_az_id(const struct core_config *cfg, const char *az);

struct core_model {
	const struct core_config *cfg;
	struct map ids;  /* id -> struct core_res */
	struct map keys; /* access key id -> struct core_account */
	struct map sg_names; /* "vpc-id/name" -> struct core_sg */
	struct core_res *head[CORE_N_TYPES], *tail[CORE_N_TYPES];
	size_t count[CORE_N_TYPES];
	uint64_t next_seq;
	/* DryRun: mutating functions validate, then stop at their commit
	 * point with DryRunOperation instead of changing anything. */
	bool is_dry_run;
	/* No data plane moves instances through their transitional states:
	 * the core completes each transition at once (pending -> running,
	 * stopping -> stopped, shutting-down -> terminated).  Set by the
	 * daemon; core_model_init() sets it. */
	bool is_dataplane_none;
	/* Changes of the current transaction. */
	struct core_res *dirty;
	uint64_t *removed;  /* seq of each removed resource */
	size_t n_removed;
};

/* Model lifecycle and generic access (core_model.c). */
void core_model_init(struct core_model *m, const struct core_config *cfg);
void core_model_fini(struct core_model *m);
/* Allocates a resource of 'type' (zeroed, 'size' bytes), gives it a new
 * id unless 'id' is given, links it in and marks it dirty. */
void *core_res_new(struct core_model *m, enum core_type type, size_t size,
    const char *owner, const char *id);
/* core_res_new() for a resource inside VPC 'vpc_id' (subnet, route table,
 * group, ACL): the VPC is set before the resource is counted in it. */
void *core_res_new_in(struct core_model *m, enum core_type type, size_t size,
    const char *owner, const char *vpc_id);
/* Links in a resource loaded from the store (not marked dirty). */
void core_res_adopt(struct core_model *m, struct core_res *r);
/* Unlinks and frees 'r', recording its seq as removed. */
void core_remove(struct core_model *m, struct core_res *r);
void core_touch(struct core_model *m, struct core_res *r);
void core_res_free(struct core_res *r);
/* core_find(), or NULL with the type's not-found error in 'err'. */
void *core_lookup(const struct core_model *m, enum core_type type,
    const char *owner, const char *id, struct core_error *err);
/* Any resource by id, whatever its owner; NULL if none. */
struct core_res *core_get(const struct core_model *m, const char *id);
/* Whether 'account' sees 'r': its owner does, and a peering connection's
 * accepter. */
bool core_res_is_visible(const struct core_res *r, const char *account);
/* A resource of 'type' that 'owner' sees (core_res_is_visible), or NULL
 * (another account's resources do not exist for the caller). */
void *core_find(const struct core_model *m, enum core_type type,
    const char *owner, const char *id);
/* How many resources of 'type' the account owns (constant time). */
size_t core_count_owned(const struct core_model *m, enum core_type type,
    const char *owner);
/* Indexes a group by VPC and name once its name is set. */
void core_sg_index(struct core_model *m, struct core_sg *sg);
/* Creation-ordered iteration over one type. */
#define CORE_FOREACH(m, type, var) \
	for (struct core_res *var = (m)->head[type]; var; var = var->next)
/* A new random id "prefix-<17 hex digits>". */
void core_new_id(const char *prefix, char out[CORE_ID_MAX]);

/* Every mutating function calls this after validating and before its
 * first change: nonzero (DryRunOperation in 'err') stops a dry run. */
int core_commit_point(const struct core_model *m, struct core_error *err);
/* Change list of the current transaction. */
void core_changes_clear(struct core_model *m);

/* Tags (core_tags.c). */
#define CORE_TAGS_MAX 50
int core_tags_check(const struct core_tag *tags, size_t n, size_t existing,
    struct core_error *err);
/* Sets key=value (replacing) on 'tags'. */
void core_tags_set(struct core_tag **tags, size_t *n, const char *key,
    const char *value);
/* Removes 'key' if 'value' is NULL or equal to the current value. */
void core_tags_del(struct core_tag **tags, size_t *n, const char *key,
    const char *value);
const char *core_tags_get(const struct core_tag *tags, size_t n, const char *key);
void core_tags_free(struct core_tag *tags, size_t n);

/* Accounts (core_account.c). */
struct core_account *core_account_create(struct core_model *m, const char *name,
    bool is_admin);
struct core_account *core_account_by_key(const struct core_model *m,
    const char *access_key_id);
void core_account_free_fields(struct core_account *a);

/*
 * VPC networking rules (core_vpc.c, core_rtb.c, core_sg.c, core_acl.c).
 * Each function validates first and returns -EINVAL (or -ENOENT) with
 * 'err' set and nothing changed, or 0 after applying the change.
 */

/* A VPC with its main route table, default network ACL and default
 * security group.  'cidr' may have host bits set (AWS canonicalises). */
int core_vpc_create(struct core_model *m, const char *owner,
    struct core_cidr cidr, bool is_dedicated, bool is_default,
    struct core_vpc **out, struct core_error *err);
int core_vpc_delete(struct core_model *m, struct core_vpc *vpc,
    struct core_error *err);
int core_vpc_cidr_add(struct core_model *m, struct core_vpc *vpc,
    struct core_cidr cidr, struct core_vpc_cidr **out, struct core_error *err);
int core_vpc_cidr_remove(struct core_model *m, const char *owner,
    const char *assoc_id, struct core_vpc **vpc_out,
    struct core_vpc_cidr *removed, struct core_error *err);
/* The owner's default VPC, or NULL. */
struct core_vpc *core_vpc_default(const struct core_model *m, const char *owner);
/* Creates the default VPC: 172.31.0.0/16, a /20 default subnet per zone,
 * an internet gateway and a 0.0.0.0/0 route to it. */
int core_vpc_create_default(struct core_model *m, const char *owner,
    struct core_vpc **out, struct core_error *err);

int core_subnet_create(struct core_model *m, struct core_vpc *vpc,
    struct core_cidr cidr, const char *az, struct core_subnet **out,
    struct core_error *err);
int core_subnet_delete(struct core_model *m, struct core_subnet *sn,
    struct core_error *err);
/* Addresses a subnet can still hand out (size - 5 reserved - the
 * addresses of the interfaces inside). */
uint64_t core_subnet_available(const struct core_subnet *sn);
/* The route table a subnet uses (explicit or the VPC's main table). */
struct core_rtb *core_subnet_rtb(const struct core_model *m,
    const struct core_subnet *sn);
struct core_acl *core_subnet_acl(const struct core_model *m,
    const struct core_subnet *sn);

int core_igw_create(struct core_model *m, const char *owner,
    struct core_igw **out, struct core_error *err);
int core_igw_delete(struct core_model *m, struct core_igw *igw,
    struct core_error *err);
int core_igw_attach(struct core_model *m, struct core_igw *igw,
    struct core_vpc *vpc, struct core_error *err);
int core_igw_detach(struct core_model *m, struct core_igw *igw,
    struct core_vpc *vpc, struct core_error *err);

int core_rtb_create(struct core_model *m, struct core_vpc *vpc,
    struct core_rtb **out, struct core_error *err);
int core_rtb_delete(struct core_model *m, struct core_rtb *rtb,
    struct core_error *err);
int core_rtb_associate(struct core_model *m, struct core_rtb *rtb,
    struct core_subnet *sn, const char **assoc_id, struct core_error *err);
/* Finds an association by id among the owner's route tables. */
struct core_rtb *core_rtb_by_assoc(const struct core_model *m, const char *owner,
    const char *assoc_id, size_t *index, struct core_error *err);
int core_rtb_disassociate(struct core_model *m, const char *owner,
    const char *assoc_id, struct core_error *err);
/* Moves an association (subnet or main) to 'rtb'; the new id in 'new_id'. */
int core_rtb_replace_assoc(struct core_model *m, const char *owner,
    const char *assoc_id, struct core_rtb *rtb, const char **new_id,
    struct core_error *err);
struct core_rtb *core_rtb_main(const struct core_model *m,
    const struct core_vpc *vpc);
/* A route as the API names it: destination and exactly one target. */
struct core_route_spec {
	struct core_cidr dst;
	enum core_target target_type;
	const char *target;
};
int core_route_create(struct core_model *m, struct core_rtb *rtb,
    const struct core_route_spec *spec, struct core_error *err);
int core_route_replace(struct core_model *m, struct core_rtb *rtb,
    const struct core_route_spec *spec, struct core_error *err);
int core_route_delete(struct core_model *m, struct core_rtb *rtb,
    struct core_cidr dst, struct core_error *err);
/* "active" or "blackhole": whether the target exists and is usable. */
bool core_route_is_active(const struct core_model *m, const struct core_rtb *rtb,
    const struct core_route *r);

int core_sg_create(struct core_model *m, struct core_vpc *vpc, const char *name,
    const char *description, struct core_sg **out, struct core_error *err);
int core_sg_delete(struct core_model *m, struct core_sg *sg,
    struct core_error *err);
/* The group named 'name' in the owner's VPC 'vpc_id' (NULL: any VPC). */
struct core_sg *core_sg_by_name(const struct core_model *m, const char *owner,
    const char *vpc_id, const char *name);
/* Checks and normalises one rule: protocol, ports, peer.  A peer group
 * must exist for 'owner' and be in the same VPC as 'sg'. */
int core_sg_rule_check(const struct core_model *m, const struct core_sg *sg,
    struct core_sg_rule *rule, struct core_error *err);
/* Adds 'n' checked rules (is_egress set on each); fails on a duplicate or
 * past the rule quota.  Ids are assigned; the new rules are the last 'n'. */
int core_sg_rules_add(struct core_model *m, struct core_sg *sg,
    const struct core_sg_rule *rules, size_t n, struct core_error *err);
/* Removes the rules equal to 'rules' (protocol, ports and peer); 'found[i]'
 * says which matched.  Fails with InvalidPermission.NotFound if none did. */
int core_sg_rules_remove(struct core_model *m, struct core_sg *sg,
    const struct core_sg_rule *rules, size_t n, bool *found,
    struct core_error *err);
/* Removes rules by id, all or nothing. */
int core_sg_rules_remove_ids(struct core_model *m, struct core_sg *sg, bool is_egress,
    const char *const *ids, size_t n, struct core_error *err);
struct core_sg_rule *core_sg_rule_find(struct core_sg *sg, const char *id);
/* Replaces rule 'id' by 'rule' (checked), keeping the id and direction. */
int core_sg_rule_modify(struct core_model *m, struct core_sg *sg, const char *id,
    const struct core_sg_rule *rule, struct core_error *err);
bool core_sg_rule_equal(const struct core_sg_rule *a, const struct core_sg_rule *b);
/* The protocol name EC2 shows ("tcp", "udp", "icmp", "-1" or a number). */
void core_proto_format(int proto, char out[8]);
/* Parses "tcp"/"udp"/"icmp"/"icmpv6"/"all"/"-1" or 0..255; -1 for all. */
int core_proto_parse(const char *s, int *proto);

int core_acl_create(struct core_model *m, struct core_vpc *vpc,
    struct core_acl **out, struct core_error *err);
int core_acl_delete(struct core_model *m, struct core_acl *acl,
    struct core_error *err);
int core_acl_entry_check(const struct core_acl_entry *e, struct core_error *err);
int core_acl_entry_add(struct core_model *m, struct core_acl *acl,
    const struct core_acl_entry *e, struct core_error *err);
int core_acl_entry_replace(struct core_model *m, struct core_acl *acl,
    const struct core_acl_entry *e, struct core_error *err);
int core_acl_entry_delete(struct core_model *m, struct core_acl *acl,
    bool is_egress, int rule_no, struct core_error *err);
int core_acl_replace_assoc(struct core_model *m, const char *owner,
    const char *assoc_id, struct core_acl *acl, const char **new_id,
    struct core_error *err);

/*
 * Network interfaces, Elastic IPs and the public address pool
 * (core_eni.c).  Private addresses come from the subnet, lowest free
 * first, never one of the four low reserved addresses or the broadcast
 * address.  Public addresses (Elastic and auto-assigned) come from
 * cfg->public_pool, shared by all accounts, never its network or
 * broadcast address.
 */
struct core_eni_spec {
	struct core_subnet *subnet;
	const char *description;          /* NULL: "" */
	const char *const *groups;        /* none: the VPC's default group */
	size_t n_groups;
	uint32_t primary_ip;              /* 0: the lowest free address */
	const uint32_t *secondary_ips;    /* explicit secondary addresses */
	size_t n_secondary_ips;
	size_t n_secondary;               /* and this many more, picked */
	bool is_requester_managed;
	const char *interface_type;       /* NULL: "interface" */
};
/* Validates 'spec' (groups, explicit addresses, room in the subnet). */
int core_eni_check(const struct core_model *m, const char *owner,
    const struct core_eni_spec *spec, struct core_error *err);
int core_eni_create(struct core_model *m, const char *owner,
    const struct core_eni_spec *spec, struct core_eni **out, struct core_error *err);
int core_eni_delete(struct core_model *m, struct core_eni *eni,
    struct core_error *err);
/* Checks a list of group ids for an interface in VPC 'vpc_id'. */
int core_eni_groups_check(const struct core_model *m, const char *owner,
    const char *vpc_id, const char *subnet_id, const char *const *groups, size_t n,
    struct core_error *err);
int core_eni_set_groups(struct core_model *m, struct core_eni *eni,
    const char *const *groups, size_t n, struct core_error *err);
/* Attaches 'eni' to 'inst' at 'device_index'; the new id in eni->attachment_id. */
int core_eni_attach(struct core_model *m, struct core_eni *eni,
    struct core_instance *inst, int device_index, struct core_error *err);
int core_eni_detach(struct core_model *m, const char *owner,
    const char *attachment_id, bool force, struct core_error *err);
/* The owner's interface with attachment 'attachment_id', or NULL. */
struct core_eni *core_eni_by_attachment(const struct core_model *m,
    const char *owner, const char *attachment_id);
/* Refuses changes to requester-managed interfaces (OperationNotPermitted).
 * The functions here that a user reaches refuse them; the service that
 * owns such an interface removes it with core_remove(). */
int core_eni_check_managed(const struct core_eni *eni, struct core_error *err);
/* Adds the explicit addresses 'ips' and 'count' picked ones; the new
 * addresses are the last ones of eni->ips.  With 'allow_reassignment' an
 * explicit address that is another interface's secondary moves here. */
int core_eni_assign_ips(struct core_model *m, struct core_eni *eni,
    const uint32_t *ips, size_t n, size_t count, bool allow_reassignment,
    struct core_error *err);
int core_eni_unassign_ips(struct core_model *m, struct core_eni *eni,
    const uint32_t *ips, size_t n, struct core_error *err);
/* The interfaces of an instance: device 0 first. 'out' holds CORE_INSTANCE_ENIS_MAX. */
#define CORE_INSTANCE_ENIS_MAX 32
size_t core_instance_enis(const struct core_model *m, const struct core_instance *inst,
    struct core_eni **out);
/* The Elastic IP associated with private address 'ip' of 'eni', or NULL. */
struct core_eip *core_eip_for(const struct core_model *m, const struct core_eni *eni,
    uint32_t ip);
/* The public address of 'eni''s primary address: its Elastic IP, else the
 * auto-assigned one, else 0. */
uint32_t core_eni_public_ip(const struct core_model *m, const struct core_eni *eni);
/* How many pool addresses are free; takes the lowest free one (-ENOSPC,
 * InsufficientAddressCapacity). */
size_t core_pool_free(const struct core_model *m);
int core_pool_take(const struct core_model *m, uint32_t *ip, struct core_error *err);

int core_eip_allocate(struct core_model *m, const char *owner, struct core_eip **out,
    struct core_error *err);
int core_eip_release(struct core_model *m, struct core_eip *eip, struct core_error *err);
/* Associates 'eip' with private address 'private_ip' of 'eni' (0: its
 * primary address). */
int core_eip_associate(struct core_model *m, struct core_eip *eip, struct core_eni *eni,
    uint32_t private_ip, bool allow_reassociation, struct core_error *err);
int core_eip_disassociate(struct core_model *m, const char *owner, const char *assoc_id,
    struct core_error *err);
struct core_eip *core_eip_by_assoc(const struct core_model *m, const char *owner,
    const char *assoc_id);
struct core_eip *core_eip_by_ip(const struct core_model *m, const char *owner,
    uint32_t public_ip);

/*
 * Instances (core_instance.c).
 *
 * States: RunInstances creates them pending; StopInstances moves
 * pending/running to stopping, StartInstances stopped to pending,
 * TerminateInstances anything to shutting-down.  The data plane completes
 * each transition with core_instance_set_state() (pending -> running,
 * stopping -> stopped, shutting-down -> terminated); without one
 * (m->is_dataplane_none) the core completes it within the same call.
 * Entering stopped releases the auto-assigned public address; entering
 * terminated disassociates Elastic IPs, deletes the interfaces marked
 * DeleteOnTermination and detaches the others.  Terminated instances stay
 * visible.
 */
struct core_nic_spec {
	int device_index;
	struct core_eni *eni;            /* an existing interface to attach, or */
	struct core_eni_spec create;     /* one to create */
	bool is_public_ip;               /* device 0: an auto-assigned address */
	bool delete_on_termination;
};
struct core_run_spec {
	const char *image_id;
	const char *instance_type;
	const char *key_name;            /* NULL if none */
	const char *user_data;           /* base64, NULL if none */
	const char *client_token;        /* NULL if none */
	bool is_disable_api_termination;
	unsigned min_count, max_count;
	struct core_nic_spec *nics;      /* one has device index 0 */
	size_t n_nics;
};
/* Launches max_count instances if capacity allows, else at least
 * min_count; 'out' has room for max_count pointers. */
int core_instances_run(struct core_model *m, const char *owner,
    const struct core_run_spec *spec, struct core_instance **out, size_t *n_out,
    struct core_error *err);
/* Each sets '*prev' to the state before the call. */
int core_instance_terminate(struct core_model *m, struct core_instance *inst,
    enum core_instance_state *prev, struct core_error *err);
int core_instance_stop(struct core_model *m, struct core_instance *inst, bool force,
    enum core_instance_state *prev, struct core_error *err);
int core_instance_start(struct core_model *m, struct core_instance *inst,
    enum core_instance_state *prev, struct core_error *err);
int core_instance_reboot(struct core_model *m, struct core_instance *inst,
    struct core_error *err);
/* Moves 'inst' to 'st' with the state's side effects and marks it dirty;
 * -EINVAL for a terminated instance.  For the data plane. */
int core_instance_set_state(struct core_model *m, struct core_instance *inst,
    enum core_instance_state st);
/*
 * Built-in images.  Any "ami-" id launches (and is recorded), but these are
 * what DescribeImages lists, and the NAT image makes its instances forward
 * and masquerade what they receive for other addresses, as Amazon's
 * amzn-ami-vpc-nat images do (user data runs unprivileged and could not).
 */
struct core_image {
	const char *id;
	const char *name;
	const char *description;
	bool is_nat;
};
extern const struct core_image core_images[];
extern const size_t core_n_images;
/* The built-in image 'id', or NULL. */
const struct core_image *core_image_find(const char *id);

/* EC2's name and code of a state ("running", 16). */
const char *core_instance_state_name(enum core_instance_state st);
int core_instance_state_code(enum core_instance_state st);
bool core_instance_is_gone(const struct core_instance *inst);  /* shutting-down, terminated */

/*
 * NAT gateways (core_natgw.c).  CreateNatGateway checks what AWS checks
 * at once (subnet, Elastic IP, quota) and otherwise creates the gateway;
 * what AWS finds later puts it in state failed with its failure code
 * (Gateway.NotAttached, Resource.AlreadyAssociated,
 * InsufficientFreeAddressesInSubnet).  A working gateway gets its
 * interface and Elastic IP association at once, is pending until the
 * data plane has built it (core_natgw_set_state: available), and after
 * DeleteNatGateway deleting until the data plane has removed it
 * (deleted: the interface goes, the Elastic IP is free again).  Without a
 * data plane the core completes both transitions at once.
 */
struct core_natgw_spec {
	struct core_subnet *subnet;
	struct core_eip *eip;            /* public; NULL for private */
	bool is_private;
	uint32_t private_ip;             /* 0: the lowest free address */
};
int core_natgw_create(struct core_model *m, const char *owner,
    const struct core_natgw_spec *spec, struct core_natgw **out, struct core_error *err);
int core_natgw_delete(struct core_model *m, struct core_natgw *gw, struct core_error *err);
/* For the data plane: pending -> available, deleting -> deleted. */
void core_natgw_set_state(struct core_model *m, struct core_natgw *gw,
    enum core_natgw_state st);
/* Whether routes to it work (pending or available). */
bool core_natgw_is_live(const struct core_natgw *gw);
/* The gateway whose interface is 'eni', or NULL. */
const struct core_natgw *core_natgw_of_eni(const struct core_model *m,
    const struct core_eni *eni);
const char *core_natgw_state_name(enum core_natgw_state st);

/*
 * VPC peering connections (core_pcx.c).  Overlapping blocks make a
 * request fail (state failed), as on AWS; only one connection that is
 * pending or active may join two VPCs.  The accepter accepts or rejects;
 * either side deletes an active one, the requester a pending one.  A
 * pending request expires 7 days after its creation; deleted and failed
 * connections stay visible 2 hours, rejected and expired ones 2 days.
 */
#define CORE_PCX_EXPIRY_MS (7 * 86400 * 1000LL)
int core_pcx_create(struct core_model *m, const char *owner, struct core_vpc *vpc,
    struct core_vpc *peer, struct core_pcx **out, struct core_error *err);
/* The connection 'caller' sees as 'id' (as requester or accepter), or
 * NULL with InvalidVpcPeeringConnectionID.NotFound. */
struct core_pcx *core_pcx_lookup(const struct core_model *m, const char *caller,
    const char *id, int64_t now_ms, struct core_error *err);
int core_pcx_accept(struct core_model *m, struct core_pcx *pcx, const char *caller,
    int64_t now_ms, struct core_error *err);
int core_pcx_reject(struct core_model *m, struct core_pcx *pcx, const char *caller,
    int64_t now_ms, struct core_error *err);
int core_pcx_delete(struct core_model *m, struct core_pcx *pcx, const char *caller,
    int64_t now_ms, struct core_error *err);
/* The state at 'now_ms' (a pending request may have expired). */
enum core_pcx_state core_pcx_state(const struct core_pcx *pcx, int64_t now_ms);
/* Whether Describe still shows it at 'now_ms'. */
bool core_pcx_is_visible(const struct core_pcx *pcx, int64_t now_ms);
const char *core_pcx_state_name(enum core_pcx_state st);
/* The active connection joining two VPCs, or NULL. */
const struct core_pcx *core_pcx_between(const struct core_model *m, const char *vpc_a,
    const char *vpc_b);

/*
 * Flow logs (core_fl.c).  A flow log goes with its resource: deleting the
 * VPC, subnet or interface deletes it.
 */
#define CORE_FL_FIELDS(X)                                                      \
	X(VERSION, "version") X(ACCOUNT_ID, "account-id")                       \
	X(INTERFACE_ID, "interface-id") X(SRCADDR, "srcaddr")                   \
	X(DSTADDR, "dstaddr") X(SRCPORT, "srcport") X(DSTPORT, "dstport")       \
	X(PROTOCOL, "protocol") X(PACKETS, "packets") X(BYTES, "bytes")         \
	X(START, "start") X(END, "end") X(ACTION, "action")                     \
	X(LOG_STATUS, "log-status") X(VPC_ID, "vpc-id") X(SUBNET_ID, "subnet-id") \
	X(INSTANCE_ID, "instance-id") X(TCP_FLAGS, "tcp-flags") X(TYPE, "type")  \
	X(PKT_SRCADDR, "pkt-srcaddr") X(PKT_DSTADDR, "pkt-dstaddr")             \
	X(REGION, "region") X(AZ_ID, "az-id") X(SUBLOCATION_TYPE, "sublocation-type") \
	X(SUBLOCATION_ID, "sublocation-id") X(PKT_SRC_AWS_SERVICE, "pkt-src-aws-service") \
	X(PKT_DST_AWS_SERVICE, "pkt-dst-aws-service") X(FLOW_DIRECTION, "flow-direction") \
	X(TRAFFIC_PATH, "traffic-path") X(REJECT_REASON, "reject-reason")
enum core_fl_field {
#define X(e, name) CORE_FL_F_##e,
	CORE_FL_FIELDS(X)
#undef X
	CORE_FL_N_FIELDS
};
#define CORE_FL_FORMAT_MAX 64
/* The default format: the 14 fields of version 2. */
extern const char core_fl_default_format[];
/* Parses a LogFormat ("${field} ${field} ..."); the fields in 'out'.
 * Returns their number, or -EINVAL. */
int core_fl_format_parse(const char *format, enum core_fl_field out[CORE_FL_FORMAT_MAX]);
const char *core_fl_field_name(enum core_fl_field f);
struct core_fl_spec {
	enum core_fl_resource resource_type;
	enum core_fl_traffic traffic;
	bool is_s3;
	const char *log_group;
	const char *destination;
	const char *role_arn;
	const char *format;
	int max_agg_s;
	bool is_hive, is_per_hour;
};
/* One flow log for 'resource_id' (the spec checked by the caller): the
 * resource must exist (its not-found error), not already have one with
 * the same traffic and destination (FlowLogAlreadyExists), nor too many
 * (FlowLogsLimitExceeded). */
int core_fl_create(struct core_model *m, const char *owner, const struct core_fl_spec *spec,
    const char *resource_id, struct core_fl **out, struct core_error *err);
const char *core_fl_traffic_name(enum core_fl_traffic t);

#endif
