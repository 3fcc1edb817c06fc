/* The resource index: ids, per-type creation order and change tracking. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

static const char *const type_prefix[] = {
#define X(e, p, n, c, f) p,
	CORE_TYPES(X)
#undef X
};
static const char *const type_name[] = {
#define X(e, p, n, c, f) n,
	CORE_TYPES(X)
#undef X
};

static const char *const type_nf_code[] = {
#define X(e, p, n, c, f) c,
	CORE_TYPES(X)
#undef X
};
static const char *const type_nf_fmt[] = {
#define X(e, p, n, c, f) f,
	CORE_TYPES(X)
#undef X
};

int
core_not_found(enum core_type t, const char *id, struct core_error *err)
{
	err->code = type_nf_code[t];
	snprintf(err->message, sizeof(err->message), type_nf_fmt[t], id ? id : "");
	return -ENOENT;
}

void *
core_lookup(const struct core_model *m, enum core_type type, const char *owner,
    const char *id, struct core_error *err)
{
	void *r = core_find(m, type, owner, id);

	if (r == NULL)
		core_not_found(type, id, err);
	return r;
}

const char *
core_type_prefix(enum core_type t)
{
	return type_prefix[t];
}

const char *
core_type_name(enum core_type t)
{
	return type_name[t];
}

int
core_fail(struct core_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void
core_config_defaults(struct core_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->region, sizeof(cfg->region), "us-east-1");
	for (size_t i = 0; i < 3; i++)
		snprintf(cfg->azs[i], sizeof(cfg->azs[i]), "us-east-1%c", (int)('a' + i));
	cfg->n_azs = 3;
	cfg->vpcs_per_region = 5;
	cfg->cidrs_per_vpc = 5;
	cfg->subnets_per_vpc = 200;
	cfg->igws_per_region = 5;
	cfg->rtbs_per_vpc = 200;
	cfg->routes_per_rtb = 50;
	cfg->sgs_per_vpc = 2500;
	cfg->rules_per_sg = 60;
	cfg->acls_per_vpc = 200;
	cfg->entries_per_acl = 20;
	cfg->sgs_per_eni = 5;
	cfg->eips_per_region = 5;
	cfg->instances_per_region = 20;
	cfg->natgws_per_az = 5;
	cfg->active_pcx_per_vpc = 50;
	cfg->pending_pcx_per_account = 25;
	cfg->fls_per_resource = 2;
	cfg->public_pool = (struct core_cidr){ 0xc6336400, 24 };  /* 198.51.100.0/24 */
	core_config_finish(cfg);
}

/* AWS zone ids abbreviate the region: zone 1 of "us-east-1" is "use1-az1". */
void
core_config_finish(struct core_config *cfg)
{
	char abbr[32];
	size_t n = 0;
	int part = 0;

	for (const char *p = cfg->region; *p && n < sizeof(abbr) - 1; p++) {
		if (*p == '-')
			part++;
		else if (part != 1 || p[-1] == '-')
			abbr[n++] = *p;
	}
	abbr[n] = '\0';
	for (size_t i = 0; i < cfg->n_azs; i++)
		snprintf(cfg->az_ids[i], sizeof(cfg->az_ids[i]), "%.16s-az%u", abbr, (unsigned)(i + 1));
}

const char *
core_az_id(const struct core_config *cfg, const char *az)
{
	for (size_t i = 0; i < cfg->n_azs; i++)
		if (strcmp(cfg->azs[i], az) == 0)
			return cfg->az_ids[i];
	return NULL;
}

void
core_model_init(struct core_model *m, const struct core_config *cfg)
{
	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->next_seq = 1;
	m->is_dataplane_none = true;
	map_init(&m->ids);
	map_init(&m->keys);
	map_init(&m->sg_names);
}

void
core_model_fini(struct core_model *m)
{
	for (int t = 0; t < CORE_N_TYPES; t++) {
		struct core_res *r, *next;

		for (r = m->head[t]; r; r = next) {
			next = r->next;
			core_res_free(r);
		}
	}
	/* The dirty list points into what was just freed: forget it. */
	m->dirty = NULL;
	m->n_removed = 0;
	free(m->removed);
	map_fini(&m->ids);
	map_fini(&m->keys);
	map_fini(&m->sg_names);
}

