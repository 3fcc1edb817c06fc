/* Security groups and their rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

#define SG(res) ((const struct core_sg *)(res))

/* The group a request names by id, or by name in the default VPC. */
static struct core_sg *
sg_target(struct api_ctx *ctx, const char *group_id, const char *group_name)
{
	struct core_vpc *def;
	struct core_sg *sg;

	if (group_id)
		return api_lookup(ctx, CORE_SG, group_id);
	if (group_name == NULL) {
		api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter GroupId");
		return NULL;
	}
	def = core_vpc_default(ctx->model, ctx->owner);
	sg = def ? core_sg_by_name(ctx->model, ctx->owner, def->res.id, group_name) : NULL;
	if (sg == NULL)
		api_fail(ctx, "InvalidGroup.NotFound",
		    "The security group '%s' does not exist in default VPC '%s'", group_name,
		    def ? def->res.id : "none");
	return sg;
}

/* Fills the protocol and ports of a rule from the API's fields. */
static int
rule_proto(struct api_ctx *ctx, const char *proto, struct ec2_opt_int from,
    struct ec2_opt_int to, struct core_sg_rule *r)
{
	if (proto == NULL)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter IpProtocol");
	if (core_proto_parse(proto, &r->proto))
		return api_fail(ctx, "InvalidParameterValue",
		    "Invalid value '%s' for IP protocol. Unknown protocol.", proto);
	if (r->proto == 58)
		return api_fail(ctx, "UnsupportedOperation",
		    "vpcd does not support IPv6 (icmpv6) rules yet");
	r->from_port = from.set ? (int)from.v : -1;
	r->to_port = to.set ? (int)to.v : -1;
	return 0;
}

/*
 * Turns IpPermissions into rules: one rule per range or group pair.
 * Returns the number of rules in '*out' (arena), or -EINVAL.  IPv6 ranges
 * and prefix lists are refused, except when 'revoking': no such rule can
 * exist, so they are left out here and reported as unknown by revoke().
 */
static int
perms_to_rules(struct api_ctx *ctx, const struct core_sg *sg, bool egress, bool revoking,
    const struct ec2_ip_permission *perms, size_t n_perms, struct core_sg_rule **out)
{
	struct core_error cerr;
	size_t total = 0, k = 0;

	for (size_t i = 0; i < n_perms; i++) {
		if (!revoking && (perms[i].n_ipv6_ranges || perms[i].n_prefix_list_ids))
			return api_fail(ctx, "UnsupportedOperation",
			    "vpcd does not support IPv6 ranges or prefix lists in rules yet");
		total += perms[i].n_ip_ranges + perms[i].n_user_id_group_pairs;
	}
	*out = arena_array(ctx->arena, total ? total : 1, sizeof(**out));
	for (size_t i = 0; i < n_perms; i++) {
		const struct ec2_ip_permission *p = &perms[i];
		struct core_sg_rule base = { .is_egress = egress };

		if (rule_proto(ctx, p->ip_protocol, p->from_port, p->to_port, &base))
			return -EINVAL;
		if (p->n_ip_ranges + p->n_user_id_group_pairs + p->n_ipv6_ranges +
		    p->n_prefix_list_ids == 0)
			return api_fail(ctx, "InvalidParameterValue",
			    "A rule needs at least one IP range or security group as its "
			    "%s", egress ? "destination" : "source");
		for (size_t j = 0; j < p->n_ip_ranges; j++) {
			struct core_sg_rule *r = &(*out)[k++];

			*r = base;
			r->peer = CORE_PEER_CIDR;
			r->description = (char *)p->ip_ranges[j].description;
			if (api_parse_cidr(ctx, p->ip_ranges[j].cidr_ip, "CidrIp", &r->cidr))
				return -EINVAL;
			if (core_sg_rule_check(ctx->model, sg, r, &cerr))
				return api_fail_core(ctx, &cerr);
		}
		for (size_t j = 0; j < p->n_user_id_group_pairs; j++) {
			const struct ec2_user_id_group_pair *g = &p->user_id_group_pairs[j];
			struct core_sg_rule *r = &(*out)[k++];
			const char *gid = g->group_id;

			*r = base;
			r->peer = CORE_PEER_GROUP;
			r->description = (char *)g->description;
			if (gid == NULL && g->group_name) {
				struct core_sg *named = core_sg_by_name(ctx->model, ctx->owner,
				    sg->vpc_id, g->group_name);

				if (named == NULL)
					return api_fail(ctx, "InvalidGroup.NotFound",
					    "The security group '%s' does not exist in VPC '%s'",
					    g->group_name, sg->vpc_id);
				gid = named->res.id;
			}
			if (gid == NULL)
				return api_fail(ctx, "MissingParameter",
				    "The request must contain the parameter GroupId of a "
				    "referenced group");
			if (strlen(gid) >= sizeof(r->group_id))
				return api_fail(ctx, "InvalidGroup.NotFound",
				    "The security group '%s' does not exist", gid);
			STR_COPY(r->group_id, gid);
			if (g->user_id && strlen(g->user_id) < sizeof(r->group_owner))
				STR_COPY(r->group_owner, g->user_id);
			if (core_sg_rule_check(ctx->model, sg, r, &cerr))
				return api_fail_core(ctx, &cerr);
		}
	}
	return (int)total;
}

