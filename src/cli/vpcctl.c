/*
 * vpcctl: the administrator's tool.  A thin client of vpcd's control
 * socket; each subcommand is one request and prints the answer as text
 * (or JSON with --json).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zlib.h>

#include "daemon/daemon.h"

static const char *data_dir = "/var/lib/vpcd";
static bool as_json;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: vpcctl [--data-dir DIR] [--json] COMMAND [ARGS]\n"
	    "\n"
	    "Commands:\n"
	    "  account create NAME   create an account; prints its keys as a\n"
	    "                        shared-credentials profile named NAME\n"
	    "  account list          list the accounts\n"
	    "  exec INSTANCE -- CMD  run CMD inside a running instance (its network\n"
	    "                        namespace); the exit status is CMD's\n"
	    "  internet -- CMD       run CMD on the simulated internet's host\n"
	    "  flow-logs [--follow] [FILTER]\n"
	    "                        print the flow log records under DIR/flowlogs\n"
	    "                        (log streams and S3 objects) whose path contains\n"
	    "                        FILTER (a log group, bucket, interface or flow\n"
	    "                        log id); --follow waits for more\n"
	    "\n"
	    "  --data-dir DIR        the vpcd to talk to (default /var/lib/vpcd)\n"
	    "  --json                print the daemon's answer as JSON\n");
}

/* Sends one request and returns the daemon's answer, or exits. */
static json_t *
call(json_t *req)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[sizeof(sun.sun_path) + 64], buf[65536];
	size_t n = 0;
	char *line = json_dumps(req, JSON_COMPACT);
	json_t *answer;
	int fd;

	json_decref(req);
	daemon_ctl_path(data_dir, path, sizeof(path));
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "vpcctl: %s: path too long\n", path);
		exit(1);
	}
	STR_COPY(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		fprintf(stderr, "vpcctl: cannot reach vpcd at %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0) {
		fprintf(stderr, "vpcctl: write: %s\n", strerror(errno));
		exit(1);
	}
	free(line);
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (r <= 0 || (n += (size_t)r) == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[n] = '\0';
	answer = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
	if (answer == NULL) {
		fprintf(stderr, "vpcctl: no answer from vpcd (is it running as root, or as you?)\n");
		exit(1);
	}
	if (!json_is_true(json_object_get(answer, "ok"))) {
		const char *msg = json_string_value(json_object_get(answer, "error"));

		fprintf(stderr, "vpcctl: %s\n", msg ? msg : "request failed");
		exit(1);
	}
	if (as_json) {
		json_dumpf(answer, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(answer);
		exit(0);
	}
	return answer;
}

static int
cmd_account(int argc, char **argv)
{
	json_t *a;

	if (argc == 2 && strcmp(argv[0], "create") == 0) {
		a = call(json_pack("{s:s, s:s}", "cmd", "account-create", "name", argv[1]));
		printf("# vpcd account %s\n[%s]\naws_access_key_id = %s\n"
		    "aws_secret_access_key = %s\n",
		    json_string_value(json_object_get(a, "account_id")), argv[1],
		    json_string_value(json_object_get(a, "access_key_id")),
		    json_string_value(json_object_get(a, "secret_access_key")));
		json_decref(a);
		return 0;
	}
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		size_t i;
		json_t *e;

		a = call(json_pack("{s:s}", "cmd", "account-list"));
		printf("%-14s %-22s %s\n", "ACCOUNT", "ACCESS KEY", "NAME");
		json_array_foreach(json_object_get(a, "accounts"), i, e)
			printf("%-14s %-22s %s%s\n",
			    json_string_value(json_object_get(e, "account_id")),
			    json_string_value(json_object_get(e, "access_key_id")),
			    json_string_value(json_object_get(e, "name")),
			    json_is_true(json_object_get(e, "admin")) ? " (administrator)" : "");
		json_decref(a);
		return 0;
	}
	usage(stderr);
	return 2;
}

/* Enters namespace 'ns' and replaces this process by argv. */
static int
run_in(const char *ns, char **argv)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "vpcctl: cannot enter %s: %s%s\n", ns, strerror(errno),
		    errno == EPERM ? " (vpcctl exec needs root)" : "");
		return 1;
	}
	execvp(argv[0], argv);
	fprintf(stderr, "vpcctl: %s: %s\n", argv[0], strerror(errno));
	return 127;
}

