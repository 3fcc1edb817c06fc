/*
 * The generic EC2 Query codec: flat request parameters into the generated
 * C structs, and C structs into the XML that EC2 clients parse.  Nothing
 * here knows an operation; everything comes from the shape tables in
 * ec2_gen.c.
 *
 * Decoding relies on the parameters being sorted by name: every member of
 * a structure at prefix "P." then owns one contiguous run of parameters
 * (all names starting "P.Key." sort together), so one walk over the
 * parameters decodes a request, whatever its size, without searching.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_codec.h"

/* Longest piece of a client's value quoted back in an error message. */
#define ERR_VALUE_MAX 200

struct decoder {
	const struct api_param *params;
	struct arena *a;
	struct api_error *err;
};

/* A run of parameters that share one list index, e.g. "Filter.3.*". */
struct list_group {
	uint32_t index;
	size_t lo, hi;
};

static int set_error(struct api_error *, const char *, const char *, ...)
    PRINTF(3, 4);

static int
set_error(struct api_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->status = 400;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int
err_unknown(struct decoder *d, const char *name)
{
	return set_error(d->err, "UnknownParameter",
	    "The parameter %.*s is not recognized", ERR_VALUE_MAX, name);
}

static int
err_value(struct decoder *d, const char *name, const char *value,
    const char *expected)
{
	return set_error(d->err, "InvalidParameterValue",
	    "Value (%.*s) for parameter %.*s is invalid. %s", ERR_VALUE_MAX,
	    value, ERR_VALUE_MAX, name, expected);
}

/*
 * The enum error lists the allowed values, as AWS does, cut short when
 * they do not fit the message.
 */
static int
err_enum(struct decoder *d, const char *name, const char *value,
    const char *const *enums)
{
	char *msg = d->err->message;
	size_t cap = sizeof(d->err->message), len;
	int n;

	set_error(d->err, "InvalidParameterValue",
	    "Value (%.*s) for parameter %.*s is invalid. Valid values: ",
	    ERR_VALUE_MAX, value, ERR_VALUE_MAX, name);
	len = strlen(msg);
	for (size_t i = 0; enums[i]; i++) {
		n = snprintf(msg + len, cap - len, "%s%s", i ? ", " : "",
		    enums[i]);
		if (n < 0 || (size_t)n + 6 > cap - len) {
			msg[len] = '\0';
			strcat(msg, ", ...");
			break;
		}
		len += n;
	}
	return -EINVAL;
}

static bool
is_ignored(const char *name)
{
	return strcmp(name, "Action") == 0 || strcmp(name, "Version") == 0 ||
	    strncasecmp(name, "X-Amz-", 6) == 0;
}

/*
 * Parses a decimal integer with an optional sign into [min, max].  Unlike
 * strtoll alone, rejects leading blanks, trailing garbage and "".
 */
static int
parse_int(const char *s, int64_t min, int64_t max, int64_t *v)
{
	const char *p = s;
	char *end;
	long long n;

	if (*p == '+' || *p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || *end != '\0' || n < min || n > max)
		return -EINVAL;
	*v = n;
	return 0;
}

static int
parse_double(const char *s, double *v)
{
	char *end;
	double x;

	if (*s == '\0' || *s == ' ' || (*s >= '\t' && *s <= '\r'))
		return -EINVAL;
	errno = 0;
	x = strtod(s, &end);
	if (errno || *end != '\0' || !isfinite(x))
		return -EINVAL;
	*v = x;
	return 0;
}

/* Reads exactly 'n' digits at '*p' and advances past them. */
static int
digits(const char **p, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -EINVAL;
		x = x * 10 + (c - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

/*
 * Parses ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fff...][Z|+HH:MM|-HH:MM|+HHMM]"
 * (what botocore sends, and what people type) into epoch milliseconds.
 * A missing zone means UTC.
 */
static int
parse_time(const char *s, int64_t *ms)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, frac = 0, zh = 0, zm = 0, sign = 0;
	int64_t secs;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -EINVAL;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -EINVAL;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &sec))
		return -EINVAL;
	if (*p == '.' || *p == ',') {
		int scale = 100, n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, n++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
		if (n == 0)
			return -EINVAL;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &zh))
			return -EINVAL;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &zm))
			return -EINVAL;
	}
	if (*p != '\0' || zh > 23 || zm > 59 || time_from_civil(y, mo, d, h, mi, sec, &secs))
		return -EINVAL;
	*ms = (secs - sign * (zh * 3600 + zm * 60)) * 1000 + frac;
	return 0;
}

