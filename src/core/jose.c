/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "jose.h"

#include "b64url.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

const char PJ_WHY_TOO_DEEP[] = "JSON nested too deeply";
const char PJ_WHY_INVALID[] = "not valid JSON (or duplicate member names)";
const char PJ_WHY_NOT_OBJECT[] = "not a JSON object";
const char PJ_WHY_SIG_B64[] = "signature is not base64url";

bool pj_jwt_shaped(const char *s, size_t n)
{
    size_t dots = 0, seg = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (seg == 0 || ++dots > 2)
                return false;
            seg = 0;
        } else if (pj_b64url_char((unsigned char)s[i])) {
            seg++;
        } else {
            return false;
        }
    }
    return dots == 2 && seg > 0;
}

/* Reject nesting deeper than the limit before jansson sees the text, so a
 * 100,000-level document costs one linear scan and no recursion. */
static bool depth_ok(const char *t, size_t n)
{
    int depth = 0;
    bool str = false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                str = false;
        } else if (c == '"') {
            str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > PJ_MAX_JSON_DEPTH)
                return false;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return true;
}

json_t *pj_json_object(const char *text, size_t n, const char **why)
{
    json_error_t err;
    json_t *j;
    /* A raw NUL byte is never valid JSON, but jansson 2.14 skips one that
     * follows a number ({"exp":1<NUL>}): refuse it here, for every JSON
     * text read through this function (tokens, proofs, JWK Sets). */
    if (memchr(text, '\0', n) != NULL) {
        *why = PJ_WHY_INVALID;
        return NULL;
    }
    if (!depth_ok(text, n)) {
        *why = PJ_WHY_TOO_DEEP;
        return NULL;
    }
    /* JSON_REJECT_DUPLICATES: {"sub":"alice","sub":"root"} must not be read
     * one way here and another way by someone else.  NUL in strings is
     * refused because JSON_ALLOW_NUL is not given. */
    j = json_loadb(text, n, JSON_REJECT_DUPLICATES, &err);
    if (j == NULL) {
        *why = PJ_WHY_INVALID;
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        *why = PJ_WHY_NOT_OBJECT;
        return NULL;
    }
    return j;
}

static const char *const part_why[2][4] = {
    {"claims are not base64url", "claims are not valid JSON (or have duplicate members)",
     "claims are not a JSON object", "claims JSON nested too deeply"},
    {"header is not base64url", "header is not valid JSON (or has duplicate members)",
     "header is not a JSON object", "header JSON nested too deeply"},
};

static json_t *decode_part(const char *s, size_t n, int is_header, const char **why)
{
    size_t len;
    const char *inner = NULL;
    unsigned char *raw = pj_b64url_decode(s, n, &len);
    json_t *j;
    if (raw == NULL) {
        *why = part_why[is_header][0];
        return NULL;
    }
    j = pj_json_object((const char *)raw, len, &inner);
    pj_wipe_free(raw, len + 1);
    if (j == NULL)
        *why = part_why[is_header][inner == PJ_WHY_NOT_OBJECT ? 2 : inner == PJ_WHY_TOO_DEEP ? 3 : 1];
    return j;
}

int pj_jws_parse(const char *tok, size_t n, pj_jws *out, const char **why)
{
    const char *d1, *d2;
    memset(out, 0, sizeof(*out));
    d1 = memchr(tok, '.', n);
    if (d1 == NULL)
        goto shape;
    d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - tok));
    if (d2 == NULL || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - tok)) != NULL)
        goto shape;
    out->header = decode_part(tok, (size_t)(d1 - tok), 1, why);
    if (out->header == NULL)
        goto fail;
    out->claims = decode_part(d1 + 1, (size_t)(d2 - d1 - 1), 0, why);
    if (out->claims == NULL)
        goto fail;
    out->sig = pj_b64url_decode(d2 + 1, n - (size_t)(d2 + 1 - tok), &out->sig_len);
    if (out->sig == NULL) {
        *why = PJ_WHY_SIG_B64;
        goto fail;
    }
    out->signing_len = (size_t)(d2 - tok);
    return 0;
shape:
    *why = "not a compact JWS";
fail:
    pj_jws_free(out);
    return -1;
}

int pj_jws_parse_header(const char *tok, size_t n, pj_jws *out, const char **why)
{
    const char *d1 = memchr(tok, '.', n);
    memset(out, 0, sizeof(*out));
    if (d1 == NULL) {
        *why = "not a compact JWS";
        return -1;
    }
    out->header = decode_part(tok, (size_t)(d1 - tok), 1, why);
    return out->header ? 0 : -1;
}

void pj_jws_free(pj_jws *j)
{
    if (j->sig)
        pj_wipe_free(j->sig, j->sig_len + 1);
    if (j->header)
        json_decref(j->header);
    if (j->claims)
        json_decref(j->claims);
    memset(j, 0, sizeof(*j));
}
