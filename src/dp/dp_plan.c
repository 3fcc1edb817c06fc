/*
 * The plan: the whole kernel state vpcd wants, computed from the model.
 * Pure: no I/O, no clock, deterministic order, so the same model always
 * gives the same plan and golden tests can pin it down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"

#define PUSH(arr, n) \
	(memset(&((arr) = xreallocarray((arr), (n) + 1, sizeof(*(arr))))[(n)], 0, \
	    sizeof(*(arr))), &(arr)[(n)++])

static void
add_ns(struct dp_plan *p, const char *name, enum dp_ns_kind kind, const char *owner)
{
	struct dp_ns *ns = PUSH(p->ns, p->n_ns);

	STR_COPY(ns->name, name);
	ns->kind = kind;
	STR_COPY(ns->owner_id, owner);
}

static void
add_link(struct dp_plan *p, const char *ns0, const char *if0, const char *ns1,
    const char *if1, const char *mac1)
{
	struct dp_link *l = PUSH(p->links, p->n_links);

	STR_COPY(l->ns[0], ns0);
	STR_COPY(l->name[0], if0);
	STR_COPY(l->ns[1], ns1);
	STR_COPY(l->name[1], if1);
	if (mac1)
		STR_COPY(l->mac[1], mac1);
	l->is_up[0] = l->is_up[1] = true;
}

static void
add_addr(struct dp_plan *p, const char *ns, const char *dev, uint32_t addr, uint8_t plen)
{
	struct dp_addr *a = PUSH(p->addrs, p->n_addrs);

	STR_COPY(a->ns, ns);
	STR_COPY(a->dev, dev);
	a->addr = addr;
	a->plen = plen;
}

static struct dp_route *
add_route(struct dp_plan *p, const char *ns, uint32_t table, struct core_cidr dst,
    enum dp_route_type type)
{
	struct dp_route *r = PUSH(p->routes, p->n_routes);

	STR_COPY(r->ns, ns);
	r->table = table;
	r->dst = dst.addr;
	r->plen = dst.len;
	r->type = type;
	return r;
}

static void
add_rule(struct dp_plan *p, const char *ns, uint32_t prio, uint32_t mark, uint32_t mask,
    uint32_t table, enum dp_route_type action)
{
	struct dp_rule *r = PUSH(p->rules, p->n_rules);

	STR_COPY(r->ns, ns);
	r->prio = prio;
	r->mark = mark;
	r->mask = mask;
	r->table = table;
	r->action = action;
}

static void
add_sysctl(struct dp_plan *p, const char *ns, const char *value, const char *fmt, ...)
    PRINTF(4, 5);

static void
add_sysctl(struct dp_plan *p, const char *ns, const char *value, const char *fmt, ...)
{
	struct dp_sysctl *s = PUSH(p->sysctls, p->n_sysctls);
	va_list ap;

	STR_COPY(s->ns, ns);
	STR_COPY(s->value, value);
	va_start(ap, fmt);
	vsnprintf(s->key, sizeof(s->key), fmt, ap);
	va_end(ap);
}

static void
add_state(struct dp_plan *p, const struct core_res *r, int state)
{
	struct dp_state *st = PUSH(p->states, p->n_states);

	STR_COPY(st->id, r->id);
	st->type = r->type;
	st->state = state;
}

/* Whether an instance has a namespace: from launch until it shuts down. */
static bool
instance_has_ns(const struct core_instance *inst)
{
	return inst->state != CORE_INSTANCE_TERMINATED &&
	    inst->state != CORE_INSTANCE_SHUTTING_DOWN;
}

/*
 * Where an ENI is plugged in, if anywhere: the namespace, the interface
 * name there and whether it is the namespace's first (default route).
 * An instance's ENIs while it is up (a stopped instance keeps its
 * namespace but its interfaces are unplugged, so it answers nothing, as
 * on AWS); a NAT gateway's while it is pending or available.
 */
struct dp_plug {
	char ns[DP_NS_MAX];
	char ifname[DP_IF_MAX];
	bool is_primary;
};

static bool
eni_plug(const struct core_model *m, const struct dp_config *cfg, const struct core_eni *eni,
    struct dp_plug *out)
{
	const struct core_instance *inst;
	const struct core_natgw *gw;

