/* Unit tests of the model and its AWS rules (links only core and lib). */
#include <errno.h>
#include <string.h>

#include "core/core.h"
#include "tap.h"

static struct core_config cfg;

static struct core_cidr
cidr(const char *s)
{
	struct core_cidr c = { 0, 0 };

	if (core_cidr_parse(s, &c))
		printf("# bad test CIDR %s\n", s);
	return c;
}

static const char *
fmt(struct core_cidr c)
{
	static char s[20];

	core_cidr_format(&c, s);
	return s;
}

static void
test_cidr(void)
{
	struct core_cidr c, a, b;
	uint32_t ip;

	CHECK(core_cidr_parse("10.0.0.0/16", &c) == 0 && c.addr == 0x0a000000 && c.len == 16,
	    "parse 10.0.0.0/16");
	CHECK(core_cidr_parse("10.0.0.0/33", &c) != 0, "prefix 33 rejected");
	CHECK(core_cidr_parse("10.0.0/16", &c) != 0, "three octets rejected");
	CHECK(core_cidr_parse("10.0.0.256/16", &c) != 0, "octet 256 rejected");
	CHECK(core_cidr_parse("10.00.0.0/16", &c) != 0, "leading zero rejected");
	CHECK(core_cidr_parse("10.0.0.0", &c) != 0, "missing prefix rejected");
	CHECK(core_cidr_parse("10.0.0.0/16 ", &c) != 0, "trailing space rejected");
	CHECK(core_cidr_parse(" 10.0.0.0/16", &c) != 0, "leading space rejected");
	CHECK(core_cidr_parse("0.0.0.0/0", &c) == 0 && c.len == 0, "0.0.0.0/0 parses");
	CHECK(core_ip_parse("192.168.1.254", &ip) == 0 && ip == 0xc0a801fe, "parse an address");
	CHECK_STR(fmt(core_cidr_canonical(cidr("10.1.2.3/16"))), "10.1.0.0/16",
	    "canonical form clears host bits");
	CHECK(!core_cidr_is_canonical(&(struct core_cidr){ 0x0a010203, 16 }), "host bits seen");
	CHECK_STR(fmt(cidr("255.255.255.255/32")), "255.255.255.255/32", "format /32");
	a = cidr("10.0.0.0/16");
	b = cidr("10.0.5.0/24");
	CHECK(core_cidr_contains(&a, &b) && !core_cidr_contains(&b, &a), "containment");
	CHECK(core_cidr_overlaps(&a, &b) && core_cidr_overlaps(&b, &a), "overlap both ways");
	b = cidr("10.1.0.0/24");
	CHECK(!core_cidr_overlaps(&a, &b), "disjoint blocks do not overlap");
	CHECK(core_cidr_contains(&(struct core_cidr){ 0, 0 }, &a), "0/0 contains everything");
	CHECK(core_cidr_size(&a) == 65536 && core_cidr_size(&(struct core_cidr){ 0, 0 }) ==
	    4294967296ULL, "sizes");
	CHECK(core_cidr_class(&a) == 0 && core_cidr_class(&(struct core_cidr){ 0xac100000, 16 }) == 1 &&
	    core_cidr_class(&(struct core_cidr){ 0xc0a80000, 24 }) == 2 &&
	    core_cidr_class(&(struct core_cidr){ 0x64400000, 16 }) == 3 &&
	    core_cidr_class(&(struct core_cidr){ 0x08080800, 24 }) == 4, "address classes");
}

