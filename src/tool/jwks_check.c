/* SPDX-License-Identifier: BSD-3-Clause */
/* `pamjwt jwks refresh`, step 4a: does the live configuration load with
 * the new JWK Set, for each PAM service that uses it?  By the module's own
 * code: the config loader and pj_decide, as `pamjwt check` runs them. */
#include "config.h"

#include "jwks_refresh.h"

#include "decide.h"
#include "jwks_lines.h"
#include "pjconfig.h"
#include "safefile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define HMAC_ALGS ((1u << PJ_ALG_HS256) | (1u << PJ_ALG_HS384) | (1u << PJ_ALG_HS512))

/* The log of a load or decision: the first error kept, warnings noted. */
typedef struct sink {
    pj_refresh *r;
    char *first;
    bool note;
} sink;

static void emit(void *ctx, int prio, const char *msg)
{
    sink *s = ctx;
    if (prio <= LOG_ERR && s->first == NULL)
        s->first = strdup(msg);
    if (prio == LOG_WARNING && s->note) /* errors: the reason, said once */
        pj_refresh_note(s->r, msg);
}

/* r->config with its "jwks_file = JWKS_FILE" line(s) naming the new set,
 * in r->conf_path.  0, or -1 (said). */
static int write_copy(pj_refresh *r)
{
    sink s = {r, NULL, false};
    pj_log log = {emit, &s, false};
    char *buf = NULL, *out = NULL;
    size_t len = 0, ol = 0, cap;
    bool found = false;
    int rc = -1;

    if (pj_read_file(r->config, "config", PJ_FILE_PUBLIC, PJ_MAX_CONFIG_SIZE, &log, &buf, &len) !=
        0) {
        pj_refresh_say(LOG_ERR, "cannot read %s: %s", r->config, s.first ? s.first : "?");
        free(s.first);
        return -1;
    }
    /* a line replaced had at least 10 bytes ("jwks_file="): at most len / 10
     * of them, each now "jwks_file = NEW\n"; one newline may be added */
    cap = len + 2 + (len / 10 + 1) * (strlen(r->new_path) + 16);
    out = malloc(cap);
    for (size_t at = 0; out && at < len;) {
        const char *nl = memchr(buf + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;
        if (pj_conf_line_is(buf + at, n, "jwks_file", r->jwks_file)) {
            ol += (size_t)snprintf(out + ol, cap - ol, "jwks_file = %s\n", r->new_path);
            found = true;
        } else {
            memcpy(out + ol, buf + at, n);
            ol += n;
            out[ol++] = '\n';
        }
        at += n + 1;
    }
    if (out == NULL)
        pj_refresh_say(LOG_ERR, "out of memory");
    else if (!found)
        pj_refresh_say(LOG_ERR, "%s has no line \"jwks_file = %s\"", r->config, r->jwks_file);
    else
        rc = pj_refresh_write(r->conf_path, out, ol);
    free(out);
    free(buf);
    return rc;
}

/* The dummy token's decision for one service: 0 when refused (the
 * configuration and every file it names loaded), else -1 (said). */
static int check_one(pj_refresh *r, const char *service)
{
    static const char dummy[] = "e30.e30.AA"; /* {} . {} . one byte: JWT-shaped, never valid */
    sink s = {r, NULL, true};
    pj_log log = {emit, &s, false};
    pj_request rq = {0};
    pj_decision d;
    int rc = 0;

    rq.config_path = r->conf_path;
    rq.input = dummy;
    rq.input_len = sizeof(dummy) - 1;
    rq.now = pj_now();
    rq.check_all_keys = true; /* keys that do not build are reported */
    rq.service = service;
    rq.host = r->host;
    rq.pop_unproven_ok = true;
    rq.log = &log;
    pj_decide(&rq, &d);
    if (d.result != PJ_REFUSE) {
        char *why = pj_refresh_names(r, s.first ? s.first : d.reason);
        if (service)
            pj_refresh_say(LOG_ERR, "%s with the new JWK Set, for the PAM service %s: %s: %s",
                           r->config, service, pj_result_name(d.result), why ? why : d.reason);
        else
            pj_refresh_say(LOG_ERR, "%s with the new JWK Set: %s: %s", r->config,
                           pj_result_name(d.result), why ? why : d.reason);
        free(why);
        rc = -1;
    }
    pj_decision_free(&d);
    free(s.first);
    return rc;
}

/* After a failure without services: say where the service would come from. */
static void hint_services(pj_refresh *r)
{
    sink s = {r, NULL, false};
    pj_log quiet = {emit, &s, false};
    pj_config *c = pj_config_load(r->conf_path, &quiet);
    free(s.first);
    if (c && pj_config_uses_service(c))
        pj_refresh_say(LOG_ERR,
                       "%s uses %%s (the PAM service) and no file in %s runs pam_jwt.so with it: "
                       "name the services that use it in SERVICES (--service)",
                       r->config, r->pam_dir);
    pj_config_free(c);
}

int pj_refresh_check(pj_refresh *r)
{
    sink s = {r, NULL, false};
    pj_log log = {emit, &s, false};
    pj_config *c;

    if (write_copy(r) != 0)
        return -1;
    if (r->services.n == 0) {
        if (check_one(r, NULL) != 0) {
            hint_services(r);
            return -1;
        }
    }
    for (size_t i = 0; i < r->services.n; i++)
        if (check_one(r, r->services.v[i]) != 0)
            return -1;
    for (size_t i = 0; i < r->services.n; i++)
        pj_refresh_say(LOG_INFO, "%s loads with the new JWK Set for the PAM service %s",
                       r->config, r->services.v[i]);
    c = pj_config_load(r->conf_path, &log);
    if (c == NULL) { /* it loaded a moment ago */
        pj_refresh_say(LOG_ERR, "%s: %s", r->config, s.first ? s.first : "does not load");
        free(s.first);
        return -1;
    }
    r->algs = c->algs & ~HMAC_ALGS;
    pj_config_free(c);
    free(s.first);
    if (r->algs == 0) {
        pj_refresh_say(LOG_ERR, "%s allows only HS* algorithms: no JWK Set key can be used",
                       r->config);
        return -1;
    }
    return 0;
}
