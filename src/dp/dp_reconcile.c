/*
 * The reconciler: keeps the kernel equal to the plan.
 *
 * A pass takes the plan, a "base" (what the kernel holds: the last applied
 * plan, or on a full pass a fresh observation), merges the two sorted by
 * key and performs the difference in dependency order: namespaces, links,
 * sysctls, addresses, routes, rules, nftables tables, then instance
 * processes.  Objects that are already right are not touched, which is
 * what lets a restarted daemon adopt its kernel state without disturbing
 * established connections.
 */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp.h"
#include "dp_int.h"
#include "dp_nft.h"
#include "dp_nl.h"

#define PUSH(arr, n) \
	(memset(&((arr) = xreallocarray((arr), (n) + 1, sizeof(*(arr))))[(n)], 0, \
	    sizeof(*(arr))), &(arr)[(n)++])

/*
 * What a full pass has observed so far.  A full pass makes way for a
 * change that arrives while it observes; what it saw stays valid but in
 * the namespaces the change touches (touch()), so the next attempt goes on
 * where it stopped and reads only those again.
 */
struct partial {
	bool is_active;
	struct dp_nl_obs o;
	struct map done;             /* observed namespaces (owned name strings) */
	struct map foreign;          /* instance-like names without our marker */
};

struct dp_reconciler {
	struct dp_config cfg;
	dp_plan_fn plan_fn;
	dp_report_fn report_fn;
	void *arg;
	struct dp_plan *applied;     /* what the last pass made true */
	bool need_full;
	int64_t last_full_ns;        /* monotonic: when the last full pass ended */
	int64_t full_cost_ns;        /* how long it took */
	unsigned n_deferred;         /* full passes in a row that made way for a change */
	struct partial part;
	struct map boots;            /* instance id -> struct boot_done */
	struct map errors;           /* messages logged in the last pass */
	struct map errors_now;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool is_kicked, is_stopping, is_started;
};

/* A boot whose user data ran; keyed by its id in the reconciler's map. */
struct boot_done {
	char id[CORE_ID_MAX];
	unsigned boot;
};

/* One pass's bookkeeping. */
struct pass {
	struct dp_reconciler *r;
	struct dp_nl *nl;
	struct map created;          /* namespaces made in this pass */
	struct map new_links;        /* "ns/ifname" of links made in this pass */
	struct map deleted;          /* namespaces removed in this pass */
	bool can_yield;              /* a full pass that may make way for a change */
	bool failed;
	size_t n_changes;
};

static bool
is_ours(const struct dp_config *cfg, const char *ns)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "vpcd-%s-", cfg->tag);
	return str_has_prefix(ns, prefix);
}

/* Logs a failure once while it keeps happening, and asks for a full pass. */
static void
fail(struct pass *p, const char *what, const char *err)
{
	char *msg = xasprintf("%s: %s", what, err);

	p->failed = true;
	if (map_get(&p->r->errors_now, msg)) {
		free(msg);
		return;
	}
	if (!map_get(&p->r->errors, msg))
		log_warnx("dataplane: %s", msg);
	map_put(&p->r->errors_now, msg, msg);
}

static void
errors_rotate(struct dp_reconciler *r)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(&r->errors, &i, &k, &v);)
		free(v);
	map_fini(&r->errors);
	r->errors = r->errors_now;
	map_init(&r->errors_now);
}

static void
partial_start(struct partial *part)
{
	dp_nl_obs_init(&part->o);
	map_init(&part->done);
	map_init(&part->foreign);
	part->is_active = true;
}

static void
free_values(struct map *m)
{
	const char *k;
	void *v;

	for (size_t i = 0; map_next(m, &i, &k, &v);)
		free(v);
	map_fini(m);
}

static void
partial_end(struct partial *part)
{
	if (!part->is_active)
		return;
	dp_nl_obs_fini(&part->o);
	free_values(&part->done);
	free_values(&part->foreign);
	part->is_active = false;
}

/* Keeps the elements of arr[0..n) whose namespace 'keep' says yes to. */
#define FILTER_NS(arr, n, keep)                                                 \
	do {                                                                    \
		size_t k_ = 0;                                                  \
		for (size_t i_ = 0; i_ < (n); i_++)                             \
			if (keep((arr)[i_].ns))                                  \
				(arr)[k_++] = (arr)[i_];                        \
		(n) = k_;                                                       \
	} while (0)

/* A change in namespace 'ns': a partial observation of it is stale. */
static void
touch(struct dp_reconciler *r, const char *ns)
{
	struct partial *part = &r->part;
	char *name;

#define OTHER(x) (strcmp((x), ns) != 0)
	if (!part->is_active)
		return;
	free(map_del(&part->foreign, ns));
	if ((name = map_del(&part->done, ns)) == NULL)
		return;
	FILTER_NS(part->o.links, part->o.n_links, OTHER);
	FILTER_NS(part->o.addrs, part->o.n_addrs, OTHER);
	FILTER_NS(part->o.routes, part->o.n_routes, OTHER);
	FILTER_NS(part->o.rules, part->o.n_rules, OTHER);
#undef OTHER
	free(name);
}

