/* Builds test models for the nftables compiler from a text description
 * (see nft_model.h).  Test code: links only core and lib. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_model.h"

void
nft_model_id(const char *prefix, const char *name, char out[CORE_ID_MAX])
{
	size_t n = strlen(name);

	snprintf(out, CORE_ID_MAX, "%s-%.*s%s", prefix, n < 17 ? (int)(17 - n) : 0,
	    "00000000000000000", name);
}

static void
fix(char *field, size_t size, const char *old, const char *id)
{
	if (strcmp(field, old) == 0)
		str_copy(field, id, size);
}

#define FIX(field) fix((field), sizeof(field), old, id)

void
nft_model_rename(struct core_model *m, struct core_res *r, const char *id)
{
	char old[CORE_ID_MAX];

	STR_COPY(old, r->id);
	map_del(&m->ids, r->id);
	STR_COPY(r->id, id);
	map_put(&m->ids, r->id, r);
	for (int t = 0; t < CORE_N_TYPES; t++) {
		CORE_FOREACH(m, (enum core_type)t, x) {
			switch (x->type) {
			case CORE_VPC: {
				struct core_vpc *v = (struct core_vpc *)x;

				FIX(v->main_rtb);
				FIX(v->default_acl);
				FIX(v->default_sg);
				break;
			}
			case CORE_SUBNET:
				FIX(((struct core_subnet *)x)->vpc_id);
				break;
			case CORE_RTB: {
				struct core_rtb *rt = (struct core_rtb *)x;

				FIX(rt->vpc_id);
				for (size_t i = 0; i < rt->n_routes; i++)
					FIX(rt->routes[i].target);
				for (size_t i = 0; i < rt->n_assocs; i++)
					FIX(rt->assocs[i].subnet_id);
				break;
			}
			case CORE_IGW:
				FIX(((struct core_igw *)x)->vpc_id);
				break;
			case CORE_SG: {
				struct core_sg *sg = (struct core_sg *)x;

				for (size_t i = 0; i < sg->n_rules; i++)
					FIX(sg->rules[i].group_id);
				if (strcmp(sg->vpc_id, old) == 0) {
					/* The name index is keyed by "vpc-id/name". */
					if (sg->name_key)
						map_del(&m->sg_names, sg->name_key);
					STR_COPY(sg->vpc_id, id);
					core_sg_index(m, sg);
				}
				break;
			}
			case CORE_ACL: {
				struct core_acl *acl = (struct core_acl *)x;

				FIX(acl->vpc_id);
				for (size_t i = 0; i < acl->n_assocs; i++)
					FIX(acl->assocs[i].subnet_id);
				break;
			}
			case CORE_ENI: {
				struct core_eni *e = (struct core_eni *)x;

				FIX(e->vpc_id);
				FIX(e->subnet_id);
				for (size_t i = 0; i < e->n_groups; i++)
					FIX(e->groups[i]);
				break;
			}
			case CORE_EIP:
				FIX(((struct core_eip *)x)->eni_id);
				break;
			default:
				break;
			}
		}
	}
}

char *
nft_model_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_steal(&b);
}

struct parser {
	struct core_model *m;
	int line;
	char *err;
	size_t errsize;
};

static int
fail(struct parser *p, const char *fmt, ...) PRINTF(2, 3);

static int
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errsize, "line %d: ", p->line);

	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errsize - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void *
find(struct parser *p, enum core_type t, const char *name)
{
	char id[CORE_ID_MAX];

	nft_model_id(core_type_prefix(t), name, id);
	return core_find(p->m, t, NFT_MODEL_OWNER, id);
}

static struct core_sg *
find_sg(struct parser *p, const char *vpc_id, const char *name)
{
	if (strcmp(name, "default") == 0) {
		struct core_vpc *v = core_find(p->m, CORE_VPC, NFT_MODEL_OWNER, vpc_id);

		return v ? core_find(p->m, CORE_SG, NFT_MODEL_OWNER, v->default_sg) : NULL;
	}
	return find(p, CORE_SG, name);
}

