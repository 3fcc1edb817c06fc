/*
 * nftc: the nftables compiler and loader from the command line, for the
 * real-packet tests (tests/netns/test_nft_packets.py) and the benchmark.
 *
 *   nftc compile MODEL [VPC]   print the ruleset of a model description
 *   nftc apply NS FILE [FROM]  load a ruleset into namespace NS (dp_nft_apply),
 *                              by changes if FROM is the ruleset installed
 *   nftc hash NS               print the installed hash (dp_nft_observe_hash)
 *   nftc bench NS [ENIS [GROUPS [RULES [ACL_ENTRIES]]]]
 *                              compile and apply a big VPC, change a rule,
 *                              print timings
 *
 * It only acts on the namespace it is given; the tests create and remove
 * their own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp/dp_nft.h"
#include "nft_model.h"

static struct core_config cfg;

static const struct core_vpc *
model_vpc(const struct core_model *m, const char *name)
{
	char id[CORE_ID_MAX];

	if (name == NULL)
		return (const struct core_vpc *)m->head[CORE_VPC];
	nft_model_id("vpc", name, id);
	return core_find(m, CORE_VPC, NFT_MODEL_OWNER, id);
}

static int
load(struct core_model *m, const char *text)
{
	char err[512];

	core_model_init(m, &cfg);
	if (nft_model_parse(m, text, err, sizeof(err))) {
		fprintf(stderr, "nftc: model: %s\n", err);
		return -1;
	}
	return 0;
}

static int
cmd_compile(int argc, char **argv)
{
	struct core_model m;
	struct arena a;
	const struct core_vpc *vpc;
	char *model = nft_model_read_file(argv[2]);
	int ret = 0;

	if (model == NULL || load(&m, model)) {
		free(model);
		return 2;
	}
	arena_init(&a);
	if ((vpc = model_vpc(&m, argc > 3 ? argv[3] : NULL)) == NULL) {
		fprintf(stderr, "nftc: no such VPC\n");
		ret = 2;
	} else {
		fputs(dp_nft_compile(&m, vpc, &a), stdout);
	}
	arena_fini(&a);
	core_model_fini(&m);
	free(model);
	return ret;
}

static int
cmd_apply(int argc, char **argv)
{
	char *text = nft_model_read_file(argv[3]), err[4096];
	char *from = argc > 4 ? nft_model_read_file(argv[4]) : NULL;
	bool replaced;
	int ret;

	if (text == NULL || (argc > 4 && from == NULL)) {
		fprintf(stderr, "nftc: cannot read %s\n", text ? argv[4] : argv[3]);
		free(text);
		return 2;
	}
	ret = dp_nft_apply(argv[2], from, text, &replaced, err, sizeof(err));
	if (ret < 0)
		fprintf(stderr, "nftc: apply: %s (%s)\n", err, strerror(-ret));
	else if (from)
		puts(replaced ? "replaced" : "changed");
	free(text);
	free(from);
	return ret < 0 ? 1 : 0;
}

static int
cmd_hash(char **argv)
{
	char hash[17];
	int ret = dp_nft_observe_hash(argv[2], hash);

	if (ret == -ENOENT) {
		puts("none");
		return 3;
	}
	if (ret < 0) {
		fprintf(stderr, "nftc: observe: %s\n", strerror(-ret));
		return 1;
	}
	puts(hash);
	return 0;
}

/*
 * A big VPC: 'n_enis' interfaces in 10 subnets, 'n_groups' groups with
 * 'n_rules' rules in total (one in four references another group), each
 * interface in two groups, and a custom ACL per subnet with 'n_entries'
 * entries each way.
 */
static char *
big_model(int n_enis, int n_groups, int n_rules, int n_entries)
{
	struct buf b;
	int per_group = (n_rules + n_groups - 1) / n_groups;

	buf_init(&b);
	buf_puts(&b, "vpc big 10.0.0.0/16\n");
	for (int s = 0; s < 10; s++) {
		buf_printf(&b, "subnet s%d big 10.0.%d.0/20\nacl a%d big\nassoc-acl a%d s%d\n", s,
		    s * 16, s, s, s);
		for (int e = 1; e <= n_entries; e++) {
			/* Denies of single hosts first, then ranges, then allows. */
			buf_printf(&b, "entry a%d in %d %s tcp %d-%d 10.%d.%d.0/24\n", s, e * 10,
			    e % 4 ? "allow" : "deny", 1000 + e, 2000 + e, s, e);
			buf_printf(&b, "entry a%d out %d %s udp %d 10.%d.%d.0/24\n", s, e * 10,
			    e % 4 ? "allow" : "deny", 3000 + e, s, e);
		}
	}
	for (int g = 0; g < n_groups; g++)
		buf_printf(&b, "sg g%d big\n", g);
	for (int g = 0, r = 0; g < n_groups && r < n_rules; g++) {
		for (int k = 0; k < per_group && r < n_rules; k++, r++) {
			if (k % 4 == 3)
				buf_printf(&b, "rule g%d in tcp %d g%d\n", g, 5000 + k,
				    (g + k) % n_groups);
			else
				buf_printf(&b, "rule g%d %s %s %d 172.%d.%d.0/24\n", g,
				    k % 2 ? "out" : "in", k % 3 ? "tcp" : "udp", 1 + k, 16 + k % 16,
				    g % 256);
		}
	}
	for (int e = 0; e < n_enis; e++) {
		int s = e % 10, host = 10 + e / 10;
		char pub[40] = "";

		if (e % 5 == 0)
			snprintf(pub, sizeof(pub), " public=100.%d.%d.%d", 64 + e / 65536 % 64,
			    e / 256 % 256, e % 256);
		buf_printf(&b, "eni n%d s%d 10.0.%d.%d groups=g%d,g%d%s\n", e, s, s * 16 + host / 256,
		    host % 256, e % n_groups, (e * 7 + 1) % n_groups, pub);
	}
	return buf_steal(&b);
}