	if (eni->instance_id[0]) {
		inst = core_find(m, CORE_INSTANCE, eni->res.owner, eni->instance_id);
		if (inst == NULL || (inst->state != CORE_INSTANCE_PENDING &&
		    inst->state != CORE_INSTANCE_RUNNING))
			return false;
		STR_COPY(out->ns, inst->res.id);
		snprintf(out->ifname, sizeof(out->ifname), "eth%d", eni->device_index);
		out->is_primary = eni->device_index == 0;
		return true;
	}
	if ((gw = core_natgw_of_eni(m, eni)) == NULL || !core_natgw_is_live(gw))
		return false;
	dp_natgw_ns(cfg, gw->res.id, out->ns);
	STR_COPY(out->ifname, "eth0");
	out->is_primary = true;
	return true;
}

/* The ENI's public address and which of its private addresses it maps:
 * an associated Elastic IP first, else the auto-assigned address. */
static bool
eni_public(const struct core_model *m, const struct core_eni *eni, uint32_t *pub,
    uint32_t *priv)
{
	CORE_FOREACH(m, CORE_EIP, r) {
		const struct core_eip *eip = (const struct core_eip *)r;

		if (eip->assoc_id[0] && strcmp(eip->eni_id, eni->res.id) == 0 &&
		    eip->private_ip == eni->ips[0]) {
			*pub = eip->public_ip;
			*priv = eip->private_ip;
			return true;
		}
	}
	if (eni->public_ip) {
		*pub = eni->public_ip;
		*priv = eni->ips[0];
		return true;
	}
	return false;
}

static const struct core_igw *
vpc_igw(const struct core_model *m, const struct core_vpc *vpc)
{
	CORE_FOREACH(m, CORE_IGW, r)
		if (strcmp(r->owner, vpc->res.owner) == 0 &&
		    strcmp(((const struct core_igw *)r)->vpc_id, vpc->res.id) == 0)
			return (const struct core_igw *)r;
	return NULL;
}

bool
dp_rtb_overrides_local(const struct core_rtb *rtb, const struct core_vpc *vpc)
{
	for (size_t i = 0; i < rtb->n_routes; i++) {
		if (rtb->routes[i].target_type == CORE_TARGET_LOCAL)
			continue;
		for (size_t k = 0; k < vpc->n_cidrs; k++)
			if (core_cidr_contains(&vpc->cidrs[k].cidr, &rtb->routes[i].dst))
				return true;
	}
	return false;
}

/* The VPC a flow log's resource is in, or NULL. */
static const char *
fl_vpc(const struct core_model *m, const struct core_fl *fl)
{
	const struct core_res *r = core_get(m, fl->resource_id);

	if (r == NULL)
		return NULL;
	switch (r->type) {
	case CORE_VPC: return r->id;
	case CORE_SUBNET: return ((const struct core_subnet *)r)->vpc_id;
	case CORE_ENI: return ((const struct core_eni *)r)->vpc_id;
	default: return NULL;
	}
}

bool
dp_vpc_has_flowlogs(const struct core_model *m, const struct core_vpc *vpc)
{
	CORE_FOREACH(m, CORE_FL, r) {
		const char *id = fl_vpc(m, (const struct core_fl *)r);

		if (id && strcmp(id, vpc->res.id) == 0)
			return true;
	}
	return false;
}

const struct core_rtb *
dp_vpc_single_rtb(const struct core_model *m, const struct core_vpc *vpc)
{
	const struct core_rtb *one = NULL;

	CORE_FOREACH(m, CORE_SUBNET, r) {
		const struct core_subnet *sn = (const struct core_subnet *)r;
		const struct core_rtb *rtb;

		if (strcmp(r->owner, vpc->res.owner) != 0 || strcmp(sn->vpc_id, vpc->res.id) != 0)
			continue;
		rtb = core_subnet_rtb(m, sn);
		if (rtb == NULL || (one && rtb != one))
			return NULL;
		one = rtb;
	}
	if (one == NULL)
		one = core_rtb_main(m, vpc);
	return one && !dp_rtb_overrides_local(one, vpc) ? one : NULL;
}

/* A route table's routes as kernel routes in 'table': its own, or main
 * when it is the VPC's only one (then "local" is what no ENI route
 * matched: unreachable). */
