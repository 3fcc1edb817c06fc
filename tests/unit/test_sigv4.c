/*
 * SigV4 against the AWS signing test suite ($VPCD_SHARED/testdata/sigv4/v4)
 * and against tampering: every vector's canonical request and string to
 * sign, verification of both signed forms, our signer and presigner
 * reproducing the expected signatures, and rejection of every changed
 * signed byte.  Then the error cases, the key cache and a timing note.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "api/api_sigv4.h"
#include "lib/lib.h"
#include "tap.h"

#define MAX_HEADERS 32

/* A request parsed from a vector file; owns all its strings. */
struct vreq {
	char			*method;
	char			*target;
	char			*names[MAX_HEADERS];
	char			*values[MAX_HEADERS];
	struct sigv4_header	 headers[MAX_HEADERS];
	size_t			 n_headers;
	char			*body;
	size_t			 body_len;
	unsigned		 flags;
};

/* A vector's context.json. */
struct vctx {
	char	 access_key_id[64];
	char	 secret[128];
	char	 token[512];
	char	 region[64];
	char	 service[32];
	char	 amz_date[17];
	int64_t	 now_ms;
	int	 expires;
	bool	 is_normalized;
	bool	 is_token_omitted;
	bool	 is_body_signed;
};

/* The sigv4_secret_fn of the tests: one known key. */
struct keys {
	const char	*access_key_id;
	const char	*secret;
};

static const char *shared_dir;

static int
lookup(void *arg, const char *access_key_id, char *secret, size_t size)
{
	const struct keys *k = arg;

	if (k == NULL || strcmp(access_key_id, k->access_key_id) != 0)
		return -ENOENT;
	snprintf(secret, size, "%s", k->secret);
	return 0;
}

static char *
read_file(const char *path, size_t *len)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	if (len)
		*len = b.len;
	return b.cap ? buf_steal(&b) : xstrdup("");
}

static char *
case_file(const char *dir, const char *name, size_t *len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return read_file(path, len);
}

static void
vreq_free(struct vreq *r)
{
	size_t i;

	free(r->method);
	free(r->target);
	for (i = 0; i < r->n_headers; i++) {
		free(r->names[i]);
		free(r->values[i]);
	}
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static void
vreq_sync(struct vreq *r)
{
	size_t i;

	for (i = 0; i < r->n_headers; i++) {
		r->headers[i].name = r->names[i];
		r->headers[i].value = r->values[i];
	}
}

static void
vreq_add_header(struct vreq *r, const char *name, const char *value)
{
	if (r->n_headers == MAX_HEADERS)
		fatalx("too many headers");
	r->names[r->n_headers] = xstrdup(name);
	r->values[r->n_headers] = xstrdup(value);
	r->n_headers++;
	vreq_sync(r);
}

/* Index of the first header called 'name' (any case), or -1. */
static int
vreq_find(const struct vreq *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->names[i], name) == 0)
			return (int)i;
	return -1;
}

static void
vreq_set_value(struct vreq *r, size_t i, const char *value)
{
	free(r->values[i]);
	r->values[i] = xstrdup(value);
	vreq_sync(r);
}

static void
vreq_del_header(struct vreq *r, size_t i)
{
	free(r->names[i]);
	free(r->values[i]);
	memmove(&r->names[i], &r->names[i + 1],
	    (r->n_headers - i - 1) * sizeof(r->names[0]));
	memmove(&r->values[i], &r->values[i + 1],
	    (r->n_headers - i - 1) * sizeof(r->values[0]));
	r->n_headers--;
	vreq_sync(r);
}

static void
vreq_copy(struct vreq *dst, const struct vreq *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->method = xstrdup(src->method);
	dst->target = xstrdup(src->target);
	for (i = 0; i < src->n_headers; i++)
		vreq_add_header(dst, src->names[i], src->values[i]);
	dst->body = xmalloc(src->body_len + 1);
	memcpy(dst->body, src->body, src->body_len);
	dst->body[src->body_len] = '\0';
	dst->body_len = src->body_len;
	dst->flags = src->flags;
}

static struct sigv4_request
vreq_request(const struct vreq *r)
{
	return (struct sigv4_request){
		.method = r->method,
		.target = r->target,
		.headers = r->headers,
		.n_headers = r->n_headers,
		.body = r->body,
		.body_len = r->body_len,
		.flags = r->flags,
	};
}

/*
 * Parses "METHOD target HTTP/1.1", header lines (a line starting with
 * white space continues the previous value), a blank line and the body.
 * The target may contain spaces, so it runs to the last space.
 */
static int
vreq_parse(struct vreq *r, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *eol, *sp1, *sp2, *colon;
	size_t n;

	memset(r, 0, sizeof(*r));
	eol = memchr(p, '\n', (size_t)(end - p));
	if (eol == NULL)
		eol = end;
	n = (size_t)(eol - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	sp1 = memchr(p, ' ', n);
	sp2 = memrchr(p, ' ', n);
	if (sp1 == NULL || sp2 == sp1)
		return -1;
	r->method = xstrndup(p, (size_t)(sp1 - p));
	r->target = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	p = eol < end ? eol + 1 : end;

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		n = (size_t)(eol - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0) {
			p = eol < end ? eol + 1 : end;
			break;
		}
		if (p[0] == ' ' || p[0] == '\t') {
			char *v;

			if (r->n_headers == 0)
				return -1;
			v = xasprintf("%s\n%.*s", r->values[r->n_headers - 1],
			    (int)n, p);
			free(r->values[r->n_headers - 1]);
			r->values[r->n_headers - 1] = v;
		} else {
			if ((colon = memchr(p, ':', n)) == NULL ||
			    r->n_headers == MAX_HEADERS)
				return -1;
			r->names[r->n_headers] = xstrndup(p, (size_t)(colon - p));
			r->values[r->n_headers] = xstrndup(colon + 1,
			    (size_t)(p + n - colon - 1));
			r->n_headers++;
		}
		p = eol < end ? eol + 1 : end;
	}
	r->body_len = (size_t)(end - p);
	r->body = xmalloc(r->body_len + 1);
	memcpy(r->body, p, r->body_len);
	r->body[r->body_len] = '\0';
	vreq_sync(r);
	return 0;
}

static int
vreq_load(struct vreq *r, const char *dir, const char *name, unsigned flags)
{
	size_t len;
	char *text;
	int ret;

	if ((text = case_file(dir, name, &len)) == NULL)
		return -1;
	ret = vreq_parse(r, text, len);
	free(text);
	r->flags = flags;
	return ret;
}

