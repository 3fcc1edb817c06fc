/*
 * Internals of the api layer: the request context handed to every
 * handler, and the helpers handlers share (errors, ids, filters, pages,
 * tags).
 *
 * A handler runs with the model locked (shared for Describe calls,
 * exclusive for mutating calls, which run on the single writer thread
 * inside the current store transaction).  Its output struct may point
 * into the model: the response is encoded before the lock is released.
 * Everything else it allocates comes from ctx->arena.
 */
#ifndef VPCD_API_INT_H
#define VPCD_API_INT_H

#include <errno.h>
#include <string.h>

#include "api/api.h"
#include "api/api_codec.h"
#include "api/ec2_gen.h"
#include "core/core.h"

struct store;

struct api_ctx {
	struct core_model *model;
	struct store *store;         /* writer only, for ClientToken records */
	const struct api_options *opt;
	const char *owner;           /* the caller's account id */
	const char *action;
	struct arena *arena;
	struct api_error *err;
};

/* Sets ctx->err and returns -EINVAL. */
int api_fail(struct api_ctx *ctx, const char *code, const char *fmt, ...) PRINTF(3, 4);
/* Copies a core error into ctx->err; returns -EINVAL. */
int api_fail_core(struct api_ctx *ctx, const struct core_error *cerr);
/* The HTTP status for an EC2 error code (400 unless listed). */
int api_error_status(const char *code);
/* Starts a mutation: sets the model's DryRun flag from the request. */
void api_dry_run(struct api_ctx *ctx, struct ec2_opt_bool dry_run);
/* For calls that change nothing: DryRunOperation if requested. */
int api_dry_run_check(struct api_ctx *ctx, struct ec2_opt_bool dry_run);

/* Parses a CIDR for parameter 'param'; InvalidParameterValue if bad. */
int api_parse_cidr(struct api_ctx *ctx, const char *s, const char *param,
    struct core_cidr *out);
/* Looks up a resource owned by the caller, with the AWS not-found error. */
void *api_lookup(struct api_ctx *ctx, enum core_type type, const char *id);
/* A required string member that the model marks optional. */
int api_require(struct api_ctx *ctx, const char *value, const char *param);

/* Formatting into the arena. */
const char *api_cidr_str(struct api_ctx *ctx, const struct core_cidr *c);
struct ec2_tag *api_tags_out(struct api_ctx *ctx, const struct core_tag *tags,
    size_t n, size_t *n_out);
/* Output list allocation: always non-NULL so that empty lists are sent. */
#define API_LIST(ctx, ptr, count) \
	((ptr) = arena_array((ctx)->arena, (count) ? (count) : 1, sizeof(*(ptr))))

/*
 * Filters.  A table maps each filter name a Describe call accepts to a
 * function that lists the resource's values for it; a resource matches a
 * Filter when any value matches any of the Filter's values (with * and ?
 * wildcards), and all Filters must match.  tag:<key>, tag-key and
 * tag-value are handled for every table.
 */
struct api_vals {
	struct api_ctx *ctx;
	const char **v;
	size_t n, cap;
};
void api_val(struct api_vals *vals, const char *s);
void api_val_bool(struct api_vals *vals, bool b);
void api_val_int(struct api_vals *vals, long long v);
typedef void (*api_filter_fn)(struct api_vals *vals, const void *res);
struct api_filter_def {
	const char *name;
	api_filter_fn fn;
};
struct api_filters {
	const struct api_filter_def *defs;
	size_t n_defs;
	const struct ec2_filter *filters;
	size_t n_filters;
	const api_filter_fn *fns;  /* resolved per filter */
};
/* Resolves filter names; InvalidParameterValue for an unknown name. */
int api_filters_init(struct api_ctx *ctx, struct api_filters *f,
    const struct api_filter_def *defs, size_t n_defs,
    const struct ec2_filter *filters, size_t n_filters);
