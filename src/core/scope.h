/* SPDX-License-Identifier: BSD-3-Clause */
/* Scoped values: `%h` (host name), `%s` (PAM service) and `%%` in the
 * values of `audience` and `require_claim`. */
#ifndef PJ_SCOPE_H
#define PJ_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pj_scope {
    const char *service;     /* PAM_SERVICE; NULL when unknown */
    const char *host;        /* gethostname(2); NULL when unknown */
} pj_scope;

/* Is every '%' in v one of %h, %s, %%?  *why says what is wrong. */
bool pj_scope_valid(const char *v, const char **why);
/* Does v use %s (so it needs a service name)? */
bool pj_scope_uses_service(const char *v);
/* Expand v into out (NUL-terminated); sc may be NULL (no host, no
 * service).  0, or why it failed (all non-zero): */
enum {
    PJ_SCOPE_TOO_LONG = -1,   /* the result does not fit */
    PJ_SCOPE_NO_SERVICE = -2, /* v uses %s and the service is unknown */
    PJ_SCOPE_NO_HOST = -3,    /* v uses %h and the host name is unknown */
    PJ_SCOPE_BAD = -4,        /* a '%' other than %h, %s, %% */
};
int pj_scope_expand(const char *v, const pj_scope *sc, char *out, size_t outsz);
/* What a failure of pj_scope_expand means, for "KEY uses ..." messages:
 * "uses %s but the PAM service is unknown", ... */
const char *pj_scope_error(int r);

#endif
