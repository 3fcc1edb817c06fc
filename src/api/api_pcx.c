/* VPC peering connections: both the requester and the accepter see them. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"

#define PCX(res) ((const struct core_pcx *)(res))

/* One side's VpcInfo: the live blocks while the VPC exists, else the
 * primary block it had. */
static struct ec2_vpc_peering_connection_vpc_info *
vpc_info(struct api_ctx *ctx, const struct core_pcx *pcx, int side)
{
	struct ec2_vpc_peering_connection_vpc_info *out = arena_array(ctx->arena, 1,
	    sizeof(*out));
	const char *owner = side ? pcx->peer_owner : pcx->res.owner;
	const char *vpc_id = side ? pcx->peer_vpc_id : pcx->vpc_id;
	const struct core_vpc *vpc = core_find(ctx->model, CORE_VPC, owner, vpc_id);
	const struct core_cidr *primary = side ? &pcx->peer_cidr : &pcx->cidr;

	out->vpc_id = vpc_id;
	out->owner_id = owner;
	out->region = ctx->model->cfg->region;
	/* AWS shows the accepter's blocks once it has accepted. */
	if (side && pcx->state != CORE_PCX_ACTIVE)
		return out;
	out->cidr_block = api_cidr_str(ctx, vpc ? &vpc->cidrs[0].cidr : primary);
	API_LIST(ctx, out->cidr_block_set, vpc ? vpc->n_cidrs : 1);
	out->n_cidr_block_set = vpc ? vpc->n_cidrs : 1;
	for (size_t i = 0; i < out->n_cidr_block_set; i++)
		out->cidr_block_set[i].cidr_block = api_cidr_str(ctx,
		    vpc ? &vpc->cidrs[i].cidr : primary);
	if (pcx->state == CORE_PCX_ACTIVE) {
		out->peering_options = arena_array(ctx->arena, 1, sizeof(*out->peering_options));
		out->peering_options->allow_dns_resolution_from_remote_vpc =
		    EC2_BOOL(pcx->dns[side]);
		out->peering_options->allow_egress_from_local_classic_link_to_remote_vpc =
		    EC2_BOOL(false);
		out->peering_options->allow_egress_from_local_vpc_to_remote_classic_link =
		    EC2_BOOL(false);
	}
	return out;
}

static const char *
status_message(struct api_ctx *ctx, const struct core_pcx *pcx, enum core_pcx_state st)
{
	char *s = arena_alloc(ctx->arena, 96);

	switch (st) {
	case CORE_PCX_PENDING:
		snprintf(s, 96, "Pending Acceptance by %s", pcx->peer_owner);
		return s;
	case CORE_PCX_ACTIVE:
		return "Active";
	case CORE_PCX_REJECTED:
		snprintf(s, 96, "Rejected by %s", pcx->actor);
		return s;
	case CORE_PCX_DELETED:
		snprintf(s, 96, "Deleted by %s", pcx->actor);
		return s;
	case CORE_PCX_EXPIRED:
		return "Expired";
	default:
		return "Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range";
	}
}

static void
pcx_out(struct api_ctx *ctx, const struct core_pcx *pcx, int64_t now,
    struct ec2_vpc_peering_connection *out)
{
	enum core_pcx_state st = core_pcx_state(pcx, now);

	out->vpc_peering_connection_id = pcx->res.id;
	out->requester_vpc_info = vpc_info(ctx, pcx, 0);
	out->accepter_vpc_info = vpc_info(ctx, pcx, 1);
	out->status = arena_array(ctx->arena, 1, sizeof(*out->status));
	out->status->code = core_pcx_state_name(st);
	out->status->message = status_message(ctx, pcx, st);
	if (st == CORE_PCX_PENDING)
		out->expiration_time = EC2_INT(pcx->res.created_ms + CORE_PCX_EXPIRY_MS);
	out->tags = api_tags_out(ctx, pcx->res.tags, pcx->res.n_tags, &out->n_tags);
}

