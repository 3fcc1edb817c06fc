/*
 * The model's saved form: one JSON document per resource.  Field names are
 * short but readable, so `sqlite3 vpcd.db 'select doc from resources'` is
 * a usable debugging view.  Decoding is strict: a missing or mistyped
 * field makes the document invalid rather than silently defaulting.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static json_t *
cidr_json(const struct core_cidr *c)
{
	char s[20];

	core_cidr_format(c, s);
	return json_string(s);
}

/* An address, or "" for none (0). */
static json_t *
ip_json(uint32_t ip)
{
	char s[16];

	if (ip == 0)
		return json_string("");
	core_ip_format(ip, s);
	return json_string(s);
}

static json_t *
tags_json(const struct core_tag *tags, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("[ss]", tags[i].key, tags[i].value));
	return a;
}

static json_t *
encode_type(const struct core_res *r)
{
	json_t *o, *a;

	switch (r->type) {
	case CORE_ACCOUNT: {
		const struct core_account *x = (const void *)r;

		a = json_array();
		for (size_t i = 0; i < x->n_keys; i++)
			json_array_append_new(a, json_pack("[ss]", x->keys[i].access_key_id,
			    x->keys[i].secret));
		return json_pack("{s:s, s:b, s:o}", "name", x->name, "admin", x->is_admin,
		    "keys", a);
	}
	case CORE_VPC: {
		const struct core_vpc *x = (const void *)r;

		a = json_array();
		for (size_t i = 0; i < x->n_cidrs; i++)
			json_array_append_new(a, json_pack("[so]", x->cidrs[i].assoc_id,
			    cidr_json(&x->cidrs[i].cidr)));
		return json_pack("{s:o, s:b, s:b, s:b, s:b, s:b, s:s, s:s, s:s}",
		    "cidrs", a, "default", x->is_default, "dedicated", x->is_dedicated,
		    "dns_support", x->dns_support, "dns_hostnames", x->dns_hostnames,
		    "nau_metrics", x->nau_metrics, "main_rtb", x->main_rtb,
		    "default_acl", x->default_acl, "default_sg", x->default_sg);
	}
	case CORE_SUBNET: {
		const struct core_subnet *x = (const void *)r;

		/* The used address count is derived from the interfaces. */
		return json_pack("{s:s, s:o, s:s, s:b, s:b}", "vpc", x->vpc_id,
		    "cidr", cidr_json(&x->cidr), "az", x->az, "map_public_ip",
		    x->map_public_ip, "default_for_az", x->is_default_for_az);
	}
	case CORE_RTB: {
		const struct core_rtb *x = (const void *)r;
		json_t *as = json_array();

		a = json_array();
		for (size_t i = 0; i < x->n_routes; i++)
			json_array_append_new(a, json_pack("{s:o, s:i, s:s, s:b}", "dst",
			    cidr_json(&x->routes[i].dst), "type", x->routes[i].target_type,
			    "target", x->routes[i].target, "user",
			    x->routes[i].is_created_by_user));
		for (size_t i = 0; i < x->n_assocs; i++)
			json_array_append_new(as, json_pack("{s:s, s:s, s:b}", "id",
			    x->assocs[i].id, "subnet", x->assocs[i].subnet_id, "main",
			    x->assocs[i].is_main));
		return json_pack("{s:s, s:o, s:o}", "vpc", x->vpc_id, "routes", a,
		    "assocs", as);
	}
	case CORE_IGW:
		return json_pack("{s:s}", "vpc", ((const struct core_igw *)r)->vpc_id);
	case CORE_SG: {
		const struct core_sg *x = (const void *)r;

		a = json_array();
		for (size_t i = 0; i < x->n_rules; i++) {
			const struct core_sg_rule *u = &x->rules[i];

			o = json_pack("{s:s, s:b, s:i, s:i, s:i, s:o}", "id", u->id,
			    "egress", u->is_egress, "proto", u->proto, "from", u->from_port,
			    "to", u->to_port, "tags", tags_json(u->tags, u->n_tags));
			if (u->peer == CORE_PEER_CIDR)
				json_object_set_new(o, "cidr", cidr_json(&u->cidr));
			else
				json_object_set_new(o, "group", json_pack("[ss]", u->group_id,
				    u->group_owner));
			if (u->description)
				json_object_set_new(o, "description", json_string(u->description));
			json_array_append_new(a, o);
		}
		return json_pack("{s:s, s:s, s:s, s:o}", "vpc", x->vpc_id, "name", x->name,
		    "description", x->description, "rules", a);
	}
	case CORE_ACL: {
		const struct core_acl *x = (const void *)r;
		json_t *as = json_array();

		a = json_array();
		for (size_t i = 0; i < x->n_entries; i++) {
			const struct core_acl_entry *e = &x->entries[i];

			json_array_append_new(a, json_pack("{s:i, s:b, s:b, s:i, s:o, s:[ii], s:[ii]}",
			    "rule", e->rule_no, "egress", e->is_egress, "allow", e->is_allow,
			    "proto", e->proto, "cidr", cidr_json(&e->cidr), "ports",
			    e->from_port, e->to_port, "icmp", e->icmp_type, e->icmp_code));
		}
		for (size_t i = 0; i < x->n_assocs; i++)
			json_array_append_new(as, json_pack("[ss]", x->assocs[i].id,
			    x->assocs[i].subnet_id));
		return json_pack("{s:s, s:b, s:o, s:o}", "vpc", x->vpc_id, "default",
		    x->is_default, "entries", a, "assocs", as);
	}
	case CORE_ENI: {
		const struct core_eni *x = (const void *)r;
		json_t *g = json_array();

		a = json_array();
		for (size_t i = 0; i < x->n_ips; i++)
			json_array_append_new(a, ip_json(x->ips[i]));
		for (size_t i = 0; i < x->n_groups; i++)
			json_array_append_new(g, json_string(x->groups[i]));
		return json_pack("{s:s, s:s, s:s, s:o, s:o, s:b, s:s, s:b, s:s, s:s, s:s, "
		    "s:i, s:b, s:I, s:o}", "vpc", x->vpc_id, "subnet", x->subnet_id,
		    "mac", x->mac, "ips", a, "groups", g, "source_dest_check",
		    x->source_dest_check, "description", x->description, "managed",
		    x->is_requester_managed, "type", x->interface_type, "instance",
		    x->instance_id, "attachment", x->attachment_id, "device", x->device_index,
		    "delete_on_termination", x->delete_on_termination, "attached",
		    (json_int_t)x->attach_ms, "public_ip", ip_json(x->public_ip));
	}
	case CORE_INSTANCE: {
		const struct core_instance *x = (const void *)r;

		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:s, s:i, "
		    "s:i, s:b, s:b}", "reservation", x->reservation_id, "vpc", x->vpc_id,
		    "subnet", x->subnet_id, "image", x->image_id, "type", x->instance_type,
		    "key", x->key_name, "eni", x->primary_eni, "state", (int)x->state,
		    "launched", (json_int_t)x->launch_ms, "state_changed",
		    (json_int_t)x->state_ms, "token", x->client_token, "index",
		    x->launch_index, "boot", (int)x->boot, "no_terminate",
		    x->is_disable_api_termination, "auto_public_ip", x->has_auto_public_ip);
		if (x->state_reason)
			json_object_set_new(o, "state_reason", json_string(x->state_reason));
		if (x->user_data)
			json_object_set_new(o, "user_data", json_string(x->user_data));
		return o;
	}
	case CORE_EIP: {
		const struct core_eip *x = (const void *)r;

		return json_pack("{s:o, s:s, s:s, s:o}", "ip", ip_json(x->public_ip),
		    "assoc", x->assoc_id, "eni", x->eni_id, "private_ip",
		    ip_json(x->private_ip));
	}
	case CORE_NATGW: {
		const struct core_natgw *x = (const void *)r;

		o = json_pack("{s:s, s:s, s:b, s:s, s:s, s:o, s:o, s:s, s:i, s:I}", "vpc",
		    x->vpc_id, "subnet", x->subnet_id, "private", x->is_private, "alloc",
		    x->alloc_id, "eni", x->eni_id, "private_ip", ip_json(x->private_ip),
		    "public_ip", ip_json(x->public_ip), "assoc", x->assoc_id, "state",
		    (int)x->state, "deleted", (json_int_t)x->delete_ms);
		if (x->failure_code[0])
			json_object_set_new(o, "failure", json_pack("[ss]", x->failure_code,
			    x->failure_message));
		return o;
	}
	case CORE_PCX: {
		const struct core_pcx *x = (const void *)r;

		return json_pack("{s:s, s:s, s:s, s:o, s:o, s:i, s:I, s:s, s:b, s:b}", "vpc",
		    x->vpc_id, "peer_owner", x->peer_owner, "peer_vpc", x->peer_vpc_id, "cidr",
		    cidr_json(&x->cidr), "peer_cidr", cidr_json(&x->peer_cidr), "state",
		    (int)x->state, "state_changed", (json_int_t)x->state_ms, "actor", x->actor,
		    "dns", x->dns[0], "peer_dns", x->dns[1]);
	}
	case CORE_FL: {
		const struct core_fl *x = (const void *)r;

		o = json_pack("{s:s, s:i, s:i, s:b, s:s, s:i, s:b, s:b}", "resource",
		    x->resource_id, "resource_type", (int)x->resource_type, "traffic",
		    (int)x->traffic, "s3", x->is_s3, "destination", x->destination, "max_agg",
		    x->max_agg_s, "hive", x->is_hive, "per_hour", x->is_per_hour);
		if (x->log_group)
			json_object_set_new(o, "log_group", json_string(x->log_group));
		if (x->role_arn)
			json_object_set_new(o, "role", json_string(x->role_arn));
		if (x->format)
			json_object_set_new(o, "format", json_string(x->format));
		return o;
	}
	default:
		return json_object();
	}
}