/* The legacy top-level form (CidrIp, IpProtocol, FromPort, ToPort,
 * SourceSecurityGroupName) as one IpPermission. */
static int
legacy_perm(struct api_ctx *ctx, const char *cidr, const char *proto, struct ec2_opt_int from,
    struct ec2_opt_int to, const char *src_name, const char *src_owner,
    struct ec2_ip_permission **perms, size_t *n)
{
	struct ec2_ip_permission *p;

	if (!cidr && !proto && !from.set && !to.set && !src_name)
		return 0;
	if (*n)
		return api_fail(ctx, "InvalidParameterCombination",
		    "The parameter IpPermissions cannot be used with CidrIp, IpProtocol, "
		    "FromPort, ToPort or SourceSecurityGroupName");
	p = arena_alloc(ctx->arena, sizeof(*p));
	p->ip_protocol = proto ? proto : (src_name ? "-1" : NULL);
	p->from_port = from;
	p->to_port = to;
	if (cidr) {
		p->n_ip_ranges = 1;
		p->ip_ranges = arena_alloc(ctx->arena, sizeof(*p->ip_ranges));
		p->ip_ranges->cidr_ip = cidr;
	}
	if (src_name) {
		p->n_user_id_group_pairs = 1;
		p->user_id_group_pairs = arena_alloc(ctx->arena, sizeof(*p->user_id_group_pairs));
		p->user_id_group_pairs->group_name = src_name;
		p->user_id_group_pairs->user_id = src_owner;
	}
	*perms = p;
	*n = 1;
	return 0;
}

/*
 * A rule that references a group in a peer VPC names that VPC, the
 * peering connection and its status ("active", or "deleted" once the
 * connection is gone: the rule is stale and matches nothing).
 */
static void
peer_vpc_out(struct api_ctx *ctx, const struct core_sg *sg, const struct core_sg_rule *r,
    const char **vpc_id, const char **pcx_id, const char **status)
{
	const struct core_sg *peer = core_find(ctx->model, CORE_SG, r->group_owner, r->group_id);
	const struct core_pcx *pcx = NULL;

	if (peer == NULL || strcmp(peer->vpc_id, sg->vpc_id) == 0)
		return;
	*vpc_id = peer->vpc_id;
	/* The active connection, else the latest one between the two. */
	CORE_FOREACH(ctx->model, CORE_PCX, res) {
		const struct core_pcx *p = (const struct core_pcx *)res;

		if (((strcmp(p->vpc_id, sg->vpc_id) == 0 && strcmp(p->peer_vpc_id, peer->vpc_id) == 0) ||
		    (strcmp(p->vpc_id, peer->vpc_id) == 0 && strcmp(p->peer_vpc_id, sg->vpc_id) == 0)) &&
		    (pcx == NULL || pcx->state != CORE_PCX_ACTIVE))
			pcx = p;
	}
	if (pcx) {
		*pcx_id = pcx->res.id;
		*status = pcx->state == CORE_PCX_ACTIVE ? "active" : "deleted";
	}
}

static void
api_sg_rule_out(struct api_ctx *ctx, const struct core_sg *sg, const struct core_sg_rule *r,
    struct ec2_security_group_rule *out)
{
	char *proto = arena_alloc(ctx->arena, 8);

	core_proto_format(r->proto, proto);
	out->security_group_rule_id = r->id;
	out->group_id = sg->res.id;
	out->group_owner_id = sg->res.owner;
	out->is_egress = EC2_BOOL(r->is_egress);
	out->ip_protocol = proto;
	out->from_port = EC2_INT(r->from_port);
	out->to_port = EC2_INT(r->to_port);
	if (r->peer == CORE_PEER_CIDR) {
		out->cidr_ipv4 = api_cidr_str(ctx, &r->cidr);
	} else {
		out->referenced_group_info =
		    arena_alloc(ctx->arena, sizeof(*out->referenced_group_info));
		out->referenced_group_info->group_id = r->group_id;
		out->referenced_group_info->user_id = r->group_owner;
		peer_vpc_out(ctx, sg, r, &out->referenced_group_info->vpc_id,
		    &out->referenced_group_info->vpc_peering_connection_id,
		    &out->referenced_group_info->peering_status);
	}
	out->description = r->description;
	out->tags = api_tags_out(ctx, r->tags, r->n_tags, &out->n_tags);
}

