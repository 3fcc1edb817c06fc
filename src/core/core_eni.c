/*
 * Network interfaces, their private addresses, the public address pool
 * and Elastic IPs.
 *
 * A subnet's used addresses are not stored: they are the addresses of
 * the interfaces inside it.  The model keeps their number in the
 * subnet's derived n_used counter (core_model.c adjusts it as interfaces
 * come and go; the functions here as addresses are added and removed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

#define ENI(r) ((struct core_eni *)(r))
#define EIP(r) ((struct core_eip *)(r))

/* A bitmap over one address block. */
struct ipmap {
	uint32_t base;
	uint64_t size;
	uint8_t *bits;
};

static void
ipmap_init(struct ipmap *mp, struct core_cidr c)
{
	c = core_cidr_canonical(c);
	mp->base = c.addr;
	mp->size = core_cidr_size(&c);
	mp->bits = xcalloc((size_t)(mp->size + 7) / 8, 1);
}

static void
ipmap_fini(struct ipmap *mp)
{
	free(mp->bits);
}

static bool
ipmap_has(const struct ipmap *mp, uint32_t ip)
{
	return ip >= mp->base && (uint64_t)(ip - mp->base) < mp->size;
}

static void
ipmap_set(struct ipmap *mp, uint32_t ip)
{
	uint64_t i = ip - mp->base;

	if (ipmap_has(mp, ip))
		mp->bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* The lowest free address (marked taken), or 0. */
static uint32_t
ipmap_take(struct ipmap *mp)
{
	for (uint64_t i = 0; i < mp->size; i++)
		if (!(mp->bits[i / 8] >> (i % 8) & 1)) {
			mp->bits[i / 8] |= (uint8_t)(1u << (i % 8));
			return mp->base + (uint32_t)i;
		}
	return 0;
}

static size_t
ipmap_free_count(const struct ipmap *mp)
{
	size_t n = 0;

	for (uint64_t i = 0; i < mp->size; i++)
		n += !(mp->bits[i / 8] >> (i % 8) & 1);
	return n;
}

static bool
ip_is_reserved(const struct core_subnet *sn, uint32_t ip)
{
	uint32_t off = ip - sn->cidr.addr;

	return off < 4 || (uint64_t)off == core_cidr_size(&sn->cidr) - 1;
}

/* The subnet's addresses: reserved and used ones marked. */
static void
subnet_map(const struct core_model *m, const struct core_subnet *sn, struct ipmap *mp)
{
	ipmap_init(mp, sn->cidr);
	for (uint32_t i = 0; i < 4; i++)
		ipmap_set(mp, sn->cidr.addr + i);
	ipmap_set(mp, sn->cidr.addr + (uint32_t)(core_cidr_size(&sn->cidr) - 1));
	CORE_FOREACH(m, CORE_ENI, r)
		if (strcmp(ENI(r)->subnet_id, sn->res.id) == 0)
			for (size_t i = 0; i < ENI(r)->n_ips; i++)
				ipmap_set(mp, ENI(r)->ips[i]);
}

/* The interface in subnet 'sn' holding 'ip', or NULL. */
static struct core_eni *
ip_holder(const struct core_model *m, const struct core_subnet *sn, uint32_t ip)
{
	CORE_FOREACH(m, CORE_ENI, r)
		if (strcmp(ENI(r)->subnet_id, sn->res.id) == 0)
			for (size_t i = 0; i < ENI(r)->n_ips; i++)
				if (ENI(r)->ips[i] == ip)
					return ENI(r);
	return NULL;
}

static struct core_subnet *
eni_subnet(const struct core_model *m, const struct core_eni *eni)
{
	return core_find(m, CORE_SUBNET, eni->res.owner, eni->subnet_id);
}

static void
used_adjust(struct core_model *m, const struct core_eni *eni, int delta)
{
	struct core_subnet *sn = eni_subnet(m, eni);

	if (sn)
		sn->n_used += (uint32_t)delta;
}

/* An explicit private address: inside the subnet, not reserved. */
static int
ip_check_range(const struct core_subnet *sn, uint32_t ip, struct core_error *err)
{
	char s[16];

	core_ip_format(ip, s);
	if (!core_cidr_contains_ip(&sn->cidr, ip))
		return core_fail(err, "InvalidParameterValue",
		    "Address %s does not fall within the subnet's address range", s);
	if (ip_is_reserved(sn, ip))
		return core_fail(err, "InvalidParameterValue",
		    "Address %s is in subnet's reserved address range", s);
	return 0;
}

static int
ip_in_use(uint32_t ip, struct core_error *err)
{
	char s[16];

	core_ip_format(ip, s);
	return core_fail(err, "InvalidIPAddress.InUse", "Address %s is in use.", s);
}

static int
no_room(const struct core_subnet *sn, struct core_error *err)
{
	return core_fail(err, "InsufficientFreeAddressesInSubnet",
	    "There are not enough free addresses in subnet '%s' to satisfy the requested "
	    "number of instances.", sn->res.id);
}

int
core_eni_groups_check(const struct core_model *m, const char *owner, const char *vpc_id,
    const char *subnet_id, const char *const *groups, size_t n, struct core_error *err)
{
	if (n > m->cfg->sgs_per_eni || n > CORE_ENI_GROUPS_MAX)
		return core_fail(err, "SecurityGroupsPerInterfaceLimitExceeded",
		    "The maximum number of security groups per interface has been reached.");
	for (size_t i = 0; i < n; i++) {
		struct core_sg *sg = core_find(m, CORE_SG, owner, groups[i]);

		if (sg == NULL)
			return core_fail(err, "InvalidGroup.NotFound",
			    "The security group '%s' does not exist", groups[i]);
		if (strcmp(sg->vpc_id, vpc_id) != 0)
			return core_fail(err, "InvalidParameter",
			    "Security group %s and subnet %s belong to different networks.",
			    groups[i], subnet_id);
	}
	return 0;
}

static void
set_groups(struct core_eni *eni, const char *const *groups, size_t n)
{
	eni->n_groups = 0;
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		for (size_t j = 0; j < eni->n_groups; j++)
			dup |= strcmp(eni->groups[j], groups[i]) == 0;
		if (!dup)
			STR_COPY(eni->groups[eni->n_groups++], groups[i]);
	}
}

