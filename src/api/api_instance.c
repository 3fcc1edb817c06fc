/*
 * Instances: RunInstances and the calls around an instance's life, plus
 * DescribeImages (one built-in image) and GetConsoleOutput.
 *
 * States in answers: RunInstances, StopInstances, StartInstances and
 * TerminateInstances answer the transitional state the call entered
 * (pending, stopping, shutting-down), as AWS does, even when the core
 * has already completed the transition (no data plane); Describe calls
 * show the model's state.
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_int.h"

#define INST(res) ((const struct core_instance *)(res))

#define IMAGE_OWNER "000000000000"
#define USER_DATA_MAX 16384
#define CONSOLE_MAX 65536

static struct ec2_instance_state *
state_out(struct api_ctx *ctx, enum core_instance_state st)
{
	struct ec2_instance_state *s = arena_alloc(ctx->arena, sizeof(*s));

	s->code = EC2_INT(core_instance_state_code(st));
	s->name = core_instance_state_name(st);
	return s;
}

static struct ec2_instance_network_interface_association *
inst_assoc_out(struct api_ctx *ctx, const struct core_eni *eni, uint32_t ip)
{
	struct ec2_instance_network_interface_association *a;
	const struct core_eip *eip = core_eip_for(ctx->model, eni, ip);
	uint32_t pub = eip ? eip->public_ip : (ip == eni->ips[0] ? eni->public_ip : 0);

	if (pub == 0)
		return NULL;
	a = arena_alloc(ctx->arena, sizeof(*a));
	a->ip_owner_id = eip ? eip->res.owner : "amazon";
	a->public_ip = api_ip_str(ctx, pub);
	a->public_dns_name = api_public_dns(ctx, pub);
	return a;
}

static void
inst_eni_out(struct api_ctx *ctx, const struct core_eni *eni,
    struct ec2_instance_network_interface *out)
{
	struct ec2_instance_network_interface_attachment *a = arena_alloc(ctx->arena, sizeof(*a));

	out->network_interface_id = eni->res.id;
	out->subnet_id = eni->subnet_id;
	out->vpc_id = eni->vpc_id;
	out->description = eni->description;
	out->owner_id = eni->res.owner;
	out->mac_address = eni->mac;
	out->interface_type = eni->interface_type;
	out->private_ip_address = api_ip_str(ctx, eni->ips[0]);
	out->private_dns_name = api_private_dns(ctx, eni->ips[0]);
	out->source_dest_check = EC2_BOOL(eni->source_dest_check);
	out->status = "in-use";
	out->groups = api_groups_out(ctx, eni, &out->n_groups);
	out->association = inst_assoc_out(ctx, eni, eni->ips[0]);
	API_LIST(ctx, out->ipv6_addresses, 0);
	API_LIST(ctx, out->private_ip_addresses, eni->n_ips);
	for (size_t i = 0; i < eni->n_ips; i++) {
		struct ec2_instance_private_ip_address *p = &out->private_ip_addresses[i];

		p->private_ip_address = api_ip_str(ctx, eni->ips[i]);
		p->private_dns_name = api_private_dns(ctx, eni->ips[i]);
		p->primary = EC2_BOOL(i == 0);
		p->association = inst_assoc_out(ctx, eni, eni->ips[i]);
	}
	out->n_private_ip_addresses = eni->n_ips;
	a->attachment_id = eni->attachment_id;
	a->attach_time = EC2_INT(eni->attach_ms);
	a->delete_on_termination = EC2_BOOL(eni->delete_on_termination);
	a->device_index = EC2_INT(eni->device_index);
	a->network_card_index = EC2_INT(0);
	a->status = "attached";
	out->attachment = a;
}

static const char *
transition_reason(struct api_ctx *ctx, const struct core_instance *inst)
{
	char iso[32];

	if (inst->state_reason == NULL)
		return "";
	time_format_iso(inst->state_ms, iso);
	/* "2024-01-02T03:04:05.000Z" -> "User initiated (2024-01-02 03:04:05 GMT)" */
	iso[10] = ' ';
	iso[19] = '\0';
	return arena_printf(ctx->arena, "User initiated (%s GMT)", iso);
}

/* 'st' overrides the model's state (the answers of state-changing calls). */
static void
instance_out(struct api_ctx *ctx, const struct core_instance *inst,
    enum core_instance_state st, struct ec2_instance *out)
{
	struct core_eni *enis[CORE_INSTANCE_ENIS_MAX];
	size_t n = core_instance_enis(ctx->model, inst, enis);
	const struct core_eni *primary = NULL;
	const struct core_subnet *sn = core_find(ctx->model, CORE_SUBNET, NULL, inst->subnet_id);
	const struct core_vpc *vpc = core_find(ctx->model, CORE_VPC, NULL, inst->vpc_id);

	for (size_t i = 0; i < n; i++)
		if (strcmp(enis[i]->res.id, inst->primary_eni) == 0)
			primary = enis[i];
	out->instance_id = inst->res.id;
	out->image_id = inst->image_id;
	out->instance_type = inst->instance_type;
	out->key_name = inst->key_name[0] ? inst->key_name : NULL;
	out->ami_launch_index = EC2_INT(inst->launch_index);
	out->launch_time = EC2_INT(inst->launch_ms);
	out->monitoring = arena_alloc(ctx->arena, sizeof(*out->monitoring));
	out->monitoring->state = "disabled";
	out->placement = arena_alloc(ctx->arena, sizeof(*out->placement));
	out->placement->availability_zone = sn ? sn->az : NULL;
	out->placement->group_name = "";
	out->placement->tenancy = vpc && vpc->is_dedicated ? "dedicated" : "default";
	out->state = state_out(ctx, st);
	out->state_transition_reason = transition_reason(ctx, inst);
	if (inst->state_reason) {
		out->state_reason = arena_alloc(ctx->arena, sizeof(*out->state_reason));
		out->state_reason->code = inst->state_reason;
		out->state_reason->message = arena_printf(ctx->arena,
		    "%s: User initiated shutdown", inst->state_reason);
	}
	out->architecture = "x86_64";
	out->hypervisor = "xen";
	out->virtualization_type = "hvm";
	out->root_device_type = "ebs";
	out->root_device_name = "/dev/xvda";
	out->platform_details = "Linux/UNIX";
	out->usage_operation = "RunInstances";
	out->usage_operation_update_time = EC2_INT(inst->launch_ms);
	out->ebs_optimized = EC2_BOOL(false);
	out->ena_support = EC2_BOOL(true);
	out->client_token = inst->client_token;
	out->private_dns_name = "";
	out->public_dns_name = "";
	API_LIST(ctx, out->block_device_mappings, 0);
	API_LIST(ctx, out->product_codes, 0);
	out->tags = api_tags_out(ctx, inst->res.tags, inst->res.n_tags, &out->n_tags);
	API_LIST(ctx, out->network_interfaces, n);
	API_LIST(ctx, out->security_groups, 0);
	if (inst->state != CORE_INSTANCE_TERMINATED) {
		out->subnet_id = inst->subnet_id;
		out->vpc_id = inst->vpc_id;
	}
	for (size_t i = 0; i < n; i++)
		inst_eni_out(ctx, enis[i], &out->network_interfaces[out->n_network_interfaces++]);
	if (primary) {
		uint32_t pub = core_eni_public_ip(ctx->model, primary);

		out->private_ip_address = api_ip_str(ctx, primary->ips[0]);
		out->private_dns_name = api_private_dns(ctx, primary->ips[0]);
		out->source_dest_check = EC2_BOOL(primary->source_dest_check);
		out->security_groups = api_groups_out(ctx, primary, &out->n_security_groups);
		if (pub) {
			out->public_ip_address = api_ip_str(ctx, pub);
			out->public_dns_name = api_public_dns(ctx, pub);
		}
	}
	out->cpu_options = arena_alloc(ctx->arena, sizeof(*out->cpu_options));
	out->cpu_options->core_count = EC2_INT(1);
	out->cpu_options->threads_per_core = EC2_INT(1);
}

