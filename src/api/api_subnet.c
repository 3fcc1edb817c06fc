/* Subnets. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"

#define SUBNET(res) ((const struct core_subnet *)(res))

static void
subnet_out(struct api_ctx *ctx, const struct core_subnet *sn, struct ec2_subnet *out)
{
	out->subnet_id = sn->res.id;
	out->vpc_id = sn->vpc_id;
	out->owner_id = sn->res.owner;
	out->state = "available";
	out->cidr_block = api_cidr_str(ctx, &sn->cidr);
	out->availability_zone = sn->az;
	out->availability_zone_id = core_az_id(ctx->model->cfg, sn->az);
	out->available_ip_address_count = EC2_INT((int64_t)core_subnet_available(sn));
	out->default_for_az = EC2_BOOL(sn->is_default_for_az);
	out->map_public_ip_on_launch = EC2_BOOL(sn->map_public_ip);
	out->map_customer_owned_ip_on_launch = EC2_BOOL(false);
	out->assign_ipv6_address_on_creation = EC2_BOOL(false);
	out->enable_dns64 = EC2_BOOL(false);
	out->ipv6_native = EC2_BOOL(false);
	out->enable_lni_at_device_index = (struct ec2_opt_int){ 0 };
	API_LIST(ctx, out->ipv6_cidr_block_association_set, 0);
	out->subnet_arn = arena_printf(ctx->arena, "arn:aws:ec2:%s:%s:subnet/%s",
	    ctx->model->cfg->region, sn->res.owner, sn->res.id);
	out->private_dns_name_options_on_launch =
	    arena_alloc(ctx->arena, sizeof(*out->private_dns_name_options_on_launch));
	out->private_dns_name_options_on_launch->hostname_type = "ip-name";
	out->private_dns_name_options_on_launch->enable_resource_name_dns_a_record =
	    EC2_BOOL(false);
	out->private_dns_name_options_on_launch->enable_resource_name_dns_aaaa_record =
	    EC2_BOOL(false);
	out->tags = api_tags_out(ctx, sn->res.tags, sn->res.n_tags, &out->n_tags);
}

int
api_create_subnet(struct api_ctx *ctx, const struct ec2_create_subnet_request *in,
    struct ec2_create_subnet_result *out)
{
	const struct core_config *cfg = ctx->model->cfg;
	struct core_error cerr;
	struct core_cidr cidr;
	struct core_subnet *sn;
	struct core_vpc *vpc;
	const char *az = in->availability_zone;

	if (api_require(ctx, in->vpc_id, "VpcId"))
		return -EINVAL;
	if (in->ipv6_cidr_block || (in->ipv6_native.set && in->ipv6_native.v) ||
	    in->outpost_arn)
		return api_fail(ctx, "UnsupportedOperation",
		    "vpcd does not support IPv6 subnets or Outposts yet");
	if ((vpc = api_lookup(ctx, CORE_VPC, in->vpc_id)) == NULL)
		return -ENOENT;
	if (api_parse_cidr(ctx, in->cidr_block, "CidrBlock", &cidr))
		return -EINVAL;
	if (az && in->availability_zone_id)
		return api_fail(ctx, "InvalidParameterCombination",
		    "Only one of AvailabilityZone or AvailabilityZoneId may be specified");
	if (in->availability_zone_id) {
		for (size_t i = 0; i < cfg->n_azs && !az; i++)
			if (strcmp(cfg->az_ids[i], in->availability_zone_id) == 0)
				az = cfg->azs[i];
		if (az == NULL)
			return api_fail(ctx, "InvalidParameterValue",
			    "Value (%s) for parameter availabilityZoneId is invalid.",
			    in->availability_zone_id);
	}
	if (az == NULL) {
		/* AWS picks a zone; spread subnets over the zones. */
		az = cfg->azs[ctx->model->count[CORE_SUBNET] % cfg->n_azs];
	}
	if (api_tagspec_check(ctx, in->tag_specifications, in->n_tag_specifications,
	    "subnet"))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_subnet_create(ctx->model, vpc, cidr, az, &sn, &cerr))
		return api_fail_core(ctx, &cerr);
	api_tagspec_apply(ctx, in->tag_specifications, in->n_tag_specifications, "subnet",
	    &sn->res);
	out->subnet = arena_alloc(ctx->arena, sizeof(*out->subnet));
	subnet_out(ctx, sn, out->subnet);
	return 0;
}

