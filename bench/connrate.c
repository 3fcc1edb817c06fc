/*
 * connrate: new TCP connections per second, and the probe that times a
 * security-group change (bench/dp_run.sh drives both).
 *
 *   connrate serve PORT
 *	accepts connections forever; on each it writes "ok\n" and closes.
 *   connrate client ADDR PORT SECONDS [THREADS]
 *	THREADS closed loops (default 1), each: connect, read the "ok" up
 *	to the server's FIN, close with an RST (SO_LINGER 0, so that no side
 *	keeps a TIME_WAIT and the ephemeral ports never run out).  Prints
 *	"conns=N errors=E conns_per_s=R".
 *   connrate probe ADDR PORT success|fail [INTERVAL_MS [TIMEOUT_MS [MAX_S]]]
 *	tries a connection every INTERVAL_MS (default 2), each given
 *	TIMEOUT_MS to be answered (default 5), until one succeeds or one
 *	fails as asked; prints "ready" once the first attempt has given the
 *	other result (so the caller knows the probe is in place), then the
 *	CLOCK_MONOTONIC time in ns of the attempt that ended it:
 *	"at_ns=T attempts=N".  Exits 1 if MAX_S (default 10) pass first.
 *
 * CLOCK_MONOTONIC is the same clock in every network namespace, so the
 * caller compares 'at_ns' with its own monotonic clock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
parse_addr(const char *host, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(port));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

static int
serve(const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096)) {
		perror("connrate serve");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		(void)!write(c, "ok\n", 3);
		close(c);
	}
}

struct worker {
	pthread_t thread;
	struct sockaddr_in sa;
	int64_t end_ns;
	uint64_t conns, errors;
};

/* One closed loop of connect, read to EOF, abortive close. */
static void *
client_main(void *arg)
{
	struct worker *w = arg;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char buf[16];

	while (mono_ns() < w->end_ns) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		bool ok = false;
		ssize_t n;

		if (fd < 0) {
			w->errors++;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&w->sa, sizeof(w->sa)) == 0) {
			size_t got = 0;

			while ((n = read(fd, buf + got, sizeof(buf) - got)) > 0)
				got += (size_t)n;
			ok = n == 0 && got == 3;
		}
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		if (ok)
			w->conns++;
		else
			w->errors++;
	}
	return NULL;
}

static int
client(const char *host, const char *port, double seconds, int threads)
{
	struct worker *ws = calloc((size_t)threads, sizeof(*ws));
	uint64_t conns = 0, errors = 0;
	int64_t t0 = mono_ns(), t1;

	for (int i = 0; i < threads; i++) {
		if (parse_addr(host, port, &ws[i].sa)) {
			fprintf(stderr, "connrate: bad address %s\n", host);
			return 1;
		}
		ws[i].end_ns = t0 + (int64_t)(seconds * 1e9);
		pthread_create(&ws[i].thread, NULL, client_main, &ws[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(ws[i].thread, NULL);
		conns += ws[i].conns;
		errors += ws[i].errors;
	}
	t1 = mono_ns();
	printf("conns=%llu errors=%llu conns_per_s=%.0f\n", (unsigned long long)conns,
	    (unsigned long long)errors, (double)conns / ((double)(t1 - t0) / 1e9));
	free(ws);
	return conns ? 0 : 1;
}

/* One attempt: true if the handshake completes within 'timeout_ms'. */
static bool
attempt(const struct sockaddr_in *sa, int timeout_ms)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	bool ok = false;

	if (fd < 0)
		return false;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
		ok = true;
	} else if (errno == EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int err = 0;
		socklen_t len = sizeof(err);

		if (poll(&p, 1, timeout_ms) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
			ok = true;
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	return ok;
}

static int
probe(const char *host, const char *port, const char *want, int interval_ms, int timeout_ms,
    double max_s)
{
	struct sockaddr_in sa;
	bool want_ok = strcmp(want, "success") == 0, ready = false;
	int64_t deadline = mono_ns() + (int64_t)(max_s * 1e9);
	unsigned long attempts = 0;

	if (parse_addr(host, port, &sa) || (!want_ok && strcmp(want, "fail") != 0)) {
		fprintf(stderr, "connrate probe: bad arguments\n");
		return 2;
	}
	while (mono_ns() < deadline) {
		int64_t start = mono_ns();
		bool ok = attempt(&sa, timeout_ms);
		int64_t now = mono_ns();

		attempts++;
		if (ok == want_ok) {
			printf("at_ns=%lld attempts=%lu\n", (long long)now, attempts);
			return 0;
		}
		if (!ready) {
			printf("ready\n");
			fflush(stdout);
			ready = true;
		}
		if (now - start < (int64_t)interval_ms * 1000000) {
			struct timespec ts = { 0, (long)((int64_t)interval_ms * 1000000 - (now - start)) };

			nanosleep(&ts, NULL);
		}
	}
	printf("timeout attempts=%lu\n", attempts);
	return 1;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2]);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "client") == 0)
		return client(argv[2], argv[3], atof(argv[4]), argc == 6 ? atoi(argv[5]) : 1);
	if (argc >= 5 && argc <= 8 && strcmp(argv[1], "probe") == 0)
		return probe(argv[2], argv[3], argv[4], argc > 5 ? atoi(argv[5]) : 2,
		    argc > 6 ? atoi(argv[6]) : 5, argc > 7 ? atof(argv[7]) : 10);
	fprintf(stderr, "usage: connrate serve PORT\n"
	    "       connrate client ADDR PORT SECONDS [THREADS]\n"
	    "       connrate probe ADDR PORT success|fail [INTERVAL_MS [TIMEOUT_MS [MAX_S]]]\n");
	return 2;
}