static bool
same_ports(const struct core_sg_rule *a, const struct core_sg_rule *b)
{
	return a->proto == b->proto && a->from_port == b->from_port && a->to_port == b->to_port;
}

/* Groups one direction's rules into IpPermissions by protocol and ports,
 * as DescribeSecurityGroups shows them. */
static struct ec2_ip_permission *
rules_to_perms(struct api_ctx *ctx, const struct core_sg *sg, bool egress, size_t *n_out)
{
	struct ec2_ip_permission *perms;
	const struct core_sg_rule **heads;
	size_t n = 0;

	API_LIST(ctx, perms, sg->n_rules);
	heads = arena_array(ctx->arena, sg->n_rules + 1, sizeof(*heads));
	for (size_t i = 0; i < sg->n_rules; i++) {
		const struct core_sg_rule *r = &sg->rules[i];
		struct ec2_ip_permission *p = NULL;

		if (r->is_egress != egress)
			continue;
		for (size_t j = 0; j < n && !p; j++)
			if (same_ports(heads[j], r))
				p = &perms[j];
		if (p == NULL) {
			char *proto = arena_alloc(ctx->arena, 8);

			heads[n] = r;
			p = &perms[n++];
			core_proto_format(r->proto, proto);
			p->ip_protocol = proto;
			if (r->proto != -1 && (r->from_port != -1 || r->proto == 1)) {
				p->from_port = EC2_INT(r->from_port);
				p->to_port = EC2_INT(r->to_port);
			}
			API_LIST(ctx, p->ip_ranges, sg->n_rules);
			API_LIST(ctx, p->user_id_group_pairs, sg->n_rules);
			API_LIST(ctx, p->ipv6_ranges, 0);
			API_LIST(ctx, p->prefix_list_ids, 0);
		}
		if (r->peer == CORE_PEER_CIDR) {
			struct ec2_ip_range *ir = &p->ip_ranges[p->n_ip_ranges++];

			ir->cidr_ip = api_cidr_str(ctx, &r->cidr);
			ir->description = r->description;
		} else {
			struct ec2_user_id_group_pair *g =
			    &p->user_id_group_pairs[p->n_user_id_group_pairs++];

			g->group_id = r->group_id;
			g->user_id = r->group_owner;
			g->description = r->description;
			peer_vpc_out(ctx, sg, r, &g->vpc_id, &g->vpc_peering_connection_id,
			    &g->peering_status);
		}
	}
	*n_out = n;
	return perms;
}

static void
sg_out(struct api_ctx *ctx, const struct core_sg *sg, struct ec2_security_group *out)
{
	out->group_id = sg->res.id;
	out->group_name = sg->name;
	out->description = sg->description;
	out->owner_id = sg->res.owner;
	out->vpc_id = sg->vpc_id;
	out->ip_permissions = rules_to_perms(ctx, sg, false, &out->n_ip_permissions);
	out->ip_permissions_egress = rules_to_perms(ctx, sg, true, &out->n_ip_permissions_egress);
	out->tags = api_tags_out(ctx, sg->res.tags, sg->res.n_tags, &out->n_tags);
}

int
api_create_security_group(struct api_ctx *ctx,
    const struct ec2_create_security_group_request *in,
    struct ec2_create_security_group_result *out)
{
	struct core_error cerr;
	struct core_vpc *vpc;
	struct core_sg *sg;

	if (api_require(ctx, in->group_name, "GroupName") ||
	    api_require(ctx, in->description, "GroupDescription"))
		return -EINVAL;
	if (in->vpc_id) {
		if ((vpc = api_lookup(ctx, CORE_VPC, in->vpc_id)) == NULL)
			return -ENOENT;
	} else if ((vpc = core_vpc_default(ctx->model, ctx->owner)) == NULL) {
		return api_fail(ctx, "VPCIdNotSpecified", "No default VPC for this user");
	}
	if (api_tagspec_check(ctx, in->tag_specifications, in->n_tag_specifications,
	    "security-group"))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (core_sg_create(ctx->model, vpc, in->group_name, in->description, &sg, &cerr))
		return api_fail_core(ctx, &cerr);
	api_tagspec_apply(ctx, in->tag_specifications, in->n_tag_specifications,
	    "security-group", &sg->res);
	out->group_id = sg->res.id;
	out->tags = api_tags_out(ctx, sg->res.tags, sg->res.n_tags, &out->n_tags);
	return 0;
}

int
api_delete_security_group(struct api_ctx *ctx,
    const struct ec2_delete_security_group_request *in)
{
	struct core_error cerr;
	struct core_sg *sg = sg_target(ctx, in->group_id, in->group_name);

	if (sg == NULL)
		return -ENOENT;
	api_dry_run(ctx, in->dry_run);
	if (core_sg_delete(ctx->model, sg, &cerr))
		return api_fail_core(ctx, &cerr);
	return 0;
}

