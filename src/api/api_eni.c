/*
 * Network interfaces.  This version has no instances, so the model holds
 * no interfaces and DescribeNetworkInterfaces truthfully lists none; it
 * still validates ids, filter names, paging and DryRun exactly as AWS
 * does, because tools (Terraform before DeleteSubnet and
 * DeleteSecurityGroup) ask it whether anything is left.
 */
#include <string.h>

#include "api_int.h"

/* AWS's documented filter names; none can match while no interface exists. */
static void f_none(struct api_vals *v, const void *r) { }

static const struct api_filter_def eni_filters[] = {
	{ "addresses.association.owner-id", f_none },
	{ "addresses.association.public-ip", f_none },
	{ "addresses.primary", f_none },
	{ "addresses.private-ip-address", f_none },
	{ "association.allocation-id", f_none },
	{ "association.association-id", f_none },
	{ "association.ip-owner-id", f_none },
	{ "association.public-dns-name", f_none },
	{ "association.public-ip", f_none },
	{ "attachment.attach-time", f_none },
	{ "attachment.attachment-id", f_none },
	{ "attachment.delete-on-termination", f_none },
	{ "attachment.device-index", f_none },
	{ "attachment.instance-id", f_none },
	{ "attachment.instance-owner-id", f_none },
	{ "attachment.status", f_none },
	{ "availability-zone", f_none },
	{ "description", f_none },
	{ "group-id", f_none },
	{ "group-name", f_none },
	{ "interface-type", f_none },
	{ "ipv6-addresses.ipv6-address", f_none },
	{ "mac-address", f_none },
	{ "network-interface-id", f_none },
	{ "owner-id", f_none },
	{ "private-dns-name", f_none },
	{ "private-ip-address", f_none },
	{ "requester-id", f_none },
	{ "requester-managed", f_none },
	{ "source-dest-check", f_none },
	{ "status", f_none },
	{ "subnet-id", f_none },
	{ "vpc-id", f_none },
};

int
api_describe_network_interfaces(struct api_ctx *ctx,
    const struct ec2_describe_network_interfaces_request *in,
    struct ec2_describe_network_interfaces_result *out)
{
	struct api_filters f;
	struct api_page pg;

	if (in->max_results.set && in->n_network_interface_ids)
		return api_fail(ctx, "InvalidParameterCombination",
		    "The parameter networkInterfaceIds cannot be used with the parameter "
		    "maxResults");
	if (api_page_init(ctx, &pg, in->max_results, in->next_token, 5, 1000) ||
	    api_filters_init(ctx, &f, eni_filters, ARRAY_SIZE(eni_filters), in->filters,
	    in->n_filters))
		return -EINVAL;
	if (in->n_network_interface_ids)
		return api_fail(ctx, "InvalidNetworkInterfaceID.NotFound",
		    "The networkInterface ID '%s' does not exist",
		    in->network_interface_ids[0]);
	if (api_dry_run_check(ctx, in->dry_run))
		return -EINVAL;
	API_LIST(ctx, out->network_interfaces, 0);
	return 0;
}
