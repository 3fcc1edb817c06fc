/*
 * AWS Signature Version 4: one canonicalisation shared by the verifier
 * (sigv4_verify) and the signers (sigv4_sign, sigv4_presign), so that our
 * own tools can never sign differently from what the daemon checks.
 *
 * A verification parses the authentication parameters into a struct ctx on
 * the stack, checks everything that needs no secret (scope, time), builds
 * the canonical request and string to sign into two buffers, and only then
 * looks up the secret.  The common EC2 request (POST, empty query) costs
 * three allocations, two SHA-256s and one HMAC; the four HMACs that derive
 * the signing key are cached.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "api/api_sigv4.h"
#include "lib/lib.h"

#define ALGORITHM		"AWS4-HMAC-SHA256"
#define TERMINATOR		"aws4_request"
#define UNSIGNED_PAYLOAD	"UNSIGNED-PAYLOAD"
#define SECURITY_TOKEN		"X-Amz-Security-Token"
#define SHA256_LEN		32
#define SHA256_BLOCK		64
#define HEX_LEN			(2 * SHA256_LEN)
/* How far a request's time may be from ours, either way. */
#define MAX_SKEW_MS		(15 * 60 * 1000LL)
/* The longest X-Amz-Expires AWS accepts: one week. */
#define MAX_EXPIRES_S		604800
#define SIGNED_HEADERS_MAX	2048
/* Longest piece of client input quoted back in an error message. */
#define QUOTE_MAX		200
#define KEY_CACHE_SLOTS		64
/* Query parameters sorted without allocating; more go to the heap. */
#define QPARAMS_INLINE		32
/* Room for the decoded authentication parameters of a presigned request. */
#define QUERY_AUTH_MAX		(SIGNED_HEADERS_MAX + 1024)

#define MSG_MISSING	"Request is missing Authentication Token"
#define MSG_MISMATCH	"The request signature we calculated does not match " \
	"the signature you provided. Check your AWS Secret Access Key and " \
	"signing method. Consult the service documentation for details."
#define MSG_QUERY_PARAMS "AWS query-string parameters must include " \
	"'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', " \
	"'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the query-string " \
	"parameters."

/* The errors of sigv4_verify, with the errno each one returns. */
enum fail_kind {
	FAIL_MISSING,		/* -ENOENT, 401 MissingAuthenticationToken */
	FAIL_INCOMPLETE,	/* -EINVAL, 400 IncompleteSignature */
	FAIL_EXPIRED,		/* -ETIME, 400 RequestExpired */
	FAIL_AUTH,		/* -EACCES, 401 AuthFailure */
	FAIL_INTERNAL,		/* -EIO (or the lookup's error), 500 InternalError */
};

static const struct {
	int		 ret;
	int		 status;
	const char	*code;
} fail_kinds[] = {
	[FAIL_MISSING] = { -ENOENT, 401, "MissingAuthenticationToken" },
	[FAIL_INCOMPLETE] = { -EINVAL, 400, "IncompleteSignature" },
	[FAIL_EXPIRED] = { -ETIME, 400, "RequestExpired" },
	[FAIL_AUTH] = { -EACCES, 401, "AuthFailure" },
	[FAIL_INTERNAL] = { -EIO, 500, "InternalError" },
};

/* A borrowed byte range; not NUL-terminated. */
struct span {
	const char	*p;
	size_t		 n;
};

/* The authentication parameters of one request, parsed and validated. */
struct auth {
	bool	is_presigned;
	char	access_key_id[129];
	char	date[9];		/* scope date, yyyymmdd */
	char	region[64];
	char	service[32];
	char	amz_date[17];		/* request time, yyyymmddThhmmssZ */
	int64_t	time_ms;		/* the same, milliseconds since the epoch */
	int64_t	expires_s;		/* X-Amz-Expires, or -1 */
	char	signed_headers[SIGNED_HEADERS_MAX + 1];
	size_t	signed_headers_len;
	/* As received, lower-cased; only its first HEX_LEN bytes are kept. */
	char	signature[HEX_LEN + 1];
	size_t	signature_len;
	/* Declared payload hash (x-amz-content-sha256), SIZE_MAX if absent. */
	char	content_sha256[HEX_LEN + 1];
	size_t	content_sha256_len;
};

/* Everything one verification or signature needs, on the caller's stack. */
struct ctx {
	const struct sigv4_request *req;
	struct span	path;
	struct span	query;
	struct auth	auth;
	char		payload_hash[HEX_LEN + 1];
	bool		is_payload_mismatch;
	EVP_MD_CTX	*md;		/* made by build(), freed by ctx_fini() */
};

/* A query parameter already RFC 3986 encoded, for sorting. */
struct qparam {
	const char	*name;
	size_t		 name_len;
	const char	*value;
	size_t		 value_len;
};

/* A parameter added to the canonical query by the presigner, unencoded. */
struct extra_param {
	const char	*name;
	const char	*value;
};

/* The authentication parameters found in a query, decoded. */
enum {
	QA_ALGORITHM,
	QA_CREDENTIAL,
	QA_DATE,
	QA_EXPIRES,
	QA_SIGNED_HEADERS,
	QA_SIGNATURE,
	QA_CONTENT_SHA256,
	QA_COUNT
};

static const char *const query_auth_names[QA_COUNT] = {
	[QA_ALGORITHM] = "X-Amz-Algorithm",
	[QA_CREDENTIAL] = "X-Amz-Credential",
	[QA_DATE] = "X-Amz-Date",
	[QA_EXPIRES] = "X-Amz-Expires",
	[QA_SIGNED_HEADERS] = "X-Amz-SignedHeaders",
	[QA_SIGNATURE] = "X-Amz-Signature",
	[QA_CONTENT_SHA256] = "X-Amz-Content-Sha256",
};

struct query_auth {
	struct span	values[QA_COUNT];	/* p == NULL when absent */
	char		storage[QUERY_AUTH_MAX];
	size_t		used;
};

/*
 * Derived signing keys.  A slot is chosen by hashing the access key id and
 * scope; the secret is stored too so that a rotated secret misses.  Slots
 * are zeroed before they are reused.
 */
struct key_slot {
	bool		is_used;
	size_t		secret_len;
	char		secret[SIGV4_SECRET_MAX];
	char		access_key_id[129];
	char		date[9];
	char		region[64];
	char		service[32];
	unsigned char	key[SHA256_LEN];
};

static struct key_slot key_cache[KEY_CACHE_SLOTS];
static pthread_mutex_t key_cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* Headers that proxies add or rewrite, never signed by sigv4_sign. */
static const char *const unsigned_headers[] = {
	"authorization", "connection", "expect", "keep-alive",
	"proxy-authorization", "proxy-connection", "te", "trailer",
	"transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
};

static int fail(struct sigv4_error *err, enum fail_kind kind,
    const char *fmt, ...) PRINTF(3, 4);

/*
 * Fills 'err' (which may be NULL) and returns the errno of 'kind'.
 */
static int
fail(struct sigv4_error *err, enum fail_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->status = fail_kinds[kind].status;
		err->code = fail_kinds[kind].code;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return fail_kinds[kind].ret;
}

/* Length of client input to quote in a message: at most QUOTE_MAX. */
static int
quote_len(size_t n)
{
	return (int)(n < QUOTE_MAX ? n : QUOTE_MAX);
}

/*
 * Character classes, by hand: the <ctype.h> ones depend on the locale and
 * take int arguments that must not be negative.
 */
static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\v' || c == '\f';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char
to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Case-insensitive comparison of a NUL-terminated header name to a span. */
static bool
name_eq(const char *name, struct span s)
{
	size_t i;

	for (i = 0; i < s.n; i++)
		if (name[i] == '\0' || to_lower(name[i]) != to_lower(s.p[i]))
			return false;
	return name[i] == '\0';
}

