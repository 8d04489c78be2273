/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "claims.h"

#include "log.h"
#include "scope.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Write "msg" or "msg: arg" (arg sanitized) as the reason. */
static int fail(char *why, size_t sz, const char *msg, const char *arg)
{
    char safe[80];
    if (arg) {
        pj_sanitize(safe, sizeof(safe), arg, strlen(arg));
        pj_format(why, sz, "%s: %s", msg, safe);
    } else {
        pj_format(why, sz, "%s", msg);
    }
    return -1;
}

/* The line for the person at the prompt (tell may be NULL: not wanted). */
static void told(char *tell, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void told(char *tell, size_t sz, const char *fmt, ...)
{
    va_list ap;
    if (tell == NULL || sz == 0)
        return;
    va_start(ap, fmt);
    pj_vformat(tell, sz, fmt, ap);
    va_end(ap);
}

void pj_utc_minute(double t, char *buf, size_t sz)
{
    struct tm tm;
    time_t tt;
    /* a NumericDate far outside the calendar (or NaN) is not a time */
    if (!(t > -62135596800.0 && t < 253402300800.0)) {
        snprintf(buf, sz, "a time out of range");
        return;
    }
    tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, sz, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(buf, sz, "a time out of range");
}

/* "Token is for A, this host takes B.": the token's aud, sanitized and
 * short (its first member when it is an array). */
static void tell_audience(char *tell, size_t sz, const char *want, json_t *aud)
{
    char w[100], g[100];
    json_t *first = json_is_array(aud) ? json_array_get(aud, 0) : aud;
    size_t more = json_is_array(aud) && json_array_size(aud) > 0 ? json_array_size(aud) - 1 : 0;
    pj_sanitize(w, sizeof(w), want, strlen(want));
    if (aud == NULL || (json_is_array(aud) && json_array_size(aud) == 0)) {
        told(tell, sz, "Token names no audience, this host takes %s.", w);
        return;
    }
    if (!json_is_string(first)) {
        told(tell, sz, "Token's audience is not a list of names, this host takes %s.", w);
        return;
    }
    pj_sanitize(g, sizeof(g), json_string_value(first), json_string_length(first));
    if (more > 0)
        told(tell, sz, "Token is for %s and %zu other%s, this host takes %s.", g, more,
             more == 1 ? "" : "s", w);
    else
        told(tell, sz, "Token is for %s, this host takes %s.", g, w);
}

/* A NumericDate member: absent (1), a number (0, *v set), or bad (-1). */
static int numeric_date(json_t *claims, const char *name, double *v)
{
    json_t *m = json_object_get(claims, name);
    if (m == NULL)
        return 1;
    if (!json_is_number(m))
        return -1;
    *v = json_number_value(m);
    return 0;
}

/* Does a claim value contain / equal want?  Strings match exactly or as one
 * word of a space-separated list (OAuth "scope"); arrays match when an
 * element does; numbers and booleans match their JSON text. */
static bool value_matches(json_t *v, const char *want, bool in_array)
{
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t wl = strlen(want);
        if (strcmp(s, want) == 0)
            return true;
        if (in_array)
            return false;
        for (const char *p = s; *p;) {
            size_t l = strcspn(p, " ");
            if (l == wl && memcmp(p, want, wl) == 0)
                return true;
            p += l;
            while (*p == ' ')
                p++;
        }
        return false;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *e;
        if (in_array)
            return false;
        json_array_foreach(v, i, e)
            if (value_matches(e, want, true))
                return true;
        return false;
    }
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return strcmp(buf, want) == 0;
    case JSON_TRUE:
        return strcmp(want, "true") == 0;
    case JSON_FALSE:
        return strcmp(want, "false") == 0;
    default:
        return false;
    }
}

/* "wrong issuer: expected A, got B": both values sanitized and cut. */
static int mismatch(char *why, size_t sz, const char *what, const char *want, json_t *got)
{
    char w[120], g[200];
    pj_sanitize(w, sizeof(w), want, strlen(want));
    if (json_is_string(got)) {
        pj_sanitize(g, sizeof(g), json_string_value(got), json_string_length(got));
    } else {
        /* an array of audiences: its compact JSON, sanitized */
        char *txt = json_dumps(got, JSON_COMPACT | JSON_ENSURE_ASCII);
        pj_sanitize(g, sizeof(g), txt ? txt : "?", txt ? strlen(txt) : 1);
        free(txt);
    }
    pj_format(why, sz, "wrong %s: expected %s, got %s", what, w, g);
    return -1;
}

int pj_check_claims(const pj_config *c, json_t *claims, double now, const pj_scope *scope,
                    char *why, size_t sz)
{
    return pj_check_claims_as(c, claims, now, scope, c->audience, why, sz, NULL, 0);
}

