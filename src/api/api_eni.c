/* Network interfaces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

#define ENI(res) ((const struct core_eni *)(res))

/* The association of private address 'ip': an Elastic IP, or for the
 * primary address the auto-assigned public address; NULL if none. */
static struct ec2_network_interface_association *
assoc_out(struct api_ctx *ctx, const struct core_eni *eni, uint32_t ip)
{
	struct ec2_network_interface_association *a;
	const struct core_eip *eip = core_eip_for(ctx->model, eni, ip);

	if (eip == NULL && (ip != eni->ips[0] || eni->public_ip == 0))
		return NULL;
	a = arena_alloc(ctx->arena, sizeof(*a));
	if (eip) {
		a->allocation_id = eip->res.id;
		a->association_id = eip->assoc_id;
		a->ip_owner_id = eip->res.owner;
		a->public_ip = api_ip_str(ctx, eip->public_ip);
		a->public_dns_name = api_public_dns(ctx, eip->public_ip);
	} else {
		a->ip_owner_id = "amazon";
		a->public_ip = api_ip_str(ctx, eni->public_ip);
		a->public_dns_name = api_public_dns(ctx, eni->public_ip);
	}
	return a;
}

void
api_eni_out(struct api_ctx *ctx, const struct core_eni *eni, struct ec2_network_interface *out)
{
	const struct core_subnet *sn = core_find(ctx->model, CORE_SUBNET, NULL, eni->subnet_id);

	out->network_interface_id = eni->res.id;
	out->subnet_id = eni->subnet_id;
	out->vpc_id = eni->vpc_id;
	out->availability_zone = sn ? sn->az : NULL;
	out->description = eni->description;
	out->owner_id = eni->res.owner;
	out->mac_address = eni->mac;
	out->interface_type = eni->interface_type;
	out->private_ip_address = api_ip_str(ctx, eni->ips[0]);
	out->private_dns_name = api_private_dns(ctx, eni->ips[0]);
	out->requester_managed = EC2_BOOL(eni->is_requester_managed);
	if (eni->is_requester_managed)
		out->requester_id = "AWS";
	out->source_dest_check = EC2_BOOL(eni->source_dest_check);
	out->status = eni->instance_id[0] ? "in-use" : "available";
	out->groups = api_groups_out(ctx, eni, &out->n_groups);
	out->association = assoc_out(ctx, eni, eni->ips[0]);
	API_LIST(ctx, out->ipv6_addresses, 0);
	API_LIST(ctx, out->private_ip_addresses, eni->n_ips);
	for (size_t i = 0; i < eni->n_ips; i++) {
		struct ec2_network_interface_private_ip_address *p = &out->private_ip_addresses[i];

		p->private_ip_address = api_ip_str(ctx, eni->ips[i]);
		p->private_dns_name = api_private_dns(ctx, eni->ips[i]);
		p->primary = EC2_BOOL(i == 0);
		p->association = assoc_out(ctx, eni, eni->ips[i]);
	}
	out->n_private_ip_addresses = eni->n_ips;
	if (eni->instance_id[0]) {
		struct ec2_network_interface_attachment *a = arena_alloc(ctx->arena, sizeof(*a));

		a->attachment_id = eni->attachment_id;
		a->attach_time = EC2_INT(eni->attach_ms);
		a->delete_on_termination = EC2_BOOL(eni->delete_on_termination);
		a->device_index = EC2_INT(eni->device_index);
		a->network_card_index = EC2_INT(0);
		a->instance_id = eni->instance_id;
		a->instance_owner_id = eni->res.owner;
		a->status = "attached";
		out->attachment = a;
	}
	out->tag_set = api_tags_out(ctx, eni->res.tags, eni->res.n_tags, &out->n_tag_set);
	if (out->tag_set == NULL)
		API_LIST(ctx, out->tag_set, 0);
}

/* Looks up an interface the caller may change. */
static struct core_eni *
eni_lookup(struct api_ctx *ctx, const char *id)
{
	if (api_require(ctx, id, "NetworkInterfaceId"))
		return NULL;
	return api_lookup(ctx, CORE_ENI, id);
}

