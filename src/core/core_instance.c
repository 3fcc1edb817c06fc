/*
 * Instances and their state machine (see core.h).  An instance is a
 * record of what was launched (image, type, user data) plus the network
 * interfaces attached to it; the data plane turns it into a namespace.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

static const struct {
	const char *name;
	int code;
} states[] = {
	[CORE_INSTANCE_PENDING] = { "pending", 0 },
	[CORE_INSTANCE_RUNNING] = { "running", 16 },
	[CORE_INSTANCE_STOPPING] = { "stopping", 64 },
	[CORE_INSTANCE_STOPPED] = { "stopped", 80 },
	[CORE_INSTANCE_SHUTTING_DOWN] = { "shutting-down", 32 },
	[CORE_INSTANCE_TERMINATED] = { "terminated", 48 },
};

const char *
core_instance_state_name(enum core_instance_state st)
{
	return states[st].name;
}

int
core_instance_state_code(enum core_instance_state st)
{
	return states[st].code;
}

bool
core_instance_is_gone(const struct core_instance *inst)
{
	return inst->state == CORE_INSTANCE_SHUTTING_DOWN ||
	    inst->state == CORE_INSTANCE_TERMINATED;
}

static void
set_reason(struct core_instance *inst, const char *reason)
{
	free(inst->state_reason);
	inst->state_reason = reason ? xstrdup(reason) : NULL;
}

/* Entering terminated: the interfaces go (or are detached), and with
 * them every public address. */
static void
on_terminated(struct core_model *m, struct core_instance *inst)
{
	struct core_eni *enis[CORE_INSTANCE_ENIS_MAX];
	size_t n = core_instance_enis(m, inst, enis);

	for (size_t i = 0; i < n; i++) {
		struct core_eni *eni = enis[i];

		CORE_FOREACH(m, CORE_EIP, r) {
			struct core_eip *eip = (struct core_eip *)r;

			if (strcmp(eip->eni_id, eni->res.id) == 0 &&
			    strcmp(r->owner, eni->res.owner) == 0) {
				eip->assoc_id[0] = '\0';
				eip->eni_id[0] = '\0';
				eip->private_ip = 0;
				core_touch(m, r);
			}
		}
		if (eni->delete_on_termination) {
			core_remove(m, &eni->res);
			continue;
		}
		eni->instance_id[0] = '\0';
		eni->attachment_id[0] = '\0';
		eni->device_index = 0;
		eni->attach_ms = 0;
		eni->public_ip = 0;
		core_touch(m, &eni->res);
	}
}

static void
release_public_ips(struct core_model *m, struct core_instance *inst)
{
	struct core_eni *enis[CORE_INSTANCE_ENIS_MAX];
	size_t n = core_instance_enis(m, inst, enis);

	for (size_t i = 0; i < n; i++)
		if (enis[i]->public_ip) {
			enis[i]->public_ip = 0;
			core_touch(m, &enis[i]->res);
		}
}

int
core_instance_set_state(struct core_model *m, struct core_instance *inst,
    enum core_instance_state st)
{
	if (inst->state == CORE_INSTANCE_TERMINATED)
		return st == CORE_INSTANCE_TERMINATED ? 0 : -EINVAL;
	if (inst->state == st)
		return 0;
	if (st == CORE_INSTANCE_STOPPED)
		release_public_ips(m, inst);
	if (st == CORE_INSTANCE_TERMINATED)
		on_terminated(m, inst);
	if (st == CORE_INSTANCE_RUNNING)
		set_reason(inst, NULL);
	inst->state = st;
	inst->state_ms = time_now_ms();
	core_touch(m, &inst->res);
	return 0;
}

/* Enters a transitional state; without a data plane, completes it. */
static void
transition(struct core_model *m, struct core_instance *inst, enum core_instance_state st,
    enum core_instance_state done)
{
	core_instance_set_state(m, inst, st);
	if (m->is_dataplane_none)
		core_instance_set_state(m, inst, done);
}