static void
hex_encode(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/*
 * Appends p[0..n) to 'b', percent-encoding every byte that is not RFC 3986
 * unreserved (and not '/' when 'keep_slash').  If 'decode_first', valid
 * %XX escapes in the input are decoded before encoding, so that a client's
 * own encoding choices (%7E or ~, %2f or %2F) do not change the result.
 */
static void
uri_encode(struct buf *b, const char *p, size_t n, bool keep_slash,
    bool decode_first)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char c;
	char *out;
	size_t i;
	int hi, lo;

	buf_reserve(b, 3 * n);
	out = b->data + b->len;
	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (decode_first && c == '%' && i + 2 < n &&
		    (hi = hex_value(p[i + 1])) >= 0 &&
		    (lo = hex_value(p[i + 2])) >= 0) {
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (is_unreserved(c) || (keep_slash && c == '/')) {
			*out++ = (char)c;
		} else {
			*out++ = '%';
			*out++ = digits[c >> 4];
			*out++ = digits[c & 0xf];
		}
	}
	b->len = (size_t)(out - b->data);
	b->data[b->len] = '\0';
}

/*
 * Percent-decodes 's' into 'out' (at most 'size' bytes, not NUL-terminated)
 * and returns the decoded length, or SIZE_MAX if it does not fit.
 */
static size_t
uri_decode(struct span s, char *out, size_t size)
{
	size_t i, n = 0;
	int hi, lo;

	for (i = 0; i < s.n; i++) {
		if (n == size)
			return SIZE_MAX;
		if (s.p[i] == '%' && i + 2 < s.n &&
		    (hi = hex_value(s.p[i + 1])) >= 0 &&
		    (lo = hex_value(s.p[i + 2])) >= 0) {
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[n++] = s.p[i];
		}
	}
	return n;
}

/*
 * SHA-256 is fetched from the provider once.  OpenSSL 3 otherwise fetches
 * it again on every EVP_Digest(EVP_sha256()) or HMAC() call, under a
 * process-wide read lock: measured, that was half the cost of a
 * verification, and a point of contention between worker threads.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* A digest context for one request; NULL (and errno set) on failure. */
static EVP_MD_CTX *
digest_new(void)
{
	EVP_MD_CTX *md;

	pthread_once(&sha256_once, sha256_fetch);
	if (sha256_md == NULL || (md = EVP_MD_CTX_new()) == NULL) {
		errno = EIO;
		return NULL;
	}
	return md;
}

/* SHA-256 of the concatenation of two pieces ('q' may be NULL); 0 or -EIO. */
static int
sha256_2(EVP_MD_CTX *md, const void *p, size_t n, const void *q, size_t m,
    unsigned char out[SHA256_LEN])
{
	unsigned int len;

	if (!EVP_DigestInit_ex2(md, sha256_md, NULL) ||
	    (n > 0 && !EVP_DigestUpdate(md, p, n)) ||
	    (m > 0 && !EVP_DigestUpdate(md, q, m)) ||
	    !EVP_DigestFinal_ex(md, out, &len))
		return -EIO;
	return 0;
}

static int
sha256(EVP_MD_CTX *md, const void *p, size_t n, unsigned char out[SHA256_LEN])
{
	return sha256_2(md, p, n, NULL, 0, out);
}

/*
 * HMAC-SHA-256 (RFC 2104) over the pre-fetched digest; HMAC() would fetch
 * both the MAC and the digest on every call.  'out' may alias 'key'.
 */
static int
hmac_sha256(EVP_MD_CTX *md, const void *key, size_t key_len, const void *p,
    size_t n, unsigned char out[SHA256_LEN])
{
	unsigned char k0[SHA256_BLOCK], pad[SHA256_BLOCK], inner[SHA256_LEN];
	size_t i;
	int ret;

	memset(k0, 0, sizeof(k0));
	if (key_len > SHA256_BLOCK) {
		if ((ret = sha256(md, key, key_len, k0)) != 0)
			goto out;
	} else {
		memcpy(k0, key, key_len);
	}
	for (i = 0; i < SHA256_BLOCK; i++)
		pad[i] = k0[i] ^ 0x36;
	if ((ret = sha256_2(md, pad, sizeof(pad), p, n, inner)) != 0)
		goto out;
	for (i = 0; i < SHA256_BLOCK; i++)
		pad[i] = k0[i] ^ 0x5c;
	ret = sha256_2(md, pad, sizeof(pad), inner, sizeof(inner), out);
out:
	explicit_zero(k0, sizeof(k0));
	explicit_zero(pad, sizeof(pad));
	explicit_zero(inner, sizeof(inner));
	return ret;
}

static bool
parse_digits(const char *p, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

/* Time conversion in UTC, without the C library's time zone state. */
static bool
make_time(int y, int mo, int d, int h, int mi, int s, int64_t *ms)
{
	int64_t secs;

	if (y < 1970 || s > 59 || time_from_civil(y, mo, d, h, mi, s, &secs))
		return false;
	*ms = secs * 1000;
	return true;
}

/* Parses ISO 8601 basic format, yyyymmddThhmmssZ. */
static bool
parse_iso_basic(struct span s, int64_t *ms)
{
	int y, mo, d, h, mi, sec;

	if (s.n != 16 || s.p[8] != 'T' || s.p[15] != 'Z')
		return false;
	if (!parse_digits(s.p, 4, &y) || !parse_digits(s.p + 4, 2, &mo) ||
	    !parse_digits(s.p + 6, 2, &d) || !parse_digits(s.p + 9, 2, &h) ||
	    !parse_digits(s.p + 11, 2, &mi) || !parse_digits(s.p + 13, 2, &sec))
		return false;
	return make_time(y, mo, d, h, mi, sec, ms);
}

/* Parses an HTTP date (IMF-fixdate): "Sun, 06 Nov 1994 08:49:37 GMT". */
static bool
parse_http_date(struct span s, int64_t *ms)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = s.p;
	int y, mo, d, h, mi, sec;

	if (s.n != 29 || p[3] != ',' || p[4] != ' ' || p[7] != ' ' ||
	    p[11] != ' ' || p[16] != ' ' || p[19] != ':' || p[22] != ':' ||
	    memcmp(p + 25, " GMT", 4) != 0)
		return false;
	for (mo = 0; mo < 12; mo++)
		if (memcmp(months + 3 * mo, p + 8, 3) == 0)
			break;
	if (mo == 12)
		return false;
	if (!parse_digits(p + 5, 2, &d) || !parse_digits(p + 12, 4, &y) ||
	    !parse_digits(p + 17, 2, &h) || !parse_digits(p + 20, 2, &mi) ||
	    !parse_digits(p + 23, 2, &sec))
		return false;
	return make_time(y, mo + 1, d, h, mi, sec, ms);
}

static void
format_iso_basic(int64_t ms, char out[17])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		memcpy(out, "00000000T000000Z", 17);
}

/*
 * Splits a request-target into path and query; an absolute-form target
 * ("http://host/path") loses its scheme and authority.
 */
static void
split_target(const char *target, struct span *path, struct span *query)
{
	const char *p = target ? target : "";
	const char *q, *scheme_end;

	if (*p != '/' && (scheme_end = strstr(p, "://")) != NULL) {
		p = scheme_end + 3;
		p += strcspn(p, "/?");
	}
	q = strchr(p, '?');
	path->p = p;
	path->n = q ? (size_t)(q - p) : strlen(p);
	query->p = q ? q + 1 : p + path->n;
	query->n = q ? strlen(q + 1) : 0;
}