static void
plan_rtb(struct dp_plan *p, const struct core_model *m, const struct dp_config *cfg,
    const struct core_rtb *rtb, const char *ns, bool has_igw, uint32_t table)
{
	bool has_default = false;

	for (size_t i = 0; i < rtb->n_routes; i++) {
		const struct core_route *rt = &rtb->routes[i];
		const struct core_eni *eni = NULL;
		const struct core_natgw *gw;
		const struct core_pcx *pcx;
		struct dp_plug plug;
		struct dp_route *r;

		has_default |= rt->dst.len == 0;
		switch (rt->target_type) {
		case CORE_TARGET_LOCAL:
			/* Policy routing: continue with the ENI table, so that
			 * a more specific route in this table still wins. */
			add_route(p, ns, table, rt->dst,
			    table == DP_TABLE_MAIN ? DP_ROUTE_UNREACHABLE : DP_ROUTE_THROW);
			continue;
		case CORE_TARGET_IGW:
			if (!has_igw || !core_route_is_active(m, rtb, rt))
				break;
			/* Onlink: igw0 has a /32, no connected route. */
			r = add_route(p, ns, table, rt->dst, DP_ROUTE_UNICAST);
			r->gw = DP_IGW_EDGE;
			r->is_onlink = true;
			STR_COPY(r->dev, "igw0");
			continue;
		case CORE_TARGET_INSTANCE: {
			const struct core_instance *inst = core_find(m, CORE_INSTANCE,
			    rtb->res.owner, rt->target);

			if (inst && core_route_is_active(m, rtb, rt))
				eni = core_find(m, CORE_ENI, rtb->res.owner, inst->primary_eni);
			break;
		}
		case CORE_TARGET_ENI:
			if (core_route_is_active(m, rtb, rt))
				eni = core_find(m, CORE_ENI, rtb->res.owner, rt->target);
			break;
		case CORE_TARGET_NATGW:
			gw = core_find(m, CORE_NATGW, rtb->res.owner, rt->target);
			if (gw && core_natgw_is_live(gw))
				eni = core_find(m, CORE_ENI, rtb->res.owner, gw->eni_id);
			break;
		case CORE_TARGET_PCX:
			if (!core_route_is_active(m, rtb, rt))
				break;
			/* Via the other end of the link. */
			pcx = (const struct core_pcx *)core_get(m, rt->target);
			r = add_route(p, ns, table, rt->dst, DP_ROUTE_UNICAST);
			r->gw = dp_pcx_addr(pcx, strcmp(pcx->vpc_id, rtb->vpc_id) == 0);
			r->is_onlink = true;
			dp_pcx_ifname(pcx->res.id, r->dev);
			continue;
		default:
			break;
		}
		if (eni && eni_plug(m, cfg, eni, &plug)) {
			/* Forward to the interface's primary address: a NAT
			 * gateway, NAT or appliance instance receives what is
			 * not its own. */
			r = add_route(p, ns, table, rt->dst, DP_ROUTE_UNICAST);
			r->gw = eni->ips[0];
			r->is_onlink = true;
			dp_eni_ifname(eni->res.id, r->dev);
			continue;
		}
		add_route(p, ns, table, rt->dst, DP_ROUTE_BLACKHOLE);
	}
	if (table == DP_TABLE_MAIN && !has_default)
		add_route(p, ns, table, (struct core_cidr){ 0, 0 }, DP_ROUTE_UNREACHABLE);
}

/* An active peering connection's link, planned with its requester: an
 * interface in each router, each with its /32.  End [0] is in the router
 * whose name sorts first, as the reconciler observes links. */
static void
plan_pcx_link(struct dp_plan *p, const struct dp_config *cfg, const struct core_pcx *pcx)
{
	char ns[2][DP_NS_MAX], ifname[DP_IF_MAX];
	int first;

	dp_router_ns(cfg, pcx->vpc_id, ns[0]);
	dp_router_ns(cfg, pcx->peer_vpc_id, ns[1]);
	dp_pcx_ifname(pcx->res.id, ifname);
	first = strcmp(ns[0], ns[1]) <= 0 ? 0 : 1;
	add_link(p, ns[first], ifname, ns[!first], ifname, NULL);
	for (int side = 0; side < 2; side++)
		add_addr(p, ns[side], ifname, dp_pcx_addr(pcx, side), 32);
}