int
core_eni_check(const struct core_model *m, const char *owner,
    const struct core_eni_spec *spec, struct core_error *err)
{
	const struct core_subnet *sn = spec->subnet;
	size_t n_explicit = spec->n_secondary_ips + (spec->primary_ip != 0);
	size_t n_picks = spec->n_secondary + (spec->primary_ip == 0);

	if (core_eni_groups_check(m, owner, sn->vpc_id, sn->res.id, spec->groups,
	    spec->n_groups, err))
		return -EINVAL;
	if (n_explicit + n_picks > CORE_ENI_IPS_MAX)
		return core_fail(err, "PrivateIpAddressLimitExceeded",
		    "Number of private addresses will exceed limit.");
	for (size_t i = 0; i < n_explicit; i++) {
		uint32_t ip = spec->primary_ip ? (i == 0 ? spec->primary_ip :
		    spec->secondary_ips[i - 1]) : spec->secondary_ips[i];

		if (ip_check_range(sn, ip, err))
			return -EINVAL;
		if (ip_holder(m, sn, ip))
			return ip_in_use(ip, err);
		for (size_t j = 0; j < spec->n_secondary_ips; j++)
			if (spec->secondary_ips[j] == ip && (spec->primary_ip ? i != j + 1 : i != j))
				return core_fail(err, "InvalidParameterValue",
				    "The private IP address list contains duplicates");
	}
	if (core_subnet_available(sn) < n_explicit + n_picks)
		return no_room(sn, err);
	return 0;
}

