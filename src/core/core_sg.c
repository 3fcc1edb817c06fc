/* Security groups and their rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

static bool
sg_in_vpc(const struct core_sg *sg, const char *owner, const char *vpc_id)
{
	return strcmp(sg->res.owner, owner) == 0 && (vpc_id == NULL ||
	    strcmp(sg->vpc_id, vpc_id) == 0);
}

struct core_sg *
core_sg_by_name(const struct core_model *m, const char *owner, const char *vpc_id,
    const char *name)
{
	if (vpc_id) {
		char *key = xasprintf("%s/%s", vpc_id, name);
		struct core_sg *sg = map_get(&m->sg_names, key);

		free(key);
		return sg && strcmp(sg->res.owner, owner) == 0 ? sg : NULL;
	}
	CORE_FOREACH(m, CORE_SG, r) {
		struct core_sg *sg = (struct core_sg *)r;

		if (sg_in_vpc(sg, owner, vpc_id) && strcmp(sg->name, name) == 0)
			return sg;
	}
	return NULL;
}

static struct core_sg *
sg_alloc(struct core_model *m, struct core_vpc *vpc, const char *name, const char *desc)
{
	struct core_sg *sg = core_res_new_in(m, CORE_SG, sizeof(*sg), vpc->res.owner,
	    vpc->res.id);

	sg->name = xstrdup(name);
	sg->description = xstrdup(desc);
	core_sg_index(m, sg);
	return sg;
}

static void
rule_push(struct core_sg *sg, const struct core_sg_rule *src)
{
	struct core_sg_rule *r = CORE_PUSH(sg->rules, sg->n_rules);

	*r = *src;
	r->description = src->description ? xstrdup(src->description) : NULL;
	r->tags = NULL;
	r->n_tags = 0;
	for (size_t i = 0; i < src->n_tags; i++)
		core_tags_set(&r->tags, &r->n_tags, src->tags[i].key, src->tags[i].value);
	core_new_id("sgr", r->id);
}

static void
rule_free_fields(struct core_sg_rule *r)
{
	free(r->description);
	core_tags_free(r->tags, r->n_tags);
}

struct core_sg *
core_sg_new_default(struct core_model *m, struct core_vpc *vpc)
{
	struct core_sg *sg = sg_alloc(m, vpc, "default", "default VPC security group");
	struct core_sg_rule in = { .proto = -1, .from_port = -1, .to_port = -1,
		.peer = CORE_PEER_GROUP };
	struct core_sg_rule out = { .is_egress = true, .proto = -1, .from_port = -1,
		.to_port = -1, .peer = CORE_PEER_CIDR };

	STR_COPY(in.group_id, sg->res.id);
	STR_COPY(in.group_owner, sg->res.owner);
	rule_push(sg, &in);
	rule_push(sg, &out);
	STR_COPY(vpc->default_sg, sg->res.id);
	return sg;
}

/* AWS allows a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$* in VPC group
 * names and descriptions. */
static bool
sg_text_ok(const char *s)
{
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr(" ._-:/()#,@[]+=&;{}!$*", *s))
			return false;
	return true;
}

