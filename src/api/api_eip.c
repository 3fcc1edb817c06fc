/* Elastic IP addresses (VPC domain only). */
#include <stdio.h>
#include <string.h>

#include "api_int.h"

#define EIP(res) ((const struct core_eip *)(res))

static const struct core_eni *
eip_eni(struct api_ctx *ctx, const struct core_eip *eip)
{
	return eip->eni_id[0] ? core_find(ctx->model, CORE_ENI, eip->res.owner, eip->eni_id) :
	    NULL;
}

static void
eip_out(struct api_ctx *ctx, const struct core_eip *eip, struct ec2_address *out)
{
	const struct core_eni *eni = eip_eni(ctx, eip);

	out->allocation_id = eip->res.id;
	out->public_ip = api_ip_str(ctx, eip->public_ip);
	out->domain = "vpc";
	out->public_ipv4_pool = "amazon";
	out->network_border_group = ctx->model->cfg->region;
	if (eni) {
		out->association_id = eip->assoc_id;
		out->network_interface_id = eni->res.id;
		out->network_interface_owner_id = eni->res.owner;
		out->private_ip_address = api_ip_str(ctx, eip->private_ip);
		if (eni->instance_id[0])
			out->instance_id = eni->instance_id;
	}
	out->tags = api_tags_out(ctx, eip->res.tags, eip->res.n_tags, &out->n_tags);
}

/* An Elastic IP named by allocation id or (as older tools do) address. */
static struct core_eip *
eip_lookup(struct api_ctx *ctx, const char *allocation_id, const char *public_ip)
{
	struct core_eip *eip;
	uint32_t ip;

	if (allocation_id)
		return api_lookup(ctx, CORE_EIP, allocation_id);
	if (public_ip == NULL) {
		api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter AllocationId");
		return NULL;
	}
	if (api_parse_ip(ctx, public_ip, "PublicIp", &ip))
		return NULL;
	if ((eip = core_eip_by_ip(ctx->model, ctx->owner, ip)) == NULL)
		api_fail(ctx, "InvalidAddress.NotFound", "Address '%s' not found.", public_ip);
	return eip;
}

int
api_allocate_address(struct api_ctx *ctx, const struct ec2_allocate_address_request *in,
    struct ec2_allocate_address_result *out)
{
	struct core_error cerr;
	struct core_eip *eip;

	if (in->domain && strcmp(in->domain, "vpc") != 0)
		return api_fail(ctx, "InvalidParameterValue",
		    "Value (%s) for parameter domain is invalid.", in->domain);
	if (in->address || in->customer_owned_ipv4_pool ||
	    (in->public_ipv4_pool && strcmp(in->public_ipv4_pool, "amazon") != 0))
		return api_fail(ctx, "UnsupportedOperation",
		    "vpcd allocates addresses from its own pool only");
	if (in->network_border_group &&
	    strcmp(in->network_border_group, ctx->model->cfg->region) != 0)
		return api_fail(ctx, "InvalidParameterValue",
		    "Value (%s) for parameter networkBorderGroup is invalid.",
		    in->network_border_group);
	if (api_tagspec_check(ctx, in->tag_specifications, in->n_tag_specifications,
	    "elastic-ip"))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_eip_allocate(ctx->model, ctx->owner, &eip, &cerr))
		return api_fail_core(ctx, &cerr);
	api_tagspec_apply(ctx, in->tag_specifications, in->n_tag_specifications, "elastic-ip",
	    &eip->res);
	out->allocation_id = eip->res.id;
	out->public_ip = api_ip_str(ctx, eip->public_ip);
	out->domain = "vpc";
	out->public_ipv4_pool = "amazon";
	out->network_border_group = ctx->model->cfg->region;
	return 0;
}

