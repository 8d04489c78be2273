/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "device_reply.h"

#include "jose.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WANT_SHOW, WANT_RESULT, DONE, BROKEN };

void pj_dr_init(pj_dreader *r)
{
    memset(r, 0, sizeof(*r));
    r->state = WANT_SHOW;
}

void pj_dr_wipe(pj_dreader *r)
{
    explicit_bzero(r->line, sizeof(r->line));
    pj_free_str(r->token);
    r->token = NULL;
    r->n = 0;
}

static pj_dr_event bad(pj_dreader *r, const char *why)
{
    r->state = BROKEN;
    r->why = why;
    explicit_bzero(r->line, sizeof(r->line));
    r->n = 0;
    return PJ_DR_BAD;
}

/* The next space-separated word of [*p, end), 1..max bytes, copied to out
 * (max + 1 bytes).  -1 when there is none or it is too long.  (Every byte
 * of the line is visible ASCII or space: pj_dr_feed checked.) */
static int word(const char **p, const char *end, char *out, size_t max)
{
    const char *s = *p, *e = memchr(s, ' ', (size_t)(end - s));
    size_t n;
    if (e == NULL)
        e = end;
    n = (size_t)(e - s);
    if (n == 0 || n > max)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    *p = e < end ? e + 1 : e;
    return 0;
}

bool pj_dr_value_ok(const char *s, size_t max, bool spaces)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < (spaces ? 0x20 : 0x21) || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

bool pj_dr_code_ok(const char *c)
{
    size_t n = strlen(c);
    if (n == 0 || n > PJ_DR_MAX_CODE)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= 'A' && c[i] <= 'Z') ||
              (c[i] >= '0' && c[i] <= '9') || c[i] == '-'))
            return false;
    return true;
}

/* http only to the loopback host, for tests: the authority is exactly
 * 127.0.0.1 or localhost, with or without a port. */
static bool loopback(const char *auth, size_t n)
{
    static const char *const hosts[] = {"127.0.0.1", "localhost"};
    for (size_t i = 0; i < 2; i++) {
        size_t h = strlen(hosts[i]);
        if (n >= h && memcmp(auth, hosts[i], h) == 0 && (n == h || auth[h] == ':'))
            return true;
    }
    return false;
}

bool pj_dr_uri_ok(const char *u)
{
    const char *auth;
    size_t an;
    bool https = strncmp(u, "https://", 8) == 0;
    if (!pj_dr_value_ok(u, PJ_DR_MAX_URI, false) || (!https && strncmp(u, "http://", 7) != 0))
        return false;
    auth = u + (https ? 8 : 7);
    an = strcspn(auth, "/?#");
    if (an == 0 || memchr(auth, '@', an) != NULL) /* no user information */
        return false;
    return https || loopback(auth, an);
}

/* One complete line, r->line[0..n), every byte visible ASCII or space. */
static pj_dr_event line(pj_dreader *r)
{
    const char *p = r->line, *end = r->line + r->n;
    if (r->n > 6 && memcmp(p, "error ", 6) == 0) {
        static const struct { const char *w; pj_dr_event e; } words[] = {
            {"denied", PJ_DR_DENIED}, {"expired", PJ_DR_EXPIRED},
            {"timeout", PJ_DR_TIMEOUT}, {"error", PJ_DR_FAILED}};
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
            if (r->n - 6 == strlen(words[i].w) && memcmp(p + 6, words[i].w, r->n - 6) == 0) {
                r->state = DONE;
                return words[i].e;
            }
        return bad(r, "unknown error word");
    }
    if (r->state == WANT_SHOW) {
        if (r->n < 5 || memcmp(p, "show ", 5) != 0)
            return bad(r, "expected a show line first");
        p += 5;
        if (word(&p, end, r->uri, PJ_DR_MAX_URI) != 0 || !pj_dr_uri_ok(r->uri))
            return bad(r, "show: bad verification URI");
        if (word(&p, end, r->code, PJ_DR_MAX_CODE) != 0 || !pj_dr_code_ok(r->code))
            return bad(r, "show: bad user code");
        r->complete[0] = '\0';
        if (p < end && (word(&p, end, r->complete, PJ_DR_MAX_URI) != 0 || !pj_dr_uri_ok(r->complete)))
            return bad(r, "show: bad complete verification URI");
        if (p != end || (r->n > 0 && r->line[r->n - 1] == ' '))
            return bad(r, "show: extra words");
        r->state = WANT_RESULT;
        r->n = 0;
        return PJ_DR_SHOW;
    }
    if (r->n < 6 || memcmp(p, "token ", 6) != 0)
        return bad(r, "expected a token or error line");
    p += 6;
    size_t tl = (size_t)(end - p);
    if (tl > PJ_MAX_TOKEN || !pj_jwt_shaped(p, tl))
        return bad(r, "token: not a JWT");
    if ((r->token = pj_strndup(p, tl)) == NULL)
        return bad(r, "out of memory");
    explicit_bzero(r->line, r->n);
    r->n = 0;
    r->state = DONE;
    return PJ_DR_TOKEN;
}

