/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging: one sink for the module (pam_syslog) and the CLI (stderr). */
#ifndef PJ_LOG_H
#define PJ_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

typedef struct pj_log {
    void (*emit)(void *ctx, int prio, const char *msg);
    void *ctx;
    bool debug;
} pj_log;

void pj_logf(const pj_log *log, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Only when debug is on; at LOG_DEBUG. */
void pj_debugf(const pj_log *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* vsnprintf into dst, but a text that does not fit is never cut
 * silently: its end is replaced by "..." (dstsz of at least 4). */
void pj_vformat(char *dst, size_t dstsz, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* pj_vformat with the arguments given here. */
void pj_format(char *dst, size_t dstsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Copy at most max visible characters of src (length n) into dst, escaping
 * anything that is not printable ASCII as \xNN and cutting with "..." so a
 * claim value can never forge or split a log line. */
void pj_sanitize(char *dst, size_t dstsz, const char *src, size_t n);

#endif
