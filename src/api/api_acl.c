/* Network ACLs. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"

#define ACL(res) ((const struct core_acl *)(res))

static void
entry_out(struct api_ctx *ctx, const struct core_acl_entry *e, struct ec2_network_acl_entry *out)
{
	char *proto = arena_printf(ctx->arena, "%d", e->proto);

	out->cidr_block = api_cidr_str(ctx, &e->cidr);
	out->egress = EC2_BOOL(e->is_egress);
	out->protocol = proto;
	out->rule_action = e->is_allow ? "allow" : "deny";
	out->rule_number = EC2_INT(e->rule_no);
	if (e->proto == 6 || e->proto == 17) {
		out->port_range = arena_alloc(ctx->arena, sizeof(*out->port_range));
		out->port_range->from = EC2_INT(e->from_port);
		out->port_range->to = EC2_INT(e->to_port);
	} else if (e->proto == 1) {
		out->icmp_type_code = arena_alloc(ctx->arena, sizeof(*out->icmp_type_code));
		out->icmp_type_code->type = EC2_INT(e->icmp_type);
		out->icmp_type_code->code = EC2_INT(e->icmp_code);
	}
}

static void
acl_out(struct api_ctx *ctx, const struct core_acl *acl, struct ec2_network_acl *out)
{
	/* The implicit final deny (rule 32767) of each direction is shown too. */
	static const struct core_acl_entry deny_in = { .rule_no = 32767, .proto = -1 };
	static const struct core_acl_entry deny_out = { .rule_no = 32767, .is_egress = true,
		.proto = -1 };
	size_t n = 0;

	out->network_acl_id = acl->res.id;
	out->vpc_id = acl->vpc_id;
	out->owner_id = acl->res.owner;
	out->is_default = EC2_BOOL(acl->is_default);
	API_LIST(ctx, out->entries, acl->n_entries + 2);
	/* Each direction ends with its implicit deny. */
	for (size_t i = 0; i < acl->n_entries; i++)
		if (!acl->entries[i].is_egress)
			entry_out(ctx, &acl->entries[i], &out->entries[n++]);
	entry_out(ctx, &deny_in, &out->entries[n++]);
	for (size_t i = 0; i < acl->n_entries; i++)
		if (acl->entries[i].is_egress)
			entry_out(ctx, &acl->entries[i], &out->entries[n++]);
	entry_out(ctx, &deny_out, &out->entries[n++]);
	out->n_entries = n;
	out->n_associations = acl->n_assocs;
	API_LIST(ctx, out->associations, acl->n_assocs);
	for (size_t i = 0; i < acl->n_assocs; i++) {
		out->associations[i].network_acl_association_id = acl->assocs[i].id;
		out->associations[i].network_acl_id = acl->res.id;
		out->associations[i].subnet_id = acl->assocs[i].subnet_id;
	}
	out->tags = api_tags_out(ctx, acl->res.tags, acl->res.n_tags, &out->n_tags);
}

int
api_create_network_acl(struct api_ctx *ctx, const struct ec2_create_network_acl_request *in,
    struct ec2_create_network_acl_result *out)
{
	struct core_error cerr;
	struct core_vpc *vpc;
	struct core_acl *acl;

	if (api_require(ctx, in->vpc_id, "VpcId"))
		return -EINVAL;
	if ((vpc = api_lookup(ctx, CORE_VPC, in->vpc_id)) == NULL)
		return -ENOENT;
	if (api_tagspec_check(ctx, in->tag_specifications, in->n_tag_specifications,
	    "network-acl"))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_acl_create(ctx->model, vpc, &acl, &cerr))
		return api_fail_core(ctx, &cerr);
	api_tagspec_apply(ctx, in->tag_specifications, in->n_tag_specifications,
	    "network-acl", &acl->res);
	out->network_acl = arena_alloc(ctx->arena, sizeof(*out->network_acl));
	acl_out(ctx, acl, out->network_acl);
	return 0;
}

