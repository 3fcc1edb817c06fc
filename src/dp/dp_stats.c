/*
 * Statistics read from the kernel for /metrics.  A VPC router's: its
 * named counters of rejected packets and its number of tracked
 * connections.  A NAT gateway's: its
 * named nftables counters, its TCP connections in state established
 * (a conntrack dump) and the new connections that found no free port
 * (conntrack's insert_failed: the port search left a tuple that was
 * taken, and confirming the connection failed).  Read on the calling
 * thread inside the gateway's namespace.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dp_nl.h"

static const char *const counter_names[] = {
#define X(e, name, doc) name,
	DP_NATGW_COUNTERS(X)
#undef X
};

/* The named counters 'names' of table inet vpcd, into packets[] and bytes[]. */
static int
read_counters(const char *const *names, size_t n, uint64_t *packets, uint64_t *bytes)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	json_t *root = NULL, *list, *item;
	size_t i;
	int ret = -EIO;

	if (ctx == NULL)
		return -ENOMEM;
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	if (nft_run_cmd_from_buffer(ctx, "list counters table inet vpcd") != 0 ||
	    (root = json_loads(nft_ctx_get_output_buffer(ctx), 0, NULL)) == NULL ||
	    !json_is_array(list = json_object_get(root, "nftables")))
		goto out;
	json_array_foreach(list, i, item) {
		json_t *c = json_object_get(item, "counter");
		const char *name = json_string_value(json_object_get(c, "name"));

		for (size_t k = 0; name && k < n; k++) {
			if (strcmp(name, names[k]) != 0)
				continue;
			packets[k] = (uint64_t)json_integer_value(json_object_get(c, "packets"));
			bytes[k] = (uint64_t)json_integer_value(json_object_get(c, "bytes"));
		}
	}
	ret = 0;
out:
	json_decref(root);
	nft_ctx_free(ctx);
	return ret;
}

/* The sum over CPUs of the "insert_failed" column of the namespace's
 * /proc/net/stat/nf_conntrack (hexadecimal, one line per CPU). */
static int
read_insert_failed(uint64_t *out)
{
	FILE *f = fopen("/proc/thread-self/net/stat/nf_conntrack", "re");
	char line[512], *tok, *save;
	int col = -1, k;

	if (f == NULL)
		return -errno;
	*out = 0;
	if (fgets(line, sizeof(line), f))
		for (k = 0, tok = strtok_r(line, " \n", &save); tok;
		    tok = strtok_r(NULL, " \n", &save), k++)
			if (strcmp(tok, "insert_failed") == 0)
				col = k;
	while (col >= 0 && fgets(line, sizeof(line), f))
		for (k = 0, tok = strtok_r(line, " \n", &save); tok;
		    tok = strtok_r(NULL, " \n", &save), k++)
			if (k == col)
				*out += strtoull(tok, NULL, 16);
	fclose(f);
	return col >= 0 ? 0 : -EINVAL;
}

static int
count_established(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *arg)
{
	if (nfct_get_attr_u8(ct, ATTR_L4PROTO) == IPPROTO_TCP &&
	    nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0 &&
	    nfct_get_attr_u8(ct, ATTR_TCP_STATE) == TCP_CONNTRACK_ESTABLISHED)
		(*(uint64_t *)arg)++;
	return NFCT_CB_CONTINUE;
}

static int
read_active(uint64_t *out)
{
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	uint32_t family = AF_INET;
	int ret;

	if (h == NULL)
		return -errno;
	*out = 0;
	nfct_callback_register(h, NFCT_T_ALL, count_established, out);
	ret = nfct_query(h, NFCT_Q_DUMP, &family) < 0 ? -errno : 0;
	nfct_close(h);
	return ret;
}

static int
read_natgw(void *arg)
{
	struct dp_natgw_stats *st = arg;
	int ret = read_counters(counter_names, DP_NATGW_N_COUNTERS, st->packets, st->bytes);

	if (ret == 0)
		ret = read_insert_failed(&st->insert_failed);
	if (ret == 0)
		ret = read_active(&st->active);
	return ret;
}

static int
read_router(void *arg)
{
	static const char *const names[] = { "reject_out", "reject_in" };
	struct dp_router_stats *st = arg;
	uint64_t bytes[2];
	FILE *f;
	int ret = read_counters(names, 2, st->rejected, bytes);

	if (ret == 0 && (f = fopen("/proc/sys/net/netfilter/nf_conntrack_count", "re"))) {
		if (fscanf(f, "%" SCNu64, &st->connections) != 1)
			ret = -EIO;
		fclose(f);
	}
	return ret;
}

int
dp_router_stats(const struct dp_config *cfg, const char *vpc_id, struct dp_router_stats *out)
{
	char ns[DP_NS_MAX];

	memset(out, 0, sizeof(*out));
	dp_router_ns(cfg, vpc_id, ns);
	return dp_ns_run(ns, read_router, out);
}

int
dp_natgw_stats(const struct dp_config *cfg, const char *natgw_id, struct dp_natgw_stats *out)
{
	char ns[DP_NS_MAX];

	memset(out, 0, sizeof(*out));
	dp_natgw_ns(cfg, natgw_id, ns);
	return dp_ns_run(ns, read_natgw, out);
}
