/*
 * A tiny TAP producer for the C unit tests.  Each binary prints
 * "ok N - name" / "not ok N - name" lines and exits non-zero if any check
 * failed; tests/test_unit.py runs every binary under pytest.
 */
#ifndef VPCD_TAP_H
#define VPCD_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		tap_n++;                                                   \
		if (cond) {                                                \
			printf("ok %d - ", tap_n);                         \
		} else {                                                   \
			tap_failed++;                                      \
			printf("not ok %d - %s:%d: ", tap_n, __FILE__, __LINE__); \
		}                                                          \
		printf(__VA_ARGS__);                                       \
		printf("\n");                                              \
	} while (0)

#define CHECK_STR(got, want, ...)                                          \
	do {                                                               \
		const char *g_ = (got), *w_ = (want);                      \
		int ok_ = (g_ == NULL && w_ == NULL) ||                    \
		    (g_ && w_ && strcmp(g_, w_) == 0);                     \
		CHECK(ok_, __VA_ARGS__);                                   \
		if (!ok_)                                                  \
			printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", \
			    w_ ? w_ : "(null)");                           \
	} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d checks failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif
