/*
 * The API's own metrics: requests by action and HTTP status, and a
 * latency histogram per action, in the Prometheus text format.  The HTTP
 * threads count with relaxed atomics; a scrape reads whatever is there.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_metrics.h"
#include "ec2_gen.h"

static const int statuses[] = { 200, 400, 401, 403, 405, 412, 413, 431, 500, 503 };
#define N_STATUS (ARRAY_SIZE(statuses) + 1)   /* the last: any other */
/* Upper bounds in microseconds; the last bucket is +Inf. */
static const uint64_t bounds_us[] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
	2500000,
};
#define N_BUCKET (ARRAY_SIZE(bounds_us) + 1)

struct action_stats {
	uint64_t by_status[N_STATUS];
	uint64_t buckets[N_BUCKET];    /* not cumulative */
	uint64_t sum_ns;
};

struct api_metrics {
	/* One per operation, and one more for requests without a valid
	 * action (authentication failures, unknown actions). */
	struct action_stats *actions;
	size_t n;
};

struct api_metrics *
api_metrics_new(void)
{
	struct api_metrics *mx = xcalloc(1, sizeof(*mx));

	mx->n = ec2_n_ops + 1;
	mx->actions = xcalloc(mx->n, sizeof(*mx->actions));
	return mx;
}

void
api_metrics_free(struct api_metrics *mx)
{
	if (mx == NULL)
		return;
	free(mx->actions);
	free(mx);
}

static void
add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static uint64_t
get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void
api_metrics_observe(struct api_metrics *mx, const struct ec2_op *op, int status,
    int64_t elapsed_ns)
{
	struct action_stats *a = &mx->actions[op ? (size_t)(op - ec2_ops) : ec2_n_ops];
	uint64_t us = elapsed_ns > 0 ? (uint64_t)elapsed_ns / 1000 : 0;
	size_t s = 0, b = 0;

	while (s < ARRAY_SIZE(statuses) && statuses[s] != status)
		s++;
	while (b < ARRAY_SIZE(bounds_us) && us > bounds_us[b])
		b++;
	add(&a->by_status[s], 1);
	add(&a->buckets[b], 1);
	add(&a->sum_ns, elapsed_ns > 0 ? (uint64_t)elapsed_ns : 0);
}

void
api_metrics_render(const struct api_metrics *mx, struct buf *out)
{
	char label[16];

	buf_puts(out,
	    "# HELP vpcd_api_requests_total EC2 API requests answered, by action and HTTP "
	    "status.\n"
	    "# TYPE vpcd_api_requests_total counter\n");
	for (size_t i = 0; i < mx->n; i++) {
		const char *name = i < ec2_n_ops ? ec2_ops[i].name : "none";

		for (size_t s = 0; s < N_STATUS; s++) {
			uint64_t v = get(&mx->actions[i].by_status[s]);

			if (v == 0)
				continue;
			if (s < ARRAY_SIZE(statuses))
				snprintf(label, sizeof(label), "%d", statuses[s]);
			else
				STR_COPY(label, "other");
			buf_printf(out, "vpcd_api_requests_total{action=\"%s\",status=\"%s\"} %llu\n",
			    name, label, (unsigned long long)v);
		}
	}
	buf_puts(out,
	    "# HELP vpcd_api_request_duration_seconds Time from a request's arrival to its "
	    "answer, by action.\n"
	    "# TYPE vpcd_api_request_duration_seconds histogram\n");
	for (size_t i = 0; i < mx->n; i++) {
		const char *name = i < ec2_n_ops ? ec2_ops[i].name : "none";
		const struct action_stats *a = &mx->actions[i];
		uint64_t counts[N_BUCKET], cum = 0, total = 0;

		for (size_t b = 0; b < N_BUCKET; b++)
			total += counts[b] = get(&a->buckets[b]);
		if (total == 0)
			continue;
		for (size_t b = 0; b < N_BUCKET; b++) {
			cum += counts[b];
			if (b < ARRAY_SIZE(bounds_us))
				snprintf(label, sizeof(label), "%g", (double)bounds_us[b] / 1e6);
			else
				STR_COPY(label, "+Inf");
			buf_printf(out, "vpcd_api_request_duration_seconds_bucket{action=\"%s\","
			    "le=\"%s\"} %llu\n", name, label, (unsigned long long)cum);
		}
		buf_printf(out, "vpcd_api_request_duration_seconds_sum{action=\"%s\"} %.6f\n"
		    "vpcd_api_request_duration_seconds_count{action=\"%s\"} %llu\n", name,
		    (double)get(&a->sum_ns) / 1e9, name, (unsigned long long)total);
	}
}
