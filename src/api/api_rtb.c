/* Route tables, routes and internet gateways. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"

#define RTB(res) ((const struct core_rtb *)(res))
#define IGW(res) ((const struct core_igw *)(res))

static struct ec2_route_table_association_state *
assoc_state(struct api_ctx *ctx, const char *state)
{
	struct ec2_route_table_association_state *s = arena_alloc(ctx->arena, sizeof(*s));

	s->state = state;
	return s;
}

static void
route_out(struct api_ctx *ctx, const struct core_rtb *rtb, const struct core_route *r,
    struct ec2_route *out)
{
	out->destination_cidr_block = api_cidr_str(ctx, &r->dst);
	switch (r->target_type) {
	case CORE_TARGET_LOCAL:
	case CORE_TARGET_IGW:
		out->gateway_id = r->target;
		break;
	case CORE_TARGET_NATGW:
		out->nat_gateway_id = r->target;
		break;
	case CORE_TARGET_INSTANCE: {
		const struct core_instance *inst = core_find(ctx->model, CORE_INSTANCE,
		    rtb->res.owner, r->target);
		const struct core_eni *eni = inst ? core_find(ctx->model, CORE_ENI,
		    rtb->res.owner, inst->primary_eni) : NULL;

		out->instance_id = r->target;
		out->instance_owner_id = rtb->res.owner;
		/* AWS also names the instance's interface while it has one. */
		if (eni && strcmp(eni->instance_id, inst->res.id) == 0)
			out->network_interface_id = eni->res.id;
		break;
	}
	case CORE_TARGET_ENI:
		out->network_interface_id = r->target;
		break;
	case CORE_TARGET_PCX:
		out->vpc_peering_connection_id = r->target;
		break;
	}
	out->origin = r->is_created_by_user ? "CreateRoute" : "CreateRouteTable";
	out->state = core_route_is_active(ctx->model, rtb, r) ? "active" : "blackhole";
}

static void
rtb_out(struct api_ctx *ctx, const struct core_rtb *rtb, struct ec2_route_table *out)
{
	out->route_table_id = rtb->res.id;
	out->vpc_id = rtb->vpc_id;
	out->owner_id = rtb->res.owner;
	out->n_routes = rtb->n_routes;
	API_LIST(ctx, out->routes, rtb->n_routes);
	for (size_t i = 0; i < rtb->n_routes; i++)
		route_out(ctx, rtb, &rtb->routes[i], &out->routes[i]);
	out->n_associations = rtb->n_assocs;
	API_LIST(ctx, out->associations, rtb->n_assocs);
	for (size_t i = 0; i < rtb->n_assocs; i++) {
		struct ec2_route_table_association *a = &out->associations[i];

		a->main = EC2_BOOL(rtb->assocs[i].is_main);
		a->route_table_association_id = rtb->assocs[i].id;
		a->route_table_id = rtb->res.id;
		a->subnet_id = rtb->assocs[i].is_main ? NULL : rtb->assocs[i].subnet_id;
		a->association_state = assoc_state(ctx, "associated");
	}
	API_LIST(ctx, out->propagating_vgws, 0);
	out->tags = api_tags_out(ctx, rtb->res.tags, rtb->res.n_tags, &out->n_tags);
}

int
api_create_route_table(struct api_ctx *ctx, const struct ec2_create_route_table_request *in,
    struct ec2_create_route_table_result *out)
{
	struct core_error cerr;
	struct core_vpc *vpc;
	struct core_rtb *rtb;

	if (api_require(ctx, in->vpc_id, "VpcId"))
		return -EINVAL;
	if ((vpc = api_lookup(ctx, CORE_VPC, in->vpc_id)) == NULL)
		return -ENOENT;
	if (api_tagspec_check(ctx, in->tag_specifications, in->n_tag_specifications,
	    "route-table"))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_rtb_create(ctx->model, vpc, &rtb, &cerr))
		return api_fail_core(ctx, &cerr);
	api_tagspec_apply(ctx, in->tag_specifications, in->n_tag_specifications,
	    "route-table", &rtb->res);
	out->route_table = arena_alloc(ctx->arena, sizeof(*out->route_table));
	rtb_out(ctx, rtb, out->route_table);
	return 0;
}

