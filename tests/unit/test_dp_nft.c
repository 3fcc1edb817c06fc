/*
 * Unit and golden tests of the nftables compiler (dp_nft.c, pure).
 *
 * Golden cases: tests/golden/nft/<case>/model.txt (the model, see
 * nft_model.h) and expected.nft (the compiled ruleset of its first VPC).
 * VPCD_REGEN_GOLDEN=1 rewrites the expected files.
 * The real-packet tests compile the same descriptions with nftc (nftc.c).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp/dp_nft.h"
#include "nft_model.h"
#include "tap.h"

#ifndef VPCD_SOURCE_ROOT_DEFAULT
#define VPCD_SOURCE_ROOT_DEFAULT "."
#endif

static struct core_config cfg;

static int
model_load(struct core_model *m, const char *text)
{
	char err[512];

	core_model_init(m, &cfg);
	if (nft_model_parse(m, text, err, sizeof(err))) {
		printf("# model: %s\n", err);
		return -1;
	}
	return 0;
}

static const struct core_vpc *
model_vpc(const struct core_model *m, const char *name)
{
	char id[CORE_ID_MAX];

	if (name == NULL)
		return (const struct core_vpc *)m->head[CORE_VPC];
	nft_model_id("vpc", name, id);
	return core_find(m, CORE_VPC, NFT_MODEL_OWNER, id);
}

/* Every "jump X" / "@X" in 'text' names a chain / set defined in it, and
 * no name is defined twice. */
static bool
refs_resolve(const char *text, char *bad, size_t badsize)
{
	struct map defined;
	char **names = NULL;
	size_t n_names = 0;
	bool ok = true;

	map_init(&defined);
	for (const char *p = text; (p = strpbrk(p, "cms")) != NULL; p++) {
		const char *words[] = { "\tchain ", "\tset ", "\tmap " };

		for (size_t w = 0; w < ARRAY_SIZE(words); w++) {
			size_t wl = strlen(words[w]), len;

			if (p == text || strncmp(p - 1, words[w], wl) != 0)
				continue;
			len = strcspn(p + wl - 1, " {\n");
			names = xreallocarray(names, n_names + 1, sizeof(*names));
			names[n_names] = xstrndup(p + wl - 1, len);
			if (map_put(&defined, names[n_names], names[n_names])) {
				snprintf(bad, badsize, "defined twice: %s", names[n_names]);
				ok = false;
			}
			n_names++;
		}
	}
	for (const char *p = text; ok && (p = strpbrk(p, "j@")) != NULL; p++) {
		char name[300];
		size_t skip = 0, len;

		if (*p == '@')
			skip = 1;
		else if (strncmp(p, "jump ", 5) == 0)
			skip = 5;
		else
			continue;
		len = strcspn(p + skip, " ,\n");
		snprintf(name, sizeof(name), "%.*s", (int)len, p + skip);
		if (!map_get(&defined, name)) {
			snprintf(bad, badsize, "undefined: %s", name);
			ok = false;
		}
	}
	map_fini(&defined);
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	return ok;
}

static bool
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (f == NULL)
		return false;
	ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
golden_case(const char *dir, const char *name, bool regen)
{
	char *path = xasprintf("%s/%s/model.txt", dir, name);
	char *exp_path = xasprintf("%s/%s/expected.nft", dir, name);
	char *model = nft_model_read_file(path), *expected, *text, *again, hash[17], bad[400];
	struct core_model m;
	struct arena a;

	CHECK(model != NULL, "%s: model.txt readable", name);
	if (model == NULL || model_load(&m, model)) {
		CHECK(false, "%s: model builds", name);
		goto out_model;
	}
	arena_init(&a);
	text = dp_nft_compile(&m, model_vpc(&m, NULL), &a);
	again = dp_nft_compile(&m, model_vpc(&m, NULL), &a);
	CHECK_STR(again, text, "%s: compiling twice gives the same text", name);
	dp_nft_hash(text, hash);
	CHECK(strstr(text, hash) != NULL, "%s: the text carries its hash %s", name, hash);
	CHECK(refs_resolve(text, bad, sizeof(bad)), "%s: every reference resolves (%s)", name,
	    bad);
	if (regen) {
		CHECK(write_file(exp_path, text), "%s: expected.nft rewritten", name);
	} else {
		expected = nft_model_read_file(exp_path);
		CHECK(expected != NULL, "%s: expected.nft readable", name);
		CHECK_STR(text, expected ? expected : "", "%s: ruleset as expected", name);
		free(expected);
	}
	arena_fini(&a);
	core_model_fini(&m);
out_model:
	free(model);
	free(path);
	free(exp_path);
}

