/* Accounts are tenants: every resource has one owner account. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

/*
 * Key alphabets of 32 and 64 characters divide 256, so keys are uniform;
 * account ids (digits) are not secrets and may be slightly biased.
 */
static void
random_chars(char *out, size_t n, const char *alphabet)
{
	unsigned char r[64];
	size_t k = strlen(alphabet);

	random_bytes(r, n);
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[r[i] % k];
	out[n] = '\0';
}

struct core_account *
core_account_create(struct core_model *m, const char *name, bool is_admin)
{
	char id[CORE_ACCOUNT_MAX];
	struct core_account *a;
	struct core_key *k;

	do {
		random_chars(id, 12, "0123456789");
	} while (id[0] == '0' || core_get(m, id));
	a = core_res_new(m, CORE_ACCOUNT, sizeof(*a), NULL, id);
	a->name = xstrdup(name);
	a->is_admin = is_admin;
	k = CORE_PUSH(a->keys, a->n_keys);
	memcpy(k->access_key_id, "AKIA", 4);
	do {
		random_chars(k->access_key_id + 4, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
	} while (map_get(&m->keys, k->access_key_id));
	random_chars(k->secret, 40,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
	map_put(&m->keys, k->access_key_id, a);
	return a;
}

struct core_account *
core_account_by_key(const struct core_model *m, const char *access_key_id)
{
	return map_get(&m->keys, access_key_id);
}

void
core_account_free_fields(struct core_account *a)
{
	free(a->name);
	explicit_zero(a->keys, a->n_keys * sizeof(*a->keys));
	free(a->keys);
}
