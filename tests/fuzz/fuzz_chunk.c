/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: chunked answers (src/core/chunk.c).
 *   input = the answers the client gives, separated by '\n'; the first is
 *   the answer to the token prompt; an answer that is the single byte
 *   0x01 makes that conversation round fail.
 * Properties besides "no sanitizer report":
 *   - never more than 64 continuation prompts, and none unless the first
 *     answer carries a well-formed header;
 *   - each prompt is exactly "pamjwt-continue N/LEN: " with N the bytes
 *     received so far;
 *   - DONE only when the pieces add up to LEN exactly, and the token is
 *     their concatenation; a NUL never ends up inside it. */
#include "config.h"

#define FUZZ_NAME "fuzz_chunk"
#include "fuzz.h"

#include "chunk.h"
#include "jose.h"
#include "util.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct script {
    char **ans;
    size_t n, next;
    size_t asked, len, got;
    char *concat; /* what the module should have assembled */
    size_t clen;
};

static int ask(void *ctx, const char *prompt, char **answer)
{
    struct script *s = ctx;
    char want[64];
    *answer = NULL;
    s->asked++;
    CHECK(s->asked <= PJ_CHUNK_MAX_ROUNDS);
    snprintf(want, sizeof(want), "pamjwt-continue %zu/%zu: ", s->got, s->len);
    CHECK(strcmp(prompt, want) == 0);
    if (s->next >= s->n || strcmp(s->ans[s->next], "\x01") == 0)
        return -1;
    *answer = strdup(s->ans[s->next++]);
    if (*answer == NULL)
        return -1;
    size_t l = strlen(*answer);
    if (l > 0 && l <= s->len - s->got) {
        memcpy(s->concat + s->clen, *answer, l);
        s->clen += l;
        s->got += l;
    } else {
        s->got = s->len + 1; /* the module must stop now */
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct script s = {0};
    char *text = malloc(size + 1), *tok = NULL;
    const char *why = NULL, *piece = NULL;
    size_t len = 0;
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* an inner NUL cuts an answer, as a C string would */
    s.ans = calloc(size + 2, sizeof(*s.ans));
    for (char *save = NULL, *a = strtok_r(text, "\n", &save); a && s.ans;
         a = strtok_r(NULL, "\n", &save))
        s.ans[s.n++] = a;
    if (s.ans == NULL || s.n == 0) {
        free(s.ans);
        free(text);
        return 0;
    }
    s.next = 1;
    bool header_ok = pj_chunk_header(s.ans[0], &len, &piece) == 0;
    if (header_ok) {
        s.len = len;
        s.concat = malloc(len + 1);
        size_t pl = strlen(piece);
        if (s.concat && pl > 0 && pl <= len) {
            memcpy(s.concat, piece, pl);
            s.clen = s.got = pl;
        } else {
            s.got = len + 1;
        }
    }
    pj_chunk_result r = s.concat || !header_ok ? pj_chunk_collect(s.ans[0], ask, &s, &tok, &why)
                                               : PJ_CHUNK_BAD;
    if (!pj_chunk_started(s.ans[0]))
        CHECK(r == PJ_CHUNK_NONE && s.asked == 0);
    if (!header_ok)
        CHECK(s.asked == 0 && r != PJ_CHUNK_DONE);
    if (r == PJ_CHUNK_DONE) {
        CHECK(header_ok && tok != NULL && s.clen == len && strlen(tok) == len);
        CHECK(memcmp(tok, s.concat, len) == 0);
        CHECK(len >= 1 && len <= PJ_MAX_TOKEN);
    } else {
        CHECK(tok == NULL);
        if (r != PJ_CHUNK_NONE)
            CHECK(why != NULL);
    }
    if (tok)
        pj_wipe_free(tok, len + 1);
    free(s.concat);
    free(s.ans);
    free(text);
    return 0;
}
