/* Claim checks (contract rule 4): time claims, issuer, audience, required
 * claims.  Pure functions of the claims, the config and the clock. */
#ifndef PJ_CLAIMS_H
#define PJ_CLAIMS_H

#include <jansson.h>

#include "pjconfig.h"
#include "scope.h"

/* 0 when every claim check passes; -1 with a reason written to why. */
int pj_check_claims(const pj_config *c, json_t *claims, double now, const pj_scope *scope,
                    char *why, size_t whysz);

#endif