static size_t
active_instances(const struct core_model *m, const char *owner)
{
	size_t n = 0;

	CORE_FOREACH(m, CORE_INSTANCE, r)
		if (strcmp(r->owner, owner) == 0 &&
		    ((struct core_instance *)r)->state != CORE_INSTANCE_TERMINATED)
			n++;
	return n;
}

static const struct core_subnet *
nic_subnet(const struct core_model *m, const struct core_nic_spec *nic)
{
	if (nic->eni)
		return core_find(m, CORE_SUBNET, nic->eni->res.owner, nic->eni->subnet_id);
	return nic->create.subnet;
}

/* Addresses each launched instance takes from 'sn'. */
static size_t
need_in(const struct core_run_spec *spec, const struct core_subnet *sn)
{
	size_t n = 0;

	for (size_t i = 0; i < spec->n_nics; i++)
		if (spec->nics[i].eni == NULL && spec->nics[i].create.subnet == sn)
			n += 1 + spec->nics[i].create.n_secondary +
			    spec->nics[i].create.n_secondary_ips;
	return n;
}

int
core_instances_run(struct core_model *m, const char *owner, const struct core_run_spec *spec,
    struct core_instance **out, size_t *n_out, struct core_error *err)
{
	const struct core_nic_spec *primary = NULL;
	const struct core_subnet *psn;
	size_t count = spec->max_count, active = active_instances(m, owner);
	char reservation[CORE_ID_MAX];

	if (spec->min_count < 1 || spec->max_count < spec->min_count)
		return core_fail(err, "InvalidParameterValue",
		    "Invalid value '%u' for minCount. Must be between 1 and maxCount (%u).",
		    spec->min_count, spec->max_count);
	for (size_t i = 0; i < spec->n_nics; i++) {
		const struct core_nic_spec *nic = &spec->nics[i];

		if (nic->device_index == 0)
			primary = nic;
		for (size_t j = 0; j < i; j++)
			if (spec->nics[j].device_index == nic->device_index)
				return core_fail(err, "InvalidParameterValue",
				    "Each network interface requires a unique device index.");
		if (nic->device_index < 0 || nic->device_index >= CORE_INSTANCE_ENIS_MAX)
			return core_fail(err, "InvalidParameterValue",
			    "Value (%d) for parameter deviceIndex is invalid.", nic->device_index);
	}
	if (primary == NULL)
		return core_fail(err, "InvalidParameterValue",
		    "When specifying network interfaces, you must include a device at index 0.");
	psn = nic_subnet(m, primary);
	if (psn == NULL)
		return core_not_found(CORE_SUBNET, primary->eni ? primary->eni->subnet_id : "", err);
	for (size_t i = 0; i < spec->n_nics; i++) {
		const struct core_nic_spec *nic = &spec->nics[i];
		const struct core_subnet *sn = nic_subnet(m, nic);

		if (nic->eni) {
			if (spec->min_count > 1 || spec->max_count > 1)
				return core_fail(err, "InvalidParameterCombination",
				    "Network interface %s can be attached to one instance only; "
				    "launch a single instance.", nic->eni->res.id);
			if (nic->eni->instance_id[0])
				return core_fail(err, "InvalidNetworkInterface.InUse",
				    "Interface: [%s] in use.", nic->eni->res.id);
			if (core_eni_check_managed(nic->eni, err))
				return -EINVAL;
		} else {
			if ((nic->create.primary_ip || nic->create.n_secondary_ips) &&
			    (spec->min_count > 1 || spec->max_count > 1))
				return core_fail(err, "InvalidParameterCombination",
				    "A specific private IP address can be used by one instance "
				    "only; launch a single instance.");
			if (core_eni_check(m, owner, &nic->create, err))
				return -EINVAL;
		}
		if (sn == NULL || strcmp(sn->az, psn->az) != 0)
			return core_fail(err, "InvalidParameterCombination",
			    "You may not attach a network interface to an instance if they "
			    "are not in the same availability zone");
		if (strcmp(sn->vpc_id, psn->vpc_id) != 0)
			return core_fail(err, "InvalidParameterValue",
			    "Network interfaces of one instance must belong to one network.");
	}
	/* As many as capacity allows, at least min_count. */
	if (active >= m->cfg->instances_per_region ||
	    m->cfg->instances_per_region - active < spec->min_count)
		return core_fail(err, "InstanceLimitExceeded",
		    "You have requested more instances (%u) than your current instance limit "
		    "of %u allows for the specified instance type. Please visit "
		    "http://aws.amazon.com/contact-us/ec2-request to request an adjustment "
		    "to this limit.", spec->min_count, m->cfg->instances_per_region);
	if (count > m->cfg->instances_per_region - active)
		count = m->cfg->instances_per_region - active;
	for (size_t i = 0; i < spec->n_nics; i++) {
		const struct core_subnet *sn = nic_subnet(m, &spec->nics[i]);
		size_t need = need_in(spec, sn);
		uint64_t fit = need ? core_subnet_available(sn) / need : count;

		if (fit < spec->min_count)
			return core_fail(err, "InsufficientFreeAddressesInSubnet",
			    "There are not enough free addresses in subnet '%s' to satisfy the "
			    "requested number of instances.", sn->res.id);
		if (fit < count)
			count = (size_t)fit;
	}
	if (primary->is_public_ip) {
		size_t fit = core_pool_free(m);

		if (fit < spec->min_count)
			return core_fail(err, "InsufficientAddressCapacity",
			    "Not enough available addresses to satisfy your minimum request.");
		if (fit < count)
			count = fit;
	}
	if (core_commit_point(m, err))
		return -EINVAL;