static double
now_s(void)
{
	return (double)time_mono_ns() / 1e9;
}

static int
cmd_bench(int argc, char **argv)
{
	int n_enis = argc > 3 ? atoi(argv[3]) : 1000;
	int n_groups = argc > 4 ? atoi(argv[4]) : 200;
	int n_rules = argc > 5 ? atoi(argv[5]) : 10000;
	int n_entries = argc > 6 ? atoi(argv[6]) : 20;
	char *model = big_model(n_enis, n_groups, n_rules, n_entries);
	struct core_model m;
	struct arena a;
	char *text = NULL, *text2, err[4096], hash[17];
	double t0, t_compile, t_apply1, t_apply2 = 0, t_change = 0, t_diff = 0, t_observe;
	struct core_sg *sg;
	int ret;
	const int reps = 5;

	if (load(&m, model)) {
		free(model);
		return 2;
	}
	arena_init(&a);
	t0 = now_s();
	for (int i = 0; i < reps; i++)
		text = dp_nft_compile(&m, model_vpc(&m, NULL), &a);
	t_compile = (now_s() - t0) / reps;
	t0 = now_s();
	ret = dp_nft_apply(argv[2], NULL, text, NULL, err, sizeof(err));
	t_apply1 = now_s() - t0;
	if (ret == 0) {
		t0 = now_s();
		ret = dp_nft_apply(argv[2], NULL, text, NULL, err, sizeof(err));
		t_apply2 = now_s() - t0;
	}
	if (ret == 0) {
		/* One more rule in the first group, applied as a change. */
		struct core_sg_rule r = { .proto = 6, .from_port = 9001, .to_port = 9001,
			.peer = CORE_PEER_CIDR, .cidr = { 0x0a000000, 24 } };
		struct core_error cerr;
		bool replaced = true;

		sg = (struct core_sg *)m.head[CORE_SG];
		core_sg_rules_add(&m, sg, &r, 1, &cerr);
		text2 = dp_nft_compile(&m, model_vpc(&m, NULL), &a);
		t0 = now_s();
		free(dp_nft_diff(text, text2));
		t_diff = now_s() - t0;
		t0 = now_s();
		ret = dp_nft_apply(argv[2], text, text2, &replaced, err, sizeof(err));
		t_change = now_s() - t0;
		if (ret == 0 && replaced) {
			snprintf(err, sizeof(err), "the change replaced the table");
			ret = -EIO;
		}
		text = text2;
	}
	if (ret < 0) {
		fprintf(stderr, "nftc: apply: %s\n", err);
		goto out;
	}
	t0 = now_s();
	ret = dp_nft_observe_hash(argv[2], hash);
	t_observe = now_s() - t0;
	printf("{\"enis\": %d, \"groups\": %d, \"rules\": %d, \"acl_entries_per_subnet\": %d, "
	    "\"text_bytes\": %zu, \"compile_s\": %.4f, \"apply_first_s\": %.4f, "
	    "\"apply_replace_s\": %.4f, \"apply_change_s\": %.4f, \"diff_s\": %.4f, "
	    "\"observe_s\": %.4f, \"observe_ok\": %s}\n",
	    n_enis, n_groups, n_rules, n_entries * 2, strlen(text), t_compile, t_apply1,
	    t_apply2, t_change, t_diff, t_observe, ret == 0 ? "true" : "false");
out:
	arena_fini(&a);
	core_model_fini(&m);
	free(model);
	return ret < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	core_config_defaults(&cfg);
	core_config_finish(&cfg);
	if (argc > 2 && strcmp(argv[1], "compile") == 0)
		return cmd_compile(argc, argv);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "apply") == 0)
		return cmd_apply(argc, argv);
	if (argc == 3 && strcmp(argv[1], "hash") == 0)
		return cmd_hash(argv);
	if (argc >= 3 && strcmp(argv[1], "bench") == 0)
		return cmd_bench(argc, argv);
	fprintf(stderr, "usage: nftc compile MODEL [VPC] | apply NS FILE [FROM] | hash NS | "
	    "bench NS [ENIS [GROUPS [RULES [ACL_ENTRIES]]]]\n");
	return 2;
}