/*
 * Decodes one scalar 'value' of 'type' into 'dst'.  'name' is the full
 * wire name for error messages.
 */
static int
decode_scalar(struct decoder *d, enum ec2_type type, const char *const *enums,
    const char *name, const char *value, void *dst)
{
	int64_t v;
	double x;

	switch (type) {
	case EC2_STRING:
		if (enums) {
			size_t i;

			for (i = 0; enums[i]; i++)
				if (strcmp(enums[i], value) == 0)
					break;
			if (enums[i] == NULL)
				return err_enum(d, name, value, enums);
		}
		/* Borrowed: the parameters outlive the decoded struct. */
		*(const char **)dst = value;
		return 0;
	case EC2_BOOL:
		if (strcasecmp(value, "true") == 0)
			*(struct ec2_opt_bool *)dst = EC2_BOOL(true);
		else if (strcasecmp(value, "false") == 0)
			*(struct ec2_opt_bool *)dst = EC2_BOOL(false);
		else
			return err_value(d, name, value,
			    "Expected: 'true' or 'false'.");
		return 0;
	case EC2_INT:
		if (parse_int(value, INT32_MIN, INT32_MAX, &v))
			return err_value(d, name, value,
			    "Expected: an integer between -2147483648 and "
			    "2147483647.");
		*(struct ec2_opt_int *)dst = EC2_INT(v);
		return 0;
	case EC2_LONG:
		if (parse_int(value, INT64_MIN, INT64_MAX, &v))
			return err_value(d, name, value,
			    "Expected: a 64-bit integer.");
		*(struct ec2_opt_int *)dst = EC2_INT(v);
		return 0;
	case EC2_DOUBLE:
		if (parse_double(value, &x))
			return err_value(d, name, value, "Expected: a number.");
		*(struct ec2_opt_double *)dst =
		    (struct ec2_opt_double){ .set = true, .v = x };
		return 0;
	case EC2_TIME:
		if (parse_time(value, &v))
			return err_value(d, name, value,
			    "Expected: an ISO 8601 timestamp such as "
			    "2024-01-02T03:04:05Z.");
		*(struct ec2_opt_int *)dst = EC2_INT(v);
		return 0;
	case EC2_STRUCT:
	case EC2_LIST:
		break;
	}
	return err_unknown(d, name);
}

static size_t
item_size(const struct ec2_member *m)
{
	switch (m->item_type) {
	case EC2_STRING:
		return sizeof(const char *);
	case EC2_BOOL:
		return sizeof(struct ec2_opt_bool);
	case EC2_DOUBLE:
		return sizeof(struct ec2_opt_double);
	case EC2_STRUCT:
		return m->shape->size;
	case EC2_INT:
	case EC2_LONG:
	case EC2_TIME:
	case EC2_LIST:
		break;
	}
	return sizeof(struct ec2_opt_int);
}

static bool
is_present(const struct ec2_member *m, const char *value)
{
	const void *f = value + m->offset;

	switch (m->type) {
	case EC2_STRING:
		return *(const char *const *)f != NULL;
	case EC2_BOOL:
		return ((const struct ec2_opt_bool *)f)->set;
	case EC2_DOUBLE:
		return ((const struct ec2_opt_double *)f)->set;
	case EC2_INT:
	case EC2_LONG:
	case EC2_TIME:
		return ((const struct ec2_opt_int *)f)->set;
	case EC2_STRUCT:
		return *(void *const *)f != NULL;
	case EC2_LIST:
		return *(const size_t *)(value + m->count_offset) > 0;
	}
	return false;
}