int
core_sg_create(struct core_model *m, struct core_vpc *vpc, const char *name,
    const char *desc, struct core_sg **out, struct core_error *err)
{
	if (*name == '\0' || strlen(name) > 255 || !sg_text_ok(name))
		return core_fail(err, "InvalidParameterValue",
		    "Value (%s) for parameter GroupName is invalid. Character sets beyond "
		    "ASCII are not supported.", name);
	if (strlen(desc) > 255 || !sg_text_ok(desc))
		return core_fail(err, "InvalidParameterValue",
		    "Value (%s) for parameter GroupDescription is invalid. Character sets "
		    "beyond ASCII are not supported.", desc);
	if (strcmp(name, "default") == 0)
		return core_fail(err, "InvalidGroup.Reserved",
		    "The security group 'default' is reserved");
	if (str_has_prefix(name, "sg-"))
		return core_fail(err, "InvalidParameterValue",
		    "Group names may not be in the format sg-*.");
	if (core_sg_by_name(m, vpc->res.owner, vpc->res.id, name))
		return core_fail(err, "InvalidGroup.Duplicate",
		    "The security group '%s' already exists for VPC '%s'", name, vpc->res.id);
	if (core_count_in_vpc(m, CORE_SG, vpc) >= m->cfg->sgs_per_vpc)
		return core_fail(err, "SecurityGroupLimitExceeded",
		    "The maximum number of security groups has been reached.");
	if (core_commit_point(m, err))
		return -EINVAL;
	*out = sg_alloc(m, vpc, name, desc);
	/* A new group allows all outbound traffic and nothing inbound. */
	{
		struct core_sg_rule eg = { .is_egress = true, .proto = -1, .from_port = -1,
			.to_port = -1, .peer = CORE_PEER_CIDR };

		rule_push(*out, &eg);
	}
	return 0;
}

int
core_sg_delete(struct core_model *m, struct core_sg *sg, struct core_error *err)
{
	struct core_vpc *vpc = core_find(m, CORE_VPC, sg->res.owner, sg->vpc_id);

	if (vpc && strcmp(vpc->default_sg, sg->res.id) == 0)
		return core_fail(err, "CannotDelete",
		    "the specified group: \"%s\" name: \"default\" cannot be deleted by a "
		    "user", sg->res.id);
	CORE_FOREACH(m, CORE_SG, r) {
		struct core_sg *o = (struct core_sg *)r;

		if (o == sg)
			continue;
		for (size_t i = 0; i < o->n_rules; i++)
			if (o->rules[i].peer == CORE_PEER_GROUP &&
			    strcmp(o->rules[i].group_id, sg->res.id) == 0)
				return core_fail(err, "DependencyViolation",
				    "resource %s has a dependent object", sg->res.id);
	}
	if (core_sg_has_dependents(m, sg))
		return core_fail(err, "DependencyViolation",
		    "resource %s has a dependent object", sg->res.id);
	if (core_commit_point(m, err))
		return -EINVAL;
	core_remove(m, &sg->res);
	return 0;
}

void
core_proto_format(int proto, char out[8])
{
	switch (proto) {
	case -1: snprintf(out, 8, "-1"); break;
	case 1: snprintf(out, 8, "icmp"); break;
	case 6: snprintf(out, 8, "tcp"); break;
	case 17: snprintf(out, 8, "udp"); break;
	case 58: snprintf(out, 8, "icmpv6"); break;
	default: snprintf(out, 8, "%d", proto); break;
	}
}

int
core_proto_parse(const char *s, int *proto)
{
	static const struct { const char *name; int num; } names[] = {
		{ "-1", -1 }, { "all", -1 }, { "icmp", 1 }, { "tcp", 6 }, { "udp", 17 },
		{ "icmpv6", 58 },
	};
	char *end;
	long v;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(s, names[i].name) == 0) {
			*proto = names[i].num;
			return 0;
		}
	if (*s == '\0')
		return -EINVAL;
	v = strtol(s, &end, 10);
	if (*end || v < -1 || v > 255)
		return -EINVAL;
	*proto = (int)v;
	return 0;
}