/*
 * Splits the next "name[=value]" off the query 'q' into 'name' and 'value'
 * (empty when there is no '=').  Returns false at the end.  Empty pieces
 * ("a=1&&b=2") carry no parameter and are skipped.
 */
static bool
next_param(struct span *q, struct span *name, struct span *value)
{
	const char *amp, *eq;
	size_t len;

	while (q->n > 0) {
		amp = memchr(q->p, '&', q->n);
		len = amp ? (size_t)(amp - q->p) : q->n;
		name->p = q->p;
		q->p += amp ? len + 1 : len;
		q->n -= amp ? len + 1 : len;
		if (len == 0)
			continue;
		eq = memchr(name->p, '=', len);
		name->n = eq ? (size_t)(eq - name->p) : len;
		value->p = eq ? eq + 1 : name->p + len;
		value->n = eq ? len - name->n - 1 : 0;
		return true;
	}
	return false;
}

/*
 * Finds the only header called 'name'.  Returns its value, or NULL if it is
 * absent; '*count' says how many there were.
 */
static const char *
find_header(const struct sigv4_request *req, const char *name, int *count)
{
	struct span s = { name, strlen(name) };
	const char *value = NULL;
	size_t i;

	*count = 0;
	for (i = 0; i < req->n_headers; i++) {
		if (name_eq(req->headers[i].name, s)) {
			if (value == NULL)
				value = req->headers[i].value;
			(*count)++;
		}
	}
	return value;
}