/* "exec INSTANCE -- CMD..." and "internet -- CMD...". */
static int
cmd_run(json_t *req, int argc, char **argv)
{
	json_t *a;
	char ns[128];

	if (argc < 2 || strcmp(argv[0], "--") != 0) {
		json_decref(req);
		usage(stderr);
		return 2;
	}
	as_json = false;  /* the command's own output is what is printed */
	a = call(req);
	STR_COPY(ns, json_string_value(json_object_get(a, "ns")));
	json_decref(a);
	return run_in(ns, argv + 1);
}

static int
cmd_exec(int argc, char **argv)
{
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	return cmd_run(json_pack("{s:s, s:s}", "cmd", "namespace", "instance", argv[0]),
	    argc - 1, argv + 1);
}

static int
cmd_internet(int argc, char **argv)
{
	return cmd_run(json_pack("{s:s, s:b}", "cmd", "namespace", "internet", 1), argc, argv);
}

/* ---- flow-logs: the files vpcd's flow logs write ---- */

struct fl_file {
	char *path;
	off_t done;      /* bytes printed (a stream grows; an object is whole) */
};

static struct fl_file *fl_files;
static size_t fl_n;
static const char *fl_filter;

static int
fl_collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t len = strlen(path);

	if (type != FTW_F || (fl_filter && !strstr(path, fl_filter)) ||
	    (len > 4 && strcmp(path + len - 4, ".tmp") == 0))
		return 0;
	for (size_t i = 0; i < fl_n; i++)
		if (strcmp(fl_files[i].path, path) == 0)
			return 0;
	fl_files = xreallocarray(fl_files, fl_n + 1, sizeof(*fl_files));
	fl_files[fl_n].path = xstrdup(path);
	fl_files[fl_n++].done = 0;
	return 0;
}

static int
fl_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fl_file *)a)->path, ((const struct fl_file *)b)->path);
}

/* Prints what is new in each file: the rest of a log stream, a whole S3
 * object (gzip, its header line dropped) once. */
static void
fl_print_new(void)
{
	char line[4096];

	for (size_t i = 0; i < fl_n; i++) {
		struct fl_file *f = &fl_files[i];
		size_t len = strlen(f->path);

		if (len > 3 && strcmp(f->path + len - 3, ".gz") == 0) {
			gzFile gz;

			if (f->done || (gz = gzopen(f->path, "rb")) == NULL)
				continue;
			if (gzgets(gz, line, sizeof(line)))   /* the header line */
				while (gzgets(gz, line, sizeof(line)))
					fputs(line, stdout);
			gzclose(gz);
			f->done = 1;
		} else {
			FILE *fp = fopen(f->path, "re");

			if (fp == NULL || fseeko(fp, f->done, SEEK_SET)) {
				if (fp)
					fclose(fp);
				continue;
			}
			while (fgets(line, sizeof(line), fp))
				fputs(line, stdout);
			f->done = ftello(fp);
			fclose(fp);
		}
	}
	fflush(stdout);
}

static int
cmd_flow_logs(int argc, char **argv)
{
	bool follow = false;
	char root[1024];

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--follow") == 0 || strcmp(argv[i], "-f") == 0)
			follow = true;
		else if (fl_filter == NULL && argv[i][0] != '-')
			fl_filter = argv[i];
		else {
			usage(stderr);
			return 2;
		}
	}
	snprintf(root, sizeof(root), "%s/flowlogs", data_dir);
	for (;;) {
		nftw(root, fl_collect, 16, FTW_PHYS);
		qsort(fl_files, fl_n, sizeof(*fl_files), fl_cmp);
		fl_print_new();
		if (!follow)
			return 0;
		sleep(1);
	}
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "account", cmd_account },
	{ "exec", cmd_exec },
	{ "flow-logs", cmd_flow_logs },
	{ "internet", cmd_internet },
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			data_dir = optarg;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			return commands[i].fn(argc - optind - 1, argv + optind + 1);
	fprintf(stderr, "vpcctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
