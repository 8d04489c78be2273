/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pj_vformat(char *dst, size_t dstsz, const char *fmt, va_list ap)
{
    int n = vsnprintf(dst, dstsz, fmt, ap);
    if (n < 0)
        snprintf(dst, dstsz, "(unprintable message)");
    else if ((size_t)n >= dstsz && dstsz >= 4)
        memcpy(dst + dstsz - 4, "...", 4); /* the cut is shown */
}

void pj_format(char *dst, size_t dstsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pj_vformat(dst, dstsz, fmt, ap);
    va_end(ap);
}

static void vlog(const pj_log *log, int prio, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void vlog(const pj_log *log, int prio, const char *fmt, va_list ap)
{
    char msg[1024];
    if (log == NULL || log->emit == NULL)
        return;
    pj_vformat(msg, sizeof(msg), fmt, ap);
    log->emit(log->ctx, prio, msg);
}

void pj_logf(const pj_log *log, int prio, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(log, prio, fmt, ap);
    va_end(ap);
}

void pj_debugf(const pj_log *log, const char *fmt, ...)
{
    va_list ap;
    if (log == NULL || !log->debug)
        return;
    va_start(ap, fmt);
    vlog(log, LOG_DEBUG, fmt, ap);
    va_end(ap);
}

void pj_sanitize(char *dst, size_t dstsz, const char *src, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (dstsz == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
        if (o + need + 4 > dstsz) { /* room for "..." and NUL */
            size_t dots = dstsz - 1 - o < 3 ? dstsz - 1 - o : 3; /* fewer in a tiny buffer */
            memcpy(dst + o, "...", dots);
            o += dots;
            break;
        }
        if (need == 1) {
            dst[o++] = (char)c;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        }
    }
    dst[o] = '\0';
}
