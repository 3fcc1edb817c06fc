/*
 * Golden tests of the data plane plan: a model in, the plan's text form
 * out, compared with tests/golden/plan/<case>.txt.  VPCD_REGEN_GOLDEN=1
 * rewrites the expected files.  Ids are fixed so the output is stable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp/dp.h"
#include "tap.h"

static struct core_config cfg;
static struct dp_config dcfg;

static struct core_cidr
cidr(const char *s)
{
	struct core_cidr c = { 0, 0 };

	core_cidr_parse(s, &c);
	return c;
}

static uint32_t
ip(const char *s)
{
	uint32_t a = 0;

	core_ip_parse(s, &a);
	return a;
}

/* Renames a freshly created resource to a fixed id (the ids of the
 * defaults a VPC comes with stay random: they only show in the ruleset). */
static void
fix_id(struct core_model *m, struct core_res *r, const char *id)
{
	map_del(&m->ids, r->id);
	STR_COPY(r->id, id);
	map_put(&m->ids, r->id, r);
}

static struct core_eni *
add_instance(struct core_model *m, const char *owner, struct core_subnet *sn,
    const char *inst_id, const char *eni_id, const char *addr, const char *const *groups,
    size_t n_groups, uint32_t public_ip, const char *user_data)
{
	struct core_instance *inst = core_res_new_in(m, CORE_INSTANCE, sizeof(*inst), owner,
	    sn->vpc_id);
	struct core_eni *eni = core_res_new_in(m, CORE_ENI, sizeof(*eni), owner, sn->vpc_id);

	fix_id(m, &inst->res, inst_id);
	fix_id(m, &eni->res, eni_id);
	STR_COPY(inst->subnet_id, sn->res.id);
	STR_COPY(inst->primary_eni, eni_id);
	inst->state = CORE_INSTANCE_RUNNING;
	inst->boot = 1;
	inst->user_data = user_data ? xstrdup(user_data) : NULL;
	STR_COPY(eni->subnet_id, sn->res.id);
	snprintf(eni->mac, sizeof(eni->mac), "02:00:00:00:00:%02x", (unsigned)(m->next_seq & 0xff));
	eni->ips[0] = ip(addr);
	eni->n_ips = 1;
	for (size_t i = 0; i < n_groups; i++)
		STR_COPY(eni->groups[i], groups[i]);
	eni->n_groups = n_groups;
	eni->source_dest_check = true;
	eni->description = xstrdup("");
	STR_COPY(eni->instance_id, inst_id);
	eni->public_ip = public_ip;
	return eni;
}

/* The seed architecture: front, app and db subnets; an IGW with a default
 * route for the front subnet only; the front instance has a public IP.
 * With 'is_one_table' the default route is in the main route table
 * instead, which all three subnets use: routing without rules. */
static void
build_seed(struct core_model *m, bool is_one_table)
{
	const char *owner = "111111111111";
	struct core_error err;
	struct core_vpc *vpc;
	struct core_subnet *front, *app, *db;
	struct core_igw *igw;
	struct core_rtb *pub;
	const char *assoc;

	core_res_new(m, CORE_ACCOUNT, sizeof(struct core_account), NULL, owner);
	core_vpc_create(m, owner, cidr("10.0.0.0/16"), false, false, &vpc, &err);
	fix_id(m, &vpc->res, "vpc-00000000000000001");
	/* Children recorded the old id: fix the defaults' vpc_id too. */
	CORE_FOREACH(m, CORE_RTB, r)
		STR_COPY(((struct core_rtb *)r)->vpc_id, vpc->res.id);
	CORE_FOREACH(m, CORE_ACL, r)
		STR_COPY(((struct core_acl *)r)->vpc_id, vpc->res.id);
	CORE_FOREACH(m, CORE_SG, r)
		STR_COPY(((struct core_sg *)r)->vpc_id, vpc->res.id);
	core_subnet_create(m, vpc, cidr("10.0.1.0/24"), "us-east-1a", &front, &err);
	core_subnet_create(m, vpc, cidr("10.0.2.0/24"), "us-east-1a", &app, &err);
	core_subnet_create(m, vpc, cidr("10.0.3.0/24"), "us-east-1a", &db, &err);
	fix_id(m, &front->res, "subnet-0000000000000f001");
	fix_id(m, &app->res, "subnet-0000000000000a002");
	fix_id(m, &db->res, "subnet-0000000000000d003");
	core_igw_create(m, owner, &igw, &err);
	fix_id(m, &igw->res, "igw-00000000000000001");
	core_igw_attach(m, igw, vpc, &err);
	if (is_one_table) {
		pub = core_rtb_main(m, vpc);
	} else {
		core_rtb_create(m, vpc, &pub, &err);
		core_rtb_associate(m, pub, front, &assoc, &err);
	}
	core_route_create(m, pub, &(struct core_route_spec){ cidr("0.0.0.0/0"), CORE_TARGET_IGW,
	    igw->res.id }, &err);
	add_instance(m, owner, front, "i-0000000000000f001", "eni-0000000000000f001", "10.0.1.10",
	    NULL, 0, ip("198.51.100.7"), "IyEvYmluL3NoCmVjaG8gaGkK");
	add_instance(m, owner, app, "i-0000000000000a002", "eni-0000000000000a002", "10.0.2.10",
	    NULL, 0, 0, NULL);
	add_instance(m, owner, db, "i-0000000000000d003", "eni-0000000000000d003", "10.0.3.10",
	    NULL, 0, 0, NULL);
}

