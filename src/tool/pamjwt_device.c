/* SPDX-License-Identifier: BSD-3-Clause */
/* pamjwt-device: the helper pam_jwt.so runs for device sign-in (contract
 * "Sign in with a browser at the prompt").  The module starts it as an
 * unprivileged user with an empty environment and two pipes:
 *   stdin   the request: "issuer URL", "client_id ID", "scope S",
 *           "timeout SECONDS" and optionally "ca_file PATH" lines, then an
 *           empty line (at most 8 KiB)
 *   stdout  the answer lines device_reply.h describes: "show URI CODE
 *           [COMPLETE]", then "token JWT" or "error WORD"
 * It does OpenID Connect discovery of the issuer (which must name itself
 * byte for byte), the device authorization request and the polling, over
 * https (http only to 127.0.0.1 and localhost, for tests), through the same
 * code as `pamjwt login`.  Why it failed goes to syslog (authpriv), never
 * to the module: the module only learns the error word.  The token it
 * writes is the ID token when the provider issued one (scope openid), else
 * the access token; the module verifies it like any typed token. */
#include "config.h"

#include "cli.h"
#include "cli_device.h"
#include "cli_http.h"
#include "device_reply.h"
#include "jose.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <syslog.h>
#include <unistd.h>


static void emit_syslog(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    syslog(prio, "%s", msg);
}

/* cli_http.c and cli_device.c log here: syslog, not a terminal. */
const pj_log pj_cli_log = {emit_syslog, NULL, false};

/* Read the request (bounded, device_reply.h) and check the issuer. */
static int read_request(pj_dr_request *r)
{
    static char buf[PJ_DR_MAX_REQUEST + 1];
    size_t n = 0;
    ssize_t got;
    const char *why = NULL;
    while (n < PJ_DR_MAX_REQUEST && (got = read(0, buf + n, PJ_DR_MAX_REQUEST - n)) > 0) {
        n += (size_t)got;
        if (n >= 2 && buf[n - 1] == '\n' && buf[n - 2] == '\n')
            break;
    }
    buf[n] = '\0';
    if (pj_dr_request_read(buf, n, r, &why) != 0) {
        syslog(LOG_ERR, "%s", why);
        return -1;
    }
    why = NULL;
    if (pj_http_url_ok(r->issuer, &why) != 0 || strchr(r->issuer, '?') != NULL) {
        syslog(LOG_ERR, "issuer refused: %s", why ? why : "an issuer has no query");
        return -1;
    }
    return 0;
}

static int show(void *ctx, const char *vu, const char *uc, const char *vc, long expires_in)
{
    const char *why = NULL;
    (void)ctx;
    (void)expires_in;
    /* what the module accepts (device_reply.h), or it would call the
     * helper malformed */
    if (!pj_dr_uri_ok(vu) || pj_http_url_ok(vu, &why) != 0) {
        syslog(LOG_ERR, "device authorization: verification_uri refused (%s)",
               why ? why : "not https, user information, too long or not printable");
        return -1;
    }
    if (!pj_dr_code_ok(uc)) {
        syslog(LOG_ERR, "device authorization: user_code refused (letters, digits and '-', at "
                        "most %d)", PJ_DR_MAX_CODE);
        return -1;
    }
    if (vc != NULL && (!pj_dr_uri_ok(vc) || pj_http_url_ok(vc, &why) != 0))
        vc = NULL; /* optional: dropped rather than shown */
    if (printf("show %s %s%s%s\n", vu, uc, vc ? " " : "", vc ? vc : "") < 0 || fflush(stdout) != 0)
        return -1;
    return 0;
}

/* The token for the module: the ID token, else the access token. */
static int take(void *ctx, json_t *o)
{
    const char *kind = "id_token";
    const char *t = json_string_value(json_object_get(o, "id_token"));
    (void)ctx;
    if (t == NULL) {
        kind = "access_token";
        t = json_string_value(json_object_get(o, "access_token"));
    }
    if (t == NULL || strlen(t) > PJ_MAX_TOKEN || !pj_jwt_shaped(t, strlen(t))) {
        syslog(LOG_ERR, "token endpoint: no %s the module could use (a JWT of at most %d bytes)",
               t ? kind : "id_token or access_token", PJ_MAX_TOKEN);
        return -1;
    }
    if (printf("token %s\n", t) < 0 || fflush(stdout) != 0)
        return -1;
    return 0;
}

int main(void)
{
    pj_dr_request r;
    pj_dgrant g = {0};
    const char *word = "error";
    double limit;

    /* exec made this process dumpable again: not traceable, not dumped by
     * other processes of its user, before anything else */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return 1;
    openlog("pamjwt-device", LOG_PID, LOG_AUTHPRIV);
    limit = pj_dg_now();
    if (read_request(&r) != 0) {
        puts("error error");
        return 1;
    }
    /* the last token request goes out a second before this (pj_dg_poll),
     * so the answer reaches the module before it kills the helper */
    limit += (double)r.timeout;
    g.issuer = r.issuer;
    g.client_id = r.client_id;
    g.scope = r.scope;
    g.http.ca_file = r.ca_file;
    g.hangup_fd = STDOUT_FILENO; /* the module went away: stop */
    if (pj_http_init() != 0) {
        puts("error error");
        return 1;
    }
    if (pj_dg_discover(&g) == 0 && pj_dg_authorize(&g, limit, show, NULL) == 0) {
        switch (pj_dg_poll(&g, NULL, take, NULL)) {
        case PJ_DG_DONE: word = NULL; break;
        case PJ_DG_DENIED: word = "denied"; break;
        case PJ_DG_EXPIRED: word = "expired"; break;
        case PJ_DG_TIMEOUT: word = "timeout"; break;
        case PJ_DG_ERROR: break;
        }
    }
    if (word != NULL)
        printf("error %s\n", word);
    fflush(stdout);
    pj_dg_free(&g);
    pj_http_cleanup();
    return word == NULL ? 0 : 1;
}