/* The default VPC's default subnet (in zone 'az' if given). */
static struct core_subnet *
default_subnet(struct api_ctx *ctx, const char *az)
{
	struct core_vpc *vpc = core_vpc_default(ctx->model, ctx->owner);

	if (vpc == NULL) {
		api_fail(ctx, "VPCIdNotSpecified", "No default VPC for this user");
		return NULL;
	}
	CORE_FOREACH(ctx->model, CORE_SUBNET, r) {
		struct core_subnet *sn = (struct core_subnet *)r;

		if (strcmp(r->owner, ctx->owner) == 0 && strcmp(sn->vpc_id, vpc->res.id) == 0 &&
		    sn->is_default_for_az && (az == NULL || strcmp(sn->az, az) == 0))
			return sn;
	}
	api_fail(ctx, "MissingInput",
	    "No subnets found for the default VPC '%s'. Please specify a subnet.", vpc->res.id);
	return NULL;
}

/* Group ids for an interface in 'sn': the ids given plus the names
 * resolved in the subnet's VPC. */
static int
resolve_groups(struct api_ctx *ctx, const struct core_subnet *sn, const char *const *ids,
    size_t n_ids, const char *const *names, size_t n_names, const char ***out, size_t *n)
{
	const char **g = arena_array(ctx->arena, n_ids + n_names + 1, sizeof(*g));

	*n = 0;
	for (size_t i = 0; i < n_ids; i++)
		g[(*n)++] = ids[i];
	for (size_t i = 0; i < n_names; i++) {
		struct core_sg *sg = core_sg_by_name(ctx->model, ctx->owner, sn->vpc_id, names[i]);

		if (sg == NULL)
			return api_fail(ctx, "InvalidGroup.NotFound",
			    "The security group '%s' does not exist in VPC '%s'", names[i],
			    sn->vpc_id);
		g[(*n)++] = sg->res.id;
	}
	*out = g;
	return 0;
}

static int
check_user_data(struct api_ctx *ctx, const char *s)
{
	struct buf b;
	int r;

	buf_init(&b);
	r = base64_decode(s, &b);
	if (r == 0 && b.len > USER_DATA_MAX)
		r = api_fail(ctx, "InvalidParameterValue", "User data is limited to %d bytes",
		    USER_DATA_MAX);
	else if (r)
		r = api_fail(ctx, "InvalidParameterValue", "Invalid BASE64 encoding of user data.");
	buf_fini(&b);
	return r;
}

static bool
instance_type_ok(const char *t)
{
	const char *dot = strchr(t, '.');

	if (dot == NULL || dot == t || dot[1] == '\0' || strlen(t) >= 32)
		return false;
	for (const char *p = t; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		    *p == '-'))
			return false;
	return true;
}

static int
parse_ip_list(struct api_ctx *ctx, const struct ec2_private_ip_address_specification *p,
    size_t n, struct core_eni_spec *spec)
{
	uint32_t *sec = arena_array(ctx->arena, n + 1, sizeof(*sec));

	for (size_t i = 0; i < n; i++) {
		uint32_t ip;

		if (p[i].private_ip_address == NULL ||
		    api_parse_ip(ctx, p[i].private_ip_address, "PrivateIpAddresses", &ip))
			return p[i].private_ip_address ? -EINVAL :
			    api_fail(ctx, "MissingParameter",
			    "The request must contain the parameter PrivateIpAddress");
		if (p[i].primary.set && p[i].primary.v) {
			if (spec->primary_ip && spec->primary_ip != ip)
				return api_fail(ctx, "InvalidParameterValue",
				    "Only one primary private IP address can be specified");
			spec->primary_ip = ip;
		} else if (ip != spec->primary_ip) {
			sec[spec->n_secondary_ips++] = ip;
		}
	}
	spec->secondary_ips = sec;
	return 0;
}

/* Turns RunInstances' network parameters into interface specs. */
static int
run_nics(struct api_ctx *ctx, const struct ec2_run_instances_request *in, const char *az,
    struct core_run_spec *spec)
{
	struct core_nic_spec *nics;
	struct core_subnet *sn;
	size_t n = in->n_network_interfaces;

	if (n == 0) {
		struct core_nic_spec *nic;

		nics = arena_array(ctx->arena, 1, sizeof(*nics));
		nic = &nics[0];
		if (in->subnet_id)
			sn = api_lookup(ctx, CORE_SUBNET, in->subnet_id);
		else
			sn = default_subnet(ctx, az);
		if (sn == NULL)
			return -EINVAL;
		nic->create.subnet = sn;
		nic->delete_on_termination = true;
		nic->is_public_ip = sn->map_public_ip;
		if (resolve_groups(ctx, sn, in->security_group_ids, in->n_security_group_ids,
		    in->security_groups, in->n_security_groups,
		    (const char ***)&nic->create.groups, &nic->create.n_groups))
			return -EINVAL;
		if (in->private_ip_address && api_parse_ip(ctx, in->private_ip_address,
		    "PrivateIpAddress", &nic->create.primary_ip))
			return -EINVAL;
		spec->nics = nics;
		spec->n_nics = 1;
		return 0;
	}
	if (in->subnet_id)
		return api_fail(ctx, "InvalidParameterCombination",
		    "Network interfaces and an instance-level subnet ID may not be specified on "
		    "the same request");
	if (in->n_security_group_ids || in->n_security_groups)
		return api_fail(ctx, "InvalidParameterCombination",
		    "Network interfaces and an instance-level security groups may not be "
		    "specified on the same request");
	if (in->private_ip_address)
		return api_fail(ctx, "InvalidParameterCombination",
		    "Network interfaces and an instance-level private IP address should not be "
		    "specified on the same request");
	nics = arena_array(ctx->arena, n, sizeof(*nics));
	for (size_t i = 0; i < n; i++) {
		const struct ec2_instance_network_interface_specification *ni =
		    &in->network_interfaces[i];
		struct core_nic_spec *nic = &nics[i];

		if (!ni->device_index.set)
			return api_fail(ctx, "InvalidParameterValue",
			    "Each network interface requires a device index.");
		if ((ni->ipv6_address_count.set && ni->ipv6_address_count.v) ||
		    ni->n_ipv6_addresses || ni->n_ipv4_prefixes || ni->ipv4_prefix_count.set ||
		    ni->n_ipv6_prefixes || ni->ipv6_prefix_count.set ||
		    (ni->interface_type && strcmp(ni->interface_type, "interface") != 0) ||
		    (ni->network_card_index.set && ni->network_card_index.v))
			return api_fail(ctx, "UnsupportedOperation",
			    "vpcd supports IPv4 interfaces of type 'interface' only");
		nic->device_index = (int)ni->device_index.v;
		if (ni->associate_public_ip_address.set && (n > 1 || nic->device_index != 0))
			return api_fail(ctx, "InvalidParameterCombination",
			    "The associatePublicIPAddress parameter cannot be specified when "
			    "launching with multiple network interfaces.");
		if (ni->network_interface_id) {
			if (ni->subnet_id || ni->n_groups || ni->private_ip_address ||
			    ni->n_private_ip_addresses || ni->secondary_private_ip_address_count.set)
				return api_fail(ctx, "InvalidParameterCombination",
				    "A network interface may not specify both a network interface "
				    "ID and a subnet, groups or addresses");
			if (ni->associate_public_ip_address.set && ni->associate_public_ip_address.v)
				return api_fail(ctx, "InvalidParameterCombination",
				    "The associatePublicIPAddress parameter can only be specified "
				    "for a new network interface.");
			if ((nic->eni = api_lookup(ctx, CORE_ENI, ni->network_interface_id)) == NULL)
				return -ENOENT;
			nic->delete_on_termination = ni->delete_on_termination.set &&
			    ni->delete_on_termination.v;
			continue;
		}
		sn = ni->subnet_id ? api_lookup(ctx, CORE_SUBNET, ni->subnet_id) :
		    default_subnet(ctx, az);
		if (sn == NULL)
			return -EINVAL;
		nic->create.subnet = sn;
		nic->create.description = ni->description;
		nic->create.groups = ni->groups;
		nic->create.n_groups = ni->n_groups;
		if (ni->private_ip_address && api_parse_ip(ctx, ni->private_ip_address,
		    "PrivateIpAddress", &nic->create.primary_ip))
			return -EINVAL;
		if (parse_ip_list(ctx, ni->private_ip_addresses, ni->n_private_ip_addresses,
		    &nic->create))
			return -EINVAL;
		if (ni->secondary_private_ip_address_count.set) {
			if (ni->secondary_private_ip_address_count.v < 0)
				return api_fail(ctx, "InvalidParameterValue",
				    "Value (%lld) for parameter secondaryPrivateIpAddressCount is "
				    "invalid.", (long long)ni->secondary_private_ip_address_count.v);
			nic->create.n_secondary = (size_t)ni->secondary_private_ip_address_count.v;
		}
		nic->delete_on_termination = !ni->delete_on_termination.set ||
		    ni->delete_on_termination.v;
		nic->is_public_ip = ni->associate_public_ip_address.set ?
		    ni->associate_public_ip_address.v : (n == 1 && sn->map_public_ip);
	}
	spec->nics = nics;
	spec->n_nics = n;
	return 0;
}

