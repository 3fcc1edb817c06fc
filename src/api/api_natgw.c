/* NAT gateways. */
#include <string.h>

#include "api_int.h"

#define NATGW(res) ((const struct core_natgw *)(res))

static void
natgw_out(struct api_ctx *ctx, const struct core_natgw *gw, struct ec2_nat_gateway *out)
{
	struct ec2_nat_gateway_address *a;

	out->nat_gateway_id = gw->res.id;
	out->vpc_id = gw->vpc_id;
	out->subnet_id = gw->subnet_id;
	out->state = core_natgw_state_name(gw->state);
	out->connectivity_type = gw->is_private ? "private" : "public";
	out->create_time = EC2_INT(gw->res.created_ms);
	if (gw->state == CORE_NATGW_DELETED)
		out->delete_time = EC2_INT(gw->delete_ms);
	if (gw->failure_code[0]) {
		out->failure_code = gw->failure_code;
		out->failure_message = gw->failure_message;
	}
	out->tags = api_tags_out(ctx, gw->res.tags, gw->res.n_tags, &out->n_tags);
	API_LIST(ctx, out->nat_gateway_addresses, 1);
	a = &out->nat_gateway_addresses[out->n_nat_gateway_addresses++];
	a->is_primary = EC2_BOOL(true);
	if (gw->alloc_id[0])
		a->allocation_id = gw->alloc_id;
	if (gw->state == CORE_NATGW_FAILED) {
		a->status = "failed";
		a->failure_message = gw->failure_message;
		return;
	}
	a->network_interface_id = gw->eni_id;
	a->private_ip = api_ip_str(ctx, gw->private_ip);
	if (gw->public_ip) {
		a->public_ip = api_ip_str(ctx, gw->public_ip);
		a->association_id = gw->assoc_id;
	}
	a->status = gw->state == CORE_NATGW_PENDING ? "associating" :
	    gw->state == CORE_NATGW_DELETING ? "disassociating" : "succeeded";
}

int
api_create_nat_gateway(struct api_ctx *ctx, const struct ec2_create_nat_gateway_request *in,
    struct ec2_create_nat_gateway_result *out)
{
	struct core_natgw_spec spec = { 0 };
	struct core_error cerr;
	struct core_natgw *gw;

	if (api_require(ctx, in->subnet_id, "SubnetId"))
		return -EINVAL;
	if (in->connectivity_type && strcmp(in->connectivity_type, "public") != 0 &&
	    strcmp(in->connectivity_type, "private") != 0)
		return api_fail(ctx, "InvalidParameterValue",
		    "Value (%s) for parameter connectivityType is invalid. Valid values are "
		    "public and private.", in->connectivity_type);
	spec.is_private = in->connectivity_type && strcmp(in->connectivity_type, "private") == 0;
	if ((spec.subnet = api_lookup(ctx, CORE_SUBNET, in->subnet_id)) == NULL)
		return -ENOENT;
	if (spec.is_private && in->allocation_id)
		return api_fail(ctx, "InvalidParameterCombination",
		    "An Elastic IP address cannot be associated with a private NAT gateway.");
	if (!spec.is_private && api_require(ctx, in->allocation_id, "AllocationId"))
		return -EINVAL;
	if (in->allocation_id && (spec.eip = api_lookup(ctx, CORE_EIP, in->allocation_id)) == NULL)
		return -ENOENT;
	if (in->private_ip_address &&
	    api_parse_ip(ctx, in->private_ip_address, "PrivateIpAddress", &spec.private_ip))
		return -EINVAL;
	if (api_tagspec_check(ctx, in->tag_specifications, in->n_tag_specifications,
	    "natgateway"))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_natgw_create(ctx->model, ctx->owner, &spec, &gw, &cerr))
		return api_fail_core(ctx, &cerr);
	api_tagspec_apply(ctx, in->tag_specifications, in->n_tag_specifications, "natgateway",
	    &gw->res);
	out->nat_gateway = arena_array(ctx->arena, 1, sizeof(*out->nat_gateway));
	natgw_out(ctx, gw, out->nat_gateway);
	return 0;
}

int
api_delete_nat_gateway(struct api_ctx *ctx, const struct ec2_delete_nat_gateway_request *in,
    struct ec2_delete_nat_gateway_result *out)
{
	struct core_error cerr;
	struct core_natgw *gw;

	if (api_require(ctx, in->nat_gateway_id, "NatGatewayId") ||
	    (gw = api_lookup(ctx, CORE_NATGW, in->nat_gateway_id)) == NULL)
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_natgw_delete(ctx->model, gw, &cerr))
		return api_fail_core(ctx, &cerr);
	out->nat_gateway_id = gw->res.id;
	return 0;
}

static void f_id(struct api_vals *v, const void *r) { api_val(v, NATGW(r)->res.id); }
static void
f_state(struct api_vals *v, const void *r)
{
	api_val(v, core_natgw_state_name(NATGW(r)->state));
}
static void f_subnet(struct api_vals *v, const void *r) { api_val(v, NATGW(r)->subnet_id); }
static void f_vpc(struct api_vals *v, const void *r) { api_val(v, NATGW(r)->vpc_id); }

static const struct api_filter_def natgw_filters[] = {
	{ "nat-gateway-id", f_id },
	{ "state", f_state },
	{ "subnet-id", f_subnet },
	{ "vpc-id", f_vpc },
};

int
api_describe_nat_gateways(struct api_ctx *ctx,
    const struct ec2_describe_nat_gateways_request *in,
    struct ec2_describe_nat_gateways_result *out)
{
	struct api_describe d;

	if (api_describe_begin(ctx, &d, &(struct api_describe_req){
	    .type = CORE_NATGW, .ids_param = "natGatewayIds", .ids = in->nat_gateway_ids,
	    .n_ids = in->n_nat_gateway_ids, .max_results = in->max_results,
	    .next_token = in->next_token, .max = 1000, .defs = natgw_filters,
	    .n_defs = ARRAY_SIZE(natgw_filters), .filters = in->filter, .n_filters = in->n_filter,
	    .dry_run = in->dry_run }))
		return -EINVAL;
	API_LIST(ctx, out->nat_gateways, d.n);
	for (size_t i = 0; i < d.n; i++) {
		struct core_res *r = d.set[i];

		if (!api_filters_match(ctx, &d.f, r, r->tags, r->n_tags) ||
		    !api_page_take(&d.pg, r->seq))
			continue;
		natgw_out(ctx, NATGW(r), &out->nat_gateways[out->n_nat_gateways++]);
	}
	out->next_token = api_page_token(ctx, &d.pg);
	return 0;
}
