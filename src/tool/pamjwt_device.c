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
#include <syslog.h>
#include <unistd.h>

#define MAX_REQUEST 8192
#define MAX_TIMEOUT 600

static void emit_syslog(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    syslog(prio, "%s", msg);
}

/* cli_http.c and cli_device.c log here: syslog, not a terminal. */
const pj_log pj_cli_log = {emit_syslog, NULL, false};

typedef struct req {
    char *issuer, *client_id, *scope, *ca_file;
    uintmax_t timeout;
} req;

/* Read the request (bounded) and check each value. */
static int read_request(req *r)
{
    static char buf[MAX_REQUEST + 1];
    size_t n = 0;
    ssize_t got;
    while (n < MAX_REQUEST && (got = read(0, buf + n, MAX_REQUEST - n)) > 0) {
        n += (size_t)got;
        if (n >= 2 && buf[n - 1] == '\n' && buf[n - 2] == '\n')
            break;
    }
    buf[n] = '\0';
    if (n < 2 || buf[n - 1] != '\n' || buf[n - 2] != '\n' || memchr(buf, '\0', n) != NULL) {
        syslog(LOG_ERR, "malformed request from the module");
        return -1;
    }
    for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *v = strchr(l, ' ');
        if (v == NULL) {
            syslog(LOG_ERR, "malformed request line from the module");
            return -1;
        }
        *v++ = '\0';
        char **slot = strcmp(l, "issuer") == 0      ? &r->issuer
                      : strcmp(l, "client_id") == 0 ? &r->client_id
                      : strcmp(l, "scope") == 0     ? &r->scope
                      : strcmp(l, "ca_file") == 0   ? &r->ca_file
                                                    : NULL;
        if (slot != NULL && *slot == NULL) {
            *slot = v;
        } else if (strcmp(l, "timeout") == 0 && r->timeout == 0) {
            if (pj_parse_uint(v, 1, MAX_TIMEOUT, &r->timeout) != 0) {
                syslog(LOG_ERR, "request: timeout out of range");
                return -1;
            }
        } else {
            syslog(LOG_ERR, "request: unknown or repeated key");
            return -1;
        }
    }
    const char *why = NULL;
    if (r->issuer == NULL || r->client_id == NULL || r->timeout == 0) {
        syslog(LOG_ERR, "request: issuer, client_id or timeout missing");
        return -1;
    }
    if (pj_http_url_ok(r->issuer, &why) != 0 || strchr(r->issuer, '?') != NULL) {
        syslog(LOG_ERR, "issuer refused: %s", why ? why : "an issuer has no query");
        return -1;
    }
    return 0;
}

/* Visible ASCII, no space, 1..max bytes: what the module accepts. */
static bool word_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

static int show(void *ctx, const char *vu, const char *uc, const char *vc, long expires_in)
{
    const char *why = NULL;
    (void)ctx;
    (void)expires_in;
    if (!word_ok(vu, PJ_DR_MAX_URI) || pj_http_url_ok(vu, &why) != 0) {
        syslog(LOG_ERR, "device authorization: verification_uri refused (%s)",
               why ? why : "too long or not printable");
        return -1;
    }
    if (!word_ok(uc, PJ_DR_MAX_CODE)) {
        syslog(LOG_ERR, "device authorization: user_code too long or not printable");
        return -1;
    }
    if (vc != NULL && (!word_ok(vc, PJ_DR_MAX_URI) || pj_http_url_ok(vc, &why) != 0))
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
    req r = {0};
    pj_dgrant g = {0};
    const char *word = "error";
    double limit;

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