/* Trims surrounding white space off 's'. */
static struct span
trim(struct span s)
{
	while (s.n > 0 && is_space(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

/*
 * Decodes the authentication parameters of the query into 'qa' (values that
 * do not fit are an error).  Returns 0 or fails IncompleteSignature on a
 * repeated parameter.
 */
static int
scan_query_auth(struct span query, struct query_auth *qa,
    struct sigv4_error *err)
{
	struct span name, value;
	char decoded[32];
	size_t n, i;

	memset(qa->values, 0, sizeof(qa->values));
	qa->used = 0;
	while (next_param(&query, &name, &value)) {
		n = uri_decode(name, decoded, sizeof(decoded));
		if (n == SIZE_MAX)
			continue;
		for (i = 0; i < QA_COUNT; i++)
			if (span_eq((struct span){ decoded, n }, query_auth_names[i]))
				break;
		if (i == QA_COUNT)
			continue;
		if (qa->values[i].p != NULL)
			return fail(err, FAIL_INCOMPLETE, "The query parameter '%s' "
			    "appears more than once.", query_auth_names[i]);
		n = uri_decode(value, qa->storage + qa->used,
		    sizeof(qa->storage) - qa->used);
		if (n == SIZE_MAX)
			return fail(err, FAIL_INCOMPLETE, "The query parameter '%s' "
			    "is too long.", query_auth_names[i]);
		qa->values[i].p = qa->storage + qa->used;
		qa->values[i].n = n;
		qa->used += n;
	}
	return 0;
}

/*
 * Parses "AKID/yyyymmdd/region/service/aws4_request" into 'a'.
 */
static int
set_credential(struct auth *a, struct span cred, struct sigv4_error *err)
{
	struct span part[5];
	const char *p = cred.p, *end = cred.p + cred.n, *slash;
	int i, digits;
	size_t j;

	/* Decoded from a query it could hold anything, NUL included. */
	for (j = 0; j < cred.n; j++)
		if ((unsigned char)cred.p[j] <= ' ' || cred.p[j] == 0x7f)
			return fail(err, FAIL_INCOMPLETE, "Credential contains a "
			    "control character or a space.");
	for (i = 0; i < 5; i++) {
		slash = i < 4 ? memchr(p, '/', (size_t)(end - p)) : NULL;
		if (i < 4 && slash == NULL)
			break;
		part[i].p = p;
		part[i].n = (size_t)((slash ? slash : end) - p);
		p = slash ? slash + 1 : end;
	}
	if (i < 5 || memchr(part[4].p, '/', part[4].n) != NULL)
		return fail(err, FAIL_INCOMPLETE, "Credential '%.*s' is not of the "
		    "form <access key id>/<yyyymmdd>/<region>/<service>/"
		    TERMINATOR ".", quote_len(cred.n), cred.p);
	if (part[0].n == 0 || part[0].n >= sizeof(a->access_key_id))
		return fail(err, FAIL_INCOMPLETE, "Credential '%.*s' does not "
		    "start with a valid access key id.", quote_len(cred.n), cred.p);
	memcpy(a->access_key_id, part[0].p, part[0].n);
	a->access_key_id[part[0].n] = '\0';
	if (part[1].n != 8 || !parse_digits(part[1].p, 8, &digits))
		return fail(err, FAIL_INCOMPLETE, "Invalid credential date '%.*s'. "
		    "Date is not the required format: yyyyMMdd.",
		    quote_len(part[1].n), part[1].p);
	memcpy(a->date, part[1].p, 8);
	a->date[8] = '\0';
	if (part[2].n == 0 || part[2].n >= sizeof(a->region))
		return fail(err, FAIL_INCOMPLETE, "Credential should be scoped to "
		    "a valid region, not '%.*s'.", quote_len(part[2].n), part[2].p);
	memcpy(a->region, part[2].p, part[2].n);
	a->region[part[2].n] = '\0';
	if (part[3].n == 0 || part[3].n >= sizeof(a->service))
		return fail(err, FAIL_INCOMPLETE, "Credential should be scoped to "
		    "a valid service, not '%.*s'.", quote_len(part[3].n), part[3].p);
	memcpy(a->service, part[3].p, part[3].n);
	a->service[part[3].n] = '\0';
	if (!span_eq(part[4], TERMINATOR))
		return fail(err, FAIL_INCOMPLETE, "Credential should be scoped with "
		    "a valid terminator: '" TERMINATOR "', not '%.*s'.",
		    quote_len(part[4].n), part[4].p);
	return 0;
}

static int
set_signed_headers(struct auth *a, struct span list, struct sigv4_error *err)
{
	if (list.n > SIGNED_HEADERS_MAX)
		return fail(err, FAIL_INCOMPLETE, "SignedHeaders is longer than "
		    "%d characters.", SIGNED_HEADERS_MAX);
	memcpy(a->signed_headers, list.p, list.n);
	a->signed_headers[list.n] = '\0';
	a->signed_headers_len = list.n;
	return 0;
}

static void
set_signature(struct auth *a, struct span sig)
{
	size_t i;

	a->signature_len = sig.n;
	for (i = 0; i < sig.n && i < HEX_LEN; i++)
		a->signature[i] = to_lower(sig.p[i]);
	a->signature[i] = '\0';
}

static void
set_content_sha256(struct auth *a, const char *value, size_t n)
{
	a->content_sha256_len = n;
	if (n > HEX_LEN)
		n = HEX_LEN;
	memcpy(a->content_sha256, value, n);
	a->content_sha256[n] = '\0';
}

/*
 * Parses the Authorization header value "AWS4-HMAC-SHA256 Credential=...,
 * SignedHeaders=..., Signature=..." (components in any order) into c->auth.
 */
static int
parse_authorization(struct ctx *c, const char *value, struct sigv4_error *err)
{
	struct span alg, part, key, val, cred = { 0 }, list = { 0 }, sig = { 0 };
	struct span *slot;
	const char *p = value, *eq;
	char missing[256];
	int ret, n = 0;

	while (is_space(*p))
		p++;
	alg.p = p;
	while (*p != '\0' && !is_space(*p))
		p++;
	alg.n = (size_t)(p - alg.p);
	if (!span_eq(alg, ALGORITHM))
		return fail(err, FAIL_INCOMPLETE, "Unsupported AWS 'algorithm': "
		    "'%.*s'. Only '" ALGORITHM "' is supported.",
		    quote_len(alg.n), alg.p);
	while (*p != '\0') {
		if (is_space(*p) || *p == ',') {
			p++;
			continue;
		}
		part.p = p;
		p += strcspn(p, ",");
		part.n = (size_t)(p - part.p);
		part = trim(part);
		eq = memchr(part.p, '=', part.n);
		if (eq == NULL)
			return fail(err, FAIL_INCOMPLETE, "'%.*s' not a valid "
			    "key=value pair (missing equal-sign) in Authorization "
			    "header: '%.*s'.", quote_len(part.n), part.p,
			    quote_len(strlen(value)), value);
		key = (struct span){ part.p, (size_t)(eq - part.p) };
		val = trim((struct span){ eq + 1, part.n - key.n - 1 });
		key = trim(key);
		if (span_eq(key, "Credential"))
			slot = &cred;
		else if (span_eq(key, "SignedHeaders"))
			slot = &list;
		else if (span_eq(key, "Signature"))
			slot = &sig;
		else
			continue;	/* AWS may add components; ignore them */
		if (slot->p != NULL)
			return fail(err, FAIL_INCOMPLETE, "'%.*s' appears more than "
			    "once in Authorization header.", quote_len(key.n), key.p);
		*slot = val;
	}
	missing[0] = '\0';
	if (cred.n == 0)
		n += snprintf(missing + n, sizeof(missing) - (size_t)n,
		    "Authorization header requires 'Credential' parameter. ");
	if (sig.n == 0)
		n += snprintf(missing + n, sizeof(missing) - (size_t)n,
		    "Authorization header requires 'Signature' parameter. ");
	if (list.n == 0)
		n += snprintf(missing + n, sizeof(missing) - (size_t)n,
		    "Authorization header requires 'SignedHeaders' parameter. ");
	if (n > 0)
		return fail(err, FAIL_INCOMPLETE, "%sAuthorization=%.*s", missing,
		    quote_len(strlen(value)), value);
	if ((ret = set_credential(&c->auth, cred, err)) != 0 ||
	    (ret = set_signed_headers(&c->auth, list, err)) != 0)
		return ret;
	set_signature(&c->auth, sig);
	return 0;
}

static int
set_date(struct auth *a, struct span date, bool is_http_date,
    struct sigv4_error *err)
{
	if (parse_iso_basic(date, &a->time_ms)) {
		memcpy(a->amz_date, date.p, 16);
		a->amz_date[16] = '\0';
		return 0;
	}
	if (is_http_date && parse_http_date(date, &a->time_ms)) {
		format_iso_basic(a->time_ms, a->amz_date);
		return 0;
	}
	return fail(err, FAIL_INCOMPLETE, "Date must be in ISO-8601 'basic "
	    "format'. Got '%.*s'. See http://en.wikipedia.org/wiki/ISO_8601",
	    quote_len(date.n), date.p);
}

/* The header form: Authorization plus X-Amz-Date (or Date) headers. */
static int
parse_header_form(struct ctx *c, const char *authorization,
    struct sigv4_error *err)
{
	const struct sigv4_request *req = c->req;
	const char *date, *declared;
	bool is_http_date = false;
	int ret, count;

	if ((ret = parse_authorization(c, authorization, err)) != 0)
		return ret;
	date = find_header(req, "x-amz-date", &count);
	if (date == NULL) {
		date = find_header(req, "date", &count);
		is_http_date = true;
	}
	if (date == NULL)
		return fail(err, FAIL_INCOMPLETE, "Authorization header requires "
		    "existence of either a 'X-Amz-Date' or a 'Date' header. "
		    "Authorization=%.*s", quote_len(strlen(authorization)),
		    authorization);
	if (count > 1)
		return fail(err, FAIL_INCOMPLETE, "The request carries %d '%s' "
		    "headers; it must carry one.", count,
		    is_http_date ? "Date" : "X-Amz-Date");
	if ((ret = set_date(&c->auth, trim((struct span){ date, strlen(date) }),
	    is_http_date, err)) != 0)
		return ret;
	declared = find_header(req, "x-amz-content-sha256", &count);
	if (declared != NULL) {
		struct span s = trim((struct span){ declared, strlen(declared) });

		set_content_sha256(&c->auth, s.p, s.n);
	}
	return 0;
}

/* The presigned form: everything in X-Amz-* query parameters. */
static int
parse_query_form(struct ctx *c, const struct query_auth *qa,
    struct sigv4_error *err)
{
	const struct span *v = qa->values;
	struct auth *a = &c->auth;
	const char *declared;
	char digits[16];
	int ret, count;
	size_t i;

	a->is_presigned = true;
	if (v[QA_ALGORITHM].n == 0 || v[QA_CREDENTIAL].n == 0 ||
	    v[QA_SIGNATURE].n == 0 || v[QA_DATE].n == 0 ||
	    v[QA_SIGNED_HEADERS].n == 0)
		return fail(err, FAIL_INCOMPLETE, MSG_QUERY_PARAMS);
	if (!span_eq(v[QA_ALGORITHM], ALGORITHM))
		return fail(err, FAIL_INCOMPLETE, "X-Amz-Algorithm only supports "
		    "'" ALGORITHM "', not '%.*s'.",
		    quote_len(v[QA_ALGORITHM].n), v[QA_ALGORITHM].p);
	if ((ret = set_credential(a, v[QA_CREDENTIAL], err)) != 0 ||
	    (ret = set_signed_headers(a, v[QA_SIGNED_HEADERS], err)) != 0 ||
	    (ret = set_date(a, v[QA_DATE], false, err)) != 0)
		return ret;
	set_signature(a, v[QA_SIGNATURE]);
	a->expires_s = -1;
	if (v[QA_EXPIRES].p != NULL) {
		if (v[QA_EXPIRES].n == 0 || v[QA_EXPIRES].n >= sizeof(digits))
			goto bad_expires;
		for (i = 0; i < v[QA_EXPIRES].n; i++)
			if (!is_digit(v[QA_EXPIRES].p[i]))
				goto bad_expires;
		memcpy(digits, v[QA_EXPIRES].p, v[QA_EXPIRES].n);
		digits[v[QA_EXPIRES].n] = '\0';
		a->expires_s = strtoll(digits, NULL, 10);
		if (a->expires_s > MAX_EXPIRES_S)
			return fail(err, FAIL_INCOMPLETE, "X-Amz-Expires must be less "
			    "than a week (in seconds) that is %d.", MAX_EXPIRES_S);
	}
	if (v[QA_CONTENT_SHA256].p != NULL) {
		set_content_sha256(a, v[QA_CONTENT_SHA256].p, v[QA_CONTENT_SHA256].n);
	} else if ((declared = find_header(c->req, "x-amz-content-sha256",
	    &count)) != NULL) {
		struct span s = trim((struct span){ declared, strlen(declared) });

		set_content_sha256(a, s.p, s.n);
	}
	return 0;

bad_expires:
	return fail(err, FAIL_INCOMPLETE, "X-Amz-Expires should be a number of "
	    "seconds, not '%.*s'.", quote_len(v[QA_EXPIRES].n), v[QA_EXPIRES].p);
}

static bool
signs_host(const struct auth *a)
{
	const char *p = a->signed_headers, *end = p + a->signed_headers_len;
	const char *semi;

	for (; p < end; p = semi + 1) {
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		if (name_eq("host", (struct span){ p, (size_t)(semi - p) }))
			return true;
	}
	return false;
}

/*
 * Finds and parses the authentication information of 'req' into 'c' and
 * checks what can be checked without the secret or the clock.
 */
static int
prepare(struct ctx *c, const struct sigv4_request *req, struct sigv4_error *err)
{
	struct query_auth qa;
	const char *authorization;
	int ret, count;

	memset(c, 0, sizeof(*c));
	c->req = req;
	c->auth.content_sha256_len = SIZE_MAX;
	c->auth.expires_s = -1;
	split_target(req->target, &c->path, &c->query);

	authorization = find_header(req, "authorization", &count);
	if (count > 1)
		return fail(err, FAIL_INCOMPLETE, "The request carries %d "
		    "Authorization headers; it must carry one.", count);
	if (authorization != NULL && authorization[strspn(authorization,
	    " \t")] != '\0') {
		ret = parse_header_form(c, authorization, err);
	} else {
		if ((ret = scan_query_auth(c->query, &qa, err)) != 0)
			return ret;
		if (qa.values[QA_SIGNATURE].p == NULL &&
		    qa.values[QA_CREDENTIAL].p == NULL)
			return fail(err, FAIL_MISSING, MSG_MISSING);
		ret = parse_query_form(c, &qa, err);
	}
	if (ret != 0)
		return ret;

	if (!signs_host(&c->auth))
		return fail(err, FAIL_INCOMPLETE, "'Host' must be a 'SignedHeader' "
		    "in the AWS Authorization.");
	if (memcmp(c->auth.date, c->auth.amz_date, 8) != 0)
		return fail(err, FAIL_INCOMPLETE, "Date in Credential scope does "
		    "not match YYYYMMDD from ISO-8601 version of date from HTTP: "
		    "'%s' != '%.8s', from '%s'.", c->auth.date, c->auth.amz_date,
		    c->auth.amz_date);
	return 0;
}

/* Appends the canonical URI: see the contract in api_sigv4.h. */
static void
canonical_path(struct buf *b, struct span path, bool is_normalized)
{
	const char *p = path.p, *end = path.p + path.n, *slash;
	size_t start = b->len, n;

	if (path.n == 0) {
		buf_putc(b, '/');
		return;
	}
	if (!is_normalized) {
		uri_encode(b, path.p, path.n, true, false);
		return;
	}
	/*
	 * Each kept segment is written as "/segment"; ".." cuts the output
	 * back to the previous '/', which encoded segments never contain.
	 */
	for (; p <= end; p = slash + 1) {
		slash = memchr(p, '/', (size_t)(end - p));
		if (slash == NULL)
			slash = end;
		n = (size_t)(slash - p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (b->len > start && b->data[b->len - 1] != '/')
				b->len--;
			if (b->len > start)
				b->len--;
			b->data[b->len] = '\0';
			continue;
		}
		buf_putc(b, '/');
		uri_encode(b, p, n, false, false);
	}
	if (b->len == start || end[-1] == '/')
		buf_putc(b, '/');
}

static int
qparam_cmp(const void *x, const void *y)
{
	const struct qparam *a = x, *b = y;
	size_t n;
	int r;

	n = a->name_len < b->name_len ? a->name_len : b->name_len;
	if ((r = memcmp(a->name, b->name, n)) != 0)
		return r;
	if (a->name_len != b->name_len)
		return a->name_len < b->name_len ? -1 : 1;
	n = a->value_len < b->value_len ? a->value_len : b->value_len;
	if ((r = memcmp(a->value, b->value, n)) != 0)
		return r;
	if (a->value_len != b->value_len)
		return a->value_len < b->value_len ? -1 : 1;
	return 0;
}

/* Growable array of query parameters that starts out on the stack. */
struct qparams {
	struct qparam	 inline_params[QPARAMS_INLINE];
	struct qparam	*v;
	size_t		 n;
	size_t		 cap;
};

static struct qparam *
qparams_add(struct qparams *ps)
{
	if (ps->n == ps->cap) {
		ps->cap *= 2;
		if (ps->v == ps->inline_params) {
			ps->v = xreallocarray(NULL, ps->cap, sizeof(*ps->v));
			memcpy(ps->v, ps->inline_params, sizeof(ps->inline_params));
		} else {
			ps->v = xreallocarray(ps->v, ps->cap, sizeof(*ps->v));
		}
	}
	return &ps->v[ps->n++];
}

/*
 * Appends the canonical query: every parameter of 'query' (but
 * X-Amz-Signature when 'is_presigned', and the session token under
 * SIGV4_UNSIGNED_TOKEN) plus 'extra', each name and value decoded and
 * re-encoded, sorted by name then value.
 */
static void
canonical_query(struct buf *out, struct span query, bool is_presigned,
    unsigned flags, const struct extra_param *extra, size_t n_extra)
{
	struct qparams ps;
	struct qparam *qp;
	struct span name, value, encoded;
	size_t bound, mark, i;
	struct buf enc;

	if (query.n == 0 && n_extra == 0)
		return;
	/*
	 * Encoding at most triples the input; reserving the bound up front
	 * keeps 'enc' from moving, so the parameters can point into it.
	 */
	bound = 3 * query.n;
	for (i = 0; i < n_extra; i++)
		bound += 3 * (strlen(extra[i].name) + strlen(extra[i].value));
	buf_init(&enc);
	buf_reserve(&enc, bound);
	ps.v = ps.inline_params;
	ps.n = 0;
	ps.cap = QPARAMS_INLINE;

	while (next_param(&query, &name, &value)) {
		mark = enc.len;
		uri_encode(&enc, name.p, name.n, false, true);
		encoded = (struct span){ enc.data + mark, enc.len - mark };
		if ((is_presigned && span_eq(encoded, "X-Amz-Signature")) ||
		    ((flags & SIGV4_UNSIGNED_TOKEN) &&
		    span_eq(encoded, SECURITY_TOKEN))) {
			enc.len = mark;
			continue;
		}
		qp = qparams_add(&ps);
		qp->name = encoded.p;
		qp->name_len = encoded.n;
		mark = enc.len;
		uri_encode(&enc, value.p, value.n, false, true);
		qp->value = enc.data + mark;
		qp->value_len = enc.len - mark;
	}
	for (i = 0; i < n_extra; i++) {
		qp = qparams_add(&ps);
		mark = enc.len;
		uri_encode(&enc, extra[i].name, strlen(extra[i].name), false, false);
		qp->name = enc.data + mark;
		qp->name_len = enc.len - mark;
		mark = enc.len;
		uri_encode(&enc, extra[i].value, strlen(extra[i].value), false,
		    false);
		qp->value = enc.data + mark;
		qp->value_len = enc.len - mark;
	}

	qsort(ps.v, ps.n, sizeof(*ps.v), qparam_cmp);
	for (i = 0; i < ps.n; i++) {
		if (i > 0)
			buf_putc(out, '&');
		buf_add(out, ps.v[i].name, ps.v[i].name_len);
		buf_putc(out, '=');
		buf_add(out, ps.v[i].value, ps.v[i].value_len);
	}
	if (ps.v != ps.inline_params)
		free(ps.v);
	buf_fini(&enc);
}

/*
 * Appends a header value trimmed, each run of white space inside it
 * (folded continuation lines included) replaced by one space.
 */
static void
append_folded(struct buf *b, const char *v)
{
	size_t n = strlen(v);
	bool is_gap = false;
	char *out;

	buf_reserve(b, n);
	out = b->data + b->len;
	while (n > 0 && is_space(*v)) {
		v++;
		n--;
	}
	for (; n > 0; v++, n--) {
		if (is_space(*v)) {
			is_gap = true;
			continue;
		}
		if (is_gap)
			*out++ = ' ';
		is_gap = false;
		*out++ = *v;
	}
	b->len = (size_t)(out - b->data);
	b->data[b->len] = '\0';
}

/*
 * Appends the canonical headers (those SignedHeaders lists, in its order,
 * repeats joined with ','), a blank line and the signed header list.
 * Fails IncompleteSignature if the list is malformed or names a header
 * the request does not carry.
 */
static int
canonical_headers(struct buf *b, const struct ctx *c, struct sigv4_error *err)
{
	const struct sigv4_request *req = c->req;
	const struct auth *a = &c->auth;
	const char *p = a->signed_headers, *end = p + a->signed_headers_len;
	const char *semi;
	struct span name;
	bool is_found;
	size_t i;

	for (;;) {
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		name = (struct span){ p, (size_t)(semi - p) };
		if (name.n == 0)
			return fail(err, FAIL_INCOMPLETE, "SignedHeaders '%.*s' "
			    "contains an empty header name.",
			    quote_len(a->signed_headers_len), a->signed_headers);
		buf_reserve(b, name.n + 1);
		for (i = 0; i < name.n; i++)
			b->data[b->len++] = to_lower(name.p[i]);
		b->data[b->len++] = ':';
		b->data[b->len] = '\0';
		is_found = false;
		for (i = 0; i < req->n_headers; i++) {
			if (!name_eq(req->headers[i].name, name))
				continue;
			if (is_found)
				buf_putc(b, ',');
			append_folded(b, req->headers[i].value);
			is_found = true;
		}
		if (!is_found)
			return fail(err, FAIL_INCOMPLETE, "Header '%.*s' is listed in "
			    "SignedHeaders but is not present in the request.",
			    quote_len(name.n), name.p);
		buf_putc(b, '\n');
		if (semi == end)
			break;
		p = semi + 1;
	}
	buf_putc(b, '\n');
	buf_add(b, a->signed_headers, a->signed_headers_len);
	buf_putc(b, '\n');
	return 0;
}

/*
 * Sets c->payload_hash: the hex SHA-256 of the body, or UNSIGNED-PAYLOAD
 * when a presigned request declares it.  A declared hash that differs
 * from the body's sets c->is_payload_mismatch.
 */
static int
payload_hash(struct ctx *c)
{
	const struct auth *a = &c->auth;
	unsigned char md[SHA256_LEN];
	size_t i;
	int ret;

	if (a->is_presigned &&
	    a->content_sha256_len == sizeof(UNSIGNED_PAYLOAD) - 1 &&
	    memcmp(a->content_sha256, UNSIGNED_PAYLOAD,
	    sizeof(UNSIGNED_PAYLOAD) - 1) == 0) {
		memcpy(c->payload_hash, UNSIGNED_PAYLOAD, sizeof(UNSIGNED_PAYLOAD));
		return 0;
	}
	if ((ret = sha256(c->md, c->req->body, c->req->body_len, md)) != 0)
		return ret;
	hex_encode(md, SHA256_LEN, c->payload_hash);
	if (a->content_sha256_len != SIZE_MAX) {
		c->is_payload_mismatch = a->content_sha256_len != HEX_LEN;
		for (i = 0; i < HEX_LEN && !c->is_payload_mismatch; i++)
			if (to_lower(a->content_sha256[i]) != c->payload_hash[i])
				c->is_payload_mismatch = true;
	}
	return 0;
}

/*
 * Appends the canonical request of 'c' to 'canon' and its string to sign
 * to 'sts'.  'extra' are parameters the presigner adds to the query.
 */
static int
build(struct ctx *c, const struct extra_param *extra, size_t n_extra,
    struct buf *canon, struct buf *sts, struct sigv4_error *err)
{
	const struct sigv4_request *req = c->req;
	const struct auth *a = &c->auth;
	unsigned char md[SHA256_LEN];
	char hex[HEX_LEN + 1];
	size_t start = canon->len;
	int ret;

	if (c->md == NULL && (c->md = digest_new()) == NULL)
		return fail(err, FAIL_INTERNAL, "No SHA-256 in libcrypto.");
	if (payload_hash(c) != 0)
		return fail(err, FAIL_INTERNAL, "SHA-256 failed.");
	buf_reserve(canon, 512);
	buf_puts(canon, req->method ? req->method : "");
	buf_putc(canon, '\n');
	canonical_path(canon, c->path, !(req->flags & SIGV4_KEEP_PATH));
	buf_putc(canon, '\n');
	canonical_query(canon, c->query, a->is_presigned, req->flags, extra,
	    n_extra);
	buf_putc(canon, '\n');
	if ((ret = canonical_headers(canon, c, err)) != 0)
		return ret;
	buf_puts(canon, c->payload_hash);

	if (sha256(c->md, canon->data + start, canon->len - start, md) != 0)
		return fail(err, FAIL_INTERNAL, "SHA-256 failed.");
	hex_encode(md, SHA256_LEN, hex);
	buf_reserve(sts, 256);
	buf_puts(sts, ALGORITHM "\n");
	buf_puts(sts, a->amz_date);
	buf_putc(sts, '\n');
	buf_puts(sts, a->date);
	buf_putc(sts, '/');
	buf_puts(sts, a->region);
	buf_putc(sts, '/');
	buf_puts(sts, a->service);
	buf_puts(sts, "/" TERMINATOR "\n");
	buf_puts(sts, hex);
	return 0;
}

/* FNV-1a over the access key id and scope: picks a key cache slot. */
static size_t
key_slot_index(const struct auth *a)
{
	const char *parts[] = { a->access_key_id, a->date, a->region, a->service };
	uint64_t h = 14695981039346656037ULL;
	const char *p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(parts); i++) {
		for (p = parts[i]; *p != '\0'; p++) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ULL;
		}
		h ^= 0xff;	/* separator: "ab"+"c" differs from "a"+"bc" */
		h *= 1099511628211ULL;
	}
	return (size_t)(h % KEY_CACHE_SLOTS);
}

/*
 * The signing key: HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region),
 * service), "aws4_request").
 */
static int
derive_signing_key(EVP_MD_CTX *md, const char *secret, size_t secret_len,
    const struct auth *a, unsigned char key[SHA256_LEN])
{
	char k_secret[4 + SIGV4_SECRET_MAX];
	unsigned char k1[SHA256_LEN], k2[SHA256_LEN];
	int ret;

	memcpy(k_secret, "AWS4", 4);
	memcpy(k_secret + 4, secret, secret_len);
	if ((ret = hmac_sha256(md, k_secret, 4 + secret_len, a->date,
	    strlen(a->date), k1)) == 0 &&
	    (ret = hmac_sha256(md, k1, SHA256_LEN, a->region, strlen(a->region),
	    k2)) == 0 &&
	    (ret = hmac_sha256(md, k2, SHA256_LEN, a->service,
	    strlen(a->service), k1)) == 0)
		ret = hmac_sha256(md, k1, SHA256_LEN, TERMINATOR,
		    sizeof(TERMINATOR) - 1, key);
	explicit_zero(k_secret, sizeof(k_secret));
	explicit_zero(k1, sizeof(k1));
	explicit_zero(k2, sizeof(k2));
	return ret;
}

static bool
key_slot_matches(const struct key_slot *slot, const char *secret,
    size_t secret_len, const struct auth *a)
{
	return slot->is_used && slot->secret_len == secret_len &&
	    CRYPTO_memcmp(slot->secret, secret, secret_len) == 0 &&
	    strcmp(slot->access_key_id, a->access_key_id) == 0 &&
	    strcmp(slot->date, a->date) == 0 &&
	    strcmp(slot->region, a->region) == 0 &&
	    strcmp(slot->service, a->service) == 0;
}

/*
 * Gets the signing key of 'secret' for the scope of 'a', from the cache
 * or derived (outside the lock) and then cached.
 */
static int
signing_key(EVP_MD_CTX *md, const char *secret, const struct auth *a,
    unsigned char key[SHA256_LEN])
{
	struct key_slot *slot = &key_cache[key_slot_index(a)];
	size_t len = strlen(secret);
	int ret;

	if (len > SIGV4_SECRET_MAX)
		return -EINVAL;
	pthread_mutex_lock(&key_cache_lock);
	if (key_slot_matches(slot, secret, len, a)) {
		memcpy(key, slot->key, SHA256_LEN);
		pthread_mutex_unlock(&key_cache_lock);
		return 0;
	}
	pthread_mutex_unlock(&key_cache_lock);

	if ((ret = derive_signing_key(md, secret, len, a, key)) != 0)
		return ret;

	pthread_mutex_lock(&key_cache_lock);
	explicit_zero(slot, sizeof(*slot));
	slot->is_used = true;
	slot->secret_len = len;
	memcpy(slot->secret, secret, len);
	memcpy(slot->access_key_id, a->access_key_id, sizeof(slot->access_key_id));
	memcpy(slot->date, a->date, sizeof(slot->date));
	memcpy(slot->region, a->region, sizeof(slot->region));
	memcpy(slot->service, a->service, sizeof(slot->service));
	memcpy(slot->key, key, SHA256_LEN);
	pthread_mutex_unlock(&key_cache_lock);
	return 0;
}

/* The hex signature of the string to sign 'sts', after build(). */
static int
compute_signature(const struct ctx *c, const char *secret,
    const struct buf *sts, char hex[HEX_LEN + 1])
{
	unsigned char key[SHA256_LEN], mac[SHA256_LEN];
	int ret;

	if ((ret = signing_key(c->md, secret, &c->auth, key)) == 0 &&
	    (ret = hmac_sha256(c->md, key, SHA256_LEN, sts->data, sts->len,
	    mac)) == 0)
		hex_encode(mac, SHA256_LEN, hex);
	explicit_zero(key, sizeof(key));
	return ret;
}

static void
ctx_fini(struct ctx *c)
{
	EVP_MD_CTX_free(c->md);
	c->md = NULL;
}

/*
 * A request may be dated up to 15 minutes either side of 'now_ms'; a
 * presigned one with X-Amz-Expires stays valid that long after its date.
 */
static int
check_time(const struct auth *a, int64_t now_ms, struct sigv4_error *err)
{
	bool has_expires = a->is_presigned && a->expires_s >= 0;
	int64_t valid_ms = has_expires ? a->expires_s * 1000 : MAX_SKEW_MS;
	char now[17];

	if (a->time_ms - now_ms <= MAX_SKEW_MS && now_ms - a->time_ms <= valid_ms)
		return 0;
	format_iso_basic(now_ms, now);
	if (a->time_ms > now_ms)
		return fail(err, FAIL_EXPIRED, "Request is not yet valid: it is "
		    "dated %s, more than 15 minutes after the server time %s.",
		    a->amz_date, now);
	if (has_expires)
		return fail(err, FAIL_EXPIRED, "Request has expired: it is dated "
		    "%s and valid for %lld seconds; the server time is %s.",
		    a->amz_date, (long long)a->expires_s, now);
	return fail(err, FAIL_EXPIRED, "Request has expired: it is dated %s, "
	    "more than 15 minutes before the server time %s.", a->amz_date, now);
}

static void
copy_identity(struct sigv4_identity *id, const struct auth *a)
{
	if (id == NULL)
		return;
	memcpy(id->access_key_id, a->access_key_id, sizeof(id->access_key_id));
	memcpy(id->region, a->region, sizeof(id->region));
	memcpy(id->service, a->service, sizeof(id->service));
}

int
sigv4_verify(const struct sigv4_request *req, const char *service,
    int64_t now_ms, sigv4_secret_fn lookup, void *arg,
    struct sigv4_identity *id, struct sigv4_error *err)
{
	char secret[SIGV4_SECRET_MAX + 1], expected[HEX_LEN + 1];
	struct buf canon, sts;
	struct ctx c;
	int ret;

	buf_init(&canon);
	buf_init(&sts);
	secret[0] = '\0';
	if ((ret = prepare(&c, req, err)) != 0)
		goto out;
	if (strcmp(c.auth.service, service) != 0) {
		ret = fail(err, FAIL_AUTH, "Credential should be scoped to correct "
		    "service: '%s'.", service);
		goto out;
	}
	if ((ret = check_time(&c.auth, now_ms, err)) != 0)
		goto out;
	if ((ret = build(&c, NULL, 0, &canon, &sts, err)) != 0)
		goto out;

	ret = lookup(arg, c.auth.access_key_id, secret, sizeof(secret));
	secret[SIGV4_SECRET_MAX] = '\0';
	if (ret == -ENOENT) {
		ret = fail(err, FAIL_AUTH, "AWS was not able to validate the "
		    "provided access credentials");
		goto out;
	}
	if (ret != 0) {
		fail(err, FAIL_INTERNAL, "Could not look up the access key.");
		goto out;
	}
	if (c.is_payload_mismatch) {
		ret = fail(err, FAIL_AUTH, "The provided 'x-amz-content-sha256' "
		    "header does not match what was computed.");
		goto out;
	}
	if (compute_signature(&c, secret, &sts, expected) != 0) {
		ret = fail(err, FAIL_INTERNAL, "HMAC-SHA-256 failed.");
		goto out;
	}
	if (c.auth.signature_len != HEX_LEN ||
	    CRYPTO_memcmp(expected, c.auth.signature, HEX_LEN) != 0) {
		ret = fail(err, FAIL_AUTH, MSG_MISMATCH);
		goto out;
	}
	ret = 0;
out:
	explicit_zero(secret, sizeof(secret));
	copy_identity(id, &c.auth);
	ctx_fini(&c);
	buf_fini(&canon);
	buf_fini(&sts);
	return ret;
}

int
sigv4_canonical_request(const struct sigv4_request *req,
    struct buf *canonical_request, struct buf *string_to_sign,
    struct sigv4_error *err)
{
	struct buf canon, sts;
	struct ctx c;
	int ret;

	buf_init(&canon);
	buf_init(&sts);
	if ((ret = prepare(&c, req, err)) == 0 &&
	    (ret = build(&c, NULL, 0, &canon, &sts, err)) == 0) {
		if (canonical_request != NULL)
			buf_add(canonical_request, canon.data, canon.len);
		if (string_to_sign != NULL)
			buf_add(string_to_sign, sts.data, sts.len);
	}
	ctx_fini(&c);
	buf_fini(&canon);
	buf_fini(&sts);
	return ret;
}

static int
header_name_cmp(const void *x, const void *y)
{
	const char *a = *(const char *const *)x, *b = *(const char *const *)y;
	char ca, cb;

	for (;; a++, b++) {
		ca = to_lower(*a);
		cb = to_lower(*b);
		if (ca != cb || ca == '\0')
			return (unsigned char)ca - (unsigned char)cb;
	}
}

static bool
is_signable(const char *name, unsigned flags)
{
	struct span s = { name, strlen(name) };
	size_t i;

	if (s.n == 0 || memchr(s.p, ';', s.n) != NULL)
		return false;
	for (i = 0; i < ARRAY_SIZE(unsigned_headers); i++)
		if (name_eq(unsigned_headers[i], s))
			return false;
	if ((flags & SIGV4_UNSIGNED_TOKEN) && name_eq("x-amz-security-token", s))
		return false;
	return true;
}

/* Sets a->signed_headers: signable names, lower-cased, sorted, unique. */
static int
collect_signed_headers(const struct sigv4_request *req, struct auth *a)
{
	const char *inline_names[32], **names = inline_names;
	size_t n = 0, len = 0, i, j, name_len;
	int ret = 0;

	if (req->n_headers > ARRAY_SIZE(inline_names))
		names = xreallocarray(NULL, req->n_headers, sizeof(*names));
	for (i = 0; i < req->n_headers; i++)
		if (is_signable(req->headers[i].name, req->flags))
			names[n++] = req->headers[i].name;
	qsort(names, n, sizeof(*names), header_name_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && header_name_cmp(&names[i - 1], &names[i]) == 0)
			continue;
		name_len = strlen(names[i]);
		if (len + name_len + 1 > SIGNED_HEADERS_MAX) {
			ret = -EINVAL;
			break;
		}
		if (len > 0)
			a->signed_headers[len++] = ';';
		for (j = 0; j < name_len; j++)
			a->signed_headers[len++] = to_lower(names[i][j]);
	}
	a->signed_headers[len] = '\0';
	a->signed_headers_len = len;
	if (names != inline_names)
		free(names);
	return ret;
}

