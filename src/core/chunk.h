/* SPDX-License-Identifier: BSD-3-Clause */
/* Long tokens in pieces (contract "Long tokens: chunked answers"): the
 * first answer is "pamjwt-chunked:LEN:" and a first piece; the module asks
 * "pamjwt-continue N/LEN: " for the rest. */
#ifndef PJ_CHUNK_H
#define PJ_CHUNK_H

#include <stdbool.h>
#include <stddef.h>

#define PJ_CHUNK_PREFIX "pamjwt-chunked:"
#define PJ_CHUNK_MAX_ROUNDS 64

/* Ask one question (PAM_PROMPT_ECHO_OFF); *answer is malloc'd, or NULL
 * when the conversation failed (then the return value is non-zero). */
typedef int (*pj_ask_fn)(void *ctx, const char *prompt, char **answer);

typedef enum {
    PJ_CHUNK_NONE = 0,   /* first is not a chunked answer: use it as typed */
    PJ_CHUNK_DONE,       /* *tok holds the assembled token */
    PJ_CHUNK_BAD,        /* malformed header, empty piece, overrun, too many rounds */
    PJ_CHUNK_CONV,       /* the conversation failed at a continuation prompt */
    PJ_CHUNK_NO_ANSWER,  /* pj_chunk_ask only: the question itself got no answer */
} pj_chunk_result;

/* Does the answer start a chunked token? */
bool pj_chunk_started(const char *first);

/* Parse "pamjwt-chunked:LEN:": 0 with *len (1..PJ_MAX_TOKEN) and *piece
 * pointing after the header, -1 when malformed. */
int pj_chunk_header(const char *first, size_t *len, const char **piece);

/* Collect the pieces.  *tok (DONE only) is malloc'd, NUL-terminated, its
 * length the header's LEN; the caller wipes it.  *why says what was wrong
 * (BAD, CONV).  Every answer is wiped when it has been copied. */
pj_chunk_result pj_chunk_collect(const char *first, pj_ask_fn ask, void *ctx, char **tok,
                                 const char **why);

/* The one way the module turns an answer into the whole answer (the token
 * prompt and the proof prompt both): *answer is a first answer the caller
 * owns (asked, or PAM_AUTHTOK).  NONE: not chunked, *answer is left as it
 * is.  DONE: *answer is replaced by the assembled answer.  BAD, CONV:
 * *answer is wiped and NULL, *why says what was wrong. */
pj_chunk_result pj_chunk_complete(char **answer, pj_ask_fn ask, void *ctx, const char **why);

/* Ask prompt, then pj_chunk_complete: NO_ANSWER (*answer NULL, *why NULL)
 * when the conversation failed at the question itself. */
pj_chunk_result pj_chunk_ask(pj_ask_fn ask, void *ctx, const char *prompt, char **answer,
                             const char **why);

#endif