int
api_release_address(struct api_ctx *ctx, const struct ec2_release_address_request *in)
{
	struct core_error cerr;
	struct core_eip *eip = eip_lookup(ctx, in->allocation_id, in->public_ip);

	if (eip == NULL)
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_eip_release(ctx->model, eip, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

int
api_associate_address(struct api_ctx *ctx, const struct ec2_associate_address_request *in,
    struct ec2_associate_address_result *out)
{
	struct core_error cerr;
	struct core_eip *eip;
	struct core_eni *eni;
	uint32_t private_ip = 0;

	if ((eip = eip_lookup(ctx, in->allocation_id, in->public_ip)) == NULL)
		return -EINVAL;
	if (in->instance_id == NULL && in->network_interface_id == NULL)
		return api_fail(ctx, "MissingParameter",
		    "Either an instance ID or a network interface ID must be specified");
	if (in->private_ip_address &&
	    api_parse_ip(ctx, in->private_ip_address, "PrivateIpAddress", &private_ip))
		return -EINVAL;
	if (in->network_interface_id) {
		if ((eni = api_lookup(ctx, CORE_ENI, in->network_interface_id)) == NULL)
			return -ENOENT;
		if (in->instance_id && strcmp(eni->instance_id, in->instance_id) != 0)
			return api_fail(ctx, "InvalidParameterCombination",
			    "Network interface '%s' is not attached to instance '%s'",
			    eni->res.id, in->instance_id);
	} else {
		struct core_instance *inst = api_lookup(ctx, CORE_INSTANCE, in->instance_id);
		struct core_eni *enis[CORE_INSTANCE_ENIS_MAX];

		if (inst == NULL)
			return -ENOENT;
		if (inst->state != CORE_INSTANCE_RUNNING && inst->state != CORE_INSTANCE_STOPPED &&
		    inst->state != CORE_INSTANCE_PENDING && inst->state != CORE_INSTANCE_STOPPING)
			return api_fail(ctx, "IncorrectInstanceState",
			    "The instance '%s' is not in a valid state for this operation.",
			    inst->res.id);
		if (core_instance_enis(ctx->model, inst, enis) > 1)
			return api_fail(ctx, "InvalidInstanceID",
			    "There are multiple interfaces attached to instance '%s'. Please "
			    "specify an interface ID for the operation instead.", inst->res.id);
		if ((eni = core_find(ctx->model, CORE_ENI, ctx->owner, inst->primary_eni)) == NULL ||
		    strcmp(eni->instance_id, inst->res.id) != 0)
			return api_fail(ctx, "InvalidInstanceID",
			    "The instance '%s' has no network interface", inst->res.id);
	}
	if (core_eni_check_managed(eni, &cerr))
		return api_fail_core(ctx, &cerr);
	api_dry_run(ctx, in->dry_run);
	if (core_eip_associate(ctx->model, eip, eni, private_ip,
	    in->allow_reassociation.set && in->allow_reassociation.v, &cerr))
		return api_fail_core(ctx, &cerr);
	out->association_id = eip->assoc_id;
	return 0;
}

int
api_disassociate_address(struct api_ctx *ctx,
    const struct ec2_disassociate_address_request *in)
{
	struct core_error cerr;
	const char *assoc_id = in->association_id;

	if (assoc_id == NULL) {
		struct core_eip *eip;

		if (in->public_ip == NULL)
			return api_fail(ctx, "MissingParameter",
			    "The request must contain the parameter AssociationId");
		if ((eip = eip_lookup(ctx, NULL, in->public_ip)) == NULL)
			return -EINVAL;
		if (!eip->assoc_id[0])
			return api_fail(ctx, "InvalidAssociationID.NotFound",
			    "The address '%s' is not associated", in->public_ip);
		assoc_id = arena_strdup(ctx->arena, eip->assoc_id);
	}
	api_dry_run(ctx, in->dry_run);
	if (core_eip_disassociate(ctx->model, ctx->owner, assoc_id, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

static void f_alloc(struct api_vals *v, const void *r) { api_val(v, EIP(r)->res.id); }
static void
f_assoc(struct api_vals *v, const void *r)
{
	if (EIP(r)->assoc_id[0])
		api_val(v, EIP(r)->assoc_id);
}
static void f_domain(struct api_vals *v, const void *r) { api_val(v, "vpc"); }
static void
f_instance(struct api_vals *v, const void *r)
{
	const struct core_eni *eni = eip_eni(v->ctx, EIP(r));

	if (eni && eni->instance_id[0])
		api_val(v, eni->instance_id);
}
static void
f_eni(struct api_vals *v, const void *r)
{
	if (EIP(r)->eni_id[0])
		api_val(v, EIP(r)->eni_id);
}
static void
f_eni_owner(struct api_vals *v, const void *r)
{
	if (EIP(r)->eni_id[0])
		api_val(v, EIP(r)->res.owner);
}
static void
f_private_ip(struct api_vals *v, const void *r)
{
	if (EIP(r)->eni_id[0])
		api_val(v, api_ip_str(v->ctx, EIP(r)->private_ip));
}
static void f_public_ip(struct api_vals *v, const void *r)
{
	api_val(v, api_ip_str(v->ctx, EIP(r)->public_ip));
}
static void f_border(struct api_vals *v, const void *r) { api_val(v, v->ctx->model->cfg->region); }
static void f_pool(struct api_vals *v, const void *r) { api_val(v, "amazon"); }

static const struct api_filter_def eip_filters[] = {
	{ "allocation-id", f_alloc },
	{ "association-id", f_assoc },
	{ "domain", f_domain },
	{ "instance-id", f_instance },
	{ "network-border-group", f_border },
	{ "network-interface-id", f_eni },
	{ "network-interface-owner-id", f_eni_owner },
	{ "private-ip-address", f_private_ip },
	{ "public-ip", f_public_ip },
	{ "public-ipv4-pool", f_pool },
};

int
api_describe_addresses(struct api_ctx *ctx, const struct ec2_describe_addresses_request *in,
    struct ec2_describe_addresses_result *out)
{
	struct api_filters f;
	struct core_res **set;
	size_t n;
	uint32_t *ips;

	if (api_filters_init(ctx, &f, eip_filters, ARRAY_SIZE(eip_filters), in->filters,
	    in->n_filters) ||
	    api_describe_set(ctx, CORE_EIP, in->allocation_ids, in->n_allocation_ids, &set, &n))
		return -EINVAL;
	ips = arena_array(ctx->arena, in->n_public_ips + 1, sizeof(*ips));
	for (size_t i = 0; i < in->n_public_ips; i++) {
		if (api_parse_ip(ctx, in->public_ips[i], "PublicIp", &ips[i]))
			return -EINVAL;
		if (core_eip_by_ip(ctx->model, ctx->owner, ips[i]) == NULL)
			return api_fail(ctx, "InvalidAddress.NotFound",
			    "Address '%s' not found.", in->public_ips[i]);
	}
	if (api_dry_run_check(ctx, in->dry_run))
		return -EINVAL;
	API_LIST(ctx, out->addresses, n);
	for (size_t i = 0; i < n; i++) {
		struct core_res *r = set[i];
		bool named = in->n_public_ips == 0;

		for (size_t k = 0; k < in->n_public_ips; k++)
			named |= ips[k] == EIP(r)->public_ip;
		if (!named || !api_filters_match(ctx, &f, r, r->tags, r->n_tags))
			continue;
		eip_out(ctx, EIP(r), &out->addresses[out->n_addresses++]);
	}
	return 0;
}