static void
plan_vpc(struct dp_plan *p, const struct core_model *m, const struct core_vpc *vpc,
    const struct dp_config *cfg, const char *edge)
{
	char ns[DP_NS_MAX], ifname[DP_IF_MAX];
	const struct core_igw *igw = vpc_igw(m, vpc);
	const struct core_rtb *single = dp_vpc_single_rtb(m, vpc);
	uint32_t eni_table = single ? DP_TABLE_MAIN : DP_TABLE_ENI;
	struct dp_nft *nft;

	dp_router_ns(cfg, vpc->res.id, ns);
	add_ns(p, ns, DP_NS_ROUTER, vpc->res.id);
	add_sysctl(p, ns, "1", "net/ipv4/ip_forward");
	/* Spoofing is refused by nftables (source/destination check), which
	 * knows every ENI's addresses; reverse-path filtering would not see
	 * the mark-based routing. */
	add_sysctl(p, ns, "0", "net/ipv4/conf/all/rp_filter");
	add_sysctl(p, ns, "0", "net/ipv4/conf/default/rp_filter");
	/* Flow logs need each connection's packets and bytes, and events of
	 * every connection, also one made before the collector listened (2,
	 * the default: only of those made while someone listens). */
	add_sysctl(p, ns, dp_vpc_has_flowlogs(m, vpc) ? "1" : "0",
	    "net/netfilter/nf_conntrack_acct");
	add_sysctl(p, ns, dp_vpc_has_flowlogs(m, vpc) ? "1" : "2",
	    "net/netfilter/nf_conntrack_events");

	if (single) {
		plan_rtb(p, m, cfg, single, ns, igw != NULL, DP_TABLE_MAIN);
	} else {
		CORE_FOREACH(m, CORE_RTB, r) {
			const struct core_rtb *rtb = (const struct core_rtb *)r;

			if (strcmp(r->owner, vpc->res.owner) != 0 ||
			    strcmp(rtb->vpc_id, vpc->res.id) != 0)
				continue;
			add_rule(p, ns, DP_RULE_PRIO_RTB, dp_rtb_table(rtb), 0xffffffff,
			    dp_rtb_table(rtb), DP_ROUTE_UNICAST);
			plan_rtb(p, m, cfg, rtb, ns, igw != NULL, dp_rtb_table(rtb));
		}
		add_rule(p, ns, DP_RULE_PRIO_ENI, 0, 0, DP_TABLE_ENI, DP_ROUTE_UNICAST);
		add_rule(p, ns, DP_RULE_PRIO_END, 0, 0, 0, DP_ROUTE_UNREACHABLE);
	}

	CORE_FOREACH(m, CORE_ENI, r) {
		const struct core_eni *eni = (const struct core_eni *)r;
		const struct core_subnet *sn;
		struct dp_plug plug;
		uint32_t pub, priv;

		if (strcmp(r->owner, vpc->res.owner) != 0 || strcmp(eni->vpc_id, vpc->res.id) != 0 ||
		    !eni_plug(m, cfg, eni, &plug) ||
		    (sn = core_find(m, CORE_SUBNET, r->owner, eni->subnet_id)) == NULL)
			continue;
		dp_eni_ifname(eni->res.id, ifname);
		add_link(p, ns, ifname, plug.ns, plug.ifname, eni->mac);
		/* The router answers for the subnet's .1 on every ENI, and by
		 * proxy ARP for every other address: there is no broadcast
		 * domain between instances, even in one subnet. */
		add_addr(p, ns, ifname, sn->cidr.addr + 1, 32);
		add_sysctl(p, ns, "1", "net/ipv4/conf/%s/proxy_arp", ifname);
		add_sysctl(p, ns, "0", "net/ipv4/neigh/%s/proxy_delay", ifname);
		for (size_t i = 0; i < eni->n_ips; i++) {
			struct dp_route *rt = add_route(p, ns, eni_table,
			    (struct core_cidr){ eni->ips[i], 32 }, DP_ROUTE_UNICAST);

			STR_COPY(rt->dev, ifname);
			add_addr(p, plug.ns, plug.ifname, eni->ips[i], sn->cidr.len);
		}
		if (plug.is_primary) {
			struct dp_route *rt = add_route(p, plug.ns, 254,
			    (struct core_cidr){ 0, 0 }, DP_ROUTE_UNICAST);

			rt->gw = sn->cidr.addr + 1;
			STR_COPY(rt->dev, plug.ifname);
		}
		if (igw && eni_public(m, eni, &pub, &priv)) {
			struct dp_route *rt = add_route(p, edge, 254, (struct core_cidr){ pub, 32 },
			    DP_ROUTE_UNICAST);

			rt->gw = DP_IGW_ROUTER;
			dp_igw_edge_ifname(vpc->res.id, rt->dev);
		}
	}
	CORE_FOREACH(m, CORE_PCX, r)
		if (strcmp(((const struct core_pcx *)r)->vpc_id, vpc->res.id) == 0 &&
		    ((const struct core_pcx *)r)->state == CORE_PCX_ACTIVE)
			plan_pcx_link(p, cfg, (const struct core_pcx *)r);
	if (igw) {
		dp_igw_edge_ifname(vpc->res.id, ifname);
		add_link(p, ns, "igw0", edge, ifname, NULL);
		add_addr(p, ns, "igw0", DP_IGW_ROUTER, 32);
		add_addr(p, edge, ifname, DP_IGW_EDGE, 30);
	}
	nft = PUSH(p->nft, p->n_nft);
	STR_COPY(nft->ns, ns);
	nft->text = dp_nft_compile(m, vpc, &p->arena);
	dp_nft_hash(nft->text, nft->hash);
}