int
api_delete_route_table(struct api_ctx *ctx, const struct ec2_delete_route_table_request *in)
{
	struct core_error cerr;
	struct core_rtb *rtb;

	if (api_require(ctx, in->route_table_id, "RouteTableId"))
		return -EINVAL;
	if ((rtb = api_lookup(ctx, CORE_RTB, in->route_table_id)) == NULL)
		return -ENOENT;
	api_dry_run(ctx, in->dry_run);
	if (core_rtb_delete(ctx->model, rtb, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

int
api_associate_route_table(struct api_ctx *ctx,
    const struct ec2_associate_route_table_request *in,
    struct ec2_associate_route_table_result *out)
{
	struct core_error cerr;
	struct core_subnet *sn;
	struct core_rtb *rtb;
	const char *id;

	if (api_require(ctx, in->route_table_id, "RouteTableId"))
		return -EINVAL;
	if (in->gateway_id)
		return api_fail(ctx, "UnsupportedOperation",
		    "vpcd does not support gateway route table associations yet");
	if (api_require(ctx, in->subnet_id, "SubnetId"))
		return -EINVAL;
	if ((rtb = api_lookup(ctx, CORE_RTB, in->route_table_id)) == NULL ||
	    (sn = api_lookup(ctx, CORE_SUBNET, in->subnet_id)) == NULL)
		return -ENOENT;
	api_dry_run(ctx, in->dry_run);
	if (core_rtb_associate(ctx->model, rtb, sn, &id, &cerr))
		return api_fail_core(ctx, &cerr);
	out->association_id = id;
	out->association_state = assoc_state(ctx, "associated");
	return 0;
}

int
api_disassociate_route_table(struct api_ctx *ctx,
    const struct ec2_disassociate_route_table_request *in)
{
	struct core_error cerr;

	if (api_require(ctx, in->association_id, "AssociationId"))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_rtb_disassociate(ctx->model, ctx->owner, in->association_id, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

int
api_replace_route_table_association(struct api_ctx *ctx,
    const struct ec2_replace_route_table_association_request *in,
    struct ec2_replace_route_table_association_result *out)
{
	struct core_error cerr;
	struct core_rtb *rtb;
	const char *id;

	if (api_require(ctx, in->association_id, "AssociationId") ||
	    api_require(ctx, in->route_table_id, "RouteTableId"))
		return -EINVAL;
	if ((rtb = api_lookup(ctx, CORE_RTB, in->route_table_id)) == NULL)
		return -ENOENT;
	api_dry_run(ctx, in->dry_run);
	if (core_rtb_replace_assoc(ctx->model, ctx->owner, in->association_id, rtb, &id,
	    &cerr))
		return api_fail_core(ctx, &cerr);
	out->new_association_id = id;
	out->association_state = assoc_state(ctx, "associated");
	return 0;
}

/* The one target a CreateRoute/ReplaceRoute names, and its destination. */
static int
route_spec(struct api_ctx *ctx, const char *dst, const char *dst6, const char *prefix_list,
    const char *const targets[], size_t n_targets, struct core_route_spec *spec)
{
	static const struct {
		const char *param;
		enum core_target type;
	} kinds[] = {
		{ "GatewayId", CORE_TARGET_IGW },
		{ "NatGatewayId", CORE_TARGET_NATGW },
		{ "InstanceId", CORE_TARGET_INSTANCE },
		{ "NetworkInterfaceId", CORE_TARGET_ENI },
		{ "VpcPeeringConnectionId", CORE_TARGET_PCX },
	};
	size_t n = 0;

	if (dst6 || prefix_list)
		return api_fail(ctx, "UnsupportedOperation",
		    "vpcd supports IPv4 destination CIDR blocks only");
	if (api_parse_cidr(ctx, dst, "DestinationCidrBlock", &spec->dst))
		return -EINVAL;
	for (size_t i = 0; i < n_targets; i++) {
		if (targets[i] == NULL)
			continue;
		if (i >= ARRAY_SIZE(kinds))
			return api_fail(ctx, "UnsupportedOperation",
			    "vpcd does not support this route target (%s) yet", targets[i]);
		spec->target_type = kinds[i].type;
		spec->target = targets[i];
		n++;
	}
	if (n == 0)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain exactly one route target");
	if (n > 1)
		return api_fail(ctx, "InvalidParameterCombination",
		    "More than one route target specified; a route has exactly one target");
	if (spec->target_type == CORE_TARGET_IGW && !str_has_prefix(spec->target, "igw-"))
		return api_fail(ctx, "InvalidGatewayID.NotFound",
		    "The gateway ID '%s' does not exist", spec->target);
	return 0;
}

#define ROUTE_TARGETS(in) { (in)->gateway_id, (in)->nat_gateway_id, (in)->instance_id, \
	(in)->network_interface_id, (in)->vpc_peering_connection_id,                 \
	(in)->transit_gateway_id, (in)->local_gateway_id, (in)->carrier_gateway_id,  \
	(in)->egress_only_internet_gateway_id, (in)->vpc_endpoint_id,                \
	(in)->core_network_arn }

int
api_create_route(struct api_ctx *ctx, const struct ec2_create_route_request *in,
    struct ec2_create_route_result *out)
{
	const char *targets[] = ROUTE_TARGETS(in);
	struct core_route_spec spec;
	struct core_error cerr;
	struct core_rtb *rtb;

	if (api_require(ctx, in->route_table_id, "RouteTableId"))
		return -EINVAL;
	if ((rtb = api_lookup(ctx, CORE_RTB, in->route_table_id)) == NULL)
		return -ENOENT;
	if (route_spec(ctx, in->destination_cidr_block, in->destination_ipv6_cidr_block,
	    in->destination_prefix_list_id, targets, ARRAY_SIZE(targets), &spec))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_route_create(ctx->model, rtb, &spec, &cerr))
		return api_fail_core(ctx, &cerr);
	out->return_ = EC2_BOOL(true);
	return 0;
}

int
api_replace_route(struct api_ctx *ctx, const struct ec2_replace_route_request *in)
{
	const char *targets[] = ROUTE_TARGETS(in);
	struct core_route_spec spec;
	struct core_error cerr;
	struct core_rtb *rtb;

	if (api_require(ctx, in->route_table_id, "RouteTableId"))
		return -EINVAL;
	if ((rtb = api_lookup(ctx, CORE_RTB, in->route_table_id)) == NULL)
		return -ENOENT;
	if (in->local_target.set && in->local_target.v)
		return api_fail(ctx, "UnsupportedOperation",
		    "vpcd does not support replacing local routes yet");
	if (route_spec(ctx, in->destination_cidr_block, in->destination_ipv6_cidr_block,
	    in->destination_prefix_list_id, targets, ARRAY_SIZE(targets), &spec))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_route_replace(ctx->model, rtb, &spec, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

int
api_delete_route(struct api_ctx *ctx, const struct ec2_delete_route_request *in)
{
	struct core_error cerr;
	struct core_cidr dst;
	struct core_rtb *rtb;

	if (api_require(ctx, in->route_table_id, "RouteTableId"))
		return -EINVAL;
	if ((rtb = api_lookup(ctx, CORE_RTB, in->route_table_id)) == NULL)
		return -ENOENT;
	if (in->destination_ipv6_cidr_block || in->destination_prefix_list_id)
		return api_fail(ctx, "UnsupportedOperation",
		    "vpcd supports IPv4 destination CIDR blocks only");
	if (api_parse_cidr(ctx, in->destination_cidr_block, "DestinationCidrBlock", &dst))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_route_delete(ctx->model, rtb, dst, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

static void f_rtb_assoc_id(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < RTB(r)->n_assocs; i++)
		api_val(v, RTB(r)->assocs[i].id);
}
static void f_rtb_assoc_rtb(struct api_vals *v, const void *r)
{
	if (RTB(r)->n_assocs)
		api_val(v, RTB(r)->res.id);
}
static void f_rtb_assoc_subnet(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < RTB(r)->n_assocs; i++)
		if (!RTB(r)->assocs[i].is_main)
			api_val(v, RTB(r)->assocs[i].subnet_id);
}
static void f_rtb_assoc_main(struct api_vals *v, const void *r)
{
	bool is_main = false;

	for (size_t i = 0; i < RTB(r)->n_assocs; i++)
		is_main |= RTB(r)->assocs[i].is_main;
	/* A table without associations matches neither true nor false. */
	if (RTB(r)->n_assocs)
		api_val_bool(v, is_main);
}
static void f_none(struct api_vals *v, const void *r) { }
static void f_owner(struct api_vals *v, const void *r) { api_val(v, ((const struct core_res *)r)->owner); }
static void f_id(struct api_vals *v, const void *r) { api_val(v, ((const struct core_res *)r)->id); }
static void f_rtb_vpc(struct api_vals *v, const void *r) { api_val(v, RTB(r)->vpc_id); }
static void f_route_dst(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < RTB(r)->n_routes; i++)
		api_val(v, api_cidr_str(v->ctx, &RTB(r)->routes[i].dst));
}

static void
route_targets(struct api_vals *v, const void *r, enum core_target t1, enum core_target t2)
{
	for (size_t i = 0; i < RTB(r)->n_routes; i++)
		if (RTB(r)->routes[i].target_type == t1 || RTB(r)->routes[i].target_type == t2)
			api_val(v, RTB(r)->routes[i].target);
}
static void f_route_gw(struct api_vals *v, const void *r)
{
	route_targets(v, r, CORE_TARGET_LOCAL, CORE_TARGET_IGW);
}
static void f_route_nat(struct api_vals *v, const void *r)
{
	route_targets(v, r, CORE_TARGET_NATGW, CORE_TARGET_NATGW);
}
static void f_route_instance(struct api_vals *v, const void *r)
{
	route_targets(v, r, CORE_TARGET_INSTANCE, CORE_TARGET_INSTANCE);
}
static void f_route_pcx(struct api_vals *v, const void *r)
{
	route_targets(v, r, CORE_TARGET_PCX, CORE_TARGET_PCX);
}
static void f_route_origin(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < RTB(r)->n_routes; i++)
		api_val(v, RTB(r)->routes[i].is_created_by_user ? "CreateRoute" :
		    "CreateRouteTable");
}
static void f_route_state(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < RTB(r)->n_routes; i++)
		api_val(v, core_route_is_active(v->ctx->model, RTB(r), &RTB(r)->routes[i]) ?
		    "active" : "blackhole");
}

static const struct api_filter_def rtb_filters[] = {
	{ "association.gateway-id", f_none },
	{ "association.main", f_rtb_assoc_main },
	{ "association.route-table-association-id", f_rtb_assoc_id },
	{ "association.route-table-id", f_rtb_assoc_rtb },
	{ "association.subnet-id", f_rtb_assoc_subnet },
	{ "owner-id", f_owner },
	{ "route-table-id", f_id },
	{ "route.destination-cidr-block", f_route_dst },
	{ "route.destination-ipv6-cidr-block", f_none },
	{ "route.destination-prefix-list-id", f_none },
	{ "route.egress-only-internet-gateway-id", f_none },
	{ "route.gateway-id", f_route_gw },
	{ "route.instance-id", f_route_instance },
	{ "route.nat-gateway-id", f_route_nat },
	{ "route.origin", f_route_origin },
	{ "route.state", f_route_state },
	{ "route.transit-gateway-id", f_none },
	{ "route.vpc-peering-connection-id", f_route_pcx },
	{ "vpc-id", f_rtb_vpc },
};

int
api_describe_route_tables(struct api_ctx *ctx,
    const struct ec2_describe_route_tables_request *in,
    struct ec2_describe_route_tables_result *out)
{
	struct api_describe d;

	if (api_describe_begin(ctx, &d, &(struct api_describe_req){
	    .type = CORE_RTB, .ids_param = "routeTableIds", .ids = in->route_table_ids, .n_ids = in->n_route_table_ids,
	    .max_results = in->max_results, .next_token = in->next_token, .max = 100,
	    .defs = rtb_filters, .n_defs = ARRAY_SIZE(rtb_filters), .filters = in->filters,
	    .n_filters = in->n_filters, .dry_run = in->dry_run }))
		return -EINVAL;
	API_LIST(ctx, out->route_tables, d.n);
	for (size_t i = 0; i < d.n; i++) {
		struct core_res *r = d.set[i];

		if (!api_filters_match(ctx, &d.f, r, r->tags, r->n_tags) || !api_page_take(&d.pg, r->seq))
			continue;
		rtb_out(ctx, RTB(r), &out->route_tables[out->n_route_tables++]);
	}
	out->next_token = api_page_token(ctx, &d.pg);
	return 0;
}

static void
igw_out(struct api_ctx *ctx, const struct core_igw *igw, struct ec2_internet_gateway *out)
{
	out->internet_gateway_id = igw->res.id;
	out->owner_id = igw->res.owner;
	out->n_attachments = igw->vpc_id[0] ? 1 : 0;
	API_LIST(ctx, out->attachments, 1);
	if (out->n_attachments) {
		out->attachments[0].state = "available";
		out->attachments[0].vpc_id = igw->vpc_id;
	}
	out->tags = api_tags_out(ctx, igw->res.tags, igw->res.n_tags, &out->n_tags);
}

int
api_create_internet_gateway(struct api_ctx *ctx,
    const struct ec2_create_internet_gateway_request *in,
    struct ec2_create_internet_gateway_result *out)
{
	struct core_error cerr;
	struct core_igw *igw;

	if (api_tagspec_check(ctx, in->tag_specifications, in->n_tag_specifications,
	    "internet-gateway"))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_igw_create(ctx->model, ctx->owner, &igw, &cerr))
		return api_fail_core(ctx, &cerr);
	api_tagspec_apply(ctx, in->tag_specifications, in->n_tag_specifications,
	    "internet-gateway", &igw->res);
	out->internet_gateway = arena_alloc(ctx->arena, sizeof(*out->internet_gateway));
	igw_out(ctx, igw, out->internet_gateway);
	return 0;
}

int
api_delete_internet_gateway(struct api_ctx *ctx,
    const struct ec2_delete_internet_gateway_request *in)
{
	struct core_error cerr;
	struct core_igw *igw;

	if (api_require(ctx, in->internet_gateway_id, "InternetGatewayId"))
		return -EINVAL;
	if ((igw = api_lookup(ctx, CORE_IGW, in->internet_gateway_id)) == NULL)
		return -ENOENT;
	api_dry_run(ctx, in->dry_run);
	if (core_igw_delete(ctx->model, igw, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

static int
igw_vpc(struct api_ctx *ctx, const char *igw_id, const char *vpc_id, struct core_igw **igw,
    struct core_vpc **vpc)
{
	if (api_require(ctx, igw_id, "InternetGatewayId") ||
	    api_require(ctx, vpc_id, "VpcId"))
		return -EINVAL;
	if ((*igw = api_lookup(ctx, CORE_IGW, igw_id)) == NULL ||
	    (*vpc = api_lookup(ctx, CORE_VPC, vpc_id)) == NULL)
		return -ENOENT;
	return 0;
}

int
api_attach_internet_gateway(struct api_ctx *ctx,
    const struct ec2_attach_internet_gateway_request *in)
{
	struct core_error cerr;
	struct core_igw *igw;
	struct core_vpc *vpc;

	if (igw_vpc(ctx, in->internet_gateway_id, in->vpc_id, &igw, &vpc))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_igw_attach(ctx->model, igw, vpc, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

int
api_detach_internet_gateway(struct api_ctx *ctx,
    const struct ec2_detach_internet_gateway_request *in)
{
	struct core_error cerr;
	struct core_igw *igw;
	struct core_vpc *vpc;

	if (igw_vpc(ctx, in->internet_gateway_id, in->vpc_id, &igw, &vpc))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_igw_detach(ctx->model, igw, vpc, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

static void f_igw_state(struct api_vals *v, const void *r)
{
	if (IGW(r)->vpc_id[0])
		api_val(v, "available");
}
static void f_igw_vpc(struct api_vals *v, const void *r)
{
	if (IGW(r)->vpc_id[0])
		api_val(v, IGW(r)->vpc_id);
}

static const struct api_filter_def igw_filters[] = {
	{ "attachment.state", f_igw_state },
	{ "attachment.vpc-id", f_igw_vpc },
	{ "internet-gateway-id", f_id },
	{ "owner-id", f_owner },
};

int
api_describe_internet_gateways(struct api_ctx *ctx,
    const struct ec2_describe_internet_gateways_request *in,
    struct ec2_describe_internet_gateways_result *out)
{
	struct api_describe d;

	if (api_describe_begin(ctx, &d, &(struct api_describe_req){
	    .type = CORE_IGW, .ids_param = "internetGatewayIds", .ids = in->internet_gateway_ids, .n_ids = in->n_internet_gateway_ids,
	    .max_results = in->max_results, .next_token = in->next_token, .max = 1000,
	    .defs = igw_filters, .n_defs = ARRAY_SIZE(igw_filters), .filters = in->filters,
	    .n_filters = in->n_filters, .dry_run = in->dry_run }))
		return -EINVAL;
	API_LIST(ctx, out->internet_gateways, d.n);
	for (size_t i = 0; i < d.n; i++) {
		struct core_res *r = d.set[i];

		if (!api_filters_match(ctx, &d.f, r, r->tags, r->n_tags) || !api_page_take(&d.pg, r->seq))
			continue;
		igw_out(ctx, IGW(r), &out->internet_gateways[out->n_internet_gateways++]);
	}
	out->next_token = api_page_token(ctx, &d.pg);
	return 0;
}