static int
authorize(struct api_ctx *ctx, bool egress, const char *group_id, const char *group_name,
    const struct ec2_ip_permission *perms, size_t n_perms,
    const struct ec2_tag_specification *specs, size_t n_specs,
    struct ec2_security_group_rule **rules_out, size_t *n_out)
{
	struct core_sg *sg = sg_target(ctx, group_id, group_name);
	struct core_sg_rule *rules;
	struct core_error cerr;
	int n;

	if (sg == NULL)
		return -ENOENT;
	if (n_perms == 0)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter ipPermissions");
	if (api_tagspec_check(ctx, specs, n_specs, "security-group-rule"))
		return -EINVAL;
	if ((n = perms_to_rules(ctx, sg, egress, false, perms, n_perms, &rules)) < 0)
		return -EINVAL;
	/* Tags from TagSpecifications go on every new rule. */
	for (int i = 0; i < n; i++)
		for (size_t s = 0; s < n_specs; s++)
			for (size_t t = 0; t < specs[s].n_tags; t++) {
				struct core_tag *tags = arena_array(ctx->arena,
				    rules[i].n_tags + 1, sizeof(*tags));

				if (rules[i].n_tags)
					memcpy(tags, rules[i].tags, rules[i].n_tags * sizeof(*tags));
				tags[rules[i].n_tags].key = (char *)specs[s].tags[t].key;
				tags[rules[i].n_tags].value = (char *)specs[s].tags[t].value;
				rules[i].tags = tags;
				rules[i].n_tags++;
			}
	if (core_sg_rules_add(ctx->model, sg, rules, (size_t)n, &cerr))
		return api_fail_core(ctx, &cerr);
	*n_out = (size_t)n;
	API_LIST(ctx, *rules_out, (size_t)n);
	for (int i = 0; i < n; i++)
		api_sg_rule_out(ctx, sg, &sg->rules[sg->n_rules - (size_t)n + (size_t)i],
		    &(*rules_out)[i]);
	return 0;
}

int
api_authorize_security_group_ingress(struct api_ctx *ctx,
    const struct ec2_authorize_security_group_ingress_request *in,
    struct ec2_authorize_security_group_ingress_result *out)
{
	struct ec2_ip_permission *perms = in->ip_permissions;
	size_t n = in->n_ip_permissions;

	if (legacy_perm(ctx, in->cidr_ip, in->ip_protocol, in->from_port, in->to_port,
	    in->source_security_group_name, in->source_security_group_owner_id, &perms, &n))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (authorize(ctx, false, in->group_id, in->group_name, perms, n,
	    in->tag_specifications, in->n_tag_specifications, &out->security_group_rules,
	    &out->n_security_group_rules))
		return -EINVAL;
	out->return_ = EC2_BOOL(true);
	return 0;
}

int
api_authorize_security_group_egress(struct api_ctx *ctx,
    const struct ec2_authorize_security_group_egress_request *in,
    struct ec2_authorize_security_group_egress_result *out)
{
	struct ec2_ip_permission *perms = in->ip_permissions;
	size_t n = in->n_ip_permissions;

	if (api_require(ctx, in->group_id, "GroupId"))
		return -EINVAL;
	if (legacy_perm(ctx, in->cidr_ip, in->ip_protocol, in->from_port, in->to_port,
	    in->source_security_group_name, in->source_security_group_owner_id, &perms, &n))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (authorize(ctx, true, in->group_id, NULL, perms, n, in->tag_specifications,
	    in->n_tag_specifications, &out->security_group_rules,
	    &out->n_security_group_rules))
		return -EINVAL;
	out->return_ = EC2_BOOL(true);
	return 0;
}