/* The table of a NAT-image instance: what it forwards for other hosts
 * leaves eth0 with its own address. */
static void
plan_nat_instance(struct dp_plan *p, const struct core_model *m,
    const struct core_instance *inst)
{
	const struct core_eni *eni = core_find(m, CORE_ENI, inst->res.owner, inst->primary_eni);
	struct dp_nft *nft;
	struct buf b;
	char ip[16];

	if (eni == NULL)
		return;
	add_sysctl(p, inst->res.id, "1", "net/ipv4/ip_forward");
	core_ip_format(eni->ips[0], ip);
	buf_init(&b);
	dp_nft_begin(&b);
	buf_printf(&b,
	    "\tchain nat_postrouting {\n"
	    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	    "\t\toifname \"eth0\" ip saddr != %s masquerade\n"
	    "\t}\n", ip);
	nft = PUSH(p->nft, p->n_nft);
	STR_COPY(nft->ns, inst->res.id);
	nft->text = dp_nft_end(&b, &p->arena, nft->hash);
	buf_fini(&b);
}

/*
 * A NAT gateway: its namespace forwards what arrives on eth0 for other
 * addresses and translates the source to its own address, with ports
 * 1024-56023 (55,000 connections per destination address, port and
 * protocol, as on AWS); nothing that does not belong to a connection
 * reaches it or through it.  A TCP connection idle for the idle timeout
 * (350 s) is forgotten, and the client's next packet gets a reset (strict
 * TCP tracking: a packet out of the blue is invalid, not a new
 * connection).  Named counters give the CloudWatch metrics; a
 * connection's first reply marks it established (bit 0 of the conntrack
 * mark, which nothing else uses here).
 */