static void
test_golden(void)
{
	const char *root = getenv("VPCD_SOURCE_ROOT");
	const char *regen = getenv("VPCD_REGEN_GOLDEN");
	char *dir = xasprintf("%s/tests/golden/nft", root ? root : VPCD_SOURCE_ROOT_DEFAULT);
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	CHECK(d != NULL, "golden directory %s exists", dir);
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	CHECK(n >= 6, "at least six golden cases (%zu)", n);
	for (size_t i = 0; i < n; i++) {
		golden_case(dir, names[i], regen && strcmp(regen, "1") == 0);
		free(names[i]);
	}
	free(names);
	free(dir);
}

static const char base_model[] =
    "vpc v 10.0.0.0/16\n"
    "igw gv v\n"
    "subnet a v 10.0.1.0/24\n"
    "subnet b v 10.0.2.0/24\n"
    "sg web v\n"
    "rule web in tcp 80 0.0.0.0/0\n"
    "eni one a 10.0.1.10 groups=web public=198.51.100.10\n"
    "eni two b 10.0.2.10\n"
    "vpc w 10.1.0.0/16\n"
    "igw gw w\n"
    "subnet c w 10.1.1.0/24\n"
    "eni three c 10.1.1.10 public=198.51.100.30\n";

/* Properties that hold for any model: a change shows in the hash, other
 * VPCs stay out, names are within nftables' limits. */
static void
test_properties(void)
{
	struct core_model m;
	struct arena a;
	struct core_error err;
	struct core_sg_rule r = { .proto = 6, .from_port = 443, .to_port = 443,
		.peer = CORE_PEER_CIDR };
	char h1[17], h2[17], id[CORE_ID_MAX];
	const char *t1, *t2, *tw;
	struct core_sg *web;

	if (model_load(&m, base_model)) {
		CHECK(false, "base model builds");
		return;
	}
	arena_init(&a);
	t1 = dp_nft_compile(&m, model_vpc(&m, "v"), &a);
	dp_nft_hash(t1, h1);
	CHECK(strstr(t1, "10.1.1.10") == NULL && strstr(t1, "198.51.100.30") == NULL,
	    "another VPC's interfaces and public addresses stay out");
	{
		char ifn[DP_IF_MAX], want[64];

		nft_model_id("eni", "one", id);
		dp_eni_ifname(id, ifn);
		snprintf(want, sizeof(want), "\"%s\" : jump eni_pre_", ifn);
		CHECK(strcmp(ifn, "e000000000one") == 0 && strstr(t1, want) != NULL,
		    "interface name is e + the id's last 12 characters (%s)", ifn);
	}
	tw = dp_nft_compile(&m, model_vpc(&m, "w"), &a);
	CHECK(strstr(tw, "198.51.100.30 : 10.1.1.10") != NULL && strstr(tw, "10.0.1.10") == NULL,
	    "the other VPC has its own table");

	nft_model_id("sg", "web", id);
	web = core_find(&m, CORE_SG, NFT_MODEL_OWNER, id);
	core_sg_rules_add(&m, web, &r, 1, &err);
	t2 = dp_nft_compile(&m, model_vpc(&m, "v"), &a);
	dp_nft_hash(t2, h2);
	CHECK(strcmp(h1, h2) != 0 && strstr(t2, "0.0.0.0/0 . 6 . 443,") != NULL,
	    "a new rule changes text and hash (%s -> %s)", h1, h2);
	{
		char *copy = xstrdup(t2), h3[17];

		memcpy(strstr(copy, "comment \"vpcd ") + 14, "ffffffffffffffff", 16);
		dp_nft_hash(copy, h3);
		CHECK(strcmp(h3, h2) == 0, "the hash ignores the digits of its own comment");
		free(copy);
	}
	{
		size_t longest = 0;

		for (const char *p = t2; (p = strstr(p, "chain ")) != NULL; p += 6) {
			size_t len = strcspn(p + 6, " {");

			if (len > longest)
				longest = len;
		}
		CHECK(longest > 0 && longest < 32, "chain names are short (%zu)", longest);
	}
	arena_fini(&a);
	core_model_fini(&m);
}

