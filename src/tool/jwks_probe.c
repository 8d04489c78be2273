/* SPDX-License-Identifier: BSD-3-Clause */
/* `pamjwt jwks refresh`, step 4b: which keys of the new JWK Set verify a
 * token.  pam_jwt turns a JWK into an OpenSSL key only when a token
 * selects it, so each key is asked for with a dummy token whose signature
 * fails: the reason "bad signature (1 key tried)" says the key built and
 * was tried.  Each key is probed alone, in a set of just that key, under
 * the configuration's asymmetric algorithms, once per allowed algorithm
 * that fits it ("kty", "crv" and its "alg"):
 *   - a key with a "kid" with a token naming that kid (pam_jwt tries such
 *     a token on the keys of that kid only, however many the set has);
 *   - a key without "kid" with a token without kid.  Only such tokens can
 *     use it, and pam_jwt tries them on at most 8 keys: it counts only if
 *     a token without kid of that algorithm is not refused, in the whole
 *     set, for the number of keys that fit it.
 * Keys whose "use" is not "sig" and keys no allowed algorithm fits are not
 * probed; step 4a has already reported keys that do not build. */
#include "config.h"

#include "jwks_refresh.h"

#include "b64enc.h"
#include "decide.h"
#include "keys.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define MAX_PROBED_KEYS 4096 /* a 1 MiB set holds fewer: a bound all the same */

typedef struct probe_log {
    char *first;
} probe_log;

static void emit(void *ctx, int prio, const char *msg)
{
    probe_log *p = ctx;
    if (prio <= LOG_ERR && p->first == NULL)
        p->first = strdup(msg);
}

/* The decision on token under the configuration at conf: its result, and
 * its reason in reason. */
static pj_result try_token(const pj_refresh *r, const char *conf, const char *token,
                           char *reason, size_t rsz, char **first)
{
    probe_log pl = {NULL};
    pj_log log = {emit, &pl, false};
    pj_request rq = {0};
    pj_decision d;
    pj_result res;

    rq.config_path = conf;
    rq.input = token;
    rq.input_len = strlen(token);
    rq.now = pj_now();
    rq.host = r->host;
    rq.pop_unproven_ok = true;
    rq.log = &log;
    pj_decide(&rq, &d);
    res = d.result;
    snprintf(reason, rsz, "%s", d.reason);
    pj_decision_free(&d);
    if (first)
        *first = pl.first;
    else
        free(pl.first);
    return res;
}

/* The probe configuration: jwks_file = set, any subject, the algorithms. */
static int write_probe_conf(const pj_refresh *r, const char *path, const char *set)
{
    char text[1024];
    int n = snprintf(text, sizeof(text), "jwks_file = %s\nallowed_subjects = *\nalgorithms =", set);
    for (int a = 0; a < PJ_ALG_COUNT && n > 0 && (size_t)n < sizeof(text); a++)
        if (r->algs & (1u << a))
            n += snprintf(text + n, sizeof(text) - (size_t)n, " %s", pj_alg_get((pj_alg)a)->name);
    if (n < 0 || (size_t)n + 2 > sizeof(text)) {
        pj_refresh_say(LOG_ERR, "cannot write %s", path);
        return -1;
    }
    text[n++] = '\n';
    return pj_refresh_write(path, text, (size_t)n);
}

/* One algorithm a key may verify, with the length of its signatures. */
typedef struct cand {
    pj_alg alg;
    size_t sig_bytes;
} cand;