/* Builds a checked interface. */
static struct core_eni *
eni_build(struct core_model *m, const char *owner, const struct core_eni_spec *spec)
{
	struct core_subnet *sn = spec->subnet;
	struct core_vpc *vpc = core_find(m, CORE_VPC, owner, sn->vpc_id);
	struct core_eni *eni = core_res_new_in(m, CORE_ENI, sizeof(*eni), owner, sn->vpc_id);
	unsigned char mac[5];
	struct ipmap map;

	STR_COPY(eni->subnet_id, sn->res.id);
	random_bytes(mac, sizeof(mac));
	snprintf(eni->mac, sizeof(eni->mac), "02:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
	    mac[2], mac[3], mac[4]);
	eni->description = xstrdup(spec->description ? spec->description : "");
	eni->source_dest_check = true;
	eni->is_requester_managed = spec->is_requester_managed;
	STR_COPY(eni->interface_type, spec->interface_type ? spec->interface_type : "interface");
	if (spec->n_groups)
		set_groups(eni, spec->groups, spec->n_groups);
	else if (vpc && vpc->default_sg[0] && !spec->is_requester_managed)
		STR_COPY(eni->groups[eni->n_groups++], vpc->default_sg);
	subnet_map(m, sn, &map);
	if (spec->primary_ip) {
		eni->ips[eni->n_ips++] = spec->primary_ip;
		ipmap_set(&map, spec->primary_ip);
	}
	for (size_t i = 0; i < spec->n_secondary_ips; i++)
		ipmap_set(&map, spec->secondary_ips[i]);
	if (!spec->primary_ip)
		eni->ips[eni->n_ips++] = ipmap_take(&map);
	for (size_t i = 0; i < spec->n_secondary_ips; i++)
		eni->ips[eni->n_ips++] = spec->secondary_ips[i];
	for (size_t i = 0; i < spec->n_secondary; i++)
		eni->ips[eni->n_ips++] = ipmap_take(&map);
	ipmap_fini(&map);
	used_adjust(m, eni, (int)eni->n_ips);
	return eni;
}

int
core_eni_create(struct core_model *m, const char *owner, const struct core_eni_spec *spec,
    struct core_eni **out, struct core_error *err)
{
	if (core_eni_check(m, owner, spec, err) || core_commit_point(m, err))
		return -EINVAL;
	*out = eni_build(m, owner, spec);
	return 0;
}

int
core_eni_check_managed(const struct core_eni *eni, struct core_error *err)
{
	if (eni->is_requester_managed)
		return core_fail(err, "OperationNotPermitted",
		    "You are not allowed to manage '%s' interfaces: network interface '%s' "
		    "is managed by another service.", eni->interface_type, eni->res.id);
	return 0;
}

static void
eip_clear(struct core_model *m, struct core_eip *eip)
{
	eip->assoc_id[0] = '\0';
	eip->eni_id[0] = '\0';
	eip->private_ip = 0;
	core_touch(m, &eip->res);
}

/* Disassociates the Elastic IPs on 'eni' (on address 'ip', or all if 0). */
static void
eips_drop(struct core_model *m, const struct core_eni *eni, uint32_t ip)
{
	CORE_FOREACH(m, CORE_EIP, r)
		if (strcmp(EIP(r)->eni_id, eni->res.id) == 0 &&
		    strcmp(r->owner, eni->res.owner) == 0 && (ip == 0 || EIP(r)->private_ip == ip))
			eip_clear(m, EIP(r));
}

int
core_eni_delete(struct core_model *m, struct core_eni *eni, struct core_error *err)
{
	if (eni->instance_id[0])
		return core_fail(err, "InvalidNetworkInterface.InUse",
		    "Network interface '%s' is currently in use.", eni->res.id);
	if (core_eni_check_managed(eni, err) || core_commit_point(m, err))
		return -EINVAL;
	core_eni_remove(m, eni);
	return 0;
}

void
core_eni_remove(struct core_model *m, struct core_eni *eni)
{
	eips_drop(m, eni, 0);
	core_remove(m, &eni->res);
}

int
core_eni_set_groups(struct core_model *m, struct core_eni *eni, const char *const *groups,
    size_t n, struct core_error *err)
{
	if (core_eni_check_managed(eni, err) ||
	    core_eni_groups_check(m, eni->res.owner, eni->vpc_id, eni->subnet_id, groups, n, err) ||
	    core_commit_point(m, err))
		return -EINVAL;
	set_groups(eni, groups, n);
	core_touch(m, &eni->res);
	return 0;
}

