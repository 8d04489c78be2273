/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void pj_wipe_free(void *p, size_t n)
{
    if (p == NULL)
        return;
    explicit_bzero(p, n);
    free(p);
}

void pj_free_str(char *s)
{
    if (s != NULL)
        pj_wipe_free(s, strlen(s));
}

void pj_trim(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
    while (n > 0 && pj_is_space((unsigned char)p[0])) {
        p++;
        n--;
    }
    while (n > 0 && pj_is_space((unsigned char)p[n - 1]))
        n--;
    *s = p;
    *len = n;
}

char *pj_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *pj_strfmt(const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

int pj_strlist_add(pj_strlist *l, const char *s, size_t n)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    char *d = pj_strndup(s, n);
    if (d == NULL)
        return -1;
    l->v[l->n++] = d;
    return 0;
}

bool pj_strlist_has(const pj_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

void pj_strlist_free(pj_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

int pj_parse_uint(const char *s, uintmax_t min, uintmax_t max, uintmax_t *out)
{
    uintmax_t v = 0;
    if (*s == '\0')
        return -1;
    for (const char *p = s; *p; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (*p < '0' || *p > '9' || v > (UINTMAX_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int pj_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    uintmax_t v;
    if (min < 0 || max < min ||
        pj_parse_uint(s, (uintmax_t)min, (uintmax_t)max, &v) != 0)
        return -1;
    *out = (int64_t)v;
    return 0;
}

double pj_clock_s(int id)
{
    struct timespec ts;
    if (clock_gettime((clockid_t)id, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t pj_mono_ms(void)
{
    return (int64_t)(pj_clock_s(CLOCK_MONOTONIC) * 1000.0);
}