int
core_sg_rule_check(const struct core_model *m, const struct core_sg *sg,
    struct core_sg_rule *r, struct core_error *err)
{
	switch (r->proto) {
	case 6:
	case 17:
		if (r->from_port < 0 || r->to_port < 0 || r->from_port > 65535 ||
		    r->to_port > 65535 || r->from_port > r->to_port)
			return core_fail(err, "InvalidParameterValue",
			    "Invalid port range %d-%d: ports must be 0-65535 and the from "
			    "port must not exceed the to port (TCP/UDP need both)",
			    r->from_port, r->to_port);
		break;
	case 1:
		if (r->from_port < -1 || r->from_port > 255 || r->to_port < -1 ||
		    r->to_port > 255)
			return core_fail(err, "InvalidParameterValue",
			    "Invalid ICMP type %d or code %d", r->from_port, r->to_port);
		if (r->from_port == -1 && r->to_port != -1)
			return core_fail(err, "InvalidParameterValue",
			    "Invalid ICMP code %d: an ICMP code requires an ICMP type",
			    r->to_port);
		break;
	default:
		/* All traffic, or a protocol without ports. */
		r->from_port = -1;
		r->to_port = -1;
		break;
	}
	if (r->peer == CORE_PEER_CIDR) {
		char s[20];

		core_cidr_format(&r->cidr, s);
		if (!core_cidr_is_canonical(&r->cidr))
			r->cidr = core_cidr_canonical(r->cidr);
	} else {
		const char *owner = r->group_owner[0] ? r->group_owner : sg->res.owner;
		const struct core_sg *peer = core_find(m, CORE_SG, owner, r->group_id);

		if (peer == NULL)
			return core_not_found(CORE_SG, r->group_id, err);
		if (strcmp(peer->vpc_id, sg->vpc_id) != 0 &&
		    !core_vpcs_peered(m, peer->res.owner, peer->vpc_id, sg->res.owner, sg->vpc_id))
			return core_fail(err, "InvalidGroup.NotFound",
			    "You have specified two resources that belong to different "
			    "networks.");
		STR_COPY(r->group_owner, peer->res.owner);
	}
	if (r->description && (strlen(r->description) > 255 || !sg_text_ok(r->description)))
		return core_fail(err, "InvalidParameterValue",
		    "Invalid rule description. Valid descriptions are strings less than "
		    "256 characters from the following set: a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*");
	return 0;
}

bool
core_sg_rule_equal(const struct core_sg_rule *a, const struct core_sg_rule *b)
{
	if (a->is_egress != b->is_egress || a->proto != b->proto ||
	    a->from_port != b->from_port || a->to_port != b->to_port || a->peer != b->peer)
		return false;
	if (a->peer == CORE_PEER_CIDR)
		return a->cidr.addr == b->cidr.addr && a->cidr.len == b->cidr.len;
	return strcmp(a->group_id, b->group_id) == 0;
}

static void
rule_describe(const struct core_sg_rule *r, char *out, size_t size)
{
	char peer[64], proto[8];

	if (r->peer == CORE_PEER_CIDR)
		core_cidr_format(&r->cidr, peer);
	else
		STR_COPY(peer, r->group_id);
	core_proto_format(r->proto, proto);
	for (char *p = proto; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	snprintf(out, size, "peer: %s, %s, from port: %d, to port: %d, ALLOW", peer,
	    r->proto == -1 ? "ALL" : proto, r->from_port, r->to_port);
}

static size_t
count_direction(const struct core_sg *sg, bool egress)
{
	size_t n = 0;

	for (size_t i = 0; i < sg->n_rules; i++)
		n += sg->rules[i].is_egress == egress;
	return n;
}

int
core_sg_rules_add(struct core_model *m, struct core_sg *sg, const struct core_sg_rule *rules,
    size_t n, struct core_error *err)
{
	size_t in = 0, eg = 0;

	for (size_t i = 0; i < n; i++) {
		char d[160];

		for (size_t j = 0; j < sg->n_rules + i; j++) {
			const struct core_sg_rule *o = j < sg->n_rules ? &sg->rules[j] :
			    &rules[j - sg->n_rules];

			if (core_sg_rule_equal(o, &rules[i])) {
				rule_describe(&rules[i], d, sizeof(d));
				return core_fail(err, "InvalidPermission.Duplicate",
				    "the specified rule \"%s\" already exists", d);
			}
		}
		if (rules[i].is_egress)
			eg++;
		else
			in++;
	}
	if (count_direction(sg, false) + in > m->cfg->rules_per_sg ||
	    count_direction(sg, true) + eg > m->cfg->rules_per_sg)
		return core_fail(err, "RulesPerSecurityGroupLimitExceeded",
		    "The maximum number of rules per security group has been reached.");
	if (core_commit_point(m, err))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		rule_push(sg, &rules[i]);
	core_touch(m, &sg->res);
	return 0;
}

int
core_sg_rules_remove(struct core_model *m, struct core_sg *sg, const struct core_sg_rule *rules,
    size_t n, bool *found, struct core_error *err)
{
	size_t hits = 0;

	for (size_t i = 0; i < n; i++) {
		found[i] = false;
		for (size_t j = 0; j < sg->n_rules; j++)
			if (core_sg_rule_equal(&sg->rules[j], &rules[i]))
				found[i] = true;
		hits += found[i];
	}
	if (hits == 0)
		return core_fail(err, "InvalidPermission.NotFound",
		    "The specified rule does not exist in this security group.");
	if (core_commit_point(m, err))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; found[i] && j < sg->n_rules; j++)
			if (core_sg_rule_equal(&sg->rules[j], &rules[i])) {
				rule_free_fields(&sg->rules[j]);
				CORE_ERASE(sg->rules, sg->n_rules, j);
				break;
			}
	core_touch(m, &sg->res);
	return 0;
}

