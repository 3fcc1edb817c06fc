/*
 * lib: leaf utilities shared by every layer of vpcd.
 *
 * Nothing here depends on any other part of vpcd.  The contract:
 *  - allocation wrappers (x*) abort on out-of-memory, so callers never
 *    check their result;
 *  - logging never fails and is safe from any thread;
 *  - a struct buf is a growable byte string that is always NUL-terminated;
 *  - a struct arena hands out zeroed memory that is released in one call;
 *  - a struct map maps NUL-terminated string keys to pointers.  Keys are
 *    borrowed: the caller keeps each key alive while its entry exists.
 */
#ifndef VPCD_LIB_H
#define VPCD_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))

/* Logging (lib_log.c).  Messages go to stderr with a timestamp. */
enum log_level { LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
void log_init(const char *progname, enum log_level level);
void log_warn(const char *fmt, ...) PRINTF(1, 2);  /* appends strerror(errno) */
void log_warnx(const char *fmt, ...) PRINTF(1, 2);
void log_info(const char *fmt, ...) PRINTF(1, 2);
void log_debug(const char *fmt, ...) PRINTF(1, 2);
NORETURN void fatal(const char *fmt, ...) PRINTF(1, 2);  /* appends strerror(errno) */
NORETURN void fatalx(const char *fmt, ...) PRINTF(1, 2);

/* Allocation (lib_alloc.c).  All abort on out-of-memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF(1, 2);
/* Overwrites 'n' bytes at 'p' in a way the compiler cannot elide. */
void explicit_zero(void *p, size_t n);

/* Growable, always NUL-terminated byte string (lib_buf.c). */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};
void buf_init(struct buf *b);
void buf_fini(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) PRINTF(2, 3);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Returns the heap string and leaves 'b' empty; the caller frees it. */
char *buf_steal(struct buf *b);

/*
 * Arena (lib_arena.c): bump allocation in chunks, all released by
 * arena_fini().  Memory is zeroed and aligned for any type.
 */
struct arena_chunk;
struct arena {
	struct arena_chunk *head;
	size_t used;  /* bytes handed out, for accounting */
};
void arena_init(struct arena *a);
void arena_fini(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
void *arena_array(struct arena *a, size_t count, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) PRINTF(2, 3);

/*
 * String-keyed hash map (lib_map.c), open addressing.  Keys are borrowed;
 * values are opaque pointers (never NULL).
 */
struct map_slot;
struct map {
	struct map_slot *slots;
	size_t cap;   /* power of two, or 0 */
	size_t count;
	size_t tombs;
};
void map_init(struct map *m);
void map_fini(struct map *m);
void *map_get(const struct map *m, const char *key);
/* Inserts or replaces; returns the previous value or NULL. */
void *map_put(struct map *m, const char *key, void *value);
/* Removes 'key'; returns its value or NULL. */
void *map_del(struct map *m, const char *key);
/* Iteration: for (size_t i = 0; map_next(m, &i, &k, &v);) ... */
bool map_next(const struct map *m, size_t *iter, const char **key, void **value);
uint64_t hash_str(const char *s);

/* Misc (lib_util.c). */
int64_t time_now_ms(void);        /* wall clock, milliseconds since epoch */
int64_t time_mono_ns(void);       /* monotonic clock */
/* Fills 'p' with 'n' bytes from the kernel's CSPRNG; aborts on failure. */
void random_bytes(void *p, size_t n);
/* Seconds since the epoch of a UTC civil time (a leap second 60 is
 * accepted); -EINVAL if a field is out of range. */
int time_from_civil(int y, int mo, int d, int h, int mi, int s, int64_t *secs);
/* Formats 'ms' as RFC 3339 UTC with milliseconds into 'out' (25 bytes). */
void time_format_iso(int64_t ms, char out[32]);
bool str_has_prefix(const char *s, const char *prefix);
/* Copies with truncation, always terminating (strlcpy); returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t size);
#define STR_COPY(dst, src) str_copy((dst), (src), sizeof(dst))
/* Appends the bytes of base64 text 's' (whitespace ignored); -EINVAL if
 * it is not base64. */
int base64_decode(const char *s, struct buf *out);
/* Case-sensitive glob with '*' and '?' (EC2 filter wildcards, '\' escapes). */
bool glob_match(const char *pattern, const char *s);

#endif