static void
iso_basic(int64_t ms, char out[17])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int
vctx_load(struct vctx *c, const char *dir)
{
	char path[1024];
	json_error_t jerr;
	json_t *root;
	const char *akid = NULL, *secret = NULL, *token = NULL, *region = NULL;
	const char *service = NULL, *timestamp = NULL;
	int normalize = 1, omit = 0, sign_body = 0, expires = 0;
	struct tm tm;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%s/context.json", dir);
	if ((root = json_load_file(path, 0, &jerr)) == NULL)
		return -1;
	if (json_unpack_ex(root, &jerr, 0, "{s:{s:s,s:s,s?s},s:s,s:s,s:s,"
	    "s?b,s?b,s?b,s?i}", "credentials", "access_key_id", &akid,
	    "secret_access_key", &secret, "token", &token, "region", &region,
	    "service", &service, "timestamp", &timestamp, "normalize",
	    &normalize, "omit_session_token", &omit, "sign_body", &sign_body,
	    "expiration_in_seconds", &expires) != 0) {
		json_decref(root);
		return -1;
	}
	snprintf(c->access_key_id, sizeof(c->access_key_id), "%s", akid);
	snprintf(c->secret, sizeof(c->secret), "%s", secret);
	snprintf(c->token, sizeof(c->token), "%s", token ? token : "");
	snprintf(c->region, sizeof(c->region), "%s", region);
	snprintf(c->service, sizeof(c->service), "%s", service);
	memset(&tm, 0, sizeof(tm));
	if (strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL) {
		json_decref(root);
		return -1;
	}
	c->now_ms = (int64_t)timegm(&tm) * 1000;
	iso_basic(c->now_ms, c->amz_date);
	c->expires = expires;
	c->is_normalized = normalize;
	c->is_token_omitted = omit;
	c->is_body_signed = sign_body;
	json_decref(root);
	return 0;
}

static unsigned
vctx_flags(const struct vctx *c)
{
	return (c->is_normalized ? 0 : SIGV4_KEEP_PATH) |
	    (c->is_token_omitted ? SIGV4_UNSIGNED_TOKEN : 0);
}

/* Verifies 'r' for the vector's service at 'now_ms' with its key. */
static int
verify_at(const struct vreq *r, const struct vctx *c, int64_t now_ms,
    struct sigv4_error *err)
{
	struct keys k = { c->access_key_id, c->secret };
	struct sigv4_request req = vreq_request(r);
	struct sigv4_identity id;

	memset(err, 0, sizeof(*err));
	return sigv4_verify(&req, c->service, now_ms, lookup, &k, &id, err);
}

static int
verify(const struct vreq *r, const struct vctx *c, struct sigv4_error *err)
{
	return verify_at(r, c, c->now_ms, err);
}

/*
 * Changes one character of 's': the last digit goes up by one (9 wraps to
 * 0), else the last letter moves on by one, else an 'x' is appended.
 * Returns a heap string.
 */
static char *
tamper(const char *s)
{
	char *t = xmalloc(strlen(s) + 2);
	ssize_t i, n = (ssize_t)strlen(s);

	strcpy(t, s);
	for (i = n - 1; i >= 0; i--) {
		if (t[i] >= '0' && t[i] <= '9') {
			t[i] = t[i] == '9' ? '0' : (char)(t[i] + 1);
			return t;
		}
	}
	for (i = n - 1; i >= 0; i--) {
		if ((t[i] >= 'a' && t[i] < 'z') || (t[i] >= 'A' && t[i] < 'Z')) {
			t[i]++;
			return t;
		}
		if (t[i] == 'z' || t[i] == 'Z') {
			t[i] = (char)(t[i] - 25);
			return t;
		}
	}
	strcat(t, "x");
	return t;
}

/* 's' with its line breaks written as "\\n", for a one-line TAP message. */
static char *
oneline(const char *s)
{
	struct buf b;

	buf_init(&b);
	for (; *s; s++) {
		if (*s == '\n')
			buf_puts(&b, "\\n");
		else
			buf_putc(&b, *s);
	}
	return b.cap ? buf_steal(&b) : xstrdup("");
}

/* Replaces the value of query parameter number 'index' of the target by 'value'. */
static char *
target_with_param(const char *target, size_t index, const char *value,
    char **old_name, char **old_value)
{
	const char *q = strchr(target, '?'), *p, *amp, *eq;
	struct buf b;
	size_t i;

	if (q == NULL)
		return NULL;
	for (p = q + 1, i = 0; i < index; i++) {
		if ((amp = strchr(p, '&')) == NULL)
			return NULL;
		p = amp + 1;
	}
	amp = p + strcspn(p, "&");
	eq = memchr(p, '=', (size_t)(amp - p));
	if (eq == NULL)
		eq = amp;
	if (old_name)
		*old_name = xstrndup(p, (size_t)(eq - p));
	if (old_value)
		*old_value = eq < amp ? xstrndup(eq + 1, (size_t)(amp - eq - 1)) :
		    xstrdup("");
	if (value == NULL)
		return xstrdup("");
	buf_init(&b);
	buf_add(&b, target, (size_t)(p - target));
	buf_add(&b, p, (size_t)(eq - p));
	buf_putc(&b, '=');
	buf_puts(&b, value);
	buf_puts(&b, amp);
	return buf_steal(&b);
}

static size_t
count_params(const char *target)
{
	const char *q = strchr(target, '?');
	size_t n = 1;

	if (q == NULL || q[1] == '\0')
		return 0;
	for (q++; *q; q++)
		if (*q == '&')
			n++;
	return n;
}

/* The signed header list of a canonical request: its second-last line. */
static char *
signed_list(const char *canonical)
{
	const char *end = strrchr(canonical, '\n'), *start;

	if (end == NULL)
		return xstrdup("");
	for (start = end; start > canonical && start[-1] != '\n'; start--)
		;
	return xstrndup(start, (size_t)(end - start));
}

static bool
is_listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (*p) {
		if (strncasecmp(p, name, n) == 0 && (p[n] == ';' || p[n] == '\0'))
			return true;
		p += strcspn(p, ";");
		if (*p == ';')
			p++;
	}
	return false;
}

static bool
is_auth_param(const char *name)
{
	return strcmp(name, "X-Amz-Algorithm") == 0 ||
	    strcmp(name, "X-Amz-Credential") == 0 ||
	    strcmp(name, "X-Amz-SignedHeaders") == 0;
}

/*
 * Every signed byte of a verified request, changed, must be rejected.
 */