/* 'res' is what the filter functions take (a resource, or for Regions
 * and zones the output item); 'tags' may be NULL. */
bool api_filters_match(struct api_ctx *ctx, const struct api_filters *f,
    const void *res, const struct core_tag *tags, size_t n_tags);

/*
 * Pagination: items are taken in a stable order, each with an increasing
 * key (a resource's creation sequence number, or an item's position for
 * lists of sub-objects); NextToken carries the key of the last item sent.
 */
struct api_page {
	uint64_t after;
	size_t max;     /* 0: no limit */
	size_t n;
	uint64_t last;
	bool has_more;
};
int api_page_init(struct api_ctx *ctx, struct api_page *pg, struct ec2_opt_int max_results,
    const char *next_token, int min, int max);
/* Whether the item with 'key' belongs on this page; marks has_more when
 * the page is full. */
bool api_page_take(struct api_page *pg, uint64_t key);
const char *api_page_token(struct api_ctx *ctx, const struct api_page *pg);

/* Whether 'id' is among 'ids' (always true when 'ids' is empty). */
bool api_ids_has(const char *const *ids, size_t n, const char *id);
/*
 * The caller's resources of 'type' that a Describe call lists, in
 * creation order: the ones 'ids' names (each must exist, else the type's
 * not-found error naming every missing id), or all of them.  '*set' is allocated from the arena.
 */
int api_describe_set(struct api_ctx *ctx, enum core_type type, const char *const *ids,
    size_t n_ids, struct core_res ***set, size_t *n);

/*
 * The start the paginated Describe calls share: MaxResults may not come
 * with ids, then the page, the filters, the resources asked for (in 'd')
 * and DryRun.  0, or -EINVAL with ctx->err set.
 */
struct api_describe_req {
	enum core_type type;
	const char *ids_param;          /* "vpcIds", for the error message */
	const char *const *ids;
	size_t n_ids;
	struct ec2_opt_int max_results;
	const char *next_token;
	int max;                        /* MaxResults' upper bound */
	const struct api_filter_def *defs;
	size_t n_defs;
	const struct ec2_filter *filters;
	size_t n_filters;
	struct ec2_opt_bool dry_run;
};
struct api_describe {
	struct api_filters f;
	struct api_page pg;
	struct core_res **set;
	size_t n;
};
int api_describe_begin(struct api_ctx *ctx, struct api_describe *d,
    const struct api_describe_req *q);

/* Tags: validates TagSpecifications for 'type'; applies them. */
int api_tagspec_check(struct api_ctx *ctx, const struct ec2_tag_specification *specs,
    size_t n, const char *resource_type);
/* The same for calls that tag several kinds of resources (RunInstances). */
int api_tagspec_check_types(struct api_ctx *ctx, const struct ec2_tag_specification *specs,
    size_t n, const char *const *types, size_t n_types);
/* Applies the specifications whose type is 'resource_type'. */
void api_tagspec_apply(struct api_ctx *ctx, const struct ec2_tag_specification *specs,
    size_t n, const char *resource_type, struct core_res *res);

/* Addresses: parsing (InvalidParameterValue) and formatting into the arena. */
int api_parse_ip(struct api_ctx *ctx, const char *s, const char *param, uint32_t *out);
const char *api_ip_str(struct api_ctx *ctx, uint32_t ip);
/* The DNS names EC2 gives an address ("ip-10-0-1-5.ec2.internal"). */
const char *api_private_dns(struct api_ctx *ctx, uint32_t ip);
const char *api_public_dns(struct api_ctx *ctx, uint32_t ip);
/* An interface's groups, with their names. */
struct ec2_group_identifier *api_groups_out(struct api_ctx *ctx,
    const struct core_eni *eni, size_t *n_out);
/* A network interface as DescribeNetworkInterfaces shows it (api_eni.c). */
void api_eni_out(struct api_ctx *ctx, const struct core_eni *eni,
    struct ec2_network_interface *out);

#endif
