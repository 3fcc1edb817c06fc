/*
 * The nftables compiler: one VPC of the model in, the text of its router
 * namespace's "table inet vpcd" out.  Pure: no I/O, no global state.
 *
 * The chain layout is declared in dp_nft.h (DP_NFT_BASE_CHAINS and
 * DP_NFT_SETS); this file fills it.  Everything is emitted in id order so
 * that the same model always gives the same text, and the text carries
 * its own hash (in its set "state"), which is what observe compares.
 * Below the compiler: the differ, which turns one compiled text into
 * another by commands.
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
	bool is_mark_local;          /* the table routes VPC addresses too, see gather() */
	bool is_open[2];             /* [egress]: its ACL allows everything first */
};

/* A 1:1 NAT pair of the internet gateway. */
struct nft_pub {
	uint32_t priv, pub;
};

struct nft_ctx {
	const struct core_model *m;
	const struct core_vpc *vpc;
	struct buf b;                   /* sets and maps */
	struct buf ch;                  /* chains */
	bool has_igw;
	bool has_pcx;                   /* an active peering connection */
	/* The drops that AWS reports as REJECT (a group's or an ACL's):
	 * [0] the sending side's decision, [1] the receiving side's.  Each is
	 * counted (named counters reject_out, reject_in: the VPC's rejected
	 * packets in /metrics) and, with flow logs, logged to NFLOG group
	 * DP_FLOWLOG_GROUP. */
	const char *reject[2];
	bool has_flowlogs;
	const char **targets;           /* ENIs that routes point to, sorted */
	size_t n_targets;
	size_t n_elems[DP_NFT_N_SETS];  /* of each map, once emitted */
	uint64_t route_hash;            /* what decides the interfaces a packet takes */
	size_t gen_at[4];               /* where in 'ch' the generation goes, see body_fwd() */
	uint32_t gen_or[4];             /* and the direction bits added to it there */
	size_t n_gen;
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

static bool
is_everything(const struct core_cidr *cidr, int proto)
{
	return proto == -1 && cidr->len == 0;
}

/* Whether an ACL's first entry of a direction allows every packet. */
static bool
acl_is_open(const struct core_acl *acl, bool egress)
{
	for (size_t i = 0; acl && i < acl->n_entries; i++) {
		const struct core_acl_entry *e = &acl->entries[i];

		if (e->is_egress == egress)
			return e->is_allow && is_everything(&e->cidr, e->proto);
	}
	return false;
}

/* Whether a group has a rule of a direction that allows every packet. */
static bool
sg_is_open(const struct core_sg *sg, bool egress)
{
	for (size_t i = 0; i < sg->n_rules; i++) {
		const struct core_sg_rule *r = &sg->rules[i];

		if (r->is_egress == egress && r->peer == CORE_PEER_CIDR &&
		    is_everything(&r->cidr, r->proto))
			return true;
	}
	return false;
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= ((const unsigned char *)p)[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * A hash of what, besides the table, decides which interfaces a packet of
 * a connection passes: the routes of the VPC's route tables (and whether
 * their targets are there) and the addresses of its ENIs.
 */
static uint64_t
hash_routes(const struct core_model *m, const char *vpc_id)
{
	uint64_t h = 1469598103934665603ULL;

	CORE_FOREACH(m, CORE_RTB, r) {
		const struct core_rtb *rtb = (const struct core_rtb *)r;

		if (strcmp(rtb->vpc_id, vpc_id) != 0)
			continue;
		h = fnv(h, rtb->res.id, strlen(rtb->res.id) + 1);
		for (size_t i = 0; i < rtb->n_routes; i++) {
			const struct core_route *rt = &rtb->routes[i];
			bool is_active = core_route_is_active(m, rtb, rt);

			h = fnv(h, &rt->dst.addr, sizeof(rt->dst.addr));
			h = fnv(h, &rt->dst.len, sizeof(rt->dst.len));
			h = fnv(h, &rt->target_type, sizeof(rt->target_type));
			h = fnv(h, rt->target, strlen(rt->target) + 1);
			h = fnv(h, &is_active, sizeof(is_active));
		}
	}
	CORE_FOREACH(m, CORE_ENI, r) {
		const struct core_eni *e = (const struct core_eni *)r;

		if (strcmp(e->vpc_id, vpc_id) != 0)
			continue;
		h = fnv(h, e->res.id, strlen(e->res.id) + 1);
		h = fnv(h, e->ips, e->n_ips * sizeof(e->ips[0]));
	}
	return h;
}

/* Collects the VPC's ENIs, groups, subnets and public mappings, sorted. */
static void
gather(struct nft_ctx *c)
{
	const char *vpc_id = c->vpc->res.id;
	bool is_single = dp_vpc_single_rtb(c->m, c->vpc) != NULL;

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
		rtb = is_single ? NULL : core_subnet_rtb(c->m, sn);
		s->mark = rtb ? dp_rtb_table(rtb) : 0;
		s->is_mark_local = rtb && dp_rtb_overrides_local(rtb, c->vpc);
		s->is_open[0] = acl_is_open(s->acl, false);
		s->is_open[1] = acl_is_open(s->acl, true);
	}
	CORE_FOREACH(c->m, CORE_IGW, r)
		if (strcmp(((const struct core_igw *)r)->vpc_id, vpc_id) == 0)
			c->has_igw = true;
	CORE_FOREACH(c->m, CORE_PCX, r) {
		const struct core_pcx *pcx = (const struct core_pcx *)r;

		if (pcx->state == CORE_PCX_ACTIVE && (strcmp(pcx->vpc_id, vpc_id) == 0 ||
		    strcmp(pcx->peer_vpc_id, vpc_id) == 0))
			c->has_pcx = true;
	}
	CORE_FOREACH(c->m, CORE_RTB, r) {
		const struct core_rtb *rtb = (const struct core_rtb *)r;

		if (strcmp(rtb->vpc_id, vpc_id) != 0)
			continue;
		for (size_t i = 0; i < rtb->n_routes; i++) {
			const struct core_route *rt = &rtb->routes[i];
			const char *eni = NULL;

			if (rt->target_type == CORE_TARGET_ENI) {
				eni = rt->target;
			} else if (rt->target_type == CORE_TARGET_INSTANCE) {
				const struct core_instance *in = core_find(c->m, CORE_INSTANCE,
				    rtb->res.owner, rt->target);

				eni = in ? in->primary_eni : NULL;
			}
			if (eni) {
				c->targets = xreallocarray(c->targets, c->n_targets + 1,
				    sizeof(*c->targets));
				c->targets[c->n_targets++] = eni;
			}
		}
	}
	sort_array(c->targets, c->n_targets, sizeof(*c->targets), str_cmp);
	c->route_hash = hash_routes(c->m, vpc_id);
	c->has_flowlogs = dp_vpc_has_flowlogs(c->m, c->vpc);
	c->reject[0] = "counter name \"reject_out\" drop";
	c->reject[1] = "counter name \"reject_in\" drop";
	if (c->has_flowlogs) {
		c->reject[0] = "counter name \"reject_out\" log prefix \"" DP_FLOWLOG_REJECT_OUT
		    "\" group " DP_FLOWLOG_GROUP_STR " drop";
		c->reject[1] = "counter name \"reject_in\" log prefix \"" DP_FLOWLOG_REJECT_IN
		    "\" group " DP_FLOWLOG_GROUP_STR " drop";
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

/* ---- Matches: rules as disjoint boxes ---- */

/*
 * What one rule matches: addresses [alo, ahi] (the peer side) x protocol
 * (-1: every protocol) x destination ports [plo, phi] (the whole range
 * where the protocol has none: ICMP, GRE, ...).
 */
struct nft_box {
	uint32_t alo, ahi;
	int proto;
	uint16_t plo, phi;
};

struct nft_boxes {
	struct nft_box *v;
	size_t n;
};

static struct nft_box
box_of(struct core_cidr cidr, int proto, int from, int to)
{
	struct nft_box x = { .proto = proto, .plo = 0, .phi = 65535 };
	uint32_t mask;

	cidr = core_cidr_canonical(cidr);
	mask = cidr.len ? ~0u << (32 - cidr.len) : 0;
	x.alo = cidr.addr & mask;
	x.ahi = x.alo | ~mask;
	if (proto == 6 || proto == 17) {
		x.plo = from < 0 ? 0 : (uint16_t)from;
		x.phi = to < 0 || to > 65535 ? 65535 : (uint16_t)to;
	}
	return x;
}

static void
boxes_add(struct nft_boxes *bs, struct core_cidr cidr, int proto, int from, int to)
{
	bs->v = xreallocarray(bs->v, bs->n + 1, sizeof(*bs->v));
	bs->v[bs->n++] = box_of(cidr, proto, from, to);
}

static int
box_cmp(const void *a, const void *b)
{
	const struct nft_box *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->alo != y->alo)
		return x->alo < y->alo ? -1 : 1;
	return x->plo < y->plo ? -1 : x->plo > y->plo;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A port range, for merging. */
struct nft_ports {
	uint16_t lo, hi;
};

static int
ports_cmp(const void *a, const void *b)
{
	const struct nft_ports *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * Appends to 'out' the union of 'in' (n boxes of one protocol) as disjoint
 * boxes: the address line is cut at every box edge, each piece gets the
 * merged port ranges of the boxes over it, and neighbouring pieces with
 * the same ranges are joined.  nftables refuses overlapping elements in
 * an interval set, and a union of accepts is all a group is.
 */
static void
union_boxes(const struct nft_box *in, size_t n, struct nft_boxes *out)
{
	uint64_t *cuts = xcalloc(2 * n, sizeof(*cuts));
	struct nft_ports *cur = xcalloc(n, sizeof(*cur)), *prev = xcalloc(n, sizeof(*prev));
	size_t n_cuts = 0, n_prev = 0, prev_at = 0, k = 0;
	uint64_t prev_end = 0;

	for (size_t i = 0; i < n; i++) {
		cuts[n_cuts++] = in[i].alo;
		cuts[n_cuts++] = (uint64_t)in[i].ahi + 1;
	}
	sort_array(cuts, n_cuts, sizeof(*cuts), u64_cmp);
	for (size_t i = 0; i < n_cuts; i++)
		if (k == 0 || cuts[k - 1] != cuts[i])
			cuts[k++] = cuts[i];
	n_cuts = k;
	for (size_t s = 0; s + 1 < n_cuts; s++) {
		uint32_t lo = (uint32_t)cuts[s], hi = (uint32_t)(cuts[s + 1] - 1);
		size_t n_cur = 0;

		for (size_t i = 0; i < n; i++)
			if (in[i].alo <= lo && in[i].ahi >= hi)
				cur[n_cur++] = (struct nft_ports){ in[i].plo, in[i].phi };
		sort_array(cur, n_cur, sizeof(*cur), ports_cmp);
		k = 0;
		for (size_t i = 0; i < n_cur; i++) {
			if (k && (uint32_t)cur[i].lo <= (uint32_t)cur[k - 1].hi + 1) {
				if (cur[i].hi > cur[k - 1].hi)
					cur[k - 1].hi = cur[i].hi;
			} else {
				cur[k++] = cur[i];
			}
		}
		n_cur = k;
		if (n_cur && n_cur == n_prev && prev_end == lo &&
		    memcmp(cur, prev, n_cur * sizeof(*cur)) == 0) {
			for (size_t i = prev_at; i < out->n; i++)
				out->v[i].ahi = hi;
		} else {
			prev_at = out->n;
			for (size_t i = 0; i < n_cur; i++) {
				out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
				out->v[out->n++] = (struct nft_box){ lo, hi, in[0].proto, cur[i].lo,
					cur[i].hi };
			}
		}
		memcpy(prev, cur, n_cur * sizeof(*cur));
		n_prev = n_cur;
		prev_end = (uint64_t)hi + 1;
	}
	free(cuts);
	free(cur);
	free(prev);
}

/* "10.0.0.0/16", "10.0.0.7" or "10.0.0.5-10.0.0.9". */
static void
put_range(struct buf *b, uint32_t lo, uint32_t hi)
{
	uint64_t size = (uint64_t)hi - lo + 1;
	char s[16];

	core_ip_format(lo, s);
	buf_puts(b, s);
	if ((size & (size - 1)) == 0 && (lo & (uint32_t)(size - 1)) == 0) {
		int len = 32;

		while (size > 1) {
			size >>= 1;
			len--;
		}
		if (len < 32)
			buf_printf(b, "/%d", len);
	} else {
		core_ip_format(hi, s);
		buf_printf(b, "-%s", s);
	}
}

static void
put_ports(struct buf *b, uint16_t lo, uint16_t hi)
{
	if (lo == hi)
		buf_printf(b, "%u", lo);
	else
		buf_printf(b, "%u-%u", lo, hi);
}

/* One box as an inline match: "ip saddr 10.0.0.0/16 tcp dport 80 ". */
static void
put_box_match(struct buf *b, const char *dir, const struct nft_box *x)
{
	if (x->alo != 0 || x->ahi != UINT32_MAX) {
		buf_printf(b, "ip %s ", dir);
		put_range(b, x->alo, x->ahi);
		buf_putc(b, ' ');
	}
	if (x->proto < 0)
		return;
	if ((x->proto == 6 || x->proto == 17) && (x->plo != 0 || x->phi != 65535)) {
		buf_printf(b, "%s dport ", x->proto == 6 ? "tcp" : "udp");
		put_ports(b, x->plo, x->phi);
		buf_putc(b, ' ');
	} else {
		buf_printf(b, "meta l4proto %d ", x->proto);
	}
}

/* Starts a set or map; its elements follow with put_elem(), then
 * end_set(). */
static void
begin_set(struct buf *b, const char *kind, const char *name, const char *type, bool interval)
{
	buf_printf(b, "\t%s %s {\n\t\ttype %s\n", kind, name, type);
	if (interval)
		buf_puts(b, "\t\tflags interval\n");
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

/*
 * Emits into the current chain the rules that match the union of 'bs' on
 * side 'dir' ("saddr"/"daddr") with 'verdict': boxes of every protocol in
 * set <name>_nets (addresses), the others in set <name>_ports (addresses
 * . protocol . port); a set of one element is matched inline instead.
 * Returns true if the union is everything (the verdict was unconditional).
 */
static bool
emit_union(struct nft_ctx *c, const char *name, const char *dir, const struct nft_boxes *bs,
    const char *verdict)
{
	struct nft_boxes parts[2] = { { 0 } };  /* [0] every protocol, [1] one */
	bool is_all = false;

	for (size_t i = 0; i < bs->n; i++)
		if (bs->v[i].proto < 0 && bs->v[i].alo == 0 && bs->v[i].ahi == UINT32_MAX)
			is_all = true;
	if (is_all) {
		buf_printf(&c->ch, "\t\t%s\n", verdict);
		return true;
	}
	{
		struct nft_box *v = xcalloc(bs->n + 1, sizeof(*v));

		memcpy(v, bs->v, bs->n * sizeof(*v));
		sort_array(v, bs->n, sizeof(*v), box_cmp);
		for (size_t i = 0, j; i < bs->n; i = j) {
			for (j = i; j < bs->n && v[j].proto == v[i].proto; j++)
				;
			union_boxes(&v[i], j - i, &parts[v[i].proto >= 0]);
		}
		free(v);
	}
	for (int p = 0; p < 2; p++) {
		const struct nft_boxes *u = &parts[p];
		char set[96];
		size_t n = 0;

		if (u->n == 0)
			continue;
		if (u->n == 1) {
			buf_puts(&c->ch, "\t\t");
			put_box_match(&c->ch, dir, &u->v[0]);
			buf_printf(&c->ch, "%s\n", verdict);
			continue;
		}
		snprintf(set, sizeof(set), "%s_%s", name, p ? "ports" : "nets");
		begin_set(&c->b, "set", set, p ? "ipv4_addr . inet_proto . inet_service" :
		    "ipv4_addr", true);
		for (size_t i = 0; i < u->n; i++) {
			struct buf e;

			buf_init(&e);
			put_range(&e, u->v[i].alo, u->v[i].ahi);
			if (p) {
				buf_printf(&e, " . %d . ", u->v[i].proto);
				put_ports(&e, u->v[i].plo, u->v[i].phi);
			}
			put_elem(&c->b, &n, "%s", e.data);
			buf_fini(&e);
		}
		end_set(&c->b, n);
		if (p)
			buf_printf(&c->ch, "\t\tip %s . meta l4proto . th dport @%s %s\n", dir, set,
			    verdict);
		else
			buf_printf(&c->ch, "\t\tip %s @%s %s\n", dir, set, verdict);
	}
	free(parts[0].v);
	free(parts[1].v);
	return false;
}

/* The protocol part of a rule that stays a rule: an ICMP type ('from')
 * and code ('to', -1: any), else as put_box_match(). */
static void
put_proto_match(struct buf *b, int proto, int from, int to)
{
	struct nft_box x = box_of((struct core_cidr){ 0, 0 }, proto, from, to);

	if (proto != 1 || from < 0) {
		put_box_match(b, "", &x);
		return;
	}
	buf_printf(b, "icmp type %d ", from);
	if (to >= 0)
		buf_printf(b, "icmp code %d ", to);
}

/* An ICMP rule of one type (code -1: any) as an inline rule. */
static void
put_icmp_rule(struct buf *b, const char *dir, struct core_cidr cidr, int type, int code,
    const char *verdict)
{
	struct nft_box x = box_of(cidr, -1, 0, 0);

	buf_puts(b, "\t\t");
	put_box_match(b, dir, &x);
	put_proto_match(b, 1, type, code);
	buf_printf(b, "%s\n", verdict);
}

/* ---- Sets, maps and chains ---- */

static void
put_ip_elem(struct buf *b, size_t *n, const char *prefix, uint32_t ip, const char *suffix)
{
	char s[16];

	core_ip_format(ip, s);
	put_elem(b, n, "%s%s%s", prefix, s, suffix);
}

/* The ENI is in a group that allows everything that way. */
static bool
eni_is_open(const struct nft_ctx *c, const struct core_eni *e, bool egress)
{
	if (eni_is_natgw(e))
		return true;
	for (size_t i = 0; i < e->n_groups; i++) {
		const struct core_sg *sg = vpc_group(c, e->groups[i]);

		if (sg && sg_is_open(sg, egress))
			return true;
	}
	return false;
}

/*
 * Whether a packet for another address can reach the ENI at all: only a
 * route of a route table (to the ENI or its instance) sends one there;
 * the ENI table routes only its own addresses to it.  So only such an ENI
 * needs its destination checked.
 */
static bool
needs_dest_check(const struct nft_ctx *c, const struct core_eni *e)
{
	const char *id = e->res.id;

	return eni_is_checked(e) &&
	    bsearch(&id, c->targets, c->n_targets, sizeof(*c->targets), str_cmp) != NULL;
}

/* The named sets and maps of DP_NFT_SETS. */
static void
emit_set(struct nft_ctx *c, enum dp_nft_set which, const char *kind, const char *name,
    const char *type)
{
	struct buf *b = &c->b;
	char ifn[DP_IF_MAX];
	size_t n = 0;

	begin_set(b, kind, name, type, false);
	if (c->has_igw && which == DP_NFT_SET_LEAVE)
		put_elem(b, &n, "\"" DP_NFT_IGW_IF "\" : jump from_igw");
	if (c->has_igw && which == DP_NFT_SET_ENTER)
		put_elem(b, &n, "\"" DP_NFT_IGW_IF "\" : jump to_igw");
	for (size_t i = 0; i < c->n_enis; i++) {
		const struct core_eni *e = c->enis[i];
		const char *hex = short_id(e->res.id);
		const struct nft_subnet *s = vpc_subnet(c, e->subnet_id);
		const char *sn = short_id(s->sn->res.id);

		dp_eni_ifname(e->res.id, ifn);
		switch (which) {
		case DP_NFT_SET_PRE:
			if (eni_is_checked(e) || s->mark)
				put_elem(b, &n, "\"%s\" : jump eni_pre_%s", ifn, hex);
			break;
		case DP_NFT_SET_LEAVE:
			if (!s->is_open[1])
				put_elem(b, &n, "\"%s\" : jump leave_%s", ifn, sn);
			break;
		case DP_NFT_SET_ENTER:
			if (needs_dest_check(c, e))
				put_elem(b, &n, "\"%s\" : jump eni_to_%s", ifn, hex);
			else if (!s->is_open[0])
				put_elem(b, &n, "\"%s\" : jump enter_%s", ifn, sn);
			break;
		case DP_NFT_SET_SG_OUT:
			if (eni_is_open(c, e, true))
				put_elem(b, &n, "\"%s\" : goto sg_ingress", ifn);
			else
				put_elem(b, &n, "\"%s\" : jump eni_out_%s", ifn, hex);
			break;
		case DP_NFT_SET_SG_IN:
			if (eni_is_open(c, e, false))
				put_elem(b, &n, "\"%s\" : accept", ifn);
			else
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
	c->n_elems[which] = n;
}

/*
 * grp_<sg>: private addresses of the members of each group that a rule
 * references; a group of a peer VPC has its members there, while the
 * connection is active (after that the rule is stale and matches
 * nothing).  peer_dst, with an active peering connection: every ENI
 * address of this VPC, the only destinations a peering link may reach (no
 * transit, no edge-to-edge routing).
 */
static void
emit_group_sets(struct nft_ctx *c)
{
	struct buf *b = &c->b;
	char name[64];

	for (size_t i = 0; i < c->n_refs; i++) {
		const struct core_sg *sg = (const struct core_sg *)core_get(c->m, c->refs[i]);
		size_t n = 0;

		snprintf(name, sizeof(name), "grp_%s", short_id(c->refs[i]));
		begin_set(b, "set", name, "ipv4_addr", false);
		if (sg && strcmp(sg->vpc_id, c->vpc->res.id) != 0 &&
		    core_pcx_between(c->m, sg->vpc_id, c->vpc->res.id)) {
			CORE_FOREACH(c->m, CORE_ENI, r) {
				const struct core_eni *e = (const struct core_eni *)r;

				if (strcmp(e->vpc_id, sg->vpc_id) != 0 || !eni_has_group(e, sg->res.id))
					continue;
				for (size_t j = 0; j < e->n_ips; j++)
					put_ip_elem(b, &n, "", e->ips[j], "");
			}
		}
		for (size_t k = 0; k < c->n_enis; k++) {
			const struct core_eni *e = c->enis[k];

			if (!eni_has_group(e, c->refs[i]))
				continue;
			for (size_t j = 0; j < e->n_ips; j++)
				put_ip_elem(b, &n, "", e->ips[j], "");
		}
		end_set(b, n);
	}
	if (c->has_pcx) {
		size_t n = 0;

		begin_set(b, "set", "peer_dst", "ipv4_addr", false);
		for (size_t k = 0; k < c->n_enis; k++)
			for (size_t j = 0; j < c->enis[k]->n_ips; j++)
				put_ip_elem(b, &n, "", c->enis[k]->ips[j], "");
		end_set(b, n);
	}
}

/* VPCs are IPv4 only, so far: nothing else enters, and later chains need
 * not say "IPv4" (0.0.0.0/0 matches every packet that is left). */
/* A map lookup costs on every packet: none where the map is empty. */
static void
put_vmap(struct nft_ctx *c, enum dp_nft_set which, const char *rule)
{
	if (c->n_elems[which])
		buf_printf(&c->ch, "\t\t%s\n", rule);
}

static void
body_pre(struct nft_ctx *c)
{
	buf_puts(&c->ch, "\t\tmeta nfproto != ipv4 drop\n");
	put_vmap(c, DP_NFT_SET_PRE, "iifname vmap @pre");
}

static void
body_dnat(struct nft_ctx *c)
{
	buf_puts(&c->ch, "\t\tiifname \"" DP_NFT_IGW_IF "\" dnat ip to ip daddr map @priv_by_pub\n");
}

static void
body_snat(struct nft_ctx *c)
{
	buf_puts(&c->ch, "\t\toifname \"" DP_NFT_IGW_IF "\" snat ip to ip saddr map @pub_by_priv\n");
}

/* A placeholder for the ACL generation (| 'bits'), filled in by emit(). */
static void
put_gen(struct nft_ctx *c, uint32_t bits)
{
	c->gen_at[c->n_gen] = c->ch.len;
	c->gen_or[c->n_gen++] = bits;
	buf_puts(&c->ch, "0x00000000");
}

/*
 * The stateless checks first, on every packet; then the groups, for new
 * connections only: the sender's egress (a match goes on to sg_ingress),
 * then the receiver's ingress (a match accepts).  An ENI whose chains are
 * not (yet) in the maps passes nothing: every router-side ENI link is
 * named "e...", and nothing else is.
 *
 * Where there are stateless checks (the maps "leave" and "enter" have
 * elements), a connection remembers in its conntrack mark that packets of
 * a direction passed them: bit 0 the original direction, bit 1 the reply,
 * the other bits the generation of the rules (a hash of this table and of
 * what routes packets, hash_routes()).  The checks depend only on what is
 * the same for every packet of a direction (addresses, protocol, ports,
 * the interfaces it takes), so later packets of that direction skip them
 * until anything changes; a new generation makes every connection pass
 * them again, which is how an ACL change reaches established connections
 * at once.  Related packets (ICMP errors) never use or set the bits.
 */
static void
body_fwd(struct nft_ctx *c)
{
	bool is_cached = c->n_elems[DP_NFT_SET_LEAVE] || c->n_elems[DP_NFT_SET_ENTER];

	if (c->has_pcx)
		buf_puts(&c->ch, "\t\tiifname \"p*\" ip daddr != @peer_dst drop\n");
	if (is_cached) {
		buf_puts(&c->ch, "\t\tct state established ct direction original "
		    "ct mark & 0xfffffffd == ");
		put_gen(c, 1);
		buf_puts(&c->ch, " accept\n\t\tct state established ct direction reply "
		    "ct mark & 0xfffffffe == ");
		put_gen(c, 2);
		buf_puts(&c->ch, " accept\n");
	}
	put_vmap(c, DP_NFT_SET_LEAVE, "iifname vmap @leave");
	put_vmap(c, DP_NFT_SET_ENTER, "oifname vmap @enter");
	if (is_cached) {
		buf_puts(&c->ch, "\t\tct state new,established ct mark & 0xfffffffc != ");
		put_gen(c, 0);
		buf_puts(&c->ch, " ct mark set ");
		put_gen(c, 0);
		buf_puts(&c->ch, "\n"
		    "\t\tct state new,established ct direction original "
		    "ct mark set ct mark | 0x00000001\n"
		    "\t\tct state new,established ct direction reply "
		    "ct mark set ct mark | 0x00000002\n");
	}
	buf_puts(&c->ch,
	    "\t\tct state established,related accept\n"
	    "\t\tct state invalid drop\n"
	    "\t\tiifname vmap @sg_out\n"
	    "\t\tiifname \"e*\" drop\n"
	    "\t\tjump sg_ingress\n");
}

static void (*const base_bodies[DP_NFT_N_CHAINS])(struct nft_ctx *) = {
	[DP_NFT_CHAIN_PRE] = body_pre,
	[DP_NFT_CHAIN_DNAT] = body_dnat,
	[DP_NFT_CHAIN_FWD] = body_fwd,
	[DP_NFT_CHAIN_SNAT] = body_snat,
};

static void
begin_chain(struct nft_ctx *c, const char *fmt, ...) PRINTF(2, 3);

static void
begin_chain(struct nft_ctx *c, const char *fmt, ...)
{
	va_list ap;

	buf_puts(&c->ch, "\tchain ");
	va_start(ap, fmt);
	buf_vprintf(&c->ch, fmt, ap);
	va_end(ap);
	buf_puts(&c->ch, " {\n");
}

static void
end_chain(struct nft_ctx *c)
{
	buf_puts(&c->ch, "\t}\n");
}

/*
 * The chains every table has besides the base chains.  The internet
 * gateway carries only addresses with a public mapping, and from the
 * internet only translated connections (DNAT of an inbound one, or the
 * replies of an SNATed outbound one), so nothing reaches a private
 * address directly; it never hairpins.
 */
static void
emit_fixed_chains(struct nft_ctx *c)
{
	begin_chain(c, "sg_ingress");
	buf_puts(&c->ch,
	    "\t\toifname vmap @sg_in\n"
	    "\t\toifname \"e*\" drop\n"
	    "\t\taccept\n");
	end_chain(c);
	if (!c->has_igw)
		return;
	begin_chain(c, "from_igw");
	buf_puts(&c->ch,
	    "\t\toifname \"" DP_NFT_IGW_IF "\" drop\n"
	    "\t\tct status & (snat | dnat) == 0 drop\n"
	    "\t\tip daddr != @has_public drop\n");
	end_chain(c);
	begin_chain(c, "to_igw");
	buf_puts(&c->ch, "\t\tip saddr != @has_public drop\n");
	end_chain(c);
}

/*
 * leave_<S> and enter_<S>, for the directions whose ACL does not allow
 * everything first: nothing inside the subnet, else the entries in
 * rule-number order (allow returns to the base chain, deny drops), then
 * the implicit deny.  Consecutive entries with the same action form a run
 * whose order does not matter: one set lookup per run.
 */
static void
emit_acl_chains(struct nft_ctx *c, const struct nft_subnet *s)
{
	const char *hex = short_id(s->sn->res.id);
	char ifn[DP_IF_MAX], name[64];
	size_t n = 0;

	if (s->is_open[0] && s->is_open[1])
		return;
	snprintf(name, sizeof(name), "if_%s", hex);
	begin_set(&c->b, "set", name, "ifname", false);
	for (size_t k = 0; k < c->n_enis; k++) {
		if (strcmp(c->enis[k]->subnet_id, s->sn->res.id) != 0)
			continue;
		dp_eni_ifname(c->enis[k]->res.id, ifn);
		put_elem(&c->b, &n, "\"%s\"", ifn);
	}
	end_set(&c->b, n);
	for (int egress = 1; egress >= 0; egress--) {
		const char *dir = egress ? "daddr" : "saddr";
		bool is_done = false;
		int run = 0;

		if (s->is_open[egress])
			continue;
		begin_chain(c, "%s_%s", egress ? "leave" : "enter", hex);
		buf_printf(&c->ch, "\t\t%s @if_%s return\n", egress ? "oifname" : "iifname", hex);
		for (size_t i = 0, j; s->acl && i < s->acl->n_entries && !is_done; i = j) {
			const struct core_acl_entry *first = &s->acl->entries[i];
			const char *verdict = first->is_allow ? "return" : c->reject[!egress];
			struct nft_boxes bs = { 0 };

			if (first->is_egress != (egress == 1)) {
				j = i + 1;
				continue;
			}
			for (j = i; j < s->acl->n_entries && s->acl->entries[j].is_egress == first->is_egress &&
			    s->acl->entries[j].is_allow == first->is_allow; j++) {
				const struct core_acl_entry *e = &s->acl->entries[j];

				if (e->proto != 1 || e->icmp_type < 0)
					boxes_add(&bs, e->cidr, e->proto, e->from_port, e->to_port);
			}
			snprintf(name, sizeof(name), "acl_%s_%s_%d", hex, egress ? "out" : "in", run++);
			is_done = emit_union(c, name, dir, &bs, verdict);
			for (size_t k = i; k < j && !is_done; k++) {
				const struct core_acl_entry *e = &s->acl->entries[k];

				if (e->proto == 1 && e->icmp_type >= 0)
					put_icmp_rule(&c->ch, dir, e->cidr, e->icmp_type, e->icmp_code,
					    verdict);
			}
			free(bs.v);
		}
		if (!is_done)
			buf_printf(&c->ch, "\t\t%s\n", c->reject[!egress]);
		end_chain(c);
	}
}

/* sg_<g>_out and sg_<g>_in: the union of the group's rules; a match of
 * egress goes on to the receiver's groups, a match of ingress accepts. */
static void
emit_group_chains(struct nft_ctx *c, const struct core_sg *sg)
{
	const char *hex = short_id(sg->res.id);

	for (int egress = 1; egress >= 0; egress--) {
		const char *dir = egress ? "daddr" : "saddr";
		const char *verdict = egress ? "goto sg_ingress" : "accept";
		struct nft_boxes bs = { 0 };
		char name[64];

		snprintf(name, sizeof(name), "sg_%s_%s", hex, egress ? "out" : "in");
		begin_chain(c, "%s", name);
		for (size_t i = 0; i < sg->n_rules; i++) {
			const struct core_sg_rule *r = &sg->rules[i];

			if (r->is_egress == (egress == 1) && r->peer == CORE_PEER_CIDR &&
			    (r->proto != 1 || r->from_port < 0))
				boxes_add(&bs, r->cidr, r->proto, r->from_port, r->to_port);
		}
		if (!emit_union(c, name, dir, &bs, verdict)) {
			for (size_t i = 0; i < sg->n_rules; i++) {
				const struct core_sg_rule *r = &sg->rules[i];

				if (r->is_egress != (egress == 1))
					continue;
				if (r->peer == CORE_PEER_GROUP) {
					buf_printf(&c->ch, "\t\tip %s @grp_%s ", dir,
					    short_id(r->group_id));
					put_proto_match(&c->ch, r->proto, r->from_port, r->to_port);
					buf_printf(&c->ch, "%s\n", verdict);
				} else if (r->proto == 1 && r->from_port >= 0) {
					put_icmp_rule(&c->ch, dir, r->cidr, r->from_port, r->to_port,
					    verdict);
				}
			}
		}
		free(bs.v);
		end_chain(c);
	}
}

/* "10.0.1.10" or "{ 10.0.1.10, 10.0.1.11 }": an ENI's addresses. */
static void
put_eni_addrs(struct buf *b, const struct core_eni *e)
{
	char s[16];

	if (e->n_ips > 1)
		buf_puts(b, "{ ");
	for (size_t i = 0; i < e->n_ips; i++) {
		core_ip_format(e->ips[i], s);
		buf_printf(b, "%s%s", i ? ", " : "", s);
	}
	if (e->n_ips > 1)
		buf_puts(b, " }");
}

/*
 * An ENI's chains: eni_pre_ (source check, route table mark), eni_to_
 * (destination check, then its subnet's ACL), and eni_out_/eni_in_, a
 * jump into each of its groups, then drop (a group's match ends the base
 * chain); each only where the maps of emit_set() point to it.
 */
static void
emit_eni_chains(struct nft_ctx *c, const struct core_eni *e)
{
	const char *hex = short_id(e->res.id);
	const struct nft_subnet *s = vpc_subnet(c, e->subnet_id);

	if (eni_is_checked(e) || s->mark) {
		begin_chain(c, "eni_pre_%s", hex);
		if (eni_is_checked(e)) {
			buf_puts(&c->ch, "\t\tip saddr != ");
			put_eni_addrs(&c->ch, e);
			buf_puts(&c->ch, " drop\n");
		}
		if (s->mark && s->is_mark_local) {
			buf_printf(&c->ch, "\t\tmeta mark set %u\n", s->mark);
		} else if (s->mark) {
			buf_puts(&c->ch, "\t\tip daddr != ");
			if (c->vpc->n_cidrs > 1)
				buf_puts(&c->ch, "{ ");
			for (size_t i = 0; i < c->vpc->n_cidrs; i++) {
				char cidr[20];

				core_cidr_format(&c->vpc->cidrs[i].cidr, cidr);
				buf_printf(&c->ch, "%s%s", i ? ", " : "", cidr);
			}
			buf_printf(&c->ch, "%s meta mark set %u\n", c->vpc->n_cidrs > 1 ? " }" : "",
			    s->mark);
		}
		end_chain(c);
	}
	if (needs_dest_check(c, e)) {
		begin_chain(c, "eni_to_%s", hex);
		buf_puts(&c->ch, "\t\tip daddr != ");
		put_eni_addrs(&c->ch, e);
		buf_puts(&c->ch, " drop\n");
		if (!s->is_open[0])
			buf_printf(&c->ch, "\t\tgoto enter_%s\n", short_id(s->sn->res.id));
		end_chain(c);
	}
	for (int egress = 1; egress >= 0; egress--) {
		const char *dir = egress ? "out" : "in";

		if (eni_is_open(c, e, egress))
			continue;
		begin_chain(c, "eni_%s_%s", dir, hex);
		for (size_t i = 0; i < e->n_groups; i++)
			if (vpc_group(c, e->groups[i]))
				buf_printf(&c->ch, "\t\tjump sg_%s_%s\n", short_id(e->groups[i]), dir);
		buf_printf(&c->ch, "\t\t%s\n", c->reject[!egress]);
		end_chain(c);
	}
}

/* "ct label set" of each bit of 'v', from bit 'at' on. */
static void
put_label_bits(struct buf *b, uint64_t v, int at)
{
	buf_puts(b, "\t\t");
	for (int i = 0; i < 64 && v >> i; i++)
		if (v >> i & 1)
			buf_printf(b, "ct label set %d ", at + i);
	b->data[b->len - 1] = '\n';
}

/*
 * Flow logs: the interfaces of each accepted new connection, in its
 * conntrack labels (see dp.h); per ENI and side a chain that sets its
 * seq's bits, reached through a verdict map.
 */
static void
emit_flowlog(struct nft_ctx *c)
{
	static const char *const side[2] = { "in", "out" };

	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < c->n_enis; i++) {
			begin_chain(c, "fl_%s_%s", side[s], short_id(c->enis[i]->res.id));
			put_label_bits(&c->ch, c->enis[i]->res.seq, s * DP_FL_LABEL_OUT);
			end_chain(c);
		}
	buf_printf(&c->ch, "\tchain flowlog {\n"
	    "\t\ttype filter hook forward priority filter + 10; policy accept;\n"
	    "\t\tct state != new accept\n"
	    "\t\tct label %d accept\n", DP_FL_LABEL_DONE);
	for (int s = 0; s < 2 && c->n_enis; s++) {
		buf_printf(&c->ch, "\t\t%sifname vmap { ", s ? "o" : "i");
		for (size_t i = 0; i < c->n_enis; i++) {
			char ifname[DP_IF_MAX];

			dp_eni_ifname(c->enis[i]->res.id, ifname);
			buf_printf(&c->ch, "%s\"%s\" : jump fl_%s_%s", i ? ", " : "", ifname,
			    side[s], short_id(c->enis[i]->res.id));
		}
		buf_puts(&c->ch, " }\n");
	}
	for (int s = 0; s < 2; s++) {
		if (c->has_igw)
			buf_printf(&c->ch, "\t\t%sifname \"" DP_NFT_IGW_IF "\" ct label set %d\n",
			    s ? "o" : "i", s * DP_FL_LABEL_OUT + DP_FL_LABEL_IGW);
		if (c->has_pcx)
			buf_printf(&c->ch, "\t\t%sifname \"p*\" ct label set %d\n", s ? "o" : "i",
			    s * DP_FL_LABEL_OUT + DP_FL_LABEL_PCX);
	}
	buf_printf(&c->ch, "\t\tct label set %d\n\t}\n", DP_FL_LABEL_DONE);
}

static void
emit(struct nft_ctx *c)
{
	struct buf *b = &c->b;

	dp_nft_begin(b);
	buf_puts(b, "\tcounter reject_out {\n\t}\n\tcounter reject_in {\n\t}\n");
#define X(e, name, kind, type, igw, doc)                                          \
	if (c->has_igw || !(igw))                                                  \
		emit_set(c, DP_NFT_SET_##e, kind, name, type);
	DP_NFT_SETS(X)
#undef X
	emit_group_sets(c);
#define X(e, name, type, hook, prio, igw, doc)                                    \
	if (c->has_igw || !(igw)) {                                                \
		buf_printf(&c->ch, "\tchain %s {\n\t\ttype %s hook %s priority %s; "  \
		    "policy accept;\n\t\tcomment \"%s\"\n", name, type, hook, prio, doc); \
		base_bodies[DP_NFT_CHAIN_##e](c);                                  \
		end_chain(c);                                                      \
	}
	DP_NFT_BASE_CHAINS(X)
#undef X
	emit_fixed_chains(c);
	if (c->has_flowlogs)
		emit_flowlog(c);
	for (size_t i = 0; i < c->n_subnets; i++)
		emit_acl_chains(c, &c->subnets[i]);
	for (size_t i = 0; i < c->n_sgs; i++)
		emit_group_chains(c, c->sgs[i]);
	for (size_t i = 0; i < c->n_enis; i++)
		emit_eni_chains(c, c->enis[i]);
	buf_add(b, c->ch.data, c->ch.len);
	if (c->n_gen) {
		/* The generation: the text so far (its placeholders zero) and
		 * the routes; two bits left for the directions. */
		uint64_t h = fnv(c->route_hash, b->data, b->len);
		uint32_t gen = (uint32_t)(h ^ (h >> 32)) & 0xfffffffc;
		size_t base = b->len - c->ch.len;

		for (size_t i = 0; i < c->n_gen; i++) {
			char hex[16];

			snprintf(hex, sizeof(hex), "0x%08x", gen | c->gen_or[i]);
			memcpy(b->data + base + c->gen_at[i], hex, 10);
		}
	}
}

char *
dp_nft_compile(const struct core_model *m, const struct core_vpc *vpc, struct arena *a)
{
	struct nft_ctx c = { .m = m, .vpc = vpc };
	char hash[17], *text;

	buf_init(&c.b);
	buf_init(&c.ch);
	gather(&c);
	emit(&c);
	text = dp_nft_end(&c.b, a, hash);
	buf_fini(&c.b);
	buf_fini(&c.ch);
	free(c.enis);
	free(c.sgs);
	free(c.subnets);
	free(c.refs);
	free(c.pubs);
	free(c.targets);
	return text;
}

/* ---- The table's hash ---- */

void
dp_nft_begin(struct buf *b)
{
	buf_puts(b,
	    "table inet vpcd {\n"
	    "\tset state {\n"
	    "\t\ttype mark\n"
	    "\t\telements = {\n"
	    "\t\t\t0 comment \"vpcd 0000000000000000\",\n"
	    "\t\t}\n"
	    "\t}\n");
}

char *
dp_nft_end(struct buf *b, struct arena *a, char hash[17])
{
	char *text, *p;

	buf_puts(b, "}\n");
	text = arena_strndup(a, b->data, b->len);
	dp_nft_hash(text, hash);
	p = strstr(text, comment_prefix);
	if (p)
		memcpy(p + strlen(comment_prefix), hash, 16);
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

/* ---- The differ ---- */

/* A top-level block of a compiled table: a set, a map or a chain. */
struct nft_block {
	char key[128];          /* "chain NAME", "set NAME", "map NAME", "counter NAME" */
	size_t name_at;         /* where the name starts in 'key' */
	const char *text;       /* the block, from its first line to its "\t}\n" */
	size_t len;
	const char *head;       /* set, map: the lines before the elements */
	size_t head_len;
	const char *body;       /* set, map: its element lines, or NULL */
	bool is_split;          /* elems and elem_set are filled (split_elems()) */
	char **elems;           /* set, map: each element, without ",\n" */
	size_t n_elems;
	struct map elem_set;    /* element -> the block */
};

struct nft_parsed {
	struct nft_block *v;
	size_t n;
	struct map by_key;
};

static void
parsed_free(struct nft_parsed *t)
{
	for (size_t i = 0; i < t->n; i++) {
		for (size_t k = 0; k < t->v[i].n_elems; k++)
			free(t->v[i].elems[k]);
		free(t->v[i].elems);
		if (t->v[i].is_split)
			map_fini(&t->v[i].elem_set);
	}
	free(t->v);
	map_fini(&t->by_key);
}

static const char *
line_end(const char *p)
{
	const char *e = strchr(p, '\n');

	return e ? e + 1 : NULL;
}

/* Splits a text of this compiler into its blocks; false if it is not one. */
static bool
parse_table(const char *text, struct nft_parsed *t)
{
	/* Counters are named objects whose compiled text never changes. */
	static const char *const kinds[] = { "chain", "set", "map", "counter" };
	const char *p = text;

	memset(t, 0, sizeof(*t));
	map_init(&t->by_key);
	if (!str_has_prefix(p, "table inet vpcd {\n"))
		return false;
	p += strlen("table inet vpcd {\n");
	while (strcmp(p, "}\n") != 0) {
		struct nft_block *b;
		const char *name = NULL, *q, *end;
		size_t kind = 0;

		for (; kind < ARRAY_SIZE(kinds) && name == NULL; kind++)
			if (p[0] == '\t' && str_has_prefix(p + 1, kinds[kind]) &&
			    p[1 + strlen(kinds[kind])] == ' ')
				name = p + 2 + strlen(kinds[kind]);
		if (name == NULL || (q = strstr(name, " {\n")) == NULL ||
		    (end = strstr(p, "\n\t}\n")) == NULL || q - p > 100 || (size_t)(q - name) == 0)
			return false;
		t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
		b = &t->v[t->n++];
		memset(b, 0, sizeof(*b));
		snprintf(b->key, sizeof(b->key), "%.*s", (int)(q - p - 1), p + 1);
		b->name_at = strlen(kinds[kind - 1]) + 1;
		b->text = p;
		b->len = (size_t)(end + 4 - p);
		if (kind - 1 > 0) {
			/* A set or map: type and flags, then the elements. */
			const char *l = line_end(p);

			b->head = l;
			while (l < end + 1 && !str_has_prefix(l, "\t\telements = {\n"))
				l = line_end(l);
			b->head_len = (size_t)(l - b->head);
			if (l < end + 1)
				b->body = line_end(l);
		}
		p = end + 4;
	}
	/* Indexed once the array stops moving. */
	for (size_t i = 0; i < t->n; i++)
		if (map_put(&t->by_key, t->v[i].key, &t->v[i]) != NULL)
			return false;
	return true;
}

/* The elements of a set or map, split out only for the sets that changed
 * (most of a big table does not). */
static void
split_elems(struct nft_block *b)
{
	if (b->is_split)
		return;
	b->is_split = true;
	map_init(&b->elem_set);
	for (const char *l = b->body; l && str_has_prefix(l, "\t\t\t"); l = line_end(l)) {
		const char *le = strstr(l, ",\n");

		if (le == NULL)
			break;
		b->elems = xreallocarray(b->elems, b->n_elems + 1, sizeof(*b->elems));
		b->elems[b->n_elems++] = xstrndup(l + 3, (size_t)(le - l - 3));
	}
	for (size_t k = 0; k < b->n_elems; k++)
		map_put(&b->elem_set, b->elems[k], b);
}

static bool
is_chain(const struct nft_block *b)
{
	return str_has_prefix(b->key, "chain ");
}

static bool
same_text(const struct nft_block *a, const struct nft_block *b)
{
	return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* An element as a delete names it: its key (and value), no comment. */
static void
put_elem_key(struct buf *out, const char *e)
{
	const char *c = strstr(e, " comment \"");

	buf_add(out, e, c ? (size_t)(c - e) : strlen(e));
}

/* "CMD inet vpcd NAME { e1, e2 }" for the elements of 'b' not in 'other'. */
static void
put_elems_not_in(struct buf *out, const char *cmd, const struct nft_block *b,
    const struct nft_block *other, bool is_delete)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n_elems; i++) {
		if (map_get(&other->elem_set, b->elems[i]))
			continue;
		if (n++ == 0)
			buf_printf(out, "%s element inet vpcd %s { ", cmd, b->key + b->name_at);
		else
			buf_puts(out, ", ");
		if (is_delete)
			put_elem_key(out, b->elems[i]);
		else
			buf_puts(out, b->elems[i]);
	}
	if (n)
		buf_puts(out, " }\n");
}

char *
dp_nft_diff(const char *from, const char *to)
{
	struct nft_parsed f, t;
	struct buf out, add, elems;
	char *ret = NULL;

	buf_init(&out);
	buf_init(&add);
	buf_init(&elems);
	memset(&t, 0, sizeof(t));
	if (!parse_table(from, &f) || !parse_table(to, &t))
		goto done;
	for (size_t i = 0; i < t.n; i++) {
		const struct nft_block *w = &t.v[i], *b = map_get(&f.by_key, w->key);

		if (b && !is_chain(w) && (b->head_len != w->head_len ||
		    memcmp(b->head, w->head, w->head_len) != 0))
			goto done;
	}
	/* 1: chains that change or go lose their rules, and with them their
	 * references to the sets, maps and chains that go. */
	for (size_t i = 0; i < f.n; i++) {
		const struct nft_block *b = &f.v[i], *w = map_get(&t.by_key, b->key);

		if (is_chain(b) && (w == NULL || !same_text(b, w)))
			buf_printf(&out, "flush chain inet vpcd %s\n", b->key + b->name_at);
	}
	/* 2: elements that go (also jumps to chains that go). */
	for (size_t i = 0; i < f.n; i++) {
		struct nft_block *b = &f.v[i], *w = map_get(&t.by_key, b->key);

		if (is_chain(b) || w == NULL || same_text(b, w))
			continue;
		split_elems(b);
		split_elems(w);
		put_elems_not_in(&out, "delete", b, w, true);
	}
	/* 3: what is new: sets, chains and the rules of changed ones (in a
	 * table block, nftables declares chains before elements and rules, so
	 * jumps to new chains resolve), then new elements. */
	for (size_t i = 0; i < t.n; i++) {
		const struct nft_block *w = &t.v[i], *b = map_get(&f.by_key, w->key);

		if (b == NULL || (is_chain(w) && !same_text(b, w)))
			buf_add(&add, w->text, w->len);
		else if (!is_chain(w) && !same_text(b, w))
			put_elems_not_in(&elems, "add", w, b, false);
	}
	if (add.len) {
		buf_puts(&out, "table inet vpcd {\n");
		buf_add(&out, add.data, add.len);
		buf_puts(&out, "}\n");
	}
	buf_add(&out, elems.data, elems.len);
	/* 4: chains, then sets and maps, that go. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < f.n; i++) {
			const struct nft_block *b = &f.v[i];

			if (is_chain(b) == (pass == 0) && !map_get(&t.by_key, b->key))
				buf_printf(&out, "delete %.*s inet vpcd %s\n", (int)b->name_at - 1,
				    b->key, b->key + b->name_at);
		}
	ret = buf_steal(&out);
done:
	parsed_free(&f);
	parsed_free(&t);
	buf_fini(&out);
	buf_fini(&add);
	buf_fini(&elems);
	return ret;
}