static void
tamper_tests(const char *name, const char *form, const struct vreq *orig,
    const struct vctx *c, const char *canonical)
{
	bool is_query = strcmp(form, "query") == 0;
	char *list = signed_list(canonical), *v, *t, *pname, *pvalue;
	struct sigv4_error err = { 0 };
	struct vreq r;
	size_t i, n;
	int ret, idx;

	/* Headers: a signed one changed fails; an unsigned one is ignored. */
	for (i = 0; i < orig->n_headers; i++) {
		if (strcasecmp(orig->names[i], "authorization") == 0)
			continue;
		vreq_copy(&r, orig);
		v = tamper(r.values[i]);
		vreq_set_value(&r, i, v);
		ret = verify(&r, c, &err);
		t = oneline(v);
		if (is_listed(list, orig->names[i]))
			CHECK(ret == -EACCES && strcmp(err.code, "AuthFailure") == 0,
			    "%s/%s: signed header %s '%s' changed: AuthFailure "
			    "(got %d %s)", name, form, orig->names[i], t, ret,
			    err.message);
		else
			CHECK(ret == 0, "%s/%s: unsigned header %s changed: "
			    "still accepted (got %d %s)", name, form,
			    orig->names[i], ret, err.message);
		free(t);
		free(v);
		vreq_free(&r);
	}

	/* Removing a signed header is an incomplete signature. */
	vreq_copy(&r, orig);
	idx = vreq_find(&r, "host");
	if (idx >= 0) {
		vreq_del_header(&r, (size_t)idx);
		ret = verify(&r, c, &err);
		CHECK(ret == -EINVAL && strcmp(err.code, "IncompleteSignature") == 0,
		    "%s/%s: signed header host removed: IncompleteSignature "
		    "(got %d %s)", name, form, ret, err.message);
	}
	vreq_free(&r);

	/* Query parameters, each changed, then one added. */
	n = count_params(orig->target);
	for (i = 0; i < n; i++) {
		pname = pvalue = NULL;
		free(target_with_param(orig->target, i, NULL, &pname, &pvalue));
		if (strcmp(pname, "X-Amz-Signature") == 0) {
			free(pname);
			free(pvalue);
			continue;
		}
		v = tamper(pvalue);
		vreq_copy(&r, orig);
		t = target_with_param(orig->target, i, v, NULL, NULL);
		free(r.target);
		r.target = t;
		ret = verify(&r, c, &err);
		if ((orig->flags & SIGV4_UNSIGNED_TOKEN) &&
		    strcmp(pname, "X-Amz-Security-Token") == 0)
			CHECK(ret == 0, "%s/%s: unsigned session token changed: "
			    "still accepted (got %d %s)", name, form, ret,
			    err.message);
		else if (is_auth_param(pname))
			CHECK(ret < 0, "%s/%s: query %s changed to '%s': rejected "
			    "(got %d %s)", name, form, pname, v, ret, err.message);
		else
			CHECK(ret == -EACCES, "%s/%s: query %s changed to '%s': "
			    "AuthFailure (got %d %s)", name, form, pname, v, ret,
			    err.message);
		vreq_free(&r);
		free(v);
		free(pname);
		free(pvalue);
	}
	vreq_copy(&r, orig);
	t = xasprintf("%s%sAction=DescribeVpcs", r.target,
	    strchr(r.target, '?') ? "&" : "?");
	free(r.target);
	r.target = t;
	ret = verify(&r, c, &err);
	CHECK(ret == -EACCES, "%s/%s: query parameter added: AuthFailure "
	    "(got %d %s)", name, form, ret, err.message);
	vreq_free(&r);

	/* One body byte. */
	if (orig->body_len > 0) {
		vreq_copy(&r, orig);
		r.body[0] ^= 1;
		ret = verify(&r, c, &err);
		CHECK(ret == -EACCES, "%s/%s: body byte changed: AuthFailure "
		    "(got %d %s)", name, form, ret, err.message);
		vreq_free(&r);
	}

	/* The date, one second later. */
	{
		char later[17];

		iso_basic(c->now_ms + 1000, later);
		vreq_copy(&r, orig);
		if (is_query) {
			for (i = 0; i < n; i++) {
				pname = NULL;
				free(target_with_param(r.target, i, NULL, &pname, NULL));
				if (strcmp(pname, "X-Amz-Date") == 0) {
					t = target_with_param(r.target, i, later, NULL,
					    NULL);
					free(r.target);
					r.target = t;
				}
				free(pname);
			}
		} else {
			idx = vreq_find(&r, "x-amz-date");
			if (idx >= 0)
				vreq_set_value(&r, (size_t)idx, later);
		}
		ret = verify(&r, c, &err);
		CHECK(ret == -EACCES, "%s/%s: date one second later: AuthFailure "
		    "(got %d %s)", name, form, ret, err.message);
		vreq_free(&r);
	}

	/* One hex digit of the signature. */
	vreq_copy(&r, orig);
	if (is_query) {
		for (i = 0; i < n; i++) {
			pname = pvalue = NULL;
			free(target_with_param(r.target, i, NULL, &pname, &pvalue));
			if (strcmp(pname, "X-Amz-Signature") == 0) {
				pvalue[7] = pvalue[7] == '0' ? '1' : '0';
				t = target_with_param(r.target, i, pvalue, NULL, NULL);
				free(r.target);
				r.target = t;
			}
			free(pname);
			free(pvalue);
		}
	} else {
		idx = vreq_find(&r, "authorization");
		v = xstrdup(r.values[idx]);
		t = strstr(v, "Signature=") + strlen("Signature=") + 7;
		*t = *t == '0' ? '1' : '0';
		vreq_set_value(&r, (size_t)idx, v);
		free(v);
	}
	ret = verify(&r, c, &err);
	CHECK(ret == -EACCES && strcmp(err.message, "The request signature we "
	    "calculated does not match the signature you provided. Check your "
	    "AWS Secret Access Key and signing method. Consult the service "
	    "documentation for details.") == 0,
	    "%s/%s: signature digit flipped: AuthFailure (got %d %s)", name,
	    form, ret, err.message);
	vreq_free(&r);

	/* Unknown key, other service, wrong secret. */
	{
		struct sigv4_request req = vreq_request(orig);
		struct keys other = { c->access_key_id, "not the secret" };
		struct sigv4_identity id;

		ret = sigv4_verify(&req, c->service, c->now_ms, lookup, NULL, &id,
		    &err);
		CHECK(ret == -EACCES && err.status == 401 &&
		    strcmp(err.message, "AWS was not able to validate the provided "
		    "access credentials") == 0 &&
		    strcmp(id.access_key_id, c->access_key_id) == 0,
		    "%s/%s: unknown access key: AuthFailure (got %d %s)", name,
		    form, ret, err.message);
		ret = sigv4_verify(&req, "ec2", c->now_ms, lookup, NULL, &id, &err);
		CHECK(ret == -EACCES && strcmp(err.message, "Credential should be "
		    "scoped to correct service: 'ec2'.") == 0,
		    "%s/%s: scoped to '%s', verified for ec2: AuthFailure "
		    "(got %d %s)", name, form, c->service, ret, err.message);
		ret = sigv4_verify(&req, c->service, c->now_ms, lookup, &other,
		    &id, &err);
		CHECK(ret == -EACCES, "%s/%s: another secret: AuthFailure "
		    "(got %d %s)", name, form, ret, err.message);
	}

	/* Clock skew. */
	{
		const int64_t min = 60 * 1000;

		ret = verify_at(orig, c, c->now_ms + 14 * min, &err);
		CHECK(ret == 0, "%s/%s: 14 minutes later: OK (got %d %s)", name,
		    form, ret, err.message);
		ret = verify_at(orig, c, c->now_ms - 14 * min, &err);
		CHECK(ret == 0, "%s/%s: 14 minutes earlier: OK (got %d %s)", name,
		    form, ret, err.message);
		ret = verify_at(orig, c, c->now_ms - 16 * min, &err);
		CHECK(ret == -ETIME && strcmp(err.code, "RequestExpired") == 0 &&
		    err.status == 400, "%s/%s: 16 minutes earlier: RequestExpired "
		    "(got %d %s)", name, form, ret, err.message);
		if (is_query) {
			ret = verify_at(orig, c, c->now_ms + 16 * min, &err);
			CHECK(ret == 0, "%s/%s: 16 minutes later, within "
			    "X-Amz-Expires: OK (got %d %s)", name, form, ret,
			    err.message);
			ret = verify_at(orig, c, c->now_ms +
			    (int64_t)c->expires * 1000, &err);
			CHECK(ret == 0, "%s/%s: at X-Amz-Expires: OK (got %d %s)",
			    name, form, ret, err.message);
			ret = verify_at(orig, c, c->now_ms +
			    (int64_t)c->expires * 1000 + 1000, &err);
			CHECK(ret == -ETIME, "%s/%s: past X-Amz-Expires: "
			    "RequestExpired (got %d %s)", name, form, ret,
			    err.message);
		} else {
			ret = verify_at(orig, c, c->now_ms + 16 * min, &err);
			CHECK(ret == -ETIME && strcmp(err.code, "RequestExpired") == 0,
			    "%s/%s: 16 minutes later: RequestExpired (got %d %s)",
			    name, form, ret, err.message);
		}
	}
	free(list);
}

