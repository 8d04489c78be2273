/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "scope.h"

#include <string.h>

bool pj_scope_valid(const char *v, const char **why)
{
    for (const char *p = strchr(v, '%'); p != NULL; p = strchr(p + 2, '%')) {
        if (p[1] != 'h' && p[1] != 's' && p[1] != '%') {
            *why = p[1] == '\0' ? "a lone '%' at the end (write %% for a percent sign)"
                                : "unknown % sequence (only %h, %s and %% are replaced)";
            return false;
        }
    }
    return true;
}

bool pj_scope_uses_service(const char *v)
{
    for (const char *p = strchr(v, '%'); p != NULL && p[1] != '\0'; p = strchr(p + 2, '%'))
        if (p[1] == 's')
            return true;
    return false;
}

int pj_scope_expand(const char *v, const pj_scope *sc, char *out, size_t outsz)
{
    size_t o = 0;
    for (const char *p = v; *p; p++) {
        const char *add = p;
        size_t n = 1;
        if (*p == '%') {
            p++;
            if (*p == '%')
                add = "%";
            else if (*p == 'h' && (add = sc ? sc->host : NULL) == NULL)
                return PJ_SCOPE_NO_HOST;
            else if (*p == 's' && (add = sc ? sc->service : NULL) == NULL)
                return PJ_SCOPE_NO_SERVICE;
            else if (*p != 'h' && *p != 's')
                return PJ_SCOPE_BAD; /* pj_scope_valid refuses it at load */
            n = strlen(add);
        }
        if (n >= outsz - o)
            return PJ_SCOPE_TOO_LONG;
        memcpy(out + o, add, n);
        o += n;
    }
    out[o] = '\0';
    return 0;
}

const char *pj_scope_error(int r)
{
    switch (r) {
    case PJ_SCOPE_NO_SERVICE: return "uses %s but the PAM service is unknown";
    case PJ_SCOPE_NO_HOST: return "uses %h but the host name is unknown";
    case PJ_SCOPE_BAD: return "has an unknown % sequence";
    default: return "is too long once %h and %s are replaced";
    }
}
