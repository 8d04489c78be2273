/* SPDX-License-Identifier: BSD-3-Clause */
/* PAM entry points.  They read like the contract: get the token, let
 * pj_decide apply the rules, translate its result into a PAM code. */
#include "config.h"

#define PAM_SM_AUTH
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "args.h"
#include "chunk.h"
#include "conv.h"
#include "decide.h"
#include "device.h"
#include "export.h"
#include "policy.h"
#include "log.h"
#include "setcred.h"
#include "tell.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void emit_syslog(void *ctx, int prio, const char *msg)
{
    pam_syslog((pam_handle_t *)ctx, prio, "%s", msg);
}

/* Set on the handle once the token prompt was answered: the client then
 * has shown it answers, and a later failure on the same handle (sudo asks
 * again after a refusal) is far more likely the end of its input than a
 * sudden answer of 512 bytes or more. */
#define PJ_ANSWERED_KEY "pam_jwt_token_prompt_answered"

/* One log line for a failed conversation.  sudo's conversation fails both
 * at the end of input and for an answer of 512 bytes or more, and the
 * module cannot tell which: the hint about the length is given only where
 * it can be the cause, under sudo at the token prompt (pieces of a chunked
 * token are short by protocol) before any answer came on this handle. */
static void log_conv_failure(pam_handle_t *pamh, const pj_log *log, const char *what,
                             bool whole_answer)
{
    const void *svc = NULL, *answered = NULL;
    bool sudo = pam_get_item(pamh, PAM_SERVICE, &svc) == PAM_SUCCESS && svc != NULL &&
                strncmp(svc, "sudo", 4) == 0;
    bool hint = sudo && whole_answer &&
                pam_get_data(pamh, PJ_ANSWERED_KEY, &answered) != PAM_SUCCESS;
    pj_logf(log, LOG_ERR, "conversation failed %s%s", what,
            hint ? " (sudo refuses answers of 512 bytes or more: send long tokens in pieces, "
                   "see pamjwt askpass)"
                 : "");
}

#define TELL_UNAVAIL "Token login is unavailable on this host (see the system log)."

/* Get the token: PAM_AUTHTOK if an earlier module set one, else (unless
 * use_first_pass) ask through the conversation; an answer that starts a
 * chunked token is completed with continuation prompts.  *tok is a
 * private copy, wiped by the caller.  A refusal writes the user's line
 * (PJ_USER_LINE_MAX bytes) to line. */
