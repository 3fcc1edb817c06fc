/* Logging: one line per message on stderr, safe from any thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib.h"

static const char *log_prog = "vpcd";
static enum log_level log_level_max = LOG_LEVEL_INFO;

void
log_init(const char *progname, enum log_level level)
{
	log_prog = progname;
	log_level_max = level;
}

/* Formats the whole line first so that concurrent writers do not interleave. */
static void
log_emit(const char *tag, const char *err, const char *fmt, va_list ap)
{
	char line[2048];
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ldZ %s[%s] ", stamp,
	    ts.tv_nsec / 1000000, log_prog, tag);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(line))
		n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (err && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - n, ": %s", err);
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fwrite(line, 1, n, stderr);
}

#define LOG_BODY(tag, err)                \
	do {                              \
		va_list ap;               \
		va_start(ap, fmt);        \
		log_emit(tag, err, fmt, ap); \
		va_end(ap);               \
	} while (0)

void
log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY("warn", e);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY("warn", NULL);
}

void
log_info(const char *fmt, ...)
{
	if (log_level_max < LOG_LEVEL_INFO)
		return;
	LOG_BODY("info", NULL);
}

void
log_debug(const char *fmt, ...)
{
	if (log_level_max < LOG_LEVEL_DEBUG)
		return;
	LOG_BODY("debug", NULL);
}

void
fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY("fatal", e);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY("fatal", NULL);
	exit(1);
}