int
api_run_instances(struct api_ctx *ctx, const struct ec2_run_instances_request *in,
    struct ec2_reservation *out)
{
	static const char *const tag_types[] = { "instance", "network-interface", "volume" };
	struct core_run_spec spec = { 0 };
	struct core_error cerr;
	struct core_instance **insts;
	const char *az = in->placement ? in->placement->availability_zone : NULL;
	size_t n;

	if (in->launch_template)
		return api_fail(ctx, "UnsupportedOperation", "vpcd does not support launch templates");
	if (api_require(ctx, in->image_id, "ImageId"))
		return -EINVAL;
	if (!str_has_prefix(in->image_id, "ami-") || strlen(in->image_id) >= 64)
		return api_fail(ctx, "InvalidAMIID.Malformed",
		    "Invalid id: \"%s\" (expecting \"ami-...\")", in->image_id);
	if (!in->min_count.set)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter MinCount");
	if (!in->max_count.set)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter MaxCount");
	if (in->min_count.v < 1 || in->min_count.v > in->max_count.v)
		return api_fail(ctx, "InvalidParameterValue",
		    "Invalid value '%lld' for minCount. Must be between 1 and maxCount (%lld).",
		    (long long)in->min_count.v, (long long)in->max_count.v);
	spec.instance_type = in->instance_type ? in->instance_type : "m1.small";
	if (!instance_type_ok(spec.instance_type))
		return api_fail(ctx, "InvalidParameterValue",
		    "Invalid value '%s' for InstanceType.", spec.instance_type);
	if (in->key_name && strlen(in->key_name) >= 64)
		return api_fail(ctx, "InvalidKeyPair.NotFound",
		    "The key pair '%s' does not exist", in->key_name);
	if ((in->ipv6_address_count.set && in->ipv6_address_count.v) || in->n_ipv6_addresses)
		return api_fail(ctx, "UnsupportedOperation", "vpcd does not support IPv6 yet");
	if (in->user_data && check_user_data(ctx, in->user_data))
		return -EINVAL;
	if (az && core_az_id(ctx->model->cfg, az) == NULL)
		return api_fail(ctx, "InvalidParameterValue", "Invalid availability zone: [%s]", az);
	if (run_nics(ctx, in, az, &spec))
		return -EINVAL;
	for (size_t i = 0; i < spec.n_nics; i++) {
		const struct core_subnet *sn = spec.nics[i].create.subnet;

		if (spec.nics[i].device_index == 0 && spec.nics[i].eni)
			sn = core_find(ctx->model, CORE_SUBNET, ctx->owner, spec.nics[i].eni->subnet_id);
		if (spec.nics[i].device_index == 0 && sn && az && strcmp(sn->az, az) != 0)
			return api_fail(ctx, "InvalidParameterValue",
			    "Value (%s) for parameter availabilityZone is invalid. Subnet '%s' is "
			    "in the availability zone %s", az, sn->res.id, sn->az);
	}
	if (api_tagspec_check_types(ctx, in->tag_specifications, in->n_tag_specifications,
	    tag_types, ARRAY_SIZE(tag_types)))
		return -EINVAL;
	spec.image_id = in->image_id;
	spec.key_name = in->key_name;
	spec.user_data = in->user_data;
	spec.client_token = in->client_token;
	spec.is_disable_api_termination = in->disable_api_termination.set &&
	    in->disable_api_termination.v;
	spec.min_count = (unsigned)in->min_count.v;
	spec.max_count = (unsigned)(in->max_count.v > 1000 ? 1000 : in->max_count.v);
	insts = arena_array(ctx->arena, spec.max_count, sizeof(*insts));
	api_dry_run(ctx, in->dry_run);
	if (core_instances_run(ctx->model, ctx->owner, &spec, insts, &n, &cerr))
		return api_fail_core(ctx, &cerr);
	out->reservation_id = insts[0]->reservation_id;
	out->owner_id = ctx->owner;
	API_LIST(ctx, out->groups, 0);
	API_LIST(ctx, out->instances, n);
	for (size_t i = 0; i < n; i++) {
		struct core_eni *enis[CORE_INSTANCE_ENIS_MAX];
		size_t k = core_instance_enis(ctx->model, insts[i], enis);

		api_tagspec_apply(ctx, in->tag_specifications, in->n_tag_specifications,
		    "instance", &insts[i]->res);
		for (size_t e = 0; e < k; e++) {
			bool existing = false;

			for (size_t j = 0; j < spec.n_nics; j++)
				existing |= spec.nics[j].eni == enis[e];
			if (!existing)
				api_tagspec_apply(ctx, in->tag_specifications,
				    in->n_tag_specifications, "network-interface", &enis[e]->res);
		}
		instance_out(ctx, insts[i], CORE_INSTANCE_PENDING, &out->instances[out->n_instances++]);
	}
	return 0;
}

