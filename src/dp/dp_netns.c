/*
 * Named network namespaces, kept exactly as iproute2 keeps them so that
 * `ip netns exec NAME ...` and `ip -n NAME ...` work on what vpcd builds:
 * /run/netns is a shared mount point and each namespace is a bind mount
 * of its nsfs file on /run/netns/NAME.
 *
 * Everything here acts on the calling thread only (unshare and setns of
 * CLONE_NEWNET are per thread), so a multi-threaded daemon can use it from
 * any thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "lib/lib.h"
#include "dp_nl.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

#define SELF_NS "/proc/thread-self/ns/net"

static pthread_mutex_t dir_lock = PTHREAD_MUTEX_INITIALIZER;
static bool dir_is_shared;

/* A name is one path component that fits DP_NS_MAX. */
static bool
name_is_valid(const char *name)
{
	size_t n;

	if (name == NULL)
		return false;
	n = strlen(name);
	return n > 0 && n < DP_NS_MAX && strchr(name, '/') == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static void
ns_path(const char *name, char out[sizeof(DP_NETNS_DIR) + DP_NS_MAX])
{
	memcpy(out, DP_NETNS_DIR "/", sizeof(DP_NETNS_DIR));
	str_copy(out + sizeof(DP_NETNS_DIR), name, DP_NS_MAX);
}

/*
 * Makes /run/netns a shared mount point, as iproute2 does before its first
 * namespace: unmounting a namespace then propagates to every mount
 * namespace, so the kernel can free it sooner.  Done once per process: the
 * recursive propagation change walks every mount below, which would make
 * creating n namespaces cost O(n^2).
 */
static int
dir_prepare(void)
{
	bool made_mount = false;
	int ret = 0;

	if (mkdir(DP_NETNS_DIR, 0755) != 0 && errno != EEXIST)
		return -errno;
	pthread_mutex_lock(&dir_lock);
	while (!dir_is_shared) {
		if (mount("", DP_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0) {
			dir_is_shared = true;
			break;
		}
		/* EINVAL: not a mount point yet; bind it onto itself. */
		if (errno != EINVAL || made_mount) {
			ret = -errno;
			break;
		}
		if (mount(DP_NETNS_DIR, DP_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) != 0) {
			ret = -errno;
			break;
		}
		made_mount = true;
	}
	pthread_mutex_unlock(&dir_lock);
	return ret;
}

int
dp_ns_list(char ***names, size_t *n)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL;
	size_t count = 0, cap = 0;

	*names = NULL;
	*n = 0;
	if ((d = opendir(DP_NETNS_DIR)) == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) != NULL) {
		if (!name_is_valid(de->d_name))
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[count++] = xstrdup(de->d_name);
	}
	closedir(d);
	*names = v;
	*n = count;
	return 0;
}

void
dp_ns_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

bool
dp_ns_exists(const char *name)
{
	char path[sizeof(DP_NETNS_DIR) + DP_NS_MAX];
	struct statfs sf;

	if (!name_is_valid(name))
		return false;
	ns_path(name, path);
	return statfs(path, &sf) == 0 && sf.f_type == NSFS_MAGIC;
}

int
dp_ns_create(const char *name)
{
	char path[sizeof(DP_NETNS_DIR) + DP_NS_MAX];
	int fd, self = -1, ret;

	if (!name_is_valid(name))
		return -EINVAL;
	if ((ret = dir_prepare()) != 0)
		return ret;
	ns_path(name, path);
	/* The mount point; O_EXCL makes a taken name fail here. */
	if ((fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)) < 0)
		return -errno;
	close(fd);
	if ((self = open(SELF_NS, O_RDONLY | O_CLOEXEC)) < 0) {
		ret = -errno;
		goto out;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		ret = -errno;
		goto out;
	}
	if (mount(SELF_NS, path, "none", MS_BIND, NULL) != 0)
		ret = -errno;
	if (setns(self, CLONE_NEWNET) != 0)
		fatal("cannot return from new namespace %s", name);
out:
	if (self >= 0)
		close(self);
	if (ret != 0)
		unlink(path);
	return ret;
}

int
dp_ns_delete(const char *name)
{
	char path[sizeof(DP_NETNS_DIR) + DP_NS_MAX];

	if (!name_is_valid(name))
		return -EINVAL;
	ns_path(name, path);
	/* Like ip netns del: a lazy unmount (it may fail if a previous attempt
	 * unmounted but did not unlink), then the mount point goes. */
	(void)umount2(path, MNT_DETACH);
	if (unlink(path) != 0)
		return -errno;
	return 0;
}

int
dp_ns_open(const char *name)
{
	char path[sizeof(DP_NETNS_DIR) + DP_NS_MAX];
	int fd;

	if (!name_is_valid(name))
		return -EINVAL;
	ns_path(name, path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	return fd;
}

int
dp_ns_run_fd(int nsfd, int (*fn)(void *arg), void *arg)
{
	int self, ret;

	if ((self = open(SELF_NS, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (setns(nsfd, CLONE_NEWNET) != 0) {
		ret = -errno;
		close(self);
		return ret;
	}
	ret = fn(arg);
	if (setns(self, CLONE_NEWNET) != 0)
		fatal("cannot return to the thread's network namespace");
	close(self);
	return ret;
}

int
dp_ns_run(const char *name, int (*fn)(void *arg), void *arg)
{
	int fd, ret;

	if ((fd = dp_ns_open(name)) < 0)
		return fd;
	ret = dp_ns_run_fd(fd, fn, arg);
	close(fd);
	return ret;
}
