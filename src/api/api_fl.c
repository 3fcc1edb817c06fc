/* Flow logs: CreateFlowLogs, DescribeFlowLogs, DeleteFlowLogs. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api_int.h"

#define FL(res) ((const struct core_fl *)(res))

static const char *const resource_types[] = {
	[CORE_FL_VPC] = "VPC", [CORE_FL_SUBNET] = "Subnet", [CORE_FL_ENI] = "NetworkInterface",
};

static int
invalid(struct api_ctx *ctx, const char *msg)
{
	return api_fail(ctx, "InvalidParameter", "%s", msg);
}

/* An S3 bucket name: 3 to 63 lower-case letters, digits, dots and
 * hyphens, starting and ending with a letter or digit. */
static bool
bucket_ok(const char *b, size_t n)
{
	if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)b[i]) && !isdigit((unsigned char)b[i]) && b[i] != '.' &&
		    b[i] != '-')
			return false;
	return true;
}

/* Where the records go: a log group (by name or ARN) or a bucket. */
static int
destination_check(struct api_ctx *ctx, const struct ec2_create_flow_logs_request *in,
    struct core_fl_spec *spec)
{
	const char *type = in->log_destination_type ? in->log_destination_type :
	    "cloud-watch-logs";
	const char *dest = in->log_destination;