size_t
core_instance_enis(const struct core_model *m, const struct core_instance *inst,
    struct core_eni **out)
{
	size_t n = 0;

	CORE_FOREACH(m, CORE_ENI, r)
		if (n < CORE_INSTANCE_ENIS_MAX && strcmp(ENI(r)->instance_id, inst->res.id) == 0 &&
		    strcmp(r->owner, inst->res.owner) == 0)
			out[n++] = ENI(r);
	/* By device index: few enough for an insertion sort. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && out[j - 1]->device_index > out[j]->device_index; j--) {
			struct core_eni *t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static int
zone_mismatch(struct core_error *err)
{
	return core_fail(err, "InvalidParameterCombination",
	    "You may not attach a network interface to an instance if they are not in "
	    "the same availability zone");
}

/* Checks without changing anything; shared with RunInstances. */
static int
attach_check(const struct core_model *m, const struct core_eni *eni,
    const struct core_subnet *inst_subnet, const char *inst_vpc, struct core_error *err)
{
	const struct core_subnet *sn = eni_subnet(m, eni);

	if (eni->instance_id[0])
		return core_fail(err, "InvalidNetworkInterface.InUse",
		    "Interface: [%s] in use.", eni->res.id);
	if (core_eni_check_managed(eni, err))
		return -EINVAL;
	if (sn == NULL || inst_subnet == NULL || strcmp(sn->az, inst_subnet->az) != 0)
		return zone_mismatch(err);
	if (strcmp(eni->vpc_id, inst_vpc) != 0)
		return core_fail(err, "InvalidParameterValue",
		    "Network interface '%s' and the instance belong to different networks.",
		    eni->res.id);
	return 0;
}

static void
attach_do(struct core_model *m, struct core_eni *eni, const struct core_instance *inst,
    int device_index)
{
	STR_COPY(eni->instance_id, inst->res.id);
	core_new_id("eni-attach", eni->attachment_id);
	eni->device_index = device_index;
	eni->delete_on_termination = false;
	eni->attach_ms = time_now_ms();
	core_touch(m, &eni->res);
}

int
core_eni_attach(struct core_model *m, struct core_eni *eni, struct core_instance *inst,
    int device_index, struct core_error *err)
{
	struct core_eni *enis[CORE_INSTANCE_ENIS_MAX];
	size_t n = core_instance_enis(m, inst, enis);

	if (core_instance_is_gone(inst))
		return core_fail(err, "IncorrectInstanceState",
		    "The instance '%s' is not in a valid state for this operation.",
		    inst->res.id);
	if (attach_check(m, eni, core_find(m, CORE_SUBNET, inst->res.owner, inst->subnet_id),
	    inst->vpc_id, err))
		return -EINVAL;
	if (device_index < 0 || device_index >= CORE_INSTANCE_ENIS_MAX)
		return core_fail(err, "InvalidParameterValue",
		    "Value (%d) for parameter deviceIndex is invalid.", device_index);
	for (size_t i = 0; i < n; i++)
		if (enis[i]->device_index == device_index)
			return core_fail(err, "InvalidParameterValue",
			    "Instance '%s' already has an interface attached at device index "
			    "'%d'.", inst->res.id, device_index);
	if (n >= CORE_INSTANCE_ENIS_MAX)
		return core_fail(err, "AttachmentLimitExceeded",
		    "Interface count %zu exceeds the limit for %s", n + 1, inst->instance_type);
	if (core_commit_point(m, err))
		return -EINVAL;
	attach_do(m, eni, inst, device_index);
	return 0;
}

struct core_eni *
core_eni_by_attachment(const struct core_model *m, const char *owner,
    const char *attachment_id)
{
	CORE_FOREACH(m, CORE_ENI, r)
		if (strcmp(ENI(r)->attachment_id, attachment_id) == 0 &&
		    strcmp(r->owner, owner) == 0 && ENI(r)->instance_id[0])
			return ENI(r);
	return NULL;
}

static void
detach_do(struct core_model *m, struct core_eni *eni)
{
	eni->instance_id[0] = '\0';
	eni->attachment_id[0] = '\0';
	eni->device_index = 0;
	eni->delete_on_termination = false;
	eni->attach_ms = 0;
	eni->public_ip = 0;
	core_touch(m, &eni->res);
}

int
core_eni_detach(struct core_model *m, const char *owner, const char *attachment_id,
    bool force, struct core_error *err)
{
	struct core_eni *eni = core_eni_by_attachment(m, owner, attachment_id);

	(void)force;
	if (eni == NULL)
		return core_fail(err, "InvalidAttachmentID.NotFound",
		    "The attachment ID '%s' does not exist", attachment_id);
	if (eni->is_requester_managed)
		return core_fail(err, "OperationNotPermitted",
		    "You are not allowed to manage '%s' attachments.", eni->interface_type);
	if (eni->device_index == 0)
		return core_fail(err, "OperationNotPermitted",
		    "The network interface at device index 0 cannot be detached.");
	if (core_commit_point(m, err))
		return -EINVAL;
	detach_do(m, eni);
	return 0;
}

int
core_eni_assign_ips(struct core_model *m, struct core_eni *eni, const uint32_t *ips,
    size_t n, size_t count, bool allow_reassignment, struct core_error *err)
{
	struct core_subnet *sn = eni_subnet(m, eni);
	size_t n_new = count;
	struct ipmap map;

	if (core_eni_check_managed(eni, err))
		return -EINVAL;
	if (sn == NULL)
		return core_not_found(CORE_SUBNET, eni->subnet_id, err);
	if (eni->n_ips + n + count > CORE_ENI_IPS_MAX)
		return core_fail(err, "PrivateIpAddressLimitExceeded",
		    "Number of private addresses will exceed limit.");
	for (size_t i = 0; i < n; i++) {
		struct core_eni *holder;
		char s[16];

		if (ip_check_range(sn, ips[i], err))
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (ips[j] == ips[i])
				return core_fail(err, "InvalidParameterValue",
				    "The private IP address list contains duplicates");
		core_ip_format(ips[i], s);
		if ((holder = ip_holder(m, sn, ips[i])) == eni)
			return core_fail(err, "InvalidParameterValue",
			    "Address %s is already assigned to %s", s, eni->res.id);
		if (holder == NULL)
			n_new++;
		else if (!allow_reassignment || holder->ips[0] == ips[i] ||
		    holder->is_requester_managed)
			return ip_in_use(ips[i], err);
	}
	if (core_subnet_available(sn) < n_new)
		return core_fail(err, "InsufficientFreeAddressesInSubnet",
		    "There are not enough free addresses in subnet '%s' to satisfy the "
		    "requested number of addresses.", sn->res.id);
	if (core_commit_point(m, err))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct core_eni *holder = ip_holder(m, sn, ips[i]);

		if (holder) {
			for (size_t k = 1; k < holder->n_ips; k++)
				if (holder->ips[k] == ips[i]) {
					CORE_ERASE(holder->ips, holder->n_ips, k);
					break;
				}
			eips_drop(m, holder, ips[i]);
			used_adjust(m, holder, -1);
			core_touch(m, &holder->res);
		}
		eni->ips[eni->n_ips++] = ips[i];
		used_adjust(m, eni, 1);
	}
	subnet_map(m, sn, &map);
	for (size_t i = 0; i < count; i++)
		eni->ips[eni->n_ips++] = ipmap_take(&map);
	ipmap_fini(&map);
	used_adjust(m, eni, (int)count);
	core_touch(m, &eni->res);
	return 0;
}

