/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "cli_device.h"

#include "cli.h"
#include "cli_discover.h"
#include "jose.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>

#define GRANT_DEVICE_CODE "urn:ietf:params:oauth:grant-type:device_code"
#define DEFAULT_INTERVAL 5     /* RFC 8628 3.5 */
#define MAX_INTERVAL 300       /* a server asking for more is capped here */
#define SLOW_DOWN_STEP 5       /* RFC 8628 3.5: slow_down adds 5 seconds */
#define MAX_EXPIRES_IN 3600    /* the longest wait for the user, whatever the server says */

double pj_dg_now(void)
{
    return pj_clock_s(CLOCK_MONOTONIC);
}

/* Sleep until the monotonic clock reads at least until: false when
 * hangup_fd hung up first (no one reads the answer any more). */
static bool sleep_until(double until, int hangup_fd)
{
    for (double now = pj_dg_now(); now < until; now = pj_dg_now()) {
        double d = until - now;
        if (hangup_fd > 0) {
            struct pollfd p = {hangup_fd, 0, 0};
            int pr = poll(&p, 1, d > 1.0 ? 1000 : (int)(d * 1000) + 1);
            if (pr > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
                return false;
            if (pr < 0 && errno != EINTR)
                break;
            continue;
        }
        struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
        if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
            break;
    }
    return true;
}

const char *pj_dg_str(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > PJ_DG_MAX_FIELD)
        return NULL;
    return json_string_value(v);
}

/* The answer's JSON object, or NULL with a message. */
static json_t *answer_json(const char *url, const pj_http_resp *r)
{
    const char *why = NULL;
    json_t *o = pj_json_object(r->body, r->len, &why);
    if (o == NULL)
        pj_logf(&pj_cli_log, LOG_ERR, "%s: HTTP %ld, answer is not a JSON object (%s)", url,
                r->status, why);
    return o;
}

/* An OAuth error answer (RFC 6749 5.2), logged. */
static void say_oauth_error(const char *what, json_t *o)
{
    const char *err = pj_dg_str(o, "error"), *desc = pj_dg_str(o, "error_description");
    char e[128], d[512];
    pj_sanitize(e, sizeof(e), err ? err : "(none)", strlen(err ? err : "(none)"));
    pj_sanitize(d, sizeof(d), desc ? desc : "", strlen(desc ? desc : ""));
    pj_logf(&pj_cli_log, LOG_ERR, "%s: error %s%s%s", what, e, desc ? ": " : "", d);
}

static int endpoint(json_t *cfg, const char *name, char **out)
{
    const char *v = pj_dg_str(cfg, name), *why = NULL;
    if (v == NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "discovery: no %s%s", name,
                strcmp(name, "device_authorization_endpoint") == 0
                    ? " (the provider does not offer the device authorization grant)"
                    : "");
        return -1;
    }
    if (pj_http_url_ok(v, &why) != 0) {
        char s[256];
        pj_sanitize(s, sizeof(s), v, strlen(v));
        pj_logf(&pj_cli_log, LOG_ERR, "discovery: %s %s refused: %s", name, s, why);
        return -1;
    }
    *out = strdup(v);
    return *out ? 0 : -1;
}

int pj_dg_discover(pj_dgrant *g)
{
    char *url = NULL;
    json_t *cfg = pj_discover(g->issuer, g->http.ca_file, &url);
    int rc = -1;

    if (cfg != NULL && endpoint(cfg, "device_authorization_endpoint", &g->device_ep) == 0 &&
        endpoint(cfg, "token_endpoint", &g->token_ep) == 0)
        rc = 0;
    json_decref(cfg);
    free(url);
    return rc;
}

int pj_dg_authorize(pj_dgrant *g, double limit,
                    int (*show)(void *ctx, const char *vu, const char *uc, const char *vc,
                                long expires_in),
                    void *ctx)
{
    char *form = NULL;
    pj_http_resp r;
    json_t *o = NULL;
    const char *dc, *uc, *vu, *vc;
    json_t *ex, *iv;
    json_int_t e, i;
    int rc = -1;

    if (pj_http_form_add(&form, "client_id", g->client_id) != 0 ||
        (g->scope && pj_http_form_add(&form, "scope", g->scope) != 0) ||
        (g->resource && pj_http_form_add(&form, "resource", g->resource) != 0))
        return -1;
    if (pj_http_request(&g->http, g->device_ep, form, NULL, &r) != 0)
        goto out;
    o = answer_json(g->device_ep, &r);
    if (o == NULL)
        goto out_r;
    if (r.status != 200) {
        say_oauth_error("device authorization", o);
        goto out_r;
    }
    dc = pj_dg_str(o, "device_code");
    uc = pj_dg_str(o, "user_code");
    vu = pj_dg_str(o, "verification_uri");
    if (vu == NULL)
        vu = pj_dg_str(o, "verification_url"); /* an older draft's name, still seen */
    vc = pj_dg_str(o, "verification_uri_complete");
    ex = json_object_get(o, "expires_in");
    iv = json_object_get(o, "interval");
    if (dc == NULL || uc == NULL || vu == NULL || !json_is_integer(ex) ||
        json_integer_value(ex) <= 0 || (iv && !json_is_integer(iv))) {
        pj_logf(&pj_cli_log, LOG_ERR, "device authorization: the answer lacks device_code, "
                                      "user_code, verification_uri or expires_in");
        goto out_r;
    }
    g->device_code = strdup(dc);
    if (g->device_code == NULL)
        goto out_r;
    e = json_integer_value(ex);
    if (e > MAX_EXPIRES_IN)
        e = MAX_EXPIRES_IN;
    i = iv ? json_integer_value(iv) : DEFAULT_INTERVAL;
    g->deadline = pj_dg_now() + (double)e;
    if (limit > 0 && limit < g->deadline)
        g->deadline = limit;
    g->interval = i < 1 ? 1 : i > MAX_INTERVAL ? MAX_INTERVAL : (long)i;
    rc = show(ctx, vu, uc, vc, (long)e);
out_r:
    json_decref(o);
    pj_http_resp_free(&r);
out:
    pj_free_str(form);
    return rc;
}

