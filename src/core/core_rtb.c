/* Route tables: routes, subnet associations and the main association. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

static bool
rtb_in_vpc(const struct core_rtb *rtb, const struct core_vpc *vpc)
{
	return strcmp(rtb->vpc_id, vpc->res.id) == 0 &&
	    strcmp(rtb->res.owner, vpc->res.owner) == 0;
}

static struct core_rtb *
rtb_alloc(struct core_model *m, struct core_vpc *vpc)
{
	struct core_rtb *rtb = core_res_new_in(m, CORE_RTB, sizeof(*rtb), vpc->res.owner,
	    vpc->res.id);

	for (size_t i = 0; i < vpc->n_cidrs; i++) {
		struct core_route *r = CORE_PUSH(rtb->routes, rtb->n_routes);

		r->dst = vpc->cidrs[i].cidr;
		r->target_type = CORE_TARGET_LOCAL;
		snprintf(r->target, sizeof(r->target), "local");
	}
	return rtb;
}

struct core_rtb *
core_rtb_new_main(struct core_model *m, struct core_vpc *vpc)
{
	struct core_rtb *rtb = rtb_alloc(m, vpc);
	struct core_rtb_assoc *a = CORE_PUSH(rtb->assocs, rtb->n_assocs);

	core_new_id("rtbassoc", a->id);
	a->is_main = true;
	STR_COPY(vpc->main_rtb, rtb->res.id);
	return rtb;
}

struct core_rtb *
core_rtb_main(const struct core_model *m, const struct core_vpc *vpc)
{
	return core_find(m, CORE_RTB, vpc->res.owner, vpc->main_rtb);
}

int
core_rtb_create(struct core_model *m, struct core_vpc *vpc, struct core_rtb **out,
    struct core_error *err)
{
	if (core_count_in_vpc(m, CORE_RTB, vpc) >= m->cfg->rtbs_per_vpc)
		return core_fail(err, "RouteTableLimitExceeded",
		    "The maximum number of route tables has been reached.");
	if (core_commit_point(m, err))
		return -EINVAL;
	*out = rtb_alloc(m, vpc);
	return 0;
}

int
core_rtb_delete(struct core_model *m, struct core_rtb *rtb, struct core_error *err)
{
	if (rtb->n_assocs)
		return core_fail(err, "DependencyViolation",
		    "The routeTable '%s' has dependencies and cannot be deleted.",
		    rtb->res.id);
	if (core_commit_point(m, err))
		return -EINVAL;
	core_remove(m, &rtb->res);
	return 0;
}

void
core_rtb_local_routes_add(struct core_model *m, struct core_vpc *vpc, struct core_cidr cidr)
{
	CORE_FOREACH(m, CORE_RTB, r) {
		struct core_rtb *rtb = (struct core_rtb *)r;
		struct core_route *rt;

		if (!rtb_in_vpc(rtb, vpc))
			continue;
		rt = CORE_PUSH(rtb->routes, rtb->n_routes);
		rt->dst = cidr;
		rt->target_type = CORE_TARGET_LOCAL;
		snprintf(rt->target, sizeof(rt->target), "local");
		core_touch(m, r);
	}
}

void
core_rtb_local_routes_remove(struct core_model *m, struct core_vpc *vpc,
    struct core_cidr cidr)
{
	CORE_FOREACH(m, CORE_RTB, r) {
		struct core_rtb *rtb = (struct core_rtb *)r;

		if (!rtb_in_vpc(rtb, vpc))
			continue;
		for (size_t i = 0; i < rtb->n_routes; i++) {
			struct core_route *rt = &rtb->routes[i];

			if (rt->target_type == CORE_TARGET_LOCAL &&
			    rt->dst.addr == cidr.addr && rt->dst.len == cidr.len) {
				CORE_ERASE(rtb->routes, rtb->n_routes, i);
				core_touch(m, r);
				break;
			}
		}
	}
}

struct core_rtb *
core_subnet_rtb(const struct core_model *m, const struct core_subnet *sn)
{
	struct core_vpc *vpc;

	CORE_FOREACH(m, CORE_RTB, r) {
		struct core_rtb *rtb = (struct core_rtb *)r;

		if (strcmp(r->owner, sn->res.owner) != 0 || strcmp(rtb->vpc_id, sn->vpc_id) != 0)
			continue;
		for (size_t i = 0; i < rtb->n_assocs; i++)
			if (strcmp(rtb->assocs[i].subnet_id, sn->res.id) == 0)
				return rtb;
	}
	vpc = core_find(m, CORE_VPC, sn->res.owner, sn->vpc_id);
	return vpc ? core_rtb_main(m, vpc) : NULL;
}

void
core_rtb_forget_subnet(struct core_model *m, const struct core_subnet *sn)
{
	CORE_FOREACH(m, CORE_RTB, r) {
		struct core_rtb *rtb = (struct core_rtb *)r;

		for (size_t i = 0; i < rtb->n_assocs; i++)
			if (strcmp(rtb->assocs[i].subnet_id, sn->res.id) == 0) {
				CORE_ERASE(rtb->assocs, rtb->n_assocs, i);
				core_touch(m, r);
				return;
			}
	}
}

int
core_rtb_associate(struct core_model *m, struct core_rtb *rtb, struct core_subnet *sn,
    const char **assoc_id, struct core_error *err)
{
	struct core_rtb_assoc *a;

	if (strcmp(rtb->vpc_id, sn->vpc_id) != 0)
		return core_fail(err, "InvalidParameterValue",
		    "Route table %s and subnet %s belong to different networks",
		    rtb->res.id, sn->res.id);
	CORE_FOREACH(m, CORE_RTB, r) {
		struct core_rtb *o = (struct core_rtb *)r;

		for (size_t i = 0; i < o->n_assocs; i++)
			if (strcmp(o->assocs[i].subnet_id, sn->res.id) == 0)
				return core_fail(err, "Resource.AlreadyAssociated",
				    "the specified association for route table %s conflicts "
				    "with an existing association", rtb->res.id);
	}
	if (core_commit_point(m, err))
		return -EINVAL;
	a = CORE_PUSH(rtb->assocs, rtb->n_assocs);
	core_new_id("rtbassoc", a->id);
	STR_COPY(a->subnet_id, sn->res.id);
	core_touch(m, &rtb->res);
	*assoc_id = a->id;
	return 0;
}

struct core_rtb *
core_rtb_by_assoc(const struct core_model *m, const char *owner, const char *assoc_id,
    size_t *index, struct core_error *err)
{
	CORE_FOREACH(m, CORE_RTB, r) {
		struct core_rtb *rtb = (struct core_rtb *)r;

		if (strcmp(r->owner, owner) != 0)
			continue;
		for (size_t i = 0; i < rtb->n_assocs; i++)
			if (strcmp(rtb->assocs[i].id, assoc_id) == 0) {
				*index = i;
				return rtb;
			}
	}
	core_fail(err, "InvalidAssociationID.NotFound",
	    "The association ID '%s' does not exist", assoc_id);
	return NULL;
}

int
core_rtb_disassociate(struct core_model *m, const char *owner, const char *assoc_id,
    struct core_error *err)
{
	size_t i;
	struct core_rtb *rtb = core_rtb_by_assoc(m, owner, assoc_id, &i, err);

	if (rtb == NULL)
		return -ENOENT;
	if (rtb->assocs[i].is_main)
		return core_fail(err, "InvalidParameterValue",
		    "cannot disassociate the main route table association %s", assoc_id);
	if (core_commit_point(m, err))
		return -EINVAL;
	CORE_ERASE(rtb->assocs, rtb->n_assocs, i);
	core_touch(m, &rtb->res);
	return 0;
}

int
core_rtb_replace_assoc(struct core_model *m, const char *owner, const char *assoc_id,
    struct core_rtb *rtb, const char **new_id, struct core_error *err)
{
	size_t i;
	struct core_rtb *old = core_rtb_by_assoc(m, owner, assoc_id, &i, err);
	struct core_rtb_assoc moved, *a;

	if (old == NULL)
		return -ENOENT;
	if (strcmp(old->vpc_id, rtb->vpc_id) != 0)
		return core_fail(err, "InvalidParameterValue",
		    "Route table %s and association %s belong to different networks",
		    rtb->res.id, assoc_id);
	if (core_commit_point(m, err))
		return -EINVAL;
	moved = old->assocs[i];
	CORE_ERASE(old->assocs, old->n_assocs, i);
	core_touch(m, &old->res);
	a = CORE_PUSH(rtb->assocs, rtb->n_assocs);
	*a = moved;
	core_new_id("rtbassoc", a->id);
	core_touch(m, &rtb->res);
	if (a->is_main) {
		struct core_vpc *vpc = core_find(m, CORE_VPC, owner, rtb->vpc_id);

		STR_COPY(vpc->main_rtb, rtb->res.id);
		core_touch(m, &vpc->res);
	}
	*new_id = a->id;
	return 0;
}

static struct core_route *
route_find(struct core_rtb *rtb, struct core_cidr dst)
{
	for (size_t i = 0; i < rtb->n_routes; i++)
		if (rtb->routes[i].dst.addr == dst.addr && rtb->routes[i].dst.len == dst.len)
			return &rtb->routes[i];
	return NULL;
}

/* Whether 'spec' may be installed in 'rtb': the target exists, belongs to
 * the VPC, and the destination respects the local routes. */
