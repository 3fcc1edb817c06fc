/*
 * Unit tests of the EC2 Query codec: requests as botocore serializes them
 * (the parameter lists below were produced by botocore 1.29's
 * EC2Serializer) decoded into the generated structs, and generated structs
 * encoded into the XML that botocore's EC2QueryParser reads.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_codec.h"
#include "api/ec2_gen.h"
#include "tap.h"

#define MAX_PARAMS 20000

static struct api_param params[MAX_PARAMS];

static int
param_cmp(const void *a, const void *b)
{
	const struct api_param *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/*
 * Decodes the "Name=value" strings that follow 'out' (NULL-terminated)
 * as the HTTP layer would hand them over: split, sorted by name.
 */
static int
decode(struct arena *a, const struct ec2_shape *shape, void *out,
    struct api_error *err, ...)
{
	const char *kv;
	size_t n = 0;
	va_list ap;

	va_start(ap, err);
	while ((kv = va_arg(ap, const char *)) != NULL) {
		const char *eq = strchr(kv, '=');

		params[n].name = arena_strndup(a, kv, eq - kv);
		params[n].value = eq + 1;
		n++;
	}
	va_end(ap);
	qsort(params, n, sizeof(params[0]), param_cmp);
	memset(out, 0, shape->size);
	memset(err, 0, sizeof(*err));
	return api_decode(shape, params, n, a, out, err);
}

static void
test_create_vpc(void)
{
	struct ec2_create_vpc_request r;
	struct api_error err;
	struct arena a;
	int ret;

	arena_init(&a);
	ret = decode(&a, &ec2_shape_create_vpc_request, &r, &err,
	    "Action=CreateVpc", "AmazonProvidedIpv6CidrBlock=false",
	    "CidrBlock=10.0.0.0/16", "DryRun=false", "InstanceTenancy=default",
	    "TagSpecification.1.ResourceType=vpc",
	    "TagSpecification.1.Tag.1.Key=Name",
	    "TagSpecification.1.Tag.1.Value=main", "Version=2016-11-15",
	    "X-Amz-Date=20240102T030405Z", NULL);
	CHECK(ret == 0, "CreateVpc decodes (%s)", err.message);
	CHECK_STR(r.cidr_block, "10.0.0.0/16", "CreateVpc CidrBlock");
	CHECK(r.amazon_provided_ipv6_cidr_block.set &&
	    !r.amazon_provided_ipv6_cidr_block.v,
	    "CreateVpc AmazonProvidedIpv6CidrBlock=false is set and false");
	CHECK(r.dry_run.set && !r.dry_run.v, "CreateVpc DryRun=false");
	CHECK_STR(r.instance_tenancy, "default", "CreateVpc InstanceTenancy");
	CHECK(!r.ipv4_netmask_length.set, "absent integer is unset");
	CHECK(r.ipv6_pool == NULL, "absent string is NULL");
	CHECK(r.n_tag_specifications == 1 && r.tag_specifications,
	    "one TagSpecification");
	if (r.n_tag_specifications == 1) {
		const struct ec2_tag_specification *ts = &r.tag_specifications[0];

		CHECK_STR(ts->resource_type, "vpc", "TagSpecification.1.ResourceType");
		CHECK(ts->n_tags == 1, "TagSpecification.1 has one tag");
		if (ts->n_tags == 1) {
			CHECK_STR(ts->tags[0].key, "Name", "TagSpecification.1.Tag.1.Key");
			CHECK_STR(ts->tags[0].value, "main",
			    "TagSpecification.1.Tag.1.Value");
		}
	}

	/* A request with nothing in it is fine: CreateVpc has no required
	 * member in the model. */
	ret = decode(&a, &ec2_shape_create_vpc_request, &r, &err,
	    "Action=CreateVpc", "Version=2016-11-15", NULL);
	CHECK(ret == 0 && r.cidr_block == NULL && r.tag_specifications == NULL,
	    "Action and Version alone decode to an empty request");
	arena_fini(&a);
}