static void
plan_natgw(struct dp_plan *p, const struct dp_config *cfg, const struct core_natgw *gw)
{
	static const char *const counters[] = {
#define X(e, name, doc) name,
		DP_NATGW_COUNTERS(X)
#undef X
	};
	char ns[DP_NS_MAX], ip[16], idle[16];
	struct dp_nft *nft;
	struct buf b;

	dp_natgw_ns(cfg, gw->res.id, ns);
	add_ns(p, ns, DP_NS_NATGW, gw->res.id);
	add_sysctl(p, ns, "1", "net/ipv4/ip_forward");
	add_sysctl(p, ns, "0", "net/netfilter/nf_conntrack_tcp_loose");
	snprintf(idle, sizeof(idle), "%u", cfg->nat_idle_timeout);
	add_sysctl(p, ns, idle, "net/netfilter/nf_conntrack_tcp_timeout_established");
	add_sysctl(p, ns, idle, "net/netfilter/nf_conntrack_udp_timeout_stream");
	/* The collector counts idle timeouts from DESTROY events: of every
	 * connection, also one made before it listened. */
	add_sysctl(p, ns, "1", "net/netfilter/nf_conntrack_events");
	core_ip_format(gw->private_ip, ip);
	buf_init(&b);
	dp_nft_begin(&b);
	for (size_t i = 0; i < ARRAY_SIZE(counters); i++)
		buf_printf(&b, "\tcounter %s {\n\t}\n", counters[i]);
	buf_printf(&b,
	    "\tchain prerouting {\n"
	    "\t\ttype filter hook prerouting priority mangle; policy accept;\n"
	    "\t\tmeta nfproto != ipv4 drop\n"
	    "\t}\n"
	    "\tchain input {\n"
	    "\t\ttype filter hook input priority filter; policy accept;\n"
	    "\t\tct state established,related accept\n"
	    "\t\tcounter name \"dropped\" drop\n"
	    "\t}\n"
	    "\tchain forward {\n"
	    "\t\ttype filter hook forward priority filter; policy accept;\n"
	    "\t\tct state invalid meta l4proto tcp counter name \"dropped\" "
	    "reject with tcp reset\n"
	    "\t\tct state invalid counter name \"dropped\" drop\n"
	    "\t\tct state new counter name \"attempts\"\n"
	    "\t\tct state established ct direction reply ct mark & 0x1 == 0x0 "
	    "ct mark set ct mark | 0x1 counter name \"established\"\n"
	    "\t\tct direction original counter name \"in_from_source\"\n"
	    "\t\tct direction reply counter name \"in_from_destination\"\n"
	    "\t}\n"
	    "\tchain nat_postrouting {\n"
	    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	    "\t\toifname \"eth0\" ip saddr != %s meta l4proto { tcp, udp } "
	    "snat ip to %s:1024-56023\n"
	    "\t\toifname \"eth0\" ip saddr != %s snat ip to %s\n"
	    "\t}\n"
	    "\tchain postrouting {\n"
	    "\t\ttype filter hook postrouting priority srcnat + 10; policy accept;\n"
	    "\t\tct direction original counter name \"out_to_destination\"\n"
	    "\t\tct direction reply counter name \"out_to_source\"\n"
	    "\t}\n", ip, ip, ip, ip);
	nft = PUSH(p->nft, p->n_nft);
	STR_COPY(nft->ns, ns);
	nft->text = dp_nft_end(&b, &p->arena, nft->hash);
	buf_fini(&b);
}

static void
plan_instance(struct dp_plan *p, const struct core_model *m, const struct core_instance *inst)
{
	const char *ns = inst->res.id;
	const struct core_image *img = core_image_find(inst->image_id);

	add_ns(p, ns, DP_NS_INSTANCE, inst->res.id);
	/* Unprivileged user data may listen on port 80 and ping. */
	add_sysctl(p, ns, "0", "net/ipv4/ip_unprivileged_port_start");
	add_sysctl(p, ns, "0 2147483647", "net/ipv4/ping_group_range");
	if (img && img->is_nat)
		plan_nat_instance(p, m, inst);
	if (inst->state == CORE_INSTANCE_PENDING || inst->state == CORE_INSTANCE_RUNNING) {
		struct dp_boot *b = PUSH(p->boots, p->n_boots);

		STR_COPY(b->ns, ns);
		STR_COPY(b->instance_id, inst->res.id);
		b->boot = inst->boot;
		if (inst->user_data) {
			struct buf script;

			buf_init(&script);
			if (base64_decode(inst->user_data, &script) == 0)
				b->script = arena_strndup(&p->arena, script.data, script.len);
			buf_fini(&script);
		}
	}
}

/* Sort orders: by namespace, then by the object's own key. */
static int
cmp_ns(const void *a, const void *b)
{
	return strcmp(((const struct dp_ns *)a)->name, ((const struct dp_ns *)b)->name);
}

static int
cmp_link(const void *a, const void *b)
{
	const struct dp_link *x = a, *y = b;
	int c = strcmp(x->ns[0], y->ns[0]);

	return c ? c : strcmp(x->name[0], y->name[0]);
}