/* aud (a string, or an array of strings) names want, byte for byte. */
bool pj_aud_contains(const json_t *aud, const char *want)
{
    size_t i;
    json_t *e;
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    json_array_foreach(aud, i, e)
        if (json_is_string(e) && strcmp(json_string_value(e), want) == 0)
            return true;
    return false;
}

int pj_check_claims_as(const pj_config *c, json_t *claims, double now, const pj_scope *scope,
                       const char *audience, char *why, size_t sz, char *tell, size_t tsz)
{
    static const char lacks[] = "Token has a malformed time claim: get a new one.";
    char want[PJ_MAX_LINE + 1], when[40];
    double exp = 0, nbf = 0, iat = 0, leeway = (double)c->leeway;
    int r;

    r = numeric_date(claims, "exp", &exp);
    if (r != 0)
        told(tell, tsz, "Token has no expiry time (exp): this host takes only tokens that "
                        "expire.");
    if (r == 1)
        return fail(why, sz, "no exp claim", NULL);
    if (r < 0)
        return fail(why, sz, "exp is not a number", NULL);
    if (now > exp + leeway) {
        pj_utc_minute(exp, when, sizeof(when));
        told(tell, tsz, "Token expired at %s: get a new one.", when);
        return fail(why, sz, "token expired", NULL);
    }

    r = numeric_date(claims, "nbf", &nbf);
    if (r < 0) {
        told(tell, tsz, "%s", lacks);
        return fail(why, sz, "nbf is not a number", NULL);
    }
    if (r == 0 && now + leeway < nbf) {
        pj_utc_minute(nbf, when, sizeof(when));
        told(tell, tsz, "Token is not valid before %s.", when);
        return fail(why, sz, "token not yet valid (nbf)", NULL);
    }

    r = numeric_date(claims, "iat", &iat);
    if (r < 0) {
        told(tell, tsz, "%s", lacks);
        return fail(why, sz, "iat is not a number", NULL);
    }
    if (r == 0 && iat > now + leeway) {
        pj_utc_minute(iat, when, sizeof(when));
        told(tell, tsz, "Token was issued in the future (%s): check the clocks.", when);
        return fail(why, sz, "token issued in the future (iat)", NULL);
    }

    if (c->max_lifetime > 0) {
        double life = (r == 0 ? exp - iat : exp - now);
        if (life > (double)c->max_lifetime) {
            told(tell, tsz, "Token lives longer than this host allows: get a shorter-lived one.");
            return fail(why, sz, "token lifetime exceeds max_lifetime", NULL);
        }
    }

    if (c->issuer) {
        const char *iss = json_string_value(json_object_get(claims, "iss"));
        told(tell, tsz, "Token is not from an issuer this host trusts.");
        if (iss == NULL)
            return fail(why, sz, "no iss claim (issuer is required)", NULL);
        if (strcmp(iss, c->issuer) != 0)
            return mismatch(why, sz, "issuer", c->issuer, json_object_get(claims, "iss"));
    }

    if (audience) {
        json_t *aud = json_object_get(claims, "aud");
        if ((r = pj_scope_expand(audience, scope, want, sizeof(want))) != 0) {
            told(tell, tsz, "Token login is unavailable on this host (see the system log).");
            pj_format(why, sz, "%s %s", audience == c->audience ? "audience" : "device_audience",
                      pj_scope_error(r));
            return -1;
        }
        tell_audience(tell, tsz, want, aud);
        if (aud == NULL)
            return fail(why, sz, "no aud claim (audience is required)", NULL);
        if (!json_is_string(aud) && !json_is_array(aud))
            return fail(why, sz, "aud is neither a string nor an array", NULL);
        if (!pj_aud_contains(aud, want))
            return mismatch(why, sz, "audience", want, aud);
    }

    for (size_t i = 0; i < c->nreqs; i++) {
        json_t *v = json_object_get(claims, c->reqs[i].name);
        told(tell, tsz, "Token lacks a claim or value this host requires (a scope or group?).");
        if (v == NULL)
            return fail(why, sz, "required claim missing", c->reqs[i].name);
        if ((r = pj_scope_expand(c->reqs[i].value, scope, want, sizeof(want))) != 0) {
            char safe[80];
            pj_sanitize(safe, sizeof(safe), c->reqs[i].name, strlen(c->reqs[i].name));
            told(tell, tsz, "Token login is unavailable on this host (see the system log).");
            pj_format(why, sz, "require_claim %s %s", safe, pj_scope_error(r));
            return -1;
        }
        if (!value_matches(v, want, false))
            return fail(why, sz, "required claim does not match", c->reqs[i].name);
    }
    return 0;
}