/* Copies a non-empty scope component without '/' into 'out'. */
static bool
copy_component(char *out, size_t size, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= size || strchr(s, '/') != NULL)
		return false;
	memcpy(out, s, n + 1);
	return true;
}

/*
 * Sets up 'c' to sign 'req' with the given scope and time.  Returns 0 or
 * -EINVAL.
 */
static int
sign_prepare(struct ctx *c, const struct sigv4_request *req,
    const char *access_key_id, const char *secret, const char *region,
    const char *service, const char *amz_date, bool is_presigned)
{
	struct auth *a = &c->auth;
	const char *date;
	struct span s;
	int count;

	memset(c, 0, sizeof(*c));
	c->req = req;
	a->is_presigned = is_presigned;
	a->content_sha256_len = SIZE_MAX;
	a->expires_s = -1;
	split_target(req->target, &c->path, &c->query);
	if (req->method == NULL || secret == NULL || amz_date == NULL ||
	    strlen(secret) > SIGV4_SECRET_MAX ||
	    !copy_component(a->access_key_id, sizeof(a->access_key_id),
	    access_key_id) ||
	    !copy_component(a->region, sizeof(a->region), region) ||
	    !copy_component(a->service, sizeof(a->service), service) ||
	    !parse_iso_basic((struct span){ amz_date, strlen(amz_date) },
	    &a->time_ms))
		return -EINVAL;
	memcpy(a->amz_date, amz_date, 17);
	memcpy(a->date, amz_date, 8);
	a->date[8] = '\0';
	if (find_header(req, "host", &count) == NULL || count > 1)
		return -EINVAL;
	date = find_header(req, "x-amz-date", &count);
	if (date != NULL) {
		s = trim((struct span){ date, strlen(date) });
		if (count > 1 || !span_eq(s, amz_date))
			return -EINVAL;
	}
	return collect_signed_headers(req, a);
}