int
core_eni_unassign_ips(struct core_model *m, struct core_eni *eni, const uint32_t *ips,
    size_t n, struct core_error *err)
{
	if (core_eni_check_managed(eni, err))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		if (eni->n_ips && ips[i] == eni->ips[0])
			return core_fail(err, "InvalidParameterValue",
			    "The primary IP address of an interface cannot be unassigned.");
		for (size_t k = 1; k < eni->n_ips; k++)
			found |= eni->ips[k] == ips[i];
		if (!found)
			return core_fail(err, "InvalidParameterValue",
			    "Some of the specified addresses are not assigned to interface %s",
			    eni->res.id);
	}
	if (core_commit_point(m, err))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 1; k < eni->n_ips; k++)
			if (eni->ips[k] == ips[i]) {
				CORE_ERASE(eni->ips, eni->n_ips, k);
				eips_drop(m, eni, ips[i]);
				used_adjust(m, eni, -1);
				break;
			}
	core_touch(m, &eni->res);
	return 0;
}

struct core_eip *
core_eip_for(const struct core_model *m, const struct core_eni *eni, uint32_t ip)
{
	CORE_FOREACH(m, CORE_EIP, r)
		if (EIP(r)->private_ip == ip && strcmp(EIP(r)->eni_id, eni->res.id) == 0 &&
		    strcmp(r->owner, eni->res.owner) == 0)
			return EIP(r);
	return NULL;
}