static void
golden(const char *name, const char *got)
{
	const char *src = getenv("VPCD_SOURCE_ROOT");
	char path[512];
	struct buf want;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/golden/plan/%s.txt", src ? src : ".", name);
	if (getenv("VPCD_REGEN_GOLDEN")) {
		f = fopen(path, "w");
		if (f) {
			fputs(got, f);
			fclose(f);
		}
	}
	buf_init(&want);
	if ((f = fopen(path, "r")) != NULL) {
		char chunk[4096];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_add(&want, chunk, n);
		fclose(f);
	}
	CHECK(strcmp(want.data, got) == 0, "plan %s matches %s", name, path);
	if (strcmp(want.data, got) != 0)
		printf("# got:\n%s", got);
	buf_fini(&want);
}

/* One route table for all subnets: its routes and the ENIs' in main, no
 * rule; without a default route, main gets one to nowhere. */
static void
test_one_table(void)
{
	const char *rtr = "vpcd-abcdef-vpc-00000000000000001";
	struct core_model m;
	struct core_error err;
	struct core_rtb *rtb;
	struct dp_plan *p;
	struct buf a;
	int n_default = 0;

	core_model_init(&m, &cfg);
	build_seed(&m, true);
	buf_init(&a);
	p = dp_plan_build(&m, &dcfg);
	dp_plan_dump(p, &a);
	golden("one_table", a.data);
	dp_plan_free(p);
	rtb = core_rtb_main(&m, core_find(&m, CORE_VPC, "111111111111", "vpc-00000000000000001"));
	core_route_delete(&m, rtb, cidr("0.0.0.0/0"), &err);
	p = dp_plan_build(&m, &dcfg);
	for (size_t i = 0; i < p->n_routes; i++)
		if (strcmp(p->routes[i].ns, rtr) == 0 && p->routes[i].plen == 0)
			n_default += p->routes[i].table == DP_TABLE_MAIN &&
			    p->routes[i].type == DP_ROUTE_UNREACHABLE;
	CHECK(p->n_rules == 0 && n_default == 1,
	    "without a default route, the router's default is unreachable");
	dp_plan_free(p);
	buf_fini(&a);
	core_model_fini(&m);
}

/* A NAT gateway in the front subnet and the app and db subnets' default
 * route (the main table) to it: its namespace, its interface plugged in
 * like an instance's, the route via its address, its own table. */
static void
test_natgw(void)
{
	const char *owner = "111111111111";
	struct core_model m;
	struct core_error err;
	struct core_vpc *vpc;
	struct core_eip *eip;
	struct core_natgw *gw;
	struct core_eni *eni;
	struct dp_plan *p;
	struct buf a;

	core_model_init(&m, &cfg);
	m.is_dataplane_none = false;
	build_seed(&m, false);
	vpc = core_find(&m, CORE_VPC, owner, "vpc-00000000000000001");
	core_eip_allocate(&m, owner, &eip, &err);
	CHECK(core_natgw_create(&m, owner, &(struct core_natgw_spec){
	    .subnet = core_find(&m, CORE_SUBNET, owner, "subnet-0000000000000f001"), .eip = eip },
	    &gw, &err) == 0 && gw->state == CORE_NATGW_PENDING, "a pending NAT gateway");
	fix_id(&m, &gw->res, "nat-0000000000000000e");
	eni = core_find(&m, CORE_ENI, owner, gw->eni_id);
	fix_id(&m, &eni->res, "eni-0000000000000000e");
	STR_COPY(gw->eni_id, eni->res.id);
	STR_COPY(eni->mac, "02:00:00:00:00:0e");
	core_route_create(&m, core_rtb_main(&m, vpc), &(struct core_route_spec){
	    cidr("0.0.0.0/0"), CORE_TARGET_NATGW, gw->res.id }, &err);
	buf_init(&a);
	p = dp_plan_build(&m, &dcfg);
	dp_plan_dump(p, &a);
	golden("natgw", a.data);
	for (size_t i = 0; i < p->n_nft; i++)
		if (strstr(p->nft[i].ns, gw->res.id))
			golden("natgw_table", p->nft[i].text);
	dp_plan_free(p);
	/* Deleting: the namespace goes, the route becomes a blackhole. */
	core_natgw_delete(&m, gw, &err);
	p = dp_plan_build(&m, &dcfg);
	buf_reset(&a);
	dp_plan_dump(p, &a);
	CHECK(strstr(a.data, "nat-0000000000000000e state 3") &&
	    !strstr(a.data, "ns vpcd-abcdef-nat-") &&
	    strstr(a.data, "table 1003 0.0.0.0/0 blackhole"),
	    "a deleting gateway has no namespace and its routes are blackholes");
	dp_plan_free(p);
	buf_fini(&a);
	core_model_fini(&m);
}

int
main(void)
{
	struct core_model m;
	struct dp_plan *p, *q;
	struct buf a, b;

	core_config_defaults(&cfg);
	dp_config_init(&dcfg, "/nonexistent/vpcd-golden");
	STR_COPY(dcfg.tag, "abcdef");
	test_one_table();
	test_natgw();
	core_model_init(&m, &cfg);
	build_seed(&m, false);

	buf_init(&a);
	buf_init(&b);
	p = dp_plan_build(&m, &dcfg);
	dp_plan_dump(p, &a);
	golden("seed", a.data);
	q = dp_plan_build(&m, &dcfg);
	dp_plan_dump(q, &b);
	CHECK(strcmp(a.data, b.data) == 0 && p->n_nft == 1 && q->n_nft == 1 &&
	    strcmp(p->nft[0].hash, q->nft[0].hash) == 0, "the plan is deterministic");
	dp_plan_free(p);
	dp_plan_free(q);
	buf_fini(&a);
	buf_fini(&b);
	core_model_fini(&m);
	return tap_done();
}
