/*
 * What GET /metrics adds to the API's own request metrics: per NAT
 * gateway, the metrics AWS publishes to CloudWatch (namespace AWS/NATGateway),
 * under the same names in snake case, read from the gateway's namespace.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

struct natgw_sample {
	char id[CORE_ID_MAX];
	struct dp_natgw_stats st;
};

struct natgw_list {
	struct natgw_sample *v;
	size_t n;
};

static int
list_natgws(const struct core_model *m, void *arg)
{
	struct natgw_list *l = arg;

	CORE_FOREACH(m, CORE_NATGW, r)
		if (((const struct core_natgw *)r)->state == CORE_NATGW_AVAILABLE) {
			l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
			memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
			STR_COPY(l->v[l->n++].id, r->id);
		}
	return 0;
}

/* A metric's value for one gateway. */
typedef uint64_t (*natgw_value_fn)(const struct dp_natgw_stats *st);

#define COUNTER(fn, field, k) \
	static uint64_t fn(const struct dp_natgw_stats *st) { return st->field[k]; }
COUNTER(bytes_in_dst, bytes, DP_NATGW_IN_FROM_DESTINATION)
COUNTER(bytes_in_src, bytes, DP_NATGW_IN_FROM_SOURCE)
COUNTER(bytes_out_dst, bytes, DP_NATGW_OUT_TO_DESTINATION)
COUNTER(bytes_out_src, bytes, DP_NATGW_OUT_TO_SOURCE)
COUNTER(attempts, packets, DP_NATGW_ATTEMPTS)
COUNTER(established, packets, DP_NATGW_ESTABLISHED)
COUNTER(idle, packets, DP_NATGW_IDLE_RESETS)
COUNTER(pkts_in_dst, packets, DP_NATGW_IN_FROM_DESTINATION)
COUNTER(pkts_in_src, packets, DP_NATGW_IN_FROM_SOURCE)
COUNTER(pkts_out_src, packets, DP_NATGW_OUT_TO_SOURCE)
#undef COUNTER
static uint64_t active(const struct dp_natgw_stats *st) { return st->active; }
static uint64_t port_errors(const struct dp_natgw_stats *st) { return st->insert_failed; }
/* A connection that found no port is dropped after the out counters saw
 * its first packet. */
static uint64_t
drops(const struct dp_natgw_stats *st)
{
	return st->packets[DP_NATGW_DROPPED] + st->insert_failed;
}
static uint64_t
pkts_out_dst(const struct dp_natgw_stats *st)
{
	uint64_t n = st->packets[DP_NATGW_OUT_TO_DESTINATION];

	return n > st->insert_failed ? n - st->insert_failed : 0;
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
	  "Connections reset after the idle timeout (at the client's next packet)", idle },
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

void
daemon_metrics(struct api_server *srv, const struct dp_config *dp, struct buf *out)
{
	struct natgw_list l = { 0 };
	size_t k = 0;

	if (dp == NULL)
		return;
	api_server_read(srv, list_natgws, &l);
	/* A gateway whose namespace cannot be read (being deleted) is left out. */
	for (size_t i = 0; i < l.n; i++)
		if (dp_natgw_stats(dp, l.v[i].id, &l.v[i].st) == 0)
			l.v[k++] = l.v[i];
	for (size_t m = 0; m < ARRAY_SIZE(natgw_metrics); m++) {
		buf_printf(out, "# HELP vpcd_nat_gateway_%s %s.\n# TYPE vpcd_nat_gateway_%s %s\n",
		    natgw_metrics[m].name, natgw_metrics[m].help, natgw_metrics[m].name,
		    natgw_metrics[m].type);
		for (size_t i = 0; i < k; i++)
			buf_printf(out, "vpcd_nat_gateway_%s{nat_gateway_id=\"%s\"} %llu\n",
			    natgw_metrics[m].name, l.v[i].id,
			    (unsigned long long)natgw_metrics[m].fn(&l.v[i].st));
	}
	free(l.v);
}