uint32_t
core_eni_public_ip(const struct core_model *m, const struct core_eni *eni)
{
	struct core_eip *eip = eni->n_ips ? core_eip_for(m, eni, eni->ips[0]) : NULL;

	return eip ? eip->public_ip : eni->public_ip;
}

/* The pool: its network and broadcast addresses and every public address
 * in use (any account) marked. */
static void
pool_map(const struct core_model *m, struct ipmap *mp)
{
	ipmap_init(mp, m->cfg->public_pool);
	if (mp->size > 2) {
		ipmap_set(mp, mp->base);
		ipmap_set(mp, mp->base + (uint32_t)(mp->size - 1));
	}
	CORE_FOREACH(m, CORE_EIP, r)
		ipmap_set(mp, EIP(r)->public_ip);
	CORE_FOREACH(m, CORE_ENI, r)
		if (ENI(r)->public_ip)
			ipmap_set(mp, ENI(r)->public_ip);
}

size_t
core_pool_free(const struct core_model *m)
{
	struct ipmap map;
	size_t n;

	pool_map(m, &map);
	n = ipmap_free_count(&map);
	ipmap_fini(&map);
	return n;
}

int
core_pool_take(const struct core_model *m, uint32_t *ip, struct core_error *err)
{
	struct ipmap map;

	pool_map(m, &map);
	*ip = ipmap_take(&map);
	ipmap_fini(&map);
	if (*ip == 0) {
		core_fail(err, "InsufficientAddressCapacity",
		    "Not enough available addresses to satisfy your minimum request.");
		return -ENOSPC;
	}
	return 0;
}

int
core_eip_allocate(struct core_model *m, const char *owner, struct core_eip **out,
    struct core_error *err)
{
	uint32_t ip;

	if (core_count_owned(m, CORE_EIP, owner) >= m->cfg->eips_per_region)
		return core_fail(err, "AddressLimitExceeded",
		    "The maximum number of addresses has been reached.");
	if (core_pool_take(m, &ip, err))
		return -EINVAL;
	if (core_commit_point(m, err))
		return -EINVAL;
	*out = core_res_new(m, CORE_EIP, sizeof(**out), owner, NULL);
	(*out)->public_ip = ip;
	return 0;
}

int
core_eip_release(struct core_model *m, struct core_eip *eip, struct core_error *err)
{
	if (eip->assoc_id[0]) {
		char s[16];

		core_ip_format(eip->public_ip, s);
		return core_fail(err, "InvalidIPAddress.InUse", "Address %s is in use.", s);
	}
	if (core_commit_point(m, err))
		return -EINVAL;
	core_remove(m, &eip->res);
	return 0;
}

static bool
vpc_has_igw(const struct core_model *m, const char *owner, const char *vpc_id)
{
	CORE_FOREACH(m, CORE_IGW, r)
		if (strcmp(((struct core_igw *)r)->vpc_id, vpc_id) == 0 &&
		    strcmp(r->owner, owner) == 0)
			return true;
	return false;
}

