/* Open-addressing string map with linear probing and tombstones. */
#include <stdlib.h>
#include <string.h>

#include "lib.h"

struct map_slot {
	const char *key;  /* NULL: empty; MAP_TOMB: deleted */
	void *value;
	uint64_t hash;
};

static const char map_tomb[1];
#define MAP_TOMB map_tomb

uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;  /* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

void
map_init(struct map *m)
{
	memset(m, 0, sizeof(*m));
}

void
map_fini(struct map *m)
{
	free(m->slots);
	map_init(m);
}

static struct map_slot *
map_find(const struct map *m, const char *key, uint64_t h)
{
	size_t mask, i;

	if (m->cap == 0)
		return NULL;
	mask = m->cap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		struct map_slot *s = &m->slots[i];

		if (s->key == NULL)
			return NULL;
		if (s->key != MAP_TOMB && s->hash == h && strcmp(s->key, key) == 0)
			return s;
	}
}

static void
map_grow(struct map *m)
{
	struct map_slot *old = m->slots;
	size_t oldcap = m->cap, i;

	m->cap = oldcap ? oldcap * 2 : 16;
	if (m->count * 4 < oldcap)  /* mostly tombstones: rehash in place size */
		m->cap = oldcap;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	m->tombs = 0;
	for (i = 0; i < oldcap; i++) {
		struct map_slot *s = &old[i];
		size_t j;

		if (s->key == NULL || s->key == MAP_TOMB)
			continue;
		for (j = s->hash & (m->cap - 1); m->slots[j].key; j = (j + 1) & (m->cap - 1))
			;
		m->slots[j] = *s;
	}
	free(old);
}

void *
map_get(const struct map *m, const char *key)
{
	struct map_slot *s = map_find(m, key, hash_str(key));

	return s ? s->value : NULL;
}

void *
map_put(struct map *m, const char *key, void *value)
{
	uint64_t h = hash_str(key);
	struct map_slot *s = map_find(m, key, h);
	size_t i;

	if (s) {
		void *old = s->value;

		s->key = key;
		s->value = value;
		return old;
	}
	if ((m->count + m->tombs + 1) * 4 > m->cap * 3)
		map_grow(m);
	for (i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		s = &m->slots[i];
		if (s->key == NULL || s->key == MAP_TOMB)
			break;
	}
	if (s->key == MAP_TOMB)
		m->tombs--;
	s->key = key;
	s->value = value;
	s->hash = h;
	m->count++;
	return NULL;
}

void *
map_del(struct map *m, const char *key)
{
	struct map_slot *s = map_find(m, key, hash_str(key));
	void *v;

	if (s == NULL)
		return NULL;
	v = s->value;
	s->key = MAP_TOMB;
	s->value = NULL;
	m->count--;
	m->tombs++;
	return v;
}

bool
map_next(const struct map *m, size_t *iter, const char **key, void **value)
{
	while (*iter < m->cap) {
		struct map_slot *s = &m->slots[(*iter)++];

		if (s->key && s->key != MAP_TOMB) {
			if (key)
				*key = s->key;
			if (value)
				*value = s->value;
			return true;
		}
	}
	return false;
}