/* Filters (DescribeInstances). */
static const struct core_eni *
primary_eni(struct api_vals *v, const void *r)
{
	const struct core_eni *eni = core_find(v->ctx->model, CORE_ENI, NULL, INST(r)->primary_eni);

	return eni && strcmp(eni->instance_id, INST(r)->res.id) == 0 ? eni : NULL;
}
static size_t
enis_of(struct api_vals *v, const void *r, struct core_eni **out)
{
	return core_instance_enis(v->ctx->model, INST(r), out);
}
static void
f_az(struct api_vals *v, const void *r)
{
	const struct core_subnet *sn = core_find(v->ctx->model, CORE_SUBNET, NULL,
	    INST(r)->subnet_id);

	if (sn)
		api_val(v, sn->az);
}
static void f_token(struct api_vals *v, const void *r) { api_val(v, INST(r)->client_token); }
static void
f_dns(struct api_vals *v, const void *r)
{
	const struct core_eni *e = primary_eni(v, r);
	uint32_t ip = e ? core_eni_public_ip(v->ctx->model, e) : 0;

	if (ip)
		api_val(v, api_public_dns(v->ctx, ip));
}
static void
f_group_id(struct api_vals *v, const void *r)
{
	const struct core_eni *e = primary_eni(v, r);

	for (size_t i = 0; e && i < e->n_groups; i++)
		api_val(v, e->groups[i]);
}
static void
f_group_name(struct api_vals *v, const void *r)
{
	const struct core_eni *e = primary_eni(v, r);

	for (size_t i = 0; e && i < e->n_groups; i++) {
		const struct core_sg *sg = core_find(v->ctx->model, CORE_SG, NULL, e->groups[i]);

		if (sg)
			api_val(v, sg->name);
	}
}
static void f_image(struct api_vals *v, const void *r) { api_val(v, INST(r)->image_id); }
static void f_id(struct api_vals *v, const void *r) { api_val(v, INST(r)->res.id); }
static void
f_state_code(struct api_vals *v, const void *r)
{
	api_val_int(v, core_instance_state_code(INST(r)->state));
}
static void
f_state_name(struct api_vals *v, const void *r)
{
	api_val(v, core_instance_state_name(INST(r)->state));
}
static void f_type(struct api_vals *v, const void *r) { api_val(v, INST(r)->instance_type); }
static void
f_ip(struct api_vals *v, const void *r)
{
	const struct core_eni *e = primary_eni(v, r);
	uint32_t ip = e ? core_eni_public_ip(v->ctx->model, e) : 0;

	if (ip)
		api_val(v, api_ip_str(v->ctx, ip));
}
static void
f_key(struct api_vals *v, const void *r)
{
	if (INST(r)->key_name[0])
		api_val(v, INST(r)->key_name);
}
static void f_index(struct api_vals *v, const void *r) { api_val_int(v, INST(r)->launch_index); }
static void
f_launch_time(struct api_vals *v, const void *r)
{
	char s[32];

	time_format_iso(INST(r)->launch_ms, s);
	api_val(v, arena_strdup(v->ctx->arena, s));
}
static void f_monitoring(struct api_vals *v, const void *r) { api_val(v, "disabled"); }
static void f_none(struct api_vals *v, const void *r) { }
static void f_owner(struct api_vals *v, const void *r) { api_val(v, INST(r)->res.owner); }
static void
f_private_dns(struct api_vals *v, const void *r)
{
	const struct core_eni *e = primary_eni(v, r);

	if (e)
		api_val(v, api_private_dns(v->ctx, e->ips[0]));
}
static void
f_private_ip(struct api_vals *v, const void *r)
{
	const struct core_eni *e = primary_eni(v, r);

	if (e)
		api_val(v, api_ip_str(v->ctx, e->ips[0]));
}
static void f_reason(struct api_vals *v, const void *r)
{
	api_val(v, transition_reason(v->ctx, INST(r)));
}
static void
f_reason_code(struct api_vals *v, const void *r)
{
	if (INST(r)->state_reason)
		api_val(v, INST(r)->state_reason);
}
static void
f_reason_message(struct api_vals *v, const void *r)
{
	if (INST(r)->state_reason)
		api_val(v, arena_printf(v->ctx->arena, "%s: User initiated shutdown",
		    INST(r)->state_reason));
}
static void f_reservation(struct api_vals *v, const void *r) { api_val(v, INST(r)->reservation_id); }
static void f_root_name(struct api_vals *v, const void *r) { api_val(v, "/dev/xvda"); }
static void f_root_type(struct api_vals *v, const void *r) { api_val(v, "ebs"); }
static void
f_sdc(struct api_vals *v, const void *r)
{
	const struct core_eni *e = primary_eni(v, r);

	if (e)
		api_val_bool(v, e->source_dest_check);
}
static void
f_subnet(struct api_vals *v, const void *r)
{
	if (INST(r)->state != CORE_INSTANCE_TERMINATED)
		api_val(v, INST(r)->subnet_id);
}
static void
f_vpc(struct api_vals *v, const void *r)
{
	if (INST(r)->state != CORE_INSTANCE_TERMINATED)
		api_val(v, INST(r)->vpc_id);
}
static void
f_tenancy(struct api_vals *v, const void *r)
{
	const struct core_vpc *vpc = core_find(v->ctx->model, CORE_VPC, NULL, INST(r)->vpc_id);

	api_val(v, vpc && vpc->is_dedicated ? "dedicated" : "default");
}
static void f_virt(struct api_vals *v, const void *r) { api_val(v, "hvm"); }
static void f_arch(struct api_vals *v, const void *r) { api_val(v, "x86_64"); }
static void f_hypervisor(struct api_vals *v, const void *r) { api_val(v, "xen"); }
static void f_platform_details(struct api_vals *v, const void *r) { api_val(v, "Linux/UNIX"); }
static void f_false(struct api_vals *v, const void *r) { api_val_bool(v, false); }
static void f_true(struct api_vals *v, const void *r) { api_val_bool(v, true); }
static void f_usage(struct api_vals *v, const void *r) { api_val(v, "RunInstances"); }

/* network-interface.*: the values of every attached interface. */
#define NI_FILTER(name, body)                                                  \
	static void name(struct api_vals *v, const void *r)                   \
	{                                                                      \
		struct core_eni *enis[CORE_INSTANCE_ENIS_MAX];                 \
		size_t n = enis_of(v, r, enis);                                \
		for (size_t i = 0; i < n; i++) {                               \
			const struct core_eni *e = enis[i];                    \
			(void)e;                                               \
			body;                                                  \
		}                                                              \
	}
NI_FILTER(f_ni_id, api_val(v, e->res.id))
NI_FILTER(f_ni_subnet, api_val(v, e->subnet_id))
NI_FILTER(f_ni_vpc, api_val(v, e->vpc_id))
NI_FILTER(f_ni_desc, api_val(v, e->description))
NI_FILTER(f_ni_mac, api_val(v, e->mac))
NI_FILTER(f_ni_owner, api_val(v, e->res.owner))
NI_FILTER(f_ni_sdc, api_val_bool(v, e->source_dest_check))
NI_FILTER(f_ni_status, api_val(v, "in-use"))
NI_FILTER(f_ni_att_id, api_val(v, e->attachment_id))
NI_FILTER(f_ni_att_index, api_val_int(v, e->device_index))
NI_FILTER(f_ni_att_dot, api_val_bool(v, e->delete_on_termination))
NI_FILTER(f_ni_att_instance, api_val(v, e->instance_id))
NI_FILTER(f_ni_att_status, api_val(v, "attached"))
NI_FILTER(f_ni_requester_managed, api_val_bool(v, e->is_requester_managed))
NI_FILTER(f_ni_private_ip,
    for (size_t k = 0; k < e->n_ips; k++) api_val(v, api_ip_str(v->ctx, e->ips[k])))
NI_FILTER(f_ni_private_dns,
    for (size_t k = 0; k < e->n_ips; k++) api_val(v, api_private_dns(v->ctx, e->ips[k])))
