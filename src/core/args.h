/* SPDX-License-Identifier: BSD-3-Clause */
/* Module arguments from the /etc/pam.d line. */
#ifndef PJ_ARGS_H
#define PJ_ARGS_H

#include <stdbool.h>

#include "log.h"

#define PJ_DEFAULT_PROMPT "Token: "

typedef struct pj_args {
    const char *config;   /* points into argv or the default */
    const char *prompt;
    bool prompt_set;      /* prompt= was given */
    bool debug;
    bool use_first_pass;
    bool quiet;           /* tell the user nothing on a refusal */
} pj_args;

/* Fill a from argv.  Every known argument is applied even when another is
 * bad, so the module can still prompt and ignore a non-token; returns -1
 * after logging each unknown or malformed argument. */
int pj_args_parse(int argc, const char **argv, pj_args *a, const pj_log *log);

#endif