static void
rename_as(struct parser *p, struct core_res *r, const char *name)
{
	char id[CORE_ID_MAX];

	nft_model_id(core_type_prefix(r->type), name, id);
	nft_model_rename(p->m, r, id);
}

/* "80", "80-90", "-" or, for ICMP, "TYPE:CODE" / "TYPE" / "-1". */
static int
parse_ports(const char *s, int proto, int *from, int *to)
{
	*from = *to = -1;
	if (strcmp(s, "-") == 0)
		return 0;
	if (proto == 1) {
		if (sscanf(s, "%d:%d", from, to) >= 1)
			return 0;
		return -1;
	}
	switch (sscanf(s, "%d-%d", from, to)) {
	case 1:
		*to = *from;
		return 0;
	case 2:
		return 0;
	default:
		return -1;
	}
}

static int
parse_cidr(struct parser *p, const char *s, struct core_cidr *c)
{
	if (core_cidr_parse(s, c))
		return fail(p, "bad CIDR '%s'", s);
	return 0;
}

static int
parse_ip(struct parser *p, const char *s, uint32_t *ip)
{
	if (core_ip_parse(s, ip))
		return fail(p, "bad address '%s'", s);
	return 0;
}

static int
do_vpc(struct parser *p, char **tok, int n)
{
	struct core_vpc *vpc;
	struct core_cidr c;
	struct core_error e;
	char name[64];

	if (n != 3 || parse_cidr(p, tok[2], &c))
		return fail(p, "usage: vpc NAME CIDR");
	if (core_vpc_create(p->m, NFT_MODEL_OWNER, c, false, false, &vpc, &e))
		return fail(p, "%s", e.message);
	snprintf(name, sizeof(name), "%sdefault", tok[1]);
	rename_as(p, core_get(p->m, vpc->default_sg), name);
	rename_as(p, core_get(p->m, vpc->default_acl), name);
	snprintf(name, sizeof(name), "%smain", tok[1]);
	rename_as(p, core_get(p->m, vpc->main_rtb), name);
	rename_as(p, &vpc->res, tok[1]);
	return 0;
}

static int
do_subnet(struct parser *p, char **tok, int n)
{
	struct core_vpc *vpc;
	struct core_subnet *sn;
	struct core_cidr c;
	struct core_error e;

	if (n != 4 || (vpc = find(p, CORE_VPC, tok[2])) == NULL || parse_cidr(p, tok[3], &c))
		return fail(p, "usage: subnet NAME VPC CIDR");
	if (core_subnet_create(p->m, vpc, c, p->m->cfg->azs[0], &sn, &e))
		return fail(p, "%s", e.message);
	rename_as(p, &sn->res, tok[1]);
	return 0;
}

static int
do_rtb(struct parser *p, char **tok, int n)
{
	struct core_vpc *vpc;
	struct core_rtb *rtb;
	struct core_error e;

	if (n != 3 || (vpc = find(p, CORE_VPC, tok[2])) == NULL)
		return fail(p, "usage: rtb NAME VPC");
	if (core_rtb_create(p->m, vpc, &rtb, &e))
		return fail(p, "%s", e.message);
	rename_as(p, &rtb->res, tok[1]);
	return 0;
}

static int
do_assoc_rtb(struct parser *p, char **tok, int n)
{
	struct core_rtb *rtb;
	struct core_subnet *sn;
	struct core_error e;
	const char *assoc;

	if (n != 3 || (rtb = find(p, CORE_RTB, tok[1])) == NULL ||
	    (sn = find(p, CORE_SUBNET, tok[2])) == NULL)
		return fail(p, "usage: assoc-rtb RTB SUBNET");
	if (core_rtb_associate(p->m, rtb, sn, &assoc, &e))
		return fail(p, "%s", e.message);
	return 0;
}

static int
do_route(struct parser *p, char **tok, int n)
{
	struct core_rtb *rtb;
	struct core_eni *eni;
	struct core_route_spec spec = { .target_type = CORE_TARGET_ENI };
	struct core_error e;

	if (n != 4 || (rtb = find(p, CORE_RTB, tok[1])) == NULL ||
	    (eni = find(p, CORE_ENI, tok[3])) == NULL || parse_cidr(p, tok[2], &spec.dst))
		return fail(p, "usage: route RTB CIDR ENI");
	spec.target = eni->res.id;
	if (core_route_create(p->m, rtb, &spec, &e))
		return fail(p, "%s", e.message);
	return 0;
}