NI_FILTER(f_ni_group_id, for (size_t k = 0; k < e->n_groups; k++) api_val(v, e->groups[k]))
NI_FILTER(f_ni_attach_time, {
	char t[32];
	time_format_iso(e->attach_ms, t);
	api_val(v, arena_strdup(v->ctx->arena, t));
})
NI_FILTER(f_ni_primary, {
	api_val_bool(v, true);
	if (e->n_ips > 1)
		api_val_bool(v, false);
})
NI_FILTER(f_ni_ip_owner, {
	const struct core_eip *eip = core_eip_for(v->ctx->model, e, e->ips[0]);
	if (eip)
		api_val(v, eip->res.owner);
	else if (e->public_ip)
		api_val(v, "amazon");
})
NI_FILTER(f_ni_alloc, {
	const struct core_eip *eip = core_eip_for(v->ctx->model, e, e->ips[0]);
	if (eip)
		api_val(v, eip->res.id);
})
NI_FILTER(f_ni_assoc, {
	const struct core_eip *eip = core_eip_for(v->ctx->model, e, e->ips[0]);
	if (eip)
		api_val(v, eip->assoc_id);
})
NI_FILTER(f_ni_public_ip, {
	uint32_t ip = core_eni_public_ip(v->ctx->model, e);
	if (ip)
		api_val(v, api_ip_str(v->ctx, ip));
})
NI_FILTER(f_ni_group_name, for (size_t k = 0; k < e->n_groups; k++) {
	const struct core_sg *sg = core_find(v->ctx->model, CORE_SG, NULL, e->groups[k]);
	if (sg)
		api_val(v, sg->name);
})

static const struct api_filter_def instance_filters[] = {
	{ "affinity", f_none },
	{ "architecture", f_arch },
	{ "availability-zone", f_az },
	{ "block-device-mapping.attach-time", f_none },
	{ "block-device-mapping.delete-on-termination", f_none },
	{ "block-device-mapping.device-name", f_none },
	{ "block-device-mapping.status", f_none },
	{ "block-device-mapping.volume-id", f_none },
	{ "boot-mode", f_none },
	{ "capacity-reservation-id", f_none },
	{ "client-token", f_token },
	{ "dns-name", f_dns },
	{ "ebs-optimized", f_false },
	{ "ena-support", f_true },
	{ "group-id", f_group_id },
	{ "group-name", f_group_name },
	{ "hibernation-options.configured", f_false },
	{ "host-id", f_none },
	{ "hypervisor", f_hypervisor },
	{ "iam-instance-profile.arn", f_none },
	{ "iam-instance-profile.id", f_none },
	{ "iam-instance-profile.name", f_none },
	{ "image-id", f_image },
	{ "instance-id", f_id },
	{ "instance-lifecycle", f_none },
	{ "instance-state-code", f_state_code },
	{ "instance-state-name", f_state_name },
	{ "instance-type", f_type },
	{ "instance.group-id", f_group_id },
	{ "instance.group-name", f_group_name },
	{ "ip-address", f_ip },
	{ "ipv6-address", f_none },
	{ "kernel-id", f_none },
	{ "key-name", f_key },
	{ "launch-index", f_index },
	{ "launch-time", f_launch_time },
	{ "monitoring-state", f_monitoring },
	{ "network-interface.addresses.association.ip-owner-id", f_ni_ip_owner },
	{ "network-interface.addresses.association.public-ip", f_ni_public_ip },
	{ "network-interface.addresses.primary", f_ni_primary },
	{ "network-interface.addresses.private-ip-address", f_ni_private_ip },
	{ "network-interface.association.allocation-id", f_ni_alloc },
	{ "network-interface.association.association-id", f_ni_assoc },
	{ "network-interface.association.ip-owner-id", f_ni_ip_owner },
	{ "network-interface.association.public-ip", f_ni_public_ip },
	{ "network-interface.attachment.attach-time", f_ni_attach_time },
	{ "network-interface.attachment.attachment-id", f_ni_att_id },
	{ "network-interface.attachment.delete-on-termination", f_ni_att_dot },
	{ "network-interface.attachment.device-index", f_ni_att_index },
	{ "network-interface.attachment.instance-id", f_ni_att_instance },
	{ "network-interface.attachment.instance-owner-id", f_ni_owner },
	{ "network-interface.attachment.status", f_ni_att_status },
	{ "network-interface.description", f_ni_desc },
	{ "network-interface.group-id", f_ni_group_id },
	{ "network-interface.group-name", f_ni_group_name },
	{ "network-interface.ipv6-addresses.ipv6-address", f_none },
	{ "network-interface.mac-address", f_ni_mac },
	{ "network-interface.network-interface-id", f_ni_id },
	{ "network-interface.owner-id", f_ni_owner },
	{ "network-interface.private-dns-name", f_ni_private_dns },
	{ "network-interface.requester-id", f_none },
	{ "network-interface.requester-managed", f_ni_requester_managed },
	{ "network-interface.source-dest-check", f_ni_sdc },
	{ "network-interface.status", f_ni_status },
	{ "network-interface.subnet-id", f_ni_subnet },
	{ "network-interface.vpc-id", f_ni_vpc },
	{ "outpost-arn", f_none },
	{ "owner-id", f_owner },
	{ "placement-group-name", f_none },
	{ "placement-partition-number", f_none },
	{ "platform", f_none },
	{ "platform-details", f_platform_details },
	{ "private-dns-name", f_private_dns },
	{ "private-ip-address", f_private_ip },
	{ "product-code", f_none },
	{ "ramdisk-id", f_none },
	{ "reason", f_reason },
	{ "requester-id", f_none },
	{ "reservation-id", f_reservation },
	{ "root-device-name", f_root_name },
	{ "root-device-type", f_root_type },
	{ "source-dest-check", f_sdc },
	{ "spot-instance-request-id", f_none },
	{ "state-reason-code", f_reason_code },
	{ "state-reason-message", f_reason_message },
	{ "subnet-id", f_subnet },
	{ "tenancy", f_tenancy },
	{ "tpm-support", f_none },
	{ "usage-operation", f_usage },
	{ "virtualization-type", f_virt },
	{ "vpc-id", f_vpc },
};

int
api_describe_instances(struct api_ctx *ctx, const struct ec2_describe_instances_request *in,
    struct ec2_describe_instances_result *out)
{
	struct api_describe d;

	if (api_describe_begin(ctx, &d, &(struct api_describe_req){
	    .type = CORE_INSTANCE, .ids_param = "instancesSet", .ids = in->instance_ids, .n_ids = in->n_instance_ids,
	    .max_results = in->max_results, .next_token = in->next_token, .max = 1000,
	    .defs = instance_filters, .n_defs = ARRAY_SIZE(instance_filters), .filters = in->filters,
	    .n_filters = in->n_filters, .dry_run = in->dry_run }))
		return -EINVAL;
	/* Instances of one reservation are consecutive in creation order. */
	API_LIST(ctx, out->reservations, d.n);
	for (size_t i = 0; i < d.n; i++) {
		const struct core_instance *inst = INST(d.set[i]);
		struct ec2_reservation *rv;

		if (!api_filters_match(ctx, &d.f, inst, inst->res.tags, inst->res.n_tags) ||
		    !api_page_take(&d.pg, inst->res.seq))
			continue;
		rv = out->n_reservations ? &out->reservations[out->n_reservations - 1] : NULL;
		if (rv == NULL || strcmp(rv->reservation_id, inst->reservation_id) != 0) {
			rv = &out->reservations[out->n_reservations++];
			rv->reservation_id = inst->reservation_id;
			rv->owner_id = inst->res.owner;
			API_LIST(ctx, rv->groups, 0);
			rv->instances = arena_array(ctx->arena, d.n - i, sizeof(*rv->instances));
		}
		instance_out(ctx, inst, inst->state, &rv->instances[rv->n_instances++]);
	}
	out->next_token = api_page_token(ctx, &d.pg);
	return 0;
}