void
core_new_id(const char *prefix, char out[CORE_ID_MAX])
{
	unsigned char r[9];
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(prefix);

	random_bytes(r, sizeof(r));
	memcpy(out, prefix, n);
	out[n++] = '-';
	for (size_t i = 0; i < 17; i++) {
		unsigned v = r[i / 2];

		out[n++] = hex[i % 2 ? v & 15 : v >> 4];
	}
	out[n] = '\0';
}

static char *
vpc_field(struct core_res *r)
{
	switch (r->type) {
	case CORE_SUBNET: return ((struct core_subnet *)r)->vpc_id;
	case CORE_RTB: return ((struct core_rtb *)r)->vpc_id;
	case CORE_SG: return ((struct core_sg *)r)->vpc_id;
	case CORE_ACL: return ((struct core_acl *)r)->vpc_id;
	case CORE_ENI: return ((struct core_eni *)r)->vpc_id;
	case CORE_INSTANCE: return ((struct core_instance *)r)->vpc_id;
	case CORE_NATGW: return ((struct core_natgw *)r)->vpc_id;
	case CORE_PCX: return ((struct core_pcx *)r)->vpc_id;
	default: return NULL;
	}
}

static const char *
core_res_vpc_id(const struct core_res *r)
{
	return vpc_field((struct core_res *)r);
}

/*
 * Keeps the derived counters (per account, per VPC) in step as resources
 * come and go, so that quota checks cost the same at any size.  Parents
 * are linked before their children (creation, and loading by type order).
 */
static void
count_adjust(struct core_model *m, const struct core_res *r, int delta)
{
	struct core_account *a = core_find(m, CORE_ACCOUNT, NULL, r->owner);
	const char *vpc_id = core_res_vpc_id(r);
	struct core_vpc *vpc = vpc_id ? core_find(m, CORE_VPC, r->owner, vpc_id) : NULL;

	if (a && r->type != CORE_ACCOUNT)
		a->n_owned[r->type] += (uint32_t)delta;
	if (vpc)
		vpc->n_children[r->type] += (uint32_t)delta;
	/* A subnet's used addresses are its interfaces' addresses. */
	if (r->type == CORE_ENI) {
		const struct core_eni *eni = (const struct core_eni *)r;
		struct core_subnet *sn = core_find(m, CORE_SUBNET, r->owner, eni->subnet_id);

		if (sn)
			sn->n_used += (uint32_t)(delta * (int)eni->n_ips);
	}
}

size_t
core_count_owned(const struct core_model *m, enum core_type type, const char *owner)
{
	struct core_account *a = core_find(m, CORE_ACCOUNT, NULL, owner);

	return a ? a->n_owned[type] : 0;
}

void
core_sg_index(struct core_model *m, struct core_sg *sg)
{
	free(sg->name_key);
	sg->name_key = xasprintf("%s/%s", sg->vpc_id, sg->name);
	map_put(&m->sg_names, sg->name_key, sg);
}

static void
link_res(struct core_model *m, struct core_res *r)
{
	r->prev = m->tail[r->type];
	r->next = NULL;
	if (r->prev)
		r->prev->next = r;
	else
		m->head[r->type] = r;
	m->tail[r->type] = r;
	m->count[r->type]++;
	if (r->seq >= m->next_seq)
		m->next_seq = r->seq + 1;
	map_put(&m->ids, r->id, r);
	count_adjust(m, r, 1);
}

static void *
res_new(struct core_model *m, enum core_type type, size_t size, const char *owner,
    const char *id, const char *vpc_id)
{
	struct core_res *r = xcalloc(1, size);

	r->type = type;
	if (vpc_id)
		str_copy(vpc_field(r), vpc_id, CORE_ID_MAX);
	if (id)
		STR_COPY(r->id, id);
	else
		do
			core_new_id(type_prefix[type], r->id);
		while (map_get(&m->ids, r->id));
	STR_COPY(r->owner, owner ? owner : r->id);
	r->seq = m->next_seq++;
	r->created_ms = time_now_ms();
	link_res(m, r);
	core_touch(m, r);
	return r;
}

void *
core_res_new(struct core_model *m, enum core_type type, size_t size, const char *owner,
    const char *id)
{
	return res_new(m, type, size, owner, id, NULL);
}

void *
core_res_new_in(struct core_model *m, enum core_type type, size_t size, const char *owner,
    const char *vpc_id)
{
	return res_new(m, type, size, owner, NULL, vpc_id);
}