/* The ENI with a group not in the VPC's tables and one without groups:
 * still fail closed. */
static void
test_fail_closed(void)
{
	struct core_model m;
	struct arena a;
	const char *t;

	if (model_load(&m, "vpc v 10.0.0.0/16\nsubnet a v 10.0.1.0/24\n"
	    "eni one a 10.0.1.10\n")) {
		CHECK(false, "model builds");
		return;
	}
	((struct core_eni *)m.tail[CORE_ENI])->n_groups = 0;
	arena_init(&a);
	t = dp_nft_compile(&m, model_vpc(&m, NULL), &a);
	CHECK(strstr(t, "\tchain eni_out_00000000000000one {\n\t\tcounter name \"reject_out\" drop\n\t}") != NULL,
	    "an ENI without groups passes nothing out");
	CHECK(strstr(t, "iifname \"e*\" drop") != NULL && strstr(t, "oifname \"e*\" drop") != NULL,
	    "an ENI missing from the maps passes nothing");
	arena_fini(&a);
	core_model_fini(&m);
}

/* The differ: nothing for equal texts, small commands for a small
 * change, NULL where only a replace will do. */
static void
test_diff(void)
{
	struct core_model m;
	struct arena a;
	struct core_error err;
	struct core_sg_rule r = { .proto = 6, .from_port = 443, .to_port = 443,
		.peer = CORE_PEER_CIDR };
	char id[CORE_ID_MAX], *d;
	const char *t1, *t2;

	if (model_load(&m, base_model)) {
		CHECK(false, "base model builds");
		return;
	}
	arena_init(&a);
	t1 = dp_nft_compile(&m, model_vpc(&m, "v"), &a);
	d = dp_nft_diff(t1, t1);
	CHECK(d && *d == '\0', "equal tables: nothing to do");
	free(d);

	nft_model_id("sg", "web", id);
	core_sg_rules_add(&m, core_find(&m, CORE_SG, NFT_MODEL_OWNER, id), &r, 1, &err);
	t2 = dp_nft_compile(&m, model_vpc(&m, "v"), &a);
	d = dp_nft_diff(t1, t2);
	CHECK(d && strstr(d, "flush chain inet vpcd sg_00000000000000web_in\n") &&
	    strstr(d, "\tset sg_00000000000000web_in_ports {") &&
	    strstr(d, "delete element inet vpcd state { 0 }\n") &&
	    strstr(d, "add element inet vpcd state { 0 comment \"vpcd ") &&
	    !strstr(d, "chain eni_") && !strstr(d, "delete chain"),
	    "a new rule: its group's chain and set, and the hash");
	free(d);
	d = dp_nft_diff(t2, t1);
	CHECK(d && strstr(d, "delete set inet vpcd sg_00000000000000web_in_ports\n") &&
	    strstr(d, "flush chain inet vpcd sg_00000000000000web_in\n"),
	    "and back: the set goes after its chain is refilled");
	free(d);
	d = dp_nft_diff("table ip other {\n}\n", t1);
	CHECK(d == NULL, "not a vpcd table: replace");
	{
		char *bad = xstrdup(t1), *p = strstr(bad, "type ifname : verdict");

		memcpy(p, "type ifname : ipv4_a", strlen("type ifname : ipv4_a"));
		d = dp_nft_diff(bad, t1);
		CHECK(d == NULL, "a map that changed its type: replace");
		free(bad);
	}
	arena_fini(&a);
	core_model_fini(&m);
}

int
main(void)
{
	core_config_defaults(&cfg);
	core_config_finish(&cfg);
	test_properties();
	test_fail_closed();
	test_diff();
	test_golden();
	return tap_done();
}
