/* Tags on any resource, including security group rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

/* A taggable thing: a resource, or a rule inside a security group. */
struct tagged {
	struct core_res *res;          /* the resource saved when tags change */
	struct core_sg_rule *rule;     /* or NULL */
	const char *id;
	const char *type;
	struct core_tag **tags;
	size_t *n_tags;
};

static int
find_tagged(struct api_ctx *ctx, const char *id, struct tagged *t)
{
	struct core_res *r = core_get(ctx->model, id);
	struct core_error cerr;

	memset(t, 0, sizeof(*t));
	if (r && r->type != CORE_ACCOUNT && strcmp(r->owner, ctx->owner) == 0) {
		t->res = r;
		t->id = r->id;
		t->type = core_type_name(r->type);
		t->tags = &r->tags;
		t->n_tags = &r->n_tags;
		return 0;
	}
	if (str_has_prefix(id, "sgr-")) {
		CORE_FOREACH(ctx->model, CORE_SG, s) {
			struct core_sg_rule *rule;

			if (strcmp(s->owner, ctx->owner) != 0)
				continue;
			if ((rule = core_sg_rule_find((struct core_sg *)s, id)) != NULL) {
				t->res = s;
				t->rule = rule;
				t->id = rule->id;
				t->type = "security-group-rule";
				t->tags = &rule->tags;
				t->n_tags = &rule->n_tags;
				return 0;
			}
		}
		return api_fail(ctx, "InvalidSecurityGroupRuleId.NotFound",
		    "The security group rule ID '%s' does not exist", id);
	}
	for (int type = CORE_VPC; type < CORE_N_TYPES; type++) {
		const char *prefix = core_type_prefix(type);
		size_t n = strlen(prefix);

		if (strncmp(id, prefix, n) == 0 && id[n] == '-') {
			core_not_found(type, id, &cerr);
			return api_fail_core(ctx, &cerr);
		}
	}
	return api_fail(ctx, "InvalidID", "The ID '%s' is not valid", id);
}

int
api_create_tags(struct api_ctx *ctx, const struct ec2_create_tags_request *in)
{
	struct core_error cerr;
	struct tagged *all;
	struct core_tag *tags;

	if (in->n_resources == 0)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter resourceIdSet");
	if (in->n_tags == 0)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter tagSet");
	tags = arena_array(ctx->arena, in->n_tags, sizeof(*tags));
	for (size_t i = 0; i < in->n_tags; i++) {
		tags[i].key = (char *)in->tags[i].key;
		tags[i].value = (char *)in->tags[i].value;
	}
	all = arena_array(ctx->arena, in->n_resources, sizeof(*all));
	for (size_t i = 0; i < in->n_resources; i++) {
		size_t added = 0;

		if (find_tagged(ctx, in->resources[i], &all[i]))
			return -EINVAL;
		for (size_t t = 0; t < in->n_tags; t++)
			added += in->tags[t].key && !core_tags_get(*all[i].tags, *all[i].n_tags,
			    in->tags[t].key);
		if (core_tags_check(tags, in->n_tags, 0, &cerr))
			return api_fail_core(ctx, &cerr);
		if (*all[i].n_tags + added > CORE_TAGS_MAX)
			return api_fail(ctx, "TagLimitExceeded",
			    "The maximum number of Tags for a resource has been reached (%d)",
			    CORE_TAGS_MAX);
	}
	api_dry_run(ctx, in->dry_run);
	if (core_commit_point(ctx->model, &cerr))
		return api_fail_core(ctx, &cerr);
	for (size_t i = 0; i < in->n_resources; i++) {
		for (size_t t = 0; t < in->n_tags; t++)
			core_tags_set(all[i].tags, all[i].n_tags, in->tags[t].key,
			    in->tags[t].value);
		core_touch(ctx->model, all[i].res);
	}
	return 0;
}

