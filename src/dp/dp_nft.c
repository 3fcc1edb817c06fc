/*
 * The nftables compiler: one VPC of the model in, the text of its router
 * namespace's "table inet vpcd" out.  Pure: no I/O, no global state.
 *
 * The chain layout is declared in dp_nft.h (DP_NFT_BASE_CHAINS and
 * DP_NFT_SETS); this file fills it.  Everything is emitted in id order so
 * that the same model always gives the same text, and the text carries
 * its own hash as the table's comment, which is what observe compares.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_nft.h"

/* One subnet of the VPC, with what its chains need. */
struct nft_subnet {
	const struct core_subnet *sn;
	const struct core_acl *acl;  /* NULL: no ACL (everything denied) */
	uint32_t mark;               /* routing table of its route table; 0 if none */
};

/* A 1:1 NAT pair of the internet gateway. */
struct nft_pub {
	uint32_t priv, pub;
};

struct nft_ctx {
	const struct core_model *m;
	const struct core_vpc *vpc;
	struct buf b;
	const struct core_eni **enis;   /* of this VPC, by id */
	size_t n_enis;
	const struct core_sg **sgs;     /* of this VPC, by id */
	size_t n_sgs;
	struct nft_subnet *subnets;     /* of this VPC, by id */
	size_t n_subnets;
	const char **refs;              /* group ids referenced by rules, sorted, unique */
	size_t n_refs;
	struct nft_pub *pubs;           /* by private address */
	size_t n_pubs;
};

static const char *const comment_prefix = "comment \"vpcd ";

/* The part of an id after its prefix ("sg-0abc" -> "0abc"): nftables
 * identifiers allow no '-', and the prefix is implied by the name. */
static const char *
short_id(const char *id)
{
	const char *p = strchr(id, '-');

	return p ? p + 1 : id;
}

