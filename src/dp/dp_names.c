/* The names of everything vpcd creates in the kernel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"

void
dp_config_init(struct dp_config *cfg, const char *data_dir)
{
	char *real = realpath(data_dir, NULL);

	memset(cfg, 0, sizeof(*cfg));
	STR_COPY(cfg->data_dir, data_dir);
	/* The tag tells this daemon's objects from another's on the host. */
	snprintf(cfg->tag, sizeof(cfg->tag), "%06x",
	    (unsigned)(hash_str(real ? real : data_dir) & 0xffffff));
	free(real);
	cfg->internet = (struct core_cidr){ 0xcb007100, 24 };  /* 203.0.113.0/24 */
	STR_COPY(cfg->run_as, "nobody");
	cfg->nat_idle_timeout = 350;
}

void
dp_router_ns(const struct dp_config *cfg, const char *vpc_id, char out[DP_NS_MAX])
{
	snprintf(out, DP_NS_MAX, "vpcd-%s-%s", cfg->tag, vpc_id);
}

void
dp_edge_ns(const struct dp_config *cfg, char out[DP_NS_MAX])
{
	snprintf(out, DP_NS_MAX, "vpcd-%s-edge", cfg->tag);
}

void
dp_natgw_ns(const struct dp_config *cfg, const char *natgw_id, char out[DP_NS_MAX])
{
	snprintf(out, DP_NS_MAX, "vpcd-%s-%s", cfg->tag, natgw_id);
}

void
dp_internet_ns(const struct dp_config *cfg, char out[DP_NS_MAX])
{
	snprintf(out, DP_NS_MAX, "vpcd-%s-inet", cfg->tag);
}

/* "<c>" + the last 12 characters of the id (its hex digits). */
static void
short_ifname(char c, const char *id, char out[DP_IF_MAX])
{
	size_t n = strlen(id);

	snprintf(out, DP_IF_MAX, "%c%s", c, n > 12 ? id + n - 12 : id);
}

void
dp_eni_ifname(const char *eni_id, char out[DP_IF_MAX])
{
	short_ifname('e', eni_id, out);
}

void
dp_pcx_ifname(const char *pcx_id, char out[DP_IF_MAX])
{
	short_ifname('p', pcx_id, out);
}

uint32_t
dp_pcx_addr(const struct core_pcx *pcx, int side)
{
	/* 169.254.0.0 to 169.254.250.255 in blocks of four; 169.254.255.x
	 * is the internet gateway's. */
	return 0xa9fe0000u + (uint32_t)(pcx->res.seq % (251 * 64)) * 4 + 1 + (uint32_t)side;
}

void
dp_igw_edge_ifname(const char *vpc_id, char out[DP_IF_MAX])
{
	short_ifname('g', vpc_id, out);
}

void
dp_marker_ifname(const struct dp_config *cfg, char out[DP_IF_MAX])
{
	snprintf(out, DP_IF_MAX, "vpcd-%.6s", cfg->tag);
}

uint32_t
dp_rtb_table(const struct core_rtb *rtb)
{
	return DP_TABLE_RTB_BASE + (uint32_t)rtb->res.seq;
}