/* The algorithms of key k that the configuration allows, at most 6. */
static size_t candidates(const pj_refresh *r, json_t *k, cand *out)
{
    const char *kty = json_string_value(json_object_get(k, "kty"));
    const char *crv = json_string_value(json_object_get(k, "crv"));
    json_t *kalg = json_object_get(k, "alg");
    size_t n = 0, m = 0;
    cand all[6];

    if (kty == NULL)
        return 0;
    if (strcmp(kty, "RSA") == 0) {
        const char *nn = json_string_value(json_object_get(k, "n"));
        size_t bytes = nn ? json_string_length(json_object_get(k, "n")) * 3 / 4 : 0;
        static const pj_alg rsa[] = {PJ_ALG_RS256, PJ_ALG_RS384, PJ_ALG_RS512,
                                     PJ_ALG_PS256, PJ_ALG_PS384, PJ_ALG_PS512};
        if (bytes == 0)
            return 0;
        for (size_t i = 0; i < 6; i++)
            all[m++] = (cand){rsa[i], bytes};
    } else if (strcmp(kty, "EC") == 0 && crv) {
        if (strcmp(crv, "P-256") == 0)
            all[m++] = (cand){PJ_ALG_ES256, 64};
        else if (strcmp(crv, "P-384") == 0)
            all[m++] = (cand){PJ_ALG_ES384, 96};
        else if (strcmp(crv, "P-521") == 0)
            all[m++] = (cand){PJ_ALG_ES512, 132};
    } else if (strcmp(kty, "OKP") == 0 && crv) {
        if (strcmp(crv, "Ed25519") == 0)
            all[m++] = (cand){PJ_ALG_EDDSA, 64};
        else if (strcmp(crv, "Ed448") == 0)
            all[m++] = (cand){PJ_ALG_EDDSA, 114};
    }
    for (size_t i = 0; i < m; i++) {
        const char *name = pj_alg_get(all[i].alg)->name;
        if (!(r->algs & (1u << all[i].alg)))
            continue;
        if (kalg != NULL && !json_is_null(kalg) &&
            !(json_is_string(kalg) && strcmp(json_string_value(kalg), name) == 0))
            continue;
        out[n++] = all[i];
    }
    return n;
}

/* The dummy token: header {"alg":ALG[,"kid":KID]}, claims {}, and an
 * all-zero signature of the length ALG has with this key (a shorter one
 * would be refused as cut off before the key is tried).  malloc'd. */
static char *dummy_token(pj_alg alg, json_t *kid, size_t sig_bytes)
{
    json_t *h = json_pack("{s:s}", "alg", pj_alg_get(alg)->name);
    char *hj = NULL, *hb = NULL, *tok = NULL;
    size_t zeros = (sig_bytes * 4 + 2) / 3;

    if (h && kid && json_object_set(h, "kid", kid) == 0)
        hj = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
    else if (h && !kid)
        hj = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
    hb = hj ? pj_b64url_encode((const unsigned char *)hj, strlen(hj)) : NULL;
    if (hb) {
        size_t hl = strlen(hb);
        tok = malloc(hl + 5 + zeros + 1);
        if (tok) {
            memcpy(tok, hb, hl);
            memcpy(tok + hl, ".e30.", 5);
            memset(tok + hl + 5, 'A', zeros);
            tok[hl + 5 + zeros] = '\0';
        }
    }
    free(hj);
    free(hb);
    json_decref(h);
    return tok;
}

/* The kid as messages show it: "kid K", "no kid", or "kid ?" when it is
 * not 1 to 64 bytes of printable ASCII. */
static void kid_words(json_t *kid, char *buf, size_t sz)
{
    const char *s = json_string_value(kid);
    size_t n = s ? json_string_length(kid) : 0;
    bool ok = n > 0 && n <= 64;
    for (size_t i = 0; ok && i < n; i++)
        ok = (unsigned char)s[i] >= 0x21 && (unsigned char)s[i] <= 0x7e;
    if (kid == NULL)
        snprintf(buf, sz, "no kid");
    else
        snprintf(buf, sz, "kid %s", ok ? s : "?");
}

typedef struct state {
    pj_refresh *r;
    unsigned usable;
    /* tokens without kid in the whole set, per algorithm: 0 unknown, -1
     * usable, else the number of keys that fit (refused) */
    long kidless[PJ_ALG_COUNT];
} state;

/* Probe key i (k) for one algorithm.  1: it verifies; 0: it cannot (noted);
 * -1: failure (said). */