static int
cmp_addr(const void *a, const void *b)
{
	const struct dp_addr *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);

	if (c == 0)
		c = strcmp(x->dev, y->dev);
	if (c == 0)
		c = x->addr < y->addr ? -1 : x->addr > y->addr;
	return c ? c : x->plen - y->plen;
}

static int
cmp_route(const void *a, const void *b)
{
	const struct dp_route *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);

	if (c == 0)
		c = x->table < y->table ? -1 : x->table > y->table;
	if (c == 0)
		c = x->dst < y->dst ? -1 : x->dst > y->dst;
	return c ? c : x->plen - y->plen;
}

static int
cmp_rule(const void *a, const void *b)
{
	const struct dp_rule *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);

	if (c == 0)
		c = x->prio < y->prio ? -1 : x->prio > y->prio;
	return c ? c : (x->mark < y->mark ? -1 : x->mark > y->mark);
}

static int
cmp_sysctl(const void *a, const void *b)
{
	const struct dp_sysctl *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->key, y->key);
}

static int
cmp_nft(const void *a, const void *b)
{
	return strcmp(((const struct dp_nft *)a)->ns, ((const struct dp_nft *)b)->ns);
}

static int
cmp_boot(const void *a, const void *b)
{
	return strcmp(((const struct dp_boot *)a)->ns, ((const struct dp_boot *)b)->ns);
}

struct dp_plan *
dp_plan_build(const struct core_model *m, const struct dp_config *cfg)
{
	struct dp_plan *p = xcalloc(1, sizeof(*p));
	char edge[DP_NS_MAX], inet[DP_NS_MAX];
	uint32_t host = cfg->internet.addr + 10, gw = cfg->internet.addr + 1;

	arena_init(&p->arena);
	/* The simulated internet: an edge router and one host behind it. */
	dp_edge_ns(cfg, edge);
	dp_internet_ns(cfg, inet);
	add_ns(p, edge, DP_NS_EDGE, "");
	add_ns(p, inet, DP_NS_INTERNET, "");
	add_sysctl(p, edge, "1", "net/ipv4/ip_forward");
	add_link(p, edge, "inet0", inet, "eth0", NULL);
	add_addr(p, edge, "inet0", gw, cfg->internet.len);
	add_addr(p, inet, "eth0", host, cfg->internet.len);
	add_route(p, inet, 254, (struct core_cidr){ 0, 0 }, DP_ROUTE_UNICAST)->gw = gw;
	STR_COPY(p->routes[p->n_routes - 1].dev, "eth0");
	add_sysctl(p, inet, "0", "net/ipv4/ip_unprivileged_port_start");
	add_sysctl(p, inet, "0 2147483647", "net/ipv4/ping_group_range");

	CORE_FOREACH(m, CORE_VPC, r)
		plan_vpc(p, m, (const struct core_vpc *)r, cfg, edge);
	CORE_FOREACH(m, CORE_INSTANCE, r) {
		const struct core_instance *inst = (const struct core_instance *)r;

		if (inst->state == CORE_INSTANCE_TERMINATED)
			continue;
		add_state(p, r, (int)inst->state);
		if (instance_has_ns(inst))
			plan_instance(p, m, inst);
	}
	CORE_FOREACH(m, CORE_NATGW, r) {
		const struct core_natgw *nat = (const struct core_natgw *)r;

		if (nat->state == CORE_NATGW_PENDING || nat->state == CORE_NATGW_DELETING)
			add_state(p, r, (int)nat->state);
		if (core_natgw_is_live(nat))
			plan_natgw(p, cfg, nat);
	}

	dp_plan_sort(p);
	return p;
}

void
dp_plan_sort(struct dp_plan *p)
{
	qsort(p->ns, p->n_ns, sizeof(*p->ns), cmp_ns);
	qsort(p->links, p->n_links, sizeof(*p->links), cmp_link);
	qsort(p->addrs, p->n_addrs, sizeof(*p->addrs), cmp_addr);
	qsort(p->routes, p->n_routes, sizeof(*p->routes), cmp_route);
	qsort(p->rules, p->n_rules, sizeof(*p->rules), cmp_rule);
	qsort(p->sysctls, p->n_sysctls, sizeof(*p->sysctls), cmp_sysctl);
	qsort(p->nft, p->n_nft, sizeof(*p->nft), cmp_nft);
	qsort(p->boots, p->n_boots, sizeof(*p->boots), cmp_boot);
}