char *
store_encode(const struct core_res *r)
{
	json_t *o = encode_type(r);
	char *s;

	json_object_set_new(o, "created", json_integer(r->created_ms));
	json_object_set_new(o, "tags", tags_json(r->tags, r->n_tags));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		fatalx("store: cannot encode %s", r->id);
	return s;
}

/* Decoding helpers: each returns 0 or -EINVAL. */

static int
get_str(json_t *o, const char *key, char *out, size_t size)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || strlen(json_string_value(v)) >= size)
		return -EINVAL;
	memcpy(out, json_string_value(v), strlen(json_string_value(v)) + 1);
	return 0;
}

static char *
dup_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static int
get_bool(json_t *o, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return -EINVAL;
	*out = json_is_true(v);
	return 0;
}

static int
get_int(json_t *o, const char *key, int *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return -EINVAL;
	*out = (int)json_integer_value(v);
	return 0;
}

static int
get_int64(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return -EINVAL;
	*out = json_integer_value(v);
	return 0;
}

static int
get_ip(json_t *v, uint32_t *ip)
{
	if (!json_is_string(v))
		return -EINVAL;
	*ip = 0;
	return *json_string_value(v) ? core_ip_parse(json_string_value(v), ip) : 0;
}

static int
get_cidr(json_t *v, struct core_cidr *c)
{
	return json_is_string(v) ? core_cidr_parse(json_string_value(v), c) : -EINVAL;
}

