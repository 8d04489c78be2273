#include "config.h"

#include "device_reply.h"

#include "jose.h"
#include "util.h"

#include <stdbool.h>
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

const char *pj_dr_name(pj_dr_event e)
{
    switch (e) {
    case PJ_DR_MORE: return "more";
    case PJ_DR_SHOW: return "show";
    case PJ_DR_TOKEN: return "token";
    case PJ_DR_DENIED: return "denied";
    case PJ_DR_EXPIRED: return "expired";
    case PJ_DR_TIMEOUT: return "timeout";
    case PJ_DR_FAILED: return "error";
    case PJ_DR_BAD: return "malformed";
    }
    return "?";
}

static pj_dr_event bad(pj_dreader *r, const char *why)
{
    r->state = BROKEN;
    r->why = why;
    explicit_bzero(r->line, sizeof(r->line));
    r->n = 0;
    return PJ_DR_BAD;
}

/* The next space-separated word of [*p, end): visible ASCII, 1..max bytes,
 * copied to out (max + 1 bytes).  -1 when there is none or it is too long. */
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

static bool uri_ok(const char *u)
{
    return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0;
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
        if (word(&p, end, r->uri, PJ_DR_MAX_URI) != 0 || !uri_ok(r->uri))
            return bad(r, "show: bad verification URI");
        if (word(&p, end, r->code, PJ_DR_MAX_CODE) != 0)
            return bad(r, "show: bad user code");
        r->complete[0] = '\0';
        if (p < end && (word(&p, end, r->complete, PJ_DR_MAX_URI) != 0 || !uri_ok(r->complete)))
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