static int
revoke(struct api_ctx *ctx, bool egress, const char *group_id, const char *group_name,
    const struct ec2_ip_permission *perms, size_t n_perms, const char *const *rule_ids,
    size_t n_rule_ids, struct ec2_ip_permission **unknown, size_t *n_unknown)
{
	struct core_sg *sg = sg_target(ctx, group_id, group_name);
	struct core_sg_rule *rules;
	struct core_error cerr;
	bool *found;
	int n;

	if (sg == NULL)
		return -ENOENT;
	if (n_rule_ids && n_perms)
		return api_fail(ctx, "InvalidParameterCombination",
		    "The parameter SecurityGroupRuleIds cannot be used with IpPermissions");
	if (n_rule_ids) {
		if (core_sg_rules_remove_ids(ctx->model, sg, egress, rule_ids, n_rule_ids, &cerr))
			return api_fail_core(ctx, &cerr);
		return 0;
	}
	if (n_perms == 0)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter ipPermissions");
	if ((n = perms_to_rules(ctx, sg, egress, true, perms, n_perms, &rules)) < 0)
		return -EINVAL;
	/* Only IPv6 ranges or prefix lists: vpcd never has such rules. */
	if (n == 0)
		return api_fail(ctx, "InvalidPermission.NotFound",
		    "The specified rule does not exist in this security group.");
	found = arena_array(ctx->arena, (size_t)n + 1, sizeof(*found));
	if (core_sg_rules_remove(ctx->model, sg, rules, (size_t)n, found, &cerr))
		return api_fail_core(ctx, &cerr);
	/* Rules that matched nothing come back as UnknownIpPermissions. */
	API_LIST(ctx, *unknown, (size_t)n + n_perms);
	for (int i = 0; i < n; i++) {
		struct ec2_ip_permission *p;
		struct core_sg tmp = { 0 };

		if (found[i])
			continue;
		tmp.rules = &rules[i];
		tmp.n_rules = 1;
		p = rules_to_perms(ctx, &tmp, egress, &(size_t){ 0 });
		(*unknown)[(*n_unknown)++] = *p;
	}
	for (size_t i = 0; i < n_perms; i++) {
		struct ec2_ip_permission *p;

		if (perms[i].n_ipv6_ranges + perms[i].n_prefix_list_ids == 0)
			continue;
		p = &(*unknown)[(*n_unknown)++];
		*p = perms[i];
		API_LIST(ctx, p->ip_ranges, 0);
		API_LIST(ctx, p->user_id_group_pairs, 0);
		p->n_ip_ranges = p->n_user_id_group_pairs = 0;
	}
	return 0;
}

int
api_revoke_security_group_ingress(struct api_ctx *ctx,
    const struct ec2_revoke_security_group_ingress_request *in,
    struct ec2_revoke_security_group_ingress_result *out)
{
	struct ec2_ip_permission *perms = in->ip_permissions;
	size_t n = in->n_ip_permissions;

	if (legacy_perm(ctx, in->cidr_ip, in->ip_protocol, in->from_port, in->to_port,
	    in->source_security_group_name, in->source_security_group_owner_id, &perms, &n))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (revoke(ctx, false, in->group_id, in->group_name, perms, n,
	    in->security_group_rule_ids, in->n_security_group_rule_ids,
	    &out->unknown_ip_permissions, &out->n_unknown_ip_permissions))
		return -EINVAL;
	out->return_ = EC2_BOOL(true);
	return 0;
}

int
api_revoke_security_group_egress(struct api_ctx *ctx,
    const struct ec2_revoke_security_group_egress_request *in,
    struct ec2_revoke_security_group_egress_result *out)
{
	struct ec2_ip_permission *perms = in->ip_permissions;
	size_t n = in->n_ip_permissions;

	if (api_require(ctx, in->group_id, "GroupId"))
		return -EINVAL;
	if (legacy_perm(ctx, in->cidr_ip, in->ip_protocol, in->from_port, in->to_port,
	    in->source_security_group_name, in->source_security_group_owner_id, &perms, &n))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	if (revoke(ctx, true, in->group_id, NULL, perms, n, in->security_group_rule_ids,
	    in->n_security_group_rule_ids, &out->unknown_ip_permissions,
	    &out->n_unknown_ip_permissions))
		return -EINVAL;
	out->return_ = EC2_BOOL(true);
	return 0;
}

int
api_modify_security_group_rules(struct api_ctx *ctx,
    const struct ec2_modify_security_group_rules_request *in,
    struct ec2_modify_security_group_rules_result *out)
{
	struct core_sg *sg;
	struct core_sg_rule *rules;
	struct core_error cerr;