int
sigv4_sign(const struct sigv4_request *req, const char *access_key_id,
    const char *secret, const char *region, const char *service,
    const char *amz_date, struct buf *authorization)
{
	char signature[HEX_LEN + 1];
	const char *declared;
	struct buf canon, sts;
	struct ctx c;
	struct span s;
	int ret, count;

	if ((ret = sign_prepare(&c, req, access_key_id, secret, region,
	    service, amz_date, false)) != 0)
		return ret;
	if ((declared = find_header(req, "x-amz-content-sha256", &count)) != NULL) {
		s = trim((struct span){ declared, strlen(declared) });
		set_content_sha256(&c.auth, s.p, s.n);
	}
	buf_init(&canon);
	buf_init(&sts);
	if ((ret = build(&c, NULL, 0, &canon, &sts, NULL)) != 0)
		goto out;
	if (c.is_payload_mismatch) {
		ret = -EINVAL;
		goto out;
	}
	if ((ret = compute_signature(&c, secret, &sts, signature)) != 0)
		goto out;
	buf_printf(authorization, ALGORITHM " Credential=%s/%s/%s/%s/" TERMINATOR
	    ", SignedHeaders=%s, Signature=%s", c.auth.access_key_id,
	    c.auth.date, c.auth.region, c.auth.service, c.auth.signed_headers,
	    signature);
out:
	ctx_fini(&c);
	buf_fini(&canon);
	buf_fini(&sts);
	return ret;
}

