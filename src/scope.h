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
 * service).  -1 when v needs a value the scope does not have, or the
 * result does not fit. */
int pj_scope_expand(const char *v, const pj_scope *sc, char *out, size_t outsz);

#endif