int
core_eip_associate(struct core_model *m, struct core_eip *eip, struct core_eni *eni,
    uint32_t private_ip, bool allow_reassociation, struct core_error *err)
{
	struct core_eip *other;
	bool found = false;
	char s[16];

	/* Managed interfaces are refused by the API, not here: a NAT
	 * gateway's own Elastic IP is associated through this function. */
	if (private_ip == 0)
		private_ip = eni->ips[0];
	for (size_t i = 0; i < eni->n_ips; i++)
		found |= eni->ips[i] == private_ip;
	core_ip_format(private_ip, s);
	if (!found)
		return core_fail(err, "InvalidParameterValue",
		    "The private IP address %s is not assigned to network interface %s", s,
		    eni->res.id);
	if (eip->assoc_id[0] && !allow_reassociation &&
	    !(strcmp(eip->eni_id, eni->res.id) == 0 && eip->private_ip == private_ip))
		return core_fail(err, "Resource.AlreadyAssociated",
		    "resource %s is already associated with associate-id %s", eip->res.id,
		    eip->assoc_id);
	other = core_eip_for(m, eni, private_ip);
	if (other && other != eip && !allow_reassociation)
		return core_fail(err, "Resource.AlreadyAssociated",
		    "resource %s is already associated with associate-id %s", other->res.id,
		    other->assoc_id);
	if (!vpc_has_igw(m, eni->res.owner, eni->vpc_id))
		return core_fail(err, "Gateway.NotAttached",
		    "Network %s is not attached to any internet gateway", eni->vpc_id);
	if (core_commit_point(m, err))
		return -EINVAL;
	if (other && other != eip)
		eip_clear(m, other);
	/* The auto-assigned address goes back to the pool for good. */
	if (private_ip == eni->ips[0] && eni->public_ip) {
		eni->public_ip = 0;
		core_touch(m, &eni->res);
	}
	core_new_id("eipassoc", eip->assoc_id);
	STR_COPY(eip->eni_id, eni->res.id);
	eip->private_ip = private_ip;
	core_touch(m, &eip->res);
	return 0;
}

struct core_eip *
core_eip_by_assoc(const struct core_model *m, const char *owner, const char *assoc_id)
{
	CORE_FOREACH(m, CORE_EIP, r)
		if (EIP(r)->assoc_id[0] && strcmp(EIP(r)->assoc_id, assoc_id) == 0 &&
		    strcmp(r->owner, owner) == 0)
			return EIP(r);
	return NULL;
}

struct core_eip *
core_eip_by_ip(const struct core_model *m, const char *owner, uint32_t public_ip)
{
	CORE_FOREACH(m, CORE_EIP, r)
		if (EIP(r)->public_ip == public_ip && strcmp(r->owner, owner) == 0)
			return EIP(r);
	return NULL;
}

int
core_eip_disassociate(struct core_model *m, const char *owner, const char *assoc_id,
    struct core_error *err)
{
	struct core_eip *eip = core_eip_by_assoc(m, owner, assoc_id);
	struct core_eni *eni;
	struct core_instance *inst;
	uint32_t ip, private_ip;

	if (eip == NULL)
		return core_fail(err, "InvalidAssociationID.NotFound",
		    "The association ID '%s' does not exist", assoc_id);
	eni = core_find(m, CORE_ENI, owner, eip->eni_id);
	if ((eni && core_eni_check_managed(eni, err)) || core_commit_point(m, err))
		return -EINVAL;
	private_ip = eip->private_ip;
	eip_clear(m, eip);
	/*
	 * As on AWS, an instance that got a public address at launch gets a
	 * new one when the Elastic IP leaves its primary address, unless it
	 * has more than one interface.
	 */
	if (eni == NULL || eni->device_index != 0 || eni->n_ips == 0 ||
	    private_ip != eni->ips[0])
		return 0;
	inst = core_find(m, CORE_INSTANCE, owner, eni->instance_id);
	if (inst && inst->has_auto_public_ip && strcmp(inst->primary_eni, eni->res.id) == 0 &&
	    (inst->state == CORE_INSTANCE_PENDING || inst->state == CORE_INSTANCE_RUNNING)) {
		struct core_eni *enis[CORE_INSTANCE_ENIS_MAX];

		if (core_instance_enis(m, inst, enis) == 1 &&
		    core_eip_for(m, eni, eni->ips[0]) == NULL && core_pool_take(m, &ip, err) == 0) {
			eni->public_ip = ip;
			core_touch(m, &eni->res);
		}
	}
	return 0;
}
