/*
 * daemon: vpcd's process setup, configuration and control socket.
 *
 * The control socket (<data-dir>/vpcd.sock, mode 0600) speaks one JSON
 * object per line in each direction; vpcctl is its client.  Requests
 * carry "cmd" and arguments, answers "ok" plus results or "error".
 */
#ifndef VPCD_DAEMON_H
#define VPCD_DAEMON_H

#include <stdbool.h>

#include "api/api.h"
#include "core/core.h"
#include "dp/dp.h"

enum daemon_dataplane {
	DAEMON_DP_NONE,
	DAEMON_DP_LINUX,
};

struct daemon_config {
	char data_dir[512];
	char config_file[512];
	char listen[128];
	enum daemon_dataplane dataplane;
	bool is_dataplane_set;
	bool is_zones_set;
	int log_level;
	struct core_config core;
	struct api_options api;
	unsigned nat_idle_timeout;   /* seconds; 350 as on AWS */
	char metrics_path[64];       /* "" for no metrics endpoint */
	unsigned flowlog_window;     /* seconds; 0: each flow log's own */
	char listen_host[64];
};

/* Fills built-in defaults. */
void daemon_config_defaults(struct daemon_config *cfg);
/* Applies "key = value" lines of 'path'; 0, -ENOENT if absent, or -EINVAL
 * with a message naming the line. */
int daemon_config_load(struct daemon_config *cfg, const char *path, bool must_exist);
/* Sets one option by name, as the file and the command line do. */
int daemon_config_set(struct daemon_config *cfg, const char *key, const char *value,
    char *err, size_t err_size);
/* Derived values (listen host/port split, zone ids); -EINVAL with 'err'. */
int daemon_config_finish(struct daemon_config *cfg, char *err, size_t err_size);

/* The control socket path of a data directory. */
void daemon_ctl_path(const char *data_dir, char *out, size_t size);
/* Serves the control socket on a thread until daemon_ctl_stop(). */
struct daemon_ctl;
/* 'dp' is NULL when vpcd runs without a data plane. */
int daemon_ctl_start(const char *data_dir, struct api_server *srv, const struct dp_config *dp,
    struct daemon_ctl **out);
void daemon_ctl_stop(struct daemon_ctl *ctl);

/* The metrics GET /metrics adds to the API's own (daemon_metrics.c): per
 * NAT gateway and per VPC, read from the data plane 'dp' (NULL: none),
 * and from the collector thread 'fl' (NULL: none) the NAT gateways' idle
 * timeouts and the flow logs' lost events. */
void daemon_metrics(struct api_server *srv, const struct dp_config *dp, struct dp_flowlogs *fl,
    struct buf *out);

#endif
