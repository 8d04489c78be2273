/* Logging: one sink for the module (pam_syslog) and the CLI (stderr). */
#ifndef PJ_LOG_H
#define PJ_LOG_H

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

/* Copy at most max visible characters of src (length n) into dst, escaping
 * anything that is not printable ASCII as \xNN and cutting with "..." so a
 * claim value can never forge or split a log line. */
void pj_sanitize(char *dst, size_t dstsz, const char *src, size_t n);

#endif
