/*
 * How instances and network interfaces tie into the rest of the model:
 * they keep VPCs, subnets and security groups from being deleted, and
 * routes can target them, as they can NAT gateways and peering
 * connections.
 */
#include <errno.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

#define ENI(r) ((const struct core_eni *)(r))
#define INST(r) ((const struct core_instance *)(r))

static bool
is_live_in(const struct core_res *r, const char *owner, const char *vpc_id,
    const char *subnet_id)
{
	const struct core_instance *inst = INST(r);

	return inst->state != CORE_INSTANCE_TERMINATED && strcmp(r->owner, owner) == 0 &&
	    (vpc_id == NULL || strcmp(inst->vpc_id, vpc_id) == 0) &&
	    (subnet_id == NULL || strcmp(inst->subnet_id, subnet_id) == 0);
}

bool
core_vpc_has_dependents(const struct core_model *m, const struct core_vpc *vpc)
{
	if (vpc->n_children[CORE_ENI])
		return true;
	CORE_FOREACH(m, CORE_INSTANCE, r)
		if (is_live_in(r, vpc->res.owner, vpc->res.id, NULL))
			return true;
	return false;
}

bool
core_subnet_has_dependents(const struct core_model *m, const struct core_subnet *sn)
{
	CORE_FOREACH(m, CORE_ENI, r)
		if (strcmp(ENI(r)->subnet_id, sn->res.id) == 0)
			return true;
	CORE_FOREACH(m, CORE_INSTANCE, r)
		if (is_live_in(r, sn->res.owner, NULL, sn->res.id))
			return true;
	return false;
}

bool
core_sg_has_dependents(const struct core_model *m, const struct core_sg *sg)
{
	CORE_FOREACH(m, CORE_ENI, r)
		for (size_t i = 0; i < ENI(r)->n_groups; i++)
			if (strcmp(ENI(r)->groups[i], sg->res.id) == 0)
				return true;
	return false;
}

bool
core_vpc_has_public_addresses(const struct core_model *m, const struct core_vpc *vpc)
{
	CORE_FOREACH(m, CORE_ENI, r)
		if (strcmp(ENI(r)->vpc_id, vpc->res.id) == 0 &&
		    strcmp(r->owner, vpc->res.owner) == 0 && core_eni_public_ip(m, ENI(r)))
			return true;
	CORE_FOREACH(m, CORE_EIP, r) {
		const struct core_eip *eip = (const struct core_eip *)r;
		const struct core_eni *eni;

		if (eip->eni_id[0] && (eni = core_find(m, CORE_ENI, r->owner, eip->eni_id)) &&
		    strcmp(eni->vpc_id, vpc->res.id) == 0)
			return true;
	}
	return false;
}

bool
core_vpcs_peered(const struct core_model *m, const char *owner_a, const char *vpc_a,
    const char *owner_b, const char *vpc_b)
{
	const struct core_pcx *pcx = core_pcx_between(m, vpc_a, vpc_b);

	return pcx && (strcmp(pcx->res.owner, owner_a) == 0 ||
	    strcmp(pcx->res.owner, owner_b) == 0);
}

static int
other_network(const struct core_rtb *rtb, const char *what, const char *id,
    struct core_error *err)
{
	return core_fail(err, "InvalidParameterValue",
	    "route table %s and %s %s belong to different networks", rtb->res.id, what, id);
}

int
core_route_target_check(struct core_model *m, const struct core_rtb *rtb,
    const struct core_route_spec *spec, struct core_error *err)
{
	const struct core_instance *inst;
	const struct core_eni *eni;
	const struct core_natgw *gw;
	const struct core_pcx *pcx;
	enum core_pcx_state st;
	struct core_eni *enis[CORE_INSTANCE_ENIS_MAX];

	switch (spec->target_type) {
	case CORE_TARGET_NATGW:
		gw = core_find(m, CORE_NATGW, rtb->res.owner, spec->target);
		if (gw == NULL || gw->state == CORE_NATGW_DELETED || gw->state == CORE_NATGW_FAILED)
			return core_fail(err, "InvalidNatGatewayID.NotFound",
			    "The natGateway ID '%s' does not exist", spec->target);
		if (strcmp(gw->vpc_id, rtb->vpc_id) != 0)
			return other_network(rtb, "NAT gateway", gw->res.id, err);
		return 0;
	case CORE_TARGET_INSTANCE:
		inst = core_lookup(m, CORE_INSTANCE, rtb->res.owner, spec->target, err);
		if (inst == NULL)
			return -ENOENT;
		if (strcmp(inst->vpc_id, rtb->vpc_id) != 0)
			return other_network(rtb, "instance", inst->res.id, err);
		if (inst->state == CORE_INSTANCE_TERMINATED ||
		    inst->state == CORE_INSTANCE_SHUTTING_DOWN)
			return core_fail(err, "IncorrectInstanceState",
			    "The instance '%s' is not in a valid state for this operation.",
			    inst->res.id);
		if (core_instance_enis(m, inst, enis) > 1)
			return core_fail(err, "InvalidInstanceID",
			    "There are multiple interfaces attached to instance '%s'. Please "
			    "specify an interface ID for the operation instead.", inst->res.id);
		return 0;
	case CORE_TARGET_ENI:
		eni = core_lookup(m, CORE_ENI, rtb->res.owner, spec->target, err);
		if (eni == NULL)
			return -ENOENT;
		if (strcmp(eni->vpc_id, rtb->vpc_id) != 0)
			return other_network(rtb, "network interface", eni->res.id, err);
		return 0;
	case CORE_TARGET_PCX:
		pcx = core_pcx_lookup(m, rtb->res.owner, spec->target, time_now_ms(), err);
		if (pcx == NULL)
			return -ENOENT;
		st = core_pcx_state(pcx, time_now_ms());
		if (st != CORE_PCX_ACTIVE && st != CORE_PCX_PENDING)
			return core_not_found(CORE_PCX, spec->target, err);
		if (strcmp(pcx->vpc_id, rtb->vpc_id) != 0 && strcmp(pcx->peer_vpc_id, rtb->vpc_id) != 0)
			return other_network(rtb, "VPC peering connection", pcx->res.id, err);
		return 0;
	default:
		return core_fail(err, "InvalidParameterValue", "Unsupported route target");
	}
}

bool
core_route_target_is_active(const struct core_model *m, const struct core_rtb *rtb,
    const struct core_route *r)
{
	const struct core_instance *inst;
	const struct core_natgw *gw;
	const struct core_pcx *pcx;

	switch (r->target_type) {
	case CORE_TARGET_INSTANCE:
		inst = core_find(m, CORE_INSTANCE, rtb->res.owner, r->target);
		return inst && (inst->state == CORE_INSTANCE_PENDING ||
		    inst->state == CORE_INSTANCE_RUNNING);
	case CORE_TARGET_ENI:
		return core_find(m, CORE_ENI, rtb->res.owner, r->target) != NULL;
	case CORE_TARGET_NATGW:
		gw = core_find(m, CORE_NATGW, rtb->res.owner, r->target);
		return gw && core_natgw_is_live(gw);
	case CORE_TARGET_PCX:
		pcx = (const struct core_pcx *)core_get(m, r->target);
		return pcx && pcx->res.type == CORE_PCX && pcx->state == CORE_PCX_ACTIVE;
	default:
		return false;
	}
}