static int
do_igw(struct parser *p, char **tok, int n)
{
	struct core_vpc *vpc;
	struct core_igw *igw;
	struct core_error e;

	if (n != 3 || (vpc = find(p, CORE_VPC, tok[2])) == NULL)
		return fail(p, "usage: igw NAME VPC");
	if (core_igw_create(p->m, NFT_MODEL_OWNER, &igw, &e) ||
	    core_igw_attach(p->m, igw, vpc, &e))
		return fail(p, "%s", e.message);
	rename_as(p, &igw->res, tok[1]);
	return 0;
}

static int
do_sg(struct parser *p, char **tok, int n)
{
	struct core_vpc *vpc;
	struct core_sg *sg;
	struct core_error e;

	if (n != 3 || (vpc = find(p, CORE_VPC, tok[2])) == NULL)
		return fail(p, "usage: sg NAME VPC");
	if (core_sg_create(p->m, vpc, tok[1], tok[1], &sg, &e))
		return fail(p, "%s", e.message);
	rename_as(p, &sg->res, tok[1]);
	return 0;
}

static struct core_sg *
group_arg(struct parser *p, const char *name)
{
	struct core_res *r;

	/* "default" needs a VPC: the one of the only or first VPC. */
	if (strcmp(name, "default") == 0) {
		r = p->m->head[CORE_VPC];
		return r ? find_sg(p, r->id, name) : NULL;
	}
	return find(p, CORE_SG, name);
}

static int
do_rule(struct parser *p, char **tok, int n)
{
	struct core_sg *sg;
	struct core_sg_rule r = { 0 };
	struct core_error e;

	if (n != 6 || (sg = group_arg(p, tok[1])) == NULL ||
	    (strcmp(tok[2], "in") != 0 && strcmp(tok[2], "out") != 0) ||
	    core_proto_parse(tok[3], &r.proto) ||
	    parse_ports(tok[4], r.proto, &r.from_port, &r.to_port))
		return fail(p, "usage: rule SG in|out PROTO PORTS PEER");
	r.is_egress = strcmp(tok[2], "out") == 0;
	if (strchr(tok[5], '/')) {
		r.peer = CORE_PEER_CIDR;
		if (parse_cidr(p, tok[5], &r.cidr))
			return -1;
	} else {
		struct core_sg *peer = find_sg(p, sg->vpc_id, tok[5]);

		if (peer == NULL)
			return fail(p, "no group '%s'", tok[5]);
		r.peer = CORE_PEER_GROUP;
		STR_COPY(r.group_id, peer->res.id);
		STR_COPY(r.group_owner, peer->res.owner);
	}
	if (core_sg_rule_check(p->m, sg, &r, &e) || core_sg_rules_add(p->m, sg, &r, 1, &e))
		return fail(p, "%s", e.message);
	return 0;
}

static int
do_revoke_egress(struct parser *p, char **tok, int n)
{
	struct core_sg *sg;
	struct core_sg_rule r = { .is_egress = true, .proto = -1, .from_port = -1,
		.to_port = -1, .peer = CORE_PEER_CIDR };
	struct core_error e;
	bool found;

	if (n != 2 || (sg = group_arg(p, tok[1])) == NULL)
		return fail(p, "usage: revoke-egress SG");
	if (core_sg_rules_remove(p->m, sg, &r, 1, &found, &e))
		return fail(p, "%s", e.message);
	return 0;
}

static int
do_acl(struct parser *p, char **tok, int n)
{
	struct core_vpc *vpc;
	struct core_acl *acl;
	struct core_error e;

	if (n != 3 || (vpc = find(p, CORE_VPC, tok[2])) == NULL)
		return fail(p, "usage: acl NAME VPC");
	if (core_acl_create(p->m, vpc, &acl, &e))
		return fail(p, "%s", e.message);
	rename_as(p, &acl->res, tok[1]);
	return 0;
}