static int
group_cmp(const void *a, const void *b)
{
	const struct list_group *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

static int decode_struct(struct decoder *, const struct ec2_shape *, size_t,
    size_t, size_t, void *);

/*
 * Decodes list member 'm' of the struct at 'out' from params [lo, hi),
 * whose names all start with the list's key and a dot ("Filter."; 'klen'
 * is its length).  Items are numbered by any positive integers and are
 * decoded in numeric order, whatever the string order of the names.
 */
static int
decode_list(struct decoder *d, const struct ec2_member *m, size_t lo,
    size_t hi, size_t klen, char *out)
{
	const struct api_param *params = d->params;
	struct list_group *groups;
	size_t n = 0, size, i, j;
	bool sorted = true;
	char *items;
	int ret;

	groups = arena_array(d->a, hi - lo, sizeof(*groups));
	for (i = lo; i < hi; i = j) {
		const char *idx = params[i].name + klen;
		size_t len = strcspn(idx, ".");
		uint32_t v = 0;

		/* At most nine digits, no leading zero: "01" and "1" are
		 * then never the same item under two names. */
		if (len == 0 || len > 9 || idx[0] == '0')
			return err_unknown(d, params[i].name);
		for (size_t k = 0; k < len; k++) {
			if (idx[k] < '0' || idx[k] > '9')
				return err_unknown(d, params[i].name);
			v = v * 10 + (idx[k] - '0');
		}
		for (j = i + 1; j < hi; j++) {
			const char *o = params[j].name + klen;

			if (strncmp(o, idx, len) != 0 ||
			    (o[len] != '\0' && o[len] != '.'))
				break;
		}
		if (n && groups[n - 1].index > v)
			sorted = false;
		groups[n++] = (struct list_group){ v, i, j };
	}
	if (!sorted)
		qsort(groups, n, sizeof(*groups), group_cmp);

	size = item_size(m);
	items = arena_array(d->a, n, size);
	for (size_t g = 0; g < n; g++) {
		void *item = items + g * size;
		size_t ilen = klen + strcspn(params[groups[g].lo].name + klen,
		    ".");

		if (m->item_type == EC2_STRUCT) {
			/* "Filter.1=x" names no member of the item. */
			if (params[groups[g].lo].name[ilen] == '\0')
				return err_unknown(d, params[groups[g].lo].name);
			ret = decode_struct(d, m->shape, groups[g].lo,
			    groups[g].hi, ilen + 1, item);
			if (ret)
				return ret;
			continue;
		}
		for (i = groups[g].lo; i < groups[g].hi; i++) {
			if (params[i].name[ilen] != '\0')
				return err_unknown(d, params[i].name);
			ret = decode_scalar(d, m->item_type, m->enums,
			    params[i].name, params[i].value, item);
			if (ret)
				return ret;
		}
	}
	*(void **)(out + m->offset) = items;
	*(size_t *)(out + m->count_offset) = n;
	return 0;
}

static const struct ec2_member *
find_member(const struct ec2_shape *shape, const char *seg, size_t len)
{
	for (size_t i = 0; i < shape->n_members; i++) {
		const char *q = shape->members[i].query_name;

		if (q[0] == seg[0] && strncmp(q, seg, len) == 0 &&
		    q[len] == '\0')
			return &shape->members[i];
	}
	return NULL;
}

/*
 * Decodes the structure of 'shape' at 'out' from params [lo, hi), whose
 * names all start with the structure's prefix of 'plen' bytes ("" at the
 * top, "IpPermissions.1." inside).
 */
static int
decode_struct(struct decoder *d, const struct ec2_shape *shape, size_t lo,
    size_t hi, size_t plen, void *out)
{
	const struct api_param *params = d->params;
	size_t i = lo, j;
	int ret;

	while (i < hi) {
		const char *name = params[i].name, *seg = name + plen;
		size_t len = strcspn(seg, "."), klen;
		const struct ec2_member *m;
		char *field;

		if (plen == 0 && is_ignored(name)) {
			i++;
			continue;
		}
		m = len ? find_member(shape, seg, len) : NULL;
		if (m == NULL)
			return err_unknown(d, name);
		field = (char *)out + m->offset;
		if (seg[len] == '\0') {
			/*
			 * A bare "Key=" is how the query protocol sends an
			 * empty list; EC2 clients omit it, but it is harmless.
			 */
			if (m->type == EC2_LIST && params[i].value[0] == '\0') {
				i++;
				continue;
			}
			if (m->type == EC2_STRUCT || m->type == EC2_LIST)
				return err_unknown(d, name);
			ret = decode_scalar(d, m->type, m->enums, name,
			    params[i].value, field);
			if (ret)
				return ret;
			i++;
			continue;
		}

		/* The run of parameters under "Key." */
		klen = plen + len + 1;
		for (j = i + 1; j < hi; j++)
			if (strncmp(params[j].name, name, klen) != 0)
				break;
		if (m->type == EC2_STRUCT) {
			void *sub = arena_alloc(d->a, m->shape->size);

			ret = decode_struct(d, m->shape, i, j, klen, sub);
			if (ret)
				return ret;
			*(void **)field = sub;
		} else if (m->type == EC2_LIST) {
			ret = decode_list(d, m, i, j, klen, out);
			if (ret)
				return ret;
		} else {
			return err_unknown(d, name);
		}
		i = j;
	}

	for (size_t k = 0; k < shape->n_members; k++) {
		const struct ec2_member *m = &shape->members[k];

		if (m->required && !is_present(m, out))
			return set_error(d->err, "MissingParameter",
			    "The request must contain the parameter %.*s%s",
			    (int)plen, plen ? params[lo].name : "",
			    m->query_name);
	}
	return 0;
}

int
api_decode(const struct ec2_shape *shape, const struct api_param *params,
    size_t n_params, struct arena *a, void *out, struct api_error *err)
{
	static const struct ec2_shape none = { .name = "None" };
	struct decoder d = { .params = params, .a = a, .err = err };

	return decode_struct(&d, shape ? shape : &none, 0, n_params, 0, out);
}

/* Encoding */

static void
put_tag(struct buf *b, const char *open, size_t olen, const char *name,
    const char *close, size_t clen)
{
	size_t n = strlen(name);
	char *p;

	buf_reserve(b, olen + n + clen);
	p = b->data + b->len;
	memcpy(p, open, olen);
	memcpy(p + olen, name, n);
	memcpy(p + olen + n, close, clen);
	b->len += olen + n + clen;
	b->data[b->len] = '\0';
}

static void
put_open(struct buf *b, const char *name)
{
	put_tag(b, "<", 1, name, ">", 1);
}

static void
put_close(struct buf *b, const char *name)
{
	put_tag(b, "</", 2, name, ">", 1);
}

static void
put_int(struct buf *b, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--p = '0' + u % 10;
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	buf_add(b, p, tmp + sizeof(tmp) - p);
}

/*
 * The shortest of %.15g, %.16g and %.17g that reads back as the same
 * double: 0.1 stays "0.1" rather than "0.10000000000000001".
 */
static void
put_double(struct buf *b, double v)
{
	char tmp[32];

	if (isnan(v)) {
		buf_puts(b, "NaN");
		return;
	}
	if (isinf(v)) {
		buf_puts(b, v < 0 ? "-Infinity" : "Infinity");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (prec == 17 || strtod(tmp, NULL) == v)
			break;
	}
	buf_puts(b, tmp);
}

/* Writes the text of one scalar; 'field' points at its C representation. */
static void
put_scalar(struct buf *b, enum ec2_type type, const void *field)
{
	char tmp[32];

	switch (type) {
	case EC2_STRING:
		if (*(const char *const *)field)
			api_xml_escape(b, *(const char *const *)field);
		break;
	case EC2_BOOL: {
		const struct ec2_opt_bool *v = field;

		if (v->set)
			buf_add(b, v->v ? "true" : "false", v->v ? 4 : 5);
		break;
	}
	case EC2_INT:
	case EC2_LONG: {
		const struct ec2_opt_int *v = field;

		if (v->set)
			put_int(b, v->v);
		break;
	}
	case EC2_DOUBLE: {
		const struct ec2_opt_double *v = field;

		if (v->set)
			put_double(b, v->v);
		break;
	}
	case EC2_TIME: {
		const struct ec2_opt_int *v = field;

		if (v->set) {
			time_format_iso(v->v, tmp);
			buf_puts(b, tmp);
		}
		break;
	}
	case EC2_STRUCT:
	case EC2_LIST:
		break;
	}
}

static void
encode_list(struct buf *b, const struct ec2_member *m, const char *value)
{
	const char *items = *(const char *const *)(value + m->offset);
	size_t n = *(const size_t *)(value + m->count_offset);
	size_t size = item_size(m);

	if (items == NULL)
		return;
	if (n == 0) {
		put_tag(b, "<", 1, m->xml_name, "/>", 2);
		return;
	}
	put_open(b, m->xml_name);
	for (size_t i = 0; i < n; i++) {
		put_open(b, m->item_name);
		if (m->item_type == EC2_STRUCT)
			api_encode(b, m->shape, items + i * size);
		else
			put_scalar(b, m->item_type, items + i * size);
		put_close(b, m->item_name);
	}
	put_close(b, m->xml_name);
}

void
api_encode(struct buf *b, const struct ec2_shape *shape, const void *value)
{
	const char *v = value;

	for (size_t i = 0; i < shape->n_members; i++) {
		const struct ec2_member *m = &shape->members[i];
		const void *field = v + m->offset;

		if (m->type == EC2_LIST) {
			encode_list(b, m, v);
			continue;
		}
		if (!is_present(m, v))
			continue;
		put_open(b, m->xml_name);
		if (m->type == EC2_STRUCT)
			api_encode(b, m->shape, *(const void *const *)field);
		else
			put_scalar(b, m->type, field);
		put_close(b, m->xml_name);
	}
}

/*
 * Length of the well-formed UTF-8 sequence at 's' that XML 1.0 allows, or
 * 0: overlong forms, surrogates, U+FFFE, U+FFFF and anything above
 * U+10FFFF are refused (RFC 3629 table 4, XML 1.0 "Char").
 */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c >= 0xc2 && c <= 0xdf)
		return s[1] >= 0x80 && s[1] <= 0xbf ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = c == 0xed ? 0x9f : 0xbf;

		if (s[1] < lo || s[1] > hi || s[2] < 0x80 || s[2] > 0xbf)
			return 0;
		if (c == 0xef && s[1] == 0xbf && s[2] >= 0xbe)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = c == 0xf4 ? 0x8f : 0xbf;

		if (s[1] < lo || s[1] > hi || s[2] < 0x80 || s[2] > 0xbf ||
		    s[3] < 0x80 || s[3] > 0xbf)
			return 0;
		return 4;
	}
	return 0;
}

/*
 * Escapes the five XML specials.  Characters XML 1.0 cannot carry at all
 * (control characters other than tab, newline and carriage return) are
 * dropped, and malformed UTF-8 becomes U+FFFD, because one stray byte in
 * a tag value would otherwise make every later Describe response
 * unparseable for the client.  CR is written as a character reference so
 * that XML's line-end normalization does not turn it into LF.
 */
void
api_xml_escape(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	const char *rep;
	size_t n;

	for (;;) {
		unsigned char c = *p;

		if (c >= 0x20 && c < 0x80 && c != '&' && c != '<' &&
		    c != '>' && c != '"' && c != '\'') {
			p++;
			continue;
		}
		if (c >= 0x80 && (n = utf8_len(p)) != 0) {
			p += n;
			continue;
		}
		if (c == '\t' || c == '\n') {
			p++;
			continue;
		}
		if (p > run)
			buf_add(b, run, p - run);
		if (c == '\0')
			break;
		switch (c) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		case '\r':
			rep = "&#13;";
			break;
		default:
			rep = c >= 0x80 ? "\xef\xbf\xbd" : "";
			break;
		}
		buf_puts(b, rep);
		run = ++p;
	}
}