int
sigv4_presign(const struct sigv4_request *req, const char *access_key_id,
    const char *secret, const char *region, const char *service,
    const char *amz_date, int expires, struct buf *query)
{
	char signature[HEX_LEN + 1], credential[300], expires_text[16];
	struct extra_param extra[5];
	struct query_auth qa;
	const char *declared;
	struct buf canon, sts;
	struct span s;
	struct ctx c;
	size_t i;
	int ret, count;

	if (expires < 1 || expires > MAX_EXPIRES_S)
		return -EINVAL;
	if ((ret = sign_prepare(&c, req, access_key_id, secret, region,
	    service, amz_date, true)) != 0)
		return ret;
	if (scan_query_auth(c.query, &qa, NULL) != 0)
		return -EINVAL;
	for (i = 0; i < QA_COUNT; i++)
		if (i != QA_CONTENT_SHA256 && qa.values[i].p != NULL)
			return -EINVAL;
	if (qa.values[QA_CONTENT_SHA256].p != NULL)
		set_content_sha256(&c.auth, qa.values[QA_CONTENT_SHA256].p,
		    qa.values[QA_CONTENT_SHA256].n);
	else if ((declared = find_header(req, "x-amz-content-sha256",
	    &count)) != NULL) {
		s = trim((struct span){ declared, strlen(declared) });
		set_content_sha256(&c.auth, s.p, s.n);
	}

	snprintf(credential, sizeof(credential), "%s/%s/%s/%s/" TERMINATOR,
	    c.auth.access_key_id, c.auth.date, c.auth.region, c.auth.service);
	snprintf(expires_text, sizeof(expires_text), "%d", expires);
	extra[0] = (struct extra_param){ "X-Amz-Algorithm", ALGORITHM };
	extra[1] = (struct extra_param){ "X-Amz-Credential", credential };
	extra[2] = (struct extra_param){ "X-Amz-Date", c.auth.amz_date };
	extra[3] = (struct extra_param){ "X-Amz-Expires", expires_text };
	extra[4] = (struct extra_param){ "X-Amz-SignedHeaders",
	    c.auth.signed_headers };

	buf_init(&canon);
	buf_init(&sts);
	if ((ret = build(&c, extra, ARRAY_SIZE(extra), &canon, &sts, NULL)) != 0)
		goto out;
	if (c.is_payload_mismatch) {
		ret = -EINVAL;
		goto out;
	}
	if ((ret = compute_signature(&c, secret, &sts, signature)) != 0)
		goto out;
	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		buf_puts(query, extra[i].name);
		buf_putc(query, '=');
		uri_encode(query, extra[i].value, strlen(extra[i].value), false,
		    false);
		buf_putc(query, '&');
	}
	buf_puts(query, "X-Amz-Signature=");
	buf_puts(query, signature);
out:
	ctx_fini(&c);
	buf_fini(&canon);
	buf_fini(&sts);
	return ret;
}

void
sigv4_cache_flush(void)
{
	pthread_mutex_lock(&key_cache_lock);
	explicit_zero(key_cache, sizeof(key_cache));
	pthread_mutex_unlock(&key_cache_lock);
}