struct core_sg_rule *
core_sg_rule_find(struct core_sg *sg, const char *id)
{
	for (size_t i = 0; i < sg->n_rules; i++)
		if (strcmp(sg->rules[i].id, id) == 0)
			return &sg->rules[i];
	return NULL;
}

int
core_sg_rules_remove_ids(struct core_model *m, struct core_sg *sg, bool is_egress,
    const char *const *ids, size_t n, struct core_error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct core_sg_rule *r = core_sg_rule_find(sg, ids[i]);

		if (r == NULL || r->is_egress != is_egress)
			return core_fail(err, "InvalidSecurityGroupRuleId.NotFound",
			    "The security group rule ID '%s' does not exist", ids[i]);
	}
	if (core_commit_point(m, err))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct core_sg_rule *r = core_sg_rule_find(sg, ids[i]);

		if (r) {  /* an id may be listed twice */
			rule_free_fields(r);
			CORE_ERASE(sg->rules, sg->n_rules, (size_t)(r - sg->rules));
		}
	}
	core_touch(m, &sg->res);
	return 0;
}

int
core_sg_rule_modify(struct core_model *m, struct core_sg *sg, const char *id,
    const struct core_sg_rule *rule, struct core_error *err)
{
	struct core_sg_rule *r = core_sg_rule_find(sg, id);
	struct core_sg_rule next;
	char d[160];

	if (r == NULL)
		return core_fail(err, "InvalidSecurityGroupRuleId.NotFound",
		    "The security group rule ID '%s' does not exist", id);
	next = *rule;
	next.is_egress = r->is_egress;
	for (size_t j = 0; j < sg->n_rules; j++)
		if (&sg->rules[j] != r && core_sg_rule_equal(&sg->rules[j], &next)) {
			rule_describe(&next, d, sizeof(d));
			return core_fail(err, "InvalidPermission.Duplicate",
			    "the specified rule \"%s\" already exists", d);
		}
	if (core_commit_point(m, err))
		return -EINVAL;
	free(r->description);
	r->proto = next.proto;
	r->from_port = next.from_port;
	r->to_port = next.to_port;
	r->peer = next.peer;
	r->cidr = next.cidr;
	memcpy(r->group_id, next.group_id, sizeof(r->group_id));
	memcpy(r->group_owner, next.group_owner, sizeof(r->group_owner));
	r->description = next.description ? xstrdup(next.description) : NULL;
	core_touch(m, &sg->res);
	return 0;
}

void
core_sg_free_fields(struct core_sg *sg)
{
	free(sg->name);
	free(sg->name_key);
	free(sg->description);
	for (size_t i = 0; i < sg->n_rules; i++)
		rule_free_fields(&sg->rules[i]);
	free(sg->rules);
}
