/*
 * Resources that later parts of vpcd add (instances, network interfaces,
 * NAT gateways, peering connections): until they exist, no VPC, subnet or
 * group depends on them and no route can target them.
 */
#include <errno.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

bool
core_vpc_has_dependents(const struct core_model *m, const struct core_vpc *vpc)
{
	return false;
}

bool
core_subnet_has_dependents(const struct core_model *m, const struct core_subnet *sn)
{
	return false;
}

bool
core_sg_has_dependents(const struct core_model *m, const struct core_sg *sg)
{
	return false;
}

bool
core_vpcs_peered(const struct core_model *m, const char *owner_a, const char *vpc_a,
    const char *owner_b, const char *vpc_b)
{
	return false;
}

int
core_route_target_check(struct core_model *m, const struct core_rtb *rtb,
    const struct core_route_spec *spec, struct core_error *err)
{
	switch (spec->target_type) {
	case CORE_TARGET_NATGW:
		return core_fail(err, "InvalidNatGatewayID.NotFound",
		    "The natGateway ID '%s' does not exist", spec->target);
	case CORE_TARGET_INSTANCE:
		return core_fail(err, "InvalidInstanceID.NotFound",
		    "The instance ID '%s' does not exist", spec->target);
	case CORE_TARGET_ENI:
		return core_fail(err, "InvalidNetworkInterfaceID.NotFound",
		    "The networkInterface ID '%s' does not exist", spec->target);
	case CORE_TARGET_PCX:
		return core_fail(err, "InvalidVpcPeeringConnectionID.NotFound",
		    "The vpcPeeringConnection ID '%s' does not exist", spec->target);
	default:
		return core_fail(err, "InvalidParameterValue", "Unsupported route target");
	}
}

bool
core_route_target_is_active(const struct core_model *m, const struct core_rtb *rtb,
    const struct core_route *r)
{
	return false;
}