/*
 * The state-changing calls act on every named instance or on none: each
 * is first checked as a dry run, then all are changed.
 */
typedef int (*state_fn)(struct core_model *m, struct core_instance *inst,
    const void *arg, enum core_instance_state *prev, struct core_error *err);

static int
st_terminate(struct core_model *m, struct core_instance *inst, const void *arg,
    enum core_instance_state *prev, struct core_error *err)
{
	return core_instance_terminate(m, inst, prev, err);
}

static int
st_stop(struct core_model *m, struct core_instance *inst, const void *arg,
    enum core_instance_state *prev, struct core_error *err)
{
	return core_instance_stop(m, inst, *(const bool *)arg, prev, err);
}

static int
st_start(struct core_model *m, struct core_instance *inst, const void *arg,
    enum core_instance_state *prev, struct core_error *err)
{
	return core_instance_start(m, inst, prev, err);
}

static int
st_reboot(struct core_model *m, struct core_instance *inst, const void *arg,
    enum core_instance_state *prev, struct core_error *err)
{
	*prev = inst->state;
	return core_instance_reboot(m, inst, err);
}

/* The state a call answers: the transitional state it entered. */
static enum core_instance_state
answered(state_fn fn, enum core_instance_state prev)
{
	if (fn == st_terminate)
		return prev == CORE_INSTANCE_TERMINATED ? prev : CORE_INSTANCE_SHUTTING_DOWN;
	if (fn == st_stop)
		return prev == CORE_INSTANCE_STOPPED ? prev : CORE_INSTANCE_STOPPING;
	if (fn == st_start)
		return prev == CORE_INSTANCE_STOPPED ? CORE_INSTANCE_PENDING : prev;
	return prev;
}

static int
change_states(struct api_ctx *ctx, const char *const *ids, size_t n_ids,
    struct ec2_opt_bool dry_run, state_fn fn, const void *arg,
    struct ec2_instance_state_change **out, size_t *n_out)
{
	struct core_model *m = ctx->model;
	struct core_error cerr;
	enum core_instance_state prev;
	struct core_res **set;
	size_t n;

	if (n_ids == 0)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter InstanceId");
	if (api_describe_set(ctx, CORE_INSTANCE, ids, n_ids, &set, &n))
		return -EINVAL;
	m->is_dry_run = true;
	for (size_t i = 0; i < n; i++)
		if (fn(m, (struct core_instance *)set[i], arg, &prev, &cerr) &&
		    strcmp(cerr.code, "DryRunOperation") != 0) {
			m->is_dry_run = false;
			return api_fail_core(ctx, &cerr);
		}
	api_dry_run(ctx, dry_run);
	if (core_commit_point(m, &cerr))
		return api_fail_core(ctx, &cerr);
	if (out)
		API_LIST(ctx, *out, n);
	for (size_t i = 0; i < n; i++) {
		struct core_instance *inst = (struct core_instance *)set[i];

		if (fn(m, inst, arg, &prev, &cerr))
			return api_fail_core(ctx, &cerr);  /* not reached: checked above */
		if (out) {
			struct ec2_instance_state_change *c = &(*out)[(*n_out)++];

			c->instance_id = inst->res.id;
			c->previous_state = state_out(ctx, prev);
			c->current_state = state_out(ctx, answered(fn, prev));
		}
	}
	return 0;
}

int
api_terminate_instances(struct api_ctx *ctx, const struct ec2_terminate_instances_request *in,
    struct ec2_terminate_instances_result *out)
{
	return change_states(ctx, in->instance_ids, in->n_instance_ids, in->dry_run,
	    st_terminate, NULL, &out->terminating_instances, &out->n_terminating_instances);
}

int
api_stop_instances(struct api_ctx *ctx, const struct ec2_stop_instances_request *in,
    struct ec2_stop_instances_result *out)
{
	bool force = in->force.set && in->force.v;

	if (in->hibernate.set && in->hibernate.v)
		return api_fail(ctx, "UnsupportedHibernationConfiguration",
		    "vpcd instances cannot hibernate");
	return change_states(ctx, in->instance_ids, in->n_instance_ids, in->dry_run, st_stop,
	    &force, &out->stopping_instances, &out->n_stopping_instances);
}

int
api_start_instances(struct api_ctx *ctx, const struct ec2_start_instances_request *in,
    struct ec2_start_instances_result *out)
{
	return change_states(ctx, in->instance_ids, in->n_instance_ids, in->dry_run, st_start,
	    NULL, &out->starting_instances, &out->n_starting_instances);
}

int
api_reboot_instances(struct api_ctx *ctx, const struct ec2_reboot_instances_request *in)
{
	return change_states(ctx, in->instance_ids, in->n_instance_ids, in->dry_run, st_reboot,
	    NULL, NULL, NULL);
}

/* DescribeInstanceStatus. */
static const char *
health(const struct core_instance *inst)
{
	return inst->state == CORE_INSTANCE_RUNNING ? "ok" :
	    inst->state == CORE_INSTANCE_PENDING ? "initializing" : "not-applicable";
}
static void f_health(struct api_vals *v, const void *r) { api_val(v, health(INST(r))); }
static void
f_reach(struct api_vals *v, const void *r)
{
	if (INST(r)->state == CORE_INSTANCE_RUNNING)
		api_val(v, "passed");
}

static const struct api_filter_def status_filters[] = {
	{ "availability-zone", f_az },
	{ "event.code", f_none },
	{ "event.description", f_none },
	{ "event.instance-event-id", f_none },
	{ "event.not-after", f_none },
	{ "event.not-before", f_none },
	{ "event.not-before-deadline", f_none },
	{ "instance-state-code", f_state_code },
	{ "instance-state-name", f_state_name },
	{ "instance-status.reachability", f_reach },
	{ "instance-status.status", f_health },
	{ "system-status.reachability", f_reach },
	{ "system-status.status", f_health },
};

static struct ec2_instance_status_summary *
summary(struct api_ctx *ctx, const struct core_instance *inst)
{
	struct ec2_instance_status_summary *s = arena_alloc(ctx->arena, sizeof(*s));

	s->status = health(inst);
	API_LIST(ctx, s->details, 1);
	if (inst->state == CORE_INSTANCE_RUNNING || inst->state == CORE_INSTANCE_PENDING) {
		s->details[0].name = "reachability";
		s->details[0].status = inst->state == CORE_INSTANCE_RUNNING ? "passed" :
		    "initializing";
		s->n_details = 1;
	}
	return s;
}

int
api_describe_instance_status(struct api_ctx *ctx,
    const struct ec2_describe_instance_status_request *in,
    struct ec2_describe_instance_status_result *out)
{
	bool all = in->include_all_instances.set && in->include_all_instances.v;
	struct api_describe d;

