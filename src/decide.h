/* The decision: contract rules 1 to 8 in order.  The module and
 * `pamjwt check` both call pj_decide, so they cannot disagree. */
#ifndef PJ_DECIDE_H
#define PJ_DECIDE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"

typedef enum {
    PJ_ACCEPT,       /* PAM_SUCCESS */
    PJ_IGNORE,       /* PAM_IGNORE: not JWT-shaped */
    PJ_REFUSE,       /* PAM_AUTH_ERR */
    PJ_USER_UNKNOWN, /* PAM_USER_UNKNOWN */
    PJ_UNAVAIL,      /* PAM_AUTHINFO_UNAVAIL: config, key or file problem */
} pj_result;

typedef struct pj_request {
    const char *config_path;
    bool config_broken;    /* e.g. bad module arguments: rules 1-2 still apply */
    const char *input;     /* as the user typed it */
    size_t input_len;
    const char *pam_user;  /* NULL when PAM_USER is not set */
    double now;            /* the clock, injectable */
    bool consume;          /* record a one-time jti in replay_cache */
    bool keep_json;        /* keep header and claims in the decision */
    bool check_all_keys;   /* parse every JWKS key now, so unusable ones are
                            * reported (pamjwt check); the decision is the same */
    const pj_log *log;
} pj_request;

typedef struct pj_decision {
    pj_result result;
    char reason[256];
    char *user;            /* mapped local user, once known */
    /* sanitized, for log lines; empty when unknown */
    char alg[24], kid[96], sub[160], jti[96], iss[160];
    json_t *header, *claims; /* only with keep_json */
} pj_decision;

void pj_decide(const pj_request *rq, pj_decision *d);
void pj_decision_free(pj_decision *d);
const char *pj_result_name(pj_result r);
double pj_now(void);

#endif
