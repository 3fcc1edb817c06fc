/*
 * The EC2 Query codec: request parameters in, XML out, both driven by the
 * shape tables that spec/gen_ec2.py generates from botocore's EC2 model
 * (ec2_gen.h / ec2_gen.c).
 *
 * C representation of a shape's members (the generator emits one struct
 * per structure shape, named ec2_<snake_case shape name>, members named
 * in snake_case):
 *   string, enum, blob   const char *            NULL when absent
 *   boolean              struct ec2_opt_bool     .set false when absent
 *   integer, long        struct ec2_opt_int
 *   float, double        struct ec2_opt_double
 *   timestamp            struct ec2_opt_int      epoch milliseconds
 *   structure            struct ec2_x *          NULL when absent
 *   list of T            T *x; size_t n_x;       items embedded; strings
 *                                                are const char *
 * On output, a list is written when its items pointer is non-NULL, even
 * with no items (AWS sends <vpcSet/>, and boto3 then shows []), and
 * omitted when NULL.
 */
#ifndef VPCD_API_CODEC_H
#define VPCD_API_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/lib.h"

struct ec2_opt_bool {
	bool set;
	bool v;
};
struct ec2_opt_int {
	bool set;
	int64_t v;
};
struct ec2_opt_double {
	bool set;
	double v;
};
#define EC2_BOOL(x) ((struct ec2_opt_bool){ .set = true, .v = (x) })
#define EC2_INT(x) ((struct ec2_opt_int){ .set = true, .v = (x) })

enum ec2_type {
	EC2_STRING,
	EC2_BOOL,
	EC2_INT,      /* botocore integer: 32-bit range */
	EC2_LONG,     /* botocore long: 64-bit range */
	EC2_DOUBLE,
	EC2_TIME,
	EC2_STRUCT,
	EC2_LIST,
};

struct ec2_shape;

struct ec2_member {
	const char *name;        /* model member name, e.g. "CidrBlock" */
	const char *query_name;  /* request wire name, e.g. "CidrBlock", "Filter" */
	const char *xml_name;    /* response element name, e.g. "cidrBlock" */
	enum ec2_type type;      /* EC2_LIST for lists */
	enum ec2_type item_type; /* lists: the type of the items */
	bool required;
	const char *item_name;   /* lists: response element of each item ("item") */
	size_t offset;           /* offsetof the value, or of a list's items */
	size_t count_offset;     /* lists: offsetof the size_t count */
	const struct ec2_shape *shape;  /* structures, lists of structures */
	const char *const *enums;       /* NULL-terminated allowed values, or NULL */
};

struct ec2_shape {
	const char *name;  /* botocore shape name */
	size_t size;       /* sizeof the C struct */
	const struct ec2_member *members;
	size_t n_members;
};

struct ec2_op {
	const char *name;                /* "CreateVpc" */
	const struct ec2_shape *input;   /* NULL if the operation has none */
	const struct ec2_shape *output;  /* NULL: answers <return>true</return> */
};

/* The operations vpcd serves (spec/actions.txt), sorted by name. */
extern const struct ec2_op ec2_ops[];
extern const size_t ec2_n_ops;
/* Returns the operation named 'name' or NULL. */
const struct ec2_op *ec2_op_find(const char *name);

/* An error for the caller, rendered only by the XML writer. */
struct api_error {
	int status;          /* HTTP status */
	const char *code;    /* EC2 error code, static string */
	char message[1024];
};

/* One decoded request parameter (query string and form body merged). */
struct api_param {
	const char *name;
	const char *value;
};

/*
 * Decodes 'params' (sorted by strcmp on name; names may repeat only if the
 * client repeated them) into 'out', a zeroed struct of input shape 'shape'.
 * Arrays and strings are allocated from 'a' (strings may also point into
 * 'params', which must outlive 'out').  Names "Action", "Version" and any
 * starting with "X-Amz-" are ignored.  Returns 0, or -EINVAL with 'err'
 * set: MissingParameter for an absent required member, InvalidParameterValue
 * for a malformed boolean, number, timestamp or enum value, UnknownParameter
 * for a name the shape does not have.
 */
int api_decode(const struct ec2_shape *shape, const struct api_param *params,
    size_t n_params, struct arena *a, void *out, struct api_error *err);

/*
 * Appends the members of 'value' (a struct of 'shape') as XML elements,
 * named by xml_name; lists as <name><item>..</item></name>.  Unset members
 * are omitted.  Booleans are true/false, timestamps RFC 3339 UTC with
 * milliseconds.
 */
void api_encode(struct buf *b, const struct ec2_shape *shape, const void *value);

/* Appends 's' with XML special characters escaped. */
void api_xml_escape(struct buf *b, const char *s);

#endif
