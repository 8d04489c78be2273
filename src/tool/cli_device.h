/* SPDX-License-Identifier: BSD-3-Clause */
/* The OAuth 2.0 Device Authorization Grant (RFC 8628) after OpenID Connect
 * discovery, shared by `pamjwt login` (with DPoP proofs) and the module's
 * helper pamjwt-device (without).  Messages go to pj_cli_log (stderr for
 * pamjwt, syslog for the helper). */
#ifndef PJ_CLI_DEVICE_H
#define PJ_CLI_DEVICE_H

#include <jansson.h>
#include <stdbool.h>

#include "cli_http.h"

#define PJ_DG_MAX_FIELD 4096 /* longest device_code, user_code, URI accepted */

typedef struct pj_dgrant {
    const char *issuer, *client_id, *scope, *resource; /* scope, resource: optional */
    pj_http http;
    char *device_ep, *token_ep; /* found by pj_dg_discover */
    char *device_code;          /* set by pj_dg_authorize */
    double deadline;            /* monotonic: the code expires, or the caller's limit */
    long interval;              /* seconds between token requests */
    int hangup_fd;              /* > 0: stop polling once this descriptor (the
                                 * helper's output) reports POLLHUP or POLLERR */
} pj_dgrant;

typedef enum {
    PJ_DG_DONE,    /* take() accepted an answer */
    PJ_DG_DENIED,  /* access_denied */
    PJ_DG_EXPIRED, /* expired_token */
    PJ_DG_TIMEOUT, /* not approved before the deadline */
    PJ_DG_ERROR,   /* anything else (logged) */
} pj_dg_result;

double pj_dg_now(void); /* the monotonic clock, seconds */

/* OpenID Connect Discovery 1.0 section 4: the issuer in the answer must
 * equal g->issuer byte for byte; both endpoints must pass pj_http_url_ok.
 * 0, or -1 (logged). */
int pj_dg_discover(pj_dgrant *g);

/* RFC 8628 3.1-3.2: ask for a device code; show(ctx, verification_uri,
 * user_code, verification_uri_complete or NULL, expires_in) tells the user.
 * The deadline is the code's expiry, or `limit` (monotonic, 0 for none)
 * when sooner.  0, or -1 (logged). */
int pj_dg_authorize(pj_dgrant *g, double limit,
                    int (*show)(void *ctx, const char *vu, const char *uc, const char *vc,
                                long expires_in),
                    void *ctx);

/* RFC 8628 3.4-3.5: poll at the interval (slow_down adds 5 s) until an
 * answer.  proof(ctx, nonce), when not NULL, makes the DPoP proof for each
 * request (nonce: the server's latest, or NULL); take(ctx, answer) gets the
 * successful answer and returns 0 to finish, -1 to fail. */
pj_dg_result pj_dg_poll(pj_dgrant *g, char *(*proof)(void *ctx, const char *nonce),
                        int (*take)(void *ctx, json_t *answer), void *ctx);

/* A string member of at most PJ_DG_MAX_FIELD bytes, or NULL. */
const char *pj_dg_str(json_t *o, const char *name);

void pj_dg_free(pj_dgrant *g);

#endif