enum { STEP_STOP, STEP_PENDING, STEP_NONCE, STEP_DONE, STEP_DENIED, STEP_EXPIRED };

/* One token request (RFC 8628 3.4): what to do next. */
static int token_request(pj_dgrant *g, char *(*proof)(void *, const char *),
                         int (*take)(void *, json_t *), void *ctx, char **nonce, bool may_retry)
{
    char *form = NULL, *dpop = proof ? proof(ctx, *nonce) : NULL;
    pj_http_resp r;
    json_t *o;
    const char *err;
    int step = STEP_STOP, hr;

    if ((proof && dpop == NULL) || pj_http_form_add(&form, "grant_type", GRANT_DEVICE_CODE) != 0 ||
        pj_http_form_add(&form, "device_code", g->device_code) != 0 ||
        pj_http_form_add(&form, "client_id", g->client_id) != 0) {
        pj_logf(&pj_cli_log, LOG_ERR, "cannot make the token request");
        free(dpop);
        pj_free_str(form);
        return STEP_STOP;
    }
    hr = pj_http_request(&g->http, g->token_ep, form, dpop, &r);
    free(dpop);
    pj_free_str(form);
    if (hr != 0)
        return STEP_STOP;
    if (r.dpop_nonce) { /* RFC 9449 8.2: the latest nonce is the one to use */
        free(*nonce);
        *nonce = r.dpop_nonce;
        r.dpop_nonce = NULL;
    }
    o = answer_json(g->token_ep, &r);
    err = o ? pj_dg_str(o, "error") : NULL;
    if (o == NULL)
        step = STEP_STOP;
    else if (r.status == 200)
        step = take(ctx, o) == 0 ? STEP_DONE : STEP_STOP;
    else if (err && strcmp(err, "authorization_pending") == 0)
        step = STEP_PENDING;
    else if (err && strcmp(err, "slow_down") == 0) {
        if (g->interval + SLOW_DOWN_STEP <= MAX_INTERVAL)
            g->interval += SLOW_DOWN_STEP;
        step = STEP_PENDING;
    } else if (err && strcmp(err, "use_dpop_nonce") == 0 && proof && may_retry && *nonce)
        step = STEP_NONCE;
    else if (err && strcmp(err, "access_denied") == 0) {
        pj_logf(&pj_cli_log, LOG_NOTICE, "the login was denied");
        step = STEP_DENIED;
    } else if (err && strcmp(err, "expired_token") == 0) {
        pj_logf(&pj_cli_log, LOG_NOTICE, "the device code expired before the login was approved");
        step = STEP_EXPIRED;
    } else
        say_oauth_error("token endpoint", o);
    json_decref(o);
    pj_http_resp_free(&r);
    return step;
}

pj_dg_result pj_dg_poll(pj_dgrant *g, char *(*proof)(void *ctx, const char *nonce),
                        int (*take)(void *ctx, json_t *answer), void *ctx)
{
    char *nonce = NULL;
    double next = pj_dg_now() + (double)g->interval;
    int step = STEP_STOP;
    bool last = false;

    for (;;) {
        if (next >= g->deadline - 1.0) {
            /* one last request a second before the deadline, sooner than
             * the interval (an approval just before it still counts) */
            next = g->deadline - 1.0;
            if (last || next <= pj_dg_now()) {
                pj_logf(&pj_cli_log, LOG_NOTICE, "the login was not approved in time");
                free(nonce);
                return PJ_DG_TIMEOUT;
            }
            last = true;
        }
        if (!sleep_until(next, g->hangup_fd)) {
            pj_logf(&pj_cli_log, LOG_NOTICE, "the login ended (output closed): polling stopped");
            free(nonce);
            return PJ_DG_ERROR;
        }
        step = token_request(g, proof, take, ctx, &nonce, true);
        if (step == STEP_NONCE) /* RFC 9449 8: once more, at once, with the nonce */
            step = token_request(g, proof, take, ctx, &nonce, false);
        if (step != STEP_PENDING)
            break;
        next = pj_dg_now() + (double)g->interval;
    }
    free(nonce);
    switch (step) {
    case STEP_DONE: return PJ_DG_DONE;
    case STEP_DENIED: return PJ_DG_DENIED;
    case STEP_EXPIRED: return PJ_DG_EXPIRED;
    default: return PJ_DG_ERROR;
    }
}

void pj_dg_free(pj_dgrant *g)
{
    pj_free_str(g->device_code);
    free(g->device_ep);
    free(g->token_ep);
    g->device_code = g->device_ep = g->token_ep = NULL;
}
