/* Unit tests of persistence: every resource type survives save and load. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "tap.h"

static struct core_cidr
cidr(const char *s)
{
	struct core_cidr c = { 0, 0 };

	core_cidr_parse(s, &c);
	return c;
}

/* Builds a model with one of everything; returns the VPC id. */
static void
populate(struct core_model *m, char vpc_id[CORE_ID_MAX])
{
	struct core_error err;
	struct core_account *acct = core_account_create(m, "alice", false);
	const char *owner = acct->res.id;
	struct core_vpc *vpc;
	struct core_subnet *sn;
	struct core_igw *igw;
	struct core_rtb *rtb;
	struct core_sg *sg;
	struct core_acl *acl;
	struct core_vpc_cidr *vc;
	const char *assoc;
	struct core_sg_rule rule = { .proto = 6, .from_port = 443, .to_port = 443,
		.peer = CORE_PEER_CIDR, .cidr = { 0x0a000000, 8 }, .description = (char *)"https" };
	struct core_acl_entry e = { .rule_no = 7, .proto = 1, .icmp_type = 8, .icmp_code = 0,
		.from_port = -1, .to_port = -1, .cidr = { 0, 0 } };

	core_vpc_create(m, owner, cidr("10.0.0.0/16"), true, false, &vpc, &err);
	core_vpc_cidr_add(m, vpc, cidr("10.1.0.0/16"), &vc, &err);
	core_tags_set(&vpc->res.tags, &vpc->res.n_tags, "Name", "main <&> \"vpc\"");
	core_subnet_create(m, vpc, cidr("10.0.1.0/24"), "us-east-1b", &sn, &err);
	sn->map_public_ip = true;
	core_igw_create(m, owner, &igw, &err);
	core_igw_attach(m, igw, vpc, &err);
	core_rtb_create(m, vpc, &rtb, &err);
	core_route_create(m, rtb, &(struct core_route_spec){ cidr("0.0.0.0/0"), CORE_TARGET_IGW,
	    igw->res.id }, &err);
	core_rtb_associate(m, rtb, sn, &assoc, &err);
	core_sg_create(m, vpc, "web", "web tier", &sg, &err);
	core_sg_rules_add(m, sg, &rule, 1, &err);
	core_tags_set(&sg->rules[1].tags, &sg->rules[1].n_tags, "k", "v");
	core_acl_create(m, vpc, &acl, &err);
	core_acl_entry_add(m, acl, &e, &err);

	/* An instance with a public address, a second interface with a
	 * secondary address, and an Elastic IP on it. */
	{
		struct core_nic_spec nic = { .create = { .subnet = sn }, .is_public_ip = true,
			.delete_on_termination = true };
		struct core_run_spec run = { .image_id = "ami-1", .instance_type = "t3.micro",
			.key_name = "k", .user_data = "aGk=", .client_token = "tok",
			.min_count = 1, .max_count = 1, .nics = &nic, .n_nics = 1 };
		struct core_eni_spec es = { .subnet = sn, .description = "second",
			.n_secondary = 1 };
		struct core_instance *inst;
		struct core_eni *eni;
		struct core_eip *eip;
		size_t n;

		core_instances_run(m, owner, &run, &inst, &n, &err);
		core_instance_stop(m, inst, false, &(enum core_instance_state){ 0 }, &err);
		core_eni_create(m, owner, &es, &eni, &err);
		eni->source_dest_check = false;
		core_eni_attach(m, eni, inst, 1, &err);
		core_eip_allocate(m, owner, &eip, &err);
		core_eip_associate(m, eip, eni, eni->ips[1], false, &err);
		core_tags_set(&eip->res.tags, &eip->res.n_tags, "Name", "eip");
	}
	str_copy(vpc_id, vpc->res.id, CORE_ID_MAX);
}