int
dp_cmp_ns(const void *a, const void *b)
{
	return cmp_ns(a, b);
}

int
dp_cmp_link(const void *a, const void *b)
{
	return cmp_link(a, b);
}

int
dp_cmp_addr(const void *a, const void *b)
{
	return cmp_addr(a, b);
}

int
dp_cmp_route(const void *a, const void *b)
{
	return cmp_route(a, b);
}

int
dp_cmp_rule(const void *a, const void *b)
{
	return cmp_rule(a, b);
}

int
dp_cmp_sysctl(const void *a, const void *b)
{
	return cmp_sysctl(a, b);
}

int
dp_cmp_nft(const void *a, const void *b)
{
	return cmp_nft(a, b);
}

void
dp_plan_free(struct dp_plan *p)
{
	if (p == NULL)
		return;
	free(p->ns);
	free(p->links);
	free(p->addrs);
	free(p->routes);
	free(p->rules);
	free(p->sysctls);
	free(p->nft);
	free(p->boots);
	free(p->states);
	arena_fini(&p->arena);
	free(p);
}

static const char *const route_types[] = {
	[DP_ROUTE_UNICAST] = "unicast",
	[DP_ROUTE_BLACKHOLE] = "blackhole",
	[DP_ROUTE_THROW] = "throw",
	[DP_ROUTE_UNREACHABLE] = "unreachable",
};

void
dp_plan_dump(const struct dp_plan *p, struct buf *out)
{
	static const char *const kinds[] = { "router", "instance", "edge", "internet", "natgw" };
	char a[16], b[16];

	for (size_t i = 0; i < p->n_ns; i++)
		buf_printf(out, "ns %s %s %s\n", p->ns[i].name, kinds[p->ns[i].kind],
		    p->ns[i].owner_id[0] ? p->ns[i].owner_id : "-");
	for (size_t i = 0; i < p->n_links; i++) {
		const struct dp_link *l = &p->links[i];

		buf_printf(out, "link %s:%s %s:%s%s%s\n", l->ns[0], l->name[0], l->ns[1],
		    l->name[1], l->mac[1][0] ? " mac " : "", l->mac[1]);
	}
	for (size_t i = 0; i < p->n_addrs; i++) {
		core_ip_format(p->addrs[i].addr, a);
		buf_printf(out, "addr %s:%s %s/%u\n", p->addrs[i].ns, p->addrs[i].dev, a,
		    p->addrs[i].plen);
	}
	for (size_t i = 0; i < p->n_routes; i++) {
		const struct dp_route *r = &p->routes[i];

		core_ip_format(r->dst, a);
		buf_printf(out, "route %s table %u %s/%u %s", r->ns, r->table, a, r->plen,
		    route_types[r->type]);
		if (r->gw) {
			core_ip_format(r->gw, b);
			buf_printf(out, " via %s", b);
		}
		if (r->dev[0])
			buf_printf(out, " dev %s", r->dev);
		buf_puts(out, r->is_onlink ? " onlink\n" : "\n");
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct dp_rule *r = &p->rules[i];

		buf_printf(out, "rule %s prio %u mark 0x%x/0x%x %s %u\n", r->ns, r->prio, r->mark,
		    r->mask, r->action == DP_ROUTE_UNREACHABLE ? "unreachable" : "table",
		    r->table);
	}
	for (size_t i = 0; i < p->n_sysctls; i++)
		buf_printf(out, "sysctl %s %s = %s\n", p->sysctls[i].ns, p->sysctls[i].key,
		    p->sysctls[i].value);
	/* The ruleset itself has golden tests of its own (test_dp_nft). */
	for (size_t i = 0; i < p->n_nft; i++)
		buf_printf(out, "nft %s\n", p->nft[i].ns);
	for (size_t i = 0; i < p->n_boots; i++)
		buf_printf(out, "boot %s %u %s\n", p->boots[i].instance_id, p->boots[i].boot,
		    p->boots[i].script ? "user-data" : "-");
	for (size_t i = 0; i < p->n_states; i++)
		buf_printf(out, "%s %s state %d\n", core_type_name(p->states[i].type),
		    p->states[i].id, p->states[i].state);
}
