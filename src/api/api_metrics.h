/* The API's request metrics (api_metrics.c): counted by the HTTP threads,
 * rendered for GET /metrics in the Prometheus text format. */
#ifndef VPCD_API_METRICS_H
#define VPCD_API_METRICS_H

#include <stdint.h>

#include "lib/lib.h"

struct ec2_op;
struct api_metrics;

struct api_metrics *api_metrics_new(void);
void api_metrics_free(struct api_metrics *mx);
/* One answered request: its operation (NULL if it had no valid action),
 * HTTP status and time from arrival to answer. */
void api_metrics_observe(struct api_metrics *mx, const struct ec2_op *op, int status,
    int64_t elapsed_ns);
void api_metrics_render(const struct api_metrics *mx, struct buf *out);

#endif