static int
do_entry(struct parser *p, char **tok, int n)
{
	struct core_acl *acl;
	struct core_acl_entry en = { .icmp_type = -1, .icmp_code = -1 };
	struct core_error e;
	int from, to;

	if (n != 8 || (acl = find(p, CORE_ACL, tok[1])) == NULL ||
	    (strcmp(tok[2], "in") != 0 && strcmp(tok[2], "out") != 0) ||
	    (strcmp(tok[4], "allow") != 0 && strcmp(tok[4], "deny") != 0) ||
	    core_proto_parse(tok[5], &en.proto) || parse_ports(tok[6], en.proto, &from, &to) ||
	    parse_cidr(p, tok[7], &en.cidr))
		return fail(p, "usage: entry ACL in|out NUM allow|deny PROTO PORTS CIDR");
	en.is_egress = strcmp(tok[2], "out") == 0;
	en.rule_no = atoi(tok[3]);
	en.is_allow = strcmp(tok[4], "allow") == 0;
	if (en.proto == 1) {
		en.icmp_type = from;
		en.icmp_code = to;
		en.from_port = en.to_port = -1;
	} else {
		en.from_port = from;
		en.to_port = to;
	}
	if (core_acl_entry_check(&en, &e) || core_acl_entry_add(p->m, acl, &en, &e))
		return fail(p, "%s", e.message);
	return 0;
}

static int
do_assoc_acl(struct parser *p, char **tok, int n)
{
	struct core_acl *acl, *cur;
	struct core_subnet *sn;
	struct core_error e;
	const char *new_id;

	if (n != 3 || (acl = find(p, CORE_ACL, tok[1])) == NULL ||
	    (sn = find(p, CORE_SUBNET, tok[2])) == NULL)
		return fail(p, "usage: assoc-acl ACL SUBNET");
	cur = core_subnet_acl(p->m, sn);
	for (size_t i = 0; cur && i < cur->n_assocs; i++)
		if (strcmp(cur->assocs[i].subnet_id, sn->res.id) == 0) {
			char assoc[CORE_ID_MAX];

			STR_COPY(assoc, cur->assocs[i].id);
			if (core_acl_replace_assoc(p->m, NFT_MODEL_OWNER, assoc, acl, &new_id, &e))
				return fail(p, "%s", e.message);
			return 0;
		}
	return fail(p, "subnet %s has no ACL association", tok[2]);
}

