/*
 * vpcd: the VPC daemon.
 *
 * Process layout: the main thread sets up and then waits for a signal;
 * libmicrohttpd's threads serve the EC2 API; one writer thread applies
 * mutating calls and commits them; one thread serves the control socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "core/core.h"
#include "daemon.h"
#include "dp/dp.h"
#include "store/store.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: vpcd [-n] [--listen ADDR:PORT] [--data-dir DIR] [--region NAME]\n"
	    "            [--dataplane none|linux] [--config FILE] [--set KEY=VALUE]...\n"
	    "\n"
	    "Serves the EC2 VPC API (Query protocol, SigV4) on ADDR:PORT.\n"
	    "\n"
	    "  --listen ADDR:PORT   API listener (default 127.0.0.1:4510; [::1]:PORT for IPv6)\n"
	    "  --data-dir DIR       state, credentials and control socket (default /var/lib/vpcd)\n"
	    "  --region NAME        the Region vpcd plays (default us-east-1)\n"
	    "  --zones LIST         its availability zones, e.g. a,b,c (default a,b,c)\n"
	    "  --dataplane MODE     linux: enforce on real packets (default as root);\n"
	    "                       none: API only (default otherwise)\n"
	    "  --config FILE        'key = value' options (default DIR/vpcd.conf if present)\n"
	    "  --set KEY=VALUE      any configuration option, e.g. quota.vpcs-per-region=100\n"
	    "  --log-level LEVEL    warn, info or debug (default info)\n"
	    "  -n                   check the configuration and exit\n"
	    "  --purge              remove every namespace, link and process this data\n"
	    "                       directory's vpcd built, then exit (the model stays)\n"
	    "  -h, --help           this text\n"
	    "\n"
	    "Configuration keys: listen, data-dir, region, zones, dataplane, log-level,\n"
	    "http-threads, max-body-bytes, idle-timeout, max-connections, and the quotas\n"
	    "quota.vpcs-per-region (5), quota.cidr-blocks-per-vpc (5),\n"
	    "quota.subnets-per-vpc (200), quota.internet-gateways-per-region (5),\n"
	    "quota.route-tables-per-vpc (200), quota.routes-per-route-table (50),\n"
	    "quota.security-groups-per-vpc (2500), quota.rules-per-security-group (60),\n"
	    "quota.network-acls-per-vpc (200), quota.entries-per-network-acl (20),\n"
	    "quota.security-groups-per-interface (5, at most 16),\n"
	    "quota.elastic-ips-per-region (5), quota.instances-per-region (20),\n"
	    "quota.nat-gateways-per-availability-zone (5),\n"
	    "quota.active-vpc-peering-connections-per-vpc (50),\n"
	    "quota.outstanding-vpc-peering-connection-requests (25),\n"
	    "quota.flow-logs-per-resource (2), nat-idle-timeout (350 s),\n"
	    "metrics-path (/metrics; empty: no metrics endpoint),\n"
	    "flow-logs-window (seconds of every flow log's window; tests shorten it), and\n"
	    "public-pool (198.51.100.0/24: Elastic and auto-assigned public addresses).\n"
	    "\n"
	    "On first start vpcd creates an administrator account and writes its keys\n"
	    "to DIR/credentials (AWS shared-credentials format, profile 'default').\n");
}

/* Writes the administrator's keys where the aws CLI and SDKs read them. */
static void
write_credentials(const char *data_dir, const struct core_account *admin)
{
	char path[600], tmp[620];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/credentials", data_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		fatal("%s", tmp);
	fprintf(f, "# vpcd administrator account %s\n[default]\naws_access_key_id = %s\n"
	    "aws_secret_access_key = %s\n", admin->res.id, admin->keys[0].access_key_id,
	    admin->keys[0].secret);
	if (fflush(f) || fsync(fd) || fclose(f) || rename(tmp, path))
		fatal("%s", path);
}

