/* SPDX-License-Identifier: BSD-3-Clause */
/* Device sign-in: what the module reads from its helper (pamjwt-device).
 *
 * The helper writes lines ending in "\n", printable ASCII only:
 *   show URI CODE [COMPLETE]   the verification_uri, the user_code and,
 *                              when the provider gave one, the
 *                              verification_uri_complete
 *   token JWT                  the login was approved: the token
 *   error WORD                 denied, expired, timeout or error
 * "show" comes first (an "error" line may take its place), then one
 * result line, then nothing.  Every line is bounded; anything else is
 * malformed.  The parser reads byte streams of any split, so the module
 * can hand it whatever read() returned. */
#ifndef PJ_DEVICE_REPLY_H
#define PJ_DEVICE_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "jose.h"

#define PJ_DR_MAX_URI 512                  /* longest URI (either) */
#define PJ_DR_MAX_CODE 32                  /* longest user code */
#define PJ_DR_MAX_LINE (PJ_MAX_TOKEN + 16) /* longest line ("token " + JWT) */

typedef enum {
    PJ_DR_MORE = 0, /* nothing complete yet: read more */
    PJ_DR_SHOW,     /* uri and code (and complete, or "") are set */
    PJ_DR_TOKEN,    /* token is set (the caller takes it) */
    PJ_DR_DENIED,   /* the user denied the sign-in */
    PJ_DR_EXPIRED,  /* the device code expired */
    PJ_DR_TIMEOUT,  /* the helper gave up waiting (device_timeout) */
    PJ_DR_FAILED,   /* the helper failed (discovery, network, TLS, ...) */
    PJ_DR_BAD,      /* malformed: why says how (static) */
} pj_dr_event;

typedef struct pj_dreader {
    int state;      /* internal: what may come next */
    size_t n;       /* bytes in line */
    char line[PJ_DR_MAX_LINE + 1];
    char uri[PJ_DR_MAX_URI + 1], code[PJ_DR_MAX_CODE + 1], complete[PJ_DR_MAX_URI + 1];
    char *token;    /* after PJ_DR_TOKEN: malloc'd, NUL-terminated */
    const char *why;
} pj_dreader;

void pj_dr_init(pj_dreader *r);
/* Read up to len bytes; stop at the first event.  *used says how many
 * bytes were taken.  After PJ_DR_BAD, and after a result (anything but
 * MORE and SHOW), any further byte is PJ_DR_BAD. */
pj_dr_event pj_dr_feed(pj_dreader *r, const char *buf, size_t len, size_t *used);
/* Wipe the line buffer and the token (freed). */
void pj_dr_wipe(pj_dreader *r);

/* The checks both sides apply (the config, the helper before it writes,
 * the module as it reads): printable ASCII, 1..max bytes, spaces only
 * where `spaces` (a scope); */
bool pj_dr_value_ok(const char *s, size_t max, bool spaces);
/* a user code: letters, digits and '-' (RFC 8628 6.1), 1..PJ_DR_MAX_CODE; */
bool pj_dr_code_ok(const char *code);
/* a verification URI: https (http only to 127.0.0.1 or localhost), no user
 * information ('@' in the authority), at most PJ_DR_MAX_URI bytes. */
bool pj_dr_uri_ok(const char *uri);

/* The request, the other way (the module to the helper's stdin): "key
 * value" lines, then an empty line, at most PJ_DR_MAX_REQUEST bytes. */
#define PJ_DR_MAX_REQUEST 8192
#define PJ_DR_MAX_TIMEOUT 600
typedef struct pj_dr_request {
    const char *issuer, *client_id, *scope, *ca_file; /* scope, ca_file: optional */
    long timeout;                                     /* seconds, 1..PJ_DR_MAX_TIMEOUT */
} pj_dr_request;
/* Written into out: its length, or -1 when it does not fit or a value is
 * not a word (the scope may hold spaces). */
int pj_dr_request_write(const pj_dr_request *rq, char *out, size_t sz);
/* Read from buf (n bytes, NUL-terminated at n, changed in place): 0 with
 * rq pointing into buf, or -1 with *why. */
int pj_dr_request_read(char *buf, size_t n, pj_dr_request *rq, const char **why);

#endif