static int
route_check(struct core_model *m, struct core_rtb *rtb, const struct core_route_spec *spec,
    struct core_error *err)
{
	struct core_vpc *vpc = core_find(m, CORE_VPC, rtb->res.owner, rtb->vpc_id);
	char s[20];

	core_cidr_format(&spec->dst, s);
	if (!core_cidr_is_canonical(&spec->dst))
		return core_fail(err, "InvalidParameterValue",
		    "Value (%s) for parameter destinationCidrBlock is invalid. This is "
		    "not a valid CIDR block.", s);
	switch (spec->target_type) {
	case CORE_TARGET_IGW: {
		struct core_igw *igw = core_find(m, CORE_IGW, rtb->res.owner, spec->target);

		if (igw == NULL)
			return core_not_found(CORE_IGW, spec->target, err);
		if (strcmp(igw->vpc_id, rtb->vpc_id) != 0)
			return core_fail(err, "InvalidParameterValue",
			    "route table %s and network gateway %s belong to different "
			    "networks", rtb->res.id, spec->target);
		break;
	}
	case CORE_TARGET_LOCAL:
		return core_fail(err, "InvalidParameterValue",
		    "Route target 'local' is only valid for the VPC's own CIDR blocks");
	default:
		if (core_route_target_check(m, rtb, spec, err))
			return -EINVAL;
		break;
	}
	/* A destination inside the VPC may only be as specific as a whole
	 * block (it cannot be more specific than local unless it targets an
	 * interface), and never equal a local route. */
	for (size_t i = 0; vpc && i < vpc->n_cidrs; i++) {
		const struct core_cidr *vc = &vpc->cidrs[i].cidr;

		if (!core_cidr_overlaps(vc, &spec->dst))
			continue;
		if (vc->addr == spec->dst.addr && vc->len == spec->dst.len)
			return core_fail(err, "InvalidParameterValue",
			    "The destination CIDR block %s is equal to or more specific "
			    "than one of this VPC's CIDR blocks. This route can target "
			    "only an interface or an instance.", s);
		if (core_cidr_contains(vc, &spec->dst) &&
		    spec->target_type != CORE_TARGET_ENI &&
		    spec->target_type != CORE_TARGET_INSTANCE &&
		    spec->target_type != CORE_TARGET_NATGW)
			return core_fail(err, "InvalidParameterValue",
			    "The destination CIDR block %s is equal to or more specific "
			    "than one of this VPC's CIDR blocks. This route can target "
			    "only an interface or an instance.", s);
	}
	return 0;
}

