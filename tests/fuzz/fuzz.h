/* SPDX-License-Identifier: BSD-3-Clause */
/* What the library harnesses share: a property check that names the
 * harness and aborts (libFuzzer then keeps the input as a crash artifact),
 * and a log that drops the module's lines after checking that each one is
 * a C string of bounded length.  Define FUZZ_NAME before including. */
#ifndef PJ_FUZZ_H
#define PJ_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#ifndef FUZZ_NAME
#error "define FUZZ_NAME (the harness name) before including fuzz.h"
#endif

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, FUZZ_NAME ": property failed: %s (%s:%d)\n", #cond,      \
                    __FILE__, __LINE__);                                             \
            abort();                                                                 \
        }                                                                            \
    } while (0)

static void fuzz_discard(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    (void)prio;
    CHECK(strlen(msg) < 1024);
}

/* debug on: the debug lines are checked too */
static const pj_log quiet __attribute__((unused)) = {fuzz_discard, NULL, true};

#endif
