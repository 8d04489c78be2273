/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "args.h"

#include "pjconfig.h"

#include <string.h>

int pj_args_parse(int argc, const char **argv, pj_args *a, const pj_log *log)
{
    int rc = 0;
    a->config = PJ_DEFAULT_CONFIG;
    a->prompt = PJ_DEFAULT_PROMPT;
    a->debug = false;
    a->use_first_pass = false;
    a->quiet = false;
    a->prompt_set = false;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (s == NULL)
            continue;
        if (strcmp(s, "debug") == 0) {
            a->debug = true;
        } else if (strcmp(s, "quiet") == 0) {
            a->quiet = true;
        } else if (strcmp(s, "use_first_pass") == 0) {
            a->use_first_pass = true;
        } else if (strcmp(s, "try_first_pass") == 0) {
            /* the default; use_first_pass anywhere wins (stricter) */
        } else if (strncmp(s, "config=", 7) == 0) {
            if (s[7] != '/') {
                pj_logf(log, LOG_ERR, "module argument %s: path must be absolute", s);
                rc = -1;
            } else if (strchr(s, '%') != NULL) {
                /* the rule of every path in the config file */
                pj_logf(log, LOG_ERR,
                        "module argument %s: '%%' in a path (paths are not expanded: %%h and %%s "
                        "are not replaced)", s);
                rc = -1;
            } else {
                a->config = s + 7;
            }
        } else if (strncmp(s, "prompt=", 7) == 0) {
            a->prompt = s + 7;
            a->prompt_set = true;
        } else {
            char safe[128];
            pj_sanitize(safe, sizeof(safe), s, strlen(s));
            pj_logf(log, LOG_ERR, "unknown module argument '%s'", safe);
            rc = -1;
        }
    }
    return rc;
}
