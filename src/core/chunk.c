/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "chunk.h"

#include "jose.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool pj_chunk_started(const char *first)
{
    return first != NULL && strncmp(first, PJ_CHUNK_PREFIX, strlen(PJ_CHUNK_PREFIX)) == 0;
}

int pj_chunk_header(const char *first, size_t *len, const char **piece)
{
    const char *p = first + strlen(PJ_CHUNK_PREFIX);
    size_t v = 0, digits = 0;
    if (!pj_chunk_started(first))
        return -1;
    /* 1 to 5 decimal digits, no sign, no leading zero */
    for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
        v = v * 10 + (size_t)(*p - '0');
    if (digits == 0 || digits > 5 || first[strlen(PJ_CHUNK_PREFIX)] == '0' || *p != ':' ||
        v < 1 || v > PJ_MAX_TOKEN)
        return -1;
    *len = v;
    *piece = p + 1;
    return 0;
}

/* Append a piece of n bytes; -1 when it is empty or would pass len. */
static int append(char *buf, size_t *got, size_t len, const char *piece, size_t n)
{
    if (n == 0 || n > len - *got)
        return -1;
    memcpy(buf + *got, piece, n);
    *got += n;
    return 0;
}

pj_chunk_result pj_chunk_collect(const char *first, pj_ask_fn ask, void *ctx, char **tok,
                                 const char **why)
{
    size_t len, got = 0;
    const char *piece;
    char *buf;
    *tok = NULL;
    *why = NULL;
    if (!pj_chunk_started(first))
        return PJ_CHUNK_NONE;
    if (pj_chunk_header(first, &len, &piece) != 0) {
        *why = "malformed chunked answer header";
        return PJ_CHUNK_BAD;
    }
    if ((buf = malloc(len + 1)) == NULL) {
        *why = "out of memory";
        return PJ_CHUNK_BAD;
    }
    pj_chunk_result r = PJ_CHUNK_DONE;
    if (append(buf, &got, len, piece, strlen(piece)) != 0) {
        *why = strlen(piece) == 0 ? "empty piece" : "piece goes past the announced length";
        r = PJ_CHUNK_BAD;
    }
    for (unsigned round = 0; r == PJ_CHUNK_DONE && got < len; round++) {
        /* never cut: two numbers of at most 20 digits */
        char prompt[sizeof("pamjwt-continue /: ") + 2 * 20], *ans = NULL;
        if (round == PJ_CHUNK_MAX_ROUNDS) {
            *why = "more than 64 continuation prompts";
            r = PJ_CHUNK_BAD;
            break;
        }
        snprintf(prompt, sizeof(prompt), "pamjwt-continue %zu/%zu: ", got, len);
        if (ask(ctx, prompt, &ans) != 0 || ans == NULL) {
            *why = "conversation failed";
            r = PJ_CHUNK_CONV;
        } else if (append(buf, &got, len, ans, strlen(ans)) != 0) {
            *why = ans[0] == '\0' ? "empty piece" : "piece goes past the announced length";
            r = PJ_CHUNK_BAD;
        }
        pj_free_str(ans);
    }
    if (r != PJ_CHUNK_DONE) {
        pj_wipe_free(buf, len + 1);
        return r;
    }
    buf[len] = '\0';
    *tok = buf;
    return PJ_CHUNK_DONE;
}

pj_chunk_result pj_chunk_complete(char **answer, pj_ask_fn ask, void *ctx, const char **why)
{
    char *whole = NULL;
    pj_chunk_result r = pj_chunk_collect(*answer, ask, ctx, &whole, why);
    if (r == PJ_CHUNK_NONE)
        return r;
    pj_free_str(*answer);
    *answer = whole; /* NULL unless DONE */
    return r;
}

pj_chunk_result pj_chunk_ask(pj_ask_fn ask, void *ctx, const char *prompt, char **answer,
                             const char **why)
{
    *answer = NULL;
    *why = NULL;
    if (ask(ctx, prompt, answer) != 0 || *answer == NULL) {
        pj_free_str(*answer);
        *answer = NULL;
        return PJ_CHUNK_NO_ANSWER;
    }
    return pj_chunk_complete(answer, ask, ctx, why);
}