static void
test_vpc(void)
{
	struct core_model m;
	struct core_error err;
	struct core_vpc *vpc, *v2;
	struct core_rtb *rtb;
	struct core_acl *acl;
	struct core_sg *sg;
	struct core_subnet *sn, *sn2;

	core_model_init(&m, &cfg);
	CHECK(core_vpc_create(&m, "111111111111", cidr("10.0.0.0/15"), false, false, &vpc,
	    &err) != 0 && strcmp(err.code, "InvalidVpc.Range") == 0, "/15 VPC refused");
	CHECK(core_vpc_create(&m, "111111111111", cidr("10.0.0.0/29"), false, false, &vpc,
	    &err) != 0 && strcmp(err.code, "InvalidVpc.Range") == 0, "/29 VPC refused");
	CHECK(m.count[CORE_VPC] == 0 && m.dirty == NULL, "refused VPCs change nothing");
	CHECK(core_vpc_create(&m, "111111111111", cidr("10.0.0.7/16"), false, false, &vpc,
	    &err) == 0, "VPC created");
	CHECK_STR(fmt(vpc->cidrs[0].cidr), "10.0.0.0/16", "VPC block canonicalised");
	rtb = core_rtb_main(&m, vpc);
	CHECK(rtb && rtb->n_routes == 1 && rtb->routes[0].target_type == CORE_TARGET_LOCAL &&
	    rtb->n_assocs == 1 && rtb->assocs[0].is_main, "main table with local route");
	acl = core_find(&m, CORE_ACL, "111111111111", vpc->default_acl);
	CHECK(acl && acl->is_default && acl->n_entries == 2 && acl->entries[0].rule_no == 100 &&
	    acl->entries[0].is_allow && !acl->entries[0].is_egress && acl->entries[1].is_egress,
	    "default ACL allows all both ways at rule 100");
	sg = core_find(&m, CORE_SG, "111111111111", vpc->default_sg);
	CHECK(sg && strcmp(sg->name, "default") == 0 && sg->n_rules == 2 &&
	    sg->rules[0].peer == CORE_PEER_GROUP && strcmp(sg->rules[0].group_id, sg->res.id) == 0 &&
	    sg->rules[1].is_egress && sg->rules[1].peer == CORE_PEER_CIDR, "default group rules");
	CHECK(core_find(&m, CORE_VPC, "222222222222", vpc->res.id) == NULL,
	    "another account cannot see the VPC");

	CHECK(core_subnet_create(&m, vpc, cidr("10.1.0.0/24"), "us-east-1a", &sn, &err) != 0 &&
	    strcmp(err.code, "InvalidSubnet.Range") == 0, "subnet outside the VPC refused");
	CHECK(core_subnet_create(&m, vpc, cidr("10.0.0.0/29"), "us-east-1a", &sn, &err) != 0 &&
	    strcmp(err.code, "InvalidSubnet.Range") == 0, "/29 subnet refused");
	CHECK(core_subnet_create(&m, vpc, cidr("10.0.1.0/24"), "us-east-1z", &sn, &err) != 0 &&
	    strcmp(err.code, "InvalidParameterValue") == 0, "unknown zone refused");
	CHECK(core_subnet_create(&m, vpc, cidr("10.0.1.0/24"), "us-east-1a", &sn, &err) == 0,
	    "subnet created");
	CHECK(core_subnet_available(sn) == 251, "a /24 offers 251 addresses");
	CHECK(vpc->n_children[CORE_SUBNET] == 1 && vpc->n_children[CORE_RTB] == 1 &&
	    vpc->n_children[CORE_SG] == 1 && vpc->n_children[CORE_ACL] == 1 &&
	    core_count_owned(&m, CORE_VPC, "111111111111") == 0,
	    "derived counters follow creation (no account resource: no owner count)");
	CHECK(core_subnet_create(&m, vpc, cidr("10.0.1.128/25"), "us-east-1b", &sn2, &err) != 0 &&
	    strcmp(err.code, "InvalidSubnet.Conflict") == 0, "overlapping subnet refused");
	CHECK(core_subnet_acl(&m, sn) == acl, "new subnet uses the default ACL");
	CHECK(core_subnet_rtb(&m, sn) == rtb, "new subnet uses the main table");
	CHECK(core_vpc_delete(&m, vpc, &err) != 0 && strcmp(err.code, "DependencyViolation") == 0,
	    "VPC with a subnet cannot be deleted");

	/* Secondary blocks. */
	{
		struct core_vpc_cidr *vc;

		CHECK(core_vpc_cidr_add(&m, vpc, cidr("10.0.128.0/17"), &vc, &err) != 0,
		    "overlapping secondary block refused");
		CHECK(core_vpc_cidr_add(&m, vpc, cidr("192.168.0.0/16"), &vc, &err) != 0,
		    "secondary block from another RFC 1918 range refused");
		CHECK(core_vpc_cidr_add(&m, vpc, cidr("100.64.0.0/16"), &vc, &err) == 0,
		    "100.64/10 secondary block allowed");
		CHECK(core_rtb_main(&m, vpc)->n_routes == 2, "secondary block adds a local route");
	}

	/* DryRun stops at the commit point. */
	m.is_dry_run = true;
	core_changes_clear(&m);
	CHECK(core_vpc_create(&m, "111111111111", cidr("10.9.0.0/16"), false, false, &v2,
	    &err) != 0 && strcmp(err.code, "DryRunOperation") == 0 && m.count[CORE_VPC] == 1 &&
	    m.dirty == NULL, "dry run validates and changes nothing");
	CHECK(core_vpc_create(&m, "111111111111", cidr("10.9.0.0/8"), false, false, &v2,
	    &err) != 0 && strcmp(err.code, "InvalidVpc.Range") == 0,
	    "dry run still reports validation errors");
	m.is_dry_run = false;

	CHECK(core_subnet_delete(&m, sn, &err) == 0 && vpc->n_children[CORE_SUBNET] == 0,
	    "subnet deleted and uncounted");
	CHECK(acl->n_assocs == 0, "deleting a subnet removes its ACL association");
	CHECK(core_vpc_delete(&m, vpc, &err) == 0 && m.count[CORE_VPC] == 0 &&
	    m.count[CORE_RTB] == 0 && m.count[CORE_ACL] == 0 && m.count[CORE_SG] == 0,
	    "VPC deleted with its main table, default ACL and default group");
	CHECK(m.n_removed >= 4, "removals recorded for the store");
	core_model_fini(&m);
}