	if (api_describe_begin(ctx, &d, &(struct api_describe_req){
	    .type = CORE_INSTANCE, .ids_param = "instancesSet", .ids = in->instance_ids, .n_ids = in->n_instance_ids,
	    .max_results = in->max_results, .next_token = in->next_token, .max = 1000,
	    .defs = status_filters, .n_defs = ARRAY_SIZE(status_filters), .filters = in->filters,
	    .n_filters = in->n_filters, .dry_run = in->dry_run }))
		return -EINVAL;
	API_LIST(ctx, out->instance_statuses, d.n);
	for (size_t i = 0; i < d.n; i++) {
		const struct core_instance *inst = INST(d.set[i]);
		const struct core_subnet *sn;
		struct ec2_instance_status *s;

		if ((!all && inst->state != CORE_INSTANCE_RUNNING) ||
		    !api_filters_match(ctx, &d.f, inst, NULL, 0) || !api_page_take(&d.pg, inst->res.seq))
			continue;
		s = &out->instance_statuses[out->n_instance_statuses++];
		sn = core_find(ctx->model, CORE_SUBNET, NULL, inst->subnet_id);
		s->instance_id = inst->res.id;
		s->availability_zone = sn ? sn->az : NULL;
		s->instance_state = state_out(ctx, inst->state);
		s->instance_status = summary(ctx, inst);
		s->system_status = summary(ctx, inst);
		API_LIST(ctx, s->events, 0);
	}
	out->next_token = api_page_token(ctx, &d.pg);
	return 0;
}

/* Attributes. */
static struct ec2_attribute_boolean_value *
bool_attr(struct api_ctx *ctx, bool b)
{
	struct ec2_attribute_boolean_value *v = arena_alloc(ctx->arena, sizeof(*v));

	v->value = EC2_BOOL(b);
	return v;
}

static struct ec2_attribute_value *
str_attr(struct api_ctx *ctx, const char *s)
{
	struct ec2_attribute_value *v = arena_alloc(ctx->arena, sizeof(*v));

	v->value = s;
	return v;
}

static struct core_eni *
inst_primary(struct api_ctx *ctx, const struct core_instance *inst)
{
	struct core_eni *eni = core_find(ctx->model, CORE_ENI, ctx->owner, inst->primary_eni);

	return eni && strcmp(eni->instance_id, inst->res.id) == 0 ? eni : NULL;
}

int
api_describe_instance_attribute(struct api_ctx *ctx,
    const struct ec2_describe_instance_attribute_request *in, struct ec2_instance_attribute *out)
{
	const struct core_instance *inst;
	const struct core_eni *eni;
	const char *a = in->attribute;

	if (api_require(ctx, in->instance_id, "InstanceId") ||
	    api_require(ctx, a, "Attribute"))
		return -EINVAL;
	if ((inst = api_lookup(ctx, CORE_INSTANCE, in->instance_id)) == NULL ||
	    api_dry_run_check(ctx, in->dry_run))
		return -EINVAL;
	eni = inst_primary(ctx, inst);
	out->instance_id = inst->res.id;
	if (strcmp(a, "instanceType") == 0)
		out->instance_type = str_attr(ctx, inst->instance_type);
	else if (strcmp(a, "userData") == 0) {
		out->user_data = str_attr(ctx, inst->user_data);
	} else if (strcmp(a, "disableApiTermination") == 0)
		out->disable_api_termination = bool_attr(ctx, inst->is_disable_api_termination);
	else if (strcmp(a, "disableApiStop") == 0)
		out->disable_api_stop = bool_attr(ctx, false);
	else if (strcmp(a, "instanceInitiatedShutdownBehavior") == 0)
		out->instance_initiated_shutdown_behavior = str_attr(ctx, "stop");
	else if (strcmp(a, "rootDeviceName") == 0)
		out->root_device_name = str_attr(ctx, "/dev/xvda");
	else if (strcmp(a, "blockDeviceMapping") == 0)
		API_LIST(ctx, out->block_device_mappings, 0);
	else if (strcmp(a, "productCodes") == 0)
		API_LIST(ctx, out->product_codes, 0);
	else if (strcmp(a, "kernel") == 0)
		out->kernel_id = str_attr(ctx, NULL);
	else if (strcmp(a, "ramdisk") == 0)
		out->ramdisk_id = str_attr(ctx, NULL);
	else if (strcmp(a, "ebsOptimized") == 0)
		out->ebs_optimized = bool_attr(ctx, false);
	else if (strcmp(a, "enaSupport") == 0)
		out->ena_support = bool_attr(ctx, true);
	else if (strcmp(a, "sriovNetSupport") == 0)
		out->sriov_net_support = str_attr(ctx, NULL);
	else if (strcmp(a, "sourceDestCheck") == 0)
		out->source_dest_check = bool_attr(ctx, eni ? eni->source_dest_check : true);
	else if (strcmp(a, "groupSet") == 0) {
		if (eni)
			out->groups = api_groups_out(ctx, eni, &out->n_groups);
		else
			API_LIST(ctx, out->groups, 0);
	} else
		return api_fail(ctx, "InvalidParameterValue",
		    "Value (%s) for parameter attribute is invalid. Unknown attribute.", a);
	return 0;
}

static int
not_stopped(struct api_ctx *ctx, const struct core_instance *inst)
{
	return api_fail(ctx, "IncorrectInstanceState",
	    "The instance '%s' is not in the 'stopped' state.", inst->res.id);
}

static int
parse_bool_value(struct api_ctx *ctx, const char *s, bool *b)
{
	if (s && strcasecmp(s, "true") == 0)
		*b = true;
	else if (s && strcasecmp(s, "false") == 0)
		*b = false;
	else
		return api_fail(ctx, "InvalidParameterValue",
		    "Value (%s) for parameter value is invalid. Expected a boolean.",
		    s ? s : "");
	return 0;
}

int
api_modify_instance_attribute(struct api_ctx *ctx,
    const struct ec2_modify_instance_attribute_request *in)
{
	struct core_error cerr;
	struct core_instance *inst;
	struct core_eni *eni;
	const char *type = NULL, *user_data = NULL;
	bool has_sdc = false, sdc = false, has_dat = false, dat = false;
	int n = 0;

	if (api_require(ctx, in->instance_id, "InstanceId"))
		return -EINVAL;
	if ((inst = api_lookup(ctx, CORE_INSTANCE, in->instance_id)) == NULL)
		return -ENOENT;
	if (in->n_block_device_mappings || in->ebs_optimized || in->ena_support || in->kernel ||
	    in->ramdisk || in->sriov_net_support || in->instance_initiated_shutdown_behavior ||
	    in->disable_api_stop)
		return api_fail(ctx, "UnsupportedOperation",
		    "vpcd supports the attributes groupSet, sourceDestCheck, userData, "
		    "instanceType and disableApiTermination");
	if (in->attribute) {
		const char *a = in->attribute;

		n++;
		if (strcmp(a, "instanceType") == 0)
			type = in->value;
		else if (strcmp(a, "userData") == 0)
			user_data = in->value ? in->value : "";
		else if (strcmp(a, "sourceDestCheck") == 0) {
			if (parse_bool_value(ctx, in->value, &sdc))
				return -EINVAL;
			has_sdc = true;
		} else if (strcmp(a, "disableApiTermination") == 0) {
			if (parse_bool_value(ctx, in->value, &dat))
				return -EINVAL;
			has_dat = true;
		} else
			return api_fail(ctx, "InvalidParameterValue",
			    "Value (%s) for parameter attribute is invalid.", a);
	}
	if (in->instance_type) {
		n++;
		type = in->instance_type->value;
	}
	if (in->user_data) {
		n++;
		user_data = in->user_data->value ? in->user_data->value : "";
	}
	if (in->source_dest_check) {
		n++;
		has_sdc = true;
		sdc = in->source_dest_check->value.set && in->source_dest_check->value.v;
	}
	if (in->disable_api_termination) {
		n++;
		has_dat = true;
		dat = in->disable_api_termination->value.set && in->disable_api_termination->value.v;
	}
	n += in->n_groups != 0;
	if (n == 0)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain exactly one attribute to modify");
	if (n > 1)
		return api_fail(ctx, "InvalidParameterCombination",
		    "Fields for multiple attribute types specified");
	if (core_instance_is_gone(inst))
		return api_fail(ctx, "IncorrectInstanceState",
		    "The instance '%s' is not in a valid state for this operation.", inst->res.id);
	eni = inst_primary(ctx, inst);
	if ((has_sdc || in->n_groups) && eni == NULL)
		return api_fail(ctx, "InvalidInstanceID",
		    "The instance '%s' has no network interface", inst->res.id);
	if (type) {
		if (!instance_type_ok(type))
			return api_fail(ctx, "InvalidParameterValue",
			    "Invalid value '%s' for InstanceType.", type);
		if (inst->state != CORE_INSTANCE_STOPPED)
			return not_stopped(ctx, inst);
	}
	if (user_data) {
		if (inst->state != CORE_INSTANCE_STOPPED)
			return not_stopped(ctx, inst);
		if (*user_data && check_user_data(ctx, user_data))
			return -EINVAL;
	}
	api_dry_run(ctx, in->dry_run);
	if (in->n_groups)
		return core_eni_set_groups(ctx->model, eni, in->groups, in->n_groups, &cerr) ?
		    api_fail_core(ctx, &cerr) : 0;
	if (core_commit_point(ctx->model, &cerr))
		return api_fail_core(ctx, &cerr);
	if (has_sdc) {
		eni->source_dest_check = sdc;
		core_touch(ctx->model, &eni->res);
	}
	if (has_dat)
		inst->is_disable_api_termination = dat;
	if (type)
		STR_COPY(inst->instance_type, type);
	if (user_data) {
		free(inst->user_data);
		inst->user_data = *user_data ? xstrdup(user_data) : NULL;
	}
	core_touch(ctx->model, &inst->res);
	return 0;
}

