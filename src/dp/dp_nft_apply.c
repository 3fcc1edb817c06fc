/*
 * Loads a compiled ruleset into a router namespace with libnftables, in
 * process, and reads back which ruleset is installed.
 *
 * libnftables talks to the kernel over a netlink socket that belongs to
 * the network namespace it was opened in.  So the calling thread enters
 * the namespace (setns on that thread only) around every use of a
 * context, and contexts are created inside their namespace.  One context
 * per namespace is cached: creating one costs more than a small apply.
 * A cached context's socket keeps its namespace alive, so dp_nft_forget()
 * drops it when the namespace goes; a namespace deleted and created again
 * under the same name is noticed (its inode differs) and gets a new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "dp_nft.h"

/* What dp_nft_apply() puts before the text: creating the table first
 * makes the delete succeed when there is none yet. */
static const char apply_prefix[] = "table inet vpcd\ndelete table inet vpcd\n";
#define APPLY_PREFIX_LINES 2

struct nft_cached {
	char ns[DP_NS_MAX];
	dev_t dev;
	ino_t ino;
	struct nft_ctx *ctx;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nft_cached *cache;
static size_t n_cache;

/* Enters namespace 'ns' on the calling thread; '*self' receives a file
 * descriptor of the thread's own namespace for leave_ns(). */
static int
enter_ns(const char *ns, int *self, struct stat *st)
{
	char path[64 + DP_NS_MAX];
	int fd, ret = 0;

	if (*ns == '\0' || strchr(ns, '/') || strcmp(ns, ".") == 0 || strcmp(ns, "..") == 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*self < 0) {
		ret = -errno;
		goto out;
	}
	if (fstat(fd, st) < 0 || setns(fd, CLONE_NEWNET) < 0) {
		ret = -errno;
		close(*self);
		*self = -1;
	}
out:
	close(fd);
	return ret;
}

static void
leave_ns(int self)
{
	/* A thread left in a VPC's namespace would act on the wrong network
	 * from now on: that is a broken invariant, not an error to report. */
	if (setns(self, CLONE_NEWNET) < 0)
		fatal("nft: cannot return to the daemon's network namespace");
	close(self);
}

/* The cached context of 'ns' (the thread is inside it), or a new one. */
static struct nft_ctx *
ctx_get(const char *ns, const struct stat *st)
{
	struct nft_cached *c = NULL;

	for (size_t i = 0; i < n_cache; i++)
		if (strcmp(cache[i].ns, ns) == 0)
			c = &cache[i];
	if (c && (c->dev != st->st_dev || c->ino != st->st_ino)) {
		/* The same name, another namespace. */
		nft_ctx_free(c->ctx);
		c->ctx = NULL;
	}
	if (c == NULL) {
		cache = xreallocarray(cache, n_cache + 1, sizeof(*cache));
		c = &cache[n_cache++];
		memset(c, 0, sizeof(*c));
		STR_COPY(c->ns, ns);
	}
	if (c->ctx == NULL) {
		c->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
		if (c->ctx == NULL)
			return NULL;
		nft_ctx_buffer_output(c->ctx);
		nft_ctx_buffer_error(c->ctx);
		c->dev = st->st_dev;
		c->ino = st->st_ino;
	}
	return c->ctx;
}

void
dp_nft_forget(const char *ns)
{
	pthread_mutex_lock(&cache_lock);
	for (size_t i = 0; i < n_cache; i++) {
		if (strcmp(cache[i].ns, ns) != 0)
			continue;
		nft_ctx_free(cache[i].ctx);
		cache[i] = cache[--n_cache];
		break;
	}
	pthread_mutex_unlock(&cache_lock);
}

/*
 * Runs 'cmds' in namespace 'ns' as one transaction; on failure 'err'
 * receives nftables' error text.  The commands are read from an
 * in-memory file: libnftables names the line of an error in a file
 * ("FILE:LINE:COLUMNS: Error: ..."), not in a buffer.
 */
static int
run(const char *ns, const char *cmds, char *err, size_t errsize)
{
	struct nft_ctx *ctx;
	struct stat st;
	char path[64];
	size_t len = strlen(cmds);
	int self = -1, ret, fd = -1;

	*err = '\0';
	pthread_mutex_lock(&cache_lock);
	ret = enter_ns(ns, &self, &st);
	if (ret < 0) {
		snprintf(err, errsize, "namespace %s: %s", ns, strerror(-ret));
		goto out;
	}
	ctx = ctx_get(ns, &st);
	if (ctx == NULL) {
		ret = -ENOMEM;
		snprintf(err, errsize, "namespace %s: cannot create an nftables context", ns);
		goto out_ns;
	}
	fd = memfd_create("vpcd-nft", MFD_CLOEXEC);
	if (fd < 0 || write(fd, cmds, len) != (ssize_t)len) {
		ret = fd < 0 ? -errno : -EIO;
		snprintf(err, errsize, "namespace %s: cannot stage the ruleset", ns);
		goto out_ns;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (nft_run_cmd_from_filename(ctx, path) != 0) {
		ret = -EIO;
		str_copy(err, nft_ctx_get_error_buffer(ctx), errsize);
	}
	/* Empty both buffers for the next run. */
	nft_ctx_get_output_buffer(ctx);
	nft_ctx_get_error_buffer(ctx);
out_ns:
	if (fd >= 0)
		close(fd);
	leave_ns(self);
out:
	pthread_mutex_unlock(&cache_lock);
	return ret;
}

/* Appends to 'err' which chain or set of 'cmds' the first error points
 * at (its name carries the group, ENI or subnet id), 'skip' lines into it. */
static void
name_chain(const char *cmds, long skip, char *err, size_t errsize)
{
	const char *at = strstr(err, "/proc/self/fd/");
	const char *p = cmds, *chain = NULL;
	long line;
	size_t len;

	if (at == NULL || (at = strchr(at, ':')) == NULL)
		return;
	line = strtol(at + 1, NULL, 10) - skip;
	for (long n = 1; p && n < line; n++) {
		if (strncmp(p, "\tchain ", 7) == 0 || strncmp(p, "\tset ", 5) == 0 ||
		    strncmp(p, "\tmap ", 5) == 0)
			chain = p + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (p == NULL || chain == NULL || line < 1)
		return;
	len = strlen(err);
	while (len && err[len - 1] == '\n')
		err[--len] = '\0';
	snprintf(err + len, errsize - len, " [ruleset line %ld, in %.*s]", line,
	    (int)strcspn(chain, "{\n") - 1, chain);
}

static int
replace(const char *ns, const char *text, char *err, size_t errsize)
{
	struct buf b;
	int ret;

	buf_init(&b);
	buf_reserve(&b, sizeof(apply_prefix) + strlen(text));
	buf_puts(&b, apply_prefix);
	buf_puts(&b, text);
	ret = run(ns, b.data, err, errsize);
	if (ret < 0)
		name_chain(text, APPLY_PREFIX_LINES, err, errsize);
	buf_fini(&b);
	return ret;
}

int
dp_nft_apply(const char *ns, const char *from, const char *text, bool *replaced, char *err,
    size_t errsize)
{
	char *cmds = from ? dp_nft_diff(from, text) : NULL;
	int ret;

	if (replaced)
		*replaced = cmds == NULL;
	if (cmds && *cmds == '\0') {
		free(cmds);
		return 0;
	}
	if (cmds) {
		ret = run(ns, cmds, err, errsize);
		if (ret < 0) {
			name_chain(cmds, 0, err, errsize);
			log_warnx("nftables %s: a change failed (%s); replacing the table", ns, err);
		}
		free(cmds);
		if (ret == 0)
			return 0;
		if (replaced)
			*replaced = true;
	}
	return replace(ns, text, err, errsize);
}

/* The attribute of 'type' among those in [data, data + len), or NULL. */
static const struct nlattr *
attr_find(const void *data, size_t len, int type)
{
	const struct nlattr *at = data;

	while (len >= NLA_HDRLEN && at->nla_len >= NLA_HDRLEN && at->nla_len <= len) {
		if ((at->nla_type & NLA_TYPE_MASK) == type)
			return at;
		if ((size_t)NLA_ALIGN(at->nla_len) >= len)
			break;
		len -= NLA_ALIGN(at->nla_len);
		at = (const struct nlattr *)((const char *)at + NLA_ALIGN(at->nla_len));
	}
	return NULL;
}

static const struct nlattr *
attr_nested(const struct nlattr *at, int type)
{
	return at ? attr_find((const char *)at + NLA_HDRLEN, at->nla_len - NLA_HDRLEN, type) :
	    NULL;
}

/*
 * Reads the comment of the element of set "state" straight from the
 * kernel: one netlink dump (NFT_MSG_GETSETELEM) of a one-element set,
 * well under a millisecond, where listing the table through libnftables
 * would dump every rule (0.15 s at 10,000).  libnftables keeps an
 * element's comment in its user data as a TLV (type 0 = comment, one
 * byte of length, NUL-terminated text).
 */
static int
get_state_comment(int fd, char *comment, size_t size)
{
	struct {
		struct nlmsghdr nh;
		struct nfgenmsg nfg;
		struct nlattr table;
		char table_name[8];
		struct nlattr set;
		char set_name[8];
	} req;
	char reply[8192];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t n;
	int ret = -ENOENT;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.nfg.nfgen_family = NFPROTO_INET;
	req.nfg.version = NFNETLINK_V0;
	req.table.nla_len = NLA_HDRLEN + sizeof("vpcd");
	req.table.nla_type = NFTA_SET_ELEM_LIST_TABLE;
	memcpy(req.table_name, "vpcd", sizeof("vpcd"));
	req.set.nla_len = NLA_HDRLEN + sizeof("state");
	req.set.nla_type = NFTA_SET_ELEM_LIST_SET;
	memcpy(req.set_name, "state", sizeof("state"));
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	*comment = '\0';
	for (;;) {
		n = recv(fd, reply, sizeof(reply), 0);
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)reply; NLMSG_OK(nh, (size_t)n);
		    nh = NLMSG_NEXT(nh, n)) {
			const struct nlattr *at;
			size_t hdr = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct nfgenmsg)));