static void
test_quota_and_routes(void)
{
	struct core_model m;
	struct core_error err;
	struct core_vpc *vpc;
	struct core_igw *igw;
	struct core_rtb *rtb;
	int i, made = 0;

	core_model_init(&m, &cfg);
	core_res_new(&m, CORE_ACCOUNT, sizeof(struct core_account), NULL, "111111111111");
	for (i = 0; i < 6; i++)
		made += core_vpc_create(&m, "111111111111", cidr("10.0.0.0/16"), false, false,
		    &vpc, &err) == 0;
	CHECK(made == 5 && strcmp(err.code, "VpcLimitExceeded") == 0 &&
	    core_count_owned(&m, CORE_VPC, "111111111111") == 5, "five VPCs per Region");
	CHECK(core_vpc_create(&m, "222222222222", cidr("10.0.0.0/16"), false, false, &vpc,
	    &err) == 0, "quotas are per account");
	rtb = core_rtb_main(&m, vpc);
	CHECK(core_igw_create(&m, "222222222222", &igw, &err) == 0, "gateway created");
	{
		struct core_route_spec spec = { cidr("0.0.0.0/0"), CORE_TARGET_IGW, igw->res.id };
		struct core_route_spec inner = { cidr("10.0.1.0/24"), CORE_TARGET_IGW, igw->res.id };

		CHECK(core_route_create(&m, rtb, &spec, &err) != 0 &&
		    strcmp(err.code, "InvalidParameterValue") == 0,
		    "route to a detached gateway refused");
		CHECK(core_igw_attach(&m, igw, vpc, &err) == 0, "gateway attached");
		CHECK(core_route_create(&m, rtb, &spec, &err) == 0 &&
		    core_route_is_active(&m, rtb, &rtb->routes[1]), "default route active");
		CHECK(core_route_create(&m, rtb, &spec, &err) != 0 &&
		    strcmp(err.code, "RouteAlreadyExists") == 0, "duplicate route refused");
		CHECK(core_route_create(&m, rtb, &inner, &err) != 0 &&
		    strcmp(err.code, "InvalidParameterValue") == 0,
		    "gateway route inside the VPC block refused");
		CHECK(core_igw_detach(&m, igw, vpc, &err) == 0 &&
		    !core_route_is_active(&m, rtb, &rtb->routes[1]),
		    "route becomes a blackhole when the gateway leaves");
		CHECK(core_route_delete(&m, rtb, cidr("10.0.0.0/16"), &err) != 0 &&
		    strcmp(err.code, "InvalidParameterValue") == 0, "local route cannot be deleted");
		CHECK(core_igw_delete(&m, igw, &err) == 0, "detached gateway deleted");
	}
	core_model_fini(&m);
}

static void
test_sg_and_acl(void)
{
	struct core_model m;
	struct core_error err;
	struct core_vpc *vpc;
	struct core_sg *web, *db;
	struct core_acl *acl;
	struct core_sg_rule r = { .proto = 6, .from_port = 80, .to_port = 80,
		.peer = CORE_PEER_CIDR, .cidr = { 0, 0 } };
	struct core_acl_entry e = { .rule_no = 10, .is_allow = true, .proto = 6,
		.from_port = 22, .to_port = 22, .icmp_type = -1, .icmp_code = -1 };
	int proto;

	core_model_init(&m, &cfg);
	core_vpc_create(&m, "111111111111", cidr("10.0.0.0/16"), false, false, &vpc, &err);
	CHECK(core_sg_create(&m, vpc, "default", "x", &web, &err) != 0 &&
	    strcmp(err.code, "InvalidGroup.Reserved") == 0, "name 'default' is reserved");
	CHECK(core_sg_create(&m, vpc, "web", "web servers", &web, &err) == 0 && web->n_rules == 1 &&
	    web->rules[0].is_egress, "new group allows only outbound");
	CHECK(core_sg_create(&m, vpc, "web", "again", &db, &err) != 0 &&
	    strcmp(err.code, "InvalidGroup.Duplicate") == 0, "duplicate name refused");
	CHECK(core_sg_create(&m, vpc, "db", "databases", &db, &err) == 0, "second group");
	CHECK(core_sg_rule_check(&m, web, &r, &err) == 0 &&
	    core_sg_rules_add(&m, web, &r, 1, &err) == 0 && web->n_rules == 2 &&
	    str_has_prefix(web->rules[1].id, "sgr-"), "rule added with an id");
	CHECK(core_sg_rules_add(&m, web, &r, 1, &err) != 0 &&
	    strcmp(err.code, "InvalidPermission.Duplicate") == 0, "duplicate rule refused");
	r.from_port = 90;
	CHECK(core_sg_rule_check(&m, web, &r, &err) != 0, "from port above to port refused");
	r = (struct core_sg_rule){ .proto = 6, .from_port = 3306, .to_port = 3306,
		.peer = CORE_PEER_GROUP };
	STR_COPY(r.group_id, web->res.id);
	CHECK(core_sg_rule_check(&m, db, &r, &err) == 0 &&
	    core_sg_rules_add(&m, db, &r, 1, &err) == 0, "group reference");
	CHECK(core_sg_delete(&m, web, &err) != 0 && strcmp(err.code, "DependencyViolation") == 0,
	    "referenced group cannot be deleted");
	CHECK(core_sg_delete(&m, core_find(&m, CORE_SG, "111111111111", vpc->default_sg), &err) !=
	    0 && strcmp(err.code, "CannotDelete") == 0, "default group cannot be deleted");
	CHECK(core_proto_parse("tcp", &proto) == 0 && proto == 6 &&
	    core_proto_parse("-1", &proto) == 0 && proto == -1 &&
	    core_proto_parse("256", &proto) != 0 && core_proto_parse("foo", &proto) != 0,
	    "protocol names and numbers");

	CHECK(core_acl_create(&m, vpc, &acl, &err) == 0 && acl->n_entries == 0,
	    "custom ACL starts empty (deny all)");
	CHECK(core_acl_entry_add(&m, acl, &e, &err) == 0, "entry added");
	CHECK(core_acl_entry_add(&m, acl, &e, &err) != 0 &&
	    strcmp(err.code, "NetworkAclEntryAlreadyExists") == 0, "duplicate number refused");
	e.is_egress = true;
	CHECK(core_acl_entry_add(&m, acl, &e, &err) == 0, "same number other direction");
	e.rule_no = 32767;
	CHECK(core_acl_entry_add(&m, acl, &e, &err) != 0, "rule 32767 refused");
	e.rule_no = 5;
	e.is_egress = false;
	CHECK(core_acl_entry_add(&m, acl, &e, &err) == 0 && acl->entries[0].rule_no == 5 &&
	    !acl->entries[0].is_egress && acl->entries[2].is_egress,
	    "entries sorted ingress first by number");
	core_model_fini(&m);
}