	if (api_require(ctx, in->group_id, "GroupId"))
		return -EINVAL;
	if ((sg = api_lookup(ctx, CORE_SG, in->group_id)) == NULL)
		return -ENOENT;
	if (in->n_security_group_rules == 0)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter SecurityGroupRule");
	rules = arena_array(ctx->arena, in->n_security_group_rules, sizeof(*rules));
	for (size_t i = 0; i < in->n_security_group_rules; i++) {
		const struct ec2_security_group_rule_update *u = &in->security_group_rules[i];
		const struct ec2_security_group_rule_request *q = u->security_group_rule;
		struct core_sg_rule *r = &rules[i], *old;

		if (api_require(ctx, u->security_group_rule_id, "SecurityGroupRuleId"))
			return -EINVAL;
		if ((old = core_sg_rule_find(sg, u->security_group_rule_id)) == NULL)
			return api_fail(ctx, "InvalidSecurityGroupRuleId.NotFound",
			    "The security group rule ID '%s' does not exist",
			    u->security_group_rule_id);
		if (q == NULL)
			return api_fail(ctx, "MissingParameter",
			    "The request must contain the parameter SecurityGroupRule");
		if (q->cidr_ipv6 || q->prefix_list_id)
			return api_fail(ctx, "UnsupportedOperation",
			    "vpcd does not support IPv6 ranges or prefix lists in rules yet");
		if (!!q->cidr_ipv4 + !!q->referenced_group_id != 1)
			return api_fail(ctx, "InvalidParameterCombination",
			    "A rule needs exactly one of CidrIpv4 and ReferencedGroupId");
		r->is_egress = old->is_egress;
		if (rule_proto(ctx, q->ip_protocol, q->from_port, q->to_port, r))
			return -EINVAL;
		r->description = (char *)q->description;
		if (q->cidr_ipv4) {
			r->peer = CORE_PEER_CIDR;
			if (api_parse_cidr(ctx, q->cidr_ipv4, "CidrIpv4", &r->cidr))
				return -EINVAL;
		} else {
			r->peer = CORE_PEER_GROUP;
			if (strlen(q->referenced_group_id) >= sizeof(r->group_id))
				return api_fail(ctx, "InvalidGroup.NotFound",
				    "The security group '%s' does not exist",
				    q->referenced_group_id);
			STR_COPY(r->group_id, q->referenced_group_id);
		}
		if (core_sg_rule_check(ctx->model, sg, r, &cerr))
			return api_fail_core(ctx, &cerr);
	}
	api_dry_run(ctx, in->dry_run);
	for (size_t i = 0; i < in->n_security_group_rules; i++)
		if (core_sg_rule_modify(ctx->model, sg,
		    in->security_group_rules[i].security_group_rule_id, &rules[i], &cerr))
			return api_fail_core(ctx, &cerr);
	out->return_ = EC2_BOOL(true);
	return 0;
}

static int
update_descriptions(struct api_ctx *ctx, bool egress, const char *group_id,
    const char *group_name, const struct ec2_ip_permission *perms, size_t n_perms,
    const struct ec2_security_group_rule_description *descs, size_t n_descs)
{
	struct core_sg *sg = sg_target(ctx, group_id, group_name);
	struct core_sg_rule *rules, *r;
	struct core_error cerr;
	int n;

	if (sg == NULL)
		return -ENOENT;
	if (!n_perms == !n_descs)
		return api_fail(ctx, "InvalidParameterCombination",
		    "Specify exactly one of IpPermissions and SecurityGroupRuleDescriptions");
	for (size_t i = 0; i < n_descs; i++) {
		if (api_require(ctx, descs[i].security_group_rule_id, "SecurityGroupRuleId"))
			return -EINVAL;
		r = core_sg_rule_find(sg, descs[i].security_group_rule_id);
		if (r == NULL || r->is_egress != egress)
			return api_fail(ctx, "InvalidSecurityGroupRuleId.NotFound",
			    "The security group rule ID '%s' does not exist",
			    descs[i].security_group_rule_id);
	}
	if ((n = perms_to_rules(ctx, sg, egress, false, perms, n_perms, &rules)) < 0)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < sg->n_rules && !core_sg_rule_equal(&sg->rules[j], &rules[i]); j++)
			;
		if (j == sg->n_rules)
			return api_fail(ctx, "InvalidPermission.NotFound",
			    "The specified rule does not exist in this security group.");
	}
	if (core_commit_point(ctx->model, &cerr))
		return api_fail_core(ctx, &cerr);
	for (size_t i = 0; i < n_descs; i++) {
		r = core_sg_rule_find(sg, descs[i].security_group_rule_id);
		free(r->description);
		r->description = descs[i].description ? xstrdup(descs[i].description) : NULL;
	}
	for (int i = 0; i < n; i++)
		for (size_t j = 0; j < sg->n_rules; j++)
			if (core_sg_rule_equal(&sg->rules[j], &rules[i])) {
				free(sg->rules[j].description);
				sg->rules[j].description = rules[i].description ?
				    xstrdup(rules[i].description) : NULL;
			}
	core_touch(ctx->model, &sg->res);
	return 0;
}

int
api_update_security_group_rule_descriptions_ingress(struct api_ctx *ctx,
    const struct ec2_update_security_group_rule_descriptions_ingress_request *in,
    struct ec2_update_security_group_rule_descriptions_ingress_result *out)
{
	api_dry_run(ctx, in->dry_run);
	if (update_descriptions(ctx, false, in->group_id, in->group_name, in->ip_permissions,
	    in->n_ip_permissions, in->security_group_rule_descriptions,
	    in->n_security_group_rule_descriptions))
		return -EINVAL;
	out->return_ = EC2_BOOL(true);
	return 0;
}