	core_new_id("r", reservation);
	for (size_t k = 0; k < count; k++) {
		struct core_instance *inst = core_res_new_in(m, CORE_INSTANCE, sizeof(*inst),
		    owner, psn->vpc_id);

		STR_COPY(inst->reservation_id, reservation);
		STR_COPY(inst->subnet_id, psn->res.id);
		STR_COPY(inst->image_id, spec->image_id);
		STR_COPY(inst->instance_type, spec->instance_type);
		if (spec->key_name)
			STR_COPY(inst->key_name, spec->key_name);
		if (spec->user_data)
			inst->user_data = xstrdup(spec->user_data);
		if (spec->client_token)
			STR_COPY(inst->client_token, spec->client_token);
		inst->launch_ms = inst->state_ms = inst->res.created_ms;
		inst->launch_index = (int)k;
		inst->boot = 1;
		inst->is_disable_api_termination = spec->is_disable_api_termination;
		inst->has_auto_public_ip = primary->is_public_ip;
		inst->state = CORE_INSTANCE_PENDING;
		for (size_t i = 0; i < spec->n_nics; i++) {
			const struct core_nic_spec *nic = &spec->nics[i];
			struct core_eni *eni = nic->eni;

			if (eni == NULL && core_eni_create(m, owner, &nic->create, &eni, err))
				return -EINVAL;  /* not reached: checked above */
			STR_COPY(eni->instance_id, inst->res.id);
			core_new_id("eni-attach", eni->attachment_id);
			eni->device_index = nic->device_index;
			eni->delete_on_termination = nic->delete_on_termination;
			eni->attach_ms = inst->launch_ms;
			if (nic->device_index == 0) {
				STR_COPY(inst->primary_eni, eni->res.id);
				if (nic->is_public_ip && core_pool_take(m, &eni->public_ip, err))
					return -EINVAL;  /* not reached: checked above */
			}
			core_touch(m, &eni->res);
		}
		if (m->is_dataplane_none)
			core_instance_set_state(m, inst, CORE_INSTANCE_RUNNING);
		out[k] = inst;
	}
	*n_out = count;
	return 0;
}