static void
test_tags(void)
{
	struct core_tag *tags = NULL;
	struct core_tag bad[] = { { (char *)"aws:x", (char *)"v" } };
	struct core_error err;
	size_t n = 0;

	core_tags_set(&tags, &n, "Name", "a");
	core_tags_set(&tags, &n, "Name", "b");
	CHECK(n == 1 && strcmp(core_tags_get(tags, n, "Name"), "b") == 0, "set replaces");
	core_tags_del(&tags, &n, "Name", "a");
	CHECK(n == 1, "delete with another value keeps the tag");
	core_tags_del(&tags, &n, "Name", NULL);
	CHECK(n == 0, "delete by key");
	CHECK(core_tags_check(bad, 1, 0, &err) != 0, "aws: prefix reserved");
	core_tags_free(tags, n);
}

/* Addresses, the public pool and the instance state machine. */
static void
test_instances(void)
{
	static const char *const owner = "111111111111";
	struct core_config small = cfg;
	struct core_model m;
	struct core_error err;
	struct core_vpc *vpc;
	struct core_subnet *sn;
	struct core_eni *eni, *e2;
	struct core_eip *eip;
	struct core_instance *out[20];
	struct core_nic_spec nic = { 0 };
	struct core_run_spec run = { 0 };
	struct core_eni_spec spec = { 0 };
	enum core_instance_state prev;
	uint32_t ip;
	size_t n = 0;
	char s[16];

	small.public_pool = cidr("198.51.100.0/29");  /* .1 - .6 */
	core_model_init(&m, &small);
	m.is_dataplane_none = false;
	core_vpc_create(&m, owner, cidr("10.0.0.0/16"), false, false, &vpc, &err);
	core_subnet_create(&m, vpc, cidr("10.0.1.0/28"), "us-east-1a", &sn, &err);
	CHECK(core_subnet_available(sn) == 11, "a /28 has 11 usable addresses");

	spec.subnet = sn;
	CHECK(core_eni_create(&m, owner, &spec, &eni, &err) == 0 && eni->n_ips == 1 &&
	    eni->ips[0] == 0x0a000104, "the first interface gets .4");
	CHECK(core_subnet_available(sn) == 10 && sn->n_used == 1, "the subnet counts it");
	CHECK(eni->n_groups == 1 && strcmp(eni->groups[0], vpc->default_sg) == 0,
	    "the default group by default");
	for (uint32_t r = 0; r < 4; r++) {
		spec.primary_ip = 0x0a000100 + r;
		CHECK(core_eni_create(&m, owner, &spec, &e2, &err) != 0 &&
		    strcmp(err.code, "InvalidParameterValue") == 0, ".%u is reserved", r);
	}
	spec.primary_ip = 0x0a00010f;
	CHECK(core_eni_create(&m, owner, &spec, &e2, &err) != 0 &&
	    strcmp(err.code, "InvalidParameterValue") == 0, "the broadcast address is reserved");
	spec.primary_ip = 0x0a000104;
	CHECK(core_eni_create(&m, owner, &spec, &e2, &err) != 0 &&
	    strcmp(err.code, "InvalidIPAddress.InUse") == 0, "a used address is refused");
	spec.primary_ip = 0x0a000109;
	CHECK(core_eni_create(&m, owner, &spec, &e2, &err) == 0 && e2->ips[0] == 0x0a000109,
	    "an explicit free address");
	CHECK(core_eni_assign_ips(&m, eni, NULL, 0, 2, false, &err) == 0 && eni->n_ips == 3 &&
	    eni->ips[1] == 0x0a000105 && eni->ips[2] == 0x0a000106,
	    "secondary addresses: lowest free first");
	CHECK(core_eni_unassign_ips(&m, eni, &eni->ips[1], 1, &err) == 0 && eni->n_ips == 2 &&
	    core_subnet_available(sn) == 8, "unassigning frees the address");
	e2->is_requester_managed = true;
	CHECK(core_eni_delete(&m, e2, &err) != 0 && strcmp(err.code, "OperationNotPermitted") == 0 &&
	    core_eni_set_groups(&m, e2, NULL, 0, &err) != 0 &&
	    core_eni_assign_ips(&m, e2, NULL, 0, 1, false, &err) != 0,
	    "requester-managed interfaces refuse changes");
	e2->is_requester_managed = false;
	core_eni_delete(&m, e2, &err);
	CHECK(core_subnet_available(sn) == 9, "deleting an interface frees its addresses");

	/* The pool: never the network or broadcast address, shared by all. */
	CHECK(core_pool_free(&m) == 6, "a /29 pool has 6 addresses");
	CHECK(core_eip_allocate(&m, owner, &eip, &err) == 0 && eip->public_ip == 0xc6336401,
	    "the first Elastic IP is .1");
	m.is_dry_run = true;
	CHECK(core_eip_allocate(&m, owner, &eip, &err) != 0 &&
	    strcmp(err.code, "DryRunOperation") == 0 && core_pool_free(&m) == 5,
	    "a dry run allocates nothing");
	m.is_dry_run = false;

	nic.create = (struct core_eni_spec){ .subnet = sn };
	nic.is_public_ip = true;
	nic.delete_on_termination = true;
	run.image_id = "ami-1";
	run.instance_type = "t3.micro";
	run.nics = &nic;
	run.n_nics = 1;
	run.min_count = 1;
	run.max_count = 20;
	CHECK(core_instances_run(&m, owner, &run, out, &n, &err) == 0 && n == 5,
	    "MaxCount is cut to what the pool allows (%zu)", n);
	CHECK(core_pool_free(&m) == 0 && core_pool_take(&m, &ip, &err) != 0 &&
	    strcmp(err.code, "InsufficientAddressCapacity") == 0, "the pool is exhausted");
	CHECK(core_eip_allocate(&m, "222222222222", &eip, &err) != 0 &&
	    strcmp(err.code, "InsufficientAddressCapacity") == 0, "for every account");
	CHECK(out[0]->state == CORE_INSTANCE_PENDING && out[0]->boot == 1 &&
	    out[4]->launch_index == 4, "launched pending, boot 1, launch indexes");
	eni = core_find(&m, CORE_ENI, owner, out[0]->primary_eni);
	core_ip_format(eni->public_ip, s);
	CHECK_STR(s, "198.51.100.2", "the first instance's public address");
	CHECK(core_subnet_available(sn) == 4, "each instance took a private address");
	run.min_count = 5;
	nic.is_public_ip = false;
	CHECK(core_instances_run(&m, owner, &run, out + 5, &n, &err) != 0 &&
	    strcmp(err.code, "InsufficientFreeAddressesInSubnet") == 0,
	    "MinCount above the subnet's room is refused");

	/* The state machine with a data plane completing transitions. */
	CHECK(core_instance_set_state(&m, out[0], CORE_INSTANCE_RUNNING) == 0 &&
	    out[0]->state == CORE_INSTANCE_RUNNING, "pending -> running");
	CHECK(core_instance_stop(&m, out[0], false, &prev, &err) == 0 &&
	    prev == CORE_INSTANCE_RUNNING && out[0]->state == CORE_INSTANCE_STOPPING,
	    "stop enters stopping");
	CHECK(eni->public_ip != 0, "stopping keeps the public address");
	core_instance_set_state(&m, out[0], CORE_INSTANCE_STOPPED);
	CHECK(eni->public_ip == 0 && core_pool_free(&m) == 1, "stopped releases it");
	CHECK(core_instance_start(&m, out[0], &prev, &err) == 0 &&
	    out[0]->state == CORE_INSTANCE_PENDING && out[0]->boot == 2 && eni->public_ip != 0,
	    "start: pending, boot 2, a new public address");
	CHECK(core_instance_start(&m, out[1], &prev, &err) == 0 && out[1]->boot == 1,
	    "starting a pending instance changes nothing");
	CHECK(core_instance_terminate(&m, out[0], &prev, &err) == 0 &&
	    out[0]->state == CORE_INSTANCE_SHUTTING_DOWN &&
	    core_find(&m, CORE_ENI, owner, out[0]->primary_eni) != NULL,
	    "terminate: shutting-down, interfaces still there");
	CHECK(core_instance_stop(&m, out[0], false, &prev, &err) != 0 &&
	    strcmp(err.code, "IncorrectInstanceState") == 0, "a shutting-down one cannot stop");
	core_instance_set_state(&m, out[0], CORE_INSTANCE_TERMINATED);
	CHECK(core_find(&m, CORE_ENI, owner, out[0]->primary_eni) == NULL &&
	    core_subnet_available(sn) == 5 && core_pool_free(&m) == 1,
	    "terminated: the interface and its addresses are gone");
	CHECK(core_instance_set_state(&m, out[0], CORE_INSTANCE_RUNNING) == -EINVAL,
	    "terminated is final");

	/* Without a data plane the core completes transitions itself. */
	m.is_dataplane_none = true;
	CHECK(core_instance_stop(&m, out[1], false, &prev, &err) == 0 &&
	    prev == CORE_INSTANCE_PENDING && out[1]->state == CORE_INSTANCE_STOPPED,
	    "dataplane none: stop completes at once");
	CHECK(core_instance_terminate(&m, out[1], &prev, &err) == 0 &&
	    out[1]->state == CORE_INSTANCE_TERMINATED, "dataplane none: terminate completes");
	out[2]->is_disable_api_termination = true;
	CHECK(core_instance_terminate(&m, out[2], &prev, &err) != 0 &&
	    strcmp(err.code, "OperationNotPermitted") == 0, "disableApiTermination");
	core_model_fini(&m);
}