static struct ec2_vpc_peering_connection *
pcx_new_out(struct api_ctx *ctx, const struct core_pcx *pcx, int64_t now)
{
	struct ec2_vpc_peering_connection *out = arena_array(ctx->arena, 1, sizeof(*out));

	pcx_out(ctx, pcx, now, out);
	return out;
}

int
api_create_vpc_peering_connection(struct api_ctx *ctx,
    const struct ec2_create_vpc_peering_connection_request *in,
    struct ec2_create_vpc_peering_connection_result *out)
{
	const char *peer_owner = in->peer_owner_id ? in->peer_owner_id : ctx->owner;
	struct core_error cerr;
	struct core_vpc *vpc, *peer;
	struct core_pcx *pcx;

	if (api_require(ctx, in->vpc_id, "VpcId") || api_require(ctx, in->peer_vpc_id, "PeerVpcId"))
		return -EINVAL;
	if (in->peer_region && strcmp(in->peer_region, ctx->model->cfg->region) != 0)
		return api_fail(ctx, "InvalidParameterValue",
		    "vpcd plays one Region (%s): peering with Region %s is not possible",
		    ctx->model->cfg->region, in->peer_region);
	if ((vpc = api_lookup(ctx, CORE_VPC, in->vpc_id)) == NULL)
		return -ENOENT;
	/* Another account's VPC that does not exist looks like any unknown VPC. */
	if ((peer = core_find(ctx->model, CORE_VPC, peer_owner, in->peer_vpc_id)) == NULL) {
		core_not_found(CORE_VPC, in->peer_vpc_id, &cerr);
		return api_fail_core(ctx, &cerr);
	}
	if (api_tagspec_check(ctx, in->tag_specifications, in->n_tag_specifications,
	    "vpc-peering-connection"))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_pcx_create(ctx->model, ctx->owner, vpc, peer, &pcx, &cerr))
		return api_fail_core(ctx, &cerr);
	api_tagspec_apply(ctx, in->tag_specifications, in->n_tag_specifications,
	    "vpc-peering-connection", &pcx->res);
	out->vpc_peering_connection = pcx_new_out(ctx, pcx, time_now_ms());
	return 0;
}

/* The connection the caller names, as requester or accepter. */
static struct core_pcx *
pcx_lookup(struct api_ctx *ctx, const char *id, int64_t now)
{
	struct core_error cerr;
	struct core_pcx *pcx;

	if (api_require(ctx, id, "VpcPeeringConnectionId"))
		return NULL;
	if ((pcx = core_pcx_lookup(ctx->model, ctx->owner, id, now, &cerr)) == NULL)
		api_fail_core(ctx, &cerr);
	return pcx;
}

typedef int (*pcx_move_fn)(struct core_model *m, struct core_pcx *pcx, const char *caller,
    int64_t now_ms, struct core_error *err);

/* Accept, reject or delete: the connection it moved, or NULL. */
static struct core_pcx *
pcx_move(struct api_ctx *ctx, const char *id, struct ec2_opt_bool dry_run, pcx_move_fn move,
    int64_t now)
{
	struct core_error cerr;
	struct core_pcx *pcx = pcx_lookup(ctx, id, now);

	if (pcx == NULL)
		return NULL;
	api_dry_run(ctx, dry_run);
	if (move(ctx->model, pcx, ctx->owner, now, &cerr)) {
		api_fail_core(ctx, &cerr);
		return NULL;
	}
	return pcx;
}

int
api_accept_vpc_peering_connection(struct api_ctx *ctx,
    const struct ec2_accept_vpc_peering_connection_request *in,
    struct ec2_accept_vpc_peering_connection_result *out)
{
	int64_t now = time_now_ms();
	struct core_pcx *pcx = pcx_move(ctx, in->vpc_peering_connection_id, in->dry_run,
	    core_pcx_accept, now);

	if (pcx == NULL)
		return -EINVAL;
	out->vpc_peering_connection = pcx_new_out(ctx, pcx, now);
	return 0;
}

