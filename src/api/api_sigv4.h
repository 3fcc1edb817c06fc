/*
 * api_sigv4: AWS Signature Version 4 (AWS4-HMAC-SHA256), verification for
 * the daemon and signing for our own load generator and tests.
 *
 * The contract:
 *  - Verification and signing share one canonicalisation, the one AWS uses
 *    for every service but S3: the path is normalised ('.', '..' and empty
 *    segments removed) and each segment URI-encoded again; the query is the
 *    URL query only, each name and value percent-decoded, RFC 3986
 *    re-encoded and sorted; headers are the ones SignedHeaders lists, with
 *    trimmed, whitespace-folded values and repeats joined by ','; the
 *    payload hash is the hex SHA-256 of the body as received.
 *  - Nothing here prints or logs.  Failures reach the caller as a
 *    struct sigv4_error holding the HTTP status, the EC2 error code and a
 *    message, ready for the XML error writer.
 *  - Every function is thread-safe.  Derived signing keys are kept in a
 *    small process-wide cache (keyed by secret, date, region and service)
 *    so that a verification costs one HMAC rather than five.
 *  - Requests are borrowed for the duration of a call and never modified.
 */
#ifndef VPCD_API_SIGV4_H
#define VPCD_API_SIGV4_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Longest secret access key that sigv4_secret_fn may return, without NUL. */
#define SIGV4_SECRET_MAX	128

/* One header as received: any case; a name may repeat. */
struct sigv4_header {
	const char	*name;
	const char	*value;
};

/*
 * Canonicalisation variants for clients of other services.  AWS decides
 * them per service, so a request cannot say which it used; vpcd (EC2)
 * uses none, they exist so that the whole AWS test suite can be run.
 */
enum sigv4_flag {
	/* Sign the path as sent, without removing dot segments (S3 style). */
	SIGV4_KEEP_PATH		= 1 << 0,
	/*
	 * X-Amz-Security-Token was added to the query after signing (the
	 * "omit session token" option of the AWS CRT signer, used by IoT):
	 * leave it out of the canonical query.
	 */
	SIGV4_UNSIGNED_TOKEN	= 1 << 1,
};

struct sigv4_request {
	const char	*method;	/* "POST" */
	/* Raw request-target: path plus optional "?query", still percent-encoded. */
	const char	*target;
	const struct sigv4_header *headers;
	size_t		 n_headers;
	const void	*body;
	size_t		 body_len;
	unsigned	 flags;		/* enum sigv4_flag, normally 0 */
};

/*
 * Looks up the secret access key for 'access_key_id'.  Returns 0 and copies
 * the NUL-terminated secret into 'secret' ('size' bytes, at least
 * SIGV4_SECRET_MAX + 1), or -ENOENT if the key is unknown.  Called at most
 * once per verification, from the verifying thread.
 */
typedef int (*sigv4_secret_fn)(void *arg, const char *access_key_id,
    char *secret, size_t size);

/* Who signed a request.  The scope region is reported, never checked. */
struct sigv4_identity {
	char	access_key_id[129];
	char	region[64];
	char	service[32];
};

/* An error for the API caller: HTTP status, EC2 error code, message. */
struct sigv4_error {
	int		 status;	/* 400 or 401 */
	const char	*code;		/* static string, e.g. "AuthFailure" */
	char		 message[512];
};

/*
 * Verifies the signature of 'req', in the Authorization header form or the
 * presigned query form, for 'service' (the scope must name it) at wall
 * clock time 'now_ms' (milliseconds since the epoch).  'lookup' is called
 * with 'arg' to find the secret of the signing access key, only once
 * everything that needs no secret has been checked.
 *
 * Returns 0 and fills 'id' on success.  On failure returns a negative errno
 * and fills 'err': -ENOENT for MissingAuthenticationToken, -EINVAL for
 * IncompleteSignature, -ETIME for RequestExpired, -EACCES for AuthFailure;
 * if 'lookup' fails otherwise than -ENOENT, its error is returned with a
 * 500 InternalError (-EIO likewise if libcrypto fails).  'id' then holds
 * whatever of the credential could be parsed (empty strings otherwise),
 * for logging.  'id' and 'err' may be NULL.
 */
int	sigv4_verify(const struct sigv4_request *req, const char *service,
	    int64_t now_ms, sigv4_secret_fn lookup, void *arg,
	    struct sigv4_identity *id, struct sigv4_error *err);

/*
 * Builds the Authorization header value for 'req', which must already carry
 * its host header and, normally, an x-amz-date header equal to 'amz_date'
 * (yyyymmddThhmmssZ; a Date header naming the same second also works, as
 * it does for the verifier).  Every header is signed except the ones proxies
 * rewrite (user-agent, x-amzn-trace-id, expect, connection and similar) and
 * authorization itself.  Appends the value to 'authorization'.  Returns 0,
 * or -EINVAL if an argument is malformed or an x-amz-content-sha256 header
 * does not match the body.
 */
int	sigv4_sign(const struct sigv4_request *req, const char *access_key_id,
	    const char *secret, const char *region, const char *service,
	    const char *amz_date, struct buf *authorization);

/*
 * Presigns 'req' (query form): appends to 'query' the parameters to add to
 * the request-target, "X-Amz-Algorithm=...&...&X-Amz-Signature=<hex>",
 * already encoded and without a leading '&' or '?'.  Signs the same
 * headers as sigv4_sign; 'expires' is X-Amz-Expires in seconds (1 to
 * 604800).  A session token, if any, must already be in the target.
 * Returns 0 or -EINVAL.
 */
int	sigv4_presign(const struct sigv4_request *req, const char *access_key_id,
	    const char *secret, const char *region, const char *service,
	    const char *amz_date, int expires, struct buf *query);

/*
 * Builds the canonical request and the string to sign of a signed request
 * exactly as sigv4_verify does, for tests and for debugging a client whose
 * signatures do not match.  Either output may be NULL; results are
 * appended.  Returns 0, or the same error as sigv4_verify when the
 * authentication information cannot be parsed ('err' may be NULL).
 */
int	sigv4_canonical_request(const struct sigv4_request *req,
	    struct buf *canonical_request, struct buf *string_to_sign,
	    struct sigv4_error *err);

/* Zeroes and forgets every cached signing key (shutdown, tests). */
void	sigv4_cache_flush(void);

#endif