	if (strcmp(type, "s3") == 0) {
		const char *bucket = dest ? dest + strlen("arn:aws:s3:::") : NULL;

		spec->is_s3 = true;
		if (in->log_group_name)
			return invalid(ctx, "LogGroupName is not applicable for s3 delivery");
		if (in->deliver_logs_permission_arn)
			return invalid(ctx, "DeliverLogsPermissionArn is not applicable for s3 delivery");
		if (dest == NULL)
			return invalid(ctx, "LogDestination is required for s3 delivery");
		if (!str_has_prefix(dest, "arn:aws:s3:::") ||
		    !bucket_ok(bucket, strcspn(bucket, "/")) || strstr(dest, "/AWSLogs") ||
		    strstr(dest, "..") || dest[strlen(dest) - 1] == '/')
			return api_fail(ctx, "InvalidParameter",
			    "LogDestination: %s is not a valid S3 bucket ARN "
			    "(arn:aws:s3:::bucket[/prefix])", dest);
		spec->destination = dest;
		return 0;
	}
	if (strcmp(type, "cloud-watch-logs") != 0)
		return api_fail(ctx, "InvalidParameter",
		    "LogDestinationType %s is not supported: vpcd delivers to cloud-watch-logs "
		    "and s3", type);
	if ((in->log_group_name == NULL) == (dest == NULL))
		return invalid(ctx, "Exactly one of LogGroupName and LogDestination is required "
		    "for cloud-watch-logs delivery");
	if (in->deliver_logs_permission_arn == NULL ||
	    !str_has_prefix(in->deliver_logs_permission_arn, "arn:aws:iam::"))
		return invalid(ctx, "DeliverLogsPermissionArn (an IAM role ARN) is required for "
		    "cloud-watch-logs delivery");
	if (dest) {
		/* arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*] */
		const char *g = strstr(dest, ":log-group:");
		size_t n;

		if (!str_has_prefix(dest, "arn:aws:logs:") || g == NULL)
			return api_fail(ctx, "InvalidParameter",
			    "LogDestination: %s is not a valid log group ARN", dest);
		g += strlen(":log-group:");
		n = strlen(g);
		if (n >= 2 && strcmp(g + n - 2, ":*") == 0)
			n -= 2;
		spec->log_group = arena_strndup(ctx->arena, g, n);
	} else {
		spec->log_group = in->log_group_name;
	}
	/* Log group names: 1 to 512 of [.-_/#A-Za-z0-9]. */
	if (*spec->log_group == '\0' || strlen(spec->log_group) > 512 ||
	    strspn(spec->log_group, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-/#") != strlen(spec->log_group) || strstr(spec->log_group, ".."))
		return api_fail(ctx, "InvalidParameter", "Log group name %s is not valid",
		    spec->log_group);
	spec->destination = dest ? dest : arena_printf(ctx->arena,
	    "arn:aws:logs:%s:%s:log-group:%s", ctx->model->cfg->region, ctx->owner,
	    spec->log_group);
	spec->role_arn = in->deliver_logs_permission_arn;
	return 0;
}

static int
spec_check(struct api_ctx *ctx, const struct ec2_create_flow_logs_request *in,
    struct core_fl_spec *spec)
{
	enum core_fl_field fields[CORE_FL_FORMAT_MAX];
	size_t k;

	if (in->n_resource_ids == 0)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter ResourceIds");
	if (api_require(ctx, in->resource_type, "ResourceType") ||
	    api_require(ctx, in->traffic_type, "TrafficType"))
		return -EINVAL;
	for (k = 0; k < ARRAY_SIZE(resource_types); k++)
		if (strcmp(in->resource_type, resource_types[k]) == 0)
			break;
	if (k == ARRAY_SIZE(resource_types))
		return api_fail(ctx, "InvalidParameter",
		    "ResourceType %s is not supported: VPC, Subnet or NetworkInterface",
		    in->resource_type);
	spec->resource_type = (enum core_fl_resource)k;
	for (k = 0; k <= CORE_FL_ALL; k++)
		if (strcmp(in->traffic_type, core_fl_traffic_name((enum core_fl_traffic)k)) == 0)
			break;
	if (k > CORE_FL_ALL)
		return api_fail(ctx, "InvalidParameter",
		    "TrafficType %s is not valid: ACCEPT, REJECT or ALL", in->traffic_type);
	spec->traffic = (enum core_fl_traffic)k;
	if (destination_check(ctx, in, spec))
		return -EINVAL;
	spec->max_agg_s = in->max_aggregation_interval.set ?
	    (int)in->max_aggregation_interval.v : 600;
	if (spec->max_agg_s != 60 && spec->max_agg_s != 600)
		return invalid(ctx, "MaxAggregationInterval must be 60 or 600");
	if (in->log_format && core_fl_format_parse(in->log_format, fields) < 0)
		return api_fail(ctx, "InvalidParameter",
		    "Value '%s' at 'logFormat' has an invalid format: fields are ${name} "
		    "separated by single spaces", in->log_format);
	spec->format = in->log_format;
	if (in->destination_options) {
		const struct ec2_destination_options_request *o = in->destination_options;

		if (!spec->is_s3)
			return invalid(ctx, "DestinationOptions are applicable for s3 delivery only");
		if (o->file_format && strcmp(o->file_format, "plain-text") != 0)
			return api_fail(ctx, "UnsupportedOperation",
			    "FileFormat %s: vpcd writes plain-text flow logs", o->file_format);
		spec->is_hive = o->hive_compatible_partitions.set && o->hive_compatible_partitions.v;
		spec->is_per_hour = o->per_hour_partition.set && o->per_hour_partition.v;
	}
	return api_tagspec_check(ctx, in->tag_specifications, in->n_tag_specifications,
	    "vpc-flow-log");
}

static struct ec2_unsuccessful_item *
unsuccessful(struct api_ctx *ctx, struct ec2_unsuccessful_item *items, size_t *n,
    const char *id, const struct core_error *cerr)
{
	struct ec2_unsuccessful_item *u = &items[(*n)++];

	u->resource_id = id;
	u->error = arena_array(ctx->arena, 1, sizeof(*u->error));
	u->error->code = arena_strdup(ctx->arena, cerr->code);
	u->error->message = arena_strdup(ctx->arena, cerr->message);
	return u;
}

int
api_create_flow_logs(struct api_ctx *ctx, const struct ec2_create_flow_logs_request *in,
    struct ec2_create_flow_logs_result *out)
{
	struct core_fl_spec spec = { 0 };
	struct core_error cerr;

	if (spec_check(ctx, in, &spec))
		return -EINVAL;
	api_dry_run(ctx, in->dry_run);
	API_LIST(ctx, out->flow_log_ids, in->n_resource_ids);
	API_LIST(ctx, out->unsuccessful, in->n_resource_ids);
	for (size_t i = 0; i < in->n_resource_ids; i++) {
		struct core_fl *fl;

		if (core_fl_create(ctx->model, ctx->owner, &spec, in->resource_ids[i], &fl, &cerr)) {
			if (strcmp(cerr.code, "DryRunOperation") == 0)
				return api_fail_core(ctx, &cerr);
			unsuccessful(ctx, out->unsuccessful, &out->n_unsuccessful, in->resource_ids[i],
			    &cerr);
			continue;
		}
		api_tagspec_apply(ctx, in->tag_specifications, in->n_tag_specifications,
		    "vpc-flow-log", &fl->res);
		out->flow_log_ids[out->n_flow_log_ids++] = fl->res.id;
	}
	return 0;
}

int
api_delete_flow_logs(struct api_ctx *ctx, const struct ec2_delete_flow_logs_request *in,
    struct ec2_delete_flow_logs_result *out)
{
	struct core_error cerr;

	if (in->n_flow_log_ids == 0)
		return api_fail(ctx, "MissingParameter",
		    "The request must contain the parameter FlowLogIds");
	api_dry_run(ctx, in->dry_run);
	if (core_commit_point(ctx->model, &cerr))
		return api_fail_core(ctx, &cerr);
	API_LIST(ctx, out->unsuccessful, in->n_flow_log_ids);
	for (size_t i = 0; i < in->n_flow_log_ids; i++) {
		struct core_res *r = core_lookup(ctx->model, CORE_FL, ctx->owner,
		    in->flow_log_ids[i], &cerr);

		if (r == NULL)
			unsuccessful(ctx, out->unsuccessful, &out->n_unsuccessful,
			    in->flow_log_ids[i], &cerr);
		else
			core_remove(ctx->model, r);
	}
	return 0;
}

static void
fl_out(struct api_ctx *ctx, const struct core_fl *fl, struct ec2_flow_log *out)
{
	out->flow_log_id = fl->res.id;
	out->creation_time = EC2_INT(fl->res.created_ms);
	out->resource_id = fl->resource_id;
	out->traffic_type = core_fl_traffic_name(fl->traffic);
	out->flow_log_status = "ACTIVE";
	out->deliver_logs_status = "SUCCESS";
	out->log_destination_type = fl->is_s3 ? "s3" : "cloud-watch-logs";
	out->log_destination = fl->destination;
	out->log_group_name = fl->log_group;
	out->deliver_logs_permission_arn = fl->role_arn;
	out->log_format = fl->format ? fl->format : core_fl_default_format;
	out->max_aggregation_interval = EC2_INT(fl->max_agg_s);
	if (fl->is_s3) {
		out->destination_options = arena_array(ctx->arena, 1,
		    sizeof(*out->destination_options));
		out->destination_options->file_format = "plain-text";
		out->destination_options->hive_compatible_partitions = EC2_BOOL(fl->is_hive);
		out->destination_options->per_hour_partition = EC2_BOOL(fl->is_per_hour);
	}
	out->tags = api_tags_out(ctx, fl->res.tags, fl->res.n_tags, &out->n_tags);
}

static void f_id(struct api_vals *v, const void *r) { api_val(v, FL(r)->res.id); }
static void f_resource(struct api_vals *v, const void *r) { api_val(v, FL(r)->resource_id); }
static void f_status(struct api_vals *v, const void *r) { api_val(v, "SUCCESS"); }
static void
f_dest_type(struct api_vals *v, const void *r)
{
	api_val(v, FL(r)->is_s3 ? "s3" : "cloud-watch-logs");
}
static void
f_group(struct api_vals *v, const void *r)
{
	if (FL(r)->log_group)
		api_val(v, FL(r)->log_group);
}
static void
f_traffic(struct api_vals *v, const void *r)
{
	api_val(v, core_fl_traffic_name(FL(r)->traffic));
}

static const struct api_filter_def fl_filters[] = {
	{ "deliver-log-status", f_status },
	{ "flow-log-id", f_id },
	{ "log-destination-type", f_dest_type },
	{ "log-group-name", f_group },
	{ "resource-id", f_resource },
	{ "traffic-type", f_traffic },
};

int
api_describe_flow_logs(struct api_ctx *ctx, const struct ec2_describe_flow_logs_request *in,
    struct ec2_describe_flow_logs_result *out)
{
	struct api_describe d;

	if (api_describe_begin(ctx, &d, &(struct api_describe_req){
	    .type = CORE_FL, .ids_param = "flowLogIds", .ids = in->flow_log_ids,
	    .n_ids = in->n_flow_log_ids, .max_results = in->max_results,
	    .next_token = in->next_token, .max = 1000, .defs = fl_filters,
	    .n_defs = ARRAY_SIZE(fl_filters), .filters = in->filter, .n_filters = in->n_filter,
	    .dry_run = in->dry_run }))
		return -EINVAL;
	API_LIST(ctx, out->flow_logs, d.n);
	for (size_t i = 0; i < d.n; i++) {
		struct core_res *r = d.set[i];

		if (!api_filters_match(ctx, &d.f, r, r->tags, r->n_tags) ||
		    !api_page_take(&d.pg, r->seq))
			continue;
		fl_out(ctx, FL(r), &out->flow_logs[out->n_flow_logs++]);
	}
	out->next_token = api_page_token(ctx, &d.pg);
	return 0;
}
