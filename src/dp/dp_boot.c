/*
 * Instance processes: an instance's user data runs once per boot, inside
 * its namespace, as an unprivileged user (like cloud-init's user scripts),
 * with its output in the console log; stop and terminate end every process
 * in the namespace.  Processes are not vpcd's children for long: they run
 * in their own session and outlive a vpcd restart, as instances would.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dp.h"
#include "dp_int.h"

void
dp_console_path(const struct dp_config *cfg, const char *instance_id, char *out, size_t size)
{
	snprintf(out, size, "%s/console/%s.log", cfg->data_dir, instance_id);
}

/* The per-instance state directory: <data>/instances/<id>. */
static int
state_dir(const struct dp_config *cfg, const char *id, char *out, size_t size)
{
	char parent[600];

	snprintf(parent, sizeof(parent), "%s/instances", cfg->data_dir);
	if (mkdir(parent, 0700) && errno != EEXIST)
		return -errno;
	snprintf(out, size, "%.540s/%.40s", parent, id);
	if (mkdir(out, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* The boot number whose user data already ran, or 0. */
static unsigned
boot_done(const char *dir)
{
	char path[700];
	unsigned n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/boot", dir);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%u", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

static int
boot_mark(const char *dir, unsigned boot)
{
	char path[700], tmp[720];
	FILE *f;

	snprintf(path, sizeof(path), "%s/boot", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -errno;
	fprintf(f, "%u\n", boot);
	if (fclose(f) || rename(tmp, path))
		return -errno;
	return 0;
}

/* Splits a "#!interp [arg]" first line; returns false for plain shell. */
static bool
shebang(const char *script, char *interp, size_t isize, char *arg, size_t asize)
{
	const char *p = script + 2, *e;
	size_t n;

	if (strncmp(script, "#!", 2) != 0)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strcspn(p, " \t\n");
	n = (size_t)(e - p);
	if (n == 0 || n >= isize)
		return false;
	memcpy(interp, p, n);
	interp[n] = '\0';
	arg[0] = '\0';
	while (*e == ' ' || *e == '\t')
		e++;
	n = strcspn(e, "\n");
	if (n && n < asize) {
		memcpy(arg, e, n);
		arg[n] = '\0';
		while (n && (arg[n - 1] == ' ' || arg[n - 1] == '\t' || arg[n - 1] == '\r'))
			arg[--n] = '\0';
	}
	return true;
}

/*
 * The child side: enter the namespace, drop to the unprivileged user and
 * exec the script.  Only async-signal-safe calls and exec from here on.
 */
static void NORETURN
boot_child(const struct dp_config *cfg, const char *ns_path, int script_fd, int log_fd,
    const char *home, const struct passwd *pw, const char *script)
{
	char interp[256], arg[256], fdpath[32];
	char *const env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		(char *)home, "LANG=C.UTF-8", NULL };
	int nsfd = open(ns_path, O_RDONLY | O_CLOEXEC);
	int devnull = open("/dev/null", O_RDONLY);
	sigset_t none;

	/* vpcd blocks the signals it waits for and ignores SIGPIPE: a
	 * fresh process must not inherit either. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) || setsid() < 0)
		_exit(127);
	dup2(devnull, 0);
	dup2(log_fd, 1);
	dup2(log_fd, 2);
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid))
		_exit(126);
	if (chdir(home + 5) != 0)  /* skip "HOME=" */
		_exit(125);
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", script_fd);
	if (shebang(script, interp, sizeof(interp), arg, sizeof(arg))) {
		if (arg[0])
			execle(interp, interp, arg, fdpath, (char *)NULL, env);
		else
			execle(interp, interp, fdpath, (char *)NULL, env);
	} else {
		execle("/bin/sh", "sh", fdpath, (char *)NULL, env);
	}
	_exit(127);
}

int
dp_boot_run(const struct dp_config *cfg, const struct dp_boot *b)
{
	char dir[600], path[700], ns_path[128], home[256], console[700];
	struct passwd *pw;
	int script_fd = -1, log_fd = -1, r = 0;
	pid_t pid;

	if ((r = state_dir(cfg, b->instance_id, dir, sizeof(dir))) != 0)
		return r;
	if (boot_done(dir) >= b->boot)
		return 0;
	if (b->script == NULL)
		return boot_mark(dir, b->boot);
	if ((pw = getpwnam(cfg->run_as)) == NULL)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/user-data", dir);
	snprintf(ns_path, sizeof(ns_path), "/run/netns/%s", b->ns);
	/* A home the unprivileged user owns, outside the root-only data dir. */
	snprintf(home, sizeof(home), "HOME=/tmp/vpcd-%s", cfg->tag);
	if (mkdir(home + 5, 0711) && errno != EEXIST)
		return -errno;
	snprintf(home, sizeof(home), "HOME=/tmp/vpcd-%s/%s", cfg->tag, b->instance_id);
	if (mkdir(home + 5, 0700) && errno != EEXIST)
		return -errno;
	if (chown(home + 5, pw->pw_uid, pw->pw_gid))
		return -errno;
	snprintf(console, sizeof(console), "%s/console", cfg->data_dir);
	if (mkdir(console, 0700) && errno != EEXIST)
		return -errno;
	dp_console_path(cfg, b->instance_id, console, sizeof(console));
	{
		FILE *f = fopen(path, "w");

		if (f == NULL)
			return -errno;
		fputs(b->script, f);
		if (fclose(f))
			return -errno;
	}
	/* Opened by root and inherited: the user needs no access to the files. */
	script_fd = open(path, O_RDONLY);
	log_fd = open(console, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (script_fd < 0 || log_fd < 0) {
		r = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0) {
		/* Double fork: the script's parent is init, not vpcd. */
		if (fork() == 0)
			boot_child(cfg, ns_path, script_fd, log_fd, home, pw, b->script);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	r = boot_mark(dir, b->boot);
out:
	if (script_fd >= 0)
		close(script_fd);
	if (log_fd >= 0)
		close(log_fd);
	return r;
}

/* The processes whose network namespace is 'ns' (as `ip netns pids`). */
static size_t
ns_pids(const char *ns, pid_t *pids, size_t max)
{
	char path[128];
	struct stat want;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	if (stat(path, &want) || (d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		struct stat st;
		char p[300];

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/ns/net", de->d_name);
		if (stat(p, &st) == 0 && st.st_ino == want.st_ino && st.st_dev == want.st_dev)
			pids[n++] = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	return n;
}

size_t
dp_ns_kill_all(const char *ns)
{
	pid_t pids[4096];
	size_t n = ns_pids(ns, pids, ARRAY_SIZE(pids)), killed = n;

	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	/* Give them two seconds to exit, then insist. */
	for (int tries = 0; tries < 20 && n; tries++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		n = ns_pids(ns, pids, ARRAY_SIZE(pids));
	}
	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	return killed;
}

int
dp_instance_forget(const struct dp_config *cfg, const char *instance_id)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/instances/%s/boot", cfg->data_dir, instance_id);
	unlink(path);
	snprintf(path, sizeof(path), "%s/instances/%s/user-data", cfg->data_dir, instance_id);
	unlink(path);
	snprintf(path, sizeof(path), "%s/instances/%s", cfg->data_dir, instance_id);
	if (rmdir(path) && errno != ENOENT)
		return -errno;
	return 0;
}
