/* VPC peering connections: their life cycle and who may change them (see core.h). */
#include <errno.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

#define PCX(r) ((struct core_pcx *)(r))
#define HOUR_MS (3600 * 1000LL)

const char *
core_pcx_state_name(enum core_pcx_state st)
{
	static const char *const names[] = {
		[CORE_PCX_PENDING] = "pending-acceptance",
		[CORE_PCX_ACTIVE] = "active",
		[CORE_PCX_REJECTED] = "rejected",
		[CORE_PCX_FAILED] = "failed",
		[CORE_PCX_DELETED] = "deleted",
		[CORE_PCX_EXPIRED] = "expired",
	};

	return names[st];
}

enum core_pcx_state
core_pcx_state(const struct core_pcx *pcx, int64_t now_ms)
{
	if (pcx->state == CORE_PCX_PENDING && now_ms >= pcx->res.created_ms + CORE_PCX_EXPIRY_MS)
		return CORE_PCX_EXPIRED;
	return pcx->state;
}

bool
core_pcx_is_visible(const struct core_pcx *pcx, int64_t now_ms)
{
	switch (core_pcx_state(pcx, now_ms)) {
	case CORE_PCX_DELETED:
	case CORE_PCX_FAILED:
		return now_ms < pcx->state_ms + 2 * HOUR_MS;
	case CORE_PCX_REJECTED:
		return now_ms < pcx->state_ms + 48 * HOUR_MS;
	case CORE_PCX_EXPIRED:
		return now_ms < pcx->res.created_ms + CORE_PCX_EXPIRY_MS + 48 * HOUR_MS;
	default:
		return true;
	}
}

/* Pending or active: it holds the pair of VPCs. */
static bool
is_live(const struct core_pcx *pcx, int64_t now_ms)
{
	enum core_pcx_state st = core_pcx_state(pcx, now_ms);

	return st == CORE_PCX_PENDING || st == CORE_PCX_ACTIVE;
}

static bool
joins(const struct core_pcx *pcx, const char *vpc_a, const char *vpc_b)
{
	return (strcmp(pcx->vpc_id, vpc_a) == 0 && strcmp(pcx->peer_vpc_id, vpc_b) == 0) ||
	    (strcmp(pcx->vpc_id, vpc_b) == 0 && strcmp(pcx->peer_vpc_id, vpc_a) == 0);
}

static bool
touches(const struct core_pcx *pcx, const char *vpc_id)
{
	return strcmp(pcx->vpc_id, vpc_id) == 0 || strcmp(pcx->peer_vpc_id, vpc_id) == 0;
}

const struct core_pcx *
core_pcx_between(const struct core_model *m, const char *vpc_a, const char *vpc_b)
{
	CORE_FOREACH(m, CORE_PCX, r)
		if (PCX(r)->state == CORE_PCX_ACTIVE && joins(PCX(r), vpc_a, vpc_b))
			return PCX(r);
	return NULL;
}

static bool
vpcs_overlap(const struct core_vpc *a, const struct core_vpc *b)
{
	for (size_t i = 0; i < a->n_cidrs; i++)
		for (size_t k = 0; k < b->n_cidrs; k++)
			if (core_cidr_overlaps(&a->cidrs[i].cidr, &b->cidrs[k].cidr))
				return true;
	return false;
}

static size_t
count_active(const struct core_model *m, const char *vpc_id)
{
	size_t n = 0;

	CORE_FOREACH(m, CORE_PCX, r)
		n += PCX(r)->state == CORE_PCX_ACTIVE && touches(PCX(r), vpc_id);
	return n;
}

static void
set_state(struct core_model *m, struct core_pcx *pcx, enum core_pcx_state st,
    const char *actor, int64_t now_ms)
{
	pcx->state = st;
	pcx->state_ms = now_ms;
	STR_COPY(pcx->actor, actor ? actor : "");
	core_touch(m, &pcx->res);
}

int
core_pcx_create(struct core_model *m, const char *owner, struct core_vpc *vpc,
    struct core_vpc *peer, struct core_pcx **out, struct core_error *err)
{
	int64_t now = time_now_ms();
	size_t pending = 0;
	struct core_pcx *pcx;

	CORE_FOREACH(m, CORE_PCX, r) {
		if (!is_live(PCX(r), now))
			continue;
		if (joins(PCX(r), vpc->res.id, peer->res.id))
			return core_fail(err, "VpcPeeringConnectionAlreadyExists",
			    "A VPC peering connection between %s and %s already exists: %s.",
			    vpc->res.id, peer->res.id, r->id);
		pending += strcmp(r->owner, owner) == 0 &&
		    core_pcx_state(PCX(r), now) == CORE_PCX_PENDING;
	}
	if (pending >= m->cfg->pending_pcx_per_account)
		return core_fail(err, "OutstandingVpcPeeringConnectionLimitExceeded",
		    "You have reached the limit of %u outstanding VPC peering connection "
		    "requests.", m->cfg->pending_pcx_per_account);
	if (core_commit_point(m, err))
		return -EINVAL;
	pcx = core_res_new_in(m, CORE_PCX, sizeof(*pcx), owner, vpc->res.id);
	STR_COPY(pcx->peer_owner, peer->res.owner);
	STR_COPY(pcx->peer_vpc_id, peer->res.id);
	pcx->cidr = vpc->cidrs[0].cidr;
	pcx->peer_cidr = peer->cidrs[0].cidr;
	pcx->state_ms = pcx->res.created_ms;
	if (vpcs_overlap(vpc, peer))
		pcx->state = CORE_PCX_FAILED;
	*out = pcx;
	return 0;
}