/* Counts a change in namespace 'ns' (NULL: nothing a full pass's partial
 * observation holds); at debug level, says what it was. */
static void
note(struct pass *p, const char *ns, const char *fmt, ...) PRINTF(3, 4);

static void
note(struct pass *p, const char *ns, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ns)
		touch(p->r, ns);
	p->n_changes++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug("dataplane: %s", msg);
}

static bool
ns_gone(const struct pass *p, const char *ns)
{
	return map_get(&p->deleted, ns) != NULL;
}

/* ---- Observation: the kernel in the plan's shape ---- */

static int
ns_order(const char *cfg_tag, const char *ns)
{
	char edge[32];

	snprintf(edge, sizeof(edge), "vpcd-%s-edge", cfg_tag);
	if (str_has_prefix(ns, "vpcd-") && strstr(ns, "-vpc-"))
		return 0;   /* routers first: their ends are end [0] */
	if (strcmp(ns, edge) == 0)
		return 1;
	return 2;
}

/* Namespace names in observation order: routers, the edge, the rest. */
static int
cmp_ns_names(const struct dp_config *cfg, const char *x, const char *y)
{
	int ox = ns_order(cfg->tag, x), oy = ns_order(cfg->tag, y);

	return ox != oy ? ox - oy : strcmp(x, y);
}

static int
cmp_observe_order(const void *a, const void *b, void *arg)
{
	return cmp_ns_names(arg, ((const struct dp_ns *)a)->name, ((const struct dp_ns *)b)->name);
}

/* Whether instance namespace 'ns' carries this daemon's marker. */
static bool
has_marker(struct dp_nl *nl, const struct dp_config *cfg, const char *ns)
{
	struct dp_nl_obs o;
	char marker[DP_IF_MAX];
	bool found = false;

	dp_marker_ifname(cfg, marker);
	dp_nl_obs_init(&o);
	if (dp_nl_links(nl, ns, &o, NULL, 0) == 0)
		for (size_t i = 0; i < o.n_links; i++)
			if (strcmp(o.links[i].name, marker) == 0)
				found = true;
	dp_nl_obs_fini(&o);
	return found;
}

/*
 * Inside an instance the guest may add addresses and routes of its own
 * (it runs commands as root through vpcctl exec, like an administrator on
 * an EC2 instance): a full pass manages only what the plan has there.
 * What vpcd installed and no longer wants is still removed, by the
 * incremental passes that compare with the last applied plan.
 */
static void
guest_filter(struct dp_plan *obs, const struct dp_plan *want)
{
	struct map instances;
	size_t k = 0;

	map_init(&instances);
	for (size_t i = 0; i < obs->n_ns; i++)
		if (obs->ns[i].kind == DP_NS_INSTANCE)
			map_put(&instances, obs->ns[i].name, &obs->ns[i]);
	for (size_t i = 0; i < obs->n_addrs; i++)
		if (!map_get(&instances, obs->addrs[i].ns) ||
		    bsearch(&obs->addrs[i], want->addrs, want->n_addrs, sizeof(*want->addrs),
		    dp_cmp_addr))
			obs->addrs[k++] = obs->addrs[i];
	obs->n_addrs = k;
	k = 0;
	for (size_t i = 0; i < obs->n_routes; i++)
		if (!map_get(&instances, obs->routes[i].ns) ||
		    bsearch(&obs->routes[i], want->routes, want->n_routes, sizeof(*want->routes),
		    dp_cmp_route))
			obs->routes[k++] = obs->routes[i];
	obs->n_routes = k;
	map_fini(&instances);
}

/* "net/ipv4/conf/<if>/..." or "net/ipv4/neigh/<if>/...", not all/default. */
static bool
is_per_interface(const char *key)
{
	const char *rest = NULL;

	if (str_has_prefix(key, "net/ipv4/conf/"))
		rest = key + strlen("net/ipv4/conf/");
	else if (str_has_prefix(key, "net/ipv4/neigh/"))
		rest = key + strlen("net/ipv4/neigh/");
	return rest && !str_has_prefix(rest, "all/") && !str_has_prefix(rest, "default/");
}

/* A change is waiting for the reconciler. */
static bool
is_kicked(struct dp_reconciler *r)
{
	bool kicked;

	pthread_mutex_lock(&r->lock);
	kicked = r->is_kicked;
	pthread_mutex_unlock(&r->lock);
	return kicked;
}

/* Lists the namespaces that may be this daemon's, routers first: its own
 * by name, and every "i-" one (observe() checks the marker). */