int
api_update_security_group_rule_descriptions_egress(struct api_ctx *ctx,
    const struct ec2_update_security_group_rule_descriptions_egress_request *in,
    struct ec2_update_security_group_rule_descriptions_egress_result *out)
{
	api_dry_run(ctx, in->dry_run);
	if (update_descriptions(ctx, true, in->group_id, in->group_name, in->ip_permissions,
	    in->n_ip_permissions, in->security_group_rule_descriptions,
	    in->n_security_group_rule_descriptions))
		return -EINVAL;
	out->return_ = EC2_BOOL(true);
	return 0;
}

/* Filters over a group's rules in one direction. */
static void
rule_vals(struct api_vals *v, const void *res, bool egress, int what)
{
	const struct core_sg *sg = res;

	for (size_t i = 0; i < sg->n_rules; i++) {
		const struct core_sg_rule *r = &sg->rules[i];
		char *proto;

		if (r->is_egress != egress)
			continue;
		switch (what) {
		case 0:
			if (r->peer == CORE_PEER_CIDR)
				api_val(v, api_cidr_str(v->ctx, &r->cidr));
			break;
		case 1:
			api_val_int(v, r->from_port);
			break;
		case 2:
			api_val_int(v, r->to_port);
			break;
		case 3:
			proto = arena_alloc(v->ctx->arena, 8);
			core_proto_format(r->proto, proto);
			api_val(v, proto);
			break;
		case 4:
			if (r->peer == CORE_PEER_GROUP)
				api_val(v, r->group_id);
			break;
		case 5:
			if (r->peer == CORE_PEER_GROUP) {
				const struct core_sg *g = core_find(v->ctx->model, CORE_SG,
				    r->group_owner, r->group_id);

				if (g)
					api_val(v, g->name);
			}
			break;
		case 6:
			if (r->peer == CORE_PEER_GROUP)
				api_val(v, r->group_owner);
			break;
		}
	}
}

#define RULE_FILTER(name, egress, what) \
	static void name(struct api_vals *v, const void *r) { rule_vals(v, r, egress, what); }
RULE_FILTER(f_in_cidr, false, 0)
RULE_FILTER(f_in_from, false, 1)
RULE_FILTER(f_in_to, false, 2)
RULE_FILTER(f_in_proto, false, 3)
RULE_FILTER(f_in_group_id, false, 4)
RULE_FILTER(f_in_group_name, false, 5)
RULE_FILTER(f_in_user, false, 6)
RULE_FILTER(f_eg_cidr, true, 0)
RULE_FILTER(f_eg_from, true, 1)
RULE_FILTER(f_eg_to, true, 2)
RULE_FILTER(f_eg_proto, true, 3)
RULE_FILTER(f_eg_group_id, true, 4)
RULE_FILTER(f_eg_group_name, true, 5)
RULE_FILTER(f_eg_user, true, 6)
static void f_none(struct api_vals *v, const void *r) { }
static void f_desc(struct api_vals *v, const void *r) { api_val(v, SG(r)->description); }
static void f_sg_id(struct api_vals *v, const void *r) { api_val(v, SG(r)->res.id); }
static void f_sg_name(struct api_vals *v, const void *r) { api_val(v, SG(r)->name); }
static void f_sg_owner(struct api_vals *v, const void *r) { api_val(v, SG(r)->res.owner); }
static void f_sg_vpc(struct api_vals *v, const void *r) { api_val(v, SG(r)->vpc_id); }

static const struct api_filter_def sg_filters[] = {
	{ "description", f_desc },
	{ "egress.ip-permission.cidr", f_eg_cidr },
	{ "egress.ip-permission.from-port", f_eg_from },
	{ "egress.ip-permission.group-id", f_eg_group_id },
	{ "egress.ip-permission.group-name", f_eg_group_name },
	{ "egress.ip-permission.ipv6-cidr", f_none },
	{ "egress.ip-permission.prefix-list-id", f_none },
	{ "egress.ip-permission.protocol", f_eg_proto },
	{ "egress.ip-permission.to-port", f_eg_to },
	{ "egress.ip-permission.user-id", f_eg_user },
	{ "group-id", f_sg_id },
	{ "group-name", f_sg_name },
	{ "ip-permission.cidr", f_in_cidr },
	{ "ip-permission.from-port", f_in_from },
	{ "ip-permission.group-id", f_in_group_id },
	{ "ip-permission.group-name", f_in_group_name },
	{ "ip-permission.ipv6-cidr", f_none },
	{ "ip-permission.prefix-list-id", f_none },
	{ "ip-permission.protocol", f_in_proto },
	{ "ip-permission.to-port", f_in_to },
	{ "ip-permission.user-id", f_in_user },
	{ "owner-id", f_sg_owner },
	{ "vpc-id", f_sg_vpc },
};

int
api_describe_security_groups(struct api_ctx *ctx,
    const struct ec2_describe_security_groups_request *in,
    struct ec2_describe_security_groups_result *out)
{
	struct api_filters f;
	struct api_page pg;
	struct core_res **set;
	size_t n;
	struct core_vpc *def = core_vpc_default(ctx->model, ctx->owner);