static int
get_tags(json_t *a, struct core_tag **tags, size_t *n)
{
	size_t i;
	json_t *t;

	if (!json_is_array(a))
		return -EINVAL;
	json_array_foreach(a, i, t) {
		const char *k, *v;

		if (json_unpack(t, "[ss]", &k, &v))
			return -EINVAL;
		core_tags_set(tags, n, k, v);
	}
	return 0;
}

#define PUSH(arr, n) \
	(memset(&((arr) = xreallocarray((arr), (n) + 1, sizeof(*(arr))))[(n)], 0, \
	    sizeof(*(arr))), &(arr)[(n)++])

static int
decode_type(struct core_res *r, json_t *o)
{
	json_t *a, *v;
	size_t i;

	switch (r->type) {
	case CORE_ACCOUNT: {
		struct core_account *x = (void *)r;

		x->name = dup_str(o, "name");
		if (x->name == NULL || get_bool(o, "admin", &x->is_admin) ||
		    !json_is_array(a = json_object_get(o, "keys")))
			return -EINVAL;
		json_array_foreach(a, i, v) {
			struct core_key *k = PUSH(x->keys, x->n_keys);
			const char *id, *secret;

			if (json_unpack(v, "[ss]", &id, &secret) ||
			    strlen(id) >= sizeof(k->access_key_id) ||
			    strlen(secret) >= sizeof(k->secret))
				return -EINVAL;
			STR_COPY(k->access_key_id, id);
			STR_COPY(k->secret, secret);
		}
		return 0;
	}
	case CORE_VPC: {
		struct core_vpc *x = (void *)r;

		if (get_bool(o, "default", &x->is_default) ||
		    get_bool(o, "dedicated", &x->is_dedicated) ||
		    get_bool(o, "dns_support", &x->dns_support) ||
		    get_bool(o, "dns_hostnames", &x->dns_hostnames) ||
		    get_bool(o, "nau_metrics", &x->nau_metrics) ||
		    get_str(o, "main_rtb", x->main_rtb, sizeof(x->main_rtb)) ||
		    get_str(o, "default_acl", x->default_acl, sizeof(x->default_acl)) ||
		    get_str(o, "default_sg", x->default_sg, sizeof(x->default_sg)) ||
		    !json_is_array(a = json_object_get(o, "cidrs")))
			return -EINVAL;
		json_array_foreach(a, i, v) {
			struct core_vpc_cidr *c = PUSH(x->cidrs, x->n_cidrs);

			if (!json_is_array(v) ||
			    !json_is_string(json_array_get(v, 0)) ||
			    strlen(json_string_value(json_array_get(v, 0))) >= sizeof(c->assoc_id) ||
			    get_cidr(json_array_get(v, 1), &c->cidr))
				return -EINVAL;
			STR_COPY(c->assoc_id, json_string_value(json_array_get(v, 0)));
		}
		return x->n_cidrs ? 0 : -EINVAL;
	}
	case CORE_SUBNET: {
		struct core_subnet *x = (void *)r;

		/* An older "used" member is ignored: the count is derived. */
		if (get_str(o, "vpc", x->vpc_id, sizeof(x->vpc_id)) ||
		    get_cidr(json_object_get(o, "cidr"), &x->cidr) ||
		    get_str(o, "az", x->az, sizeof(x->az)) ||
		    get_bool(o, "map_public_ip", &x->map_public_ip) ||
		    get_bool(o, "default_for_az", &x->is_default_for_az))
			return -EINVAL;
		return 0;
	}
	case CORE_RTB: {
		struct core_rtb *x = (void *)r;

		if (get_str(o, "vpc", x->vpc_id, sizeof(x->vpc_id)) ||
		    !json_is_array(a = json_object_get(o, "routes")))
			return -EINVAL;
		json_array_foreach(a, i, v) {
			struct core_route *rt = PUSH(x->routes, x->n_routes);
			int type;

			if (get_cidr(json_object_get(v, "dst"), &rt->dst) ||
			    get_int(v, "type", &type) ||
			    get_str(v, "target", rt->target, sizeof(rt->target)) ||
			    get_bool(v, "user", &rt->is_created_by_user))
				return -EINVAL;
			rt->target_type = (enum core_target)type;
		}
		if (!json_is_array(a = json_object_get(o, "assocs")))
			return -EINVAL;
		json_array_foreach(a, i, v) {
			struct core_rtb_assoc *as = PUSH(x->assocs, x->n_assocs);

			if (get_str(v, "id", as->id, sizeof(as->id)) ||
			    get_str(v, "subnet", as->subnet_id, sizeof(as->subnet_id)) ||
			    get_bool(v, "main", &as->is_main))
				return -EINVAL;
		}
		return 0;
	}
	case CORE_IGW:
		return get_str(o, "vpc", ((struct core_igw *)r)->vpc_id, CORE_ID_MAX);
	case CORE_SG: {
		struct core_sg *x = (void *)r;

		x->name = dup_str(o, "name");
		x->description = dup_str(o, "description");
		if (x->name == NULL || x->description == NULL ||
		    get_str(o, "vpc", x->vpc_id, sizeof(x->vpc_id)) ||
		    !json_is_array(a = json_object_get(o, "rules")))
			return -EINVAL;
		json_array_foreach(a, i, v) {
			struct core_sg_rule *u = PUSH(x->rules, x->n_rules);
			json_t *g = json_object_get(v, "group");
			const char *gid, *gowner;

			u->description = dup_str(v, "description");
			if (get_str(v, "id", u->id, sizeof(u->id)) ||
			    get_bool(v, "egress", &u->is_egress) ||
			    get_int(v, "proto", &u->proto) || get_int(v, "from", &u->from_port) ||
			    get_int(v, "to", &u->to_port) ||
			    get_tags(json_object_get(v, "tags"), &u->tags, &u->n_tags))
				return -EINVAL;
			if (g) {
				if (json_unpack(g, "[ss]", &gid, &gowner) ||
				    strlen(gid) >= sizeof(u->group_id) ||
				    strlen(gowner) >= sizeof(u->group_owner))
					return -EINVAL;
				u->peer = CORE_PEER_GROUP;
				STR_COPY(u->group_id, gid);
				STR_COPY(u->group_owner, gowner);
			} else if (get_cidr(json_object_get(v, "cidr"), &u->cidr)) {
				return -EINVAL;
			}
		}
		return 0;
	}
	case CORE_ACL: {
		struct core_acl *x = (void *)r;

		if (get_str(o, "vpc", x->vpc_id, sizeof(x->vpc_id)) ||
		    get_bool(o, "default", &x->is_default) ||
		    !json_is_array(a = json_object_get(o, "entries")))
			return -EINVAL;
		json_array_foreach(a, i, v) {
			struct core_acl_entry *e = PUSH(x->entries, x->n_entries);
			int allow, egress;

			if (json_unpack(v, "{s:i, s:b, s:b, s:i, s:[ii], s:[ii]}", "rule",
			    &e->rule_no, "egress", &egress, "allow", &allow, "proto", &e->proto,
			    "ports", &e->from_port, &e->to_port, "icmp", &e->icmp_type,
			    &e->icmp_code) || get_cidr(json_object_get(v, "cidr"), &e->cidr))
				return -EINVAL;
			e->is_egress = egress;
			e->is_allow = allow;
		}
		if (!json_is_array(a = json_object_get(o, "assocs")))
			return -EINVAL;
		json_array_foreach(a, i, v) {
			struct core_acl_assoc *as = PUSH(x->assocs, x->n_assocs);
			const char *id, *sn;

			if (json_unpack(v, "[ss]", &id, &sn) || strlen(id) >= sizeof(as->id) ||
			    strlen(sn) >= sizeof(as->subnet_id))
				return -EINVAL;
			STR_COPY(as->id, id);
			STR_COPY(as->subnet_id, sn);
		}
		return 0;
	}
	case CORE_ENI: {
		struct core_eni *x = (void *)r;
		int64_t attached;

		x->description = dup_str(o, "description");
		if (x->description == NULL ||
		    get_str(o, "vpc", x->vpc_id, sizeof(x->vpc_id)) ||
		    get_str(o, "subnet", x->subnet_id, sizeof(x->subnet_id)) ||
		    get_str(o, "mac", x->mac, sizeof(x->mac)) ||
		    get_bool(o, "source_dest_check", &x->source_dest_check) ||
		    get_bool(o, "managed", &x->is_requester_managed) ||
		    get_str(o, "type", x->interface_type, sizeof(x->interface_type)) ||
		    get_str(o, "instance", x->instance_id, sizeof(x->instance_id)) ||
		    get_str(o, "attachment", x->attachment_id, sizeof(x->attachment_id)) ||
		    get_int(o, "device", &x->device_index) ||
		    get_bool(o, "delete_on_termination", &x->delete_on_termination) ||
		    get_int64(o, "attached", &attached) ||
		    get_ip(json_object_get(o, "public_ip"), &x->public_ip) ||
		    !json_is_array(a = json_object_get(o, "ips")) ||
		    json_array_size(a) < 1 || json_array_size(a) > CORE_ENI_IPS_MAX)
			return -EINVAL;
		x->attach_ms = attached;
		json_array_foreach(a, i, v)
			if (get_ip(v, &x->ips[x->n_ips++]))
				return -EINVAL;
		if (!json_is_array(a = json_object_get(o, "groups")) ||
		    json_array_size(a) > CORE_ENI_GROUPS_MAX)
			return -EINVAL;
		json_array_foreach(a, i, v) {
			if (!json_is_string(v) || strlen(json_string_value(v)) >= CORE_ID_MAX)
				return -EINVAL;
			STR_COPY(x->groups[x->n_groups++], json_string_value(v));
		}
		return 0;
	}
	case CORE_INSTANCE: {
		struct core_instance *x = (void *)r;
		int state, boot;

		x->state_reason = dup_str(o, "state_reason");
		x->user_data = dup_str(o, "user_data");
		if (get_str(o, "reservation", x->reservation_id, sizeof(x->reservation_id)) ||
		    get_str(o, "vpc", x->vpc_id, sizeof(x->vpc_id)) ||
		    get_str(o, "subnet", x->subnet_id, sizeof(x->subnet_id)) ||
		    get_str(o, "image", x->image_id, sizeof(x->image_id)) ||
		    get_str(o, "type", x->instance_type, sizeof(x->instance_type)) ||
		    get_str(o, "key", x->key_name, sizeof(x->key_name)) ||
		    get_str(o, "eni", x->primary_eni, sizeof(x->primary_eni)) ||
		    get_int(o, "state", &state) ||
		    state < CORE_INSTANCE_PENDING || state > CORE_INSTANCE_TERMINATED ||
		    get_int64(o, "launched", &x->launch_ms) ||
		    get_int64(o, "state_changed", &x->state_ms) ||
		    get_str(o, "token", x->client_token, sizeof(x->client_token)) ||
		    get_int(o, "index", &x->launch_index) || get_int(o, "boot", &boot) ||
		    get_bool(o, "no_terminate", &x->is_disable_api_termination) ||
		    get_bool(o, "auto_public_ip", &x->has_auto_public_ip))
			return -EINVAL;
		x->state = (enum core_instance_state)state;
		x->boot = (unsigned)boot;
		return 0;
	}
	case CORE_EIP: {
		struct core_eip *x = (void *)r;

		if (get_ip(json_object_get(o, "ip"), &x->public_ip) ||
		    get_str(o, "assoc", x->assoc_id, sizeof(x->assoc_id)) ||
		    get_str(o, "eni", x->eni_id, sizeof(x->eni_id)) ||
		    get_ip(json_object_get(o, "private_ip"), &x->private_ip))
			return -EINVAL;
		return 0;
	}
	case CORE_NATGW: {
		struct core_natgw *x = (void *)r;
		json_t *f = json_object_get(o, "failure");
		const char *code, *msg;
		int state;

		if (get_str(o, "vpc", x->vpc_id, sizeof(x->vpc_id)) ||
		    get_str(o, "subnet", x->subnet_id, sizeof(x->subnet_id)) ||
		    get_bool(o, "private", &x->is_private) ||
		    get_str(o, "alloc", x->alloc_id, sizeof(x->alloc_id)) ||
		    get_str(o, "eni", x->eni_id, sizeof(x->eni_id)) ||
		    get_ip(json_object_get(o, "private_ip"), &x->private_ip) ||
		    get_ip(json_object_get(o, "public_ip"), &x->public_ip) ||
		    get_str(o, "assoc", x->assoc_id, sizeof(x->assoc_id)) ||
		    get_int(o, "state", &state) || state < CORE_NATGW_PENDING ||
		    state > CORE_NATGW_DELETED || get_int64(o, "deleted", &x->delete_ms))
			return -EINVAL;
		x->state = (enum core_natgw_state)state;
		if (f) {
			if (json_unpack(f, "[ss]", &code, &msg) || strlen(code) >= sizeof(x->failure_code))
				return -EINVAL;
			STR_COPY(x->failure_code, code);
			STR_COPY(x->failure_message, msg);
		}
		return 0;
	}
	case CORE_PCX: {
		struct core_pcx *x = (void *)r;
		int state;

		if (get_str(o, "vpc", x->vpc_id, sizeof(x->vpc_id)) ||
		    get_str(o, "peer_owner", x->peer_owner, sizeof(x->peer_owner)) ||
		    get_str(o, "peer_vpc", x->peer_vpc_id, sizeof(x->peer_vpc_id)) ||
		    get_cidr(json_object_get(o, "cidr"), &x->cidr) ||
		    get_cidr(json_object_get(o, "peer_cidr"), &x->peer_cidr) ||
		    get_int(o, "state", &state) || state < CORE_PCX_PENDING ||
		    state > CORE_PCX_DELETED || get_int64(o, "state_changed", &x->state_ms) ||
		    get_str(o, "actor", x->actor, sizeof(x->actor)) ||
		    get_bool(o, "dns", &x->dns[0]) || get_bool(o, "peer_dns", &x->dns[1]))
			return -EINVAL;
		x->state = (enum core_pcx_state)state;
		return 0;
	}
	case CORE_FL: {
		struct core_fl *x = (void *)r;
		const char *dest = json_string_value(json_object_get(o, "destination"));
		int rtype, traffic;

		if (get_str(o, "resource", x->resource_id, sizeof(x->resource_id)) ||
		    get_int(o, "resource_type", &rtype) || rtype < CORE_FL_VPC ||
		    rtype > CORE_FL_ENI || get_int(o, "traffic", &traffic) ||
		    traffic < CORE_FL_ACCEPT || traffic > CORE_FL_ALL ||
		    get_bool(o, "s3", &x->is_s3) || dest == NULL ||
		    get_int(o, "max_agg", &x->max_agg_s) || get_bool(o, "hive", &x->is_hive) ||
		    get_bool(o, "per_hour", &x->is_per_hour))
			return -EINVAL;
		x->resource_type = (enum core_fl_resource)rtype;
		x->traffic = (enum core_fl_traffic)traffic;
		x->destination = xstrdup(dest);
		x->log_group = dup_str(o, "log_group");
		x->role_arn = dup_str(o, "role");
		x->format = dup_str(o, "format");
		return 0;
	}
	default:
		return -EINVAL;
	}
}