/* A pending request expires 7 days after its creation and stays visible
 * 2 more days; an expired request can no longer be accepted. */
static void
test_peering_expiry(void)
{
	struct core_model m;
	struct core_error err;
	struct core_vpc *a, *b;
	struct core_pcx *pcx;
	int64_t t0;

	core_model_init(&m, &cfg);
	core_res_new(&m, CORE_ACCOUNT, sizeof(struct core_account), NULL, "111111111111");
	core_vpc_create(&m, "111111111111", (struct core_cidr){ 0x0a000000, 16 }, false, false,
	    &a, &err);
	core_vpc_create(&m, "111111111111", (struct core_cidr){ 0x0a010000, 16 }, false, false,
	    &b, &err);
	CHECK(core_pcx_create(&m, "111111111111", a, b, &pcx, &err) == 0 &&
	    pcx->state == CORE_PCX_PENDING, "a peering request");
	t0 = pcx->res.created_ms;
	CHECK(core_pcx_state(pcx, t0 + CORE_PCX_EXPIRY_MS - 1) == CORE_PCX_PENDING &&
	    core_pcx_state(pcx, t0 + CORE_PCX_EXPIRY_MS) == CORE_PCX_EXPIRED,
	    "it expires after 7 days");
	CHECK(core_pcx_is_visible(pcx, t0 + CORE_PCX_EXPIRY_MS + 47 * 3600000LL) &&
	    !core_pcx_is_visible(pcx, t0 + CORE_PCX_EXPIRY_MS + 49 * 3600000LL),
	    "an expired request is visible for 2 days");
	CHECK(core_pcx_accept(&m, pcx, "111111111111", t0 + CORE_PCX_EXPIRY_MS, &err) != 0 &&
	    strcmp(err.code, "InvalidStateTransition") == 0 &&
	    strstr(err.message, "from expired to active"), "an expired request cannot be accepted");
	CHECK(core_pcx_accept(&m, pcx, "111111111111", t0 + 1000, &err) == 0 &&
	    core_pcx_state(pcx, t0 + 30 * CORE_PCX_EXPIRY_MS) == CORE_PCX_ACTIVE,
	    "an accepted connection does not expire");
	core_model_fini(&m);
}

int
main(void)
{
	char t[32];

	core_config_defaults(&cfg);
	CHECK_STR(core_az_id(&cfg, "us-east-1b"), "use1-az2", "zone ids");
	time_format_iso(-1500, t);
	CHECK_STR(t, "1969-12-31T23:59:58.500Z", "timestamps before 1970");
	test_cidr();
	test_vpc();
	test_quota_and_routes();
	test_sg_and_acl();
	test_tags();
	test_instances();
	test_peering_expiry();
	return tap_done();
}
