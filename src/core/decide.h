/* SPDX-License-Identifier: BSD-3-Clause */
/* The decision: contract rules 1 to 8 in order.  The module and
 * `pamjwt check` both call pj_decide, so they cannot disagree.
 *
 * Fail closed by construction: a decision starts refused, each rule either
 * lets the token on to the next rule (PJ_RULE_PASS) or ends the decision
 * with its own result and reason, and accept is set in one place only,
 * after the last rule has passed. */
#ifndef PJ_DECIDE_H
#define PJ_DECIDE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "util.h"

typedef enum {
    PJ_REFUSE = 0,   /* PAM_AUTH_ERR; the zero value: a blank decision refuses */
    PJ_ACCEPT,       /* PAM_SUCCESS */
    PJ_IGNORE,       /* PAM_IGNORE: not JWT-shaped */
    PJ_USER_UNKNOWN, /* PAM_USER_UNKNOWN */
    PJ_UNAVAIL,      /* PAM_AUTHINFO_UNAVAIL: config, key or file problem */
    PJ_CONV,         /* PAM_CONV_ERR: the conversation failed at the proof prompt */
} pj_result;

typedef struct pj_request {
    const char *config_path;
    bool config_broken;    /* e.g. bad module arguments: rules 1-2 still apply */
    const char *input;     /* as the user typed it */
    size_t input_len;
    const char *pam_user;  /* NULL when PAM_USER is not set */
    const char *service;   /* PAM_SERVICE, for %s; NULL when unknown */
    const char *host;      /* the host name, for %h; NULL when unknown */
    double now;            /* the clock, injectable */
    bool consume;          /* record a one-time jti in replay_cache */
    bool keep_json;        /* keep header and claims in the decision */
    bool check_all_keys;   /* parse every JWKS key now, so unusable ones are
                            * reported (pamjwt check); the decision is the same */
    /* Proof of possession: ask asks one question through the application
     * (pj_ask_fn of chunk.h); the module sets it unless use_first_pass
     * (no prompt: a bound token is refused).  pamjwt check
     * cannot prove possession: it sets pop_unproven_ok instead, and the
     * decision reports the jkt and decides the rest. */
    int (*ask)(void *ctx, const char *prompt, char **answer);
    void *ask_ctx;
    bool pop_unproven_ok;
    /* The clock read when the proof's answer has arrived (its iat is
     * compared with it); NULL: pj_now.  Tests inject a fake one. */
    double (*answer_clock)(void);
    const pj_log *log;
    /* Policies the caller has loaded already (borrowed): with
     * policies_given, pj_decide uses them (NULL: the config was unusable,
     * already logged) instead of loading the config itself. */
    bool policies_given;
    struct pj_policies *policies;
    /* Device sign-in: the token came from the helper for this policy.  It
     * must select this policy, no proof of possession is asked for it (neither
     * by require_pop nor for a cnf it carries), and the
     * log line says so. */
    const struct pj_config *device_policy;
} pj_request;

/* The longest line told to the person at the prompt, with its NUL. */
#define PJ_USER_LINE_MAX 256

typedef struct pj_decision {
    pj_result result;
    char reason[256];
    /* refused (not PJ_IGNORE, not PJ_ACCEPT): one line for the person at
     * the prompt, in words they can act on and without what the
     * administrator keeps private (no paths, key ids or config beyond the
     * audience this host expects).  The module sends it as PAM_ERROR_MSG
     * unless "quiet"; pamjwt check prints it as "tell:". */
    char user_line[PJ_USER_LINE_MAX];
    char *user;            /* mapped local user, once known */
    /* sanitized, for log lines; empty when unknown */
    char alg[24], kid[96], sub[160], jti[96], iss[160];
    json_t *header, *claims; /* only with keep_json */
    pj_strlist env;        /* accepted: "PAM_JWT_NAME=value" (export_claims) */
    pj_strlist unset;      /* "PAM_JWT_NAME" of every name export_claims of the
                            * loaded config (every policy) lists, whatever the
                            * result: removed before env is set */
    pj_strlist groups;     /* accepted, with group_map: the local groups the token
                            * maps to (at most PJ_MAX_GROUPS_ADDED), for setcred */
    bool group_map;        /* the deciding policy sets group_map */
    char pop_jkt[48];      /* a bound token's cnf.jkt (sanitized): a proof is required */
    char pop_aud[160];     /* then: the audiences a proof may name */
    bool pop_proven;       /* a proof by pop_jkt's key was verified */
    int64_t leeway;        /* the deciding policy's leeway; -1 before one is chosen */
} pj_decision;

void pj_decide(const pj_request *rq, pj_decision *d);
void pj_decision_free(pj_decision *d);
/* "accept", "refuse", ...: pamjwt check's words.  Defined in
 * src/tool/result_name.c, linked into pamjwt and the tests, never into
 * the module (tests/test_exports.c checks). */
const char *pj_result_name(pj_result r);
double pj_now(void);

/* ---- the rule runner, exposed for the unit test that proves a rule
 * without a verdict refuses ---- */

/* A rule's verdict.  The zero value is no verdict at all, and ends the
 * decision refused, as does any value other than PJ_RULE_PASS. */
typedef enum {
    PJ_RULE_NONE = 0, /* (a rule that forgot to decide) */
    PJ_RULE_PASS,     /* this rule is satisfied: go on to the next */
    PJ_RULE_STOP,     /* the decision is made: d->result and d->reason */
} pj_verdict;

struct pj_ctx;
typedef struct pj_rule {
    const char *name;
    pj_verdict (*check)(struct pj_ctx *x, pj_decision *d);
    /* the user line when the rule stops refused without setting one
     * (NULL: a generic line; PJ_UNAVAIL always gets the "unavailable" one) */
    const char *tell;
} pj_rule;

/* Run rules in order on a decision that starts refused; d->result becomes
 * PJ_ACCEPT only when every rule returned PJ_RULE_PASS.  A refusal always
 * ends with a user line (the rule's, its table entry's, or a generic one);
 * PJ_IGNORE and PJ_ACCEPT never have one. */
void pj_run_rules(const pj_rule *rules, size_t n, struct pj_ctx *x, pj_decision *d);

#endif
