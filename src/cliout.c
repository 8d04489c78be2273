#include "config.h"

#include "cliout.h"

#include "log.h"

#include <math.h>
#include <stdarg.h>
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

void pj_cli_emit_stderr(void *ctx, int prio, const char *msg)
{
    const bool *verbose = ctx;
    if (prio <= LOG_WARNING || (verbose && *verbose))
        pj_cli_line(stderr, "pamjwt: %s", msg);
}

/* 9999-12-31 23:59:59 UTC */
#define LAST_PRINTABLE_TIME 253402300799.0

bool pj_cli_utc(char *buf, size_t sz, double t)
{
    struct tm tm;
    time_t s;
    if (!isfinite(t) || t < 0 || t >= LAST_PRINTABLE_TIME + 1) {
        snprintf(buf, sz, "-");
        return false;
    }
    s = (time_t)floor(t);
    if (gmtime_r(&s, &tm) == NULL || strftime(buf, sz, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
        snprintf(buf, sz, "-");
        return false;
    }
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
