#include "config.h"

#include "decide.h"

#include "claims.h"
#include "jose.h"
#include "jwks.h"
#include "keys.h"
#include "pjconfig.h"
#include "replay.h"
#include "subject.h"
#include "util.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *pj_result_name(pj_result r)
{
    switch (r) {
    case PJ_ACCEPT: return "accept";
    case PJ_IGNORE: return "ignore";
    case PJ_REFUSE: return "refuse";
    case PJ_USER_UNKNOWN: return "user-unknown";
    case PJ_UNAVAIL: return "unavailable";
    }
    return "?";
}

double pj_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_reason(pj_decision *d, pj_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_reason(pj_decision *d, pj_result r, const char *fmt, ...)
{
    va_list ap;
    d->result = r;
    va_start(ap, fmt);
    vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
    va_end(ap);
}

static void copy_field(char *dst, size_t sz, json_t *obj, const char *name)
{
    json_t *m = json_object_get(obj, name);
    if (json_is_string(m))
        pj_sanitize(dst, sz, json_string_value(m), json_string_length(m));
}

/* The one log line per decision (never the token). */
static void log_decision(const pj_request *rq, const pj_decision *d)
{
    char ctx[700];
    int o = 0;
    ctx[0] = '\0';
#define ADD(tag, v) \
    if ((v)[0] && o < (int)sizeof(ctx)) \
        o += snprintf(ctx + o, sizeof(ctx) - (size_t)o, " " tag "=%s", (v));
    ADD("sub", d->sub);
    ADD("kid", d->kid);
    ADD("jti", d->jti);
    ADD("iss", d->iss);
    ADD("alg", d->alg);
#undef ADD
    switch (d->result) {
    case PJ_ACCEPT: {
        char user[160];
        pj_sanitize(user, sizeof(user), d->user, strlen(d->user));
        pj_logf(rq->log, LOG_INFO, "accepted token for user %s;%s", user, ctx);
        break;
    }
    case PJ_IGNORE:
        pj_debugf(rq->log, "input is not a JWT; ignored (next module decides)");
        break;
    case PJ_REFUSE:
    case PJ_USER_UNKNOWN:
        pj_logf(rq->log, LOG_NOTICE, "refused: %s;%s", d->reason, ctx);
        break;
    case PJ_UNAVAIL:
        /* the specific problem (file, line, cause) was logged where it
         * was found; one line per error is enough */
        pj_debugf(rq->log, "unavailable: %s;%s", d->reason, ctx);
        break;
    }
}

/* May this key verify a token with this kid?  A JWKS key is named by its
 * kid; key_file and HMAC keys have none and are not. */
static bool kid_selects(const pj_key *k, const char *kid)
{
    return !k->jwks || kid == NULL || (k->kid != NULL && strcmp(k->kid, kid) == 0);
}

static bool key_is_candidate(const pj_key *k, pj_alg alg)
{
    if (!pj_alg_fits_key(alg, k))
        return false;
    if (k->alg >= 0 && k->alg != (int)alg)
        return false;
    return true;
}

/* Rules 3-4: algorithm and key chosen here, never by the token alone. */
static void check_signature(const pj_request *rq, const pj_config *c, const char *tok,
                            const pj_jws *j, pj_decision *d)
{
    json_t *m = json_object_get(j->header, "alg");
    const char *alg_name = json_string_value(m), *kid = NULL;
    int alg;
    size_t tried = 0, unusable = 0;

    if (alg_name == NULL) {
        set_reason(d, PJ_REFUSE, "header has no alg string");
        return;
    }
    if (strcasecmp(alg_name, "none") == 0) {
        set_reason(d, PJ_REFUSE, "alg none is never accepted");
        return;
    }
    if ((m = json_object_get(j->header, "kid")) != NULL) {
        kid = json_string_value(m);
        if (kid == NULL || strlen(kid) != json_string_length(m)) {
            set_reason(d, PJ_REFUSE, "kid is not a string");
            return;
        }
    }
    if (json_object_get(j->header, "crit") != NULL) {
        set_reason(d, PJ_REFUSE, "header has crit extensions this module does not understand");
        return;
    }
    alg = pj_alg_from_name(alg_name);
    if (alg < 0 || !(c->algs & (1u << alg))) {
        set_reason(d, PJ_REFUSE, "alg %s is not allowed", d->alg);
        return;
    }
    for (size_t i = 0; i < c->keys.n; i++) {
        pj_key *k = &c->keys.v[i];
        if (!kid_selects(k, kid))
            continue; /* a JWK the kid does not name is never even parsed */
        if (pj_key_pending(k) && pj_jwk_prepare(k, rq->log) < 0) {
            unusable++;
            continue;
        }
        if (!key_is_candidate(k, alg))
            continue;
        if (k->pkey == NULL && k->jwk != NULL && pj_jwk_materialize(k, rq->log) != 0) {
            unusable++;
            continue;
        }
        tried++;
        pj_debugf(rq->log, "trying %s%s%s for %s", k->source, k->kid ? " kid " : "",
                  k->kid ? k->kid : "", d->alg);
        if (pj_sig_verify(alg, k, (const unsigned char *)tok, j->signing_len, j->sig,
                          j->sig_len)) {
            pj_debugf(rq->log, "signature verified by %s", k->source);
            return; /* d->result stays PJ_ACCEPT */
        }
    }
    if (tried == 0 && unusable > 0)
        set_reason(d, PJ_REFUSE, "no usable key for alg %s%s%s (%zu unusable, see above)", d->alg,
                   kid ? " and kid " : "", kid ? d->kid : "", unusable);
    else if (tried == 0)
        set_reason(d, PJ_REFUSE, "no key fits alg %s%s%s", d->alg, kid ? " and kid " : "",
                   kid ? d->kid : "");
    else
        set_reason(d, PJ_REFUSE, "bad signature (%zu key%s tried)", tried, tried == 1 ? "" : "s");
}

/* 1 exists, 0 does not, -1 the lookup itself failed (NSS error). */
static int user_exists(const char *user, const pj_log *log)
{
    struct passwd pw, *res = NULL;
    long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
    size_t sz = hint > 0 && hint < 65536 ? (size_t)hint : 4096;
    int e;
    for (;;) {
        /* holds a passwd entry, nothing secret: no wipe needed */
        char *buf = malloc(sz);
        if (buf == NULL)
            return -1;
        e = getpwnam_r(user, &pw, buf, sz, &res);
        free(buf);
        if (e != ERANGE || sz >= 1024 * 1024)
            break;
        sz *= 4;
    }
    if (e == 0)
        return res != NULL;
    if (e == ENOENT || e == ESRCH || e == EBADF || e == EPERM)
        return 0; /* "not found", as some NSS modules report it */
    char safe[160];
    pj_sanitize(safe, sizeof(safe), user, strlen(user));
    pj_logf(log, LOG_ERR, "user database lookup for %s failed: %s", safe, strerror(e));
    return -1;
}

/* Rules 5-8 once the signature and claims are good. */
static void check_subject(const pj_request *rq, const pj_config *c, const pj_jws *j,
                          pj_decision *d)
{
    json_t *s = json_object_get(j->claims, c->subject_claim), *jm;
    const char *sub = json_string_value(s), *jti = NULL;
    char safe[160];

    if ((jm = json_object_get(j->claims, "jti")) != NULL) {
        jti = json_string_value(jm);
        if (jti == NULL || json_string_length(jm) == 0) {
            set_reason(d, PJ_REFUSE, "jti is not a non-empty string");
            return;
        }
    }
    if (jti && pj_jti_revoked(c, jti)) {
        set_reason(d, PJ_REFUSE, "token revoked (jti listed in revoked_file)");
        return;
    }
    if (c->replay_cache && jti == NULL) {
        set_reason(d, PJ_REFUSE, "token has no jti (replay_cache requires one)");
        return;
    }
    if (sub == NULL || json_string_length(s) == 0) {
        pj_sanitize(safe, sizeof(safe), c->subject_claim, strlen(c->subject_claim));
        set_reason(d, PJ_REFUSE, "subject claim %s is missing, empty or not a string", safe);
        return;
    }
    if (!pj_subject_allowed(c, sub)) {
        set_reason(d, PJ_REFUSE, "subject not allowed");
        return;
    }
    int r = pj_map_user(c, sub, &d->user);
    if (r < 0) {
        pj_logf(rq->log, LOG_ERR, "out of memory while mapping the subject");
        set_reason(d, PJ_UNAVAIL, "out of memory");
        return;
    }
    if (r == 0) {
        set_reason(d, PJ_REFUSE, "no user_map_file rule matches the subject");
        return;
    }
    pj_sanitize(safe, sizeof(safe), d->user, strlen(d->user));
    if (!pj_user_name_ok(d->user)) {
        set_reason(d, PJ_REFUSE, "mapped user name '%s' is not a valid user name", safe);
        return;
    }
    pj_debugf(rq->log, "subject maps to user %s", safe);
    if (rq->pam_user != NULL && strcmp(rq->pam_user, d->user) != 0) {
        char pu[100];
        pj_sanitize(pu, sizeof(pu), rq->pam_user, strlen(rq->pam_user));
        set_reason(d, PJ_REFUSE, "token is for user %s, not %s", safe, pu);
        return;
    }
    switch (user_exists(d->user, rq->log)) {
    case 0:
        set_reason(d, PJ_USER_UNKNOWN, "user %s does not exist", safe);
        return;
    case -1:
        set_reason(d, PJ_UNAVAIL, "user database lookup for %s failed", safe);
        return;
    default:
        break;
    }
    if (c->replay_cache) {
        double exp = json_number_value(json_object_get(j->claims, "exp"));
        switch (pj_replay(c, json_string_value(json_object_get(j->claims, "iss")), jti,
                          exp + (double)c->leeway, rq->now, rq->consume, rq->log)) {
        case PJ_REPLAY_NOT_USED:
            break;
        case PJ_REPLAY_ALREADY_USED:
            set_reason(d, PJ_REFUSE, "one-time token already used (jti in replay_cache)");
            return;
        case PJ_REPLAY_TOO_LATE:
            set_reason(d, PJ_REFUSE, "token expired before replay_cache could record it");
            return;
        default:
            set_reason(d, PJ_UNAVAIL, "replay_cache %s unusable", c->replay_cache);
            return;
        }
    }
}

void pj_decide(const pj_request *rq, pj_decision *d)
{
    const char *tok = rq->input;
    size_t n = rq->input_len;
    pj_config *c = NULL;
    pj_jws j;

    memset(d, 0, sizeof(*d));
    memset(&j, 0, sizeof(j));
    d->result = PJ_ACCEPT;

    /* Rule 1: trim, bound. */
    pj_trim(&tok, &n);
    if (n > PJ_MAX_TOKEN) {
        set_reason(d, PJ_REFUSE, "input of %zu bytes exceeds the %d-byte limit", n, PJ_MAX_TOKEN);
        goto out;
    }
    /* Rule 2: not JWT-shaped -> the next module decides, config or not. */
    if (!pj_jwt_shaped(tok, n)) {
        set_reason(d, PJ_IGNORE, "input is not a JWT");
        /* still read the config, so its errors reach the log now rather
         * than at the first token login */
        if (!rq->config_broken)
            c = pj_config_load(rq->config_path, rq->log);
        goto out;
    }
    if (rq->config_broken) {
        set_reason(d, PJ_UNAVAIL, "invalid module arguments");
        goto out;
    }
    c = pj_config_load(rq->config_path, rq->log);
    if (c == NULL) {
        set_reason(d, PJ_UNAVAIL, "config %s unusable", rq->config_path);
        goto out;
    }
    pj_debugf(rq->log, "config %s loaded: %zu key(s)", rq->config_path, c->keys.n);
    if (rq->check_all_keys)
        (void)pj_jwks_prepare_all(&c->keys, rq->log); /* reports; decides nothing */

    const char *why = NULL;
    if (pj_jws_parse(tok, n, &j, &why) != 0) {
        set_reason(d, PJ_REFUSE, "malformed token: %s", why);
        goto out;
    }
    copy_field(d->alg, sizeof(d->alg), j.header, "alg");
    copy_field(d->kid, sizeof(d->kid), j.header, "kid");
    copy_field(d->sub, sizeof(d->sub), j.claims, c->subject_claim);
    copy_field(d->jti, sizeof(d->jti), j.claims, "jti");
    copy_field(d->iss, sizeof(d->iss), j.claims, "iss");
    if (rq->keep_json) {
        d->header = json_incref(j.header);
        d->claims = json_incref(j.claims);
    }

    /* Rules 3-4. */
    check_signature(rq, c, tok, &j, d);
    if (d->result != PJ_ACCEPT)
        goto out;
    if (pj_check_claims(c, j.claims, rq->now, d->reason, sizeof(d->reason)) != 0) {
        d->result = PJ_REFUSE;
        goto out;
    }
    pj_debugf(rq->log, "claims accepted");
    /* Rules 5-8. */
    check_subject(rq, c, &j, d);
out:
    log_decision(rq, d);
    pj_jws_free(&j);
    pj_config_free(c);
}

void pj_decision_free(pj_decision *d)
{
    free(d->user);
    if (d->header)
        json_decref(d->header);
    if (d->claims)
        json_decref(d->claims);
    memset(d, 0, sizeof(*d));
}