static void
test_describe_vpcs(void)
{
	struct ec2_describe_vpcs_request r;
	struct api_error err;
	struct arena a;
	char want[32];
	bool ordered = true;
	int ret;

	arena_init(&a);
	ret = decode(&a, &ec2_shape_describe_vpcs_request, &r, &err,
	    "Action=DescribeVpcs", "Filter.1.Name=tag:Name", "Filter.1.Value.1=a",
	    "Filter.1.Value.2=b", "MaxResults=5", "Version=2016-11-15",
	    "VpcId.1=vpc-1", "VpcId.10=vpc-10", "VpcId.11=vpc-11",
	    "VpcId.12=vpc-12", "VpcId.2=vpc-2", "VpcId.3=vpc-3", "VpcId.4=vpc-4",
	    "VpcId.5=vpc-5", "VpcId.6=vpc-6", "VpcId.7=vpc-7", "VpcId.8=vpc-8",
	    "VpcId.9=vpc-9", NULL);
	CHECK(ret == 0, "DescribeVpcs decodes (%s)", err.message);
	CHECK(r.n_filters == 1, "one filter");
	if (r.n_filters == 1) {
		CHECK_STR(r.filters[0].name, "tag:Name", "Filter.1.Name");
		CHECK(r.filters[0].n_values == 2, "Filter.1 has two values");
		if (r.filters[0].n_values == 2) {
			CHECK_STR(r.filters[0].values[0], "a", "Filter.1.Value.1");
			CHECK_STR(r.filters[0].values[1], "b", "Filter.1.Value.2");
		}
	}
	CHECK(r.max_results.set && r.max_results.v == 5, "MaxResults=5");
	CHECK(r.n_vpc_ids == 12, "twelve VpcIds (got %zu)", r.n_vpc_ids);
	for (size_t i = 0; i < r.n_vpc_ids; i++) {
		snprintf(want, sizeof(want), "vpc-%zu", i + 1);
		if (strcmp(r.vpc_ids[i], want) != 0)
			ordered = false;
	}
	CHECK(ordered, "VpcId.1..VpcId.12 decode in numeric order");

	/* Indices need not be dense; Filter.10 sorts before Filter.2. */
	ret = decode(&a, &ec2_shape_describe_vpcs_request, &r, &err,
	    "Filter.10.Name=second", "Filter.10.Value.1=y",
	    "Filter.2.Name=first", "Filter.2.Value.7=x", "Filter.2.Value.3=w",
	    NULL);
	CHECK(ret == 0 && r.n_filters == 2, "sparse filter indices decode");
	if (ret == 0 && r.n_filters == 2) {
		CHECK_STR(r.filters[0].name, "first", "Filter.2 comes first");
		CHECK_STR(r.filters[1].name, "second", "Filter.10 comes second");
		CHECK(r.filters[0].n_values == 2, "Filter.2 has two values");
		CHECK_STR(r.filters[0].values[0], "w", "Filter.2.Value.3 first");
		CHECK_STR(r.filters[0].values[1], "x", "Filter.2.Value.7 second");
	}
	arena_fini(&a);
}

static void
test_authorize_ingress(void)
{
	struct ec2_authorize_security_group_ingress_request r;
	const struct ec2_ip_permission *p;
	struct api_error err;
	struct arena a;
	int ret;

	arena_init(&a);
	ret = decode(&a, &ec2_shape_authorize_security_group_ingress_request, &r,
	    &err, "Action=AuthorizeSecurityGroupIngress", "GroupId=sg-1",
	    "IpPermissions.1.FromPort=22", "IpPermissions.1.Groups.1.GroupId=sg-2",
	    "IpPermissions.1.IpProtocol=tcp",
	    "IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0",
	    "IpPermissions.1.IpRanges.1.Description=ssh",
	    "IpPermissions.1.IpRanges.2.CidrIp=10.0.0.0/8",
	    "IpPermissions.1.ToPort=22", "IpPermissions.2.IpProtocol=-1",
	    "TagSpecification.1.ResourceType=security-group-rule",
	    "TagSpecification.1.Tag.1.Key=k", "TagSpecification.1.Tag.1.Value=v",
	    "Version=2016-11-15", NULL);
	CHECK(ret == 0, "AuthorizeSecurityGroupIngress decodes (%s)", err.message);
	CHECK_STR(r.group_id, "sg-1", "GroupId");
	CHECK(r.n_ip_permissions == 2, "two IpPermissions");
	if (r.n_ip_permissions != 2) {
		arena_fini(&a);
		return;
	}
	p = &r.ip_permissions[0];
	CHECK_STR(p->ip_protocol, "tcp", "IpPermissions.1.IpProtocol");
	CHECK(p->from_port.set && p->from_port.v == 22 && p->to_port.set &&
	    p->to_port.v == 22, "IpPermissions.1 ports 22-22");
	CHECK(p->n_ip_ranges == 2, "IpPermissions.1 has two IpRanges");
	if (p->n_ip_ranges == 2) {
		CHECK_STR(p->ip_ranges[0].cidr_ip, "0.0.0.0/0",
		    "IpPermissions.1.IpRanges.1.CidrIp");
		CHECK_STR(p->ip_ranges[0].description, "ssh",
		    "IpPermissions.1.IpRanges.1.Description");
		CHECK_STR(p->ip_ranges[1].cidr_ip, "10.0.0.0/8",
		    "IpPermissions.1.IpRanges.2.CidrIp");
	}
	CHECK(p->n_user_id_group_pairs == 1 &&
	    strcmp(p->user_id_group_pairs[0].group_id, "sg-2") == 0,
	    "IpPermissions.1.Groups.1.GroupId");
	CHECK(r.ip_permissions[1].ip_ranges == NULL &&
	    !r.ip_permissions[1].from_port.set,
	    "IpPermissions.2 has only what was sent");
	CHECK_STR(r.ip_permissions[1].ip_protocol, "-1", "IpPermissions.2.IpProtocol");
	CHECK(r.n_tag_specifications == 1 &&
	    r.tag_specifications[0].n_tags == 1 &&
	    strcmp(r.tag_specifications[0].tags[0].key, "k") == 0,
	    "TagSpecification.1.Tag.1.Key");
	arena_fini(&a);
}