int
core_route_create(struct core_model *m, struct core_rtb *rtb,
    const struct core_route_spec *spec, struct core_error *err)
{
	struct core_route *r;
	char s[20];

	core_cidr_format(&spec->dst, s);
	if (route_find(rtb, spec->dst))
		return core_fail(err, "RouteAlreadyExists",
		    "The route identified by %s already exists.", s);
	if (route_check(m, rtb, spec, err))
		return -EINVAL;
	if (rtb->n_routes >= m->cfg->routes_per_rtb)
		return core_fail(err, "RouteLimitExceeded",
		    "The maximum number of routes has been reached.");
	if (core_commit_point(m, err))
		return -EINVAL;
	r = CORE_PUSH(rtb->routes, rtb->n_routes);
	r->dst = spec->dst;
	r->target_type = spec->target_type;
	STR_COPY(r->target, spec->target);
	r->is_created_by_user = true;
	core_touch(m, &rtb->res);
	return 0;
}

int
core_route_replace(struct core_model *m, struct core_rtb *rtb,
    const struct core_route_spec *spec, struct core_error *err)
{
	struct core_route *r = route_find(rtb, spec->dst);
	char s[20];

	core_cidr_format(&spec->dst, s);
	if (r == NULL)
		return core_fail(err, "InvalidRoute.NotFound",
		    "There is no route defined for '%s' in the route table. Use "
		    "CreateRoute instead.", s);
	if (r->target_type == CORE_TARGET_LOCAL)
		return core_fail(err, "InvalidParameterValue",
		    "cannot replace local route %s in route table %s", s, rtb->res.id);
	if (route_check(m, rtb, spec, err))
		return -EINVAL;
	if (core_commit_point(m, err))
		return -EINVAL;
	r->target_type = spec->target_type;
	STR_COPY(r->target, spec->target);
	core_touch(m, &rtb->res);
	return 0;
}

int
core_route_delete(struct core_model *m, struct core_rtb *rtb, struct core_cidr dst,
    struct core_error *err)
{
	struct core_route *r = route_find(rtb, dst);
	char s[20];

	core_cidr_format(&dst, s);
	if (r == NULL)
		return core_fail(err, "InvalidRoute.NotFound",
		    "no route with destination-cidr-block %s in route table %s", s,
		    rtb->res.id);
	if (r->target_type == CORE_TARGET_LOCAL)
		return core_fail(err, "InvalidParameterValue",
		    "cannot remove local route %s in route table %s", s, rtb->res.id);
	if (core_commit_point(m, err))
		return -EINVAL;
	CORE_ERASE(rtb->routes, rtb->n_routes, (size_t)(r - rtb->routes));
	core_touch(m, &rtb->res);
	return 0;
}

bool
core_route_is_active(const struct core_model *m, const struct core_rtb *rtb,
    const struct core_route *r)
{
	switch (r->target_type) {
	case CORE_TARGET_LOCAL:
		return true;
	case CORE_TARGET_IGW: {
		struct core_igw *igw = core_find(m, CORE_IGW, rtb->res.owner, r->target);

		return igw && strcmp(igw->vpc_id, rtb->vpc_id) == 0;
	}
	default:
		return core_route_target_is_active(m, rtb, r);
	}
}