static int
parse_ips(struct api_ctx *ctx, const char *const *in, size_t n, const char *param,
    uint32_t **out)
{
	*out = arena_array(ctx->arena, n + 1, sizeof(**out));
	for (size_t i = 0; i < n; i++)
		if (api_parse_ip(ctx, in[i], param, &(*out)[i]))
			return -EINVAL;
	return 0;
}

int
api_create_network_interface(struct api_ctx *ctx,
    const struct ec2_create_network_interface_request *in,
    struct ec2_create_network_interface_result *out)
{
	struct core_eni_spec spec = { 0 };
	struct core_error cerr;
	struct core_eni *eni;
	uint32_t *secondary;
	size_t n_secondary = 0;

	if (api_require(ctx, in->subnet_id, "SubnetId"))
		return -EINVAL;
	if ((in->ipv6_address_count.set && in->ipv6_address_count.v) || in->n_ipv6_addresses ||
	    in->n_ipv4_prefixes || in->ipv4_prefix_count.set || in->n_ipv6_prefixes ||
	    in->ipv6_prefix_count.set)
		return api_fail(ctx, "UnsupportedOperation",
		    "vpcd does not support IPv6 addresses or prefixes on interfaces yet");
	if (in->interface_type && strcmp(in->interface_type, "interface") != 0)
		return api_fail(ctx, "UnsupportedOperation",
		    "vpcd supports only interfaces of type 'interface'");
	if ((spec.subnet = api_lookup(ctx, CORE_SUBNET, in->subnet_id)) == NULL)
		return -ENOENT;
	if (in->private_ip_address &&
	    api_parse_ip(ctx, in->private_ip_address, "PrivateIpAddress", &spec.primary_ip))
		return -EINVAL;
	secondary = arena_array(ctx->arena, in->n_private_ip_addresses + 1, sizeof(*secondary));
	for (size_t i = 0; i < in->n_private_ip_addresses; i++) {
		const struct ec2_private_ip_address_specification *p = &in->private_ip_addresses[i];
		uint32_t ip;

		if (p->private_ip_address == NULL)
			return api_fail(ctx, "MissingParameter",
			    "The request must contain the parameter PrivateIpAddresses.%zu."
			    "PrivateIpAddress", i + 1);
		if (api_parse_ip(ctx, p->private_ip_address, "PrivateIpAddresses", &ip))
			return -EINVAL;
		if (p->primary.set && p->primary.v) {
			if (spec.primary_ip && spec.primary_ip != ip)
				return api_fail(ctx, "InvalidParameterValue",
				    "Only one primary private IP address can be specified");
			spec.primary_ip = ip;
		} else if (ip != spec.primary_ip) {
			secondary[n_secondary++] = ip;
		}
	}
	spec.secondary_ips = secondary;
	spec.n_secondary_ips = n_secondary;
	if (in->secondary_private_ip_address_count.set) {
		if (in->secondary_private_ip_address_count.v < 0)
			return api_fail(ctx, "InvalidParameterValue",
			    "Value (%lld) for parameter secondaryPrivateIpAddressCount is invalid.",
			    (long long)in->secondary_private_ip_address_count.v);
		spec.n_secondary = (size_t)in->secondary_private_ip_address_count.v;
	}
	spec.description = in->description;
	spec.groups = in->groups;
	spec.n_groups = in->n_groups;
	if (api_tagspec_check(ctx, in->tag_specifications, in->n_tag_specifications,
	    "network-interface"))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_eni_create(ctx->model, ctx->owner, &spec, &eni, &cerr))
		return api_fail_core(ctx, &cerr);
	api_tagspec_apply(ctx, in->tag_specifications, in->n_tag_specifications,
	    "network-interface", &eni->res);
	out->network_interface = arena_alloc(ctx->arena, sizeof(*out->network_interface));
	api_eni_out(ctx, eni, out->network_interface);
	return 0;
}