/* qsort(), which must not see the NULL of an empty array. */
static void
sort_array(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static int
res_cmp(const void *a, const void *b)
{
	const struct core_res *x = *(const struct core_res *const *)a;
	const struct core_res *y = *(const struct core_res *const *)b;

	return strcmp(x->id, y->id);
}

static int
subnet_cmp(const void *a, const void *b)
{
	const struct nft_subnet *x = a, *y = b;

	return strcmp(x->sn->res.id, y->sn->res.id);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
pub_cmp_priv(const void *a, const void *b)
{
	const struct nft_pub *x = a, *y = b;

	return x->priv < y->priv ? -1 : x->priv > y->priv;
}

static int
pub_cmp_pub(const void *a, const void *b)
{
	const struct nft_pub *x = a, *y = b;

	return x->pub < y->pub ? -1 : x->pub > y->pub;
}

/* NAT gateway interfaces carry other hosts' traffic by design: no groups
 * apply to them (AWS attaches none) and no source/destination check. */
static bool
eni_is_natgw(const struct core_eni *e)
{
	return strcmp(e->interface_type, "nat_gateway") == 0;
}

static bool
eni_is_checked(const struct core_eni *e)
{
	return e->source_dest_check && !eni_is_natgw(e);
}

static bool
eni_has_group(const struct core_eni *e, const char *sg_id)
{
	for (size_t i = 0; i < e->n_groups; i++)
		if (strcmp(e->groups[i], sg_id) == 0)
			return true;
	return false;
}

static const struct core_sg *
vpc_group(const struct nft_ctx *c, const char *id)
{
	size_t lo = 0, hi = c->n_sgs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int d = strcmp(c->sgs[mid]->res.id, id);

		if (d == 0)
			return c->sgs[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct nft_subnet *
vpc_subnet(const struct nft_ctx *c, const char *id)
{
	for (size_t i = 0; i < c->n_subnets; i++)
		if (strcmp(c->subnets[i].sn->res.id, id) == 0)
			return &c->subnets[i];
	return NULL;
}

static void
add_pub(struct nft_ctx *c, uint32_t priv, uint32_t pub)
{
	for (size_t i = 0; i < c->n_pubs; i++)
		if (c->pubs[i].priv == priv)
			return;  /* the first mapping of an address wins */
	c->pubs = xreallocarray(c->pubs, c->n_pubs + 1, sizeof(*c->pubs));
	c->pubs[c->n_pubs++] = (struct nft_pub){ priv, pub };
}

/* Collects the VPC's ENIs, groups, subnets and public mappings, sorted. */
static void
gather(struct nft_ctx *c)
{
	const char *vpc_id = c->vpc->res.id;

	CORE_FOREACH(c->m, CORE_SUBNET, r) {
		const struct core_subnet *sn = (const struct core_subnet *)r;
		struct nft_subnet *s;
		const struct core_rtb *rtb;

		if (strcmp(sn->vpc_id, vpc_id) != 0)
			continue;
		c->subnets = xreallocarray(c->subnets, c->n_subnets + 1, sizeof(*c->subnets));
		s = &c->subnets[c->n_subnets++];
		s->sn = sn;
		s->acl = core_subnet_acl(c->m, sn);
		rtb = core_subnet_rtb(c->m, sn);
		s->mark = rtb ? dp_rtb_table(rtb) : 0;
	}
	sort_array(c->subnets, c->n_subnets, sizeof(*c->subnets), subnet_cmp);

	CORE_FOREACH(c->m, CORE_SG, r) {
		const struct core_sg *sg = (const struct core_sg *)r;

		if (strcmp(sg->vpc_id, vpc_id) != 0)
			continue;
		c->sgs = xreallocarray(c->sgs, c->n_sgs + 1, sizeof(*c->sgs));
		c->sgs[c->n_sgs++] = sg;
		for (size_t i = 0; i < sg->n_rules; i++) {
			if (sg->rules[i].peer != CORE_PEER_GROUP)
				continue;
			c->refs = xreallocarray(c->refs, c->n_refs + 1, sizeof(*c->refs));
			c->refs[c->n_refs++] = sg->rules[i].group_id;
		}
	}
	sort_array(c->sgs, c->n_sgs, sizeof(*c->sgs), res_cmp);
	sort_array(c->refs, c->n_refs, sizeof(*c->refs), str_cmp);
	{
		size_t k = 0;

		for (size_t i = 0; i < c->n_refs; i++)
			if (k == 0 || strcmp(c->refs[k - 1], c->refs[i]) != 0)
				c->refs[k++] = c->refs[i];
		c->n_refs = k;
	}

	CORE_FOREACH(c->m, CORE_ENI, r) {
		const struct core_eni *e = (const struct core_eni *)r;

		/* An ENI outside the VPC's subnets has no link in this router. */
		if (strcmp(e->vpc_id, vpc_id) != 0 || e->n_ips == 0 ||
		    !vpc_subnet(c, e->subnet_id))
			continue;
		c->enis = xreallocarray(c->enis, c->n_enis + 1, sizeof(*c->enis));
		c->enis[c->n_enis++] = e;
	}
	sort_array(c->enis, c->n_enis, sizeof(*c->enis), res_cmp);

	/* Elastic IPs first: an association takes precedence over the
	 * auto-assigned address of the same private address. */
	CORE_FOREACH(c->m, CORE_EIP, r) {
		const struct core_eip *eip = (const struct core_eip *)r;
		const struct core_res *er;
		const struct core_eni *e;

		if (eip->assoc_id[0] == '\0' || eip->eni_id[0] == '\0' || eip->public_ip == 0)
			continue;
		er = core_get(c->m, eip->eni_id);
		if (er == NULL || er->type != CORE_ENI)
			continue;
		e = (const struct core_eni *)er;
		if (strcmp(e->vpc_id, vpc_id) != 0 || e->n_ips == 0)
			continue;
		add_pub(c, eip->private_ip ? eip->private_ip : e->ips[0], eip->public_ip);
	}
	for (size_t i = 0; i < c->n_enis; i++)
		if (c->enis[i]->public_ip)
			add_pub(c, c->enis[i]->ips[0], c->enis[i]->public_ip);
	/* One public address maps to one private address: on a conflict the
	 * lowest private address keeps it (the model should not allow one). */
	sort_array(c->pubs, c->n_pubs, sizeof(*c->pubs), pub_cmp_priv);
	{
		size_t k = 0;

		for (size_t i = 0; i < c->n_pubs; i++) {
			bool is_dup = false;

			for (size_t j = 0; j < k && !is_dup; j++)
				is_dup = c->pubs[j].pub == c->pubs[i].pub;
			if (!is_dup)
				c->pubs[k++] = c->pubs[i];
		}
		c->n_pubs = k;
	}
}

/* "ip saddr 10.0.0.0/16 " (dir "saddr"/"daddr"); nothing for 0.0.0.0/0,
 * since prerouting lets only IPv4 in. */
static void
put_cidr_match(struct buf *b, const char *dir, struct core_cidr cidr)
{
	char s[20];

	cidr = core_cidr_canonical(cidr);
	if (cidr.len == 0)
		return;
	if (cidr.len == 32)
		core_ip_format(cidr.addr, s);
	else
		core_cidr_format(&cidr, s);
	buf_printf(b, "ip %s %s ", dir, s);
}

/*
 * The protocol part of a rule: -1 matches everything; TCP and UDP match a
 * destination port range (the whole range needs no port match); ICMP a
 * type and code (-1: any); other protocols their number.
 */
static void
put_proto_match(struct buf *b, int proto, int from, int to, int icmp_type, int icmp_code)
{
	switch (proto) {
	case -1:
		break;
	case 6:
	case 17: {
		const char *name = proto == 6 ? "tcp" : "udp";

		if (from <= 0 && (to < 0 || to >= 65535))
			buf_printf(b, "meta l4proto %s ", name);
		else if (from == to)
			buf_printf(b, "%s dport %d ", name, from);
		else
			buf_printf(b, "%s dport %d-%d ", name, from, to);
		break;
	}
	case 1:
		if (icmp_type < 0)
			buf_puts(b, "meta l4proto icmp ");
		else if (icmp_code < 0)
			buf_printf(b, "icmp type %d ", icmp_type);
		else
			buf_printf(b, "icmp type %d icmp code %d ", icmp_type, icmp_code);
		break;
	default:
		buf_printf(b, "meta l4proto %d ", proto);
		break;
	}
}

/* Starts a set or map; its elements follow with put_elem(), then
 * end_set(). */
static void
begin_set(struct buf *b, const char *kind, const char *name, const char *type)
{
	buf_printf(b, "\t%s %s {\n\t\ttype %s\n", kind, name, type);
}

static void
put_elem(struct buf *b, size_t *n, const char *fmt, ...) PRINTF(3, 4);

static void
put_elem(struct buf *b, size_t *n, const char *fmt, ...)
{
	va_list ap;

	if ((*n)++ == 0)
		buf_puts(b, "\t\telements = {\n");
	buf_puts(b, "\t\t\t");
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	buf_puts(b, ",\n");
}

static void
end_set(struct buf *b, size_t n)
{
	if (n)
		buf_puts(b, "\t\t}\n");
	buf_puts(b, "\t}\n");
}

static void
put_ip_elem(struct buf *b, size_t *n, const char *prefix, uint32_t ip, const char *suffix)
{
	char s[16];

	core_ip_format(ip, s);
	put_elem(b, n, "%s%s%s", prefix, s, suffix);
}

/* The named sets and maps of DP_NFT_SETS. */
static void
emit_set(struct nft_ctx *c, enum dp_nft_set which, const char *kind, const char *name, const char *type)
{
	struct buf *b = &c->b;
	char ifn[DP_IF_MAX];
	size_t n = 0;

	begin_set(b, kind, name, type);
	for (size_t i = 0; i < c->n_enis; i++) {
		const struct core_eni *e = c->enis[i];
		const char *hex = short_id(e->res.id);
		const struct nft_subnet *s = vpc_subnet(c, e->subnet_id);

		dp_eni_ifname(e->res.id, ifn);
		switch (which) {
		case DP_NFT_SET_SDC_IFS:
			if (eni_is_checked(e))
				put_elem(b, &n, "\"%s\"", ifn);
			break;
		case DP_NFT_SET_ENI_ADDRS:
			if (!eni_is_checked(e))
				break;
			for (size_t k = 0; k < e->n_ips; k++) {
				char pre[DP_IF_MAX + 8];

				snprintf(pre, sizeof(pre), "\"%s\" . ", ifn);
				put_ip_elem(b, &n, pre, e->ips[k], "");
			}
			break;
		case DP_NFT_SET_RTB_MARK:
			if (s->mark)
				put_elem(b, &n, "\"%s\" : %u", ifn, s->mark);
			break;
		case DP_NFT_SET_ACL_LEAVE:
			put_elem(b, &n, "\"%s\" : jump leave_%s", ifn, short_id(s->sn->res.id));
			break;
		case DP_NFT_SET_ACL_ENTER:
			put_elem(b, &n, "\"%s\" : jump enter_%s", ifn, short_id(s->sn->res.id));
			break;
		case DP_NFT_SET_SG_OUT:
			put_elem(b, &n, "\"%s\" : jump eni_out_%s", ifn, hex);
			break;
		case DP_NFT_SET_SG_IN:
			put_elem(b, &n, "\"%s\" : jump eni_in_%s", ifn, hex);
			break;
		default:
			break;
		}
	}
	if (which == DP_NFT_SET_PRIV_BY_PUB || which == DP_NFT_SET_PUB_BY_PRIV ||
	    which == DP_NFT_SET_HAS_PUBLIC) {
		struct nft_pub *p = c->pubs;

		/* pubs are sorted by private address; priv_by_pub by public. */
		if (which == DP_NFT_SET_PRIV_BY_PUB)
			sort_array(p, c->n_pubs, sizeof(*p), pub_cmp_pub);
		for (size_t i = 0; i < c->n_pubs; i++) {
			char pub[16], priv[16];

			core_ip_format(p[i].pub, pub);
			core_ip_format(p[i].priv, priv);
			if (which == DP_NFT_SET_PRIV_BY_PUB)
				put_elem(b, &n, "%s : %s", pub, priv);
			else if (which == DP_NFT_SET_PUB_BY_PRIV)
				put_elem(b, &n, "%s : %s", priv, pub);
			else
				put_elem(b, &n, "%s", priv);
		}
		if (which == DP_NFT_SET_PRIV_BY_PUB)
			sort_array(p, c->n_pubs, sizeof(*p), pub_cmp_priv);
	}
	end_set(b, n);
}

/* if_<subnet>: the subnet's ENIs; grp_<sg>: private addresses of the
 * members of each group that a rule references. */
static void
emit_derived_sets(struct nft_ctx *c)
{
	struct buf *b = &c->b;
	char ifn[DP_IF_MAX], name[64];

	for (size_t i = 0; i < c->n_subnets; i++) {
		const struct core_subnet *sn = c->subnets[i].sn;
		size_t n = 0;

		snprintf(name, sizeof(name), "if_%s", short_id(sn->res.id));
		begin_set(b, "set", name, "ifname");
		for (size_t k = 0; k < c->n_enis; k++) {
			if (strcmp(c->enis[k]->subnet_id, sn->res.id) != 0)
				continue;
			dp_eni_ifname(c->enis[k]->res.id, ifn);
			put_elem(b, &n, "\"%s\"", ifn);
		}
		end_set(b, n);
	}
	for (size_t i = 0; i < c->n_refs; i++) {
		size_t n = 0;

		snprintf(name, sizeof(name), "grp_%s", short_id(c->refs[i]));
		begin_set(b, "set", name, "ipv4_addr");
		for (size_t k = 0; k < c->n_enis; k++) {
			const struct core_eni *e = c->enis[k];

			if (!eni_has_group(e, c->refs[i]))
				continue;
			for (size_t j = 0; j < e->n_ips; j++)
				put_ip_elem(b, &n, "", e->ips[j], "");
		}
		end_set(b, n);
	}
}

/* VPCs are IPv4 only, so far: nothing else enters, and later chains need
 * not say "IPv4" (0.0.0.0/0 matches every packet that is left). */
static void
body_pre(struct nft_ctx *c)
{
	buf_puts(&c->b,
	    "\t\tmeta nfproto != ipv4 drop\n"
	    "\t\tiifname @sdc_ifs iifname . ip saddr != @eni_addrs drop\n"
	    "\t\tmeta mark set iifname map @rtb_mark\n");
}

static void
body_dnat(struct nft_ctx *c)
{
	buf_puts(&c->b, "\t\tiifname \"" DP_NFT_IGW_IF "\" dnat ip to ip daddr map @priv_by_pub\n");
}

static void
body_snat(struct nft_ctx *c)
{
	buf_puts(&c->b, "\t\toifname \"" DP_NFT_IGW_IF "\" snat ip to ip saddr map @pub_by_priv\n");
}

/*
 * The stateless gate.  The internet gateway carries only addresses with a
 * public mapping, and from the internet only translated connections
 * (DNAT of an inbound one, or the replies of an SNATed outbound one), so
 * nothing reaches a private address directly; it never hairpins.
 */
static void
body_acl(struct nft_ctx *c)
{
	buf_puts(&c->b,
	    "\t\tiifname \"" DP_NFT_IGW_IF "\" oifname \"" DP_NFT_IGW_IF "\" drop\n"
	    "\t\tiifname \"" DP_NFT_IGW_IF "\" ct status & (snat | dnat) == 0 drop\n"
	    "\t\tiifname \"" DP_NFT_IGW_IF "\" ip daddr != @has_public drop\n"
	    "\t\toifname \"" DP_NFT_IGW_IF "\" ip saddr != @has_public drop\n"
	    "\t\toifname @sdc_ifs oifname . ip daddr != @eni_addrs drop\n"
	    "\t\tiifname vmap @acl_leave\n"
	    "\t\toifname vmap @acl_enter\n");
}

/* An ENI whose chains are not (yet) in the maps passes nothing: every
 * router-side ENI link is named "e...", and nothing else is. */
static void
body_sg_out(struct nft_ctx *c)
{
	buf_puts(&c->b,
	    "\t\tct state established,related accept\n"
	    "\t\tct state invalid drop\n"
	    "\t\tiifname vmap @sg_out\n"
	    "\t\tiifname \"e*\" drop\n");
}

static void
body_sg_in(struct nft_ctx *c)
{
	buf_puts(&c->b,
	    "\t\tct state established,related accept\n"
	    "\t\tct state invalid drop\n"
	    "\t\toifname vmap @sg_in\n"
	    "\t\toifname \"e*\" drop\n");
}

static void (*const base_bodies[DP_NFT_N_CHAINS])(struct nft_ctx *) = {
	[DP_NFT_CHAIN_PRE] = body_pre,
	[DP_NFT_CHAIN_DNAT] = body_dnat,
	[DP_NFT_CHAIN_ACL] = body_acl,
	[DP_NFT_CHAIN_SG_OUT] = body_sg_out,
	[DP_NFT_CHAIN_SG_IN] = body_sg_in,
	[DP_NFT_CHAIN_SNAT] = body_snat,
};

/* leave_<S> and enter_<S>: no ACL inside the subnet, else the entries in
 * rule-number order (allow returns to the base chain, deny drops), then
 * the implicit deny. */
static void
emit_acl_chains(struct nft_ctx *c, const struct nft_subnet *s)
{
	struct buf *b = &c->b;
	const char *hex = short_id(s->sn->res.id);

	for (int egress = 1; egress >= 0; egress--) {
		buf_printf(b, "\tchain %s_%s {\n", egress ? "leave" : "enter", hex);
		buf_printf(b, "\t\t%s @if_%s return\n", egress ? "oifname" : "iifname", hex);
		for (size_t i = 0; s->acl && i < s->acl->n_entries; i++) {
			const struct core_acl_entry *e = &s->acl->entries[i];

			if (e->is_egress != (egress == 1))
				continue;
			buf_puts(b, "\t\t");
			put_cidr_match(b, egress ? "daddr" : "saddr", e->cidr);
			put_proto_match(b, e->proto, e->from_port, e->to_port, e->icmp_type,
			    e->icmp_code);
			buf_puts(b, e->is_allow ? "return\n" : "drop\n");
		}
		buf_puts(b, "\t\tdrop\n\t}\n");
	}
}

/* sg_<g>_out and sg_<g>_in: one accept per rule (rules are a union). */
static void
emit_group_chains(struct nft_ctx *c, const struct core_sg *sg)
{
	struct buf *b = &c->b;

	for (int egress = 1; egress >= 0; egress--) {
		buf_printf(b, "\tchain sg_%s_%s {\n", short_id(sg->res.id), egress ? "out" : "in");
		for (size_t i = 0; i < sg->n_rules; i++) {
			const struct core_sg_rule *r = &sg->rules[i];
			const char *dir = egress ? "daddr" : "saddr";

			if (r->is_egress != (egress == 1))
				continue;
			buf_puts(b, "\t\t");
			if (r->peer == CORE_PEER_GROUP)
				buf_printf(b, "ip %s @grp_%s ", dir, short_id(r->group_id));
			else
				put_cidr_match(b, dir, r->cidr);
			put_proto_match(b, r->proto, r->from_port, r->to_port, r->from_port,
			    r->to_port);
			buf_puts(b, "accept\n");
		}
		buf_puts(b, "\t}\n");
	}
}

/* eni_out_<e> and eni_in_<e>: a jump into each of the ENI's groups, then
 * drop (a group's accept ends the base chain). */
static void
emit_eni_chains(struct nft_ctx *c, const struct core_eni *e)
{
	struct buf *b = &c->b;

	for (int egress = 1; egress >= 0; egress--) {
		const char *dir = egress ? "out" : "in";

		buf_printf(b, "\tchain eni_%s_%s {\n", dir, short_id(e->res.id));
		if (eni_is_natgw(e)) {
			buf_puts(b, "\t\taccept\n\t}\n");
			continue;
		}
		for (size_t i = 0; i < e->n_groups; i++)
			if (vpc_group(c, e->groups[i]))
				buf_printf(b, "\t\tjump sg_%s_%s\n", short_id(e->groups[i]), dir);
		buf_puts(b, "\t\tdrop\n\t}\n");
	}
}

static void
emit(struct nft_ctx *c)
{
	struct buf *b = &c->b;

	buf_puts(b, "table inet vpcd {\n\t");
	buf_puts(b, comment_prefix);
	buf_puts(b, "0000000000000000\"\n");
#define X(e, name, kind, type, doc) emit_set(c, DP_NFT_SET_##e, kind, name, type);
	DP_NFT_SETS(X)
#undef X
	emit_derived_sets(c);
#define X(e, name, type, hook, prio, doc)                                           \
	buf_printf(b, "\tchain %s {\n\t\ttype %s hook %s priority %s; policy accept;\n" \
	    "\t\tcomment \"%s\"\n", name, type, hook, prio, doc);                 \
	base_bodies[DP_NFT_CHAIN_##e](c);                                          \
	buf_puts(b, "\t}\n");
	DP_NFT_BASE_CHAINS(X)
#undef X
	for (size_t i = 0; i < c->n_subnets; i++)
		emit_acl_chains(c, &c->subnets[i]);
	for (size_t i = 0; i < c->n_sgs; i++)
		emit_group_chains(c, c->sgs[i]);
	for (size_t i = 0; i < c->n_enis; i++)
		emit_eni_chains(c, c->enis[i]);
	buf_puts(b, "}\n");
}

char *
dp_nft_compile(const struct core_model *m, const struct core_vpc *vpc, struct arena *a)
{
	struct nft_ctx c = { .m = m, .vpc = vpc };
	char hash[17], *text, *p;

	buf_init(&c.b);
	gather(&c);
	emit(&c);
	text = arena_strndup(a, c.b.data, c.b.len);
	dp_nft_hash(text, hash);
	p = strstr(text, comment_prefix);
	memcpy(p + strlen(comment_prefix), hash, 16);
	buf_fini(&c.b);
	free(c.enis);
	free(c.sgs);
	free(c.subnets);
	free(c.refs);
	free(c.pubs);
	return text;
}

void
dp_nft_hash(const char *text, char out[17])
{
	static const char hex[] = "0123456789abcdef";
	const char *skip = strstr(text, comment_prefix);
	uint64_t h = 1469598103934665603ULL;  /* FNV-1a, 64 bits */

	if (skip)
		skip += strlen(comment_prefix);
	for (const char *p = text; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (skip && p >= skip && p < skip + 16)
			ch = '0';
		h ^= ch;
		h *= 1099511628211ULL;
	}
	for (int i = 15; i >= 0; i--, h >>= 4)
		out[i] = hex[h & 15];
	out[16] = '\0';
}
