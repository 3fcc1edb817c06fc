/* Configuration: built-in defaults, a "key = value" file, command-line options. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

void
daemon_config_defaults(struct daemon_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	STR_COPY(cfg->data_dir, "/var/lib/vpcd");
	STR_COPY(cfg->listen, "127.0.0.1:4510");
	cfg->dataplane = DAEMON_DP_NONE;
	cfg->log_level = LOG_LEVEL_INFO;
	core_config_defaults(&cfg->core);
	api_options_defaults(&cfg->api);
	cfg->nat_idle_timeout = 350;
	STR_COPY(cfg->metrics_path, "/metrics");
}

static int
parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long n;

	if (*v == '\0' || *v == '-')
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

/* Quotas, by their configuration names. */
static const struct {
	const char *name;
	size_t offset;
} quotas[] = {
	{ "quota.vpcs-per-region", offsetof(struct core_config, vpcs_per_region) },
	{ "quota.cidr-blocks-per-vpc", offsetof(struct core_config, cidrs_per_vpc) },
	{ "quota.subnets-per-vpc", offsetof(struct core_config, subnets_per_vpc) },
	{ "quota.internet-gateways-per-region", offsetof(struct core_config, igws_per_region) },
	{ "quota.route-tables-per-vpc", offsetof(struct core_config, rtbs_per_vpc) },
	{ "quota.routes-per-route-table", offsetof(struct core_config, routes_per_rtb) },
	{ "quota.security-groups-per-vpc", offsetof(struct core_config, sgs_per_vpc) },
	{ "quota.rules-per-security-group", offsetof(struct core_config, rules_per_sg) },
	{ "quota.network-acls-per-vpc", offsetof(struct core_config, acls_per_vpc) },
	{ "quota.entries-per-network-acl", offsetof(struct core_config, entries_per_acl) },
	{ "quota.security-groups-per-interface", offsetof(struct core_config, sgs_per_eni) },
	{ "quota.elastic-ips-per-region", offsetof(struct core_config, eips_per_region) },
	{ "quota.instances-per-region", offsetof(struct core_config, instances_per_region) },
	{ "quota.nat-gateways-per-availability-zone", offsetof(struct core_config, natgws_per_az) },
	{ "quota.active-vpc-peering-connections-per-vpc",
	  offsetof(struct core_config, active_pcx_per_vpc) },
	{ "quota.outstanding-vpc-peering-connection-requests",
	  offsetof(struct core_config, pending_pcx_per_account) },
	{ "quota.flow-logs-per-resource", offsetof(struct core_config, fls_per_resource) },
};

int
daemon_config_set(struct daemon_config *cfg, const char *key, const char *v, char *err,
    size_t err_size)
{
	unsigned long n;

	if (strcmp(key, "data-dir") == 0) {
		if (*v == '\0' || strlen(v) >= sizeof(cfg->data_dir))
			goto bad;
		STR_COPY(cfg->data_dir, v);
	} else if (strcmp(key, "listen") == 0) {
		if (strlen(v) >= sizeof(cfg->listen))
			goto bad;
		STR_COPY(cfg->listen, v);
	} else if (strcmp(key, "region") == 0) {
		if (*v == '\0' || strlen(v) > 20 || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(v))
			goto bad;
		STR_COPY(cfg->core.region, v);
	} else if (strcmp(key, "zones") == 0) {
		/* Comma-separated zone letters or full names. */
		char copy[256], *tok, *save = NULL;

		if (strlen(v) >= sizeof(copy))
			goto bad;
		STR_COPY(copy, v);
		cfg->core.n_azs = 0;
		for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			if (cfg->core.n_azs == ARRAY_SIZE(cfg->core.azs) || strlen(tok) > 24)
				goto bad;
			STR_COPY(cfg->core.azs[cfg->core.n_azs], tok);
			cfg->core.n_azs++;
		}
		if (cfg->core.n_azs == 0)
			goto bad;
		cfg->is_zones_set = true;
	} else if (strcmp(key, "public-pool") == 0) {
		/* Where Elastic and auto-assigned public addresses come from. */
		struct core_cidr c;

		if (core_cidr_parse(v, &c) || c.len < 8 || c.len > 30 || !core_cidr_is_canonical(&c))
			goto bad;
		cfg->core.public_pool = c;
	} else if (strcmp(key, "dataplane") == 0) {
		if (strcmp(v, "none") == 0)
			cfg->dataplane = DAEMON_DP_NONE;
		else if (strcmp(v, "linux") == 0)
			cfg->dataplane = DAEMON_DP_LINUX;
		else
			goto bad;
		cfg->is_dataplane_set = true;
	} else if (strcmp(key, "log-level") == 0) {
		if (strcmp(v, "warn") == 0)
			cfg->log_level = LOG_LEVEL_WARN;
		else if (strcmp(v, "info") == 0)
			cfg->log_level = LOG_LEVEL_INFO;
		else if (strcmp(v, "debug") == 0)
			cfg->log_level = LOG_LEVEL_DEBUG;
		else
			goto bad;
	} else if (strcmp(key, "http-threads") == 0) {
		if (parse_uint(v, 64, &n) || n == 0)
			goto bad;
		cfg->api.threads = (unsigned)n;
	} else if (strcmp(key, "max-body-bytes") == 0) {
		if (parse_uint(v, 64ul << 20, &n) || n < 1024)
			goto bad;
		cfg->api.max_body = n;
	} else if (strcmp(key, "idle-timeout") == 0) {
		if (parse_uint(v, 3600, &n) || n == 0)
			goto bad;
		cfg->api.idle_timeout_s = (unsigned)n;
	} else if (strcmp(key, "metrics-path") == 0) {
		/* GET <path> serves the metrics; "" turns them off. */
		if (strlen(v) >= sizeof(cfg->metrics_path) || (*v && *v != '/'))
			goto bad;
		STR_COPY(cfg->metrics_path, v);
	} else if (strcmp(key, "flow-logs-window") == 0) {
		/* AWS's windows are 60 or 600 s; a shorter one lets tests see them. */
		if (parse_uint(v, 600, &n))
			goto bad;
		cfg->flowlog_window = (unsigned)n;
	} else if (strcmp(key, "nat-idle-timeout") == 0) {
		/* AWS's is fixed; a shorter one lets tests see it pass. */
		if (parse_uint(v, 86400, &n) || n == 0)
			goto bad;
		cfg->nat_idle_timeout = (unsigned)n;
	} else if (strcmp(key, "max-connections") == 0) {
		if (parse_uint(v, 65536, &n) || n == 0)
			goto bad;
		cfg->api.max_connections = (unsigned)n;
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(quotas); i++)
			if (strcmp(key, quotas[i].name) == 0) {
				if (parse_uint(v, 1000000, &n) || n == 0 ||
				    (quotas[i].offset == offsetof(struct core_config, sgs_per_eni) &&
				    n > CORE_ENI_GROUPS_MAX))
					goto bad;
				*(unsigned *)((char *)&cfg->core + quotas[i].offset) = (unsigned)n;
				return 0;
			}
		snprintf(err, err_size, "unknown option '%s'", key);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, err_size, "invalid value '%s' for option '%s'", v, key);
	return -EINVAL;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int
