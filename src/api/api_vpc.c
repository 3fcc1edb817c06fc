/* VPCs, their attributes and CIDR blocks; account, Region and zones. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"

static struct ec2_vpc_cidr_block_association *
cidr_assoc_out(struct api_ctx *ctx, const struct core_vpc_cidr *c, const char *state)
{
	struct ec2_vpc_cidr_block_association *a = arena_alloc(ctx->arena, sizeof(*a));

	a->association_id = c->assoc_id;
	a->cidr_block = api_cidr_str(ctx, &c->cidr);
	a->cidr_block_state = arena_alloc(ctx->arena, sizeof(*a->cidr_block_state));
	a->cidr_block_state->state = state;
	return a;
}

static void
api_vpc_out(struct api_ctx *ctx, const struct core_vpc *vpc, struct ec2_vpc *out)
{
	out->vpc_id = vpc->res.id;
	out->owner_id = vpc->res.owner;
	out->state = "available";
	out->cidr_block = api_cidr_str(ctx, &vpc->cidrs[0].cidr);
	out->dhcp_options_id = "default";
	out->instance_tenancy = vpc->is_dedicated ? "dedicated" : "default";
	out->is_default = EC2_BOOL(vpc->is_default);
	out->n_cidr_block_association_set = vpc->n_cidrs;
	API_LIST(ctx, out->cidr_block_association_set, vpc->n_cidrs);
	for (size_t i = 0; i < vpc->n_cidrs; i++)
		out->cidr_block_association_set[i] =
		    *cidr_assoc_out(ctx, &vpc->cidrs[i], "associated");
	out->tags = api_tags_out(ctx, vpc->res.tags, vpc->res.n_tags, &out->n_tags);
}

/* CreateVpc and AssociateVpcCidrBlock share these members. */
#define IPV6_OR_IPAM(in) (((in)->amazon_provided_ipv6_cidr_block.set &&         \
	(in)->amazon_provided_ipv6_cidr_block.v) || (in)->ipv6_pool ||               \
	(in)->ipv6_cidr_block || (in)->ipv4_ipam_pool_id || (in)->ipv6_ipam_pool_id || \
	(in)->ipv4_netmask_length.set || (in)->ipv6_netmask_length.set)

/* Options vpcd does not implement are refused, never silently ignored. */
static int
no_ipv6(struct api_ctx *ctx, bool requested)
{
	if (requested)
		return api_fail(ctx, "UnsupportedOperation",
		    "vpcd does not support IPv6 blocks or IPAM pools yet");
	return 0;
}

int
api_create_vpc(struct api_ctx *ctx, const struct ec2_create_vpc_request *in,
    struct ec2_create_vpc_result *out)
{
	struct core_error cerr;
	struct core_cidr cidr;
	struct core_vpc *vpc;
	bool dedicated = false;

	if (no_ipv6(ctx, IPV6_OR_IPAM(in)))
		return -EINVAL;
	if (api_parse_cidr(ctx, in->cidr_block, "CidrBlock", &cidr))
		return -EINVAL;
	if (in->instance_tenancy) {
		if (strcmp(in->instance_tenancy, "host") == 0)
			return api_fail(ctx, "InvalidParameterValue",
			    "Value (host) for parameter instanceTenancy is invalid. Valid "
			    "values: default, dedicated");
		dedicated = strcmp(in->instance_tenancy, "dedicated") == 0;
	}
	if (api_tagspec_check(ctx, in->tag_specifications, in->n_tag_specifications, "vpc"))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_vpc_create(ctx->model, ctx->owner, cidr, dedicated, false, &vpc, &cerr))
		return api_fail_core(ctx, &cerr);
	api_tagspec_apply(ctx, in->tag_specifications, in->n_tag_specifications, "vpc",
	    &vpc->res);
	out->vpc = arena_alloc(ctx->arena, sizeof(*out->vpc));
	api_vpc_out(ctx, vpc, out->vpc);
	out->vpc->state = "pending";  /* as AWS answers CreateVpc */
	return 0;
}