			if (nh->nlmsg_type == NLMSG_ERROR) {
				int e = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;

				return e ? e : ret;
			}
			if (nh->nlmsg_type == NLMSG_DONE)
				return ret;
			if (nh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM) ||
			    nh->nlmsg_len < hdr)
				continue;
			at = attr_find((const char *)nh + hdr, nh->nlmsg_len - hdr,
			    NFTA_SET_ELEM_LIST_ELEMENTS);
			at = attr_nested(attr_nested(at, NFTA_LIST_ELEM), NFTA_SET_ELEM_USERDATA);
			if (at) {
				const unsigned char *u = (const unsigned char *)at + NLA_HDRLEN;
				size_t ulen = at->nla_len - NLA_HDRLEN;

				/* User data: TLVs of (type, length, value). */
				while (ulen >= 2 && (size_t)u[1] + 2 <= ulen) {
					if (u[0] == 0 && u[1] > 0) {
						snprintf(comment, size, "%.*s", u[1], (const char *)u + 2);
						ret = 0;
					}
					ulen -= (size_t)u[1] + 2;
					u += (size_t)u[1] + 2;
				}
			}
		}
	}
}

int
dp_nft_observe_hash(const char *ns, char out[17])
{
	char comment[256];
	struct stat st;
	int self = -1, fd, ret;

	ret = enter_ns(ns, &self, &st);
	if (ret < 0)
		return ret;
	/* The socket belongs to the namespace it is opened in. */
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	ret = fd < 0 ? -errno : 0;
	leave_ns(self);
	if (ret < 0)
		return ret;
	{
		struct timeval tv = { .tv_sec = 2 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	ret = get_state_comment(fd, comment, sizeof(comment));
	close(fd);
	if (ret < 0)
		return ret;
	if (!str_has_prefix(comment, "vpcd ") || strlen(comment) != 5 + 16 ||
	    strspn(comment + 5, "0123456789abcdef") != 16)
		return -ENOENT;
	memcpy(out, comment + 5, 17);
	return 0;
}
