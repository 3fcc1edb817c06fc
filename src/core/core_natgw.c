/* NAT gateways: their life cycle and what they hold (see core.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

#define NATGW(r) ((struct core_natgw *)(r))

const char *
core_natgw_state_name(enum core_natgw_state st)
{
	static const char *const names[] = {
		[CORE_NATGW_PENDING] = "pending",
		[CORE_NATGW_FAILED] = "failed",
		[CORE_NATGW_AVAILABLE] = "available",
		[CORE_NATGW_DELETING] = "deleting",
		[CORE_NATGW_DELETED] = "deleted",
	};

	return names[st];
}

bool
core_natgw_is_live(const struct core_natgw *gw)
{
	return gw->state == CORE_NATGW_PENDING || gw->state == CORE_NATGW_AVAILABLE;
}

const struct core_natgw *
core_natgw_of_eni(const struct core_model *m, const struct core_eni *eni)
{
	if (strcmp(eni->interface_type, "nat_gateway") != 0)
		return NULL;
	CORE_FOREACH(m, CORE_NATGW, r)
		if (strcmp(NATGW(r)->eni_id, eni->res.id) == 0 &&
		    strcmp(r->owner, eni->res.owner) == 0 && NATGW(r)->state != CORE_NATGW_DELETED)
			return NATGW(r);
	return NULL;
}

/* Gateways that hold capacity in a zone: all but failed and deleted ones. */
static size_t
count_in_az(const struct core_model *m, const char *owner, const char *az)
{
	size_t n = 0;

	CORE_FOREACH(m, CORE_NATGW, r) {
		const struct core_natgw *gw = NATGW(r);
		const struct core_subnet *sn;

		if (strcmp(r->owner, owner) != 0 || gw->state == CORE_NATGW_FAILED ||
		    gw->state == CORE_NATGW_DELETED)
			continue;
		sn = core_find(m, CORE_SUBNET, owner, gw->subnet_id);
		n += sn && strcmp(sn->az, az) == 0;
	}
	return n;
}

static bool
vpc_has_igw(const struct core_model *m, const char *owner, const char *vpc_id)
{
	CORE_FOREACH(m, CORE_IGW, r)
		if (strcmp(((const struct core_igw *)r)->vpc_id, vpc_id) == 0 &&
		    strcmp(r->owner, owner) == 0)
			return true;
	return false;
}

static void set_failed(struct core_natgw *gw, const char *code, const char *fmt, ...)
    PRINTF(3, 4);

static void
set_failed(struct core_natgw *gw, const char *code, const char *fmt, ...)
{
	va_list ap;

	gw->state = CORE_NATGW_FAILED;
	STR_COPY(gw->failure_code, code);
	va_start(ap, fmt);
	vsnprintf(gw->failure_message, sizeof(gw->failure_message), fmt, ap);
	va_end(ap);
}

int
core_natgw_create(struct core_model *m, const char *owner, const struct core_natgw_spec *spec,
    struct core_natgw **out, struct core_error *err)
{
	struct core_subnet *sn = spec->subnet;
	struct core_eni_spec es = {
		.subnet = sn,
		.primary_ip = spec->private_ip,
		.is_requester_managed = true,
		.interface_type = "nat_gateway",
	};
	struct core_error eni_err;
	struct core_natgw *gw;
	struct core_eni *eni;
	char desc[96];

	if (count_in_az(m, owner, sn->az) >= m->cfg->natgws_per_az)
		return core_fail(err, "NatGatewayLimitExceeded",
		    "The maximum number of NAT gateways has been reached.");
	/* An explicit address must be one the interface could have; only
	 * running out of addresses is found later, as on AWS. */
	if (core_eni_check(m, owner, &es, &eni_err) &&
	    (spec->private_ip || strcmp(eni_err.code, "InsufficientFreeAddressesInSubnet") != 0)) {
		*err = eni_err;
		return -EINVAL;
	}
	if (core_commit_point(m, err))
		return -EINVAL;
	gw = core_res_new_in(m, CORE_NATGW, sizeof(*gw), owner, sn->vpc_id);
	STR_COPY(gw->subnet_id, sn->res.id);
	gw->is_private = spec->is_private;
	if (spec->eip) {
		STR_COPY(gw->alloc_id, spec->eip->res.id);
		gw->public_ip = spec->eip->public_ip;
	}
	if (!spec->is_private && !vpc_has_igw(m, owner, sn->vpc_id))
		set_failed(gw, "Gateway.NotAttached", "Network %s has no Internet gateway attached",
		    sn->vpc_id);
	else if (spec->eip && spec->eip->assoc_id[0])
		set_failed(gw, "Resource.AlreadyAssociated",
		    "Elastic IP address %s is already associated", spec->eip->res.id);
	else if (core_subnet_available(sn) == 0)
		set_failed(gw, "InsufficientFreeAddressesInSubnet",
		    "Subnet has insufficient free addresses to create this NAT gateway");
	if (gw->state == CORE_NATGW_FAILED) {
		*out = gw;
		return 0;
	}
	snprintf(desc, sizeof(desc), "Interface for NAT Gateway %s", gw->res.id);
	es.description = desc;
	if (core_eni_create(m, owner, &es, &eni, err))
		fatalx("natgw: interface for %s: %s", gw->res.id, err->message);
	STR_COPY(gw->eni_id, eni->res.id);
	gw->private_ip = eni->ips[0];
	if (spec->eip) {
		if (core_eip_associate(m, spec->eip, eni, 0, false, err))
			fatalx("natgw: address for %s: %s", gw->res.id, err->message);
		STR_COPY(gw->assoc_id, spec->eip->assoc_id);
	}
	gw->state = m->is_dataplane_none ? CORE_NATGW_AVAILABLE : CORE_NATGW_PENDING;
	*out = gw;
	return 0;
}

int
core_natgw_delete(struct core_model *m, struct core_natgw *gw, struct core_error *err)
{
	if (core_commit_point(m, err))
		return -EINVAL;
	switch (gw->state) {
	case CORE_NATGW_PENDING:
	case CORE_NATGW_AVAILABLE:
		gw->delete_ms = time_now_ms();
		core_natgw_set_state(m, gw,
		    m->is_dataplane_none ? CORE_NATGW_DELETED : CORE_NATGW_DELETING);
		break;
	case CORE_NATGW_FAILED:
		gw->delete_ms = time_now_ms();
		core_natgw_set_state(m, gw, CORE_NATGW_DELETED);
		break;
	default:
		break;  /* already on its way: nothing to do */
	}
	return 0;
}

void
core_natgw_set_state(struct core_model *m, struct core_natgw *gw, enum core_natgw_state st)
{
	if (st == CORE_NATGW_DELETED && gw->eni_id[0]) {
		struct core_eni *eni = core_find(m, CORE_ENI, gw->res.owner, gw->eni_id);

		if (eni)
			core_eni_remove(m, eni);
	}
	gw->state = st;
	core_touch(m, &gw->res);
}