static const size_t type_size[] = {
	[CORE_ACCOUNT] = sizeof(struct core_account),
	[CORE_VPC] = sizeof(struct core_vpc),
	[CORE_SUBNET] = sizeof(struct core_subnet),
	[CORE_RTB] = sizeof(struct core_rtb),
	[CORE_IGW] = sizeof(struct core_igw),
	[CORE_SG] = sizeof(struct core_sg),
	[CORE_ACL] = sizeof(struct core_acl),
	[CORE_ENI] = sizeof(struct core_eni),
	[CORE_INSTANCE] = sizeof(struct core_instance),
	[CORE_EIP] = sizeof(struct core_eip),
	[CORE_NATGW] = sizeof(struct core_natgw),
	[CORE_PCX] = sizeof(struct core_pcx),
	[CORE_FL] = sizeof(struct core_fl),
};

struct core_res *
store_decode(enum core_type type, const char *id, const char *owner, uint64_t seq,
    const char *doc)
{
	json_t *o = json_loads(doc, 0, NULL);
	struct core_res *r;
	json_t *created;

	if (o == NULL || type >= CORE_N_TYPES || strlen(id) >= CORE_ID_MAX ||
	    strlen(owner) >= CORE_ACCOUNT_MAX) {
		json_decref(o);
		errno = EINVAL;
		return NULL;
	}
	r = xcalloc(1, type_size[type]);
	r->type = type;
	STR_COPY(r->id, id);
	STR_COPY(r->owner, owner);
	r->seq = seq;
	created = json_object_get(o, "created");
	r->created_ms = json_is_integer(created) ? json_integer_value(created) : 0;
	if (decode_type(r, o) || get_tags(json_object_get(o, "tags"), &r->tags, &r->n_tags)) {
		core_res_free(r);
		r = NULL;
		errno = EINVAL;
	}
	json_decref(o);
	return r;
}
