/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: the device sign-in helper's output as the module
 * reads it (src/core/device_reply.c).
 *   input = byte 0 picks the size of the pieces the stream arrives in,
 *   the rest is what the helper wrote.
 * Properties besides "no sanitizer report":
 *   - the events do not depend on how the stream is split (whole, and in
 *     pieces of 1 to 256 bytes, give the same events and the same token);
 *   - SHOW comes first, at most once, with URIs pj_dr_uri_ok accepts
 *     (https, loopback http, no user information, bounded) and a user code
 *     of letters, digits and '-' (at most 32);
 *   - a token comes only after SHOW, JWT-shaped and at most PJ_MAX_TOKEN
 *     bytes; nothing but BAD follows a result;
 *   - BAD always carries a reason;
 *   - the same bytes as the helper's request (pj_dr_request_read): what
 *     it accepts is written back by pj_dr_request_write and read again
 *     the same. */
#include "config.h"

#define FUZZ_NAME "fuzz_device"
#include "fuzz.h"

#include "device_reply.h"
#include "jose.h"

#include <stdbool.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 8

typedef struct run {
    pj_dr_event ev[MAX_EVENTS];
    size_t n;
    char *token;
} run;

static bool visible(const char *s, size_t max, bool space)
{
    size_t n = strlen(s);
    if (n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < (space ? 0x20 : 0x21) || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

/* Feed the stream in pieces of `piece` bytes (0: whole), as the module
 * does: stop at BAD or a result. */
static void feed(const char *buf, size_t len, size_t piece, run *out)
{
    static pj_dreader r;
    size_t off = 0;
    bool shown = false;
    pj_dr_init(&r);
    memset(out, 0, sizeof(*out));
    while (off < len && out->n < MAX_EVENTS) {
        size_t want = piece == 0 || len - off < piece ? len - off : piece, used = 0;
        pj_dr_event e = pj_dr_feed(&r, buf + off, want, &used);
        CHECK(used <= want && (used == want || e != PJ_DR_MORE));
        off += used;
        if (e == PJ_DR_MORE)
            continue;
        out->ev[out->n++] = e;
        if (e == PJ_DR_SHOW) {
            CHECK(!shown);
            shown = true;
            CHECK(strncmp(r.uri, "https://", 8) == 0 || strncmp(r.uri, "http://", 7) == 0);
            CHECK(r.uri[0] && visible(r.uri, PJ_DR_MAX_URI, false) && pj_dr_uri_ok(r.uri));
            CHECK(r.code[0] && visible(r.code, PJ_DR_MAX_CODE, false) && pj_dr_code_ok(r.code));
            CHECK(r.code[strspn(r.code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789-")] == '\0');
            CHECK(visible(r.complete, PJ_DR_MAX_URI, false));
            CHECK(r.complete[0] == '\0' || pj_dr_uri_ok(r.complete));
            continue;
        }
        if (e == PJ_DR_BAD) {
            CHECK(r.why != NULL);
            break;
        }
        if (e == PJ_DR_TOKEN) {
            CHECK(shown && r.token != NULL);
            CHECK(strlen(r.token) <= PJ_MAX_TOKEN && pj_jwt_shaped(r.token, strlen(r.token)));
            out->token = strdup(r.token);
        }
        /* a result: the next byte, if any, is malformed */
        if (off < len) {
            size_t u;
            CHECK(pj_dr_feed(&r, buf + off, len - off, &u) == PJ_DR_BAD && u >= 1);
        }
        break;
    }
    pj_dr_wipe(&r);
}

static void request(const char *data, size_t size)
{
    static char buf[PJ_DR_MAX_REQUEST + 1], out[PJ_DR_MAX_REQUEST + 1], again[PJ_DR_MAX_REQUEST + 1];
    pj_dr_request a, b;
    const char *why = NULL;
    if (size > PJ_DR_MAX_REQUEST)
        return;
    memcpy(buf, data, size);
    buf[size] = '\0';
    if (pj_dr_request_read(buf, size, &a, &why) != 0) {
        CHECK(why != NULL);
        return;
    }
    int n = pj_dr_request_write(&a, out, sizeof(out));
    if (n < 0)
        return; /* e.g. a scope the module would never write */
    memcpy(again, out, (size_t)n + 1);
    CHECK(pj_dr_request_read(again, (size_t)n, &b, &why) == 0);
    CHECK(strcmp(a.issuer, b.issuer) == 0 && strcmp(a.client_id, b.client_id) == 0);
    CHECK(a.timeout == b.timeout && (a.ca_file == NULL) == (b.ca_file == NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run whole, split;
    size_t piece;
    if (size < 1)
        return 0;
    piece = (size_t)data[0] + 1;
    feed((const char *)data + 1, size - 1, 0, &whole);
    feed((const char *)data + 1, size - 1, piece, &split);
    CHECK(whole.n == split.n);
    for (size_t i = 0; i < whole.n; i++)
        CHECK(whole.ev[i] == split.ev[i]);
    CHECK((whole.token == NULL) == (split.token == NULL));
    CHECK(whole.token == NULL || strcmp(whole.token, split.token) == 0);
    free(whole.token);
    free(split.token);
    request((const char *)data + 1, size - 1);
    return 0;
}