int
api_delete_network_acl(struct api_ctx *ctx, const struct ec2_delete_network_acl_request *in)
{
	struct core_error cerr;
	struct core_acl *acl;

	if (api_require(ctx, in->network_acl_id, "NetworkAclId"))
		return -EINVAL;
	if ((acl = api_lookup(ctx, CORE_ACL, in->network_acl_id)) == NULL)
		return -ENOENT;
	api_dry_run(ctx, in->dry_run);
	if (core_acl_delete(ctx->model, acl, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

/* The entry a Create/ReplaceNetworkAclEntry request describes. */
static int
entry_in(struct api_ctx *ctx, const char *cidr, const char *cidr6, struct ec2_opt_bool egress,
    const struct ec2_icmp_type_code *icmp, const struct ec2_port_range *ports,
    const char *proto, const char *action, struct ec2_opt_int rule_no,
    struct core_acl_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (cidr6)
		return api_fail(ctx, "UnsupportedOperation",
		    "vpcd does not support IPv6 network ACL entries yet");
	if (!rule_no.set)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter ruleNumber");
	if (!egress.set)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter egress");
	if (api_require(ctx, proto, "protocol") || api_require(ctx, action, "ruleAction"))
		return -EINVAL;
	if (api_parse_cidr(ctx, cidr, "cidrBlock", &e->cidr))
		return -EINVAL;
	if (core_proto_parse(proto, &e->proto) || e->proto == 58)
		return api_fail(ctx, "InvalidParameterValue",
		    "Invalid value '%s' for protocol. Valid values are -1 (all), a "
		    "protocol number, tcp, udp or icmp.", proto);
	e->rule_no = rule_no.v < 0 || rule_no.v > 65535 ? -1 : (int)rule_no.v;
	e->is_egress = egress.v;
	e->is_allow = strcmp(action, "allow") == 0;
	e->cidr = core_cidr_canonical(e->cidr);
	e->from_port = e->to_port = -1;
	e->icmp_type = e->icmp_code = -1;
	if (e->proto == 6 || e->proto == 17) {
		if (ports == NULL || !ports->from.set || !ports->to.set)
			return api_fail(ctx, "InvalidParameterValue",
			    "TCP and UDP entries need PortRange.From and PortRange.To");
		e->from_port = (int)ports->from.v;
		e->to_port = (int)ports->to.v;
	} else if (e->proto == 1) {
		if (icmp == NULL || !icmp->type.set || !icmp->code.set)
			return api_fail(ctx, "InvalidParameterValue",
			    "ICMP entries need Icmp.Type and Icmp.Code");
		e->icmp_type = (int)icmp->type.v;
		e->icmp_code = (int)icmp->code.v;
	}
	return 0;
}

/* Create and Replace take the same entry; 'replace' says which to do. */
static int
put_entry(struct api_ctx *ctx, const char *acl_id, const char *cidr, const char *cidr6,
    struct ec2_opt_bool egress, const struct ec2_icmp_type_code *icmp,
    const struct ec2_port_range *ports, const char *proto, const char *action,
    struct ec2_opt_int rule_no, struct ec2_opt_bool dry_run, bool replace)
{
	struct core_acl_entry e;
	struct core_error cerr;
	struct core_acl *acl;

	if (api_require(ctx, acl_id, "NetworkAclId"))
		return -EINVAL;
	if ((acl = api_lookup(ctx, CORE_ACL, acl_id)) == NULL)
		return -ENOENT;
	if (entry_in(ctx, cidr, cidr6, egress, icmp, ports, proto, action, rule_no, &e))
		return -EINVAL;
	api_dry_run(ctx, dry_run);
	if ((replace ? core_acl_entry_replace : core_acl_entry_add)(ctx->model, acl, &e, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

#define ENTRY_ARGS(in) (in)->network_acl_id, (in)->cidr_block, (in)->ipv6_cidr_block, \
	(in)->egress, (in)->icmp_type_code, (in)->port_range, (in)->protocol,       \
	(in)->rule_action, (in)->rule_number, (in)->dry_run

int
api_create_network_acl_entry(struct api_ctx *ctx,
    const struct ec2_create_network_acl_entry_request *in)
{
	return put_entry(ctx, ENTRY_ARGS(in), false);
}

int
api_replace_network_acl_entry(struct api_ctx *ctx,
    const struct ec2_replace_network_acl_entry_request *in)
{
	return put_entry(ctx, ENTRY_ARGS(in), true);
}

int
api_delete_network_acl_entry(struct api_ctx *ctx,
    const struct ec2_delete_network_acl_entry_request *in)
{
	struct core_error cerr;
	struct core_acl *acl;

	if (api_require(ctx, in->network_acl_id, "NetworkAclId"))
		return -EINVAL;
	if (!in->rule_number.set || !in->egress.set)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameters ruleNumber and egress");
	if ((acl = api_lookup(ctx, CORE_ACL, in->network_acl_id)) == NULL)
		return -ENOENT;
	api_dry_run(ctx, in->dry_run);
	if (core_acl_entry_delete(ctx->model, acl, in->egress.v, (int)in->rule_number.v, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

int
api_replace_network_acl_association(struct api_ctx *ctx,
    const struct ec2_replace_network_acl_association_request *in,
    struct ec2_replace_network_acl_association_result *out)
{
	struct core_error cerr;
	struct core_acl *acl;
	const char *id;

	if (api_require(ctx, in->association_id, "AssociationId") ||
	    api_require(ctx, in->network_acl_id, "NetworkAclId"))
		return -EINVAL;
	if ((acl = api_lookup(ctx, CORE_ACL, in->network_acl_id)) == NULL)
		return -ENOENT;
	api_dry_run(ctx, in->dry_run);
	if (core_acl_replace_assoc(ctx->model, ctx->owner, in->association_id, acl, &id, &cerr))
		return api_fail_core(ctx, &cerr);
	out->new_association_id = id;
	return 0;
}

static void f_assoc_id(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < ACL(r)->n_assocs; i++)
		api_val(v, ACL(r)->assocs[i].id);
}
static void f_assoc_acl(struct api_vals *v, const void *r)
{
	if (ACL(r)->n_assocs)
		api_val(v, ACL(r)->res.id);
}
static void f_assoc_subnet(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < ACL(r)->n_assocs; i++)
		api_val(v, ACL(r)->assocs[i].subnet_id);
}
static void f_default(struct api_vals *v, const void *r) { api_val_bool(v, ACL(r)->is_default); }

/* Entry filters also see the implicit deny entries. */
static void
entry_vals(struct api_vals *v, const void *r, int what)
{
	const struct core_acl *acl = r;

	for (size_t i = 0; i < acl->n_entries + 2; i++) {
		struct core_acl_entry deny = { .rule_no = 32767, .is_egress = i > acl->n_entries,
			.proto = -1, .from_port = -1, .to_port = -1, .icmp_type = -1,
			.icmp_code = -1 };
		const struct core_acl_entry *e = i < acl->n_entries ? &acl->entries[i] : &deny;
		char *name;

		switch (what) {
		case 0: api_val(v, api_cidr_str(v->ctx, &e->cidr)); break;
		case 1: api_val_bool(v, e->is_egress); break;
		case 2: if (e->proto == 1) api_val_int(v, e->icmp_code); break;
		case 3: if (e->proto == 1) api_val_int(v, e->icmp_type); break;
		case 4: if (e->from_port >= 0) api_val_int(v, e->from_port); break;
		case 5: if (e->to_port >= 0) api_val_int(v, e->to_port); break;
		case 6:
			/* By number, or for tcp, udp and icmp also by name. */
			api_val_int(v, e->proto);
			if (e->proto == 1 || e->proto == 6 || e->proto == 17) {
				name = arena_alloc(v->ctx->arena, 8);
				core_proto_format(e->proto, name);
				api_val(v, name);
			}
			break;
		case 7: api_val(v, e->is_allow ? "allow" : "deny"); break;
		case 8: api_val_int(v, e->rule_no); break;
		}
	}
}
#define ENTRY_FILTER(name, what) \
	static void name(struct api_vals *v, const void *r) { entry_vals(v, r, what); }
ENTRY_FILTER(f_e_cidr, 0)
ENTRY_FILTER(f_e_egress, 1)
ENTRY_FILTER(f_e_icmp_code, 2)
ENTRY_FILTER(f_e_icmp_type, 3)
ENTRY_FILTER(f_e_from, 4)
ENTRY_FILTER(f_e_to, 5)
ENTRY_FILTER(f_e_proto, 6)
ENTRY_FILTER(f_e_action, 7)
ENTRY_FILTER(f_e_rule, 8)
static void f_none(struct api_vals *v, const void *r) { }
static void f_acl_id(struct api_vals *v, const void *r) { api_val(v, ACL(r)->res.id); }
static void f_acl_owner(struct api_vals *v, const void *r) { api_val(v, ACL(r)->res.owner); }
static void f_acl_vpc(struct api_vals *v, const void *r) { api_val(v, ACL(r)->vpc_id); }

static const struct api_filter_def acl_filters[] = {
	{ "association.association-id", f_assoc_id },
	{ "association.network-acl-id", f_assoc_acl },
	{ "association.subnet-id", f_assoc_subnet },
	{ "default", f_default },
	{ "entry.cidr", f_e_cidr },
	{ "entry.egress", f_e_egress },
	{ "entry.icmp.code", f_e_icmp_code },
	{ "entry.icmp.type", f_e_icmp_type },
	{ "entry.ipv6-cidr", f_none },
	{ "entry.port-range.from", f_e_from },
	{ "entry.port-range.to", f_e_to },
	{ "entry.protocol", f_e_proto },
	{ "entry.rule-action", f_e_action },
	{ "entry.rule-number", f_e_rule },
	{ "network-acl-id", f_acl_id },
	{ "owner-id", f_acl_owner },
	{ "vpc-id", f_acl_vpc },
};

int
api_describe_network_acls(struct api_ctx *ctx,
    const struct ec2_describe_network_acls_request *in,
    struct ec2_describe_network_acls_result *out)
{
	struct api_describe d;

	if (api_describe_begin(ctx, &d, &(struct api_describe_req){
	    .type = CORE_ACL, .ids_param = "networkAclIds", .ids = in->network_acl_ids, .n_ids = in->n_network_acl_ids,
	    .max_results = in->max_results, .next_token = in->next_token, .max = 1000,
	    .defs = acl_filters, .n_defs = ARRAY_SIZE(acl_filters), .filters = in->filters,
	    .n_filters = in->n_filters, .dry_run = in->dry_run }))
		return -EINVAL;
	API_LIST(ctx, out->network_acls, d.n);
	for (size_t i = 0; i < d.n; i++) {
		struct core_res *r = d.set[i];

		if (!api_filters_match(ctx, &d.f, r, r->tags, r->n_tags) || !api_page_take(&d.pg, r->seq))
			continue;
		acl_out(ctx, ACL(r), &out->network_acls[out->n_network_acls++]);
	}
	out->next_token = api_page_token(ctx, &d.pg);
	return 0;
}