static void
test_tags_and_nested(void)
{
	struct ec2_create_tags_request t;
	struct ec2_create_network_acl_entry_request e;
	struct ec2_modify_vpc_attribute_request m;
	struct api_error err;
	struct arena a;
	int ret;

	arena_init(&a);
	ret = decode(&a, &ec2_shape_create_tags_request, &t, &err,
	    "Action=CreateTags", "ResourceId.1=vpc-1", "ResourceId.2=subnet-2",
	    "Tag.1.Key=Name", "Tag.1.Value=x", "Tag.2.Key=empty",
	    "Tag.2.Value=", "Version=2016-11-15", NULL);
	CHECK(ret == 0, "CreateTags decodes (%s)", err.message);
	CHECK(t.n_resources == 2 && strcmp(t.resources[0], "vpc-1") == 0 &&
	    strcmp(t.resources[1], "subnet-2") == 0, "ResourceId.1, ResourceId.2");
	CHECK(t.n_tags == 2, "two tags");
	if (t.n_tags == 2) {
		CHECK_STR(t.tags[0].key, "Name", "Tag.1.Key");
		CHECK_STR(t.tags[0].value, "x", "Tag.1.Value");
		CHECK_STR(t.tags[1].value, "", "Tag.2.Value= is an empty string");
	}

	ret = decode(&a, &ec2_shape_create_network_acl_entry_request, &e, &err,
	    "CidrBlock=0.0.0.0/0", "Egress=FALSE", "Icmp.Code=-1", "Icmp.Type=-1",
	    "NetworkAclId=acl-1", "PortRange.From=1", "PortRange.To=2",
	    "Protocol=-1", "RuleAction=allow", "RuleNumber=100", NULL);
	CHECK(ret == 0, "CreateNetworkAclEntry decodes (%s)", err.message);
	CHECK(e.egress.set && !e.egress.v, "Egress=FALSE is false");
	CHECK(e.icmp_type_code && e.icmp_type_code->code.v == -1 &&
	    e.icmp_type_code->type.v == -1, "Icmp.Code and Icmp.Type");
	CHECK(e.port_range && e.port_range->from.v == 1 &&
	    e.port_range->to.v == 2, "PortRange.From and PortRange.To");
	CHECK(e.rule_number.v == 100, "RuleNumber");

	ret = decode(&a, &ec2_shape_modify_vpc_attribute_request, &m, &err,
	    "EnableDnsHostnames.Value=true", "VpcId=vpc-1", NULL);
	CHECK(ret == 0 && m.enable_dns_hostnames &&
	    m.enable_dns_hostnames->value.set && m.enable_dns_hostnames->value.v &&
	    m.enable_dns_support == NULL,
	    "EnableDnsHostnames.Value=true, EnableDnsSupport absent");
	arena_fini(&a);
}