int
core_instance_terminate(struct core_model *m, struct core_instance *inst,
    enum core_instance_state *prev, struct core_error *err)
{
	*prev = inst->state;
	if (inst->is_disable_api_termination && !core_instance_is_gone(inst))
		return core_fail(err, "OperationNotPermitted",
		    "The instance '%s' may not be terminated. Modify its "
		    "'disableApiTermination' instance attribute and try again.", inst->res.id);
	if (core_commit_point(m, err))
		return -EINVAL;
	if (core_instance_is_gone(inst))
		return 0;
	set_reason(inst, "Client.UserInitiatedShutdown");
	transition(m, inst, CORE_INSTANCE_SHUTTING_DOWN, CORE_INSTANCE_TERMINATED);
	return 0;
}

int
core_instance_stop(struct core_model *m, struct core_instance *inst, bool force,
    enum core_instance_state *prev, struct core_error *err)
{
	(void)force;
	*prev = inst->state;
	if (core_instance_is_gone(inst))
		return core_fail(err, "IncorrectInstanceState",
		    "This instance '%s' is not in a state from which it can be stopped.",
		    inst->res.id);
	if (core_commit_point(m, err))
		return -EINVAL;
	if (inst->state == CORE_INSTANCE_STOPPED || inst->state == CORE_INSTANCE_STOPPING)
		return 0;
	set_reason(inst, "Client.UserInitiatedShutdown");
	transition(m, inst, CORE_INSTANCE_STOPPING, CORE_INSTANCE_STOPPED);
	return 0;
}

int
core_instance_start(struct core_model *m, struct core_instance *inst,
    enum core_instance_state *prev, struct core_error *err)
{
	struct core_eni *eni = core_find(m, CORE_ENI, inst->res.owner, inst->primary_eni);
	bool wants_ip;

	*prev = inst->state;
	if (core_instance_is_gone(inst) || inst->state == CORE_INSTANCE_STOPPING)
		return core_fail(err, "IncorrectInstanceState",
		    "The instance '%s' is not in a state from which it can be started.",
		    inst->res.id);
	wants_ip = inst->state == CORE_INSTANCE_STOPPED && inst->has_auto_public_ip && eni &&
	    eni->instance_id[0] && strcmp(eni->instance_id, inst->res.id) == 0 &&
	    !eni->public_ip && core_eip_for(m, eni, eni->ips[0]) == NULL;
	if (wants_ip && core_pool_free(m) == 0)
		return core_fail(err, "InsufficientAddressCapacity",
		    "Not enough available addresses to satisfy your minimum request.");
	if (core_commit_point(m, err))
		return -EINVAL;
	if (inst->state != CORE_INSTANCE_STOPPED)
		return 0;
	if (wants_ip && core_pool_take(m, &eni->public_ip, err) == 0)
		core_touch(m, &eni->res);
	inst->boot++;
	transition(m, inst, CORE_INSTANCE_PENDING, CORE_INSTANCE_RUNNING);
	return 0;
}

int
core_instance_reboot(struct core_model *m, struct core_instance *inst,
    struct core_error *err)
{
	if (core_instance_is_gone(inst))
		return core_fail(err, "IncorrectInstanceState",
		    "The instance '%s' is not in a valid state for this operation.",
		    inst->res.id);
	return core_commit_point(m, err);
}

const struct core_image core_images[] = {
	{ "ami-00000000", "vpcd-linux", "vpcd's built-in Linux image", false },
	{ "ami-00000001", "vpcd-nat",
	    "vpcd's NAT instance image: forwards and masquerades traffic for other "
	    "addresses out of eth0 (disable the source/destination check)", true },
};
const size_t core_n_images = ARRAY_SIZE(core_images);

const struct core_image *
core_image_find(const char *id)
{
	for (size_t i = 0; i < core_n_images; i++)
		if (strcmp(core_images[i].id, id) == 0)
			return &core_images[i];
	return NULL;
}