int
api_delete_subnet(struct api_ctx *ctx, const struct ec2_delete_subnet_request *in)
{
	struct core_error cerr;
	struct core_subnet *sn;

	if (api_require(ctx, in->subnet_id, "SubnetId"))
		return -EINVAL;
	if ((sn = api_lookup(ctx, CORE_SUBNET, in->subnet_id)) == NULL)
		return -ENOENT;
	api_dry_run(ctx, in->dry_run);
	if (core_subnet_delete(ctx->model, sn, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

int
api_modify_subnet_attribute(struct api_ctx *ctx,
    const struct ec2_modify_subnet_attribute_request *in)
{
	struct core_error cerr;
	struct core_subnet *sn;

	if (api_require(ctx, in->subnet_id, "SubnetId"))
		return -EINVAL;
	if ((sn = api_lookup(ctx, CORE_SUBNET, in->subnet_id)) == NULL)
		return -ENOENT;
	if (in->assign_ipv6_address_on_creation || in->map_customer_owned_ip_on_launch ||
	    in->customer_owned_ipv4_pool || in->enable_dns64 ||
	    in->private_dns_hostname_type_on_launch ||
	    in->enable_resource_name_dns_a_record_on_launch ||
	    in->enable_resource_name_dns_aaaa_record_on_launch ||
	    in->enable_lni_at_device_index.set || in->disable_lni_at_device_index)
		return api_fail(ctx, "UnsupportedOperation",
		    "vpcd supports only the MapPublicIpOnLaunch subnet attribute");
	if (in->map_public_ip_on_launch == NULL)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter MapPublicIpOnLaunch");
	if (core_commit_point(ctx->model, &cerr))
		return api_fail_core(ctx, &cerr);
	sn->map_public_ip = in->map_public_ip_on_launch->value.set &&
	    in->map_public_ip_on_launch->value.v;
	core_touch(ctx->model, &sn->res);
	return 0;
}

static void f_sn_az(struct api_vals *v, const void *r) { api_val(v, SUBNET(r)->az); }
static void f_sn_az_id(struct api_vals *v, const void *r)
{
	api_val(v, core_az_id(v->ctx->model->cfg, SUBNET(r)->az));
}
static void f_sn_avail(struct api_vals *v, const void *r)
{
	api_val_int(v, (long long)core_subnet_available(SUBNET(r)));
}
static void f_sn_cidr(struct api_vals *v, const void *r)
{
	api_val(v, api_cidr_str(v->ctx, &SUBNET(r)->cidr));
}
static void f_sn_default(struct api_vals *v, const void *r)
{
	api_val_bool(v, SUBNET(r)->is_default_for_az);
}
static void f_sn_map_public(struct api_vals *v, const void *r)
{
	api_val_bool(v, SUBNET(r)->map_public_ip);
}
static void f_false(struct api_vals *v, const void *r) { api_val_bool(v, false); }
static void f_none(struct api_vals *v, const void *r) { }
static void f_sn_owner(struct api_vals *v, const void *r) { api_val(v, SUBNET(r)->res.owner); }
static void f_sn_state(struct api_vals *v, const void *r) { api_val(v, "available"); }
static void f_sn_id(struct api_vals *v, const void *r) { api_val(v, SUBNET(r)->res.id); }
static void f_sn_vpc(struct api_vals *v, const void *r) { api_val(v, SUBNET(r)->vpc_id); }
static void f_sn_arn(struct api_vals *v, const void *r)
{
	api_val(v, arena_printf(v->ctx->arena, "arn:aws:ec2:%s:%s:subnet/%s",
	    v->ctx->model->cfg->region, SUBNET(r)->res.owner, SUBNET(r)->res.id));
}
static void f_sn_hostname_type(struct api_vals *v, const void *r) { api_val(v, "ip-name"); }

static const struct api_filter_def subnet_filters[] = {
	{ "availability-zone", f_sn_az },
	{ "availability-zone-id", f_sn_az_id },
	{ "availabilityZone", f_sn_az },
	{ "available-ip-address-count", f_sn_avail },
	{ "cidr", f_sn_cidr },
	{ "cidr-block", f_sn_cidr },
	{ "cidrBlock", f_sn_cidr },
	{ "customer-owned-ipv4-pool", f_none },
	{ "default-for-az", f_sn_default },
	{ "defaultForAz", f_sn_default },
	{ "enable-dns64", f_false },
	{ "enable-lni-at-device-index", f_none },
	{ "ipv6-cidr-block-association.association-id", f_none },
	{ "ipv6-cidr-block-association.ipv6-cidr-block", f_none },
	{ "ipv6-cidr-block-association.state", f_none },
	{ "ipv6-native", f_false },
	{ "map-customer-owned-ip-on-launch", f_false },
	{ "map-public-ip-on-launch", f_sn_map_public },
	{ "outpost-arn", f_none },
	{ "owner-id", f_sn_owner },
	{ "private-dns-name-options-on-launch.enable-resource-name-dns-a-record", f_false },
	{ "private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record", f_false },
	{ "private-dns-name-options-on-launch.hostname-type", f_sn_hostname_type },
	{ "state", f_sn_state },
	{ "subnet-arn", f_sn_arn },
	{ "subnet-id", f_sn_id },
	{ "vpc-id", f_sn_vpc },
};

int
api_describe_subnets(struct api_ctx *ctx, const struct ec2_describe_subnets_request *in,
    struct ec2_describe_subnets_result *out)
{
	struct api_describe d;

	if (api_describe_begin(ctx, &d, &(struct api_describe_req){
	    .type = CORE_SUBNET, .ids_param = "subnetIds", .ids = in->subnet_ids, .n_ids = in->n_subnet_ids,
	    .max_results = in->max_results, .next_token = in->next_token, .max = 1000,
	    .defs = subnet_filters, .n_defs = ARRAY_SIZE(subnet_filters), .filters = in->filters,
	    .n_filters = in->n_filters, .dry_run = in->dry_run }))
		return -EINVAL;
	API_LIST(ctx, out->subnets, d.n);
	for (size_t i = 0; i < d.n; i++) {
		struct core_res *r = d.set[i];

		if (!api_filters_match(ctx, &d.f, r, r->tags, r->n_tags) || !api_page_take(&d.pg, r->seq))
			continue;
		subnet_out(ctx, SUBNET(r), &out->subnets[out->n_subnets++]);
	}
	out->next_token = api_page_token(ctx, &d.pg);
	return 0;
}