static void
list_ns(const struct dp_config *cfg, struct dp_plan *obs)
{
	char **names;
	size_t n;

	if (dp_ns_list(&names, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		struct dp_ns *ns;

		if (!is_ours(cfg, names[i]) && !str_has_prefix(names[i], "i-"))
			continue;
		ns = PUSH(obs->ns, obs->n_ns);
		STR_COPY(ns->name, names[i]);
		ns->kind = str_has_prefix(names[i], "i-") ? DP_NS_INSTANCE : DP_NS_ROUTER;
	}
	dp_ns_list_free(names, n);
	qsort_r(obs->ns, obs->n_ns, sizeof(*obs->ns), cmp_observe_order, (void *)cfg);
}

/* Link ends in observation order (see dp_nl_links_pair). */
static int
cmp_end_order(const void *a, const void *b, void *arg)
{
	const struct dp_nl_link *x = a, *y = b;
	int c = cmp_ns_names(arg, x->ns, y->ns);

	return c ? c : x->ifindex - y->ifindex;
}

/*
 * Observes the kernel in the plan's shape.  Reading 1,000 namespaces
 * takes a while: a full pass that may yield gives up (NULL) as soon as a
 * change is waiting, once it has read one namespace; what it has read
 * waits in the reconciler's 'part' for the next attempt.
 */
static struct dp_plan *
observe(struct pass *p, const struct dp_plan *want)
{
	const struct dp_config *cfg = &p->r->cfg;
	struct partial *part = &p->r->part;
	struct dp_plan *obs = xcalloc(1, sizeof(*obs));
	struct map present;
	size_t n_read = 0, k = 0;
	char err[512];

	arena_init(&obs->arena);
	map_init(&present);
	if (!part->is_active)
		partial_start(part);
	dp_nl_gc(p->nl);
	list_ns(cfg, obs);
	for (size_t i = 0; i < obs->n_ns; i++) {
		const char *name = obs->ns[i].name;
		char *copy;

		if (map_get(&part->done, name) || map_get(&part->foreign, name))
			continue;
		if (p->can_yield && n_read > 0 && is_kicked(p->r)) {
			map_fini(&present);
			dp_plan_free(obs);
			return NULL;
		}
		n_read++;
		copy = xstrdup(name);
		if (!is_ours(cfg, name) && !has_marker(p->nl, cfg, name)) {
			/* Another daemon's, or nobody's: keep no fd of it. */
			dp_nl_forget(p->nl, name);
			map_put(&part->foreign, copy, copy);
			continue;
		}
		if (dp_nl_observe(p->nl, name, NULL, 0, &part->o, err, sizeof(err)))
			fail(p, "observe", err);
		map_put(&part->done, copy, copy);
	}
	for (size_t i = 0; i < obs->n_ns; i++)
		if (!map_get(&part->foreign, obs->ns[i].name))
			obs->ns[k++] = obs->ns[i];
	obs->n_ns = k;
	for (size_t i = 0; i < obs->n_ns; i++)
		map_put(&present, obs->ns[i].name, &obs->ns[i]);
	/* What namespaces gone since they were read had is gone too. */
#define PRESENT(x) (map_get(&present, (x)) != NULL)
	FILTER_NS(part->o.links, part->o.n_links, PRESENT);
	FILTER_NS(part->o.addrs, part->o.n_addrs, PRESENT);
	FILTER_NS(part->o.routes, part->o.n_routes, PRESENT);
	FILTER_NS(part->o.rules, part->o.n_rules, PRESENT);
#undef PRESENT
	/* Attempts read namespaces in any order; pairing wants them in
	 * observation order (a router's end is end [0]). */
	qsort_r(part->o.links, part->o.n_links, sizeof(*part->o.links), cmp_end_order,
	    (void *)cfg);
	obs->links = xcalloc(part->o.n_links + 1, sizeof(*obs->links));
	obs->n_links = dp_nl_links_pair(part->o.links, part->o.n_links, obs->links);
	obs->addrs = part->o.addrs;
	obs->n_addrs = part->o.n_addrs;
	obs->routes = part->o.routes;
	obs->n_routes = part->o.n_routes;
	obs->rules = part->o.rules;
	obs->n_rules = part->o.n_rules;
	part->o.addrs = NULL;
	part->o.routes = NULL;
	part->o.rules = NULL;
	partial_end(part);
	/* Sysctls and tables: only what the plan wants, where it exists. */
	for (size_t i = 0; i < want->n_sysctls; i++) {
		const struct dp_sysctl *s = &want->sysctls[i];
		struct dp_sysctl *got;

		const struct dp_ns *ns = map_get(&present, s->ns);

		if (ns == NULL)
			continue;
		got = PUSH(obs->sysctls, obs->n_sysctls);
		*got = *s;
		/* After creation an instance's sysctls are the guest's own
		 * (it may enable forwarding, say).  An interface's are set
		 * when vpcd creates it (in the same pass, see
		 * sysctl_of_new_link()): only the first pass of a daemon
		 * reads them back.  Reading /proc/sys of 1,000 interfaces or
		 * namespaces would be most of the cost of a full pass. */
		if (ns->kind == DP_NS_INSTANCE || (p->r->applied && is_per_interface(s->key)))
			continue;
		if (dp_nl_sysctl_read(p->nl, s->ns, s->key, got->value, sizeof(got->value),
		    NULL, 0))
			got->value[0] = '\0';
	}
	for (size_t i = 0; i < want->n_nft; i++) {
		struct dp_nft *got;

		if (!map_get(&present, want->nft[i].ns))
			continue;
		got = PUSH(obs->nft, obs->n_nft);
		STR_COPY(got->ns, want->nft[i].ns);
		if (dp_nft_observe_hash(got->ns, got->hash))
			got->hash[0] = '\0';
	}
	map_fini(&present);
	dp_plan_sort(obs);
	guest_filter(obs, want);
	return obs;
}

/* ---- Applying the difference ---- */

/* Merges two key-sorted arrays, calling on_base for keys only in 'base',
 * on_want for keys only in 'want', and on_both for keys in both. */
#define MERGE(base, nb, want, nw, cmp, on_base, on_want, on_both)             \
	do {                                                                    \
		size_t i_ = 0, j_ = 0;                                          \
		while (i_ < (nb) || j_ < (nw)) {                                \
			int c_ = i_ == (nb) ? 1 : j_ == (nw) ? -1 :             \
			    cmp(&(base)[i_], &(want)[j_]);                     \
			if (c_ < 0) {                                           \
				on_base(&(base)[i_]);                           \
				i_++;                                           \
			} else if (c_ > 0) {                                    \
				on_want(&(want)[j_]);                           \
				j_++;                                           \
			} else {                                                \
				on_both(&(base)[i_], &(want)[j_]);              \
				i_++;                                           \
				j_++;                                           \
			}                                                       \
		}                                                               \
	} while (0)

/* Removes an instance's home directory (files its user data wrote). */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void
forget_instance(struct dp_reconciler *r, const char *id)
{
	char home[256];

	dp_instance_forget(&r->cfg, id);
	snprintf(home, sizeof(home), "/tmp/vpcd-%s/%s", r->cfg.tag, id);
	nftw(home, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(map_del(&r->boots, id));
}

static void
apply_ns(struct pass *p, const struct dp_plan *base, const struct dp_plan *want)
{
	char err[512], marker[DP_IF_MAX];
	int rc_;

	dp_marker_ifname(&p->r->cfg, marker);
#define NS_DEL(b)                                                               \
	do {                                                                    \
		if ((b)->kind == DP_NS_INSTANCE) {                              \
			dp_ns_kill_all((b)->name);                              \
			forget_instance(p->r, (b)->name);                       \
		}                                                               \
		dp_nft_forget((b)->name);                                       \
		rc_ = dp_nl_ns_del(p->nl, (b)->name, err, sizeof(err));         \
		if (rc_ && rc_ != -ENOENT)                                      \
			fail(p, "delete namespace", err);                       \
		map_put(&p->deleted, (b)->name, (void *)(b)->name);            \
		note(p, (b)->name, "namespace %s removed", (b)->name);          \
	} while (0)
#define NS_ADD(w)                                                               \
	do {                                                                    \
		if (dp_nl_ns_add(p->nl, (w)->name, err, sizeof(err))) {         \
			fail(p, "create namespace", err);                       \
			break;                                                  \
		}                                                               \
		if ((w)->kind == DP_NS_INSTANCE &&                              \
		    dp_nl_marker_add(p->nl, (w)->name, marker, err, sizeof(err))) \
			fail(p, "mark namespace", err);                         \
		map_put(&p->created, (w)->name, (void *)(w)->name);            \
		note(p, (w)->name, "namespace %s created", (w)->name);          \
	} while (0)
#define NS_BOTH(b, w) do { } while (0)
	MERGE(base->ns, base->n_ns, want->ns, want->n_ns, dp_cmp_ns, NS_DEL, NS_ADD, NS_BOTH);
#undef NS_DEL
#undef NS_ADD
#undef NS_BOTH
}

static bool
link_equal(const struct dp_link *a, const struct dp_link *b)
{
	return strcmp(a->ns[1], b->ns[1]) == 0 && strcmp(a->name[1], b->name[1]) == 0 &&
	    (b->mac[1][0] == '\0' || strcasecmp(a->mac[1], b->mac[1]) == 0);
}

static void
link_add(struct pass *p, const struct dp_link *w)
{
	char err[512];

	if (dp_nl_veth_add(p->nl, w, err, sizeof(err)))
		fail(p, "create link", err);
	for (int end = 0; end < 2; end++) {
		char *key = xasprintf("%s/%s", w->ns[end], w->name[end]);

		if (map_put(&p->new_links, key, key))
			free(key);  /* (the same link twice cannot happen) */
	}
	touch(p->r, w->ns[1]);
	note(p, w->ns[0], "link %s:%s created", w->ns[0], w->name[0]);
}

static void
link_del(struct pass *p, const struct dp_link *b)
{
	char err[512];
	int rc;

	if (ns_gone(p, b->ns[0]) || (b->name[1][0] && ns_gone(p, b->ns[1])))
		return;  /* went with its namespace */
	rc = dp_nl_link_del(p->nl, b->ns[0], b->name[0], err, sizeof(err));
	if (rc && rc != -ENODEV)
		fail(p, "delete link", err);
	touch(p->r, b->ns[1]);
	note(p, b->ns[0], "link %s:%s removed", b->ns[0], b->name[0]);
}

static void
apply_links(struct pass *p, const struct dp_plan *base, const struct dp_plan *want)
{
#define L_DEL(b) link_del(p, b)
#define L_ADD(w) link_add(p, w)
#define L_BOTH(b, w)                                                            \
	do {                                                                    \
		if (!link_equal(b, w)) {                                        \
			link_del(p, b);                                         \
			link_add(p, w);                                         \
		}                                                               \
	} while (0)
	MERGE(base->links, base->n_links, want->links, want->n_links, dp_cmp_link, L_DEL,
	    L_ADD, L_BOTH);
#undef L_DEL
#undef L_ADD
#undef L_BOTH
}

/* Whether sysctl 's' belongs to an interface created in this pass (a new
 * interface starts with the defaults, whatever was read before). */
static bool
sysctl_of_new_link(const struct pass *p, const struct dp_sysctl *s)
{
	const char *name;
	char key[DP_NS_MAX + DP_IF_MAX + 2];
	size_t n;

	if (!str_has_prefix(s->key, "net/ipv4/conf/") && !str_has_prefix(s->key, "net/ipv4/neigh/"))
		return false;
	name = strchr(s->key + strlen("net/ipv4/"), '/') + 1;
	n = strcspn(name, "/");
	if (n >= DP_IF_MAX)
		return false;
	snprintf(key, sizeof(key), "%s/%.*s", s->ns, (int)n, name);
	return map_get(&p->new_links, key) != NULL;
}

/* The kernel separates multi-valued sysctls with tabs: compare words. */
static bool
sysctl_equal(const char *a, const char *b)
{
	for (;;) {
		a += strspn(a, " \t\n");
		b += strspn(b, " \t\n");
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		size_t na = strcspn(a, " \t\n"), nb = strcspn(b, " \t\n");
		if (na != nb || strncmp(a, b, na) != 0)
			return false;
		a += na;
		b += nb;
	}
}

static void
apply_sysctls(struct pass *p, const struct dp_plan *base, const struct dp_plan *want)
{
	char err[512];

#define S_DEL(b) do { } while (0)
#define S_ADD(w)                                                                \
	do {                                                                    \
		if (dp_nl_sysctl_write(p->nl, (w)->ns, (w)->key, (w)->value, err,   \
		    sizeof(err)))                                               \
			fail(p, "sysctl", err);                                 \
		note(p, NULL, "sysctl %s %s = %s", (w)->ns, (w)->key, (w)->value); \
	} while (0)
#define S_BOTH(b, w)                                                            \
	do {                                                                    \
		if (!sysctl_equal((b)->value, (w)->value) ||                    \
		    sysctl_of_new_link(p, w))                                   \
			S_ADD(w);                                               \
	} while (0)
	MERGE(base->sysctls, base->n_sysctls, want->sysctls, want->n_sysctls, dp_cmp_sysctl,
	    S_DEL, S_ADD, S_BOTH);
#undef S_DEL
#undef S_ADD
#undef S_BOTH
}

static void
apply_addrs(struct pass *p, const struct dp_plan *base, const struct dp_plan *want)
{
	char err[512];

#define A_DEL(b)                                                                \
	do {                                                                    \
		int rc_ = ns_gone(p, (b)->ns) ? 0 :                            \
		    dp_nl_addr_del(p->nl, b, err, sizeof(err));                 \
		if (rc_ && rc_ != -EADDRNOTAVAIL && rc_ != -ENODEV)             \
			fail(p, "delete address", err);                         \
		note(p, (b)->ns, "address %s:%s %08x/%u removed", (b)->ns, (b)->dev, (b)->addr, \
		    (b)->plen);                                                 \
	} while (0)
#define A_ADD(w)                                                                \
	do {                                                                    \
		if (dp_nl_addr_add(p->nl, w, err, sizeof(err)))                 \
			fail(p, "add address", err);                            \
		note(p, (w)->ns, "address %s:%s %08x/%u added", (w)->ns, (w)->dev, (w)->addr, \
		    (w)->plen);                                                 \
	} while (0)
#define A_BOTH(b, w) do { } while (0)
	MERGE(base->addrs, base->n_addrs, want->addrs, want->n_addrs, dp_cmp_addr, A_DEL,
	    A_ADD, A_BOTH);
#undef A_DEL
#undef A_ADD
#undef A_BOTH
}

static bool
route_equal(const struct dp_route *a, const struct dp_route *b)
{
	return a->type == b->type && a->gw == b->gw && strcmp(a->dev, b->dev) == 0 &&
	    a->is_onlink == b->is_onlink;
}

/*
 * Routes in two steps around the rules (apply_routes(.., false), rules,
 * apply_routes(.., true)): a route that moves between kernel tables, as
 * all do when a VPC goes from one route table to policy routing or back,
 * is in its new table before the rules lead there and leaves the old one
 * only after, so that no packet meanwhile finds no route.
 */
static void
apply_routes(struct pass *p, const struct dp_plan *base, const struct dp_plan *want,
    bool is_removing)
{
	char err[512];

#define R_DEL(b)                                                                \
	do {                                                                    \
		if (!is_removing)                                               \
			break;                                                  \
		int rc_ = ns_gone(p, (b)->ns) ? 0 :                            \
		    dp_nl_route_del(p->nl, b, err, sizeof(err));                \
		if (rc_ && rc_ != -ESRCH && rc_ != -ENOENT)                     \
			fail(p, "delete route", err);                           \
		note(p, (b)->ns, "route %s table %u %08x/%u removed", (b)->ns, (b)->table, \
		    (b)->dst, (b)->plen);                                       \
	} while (0)
#define R_ADD(w)                                                                \
	do {                                                                    \
		if (is_removing)                                                \
			break;                                                  \
		if (dp_nl_route_replace(p->nl, w, err, sizeof(err)))            \
			fail(p, "route", err);                                  \
		note(p, (w)->ns, "route %s table %u %08x/%u set", (w)->ns, (w)->table,   \
		    (w)->dst, (w)->plen);                                       \
	} while (0)
#define R_BOTH(b, w)                                                            \
	do {                                                                    \
		if (!route_equal(b, w))                                         \
			R_ADD(w);                                               \
	} while (0)
	MERGE(base->routes, base->n_routes, want->routes, want->n_routes, dp_cmp_route, R_DEL,
	    R_ADD, R_BOTH);
#undef R_DEL
#undef R_ADD
#undef R_BOTH
}

/*
 * Rules: new ones first, lowest priority number (met first) first; then
 * the ones no longer wanted from the highest number down.  Going from
 * policy routing to one table, the "unreachable" rule must go before the
 * ENI table's rule, or a packet meanwhile meets it.
 */
static void
apply_rules(struct pass *p, const struct dp_plan *base, const struct dp_plan *want)
{
	char err[512];

#define U_DEL(b)                                                                \
	do {                                                                    \
		int rc_ = ns_gone(p, (b)->ns) ? 0 :                            \
		    dp_nl_rule_del(p->nl, b, err, sizeof(err));                 \
		if (rc_ && rc_ != -ENOENT)                                      \
			fail(p, "delete rule", err);                            \
		note(p, (b)->ns, "rule %s prio %u removed", (b)->ns, (b)->prio); \
	} while (0)
#define U_ADD(w)                                                                \
	do {                                                                    \
		int rc_ = dp_nl_rule_add(p->nl, w, err, sizeof(err));          \
		if (rc_ && rc_ != -EEXIST)                                      \
			fail(p, "rule", err);                                   \
		note(p, (w)->ns, "rule %s prio %u added", (w)->ns, (w)->prio); \
	} while (0)
#define U_BOTH(b, w)                                                            \
	do {                                                                    \
		if ((b)->table != (w)->table || (b)->mask != (w)->mask ||       \
		    (b)->action != (w)->action) {                               \
			U_DEL(b);                                               \
			U_ADD(w);                                               \
		}                                                               \
	} while (0)
#define U_LATER(b) ((void)(b))
	MERGE(base->rules, base->n_rules, want->rules, want->n_rules, dp_cmp_rule, U_LATER,
	    U_ADD, U_BOTH);
	for (size_t i = base->n_rules; i-- > 0;)
		if (bsearch(&base->rules[i], want->rules, want->n_rules, sizeof(*want->rules),
		    dp_cmp_rule) == NULL)
			U_DEL(&base->rules[i]);
#undef U_DEL
#undef U_ADD
#undef U_BOTH
#undef U_LATER
}

/* The text of the table that 'b' observed or applied, if vpcd knows it:
 * an observation has only the hash, which the last applied plan may match. */
static const char *
nft_base_text(const struct pass *p, const struct dp_nft *b)
{
	const struct dp_plan *ap = p->r->applied;
	const struct dp_nft *a;

	if (b->text || ap == NULL || b->hash[0] == '\0')
		return b->text;
	a = bsearch(b, ap->nft, ap->n_nft, sizeof(*ap->nft), dp_cmp_nft);
	return a && strcmp(a->hash, b->hash) == 0 ? a->text : NULL;
}

static void
apply_nft(struct pass *p, const struct dp_plan *base, const struct dp_plan *want)
{
	char err[1024];
	bool replaced;

#define N_DEL(b) do { } while (0)
#define N_LOAD(from, w)                                                          \
	do {                                                                    \
		if (dp_nft_apply((w)->ns, from, (w)->text, &replaced, err,       \
		    sizeof(err)))                                               \
			fail(p, "nftables", err);                               \
		note(p, NULL, "nftables %s %s", (w)->ns, replaced ? "loaded" : "changed"); \
	} while (0)
#define N_ADD(w) N_LOAD(NULL, w)
#define N_BOTH(b, w)                                                            \
	do {                                                                    \
		if (strcmp((b)->hash, (w)->hash) != 0)                          \
			N_LOAD(nft_base_text(p, b), w);                         \
	} while (0)
	MERGE(base->nft, base->n_nft, want->nft, want->n_nft, dp_cmp_nft, N_DEL, N_ADD, N_BOTH);
#undef N_DEL
#undef N_LOAD
#undef N_ADD
#undef N_BOTH
}

/* Runs user data once per boot; the boots already done are remembered. */
static void
apply_boots(struct pass *p, const struct dp_plan *want)
{
	for (size_t i = 0; i < want->n_boots; i++) {
		const struct dp_boot *b = &want->boots[i];
		struct boot_done *done = map_get(&p->r->boots, b->instance_id);
		int rc;

		if (done && done->boot >= b->boot)
			continue;
		if ((rc = dp_boot_run(&p->r->cfg, b)) != 0) {
			char err[256];

			snprintf(err, sizeof(err), "%s: %s", b->instance_id, strerror(-rc));
			fail(p, "user data", err);
			continue;
		}
		if (done == NULL) {
			done = xcalloc(1, sizeof(*done));
			STR_COPY(done->id, b->instance_id);
			map_put(&p->r->boots, done->id, done);
		}
		done->boot = b->boot;
	}
}

/* The state an instance or NAT gateway reaches with this pass, or -1. */
static int
reached(struct pass *p, const struct dp_state *in)
{
	char ns[DP_NS_MAX];

	if (in->type == CORE_NATGW) {
		if (in->state == CORE_NATGW_PENDING)
			return p->failed ? -1 : CORE_NATGW_AVAILABLE;
		dp_natgw_ns(&p->r->cfg, in->id, ns);  /* deleting */
		return dp_ns_exists(ns) && !ns_gone(p, ns) ? -1 : CORE_NATGW_DELETED;
	}
	switch (in->state) {
	case CORE_INSTANCE_PENDING:
		return p->failed ? -1 : CORE_INSTANCE_RUNNING;
	case CORE_INSTANCE_STOPPING:
		dp_ns_kill_all(in->id);
		return CORE_INSTANCE_STOPPED;
	case CORE_INSTANCE_SHUTTING_DOWN:
		return dp_ns_exists(in->id) && !ns_gone(p, in->id) ? -1 :
		    CORE_INSTANCE_TERMINATED;
	default:
		return -1;
	}
}

/* The states this pass made true. */
static void
report_states(struct pass *p, const struct dp_plan *want)
{
	struct dp_state *changes = NULL;
	size_t n = 0;

	for (size_t i = 0; i < want->n_states; i++) {
		int to = reached(p, &want->states[i]);

		if (to < 0)
			continue;
		*PUSH(changes, n) = want->states[i];
		changes[n - 1].state = to;
	}
	if (n && p->r->report_fn)
		p->r->report_fn(p->r->arg, changes, n);
	free(changes);
}

/*
 * One pass: against the kernel (full) or against the last applied plan.
 * Returns false if it failed; '*deferred' (full passes only) tells that
 * it made way for a change and did nothing.
 */
static bool
run_pass(struct dp_reconciler *r, struct dp_nl *nl, struct dp_plan *want, bool full,
    bool *deferred)
{
	struct pass p = { .r = r, .nl = nl };
	struct dp_plan *base = r->applied;
	int64_t t0 = time_mono_ns();

	map_init(&p.created);
	map_init(&p.deleted);
	map_init(&p.new_links);
	/* Not forever: after DP_FULL_PASS_DEFER_MAX deferrals (counted by
	 * reconcile_main()) the full pass goes through. */
	p.can_yield = deferred && r->applied && r->n_deferred < DP_FULL_PASS_DEFER_MAX;
	if (deferred)
		*deferred = false;
	if (full || r->applied == NULL) {
		base = observe(&p, want);
		if (base == NULL) {
			log_debug("dataplane: full pass deferred by a change");
			*deferred = true;
			dp_plan_free(want);
			goto out;
		}
	}
	apply_ns(&p, base, want);
	apply_links(&p, base, want);
	apply_sysctls(&p, base, want);
	apply_addrs(&p, base, want);
	apply_routes(&p, base, want, false);
	apply_rules(&p, base, want);
	apply_routes(&p, base, want, true);
	apply_nft(&p, base, want);
	apply_boots(&p, want);
	report_states(&p, want);
	/* Keep fds only for routers and the internet: a cached socket per
	 * instance would run past FD_SETSIZE, which libnftables cannot use. */
	for (size_t i = 0; i < want->n_ns; i++)
		if (want->ns[i].kind == DP_NS_INSTANCE)
			dp_nl_forget(nl, want->ns[i].name);
	if (full && p.n_changes && r->applied)
		log_info("dataplane: repaired %zu objects that had drifted", p.n_changes);
	log_debug("dataplane: %s pass, %zu changes, %.1f ms", full ? "full" : "incremental",
	    p.n_changes, (double)(time_mono_ns() - t0) / 1e6);
	if (base != r->applied)
		dp_plan_free(base);
	dp_plan_free(r->applied);
	r->applied = want;
	r->need_full = p.failed;
	if (full) {
		r->last_full_ns = time_mono_ns();
		r->full_cost_ns = r->last_full_ns - t0;
		r->n_deferred = 0;
	}
	errors_rotate(r);
out:
	{
		const char *k;
		void *v;

		for (size_t i = 0; map_next(&p.new_links, &i, &k, &v);)
			free(v);
	}
	map_fini(&p.created);
	map_fini(&p.deleted);
	map_fini(&p.new_links);
	return !p.failed;
}

/* When the next full pass is due: DP_FULL_PASS_MS after the last, or
 * later if full passes are costly, so that they take at most
 * 1/DP_FULL_PASS_SHARE of the reconciler's time (a pass over 1,000
 * instances takes a few hundred ms), but never more than
 * DP_FULL_PASS_MAX_MS after it (one slow pass must not delay repairs). */
static int64_t
next_full_ns(const struct dp_reconciler *r)
{
	int64_t gap = (int64_t)DP_FULL_PASS_MS * 1000000;

	if (r->need_full)
		return 0;
	if (r->full_cost_ns * DP_FULL_PASS_SHARE > gap)
		gap = r->full_cost_ns * DP_FULL_PASS_SHARE;
	if (gap > (int64_t)DP_FULL_PASS_MAX_MS * 1000000)
		gap = (int64_t)DP_FULL_PASS_MAX_MS * 1000000;
	return r->last_full_ns + gap;
}

struct dp_reconciler *
dp_reconciler_new(const struct dp_config *cfg, dp_plan_fn plan, dp_report_fn report, void *arg)
{
	struct dp_reconciler *r = xcalloc(1, sizeof(*r));

	r->cfg = *cfg;
	r->plan_fn = plan;
	r->report_fn = report;
	r->arg = arg;
	map_init(&r->boots);
	map_init(&r->errors);
	map_init(&r->errors_now);
	pthread_mutex_init(&r->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&r->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	return r;
}

int
dp_reconciler_sync(struct dp_reconciler *r, struct dp_plan *plan)
{
	struct dp_nl *nl = dp_nl_new();
	bool ok;

	if (nl == NULL)
		return -errno;
	ok = run_pass(r, nl, plan, true, NULL);
	dp_nl_free(nl);
	return ok ? 0 : -EIO;
}

static void *
reconcile_main(void *arg)
{
	struct dp_reconciler *r = arg;
	struct dp_nl *nl = dp_nl_new();
	bool deferred = false;

	if (nl == NULL)
		fatal("dataplane: netlink");
	for (;;) {
		struct dp_plan *plan;
		int64_t due, t0;
		bool full, kicked;

		pthread_mutex_lock(&r->lock);
		due = next_full_ns(r);
		while (!r->is_kicked && !r->is_stopping && time_mono_ns() < due) {
			struct timespec ts = { .tv_sec = due / 1000000000, .tv_nsec = due % 1000000000 };

			pthread_cond_timedwait(&r->cond, &r->lock, &ts);
		}
		kicked = r->is_kicked;
		r->is_kicked = false;
		if (r->is_stopping) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		pthread_mutex_unlock(&r->lock);
		t0 = time_mono_ns();
		plan = r->plan_fn(r->arg);
		log_debug("dataplane: plan built in %.1f ms", (double)(time_mono_ns() - t0) / 1e6);
		/* A change first, the full pass right after it: what a full pass
		 * changes is then drift, and it logs so. */
		full = time_mono_ns() >= due;
		if (full && (deferred || kicked) && r->n_deferred < DP_FULL_PASS_DEFER_MAX) {
			full = false;
			r->n_deferred++;
		}
		run_pass(r, nl, plan, full, &deferred);
	}
	dp_nl_free(nl);
	return NULL;
}

void
dp_reconciler_start(struct dp_reconciler *r)
{
	if (pthread_create(&r->thread, NULL, reconcile_main, r))
		fatal("pthread_create");
	r->is_started = true;
}

void
dp_reconciler_kick(struct dp_reconciler *r)
{
	pthread_mutex_lock(&r->lock);
	r->is_kicked = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void
dp_reconciler_stop(struct dp_reconciler *r)
{
	if (r == NULL || !r->is_started)
		return;
	pthread_mutex_lock(&r->lock);
	r->is_stopping = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	r->is_started = false;
}

void
dp_reconciler_free(struct dp_reconciler *r)
{
	const char *k;
	void *v;

	if (r == NULL)
		return;
	dp_reconciler_stop(r);
	partial_end(&r->part);
	dp_plan_free(r->applied);
	for (size_t i = 0; map_next(&r->boots, &i, &k, &v);)
		free(v);
	map_fini(&r->boots);
	errors_rotate(r);
	errors_rotate(r);
	map_fini(&r->errors);
	map_fini(&r->errors_now);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r);
}

int
dp_purge(const struct dp_config *cfg)
{
	struct dp_reconciler *r = dp_reconciler_new(cfg, NULL, NULL, NULL);
	struct dp_plan *empty = xcalloc(1, sizeof(*empty));
	char dir[64];
	int rc;

	/* Reconciling against an empty plan removes everything that is ours. */
	arena_init(&empty->arena);
	rc = dp_reconciler_sync(r, empty);
	dp_reconciler_free(r);
	snprintf(dir, sizeof(dir), "/tmp/vpcd-%s", cfg->tag);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
