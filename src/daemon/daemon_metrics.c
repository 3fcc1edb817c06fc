/*
 * What GET /metrics adds to the API's own request metrics: per NAT
 * gateway, the metrics AWS publishes to CloudWatch (namespace AWS/NATGateway),
 * under the same names in snake case, read from the gateway's namespace
 * (idle timeouts: counted by the collector thread, which follows its
 * connection table); per VPC, its tracked connections and the packets its
 * security groups and network ACLs rejected; the flow-log collector's lost
 * events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

struct natgw_sample {
	char id[CORE_ID_MAX];
	struct dp_natgw_stats st;
	uint64_t idle_timeouts;       /* from the collector's thread */
};

struct vpc_sample {
	char id[CORE_ID_MAX];
	struct dp_router_stats st;
};

struct lists {
	struct natgw_sample *natgws;
	size_t n_natgws;
	struct vpc_sample *vpcs;
	size_t n_vpcs;
};

static int
list_resources(const struct core_model *m, void *arg)
{
	struct lists *l = arg;

	CORE_FOREACH(m, CORE_NATGW, r)
		if (((const struct core_natgw *)r)->state == CORE_NATGW_AVAILABLE) {
			l->natgws = xreallocarray(l->natgws, l->n_natgws + 1, sizeof(*l->natgws));
			memset(&l->natgws[l->n_natgws], 0, sizeof(*l->natgws));
			STR_COPY(l->natgws[l->n_natgws++].id, r->id);
		}
	CORE_FOREACH(m, CORE_VPC, r) {
		l->vpcs = xreallocarray(l->vpcs, l->n_vpcs + 1, sizeof(*l->vpcs));
		memset(&l->vpcs[l->n_vpcs], 0, sizeof(*l->vpcs));
		STR_COPY(l->vpcs[l->n_vpcs++].id, r->id);
	}
	return 0;
}

/* A metric's value for one gateway. */
typedef uint64_t (*natgw_value_fn)(const struct natgw_sample *s);

#define COUNTER(fn, field, k) \
	static uint64_t fn(const struct natgw_sample *s) { return s->st.field[k]; }
COUNTER(bytes_in_dst, bytes, DP_NATGW_IN_FROM_DESTINATION)
COUNTER(bytes_in_src, bytes, DP_NATGW_IN_FROM_SOURCE)
COUNTER(bytes_out_dst, bytes, DP_NATGW_OUT_TO_DESTINATION)
COUNTER(bytes_out_src, bytes, DP_NATGW_OUT_TO_SOURCE)
COUNTER(attempts, packets, DP_NATGW_ATTEMPTS)
COUNTER(established, packets, DP_NATGW_ESTABLISHED)
COUNTER(pkts_in_dst, packets, DP_NATGW_IN_FROM_DESTINATION)
COUNTER(pkts_in_src, packets, DP_NATGW_IN_FROM_SOURCE)
COUNTER(pkts_out_src, packets, DP_NATGW_OUT_TO_SOURCE)
#undef COUNTER
static uint64_t active(const struct natgw_sample *s) { return s->st.active; }
static uint64_t idle(const struct natgw_sample *s) { return s->idle_timeouts; }
static uint64_t port_errors(const struct natgw_sample *s) { return s->st.insert_failed; }
/* A connection that found no port is dropped after the out counters saw
 * its first packet. */
static uint64_t
drops(const struct natgw_sample *s)
{
	return s->st.packets[DP_NATGW_DROPPED] + s->st.insert_failed;
}
static uint64_t
pkts_out_dst(const struct natgw_sample *s)
{
	uint64_t n = s->st.packets[DP_NATGW_OUT_TO_DESTINATION];

	return n > s->st.insert_failed ? n - s->st.insert_failed : 0;
}