int
api_create_default_vpc(struct api_ctx *ctx, const struct ec2_create_default_vpc_request *in,
    struct ec2_create_default_vpc_result *out)
{
	struct core_error cerr;
	struct core_vpc *vpc;

	api_dry_run(ctx, in->dry_run);
	if (core_vpc_create_default(ctx->model, ctx->owner, &vpc, &cerr))
		return api_fail_core(ctx, &cerr);
	out->vpc = arena_alloc(ctx->arena, sizeof(*out->vpc));
	api_vpc_out(ctx, vpc, out->vpc);
	return 0;
}

int
api_delete_vpc(struct api_ctx *ctx, const struct ec2_delete_vpc_request *in)
{
	struct core_error cerr;
	struct core_vpc *vpc;

	if (api_require(ctx, in->vpc_id, "VpcId"))
		return -EINVAL;
	if ((vpc = api_lookup(ctx, CORE_VPC, in->vpc_id)) == NULL)
		return -ENOENT;
	api_dry_run(ctx, in->dry_run);
	if (core_vpc_delete(ctx->model, vpc, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

#define VPC(res) ((const struct core_vpc *)(res))

static void f_vpc_cidr(struct api_vals *v, const void *r)
{
	api_val(v, api_cidr_str(v->ctx, &VPC(r)->cidrs[0].cidr));
}
static void f_vpc_assoc_cidr(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < VPC(r)->n_cidrs; i++)
		api_val(v, api_cidr_str(v->ctx, &VPC(r)->cidrs[i].cidr));
}
static void f_vpc_assoc_id(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < VPC(r)->n_cidrs; i++)
		api_val(v, VPC(r)->cidrs[i].assoc_id);
}
static void f_vpc_assoc_state(struct api_vals *v, const void *r) { api_val(v, "associated"); }
static void f_vpc_dhcp(struct api_vals *v, const void *r) { api_val(v, "default"); }
static void f_vpc_none(struct api_vals *v, const void *r) { }
static void f_vpc_default(struct api_vals *v, const void *r) { api_val_bool(v, VPC(r)->is_default); }
static void f_owner(struct api_vals *v, const void *r) { api_val(v, ((const struct core_res *)r)->owner); }
static void f_available(struct api_vals *v, const void *r) { api_val(v, "available"); }
static void f_id(struct api_vals *v, const void *r) { api_val(v, ((const struct core_res *)r)->id); }

static const struct api_filter_def vpc_filters[] = {
	{ "cidr", f_vpc_cidr },
	{ "cidr-block-association.association-id", f_vpc_assoc_id },
	{ "cidr-block-association.cidr-block", f_vpc_assoc_cidr },
	{ "cidr-block-association.state", f_vpc_assoc_state },
	{ "dhcp-options-id", f_vpc_dhcp },
	{ "ipv6-cidr-block-association.association-id", f_vpc_none },
	{ "ipv6-cidr-block-association.ipv6-cidr-block", f_vpc_none },
	{ "ipv6-cidr-block-association.ipv6-pool", f_vpc_none },
	{ "ipv6-cidr-block-association.state", f_vpc_none },
	{ "is-default", f_vpc_default },
	{ "owner-id", f_owner },
	{ "state", f_available },
	{ "vpc-id", f_id },
};

int
api_describe_vpcs(struct api_ctx *ctx, const struct ec2_describe_vpcs_request *in,
    struct ec2_describe_vpcs_result *out)
{
	struct api_describe d;

	if (api_describe_begin(ctx, &d, &(struct api_describe_req){
	    .type = CORE_VPC, .ids_param = "vpcIds", .ids = in->vpc_ids, .n_ids = in->n_vpc_ids,
	    .max_results = in->max_results, .next_token = in->next_token, .max = 1000,
	    .defs = vpc_filters, .n_defs = ARRAY_SIZE(vpc_filters), .filters = in->filters,
	    .n_filters = in->n_filters, .dry_run = in->dry_run }))
		return -EINVAL;
	API_LIST(ctx, out->vpcs, d.n);
	for (size_t i = 0; i < d.n; i++) {
		struct core_res *r = d.set[i];

		if (!api_filters_match(ctx, &d.f, r, r->tags, r->n_tags) || !api_page_take(&d.pg, r->seq))
			continue;
		api_vpc_out(ctx, VPC(r), &out->vpcs[out->n_vpcs++]);
	}
	out->next_token = api_page_token(ctx, &d.pg);
	return 0;
}

static bool
attr_value(const struct ec2_attribute_boolean_value *a, bool *out)
{
	if (a == NULL)
		return false;
	*out = a->value.set && a->value.v;
	return true;
}

int
api_modify_vpc_attribute(struct api_ctx *ctx, const struct ec2_modify_vpc_attribute_request *in)
{
	struct core_vpc *vpc;
	struct core_error cerr;
	bool support = false, hostnames = false, nau = false;
	bool has_support = attr_value(in->enable_dns_support, &support);
	bool has_hostnames = attr_value(in->enable_dns_hostnames, &hostnames);
	bool has_nau = attr_value(in->enable_network_address_usage_metrics, &nau);

	if (api_require(ctx, in->vpc_id, "VpcId"))
		return -EINVAL;
	if ((vpc = api_lookup(ctx, CORE_VPC, in->vpc_id)) == NULL)
		return -ENOENT;
	if (has_support + has_hostnames + has_nau != 1)
		return api_fail(ctx, "InvalidParameterCombination",
		    "Fields for multiple attribute types specified: exactly one of "
		    "EnableDnsSupport, EnableDnsHostnames and "
		    "EnableNetworkAddressUsageMetrics is required");
	if (has_hostnames && hostnames && !vpc->dns_support)
		return api_fail(ctx, "InvalidParameterValue",
		    "Cannot enable DNS hostnames when DNS support is disabled for %s",
		    vpc->res.id);
	if (core_commit_point(ctx->model, &cerr))
		return api_fail_core(ctx, &cerr);
	if (has_support)
		vpc->dns_support = support;
	if (has_hostnames)
		vpc->dns_hostnames = hostnames;
	if (has_nau)
		vpc->nau_metrics = nau;
	core_touch(ctx->model, &vpc->res);
	return 0;
}

static struct ec2_attribute_boolean_value *
bool_attr(struct api_ctx *ctx, bool v)
{
	struct ec2_attribute_boolean_value *a = arena_alloc(ctx->arena, sizeof(*a));

	a->value = EC2_BOOL(v);
	return a;
}

int
api_describe_vpc_attribute(struct api_ctx *ctx,
    const struct ec2_describe_vpc_attribute_request *in,
    struct ec2_describe_vpc_attribute_result *out)
{
	struct core_vpc *vpc;

	if (api_require(ctx, in->vpc_id, "VpcId") ||
	    api_require(ctx, in->attribute, "Attribute"))
		return -EINVAL;
	if ((vpc = api_lookup(ctx, CORE_VPC, in->vpc_id)) == NULL)
		return -ENOENT;
	if (api_dry_run_check(ctx, in->dry_run))
		return -EINVAL;
	out->vpc_id = vpc->res.id;
	if (strcmp(in->attribute, "enableDnsSupport") == 0)
		out->enable_dns_support = bool_attr(ctx, vpc->dns_support);
	else if (strcmp(in->attribute, "enableDnsHostnames") == 0)
		out->enable_dns_hostnames = bool_attr(ctx, vpc->dns_hostnames);
	else
		out->enable_network_address_usage_metrics = bool_attr(ctx, vpc->nau_metrics);
	return 0;
}

int
api_associate_vpc_cidr_block(struct api_ctx *ctx,
    const struct ec2_associate_vpc_cidr_block_request *in,
    struct ec2_associate_vpc_cidr_block_result *out)
{
	struct core_error cerr;
	struct core_cidr cidr;
	struct core_vpc *vpc;
	struct core_vpc_cidr *vc;

	if (api_require(ctx, in->vpc_id, "VpcId"))
		return -EINVAL;
	if (no_ipv6(ctx, IPV6_OR_IPAM(in)))
		return -EINVAL;
	if ((vpc = api_lookup(ctx, CORE_VPC, in->vpc_id)) == NULL)
		return -ENOENT;
	if (api_parse_cidr(ctx, in->cidr_block, "CidrBlock", &cidr))
		return -EINVAL;
	if (core_vpc_cidr_add(ctx->model, vpc, cidr, &vc, &cerr))
		return api_fail_core(ctx, &cerr);
	out->vpc_id = vpc->res.id;
	out->cidr_block_association = cidr_assoc_out(ctx, vc, "associating");
	return 0;
}

int
api_disassociate_vpc_cidr_block(struct api_ctx *ctx,
    const struct ec2_disassociate_vpc_cidr_block_request *in,
    struct ec2_disassociate_vpc_cidr_block_result *out)
{
	struct core_error cerr;
	struct core_vpc_cidr removed;
	struct core_vpc *vpc;

	if (api_require(ctx, in->association_id, "AssociationId"))
		return -EINVAL;
	if (core_vpc_cidr_remove(ctx->model, ctx->owner, in->association_id, &vpc, &removed,
	    &cerr))
		return api_fail_core(ctx, &cerr);
	out->vpc_id = vpc->res.id;
	out->cidr_block_association = cidr_assoc_out(ctx, &removed, "disassociating");
	out->cidr_block_association->association_id =
	    arena_strdup(ctx->arena, removed.assoc_id);
	return 0;
}

static void
account_attr(struct api_ctx *ctx, struct ec2_describe_account_attributes_result *out,
    const char *const *names, size_t n_names, const char *name, const char *value)
{
	struct ec2_account_attribute *a;

	if (!api_ids_has(names, n_names, name))
		return;
	a = &out->account_attributes[out->n_account_attributes++];
	a->attribute_name = name;
	a->n_attribute_values = 1;
	a->attribute_values = arena_alloc(ctx->arena, sizeof(*a->attribute_values));
	a->attribute_values->attribute_value = value;
}

int
api_describe_account_attributes(struct api_ctx *ctx,
    const struct ec2_describe_account_attributes_request *in,
    struct ec2_describe_account_attributes_result *out)
{
	struct core_vpc *def = core_vpc_default(ctx->model, ctx->owner);
	const char *const *names = in->attribute_names;
	size_t n = in->n_attribute_names;

	if (api_dry_run_check(ctx, in->dry_run))
		return -EINVAL;
	API_LIST(ctx, out->account_attributes, 6);
	account_attr(ctx, out, names, n, "supported-platforms", "VPC");
	account_attr(ctx, out, names, n, "default-vpc", def ? def->res.id : "none");
	account_attr(ctx, out, names, n, "max-instances", "20");
	account_attr(ctx, out, names, n, "vpc-max-security-groups-per-interface", "5");
	account_attr(ctx, out, names, n, "max-elastic-ips", "5");
	account_attr(ctx, out, names, n, "vpc-max-elastic-ips", "5");
	return 0;
}

#define REGION(r) ((const struct ec2_region *)(r))
static void f_region_name(struct api_vals *v, const void *r) { api_val(v, REGION(r)->region_name); }
static void f_region_endpoint(struct api_vals *v, const void *r) { api_val(v, REGION(r)->endpoint); }
static void f_region_optin(struct api_vals *v, const void *r) { api_val(v, REGION(r)->opt_in_status); }

static const struct api_filter_def region_filters[] = {
	{ "endpoint", f_region_endpoint },
	{ "opt-in-status", f_region_optin },
	{ "region-name", f_region_name },
};

int
api_describe_regions(struct api_ctx *ctx, const struct ec2_describe_regions_request *in,
    struct ec2_describe_regions_result *out)
{
	const struct core_config *cfg = ctx->model->cfg;
	struct ec2_region region = {
		.region_name = cfg->region,
		.endpoint = arena_printf(ctx->arena, "ec2.%s.amazonaws.com", cfg->region),
		.opt_in_status = "opt-in-not-required",
	};
	struct api_filters f;

	for (size_t i = 0; i < in->n_region_names; i++)
		if (strcmp(in->region_names[i], cfg->region) != 0)
			return api_fail(ctx, "InvalidParameterValue",
			    "Invalid region: %s", in->region_names[i]);
	if (api_filters_init(ctx, &f, region_filters, ARRAY_SIZE(region_filters),
	    in->filters, in->n_filters) || api_dry_run_check(ctx, in->dry_run))
		return -EINVAL;
	API_LIST(ctx, out->regions, 1);
	if (api_filters_match(ctx, &f, &region, NULL, 0))
		out->regions[out->n_regions++] = region;
	return 0;
}
#define ZONE(r) ((const struct ec2_availability_zone *)(r))
static void f_zone_name(struct api_vals *v, const void *r) { api_val(v, ZONE(r)->zone_name); }
static void f_zone_id(struct api_vals *v, const void *r) { api_val(v, ZONE(r)->zone_id); }
static void f_zone_region(struct api_vals *v, const void *r) { api_val(v, ZONE(r)->region_name); }
static void f_zone_state(struct api_vals *v, const void *r) { api_val(v, ZONE(r)->state); }
static void f_zone_optin(struct api_vals *v, const void *r) { api_val(v, ZONE(r)->opt_in_status); }
static void f_zone_type(struct api_vals *v, const void *r) { api_val(v, ZONE(r)->zone_type); }
static void f_zone_group(struct api_vals *v, const void *r) { api_val(v, ZONE(r)->group_name); }
static void f_zone_none(struct api_vals *v, const void *r) { }

static const struct api_filter_def zone_filters[] = {
	{ "group-name", f_zone_group },
	{ "message", f_zone_none },
	{ "network-border-group", f_zone_group },
	{ "opt-in-status", f_zone_optin },
	{ "parent-zone-id", f_zone_none },
	{ "parent-zone-name", f_zone_none },
	{ "region-name", f_zone_region },
	{ "state", f_zone_state },
	{ "zone-id", f_zone_id },
	{ "zone-name", f_zone_name },
	{ "zone-type", f_zone_type },
};

int
api_describe_availability_zones(struct api_ctx *ctx,
    const struct ec2_describe_availability_zones_request *in,
    struct ec2_describe_availability_zones_result *out)
{
	const struct core_config *cfg = ctx->model->cfg;
	struct api_filters f;

	if (api_filters_init(ctx, &f, zone_filters, ARRAY_SIZE(zone_filters), in->filters,
	    in->n_filters) || api_dry_run_check(ctx, in->dry_run))
		return -EINVAL;
	API_LIST(ctx, out->availability_zones, cfg->n_azs);
	for (size_t i = 0; i < in->n_zone_names; i++) {
		size_t z;

		for (z = 0; z < cfg->n_azs && strcmp(cfg->azs[z], in->zone_names[i]); z++)
			;
		if (z == cfg->n_azs)
			return api_fail(ctx, "InvalidParameterValue",
			    "Invalid availability zone: [%s]", in->zone_names[i]);
	}
	for (size_t z = 0; z < cfg->n_azs; z++) {
		struct ec2_availability_zone zone = {
			.state = "available",
			.opt_in_status = "opt-in-not-required",
			.region_name = cfg->region,
			.zone_name = cfg->azs[z],
			.zone_id = cfg->az_ids[z],
			.group_name = cfg->region,
			.network_border_group = cfg->region,
			.zone_type = "availability-zone",
		};
		if (api_ids_has(in->zone_names, in->n_zone_names, zone.zone_name) &&
		    api_ids_has(in->zone_ids, in->n_zone_ids, zone.zone_id) &&
		    api_filters_match(ctx, &f, &zone, NULL, 0)) {
			API_LIST(ctx, zone.messages, 0);
			out->availability_zones[out->n_availability_zones++] = zone;
		}
	}
	return 0;
}
