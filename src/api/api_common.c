/* Helpers shared by the request handlers: errors, filters, pages, tags. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

/*
 * HTTP statuses of the EC2 error codes that are not 400.  Everything a
 * client may retry (5xx, throttling) is reserved for real transient
 * failures.
 */
static const struct {
	const char *code;
	int status;
} error_statuses[] = {
	{ "AuthFailure", 401 },
	{ "MissingAuthenticationToken", 401 },
	{ "UnauthorizedOperation", 403 },
	{ "DryRunOperation", 412 },
	{ "InternalError", 500 },
	{ "ServiceUnavailable", 503 },
	{ "RequestLimitExceeded", 503 },
};

int
api_error_status(const char *code)
{
	for (size_t i = 0; i < ARRAY_SIZE(error_statuses); i++)
		if (strcmp(code, error_statuses[i].code) == 0)
			return error_statuses[i].status;
	return 400;
}

int
api_fail(struct api_ctx *ctx, const char *code, const char *fmt, ...)
{
	va_list ap;

	ctx->err->code = code;
	ctx->err->status = api_error_status(code);
	va_start(ap, fmt);
	vsnprintf(ctx->err->message, sizeof(ctx->err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int
api_fail_core(struct api_ctx *ctx, const struct core_error *cerr)
{
	return api_fail(ctx, cerr->code, "%s", cerr->message);
}

void
api_dry_run(struct api_ctx *ctx, struct ec2_opt_bool dry_run)
{
	ctx->model->is_dry_run = dry_run.set && dry_run.v;
}

int
api_dry_run_check(struct api_ctx *ctx, struct ec2_opt_bool dry_run)
{
	if (dry_run.set && dry_run.v)
		return api_fail(ctx, "DryRunOperation",
		    "Request would have succeeded, but DryRun flag is set.");
	return 0;
}

int
api_parse_cidr(struct api_ctx *ctx, const char *s, const char *param, struct core_cidr *out)
{
	if (s == NULL)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter %s", param);
	if (core_cidr_parse(s, out))
		return api_fail(ctx, "InvalidParameterValue",
		    "Value (%s) for parameter %s is invalid. This is not a valid CIDR block.",
		    s, param);
	return 0;
}

void *
api_lookup(struct api_ctx *ctx, enum core_type type, const char *id)
{
	struct core_error cerr;
	void *r = core_lookup(ctx->model, type, ctx->owner, id, &cerr);

	if (r == NULL)
		api_fail_core(ctx, &cerr);
	return r;
}

int
api_require(struct api_ctx *ctx, const char *value, const char *param)
{
	if (value == NULL || *value == '\0')
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter %s", param);
	return 0;
}

const char *
api_cidr_str(struct api_ctx *ctx, const struct core_cidr *c)
{
	char *s = arena_alloc(ctx->arena, 20);

	core_cidr_format(c, s);
	return s;
}

struct ec2_tag *
api_tags_out(struct api_ctx *ctx, const struct core_tag *tags, size_t n, size_t *n_out)
{
	struct ec2_tag *out;

	*n_out = n;
	if (n == 0)
		return NULL;
	out = arena_array(ctx->arena, n, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		out[i].key = tags[i].key;
		out[i].value = tags[i].value;
	}
	return out;
}

void
api_val(struct api_vals *vals, const char *s)
{
	if (s == NULL)
		return;
	if (vals->n == vals->cap) {
		const char **v;

		vals->cap = vals->cap ? vals->cap * 2 : 16;
		v = arena_array(vals->ctx->arena, vals->cap, sizeof(*v));
		if (vals->n)
			memcpy(v, vals->v, vals->n * sizeof(*v));
		vals->v = v;
	}
	vals->v[vals->n++] = s;
}

void
api_val_bool(struct api_vals *vals, bool b)
{
	api_val(vals, b ? "true" : "false");
}

void
api_val_int(struct api_vals *vals, long long v)
{
	api_val(vals, arena_printf(vals->ctx->arena, "%lld", v));
}

int
api_filters_init(struct api_ctx *ctx, struct api_filters *f,
    const struct api_filter_def *defs, size_t n_defs, const struct ec2_filter *filters,
    size_t n_filters)
{
	api_filter_fn *fns = arena_array(ctx->arena, n_filters ? n_filters : 1, sizeof(*fns));

	for (size_t i = 0; i < n_filters; i++) {
		const char *name = filters[i].name;

		if (name == NULL)
			return api_fail(ctx, "MissingParameter",
			    "The request must contain the parameter Filter.%zu.Name", i + 1);
		if (str_has_prefix(name, "tag:") || strcmp(name, "tag-key") == 0 ||
		    strcmp(name, "tag-value") == 0)
			continue;
		for (size_t j = 0; j < n_defs; j++)
			if (strcmp(defs[j].name, name) == 0)
				fns[i] = defs[j].fn;
		if (fns[i] == NULL)
			return api_fail(ctx, "InvalidParameterValue",
			    "The filter '%s' is invalid", name);
	}
	f->defs = defs;
	f->n_defs = n_defs;
	f->filters = filters;
	f->n_filters = n_filters;
	f->fns = fns;
	return 0;
}

static bool
any_match(const struct ec2_filter *flt, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < flt->n_values; j++)
			if (glob_match(flt->values[j], v[i]))
				return true;
	return false;
}

bool
api_filters_match(struct api_ctx *ctx, const struct api_filters *f,
    const void *res, const struct core_tag *tags, size_t n_tags)
{
	for (size_t i = 0; i < f->n_filters; i++) {
		const struct ec2_filter *flt = &f->filters[i];
		const char *name = flt->name;
		struct api_vals vals = { .ctx = ctx };

		if (str_has_prefix(name, "tag:")) {
			api_val(&vals, core_tags_get(tags, n_tags, name + 4));
		} else if (strcmp(name, "tag-key") == 0) {
			for (size_t t = 0; t < n_tags; t++)
				api_val(&vals, tags[t].key);
		} else if (strcmp(name, "tag-value") == 0) {
			for (size_t t = 0; t < n_tags; t++)
				api_val(&vals, tags[t].value);
		} else {
			f->fns[i](&vals, res);
		}
		if (!any_match(flt, vals.v, vals.n))
			return false;
	}
	return true;
}

int
api_page_init(struct api_ctx *ctx, struct api_page *pg, struct ec2_opt_int max_results,
    const char *next_token, int min, int max)
{
	memset(pg, 0, sizeof(*pg));
	if (max_results.set) {
		if (max_results.v < min || max_results.v > max)
			return api_fail(ctx, "InvalidParameterValue",
			    "Value ( %" PRId64 " ) for parameter maxResults is invalid. "
			    "Parameter must be between %d and %d.", max_results.v, min, max);
		pg->max = (size_t)max_results.v;
	}
	if (next_token && *next_token) {
		char *end;
		unsigned long long v;

		if (!str_has_prefix(next_token, "vpcd1."))
			goto bad;
		v = strtoull(next_token + 6, &end, 16);
		if (*end || end == next_token + 6)
			goto bad;
		pg->after = v;
	}
	return 0;
bad:
	return api_fail(ctx, "InvalidNextToken", "The token '%s' is invalid.", next_token);
}

bool
api_page_take(struct api_page *pg, uint64_t key)
{
	if (key <= pg->after)
		return false;
	if (pg->max && pg->n == pg->max) {
		pg->has_more = true;
		return false;
	}
	pg->n++;
	pg->last = key;
	return true;
}

const char *
api_page_token(struct api_ctx *ctx, const struct api_page *pg)
{
	if (!pg->has_more)
		return NULL;
	return arena_printf(ctx->arena, "vpcd1.%" PRIx64, pg->last);
}

bool
api_ids_has(const char *const *ids, size_t n, const char *id)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return true;
	return false;
}

static int
api_ids_check(struct api_ctx *ctx, enum core_type type, const char *const *ids, size_t n)
{
	struct core_error cerr;
	struct buf missing;
	size_t n_missing = 0;

	buf_init(&missing);
	for (size_t i = 0; i < n; i++)
		if (core_find(ctx->model, type, ctx->owner, ids[i]) == NULL) {
			buf_printf(&missing, "%s%s", n_missing ? ", " : "", ids[i]);
			n_missing++;
		}
	if (n_missing == 0) {
		buf_fini(&missing);
		return 0;
	}
	core_not_found(type, missing.data, &cerr);
	if (n_missing > 1) {
		/* AWS's plural form: "The vpc IDs 'a, b' do not exist". */
		char *p = strstr(cerr.message, " ID '");

		if (p) {
			char tail[sizeof(cerr.message)];

			snprintf(tail, sizeof(tail), " IDs '%s' do not exist", missing.data);
			snprintf(p, sizeof(cerr.message) - (size_t)(p - cerr.message), "%s", tail);
		}
	}
	buf_fini(&missing);
	return api_fail_core(ctx, &cerr);
}

static int
seq_cmp(const void *a, const void *b)
{
	const struct core_res *x = *(struct core_res *const *)a;
	const struct core_res *y = *(struct core_res *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int
api_describe_set(struct api_ctx *ctx, enum core_type type, const char *const *ids,
    size_t n_ids, struct core_res ***set, size_t *n)
{
	struct core_res **list;
	size_t k = 0;

	if (api_ids_check(ctx, type, ids, n_ids))
		return -EINVAL;
	if (n_ids) {
		/* By id: a map lookup each, not a scan of the Region. */
		list = arena_array(ctx->arena, n_ids, sizeof(*list));
		for (size_t i = 0; i < n_ids; i++)
			list[i] = core_find(ctx->model, type, ctx->owner, ids[i]);
		qsort(list, n_ids, sizeof(*list), seq_cmp);
		for (size_t i = 0; i < n_ids; i++)  /* an id may be named twice */
			if (k == 0 || list[i] != list[k - 1])
				list[k++] = list[i];
	} else {
		/* Shared kinds (peering connections) are not all the caller's own. */
		list = arena_array(ctx->arena, (type == CORE_PCX ? ctx->model->count[type] :
		    core_count_owned(ctx->model, type, ctx->owner)) + 1, sizeof(*list));
		CORE_FOREACH(ctx->model, type, r)
			if (core_res_is_visible(r, ctx->owner))
				list[k++] = r;
	}
	*set = list;
	*n = k;
	return 0;
}

int
api_tagspec_check_types(struct api_ctx *ctx, const struct ec2_tag_specification *specs,
    size_t n, const char *const *types, size_t n_types)
{
	for (size_t i = 0; i < n; i++) {
		struct core_error cerr;
		struct core_tag *tags;
		bool known = false;

		if (specs[i].resource_type == NULL)
			return api_fail(ctx, "InvalidParameterValue",
			    "A resource type is required in TagSpecification.%zu", i + 1);
		for (size_t t = 0; t < n_types; t++)
			known |= strcmp(specs[i].resource_type, types[t]) == 0;
		if (!known)
			return api_fail(ctx, "InvalidParameterValue",
			    "'%s' is not a valid taggable resource type for this operation.",
			    specs[i].resource_type);
		tags = arena_array(ctx->arena, specs[i].n_tags + 1, sizeof(*tags));
		for (size_t t = 0; t < specs[i].n_tags; t++) {
			tags[t].key = (char *)specs[i].tags[t].key;
			tags[t].value = (char *)specs[i].tags[t].value;
		}
		if (core_tags_check(tags, specs[i].n_tags, 0, &cerr))
			return api_fail_core(ctx, &cerr);
	}
	return 0;
}

int
api_describe_begin(struct api_ctx *ctx, struct api_describe *d, const struct api_describe_req *q)
{
	if (q->max_results.set && q->n_ids)
		return api_fail(ctx, "InvalidParameterCombination",
		    "The parameter %s cannot be used with the parameter maxResults", q->ids_param);
	if (api_page_init(ctx, &d->pg, q->max_results, q->next_token, 5, q->max) ||
	    api_filters_init(ctx, &d->f, q->defs, q->n_defs, q->filters, q->n_filters) ||
	    api_describe_set(ctx, q->type, q->ids, q->n_ids, &d->set, &d->n) ||
	    api_dry_run_check(ctx, q->dry_run))
		return -EINVAL;
	return 0;
}

int
api_tagspec_check(struct api_ctx *ctx, const struct ec2_tag_specification *specs, size_t n,
    const char *resource_type)
{
	return api_tagspec_check_types(ctx, specs, n, &resource_type, 1);
}

void
api_tagspec_apply(struct api_ctx *ctx, const struct ec2_tag_specification *specs, size_t n,
    const char *resource_type, struct core_res *res)
{
	bool changed = false;

	for (size_t i = 0; i < n; i++) {
		if (specs[i].resource_type && strcmp(specs[i].resource_type, resource_type) != 0)
			continue;
		for (size_t t = 0; t < specs[i].n_tags; t++) {
			core_tags_set(&res->tags, &res->n_tags, specs[i].tags[t].key,
			    specs[i].tags[t].value);
			changed = true;
		}
	}
	if (changed)
		core_touch(ctx->model, res);
}

int
api_parse_ip(struct api_ctx *ctx, const char *s, const char *param, uint32_t *out)
{
	if (core_ip_parse(s, out))
		return api_fail(ctx, "InvalidParameterValue",
		    "Value (%s) for parameter %s is invalid. This is not a valid IPv4 address.",
		    s, param);
	return 0;
}

const char *
api_ip_str(struct api_ctx *ctx, uint32_t ip)
{
	char *s = arena_alloc(ctx->arena, 16);

	core_ip_format(ip, s);
	return s;
}

/* us-east-1 has names of its own; every other Region the regional form. */
const char *
api_private_dns(struct api_ctx *ctx, uint32_t ip)
{
	const char *region = ctx->model->cfg->region;

	if (strcmp(region, "us-east-1") == 0)
		return arena_printf(ctx->arena, "ip-%u-%u-%u-%u.ec2.internal", ip >> 24,
		    ip >> 16 & 255, ip >> 8 & 255, ip & 255);
	return arena_printf(ctx->arena, "ip-%u-%u-%u-%u.%s.compute.internal", ip >> 24,
	    ip >> 16 & 255, ip >> 8 & 255, ip & 255, region);
}

const char *
api_public_dns(struct api_ctx *ctx, uint32_t ip)
{
	const char *region = ctx->model->cfg->region;

	if (strcmp(region, "us-east-1") == 0)
		return arena_printf(ctx->arena, "ec2-%u-%u-%u-%u.compute-1.amazonaws.com",
		    ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
	return arena_printf(ctx->arena, "ec2-%u-%u-%u-%u.%s.compute.amazonaws.com", ip >> 24,
	    ip >> 16 & 255, ip >> 8 & 255, ip & 255, region);
}

struct ec2_group_identifier *
api_groups_out(struct api_ctx *ctx, const struct core_eni *eni, size_t *n_out)
{
	struct ec2_group_identifier *g;

	API_LIST(ctx, g, eni->n_groups);
	for (size_t i = 0; i < eni->n_groups; i++) {
		const struct core_sg *sg = core_find(ctx->model, CORE_SG, NULL, eni->groups[i]);

		g[i].group_id = eni->groups[i];
		g[i].group_name = sg ? sg->name : NULL;
	}
	*n_out = eni->n_groups;
	return g;
}