#define EXPECT_ERR(shape, want_code, want_msg, ...)                        \
	do {                                                               \
		_Alignas(16) char out_[4096];                              \
		int r_ = decode(&a, &(shape), out_, &err, __VA_ARGS__, NULL); \
		CHECK(r_ == -EINVAL && err.status == 400 && err.code &&    \
		    strcmp(err.code, (want_code)) == 0, "%s: %s",          \
		    (want_code), (want_msg));                              \
		CHECK_STR(err.message, (want_msg), "%s message", (want_code)); \
	} while (0)

static void
test_errors(void)
{
	struct api_error err;
	struct arena a;

	arena_init(&a);
	EXPECT_ERR(ec2_shape_delete_vpc_request, "MissingParameter",
	    "The request must contain the parameter VpcId",
	    "Action=DeleteVpc", "Version=2016-11-15");
	EXPECT_ERR(ec2_shape_create_tags_request, "MissingParameter",
	    "The request must contain the parameter Tag",
	    "ResourceId.1=vpc-1");
	EXPECT_ERR(ec2_shape_create_network_acl_entry_request, "MissingParameter",
	    "The request must contain the parameter Egress",
	    "NetworkAclId=acl-1", "Protocol=6", "RuleAction=deny",
	    "RuleNumber=1");
	EXPECT_ERR(ec2_shape_delete_vpc_request, "InvalidParameterValue",
	    "Value (abc) for parameter DryRun is invalid. Expected: 'true' or "
	    "'false'.",
	    "DryRun=abc", "VpcId=vpc-1");
	EXPECT_ERR(ec2_shape_delete_vpc_request, "InvalidParameterValue",
	    "Value () for parameter DryRun is invalid. Expected: 'true' or 'false'.",
	    "DryRun=", "VpcId=vpc-1");
	EXPECT_ERR(ec2_shape_describe_vpcs_request, "InvalidParameterValue",
	    "Value (5x) for parameter MaxResults is invalid. Expected: an "
	    "integer between -2147483648 and 2147483647.",
	    "MaxResults=5x");
	EXPECT_ERR(ec2_shape_describe_vpcs_request, "InvalidParameterValue",
	    "Value ( 5) for parameter MaxResults is invalid. Expected: an "
	    "integer between -2147483648 and 2147483647.",
	    "MaxResults= 5");
	EXPECT_ERR(ec2_shape_describe_vpcs_request, "InvalidParameterValue",
	    "Value (2147483648) for parameter MaxResults is invalid. Expected: "
	    "an integer between -2147483648 and 2147483647.",
	    "MaxResults=2147483648");
	EXPECT_ERR(ec2_shape_authorize_security_group_ingress_request,
	    "InvalidParameterValue",
	    "Value (99999999999) for parameter IpPermissions.1.FromPort is "
	    "invalid. Expected: an integer between -2147483648 and 2147483647.",
	    "GroupId=sg-1", "IpPermissions.1.FromPort=99999999999");
	EXPECT_ERR(ec2_shape_create_vpc_request, "InvalidParameterValue",
	    "Value (shared) for parameter InstanceTenancy is invalid. Valid "
	    "values: default, dedicated, host",
	    "CidrBlock=10.0.0.0/16", "InstanceTenancy=shared");
	EXPECT_ERR(ec2_shape_describe_account_attributes_request,
	    "InvalidParameterValue",
	    "Value (bogus) for parameter AttributeName.2 is invalid. Valid "
	    "values: supported-platforms, default-vpc",
	    "AttributeName.1=default-vpc", "AttributeName.2=bogus");
	EXPECT_ERR(ec2_shape_delete_vpc_request, "UnknownParameter",
	    "The parameter Bogus is not recognized", "Bogus=1", "VpcId=vpc-1");
	EXPECT_ERR(ec2_shape_describe_vpcs_request, "UnknownParameter",
	    "The parameter Filter.1.Bogus is not recognized",
	    "Filter.1.Bogus=x", "Filter.1.Name=vpc-id");
	EXPECT_ERR(ec2_shape_describe_vpcs_request, "UnknownParameter",
	    "The parameter Filter.1 is not recognized", "Filter.1=x");
	EXPECT_ERR(ec2_shape_describe_vpcs_request, "UnknownParameter",
	    "The parameter VpcId.0 is not recognized", "VpcId.0=vpc-1");
	EXPECT_ERR(ec2_shape_describe_vpcs_request, "UnknownParameter",
	    "The parameter VpcId.01 is not recognized", "VpcId.01=vpc-1");
	EXPECT_ERR(ec2_shape_describe_vpcs_request, "UnknownParameter",
	    "The parameter VpcId.x is not recognized", "VpcId.x=vpc-1");
	EXPECT_ERR(ec2_shape_describe_vpcs_request, "UnknownParameter",
	    "The parameter VpcId.1.Name is not recognized", "VpcId.1.Name=a");
	EXPECT_ERR(ec2_shape_describe_vpcs_request, "UnknownParameter",
	    "The parameter DryRun.1 is not recognized", "DryRun.1=true");
	EXPECT_ERR(ec2_shape_describe_vpcs_request, "UnknownParameter",
	    "The parameter Filters.1.Name is not recognized",
	    "Filters.1.Name=vpc-id");
	/* The model member name is not a wire name when locationName differs. */
	EXPECT_ERR(ec2_shape_describe_vpcs_request, "UnknownParameter",
	    "The parameter VpcIds.1 is not recognized", "VpcIds.1=vpc-1");
	/* Only the top level ignores Action, Version and X-Amz-*. */
	EXPECT_ERR(ec2_shape_describe_vpcs_request, "UnknownParameter",
	    "The parameter Filter.1.Action is not recognized",
	    "Filter.1.Action=x");
	arena_fini(&a);
}

