/* VPCs, their CIDR blocks, subnets and internet gateways. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

static bool
vpc_is_owned(const struct core_res *r, const struct core_vpc *vpc, const char *vpc_id)
{
	return strcmp(vpc_id, vpc->res.id) == 0 && strcmp(r->owner, vpc->res.owner) == 0;
}

/* Subnets, route tables, groups and ACLs inside the VPC, from the model's
 * derived counters: quota checks cost the same at any size. */
size_t
core_count_in_vpc(const struct core_model *m, enum core_type type,
    const struct core_vpc *vpc)
{
	return vpc->n_children[type];
}

static struct core_igw *
attached_igw(const struct core_model *m, const struct core_vpc *vpc)
{
	CORE_FOREACH(m, CORE_IGW, r)
		if (vpc_is_owned(r, vpc, ((struct core_igw *)r)->vpc_id))
			return (struct core_igw *)r;
	return NULL;
}

/* Ranges no VPC block may use: "this network", loopback, link local
 * (the VPC user guide says so of 169.254.0.0/16), multicast and class E. */
static bool
block_is_reserved(const struct core_cidr *c)
{
	static const struct core_cidr reserved[] = {
		{ 0x00000000, 8 }, { 0x7f000000, 8 }, { 0xa9fe0000, 16 }, { 0xe0000000, 3 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (core_cidr_overlaps(&reserved[i], c))
			return true;
	return false;
}

static int
check_block_size(struct core_cidr c, const char *code, struct core_error *err)
{
	char s[20];

	if (c.len < 16 || c.len > 28 || block_is_reserved(&c)) {
		core_cidr_format(&c, s);
		return core_fail(err, code, "The CIDR '%s' is invalid.", s);
	}
	return 0;
}

int
core_vpc_create(struct core_model *m, const char *owner, struct core_cidr cidr,
    bool is_dedicated, bool is_default, struct core_vpc **out, struct core_error *err)
{
	struct core_vpc *vpc;
	struct core_vpc_cidr *vc;

	cidr = core_cidr_canonical(cidr);
	if (check_block_size(cidr, "InvalidVpc.Range", err))
		return -EINVAL;
	if (core_count_owned(m, CORE_VPC, owner) >= m->cfg->vpcs_per_region)
		return core_fail(err, "VpcLimitExceeded",
		    "The maximum number of VPCs has been reached.");
	if (core_commit_point(m, err))
		return -EINVAL;
	vpc = core_res_new(m, CORE_VPC, sizeof(*vpc), owner, NULL);
	vc = CORE_PUSH(vpc->cidrs, vpc->n_cidrs);
	core_new_id("vpc-cidr-assoc", vc->assoc_id);
	vc->cidr = cidr;
	vpc->is_dedicated = is_dedicated;
	vpc->is_default = is_default;
	vpc->dns_support = true;
	vpc->dns_hostnames = is_default;
	core_rtb_new_main(m, vpc);
	core_acl_new(m, vpc, true);
	core_sg_new_default(m, vpc);
	*out = vpc;
	return 0;
}

static int
vpc_dependency(const struct core_vpc *vpc, struct core_error *err)
{
	return core_fail(err, "DependencyViolation",
	    "The vpc '%s' has dependencies and cannot be deleted.", vpc->res.id);
}

int
core_vpc_delete(struct core_model *m, struct core_vpc *vpc, struct core_error *err)
{
	struct core_res *rtb = core_get(m, vpc->main_rtb);
	struct core_res *acl = core_get(m, vpc->default_acl);
	struct core_res *sg = core_get(m, vpc->default_sg);

	/* Only the resources the VPC came with may remain. */
	if (core_count_in_vpc(m, CORE_SUBNET, vpc) || attached_igw(m, vpc) ||
	    core_count_in_vpc(m, CORE_RTB, vpc) > 1 || core_count_in_vpc(m, CORE_ACL, vpc) > 1 ||
	    core_count_in_vpc(m, CORE_SG, vpc) > 1 || core_vpc_has_dependents(m, vpc))
		return vpc_dependency(vpc, err);
	if (core_commit_point(m, err))
		return -EINVAL;
	if (rtb)
		core_remove(m, rtb);
	if (acl)
		core_remove(m, acl);
	if (sg)
		core_remove(m, sg);
	core_pcx_forget_vpc(m, vpc);
	core_remove(m, &vpc->res);
	return 0;
}

/*
 * The VPC user guide's "IPv4 CIDR block association restrictions": a
 * secondary block may come from the primary's RFC 1918 range, from
 * 100.64.0.0/10 or from public space, never from another RFC 1918 range
 * or 198.19.0.0/16.  A VPC with a block in 10.0.0.0/15 may not add one
 * from 10.0.0.0/16, and a 172.16.0.0/12 VPC may not add 172.31.0.0/16.
 */
static bool
secondary_is_restricted(const struct core_vpc *vpc, const struct core_cidr *c)
{
	static const struct core_cidr bench = { 0xc6130000, 16 };   /* 198.19/16 */
	static const struct core_cidr ten15 = { 0x0a000000, 15 };
	static const struct core_cidr ten16 = { 0x0a000000, 16 };
	static const struct core_cidr s172_31 = { 0xac1f0000, 16 };
	int primary = core_cidr_class(&vpc->cidrs[0].cidr);
	int cls = core_cidr_class(c);

	if (core_cidr_overlaps(&bench, c))
		return true;
	/* Classes 0..2 are the RFC 1918 ranges, 3 is 100.64/10, 4 public. */
	if (cls < 3 && cls != primary)
		return true;
	if (cls == 0 && core_cidr_overlaps(&ten16, c))
		for (size_t i = 0; i < vpc->n_cidrs; i++)
			if (core_cidr_overlaps(&ten15, &vpc->cidrs[i].cidr))
				return true;
	if (cls == 1 && core_cidr_overlaps(&s172_31, c))
		return true;
	return false;
}

int
core_vpc_cidr_add(struct core_model *m, struct core_vpc *vpc, struct core_cidr cidr,
    struct core_vpc_cidr **out, struct core_error *err)
{
	struct core_vpc_cidr *vc;
	char s[20];

	cidr = core_cidr_canonical(cidr);
	core_cidr_format(&cidr, s);
	if (check_block_size(cidr, "InvalidVpc.Range", err))
		return -EINVAL;
	if (vpc->n_cidrs >= m->cfg->cidrs_per_vpc)
		return core_fail(err, "CidrLimitExceeded",
		    "This network '%s' has met its maximum number of allowed CIDRs: %u",
		    vpc->res.id, m->cfg->cidrs_per_vpc);
	for (size_t i = 0; i < vpc->n_cidrs; i++)
		if (core_cidr_overlaps(&vpc->cidrs[i].cidr, &cidr))
			return core_fail(err, "InvalidVpc.Range",
			    "The CIDR '%s' conflicts with another CIDR block of %s.",
			    s, vpc->res.id);
	if (secondary_is_restricted(vpc, &cidr))
		return core_fail(err, "InvalidVpc.Range",
		    "The CIDR '%s' is restricted. Use a CIDR from the same private "
		    "address range as the current VPC CIDR, or use a publicly-routable "
		    "CIDR.", s);
	/* It may not be the same as or larger than a route destination. */
	CORE_FOREACH(m, CORE_RTB, r) {
		struct core_rtb *rtb = (struct core_rtb *)r;

		if (!vpc_is_owned(r, vpc, rtb->vpc_id))
			continue;
		for (size_t i = 0; i < rtb->n_routes; i++)
			if (rtb->routes[i].target_type != CORE_TARGET_LOCAL &&
			    core_cidr_contains(&cidr, &rtb->routes[i].dst))
				return core_fail(err, "InvalidParameterValue",
				    "The CIDR '%s' is the same as or larger than the "
				    "destination of a route in %s.", s, rtb->res.id);
	}
	if (core_commit_point(m, err))
		return -EINVAL;
	vc = CORE_PUSH(vpc->cidrs, vpc->n_cidrs);
	core_new_id("vpc-cidr-assoc", vc->assoc_id);
	vc->cidr = cidr;
	core_touch(m, &vpc->res);
	core_rtb_local_routes_add(m, vpc, cidr);
	*out = vc;
	return 0;
}

int
core_vpc_cidr_remove(struct core_model *m, const char *owner, const char *assoc_id,
    struct core_vpc **vpc_out, struct core_vpc_cidr *removed, struct core_error *err)
{
	CORE_FOREACH(m, CORE_VPC, r) {
		struct core_vpc *vpc = (struct core_vpc *)r;

		if (strcmp(r->owner, owner) != 0)
			continue;
		for (size_t i = 0; i < vpc->n_cidrs; i++) {
			struct core_vpc_cidr *vc = &vpc->cidrs[i];
			char s[20];

			if (strcmp(vc->assoc_id, assoc_id) != 0)
				continue;
			core_cidr_format(&vc->cidr, s);
			if (i == 0)
				return core_fail(err, "OperationNotPermitted",
				    "The vpc CIDR block with association ID %s may not be "
				    "disassociated. It is the primary IPv4 CIDR block of the VPC",
				    assoc_id);
			CORE_FOREACH(m, CORE_SUBNET, sr) {
				struct core_subnet *sn = (struct core_subnet *)sr;

				if (vpc_is_owned(sr, vpc, sn->vpc_id) &&
				    core_cidr_contains(&vc->cidr, &sn->cidr))
					return core_fail(err, "InvalidCidrBlock.InUse",
					    "The vpc %s currently has a subnet within CIDR block %s",
					    vpc->res.id, s);
			}
			if (core_commit_point(m, err))
				return -EINVAL;
			*removed = *vc;
			*vpc_out = vpc;
			core_rtb_local_routes_remove(m, vpc, vc->cidr);
			CORE_ERASE(vpc->cidrs, vpc->n_cidrs, i);
			core_touch(m, &vpc->res);
			return 0;
		}
	}
	return core_fail(err, "InvalidVpcCidrBlockAssociationID.NotFound",
	    "The vpc CIDR block association ID '%s' does not exist", assoc_id);
}

struct core_vpc *
core_vpc_default(const struct core_model *m, const char *owner)
{
	CORE_FOREACH(m, CORE_VPC, r)
		if (((struct core_vpc *)r)->is_default && strcmp(r->owner, owner) == 0)
			return (struct core_vpc *)r;
	return NULL;
}

int
core_vpc_create_default(struct core_model *m, const char *owner, struct core_vpc **out,
    struct core_error *err)
{
	struct core_cidr cidr = { 0xac1f0000, 16 };  /* 172.31.0.0/16 */
	struct core_vpc *vpc;
	struct core_igw *igw;
	struct core_route_spec route = { { 0, 0 }, CORE_TARGET_IGW, NULL };
	size_t n_subnets = m->cfg->n_azs < 16 ? m->cfg->n_azs : 16;

	if (core_vpc_default(m, owner))
		return core_fail(err, "DefaultVpcAlreadyExists",
		    "A Default VPC already exists for this account in this region.");
	if (core_count_owned(m, CORE_IGW, owner) >= m->cfg->igws_per_region)
		return core_fail(err, "InternetGatewayLimitExceeded",
		    "The maximum number of internet gateways has been reached.");
	/* All or nothing: the quotas the pieces below would hit. */
	if (n_subnets > m->cfg->subnets_per_vpc)
		return core_fail(err, "SubnetLimitExceeded",
		    "The maximum number of subnets has been reached.");
	if (m->cfg->routes_per_rtb < 2)
		return core_fail(err, "RouteLimitExceeded",
		    "The maximum number of routes has been reached.");
	if (core_vpc_create(m, owner, cidr, false, true, &vpc, err))
		return -EINVAL;
	for (size_t i = 0; i < n_subnets; i++) {
		struct core_cidr sc = { cidr.addr | (uint32_t)i << 12, 20 };
		struct core_subnet *sn;

		if (core_subnet_create(m, vpc, sc, m->cfg->azs[i], &sn, err))
			return -EINVAL;  /* not reached: checked above */
		sn->map_public_ip = true;
		sn->is_default_for_az = true;
	}
	if (core_igw_create(m, owner, &igw, err) || core_igw_attach(m, igw, vpc, err))
		return -EINVAL;
	route.target = igw->res.id;
	if (core_route_create(m, core_rtb_main(m, vpc), &route, err))
		return -EINVAL;
	*out = vpc;
	return 0;
}

int
core_subnet_create(struct core_model *m, struct core_vpc *vpc, struct core_cidr cidr,
    const char *az, struct core_subnet **out, struct core_error *err)
{
	struct core_subnet *sn;
	bool inside = false;
	size_t i;
	char s[20];

	cidr = core_cidr_canonical(cidr);
	core_cidr_format(&cidr, s);
	for (i = 0; i < m->cfg->n_azs; i++)
		if (strcmp(az, m->cfg->azs[i]) == 0)
			break;
	if (i == m->cfg->n_azs) {
		struct buf zones;

		buf_init(&zones);
		for (i = 0; i < m->cfg->n_azs; i++)
			buf_printf(&zones, "%s%s", i ? ", " : "", m->cfg->azs[i]);
		core_fail(err, "InvalidParameterValue",
		    "Value (%s) for parameter availabilityZone is invalid. Subnets can "
		    "currently only be created in the following availability zones: %s.",
		    az, zones.data);
		buf_fini(&zones);
		return -EINVAL;
	}
	for (i = 0; i < vpc->n_cidrs; i++)
		if (core_cidr_contains(&vpc->cidrs[i].cidr, &cidr))
			inside = true;
	if (!inside || cidr.len < 16 || cidr.len > 28)
		return core_fail(err, "InvalidSubnet.Range", "The CIDR '%s' is invalid.", s);
	CORE_FOREACH(m, CORE_SUBNET, r) {
		struct core_subnet *o = (struct core_subnet *)r;

		if (vpc_is_owned(r, vpc, o->vpc_id) && core_cidr_overlaps(&o->cidr, &cidr))
			return core_fail(err, "InvalidSubnet.Conflict",
			    "The CIDR '%s' conflicts with another subnet", s);
	}
	if (core_count_in_vpc(m, CORE_SUBNET, vpc) >= m->cfg->subnets_per_vpc)
		return core_fail(err, "SubnetLimitExceeded",
		    "The maximum number of subnets has been reached.");
	if (core_commit_point(m, err))
		return -EINVAL;
	sn = core_res_new_in(m, CORE_SUBNET, sizeof(*sn), vpc->res.owner, vpc->res.id);
	STR_COPY(sn->az, az);
	sn->cidr = cidr;
	core_acl_attach_subnet(m, core_find(m, CORE_ACL, vpc->res.owner, vpc->default_acl), sn);
	*out = sn;
	return 0;
}

int
core_subnet_delete(struct core_model *m, struct core_subnet *sn, struct core_error *err)
{
	if (sn->n_used || core_subnet_has_dependents(m, sn))
		return core_fail(err, "DependencyViolation",
		    "The subnet '%s' has dependencies and cannot be deleted.", sn->res.id);
	if (core_commit_point(m, err))
		return -EINVAL;
	core_rtb_forget_subnet(m, sn);
	core_acl_forget_subnet(m, sn);
	core_remove(m, &sn->res);
	return 0;
}

uint64_t
core_subnet_available(const struct core_subnet *sn)
{
	uint64_t size = core_cidr_size(&sn->cidr);

	return size > 5 + sn->n_used ? size - 5 - sn->n_used : 0;
}

int
core_igw_create(struct core_model *m, const char *owner, struct core_igw **out,
    struct core_error *err)
{
	if (core_count_owned(m, CORE_IGW, owner) >= m->cfg->igws_per_region)
		return core_fail(err, "InternetGatewayLimitExceeded",
		    "The maximum number of internet gateways has been reached.");
	if (core_commit_point(m, err))
		return -EINVAL;
	*out = core_res_new(m, CORE_IGW, sizeof(**out), owner, NULL);
	return 0;
}

int
core_igw_delete(struct core_model *m, struct core_igw *igw, struct core_error *err)
{
	if (igw->vpc_id[0])
		return core_fail(err, "DependencyViolation",
		    "The internetGateway '%s' has dependencies and cannot be deleted.",
		    igw->res.id);
	if (core_commit_point(m, err))
		return -EINVAL;
	core_remove(m, &igw->res);
	return 0;
}

int
core_igw_attach(struct core_model *m, struct core_igw *igw, struct core_vpc *vpc,
    struct core_error *err)
{
	if (igw->vpc_id[0])
		return core_fail(err, "Resource.AlreadyAssociated",
		    "resource %s is already attached to network %s", igw->res.id,
		    igw->vpc_id);
	CORE_FOREACH(m, CORE_IGW, r)
		if (vpc_is_owned(r, vpc, ((struct core_igw *)r)->vpc_id))
			return core_fail(err, "Resource.AlreadyAssociated",
			    "network %s already has an internet gateway attached",
			    vpc->res.id);
	if (core_commit_point(m, err))
		return -EINVAL;
	STR_COPY(igw->vpc_id, vpc->res.id);
	core_touch(m, &igw->res);
	return 0;
}

int
core_igw_detach(struct core_model *m, struct core_igw *igw, struct core_vpc *vpc,
    struct core_error *err)
{
	if (strcmp(igw->vpc_id, vpc->res.id) != 0)
		return core_fail(err, "Gateway.NotAttached",
		    "resource %s is not attached to network %s", igw->res.id, vpc->res.id);
	if (core_vpc_has_public_addresses(m, vpc))
		return core_fail(err, "DependencyViolation",
		    "Network %s has some mapped public address(es). Please unmap those "
		    "public address(es) before detaching the gateway.", vpc->res.id);
	if (core_commit_point(m, err))
		return -EINVAL;
	igw->vpc_id[0] = '\0';
	core_touch(m, &igw->res);
	return 0;
}