static struct core_account *
find_admin(const struct core_model *m)
{
	CORE_FOREACH(m, CORE_ACCOUNT, r)
		if (((struct core_account *)r)->is_admin)
			return (struct core_account *)r;
	return NULL;
}

/* One daemon per data directory: an exclusive lock held for life. */
static int
lock_data_dir(const char *data_dir)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/vpcd.lock", data_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		fatal("%s", path);
	if (flock(fd, LOCK_EX | LOCK_NB))
		fatalx("another vpcd is running on data directory %s", data_dir);
	return fd;
}

/* The data plane reads the model through the API server's lock and
 * reports instance states back through its writer. */
struct dp_glue {
	struct api_server *srv;
	const struct dp_config *cfg;
	struct dp_reconciler *rec;
	struct dp_flowlogs *flowlogs;
};

struct plan_req {
	const struct dp_config *cfg;
	struct dp_plan *plan;
};

static int
build_plan(const struct core_model *m, void *arg)
{
	struct plan_req *pr = arg;

	pr->plan = dp_plan_build(m, pr->cfg);
	return 0;
}

struct fl_req {
	const struct dp_config *cfg;
	struct dp_fl_config *conf;
};

static int
build_fl_config(const struct core_model *m, void *arg)
{
	struct fl_req *r = arg;

	r->conf = dp_flowlog_config(m, r->cfg);
	return 0;
}

static struct dp_fl_config *
glue_fl_config(void *arg)
{
	struct dp_glue *g = arg;
	struct fl_req r = { g->cfg, NULL };

	api_server_read(g->srv, build_fl_config, &r);
	return r.conf;
}

static struct dp_plan *
glue_plan(void *arg)
{
	struct dp_glue *g = arg;
	struct plan_req pr = { g->cfg, NULL };

	api_server_read(g->srv, build_plan, &pr);
	return pr.plan;
}

struct state_req {
	const struct dp_state *changes;
	size_t n;
};

/* Each change completes a transition, if the instance or gateway is still
 * in it (a user may have stopped or terminated it meanwhile). */
static int
set_states(struct core_model *m, void *arg)
{
	static const enum core_instance_state inst_from[] = {
		[CORE_INSTANCE_RUNNING] = CORE_INSTANCE_PENDING,
		[CORE_INSTANCE_STOPPED] = CORE_INSTANCE_STOPPING,
		[CORE_INSTANCE_TERMINATED] = CORE_INSTANCE_SHUTTING_DOWN,
	};
	static const enum core_natgw_state natgw_from[] = {
		[CORE_NATGW_AVAILABLE] = CORE_NATGW_PENDING,
		[CORE_NATGW_DELETED] = CORE_NATGW_DELETING,
	};
	struct state_req *r = arg;

	for (size_t i = 0; i < r->n; i++) {
		const struct dp_state *c = &r->changes[i];
		struct core_instance *inst;
		struct core_natgw *gw;

		if (c->type == CORE_NATGW) {
			gw = core_find(m, CORE_NATGW, NULL, c->id);
			if (gw && gw->state == natgw_from[c->state])
				core_natgw_set_state(m, gw, c->state);
		} else {
			inst = core_find(m, CORE_INSTANCE, NULL, c->id);
			if (inst && inst->state == inst_from[c->state])
				core_instance_set_state(m, inst, c->state);
		}
	}
	return 0;
}

static void
glue_report(void *arg, const struct dp_state *changes, size_t n)
{
	struct dp_glue *g = arg;
	struct state_req r = { changes, n };

	api_server_exec(g->srv, set_states, &r);
}

static void
glue_metrics(void *arg, struct buf *out)
{
	struct dp_glue *g = arg;

	daemon_metrics(g->srv, g->rec ? g->cfg : NULL, g->flowlogs, out);
}

