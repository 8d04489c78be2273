/* SPDX-License-Identifier: BSD-3-Clause */
/* Claim checks (contract rule 4): time claims, issuer, audience, required
 * claims.  Pure functions of the claims, the config and the clock. */
#ifndef PJ_CLAIMS_H
#define PJ_CLAIMS_H

#include <jansson.h>
#include <stdbool.h>

#include "pjconfig.h"
#include "scope.h"

/* 0 when every claim check passes; -1 with a reason written to why. */
int pj_check_claims(const pj_config *c, json_t *claims, double now, const pj_scope *scope,
                    char *why, size_t whysz);
/* The same, checking aud against audience (unexpanded; NULL: aud is not
 * checked) instead of the config's audience key, and on refusal writing
 * the line for the person at the prompt to tell (NULL: not wanted). */
int pj_check_claims_as(const pj_config *c, json_t *claims, double now, const pj_scope *scope,
                       const char *audience, char *why, size_t whysz, char *tell,
                       size_t tellsz);
/* "2026-12-07 19:03 UTC": a NumericDate for a person, to the minute. */
void pj_utc_minute(double t, char *buf, size_t sz);
/* aud (a string, or an array of strings) names want, byte for byte. */
bool pj_aud_contains(const json_t *aud, const char *want);

#endif