int
api_delete_network_interface(struct api_ctx *ctx,
    const struct ec2_delete_network_interface_request *in)
{
	struct core_error cerr;
	struct core_eni *eni = eni_lookup(ctx, in->network_interface_id);

	if (eni == NULL)
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_eni_delete(ctx->model, eni, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

int
api_attach_network_interface(struct api_ctx *ctx,
    const struct ec2_attach_network_interface_request *in,
    struct ec2_attach_network_interface_result *out)
{
	struct core_error cerr;
	struct core_instance *inst;
	struct core_eni *eni;

	if (api_require(ctx, in->network_interface_id, "NetworkInterfaceId") ||
	    api_require(ctx, in->instance_id, "InstanceId"))
		return -EINVAL;
	if (!in->device_index.set)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter DeviceIndex");
	if (in->network_card_index.set && in->network_card_index.v != 0)
		return api_fail(ctx, "InvalidParameterValue",
		    "Value (%lld) for parameter networkCardIndex is invalid.",
		    (long long)in->network_card_index.v);
	if ((eni = api_lookup(ctx, CORE_ENI, in->network_interface_id)) == NULL ||
	    (inst = api_lookup(ctx, CORE_INSTANCE, in->instance_id)) == NULL)
		return -ENOENT;
	api_dry_run(ctx, in->dry_run);
	if (core_eni_attach(ctx->model, eni, inst, (int)in->device_index.v, &cerr))
		return api_fail_core(ctx, &cerr);
	out->attachment_id = eni->attachment_id;
	out->network_card_index = EC2_INT(0);
	return 0;
}

int
api_detach_network_interface(struct api_ctx *ctx,
    const struct ec2_detach_network_interface_request *in)
{
	struct core_error cerr;

	if (api_require(ctx, in->attachment_id, "AttachmentId"))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_eni_detach(ctx->model, ctx->owner, in->attachment_id,
	    in->force.set && in->force.v, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

int
api_modify_network_interface_attribute(struct api_ctx *ctx,
    const struct ec2_modify_network_interface_attribute_request *in)
{
	struct core_error cerr;
	struct core_eni *eni = eni_lookup(ctx, in->network_interface_id);
	int n = (in->attachment != NULL) + (in->description != NULL) + (in->n_groups != 0) +
	    (in->source_dest_check != NULL);

	if (eni == NULL)
		return -EINVAL;
	if (in->ena_srd_specification)
		return api_fail(ctx, "UnsupportedOperation", "vpcd does not support ENA Express");
	if (n == 0)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain exactly one attribute to modify");
	if (n > 1)
		return api_fail(ctx, "InvalidParameterCombination",
		    "Fields for multiple attribute types specified: only one attribute can "
		    "be modified at a time");
	if (core_eni_check_managed(eni, &cerr))
		return api_fail_core(ctx, &cerr);
	if (in->attachment) {
		if (in->attachment->attachment_id == NULL)
			return api_fail(ctx, "MissingParameter",
			    "The request must contain the parameter Attachment.AttachmentId");
		if (!eni->instance_id[0] ||
		    strcmp(eni->attachment_id, in->attachment->attachment_id) != 0)
			return api_fail(ctx, "InvalidAttachmentID.NotFound",
			    "The attachment ID '%s' does not exist", in->attachment->attachment_id);
	}
	api_dry_run(ctx, in->dry_run);
	if (in->n_groups)
		return core_eni_set_groups(ctx->model, eni, in->groups, in->n_groups, &cerr) ?
		    api_fail_core(ctx, &cerr) : 0;
	if (core_commit_point(ctx->model, &cerr))
		return api_fail_core(ctx, &cerr);
	if (in->attachment)
		eni->delete_on_termination = in->attachment->delete_on_termination.set &&
		    in->attachment->delete_on_termination.v;
	if (in->description) {
		free(eni->description);
		eni->description = xstrdup(in->description->value ? in->description->value : "");
	}
	if (in->source_dest_check)
		eni->source_dest_check = in->source_dest_check->value.set &&
		    in->source_dest_check->value.v;
	core_touch(ctx->model, &eni->res);
	return 0;
}

int
api_describe_network_interface_attribute(struct api_ctx *ctx,
    const struct ec2_describe_network_interface_attribute_request *in,
    struct ec2_describe_network_interface_attribute_result *out)
{
	struct core_eni *eni = eni_lookup(ctx, in->network_interface_id);
	struct ec2_network_interface full = { 0 };
	const char *a = in->attribute;

	if (eni == NULL || api_dry_run_check(ctx, in->dry_run))
		return -EINVAL;
	if (a == NULL)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter Attribute");
	out->network_interface_id = eni->res.id;
	if (strcmp(a, "description") == 0) {
		out->description = arena_alloc(ctx->arena, sizeof(*out->description));
		out->description->value = eni->description;
	} else if (strcmp(a, "groupSet") == 0) {
		out->groups = api_groups_out(ctx, eni, &out->n_groups);
	} else if (strcmp(a, "sourceDestCheck") == 0) {
		out->source_dest_check = arena_alloc(ctx->arena, sizeof(*out->source_dest_check));
		out->source_dest_check->value = EC2_BOOL(eni->source_dest_check);
	} else if (strcmp(a, "attachment") == 0) {
		api_eni_out(ctx, eni, &full);
		out->attachment = full.attachment;
	} else {
		return api_fail(ctx, "InvalidParameterValue",
		    "Value (%s) for parameter attribute is invalid. Unknown attribute.", a);
	}
	return 0;
}

int
api_assign_private_ip_addresses(struct api_ctx *ctx,
    const struct ec2_assign_private_ip_addresses_request *in,
    struct ec2_assign_private_ip_addresses_result *out)
{
	struct core_error cerr;
	struct core_eni *eni = eni_lookup(ctx, in->network_interface_id);
	size_t count = 0, before;
	uint32_t *ips;

	if (eni == NULL)
		return -EINVAL;
	if (in->n_ipv4_prefixes || in->ipv4_prefix_count.set)
		return api_fail(ctx, "UnsupportedOperation", "vpcd does not support IPv4 prefixes");
	if (in->secondary_private_ip_address_count.set) {
		if (in->secondary_private_ip_address_count.v < 1)
			return api_fail(ctx, "InvalidParameterValue",
			    "Value (%lld) for parameter secondaryPrivateIpAddressCount is invalid.",
			    (long long)in->secondary_private_ip_address_count.v);
		count = (size_t)in->secondary_private_ip_address_count.v;
	}
	if (count && in->n_private_ip_addresses)
		return api_fail(ctx, "InvalidParameterCombination",
		    "Specify either a secondary private IP address count or addresses, not both");
	if (!count && !in->n_private_ip_addresses)
		return api_fail(ctx, "MissingParameter",
		    "Either PrivateIpAddresses or SecondaryPrivateIpAddressCount is required");
	if (parse_ips(ctx, in->private_ip_addresses, in->n_private_ip_addresses,
	    "PrivateIpAddress", &ips))
		return -EINVAL;
	before = eni->n_ips;
	if (core_eni_assign_ips(ctx->model, eni, ips, in->n_private_ip_addresses, count,
	    in->allow_reassignment.set && in->allow_reassignment.v, &cerr))
		return api_fail_core(ctx, &cerr);
	out->network_interface_id = eni->res.id;
	API_LIST(ctx, out->assigned_private_ip_addresses, eni->n_ips - before);
	for (size_t i = before; i < eni->n_ips; i++)
		out->assigned_private_ip_addresses[out->n_assigned_private_ip_addresses++]
		    .private_ip_address = api_ip_str(ctx, eni->ips[i]);
	API_LIST(ctx, out->assigned_ipv4_prefixes, 0);
	return 0;
}

int
api_unassign_private_ip_addresses(struct api_ctx *ctx,
    const struct ec2_unassign_private_ip_addresses_request *in)
{
	struct core_error cerr;
	struct core_eni *eni = eni_lookup(ctx, in->network_interface_id);
	uint32_t *ips;

	if (eni == NULL)
		return -EINVAL;
	if (in->n_ipv4_prefixes)
		return api_fail(ctx, "UnsupportedOperation", "vpcd does not support IPv4 prefixes");
	if (in->n_private_ip_addresses == 0)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter PrivateIpAddress");
	if (parse_ips(ctx, in->private_ip_addresses, in->n_private_ip_addresses,
	    "PrivateIpAddress", &ips))
		return -EINVAL;
	if (core_eni_unassign_ips(ctx->model, eni, ips, in->n_private_ip_addresses, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

/* Filters. */
static void
f_addr_public(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < ENI(r)->n_ips; i++) {
		const struct core_eip *eip = core_eip_for(v->ctx->model, ENI(r), ENI(r)->ips[i]);

		if (eip)
			api_val(v, api_ip_str(v->ctx, eip->public_ip));
		else if (i == 0 && ENI(r)->public_ip)
			api_val(v, api_ip_str(v->ctx, ENI(r)->public_ip));
	}
}
static void
f_addr_owner(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < ENI(r)->n_ips; i++) {
		const struct core_eip *eip = core_eip_for(v->ctx->model, ENI(r), ENI(r)->ips[i]);

		if (eip)
			api_val(v, eip->res.owner);
		else if (i == 0 && ENI(r)->public_ip)
			api_val(v, "amazon");
	}
}
static void
f_addr_primary(struct api_vals *v, const void *r)
{
	api_val_bool(v, true);
	if (ENI(r)->n_ips > 1)
		api_val_bool(v, false);
}
static void
f_addr_private(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < ENI(r)->n_ips; i++)
		api_val(v, api_ip_str(v->ctx, ENI(r)->ips[i]));
}
static const struct core_eip *
primary_eip(struct api_vals *v, const void *r)
{
	return core_eip_for(v->ctx->model, ENI(r), ENI(r)->ips[0]);
}
static void
f_assoc_alloc(struct api_vals *v, const void *r)
{
	const struct core_eip *eip = primary_eip(v, r);

	if (eip)
		api_val(v, eip->res.id);
}
static void
f_assoc_id(struct api_vals *v, const void *r)
{
	const struct core_eip *eip = primary_eip(v, r);

	if (eip)
		api_val(v, eip->assoc_id);
}
static void
f_assoc_owner(struct api_vals *v, const void *r)
{
	const struct core_eip *eip = primary_eip(v, r);

	if (eip)
		api_val(v, eip->res.owner);
	else if (ENI(r)->public_ip)
		api_val(v, "amazon");
}
static void
f_assoc_ip(struct api_vals *v, const void *r)
{
	uint32_t ip = core_eni_public_ip(v->ctx->model, ENI(r));

	if (ip)
		api_val(v, api_ip_str(v->ctx, ip));
}
static void
f_assoc_dns(struct api_vals *v, const void *r)
{
	uint32_t ip = core_eni_public_ip(v->ctx->model, ENI(r));

	if (ip)
		api_val(v, api_public_dns(v->ctx, ip));
}
static void
f_att_time(struct api_vals *v, const void *r)
{
	char s[32];

	if (ENI(r)->instance_id[0]) {
		time_format_iso(ENI(r)->attach_ms, s);
		api_val(v, arena_strdup(v->ctx->arena, s));
	}
}
static void
f_att_id(struct api_vals *v, const void *r)
{
	if (ENI(r)->instance_id[0])
		api_val(v, ENI(r)->attachment_id);
}
static void
f_att_dot(struct api_vals *v, const void *r)
{
	if (ENI(r)->instance_id[0])
		api_val_bool(v, ENI(r)->delete_on_termination);
}
static void
f_att_index(struct api_vals *v, const void *r)
{
	if (ENI(r)->instance_id[0])
		api_val_int(v, ENI(r)->device_index);
}
static void
f_att_instance(struct api_vals *v, const void *r)
{
	if (ENI(r)->instance_id[0])
		api_val(v, ENI(r)->instance_id);
}
static void
f_att_owner(struct api_vals *v, const void *r)
{
	if (ENI(r)->instance_id[0])
		api_val(v, ENI(r)->res.owner);
}
static void
f_att_status(struct api_vals *v, const void *r)
{
	if (ENI(r)->instance_id[0])
		api_val(v, "attached");
}
static void
f_az(struct api_vals *v, const void *r)
{
	const struct core_subnet *sn = core_find(v->ctx->model, CORE_SUBNET, NULL,
	    ENI(r)->subnet_id);

	if (sn)
		api_val(v, sn->az);
}
static void f_description(struct api_vals *v, const void *r) { api_val(v, ENI(r)->description); }
static void
f_group_id(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < ENI(r)->n_groups; i++)
		api_val(v, ENI(r)->groups[i]);
}
static void
f_group_name(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < ENI(r)->n_groups; i++) {
		const struct core_sg *sg = core_find(v->ctx->model, CORE_SG, NULL, ENI(r)->groups[i]);

		if (sg)
			api_val(v, sg->name);
	}
}
static void f_type(struct api_vals *v, const void *r) { api_val(v, ENI(r)->interface_type); }
static void f_none(struct api_vals *v, const void *r) { }
static void f_mac(struct api_vals *v, const void *r) { api_val(v, ENI(r)->mac); }
static void f_id(struct api_vals *v, const void *r) { api_val(v, ENI(r)->res.id); }
static void f_owner(struct api_vals *v, const void *r) { api_val(v, ENI(r)->res.owner); }
static void
f_private_dns(struct api_vals *v, const void *r)
{
	for (size_t i = 0; i < ENI(r)->n_ips; i++)
		api_val(v, api_private_dns(v->ctx, ENI(r)->ips[i]));
}
static void
f_requester_id(struct api_vals *v, const void *r)
{
	if (ENI(r)->is_requester_managed)
		api_val(v, "AWS");
}
static void
f_requester_managed(struct api_vals *v, const void *r)
{
	api_val_bool(v, ENI(r)->is_requester_managed);
}
static void f_sdc(struct api_vals *v, const void *r) { api_val_bool(v, ENI(r)->source_dest_check); }
static void
f_status(struct api_vals *v, const void *r)
{
	api_val(v, ENI(r)->instance_id[0] ? "in-use" : "available");
}
static void f_subnet(struct api_vals *v, const void *r) { api_val(v, ENI(r)->subnet_id); }
static void f_vpc(struct api_vals *v, const void *r) { api_val(v, ENI(r)->vpc_id); }

static const struct api_filter_def eni_filters[] = {
	{ "addresses.association.owner-id", f_addr_owner },
	{ "addresses.association.public-ip", f_addr_public },
	{ "addresses.primary", f_addr_primary },
	{ "addresses.private-ip-address", f_addr_private },
	{ "association.allocation-id", f_assoc_alloc },
	{ "association.association-id", f_assoc_id },
	{ "association.ip-owner-id", f_assoc_owner },
	{ "association.public-dns-name", f_assoc_dns },
	{ "association.public-ip", f_assoc_ip },
	{ "attachment.attach-time", f_att_time },
	{ "attachment.attachment-id", f_att_id },
	{ "attachment.delete-on-termination", f_att_dot },
	{ "attachment.device-index", f_att_index },
	{ "attachment.instance-id", f_att_instance },
	{ "attachment.instance-owner-id", f_att_owner },
	{ "attachment.status", f_att_status },
	{ "availability-zone", f_az },
	{ "description", f_description },
	{ "group-id", f_group_id },
	{ "group-name", f_group_name },
	{ "interface-type", f_type },
	{ "ipv6-addresses.ipv6-address", f_none },
	{ "mac-address", f_mac },
	{ "network-interface-id", f_id },
	{ "owner-id", f_owner },
	{ "private-dns-name", f_private_dns },
	{ "private-ip-address", f_addr_private },
	{ "requester-id", f_requester_id },
	{ "requester-managed", f_requester_managed },
	{ "source-dest-check", f_sdc },
	{ "status", f_status },
	{ "subnet-id", f_subnet },
	{ "vpc-id", f_vpc },
};

int
api_describe_network_interfaces(struct api_ctx *ctx,
    const struct ec2_describe_network_interfaces_request *in,
    struct ec2_describe_network_interfaces_result *out)
{
	struct api_describe d;

	if (api_describe_begin(ctx, &d, &(struct api_describe_req){
	    .type = CORE_ENI, .ids_param = "networkInterfaceIds", .ids = in->network_interface_ids, .n_ids = in->n_network_interface_ids,
	    .max_results = in->max_results, .next_token = in->next_token, .max = 1000,
	    .defs = eni_filters, .n_defs = ARRAY_SIZE(eni_filters), .filters = in->filters,
	    .n_filters = in->n_filters, .dry_run = in->dry_run }))
		return -EINVAL;
	API_LIST(ctx, out->network_interfaces, d.n);
	for (size_t i = 0; i < d.n; i++) {
		struct core_res *r = d.set[i];

		if (!api_filters_match(ctx, &d.f, r, r->tags, r->n_tags) || !api_page_take(&d.pg, r->seq))
			continue;
		api_eni_out(ctx, ENI(r), &out->network_interfaces[out->n_network_interfaces++]);
	}
	out->next_token = api_page_token(ctx, &d.pg);
	return 0;
}