pj_dr_event pj_dr_feed(pj_dreader *r, const char *buf, size_t len, size_t *used)
{
    size_t i = 0;
    pj_dr_event e = PJ_DR_MORE;
    while (i < len && e == PJ_DR_MORE) {
        unsigned char c = (unsigned char)buf[i++];
        if (r->state == DONE || r->state == BROKEN) {
            e = bad(r, r->state == DONE ? "more output after the result" : r->why);
            break;
        }
        if (c == '\n')
            e = line(r);
        else if (c < 0x20 || c > 0x7e)
            e = bad(r, "a byte that is not printable ASCII");
        else if (r->n >= PJ_DR_MAX_LINE || (r->state == WANT_SHOW && r->n >= 2 * PJ_DR_MAX_URI +
                                                                        PJ_DR_MAX_CODE + 8))
            e = bad(r, "line too long");
        else
            r->line[r->n++] = (char)c;
    }
    *used = i;
    return e;
}

/* ------------------------------------------------------------ the request */

int pj_dr_request_write(const pj_dr_request *rq, char *out, size_t sz)
{
    const char *scope = rq->scope ? rq->scope : "openid";
    int n;
    if (rq->issuer == NULL || rq->client_id == NULL || !pj_dr_value_ok(rq->issuer, sz, false) ||
        !pj_dr_value_ok(rq->client_id, sz, false) || (rq->ca_file && !pj_dr_value_ok(rq->ca_file, sz, false)) ||
        !pj_dr_value_ok(scope, sz, true) || rq->timeout < 1 || rq->timeout > PJ_DR_MAX_TIMEOUT)
        return -1;
    n = snprintf(out, sz, "issuer %s\nclient_id %s\nscope %s\ntimeout %ld\n%s%s%s\n", rq->issuer,
                 rq->client_id, scope, rq->timeout, rq->ca_file ? "ca_file " : "",
                 rq->ca_file ? rq->ca_file : "", rq->ca_file ? "\n" : "");
    return n > 0 && (size_t)n < sz && (size_t)n <= PJ_DR_MAX_REQUEST ? n : -1;
}

int pj_dr_request_read(char *buf, size_t n, pj_dr_request *rq, const char **why)
{
    memset(rq, 0, sizeof(*rq));
    if (n < 2 || n > PJ_DR_MAX_REQUEST || buf[n - 1] != '\n' || buf[n - 2] != '\n' ||
        memchr(buf, '\0', n) != NULL) {
        *why = "malformed request from the module";
        return -1;
    }
    buf[n - 1] = '\0'; /* the empty line ends it */
    for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *v = strchr(l, ' ');
        if (v == NULL) {
            *why = "malformed request line from the module";
            return -1;
        }
        *v++ = '\0';
        const char **slot = strcmp(l, "issuer") == 0      ? &rq->issuer
                            : strcmp(l, "client_id") == 0 ? &rq->client_id
                            : strcmp(l, "scope") == 0     ? &rq->scope
                            : strcmp(l, "ca_file") == 0   ? &rq->ca_file
                                                          : NULL;
        uintmax_t t;
        if (slot != NULL && *slot == NULL) {
            if (!pj_dr_value_ok(v, PJ_DR_MAX_REQUEST, slot == &rq->scope)) {
                *why = "request: a value that is not one word";
                return -1;
            }
            *slot = v;
        } else if (strcmp(l, "timeout") == 0 && rq->timeout == 0) {
            if (pj_parse_uint(v, 1, PJ_DR_MAX_TIMEOUT, &t) != 0) {
                *why = "request: timeout out of range";
                return -1;
            }
            rq->timeout = (long)t;
        } else {
            *why = "request: unknown or repeated key";
            return -1;
        }
    }
    if (rq->issuer == NULL || rq->client_id == NULL || rq->timeout == 0) {
        *why = "request: issuer, client_id or timeout missing";
        return -1;
    }
    return 0;
}