/*
 * A hand-written shape for what the generated subset lacks: timestamps,
 * longs, doubles, lists of integers, and a required member inside a
 * list item.
 */
struct t_inner {
	const char *key;
	const char *value;
};
struct t_misc {
	struct ec2_opt_int when;
	struct ec2_opt_int big;
	struct ec2_opt_double ratio;
	struct ec2_opt_bool flag;
	struct ec2_opt_int *ints;
	size_t n_ints;
	struct t_inner *items;
	size_t n_items;
	const char *text;
};
static const struct ec2_member t_inner_members[] = {
	{ .name = "Key", .query_name = "Key", .xml_name = "key",
	  .type = EC2_STRING, .required = true,
	  .offset = offsetof(struct t_inner, key) },
	{ .name = "Value", .query_name = "Value", .xml_name = "value",
	  .type = EC2_STRING, .offset = offsetof(struct t_inner, value) },
};
static const struct ec2_shape t_inner_shape = {
	"Inner", sizeof(struct t_inner), t_inner_members,
	ARRAY_SIZE(t_inner_members)
};
static const struct ec2_member t_misc_members[] = {
	{ .name = "When", .query_name = "When", .xml_name = "when",
	  .type = EC2_TIME, .offset = offsetof(struct t_misc, when) },
	{ .name = "Big", .query_name = "Big", .xml_name = "big",
	  .type = EC2_LONG, .offset = offsetof(struct t_misc, big) },
	{ .name = "Ratio", .query_name = "Ratio", .xml_name = "ratio",
	  .type = EC2_DOUBLE, .offset = offsetof(struct t_misc, ratio) },
	{ .name = "Flag", .query_name = "Flag", .xml_name = "flag",
	  .type = EC2_BOOL, .offset = offsetof(struct t_misc, flag) },
	{ .name = "Ints", .query_name = "Int", .xml_name = "intSet",
	  .type = EC2_LIST, .item_type = EC2_INT, .item_name = "item",
	  .offset = offsetof(struct t_misc, ints),
	  .count_offset = offsetof(struct t_misc, n_ints) },
	{ .name = "Items", .query_name = "Item", .xml_name = "itemSet",
	  .type = EC2_LIST, .item_type = EC2_STRUCT, .item_name = "item",
	  .offset = offsetof(struct t_misc, items),
	  .count_offset = offsetof(struct t_misc, n_items),
	  .shape = &t_inner_shape },
	{ .name = "Text", .query_name = "Text", .xml_name = "text",
	  .type = EC2_STRING, .offset = offsetof(struct t_misc, text) },
};
static const struct ec2_shape t_misc_shape = {
	"Misc", sizeof(struct t_misc), t_misc_members,
	ARRAY_SIZE(t_misc_members)
};

