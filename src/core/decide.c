/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "decide.h"

#include "claims.h"
#include "export.h"
#include "groups.h"
#include "jose.h"
#include "jwks.h"
#include "keys.h"
#include "pjconfig.h"
#include "chunk.h"
#include "policy.h"
#include "pop.h"
#include "replay.h"
#include "roster_index.h"
#include "subject.h"
#include "users.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A token without kid is tried against at most this many keys: past it,
 * an unauthenticated token could make every login build and try a whole
 * large JWK Set. */
#define PJ_MAX_KIDLESS_CANDIDATES 8

/* What the rules share while they decide one token. */
struct pj_ctx {
    const pj_request *rq;
    const char *tok;     /* the input, trimmed (rule 1) */
    size_t n;
    pj_policies *ps;     /* loaded by rule_config */
    pj_config *c;        /* the policy that decides: chosen by rule_policy */
    pj_jws j;            /* parsed by rule_parse */
    const char *jti;     /* the token's jti, NULL when it has none */
};

double pj_now(void)
{
    return pj_clock_s(CLOCK_REALTIME);
}

/* End the decision with result r and a reason. */
static pj_verdict stop(pj_decision *d, pj_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static pj_verdict stop(pj_decision *d, pj_result r, const char *fmt, ...)
{
    va_list ap;
    d->result = r;
    va_start(ap, fmt);
    pj_vformat(d->reason, sizeof(d->reason), fmt, ap); /* a cut ends in "..." */
    va_end(ap);
    return PJ_RULE_STOP;
}

/* The lines for the person at the prompt that several rules share (the
 * contract's "What the person at the prompt is told"; pam_jwt(8) lists
 * every line). */
#define TELL_ISSUER "Token is not from an issuer this host trusts."
#define TELL_UNAVAIL "Token login is unavailable on this host (see the system log)."
#define TELL_MALFORMED "Token is malformed: copy it again whole, or get a new one."
#define TELL_CUT "Token is cut off: copy it again whole."
#define TELL_CUT_OR_KEY "Token is cut off or not from an issuer this host trusts."
#define TELL_POP "Proof of possession failed: sign in again (pamjwt login)."
#define TELL_REFUSED "Token was refused by this host."

/* The user line of a refusal (printf-style, into d->user_line). */
static void tell(pj_decision *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tell(pj_decision *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pj_vformat(d->user_line, sizeof(d->user_line), fmt, ap);
    va_end(ap);
}

void pj_run_rules(const pj_rule *rules, size_t n, struct pj_ctx *x, pj_decision *d)
{
    d->result = PJ_REFUSE;
    d->user_line[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        pj_verdict v = rules[i].check(x, d);
        if (v == PJ_RULE_PASS) {
            d->user_line[0] = '\0'; /* a line a passing rule prepared is not the next one's */
            continue;
        }
        /* a rule may end the decision, never accept it */
        if (v != PJ_RULE_STOP || d->result == PJ_ACCEPT || d->reason[0] == '\0') {
            d->result = PJ_REFUSE;
            snprintf(d->reason, sizeof(d->reason), "rule %s gave no verdict", rules[i].name);
            tell(d, "%s", TELL_REFUSED);
        }
        /* every refusal tells the person one line; a pass-on tells nothing */
        if (d->result == PJ_IGNORE)
            d->user_line[0] = '\0';
        else if (d->result == PJ_UNAVAIL)
            tell(d, "%s", TELL_UNAVAIL);
        else if (d->user_line[0] == '\0')
            tell(d, "%s", rules[i].tell ? rules[i].tell : TELL_REFUSED);
        return;
    }
    /* The one place a decision is accepted. */
    d->result = PJ_ACCEPT;
    d->user_line[0] = '\0';
    snprintf(d->reason, sizeof(d->reason), "all checks passed");
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
    /* sized from the fields (each cut with "..." by pj_sanitize), so the
     * context is never cut: per field at most "; " TAG "=" and the value */
    char pop[sizeof("jkt:") + sizeof(d->pop_jkt)] = "";
    char ctx[sizeof(d->sub) + sizeof(d->kid) + sizeof(d->jti) + sizeof(d->iss) +
             sizeof(d->alg) + sizeof(pop) + 6 * sizeof("; tag=")];
    size_t o = 0;
    ctx[0] = '\0';
    if (d->pop_proven) /* the accept line says a proof was checked, and by which key */
        snprintf(pop, sizeof(pop), "jkt:%s", d->pop_jkt);
#define ADD(tag, v)                                                                          \
    if ((v)[0] && o < sizeof(ctx))                                                           \
        o += (size_t)snprintf(ctx + o, sizeof(ctx) - o, "%s" tag "=%s", o ? " " : "; ", (v));
    ADD("sub", d->sub);
    ADD("kid", d->kid);
    ADD("jti", d->jti);
    ADD("iss", d->iss);
    ADD("alg", d->alg);
    ADD("pop", pop);
#undef ADD
    switch (d->result) {
    case PJ_ACCEPT: {
        char user[160];
        pj_sanitize(user, sizeof(user), d->user, strlen(d->user));
        pj_logf(rq->log, LOG_INFO, "accepted token for user %s%s%s", user,
                rq->device_policy ? " via device sign-in" : "", ctx);
        break;
    }
    case PJ_IGNORE:
        pj_debugf(rq->log, "input is not a JWT; ignored (next module decides)");
        break;
    case PJ_REFUSE:
    case PJ_USER_UNKNOWN:
        pj_logf(rq->log, LOG_NOTICE, "refused%s: %s%s",
                rq->device_policy ? " (via device sign-in)" : "", d->reason, ctx);
        break;
    case PJ_CONV: /* "proof of possession: no answer": the login was abandoned there */
        pj_logf(rq->log, LOG_NOTICE, "%s%s", d->reason, ctx);
        break;
    case PJ_UNAVAIL:
        /* the specific problem (file, line, cause) was logged where it
         * was found; one line per error is enough */
        pj_debugf(rq->log, "unavailable: %s%s", d->reason, ctx);
        break;
    }
}

/* ------------------------------------------------------------ rules 1-2 */

/* Rule 1: trim, bound. */
static pj_verdict rule_size(struct pj_ctx *x, pj_decision *d)
{
    x->tok = x->rq->input;
    x->n = x->rq->input_len;
    pj_trim(&x->tok, &x->n);
    if (x->n > PJ_MAX_TOKEN)
        return stop(d, PJ_REFUSE, "input of %zu bytes exceeds the %d-byte limit", x->n,
                    PJ_MAX_TOKEN);
    return PJ_RULE_PASS;
}

/* Rule 2: not JWT-shaped -> the next module decides, config or not. */
static pj_verdict rule_shape(struct pj_ctx *x, pj_decision *d)
{
    if (pj_jwt_shaped(x->tok, x->n))
        return PJ_RULE_PASS;
    /* A paste broken across lines still starts like a JWT header. */
    if (x->n >= 3 && memcmp(x->tok, "eyJ", 3) == 0)
        pj_logf(x->rq->log, LOG_NOTICE,
                "input starts like a JWT (eyJ) but is not three base64url segments "
                "(a token broken across lines?); passed on to the next module");
    /* still read the config, so its errors reach the log now rather than
     * at the first token login */
    if (x->rq->policies_given)
        x->ps = x->rq->policies;
    else if (!x->rq->config_broken)
        x->ps = pj_policies_load(x->rq->config_path, x->rq->log);
    return stop(d, PJ_IGNORE, "input is not a JWT");
}

static pj_verdict rule_config(struct pj_ctx *x, pj_decision *d)
{
    const pj_request *rq = x->rq;
    if (rq->config_broken)
        return stop(d, PJ_UNAVAIL, "invalid module arguments");
    x->ps = rq->policies_given ? rq->policies : pj_policies_load(rq->config_path, rq->log);
    if (x->ps == NULL)
        return stop(d, PJ_UNAVAIL, "config %s unusable", rq->config_path);
    pj_debugf(rq->log, "config %s loaded: %zu polic%s", rq->config_path, x->ps->n,
              x->ps->n == 1 ? "y" : "ies");
    for (size_t i = 0; i < x->ps->n; i++) {
        const pj_config *c = x->ps->v[i].c;
        if (c == NULL)
            continue;
        if (rq->service == NULL && pj_config_uses_service(c))
            return stop(d, PJ_UNAVAIL, "config %s uses %%s but the PAM service is not known",
                        c->path);
        if (rq->check_all_keys) /* reports; decides nothing */
            (void)pj_jwks_prepare_all(&x->ps->v[i].c->keys, rq->log);
    }
    return PJ_RULE_PASS;
}

/* ------------------------------------------------------------ rules 3-4 */

/* Base64url characters of a signature of `bytes` bytes. */
static size_t b64_chars(size_t bytes)
{
    return (bytes * 4 + 2) / 3;
}

/* Signature bytes an algorithm always produces; 0 where it depends on the
 * key (RS*, PS*) or on the curve (EdDSA). */
static size_t fixed_sig_len(pj_alg alg)
{
    const pj_alg_info *ai = pj_alg_get(alg);
    switch (ai->fam) {
    case PJ_FAM_EC: return 2 * ai->curve->coord;
    case PJ_FAM_HMAC: return (size_t)EVP_MD_get_size(pj_alg_md(ai));
    default: return 0;
    }
}

/* Is s (n base64url characters) cut short of whole bytes: 4k+1
 * characters, or a last character whose bits run past the last byte? */
static bool b64_cut(const char *s, size_t n)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *p;
    if (n == 0 || n % 4 == 0)
        return false;
    if (n % 4 == 1)
        return true;
    if ((p = memchr(abc, s[n - 1], 64)) == NULL)
        return false; /* not base64url at all: malformed, not cut */
    return ((p - abc) & (n % 4 == 2 ? 0x0f : 0x03)) != 0;
}

/* "ES256 signature is 85 characters, expected 86": a token cut off by a
 * terminal or a paste says so instead of "bad signature". */
static bool sig_length_wrong(const char *tok, size_t n, pj_decision *d)
{
    int alg = pj_alg_from_name(d->alg);
    const char *dot = memrchr(tok, '.', n);
    size_t want, have;
    if (alg < 0 || dot == NULL)
        return false;
    have = n - (size_t)(dot + 1 - tok);
    if ((want = fixed_sig_len((pj_alg)alg)) == 0) {
        /* RS*, PS*: the length depends on the key (rule_signature); here
         * only a text that is not whole bytes: 4k+1 characters, or a last
         * character with bits past the last byte */
        if (!b64_cut(dot + 1, have))
            return false;
        stop(d, PJ_REFUSE, "%s signature is %zu characters and does not decode to whole bytes: "
             "token cut off?", d->alg, have);
        tell(d, "%s", TELL_CUT);
        return true;
    }
    if (have == b64_chars(want))
        return false;
    if (have < b64_chars(want)) {
        stop(d, PJ_REFUSE, "%s signature is %zu characters, expected %zu: token cut off?", d->alg,
             have, b64_chars(want));
        tell(d, "%s", TELL_CUT);
    } else {
        stop(d, PJ_REFUSE, "%s signature is %zu characters, expected %zu: longer than %s makes "
             "(another key's or algorithm's, or a DER signature?)", d->alg, have, b64_chars(want), d->alg);
        tell(d, "%s", TELL_MALFORMED);
    }
    return true;
}

static pj_verdict rule_parse(struct pj_ctx *x, pj_decision *d)
{
    const char *why = NULL;
    if (pj_jws_parse(x->tok, x->n, &x->j, &why) != 0) {
        /* a signature of the wrong length: the header names the algorithm */
        pj_jws h;
        const char *ignored;
        if (why == PJ_WHY_SIG_B64 && pj_jws_parse_header(x->tok, x->n, &h, &ignored) == 0) {
            copy_field(d->alg, sizeof(d->alg), h.header, "alg");
            pj_jws_free(&h);
            if (sig_length_wrong(x->tok, x->n, d))
                return PJ_RULE_STOP;
        }
        return stop(d, PJ_REFUSE, "malformed token: %s", why);
    }
    copy_field(d->alg, sizeof(d->alg), x->j.header, "alg");
    copy_field(d->kid, sizeof(d->kid), x->j.header, "kid");
    copy_field(d->sub, sizeof(d->sub), x->j.claims, "sub");
    copy_field(d->jti, sizeof(d->jti), x->j.claims, "jti");
    copy_field(d->iss, sizeof(d->iss), x->j.claims, "iss");
    if (x->rq->keep_json) {
        d->header = json_incref(x->j.header);
        d->claims = json_incref(x->j.claims);
    }
    return PJ_RULE_PASS;
}

/* A policy directory: the token's iss (read before the signature is
 * checked, used only to choose) selects the one policy that decides. */
static pj_verdict rule_policy(struct pj_ctx *x, pj_decision *d)
{
    json_t *m = json_object_get(x->j.claims, "iss");
    const char *iss = json_string_value(m);
    switch (pj_policies_select(x->ps, iss, iss ? json_string_length(m) : 0, &x->c)) {
    case PJ_POLICY_FOUND:
        break;
    case PJ_POLICY_NONE:
        if (iss == NULL)
            return stop(d, PJ_REFUSE, "no policy for a token without an iss string");
        return stop(d, PJ_REFUSE, "no policy for issuer %s", d->iss);
    case PJ_POLICY_BROKEN:
        return stop(d, PJ_UNAVAIL, "the policy for issuer %s did not load",
                    iss ? d->iss : "(none)");
    }
    if (x->rq->device_policy != NULL && x->c != x->rq->device_policy)
        return stop(d, PJ_REFUSE, "the token from device sign-in is not for the device_flow "
                                  "policy's issuer");
    if (x->ps->is_dir)
        pj_debugf(x->rq->log, "policy %s decides", x->c->path);
    d->leeway = x->c->leeway;
    /* the subject as this policy names it, for the log line */
    d->sub[0] = '\0';
    copy_field(d->sub, sizeof(d->sub), x->j.claims, x->c->subject_claim);
    return PJ_RULE_PASS;
}

/* May this key verify a token with this kid?  A JWKS key is named by its
 * kid; key_file and HMAC keys have none and are not. */
static bool kid_selects(const pj_key *k, const char *kid)
{
    return !k->jwks || kid == NULL || (k->kid != NULL && strcmp(k->kid, kid) == 0);
}

/* Rules 3-4: algorithm and key chosen here, never by the token alone. */
static pj_verdict rule_signature(struct pj_ctx *x, pj_decision *d)
{
    const pj_request *rq = x->rq;
    const pj_keyset *ks = &x->c->keys;
    json_t *m = json_object_get(x->j.header, "alg");
    const char *alg_name = json_string_value(m), *kid = NULL;
    const char *with_kid = "";
    char kidpart[sizeof(" and kid ") + sizeof(d->kid)] = ""; /* never cut */
    size_t candidates = 0, tried = 0, unusable = 0, wrong_len = 0, need = 0, least = SIZE_MAX;
    int alg;

    if (alg_name == NULL)
        return stop(d, PJ_REFUSE, "header has no alg string");
    if (strcasecmp(alg_name, "none") == 0)
        return stop(d, PJ_REFUSE, "alg none is never accepted");
    if ((m = json_object_get(x->j.header, "kid")) != NULL) {
        kid = json_string_value(m);
        if (kid == NULL || strlen(kid) != json_string_length(m))
            return stop(d, PJ_REFUSE, "kid is not a string");
        snprintf(kidpart, sizeof(kidpart), " and kid %s", d->kid);
        with_kid = kidpart;
    }
    if (json_object_get(x->j.header, "crit") != NULL)
        return stop(d, PJ_REFUSE, "header has crit extensions this module does not understand");
    alg = pj_alg_from_name(alg_name);
    if (alg < 0 || !(x->c->algs & (1u << alg)))
        return stop(d, PJ_REFUSE, "alg %s is not allowed", d->alg);
    if (sig_length_wrong(x->tok, x->n, d))
        return PJ_RULE_STOP;

    /* Which keys may verify it: counted before any key is built. */
    for (size_t i = 0; i < ks->n; i++) {
        pj_key *k = &ks->v[i];
        if (!kid_selects(k, kid))
            continue; /* a JWK the kid does not name is never built */
        switch (pj_key_fit(k, (pj_alg)alg, rq->log)) {
        case PJ_FIT_YES: candidates++; break;
        case PJ_FIT_NO: break;
        case PJ_FIT_UNUSABLE: unusable++; break;
        }
    }
    if (kid == NULL && candidates > PJ_MAX_KIDLESS_CANDIDATES)
        return stop(d, PJ_REFUSE, "token has no kid and %zu keys fit it (at most %d are tried)",
                    candidates, PJ_MAX_KIDLESS_CANDIDATES);
    for (size_t i = 0; i < ks->n && tried < candidates; i++) {
        pj_key *k = &ks->v[i];
        if (!kid_selects(k, kid) || pj_key_fit(k, (pj_alg)alg, rq->log) != PJ_FIT_YES)
            continue;
        if (pj_key_ready(k, rq->log) != 0) {
            unusable++;
            candidates--;
            continue;
        }
        tried++;
        pj_debugf(rq->log, "trying %s%s%s for %s", k->source, k->kid ? " kid " : "",
                  k->kid ? k->kid : "", d->alg);
        if (pj_sig_verify((pj_alg)alg, k, (const unsigned char *)x->tok, x->j.signing_len,
                          x->j.sig, x->j.sig_len)) {
            pj_debugf(rq->log, "signature verified by %s", k->source);
            return PJ_RULE_PASS;
        }
        /* RS*, PS*: a signature is exactly as long as the key's modulus */
        size_t kl = pj_sig_len_for_key((pj_alg)alg, k);
        if (kl != 0 && kl != x->j.sig_len) {
            wrong_len++;
            need = need == 0 || need == kl ? kl : SIZE_MAX;
            least = kl < least ? kl : least;
        }
    }
    if (tried > 0 && wrong_len == tried) {
        /* shorter than every key needs: cut off, or another (shorter)
         * key's; longer: another key's, never a cut */
        bool shorter = x->j.sig_len < least;
        const char *cause = shorter ? "token cut off, or signed by another key?"
                                    : "signed by another key?";
        tell(d, "%s", shorter ? TELL_CUT_OR_KEY : TELL_ISSUER);
        if (need != SIZE_MAX)
            return stop(d, PJ_REFUSE, "%s signature is %zu bytes, the key%s need%s %zu: %s",
                        d->alg, x->j.sig_len, tried == 1 ? "" : "s", tried == 1 ? "s" : "", need,
                        cause);
        return stop(d, PJ_REFUSE, "%s signature is %zu bytes, no key tried needs that length: %s",
                    d->alg, x->j.sig_len, cause);
    }
    if (tried == 0 && unusable > 0)
        return stop(d, PJ_REFUSE, "no usable key for alg %s%s (%zu unusable, see above)", d->alg,
                    with_kid, unusable);
    if (tried == 0)
        return stop(d, PJ_REFUSE, "no key fits alg %s%s", d->alg, with_kid);
    return stop(d, PJ_REFUSE, "bad signature (%zu key%s tried)", tried, tried == 1 ? "" : "s");
}

/* device_audience (default: device_client_id, taken literally, so its
 * '%' are escaped here); NULL when neither is set. */
static const char *device_audience(const pj_config *c, char *buf, size_t sz)
{
    size_t o = 0;
    if (c->device_audience != NULL || c->device_client_id == NULL)
        return c->device_audience;
    for (const char *p = c->device_client_id; *p && o + 2 < sz; p++) {
        if (*p == '%')
            buf[o++] = '%';
        buf[o++] = *p;
    }
    buf[o] = '\0';
    return buf;
}

/* The audience a token must name: audience, or for a token from device
 * sign-in device_audience. */
static const char *audience_for(const struct pj_ctx *x, char *buf, size_t sz)
{
    if (x->rq->device_policy == NULL)
        return x->c->audience;
    return device_audience(x->c, buf, sz);
}

/* A typed token whose aud is the device audience of a device_flow policy:
 * a token made for the sign-in client, which every host that uses the
 * client accepts from its helper.  Typed, it could come from any of them,
 * so it is taken only from device sign-in (unless audience names the same
 * value: then the administrator takes such tokens typed). */
static bool typed_device_token(const struct pj_ctx *x, const pj_scope *sc)
{
    char buf[2 * PJ_MAX_DEVICE_FIELD + 1], dev[1024], typed[1024];
    const char *da;
    if (x->rq->device_policy != NULL || !x->c->device_flow ||
        (da = device_audience(x->c, buf, sizeof(buf))) == NULL ||
        pj_scope_expand(da, sc, dev, sizeof(dev)) != 0)
        return false;
    if (x->c->audience != NULL && pj_scope_expand(x->c->audience, sc, typed, sizeof(typed)) == 0 &&
        strcmp(typed, dev) == 0)
        return false;
    return pj_aud_contains(json_object_get(x->j.claims, "aud"), dev);
}

static pj_verdict rule_claims(struct pj_ctx *x, pj_decision *d)
{
    char why[sizeof(d->reason)], aud[2 * PJ_MAX_DEVICE_FIELD + 1];
    pj_scope sc = {x->rq->service, x->rq->host};
    if (pj_check_claims_as(x->c, x->j.claims, x->rq->now, &sc, audience_for(x, aud, sizeof(aud)),
                           why, sizeof(why), d->user_line, sizeof(d->user_line)) != 0)
        return stop(d, PJ_REFUSE, "%s", why);
    if (typed_device_token(x, &sc)) {
        tell(d, "Token is for browser sign-in: answer the prompt with nothing to sign in.");
        return stop(d, PJ_REFUSE, "wrong audience: a token for the device sign-in client is "
                                  "taken only from device sign-in, not typed");
    }
    pj_debugf(x->rq->log, "claims accepted");
    return PJ_RULE_PASS;
}

/* jti: well-formed, not revoked, and present when tokens are one-time. */
static pj_verdict rule_jti(struct pj_ctx *x, pj_decision *d)
{
    const pj_config *c = x->c;
    json_t *jm = json_object_get(x->j.claims, "jti");
    if (jm != NULL) {
        x->jti = json_string_value(jm);
        if (x->jti == NULL || json_string_length(jm) == 0 ||
            strlen(x->jti) != json_string_length(jm))
            return stop(d, PJ_REFUSE, "jti is not a non-empty string");
    }
    if (x->jti && c->revoked.path && !pj_jti_revocable(x->jti, strlen(x->jti)))
        return stop(d, PJ_REFUSE, "jti cannot be revoked (it cannot be written as a line of "
                                  "revoked_file)");
    if (x->jti && pj_jti_revoked(c, x->jti)) {
        tell(d, "Token was revoked.");
        return stop(d, PJ_REFUSE, "token revoked (jti listed in revoked_file)");
    }
    if (c->replay_cache && x->jti == NULL) {
        tell(d, "Token has no jti: this host takes only one-time tokens.");
        return stop(d, PJ_REFUSE, "token has no jti (replay_cache requires one)");
    }
    return PJ_RULE_PASS;
}

/* ------------------------------------------------------------ rules 5-8 */

/* roster = yes, before the allow-lists and user_map: a token whose iss
 * and sub are a roster user's is that user (PJ_RULE_PASS with d->user
 * set), or refused when the user left the roster; any other token goes on
 * (PJ_RULE_NONE: not a verdict, the caller continues). */
static pj_verdict roster_subject(struct pj_ctx *x, pj_decision *d, const char *sub)
{
    json_t *m = json_object_get(x->j.claims, "iss");
    const char *iss = json_string_value(m);
    char safe[160];
    if (iss == NULL || strlen(iss) != json_string_length(m))
        return PJ_RULE_NONE;
    switch (pj_roster_by_subject(x->c->roster_dir, iss, strlen(iss), sub, strlen(sub), &d->user,
                                 x->rq->log)) {
    case PJ_ROSTER_NONE: return PJ_RULE_NONE;
    case PJ_ROSTER_UNAVAIL: return stop(d, PJ_UNAVAIL, "roster index unusable");
    case PJ_ROSTER_LOCKED:
        pj_sanitize(safe, sizeof(safe), d->user, strlen(d->user));
        return stop(d, PJ_REFUSE, "roster user %s is locked (left the roster)", safe);
    case PJ_ROSTER_ACTIVE: break;
    }
    pj_debugf(x->rq->log, "roster: the subject is roster user %s", d->user);
    return PJ_RULE_PASS;
}

/* Rule 5: an allowed subject that maps to a plausible user name. */
static pj_verdict rule_subject(struct pj_ctx *x, pj_decision *d)
{
    const pj_config *c = x->c;
    json_t *s = json_object_get(x->j.claims, c->subject_claim);
    const char *sub = json_string_value(s);
    char safe[160];

    if (sub == NULL || json_string_length(s) == 0 || strlen(sub) != json_string_length(s)) {
        tell(d, "Token names no subject: get a new one.");
        pj_sanitize(safe, sizeof(safe), c->subject_claim, strlen(c->subject_claim));
        return stop(d, PJ_REFUSE, "subject claim %s is missing, empty or not a string", safe);
    }
    /* the subject's own words for every refusal of this rule; short */
    pj_sanitize(safe, 100, sub, strlen(sub));
    tell(d, "Subject %s may not log in here.", safe);
    if (c->roster) {
        pj_verdict v = roster_subject(x, d, sub);
        if (v != PJ_RULE_NONE)
            return v;
    }
    if (!pj_subject_allowed(c, sub))
        return stop(d, PJ_REFUSE, "subject not allowed");
    switch (pj_map_user(c, sub, &d->user, x->rq->log)) {
    case PJ_MAP_FOUND: break;
    case PJ_MAP_NONE: return stop(d, PJ_REFUSE, "no user_map_file rule matches the subject");
    case PJ_MAP_REFUSED:
        return stop(d, PJ_REFUSE, "subject has more than one '@' and the matching "
                                  "user_map_file rule uses %%l");
    case PJ_MAP_BROKEN: return stop(d, PJ_UNAVAIL, "user_map_file %s unusable", c->user_map.path);
    case PJ_MAP_NOMEM:
        pj_logf(x->rq->log, LOG_ERR, "out of memory while mapping the subject");
        return stop(d, PJ_UNAVAIL, "out of memory");
    }
    pj_sanitize(safe, sizeof(safe), d->user, strlen(d->user));
    if (!pj_user_name_ok(d->user))
        return stop(d, PJ_REFUSE, "mapped user name '%s' is not a valid user name", safe);
    /* no rule maps another subject onto a roster user, in any policy */
    if (c->roster || pj_roster_present(c->roster_dir))
        switch (pj_roster_by_name(c->roster_dir, d->user, x->rq->log)) {
        case PJ_ROSTER_NONE: break;
        case PJ_ROSTER_UNAVAIL: return stop(d, PJ_UNAVAIL, "roster index unusable");
        default:
            return stop(d, PJ_REFUSE, "user %s is a roster user: only its own iss and sub log "
                                      "in as it", safe);
        }
    pj_debugf(x->rq->log, "subject maps to user %s", safe);
    return PJ_RULE_PASS;
}

/* Rule 6: the token is for the user PAM is authenticating. */
static pj_verdict rule_pam_user(struct pj_ctx *x, pj_decision *d)
{
    char safe[160], pu[100];
    if (x->rq->pam_user == NULL || strcmp(x->rq->pam_user, d->user) == 0)
        return PJ_RULE_PASS;
    pj_sanitize(safe, sizeof(safe), d->user, strlen(d->user));
    pj_sanitize(pu, sizeof(pu), x->rq->pam_user, strlen(x->rq->pam_user));
    if (x->rq->device_policy != NULL)
        tell(d, "Signed in as %s, but this login is for %s.", safe, pu);
    else
        tell(d, "Token is for user %s, not %s.", safe, pu);
    return stop(d, PJ_REFUSE, "token is for user %s, not %s", safe, pu);
}

/* Rule 7: the mapped user exists, and is not a system account below min_uid. */
static pj_verdict rule_user_exists(struct pj_ctx *x, pj_decision *d)
{
    char safe[160];
    uid_t uid = 0;
    pj_sanitize(safe, sizeof(safe), d->user, strlen(d->user));
    /* one line whether the user is missing or barred (min_uid, max_uid,
     * nobody): it does not tell who exists here */
    tell(d, "User %s cannot log in here with a token.", safe);
    switch (pj_user_lookup(d->user, &uid, NULL, x->rq->log)) {
    case PJ_USER_FOUND: break;
    case PJ_USER_MISSING: return stop(d, PJ_USER_UNKNOWN, "user %s does not exist", safe);
    case PJ_USER_LOOKUP_FAILED:
        return stop(d, PJ_UNAVAIL, "user database lookup for %s failed", safe);
    }
    if (uid < x->c->min_uid) /* all uid_t: no sign, no width lost */
        return stop(d, PJ_REFUSE, "user %s has uid %ju, below min_uid %ju", safe, (uintmax_t)uid,
                    (uintmax_t)x->c->min_uid);
    if (uid > x->c->max_uid)
        return stop(d, PJ_REFUSE, "user %s has uid %ju, above max_uid %ju", safe, (uintmax_t)uid,
                    (uintmax_t)x->c->max_uid);
    if (uid == pj_overflow_uid())
        return stop(d, PJ_REFUSE, "user %s has the overflow uid %ju (never a login target)", safe,
                    (uintmax_t)uid);
    return PJ_RULE_PASS;
}

/* export_claims: what goes into the PAM environment if this is accepted. */
static pj_verdict rule_export(struct pj_ctx *x, pj_decision *d)
{
    if (pj_export_claims(x->c, x->j.claims, &d->env, x->rq->log) != 0) {
        pj_logf(x->rq->log, LOG_ERR, "out of memory while exporting claims");
        return stop(d, PJ_UNAVAIL, "out of memory");
    }
    return PJ_RULE_PASS;
}

/* group_map: the local groups setcred adds if this is accepted.  Nothing
 * is done without group_map. */
static pj_verdict rule_groups(struct pj_ctx *x, pj_decision *d)
{
    size_t dropped = 0;
    if (x->c->group_map.path == NULL)
        return PJ_RULE_PASS;
    d->group_map = true;
    if (pj_groups_map(&x->c->group_map, x->j.claims, x->c->group_claim, &d->groups,
                      &dropped) != 0) {
        pj_logf(x->rq->log, LOG_ERR, "out of memory while mapping groups");
        return stop(d, PJ_UNAVAIL, "out of memory");
    }
    if (dropped > 0)
        pj_logf(x->rq->log, LOG_NOTICE, "group_map %s: %zu more mapped group%s not added (at "
                "most %d)", x->c->group_map.path, dropped, dropped == 1 ? "" : "s",
                PJ_MAX_GROUPS_ADDED);
    pj_debugf(x->rq->log, "token maps to %zu local group%s", d->groups.n,
              d->groups.n == 1 ? "" : "s");
    return PJ_RULE_PASS;
}

/* Proof of possession: after every other check, before rule 8 records a
 * one-time token, so a failed proof never uses one up.  A bound token
 * (cnf) is never a bearer token: its proof is asked for whatever
 * require_pop says; require_pop also refuses an unbound one. */
static pj_verdict rule_pop(struct pj_ctx *x, pj_decision *d)
{
    const pj_request *rq = x->rq;
    const char *jkt, *why = NULL;
    char nonce[48], prompt[sizeof("pamjwt-pop : ") + sizeof(nonce)], *proof;
    char pwhy[sizeof(d->reason)];
    if (rq->device_policy != NULL)
        return PJ_RULE_PASS; /* device sign-in: the token never passed through a client */
    switch (pj_pop_jkt(x->j.claims, &jkt)) {
    case PJ_POP_JKT:
        break;
    case PJ_POP_UNBOUND:
        if (!x->c->require_pop)
            return PJ_RULE_PASS; /* a bearer token where bearer tokens are taken */
        return stop(d, PJ_REFUSE, "proof of possession failed: the token has no cnf.jkt");
    case PJ_POP_UNCHECKABLE:
    default:
        return stop(d, PJ_REFUSE, "proof of possession failed: the token is bound (cnf) by a "
                                  "method this module cannot check (only cnf.jkt)");
    }
    pj_scope sc = {rq->service, rq->host};
    pj_sanitize(d->pop_jkt, sizeof(d->pop_jkt), jkt, strlen(jkt));
    pj_pop_audiences(x->c, &sc, d->pop_aud, sizeof(d->pop_aud));
    if (rq->pop_unproven_ok)
        return PJ_RULE_PASS; /* pamjwt check: reported, not proven */
    if (rq->ask == NULL)
        return stop(d, PJ_REFUSE, "proof of possession failed: no way to ask for a proof "
                                  "(use_first_pass allows no prompt)");
    if (pj_pop_nonce(nonce) != 0) {
        pj_logf(rq->log, LOG_ERR, "no random bytes for a proof nonce");
        return stop(d, PJ_UNAVAIL, "no random bytes for a proof nonce");
    }
    snprintf(prompt, sizeof(prompt), "pamjwt-pop %s: ", nonce);
    /* the answer, completed when it arrives in pieces */
    switch (pj_chunk_ask(rq->ask, rq->ask_ctx, prompt, &proof, &why)) {
    case PJ_CHUNK_NONE:
    case PJ_CHUNK_DONE:
        break;
    case PJ_CHUNK_NO_ANSWER:
        return stop(d, PJ_CONV, "proof of possession: no answer (the conversation failed)");
    case PJ_CHUNK_CONV:
        return stop(d, PJ_CONV, "proof of possession: no answer (the conversation failed during "
                                "a chunked proof)");
    case PJ_CHUNK_BAD:
    default:
        return stop(d, PJ_REFUSE, "proof of possession failed: chunked proof: %s",
                    why ? why : "malformed");
    }
    /* iat is compared with the time the answer arrived, not with the
     * start of the login: a client may take its time to sign */
    double arrived = rq->answer_clock ? rq->answer_clock() : pj_now();
    const char *p = proof;
    size_t pl = strlen(proof);
    pj_trim(&p, &pl);
    if (pl == 0) { /* what a client sends when it gives no proof (ssh, askpass refused) */
        pj_free_str(proof);
        return stop(d, PJ_REFUSE, "proof of possession failed: no proof (an empty answer)");
    }
    pj_pop_challenge ch = {x->tok, x->n, jkt, nonce, arrived, &sc};
    int r = pj_pop_verify(x->c, &ch, proof, strlen(proof), rq->log, pwhy, sizeof(pwhy));
    pj_free_str(proof);
    if (r != 0)
        return stop(d, PJ_REFUSE, "proof of possession failed: %s", pwhy);
    d->pop_proven = true;
    pj_debugf(rq->log, "proof of possession verified");
    return PJ_RULE_PASS;
}

/* Rule 8: last, so a refused login never uses a one-time token up.  The
 * entry is keyed by issuer and jti together. */
static pj_verdict rule_one_time(struct pj_ctx *x, pj_decision *d)
{
    const pj_config *c = x->c;
    if (c->replay_cache == NULL)
        return PJ_RULE_PASS;
    double exp = json_number_value(json_object_get(x->j.claims, "exp"));
    const char *iss = json_string_value(json_object_get(x->j.claims, "iss"));
    switch (pj_replay(c, iss, x->jti, exp + (double)c->leeway, x->rq->now, x->rq->consume,
                      x->rq->log)) {
    case PJ_REPLAY_NOT_USED:
        return PJ_RULE_PASS;
    case PJ_REPLAY_ALREADY_USED:
        tell(d, "Token was already used.");
        return stop(d, PJ_REFUSE, "one-time token already used (jti in replay_cache)");
    case PJ_REPLAY_TOO_LATE: {
        char when[40];
        pj_utc_minute(exp, when, sizeof(when));
        tell(d, "Token expired at %s: get a new one.", when);
        return stop(d, PJ_REFUSE, "token expired before replay_cache could record it");
    }
    case PJ_REPLAY_UNUSABLE:
        break;
    }
    return stop(d, PJ_UNAVAIL, "replay_cache %s unusable", c->replay_cache);
}

/* The contract's rules, in its order. */
static const pj_rule rules[] = {
    {"input size", rule_size, "Input is longer than a token may be (16384 bytes)."}, /* 1 */
    {"JWT shape", rule_shape, NULL},      /* 2 */
    {"config", rule_config, NULL},
    {"token syntax", rule_parse, TELL_MALFORMED},
    {"issuer policy", rule_policy, TELL_ISSUER},
    {"signature", rule_signature, TELL_ISSUER}, /* 3, 4 */
    {"claims", rule_claims, NULL},        /* 4 */
    {"jti", rule_jti, "Token has an unusable jti claim: get a new one."}, /* 4 */
    {"subject", rule_subject, NULL},      /* 5 */
    {"PAM user", rule_pam_user, NULL},    /* 6 */
    {"user exists", rule_user_exists, NULL}, /* 7 */
    {"export_claims", rule_export, NULL},
    {"group_map", rule_groups, NULL},
    {"proof of possession", rule_pop, TELL_POP},
    {"one-time token", rule_one_time, NULL}, /* 8 */
};

void pj_decide(const pj_request *rq, pj_decision *d)
{
    struct pj_ctx x;
    memset(d, 0, sizeof(*d));
    memset(&x, 0, sizeof(x));
    d->leeway = -1;
    x.rq = rq;
    pj_run_rules(rules, sizeof(rules) / sizeof(rules[0]), &x, d);
    /* whatever the result, the PAM_JWT_ names this config exports are
     * cleared, so no earlier module's or attempt's value passes for this
     * token's */
    for (size_t i = 0; x.ps != NULL && i < x.ps->n; i++)
        if (x.ps->v[i].c != NULL && pj_export_names(x.ps->v[i].c, &d->unset) != 0) {
            pj_logf(rq->log, LOG_ERR, "out of memory while exporting claims");
            if (d->result == PJ_ACCEPT) {
                d->result = PJ_UNAVAIL;
                tell(d, "%s", TELL_UNAVAIL);
            }
            break;
        }
    log_decision(rq, d);
    pj_jws_free(&x.j);
    if (x.ps != rq->policies)
        pj_policies_free(x.ps);
    if (d->result != PJ_ACCEPT) {
        pj_strlist_free(&d->env); /* nothing is exported on refusal */
        pj_strlist_free(&d->groups); /* nor are groups given */
    }
}

void pj_decision_free(pj_decision *d)
{
    free(d->user);
    pj_strlist_free(&d->env);
    pj_strlist_free(&d->unset);
    pj_strlist_free(&d->groups);
    if (d->header)
        json_decref(d->header);
    if (d->claims)
        json_decref(d->claims);
    memset(d, 0, sizeof(*d));
}