static int
do_eni(struct parser *p, char **tok, int n)
{
	struct core_subnet *sn;
	struct core_eni *eni;
	char *ips, *save = NULL;

	if (n < 4 || (sn = find(p, CORE_SUBNET, tok[2])) == NULL)
		return fail(p, "usage: eni NAME SUBNET IP[,IP...] [options]");
	eni = core_res_new_in(p->m, CORE_ENI, sizeof(*eni), NFT_MODEL_OWNER, sn->vpc_id);
	STR_COPY(eni->subnet_id, sn->res.id);
	STR_COPY(eni->interface_type, "interface");
	eni->source_dest_check = true;
	ips = tok[3];
	for (char *s = strtok_r(ips, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (eni->n_ips == CORE_ENI_IPS_MAX || parse_ip(p, s, &eni->ips[eni->n_ips]))
			return fail(p, "bad address list");
		eni->n_ips++;
	}
	for (int i = 4; i < n; i++) {
		if (str_has_prefix(tok[i], "groups=")) {
			save = NULL;
			for (char *g = strtok_r(tok[i] + 7, ",", &save); g;
			    g = strtok_r(NULL, ",", &save)) {
				struct core_sg *sg = find_sg(p, sn->vpc_id, g);

				if (sg == NULL || eni->n_groups == CORE_ENI_GROUPS_MAX)
					return fail(p, "no group '%s'", g);
				STR_COPY(eni->groups[eni->n_groups++], sg->res.id);
			}
		} else if (strcmp(tok[i], "sdc=off") == 0) {
			eni->source_dest_check = false;
		} else if (str_has_prefix(tok[i], "public=")) {
			if (parse_ip(p, tok[i] + 7, &eni->public_ip))
				return -1;
		} else if (str_has_prefix(tok[i], "type=")) {
			STR_COPY(eni->interface_type, tok[i] + 5);
		} else {
			return fail(p, "unknown eni option '%s'", tok[i]);
		}
	}
	if (eni->n_groups == 0 && strcmp(eni->interface_type, "nat_gateway") != 0) {
		struct core_sg *sg = find_sg(p, sn->vpc_id, "default");

		STR_COPY(eni->groups[eni->n_groups++], sg->res.id);
	}
	rename_as(p, &eni->res, tok[1]);
	return 0;
}

static int
do_eip(struct parser *p, char **tok, int n)
{
	struct core_eip *eip;
	struct core_eni *eni;

	if ((n != 4 && n != 5) || (eni = find(p, CORE_ENI, tok[3])) == NULL)
		return fail(p, "usage: eip NAME PUBLIC ENI [PRIVATE]");
	eip = core_res_new(p->m, CORE_EIP, sizeof(*eip), NFT_MODEL_OWNER, NULL);
	if (parse_ip(p, tok[2], &eip->public_ip))
		return -1;
	STR_COPY(eip->eni_id, eni->res.id);
	nft_model_id("eipassoc", tok[1], eip->assoc_id);
	eip->private_ip = eni->ips[0];
	if (n == 5 && parse_ip(p, tok[4], &eip->private_ip))
		return -1;
	rename_as(p, &eip->res, tok[1]);
	return 0;
}

static int
do_flowlog(struct parser *p, char **tok, int n)
{
	struct core_fl_spec spec = { .resource_type = CORE_FL_SUBNET, .traffic = CORE_FL_ALL,
		.log_group = "g", .destination = "arn:aws:logs:us-east-1:" NFT_MODEL_OWNER
		":log-group:g", .max_agg_s = 60 };
	struct core_subnet *sn;
	struct core_fl *fl;
	struct core_error e;

	if (n != 3 || (sn = find(p, CORE_SUBNET, tok[2])) == NULL)
		return fail(p, "usage: flowlog NAME SUBNET");
	if (core_fl_create(p->m, NFT_MODEL_OWNER, &spec, sn->res.id, &fl, &e))
		return fail(p, "%s", e.message);
	rename_as(p, &fl->res, tok[1]);
	return 0;
}

static const struct {
	const char *word;
	int (*fn)(struct parser *, char **, int);
} statements[] = {
	{ "vpc", do_vpc },
	{ "subnet", do_subnet },
	{ "rtb", do_rtb },
	{ "assoc-rtb", do_assoc_rtb },
	{ "igw", do_igw },
	{ "route", do_route },
	{ "sg", do_sg },
	{ "rule", do_rule },
	{ "revoke-egress", do_revoke_egress },
	{ "acl", do_acl },
	{ "entry", do_entry },
	{ "assoc-acl", do_assoc_acl },
	{ "eni", do_eni },
	{ "eip", do_eip },
	{ "flowlog", do_flowlog },
};

int
nft_model_parse(struct core_model *m, const char *text, char *err, size_t errsize)
{
	struct parser p = { .m = m, .err = err, .errsize = errsize };
	char *copy = xstrdup(text), *next;
	int ret = 0;

	for (char *line = copy; line && ret == 0; line = next) {
		char *tok[16], *hash, *ts = NULL;
		int n = 0;
		size_t i;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		hash = strchr(line, '#');
		p.line++;
		if (hash)
			*hash = '\0';
		for (char *t = strtok_r(line, " \t", &ts); t && n < 16; t = strtok_r(NULL, " \t", &ts))
			tok[n++] = t;
		if (n == 0)
			continue;
		for (i = 0; i < ARRAY_SIZE(statements); i++)
			if (strcmp(tok[0], statements[i].word) == 0)
				break;
		ret = i < ARRAY_SIZE(statements) ? statements[i].fn(&p, tok, n) :
		    fail(&p, "unknown statement '%s'", tok[0]);
	}
	free(copy);
	return ret;
}