daemon_config_load(struct daemon_config *cfg, const char *path, bool must_exist)
{
	FILE *f = fopen(path, "r");
	char line[1024], err[256];
	int lineno = 0;

	if (f == NULL) {
		if (errno == ENOENT && !must_exist)
			return -ENOENT;
		log_warn("config: %s", path);
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = trim(line), *eq;

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL) {
			log_warnx("config: %s:%d: expected 'key = value'", path, lineno);
			fclose(f);
			return -EINVAL;
		}
		*eq = '\0';
		if (daemon_config_set(cfg, trim(s), trim(eq + 1), err, sizeof(err))) {
			log_warnx("config: %s:%d: %s", path, lineno, err);
			fclose(f);
			return -EINVAL;
		}
	}
	fclose(f);
	return 0;
}

int
daemon_config_finish(struct daemon_config *cfg, char *err, size_t err_size)
{
	char *colon = strrchr(cfg->listen, ':');
	unsigned long port;
	size_t hlen;

	if (colon == NULL || parse_uint(colon + 1, 65535, &port)) {
		snprintf(err, err_size, "listen address '%s' is not ADDR:PORT", cfg->listen);
		return -EINVAL;
	}
	hlen = (size_t)(colon - cfg->listen);
	if (hlen >= 2 && cfg->listen[0] == '[' && colon[-1] == ']') {
		hlen -= 2;
		memcpy(cfg->listen_host, cfg->listen + 1, hlen);
	} else {
		if (hlen >= sizeof(cfg->listen_host))
			hlen = sizeof(cfg->listen_host) - 1;
		memcpy(cfg->listen_host, cfg->listen, hlen);
	}
	cfg->listen_host[hlen] = '\0';
	cfg->api.listen_host = cfg->listen_host;
	cfg->api.listen_port = (uint16_t)port;
	cfg->api.metrics_path = cfg->metrics_path[0] ? cfg->metrics_path : NULL;
	/* Zones follow the region unless set; letters ("a,b,c") are in it. */
	if (!cfg->is_zones_set) {
		cfg->core.n_azs = 3;
		for (size_t i = 0; i < 3; i++)
			snprintf(cfg->core.azs[i], sizeof(cfg->core.azs[i]), "%c", (int)('a' + i));
	}
	for (size_t i = 0; i < cfg->core.n_azs; i++)
		if (strlen(cfg->core.azs[i]) == 1) {
			char z = cfg->core.azs[i][0];

			snprintf(cfg->core.azs[i], sizeof(cfg->core.azs[i]), "%.20s%c",
			    cfg->core.region, z);
		}
	core_config_finish(&cfg->core);
	return 0;
}
