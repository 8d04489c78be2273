/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "cliout.h"

#include "cli.h"
#include "log.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char hex[] = "0123456789abcdef";

static bool printable(unsigned char c)
{
    return c >= 0x20 && c < 0x7f;
}

void pj_cli_write(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (printable(c))
            putc(c, f);
        else
            fprintf(f, "\\x%c%c", hex[c >> 4], hex[c & 15]);
    }
}

void pj_cli_line(FILE *f, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;
    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fputs("pamjwt: out of memory\n", stderr);
        return;
    }
    pj_cli_write(f, s, (size_t)n);
    putc('\n', f);
    free(s);
}

char *pj_cli_escape(const char *s, size_t n)
{
    char *out, *o;
    if (n > ((size_t)-1 - 1) / 4)
        return NULL;
    out = o = malloc(4 * n + 1);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (printable(c) && c != '\\') {
            *o++ = (char)c;
        } else {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

void pj_cli_json(FILE *f, const char *label, const json_t *j)
{
    char *s;
    if (j == NULL)
        return;
    s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    if (s == NULL) {
        pj_cli_line(f, "%s: (cannot print: out of memory)", label);
        return;
    }
    pj_cli_write(f, label, strlen(label));
    fputs(": ", f);
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (printable(c) || c == '\n') /* jansson's own line breaks */
            putc(c, f);
        else /* only inside a string: \u00NN keeps it JSON */
            fprintf(f, "\\u%04X", c); /* as jansson writes \u001B */
    }
    putc('\n', f);
    free(s);
}

/* The one sink for pamjwt's messages: every message may carry text from
 * an identity provider, a server's prompt, a token or a file, so it is
 * written as pamjwt check's output is (pj_cli_line): nothing can drive the
 * terminal. */
void pj_cli_emit_stderr(void *ctx, int prio, const char *msg)
{
    const bool *verbose = ctx;
    if (prio <= LOG_WARNING || (verbose && *verbose))
        pj_cli_line(stderr, "pamjwt: %s", msg);
}

static bool every_priority = true;
const pj_log pj_cli_log = {pj_cli_emit_stderr, &every_priority, false};

/* 9999-12-31 23:59:59 UTC */
#define LAST_PRINTABLE_TIME 253402300799.0

static bool leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Counted here in int64_t, not by gmtime_r: time_t is 32 bits on i386 and
 * armhf, and a token's exp may lie past 2038. */
bool pj_cli_utc(char *buf, size_t sz, double t)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t s, days, y = 1970;
    int m = 0;
    if (!isfinite(t) || t < 0 || t >= LAST_PRINTABLE_TIME + 1) {
        snprintf(buf, sz, "-");
        return false;
    }
    s = (int64_t)floor(t);
    days = s / 86400;
    /* at most 8030 years and 12 months: 1970 to 9999 */
    while (days >= (leap_year(y) ? 366 : 365)) {
        days -= leap_year(y) ? 366 : 365;
        y++;
    }
    while (days >= mdays[m] + (m == 1 && leap_year(y))) {
        days -= mdays[m] + (m == 1 && leap_year(y));
        m++;
    }
    snprintf(buf, sz, "%04lld-%02d-%02lld %02lld:%02lld:%02lld UTC", (long long)y, m + 1,
             (long long)days + 1, (long long)(s % 86400 / 3600), (long long)(s % 3600 / 60),
             (long long)(s % 60));
    return true;
}

void pj_cli_span(char *buf, size_t sz, double secs)
{
    double a = fabs(secs);
    long long t = a < 1e15 ? (long long)a : 999999999999999LL;
    long long d = t / 86400, h = t / 3600 % 24, m = t / 60 % 60, s = t % 60;
    if (d > 0)
        snprintf(buf, sz, "%lldd %lldh", d, h);
    else if (h > 0)
        snprintf(buf, sz, "%lldh %lldm", h, m);
    else if (m > 0)
        snprintf(buf, sz, "%lldm %llds", m, s);
    else
        snprintf(buf, sz, "%llds", s);
}