static void
test_scalars(void)
{
	struct t_misc m;
	struct api_error err;
	struct arena a;
	struct buf b;
	int ret;

	arena_init(&a);
	ret = decode(&a, &t_misc_shape, &m, &err, "When=2024-01-02T03:04:05Z",
	    "Big=-9223372036854775808", "Ratio=0.25", "Flag=True", "Int.1=7",
	    "Int.2=-8", NULL);
	CHECK(ret == 0, "misc decodes (%s)", err.message);
	CHECK(m.when.set && m.when.v == 1704164645000LL, "ISO 8601 Z timestamp");
	CHECK(m.big.set && m.big.v == INT64_MIN, "long takes the int64 minimum");
	CHECK(m.ratio.set && m.ratio.v == 0.25, "double");
	CHECK(m.flag.set && m.flag.v, "Flag=True is true");
	CHECK(m.n_ints == 2 && m.ints[0].v == 7 && m.ints[1].v == -8,
	    "list of integers");

	ret = decode(&a, &t_misc_shape, &m, &err,
	    "When=2024-01-02T05:04:05.123456+02:00", NULL);
	CHECK(ret == 0 && m.when.v == 1704164645123LL,
	    "timestamp with fraction and +02:00 offset");
	ret = decode(&a, &t_misc_shape, &m, &err,
	    "When=1969-12-31T23:59:59.5Z", NULL);
	CHECK(ret == 0 && m.when.v == -500, "timestamp before the epoch");
	ret = decode(&a, &t_misc_shape, &m, &err, "When=2024-02-30T00:00:00Z",
	    NULL);
	CHECK(ret == -EINVAL && strcmp(err.code, "InvalidParameterValue") == 0,
	    "February 30th is refused");
	ret = decode(&a, &t_misc_shape, &m, &err, "When=yesterday", NULL);
	CHECK(ret == -EINVAL && strcmp(err.code, "InvalidParameterValue") == 0 &&
	    strstr(err.message, "Value (yesterday) for parameter When") != NULL,
	    "a malformed timestamp is InvalidParameterValue");
	ret = decode(&a, &t_misc_shape, &m, &err, "Big=9223372036854775808",
	    NULL);
	CHECK(ret == -EINVAL, "long overflow is refused");
	ret = decode(&a, &t_misc_shape, &m, &err, "Ratio=nan", NULL);
	CHECK(ret == -EINVAL, "a NaN double is refused");
	ret = decode(&a, &t_misc_shape, &m, &err, "Item.1.Key=a",
	    "Item.2.Value=b", NULL);
	CHECK(ret == -EINVAL && strcmp(err.code, "MissingParameter") == 0,
	    "missing required member of a list item");
	CHECK_STR(err.message, "The request must contain the parameter Item.2.Key",
	    "the missing nested member is named in full");

	/* Encoding of the same kinds. */
	memset(&m, 0, sizeof(m));
	m.when = EC2_INT(1704164645123LL);
	m.big = EC2_INT(INT64_MIN);
	m.ratio = (struct ec2_opt_double){ .set = true, .v = 0.1 };
	m.flag = EC2_BOOL(false);
	buf_init(&b);
	api_encode(&b, &t_misc_shape, &m);
	CHECK_STR(b.data, "<when>2024-01-02T03:04:05.123Z</when>"
	    "<big>-9223372036854775808</big><ratio>0.1</ratio>"
	    "<flag>false</flag>",
	    "timestamp, long, double and false boolean encode");
	buf_reset(&b);
	m = (struct t_misc){ .ratio = { true, 0.1 + 0.2 }, .flag = EC2_BOOL(true) };
	api_encode(&b, &t_misc_shape, &m);
	CHECK_STR(b.data, "<ratio>0.30000000000000004</ratio><flag>true</flag>",
	    "a double that needs 17 digits keeps them");
	buf_fini(&b);
	arena_fini(&a);
}