static const struct {
	const char *name, *type, *help;
	natgw_value_fn fn;
} natgw_metrics[] = {
	{ "active_connection_count", "gauge", "TCP connections in state established", active },
	{ "bytes_in_from_destination", "counter", "Bytes received from destinations",
	  bytes_in_dst },
	{ "bytes_in_from_source", "counter", "Bytes received from clients in the VPC",
	  bytes_in_src },
	{ "bytes_out_to_destination", "counter", "Bytes sent to destinations", bytes_out_dst },
	{ "bytes_out_to_source", "counter", "Bytes sent to clients in the VPC", bytes_out_src },
	{ "connection_attempt_count", "counter", "New connections attempted", attempts },
	{ "connection_established_count", "counter", "Connections that got a reply",
	  established },
	{ "error_port_allocation", "counter", "New connections that found no free source port",
	  port_errors },
	{ "idle_timeout_count", "counter",
	  "TCP connections that ended idle (established, no packet for the idle timeout)",
	  idle },
	{ "packets_drop_count", "counter", "Packets dropped", drops },
	{ "packets_in_from_destination", "counter", "Packets received from destinations",
	  pkts_in_dst },
	{ "packets_in_from_source", "counter", "Packets received from clients in the VPC",
	  pkts_in_src },
	{ "packets_out_to_destination", "counter", "Packets sent to destinations",
	  pkts_out_dst },
	{ "packets_out_to_source", "counter", "Packets sent to clients in the VPC",
	  pkts_out_src },
};

static void
family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s.\n# TYPE %s %s\n", name, help, name, type);
}

void
daemon_metrics(struct api_server *srv, const struct dp_config *dp, struct dp_flowlogs *fl,
    struct buf *out)
{
	struct lists l = { 0 };
	size_t k = 0, kv = 0;
	char name[96];

	if (dp == NULL)
		return;
	api_server_read(srv, list_resources, &l);
	/* A gateway or router that cannot be read (being built or deleted)
	 * is left out. */
	for (size_t i = 0; i < l.n_natgws; i++)
		if (dp_natgw_stats(dp, l.natgws[i].id, &l.natgws[i].st) == 0) {
			l.natgws[i].idle_timeouts = dp_flowlogs_idle_timeouts(fl, l.natgws[i].id);
			l.natgws[k++] = l.natgws[i];
		}
	for (size_t i = 0; i < l.n_vpcs; i++)
		if (dp_router_stats(dp, l.vpcs[i].id, &l.vpcs[i].st) == 0)
			l.vpcs[kv++] = l.vpcs[i];
	for (size_t m = 0; m < ARRAY_SIZE(natgw_metrics); m++) {
		snprintf(name, sizeof(name), "vpcd_nat_gateway_%s", natgw_metrics[m].name);
		family(out, name, natgw_metrics[m].type, natgw_metrics[m].help);
		for (size_t i = 0; i < k; i++)
			buf_printf(out, "%s{nat_gateway_id=\"%s\"} %llu\n", name, l.natgws[i].id,
			    (unsigned long long)natgw_metrics[m].fn(&l.natgws[i]));
	}
	family(out, "vpcd_vpc_connections", "gauge",
	    "Connections the VPC's router tracks");
	for (size_t i = 0; i < kv; i++)
		buf_printf(out, "vpcd_vpc_connections{vpc_id=\"%s\"} %llu\n", l.vpcs[i].id,
		    (unsigned long long)l.vpcs[i].st.connections);
	family(out, "vpcd_vpc_rejected_packets_total", "counter",
	    "Packets the VPC's security groups and network ACLs rejected, on the sending "
	    "(out) or the receiving side (in)");
	for (size_t i = 0; i < kv; i++)
		for (int side = 0; side < 2; side++)
			buf_printf(out, "vpcd_vpc_rejected_packets_total{vpc_id=\"%s\",side=\"%s\"} "
			    "%llu\n", l.vpcs[i].id, side ? "in" : "out",
			    (unsigned long long)l.vpcs[i].st.rejected[side]);
	family(out, "vpcd_flow_log_lost_events_total", "counter",
	    "Netlink messages the kernel could not deliver to the flow-log collector "
	    "(each makes its windows SKIPDATA)");
	buf_printf(out, "vpcd_flow_log_lost_events_total %llu\n",
	    (unsigned long long)dp_flowlogs_lost(fl));
	free(l.natgws);
	free(l.vpcs);
}
