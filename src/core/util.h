/* SPDX-License-Identifier: BSD-3-Clause */
/* Small helpers shared by every part of pam_jwt: wiping, trimming,
 * building strings, lists, numbers. */
#ifndef PJ_UTIL_H
#define PJ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Wipe n bytes at p, then free p. NULL is fine. */
void pj_wipe_free(void *p, size_t n);
/* Wipe a NUL-terminated string, then free it. NULL is fine. */
void pj_free_str(char *s);

static inline bool pj_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
/* Trim leading/trailing space, tab, CR, LF from [*s, *s+*len). */
void pj_trim(const char **s, size_t *len);
/* strndup that returns NULL on allocation failure only. */
char *pj_strndup(const char *s, size_t n);
/* The one way to build a string: malloc'd, formatted into a buffer of
 * exactly the size it needs, so nothing is ever cut.  NULL on no memory.
 * (Into a fixed buffer, for a log line or a reason: pj_format, log.h.) */
char *pj_strfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The one clock: clock_gettime(id) in seconds (CLOCK_REALTIME for times
 * in tokens, CLOCK_MONOTONIC for deadlines). */
double pj_clock_s(int id);
/* The monotonic clock in milliseconds, 64-bit on every architecture. */
int64_t pj_mono_ms(void);

/* A growable array of owned strings. */
typedef struct pj_strlist {
    char **v;
    size_t n, cap;
} pj_strlist;

int pj_strlist_add(pj_strlist *l, const char *s, size_t n);
bool pj_strlist_has(const pj_strlist *l, const char *s);
void pj_strlist_free(pj_strlist *l);

/* The one parser for numbers from the config, the environment and the
 * command line: the whole string is decimal digits (no sign, no space) and
 * its value lies in [min, max].  uintmax_t is at least 64 bits on every
 * architecture, and a value past UINTMAX_MAX is refused, never wrapped.
 * 0 and *out set, or -1 with *out untouched. */
int pj_parse_uint(const char *s, uintmax_t min, uintmax_t max, uintmax_t *out);
/* The same into an int64_t (seconds, times), for 0 <= min <= max. */
int pj_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