int
api_reject_vpc_peering_connection(struct api_ctx *ctx,
    const struct ec2_reject_vpc_peering_connection_request *in,
    struct ec2_reject_vpc_peering_connection_result *out)
{
	if (pcx_move(ctx, in->vpc_peering_connection_id, in->dry_run, core_pcx_reject,
	    time_now_ms()) == NULL)
		return -EINVAL;
	out->return_ = EC2_BOOL(true);
	return 0;
}

int
api_delete_vpc_peering_connection(struct api_ctx *ctx,
    const struct ec2_delete_vpc_peering_connection_request *in,
    struct ec2_delete_vpc_peering_connection_result *out)
{
	if (pcx_move(ctx, in->vpc_peering_connection_id, in->dry_run, core_pcx_delete,
	    time_now_ms()) == NULL)
		return -EINVAL;
	out->return_ = EC2_BOOL(true);
	return 0;
}

/* One side's options: only that side's owner sets them; ClassicLink is gone. */
static int
options_check(struct api_ctx *ctx, const struct core_pcx *pcx, int side,
    const struct ec2_peering_connection_options_request *o)
{
	if (o == NULL)
		return 0;
	if (strcmp(side ? pcx->peer_owner : pcx->res.owner, ctx->owner) != 0)
		return api_fail(ctx, "OperationNotPermitted",
		    "User %s cannot modify the %s options of peering %s", ctx->owner,
		    side ? "accepter" : "requester", pcx->res.id);
	if ((o->allow_egress_from_local_classic_link_to_remote_vpc.set &&
	    o->allow_egress_from_local_classic_link_to_remote_vpc.v) ||
	    (o->allow_egress_from_local_vpc_to_remote_classic_link.set &&
	    o->allow_egress_from_local_vpc_to_remote_classic_link.v))
		return api_fail(ctx, "UnsupportedOperation",
		    "ClassicLink options are not supported: EC2-Classic is retired");
	return 0;
}

static struct ec2_peering_connection_options *
options_out(struct api_ctx *ctx, const struct core_pcx *pcx, int side)
{
	struct ec2_peering_connection_options *o = arena_array(ctx->arena, 1, sizeof(*o));

	o->allow_dns_resolution_from_remote_vpc = EC2_BOOL(pcx->dns[side]);
	o->allow_egress_from_local_classic_link_to_remote_vpc = EC2_BOOL(false);
	o->allow_egress_from_local_vpc_to_remote_classic_link = EC2_BOOL(false);
	return o;
}

int
api_modify_vpc_peering_connection_options(struct api_ctx *ctx,
    const struct ec2_modify_vpc_peering_connection_options_request *in,
    struct ec2_modify_vpc_peering_connection_options_result *out)
{
	const struct ec2_peering_connection_options_request *opt[2] = {
		in->requester_peering_connection_options, in->accepter_peering_connection_options,
	};
	int64_t now = time_now_ms();
	struct core_error cerr;
	struct core_pcx *pcx = pcx_lookup(ctx, in->vpc_peering_connection_id, now);

	if (pcx == NULL)
		return -EINVAL;
	if (opt[0] == NULL && opt[1] == NULL)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain AccepterPeeringConnectionOptions or "
		    "RequesterPeeringConnectionOptions");
	if (core_pcx_state(pcx, now) != CORE_PCX_ACTIVE)
		return api_fail(ctx, "OperationNotPermitted",
		    "Peering connection %s is not active", pcx->res.id);
	if (options_check(ctx, pcx, 0, opt[0]) || options_check(ctx, pcx, 1, opt[1]))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_commit_point(ctx->model, &cerr))
		return api_fail_core(ctx, &cerr);
	for (int side = 0; side < 2; side++) {
		if (opt[side] == NULL)
			continue;
		if (opt[side]->allow_dns_resolution_from_remote_vpc.set)
			pcx->dns[side] = opt[side]->allow_dns_resolution_from_remote_vpc.v;
		if (side)
			out->accepter_peering_connection_options = options_out(ctx, pcx, 1);
		else
			out->requester_peering_connection_options = options_out(ctx, pcx, 0);
	}
	core_touch(ctx->model, &pcx->res);
	return 0;
}