/* The console log the data plane writes, base64; empty if none yet. */
int
api_get_console_output(struct api_ctx *ctx, const struct ec2_get_console_output_request *in,
    struct ec2_get_console_output_result *out)
{
	const struct core_instance *inst;
	char *text = NULL, *enc;
	ssize_t len = 0;
	int fd = -1;

	if (api_require(ctx, in->instance_id, "InstanceId"))
		return -EINVAL;
	if ((inst = api_lookup(ctx, CORE_INSTANCE, in->instance_id)) == NULL ||
	    api_dry_run_check(ctx, in->dry_run))
		return -EINVAL;
	out->instance_id = inst->res.id;
	out->timestamp = EC2_INT(time_now_ms());
	if (ctx->opt->data_dir) {
		char *path = arena_printf(ctx->arena, "%s/console/%s.log", ctx->opt->data_dir,
		    inst->res.id);

		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd >= 0) {
		off_t size = lseek(fd, 0, SEEK_END);

		/* The last 64 KiB, as AWS returns. */
		if (size > CONSOLE_MAX)
			lseek(fd, size - CONSOLE_MAX, SEEK_SET);
		else
			lseek(fd, 0, SEEK_SET);
		text = arena_alloc(ctx->arena, CONSOLE_MAX);
		for (ssize_t r; len < CONSOLE_MAX &&
		    (r = read(fd, text + len, (size_t)(CONSOLE_MAX - len))) > 0;)
			len += r;
		close(fd);
	}
	enc = arena_alloc(ctx->arena, (size_t)(4 * ((len + 2) / 3) + 1));
	enc[0] = '\0';
	if (len > 0)
		EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)text, (int)len);
	out->output = enc;
	return 0;
}

/* The built-in images, so that tools that look one up find them. */
static void
image_out(struct api_ctx *ctx, const struct core_image *img, struct ec2_image *out)
{
	out->image_id = img->id;
	out->name = img->name;
	out->description = img->description;
	out->owner_id = IMAGE_OWNER;
	out->image_owner_alias = "amazon";
	out->image_location = arena_printf(ctx->arena, "amazon/%s", img->name);
	out->image_type = "machine";
	out->architecture = "x86_64";
	out->state = "available";
	out->public = EC2_BOOL(true);
	out->creation_date = "2024-01-01T00:00:00.000Z";
	out->root_device_name = "/dev/xvda";
	out->root_device_type = "ebs";
	out->virtualization_type = "hvm";
	out->hypervisor = "xen";
	out->ena_support = EC2_BOOL(true);
	out->platform_details = "Linux/UNIX";
	out->usage_operation = "RunInstances";
	API_LIST(ctx, out->block_device_mappings, 0);
	API_LIST(ctx, out->product_codes, 0);
}

#define IMG(r) ((const struct core_image *)(r))
static void f_img_id(struct api_vals *v, const void *r) { api_val(v, IMG(r)->id); }
static void f_img_name(struct api_vals *v, const void *r) { api_val(v, IMG(r)->name); }
static void f_img_owner(struct api_vals *v, const void *r) { api_val(v, IMAGE_OWNER); }
static void f_img_alias(struct api_vals *v, const void *r) { api_val(v, "amazon"); }
static void f_img_state(struct api_vals *v, const void *r) { api_val(v, "available"); }
static void f_img_type(struct api_vals *v, const void *r) { api_val(v, "machine"); }
static void f_img_public(struct api_vals *v, const void *r) { api_val_bool(v, true); }
static void f_img_ena(struct api_vals *v, const void *r) { api_val_bool(v, true); }
static void f_img_desc(struct api_vals *v, const void *r) { api_val(v, IMG(r)->description); }
static void f_img_location(struct api_vals *v, const void *r)
{
	api_val(v, arena_printf(v->ctx->arena, "amazon/%s", IMG(r)->name));
}

static const struct api_filter_def image_filters[] = {
	{ "architecture", f_arch },
	{ "description", f_img_desc },
	{ "ena-support", f_img_ena },
	{ "hypervisor", f_hypervisor },
	{ "image-id", f_img_id },
	{ "image-type", f_img_type },
	{ "is-public", f_img_public },
	{ "manifest-location", f_img_location },
	{ "name", f_img_name },
	{ "owner-alias", f_img_alias },
	{ "owner-id", f_img_owner },
	{ "platform", f_none },
	{ "platform-details", f_platform_details },
	{ "root-device-name", f_root_name },
	{ "root-device-type", f_root_type },
	{ "state", f_img_state },
	{ "usage-operation", f_none },
	{ "virtualization-type", f_virt },
};

int
api_describe_images(struct api_ctx *ctx, const struct ec2_describe_images_request *in,
    struct ec2_describe_images_result *out)
{
	struct api_filters f;
	bool owned = in->n_owners == 0;

	for (size_t i = 0; i < in->n_image_ids; i++)
		if (core_image_find(in->image_ids[i]) == NULL)
			return api_fail(ctx, "InvalidAMIID.NotFound",
			    "The image id '[%s]' does not exist", in->image_ids[i]);
	for (size_t i = 0; i < in->n_owners; i++)
		owned |= strcmp(in->owners[i], "amazon") == 0 ||
		    strcmp(in->owners[i], IMAGE_OWNER) == 0;
	if (api_filters_init(ctx, &f, image_filters, ARRAY_SIZE(image_filters), in->filters,
	    in->n_filters) || api_dry_run_check(ctx, in->dry_run))
		return -EINVAL;
	API_LIST(ctx, out->images, core_n_images);
	for (size_t i = 0; owned && i < core_n_images; i++)
		if (api_ids_has(in->image_ids, in->n_image_ids, core_images[i].id) &&
		    api_filters_match(ctx, &f, &core_images[i], NULL, 0))
			image_out(ctx, &core_images[i], &out->images[out->n_images++]);
	return 0;
}