static void
test_encode_vpcs(void)
{
	struct ec2_tag tags1[] = { { "Name", "web" }, { "env", "prod" } };
	struct ec2_vpc_cidr_block_state st = { .state = "associated" };
	struct ec2_vpc_cidr_block_association assoc = {
		.association_id = "vpc-cidr-assoc-1", .cidr_block = "10.0.0.0/16",
		.cidr_block_state = &st,
	};
	struct ec2_vpc vpcs[2] = {
		{ .cidr_block = "10.0.0.0/16", .dhcp_options_id = "default",
		  .state = "available", .vpc_id = "vpc-1",
		  .owner_id = "000000000000", .instance_tenancy = "default",
		  .cidr_block_association_set = &assoc,
		  .n_cidr_block_association_set = 1,
		  .is_default = EC2_BOOL(false), .tags = tags1, .n_tags = 2 },
		{ .cidr_block = "10.1.0.0/16", .state = "pending",
		  .vpc_id = "vpc-2", .is_default = EC2_BOOL(true) },
	};
	struct ec2_describe_vpcs_result r = { .vpcs = vpcs, .n_vpcs = 2 };
	struct buf b;

	buf_init(&b);
	api_encode(&b, &ec2_shape_describe_vpcs_result, &r);
	CHECK_STR(b.data,
	    "<vpcSet>"
	    "<item><cidrBlock>10.0.0.0/16</cidrBlock>"
	    "<dhcpOptionsId>default</dhcpOptionsId><state>available</state>"
	    "<vpcId>vpc-1</vpcId><ownerId>000000000000</ownerId>"
	    "<instanceTenancy>default</instanceTenancy>"
	    "<cidrBlockAssociationSet><item>"
	    "<associationId>vpc-cidr-assoc-1</associationId>"
	    "<cidrBlock>10.0.0.0/16</cidrBlock>"
	    "<cidrBlockState><state>associated</state></cidrBlockState>"
	    "</item></cidrBlockAssociationSet>"
	    "<isDefault>false</isDefault>"
	    "<tagSet><item><key>Name</key><value>web</value></item>"
	    "<item><key>env</key><value>prod</value></item></tagSet></item>"
	    "<item><cidrBlock>10.1.0.0/16</cidrBlock><state>pending</state>"
	    "<vpcId>vpc-2</vpcId><isDefault>true</isDefault></item>"
	    "</vpcSet>",
	    "DescribeVpcsResult with two VPCs encodes exactly");

	/* An empty list with an items pointer is sent; a NULL one is not. */
	buf_reset(&b);
	r = (struct ec2_describe_vpcs_result){ .vpcs = vpcs, .n_vpcs = 0,
	    .next_token = "tok" };
	api_encode(&b, &ec2_shape_describe_vpcs_result, &r);
	CHECK_STR(b.data, "<vpcSet/><nextToken>tok</nextToken>",
	    "an empty list is written as <vpcSet/>");
	buf_reset(&b);
	r = (struct ec2_describe_vpcs_result){ 0 };
	api_encode(&b, &ec2_shape_describe_vpcs_result, &r);
	CHECK_STR(b.data, "", "a NULL list is omitted");
	buf_fini(&b);
}