static char *
trimmed_file(const char *dir, const char *name)
{
	char *s = case_file(dir, name, NULL);
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* Checks one signed form of a vector: canonical forms, verify, tampering. */
static void
signed_form_tests(const char *name, const char *dir, const char *form,
    const struct vctx *c)
{
	char file[64], *want_canon, *want_sts;
	struct buf canon, sts;
	struct sigv4_error err = { 0 };
	struct sigv4_identity id;
	struct sigv4_request req;
	struct keys k = { c->access_key_id, c->secret };
	struct vreq r;
	int ret;

	snprintf(file, sizeof(file), "%s-signed-request.txt", form);
	if (vreq_load(&r, dir, file, vctx_flags(c)) != 0) {
		CHECK(0, "%s: %s parses", name, file);
		return;
	}
	snprintf(file, sizeof(file), "%s-canonical-request.txt", form);
	want_canon = trimmed_file(dir, file);
	snprintf(file, sizeof(file), "%s-string-to-sign.txt", form);
	want_sts = trimmed_file(dir, file);

	req = vreq_request(&r);
	buf_init(&canon);
	buf_init(&sts);
	ret = sigv4_canonical_request(&req, &canon, &sts, &err);
	CHECK(ret == 0, "%s/%s: canonical request builds (%d)", name, form, ret);
	CHECK_STR(canon.data, want_canon, "%s/%s: canonical request", name, form);
	CHECK_STR(sts.data, want_sts, "%s/%s: string to sign", name, form);

	memset(&err, 0, sizeof(err));
	ret = sigv4_verify(&req, c->service, c->now_ms, lookup, &k, &id, &err);
	CHECK(ret == 0, "%s/%s: verifies (got %d %s %s)", name, form, ret,
	    err.code ? err.code : "", err.message);
	CHECK(strcmp(id.access_key_id, c->access_key_id) == 0 &&
	    strcmp(id.region, c->region) == 0 &&
	    strcmp(id.service, c->service) == 0,
	    "%s/%s: identity %s/%s/%s", name, form, id.access_key_id, id.region,
	    id.service);

	if (ret == 0)
		tamper_tests(name, form, &r, c, want_canon ? want_canon : "");
	buf_fini(&canon);
	buf_fini(&sts);
	free(want_canon);
	free(want_sts);
	vreq_free(&r);
}

static void
sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len;
	size_t i;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static char *
uri_escape(const char *s)
{
	struct buf b;

	buf_init(&b);
	for (; *s; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("-_.~", *s))
			buf_putc(&b, *s);
		else
			buf_printf(&b, "%%%02X", (unsigned char)*s);
	}
	return buf_steal(&b);
}