void
core_res_adopt(struct core_model *m, struct core_res *r)
{
	link_res(m, r);
	if (r->type == CORE_ACCOUNT) {
		struct core_account *a = (struct core_account *)r;

		for (size_t i = 0; i < a->n_keys; i++)
			map_put(&m->keys, a->keys[i].access_key_id, a);
	}
	if (r->type == CORE_SG)
		core_sg_index(m, (struct core_sg *)r);
}

void
core_touch(struct core_model *m, struct core_res *r)
{
	if (r->is_dirty)
		return;
	r->is_dirty = true;
	r->dirty_next = m->dirty;
	m->dirty = r;
}

static void
unlink_dirty(struct core_model *m, struct core_res *r)
{
	struct core_res **pp;

	for (pp = &m->dirty; *pp; pp = &(*pp)->dirty_next)
		if (*pp == r) {
			*pp = r->dirty_next;
			break;
		}
	r->is_dirty = false;
}

void
core_remove(struct core_model *m, struct core_res *r)
{
	if (r->type == CORE_VPC || r->type == CORE_SUBNET || r->type == CORE_ENI)
		core_fl_forget(m, r->id);
	if (r->is_dirty)
		unlink_dirty(m, r);
	count_adjust(m, r, -1);
	if (r->type == CORE_SG && ((struct core_sg *)r)->name_key)
		map_del(&m->sg_names, ((struct core_sg *)r)->name_key);
	if (r->prev)
		r->prev->next = r->next;
	else
		m->head[r->type] = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		m->tail[r->type] = r->prev;
	m->count[r->type]--;
	map_del(&m->ids, r->id);
	if (r->type == CORE_ACCOUNT) {
		struct core_account *a = (struct core_account *)r;

		for (size_t i = 0; i < a->n_keys; i++)
			map_del(&m->keys, a->keys[i].access_key_id);
	}
	m->removed = xreallocarray(m->removed, m->n_removed + 1, sizeof(*m->removed));
	m->removed[m->n_removed++] = r->seq;
	core_res_free(r);
}

int
core_commit_point(const struct core_model *m, struct core_error *err)
{
	if (!m->is_dry_run)
		return 0;
	return core_fail(err, "DryRunOperation",
	    "Request would have succeeded, but DryRun flag is set.");
}

void
core_changes_clear(struct core_model *m)
{
	struct core_res *r, *next;

	for (r = m->dirty; r; r = next) {
		next = r->dirty_next;
		r->is_dirty = false;
		r->dirty_next = NULL;
	}
	m->dirty = NULL;
	m->n_removed = 0;
}

struct core_res *
core_get(const struct core_model *m, const char *id)
{
	return map_get(&m->ids, id);
}

void *
core_find(const struct core_model *m, enum core_type type, const char *owner,
    const char *id)
{
	struct core_res *r;

	if (id == NULL)
		return NULL;
	r = map_get(&m->ids, id);
	if (r == NULL || r->type != type || (owner && !core_res_is_visible(r, owner)))
		return NULL;
	return r;
}

bool
core_res_is_visible(const struct core_res *r, const char *account)
{
	return strcmp(r->owner, account) == 0 || (r->type == CORE_PCX &&
	    strcmp(((const struct core_pcx *)r)->peer_owner, account) == 0);
}


void
core_res_free(struct core_res *r)
{
	if (r == NULL)
		return;
	switch (r->type) {
	case CORE_ACCOUNT:
		core_account_free_fields((struct core_account *)r);
		break;
	case CORE_VPC:
		free(((struct core_vpc *)r)->cidrs);
		break;
	case CORE_RTB:
		free(((struct core_rtb *)r)->routes);
		free(((struct core_rtb *)r)->assocs);
		break;
	case CORE_SG:
		core_sg_free_fields((struct core_sg *)r);
		break;
	case CORE_ACL:
		free(((struct core_acl *)r)->entries);
		free(((struct core_acl *)r)->assocs);
		break;
	case CORE_ENI:
		free(((struct core_eni *)r)->description);
		break;
	case CORE_INSTANCE:
		free(((struct core_instance *)r)->state_reason);
		free(((struct core_instance *)r)->user_data);
		break;
	case CORE_FL:
		core_fl_free_fields((struct core_fl *)r);
		break;
	default:
		break;
	}
	core_tags_free(r->tags, r->n_tags);
	free(r);
}
