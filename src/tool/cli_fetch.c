/* SPDX-License-Identifier: BSD-3-Clause */
/* URL -> bounded body: see cli_fetch.h. */
#include "config.h"

#include "cli_fetch.h"

#include "cli.h"
#include "cli_http.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int pj_fetch_url_ok(const char *url, const char **why)
{
    if (strpbrk(url, "[]{}") != NULL) {
        *why = "it has [, ], { or } (a curl URL glob)";
        return -1;
    }
    return pj_http_url_ok(url, why);
}

int pj_fetch(const char *url, const char *ca_file, size_t max, long timeout, char **body,
             size_t *len)
{
    pj_http h = {.ca_file = ca_file, .max_body = max, .timeout = timeout};
    pj_http_resp r;
    const char *why = NULL;

    *body = NULL;
    *len = 0;
    if (pj_fetch_url_ok(url, &why) != 0) {
        /* the log sink escapes what it prints (cliout.h, syslog) */
        pj_logf(&pj_cli_log, LOG_ERR, "URL %s refused: %s", url, why);
        return -1;
    }
    if (pj_http_request(&h, url, NULL, NULL, &r) != 0)
        return -1; /* told */
    if (r.status != 200) {
        pj_logf(&pj_cli_log, LOG_ERR, "%s: HTTP %ld%s", url, r.status,
                r.status >= 300 && r.status < 400
                    ? " (redirects are not followed: give the final URL)"
                    : " (only 200 is taken)");
        pj_http_resp_free(&r);
        return -1;
    }
    free(r.dpop_nonce);
    *body = r.body;
    *len = r.len;
    return 0;
}

void pj_fetch_free(char *body, size_t len)
{
    if (body)
        pj_wipe_free(body, len + 1);
}