static void
same_docs(const struct core_model *a, const struct core_model *b)
{
	size_t n = 0, same = 0;

	for (int t = 0; t < CORE_N_TYPES; t++)
		CORE_FOREACH(a, t, r) {
			struct core_res *o = core_get(b, r->id);
			char *x = store_encode(r), *y = o ? store_encode(o) : NULL;

			n++;
			if (o && o->seq == r->seq && strcmp(o->owner, r->owner) == 0 &&
			    strcmp(x, y) == 0)
				same++;
			else
				printf("# differs: %s\n#  %s\n#  %s\n", r->id, x, y ? y : "(missing)");
			free(x);
			free(y);
		}
	CHECK(n > 8 && n == same, "all %zu resources identical after reload", n);
	CHECK(a->count[CORE_INSTANCE] == 1 && a->count[CORE_ENI] == 2 && a->count[CORE_EIP] == 1,
	    "instances, interfaces and Elastic IPs included");
	CORE_FOREACH(b, CORE_SUBNET, r)
		CHECK(((struct core_subnet *)r)->n_used == 3,
		    "a subnet's used addresses are derived again on load");
}

int
main(void)
{
	struct core_config cfg;
	struct core_model m, m2;
	struct store *s;
	char dir[] = "/tmp/vpcd-test-store-XXXXXX", path[128], vpc_id[CORE_ID_MAX];
	struct core_res *bad;

	core_config_defaults(&cfg);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/vpcd.db", dir);
	CHECK(store_open(path, &s) == 0, "database created");
	core_model_init(&m, &cfg);
	populate(&m, vpc_id);
	CHECK(store_begin(s) == 0 && store_save(s, &m) == 0 && store_commit(s) == 0,
	    "model saved");
	CHECK(m.dirty == NULL && m.n_removed == 0, "change list drained");
	store_free(s);

	CHECK(store_open(path, &s) == 0, "database reopened");
	core_model_init(&m2, &cfg);
	CHECK(store_load(s, &m2) == 0, "model loaded");
	same_docs(&m, &m2);
	CHECK(core_account_by_key(&m2, ((struct core_account *)m2.head[CORE_ACCOUNT])->keys[0]
	    .access_key_id) != NULL, "access keys indexed after load");

	/* A deletion is saved as such. */
	{
		struct core_error err;
		struct core_igw *igw = (struct core_igw *)m2.head[CORE_IGW];
		struct core_vpc *vpc = core_find(&m2, CORE_VPC, NULL, vpc_id);
		struct core_eip *eip = (struct core_eip *)m2.head[CORE_EIP];

		/* Mapped public addresses keep the gateway attached. */
		CHECK(core_igw_detach(&m2, igw, vpc, &err) != 0 &&
		    strcmp(err.code, "DependencyViolation") == 0,
		    "a gateway with mapped addresses stays");
		core_eip_disassociate(&m2, eip->res.owner, eip->assoc_id, &err);
		core_igw_detach(&m2, igw, vpc, &err);
		core_igw_delete(&m2, igw, &err);
		CHECK(store_begin(s) == 0 && store_save(s, &m2) == 0 && store_commit(s) == 0,
		    "deletion saved");
	}
	core_model_fini(&m);
	core_model_init(&m, &cfg);
	CHECK(store_load(s, &m) == 0 && m.count[CORE_IGW] == 0 && m.count[CORE_VPC] == 1,
	    "deleted gateway stays deleted");
	CHECK(store_check(s) == 0, "integrity check passes");

	/* Rollback leaves the database as it was. */
	CHECK(store_begin(s) == 0, "transaction begun");
	core_res_new(&m, CORE_IGW, sizeof(struct core_igw), "123456789012", NULL);
	store_save(s, &m);
	store_rollback(s);
	core_model_fini(&m2);
	core_model_init(&m2, &cfg);
	CHECK(store_load(s, &m2) == 0 && m2.count[CORE_IGW] == 0, "rolled back change is absent");

	bad = store_decode(CORE_VPC, "vpc-1", "123456789012", 1, "{\"cidrs\": 5}");
	CHECK(bad == NULL, "malformed document refused");
	bad = store_decode(CORE_VPC, "vpc-1", "123456789012", 1, "not json");
	CHECK(bad == NULL, "non-JSON document refused");

	core_model_fini(&m);
	core_model_fini(&m2);
	store_free(s);
	unlink(path);
	snprintf(path, sizeof(path), "%s/vpcd.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/vpcd.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