/* Signs request.txt in both forms and compares with the vector. */
static void
signer_tests(const char *name, const char *dir, const struct vctx *c)
{
	char *want_sig, *want_auth = NULL, *qsig, hash[65], *t, *tok;
	struct buf auth, query;
	struct sigv4_request req;
	struct sigv4_error err = { 0 };
	struct vreq r, signed_req;
	int ret, idx;

	if (vreq_load(&r, dir, "request.txt", vctx_flags(c)) != 0) {
		CHECK(0, "%s: request.txt parses", name);
		return;
	}
	/* Header form: the date, the token and the body hash as the suite adds them. */
	vreq_add_header(&r, "X-Amz-Date", c->amz_date);
	if (c->token[0] && !c->is_token_omitted)
		vreq_add_header(&r, "X-Amz-Security-Token", c->token);
	if (c->is_body_signed) {
		sha256_hex(r.body, r.body_len, hash);
		vreq_add_header(&r, "x-amz-content-sha256", hash);
	}
	want_sig = trimmed_file(dir, "header-signature.txt");
	if (vreq_load(&signed_req, dir, "header-signed-request.txt", 0) == 0 &&
	    (idx = vreq_find(&signed_req, "authorization")) >= 0)
		want_auth = xstrdup(signed_req.values[idx]);
	vreq_free(&signed_req);

	req = vreq_request(&r);
	buf_init(&auth);
	ret = sigv4_sign(&req, c->access_key_id, c->secret, c->region,
	    c->service, c->amz_date, &auth);
	CHECK_STR(ret == 0 ? auth.data : "(error)", want_auth,
	    "%s: sigv4_sign gives the vector's Authorization", name);
	CHECK(ret == 0 && want_sig && strstr(auth.data, want_sig) != NULL,
	    "%s: sigv4_sign signature %s", name, want_sig ? want_sig : "?");

	/* Our own signature verifies. */
	vreq_add_header(&r, "Authorization", auth.data);
	ret = verify(&r, c, &err);
	CHECK(ret == 0, "%s: sigv4_sign output verifies (%d %s)", name, ret,
	    err.message);
	vreq_free(&r);
	buf_fini(&auth);
	free(want_sig);
	free(want_auth);

	/* Query form. */
	if (vreq_load(&r, dir, "request.txt", vctx_flags(c)) != 0)
		return;
	tok = NULL;
	if (c->token[0]) {
		tok = uri_escape(c->token);
		if (!c->is_token_omitted) {
			t = xasprintf("%s%sX-Amz-Security-Token=%s", r.target,
			    strchr(r.target, '?') ? "&" : "?", tok);
			free(r.target);
			r.target = t;
		}
	}
	want_sig = trimmed_file(dir, "query-signature.txt");
	req = vreq_request(&r);
	buf_init(&query);
	ret = sigv4_presign(&req, c->access_key_id, c->secret, c->region,
	    c->service, c->amz_date, c->expires, &query);
	qsig = strstr(query.data, "X-Amz-Signature=");
	CHECK(ret == 0 && qsig && want_sig &&
	    strcmp(qsig + strlen("X-Amz-Signature="), want_sig) == 0,
	    "%s: sigv4_presign signature %s (%d %s)", name,
	    want_sig ? want_sig : "?", ret, query.data);
	t = xasprintf("%s%s%s", r.target, strchr(r.target, '?') ? "&" : "?",
	    query.data);
	free(r.target);
	r.target = t;
	if (tok && c->is_token_omitted) {
		t = xasprintf("%s&X-Amz-Security-Token=%s", r.target, tok);
		free(r.target);
		r.target = t;
	}
	ret = verify(&r, c, &err);
	CHECK(ret == 0, "%s: sigv4_presign output verifies (%d %s)", name, ret,
	    err.message);
	free(tok);
	free(want_sig);
	buf_fini(&query);
	vreq_free(&r);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
vector_tests(void)
{
	char dir[2048], base[1024], *names[128];
	size_t n = 0, i;
	struct dirent *de;
	struct vctx c;
	DIR *d;

	snprintf(base, sizeof(base), "%s/testdata/sigv4/v4", shared_dir);
	if ((d = opendir(base)) == NULL) {
		CHECK(0, "open %s", base);
		return;
	}
	while ((de = readdir(d)) != NULL && n < ARRAY_SIZE(names))
		if (de->d_name[0] != '.')
			names[n++] = xstrdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	CHECK(n == 38, "38 vector cases (found %zu)", n);
	for (i = 0; i < n; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", base, names[i]);
		if (vctx_load(&c, dir) != 0) {
			CHECK(0, "%s: context.json loads", names[i]);
			free(names[i]);
			continue;
		}
		signed_form_tests(names[i], dir, "header", &c);
		signed_form_tests(names[i], dir, "query", &c);
		signer_tests(names[i], dir, &c);
		free(names[i]);
	}
}

/* A vector request as a base for the hand-made error cases. */
static const char *vanilla_dir(void)
{
	static char dir[1024];

	snprintf(dir, sizeof(dir), "%s/testdata/sigv4/v4/get-vanilla", shared_dir);
	return dir;
}

static void
expect_error(const struct vreq *r, const struct vctx *c, int want_ret,
    const char *want_code, const char *what)
{
	struct sigv4_error err = { 0 };
	int ret;

	ret = verify(r, c, &err);
	CHECK(ret == want_ret && err.code && strcmp(err.code, want_code) == 0,
	    "%s: %s (got %d %s: %s)", what, want_code, ret,
	    err.code ? err.code : "-", err.message);
}

static void
set_authorization(struct vreq *r, const char *value)
{
	int idx = vreq_find(r, "authorization");

	if (idx >= 0)
		vreq_set_value(r, (size_t)idx, value);
	else
		vreq_add_header(r, "Authorization", value);
}

static void
error_tests(void)
{
	static const char *const garbled[] = {
		"AWS4-HMAC-SHA256 garbage",
		"AWS4-HMAC-SHA256",
		"Bearer abcdef",
		"AWS4-HMAC-SHA1 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
		    "aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service, "
		    "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942"
		    "676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2015083/us-east-1/service/"
		    "aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa3"
		    "1553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
		    "aws4_reques, SignedHeaders=host;x-amz-date, Signature=5fa00fa3"
		    "1553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
		    "aws4_request, SignedHeaders=host;x-amz-date",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
		    "aws4_request, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2"
		    "a2260956d9b8aae1d763fbf31",
		"AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=5fa00fa3"
		    "1553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
		    "aws4_request, Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
		    "aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa3"
		    "1553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
		    "aws4_request, SignedHeaders=host;;x-amz-date, Signature=5fa00fa"
		    "31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
	};
	const char *dir = vanilla_dir();
	struct sigv4_error err = { 0 };
	struct vreq base, r;
	struct vctx c;
	size_t i;
	int idx, ret;
	char *t;

	if (vctx_load(&c, dir) != 0 ||
	    vreq_load(&base, dir, "header-signed-request.txt", 0) != 0) {
		CHECK(0, "get-vanilla loads");
		return;
	}

	/* No authentication at all. */
	vreq_copy(&r, &base);
	vreq_del_header(&r, (size_t)vreq_find(&r, "authorization"));
	ret = verify(&r, &c, &err);
	CHECK(ret == -ENOENT && err.status == 401 &&
	    strcmp(err.code, "MissingAuthenticationToken") == 0 &&
	    strcmp(err.message, "Request is missing Authentication Token") == 0,
	    "no Authorization, no X-Amz-Signature: MissingAuthenticationToken "
	    "(got %d %s)", ret, err.message);
	t = xasprintf("/?Action=DescribeVpcs&Version=2016-11-15");
	free(r.target);
	r.target = t;
	expect_error(&r, &c, -ENOENT, "MissingAuthenticationToken",
	    "query without X-Amz-* parameters");
	vreq_add_header(&r, "Authorization", "  ");
	expect_error(&r, &c, -ENOENT, "MissingAuthenticationToken",
	    "blank Authorization");
	vreq_free(&r);

	/* Garbled Authorization headers. */
	for (i = 0; i < ARRAY_SIZE(garbled); i++) {
		vreq_copy(&r, &base);
		set_authorization(&r, garbled[i]);
		ret = verify(&r, &c, &err);
		CHECK(ret == -EINVAL && err.status == 400 &&
		    strcmp(err.code, "IncompleteSignature") == 0,
		    "garbled Authorization '%.40s...': IncompleteSignature "
		    "(got %d %s)", garbled[i], ret, err.message);
		vreq_free(&r);
	}

	/* Two Authorization headers. */
	vreq_copy(&r, &base);
	vreq_add_header(&r, "authorization", r.values[vreq_find(&r,
	    "authorization")]);
	expect_error(&r, &c, -EINVAL, "IncompleteSignature",
	    "two Authorization headers");
	vreq_free(&r);

	/* Scope date not the date of X-Amz-Date. */
	vreq_copy(&r, &base);
	idx = vreq_find(&r, "authorization");
	t = xstrdup(r.values[idx]);
	memcpy(strstr(t, "/20150830/") + 1, "20150831", 8);
	vreq_set_value(&r, (size_t)idx, t);
	free(t);
	ret = verify(&r, &c, &err);
	CHECK(ret == -EINVAL && strstr(err.message, "Date in Credential scope") &&
	    strcmp(err.code, "IncompleteSignature") == 0,
	    "scope date differs from X-Amz-Date: IncompleteSignature (got %d %s)",
	    ret, err.message);
	vreq_free(&r);

	/* host missing from SignedHeaders; a signed header missing. */
	vreq_copy(&r, &base);
	set_authorization(&r, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/"
	    "us-east-1/service/aws4_request, SignedHeaders=x-amz-date, "
	    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d"
	    "763fbf31");
	expect_error(&r, &c, -EINVAL, "IncompleteSignature",
	    "SignedHeaders without host");
	set_authorization(&r, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/"
	    "us-east-1/service/aws4_request, SignedHeaders=host;my-header;"
	    "x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260"
	    "956d9b8aae1d763fbf31");
	expect_error(&r, &c, -EINVAL, "IncompleteSignature",
	    "a signed header absent from the request");
	vreq_free(&r);

	/* Dates: missing, malformed, repeated. */
	vreq_copy(&r, &base);
	vreq_del_header(&r, (size_t)vreq_find(&r, "x-amz-date"));
	expect_error(&r, &c, -EINVAL, "IncompleteSignature", "no X-Amz-Date or Date");
	vreq_add_header(&r, "X-Amz-Date", "2015-08-30T12:36:00Z");
	expect_error(&r, &c, -EINVAL, "IncompleteSignature",
	    "X-Amz-Date not in basic format");
	vreq_set_value(&r, (size_t)vreq_find(&r, "x-amz-date"), "20150230T123600Z");
	expect_error(&r, &c, -EINVAL, "IncompleteSignature",
	    "X-Amz-Date on February 30");
	vreq_free(&r);
	vreq_copy(&r, &base);
	vreq_add_header(&r, "X-Amz-Date", "20150830T123600Z");
	expect_error(&r, &c, -EINVAL, "IncompleteSignature", "two X-Amz-Date headers");
	vreq_free(&r);

	/* A signature of the wrong length is a mismatch, not a crash. */
	vreq_copy(&r, &base);
	set_authorization(&r, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/"
	    "us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
	    "Signature=5fa00fa3");
	expect_error(&r, &c, -EACCES, "AuthFailure", "short signature");
	/* Upper-case hex is the same signature. */
	set_authorization(&r, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/"
	    "us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
	    "Signature=5FA00FA31553B73EBF1942676E86291E8372FF2A2260956D9B8AAE1D"
	    "763FBF31");
	ret = verify(&r, &c, &err);
	CHECK(ret == 0, "upper-case hex signature verifies (got %d %s)", ret,
	    err.message);
	/* Components in another order, extra spaces. */
	set_authorization(&r, "AWS4-HMAC-SHA256  Signature=5fa00fa31553b73ebf19"
	    "42676e86291e8372ff2a2260956d9b8aae1d763fbf31 ,SignedHeaders=host;"
	    "x-amz-date,Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
	    "aws4_request");
	ret = verify(&r, &c, &err);
	CHECK(ret == 0, "Authorization components in another order verify "
	    "(got %d %s)", ret, err.message);
	vreq_free(&r);
	vreq_free(&base);

	/* Presigned: missing parameters, X-Amz-Expires limits. */
	if (vreq_load(&base, dir, "query-signed-request.txt", 0) != 0) {
		CHECK(0, "get-vanilla query form loads");
		return;
	}
	vreq_copy(&r, &base);
	t = target_with_param(r.target, 2, NULL, NULL, NULL);	/* X-Amz-Date */
	free(t);
	free(r.target);
	r.target = xstrdup("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
	    "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&"
	    "X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=e93c78"
	    "7ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d");
	expect_error(&r, &c, -EINVAL, "IncompleteSignature",
	    "presigned without X-Amz-Date");
	free(r.target);
	r.target = xstrdup("/?X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550"
	    "f4dce4144713e844b25b7192d3865d");
	expect_error(&r, &c, -EINVAL, "IncompleteSignature",
	    "presigned with only X-Amz-Signature");
	free(r.target);
	r.target = xstrdup("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
	    "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&"
	    "X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&"
	    "X-Amz-Expires=604801&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede"
	    "9550f4dce4144713e844b25b7192d3865d");
	expect_error(&r, &c, -EINVAL, "IncompleteSignature",
	    "X-Amz-Expires over a week");
	free(r.target);
	r.target = xstrdup("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
	    "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&"
	    "X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&"
	    "X-Amz-Expires=soon&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede"
	    "9550f4dce4144713e844b25b7192d3865d");
	expect_error(&r, &c, -EINVAL, "IncompleteSignature",
	    "X-Amz-Expires not a number");
	free(r.target);
	r.target = xasprintf("%s&X-Amz-Signature=00", base.target);
	expect_error(&r, &c, -EINVAL, "IncompleteSignature",
	    "X-Amz-Signature twice");
	vreq_free(&r);
	vreq_free(&base);
}

/* A request as boto3 sends it to EC2. */
static void
ec2_request(struct vreq *r, const char *amz_date, const char *body)
{
	memset(r, 0, sizeof(*r));
	r->method = xstrdup("POST");
	r->target = xstrdup("/");
	vreq_add_header(r, "Host", "127.0.0.1:8787");
	vreq_add_header(r, "User-Agent", "Boto3/1.34.0 md/Botocore#1.34.0");
	vreq_add_header(r, "Content-Type",
	    "application/x-www-form-urlencoded; charset=utf-8");
	vreq_add_header(r, "X-Amz-Date", amz_date);
	r->body = xstrdup(body);
	r->body_len = strlen(body);
}

static const struct keys ec2_keys = {
	"AKIAVPCDEXAMPLE00001", "vpcd/secret+EXAMPLE/0123456789abcdefghijklm"
};

static int
ec2_sign(struct vreq *r, const char *region, const char *amz_date)
{
	struct sigv4_request req = vreq_request(r);
	struct buf auth;
	int ret;

	buf_init(&auth);
	ret = sigv4_sign(&req, ec2_keys.access_key_id, ec2_keys.secret, region,
	    "ec2", amz_date, &auth);
	if (ret == 0)
		vreq_add_header(r, "Authorization", auth.data);
	buf_fini(&auth);
	return ret;
}

static void
ec2_tests(void)
{
	const char *body = "Action=DescribeVpcs&Version=2016-11-15";
	struct sigv4_identity id;
	struct sigv4_request req;
	struct sigv4_error err = { 0 };
	/* Same length as the real secret, so only its bytes tell them apart. */
	struct keys rotated = { ec2_keys.access_key_id,
	    "vpcd/secret+EXAMPLE/0123456789abcdefghijkln" };
	struct vreq r;
	char amz_date[17], hash[65], *t;
	int64_t now = time_now_ms();
	int ret;

	iso_basic(now, amz_date);
	ec2_request(&r, amz_date, body);
	ret = ec2_sign(&r, "eu-west-3", amz_date);
	CHECK(ret == 0, "ec2: sign (%d)", ret);
	CHECK(strstr(r.values[vreq_find(&r, "authorization")], "SignedHeaders="
	    "content-type;host;x-amz-date,") != NULL,
	    "ec2: signs content-type;host;x-amz-date, not user-agent: %s",
	    r.values[vreq_find(&r, "authorization")]);
	req = vreq_request(&r);
	ret = sigv4_verify(&req, "ec2", now, lookup, (void *)&ec2_keys, &id, &err);
	CHECK(ret == 0 && strcmp(id.region, "eu-west-3") == 0 &&
	    strcmp(id.access_key_id, ec2_keys.access_key_id) == 0 &&
	    strcmp(id.service, "ec2") == 0,
	    "ec2: verifies, region eu-west-3 reported (%d %s)", ret, err.message);
	/* Again, from the key cache. */
	ret = sigv4_verify(&req, "ec2", now, lookup, (void *)&ec2_keys, &id, &err);
	CHECK(ret == 0, "ec2: verifies again (cached key) (%d)", ret);
	/* A rotated secret must not be served from the cache. */
	ret = sigv4_verify(&req, "ec2", now, lookup, &rotated, &id, &err);
	CHECK(ret == -EACCES, "ec2: after rotating the secret: AuthFailure (%d)",
	    ret);
	sigv4_cache_flush();
	ret = sigv4_verify(&req, "ec2", now, lookup, (void *)&ec2_keys, &id, &err);
	CHECK(ret == 0, "ec2: verifies after cache flush (%d %s)", ret,
	    err.message);
	ret = sigv4_verify(&req, "cloudformation", now, lookup, (void *)&ec2_keys,
	    &id, &err);
	CHECK(ret == -EACCES && strcmp(err.message, "Credential should be scoped "
	    "to correct service: 'cloudformation'.") == 0,
	    "ec2: scope ec2 verified for cloudformation: AuthFailure (%s)",
	    err.message);
	/* Unsigned user-agent may change. */
	vreq_set_value(&r, (size_t)vreq_find(&r, "user-agent"), "other");
	req = vreq_request(&r);
	ret = sigv4_verify(&req, "ec2", now, lookup, (void *)&ec2_keys, &id, &err);
	CHECK(ret == 0, "ec2: unsigned user-agent changed: OK (%d)", ret);
	vreq_free(&r);

	/* x-amz-content-sha256 signed and matching, then not matching. */
	ec2_request(&r, amz_date, body);
	sha256_hex(body, strlen(body), hash);
	vreq_add_header(&r, "X-Amz-Content-Sha256", hash);
	ret = ec2_sign(&r, "us-east-1", amz_date);
	req = vreq_request(&r);
	ret = ret ? ret : sigv4_verify(&req, "ec2", now, lookup,
	    (void *)&ec2_keys, &id, &err);
	CHECK(ret == 0, "ec2: with x-amz-content-sha256: OK (%d)", ret);
	r.body[r.body_len - 1] = '6';
	ret = sigv4_verify(&req, "ec2", now, lookup, (void *)&ec2_keys, &id, &err);
	CHECK(ret == -EACCES && strstr(err.message, "x-amz-content-sha256"),
	    "ec2: body differs from x-amz-content-sha256: AuthFailure (%s)",
	    err.message);
	vreq_free(&r);

	/* UNSIGNED-PAYLOAD is refused in the header form... */
	ec2_request(&r, amz_date, body);
	vreq_add_header(&r, "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
	ret = ec2_sign(&r, "us-east-1", amz_date);
	CHECK(ret == -EINVAL, "ec2: sigv4_sign refuses a wrong "
	    "x-amz-content-sha256 (%d)", ret);
	vreq_free(&r);

	/* ...but honoured when a presigned request declares it. */
	{
		struct buf q;

		ec2_request(&r, amz_date, body);
		free(r.target);
		r.target = xstrdup("/?X-Amz-Content-Sha256=UNSIGNED-PAYLOAD");
		req = vreq_request(&r);
		buf_init(&q);
		ret = sigv4_presign(&req, ec2_keys.access_key_id, ec2_keys.secret,
		    "us-east-1", "ec2", amz_date, 300, &q);
		t = xasprintf("%s&%s", r.target, q.data);
		free(r.target);
		r.target = t;
		r.body[0] = 'X';
		req = vreq_request(&r);
		ret = ret ? ret : sigv4_verify(&req, "ec2", now, lookup,
		    (void *)&ec2_keys, &id, &err);
		CHECK(ret == 0, "ec2: presigned UNSIGNED-PAYLOAD: body not "
		    "covered (%d %s)", ret, err.message);
		buf_fini(&q);
		vreq_free(&r);
	}

	/* The Date header when there is no X-Amz-Date. */
	{
		struct vctx c;
		struct buf auth;

		memset(&r, 0, sizeof(r));
		r.method = xstrdup("GET");
		r.target = xstrdup("/?Action=DescribeRegions");
		vreq_add_header(&r, "Host", "ec2.example");
		vreq_add_header(&r, "Date", "Sun, 30 Aug 2015 12:36:00 GMT");
		req = vreq_request(&r);
		buf_init(&auth);
		ret = sigv4_sign(&req, ec2_keys.access_key_id, ec2_keys.secret,
		    "us-east-1", "ec2", "20150830T123600Z", &auth);
		vreq_add_header(&r, "Authorization", auth.data);
		buf_fini(&auth);
		memset(&c, 0, sizeof(c));
		snprintf(c.access_key_id, sizeof(c.access_key_id), "%s",
		    ec2_keys.access_key_id);
		snprintf(c.secret, sizeof(c.secret), "%s", ec2_keys.secret);
		snprintf(c.service, sizeof(c.service), "ec2");
		c.now_ms = 1440938160000LL;	/* 2015-08-30T12:36:00Z */
		ret = ret ? ret : verify(&r, &c, &err);
		CHECK(ret == 0, "Date header instead of X-Amz-Date: OK (%d %s)",
		    ret, err.message);
		vreq_set_value(&r, (size_t)vreq_find(&r, "date"),
		    "Sun, 30 Aug 2015 12:36:01 GMT");
		expect_error(&r, &c, -EACCES, "AuthFailure", "Date header changed");
		ret = verify_at(&r, &c, c.now_ms + 20 * 60 * 1000, &err);
		CHECK(ret == -ETIME, "Date header 20 minutes old: RequestExpired "
		    "(%d)", ret);
		vreq_free(&r);
	}

	/* Bad signer arguments. */
	ec2_request(&r, amz_date, body);
	ret = ec2_sign(&r, "us-east-1", "20150830T123600Z");
	CHECK(ret == -EINVAL, "sigv4_sign: amz_date differs from the "
	    "X-Amz-Date header: -EINVAL (%d)", ret);
	ret = ec2_sign(&r, "us-east-1", "2015-08-30");
	CHECK(ret == -EINVAL, "sigv4_sign: malformed amz_date: -EINVAL (%d)", ret);
	ret = ec2_sign(&r, "", amz_date);
	CHECK(ret == -EINVAL, "sigv4_sign: empty region: -EINVAL (%d)", ret);
	vreq_del_header(&r, (size_t)vreq_find(&r, "host"));
	ret = ec2_sign(&r, "us-east-1", amz_date);
	CHECK(ret == -EINVAL, "sigv4_sign: no host header: -EINVAL (%d)", ret);
	vreq_free(&r);
}

/* Many threads verifying with several scopes: the key cache under load. */
struct thread_arg {
	const char	*region;
	int64_t		 now;
	int		 failures;
};

static void *
verify_thread(void *p)
{
	struct thread_arg *ta = p;
	struct sigv4_identity id;
	struct sigv4_request req;
	struct sigv4_error err = { 0 };
	struct vreq r;
	char amz_date[17];
	int i;

	iso_basic(ta->now, amz_date);
	ec2_request(&r, amz_date, "Action=DescribeSubnets&Version=2016-11-15");
	if (ec2_sign(&r, ta->region, amz_date) != 0) {
		ta->failures++;
		vreq_free(&r);
		return NULL;
	}
	req = vreq_request(&r);
	for (i = 0; i < 2000; i++) {
		if (sigv4_verify(&req, "ec2", ta->now, lookup, (void *)&ec2_keys,
		    &id, &err) != 0 || strcmp(id.region, ta->region) != 0)
			ta->failures++;
		if (i % 500 == 0)
			sigv4_cache_flush();
	}
	vreq_free(&r);
	return NULL;
}

static void
thread_tests(void)
{
	static const char *const regions[] = {
		"us-east-1", "eu-west-1", "ap-south-1", "sa-east-1",
		"us-west-2", "eu-central-1", "ca-central-1", "me-south-1",
	};
	struct thread_arg args[ARRAY_SIZE(regions)];
	pthread_t threads[ARRAY_SIZE(regions)];
	int64_t now = time_now_ms();
	size_t i;
	int failures = 0;

	for (i = 0; i < ARRAY_SIZE(regions); i++) {
		args[i] = (struct thread_arg){ regions[i], now, 0 };
		pthread_create(&threads[i], NULL, verify_thread, &args[i]);
	}
	for (i = 0; i < ARRAY_SIZE(regions); i++) {
		pthread_join(threads[i], NULL);
		failures += args[i].failures;
	}
	CHECK(failures == 0, "8 threads x 2000 verifications in 8 regions: "
	    "%d failures", failures);
}

/*
 * Random damage to the Authorization header, the target and the date of
 * signed vectors: every result must be a clean accept or one of the
 * documented errors (the sanitizer builds catch the rest).  Some damage is
 * harmless by design (spaces between components, the case of a hex
 * digit), so acceptance is allowed.
 */
static void
damage_tests(void)
{
	static const char *const cases[] = {
		"get-vanilla-query-order-encoded", "post-x-www-form-urlencoded",
		"get-header-value-multiline", "post-sts-header-before",
	};
	static const char alphabet[] = "%&=/;,. \t\nAZaz09~_-+?*\x80\xff";
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	struct sigv4_error err;
	struct vreq base, r;
	struct vctx c;
	char dir[2048], *v;
	size_t i, k, pos, len;
	int ret, bad = 0, runs = 0, idx;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(dir, sizeof(dir), "%s/testdata/sigv4/v4/%s", shared_dir,
		    cases[i]);
		if (vctx_load(&c, dir) != 0)
			continue;
		for (k = 0; k < 2; k++) {
			if (vreq_load(&base, dir, k ? "query-signed-request.txt" :
			    "header-signed-request.txt", vctx_flags(&c)) != 0)
				continue;
			for (runs = 0; runs < 500; runs++) {
				vreq_copy(&r, &base);
				idx = vreq_find(&r, "authorization");
				rng ^= rng << 13;
				rng ^= rng >> 7;
				rng ^= rng << 17;
				v = xstrdup(idx >= 0 && rng % 2 ? r.values[idx] :
				    r.target);
				len = strlen(v);
				pos = (size_t)(rng >> 8) % (len ? len : 1);
				if (len > 0)
					v[pos] = alphabet[(rng >> 40) %
					    (sizeof(alphabet) - 1)];
				if ((rng >> 50) % 4 == 0)
					v[pos] = '\0';		/* truncate */
				if (idx >= 0 && rng % 2) {
					vreq_set_value(&r, (size_t)idx, v);
				} else {
					free(r.target);
					r.target = xstrdup(v);
				}
				free(v);
				ret = verify(&r, &c, &err);
				if (ret != 0 && (err.code == NULL ||
				    err.message[0] == '\0' ||
				    (ret != -ENOENT && ret != -EINVAL &&
				    ret != -ETIME && ret != -EACCES)))
					bad++;
				vreq_free(&r);
			}
			vreq_free(&base);
		}
	}
	CHECK(bad == 0, "4000 randomly damaged requests: every result an accept "
	    "or a documented error (%d not)", bad);
}

/* Not a check: how long one verification takes, for the record. */
static void
timing_note(void)
{
	struct sigv4_identity id;
	struct sigv4_request req;
	struct sigv4_error err = { 0 };
	struct vreq r;
	char amz_date[17];
	int64_t now = time_now_ms(), t0, t1;
	int i, n = 20000, failures = 0;

	iso_basic(now, amz_date);
	ec2_request(&r, amz_date, "Action=DescribeVpcs&Version=2016-11-15&"
	    "Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-0123456789abcdef0");
	if (ec2_sign(&r, "us-east-1", amz_date) != 0) {
		vreq_free(&r);
		return;
	}
	req = vreq_request(&r);
	t0 = time_mono_ns();
	for (i = 0; i < n; i++)
		failures += sigv4_verify(&req, "ec2", now, lookup,
		    (void *)&ec2_keys, &id, &err) != 0;
	t1 = time_mono_ns();
	printf("# sigv4_verify: %.2f us per request, one thread (%d failures)\n",
	    (double)(t1 - t0) / n / 1000.0, failures);
	vreq_free(&r);
}

int
main(void)
{
	shared_dir = getenv("VPCD_SHARED");
	if (shared_dir == NULL)
		shared_dir = "../shared";
	vector_tests();
	error_tests();
	ec2_tests();
	thread_tests();
	damage_tests();
	timing_note();
	return tap_done();
}