static int get_token(pam_handle_t *pamh, const pj_args *a, const pj_log *log, char **tok,
                     char *line)
{
    const void *item = NULL;
    const char *why = NULL;
    pj_chunk_result r;
    int rc;

    *tok = NULL;
    if (pam_get_item(pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS && item != NULL) {
        if ((*tok = strdup(item)) == NULL)
            return PAM_BUF_ERR;
        if (a->use_first_pass && pj_chunk_started(*tok)) {
            pj_logf(log, LOG_NOTICE,
                    "refused: a chunked token needs prompts, use_first_pass allows none");
            snprintf(line, PJ_USER_LINE_MAX, "%s", TELL_UNAVAIL);
            pj_free_str(*tok);
            *tok = NULL;
            return PAM_AUTH_ERR;
        }
        r = pj_chunk_complete(tok, pj_conv_ask, pamh, &why);
    } else if (a->use_first_pass) {
        pj_logf(log, LOG_NOTICE, "refused: use_first_pass given but no token was entered before");
        snprintf(line, PJ_USER_LINE_MAX, "%s", TELL_UNAVAIL);
        return PAM_AUTH_ERR;
    } else {
        r = pj_chunk_ask(pj_conv_ask, pamh, a->prompt, tok, &why);
        if (r != PJ_CHUNK_NO_ANSWER) {
            static const char marker = 1;
            (void)pam_set_data(pamh, PJ_ANSWERED_KEY, (void *)&marker, NULL);
        }
    }
    switch (r) {
    case PJ_CHUNK_NONE:
    case PJ_CHUNK_DONE:
        break;
    case PJ_CHUNK_NO_ANSWER:
        log_conv_failure(pamh, log, "at the token prompt", true);
        return PAM_CONV_ERR;
    case PJ_CHUNK_CONV:
        log_conv_failure(pamh, log, "while receiving a chunked token", false);
        return PAM_CONV_ERR;
    case PJ_CHUNK_BAD:
    default:
        pj_logf(log, LOG_NOTICE, "refused: chunked token: %s", why ? why : "malformed");
        snprintf(line, PJ_USER_LINE_MAX, "Token arrived in pieces that do not fit together: "
                                         "try again.");
        return PAM_AUTH_ERR;
    }
    /* Hand the answer on, so "pam_unix.so try_first_pass" after us can use
     * it when it turns out to be an ordinary password. */
    if (item == NULL && (rc = pam_set_item(pamh, PAM_AUTHTOK, *tok)) != PAM_SUCCESS) {
        pj_free_str(*tok);
        *tok = NULL;
        return PAM_AUTH_ERR;
    }
    return PAM_SUCCESS;
}

/* A device sign-in that brought no token: like a decision, it leaves
 * none of the PAM_JWT_ names the policies export with an earlier value. */
static void clear_exports(pam_handle_t *pamh, const pj_policies *ps)
{
    pj_strlist names = {0};
    for (size_t i = 0; ps != NULL && i < ps->n; i++)
        if (ps->v[i].c != NULL)
            (void)pj_export_names(ps->v[i].c, &names);
    for (size_t i = 0; i < names.n; i++)
        if (pam_getenv(pamh, names.v[i]) != NULL)
            (void)pam_putenv(pamh, names.v[i]);
    pj_strlist_free(&names);
}

/* What one authentication attempt holds between its steps. */
typedef struct attempt {
    pj_args args;
    int args_rc;            /* pj_args_parse: non-zero = a broken argument */
    bool preloaded;         /* the policies were read before the prompt: ps */
    pj_policies *ps;        /* (else pj_decide reads them) */
    const pj_config *dev;   /* the policy offering device sign-in, if any */
    char *tok;              /* the answer (wiped) */
    bool via_device;        /* tok came from device sign-in */
    char user_line[PJ_USER_LINE_MAX]; /* a refusal's line for the user (pj_tell) */
} attempt;

/* Device sign-in changes the prompt, so when the module will prompt, the
 * policies are read first (once: pj_decide then uses them). */
static void read_policies_first(pam_handle_t *pamh, attempt *at, const pj_log *log)
{
    const void *authtok = NULL;
    if (at->args_rc != 0 || at->args.use_first_pass ||
        (pam_get_item(pamh, PAM_AUTHTOK, &authtok) == PAM_SUCCESS && authtok != NULL))
        return;
    const void *rhost = NULL;
    at->ps = pj_policies_load(at->args.config, log);
    at->preloaded = true;
    at->dev = pj_device_policy(at->ps);
    /* device_from: offered only to logins from its networks */
    if (at->dev != NULL && pam_get_item(pamh, PAM_RHOST, &rhost) == PAM_SUCCESS &&
        !pj_device_offered(at->dev, rhost)) {
        pj_debugf(log, "device sign-in not offered: PAM_RHOST is not in device_from");
        at->dev = NULL;
    }
    if (at->dev != NULL && !at->args.prompt_set)
        at->args.prompt = PJ_DEVICE_PROMPT;
}

/* An empty answer where a policy offers device sign-in: the token comes
 * from the helper, or the attempt ends here with its PAM code. */
static int sign_in_with_browser(pam_handle_t *pamh, attempt *at, const pj_log *log)
{
    char *dtok = NULL;
    int rc;
    /* the refusal line is sent with the decision's (the quiet argument) */
    switch (pj_device_signin(pamh, at->dev, log, &dtok, at->user_line, sizeof(at->user_line))) {
    case PJ_DEV_TOKEN:
        pj_free_str(at->tok);
        at->tok = dtok;
        at->via_device = true;
        return PAM_SUCCESS;
    case PJ_DEV_REFUSED: rc = PAM_AUTH_ERR; break;
    case PJ_DEV_CONV: rc = PAM_CONV_ERR; break;
    case PJ_DEV_UNAVAIL:
    default: rc = PAM_AUTHINFO_UNAVAIL; break;
    }
    clear_exports(pamh, at->ps);
    return rc;
}

/* Only an answer of zero bytes starts a sign-in: white space is passed on
 * like any answer that is not token-shaped (over sshd's password method a
 * sign-in could never finish). */
static bool empty_answer(const char *tok)
{
    return tok[0] == '\0';
}

/* The PAM code for a decision, once the application has what an accepted
 * token gives it: PAM_USER (rule 6) and the exported claims. */
static int pam_result(pam_handle_t *pamh, const pj_request *rq, const pj_decision *d,
                      const pj_log *log, char *line)
{
    switch (d->result) {
    case PJ_ACCEPT:
        if (rq->pam_user == NULL && pam_set_item(pamh, PAM_USER, d->user) != PAM_SUCCESS) {
            pj_logf(log, LOG_ERR, "refused: cannot set PAM_USER");
            snprintf(line, PJ_USER_LINE_MAX, "%s", TELL_UNAVAIL);
            return PAM_AUTH_ERR;
        }
        for (size_t i = 0; i < d->env.n; i++)
            if (pam_putenv(pamh, d->env.v[i]) != PAM_SUCCESS) {
                pj_logf(log, LOG_ERR, "refused: cannot set the PAM environment");
                snprintf(line, PJ_USER_LINE_MAX, "%s", TELL_UNAVAIL);
                return PAM_AUTH_ERR;
            }
        return PAM_SUCCESS;
    case PJ_IGNORE: return PAM_IGNORE;
    case PJ_USER_UNKNOWN: return PAM_USER_UNKNOWN;
    case PJ_UNAVAIL: return PAM_AUTHINFO_UNAVAIL;
    case PJ_CONV: return PAM_CONV_ERR; /* no answer at the proof prompt */
    case PJ_REFUSE:
    default: return PAM_AUTH_ERR;
    }
}

/* The token decided by the rules (pj_decide, shared with pamjwt check). */
static int decide(pam_handle_t *pamh, attempt *at, pj_log *log)
{
    const void *user = NULL, *service = NULL;
    char host[256];
    pj_request rq;
    pj_decision d;
    int rc;

    memset(&rq, 0, sizeof(rq));
    rq.config_path = at->args.config;
    rq.config_broken = at->args_rc != 0;
    rq.input = at->tok;
    rq.input_len = strlen(at->tok);
    if (pam_get_item(pamh, PAM_USER, &user) == PAM_SUCCESS && user != NULL &&
        *(const char *)user != '\0')
        rq.pam_user = user;
    if (pam_get_item(pamh, PAM_SERVICE, &service) == PAM_SUCCESS)
        rq.service = service;
    if (gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
        rq.host = host;
    }
    rq.now = pj_now();
    rq.consume = true;
    /* the proof of possession prompt; use_first_pass allows none, so a
     * bound token is refused there, never taken unproven */
    rq.ask = at->args.use_first_pass ? NULL : pj_conv_ask;
    rq.ask_ctx = pamh;
    rq.log = log;
    rq.policies_given = at->preloaded;
    rq.policies = at->ps;
    rq.device_policy = at->via_device ? at->dev : NULL;
    pj_decide(&rq, &d);

    /* export_claims: none of this config's PAM_JWT_ names keeps a value
     * it had before this attempt (an earlier module's or attempt's) */
    bool env_ok = true;
    for (size_t i = 0; i < d.unset.n; i++)
        if (pam_getenv(pamh, d.unset.v[i]) != NULL && pam_putenv(pamh, d.unset.v[i]) != PAM_SUCCESS)
            env_ok = false;
    if (!env_ok && d.result == PJ_ACCEPT) {
        pj_logf(log, LOG_ERR, "refused: cannot clear the PAM environment");
        d.result = PJ_REFUSE;
        snprintf(d.user_line, sizeof(d.user_line), "%s", TELL_UNAVAIL);
    }
    snprintf(at->user_line, sizeof(at->user_line), "%s", d.user_line);
    rc = pam_result(pamh, &rq, &d, log, at->user_line);
    /* group_map: what setcred adds, kept only for an accepted token */
    if (rc == PAM_SUCCESS && d.groups.n > 0)
        rc = pj_grant_store(pamh, d.user, &d.groups, log);
    pj_decision_free(&d);
    return rc;
}

/* The contract in four steps: the arguments, the answer (typed, sent in
 * pieces, or from device sign-in after an empty one), the decision, the
 * PAM code. */
PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    pj_log log = {emit_syslog, pamh, false};
    attempt at = {0};
    int rc;

    (void)flags; /* PAM_SILENT: see pj_tell */
    at.args_rc = pj_args_parse(argc, argv, &at.args, &log);
    log.debug = at.args.debug;
    pj_grant_clear(pamh); /* only this attempt's accepted token gives groups */
    read_policies_first(pamh, &at, &log);
    rc = get_token(pamh, &at.args, &log, &at.tok, at.user_line);
    if (rc == PAM_SUCCESS && at.dev != NULL && empty_answer(at.tok))
        rc = sign_in_with_browser(pamh, &at, &log);
    if (rc == PAM_SUCCESS)
        rc = decide(pamh, &at, &log);
    pj_tell(pamh, at.args.quiet, rc, at.user_line);
    pj_free_str(at.tok);
    pj_policies_free(at.ps);
    return rc;
}

/* PAM_SUCCESS, but for the groups of group_map (src/pam/setcred.c): when
 * they cannot be set, PAM_CRED_ERR. */
PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    pj_log log = {emit_syslog, pamh, false};
    (void)argc;
    (void)argv;
    return pj_grant_apply(pamh, flags, &log);
}