struct core_pcx *
core_pcx_lookup(const struct core_model *m, const char *caller, const char *id,
    int64_t now_ms, struct core_error *err)
{
	struct core_res *r = core_get(m, id);

	if (r && r->type == CORE_PCX && core_pcx_is_visible(PCX(r), now_ms) &&
	    (strcmp(r->owner, caller) == 0 || strcmp(PCX(r)->peer_owner, caller) == 0))
		return PCX(r);
	core_not_found(CORE_PCX, id, err);
	return NULL;
}

static int
bad_transition(const struct core_pcx *pcx, const char *to, int64_t now_ms,
    struct core_error *err)
{
	return core_fail(err, "InvalidStateTransition",
	    "Invalid state transition for %s, attempted to transition from %s to %s",
	    pcx->res.id, core_pcx_state_name(core_pcx_state(pcx, now_ms)), to);
}

/* Only the accepter answers a request. */
static int
check_accepter(const struct core_pcx *pcx, const char *caller, const char *what,
    struct core_error *err)
{
	if (strcmp(pcx->peer_owner, caller) != 0)
		return core_fail(err, "OperationNotPermitted",
		    "User %s cannot %s peering %s", caller, what, pcx->res.id);
	return 0;
}

int
core_pcx_accept(struct core_model *m, struct core_pcx *pcx, const char *caller,
    int64_t now_ms, struct core_error *err)
{
	const struct core_vpc *vpc = core_find(m, CORE_VPC, pcx->res.owner, pcx->vpc_id);
	const struct core_vpc *peer = core_find(m, CORE_VPC, pcx->peer_owner, pcx->peer_vpc_id);

	if (check_accepter(pcx, caller, "accept", err))
		return -EINVAL;
	if (core_pcx_state(pcx, now_ms) != CORE_PCX_PENDING)
		return bad_transition(pcx, "active", now_ms, err);
	if (count_active(m, pcx->vpc_id) >= m->cfg->active_pcx_per_vpc ||
	    count_active(m, pcx->peer_vpc_id) >= m->cfg->active_pcx_per_vpc)
		return core_fail(err, "VpcPeeringConnectionLimitExceeded",
		    "The maximum number of active VPC peering connections (%u) has been "
		    "reached.", m->cfg->active_pcx_per_vpc);
	if (core_commit_point(m, err))
		return -EINVAL;
	/* A block added since the request may overlap now. */
	set_state(m, pcx, vpc && peer && !vpcs_overlap(vpc, peer) ? CORE_PCX_ACTIVE :
	    CORE_PCX_FAILED, NULL, now_ms);
	return 0;
}

int
core_pcx_reject(struct core_model *m, struct core_pcx *pcx, const char *caller,
    int64_t now_ms, struct core_error *err)
{
	if (check_accepter(pcx, caller, "reject", err))
		return -EINVAL;
	if (core_pcx_state(pcx, now_ms) != CORE_PCX_PENDING)
		return bad_transition(pcx, "rejected", now_ms, err);
	if (core_commit_point(m, err))
		return -EINVAL;
	set_state(m, pcx, CORE_PCX_REJECTED, caller, now_ms);
	return 0;
}

int
core_pcx_delete(struct core_model *m, struct core_pcx *pcx, const char *caller,
    int64_t now_ms, struct core_error *err)
{
	enum core_pcx_state st = core_pcx_state(pcx, now_ms);

	if (st == CORE_PCX_PENDING && strcmp(pcx->res.owner, caller) != 0)
		return core_fail(err, "OperationNotPermitted",
		    "User %s cannot delete a pending peering %s: reject it instead", caller,
		    pcx->res.id);
	if (st != CORE_PCX_PENDING && st != CORE_PCX_ACTIVE)
		return bad_transition(pcx, "deleted", now_ms, err);
	if (core_commit_point(m, err))
		return -EINVAL;
	set_state(m, pcx, CORE_PCX_DELETED, caller, now_ms);
	return 0;
}

/* A VPC that goes takes its connections with it. */
void
core_pcx_forget_vpc(struct core_model *m, const struct core_vpc *vpc)
{
	int64_t now = time_now_ms();

	CORE_FOREACH(m, CORE_PCX, r)
		if (is_live(PCX(r), now) && touches(PCX(r), vpc->res.id))
			set_state(m, PCX(r), CORE_PCX_DELETED, vpc->res.owner, now);
}