	if (in->max_results.set && (in->n_group_ids || in->n_group_names))
		return api_fail(ctx, "InvalidParameterCombination",
		    "The parameter groupIds cannot be used with the parameter maxResults");
	if (api_page_init(ctx, &pg, in->max_results, in->next_token, 5, 1000) ||
	    api_filters_init(ctx, &f, sg_filters, ARRAY_SIZE(sg_filters), in->filters,
	    in->n_filters) ||
	    api_describe_set(ctx, CORE_SG, in->group_ids, in->n_group_ids, &set, &n))
		return -EINVAL;
	/* GroupName names groups of the default VPC, as on AWS. */
	for (size_t i = 0; i < in->n_group_names; i++)
		if (!def || !core_sg_by_name(ctx->model, ctx->owner, def->res.id,
		    in->group_names[i]))
			return api_fail(ctx, "InvalidGroup.NotFound",
			    "The security group '%s' does not exist in default VPC '%s'",
			    in->group_names[i], def ? def->res.id : "none");
	if (api_dry_run_check(ctx, in->dry_run))
		return -EINVAL;
	API_LIST(ctx, out->security_groups, n);
	for (size_t i = 0; i < n; i++) {
		struct core_res *r = set[i];

		if (in->n_group_names && (strcmp(SG(r)->vpc_id, def->res.id) != 0 ||
		    !api_ids_has(in->group_names, in->n_group_names, SG(r)->name)))
			continue;
		if (!api_filters_match(ctx, &f, r, r->tags, r->n_tags) || !api_page_take(&pg, r->seq))
			continue;
		sg_out(ctx, SG(r), &out->security_groups[out->n_security_groups++]);
	}
	out->next_token = api_page_token(ctx, &pg);
	return 0;
}

/* DescribeSecurityGroupRules filters take a (group, rule) pair. */
struct rule_ref {
	const struct core_sg *sg;
	const struct core_sg_rule *rule;
};
static void f_rule_group(struct api_vals *v, const void *x)
{
	api_val(v, ((const struct rule_ref *)x)->sg->res.id);
}
static void f_rule_id(struct api_vals *v, const void *x)
{
	api_val(v, ((const struct rule_ref *)x)->rule->id);
}

static const struct api_filter_def rule_filters[] = {
	{ "group-id", f_rule_group },
	{ "security-group-rule-id", f_rule_id },
};

int
api_describe_security_group_rules(struct api_ctx *ctx,
    const struct ec2_describe_security_group_rules_request *in,
    struct ec2_describe_security_group_rules_result *out)
{
	struct api_filters f;
	struct api_page pg;
	size_t total = 0;
	uint64_t pos = 0;

	if (api_page_init(ctx, &pg, in->max_results, in->next_token, 5, 1000))
		return -EINVAL;
	if (api_filters_init(ctx, &f, rule_filters, ARRAY_SIZE(rule_filters), in->filters,
	    in->n_filters))
		return -EINVAL;
	for (size_t i = 0; i < in->n_security_group_rule_ids; i++) {
		bool hit = false;

		CORE_FOREACH(ctx->model, CORE_SG, r)
			if (strcmp(r->owner, ctx->owner) == 0 &&
			    core_sg_rule_find((struct core_sg *)r, in->security_group_rule_ids[i]))
				hit = true;
		if (!hit)
			return api_fail(ctx, "InvalidSecurityGroupRuleId.NotFound",
			    "The security group rule ID '%s' does not exist",
			    in->security_group_rule_ids[i]);
	}
	if (api_dry_run_check(ctx, in->dry_run))
		return -EINVAL;
	CORE_FOREACH(ctx->model, CORE_SG, r)
		if (strcmp(r->owner, ctx->owner) == 0)
			total += SG(r)->n_rules;
	API_LIST(ctx, out->security_group_rules, total);
	CORE_FOREACH(ctx->model, CORE_SG, r) {
		if (strcmp(r->owner, ctx->owner) != 0)
			continue;
		for (size_t i = 0; i < SG(r)->n_rules; i++) {
			const struct core_sg_rule *rule = &SG(r)->rules[i];
			struct rule_ref ref = { SG(r), rule };

			if (!api_ids_has(in->security_group_rule_ids,
			    in->n_security_group_rule_ids, rule->id) ||
			    !api_filters_match(ctx, &f, &ref, rule->tags, rule->n_tags) ||
			    !api_page_take(&pg, ++pos))
				continue;
			api_sg_rule_out(ctx, SG(r), rule,
			    &out->security_group_rules[out->n_security_group_rules++]);
		}
	}
	out->next_token = api_page_token(ctx, &pg);
	return 0;
}