static void
glue_kick(void *arg)
{
	struct dp_glue *g = arg;

	if (g->rec)
		dp_reconciler_kick(g->rec);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "region", required_argument, NULL, 'r' },
		{ "zones", required_argument, NULL, 'z' },
		{ "dataplane", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "purge", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const keys[] = {
		['l'] = "listen", ['d'] = "data-dir", ['r'] = "region", ['z'] = "zones",
		['p'] = "dataplane", ['v'] = "log-level",
	};
	struct daemon_config cfg;
	struct { char key[64], value[512]; } sets[64];
	size_t n_sets = 0;
	bool check_only = false, purge = false;
	struct dp_config dpcfg;
	struct dp_glue glue = { 0 };
	char err[256], path[600];
	struct core_model model;
	struct store *store = NULL;
	struct api_server *srv = NULL;
	struct daemon_ctl *ctl = NULL;
	struct core_account *admin;
	sigset_t sigs;
	int c, sig;

	log_init("vpcd", LOG_LEVEL_INFO);
	daemon_config_defaults(&cfg);
	/* Command-line options win over the file: collect them first. */
	while ((c = getopt_long(argc, argv, "nh", longopts, NULL)) != -1) {
		const char *key = NULL, *value = optarg;
		char *eq;

		switch (c) {
		case 'n':
			check_only = true;
			continue;
		case 'P':
			purge = true;
			continue;
		case 'h':
			usage(stdout);
			return 0;
		case 'c':
			STR_COPY(cfg.config_file, optarg);
			continue;
		case 's':
			eq = strchr(optarg, '=');
			if (eq == NULL) {
				fprintf(stderr, "vpcd: --set needs KEY=VALUE\n");
				return 2;
			}
			*eq = '\0';
			key = optarg;
			value = eq + 1;
			break;
		case 'l': case 'd': case 'r': case 'z': case 'p': case 'v':
			key = keys[c];
			break;
		default:
			usage(stderr);
			return 2;
		}
		if (n_sets == ARRAY_SIZE(sets) || strlen(key) >= sizeof(sets[0].key) ||
		    strlen(value) >= sizeof(sets[0].value)) {
			fprintf(stderr, "vpcd: option %s is too long\n", key);
			return 2;
		}
		STR_COPY(sets[n_sets].key, key);
		STR_COPY(sets[n_sets].value, value);
		n_sets++;
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* The data directory decides where the default configuration file is. */
	for (size_t i = 0; i < n_sets; i++)
		if (strcmp(sets[i].key, "data-dir") == 0)
			daemon_config_set(&cfg, "data-dir", sets[i].value, err, sizeof(err));
	if (cfg.config_file[0]) {
		if (daemon_config_load(&cfg, cfg.config_file, true))
			return 1;
	} else {
		snprintf(path, sizeof(path), "%s/vpcd.conf", cfg.data_dir);
		if (daemon_config_load(&cfg, path, false) == -EINVAL)
			return 1;
	}
	for (size_t i = 0; i < n_sets; i++)
		if (daemon_config_set(&cfg, sets[i].key, sets[i].value, err, sizeof(err))) {
			fprintf(stderr, "vpcd: %s\n", err);
			return 1;
		}
	if (daemon_config_finish(&cfg, err, sizeof(err))) {
		fprintf(stderr, "vpcd: %s\n", err);
		return 1;
	}
	/* The Linux data plane needs root; without it vpcd serves the API only. */
	if (!cfg.is_dataplane_set)
		cfg.dataplane = geteuid() == 0 ? DAEMON_DP_LINUX : DAEMON_DP_NONE;
	if (cfg.dataplane == DAEMON_DP_LINUX && geteuid() != 0) {
		fprintf(stderr, "vpcd: --dataplane linux needs root\n");
		return 1;
	}
	dp_config_init(&dpcfg, cfg.data_dir);
	dpcfg.nat_idle_timeout = cfg.nat_idle_timeout;
	dpcfg.flowlog_window = cfg.flowlog_window;
	if (purge) {
		/* Everything this data directory's daemon built in the kernel. */
		log_init("vpcd", (enum log_level)cfg.log_level);
		return dp_purge(&dpcfg) ? 1 : 0;
	}
	if (check_only) {
		printf("configuration OK: listen %s, data directory %s, region %s, "
		    "data plane %s\n", cfg.listen, cfg.data_dir, cfg.core.region,
		    cfg.dataplane == DAEMON_DP_LINUX ? "linux" : "none");
		return 0;
	}
	log_init("vpcd", (enum log_level)cfg.log_level);

	if (mkdir(cfg.data_dir, 0700) && errno != EEXIST)
		fatal("%s", cfg.data_dir);
	lock_data_dir(cfg.data_dir);
	snprintf(path, sizeof(path), "%s/vpcd.db", cfg.data_dir);
	if (store_open(path, &store))
		fatalx("cannot open the database %s", path);
	core_model_init(&model, &cfg.core);
	model.is_dataplane_none = cfg.dataplane == DAEMON_DP_NONE;
	if (store_load(store, &model))
		fatalx("cannot load the database %s", path);
	if (store_start_checkpointer(store, path))
		fatalx("cannot open the database %s for checkpoints", path);
	if ((admin = find_admin(&model)) == NULL) {
		admin = core_account_create(&model, "admin", true);
		if (store_begin(store) || store_save(store, &model) || store_commit(store))
			fatalx("cannot save the administrator account");
		log_info("created administrator account %s", admin->res.id);
	}
	core_changes_clear(&model);
	write_credentials(cfg.data_dir, admin);

	/* Signals are taken synchronously by the main thread only. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	cfg.api.data_dir = cfg.data_dir;
	cfg.api.metrics = glue_metrics;
	cfg.api.metrics_arg = &glue;
	if (cfg.dataplane == DAEMON_DP_LINUX) {
		/* Reconcile before serving: adopt what is right, repair the rest. */
		struct dp_plan *plan = dp_plan_build(&model, &dpcfg);

		glue.cfg = &dpcfg;
		glue.rec = dp_reconciler_new(&dpcfg, glue_plan, glue_report, &glue);
		if (dp_reconciler_sync(glue.rec, plan))
			log_warnx("data plane: the first pass failed; retrying in the background");
		cfg.api.on_commit = glue_kick;
		cfg.api.on_commit_arg = &glue;
	}
	if (api_server_start(&cfg.api, &model, store, &srv))
		fatalx("cannot start the API server");
	glue.srv = srv;
	if (daemon_ctl_start(cfg.data_dir, srv, glue.rec ? &dpcfg : NULL, &ctl))
		fatalx("cannot start the control socket");
	if (glue.rec) {
		dp_reconciler_start(glue.rec);
		dp_reconciler_kick(glue.rec);
		glue.flowlogs = dp_flowlogs_new(&dpcfg, glue_fl_config, &glue);
		dp_flowlogs_start(glue.flowlogs);
		log_info("data plane: linux, tag %s", dpcfg.tag);
	} else {
		log_warnx("data plane: none. vpcd serves the API only and enforces nothing "
		    "on packets");
	}
	log_info("listening on %s:%u, data directory %s, region %s", cfg.listen_host,
	    api_server_port(srv), cfg.data_dir, cfg.core.region);

	for (;;) {
		if (sigwait(&sigs, &sig))
			continue;
		if (sig != SIGHUP)
			break;
	}
	log_info("signal %d: shutting down", sig);
	daemon_ctl_stop(ctl);
	/* The kernel state stays: instances keep running and a restarted vpcd
	 * adopts them.  The reconciler may be waiting on the writer: stop it
	 * before the server, free it after (the writer kicks it until then). */
	dp_flowlogs_stop(glue.flowlogs);
	dp_reconciler_stop(glue.rec);
	api_server_stop(srv);
	dp_reconciler_free(glue.rec);
	dp_flowlogs_free(glue.flowlogs);
	core_model_fini(&model);
	store_free(store);
	return 0;
}
