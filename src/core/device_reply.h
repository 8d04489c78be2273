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

#include <stddef.h>

#include "jose.h"

#define PJ_DR_MAX_URI 512                  /* longest URI (either) */
#define PJ_DR_MAX_CODE 64                  /* longest user code */
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
/* A name for log lines. */
const char *pj_dr_name(pj_dr_event e);

#endif