int
api_delete_tags(struct api_ctx *ctx, const struct ec2_delete_tags_request *in)
{
	struct core_error cerr;
	struct tagged *all;

	if (in->n_resources == 0)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter resourceIdSet");
	all = arena_array(ctx->arena, in->n_resources, sizeof(*all));
	for (size_t i = 0; i < in->n_resources; i++)
		if (find_tagged(ctx, in->resources[i], &all[i]))
			return -EINVAL;
	for (size_t t = 0; t < in->n_tags; t++)
		if (in->tags[t].key == NULL)
			return api_fail(ctx, "MissingParameter",
			    "The request must contain the parameter Tag.%zu.Key", t + 1);
	api_dry_run(ctx, in->dry_run);
	if (core_commit_point(ctx->model, &cerr))
		return api_fail_core(ctx, &cerr);
	for (size_t i = 0; i < in->n_resources; i++) {
		if (in->n_tags == 0) {
			/* No Tag parameter: every tag goes. */
			core_tags_free(*all[i].tags, *all[i].n_tags);
			*all[i].tags = NULL;
			*all[i].n_tags = 0;
		}
		for (size_t t = 0; t < in->n_tags; t++)
			core_tags_del(all[i].tags, all[i].n_tags, in->tags[t].key,
			    in->tags[t].value);
		core_touch(ctx->model, all[i].res);
	}
	return 0;
}

#define TAGD(x) ((const struct ec2_tag_description *)(x))
static void f_key(struct api_vals *v, const void *x) { api_val(v, TAGD(x)->key); }
static void f_value(struct api_vals *v, const void *x) { api_val(v, TAGD(x)->value); }
static void f_rid(struct api_vals *v, const void *x) { api_val(v, TAGD(x)->resource_id); }
static void f_rtype(struct api_vals *v, const void *x) { api_val(v, TAGD(x)->resource_type); }

static const struct api_filter_def tag_filters[] = {
	{ "key", f_key },
	{ "resource-id", f_rid },
	{ "resource-type", f_rtype },
	{ "value", f_value },
};

/* Adds one tag to the answer if the filters and the page take it. */
static void
tag_take(struct api_ctx *ctx, const struct api_filters *f, struct api_page *pg,
    uint64_t *pos, const char *id, const char *type, const struct core_tag *tag,
    const struct core_tag *all, size_t n_all, struct ec2_describe_tags_result *out)
{
	struct ec2_tag_description d = { tag->key, id, type, tag->value };

	/* tag:<key> filters look at the resource's other tags. */
	if (api_filters_match(ctx, f, &d, all, n_all) && api_page_take(pg, ++*pos))
		out->tags[out->n_tags++] = d;
}

int
api_describe_tags(struct api_ctx *ctx, const struct ec2_describe_tags_request *in,
    struct ec2_describe_tags_result *out)
{
	struct api_filters f;
	struct api_page pg;
	size_t total = 0;
	uint64_t pos = 0;

	if (api_page_init(ctx, &pg, in->max_results, in->next_token, 5, 1000))
		return -EINVAL;
	if (api_filters_init(ctx, &f, tag_filters, ARRAY_SIZE(tag_filters), in->filters,
	    in->n_filters) || api_dry_run_check(ctx, in->dry_run))
		return -EINVAL;
	for (int type = CORE_VPC; type < CORE_N_TYPES; type++)
		CORE_FOREACH(ctx->model, type, r) {
			total += r->n_tags;
			if (type == CORE_SG)
				for (size_t i = 0; i < ((struct core_sg *)r)->n_rules; i++)
					total += ((struct core_sg *)r)->rules[i].n_tags;
		}
	API_LIST(ctx, out->tags, total);
	for (int type = CORE_VPC; type < CORE_N_TYPES; type++)
		CORE_FOREACH(ctx->model, type, r) {
			if (strcmp(r->owner, ctx->owner) != 0)
				continue;
			for (size_t i = 0; i < r->n_tags; i++)
				tag_take(ctx, &f, &pg, &pos, r->id, core_type_name(r->type),
				    &r->tags[i], r->tags, r->n_tags, out);
			if (type != CORE_SG)
				continue;
			for (size_t j = 0; j < ((struct core_sg *)r)->n_rules; j++) {
				const struct core_sg_rule *u = &((struct core_sg *)r)->rules[j];

				for (size_t i = 0; i < u->n_tags; i++)
					tag_take(ctx, &f, &pg, &pos, u->id, "security-group-rule",
					    &u->tags[i], u->tags, u->n_tags, out);
			}
		}
	out->next_token = api_page_token(ctx, &pg);
	return 0;
}
