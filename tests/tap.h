/* SPDX-License-Identifier: BSD-3-Clause */
/* Minimal TAP producer for the C tests (automake's tap-driver reads it). */
#ifndef PJ_TAP_H
#define PJ_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A program of several files (tests/unit/, tests/pam/) defines PJ_TAP_SHARED
 * and the counters once (its helpers.c), so the numbering runs on across files. */
#ifdef PJ_TAP_SHARED
extern int tap_n, tap_failed;
#else
static int tap_n, tap_failed;
#endif

#define ok(cond, ...)                                                        \
    do {                                                                     \
        int ok_ = (cond) ? 1 : 0;                                            \
        tap_n++;                                                             \
        if (!ok_)                                                            \
            tap_failed++;                                                    \
        printf("%sok %d - ", ok_ ? "" : "not ", tap_n);                     \
        printf(__VA_ARGS__);                                                 \
        printf("\n");                                                        \
        if (!ok_)                                                            \
            printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
        fflush(stdout);                                                      \
    } while (0)

#define is_int(got, want, ...)                                               \
    do {                                                                     \
        long g_ = (long)(got), w_ = (long)(want);                            \
        ok(g_ == w_, __VA_ARGS__);                                           \
        if (g_ != w_)                                                        \
            printf("#   got %ld, want %ld\n", g_, w_);                      \
    } while (0)

#define skip(n, ...)                                                         \
    do {                                                                     \
        for (int s_ = 0; s_ < (n); s_++) {                                   \
            printf("ok %d # SKIP ", ++tap_n);                                \
            printf(__VA_ARGS__);                                             \
            printf("\n");                                                    \
        }                                                                    \
    } while (0)

static inline int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
