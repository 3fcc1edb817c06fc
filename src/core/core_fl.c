/* Flow logs: what they log and where (see core.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

#define FL(r) ((struct core_fl *)(r))

static const char *const field_names[] = {
#define X(e, name) name,
	CORE_FL_FIELDS(X)
#undef X
};

const char core_fl_default_format[] =
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} "
    "${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

const char *
core_fl_field_name(enum core_fl_field f)
{
	return field_names[f];
}

const char *
core_fl_traffic_name(enum core_fl_traffic t)
{
	static const char *const names[] = { "ACCEPT", "REJECT", "ALL" };

	return names[t];
}

int
core_fl_format_parse(const char *format, enum core_fl_field out[CORE_FL_FORMAT_MAX])
{
	const char *p = format;
	int n = 0;

	if (*p == '\0')
		return -EINVAL;
	while (*p) {
		const char *end;
		size_t len;
		int k;

		if (strncmp(p, "${", 2) != 0 || (end = strchr(p, '}')) == NULL ||
		    n == CORE_FL_FORMAT_MAX)
			return -EINVAL;
		len = (size_t)(end - p - 2);
		for (k = 0; k < CORE_FL_N_FIELDS; k++)
			if (strlen(field_names[k]) == len && strncmp(p + 2, field_names[k], len) == 0)
				break;
		if (k == CORE_FL_N_FIELDS)
			return -EINVAL;
		out[n++] = (enum core_fl_field)k;
		p = end + 1;
		if (*p == ' ' && p[1] != '\0')
			p++;
		else if (*p != '\0')
			return -EINVAL;
	}
	return n;
}

static bool
same_destination(const struct core_fl *fl, const struct core_fl_spec *spec)
{
	return fl->is_s3 == spec->is_s3 && strcmp(fl->destination, spec->destination) == 0;
}

int
core_fl_create(struct core_model *m, const char *owner, const struct core_fl_spec *spec,
    const char *resource_id, struct core_fl **out, struct core_error *err)
{
	static const enum core_type types[] = {
		[CORE_FL_VPC] = CORE_VPC, [CORE_FL_SUBNET] = CORE_SUBNET, [CORE_FL_ENI] = CORE_ENI,
	};
	size_t n = 0;
	struct core_fl *fl;

	if (core_lookup(m, types[spec->resource_type], owner, resource_id, err) == NULL)
		return -ENOENT;
	CORE_FOREACH(m, CORE_FL, r) {
		if (strcmp(FL(r)->resource_id, resource_id) != 0)
			continue;
		if (FL(r)->traffic == spec->traffic && same_destination(FL(r), spec))
			return core_fail(err, "FlowLogAlreadyExists",
			    "Error. There is an existing Flow Log with the same configuration "
			    "and log destination.");
		n++;
	}
	if (n >= m->cfg->fls_per_resource)
		return core_fail(err, "FlowLogsLimitExceeded",
		    "You have reached the limit of %u flow logs for resource %s.",
		    m->cfg->fls_per_resource, resource_id);
	if (core_commit_point(m, err))
		return -EINVAL;
	fl = core_res_new(m, CORE_FL, sizeof(*fl), owner, NULL);
	STR_COPY(fl->resource_id, resource_id);
	fl->resource_type = spec->resource_type;
	fl->traffic = spec->traffic;
	fl->is_s3 = spec->is_s3;
	fl->log_group = spec->log_group ? xstrdup(spec->log_group) : NULL;
	fl->destination = xstrdup(spec->destination);
	fl->role_arn = spec->role_arn ? xstrdup(spec->role_arn) : NULL;
	fl->format = spec->format ? xstrdup(spec->format) : NULL;
	fl->max_agg_s = spec->max_agg_s;
	fl->is_hive = spec->is_hive;
	fl->is_per_hour = spec->is_per_hour;
	*out = fl;
	return 0;
}

void
core_fl_free_fields(struct core_fl *fl)
{
	free(fl->log_group);
	free(fl->destination);
	free(fl->role_arn);
	free(fl->format);
}

/* Flow logs go with their resource. */
void
core_fl_forget(struct core_model *m, const char *resource_id)
{
	struct core_res *r = m->head[CORE_FL], *next;

	for (; r; r = next) {
		next = r->next;
		if (strcmp(FL(r)->resource_id, resource_id) == 0)
			core_remove(m, r);
	}
}