static void
test_escape(void)
{
	struct ec2_tag tag = { "a<b>&\"c'", "x\001y\tz\r\n\x7f" };
	struct ec2_describe_tags_result r;
	struct ec2_tag_description td = { .key = tag.key, .value = tag.value };
	struct buf b;

	buf_init(&b);
	api_xml_escape(&b, "<&>\"'");
	CHECK_STR(b.data, "&lt;&amp;&gt;&quot;&apos;", "the five specials");
	buf_reset(&b);
	api_xml_escape(&b, "a\001b\037c\td\ne\rf");
	CHECK_STR(b.data, "abc\td\ne&#13;f",
	    "control characters dropped, tab and newline kept, CR encoded");
	buf_reset(&b);
	api_xml_escape(&b, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	CHECK_STR(b.data, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "valid UTF-8 passes through");
	buf_reset(&b);
	api_xml_escape(&b, "a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d\xef\xbf\xbe"
	    "e\xe2\x82");
	CHECK_STR(b.data, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
	    "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "e\xef\xbf\xbd\xef\xbf\xbd",
	    "bytes XML cannot carry become U+FFFD");

	buf_reset(&b);
	memset(&r, 0, sizeof(r));
	r.tags = &td;
	r.n_tags = 1;
	api_encode(&b, &ec2_shape_describe_tags_result, &r);
	CHECK_STR(b.data, "<tagSet><item><key>a&lt;b&gt;&amp;&quot;c&apos;</key>"
	    "<value>xy\tz&#13;\n\x7f</value></item></tagSet>",
	    "tag values are escaped inside an encoded result");
	buf_fini(&b);
}

static void
test_ops(void)
{
	const struct ec2_op *op;
	bool sorted = true;

	for (size_t i = 1; i < ec2_n_ops; i++)
		if (strcmp(ec2_ops[i - 1].name, ec2_ops[i].name) >= 0)
			sorted = false;
	CHECK(sorted && ec2_n_ops >= 50, "ec2_ops is sorted (%zu ops)", ec2_n_ops);
	op = ec2_op_find("CreateVpc");
	CHECK(op && op->input == &ec2_shape_create_vpc_request &&
	    op->output == &ec2_shape_create_vpc_result, "CreateVpc is found");
	op = ec2_op_find("DeleteVpc");
	CHECK(op && op->input == &ec2_shape_delete_vpc_request &&
	    op->output == NULL, "DeleteVpc has no output shape");
	CHECK(ec2_op_find("AcceptVpcPeeringConnection") == &ec2_ops[0] &&
	    ec2_op_find("UpdateSecurityGroupRuleDescriptionsIngress") ==
	    &ec2_ops[ec2_n_ops - 1], "first and last operations are found");
	CHECK(ec2_op_find("CreateVpnGateway") == NULL && ec2_op_find("") == NULL &&
	    ec2_op_find("createvpc") == NULL, "unknown operations are not");
}

/*
 * Loose speed bounds that still catch an accidental quadratic walk: a
 * DescribeVpcs with 10,000 VpcIds, and encoding 1,000 VPCs with tags.
 */
static void
test_speed(void)
{
	static char names[MAX_PARAMS][24], values[MAX_PARAMS][24];
	struct ec2_describe_vpcs_request r;
	struct ec2_describe_vpcs_result res;
	struct api_error err;
	struct arena a;
	struct buf b;
	int64_t t0, t1;
	size_t n = 10000;
	int ret;

	arena_init(&a);
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "VpcId.%zu", i + 1);
		snprintf(values[i], sizeof(values[i]), "vpc-%zu", i + 1);
		params[i] = (struct api_param){ names[i], values[i] };
	}
	qsort(params, n, sizeof(params[0]), param_cmp);
	memset(&r, 0, sizeof(r));
	t0 = time_mono_ns();
	ret = api_decode(&ec2_shape_describe_vpcs_request, params, n, &a, &r, &err);
	t1 = time_mono_ns();
	CHECK(ret == 0 && r.n_vpc_ids == n && strcmp(r.vpc_ids[n - 1],
	    "vpc-10000") == 0, "10,000 VpcIds decode in order");
	CHECK(t1 - t0 < 50000000, "... in %.3f ms", (t1 - t0) / 1e6);

	memset(&res, 0, sizeof(res));
	res.n_vpcs = 1000;
	res.vpcs = arena_array(&a, res.n_vpcs, sizeof(*res.vpcs));
	for (size_t i = 0; i < res.n_vpcs; i++) {
		struct ec2_vpc *v = &res.vpcs[i];

		v->vpc_id = arena_printf(&a, "vpc-%017zx", i);
		v->cidr_block = "10.0.0.0/16";
		v->state = "available";
		v->owner_id = "000000000000";
		v->instance_tenancy = "default";
		v->dhcp_options_id = "dopt-0123456789abcdef0";
		v->is_default = EC2_BOOL(false);
		v->n_cidr_block_association_set = 1;
		v->cidr_block_association_set = arena_alloc(&a,
		    sizeof(*v->cidr_block_association_set));
		v->cidr_block_association_set->association_id = "vpc-cidr-assoc-1";
		v->cidr_block_association_set->cidr_block = "10.0.0.0/16";
		v->n_tags = 2;
		v->tags = arena_array(&a, 2, sizeof(*v->tags));
		v->tags[0] = (struct ec2_tag){ "Name", "some <vpc> & name" };
		v->tags[1] = (struct ec2_tag){ "team", "network" };
	}
	buf_init(&b);
	t0 = time_mono_ns();
	api_encode(&b, &ec2_shape_describe_vpcs_result, &res);
	t1 = time_mono_ns();
	CHECK(b.len > 400000 && t1 - t0 < 20000000,
	    "1,000 VPCs encode (%zu bytes) in %.3f ms", b.len, (t1 - t0) / 1e6);
	buf_fini(&b);
	arena_fini(&a);
}

int
main(void)
{
	test_create_vpc();
	test_describe_vpcs();
	test_authorize_ingress();
	test_tags_and_nested();
	test_errors();
	test_scalars();
	test_encode_vpcs();
	test_escape();
	test_ops();
	test_speed();
	return tap_done();
}
