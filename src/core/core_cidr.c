/* IPv4 CIDR arithmetic for addresses in host byte order. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

/* Strict dotted quad: four decimal octets, no leading zeros beyond "0". */
static const char *
parse_quad(const char *s, uint32_t *ip)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned o = 0;
		int digits = 0;

		if (i && *s++ != '.')
			return NULL;
		while (*s >= '0' && *s <= '9') {
			if (digits && o == 0)
				return NULL;
			o = o * 10 + (unsigned)(*s++ - '0');
			if (++digits > 3 || o > 255)
				return NULL;
		}
		if (!digits)
			return NULL;
		v = v << 8 | o;
	}
	*ip = v;
	return s;
}

int
core_ip_parse(const char *s, uint32_t *ip)
{
	const char *e = s ? parse_quad(s, ip) : NULL;

	return e && *e == '\0' ? 0 : -EINVAL;
}

int
core_cidr_parse(const char *s, struct core_cidr *c)
{
	const char *e = s ? parse_quad(s, &c->addr) : NULL;
	unsigned len = 0;
	int digits = 0;

	if (e == NULL || *e++ != '/')
		return -EINVAL;
	while (*e >= '0' && *e <= '9') {
		len = len * 10 + (unsigned)(*e++ - '0');
		if (++digits > 2)
			return -EINVAL;
	}
	if (!digits || *e || len > 32)
		return -EINVAL;
	c->len = (uint8_t)len;
	return 0;
}

void
core_ip_format(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
	    ip & 255);
}

void
core_cidr_format(const struct core_cidr *c, char out[20])
{
	char ip[16];

	core_ip_format(c->addr, ip);
	snprintf(out, 20, "%s/%u", ip, c->len);
}

uint32_t
core_cidr_mask(uint8_t len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

struct core_cidr
core_cidr_canonical(struct core_cidr c)
{
	c.addr &= core_cidr_mask(c.len);
	return c;
}

bool
core_cidr_is_canonical(const struct core_cidr *c)
{
	return (c->addr & ~core_cidr_mask(c->len)) == 0;
}

bool
core_cidr_contains_ip(const struct core_cidr *c, uint32_t ip)
{
	uint32_t mask = core_cidr_mask(c->len);

	return (ip & mask) == (c->addr & mask);
}

bool
core_cidr_contains(const struct core_cidr *outer, const struct core_cidr *inner)
{
	return inner->len >= outer->len && core_cidr_contains_ip(outer, inner->addr);
}

bool
core_cidr_overlaps(const struct core_cidr *a, const struct core_cidr *b)
{
	return core_cidr_contains(a, b) || core_cidr_contains(b, a);
}

uint64_t
core_cidr_size(const struct core_cidr *c)
{
	return (uint64_t)1 << (32 - c->len);
}

/*
 * AWS lets a VPC's secondary blocks come from the same kind of range as
 * its primary: 0 for 10/8, 1 for 172.16/12, 2 for 192.168/16, 3 for
 * 100.64/10 (allowed with any RFC 1918 primary), 4 for public space.
 */
int
core_cidr_class(const struct core_cidr *c)
{
	static const struct core_cidr ranges[] = {
		{ 0x0a000000, 8 }, { 0xac100000, 12 }, { 0xc0a80000, 16 }, { 0x64400000, 10 },
	};

	for (int i = 0; i < 4; i++)
		if (core_cidr_contains(&ranges[i], c))
			return i;
	return 4;
}