static int probe_one(state *st, size_t i, json_t *k, json_t *kid, const cand *c)
{
    pj_refresh *r = st->r;
    json_t *set = json_pack("{s:[O]}", "keys", k);
    char *text = set ? json_dumps(set, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    char *tok = dummy_token(c->alg, kid, c->sig_bytes), *first = NULL;
    char reason[256], kw[96], note[512];
    const char *name = pj_alg_get(c->alg)->name;
    int rc = -1;

    json_decref(set);
    if (text == NULL || tok == NULL) {
        pj_refresh_say(LOG_ERR, "out of memory");
        goto out;
    }
    if (pj_refresh_write(r->one_path, text, strlen(text)) != 0)
        goto out;
    if (try_token(r, r->probe1_path, tok, reason, sizeof(reason), &first) == PJ_UNAVAIL) {
        char *why = pj_refresh_names(r, first ? first : reason);
        pj_refresh_say(LOG_ERR, "the new JWK Set does not load on its own: %s", why ? why : reason);
        free(why);
        goto out;
    }
    kid_words(kid, kw, sizeof(kw));
    if (strcmp(reason, "bad signature (1 key tried)") != 0) {
        snprintf(note, sizeof(note), "key #%zu (%s) cannot verify %s: %s", i, kw, name, reason);
        pj_refresh_note(r, note);
        rc = 0;
        goto out;
    }
    if (kid == NULL) {
        if (st->kidless[c->alg] == 0) {
            static const char pre[] = "token has no kid and ";
            free(first);
            first = NULL;
            if (try_token(r, r->probe_path, tok, reason, sizeof(reason), NULL) == PJ_REFUSE &&
                strncmp(reason, pre, sizeof(pre) - 1) == 0)
                st->kidless[c->alg] = strtol(reason + sizeof(pre) - 1, NULL, 10);
            else
                st->kidless[c->alg] = -1;
        }
        if (st->kidless[c->alg] > 0) {
            snprintf(note, sizeof(note),
                     "key #%zu has no kid and %ld keys of the set fit %s: pam_jwt refuses tokens "
                     "without kid when more than 8 keys fit them, so no token can use this key "
                     "(give it a kid)",
                     i, st->kidless[c->alg], name);
            pj_refresh_note(r, note);
            rc = 0;
            goto out;
        }
    }
    rc = 1;
out:
    free(first);
    free(text);
    free(tok);
    return rc;
}

int pj_refresh_probe(pj_refresh *r, const char *text, size_t len, unsigned *usable,
                     size_t *nkeys)
{
    json_error_t err;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err), *keys, *k;
    state st = {r, 0, {0}};
    size_t i;
    int rc = -1;

    *usable = 0;
    *nkeys = 0;
    if (doc == NULL) { /* step 4a has loaded it: not reached */
        pj_refresh_say(LOG_ERR, "cannot read the keys of the new JWK Set: %s", err.text);
        return -1;
    }
    if (write_probe_conf(r, r->probe_path, r->new_path) != 0 ||
        write_probe_conf(r, r->probe1_path, r->one_path) != 0)
        goto out;
    keys = json_object_get(doc, "keys");
    *nkeys = json_is_array(keys) ? json_array_size(keys) : 0;
    json_array_foreach(keys, i, k) {
        json_t *kid = json_object_get(k, "kid"), *use = json_object_get(k, "use");
        cand c[6];
        size_t nc;
        if (i >= MAX_PROBED_KEYS || !json_is_object(k))
            continue;
        if (use != NULL && !json_is_null(use) &&
            !(json_is_string(use) && strcmp(json_string_value(use), "sig") == 0))
            continue;
        if (!(json_is_string(kid) && json_string_length(kid) > 0))
            kid = NULL;
        nc = candidates(r, k, c);
        for (size_t j = 0; j < nc; j++) {
            int p;
            if (st.usable & (1u << c[j].alg) && j > 0)
                continue; /* this key verified before, and some key verifies this alg */
            p = probe_one(&st, i, k, kid, &c[j]);
            if (p < 0)
                goto out;
            if (p == 0)
                break; /* a failure is not specific to the algorithm */
            st.usable |= 1u << c[j].alg;
        }
    }
    *usable = st.usable;
    rc = 0;
out:
    json_decref(doc);
    return rc;
}