static void f_id(struct api_vals *v, const void *r) { api_val(v, PCX(r)->res.id); }
static void
f_status(struct api_vals *v, const void *r)
{
	api_val(v, core_pcx_state_name(core_pcx_state(PCX(r), time_now_ms())));
}
static void
f_message(struct api_vals *v, const void *r)
{
	api_val(v, status_message(v->ctx, PCX(r), core_pcx_state(PCX(r), time_now_ms())));
}
static void
f_expiration(struct api_vals *v, const void *r)
{
	char s[32];

	if (core_pcx_state(PCX(r), time_now_ms()) != CORE_PCX_PENDING)
		return;
	time_format_iso(PCX(r)->res.created_ms + CORE_PCX_EXPIRY_MS, s);
	api_val(v, arena_strdup(v->ctx->arena, s));
}

/* A side's VpcInfo field, by the filter's side and field. */
static void
side_vals(struct api_vals *v, const void *r, int side, int field)
{
	const struct ec2_vpc_peering_connection_vpc_info *info = vpc_info(v->ctx, PCX(r), side);

	if (field == 0)
		api_val(v, info->vpc_id);
	else if (field == 1)
		api_val(v, info->owner_id);
	else
		for (size_t i = 0; i < info->n_cidr_block_set; i++)
			api_val(v, info->cidr_block_set[i].cidr_block);
}
static void f_acc_vpc(struct api_vals *v, const void *r) { side_vals(v, r, 1, 0); }
static void f_acc_owner(struct api_vals *v, const void *r) { side_vals(v, r, 1, 1); }
static void f_acc_cidr(struct api_vals *v, const void *r) { side_vals(v, r, 1, 2); }
static void f_req_vpc(struct api_vals *v, const void *r) { side_vals(v, r, 0, 0); }
static void f_req_owner(struct api_vals *v, const void *r) { side_vals(v, r, 0, 1); }
static void f_req_cidr(struct api_vals *v, const void *r) { side_vals(v, r, 0, 2); }

static const struct api_filter_def pcx_filters[] = {
	{ "accepter-vpc-info.cidr-block", f_acc_cidr },
	{ "accepter-vpc-info.owner-id", f_acc_owner },
	{ "accepter-vpc-info.vpc-id", f_acc_vpc },
	{ "expiration-time", f_expiration },
	{ "requester-vpc-info.cidr-block", f_req_cidr },
	{ "requester-vpc-info.owner-id", f_req_owner },
	{ "requester-vpc-info.vpc-id", f_req_vpc },
	{ "status-code", f_status },
	{ "status-message", f_message },
	{ "vpc-peering-connection-id", f_id },
};

int
api_describe_vpc_peering_connections(struct api_ctx *ctx,
    const struct ec2_describe_vpc_peering_connections_request *in,
    struct ec2_describe_vpc_peering_connections_result *out)
{
	int64_t now = time_now_ms();
	struct api_describe d;

	if (api_describe_begin(ctx, &d, &(struct api_describe_req){
	    .type = CORE_PCX, .ids_param = "vpcPeeringConnectionIds",
	    .ids = in->vpc_peering_connection_ids, .n_ids = in->n_vpc_peering_connection_ids,
	    .max_results = in->max_results, .next_token = in->next_token, .max = 1000,
	    .defs = pcx_filters, .n_defs = ARRAY_SIZE(pcx_filters), .filters = in->filters,
	    .n_filters = in->n_filters, .dry_run = in->dry_run }))
		return -EINVAL;
	API_LIST(ctx, out->vpc_peering_connections, d.n);
	for (size_t i = 0; i < d.n; i++) {
		struct core_res *r = d.set[i];

		if (!core_pcx_is_visible(PCX(r), now) ||
		    !api_filters_match(ctx, &d.f, r, r->tags, r->n_tags) ||
		    !api_page_take(&d.pg, r->seq))
			continue;
		pcx_out(ctx, PCX(r), now,
		    &out->vpc_peering_connections[out->n_vpc_peering_connections++]);
	}
	out->next_token = api_page_token(ctx, &d.pg);
	return 0;
}
